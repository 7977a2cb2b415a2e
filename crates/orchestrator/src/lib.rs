//! nerlab's orchestrator: reads a config, builds the extractors it names through the
//! [`Registry`], runs them over a corpus in parallel, scores them against gold and writes a
//! comparison report.
//!
//! The orchestrator depends on the `Extractor` trait and on the extractor crates only through
//! the one-line registrations in [`Registry::builtin`]; nothing here knows any extractor's
//! internals.

#![deny(missing_docs)]

pub mod canonical;
pub mod compare;
pub mod config;
pub mod curve;
pub mod fit_ensemble;
pub mod grouped;
pub mod html;
mod lines;
pub mod measure;
pub mod output;
pub mod params;
pub mod pareto;
pub mod registry;
pub mod report;
pub mod run;
pub mod stream;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use nerlab_core::metrics::evaluate;
use nerlab_core::{AnnotatedDocument, CorpusFormat, Document, Entity, Error, Extractor, Label, Result};

pub use config::{Config, ExtractorSpec};
pub use params::Params;
pub use registry::{BuildContext, Registry};
pub use report::Report;

/// Options of [`evaluate_corpus`] that do not come from the config.
#[derive(Debug, Clone, Default)]
pub struct EvalOptions {
    /// Run only these extractors (by name); all enabled ones when empty.
    pub only: Vec<String>,
    /// Overrides the config's output directory.
    pub output_dir: Option<PathBuf>,
    /// Draw progress bars.
    pub progress: bool,
    /// Measure each extractor in child processes of this `nerlab` executable (see
    /// [`measure`]); in this process when `None`.
    pub isolate: Option<PathBuf>,
}

/// Builds the extractor `spec` describes, through the family the registry has for its kind.
///
/// Families made of other extractors (`kind = "union"`) build their members by name from the
/// same config through [`nerlab_core::BuildContext::build_member`].
///
/// # Errors
/// Unknown kinds and invalid parameters, naming the config file and the extractor.
pub fn build_extractor(config: &Config, registry: &Registry, spec: &ExtractorSpec) -> Result<Box<dyn Extractor>> {
    let members = ConfigMembers { config, registry };
    let ctx = BuildContext::new(config.base_dir(), spec.name.clone()).with_members(&members);
    registry.build(&spec.kind, &config.params(spec), &ctx).map_err(|e| {
        let msg = format!("extractor {:?}: {}", spec.name, e.message());
        let mut err = Error::new(e.kind(), msg);
        // Keep the location of the underlying problem (a rules file, a model) when there is
        // one; otherwise point at the config.
        err = match e.path() {
            Some(p) => err.with_path(p),
            None => err.with_path(&config.path),
        };
        // In the deprecated flat form toml places an unknown key at the entry's header; the
        // key's own line is more useful.
        let line = if spec.flat_params {
            key_line(config, spec, &e).or(e.line()).or_else(|| config_line(config, spec, &e))
        } else {
            e.line().or_else(|| config_line(config, spec, &e))
        };
        if let Some(l) = line {
            err = err.with_line(l);
        }
        err.with_source(e)
    })
}

/// The config line an error in `spec`'s own parameters points at: the key the message names,
/// else the extractor's `[[extractors]]` header. `None` for errors about other files.
fn config_line(config: &Config, spec: &ExtractorSpec, e: &Error) -> Option<usize> {
    key_line(config, spec, e).or_else(|| {
        let index = config.extractors.iter().position(|s| s.name == spec.name)?;
        own_error(config, e).then(|| lines::extractor_header(&config.text, index)).flatten()
    })
}

/// The line of the key an error in `spec`'s own parameters names, if it names one.
fn key_line(config: &Config, spec: &ExtractorSpec, e: &Error) -> Option<usize> {
    let index = config.extractors.iter().position(|s| s.name == spec.name)?;
    let key = lines::key_in_message(e.message()).filter(|_| own_error(config, e))?;
    lines::extractor_key(&config.text, index, key)
}

/// Whether `e` is about the config file itself rather than a file it names.
fn own_error(config: &Config, e: &Error) -> bool {
    e.path().is_none_or(|p| p == config.path.as_path())
}

/// An error and its causes on one line, each cause only when the text before it does not
/// already say it (nerlab's errors repeat their cause's message, and `io::Error`s are both
/// message and source).
pub fn describe_error(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let text = c.to_string();
        // A nerlab error's message without its `path:line:` prefix, for the comparison.
        let core = c.downcast_ref::<Error>().map_or(text.as_str(), Error::message);
        if !out.contains(core) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

/// Builds the extractors of one config by name, for families made of other extractors.
struct ConfigMembers<'a> {
    config: &'a Config,
    registry: &'a Registry,
}

impl nerlab_core::MemberBuilder for ConfigMembers<'_> {
    fn build_member(&self, name: &str, ctx: &BuildContext<'_>) -> Result<Box<dyn Extractor>> {
        let spec = self
            .config
            .extractors
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| Error::config(format!("member {name:?} of {:?} is not an extractor of this config", ctx.name())))?;
        self.registry.build(&spec.kind, &self.config.params(spec), ctx)
    }
}

/// Evaluates every selected extractor of `config` on the corpus `corpus` (a configured name or
/// a path), writes `report.json`, `report.md` and predictions under
/// `<output_dir>/<corpus>/`, and returns the report.
///
/// # Errors
/// Only for problems that stop the whole run: an unreadable config or corpus, an unknown
/// extractor name in `options.only`, an unwritable output directory. Extractors that fail to
/// build and documents that fail are recorded in the report instead.
pub fn evaluate_corpus(config: &Config, registry: &Registry, corpus: &str, options: &EvalOptions) -> Result<Report> {
    let (corpus_name, corpus_path, gold) = config.read_corpus(corpus)?;
    let documents: Vec<Document> = gold.iter().map(|d| d.document.clone()).collect();
    let extraction = grouped::Extraction::new(&documents, config.grouping(corpus));

    for name in &options.only {
        if !config.extractors.iter().any(|s| &s.name == name) {
            return Err(Error::config(format!("no extractor named {name:?} in the config")).with_path(&config.path));
        }
    }
    let selected: Vec<&ExtractorSpec> =
        config.extractors.iter().filter(|s| if options.only.is_empty() { s.enabled } else { options.only.contains(&s.name) }).collect();

    // Every path below stays inside the output directory: see `output`.
    let out_root = options.output_dir.clone().unwrap_or_else(|| config.resolve(&config.eval.output_dir));
    let out = output::OutputDir::create(&out_root)?.subdir(&output::sanitize(&corpus_name))?;
    let predictions_dir = out.subdir("predictions")?;
    let mut file_names = output::UniqueNames::new(config.extractors.iter().map(|s| s.name.as_str()));
    let out_dir = out.path().to_path_buf();

    let mut gold_counts: BTreeMap<Label, usize> = BTreeMap::new();
    for d in &gold {
        for e in &d.entities {
            *gold_counts.entry(e.label.clone()).or_default() += 1;
        }
    }
    let bytes: usize = documents.iter().map(|d| d.text.len()).sum();
    let tokens: usize = documents.iter().map(Document::whitespace_tokens).sum();
    let labels = config.eval.labels.clone();
    let mut report = Report {
        corpus: corpus_name.clone(),
        corpus_path: corpus_path.display().to_string(),
        documents: documents.len(),
        bytes,
        tokens,
        gold_counts,
        extractors: Vec::new(),
        failed_extractors: Vec::new(),
        canonical_gold_mentions: None,
        labels: labels.clone(),
        bootstrap: config.eval.bootstrap,
        process_baseline_mib: run::memory::current_rss().map(|b| b as f64 / (1024.0 * 1024.0)),
        significance: Vec::new(),
        agreement: Default::default(),
    };
    // Error classes cover the headline labels and every label the gold annotates.
    let error_scope: Vec<Label> = labels.iter().chain(report.gold_counts.keys()).cloned().collect::<BTreeSet<_>>().into_iter().collect();
    let mut outputs: Vec<(String, Vec<Vec<Entity>>)> = Vec::new();
    let canonicalizer = canonical::build(config)?;
    if let Some(c) = &canonicalizer {
        report.canonical_gold_mentions = canonical::gold_mention_scores(c, &gold);
    }

    for spec in selected {
        let threads = spec.threads.unwrap_or_else(rayon::current_num_threads);
        let measured = match &options.isolate {
            Some(exe) => measure::measure_isolated(exe, config, corpus, &spec.name, &out_dir, options.progress),
            None => {
                let plan = measure::Plan { threads, batch_size: spec.batch_size, settings: &config.eval, progress: options.progress };
                measure::measure(|| build_extractor(config, registry, spec), &extraction.documents, plan, true).map_err(|e| e.to_string())
            }
        };
        let checked = measured.and_then(|m| match m.predictions.len() {
            n if n == extraction.documents.len() => Ok(extraction.ungroup(&documents, m)),
            n => Err(format!("measured {n} documents, the corpus has {}", extraction.documents.len())),
        });
        let mut m = match checked {
            Ok(m) => m,
            Err(error) => {
                report.failed_extractors.push(report::ExtractorFailure { name: spec.name.clone(), kind: spec.kind.clone(), error });
                continue;
            }
        };
        let file_name = file_names.claim(&spec.name);
        let canonical = match &canonicalizer {
            Some(c) => {
                let entities_path = out.subdir("entities")?.join(&format!("{file_name}.jsonl"))?;
                Some(canonical::run(c, &entities_path, &documents, &mut m.predictions, &gold)?)
            }
            None => None,
        };

        let (predictions_path, unwritten) =
            write_predictions(&predictions_dir, &file_name, config.eval.predictions, &documents, &m.predictions)?;
        let mut failed_documents = std::mem::take(&mut m.failures);
        failed_documents.extend(unwritten);
        let declared: Vec<Label> = m.labels.clone();
        let pairs = || gold.iter().zip(&m.predictions).map(|(g, p)| (g.entities.as_slice(), p.as_slice()));
        let all_scope: BTreeSet<Label> = report.gold_counts.keys().chain(declared.iter()).cloned().collect();
        let declared_scope: Vec<Label> = declared.iter().filter(|l| report.gold_counts.contains_key(*l)).cloned().collect();
        let (intervals, errors) = compare::extractor_analysis(&gold, &m.predictions, &labels, &error_scope, &config.eval.bootstrap);
        let secs = m.first_pass_seconds.max(1e-9);
        report.extractors.push(report::ExtractorReport {
            name: spec.name.clone(),
            kind: spec.kind.clone(),
            labels: declared.clone(),
            load_seconds: m.load_seconds,
            seconds: secs,
            threads: m.throughput.threads,
            docs_per_second: m.throughput.docs_per_second.median,
            tokens_per_second: m.throughput.tokens_per_second.median,
            mb_per_second: m.throughput.mb_per_second.median,
            peak_rss_mib: m.memory.peak_mib,
            failed_documents,
            degraded_documents: std::mem::take(&mut m.warnings),
            thresholds: curve::threshold_curve(&gold, &m.predictions, &labels),
            conll: evaluate(pairs(), &Label::CONLL),
            all_labels: evaluate(pairs(), &all_scope.into_iter().collect::<Vec<_>>()),
            declared: evaluate(pairs(), &declared_scope),
            predictions: predictions_path.display().to_string(),
            canonical,
            headline: evaluate(pairs(), &labels),
            intervals,
            errors,
            throughput: m.throughput,
            memory: m.memory,
        });
        outputs.push((spec.name.clone(), m.predictions));
    }
    let named: Vec<(String, &[Vec<Entity>])> = outputs.iter().map(|(n, p)| (n.clone(), p.as_slice())).collect();
    (report.significance, report.agreement) = compare::cross_analysis(&gold, &named, &labels, &config.eval.bootstrap);

    let json = serde_json::to_string_pretty(&report).map_err(|e| Error::format(e.to_string()))?;
    write(&out_dir.join("report.json"), &json)?;
    write(&out_dir.join("report.md"), &report.to_markdown())?;
    // `cargo xtask curve` writes beside the reports; its curve belongs here if scored on this corpus.
    let curve = html::LearningCurve::find(&out_root.join("curve"), &corpus_name);
    for (file, contents) in html::render(&report, &gold, &outputs, curve.as_ref())? {
        write(&out_dir.join(file), &contents)?;
    }
    Ok(report)
}

/// Writes an output file atomically, replacing (never following) a link at `path`; `path`
/// must be inside the output directory (names from configs go through [`output::sanitize`]).
fn write(path: &Path, contents: &str) -> Result<()> {
    nerlab_core::formats::write_atomic(path, contents.as_bytes())
}

/// Writes one extractor's predictions, as `file_name.jsonl` or a brat directory `file_name`,
/// so an external scorer can check the numbers. A document that cannot be written (a brat
/// file name it cannot have) is returned as a failure of that document; the others are
/// written.
///
/// # Errors
/// Failures that concern the whole file or directory.
fn write_predictions(
    dir: &output::OutputDir,
    file_name: &str,
    format: config::PredictionsFormat,
    documents: &[Document],
    predictions: &[Vec<Entity>],
) -> Result<(PathBuf, Vec<run::DocumentFailure>)> {
    let docs = documents.iter().zip(predictions).map(|(d, p)| AnnotatedDocument { document: d.clone(), entities: p.clone() });
    match format {
        config::PredictionsFormat::Jsonl => {
            let path = dir.join(&format!("{file_name}.jsonl"))?;
            nerlab_core::write_corpus(&path, &CorpusFormat::Jsonl, &docs.collect::<Vec<_>>())?;
            Ok((path, Vec::new()))
        }
        config::PredictionsFormat::Brat => {
            let brat = dir.subdir(file_name)?;
            let failures = docs
                .filter_map(|doc| {
                    nerlab_core::formats::brat::write_document(brat.path(), &doc)
                        .err()
                        .map(|e| run::DocumentFailure { document: doc.document.id.clone(), error: format!("predictions not written: {e}") })
                })
                .collect();
            Ok((brat.path().to_path_buf(), failures))
        }
    }
}
