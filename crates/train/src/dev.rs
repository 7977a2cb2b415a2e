//! Scoring on the development corpus, which picks the epoch: each unit (a CoNLL sentence, a
//! line of another corpus) run through the serving pipeline as its own text, decoded as the
//! extractor decodes by default, and scored by
//! nerlab's one scorer (`nerlab_core::metrics`, strict), as `nerlab eval` scores.

use std::collections::BTreeMap;
use std::ops::Range;

use nerlab_core::grouping::Groups;
use nerlab_core::metrics::{evaluate as score, Score};
use nerlab_core::{AnnotatedDocument, Document, Entity, Label, Result};
use nerlab_transformer::context::context_windows;
use nerlab_transformer::decode::{decode_entities, pool_words, WordPooling};
use nerlab_transformer::fast::InferenceNet;
use nerlab_transformer::infer::{predict, predict_windows};
use nerlab_transformer::model::{tags_of, NerModel};
use nerlab_transformer::text::{Encoded, TextEncoder};
use nerlab_transformer::TransformerConfig;
use serde::{Deserialize, Serialize};

/// Strict scores on the development corpus.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DevScores {
    /// Pooled over the model's labels.
    pub micro: Score,
    /// Per label.
    pub per_label: BTreeMap<Label, Score>,
}

impl DevScores {
    /// Micro F1 in percent.
    pub fn f1(&self) -> f64 {
        100.0 * self.micro.f1
    }

    /// One line: micro P/R/F1 and per-label F1, in percent.
    pub fn summary(&self) -> String {
        let m = &self.micro;
        let mut s = format!("P {:.2} R {:.2} F1 {:.2}", 100.0 * m.precision, 100.0 * m.recall, 100.0 * m.f1);
        for (l, c) in &self.per_label {
            s.push_str(&format!(" | {l} {:.2}", 100.0 * c.f1));
        }
        s
    }
}

/// The model's entities in each of `units`, each run as its own text.
///
/// # Errors
/// Tokenizer or libtorch failures.
pub fn predict_units(model: &NerModel, encoder: &TextEncoder, units: &[AnnotatedDocument], casing: bool) -> Result<Vec<Vec<Entity>>> {
    let tags = tags_of(&model.config)?;
    // Decoded as the extractor decodes by default (Viterbi: +2.1 F1 over argmax on `valid`,
    // which had chosen epochs before), so epochs are ranked by the tags that will be served.
    // The windows stay this scorer's own (512 pieces, one sentence each).
    let decoding = TransformerConfig::default().decoding;
    // The serving forward pass, over the weights as they are now.
    let net = InferenceNet::new(model)?;
    let mut out = Vec::with_capacity(units.len());
    for chunk in units.chunks(256) {
        let mut encoded = chunk.iter().map(|u| encoder.encode(&u.document.text)).collect::<Result<Vec<_>>>()?;
        if !casing {
            encoded.iter_mut().for_each(|e| e.words.iter_mut().for_each(|w| w.casing = nerlab_transformer::casing::Casing::Lower));
        }
        let refs: Vec<_> = encoded.iter().collect();
        let probs = predict(&net, encoder, &refs, 512, 64, 64, usize::MAX)?;
        for ((unit, enc), p) in chunk.iter().zip(&encoded).zip(&probs) {
            let words = pool_words(enc, p, tags.len(), WordPooling::First);
            out.push(decode_entities(&unit.document.text, enc, &words, &tags, decoding)?);
        }
    }
    Ok(out)
}

/// The model's entities in each of `units` with document context, as the extractor serves a
/// grouped corpus with `context_sentences = context`: the units of each of `groups`
/// (consecutive ranges covering `units`) joined one per line by core's grouping, every
/// sentence run in a window with up to `context` sentences on each side, the extractor's
/// default window size and decoding, and the entities mapped back onto the units by
/// [`Groups::split`] (one crossing from a unit into the next is dropped, as grouped
/// extraction drops it).
///
/// # Errors
/// Tokenizer or libtorch failures.
pub fn predict_units_in_context(
    model: &NerModel,
    encoder: &TextEncoder,
    units: &[AnnotatedDocument],
    casing: bool,
    groups: &[Range<usize>],
    context: usize,
) -> Result<Vec<Vec<Entity>>> {
    let tags = tags_of(&model.config)?;
    let net = InferenceNet::new(model)?;
    let served = TransformerConfig::default();
    let documents: Vec<Document> = units.iter().map(|u| u.document.clone()).collect();
    let starts: Vec<usize> = groups.iter().filter(|r| !r.is_empty()).map(|r| r.start).collect();
    let (grouped, map) = Groups::join(&documents, &starts);
    let mut per_group = Vec::with_capacity(grouped.len());
    for chunk in grouped.chunks(16) {
        let mut encoded = chunk.iter().map(|d| encoder.encode(&d.text)).collect::<Result<Vec<_>>>()?;
        if !casing {
            encoded.iter_mut().for_each(|e| e.words.iter_mut().for_each(|w| w.casing = nerlab_transformer::casing::Casing::Lower));
        }
        let refs: Vec<&Encoded> = encoded.iter().collect();
        let windows =
            refs.iter().enumerate().flat_map(|(i, e)| context_windows(i, e, served.max_length - 2, served.stride, context)).collect();
        let probs = predict_windows(&net, encoder, &refs, windows, 64, usize::MAX)?;
        for ((doc, enc), p) in chunk.iter().zip(&encoded).zip(&probs) {
            let words = pool_words(enc, p, tags.len(), WordPooling::First);
            per_group.push(decode_entities(&doc.text, enc, &words, &tags, served.decoding)?);
        }
    }
    Ok(map.split(&documents, per_group).0)
}

/// Strict scores of the model on `units` over `labels`; with `context`, `(groups, sentences)`,
/// the units run in their groups with that many sentences of context
/// ([`predict_units_in_context`]), else each alone.
///
/// # Errors
/// Tokenizer or libtorch failures.
pub fn evaluate(
    model: &NerModel,
    encoder: &TextEncoder,
    units: &[AnnotatedDocument],
    labels: &[Label],
    casing: bool,
    context: Option<&(Vec<Range<usize>>, usize)>,
) -> Result<DevScores> {
    let predicted = match context {
        Some((groups, sentences)) => predict_units_in_context(model, encoder, units, casing, groups, *sentences)?,
        None => predict_units(model, encoder, units, casing)?,
    };
    let evaluation = score(units.iter().zip(&predicted).map(|(u, p)| (u.entities.as_slice(), p.as_slice())), labels);
    Ok(DevScores { micro: evaluation.micro, per_label: evaluation.per_label })
}
