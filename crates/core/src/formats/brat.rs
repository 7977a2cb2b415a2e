//! brat standoff: `NAME.txt` + `NAME.ann`, text-bound annotations `T1\tLABEL start end\ttext`
//! with character offsets.
//!
//! # Reading
//!
//! - Every `*.txt` file of the directory is a document whose id is the file stem; documents
//!   are returned sorted by id, so the result does not depend on directory order. Other
//!   files (a `README.md`, an `.ann` with no `.txt`) are ignored. A `.txt` without an `.ann`
//!   is a document with no entities.
//! - brat offsets count Unicode scalar values (Python string indices); they are converted to
//!   byte offsets with [`CharByteMap`]. The text is kept exactly as read (including `\r`).
//! - Text-bound annotations (`T` lines) become entities. Normalisations
//!   (`N1\tReference T3 nerlab:sergey-lavrov\tSergey Lavrov`) set the referenced entity's
//!   [`Entity::canonical`] to the `DB:ID` field verbatim (the first one wins when a `T` has
//!   several); one that names no `T` of the file is an error. Relations (`R`), events (`E`),
//!   attributes (`A`, `M`), equivalences (`*`) and notes (`#`) are ignored, as are blank lines. A line whose id starts with anything else is an error: it is
//!   usually a `T` line whose tabs became spaces.
//! - Discontinuous spans (`start end;start end`) are rejected: an [`Entity`] is one span.
//! - The annotation's text must equal the document text it covers. brat cannot put a line
//!   break in that column, so whitespace in the document may appear as a space there
//!   (the writer does the same).
//! - Every problem is one [`crate::Error`] naming the file and line: a wrong number of
//!   fields, an unparsable offset, a span out of range, a text mismatch (both texts are
//!   shown), invalid UTF-8, an invalid label.
//!
//! # Writing
//!
//! `NAME.txt` (the text unchanged) and `NAME.ann` (`T1`, `T2`, ... in entity order, each
//! followed by an `N` line when the entity has a canonical id) per document. Whitespace and
//! `%` inside a canonical id are percent-encoded (`%20`, `%09`, `%0A`, `%0D`, `%25`), because
//! brat's `DB:ID` field cannot hold a space; the reader decodes them. Reading the directory
//! back gives the same documents and entities.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{read_utf8, sort_entities, span_error};
use crate::offsets::CharByteMap;
use crate::{AnnotatedDocument, Document, Entity, Error, Label, Result};

/// Reads every `*.txt` in `dir` with its `.ann` (a missing `.ann` means no entities).
///
/// # Errors
/// Malformed `.ann` lines, spans whose text does not match, invalid UTF-8 (naming file and line).
pub fn read_dir(dir: &Path) -> Result<Vec<AnnotatedDocument>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut texts: Vec<(String, PathBuf)> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("txt") || !path.is_file() {
            continue;
        }
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            return Err(Error::format("file name is not valid UTF-8").with_path(&path));
        };
        texts.push((stem.to_string(), path));
    }
    texts.sort();
    let mut docs = Vec::with_capacity(texts.len());
    for (id, txt_path) in texts {
        let text = read_utf8(&txt_path)?;
        let ann_path = txt_path.with_extension("ann");
        let entities = if ann_path.is_file() {
            let ann = read_utf8(&ann_path)?;
            parse_ann(&ann, &text).map_err(|e| e.with_path(&ann_path))?
        } else {
            Vec::new()
        };
        docs.push(AnnotatedDocument { document: Document::new(id, text), entities });
    }
    Ok(docs)
}

/// Parses the contents of an `.ann` file against the document `text`; errors carry the line
/// but not the path. Entities are sorted by `(start, end, label)`.
///
/// # Errors
/// As [`read_dir`].
pub fn parse_ann(ann: &str, text: &str) -> Result<Vec<Entity>> {
    let map = CharByteMap::new(text);
    let mut entities = Vec::new();
    // `T` id -> index in `entities`; normalisations may come before the `T` they name.
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    let mut references: Vec<(usize, &str, String)> = Vec::new();
    for (i, line) in ann.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        match line.chars().next() {
            Some('T') => {
                entities.push(parse_text_bound(line, text, &map).map_err(|e| e.with_line(line_no))?);
                let id = line.split('\t').next().unwrap_or_default();
                if by_id.insert(id, entities.len() - 1).is_some() {
                    return Err(Error::format(format!("duplicate annotation id {id:?}")).with_line(line_no));
                }
            }
            Some('N') => {
                let (target, db_id) = parse_normalization(line).map_err(|e| e.with_line(line_no))?;
                references.push((line_no, target, db_id));
            }
            Some('R' | 'E' | 'A' | 'M' | '*' | '#') => {}
            _ => {
                return Err(Error::format(format!(
                    "unknown annotation {:?}: expected an id starting with T, R, E, A, M, N, * or #",
                    truncate(line)
                ))
                .with_line(line_no))
            }
        }
    }
    for (line_no, target, db_id) in references {
        let Some(&index) = by_id.get(target) else {
            return Err(
                Error::format(format!("normalisation refers to {target:?}, which is not a T annotation of this file")).with_line(line_no)
            );
        };
        entities[index].canonical.get_or_insert(db_id);
    }
    sort_entities(&mut entities);
    Ok(entities)
}

/// The target `T` id and the decoded `DB:ID` of `N1\tReference T3 DB:ID[\ttext]`.
fn parse_normalization(line: &str) -> Result<(&str, String)> {
    let middle = line.split('\t').nth(1).unwrap_or_default();
    let parts: Vec<&str> = middle.split(' ').collect();
    let ["Reference", target, db_id] = parts[..] else {
        return Err(Error::format(format!("expected a normalisation `N<n>\\tReference T<n> DB:ID\\ttext`, found {:?}", truncate(line))));
    };
    if !target.starts_with('T') || db_id.is_empty() {
        return Err(Error::format(format!("expected `Reference T<n> DB:ID`, found {middle:?}")));
    }
    Ok((target, decode_id(db_id)))
}

/// Percent-encodes the characters a brat `DB:ID` field cannot hold (see the module docs).
fn encode_id(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for c in id.chars() {
        match c {
            '%' => out.push_str("%25"),
            ' ' => out.push_str("%20"),
            '\t' => out.push_str("%09"),
            '\n' => out.push_str("%0A"),
            '\r' => out.push_str("%0D"),
            c => out.push(c),
        }
    }
    out
}

/// The inverse of [`encode_id`]; other `%` sequences are kept as they are.
fn decode_id(id: &str) -> String {
    if !id.contains('%') {
        return id.to_string();
    }
    let mut out = String::with_capacity(id.len());
    let mut rest = id;
    while let Some(p) = rest.find('%') {
        out.push_str(&rest[..p]);
        let code = rest.get(p + 1..p + 3);
        let decoded = match code {
            Some("25") => Some('%'),
            Some("20") => Some(' '),
            Some("09") => Some('\t'),
            Some("0A" | "0a") => Some('\n'),
            Some("0D" | "0d") => Some('\r'),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[p + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[p + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn parse_text_bound(line: &str, text: &str, map: &CharByteMap) -> Result<Entity> {
    let fields: Vec<&str> = line.splitn(3, '\t').collect();
    let [_id, middle, ann_text] = fields[..] else {
        return Err(Error::format(format!(
            "expected 3 tab-separated fields `T<n>\\tLABEL start end\\ttext`, found {}: {:?}",
            fields.len(),
            truncate(line)
        )));
    };
    let (label, offsets) = middle.split_once(' ').ok_or_else(|| Error::format(format!("expected `LABEL start end`, found {middle:?}")))?;
    let label = Label::new(label)?;
    if offsets.contains(';') {
        return Err(Error::format(format!("discontinuous span {offsets:?} is not supported (an entity is one contiguous span)")));
    }
    let parts: Vec<&str> = offsets.split(' ').collect();
    let [start, end] = parts[..] else {
        return Err(Error::format(format!("expected `LABEL start end`, found {middle:?}")));
    };
    let parse = |s: &str| s.parse::<usize>().map_err(|_| Error::format(format!("offset {s:?} is not a non-negative integer")));
    let (start_c, end_c) = (parse(start)?, parse(end)?);
    if start_c >= end_c {
        return Err(span_error(format!("empty or reversed span {start_c} {end_c}")));
    }
    let (Some(start_b), Some(end_b)) = (map.to_byte(start_c), map.to_byte(end_c)) else {
        return Err(span_error(format!("span {start_c} {end_c} is out of range (the text has {} characters)", map.char_len())));
    };
    let entity = Entity::new(text, start_b, end_b, label)?;
    if entity.text != ann_text && flatten_whitespace(&entity.text) != ann_text {
        return Err(span_error(format!(
            "span {start_c} {end_c} covers {:?} in the text but the annotation says {:?}",
            entity.text, ann_text
        )));
    }
    Ok(entity)
}

/// `s` with every whitespace character replaced by a space (brat's text column is one line).
fn flatten_whitespace(s: &str) -> String {
    s.chars().map(|c| if c.is_whitespace() { ' ' } else { c }).collect()
}

fn truncate(line: &str) -> String {
    const MAX: usize = 80;
    match line.char_indices().nth(MAX) {
        Some((b, _)) => format!("{}…", &line[..b]),
        None => line.to_string(),
    }
}

/// Writes `NAME.txt` and `NAME.ann` for every document into `dir`.
///
/// # Errors
/// I/O failures; a document id that is not a plain file name; an entity breaking the span
/// invariant. The first failing document stops the writing; [`write_document`] lets a caller
/// contain failures per document instead.
pub fn write_dir(dir: &Path, docs: &[AnnotatedDocument]) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    docs.iter().try_for_each(|doc| write_document(dir, doc))
}

/// The longest document id whose `.txt` and `.ann` fit a file name (255 bytes on common file
/// systems).
pub const MAX_ID_BYTES: usize = 251;

/// Writes one document's `NAME.txt` and `NAME.ann` into the existing directory `dir`, each
/// atomically (see [`super::write_atomic`]).
///
/// # Errors
/// A document id that cannot be a file name (empty, `.`, `..`, a path separator or NUL, more
/// than [`MAX_ID_BYTES`] bytes), an entity breaking the span invariant, I/O failures.
pub fn write_document(dir: &Path, doc: &AnnotatedDocument) -> Result<()> {
    let id = &doc.document.id;
    if id.is_empty() || id == "." || id == ".." || id.contains(['/', '\\', '\0']) {
        return Err(Error::format(format!("document id {id:?} cannot be a brat file name")).with_path(dir));
    }
    if id.len() > MAX_ID_BYTES {
        return Err(Error::format(format!(
            "document id {:?} is {} bytes long; a brat file name holds at most {MAX_ID_BYTES}",
            truncate(id),
            id.len()
        ))
        .with_path(dir));
    }
    let ann = to_ann(doc).map_err(|e| e.with_path(dir.join(format!("{id}.ann"))))?;
    super::write_file(&dir.join(format!("{id}.txt")), &doc.document.text)?;
    super::write_file(&dir.join(format!("{id}.ann")), &ann)
}

/// The `.ann` contents of one document: `T1`, `T2`, ... in entity order, character offsets.
///
/// # Errors
/// An entity whose span is invalid on the document's text.
pub fn to_ann(doc: &AnnotatedDocument) -> Result<String> {
    let text = &doc.document.text;
    let map = CharByteMap::new(text);
    let mut out = String::new();
    let mut normalizations = 0;
    for (i, e) in doc.entities.iter().enumerate() {
        crate::check_span(text, e.start, e.end)?;
        let (Some(s), Some(t)) = (map.to_char(e.start), map.to_char(e.end)) else {
            return Err(span_error(format!("span {}..{} is not on character boundaries", e.start, e.end)));
        };
        let covered = text.get(e.start..e.end).unwrap_or_default();
        let _ = writeln!(out, "T{}\t{} {} {}\t{}", i + 1, e.label, s, t, flatten_whitespace(covered));
        if let Some(id) = &e.canonical {
            normalizations += 1;
            let _ = writeln!(out, "N{normalizations}\tReference T{} {}\t{}", i + 1, encode_id(id), flatten_whitespace(covered));
        }
    }
    Ok(out)
}
