//! The automata and the checks applied to their matches.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};
use nerlab_core::{Error, Label, Result};

use crate::config::CasePolicy;

/// How a pattern was derived from its entry, which decides when a match of it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// The entry as written: always counts.
    Exact,
    /// The entry's upper-case form: counts only in an all-caps line.
    Upper,
    /// A case variant of an entry of a case-insensitive gazetteer: always counts.
    Folded,
}

/// One entry after loading: what a match produces.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) label: u16,
    pub(crate) canonical: Option<Box<str>>,
    /// A given name: matches only followed by a capitalised word, which it extends over.
    pub(crate) trigger: bool,
}

/// An entry to add, with the policies of its gazetteer.
pub(crate) struct NewEntry<'a> {
    pub(crate) surface: &'a str,
    pub(crate) label: &'a Label,
    pub(crate) canonical: Option<&'a str>,
    pub(crate) case: CasePolicy,
    pub(crate) all_caps: bool,
    pub(crate) trigger: bool,
}

/// A match that passed the boundary and case checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DictMatch {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// Which entry matched (its index in load order, which is also its priority).
    pub entry: u32,
    /// Whether the match was extended over following words (a longer name than the entry,
    /// so the entry's canonical id does not apply).
    pub extended: bool,
}

/// Patterns of one automaton, each with the entries it stands for in priority order.
#[derive(Default)]
struct PatternSet {
    patterns: Vec<Box<str>>,
    slots: Vec<Vec<(u32, Variant)>>,
    ids: HashMap<Box<str>, u32>,
}

impl PatternSet {
    fn add(&mut self, key: Box<str>, pattern: &str, entry: u32, variant: Variant) {
        let id = *self.ids.entry(key).or_insert_with(|| {
            self.patterns.push(pattern.into());
            self.slots.push(Vec::new());
            (self.patterns.len() - 1) as u32
        });
        let slot = &mut self.slots[id as usize];
        // The same entry reached twice through one pattern: keep the more permissive variant.
        if let Some(existing) = slot.iter_mut().find(|(e, _)| *e == entry) {
            if existing.1 == Variant::Upper {
                existing.1 = variant;
            }
        } else {
            slot.push((entry, variant));
        }
    }

    fn build(self, ascii_case_insensitive: bool) -> Result<Option<Automaton>> {
        if self.patterns.is_empty() {
            return Ok(None);
        }
        // The default kind (a contiguous NFA for this many patterns): a DFA matched ~15%
        // faster on news text but took 5x the build time and 8x the memory (~300 MB).
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .ascii_case_insensitive(ascii_case_insensitive)
            .build(self.patterns.iter().map(|p| p.as_bytes()))
            .map_err(|e| Error::config(format!("cannot build the dictionary automaton: {e}")))?;
        Ok(Some(Automaton { ac, slots: self.slots }))
    }
}

struct Automaton {
    ac: AhoCorasick,
    slots: Vec<Vec<(u32, Variant)>>,
}

/// Collects entries, then builds the automata once.
#[derive(Default)]
pub(crate) struct MatcherBuilder {
    exact: PatternSet,
    folded: PatternSet,
    entries: Vec<Entry>,
    labels: Vec<Label>,
}

impl MatcherBuilder {
    pub(crate) fn add(&mut self, e: NewEntry<'_>) {
        let entry = self.entries.len() as u32;
        let label = match self.labels.iter().position(|l| l == e.label) {
            Some(i) => i as u16,
            None => {
                self.labels.push(e.label.clone());
                (self.labels.len() - 1) as u16
            }
        };
        self.entries.push(Entry { label, canonical: e.canonical.map(Into::into), trigger: e.trigger });
        match e.case {
            CasePolicy::Exact => {
                self.exact.add(e.surface.into(), e.surface, entry, Variant::Exact);
                let upper = e.surface.to_uppercase();
                if e.all_caps && upper != e.surface {
                    self.exact.add(upper.as_str().into(), &upper, entry, Variant::Upper);
                }
            }
            CasePolicy::Insensitive => {
                // The automaton folds ASCII case; non-ASCII letters need their case forms as
                // patterns of their own (`ZÜRICH`, `zürich`, `Épée` for `Zürich`, `épée`).
                let lower = e.surface.to_lowercase();
                let mut chars = lower.chars();
                let title: String = chars.next().into_iter().flat_map(char::to_uppercase).chain(chars).collect();
                for form in [e.surface.to_string(), lower, e.surface.to_uppercase(), title] {
                    self.folded.add(form.to_ascii_lowercase().into(), &form, entry, Variant::Folded);
                }
            }
        }
    }

    pub(crate) fn build(self, hyphen_splits: bool, extend_labels: &[Label], propagate: bool) -> Result<Matcher> {
        let extend: Vec<bool> = self.labels.iter().map(|l| extend_labels.contains(l)).collect();
        let extends_any = extend.contains(&true) || self.entries.iter().any(|e| e.trigger);
        Ok(Matcher {
            extend,
            extends_any,
            propagate,
            exact: self.exact.build(false)?,
            folded: self.folded.build(true)?,
            entries: self.entries,
            labels: self.labels,
            hyphen_splits,
        })
    }
}

/// The compiled dictionary: two Aho-Corasick automata (exact-case patterns with their
/// headline forms, and case-insensitive ones), and the entries they point to.
pub(crate) struct Matcher {
    exact: Option<Automaton>,
    folded: Option<Automaton>,
    pub(crate) entries: Vec<Entry>,
    pub(crate) labels: Vec<Label>,
    /// Per label index: whether its matches extend over following capitalised words.
    extend: Vec<bool>,
    /// Whether any entry is a trigger or any label extends (else the pass is skipped).
    extends_any: bool,
    /// Whether last names of matched people are found alone elsewhere in the document.
    propagate: bool,
    hyphen_splits: bool,
}

impl Matcher {
    /// The number of raw automaton matches in `text`, before any check: the cost of the
    /// automaton alone, for benchmarks.
    pub(crate) fn count_raw(&self, text: &str) -> usize {
        [&self.exact, &self.folded].into_iter().flatten().map(|a| a.ac.find_iter(text).count()).sum()
    }

    /// The accepted matches of `text`: on token boundaries, case policy respected,
    /// non-overlapping, leftmost-longest, earlier entries winning ties. Sorted by start.
    pub(crate) fn find(&self, text: &str) -> Vec<DictMatch> {
        let mut caps = CapsCache::default();
        let mut found = Vec::new();
        for automaton in [&self.exact, &self.folded].into_iter().flatten() {
            self.scan(automaton, text, &mut caps, &mut found);
        }
        if self.folded.is_some() && self.exact.is_some() {
            // Two automata: merge their (each non-overlapping) matches, leftmost-longest.
            found.sort_unstable_by_key(|m| (m.start, std::cmp::Reverse(m.end), m.entry));
            let mut last_end = 0;
            found.retain(|m| {
                let keep = m.start >= last_end;
                if keep {
                    last_end = m.end;
                }
                keep
            });
        }
        if self.extends_any {
            self.extend_names(text, &mut caps, &mut found);
        }
        if self.propagate {
            self.propagate_surnames(text, &mut found);
        }
        found
    }

    /// Within one document, a person's last name alone refers to the person named in full:
    /// each multi-word PER match teaches its last word (`Sergey Lavrov` → `Lavrov`), which
    /// is then found elsewhere in the text where nothing else matched.
    fn propagate_surnames(&self, text: &str, found: &mut Vec<DictMatch>) {
        let mut surnames: Vec<(&str, DictMatch)> = Vec::new();
        for m in found.iter() {
            if self.labels[self.entries[m.entry as usize].label as usize] != Label::PER {
                continue;
            }
            let Some(space) = text[m.start..m.end].rfind(' ') else { continue };
            let last = &text[m.start + space + 1..m.end];
            let capitalised = last.chars().next().is_some_and(char::is_uppercase) && last.chars().any(char::is_lowercase);
            if capitalised && last.chars().count() >= 3 && !surnames.iter().any(|(s, _)| *s == last) {
                surnames.push((last, *m));
            }
        }
        if surnames.is_empty() {
            return;
        }
        let mut added = Vec::new();
        for (surname, source) in surnames {
            for start in memchr::memmem::find_iter(text.as_bytes(), surname.as_bytes()) {
                let end = start + surname.len();
                let free = |ms: &[DictMatch]| {
                    let i = ms.partition_point(|m| m.end <= start);
                    !matches!(ms.get(i), Some(m) if m.start < end)
                };
                if self.on_boundaries(text, start, end) && free(found) && !added.iter().any(|m: &DictMatch| m.start < end && start < m.end)
                {
                    added.push(DictMatch { start, end, entry: source.entry, extended: source.extended });
                }
            }
        }
        if !added.is_empty() {
            found.extend(added);
            found.sort_unstable_by_key(|m| (m.start, m.end));
        }
    }

    /// Extends matches of the `extend` labels and given-name triggers over the capitalised
    /// words that follow them (`Michael` + `Green`), absorbing the matches those words had;
    /// drops triggers that nothing follows. Headline lines are left alone: there every word
    /// is capitalised.
    fn extend_names(&self, text: &str, caps: &mut CapsCache, found: &mut Vec<DictMatch>) {
        let mut out: Vec<DictMatch> = Vec::with_capacity(found.len());
        let mut i = 0;
        while i < found.len() {
            let m = found[i];
            i += 1;
            let entry = &self.entries[m.entry as usize];
            let extends = self.extend[entry.label as usize];
            if !entry.trigger && !extends {
                out.push(m);
                continue;
            }
            if caps.is_caps_line(text, m.start, m.end) {
                if !entry.trigger {
                    out.push(m);
                }
                continue;
            }
            let mut end = m.end;
            for _ in 0..MAX_EXTENSION_WORDS {
                let Some(word_end) = next_capitalised_word(text, end) else { break };
                let word_start = end + 1;
                // A following match: absorb it when it is this label's (one person's name
                // in two entries) or ends with the word; otherwise it is a name of its own.
                if let Some(next) = found.get(i).filter(|n| n.start < word_end) {
                    let same_label = self.entries[next.entry as usize].label == entry.label;
                    if next.start != word_start || !(same_label || next.end == word_end) {
                        break;
                    }
                    end = next.end;
                    i += 1;
                    continue;
                }
                end = word_end;
            }
            if entry.trigger && end == m.end {
                continue;
            }
            out.push(DictMatch { start: m.start, end, entry: m.entry, extended: end != m.end });
        }
        *found = out;
    }

    fn scan(&self, automaton: &Automaton, text: &str, caps: &mut CapsCache, found: &mut Vec<DictMatch>) {
        let mut pos = 0;
        while pos < text.len() {
            let Some(m) = automaton.ac.find(Input::new(text).range(pos..)) else { break };
            let (start, end) = (m.start(), m.end());
            let accepted = if self.on_boundaries(text, start, end) {
                automaton.slots[m.pattern().as_usize()].iter().find_map(|&(entry, variant)| match variant {
                    Variant::Exact | Variant::Folded => Some(entry),
                    Variant::Upper => caps.is_caps_line(text, start, end).then_some(entry),
                })
            } else {
                None
            };
            match accepted {
                Some(entry) => {
                    found.push(DictMatch { start, end, entry, extended: false });
                    pos = end;
                }
                // A rejected match: look again from its next character, so a match starting
                // inside it is still found (`York` in `nYork`).
                None => pos = start + text[start..].chars().next().map_or(1, char::len_utf8),
            }
        }
    }

    /// Whether `start..end` begins and ends on token boundaries.
    fn on_boundaries(&self, text: &str, start: usize, end: usize) -> bool {
        let span = &text[start..end];
        let (Some(first), Some(last)) = (span.chars().next(), span.chars().next_back()) else { return false };
        // An entry that starts or ends with punctuation (`(NATO)`, `U.S.`) has its boundary
        // built in on that side.
        if is_word_char(first) {
            let mut before = text[..start].chars().rev();
            match before.next() {
                Some(c) if is_word_char(c) => return false,
                // `O'Neill`: a letter, an apostrophe, then the match is inside a word.
                Some('\'' | '’') if before.next().is_some_and(char::is_alphanumeric) => return false,
                Some('-') if !self.hyphen_splits && before.next().is_some_and(char::is_alphanumeric) => return false,
                _ => {}
            }
        }
        if is_word_char(last) {
            let mut after = text[end..].chars();
            match after.next() {
                Some(c) if is_word_char(c) => return false,
                // `Russia's` is fine: a possessive is outside the span by the guidelines.
                Some('-') if !self.hyphen_splits && after.next().is_some_and(char::is_alphanumeric) => return false,
                _ => {}
            }
        }
        true
    }
}

/// The most words a name is extended by (`Jose Maria Olazabal Jr` is three after `Jose`).
const MAX_EXTENSION_WORDS: usize = 3;

/// The end of the capitalised word after one space at `pos`, if there is one: an upper-case
/// letter, then letters, digits, marks and inner hyphens or apostrophes (`O'Neill`,
/// `Smith-Jones`), or a single letter and a full stop (an initial, `J.`).
fn next_capitalised_word(text: &str, pos: usize) -> Option<usize> {
    let rest = text.get(pos..)?.strip_prefix(' ')?;
    let mut chars = rest.char_indices().peekable();
    let (_, first) = chars.next()?;
    if !first.is_uppercase() {
        return None;
    }
    let mut end = first.len_utf8();
    let mut letters = 1;
    while let Some(&(i, c)) = chars.peek() {
        if is_word_char(c) {
            letters += 1;
        } else if matches!(c, '-' | '\'' | '’') {
            // Inner only: a letter must follow.
            let next = rest[i + c.len_utf8()..].chars().next();
            if !next.is_some_and(is_word_char) {
                break;
            }
        } else if c == '.' && letters == 1 {
            end = i + 1;
            break;
        } else {
            break;
        }
        end = i + c.len_utf8();
        chars.next();
    }
    // Stop before a word written in capitals (`Lavrov TASS`) unless it is one letter.
    let word = &rest[..end];
    if letters > 1 && !word.chars().any(char::is_lowercase) {
        return None;
    }
    // The word must end on a boundary.
    if rest[end..].chars().next().is_some_and(is_word_char) {
        return None;
    }
    Some(pos + 1 + end)
}

/// Letters, digits and combining marks: a match may not start or end next to one.
/// Combining marks count so `Grushko` does not match in `Grushkó` written decomposed.
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    c.is_alphanumeric() || matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// Remembers whether the last line examined is written in capitals.
#[derive(Default)]
struct CapsCache {
    line: Option<(usize, usize, bool)>,
}

impl CapsCache {
    /// Whether the line holding `start..end` is a headline: at least two upper-case letters
    /// and at most one lower-case letter in ten.
    fn is_caps_line(&mut self, text: &str, start: usize, end: usize) -> bool {
        if let Some((s, e, caps)) = self.line {
            if s <= start && end <= e {
                return caps;
            }
        }
        let bytes = text.as_bytes();
        let s = memchr::memrchr(b'\n', &bytes[..start]).map_or(0, |i| i + 1);
        let e = memchr::memchr(b'\n', &bytes[end..]).map_or(text.len(), |i| end + i);
        let (mut upper, mut lower) = (0usize, 0usize);
        for c in text[s..e].chars() {
            if c.is_uppercase() {
                upper += 1;
            } else if c.is_lowercase() {
                lower += 1;
            }
        }
        let caps = upper >= 2 && lower * 10 <= upper + lower;
        self.line = Some((s, e, caps));
        caps
    }
}
