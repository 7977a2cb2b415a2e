//! JSONL: one `{"id","text","entities":[{"start","end","label"}]}` per line, byte offsets.

use std::path::Path;

use crate::{AnnotatedDocument, Result};

/// Reads a JSONL corpus.
///
/// # Errors
/// Malformed JSON, invalid spans (naming file and line).
pub fn read_file(path: &Path) -> Result<Vec<AnnotatedDocument>> {
    let _ = path;
    todo!("jsonl reader")
}

/// Writes a JSONL corpus.
///
/// # Errors
/// I/O failures.
pub fn write_file(path: &Path, docs: &[AnnotatedDocument]) -> Result<()> {
    let _ = (path, docs);
    todo!("jsonl writer")
}
