//! Unicode normalisation, case folding and diacritics removal: the first evidence, and the
//! form every other component compares names in.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Folds `text` for comparison: compatibility decomposition (NFKD: `ﬁ` → `fi`, full-width →
/// ASCII), combining marks dropped (`Grushkó` → `Grushko`), lower case, apostrophes and
/// periods removed (`U.N.` → `un`, `O'Neill` → `oneill`), a final possessive `'s` removed,
/// every other non-alphanumeric run turned into one space (`NATO-Russia` → `nato russia`).
/// The result is a space-separated list of tokens with no leading or trailing space.
pub fn fold(text: &str) -> String {
    let trimmed = strip_possessive(text.trim());
    let mut out = String::with_capacity(trimmed.len());
    let mut pending_space = false;
    for c in trimmed.nfkd() {
        if is_combining_mark(c) || matches!(c, '\'' | '’' | '‘' | '`' | '´' | '.') {
            continue;
        }
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// `text` without a final `'s` / `’s` / `'` possessive.
fn strip_possessive(text: &str) -> &str {
    for suffix in ["'s", "’s", "'S", "’S"] {
        if let Some(rest) = text.strip_suffix(suffix) {
            if rest.chars().next_back().is_some_and(char::is_alphanumeric) {
                return rest;
            }
        }
    }
    text
}

/// A slug of `text` for ids: the folded tokens, ASCII letters and digits only, joined by
/// hyphens (`Sergey Lavrov` → `sergey-lavrov`). Empty when nothing ASCII is left (a name in a
/// script that does not decompose to Latin).
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for token in fold(text).split(' ') {
        let ascii: String = token.chars().filter(char::is_ascii_alphanumeric).collect();
        if !ascii.is_empty() {
            if !out.is_empty() {
                out.push('-');
            }
            out.push_str(&ascii);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_diacritics_punctuation() {
        let cases = [
            ("Grushkó", "grushko"),
            ("MOSCOW", "moscow"),
            ("U.N.", "un"),
            ("NATO-Russia Council", "nato russia council"),
            ("NATO’s", "nato"),
            ("Lavrov's", "lavrov"),
            ("O'Neill", "oneill"),
            ("  São   Paulo ", "sao paulo"),
            ("ﬁnance", "finance"),
            ("Zürich", "zurich"),
            ("Intermediate-Range Nuclear Forces (INF) Treaty", "intermediate range nuclear forces inf treaty"),
            ("Москва", "москва"),
            ("", ""),
            ("--", ""),
        ];
        for (input, want) in cases {
            assert_eq!(fold(input), want, "{input:?}");
        }
    }

    #[test]
    fn slugs_are_ascii_with_hyphens() {
        assert_eq!(slug("Sergey Lavrov"), "sergey-lavrov");
        assert_eq!(slug("Grushkó"), "grushko");
        assert_eq!(slug("NATO-Russia Council"), "nato-russia-council");
        assert_eq!(slug("Москва"), "");
    }
}
