//! A training run: read the corpora, build the examples, the AdamW loop with warm-up and
//! linear decay, dev scores per epoch, resumable checkpoints, and the export of the model
//! directory (fp16 weights, config with the label map, tokenizer).

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use nerlab_core::{AnnotatedDocument, Error, Label, Result};
use nerlab_transformer::model::{ner_config, NerModel};
use nerlab_transformer::text::TextEncoder;
use rust_bert::bert::BertConfig;
use serde::{Deserialize, Serialize};
use tch::{nn, nn::OptimizerConfig, Kind};

use crate::data::{check_entities, context_groups, derive_labels, fraction_of, load_corpus, units_by_document, Corpus};
use crate::dev::{evaluate, DevScores};
use crate::examples::{batches, chunk_units, make_context_examples, make_examples, Example, ExampleShape, Rng};
use crate::step::{layer_groups, linear_schedule, train_step};

/// Options of a training run (`nerlab-train train --help` documents them).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainOptions {
    /// The nerlab config whose corpus names `train` and `dev` may use.
    pub config: PathBuf,
    /// Training corpora (config names or paths), concatenated in order.
    pub train: Vec<String>,
    /// Development corpus (model selection, unless `keep_last`).
    pub dev: String,
    /// The labels to learn, in the order of the model's outputs; `None`: those of the
    /// training data ([`derive_labels`]).
    pub labels: Option<Vec<Label>>,
    /// The share of training documents used ([`fraction_of`]).
    pub fraction: f64,
    /// Directory of the converted base encoder: `base.ot`, `config.json`, `tokenizer.json`.
    pub base_dir: PathBuf,
    /// Export the last epoch instead of the best on `dev`: for a final refit whose training
    /// data include the development data, where its scores select nothing.
    #[serde(default)]
    pub keep_last: bool,
    /// Where the final model directory is written.
    pub out_dir: PathBuf,
    /// Where checkpoints and the state of the run live.
    pub work_dir: PathBuf,
    /// Passes over the training data.
    pub epochs: usize,
    /// Stop after this many optimisation steps in all (the schedule then spans them).
    pub max_steps: Option<usize>,
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
    /// Longest example in word-pieces, `[CLS]`/`[SEP]` included; longer texts are cut into
    /// windows as inference cuts them.
    pub max_length: usize,
    /// Word-pieces shared by consecutive windows of a sentence longer than `max_length`.
    pub overlap: usize,
    /// Fraction of examples made of 2 to 4 consecutive units.
    pub concat: f64,
    /// Feed casing classes as token types (off: the ablation).
    pub casing: bool,
    /// Document context at training, the FLERT way (0: none, the shipped recipe): each
    /// training sentence is an example of its own with up to this many sentences of its
    /// document on each side, the loss on that sentence only, as the extractor serves with
    /// `context_sentences`. Sentences of one-sentence documents (CoNLL as configured) are
    /// grouped into their articles first (`nerlab_core::grouping::Grouping::Articles`).
    /// Replaces `concat`.
    pub context_sentences: usize,
    /// Share of the training units also trained on as a re-cased copy, half lower-cased and
    /// half upper-cased ([`crate::data::recased`]), so the model leans less on capitals: CoNLL
    /// headlines are all caps, and text from elsewhere is often lower-cased. 0 (the shipped
    /// recipe) adds none and leaves every other random draw as it was.
    pub casing_noise: f64,
    /// Layer-wise learning-rate decay (1: none, the shipped recipe): the classifier learns at
    /// the scheduled rate, each encoder layer below at this factor times the one above it, the
    /// embeddings last ([`crate::step::layer_groups`]).
    #[serde(default = "no_decay")]
    pub layer_decay: f64,
    /// R-Drop (0: none, the shipped recipe): each batch runs twice under different dropout
    /// masks and the loss adds this weight times the symmetric KL divergence between the two
    /// predictions on the labelled word-pieces ([`crate::step::batch_loss`]). A step costs
    /// about twice as much.
    #[serde(default)]
    pub rdrop: f64,
    /// Label smoothing of the cross-entropy (0: none, the shipped recipe): the target puts
    /// this much probability mass evenly over all tags instead of on the gold one.
    #[serde(default)]
    pub label_smoothing: f64,
    /// Seed of torch, of the shuffles and of the fraction.
    pub seed: u64,
    /// Torch intra-op threads.
    pub threads: usize,
    /// Continue from the last checkpoint in `work_dir`.
    pub resume: bool,
    /// Export the element-wise mean of the last this-many epochs' weights instead of one
    /// epoch's (0 or 1: no averaging); this replaces both the best-on-dev choice and
    /// `keep_last`. The means of the last 2, 3, ... epochs are each scored on `dev` at the end
    /// of the run ([`RunState::averages`]), so one run ranks them. With `max_steps`, a last
    /// epoch cut short weighs as much as the others.
    #[serde(default)]
    pub average_last: usize,
}

fn no_decay() -> f64 {
    1.0
}

/// One epoch's record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Epoch {
    /// Mean training loss.
    pub loss: f64,
    /// Optimisation steps run.
    pub steps: usize,
    /// Strict scores on the development corpus.
    pub dev: DevScores,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// The run's state, saved after each epoch next to the checkpoint.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunState {
    /// Epochs completed.
    pub epochs_done: usize,
    /// Optimisation steps completed.
    #[serde(default)]
    pub steps_done: usize,
    /// Best development micro F1 so far (percent), and its epoch; with `keep_last`, the last
    /// epoch's. When averaging, the model exported is `averages`' last, not this epoch.
    pub best: Option<(f64, usize)>,
    /// What was trained on: documents kept of all (`--fraction`), and their gold entities
    /// (the x-axis of a learning curve).
    #[serde(default)]
    pub data: DataSummary,
    /// Per epoch.
    pub history: Vec<Epoch>,
    /// With `average_last` > 1: the means of the last 2, 3, ... epochs, scored on `dev`; the
    /// last of them is the model exported.
    #[serde(default)]
    pub averages: Vec<Average>,
}

/// The mean of several epochs' weights, and its scores.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Average {
    /// The epochs averaged (1-based).
    pub epochs: Vec<usize>,
    /// Strict scores on the development corpus.
    pub dev: DevScores,
}

/// The size of the training data of a run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DataSummary {
    /// The labels learned, in the order of the model's outputs.
    pub labels: Vec<Label>,
    /// Training documents kept.
    pub documents: usize,
    /// Training documents in all.
    pub documents_total: usize,
    /// Gold entities in the documents kept.
    pub entities: usize,
}

/// What a run trains on, read and checked.
pub struct TrainData {
    /// The labels, in the order of the model's outputs.
    pub labels: Vec<Label>,
    /// Training units (lines of the kept documents), in corpus order.
    pub train: Vec<AnnotatedDocument>,
    /// The units of each kept document, as ranges of `train`.
    pub train_documents: Vec<std::ops::Range<usize>>,
    /// Development units.
    pub dev: Vec<AnnotatedDocument>,
    /// The units of each development document, as ranges of `dev`.
    pub dev_documents: Vec<std::ops::Range<usize>>,
    /// Its size.
    pub summary: DataSummary,
}

/// Reads the corpora of `opts`, fixes the label set (from all training documents, before
/// any fraction is taken, so every fraction learns the same labels), checks every entity of
/// both corpora against it, and cuts the kept documents into units.
///
/// # Errors
/// Unreadable corpora; an entity whose label is outside the set, or that overlaps another
/// (naming the corpus, the document and the entity).
pub fn read_data(opts: &TrainOptions) -> Result<TrainData> {
    let train: Vec<Corpus> = opts.train.iter().map(|c| load_corpus(&opts.config, c)).collect::<Result<_>>()?;
    let dev = load_corpus(&opts.config, &opts.dev)?;
    let labels = opts.labels.clone().unwrap_or_else(|| derive_labels(&train));
    if labels.is_empty() {
        return Err(Error::config("the training data have no entities, and no --labels were given"));
    }
    for corpus in train.iter().chain(std::iter::once(&dev)) {
        check_entities(corpus, &labels)?;
    }
    let documents: Vec<AnnotatedDocument> = train.into_iter().flat_map(|c| c.documents).collect();
    let kept = fraction_of(documents.len(), opts.fraction, opts.seed)?;
    let total = documents.len();
    let kept_docs: Vec<AnnotatedDocument> =
        if kept.len() == total { documents } else { kept.iter().map(|&i| documents[i].clone()).collect() };
    let summary = DataSummary {
        labels: labels.clone(),
        documents: kept_docs.len(),
        documents_total: total,
        entities: kept_docs.iter().map(|d| d.entities.len()).sum(),
    };
    let (train, train_documents) = units_by_document(&kept_docs);
    let (dev, dev_documents) = units_by_document(&dev.documents);
    Ok(TrainData { labels, train, train_documents, dev, dev_documents, summary })
}

/// The network for `labels` on the base encoder: from the base checkpoint, or from the last
/// checkpoint when resuming. Returns it with the state of the run so far.
fn build_model(opts: &TrainOptions, labels: &[Label]) -> Result<(NerModel, RunState)> {
    let base_config_path = opts.base_dir.join("config.json");
    let base_config: BertConfig = read_json(&base_config_path, "invalid config: ")?;
    let mut model = NerModel::new(ner_config(base_config, labels))?;
    let state_path = opts.work_dir.join("state.json");
    if opts.resume && state_path.is_file() {
        let state: RunState = read_json(&state_path, "invalid state: ")?;
        model.load(&opts.work_dir.join("last.ot"))?;
        eprintln!("resuming after epoch {} (optimizer moments restart from zero)", state.epochs_done);
        Ok((model, state))
    } else {
        model.init_from_base(&opts.base_dir.join("base.ot"))?;
        Ok((model, RunState::default()))
    }
}

/// Everything the loop needs, built once.
struct Plan {
    examples: Vec<Example>,
    batches: Vec<Vec<usize>>,
    /// Steps the run makes in all (the schedule's length).
    total: usize,
    warmup: usize,
    /// Each optimizer parameter group's share of the scheduled learning rate
    /// ([`layer_groups`]).
    lr_scales: Vec<f64>,
}

/// Options out of range, before anything is read.
fn check_options(opts: &TrainOptions) -> Result<()> {
    if !(opts.layer_decay > 0.0 && opts.layer_decay <= 1.0) {
        return Err(Error::config(format!("--layer-decay must be above 0 and at most 1, not {}", opts.layer_decay)));
    }
    if !(opts.rdrop >= 0.0 && opts.rdrop.is_finite()) {
        return Err(Error::config(format!("--rdrop must be a weight of at least 0, not {}", opts.rdrop)));
    }
    if !(0.0..1.0).contains(&opts.label_smoothing) {
        return Err(Error::config(format!("--label-smoothing must be at least 0 and below 1, not {}", opts.label_smoothing)));
    }
    if !(0.0..=1.0).contains(&opts.casing_noise) {
        return Err(Error::config(format!("--casing-noise must be between 0 and 1, not {}", opts.casing_noise)));
    }
    Ok(())
}

fn plan(opts: &TrainOptions, encoder: &TextEncoder, data: &TrainData) -> Result<Plan> {
    let mut rng = Rng::new(opts.seed);
    let shape = ExampleShape { max_length: opts.max_length, overlap: opts.overlap, casing: opts.casing };
    let mut examples = Vec::new();
    if opts.context_sentences > 0 {
        for range in context_groups(&data.train, &data.train_documents) {
            let group: Vec<&AnnotatedDocument> = data.train[range].iter().collect();
            examples.extend(make_context_examples(encoder, &group, &data.labels, shape, opts.context_sentences)?);
        }
    } else {
        for range in chunk_units(data.train.len(), opts.concat, &mut rng) {
            let group: Vec<&AnnotatedDocument> = data.train[range].iter().collect();
            examples.extend(make_examples(encoder, &group, &data.labels, shape)?);
        }
    }
    if opts.casing_noise > 0.0 {
        // A generator of its own: the main one's draws (concatenation, shuffles) stay those of
        // a run without noise.
        let mut noise = Rng::new(opts.seed ^ 0xCA5E);
        for unit in &data.train {
            if noise.unit() < opts.casing_noise {
                let copy = crate::data::recased(unit, noise.unit() < 0.5);
                examples.extend(make_examples(encoder, &[&copy], &data.labels, shape)?);
            }
        }
    }
    let batches = batches(&examples, opts.batch_tokens, opts.batch_examples);
    if batches.is_empty() {
        return Err(Error::config("no training examples: the training corpus has no text"));
    }
    let pieces: usize = examples.iter().map(|e| e.ids.len()).sum();
    let total = (batches.len() * opts.epochs).min(opts.max_steps.unwrap_or(usize::MAX));
    eprintln!(
        "{} of {} documents ({} entities), {} units, {} examples, {} word-pieces, {} batches per epoch, {} epochs, {total} steps; labels {}",
        data.summary.documents,
        data.summary.documents_total,
        data.summary.entities,
        data.train.len(),
        examples.len(),
        pieces,
        batches.len(),
        opts.epochs,
        data.labels.iter().map(Label::as_str).collect::<Vec<_>>().join(", ")
    );
    let warmup = ((total as f64) * opts.warmup).ceil() as usize;
    Ok(Plan { examples, batches, total, warmup, lr_scales: vec![1.0] })
}

fn progress_bar(total: usize, done: usize) -> ProgressBar {
    let pb = ProgressBar::new(total as u64);
    pb.set_style(
        ProgressStyle::with_template("epoch {prefix} [{bar:30}] step {pos}/{len} {elapsed}<{eta} loss {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb.set_position(done as u64);
    pb.reset_eta();
    pb
}

fn log(pb: &ProgressBar, line: String) {
    if pb.is_hidden() {
        eprintln!("{line}");
    } else {
        pb.println(line);
    }
}

/// One pass over the batches in a seeded order, stopping at the plan's total; returns the
/// mean loss and the steps run.
/// The progress display of a run: the bar, and what the ETA is computed from.
struct Progress {
    bar: ProgressBar,
    started: Instant,
    /// Steps done before this process started (a resumed run).
    steps_before: usize,
}

fn train_epoch(
    opts: &TrainOptions,
    model: &NerModel,
    opt: &mut nn::Optimizer,
    plan: &Plan,
    pad: i64,
    epoch: usize,
    progress: &Progress,
) -> (f64, usize) {
    let pb = &progress.bar;
    let epoch_start = Instant::now();
    let mut order: Vec<usize> = (0..plan.batches.len()).collect();
    Rng::new(opts.seed.wrapping_add(1 + epoch as u64)).shuffle(&mut order);
    pb.set_prefix(format!("{}/{}", epoch + 1, opts.epochs));
    let (mut sum, mut count, mut recent) = (0.0, 0usize, 0.0);
    for (k, &b) in order.iter().enumerate() {
        let step = epoch * plan.batches.len() + k;
        if step >= plan.total {
            break;
        }
        let lr = linear_schedule(step, plan.total, plan.warmup, opts.lr);
        let lrs: Vec<f64> = plan.lr_scales.iter().map(|share| share * lr).collect();
        let loss = train_step(model, opt, &plan.examples, &plan.batches[b], pad, &lrs, opts);
        sum += loss;
        count += 1;
        recent = if k == 0 { loss } else { 0.95 * recent + 0.05 * loss };
        pb.set_message(format!("{recent:.4}"));
        pb.inc(1);
        let last = k + 1 == order.len() || step + 1 == plan.total;
        if pb.is_hidden() && (k % 25 == 0 || last) {
            // The ETA over the whole run, from this run's own pace.
            let done = step + 1 - progress.steps_before.min(step);
            let eta = progress.started.elapsed().as_secs_f64() / done.max(1) as f64 * (plan.total - step - 1) as f64;
            eprintln!(
                "epoch {} step {}/{} loss {recent:.4} lr {lr:.2e} {:.0}s, run step {}/{}, eta {eta:.0}s",
                epoch + 1,
                k + 1,
                order.len(),
                epoch_start.elapsed().as_secs_f64(),
                step + 1,
                plan.total
            );
        }
    }
    (sum / count.max(1) as f64, count)
}

/// The whole run: read, train with per-epoch dev scores and checkpoints, export the best (or
/// the last, with `keep_last`).
///
/// # Errors
/// Missing or malformed inputs, I/O failures.
pub fn run(opts: &TrainOptions) -> Result<RunState> {
    check_options(opts)?;
    let started = Instant::now();
    tch::manual_seed(opts.seed as i64);
    tch::set_num_threads(opts.threads.max(1) as i32);
    std::fs::create_dir_all(&opts.work_dir).map_err(|e| Error::io(&opts.work_dir, e))?;
    let encoder = TextEncoder::from_file(&opts.base_dir.join("tokenizer.json"))?;
    let data = read_data(opts)?;
    let (mut model, mut state) = build_model(opts, &data.labels)?;
    state.data = data.summary.clone();
    let mut plan = plan(opts, &encoder, &data)?;
    // Before the optimizer is built: it takes the variables' groups then.
    plan.lr_scales = layer_groups(&model, opts.layer_decay);
    let averaged = averaged_epochs(opts, &plan, &state)?;
    // Trained with context, scored with it: the dev sentences in their documents (articles).
    let dev_context = (opts.context_sentences > 0).then(|| (context_groups(&data.dev, &data.dev_documents), opts.context_sentences));
    let mut opt = nn::AdamW { wd: opts.weight_decay, ..Default::default() }
        .build(&model.vs, opts.lr)
        .map_err(|e| Error::config(format!("optimizer: {e}")))?;
    let (state_path, last_path, best_path) =
        (opts.work_dir.join("state.json"), opts.work_dir.join("last.ot"), opts.work_dir.join("best.ot"));
    let progress = Progress { bar: progress_bar(plan.total, state.steps_done.min(plan.total)), started, steps_before: state.steps_done };
    for epoch in state.epochs_done..opts.epochs {
        if epoch * plan.batches.len() >= plan.total {
            break;
        }
        let epoch_start = Instant::now();
        let (loss, steps) = train_epoch(opts, &model, &mut opt, &plan, encoder.pad, epoch, &progress);
        let dev = evaluate(&model, &encoder, &data.dev, &data.labels, opts.casing, dev_context.as_ref())?;
        log(&progress.bar, format!("epoch {}: train loss {loss:.4}, dev {}", epoch + 1, dev.summary()));
        model.save(&last_path, Kind::Float)?;
        if averaged.contains(&(epoch + 1)) {
            model.save(&epoch_checkpoint(&opts.work_dir, epoch + 1), Kind::Float)?;
        }
        let f = dev.f1();
        if state.best.is_none_or(|(b, _)| f > b) {
            model.save(&best_path, Kind::Float)?;
            state.best = Some((f, epoch + 1));
        }
        state.epochs_done = epoch + 1;
        state.steps_done += steps;
        state.history.push(Epoch { loss, steps, dev, seconds: epoch_start.elapsed().as_secs_f64() });
        let json = serde_json::to_string_pretty(&state).map_err(|e| Error::format(e.to_string()))?;
        std::fs::write(&state_path, json).map_err(|e| Error::io(&state_path, e))?;
    }
    progress.bar.finish_and_clear();

    if averaged.len() > 1 {
        // The last 2, 3, ... of the epochs kept; ascending, so the model left loaded is the mean
        // of them all, the one exported.
        state.averages.clear();
        for k in 2..=averaged.len() {
            let epochs = averaged[averaged.len() - k..].to_vec();
            let paths: Vec<PathBuf> = epochs.iter().map(|&e| epoch_checkpoint(&opts.work_dir, e)).collect();
            average_checkpoints(&mut model, &paths)?;
            let dev = evaluate(&model, &encoder, &data.dev, &data.labels, opts.casing, dev_context.as_ref())?;
            eprintln!("mean of epochs {}-{}: dev {}", epochs[0], state.epochs_done, dev.summary());
            state.averages.push(Average { epochs, dev });
        }
    } else if opts.keep_last {
        state.best = state.history.last().map(|h| (h.dev.f1(), state.epochs_done));
    } else if best_path.is_file() {
        model.load(&best_path)?;
    }
    export(&model, opts, &state, started.elapsed().as_secs_f64())?;
    Ok(state)
}

/// The epochs (1-based) whose weights the run averages at its end: the last `average_last` of
/// those it will run, none without averaging. A fresh run removes the `epoch-K.ot` files an
/// earlier run left in the work directory, so that no other run's weights can be averaged in;
/// a resumed run must find those of the epochs it has already done.
///
/// # Errors
/// A resumed run that lacks the checkpoint of an epoch it is to average (it was started
/// without `--average-last`, or with a smaller one).
fn averaged_epochs(opts: &TrainOptions, plan: &Plan, state: &RunState) -> Result<Vec<usize>> {
    let last_epoch = opts.epochs.min(plan.total.div_ceil(plan.batches.len()));
    let first = last_epoch.saturating_sub(opts.average_last.max(1) - 1).max(1);
    if state.epochs_done == 0 {
        let dir = &opts.work_dir;
        for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
            let path = entry.map_err(|e| Error::io(dir, e))?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name.starts_with("epoch-") && name.ends_with(".ot") {
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            }
        }
    }
    if opts.average_last <= 1 || last_epoch < 2 {
        return Ok(Vec::new());
    }
    for epoch in first..=state.epochs_done.min(last_epoch) {
        let path = epoch_checkpoint(&opts.work_dir, epoch);
        if !path.is_file() {
            return Err(Error::config(format!(
                "--average-last {} needs the weights of epochs {first}-{last_epoch}, but epoch {epoch} was trained without \
                 keeping them ({} is missing): run again without --resume, or with a smaller --average-last",
                opts.average_last,
                path.display()
            )));
        }
    }
    Ok((first..=last_epoch).collect())
}

/// Where the weights at the end of `epoch` (1-based) are kept when averaging.
fn epoch_checkpoint(work_dir: &std::path::Path, epoch: usize) -> PathBuf {
    work_dir.join(format!("epoch-{epoch}.ot"))
}

/// Sets `model`'s variables to the element-wise mean of the checkpoints at `paths` (a
/// uniform average of weights: one fine-tuning run's late epochs sit in one basin, and their
/// mean is usually flatter and better than any of them, at no cost at inference).
///
/// # Errors
/// A checkpoint that cannot be loaded (naming it), or `paths` empty.
pub fn average_checkpoints(model: &mut NerModel, paths: &[PathBuf]) -> Result<()> {
    if paths.is_empty() {
        return Err(Error::config("no checkpoints to average"));
    }
    let mut sum: std::collections::HashMap<String, tch::Tensor> = std::collections::HashMap::new();
    for path in paths {
        model.load(path)?;
        tch::no_grad(|| {
            for (name, var) in model.vs.variables() {
                match sum.get_mut(&name) {
                    // Deep copies: the variables share storage with the model.
                    None => drop(sum.insert(name, var.detach().copy())),
                    Some(total) => *total += var.detach(),
                }
            }
        });
    }
    let n = paths.len() as f64;
    tch::no_grad(|| {
        for (name, mut var) in model.vs.variables() {
            var.copy_(&(&sum[&name] / n));
        }
    });
    Ok(())
}

/// Averages the weights of model directories into a new one (a uniform "model soup"):
/// `model.ot` is the element-wise mean (fp16), `config.json` and `tokenizer.json` are the
/// first input's, and `soup.json` records each input (its path as given and as resolved, its
/// `training.json`, or its own `soup.json` when it is a soup), so that the result says how it
/// was made. The inputs must share the configuration (architecture and label map) and the
/// tokenizer, which is what makes their weights comparable at all.
///
/// # Errors
/// No or missing inputs, one given twice (it would silently count double), inputs whose
/// `config.json` or `tokenizer.json` differ, `out_dir` being one of the inputs (the result
/// would overwrite what it is read from), I/O failures.
pub fn average_models(models: &[PathBuf], out_dir: &std::path::Path) -> Result<()> {
    let Some(first) = models.first() else {
        return Err(Error::config("no models to average"));
    };
    let resolved: Vec<PathBuf> = models.iter().map(|dir| dir.canonicalize().map_err(|e| Error::io(dir, e))).collect::<Result<_>>()?;
    // An `--out` that does not exist yet cannot be an input.
    let out = out_dir.canonicalize().ok();
    for (k, dir) in resolved.iter().enumerate() {
        if resolved[..k].contains(dir) {
            return Err(Error::config(format!("{} is given twice: each input counts once in the mean", models[k].display())));
        }
        if out.as_ref() == Some(dir) {
            return Err(Error::config(format!("--out {} is one of the inputs: write the soup to another directory", out_dir.display())));
        }
    }
    for name in ["config.json", "tokenizer.json"] {
        let reference: serde_json::Value = read_json(&first.join(name), "")?;
        for dir in &models[1..] {
            if read_json::<serde_json::Value>(&dir.join(name), "")? != reference {
                return Err(Error::config(format!(
                    "{} and {} differ in {name} (architecture, labels or vocabulary): only models of one shape can be averaged",
                    first.display(),
                    dir.display()
                )));
            }
        }
    }
    let (bert_config, _) = nerlab_transformer::model::read_config(&first.join("config.json"))?;
    let mut model = NerModel::new(bert_config)?;
    let weights: Vec<PathBuf> = models.iter().map(|dir| dir.join("model.ot")).collect();
    average_checkpoints(&mut model, &weights)?;
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
    model.save(&out_dir.join("model.ot"), Kind::Half)?;
    for name in ["config.json", "tokenizer.json"] {
        let (from, to) = (first.join(name), out_dir.join(name));
        std::fs::copy(&from, &to).map_err(|e| Error::io(&from, e))?;
    }
    // A soup has no training run of its own: an earlier model's record would misdescribe it.
    let stale = out_dir.join("training.json");
    if stale.exists() {
        std::fs::remove_file(&stale).map_err(|e| Error::io(&stale, e))?;
    }
    let ingredients: Vec<serde_json::Value> = models
        .iter()
        .zip(&resolved)
        .map(|(dir, path)| {
            let optional = |name: &str| read_json(&dir.join(name), "").unwrap_or(serde_json::Value::Null);
            serde_json::json!({ "model": dir, "path": path, "training": optional("training.json"), "soup": optional("soup.json") })
        })
        .collect();
    let path = out_dir.join("soup.json");
    let text = serde_json::to_string_pretty(&serde_json::json!({ "mean_of": ingredients })).map_err(|e| Error::format(e.to_string()))?;
    std::fs::write(&path, text + "\n").map_err(|e| Error::io(&path, e))
}

/// A JSON file read as `T`; a parse error is a format error naming the file, its message after
/// `context`.
fn read_json<T: serde::de::DeserializeOwned>(path: &std::path::Path, context: &str) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::format(format!("{context}{e}")).with_path(path))
}

/// Writes the model directory: `model.ot` (fp16), `config.json` (with the label map in
/// `id2label`, which the extractor reads), `tokenizer.json` (without truncation and padding)
/// and `training.json` (options, history).
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
    let mut tok: serde_json::Value = read_json(&tok_path, "")?;
    tok["truncation"] = serde_json::Value::Null;
    tok["padding"] = serde_json::Value::Null;
    write_json("tokenizer.json", &tok)?;
    let info = serde_json::json!({ "options": opts, "state": state, "seconds": seconds });
    write_json("training.json", &info)
}
