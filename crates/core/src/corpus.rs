//! Reading and writing annotated corpora: brat standoff, CoNLL columns, JSONL.
//!
//! [`CorpusFormat`] is how a config names a format; [`read_corpus`] and [`write_corpus`]
//! dispatch to the readers and writers in [`crate::formats`].

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{AnnotatedDocument, Result};

/// A corpus on disk and how to read it, as written in a config file (tagged by `format`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "format", rename_all = "lowercase", deny_unknown_fields)]
pub enum CorpusFormat {
    /// A directory of `NAME.txt` files each with a `NAME.ann` beside it (character offsets).
    Brat,
    /// One `token TAG` per line (the tag in the last column), sentences separated by blank
    /// lines, `-DOCSTART-` lines starting documents.
    Conll {
        /// The tagging scheme of the file.
        #[serde(default)]
        scheme: TagScheme,
        /// How many sentences make one document when the file has no `-DOCSTART-` lines
        /// (1: every sentence is a document). Ignored when it has them.
        #[serde(default = "one")]
        sentences_per_document: usize,
    },
    /// One JSON object per line: `{"id", "text", "entities": [{"start", "end", "label"}]}`
    /// with byte offsets.
    Jsonl,
}

fn one() -> usize {
    1
}

impl CorpusFormat {
    /// The format of a corpus given by path alone: a directory is brat, `*.jsonl` is JSONL,
    /// anything else CoNLL IOB2 (one sentence a document without `-DOCSTART-` lines).
    pub fn guess(path: &Path) -> CorpusFormat {
        if path.is_dir() {
            CorpusFormat::Brat
        } else if path.extension().is_some_and(|e| e == "jsonl") {
            CorpusFormat::Jsonl
        } else {
            CorpusFormat::Conll { scheme: TagScheme::Iob2, sentences_per_document: 1 }
        }
    }
}

/// A sequence-tagging scheme for CoNLL files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TagScheme {
    /// `I-X` everywhere, `B-X` only between two adjacent entities of the same type.
    Iob1,
    /// `B-X` begins every entity, `I-X` continues it (CoNLL-2003 as shipped here).
    #[default]
    Iob2,
    /// `B-X`, `I-X`, `E-X` (end), `S-X` (single-token entity).
    Bioes,
}

impl std::str::FromStr for TagScheme {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<TagScheme> {
        match s.to_ascii_lowercase().as_str() {
            "iob1" => Ok(TagScheme::Iob1),
            "iob2" | "bio" => Ok(TagScheme::Iob2),
            "bioes" | "iobes" => Ok(TagScheme::Bioes),
            _ => Err(crate::Error::format(format!("unknown label scheme {s:?} (expected iob1, iob2 or bioes)"))),
        }
    }
}

/// The documents (indices into a corpus of `n`, ascending) that the share `fraction` of it
/// keeps: the first `ceil(fraction × n)`, at least one, of one permutation seeded by `seed`.
/// So for one seed the documents of a smaller fraction are always among those of a larger one
/// (learning curves compare nested training sets), and the same seed gives the same documents.
/// A fraction of 1 or more keeps every document.
pub fn sample_fraction(n: usize, fraction: f64, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    fastrand::Rng::with_seed(seed).shuffle(&mut order);
    let keep = ((fraction.max(0.0) * n as f64).ceil() as usize).clamp(1.min(n), n);
    order.truncate(keep);
    order.sort_unstable();
    order
}

/// Reads the corpus at `path` (a directory for brat, a file otherwise).
///
/// Every document's gold entities are checked against the span invariant; the first problem
/// is returned as an error naming the file and line.
///
/// # Errors
/// I/O failures, malformed lines, span mismatches, invalid UTF-8, an empty corpus.
pub fn read_corpus(path: &Path, format: &CorpusFormat) -> Result<Vec<AnnotatedDocument>> {
    let docs = match format {
        CorpusFormat::Brat => crate::formats::brat::read_dir(path)?,
        CorpusFormat::Conll { scheme, sentences_per_document } => crate::formats::conll::read_file(path, *scheme, *sentences_per_document)?,
        CorpusFormat::Jsonl => crate::formats::jsonl::read_file(path)?,
    };
    if docs.is_empty() {
        return Err(crate::Error::format("the corpus has no documents").with_path(path));
    }
    Ok(docs)
}

/// Writes `docs` in `format` to `path` (a directory for brat, created if missing; a file
/// otherwise).
///
/// # Errors
/// I/O failures; for CoNLL, entities that do not fall on token boundaries or overlap.
pub fn write_corpus(path: &Path, format: &CorpusFormat, docs: &[AnnotatedDocument]) -> Result<()> {
    match format {
        CorpusFormat::Brat => crate::formats::brat::write_dir(path, docs),
        CorpusFormat::Conll { scheme, .. } => crate::formats::conll::write_file(path, *scheme, docs),
        CorpusFormat::Jsonl => crate::formats::jsonl::write_file(path, docs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_are_nested_deterministic_and_seeded() {
        let sizes = |seed| [0.1, 0.25, 0.5, 1.0].map(|f| sample_fraction(187, f, seed));
        let subsets = sizes(42);
        assert_eq!(subsets.iter().map(Vec::len).collect::<Vec<_>>(), [19, 47, 94, 187]);
        for pair in subsets.windows(2) {
            assert!(pair[0].iter().all(|i| pair[1].contains(i)), "a fraction must contain the smaller ones");
        }
        assert!(subsets[0].windows(2).all(|w| w[0] < w[1]), "ascending");
        assert_eq!(subsets[3], (0..187).collect::<Vec<_>>());
        assert_eq!(subsets, sizes(42), "same seed, same documents");
        assert_ne!(subsets[0], sizes(7)[0], "another seed, other documents");
        // A spread sample, not the first documents of the corpus.
        assert_ne!(subsets[0], (0..19).collect::<Vec<_>>());
        // Tiny corpora still get a document; nothing from nothing.
        assert_eq!(sample_fraction(3, 0.01, 1).len(), 1);
        assert!(sample_fraction(0, 0.5, 1).is_empty());
    }
}
