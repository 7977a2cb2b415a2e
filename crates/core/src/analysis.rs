//! The numbers behind a comparison: error classes, bootstrap confidence intervals, paired
//! significance tests and agreement between extractors.
//!
//! Everything here is built on [`crate::metrics`], the one strict scorer: per-document strict
//! counts come from [`metrics::evaluate`] on each document alone, and resampling only adds
//! those counts up in other combinations. All scores are on the 0–1 scale of
//! [`metrics::Score`] (a report multiplies by 100 to print them).
//!
//! # Error classes ([`classify`])
//!
//! The usual taxonomy (Chinchor & Sundheim's MUC categories, as in nervaluate and most error
//! analyses), with every gold and predicted entity of a document in exactly one [`Outcome`]:
//!
//! | class | gold | prediction |
//! |---|---|---|
//! | [`ErrorClass::Correct`] | same span, same type | |
//! | [`ErrorClass::Type`] | same span, other type | |
//! | [`ErrorClass::Boundary`] | overlapping, not the same span, same type | |
//! | [`ErrorClass::BoundaryType`] | overlapping, not the same span, other type | |
//! | [`ErrorClass::Missed`] | no overlapping prediction | — |
//! | [`ErrorClass::Spurious`] | — | no overlapping gold |
//!
//! Gold and predicted entities are paired one to one. Candidate pairs are the overlapping
//! ones (sharing at least one byte; ends are exclusive, so touching spans do not overlap);
//! they are taken greedily in the order of the table above (correct first, then type,
//! boundary, boundary+type), within a class by the larger overlap in bytes, then by
//! position, and a pair is kept when neither entity is paired yet. So an exact match always
//! wins over a partial one, and the number of `Correct` outcomes equals the strict true
//! positives of [`metrics::evaluate`].
//!
//! Nested and overlapping entities leave entities that overlap something yet stay unpaired:
//!
//! - **split**: gold `New York Stock Exchange` ORG, predicted `New York` LOC and `Stock
//!   Exchange` ORG. `Stock Exchange` pairs with the gold entity (boundary); `New York`
//!   overlaps it too but it is taken: it is an outcome of its own, classed against the gold
//!   entity it overlaps most (here boundary+type), with `gold: None`.
//! - **merge**: gold `Smith` PER and `Jones` PER, predicted `Smith and Jones` PER. One gold
//!   entity pairs (boundary), the other is an outcome of its own (boundary) with `predicted:
//!   None`.
//!
//! Such an entity is neither missed nor spurious (something does overlap it), and no entity
//! appears in two outcomes. So `Boundary`/`BoundaryType` outcomes may lack one side; `Missed`
//! always has only gold, `Spurious` only a prediction, `Correct`/`Type` always both.
//!
//! As in [`crate::metrics`], identical `(start, end, label)` entities on one side count once:
//! a later exact duplicate is left out of the outcomes (the outcome names the first copy).
//!
//! # Confidence intervals ([`bootstrap_intervals`])
//!
//! The percentile bootstrap over documents (Efron & Tibshirani 1993, ch. 13): documents are
//! drawn with replacement, as many as the corpus has, the strict counts of the drawn
//! documents are pooled and scored, `resamples` times; the interval is the `(1 - confidence)
//! / 2` and `(1 + confidence) / 2` quantiles (linear interpolation) of the resampled scores.
//! Documents, not entities, are resampled because errors within a document are correlated.
//!
//! # Paired significance ([`paired_test`])
//!
//! Two extractors on the same documents. The interval of the F1 difference `a - b` is the
//! paired bootstrap (the same drawn documents for both); the p-value is approximate
//! randomisation (Noreen 1989; Yeh 2000, the usual test for F1): under the null hypothesis
//! that the systems are interchangeable, each document's two outputs are swapped with
//! probability ½, and `p = (1 + #{|Δ*| ≥ |Δ|}) / (1 + resamples)`, two-sided. A difference is
//! significant when `p < 1 - confidence`. On very few documents the smallest attainable p is
//! large (with 5 documents, 2 of the 32 swap patterns already reproduce `|Δ|`), so no
//! difference there is significant, as it should be.
//!
//! Everything is deterministic: the same inputs and [`BootstrapSettings`] give the same
//! numbers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::metrics::{self, Score};
use crate::{Entity, Label};

/// What happened to one gold entity, one prediction, or a pair of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// Same span and type: a strict true positive.
    Correct,
    /// Overlapping spans, not the same, same type.
    Boundary,
    /// Same span, other type.
    Type,
    /// Overlapping spans, not the same, other type.
    BoundaryType,
    /// A gold entity no prediction overlaps.
    Missed,
    /// A prediction that overlaps no gold entity.
    Spurious,
}

impl ErrorClass {
    /// Every class, in the order of the enum.
    pub const ALL: [ErrorClass; 6] =
        [ErrorClass::Correct, ErrorClass::Boundary, ErrorClass::Type, ErrorClass::BoundaryType, ErrorClass::Missed, ErrorClass::Spurious];

    /// The class's name as in JSON (`boundary_type`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Correct => "correct",
            ErrorClass::Boundary => "boundary",
            ErrorClass::Type => "type",
            ErrorClass::BoundaryType => "boundary_type",
            ErrorClass::Missed => "missed",
            ErrorClass::Spurious => "spurious",
        }
    }

    /// The class of a gold entity `g` and a prediction `p` that overlap.
    fn of_overlapping(g: &Entity, p: &Entity) -> ErrorClass {
        match (g.start == p.start && g.end == p.end, g.label == p.label) {
            (true, true) => ErrorClass::Correct,
            (true, false) => ErrorClass::Type,
            (false, true) => ErrorClass::Boundary,
            (false, false) => ErrorClass::BoundaryType,
        }
    }

    /// The pairing priority: correct, type, boundary, boundary+type.
    fn priority(self) -> u8 {
        match self {
            ErrorClass::Correct => 0,
            ErrorClass::Type => 1,
            ErrorClass::Boundary => 2,
            ErrorClass::BoundaryType => 3,
            ErrorClass::Missed | ErrorClass::Spurious => 4,
        }
    }
}

/// One outcome of [`classify`]: a class and the entities it concerns, as indices into the
/// gold and predicted slices passed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The class.
    pub class: ErrorClass,
    /// The gold entity, when the outcome has one.
    pub gold: Option<usize>,
    /// The predicted entity, when the outcome has one.
    pub predicted: Option<usize>,
}

/// Classifies one document's predictions against its gold entities (see the module docs for
/// the pairing rules). Outcomes come sorted by start (of the gold entity when there is one),
/// an outcome with a gold entity before one without at the same start.
pub fn classify(gold: &[Entity], predicted: &[Entity]) -> Vec<Outcome> {
    classify_with_partners(gold, predicted).into_iter().map(|(o, _)| o).collect()
}

/// [`classify`], each outcome with the label of the entity it was classed against when that
/// entity is not part of it (a split or merge leftover, for the confusion matrix), else `None`.
fn classify_with_partners<'e>(gold: &'e [Entity], predicted: &'e [Entity]) -> Vec<(Outcome, Option<&'e Label>)> {
    let gold_ix = distinct(gold);
    let pred_ix = distinct(predicted);
    // Every overlapping pair, best first.
    let mut candidates: Vec<(u8, std::cmp::Reverse<usize>, usize, usize)> = Vec::new();
    for &g in &gold_ix {
        for &p in &pred_ix {
            let (ge, pe) = (&gold[g], &predicted[p]);
            if ge.overlaps(pe) {
                let overlap = ge.end.min(pe.end) - ge.start.max(pe.start);
                candidates.push((ErrorClass::of_overlapping(ge, pe).priority(), std::cmp::Reverse(overlap), g, p));
            }
        }
    }
    candidates.sort();
    let mut gold_pair: BTreeMap<usize, usize> = BTreeMap::new();
    let mut pred_pair: BTreeMap<usize, usize> = BTreeMap::new();
    // The best overlapping partner of each entity, paired or not (first in candidate order).
    let mut gold_best: BTreeMap<usize, usize> = BTreeMap::new();
    let mut pred_best: BTreeMap<usize, usize> = BTreeMap::new();
    for &(_, _, g, p) in &candidates {
        gold_best.entry(g).or_insert(p);
        pred_best.entry(p).or_insert(g);
        if !gold_pair.contains_key(&g) && !pred_pair.contains_key(&p) {
            gold_pair.insert(g, p);
            pred_pair.insert(p, g);
        }
    }

    let mut out: Vec<(Outcome, Option<&Label>)> = Vec::with_capacity(gold_ix.len() + pred_ix.len());
    for &g in &gold_ix {
        let outcome = match (gold_pair.get(&g), gold_best.get(&g)) {
            (Some(&p), _) => {
                (Outcome { class: ErrorClass::of_overlapping(&gold[g], &predicted[p]), gold: Some(g), predicted: Some(p) }, None)
            }
            (None, Some(&p)) => {
                let class = ErrorClass::of_overlapping(&gold[g], &predicted[p]);
                (Outcome { class, gold: Some(g), predicted: None }, Some(&predicted[p].label))
            }
            (None, None) => (Outcome { class: ErrorClass::Missed, gold: Some(g), predicted: None }, None),
        };
        out.push(outcome);
    }
    for &p in &pred_ix {
        if pred_pair.contains_key(&p) {
            continue;
        }
        let outcome = match pred_best.get(&p) {
            Some(&g) => {
                let class = ErrorClass::of_overlapping(&gold[g], &predicted[p]);
                (Outcome { class, gold: None, predicted: Some(p) }, Some(&gold[g].label))
            }
            None => (Outcome { class: ErrorClass::Spurious, gold: None, predicted: Some(p) }, None),
        };
        out.push(outcome);
    }
    // By start, an outcome with gold before one without, then by end.
    let key = |o: &Outcome| {
        let g = o.gold.map(|i| (gold[i].start, gold[i].end));
        let (start, end) = g.or(o.predicted.map(|i| (predicted[i].start, predicted[i].end))).unwrap_or_default();
        (start, g.is_none(), end)
    };
    out.sort_by_key(|(o, _)| key(o));
    out
}

/// Indices of the entities that are not exact duplicates (span and label) of an earlier one.
fn distinct(entities: &[Entity]) -> Vec<usize> {
    let mut seen = std::collections::HashSet::new();
    (0..entities.len()).filter(|&i| seen.insert((entities[i].start, entities[i].end, &entities[i].label))).collect()
}

/// The confusion label of "no entity": gold `O` is a spurious prediction, predicted `O` a
/// missed gold entity.
pub const OUTSIDE: &str = "O";

/// Error classes and label confusions summed over documents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorSummary {
    /// Per label, the count of each class (all six present, zeros included). An outcome counts
    /// under its gold entity's label, or its prediction's when it has no gold entity.
    pub by_label: BTreeMap<String, BTreeMap<ErrorClass, usize>>,
    /// Gold label (`"O"` for spurious predictions) → predicted label (`"O"` for missed gold
    /// entities) → count; one count per outcome. An outcome missing one side of an overlap (a
    /// split or merge, see the module docs) counts against the label of the entity it was
    /// classed against.
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
}

impl ErrorSummary {
    /// The count of `class` over all labels.
    pub fn total(&self, class: ErrorClass) -> usize {
        self.by_label.values().filter_map(|m| m.get(&class)).sum()
    }
}

/// Classifies every document's predictions (pairs of gold and predicted entities) and sums
/// the classes per label and the label confusions. Callers restrict both sides to the labels
/// they want counted first.
pub fn summarize_errors<'a, I: IntoIterator<Item = (&'a [Entity], &'a [Entity])>>(docs: I) -> ErrorSummary {
    let mut summary = ErrorSummary::default();
    for (gold, predicted) in docs {
        for (o, partner) in classify_with_partners(gold, predicted) {
            let g = o.gold.map(|i| &gold[i].label);
            let p = o.predicted.map(|i| &predicted[i].label);
            let label = g.or(p).map(Label::as_str).unwrap_or(OUTSIDE);
            let classes = summary.by_label.entry(label.to_string()).or_insert_with(|| ErrorClass::ALL.iter().map(|&c| (c, 0)).collect());
            *classes.entry(o.class).or_default() += 1;
            // `partner` is only set for the side that is missing.
            let row = g.or(partner).map(Label::as_str).unwrap_or(OUTSIDE);
            let column = p.or(partner).map(Label::as_str).unwrap_or(OUTSIDE);
            *summary.confusion.entry(row.to_string()).or_default().entry(column.to_string()).or_default() += 1;
        }
    }
    summary
}

/// A closed interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

impl Interval {
    /// Whether `x` lies in the interval (bounds included).
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

/// Confidence intervals of one strict score.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreInterval {
    /// Interval of the precision.
    pub precision: Interval,
    /// Interval of the recall.
    pub recall: Interval,
    /// Interval of the F1.
    pub f1: Interval,
}

/// Confidence intervals of an extractor's strict micro and per-label scores.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreIntervals {
    /// The micro score over the whole scope.
    pub micro: ScoreInterval,
    /// Each label of the scope.
    pub per_label: BTreeMap<Label, ScoreInterval>,
}

/// Settings of the bootstrap and the randomisation test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BootstrapSettings {
    /// Resamples (bootstrap) and shuffles (randomisation). 0 turns both off: intervals shrink
    /// to the point estimate and p-values are 1.
    pub resamples: usize,
    /// Seed of the random number generator.
    pub seed: u64,
    /// Confidence level of the intervals, in (0, 1); `1 - confidence` is the significance
    /// level of the paired test.
    pub confidence: f64,
}

impl Default for BootstrapSettings {
    fn default() -> Self {
        BootstrapSettings { resamples: 1000, seed: 20_030_531, confidence: 0.95 }
    }
}

/// Strict counts of one document over one label: true positives, predictions, gold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    tp: usize,
    predicted: usize,
    gold: usize,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.tp += other.tp;
        self.predicted += other.predicted;
        self.gold += other.gold;
    }
    fn score(self) -> Score {
        Score::from_counts(self.tp, self.predicted, self.gold)
    }
}

/// Per-document strict counts, `docs[d][l]` for label `l` of `labels`, from the one scorer.
struct CountTable {
    labels: Vec<Label>,
    docs: Vec<Vec<Counts>>,
}

impl CountTable {
    fn new<'a>(pairs: impl Iterator<Item = (&'a [Entity], &'a [Entity])>, scope: &[Label]) -> CountTable {
        let mut labels: Vec<Label> = Vec::new();
        let mut docs = Vec::new();
        for (gold, predicted) in pairs {
            let e = metrics::evaluate(std::iter::once((gold, predicted)), scope);
            labels = e.labels;
            docs.push(
                labels
                    .iter()
                    .map(|l| {
                        let s = e.per_label[l];
                        Counts {
                            tp: s.true_positives,
                            predicted: s.true_positives + s.false_positives,
                            gold: s.true_positives + s.false_negatives,
                        }
                    })
                    .collect(),
            );
        }
        if docs.is_empty() {
            labels = metrics::evaluate(std::iter::empty(), scope).labels;
        }
        CountTable { labels, docs }
    }

    /// Micro counts of each document.
    fn micro(&self) -> Vec<Counts> {
        self.docs
            .iter()
            .map(|d| {
                let mut c = Counts::default();
                d.iter().for_each(|x| c.add(*x));
                c
            })
            .collect()
    }
}

/// The `q` quantile (0..=1) of sorted values, linearly interpolated (Hyndman & Fan type 7).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The central `confidence` interval of `values`; `point` when there are none.
fn percentile_interval(mut values: Vec<f64>, confidence: f64, point: f64) -> Interval {
    if values.is_empty() {
        return Interval { low: point, high: point };
    }
    values.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence.clamp(0.0, 1.0)) / 2.0;
    Interval { low: quantile(&values, tail), high: quantile(&values, 1.0 - tail) }
}

/// Collects resampled precision, recall and F1 and turns them into intervals.
#[derive(Default)]
struct ScoreSamples {
    precision: Vec<f64>,
    recall: Vec<f64>,
    f1: Vec<f64>,
}

impl ScoreSamples {
    fn push(&mut self, s: Score) {
        self.precision.push(s.precision);
        self.recall.push(s.recall);
        self.f1.push(s.f1);
    }
    fn interval(self, confidence: f64, point: Score) -> ScoreInterval {
        ScoreInterval {
            precision: percentile_interval(self.precision, confidence, point.precision),
            recall: percentile_interval(self.recall, confidence, point.recall),
            f1: percentile_interval(self.f1, confidence, point.f1),
        }
    }
}

/// Percentile-bootstrap intervals of the strict micro and per-label scores over `scope`,
/// resampling documents (`docs` pairs each document's gold with its predictions). The same
/// resampled corpora serve every label and the micro score.
pub fn bootstrap_intervals(docs: &[(&[Entity], &[Entity])], scope: &[Label], settings: &BootstrapSettings) -> ScoreIntervals {
    let table = CountTable::new(docs.iter().copied(), scope);
    let n = table.docs.len();
    let labels = table.labels.len();
    let total = |pick: &mut dyn FnMut() -> usize| -> Vec<Counts> {
        let mut sums = vec![Counts::default(); labels];
        for _ in 0..n {
            for (s, c) in sums.iter_mut().zip(&table.docs[pick()]) {
                s.add(*c);
            }
        }
        sums
    };
    let micro_of = |sums: &[Counts]| {
        let mut c = Counts::default();
        sums.iter().for_each(|x| c.add(*x));
        c
    };
    let mut identity = 0..n;
    let point = total(&mut || identity.next().unwrap_or(0));
    let mut micro = ScoreSamples::default();
    let mut per_label: Vec<ScoreSamples> = (0..labels).map(|_| ScoreSamples::default()).collect();
    if n > 0 {
        let mut rng = fastrand::Rng::with_seed(settings.seed);
        for _ in 0..settings.resamples {
            let sums = total(&mut || rng.usize(..n));
            micro.push(micro_of(&sums).score());
            for (samples, c) in per_label.iter_mut().zip(&sums) {
                samples.push(c.score());
            }
        }
    }
    ScoreIntervals {
        micro: micro.interval(settings.confidence, micro_of(&point).score()),
        per_label: table
            .labels
            .iter()
            .zip(per_label)
            .zip(&point)
            .map(|((l, samples), p)| (l.clone(), samples.interval(settings.confidence, p.score())))
            .collect(),
    }
}

/// The paired comparison of two extractors `a` and `b` on the same documents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PairedTest {
    /// Strict micro F1 of `a` minus that of `b` (0–1 scale).
    pub delta_f1: f64,
    /// Two-sided p-value of approximate randomisation: the chance of a difference at least
    /// this large if the two were interchangeable.
    pub p_value: f64,
    /// Paired-bootstrap confidence interval of `delta_f1`.
    pub interval: Interval,
    /// `p_value < 1 - confidence`.
    pub significant: bool,
}

/// Compares extractors `a` and `b` (predictions per document, aligned with `gold`) by strict
/// micro F1 over `scope`: paired-bootstrap interval of the difference and
/// approximate-randomisation p-value (see the module docs).
///
/// # Panics
/// When the three slices do not have the same length.
pub fn paired_test(gold: &[&[Entity]], a: &[&[Entity]], b: &[&[Entity]], scope: &[Label], settings: &BootstrapSettings) -> PairedTest {
    assert!(gold.len() == a.len() && gold.len() == b.len(), "paired_test needs the same documents for both systems");
    let ca = CountTable::new(gold.iter().copied().zip(a.iter().copied()), scope).micro();
    let cb = CountTable::new(gold.iter().copied().zip(b.iter().copied()), scope).micro();
    let n = gold.len();
    // F1 difference of a corpus where document i of system a is `pick(i)`.
    let delta = |draws: &mut dyn Iterator<Item = (Counts, Counts)>| {
        let (mut sa, mut sb) = (Counts::default(), Counts::default());
        for (x, y) in draws {
            sa.add(x);
            sb.add(y);
        }
        sa.score().f1 - sb.score().f1
    };
    let observed = delta(&mut ca.iter().copied().zip(cb.iter().copied()));
    let mut test =
        PairedTest { delta_f1: observed, p_value: 1.0, interval: Interval { low: observed, high: observed }, significant: false };
    if n == 0 || settings.resamples == 0 {
        return test;
    }
    let mut rng = fastrand::Rng::with_seed(settings.seed);
    let boot: Vec<f64> = (0..settings.resamples)
        .map(|_| {
            delta(&mut (0..n).map(|_| {
                let i = rng.usize(..n);
                (ca[i], cb[i])
            }))
        })
        .collect();
    test.interval = percentile_interval(boot, settings.confidence, observed);
    // A separate stream, so the test does not depend on the bootstrap's draws.
    let mut rng = fastrand::Rng::with_seed(settings.seed ^ 0x9e37_79b9_7f4a_7c15);
    // Differences that equal the observed one up to rounding count as "at least as large".
    let threshold = observed.abs() - 1e-12;
    let extreme = (0..settings.resamples)
        .filter(|_| {
            let d = delta(&mut ca.iter().zip(&cb).map(|(&x, &y)| if rng.bool() { (y, x) } else { (x, y) }));
            d.abs() >= threshold
        })
        .count();
    test.p_value = (extreme + 1) as f64 / (settings.resamples + 1) as f64;
    test.significant = test.p_value < 1.0 - settings.confidence;
    test
}

/// Strict micro F1 over `scope` of one extractor's entities against another's (documents
/// aligned), 0–1 like [`Score::f1`]. F1 is symmetric in its two arguments (swapping them
/// swaps precision and recall). Two outputs with no entities in scope agree perfectly (1.0),
/// so an extractor always agrees with itself.
pub fn agreement_f1(a: &[&[Entity]], b: &[&[Entity]], scope: &[Label]) -> f64 {
    let e = metrics::evaluate(a.iter().copied().zip(b.iter().copied()), scope);
    let m = e.micro;
    if m.true_positives + m.false_positives + m.false_negatives == 0 {
        1.0
    } else {
        m.f1
    }
}

/// Pairwise [`agreement_f1`] of several outputs (gold usually first).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgreementMatrix {
    /// Row and column names, in order.
    pub names: Vec<String>,
    /// `f1[i][j]`: agreement of `names[i]` with `names[j]` (symmetric, diagonal 1).
    pub f1: Vec<Vec<f64>>,
}

/// The agreement of every output with every other: `outputs` pairs a name with entities per
/// document (all aligned on the same documents).
pub fn agreement_matrix(outputs: &[(String, Vec<&[Entity]>)], scope: &[Label]) -> AgreementMatrix {
    let k = outputs.len();
    let mut f1 = vec![vec![1.0; k]; k];
    for i in 0..k {
        for j in i + 1..k {
            let v = agreement_f1(&outputs[i].1, &outputs[j].1, scope);
            f1[i][j] = v;
            f1[j][i] = v;
        }
    }
    AgreementMatrix { names: outputs.iter().map(|(n, _)| n.clone()).collect(), f1 }
}

/// `entities` restricted to the labels of `scope`, for callers of [`summarize_errors`].
pub fn in_scope(entities: &[Entity], scope: &[Label]) -> Vec<Entity> {
    entities.iter().filter(|e| scope.contains(&e.label)).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ErrorClass::*;

    fn ent(start: usize, end: usize, label: &Label) -> Entity {
        Entity { start, end, label: label.clone(), text: "x".repeat(end - start), score: None, canonical: None }
    }

    /// `(class, gold, predicted)` of each outcome.
    fn classes(gold: &[Entity], pred: &[Entity]) -> Vec<(ErrorClass, Option<usize>, Option<usize>)> {
        classify(gold, pred).into_iter().map(|o| (o.class, o.gold, o.predicted)).collect()
    }

    #[test]
    fn each_class_on_its_own() {
        let gold = [ent(0, 5, &Label::PER)];
        assert_eq!(classes(&gold, &[ent(0, 5, &Label::PER)]), [(Correct, Some(0), Some(0))]);
        assert_eq!(classes(&gold, &[ent(0, 5, &Label::ORG)]), [(Type, Some(0), Some(0))]);
        assert_eq!(classes(&gold, &[ent(2, 5, &Label::PER)]), [(Boundary, Some(0), Some(0))]);
        assert_eq!(classes(&gold, &[ent(0, 9, &Label::PER)]), [(Boundary, Some(0), Some(0))]);
        assert_eq!(classes(&gold, &[ent(3, 9, &Label::LOC)]), [(BoundaryType, Some(0), Some(0))]);
        assert_eq!(classes(&gold, &[]), [(Missed, Some(0), None)]);
        assert_eq!(classes(&[], &gold), [(Spurious, None, Some(0))]);
        // Touching is not overlapping (exclusive ends).
        assert_eq!(classes(&gold, &[ent(5, 9, &Label::PER)]), [(Missed, Some(0), None), (Spurious, None, Some(0))]);
    }

    #[test]
    fn exact_match_wins_over_partial_ones() {
        // The partial prediction comes first in the slice; the exact one still pairs.
        let gold = [ent(0, 10, &Label::LOC)];
        let pred = [ent(0, 4, &Label::LOC), ent(0, 10, &Label::LOC)];
        assert_eq!(classes(&gold, &pred), [(Correct, Some(0), Some(1)), (Boundary, None, Some(0))]);
        // Same span, two labels: the right label pairs, the other is a leftover type error.
        let pred = [ent(0, 10, &Label::ORG), ent(0, 10, &Label::LOC)];
        assert_eq!(classes(&gold, &pred), [(Correct, Some(0), Some(1)), (Type, None, Some(0))]);
    }

    #[test]
    fn nested_and_overlapping_predictions() {
        // Split: "New York Stock Exchange" ORG predicted as "New York" LOC + "Stock Exchange" ORG.
        let gold = [ent(0, 23, &Label::ORG)];
        let pred = [ent(0, 8, &Label::LOC), ent(9, 23, &Label::ORG)];
        assert_eq!(classes(&gold, &pred), [(Boundary, Some(0), Some(1)), (BoundaryType, None, Some(0))]);
        // Merge: "Smith" PER and "Jones" PER predicted as one "Smith and Jones" PER.
        let gold = [ent(0, 5, &Label::PER), ent(10, 15, &Label::PER)];
        let pred = [ent(0, 15, &Label::PER)];
        assert_eq!(classes(&gold, &pred), [(Boundary, Some(0), Some(0)), (Boundary, Some(1), None)]);
        // Nested gold and nested predictions: the exact pairs are found whatever the order.
        let gold = [ent(0, 20, &Label::ORG), ent(10, 20, &Label::LOC)];
        let pred = [ent(10, 20, &Label::LOC), ent(0, 20, &Label::ORG)];
        assert_eq!(classes(&gold, &pred), [(Correct, Some(0), Some(1)), (Correct, Some(1), Some(0))]);
        // A prediction nested inside gold, of another type; a second gold overlapped by nothing.
        let gold = [ent(0, 20, &Label::ORG), ent(30, 35, &Label::PER)];
        let pred = [ent(10, 20, &Label::LOC)];
        assert_eq!(classes(&gold, &pred), [(BoundaryType, Some(0), Some(0)), (Missed, Some(1), None)]);
        // The larger overlap pairs when two predictions of the same class compete.
        let gold = [ent(0, 10, &Label::PER)];
        let pred = [ent(0, 3, &Label::PER), ent(2, 10, &Label::PER)];
        assert_eq!(classes(&gold, &pred), [(Boundary, Some(0), Some(1)), (Boundary, None, Some(0))]);
    }

    #[test]
    fn every_entity_once_and_duplicates_collapse() {
        let gold = [ent(0, 5, &Label::PER), ent(6, 9, &Label::LOC), ent(10, 20, &Label::ORG), ent(30, 35, &Label::MISC)];
        let pred = [
            ent(0, 5, &Label::ORG),
            ent(0, 5, &Label::ORG),
            ent(6, 8, &Label::LOC),
            ent(12, 14, &Label::ORG),
            ent(15, 25, &Label::PER),
            ent(40, 45, &Label::MISC),
        ];
        let out = classify(&gold, &pred);
        let mut golds: Vec<usize> = out.iter().filter_map(|o| o.gold).collect();
        let mut preds: Vec<usize> = out.iter().filter_map(|o| o.predicted).collect();
        golds.sort();
        preds.sort();
        assert_eq!(golds, [0, 1, 2, 3]);
        assert_eq!(preds, [0, 2, 3, 4, 5], "the duplicate (index 1) is represented by index 0");
        let c: Vec<ErrorClass> = out.iter().map(|o| o.class).collect();
        assert_eq!(c, [Type, Boundary, Boundary, BoundaryType, Missed, Spurious]);
    }

    #[test]
    fn correct_count_is_the_scorers_true_positives() {
        let gold = [ent(0, 5, &Label::PER), ent(6, 9, &Label::LOC), ent(10, 20, &Label::ORG)];
        let pred =
            [ent(0, 5, &Label::PER), ent(0, 5, &Label::PER), ent(6, 9, &Label::LOC), ent(6, 12, &Label::LOC), ent(10, 20, &Label::MISC)];
        let s = summarize_errors([(&gold[..], &pred[..])]);
        let e = metrics::evaluate([(&gold[..], &pred[..])], &Label::CONLL);
        assert_eq!(s.total(Correct), e.micro.true_positives);
        assert_eq!(s.total(Correct), 2);
    }

    #[test]
    fn summary_counts_per_label_and_confusion() {
        let gold = [ent(0, 5, &Label::PER), ent(6, 9, &Label::LOC), ent(20, 23, &Label::ORG)];
        let pred = [ent(0, 5, &Label::ORG), ent(6, 9, &Label::LOC), ent(30, 33, &Label::MISC)];
        let s = summarize_errors([(&gold[..], &pred[..]), (&gold[..1], &gold[..1])]);
        assert_eq!(s.by_label["PER"][&Type], 1);
        assert_eq!(s.by_label["PER"][&Correct], 1);
        assert_eq!(s.by_label["LOC"][&Correct], 1);
        assert_eq!(s.by_label["ORG"][&Missed], 1);
        assert_eq!(s.by_label["MISC"][&Spurious], 1);
        assert_eq!(s.by_label["MISC"].len(), 6, "all classes present");
        assert_eq!(s.confusion["PER"]["ORG"], 1);
        assert_eq!(s.confusion["PER"]["PER"], 1);
        assert_eq!(s.confusion["ORG"][OUTSIDE], 1);
        assert_eq!(s.confusion[OUTSIDE]["MISC"], 1);
        // A split: the leftover prediction is confused with the gold label it overlaps.
        let s = summarize_errors([(&[ent(0, 23, &Label::ORG)][..], &[ent(0, 8, &Label::LOC), ent(9, 23, &Label::ORG)][..])]);
        assert_eq!(s.confusion["ORG"]["LOC"], 1);
        assert_eq!(s.confusion["ORG"]["ORG"], 1);
        assert_eq!(s.by_label["ORG"][&Boundary], 1);
        assert_eq!(s.by_label["LOC"][&BoundaryType], 1);
        let total: usize = s.confusion.values().flat_map(|r| r.values()).sum();
        assert_eq!(total, 2, "one cell per outcome");
    }

    #[test]
    fn summary_round_trips_through_json() {
        let s = summarize_errors([(&[ent(0, 5, &Label::PER)][..], &[ent(0, 5, &Label::ORG)][..])]);
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains("\"boundary_type\":0"), "{json}");
        assert_eq!(serde_json::from_str::<ErrorSummary>(&json).unwrap(), s);
    }

    /// `n` documents; a gold PER in each, and `found` of them found by the system.
    fn system(n: usize, found: impl Fn(usize) -> bool) -> (Vec<Vec<Entity>>, Vec<Vec<Entity>>) {
        let gold: Vec<Vec<Entity>> = (0..n).map(|_| vec![ent(0, 5, &Label::PER), ent(6, 9, &Label::LOC)]).collect();
        let pred = (0..n)
            .map(|i| {
                let mut p = vec![ent(6, 9, &Label::LOC)];
                if found(i) {
                    p.push(ent(0, 5, &Label::PER));
                } else {
                    p.push(ent(0, 3, &Label::PER));
                }
                p
            })
            .collect();
        (gold, pred)
    }

    fn slices(v: &[Vec<Entity>]) -> Vec<&[Entity]> {
        v.iter().map(Vec::as_slice).collect()
    }

    #[test]
    fn bootstrap_is_deterministic_and_brackets_the_point() {
        let (gold, pred) = system(40, |i| i % 3 != 0);
        let docs: Vec<(&[Entity], &[Entity])> = gold.iter().zip(&pred).map(|(g, p)| (g.as_slice(), p.as_slice())).collect();
        let settings = BootstrapSettings::default();
        let a = bootstrap_intervals(&docs, &Label::CONLL, &settings);
        assert_eq!(a, bootstrap_intervals(&docs, &Label::CONLL, &settings));
        let point = metrics::evaluate(docs.iter().copied(), &Label::CONLL);
        assert!(a.micro.f1.contains(point.micro.f1), "{:?} vs {}", a.micro.f1, point.micro.f1);
        assert!(a.micro.f1.high - a.micro.f1.low > 0.01, "documents differ, so the interval has width");
        assert!(a.per_label[&Label::PER].recall.contains(point.per_label[&Label::PER].recall));
        // LOC is always right: its interval is a point at 1.
        assert_eq!(a.per_label[&Label::LOC].f1, Interval { low: 1.0, high: 1.0 });
        // Absent labels are in the map, at 0.
        assert_eq!(a.per_label[&Label::MISC].f1, Interval::default());
        // Another seed keeps the bounds close.
        let b = bootstrap_intervals(&docs, &Label::CONLL, &BootstrapSettings { seed: 7, ..settings });
        assert!((a.micro.f1.low - b.micro.f1.low).abs() < 0.05);
        // A narrower confidence gives a narrower interval.
        let c = bootstrap_intervals(&docs, &Label::CONLL, &BootstrapSettings { confidence: 0.5, ..settings });
        assert!(c.micro.f1.high - c.micro.f1.low < a.micro.f1.high - a.micro.f1.low);
    }

    #[test]
    fn bootstrap_of_nothing_is_the_point() {
        let a = bootstrap_intervals(&[], &Label::CONLL, &BootstrapSettings::default());
        assert_eq!(a.micro, ScoreInterval::default());
        assert_eq!(a.per_label.len(), 4);
        let (gold, pred) = system(10, |i| i % 2 == 0);
        let docs: Vec<(&[Entity], &[Entity])> = gold.iter().zip(&pred).map(|(g, p)| (g.as_slice(), p.as_slice())).collect();
        let a = bootstrap_intervals(&docs, &Label::CONLL, &BootstrapSettings { resamples: 0, ..Default::default() });
        let f1 = metrics::evaluate(docs.iter().copied(), &Label::CONLL).micro.f1;
        assert_eq!(a.micro.f1, Interval { low: f1, high: f1 });
    }

    #[test]
    fn quantiles_interpolate() {
        let v = [0.0, 1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.5), 2.0);
        assert_eq!(quantile(&v, 0.125), 0.5);
        assert_eq!(quantile(&v, 1.0), 4.0);
        assert_eq!(percentile_interval(vec![3.0, 0.0, 4.0, 1.0, 2.0], 0.5, 9.0), Interval { low: 1.0, high: 3.0 });
    }

    #[test]
    fn identical_systems_are_not_distinguishable() {
        let (gold, pred) = system(30, |i| i % 4 != 0);
        let (g, p) = (slices(&gold), slices(&pred));
        let t = paired_test(&g, &p, &p, &Label::CONLL, &BootstrapSettings::default());
        assert_eq!(t.delta_f1, 0.0);
        assert!(t.interval.contains(0.0));
        assert!(!t.significant);
        assert_eq!(t.p_value, 1.0);
    }

    #[test]
    fn clearly_different_systems_are_significant() {
        let (gold, good) = system(60, |i| i % 10 != 0);
        let (_, bad) = system(60, |i| i % 10 < 3);
        let (g, a, b) = (slices(&gold), slices(&good), slices(&bad));
        let settings = BootstrapSettings::default();
        let t = paired_test(&g, &a, &b, &Label::CONLL, &settings);
        assert!(t.delta_f1 > 0.2, "{t:?}");
        assert!(t.significant && t.p_value < 0.01, "{t:?}");
        assert!(t.interval.low > 0.0 && t.interval.contains(t.delta_f1), "{t:?}");
        // Deterministic, and antisymmetric in a and b.
        assert_eq!(t, paired_test(&g, &a, &b, &Label::CONLL, &settings));
        let r = paired_test(&g, &b, &a, &Label::CONLL, &settings);
        assert_eq!((r.delta_f1, r.p_value), (-t.delta_f1, t.p_value));
        assert!((r.interval.high + t.interval.low).abs() < 1e-12);
    }

    #[test]
    fn small_differences_on_few_documents_are_not_significant() {
        // Five documents, the systems differ on one: no test can tell them apart.
        let (gold, a) = system(5, |_| true);
        let (_, b) = system(5, |i| i != 2);
        let t = paired_test(&slices(&gold), &slices(&a), &slices(&b), &Label::CONLL, &BootstrapSettings::default());
        assert!(t.delta_f1 > 0.0);
        assert!(!t.significant && t.p_value > 0.3, "{t:?}");
    }

    #[test]
    fn agreement_is_symmetric_with_a_unit_diagonal() {
        let (gold, a) = system(10, |i| i % 2 == 0);
        let (_, b) = system(10, |i| i % 3 == 0);
        let none: Vec<Vec<Entity>> = vec![Vec::new(); 10];
        let outputs: Vec<(String, Vec<&[Entity]>)> =
            [("gold", &gold), ("a", &a), ("b", &b), ("none", &none)].iter().map(|(n, v)| (n.to_string(), slices(v))).collect();
        let m = agreement_matrix(&outputs, &Label::CONLL);
        assert_eq!(m.names, ["gold", "a", "b", "none"]);
        for i in 0..4 {
            assert_eq!(m.f1[i][i], 1.0);
            for j in 0..4 {
                assert_eq!(m.f1[i][j], m.f1[j][i]);
                assert_eq!(m.f1[i][j], agreement_f1(&outputs[i].1, &outputs[j].1, &Label::CONLL));
            }
        }
        // Agreement with gold is the strict F1.
        let f1 = metrics::evaluate(gold.iter().map(Vec::as_slice).zip(a.iter().map(Vec::as_slice)), &Label::CONLL).micro.f1;
        assert_eq!(m.f1[0][1], f1);
        assert!(m.f1[0][1] < 1.0 && m.f1[1][2] < 1.0);
        assert_eq!(m.f1[0][3], 0.0);
    }
}
