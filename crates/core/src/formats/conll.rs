//! CoNLL columns: `token ... TAG` per line, blank lines between sentences.

use std::path::Path;

use crate::{AnnotatedDocument, Result, TagScheme};

/// Reads a CoNLL file; document text is the tokens joined by single spaces, sentences of one
/// document joined by a newline.
///
/// # Errors
/// Malformed lines, tags invalid for `scheme` (naming file and line).
pub fn read_file(path: &Path, scheme: TagScheme, sentences_per_document: usize) -> Result<Vec<AnnotatedDocument>> {
    let _ = (path, scheme, sentences_per_document);
    todo!("conll reader")
}

/// Writes documents as CoNLL in `scheme`, tokenising on whitespace.
///
/// # Errors
/// Entities not on token boundaries, I/O failures.
pub fn write_file(path: &Path, scheme: TagScheme, docs: &[AnnotatedDocument]) -> Result<()> {
    let _ = (path, scheme, docs);
    todo!("conll writer")
}
