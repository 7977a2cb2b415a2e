//! Running extractors over documents: in parallel, with a progress bar, containing failures.
//!
//! A failure is contained at the smallest unit that can be blamed: an extractor that cannot be
//! built is reported and skipped; a document on which it errors, panics, or returns entities
//! that break the span invariant is reported (document id, extractor, error) and scored as
//! having no predictions. Nothing else in the run is affected.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use nerlab_core::{validate_entities, Document, Entity, Error, Extractor};
use rayon::prelude::*;

/// One document an extractor failed on.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DocumentFailure {
    /// The document's id.
    pub document: String,
    /// What went wrong, one line.
    pub error: String,
}

/// What one extractor produced over a corpus, and what it cost.
#[derive(Debug)]
pub struct RunOutput {
    /// Predictions per document, in corpus order (empty for failed documents).
    pub predictions: Vec<Vec<Entity>>,
    /// Documents that failed.
    pub failures: Vec<DocumentFailure>,
    /// Wall time of extraction (construction excluded).
    pub elapsed: Duration,
}

/// Options of one run.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Worker threads calling the extractor; `None` = one per core.
    pub threads: Option<usize>,
    /// Documents per `extract_batch` call.
    pub batch_size: usize,
    /// Show a progress bar (when stderr is a terminal and the corpus is not tiny).
    pub progress: bool,
}

/// Runs `extractor` over `documents`.
pub fn run_extractor(extractor: &dyn Extractor, documents: &[Document], options: RunOptions) -> RunOutput {
    let bar = progress_bar(extractor.name(), documents.len(), options.progress);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(options.threads.unwrap_or(0)).build();
    let start = Instant::now();
    let work = || -> Vec<(Vec<Entity>, Option<DocumentFailure>)> {
        documents
            .par_chunks(options.batch_size.max(1))
            .flat_map_iter(|chunk| {
                let out = run_chunk(extractor, chunk);
                bar.inc(chunk.len() as u64);
                out
            })
            .collect()
    };
    let results = match &pool {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    };
    let elapsed = start.elapsed();
    bar.finish_and_clear();
    let mut predictions = Vec::with_capacity(results.len());
    let mut failures = Vec::new();
    for (entities, failure) in results {
        predictions.push(entities);
        failures.extend(failure);
    }
    RunOutput { predictions, failures, elapsed }
}

/// Extracts one batch with every failure contained, the one validate-and-emit path of `eval`
/// and `extract`: errors, panics (on a panic the batch is retried document by document to
/// blame the right one) and invalid spans fail their document only; valid entities come
/// back sorted. One `(entities, failure)` per document, in order.
pub fn run_chunk(extractor: &dyn Extractor, chunk: &[Document]) -> Vec<(Vec<Entity>, Option<DocumentFailure>)> {
    match catch_unwind(AssertUnwindSafe(|| extractor.extract_batch(chunk))) {
        Ok(results) if results.len() == chunk.len() => {
            chunk.iter().zip(results).map(|(doc, result)| checked(extractor, doc, result)).collect()
        }
        Ok(results) => chunk
            .iter()
            .map(|doc| {
                let msg = format!("extract_batch returned {} results for {} documents", results.len(), chunk.len());
                (Vec::new(), Some(DocumentFailure { document: doc.id.clone(), error: msg }))
            })
            .collect(),
        Err(_) if chunk.len() > 1 => chunk.iter().flat_map(|doc| run_chunk(extractor, std::slice::from_ref(doc))).collect(),
        Err(payload) => {
            let msg = format!("panicked: {}", panic_message(&payload));
            vec![(Vec::new(), Some(DocumentFailure { document: chunk[0].id.clone(), error: msg }))]
        }
    }
}

/// Sorts and validates one document's result before it reaches scoring.
fn checked(extractor: &dyn Extractor, doc: &Document, result: nerlab_core::Result<Vec<Entity>>) -> (Vec<Entity>, Option<DocumentFailure>) {
    let fail = |e: Error| (Vec::new(), Some(DocumentFailure { document: doc.id.clone(), error: e.to_string() }));
    match result {
        Err(e) => fail(e),
        Ok(mut entities) => match validate_entities(&doc.text, &entities, Some(extractor.labels())) {
            Err(e) => fail(e),
            Ok(()) => {
                entities.sort_by(|a, b| (a.start, a.end, &a.label).cmp(&(b.start, b.end, &b.label)));
                (entities, None)
            }
        },
    }
}

/// The message of a caught panic.
pub fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

fn progress_bar(name: &str, len: usize, wanted: bool) -> ProgressBar {
    // Small corpora finish before a bar is worth drawing.
    if !wanted || len < 50 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{prefix:>14} [{bar:30}] {pos}/{len} docs {per_sec} eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix(name.to_string());
    bar
}

/// Peak resident memory of this process, measured per extractor through Linux's
/// `/proc/self/clear_refs` (writing `5` resets the high-water mark `VmHWM`).
pub mod memory {
    /// Resets the peak-RSS high-water mark; returns false where unsupported.
    pub fn reset_peak() -> bool {
        std::fs::write("/proc/self/clear_refs", "5").is_ok()
    }

    /// The peak resident set size since the last reset, in bytes.
    pub fn peak_rss() -> Option<u64> {
        status_field("/proc/self/status", "VmHWM:")
    }

    /// The current resident set size, in bytes.
    pub fn current_rss() -> Option<u64> {
        status_field("/proc/self/status", "VmRSS:")
    }

    /// The peak resident set sizes of this process's live descendants (the processes of a
    /// `command` extractor, and whatever they started), summed, in bytes; 0 where `/proc` is
    /// missing. Each `VmHWM` covers a child's whole life, which is the extractor's when the
    /// extractor starts its children when built and stops them when dropped.
    pub fn descendants_peak_rss() -> u64 {
        let Ok(entries) = std::fs::read_dir("/proc") else { return 0 };
        let parents: Vec<(u32, u32)> = entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter_map(|pid| {
                // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
                let ppid = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()?;
                Some((pid, ppid))
            })
            .collect();
        let mut frontier = vec![std::process::id()];
        let mut total = 0;
        while let Some(parent) = frontier.pop() {
            for &(pid, _) in parents.iter().filter(|(_, ppid)| *ppid == parent) {
                total += status_field(&format!("/proc/{pid}/status"), "VmHWM:").unwrap_or(0);
                frontier.push(pid);
            }
        }
        total
    }

    fn status_field(path: &str, field: &str) -> Option<u64> {
        let status = std::fs::read_to_string(path).ok()?;
        let line = status.lines().find(|l| l.starts_with(field))?;
        let kb: u64 = line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kb * 1024)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use nerlab_core::Label;

    /// Finds `NATO`; errors on documents containing `ERR`, panics on `PANIC`, and returns a
    /// broken span on `BAD`. Slow on ids ending in `0`, so that parallel work finishes out of
    /// order.
    pub(crate) struct Flaky;

    impl Extractor for Flaky {
        fn name(&self) -> &str {
            "flaky"
        }
        fn labels(&self) -> &[Label] {
            &[Label::ORG]
        }
        fn extract(&self, d: &Document) -> nerlab_core::Result<Vec<Entity>> {
            if d.text.contains("PANIC") {
                panic!("deliberate");
            }
            if d.text.contains("ERR") {
                return Err(Error::extraction("deliberate error"));
            }
            if d.text.contains("BAD") {
                return Ok(vec![Entity { start: 0, end: 999, label: Label::ORG, text: "x".into(), score: None, canonical: None }]);
            }
            if d.id.ends_with('0') {
                std::thread::sleep(Duration::from_millis(2));
            }
            Ok(d.text.match_indices("NATO").map(|(i, _)| Entity::new(&d.text, i, i + 4, Label::ORG).unwrap()).collect())
        }
    }

    #[test]
    fn failures_are_contained_per_document() {
        let docs: Vec<Document> = ["NATO a", "PANIC NATO", "NATO ERR", "BAD", "b NATO NATO"]
            .iter()
            .enumerate()
            .map(|(i, t)| Document::new(format!("d{i}"), *t))
            .collect();
        for batch_size in [1, 2, 5] {
            let out = run_extractor(&Flaky, &docs, RunOptions { threads: Some(2), batch_size, progress: false });
            let counts: Vec<usize> = out.predictions.iter().map(Vec::len).collect();
            assert_eq!(counts, [1, 0, 0, 0, 2], "batch_size {batch_size}");
            let failed: Vec<&str> = out.failures.iter().map(|f| f.document.as_str()).collect();
            assert_eq!(failed, ["d1", "d2", "d3"], "batch_size {batch_size}");
            assert!(out.failures[0].error.contains("panicked: deliberate"));
            assert!(out.failures[1].error.contains("deliberate error"));
            assert!(out.failures[2].error.contains("out of bounds"));
        }
    }

    #[test]
    fn live_child_processes_are_measured() {
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        // The child's /proc entry exists as soon as spawn returns; its VmHWM a moment later.
        let deadline = Instant::now() + Duration::from_secs(5);
        while memory::descendants_peak_rss() == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(memory::descendants_peak_rss() > 0, "the sleeping child's resident memory counts");
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(memory::descendants_peak_rss(), 0, "a reaped child no longer counts");
    }

    #[test]
    fn peak_memory_is_readable_on_linux() {
        assert!(memory::reset_peak());
        let before = memory::peak_rss().unwrap();
        let big = vec![1u8; 64 << 20];
        std::hint::black_box(&big);
        let after = memory::peak_rss().unwrap();
        assert!(after >= before + (60 << 20), "peak {after} should include the 64 MiB buffer (was {before})");
    }
}
