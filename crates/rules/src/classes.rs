//! Token classes: what a rule set remembers about the token texts it has seen.
//!
//! Every test a rule can apply to a token (flags, words and lists, regexes, shapes) depends
//! only on the token's text and on whether it starts a sentence. So a rule set computes, once
//! per distinct text and start flag, the token's results for *all* its tests, and files the
//! result as a *class*: tokens that pass exactly the same tests share one. Matching then
//! answers "does token `i` pass test `t`?" with one bit lookup, and the rules worth trying at
//! a token are the class's precomputed list of rules whose first test it passes.
//!
//! Most rule attempts that pass the first token still fail a few tokens later (a rule for
//! `Name Name said` tried at every capitalised word). The memo therefore also builds, per
//! rule and lazily, a DFA over the rule's view of token classes (the regex crate's lazy DFA,
//! at token level): a state is the set of the program's token tests that threads wait at, a
//! transition is computed the first time a state meets a class and then costs one lookup.
//! An attempt runs the backtracking program (for the entity part and its exact preferences)
//! only when the DFA says a match exists, which rejects almost every failing attempt at a
//! few nanoseconds per token. Results are the program's, by construction.
//!
//! A memo belongs to one thread (the rule set keeps one per thread); it is bounded, and
//! forgotten between documents once it has grown past the bound.

use std::collections::HashMap;

use crate::pattern::{Program, MAX_MATCH_TOKENS};
use crate::token::{Flags, Token};

/// A class not computed yet.
pub const UNKNOWN: u32 = u32::MAX;

/// What is known about one token text.
#[derive(Debug, Clone, Copy)]
pub struct TextEntry {
    /// The text's flags (`START` aside).
    pub flags: Flags,
    /// Row of the exact-text lexicon, or `NO_ROW`.
    pub exact_row: u32,
    /// Row of the lower-cased lexicon, or `NO_ROW`.
    pub lower_row: u32,
    /// The class of a token with this text, not starting a sentence and starting one
    /// ([`UNKNOWN`] until needed).
    pub class: [u32; 2],
}

/// Token texts and classes seen so far by one thread.
pub struct Memo {
    /// Token text -> what is known about it.
    pub texts: HashMap<Box<str>, TextEntry, FxBuild>,
    /// Words of test results per class.
    words: usize,
    /// Test results, `words` words per class: bit `t` is set when the class passes test `t`.
    bits: Vec<u64>,
    /// Test results -> class, so that texts passing the same tests share a class.
    ids: HashMap<Box<[u64]>, u32, FxBuild>,
    /// Per class, the rules (in file order) whose first token can be one of the class.
    candidates: Vec<Box<[u32]>>,
    /// Per rule, its DFA.
    dfas: Vec<Dfa>,
    /// Per class and rule (`class * rules + rule`), the rule's symbol for the class.
    symbols: Vec<u32>,
    /// Bounds: [`MAX_TEXTS`] and [`MAX_STATES`] but in tests.
    max_texts: usize,
    max_states: usize,
    /// Work done so far: DFA transitions walked plus backtracking steps (the latter added by
    /// the matcher). Tests check that it grows linearly with the text.
    pub steps: u64,
}

/// A rule's lazily built DFA. Its alphabet is the rule's own view of classes: classes that
/// pass the same of the rule's tests are one symbol, which keeps transition rows short.
#[derive(Default)]
struct Dfa {
    /// State 0 is dead (no thread left), state 1 the start; empty until first used.
    states: Vec<DfaState>,
    /// Waiting instructions (and whether matched, as a last element) -> state.
    ids: HashMap<Box<[u32]>, u32, FxBuild>,
    /// Results of the rule's tests -> symbol.
    symbol_ids: HashMap<Box<[u64]>, u32, FxBuild>,
}

struct DfaState {
    /// The token-test instructions threads wait at.
    waiting: Box<[u32]>,
    /// Some thread has matched: the rule matches here.
    matched: bool,
    /// Next state by symbol; [`UNKNOWN`] where not computed yet.
    next: Vec<u32>,
}

const DEAD: u32 = 0;
const START: u32 = 1;

/// States of one rule's DFA past which attempts fall back to the backtracking program alone
/// (a pathological pattern cannot make the memo grow without bound).
pub const MAX_STATES: usize = 4096;

impl Dfa {
    fn state(&mut self, (waiting, matched): (Vec<u32>, bool)) -> u32 {
        if waiting.is_empty() && !matched {
            return DEAD;
        }
        let mut key = waiting.clone();
        key.push(matched as u32);
        if let Some(&id) = self.ids.get(key.as_slice()) {
            return id;
        }
        let id = self.states.len() as u32;
        self.states.push(DfaState { waiting: waiting.into(), matched, next: Vec::new() });
        self.ids.insert(key.into(), id);
        id
    }

    /// The state after `state` on a token passing the tests for which `passes` says so.
    fn step(&mut self, program: &Program, state: u32, symbol: u32, passes: impl Fn(u32) -> bool) -> u32 {
        let from = &self.states[state as usize];
        let advanced: Vec<usize> = from.waiting.iter().filter(|&&pc| passes(program.test_at(pc))).map(|&pc| pc as usize + 1).collect();
        let next = self.state(program.closure(advanced));
        let row = &mut self.states[state as usize].next;
        if row.len() <= symbol as usize {
            row.resize(symbol as usize + 1, UNKNOWN);
        }
        row[symbol as usize] = next;
        next
    }
}

/// Texts remembered before the memo starts over: ample for a language's running text, a
/// bound on memory for an endless stream of fresh tokens (numbers, names).
const MAX_TEXTS: usize = 200_000;

impl Memo {
    /// An empty memo for a rule set with `tests` tests and `rules` rules.
    pub fn new(tests: usize, rules: usize) -> Memo {
        Memo {
            texts: HashMap::default(),
            words: tests.div_ceil(64).max(1),
            bits: Vec::new(),
            ids: HashMap::default(),
            candidates: Vec::new(),
            dfas: (0..rules).map(|_| Dfa::default()).collect(),
            symbols: Vec::new(),
            max_texts: MAX_TEXTS,
            max_states: MAX_STATES,
            steps: 0,
        }
    }

    /// The same memo with other bounds, so that tests reach them.
    #[cfg(test)]
    pub fn with_bounds(mut self, max_texts: usize, max_states: usize) -> Memo {
        self.max_texts = max_texts;
        self.max_states = max_states;
        self
    }

    /// The states rule `rule`'s DFA has built.
    #[cfg(test)]
    pub fn dfa_states(&self, rule: usize) -> usize {
        self.dfas[rule].states.len()
    }

    /// Starts over when the memo has grown past its bound. Call between documents only:
    /// tokens keep class numbers that this invalidates.
    pub fn trim(&mut self) {
        if self.texts.len() > self.max_texts || self.candidates.len() > self.max_texts {
            self.texts.clear();
            self.bits.clear();
            self.ids.clear();
            self.candidates.clear();
            self.dfas.iter_mut().for_each(|d| *d = Dfa::default());
            self.symbols.clear();
        }
    }

    /// The words of one class's test results.
    pub fn words(&self) -> usize {
        self.words
    }

    /// The class with these test results, filed on first sight together with its candidate
    /// rules, computed by `candidates`, and its symbol for each rule, whose tests are
    /// `rule_tests` (in rule order).
    pub fn intern<'r>(
        &mut self,
        results: Vec<u64>,
        candidates: impl FnOnce(&[u64]) -> Vec<u32>,
        rule_tests: impl Iterator<Item = &'r [u32]>,
    ) -> u32 {
        debug_assert_eq!(results.len(), self.words);
        if let Some(&class) = self.ids.get(results.as_slice()) {
            return class;
        }
        let class = self.candidates.len() as u32;
        self.candidates.push(candidates(&results).into());
        let passes = |t: u32| results[(t / 64) as usize] & (1 << (t % 64)) != 0;
        for (dfa, tests) in self.dfas.iter_mut().zip(rule_tests) {
            let mut signature = vec![0u64; tests.len().div_ceil(64)];
            for (k, &t) in tests.iter().enumerate() {
                if passes(t) {
                    signature[k / 64] |= 1 << (k % 64);
                }
            }
            let next = dfa.symbol_ids.len() as u32;
            self.symbols.push(*dfa.symbol_ids.entry(signature.into()).or_insert(next));
        }
        self.bits.extend_from_slice(&results);
        self.ids.insert(results.into(), class);
        class
    }

    /// Whether rule `rule`, whose program is `program`, can match at token `start` of
    /// `tokens` (classes set). `false` is certain; `true` means the program will find a match
    /// (or, past [`MAX_STATES`], that the DFA gave up and the program must look). The walk
    /// stops after [`MAX_MATCH_TOKENS`] tokens like the program does; a walk still alive
    /// there says `true`, and the program then gives up on that start.
    pub fn can_match(&mut self, rule: usize, program: &Program, tokens: &[Token], start: usize) -> bool {
        let window = tokens.len().min(start.saturating_add(MAX_MATCH_TOKENS));
        let mut state = START;
        for t in &tokens[start..window] {
            match self.advance(rule, program, state, t.class) {
                None => return true,
                Some(DEAD) => return false,
                Some(next) if self.dfas[rule].states[next as usize].matched => return true,
                Some(next) => state = next,
            }
        }
        window < tokens.len()
    }

    /// How far a match of rule `rule` starting at token `start` could reach: one past the
    /// last token its DFA reads before no thread is left (the end of `tokens` when the DFA
    /// is past its bound). Walks as far as that, without a window: the matcher calls it once
    /// for a stretch of text it then skips.
    pub fn reach(&mut self, rule: usize, program: &Program, tokens: &[Token], start: usize) -> usize {
        let mut state = START;
        for (k, t) in tokens.iter().enumerate().skip(start) {
            match self.advance(rule, program, state, t.class) {
                None => return tokens.len(),
                Some(DEAD) => return k,
                Some(next) => state = next,
            }
        }
        tokens.len()
    }

    /// The state of rule `rule`'s DFA after `state` on a token of `class`, building the DFA
    /// on first use and the transition when new; `None` past [`MAX_STATES`].
    fn advance(&mut self, rule: usize, program: &Program, state: u32, class: u32) -> Option<u32> {
        self.steps += 1;
        let rules = self.dfas.len();
        let Memo { dfas, symbols, bits, words, max_states, .. } = self;
        let dfa = &mut dfas[rule];
        if dfa.states.is_empty() {
            dfa.states.push(DfaState { waiting: Box::new([]), matched: false, next: Vec::new() });
            let start_state = program.closure([0]);
            dfa.state(start_state);
        }
        let class = class as usize;
        let symbol = symbols[class * rules + rule];
        let next = dfa.states[state as usize].next.get(symbol as usize).copied().unwrap_or(UNKNOWN);
        if next != UNKNOWN {
            return Some(next);
        }
        if dfa.states.len() >= *max_states {
            return None;
        }
        let words = *words;
        Some(dfa.step(program, state, symbol, |test| bits[class * words + (test / 64) as usize] & (1 << (test % 64)) != 0))
    }

    /// Whether tokens of `class` pass test `test`.
    #[inline]
    pub fn passes(&self, class: u32, test: u32) -> bool {
        self.bits[class as usize * self.words + (test / 64) as usize] & (1 << (test % 64)) != 0
    }

    /// Whether token `i` of `tokens` (classes set) passes test `test`.
    #[inline]
    pub fn passes_at(&self, tokens: &[Token], test: u32, i: usize) -> bool {
        self.passes(tokens[i].class, test)
    }

    /// The rules to try at a token of `class`.
    #[inline]
    pub fn candidates(&self, class: u32) -> &[u32] {
        &self.candidates[class as usize]
    }
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo").field("texts", &self.texts.len()).field("classes", &self.candidates.len()).finish()
    }
}

/// FxHash (rustc's hasher): the keys are short token texts, so SipHash's protection against
/// hostile keys buys nothing and costs a third of the lookups. (A memo is bounded, so a
/// text crafted to collide costs time, not memory.)
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

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
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Builds [`FxHasher`]s.
pub type FxBuild = std::hash::BuildHasherDefault<FxHasher>;
