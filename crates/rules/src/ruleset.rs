//! Rule files: reading, validating and compiling them into a [`RuleSet`], and running it.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use nerlab_core::normalize::{Lexicon, Normalizer};
use nerlab_core::{Error, Label, Result};
use regex::Regex;
use serde::Deserialize;
use thread_local::ThreadLocal;

use crate::classes::{FxBuild, Memo, TextEntry, UNKNOWN};
use crate::pattern::{GaveUp, LexKey, Probe, Program, Resolver, Tables, Test, MAX_MATCH_TOKENS, STEP_BUDGET};
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
    /// The token before the match must pass this test (so a match cannot start the document).
    before: Option<u32>,
    /// The token before the match, if any, must fail this test.
    not_before: Option<u32>,
    /// The tests one of which a match's first token passes.
    first_tests: Vec<u32>,
    /// Every test the rule's program uses (its DFA's view of a token).
    tests_used: Vec<u32>,
}

/// A compiled set of rules, ready to run on any number of documents.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Every distinct token test of every rule, numbered; instructions refer to these numbers.
    tests: Vec<Test>,
    regexes: Vec<Regex>,
    exact: HashMap<String, u32>,
    lower: HashMap<String, u32>,
    /// Both lexicons in one map for lookups: word -> (exact row, lower-case row).
    words: HashMap<String, (u32, u32), FxBuild>,
    rows: Vec<u64>,
    width: usize,
    /// Memos of token classes, one per thread that runs [`RuleSet::find`]: each thread keeps
    /// its own, so that a memo stays in the cache of the core that warmed it and threads share
    /// no lock per document (with a shared pool, two threads spent about 8% more CPU than one;
    /// README, "Large corpora", for the speed-up since). A memo is taken out while in use: one
    /// that a panic interrupted is never used again.
    memos: ThreadLocal<RefCell<Option<Memo>>>,
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

/// The rule file's TOML, with the line of a syntax error.
fn parse_rule_file(src: &str) -> Result<RuleFile> {
    toml::from_str(src).map_err(|e| {
        let err = Error::format(e.message().trim().replace('\n', " "));
        match e.span() {
            Some(span) => err.with_line(src[..span.start.min(src.len())].matches('\n').count() + 1),
            None => err,
        }
    })
}

/// Reads the word lists (inline or from files relative to `dir`) into the compiler, checking
/// that each is non-empty and holds single tokens.
fn compile_lists(file: &RuleFile, src: &str, dir: &Path, compiler: &mut Compiler) -> Result<()> {
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
            words.extend(text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string));
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
    Ok(())
}

/// The rules compiled, before their tests are numbered.
struct CompiledRules {
    rules: Vec<Rule>,
    /// Each rule's `before` and `not_before` tests, numbered with the others later.
    contexts: Vec<(Option<Test>, Option<Test>)>,
    /// The labels the rules give, sorted.
    labels: Vec<Label>,
}

/// Compiles every rule's pattern and context tests; errors name the rule and its line.
fn compile_rules(file: &RuleFile, src: &str, compiler: &mut Compiler) -> Result<CompiledRules> {
    let mut rules = Vec::new();
    let mut contexts = Vec::new();
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
        let program = Program::compile(&def.pattern, compiler).map_err(&rule_err)?;
        let mut context = |src: &Option<String>, field: &str| match src {
            None => Ok(None),
            Some(src) => Program::compile_test(src, compiler).map(Some).map_err(|e| rule_err(format!("`{field}`: {e}"))),
        };
        let before = context(&def.before, "before")?;
        let not_before = context(&def.not_before, "not_before")?;
        if let Some(l) = &label {
            if !labels.contains(l) {
                labels.push(l.clone());
            }
        }
        contexts.push((before, not_before));
        rules.push(Rule {
            name: def.name.clone(),
            program,
            label,
            priority: def.priority,
            before: None,
            not_before: None,
            first_tests: Vec::new(),
            tests_used: Vec::new(),
        });
    }
    labels.sort();
    Ok(CompiledRules { rules, contexts, labels })
}

/// The `[document]` section checked against the rules' `labels`: the labels to propagate.
fn document_labels(document: &DocumentSection, labels: &[Label]) -> Result<Vec<Label>> {
    let mut propagate = Vec::new();
    for l in &document.propagate {
        propagate.push(Label::new(l).map_err(|e| Error::format(format!("[document] propagate: {}", e.message())))?);
    }
    if document.surnames && !labels.contains(&Label::PER) {
        return Err(Error::format("[document] surnames = true needs a rule with label PER"));
    }
    Ok(propagate)
}

/// The `[normalize]` section's normaliser, its word list relative to `dir`.
fn normalizer(section: Option<&NormalizeSection>, dir: &Path) -> Result<Option<Normalizer>> {
    let Some(n) = section else { return Ok(None) };
    let normalizer = match &n.words {
        Some(w) => Normalizer::new(Lexicon::from_file(&dir.join(w))?),
        None => Normalizer::default(),
    };
    Ok(Some(normalizer.with_quotes(n.quotes)))
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
        let file = parse_rule_file(src)?;
        let mut compiler = Compiler::default();
        compile_lists(&file, src, dir, &mut compiler)?;
        let CompiledRules { rules, contexts, labels } = compile_rules(&file, src, &mut compiler)?;
        let propagate = document_labels(&file.document, &labels)?;
        let normalizer = normalizer(file.normalize.as_ref(), dir)?;
        let mut set = RuleSet {
            rules,
            tests: Vec::new(),
            regexes: std::mem::take(&mut compiler.regexes),
            exact: HashMap::new(),
            lower: HashMap::new(),
            words: HashMap::default(),
            rows: Vec::new(),
            width: 0,
            memos: ThreadLocal::new(),
            propagate,
            surnames: file.document.surnames,
            normalizer,
            labels,
        };
        set.build_lexicon(&compiler);
        set.build_words();
        set.number_tests(contexts);
        Ok(set)
    }

    /// Optimises every test for the lexicon and files it in the shared table, once per
    /// distinct test: rules share tests (`title & !@not_name`, `"of"`), and a token's class
    /// holds one result per table entry.
    fn number_tests(&mut self, contexts: Vec<(Option<Test>, Option<Test>)>) {
        let width = self.width;
        let mut numbers: HashMap<String, u32> = HashMap::new();
        let tests = &mut self.tests;
        let mut number = |test: Test| -> u32 {
            let test = test.optimize(width);
            // The debug form spells out the whole test, bit masks included: equal forms are
            // equal tests.
            *numbers.entry(format!("{test:?}")).or_insert_with(|| {
                tests.push(test);
                tests.len() as u32 - 1
            })
        };
        for (rule, (before, not_before)) in self.rules.iter_mut().zip(contexts) {
            rule.program.renumber_tests(&mut number);
            rule.before = before.map(&mut number);
            rule.not_before = not_before.map(&mut number);
            rule.first_tests = rule.program.first_tests();
            rule.tests_used = rule.program.tests_used();
        }
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
    /// Attempts that hit a bound are left out silently; [`RuleSet::find_reporting`] says which.
    pub fn find(&self, text: &str) -> Vec<(usize, usize, Label)> {
        self.find_reporting(text).0
    }

    /// [`RuleSet::find`], and the attempts that gave up at a bound (at most one per rule: the
    /// first), whose matches, and any of the same rule they could overlap, are left out
    /// rather than reported shorter than they are.
    pub fn find_reporting(&self, text: &str) -> (Vec<(usize, usize, Label)>, Vec<BoundHit>) {
        match &self.normalizer {
            Some(n) => {
                let normalized = n.normalize(text);
                let (found, mut hits) = self.find_normalized(&normalized.text);
                for hit in &mut hits {
                    hit.byte = normalized.to_original(hit.byte, hit.byte).0;
                }
                let mut out: Vec<(usize, usize, Label)> = found
                    .into_iter()
                    .map(|(s, e, l)| {
                        let (s, e) = normalized.to_original(s, e);
                        (s, e, l)
                    })
                    .filter(|(s, e, _)| s < e)
                    .collect();
                out.sort_by_key(|a| (a.0, a.1));
                out.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
                (out, hits)
            }
            None => self.find_normalized(text),
        }
    }

    fn find_normalized(&self, text: &str) -> (Vec<(usize, usize, Label)>, Vec<BoundHit>) {
        let mut tokens = Vec::new();
        token::tokenize(text, &mut tokens);
        // This thread's memo, or a fresh one; put back after.
        let slot = self.memos.get_or_default();
        let taken = slot.borrow_mut().take();
        let mut memo = taken.unwrap_or_else(|| Memo::new(self.tests.len(), self.rules.len()));
        let (mut matches, gave_up) = self.match_rules(&mut memo, text, &mut tokens);
        *slot.borrow_mut() = Some(memo);
        let hits = self.drop_unsure(&mut matches, &gave_up, &tokens);

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
        let mut out: Vec<(usize, usize, Label)> = accepted.into_iter().map(|(s, e, l)| (tokens[s].start, tokens[e - 1].end, l)).collect();
        out.sort_by_key(|a| (a.0, a.1));
        (out, hits)
    }

    /// Removes the matches of a rule that overlap a stretch where one of its attempts gave up
    /// (the unknown longest match there could have beaten them), and describes the first
    /// give-up of each rule.
    fn drop_unsure(&self, matches: &mut Vec<Found>, gave_up: &[Unsure], tokens: &[Token]) -> Vec<BoundHit> {
        if gave_up.is_empty() {
            return Vec::new();
        }
        let mut stretches: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.rules.len()];
        let mut hits: Vec<BoundHit> = Vec::new();
        for &Unsure { rule, start, end, why } in gave_up {
            stretches[rule as usize].push((start, end));
            if !hits.iter().any(|h| h.rule == self.rules[rule as usize].name) {
                hits.push(BoundHit { rule: self.rules[rule as usize].name.clone(), byte: tokens[start].start, bound: why });
            }
        }
        matches.retain(|m| !stretches[m.rule as usize].iter().any(|&(s, e)| m.start < e && s < m.end));
        hits
    }

    /// Every rule's longest match at every start where it can match, with the classes of
    /// `memo` (which learns the texts it has not seen); and the attempts that gave up.
    ///
    /// Work is linear in the number of tokens: an attempt reads at most
    /// [`MAX_MATCH_TOKENS`] tokens and takes at most [`STEP_BUDGET`] steps, and after an
    /// attempt gives up its rule skips the stretch its match could reach (found by one DFA
    /// walk), since none of its matches there could be trusted.
    fn match_rules(&self, memo: &mut Memo, text: &str, tokens: &mut [Token]) -> (Vec<Found>, Vec<Unsure>) {
        memo.trim();
        self.classify(memo, text, tokens);
        let tokens = &*tokens;
        let mut matches: Vec<Found> = Vec::new();
        let mut gave_up = Vec::new();
        // Per rule, the first token it may be tried at again after giving up.
        let mut resume = vec![0usize; self.rules.len()];
        let mut stack = Vec::new();
        let mut candidates = Vec::new();
        for i in 0..tokens.len() {
            // A copy: the DFA walks below extend the memo.
            candidates.clear();
            candidates.extend_from_slice(memo.candidates(tokens[i].class));
            for &r in &candidates {
                if i < resume[r as usize] {
                    continue;
                }
                let rule = &self.rules[r as usize];
                if let Some(test) = rule.before {
                    if i == 0 || !memo.passes_at(tokens, test, i - 1) {
                        continue;
                    }
                }
                if let Some(test) = rule.not_before {
                    if i > 0 && memo.passes_at(tokens, test, i - 1) {
                        continue;
                    }
                }
                if !memo.can_match(r as usize, &rule.program, tokens, i) {
                    continue;
                }
                let passes = |test: u32, k: usize| memo.passes_at(tokens, test, k);
                let attempt = rule.program.longest_at(tokens.len(), passes, i, &mut stack);
                memo.steps += attempt.steps as u64;
                match attempt.result {
                    Ok(Some((_, s, e))) if s < e => matches.push(Found { start: s, end: e, rule: r, priority: rule.priority }),
                    Ok(_) => {}
                    Err(why) => {
                        let end = memo.reach(r as usize, &rule.program, tokens, i).max(i + 1);
                        resume[r as usize] = end;
                        gave_up.push(Unsure { rule: r, start: i, end, why });
                    }
                }
            }
        }
        (matches, gave_up)
    }

    /// Sets every token's class, computing the classes of texts the memo has not seen.
    fn classify(&self, memo: &mut Memo, text: &str, tokens: &mut [Token]) {
        let mut lower_buf = String::new();
        for t in tokens.iter_mut() {
            let s = &text[t.start..t.end];
            let start = (t.flags & token::START != 0) as usize;
            let entry = match memo.texts.get(s) {
                Some(entry) if entry.class[start] != UNKNOWN => {
                    t.flags |= entry.flags;
                    t.class = entry.class[start];
                    continue;
                }
                Some(entry) => *entry,
                None => self.text_entry(s, &mut lower_buf),
            };
            t.flags |= entry.flags;
            let probe = Probe { text: s, flags: t.flags, exact_row: entry.exact_row, lower_row: entry.lower_row };
            let tables = Tables { rows: &self.rows, width: self.width, regexes: &self.regexes };
            let mut results = vec![0u64; memo.words()];
            for (k, test) in self.tests.iter().enumerate() {
                if tables.test(test, &probe) {
                    results[k / 64] |= 1 << (k % 64);
                }
            }
            let candidates = |results: &[u64]| {
                let passes = |k: u32| results[(k / 64) as usize] & (1 << (k % 64)) != 0;
                (0..self.rules.len() as u32).filter(|&r| self.rules[r as usize].first_tests.iter().any(|&k| passes(k))).collect()
            };
            let class = memo.intern(results, candidates, self.rules.iter().map(|r| r.tests_used.as_slice()));
            t.class = class;
            match memo.texts.get_mut(s) {
                Some(known) => known.class[start] = class,
                None => {
                    let mut entry = entry;
                    entry.class[start] = class;
                    memo.texts.insert(s.into(), entry);
                }
            }
        }
    }

    /// The flags and lexicon rows of a token text not seen before.
    fn text_entry(&self, s: &str, buf: &mut String) -> TextEntry {
        let (exact_row, lower) = self.words.get(s).copied().unwrap_or((NO_ROW, NO_ROW));
        // Only a token with capitals needs a second lookup for its lower-case form.
        let lower_row = if s.is_ascii() && !s.bytes().any(|b| b.is_ascii_uppercase()) {
            lower
        } else {
            buf.clear();
            buf.extend(s.chars().flat_map(char::to_lowercase));
            if buf == s {
                lower
            } else {
                self.words.get(buf.as_str()).map_or(NO_ROW, |r| r.1)
            }
        };
        TextEntry { flags: token::text_flags(s), exact_row, lower_row, class: [UNKNOWN; 2] }
    }

    /// Labels later mentions of names found earlier in the same document: the same token
    /// sequence (for the labels in `propagate`) and, with `surnames`, the last word of a
    /// multi-word person name.
    fn propagate_in_document(&self, text: &str, tokens: &[Token], taken: &mut [bool], accepted: &mut Vec<(usize, usize, Label)>) {
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
                        if end <= tokens.len() && (i..end).all(|k| !taken[k] && tok(k) == seq[k - i]) {
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

/// A rule attempt that gave up at a bound, so the rule's matches near it were left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundHit {
    /// The rule's name.
    pub rule: String,
    /// Byte offset in the text of the token where the attempt started.
    pub byte: usize,
    /// Which bound.
    pub bound: GaveUp,
}

impl std::fmt::Display for BoundHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let why = match self.bound {
            GaveUp::Steps => format!("took more than {STEP_BUDGET} backtracking steps"),
            GaveUp::Length => format!("could match more than {MAX_MATCH_TOKENS} tokens"),
        };
        write!(f, "rule {:?} {why} at byte {}; its matches there are left out", self.rule, self.byte)
    }
}

/// An attempt that gave up: rule `rule` at token `start`, whose match could reach up to
/// token `end` (exclusive).
#[derive(Clone, Copy)]
struct Unsure {
    rule: u32,
    start: usize,
    end: usize,
    why: GaveUp,
}

struct Found {
    start: usize,
    end: usize,
    rule: u32,
    priority: i32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classes::MAX_STATES;
    use crate::pattern::{GaveUp, MAX_MATCH_TOKENS};

    fn news_rules() -> RuleSet {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/rules/news.toml");
        RuleSet::from_file(&path).expect("the news rules load")
    }

    /// The news articles and 400 CoNLL `valid` sentences, 20 to a document.
    fn texts() -> Vec<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut out = Vec::new();
        let mut news: Vec<PathBuf> = std::fs::read_dir(root.join("corpus/news"))
            .expect("corpus/news")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        news.sort();
        assert!(!news.is_empty());
        out.extend(news.iter().map(|p| std::fs::read_to_string(p).expect("readable")));
        let conll = std::fs::read_to_string(root.join("corpus/conll2003/valid.txt")).expect("valid.txt");
        let sentences: Vec<String> = conll
            .split("\n\n")
            .map(|s| s.lines().filter_map(|l| l.split_whitespace().next()).collect::<Vec<_>>().join(" "))
            .filter(|s| !s.is_empty())
            .take(400)
            .collect();
        out.extend(sentences.chunks(20).map(|c| c.join("\n")));
        out
    }

    fn found(set: &RuleSet, memo: &mut Memo, text: &str) -> Vec<(usize, usize, u32)> {
        let mut tokens = Vec::new();
        token::tokenize(text, &mut tokens);
        set.match_rules(memo, text, &mut tokens).0.iter().map(|f| (f.start, f.end, f.rule)).collect()
    }

    /// Checks the DFA against the program for every rule at every start of `text`: it never
    /// rejects a start where the program matches, and never accepts one where the program
    /// does not, unless it hit its state bound.
    fn check_dfa(set: &RuleSet, memo: &mut Memo, text: &str, max_states: usize) -> usize {
        let mut tokens = Vec::new();
        token::tokenize(text, &mut tokens);
        memo.trim();
        set.classify(memo, text, &mut tokens);
        let mut stack = Vec::new();
        let mut matching_starts = 0;
        for (r, rule) in set.rules.iter().enumerate() {
            for i in 0..tokens.len() {
                let passes = |test: u32, k: usize| memo.passes(tokens[k].class, test);
                let program = !matches!(rule.program.longest_at(tokens.len(), passes, i, &mut stack).result, Ok(None));
                let dfa = memo.can_match(r, &rule.program, &tokens, i);
                let at = || format!("rule {:?} at token {i} {:?}", rule.name, &text[tokens[i].start..tokens[i].end]);
                assert!(dfa || !program, "the DFA rejects a match of the program: {}", at());
                if memo.dfa_states(r) < max_states {
                    assert_eq!(dfa, program, "{}", at());
                }
                matching_starts += program as usize;
            }
        }
        matching_starts
    }

    #[test]
    fn dfa_agrees_with_the_program_for_every_news_rule_and_start() {
        let set = news_rules();
        let mut memo = Memo::new(set.tests.len(), set.rules.len());
        let matching: usize = texts().iter().map(|t| check_dfa(&set, &mut memo, t, MAX_STATES)).sum();
        assert!(matching > 1000, "the texts exercise the rules ({matching} matching starts)");
    }

    #[test]
    fn dfa_gives_up_past_its_state_bound_and_the_program_decides() {
        // Which of the last 11 tokens are `a` is a state of its own: 2^11 subsets, and no match
        // (there is no `z`) ends the exploration early.
        let set = RuleSet::from_str_in(
            "[[rules]]\nname = \"blowup\"\nlabel = \"MISC\"\npattern = '_* \"a\" _{10} \"z\"'\n[[rules]]\nname = \"ab\"\nlabel = \"PER\"\npattern = '\"a\" \"b\"+'\n",
            Path::new("."),
        )
        .expect("compiles");
        let mut seed = 7u64;
        let words: Vec<&str> = (0..400)
            .map(|_| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                if seed >> 63 == 1 {
                    "a"
                } else {
                    "b"
                }
            })
            .collect();
        let text = words.join(" ");
        let mut memo = Memo::new(set.tests.len(), set.rules.len()).with_bounds(usize::MAX, 64);
        let matching = check_dfa(&set, &mut memo, &text, 64);
        assert_eq!(memo.dfa_states(0), 64, "the blow-up rule reached the bound");
        assert!(matching > 50, "the `ab` rule matches ({matching})");
        // And what `find` reports does not depend on the bound.
        let mut unbounded = Memo::new(set.tests.len(), set.rules.len());
        assert_eq!(found(&set, &mut memo, &text), found(&set, &mut unbounded, &text));
    }

    /// Work (DFA transitions walked plus backtracking steps) of matching `text` afresh.
    fn work(set: &RuleSet, text: &str) -> u64 {
        let mut memo = Memo::new(set.tests.len(), set.rules.len());
        found(set, &mut memo, text);
        memo.steps
    }

    #[test]
    fn matching_work_grows_linearly_with_the_text() {
        let set = news_rules();
        // Runs that every start of a `[cap]+ ...` rule would read to the end.
        for unit in ["A. ", "Sergey ", "Bank of ", "NATO ", "Aa-Bb "] {
            let small = work(&set, &unit.repeat(1_000));
            let large = work(&set, &unit.repeat(4_000));
            // 4 times the text: about 4 times the work if linear, 16 if quadratic.
            assert!(small > 0 && large <= small * 5, "{unit:?}: work {small} -> {large}");
        }
    }

    #[test]
    fn attempts_that_hit_a_bound_say_so_instead_of_matching_shorter() {
        let rules = |pattern: &str| {
            RuleSet::from_str_in(&format!("[[rules]]\nname = \"r\"\nlabel = \"MISC\"\npattern = '{pattern}'\n"), Path::new("."))
                .expect("compiles")
        };
        // Exponential backtracking, and a run far longer than any name.
        let nested = rules(r#"([cap]+)+ ([cap]+)+ ([cap]+)+ "zzz""#);
        let (found, hits) = nested.find_reporting(&format!("{}zzz", "Aa ".repeat(8_000)));
        assert!(found.is_empty(), "no match that starts mid-run: {:?}", &found[..found.len().min(3)]);
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!((hits[0].rule.as_str(), hits[0].byte), ("r", 0));
        assert!(hits[0].to_string().contains("rule \"r\""), "{}", hits[0]);

        let caps = rules("[cap]+");
        let (found, hits) = caps.find_reporting(&"Sergey ".repeat(MAX_MATCH_TOKENS + 1));
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(hits[0].bound, GaveUp::Length);
        // Within the bound: the whole run, no warning.
        let text = "Sergey ".repeat(MAX_MATCH_TOKENS);
        assert_eq!(caps.find_reporting(&text), (vec![(0, text.len() - 1, Label::MISC)], vec![]));
        // Steps: a short run with no way to match makes the backtracking explode.
        let (found, hits) = nested.find_reporting(&format!("{}zzz", "Aa ".repeat(40)));
        assert!(found.is_empty() && hits.iter().any(|h| h.bound == GaveUp::Steps), "{found:?} {hits:?}");
    }

    #[test]
    fn memo_reuse_trimming_and_threads_do_not_change_results() {
        let set = news_rules();
        let texts = texts();
        let fresh: Vec<_> = texts.iter().map(|t| found(&set, &mut Memo::new(set.tests.len(), set.rules.len()), t)).collect();
        let mut shared = Memo::new(set.tests.len(), set.rules.len());
        let mut tiny = Memo::new(set.tests.len(), set.rules.len()).with_bounds(50, 8);
        // Twice over, so that the second round runs on remembered classes and states.
        for _ in 0..2 {
            for (text, expected) in texts.iter().zip(&fresh) {
                assert_eq!(&found(&set, &mut shared, text), expected);
                assert_eq!(&found(&set, &mut tiny, text), expected);
            }
        }
        let sequential: Vec<_> = texts.iter().map(|t| set.find(t)).collect();
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4).map(|_| scope.spawn(|| texts.iter().map(|t| set.find(t)).collect::<Vec<_>>())).collect();
            for h in handles {
                assert_eq!(h.join().expect("no panic"), sequential);
            }
        });
    }
}
