//! The error type shared by every nerlab library crate.

use std::fmt;
use std::path::{Path, PathBuf};

/// A specialised `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, coarsely; callers match on this, humans read [`Error`]'s `Display`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading or writing a file failed.
    Io,
    /// An input file (corpus, rules, gazetteer, model, config) is malformed.
    Format,
    /// An entity span is out of bounds, not on a character boundary, or its text does not match.
    InvalidSpan,
    /// An extractor's configuration is invalid.
    Config,
    /// An extractor failed on one document.
    Extraction,
    /// A model or plugin could not be loaded.
    Load,
}

impl ErrorKind {
    fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Io => "I/O error",
            ErrorKind::Format => "format error",
            ErrorKind::InvalidSpan => "invalid span",
            ErrorKind::Config => "configuration error",
            ErrorKind::Extraction => "extraction failed",
            ErrorKind::Load => "load error",
        }
    }
}

/// An error with a kind, a one-line message and, when known, the file and line it concerns.
///
/// `Display` renders `path:line: message` so that every error names where to look.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    path: Option<PathBuf>,
    line: Option<usize>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// A new error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, message: message.into(), path: None, line: None, source: None }
    }

    /// Shorthand for a [`ErrorKind::Format`] error.
    pub fn format(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Format, message)
    }

    /// Shorthand for an [`ErrorKind::Extraction`] error.
    pub fn extraction(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Extraction, message)
    }

    /// Shorthand for a [`ErrorKind::Config`] error.
    pub fn config(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Config, message)
    }

    /// An [`ErrorKind::Io`] error about `path`.
    pub fn io(path: impl AsRef<Path>, err: std::io::Error) -> Error {
        Error::new(ErrorKind::Io, err.to_string()).with_path(path).with_source(err)
    }

    /// Attaches the file this error concerns (kept if one is already set).
    pub fn with_path(mut self, path: impl AsRef<Path>) -> Error {
        if self.path.is_none() {
            self.path = Some(path.as_ref().to_path_buf());
        }
        self
    }

    /// Attaches the 1-based line this error concerns (kept if one is already set).
    pub fn with_line(mut self, line: usize) -> Error {
        if self.line.is_none() {
            self.line = Some(line);
        }
        self
    }

    /// Attaches an underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Error {
        self.source = Some(Box::new(source));
        self
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without path or line.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The file this error concerns, if known.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The 1-based line this error concerns, if known.
    pub fn line(&self) -> Option<usize> {
        self.line
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.path, self.line) {
            (Some(p), Some(l)) => write!(f, "{}:{}: ", p.display(), l)?,
            (Some(p), None) => write!(f, "{}: ", p.display())?,
            (None, Some(l)) => write!(f, "line {}: ", l)?,
            (None, None) => {}
        }
        write!(f, "{}: {}", self.kind.as_str(), self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e.as_ref() as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_path_and_line() {
        let e = Error::format("bad tag `X-PER`").with_path("a/b.conll").with_line(7);
        assert_eq!(e.to_string(), "a/b.conll:7: format error: bad tag `X-PER`");
        let e = Error::extraction("boom");
        assert_eq!(e.to_string(), "extraction failed: boom");
    }

    #[test]
    fn first_path_and_line_win() {
        let e = Error::format("x").with_line(3).with_line(9).with_path("inner").with_path("outer");
        assert_eq!(e.line(), Some(3));
        assert_eq!(e.path(), Some(Path::new("inner")));
    }
}
