//! The `vote` policy: a candidate is kept when the members agreeing on it carry enough weight.

use std::collections::BTreeMap;

use nerlab_core::{Entity, Label};

use crate::candidates::{candidates, Kept, MemberOutputs, Ranked};

/// Weighted voting over candidates.
///
/// A candidate's confidence is the weight of the members proposing exactly its span and
/// label, divided by the weight of the members that *could* have: those that ran on the
/// document (a failed member is left out of both) and declare the label (a member that never
/// finds DATE does not vote against a DATE). A member's weight for a label is its
/// `label_weights` entry when there is one, else its weight. Candidates whose confidence
/// reaches `threshold` are kept; where kept candidates overlap (nested or crossing spans, or
/// one span with two labels), the higher confidence wins, then the higher agreeing weight,
/// then the longer span, then the earlier member in `members`, then the leftmost span.
#[derive(Debug, Clone, PartialEq)]
pub struct Vote {
    weights: Vec<f64>,
    label_weights: Vec<BTreeMap<Label, f64>>,
    declared: Vec<Vec<Label>>,
    threshold: f64,
}

impl Vote {
    /// A vote over members with these `weights`, per-label overrides, declared labels (all
    /// three in member order) and `threshold` in `[0, 1]`.
    pub fn new(weights: Vec<f64>, label_weights: Vec<BTreeMap<Label, f64>>, declared: Vec<Vec<Label>>, threshold: f64) -> Vote {
        Vote { weights, label_weights, declared, threshold }
    }

    fn weight(&self, member: usize, label: &Label) -> f64 {
        self.label_weights[member].get(label).copied().unwrap_or(self.weights[member])
    }

    /// The entities kept from one document's member outputs, with their confidence as score.
    pub fn decide(&self, outputs: &MemberOutputs) -> Vec<Entity> {
        let mut ranked = Vec::new();
        for c in candidates(outputs) {
            let support: f64 = c.proposers.iter().map(|&m| self.weight(m, &c.label)).sum();
            let possible: f64 = (0..outputs.len())
                .filter(|&m| outputs[m].is_some() && self.declared[m].contains(&c.label))
                .map(|m| self.weight(m, &c.label))
                .sum();
            if possible <= 0.0 || support <= 0.0 {
                continue;
            }
            let confidence = (support / possible).min(1.0);
            if confidence + 1e-9 >= self.threshold {
                ranked.push(Ranked { entity: c.to_entity(confidence), support, first_member: c.proposers[0] });
            }
        }
        let mut kept = Kept::default();
        kept.add_ranked(ranked);
        kept.into_sorted()
    }
}
