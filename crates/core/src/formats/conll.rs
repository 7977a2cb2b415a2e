//! CoNLL columns: `token ... TAG` per line, blank lines between sentences.
//!
//! # Reading
//!
//! - The token is the first whitespace-separated column and the tag the last; columns in
//!   between (part of speech, chunk) are ignored. A line with one column has no tag: error.
//! - Blank lines end sentences. A line whose first column is `-DOCSTART-` starts a new
//!   document. When the file has such lines, documents are the groups they delimit (sentences
//!   before the first one form a document of their own, and a `-DOCSTART-` followed by no
//!   sentence gives no document); otherwise every `sentences_per_document` consecutive
//!   sentences form one document.
//! - A document's text is its tokens joined by single spaces, sentences joined by `\n`;
//!   entity offsets are exact byte offsets into that text. Ids are `<file stem>-<n>`, `n`
//!   counting documents from 1 in file order.
//! - Tags are `O` or `P-TYPE` with `TYPE` a [`Label`] (split at the first `-`, so
//!   `B-WORK-OF-ART` has type `WORK-OF-ART`) and `P` a prefix of the scheme: `B`/`I` for
//!   IOB1 and IOB2, `B`/`I`/`E`/`S` for BIOES. Anything else (`X-PER`, `B-`, `PER`) is an
//!   error naming the line.
//!
//! ## Decoding
//!
//! **IOB1 and IOB2** are decoded exactly as conlleval and seqeval's default (non-strict) mode
//! do, which is one procedure for both schemes: a chunk ends before a `B`, before an `O`,
//! and before a tag of another type; a chunk starts at a `B`, at an `I` after `O`, and at any
//! tag whose type differs from the previous one. So `O I-PER I-PER` is one PER entity, and
//! `B-PER I-ORG` is two entities. Sentence boundaries always end a chunk.
//!
//! **BIOES** is decoded strictly: an entity is `S-X` or `B-X (I-X)* E-X` of one type, and any
//! other sequence (an `I-X` or `E-X` outside an entity, a type change inside one, an entity
//! still open at an `O`, a `B`/`S` or the end of the sentence) is an error naming the line.
//! BIOES files are usually converted by tools, so a malformed one is a bug worth reporting
//! rather than guessing at, unlike the IOB schemes whose lenient reading is the established
//! convention.
//!
//! # Writing
//!
//! Each document starts with `-DOCSTART- -X- -X- O` and a blank line; each line of its text
//! is a sentence, tokenised on whitespace, one `token TAG` per line, a blank line after each
//! sentence (lines with no token are skipped). Entities must start and end on token
//! boundaries, not cross a line break and not overlap, or writing fails. Reading the file
//! back gives the same texts and entities when each text is already in the reader's form
//! (single spaces, no blank lines); ids become `<file stem>-<n>`.

use std::fmt::Write as _;
use std::path::Path;

use super::{read_utf8, sort_entities};
use crate::{AnnotatedDocument, Document, Entity, Error, Label, Result, TagScheme};

/// The first column of a line that starts a document.
pub const DOCSTART: &str = "-DOCSTART-";

/// Reads a CoNLL file; document text is the tokens joined by single spaces, sentences of one
/// document joined by a newline.
///
/// # Errors
/// Malformed lines, tags invalid for `scheme` (naming file and line).
pub fn read_file(path: &Path, scheme: TagScheme, sentences_per_document: usize) -> Result<Vec<AnnotatedDocument>> {
    let source = read_utf8(path)?;
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    parse_str(&source, &stem, scheme, sentences_per_document).map_err(|e| e.with_path(path))
}

/// Parses CoNLL text as [`read_file`] does, naming documents `<id_prefix>-<n>`; errors carry
/// the line but not the path.
///
/// # Errors
/// As [`read_file`].
pub fn parse_str(source: &str, id_prefix: &str, scheme: TagScheme, sentences_per_document: usize) -> Result<Vec<AnnotatedDocument>> {
    if sentences_per_document == 0 {
        return Err(Error::config("sentences_per_document must be at least 1"));
    }
    let (items, has_docstart) = read_items(source, scheme)?;
    let groups = group_sentences(items, has_docstart, sentences_per_document);
    groups.iter().enumerate().map(|(n, sentences)| build_document(format!("{id_prefix}-{}", n + 1), sentences, scheme)).collect()
}

/// Pass 1: lines into sentences of tokens and document breaks; also whether the source has
/// any `-DOCSTART-` line.
fn read_items(source: &str, scheme: TagScheme) -> Result<(Vec<Item<'_>>, bool)> {
    let mut items: Vec<Item> = Vec::new();
    let mut sentence: Vec<Token> = Vec::new();
    let mut has_docstart = false;
    for (i, line) in source.lines().enumerate() {
        let line_no = i + 1;
        let mut cols = line.split_whitespace();
        let Some(first) = cols.next() else {
            if !sentence.is_empty() {
                items.push(Item::Sentence(std::mem::take(&mut sentence)));
            }
            continue;
        };
        if first == DOCSTART {
            if !sentence.is_empty() {
                items.push(Item::Sentence(std::mem::take(&mut sentence)));
            }
            items.push(Item::DocStart);
            has_docstart = true;
            continue;
        }
        let Some(tag) = cols.last() else {
            return Err(Error::format(format!("missing tag column after token {first:?}")).with_line(line_no));
        };
        let tag = parse_tag(tag, scheme).map_err(|e| e.with_line(line_no))?;
        sentence.push(Token { text: first, tag, line: line_no });
    }
    if !sentence.is_empty() {
        items.push(Item::Sentence(sentence));
    }
    Ok((items, has_docstart))
}

/// Pass 2: sentences into documents, by `-DOCSTART-` lines when there are any, else every
/// `sentences_per_document` sentences.
fn group_sentences(items: Vec<Item<'_>>, has_docstart: bool, sentences_per_document: usize) -> Vec<Vec<Vec<Token<'_>>>> {
    let mut groups: Vec<Vec<Vec<Token>>> = Vec::new();
    let mut current: Vec<Vec<Token>> = Vec::new();
    for item in items {
        match item {
            Item::DocStart => {
                if !current.is_empty() {
                    groups.push(std::mem::take(&mut current));
                }
            }
            Item::Sentence(s) => {
                current.push(s);
                if !has_docstart && current.len() == sentences_per_document {
                    groups.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

/// Pass 3: one document's text (tokens joined by spaces, sentences by `\n`) and its entities,
/// decoded sentence by sentence.
fn build_document(id: String, sentences: &[Vec<Token<'_>>], scheme: TagScheme) -> Result<AnnotatedDocument> {
    let mut text = String::new();
    let mut entities = Vec::new();
    for (k, sentence) in sentences.iter().enumerate() {
        if k > 0 {
            text.push('\n');
        }
        let mut offsets = Vec::with_capacity(sentence.len());
        for (j, token) in sentence.iter().enumerate() {
            if j > 0 {
                text.push(' ');
            }
            let start = text.len();
            text.push_str(token.text);
            offsets.push((start, text.len()));
        }
        let tags: Vec<&Tag> = sentence.iter().map(|t| &t.tag).collect();
        let chunks = match scheme {
            TagScheme::Iob1 | TagScheme::Iob2 => decode_iob(&tags),
            TagScheme::Bioes => decode_bioes(&tags).map_err(|(j, msg)| {
                let line = sentence.get(j).or(sentence.last()).map_or(0, |t| t.line);
                Error::format(msg).with_line(line)
            })?,
        };
        for (first, last, label) in chunks {
            let (Some(&(start, _)), Some(&(_, end))) = (offsets.get(first), offsets.get(last)) else {
                continue;
            };
            entities.push(Entity::new(&text, start, end, label)?);
        }
    }
    sort_entities(&mut entities);
    Ok(AnnotatedDocument { document: Document::new(id, text), entities })
}

enum Item<'a> {
    DocStart,
    Sentence(Vec<Token<'a>>),
}

struct Token<'a> {
    text: &'a str,
    tag: Tag,
    line: usize,
}

/// A parsed tag: `O` or a prefix with a type.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tag {
    O,
    Chunk(char, Label),
}

impl Tag {
    fn prefix(&self) -> char {
        match self {
            Tag::O => 'O',
            Tag::Chunk(p, _) => *p,
        }
    }
    fn label(&self) -> Option<&Label> {
        match self {
            Tag::O => None,
            Tag::Chunk(_, l) => Some(l),
        }
    }
}

fn parse_tag(tag: &str, scheme: TagScheme) -> Result<Tag> {
    if tag == "O" {
        return Ok(Tag::O);
    }
    let allowed: &[char] = match scheme {
        TagScheme::Iob1 | TagScheme::Iob2 => &['B', 'I'],
        TagScheme::Bioes => &['B', 'I', 'E', 'S'],
    };
    let invalid = |why: &str| {
        Error::format(format!(
            "invalid tag {tag:?} for scheme {}: {why}",
            match scheme {
                TagScheme::Iob1 => "IOB1",
                TagScheme::Iob2 => "IOB2",
                TagScheme::Bioes => "BIOES",
            }
        ))
    };
    let Some((prefix, ty)) = tag.split_once('-') else {
        return Err(invalid("expected O or PREFIX-TYPE"));
    };
    let mut chars = prefix.chars();
    let (Some(p), None) = (chars.next(), chars.next()) else {
        return Err(invalid("the prefix must be one letter"));
    };
    if !allowed.contains(&p) {
        let list: Vec<String> = allowed.iter().map(|c| c.to_string()).collect();
        return Err(invalid(&format!("the prefix must be one of {}", list.join(", "))));
    }
    if ty.is_empty() {
        return Err(invalid("the type is empty"));
    }
    let label = Label::new(ty).map_err(|_| invalid("the type is not a valid label"))?;
    Ok(Tag::Chunk(p, label))
}

/// conlleval's chunk decoding (seqeval's default mode): `(first token, last token, label)`.
fn decode_iob(tags: &[&Tag]) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut open: Option<(usize, Label)> = None;
    let mut prev: &Tag = &Tag::O;
    for (i, &tag) in tags.iter().enumerate() {
        let (pp, p) = (prev.prefix(), tag.prefix());
        let same_type = prev.label() == tag.label();
        // conlleval's endOfChunk / startOfChunk restricted to B, I, O (S and E do not occur).
        let ends = pp != 'O' && (p == 'B' || p == 'O' || !same_type);
        let starts = p == 'B' || (pp == 'O' && p == 'I') || (p != 'O' && !same_type);
        if ends {
            if let Some((first, label)) = open.take() {
                chunks.push((first, i - 1, label));
            }
        }
        if starts {
            if let Some(label) = tag.label() {
                open = Some((i, label.clone()));
            }
        }
        prev = tag;
    }
    if let Some((first, label)) = open {
        chunks.push((first, tags.len().saturating_sub(1), label));
    }
    chunks
}

/// A decoded entity: `(first token, last token, label)`.
type Chunk = (usize, usize, Label);

/// Strict BIOES decoding; the error is `(token index, message)`.
fn decode_bioes(tags: &[&Tag]) -> std::result::Result<Vec<Chunk>, (usize, String)> {
    let mut chunks = Vec::new();
    let mut open: Option<(usize, &Label)> = None;
    for (i, &tag) in tags.iter().enumerate() {
        match (tag, open) {
            (Tag::O, None) => {}
            (Tag::Chunk('S', l), None) => chunks.push((i, i, l.clone())),
            (Tag::Chunk('B', l), None) => open = Some((i, l)),
            (Tag::Chunk('I', l), Some((_, o))) if l == o => {}
            (Tag::Chunk('E', l), Some((first, o))) if l == o => {
                chunks.push((first, i, l.clone()));
                open = None;
            }
            (Tag::Chunk(p @ ('I' | 'E'), l), None) => {
                return Err((i, format!("invalid BIOES sequence: {p}-{l} outside an entity (expected B-{l} or S-{l} first)")))
            }
            (tag, Some((_, o))) => {
                let shown = match tag {
                    Tag::O => "O".to_string(),
                    Tag::Chunk(p, l) => format!("{p}-{l}"),
                };
                return Err((i, format!("invalid BIOES sequence: {shown} inside a {o} entity (expected I-{o} or E-{o})")));
            }
            (Tag::Chunk(p, l), None) => return Err((i, format!("invalid BIOES tag {p}-{l}"))),
        }
    }
    if let Some((_, o)) = open {
        return Err((
            tags.len().saturating_sub(1),
            format!("invalid BIOES sequence: the sentence ends inside a {o} entity (expected E-{o})"),
        ));
    }
    Ok(chunks)
}

/// Writes documents as CoNLL in `scheme`, tokenising on whitespace.
///
/// # Errors
/// Entities not on token boundaries, I/O failures.
pub fn write_file(path: &Path, scheme: TagScheme, docs: &[AnnotatedDocument]) -> Result<()> {
    let mut out = String::new();
    for doc in docs {
        write_document(&mut out, scheme, doc).map_err(|e| e.with_path(path))?;
    }
    super::write_file(path, &out)
}

/// Appends one document in CoNLL form to `out` (see the module docs).
///
/// # Errors
/// Entities with invalid spans, not on token boundaries, crossing a line break, or
/// overlapping (the message names the document).
pub fn write_document(out: &mut String, scheme: TagScheme, doc: &AnnotatedDocument) -> Result<()> {
    let text = &doc.document.text;
    let id = &doc.document.id;
    let err = |msg: String| Error::format(format!("document {id:?}: {msg}"));
    // Tokens as (start, end, sentence index).
    let mut tokens: Vec<(usize, usize, usize)> = Vec::new();
    let mut sentence = 0;
    let mut start: Option<usize> = None;
    for (b, c) in text.char_indices().chain(std::iter::once((text.len(), '\n'))) {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                tokens.push((s, b, sentence));
            }
            if c == '\n' {
                sentence += 1;
            }
        } else if start.is_none() {
            start = Some(b);
        }
    }
    let mut tags: Vec<Option<(char, &Label)>> = vec![None; tokens.len()];
    let mut entities: Vec<&Entity> = doc.entities.iter().collect();
    entities.sort_by_key(|e| (e.start, e.end));
    let mut prev_entity: Option<(usize, &Label)> = None; // (last token, label)
    for e in entities {
        crate::check_span(text, e.start, e.end).map_err(|x| err(x.message().to_string()))?;
        let first = tokens.binary_search_by_key(&e.start, |t| t.0).ok();
        let last = tokens.binary_search_by_key(&e.end, |t| t.1).ok();
        let (Some(first), Some(last)) = (first, last) else {
            return Err(err(format!(
                "entity {:?} at {}..{} does not start and end on whitespace token boundaries",
                &text[e.start..e.end],
                e.start,
                e.end
            )));
        };
        if first > last || tokens[first].2 != tokens[last].2 {
            return Err(err(format!("entity {:?} at {}..{} crosses a line break", &text[e.start..e.end], e.start, e.end)));
        }
        if tags[first..=last].iter().any(Option::is_some) {
            return Err(err(format!("entity {:?} at {}..{} overlaps another", &text[e.start..e.end], e.start, e.end)));
        }
        let adjacent_same = prev_entity.is_some_and(|(l, label)| l + 1 == first && label == &e.label && tokens[l].2 == tokens[first].2);
        for (k, tag) in tags[first..=last].iter_mut().enumerate() {
            let i = first + k;
            let p = match scheme {
                TagScheme::Iob2 => {
                    if i == first {
                        'B'
                    } else {
                        'I'
                    }
                }
                TagScheme::Iob1 => {
                    if i == first && adjacent_same {
                        'B'
                    } else {
                        'I'
                    }
                }
                TagScheme::Bioes => match (i == first, i == last) {
                    (true, true) => 'S',
                    (true, false) => 'B',
                    (false, true) => 'E',
                    (false, false) => 'I',
                },
            };
            *tag = Some((p, &e.label));
        }
        prev_entity = Some((last, &e.label));
    }
    out.push_str(DOCSTART);
    out.push_str(" -X- -X- O\n\n");
    for (i, &(s, e, sent)) in tokens.iter().enumerate() {
        let _ = match tags[i] {
            None => writeln!(out, "{} O", &text[s..e]),
            Some((p, l)) => writeln!(out, "{} {p}-{l}", &text[s..e]),
        };
        if !matches!(tokens.get(i + 1), Some(t) if t.2 == sent) {
            out.push('\n');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(source: &str, scheme: TagScheme) -> Vec<(String, Label)> {
        let docs = parse_str(source, "t", scheme, 1).unwrap();
        docs.iter().flat_map(|d| d.entities.iter().map(|e| (e.text.clone(), e.label.clone()))).collect()
    }

    fn tags(line: &str) -> String {
        // "A B-PER B I-PER" style: tokens are the tags' positions.
        line.split(' ').enumerate().map(|(i, t)| format!("w{i} {t}\n")).collect()
    }

    #[test]
    fn iob_decoding_matches_conlleval() {
        let s = |t: &str| spans(&tags(t), TagScheme::Iob2).into_iter().map(|(x, l)| format!("{x}/{l}")).collect::<Vec<_>>();
        assert_eq!(s("B-PER I-PER O"), ["w0 w1/PER"]);
        assert_eq!(s("O I-PER I-PER"), ["w1 w2/PER"]);
        assert_eq!(s("I-PER I-PER B-PER"), ["w0 w1/PER", "w2/PER"]);
        assert_eq!(s("B-PER I-ORG I-ORG"), ["w0/PER", "w1 w2/ORG"]);
        assert_eq!(s("B-PER B-PER"), ["w0/PER", "w1/PER"]);
        assert_eq!(s("I-LOC O I-LOC"), ["w0/LOC", "w2/LOC"]);
        assert_eq!(s("B-MISC I-MISC"), ["w0 w1/MISC"]);
        assert_eq!(s("O O"), Vec::<String>::new());
        // IOB1 is the same procedure.
        assert_eq!(spans(&tags("I-PER I-PER B-PER O"), TagScheme::Iob1).len(), 2);
    }

    #[test]
    fn bioes_is_strict() {
        let b = |t: &str| parse_str(&tags(t), "t", TagScheme::Bioes, 1);
        let ok = b("B-PER I-PER E-PER O S-LOC").unwrap();
        let got: Vec<_> = ok[0].entities.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(got, ["w0 w1 w2", "w4"]);
        for bad in ["I-PER", "E-PER", "B-PER O", "B-PER", "B-PER E-ORG", "B-PER S-PER", "S-PER I-PER"] {
            let e = b(bad).unwrap_err();
            assert!(e.line().is_some(), "{bad}: {e}");
            assert!(e.to_string().contains("BIOES"), "{bad}: {e}");
        }
        assert_eq!(b("O B-PER O").unwrap_err().line(), Some(3));
        assert_eq!(b("O B-PER").unwrap_err().line(), Some(2));
    }

    #[test]
    fn invalid_tags_are_errors() {
        for bad in ["X-PER", "B-", "PER", "BB-PER", "E-PER", "S-PER", "b-PER", "-PER"] {
            let src = format!("a O\nb {bad}\n");
            let e = parse_str(&src, "t", TagScheme::Iob2, 1).unwrap_err();
            assert_eq!(e.line(), Some(2), "{bad}: {e}");
            assert!(e.to_string().contains(bad), "{e}");
        }
        let e = parse_str("a O\n\nlonely\n", "t", TagScheme::Iob2, 1).unwrap_err();
        assert_eq!(e.line(), Some(3));
        assert!(e.to_string().contains("missing tag"), "{e}");
        assert!(parse_str("a O\n", "t", TagScheme::Iob2, 0).is_err());
    }

    #[test]
    fn grouping_and_texts() {
        let src = "EU NNP B-ORG\nrejects VBZ O\n\nPeter B-PER\nBlackburn I-PER\n\nBRUSSELS B-LOC\n";
        let docs = parse_str(src, "f", TagScheme::Iob2, 2).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].document.id, "f-1");
        assert_eq!(docs[0].document.text, "EU rejects\nPeter Blackburn");
        let e: Vec<_> = docs[0].entities.iter().map(|e| (e.start, e.end, e.label.as_str())).collect();
        assert_eq!(e, [(0, 2, "ORG"), (11, 26, "PER")]);
        assert_eq!(docs[1].document.text, "BRUSSELS");

        let src = "x O\n\n-DOCSTART- -X- O O\n\na O\n\nb B-LOC\n-DOCSTART- -X- O O\n-DOCSTART- -X- O O\nc O\n";
        let docs = parse_str(src, "f", TagScheme::Iob2, 1).unwrap();
        let texts: Vec<_> = docs.iter().map(|d| d.document.text.as_str()).collect();
        assert_eq!(texts, ["x", "a\nb", "c"]);
        assert_eq!(docs[1].entities[0].text, "b");
        assert!(parse_str("", "f", TagScheme::Iob2, 1).unwrap().is_empty());
    }

    #[test]
    fn writer_tags_each_scheme() {
        let text = "Sergey Lavrov met Jens Stoltenberg in NATO HQ\nBrussels again";
        let mut doc = AnnotatedDocument { document: Document::new("d", text), entities: vec![] };
        for (s, e, l) in [(0, 13, Label::PER), (18, 34, Label::PER), (38, 45, Label::ORG), (46, 54, Label::LOC)] {
            doc.entities.push(Entity::new(text, s, e, l).unwrap());
        }
        let mut out = String::new();
        write_document(&mut out, TagScheme::Bioes, &doc).unwrap();
        assert!(out.contains("Sergey B-PER\nLavrov E-PER\n"), "{out}");
        assert!(out.contains("HQ E-ORG\n\nBrussels S-LOC\n"), "{out}");
        // IOB1: B only between adjacent same-type entities.
        let text = "Ann Bob met Cid";
        let doc = AnnotatedDocument {
            document: Document::new("d", text),
            entities: vec![
                Entity::new(text, 0, 3, Label::PER).unwrap(),
                Entity::new(text, 4, 7, Label::PER).unwrap(),
                Entity::new(text, 12, 15, Label::PER).unwrap(),
            ],
        };
        let mut out = String::new();
        write_document(&mut out, TagScheme::Iob1, &doc).unwrap();
        assert!(out.ends_with("Ann I-PER\nBob B-PER\nmet O\nCid I-PER\n\n"), "{out}");
        let back = parse_str(&out, "x", TagScheme::Iob1, 1).unwrap();
        assert_eq!(back[0].entities, doc.entities);
    }

    #[test]
    fn writer_rejects_misaligned_entities() {
        let text = "NATO-led forces\nin Brussels";
        let bad = [(0, 4), (5, 15), (10, 27), (1, 4)];
        for (s, e) in bad {
            let doc =
                AnnotatedDocument { document: Document::new("d", text), entities: vec![Entity::new(text, s, e, Label::ORG).unwrap()] };
            let mut out = String::new();
            assert!(write_document(&mut out, TagScheme::Iob2, &doc).is_err(), "{s}..{e}");
        }
        let doc = AnnotatedDocument {
            document: Document::new("d", text),
            entities: vec![Entity::new(text, 0, 15, Label::ORG).unwrap(), Entity::new(text, 9, 15, Label::ORG).unwrap()],
        };
        let e = write_document(&mut String::new(), TagScheme::Iob2, &doc).unwrap_err();
        assert!(e.to_string().contains("overlaps"), "{e}");
    }
}
