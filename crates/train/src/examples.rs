//! Training examples: units (lines of documents) grouped, encoded by the serving pipeline,
//! labelled from their gold entities, and cut into the windows inference would use.
//!
//! Labels follow the first-sub-token convention: a pre-tokeniser word's first word-piece
//! carries the word's IOB2 tag, other pieces are ignored by the loss ([`IGNORE`]). A word
//! that overlaps an entity is inside it: `B-X` for the entity's first word, `I-X` for the
//! others, so a CoNLL token the pre-tokeniser splits further (`U.S.` into `U . S .`) gives
//! its tag to its first word and the matching `I-` tag to the others, the way inference
//! will read them.

use nerlab_core::{AnnotatedDocument, Error, Label, Result};
use nerlab_transformer::context::context_windows;
use nerlab_transformer::infer::windows;
use nerlab_transformer::text::{Encoded, TextEncoder};

/// Label id the loss ignores.
pub const IGNORE: i64 = -100;

/// A small deterministic generator (SplitMix64): shuffles and chunking need no more.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded generator.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// Groups units into examples: most are single units (as CoNLL is scored, sentence by
/// sentence), a fraction `concat` are 2 to 4 consecutive ones, so the model also sees the
/// multi-sentence windows it meets on running text.
pub fn chunk_units(n: usize, concat: f64, rng: &mut Rng) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let k = if rng.unit() < concat { 2 + (rng.next_u64() % 3) as usize } else { 1 };
        let end = (i + k).min(n);
        out.push(i..end);
        i = end;
    }
    out
}

/// A training example: model inputs with `[CLS]`/`[SEP]` and one label per position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// Word-piece ids.
    pub ids: Vec<i64>,
    /// Casing classes (token types).
    pub types: Vec<i64>,
    /// Tag ids, [`IGNORE`] where no loss applies.
    pub labels: Vec<i64>,
}

/// How examples are cut and fed.
#[derive(Debug, Clone, Copy)]
pub struct ExampleShape {
    /// Longest example in word-pieces, `[CLS]`/`[SEP]` included: a longer text is cut into
    /// windows by the inference code ([`windows`]).
    pub max_length: usize,
    /// Word-pieces shared by consecutive windows inside a sentence longer than a window; each
    /// piece is labelled in the one window that owns it, so none counts twice in the loss.
    pub overlap: usize,
    /// Feed casing classes as token types (`false` zeroes them: the ablation).
    pub casing: bool,
}

/// An entity as `(start, end, index of its label)`.
type Span = (usize, usize, usize);

/// Units joined with `separator` into one text, with their entities.
fn join(units: &[&AnnotatedDocument], labels: &[Label], separator: char) -> Result<(String, Vec<Span>)> {
    let mut text = String::new();
    let mut entities = Vec::new();
    for unit in units {
        if !text.is_empty() {
            text.push(separator);
        }
        let offset = text.len();
        text.push_str(&unit.document.text);
        for e in &unit.entities {
            let label = labels
                .iter()
                .position(|l| *l == e.label)
                .ok_or_else(|| Error::format(format!("document {:?}: label {} is not in the label set", unit.document.id, e.label)))?;
            entities.push((offset + e.start, offset + e.end, label));
        }
    }
    Ok((text, entities))
}

/// The tag id of each word of `encoded`: `O` (0), or for label `k`, `B` (`1 + 2k`) on the
/// first word overlapping an entity and `I` (`2 + 2k`) on the others. `entities` are sorted
/// and do not overlap.
fn word_tags(encoded: &Encoded, entities: &[Span]) -> Vec<i64> {
    let mut out = Vec::with_capacity(encoded.words.len());
    let (mut next, mut last_tagged) = (0, None);
    for word in &encoded.words {
        while entities.get(next).is_some_and(|e| e.1 <= word.start) {
            next += 1;
        }
        let tag = match entities.get(next) {
            Some(&(start, _, label)) if start < word.end => {
                let first = last_tagged != Some(next);
                last_tagged = Some(next);
                if first {
                    1 + 2 * label
                } else {
                    2 + 2 * label
                }
            }
            _ => 0,
        };
        out.push(tag as i64);
    }
    out
}

/// Builds the examples of consecutive `units` over `labels` (tag ids as
/// [`nerlab_transformer::model::iob2_tags`] orders them): one, or when the text is longer
/// than `shape.max_length`, one per window of the inference code, each labelled only where
/// it decides.
///
/// # Errors
/// Tokenizer failures; an entity whose label is not in `labels`.
pub fn make_examples(encoder: &TextEncoder, units: &[&AnnotatedDocument], labels: &[Label], shape: ExampleShape) -> Result<Vec<Example>> {
    let (text, entities) = join(units, labels, ' ')?;
    let encoded = encoder.encode(&text)?;
    let tags = word_tags(&encoded, &entities);
    let width = shape.max_length.saturating_sub(2).max(1);
    let n = encoded.pieces.len();
    if n <= width {
        return Ok(vec![window_example(encoder, &encoded, &tags, shape, 0, n, 0..n)]);
    }
    Ok(windows(0, &encoded, width, shape.overlap)
        .into_iter()
        .map(|w| window_example(encoder, &encoded, &tags, shape, w.start, w.end, w.own_start..w.own_end))
        .collect())
}

/// The examples of one document's consecutive units with document context, the FLERT way:
/// the units joined one per line, as a grouped corpus is at inference, and one example per
/// sentence, its window holding up to `context` sentences on each side
/// ([`context_windows`], the inference code's own), labelled on that sentence only.
///
/// # Errors
/// Tokenizer failures; an entity whose label is not in `labels`.
pub fn make_context_examples(
    encoder: &TextEncoder,
    units: &[&AnnotatedDocument],
    labels: &[Label],
    shape: ExampleShape,
    context: usize,
) -> Result<Vec<Example>> {
    let (text, entities) = join(units, labels, nerlab_core::grouping::SEPARATOR)?;
    let encoded = encoder.encode(&text)?;
    let tags = word_tags(&encoded, &entities);
    let width = shape.max_length.saturating_sub(2).max(1);
    Ok(context_windows(0, &encoded, width, shape.overlap, context)
        .into_iter()
        .map(|w| window_example(encoder, &encoded, &tags, shape, w.start, w.end, w.own_start..w.own_end))
        .collect())
}

/// Pieces `start..end` of `encoded` as one example, `[CLS]` and `[SEP]` around, the first
/// piece of each word in `own` labelled with its word's tag and every other position ignored.
fn window_example(
    encoder: &TextEncoder,
    encoded: &Encoded,
    tags: &[i64],
    shape: ExampleShape,
    start: usize,
    end: usize,
    own: std::ops::Range<usize>,
) -> Example {
    let mut ex = Example { ids: vec![encoder.cls], types: vec![0], labels: vec![IGNORE] };
    for (i, piece) in encoded.pieces.iter().enumerate().take(end).skip(start) {
        ex.ids.push(piece.id);
        ex.types.push(if shape.casing { encoded.words[piece.word].casing.id() } else { 0 });
        ex.labels.push(if piece.first && own.contains(&i) { tags[piece.word] } else { IGNORE });
    }
    ex.ids.push(encoder.sep);
    ex.types.push(0);
    ex.labels.push(IGNORE);
    ex
}

/// Batches of example indices of similar length: sorted by length, cut so that a padded batch
/// holds at most `max_tokens` positions and `max_examples` examples.
pub fn batches(examples: &[Example], max_tokens: usize, max_examples: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..examples.len()).collect();
    order.sort_by_key(|&i| examples[i].ids.len());
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for i in order {
        let len = examples[i].ids.len();
        if !current.is_empty() && ((current.len() + 1) * len > max_tokens || current.len() >= max_examples) {
            out.push(std::mem::take(&mut current));
        }
        current.push(i);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}
