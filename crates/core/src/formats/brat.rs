//! brat standoff: `NAME.txt` + `NAME.ann`, text-bound annotations `T1\tLABEL start end\ttext`
//! with character offsets.

use std::path::Path;

use crate::{AnnotatedDocument, Result};

/// Reads every `*.txt` in `dir` with its `.ann` (a missing `.ann` means no entities).
///
/// # Errors
/// Malformed `.ann` lines, spans whose text does not match, invalid UTF-8 (naming file and line).
pub fn read_dir(dir: &Path) -> Result<Vec<AnnotatedDocument>> {
    let _ = dir;
    todo!("brat reader")
}

/// Writes `NAME.txt` and `NAME.ann` for every document into `dir`.
///
/// # Errors
/// I/O failures.
pub fn write_dir(dir: &Path, docs: &[AnnotatedDocument]) -> Result<()> {
    let _ = (dir, docs);
    todo!("brat writer")
}
