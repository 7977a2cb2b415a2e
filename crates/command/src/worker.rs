//! One worker: a child process kept alive across batches, restarted when it breaks.
//!
//! A batch is sent in one piece and its answers are matched by id, in whatever order they
//! come. When the stream breaks (the process exits, says something that is not an answer,
//! answers an id it was not sent, or stays silent past the timeout), the documents already
//! answered keep their results, the process is killed, and the unanswered ones are retried
//! one at a time on a fresh process: the document that breaks it alone is the one that fails.
//! Restarts are counted across all workers and bounded by `max_restarts`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use nerlab_core::{Document, Entity, Error, ErrorKind, Result};

use crate::process::{Launch, Process, Silence};
use crate::protocol::{answer_id, quote, Decoder, Handshake, Request};

/// What every worker of one extractor shares.
pub(crate) struct Shared {
    pub launch: Launch,
    pub decoder: Decoder,
    /// How long to wait for the next answer while documents are outstanding.
    pub timeout: Duration,
    /// How long a fresh process may take to print its handshake.
    pub start_timeout: Duration,
    pub max_restarts: usize,
    /// Restarts used so far, all workers together.
    pub restarts: AtomicUsize,
}

impl Shared {
    /// The command line, for messages.
    pub fn command_line(&self) -> String {
        self.launch.argv.join(" ")
    }

    /// Takes one restart from the budget; false when it is spent.
    fn take_restart(&self) -> bool {
        self.restarts.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| (used < self.max_restarts).then_some(used + 1)).is_ok()
    }
}

/// Waits for the handshake of a freshly spawned process.
///
/// # Errors
/// A missing, malformed or incompatible handshake, with the process's stderr.
pub(crate) fn handshake(shared: &Shared, process: Process) -> Result<(Process, Handshake)> {
    let failure = |process: Process, what: String| {
        let ended = process.kill();
        Err(Error::new(ErrorKind::Load, format!("`{}`: {what} ({ended})", shared.command_line())))
    };
    match process.next_line(shared.start_timeout) {
        Ok(line) => match Handshake::parse(&line) {
            Ok(handshake) => Ok((process, handshake)),
            Err(e) => failure(process, e.message().to_string()),
        },
        Err(Silence::Timeout) => failure(
            process,
            format!(
                "no handshake line within {:?} (start_timeout_s); the tool must print {{\"nerlab_protocol\": 1}} once it is ready",
                shared.start_timeout
            ),
        ),
        Err(Silence::Closed) => failure(process, "exited before its handshake".to_string()),
    }
}

/// Spawns the command.
///
/// # Errors
/// When the program cannot be started.
pub(crate) fn spawn(shared: &Shared) -> Result<Process> {
    Process::spawn(&shared.launch).map_err(|e| {
        Error::new(ErrorKind::Load, format!("cannot start `{}` in {}: {e}", shared.command_line(), shared.launch.cwd.display()))
    })
}

/// One worker process and its history.
pub(crate) struct Worker {
    process: Option<Process>,
    /// Why the last process stopped, repeated once restarts are used up.
    last_failure: Option<String>,
}

impl Worker {
    /// A worker around a process that has passed its handshake.
    pub fn new(process: Process) -> Worker {
        Worker { process: Some(process), last_failure: None }
    }

    /// Extracts `documents`, one result per document, in order.
    pub fn run_batch(&mut self, shared: &Shared, documents: &[Document]) -> Vec<Result<Vec<Entity>>> {
        let mut results: Vec<Option<Result<Vec<Entity>>>> = documents.iter().map(|_| None).collect();
        for run in runs_of_distinct_ids(documents) {
            self.round(shared, documents, &run, &mut results);
        }
        results.into_iter().map(|r| r.unwrap_or_else(|| Err(Error::extraction("internal error: document left without a result")))).collect()
    }

    /// Sends `indices` at once and collects their answers; on a broken stream, retries the
    /// unanswered ones one by one.
    fn round(&mut self, shared: &Shared, documents: &[Document], indices: &[usize], results: &mut [Option<Result<Vec<Entity>>>]) {
        let process = match self.ensure_process(shared) {
            Ok(process) => process,
            Err(message) => {
                for &i in indices {
                    results[i] = Some(Err(Error::extraction(message.clone())));
                }
                return;
            }
        };
        let mut outstanding: HashMap<&str, usize> = indices.iter().map(|&i| (documents[i].id.as_str(), i)).collect();
        let request: Vec<u8> = indices.iter().flat_map(|&i| Request::line(&documents[i])).collect();
        let mut broken = (!process.send(request)).then(|| "closed its stdin".to_string());
        while broken.is_none() && !outstanding.is_empty() {
            match process.next_line(shared.timeout) {
                Ok(line) => match answer_id(&line) {
                    Some(id) => match outstanding.remove(id.as_str()) {
                        Some(i) => results[i] = Some(shared.decoder.entities(&documents[i], &line)),
                        None => broken = Some(format!("answered id {id:?}, which is not a document waiting for an answer")),
                    },
                    None => broken = Some(format!("printed a line that is not an answer (no string \"id\"): {}", quote(&line))),
                },
                Err(Silence::Timeout) => broken = Some(format!("gave no answer within {} s (timeout_s)", shared.timeout.as_secs_f64())),
                Err(Silence::Closed) => broken = Some("exited".to_string()),
            }
        }
        let Some(reason) = broken else { return };
        let ended = self.process.take().expect("checked above").kill();
        let message = format!("the command {reason} ({ended})");
        self.last_failure = Some(message.clone());
        let mut remaining: Vec<usize> = outstanding.into_values().collect();
        remaining.sort_unstable();
        if let [only] = remaining[..] {
            results[only] = Some(Err(Error::extraction(message)));
        } else {
            for i in remaining {
                self.round(shared, documents, &[i], results);
            }
        }
    }

    /// The running process, restarting one when the budget allows.
    fn ensure_process(&mut self, shared: &Shared) -> std::result::Result<&Process, String> {
        if self.process.is_none() {
            let last = self.last_failure.as_deref().unwrap_or("none");
            if !shared.take_restart() {
                return Err(format!(
                    "not restarted: the command was already restarted {} times (max_restarts); last failure: {last}",
                    shared.max_restarts
                ));
            }
            match spawn(shared).and_then(|p| handshake(shared, p)) {
                Ok((process, _)) => self.process = Some(process),
                Err(e) => {
                    let message = format!("restart failed: {}", e.message());
                    self.last_failure = Some(message.clone());
                    return Err(message);
                }
            }
        }
        Ok(self.process.as_ref().expect("just ensured"))
    }
}

/// Splits `0..documents.len()` into consecutive runs in which no id repeats, so that answers
/// can be matched by id even when a corpus repeats one.
fn runs_of_distinct_ids(documents: &[Document]) -> Vec<Vec<usize>> {
    let mut runs = Vec::new();
    let mut run: Vec<usize> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, doc) in documents.iter().enumerate() {
        if !seen.insert(doc.id.as_str()) {
            runs.push(std::mem::take(&mut run));
            seen.clear();
            seen.insert(doc.id.as_str());
        }
        run.push(i);
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_ids_start_a_new_run() {
        let docs: Vec<Document> = ["a", "b", "a", "c", "c"].iter().map(|id| Document::new(*id, "x")).collect();
        assert_eq!(runs_of_distinct_ids(&docs), vec![vec![0, 1], vec![2, 3], vec![4]]);
        assert!(runs_of_distinct_ids(&[]).is_empty());
    }
}
