//! Running the network over encoded texts: windows for long texts, batches by length, and
//! merging overlapping windows back into one distribution per piece.
//!
//! A text longer than a window (at most 512 positions with `[CLS]` and `[SEP]`) is cut into
//! windows of whole sentences where it can be (no overlap needed, nothing computed twice);
//! a sentence longer than a window is cut into windows that overlap by `overlap` pieces, a
//! window after the first starting at a word's first piece so the word is seen whole. Each
//! piece takes its prediction from exactly one window, the one in whose half of the overlap
//! it lies, i.e. the one where it has the most context on both sides. Merging happens per
//! piece, before words and entities are built, so an entity crossing a seam is decoded once
//! and whole: no duplicates, no cut entities.

use nerlab_core::Result;

use crate::backend::{softmax_rows, Backend, Batch};
use crate::text::{Encoded, TextEncoder};

/// A window over one text's pieces: `start..end` is fed to the model, `own_start..own_end`
/// (inside it) is what this window decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Index of the text.
    pub text: usize,
    /// First piece fed.
    pub start: usize,
    /// One past the last piece fed.
    pub end: usize,
    /// First piece this window decides.
    pub own_start: usize,
    /// One past the last piece this window decides.
    pub own_end: usize,
}

/// Cuts `encoded` (text number `text`) into windows of at most `width` pieces.
///
/// A window ends, when it can, where a sentence begins (the last such place that fits), and
/// the next window starts there: sentences are what the model was trained on, and windows
/// that meet at a sentence boundary need no overlap, so no piece is computed twice. Only a
/// sentence longer than a window is cut inside, into windows overlapping by `overlap` pieces
/// (clamped below `width / 2` so that windows always advance) that start on a word.
pub fn windows(text: usize, encoded: &Encoded, width: usize, overlap: usize) -> Vec<Window> {
    let n = encoded.pieces.len();
    let width = width.max(2);
    let overlap = overlap.min(width / 2);
    let cuts = sentence_cuts(encoded);
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    while start < n {
        let limit = start + width;
        if n <= limit {
            spans.push((start, n));
            break;
        }
        let fitting = cuts.partition_point(|&c| c <= limit);
        if fitting > 0 && cuts[fitting - 1] > start {
            spans.push((start, cuts[fitting - 1]));
            start = cuts[fitting - 1];
            continue;
        }
        // A sentence longer than a window.
        let end = limit;
        spans.push((start, end));
        let mut next = end - overlap;
        // Back up to the first piece of the word, unless that would not advance.
        let mut s = next;
        while s > 0 && !encoded.pieces[s].first {
            s -= 1;
        }
        if s > start + width / 2 {
            next = s;
        }
        start = next;
    }
    let mut out = Vec::with_capacity(spans.len());
    for (k, &(start, end)) in spans.iter().enumerate() {
        let own_start = if k == 0 { start } else { (start + spans[k - 1].1) / 2 };
        let own_end = spans.get(k + 1).map_or(end, |next| (next.0 + end) / 2);
        out.push(Window { text, start, end, own_start, own_end });
    }
    out
}

/// The first pieces of the words that begin sentences (the first sentence aside), ascending.
pub fn sentence_cuts(encoded: &Encoded) -> Vec<usize> {
    let mut sentence_words = encoded.sentence_starts.iter().peekable();
    let mut cuts = Vec::with_capacity(encoded.sentence_starts.len());
    for (i, piece) in encoded.pieces.iter().enumerate() {
        while sentence_words.next_if(|&&w| w < piece.word).is_some() {}
        if piece.first && sentence_words.peek() == Some(&&piece.word) {
            cuts.push(i);
        }
    }
    cuts
}

/// Per-piece label probabilities (`pieces × tags`, row-major) for each of `texts`, over the
/// windows of [`windows`] (`max_length` counts `[CLS]` and `[SEP]`).
///
/// # Errors
/// When the backend fails (reported, not panicked).
pub fn predict(
    net: &dyn Backend,
    encoder: &TextEncoder,
    texts: &[&Encoded],
    max_length: usize,
    overlap: usize,
    batch_size: usize,
    batch_positions: usize,
) -> Result<Vec<Vec<f32>>> {
    let all = texts.iter().enumerate().flat_map(|(i, e)| windows(i, e, max_length.saturating_sub(2), overlap)).collect();
    predict_windows(net, encoder, texts, all, batch_size, batch_positions)
}

/// Per-piece label probabilities (`pieces × tags`, row-major) for each of `texts`, each piece
/// taken from the one window of `all` that owns it (pieces no window owns stay 0).
///
/// Windows of all texts are sorted by length and run in batches of at most `batch_size`
/// windows and `batch_positions` padded positions (but at least one window), so padding is
/// small and a batch of short sentences is as large as one of long windows; each window is fed
/// with `[CLS]` and `[SEP]` around it. The same for every [`Backend`]: only the logits of a
/// padded batch come from it.
///
/// # Errors
/// When the backend fails (reported, not panicked).
pub fn predict_windows(
    net: &dyn Backend,
    encoder: &TextEncoder,
    texts: &[&Encoded],
    mut all: Vec<Window>,
    batch_size: usize,
    batch_positions: usize,
) -> Result<Vec<Vec<f32>>> {
    let num_tags = net.num_tags();
    let mut probs: Vec<Vec<f32>> = texts.iter().map(|e| vec![0f32; e.pieces.len() * num_tags]).collect();
    all.retain(|w| w.end > w.start);
    all.sort_by_key(|w| (w.end - w.start, w.text, w.start));
    let mut rest = all.as_slice();
    while !rest.is_empty() {
        // Sorted by length: the last window of a batch is its longest.
        let mut count = 1;
        while count < rest.len() && count < batch_size && (count + 1) * (rest[count].end - rest[count].start + 2) <= batch_positions {
            count += 1;
        }
        let (batch, tail) = rest.split_at(count);
        rest = tail;
        let len = batch.iter().map(|w| w.end - w.start).max().unwrap_or(0) + 2;
        let b = batch.len();
        let mut ids = vec![encoder.pad; b * len];
        let mut types = vec![0i64; b * len];
        let mut mask = vec![0i64; b * len];
        for (r, w) in batch.iter().enumerate() {
            let enc = texts[w.text];
            let row = r * len;
            ids[row] = encoder.cls;
            mask[row] = 1;
            for (j, piece) in enc.pieces[w.start..w.end].iter().enumerate() {
                ids[row + 1 + j] = piece.id;
                types[row + 1 + j] = enc.words[piece.word].casing.id();
                mask[row + 1 + j] = 1;
            }
            let sep = row + 1 + (w.end - w.start);
            ids[sep] = encoder.sep;
            mask[sep] = 1;
        }
        let mut out = net.logits(&Batch { ids: &ids, types: &types, mask: &mask, rows: b, len })?;
        softmax_rows(&mut out, num_tags);
        for (r, w) in batch.iter().enumerate() {
            for i in w.own_start..w.own_end {
                let src = (r * len + 1 + (i - w.start)) * num_tags;
                probs[w.text][i * num_tags..(i + 1) * num_tags].copy_from_slice(&out[src..src + num_tags]);
            }
        }
    }
    Ok(probs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::casing::Casing;
    use crate::text::{Piece, Word};

    fn encoded(n: usize, word_len: usize) -> Encoded {
        let pieces = (0..n).map(|i| Piece { id: 0, word: i / word_len, first: i % word_len == 0 }).collect();
        let words = (0..n.div_ceil(word_len)).map(|w| Word { start: w, end: w + 1, casing: Casing::Lower }).collect();
        Encoded { pieces, words, sentence_starts: Vec::new() }
    }

    #[test]
    fn windows_end_where_sentences_begin_and_overlap_only_inside_long_sentences() {
        // 100 one-piece words; sentences begin at words 10, 20, ..., 90, except that words
        // 30-69 are one long sentence.
        let mut enc = encoded(100, 1);
        enc.sentence_starts = vec![10, 20, 30, 70, 80, 90];
        let ws = windows(0, &enc, 25, 4);
        let spans: Vec<(usize, usize)> = ws.iter().map(|w| (w.start, w.end)).collect();
        // 0-20 and 20-30 end at sentence starts; 30-55 and 51-70 cut the long sentence with
        // an overlap of 4; 70-90 and 90-100 again at sentence starts.
        assert_eq!(spans, [(0, 20), (20, 30), (30, 55), (51, 70), (70, 90), (90, 100)]);
        let owned: Vec<(usize, usize)> = ws.iter().map(|w| (w.own_start, w.own_end)).collect();
        assert_eq!(owned, [(0, 20), (20, 30), (30, 53), (53, 70), (70, 90), (90, 100)]);
        // A sentence start inside a multi-piece word's pieces counts at its first piece only.
        let mut enc = encoded(30, 3);
        enc.sentence_starts = vec![4];
        assert_eq!(windows(0, &enc, 20, 2).iter().map(|w| (w.start, w.end)).collect::<Vec<_>>(), [(0, 12), (12, 30)]);
    }

    #[test]
    fn windows_cover_every_piece_once_and_start_on_words() {
        for (n, width, overlap, word_len, sentence_every) in [
            (0, 10, 2, 1, 0),
            (5, 10, 2, 1, 0),
            (10, 10, 2, 1, 0),
            (11, 10, 2, 1, 0),
            (1000, 126, 32, 3, 0),
            (97, 8, 100, 2, 0),
            (1000, 126, 32, 3, 7),
            (1000, 126, 32, 2, 50),
            (500, 20, 4, 1, 3),
        ] {
            let mut enc = encoded(n, word_len);
            if sentence_every > 0 {
                enc.sentence_starts = (1..enc.words.len()).filter(|w| w % sentence_every == 0).collect();
            }
            let ws = windows(0, &enc, width, overlap);
            let mut owner = vec![0; n];
            for w in &ws {
                assert!(w.end - w.start <= width && w.start <= w.own_start && w.own_end <= w.end, "{w:?}");
                assert!(w.start == 0 || enc.pieces[w.start].first || width / 2 >= word_len, "{w:?}");
                (w.own_start..w.own_end).for_each(|i| owner[i] += 1);
            }
            assert!(owner.iter().all(|&c| c == 1), "n={n} width={width}: {owner:?}");
        }
    }
}
