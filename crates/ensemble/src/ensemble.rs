//! The ensemble extractor: members run concurrently, their outputs merged by a policy.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Mutex;

use nerlab_core::union::{merge, OverlapPolicy};
use nerlab_core::{validate_entities, BuildContext, Document, Entity, Error, Extractor, Family, Label, Result, Warning};

use crate::candidates::{agreement, candidates};
use crate::features::FeatureSpace;
use crate::{Combiner, EnsembleConfig, PolicyKind, Vote};

/// How member outputs become the ensemble's answer.
#[derive(Debug, Clone)]
pub enum Policy {
    /// Weighted agreement.
    Vote(Vote),
    /// A fitted combiner, at its own threshold unless one is given.
    Learned {
        /// The model.
        combiner: Combiner,
        /// Overrides the model's threshold.
        threshold: Option<f64>,
    },
    /// One of core's union overlap policies; the score is the fraction of members agreeing.
    Union(OverlapPolicy),
}

/// An extractor whose members' outputs are merged by a [`Policy`].
pub struct Ensemble {
    name: String,
    member_names: Vec<String>,
    members: Vec<Box<dyn Extractor>>,
    labels: Vec<Label>,
    policy: Policy,
    /// The feature layout of a learned policy, built once.
    space: Option<FeatureSpace>,
    warnings: Mutex<Vec<Warning>>,
}

impl Ensemble {
    /// An ensemble named `name` of `members` (config name and extractor, in priority order).
    ///
    /// # Errors
    /// No members, or a learned policy fitted for other members.
    pub fn new(name: impl Into<String>, members: Vec<(String, Box<dyn Extractor>)>, policy: Policy) -> Result<Ensemble> {
        if members.is_empty() {
            return Err(Error::config("an ensemble needs at least one member"));
        }
        let (member_names, members): (Vec<String>, Vec<Box<dyn Extractor>>) = members.into_iter().unzip();
        let mut labels: Vec<Label> = members.iter().flat_map(|m| m.labels().iter().cloned()).collect();
        labels.sort();
        labels.dedup();
        let space = match &policy {
            Policy::Learned { combiner, .. } => {
                if combiner.members != member_names {
                    return Err(Error::config(format!(
                        "the model was fitted for members {:?}, the config names {:?}; refit it with `nerlab fit-ensemble`",
                        combiner.members, member_names
                    )));
                }
                Some(combiner.feature_space())
            }
            _ => None,
        };
        Ok(Ensemble { name: name.into(), member_names, members, labels, policy, space, warnings: Mutex::new(Vec::new()) })
    }

    /// Builds the ensemble `config` describes over already-built `members` (in the order of
    /// `config.members`); relative paths are resolved from `base_dir`.
    ///
    /// # Errors
    /// Parameters that do not fit the policy (a model for `vote`, weights for unknown members,
    /// a threshold outside `[0, 1]`), or an unreadable model file.
    pub fn with_members(
        name: impl Into<String>,
        config: EnsembleConfig,
        members: Vec<(String, Box<dyn Extractor>)>,
        base_dir: &Path,
    ) -> Result<Ensemble> {
        let names: Vec<&String> = members.iter().map(|(n, _)| n).collect();
        for key in config.weights.keys().chain(config.label_weights.keys()).chain(config.stand_ins.keys()) {
            if !names.contains(&key) {
                return Err(Error::config(format!("weights or stand_ins name {key:?}, which is not a member ({names:?})")));
            }
        }
        if let Some(t) = config.threshold.filter(|t| !(0.0..=1.0).contains(t)) {
            return Err(Error::config(format!("threshold {t} is outside [0, 1]")));
        }
        let weights_given = !config.weights.is_empty() || !config.label_weights.is_empty();
        let policy = match config.policy {
            PolicyKind::Vote => {
                if config.model.is_some() {
                    return Err(Error::config("`model` is for policy = \"learned\""));
                }
                if let Some((m, w)) = config.weights.iter().find(|(_, w)| !(w.is_finite() && **w >= 0.0)) {
                    return Err(Error::config(format!("weight {w} of {m:?} must be a finite number >= 0")));
                }
                let weights = members.iter().map(|(n, _)| config.weights.get(n).copied().unwrap_or(1.0)).collect();
                let label_weights = members.iter().map(|(n, _)| config.label_weights.get(n).cloned().unwrap_or_default()).collect();
                let declared = members.iter().map(|(_, m)| m.labels().to_vec()).collect();
                Policy::Vote(Vote::new(weights, label_weights, declared, config.threshold.unwrap_or(0.5)))
            }
            PolicyKind::Learned => {
                if weights_given {
                    return Err(Error::config("`weights` are for policy = \"vote\"; a learned policy fits its own"));
                }
                let path = config
                    .model
                    .as_ref()
                    .ok_or_else(|| Error::config("policy = \"learned\" needs `model`, a file written by `nerlab fit-ensemble`"))?;
                let path = if path.is_absolute() { path.clone() } else { base_dir.join(path) };
                if !path.exists() {
                    return Err(Error::config(format!(
                        "model {} does not exist; write it with `nerlab fit-ensemble --extractor NAME --corpus conll2003-valid`",
                        path.display()
                    ))
                    .with_path(&path));
                }
                Policy::Learned { combiner: Combiner::load(&path)?, threshold: config.threshold }
            }
            union => {
                if weights_given || config.model.is_some() || config.threshold.is_some() {
                    return Err(Error::config("union policies take no `model`, `threshold` or `weights`"));
                }
                Policy::Union(match union {
                    PolicyKind::Longest => OverlapPolicy::Longest,
                    PolicyKind::Priority => OverlapPolicy::Priority,
                    _ => OverlapPolicy::KeepAll,
                })
            }
        };
        Ensemble::new(name, members, policy)
    }

    /// The members' config names, in order.
    pub fn member_names(&self) -> &[String] {
        &self.member_names
    }

    /// Merges one document's member outputs (`None` for a member that failed on it).
    pub fn decide(&self, outputs: &[Option<Vec<Entity>>]) -> Vec<Entity> {
        match &self.policy {
            Policy::Vote(vote) => vote.decide(outputs),
            Policy::Learned { combiner, threshold } => {
                combiner.decide(self.space.as_ref().expect("built with the policy"), outputs, *threshold)
            }
            Policy::Union(overlap) => {
                let agree: HashMap<(usize, usize, Label), f64> =
                    candidates(outputs).into_iter().map(|c| ((c.start, c.end, c.label.clone()), agreement(&c, outputs))).collect();
                let merged = merge(outputs.iter().map(|o| o.clone().unwrap_or_default()).collect(), *overlap);
                merged
                    .into_iter()
                    .map(|mut e| {
                        e.score = Some(agree.get(&(e.start, e.end, e.label.clone())).copied().unwrap_or(0.0) as f32);
                        e
                    })
                    .collect()
            }
        }
    }

    /// Runs every member over `documents` at once, one thread per member (the members'
    /// batches overlap in time whatever pool the caller runs in: a rayon scope inside a
    /// one-thread pool would run them one after another). Result `[member][document]`.
    fn run_members(&self, documents: &[Document]) -> Vec<Vec<Result<Vec<Entity>>>> {
        if self.members.len() == 1 {
            return vec![member_batch(self.members[0].as_ref(), documents)];
        }
        std::thread::scope(|scope| {
            let handles: Vec<_> = self.members.iter().map(|m| scope.spawn(move || member_batch(m.as_ref(), documents))).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| documents.iter().map(|_| Err(Error::extraction("member thread panicked"))).collect()))
                .collect()
        })
    }
}

/// One member over a batch, every document checked; a panic is retried document by document
/// so that only the document that causes it is lost.
fn member_batch(member: &dyn Extractor, documents: &[Document]) -> Vec<Result<Vec<Entity>>> {
    match catch_unwind(AssertUnwindSafe(|| member.extract_batch(documents))) {
        Ok(results) if results.len() == documents.len() => documents
            .iter()
            .zip(results)
            .map(|(d, r)| r.and_then(|es| validate_entities(&d.text, &es, Some(member.labels())).map(|_| es)))
            .collect(),
        Ok(results) => {
            let msg = format!("extract_batch returned {} results for {} documents", results.len(), documents.len());
            documents.iter().map(|_| Err(Error::extraction(msg.clone()))).collect()
        }
        Err(_) if documents.len() > 1 => documents.iter().flat_map(|d| member_batch(member, std::slice::from_ref(d))).collect(),
        Err(_) => vec![Err(Error::extraction("panicked"))],
    }
}

impl Family for Ensemble {
    const KIND: &'static str = "ensemble";
    type Config = EnsembleConfig;

    /// Builds each member by name (see [`BuildContext::build_member`]), in order.
    fn from_config(config: EnsembleConfig, ctx: &BuildContext<'_>) -> Result<Ensemble> {
        let members = config.members.iter().map(|name| Ok((name.clone(), ctx.build_member(name)?))).collect::<Result<Vec<_>>>()?;
        Ensemble::with_members(ctx.name(), config, members, ctx.base_dir())
    }
}

impl Extractor for Ensemble {
    fn name(&self) -> &str {
        &self.name
    }

    fn labels(&self) -> &[Label] {
        &self.labels
    }

    fn extract(&self, document: &Document) -> Result<Vec<Entity>> {
        self.extract_batch(std::slice::from_ref(document)).pop().unwrap_or_else(|| Ok(Vec::new()))
    }

    /// Every member gets the whole batch (so a transformer still batches), all members at
    /// once. A member that fails on a document is left out of that document's decision and
    /// the failure becomes a [`Warning`]; the document fails only when every member does.
    fn extract_batch(&self, documents: &[Document]) -> Vec<Result<Vec<Entity>>> {
        let mut per_member = self.run_members(documents);
        let mut warnings = Vec::new();
        let results = documents
            .iter()
            .enumerate()
            .map(|(d, doc)| {
                let mut outputs = Vec::with_capacity(self.members.len());
                let mut errors = Vec::new();
                for (m, results) in per_member.iter_mut().enumerate() {
                    match std::mem::replace(&mut results[d], Ok(Vec::new())) {
                        Ok(es) => outputs.push(Some(es)),
                        Err(e) => {
                            errors.push(format!("member {}: {e}", self.member_names[m]));
                            outputs.push(None);
                        }
                    }
                }
                if errors.len() == self.members.len() {
                    return Err(Error::extraction(errors.join("; ")));
                }
                warnings.extend(errors.into_iter().map(|message| Warning { document: doc.id.clone(), message }));
                Ok(self.decide(&outputs))
            })
            .collect();
        if !warnings.is_empty() {
            self.warnings.lock().unwrap_or_else(|p| p.into_inner()).extend(warnings);
        }
        results
    }

    fn take_warnings(&self) -> Vec<Warning> {
        std::mem::take(&mut *self.warnings.lock().unwrap_or_else(|p| p.into_inner()))
    }
}
