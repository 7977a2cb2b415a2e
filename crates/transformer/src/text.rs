//! From original text to word-pieces with exact byte offsets, words and casing classes.
//!
//! The same function feeds training and inference, so the model sees exactly the pipeline it
//! will be served with: the whole text goes through the `tokenizers` pipeline of
//! `tokenizer.json` (BERT normaliser: lower-casing, accent stripping; BERT pre-tokeniser:
//! whitespace and punctuation splits), whose offsets point into the **original** bytes even
//! where normalisation changed them (`Grushkó` becomes `grushko`, offsets still cover the
//! two-byte `ó`). A "word" is one pre-tokeniser word; its span is the union of its pieces'
//! offsets, and its casing class is computed on the original text of that span.

use std::path::Path;

use nerlab_core::{Error, ErrorKind, Result};
use tokenizers::Tokenizer;

use crate::casing::Casing;

/// One word-piece of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// Vocabulary id.
    pub id: i64,
    /// Index of the word (into [`Encoded::words`]) the piece belongs to.
    pub word: usize,
    /// Whether this is the word's first piece, the one whose label is the word's label.
    pub first: bool,
}

/// A word: a span of the original text and its casing class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word {
    /// Byte offset of the first byte in the original text.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// Casing class of `text[start..end]`, fed to the model as the token type.
    pub casing: Casing,
}

/// A text as the model sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Encoded {
    /// Word-pieces in order, without the special tokens.
    pub pieces: Vec<Piece>,
    /// Words in order.
    pub words: Vec<Word>,
    /// The words (indices into `words`, ascending) that begin a sentence, the first word
    /// aside: where the extractor prefers to cut a long text into windows.
    pub sentence_starts: Vec<usize>,
}

/// The tokenizer and the ids of the special tokens the model input needs.
pub struct TextEncoder {
    tokenizer: Tokenizer,
    /// `[CLS]`, prepended to every window.
    pub cls: i64,
    /// `[SEP]`, appended to every window.
    pub sep: i64,
    /// `[PAD]`, filling batches to one length.
    pub pad: i64,
}

impl TextEncoder {
    /// Loads `tokenizer.json`, dropping any truncation and padding it was saved with (windows
    /// are cut by the extractor, batches padded by it).
    ///
    /// # Errors
    /// [`ErrorKind::Load`] naming the file when it is missing, malformed, or lacks a special token.
    pub fn from_file(path: &Path) -> Result<TextEncoder> {
        if !path.is_file() {
            return Err(Error::new(ErrorKind::Load, "tokenizer file not found").with_path(path));
        }
        let mut tokenizer =
            Tokenizer::from_file(path).map_err(|e| Error::new(ErrorKind::Load, format!("cannot read tokenizer: {e}")).with_path(path))?;
        tokenizer
            .with_truncation(None)
            .map_err(|e| Error::new(ErrorKind::Load, format!("cannot disable truncation: {e}")).with_path(path))?;
        tokenizer.with_padding(None);
        let special = |token: &str| {
            tokenizer
                .token_to_id(token)
                .map(i64::from)
                .ok_or_else(|| Error::new(ErrorKind::Load, format!("the vocabulary has no {token} token")).with_path(path))
        };
        let (cls, sep, pad) = (special("[CLS]")?, special("[SEP]")?, special("[PAD]")?);
        Ok(TextEncoder { tokenizer, cls, sep, pad })
    }

    /// Splits `text` into words and word-pieces with byte offsets into `text`.
    ///
    /// # Errors
    /// When the tokenizer fails (it does not on valid UTF-8 in practice).
    pub fn encode(&self, text: &str) -> Result<Encoded> {
        let encoding = self.tokenizer.encode(text, false).map_err(|e| Error::extraction(format!("tokenizer failed: {e}")))?;
        let mut out = Encoded::default();
        let mut last_word: Option<u32> = None;
        for ((&id, &(start, end)), &word_id) in encoding.get_ids().iter().zip(encoding.get_offsets()).zip(encoding.get_word_ids()) {
            // Offsets come from the tokenizer's alignments; anything not a proper span of the
            // original text (never seen, but cheap to rule out) is dropped rather than trusted.
            if start >= end || end > text.len() || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
                continue;
            }
            let first = word_id.is_none() || word_id != last_word || out.words.is_empty();
            if first {
                out.words.push(Word { start, end, casing: Casing::Lower });
            } else if let Some(w) = out.words.last_mut() {
                w.start = w.start.min(start);
                w.end = w.end.max(end);
            }
            last_word = word_id;
            out.pieces.push(Piece { id: i64::from(id), word: out.words.len() - 1, first });
        }
        for w in &mut out.words {
            w.casing = Casing::of(&text[w.start..w.end]);
        }
        out.sentence_starts = sentence_starts(text, &out.words);
        Ok(out)
    }
}

/// Abbreviations whose period does not end a sentence (lower-cased, without the period).
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "maj", "capt", "sgt", "adm", "gov", "sen", "rep", "rev", "st", "jr", "sr", "inc",
    "corp", "co", "ltd", "no", "vs", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mt", "ft",
];

/// The words that begin a sentence (the first word aside): after a line break, or after a
/// `.`, `!`, `?` or `…` (closing quotes and brackets in between) and a space, when the word
/// begins with a capital, a digit or an opening quote or bracket, and the period does not
/// end an initial (`E.`) or a known abbreviation (`Mr.`). Errors only cost a window cut in a
/// worse place.
pub fn sentence_starts(text: &str, words: &[Word]) -> Vec<usize> {
    let word = |k: usize| &text[words[k].start..words[k].end];
    let mut out = Vec::new();
    for k in 1..words.len() {
        let gap = &text[words[k - 1].end..words[k].start];
        if gap.contains('\n') {
            out.push(k);
            continue;
        }
        // `5.5`, `U.S.-led`: no space, no sentence end.
        if gap.is_empty() {
            continue;
        }
        let opens = word(k)
            .chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c.is_numeric() || matches!(c, '"' | '\'' | '“' | '‘' | '«' | '(' | '['));
        if !opens {
            continue;
        }
        let mut end = k - 1;
        while end > 0 && matches!(word(end), "\"" | "'" | "”" | "’" | "»" | ")" | "]") {
            end -= 1;
        }
        let ends = match word(end) {
            "!" | "?" | "…" => true,
            "." => {
                end == 0 || {
                    let before = word(end - 1);
                    let initial = before.chars().count() == 1 && before.chars().all(char::is_alphabetic);
                    let adjacent = words[end - 1].end == words[end].start;
                    !(adjacent && (initial || ABBREVIATIONS.iter().any(|a| a.eq_ignore_ascii_case(before))))
                }
            }
            _ => false,
        };
        if ends {
            out.push(k);
        }
    }
    out
}
