//! `cargo xtask curve`: the learning curve. How much annotation until a learned extractor beats
//! the rules, and is more annotation still paying?
//!
//! The transformer is trained (by the trainer, `cargo xtask train`) and the dictionary's
//! gazetteer is learnt (`nerlab_dictionary::learn`, as `cargo xtask gazetteer --from`) on
//! growing, nested fractions of a training corpus; each is run over a dev corpus by
//! `nerlab extract` and scored by `nerlab_core::metrics` with the bootstrap intervals of
//! `nerlab_core::analysis`, as `nerlab eval` scores. The configured extractors that this does
//! not train (rules, commands, plugins) are scored once, as flat lines. Results go to
//! `curve.json` (docs/curve-schema.md) and `curve.svg` under `target/nerlab/curve/`, rewritten
//! after every fraction so an interrupted run keeps what it measured.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};
use nerlab_core::analysis::{bootstrap_intervals, BootstrapSettings};
use nerlab_core::corpus::sample_fraction;
use nerlab_core::learning_curve::{CorpusInfo, Curve, Flat, Learned, Point, Score};
use nerlab_core::metrics::evaluate;
use nerlab_core::{AnnotatedDocument, CorpusFormat, Entity, Label, TagScheme};
use nerlab_dictionary::learn::LearnSettings;
use plotters::prelude::*;
use serde::Deserialize;

use crate::corpora::{config_table, Corpus};
use crate::util::{cargo, project_root, run_cmd};

const HELP: &str = "\
cargo xtask curve --train CORPUS --dev CORPUS [options]

Trains the transformer and learns the dictionary's gazetteer on nested fractions of the
training corpus, scores each on the dev corpus (strict micro F1 with bootstrap intervals, as
`nerlab eval`), with the untrained configured extractors as flat lines. Writes curve.json and
curve.svg under --out. CORPUS: a corpus name of the config, or a path (directory = brat,
*.jsonl, else CoNLL IOB2).

options:
  --config FILE        the config naming corpora and extractors [nerlab.toml]
  --fractions LIST     percentages of the training documents [10,25,50,100]
  --seed N             seed of the document order the fractions are cut from [42]
  --labels A,B         labels to train and score [those of the training corpus]
  --epochs N           training epochs per fraction [the trainer's default]
  --max-steps N        at most N optimiser steps per fraction [none; 150 with --quick]
  --quick              at most 100 dev documents (a seeded sample) and --max-steps 150
  --flat A,B           untrained extractors drawn as flat lines, `none` for none
                       [every enabled rules, command and plugin extractor of the config]
  --no-transformer     learn only the dictionary (no libtorch, no training)
  --base DIR           the base encoder the trainer starts from [the trainer's default]
  --no-build           use target/release/nerlab and nerlab-train as they are (no cargo build)
  --out DIR            where results go [target/nerlab/curve]

cargo xtask curve --redraw DIR   draws DIR/curve.svg again from DIR/curve.json
";

/// Dev documents kept by `--quick`.
const QUICK_DEV_DOCUMENTS: usize = 100;
/// Optimiser steps per fraction with `--quick` unless `--max-steps` says otherwise.
const QUICK_MAX_STEPS: usize = 150;
/// Kinds of configured extractors that the curve does not train: its flat lines by default.
const FLAT_KINDS: [&str; 3] = ["rules", "command", "plugin"];

/// The command line.
#[derive(Debug, Clone)]
struct Options {
    train: String,
    dev: String,
    config: PathBuf,
    fractions: Vec<f64>,
    seed: u64,
    labels: Option<Vec<Label>>,
    epochs: Option<usize>,
    max_steps: Option<usize>,
    quick: bool,
    flat: Option<Vec<String>>,
    transformer: bool,
    build: bool,
    base: Option<PathBuf>,
    out: PathBuf,
}

impl Options {
    fn parse(args: &[String]) -> anyhow::Result<Option<Options>> {
        let root = project_root();
        let (mut train, mut dev) = (None, None);
        let mut o = Options {
            train: String::new(),
            dev: String::new(),
            config: root.join("nerlab.toml"),
            fractions: vec![0.10, 0.25, 0.50, 1.0],
            seed: 42,
            labels: None,
            epochs: None,
            max_steps: None,
            quick: false,
            flat: None,
            transformer: true,
            build: true,
            base: None,
            out: root.join("target/nerlab/curve"),
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = || it.next().cloned().with_context(|| format!("{arg} needs a value"));
            match arg.as_str() {
                "--help" | "-h" => return Ok(None),
                "--train" => train = Some(value()?),
                "--dev" => dev = Some(value()?),
                "--config" => o.config = value()?.into(),
                "--fractions" => o.fractions = parse_fractions(&value()?)?,
                "--seed" => o.seed = value()?.parse().context("--seed takes a whole number")?,
                "--labels" => o.labels = Some(value()?.split(',').map(|l| Label::new(l.trim())).collect::<Result<_, _>>()?),
                "--epochs" => o.epochs = Some(value()?.parse().context("--epochs takes a whole number")?),
                "--max-steps" => o.max_steps = Some(value()?.parse().context("--max-steps takes a whole number")?),
                "--quick" => o.quick = true,
                "--flat" => {
                    let v = value()?;
                    o.flat = Some(if v == "none" { Vec::new() } else { v.split(',').map(|s| s.trim().to_string()).collect() });
                }
                "--no-transformer" => o.transformer = false,
                "--no-build" => o.build = false,
                "--base" => o.base = Some(value()?.into()),
                "--out" => o.out = value()?.into(),
                other => bail!("unknown option {other:?}\n\n{HELP}"),
            }
        }
        o.train = train.with_context(|| format!("--train CORPUS is needed\n\n{HELP}"))?;
        o.dev = dev.with_context(|| format!("--dev CORPUS is needed\n\n{HELP}"))?;
        // Child processes run in the project root: paths given relative to here must not move.
        o.out = std::env::current_dir()?.join(&o.out);
        if o.quick && o.max_steps.is_none() {
            o.max_steps = Some(QUICK_MAX_STEPS);
        }
        Ok(Some(o))
    }
}

/// `10,25,50,100` (percent) as sorted, distinct fractions in (0, 1].
fn parse_fractions(list: &str) -> anyhow::Result<Vec<f64>> {
    let mut out = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let percent: f64 = item.trim_end_matches('%').parse().with_context(|| format!("--fractions: {item:?} is not a number"))?;
        if !(percent > 0.0 && percent <= 100.0) {
            bail!("--fractions: {item} is not a percentage in (0, 100]");
        }
        out.push(percent / 100.0);
    }
    out.sort_by(f64::total_cmp);
    out.dedup();
    if out.is_empty() {
        bail!("--fractions names no fraction");
    }
    Ok(out)
}

/// The documents of each fraction, as ascending indices into a corpus of `n` documents:
/// nested and deterministic for one seed (`nerlab_core::corpus::sample_fraction`).
pub fn nested_subsets(n: usize, fractions: &[f64], seed: u64) -> Vec<Vec<usize>> {
    fractions.iter().map(|&f| sample_fraction(n, f, seed)).collect()
}

pub fn run(args: &[String]) -> anyhow::Result<()> {
    if let [flag, dir] = args {
        if flag == "--redraw" {
            return redraw(Path::new(dir));
        }
    }
    let Some(o) = Options::parse(args)? else {
        print!("{HELP}");
        return Ok(());
    };
    let started = Instant::now();
    let train_corpus = Corpus::resolve(&o.config, &o.train)?;
    let dev_corpus = Corpus::resolve(&o.config, &o.dev)?;
    let train = train_corpus.read()?;
    let mut dev = dev_corpus.read()?;
    let labels = match &o.labels {
        Some(l) => l.clone(),
        // The trainer's order: PER, ORG, LOC, MISC first (as the shipped model), then sorted.
        None => {
            let found: BTreeSet<Label> = train.iter().flat_map(|d| d.entities.iter().map(|e| e.label.clone())).collect();
            let conll = Label::CONLL.into_iter().filter(|l| found.contains(l));
            conll.chain(found.iter().filter(|l| !Label::CONLL.contains(l)).cloned()).collect()
        }
    };
    if labels.is_empty() {
        bail!("the training corpus {} has no entities: nothing to learn", train_corpus.name);
    }
    if o.quick && dev.len() > QUICK_DEV_DOCUMENTS {
        let keep = nested_subsets(dev.len(), &[QUICK_DEV_DOCUMENTS as f64 / dev.len() as f64], o.seed).remove(0);
        dev = keep.into_iter().map(|i| dev[i].clone()).collect();
    }
    let data = o.out.join("data");
    std::fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
    let dev_path = data.join("dev.jsonl");
    nerlab_core::write_corpus(&dev_path, &CorpusFormat::Jsonl, &dev)?;

    let mut curve = Curve {
        train: corpus_info(&train_corpus, &train, &labels),
        dev: corpus_info(&dev_corpus, &dev, &labels),
        labels: labels.iter().map(|l| l.as_str().to_string()).collect(),
        fractions: o.fractions.clone(),
        seed: o.seed,
        epochs: o.epochs,
        max_steps: o.max_steps,
        quick: o.quick,
        bootstrap: BootstrapSettings::default(),
        learned: Vec::new(),
        flat: Vec::new(),
        seconds: 0.0,
    };
    eprintln!(
        "curve: {} ({} documents, {} entities of {}) → dev {} ({} documents, {} entities), fractions {:?}",
        curve.train.name,
        curve.train.documents,
        curve.train.entities,
        curve.labels.join(", "),
        curve.dev.name,
        curve.dev.documents,
        curve.dev.entities,
        o.fractions.iter().map(|f| format!("{}%", f * 100.0)).collect::<Vec<_>>()
    );

    if o.build {
        run_cmd(cargo().args(["build", "--release", "--package", "nerlab-orchestrator", "--bin", "nerlab"]))?;
    }
    let nerlab = project_root().join("target/release/nerlab");
    let scorer = Scorer { gold: &dev, labels: &labels, settings: curve.bootstrap };

    for (name, kind) in flat_extractors(&o.config, o.flat.as_deref())? {
        eprintln!("curve: scoring {name} ({kind}) on dev, a flat line");
        let (score, error) = split(extract(&nerlab, &o.config, &name, &dev_path).map(|p| scorer.score(&p)));
        curve.flat.push(Flat { name, kind, score, error });
    }

    let mut dictionary = Learned { name: "dictionary".into(), points: Vec::new() };
    let mut transformer = Learned { name: "transformer".into(), points: Vec::new() };
    let subsets = nested_subsets(train.len(), &o.fractions, o.seed);
    let words = |subset: &[usize]| subset.iter().map(|&i| train[i].document.whitespace_tokens()).sum::<usize>().max(1);
    let mut eta = Eta::default();
    for (k, (subset, &fraction)) in subsets.iter().zip(&o.fractions).enumerate() {
        let docs: Vec<AnnotatedDocument> = subset.iter().map(|&i| train[i].clone()).collect();
        let entities = count_entities(&docs, &labels);
        let dir = o.out.join(format!("fraction-{:03}", (fraction * 100.0).round() as usize));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        eprintln!(
            "curve [{}/{}] {}% of {}: {} documents, {entities} entities{}",
            k + 1,
            subsets.len(),
            fraction * 100.0,
            train_corpus.name,
            docs.len(),
            eta.describe(words(subset), subsets[k..].iter().map(|s| words(s)).sum())
        );
        let point = |seconds: f64, result: anyhow::Result<Score>| {
            let (score, error) = split(result);
            Point { fraction, documents: docs.len(), entities, seconds, score, error }
        };

        let t = Instant::now();
        let gazetteer = dir.join("gazetteer.tsv");
        let built = crate::gazetteer::write_from_corpus(&docs, &train_corpus, &LearnSettings::default(), &gazetteer);
        let seconds = t.elapsed().as_secs_f64();
        write_fraction_config(&dir, o.transformer)?;
        let result = built.and_then(|_| extract(&nerlab, &dir.join("nerlab.toml"), "dictionary", &dev_path)).map(|p| scorer.score(&p));
        dictionary.points.push(point(seconds, result));

        if o.transformer {
            let t = Instant::now();
            let trained = train_fraction(&o, &train_corpus, &docs, &labels, &dev_path, &dir);
            let seconds = t.elapsed().as_secs_f64();
            eta.record(words(subset), seconds);
            let result =
                trained.and_then(|_| extract(&nerlab, &dir.join("nerlab.toml"), "transformer", &dev_path)).map(|p| scorer.score(&p));
            transformer.points.push(point(seconds, result));
        }
        curve.learned = [transformer.clone(), dictionary.clone()].into_iter().filter(|s| !s.points.is_empty()).collect();
        curve.seconds = started.elapsed().as_secs_f64();
        write_outputs(&o.out, &curve)?;
    }
    eprint!("{}", summary(&curve));
    eprintln!("curve: wrote {0}/curve.json and {0}/curve.svg in {1:.0} s", o.out.display(), curve.seconds);
    Ok(())
}

/// `Ok(x)` → `(Some(x), None)`, an error → `(None, Some(message))` (with its causes).
fn split<T>(result: anyhow::Result<T>) -> (Option<T>, Option<String>) {
    match result {
        Ok(x) => (Some(x), None),
        Err(e) => {
            eprintln!("curve: {e:#}");
            (None, Some(format!("{e:#}")))
        }
    }
}

fn count_entities(docs: &[AnnotatedDocument], labels: &[Label]) -> usize {
    docs.iter().flat_map(|d| &d.entities).filter(|e| labels.contains(&e.label)).count()
}

fn corpus_info(corpus: &Corpus, docs: &[AnnotatedDocument], labels: &[Label]) -> CorpusInfo {
    CorpusInfo {
        name: corpus.name.clone(),
        path: corpus.path.display().to_string(),
        documents: docs.len(),
        entities: count_entities(docs, labels),
    }
}

/// Training time per training word from the fractions done so far, for estimates.
#[derive(Default)]
struct Eta {
    words: usize,
    seconds: f64,
}

impl Eta {
    fn record(&mut self, words: usize, seconds: f64) {
        self.words += words;
        self.seconds += seconds;
    }

    /// `; training about 3 min, the rest of the curve about 9 min` once something was timed.
    fn describe(&self, next: usize, rest: usize) -> String {
        if self.words == 0 {
            return String::new();
        }
        let rate = self.seconds / self.words as f64;
        format!("; training about {}, the rest of the curve about {}", minutes(rate * next as f64), minutes(rate * rest as f64))
    }
}

fn minutes(seconds: f64) -> String {
    if seconds < 90.0 {
        format!("{seconds:.0} s")
    } else {
        format!("{:.0} min", seconds / 60.0)
    }
}

/// The config's enabled extractors of the [`FLAT_KINDS`], or those named by `--flat`, as
/// `(name, kind)`.
fn flat_extractors(config: &Path, named: Option<&[String]>) -> anyhow::Result<Vec<(String, String)>> {
    let table = config_table(config)?;
    let entries = table.get("extractors").and_then(toml::Value::as_array).cloned().unwrap_or_default();
    let field = |e: &toml::Value, key: &str| e.get(key).and_then(toml::Value::as_str).unwrap_or_default().to_string();
    let all: Vec<(String, String, bool)> = entries
        .iter()
        .map(|e| (field(e, "name"), field(e, "kind"), e.get("enabled").and_then(toml::Value::as_bool).unwrap_or(true)))
        .collect();
    match named {
        Some(names) => names
            .iter()
            .map(|n| {
                all.iter()
                    .find(|(name, ..)| name == n)
                    .map(|(name, kind, _)| (name.clone(), kind.clone()))
                    .with_context(|| format!("--flat: no extractor named {n:?} in {}", config.display()))
            })
            .collect(),
        None => Ok(all
            .into_iter()
            .filter(|(_, kind, enabled)| *enabled && FLAT_KINDS.contains(&kind.as_str()))
            .map(|(n, k, _)| (n, k))
            .collect()),
    }
}

/// The config of one fraction: its gazetteer as the dictionary, its model as the transformer.
fn write_fraction_config(dir: &Path, transformer: bool) -> anyhow::Result<()> {
    let mut text = String::from(
        "# Written by `cargo xtask curve`: what was learnt from this fraction of the training corpus.\n\n\
         [[extractors]]\nname = \"dictionary\"\nkind = \"dictionary\"\nparams = { gazetteers = [{ path = \"gazetteer.tsv\" }] }\n",
    );
    if transformer {
        text.push_str("\n[[extractors]]\nname = \"transformer\"\nkind = \"transformer\"\nthreads = 1\nbatch_size = 64\nparams = { model_dir = \"model\" }\n");
    }
    let path = dir.join("nerlab.toml");
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
}

/// Trains the transformer on `docs` into `dir/model` with the trainer's CLI.
fn train_fraction(
    o: &Options,
    corpus: &Corpus,
    docs: &[AnnotatedDocument],
    labels: &[Label],
    dev: &Path,
    dir: &Path,
) -> anyhow::Result<()> {
    // The fraction in the corpus's own format where the trainer reads it from a path
    // (CoNLL keeps its tokens), JSONL otherwise.
    let (path, format) = match corpus.format {
        CorpusFormat::Conll { .. } => (dir.join("train.conll"), CorpusFormat::Conll { scheme: TagScheme::Iob2, sentences_per_document: 1 }),
        _ => (dir.join("train.jsonl"), CorpusFormat::Jsonl),
    };
    nerlab_core::write_corpus(&path, &format, docs)?;
    let labels = labels.iter().map(Label::as_str).collect::<Vec<_>>().join(",");
    let mut args = vec![
        "--train".to_string(),
        path.display().to_string(),
        "--dev".into(),
        dev.display().to_string(),
        "--labels".into(),
        labels,
        // The last epoch, not the best on dev: dev is what the curve scores, so it must not
        // also choose (the shipped recipe's selection run picked its last epoch anyway).
        "--keep-last".into(),
        "--out".into(),
        dir.join("model").display().to_string(),
        // Checkpoints of this fraction only: fractions never resume each other's runs.
        "--work".into(),
        dir.join("work").display().to_string(),
    ];
    for (flag, value) in [("--epochs", o.epochs), ("--max-steps", o.max_steps)] {
        if let Some(v) = value {
            args.extend([flag.to_string(), v.to_string()]);
        }
    }
    if let Some(base) = &o.base {
        args.extend(["--base".into(), base.display().to_string()]);
    }
    if o.build {
        return crate::train::run(&args).context("training the transformer");
    }
    let trainer = project_root().join("target/release/nerlab-train");
    run_cmd(Command::new(trainer).current_dir(project_root()).args(&args)).context("training the transformer")
}

/// One line of `nerlab extract`'s output.
#[derive(Deserialize)]
struct Extracted {
    id: String,
    entities: Vec<Entity>,
}

/// Runs the extractor `name` of `config` over the documents of `input` (JSONL) with
/// `nerlab extract`; its entities by document id. Documents it failed on are missing.
fn extract(nerlab: &Path, config: &Path, name: &str, input: &Path) -> anyhow::Result<HashMap<String, Vec<Entity>>> {
    let mut cmd = Command::new(nerlab);
    cmd.current_dir(project_root()).arg("extract").arg("--config").arg(config).args(["--extractor", name, "--quiet"]).arg(input);
    let output = cmd.output().with_context(|| format!("could not start {}", nerlab.display()))?;
    let stdout = String::from_utf8(output.stdout).context("nerlab extract wrote invalid UTF-8")?;
    let mut found = HashMap::new();
    for (n, line) in stdout.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let e: Extracted = serde_json::from_str(line).with_context(|| format!("nerlab extract, output line {}", n + 1))?;
        found.insert(e.id, e.entities);
    }
    if !output.status.success() && found.is_empty() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(8).collect::<Vec<_>>().into_iter().rev().collect();
        bail!("nerlab extract --extractor {name} failed ({}):\n{}", output.status, tail.join("\n"));
    }
    Ok(found)
}

/// Scores predictions against the dev gold exactly as `nerlab eval` does.
struct Scorer<'a> {
    gold: &'a [AnnotatedDocument],
    labels: &'a [Label],
    settings: BootstrapSettings,
}

impl Scorer<'_> {
    fn score(&self, predicted: &HashMap<String, Vec<Entity>>) -> Score {
        let none: Vec<Entity> = Vec::new();
        let pairs: Vec<(&[Entity], &[Entity])> =
            self.gold.iter().map(|g| (g.entities.as_slice(), predicted.get(&g.document.id).unwrap_or(&none).as_slice())).collect();
        let evaluation = evaluate(pairs.iter().copied(), self.labels);
        let intervals = bootstrap_intervals(&pairs, self.labels, &self.settings);
        let micro = evaluation.micro;
        Score {
            precision: micro.precision,
            recall: micro.recall,
            f1: micro.f1,
            f1_interval: intervals.micro.f1,
            per_label: evaluation.per_label.iter().map(|(l, s)| (l.as_str().to_string(), s.f1)).collect(),
            true_positives: micro.true_positives,
            false_positives: micro.false_positives,
            false_negatives: micro.false_negatives,
            failed_documents: self.gold.iter().filter(|g| !predicted.contains_key(&g.document.id)).count(),
        }
    }
}

fn write_outputs(out: &Path, curve: &Curve) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(curve)? + "\n";
    // Replaced whole (a temporary file renamed), so a report reading it meanwhile never sees
    // half a file.
    let svg = curve_svg(curve)?;
    nerlab_core::formats::write_atomic(&out.join("curve.svg"), svg.as_bytes())?;
    nerlab_core::formats::write_atomic(&out.join("curve.json"), json.as_bytes())?;
    Ok(())
}

/// `--redraw DIR`: `curve.svg` drawn again from `DIR/curve.json` (after an upgrade of the
/// picture), without training anything.
fn redraw(dir: &Path) -> anyhow::Result<()> {
    let path = dir.join("curve.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let curve: Curve = serde_json::from_str(&text).with_context(|| format!("{} is not a curve.json", path.display()))?;
    nerlab_core::formats::write_atomic(&dir.join("curve.svg"), curve_svg(&curve)?.as_bytes())?;
    eprint!("{}", summary(&curve));
    eprintln!("curve: wrote {}/curve.svg", dir.display());
    Ok(())
}

/// The curve as a table for the terminal.
fn summary(curve: &Curve) -> String {
    let f1 = |s: &Option<Score>| match s {
        Some(s) => format!("{:5.1} [{:.1}, {:.1}]", 100.0 * s.f1, 100.0 * s.f1_interval.low, 100.0 * s.f1_interval.high),
        None => "failed".into(),
    };
    let mut out = format!("\nstrict micro F1 on {} over {} (95% bootstrap interval)\n", curve.dev.name, curve.labels.join(", "));
    for series in &curve.learned {
        for p in &series.points {
            out += &format!(
                "  {:<12} {:>5.0}% {:>6} entities  {}  ({:.0} s)\n",
                series.name,
                100.0 * p.fraction,
                p.entities,
                f1(&p.score),
                p.seconds
            );
        }
    }
    for flat in &curve.flat {
        out += &format!("  {:<12} (flat)               {}\n", flat.name, f1(&flat.score));
    }
    for verdict in curve.verdicts() {
        out += &format!("{}\n", verdict.sentence());
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The picture

const WIDTH: u32 = 880;
const HEIGHT: u32 = 480;
const COLOURS: [RGBColor; 8] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
];

/// The bottom of the F1 axis: the lowest interval drawn, less a margin, down to a multiple of
/// 10, so curves that all sit between 60 and 95 are not squeezed into the top third.
fn y_floor(curve: &Curve) -> f64 {
    let learned = curve.learned.iter().flat_map(|s| &s.points).filter_map(|p| p.score.as_ref());
    let lowest = learned.chain(curve.flat.iter().filter_map(|f| f.score.as_ref())).map(|s| 100.0 * s.f1_interval.low).fold(100.0, f64::min);
    ((lowest - 5.0) / 10.0).floor().clamp(0.0, 9.0) * 10.0
}

/// `curve.svg`: strict micro F1 (%) with its interval against annotated entities (log axis);
/// each learnt extractor a line through its points with error bars, each flat extractor a
/// dashed horizontal line, every series named once in the legend.
pub fn curve_svg(curve: &Curve) -> anyhow::Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, curve).map_err(|e| anyhow::anyhow!("cannot draw the curve: {e}"))?;
        root.present().map_err(|e| anyhow::anyhow!("cannot draw the curve: {e}"))?;
    }
    Ok(svg)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    curve: &Curve,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let ink = RGBColor(0x33, 0x3a, 0x45);
    let xs: Vec<f64> = curve.learned.iter().flat_map(|s| &s.points).map(|p| p.entities.max(1) as f64).collect();
    let (x_min, x_max) = xs.iter().fold((f64::INFINITY, 0.0_f64), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    let (x_min, x_max) = if xs.is_empty() { (1.0, (curve.train.entities.max(2)) as f64) } else { (x_min / 1.5, x_max * 1.5) };
    let caption = format!(
        "Learning curve: {} → {} ({}){}",
        curve.train.name,
        curve.dev.name,
        curve.labels.join(", "),
        if curve.quick { ", quick" } else { "" }
    );
    let mut chart = ChartBuilder::on(root)
        .caption(caption, ("sans-serif", 19).into_font().color(&ink))
        .margin(18)
        .margin_right(36)
        .x_label_area_size(52)
        .y_label_area_size(64)
        .build_cartesian_2d((x_min..x_max).log_scale(), y_floor(curve)..100.0)?;
    chart
        .configure_mesh()
        .x_desc("annotated entities in the training fraction (log scale)")
        .y_desc("strict micro F1 (%) on dev, 95% interval")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .axis_desc_style(("sans-serif", 15).into_font().color(&ink))
        .label_style(("sans-serif", 13).into_font().color(&ink))
        .bold_line_style(RGBColor(0xe6, 0xe9, 0xee))
        .max_light_lines(0)
        .axis_style(ink.mix(0.6))
        .draw()?;

    for (i, series) in curve.learned.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let scored: Vec<(f64, &Score)> = series.points.iter().filter_map(|p| Some((p.entities.max(1) as f64, p.score.as_ref()?))).collect();
        chart
            .draw_series(LineSeries::new(scored.iter().map(|(x, s)| (*x, 100.0 * s.f1)), colour.stroke_width(2)))?
            .label(series.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
        for (x, s) in &scored {
            let (lo, hi) = (100.0 * s.f1_interval.low, 100.0 * s.f1_interval.high);
            chart.draw_series([PathElement::new(vec![(*x, lo), (*x, hi)], colour.stroke_width(1))])?;
            chart.draw_series([Circle::new((*x, 100.0 * s.f1), 5, colour.filled())])?;
        }
    }
    for (j, flat) in curve.flat.iter().enumerate() {
        let colour = COLOURS[(curve.learned.len() + j) % COLOURS.len()];
        let Some(s) = &flat.score else { continue };
        let y = 100.0 * s.f1;
        chart
            .draw_series(DashedLineSeries::new([(x_min, y), (x_max, y)], 8, 5, colour.stroke_width(2)))?
            .label(format!("{} (not trained)", flat.name))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
        let band = [(x_min, 100.0 * s.f1_interval.low), (x_max, 100.0 * s.f1_interval.high)];
        chart.draw_series([Rectangle::new(band, colour.mix(0.08).filled())])?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(ink.mix(0.4))
        .label_font(("sans-serif", 14).into_font().color(&ink))
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use nerlab_core::analysis::Interval;

    use super::*;

    #[test]
    fn fractions_are_percentages_cut_from_one_seeded_order() {
        let fractions = parse_fractions("50, 10,25,100%,25").unwrap();
        assert_eq!(fractions, [0.1, 0.25, 0.5, 1.0], "sorted, distinct");
        for bad in ["0", "101", "x", ""] {
            assert!(parse_fractions(bad).is_err(), "{bad:?}");
        }
        // Nesting and seeding are core's (`sample_fraction`, tested there); here each fraction
        // gets its share and the last one everything.
        let subsets = nested_subsets(187, &fractions, 42);
        assert_eq!(subsets.iter().map(Vec::len).collect::<Vec<_>>(), [19, 47, 94, 187]);
        assert!(subsets[0].iter().all(|i| subsets[1].contains(i)));
    }

    fn score(f1: f64) -> Score {
        Score {
            precision: f1,
            recall: f1,
            f1,
            f1_interval: Interval { low: f1 - 0.05, high: f1 + 0.05 },
            per_label: [("DATE".to_string(), f1)].into(),
            true_positives: 1,
            false_positives: 0,
            false_negatives: 0,
            failed_documents: 0,
        }
    }

    fn sample_curve() -> Curve {
        let info = |name: &str| CorpusInfo { name: name.into(), path: format!("corpus/{name}"), documents: 100, entities: 80 };
        let points = |f1s: &[f64]| -> Vec<Point> {
            [0.25, 0.5, 1.0]
                .iter()
                .zip(f1s)
                .map(|(&fraction, &f1)| Point {
                    fraction,
                    documents: (fraction * 100.0) as usize,
                    entities: (fraction * 80.0) as usize,
                    seconds: 1.0,
                    score: Some(score(f1)),
                    error: None,
                })
                .collect()
        };
        Curve {
            train: info("train"),
            dev: info("dev"),
            labels: vec!["DATE".into()],
            fractions: vec![0.25, 0.5, 1.0],
            seed: 42,
            epochs: Some(3),
            max_steps: None,
            quick: true,
            bootstrap: BootstrapSettings::default(),
            learned: vec![
                Learned { name: "transformer".into(), points: points(&[0.4, 0.6, 0.7]) },
                Learned { name: "dictionary".into(), points: points(&[0.3, 0.35, 0.5]) },
            ],
            flat: vec![
                Flat { name: "rules".into(), kind: "rules".into(), score: Some(score(0.55)), error: None },
                Flat { name: "broken".into(), kind: "command".into(), score: None, error: Some("no such program".into()) },
            ],
            seconds: 12.5,
        }
    }

    #[test]
    fn curve_json_has_the_documented_fields_and_reads_back() {
        let curve = sample_curve();
        let value = serde_json::to_value(&curve).unwrap();
        let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<BTreeSet<_>>();
        let doc = std::fs::read_to_string(project_root().join("docs/curve-schema.md")).unwrap();
        // Every field written is documented (as `name` in a table row) and vice versa for the top level.
        let point = &value["learned"][0]["points"][0];
        for (what, v) in [
            ("top", &value),
            ("corpus", &value["train"]),
            ("learned", &value["learned"][0]),
            ("point", point),
            ("score", &point["score"]),
            ("flat", &value["flat"][0]),
        ] {
            for key in keys(v) {
                assert!(doc.contains(&format!("| `{key}` |")), "{what} field {key} is not in docs/curve-schema.md");
            }
        }
        assert!((point["score"]["f1_interval"]["low"].as_f64().unwrap() - 0.35).abs() < 1e-12);
        assert!(value["flat"][1]["score"].is_null() && value["flat"][1]["error"].is_string());
        let back: Curve = serde_json::from_value(value).unwrap();
        assert_eq!(back, curve);
    }

    /// The trimmed contents of the SVG's `<text>` elements.
    fn texts(svg: &str) -> Vec<&str> {
        svg.split("<text").skip(1).map(|t| t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()].trim()).collect()
    }

    #[test]
    fn svg_has_one_series_per_extractor() {
        let curve = sample_curve();
        let svg = curve_svg(&curve).unwrap();
        let labels = texts(&svg);
        for name in ["transformer", "dictionary", "rules (not trained)"] {
            assert_eq!(labels.iter().filter(|l| **l == name).count(), 1, "{name} in {labels:?}");
        }
        // A failed extractor has no line; each scored point is one circle.
        assert!(!labels.iter().any(|l| l.contains("broken")));
        assert_eq!(svg.matches("<circle").count(), 6);
        // The F1 axis starts below the lowest interval (0.25 here), on a multiple of 10.
        assert_eq!(y_floor(&curve), 20.0);
        // An empty curve still draws.
        let empty = Curve { learned: Vec::new(), flat: Vec::new(), ..curve };
        assert!(curve_svg(&empty).unwrap().contains("<svg"));
        assert_eq!(y_floor(&empty), 90.0);
    }
}
