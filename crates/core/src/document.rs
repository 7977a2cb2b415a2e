//! Documents, entities and the span invariant that ties them together.

use serde::{Deserialize, Serialize};

use crate::{Error, ErrorKind, Label, Result};

/// A text to extract entities from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Identifier, unique within a corpus (a file stem, a CoNLL document number...).
    pub id: String,
    /// The original text, exactly as read. Entity offsets index into it.
    pub text: String,
}

impl Document {
    /// A document with `id` and `text`.
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Document {
        Document { id: id.into(), text: text.into() }
    }

    /// The number of whitespace-separated tokens, the unit of the tokens/s figures.
    pub fn whitespace_tokens(&self) -> usize {
        self.text.split_whitespace().count()
    }
}

/// A mention of a named entity in a [`Document`].
///
/// **Invariant**: `start..end` are byte offsets into the document's original UTF-8 text,
/// end exclusive, both on character boundaries, and `text == document.text[start..end]`.
/// [`Entity::new`] establishes it; [`validate_entities`] checks entities from elsewhere.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// The entity type.
    pub label: Label,
    /// The covered text, `document.text[start..end]`.
    pub text: String,
    /// The extractor's confidence in `[0, 1]`, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    /// A canonical identifier or name (e.g. a gazetteer's `Sergey Lavrov` for `Sergei Lavrov`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
}

impl Entity {
    /// An entity covering `text[start..end]`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidSpan`] when the span is empty, out of bounds or not on character
    /// boundaries.
    pub fn new(text: &str, start: usize, end: usize, label: Label) -> Result<Entity> {
        check_span(text, start, end)?;
        Ok(Entity { start, end, label, text: text[start..end].to_string(), score: None, canonical: None })
    }

    /// Sets the confidence score.
    pub fn with_score(mut self, score: f32) -> Entity {
        self.score = Some(score);
        self
    }

    /// Sets the canonical identifier.
    pub fn with_canonical(mut self, canonical: impl Into<String>) -> Entity {
        self.canonical = Some(canonical.into());
        self
    }

    /// Whether two entities share at least one byte.
    pub fn overlaps(&self, other: &Entity) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// Checks that `start..end` is a non-empty span of `text` on character boundaries.
///
/// # Errors
/// [`ErrorKind::InvalidSpan`] naming the offending offsets.
pub fn check_span(text: &str, start: usize, end: usize) -> Result<()> {
    if start >= end {
        return Err(Error::new(ErrorKind::InvalidSpan, format!("empty or reversed span {start}..{end}")));
    }
    if end > text.len() {
        return Err(Error::new(ErrorKind::InvalidSpan, format!("span {start}..{end} is out of bounds (text has {} bytes)", text.len())));
    }
    if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
        return Err(Error::new(ErrorKind::InvalidSpan, format!("span {start}..{end} is not on character boundaries")));
    }
    Ok(())
}

/// Checks every entity against the span invariant on `text`, and that labels are in `allowed`
/// when given.
///
/// # Errors
/// [`ErrorKind::InvalidSpan`] for the first entity that breaks it.
pub fn validate_entities(text: &str, entities: &[Entity], allowed: Option<&[Label]>) -> Result<()> {
    for e in entities {
        check_span(text, e.start, e.end)?;
        if text[e.start..e.end] != e.text {
            return Err(Error::new(
                ErrorKind::InvalidSpan,
                format!("span {}..{} covers {:?} but the entity says {:?}", e.start, e.end, &text[e.start..e.end], e.text),
            ));
        }
        if let Some(allowed) = allowed {
            if !allowed.contains(&e.label) {
                return Err(Error::new(ErrorKind::InvalidSpan, format!("label {} is not one the extractor declares", e.label)));
            }
        }
    }
    Ok(())
}

/// A document with its gold entities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnnotatedDocument {
    /// The document.
    #[serde(flatten)]
    pub document: Document,
    /// Gold entities, sorted by `(start, end)`.
    pub entities: Vec<Entity>,
}

impl AnnotatedDocument {
    /// The document cut at the line breaks no entity crosses, each line a document of its own
    /// (id `<id>:<n>`, `n` counting the pieces from 1) with its entities, offsets relative to the
    /// line; lines of nothing but whitespace are left out. For a CoNLL corpus these are its
    /// sentences with their tokens joined by single spaces ([`crate::formats::conll`] joins a
    /// document's sentences with `\n`); for other corpora, paragraphs or lines.
    pub fn lines(&self) -> Vec<AnnotatedDocument> {
        let text = &self.document.text;
        let mut out = Vec::new();
        let mut start = 0;
        let mut entities = self.entities.iter().peekable();
        let mut n = 0;
        for (at, _) in text.match_indices('\n').chain(std::iter::once((text.len(), ""))) {
            // A break inside an entity is no break.
            if at < text.len() && self.entities.iter().any(|e| e.start <= at && at < e.end) {
                continue;
            }
            n += 1;
            let line = &text[start..at];
            let mut inside = Vec::new();
            while let Some(e) = entities.next_if(|e| e.start < at) {
                let mut e = e.clone();
                e.start -= start;
                e.end -= start;
                inside.push(e);
            }
            if !line.trim().is_empty() {
                let document = Document::new(format!("{}:{n}", self.document.id), line);
                out.push(AnnotatedDocument { document, entities: inside });
            }
            start = at + 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_new_checks_boundaries() {
        let text = "Grushkó said";
        let e = Entity::new(text, 0, 8, Label::PER).unwrap();
        assert_eq!(e.text, "Grushkó");
        // 7 is inside the two-byte `ó`.
        assert_eq!(Entity::new(text, 0, 7, Label::PER).unwrap_err().kind(), ErrorKind::InvalidSpan);
        assert!(Entity::new(text, 3, 3, Label::PER).is_err());
        assert!(Entity::new(text, 0, 99, Label::PER).is_err());
    }

    #[test]
    fn validate_catches_text_mismatch_and_unknown_label() {
        let text = "NATO and Russia";
        let mut e = Entity::new(text, 0, 4, Label::ORG).unwrap();
        assert!(validate_entities(text, &[e.clone()], Some(&[Label::ORG])).is_ok());
        assert!(validate_entities(text, &[e.clone()], Some(&[Label::PER])).is_err());
        e.text = "NATX".into();
        assert!(validate_entities(text, &[e], None).is_err());
    }

    #[test]
    fn lines_keep_entities_and_never_cut_one() {
        let text = "EU rejects\n\nPeter Black\nburn said\nok";
        let ents = [(0, 2, Label::ORG), (12, 28, Label::PER), (34, 36, Label::LOC)];
        let entities = ents.iter().map(|(s, e, l)| Entity::new(text, *s, *e, l.clone()).unwrap()).collect();
        let doc = AnnotatedDocument { document: Document::new("d", text), entities };
        let lines = doc.lines();
        let got: Vec<String> = lines
            .iter()
            .map(|l| {
                let es: Vec<String> = l.entities.iter().map(|e| format!("{}/{}", &l.document.text[e.start..e.end], e.label)).collect();
                format!("{} {:?} {}", l.document.id, l.document.text, es.join(" "))
            })
            .collect();
        assert_eq!(got, ["d:1 \"EU rejects\" EU/ORG", "d:3 \"Peter Black\\nburn said\" Peter Black\nburn/PER", "d:4 \"ok\" ok/LOC"]);
    }

    #[test]
    fn whitespace_tokens_counts_words() {
        assert_eq!(Document::new("d", "  a b\n c ").whitespace_tokens(), 3);
        assert_eq!(Document::new("d", "").whitespace_tokens(), 0);
    }
}
