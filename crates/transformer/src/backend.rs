//! The serving backends: what computes a batch's logits. Everything around them, tokenisation,
//! windows, batching, softmax and decoding, is the same code for every backend
//! ([`crate::infer::predict`]).
//!
//! - `libtorch`: [`InferenceNet`], the fused fp32 forward pass on tch (the reference).
//! - `onnx-fp32`, `onnx-int8`: [`crate::onnx::OnnxNet`], the same graph exported to ONNX
//!   (`cargo xtask export-onnx`) and run by ONNX Runtime; int8 has its matrix products
//!   dynamically quantised.

use nerlab_core::{Error, Result};
use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor};

use crate::fast::InferenceNet;

/// Which backend computes the network (`backend` in the transformer's `params`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum BackendKind {
    /// The fp32 forward pass on libtorch (`model.ot`).
    #[default]
    #[serde(rename = "libtorch")]
    Libtorch,
    /// The exported fp32 graph on ONNX Runtime.
    #[serde(rename = "onnx-fp32")]
    OnnxFp32,
    /// The exported graph with int8 matrix products on ONNX Runtime.
    #[serde(rename = "onnx-int8")]
    OnnxInt8,
}

impl BackendKind {
    /// The name in the config.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Libtorch => "libtorch",
            BackendKind::OnnxFp32 => "onnx-fp32",
            BackendKind::OnnxInt8 => "onnx-int8",
        }
    }
}

/// One padded batch of windows, row-major `[rows, len]`: word-piece ids, casing token types
/// and the attention mask (1 on real pieces).
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    /// Word-piece ids.
    pub ids: &'a [i64],
    /// Token types (casing classes).
    pub types: &'a [i64],
    /// 1 where a piece is real, 0 on padding.
    pub mask: &'a [i64],
    /// Windows in the batch.
    pub rows: usize,
    /// Positions per window, padding included.
    pub len: usize,
}

/// Computes the classifier's logits of a batch.
pub trait Backend: Send {
    /// The number of tags the classifier outputs.
    fn num_tags(&self) -> usize;

    /// Logits, flattened `[rows, len, tags]`.
    ///
    /// # Errors
    /// When the runtime fails (reported, never panicked).
    fn logits(&self, batch: &Batch<'_>) -> Result<Vec<f32>>;

    /// What runs, for people: backend, runtime version, kernels where known.
    fn describe(&self) -> String;
}

impl Backend for InferenceNet {
    fn num_tags(&self) -> usize {
        InferenceNet::num_tags(self)
    }

    fn logits(&self, batch: &Batch<'_>) -> Result<Vec<f32>> {
        let shape = [batch.rows as i64, batch.len as i64];
        // tch reports libtorch failures by panicking; keep them an error of this batch.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            tch::no_grad(|| {
                let ids = Tensor::of_slice(batch.ids).view(shape);
                let types = Tensor::of_slice(batch.types).view(shape);
                let mask = Tensor::of_slice(batch.mask).view(shape);
                let logits = InferenceNet::logits(self, &ids, &types, &mask).to_kind(Kind::Float).contiguous();
                let numel = logits.numel();
                let mut out = vec![0f32; numel];
                logits.f_copy_data(&mut out, numel).map(|_| out)
            })
        }));
        match result {
            Ok(Ok(out)) => Ok(out),
            Ok(Err(e)) => Err(Error::extraction(format!("libtorch: {e}"))),
            Err(_) => Err(Error::extraction("libtorch failed during the forward pass")),
        }
    }

    fn describe(&self) -> String {
        format!("libtorch fp32 ({} OpenMP threads; matrix products on the BLAS's threads)", tch::get_num_threads())
    }
}

/// Softmax over the last axis of `logits` (`tags` wide), in place.
pub fn softmax_rows(logits: &mut [f32], tags: usize) {
    for row in logits.chunks_exact_mut(tags.max(1)) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for v in row.iter_mut() {
            *v = (*v - max).exp();
            sum += *v;
        }
        row.iter_mut().for_each(|v| *v /= sum);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_rows_sum_to_one_and_keep_order() {
        let mut v = vec![1.0, 2.0, 3.0, 1000.0, 1000.0, -1000.0];
        softmax_rows(&mut v, 3);
        assert!((v[..3].iter().sum::<f32>() - 1.0).abs() < 1e-6 && v[0] < v[1] && v[1] < v[2]);
        assert!((v[3] - 0.5).abs() < 1e-6 && (v[4] - 0.5).abs() < 1e-6 && v[5] == 0.0);
    }

    #[test]
    fn backend_names_are_the_config_values() {
        for kind in [BackendKind::Libtorch, BackendKind::OnnxFp32, BackendKind::OnnxInt8] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.name()));
            assert_eq!(serde_json::from_str::<BackendKind>(&json).unwrap(), kind);
        }
    }
}
