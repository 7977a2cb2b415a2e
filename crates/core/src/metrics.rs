//! Entity-level evaluation: strict (conlleval/seqeval) scores per label, micro and macro,
//! and the four MUC/SemEval-2013 schemes that nervaluate reports.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{Entity, Label};

/// Precision, recall and F1 from true-positive, false-positive and false-negative counts
/// (strict scheme: a true positive has exactly the gold span and type).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Score {
    /// Predictions that match a gold entity exactly.
    pub true_positives: usize,
    /// Predictions that match no gold entity.
    pub false_positives: usize,
    /// Gold entities no prediction matches.
    pub false_negatives: usize,
    /// `tp / (tp + fp)`, 0 when there are no predictions.
    pub precision: f64,
    /// `tp / (tp + fn)`, 0 when there is no gold.
    pub recall: f64,
    /// Harmonic mean of precision and recall, 0 when both are 0.
    pub f1: f64,
}

/// Counts of one nervaluate scheme and the scores derived from them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct SchemeScore {
    /// Predictions counted as correct under the scheme.
    pub correct: usize,
    /// Predictions that overlap a gold entity but are wrong under the scheme.
    pub incorrect: usize,
    /// Partial boundary matches (only the `partial` scheme counts them, as half).
    pub partial: usize,
    /// Gold entities no prediction overlaps.
    pub missed: usize,
    /// Predictions that overlap no gold entity.
    pub spurious: usize,
    /// `correct + incorrect + partial + missed`.
    pub possible: usize,
    /// `correct + incorrect + partial + spurious`.
    pub actual: usize,
    /// Precision under the scheme.
    pub precision: f64,
    /// Recall under the scheme.
    pub recall: f64,
    /// F1 under the scheme.
    pub f1: f64,
}

/// The nervaluate schemes, all four at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct SchemeScores {
    /// Exact boundaries and type.
    pub strict: SchemeScore,
    /// Exact boundaries, any type.
    pub exact: SchemeScore,
    /// Overlapping boundaries count as half, any type.
    pub partial: SchemeScore,
    /// Some overlap and the right type.
    pub ent_type: SchemeScore,
}

/// Macro-averaged precision, recall and F1 (unweighted mean over labels).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MacroScore {
    /// Mean precision over labels.
    pub precision: f64,
    /// Mean recall over labels.
    pub recall: f64,
    /// Mean F1 over labels (the mean of per-label F1s, as seqeval's `macro avg`).
    pub f1: f64,
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Evaluation {
    /// The labels scored; entities of other labels, gold or predicted, were ignored.
    pub labels: Vec<Label>,
    /// Strict scores per label (every label of `labels`, present or not).
    pub per_label: BTreeMap<Label, Score>,
    /// Strict scores over all labels pooled: the number conlleval prints.
    pub micro: Score,
    /// Macro average over `labels`.
    pub macro_avg: MacroScore,
    /// nervaluate's four schemes over all labels.
    pub schemes: SchemeScores,
    /// nervaluate's four schemes per label.
    pub schemes_per_label: BTreeMap<Label, SchemeScores>,
}

/// Scores predictions against gold, document by document, over the labels in `scope`.
///
/// Each item pairs one document's gold entities with its predictions. Entities whose label is
/// not in `scope` are dropped from both sides first.
pub fn evaluate<'a, I>(documents: I, scope: &[Label]) -> Evaluation
where
    I: IntoIterator<Item = (&'a [Entity], &'a [Entity])>,
{
    let _ = (documents.into_iter().count(), scope);
    todo!("metrics")
}
