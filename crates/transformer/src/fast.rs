//! The inference forward pass: rust-bert's `BertForTokenClassification` computed with fewer,
//! larger operations, over the same weights.
//!
//! Training keeps rust-bert's modules (autograd, dropout). Serving only needs the forward
//! pass, and on a 2-core CPU three things rust-bert does cost a third of it, measured on
//! news text: GELU composed of five element-wise operations (`x * 0.5 * (1 + erf(x / √2))`,
//! each a pass over the `[positions, 1536]` activations) instead of libtorch's one `gelu`
//! kernel; three query/key/value products instead of one; and a pooler nobody reads. The
//! function computed is the same, for every activation rust-bert offers: `tests/fast.rs` checks
//! the logits of both paths agree on random inputs with padding.

use nerlab_core::{Error, ErrorKind, Result};
use rust_bert::Activation;
use tch::{Kind, Tensor};

use crate::model::NerModel;

/// One encoder layer's weights, query/key/value fused into one product.
struct Layer {
    qkv_weight: Tensor,
    qkv_bias: Tensor,
    attention_out: (Tensor, Tensor),
    attention_norm: (Tensor, Tensor),
    intermediate: (Tensor, Tensor),
    output: (Tensor, Tensor),
    output_norm: (Tensor, Tensor),
}

/// The network as the extractor runs it (no gradients, no dropout).
pub struct InferenceNet {
    word_embeddings: Tensor,
    position_embeddings: Tensor,
    token_type_embeddings: Tensor,
    embedding_norm: (Tensor, Tensor),
    layers: Vec<Layer>,
    classifier: (Tensor, Tensor),
    /// `hidden_act`, as one libtorch kernel each.
    activation: fn(&Tensor) -> Tensor,
    heads: i64,
    hidden: i64,
    eps: f64,
}

impl InferenceNet {
    /// The forward pass over `model`'s current weights (shared, not copied, but for the fused
    /// query/key/value matrices: rebuild after the weights change).
    ///
    /// # Errors
    /// When a variable the network needs is missing.
    pub fn new(model: &NerModel) -> Result<InferenceNet> {
        let vars = model.vs.variables();
        let get = |name: &str| -> Result<Tensor> {
            vars.get(name).map(|t| t.detach()).ok_or_else(|| Error::new(ErrorKind::Load, format!("the network has no variable {name}")))
        };
        let pair = |prefix: &str| -> Result<(Tensor, Tensor)> { Ok((get(&format!("{prefix}.weight"))?, get(&format!("{prefix}.bias"))?)) };
        let config = &model.config;
        if config.is_decoder == Some(true) {
            return Err(Error::config("the serving forward pass is for encoders; the config says is_decoder"));
        }
        // The same functions as rust-bert's `Activation`s (`gelu_new` is GELU's tanh form).
        let activation: fn(&Tensor) -> Tensor = match config.hidden_act {
            Activation::gelu => |x| x.gelu("none"),
            Activation::gelu_new => |x| x.gelu("tanh"),
            Activation::relu => Tensor::relu,
            Activation::swish => Tensor::silu,
            Activation::mish => Tensor::mish,
            Activation::tanh => Tensor::tanh,
            Activation::identity => Tensor::shallow_clone,
        };
        let mut layers = Vec::new();
        for i in 0..config.num_hidden_layers {
            let p = format!("bert.encoder.layer.{i}");
            let (q, k, v) = (
                pair(&format!("{p}.attention.self.query"))?,
                pair(&format!("{p}.attention.self.key"))?,
                pair(&format!("{p}.attention.self.value"))?,
            );
            layers.push(Layer {
                qkv_weight: Tensor::cat(&[&q.0, &k.0, &v.0], 0),
                qkv_bias: Tensor::cat(&[&q.1, &k.1, &v.1], 0),
                attention_out: pair(&format!("{p}.attention.output.dense"))?,
                attention_norm: pair(&format!("{p}.attention.output.LayerNorm"))?,
                intermediate: pair(&format!("{p}.intermediate.dense"))?,
                output: pair(&format!("{p}.output.dense"))?,
                output_norm: pair(&format!("{p}.output.LayerNorm"))?,
            });
        }
        Ok(InferenceNet {
            word_embeddings: get("bert.embeddings.word_embeddings.weight")?,
            position_embeddings: get("bert.embeddings.position_embeddings.weight")?,
            token_type_embeddings: get("bert.embeddings.token_type_embeddings.weight")?,
            embedding_norm: pair("bert.embeddings.LayerNorm")?,
            layers,
            classifier: pair("classifier")?,
            activation,
            heads: config.num_attention_heads,
            hidden: config.hidden_size,
            // rust-bert's BERT layer norms use 1e-12 whatever the config says.
            eps: 1e-12,
        })
    }

    /// The number of tags the classifier outputs.
    pub fn num_tags(&self) -> usize {
        self.classifier.0.size().first().copied().unwrap_or(0) as usize
    }

    /// Logits `[batch, length, tags]` for word-piece ids, token types and attention mask, all
    /// `[batch, length]` int64. Call under `tch::no_grad`.
    pub fn logits(&self, ids: &Tensor, types: &Tensor, mask: &Tensor) -> Tensor {
        let (batch, length) = ids.size2().unwrap_or((0, 0));
        let head_size = self.hidden / self.heads;
        let norm = |x: &Tensor, (w, b): &(Tensor, Tensor)| x.layer_norm(&[self.hidden], Some(w), Some(b), self.eps, false);
        let linear = |x: &Tensor, (w, b): &(Tensor, Tensor)| x.linear(w, Some(b));

        let positions = Tensor::arange(length, (Kind::Int64, ids.device())).unsqueeze(0);
        let embedded = Tensor::embedding(&self.word_embeddings, ids, -1, false, false)
            + Tensor::embedding(&self.position_embeddings, &positions, -1, false, false)
            + Tensor::embedding(&self.token_type_embeddings, types, -1, false, false);
        let mut x = norm(&embedded, &self.embedding_norm);
        // Padding gets -10000 before the softmax, as in rust-bert.
        let mask = ((mask.ones_like() - mask) * -10000.0).to_kind(Kind::Float).view([batch, 1, 1, length]);
        let scale = (head_size as f64).sqrt();
        for layer in &self.layers {
            let qkv = x.linear(&layer.qkv_weight, Some(&layer.qkv_bias)).view([batch, length, 3, self.heads, head_size]);
            let qkv = qkv.permute(&[2, 0, 3, 1, 4]);
            let (q, k, v) = (qkv.get(0) / scale, qkv.get(1), qkv.get(2));
            let weights = (q.matmul(&k.transpose(-1, -2)) + &mask).softmax(-1, Kind::Float);
            let context = weights.matmul(&v).transpose(1, 2).contiguous().view([batch, length, self.hidden]);
            let attended = norm(&(linear(&context, &layer.attention_out) + &x), &layer.attention_norm);
            let inner = (self.activation)(&linear(&attended, &layer.intermediate));
            x = norm(&(linear(&inner, &layer.output) + &attended), &layer.output_norm);
        }
        linear(&x, &self.classifier)
    }
}
