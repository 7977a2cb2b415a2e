//! The [`Extractor`] implementation and its configuration.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Mutex;

use nerlab_core::{BuildContext, Document, Entity, Error, Extractor, Family, Label, Result};
use serde::{Deserialize, Serialize};

use crate::backend::{Backend, BackendKind};
use crate::context::context_windows;
use crate::decode::{decode_entities, pool_words, Decoding, WordPooling};
use crate::fast::InferenceNet;
use crate::infer::{predict_windows, windows};
use crate::model::{read_config, NerModel, Tag};
use crate::segment::{groups, SEGMENT_BYTES};
use crate::text::{Encoded, TextEncoder};

/// Parameters of a `kind = "transformer"` extractor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TransformerConfig {
    /// The model directory (`config.json`, `tokenizer.json`, `model.ot`), relative to the
    /// config file's directory.
    pub model_dir: PathBuf,
    /// Windows per forward pass at most. (Not `batch_size`: the orchestrator's own
    /// `batch_size` and `threads` keys, documents per call and calling threads, sit in the
    /// same TOML table.)
    pub forward_batch: usize,
    /// Padded word-pieces per forward pass at most (a single longer window still runs).
    pub forward_positions: usize,
    /// Longest window in word-pieces, `[CLS]` and `[SEP]` included (at most the model's 512
    /// positions; default 128, see below).
    pub max_length: usize,
    /// Word-pieces shared by consecutive windows of a long text.
    pub stride: usize,
    /// libtorch intra-op (OpenMP) threads, which run the element-wise operations;
    /// process-wide (libtorch has one pool). Matrix products run on OpenBLAS's own threads,
    /// all cores, whatever this says. Default 1: more OpenMP threads spin-wait on the cores
    /// OpenBLAS is using (on 2 cores, news text: 2,640 word-pieces/s with 1, 1,900 with 2).
    pub torch_threads: usize,
    /// How a word's label is read from its word-pieces.
    pub pooling: WordPooling,
    /// What computes the network: `"libtorch"` (the reference), or the graph exported by
    /// `cargo xtask export-onnx` on ONNX Runtime, `"onnx-fp32"` or `"onnx-int8"` (matrix
    /// products in int8). Tokenisation, windows, batching and decoding are the same for all.
    pub backend: BackendKind,
    /// Where `cargo xtask setup` puts ONNX Runtime (`libonnxruntime.so`) and `export-onnx` the
    /// graphs (`<model dir name>/model-{fp32,int8}.onnx`), relative to the config file's
    /// directory. Only the onnx backends read it.
    pub onnx_dir: PathBuf,
    /// ONNX Runtime's threads (onnx backends); 0 = `OMP_NUM_THREADS` when set, else one per
    /// core. Calls into the network are serialised (one at a time per extractor, whatever the
    /// orchestrator's `threads`), so these threads keep every core busy without
    /// oversubscribing them: fp32 as the intra-op pool of one session, int8 as sessions
    /// running a batch's windows side by side (one thread each, at most four sessions).
    pub onnx_threads: usize,
    /// How the words' tags are chosen: `"argmax"` (each word its most probable tag, invalid
    /// IOB2 repaired the conlleval way) or `"viterbi"` (the most probable valid IOB2
    /// sequence; the default: +2.1 F1 on CoNLL `valid`, `models/minilm-conll03/MODEL_CARD.md`,
    /// "Ablations").
    pub decoding: Decoding,
    /// Sentences of context on each side of every sentence (FLERT-style, see
    /// [`crate::context`]): each sentence gets a window of its own with its neighbours
    /// around it, predictions taken from its own pieces only. 0 (the default): windows of
    /// whole sentences packed end to end, each piece computed once. Costs up to `2N + 1`
    /// times the computation; pays only on documents of several sentences.
    pub context_sentences: usize,
}

impl Default for TransformerConfig {
    fn default() -> Self {
        TransformerConfig {
            model_dir: PathBuf::from("models/minilm-conll03"),
            forward_batch: 64,
            // Small batches pad least (windows are sorted by length) and keep activations in
            // cache. Word-pieces/s on 2 cores by padded positions per pass, news text (windows
            // of ~120 pieces) / CoNLL sentences: 256: 4,600 / 4,430; 512: 4,860 / 4,390;
            // 1,024: 4,300-4,540 / 3,960; 2,048: 3,850 / 3,290; 4,096: - / 2,850.
            forward_positions: 512,
            // The base encoder was tuned on sequences of at most 128 pieces and fine-tuning
            // rarely goes beyond: measured on a 20,000-word text, 256-piece windows missed 1.4%
            // of a name repeated 2,500 times (at a fixed late position of each window), 128 none.
            max_length: 128,
            stride: 32,
            torch_threads: 1,
            pooling: WordPooling::First,
            backend: BackendKind::Libtorch,
            onnx_dir: PathBuf::from("target/onnx"),
            onnx_threads: 0,
            // On CoNLL `valid` with the shipped recipe trained on `train` alone: 90.42 F1 against
            // 88.30 for argmax + repair (MODEL_CARD.md, "Ablations").
            decoding: Decoding::Viterbi,
            context_sentences: 0,
        }
    }
}

/// A BERT token classifier over word-pieces, decoded into entities.
pub struct TransformerExtractor {
    encoder: TextEncoder,
    // libtorch tensors are `Send` but not `Sync`, and ONNX Runtime sessions run one call at a
    // time; the forward pass already uses every core (OpenBLAS's or ONNX Runtime's threads),
    // so serialising calls costs nothing.
    net: Mutex<Box<dyn Backend>>,
    tags: Vec<Tag>,
    labels: Vec<Label>,
    config: TransformerConfig,
}

impl Family for TransformerExtractor {
    const KIND: &'static str = "transformer";
    type Config = TransformerConfig;

    /// Loads the model directory named by `config`.
    ///
    /// # Errors
    /// Invalid parameters; missing, corrupt or inconsistent model files (naming the file).
    fn from_config(mut config: TransformerConfig, ctx: &BuildContext<'_>) -> Result<Self> {
        if config.forward_batch == 0 || config.forward_positions == 0 {
            return Err(Error::config("forward_batch and forward_positions must be at least 1"));
        }
        if !(8..=512).contains(&config.max_length) {
            return Err(Error::config(format!("max_length must be in 8..=512, got {}", config.max_length)));
        }
        if config.stride >= (config.max_length - 2) / 2 {
            return Err(Error::config(format!(
                "stride {} must be less than half the window ({} pieces)",
                config.stride,
                (config.max_length - 2) / 2
            )));
        }
        if config.torch_threads == 0 {
            return Err(Error::config("torch_threads must be at least 1"));
        }
        config.model_dir = ctx.resolve(&config.model_dir);
        let dir = &config.model_dir;
        tch::set_num_threads(config.torch_threads as i32);
        let (bert_config, tags) = read_config(&dir.join("config.json"))?;
        if bert_config.max_position_embeddings < config.max_length as i64 {
            return Err(Error::config(format!(
                "max_length {} exceeds the model's {} positions",
                config.max_length, bert_config.max_position_embeddings
            )));
        }
        let encoder = TextEncoder::from_file(&dir.join("tokenizer.json"))?;
        config.onnx_dir = ctx.resolve(&config.onnx_dir);
        let net = load_backend(&config, bert_config, tags.len())?;
        let mut labels: Vec<Label> = Vec::new();
        for tag in &tags {
            if let Tag::B(l) | Tag::I(l) = tag {
                if !labels.contains(l) {
                    labels.push(l.clone());
                }
            }
        }
        Ok(TransformerExtractor { encoder, net, tags, labels, config })
    }
}

/// The network of `config.backend` over the model in `config.model_dir` (paths resolved).
fn load_backend(config: &TransformerConfig, bert_config: rust_bert::bert::BertConfig, num_tags: usize) -> Result<Mutex<Box<dyn Backend>>> {
    let dir = &config.model_dir;
    let net: Box<dyn Backend> = match config.backend {
        BackendKind::Libtorch => {
            let mut model = NerModel::new(bert_config).map_err(|e| e.with_path(dir.join("config.json")))?;
            model.load(&dir.join("model.ot"))?;
            Box::new(InferenceNet::new(&model).map_err(|e| e.with_path(dir.join("model.ot")))?)
        }
        kind @ (BackendKind::OnnxFp32 | BackendKind::OnnxInt8) => {
            let exported = config.onnx_dir.join(dir.file_name().unwrap_or(dir.as_os_str()));
            let graph = exported.join(crate::onnx::graph_file(kind));
            stale_export_check(&graph, &dir.join("model.ot"))?;
            let threads = match config.onnx_threads {
                // The process's thread budget, as OpenMP and OpenBLAS read it (the single-thread
                // pass of `nerlab eval` sets it to 1), else one thread per core.
                0 => std::env::var("OMP_NUM_THREADS")
                    .ok()
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .filter(|&n| n > 0)
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
                n => n,
            };
            let runtime = config.onnx_dir.join("libonnxruntime.so");
            Box::new(crate::onnx::OnnxNet::load(&runtime, &graph, kind, threads, num_tags)?)
        }
    };
    Ok(Mutex::new(net))
}

/// An exported graph older than the weights it was made from is an error, not a silent
/// mismatch.
fn stale_export_check(graph: &std::path::Path, weights: &std::path::Path) -> Result<()> {
    let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(made), Some(source)) = (modified(graph), modified(weights)) {
        if made < source {
            return Err(Error::new(
                nerlab_core::ErrorKind::Load,
                format!("exported graph is older than {}: re-run `cargo xtask export-onnx`", weights.display()),
            )
            .with_path(graph));
        }
    }
    Ok(())
}

impl TransformerExtractor {
    /// The configuration in use (model directory resolved).
    pub fn config(&self) -> &TransformerConfig {
        &self.config
    }

    /// What computes the network: backend, runtime, threads, int8 kernels where known.
    pub fn backend_description(&self) -> String {
        self.net.lock().unwrap_or_else(|p| p.into_inner()).describe()
    }

    /// Raw logits `[rows, len, tags]` of one padded batch (`ids`, `types`, `mask` row-major
    /// `[rows, len]`), from whichever backend is configured: what the tests pin the backends
    /// to each other with.
    ///
    /// # Errors
    /// When the backend fails.
    pub fn batch_logits(&self, ids: &[i64], types: &[i64], mask: &[i64], rows: usize, len: usize) -> Result<Vec<f32>> {
        let net = self.net.lock().unwrap_or_else(|p| p.into_inner());
        net.logits(&crate::backend::Batch { ids, types, mask, rows, len })
    }

    /// The number of word-pieces of `text` (the unit of throughput figures).
    ///
    /// # Errors
    /// When the tokenizer fails.
    pub fn word_pieces(&self, text: &str) -> Result<usize> {
        Ok(self.encoder.encode(text)?.pieces.len())
    }

    fn decode(&self, text: &str, encoded: &Encoded, probs: &[f32]) -> Result<Vec<Entity>> {
        let words = pool_words(encoded, probs, self.tags.len(), self.config.pooling);
        let mut out = decode_entities(text, encoded, &words, &self.tags, self.config.decoding)?;
        out.sort_by_key(|e| (e.start, e.end));
        Ok(out)
    }
}

impl Extractor for TransformerExtractor {
    fn name(&self) -> &str {
        "transformer"
    }

    fn labels(&self) -> &[Label] {
        &self.labels
    }

    fn extract(&self, document: &Document) -> Result<Vec<Entity>> {
        self.extract_batch(std::slice::from_ref(document)).pop().unwrap_or_else(|| Ok(Vec::new()))
    }

    /// Documents are cut into segments ([`crate::segment`]) and run in groups of at most
    /// [`SEGMENT_BYTES`] of text, so memory stays bounded whatever the document sizes; a
    /// batch of ordinary documents is one group.
    fn extract_batch(&self, documents: &[Document]) -> Vec<Result<Vec<Entity>>> {
        let mut results: Vec<Result<Vec<Entity>>> = documents.iter().map(|_| Ok(Vec::new())).collect();
        // One group at a time: `groups` cuts the next only after this one has run.
        for group in groups(documents.iter().map(|d| d.text.as_str()), SEGMENT_BYTES) {
            self.run_group(documents, &group, &mut results);
        }
        results
    }
}

impl TransformerExtractor {
    /// Encodes, runs and decodes one group of segments (`(document, byte range)`), adding
    /// their entities to the documents' results (or failing those documents).
    fn run_group(&self, documents: &[Document], group: &[(usize, Range<usize>)], results: &mut [Result<Vec<Entity>>]) {
        let text = |(d, range): &(usize, Range<usize>)| &documents[*d].text[range.clone()];
        let encoded: Vec<Result<Encoded>> = group.iter().map(|s| self.encoder.encode(text(s))).collect();
        let ok: Vec<&Encoded> = encoded.iter().filter_map(|e| e.as_ref().ok()).collect();
        let probs = {
            let net = match self.net.lock() {
                Ok(m) => m,
                // A panic while holding the lock was caught below it; the weights are intact.
                Err(poisoned) => poisoned.into_inner(),
            };
            let c = &self.config;
            let width = c.max_length - 2;
            let plan = ok.iter().enumerate().flat_map(|(i, e)| match c.context_sentences {
                0 => windows(i, e, width, c.stride),
                n => context_windows(i, e, width, c.stride, n),
            });
            predict_windows(net.as_ref(), &self.encoder, &ok, plan.collect(), c.forward_batch, c.forward_positions)
        };
        let mut probs = match probs {
            Ok(p) => p.into_iter(),
            Err(e) => {
                for (d, _) in group {
                    results[*d] = Err(Error::extraction(e.to_string()));
                }
                return;
            }
        };
        for (segment, enc) in group.iter().zip(encoded) {
            let found = enc.and_then(|enc| {
                let p = probs.next().unwrap_or_default();
                self.decode(text(segment), &enc, &p)
            });
            let offset = segment.1.start;
            match (&mut results[segment.0], found) {
                (Ok(all), Ok(found)) => all.extend(found.into_iter().map(|e| Entity { start: e.start + offset, end: e.end + offset, ..e })),
                (Ok(_), Err(e)) => results[segment.0] = Err(e),
                (Err(_), _) => {}
            }
        }
    }
}
