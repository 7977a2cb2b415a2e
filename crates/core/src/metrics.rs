//! Entity-level evaluation: strict (conlleval/seqeval) scores per label, micro and macro,
//! and the four MUC/SemEval-2013 schemes that nervaluate reports.
//!
//! # Common rules
//!
//! - Only labels in `scope` are scored: gold and predicted entities of other labels are
//!   dropped from both sides before anything is counted (as nervaluate's `tags` does).
//! - Entities are compared as `(start, end, label)` triples; `text`, `score` and `canonical`
//!   play no part. Identical triples on one side of one document count once: seqeval keeps
//!   entities in sets, so an extractor that emits the same entity twice neither gains a true
//!   positive nor loses precision. (nervaluate does not deduplicate; with duplicates it can
//!   count one gold entity as correct twice. Deduplicating first is the one deliberate
//!   difference, and applies to the nervaluate schemes too.)
//! - Matching is per document: an entity never matches one in another document.
//! - No score is ever NaN: a ratio with a zero denominator is 0.
//!
//! # Strict scores ([`Score`], [`Evaluation::micro`], [`Evaluation::macro_avg`])
//!
//! conlleval / seqeval default mode: a true positive is a prediction with exactly the gold
//! span and label. `micro` pools the counts of all labels (the number conlleval prints and
//! seqeval's `f1_score` returns). `macro_avg` is seqeval's `classification_report` `macro
//! avg`: the unweighted mean of the per-label precisions, recalls and F1s (so its F1 is *not*
//! the harmonic mean of its P and R) over the labels that occur, i.e. the labels of `scope`
//! with at least one gold or predicted entity. seqeval's report lists exactly the types found
//! in `y_true` or `y_pred`, so a label in scope that appears on neither side is left out
//! rather than averaged in as 0; when no label occurs the macro scores are 0.
//!
//! # nervaluate schemes ([`SchemeScores`])
//!
//! The four schemes of Segura-Bedmar et al. (SemEval-2013 task 9.1) as computed by
//! nervaluate's `compute_metrics` (the 0.1/0.2 line, `src/nervaluate/evaluate.py`;
//! reimplemented with byte offsets and exclusive ends where nervaluate has inclusive ends).
//! Per document, gold is sorted by start and predictions by end, then each prediction is
//! taken in turn:
//!
//! 1. It equals a gold entity (span and label): `correct` in all four schemes.
//! 2. Otherwise the gold entities are walked in order, stopping at the first that starts at
//!    or after the prediction's end:
//!    - same span, other label: `strict` and `ent_type` incorrect, `exact` and `partial`
//!      correct; the walk stops (this case applies even if the gold entity was already
//!      overlapped by an earlier prediction);
//!    - an overlap with a gold entity not yet overlapped by an earlier prediction: `strict`
//!      and `exact` incorrect, `partial` partial, `ent_type` correct when the labels agree
//!      and incorrect otherwise; the walk goes on, so one prediction may count against
//!      several gold entities.
//! 3. A prediction that matched nothing in 1–2 is `spurious` in all schemes (so a second
//!    prediction overlapping an already-overlapped gold entity is spurious).
//!
//! Gold entities never overlapped are `missed`. `possible = correct + incorrect + partial +
//! missed`, `actual = correct + incorrect + partial + spurious`. For `strict` and `exact`,
//! `P = COR / ACT` and `R = COR / POS`; for `partial` and `ent_type`, `P = (COR + 0.5 PAR) /
//! ACT` and `R = (COR + 0.5 PAR) / POS` (PAR is always 0 for `ent_type`). Per label, counts
//! go to the gold entity's label, except spurious predictions, which go to their own label.
//!
//! nervaluate 1.x rewrote the matching as one-to-one strategies; this module follows the
//! original algorithm above, which the MUC/SemEval tables in the literature were computed with.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Entity, Label};

/// Precision, recall and F1 from true-positive, false-positive and false-negative counts
/// (strict scheme: a true positive has exactly the gold span and type).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
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
/// not in `scope` are dropped from both sides first. See the module docs for the exact rules.
pub fn evaluate<'a, I>(documents: I, scope: &[Label]) -> Evaluation
where
    I: IntoIterator<Item = (&'a [Entity], &'a [Entity])>,
{
    let mut labels: Vec<Label> = Vec::with_capacity(scope.len());
    for l in scope {
        if !labels.contains(l) {
            labels.push(l.clone());
        }
    }
    let mut counts: BTreeMap<Label, Counts> = labels.iter().map(|l| (l.clone(), Counts::default())).collect();
    let mut overall = SchemeCounts::default();
    let mut per_label_schemes: BTreeMap<Label, SchemeCounts> = labels.iter().map(|l| (l.clone(), SchemeCounts::default())).collect();

    for (gold, pred) in documents {
        let gold = triples(gold, &labels);
        let pred = triples(pred, &labels);
        // Strict counts: both sides are sorted sets, so a merge finds the intersection.
        for t in &gold {
            if let Some(c) = counts.get_mut(t.2) {
                c.gold += 1;
                if pred.binary_search(t).is_ok() {
                    c.tp += 1;
                }
            }
        }
        for t in &pred {
            if let Some(c) = counts.get_mut(t.2) {
                c.pred += 1;
            }
        }
        nervaluate_document(&gold, &pred, &mut overall, &mut per_label_schemes);
    }

    let per_label: BTreeMap<Label, Score> = counts.iter().map(|(l, c)| (l.clone(), c.score())).collect();
    let total = counts.values().fold(Counts::default(), |a, c| Counts { tp: a.tp + c.tp, gold: a.gold + c.gold, pred: a.pred + c.pred });
    let present: Vec<&Score> = counts.iter().filter(|(_, c)| c.gold + c.pred > 0).filter_map(|(l, _)| per_label.get(l)).collect();
    let macro_avg = if present.is_empty() {
        MacroScore::default()
    } else {
        let n = present.len() as f64;
        MacroScore {
            precision: present.iter().map(|s| s.precision).sum::<f64>() / n,
            recall: present.iter().map(|s| s.recall).sum::<f64>() / n,
            f1: present.iter().map(|s| s.f1).sum::<f64>() / n,
        }
    };
    Evaluation {
        labels,
        per_label,
        micro: total.score(),
        macro_avg,
        schemes: overall.finish(),
        schemes_per_label: per_label_schemes.into_iter().map(|(l, c)| (l, c.finish())).collect(),
    }
}

impl Score {
    /// The strict score of `true_positives` out of `predicted` predictions and `gold` gold
    /// entities (`false_positives = predicted - tp`, `false_negatives = gold - tp`; counts
    /// saturate at 0 if `tp` exceeds either).
    pub fn from_counts(true_positives: usize, predicted: usize, gold: usize) -> Score {
        let precision = ratio(true_positives as f64, predicted as f64);
        let recall = ratio(true_positives as f64, gold as f64);
        Score {
            true_positives,
            false_positives: predicted.saturating_sub(true_positives),
            false_negatives: gold.saturating_sub(true_positives),
            precision,
            recall,
            f1: harmonic(precision, recall),
        }
    }
}

impl SchemeScore {
    /// Fills `possible`, `actual`, precision, recall and F1 from the five counts; `half_partial`
    /// selects the `partial`/`ent_type` formulas (`COR + 0.5 PAR` in the numerators) over the
    /// `strict`/`exact` ones (`COR`).
    pub fn from_counts(
        correct: usize,
        incorrect: usize,
        partial: usize,
        missed: usize,
        spurious: usize,
        half_partial: bool,
    ) -> SchemeScore {
        let possible = correct + incorrect + partial + missed;
        let actual = correct + incorrect + partial + spurious;
        let hits = if half_partial { correct as f64 + 0.5 * partial as f64 } else { correct as f64 };
        let precision = ratio(hits, actual as f64);
        let recall = ratio(hits, possible as f64);
        SchemeScore { correct, incorrect, partial, missed, spurious, possible, actual, precision, recall, f1: harmonic(precision, recall) }
    }
}

/// `num / den`, 0 when `den` is 0.
fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 {
        num / den
    } else {
        0.0
    }
}

/// `2pr / (p + r)`, 0 when both are 0.
fn harmonic(p: f64, r: f64) -> f64 {
    if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    tp: usize,
    gold: usize,
    pred: usize,
}

impl Counts {
    fn score(&self) -> Score {
        Score::from_counts(self.tp, self.pred, self.gold)
    }
}

/// `(start, end, label)` of the entities in scope, sorted and deduplicated.
type Triple<'a> = (usize, usize, &'a Label);

fn triples<'a>(entities: &'a [Entity], scope: &[Label]) -> Vec<Triple<'a>> {
    let mut t: Vec<Triple<'a>> = entities.iter().filter(|e| scope.contains(&e.label)).map(|e| (e.start, e.end, &e.label)).collect();
    t.sort();
    t.dedup();
    t
}

/// Raw counts of one scheme.
#[derive(Debug, Clone, Copy, Default)]
struct Raw {
    correct: usize,
    incorrect: usize,
    partial: usize,
    missed: usize,
    spurious: usize,
}

/// Raw counts of the four schemes.
#[derive(Debug, Clone, Copy, Default)]
struct SchemeCounts {
    strict: Raw,
    exact: Raw,
    partial: Raw,
    ent_type: Raw,
}

/// What happened to one prediction against one gold entity, per scheme.
#[derive(Clone, Copy)]
enum Outcome {
    Correct,
    Incorrect,
    Partial,
    Missed,
    Spurious,
}

impl Raw {
    fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Correct => self.correct += 1,
            Outcome::Incorrect => self.incorrect += 1,
            Outcome::Partial => self.partial += 1,
            Outcome::Missed => self.missed += 1,
            Outcome::Spurious => self.spurious += 1,
        }
    }
    fn finish(&self, half_partial: bool) -> SchemeScore {
        SchemeScore::from_counts(self.correct, self.incorrect, self.partial, self.missed, self.spurious, half_partial)
    }
}

impl SchemeCounts {
    /// Records outcomes `[strict, exact, partial, ent_type]`.
    fn add(&mut self, [s, x, p, t]: [Outcome; 4]) {
        self.strict.add(s);
        self.exact.add(x);
        self.partial.add(p);
        self.ent_type.add(t);
    }
    fn finish(&self) -> SchemeScores {
        SchemeScores {
            strict: self.strict.finish(false),
            exact: self.exact.finish(false),
            partial: self.partial.finish(true),
            ent_type: self.ent_type.finish(true),
        }
    }
}

/// nervaluate's `compute_metrics` on one document (see the module docs).
fn nervaluate_document(
    gold: &[Triple<'_>],
    pred: &[Triple<'_>],
    overall: &mut SchemeCounts,
    per_label: &mut BTreeMap<Label, SchemeCounts>,
) {
    use Outcome::*;
    let mut record = |label: &Label, outcomes: [Outcome; 4]| {
        overall.add(outcomes);
        if let Some(c) = per_label.get_mut(label) {
            c.add(outcomes);
        }
    };
    // `gold` is sorted by (start, end, label): nervaluate sorts it by start.
    let mut preds: Vec<Triple<'_>> = pred.to_vec();
    preds.sort_by_key(|&(s, e, _)| (e, s));
    let mut overlapped = vec![false; gold.len()];
    for p in preds {
        if let Ok(i) = gold.binary_search(&p) {
            overlapped[i] = true;
            record(p.2, [Correct; 4]);
            continue;
        }
        let mut found = false;
        for (i, g) in gold.iter().enumerate() {
            if p.1 <= g.0 {
                break;
            }
            if g.0 == p.0 && g.1 == p.1 {
                // Same span, other label (an equal label was case 1).
                record(g.2, [Incorrect, Correct, Correct, Incorrect]);
                overlapped[i] = true;
                found = true;
                break;
            }
            if p.0 < g.1 && g.0 < p.1 && !overlapped[i] {
                overlapped[i] = true;
                let ent_type = if p.2 == g.2 { Correct } else { Incorrect };
                record(g.2, [Incorrect, Incorrect, Partial, ent_type]);
                found = true;
            }
        }
        if !found {
            record(p.2, [Spurious; 4]);
        }
    }
    for (g, seen) in gold.iter().zip(&overlapped) {
        if !seen {
            record(g.2, [Missed; 4]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPS: f64 = 1e-12;

    fn ent(start: usize, end: usize, label: &Label) -> Entity {
        Entity { start, end, label: label.clone(), text: String::new(), score: None, canonical: None }
    }

    fn eval1(gold: &[Entity], pred: &[Entity], scope: &[Label]) -> Evaluation {
        evaluate([(gold, pred)], scope)
    }

    fn counts(s: &SchemeScore) -> [usize; 7] {
        [s.correct, s.incorrect, s.partial, s.missed, s.spurious, s.possible, s.actual]
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < EPS
    }

    fn all_finite(e: &Evaluation) -> bool {
        let s = |x: &Score| [x.precision, x.recall, x.f1].iter().all(|v| v.is_finite());
        let n = |x: &SchemeScores| {
            [x.strict, x.exact, x.partial, x.ent_type].iter().all(|v| [v.precision, v.recall, v.f1].iter().all(|f| f.is_finite()))
        };
        s(&e.micro)
            && e.per_label.values().all(s)
            && n(&e.schemes)
            && e.schemes_per_label.values().all(n)
            && [e.macro_avg.precision, e.macro_avg.recall, e.macro_avg.f1].iter().all(|v| v.is_finite())
    }

    #[test]
    fn both_empty_is_all_zeros() {
        let e = evaluate(std::iter::empty(), &Label::CONLL);
        assert_eq!(e.labels, Label::CONLL.to_vec());
        assert_eq!(e.micro, Score::default());
        assert_eq!(e.macro_avg, MacroScore::default());
        assert_eq!(e.schemes, SchemeScores::default());
        assert_eq!(e.per_label.len(), 4);
        assert!(e.per_label.values().all(|s| *s == Score::default()));
        assert!(e.schemes_per_label.values().all(|s| *s == SchemeScores::default()));
        let e = eval1(&[], &[], &Label::CONLL);
        assert_eq!(e.micro, Score::default());
        assert!(all_finite(&e));
        // An empty scope too.
        let e = eval1(&[ent(0, 3, &Label::PER)], &[], &[]);
        assert!(e.labels.is_empty() && e.per_label.is_empty());
        assert_eq!(e.micro, Score::default());
    }

    #[test]
    fn no_gold() {
        let e = eval1(&[], &[ent(0, 3, &Label::PER), ent(4, 8, &Label::ORG)], &Label::CONLL);
        assert_eq!((e.micro.true_positives, e.micro.false_positives, e.micro.false_negatives), (0, 2, 0));
        assert_eq!((e.micro.precision, e.micro.recall, e.micro.f1), (0.0, 0.0, 0.0));
        assert_eq!(counts(&e.schemes.strict), [0, 0, 0, 0, 2, 0, 2]);
        assert_eq!(counts(&e.schemes.partial), [0, 0, 0, 0, 2, 0, 2]);
        assert_eq!(counts(&e.schemes_per_label[&Label::ORG].exact), [0, 0, 0, 0, 1, 0, 1]);
        // Macro over PER and ORG (the labels that occur), both 0.
        assert_eq!(e.macro_avg, MacroScore::default());
        assert!(all_finite(&e));
    }

    #[test]
    fn no_predictions() {
        let gold = [ent(0, 3, &Label::PER), ent(4, 8, &Label::PER), ent(9, 12, &Label::LOC)];
        let e = eval1(&gold, &[], &Label::CONLL);
        assert_eq!((e.micro.true_positives, e.micro.false_positives, e.micro.false_negatives), (0, 0, 3));
        assert_eq!(e.per_label[&Label::PER].false_negatives, 2);
        assert_eq!(counts(&e.schemes.ent_type), [0, 0, 0, 3, 0, 3, 0]);
        assert_eq!(counts(&e.schemes_per_label[&Label::LOC].strict), [0, 0, 0, 1, 0, 1, 0]);
        assert_eq!(e.schemes.strict.f1, 0.0);
        assert!(all_finite(&e));
    }

    #[test]
    fn perfect_and_mixed_strict_scores() {
        let gold = [ent(0, 5, &Label::PER), ent(6, 9, &Label::PER), ent(10, 14, &Label::ORG)];
        let e = eval1(&gold, &gold, &Label::CONLL);
        assert_eq!(e.micro.f1, 1.0);
        assert_eq!(e.macro_avg.f1, 1.0);
        assert_eq!(e.schemes.partial.f1, 1.0);
        assert_eq!(counts(&e.schemes.strict), [3, 0, 0, 0, 0, 3, 3]);

        // PER: 1 of 2 found, ORG: 1 spurious, LOC: absent (left out of the macro average).
        let gold = [ent(0, 5, &Label::PER), ent(6, 9, &Label::PER)];
        let pred = [ent(0, 5, &Label::PER), ent(20, 24, &Label::ORG)];
        let e = eval1(&gold, &pred, &[Label::PER, Label::ORG, Label::LOC]);
        let per = e.per_label[&Label::PER];
        assert_eq!((per.true_positives, per.false_positives, per.false_negatives), (1, 0, 1));
        assert!(close(per.precision, 1.0) && close(per.recall, 0.5) && close(per.f1, 2.0 / 3.0));
        assert_eq!(e.per_label[&Label::ORG].false_positives, 1);
        assert_eq!(e.per_label[&Label::LOC], Score::default());
        assert!(close(e.micro.precision, 0.5) && close(e.micro.recall, 0.5) && close(e.micro.f1, 0.5));
        assert!(close(e.macro_avg.precision, 0.5));
        assert!(close(e.macro_avg.recall, 0.25));
        assert!(close(e.macro_avg.f1, 1.0 / 3.0), "mean of F1s, not F1 of means");
    }

    #[test]
    fn duplicate_predictions_count_once() {
        let gold = [ent(0, 5, &Label::PER)];
        let pred = [ent(0, 5, &Label::PER), ent(0, 5, &Label::PER), ent(7, 9, &Label::LOC), ent(7, 9, &Label::LOC)];
        let e = eval1(&gold, &pred, &Label::CONLL);
        assert_eq!((e.micro.true_positives, e.micro.false_positives, e.micro.false_negatives), (1, 1, 0));
        assert_eq!(counts(&e.schemes.strict), [1, 0, 0, 0, 1, 1, 2]);
    }

    #[test]
    fn wrong_type_same_span() {
        let gold = [ent(0, 5, &Label::PER)];
        let pred = [ent(0, 5, &Label::ORG)];
        let e = eval1(&gold, &pred, &Label::CONLL);
        assert_eq!((e.micro.true_positives, e.micro.false_positives, e.micro.false_negatives), (0, 1, 1));
        assert_eq!(counts(&e.schemes.strict), [0, 1, 0, 0, 0, 1, 1]);
        assert_eq!(counts(&e.schemes.ent_type), [0, 1, 0, 0, 0, 1, 1]);
        assert_eq!(counts(&e.schemes.exact), [1, 0, 0, 0, 0, 1, 1]);
        assert_eq!(counts(&e.schemes.partial), [1, 0, 0, 0, 0, 1, 1]);
        assert_eq!((e.schemes.strict.f1, e.schemes.exact.f1, e.schemes.partial.f1, e.schemes.ent_type.f1), (0.0, 1.0, 1.0, 0.0));
        // Per label: counted against the gold label.
        assert_eq!(counts(&e.schemes_per_label[&Label::PER].exact), [1, 0, 0, 0, 0, 1, 1]);
        assert_eq!(e.schemes_per_label[&Label::ORG], SchemeScores::default());
    }

    #[test]
    fn partial_overlap() {
        // Same type, gold "Sergey Lavrov" 0..13, predicted "Lavrov" 7..13.
        let e = eval1(&[ent(0, 13, &Label::PER)], &[ent(7, 13, &Label::PER)], &Label::CONLL);
        assert_eq!(e.micro.f1, 0.0);
        assert_eq!(counts(&e.schemes.strict), [0, 1, 0, 0, 0, 1, 1]);
        assert_eq!(counts(&e.schemes.exact), [0, 1, 0, 0, 0, 1, 1]);
        assert_eq!(counts(&e.schemes.partial), [0, 0, 1, 0, 0, 1, 1]);
        assert_eq!(counts(&e.schemes.ent_type), [1, 0, 0, 0, 0, 1, 1]);
        assert!(close(e.schemes.partial.precision, 0.5) && close(e.schemes.partial.recall, 0.5) && close(e.schemes.partial.f1, 0.5));
        assert_eq!(e.schemes.ent_type.f1, 1.0);

        // Other type: ent_type incorrect too.
        let e = eval1(&[ent(0, 13, &Label::PER)], &[ent(7, 20, &Label::LOC)], &Label::CONLL);
        assert_eq!(counts(&e.schemes.ent_type), [0, 1, 0, 0, 0, 1, 1]);
        assert_eq!(counts(&e.schemes.partial), [0, 0, 1, 0, 0, 1, 1]);
        assert_eq!(counts(&e.schemes_per_label[&Label::PER].partial), [0, 0, 1, 0, 0, 1, 1]);
        assert_eq!(e.schemes_per_label[&Label::LOC], SchemeScores::default());

        // Touching is not overlapping (exclusive ends): 13..20 after 0..13 is spurious.
        let e = eval1(&[ent(0, 13, &Label::PER)], &[ent(13, 20, &Label::PER)], &Label::CONLL);
        assert_eq!(counts(&e.schemes.partial), [0, 0, 0, 1, 1, 1, 1]);
    }

    #[test]
    fn overlapping_predictions() {
        // Two predictions over one gold: the first (by end) takes it, the second is spurious.
        let gold = [ent(0, 10, &Label::LOC)];
        let pred = [ent(2, 10, &Label::LOC), ent(0, 4, &Label::LOC)];
        let e = eval1(&gold, &pred, &Label::CONLL);
        assert_eq!(counts(&e.schemes.partial), [0, 0, 1, 0, 1, 1, 2]);
        assert!(close(e.schemes.partial.precision, 0.25));
        assert!(close(e.schemes.partial.recall, 0.5));
        assert!(close(e.schemes.partial.f1, 1.0 / 3.0));
        assert_eq!(counts(&e.schemes.strict), [0, 1, 0, 0, 1, 1, 2]);
        assert_eq!((e.micro.false_positives, e.micro.false_negatives), (2, 1));

        // A partial prediction and then the exact one: nervaluate counts both.
        let pred = [ent(0, 4, &Label::LOC), ent(0, 10, &Label::LOC)];
        let e = eval1(&gold, &pred, &Label::CONLL);
        assert_eq!(counts(&e.schemes.partial), [1, 0, 1, 0, 0, 2, 2]);
        assert_eq!(counts(&e.schemes.strict), [1, 1, 0, 0, 0, 2, 2]);
        assert_eq!((e.micro.true_positives, e.micro.false_positives), (1, 1));

        // One prediction over two gold entities counts against both.
        let gold = [ent(0, 3, &Label::PER), ent(4, 7, &Label::PER)];
        let e = eval1(&gold, &[ent(0, 7, &Label::PER)], &Label::CONLL);
        assert_eq!(counts(&e.schemes.ent_type), [2, 0, 0, 0, 0, 2, 2]);
        assert_eq!(counts(&e.schemes.partial), [0, 0, 2, 0, 0, 2, 2]);
        assert_eq!((e.micro.false_positives, e.micro.false_negatives), (1, 2));

        // Same span, two labels predicted: one correct, the other incorrect (not spurious).
        let gold = [ent(0, 5, &Label::ORG)];
        let e = eval1(&gold, &[ent(0, 5, &Label::ORG), ent(0, 5, &Label::LOC)], &Label::CONLL);
        assert_eq!(counts(&e.schemes.strict), [1, 1, 0, 0, 0, 2, 2]);
        assert_eq!(counts(&e.schemes.exact), [2, 0, 0, 0, 0, 2, 2]);
        assert_eq!(e.micro.precision, 0.5);
    }

    #[test]
    fn labels_outside_scope_are_ignored() {
        let gold = [ent(0, 5, &Label::PER), ent(6, 10, &Label::DATE)];
        let pred = [ent(0, 5, &Label::PER), ent(6, 10, &Label::ORG), ent(11, 15, &Label::DATE)];
        let e = eval1(&gold, &pred, &[Label::PER, Label::ORG]);
        assert_eq!(e.labels, [Label::PER, Label::ORG]);
        assert!(!e.per_label.contains_key(&Label::DATE));
        // The ORG prediction over the DATE gold entity is spurious: DATE gold is gone.
        assert_eq!((e.micro.true_positives, e.micro.false_positives, e.micro.false_negatives), (1, 1, 0));
        assert_eq!(counts(&e.schemes.strict), [1, 0, 0, 0, 1, 1, 2]);
        // Duplicate labels in scope are scored once.
        let e = eval1(&gold, &pred, &[Label::PER, Label::PER]);
        assert_eq!(e.labels, [Label::PER]);
        assert_eq!(e.micro.f1, 1.0);
    }

    #[test]
    fn documents_are_matched_separately() {
        let a = [ent(0, 5, &Label::PER)];
        let none: [Entity; 0] = [];
        let e = evaluate([(&a[..], &none[..]), (&none[..], &a[..])], &Label::CONLL);
        assert_eq!((e.micro.true_positives, e.micro.false_positives, e.micro.false_negatives), (0, 1, 1));
        let e = evaluate([(&a[..], &a[..]), (&a[..], &none[..])], &Label::CONLL);
        assert!(close(e.micro.recall, 0.5) && close(e.micro.precision, 1.0));
        assert_eq!(counts(&e.schemes.strict), [1, 0, 0, 1, 0, 2, 1]);
    }

    #[test]
    fn per_label_sums_to_overall() {
        let gold = [ent(0, 5, &Label::PER), ent(6, 9, &Label::LOC), ent(10, 20, &Label::ORG), ent(30, 35, &Label::MISC)];
        let pred = [ent(0, 5, &Label::ORG), ent(6, 8, &Label::LOC), ent(15, 20, &Label::ORG), ent(40, 45, &Label::MISC)];
        let e = eval1(&gold, &pred, &Label::CONLL);
        for pick in [|s: &SchemeScores| s.strict, |s: &SchemeScores| s.exact, |s: &SchemeScores| s.partial, |s: &SchemeScores| s.ent_type] {
            let mut sum = [0; 7];
            for s in e.schemes_per_label.values() {
                for (a, b) in sum.iter_mut().zip(counts(&pick(s))) {
                    *a += b;
                }
            }
            assert_eq!(sum, counts(&pick(&e.schemes)));
        }
        // Hand-computed: PER/ORG same span -> exact correct; LOC 6..9 vs 6..8 partial;
        // ORG 10..20 vs 15..20 partial same type; MISC missed + MISC spurious.
        assert_eq!(counts(&e.schemes.exact), [1, 2, 0, 1, 1, 4, 4]);
        assert_eq!(counts(&e.schemes.partial), [1, 0, 2, 1, 1, 4, 4]);
        assert_eq!(counts(&e.schemes.ent_type), [2, 1, 0, 1, 1, 4, 4]);
        assert!(close(e.schemes.partial.precision, 0.5) && close(e.schemes.partial.recall, 0.5));
        assert!(close(e.schemes.ent_type.f1, 0.5));

        // A prediction reaching into the next gold entity takes it too, so the prediction
        // that really covers that entity is spurious (nervaluate's walk does not stop).
        let pred = [ent(0, 5, &Label::ORG), ent(6, 12, &Label::LOC), ent(15, 20, &Label::ORG), ent(40, 45, &Label::MISC)];
        let e = eval1(&gold, &pred, &Label::CONLL);
        assert_eq!(counts(&e.schemes.exact), [1, 2, 0, 1, 2, 4, 5]);
        assert_eq!(counts(&e.schemes.ent_type), [1, 2, 0, 1, 2, 4, 5]);
        assert_eq!(counts(&e.schemes_per_label[&Label::ORG].partial), [0, 0, 1, 0, 1, 1, 2]);
    }
}
