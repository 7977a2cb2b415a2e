//! Training data: corpora read exactly as `nerlab eval` reads them, the label set, nested
//! fractions of the training documents, and the cut of documents into lines.

use std::path::{Path, PathBuf};

use nerlab_core::{AnnotatedDocument, Error, Label, Result};
use nerlab_orchestrator::config::Config;

/// A corpus as read for training: where it came from and its documents.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// The corpus name (from the config, or the file stem of a path).
    pub name: String,
    /// The file or directory it was read from.
    pub path: PathBuf,
    /// Its documents with their gold entities.
    pub documents: Vec<AnnotatedDocument>,
}

/// Reads `name_or_path` the way `nerlab eval --corpus` does: a corpus name of the config at
/// `config` (with its format and scheme), or a path whose format is guessed from it (a
/// directory is brat, `*.jsonl` JSONL, anything else CoNLL IOB2). A missing config file is no
/// error as long as `name_or_path` is a path.
///
/// # Errors
/// An unknown name, an unreadable corpus or malformed annotations (naming file and line).
pub fn load_corpus(config: &Path, name_or_path: &str) -> Result<Corpus> {
    let config = if config.is_file() { Config::load(config)? } else { Config::parse("", config)? };
    let (name, path, documents) = config.read_corpus(name_or_path)?;
    Ok(Corpus { name, path, documents })
}

/// The labels of the entities of `corpora`: those of CoNLL-2003 first, in its order (PER,
/// ORG, LOC, MISC, the order of the shipped model's outputs), then the others sorted.
pub fn derive_labels(corpora: &[Corpus]) -> Vec<Label> {
    let mut found: Vec<Label> = corpora.iter().flat_map(|c| &c.documents).flat_map(|d| &d.entities).map(|e| e.label.clone()).collect();
    found.sort();
    found.dedup();
    let mut labels: Vec<Label> = Label::CONLL.iter().filter(|l| found.contains(l)).cloned().collect();
    labels.extend(found.into_iter().filter(|l| !Label::CONLL.contains(l)));
    labels
}

/// Checks that every entity of `corpus` can be taught to a token classifier over `labels`:
/// its label is one of them, and it overlaps no other entity.
///
/// # Errors
/// The first offending entity, naming the corpus file, the document, the entity and its
/// label.
pub fn check_entities(corpus: &Corpus, labels: &[Label]) -> Result<()> {
    for doc in &corpus.documents {
        let at = |e: &nerlab_core::Entity| format!("document {:?}, entity {:?} at {}..{}", doc.document.id, e.text, e.start, e.end);
        let mut previous: Option<&nerlab_core::Entity> = None;
        for e in &doc.entities {
            if !labels.contains(&e.label) {
                let known: Vec<&str> = labels.iter().map(Label::as_str).collect();
                return Err(Error::format(format!(
                    "{}: label {} is not in the label set ({}); add it with --labels",
                    at(e),
                    e.label,
                    known.join(", ")
                ))
                .with_path(&corpus.path));
            }
            if let Some(p) = previous.filter(|p| p.end > e.start) {
                return Err(Error::format(format!(
                    "{}: overlaps {} {:?} at {}..{}, and a token classifier gives each word one tag",
                    at(e),
                    p.label,
                    p.text,
                    p.start,
                    p.end
                ))
                .with_path(&corpus.path));
            }
            if previous.is_none_or(|p| e.end > p.end) {
                previous = Some(e);
            }
        }
    }
    Ok(())
}

/// The indices (ascending) of the documents a `fraction` of `n` keeps: the first
/// `ceil(fraction × n)` of one seeded permutation, so a smaller fraction's documents are
/// always among a larger one's (nested) and the same seed gives the same documents. A fraction
/// of 1 keeps everything.
///
/// # Errors
/// A fraction outside `(0, 1]`.
pub fn fraction_of(n: usize, fraction: f64, seed: u64) -> Result<Vec<usize>> {
    if !(fraction > 0.0 && fraction <= 1.0) {
        return Err(Error::config(format!("--fraction must be in (0, 1], got {fraction}")));
    }
    // Core's sampler, so `cargo xtask curve`'s subsets and `--fraction` pick the same documents.
    Ok(nerlab_core::corpus::sample_fraction(n, fraction, seed))
}

/// The training units of `documents`, in order: each document cut into lines
/// ([`AnnotatedDocument::lines`]), which for CoNLL are its sentences.
pub fn units(documents: &[AnnotatedDocument]) -> Vec<AnnotatedDocument> {
    documents.iter().flat_map(AnnotatedDocument::lines).collect()
}

/// The units of `documents` (as [`units`]) and, per document, the range of them it gave.
pub fn units_by_document(documents: &[AnnotatedDocument]) -> (Vec<AnnotatedDocument>, Vec<std::ops::Range<usize>>) {
    let mut all = Vec::new();
    let mut ranges = Vec::with_capacity(documents.len());
    for doc in documents {
        let start = all.len();
        all.extend(doc.lines());
        ranges.push(start..all.len());
    }
    (all, ranges)
}

/// The ranges of `units` whose sentences give each other context: the units of each
/// document (`documents`, as [`units_by_document`] gives them), or, when every document is
/// one unit (CoNLL as configured), the news articles those sentences come from
/// (`nerlab_core::grouping::Grouping::Articles`, as a corpus's `group` option finds them).
pub fn context_groups(units: &[AnnotatedDocument], documents: &[std::ops::Range<usize>]) -> Vec<std::ops::Range<usize>> {
    if documents.iter().any(|r| r.len() > 1) {
        return documents.to_vec();
    }
    let sentences: Vec<nerlab_core::Document> = units.iter().map(|u| u.document.clone()).collect();
    let starts = nerlab_core::grouping::Grouping::Articles.starts(&sentences);
    starts.iter().zip(starts.iter().skip(1).chain([&units.len()])).map(|(&first, &end)| first..end).collect()
}

/// `unit` with its ASCII letters upper-cased (`upper`) or lower-cased: the same byte offsets,
/// so its entities keep their spans (their texts follow). Non-ASCII letters are left as they
/// are, since changing their case can change their length in bytes.
pub fn recased(unit: &AnnotatedDocument, upper: bool) -> AnnotatedDocument {
    let change = |s: &str| if upper { s.to_ascii_uppercase() } else { s.to_ascii_lowercase() };
    let text = change(&unit.document.text);
    let entities = unit.entities.iter().map(|e| nerlab_core::Entity { text: text[e.start..e.end].to_string(), ..e.clone() }).collect();
    AnnotatedDocument { document: nerlab_core::Document::new(unit.document.id.clone(), text), entities }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recasing_keeps_every_span_and_non_ascii_letters() {
        let text = "Grushkó met NATO in Brussels.";
        let entities = vec![
            nerlab_core::Entity::new(text, 0, "Grushkó".len(), Label::PER).unwrap(),
            nerlab_core::Entity::new(text, text.find("NATO").unwrap(), text.find(" in").unwrap(), Label::ORG).unwrap(),
        ];
        let unit = AnnotatedDocument { document: nerlab_core::Document::new("d", text), entities };
        for (upper, expected) in [(true, "GRUSHKó MET NATO IN BRUSSELS."), (false, "grushkó met nato in brussels.")] {
            let copy = recased(&unit, upper);
            assert_eq!(copy.document.text, expected);
            nerlab_core::validate_entities(&copy.document.text, &copy.entities, None).unwrap();
            let spans = |d: &AnnotatedDocument| d.entities.iter().map(|e| (e.start, e.end, e.label.clone())).collect::<Vec<_>>();
            assert_eq!(spans(&copy), spans(&unit));
        }
    }

    #[test]
    fn fractions_are_nested_and_deterministic() {
        let n = 1000;
        let ten = fraction_of(n, 0.1, 42).unwrap();
        let quarter = fraction_of(n, 0.25, 42).unwrap();
        let half = fraction_of(n, 0.5, 42).unwrap();
        assert_eq!((ten.len(), quarter.len(), half.len()), (100, 250, 500));
        assert!(ten.iter().all(|i| quarter.contains(i)) && quarter.iter().all(|i| half.contains(i)));
        assert_eq!(ten, fraction_of(n, 0.1, 42).unwrap());
        assert_ne!(ten, fraction_of(n, 0.1, 43).unwrap(), "another seed, other documents");
        assert!(ten.windows(2).all(|w| w[0] < w[1]), "in corpus order");
        // Not simply the first documents.
        assert_ne!(ten, (0..100).collect::<Vec<_>>());
        assert_eq!(fraction_of(n, 1.0, 42).unwrap().len(), n);
        assert_eq!(fraction_of(3, 0.01, 42).unwrap().len(), 1);
        for bad in [0.0, -0.5, 1.5, f64::NAN] {
            assert!(fraction_of(n, bad, 42).is_err(), "{bad}");
        }
    }
}
