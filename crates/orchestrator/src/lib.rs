//! nerlab's orchestrator: reads a config, builds the extractors it names through the
//! [`Registry`], runs them over a corpus in parallel, scores them against gold and writes a
//! comparison report.
//!
//! The orchestrator depends on the `Extractor` trait and on the extractor crates only through
//! the one-line registrations in [`Registry::builtin`]; nothing here knows any extractor's
//! internals.

#![deny(missing_docs)]

pub mod config;
mod lines;
pub mod output;
pub mod registry;
pub mod report;
pub mod run;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use nerlab_core::metrics::evaluate;
use nerlab_core::{AnnotatedDocument, CorpusFormat, Document, Entity, Error, Extractor, Label, Result};

pub use config::{Config, ExtractorSpec};
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
}

/// Builds the extractor `spec` describes.
///
/// `kind = "union"` is built here rather than in the registry because its `members` name
/// other extractors of the same config: `members = ["transformer", "rules"]`, with
/// `overlap = "longest" | "priority" | "keep_all"` (see [`nerlab_core::union::OverlapPolicy`]).
///
/// # Errors
/// Unknown kinds and invalid parameters, naming the config file and the extractor.
pub fn build_extractor(config: &Config, registry: &Registry, spec: &ExtractorSpec) -> Result<Box<dyn Extractor>> {
    build_nested(config, registry, spec, &mut Vec::new()).map_err(|e| {
        let msg = format!("extractor {:?}: {}", spec.name, e.message());
        let mut err = Error::new(e.kind(), msg);
        // Keep the location of the underlying problem (a rules file, a model) when there is
        // one; otherwise point at the config.
        err = match e.path() {
            Some(p) => err.with_path(p),
            None => err.with_path(&config.path),
        };
        if let Some(l) = e.line().or_else(|| config_line(config, spec, &e)) {
            err = err.with_line(l);
        }
        err.with_source(e)
    })
}

/// The config line an error in `spec`'s own parameters points at: the key the message names,
/// else the extractor's `[[extractors]]` header. `None` for errors about other files.
fn config_line(config: &Config, spec: &ExtractorSpec, e: &Error) -> Option<usize> {
    if e.path().is_some() {
        return None;
    }
    let index = config.extractors.iter().position(|s| s.name == spec.name)?;
    match lines::key_in_message(e.message()) {
        Some(key) => lines::extractor_key(&config.source, index, key),
        None => lines::extractor_header(&config.source, index),
    }
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

/// Parameters of `kind = "union"`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UnionParams {
    members: Vec<String>,
    #[serde(default)]
    overlap: nerlab_core::union::OverlapPolicy,
}

fn build_nested(config: &Config, registry: &Registry, spec: &ExtractorSpec, stack: &mut Vec<String>) -> Result<Box<dyn Extractor>> {
    if spec.kind != "union" {
        let ctx = BuildContext { base_dir: config.base_dir(), name: spec.name.clone() };
        return registry.build(&spec.kind, spec.params.clone(), &ctx);
    }
    if stack.contains(&spec.name) {
        return Err(Error::config(format!("union members form a cycle: {} -> {}", stack.join(" -> "), spec.name)));
    }
    let params: UnionParams = toml::Value::Table(spec.params.clone())
        .try_into()
        .map_err(|e: toml::de::Error| Error::config(format!("kind \"union\": {}", e.message().trim())))?;
    stack.push(spec.name.clone());
    let mut members = Vec::new();
    for name in &params.members {
        let member = config
            .extractors
            .iter()
            .find(|s| &s.name == name)
            .ok_or_else(|| Error::config(format!("union member {name:?} is not an extractor of this config")))?;
        members.push(build_nested(config, registry, member, stack)?);
    }
    stack.pop();
    Ok(Box::new(nerlab_core::union::Union::new(spec.name.clone(), members, params.overlap)?))
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
    let (corpus_name, corpus_path, format) = config.corpus(corpus)?;
    let gold = nerlab_core::read_corpus(&corpus_path, &format)?;
    let documents: Vec<Document> = gold.iter().map(|d| d.document.clone()).collect();

    for name in &options.only {
        if !config.extractors.iter().any(|s| &s.name == name) {
            return Err(Error::config(format!("no extractor named {name:?} in the config")).with_path(&config.path));
        }
    }
    let selected: Vec<&ExtractorSpec> = config
        .extractors
        .iter()
        .filter(|s| if options.only.is_empty() { s.enabled } else { options.only.contains(&s.name) })
        .collect();

    // Every path below stays inside the output directory: see `output`.
    let out = output::OutputDir::create(&options.output_dir.clone().unwrap_or_else(|| config.resolve(&config.eval.output_dir)))?
        .subdir(&output::sanitize(&corpus_name))?;
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
    let mut report = Report {
        corpus: corpus_name.clone(),
        corpus_path: corpus_path.display().to_string(),
        documents: documents.len(),
        bytes,
        tokens,
        gold_counts,
        extractors: Vec::new(),
        failed_extractors: Vec::new(),
    };

    for spec in selected {
        run::memory::reset_peak();
        let load_start = Instant::now();
        let extractor = match build_extractor(config, registry, spec) {
            Ok(e) => e,
            Err(e) => {
                report.failed_extractors.push(report::ExtractorFailure {
                    name: spec.name.clone(),
                    kind: spec.kind.clone(),
                    error: e.to_string(),
                });
                continue;
            }
        };
        let load_seconds = load_start.elapsed().as_secs_f64();
        let threads = spec.threads.unwrap_or_else(rayon::current_num_threads);
        let options = run::RunOptions { threads: Some(threads), batch_size: spec.batch_size, progress: options.progress };
        let output = run::run_extractor(extractor.as_ref(), &documents, options);
        let peak_rss_mib = run::memory::peak_rss().map(|b| b as f64 / (1024.0 * 1024.0));

        let file_name = file_names.claim(&spec.name);
        let (predictions_path, unwritten) =
            write_predictions(&predictions_dir, &file_name, config.eval.predictions, &documents, &output.predictions)?;
        let mut failed_documents = output.failures;
        failed_documents.extend(unwritten);
        let declared: Vec<Label> = extractor.labels().to_vec();
        let pairs = || gold.iter().zip(&output.predictions).map(|(g, p)| (g.entities.as_slice(), p.as_slice()));
        let all_scope: BTreeSet<Label> = report.gold_counts.keys().chain(declared.iter()).cloned().collect();
        let declared_scope: Vec<Label> = declared.iter().filter(|l| report.gold_counts.contains_key(*l)).cloned().collect();
        let secs = output.elapsed.as_secs_f64().max(1e-9);
        report.extractors.push(report::ExtractorReport {
            name: spec.name.clone(),
            kind: spec.kind.clone(),
            labels: declared.clone(),
            load_seconds,
            seconds: secs,
            threads,
            docs_per_second: documents.len() as f64 / secs,
            tokens_per_second: tokens as f64 / secs,
            mb_per_second: bytes as f64 / 1e6 / secs,
            peak_rss_mib,
            failed_documents,
            conll: evaluate(pairs(), &Label::CONLL),
            all_labels: evaluate(pairs(), &all_scope.into_iter().collect::<Vec<_>>()),
            declared: evaluate(pairs(), &declared_scope),
            predictions: predictions_path.display().to_string(),
        });
    }

    let json = serde_json::to_string_pretty(&report).map_err(|e| Error::format(e.to_string()))?;
    write(&out_dir.join("report.json"), &json)?;
    write(&out_dir.join("report.md"), &report.to_markdown())?;
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
    let docs = documents
        .iter()
        .zip(predictions)
        .map(|(d, p)| AnnotatedDocument { document: d.clone(), entities: p.clone() });
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
                    nerlab_core::formats::brat::write_document(brat.path(), &doc).err().map(|e| run::DocumentFailure {
                        document: doc.document.id.clone(),
                        error: format!("predictions not written: {e}"),
                    })
                })
                .collect();
            Ok((brat.path().to_path_buf(), failures))
        }
    }
}
