//! String similarity: names that differ by a typo or a spelling (`Stoltenberg` /
//! `Stoltenburg`, `Maskhadov` / `Mashadov`), by Jaro-Winkler from `strsim`.
//!
//! Two names of one label are similar when they have the same number of words and every
//! pair of words at the same position is equal or similar: both at least
//! [`MIN_WORD_LEN`] letters, neither with a digit, and Jaro-Winkler at least the threshold.
//! Comparing word by word keeps short words (`World War I` / `World War II`) and numbers
//! (`Route 6` / `Route 7`) apart, which a whole-string score would merge.
//!
//! The default threshold was chosen on 200 pairs of CoNLL-2003 *train* names labelled
//! same/different by hand (`models/canonical/similarity-pairs.tsv`, see the README there),
//! never on the news gold; `cargo run -p nerlab-canonical --example choose_threshold`
//! reproduces the choice.
//!
//! Only names in the same *block* are compared: same label, same number of words, and the
//! same first three letters of the first and of the last word. The cost is then linear in
//! the number of distinct names times the (small) block size, not quadratic; a typo in the
//! first three letters is the price.

/// Words shorter than this must be equal.
pub const MIN_WORD_LEN: usize = 4;

/// The default Jaro-Winkler threshold (see the module docs for how it was chosen).
pub const DEFAULT_THRESHOLD: f64 = 0.95;

/// Whether the folded names `a` and `b` (space-separated words) are similar at `threshold`.
pub fn similar(a: &str, b: &str, threshold: f64) -> bool {
    let (a_words, b_words): (Vec<&str>, Vec<&str>) = (a.split(' ').collect(), b.split(' ').collect());
    if a_words.len() != b_words.len() {
        return false;
    }
    a_words.iter().zip(&b_words).all(|(x, y)| x == y || similar_words(x, y, threshold))
}

fn similar_words(x: &str, y: &str, threshold: f64) -> bool {
    let long = |w: &str| w.chars().count() >= MIN_WORD_LEN && !w.chars().any(|c| c.is_ascii_digit());
    long(x) && long(y) && strsim::jaro_winkler(x, y) >= threshold
}

/// The block a folded name is compared within (besides its label).
pub fn block(key: &str) -> (usize, String, String) {
    let words: Vec<&str> = key.split(' ').collect();
    let head = |w: &str| w.chars().take(3).collect::<String>();
    (words.len(), head(words[0]), head(words[words.len() - 1]))
}

/// Whether one of `a`, `b` is the other plus a final `s` in exactly one word (`Russians`,
/// `Balkans`): the same entity for nationalities and places, a family for people.
pub fn plural_pair(a: &str, b: &str) -> bool {
    let (a_words, b_words): (Vec<&str>, Vec<&str>) = (a.split(' ').collect(), b.split(' ').collect());
    if a_words.len() != b_words.len() {
        return false;
    }
    let mut differing = a_words.iter().zip(&b_words).filter(|(x, y)| x != y);
    let plural = |x: &str, y: &str| x.len() > 2 && y.strip_suffix('s') == Some(x);
    match (differing.next(), differing.next()) {
        (Some((x, y)), None) => plural(x, y) || plural(y, x),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_merge_false_friends_do_not() {
        let t = DEFAULT_THRESHOLD;
        assert!(similar("jens stoltenberg", "jens stoltenburg", t));
        assert!(similar("aslan maskhadov", "aslan mashadov", t));
        assert!(similar("nato russian council", "nato russia council", t));
        for (a, b) in [
            ("austria", "australia"),
            ("slovakia", "slovenia"),
            ("world war i", "world war ii"),
            ("route 6", "route 7"),
            ("mark smith", "mary smith"),
            ("sergey lavrov", "lavrov"),
        ] {
            assert!(!similar(a, b, t), "{a} / {b}");
        }
    }

    #[test]
    fn blocks_and_plurals() {
        assert_eq!(block("sergey lavrov"), (2, "ser".into(), "lav".into()));
        assert_eq!(block("un"), (1, "un".into(), "un".into()));
        assert!(plural_pair("russian", "russians"));
        assert!(plural_pair("south africans", "south african"));
        assert!(!plural_pair("russia", "russian"));
        assert!(!plural_pair("as", "ass"));
        assert!(!plural_pair("a b", "as bs"));
    }
}
