//! Rule files: reading, validating and compiling them into a [`RuleSet`], and running it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use nerlab_core::normalize::{Lexicon, Normalizer};
use nerlab_core::{Error, Label, Result};
use regex::Regex;
use serde::Deserialize;

use crate::pattern::{Ctx, LexKey, Program, Resolver, Test};
use crate::token::{self, Token, FLAG_NAMES, NO_ROW};

/// A rule file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    normalize: Option<NormalizeSection>,
    #[serde(default)]
    lists: BTreeMap<String, ListDef>,
    #[serde(default)]
    document: DocumentSection,
    #[serde(default)]
    rules: Vec<RuleDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NormalizeSection {
    /// Word list for hyphenation repair, relative to the rule file.
    words: Option<PathBuf>,
    #[serde(default = "yes")]
    quotes: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ListDef {
    Words(Vec<String>),
    Table(ListTable),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListTable {
    #[serde(default)]
    words: Vec<String>,
    file: Option<PathBuf>,
    #[serde(default)]
    ignore_case: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentSection {
    #[serde(default)]
    propagate: Vec<String>,
    #[serde(default)]
    surnames: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDef {
    name: String,
    pattern: String,
    label: Option<String>,
    #[serde(default)]
    block: bool,
    #[serde(default)]
    priority: i32,
    before: Option<String>,
    not_before: Option<String>,
}

/// One compiled rule.
#[derive(Debug)]
struct Rule {
    name: String,
    program: Program,
    /// `None` for a blocking rule.
    label: Option<Label>,
    priority: i32,
    /// The token before the match must pass this (so a match cannot start the document).
    before: Option<Test>,
    /// The token before the match, if any, must fail this.
    not_before: Option<Test>,
}

/// A compiled set of rules, ready to run on any number of documents.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    regexes: Vec<Regex>,
    exact: HashMap<String, u32>,
    lower: HashMap<String, u32>,
    /// Both lexicons in one map for lookups: word -> (exact row, lower-case row).
    words: HashMap<String, (u32, u32), FxBuild>,
    rows: Vec<u64>,
    width: usize,
    /// Candidate rules by lexicon row, for rules whose first token needs a word.
    exact_rules: Vec<Vec<u32>>,
    lower_rules: Vec<Vec<u32>>,
    /// Candidate rules by flag bit, for rules whose first token needs a flag.
    flag_rules: [Vec<u32>; FLAG_NAMES.len()],
    /// Rules to try everywhere.
    always: Vec<u32>,
    /// For every combination of flags, the flag-bucket and always rules together, so a token
    /// gathers its candidates from at most three lists.
    by_flags: Vec<Vec<u32>>,
    propagate: Vec<Label>,
    surnames: bool,
    normalizer: Option<Normalizer>,
    labels: Vec<Label>,
}

/// Which lexicon a bit lives in and the words that set it.
#[derive(Default)]
struct Compiler {
    bits: HashMap<LexKey, (bool, u32)>,
    lists: BTreeMap<String, (bool, Vec<String>)>,
    regexes: Vec<Regex>,
}

/// Whether `word` is exactly one token for the tokenizer (otherwise no token can equal it).
fn one_token(word: &str) -> bool {
    let mut toks = Vec::new();
    token::tokenize(word, &mut toks);
    toks.len() == 1 && toks[0].start == 0 && toks[0].end == word.len()
}

impl Resolver for Compiler {
    fn lex(&mut self, key: LexKey) -> std::result::Result<Test, String> {
        let lower = match &key {
            LexKey::Text(w) | LexKey::Lower(w) => {
                if !one_token(w) {
                    return Err(format!("literal {w:?} is not a single token, so it can never match"));
                }
                matches!(key, LexKey::Lower(_))
            }
            LexKey::List(name) => match self.lists.get(name) {
                Some((ignore_case, _)) => *ignore_case,
                None => return Err(format!("unknown list `@{name}`")),
            },
        };
        let next = self.bits.len() as u32;
        let (lower, bit) = *self.bits.entry(key).or_insert((lower, next));
        Ok(if lower { Test::Lower(bit) } else { Test::Exact(bit) })
    }

    fn regex(&mut self, source: &str) -> std::result::Result<usize, String> {
        let re = Regex::new(&format!("^(?:{source})$")).map_err(|e| {
            let detail = e.to_string().lines().last().unwrap_or_default().trim().to_string();
            format!("bad regex /{source}/: {detail}")
        })?;
        self.regexes.push(re);
        Ok(self.regexes.len() - 1)
    }
}

/// The 1-based line of the first occurrence of `needle` in `src`.
fn line_of(src: &str, needle: &str) -> Option<usize> {
    src.find(needle).map(|i| src[..i].matches('\n').count() + 1)
}

impl RuleSet {
    /// Reads and compiles the rule file at `path`; word-list files it names are resolved
    /// against its directory.
    ///
    /// # Errors
    /// When a file cannot be read, the TOML is malformed, or a rule or list is invalid: the
    /// error names the file, the line when known, and the rule or list.
    pub fn from_file(path: &Path) -> Result<RuleSet> {
        let src = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        RuleSet::from_str_in(&src, dir).map_err(|e| e.with_path(path))
    }

    /// Compiles rules given as a string, resolving file names against `dir`.
    ///
    /// # Errors
    /// As [`RuleSet::from_file`], without the file name.
    pub fn from_str_in(src: &str, dir: &Path) -> Result<RuleSet> {
        let file: RuleFile = toml::from_str(src).map_err(|e| {
            let err = Error::format(e.message().trim().replace('\n', " "));
            match e.span() {
                Some(span) => err.with_line(src[..span.start.min(src.len())].matches('\n').count() + 1),
                None => err,
            }
        })?;
        let mut compiler = Compiler::default();
        for (name, def) in &file.lists {
            let list_err = |msg: String| {
                let err = Error::format(format!("list {name:?}: {msg}"));
                match line_of(src, &format!("{name} =")).or_else(|| line_of(src, &format!("lists.{name}]"))) {
                    Some(l) => err.with_line(l),
                    None => err,
                }
            };
            let (ignore_case, mut words) = match def {
                ListDef::Words(w) => (false, w.clone()),
                ListDef::Table(t) => (t.ignore_case, t.words.clone()),
            };
            if let ListDef::Table(ListTable { file: Some(f), .. }) = def {
                let path = dir.join(f);
                let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
                words.extend(
                    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string),
                );
            }
            if words.is_empty() {
                return Err(list_err("the list is empty".into()));
            }
            for w in &words {
                if !one_token(w) {
                    return Err(list_err(format!("entry {w:?} is not a single token (lists hold single tokens)")));
                }
            }
            let words = if ignore_case { words.iter().map(|w| w.to_lowercase()).collect() } else { words };
            compiler.lists.insert(name.clone(), (ignore_case, words));
        }

        let mut rules = Vec::new();
        let mut labels = Vec::new();
        for def in &file.rules {
            let rule_err = |msg: String| {
                let err = Error::format(format!("rule {:?}: {msg}", def.name));
                match line_of(src, &format!("\"{}\"", def.name)) {
                    Some(l) => err.with_line(l),
                    None => err,
                }
            };
            if rules.iter().any(|r: &Rule| r.name == def.name) {
                return Err(rule_err("duplicate rule name".into()));
            }
            let label = match (&def.label, def.block) {
                (Some(l), false) => Some(Label::new(l).map_err(|e| rule_err(e.message().to_string()))?),
                (None, true) => None,
                (Some(_), true) => return Err(rule_err("a blocking rule has no label".into())),
                (None, false) => return Err(rule_err("missing `label` (or `block = true`)".into())),
            };
            let program = Program::compile(&def.pattern, &mut compiler).map_err(&rule_err)?;
            let mut context = |src: &Option<String>, field: &str| match src {
                None => Ok(None),
                Some(src) => Program::compile_test(src, &mut compiler).map(Some).map_err(|e| rule_err(format!("`{field}`: {e}"))),
            };
            let before = context(&def.before, "before")?;
            let not_before = context(&def.not_before, "not_before")?;
            if let Some(l) = &label {
                if !labels.contains(l) {
                    labels.push(l.clone());
                }
            }
            rules.push(Rule { name: def.name.clone(), program, label, priority: def.priority, before, not_before });
        }
        labels.sort();

        let mut propagate = Vec::new();
        for l in &file.document.propagate {
            propagate.push(Label::new(l).map_err(|e| Error::format(format!("[document] propagate: {}", e.message())))?);
        }
        if file.document.surnames && !labels.contains(&Label::PER) {
            return Err(Error::format("[document] surnames = true needs a rule with label PER"));
        }

        let normalizer = match &file.normalize {
            None => None,
            Some(n) => {
                let normalizer = match &n.words {
                    Some(w) => Normalizer::new(Lexicon::from_file(&dir.join(w))?),
                    None => Normalizer::default(),
                };
                Some(normalizer.with_quotes(n.quotes))
            }
        };

        let mut set = RuleSet {
            rules,
            regexes: std::mem::take(&mut compiler.regexes),
            exact: HashMap::new(),
            lower: HashMap::new(),
            words: HashMap::default(),
            rows: Vec::new(),
            width: 0,
            exact_rules: Vec::new(),
            lower_rules: Vec::new(),
            flag_rules: Default::default(),
            always: Vec::new(),
            by_flags: Vec::new(),
            propagate,
            surnames: file.document.surnames,
            normalizer,
            labels,
        };
        set.build_lexicon(&compiler);
        set.build_index();
        set.build_words();
        let width = set.width;
        for rule in &mut set.rules {
            rule.program.optimize(width);
            rule.before = rule.before.take().map(|t| t.optimize(width));
            rule.not_before = rule.not_before.take().map(|t| t.optimize(width));
        }
        Ok(set)
    }

    /// Fills the two lexicons: each word's row has the bits of the literals and lists it is in.
    fn build_lexicon(&mut self, compiler: &Compiler) {
        self.width = compiler.bits.len().div_ceil(64);
        let mut entries: Vec<(bool, &str, u32)> = Vec::new();
        for (key, &(lower, bit)) in &compiler.bits {
            match key {
                LexKey::Text(w) | LexKey::Lower(w) => entries.push((lower, w, bit)),
                LexKey::List(name) => {
                    if let Some((_, words)) = compiler.lists.get(name) {
                        entries.extend(words.iter().map(|w| (lower, w.as_str(), bit)));
                    }
                }
            }
        }
        // Rows of both maps share one table: exact rows first, then lower-case rows.
        for (lower, word, _) in entries {
            let map = if lower { &mut self.lower } else { &mut self.exact };
            let next = map.len() as u32;
            map.entry(word.to_string()).or_insert(next);
        }
        // Lay out rows now that both maps are complete.
        let n_exact = self.exact.len();
        for v in self.lower.values_mut() {
            *v += n_exact as u32;
        }
        self.rows = vec![0; (self.exact.len() + self.lower.len()) * self.width.max(1)];
        for (key, &(lower, bit)) in &compiler.bits {
            let words: Vec<&str> = match key {
                LexKey::Text(w) | LexKey::Lower(w) => vec![w.as_str()],
                LexKey::List(name) => compiler.lists.get(name).map(|(_, w)| w.iter().map(String::as_str).collect()).unwrap_or_default(),
            };
            let map = if lower { &self.lower } else { &self.exact };
            for w in words {
                if let Some(&row) = map.get(w) {
                    self.rows[row as usize * self.width + (bit / 64) as usize] |= 1 << (bit % 64);
                }
            }
        }
    }

    /// Merges both lexicons into the one map looked up per token.
    fn build_words(&mut self) {
        for (w, &row) in &self.exact {
            self.words.entry(w.clone()).or_insert((NO_ROW, NO_ROW)).0 = row;
        }
        for (w, &row) in &self.lower {
            self.words.entry(w.clone()).or_insert((NO_ROW, NO_ROW)).1 = row;
        }
    }

    /// Sorts rules into the first-token buckets that let most tokens skip most rules.
    fn build_index(&mut self) {
        let rows = self.exact.len() + self.lower.len();
        let mut row_rules: Vec<Vec<u32>> = vec![Vec::new(); rows];
        let mut row_of_bit: HashMap<(bool, u32), Vec<u32>> = HashMap::new();
        for (map, lower) in [(&self.exact, false), (&self.lower, true)] {
            for &row in map.values() {
                for bit in 0..(self.width * 64) as u32 {
                    if self.rows[row as usize * self.width + (bit / 64) as usize] & (1 << (bit % 64)) != 0 {
                        row_of_bit.entry((lower, bit)).or_default().push(row);
                    }
                }
            }
        }
        for (r, rule) in self.rules.iter().enumerate() {
            let r = r as u32;
            let keys: Vec<Key> = rule.program.first_tests().into_iter().flat_map(index_keys).collect();
            if keys.iter().any(|k| matches!(k, Key::Always)) {
                self.always.push(r);
                continue;
            }
            for key in keys {
                match key {
                    Key::Lex(lower, bit) => {
                        for &row in row_of_bit.get(&(lower, bit)).map(Vec::as_slice).unwrap_or_default() {
                            let list = &mut row_rules[row as usize];
                            if !list.contains(&r) {
                                list.push(r);
                            }
                        }
                    }
                    Key::Flag(f) => {
                        if !self.flag_rules[f].contains(&r) {
                            self.flag_rules[f].push(r);
                        }
                    }
                    Key::Always => {}
                }
            }
        }
        self.by_flags = (0..1usize << FLAG_NAMES.len())
            .map(|flags| {
                let mut list = self.always.clone();
                for (f, rules) in self.flag_rules.iter().enumerate() {
                    if flags & (1 << f) != 0 {
                        list.extend(rules.iter().filter(|r| !list.contains(r)).copied().collect::<Vec<_>>());
                    }
                }
                list
            })
            .collect();
        let n_exact = self.exact.len();
        self.lower_rules = row_rules.split_off(n_exact);
        self.exact_rules = row_rules;
    }

    /// The labels the rules can produce.
    pub fn labels(&self) -> &[Label] {
        &self.labels
    }

    /// The number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Finds entities in `text`: `(start, end, label)` byte spans of `text`, sorted.
    pub fn find(&self, text: &str) -> Vec<(usize, usize, Label)> {
        match &self.normalizer {
            Some(n) => {
                let normalized = n.normalize(text);
                let mut out: Vec<(usize, usize, Label)> = self
                    .find_normalized(&normalized.text)
                    .into_iter()
                    .map(|(s, e, l)| {
                        let (s, e) = normalized.to_original(s, e);
                        (s, e, l)
                    })
                    .filter(|(s, e, _)| s < e)
                    .collect();
                out.sort_by_key(|a| (a.0, a.1));
                out.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
                out
            }
            None => self.find_normalized(text),
        }
    }

    fn find_normalized(&self, text: &str) -> Vec<(usize, usize, Label)> {
        let mut tokens = Vec::new();
        token::tokenize(text, &mut tokens);
        let mut buf = String::new();
        for t in &mut tokens {
            let s = &text[t.start..t.end];
            let (exact, lower) = self.words.get(s).copied().unwrap_or((NO_ROW, NO_ROW));
            t.exact_row = exact;
            // Only a token with capitals needs a second lookup for its lower-case form.
            t.lower_row = if s.is_ascii() && !s.bytes().any(|b| b.is_ascii_uppercase()) {
                lower
            } else {
                buf.clear();
                if s.is_ascii() {
                    buf.extend(s.bytes().map(|b| b.to_ascii_lowercase() as char));
                } else {
                    buf.extend(s.chars().flat_map(char::to_lowercase));
                }
                if buf == s {
                    lower
                } else {
                    self.words.get(buf.as_str()).map_or(NO_ROW, |r| r.1)
                }
            };
        }
        let ctx = Ctx { text, tokens: &tokens, rows: &self.rows, width: self.width, regexes: &self.regexes };

        // Every rule's longest match at every start where its first token can match.
        let mut matches: Vec<Found> = Vec::new();
        let mut stamp = vec![u32::MAX; self.rules.len()];
        let mut stack = Vec::new();
        for (i, t) in tokens.iter().enumerate() {
            let mut try_rule = |r: u32| {
                if std::mem::replace(&mut stamp[r as usize], i as u32) == i as u32 {
                    return;
                }
                let rule = &self.rules[r as usize];
                if let Some(t) = &rule.before {
                    if i == 0 || !ctx.test(t, i - 1) {
                        return;
                    }
                }
                if let Some(t) = &rule.not_before {
                    if i > 0 && ctx.test(t, i - 1) {
                        return;
                    }
                }
                if let Some((_, s, e)) = rule.program.longest_at(&ctx, i, &mut stack) {
                    if s < e {
                        matches.push(Found { start: s, end: e, rule: r, priority: rule.priority });
                    }
                }
            };
            self.by_flags[t.flags as usize].iter().for_each(|&r| try_rule(r));
            if t.exact_row != NO_ROW {
                self.exact_rules[t.exact_row as usize].iter().for_each(|&r| try_rule(r));
            }
            if t.lower_row != NO_ROW {
                self.lower_rules[t.lower_row as usize - self.exact.len()].iter().for_each(|&r| try_rule(r));
            }
        }

        // Overlaps: longest first, then higher priority, then leftmost, then earlier rule.
        matches.sort_by(|a, b| {
            (b.end - b.start)
                .cmp(&(a.end - a.start))
                .then(b.priority.cmp(&a.priority))
                .then(a.start.cmp(&b.start))
                .then(a.rule.cmp(&b.rule))
        });
        let mut taken = vec![false; tokens.len()];
        let mut accepted: Vec<(usize, usize, Label)> = Vec::new();
        for m in &matches {
            if taken[m.start..m.end].iter().any(|&x| x) {
                continue;
            }
            taken[m.start..m.end].iter_mut().for_each(|x| *x = true);
            if let Some(label) = &self.rules[m.rule as usize].label {
                accepted.push((m.start, m.end, label.clone()));
            }
        }
        accepted.sort_by_key(|a| a.0);

        if !self.propagate.is_empty() || self.surnames {
            self.propagate_in_document(text, &tokens, &mut taken, &mut accepted);
        }
        let mut out: Vec<(usize, usize, Label)> =
            accepted.into_iter().map(|(s, e, l)| (tokens[s].start, tokens[e - 1].end, l)).collect();
        out.sort_by_key(|a| (a.0, a.1));
        out
    }

    /// Labels later mentions of names found earlier in the same document: the same token
    /// sequence (for the labels in `propagate`) and, with `surnames`, the last word of a
    /// multi-word person name.
    fn propagate_in_document(
        &self,
        text: &str,
        tokens: &[Token],
        taken: &mut [bool],
        accepted: &mut Vec<(usize, usize, Label)>,
    ) {
        let tok = |i: usize| -> &str { &text[tokens[i].start..tokens[i].end] };
        // First token -> (token texts, label); the first label seen for a sequence wins.
        let mut known: HashMap<&str, Vec<(Vec<&str>, Label)>, FxBuild> = HashMap::default();
        fn add<'t>(known: &mut HashMap<&'t str, Vec<(Vec<&'t str>, Label)>, FxBuild>, seq: Vec<&'t str>, label: &Label) {
            let entry = known.entry(seq[0]).or_default();
            if !entry.iter().any(|(s, _)| *s == seq) {
                entry.push((seq, label.clone()));
            }
        }
        // Tokens with the same text have the same features (but for START): a token whose
        // features no known first token has needs no lookup, which skips most tokens.
        let features = |i: usize| (tokens[i].flags & !token::START) as usize;
        let mut first_features = vec![false; 1 << FLAG_NAMES.len()];
        for (s, e, label) in accepted.iter() {
            if self.propagate.contains(label) {
                add(&mut known, (*s..*e).map(tok).collect(), label);
                first_features[features(*s)] = true;
            }
            if self.surnames && *label == Label::PER && e - s >= 2 {
                let last = e - 1;
                if tokens[last].flags & token::TITLE != 0 && tokens[last].flags & token::ALPHA != 0 {
                    add(&mut known, vec![tok(last)], label);
                    first_features[features(last)] = true;
                }
            }
        }
        if known.is_empty() {
            return;
        }
        for candidates in known.values_mut() {
            // Longer sequences first.
            candidates.sort_by_key(|c| std::cmp::Reverse(c.0.len()));
        }
        let mut i = 0;
        while i < tokens.len() {
            let mut step = 1;
            if !taken[i] && first_features[features(i)] {
                if let Some(candidates) = known.get(tok(i)) {
                    for (seq, label) in candidates {
                        let end = i + seq.len();
                        if end <= tokens.len()
                            && (i..end).all(|k| !taken[k] && tok(k) == seq[k - i])
                        {
                            taken[i..end].iter_mut().for_each(|x| *x = true);
                            accepted.push((i, end, label.clone()));
                            step = seq.len();
                            break;
                        }
                    }
                }
            }
            i += step;
        }
    }

    /// The names of the rules, in file order (for diagnostics).
    pub fn rule_names(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| r.name.as_str())
    }
}

/// FxHash (rustc's hasher): the lexicon's keys are short words from our own files, so
/// SipHash's protection against hostile keys buys nothing and costs a third of the lookups.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(K);
        }
    }
    fn write_u8(&mut self, b: u8) {
        self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxBuild = std::hash::BuildHasherDefault<FxHasher>;

struct Found {
    start: usize,
    end: usize,
    rule: u32,
    priority: i32,
}

#[derive(Clone)]
enum Key {
    Lex(bool, u32),
    Flag(usize),
    Always,
}

/// The buckets a first-token test can be filed under; `[Always]` when it has no cheap key.
fn index_keys(t: &Test) -> Vec<Key> {
    match t {
        Test::Exact(b) => vec![Key::Lex(false, *b)],
        Test::Lower(b) => vec![Key::Lex(true, *b)],
        Test::Flags(f) if *f != 0 => vec![Key::Flag(f.trailing_zeros() as usize)],
        // A conjunction needs each of its parts: the first word part, else the first flag.
        Test::And(all) => {
            let keys: Vec<Vec<Key>> = all.iter().map(index_keys).collect();
            let single = |k: &Vec<Key>, lex: bool| k.len() == 1 && matches!((&k[0], lex), (Key::Lex(..), true) | (Key::Flag(_), false));
            keys.iter()
                .find(|k| single(k, true))
                .or_else(|| keys.iter().find(|k| single(k, false)))
                .or_else(|| keys.iter().find(|k| !k.iter().any(|x| matches!(x, Key::Always))))
                .cloned()
                .unwrap_or_else(|| vec![Key::Always])
        }
        // A disjunction is filed under every option's keys.
        Test::Or(any) => {
            let keys: Vec<Key> = any.iter().flat_map(index_keys).collect();
            if keys.iter().any(|k| matches!(k, Key::Always)) {
                vec![Key::Always]
            } else {
                keys
            }
        }
        _ => vec![Key::Always],
    }
}
