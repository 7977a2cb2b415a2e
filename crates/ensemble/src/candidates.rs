//! Candidates: every distinct span+label any member proposes, and the greedy rule that turns
//! scored candidates into a non-overlapping answer.

use std::collections::BTreeMap;

use nerlab_core::{Entity, Label};

/// What each member returned for one document, in member order: `None` where it failed.
pub type MemberOutputs = [Option<Vec<Entity>>];

/// A span and label proposed by at least one member.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// The proposed label.
    pub label: Label,
    /// The covered text, as the proposing member returned it.
    pub text: String,
    /// Indices of the members proposing exactly this span with this label, ascending.
    pub proposers: Vec<usize>,
}

impl Candidate {
    /// The candidate as an entity with confidence `score`.
    pub fn to_entity(&self, score: f64) -> Entity {
        Entity {
            start: self.start,
            end: self.end,
            label: self.label.clone(),
            text: self.text.clone(),
            score: Some(score.clamp(0.0, 1.0) as f32),
            canonical: None,
        }
    }

    /// Whether it shares a byte with `start..end`.
    pub fn overlaps(&self, start: usize, end: usize) -> bool {
        self.start < end && start < self.end
    }
}

/// The candidates of one document, sorted by `(start, end, label)`.
pub fn candidates(outputs: &MemberOutputs) -> Vec<Candidate> {
    let mut by_key: BTreeMap<(usize, usize, Label), Candidate> = BTreeMap::new();
    for (member, entities) in outputs.iter().enumerate() {
        for e in entities.iter().flatten() {
            let c = by_key.entry((e.start, e.end, e.label.clone())).or_insert_with(|| Candidate {
                start: e.start,
                end: e.end,
                label: e.label.clone(),
                text: e.text.clone(),
                proposers: Vec::new(),
            });
            // A member that returns the same entity twice still votes once.
            if c.proposers.last() != Some(&member) {
                c.proposers.push(member);
            }
        }
    }
    by_key.into_values().collect()
}

/// One member's entities sorted by start, for overlap queries in `O(log n + k)`.
pub(crate) struct SpanIndex<'a> {
    spans: Vec<&'a Entity>,
    max_len: usize,
}

impl<'a> SpanIndex<'a> {
    pub(crate) fn new(entities: impl IntoIterator<Item = &'a Entity>) -> SpanIndex<'a> {
        let mut spans: Vec<&Entity> = entities.into_iter().collect();
        spans.sort_by_key(|e| (e.start, e.end));
        let max_len = spans.iter().map(|e| e.end - e.start).max().unwrap_or(0);
        SpanIndex { spans, max_len }
    }

    /// Entities sharing a byte with `start..end`.
    pub(crate) fn overlapping(&self, start: usize, end: usize) -> impl Iterator<Item = &'a Entity> + '_ {
        // Entities starting before `end` form a prefix; one that overlaps starts at most
        // `max_len` bytes before `start`, which bounds the backward scan.
        let upto = self.spans.partition_point(|e| e.start < end);
        let from = self.spans[..upto].partition_point(|e| e.start + self.max_len <= start);
        self.spans[from..upto].iter().copied().filter(move |e| e.end > start)
    }
}

/// A candidate with the keys the greedy choice orders by.
pub(crate) struct Ranked {
    pub(crate) entity: Entity,
    /// Secondary key: total agreeing weight (vote) or 0.
    pub(crate) support: f64,
    /// The first member proposing it: earlier members win ties.
    pub(crate) first_member: usize,
}

/// Non-overlapping entities chosen greedily.
#[derive(Default)]
pub(crate) struct Kept {
    by_start: BTreeMap<usize, Entity>,
}

impl Kept {
    /// Adds the candidates best first (score, then support, then the longer span, then the
    /// earlier member, then the leftmost span, then the label), skipping any that overlaps
    /// one already kept.
    pub(crate) fn add_ranked(&mut self, mut ranked: Vec<Ranked>) {
        ranked.sort_by(|a, b| {
            let (ea, eb) = (&a.entity, &b.entity);
            eb.score
                .unwrap_or(0.0)
                .total_cmp(&ea.score.unwrap_or(0.0))
                .then(b.support.total_cmp(&a.support))
                .then((eb.end - eb.start).cmp(&(ea.end - ea.start)))
                .then(a.first_member.cmp(&b.first_member))
                .then(ea.start.cmp(&eb.start))
                .then(ea.label.cmp(&eb.label))
        });
        for r in ranked {
            self.try_insert(r.entity);
        }
    }

    /// Keeps `entity` unless it overlaps a kept one.
    fn try_insert(&mut self, entity: Entity) -> bool {
        // Kept spans are disjoint, so sorted by start they are sorted by end too: only the
        // last one starting before `entity.end` can overlap it.
        if let Some((_, prev)) = self.by_start.range(..entity.end).next_back() {
            if prev.end > entity.start {
                return false;
            }
        }
        self.by_start.insert(entity.start, entity);
        true
    }

    /// The kept entities sorted by start.
    pub(crate) fn into_sorted(self) -> Vec<Entity> {
        self.by_start.into_values().collect()
    }
}

/// The fraction of members that ran on the document and proposed the candidate.
pub(crate) fn agreement(candidate: &Candidate, outputs: &MemberOutputs) -> f64 {
    let available = outputs.iter().filter(|o| o.is_some()).count();
    if available == 0 {
        0.0
    } else {
        candidate.proposers.len() as f64 / available as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(text: &str, s: usize, t: usize, l: Label) -> Entity {
        Entity::new(text, s, t, l).unwrap()
    }

    #[test]
    fn candidates_merge_identical_proposals_and_keep_type_disagreements_apart() {
        let text = "Foreign Ministry of Russia";
        let outputs = vec![
            Some(vec![e(text, 0, 16, Label::ORG), e(text, 20, 26, Label::LOC)]),
            None,
            Some(vec![e(text, 0, 16, Label::ORG), e(text, 20, 26, Label::ORG)]),
        ];
        let cs = candidates(&outputs);
        let keys: Vec<_> = cs.iter().map(|c| (c.start, c.end, c.label.as_str(), c.proposers.clone())).collect();
        assert_eq!(keys, [(0, 16, "ORG", vec![0, 2]), (20, 26, "LOC", vec![0]), (20, 26, "ORG", vec![2])]);
        assert_eq!(agreement(&cs[0], &outputs), 1.0);
        assert_eq!(agreement(&cs[1], &outputs), 0.5);
    }

    #[test]
    fn span_index_finds_nested_and_crossing_spans() {
        let text = "a b c d e f g h i j";
        let es = [e(text, 0, 19, Label::MISC), e(text, 2, 5, Label::ORG), e(text, 8, 11, Label::PER), e(text, 14, 15, Label::LOC)];
        let index = SpanIndex::new(es.iter());
        let found = |s, t| index.overlapping(s, t).map(|e| (e.start, e.end)).collect::<Vec<_>>();
        assert_eq!(found(4, 9), [(0, 19), (2, 5), (8, 11)]);
        assert_eq!(found(12, 14), [(0, 19)]);
        assert_eq!(SpanIndex::new(es[1..].iter()).overlapping(5, 8).count(), 0);
    }

    #[test]
    fn kept_prefers_higher_scores_and_never_overlaps() {
        let text = "New York City";
        let rank = |s, t, score: f32, m| Ranked { entity: e(text, s, t, Label::LOC).with_score(score), support: 0.0, first_member: m };
        let mut kept = Kept::default();
        kept.add_ranked(vec![rank(0, 8, 0.6, 0), rank(4, 13, 0.9, 1), rank(0, 3, 0.5, 0)]);
        let spans: Vec<_> = kept.into_sorted().iter().map(|e| (e.start, e.end)).collect();
        assert_eq!(spans, [(0, 3), (4, 13)]);
    }
}
