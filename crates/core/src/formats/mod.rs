//! Readers and writers of the corpus formats; [`crate::corpus`] dispatches to them.
//!
//! Conventions shared by every format:
//!
//! - Files are read as bytes and decoded as UTF-8 up front, so invalid UTF-8 is reported
//!   with the file, the line and the byte position rather than as an opaque I/O error.
//! - Every error names the file and, when it concerns one line, the 1-based line number
//!   (through [`crate::Error::with_path`] / [`crate::Error::with_line`]), and its message is
//!   one line.
//! - Gold entities are built with [`crate::Entity::new`], so the span invariant holds for
//!   every document a reader returns, and they are sorted by `(start, end)` (then label,
//!   for determinism).
//! - Readers never panic on any input.

use std::path::Path;

use crate::{Entity, Error, ErrorKind, Result};

pub mod brat;
pub mod conll;
pub mod jsonl;

/// Reads `path` and decodes it as UTF-8.
///
/// # Errors
/// [`ErrorKind::Io`] when the file cannot be read; [`ErrorKind::Format`] for invalid UTF-8,
/// naming the line and the byte offset (in the file and in the line) of the first bad byte.
pub fn read_utf8(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    decode_utf8(bytes).map_err(|e| e.with_path(path))
}

/// Decodes `bytes` as UTF-8; the error names the line and byte position of the first bad byte.
fn decode_utf8(bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let before = bytes.get(..at).unwrap_or(bytes);
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        let bad = bytes.get(at).copied().unwrap_or(0);
        Error::format(format!("invalid UTF-8: byte 0x{bad:02x} at byte offset {at} of the file (byte {} of the line)", at - line_start + 1))
            .with_line(line)
    })
}

/// Writes `contents` to `path` atomically, creating its parent directory when missing.
///
/// The bytes go to a fresh temporary file in the same directory (created exclusively, so no
/// existing file or link is opened) which is then renamed over `path`: a concurrent reader
/// sees the old file or the new one, never a partial one, and a symbolic link at `path` is
/// replaced rather than followed. The file gets mode `0644` (before the umask) on Unix.
/// Atomic, not durable: nothing is `fsync`ed, so a power loss may lose the new contents.
///
/// # Errors
/// [`ErrorKind::Io`] naming `path` (or its directory) when any step fails; the temporary
/// file is removed then.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".nerlab-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut file = builder.tempfile_in(dir).map_err(|e| Error::io(dir, e))?;
    file.write_all(contents).map_err(|e| Error::io(path, e))?;
    file.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// [`write_atomic`] for text; the one way the writers of this module write a file.
pub(crate) fn write_file(path: &Path, contents: &str) -> Result<()> {
    write_atomic(path, contents.as_bytes())
}

/// Sorts entities by `(start, end, label)`.
pub(crate) fn sort_entities(entities: &mut [Entity]) {
    entities.sort_by(|a, b| (a.start, a.end, &a.label).cmp(&(b.start, b.end, &b.label)));
}

/// An [`ErrorKind::InvalidSpan`] error with `message`.
pub(crate) fn span_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidSpan, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_names_line_and_byte() {
        let e = decode_utf8(b"ok\nab\xffc\n".to_vec()).unwrap_err();
        assert_eq!(e.line(), Some(2));
        assert!(e.message().contains("byte offset 5"), "{e}");
        assert!(e.message().contains("byte 3 of the line"), "{e}");
        assert!(e.message().contains("0xff"), "{e}");
        let e = decode_utf8(b"\xc3".to_vec()).unwrap_err();
        assert_eq!(e.line(), Some(1));
        assert_eq!(decode_utf8("é\n".as_bytes().to_vec()).unwrap(), "é\n");
    }
}
