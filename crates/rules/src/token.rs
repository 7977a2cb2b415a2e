//! The tokenizer patterns match against, and the per-token features computed once.
//!
//! Tokens are runs of word characters (letters, digits, combining marks) that may contain
//! inner joiners (`NATO-Russia`, `U.S`, `O'Neill`, `AT&T`, `2,000`, `10:30`); every other
//! non-space character is a token of its own. Two exceptions keep news conventions intact: a
//! final `.` stays on abbreviations (`U.S.`, `Mr.`, `E.`), and a possessive `'s` is its own
//! token (`NATO` `'s`), as in CoNLL-2003.

/// A token's boolean features, one bit each; the bit order is the order of [`FLAG_NAMES`].
pub type Flags = u16;

/// Starts with an upper-case letter and has a lower-case letter (`Lavrov`, `McCain`).
pub const TITLE: Flags = 1 << 0;
/// Has letters, none lower-case (`NATO`, `U.S.`).
pub const UPPER: Flags = 1 << 1;
/// Has letters, all lower-case.
pub const LOWER: Flags = 1 << 2;
/// Starts with an upper-case letter.
pub const CAP: Flags = 1 << 3;
/// ASCII digits only.
pub const DIGIT: Flags = 1 << 4;
/// Letters only.
pub const ALPHA: Flags = 1 << 5;
/// No letter or digit.
pub const PUNCT: Flags = 1 << 6;
/// First token of a sentence (after `.`, `!`, `?`, a line break, or the document start;
/// opening quotes and brackets in between are skipped).
pub const START: Flags = 1 << 7;
/// Starts with a digit (`18`, `2021-10-18`, `1st`).
pub const NUM: Flags = 1 << 8;
/// Has an inner hyphen (`NATO-Russia`, `long-term`).
pub const HYPHEN: Flags = 1 << 9;

/// The flag names of the pattern language, in bit order.
pub const FLAG_NAMES: [(&str, Flags); 10] = [
    ("title", TITLE),
    ("upper", UPPER),
    ("lower", LOWER),
    ("cap", CAP),
    ("digit", DIGIT),
    ("alpha", ALPHA),
    ("punct", PUNCT),
    ("start", START),
    ("num", NUM),
    ("hyphen", HYPHEN),
];

/// Abbreviations that keep their final period; lower-cased, without the period.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "maj", "capt", "sgt", "adm", "gov", "sen", "rep", "rev", "st", "jr", "sr", "inc",
    "corp", "co", "ltd", "plc", "bros", "no", "vs", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "mt", "ft",
];

/// One token: a byte span of the (normalised) text and its features.
#[derive(Debug, Clone, Copy)]
pub struct Token {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// Boolean features.
    pub flags: Flags,
    /// The token's class in the rule set's memo (see `classes`): which tests it passes.
    pub class: u32,
}

/// A token whose text is in no lexicon.
pub const NO_ROW: u32 = u32::MAX;

fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_mark(c)
}

/// Invisible characters that separate nothing: skipped like spaces.
fn is_invisible(c: char) -> bool {
    c.is_whitespace() || c.is_control() || matches!(c, '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{ad}')
}

/// Splits `text` into token spans; their flags hold only [`START`] (add [`text_flags`]) and
/// their classes are unset.
pub fn tokenize(text: &str, out: &mut Vec<Token>) {
    out.clear();
    let bytes = text.as_bytes();
    let mut chars = text.char_indices().peekable();
    let mut line_break = true;
    let mut at_start = true;
    while let Some((i, c)) = chars.next() {
        if is_invisible(c) {
            line_break |= c == '\n';
            continue;
        }
        let mut end = i + c.len_utf8();
        if is_word_char(c) {
            // Extend over word characters and inner joiners followed by a word character.
            loop {
                match chars.peek() {
                    Some(&(_, d)) if is_word_char(d) => {
                        end += d.len_utf8();
                        chars.next();
                    }
                    Some(&(j, d)) if matches!(d, '-' | '.' | '\'' | '&' | ',' | ':' | '/') => {
                        let next = text[j + 1..].chars().next();
                        let digits_only = matches!(d, ',' | ':');
                        let ok = match next {
                            Some(n) if digits_only => n.is_ascii_digit() && bytes[end - 1].is_ascii_digit(),
                            Some(n) => is_word_char(n),
                            None => false,
                        };
                        if !ok {
                            break;
                        }
                        end = j + 1;
                        chars.next();
                    }
                    _ => break,
                }
            }
            let word = &text[i..end];
            // A possessive `'s` becomes its own token.
            if word.len() > 2 && (word.ends_with("'s") || word.ends_with("'S")) {
                push(out, text, i, end - 2, &mut line_break, &mut at_start);
                push(out, text, end - 2, end, &mut line_break, &mut at_start);
                continue;
            }
            // An abbreviation keeps its period.
            if bytes.get(end) == Some(&b'.') && is_abbreviation(word) {
                end += 1;
                chars.next();
            }
        } else if c == '\''
            && bytes.get(i + 1).is_some_and(|b| *b == b's' || *b == b'S')
            && !text[i + 2..].chars().next().is_some_and(is_word_char)
        {
            // CoNLL's detached possessive `'s`.
            end = i + 2;
            chars.next();
        }
        push(out, text, i, end, &mut line_break, &mut at_start);
    }
}

fn is_abbreviation(word: &str) -> bool {
    if word.contains('.') {
        return true;
    }
    let mut cs = word.chars();
    if let (Some(c), None) = (cs.next(), cs.next()) {
        return c.is_uppercase();
    }
    word.len() <= 5 && ABBREVIATIONS.iter().any(|a| a.eq_ignore_ascii_case(word))
}

fn push(out: &mut Vec<Token>, text: &str, start: usize, end: usize, line_break: &mut bool, at_start: &mut bool) {
    let s = &text[start..end];
    // Only `START` depends on the context; the other flags are the text's (see `text_flags`),
    // which the rule set computes once per distinct text.
    let flags = if *line_break || *at_start { START } else { 0 };
    // Sentence ends make the next token a start; opening quotes and brackets pass it on.
    let opener = matches!(s, "\"" | "'" | "(" | "[" | "`" | "``" | "«");
    *at_start = matches!(s, "." | "!" | "?" | "..." | "…") || (opener && (flags & START != 0));
    *line_break = false;
    out.push(Token { start, end, flags, class: u32::MAX });
}

/// The flags of a token's text: all but [`START`], which depends on the tokens before.
pub fn text_flags(s: &str) -> Flags {
    let mut flags = features(s);
    if s.len() > 2 && s.as_bytes()[1..s.len() - 1].contains(&b'-') {
        flags |= HYPHEN;
    }
    flags
}

/// The flags of a token's characters (all but [`START`] and [`HYPHEN`]).
fn features(s: &str) -> Flags {
    if s.is_ascii() {
        ascii_features(s.as_bytes())
    } else {
        general_features(s)
    }
}

fn general_features(s: &str) -> Flags {
    let mut upper = 0usize;
    let mut lower = 0usize;
    let mut letters = 0usize;
    let mut digits = 0usize;
    let mut ascii_digits = 0usize;
    let mut chars = 0usize;
    let mut first_upper = false;
    let first_digit = s.chars().next().is_some_and(char::is_numeric);
    for (k, c) in s.chars().enumerate() {
        chars += 1;
        if c.is_alphabetic() {
            letters += 1;
            if c.is_uppercase() {
                upper += 1;
                first_upper |= k == 0;
            } else if c.is_lowercase() {
                lower += 1;
            }
        } else if c.is_numeric() {
            digits += 1;
            ascii_digits += c.is_ascii_digit() as usize;
        }
    }
    let mut f = 0;
    if first_digit {
        f |= NUM;
    }
    if first_upper {
        f |= CAP;
        if lower > 0 {
            f |= TITLE;
        }
    }
    if letters > 0 && lower == 0 && upper > 0 {
        f |= UPPER;
    }
    if letters > 0 && upper == 0 && lower > 0 {
        f |= LOWER;
    }
    if chars > 0 && ascii_digits == chars {
        f |= DIGIT;
    }
    if chars > 0 && letters == chars {
        f |= ALPHA;
    }
    if letters == 0 && digits == 0 && !s.chars().any(is_mark) {
        f |= PUNCT;
    }
    f
}

/// [`features`] for ASCII text, without decoding characters (most tokens).
fn ascii_features(b: &[u8]) -> Flags {
    let (mut upper, mut lower, mut digits) = (0usize, 0usize, 0usize);
    for &c in b {
        upper += c.is_ascii_uppercase() as usize;
        lower += c.is_ascii_lowercase() as usize;
        digits += c.is_ascii_digit() as usize;
    }
    let letters = upper + lower;
    let mut f = 0;
    match b.first() {
        Some(c) if c.is_ascii_digit() => f |= NUM,
        Some(c) if c.is_ascii_uppercase() => {
            f |= CAP;
            if lower > 0 {
                f |= TITLE;
            }
        }
        _ => {}
    }
    if upper > 0 && lower == 0 {
        f |= UPPER;
    }
    if lower > 0 && upper == 0 {
        f |= LOWER;
    }
    if !b.is_empty() && digits == b.len() {
        f |= DIGIT;
    }
    if !b.is_empty() && letters == b.len() {
        f |= ALPHA;
    }
    if letters == 0 && digits == 0 {
        f |= PUNCT;
    }
    f
}

/// Whether `s` has the word shape `shape`: upper-case letters are `X`, lower-case `x`, digits
/// `d`, other characters themselves, runs of one class cut after four (spaCy's `shape_`).
pub fn shape_matches(s: &str, shape: &str) -> bool {
    let mut want = shape.chars();
    let mut prev = '\0';
    let mut run = 0;
    for c in s.chars() {
        let class = if c.is_uppercase() {
            'X'
        } else if c.is_lowercase() || (c.is_alphabetic() && !c.is_uppercase()) {
            'x'
        } else if c.is_numeric() {
            'd'
        } else {
            c
        };
        if class == prev {
            run += 1;
        } else {
            prev = class;
            run = 1;
        }
        if run > 4 {
            continue;
        }
        if want.next() != Some(class) {
            return false;
        }
    }
    want.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        tokenize(text, &mut out);
        out.iter().map(|t| &text[t.start..t.end]).collect()
    }

    #[test]
    fn tokenizer_cases() {
        let cases: &[(&str, &[&str])] = &[
            ("Sergey Lavrov, Minister.", &["Sergey", "Lavrov", ",", "Minister", "."]),
            ("the NATO-Russia Council's", &["the", "NATO-Russia", "Council", "'s"]),
            ("Russia 's U.S. Mr. Smith E. P.", &["Russia", "'s", "U.S.", "Mr.", "Smith", "E.", "P."]),
            ("(INF) Treaty [retaliatory] <…>", &["(", "INF", ")", "Treaty", "[", "retaliatory", "]", "<", "…", ">"]),
            ("2,000 at 10:30, 18, 2021", &["2,000", "at", "10:30", ",", "18", ",", "2021"]),
            ("O'Neill AT&T said: \"no\"", &["O'Neill", "AT&T", "said", ":", "\"", "no", "\""]),
            ("Grushko\u{301} 北京 🇷🇺\u{200b}x", &["Grushko\u{301}", "北京", "🇷", "🇺", "x"]),
            ("", &[]),
        ];
        for (text, expected) in cases {
            assert_eq!(&toks(text), expected, "tokenizing {text:?}");
        }
    }

    #[test]
    fn flags_and_sentence_starts() {
        let text = "He said. \"NATO met in Brussels\nOn 18 x";
        let mut out = Vec::new();
        tokenize(text, &mut out);
        let starts: Vec<&str> = out.iter().filter(|t| t.flags & START != 0).map(|t| &text[t.start..t.end]).collect();
        assert_eq!(starts, ["He", "\"", "NATO", "On"]);
        assert_eq!(features("Lavrov"), TITLE | CAP | ALPHA);
        assert_eq!(features("NATO"), UPPER | CAP | ALPHA);
        assert_eq!(features("U.S."), UPPER | CAP);
        assert_eq!(features("2021"), DIGIT | NUM);
        assert_eq!(features("said"), LOWER | ALPHA);
        assert_eq!(features(","), PUNCT);
        assert_eq!(features("McCain"), TITLE | CAP | ALPHA);
        let mut toks = Vec::new();
        tokenize("NATO-Russia - x-", &mut toks);
        assert_eq!(
            toks.iter().map(|t| text_flags(&"NATO-Russia - x-"[t.start..t.end]) & HYPHEN != 0).collect::<Vec<_>>(),
            [true, false, false, false]
        );
        assert_eq!(text_flags("Lavrov"), TITLE | CAP | ALPHA);
        // The ASCII fast path agrees with the general one.
        for t in ["Lavrov", "NATO", "U.S.", "2021", "1st", "said", ",", "McCain", "x-Y", "A", "", "O'Neill", "2021-10-18", "e."] {
            assert_eq!(ascii_features(t.as_bytes()), general_features(t), "{t:?}");
        }
    }

    #[test]
    fn shapes() {
        assert!(shape_matches("Lavrov", "Xxxxx"));
        assert!(shape_matches("NATO", "XXXX"));
        assert!(shape_matches("2021", "dddd"));
        assert!(shape_matches("U.S.", "X.X."));
        assert!(!shape_matches("Lavrov", "Xxxx"));
        assert!(!shape_matches("Lav", "Xxxxx"));
    }
}
