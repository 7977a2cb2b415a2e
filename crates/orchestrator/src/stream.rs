//! Streaming extraction for corpora of any size: `nerlab extract`'s engine.
//!
//! The input is read by one thread, cut into *work units* (consecutive documents or JSONL
//! lines, about [`StreamOptions::unit_bytes`]), and each unit is parsed, extracted and encoded
//! as JSONL by one of [`StreamOptions::threads`] workers, `batch_size` documents per
//! [`Extractor::extract_batch`] call. The reader does not parse JSONL: it only cuts whole
//! lines into blocks ([`jsonl_blocks`]), so that parsing scales with the workers instead of
//! competing with them for the cores from a thread of its own. The calling thread writes
//! units in input order as soon as each is ready, flushing after every unit, so output
//! streams and its order never depends on the thread count.
//!
//! Memory is bounded regardless of input size: the reader takes a *credit* before it hands a
//! unit to the workers and the writer gives it back once the unit is written, so at most
//! [`StreamOptions::window`] units (read, in work, or waiting for an earlier one) exist at any
//! time. A slow unit holds back the reader instead of letting finished units pile up behind
//! it.
//!
//! Each document goes through the same validate-and-emit path as `nerlab eval`
//! (`run::run_chunk`: `catch_unwind`, retry one by one to blame a panicking document, span
//! validation, sorting). A document that fails and a line that is not a document are
//! [`Problem`]s: reported with their source and line number, and skipped
//! ([`OnError::Skip`], the default) or the end of the run ([`OnError::Fail`]); documents
//! before them are always written.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, sync_channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use nerlab_core::{Document, Entity, Extractor};
use serde::{Deserialize, Serialize};

use crate::run::run_chunk;

/// What to do with a document that fails or a line that is not a document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnError {
    /// Report it on stderr, leave it out of the output and go on (exit code 1 at the end).
    #[default]
    Skip,
    /// Report it and stop after writing the documents before it (exit code 2).
    Fail,
}

impl std::str::FromStr for OnError {
    type Err = String;

    fn from_str(s: &str) -> Result<OnError, String> {
        match s {
            "skip" => Ok(OnError::Skip),
            "fail" => Ok(OnError::Fail),
            other => Err(format!("expected `skip` or `fail`, not {other:?}")),
        }
    }
}

/// Options of [`extract_stream`].
#[derive(Debug, Clone, Copy)]
pub struct StreamOptions {
    /// Worker threads calling the extractor (at least 1).
    pub threads: usize,
    /// Documents per `extract_batch` call (the extractor's `batch_size`).
    pub batch_size: usize,
    /// A work unit closes once it holds this many bytes (of text for documents, of whole lines
    /// for JSONL blocks) and `batch_size` documents or lines; one unit is the grain of
    /// parallelism and of flushing.
    pub unit_bytes: usize,
    /// Work units alive at once (the memory bound).
    pub window: usize,
    /// Skip problems or stop at the first.
    pub on_error: OnError,
    /// Draw a progress line on stderr (only when it is a terminal).
    pub progress: bool,
}

impl StreamOptions {
    /// Sensible defaults for `threads` workers and an extractor batch of `batch_size`.
    pub fn new(threads: usize, batch_size: usize) -> StreamOptions {
        let threads = threads.max(1);
        StreamOptions {
            threads,
            batch_size: batch_size.max(1),
            unit_bytes: 64 * 1024,
            window: 4 * threads,
            on_error: OnError::Skip,
            progress: false,
        }
    }
}

/// Where an input came from: a file (or `<stdin>`) and a 1-based line, 0 for a whole file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file name, or `<stdin>`.
    pub source: Arc<str>,
    /// The line number in a JSONL source; 0 when the document is a whole file.
    pub line: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.source)
        } else {
            write!(f, "{}:{}", self.source, self.line)
        }
    }
}

/// One item of the input.
#[derive(Debug)]
pub enum Input {
    /// A document to extract from.
    Document(Document, Origin),
    /// A line (or file) that is not a document: malformed JSON, missing fields, not UTF-8.
    Malformed(Origin, String),
    /// Whole JSONL lines, not yet parsed: the worker that extracts them parses them.
    Lines(JsonlLines),
}

/// Consecutive whole lines of a JSONL source, as [`jsonl_blocks`] cuts them.
#[derive(Debug)]
pub struct JsonlLines {
    source: Arc<str>,
    /// The 1-based line number of the first line.
    first_line: usize,
    /// How many lines `bytes` holds (blank ones included).
    lines: usize,
    /// The lines, each ending in `\n` except perhaps the source's last.
    bytes: Vec<u8>,
}

impl JsonlLines {
    /// Parses the lines: a [`Input::Document`] or [`Input::Malformed`] per line that is not
    /// blank, in order.
    pub fn parse(&self) -> impl Iterator<Item = Input> + '_ {
        self.parse_lines().map(|(line, parsed)| {
            let origin = Origin { source: self.source.clone(), line };
            match parsed {
                Ok(document) => Input::Document(document, origin),
                Err(error) => Input::Malformed(origin, error),
            }
        })
    }

    /// Each line that is not blank, parsed, with its line number.
    fn parse_lines(&self) -> impl Iterator<Item = (usize, Result<Document, String>)> + '_ {
        let lines = self.bytes.split_inclusive(|&b| b == b'\n');
        lines
            .enumerate()
            .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
            .map(|(k, line)| (self.first_line + k, parse_line(line)))
    }
}

/// One JSONL line as a document, or what is wrong with it.
fn parse_line(line: &[u8]) -> Result<Document, String> {
    // serde's derived structs also accept a JSON array (`["id", "text"]`): only objects are
    // documents.
    if line.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err("not a JSON object: a line must be {\"id\": string, \"text\": string}".into());
    }
    // serde_json checks the UTF-8 of every string it reads from bytes; one check of the
    // whole line is cheaper, and then its `str` reader checks nothing again. A line that is
    // not UTF-8 goes through the byte reader, whose error says where.
    let parsed = match std::str::from_utf8(line) {
        Ok(line) => serde_json::from_str::<InputLine>(line),
        Err(_) => serde_json::from_slice::<InputLine>(line),
    };
    match parsed {
        Ok(line) => Ok(Document::new(line.id, line.text)),
        Err(e) if e.is_data() => Err(format!("expected {{\"id\": string, \"text\": string}}: {e}")),
        Err(e) => Err(format!("not a JSON object: {e}")),
    }
}

/// A document that failed or an input that is not a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where the input was.
    pub origin: Origin,
    /// The document's id, when the input was a document.
    pub document: Option<String>,
    /// What went wrong, one line.
    pub error: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.document {
            Some(id) => write!(f, "{}: document {id:?}: {}", self.origin, self.error),
            None => write!(f, "{}: {}", self.origin, self.error),
        }
    }
}

/// What a stream did.
#[derive(Debug, Clone, Default)]
pub struct StreamSummary {
    /// Documents written to the output.
    pub written: usize,
    /// Documents the extractor failed on.
    pub failed_documents: usize,
    /// Inputs that were not documents.
    pub malformed: usize,
    /// Bytes of text of the documents written.
    pub bytes: u64,
    /// Wall time from the first read to the last write.
    pub elapsed: Duration,
    /// Whether the stream stopped early ([`OnError::Fail`] met a problem).
    pub stopped: bool,
}

impl StreamSummary {
    /// Whether anything was skipped or the stream stopped early.
    pub fn had_problems(&self) -> bool {
        self.failed_documents > 0 || self.malformed > 0 || self.stopped
    }
}

/// The `{"id","text"}` of an input line; other keys (gold `entities`, metadata) are ignored.
#[derive(Deserialize)]
struct InputLine {
    id: String,
    text: String,
}

/// One output line, as serde writes it: the reference [`encode_line`] is tested against.
#[derive(Serialize)]
#[cfg_attr(not(test), allow(dead_code))]
struct OutputLine<'a> {
    id: &'a str,
    entities: &'a [Entity],
}

/// Appends one output line, `{"id":…,"entities":[…]}` and `\n`: byte for byte what
/// `serde_json` writes for [`OutputLine`] (a test holds them equal), at about half its cost.
/// Serde's derived code escapes every key and goes through its formatter per field; for
/// corpora of short documents (a CoNLL sentence is ~70 bytes) that was a tenth of the
/// engine's time per document.
fn encode_line(out: &mut Vec<u8>, id: &str, entities: &[Entity]) {
    out.extend_from_slice(b"{\"id\":");
    put_json_str(out, id);
    out.extend_from_slice(b",\"entities\":[");
    for (k, entity) in entities.iter().enumerate() {
        // Destructured in full: a new field of `Entity` does not compile here until it is
        // written (in the order serde would write it).
        let Entity { start, end, label, text, score, canonical } = entity;
        if k > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"start\":");
        out.extend_from_slice(itoa::Buffer::new().format(*start).as_bytes());
        out.extend_from_slice(b",\"end\":");
        out.extend_from_slice(itoa::Buffer::new().format(*end).as_bytes());
        out.extend_from_slice(b",\"label\":");
        put_json_str(out, label.as_str());
        out.extend_from_slice(b",\"text\":");
        put_json_str(out, text);
        if let Some(score) = score {
            out.extend_from_slice(b",\"score\":");
            // serde_json's float format (shortest round trip; NaN and infinities as null).
            serde_json::to_writer(&mut *out, score).expect("writing to memory does not fail");
        }
        if let Some(canonical) = canonical {
            out.extend_from_slice(b",\"canonical\":");
            put_json_str(out, canonical);
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"]}\n");
}

/// Appends `s` as a JSON string: copied as it is when nothing in it needs escaping (JSON
/// escapes only `"`, `\\` and control characters; serde_json leaves the rest as UTF-8),
/// else through serde_json.
fn put_json_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        serde_json::to_writer(&mut *out, s).expect("writing to memory does not fail");
    } else {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// Reads JSONL documents (`{"id","text"}` per line; blank lines skipped) from `reader`, one
/// input per line.
///
/// A line that is not valid UTF-8 or not such an object is an [`Input::Malformed`] naming its
/// line; only a failing read is an `Err`, and it ends the iteration.
pub fn jsonl_inputs<R: BufRead>(reader: R, source: &str) -> impl Iterator<Item = io::Result<Input>> {
    jsonl_blocks(reader, source, 0).flat_map(|block| match block {
        Ok(Input::Lines(lines)) => lines.parse().map(Ok).collect::<Vec<_>>(),
        other => vec![other],
    })
}

/// The size of the line blocks `nerlab extract` reads JSONL in: a quarter of a work unit's
/// default, so that units are still cut close to their size.
pub const JSONL_BLOCK_BYTES: usize = 16 * 1024;

/// Reads a JSONL source as [`Input::Lines`] blocks of whole lines, each closed once it holds
/// `block_bytes` (at least one line), without parsing them: [`extract_stream`]'s workers do.
///
/// Only a failing read is an `Err`, after the lines read before it; it ends the iteration.
pub fn jsonl_blocks<R: BufRead>(mut reader: R, source: &str, block_bytes: usize) -> impl Iterator<Item = io::Result<Input>> {
    let source: Arc<str> = source.into();
    let mut next_line = 1;
    let mut failed: Option<io::Error> = None;
    let mut done = false;
    std::iter::from_fn(move || {
        if let Some(e) = failed.take() {
            done = true;
            return Some(Err(e));
        }
        if done {
            return None;
        }
        let mut block = JsonlLines { source: source.clone(), first_line: next_line, lines: 0, bytes: Vec::new() };
        while block.lines == 0 || block.bytes.len() < block_bytes {
            let complete = block.bytes.len();
            match reader.read_until(b'\n', &mut block.bytes) {
                Ok(0) => {
                    done = true;
                    break;
                }
                Ok(_) => {
                    block.lines += 1;
                    next_line += 1;
                    // A line without its `\n` ends the source, or a read that found no more
                    // yet (a terminal's Ctrl-D, a file still being written): close the block
                    // so that the next line is not glued onto it.
                    if block.bytes.last() != Some(&b'\n') {
                        break;
                    }
                }
                Err(e) => {
                    // Only whole lines travel; the one the read broke off is the error's.
                    block.bytes.truncate(complete);
                    failed = Some(io::Error::new(e.kind(), format!("{source}:{next_line}: {e}")));
                    break;
                }
            }
        }
        match block.lines {
            0 => failed.take().map(|e| {
                done = true;
                Err(e)
            }),
            _ => Some(Ok(Input::Lines(block))),
        }
    })
}

/// One plain-text file as one document, its id the file name.
///
/// # Errors
/// When the file cannot be read; text that is not UTF-8 is an [`Input::Malformed`].
pub fn text_file_input(path: &Path) -> io::Result<Input> {
    let bytes = std::fs::read(path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let origin = Origin { source: path.display().to_string().into(), line: 0 };
    Ok(match String::from_utf8(bytes) {
        Ok(text) => {
            let id = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            Input::Document(Document::new(id, text), origin)
        }
        Err(e) => Input::Malformed(origin, format!("not UTF-8 text: {e}")),
    })
}

/// Consecutive inputs, parsed and extracted by one worker.
struct Unit {
    seq: u64,
    inputs: Vec<Input>,
}

/// A unit's inputs parsed: its documents, where each came from, and the inputs that were not
/// documents, each with the number of documents before it in the unit.
///
/// A document's origin is kept as a line number and an index into `sources` (one per source
/// the unit reads, usually one), not as an [`Origin`]: cloning the source's `Arc` for every
/// document made all workers increment and decrement one shared counter per document, a
/// cache line passed between cores on every document.
#[derive(Default)]
struct Parsed {
    documents: Vec<Document>,
    lines: Vec<(usize, usize)>,
    sources: Vec<Arc<str>>,
    malformed: Vec<(usize, Problem)>,
}

impl Parsed {
    fn new(inputs: Vec<Input>) -> Parsed {
        let mut parsed = Parsed::default();
        for input in inputs {
            parsed.push(input);
        }
        parsed
    }

    fn push(&mut self, input: Input) {
        match input {
            Input::Document(document, origin) => {
                let source = self.source_index(&origin.source);
                self.documents.push(document);
                self.lines.push((source, origin.line));
            }
            Input::Malformed(origin, error) => self.malformed.push((self.documents.len(), Problem { origin, document: None, error })),
            Input::Lines(lines) => {
                let source = self.source_index(&lines.source);
                for (line, parsed) in lines.parse_lines() {
                    match parsed {
                        Ok(document) => {
                            self.documents.push(document);
                            self.lines.push((source, line));
                        }
                        Err(error) => {
                            let origin = Origin { source: lines.source.clone(), line };
                            self.malformed.push((self.documents.len(), Problem { origin, document: None, error }));
                        }
                    }
                }
            }
        }
    }

    /// The index of `source` in `sources`, added if it is not the last one (sources come one
    /// after another, so a source seen before and not last does not come back).
    fn source_index(&mut self, source: &Arc<str>) -> usize {
        if !self.sources.last().is_some_and(|last| Arc::ptr_eq(last, source)) {
            self.sources.push(source.clone());
        }
        self.sources.len() - 1
    }

    /// Where the `k`-th document came from.
    fn origin(&self, k: usize) -> Origin {
        let (source, line) = self.lines[k];
        Origin { source: self.sources[source].clone(), line }
    }
}

/// A unit extracted and encoded.
struct Done {
    seq: u64,
    /// The JSONL lines of the documents that succeeded, in order (when encoding).
    lines: Vec<u8>,
    /// The documents that succeeded with their entities, in order (when keeping, see
    /// [`extract_documents`]).
    kept: Vec<(Document, Vec<Entity>)>,
    /// `cuts[k]`: where output stops when the run stops at a problem at the unit's `k`-th
    /// document (one more entry than documents, the last being the whole unit).
    cuts: Vec<Cut>,
    /// Bytes of text of the documents that succeeded.
    bytes: u64,
    /// Problems in input order, each with the index of the document it comes before or is.
    problems: Vec<(usize, Problem)>,
}

/// The output of a unit up to one of its documents.
#[derive(Clone, Copy, Default)]
struct Cut {
    /// The length of `lines` (or `kept`) before the document.
    end: usize,
    /// Bytes of text of the documents before it that succeeded.
    bytes: u64,
}

impl Done {
    /// Marks the cut before the next document (or after the last).
    fn cut_here(&mut self, keep: bool) {
        let end = if keep { self.kept.len() } else { self.lines.len() };
        self.cuts.push(Cut { end, bytes: self.bytes });
    }
}

/// Runs `extractor` over `inputs`, writing one `{"id","entities"}` line per document to
/// `out` in input order, and calls `report` for every [`Problem`], also in input order.
///
/// # Errors
/// Only when reading the input or writing the output fails; everything read before is
/// written first.
pub fn extract_stream<I>(
    extractor: &dyn Extractor,
    inputs: I,
    out: &mut dyn Write,
    options: &StreamOptions,
    report: &mut dyn FnMut(&Problem),
) -> io::Result<StreamSummary>
where
    I: Iterator<Item = io::Result<Input>> + Send,
{
    run_stream(extractor, inputs, Output::Lines(out), options, report)
}

/// Runs `extractor` over `inputs` as [`extract_stream`] does, but hands each document that
/// succeeded to `take` with its entities, in input order, instead of encoding it: for a
/// stage that needs the outputs before they are written, like linking mentions across the
/// corpus (`nerlab extract --canonicalize`).
///
/// # Errors
/// Only when reading the input fails.
pub fn extract_documents<I>(
    extractor: &dyn Extractor,
    inputs: I,
    take: &mut dyn FnMut(Document, Vec<Entity>),
    options: &StreamOptions,
    report: &mut dyn FnMut(&Problem),
) -> io::Result<StreamSummary>
where
    I: Iterator<Item = io::Result<Input>> + Send,
{
    run_stream(extractor, inputs, Output::Documents(take), options, report)
}

/// Where the writer puts finished documents, in input order.
enum Output<'a> {
    /// JSONL, encoded by the workers, written and flushed unit by unit.
    Lines(&'a mut dyn Write),
    /// Each document with its entities, to a callback.
    Documents(&'a mut dyn FnMut(Document, Vec<Entity>)),
}

impl Output<'_> {
    /// Puts out the first `end` (of `lines` or `kept`) of `unit`.
    fn put(&mut self, unit: &mut Done, end: usize) -> io::Result<()> {
        match self {
            Output::Lines(out) => {
                out.write_all(&unit.lines[..end])?;
                out.flush()
            }
            Output::Documents(take) => {
                unit.kept.drain(..end).for_each(|(document, entities)| take(document, entities));
                Ok(())
            }
        }
    }
}

fn run_stream<I>(
    extractor: &dyn Extractor,
    inputs: I,
    mut out: Output<'_>,
    options: &StreamOptions,
    report: &mut dyn FnMut(&Problem),
) -> io::Result<StreamSummary>
where
    I: Iterator<Item = io::Result<Input>> + Send,
{
    let start = Instant::now();
    let stop = AtomicBool::new(false);
    let window = options.window.max(1);
    let (credit_tx, credit_rx) = sync_channel::<()>(window);
    for _ in 0..window {
        credit_tx.send(()).expect("the receiver is alive");
    }
    let (work_tx, work_rx) = channel::<Unit>();
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = channel::<Done>();
    let bar = progress_line(options.progress);
    let keep = matches!(out, Output::Documents(_));

    std::thread::scope(|scope| {
        let stop_flag = &stop;
        let reader = scope.spawn(move || read_units(inputs, options, stop_flag, &credit_rx, work_tx));
        for _ in 0..options.threads.max(1) {
            let done_tx = done_tx.clone();
            let (work_rx, stop) = (&work_rx, &stop);
            scope.spawn(move || work(extractor, work_rx, &done_tx, stop, options.batch_size.max(1), keep));
        }
        drop(done_tx);
        let written = write_units(&done_rx, &mut out, options.on_error, &stop, &credit_tx, &bar, report, start);
        // The writer stops early only on an output error: let the reader and workers wind down.
        stop.store(true, Ordering::Relaxed);
        drop(credit_tx);
        drop(done_rx);
        let read = reader.join().expect("the reader does not panic");
        bar.finish_and_clear();
        let mut summary = written?;
        // A read error comes after every unit read before it: when the run stopped at a
        // problem, that problem came first and is the run's outcome.
        if !summary.stopped {
            read?;
        }
        summary.elapsed = start.elapsed();
        Ok(summary)
    })
}

/// The reader: cuts the input into units, taking a credit for each.
fn read_units<I>(
    inputs: I,
    options: &StreamOptions,
    stop: &AtomicBool,
    credits: &Receiver<()>,
    work: std::sync::mpsc::Sender<Unit>,
) -> io::Result<()>
where
    I: Iterator<Item = io::Result<Input>>,
{
    let mut unit = Unit { seq: 0, inputs: Vec::new() };
    let (mut unit_bytes, mut documents) = (0, 0);
    let send = |unit: Unit| credits.recv().is_ok() && work.send(unit).is_ok();
    for input in inputs {
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        let input = match input {
            Ok(input) => input,
            Err(e) => {
                // What was read before the failure is still extracted and written.
                if !unit.inputs.is_empty() {
                    send(unit);
                }
                return Err(e);
            }
        };
        let fail_here = matches!(input, Input::Malformed(..)) && options.on_error == OnError::Fail;
        match &input {
            Input::Document(doc, _) => {
                unit_bytes += doc.text.len();
                documents += 1;
            }
            Input::Malformed(..) => {}
            // Counted as if every line were a document: close enough to cut units by.
            Input::Lines(lines) => {
                unit_bytes += lines.bytes.len();
                documents += lines.lines;
            }
        }
        unit.inputs.push(input);
        if fail_here {
            break;
        }
        // A unit holds at least one extractor batch (a transformer buckets its documents by
        // length within a batch), unless its text alone is very large.
        if unit_bytes >= options.unit_bytes && documents >= options.batch_size
            || documents >= options.batch_size.max(MAX_UNIT_DOCUMENTS)
            || unit_bytes >= MAX_UNIT_BYTES_FACTOR * options.unit_bytes
        {
            let next = Unit { seq: unit.seq + 1, inputs: Vec::new() };
            if !send(std::mem::replace(&mut unit, next)) {
                return Ok(());
            }
            (unit_bytes, documents) = (0, 0);
        }
    }
    if !unit.inputs.is_empty() {
        send(unit);
    }
    Ok(())
}

/// A unit of many tiny documents closes at this count even below `unit_bytes`.
const MAX_UNIT_DOCUMENTS: usize = 4096;
/// A unit of long documents closes at this multiple of `unit_bytes` even below `batch_size`.
const MAX_UNIT_BYTES_FACTOR: usize = 16;

/// A worker: extracts units and encodes their lines (or keeps their documents) until the
/// input ends.
fn work(
    extractor: &dyn Extractor,
    units: &Mutex<Receiver<Unit>>,
    done: &std::sync::mpsc::Sender<Done>,
    stop: &AtomicBool,
    batch_size: usize,
    keep: bool,
) {
    loop {
        // The lock is held only while waiting for the next unit, never while extracting.
        let Ok(unit) = units.lock().expect("no worker panics holding the lock").recv() else {
            return;
        };
        let seq = unit.seq;
        // Once the run stops, later units are only handed back (for their credits).
        let mut unit = if stop.load(Ordering::Relaxed) { Parsed::default() } else { Parsed::new(unit.inputs) };
        // Output is about the size of the input text, more for short documents dense in
        // entities (a CoNLL sentence's line is ~1.6x its text), less for long ones: one
        // allocation covers most units, where half the text took two or three reallocations.
        let encoded_bytes = if keep { 0 } else { unit.documents.iter().map(|d| d.text.len() + 48).sum::<usize>() + 64 };
        let mut result = Done {
            seq,
            lines: Vec::with_capacity(encoded_bytes),
            kept: Vec::with_capacity(if keep { unit.documents.len() } else { 0 }),
            cuts: Vec::with_capacity(unit.documents.len() + 1),
            bytes: 0,
            problems: Vec::new(),
        };
        let mut malformed = std::mem::take(&mut unit.malformed).into_iter().peekable();
        if !stop.load(Ordering::Relaxed) {
            let mut index = 0;
            let mut documents = std::mem::take(&mut unit.documents);
            for chunk in documents.chunks_mut(batch_size) {
                let results = run_chunk(extractor, chunk);
                for (doc, (entities, failure)) in chunk.iter_mut().zip(results) {
                    // Every line that was not a document before this one, however many.
                    while let Some(problem) = malformed.next_if(|(before, _)| *before <= index) {
                        result.problems.push(problem);
                    }
                    result.cut_here(keep);
                    match failure {
                        Some(f) => result
                            .problems
                            .push((index, Problem { origin: unit.origin(index), document: Some(f.document), error: f.error })),
                        None if keep => {
                            result.bytes += doc.text.len() as u64;
                            // The unit is this worker's: the document moves on without a copy.
                            result.kept.push((std::mem::replace(doc, Document::new("", "")), entities));
                        }
                        None => {
                            encode_line(&mut result.lines, &doc.id, &entities);
                            result.bytes += doc.text.len() as u64;
                        }
                    }
                    index += 1;
                }
            }
        }
        result.cut_here(keep);
        result.problems.extend(malformed);
        if done.send(result).is_err() {
            return;
        }
    }
}

/// The writer: puts units back in input order, writes and flushes each, reports problems.
#[allow(clippy::too_many_arguments)]
fn write_units(
    done: &Receiver<Done>,
    out: &mut Output<'_>,
    on_error: OnError,
    stop: &AtomicBool,
    credits: &std::sync::mpsc::SyncSender<()>,
    bar: &ProgressBar,
    report: &mut dyn FnMut(&Problem),
    start: Instant,
) -> io::Result<StreamSummary> {
    let mut summary = StreamSummary::default();
    let mut waiting: BTreeMap<u64, Done> = BTreeMap::new();
    let mut next = 0;
    for unit in done {
        waiting.insert(unit.seq, unit);
        while let Some(mut unit) = waiting.remove(&next) {
            next += 1;
            // The unit is consumed either way: its credit lets the reader go on.
            let _ = credits.send(());
            if summary.stopped {
                continue;
            }
            if on_error == OnError::Fail {
                if let Some((index, first)) = unit.problems.first() {
                    let (index, first) = (*index, first.clone());
                    let cut = unit.cuts.get(index).or(unit.cuts.last()).copied().unwrap_or_default();
                    out.put(&mut unit, cut.end)?;
                    // Every document before the first problem succeeded.
                    summary.written += index;
                    summary.bytes += cut.bytes;
                    bar.suspend(|| report(&first));
                    if first.document.is_some() {
                        summary.failed_documents += 1;
                    } else {
                        summary.malformed += 1;
                    }
                    summary.stopped = true;
                    stop.store(true, Ordering::Relaxed);
                    continue;
                }
            }
            for (_, problem) in &unit.problems {
                bar.suspend(|| report(problem));
                if problem.document.is_some() {
                    summary.failed_documents += 1;
                } else {
                    summary.malformed += 1;
                }
            }
            let end = unit.cuts.last().map_or(0, |cut| cut.end);
            out.put(&mut unit, end)?;
            let documents = unit.cuts.len() - 1;
            summary.written += documents - unit.problems.iter().filter(|(_, p)| p.document.is_some()).count();
            summary.bytes += unit.bytes;
            update_progress(bar, &summary, start);
        }
    }
    Ok(summary)
}

fn progress_line(wanted: bool) -> ProgressBar {
    use std::io::IsTerminal;
    if !wanted || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4));
    bar.set_style(ProgressStyle::with_template("{spinner} {elapsed} {human_pos} docs  {per_sec}  {msg}").expect("valid template"));
    bar
}

fn update_progress(bar: &ProgressBar, summary: &StreamSummary, start: Instant) {
    if bar.is_hidden() {
        return;
    }
    bar.set_position(summary.written as u64);
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    let skipped = summary.failed_documents + summary.malformed;
    let skipped = if skipped > 0 { format!(", {skipped} skipped") } else { String::new() };
    bar.set_message(format!("{:.1} MB/s{skipped}", summary.bytes as f64 / 1e6 / secs));
}

/// What `nerlab extract` was asked to do.
#[derive(Debug, Clone)]
pub struct ExtractRequest {
    /// The extractor's name in the config.
    pub extractor: String,
    /// Inputs: `.jsonl` files, other files as one plain-text document each; stdin (JSONL)
    /// when empty.
    pub files: Vec<std::path::PathBuf>,
    /// Worker threads; default the extractor's `threads` in the config, else one per core.
    pub threads: Option<usize>,
    /// Documents per `extract_batch` call; default the extractor's `batch_size`.
    pub batch_size: Option<usize>,
    /// Skip problems or stop at the first.
    pub on_error: OnError,
    /// Draw a progress line when stderr is a terminal.
    pub progress: bool,
    /// Link mentions across the whole input (the config's `[canonicalize]`) and fill each
    /// entity's `canonical` id; output then comes once the input is read.
    pub canonicalize: bool,
    /// With `canonicalize`: also write the linked entities as JSONL to this file.
    pub entities: Option<std::path::PathBuf>,
}

/// `nerlab extract`: builds the named extractor of `config` and streams the requested inputs
/// through it to `out`, reporting problems on stderr.
///
/// # Errors
/// An unknown extractor, one that cannot be built, an input file that cannot be read, an
/// output that cannot be written (after writing everything before it).
pub fn extract_command(
    config: &crate::Config,
    registry: &crate::Registry,
    request: &ExtractRequest,
    out: &mut dyn Write,
) -> nerlab_core::Result<StreamSummary> {
    use nerlab_core::Error;
    let Some(spec) = config.extractors.iter().find(|s| s.name == request.extractor) else {
        return Err(Error::config(format!("no extractor named {:?}", request.extractor)).with_path(&config.path));
    };
    // A typo in a file name fails now, not after hours of work on the files before it.
    for path in &request.files {
        std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    }
    let extractor = crate::build_extractor(config, registry, spec)?;
    let canonicalizer = match request.canonicalize {
        true => Some(nerlab_canonical::Canonicalizer::from_config(&config.canonicalize, &config.base_dir())?),
        false => None,
    };
    let threads = request.threads.or(spec.threads).unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mut options = StreamOptions::new(threads, request.batch_size.unwrap_or(spec.batch_size));
    options.on_error = request.on_error;
    options.progress = request.progress;
    let inputs: Box<dyn Iterator<Item = io::Result<Input>> + Send> = if request.files.is_empty() {
        Box::new(jsonl_blocks(io::BufReader::with_capacity(1 << 20, io::stdin()), "<stdin>", JSONL_BLOCK_BYTES))
    } else {
        Box::new(request.files.clone().into_iter().flat_map(|path| -> Box<dyn Iterator<Item = io::Result<Input>> + Send> {
            if path.extension().is_some_and(|e| e == "jsonl") {
                match std::fs::File::open(&path) {
                    Ok(file) => {
                        Box::new(jsonl_blocks(io::BufReader::with_capacity(1 << 20, file), &path.display().to_string(), JSONL_BLOCK_BYTES))
                    }
                    Err(e) => Box::new(std::iter::once(Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))))),
                }
            } else {
                Box::new(std::iter::once(text_file_input(&path)))
            }
        }))
    };
    let report = &mut |p: &Problem| eprintln!("skipped: {p}");
    let summary = match &canonicalizer {
        Some(canonicalizer) => {
            extract_linked(canonicalizer, extractor.as_ref(), inputs, out, &options, report, request.entities.as_deref())?
        }
        None => extract_stream(extractor.as_ref(), inputs, out, &options, report).map_err(stream_error)?,
    };
    if summary.had_problems() {
        eprintln!(
            "{} document(s) written; skipped {} failed document(s) and {} malformed input(s){}",
            summary.written,
            summary.failed_documents,
            summary.malformed,
            if summary.stopped { "; stopped at the first (--on-error fail)" } else { "" }
        );
    }
    Ok(summary)
}

fn stream_error(e: io::Error) -> nerlab_core::Error {
    nerlab_core::Error::new(nerlab_core::ErrorKind::Io, format!("extract: {e}"))
}

/// `nerlab extract --canonicalize`: the documents are extracted as without it (in parallel,
/// problems skipped or fatal alike), but each one's entities are held (not its text, about
/// 100 bytes per mention) until the whole input is read, so that mentions are linked across
/// it; then every line is written with its `canonical` ids, and the linked entities to
/// `entities_out` when given. A failing read ends the input: what was read before it is still
/// linked and written, then the error is returned.
fn extract_linked<I>(
    canonicalizer: &nerlab_canonical::Canonicalizer,
    extractor: &dyn Extractor,
    inputs: I,
    out: &mut dyn Write,
    options: &StreamOptions,
    report: &mut dyn FnMut(&Problem),
    entities_out: Option<&Path>,
) -> nerlab_core::Result<StreamSummary>
where
    I: Iterator<Item = io::Result<Input>> + Send,
{
    let mut session = canonicalizer.session();
    let mut held: Vec<(String, Vec<Entity>)> = Vec::new();
    let mut take = |document: Document, entities: Vec<Entity>| {
        session.add_document(&document.text, &entities);
        held.push((document.id, entities));
    };
    let extracted = extract_documents(extractor, inputs, &mut take, options, report);
    let linked = session.finish();
    let write = || -> io::Result<()> {
        let mut line = Vec::new();
        for (d, (id, mut entities)) in held.into_iter().enumerate() {
            linked.apply(d, &mut entities);
            line.clear();
            encode_line(&mut line, &id, &entities);
            out.write_all(&line)?;
        }
        out.flush()
    };
    write().map_err(stream_error)?;
    if let Some(path) = entities_out {
        nerlab_canonical::write_jsonl(path, &linked.entities)?;
    }
    extracted.map_err(stream_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::tests::Flaky;

    /// Streams `jsonl` parsed line by line on the reader ([`jsonl_inputs`]) and cut into
    /// blocks of a few lines parsed by the workers ([`jsonl_blocks`]): both must give the same.
    fn run(jsonl: &str, options: &StreamOptions) -> (String, Vec<Problem>, StreamSummary) {
        let by_line = stream(jsonl_inputs(jsonl.as_bytes(), "in.jsonl"), options);
        for block_bytes in [1, 100, JSONL_BLOCK_BYTES] {
            let by_block = stream(jsonl_blocks(jsonl.as_bytes(), "in.jsonl", block_bytes), options);
            assert_eq!((&by_block.0, &by_block.1), (&by_line.0, &by_line.1), "blocks of {block_bytes} bytes");
            let counts = |s: &StreamSummary| (s.written, s.failed_documents, s.malformed, s.bytes, s.stopped);
            assert_eq!(counts(&by_block.2), counts(&by_line.2), "blocks of {block_bytes} bytes");
        }
        by_line
    }

    fn stream<I>(inputs: I, options: &StreamOptions) -> (String, Vec<Problem>, StreamSummary)
    where
        I: Iterator<Item = io::Result<Input>> + Send,
    {
        let mut out = Vec::new();
        let mut problems = Vec::new();
        let summary = extract_stream(&Flaky, inputs, &mut out, options, &mut |p| problems.push(p.clone())).unwrap();
        (String::from_utf8(out).unwrap(), problems, summary)
    }

    fn ids(out: &str) -> Vec<String> {
        out.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].as_str().unwrap().to_string()).collect()
    }

    fn corpus(n: usize) -> String {
        (0..n).map(|i| format!("{{\"id\":\"d{i}\",\"text\":\"NATO {}\"}}\n", "x ".repeat(i % 7))).collect()
    }

    /// Tiny units and many threads: units finish out of order, the output must not.
    fn scrambling(threads: usize) -> StreamOptions {
        StreamOptions { unit_bytes: 1, window: 3 * threads, ..StreamOptions::new(threads, 1) }
    }

    #[test]
    fn output_is_in_input_order_with_many_threads() {
        let input = corpus(400);
        let expected: Vec<String> = (0..400).map(|i| format!("d{i}")).collect();
        for threads in [1, 3, 8] {
            let (out, problems, summary) = run(&input, &scrambling(threads));
            assert_eq!(ids(&out), expected, "{threads} threads");
            assert!(problems.is_empty());
            assert_eq!(summary.written, 400);
            assert!(!summary.had_problems());
        }
        let (out, ..) = run(&input, &scrambling(1));
        let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
        assert_eq!(first["entities"][0]["text"], "NATO");
        assert_eq!(first["entities"][0]["start"], 0);
    }

    #[test]
    fn malformed_lines_and_failing_documents_are_skipped_and_reported_in_order() {
        let input = "{\"id\":\"a\",\"text\":\"NATO\"}\n\
                     {\"id\":\"b\",\"text\":\"PANIC\"}\n\
                     \n\
                     {\"id\":\"c\",\"text\":\n\
                     [1]\n\
                     {\"id\":\"d\",\"text\":\"ERR\"}\n\
                     {\"id\":\"e\"}\n\
                     {\"id\":\"f\",\"text\":\"ok NATO\"}\n";
        for options in [StreamOptions::new(2, 4), scrambling(4)] {
            let (out, problems, summary) = run(input, &options);
            assert_eq!(ids(&out), ["a", "f"]);
            let lines: Vec<usize> = problems.iter().map(|p| p.origin.line).collect();
            assert_eq!(lines, [2, 4, 5, 6, 7]);
            assert_eq!(problems[0].document.as_deref(), Some("b"));
            assert!(problems[0].error.contains("panicked: deliberate"), "{}", problems[0]);
            assert!(problems[1].document.is_none() && problems[1].to_string().starts_with("in.jsonl:4: not a JSON object"));
            assert!(problems[2].document.is_none() && problems[2].to_string().starts_with("in.jsonl:5: not a JSON object"));
            assert!(problems[3].error.contains("deliberate error"));
            assert!(problems[4].error.contains("missing field `text`"), "{}", problems[4]);
            assert_eq!((summary.written, summary.failed_documents, summary.malformed), (2, 2, 3));
            assert!(summary.had_problems() && !summary.stopped);
        }
    }

    #[test]
    fn on_error_fail_stops_after_the_documents_before_the_first_problem() {
        let mut input = corpus(50);
        input.push_str("{\"id\":\"bad\",\"text\":\"ERR\"}\n");
        input.push_str(&corpus(50));
        for options in [StreamOptions::new(2, 4), scrambling(4)] {
            let options = StreamOptions { on_error: OnError::Fail, ..options };
            let (out, problems, summary) = run(&input, &options);
            assert_eq!(ids(&out), (0..50).map(|i| format!("d{i}")).collect::<Vec<_>>());
            assert_eq!(problems.len(), 1);
            assert_eq!((problems[0].origin.line, problems[0].document.as_deref()), (51, Some("bad")));
            assert!(summary.stopped && summary.written == 50);
            // The text bytes of exactly the documents written.
            let written_text: usize = (0..50).map(|i| "NATO ".len() + "x ".repeat(i % 7).len()).sum();
            assert_eq!(summary.bytes, written_text as u64);
        }
        // A malformed line is found by a worker, in a unit the writer may not have reached.
        let malformed = format!("{}not json\n{}", corpus(5), corpus(50));
        for options in [StreamOptions::new(2, 4), scrambling(4)] {
            let options = StreamOptions { on_error: OnError::Fail, ..options };
            let (out, problems, summary) = run(&malformed, &options);
            assert_eq!(ids(&out), (0..5).map(|i| format!("d{i}")).collect::<Vec<_>>());
            assert_eq!((problems.len(), problems[0].origin.line, summary.malformed), (1, 6, 1));
            assert!(summary.stopped && summary.written == 5);
        }
    }

    #[test]
    fn on_error_fail_reports_the_problem_not_a_read_error_after_it() {
        let input = format!("{}not json\n{}", corpus(3), corpus(3));
        let options = StreamOptions { on_error: OnError::Fail, ..StreamOptions::new(2, 4) };
        let mut out = Vec::new();
        let mut problems = Vec::new();
        let reader = io::BufReader::new(io::Read::chain(input.as_bytes(), Broken(b"")));
        let inputs = jsonl_blocks(reader, "in.jsonl", JSONL_BLOCK_BYTES);
        let summary = extract_stream(&Flaky, inputs, &mut out, &options, &mut |p| problems.push(p.origin.line)).unwrap();
        assert!(summary.stopped && summary.written == 3 && problems == [4], "{summary:?} {problems:?}");
    }

    #[test]
    fn kept_documents_come_whole_in_input_order_and_problems_are_skipped() {
        let mut input = corpus(200);
        input.push_str("{\"id\":\"p\",\"text\":\"PANIC\"}\nnot json\n");
        input.push_str(&corpus(3));
        let mut expected: Vec<String> = (0..200).map(|i| format!("d{i}")).collect();
        expected.extend((0..3).map(|i| format!("d{i}")));
        for (options, block_bytes) in [(StreamOptions::new(1, 4), 0), (scrambling(4), 0), (scrambling(4), 100)] {
            let mut kept = Vec::new();
            let mut problems = Vec::new();
            let mut take = |d: Document, e: Vec<Entity>| kept.push((d, e));
            let inputs = jsonl_blocks(input.as_bytes(), "in.jsonl", block_bytes);
            let summary = extract_documents(&Flaky, inputs, &mut take, &options, &mut |p| problems.push(p.origin.line)).unwrap();
            assert_eq!(kept.iter().map(|(d, _)| d.id.clone()).collect::<Vec<_>>(), expected);
            assert!(kept.iter().all(|(d, e)| d.text.starts_with("NATO") && e.len() == 1 && e[0].text == "NATO"));
            assert_eq!(problems, [201, 202]);
            assert_eq!((summary.written, summary.failed_documents, summary.malformed), (203, 1, 1));
        }
    }

    #[test]
    fn linking_fills_canonical_ids_across_documents_and_threads() {
        let input = "{\"id\":\"a\",\"text\":\"NATO and NATO\"}\n\
                     {\"id\":\"b\",\"text\":\"ERR\"}\n\
                     {\"id\":\"c\",\"text\":\"then NATO\"}\n\
                     {\"id\":\"d\",\"text\":\"nothing\"}\n";
        let canonicalizer = nerlab_canonical::Canonicalizer::new();
        let dir = tempfile::tempdir().unwrap();
        let entities = dir.path().join("entities.jsonl");
        for options in [StreamOptions::new(1, 1), scrambling(3)] {
            let mut out = Vec::new();
            let mut problems = Vec::new();
            let inputs = jsonl_inputs(input.as_bytes(), "in.jsonl");
            let summary =
                extract_linked(&canonicalizer, &Flaky, inputs, &mut out, &options, &mut |p| problems.push(p.clone()), Some(&entities))
                    .unwrap();
            let lines: Vec<serde_json::Value> = String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
            let ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
            assert_eq!(ids, ["a", "c", "d"]);
            let canonical: Vec<&str> =
                lines.iter().flat_map(|l| l["entities"].as_array().unwrap()).map(|e| e["canonical"].as_str().expect("linked")).collect();
            assert_eq!(canonical.len(), 3);
            assert!(canonical.iter().all(|c| *c == canonical[0]), "one entity, one id: {canonical:?}");
            assert_eq!((problems.len(), summary.failed_documents, summary.written), (1, 1, 3));
            let written = std::fs::read_to_string(&entities).unwrap();
            assert_eq!(written.lines().count(), 1, "{written}");
            assert!(written.contains(canonical[0]), "{written}");
        }
    }

    /// Strings that need every kind of JSON escape, and some that need none.
    fn awkward_string() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::string::string_regex("(\"|\\\\|/|[\\x00-\\x1f]|\\x7f|[a-zA-Z ]|é|\\u{2028}|\\u{1F600})*").expect("valid regex")
    }

    proptest::proptest! {
        /// The hand-written encoder writes exactly what serde_json writes for the same line,
        /// so that readers of `nerlab extract`'s output cannot tell them apart.
        #[test]
        fn encoded_lines_are_serde_json_byte_for_byte(
            id in awkward_string(),
            entities in proptest::collection::vec(
                (0usize..1 << 40, 0usize..1 << 40, "[A-Z_]{1,6}", awkward_string(),
                 proptest::option::of(proptest::prop_oneof![proptest::num::f32::ANY, proptest::strategy::Just(f32::NAN), proptest::strategy::Just(f32::INFINITY)]),
                 proptest::option::of(awkward_string())),
                0..4,
            ),
        ) {
            let entities: Vec<Entity> = entities
                .into_iter()
                .map(|(start, end, label, text, score, canonical)| Entity { start, end, label: label.parse().expect("a label"), text, score, canonical })
                .collect();
            let mut ours = Vec::new();
            encode_line(&mut ours, &id, &entities);
            let mut serde = serde_json::to_vec(&OutputLine { id: &id, entities: &entities }).expect("serialisable");
            serde.push(b'\n');
            proptest::prop_assert_eq!(String::from_utf8(ours).expect("UTF-8"), String::from_utf8(serde).expect("UTF-8"));
        }
    }

    #[test]
    fn memory_is_bounded_by_the_window() {
        // An endless input: the stream must pull only as far as the window allows while the
        // writer is blocked, not read ahead without bound.
        struct Blocked;
        impl Write for Blocked {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let read = std::sync::atomic::AtomicUsize::new(0);
        let inputs = (0..).map(|i| {
            read.fetch_add(1, Ordering::Relaxed);
            Ok(Input::Document(Document::new(format!("d{i}"), "NATO"), Origin { source: "gen".into(), line: i + 1 }))
        });
        let options = StreamOptions { unit_bytes: 1, ..StreamOptions::new(2, 1) };
        let error = extract_stream(&Flaky, inputs, &mut Blocked, &options, &mut |_| {}).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::BrokenPipe);
        let read = read.load(Ordering::Relaxed);
        assert!(read <= options.window + 2, "read {read} documents with a window of {}", options.window);
    }

    /// Each input's line and whether it is a document (else malformed).
    fn line_kinds(inputs: impl Iterator<Item = Input>) -> Vec<(usize, bool)> {
        inputs
            .map(|i| match i {
                Input::Document(_, o) => (o.line, true),
                Input::Malformed(o, _) => (o.line, false),
                Input::Lines(_) => unreachable!("parsing gives documents"),
            })
            .collect()
    }

    fn blocks(jsonl: impl BufRead, block_bytes: usize) -> Vec<JsonlLines> {
        jsonl_blocks(jsonl, "s", block_bytes)
            .map(|b| match b.unwrap() {
                Input::Lines(lines) => lines,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn blocks_hold_whole_lines_numbered_from_where_they_start() {
        // CRLF line ends, a blank CRLF line, an array, a blank line, no newline at the end.
        let input =
            "{\"id\":\"a\",\"text\":\"x\"}\r\n\r\n{\"id\":\"b\",\"text\":\"y\"}\nnot json\n[\"a\",\"b\"]\n\n{\"id\":\"c\",\"text\":\"z\"}";
        let cut = blocks(input.as_bytes(), 30);
        assert_eq!(cut.iter().map(|b| (b.first_line, b.lines)).collect::<Vec<_>>(), [(1, 3), (4, 4)]);
        assert_eq!(cut.iter().flat_map(|b| b.bytes.clone()).collect::<Vec<u8>>(), input.as_bytes(), "every byte, once");
        let want = [(1, true), (3, true), (4, false), (5, false), (7, true)];
        assert_eq!(line_kinds(cut.iter().flat_map(|b| b.parse())), want);
        // A line a block, blank ones too: the same inputs.
        let one_each = blocks(input.as_bytes(), 1);
        assert_eq!(one_each.len(), 7);
        assert_eq!(line_kinds(one_each.iter().flat_map(|b| b.parse())), want);
    }

    /// A source that gives `.0` in one read, then fails.
    struct Broken(&'static [u8]);

    impl io::Read for Broken {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::other("disk gone"));
            }
            let n = self.0.len().min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_failing_read_comes_after_the_whole_lines_before_it() {
        // Two good lines, then half a line, then the error.
        let source = b"{\"id\":\"a\",\"text\":\"NATO\"}\n{\"id\":\"b\",\"text\":\"NATO\"}\n{\"id\":";
        let mut out = Vec::new();
        let inputs = jsonl_blocks(io::BufReader::new(Broken(source)), "in.jsonl", JSONL_BLOCK_BYTES);
        let error = extract_stream(&Flaky, inputs, &mut out, &StreamOptions::new(2, 4), &mut |p| panic!("{p}")).unwrap_err();
        assert_eq!(error.to_string(), "in.jsonl:3: disk gone");
        assert_eq!(ids(&String::from_utf8(out).unwrap()), ["a", "b"]);
        // Linking across the corpus also writes what was read before the error.
        let mut out = Vec::new();
        let inputs = jsonl_blocks(io::BufReader::new(Broken(source)), "in.jsonl", JSONL_BLOCK_BYTES);
        let canonicalizer = nerlab_canonical::Canonicalizer::new();
        let options = StreamOptions::new(2, 4);
        let error = extract_linked(&canonicalizer, &Flaky, inputs, &mut out, &options, &mut |p| panic!("{p}"), None).unwrap_err();
        assert!(error.to_string().contains("in.jsonl:3: disk gone"), "{error}");
        assert_eq!(ids(&String::from_utf8(out).unwrap()), ["a", "b"]);
    }

    #[test]
    fn a_line_without_its_newline_is_a_line_of_its_own() {
        /// Gives one piece per read: a line cut short, as a terminal's Ctrl-D does.
        struct Pieces(Vec<&'static [u8]>);
        impl io::Read for Pieces {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let Some(piece) = (!self.0.is_empty()).then(|| self.0.remove(0)) else { return Ok(0) };
                buf[..piece.len()].copy_from_slice(piece);
                Ok(piece.len())
            }
        }
        // `BufReader` over it: each `read_until` stops at a piece that ends without `\n`.
        let pieces = Pieces(vec![b"{\"id\":\"a\",\"text\":\"x\"}", b"", b"not json\n{\"id\":\"b\",\"text\":\"y\"}\n"]);
        let cut = blocks(io::BufReader::new(pieces), JSONL_BLOCK_BYTES);
        let lines = line_kinds(cut.iter().flat_map(|b| b.parse()));
        assert_eq!(lines, [(1, true), (2, false), (3, true)]);
    }

    #[test]
    fn text_files_and_invalid_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("a.txt");
        std::fs::write(&good, "NATO met").unwrap();
        let bad = dir.path().join("b.txt");
        std::fs::write(&bad, b"\xff\xfe").unwrap();
        assert!(matches!(text_file_input(&good).unwrap(), Input::Document(d, _) if d.id == "a.txt" && d.text == "NATO met"));
        assert!(matches!(text_file_input(&bad).unwrap(), Input::Malformed(o, e) if o.line == 0 && e.contains("UTF-8")));
        assert!(text_file_input(&dir.path().join("missing.txt")).is_err());
        let mut lines = jsonl_inputs(&b"{\"id\":\"x\",\"text\":\"\xff\"}\n"[..], "s");
        assert!(matches!(lines.next(), Some(Ok(Input::Malformed(o, _))) if o.line == 1));
        assert!(lines.next().is_none());
    }
}
