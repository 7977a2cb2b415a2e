//! Any named-entity system as a nerlab extractor: `kind = "command"`.
//!
//! The tool runs as a child process, started once per run and kept alive. nerlab writes one
//! `{"id","text"}` JSON line per document to its stdin and reads one
//! `{"id","entities":[{"start","end","label"}]}` line per document from its stdout; the tool's
//! first line is a handshake, `{"nerlab_protocol": 1}`, printed once it is ready. The protocol
//! is specified in this crate's README; `integrations/` has a regex tool in plain Python and a
//! spaCy one.
//!
//! ```toml
//! [[extractors]]
//! name = "spacy-sm"
//! kind = "command"
//! command = ["target/peers/venv/bin/python", "integrations/spacy/extract.py", "--model", "en_core_web_sm"]
//! offsets = "chars"                  # the tool counts Unicode characters (default "bytes")
//! label_map = { PERSON = "PER", GPE = "LOC", NORP = "MISC" }
//! labels = ["PER", "ORG", "LOC", "MISC"]   # keep only these (after label_map)
//! processes = 1                      # worker processes (pair with `threads`)
//! timeout_s = 60                     # per document
//! ```
//!
//! Every answer is validated (ids, spans on character boundaries, `text` when given); a broken
//! answer, a hang or a crash fails the documents it concerns only, and the process is
//! restarted, at most `max_restarts` times per run.

#![deny(missing_docs)]

mod process;
pub mod protocol;
mod worker;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicUsize;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use nerlab_core::{BuildContext, Document, Entity, Error, Extractor, Family, Label, Result};
use serde::{Deserialize, Serialize};

pub use protocol::{Handshake, OffsetUnit, PROTOCOL_VERSION};

use process::Launch;
use worker::{Shared, Worker};

/// Parameters of `kind = "command"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandConfig {
    /// The program and its arguments (no shell). The process runs in the config file's
    /// directory, so relative paths in arguments are relative to the config; so is the
    /// program when it is a relative path containing `/`. A bare name is looked up in `PATH`.
    pub command: Vec<String>,
    /// The unit of the tool's offsets: `bytes` (default) or `chars` (Unicode scalar values).
    #[serde(default)]
    pub offsets: OffsetUnit,
    /// Renames of the tool's labels, e.g. `{ PERSON = "PER", GPE = "LOC" }`; labels not listed
    /// keep their name.
    #[serde(default)]
    pub label_map: BTreeMap<String, String>,
    /// The labels this extractor reports (after `label_map`); entities with other labels are
    /// dropped. Default: the labels of the tool's handshake, mapped, with nothing dropped.
    #[serde(default)]
    pub labels: Option<Vec<Label>>,
    /// Worker processes, each fed its own batches (default 1). Set the extractor's `threads`
    /// to the same number.
    #[serde(default = "one")]
    pub processes: usize,
    /// Seconds to wait for each document's answer (default 60).
    #[serde(default = "default_timeout")]
    pub timeout_s: f64,
    /// Seconds a process may take from start-up to its handshake (default 300: model loading).
    #[serde(default = "default_start_timeout")]
    pub start_timeout_s: f64,
    /// Restarts allowed over the whole run, all processes together, after crashes, hangs or
    /// broken answers (default 10).
    #[serde(default = "default_max_restarts")]
    pub max_restarts: usize,
}

fn one() -> usize {
    1
}
fn default_timeout() -> f64 {
    60.0
}
fn default_start_timeout() -> f64 {
    300.0
}
fn default_max_restarts() -> usize {
    10
}

/// An extractor that delegates to child processes speaking the JSONL protocol.
pub struct CommandExtractor {
    labels: Vec<Label>,
    handshake: Handshake,
    shared: Shared,
    idle: Mutex<Vec<Worker>>,
    freed: Condvar,
}

impl Family for CommandExtractor {
    const KIND: &'static str = "command";
    type Config = CommandConfig;

    /// Starts `config.processes` processes in the config file's directory and waits for their
    /// handshakes, so that construction time is the tool's load time.
    ///
    /// # Errors
    /// Invalid parameters, a program that cannot be started, a missing or incompatible
    /// handshake (with the tool's stderr), no labels declared anywhere, or a `label_map` key
    /// that is not one of the labels the tool declares.
    fn from_config(config: CommandConfig, ctx: &BuildContext<'_>) -> Result<CommandExtractor> {
        CommandExtractor::start(config, ctx.base_dir())
    }
}

impl CommandExtractor {
    fn start(config: CommandConfig, base_dir: &Path) -> Result<CommandExtractor> {
        let shared = shared_state(&config, base_dir)?;
        // All processes load at once; then each handshake is awaited.
        let spawned: Vec<_> = (0..config.processes).map(|_| worker::spawn(&shared)).collect::<Result<_>>()?;
        let mut workers = Vec::with_capacity(spawned.len());
        let mut first_handshake = None;
        for process in spawned {
            let (process, handshake) = worker::handshake(&shared, process)?;
            first_handshake.get_or_insert(handshake);
            workers.push(Worker::new(process));
        }
        let handshake = first_handshake.expect("at least one process");
        let labels = declared_labels(&config, &shared, &handshake)?;
        Ok(CommandExtractor { labels, handshake, shared, idle: Mutex::new(workers), freed: Condvar::new() })
    }

    /// The handshake of the first process (its `name`, its own labels).
    pub fn handshake(&self) -> &Handshake {
        &self.handshake
    }

    /// Restarts used so far in this run.
    pub fn restarts(&self) -> usize {
        self.shared.restarts.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn take_worker(&self) -> Worker {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(worker) = idle.pop() {
                return worker;
            }
            idle = self.freed.wait(idle).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn give_back(&self, worker: Worker) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).push(worker);
        self.freed.notify_one();
    }
}

fn shared_state(config: &CommandConfig, base_dir: &Path) -> Result<Shared> {
    let Some(program) = config.command.first() else {
        return Err(Error::config("`command` is empty: give the program and its arguments, e.g. [\"python3\", \"tool.py\"]"));
    };
    if config.processes == 0 {
        return Err(Error::config("`processes` must be at least 1"));
    }
    for (key, value) in [("timeout_s", config.timeout_s), ("start_timeout_s", config.start_timeout_s)] {
        if !(value.is_finite() && value > 0.0) {
            return Err(Error::config(format!("`{key}` must be a positive number of seconds, not {value}")));
        }
    }
    for (from, to) in &config.label_map {
        Label::new(to).map_err(|e| Error::config(format!("label_map.{from}: {}", e.message())))?;
    }
    let cwd = if base_dir.as_os_str().is_empty() { Path::new(".") } else { base_dir };
    let mut argv = config.command.clone();
    if program.contains('/') && Path::new(program).is_relative() {
        argv[0] = cwd.join(program).display().to_string();
    }
    Ok(Shared {
        launch: Launch { argv, cwd: cwd.to_path_buf() },
        decoder: protocol::Decoder { offsets: config.offsets, label_map: config.label_map.clone(), keep: config.labels.clone() },
        timeout: Duration::from_secs_f64(config.timeout_s),
        start_timeout: Duration::from_secs_f64(config.start_timeout_s),
        max_restarts: config.max_restarts,
        restarts: AtomicUsize::new(0),
    })
}

/// The config's `labels`, or else the handshake's labels through `label_map`.
fn declared_labels(config: &CommandConfig, shared: &Shared, handshake: &Handshake) -> Result<Vec<Label>> {
    if let Some(own) = &handshake.labels {
        if let Some(unknown) = config.label_map.keys().find(|k| !own.contains(k)) {
            return Err(Error::config(format!("label_map key {unknown:?} is not a label the tool declares ({})", own.join(", "))));
        }
    }
    if let Some(labels) = &config.labels {
        return Ok(labels.clone());
    }
    let Some(own) = &handshake.labels else {
        return Err(Error::config(format!(
            "`{}` declares no labels in its handshake: list them in the config (`labels = [...]`)",
            shared.command_line()
        )));
    };
    let mut labels: Vec<Label> = Vec::new();
    for raw in own {
        if let Some(label) = shared.decoder.label(raw)? {
            if !labels.contains(&label) {
                labels.push(label);
            }
        }
    }
    Ok(labels)
}

impl Extractor for CommandExtractor {
    fn name(&self) -> &str {
        "command"
    }

    fn labels(&self) -> &[Label] {
        &self.labels
    }

    fn extract(&self, document: &Document) -> Result<Vec<Entity>> {
        self.extract_batch(std::slice::from_ref(document)).pop().expect("one result per document")
    }

    fn extract_batch(&self, documents: &[Document]) -> Vec<Result<Vec<Entity>>> {
        /// Returns the worker to the pool even if extraction unwinds.
        struct Lease<'a>(&'a CommandExtractor, Option<Worker>);
        impl Drop for Lease<'_> {
            fn drop(&mut self) {
                if let Some(worker) = self.1.take() {
                    self.0.give_back(worker);
                }
            }
        }
        if documents.is_empty() {
            return Vec::new();
        }
        let mut lease = Lease(self, Some(self.take_worker()));
        let results = lease.1.as_mut().expect("leased").run_batch(&self.shared, documents);
        results
    }
}
