//! Grouping consecutive documents into longer ones for extraction, and mapping what the
//! extractor finds back onto the documents.
//!
//! CoNLL corpora are configured one sentence per document, as they are scored; an extractor
//! that uses context (the transformer's windows) then never sees a sentence's neighbours. A
//! corpus's `group` option ([`Grouping`]) joins consecutive documents into one text for the
//! extractor, one document per line (`\n` between them), and [`Groups::split`] maps the
//! entities found back onto the documents they fall in. The corpus itself does not change:
//! the documents, their ids and texts, the gold, the offsets and the unit of every per-document
//! statistic (bootstrap intervals, error examples) stay those of the corpus, so an extractor
//! that does not use context scores exactly as it does without grouping. The one thing lost
//! is an entity crossing from one document into the next, which no document can hold: it is
//! dropped and counted.
//!
//! Two ways to group:
//!
//! - `{ by = "window", size = N }`: every `N` consecutive documents, in corpus order;
//! - `{ by = "articles" }`: news articles recovered from CoNLL-2003's layout when the file has
//!   no `-DOCSTART-` lines (with them, the CoNLL reader already makes each article one
//!   document). An article opens with its headline and a dateline, a document such as
//!   `LONDON 1996-08-30` or `BOGOTA , Colombia 1996-08-30`: a short line (at most 8 tokens)
//!   ending in an ISO date, whose first token has no lower-case letter. A new group starts at
//!   the document before each dateline (the headline), or two before when that one is a
//!   byline (one to four capitalised tokens without a full stop: `Adrian Warner`). In the
//!   shipped CoNLL-2003 files this finds 214 articles in `valid` (216 in the original
//!   distribution), 225 in `test` (231) and 919 in `train` (946): the few articles without a
//!   dateline stay joined to the one before, which costs only some context.

use serde::{Deserialize, Serialize};

use crate::{Document, Entity};

/// How consecutive documents of a corpus are grouped for extraction (`group = { by = ... }`
/// in a `[corpora.NAME]` table; see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "lowercase", deny_unknown_fields)]
pub enum Grouping {
    /// Every `size` consecutive documents.
    Window {
        /// Documents per group (at least 1).
        size: usize,
    },
    /// News articles: a group starts at each headline before a dateline (`LONDON 1996-08-30`).
    Articles,
}

/// Documents grouped for extraction: which documents each group holds, and where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Groups {
    /// Per group, `(document index, byte offset of its text in the group's text)`.
    members: Vec<Vec<(usize, usize)>>,
}

/// What joins two documents in a group's text: each document is a line.
pub const SEPARATOR: char = '\n';

impl Grouping {
    /// Groups `documents` (in order) into documents of several, joined by [`SEPARATOR`], and
    /// returns them with the map back. A group of one document is that document unchanged;
    /// a group of several is named `FIRST..LAST` after its first and last documents' ids.
    pub fn apply(&self, documents: &[Document]) -> (Vec<Document>, Groups) {
        Groups::join(documents, &self.starts(documents))
    }

    /// The index of the first document of each group, ascending, starting at 0 (none for no
    /// documents).
    pub fn starts(&self, documents: &[Document]) -> Vec<usize> {
        if documents.is_empty() {
            return Vec::new();
        }
        match *self {
            Grouping::Window { size } => (0..documents.len()).step_by(size.max(1)).collect(),
            Grouping::Articles => {
                let mut starts = vec![0];
                for (i, doc) in documents.iter().enumerate() {
                    if !is_dateline(&doc.text) || i == 0 {
                        continue;
                    }
                    let headline = if i >= 2 && is_byline(&documents[i - 1].text) { i - 2 } else { i - 1 };
                    // A dateline right after a dateline (never seen) is no new article.
                    if headline > *starts.last().unwrap_or(&0) && !is_dateline(&documents[headline].text) {
                        starts.push(headline);
                    }
                }
                starts
            }
        }
    }
}

/// `LONDON 1996-08-30`, `BOGOTA , Colombia 1996-08-30`, `1996-08-30`: at most 8 tokens, the
/// last an ISO date, the first without lower-case letters.
fn is_dateline(text: &str) -> bool {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let (Some(first), Some(last)) = (tokens.first(), tokens.last()) else { return false };
    let b = last.as_bytes();
    let date = b.len() == 10 && b[4] == b'-' && b[7] == b'-' && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    date && tokens.len() <= 8 && !first.chars().any(char::is_lowercase)
}

/// `Adrian Warner`, `Larry Fine`: one to four tokens, each starting with a capital, none a
/// full stop at the end of the line.
fn is_byline(text: &str) -> bool {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    (1..=4).contains(&tokens.len())
        && tokens.iter().all(|t| t.chars().next().is_some_and(char::is_uppercase))
        && tokens.iter().any(|t| t.chars().any(char::is_lowercase))
        && !text.trim_end().ends_with('.')
}

impl Groups {
    /// `documents` joined into groups of consecutive documents, one beginning at each of
    /// `starts` (ascending, the first 0, as [`Grouping::starts`] gives them), joined by
    /// [`SEPARATOR`], with the map back. A group of one document is that document unchanged;
    /// a group of several is named `FIRST..LAST` after its first and last documents' ids.
    pub fn join(documents: &[Document], starts: &[usize]) -> (Vec<Document>, Groups) {
        let mut grouped = Vec::with_capacity(starts.len());
        let mut groups = Groups::default();
        for (k, &first) in starts.iter().enumerate() {
            let end = starts.get(k + 1).copied().unwrap_or(documents.len());
            let members = &documents[first..end];
            if let [only] = members {
                grouped.push(only.clone());
                groups.members.push(vec![(first, 0)]);
                continue;
            }
            let mut text = String::with_capacity(members.iter().map(|d| d.text.len() + 1).sum());
            let mut offsets = Vec::with_capacity(members.len());
            for (i, doc) in members.iter().enumerate() {
                if i > 0 {
                    text.push(SEPARATOR);
                }
                offsets.push((first + i, text.len()));
                text.push_str(&doc.text);
            }
            let id = format!("{}..{}", members[0].id, members[members.len() - 1].id);
            grouped.push(Document::new(id, text));
            groups.members.push(offsets);
        }
        (grouped, groups)
    }

    /// The number of groups.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are no groups (no documents).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The indices of the documents of group `group`, in order.
    pub fn documents(&self, group: usize) -> impl Iterator<Item = usize> + '_ {
        self.members.get(group).into_iter().flatten().map(|&(d, _)| d)
    }

    /// Maps entities found in the groups (`per_group[g]` over group `g`'s text) back onto the
    /// `documents` the groups were made of, in their offsets. An entity that does not lie
    /// within one document's text (it crosses a separator) is dropped; the second value
    /// counts them. Each document's entities come out in the order they were found.
    ///
    /// # Panics
    /// Never for groups made by [`Grouping::apply`] from `documents`; entities outside their
    /// group's text are dropped like those crossing a separator.
    pub fn split(&self, documents: &[Document], per_group: Vec<Vec<Entity>>) -> (Vec<Vec<Entity>>, usize) {
        let mut out: Vec<Vec<Entity>> = vec![Vec::new(); documents.len()];
        let mut dropped = 0;
        for (members, entities) in self.members.iter().zip(per_group) {
            for e in entities {
                // The last member starting at or before the entity.
                let k = members.partition_point(|&(_, offset)| offset <= e.start).saturating_sub(1);
                let Some(&(d, offset)) = members.get(k) else {
                    dropped += 1;
                    continue;
                };
                let inside = e.start >= offset && documents.get(d).is_some_and(|doc| e.end <= offset + doc.text.len());
                if inside {
                    out[d].push(Entity { start: e.start - offset, end: e.end - offset, ..e });
                } else {
                    dropped += 1;
                }
            }
        }
        (out, dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Label;

    fn docs(texts: &[&str]) -> Vec<Document> {
        texts.iter().enumerate().map(|(i, t)| Document::new(format!("d-{}", i + 1), *t)).collect()
    }

    fn starts(grouping: Grouping, texts: &[&str]) -> Vec<usize> {
        grouping.starts(&docs(texts))
    }

    #[test]
    fn windows_of_n_documents() {
        let texts = ["a", "b", "c", "d", "e"];
        assert_eq!(starts(Grouping::Window { size: 2 }, &texts), [0, 2, 4]);
        assert_eq!(starts(Grouping::Window { size: 1 }, &texts), [0, 1, 2, 3, 4]);
        assert_eq!(starts(Grouping::Window { size: 0 }, &texts), [0, 1, 2, 3, 4]);
        assert_eq!(starts(Grouping::Window { size: 9 }, &texts), [0]);
        assert!(starts(Grouping::Window { size: 2 }, &[]).is_empty());
        let (grouped, groups) = Grouping::Window { size: 2 }.apply(&docs(&texts));
        let shown: Vec<(&str, &str)> = grouped.iter().map(|d| (d.id.as_str(), d.text.as_str())).collect();
        assert_eq!(shown, [("d-1..d-2", "a\nb"), ("d-3..d-4", "c\nd"), ("d-5", "e")]);
        assert_eq!(groups.len(), 3);
        assert_eq!(groups.documents(1).collect::<Vec<_>>(), [2, 3]);
    }

    #[test]
    fn articles_start_at_the_headline_before_each_dateline() {
        let texts = [
            "CRICKET - LEICESTERSHIRE TAKE OVER AT TOP .",
            "LONDON 1996-08-30",
            "West Indian all-rounder Phil Simmons took four for 38 .",
            "Their stay on top may be short-lived .",
            // A byline between headline and dateline.
            "ATHLETICS - MITCHELL DEFEATS BAILEY .",
            "Adrian Warner",
            "BERLIN 1996-08-30",
            "Mitchell won .",
            // A headline in mixed case, a dateline with a country.
            "S. African Afrikaners still seek own territory .",
            "CAPE TOWN , South Africa 1996-08-31",
            "Text .",
            // Not datelines: a lower-case start, a long line, not ending in the date.
            "The meeting is on 1996-09-02",
            "RESULTS OF THE LEAGUE GAMES PLAYED ON FRIDAY 1996-08-30",
            "LONDON 1996-08-30 .",
        ];
        assert_eq!(starts(Grouping::Articles, &texts), [0, 4, 8]);
        // A dateline first, and two in a row, do not make empty groups.
        assert_eq!(starts(Grouping::Articles, &["LONDON 1996-08-30", "A .", "B", "PARIS 1996-08-30", "ROME 1996-08-30"]), [0, 2]);
        assert!(is_dateline("1996-08-30") && is_dateline("NOVYE ATAGI , Russia 1996-08-22"));
        assert!(!is_dateline("London 1996-08-30") && !is_dateline("LONDON 1996-8-30") && !is_dateline(""));
        assert!(is_byline("Larry Fine") && !is_byline("Larry Fine .") && !is_byline("OB 42") && !is_byline("larry"));
    }

    #[test]
    fn entities_map_back_onto_their_documents_and_seam_crossers_are_dropped() {
        let documents = docs(&["Paris is big", "in France", "x", "Lavrov met NATO"]);
        let (grouped, groups) = Grouping::Window { size: 3 }.apply(&documents);
        assert_eq!(grouped[0].text, "Paris is big\nin France\nx");
        let g = &grouped[0].text;
        let find = |needle: &str, label: &str| {
            let start = g.find(needle).unwrap();
            Entity::new(g, start, start + needle.len(), Label::new(label).unwrap()).unwrap()
        };
        let lavrov = Entity::new(&grouped[1].text, 0, 6, Label::PER).unwrap();
        let per_group =
            vec![vec![find("Paris", "LOC"), find("big\nin", "MISC"), find("France", "LOC"), find("x", "MISC")], vec![lavrov.clone()]];
        let (split, dropped) = groups.split(&documents, per_group);
        assert_eq!(dropped, 1, "`big\\nin` crosses a seam");
        let shown: Vec<Vec<(usize, usize, &str)>> =
            split.iter().map(|es| es.iter().map(|e| (e.start, e.end, e.text.as_str())).collect()).collect();
        assert_eq!(shown, [vec![(0, 5, "Paris")], vec![(3, 9, "France")], vec![(0, 1, "x")], vec![(0, 6, "Lavrov")]]);
        for (doc, entities) in documents.iter().zip(&split) {
            crate::validate_entities(&doc.text, entities, None).unwrap();
        }
    }
}
