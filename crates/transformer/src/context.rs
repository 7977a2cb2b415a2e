//! Document context at inference, the FLERT way (Schweter and Akbik, 2020): every sentence is
//! fed with its neighbouring sentences around it, and only its own pieces take their
//! predictions from that window.
//!
//! Without context ([`crate::infer::windows`]) a text is cut into windows of whole sentences
//! packed end to end, so a sentence sees whatever happens to share its window: the first
//! sentence of a window nothing before it, the last nothing after it, and a one-sentence
//! document (CoNLL as configured) nothing at all. With `context_sentences = N`, each sentence
//! is the centre of a window of its own holding up to `N` sentences on each side, cut to the
//! window width (the context is shared between the two sides, what one side lacks going to
//! the other, and cut at the far ends, on word boundaries); the window owns exactly the
//! centre sentence, so every piece is still decided once, by the window built around its
//! sentence. A sentence longer than a window gets no context: it is cut into the usual
//! overlapping windows.
//!
//! The cost is more computation: each sentence is run as often as it appears in windows (up
//! to `2N + 1` times, bounded by the width). Sentences are the ones [`crate::text`] finds:
//! lines, and `.`/`!`/`?` before a capital; a corpus of one sentence per document gets
//! neighbours only when its documents are grouped (the corpus option `group`).

use crate::infer::{sentence_cuts, windows, Window};
use crate::text::Encoded;

/// Windows over `encoded` (text number `text`) of at most `width` pieces: one per sentence,
/// owning that sentence, with up to `context` sentences of context on each side. Sentences
/// longer than `width` are cut into windows overlapping by `overlap` pieces, as
/// [`windows`] does, without context.
pub fn context_windows(text: usize, encoded: &Encoded, width: usize, overlap: usize, context: usize) -> Vec<Window> {
    let pieces = &encoded.pieces;
    let n = pieces.len();
    let width = width.max(2);
    // Sentence boundaries in pieces: 0, each sentence start, n.
    let mut bounds = vec![0];
    bounds.extend(sentence_cuts(encoded).into_iter().filter(|&c| c > 0 && c < n));
    bounds.push(n);
    bounds.dedup();
    let sentences = bounds.len() - 1;
    let mut out = Vec::with_capacity(sentences);
    for k in 0..sentences {
        let (start, end) = (bounds[k], bounds[k + 1]);
        if end - start > width {
            // Too long for context: the ordinary overlapping windows over this sentence alone.
            let sentence = Encoded { pieces: pieces[start..end].to_vec(), words: Vec::new(), sentence_starts: Vec::new() };
            out.extend(windows(text, &sentence, width, overlap).into_iter().map(|w| Window {
                text,
                start: w.start + start,
                end: w.end + start,
                own_start: w.own_start + start,
                own_end: w.own_end + start,
            }));
            continue;
        }
        let budget = width - (end - start);
        let left_available = start - bounds[k.saturating_sub(context)];
        let right_available = bounds[(k + 1 + context).min(sentences)] - end;
        // Half the budget each side; what one side cannot use goes to the other.
        let right = right_available.min(budget - left_available.min(budget / 2));
        let left = left_available.min(budget - right);
        // Context begins and ends on whole words.
        let mut window_start = start - left;
        while window_start < start && !pieces[window_start].first {
            window_start += 1;
        }
        let mut window_end = end + right;
        while window_end > end && window_end < n && !pieces[window_end].first {
            window_end -= 1;
        }
        out.push(Window { text, start: window_start, end: window_end, own_start: start, own_end: end });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::casing::Casing;
    use crate::text::{Piece, Word};

    /// `lengths[k]` one-piece words per sentence, except that every third word has two pieces.
    fn encoded(lengths: &[usize]) -> Encoded {
        let mut enc = Encoded::default();
        for &len in lengths {
            if !enc.words.is_empty() {
                enc.sentence_starts.push(enc.words.len());
            }
            for _ in 0..len {
                let w = enc.words.len();
                enc.words.push(Word { start: w, end: w + 1, casing: Casing::Lower });
                enc.pieces.push(Piece { id: 0, word: w, first: true });
                if w % 3 == 2 {
                    enc.pieces.push(Piece { id: 0, word: w, first: false });
                }
            }
        }
        enc
    }

    /// The pieces of each sentence, `start..end`.
    fn sentence_ranges(enc: &Encoded) -> Vec<(usize, usize)> {
        let mut bounds = vec![0];
        bounds.extend(sentence_cuts(enc));
        bounds.push(enc.pieces.len());
        bounds.windows(2).map(|b| (b[0], b[1])).collect()
    }

    #[test]
    fn each_window_owns_its_centre_sentence_and_sees_its_neighbours() {
        let enc = encoded(&[4, 5, 3, 6, 4]);
        let sentences = sentence_ranges(&enc);
        assert_eq!(sentences.len(), 5);
        // Room for everything: one sentence of context on each side, never more.
        let ws = context_windows(7, &enc, 100, 8, 1);
        assert_eq!(ws.len(), 5);
        for (k, w) in ws.iter().enumerate() {
            assert_eq!(w.text, 7);
            assert_eq!((w.own_start, w.own_end), sentences[k], "window {k} owns exactly its sentence");
            let first = sentences[k.saturating_sub(1)].0;
            let last = sentences[(k + 1).min(4)].1;
            assert_eq!((w.start, w.end), (first, last), "window {k} holds its neighbours, no more");
        }
        // No context: each window is its sentence.
        for (w, s) in context_windows(0, &enc, 100, 8, 0).iter().zip(&sentences) {
            assert_eq!((w.start, w.end), *s);
        }
        // Two sentences of context.
        let ws = context_windows(0, &enc, 100, 8, 2);
        assert_eq!((ws[2].start, ws[2].end), (0, enc.pieces.len()));
        assert_eq!((ws[0].start, ws[0].end), (0, sentences[2].1));
    }

    #[test]
    fn context_is_cut_to_the_width_on_word_boundaries_shared_between_sides() {
        let enc = encoded(&[10, 10, 4, 10, 10]);
        let sentences = sentence_ranges(&enc);
        let (start, end) = sentences[2];
        let len = end - start;
        for width in len..len + 20 {
            // (The longer sentences around it may be cut into several windows of their own.)
            let ws = context_windows(0, &enc, width, 2, 2);
            let w = *ws.iter().find(|w| w.own_start == start).unwrap();
            assert_eq!((w.own_start, w.own_end), (start, end));
            assert!(w.end - w.start <= width, "width {width}: {w:?}");
            assert!(enc.pieces[w.start].first && (w.end == enc.pieces.len() || enc.pieces[w.end].first), "whole words: {w:?}");
            // Both sides get context, within a word of each other (plenty is available).
            let (left, right) = (start - w.start, w.end - end);
            assert!(left.abs_diff(right) <= 2, "width {width}: {left} left, {right} right");
            assert!(width - (w.end - w.start) <= 2 * 2, "the budget is used up to partial words");
        }
        // At the start of the text, the right side takes the whole budget.
        let w = context_windows(0, &enc, sentences[0].1 + 6, 2, 3)[0];
        assert_eq!(w.start, 0);
        assert!(w.end >= sentences[0].1 + 5, "{w:?}");
    }

    #[test]
    fn long_sentences_fall_back_to_overlapping_windows_and_every_piece_is_owned_once() {
        for (lengths, width, context) in [
            (vec![3, 40, 2, 5], 16, 1),
            (vec![1], 8, 3),
            (vec![], 8, 1),
            (vec![20, 20, 20], 12, 2),
            (vec![5; 30], 30, 4),
            (vec![7, 1, 1, 9, 30, 2], 10, 1),
        ] {
            let enc = encoded(&lengths);
            let ws = context_windows(0, &enc, width, 3, context);
            let mut owner = vec![0; enc.pieces.len()];
            for w in &ws {
                assert!(w.start <= w.own_start && w.own_start < w.own_end && w.own_end <= w.end, "{w:?}");
                assert!(w.end - w.start <= width, "{lengths:?}: {w:?}");
                (w.own_start..w.own_end).for_each(|i| owner[i] += 1);
            }
            assert!(owner.iter().all(|&c| c == 1), "{lengths:?}: {owner:?}");
        }
    }
}
