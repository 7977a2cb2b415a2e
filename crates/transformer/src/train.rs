//! Fine-tuning on CoNLL-style data: examples, length-bucketed batches, the AdamW loop with
//! warm-up and linear decay, validation F1 per epoch, resumable checkpoints, and the export of
//! the shipped model directory (fp16 weights, config with label map, tokenizer).
//!
//! Labels follow the first-sub-token convention: a pre-tokeniser word's first word-piece
//! carries the word's IOB2 tag, other pieces are ignored by the loss (`-100`). A CoNLL token
//! that the pre-tokeniser splits further (`U.S.` into `U . S .`) gives its tag to its first
//! word and the matching `I-` tag to the others, the way inference will read them.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use nerlab_core::{Error, ErrorKind, Label, Result};
use rust_bert::bert::BertConfig;
use serde::{Deserialize, Serialize};
use tch::{nn, nn::OptimizerConfig, Kind, Reduction, Tensor};

use crate::decode::{entities, pool_words, WordPooling};
use crate::fast::InferenceNet;
use crate::infer::predict;
use crate::model::{ner_config, tags_of, NerModel, Tag, CONLL_TAGS};
use crate::text::TextEncoder;

/// Label id the loss ignores.
pub const IGNORE: i64 = -100;

/// One sentence of a CoNLL file: tokens and their IOB2 tags.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentence {
    /// The tokens.
    pub tokens: Vec<String>,
    /// One tag per token.
    pub tags: Vec<Tag>,
}

/// Reads `token ... TAG` lines (tag in the last column), blank lines between sentences,
/// `-DOCSTART-` lines skipped.
///
/// # Errors
/// I/O failures and malformed lines, naming file and line.
pub fn read_conll(path: &Path) -> Result<Vec<Sentence>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut out = Vec::new();
    let mut current = Sentence { tokens: Vec::new(), tags: Vec::new() };
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with("-DOCSTART-") {
            if !current.tokens.is_empty() {
                out.push(std::mem::replace(&mut current, Sentence { tokens: Vec::new(), tags: Vec::new() }));
            }
            continue;
        }
        let mut cols = line.split_whitespace();
        let (Some(token), Some(tag)) = (cols.next(), cols.last()) else {
            return Err(Error::format(format!("expected `token TAG`, got {line:?}")).with_path(path).with_line(i + 1));
        };
        let tag = Tag::parse(tag).map_err(|e| e.with_path(path).with_line(i + 1))?;
        current.tokens.push(token.to_string());
        current.tags.push(tag);
    }
    if !current.tokens.is_empty() {
        out.push(current);
    }
    Ok(out)
}

/// Sentences joined into one text with a space between tokens: the text, each token's byte
/// span, each token's tag.
fn join(sentences: &[&Sentence]) -> (String, Vec<(usize, usize)>, Vec<Tag>) {
    let mut text = String::new();
    let mut spans = Vec::new();
    let mut tags = Vec::new();
    for s in sentences {
        for (tok, tag) in s.tokens.iter().zip(&s.tags) {
            if !text.is_empty() {
                text.push(' ');
            }
            spans.push((text.len(), text.len() + tok.len()));
            text.push_str(tok);
            tags.push(tag.clone());
        }
    }
    (text, spans, tags)
}

/// A training example: model inputs with `[CLS]`/`[SEP]` and one label per position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// Word-piece ids.
    pub ids: Vec<i64>,
    /// Casing classes (token types).
    pub types: Vec<i64>,
    /// Tag ids, [`IGNORE`] where no loss applies.
    pub labels: Vec<i64>,
}

/// Builds one example from consecutive sentences; `casing: false` zeroes the token types
/// (the ablation without casing); pieces beyond `max_length - 2` are cut.
///
/// # Errors
/// Tokenizer failures.
pub fn make_example(encoder: &TextEncoder, sentences: &[&Sentence], casing: bool, max_length: usize) -> Result<Example> {
    let (text, spans, tags) = join(sentences);
    let enc = encoder.encode(&text)?;
    let tag_id = |t: &Tag| -> i64 {
        let name = match t {
            Tag::O => "O".to_string(),
            Tag::B(l) => format!("B-{l}"),
            Tag::I(l) => format!("I-{l}"),
        };
        CONLL_TAGS.iter().position(|x| *x == name).map_or(0, |p| p as i64)
    };
    let mut ex = Example { ids: vec![encoder.cls], types: vec![0], labels: vec![IGNORE] };
    for piece in enc.pieces.iter().take(max_length.saturating_sub(2)) {
        let word = enc.words[piece.word];
        ex.ids.push(piece.id);
        ex.types.push(if casing { word.casing.id() } else { 0 });
        let label = if piece.first {
            // The token containing the word's start.
            let t = spans.partition_point(|&(s, _)| s <= word.start).saturating_sub(1);
            match &tags[t] {
                Tag::B(l) if word.start != spans[t].0 => tag_id(&Tag::I(l.clone())),
                tag => tag_id(tag),
            }
        } else {
            IGNORE
        };
        ex.labels.push(label);
    }
    ex.ids.push(encoder.sep);
    ex.types.push(0);
    ex.labels.push(IGNORE);
    Ok(ex)
}

/// A small deterministic generator (SplitMix64): shuffles and chunking need no more.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded generator.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// Groups sentences into examples: most are single sentences (as CoNLL is scored), a
/// fraction `concat` are 2 to 4 consecutive sentences, so the model also sees the multi-sentence
/// windows it meets on running text.
pub fn chunk_sentences(n: usize, concat: f64, rng: &mut Rng) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let k = if rng.unit() < concat { 2 + (rng.next_u64() % 3) as usize } else { 1 };
        let end = (i + k).min(n);
        out.push(i..end);
        i = end;
    }
    out
}

/// Batches of example indices of similar length: sorted by length, cut so that a padded batch
/// holds at most `max_tokens` positions and `max_examples` examples.
pub fn batches(examples: &[Example], max_tokens: usize, max_examples: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..examples.len()).collect();
    order.sort_by_key(|&i| examples[i].ids.len());
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for i in order {
        let len = examples[i].ids.len();
        if !current.is_empty() && ((current.len() + 1) * len > max_tokens || current.len() >= max_examples) {
            out.push(std::mem::take(&mut current));
        }
        current.push(i);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Padded `[b, len]` tensors (ids, types, mask, labels) of a batch.
fn batch_tensors(examples: &[Example], batch: &[usize], pad: i64) -> (Tensor, Tensor, Tensor, Tensor) {
    let len = batch.iter().map(|&i| examples[i].ids.len()).max().unwrap_or(0);
    let b = batch.len();
    let (mut ids, mut types, mut mask, mut labels) = (vec![pad; b * len], vec![0i64; b * len], vec![0i64; b * len], vec![IGNORE; b * len]);
    for (r, &i) in batch.iter().enumerate() {
        let ex = &examples[i];
        let row = r * len;
        ids[row..row + ex.ids.len()].copy_from_slice(&ex.ids);
        types[row..row + ex.ids.len()].copy_from_slice(&ex.types);
        mask[row..row + ex.ids.len()].iter_mut().for_each(|m| *m = 1);
        labels[row..row + ex.ids.len()].copy_from_slice(&ex.labels);
    }
    let shape = [b as i64, len as i64];
    let t = |v: &[i64]| Tensor::of_slice(v).view(shape);
    (t(&ids), t(&types), t(&mask), t(&labels))
}

/// Scales gradients so that their global L2 norm is at most `max`. (tch's own version fails
/// on variables without a gradient, such as the pooler this task never uses.)
fn clip_grad_norm(vs: &nn::VarStore, max: f64) {
    tch::no_grad(|| {
        let grads: Vec<Tensor> = vs.trainable_variables().iter().map(|v| v.grad()).filter(|g| g.defined()).collect();
        let norms: Vec<Tensor> = grads.iter().map(|g| g.norm()).collect();
        if norms.is_empty() {
            return;
        }
        let total = f64::from(Tensor::stack(&norms, 0).norm());
        if total > max {
            for mut g in grads {
                let _ = g.g_mul_scalar_(max / (total + 1e-6));
            }
        }
    });
}

/// One optimisation step on a batch; returns the loss before the step.
pub fn train_step(model: &NerModel, opt: &mut nn::Optimizer, examples: &[Example], batch: &[usize], pad: i64, lr: f64, clip: f64) -> f64 {
    let (ids, types, mask, labels) = batch_tensors(examples, batch, pad);
    let logits = model.logits(&ids, &types, &mask, true);
    let num_tags = logits.size().last().copied().unwrap_or(1);
    let loss = logits.view([-1, num_tags]).cross_entropy_loss::<Tensor>(&labels.view([-1]), None, Reduction::Mean, IGNORE, 0.0);
    opt.zero_grad();
    loss.backward();
    clip_grad_norm(&model.vs, clip);
    opt.set_lr(lr);
    opt.step();
    f64::from(&loss)
}

/// Strict span scores: true positives, predictions, gold, per label and pooled.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SpanScores {
    /// `(tp, predicted, gold)` per label.
    pub per_label: BTreeMap<String, (usize, usize, usize)>,
    /// `(tp, predicted, gold)` over all labels.
    pub micro: (usize, usize, usize),
}

impl SpanScores {
    /// Micro F1 in percent.
    pub fn f1(&self) -> f64 {
        f1(self.micro)
    }
    /// One line: micro P/R/F1 and per-label F1.
    pub fn summary(&self) -> String {
        let (tp, p, g) = self.micro;
        let pct = |a: usize, b: usize| if b == 0 { 0.0 } else { 100.0 * a as f64 / b as f64 };
        let mut s = format!("P {:.2} R {:.2} F1 {:.2}", pct(tp, p), pct(tp, g), self.f1());
        for (l, &c) in &self.per_label {
            s.push_str(&format!(" | {l} {:.2}", f1(c)));
        }
        s
    }
}

fn f1((tp, p, g): (usize, usize, usize)) -> f64 {
    if p + g == 0 {
        0.0
    } else {
        200.0 * tp as f64 / (p + g) as f64
    }
}

/// Gold entity spans of a joined text, read the conlleval way (an `I-X` not continuing `X`
/// starts an entity).
fn gold_spans(spans: &[(usize, usize)], tags: &[Tag]) -> Vec<(usize, usize, Label)> {
    let mut out: Vec<(usize, usize, Label)> = Vec::new();
    let mut open: Option<(usize, usize, Label)> = None;
    for (&(s, e), tag) in spans.iter().zip(tags) {
        match tag {
            Tag::O => out.extend(open.take()),
            Tag::I(l) if open.as_ref().is_some_and(|o| &o.2 == l) => {
                if let Some(o) = open.as_mut() {
                    o.1 = e;
                }
            }
            Tag::B(l) | Tag::I(l) => {
                out.extend(open.take());
                open = Some((s, e, l.clone()));
            }
        }
    }
    out.extend(open);
    out
}

/// Runs the inference pipeline on each sentence (as its own text) and scores it strictly.
///
/// # Errors
/// Tokenizer or libtorch failures.
pub fn evaluate(model: &NerModel, encoder: &TextEncoder, sentences: &[Sentence], casing: bool) -> Result<SpanScores> {
    let tags = tags_of(&model.config)?;
    // The serving forward pass, over the weights as they are now.
    let net = InferenceNet::new(model)?;
    let mut scores = SpanScores::default();
    for label in Label::CONLL {
        scores.per_label.insert(label.to_string(), (0, 0, 0));
    }
    for chunk in sentences.chunks(256) {
        let joined: Vec<_> = chunk.iter().map(|s| join(&[s])).collect();
        let mut encoded = joined.iter().map(|(text, _, _)| encoder.encode(text)).collect::<Result<Vec<_>>>()?;
        if !casing {
            encoded.iter_mut().for_each(|e| e.words.iter_mut().for_each(|w| w.casing = crate::casing::Casing::Lower));
        }
        let refs: Vec<_> = encoded.iter().collect();
        let probs = predict(&net, encoder, &refs, 512, 64, 64, usize::MAX)?;
        for (((text, spans, gold_tags), enc), p) in joined.iter().zip(&encoded).zip(&probs) {
            let words = pool_words(enc, p, tags.len(), WordPooling::First);
            let pred: Vec<_> = entities(text, enc, &words, &tags)?.into_iter().map(|e| (e.start, e.end, e.label)).collect();
            let gold = gold_spans(spans, gold_tags);
            for (s, e, l) in &pred {
                let c = scores.per_label.entry(l.to_string()).or_default();
                c.1 += 1;
                if gold.contains(&(*s, *e, l.clone())) {
                    c.0 += 1;
                    scores.micro.0 += 1;
                }
                scores.micro.1 += 1;
            }
            for (_, _, l) in &gold {
                scores.per_label.entry(l.to_string()).or_default().2 += 1;
                scores.micro.2 += 1;
            }
        }
    }
    Ok(scores)
}

/// Options of a training run (`nerlab-train train --help` documents them).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainOptions {
    /// Directory of the converted base encoder: `base.ot`, `config.json`, `tokenizer.json`.
    pub base_dir: PathBuf,
    /// CoNLL training files, read in order.
    pub train: Vec<PathBuf>,
    /// CoNLL validation file (model selection, unless `keep_last`).
    pub valid: PathBuf,
    /// Export the last epoch instead of the best on `valid`: for a final refit whose training
    /// files include the validation data, where its scores select nothing.
    #[serde(default)]
    pub keep_last: bool,
    /// Where the final model directory is written.
    pub out_dir: PathBuf,
    /// Where checkpoints and the state of the run live.
    pub work_dir: PathBuf,
    /// Passes over the training data.
    pub epochs: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// Fraction of steps of linear warm-up.
    pub warmup: f64,
    /// AdamW weight decay.
    pub weight_decay: f64,
    /// Gradient L2-norm clipping.
    pub clip: f64,
    /// Padded positions per batch, at most.
    pub batch_tokens: usize,
    /// Examples per batch, at most.
    pub batch_examples: usize,
    /// Longest example in word-pieces, `[CLS]`/`[SEP]` included.
    pub max_length: usize,
    /// Fraction of examples made of 2 to 4 consecutive sentences.
    pub concat: f64,
    /// Feed casing classes as token types (off: the ablation).
    pub casing: bool,
    /// Seed of torch and of the shuffles.
    pub seed: u64,
    /// Torch intra-op threads.
    pub threads: usize,
    /// Continue from the last checkpoint in `work_dir`.
    pub resume: bool,
    /// Use only the first N training sentences (quick experiments).
    pub limit: Option<usize>,
}

/// The run's state, saved after each epoch next to the checkpoint.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunState {
    /// Epochs completed.
    pub epochs_done: usize,
    /// Best validation micro F1 so far, and its epoch.
    pub best: Option<(f64, usize)>,
    /// Per epoch: mean training loss, validation scores, seconds.
    pub history: Vec<(f64, SpanScores, f64)>,
}

fn linear_schedule(step: usize, total: usize, warmup: usize, peak: f64) -> f64 {
    if step < warmup {
        peak * (step + 1) as f64 / warmup as f64
    } else {
        peak * (total.saturating_sub(step)) as f64 / (total - warmup).max(1) as f64
    }
}

fn log(pb: &ProgressBar, line: String) {
    if pb.is_hidden() {
        eprintln!("{line}");
    } else {
        pb.println(line);
    }
}

/// The whole run: load, train with per-epoch validation and checkpoints, export the best.
///
/// # Errors
/// Missing or malformed inputs, I/O failures.
pub fn run(opts: &TrainOptions) -> Result<RunState> {
    let started = Instant::now();
    tch::manual_seed(opts.seed as i64);
    tch::set_num_threads(opts.threads.max(1) as i32);
    std::fs::create_dir_all(&opts.work_dir).map_err(|e| Error::io(&opts.work_dir, e))?;
    let encoder = TextEncoder::from_file(&opts.base_dir.join("tokenizer.json"))?;
    let base_config_path = opts.base_dir.join("config.json");
    let base_config: BertConfig =
        serde_json::from_str(&std::fs::read_to_string(&base_config_path).map_err(|e| Error::io(&base_config_path, e))?)
            .map_err(|e| Error::format(format!("invalid config: {e}")).with_path(&base_config_path))?;
    let mut model = NerModel::new(ner_config(base_config))?;

    let state_path = opts.work_dir.join("state.json");
    let last_path = opts.work_dir.join("last.ot");
    let best_path = opts.work_dir.join("best.ot");
    let mut state = RunState::default();
    if opts.resume && state_path.is_file() {
        state = serde_json::from_str(&std::fs::read_to_string(&state_path).map_err(|e| Error::io(&state_path, e))?)
            .map_err(|e| Error::format(format!("invalid state: {e}")).with_path(&state_path))?;
        model.load(&last_path)?;
        eprintln!("resuming after epoch {} (optimizer moments restart from zero)", state.epochs_done);
    } else {
        model.init_from_base(&opts.base_dir.join("base.ot"))?;
    }

    let mut train = Vec::new();
    for path in &opts.train {
        train.extend(read_conll(path)?);
    }
    if let Some(n) = opts.limit {
        train.truncate(n);
    }
    let valid = read_conll(&opts.valid)?;
    let mut rng = Rng::new(opts.seed);
    let chunks = chunk_sentences(train.len(), opts.concat, &mut rng);
    let examples = chunks
        .iter()
        .map(|r| make_example(&encoder, &train[r.clone()].iter().collect::<Vec<_>>(), opts.casing, opts.max_length))
        .collect::<Result<Vec<_>>>()?;
    let batches = batches(&examples, opts.batch_tokens, opts.batch_examples);
    let pieces: usize = examples.iter().map(|e| e.ids.len()).sum();
    eprintln!(
        "{} sentences, {} examples, {} word-pieces, {} batches per epoch, {} epochs",
        train.len(),
        examples.len(),
        pieces,
        batches.len(),
        opts.epochs
    );
    let total = batches.len() * opts.epochs;
    let warmup = ((total as f64) * opts.warmup).ceil() as usize;
    let mut opt = nn::AdamW { wd: opts.weight_decay, ..Default::default() }
        .build(&model.vs, opts.lr)
        .map_err(|e| Error::config(format!("optimizer: {e}")))?;

    for epoch in state.epochs_done..opts.epochs {
        let epoch_start = Instant::now();
        let mut order: Vec<usize> = (0..batches.len()).collect();
        Rng::new(opts.seed.wrapping_add(1 + epoch as u64)).shuffle(&mut order);
        let pb = ProgressBar::new(order.len() as u64);
        pb.set_style(
            ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} {elapsed}<{eta} loss {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        pb.set_prefix(format!("{}/{}", epoch + 1, opts.epochs));
        let (mut sum, mut count, mut recent) = (0.0, 0usize, 0.0);
        for (k, &b) in order.iter().enumerate() {
            let step = epoch * batches.len() + k;
            let lr = linear_schedule(step, total, warmup, opts.lr);
            let loss = train_step(&model, &mut opt, &examples, &batches[b], encoder.pad, lr, opts.clip);
            sum += loss;
            count += 1;
            recent = if k == 0 { loss } else { 0.95 * recent + 0.05 * loss };
            pb.set_message(format!("{recent:.4}"));
            pb.inc(1);
            if pb.is_hidden() && (k % 25 == 0 || k + 1 == order.len()) {
                eprintln!(
                    "epoch {} step {}/{} loss {recent:.4} lr {lr:.2e} {:.0}s",
                    epoch + 1,
                    k + 1,
                    order.len(),
                    epoch_start.elapsed().as_secs_f64()
                );
            }
        }
        pb.finish_and_clear();
        let scores = evaluate(&model, &encoder, &valid, opts.casing)?;
        let f = scores.f1();
        log(&pb, format!("epoch {}: train loss {:.4}, valid {}", epoch + 1, sum / count.max(1) as f64, scores.summary()));
        model.save(&last_path, Kind::Float)?;
        if state.best.is_none_or(|(b, _)| f > b) {
            model.save(&best_path, Kind::Float)?;
            state.best = Some((f, epoch + 1));
        }
        state.epochs_done = epoch + 1;
        state.history.push((sum / count.max(1) as f64, scores, epoch_start.elapsed().as_secs_f64()));
        let json = serde_json::to_string_pretty(&state).map_err(|e| Error::format(e.to_string()))?;
        std::fs::write(&state_path, json).map_err(|e| Error::io(&state_path, e))?;
    }

    if opts.keep_last {
        state.best = state.history.last().map(|h| (h.1.f1(), state.epochs_done));
    } else if best_path.is_file() {
        model.load(&best_path)?;
    }
    export(&model, opts, &state, started.elapsed().as_secs_f64())?;
    Ok(state)
}

/// Writes the model directory: `model.ot` (fp16), `config.json` (with the label map),
/// `tokenizer.json` (without truncation and padding) and `training.json` (options, history).
///
/// # Errors
/// I/O failures.
pub fn export(model: &NerModel, opts: &TrainOptions, state: &RunState, seconds: f64) -> Result<()> {
    let dir = &opts.out_dir;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    model.save(&dir.join("model.ot"), Kind::Half)?;
    let write_json = |name: &str, value: &serde_json::Value| -> Result<()> {
        let path = dir.join(name);
        let mut f = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
        serde_json::to_writer_pretty(&mut f, value).map_err(|e| Error::format(e.to_string()).with_path(&path))?;
        f.write_all(b"\n").map_err(|e| Error::io(&path, e))
    };
    let config = serde_json::to_value(&model.config).map_err(|e| Error::format(e.to_string()))?;
    write_json("config.json", &config)?;
    let tok_path = opts.base_dir.join("tokenizer.json");
    let mut tok: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&tok_path).map_err(|e| Error::io(&tok_path, e))?)
        .map_err(|e| Error::new(ErrorKind::Format, e.to_string()).with_path(&tok_path))?;
    tok["truncation"] = serde_json::Value::Null;
    tok["padding"] = serde_json::Value::Null;
    write_json("tokenizer.json", &tok)?;
    let info = serde_json::json!({ "options": opts, "state": state, "seconds": seconds });
    write_json("training.json", &info)
}
