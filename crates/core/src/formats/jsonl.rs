//! JSONL: one `{"id","text","entities":[{"start","end","label"}]}` per line, byte offsets.
//!
//! # Reading
//!
//! - Blank lines are skipped; every other line is one JSON object with `id` and `text`
//!   (strings) and `entities` (a list; missing means none). Other keys are ignored.
//! - An entity has `start` and `end` (byte offsets into `text`, end exclusive) and `label`;
//!   `text` is optional and, when present, must equal the text the span covers. `score` and
//!   `canonical` are kept when present. The span invariant is checked for every entity.
//! - Document ids must be unique within the file.
//! - Errors name the file and line: malformed JSON (serde's message, with its column),
//!   invalid spans, mismatched entity texts, invalid labels, duplicate ids, invalid UTF-8.
//!
//! # Writing
//!
//! One object per document in the order given, entities with their `text` (and `score` /
//! `canonical` when set), each line terminated by `\n`. Reading it back gives the same
//! documents, with entities sorted by `(start, end, label)`.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;

use super::{read_utf8, sort_entities, span_error};
use crate::{AnnotatedDocument, Document, Entity, Error, Label, Result};

#[derive(Deserialize)]
struct InputDocument {
    id: String,
    text: String,
    #[serde(default)]
    entities: Vec<InputEntity>,
}

#[derive(Deserialize)]
struct InputEntity {
    start: usize,
    end: usize,
    label: Label,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    score: Option<f32>,
    #[serde(default)]
    canonical: Option<String>,
}

/// Reads a JSONL corpus.
///
/// # Errors
/// Malformed JSON, invalid spans (naming file and line).
pub fn read_file(path: &Path) -> Result<Vec<AnnotatedDocument>> {
    let source = read_utf8(path)?;
    parse_str(&source).map_err(|e| e.with_path(path))
}

/// Parses JSONL text as [`read_file`] does; errors carry the line but not the path.
///
/// # Errors
/// As [`read_file`].
pub fn parse_str(source: &str) -> Result<Vec<AnnotatedDocument>> {
    let mut docs = Vec::new();
    let mut ids = HashSet::new();
    for (i, line) in source.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let doc = parse_line(line).map_err(|e| e.with_line(i + 1))?;
        if !ids.insert(doc.document.id.clone()) {
            return Err(Error::format(format!("duplicate document id {:?}", doc.document.id)).with_line(i + 1));
        }
        docs.push(doc);
    }
    Ok(docs)
}

fn parse_line(line: &str) -> Result<AnnotatedDocument> {
    let input: InputDocument =
        serde_json::from_str(line).map_err(|e| Error::format(format!("invalid JSON document: {e}")).with_source(e))?;
    let text = input.text;
    let mut entities = Vec::with_capacity(input.entities.len());
    for (k, e) in input.entities.into_iter().enumerate() {
        let which = |msg: String| span_error(format!("entity {k} of document {:?}: {msg}", input.id));
        let mut entity = Entity::new(&text, e.start, e.end, e.label).map_err(|x| which(x.message().to_string()))?;
        if let Some(given) = e.text {
            if given != entity.text {
                return Err(which(format!("span {}..{} covers {:?} but the entity says {:?}", e.start, e.end, entity.text, given)));
            }
        }
        entity.score = e.score;
        entity.canonical = e.canonical;
        entities.push(entity);
    }
    sort_entities(&mut entities);
    Ok(AnnotatedDocument { document: Document::new(input.id, text), entities })
}

/// Writes a JSONL corpus.
///
/// # Errors
/// I/O failures.
pub fn write_file(path: &Path, docs: &[AnnotatedDocument]) -> Result<()> {
    let mut out = String::new();
    for doc in docs {
        let line = serde_json::to_string(doc)
            .map_err(|e| Error::format(format!("cannot serialise document {:?}: {e}", doc.document.id)).with_path(path))?;
        out.push_str(&line);
        out.push('\n');
    }
    super::write_file(path, &out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fills_text_and_sorts() {
        let src = r#"{"id":"a","text":"Grushkó and NATO","entities":[{"start":13,"end":17,"label":"ORG"},{"start":0,"end":8,"label":"PER","text":"Grushkó"}]}

{"id":"b","text":"nothing"}
"#;
        let docs = parse_str(src).unwrap();
        assert_eq!(docs.len(), 2);
        let e = &docs[0].entities;
        assert_eq!((e[0].start, e[0].text.as_str(), &e[0].label), (0, "Grushkó", &Label::PER));
        assert_eq!(e[1].text, "NATO");
        assert!(docs[1].entities.is_empty());
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            (r#"{"id":"a","text":"abc","entities":[{"start":0,"end":9,"label":"PER"}]}"#, "out of bounds"),
            (r#"{"id":"a","text":"ó","entities":[{"start":0,"end":1,"label":"PER"}]}"#, "character boundaries"),
            (r#"{"id":"a","text":"abc","entities":[{"start":0,"end":2,"label":"PER","text":"xy"}]}"#, "\"xy\""),
            (r#"{"id":"a","text":"abc","entities":[{"start":0,"end":2,"label":""}]}"#, "invalid label"),
            (r#"{"id":"a","text":"abc","entities":[{"start":-1,"end":2,"label":"PER"}]}"#, "invalid JSON"),
            (r#"{"id":"a","text":"abc""#, "invalid JSON"),
            (r#"{"text":"abc"}"#, "missing field `id`"),
            (r#"{"id":"b","text":"x"}"#, "duplicate document id"),
        ];
        for (line, expected) in cases {
            let src = format!("{{\"id\":\"b\",\"text\":\"x\"}}\n\n{line}\n");
            let e = parse_str(&src).unwrap_err();
            assert_eq!(e.line(), Some(3), "{e}");
            assert!(e.to_string().contains(expected), "{e}");
            assert!(!e.to_string().contains('\n'), "{e}");
        }
    }
}
