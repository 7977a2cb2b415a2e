//! How the similarity threshold is chosen: on name pairs labelled same/different by hand
//! (`models/canonical/similarity-pairs.tsv`, CoNLL-2003 *train* names, never the news gold),
//! the threshold whose merge decisions have the best F1 for "same", the higher one on a tie.
//! The decision is the whole stage's (folding, transliteration, plurals, similarity), with
//! the two names in different documents so that partial names play no part.

use std::path::Path;

use nerlab_core::coref::Prf;
use nerlab_core::{Document, Entity, Error, Label, Result};

use crate::{Canonicalizer, Config};

/// A hand-labelled pair of names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledPair {
    /// The label of both names.
    pub label: Label,
    /// One name.
    pub left: String,
    /// The other.
    pub right: String,
    /// Whether they name the same entity.
    pub same: bool,
}

/// The merge decisions at one threshold, scored against the labels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThresholdScore {
    /// The Jaro-Winkler threshold.
    pub threshold: f64,
    /// Merged pairs that are the same entity, over merged pairs.
    pub precision: f64,
    /// Merged pairs that are the same entity, over pairs that are.
    pub recall: f64,
    /// Their harmonic mean.
    pub f1: f64,
}

/// Reads `label <TAB> left <TAB> right <TAB> same|different` with a header line.
///
/// # Errors
/// An unreadable file, a line without four fields or with another verdict (naming the line).
pub fn read_pairs(path: &Path) -> Result<Vec<LabelledPair>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut pairs = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let err = |m: String| Error::format(m).with_path(path).with_line(i + 1);
        let cols: Vec<&str> = line.split('\t').collect();
        let [label, left, right, verdict] = cols[..] else {
            return Err(err(format!("expected 4 fields, found {}", cols.len())));
        };
        let same = match verdict {
            "same" => true,
            "different" => false,
            other => return Err(err(format!("verdict {other:?} is neither `same` nor `different`"))),
        };
        let label = Label::new(label).map_err(|e| err(e.message().to_string()))?;
        pairs.push(LabelledPair { label, left: left.to_string(), right: right.to_string(), same });
    }
    Ok(pairs)
}

/// Whether the stage with `canonicalizer` puts `pair`'s names in one entity.
pub fn merges(canonicalizer: &Canonicalizer, pair: &LabelledPair) -> bool {
    let docs = [Document::new("a", pair.left.clone()), Document::new("b", pair.right.clone())];
    let mention = |d: &Document| vec![Entity::new(&d.text, 0, d.text.len(), pair.label.clone()).expect("a whole non-empty text")];
    let mut entities = [mention(&docs[0]), mention(&docs[1])];
    canonicalizer.canonicalize(&docs, &mut entities);
    entities[0][0].canonical == entities[1][0].canonical
}

/// Scores every threshold from 0.80 to 1.00 in steps of 0.01 on `pairs`.
pub fn sweep(pairs: &[LabelledPair]) -> Vec<ThresholdScore> {
    (80..=100)
        .map(|t| {
            let threshold = f64::from(t) / 100.0;
            let config = Config { similarity_threshold: threshold, ..Config::default() };
            let c = Canonicalizer::from_config(&config, Path::new(".")).expect("the default config needs no files");
            let (mut tp, mut merged, mut same) = (0usize, 0usize, 0usize);
            for pair in pairs {
                let m = merges(&c, pair);
                merged += usize::from(m);
                same += usize::from(pair.same);
                tp += usize::from(m && pair.same);
            }
            let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
            let scores = Prf::new(ratio(tp, merged), ratio(tp, same));
            ThresholdScore { threshold, precision: scores.precision, recall: scores.recall, f1: scores.f1 }
        })
        .collect()
}

/// The best row of a [`sweep`]: highest F1, the higher threshold on a tie.
pub fn best(scores: &[ThresholdScore]) -> Option<ThresholdScore> {
    scores.iter().copied().fold(None, |best, s| match best {
        Some(b) if b.f1 > s.f1 + 1e-12 => Some(b),
        _ => Some(s),
    })
}
