//! The `learned` policy's model: logistic regression over candidate features, and its file.

use std::path::Path;

use nerlab_core::{Entity, Error, Label, Result};
use serde::{Deserialize, Serialize};

use crate::candidates::{agreement, candidates, Candidate, Kept, MemberOutputs, Ranked};
use crate::features::FeatureSpace;

/// The version of the model file format this code reads and writes.
pub const FORMAT: u32 = 1;

/// A fitted combiner: for each candidate span+label, `p = sigmoid(weights · features)` is the
/// probability that it is a gold entity; candidates with `p >= threshold` are kept, best
/// first, without overlaps.
///
/// Candidates of labels the combiner was not fitted on (DATE when fitted on CoNLL) cannot be
/// judged by it: they are kept where they overlap nothing kept already, with the fraction of
/// members agreeing on them as score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Combiner {
    /// File format version ([`FORMAT`]).
    pub format: u32,
    /// The member names it was fitted for, in order; the config must name the same.
    pub members: Vec<String>,
    /// The labels it decides.
    pub labels: Vec<Label>,
    /// Feature names, one per weight.
    pub features: Vec<String>,
    /// Logistic-regression weights (rounded to 1e-6 so the file round-trips exactly).
    pub weights: Vec<f64>,
    /// The decision threshold on `p`, chosen by cross-validation.
    pub threshold: f64,
    /// How it was fitted.
    pub fitted: FitProvenance,
}

/// Where a combiner came from, so a model file explains itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitProvenance {
    /// The corpus it was fitted on (name or path).
    pub corpus: String,
    /// Documents in it.
    pub documents: usize,
    /// Gold entities of the decided labels.
    pub gold: usize,
    /// Candidates (span+label proposed by some member) of the decided labels.
    pub candidates: usize,
    /// Candidates that are gold entities: the most any policy over these members can find.
    pub reachable: usize,
    /// Seed of the cross-validation fold assignment.
    pub seed: u64,
    /// Cross-validation folds (by document).
    pub folds: usize,
    /// The L2 penalty chosen by cross-validation.
    pub l2: f64,
    /// Cross-validated strict micro F1 at the chosen penalty and threshold.
    pub cv_f1: f64,
}

impl Combiner {
    /// Reads a model file.
    ///
    /// # Errors
    /// An unreadable file, bad JSON (with line), an unknown format version, or weights that do
    /// not match the feature layout this code computes.
    pub fn load(path: &Path) -> Result<Combiner> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let combiner: Combiner = serde_json::from_str(&text)
            .map_err(|e| Error::format(format!("not an ensemble model file: {e}")).with_path(path).with_line(e.line()))?;
        combiner.check().map_err(|e| e.with_path(path))?;
        Ok(combiner)
    }

    /// Writes the model file (pretty JSON, ending in a newline).
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let mut json = serde_json::to_string_pretty(self).map_err(|e| Error::format(e.to_string()))?;
        json.push('\n');
        std::fs::write(path, json).map_err(|e| Error::io(path, e))
    }

    fn check(&self) -> Result<()> {
        if self.format != FORMAT {
            return Err(Error::format(format!("model format {} is not the supported {FORMAT}; refit it", self.format)));
        }
        let space = FeatureSpace::new(&self.members, &self.labels);
        if space.names() != self.features.as_slice() || self.weights.len() != self.features.len() {
            return Err(Error::format("the model's features are not the ones this version computes; refit it with `nerlab fit-ensemble`"));
        }
        if !(0.0..=1.0).contains(&self.threshold) || self.weights.iter().any(|w| !w.is_finite()) {
            return Err(Error::format("the model's threshold or weights are out of range"));
        }
        Ok(())
    }

    /// The feature layout of this model.
    pub fn feature_space(&self) -> FeatureSpace {
        FeatureSpace::new(&self.members, &self.labels)
    }

    /// `p` for one feature vector.
    pub fn probability(&self, features: &[f64]) -> f64 {
        sigmoid(dot(&self.weights, features))
    }

    /// The entities kept from one document's member outputs, with `p` as score, at
    /// `threshold` (the model's own when `None`).
    pub fn decide(&self, space: &FeatureSpace, outputs: &MemberOutputs, threshold: Option<f64>) -> Vec<Entity> {
        let threshold = threshold.unwrap_or(self.threshold);
        let cands = candidates(outputs);
        let (decided, passed): (Vec<Candidate>, Vec<Candidate>) = cands.into_iter().partition(|c| self.labels.contains(&c.label));
        let xs = space.document(outputs, &decided);
        let probabilities: Vec<f64> = xs.iter().map(|x| self.probability(x)).collect();
        let mut kept = Kept::default();
        kept.add_ranked(select(&decided, &probabilities, threshold));
        kept.add_ranked(
            passed
                .iter()
                .map(|c| Ranked { entity: c.to_entity(agreement(c, outputs)), support: 0.0, first_member: c.proposers[0] })
                .collect(),
        );
        kept.into_sorted()
    }
}

/// The candidates whose probability reaches `threshold`, ready for [`Kept::add_ranked`].
pub(crate) fn select(candidates: &[Candidate], probabilities: &[f64], threshold: f64) -> Vec<Ranked> {
    candidates
        .iter()
        .zip(probabilities)
        .filter(|(_, p)| **p >= threshold)
        .map(|(c, p)| Ranked { entity: c.to_entity(*p), support: 0.0, first_member: c.proposers[0] })
        .collect()
}

pub(crate) fn dot(w: &[f64], x: &[f64]) -> f64 {
    w.iter().zip(x).map(|(a, b)| a * b).sum()
}

pub(crate) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}
