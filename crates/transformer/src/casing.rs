//! Casing classes: how the model gets back the capitalisation the uncased tokenizer throws
//! away.
//!
//! The base encoder is uncased, yet capitalisation is the strongest single cue for names in
//! English news. Each word-piece carries the class of the word it belongs to (computed on the
//! original text) as its token-type id; the token-type embedding table has one row per class.

/// The number of casing classes, i.e. rows of the token-type embedding.
pub const NUM_CASING_CLASSES: i64 = 4;

/// The casing class of one word, as a token-type id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i64)]
pub enum Casing {
    /// All letters lower-case, or no letters at all (punctuation, digits): type 0, the row the
    /// base model was pre-trained with, so such words look exactly as they did in pre-training.
    Lower = 0,
    /// An upper-case letter followed by lower-case ones only (`Paris`, and single capitals `U`).
    Title = 1,
    /// At least two letters, all upper-case (`NATO`, `RUSSIA`).
    Upper = 2,
    /// Anything else with letters (`McDonald`, `iPhone`, `eBay`).
    Mixed = 3,
}

impl Casing {
    /// The class of `word` (a word of the original text, not lower-cased).
    pub fn of(word: &str) -> Casing {
        let mut letters = word.chars().filter(|c| c.is_alphabetic());
        let Some(first) = letters.next() else { return Casing::Lower };
        let (mut upper, mut lower, mut count) = (0usize, 0usize, 1usize);
        for c in letters {
            count += 1;
            if c.is_uppercase() {
                upper += 1;
            } else if c.is_lowercase() {
                lower += 1;
            }
        }
        // Scripts without case (CJK) count as neither.
        match (first.is_uppercase(), first.is_lowercase()) {
            (true, _) if upper == 0 => Casing::Title,
            (true, _) if lower == 0 && count >= 2 => Casing::Upper,
            (false, true) if upper == 0 => Casing::Lower,
            (false, false) if upper == 0 && lower == 0 => Casing::Lower,
            _ => Casing::Mixed,
        }
    }

    /// The token-type id.
    pub fn id(self) -> i64 {
        self as i64
    }
}

#[cfg(test)]
mod tests {
    use super::Casing;

    #[test]
    fn classes() {
        let cases = [
            ("paris", Casing::Lower),
            ("", Casing::Lower),
            ("1996", Casing::Lower),
            (",", Casing::Lower),
            ("北京", Casing::Lower),
            ("Paris", Casing::Title),
            ("U", Casing::Title),
            ("Grushkó", Casing::Title),
            ("NATO", Casing::Upper),
            ("U.S.", Casing::Upper),
            ("ÑUÑEZ", Casing::Upper),
            ("McDonald", Casing::Mixed),
            ("iPhone", Casing::Mixed),
            ("eBay", Casing::Mixed),
        ];
        for (word, want) in cases {
            assert_eq!(Casing::of(word), want, "{word:?}");
        }
    }
}
