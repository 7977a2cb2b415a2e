//! The ONNX Runtime backends against the libtorch one, on the shipped model: the exported fp32
//! graph computes libtorch's logits, the int8 graph stays within a stated tolerance and finds
//! the same entities, and a missing or foreign runtime library is a clear error.
//!
//! The tests that run ONNX Runtime need `cargo xtask setup` (which installs it under
//! `target/onnx/` and exports the model; `cargo xtask test`, i.e. CI, runs it); without it
//! they say so and pass.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use nerlab_core::{read_corpus, BuildContext, Document, Entity, ErrorKind, Extractor, Family};
use nerlab_transformer::text::TextEncoder;
use nerlab_transformer::{BackendKind, TransformerConfig, TransformerExtractor};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn build(backend: BackendKind) -> nerlab_core::Result<TransformerExtractor> {
    TransformerExtractor::from_config(
        TransformerConfig { backend, ..TransformerConfig::default() },
        &BuildContext::new(root(), "transformer"),
    )
}

/// The extractor of `backend`, or `None` (with a message) when ONNX Runtime is not set up.
fn extractor(backend: BackendKind) -> Option<&'static TransformerExtractor> {
    static LIBTORCH: OnceLock<TransformerExtractor> = OnceLock::new();
    static FP32: OnceLock<TransformerExtractor> = OnceLock::new();
    static INT8: OnceLock<TransformerExtractor> = OnceLock::new();
    let cell = match backend {
        BackendKind::Libtorch => &LIBTORCH,
        BackendKind::OnnxFp32 => &FP32,
        BackendKind::OnnxInt8 => &INT8,
    };
    if backend != BackendKind::Libtorch && !root().join("target/onnx/libonnxruntime.so").exists() {
        eprintln!("SKIPPED: ONNX Runtime is not set up (target/onnx/libonnxruntime.so); run `cargo xtask setup`");
        return None;
    }
    Some(cell.get_or_init(|| build(backend).unwrap_or_else(|e| panic!("{} backend: {e}", backend.name()))))
}

/// A tiny deterministic generator (xorshift), so the random batches are the same every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A padded batch as `predict` builds it: `[CLS] pieces [SEP]`, then padding.
struct Batch {
    ids: Vec<i64>,
    types: Vec<i64>,
    mask: Vec<i64>,
    rows: usize,
    len: usize,
}

fn random_batch(rng: &mut Rng, rows: usize, len: usize) -> Batch {
    let (mut ids, mut types, mut mask) = (vec![0; rows * len], vec![0; rows * len], vec![0; rows * len]);
    for r in 0..rows {
        let real = 1 + rng.below(len as u64) as usize;
        for j in 0..real {
            ids[r * len + j] = rng.below(30_522) as i64;
            types[r * len + j] = rng.below(4) as i64;
            mask[r * len + j] = 1;
        }
    }
    Batch { ids, types, mask, rows, len }
}

fn text_batch(texts: &[&str]) -> Batch {
    let encoder = TextEncoder::from_file(&root().join("models/minilm-conll03/tokenizer.json")).unwrap();
    let encoded: Vec<_> = texts.iter().map(|t| encoder.encode(t).unwrap()).collect();
    let len = encoded.iter().map(|e| e.pieces.len().min(126)).max().unwrap_or(0) + 2;
    let rows = texts.len();
    let (mut ids, mut types, mut mask) = (vec![encoder.pad; rows * len], vec![0; rows * len], vec![0; rows * len]);
    for (r, e) in encoded.iter().enumerate() {
        let pieces = &e.pieces[..e.pieces.len().min(126)];
        ids[r * len] = encoder.cls;
        mask[r * len] = 1;
        for (j, p) in pieces.iter().enumerate() {
            ids[r * len + 1 + j] = p.id;
            types[r * len + 1 + j] = e.words[p.word].casing.id();
            mask[r * len + 1 + j] = 1;
        }
        ids[r * len + 1 + pieces.len()] = encoder.sep;
        mask[r * len + 1 + pieces.len()] = 1;
    }
    Batch { ids, types, mask, rows, len }
}

/// The largest difference between two backends' logits over the real (unpadded) positions.
fn max_difference(a: &TransformerExtractor, b: &TransformerExtractor, batch: &Batch) -> f32 {
    let run = |x: &TransformerExtractor| x.batch_logits(&batch.ids, &batch.types, &batch.mask, batch.rows, batch.len).unwrap();
    let (la, lb) = (run(a), run(b));
    assert_eq!(la.len(), lb.len());
    let tags = la.len() / (batch.rows * batch.len);
    la.chunks(tags)
        .zip(lb.chunks(tags))
        .zip(&batch.mask)
        .filter(|(_, &m)| m == 1)
        .flat_map(|((x, y), _)| x.iter().zip(y).map(|(p, q)| (p - q).abs()))
        .fold(0.0, f32::max)
}

fn news() -> Vec<Document> {
    read_corpus(&root().join("corpus/news"), &nerlab_core::CorpusFormat::Brat)
        .expect("the news corpus reads")
        .into_iter()
        .map(|d| d.document)
        .collect()
}

fn news_sentences() -> Vec<String> {
    news()
        .iter()
        .flat_map(|d| d.text.lines().filter(|l| l.split_whitespace().count() > 3).map(str::to_string).collect::<Vec<_>>())
        .take(24)
        .collect()
}

#[test]
fn fp32_graph_gives_libtorch_logits_on_random_and_real_inputs() {
    let (Some(torch), Some(onnx)) = (extractor(BackendKind::Libtorch), extractor(BackendKind::OnnxFp32)) else { return };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (rows, len) in [(1, 1), (1, 2), (3, 17), (8, 128)] {
        let d = max_difference(torch, onnx, &random_batch(&mut rng, rows, len));
        assert!(d < 1e-4, "random {rows}x{len}: logits differ by {d}");
    }
    let sentences = news_sentences();
    let refs: Vec<&str> = sentences.iter().map(String::as_str).collect();
    let d = max_difference(torch, onnx, &text_batch(&refs));
    assert!(d < 1e-4, "news sentences: logits differ by {d}");
}

/// int8 matrix products perturb the logits by quantisation noise (up to ~1.4 on single logits of
/// real text, where confident decisions are 5-10 apart), so what is pinned is the decision:
/// the arg-max tag of at least 98% of the real word-pieces of news sentences, and the entities
/// found on the news corpus the same for at least 95% of them (by span and label, either way).
#[test]
fn int8_graph_stays_close_to_libtorch_and_finds_the_same_entities() {
    let (Some(torch), Some(int8)) = (extractor(BackendKind::Libtorch), extractor(BackendKind::OnnxInt8)) else { return };
    let sentences = news_sentences();
    let refs: Vec<&str> = sentences.iter().map(String::as_str).collect();
    let batch = text_batch(&refs);
    let run = |x: &TransformerExtractor| x.batch_logits(&batch.ids, &batch.types, &batch.mask, batch.rows, batch.len).unwrap();
    let (la, lb) = (run(torch), run(int8));
    let tags = la.len() / (batch.rows * batch.len);
    let argmax =
        |row: &[f32]| row.iter().enumerate().fold((0, f32::NEG_INFINITY), |best, (i, &v)| if v > best.1 { (i, v) } else { best }).0;
    let real: Vec<(usize, usize)> =
        la.chunks(tags).zip(lb.chunks(tags)).zip(&batch.mask).filter(|(_, &m)| m == 1).map(|((a, b), _)| (argmax(a), argmax(b))).collect();
    let same_tag = real.iter().filter(|(a, b)| a == b).count() as f64 / real.len() as f64;
    eprintln!(
        "int8: arg-max tag agreement {same_tag:.4} over {} pieces; max logit difference {}",
        real.len(),
        max_difference(torch, int8, &batch)
    );
    assert!(same_tag >= 0.98, "int8 and libtorch pick the same tag on {same_tag:.4} of the pieces");
    let docs = news();
    let key = |e: &Entity| (e.start, e.end, e.label.clone());
    let (mut same, mut total) = (0usize, 0usize);
    for (a, b) in torch.extract_batch(&docs).into_iter().zip(int8.extract_batch(&docs)) {
        let (a, b) = (a.unwrap(), b.unwrap());
        let kb: std::collections::HashSet<_> = b.iter().map(key).collect();
        let ka: std::collections::HashSet<_> = a.iter().map(key).collect();
        same += ka.intersection(&kb).count();
        total += ka.union(&kb).count();
    }
    assert!(total > 100, "the news corpus should have entities, found {total}");
    let agreement = same as f64 / total as f64;
    eprintln!("int8: entity agreement {agreement:.4} ({same} of {total})");
    assert!(agreement >= 0.95, "int8 and libtorch agree on {same} of {total} entities ({agreement:.3})");
}

/// int8 runs a batch's windows side by side on several sessions; which session runs a window
/// must not change its logits. (The conformance table runs on every backend in
/// crates/orchestrator/tests/conformance.rs.)
#[test]
fn int8_sessions_side_by_side_give_the_logits_of_one() {
    if extractor(BackendKind::OnnxInt8).is_none() {
        return;
    }
    let with_threads = |onnx_threads: usize| {
        let config = TransformerConfig { backend: BackendKind::OnnxInt8, onnx_threads, ..TransformerConfig::default() };
        TransformerExtractor::from_config(config, &BuildContext::new(root(), "transformer")).unwrap()
    };
    let (one, three) = (with_threads(1), with_threads(3));
    assert!(!one.backend_description().contains("side by side"), "{}", one.backend_description());
    assert!(three.backend_description().contains("3 sessions side by side"), "{}", three.backend_description());
    let batch = random_batch(&mut Rng(7), 11, 24);
    let run = |x: &TransformerExtractor| x.batch_logits(&batch.ids, &batch.types, &batch.mask, batch.rows, batch.len).unwrap();
    let side_by_side = run(&three);
    assert_eq!(run(&one), side_by_side);
    // Each row is that window run alone, unpadded, and its padding stays zero.
    let tags = side_by_side.len() / (batch.rows * batch.len);
    for r in 0..batch.rows {
        let row = r * batch.len..(r + 1) * batch.len;
        let real = batch.mask[row.clone()].iter().take_while(|&&m| m == 1).count();
        let (ids, types, mask) =
            (&batch.ids[row.start..row.start + real], &batch.types[row.start..row.start + real], &batch.mask[row.start..row.start + real]);
        let alone = one.batch_logits(ids, types, mask, 1, real).unwrap();
        let got = &side_by_side[row.start * tags..row.end * tags];
        assert_eq!(&got[..real * tags], alone.as_slice(), "row {r}");
        assert!(got[real * tags..].iter().all(|&x| x == 0.0), "row {r}: padding");
    }
}

#[test]
fn a_missing_runtime_says_what_to_install() {
    let dir = tempfile::tempdir().unwrap();
    for backend in [BackendKind::OnnxFp32, BackendKind::OnnxInt8] {
        let config = TransformerConfig { backend, onnx_dir: dir.path().to_path_buf(), ..TransformerConfig::default() };
        let err = TransformerExtractor::from_config(config, &BuildContext::new(root(), "transformer")).err().expect("no runtime there");
        assert_eq!(err.kind(), ErrorKind::Load, "{err}");
        let message = err.to_string();
        assert!(message.contains("libonnxruntime.so") && message.contains("cargo xtask setup"), "{message}");
    }
}

#[test]
fn a_library_that_is_not_onnx_runtime_says_what_to_install() {
    let dir = tempfile::tempdir().unwrap();
    // Not a shared object at all.
    let junk = dir.path().join("libonnxruntime.so");
    std::fs::write(&junk, b"not a library").unwrap();
    let message = nerlab_transformer::onnx::check_runtime(&junk).unwrap_err().to_string();
    assert!(message.contains("cannot load") && message.contains("cargo xtask setup"), "{message}");
    // A real shared library without ONNX Runtime's entry point: libm, which every Linux has.
    let libm = ["/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6", "/lib64/libm.so.6"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.exists());
    if let Some(libm) = libm {
        let message = nerlab_transformer::onnx::check_runtime(libm).unwrap_err().to_string();
        assert!(message.contains("not an ONNX Runtime library") && message.contains("cargo xtask setup"), "{message}");
    }
}

#[test]
fn the_installed_runtime_is_recent_enough() {
    let lib = root().join("target/onnx/libonnxruntime.so");
    if !lib.exists() {
        eprintln!("SKIPPED: ONNX Runtime is not set up; run `cargo xtask setup`");
        return;
    }
    let version = nerlab_transformer::onnx::check_runtime(&lib).unwrap();
    assert!(version.starts_with(&format!("1.{}.", nerlab_transformer::onnx::ORT_MINOR_VERSION)), "{version}");
}
