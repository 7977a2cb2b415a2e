//! Long documents in bounded memory: a document is cut into segments of at most
//! [`SEGMENT_BYTES`], which are encoded, run and decoded one group at a time, so what a
//! document costs beyond its text and its entities is bounded by the segment size, not by
//! the document (a 50 MB document no longer holds 50 MB worth of word-pieces, windows and
//! probabilities at once).
//!
//! A cut goes, by preference, after a line break, after a sentence end (`. `, `! `, `? `),
//! after a clause break (`, `, `; `), after any whitespace, in the second half of the segment;
//! only a run of [`SEGMENT_BYTES`] / 2 bytes without whitespace is cut inside a word. Words
//! never cross whitespace, so the pieces of a segment are the pieces the whole text would
//! have; what changes is only that no window spans a cut, as none spans a sentence
//! boundary when it can avoid it.

use std::ops::Range;

/// The most text, in bytes, encoded and run at once (documents of a batch are grouped up to
/// this size; a longer document is cut). About 16,000 word-pieces of English.
pub const SEGMENT_BYTES: usize = 1 << 16;

/// The segments of `text`, at most `max_bytes` each (but at least one character), in order,
/// covering it exactly; computed lazily.
pub fn segments(text: &str, max_bytes: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let max_bytes = max_bytes.max(8);
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= text.len() {
            return None;
        }
        let end = cut(text, start, max_bytes);
        let range = start..end;
        start = end;
        Some(range)
    })
}

/// Where the segment starting at `start` ends.
fn cut(text: &str, start: usize, max_bytes: usize) -> usize {
    if text.len() - start <= max_bytes {
        return text.len();
    }
    let mut limit = start + max_bytes;
    while !text.is_char_boundary(limit) {
        limit -= 1;
    }
    let mut half = start + max_bytes / 2;
    while !text.is_char_boundary(half) {
        half -= 1;
    }
    let region = &text[half..limit];
    let after = |pattern: &[&str]| pattern.iter().filter_map(|p| region.rfind(p).map(|i| i + p.len())).max();
    let at = after(&["\n"])
        .or_else(|| after(&[". ", "! ", "? "]))
        .or_else(|| after(&[", ", "; "]))
        .or_else(|| region.char_indices().rev().find(|(_, c)| c.is_whitespace()).map(|(i, c)| i + c.len_utf8()));
    match at {
        Some(i) if half + i > start => half + i,
        // No whitespace in half a segment: cut inside the run, on a character boundary.
        _ => {
            if limit > start {
                limit
            } else {
                start + text[start..].chars().next().map_or(1, char::len_utf8)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, max: usize) -> Vec<Range<usize>> {
        let segs: Vec<Range<usize>> = segments(text, max).collect();
        let mut at = 0;
        for s in &segs {
            assert_eq!(s.start, at, "contiguous");
            assert!(s.end > s.start && (s.end - s.start <= max.max(8) || text[s.clone()].chars().count() == 1), "{s:?}");
            assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
            at = s.end;
        }
        assert_eq!(at, text.len(), "covers the text");
        segs
    }

    #[test]
    fn segments_cover_the_text_and_prefer_line_then_sentence_then_word_breaks() {
        assert!(check("", 10).is_empty());
        assert_eq!(check("short", 100).len(), 1);
        let text = "one two. three four\nfive six, seven eight";
        let pieces: Vec<&str> = check(text, 24).into_iter().map(|r| &text[r]).collect();
        assert_eq!(pieces, ["one two. three four\n", "five six, seven eight"]);
        let pieces: Vec<&str> = check("aaaa bbbb. cccc dddd", 14).into_iter().map(|r| &"aaaa bbbb. cccc dddd"[r]).collect();
        assert_eq!(pieces, ["aaaa bbbb. ", "cccc dddd"]);
        let pieces: Vec<&str> = check("aaaa bbbb, cccc dddd eeee", 16).into_iter().map(|r| &"aaaa bbbb, cccc dddd eeee"[r]).collect();
        assert_eq!(pieces[0], "aaaa bbbb, ");
        // No whitespace: cut on character boundaries.
        check(&"é".repeat(100), 9);
        check(&"x".repeat(1000), 64);
        check(&"Sergey Lavrov told NATO in Brussels on Monday, ".repeat(100), 300);
    }
}
