//! From per-piece label probabilities to entities: pooling pieces into words, choosing one
//! tag per word (argmax with the conlleval repair of invalid IOB2, or the best valid IOB2
//! sequence by Viterbi), and building entities with exact byte offsets.

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

/// How the words' tags are chosen from their label distributions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decoding {
    /// Each word its most probable tag; an invalid IOB2 sequence is then read the way
    /// conlleval reads it (an `I-X` that does not continue an `X` starts one).
    Argmax,
    /// The most probable tag sequence that is valid IOB2 (Viterbi over the words'
    /// log-probabilities, with `I-X` allowed only after `B-X` or `I-X`): a doubtful word is
    /// decided by its neighbours instead of being repaired after the fact. The default:
    /// +2.1 F1 on CoNLL `valid` (models/minilm-conll03/MODEL_CARD.md, "Ablations").
    #[default]
    Viterbi,
}

/// The chosen tag (an index into `tags`) of each word, from per-word distributions
/// (`words × tags`, row-major).
pub fn choose_tags(word_probs: &[f32], tags: &[Tag], decoding: Decoding) -> Vec<usize> {
    match decoding {
        Decoding::Argmax => word_probs.chunks(tags.len().max(1)).map(argmax).collect(),
        Decoding::Viterbi => viterbi(word_probs, tags),
    }
}

/// The index of the largest value (the first of ties; 0 for an empty row).
fn argmax(row: &[f32]) -> usize {
    row.iter().enumerate().fold((0, f32::NEG_INFINITY), |acc, (i, &p)| if p > acc.1 { (i, p) } else { acc }).0
}

/// Whether IOB2 allows `next` after `prev` (`None`: at the start of the text).
fn allowed(tags: &[Tag], prev: Option<usize>, next: usize) -> bool {
    match &tags[next] {
        Tag::I(label) => prev.is_some_and(|p| matches!(&tags[p], Tag::B(l) | Tag::I(l) if l == label)),
        Tag::O | Tag::B(_) => true,
    }
}

/// The valid IOB2 tag sequence of highest probability (product of the words' probabilities
/// of their tags). Ties go to the lower tag index, so the result is deterministic. With a
/// tag set where no sequence is valid (no `O` and no `B-`), falls back to argmax.
pub fn viterbi(word_probs: &[f32], tags: &[Tag]) -> Vec<usize> {
    let n = tags.len();
    if n == 0 || word_probs.len() < n {
        return Vec::new();
    }
    let words = word_probs.len() / n;
    // Probabilities of exactly 0 (and NaN, which `max` drops) become a tiny floor, so every
    // valid sequence has a finite score and the best one is always found.
    let log_p = |w: usize, t: usize| f64::from(word_probs[w * n + t].max(1e-30)).ln();
    let transitions: Vec<bool> = (0..n * n).map(|k| allowed(tags, Some(k / n), k % n)).collect();
    let mut score: Vec<f64> = (0..n).map(|t| if allowed(tags, None, t) { log_p(0, t) } else { f64::NEG_INFINITY }).collect();
    if score.iter().all(|s| s.is_infinite()) {
        return choose_tags(word_probs, tags, Decoding::Argmax);
    }
    // back[w * n + t]: the best previous tag when word `w` has tag `t`.
    let mut back = vec![0usize; words * n];
    let mut next = vec![f64::NEG_INFINITY; n];
    for w in 1..words {
        for t in 0..n {
            let mut best = (f64::NEG_INFINITY, 0);
            for (p, &s) in score.iter().enumerate() {
                if transitions[p * n + t] && s > best.0 {
                    best = (s, p);
                }
            }
            next[t] = best.0 + log_p(w, t);
            back[w * n + t] = best.1;
        }
        std::mem::swap(&mut score, &mut next);
    }
    let mut out = vec![argmax_f64(&score); words];
    for w in (1..words).rev() {
        out[w - 1] = back[w * n + out[w]];
    }
    out
}

/// [`argmax`] over scores.
fn argmax_f64(row: &[f64]) -> usize {
    row.iter().enumerate().fold((0, f64::NEG_INFINITY), |acc, (i, &p)| if p > acc.1 { (i, p) } else { acc }).0
}

/// Entities over `encoded`'s words from per-word distributions, in `text`'s byte offsets,
/// each word taking its most probable tag ([`Decoding::Argmax`]; see [`decode_entities`]).
///
/// # Errors
/// Only if a span were invalid, which the word spans rule out.
pub fn entities(text: &str, encoded: &Encoded, word_probs: &[f32], tags: &[Tag]) -> Result<Vec<Entity>> {
    decode_entities(text, encoded, word_probs, tags, Decoding::Argmax)
}

/// Entities over `encoded`'s words from per-word distributions, in `text`'s byte offsets.
///
/// Tags are chosen by `decoding`. Whatever the sequence, it is read the way conlleval reads
/// IOB2: an `I-X` that does not continue an entity of type `X` starts one (Viterbi never
/// produces one). An entity's score is the mean probability of its words' chosen tags.
///
/// # Errors
/// Only if a span were invalid, which the word spans rule out.
pub fn decode_entities(text: &str, encoded: &Encoded, word_probs: &[f32], tags: &[Tag], decoding: Decoding) -> Result<Vec<Entity>> {
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
    // A line break ends any entity (no gold crosses one; grouped documents are lines): each
    // line is its own tag sequence.
    let words = &encoded.words;
    let breaks: Vec<usize> =
        (1..words.len()).filter(|&w| text.get(words[w - 1].end..words[w].start).is_some_and(|gap| gap.contains('\n'))).collect();
    let chosen = match decoding {
        Decoding::Argmax => choose_tags(&word_probs[..words.len() * n], tags, decoding),
        Decoding::Viterbi => {
            let mut chosen = Vec::with_capacity(words.len());
            let mut from = 0;
            for &to in breaks.iter().chain(std::iter::once(&words.len())) {
                chosen.extend(viterbi(&word_probs[from * n..to * n], tags));
                from = to;
            }
            chosen
        }
    };
    for ((w, word), best) in words.iter().enumerate().zip(chosen) {
        if breaks.binary_search(&w).is_ok() {
            close(&mut open, &mut out)?;
        }
        let p = word_probs[w * n + best];
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

    fn conll_tags() -> Vec<Tag> {
        CONLL_TAGS.iter().map(|t| Tag::parse(t).unwrap()).collect()
    }

    /// Per-word distributions from `(tag, probability)` lists; the rest of each row is 0.
    fn rows(words: &[&[(&str, f32)]]) -> Vec<f32> {
        words.iter().flat_map(|row| CONLL_TAGS.iter().map(|t| row.iter().find(|(name, _)| name == t).map_or(0.0, |&(_, p)| p))).collect()
    }

    fn names(chosen: &[usize]) -> Vec<&'static str> {
        chosen.iter().map(|&t| CONLL_TAGS[t]).collect()
    }

    /// Whether `chosen` is valid IOB2: every `I-X` follows `B-X` or `I-X`.
    fn valid_iob2(tags: &[Tag], chosen: &[usize]) -> bool {
        chosen.iter().enumerate().all(|(w, &t)| allowed(tags, w.checked_sub(1).map(|p| chosen[p]), t))
    }

    #[test]
    fn viterbi_decides_doubtful_words_by_their_neighbours() {
        let tags = conll_tags();
        // `O I-PER I-PER`: argmax starts the entity with an I-; Viterbi takes B-PER, the
        // best tag that may open it.
        let probs = rows(&[&[("O", 0.9), ("B-PER", 0.1)], &[("I-PER", 0.6), ("B-PER", 0.3), ("O", 0.1)], &[("I-PER", 0.9), ("O", 0.1)]]);
        assert_eq!(names(&choose_tags(&probs, &tags, Decoding::Argmax)), ["O", "I-PER", "I-PER"]);
        assert_eq!(names(&viterbi(&probs, &tags)), ["O", "B-PER", "I-PER"]);
        // `B-ORG I-LOC`: argmax + repair gives two entities of one word each; Viterbi one
        // two-word entity of the type the pair as a whole prefers (ORG: 0.6 * 0.35 > 0.3 * 0.5).
        let probs = rows(&[&[("B-ORG", 0.6), ("B-LOC", 0.3), ("O", 0.1)], &[("I-LOC", 0.5), ("I-ORG", 0.35), ("O", 0.15)]]);
        assert_eq!(names(&choose_tags(&probs, &tags, Decoding::Argmax)), ["B-ORG", "I-LOC"]);
        assert_eq!(names(&viterbi(&probs, &tags)), ["B-ORG", "I-ORG"]);
        // ... and the other type when the continuation is surer of it (0.3 * 0.8 > 0.6 * 0.1).
        let probs = rows(&[&[("B-ORG", 0.6), ("B-LOC", 0.3), ("O", 0.1)], &[("I-LOC", 0.8), ("I-ORG", 0.1), ("O", 0.1)]]);
        assert_eq!(names(&viterbi(&probs, &tags)), ["B-LOC", "I-LOC"]);
        // An I- at the very start cannot be kept.
        let probs = rows(&[&[("I-MISC", 0.7), ("B-MISC", 0.2), ("O", 0.1)]]);
        assert_eq!(names(&viterbi(&probs, &tags)), ["B-MISC"]);
        // A valid argmax sequence is left alone.
        let probs = rows(&[&[("B-PER", 0.8), ("O", 0.2)], &[("I-PER", 0.7), ("O", 0.3)], &[("O", 0.9), ("B-LOC", 0.1)]]);
        assert_eq!(names(&viterbi(&probs, &tags)), ["B-PER", "I-PER", "O"]);
        assert!(viterbi(&[], &tags).is_empty());
    }

    #[test]
    fn viterbi_entities_keep_offsets_and_scores() {
        let text = "met Grushkó Lavrov";
        let words: Vec<Word> = [(0, 3), (4, 12), (13, 19)].iter().map(|&(s, e)| Word { start: s, end: e, casing: Casing::Title }).collect();
        let pieces = (0..words.len()).map(|w| Piece { id: 0, word: w, first: true }).collect();
        let enc = Encoded { pieces, words, sentence_starts: Vec::new() };
        let probs = rows(&[&[("O", 1.0)], &[("I-PER", 0.6), ("B-PER", 0.4)], &[("I-PER", 1.0)]]);
        let got = decode_entities(text, &enc, &probs, &conll_tags(), Decoding::Viterbi).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].text.as_str(), got[0].label.as_str()), ("Grushkó Lavrov", "PER"));
        assert!((got[0].score.unwrap() - 0.7).abs() < 1e-6, "mean of 0.4 (B-PER) and 1.0");
    }

    #[test]
    fn entities_end_at_line_breaks() {
        let text = "met Ivan\nPetrov";
        let words: Vec<Word> = [(0, 3), (4, 8), (9, 15)].iter().map(|&(s, e)| Word { start: s, end: e, casing: Casing::Title }).collect();
        let pieces = (0..words.len()).map(|w| Piece { id: 0, word: w, first: true }).collect();
        let enc = Encoded { pieces, words, sentence_starts: vec![2] };
        let probs = rows(&[&[("O", 1.0)], &[("B-PER", 0.9), ("O", 0.1)], &[("I-PER", 0.8), ("B-PER", 0.2)]]);
        for decoding in [Decoding::Argmax, Decoding::Viterbi] {
            let got = decode_entities(text, &enc, &probs, &conll_tags(), decoding).unwrap();
            let got: Vec<&str> = got.iter().map(|e| e.text.as_str()).collect();
            assert_eq!(got, ["Ivan", "Petrov"], "{decoding:?}");
        }
    }

    proptest::proptest! {
        /// Whatever the model says, Viterbi's sequence is valid IOB2, and no valid sequence is
        /// more probable (checked against every sequence on short texts).
        #[test]
        fn viterbi_is_valid_and_optimal(logits in proptest::collection::vec(-8.0f32..8.0, 0..(9 * 40)), zeros in proptest::collection::vec(0usize..9, 0..6)) {
            let tags = conll_tags();
            let n = tags.len();
            let words = logits.len() / n;
            // Softmax per word, with some probabilities forced to exactly 0.
            let mut probs: Vec<f32> = Vec::with_capacity(words * n);
            for (w, row) in logits.chunks_exact(n).enumerate() {
                let exp: Vec<f32> = row.iter().enumerate().map(|(t, x)| if zeros.contains(&((w + t) % n)) && t % 2 == 0 { 0.0 } else { x.exp() }).collect();
                let total: f32 = exp.iter().sum::<f32>().max(f32::MIN_POSITIVE);
                probs.extend(exp.iter().map(|e| e / total));
            }
            let chosen = viterbi(&probs, &tags);
            proptest::prop_assert_eq!(chosen.len(), words);
            proptest::prop_assert!(valid_iob2(&tags, &chosen), "{:?}", names(&chosen));
            if words <= 4 {
                let log_score = |seq: &[usize]| seq.iter().enumerate().map(|(w, &t)| f64::from(probs[w * n + t].max(1e-30)).ln()).sum::<f64>();
                let best = log_score(&chosen);
                for code in 0..n.pow(words as u32) {
                    let seq: Vec<usize> = (0..words).map(|w| code / n.pow(w as u32) % n).collect();
                    if valid_iob2(&tags, &seq) {
                        proptest::prop_assert!(log_score(&seq) <= best + 1e-9, "{:?} beats {:?}", names(&seq), names(&chosen));
                    }
                }
            }
        }
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
