//! A plugin whose configuration picks a fault to commit, on the documents whose text
//! contains `trigger` (every document when `trigger` is empty). Otherwise it marks each
//! capitalised word as `CAP`.

use nerlab_core::{BuildContext, Document, Entity, Error, Extractor, Family, Label, Result};
use serde::{Deserialize, Serialize};

/// The fault to commit.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Behave.
    #[default]
    None,
    /// Panic in `extract`.
    Panic,
    /// Return an ordinary error from `extract`.
    Error,
    /// Return a span past the end of the text.
    OutOfBounds,
    /// Return a span that ends inside a multi-byte character.
    CharBoundary,
    /// Return an empty span.
    EmptySpan,
    /// Return a label the instance did not declare.
    UnknownLabel,
    /// Return a score outside [0, 1].
    BadScore,
    /// Return entities in reverse order (tolerated: the host sorts them).
    Unsorted,
    /// Panic in `create`.
    PanicOnCreate,
    /// Fail in `create`.
    ErrorOnCreate,
}

/// The configuration.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultsConfig {
    #[serde(default)]
    fault: Fault,
    #[serde(default)]
    trigger: String,
}

/// See the crate docs.
pub struct Faults {
    labels: Vec<Label>,
    fault: Fault,
    trigger: String,
}

impl Faults {
    fn capitalised_words(&self, text: &str) -> Result<Vec<Entity>> {
        let mut out = Vec::new();
        let mut start = None;
        for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
            match (start, c.is_alphabetic()) {
                (None, true) => start = Some(i),
                (Some(s), false) => {
                    if text[s..].starts_with(|c: char| c.is_uppercase()) {
                        out.push(Entity::new(text, s, i, self.labels[0].clone())?);
                    }
                    start = None;
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

impl Extractor for Faults {
    fn name(&self) -> &str {
        "faults"
    }
    fn labels(&self) -> &[Label] {
        &self.labels
    }
    fn extract(&self, document: &Document) -> Result<Vec<Entity>> {
        let text = &document.text;
        let mut entities = self.capitalised_words(text)?;
        if !text.contains(self.trigger.as_str()) {
            return Ok(entities);
        }
        let raw = |start: usize, end: usize, label: Label| Entity { start, end, label, text: String::new(), score: None, canonical: None };
        match self.fault {
            Fault::None | Fault::PanicOnCreate | Fault::ErrorOnCreate => {}
            Fault::Panic => panic!("deliberate panic on document {:?}", document.id),
            Fault::Error => return Err(Error::extraction("deliberate error")),
            Fault::OutOfBounds => entities.push(raw(0, text.len() + 10, self.labels[0].clone())),
            Fault::CharBoundary => {
                let i = text.char_indices().find(|(_, c)| c.len_utf8() > 1).map(|(i, _)| i).unwrap_or(0);
                entities.push(raw(i, i + 1, self.labels[0].clone()));
            }
            Fault::EmptySpan => entities.push(raw(0, 0, self.labels[0].clone())),
            Fault::UnknownLabel => entities.push(raw(0, 1, Label::new("BOGUS")?)),
            Fault::BadScore => entities.push(raw(0, 1, self.labels[0].clone()).with_score(7.0)),
            Fault::Unsorted => entities.reverse(),
        }
        Ok(entities)
    }
}

impl Family for Faults {
    const KIND: &'static str = "faults";
    type Config = FaultsConfig;

    fn from_config(config: FaultsConfig, _ctx: &BuildContext<'_>) -> Result<Self> {
        match config.fault {
            Fault::PanicOnCreate => panic!("deliberate panic in create"),
            Fault::ErrorOnCreate => return Err(Error::config("deliberate error in create")),
            _ => {}
        }
        Ok(Faults { labels: vec![Label::new("CAP")?], fault: config.fault, trigger: config.trigger })
    }
}

nerlab_plugin::export_plugin!(Faults, labels = &["CAP"]);
