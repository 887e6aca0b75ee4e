//! What the tests of the `yoton` binary share: running it as a child
//! under a [`Running`] guard. Output is read by threads, every wait has a
//! deadline, and a child still running when its guard is dropped (a
//! failed assertion included) is killed and reaped.

// Each test binary uses its part of this.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};

/// The most any child is given to do its part.
pub(crate) const DEADLINE: Duration = Duration::from_secs(20);

/// The prefix of the stderr line that reports where a bound side waits.
pub(crate) const WAITING: &str = "yoton: waiting for a peer on ";

pub(crate) enum Line {
    Out(String),
    Err(String),
    OutEnd,
    ErrEnd,
}

/// A running `yoton` process.
pub(crate) struct Running {
    what: String,
    child: Child,
    lines: Receiver<Line>,
    pub(crate) stdout: Vec<String>,
    pub(crate) stderr: Vec<String>,
    open_streams: usize,
    /// Where the next `stderr_line` looks from: past the last line found.
    stderr_read: usize,
}

/// How a finished process ended.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: Vec<String>,
    pub(crate) stderr: Vec<String>,
    /// How long [`run`] took (zero otherwise).
    pub(crate) took: Duration,
}

impl Finished {
    pub(crate) fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Checks that stderr is a clean report: no panic, no backtrace.
    pub(crate) fn assert_no_panic(&self) {
        for line in &self.stderr {
            assert!(
                !line.contains("panicked") && !line.contains("RUST_BACKTRACE"),
                "panic output: {:?}",
                self.stderr
            );
        }
    }

    /// Checks the one-line error of an exit 2 and returns it.
    pub(crate) fn assert_error(&self, expect: &str) -> &str {
        self.assert_no_panic();
        assert_eq!(self.code(), Some(2), "{self:?}");
        let errors: Vec<&String> = self
            .stderr
            .iter()
            .filter(|l| l.starts_with("yoton: error: "))
            .collect();
        assert_eq!(errors.len(), 1, "exactly one error line: {self:?}");
        assert!(
            errors[0].contains(expect),
            "{:?} lacks {expect:?}",
            errors[0]
        );
        assert!(self.stdout.is_empty(), "stdout: {:?}", self.stdout);
        errors[0]
    }

    /// Checks exit code `code`, nothing on stdout, no panic, and a last
    /// stderr line holding `expect`; returns that line.
    pub(crate) fn assert_failed(&self, code: i32, expect: &str) -> &str {
        assert_eq!(self.code(), Some(code), "{self:?}");
        assert!(self.stdout.is_empty(), "stdout: {self:?}");
        for line in &self.stderr {
            assert!(!line.contains("panicked"), "panic output: {self:?}");
        }
        let last = self.stderr.last().map(String::as_str).unwrap_or("");
        assert!(last.contains(expect), "{last:?} lacks {expect:?}: {self:?}");
        last
    }

    /// Checks a success: exit 0 and the one line of JSON on stdout.
    pub(crate) fn assert_result(&self, json: &str) {
        assert_eq!(self.code(), Some(0), "{self:?}");
        assert_eq!(self.stdout, [json], "{self:?}");
    }
}

pub(crate) fn forward(
    stream: impl Read + Send + 'static,
    tx: crossbeam_channel::Sender<Line>,
    out: bool,
) {
    thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            let line = if out {
                Line::Out(line)
            } else {
                Line::Err(line)
            };
            if tx.send(line).is_err() {
                return;
            }
        }
        let _ = tx.send(if out { Line::OutEnd } else { Line::ErrEnd });
    });
}

/// Starts `yoton ARGS`, with stdin piped (returned) and output collected.
pub(crate) fn start(args: &[&str]) -> (Running, ChildStdin) {
    start_env(args, &[])
}

/// As [`start`], with these environment variables set.
pub(crate) fn start_env(args: &[&str], env: &[(&str, &str)]) -> (Running, ChildStdin) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_yoton"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("RUST_BACKTRACE")
        .spawn()
        .expect("start yoton");
    let (tx, lines) = crossbeam_channel::unbounded();
    forward(child.stdout.take().expect("stdout"), tx.clone(), true);
    forward(child.stderr.take().expect("stderr"), tx, false);
    let stdin = child.stdin.take().expect("stdin");
    let running = Running {
        what: format!("yoton {}", args.join(" ")),
        child,
        lines,
        stdout: Vec::new(),
        stderr: Vec::new(),
        open_streams: 2,
        stderr_read: 0,
    };
    (running, stdin)
}

/// Starts `yoton ARGS` with `input` on stdin, then closed.
pub(crate) fn start_with_input(args: &[&str], input: &str) -> Running {
    let (running, mut stdin) = start(args);
    // The child may exit before reading (an error case): ignore a broken pipe.
    let _ = stdin.write_all(input.as_bytes());
    drop(stdin);
    running
}

/// Runs `yoton ARGS` with no input to the end.
pub(crate) fn run(args: &[&str]) -> Finished {
    let started = Instant::now();
    let (running, stdin) = start(args);
    drop(stdin);
    let mut finished = running.finish();
    finished.took = started.elapsed();
    finished
}

impl Running {
    /// Takes the next line of output; `false` once both streams ended.
    pub(crate) fn pump(&mut self, deadline: Instant) -> bool {
        if self.open_streams == 0 {
            return false;
        }
        match self.lines.recv_deadline(deadline) {
            Ok(Line::Out(line)) => self.stdout.push(line),
            Ok(Line::Err(line)) => self.stderr.push(line),
            Ok(Line::OutEnd | Line::ErrEnd) => self.open_streams -= 1,
            Err(RecvTimeoutError::Timeout) => panic!(
                "{} did not finish in time; stdout {:?}, stderr {:?}",
                self.what, self.stdout, self.stderr
            ),
            Err(RecvTimeoutError::Disconnected) => self.open_streams = 0,
        }
        true
    }

    /// Waits for the next stderr line (after the one found last) that
    /// starts with `prefix`, and returns the rest.
    pub(crate) fn stderr_line(&mut self, prefix: &str) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let found = self.stderr[self.stderr_read..]
                .iter()
                .position(|l| l.starts_with(prefix));
            if let Some(at) = found {
                let at = self.stderr_read + at;
                self.stderr_read = at + 1;
                return self.stderr[at][prefix.len()..].to_owned();
            }
            assert!(
                self.pump(deadline),
                "{} ended without {prefix:?}: stderr {:?}",
                self.what,
                self.stderr
            );
        }
    }

    /// Waits until stdout holds at least `count` lines.
    pub(crate) fn stdout_lines(&mut self, count: usize) -> &[String] {
        let deadline = Instant::now() + DEADLINE;
        while self.stdout.len() < count {
            assert!(
                self.pump(deadline),
                "{} ended with {} of {count} lines: stdout {:?}, stderr {:?}",
                self.what,
                self.stdout.len(),
                self.stdout,
                self.stderr
            );
        }
        &self.stdout
    }

    /// Waits for the next "waiting for a peer" line; returns the port.
    pub(crate) fn waiting_port(&mut self) -> u16 {
        let address = self.stderr_line(WAITING);
        let port = address
            .strip_prefix("tcp://127.0.0.1:")
            .unwrap_or_else(|| panic!("unexpected address {address:?}"));
        port.parse().expect("a port number")
    }

    /// Waits for the process to end and returns how it ended.
    pub(crate) fn finish(mut self) -> Finished {
        let deadline = Instant::now() + DEADLINE;
        while self.pump(deadline) {}
        // Both streams are closed: the process is exiting.
        let status = self.child.wait().expect("wait for yoton");
        Finished {
            status,
            stdout: std::mem::take(&mut self.stdout),
            stderr: std::mem::take(&mut self.stderr),
            took: Duration::ZERO,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// A loopback port with nothing listening on it (it was free a moment ago).
pub(crate) fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}
