//! Reading gazetteer files: `surface TAB label TAB canonical TAB source` per line.

use std::path::Path;

use nerlab_core::{Error, Label, Result};

/// One line of a gazetteer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GazetteerEntry {
    /// The text to find, exactly as written in the file.
    pub surface: String,
    /// The entity type.
    pub label: Label,
    /// The canonical id or name that aliases share, if any.
    pub canonical: Option<String>,
}

/// Parses the text of a gazetteer file.
///
/// Lines: `surface [TAB label [TAB canonical [TAB source]]]`. Blank lines and lines starting
/// with `#` are skipped. An empty or `-` label column takes `file_label`; `file_label`, when
/// given, overrides the column. An empty or `-` canonical column means none. The source
/// column is provenance for people and is not used.
///
/// # Errors
/// [`nerlab_core::ErrorKind::Format`] naming `path` and the line: an empty surface, more than
/// four columns, a missing or invalid label.
pub fn parse(text: &str, path: &Path, file_label: Option<&Label>) -> Result<Vec<GazetteerEntry>> {
    let mut entries = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let err = |msg: String| Error::format(msg).with_path(path).with_line(n + 1);
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() > 4 {
            return Err(err(format!("expected at most 4 tab-separated columns (surface, label, canonical, source), found {}", cols.len())));
        }
        let surface = cols[0];
        if surface.trim().is_empty() {
            return Err(err("empty surface form".to_string()));
        }
        if surface.trim() != surface {
            return Err(err(format!("surface form {surface:?} has leading or trailing spaces")));
        }
        let label = match (file_label, cols.get(1).copied().filter(|l| !l.is_empty() && *l != "-")) {
            (Some(l), _) => l.clone(),
            (None, Some(l)) => Label::new(l).map_err(|e| err(e.message().to_string()))?,
            (None, None) => return Err(err(format!("no label for {surface:?}: add a label column or set `label` for the file"))),
        };
        let canonical = cols.get(2).filter(|c| !c.is_empty() && **c != "-").map(|c| c.to_string());
        entries.push(GazetteerEntry { surface: surface.to_string(), label, canonical });
    }
    Ok(entries)
}

/// Reads and parses the gazetteer file at `path`.
///
/// # Errors
/// I/O failures and invalid UTF-8 (naming the file), and the errors of [`parse`].
pub fn read(path: &Path, file_label: Option<&Label>) -> Result<Vec<GazetteerEntry>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()].iter().filter(|&&b| b == b'\n').count();
        Error::format("gazetteer is not valid UTF-8").with_path(path).with_line(line)
    })?;
    parse(&text, path, file_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_columns_comments_and_defaults() {
        let text = "# header\n\nNATO\tORG\tNorth Atlantic Treaty Organization\tcurated\nRome\tLOC\r\nParis\t-\t-\n";
        let entries = parse(text, Path::new("g.tsv"), Some(&Label::LOC));
        let entries = entries.unwrap();
        assert_eq!(entries.len(), 3);
        // The file label overrides the column.
        assert_eq!(entries[0].label, Label::LOC);
        assert_eq!(entries[0].canonical.as_deref(), Some("North Atlantic Treaty Organization"));
        assert_eq!(entries[1].surface, "Rome");
        assert_eq!(entries[2].canonical, None);
        let entries = parse(text, Path::new("g.tsv"), None).unwrap_err();
        assert_eq!(entries.line(), Some(5), "Paris has no label");
    }

    #[test]
    fn malformed_lines_name_file_and_line() {
        let cases: &[(&str, usize, &str)] = &[
            ("A\tORG\n\tPER\n", 2, "empty surface"),
            ("A\tORG\nB\tPER\tb\ts\textra\n", 2, "at most 4"),
            ("A\tBAD LABEL\n", 1, "invalid label"),
            ("A\n", 1, "no label"),
            (" A\tPER\n", 1, "leading or trailing"),
        ];
        for &(text, line, needle) in cases {
            let e = parse(text, Path::new("dir/g.tsv"), None).unwrap_err();
            assert_eq!(e.line(), Some(line), "{text:?}");
            let shown = e.to_string();
            assert!(shown.starts_with(&format!("dir/g.tsv:{line}: format error")), "{shown}");
            assert!(shown.contains(needle), "{shown} lacks {needle:?}");
        }
    }
}
