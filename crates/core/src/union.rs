//! An extractor made of other extractors: their entities merged under an overlap policy.
//!
//! This is how a user tries "transformer for names, rules for dates" without writing code: a
//! `kind = "union"` entry in the config whose `members` name other extractors. Like HF
//! tokenizers' `Sequence`, the combination is itself an [`Extractor`], so it is evaluated,
//! benchmarked and reported like any other.

use serde::{Deserialize, Serialize};

use crate::{BuildContext, Document, Entity, Error, Extractor, Family, Label, Result};

/// Parameters of a `kind = "union"` extractor: `params = { members = ["transformer", "rules"],
/// overlap = "priority" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnionConfig {
    /// Names of other extractors of the same configuration, in priority order.
    pub members: Vec<String>,
    /// How overlapping entities of different members are resolved.
    #[serde(default)]
    pub overlap: OverlapPolicy,
}

/// How overlapping entities from different members are resolved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverlapPolicy {
    /// Keep the longest span; on equal length the earlier member wins, then the leftmost span.
    #[default]
    Longest,
    /// Members in order are priorities: an earlier member's entity beats a later member's;
    /// within one member the longest wins.
    Priority,
    /// Keep everything (exact duplicates of span and label removed). Overlapping output is
    /// allowed by the span invariant but scores as a false positive for all but one.
    KeepAll,
}

/// The union of several extractors' entities.
pub struct Union {
    name: String,
    members: Vec<Box<dyn Extractor>>,
    labels: Vec<Label>,
    policy: OverlapPolicy,
}

impl Union {
    /// A union of `members` (in priority order) named `name`.
    ///
    /// # Errors
    /// When `members` is empty.
    pub fn new(name: impl Into<String>, members: Vec<Box<dyn Extractor>>, policy: OverlapPolicy) -> Result<Union> {
        if members.is_empty() {
            return Err(Error::config("a union needs at least one member"));
        }
        let mut labels: Vec<Label> = members.iter().flat_map(|m| m.labels().iter().cloned()).collect();
        labels.sort();
        labels.dedup();
        Ok(Union { name: name.into(), members, labels, policy })
    }

    fn merge(&self, per_member: Vec<Vec<Entity>>) -> Vec<Entity> {
        merge(per_member, self.policy)
    }
}

/// Merges members' entities (in member order) under `policy`; the result is sorted by start.
pub fn merge(per_member: Vec<Vec<Entity>>, policy: OverlapPolicy) -> Vec<Entity> {
    // (member index, entity) candidates in the order the policy prefers them.
    let mut candidates: Vec<(usize, Entity)> =
        per_member.into_iter().enumerate().flat_map(|(i, es)| es.into_iter().map(move |e| (i, e))).collect();
    let mut kept: Vec<Entity> = Vec::with_capacity(candidates.len());
    match policy {
        OverlapPolicy::KeepAll => {
            kept = candidates.into_iter().map(|(_, e)| e).collect();
            kept.sort_by(|a, b| (a.start, a.end, &a.label).cmp(&(b.start, b.end, &b.label)));
            kept.dedup_by(|a, b| (a.start, a.end, &a.label) == (b.start, b.end, &b.label));
            return kept;
        }
        OverlapPolicy::Longest => {
            candidates.sort_by(|(ia, a), (ib, b)| (b.end - b.start).cmp(&(a.end - a.start)).then(ia.cmp(ib)).then(a.start.cmp(&b.start)))
        }
        OverlapPolicy::Priority => {
            candidates.sort_by(|(ia, a), (ib, b)| ia.cmp(ib).then((b.end - b.start).cmp(&(a.end - a.start))).then(a.start.cmp(&b.start)))
        }
    }
    for (_, e) in candidates {
        if !kept.iter().any(|k| k.overlaps(&e)) {
            kept.push(e);
        }
    }
    kept.sort_by_key(|e| (e.start, e.end));
    kept
}

impl Family for Union {
    const KIND: &'static str = "union";
    type Config = UnionConfig;

    /// Builds each member by name (see [`BuildContext::build_member`]), in order.
    fn from_config(config: UnionConfig, ctx: &BuildContext<'_>) -> Result<Union> {
        let members = config.members.iter().map(|name| ctx.build_member(name)).collect::<Result<Vec<_>>>()?;
        Union::new(ctx.name(), members, config.overlap)
    }
}

impl Extractor for Union {
    fn name(&self) -> &str {
        &self.name
    }

    fn labels(&self) -> &[Label] {
        &self.labels
    }

    fn extract(&self, document: &Document) -> Result<Vec<Entity>> {
        let per_member = self
            .members
            .iter()
            .map(|m| m.extract(document).map_err(|e| Error::extraction(format!("member {}: {e}", m.name()))))
            .collect::<Result<Vec<_>>>()?;
        Ok(self.merge(per_member))
    }

    /// Hands the whole batch to each member, so members that batch (a transformer) still do.
    fn extract_batch(&self, documents: &[Document]) -> Vec<Result<Vec<Entity>>> {
        let mut results: Vec<Result<Vec<Vec<Entity>>>> = documents.iter().map(|_| Ok(Vec::new())).collect();
        for member in &self.members {
            let outputs = member.extract_batch(documents);
            for (slot, out) in results.iter_mut().zip(outputs) {
                if let Ok(acc) = slot {
                    match out {
                        Ok(es) => acc.push(es),
                        Err(e) => *slot = Err(Error::extraction(format!("member {}: {e}", member.name()))),
                    }
                }
            }
        }
        results.into_iter().map(|r| r.map(|per_member| self.merge(per_member))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Returns fixed spans.
    struct Fixed(&'static str, Vec<(usize, usize, Label)>);

    impl Extractor for Fixed {
        fn name(&self) -> &str {
            self.0
        }
        fn labels(&self) -> &[Label] {
            &Label::CONLL
        }
        fn extract(&self, d: &Document) -> Result<Vec<Entity>> {
            if d.text.is_empty() {
                return Err(Error::extraction("empty"));
            }
            self.1.iter().map(|(s, e, l)| Entity::new(&d.text, *s, *e, l.clone())).collect()
        }
    }

    fn spans(es: &[Entity]) -> Vec<(usize, usize, &str)> {
        es.iter().map(|e| (e.start, e.end, e.label.as_str())).collect()
    }

    fn union(policy: OverlapPolicy) -> Union {
        // "Foreign Ministry of Russia"
        let a = Fixed("a", vec![(0, 16, Label::ORG), (20, 26, Label::LOC)]);
        let b = Fixed("b", vec![(0, 26, Label::ORG), (8, 16, Label::MISC)]);
        Union::new("u", vec![Box::new(a), Box::new(b)], policy).unwrap()
    }

    #[test]
    fn policies_resolve_overlaps() {
        let doc = Document::new("d", "Foreign Ministry of Russia");
        assert_eq!(spans(&union(OverlapPolicy::Longest).extract(&doc).unwrap()), [(0, 26, "ORG")]);
        assert_eq!(spans(&union(OverlapPolicy::Priority).extract(&doc).unwrap()), [(0, 16, "ORG"), (20, 26, "LOC")]);
        assert_eq!(
            spans(&union(OverlapPolicy::KeepAll).extract(&doc).unwrap()),
            [(0, 16, "ORG"), (0, 26, "ORG"), (8, 16, "MISC"), (20, 26, "LOC")]
        );
    }

    #[test]
    fn batch_agrees_and_member_errors_name_the_member() {
        let u = union(OverlapPolicy::Longest);
        let docs = [Document::new("d", "Foreign Ministry of Russia"), Document::new("e", "")];
        let out = u.extract_batch(&docs);
        assert_eq!(spans(out[0].as_ref().unwrap()), [(0, 26, "ORG")]);
        assert!(out[1].as_ref().unwrap_err().to_string().contains("member a"));
        assert!(Union::new("x", Vec::new(), OverlapPolicy::Longest).is_err());
    }
}
