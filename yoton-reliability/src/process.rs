//! Helper processes of the tests: started with a deadline, read line by
//! line, and killed and reaped whatever happens to the test.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};

/// What a helper process prints when one of its threads panics (its panic
/// hook prints this, then exits with status 101).
pub const PANIC_MARK: &str = "PANIC";

/// The environment variable that gives a helper process its deadline, in
/// seconds: past it the process exits on its own (status 3).
pub const DEADLINE_VAR: &str = "YOTON_PEER_DEADLINE";

/// A helper process whose standard output is read line by line.
///
/// Dropping it kills the process (SIGKILL on Unix) and reaps it, so that a
/// failing test leaves nothing behind; the process also has a deadline of
/// its own (see [`DEADLINE_VAR`]).
#[derive(Debug)]
pub struct PeerProcess {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
    ended: bool,
}

impl PeerProcess {
    /// Starts `program` with `args` and a deadline of `deadline`.
    ///
    /// # Panics
    /// If the program cannot be started (this is test code).
    pub fn spawn(program: &str, args: &[&str], deadline: Duration) -> PeerProcess {
        let mut child = Command::new(program)
            .args(args)
            .env(DEADLINE_VAR, deadline.as_secs().max(1).to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = crossbeam_channel::unbounded();
        thread::Builder::new()
            .name("peer-stdout".to_owned())
            .spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            })
            .expect("thread for the peer's output");
        PeerProcess {
            child,
            lines,
            seen: Vec::new(),
            ended: false,
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the next line that starts with `prefix` (and a space, if
    /// the line goes on) and returns the rest of it. Other lines are kept,
    /// for later calls and for the failure message.
    ///
    /// # Panics
    /// When `timeout` passes, the output ends first, or the process reports
    /// a panic.
    pub fn expect(&mut self, prefix: &str, timeout: Duration) -> String {
        let matching = |line: &str| -> Option<String> {
            let rest = line.strip_prefix(prefix)?;
            (rest.is_empty() || rest.starts_with(' ')).then(|| rest.trim_start().to_owned())
        };
        // Lines of different threads of the process may come in any order:
        // an earlier line that was passed over counts.
        if let Some(at) = self.seen.iter().position(|l| matching(l).is_some()) {
            let line = self.seen.remove(at);
            return matching(&line).unwrap_or_default();
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    assert!(
                        !line.starts_with(PANIC_MARK),
                        "the helper process panicked: {line}"
                    );
                    if let Some(rest) = matching(&line) {
                        return rest;
                    }
                    self.seen.push(line);
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no {prefix:?} line in {timeout:?}; seen {:?}", self.seen)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.ended = true;
                    panic!("output ended before {prefix:?}; seen {:?}", self.seen)
                }
            }
        }
    }

    /// [`expect`](PeerProcess::expect), parsed as a number.
    pub fn expect_number(&mut self, prefix: &str, timeout: Duration) -> u64 {
        let text = self.expect(prefix, timeout);
        text.split_whitespace()
            .next()
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("{prefix} line without a number: {text:?}"))
    }

    /// The next line, whatever it is, or `None` after `timeout` or at the
    /// end of the output.
    pub fn next_line(&mut self, timeout: Duration) -> Option<String> {
        let line = self.lines.recv_timeout(timeout).ok()?;
        assert!(
            !line.starts_with(PANIC_MARK),
            "the helper process panicked: {line}"
        );
        Some(line)
    }

    /// Waits until the process ends on its own (its output ends first) and
    /// returns its status, and every line it printed that no `expect` took.
    ///
    /// # Panics
    /// When `timeout` passes first, or the process reports a panic.
    pub fn wait_exit(&mut self, timeout: Duration) -> (ExitStatus, Vec<String>) {
        let deadline = Instant::now() + timeout;
        while !self.ended {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    assert!(
                        !line.starts_with(PANIC_MARK),
                        "the helper process panicked: {line}"
                    );
                    self.seen.push(line);
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("the helper process did not end in {timeout:?}")
                }
                Err(RecvTimeoutError::Disconnected) => self.ended = true,
            }
        }
        // Its output is closed: it has exited or is about to.
        let status = self.child.wait().expect("reaping the helper process");
        (status, std::mem::take(&mut self.seen))
    }

    /// Kills the process at once (SIGKILL on Unix) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
    }
}

/// Arms the deadline of a helper process: a thread that exits the process
/// (status 3) once [`DEADLINE_VAR`] seconds (default 120) have passed, and
/// a panic hook that prints [`PANIC_MARK`] and exits with status 101, so
/// that a panic on any thread is seen by the test.
pub fn arm_helper_process() {
    let seconds = std::env::var(DEADLINE_VAR)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120u64);
    let _ = thread::Builder::new()
        .name("peer-deadline".to_owned())
        .spawn(move || {
            // The deadline is about time passing: nothing to wait for.
            thread::sleep(Duration::from_secs(seconds));
            eprintln!("helper process: deadline of {seconds} s passed");
            std::process::exit(3);
        });
    std::panic::set_hook(Box::new(|info| {
        let thread = thread::current().name().unwrap_or("unnamed").to_owned();
        println!("{PANIC_MARK} on thread {thread}: {info}");
        eprintln!("{PANIC_MARK} on thread {thread}: {info}");
        std::process::exit(101);
    }));
}
