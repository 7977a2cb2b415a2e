//! From per-piece label probabilities to entities: pooling pieces into words, repairing
//! invalid IOB2 sequences, and building entities with exact byte offsets.

use nerlab_core::{Entity, Label, Result};
use serde::Deserialize;

use crate::model::Tag;
use crate::text::Encoded;

/// How a word's label distribution is derived from its word-pieces' distributions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WordPooling {
    /// The first piece's distribution: what the model was trained on (other pieces carry no
    /// loss), hence the default.
    #[default]
    First,
    /// The mean of the pieces' distributions.
    Mean,
    /// The element-wise maximum, renormalised.
    Max,
}

/// Per-word label distributions (`words × tags`, row-major) from per-piece ones
/// (`pieces × tags`).
pub fn pool_words(encoded: &Encoded, piece_probs: &[f32], num_tags: usize, pooling: WordPooling) -> Vec<f32> {
    let mut out = vec![0f32; encoded.words.len() * num_tags];
    let mut counts = vec![0u32; encoded.words.len()];
    for (i, piece) in encoded.pieces.iter().enumerate() {
        let src = &piece_probs[i * num_tags..(i + 1) * num_tags];
        let dst = &mut out[piece.word * num_tags..(piece.word + 1) * num_tags];
        match pooling {
            WordPooling::First if piece.first => dst.copy_from_slice(src),
            WordPooling::First => {}
            WordPooling::Mean => dst.iter_mut().zip(src).for_each(|(d, s)| *d += s),
            WordPooling::Max => dst.iter_mut().zip(src).for_each(|(d, s)| *d = d.max(*s)),
        }
        counts[piece.word] += 1;
    }
    if pooling != WordPooling::First {
        for (w, row) in out.chunks_mut(num_tags).enumerate() {
            let total: f32 = row.iter().sum();
            if counts[w] > 0 && total > 0.0 {
                row.iter_mut().for_each(|x| *x /= total);
            }
        }
    }
    out
}

/// Entities over `encoded`'s words from per-word distributions, in `text`'s byte offsets.
///
/// Each word takes its most probable tag. Invalid IOB2 is repaired the way conlleval reads
/// it: an `I-X` that does not continue an entity of type `X` starts one. An entity's score is
/// the mean probability of its words' chosen tags.
///
/// # Errors
/// Only if a span were invalid, which the word spans rule out.
pub fn entities(text: &str, encoded: &Encoded, word_probs: &[f32], tags: &[Tag]) -> Result<Vec<Entity>> {
    let n = tags.len();
    let mut out = Vec::new();
    // (label, start, end, sum of probabilities, word count)
    let mut open: Option<(Label, usize, usize, f32, u32)> = None;
    let close = |open: &mut Option<(Label, usize, usize, f32, u32)>, out: &mut Vec<Entity>| -> Result<()> {
        if let Some((label, start, end, sum, count)) = open.take() {
            out.push(Entity::new(text, start, end, label)?.with_score(sum / count as f32));
        }
        Ok(())
    };
    for (w, word) in encoded.words.iter().enumerate() {
        let row = &word_probs[w * n..(w + 1) * n];
        let (best, p) = row.iter().enumerate().fold((0, f32::NEG_INFINITY), |acc, (i, &p)| if p > acc.1 { (i, p) } else { acc });
        match &tags[best] {
            Tag::O => close(&mut open, &mut out)?,
            Tag::I(label) if open.as_ref().is_some_and(|o| &o.0 == label) => {
                if let Some(o) = open.as_mut() {
                    o.2 = word.end;
                    o.3 += p;
                    o.4 += 1;
                }
            }
            Tag::B(label) | Tag::I(label) => {
                close(&mut open, &mut out)?;
                open = Some((label.clone(), word.start, word.end, p, 1));
            }
        }
    }
    close(&mut open, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::casing::Casing;
    use crate::model::CONLL_TAGS;
    use crate::text::{Piece, Word};

    fn one_hot(tag: &str) -> Vec<f32> {
        CONLL_TAGS.iter().map(|t| if *t == tag { 1.0 } else { 0.0 }).collect()
    }

    #[test]
    fn repairs_iob_and_keeps_offsets() {
        let text = "Grushkó met NATO in New York";
        let spans = [(0, 8), (9, 12), (13, 17), (18, 20), (21, 24), (25, 29)];
        let words: Vec<Word> = spans.iter().map(|&(s, e)| Word { start: s, end: e, casing: Casing::Title }).collect();
        let pieces = (0..words.len()).map(|w| Piece { id: 0, word: w, first: true }).collect();
        let enc = Encoded { pieces, words, sentence_starts: Vec::new() };
        let tags: Vec<Tag> = CONLL_TAGS.iter().map(|t| Tag::parse(t).unwrap()).collect();
        // An I- after O starts an entity; I-ORG after I-PER is a new entity.
        let probs: Vec<f32> = ["I-PER", "O", "I-ORG", "O", "B-LOC", "I-LOC"].iter().flat_map(|t| one_hot(t)).collect();
        let got = entities(text, &enc, &probs, &tags).unwrap();
        let got: Vec<_> = got.iter().map(|e| (e.text.as_str(), e.label.as_str())).collect();
        assert_eq!(got, [("Grushkó", "PER"), ("NATO", "ORG"), ("New York", "LOC")]);
    }

    #[test]
    fn pooling_modes() {
        let words = vec![Word { start: 0, end: 4, casing: Casing::Lower }];
        let pieces = vec![Piece { id: 0, word: 0, first: true }, Piece { id: 0, word: 0, first: false }];
        let enc = Encoded { pieces, words, sentence_starts: Vec::new() };
        let probs = [0.6, 0.4, 0.0, 1.0];
        assert_eq!(pool_words(&enc, &probs, 2, WordPooling::First), [0.6, 0.4]);
        assert_eq!(pool_words(&enc, &probs, 2, WordPooling::Mean), [0.3, 0.7]);
        let max = pool_words(&enc, &probs, 2, WordPooling::Max);
        assert!((max[0] - 0.6 / 1.6).abs() < 1e-6 && (max[1] - 1.0 / 1.6).abs() < 1e-6);
    }
}
