//! `nerlab fit-ensemble`: runs an ensemble's members over a development corpus and fits its
//! learned combiner on their outputs and the gold.
//!
//! Members are run one after another through the same [`run::run_extractor`] as `nerlab eval`
//! (so a member failing on a document is recorded as failed there, exactly as the ensemble
//! will see it). Their outputs can be cached under `<output_dir>/ensemble-cache/<corpus>/`
//! (`--cache`), keyed by the member's config entry and the corpus file, so that fitting
//! experiments do not rerun a slow transformer; the cache is a convenience, the default run
//! recomputes everything.

use std::path::{Path, PathBuf};

use nerlab_core::{Document, Entity, Error, Result};
use nerlab_ensemble::{fit, Combiner, EnsembleConfig, FitExample, FitOptions, FitReport, PolicyKind};
use serde::{Deserialize, Serialize};

use crate::{build_extractor, run, Config, Registry};

/// Options of [`fit_ensemble`].
#[derive(Debug, Clone)]
pub struct FitEnsembleOptions {
    /// The ensemble's name in the config.
    pub extractor: String,
    /// The development corpus (a configured name or a path). Never the test corpus.
    pub corpus: String,
    /// Seed of the cross-validation folds.
    pub seed: u64,
    /// Cross-validation folds.
    pub folds: usize,
    /// Reuse cached member outputs when their key matches.
    pub cache: bool,
    /// Write the model here instead of the ensemble's `model`.
    pub out: Option<PathBuf>,
    /// Draw progress bars.
    pub progress: bool,
}

/// What [`fit_ensemble`] did.
#[derive(Debug)]
pub struct FitSummary {
    /// The fitted combiner.
    pub combiner: Combiner,
    /// Cross-validation results.
    pub report: FitReport,
    /// Where the model was written.
    pub path: PathBuf,
    /// Per member: documents it failed on, and whether its outputs came from the cache.
    pub members: Vec<(String, usize, bool)>,
}

/// One document of a member's cached outputs.
#[derive(Serialize, Deserialize)]
struct CachedDocument {
    id: String,
    failed: bool,
    entities: Vec<Entity>,
}

/// Fits the combiner of the ensemble `options.extractor` on `options.corpus` and writes it.
///
/// # Errors
/// An unknown or non-ensemble extractor, no model path, an unreadable corpus, a member that
/// cannot be built, an unwritable model file.
pub fn fit_ensemble(config: &Config, registry: &Registry, options: &FitEnsembleOptions) -> Result<FitSummary> {
    let params = ensemble_params(config, &options.extractor)?;
    let path = match (&options.out, &params.model) {
        (Some(out), _) => out.clone(),
        (None, Some(model)) => config.resolve(model),
        (None, None) => {
            return Err(Error::config(format!("{:?} has no `model` to write; give --out", options.extractor)).with_path(&config.path))
        }
    };
    let corpus = MemberCorpus::gather(config, registry, &params, &options.corpus, true, options.cache, options.progress)?;
    let (gold, per_member, members) = (corpus.gold, corpus.outputs, corpus.members);
    let examples: Vec<FitExample> = gold
        .iter()
        .enumerate()
        .map(|(d, g)| FitExample { gold: g.entities.clone(), outputs: per_member.iter().map(|m| m[d].clone()).collect() })
        .collect();
    let fit_options = FitOptions { corpus: corpus.name, seed: options.seed, folds: options.folds, ..FitOptions::default() };
    let (combiner, report) = fit(&params.members, &examples, &fit_options)?;
    combiner.save(&path)?;
    Ok(FitSummary { combiner, report, path, members })
}

/// A corpus with its gold and every member's outputs on it.
struct MemberCorpus {
    name: String,
    gold: Vec<nerlab_core::AnnotatedDocument>,
    /// `[member][document]`, `None` where the member failed.
    outputs: Vec<Vec<Option<Vec<Entity>>>>,
    /// Per member: a label for reports, failed documents, whether from the cache.
    members: Vec<(String, usize, bool)>,
}

impl MemberCorpus {
    fn gather(
        config: &Config,
        registry: &Registry,
        params: &EnsembleConfig,
        corpus: &str,
        stand_ins: bool,
        use_cache: bool,
        progress: bool,
    ) -> Result<MemberCorpus> {
        let (corpus_name, corpus_path, format) = config.corpus(corpus)?;
        let gold = nerlab_core::read_corpus(&corpus_path, &format)?;
        let documents: Vec<Document> = gold.iter().map(|d| d.document.clone()).collect();
        let cache_dir = config.resolve(&config.eval.output_dir).join("ensemble-cache").join(&corpus_name);
        let mut per_member: Vec<Vec<Option<Vec<Entity>>>> = Vec::new();
        let mut members = Vec::new();
        for name in &params.members {
            // A stand-in's outputs replace the member's (see `EnsembleConfig::stand_ins`).
            let source = if stand_ins { params.stand_ins.get(name).unwrap_or(name) } else { name };
            let member = config.extractors.iter().find(|s| &s.name == source).ok_or_else(|| {
                Error::config(format!("ensemble member or stand-in {source:?} is not an extractor of this config")).with_path(&config.path)
            })?;
            let key = format!("{}\n{:?}\n{}\n{}", member.kind, config.params(member).table(), corpus_path.display(), documents.len());
            let cache = cache_dir.join(format!("{source}.jsonl"));
            let cached = if use_cache { read_cache(&cache, &key, &documents) } else { None };
            let from_cache = cached.is_some();
            let outputs = match cached {
                Some(outputs) => outputs,
                None => {
                    let extractor = build_extractor(config, registry, member)?;
                    let run_options = run::RunOptions {
                        threads: Some(member.threads.unwrap_or_else(rayon::current_num_threads)),
                        batch_size: member.batch_size,
                        progress,
                    };
                    let output = run::run_extractor(extractor.as_ref(), &documents, run_options);
                    let failed: std::collections::HashSet<&str> = output.failures.iter().map(|f| f.document.as_str()).collect();
                    let outputs: Vec<Option<Vec<Entity>>> = documents
                        .iter()
                        .zip(output.predictions)
                        .map(|(d, p)| if failed.contains(d.id.as_str()) { None } else { Some(p) })
                        .collect();
                    write_cache(&cache, &key, &documents, &outputs)?;
                    outputs
                }
            };
            let label = if source == name { name.clone() } else { format!("{name} (outputs of stand-in {source})") };
            members.push((label, outputs.iter().filter(|o| o.is_none()).count(), from_cache));
            per_member.push(outputs);
        }
        Ok(MemberCorpus { name: corpus_name, gold, outputs: per_member, members })
    }
}

/// Options of [`compare_policies`].
#[derive(Debug, Clone, Copy, Default)]
pub struct CompareOptions {
    /// Use the ensemble's fitting stand-ins in place of members (to see the fitting data).
    pub stand_ins: bool,
    /// Reuse member outputs cached by an earlier run.
    pub cache: bool,
    /// Draw progress bars.
    pub progress: bool,
}

/// One row of [`compare_policies`].
#[derive(Debug, Clone, Serialize)]
pub struct PolicyRow {
    /// A member's name, `union (<overlap>)`, or an ensemble's name and policy.
    pub name: String,
    /// Strict micro scores over the CoNLL labels.
    pub score: nerlab_core::metrics::Score,
}

/// Scores, from one run of the members of ensemble `extractor` over `corpus`, each member
/// alone, the three union policies and every ensemble of the config over the same members, so
/// that policies are compared on identical member outputs without rerunning any member.
///
/// # Errors
/// As [`fit_ensemble`], plus an ensemble whose model cannot be loaded.
pub fn compare_policies(
    config: &Config,
    registry: &Registry,
    extractor: &str,
    corpus: &str,
    options: CompareOptions,
) -> Result<Vec<PolicyRow>> {
    let params = ensemble_params(config, extractor)?;
    let data = MemberCorpus::gather(config, registry, &params, corpus, options.stand_ins, options.cache, options.progress)?;
    let score = |predictions: &[Vec<Entity>]| {
        let pairs = data.gold.iter().zip(predictions).map(|(g, p)| (g.entities.as_slice(), p.as_slice()));
        nerlab_core::metrics::evaluate(pairs, &nerlab_core::Label::CONLL).micro
    };
    let mut rows = Vec::new();
    for (m, outputs) in data.outputs.iter().enumerate() {
        let predictions: Vec<Vec<Entity>> = outputs.iter().map(|o| o.clone().unwrap_or_default()).collect();
        rows.push(PolicyRow { name: data.members[m].0.clone(), score: score(&predictions) });
    }
    let built: Vec<(String, std::sync::Arc<dyn nerlab_core::Extractor>)> = params
        .members
        .iter()
        .map(|name| {
            let spec = config.extractors.iter().find(|s| &s.name == name).expect("gathered above");
            Ok((name.clone(), std::sync::Arc::from(build_extractor(config, registry, spec)?)))
        })
        .collect::<Result<_>>()?;
    let mut ensembles: Vec<(String, EnsembleConfig)> =
        [("longest", PolicyKind::Longest), ("priority", PolicyKind::Priority), ("keep_all", PolicyKind::KeepAll)]
            .into_iter()
            .map(|(name, policy)| {
                let c = EnsembleConfig {
                    members: params.members.clone(),
                    policy,
                    model: None,
                    threshold: None,
                    weights: Default::default(),
                    label_weights: Default::default(),
                    stand_ins: Default::default(),
                };
                (format!("union ({name})"), c)
            })
            .collect();
    for spec in config.extractors.iter().filter(|s| s.kind == "ensemble") {
        let c = ensemble_params(config, &spec.name)?;
        if c.members == params.members {
            ensembles.push((format!("{} ({:?})", spec.name, c.policy).to_lowercase(), c));
        }
    }
    for (name, c) in ensembles {
        let members = built.iter().map(|(n, e)| (n.clone(), Box::new(e.clone()) as Box<dyn nerlab_core::Extractor>)).collect();
        let ensemble = nerlab_ensemble::Ensemble::with_members(name.clone(), c, members, &config.base_dir())?;
        let predictions: Vec<Vec<Entity>> =
            (0..data.gold.len()).map(|d| ensemble.decide(&data.outputs.iter().map(|m| m[d].clone()).collect::<Vec<_>>())).collect();
        rows.push(PolicyRow { name, score: score(&predictions) });
    }
    Ok(rows)
}

fn ensemble_params(config: &Config, name: &str) -> Result<EnsembleConfig> {
    let spec = config
        .extractors
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| Error::config(format!("no extractor named {name:?}")).with_path(&config.path))?;
    if spec.kind != "ensemble" {
        return Err(Error::config(format!("{:?} is of kind {:?}, not an ensemble", spec.name, spec.kind)).with_path(&config.path));
    }
    config
        .params(spec)
        .deserialize("ensemble")
        .map_err(|e| Error::config(format!("{}: {}", spec.name, e.message())).with_path(&config.path))
}

/// The cached outputs, when the cache exists, its key matches and it covers `documents`.
fn read_cache(path: &Path, key: &str, documents: &[Document]) -> Option<Vec<Option<Vec<Entity>>>> {
    let stored_key = std::fs::read_to_string(path.with_extension("key")).ok()?;
    if stored_key != key {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let cached: Vec<CachedDocument> = text.lines().map(serde_json::from_str).collect::<std::result::Result<_, _>>().ok()?;
    if cached.len() != documents.len() || cached.iter().zip(documents).any(|(c, d)| c.id != d.id) {
        return None;
    }
    Some(cached.into_iter().map(|c| if c.failed { None } else { Some(c.entities) }).collect())
}

fn write_cache(path: &Path, key: &str, documents: &[Document], outputs: &[Option<Vec<Entity>>]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let mut text = String::new();
    for (d, o) in documents.iter().zip(outputs) {
        let line = CachedDocument { id: d.id.clone(), failed: o.is_none(), entities: o.clone().unwrap_or_default() };
        text.push_str(&serde_json::to_string(&line).map_err(|e| Error::format(e.to_string()))?);
        text.push('\n');
    }
    std::fs::write(path, text).map_err(|e| Error::io(path, e))?;
    std::fs::write(path.with_extension("key"), key).map_err(|e| Error::io(path, e))
}

impl FitSummary {
    /// What a user reads after fitting: members, the cross-validation table, the choice.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let f = &self.combiner.fitted;
        let mut out = format!("fitted on {}: {} documents, {} gold entities, {} candidates\n", f.corpus, f.documents, f.gold, f.candidates);
        for (name, failed, cached) in &self.members {
            let _ = writeln!(out, "  member {name}: {failed} failed documents{}", if *cached { " (cached outputs)" } else { "" });
        }
        let _ = writeln!(
            out,
            "candidates that are gold: {} = {:.2}% of gold (the recall no policy over these members can exceed)",
            f.reachable,
            100.0 * f.reachable as f64 / f.gold.max(1) as f64
        );
        let _ = writeln!(out, "\n{}-fold cross-validation (seed {}), best threshold per L2 penalty:", f.folds, f.seed);
        let _ = writeln!(out, "  {:>8}  {:>9}  {:>6}  {:>6}  {:>6}", "l2", "threshold", "P", "R", "F1");
        let mut penalties: Vec<f64> = self.report.cv.iter().map(|p| p.l2).collect();
        penalties.dedup();
        for l2 in penalties {
            let best = self.report.cv.iter().filter(|p| p.l2 == l2).fold(None::<&nerlab_ensemble::CvPoint>, |b, p| match b {
                Some(b) if b.f1 >= p.f1 => Some(b),
                _ => Some(p),
            });
            if let Some(p) = best {
                let _ = writeln!(
                    out,
                    "  {:>8}  {:>9.2}  {:>6.2}  {:>6.2}  {:>6.2}",
                    p.l2,
                    p.threshold,
                    100.0 * p.precision,
                    100.0 * p.recall,
                    100.0 * p.f1
                );
            }
        }
        let c = &self.report.chosen;
        let _ = writeln!(out, "chosen: l2 {}, threshold {:.2} (cross-validated F1 {:.2})", c.l2, c.threshold, 100.0 * c.f1);
        let _ = writeln!(out, "model: {}", self.path.display());
        out
    }
}
