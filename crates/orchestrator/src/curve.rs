//! Precision and recall at several score thresholds, for extractors that score their entities
//! (the transformer, ensembles): what a user trades by keeping only confident entities.

use std::fmt::Write as _;

use nerlab_core::metrics::evaluate;
use nerlab_core::{AnnotatedDocument, Entity, Label};
use serde::Serialize;

/// The thresholds reported.
pub const THRESHOLDS: [f32; 11] = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95];

/// Strict micro scores of the entities whose score is at least `threshold`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ThresholdPoint {
    /// Entities scored below it are dropped (unscored ones are kept).
    pub threshold: f32,
    /// Entities kept.
    pub predicted: usize,
    /// Strict micro precision.
    pub precision: f64,
    /// Strict micro recall.
    pub recall: f64,
    /// Strict micro F1.
    pub f1: f64,
}

/// The curve over [`THRESHOLDS`], scored over `scope`; `None` when no prediction has a score.
pub fn threshold_curve(gold: &[AnnotatedDocument], predictions: &[Vec<Entity>], scope: &[Label]) -> Option<Vec<ThresholdPoint>> {
    if !predictions.iter().flatten().any(|e| e.score.is_some()) {
        return None;
    }
    let points = THRESHOLDS
        .iter()
        .map(|&threshold| {
            let kept: Vec<Vec<Entity>> =
                predictions.iter().map(|p| p.iter().filter(|e| e.score.is_none_or(|s| s >= threshold)).cloned().collect()).collect();
            let pairs = gold.iter().zip(&kept).map(|(g, p)| (g.entities.as_slice(), p.as_slice()));
            let micro = evaluate(pairs, scope).micro;
            let predicted = kept.iter().flatten().filter(|e| scope.contains(&e.label)).count();
            ThresholdPoint { threshold, predicted, precision: micro.precision, recall: micro.recall, f1: micro.f1 }
        })
        .collect();
    Some(points)
}

/// The curve as a Markdown table.
pub fn to_markdown(points: &[ThresholdPoint]) -> String {
    let mut out =
        String::from("\nBy score threshold (strict micro, CoNLL-4):\n\n| score >= | kept | P | R | F1 |\n|---|---|---|---|---|\n");
    for p in points {
        let _ = writeln!(
            out,
            "| {:.2} | {} | {:.2} | {:.2} | {:.2} |",
            p.threshold,
            p.predicted,
            100.0 * p.precision,
            100.0 * p.recall,
            100.0 * p.f1
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use nerlab_core::Document;

    #[test]
    fn raising_the_threshold_trades_recall_for_precision() {
        let text = "Anna met Boris";
        let gold = vec![AnnotatedDocument {
            document: Document::new("d", text),
            entities: vec![Entity::new(text, 0, 4, Label::PER).unwrap(), Entity::new(text, 9, 14, Label::PER).unwrap()],
        }];
        let predicted = vec![vec![
            Entity::new(text, 0, 4, Label::PER).unwrap().with_score(0.9),
            Entity::new(text, 5, 8, Label::PER).unwrap().with_score(0.3),
            Entity::new(text, 9, 14, Label::PER).unwrap().with_score(0.55),
        ]];
        let curve = threshold_curve(&gold, &predicted, &Label::CONLL).unwrap();
        let at = |t: f32| curve.iter().find(|p| (p.threshold - t).abs() < 1e-6).unwrap();
        assert_eq!((at(0.0).predicted, at(0.0).recall), (3, 1.0));
        assert_eq!((at(0.5).predicted, at(0.5).precision, at(0.5).recall), (2, 1.0, 1.0));
        assert_eq!((at(0.6).predicted, at(0.6).recall), (1, 0.5));
        assert!(to_markdown(&curve).contains("| 0.50 | 2 | 100.00 | 100.00 | 100.00 |"));
        let unscored = vec![vec![Entity::new(text, 0, 4, Label::PER).unwrap()]];
        assert!(threshold_curve(&gold, &unscored, &Label::CONLL).is_none());
    }
}
