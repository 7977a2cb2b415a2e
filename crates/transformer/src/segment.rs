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

/// The segments of `texts` (a batch's documents, in order) gathered into groups of at most
/// `max_bytes` of text, each segment as `(document index, byte range)`: what is encoded, run
/// and decoded at once.
///
/// Lazy: a group is cut only when the one before has been taken, reading at most one
/// document beyond it, so a caller that runs each group before asking for the next holds
/// one group's word-pieces, windows and probabilities at a time, however long the documents.
pub fn groups<'a>(
    texts: impl IntoIterator<Item = &'a str> + 'a,
    max_bytes: usize,
) -> impl Iterator<Item = Vec<(usize, Range<usize>)>> + 'a {
    let mut pending =
        texts.into_iter().enumerate().flat_map(move |(d, text)| segments(text, max_bytes).map(move |range| (d, range))).peekable();
    std::iter::from_fn(move || {
        let mut group = Vec::new();
        let mut bytes = 0;
        while let Some((_, range)) = pending.peek() {
            if !group.is_empty() && bytes + range.len() > max_bytes {
                break;
            }
            bytes += range.len();
            group.extend(pending.next());
        }
        (!group.is_empty()).then_some(group)
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
    fn groups_hold_at_most_max_bytes_and_cover_every_document_in_order() {
        let long = "Sergey Lavrov told NATO in Brussels on Monday. ".repeat(400); // 19,200 bytes
        let texts = ["", "short one", long.as_str(), "", "x", long.as_str(), "tail text"];
        let max = 4096;
        let mut covered: Vec<String> = vec![String::new(); texts.len()];
        let mut count = 0;
        for group in groups(texts, max) {
            let bytes: usize = group.iter().map(|(_, r)| r.len()).sum();
            assert!(!group.is_empty() && bytes <= max, "a group of {bytes} bytes");
            for (d, range) in group {
                assert_eq!(range.start, covered[d].len(), "document {d}'s segments in order, none skipped");
                covered[d].push_str(&texts[d][range]);
            }
            count += 1;
        }
        assert_eq!(covered, texts, "every byte of every document once");
        // Small documents share a group; the long ones take ~5 groups each.
        assert!((10..=14).contains(&count), "{count} groups");
    }

    #[test]
    fn groups_are_cut_lazily_one_at_a_time() {
        // 10,000 documents of 1 KiB: the first group (4 documents) must not read them all.
        let doc = "word ".repeat(205);
        let read = std::cell::Cell::new(0);
        let texts = (0..10_000).map(|_| {
            read.set(read.get() + 1);
            doc.as_str()
        });
        let mut all = groups(texts, 4096);
        assert_eq!(all.next().unwrap().len(), 3);
        assert!(read.get() <= 4, "the first group read {} documents", read.get());
        assert_eq!(all.next().unwrap().len(), 3);
        assert!(read.get() <= 7, "two groups read {} documents", read.get());
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
