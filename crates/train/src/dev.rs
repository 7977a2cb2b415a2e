//! Scoring on the development corpus, which picks the epoch: each unit (a CoNLL sentence, a
//! line of another corpus) run through the serving pipeline as its own text, decoded as the
//! extractor decodes by default, and scored by
//! nerlab's one scorer (`nerlab_core::metrics`, strict), as `nerlab eval` scores.

use std::collections::BTreeMap;

use nerlab_core::metrics::{evaluate as score, Score};
use nerlab_core::{AnnotatedDocument, Entity, Label, Result};
use nerlab_transformer::decode::{decode_entities, pool_words, WordPooling};
use nerlab_transformer::fast::InferenceNet;
use nerlab_transformer::infer::predict;
use nerlab_transformer::model::{tags_of, NerModel};
use nerlab_transformer::text::TextEncoder;
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
    let decoding = nerlab_transformer::TransformerConfig::default().decoding;
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

/// Strict scores of the model on `units` over `labels`.
///
/// # Errors
/// Tokenizer or libtorch failures.
pub fn evaluate(model: &NerModel, encoder: &TextEncoder, units: &[AnnotatedDocument], labels: &[Label], casing: bool) -> Result<DevScores> {
    let predicted = predict_units(model, encoder, units, casing)?;
    let evaluation = score(units.iter().zip(&predicted).map(|(u, p)| (u.entities.as_slice(), p.as_slice())), labels);
    Ok(DevScores { micro: evaluation.micro, per_label: evaluation.per_label })
}
