//! Honest cost figures for one extractor: load time, a warm-up pass, repeated timed passes, a
//! single-thread figure and peak memory that does not depend on what ran before.
//!
//! # Protocol
//!
//! 1. The process's resident memory is read (the **baseline**: the program, its libraries and
//!    the corpus) and the peak-RSS high-water mark is reset.
//! 2. The extractor is built (**load time**).
//! 3. A **warm-up pass** over the whole corpus, with the configured threads, yields the
//!    predictions that are scored; its wall time is reported as `seconds`.
//! 4. `repeats` **timed passes** over a sample of at most `timing_documents` documents (evenly
//!    spaced; documents that failed in the warm-up are left out): each pass goes over the sample
//!    again until it has run `min_pass_seconds`, so tiny corpora are not timed in microseconds.
//!    The report gives the median and the min–max of docs/s, tokens/s and MB/s.
//! 5. **Peak memory** is the high-water mark over steps 2–4, reported with its increase over
//!    the baseline.
//! 6. A **single-thread** pass over the sample (one calling thread; in a process of its own also
//!    one OpenMP/BLAS/rayon thread), so extractors can be compared per core.
//!
//! `nerlab eval` runs steps 1–5 for each extractor in a fresh child process of its own binary
//! (`nerlab measure`, hidden), and step 6 in another, with `OMP_NUM_THREADS=1` and friends, so
//! memory freed by one extractor never hides or inflates another's, and libraries that fix
//! their thread pool at start-up (libtorch, OpenBLAS) really run on one core. A crash of
//! the child is that extractor's failure only. Library callers (tests) measure in-process:
//! the same steps, but step 6 limits only the calling threads.
//!
//! # Why the timed passes run in several processes
//!
//! Passes in one process agree with each other more than with the passes of the next run:
//! where the allocator put the model and the corpus, which pages are huge, how hash tables
//! are seeded and which cores the threads landed on are fixed for a process's lifetime. On a
//! quiet machine three consecutive runs drifted 3–7% while each run's three passes spanned
//! 1–3%, so the printed min–max did not contain the next run's median. `nerlab eval`
//! therefore spreads the timed passes over `[eval] processes` child processes (default 3):
//! the first also makes the warm-up pass over the whole corpus and measures memory; each other
//! one builds the extractor, warms up on the timing sample and makes `repeats` timed passes.
//! The printed median and min–max are over all `repeats × processes` passes, so the range
//! includes the between-process spread a re-run would see.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use nerlab_core::{Document, Entity, Error, Extractor, Label, Result};
use serde::{Deserialize, Serialize};

use crate::config::EvalSettings;
use crate::run::{self, memory, DocumentFailure, RunOptions};

/// The variables that size the thread pools of the libraries an extractor brings: OpenMP
/// (libtorch), OpenBLAS, MKL, and ONNX Runtime (the transformer reads `OMP_NUM_THREADS`).
pub const LIBRARY_THREAD_VARIABLES: [&str; 3] = ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"];

/// The median and range of a repeated measurement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// The median of the repeats.
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

impl Spread {
    /// The spread of `values` (all zero when empty).
    pub fn of(values: &[f64]) -> Spread {
        if values.is_empty() {
            return Spread::default();
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
        Spread { median, min: v[0], max: v[n - 1] }
    }
}

/// Throughput of one timed pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    /// Documents per second.
    pub docs_per_second: f64,
    /// Whitespace tokens per second.
    pub tokens_per_second: f64,
    /// Megabytes (10^6 bytes) of text per second.
    pub mb_per_second: f64,
}

/// An extractor's throughput over repeated timed passes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// Timed passes (after one warm-up pass) in each measuring process.
    pub repeats: usize,
    /// Processes the timed passes ran in (each after a warm-up of its own); the spreads are
    /// over all `repeats × processes` passes.
    #[serde(default = "one")]
    pub processes: usize,
    /// Every timed pass, in the order run (process by process).
    #[serde(default)]
    pub passes: Vec<Rates>,
    /// Documents in the timed sample.
    pub documents: usize,
    /// Calling threads of the timed passes (the extractor may use more internally).
    pub threads: usize,
    /// Documents per second over the timed passes.
    pub docs_per_second: Spread,
    /// Whitespace tokens per second over the timed passes.
    pub tokens_per_second: Spread,
    /// MB of text per second over the timed passes.
    pub mb_per_second: Spread,
    /// One pass with a single thread, when measured.
    pub single_thread: Option<Rates>,
    /// Whether the single-thread pass ran in a process of its own with every thread pool
    /// (OpenMP, BLAS, rayon) at one thread, rather than with one calling thread only.
    pub single_thread_isolated: bool,
}

fn one() -> usize {
    1
}

impl Throughput {
    /// Sets `passes` and the spreads computed from them.
    fn set_passes(&mut self, passes: Vec<Rates>) {
        let pick = |f: fn(&Rates) -> f64| Spread::of(&passes.iter().map(f).collect::<Vec<_>>());
        self.docs_per_second = pick(|r| r.docs_per_second);
        self.tokens_per_second = pick(|r| r.tokens_per_second);
        self.mb_per_second = pick(|r| r.mb_per_second);
        self.passes = passes;
    }
}

/// Resident memory around one extractor, in MiB (2^20 bytes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryUse {
    /// The process before the extractor was built: program, libraries, corpus.
    pub baseline_mib: Option<f64>,
    /// The process's peak while building and running the extractor.
    pub peak_mib: Option<f64>,
    /// `peak - baseline`: what the extractor itself needed at most.
    pub increase_mib: Option<f64>,
    /// Measured in a process of its own (independent of other extractors) rather than in a
    /// process other extractors ran in before.
    pub own_process: bool,
}

/// Everything measured for one extractor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Measurement {
    /// The labels the extractor declares.
    pub labels: Vec<Label>,
    /// Seconds to build it.
    pub load_seconds: f64,
    /// Wall seconds of the warm-up pass over the whole corpus.
    pub first_pass_seconds: f64,
    /// Predictions of the warm-up pass, per document in corpus order.
    pub predictions: Vec<Vec<Entity>>,
    /// Documents that failed in the warm-up pass.
    pub failures: Vec<DocumentFailure>,
    /// Documents the extractor answered only in part in the warm-up pass (an ensemble member
    /// that failed there).
    #[serde(default)]
    pub warnings: Vec<nerlab_core::Warning>,
    /// Timed passes.
    pub throughput: Throughput,
    /// Memory.
    pub memory: MemoryUse,
}

/// How one extractor is run.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    /// Calling threads.
    pub threads: usize,
    /// Documents per `extract_batch` call.
    pub batch_size: usize,
    /// `[eval]` settings: repeats and sampling.
    pub settings: &'a EvalSettings,
    /// Draw progress bars.
    pub progress: bool,
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Runs steps 1–5 of the protocol (and step 6 with `single_thread`) in this process.
///
/// # Errors
/// When the extractor cannot be built.
pub fn measure(
    build: impl FnOnce() -> Result<Box<dyn Extractor>>,
    documents: &[Document],
    plan: Plan<'_>,
    single_thread: bool,
) -> Result<Measurement> {
    let baseline = memory::current_rss();
    memory::reset_peak();
    let load_start = Instant::now();
    let extractor = build()?;
    let load_seconds = load_start.elapsed().as_secs_f64();
    let options = RunOptions { threads: Some(plan.threads), batch_size: plan.batch_size, progress: plan.progress };
    let output = run::run_extractor(extractor.as_ref(), documents, options);
    let warnings = extractor.take_warnings();
    let failed: std::collections::HashSet<&str> = output.failures.iter().map(|f| f.document.as_str()).collect();
    let succeeded: Vec<Document> = documents.iter().filter(|d| !failed.contains(d.id.as_str())).cloned().collect();
    let sample = sample(&succeeded, plan.settings.timing_documents);
    if plan.progress && !sample.is_empty() {
        eprintln!("{}: timing {} passes over {} documents", extractor.name(), plan.settings.repeats, sample.len());
    }
    let passes = timed_passes(extractor.as_ref(), &sample, plan);
    // Child processes (a `command` extractor's tool) count too: their memory is part of the
    // cost. Read while the extractor, and so its children, are alive.
    let peak = memory::peak_rss().map(|b| b + memory::descendants_peak_rss());
    let single = single_thread.then(|| timed_pass(extractor.as_ref(), &sample, 1, plan.batch_size, plan.settings.min_pass_seconds));
    let mut throughput = Throughput {
        repeats: passes.len(),
        processes: 1,
        documents: sample.len(),
        threads: plan.threads,
        single_thread: single,
        ..Throughput::default()
    };
    throughput.set_passes(passes);
    Ok(Measurement {
        labels: extractor.labels().to_vec(),
        load_seconds,
        first_pass_seconds: output.elapsed.as_secs_f64(),
        predictions: output.predictions,
        failures: output.failures,
        warnings,
        throughput,
        memory: MemoryUse {
            baseline_mib: baseline.map(mib),
            peak_mib: peak.map(mib),
            increase_mib: baseline.zip(peak).map(|(b, p)| mib(p.saturating_sub(b))),
            own_process: false,
        },
    })
}

/// `plan.settings.repeats` timed passes over `sample` with `plan`'s threads.
fn timed_passes(extractor: &dyn Extractor, sample: &[Document], plan: Plan<'_>) -> Vec<Rates> {
    (0..plan.settings.repeats)
        .map(|_| timed_pass(extractor, sample, plan.threads, plan.batch_size, plan.settings.min_pass_seconds))
        .collect()
}

/// At most `n` documents, evenly spaced, in corpus order.
fn sample(documents: &[Document], n: usize) -> Vec<Document> {
    if documents.len() <= n {
        return documents.to_vec();
    }
    (0..n).map(|i| documents[i * documents.len() / n].clone()).collect()
}

/// Runs `extractor` over `sample` until `min_seconds` of extraction time have passed (at
/// least once) and returns the rates over everything processed.
fn timed_pass(extractor: &dyn Extractor, sample: &[Document], threads: usize, batch_size: usize, min_seconds: f64) -> Rates {
    if sample.is_empty() {
        return Rates::default();
    }
    let tokens: usize = sample.iter().map(Document::whitespace_tokens).sum();
    let bytes: usize = sample.iter().map(|d| d.text.len()).sum();
    let options = RunOptions { threads: Some(threads), batch_size, progress: false };
    let (mut rounds, mut seconds) = (0usize, 0.0f64);
    while rounds == 0 || seconds < min_seconds {
        // Only extraction counts, not building the thread pool.
        seconds += run::run_extractor(extractor, sample, options).elapsed.as_secs_f64();
        rounds += 1;
    }
    let seconds = seconds.max(1e-9);
    let n = rounds as f64;
    Rates {
        docs_per_second: n * sample.len() as f64 / seconds,
        tokens_per_second: n * tokens as f64 / seconds,
        mb_per_second: n * bytes as f64 / 1e6 / seconds,
    }
}

/// What a `nerlab measure` child writes to its output file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildReport {
    /// The extractor was measured.
    Measured(Box<Measurement>),
    /// The single-thread figure.
    SingleThread(Rates),
    /// Timed passes of a further measuring process.
    Timed(Vec<Rates>),
    /// The extractor could not be built.
    BuildFailed(String),
}

/// What a child process is asked to do.
#[derive(Debug, Clone)]
pub struct ChildRequest {
    /// The config file.
    pub config: PathBuf,
    /// The corpus, as given to `nerlab eval`.
    pub corpus: String,
    /// The extractor's name.
    pub extractor: String,
    /// Where the [`ChildReport`] goes (JSON).
    pub out: PathBuf,
    /// Measure the single-thread figure only.
    pub single_thread: bool,
    /// Only warm up on the timing sample and make the timed passes (a further measuring
    /// process: no full pass, no memory figure).
    pub timing_only: bool,
    /// Draw progress bars.
    pub progress: bool,
}

impl ChildRequest {
    /// The command line of `nerlab measure` for this request.
    pub fn command(&self, exe: &Path) -> Command {
        let mut cmd = Command::new(exe);
        cmd.arg("measure")
            .arg("--config")
            .arg(&self.config)
            .arg("--corpus")
            .arg(&self.corpus)
            .arg("--extractor")
            .arg(&self.extractor)
            .arg("--out")
            .arg(&self.out);
        if self.timing_only {
            cmd.arg("--timing-only");
        }
        if self.single_thread {
            cmd.arg("--single-thread");
            // Thread pools sized at start-up (OpenMP in libtorch, OpenBLAS, MKL, ONNX Runtime
            // through the transformer, rayon's global pool) read these before any code of ours
            // runs.
            for var in LIBRARY_THREAD_VARIABLES.iter().chain(&["RAYON_NUM_THREADS"]) {
                cmd.env(var, "1");
            }
        }
        if !self.progress {
            cmd.arg("--quiet");
        }
        cmd
    }
}

/// The body of `nerlab measure`: measures one extractor of `config` on `corpus` and writes a
/// [`ChildReport`] to `request.out`.
///
/// # Errors
/// When the config or corpus cannot be read or the report cannot be written; a build failure
/// is written into the report instead.
pub fn child_main(config: &crate::Config, registry: &crate::Registry, request: &ChildRequest) -> Result<()> {
    let spec = config
        .extractors
        .iter()
        .find(|s| s.name == request.extractor)
        .ok_or_else(|| Error::config(format!("no extractor named {:?}", request.extractor)).with_path(&config.path))?;
    let (_, corpus_path, format) = config.corpus(&request.corpus)?;
    let documents: Vec<Document> = nerlab_core::read_corpus(&corpus_path, &format)?.into_iter().map(|d| d.document).collect();
    // What the parent maps back (`grouped`): the corpus's documents as the extractor sees them.
    let documents = crate::grouped::Extraction::new(&documents, config.grouping(&request.corpus)).documents.into_owned();
    let threads = if request.single_thread { 1 } else { spec.threads.unwrap_or_else(rayon::current_num_threads) };
    let plan = Plan { threads, batch_size: spec.batch_size, settings: &config.eval, progress: request.progress };
    let build = || crate::build_extractor(config, registry, spec);
    let outcome = if request.timing_only {
        build().map(|extractor| {
            let sampled = sample(&documents, config.eval.timing_documents);
            // The warm-up is one untimed pass over the sample (the first process's is the
            // pass over the whole corpus).
            run::run_extractor(
                extractor.as_ref(),
                &sampled,
                RunOptions { threads: Some(threads), batch_size: plan.batch_size, progress: false },
            );
            ChildReport::Timed(timed_passes(extractor.as_ref(), &sampled, plan))
        })
    } else if request.single_thread {
        build().map(|extractor| {
            let sampled = sample(&documents, config.eval.timing_documents);
            // Warm up on one batch, then time.
            let warm = &sampled[..sampled.len().min(plan.batch_size)];
            run::run_extractor(extractor.as_ref(), warm, RunOptions { threads: Some(1), batch_size: plan.batch_size, progress: false });
            ChildReport::SingleThread(timed_pass(extractor.as_ref(), &sampled, 1, plan.batch_size, config.eval.min_pass_seconds))
        })
    } else {
        measure(build, &documents, plan, false).map(|mut m| {
            m.memory.own_process = true;
            ChildReport::Measured(Box::new(m))
        })
    };
    let report = outcome.unwrap_or_else(|e| ChildReport::BuildFailed(e.to_string()));
    let json = serde_json::to_vec(&report).map_err(|e| Error::format(e.to_string()))?;
    std::fs::write(&request.out, json).map_err(|e| Error::io(&request.out, e))
}

/// Measures extractor `name` of `config` on `corpus` in child processes of the `nerlab`
/// executable `exe` (see the module docs); `scratch` is a writable directory for their reports.
///
/// # Errors
/// A message when the extractor cannot be built or the child process fails; a failed
/// single-thread figure is only a warning.
pub fn measure_isolated(
    exe: &Path,
    config: &crate::Config,
    corpus: &str,
    name: &str,
    scratch: &Path,
    progress: bool,
) -> std::result::Result<Measurement, String> {
    let safe: String = name.chars().map(|c| if c.is_alphanumeric() { c } else { '_' }).collect();
    let request = ChildRequest {
        config: config.path.clone(),
        corpus: corpus.to_string(),
        extractor: name.to_string(),
        out: scratch.join(format!(".measure-{safe}.json")),
        single_thread: false,
        timing_only: false,
        progress,
    };
    let mut m = match run_child(exe, &request)? {
        ChildReport::Measured(m) => *m,
        ChildReport::BuildFailed(e) => return Err(e),
        ChildReport::SingleThread(_) | ChildReport::Timed(_) => return Err("the measuring process answered the wrong request".into()),
    };
    let mut passes = std::mem::take(&mut m.throughput.passes);
    let mut processes = 1;
    for _ in 1..config.eval.processes {
        match run_child(exe, &ChildRequest { timing_only: true, progress: false, ..request.clone() }) {
            Ok(ChildReport::Timed(more)) => {
                passes.extend(more);
                processes += 1;
            }
            Ok(_) => eprintln!("warning: {name}: a timing process gave an unexpected answer; its passes are left out"),
            Err(e) => eprintln!("warning: {name}: a timing process failed, its passes are left out: {e}"),
        }
    }
    m.throughput.processes = processes;
    m.throughput.set_passes(passes);
    match run_child(exe, &ChildRequest { single_thread: true, progress: false, ..request }) {
        Ok(ChildReport::SingleThread(r)) => {
            m.throughput.single_thread = Some(r);
            m.throughput.single_thread_isolated = true;
        }
        Ok(_) => eprintln!("warning: {name}: no single-thread figure (unexpected answer)"),
        Err(e) => eprintln!("warning: {name}: no single-thread figure: {e}"),
    }
    Ok(m)
}

/// Runs one `nerlab measure` child and reads its report.
fn run_child(exe: &Path, request: &ChildRequest) -> std::result::Result<ChildReport, String> {
    let status = request.command(exe).status().map_err(|e| format!("could not start {}: {e}", exe.display()))?;
    let written = std::fs::read(&request.out);
    let _ = std::fs::remove_file(&request.out);
    if !status.success() {
        return Err(format!("its measuring process (`{} measure`) failed: {status}", exe.display()));
    }
    let bytes = written.map_err(|e| format!("{}: {e}", request.out.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: unreadable measurement: {e}", request.out.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_median_and_range() {
        assert_eq!(Spread::of(&[3.0, 1.0, 2.0]), Spread { median: 2.0, min: 1.0, max: 3.0 });
        assert_eq!(Spread::of(&[4.0, 1.0]), Spread { median: 2.5, min: 1.0, max: 4.0 });
        assert_eq!(Spread::of(&[]), Spread::default());
    }

    #[test]
    fn sample_is_evenly_spaced_and_capped() {
        let docs: Vec<Document> = (0..10).map(|i| Document::new(i.to_string(), "a b")).collect();
        let ids = |v: Vec<Document>| v.into_iter().map(|d| d.id).collect::<Vec<_>>();
        assert_eq!(ids(sample(&docs, 4)), ["0", "2", "5", "7"]);
        assert_eq!(sample(&docs, 99).len(), 10);
    }
}
