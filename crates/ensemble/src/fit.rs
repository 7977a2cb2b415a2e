//! Fitting the `learned` combiner: L2-regularised logistic regression by Newton's method, its
//! penalty and decision threshold chosen by cross-validation over documents.
//!
//! Everything is deterministic: the only randomness is the assignment of documents to folds,
//! drawn from `seed` with a fixed generator (SplitMix64), and every sum runs in a fixed order
//! on one thread. The same member outputs and options give a byte-identical model file.

use std::collections::HashSet;

use nerlab_core::metrics::evaluate;
use nerlab_core::{Entity, Error, Label, Result};
use serde::Serialize;

use crate::candidates::{candidates, Kept};
use crate::combiner::{select, sigmoid, Combiner, FitProvenance, FORMAT};
use crate::features::FeatureSpace;

/// One document of the fitting corpus: its gold entities and what each member returned.
#[derive(Debug, Clone)]
pub struct FitExample {
    /// Gold entities.
    pub gold: Vec<Entity>,
    /// Per member, in order: its entities, or `None` where it failed on this document.
    pub outputs: Vec<Option<Vec<Entity>>>,
}

/// Options of [`fit`].
#[derive(Debug, Clone)]
pub struct FitOptions {
    /// The fitting corpus's name, recorded in the model file.
    pub corpus: String,
    /// Seed of the fold assignment.
    pub seed: u64,
    /// Cross-validation folds (by document), at least 2.
    pub folds: usize,
    /// L2 penalties to try.
    pub l2_grid: Vec<f64>,
    /// Decision thresholds to try, in `(0, 1)`.
    pub thresholds: Vec<f64>,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            corpus: String::new(),
            seed: 42,
            folds: 5,
            l2_grid: vec![0.1, 1.0, 10.0, 100.0],
            thresholds: (1..20).map(|i| f64::from(i) * 0.05).collect(),
        }
    }
}

/// Cross-validated scores of one penalty and threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CvPoint {
    /// L2 penalty.
    pub l2: f64,
    /// Decision threshold.
    pub threshold: f64,
    /// Out-of-fold strict micro precision.
    pub precision: f64,
    /// Out-of-fold strict micro recall.
    pub recall: f64,
    /// Out-of-fold strict micro F1.
    pub f1: f64,
}

/// What fitting measured: every penalty × threshold, out of fold.
#[derive(Debug, Clone, Serialize)]
pub struct FitReport {
    /// Every point tried, penalties in grid order, thresholds ascending.
    pub cv: Vec<CvPoint>,
    /// The chosen point.
    pub chosen: CvPoint,
}

/// The candidates of the fitting corpus as a design matrix.
struct Design {
    /// Non-zero features per candidate row.
    rows: Vec<Vec<(usize, f64)>>,
    targets: Vec<bool>,
    /// Each row's document.
    document: Vec<usize>,
    /// Each document's rows, as a range.
    spans: Vec<std::ops::Range<usize>>,
    candidates: Vec<crate::Candidate>,
    dims: usize,
}

/// Fits a combiner for `members` (config names, in order) on `examples`.
///
/// The combiner decides the labels the gold annotates; candidates are every span+label any
/// member proposes, labelled positive when gold has exactly that span and label.
///
/// # Errors
/// No examples, no gold entities, fewer than two folds or documents than folds, a member count
/// that differs between examples, or an empty grid.
pub fn fit(members: &[String], examples: &[FitExample], options: &FitOptions) -> Result<(Combiner, FitReport)> {
    if examples.iter().any(|e| e.outputs.len() != members.len()) {
        return Err(Error::config("every fitting example needs one output per member"));
    }
    if options.folds < 2 || examples.len() < options.folds {
        return Err(Error::config(format!(
            "fitting needs at least 2 folds and as many documents ({} documents, {} folds)",
            examples.len(),
            options.folds
        )));
    }
    if options.l2_grid.is_empty() || options.thresholds.is_empty() {
        return Err(Error::config("fitting needs at least one L2 penalty and one threshold"));
    }
    let mut labels: Vec<Label> = examples.iter().flat_map(|e| e.gold.iter().map(|g| g.label.clone())).collect();
    labels.sort();
    labels.dedup();
    if labels.is_empty() {
        return Err(Error::config("the fitting corpus has no gold entities"));
    }
    let space = FeatureSpace::new(members, &labels);
    let design = design(&space, examples);
    let fold_of = folds(examples.len(), options.folds, options.seed);

    let mut cv = Vec::new();
    for &l2 in &options.l2_grid {
        // Out-of-fold probability of every candidate.
        let mut probabilities = vec![0.0; design.rows.len()];
        for fold in 0..options.folds {
            let train: Vec<usize> = (0..design.rows.len()).filter(|&r| fold_of[design.document[r]] != fold).collect();
            let w = logistic(&design, &train, l2);
            for r in (0..design.rows.len()).filter(|&r| fold_of[design.document[r]] == fold) {
                probabilities[r] = sigmoid(sparse_dot(&w, &design.rows[r]));
            }
        }
        for &threshold in &options.thresholds {
            cv.push(score(&design, examples, &labels, &probabilities, l2, threshold));
        }
    }
    // Best F1; on a tie the larger penalty (the simpler model), then the threshold nearest 0.5.
    let mut chosen = cv[0];
    for p in &cv[1..] {
        let better = p.f1 > chosen.f1 + 1e-12
            || ((p.f1 - chosen.f1).abs() <= 1e-12
                && (p.l2 > chosen.l2 || (p.l2 == chosen.l2 && (p.threshold - 0.5).abs() < (chosen.threshold - 0.5).abs())));
        if better {
            chosen = *p;
        }
    }
    let all: Vec<usize> = (0..design.rows.len()).collect();
    let weights = logistic(&design, &all, chosen.l2).into_iter().map(|w| (w * 1e6).round() / 1e6).collect();
    let gold = examples.iter().flat_map(|e| &e.gold).filter(|g| labels.contains(&g.label)).count();
    let combiner = Combiner {
        format: FORMAT,
        members: members.to_vec(),
        labels,
        features: space.names().to_vec(),
        weights,
        threshold: chosen.threshold,
        fitted: FitProvenance {
            corpus: options.corpus.clone(),
            documents: examples.len(),
            gold,
            candidates: design.rows.len(),
            reachable: design.targets.iter().filter(|t| **t).count(),
            seed: options.seed,
            folds: options.folds,
            l2: chosen.l2,
            cv_f1: (chosen.f1 * 1e6).round() / 1e6,
        },
    };
    Ok((combiner, FitReport { cv, chosen }))
}

fn design(space: &FeatureSpace, examples: &[FitExample]) -> Design {
    let mut d = Design {
        rows: Vec::new(),
        targets: Vec::new(),
        document: Vec::new(),
        spans: Vec::new(),
        candidates: Vec::new(),
        dims: space.names().len(),
    };
    for (i, example) in examples.iter().enumerate() {
        let gold: HashSet<(usize, usize, &Label)> = example.gold.iter().map(|g| (g.start, g.end, &g.label)).collect();
        let cands: Vec<crate::Candidate> = candidates(&example.outputs).into_iter().filter(|c| space.labels().contains(&c.label)).collect();
        let start = d.rows.len();
        for (c, x) in cands.iter().zip(space.document(&example.outputs, &cands)) {
            d.rows.push(x.iter().enumerate().filter(|(_, v)| **v != 0.0).map(|(j, v)| (j, *v)).collect());
            d.targets.push(gold.contains(&(c.start, c.end, &c.label)));
            d.document.push(i);
        }
        d.spans.push(start..d.rows.len());
        d.candidates.extend(cands);
    }
    d
}

/// Fold of each document: a seeded shuffle dealt round-robin.
fn folds(documents: usize, folds: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..documents).collect();
    let mut state = seed;
    for i in (1..documents).rev() {
        let j = (splitmix64(&mut state) % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    let mut fold_of = vec![0; documents];
    for (position, &doc) in order.iter().enumerate() {
        fold_of[doc] = position % folds;
    }
    fold_of
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn sparse_dot(w: &[f64], row: &[(usize, f64)]) -> f64 {
    row.iter().map(|(j, v)| w[*j] * v).sum()
}

/// Strict micro scores of decoding every document at `threshold`.
fn score(design: &Design, examples: &[FitExample], labels: &[Label], probabilities: &[f64], l2: f64, threshold: f64) -> CvPoint {
    let predictions: Vec<Vec<Entity>> = design
        .spans
        .iter()
        .map(|span| {
            let mut kept = Kept::default();
            kept.add_ranked(select(&design.candidates[span.clone()], &probabilities[span.clone()], threshold));
            kept.into_sorted()
        })
        .collect();
    let pairs = examples.iter().zip(&predictions).map(|(e, p)| (e.gold.as_slice(), p.as_slice()));
    let micro = evaluate(pairs, labels).micro;
    CvPoint { l2, threshold, precision: micro.precision, recall: micro.recall, f1: micro.f1 }
}

/// Newton's method on the L2-penalised log-loss over `rows` (the bias, feature 0, is not
/// penalised).
fn logistic(design: &Design, rows: &[usize], l2: f64) -> Vec<f64> {
    let d = design.dims;
    let mut w = vec![0.0; d];
    for _ in 0..100 {
        let mut gradient = vec![0.0; d];
        let mut hessian = vec![0.0; d * d];
        for &r in rows {
            let x = &design.rows[r];
            let p = sigmoid(sparse_dot(&w, x));
            let residual = p - if design.targets[r] { 1.0 } else { 0.0 };
            let curvature = (p * (1.0 - p)).max(1e-10);
            for &(i, xi) in x {
                gradient[i] += residual * xi;
                for &(j, xj) in x {
                    if j >= i {
                        hessian[i * d + j] += curvature * xi * xj;
                    }
                }
            }
        }
        for i in 0..d {
            for j in 0..i {
                hessian[i * d + j] = hessian[j * d + i];
            }
            let penalty = if i == 0 { 1e-6 } else { l2 };
            gradient[i] += penalty * w[i];
            hessian[i * d + i] += penalty;
        }
        let step = solve(hessian, gradient, d);
        let largest = step.iter().fold(0.0f64, |m, s| m.max(s.abs()));
        for (wi, s) in w.iter_mut().zip(&step) {
            *wi -= s;
        }
        if largest < 1e-9 {
            break;
        }
    }
    debug_assert!(w.iter().all(|v| v.is_finite()));
    w
}

/// Solves `a x = b` for a symmetric positive-definite `a` (`n × n`, row-major) by Gaussian
/// elimination with partial pivoting.
fn solve(mut a: Vec<f64>, mut b: Vec<f64>, n: usize) -> Vec<f64> {
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs())).unwrap_or(col);
        if pivot != col {
            for k in 0..n {
                a.swap(col * n + k, pivot * n + k);
            }
            b.swap(col, pivot);
        }
        let diag = a[col * n + col];
        if diag.abs() < 1e-300 {
            continue;
        }
        for row in col + 1..n {
            let factor = a[row * n + col] / diag;
            if factor != 0.0 {
                for k in col..n {
                    a[row * n + k] -= factor * a[col * n + k];
                }
                b[row] -= factor * b[col];
            }
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let rest: f64 = (row + 1..n).map(|k| a[row * n + k] * x[k]).sum();
        let diag = a[row * n + row];
        x[row] = if diag.abs() < 1e-300 { 0.0 } else { (b[row] - rest) / diag };
    }
    x
}

/// `p` of a dense feature vector under weights `w` (for tests of the fitted model).
#[cfg(test)]
pub(crate) fn probability(w: &[f64], x: &[f64]) -> f64 {
    sigmoid(crate::combiner::dot(w, x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve_inverts_a_small_system() {
        let a = vec![4.0, 1.0, 0.0, 1.0, 3.0, 1.0, 0.0, 1.0, 2.0];
        let x = solve(a, vec![1.0, 2.0, 3.0], 3);
        let back = [4.0 * x[0] + x[1], x[0] + 3.0 * x[1] + x[2], x[1] + 2.0 * x[2]];
        for (got, want) in back.iter().zip([1.0, 2.0, 3.0]) {
            assert!((got - want).abs() < 1e-12, "{back:?}");
        }
    }

    #[test]
    fn folds_are_balanced_and_depend_on_the_seed() {
        let a = folds(10, 3, 1);
        assert_eq!((0..3).map(|f| a.iter().filter(|x| **x == f).count()).collect::<Vec<_>>(), [4, 3, 3]);
        assert_eq!(a, folds(10, 3, 1));
        assert_ne!(a, folds(10, 3, 2));
    }

    #[test]
    fn logistic_regression_recovers_a_separating_direction() {
        // One informative feature: positives have it, negatives mostly do not.
        let rows: Vec<Vec<(usize, f64)>> = (0..40).map(|i| if i % 4 == 0 { vec![(0, 1.0)] } else { vec![(0, 1.0), (1, 1.0)] }).collect();
        let targets: Vec<bool> = (0..40).map(|i| i % 4 != 0 && i % 8 != 1).collect();
        let design = Design { rows, targets, document: vec![0; 40], spans: Vec::new(), candidates: Vec::new(), dims: 2 };
        let w = logistic(&design, &(0..40).collect::<Vec<_>>(), 0.01);
        assert!(probability(&w, &[1.0, 1.0]) > 0.7 && probability(&w, &[1.0, 0.0]) < 0.1, "{w:?}");
        // Zero curvature from a separable feature must not blow up under the penalty.
        assert!(w.iter().all(|v| v.is_finite()));
    }
}
