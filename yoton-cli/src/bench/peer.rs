//! The second process of a TCP bench: starting it, hearing from it, and
//! what it does (`yoton bench-peer`).
//!
//! The peer speaks to the bench on its stdout, one line each: `ready` once
//! connected, `done` once it has every message (or has echoed them all),
//! or `error TEXT`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};

use super::{CASE_DEADLINE, Case, channels, pattern_name, raw, transport_name};
use crate::args::{BenchPeerArgs, BenchTransport};
use crate::failure::Failure;

/// A running peer process; killed and reaped when dropped.
pub(crate) struct Peer {
    child: Child,
    lines: Receiver<(Instant, String)>,
}

impl Peer {
    /// Starts `yoton bench-peer` for `case`, to meet the bench at `address`.
    pub(crate) fn start(case: &Case, address: &str) -> Result<Peer, String> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find myself: {e}"))?;
        let mut child = Command::new(exe)
            .arg("bench-peer")
            .args(["--transport", transport_name(case.transport)])
            .args(["--pattern", pattern_name(case.pattern)])
            .args(["--address", address])
            .args(["--size", &case.size.to_string()])
            .args(["--messages", &case.messages.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start the peer process: {e}"))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("the peer process has no stdout".to_owned());
        };
        let (tx, lines) = crossbeam_channel::unbounded();
        let reader = thread::Builder::new()
            .name("yoton-bench-peer-out".to_owned())
            .spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if tx.send((Instant::now(), line)).is_err() {
                        break;
                    }
                }
            });
        if let Err(e) = reader {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("cannot start a thread: {e}"));
        }
        Ok(Peer { child, lines })
    }

    /// Waits for the peer's line `word` until `deadline`; returns when it
    /// was read.
    pub(crate) fn expect(&self, word: &str, deadline: Instant) -> Result<Instant, String> {
        let wait = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(wait) {
            Ok((at, line)) if line == word => Ok(at),
            Ok((_, line)) => Err(format!("the peer said {line:?}, not {word:?}")),
            Err(RecvTimeoutError::Timeout) => Err(format!("no {word:?} from the peer in time")),
            Err(RecvTimeoutError::Disconnected) => {
                Err(format!("the peer ended without saying {word:?}"))
            }
        }
    }

    /// Waits (at most a few seconds) for the peer to exit: its stdout
    /// closes, then it is reaped (killed if it lingers).
    pub(crate) fn finish(mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let wait = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(wait) {
            Ok((_, line)) => return Err(format!("the peer said {line:?} at the end")),
            Err(RecvTimeoutError::Disconnected) => {}
            Err(RecvTimeoutError::Timeout) => {
                return Err("the peer did not exit in time".to_owned());
            }
        }
        match self.child.wait() {
            Ok(status) if status.success() => Ok(()),
            Ok(status) => Err(format!("the peer exited with {status}")),
            Err(e) => Err(format!("cannot wait for the peer: {e}")),
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Says one line to the bench.
pub(super) fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Runs `yoton bench-peer`: the subscriber or the echo of a TCP bench.
pub(crate) fn run_peer(args: &BenchPeerArgs) -> Result<(), Failure> {
    let deadline = Instant::now() + CASE_DEADLINE;
    let result = match args.transport {
        BenchTransport::RawTcp => raw::peer(args, deadline),
        BenchTransport::Tcp => channels::peer_tcp(args, deadline),
        other => Err(format!("no peer for {}", transport_name(other))),
    };
    match result {
        Ok(()) => Ok(()),
        Err(e) => {
            say(&format!("error {e}"));
            Err(Failure::error(format!("bench peer: {e}")))
        }
    }
}
