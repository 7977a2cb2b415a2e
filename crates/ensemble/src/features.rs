//! Features of a candidate: what the members say about its span, never what the span says.
//!
//! For every candidate span+label (see [`crate::candidates`]) the learned combiner sees, per
//! member: whether it proposes exactly this span with this label, and its score for it;
//! whether it proposes this span with another label, and that score; whether it proposes an
//! overlapping but different span; whether it failed on the document. Then the label (one-hot
//! and crossed with each member's agreement, so a member can be trusted for PER and not for
//! MISC), the fraction of members agreeing, the span's length in tokens, its casing shape, and
//! whether it sits inside or around another candidate. Words themselves are never features, so
//! a combiner fitted on one corpus does not memorise its names.
//!
//! Feature names are part of the fitted model file: a model whose names differ from the ones
//! this code computes is rejected when loaded rather than silently misread.

use nerlab_core::{Entity, Label};

use crate::candidates::{Candidate, MemberOutputs, SpanIndex};

/// The feature layout for a given list of members and labels.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureSpace {
    members: Vec<String>,
    labels: Vec<Label>,
    names: Vec<String>,
}

/// Per-member features, in this order, each named `<member>:<name>`.
const MEMBER_FEATURES: [&str; 6] = ["same", "same_score", "other_label", "other_label_score", "overlap", "failed"];
/// Shape features after the label and member×label blocks.
const SHAPE_FEATURES: [&str; 13] = [
    "agree_fraction",
    "all_agree",
    "tokens=1",
    "tokens=2",
    "tokens=3",
    "tokens>=4",
    "case:all_caps",
    "case:title",
    "case:lower_start",
    "case:digit",
    "case:punct",
    "inside_longer",
    "contains_shorter",
];

impl FeatureSpace {
    /// The layout for `members` (config names, in order) and the labels a combiner decides.
    pub fn new(members: &[String], labels: &[Label]) -> FeatureSpace {
        let mut names = vec!["bias".to_string()];
        for m in members {
            names.extend(MEMBER_FEATURES.iter().map(|f| format!("{m}:{f}")));
        }
        names.extend(labels.iter().map(|l| format!("label={l}")));
        for m in members {
            names.extend(labels.iter().map(|l| format!("{m}:same&label={l}")));
        }
        names.extend(SHAPE_FEATURES.iter().map(|f| f.to_string()));
        FeatureSpace { members: members.to_vec(), labels: labels.to_vec(), names }
    }

    /// The feature names, one per weight of a combiner.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The labels this layout can describe.
    pub fn labels(&self) -> &[Label] {
        &self.labels
    }

    /// The feature vectors of `candidates` (from [`crate::candidates`] on `outputs`).
    pub fn document(&self, outputs: &MemberOutputs, candidates: &[Candidate]) -> Vec<Vec<f64>> {
        let indexes: Vec<Option<SpanIndex>> = outputs.iter().map(|o| o.as_ref().map(|es| SpanIndex::new(es.iter()))).collect();
        let all = SpanIndex::new(outputs.iter().flatten().flatten());
        let available = outputs.iter().filter(|o| o.is_some()).count().max(1) as f64;
        candidates.iter().map(|c| self.candidate(c, &indexes, &all, available)).collect()
    }

    fn candidate(&self, c: &Candidate, indexes: &[Option<SpanIndex>], all: &SpanIndex, available: f64) -> Vec<f64> {
        let mut x = Vec::with_capacity(self.names.len());
        x.push(1.0);
        let label_index = self.labels.iter().position(|l| *l == c.label);
        let mut same_by_member = Vec::with_capacity(self.members.len());
        for index in indexes {
            let Some(index) = index else {
                x.extend([0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
                same_by_member.push(false);
                continue;
            };
            let (mut same, mut other, mut overlap) = (None::<f64>, None::<f64>, false);
            for e in index.overlapping(c.start, c.end) {
                if (e.start, e.end) != (c.start, c.end) {
                    overlap = true;
                } else if e.label == c.label {
                    same = Some(score(e).max(same.unwrap_or(0.0)));
                } else {
                    other = Some(score(e).max(other.unwrap_or(0.0)));
                }
            }
            x.extend([flag(same.is_some()), same.unwrap_or(0.0), flag(other.is_some()), other.unwrap_or(0.0), flag(overlap), 0.0]);
            same_by_member.push(same.is_some());
        }
        x.extend(self.labels.iter().map(|l| flag(*l == c.label)));
        for same in &same_by_member {
            x.extend((0..self.labels.len()).map(|i| flag(*same && label_index == Some(i))));
        }
        let agree = same_by_member.iter().filter(|s| **s).count() as f64;
        x.push(agree / available);
        x.push(flag(agree >= available));
        let tokens = c.text.split_whitespace().count();
        x.extend([flag(tokens <= 1), flag(tokens == 2), flag(tokens == 3), flag(tokens >= 4)]);
        x.extend(casing(&c.text));
        let (mut inside, mut contains) = (false, false);
        for e in all.overlapping(c.start, c.end) {
            inside |= e.start <= c.start && c.end <= e.end && (e.start, e.end) != (c.start, c.end);
            contains |= c.start <= e.start && e.end <= c.end && (e.start, e.end) != (c.start, c.end);
        }
        x.extend([flag(inside), flag(contains)]);
        debug_assert_eq!(x.len(), self.names.len());
        x
    }
}

/// A member's confidence: its score, or 1 for members that give none (their proposal is all
/// they say).
fn score(e: &Entity) -> f64 {
    e.score.map_or(1.0, f64::from)
}

fn flag(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// all caps, Title Case, lower-case start, has a digit, has punctuation.
fn casing(text: &str) -> [f64; 5] {
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    let all_caps = letters.len() >= 2 && letters.iter().all(|c| !c.is_lowercase());
    let title = text.split_whitespace().all(|w| w.chars().next().is_some_and(|c| c.is_uppercase()));
    let lower_start = text.chars().next().is_some_and(char::is_lowercase);
    let digit = text.chars().any(|c| c.is_ascii_digit());
    let punct = text.chars().any(|c| !c.is_alphanumeric() && !c.is_whitespace());
    [flag(all_caps), flag(title && !all_caps), flag(lower_start), flag(digit), flag(punct)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::candidates::candidates;

    #[test]
    fn features_describe_agreement_type_disagreement_overlap_and_failure() {
        let text = "Foreign Ministry of Russia";
        let members = ["t".to_string(), "r".to_string(), "d".to_string()];
        let space = FeatureSpace::new(&members, &Label::CONLL);
        let outputs = vec![
            Some(vec![Entity::new(text, 0, 26, Label::ORG).unwrap().with_score(0.75)]),
            Some(vec![Entity::new(text, 0, 26, Label::LOC).unwrap(), Entity::new(text, 20, 26, Label::LOC).unwrap()]),
            None,
        ];
        let cs = candidates(&outputs);
        let xs = space.document(&outputs, &cs);
        let value = |ci: usize, name: &str| xs[ci][space.names().iter().position(|n| n == name).unwrap()];
        // cs: (0,26,LOC) by r, (0,26,ORG) by t, (20,26,LOC) by r
        assert_eq!(cs[1].label, Label::ORG);
        assert_eq!(value(1, "t:same"), 1.0);
        assert_eq!(value(1, "t:same_score"), 0.75);
        assert_eq!(value(1, "r:other_label"), 1.0);
        assert_eq!(value(1, "r:overlap"), 1.0, "r's 20..26 overlaps");
        assert_eq!(value(1, "d:failed"), 1.0);
        assert_eq!(value(1, "t:same&label=ORG"), 1.0);
        assert_eq!(value(1, "t:same&label=LOC"), 0.0);
        assert_eq!(value(1, "agree_fraction"), 0.5);
        assert_eq!(value(1, "tokens>=4"), 1.0);
        assert_eq!(value(1, "case:title"), 0.0, "`of` is lower case");
        assert_eq!(value(1, "contains_shorter"), 1.0);
        assert_eq!(value(2, "inside_longer"), 1.0);
        assert_eq!(value(2, "r:same_score"), 1.0, "unscored members count as sure");
        assert_eq!(value(2, "case:title"), 1.0);
        assert!(xs.iter().all(|x| x.len() == space.names().len()));
    }
}
