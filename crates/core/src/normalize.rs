//! Text normalisation with an offset map back to the original text.
//!
//! Real news text carries artefacts of its layout: words hyphenated at a line break
//! (`Brus-\nsels`), hyphens left inside words by a broken de-hyphenation step (`NA-TO`,
//! `announ-ced`, `R-ussian`), and typographic quotes that patterns written with ASCII quotes
//! miss. [`Normalizer::normalize`] repairs these and returns a [`Normalized`] text together
//! with an exact map of its byte offsets back onto the original, so an extractor can run on
//! the clean text and still report spans of the original characters (the span invariant of
//! [`crate::Entity`]): the repaired `NATO` maps back to the five original bytes `NA-TO`.
//!
//! # What is changed
//!
//! - **Quotes**: `‘ ’ ‚ ‛` become `'` and `“ ” „ ‟` become `"` (three bytes to one).
//! - **Hyphenation**: a hyphen between two letter runs, optionally followed by a line break
//!   (`x-y`, `x-\ny`, `x-\r\ny`), is removed when
//!   1. the joined word is in the [`Lexicon`] (`announced`, `Russian`, `NATO`), or
//!   2. neither part is, and the split looks accidental: the right part starts in lower case
//!      (`impossib-ility`) or both parts are all capitals.
//!
//!   Everything else stays: real compounds have known parts (`long-term`,
//!   `Russian-speaking`, `NATO-Russia`) or a capitalised second part (`Jean-Pierre`). Chains
//!   (`two-decade-old`) and hyphens touching digits (`F-16`, `3D-printed`) are never joined.
//!   Without a lexicon no hyphen is removed, since "known" cannot be decided.
//!
//! # The offset map
//!
//! The normalised text is a sequence of pieces, each either *copied* from the original
//! (same bytes, so offsets inside it shift by a constant) or an *atomic replacement* (a quote,
//! or a removed hyphen whose normalised side is empty). Only the piece boundaries are stored,
//! so a text without artefacts costs one piece, and a lookup is a binary search.
//! [`Normalized::to_original`] maps a start offset to the first original byte of its piece
//! position and an end offset to the end of the last normalised character's source, so removed
//! characters are inside a mapped span only when the span covers both of their neighbours.

use std::collections::HashSet;
use std::path::Path;

use crate::{Error, Result};

/// A set of known words, compared case-insensitively.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    words: HashSet<String>,
}

impl Lexicon {
    /// A lexicon of `words` (lower-cased on the way in).
    pub fn new<I, S>(words: I) -> Lexicon
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Lexicon { words: words.into_iter().map(|w| w.as_ref().trim().to_lowercase()).filter(|w| !w.is_empty()).collect() }
    }

    /// Reads a word list: one word per line; blank lines and lines starting with `#` are skipped.
    ///
    /// # Errors
    /// When the file cannot be read or is not UTF-8 (naming the file), or a line holds more
    /// than one word (naming file and line).
    pub fn from_file(path: &Path) -> Result<Lexicon> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut words = HashSet::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.chars().any(char::is_whitespace) {
                return Err(Error::format(format!("expected one word per line, got {line:?}")).with_path(path).with_line(i + 1));
            }
            words.insert(line.to_lowercase());
        }
        Ok(Lexicon { words })
    }

    /// Whether `word` is known, ignoring case.
    pub fn contains(&self, word: &str) -> bool {
        if word.bytes().any(|b| b.is_ascii_uppercase()) || !word.is_ascii() {
            self.words.contains(&word.to_lowercase())
        } else {
            self.words.contains(word)
        }
    }

    /// The number of words.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether there are no words.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

/// Repairs hyphenation artefacts and straightens quotes; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct Normalizer {
    lexicon: Option<Lexicon>,
    quotes: bool,
}

impl Default for Normalizer {
    /// Quotes only: hyphen repair needs a lexicon.
    fn default() -> Normalizer {
        Normalizer { lexicon: None, quotes: true }
    }
}

impl Normalizer {
    /// A normaliser that straightens quotes and repairs hyphenation using `lexicon`.
    pub fn new(lexicon: Lexicon) -> Normalizer {
        Normalizer { lexicon: Some(lexicon), quotes: true }
    }

    /// Turns quote straightening on or off (on by default).
    pub fn with_quotes(mut self, quotes: bool) -> Normalizer {
        self.quotes = quotes;
        self
    }

    /// Normalises `text`.
    pub fn normalize(&self, text: &str) -> Normalized {
        let bytes = text.as_bytes();
        let mut out = Normalized { text: String::with_capacity(text.len()), pieces: Vec::new(), original_len: text.len() };
        // Start of the original bytes not yet copied into `out`.
        let mut copied = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'-' && self.lexicon.is_some() {
                if let Some(after) = self.removable_hyphen(text, i) {
                    out.copy(text, copied, i);
                    out.replace(i, after, "");
                    copied = after;
                    i = after;
                    continue;
                }
            } else if b == 0xE2 && self.quotes {
                // U+2018..U+201F are E2 80 98..9F in UTF-8.
                if let Some(q) = straight_quote(bytes, i) {
                    out.copy(text, copied, i);
                    out.replace(i, i + 3, q);
                    copied = i + 3;
                    i += 3;
                    continue;
                }
            }
            i += 1;
        }
        out.copy(text, copied, text.len());
        out.pieces.push(Piece { norm: out.text.len(), orig: text.len(), copy: true });
        out
    }

    /// When the hyphen at byte `i` of `text` is an artefact to remove, the end of what to
    /// remove (the hyphen and any line break after it).
    fn removable_hyphen(&self, text: &str, i: usize) -> Option<usize> {
        let lexicon = self.lexicon.as_ref()?;
        let before = &text[..i];
        let left_start = before.char_indices().rev().take_while(|(_, c)| c.is_alphabetic()).last().map(|(p, _)| p)?;
        let left = &text[left_start..i];
        // A chain (`two-decade-old`) or a digit before (`3D-printed`): a real compound.
        if before[..left_start].chars().next_back().is_some_and(|c| c == '-' || c.is_alphanumeric()) {
            return None;
        }
        let rest = &text[i + 1..];
        let skip = if rest.starts_with("\r\n") {
            2
        } else if rest.starts_with('\n') {
            1
        } else {
            0
        };
        let right_start = i + 1 + skip;
        let right_len: usize = text[right_start..].chars().take_while(|c| c.is_alphabetic()).map(char::len_utf8).sum();
        if right_len == 0 {
            return None;
        }
        let right = &text[right_start..right_start + right_len];
        if text[right_start + right_len..].chars().next().is_some_and(|c| c == '-' || c.is_alphanumeric()) {
            return None;
        }
        let joined = format!("{left}{right}");
        let join = if lexicon.contains(&joined) {
            true
        } else if !lexicon.contains(left) && !lexicon.contains(right) {
            let lower_start = right.chars().next().is_some_and(char::is_lowercase);
            let all_caps = |s: &str| s.chars().all(char::is_uppercase);
            lower_start || (all_caps(left) && all_caps(right))
        } else {
            false
        };
        join.then_some(right_start)
    }
}

fn straight_quote(bytes: &[u8], i: usize) -> Option<&'static str> {
    if bytes.get(i + 1) != Some(&0x80) {
        return None;
    }
    match bytes.get(i + 2)? {
        0x98..=0x9B => Some("'"),
        0x9C..=0x9F => Some("\""),
        _ => None,
    }
}

/// One stretch of the normalised text and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    /// Byte offset in the normalised text.
    norm: usize,
    /// Byte offset in the original text.
    orig: usize,
    /// Copied verbatim (offsets inside shift by a constant) rather than replaced as a whole.
    copy: bool,
}

/// A normalised text and the map of its offsets back onto the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    /// The normalised text; run extractors on it.
    pub text: String,
    /// Piece starts, sorted by both offsets, ending with a sentinel at both texts' ends.
    pieces: Vec<Piece>,
    original_len: usize,
}

impl Normalized {
    fn copy(&mut self, text: &str, from: usize, to: usize) {
        if from < to {
            self.pieces.push(Piece { norm: self.text.len(), orig: from, copy: true });
            self.text.push_str(&text[from..to]);
        }
    }

    fn replace(&mut self, from: usize, to: usize, with: &str) {
        // `to` is implied: the next piece starts there.
        debug_assert!(from < to);
        self.pieces.push(Piece { norm: self.text.len(), orig: from, copy: false });
        self.text.push_str(with);
    }

    /// Whether the text was left unchanged.
    pub fn is_identity(&self) -> bool {
        self.pieces.iter().all(|p| p.copy)
    }

    /// Maps the span `start..end` of [`Normalized::text`] to the span of the original text it
    /// was made from.
    ///
    /// Offsets on character boundaries of the normalised text map to character boundaries of
    /// the original; an offset inside a replaced character widens to the whole replacement.
    /// Offsets past the end are clamped. The result never has `end < start`.
    pub fn to_original(&self, start: usize, end: usize) -> (usize, usize) {
        let s = self.map_start(start);
        let e = self.map_end(end);
        (s, e.max(s))
    }

    fn map_start(&self, start: usize) -> usize {
        if start >= self.text.len() {
            return self.original_len;
        }
        // The last piece starting at or before `start`; removals (empty pieces) are skipped
        // because the piece after them starts at the same normalised offset.
        let i = self.pieces.partition_point(|p| p.norm <= start) - 1;
        let p = self.pieces[i];
        if p.copy {
            p.orig + (start - p.norm)
        } else {
            p.orig
        }
    }

    fn map_end(&self, end: usize) -> usize {
        if end == 0 {
            return 0;
        }
        let end = end.min(self.text.len());
        if end == 0 {
            return 0;
        }
        // The last piece starting before `end`: the one holding the span's last byte.
        let i = self.pieces.partition_point(|p| p.norm < end) - 1;
        let p = self.pieces[i];
        if p.copy {
            p.orig + (end - p.norm)
        } else {
            self.pieces[i + 1].orig
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lexicon() -> Lexicon {
        // A stand-in for the full English list: enough to decide the cases below.
        Lexicon::new([
            "nato",
            "to",
            "na",
            "announced",
            "russian",
            "russia",
            "long",
            "term",
            "speaking",
            "brussels",
            "said",
            "the",
            "buildup",
            "build",
            "up",
            "future",
            "r",
        ])
    }

    /// Normalises `text` and maps the whole normalised `word` back to the original.
    fn back(text: &str, word: &str) -> String {
        let n = Normalizer::new(lexicon()).normalize(text);
        let start = n.text.find(word).unwrap_or_else(|| panic!("{word:?} not in {:?}", n.text));
        let (s, e) = n.to_original(start, start + word.len());
        text[s..e].to_string()
    }

    #[test]
    fn table_of_cases() {
        // (original, normalised)
        let cases = [
            ("NA-TO said", "NATO said"),
            ("NA-TO’s “unfriendly actions”", "NATO's \"unfriendly actions\""),
            ("we announ-ced such steps", "we announced such steps"),
            ("the R-ussian side", "the Russian side"),
            ("Brus-\nsels", "Brussels"),
            ("Brus-\r\nsels", "Brussels"),
            ("foreseeable futu-re,", "foreseeable future,"),
            ("impossib-ility", "impossibility"),
            // Real compounds stay.
            ("long-term", "long-term"),
            ("Russian-speaking", "Russian-speaking"),
            ("the NATO-Russia Council", "the NATO-Russia Council"),
            ("Jean-Pierre", "Jean-Pierre"),
            ("two-decade-old", "two-decade-old"),
            ("F-16 and 3D-printed", "F-16 and 3D-printed"),
            ("-- - x- -y", "-- - x- -y"),
            ("build-up", "buildup"),
            // Not letters on both sides, or a space before the line break.
            ("Brus- \nsels", "Brus- \nsels"),
            ("‘a’ ‚b‛ „c‟", "'a' 'b' \"c\""),
            ("— – … «»", "— – … «»"),
        ];
        let normalizer = Normalizer::new(lexicon());
        for (original, expected) in cases {
            assert_eq!(normalizer.normalize(original).text, expected, "normalising {original:?}");
        }
    }

    #[test]
    fn repaired_words_map_back_to_their_artefacts() {
        assert_eq!(back("In connection with NA-TO’s actions", "NATO"), "NA-TO");
        assert_eq!(back("In connection with NA-TO’s actions", "NATO's"), "NA-TO’s");
        assert_eq!(back("the R-ussian Foreign Ministry", "Russian Foreign"), "R-ussian Foreign");
        assert_eq!(back("in Brus-\nsels.", "Brussels"), "Brus-\nsels");
        assert_eq!(back("“After NATO,” he said", "\"After"), "“After");
        assert_eq!(back("“After NATO,” he said", "NATO,\""), "NATO,”");
        // Parts of a repaired word map to their own parts, never to the removed hyphen.
        assert_eq!(back("NA-TO", "NA"), "NA");
        assert_eq!(back("NA-TO", "TO"), "TO");
    }

    #[test]
    fn without_lexicon_only_quotes_change() {
        let n = Normalizer::default().normalize("NA-TO’s announ-ced");
        assert_eq!(n.text, "NA-TO's announ-ced");
        assert!(!n.is_identity());
        let n = Normalizer::default().with_quotes(false).normalize("NA-TO’s");
        assert_eq!(n.text, "NA-TO’s");
        assert!(n.is_identity());
    }

    #[test]
    fn untouched_text_maps_identically() {
        let text = "Grushkó met Stoltenberg in Brussels on October 18, 2021.";
        let n = Normalizer::new(lexicon()).normalize(text);
        assert!(n.is_identity());
        assert_eq!(n.text, text);
        for (s, _) in text.char_indices() {
            assert_eq!(n.to_original(s, text.len()), (s, text.len()));
        }
        assert_eq!(Normalizer::new(lexicon()).normalize("").to_original(0, 0), (0, 0));
    }

    #[test]
    fn out_of_range_offsets_are_clamped() {
        let n = Normalizer::new(lexicon()).normalize("NA-TO’s");
        assert_eq!(n.to_original(0, 999), (0, "NA-TO’s".len()));
        assert_eq!(n.to_original(999, 999), ("NA-TO’s".len(), "NA-TO’s".len()));
    }

    #[test]
    fn lexicon_file_errors_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("words.txt");
        std::fs::write(&path, "# comment\nNATO\n\ntwo words\n").unwrap();
        let err = Lexicon::from_file(&path).unwrap_err();
        assert_eq!(err.line(), Some(4));
        assert_eq!(err.path(), Some(path.as_path()));
        std::fs::write(&path, "# comment\nNATO\n\nRussian\n").unwrap();
        let lexicon = Lexicon::from_file(&path).unwrap();
        assert_eq!(lexicon.len(), 2);
        assert!(lexicon.contains("nato") && lexicon.contains("RUSSIAN"));
        assert!(Lexicon::from_file(&dir.path().join("missing.txt")).is_err());
    }

    /// What a piece of text looks like with every possible change applied and every removable
    /// character dropped: a normalised span and its original must agree on it.
    fn skeleton(s: &str) -> String {
        s.chars()
            .filter(|c| !matches!(c, '-' | '\n' | '\r'))
            .map(|c| match c {
                '‘' | '’' | '‚' | '‛' => '\'',
                '“' | '”' | '„' | '‟' => '"',
                c => c,
            })
            .collect()
    }

    fn artefact_text() -> impl Strategy<Value = String> {
        let atoms = prop::sample::select(vec![
            "NA",
            "TO",
            "na",
            "to",
            "R",
            "ussian",
            "announ",
            "ced",
            "long",
            "term",
            "Brus",
            "sels",
            "x",
            "ó",
            "Ñu",
            "北京",
            "-",
            "-",
            "-\n",
            "-\r\n",
            " ",
            " ",
            "\n",
            "’",
            "“",
            "”",
            "‘",
            "„",
            "'",
            "\"",
            "1",
            "é\u{301}",
            "—",
        ]);
        prop::collection::vec(atoms, 0..40).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn mapped_spans_are_exact_sources(text in artefact_text(), a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>()) {
            let n = Normalizer::new(lexicon()).normalize(&text);
            let bounds: Vec<usize> = n.text.char_indices().map(|(i, _)| i).chain([n.text.len()]).collect();
            let (mut s, mut e) = (bounds[a.index(bounds.len())], bounds[b.index(bounds.len())]);
            if s > e {
                std::mem::swap(&mut s, &mut e);
            }
            let (os, oe) = n.to_original(s, e);
            prop_assert!(os <= oe && oe <= text.len());
            prop_assert!(text.is_char_boundary(os) && text.is_char_boundary(oe));
            // The original span is the source of the normalised one: same text up to the
            // documented changes.
            prop_assert_eq!(skeleton(&text[os..oe]), skeleton(&n.text[s..e]));
            // Nothing removed leaks onto a span's edges: they are the normalised span's own
            // first and last characters (quotes folded).
            if s < e {
                let fold = |c: Option<char>| c.map(|c| skeleton(&c.to_string()).chars().next().unwrap_or(c));
                prop_assert_eq!(fold(text[os..oe].chars().next()), n.text[s..e].chars().next());
                prop_assert_eq!(fold(text[os..oe].chars().next_back()), n.text[s..e].chars().next_back());
            }
            // The whole text maps to the whole text, and the map is monotone.
            prop_assert_eq!(n.to_original(0, n.text.len()), (0, text.len()));
            prop_assert!(n.to_original(0, s).1 <= os);
        }

        #[test]
        fn texts_without_artefacts_are_unchanged(text in "[a-zA-Z0-9 ,.óñ北]{0,60}") {
            let n = Normalizer::new(lexicon()).normalize(&text);
            prop_assert_eq!(&n.text, &text);
            prop_assert!(n.is_identity());
        }
    }
}
