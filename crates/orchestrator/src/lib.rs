//! nerlab's orchestrator: reads a config, builds the extractors it names through the
//! [`Registry`], runs them over a corpus in parallel, scores them against gold and writes a
//! comparison report.
//!
//! The orchestrator depends on the `Extractor` trait and on the extractor crates only through
//! the one-line registrations in [`Registry::builtin`]; nothing here knows any extractor's
//! internals.

#![deny(missing_docs)]

pub mod canonical;
pub mod config;
pub mod curve;
pub mod fit_ensemble;
pub mod params;
pub mod registry;
pub mod report;
pub mod run;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

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
        if let Some(l) = e.line() {
            err = err.with_line(l);
        }
        err.with_source(e)
    })
}

/// Builds the extractors of one config by name, for families made of other extractors.
struct ConfigMembers<'a> {
    config: &'a Config,
    registry: &'a Registry,
}

impl nerlab_core::MemberBuilder for ConfigMembers<'_> {
    fn build_member(&self, name: &str, ctx: &BuildContext<'_>) -> Result<Box<dyn Extractor>> {
        let spec = self.config.extractors.iter().find(|s| s.name == name).ok_or_else(|| {
            Error::config(format!("member {name:?} of {:?} is not an extractor of this config", ctx.name()))
        })?;
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

    let out_dir = options.output_dir.clone().unwrap_or_else(|| config.resolve(&config.eval.output_dir)).join(&corpus_name);
    std::fs::create_dir_all(out_dir.join("predictions")).map_err(|e| Error::io(&out_dir, e))?;

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
        canonical_gold_mentions: None,
    };
    let canonicalizer = canonical::build(config)?;
    if let Some(c) = &canonicalizer {
        report.canonical_gold_mentions = canonical::gold_mention_scores(c, &gold);
    }

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
        let mut output = run::run_extractor(extractor.as_ref(), &documents, options);
        let degraded_documents = extractor.take_warnings();
        // Child processes (a `command` tool) count too: their memory is part of the cost.
        let peak_rss_mib = run::memory::peak_rss().map(|b| (b + run::memory::descendants_peak_rss()) as f64 / (1024.0 * 1024.0));
        let entities_path = out_dir.join("entities").join(format!("{}.jsonl", safe_name(&spec.name)));
        let canonical = match &canonicalizer {
            Some(c) => Some(canonical::run(c, &entities_path, &documents, &mut output.predictions, &gold)?),
            None => None,
        };

        let predictions_path = write_predictions(&out_dir, &spec.name, config.eval.predictions, &documents, &output.predictions)?;
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
            failed_documents: output.failures,
            degraded_documents,
            thresholds: curve::threshold_curve(&gold, &output.predictions, &Label::CONLL),
            conll: evaluate(pairs(), &Label::CONLL),
            all_labels: evaluate(pairs(), &all_scope.into_iter().collect::<Vec<_>>()),
            declared: evaluate(pairs(), &declared_scope),
            predictions: predictions_path.display().to_string(),
            canonical,
        });
    }

    let json = serde_json::to_string_pretty(&report).map_err(|e| Error::format(e.to_string()))?;
    write(&out_dir.join("report.json"), &json)?;
    write(&out_dir.join("report.md"), &report.to_markdown())?;
    Ok(report)
}

fn write(path: &Path, contents: &str) -> Result<()> {
    std::fs::write(path, contents).map_err(|e| Error::io(path, e))
}

/// `name` as a file name: characters other than letters, digits, `-` and `_` become `_`.
fn safe_name(name: &str) -> String {
    name.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// Writes one extractor's predictions so an external scorer can check the numbers.
fn write_predictions(
    out_dir: &Path,
    name: &str,
    format: config::PredictionsFormat,
    documents: &[Document],
    predictions: &[Vec<Entity>],
) -> Result<PathBuf> {
    let docs: Vec<AnnotatedDocument> = documents
        .iter()
        .zip(predictions)
        .map(|(d, p)| AnnotatedDocument { document: d.clone(), entities: p.clone() })
        .collect();
    let safe = safe_name(name);
    let (path, format) = match format {
        config::PredictionsFormat::Jsonl => (out_dir.join("predictions").join(format!("{safe}.jsonl")), CorpusFormat::Jsonl),
        config::PredictionsFormat::Brat => (out_dir.join("predictions").join(&safe), CorpusFormat::Brat),
    };
    nerlab_core::write_corpus(&path, &format, &docs)?;
    Ok(path)
}
