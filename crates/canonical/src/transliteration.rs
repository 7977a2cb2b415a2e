//! Transliteration variants of names (`Sergey`/`Sergei`, `-ov`/`-off`) from a small data file,
//! `models/canonical/transliteration.tsv` (built into the crate; a config may name another).

use std::collections::HashMap;
use std::path::Path;

use nerlab_core::{Error, Result};

/// The shipped table.
const BUILTIN: &str = include_str!("../../../models/canonical/transliteration.tsv");

/// Maps spelling variants of name tokens to one spelling.
#[derive(Debug, Clone, Default)]
pub struct Transliteration {
    /// Variant → the first spelling of its group.
    words: HashMap<String, String>,
    /// Word-final suffix variants (`off` → `ov`), longest variant first.
    suffixes: Vec<(String, String)>,
}

/// Suffix rules apply to words at least this long (`Orlov`, not `of`).
const MIN_SUFFIX_WORD: usize = 5;

impl Transliteration {
    /// The table shipped with nerlab.
    pub fn builtin() -> Transliteration {
        Transliteration::parse(BUILTIN).expect("the built-in transliteration table parses")
    }

    /// Reads a table (format in the file's header and the crate README).
    ///
    /// # Errors
    /// An unreadable file; a malformed line (naming file and line).
    pub fn from_file(path: &Path) -> Result<Transliteration> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Transliteration::parse(&text).map_err(|e| e.with_path(path))
    }

    /// Parses a table. Errors carry the line, not the path.
    ///
    /// # Errors
    /// A group of one spelling, a suffix line not made of `-suffix` words, or a spelling that
    /// is not lower case (the table is compared after case folding).
    pub fn parse(text: &str) -> Result<Transliteration> {
        let mut table = Transliteration::default();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            let err = |m: String| Error::format(m).with_line(i + 1);
            if words.len() < 2 {
                return Err(err(format!("a group needs at least two spellings: {line:?}")));
            }
            if let Some(w) = words.iter().find(|w| w.chars().any(char::is_uppercase)) {
                return Err(err(format!("spellings are compared in lower case; write {:?}", w.to_lowercase())));
            }
            if line.starts_with('-') {
                let Some(parts) = words.iter().map(|w| w.strip_prefix('-').filter(|s| !s.is_empty())).collect::<Option<Vec<_>>>() else {
                    return Err(err(format!("a suffix line is `-suffix -variant ...`: {line:?}")));
                };
                for variant in &parts[1..] {
                    table.suffixes.push((variant.to_string(), parts[0].to_string()));
                }
            } else {
                for variant in &words {
                    table.words.entry(variant.to_string()).or_insert_with(|| words[0].to_string());
                }
            }
        }
        table.suffixes.sort_by_key(|(variant, _)| std::cmp::Reverse(variant.len()));
        Ok(table)
    }

    /// The spelling `token` (folded: lower case, no diacritics) is compared as.
    pub fn word<'a>(&'a self, token: &'a str) -> std::borrow::Cow<'a, str> {
        if let Some(w) = self.words.get(token) {
            return w.as_str().into();
        }
        if token.chars().count() >= MIN_SUFFIX_WORD {
            for (variant, standard) in &self.suffixes {
                if let Some(stem) = token.strip_suffix(variant.as_str()) {
                    return format!("{stem}{standard}").into();
                }
            }
        }
        token.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_groups_and_suffixes() {
        let t = Transliteration::builtin();
        assert_eq!(t.word("sergei"), "sergey");
        assert_eq!(t.word("sergey"), "sergey");
        assert_eq!(t.word("yury"), "yuri");
        assert_eq!(t.word("grigori"), "grigory");
        assert_eq!(t.word("rachmaninoff"), "rachmaninov");
        assert_eq!(t.word("zelenski"), "zelensky");
        // Unknown words and short words are left alone.
        assert_eq!(t.word("lavrov"), "lavrov");
        assert_eq!(t.word("off"), "off");
        assert_eq!(t.word("jens"), "jens");
    }

    #[test]
    fn malformed_lines_name_the_line() {
        assert_eq!(Transliteration::parse("# c\nsergey\n").unwrap_err().line(), Some(2));
        assert_eq!(Transliteration::parse("-off ov\n").unwrap_err().line(), Some(1));
        assert_eq!(Transliteration::parse("Sergey Sergei\n").unwrap_err().line(), Some(1));
        let t = Transliteration::parse("a b\n-ska -skaya\n").unwrap();
        assert_eq!(t.word("b"), "a");
        assert_eq!(t.word("petrovskaya"), "petrovska");
    }
}
