//! Gazetteers learnt from an annotated corpus: every gold entity's surface with its majority
//! label, kept only where the corpus says the entry would mostly be right.
//!
//! This is how `cargo xtask gazetteer` builds `conll2003-train.tsv` from CoNLL-2003 `train`,
//! and how `cargo xtask gazetteer --from CORPUS` builds one from any corpus nerlab reads
//! (brat, CoNLL, JSONL) with any labels. The ambiguity handling, in both cases:
//!
//! - An entry's **precision is estimated on the corpus itself**: of the places its tokens
//!   occur (outside longer gold entities, see [`LearnSettings::inside_weight`]), the share
//!   that are a gold entity of its majority label. Below [`LearnSettings::min_precision`]
//!   the surface is left out (`Jordan` as a person and a country and a river).
//! - A one-word surface that the corpus mostly writes in lower case is a **common word**
//!   (`May`, `Bill`) and left out.
//! - Headline spellings (all capitals) of a surface count as that surface when they are not
//!   entries of their own.
//! - **Surnames**: the last word of multi-word names of [`LearnSettings::surname_label`]
//!   becomes an entry of its own when the corpus never shows it alone otherwise.
//!
//! Counting is on tokens, so a document is first cut into [`Segment`]s (its lines) of
//! tokens ([`segments`]): split at whitespace, at every gold entity boundary, and, for running
//! text, around punctuation ([`Tokenization::Words`]). The entry's surface is the original
//! text of its first occurrence.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;

use nerlab_core::{AnnotatedDocument, Label};

/// How a line of text is cut into tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tokenization {
    /// At whitespace only: for text that is already tokenised (a CoNLL file read by
    /// `nerlab_core`, whose tokens are joined by single spaces).
    Whitespace,
    /// At whitespace, and punctuation at either end of a word becomes a token of its own
    /// (`(NATO),` → `(` `NATO` `)` `,`; a final `.` unless the word is an abbreviation such
    /// as `U.S.`; a possessive `'s`).
    Words,
}

/// One line of a document as tokens, with its gold entities as token ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    text: String,
    tokens: Vec<Range<usize>>,
    /// Gold entities as `(first token, end token, label)`, end exclusive.
    pub entities: Vec<(usize, usize, Label)>,
}

impl Segment {
    /// A segment of ready-made tokens (joined by single spaces) and entities over them.
    pub fn from_tokens<S: AsRef<str>>(tokens: &[S], entities: Vec<(usize, usize, Label)>) -> Segment {
        let mut text = String::new();
        let mut ranges = Vec::with_capacity(tokens.len());
        for (i, t) in tokens.iter().enumerate() {
            if i > 0 {
                text.push(' ');
            }
            let start = text.len();
            text.push_str(t.as_ref());
            ranges.push(start..text.len());
        }
        Segment { text, tokens: ranges, entities }
    }

    /// How many tokens it has.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether it has no tokens.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The text of token `i`.
    pub fn token(&self, i: usize) -> &str {
        &self.text[self.tokens[i].clone()]
    }

    /// The original text of tokens `a..b` (with the spacing of the document).
    pub fn surface(&self, a: usize, b: usize) -> &str {
        &self.text[self.tokens[a].start..self.tokens[b - 1].end]
    }

    /// Tokens `a..b` joined by single spaces: the key entries are counted under.
    pub fn key(&self, a: usize, b: usize) -> String {
        (a..b).map(|i| self.token(i)).collect::<Vec<_>>().join(" ")
    }
}

/// Cuts `doc` into one [`Segment`] per line ([`AnnotatedDocument::lines`]: no line break
/// inside an entity ends a line; blank lines are left out).
pub fn segments(doc: &AnnotatedDocument, tokenization: Tokenization) -> Vec<Segment> {
    doc.lines()
        .into_iter()
        .map(|line| {
            let text = line.document.text;
            let cuts: BTreeSet<usize> = line.entities.iter().flat_map(|e| [e.start, e.end]).collect();
            let tokens = tokenize(&text, tokenization, &cuts);
            let token_at = |offset: usize, end: bool| tokens.iter().position(|t| if end { t.end == offset } else { t.start == offset });
            let entities =
                line.entities.into_iter().filter_map(|e| Some((token_at(e.start, false)?, token_at(e.end, true)? + 1, e.label))).collect();
            Segment { text, tokens, entities }
        })
        .collect()
}

const OPENING: &[char] = &['(', '[', '{', '"', '\'', '“', '‘', '«', '¿', '¡'];
const CLOSING: &[char] = &[')', ']', '}', '"', '\'', '”', '’', '»', ',', ';', ':', '!', '?'];

/// Byte ranges of the tokens of `line`; every offset of `cuts` is a token boundary.
fn tokenize(line: &str, tokenization: Tokenization, cuts: &BTreeSet<usize>) -> Vec<Range<usize>> {
    let mut tokens = Vec::new();
    let mut pieces = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices().chain(std::iter::once((line.len(), ' '))) {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                pieces.push(s..i);
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    for piece in pieces {
        let words = match tokenization {
            Tokenization::Whitespace => vec![piece],
            Tokenization::Words => split_punctuation(line, piece),
        };
        for word in words {
            // Gold boundaries inside a token cut it too (`NATO-led` with gold `NATO`).
            let mut s = word.start;
            for &cut in cuts.range(word.start + 1..word.end) {
                if line.is_char_boundary(cut) {
                    tokens.push(s..cut);
                    s = cut;
                }
            }
            tokens.push(s..word.end);
        }
    }
    tokens
}

/// Splits punctuation off both ends of the word `piece` of `line`.
fn split_punctuation(line: &str, piece: Range<usize>) -> Vec<Range<usize>> {
    let (mut start, mut end) = (piece.start, piece.end);
    let mut leading = Vec::new();
    while let Some(c) = line[start..end].chars().next().filter(|c| OPENING.contains(c)) {
        if start + c.len_utf8() == end {
            break;
        }
        leading.push(start..start + c.len_utf8());
        start += c.len_utf8();
    }
    let mut trailing = Vec::new();
    loop {
        let word = &line[start..end];
        let cut = if let Some(c) = word.chars().next_back().filter(|c| CLOSING.contains(c)) {
            c.len_utf8()
        } else if word.ends_with("'s") || word.ends_with("’s") {
            word.len() - word.rfind(['\'', '’']).expect("ends with an apostrophe and s")
        } else if word.ends_with('.') && !word[..word.len() - 1].contains('.') && word.chars().count() > 2 {
            1
        } else {
            0
        };
        if cut == 0 || cut == word.len() {
            break;
        }
        trailing.push(end - cut..end);
        end -= cut;
    }
    leading.push(start..end);
    leading.extend(trailing.into_iter().rev());
    leading
}

/// Whether `s` has at least two letters and no lower-case one (a headline spelling).
pub fn all_caps(s: &str) -> bool {
    s.chars().filter(|c| c.is_alphabetic()).count() >= 2 && !s.chars().any(char::is_lowercase)
}

/// How one token sequence is used in the corpus: as exact entities of each label, or elsewhere.
#[derive(Debug, Default, Clone)]
pub struct Usage {
    /// Occurrences that are exactly a gold entity, per label.
    pub as_entity: BTreeMap<Label, usize>,
    /// Occurrences, those strictly inside a gold entity weighted by the inside weight.
    pub total: f64,
}

impl Usage {
    /// The most frequent label with its count; ties go to the alphabetically first label, so
    /// the result does not depend on hashing.
    pub fn majority(&self) -> Option<(&Label, usize)> {
        self.as_entity.iter().map(|(l, &n)| (l, n)).max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
    }
}

/// Counts over a corpus: its lower-case words, and the usage of chosen token sequences.
#[derive(Debug, Clone)]
pub struct CorpusStats {
    /// Lower-case tokens by count: the common words.
    lower: HashMap<String, usize>,
    /// Usage of every counted key (headline spellings folded onto their mixed-case key).
    usage: HashMap<String, Usage>,
}

impl CorpusStats {
    /// The lower-case words of `segments`; no key counted yet.
    pub fn new(segments: &[Segment]) -> CorpusStats {
        let mut lower = HashMap::new();
        for s in segments {
            for t in (0..s.len()).map(|i| s.token(i)) {
                if t.chars().any(char::is_alphabetic) && !t.chars().any(char::is_uppercase) {
                    *lower.entry(t.to_string()).or_insert(0) += 1;
                }
            }
        }
        CorpusStats { lower, usage: HashMap::new() }
    }

    /// The same lower-case words, without the usage counted so far.
    pub fn without_usage(&self) -> CorpusStats {
        CorpusStats { lower: self.lower.clone(), usage: HashMap::new() }
    }

    /// Counts how the token sequences `keys` (tokens joined by single spaces) are used in
    /// `segments`; headline spellings of a key count as the key. An occurrence strictly inside
    /// a longer gold entity counts `inside_weight` towards the total.
    pub fn count(&mut self, segments: &[Segment], keys: impl IntoIterator<Item = String>, inside_weight: f64) {
        let mut upper_to_key: HashMap<String, String> = HashMap::new();
        let mut max_len = 1;
        for k in keys {
            max_len = max_len.max(k.split(' ').count());
            if !all_caps(&k) {
                upper_to_key.insert(k.to_uppercase(), k.clone());
            }
            self.usage.entry(k).or_default();
        }
        for s in segments {
            for i in 0..s.len() {
                let mut key = String::new();
                for j in i..(i + max_len).min(s.len()) {
                    if j > i {
                        key.push(' ');
                    }
                    key.push_str(s.token(j));
                    let k = if self.usage.contains_key(&key) {
                        key.clone()
                    } else if let Some(k) = all_caps(&key).then(|| upper_to_key.get(&key)).flatten() {
                        k.clone()
                    } else {
                        continue;
                    };
                    let end = j + 1;
                    let exact = s.entities.iter().find(|&&(a, b, _)| a == i && b == end);
                    let inside = s.entities.iter().any(|&(a, b, _)| a <= i && end <= b && (a, b) != (i, end));
                    let usage = self.usage.get_mut(&k).expect("key present");
                    if let Some((_, _, label)) = exact {
                        *usage.as_entity.entry(label.clone()).or_insert(0) += 1;
                        usage.total += 1.0;
                    } else if inside {
                        usage.total += inside_weight;
                    } else {
                        usage.total += 1.0;
                    }
                }
            }
        }
    }

    /// The usage of a counted key.
    pub fn usage(&self, key: &str) -> Option<&Usage> {
        self.usage.get(key)
    }

    /// Whether a one-word `surface` is mostly a lower-case common word: written in lower case
    /// more often than capitalised (capitalised occurrences include the sentence starts where
    /// a common word is capitalised too).
    pub fn common_word(&self, surface: &str) -> bool {
        if surface.contains(' ') {
            return false;
        }
        let lower = self.lower.get(&surface.to_lowercase()).copied().unwrap_or(0);
        let seen = self.usage.get(surface).map_or(0.0, |u| u.total);
        lower >= 2 && lower as f64 > seen
    }
}

/// The thresholds of [`learn`].
#[derive(Debug, Clone, PartialEq)]
pub struct LearnSettings {
    /// An entry is kept when its majority label covers at least this share of the places its
    /// tokens occur: an estimate of its precision. Default 0.5.
    pub min_precision: f64,
    /// How much an occurrence strictly inside a longer gold entity counts against an entry: a
    /// longer entry usually wins there (leftmost-longest matching), but not when the longer
    /// name is new. Default 0.
    pub inside_weight: f64,
    /// The label whose multi-word names give surname entries (default PER); `None` for none.
    pub surname_label: Option<Label>,
}

impl Default for LearnSettings {
    fn default() -> LearnSettings {
        LearnSettings { min_precision: 0.5, inside_weight: 0.0, surname_label: Some(Label::PER) }
    }
}

/// One learnt gazetteer entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LearnedEntry {
    /// The text to find, as the corpus writes it.
    pub surface: String,
    /// Its majority label.
    pub label: Label,
    /// The canonical id given by `known_id`, or for a surname the one full name it ends.
    pub canonical: Option<String>,
    /// Whether it is a surname entry rather than a whole gold entity.
    pub surname: bool,
}

/// The gazetteer entries `segments` support (see the module docs for the rules), sorted.
/// `known_id` gives the canonical id of a surface and label when an outside list knows it.
pub fn learn(segments: &[Segment], settings: &LearnSettings, known_id: impl Fn(&str, &Label) -> Option<String>) -> Vec<LearnedEntry> {
    // Key (tokens joined by spaces) → the original text of its first occurrence.
    let mut surfaces: BTreeMap<String, String> = BTreeMap::new();
    // Surnames: the last token of multi-token names, with the full names they end.
    let mut surnames: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in segments {
        for (a, b, label) in &s.entities {
            let (a, b) = (*a, *b);
            let key = s.key(a, b);
            if settings.surname_label.as_ref() == Some(label) && b - a >= 2 {
                let last = s.token(b - 1);
                if last.chars().count() >= 3 && last.chars().next().is_some_and(char::is_uppercase) && !all_caps(last) {
                    surnames.entry(last.to_string()).or_default().insert(s.surface(a, b).to_string());
                }
            }
            surfaces.entry(key).or_insert_with(|| s.surface(a, b).to_string());
        }
    }
    let mut stats = CorpusStats::new(segments);
    stats.count(segments, surfaces.keys().cloned().chain(surnames.keys().cloned()), settings.inside_weight);
    let mut out = Vec::new();
    for (key, surface) in &surfaces {
        // Headline spellings are entries of their own with their own counts: in CoNLL a
        // capitalised city in a results table is mostly a team (ORG), unlike in text.
        let Some(usage) = stats.usage(key) else { continue };
        let Some((label, n)) = usage.majority() else { continue };
        if surface.chars().count() < 2 || (n as f64) < settings.min_precision * usage.total || stats.common_word(key) {
            continue;
        }
        // Tokenisation noise (`, Inc.`, `**General`): a name starts with a letter or digit.
        if !surface.chars().next().is_some_and(char::is_alphanumeric) {
            continue;
        }
        let canonical = known_id(surface, label);
        out.push(LearnedEntry { surface: surface.clone(), label: label.clone(), canonical, surname: false });
    }
    let label = settings.surname_label.clone().unwrap_or(Label::PER);
    for (surname, names) in &surnames {
        if surfaces.contains_key(surname) || stats.common_word(surname) {
            continue;
        }
        // Never seen alone: nothing contradicts reading it as the person.
        if stats.usage(surname).is_some_and(|u| u.total > 0.0) {
            continue;
        }
        let canonical = if names.len() == 1 { names.iter().next().expect("one name").clone() } else { surname.clone() };
        out.push(LearnedEntry { surface: surname.clone(), label: label.clone(), canonical: Some(canonical), surname: true });
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use nerlab_core::{Document, Entity};

    fn doc(text: &str, spans: &[(&str, &str)]) -> AnnotatedDocument {
        let mut from = 0;
        let entities = spans
            .iter()
            .map(|(surface, label)| {
                let start = from + text[from..].find(surface).expect("span in text");
                from = start + surface.len();
                Entity::new(text, start, from, Label::new(label).unwrap()).unwrap()
            })
            .collect();
        AnnotatedDocument { document: Document::new("d", text), entities }
    }

    fn tokens(s: &Segment) -> Vec<&str> {
        (0..s.len()).map(|i| s.token(i)).collect()
    }

    #[test]
    fn running_text_is_cut_around_punctuation_and_gold_boundaries() {
        let d = doc(
            "(Shares rose 3%, on Oct. 18, 2021.) The U.S. fund's NATO-led plan.\nNext line",
            &[("3%", "PERCENT"), ("Oct. 18, 2021", "DATE"), ("NATO", "ORG")],
        );
        let segs = segments(&d, Tokenization::Words);
        assert_eq!(segs.len(), 2);
        assert_eq!(
            tokens(&segs[0]),
            [
                "(", "Shares", "rose", "3%", ",", "on", "Oct", ".", "18", ",", "2021", ".", ")", "The", "U.S.", "fund", "'s", "NATO",
                "-led", "plan", "."
            ]
        );
        let dates: Vec<_> = segs[0].entities.iter().map(|(a, b, l)| (segs[0].surface(*a, *b), segs[0].key(*a, *b), l.as_str())).collect();
        assert_eq!(dates[1], ("Oct. 18, 2021", "Oct . 18 , 2021".to_string(), "DATE"));
        assert_eq!(dates[2].0, "NATO");
        assert_eq!(tokens(&segs[1]), ["Next", "line"]);
        // Pre-tokenised text keeps its tokens.
        let conll = doc("U.S. Inc. ( NATO )", &[("NATO", "ORG")]);
        assert_eq!(tokens(&segments(&conll, Tokenization::Whitespace)[0]), ["U.S.", "Inc.", "(", "NATO", ")"]);
    }

    #[test]
    fn ambiguous_and_common_surfaces_are_left_out() {
        let corpus = [
            doc("Jordan met Smith in Amman on Monday .", &[("Jordan", "PER"), ("Smith", "PER"), ("Amman", "LOC"), ("Monday", "DATE")]),
            doc("Troops left Jordan on Monday .", &[("Jordan", "LOC"), ("Monday", "DATE")]),
            doc("The Jordan river rose on Friday .", &[("Friday", "DATE")]),
            doc("Jordan visited Amman .", &[("Amman", "LOC")]),
            doc("May 2020 was dry ; it may rain and they may go .", &[("May 2020", "DATE")]),
            doc("May was wet .", &[("May", "DATE")]),
            doc("John Smith spoke .", &[("John Smith", "PER")]),
            doc("Anna Karlsson spoke .", &[("Anna Karlsson", "PER")]),
        ];
        let segs: Vec<Segment> = corpus.iter().flat_map(|d| segments(d, Tokenization::Words)).collect();
        let learned = learn(&segs, &LearnSettings::default(), |s, _| (s == "Amman").then(|| "geonames:250441".to_string()));
        let got: Vec<(&str, &str, Option<&str>, bool)> =
            learned.iter().map(|e| (e.surface.as_str(), e.label.as_str(), e.canonical.as_deref(), e.surname)).collect();
        assert_eq!(
            got,
            [
                ("Amman", "LOC", Some("geonames:250441"), false),
                ("Anna Karlsson", "PER", None, false),
                ("Friday", "DATE", None, false),
                // `Karlsson` is never seen alone: a surname entry pointing at the full name.
                ("Karlsson", "PER", Some("Anna Karlsson"), true),
                ("May 2020", "DATE", None, false),
                ("Monday", "DATE", None, false),
                // `John Smith` (1 of 1) stays; `Smith` alone is a gold PER once in one
                // occurrence besides the one inside `John Smith` (which counts 0).
                ("John Smith", "PER", None, false),
                ("Smith", "PER", None, false),
            ]
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
        );
        // `Jordan`: PER 1, LOC 1, plain 2 → precision 0.25. `May` is mostly a lower-case word.
        assert!(!learned.iter().any(|e| e.surface == "Jordan" || e.surface == "May"));
        // A stricter threshold drops what is right only half the time.
        let two = [doc("Paris is big .", &[("Paris", "LOC")]), doc("Paris Hilton .", &[])];
        let segs: Vec<Segment> = two.iter().flat_map(|d| segments(d, Tokenization::Words)).collect();
        assert_eq!(learn(&segs, &LearnSettings::default(), |_, _| None).len(), 1);
        let strict = LearnSettings { min_precision: 0.6, ..LearnSettings::default() };
        assert!(learn(&segs, &strict, |_, _| None).is_empty());
    }

    #[test]
    fn headline_spellings_count_as_their_mixed_case_key() {
        let corpus = [doc("Paris is big .", &[("Paris", "LOC")]), doc("PARIS WINS AGAIN", &[])];
        let segs: Vec<Segment> = corpus.iter().flat_map(|d| segments(d, Tokenization::Whitespace)).collect();
        let mut stats = CorpusStats::new(&segs);
        stats.count(&segs, ["Paris".to_string()], 0.0);
        let usage = stats.usage("Paris").unwrap();
        assert_eq!((usage.total, usage.majority()), (2.0, Some((&Label::LOC, 1))));
    }
}
