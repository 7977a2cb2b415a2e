//! One running child process: its pipes, the threads that drain them, and how it is stopped.
//!
//! The calling thread never blocks on a pipe: a writer thread feeds stdin (so a child that
//! stops reading cannot wedge nerlab), a reader thread turns stdout into lines on a channel
//! (so waiting for an answer can time out), and a third thread keeps the tail of stderr for
//! error messages. The child gets its own process group so that killing it also kills
//! whatever it started (a shell wrapper's interpreter, worker subprocesses).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How to start the tool.
#[derive(Debug, Clone)]
pub(crate) struct Launch {
    /// argv, the program already resolved.
    pub argv: Vec<String>,
    /// The working directory (the config file's directory).
    pub cwd: PathBuf,
}

/// What the stdout reader saw.
pub(crate) enum Event {
    /// One line, without its newline.
    Line(Vec<u8>),
    /// stdout closed (the process exited) or could not be read.
    Closed,
}

/// Why waiting for the next line failed.
pub(crate) enum Silence {
    /// Nothing arrived within the timeout.
    Timeout,
    /// The process closed stdout.
    Closed,
}

/// Lines of stderr kept for error messages.
const STDERR_LINES: usize = 8;
/// How long a stopped process gets to flush its last stderr lines into our message.
const STDERR_GRACE: Duration = Duration::from_millis(500);
/// How long a process whose stdin was closed gets to exit before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(2);

#[derive(Default)]
struct StderrTail {
    lines: VecDeque<String>,
    closed: bool,
}

/// A started child process.
pub(crate) struct Process {
    child: Child,
    to_stdin: Option<Sender<Vec<u8>>>,
    from_stdout: Receiver<Event>,
    stderr: Arc<(Mutex<StderrTail>, Condvar)>,
}

impl Process {
    /// Starts the tool with piped stdio in its own process group.
    pub fn spawn(launch: &Launch) -> std::io::Result<Process> {
        let (program, args) = launch.argv.split_first().ok_or_else(|| std::io::Error::other("empty command"))?;
        let mut child = Command::new(program)
            .args(args)
            .current_dir(&launch.cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");

        let (to_stdin, stdin_rx) = mpsc::channel::<Vec<u8>>();
        thread::Builder::new().name("nerlab-command-stdin".into()).spawn(move || write_all(stdin, stdin_rx))?;
        let (stdout_tx, from_stdout) = mpsc::channel();
        thread::Builder::new().name("nerlab-command-stdout".into()).spawn(move || read_lines(stdout, stdout_tx))?;
        let tail = Arc::new((Mutex::new(StderrTail::default()), Condvar::new()));
        let tail_writer = Arc::clone(&tail);
        thread::Builder::new().name("nerlab-command-stderr".into()).spawn(move || keep_tail(stderr, &tail_writer))?;
        Ok(Process { child, to_stdin: Some(to_stdin), from_stdout, stderr: tail })
    }

    /// Queues bytes for the child's stdin; false when the writer is gone (the child closed
    /// stdin or exited).
    pub fn send(&self, bytes: Vec<u8>) -> bool {
        self.to_stdin.as_ref().is_some_and(|tx| tx.send(bytes).is_ok())
    }

    /// The next stdout line, waiting at most `timeout`.
    pub fn next_line(&self, timeout: Duration) -> Result<Vec<u8>, Silence> {
        match self.from_stdout.recv_timeout(timeout) {
            Ok(Event::Line(line)) => Ok(line),
            Ok(Event::Closed) | Err(RecvTimeoutError::Disconnected) => Err(Silence::Closed),
            Err(RecvTimeoutError::Timeout) => Err(Silence::Timeout),
        }
    }

    /// Kills the process group now and describes how it ended, with the tail of stderr.
    pub fn kill(mut self) -> String {
        self.terminate(Duration::ZERO)
    }

    /// The exit status (when the process has exited) and the last lines of stderr, for an
    /// error message: `exit status: 1; stderr: Traceback ... | ValueError: ...`.
    fn terminate(&mut self, grace: Duration) -> String {
        self.to_stdin = None; // EOF on the child's stdin: a well-behaved tool exits
        let deadline = Instant::now() + grace;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                _ => {
                    // Still running: the whole group goes, then the leader is reaped.
                    // SAFETY: kill(2) with a negative pid signals the process group we created.
                    unsafe { libc::kill(-(self.child.id() as libc::pid_t), libc::SIGKILL) };
                    let _ = self.child.kill();
                    break self.child.wait().ok();
                }
            }
        };
        let stderr = self.stderr_tail(STDERR_GRACE);
        let mut message = match status {
            Some(status) => status.to_string(),
            None => "killed".to_string(),
        };
        if !stderr.is_empty() {
            message.push_str("; stderr: ");
            message.push_str(&stderr);
        }
        message
    }

    /// The last lines of stderr joined by ` | `, after waiting up to `wait` for stderr to close.
    pub fn stderr_tail(&self, wait: Duration) -> String {
        let (lock, closed) = &*self.stderr;
        let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
        let (guard, _) = closed.wait_timeout_while(guard, wait, |t| !t.closed).unwrap_or_else(|p| p.into_inner());
        guard.lines.iter().map(String::as_str).collect::<Vec<_>>().join(" | ")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.terminate(EXIT_GRACE);
        }
    }
}

fn write_all(mut stdin: ChildStdin, rx: Receiver<Vec<u8>>) {
    for bytes in rx {
        if stdin.write_all(&bytes).and_then(|()| stdin.flush()).is_err() {
            return; // the child is gone; the reader reports it
        }
    }
}

fn read_lines(stdout: impl Read, tx: Sender<Event>) {
    let mut reader = BufReader::with_capacity(1 << 16, stdout);
    loop {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => {
                let _ = tx.send(Event::Closed);
                return;
            }
            Ok(_) => {
                while matches!(line.last(), Some(b'\n' | b'\r')) {
                    line.pop();
                }
                if tx.send(Event::Line(line)).is_err() {
                    return;
                }
            }
        }
    }
}

fn keep_tail(stderr: impl Read, tail: &(Mutex<StderrTail>, Condvar)) {
    let (lock, closed) = tail;
    let mut reader = BufReader::new(stderr);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let text = String::from_utf8_lossy(&line);
                let text = text.trim_end();
                // A line of progress bar or a dumped array must not swamp the message.
                let text: String =
                    if text.chars().count() > 300 { text.chars().take(300).chain("...".chars()).collect() } else { text.to_string() };
                if text.is_empty() {
                    continue;
                }
                let mut t = lock.lock().unwrap_or_else(|p| p.into_inner());
                if t.lines.len() == STDERR_LINES {
                    t.lines.pop_front();
                }
                t.lines.push_back(text);
            }
        }
    }
    lock.lock().unwrap_or_else(|p| p.into_inner()).closed = true;
    closed.notify_all();
}
