//! The pattern language: parsing, compiling to a small backtracking program, matching.
//!
//! Grammar (whitespace between items is free):
//!
//! ```text
//! pattern := alt
//! alt     := seq ('|' seq)*
//! seq     := item+
//! item    := primary ('?' | '*' | '+' | '{n}' | '{n,}' | '{n,m}')?
//! primary := '(' alt ')' | '<' alt '>' | '[' all ('|' all)* ']' | test
//! all     := test ('&' test)*
//! test    := '!' test | "Text" | i"text" | @list | /regex/ | shape:Xxxx | flag | '_'
//! flag    := title | upper | lower | cap | digit | alpha | punct | start
//! ```
//!
//! `<...>` marks the part of the match that becomes the entity (at most once per pattern).
//! A literal with spaces (`"Foreign Minister"`) is the sequence of its words.

use regex::Regex;

use crate::token::{shape_matches, Flags, FLAG_NAMES, NO_ROW};

/// A test on one token.
#[derive(Debug, Clone)]
pub enum Test {
    /// Bit `bit` of the token's exact-text lexicon row.
    Exact(u32),
    /// Bit `bit` of the token's lower-case lexicon row.
    Lower(u32),
    /// All these flags are set.
    Flags(Flags),
    /// The whole token text matches (index into the compiled regexes).
    Regex(usize),
    /// The token has this word shape.
    Shape(Box<str>),
    /// Any token.
    Any,
    /// The inner test fails.
    Not(Box<Test>),
    /// Every inner test passes.
    And(Vec<Test>),
    /// Some inner test passes.
    Or(Vec<Test>),
    /// A conjunction of flag and lexicon tests compiled to bit masks (see [`Test::optimize`]).
    Mask(Box<Mask>),
    /// A disjunction of lexicon tests: the exact-text row or the lower-case row has one of
    /// these bits.
    AnyOf(Box<[u64]>, Box<[u64]>),
}

/// A conjunction evaluated with a few word operations instead of one test per part.
#[derive(Debug, Clone)]
pub struct Mask {
    on: Flags,
    off: Flags,
    /// Required and forbidden bits of the exact-text row, then of the lower-case row.
    exact: (Box<[u64]>, Box<[u64]>),
    lower: (Box<[u64]>, Box<[u64]>),
    rest: Vec<Test>,
}

impl Test {
    /// Compiles conjunctions into [`Test::Mask`]s for a lexicon of `width` words per row.
    pub fn optimize(self, width: usize) -> Test {
        match self {
            Test::And(all) => {
                let mut m = Mask {
                    on: 0,
                    off: 0,
                    exact: (vec![0; width].into(), vec![0; width].into()),
                    lower: (vec![0; width].into(), vec![0; width].into()),
                    rest: Vec::new(),
                };
                let set = |v: &mut Box<[u64]>, bit: u32| v[(bit / 64) as usize] |= 1 << (bit % 64);
                for t in all {
                    match t {
                        Test::Flags(f) => m.on |= f,
                        Test::Not(inner) if matches!(*inner, Test::Flags(f) if f.count_ones() == 1) => {
                            if let Test::Flags(f) = *inner {
                                m.off |= f;
                            }
                        }
                        Test::Exact(b) => set(&mut m.exact.0, b),
                        Test::Lower(b) => set(&mut m.lower.0, b),
                        Test::Not(inner) if matches!(*inner, Test::Exact(_) | Test::Lower(_)) => match *inner {
                            Test::Exact(b) => set(&mut m.exact.1, b),
                            Test::Lower(b) => set(&mut m.lower.1, b),
                            _ => {}
                        },
                        other => m.rest.push(other.optimize(width)),
                    }
                }
                // All-zero masks become empty, so a test skips rows it places no condition on.
                for v in [&mut m.exact.0, &mut m.exact.1, &mut m.lower.0, &mut m.lower.1] {
                    if v.iter().all(|&w| w == 0) {
                        *v = Box::new([]);
                    }
                }
                Test::Mask(Box::new(m))
            }
            Test::Or(any) if any.iter().all(|t| matches!(t, Test::Exact(_) | Test::Lower(_))) => {
                let (mut exact, mut lower): (Box<[u64]>, Box<[u64]>) = (vec![0; width].into(), vec![0; width].into());
                for t in any {
                    match t {
                        Test::Exact(b) => exact[(b / 64) as usize] |= 1 << (b % 64),
                        Test::Lower(b) => lower[(b / 64) as usize] |= 1 << (b % 64),
                        _ => {}
                    }
                }
                Test::AnyOf(exact, lower)
            }
            Test::Or(any) => Test::Or(any.into_iter().map(|t| t.optimize(width)).collect()),
            Test::Not(inner) => Test::Not(Box::new(inner.optimize(width))),
            other => other,
        }
    }
}

/// The pieces of a lexicon predicate before bits are assigned: what the parser hands out.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LexKey {
    /// Exact text.
    Text(String),
    /// Lower-cased text.
    Lower(String),
    /// A named list.
    List(String),
}

/// Where parsed patterns get bit numbers and regexes from; implemented by the rule set
/// compiler, which knows the lists.
pub trait Resolver {
    /// The test for a lexicon key; `Err` with a reason when it cannot exist (unknown list).
    fn lex(&mut self, key: LexKey) -> Result<Test, String>;
    /// The index of a compiled regex.
    fn regex(&mut self, source: &str) -> Result<usize, String>;
}

#[derive(Debug, Clone)]
enum Node {
    Tok(Test),
    Seq(Vec<Node>),
    Alt(Vec<Node>),
    Repeat(Box<Node>, u32, Option<u32>),
    Capture(Box<Node>),
}

impl Node {
    fn nullable(&self) -> bool {
        match self {
            Node::Tok(_) => false,
            Node::Seq(v) => v.iter().all(Node::nullable),
            Node::Alt(v) => v.iter().any(Node::nullable),
            Node::Repeat(n, min, _) => *min == 0 || n.nullable(),
            Node::Capture(n) => n.nullable(),
        }
    }
}

struct Parser<'a, R> {
    src: &'a str,
    pos: usize,
    resolver: &'a mut R,
    captures: usize,
}

/// The largest repetition bound, so that `{n,m}` cannot blow a program up.
const MAX_REPEAT: u32 = 32;

impl<R: Resolver> Parser<'_, R> {
    fn err<T>(&self, msg: impl std::fmt::Display) -> Result<T, String> {
        Err(format!("{msg} at column {}", self.src[..self.pos].chars().count() + 1))
    }

    fn skip_ws(&mut self) {
        let rest = &self.src[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.src[self.pos..].chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn alt(&mut self) -> Result<Node, String> {
        let mut options = vec![self.seq()?];
        while self.eat('|') {
            options.push(self.seq()?);
        }
        if options.len() == 1 {
            return Ok(options.pop().unwrap_or(Node::Seq(Vec::new())));
        }
        // Alternatives of single tokens are one token test: no backtracking over them.
        if options.iter().all(|o| matches!(o, Node::Tok(_))) {
            let tests = options.into_iter().filter_map(|o| if let Node::Tok(t) = o { Some(t) } else { None }).collect();
            return Ok(Node::Tok(Test::Or(tests)));
        }
        Ok(Node::Alt(options))
    }

    fn seq(&mut self) -> Result<Node, String> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if matches!(c, '|' | ')' | '>') {
                break;
            }
            items.push(self.item()?);
        }
        if items.is_empty() {
            return self.err("expected a token test");
        }
        Ok(if items.len() == 1 { items.pop().unwrap_or(Node::Seq(Vec::new())) } else { Node::Seq(items) })
    }

    fn item(&mut self) -> Result<Node, String> {
        let node = self.primary()?;
        let (min, max) = match self.peek() {
            Some('?') => (0, Some(1)),
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('{') => {
                self.pos += 1;
                let close = match self.src[self.pos..].find('}') {
                    Some(i) => self.pos + i,
                    None => return self.err("unclosed `{`"),
                };
                let body = &self.src[self.pos..close];
                let parse = |s: &str| s.trim().parse::<u32>().ok();
                let bounds = match body.split_once(',') {
                    None => parse(body).map(|n| (n, Some(n))),
                    Some((a, b)) if b.trim().is_empty() => parse(a).map(|n| (n, None)),
                    Some((a, b)) => parse(a).zip(parse(b)).map(|(a, b)| (a, Some(b))),
                };
                let Some((min, max)) = bounds else {
                    return self.err(format!("bad repetition `{{{body}}}`"));
                };
                if max.is_some_and(|m| m < min || m == 0) || min > MAX_REPEAT || max.is_some_and(|m| m > MAX_REPEAT) {
                    return self.err(format!("bad repetition `{{{body}}}` (bounds must satisfy 0 <= n <= m <= {MAX_REPEAT}, m > 0)"));
                }
                self.pos = close;
                (min, max)
            }
            _ => return Ok(node),
        };
        self.pos += 1;
        if node.nullable() {
            return self.err("a repeated part must match at least one token");
        }
        Ok(Node::Repeat(Box::new(node), min, max))
    }

    fn primary(&mut self) -> Result<Node, String> {
        match self.peek() {
            Some('(') => {
                self.pos += 1;
                let inner = self.alt()?;
                if !self.eat(')') {
                    return self.err("expected `)`");
                }
                Ok(inner)
            }
            Some('<') => {
                self.pos += 1;
                self.captures += 1;
                if self.captures > 1 {
                    return self.err("only one `<...>` entity part is allowed");
                }
                let inner = self.alt()?;
                if !self.eat('>') {
                    return self.err("expected `>`");
                }
                if inner.nullable() {
                    return self.err("the `<...>` entity part must match at least one token");
                }
                Ok(Node::Capture(Box::new(inner)))
            }
            Some('[') => {
                self.pos += 1;
                // `&` binds tighter than `|`.
                let mut options = Vec::new();
                loop {
                    let mut all = vec![self.test()?];
                    while self.eat('&') {
                        all.push(self.test()?);
                    }
                    options.push(if all.len() == 1 { all.pop().unwrap_or(Test::Any) } else { Test::And(all) });
                    if !self.eat('|') {
                        break;
                    }
                }
                if !self.eat(']') {
                    return self.err("expected `]`, `&` or `|`");
                }
                Ok(Node::Tok(if options.len() == 1 { options.pop().unwrap_or(Test::Any) } else { Test::Or(options) }))
            }
            Some('"') | Some('i') if self.literal_ahead() => {
                // A literal of several words is a sequence of one-word literals.
                let (lower, text) = self.literal()?;
                let mut words = Vec::new();
                for word in text.split_whitespace() {
                    let key = if lower { LexKey::Lower(word.to_lowercase()) } else { LexKey::Text(word.to_string()) };
                    words.push(Node::Tok(self.resolver.lex(key).or_else(|e| self.err(e))?));
                }
                match words.len() {
                    0 => self.err("empty literal"),
                    1 => Ok(words.pop().unwrap_or(Node::Seq(Vec::new()))),
                    _ => Ok(Node::Seq(words)),
                }
            }
            Some(_) => Ok(Node::Tok(self.test()?)),
            None => self.err("unexpected end of pattern"),
        }
    }

    fn literal_ahead(&mut self) -> bool {
        let rest = &self.src[self.pos..];
        rest.starts_with('"') || rest.starts_with("i\"")
    }

    fn literal(&mut self) -> Result<(bool, String), String> {
        let lower = self.src[self.pos..].starts_with('i');
        self.pos += if lower { 2 } else { 1 };
        let mut text = String::new();
        let mut chars = self.src[self.pos..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok((lower, text));
                }
                '\\' => match chars.next() {
                    Some((_, e)) => text.push(e),
                    None => break,
                },
                c => text.push(c),
            }
        }
        self.err("unclosed string literal")
    }

    fn test(&mut self) -> Result<Test, String> {
        let Some(c) = self.peek() else {
            return self.err("expected a token test");
        };
        match c {
            '!' => {
                self.pos += 1;
                Ok(Test::Not(Box::new(self.test()?)))
            }
            '"' | 'i' if self.literal_ahead() => {
                let (lower, text) = self.literal()?;
                if text.is_empty() || text.chars().any(char::is_whitespace) {
                    return self.err(format!("literal {text:?} inside `[...]` must be one word"));
                }
                let key = if lower { LexKey::Lower(text.to_lowercase()) } else { LexKey::Text(text) };
                self.resolver.lex(key).or_else(|e| self.err(e))
            }
            '@' => {
                self.pos += 1;
                let name = self.ident();
                if name.is_empty() {
                    return self.err("expected a list name after `@`");
                }
                self.resolver.lex(LexKey::List(name)).or_else(|e| self.err(e))
            }
            '/' => {
                self.pos += 1;
                let mut source = String::new();
                let mut chars = self.src[self.pos..].char_indices();
                while let Some((i, c)) = chars.next() {
                    match c {
                        '/' => {
                            self.pos += i + 1;
                            let index = self.resolver.regex(&source).or_else(|e| self.err(e))?;
                            return Ok(Test::Regex(index));
                        }
                        '\\' => match chars.next() {
                            Some((_, '/')) => source.push('/'),
                            Some((_, e)) => {
                                source.push('\\');
                                source.push(e);
                            }
                            None => break,
                        },
                        c => source.push(c),
                    }
                }
                self.err("unclosed `/regex/`")
            }
            '_' => {
                self.pos += 1;
                Ok(Test::Any)
            }
            _ => {
                let name = self.ident();
                if name == "shape" && self.src[self.pos..].starts_with(':') {
                    self.pos += 1;
                    let rest = &self.src[self.pos..];
                    let len = rest.find(|c: char| c.is_whitespace() || matches!(c, ']' | '&' | ')' | '>' | '|')).unwrap_or(rest.len());
                    if len == 0 {
                        return self.err("expected a shape after `shape:`");
                    }
                    self.pos += len;
                    return Ok(Test::Shape(rest[..len].into()));
                }
                match FLAG_NAMES.iter().find(|(n, _)| *n == name) {
                    Some((_, f)) => Ok(Test::Flags(*f)),
                    None if name.is_empty() => self.err(format!("unexpected `{c}`")),
                    None => self.err(format!(
                        "unknown token test `{name}` (flags: {})",
                        FLAG_NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                    )),
                }
            }
        }
    }

    fn ident(&mut self) -> String {
        let rest = &self.src[self.pos..];
        let len = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-')).unwrap_or(rest.len());
        self.pos += len;
        rest[..len].to_string()
    }
}

#[derive(Debug, Clone)]
enum Inst {
    /// The token at the current position passes test number `n` (see [`Program`]).
    Tok(u32),
    Split(usize, usize),
    Jmp(usize),
    Save(usize),
    Match,
}

/// A backtracking thread: program counter, token position, entity start and end.
pub type Thread = (usize, usize, [usize; 2]);

/// A compiled pattern: instructions that refer to token tests by number.
///
/// Right after [`Program::compile`] the numbers index the program's own list of tests; a
/// rule set then moves every test into one table shared by all rules
/// ([`Program::renumber_tests`]), so that a token's results for all tests can be computed
/// once per distinct token and looked up by number while matching.
#[derive(Debug, Clone)]
pub struct Program {
    insts: Vec<Inst>,
    tests: Vec<Test>,
    has_capture: bool,
}

/// How much backtracking one match attempt may do before giving up on that start; real
/// patterns need a few dozen steps, this only stops pathological ones.
pub const STEP_BUDGET: usize = 20_000;

/// The longest match a rule may make, in tokens. An attempt looks no further than this from
/// its start, which is what makes matching linear in the length of the text whatever the
/// rules (`[cap]+` tried at every word of `Sergey Sergey ...` would otherwise read to the
/// end of the text from every start). A longer match is not reported; the attempt gives up
/// instead (see [`GaveUp`]). Names are a few tokens long; 64 is far beyond any.
pub const MAX_MATCH_TOKENS: usize = 64;

/// Why an attempt gave up without an answer: its longest match may be longer than it could
/// see, so it reports none rather than a wrong one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GaveUp {
    /// It spent [`STEP_BUDGET`] backtracking steps.
    Steps,
    /// A match could go on past [`MAX_MATCH_TOKENS`] tokens.
    Length,
}

/// The outcome of one match attempt, and what it cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// `(match end, entity start, entity end)` in tokens, or `Err` when the attempt gave up,
    /// or `Ok(None)` when nothing matches here.
    pub result: Result<Option<(usize, usize, usize)>, GaveUp>,
    /// Backtracking steps taken.
    pub steps: usize,
}

/// A token as a test sees it: its text and what was computed from the text.
pub struct Probe<'a> {
    /// The token's text.
    pub text: &'a str,
    /// Its flags.
    pub flags: Flags,
    /// Row of the exact-text lexicon, or [`NO_ROW`].
    pub exact_row: u32,
    /// Row of the lower-cased lexicon, or [`NO_ROW`].
    pub lower_row: u32,
}

/// What tests look things up in: the lexicon rows and the compiled regexes.
pub struct Tables<'a> {
    /// Lexicon rows: `rows[row * width + bit / 64]`.
    pub rows: &'a [u64],
    /// Words per lexicon row.
    pub width: usize,
    /// Compiled regexes.
    pub regexes: &'a [Regex],
}

impl Tables<'_> {
    fn bit(&self, row: u32, bit: u32) -> bool {
        row != NO_ROW && self.rows[row as usize * self.width + (bit / 64) as usize] & (1 << (bit % 64)) != 0
    }

    #[inline]
    fn row_ok(&self, row: u32, (required, forbidden): &(Box<[u64]>, Box<[u64]>)) -> bool {
        if row == NO_ROW {
            // A token in no lexicon has no bits: it passes unless some bit is required.
            return required.is_empty();
        }
        let words = &self.rows[row as usize * self.width..(row as usize + 1) * self.width];
        words.iter().zip(required.iter()).all(|(w, r)| w & r == *r) && words.iter().zip(forbidden.iter()).all(|(w, f)| w & f == 0)
    }

    fn row_any(&self, row: u32, bits: &[u64]) -> bool {
        row != NO_ROW && self.rows[row as usize * self.width..(row as usize + 1) * self.width].iter().zip(bits).any(|(w, b)| w & b != 0)
    }

    /// Whether token `t` passes `test`.
    pub fn test(&self, test: &Test, t: &Probe) -> bool {
        match test {
            Test::Exact(bit) => self.bit(t.exact_row, *bit),
            Test::Lower(bit) => self.bit(t.lower_row, *bit),
            Test::Flags(f) => t.flags & f == *f,
            Test::Regex(r) => self.regexes[*r].is_match(t.text),
            Test::Shape(s) => shape_matches(t.text, s),
            Test::Any => true,
            Test::Not(inner) => !self.test(inner, t),
            Test::And(all) => all.iter().all(|x| self.test(x, t)),
            Test::Or(any) => any.iter().any(|x| self.test(x, t)),
            Test::AnyOf(exact, lower) => self.row_any(t.exact_row, exact) || self.row_any(t.lower_row, lower),
            Test::Mask(m) => {
                t.flags & m.on == m.on
                    && t.flags & m.off == 0
                    && self.row_ok(t.exact_row, &m.exact)
                    && self.row_ok(t.lower_row, &m.lower)
                    && m.rest.iter().all(|x| self.test(x, t))
            }
        }
    }
}

impl Program {
    /// Parses and compiles `src`.
    ///
    /// # Errors
    /// A reason with the column, for syntax errors, unknown lists or flags, bad regexes,
    /// patterns that can match no token.
    pub fn compile(src: &str, resolver: &mut impl Resolver) -> Result<Program, String> {
        let mut parser = Parser { src, pos: 0, resolver, captures: 0 };
        let node = parser.alt()?;
        if parser.peek().is_some() {
            return parser.err("unexpected character");
        }
        if node.nullable() {
            return Err("the pattern can match an empty token sequence".into());
        }
        let mut program = Program { insts: Vec::new(), tests: Vec::new(), has_capture: parser.captures > 0 };
        program.emit(&node);
        program.insts.push(Inst::Match);
        Ok(program)
    }

    /// Parses one token test (`[title & !@stop]`, `@titles`, `i"the"`), for a rule's context.
    ///
    /// # Errors
    /// As [`Program::compile`], and when `src` is more than one token test.
    pub fn compile_test(src: &str, resolver: &mut impl Resolver) -> Result<Test, String> {
        let mut parser = Parser { src, pos: 0, resolver, captures: 0 };
        let node = parser.primary()?;
        if parser.peek().is_some() {
            return parser.err("expected a single token test");
        }
        match node {
            Node::Tok(t) => Ok(t),
            _ => Err("expected a single token test, not a sequence".into()),
        }
    }

    /// Hands every test to `number`, which files it in a shared table and returns its number
    /// there; the instructions then refer to that table.
    pub fn renumber_tests(&mut self, mut number: impl FnMut(Test) -> u32) {
        let numbers: Vec<u32> = std::mem::take(&mut self.tests).into_iter().map(&mut number).collect();
        for inst in &mut self.insts {
            if let Inst::Tok(n) = inst {
                *n = numbers[*n as usize];
            }
        }
    }

    /// The numbers of the tests one of which the first token of any match must pass.
    pub fn first_tests(&self) -> Vec<u32> {
        let mut out = Vec::new();
        let mut seen = vec![false; self.insts.len()];
        let mut stack = vec![0];
        while let Some(pc) = stack.pop() {
            if std::mem::replace(&mut seen[pc], true) {
                continue;
            }
            match &self.insts[pc] {
                Inst::Tok(t) => out.push(*t),
                Inst::Split(a, b) => stack.extend([*a, *b]),
                Inst::Jmp(a) => stack.push(*a),
                Inst::Save(_) => stack.push(pc + 1),
                Inst::Match => {}
            }
        }
        out
    }

    /// Every test number the instructions use, sorted, once each.
    pub fn tests_used(&self) -> Vec<u32> {
        let mut out: Vec<u32> = self.insts.iter().filter_map(|i| if let Inst::Tok(t) = i { Some(*t) } else { None }).collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The test of the token-test instruction at `pc` (as listed by [`Program::closure`]).
    pub fn test_at(&self, pc: u32) -> u32 {
        match self.insts[pc as usize] {
            Inst::Tok(t) => t,
            _ => unreachable!("closure lists token-test instructions only"),
        }
    }

    /// Where threads at instructions `from` get to without consuming a token: the sorted
    /// token-test instructions they wait at, and whether one of them reached `Match`. This
    /// is one state of the lazy DFA a rule set builds per rule (see `classes`).
    pub fn closure(&self, from: impl IntoIterator<Item = usize>) -> (Vec<u32>, bool) {
        let mut seen = vec![false; self.insts.len()];
        let mut stack: Vec<usize> = from.into_iter().collect();
        let (mut waiting, mut matched) = (Vec::new(), false);
        while let Some(pc) = stack.pop() {
            if std::mem::replace(&mut seen[pc], true) {
                continue;
            }
            match self.insts[pc] {
                Inst::Tok(_) => waiting.push(pc as u32),
                Inst::Split(a, b) => stack.extend([a, b]),
                Inst::Jmp(a) => stack.push(a),
                Inst::Save(_) => stack.push(pc + 1),
                Inst::Match => matched = true,
            }
        }
        waiting.sort_unstable();
        (waiting, matched)
    }

    /// The longest match starting at token `start` of `len` tokens, where `passes(test, i)`
    /// says whether token `i` passes test number `test`: `(match end, entity start, entity
    /// end)` in tokens. Among matches of the same length the captures of the preferred path
    /// (greedy operators, earlier alternatives) win.
    ///
    /// The attempt looks at most [`MAX_MATCH_TOKENS`] tokens ahead and takes at most
    /// [`STEP_BUDGET`] steps; when either bound could change the answer it gives up
    /// ([`GaveUp`]) rather than return a shorter match than the longest.
    ///
    /// `stack` is scratch space, reused across calls to avoid an allocation per attempt.
    pub fn longest_at(&self, len: usize, passes: impl Fn(u32, usize) -> bool, start: usize, stack: &mut Vec<Thread>) -> Attempt {
        let found = |result, steps| Attempt { result: Ok(result), steps };
        // Tokens past `window` are out of sight; a thread that would read one makes the
        // attempt give up.
        let window = len.min(start.saturating_add(MAX_MATCH_TOKENS));
        // Most attempts fail on their first token: check it before setting up a thread, and
        // start the thread after it when it passes (leading `Save`s run first).
        let mut caps = [start, start];
        let mut pc = 0;
        while let Some(Inst::Save(k)) = self.insts.get(pc) {
            caps[*k] = start;
            pc += 1;
        }
        let mut pos = start;
        if let Some(Inst::Tok(t)) = self.insts.get(pc) {
            if start >= len || !passes(*t, start) {
                return found(None, 0);
            }
            pc += 1;
            pos += 1;
        }
        let mut best: Option<(usize, usize, usize)> = None;
        stack.clear();
        stack.push((pc, pos, caps));
        let mut steps = 0;
        while let Some((mut pc, mut pos, mut caps)) = stack.pop() {
            loop {
                steps += 1;
                if steps > STEP_BUDGET {
                    return Attempt { result: Err(GaveUp::Steps), steps };
                }
                match &self.insts[pc] {
                    Inst::Tok(t) => {
                        if pos < window && passes(*t, pos) {
                            pc += 1;
                            pos += 1;
                        } else if pos == window && window < len && passes(*t, pos) {
                            return Attempt { result: Err(GaveUp::Length), steps };
                        } else {
                            break;
                        }
                    }
                    Inst::Split(a, b) => {
                        stack.push((*b, pos, caps));
                        pc = *a;
                    }
                    Inst::Jmp(a) => pc = *a,
                    Inst::Save(k) => {
                        caps[*k] = pos;
                        pc += 1;
                    }
                    Inst::Match => {
                        if pos > start && !matches!(best, Some(b) if pos <= b.0) {
                            let (s, e) = if self.has_capture { (caps[0], caps[1]) } else { (start, pos) };
                            best = Some((pos, s, e));
                        }
                        break;
                    }
                }
            }
        }
        found(best, steps)
    }

    fn emit(&mut self, node: &Node) {
        match node {
            Node::Tok(t) => {
                self.insts.push(Inst::Tok(self.tests.len() as u32));
                self.tests.push(t.clone());
            }
            Node::Seq(items) => items.iter().for_each(|n| self.emit(n)),
            Node::Alt(options) => {
                let mut jumps = Vec::new();
                for (k, option) in options.iter().enumerate() {
                    if k + 1 < options.len() {
                        let split = self.insts.len();
                        self.insts.push(Inst::Split(split + 1, 0));
                        self.emit(option);
                        jumps.push(self.insts.len());
                        self.insts.push(Inst::Jmp(0));
                        let next = self.insts.len();
                        self.insts[split] = Inst::Split(split + 1, next);
                    } else {
                        self.emit(option);
                    }
                }
                let end = self.insts.len();
                for j in jumps {
                    self.insts[j] = Inst::Jmp(end);
                }
            }
            Node::Repeat(inner, min, max) => {
                for _ in 0..*min {
                    self.emit(inner);
                }
                match max {
                    None => {
                        let split = self.insts.len();
                        self.insts.push(Inst::Split(split + 1, 0));
                        self.emit(inner);
                        self.insts.push(Inst::Jmp(split));
                        let end = self.insts.len();
                        self.insts[split] = Inst::Split(split + 1, end);
                    }
                    Some(max) => {
                        let mut splits = Vec::new();
                        for _ in *min..*max {
                            splits.push(self.insts.len());
                            self.insts.push(Inst::Split(0, 0));
                            self.emit(inner);
                        }
                        let end = self.insts.len();
                        for s in splits {
                            self.insts[s] = Inst::Split(s + 1, end);
                        }
                    }
                }
            }
            Node::Capture(inner) => {
                self.insts.push(Inst::Save(0));
                self.emit(inner);
                self.insts.push(Inst::Save(1));
            }
        }
    }
}
