//! Acronyms and their expansions: `NATO` ↔ `North Atlantic Treaty Organization` by initials,
//! and the explicit `North Atlantic Treaty Organization (NATO)` pattern in a text.

use crate::fold::fold;

/// Words left out of initials (`Organization for Security and Co-operation in Europe`).
const STOPWORDS: &[&str] =
    &["of", "the", "and", "for", "in", "on", "at", "to", "de", "du", "des", "la", "le", "el", "y", "et", "und", "der"];

/// Whether `surface` is written as an acronym: 2 to 8 capital letters or digits, starting
/// with a letter, with optional periods after letters (`NATO`, `U.N.`, `G7`) and `&`
/// (`AT&T`). Returns its folded form (`nato`, `un`).
pub fn as_acronym(surface: &str) -> Option<String> {
    let letters: Vec<char> = surface.chars().filter(|c| !matches!(c, '.' | '&')).collect();
    let ok = (2..=8).contains(&letters.len())
        && letters[0].is_uppercase()
        && letters.iter().all(|c| c.is_uppercase() || c.is_ascii_digit())
        && !surface.contains("..");
    ok.then(|| fold(surface).replace(' ', ""))
}

/// The initials a multi-word name could be abbreviated to: of every word, and of the words
/// that are not [`STOPWORDS`]; each counting hyphenated parts as words (`Co-operation` → `c`
/// `o`) and as one word (`c`). `North Atlantic Treaty Organization` → `nato`. Empty for
/// names of fewer than two words.
pub fn initials(surface: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let words: Vec<&str> = surface.split_whitespace().collect();
    if words.len() < 2 {
        return out;
    }
    for split_hyphens in [false, true] {
        for skip_stopwords in [false, true] {
            let mut s = String::new();
            for word in &words {
                let parts: Vec<String> =
                    if split_hyphens { fold(word).split(' ').map(str::to_string).collect() } else { vec![fold(word).replace(' ', "")] };
                for part in parts {
                    if part.is_empty() || (skip_stopwords && STOPWORDS.contains(&part.as_str())) {
                        continue;
                    }
                    s.extend(part.chars().next());
                }
            }
            if s.chars().count() >= 2 && !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

/// A parenthesised acronym inside a name, `Intermediate-Range Nuclear Forces (INF) Treaty`:
/// the name without it (`Intermediate-Range Nuclear Forces Treaty`) and with the acronym in
/// place of the words before it (`INF Treaty`), both of which name the same thing.
pub fn inner_variants(surface: &str) -> Vec<String> {
    let (Some(open), Some(close)) = (surface.find('('), surface.find(')')) else {
        return Vec::new();
    };
    if close < open {
        return Vec::new();
    }
    let inner = surface[open + 1..close].trim();
    if as_acronym(inner).is_none() {
        return Vec::new();
    }
    let (before, after) = (surface[..open].trim(), surface[close + 1..].trim());
    let join = |a: &str, b: &str| {
        if b.is_empty() {
            a.to_string()
        } else {
            format!("{a} {b}")
        }
    };
    let mut out = vec![join(before, after)];
    if !after.is_empty() {
        out.push(join(inner, after));
    }
    out
}

/// What follows a mention that ends at byte `end` of `text`: the acronym in `␣(ABC)`, if any.
pub fn parenthesised_after(text: &str, end: usize) -> Option<&str> {
    let rest = text.get(end..)?;
    let rest = rest.strip_prefix(' ').unwrap_or(rest).strip_prefix('(')?;
    let close = rest.find(')')?;
    let inner = rest[..close].trim();
    (close <= 16 && as_acronym(inner).is_some()).then_some(inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_acronyms() {
        assert_eq!(as_acronym("NATO").as_deref(), Some("nato"));
        assert_eq!(as_acronym("U.N.").as_deref(), Some("un"));
        assert_eq!(as_acronym("AT&T").as_deref(), Some("att"));
        assert_eq!(as_acronym("G7").as_deref(), Some("g7"));
        for not in ["Nato", "A", "NATO-Russia", "7G", "TOOLONGACRONYM", "", "Lavrov"] {
            assert_eq!(as_acronym(not), None, "{not:?}");
        }
    }

    #[test]
    fn initials_with_and_without_stopwords_and_hyphens() {
        assert_eq!(initials("North Atlantic Treaty Organization"), ["nato"]);
        assert_eq!(initials("Associated Press"), ["ap"]);
        let osce = initials("Organization for Security and Co-operation in Europe");
        assert!(osce.contains(&"osce".to_string()), "{osce:?}");
        assert!(initials("NATO").is_empty());
        assert!(initials("Moscow").is_empty());
    }

    #[test]
    fn acronym_inside_a_name() {
        assert_eq!(
            inner_variants("Intermediate-Range Nuclear Forces (INF) Treaty"),
            ["Intermediate-Range Nuclear Forces Treaty", "INF Treaty"]
        );
        assert_eq!(inner_variants("Party (ruling)"), Vec::<String>::new());
        assert_eq!(inner_variants("a ) b ("), Vec::<String>::new());
    }

    #[test]
    fn acronym_after_a_mention() {
        let text = "the North Atlantic Treaty Organization (NATO) on Monday; Moscow (in Russia)";
        assert_eq!(parenthesised_after(text, 38), Some("NATO"));
        assert_eq!(parenthesised_after(text, 63), None);
        assert_eq!(parenthesised_after(text, text.len()), None);
        assert_eq!(parenthesised_after(text, 999), None);
    }
}
