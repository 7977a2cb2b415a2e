//! The one trait every extractor implements.

use serde::{Deserialize, Serialize};

use crate::{Document, Entity, Label, Result};

/// A problem an extractor worked around on one document without failing it, e.g. an
/// ensemble member that failed there while the other members answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The document's id.
    pub document: String,
    /// What happened, one line.
    pub message: String,
}

/// Finds named entities in documents.
///
/// Implementations must be `Send + Sync` (documents are processed in parallel) and must
/// never panic on any input: a failure on one document is an `Err` for that document.
/// Every returned entity satisfies the span invariant of [`Entity`] on `document.text`.
pub trait Extractor: Send + Sync {
    /// A short name for reports, e.g. `dictionary`.
    fn name(&self) -> &str;

    /// The labels this extractor can produce. Scores restricted to these are reported too,
    /// so an extractor is not penalised for types it never claims to find.
    fn labels(&self) -> &[Label];

    /// Extracts the entities of one document, sorted by `(start, end)`.
    ///
    /// # Errors
    /// When this document cannot be processed; other documents are unaffected.
    fn extract(&self, document: &Document) -> Result<Vec<Entity>>;

    /// Extracts the entities of several documents, one result per document, in order.
    ///
    /// The default calls [`Extractor::extract`] on each; override it when batching is
    /// faster (a transformer padding a batch together).
    fn extract_batch(&self, documents: &[Document]) -> Vec<Result<Vec<Entity>>> {
        documents.iter().map(|d| self.extract(d)).collect()
    }

    /// Returns and forgets the [`Warning`]s gathered since the last call; a runner calls it
    /// after a run to report them. The default has none.
    fn take_warnings(&self) -> Vec<Warning> {
        Vec::new()
    }
}

impl<E: Extractor + ?Sized> Extractor for Box<E> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn labels(&self) -> &[Label] {
        (**self).labels()
    }
    fn extract(&self, document: &Document) -> Result<Vec<Entity>> {
        (**self).extract(document)
    }
    fn extract_batch(&self, documents: &[Document]) -> Vec<Result<Vec<Entity>>> {
        (**self).extract_batch(documents)
    }
    fn take_warnings(&self) -> Vec<Warning> {
        (**self).take_warnings()
    }
}

impl<E: Extractor + ?Sized> Extractor for std::sync::Arc<E> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn labels(&self) -> &[Label] {
        (**self).labels()
    }
    fn extract(&self, document: &Document) -> Result<Vec<Entity>> {
        (**self).extract(document)
    }
    fn extract_batch(&self, documents: &[Document]) -> Vec<Result<Vec<Entity>>> {
        (**self).extract_batch(documents)
    }
    fn take_warnings(&self) -> Vec<Warning> {
        (**self).take_warnings()
    }
}
