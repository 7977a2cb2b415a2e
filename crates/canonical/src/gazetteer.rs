//! The gazetteers' canonical column as evidence: two surfaces a gazetteer maps to the same
//! canonical id or name (`Russia` and `Russian Federation` → `ISO3166-1:RU`) name one entity.
//!
//! The files are the dictionary extractor's format (`crates/dictionary/README.md`):
//! `surface <TAB> label <TAB> canonical <TAB> source`, `#` comments, `-` or empty for none.
//! This crate reads them itself rather than depending on the dictionary crate (extractor
//! families and stages depend on core only). Entries without a canonical are skipped.
//! Surfaces are compared folded (see [`crate::fold`]) and transliterated; when two files or
//! lines give one surface and label different canonicals, the first wins (`Georgia` the
//! country in `countries.tsv` before the US state in `subdivisions.tsv`: telling them apart
//! needs context, which is out of scope).

use std::collections::HashMap;
use std::path::Path;

use nerlab_core::{Error, Label, Result};

/// Canonicals by `(label, comparison key)`.
#[derive(Debug, Clone, Default)]
pub struct Gazetteers {
    entries: HashMap<(Label, String), String>,
}

impl Gazetteers {
    /// Adds the entries of the file at `path`, keyed by `key(surface)`.
    ///
    /// # Errors
    /// An unreadable file; a line with an empty surface, more than four columns or an invalid
    /// label (naming file and line).
    pub fn add_file(&mut self, path: &Path, key: impl Fn(&str) -> String) -> Result<()> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        self.add_text(&text, key).map_err(|e| e.with_path(path))
    }

    /// As [`Gazetteers::add_file`] on the contents of a file; errors carry the line only.
    ///
    /// # Errors
    /// As [`Gazetteers::add_file`].
    pub fn add_text(&mut self, text: &str, key: impl Fn(&str) -> String) -> Result<()> {
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |m: String| Error::format(m).with_line(i + 1);
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() > 4 {
                return Err(err(format!("expected at most 4 tab-separated columns, found {}", cols.len())));
            }
            if cols[0].trim().is_empty() {
                return Err(err("empty surface".into()));
            }
            let (Some(label), Some(canonical)) = (cols.get(1), cols.get(2)) else {
                continue;
            };
            if label.is_empty() || *label == "-" || canonical.is_empty() || *canonical == "-" {
                continue;
            }
            let label = Label::new(label).map_err(|e| err(e.message().to_string()))?;
            let k = key(cols[0]);
            if !k.is_empty() {
                self.entries.entry((label, k)).or_insert_with(|| canonical.to_string());
            }
        }
        Ok(())
    }

    /// The canonical of a surface with comparison key `key` and `label`.
    pub fn get(&self, label: &Label, key: &str) -> Option<&str> {
        // Labels are few; a borrowed-tuple lookup would need a custom key type.
        self.entries.get(&(label.clone(), key.to_string())).map(String::as_str)
    }

    /// The number of entries with a canonical.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry has a canonical.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fold::fold;

    #[test]
    fn reads_the_dictionary_format_first_entry_wins() {
        let mut g = Gazetteers::default();
        let text = "# c\nRussia\tLOC\tISO3166-1:RU\tx\nRussian Federation\tLOC\tISO3166-1:RU\n\
                    Georgia\tLOC\tISO3166-1:GE\nGeorgia\tLOC\tISO3166-2:US-GA\nRome\tLOC\nParis\t-\t-\nLavrov\tPER\t-\n";
        g.add_text(text, fold).unwrap();
        assert_eq!(g.get(&Label::LOC, "russian federation"), Some("ISO3166-1:RU"));
        assert_eq!(g.get(&Label::LOC, "georgia"), Some("ISO3166-1:GE"));
        assert_eq!(g.get(&Label::PER, "georgia"), None, "labels are kept apart");
        assert_eq!(g.len(), 3, "entries without a canonical are skipped");
        let e = g.add_text("ok\tLOC\tx\n\tLOC\tx\n", fold).unwrap_err();
        assert_eq!(e.line(), Some(2));
        assert!(g.add_text("a\tb\tc\td\te\n", fold).is_err());
    }
}
