//! The analysis part of a report: confidence intervals and error classes per extractor,
//! significance and agreement across extractors. The statistics live in
//! [`nerlab_core::analysis`]; this module only feeds them the corpus and the predictions.

use nerlab_core::analysis::{self, AgreementMatrix, BootstrapSettings, ErrorSummary, ScoreIntervals};
use nerlab_core::{AnnotatedDocument, Entity, Label};

use crate::report::Significance;

/// Intervals of one extractor's headline scores over `scope`, and its error classes over
/// `error_scope` (entities of other labels are left out on both sides).
pub fn extractor_analysis(
    gold: &[AnnotatedDocument],
    predictions: &[Vec<Entity>],
    scope: &[Label],
    error_scope: &[Label],
    bootstrap: &BootstrapSettings,
) -> (ScoreIntervals, ErrorSummary) {
    let pairs: Vec<(&[Entity], &[Entity])> = gold.iter().zip(predictions).map(|(g, p)| (g.entities.as_slice(), p.as_slice())).collect();
    let intervals = analysis::bootstrap_intervals(&pairs, scope, bootstrap);
    let restricted: Vec<(Vec<Entity>, Vec<Entity>)> =
        pairs.iter().map(|(g, p)| (analysis::in_scope(g, error_scope), analysis::in_scope(p, error_scope))).collect();
    let errors = analysis::summarize_errors(restricted.iter().map(|(g, p)| (g.as_slice(), p.as_slice())));
    (intervals, errors)
}

/// The paired test of every pair of extractors (`a` before `b` in `outputs` order) and the
/// agreement matrix with gold first, all over `scope`.
pub fn cross_analysis(
    gold: &[AnnotatedDocument],
    outputs: &[(String, &[Vec<Entity>])],
    scope: &[Label],
    bootstrap: &BootstrapSettings,
) -> (Vec<Significance>, AgreementMatrix) {
    let gold_slices: Vec<&[Entity]> = gold.iter().map(|d| d.entities.as_slice()).collect();
    let slices: Vec<Vec<&[Entity]>> = outputs.iter().map(|(_, p)| p.iter().map(Vec::as_slice).collect()).collect();
    let mut significance = Vec::new();
    for i in 0..outputs.len() {
        for j in i + 1..outputs.len() {
            significance.push(Significance {
                a: outputs[i].0.clone(),
                b: outputs[j].0.clone(),
                test: analysis::paired_test(&gold_slices, &slices[i], &slices[j], scope, bootstrap),
            });
        }
    }
    let mut named: Vec<(String, Vec<&[Entity]>)> = vec![("gold".to_string(), gold_slices)];
    named.extend(outputs.iter().map(|(n, _)| n.clone()).zip(slices));
    (significance, analysis::agreement_matrix(&named, scope))
}
