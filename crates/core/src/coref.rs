//! Coreference scores over mentions: how well a clustering of mentions into entities (the
//! *response*) agrees with the gold clustering (the *key*).
//!
//! Three standard metrics, because each has a blind spot:
//!
//! - **B³** (Bagga & Baldwin 1998): per mention, the overlap of its response cluster and its key
//!   cluster, divided by the size of the response cluster (precision) or of the key cluster
//!   (recall), averaged over mentions. Rewards singletons: a corpus of mostly one-off names
//!   scores high even unlinked.
//! - **MUC** (Vilain et al. 1995): counts links. Recall is `Σ(|K| − |p(K)|) / Σ(|K| − 1)` where
//!   `p(K)` is the partition of key cluster `K` by the response clusters (a key mention the
//!   response lacks is a part of its own); precision is the same with key and response
//!   swapped. Ignores singletons entirely.
//! - **CEAF-e** (Luo 2005): the best one-to-one alignment of key and response entities under
//!   `φ4(K, R) = 2|K ∩ R| / (|K| + |R|)`, divided by the number of response (precision) or key
//!   (recall) entities. Solved exactly with the Hungarian algorithm, per connected component
//!   of the overlap graph so that thousands of singleton entities cost nothing.
//!
//! # Mentions the other side lacks
//!
//! Scored end to end, an extractor finds mentions the gold does not have and misses some it
//! has. Such *twinless* mentions count against the side that has them: in B³ a response
//! mention with no key twin contributes precision 0 and makes its response cluster larger
//! (lowering its cluster-mates' precision too), and a missed key mention contributes recall
//! 0; in MUC each is a partition of its own; in CEAF-e they enlarge entities without adding
//! overlap. With identical mention sets (gold mentions, the linking step alone) these
//! reduce to the textbook definitions.
//!
//! [`link_scores`] builds both clusterings from documents whose entities carry
//! [`Entity::canonical`] ids and scores them.

use std::collections::HashMap;
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use crate::{AnnotatedDocument, Entity, Label};

/// Precision, recall and F1 of one coreference metric.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Prf {
    /// Precision in `[0, 1]`.
    pub precision: f64,
    /// Recall in `[0, 1]`.
    pub recall: f64,
    /// Harmonic mean of precision and recall (0 when both are 0).
    pub f1: f64,
}

impl Prf {
    /// Precision and recall with their F1.
    pub fn new(precision: f64, recall: f64) -> Prf {
        let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
        Prf { precision, recall, f1 }
    }
}

/// The three metrics for one response against one key, with the sizes they were computed on.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CorefScores {
    /// B³, averaged over mentions.
    pub b_cubed: Prf,
    /// MUC, over links.
    pub muc: Prf,
    /// Entity-based CEAF (φ4).
    pub ceaf_e: Prf,
    /// Mentions in the key.
    pub key_mentions: usize,
    /// Mentions in the response.
    pub response_mentions: usize,
    /// Entities (clusters) in the key.
    pub key_entities: usize,
    /// Entities (clusters) in the response.
    pub response_entities: usize,
}

/// Scores the clustering `response` against `key`. A mention is any hashable value; it
/// must not be in two clusters of the same side (a later occurrence is ignored). Empty
/// clusters are ignored.
pub fn score<M: Hash + Eq>(key: &[Vec<M>], response: &[Vec<M>]) -> CorefScores {
    let key = Clustering::new(key);
    let response = Clustering::new(response);
    let (b_p, b_r) = (b_cubed(&response, &key), b_cubed(&key, &response));
    let (m_p, m_r) = (muc(&response, &key), muc(&key, &response));
    let aligned = ceaf_e_similarity(&key, &response);
    CorefScores {
        b_cubed: Prf::new(b_p, b_r),
        muc: Prf::new(m_p, m_r),
        ceaf_e: Prf::new(ratio(aligned, response.sizes.len() as f64), ratio(aligned, key.sizes.len() as f64)),
        key_mentions: key.of.len(),
        response_mentions: response.of.len(),
        key_entities: key.sizes.len(),
        response_entities: response.sizes.len(),
    }
}

/// Which gold mentions a linking is scored on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MentionSet {
    /// Key and response over the gold mentions only; `predicted` holds the gold entities
    /// with the linker's ids. Isolates the linking step.
    Gold,
    /// The response is the extractor's own mentions; a mention is the same mention when
    /// document and byte span are equal (labels may differ).
    Predicted,
}

/// Scores the canonical ids of `predicted` (one entity list per document of `gold`) against
/// the gold ids, over mentions whose label is in `labels`.
///
/// Key: gold entities with a canonical id, clustered by id across all documents. Response:
/// predicted entities, clustered by canonical id; one without an id is a singleton. With
/// [`MentionSet::Gold`] only predicted entities whose span is a key mention are kept.
pub fn link_scores(gold: &[AnnotatedDocument], predicted: &[Vec<Entity>], labels: &[Label], mentions: MentionSet) -> CorefScores {
    type Mention = (usize, usize, usize);
    let mut key: HashMap<&str, Vec<Mention>> = HashMap::new();
    for (d, doc) in gold.iter().enumerate() {
        for e in doc.entities.iter().filter(|e| labels.contains(&e.label)) {
            if let Some(id) = &e.canonical {
                key.entry(id).or_default().push((d, e.start, e.end));
            }
        }
    }
    let key: Vec<Vec<Mention>> = key.into_values().collect();
    let key_mentions: std::collections::HashSet<Mention> = key.iter().flatten().copied().collect();
    let mut response: HashMap<&str, Vec<Mention>> = HashMap::new();
    let mut singletons: Vec<Vec<Mention>> = Vec::new();
    for (d, entities) in predicted.iter().enumerate() {
        for e in entities.iter().filter(|e| labels.contains(&e.label)) {
            let m = (d, e.start, e.end);
            if mentions == MentionSet::Gold && !key_mentions.contains(&m) {
                continue;
            }
            match &e.canonical {
                Some(id) => response.entry(id).or_default().push(m),
                None => singletons.push(vec![m]),
            }
        }
    }
    let mut response: Vec<Vec<Mention>> = response.into_values().collect();
    response.extend(singletons);
    score(&key, &response)
}

/// A clustering as "mention -> cluster index" plus cluster sizes.
struct Clustering<'a, M> {
    of: HashMap<&'a M, usize>,
    sizes: Vec<usize>,
    members: Vec<Vec<&'a M>>,
}

impl<'a, M: Hash + Eq> Clustering<'a, M> {
    fn new(clusters: &'a [Vec<M>]) -> Self {
        let mut of = HashMap::new();
        let mut members: Vec<Vec<&M>> = Vec::new();
        for cluster in clusters {
            let mut kept = Vec::new();
            for m in cluster {
                if !of.contains_key(m) {
                    of.insert(m, members.len());
                    kept.push(m);
                }
            }
            if !kept.is_empty() {
                members.push(kept);
            }
        }
        let sizes = members.iter().map(Vec::len).collect();
        Clustering { of, sizes, members }
    }

    /// For cluster `c` of `self`, how many of its mentions fall in each cluster of `other`.
    fn overlaps(&self, c: usize, other: &Clustering<'_, M>) -> HashMap<usize, usize> {
        let mut counts = HashMap::new();
        for m in &self.members[c] {
            if let Some(&o) = other.of.get(*m) {
                *counts.entry(o).or_default() += 1;
            }
        }
        counts
    }
}

/// B³ averaged over the mentions of `this`: `|C(m) ∩ O(m)| / |C(m)|` (precision when `this`
/// is the response, recall when it is the key).
fn b_cubed<M: Hash + Eq>(this: &Clustering<'_, M>, other: &Clustering<'_, M>) -> f64 {
    let mut total = 0.0;
    for c in 0..this.sizes.len() {
        let size = this.sizes[c] as f64;
        // Each mention of `c` in other-cluster `o` scores |c ∩ o| / |c|; n of them sum to n²/|c|.
        total += this.overlaps(c, other).values().map(|&n| (n * n) as f64 / size).sum::<f64>();
    }
    ratio(total, this.of.len() as f64)
}

/// MUC with `this` partitioned by `other` (recall when `this` is the key).
fn muc<M: Hash + Eq>(this: &Clustering<'_, M>, other: &Clustering<'_, M>) -> f64 {
    let (mut num, mut den) = (0usize, 0usize);
    for c in 0..this.sizes.len() {
        let overlaps = this.overlaps(c, other);
        let covered: usize = overlaps.values().sum();
        let parts = overlaps.len() + (this.sizes[c] - covered);
        num += this.sizes[c] - parts;
        den += this.sizes[c] - 1;
    }
    ratio(num as f64, den as f64)
}

/// The total φ4 similarity of the best one-to-one alignment of key and response entities.
fn ceaf_e_similarity<M: Hash + Eq>(key: &Clustering<'_, M>, response: &Clustering<'_, M>) -> f64 {
    // Overlap graph: key cluster k -- response cluster r when they share a mention.
    let edges: Vec<HashMap<usize, usize>> = (0..key.sizes.len()).map(|k| key.overlaps(k, response)).collect();
    let mut response_edges: Vec<Vec<usize>> = vec![Vec::new(); response.sizes.len()];
    for (k, e) in edges.iter().enumerate() {
        for &r in e.keys() {
            response_edges[r].push(k);
        }
    }
    // Connected components by breadth-first search; each is aligned on its own.
    let mut seen_key = vec![false; key.sizes.len()];
    let mut seen_response = vec![false; response.sizes.len()];
    let mut total = 0.0;
    for start in 0..key.sizes.len() {
        if seen_key[start] || edges[start].is_empty() {
            continue;
        }
        let (mut ks, mut rs) = (vec![start], Vec::new());
        seen_key[start] = true;
        // Alternate: new key clusters bring in their response neighbours and vice versa.
        let (mut next_k, mut next_r) = (0, 0);
        while next_k < ks.len() || next_r < rs.len() {
            while next_k < ks.len() {
                for &r in edges[ks[next_k]].keys() {
                    if !std::mem::replace(&mut seen_response[r], true) {
                        rs.push(r);
                    }
                }
                next_k += 1;
            }
            while next_r < rs.len() {
                for &k in &response_edges[rs[next_r]] {
                    if !std::mem::replace(&mut seen_key[k], true) {
                        ks.push(k);
                    }
                }
                next_r += 1;
            }
        }
        if ks.len() == 1 && rs.len() == 1 {
            total += phi4(edges[ks[0]][&rs[0]], key.sizes[ks[0]], response.sizes[rs[0]]);
            continue;
        }
        let weights: Vec<Vec<f64>> = ks
            .iter()
            .map(|&k| rs.iter().map(|&r| edges[k].get(&r).map_or(0.0, |&n| phi4(n, key.sizes[k], response.sizes[r]))).collect())
            .collect();
        total += max_weight_assignment(&weights);
    }
    total
}

fn phi4(common: usize, key_size: usize, response_size: usize) -> f64 {
    2.0 * common as f64 / (key_size + response_size) as f64
}

/// The largest total weight of a one-to-one assignment of rows to columns (the Hungarian
/// algorithm, O(n²m) for an n × m matrix; rows and columns may be left unassigned since
/// weights are non-negative).
fn max_weight_assignment(weights: &[Vec<f64>]) -> f64 {
    let rows = weights.len();
    let cols = weights.first().map_or(0, Vec::len);
    if rows == 0 || cols == 0 {
        return 0.0;
    }
    // Square cost matrix (padding costs 0), minimising `-weight`.
    let n = rows.max(cols);
    let cost = |i: usize, j: usize| -> f64 { -weights.get(i).and_then(|r| r.get(j)).copied().unwrap_or(0.0) };
    // Potentials and matching, 1-based with 0 as the virtual start (the classic formulation).
    let (mut u, mut v) = (vec![0.0; n + 1], vec![0.0; n + 1]);
    let mut matched_row = vec![0usize; n + 1];
    let mut way = vec![0usize; n + 1];
    for i in 1..=n {
        matched_row[0] = i;
        let mut j0 = 0;
        let mut min_to = vec![f64::INFINITY; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[j0] = true;
            let i0 = matched_row[j0];
            let (mut delta, mut j1) = (f64::INFINITY, 0);
            for j in 1..=n {
                if !used[j] {
                    let reduced = cost(i0 - 1, j - 1) - u[i0] - v[j];
                    if reduced < min_to[j] {
                        min_to[j] = reduced;
                        way[j] = j0;
                    }
                    if min_to[j] < delta {
                        delta = min_to[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=n {
                if used[j] {
                    u[matched_row[j]] += delta;
                    v[j] -= delta;
                } else {
                    min_to[j] -= delta;
                }
            }
            j0 = j1;
            if matched_row[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            matched_row[j0] = matched_row[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    (1..=n).map(|j| -cost(matched_row[j] - 1, j - 1)).sum()
}

fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 {
        num / den
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// The textbook example (Bagga & Baldwin 1998, fig. 2 / Luo 2005): key {1..5}, {6,7},
    /// {8..12}; response {1..5}, {6..12}.
    fn textbook() -> (Vec<Vec<u32>>, Vec<Vec<u32>>) {
        (vec![vec![1, 2, 3, 4, 5], vec![6, 7], vec![8, 9, 10, 11, 12]], vec![vec![1, 2, 3, 4, 5], vec![6, 7, 8, 9, 10, 11, 12]])
    }

    #[test]
    fn b_cubed_textbook_example() {
        let (key, response) = textbook();
        let s = score(&key, &response);
        // Precision: 5 mentions at 5/5, 2 at 2/7, 5 at 5/7 -> (5 + 4/7 + 25/7) / 12 = 16/21.
        assert!(close(s.b_cubed.precision, 16.0 / 21.0), "{:?}", s.b_cubed);
        assert!(close(s.b_cubed.recall, 1.0), "{:?}", s.b_cubed);
        // MUC: every key link is kept (recall 1); response links 4 + 6 = 10, of which one
        // (joining {6,7} to {8..12}) is wrong: precision 9/10.
        assert!(close(s.muc.recall, 1.0) && close(s.muc.precision, 0.9), "{:?}", s.muc);
        // CEAF-e: {1..5}↔{1..5} φ4 = 1; {8..12}↔{6..12}: 2·5/(5+7) = 5/6. Total 11/6,
        // over 2 response and 3 key entities.
        assert!(close(s.ceaf_e.precision, 11.0 / 12.0), "{:?}", s.ceaf_e);
        assert!(close(s.ceaf_e.recall, 11.0 / 18.0), "{:?}", s.ceaf_e);
        assert_eq!((s.key_mentions, s.response_mentions, s.key_entities, s.response_entities), (12, 12, 3, 2));
    }

    #[test]
    fn identical_clusterings_score_one_and_all_singletons_score_zero_links() {
        let (key, _) = textbook();
        let s = score(&key, &key);
        for m in [s.b_cubed, s.muc, s.ceaf_e] {
            assert!(close(m.f1, 1.0), "{s:?}");
        }
        let singletons: Vec<Vec<u32>> = (1..=12).map(|m| vec![m]).collect();
        let s = score(&key, &singletons);
        assert!(close(s.b_cubed.precision, 1.0));
        // Recall: (5·1/5 + 2·1/2 + 5·1/5) / 12 = 3/12.
        assert!(close(s.b_cubed.recall, 0.25), "{:?}", s.b_cubed);
        assert!(close(s.muc.recall, 0.0) && close(s.muc.f1, 0.0), "{:?}", s.muc);
    }

    #[test]
    fn twinless_mentions_count_against_their_side() {
        // Key {a, b}; response {a, b, x} with x a spurious mention.
        let key = vec![vec!["a", "b"]];
        let response = vec![vec!["a", "b", "x"]];
        let s = score(&key, &response);
        // Precision: a and b at 2/3 each, x at 0 -> 4/9. Recall: 1.
        assert!(close(s.b_cubed.precision, 4.0 / 9.0), "{:?}", s.b_cubed);
        assert!(close(s.b_cubed.recall, 1.0));
        // MUC precision: response {a,b,x} split by the key into {a,b},{x}: (3-2)/(3-1).
        assert!(close(s.muc.precision, 0.5), "{:?}", s.muc);
        // A missed mention: key {a,b,c}, response {a,b}.
        let s = score(&[vec!["a", "b", "c"]], &[vec!["a", "b"]]);
        assert!(close(s.b_cubed.recall, (2.0 * 2.0 / 3.0) / 3.0), "{:?}", s.b_cubed);
        assert!(close(s.muc.recall, 0.5), "{:?}", s.muc);
    }

    #[test]
    fn ceaf_alignment_is_optimal_not_greedy() {
        // Key A={1,2,3}, B={4}; response X={1,2}, Y={3,4}. Greedy by weight pairs A–X
        // (φ4 0.8) then B–Y (2/3): total 22/15. The only alternative, A–Y (0.4) alone, is
        // worse; a third response Z={5} must stay unaligned.
        let key = vec![vec![1, 2, 3], vec![4]];
        let response = vec![vec![1, 2], vec![3, 4], vec![5]];
        let s = score(&key, &response);
        let best = 0.8 + 2.0 / 3.0;
        assert!(close(s.ceaf_e.recall, best / 2.0), "{:?}", s.ceaf_e);
        assert!(close(s.ceaf_e.precision, best / 3.0), "{:?}", s.ceaf_e);
        // A case where greedy is wrong: weights [[0.9, 0.8], [0.8, 0.0]]: greedy 0.9, best 1.6.
        assert!(close(max_weight_assignment(&[vec![0.9, 0.8], vec![0.8, 0.0]]), 1.6));
        assert!(close(max_weight_assignment(&[vec![0.5], vec![0.7], vec![0.1]]), 0.7));
    }

    #[test]
    fn empty_inputs_score_zero_without_panicking() {
        let none: Vec<Vec<u8>> = Vec::new();
        let s = score(&none, &none);
        assert_eq!(s.b_cubed, Prf::default());
        let s = score(&[vec![1u8]], &none);
        assert_eq!((s.b_cubed.recall, s.ceaf_e.recall), (0.0, 0.0));
    }

    #[test]
    fn link_scores_on_gold_and_predicted_mentions() {
        let text = "Sergey Lavrov met NATO. Lavrov left.";
        let gold_entity = |s, e, l: Label, id: &str| Entity::new(text, s, e, l).unwrap().with_canonical(id);
        let gold = vec![AnnotatedDocument {
            document: crate::Document::new("d", text),
            entities: vec![
                gold_entity(0, 13, Label::PER, "lavrov"),
                gold_entity(18, 22, Label::ORG, "nato"),
                gold_entity(24, 30, Label::PER, "lavrov"),
            ],
        }];
        // The linker put all three in one cluster... per label ids differ, so two clusters
        // here; plus a spurious mention `met` with the Lavrov id.
        let mut predicted = gold[0].entities.clone();
        predicted[2].canonical = Some("x".into());
        predicted.push(Entity::new(text, 14, 17, Label::PER).unwrap().with_canonical("x"));
        let on_gold = link_scores(&gold, &[predicted.clone()], &Label::CONLL, MentionSet::Gold);
        assert_eq!(on_gold.response_mentions, 3, "the spurious mention is dropped on gold mentions");
        assert!(close(on_gold.b_cubed.precision, 1.0));
        assert!(close(on_gold.b_cubed.recall, (1.0 / 2.0 + 1.0 + 1.0 / 2.0) / 3.0));
        let end_to_end = link_scores(&gold, &[predicted], &Label::CONLL, MentionSet::Predicted);
        assert_eq!(end_to_end.response_mentions, 4);
        // Precision: Sergey Lavrov 1, NATO 1, Lavrov 1/2, spurious 0 -> 2.5/4.
        assert!(close(end_to_end.b_cubed.precision, 2.5 / 4.0), "{:?}", end_to_end.b_cubed);
    }
}
