//! The second process of a TCP bench: starting it, hearing from it, and
//! what it does (`yoton bench-peer`).
//!
//! The peer speaks to the bench on its stdout, one line each: `ready` once
//! connected, `done` once it has every message (or has echoed them all),
//! or `error TEXT`. Before `done` of a round trip it says `cpu SECONDS`:
//! the CPU time it used from its first echo to its last (`cpu -` where
//! the platform has no process CPU clock).
//!
//! The peer of a `connections` case reads the addresses of its peer
//! contexts from its stdin, one a line, up to its end (`--address -`):
//! there may be 1,250 of them (10,000 peers in 8 processes), too many for
//! a command line everywhere (Windows takes 32,767 characters), and a
//! pipe, unlike a temporary file, leaves nothing behind when either side
//! is killed.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Select};
use yoton_cli::setups::cpu::{cpu_time_since, process_cpu_time};

use super::{CASE_DEADLINE, Case, channels, pattern_name, raw, transport_name};
use crate::args::{BenchPeerArgs, BenchTransport};
use crate::failure::Failure;

/// A running peer process; killed and reaped when dropped.
pub(crate) struct Peer {
    child: Child,
    lines: Receiver<(Instant, String)>,
}

/// The `--address` of a peer that reads its addresses from stdin.
pub(crate) const ADDRESSES_ON_STDIN: &str = "-";

impl Peer {
    /// Starts `yoton bench-peer` for `case`, to meet the bench at `address`.
    pub(crate) fn start(case: &Case, address: &str) -> Result<Peer, String> {
        Peer::spawn(case, address, None)
    }

    /// Starts `yoton bench-peer` for a `connections` case, to make one peer
    /// context for each of `addresses` (written to its stdin).
    pub(crate) fn start_connections(case: &Case, addresses: &[String]) -> Result<Peer, String> {
        let mut input = String::new();
        for address in addresses {
            input.push_str(address);
            input.push('\n');
        }
        Peer::spawn(case, ADDRESSES_ON_STDIN, Some((addresses.len(), input)))
    }

    /// Starts `yoton bench-peer`; `input` is the count of addresses and the
    /// text to write to its stdin, which is closed after it (and not open
    /// at all without it).
    fn spawn(case: &Case, address: &str, input: Option<(usize, String)>) -> Result<Peer, String> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find myself: {e}"))?;
        let mut command = Command::new(exe);
        command
            .arg("bench-peer")
            .args(["--transport", transport_name(case.transport)])
            .args(["--pattern", pattern_name(case.pattern)])
            .args(["--address", address])
            .args(["--size", &case.size.to_string()])
            .args(["--messages", &case.messages.to_string()])
            .args(
                case.secret_file
                    .iter()
                    .flat_map(|path| [std::ffi::OsStr::new("--secret-file"), path.as_os_str()]),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some((count, _)) = &input {
            command
                .args(["--peers", &count.to_string()])
                .stdin(Stdio::piped());
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start the peer process: {e}"))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("the peer process has no stdout".to_owned());
        };
        if let Some((_, text)) = input {
            // Written by a thread of its own, so that a peer that does not
            // read cannot hold the bench past its deadline: killing the peer
            // ends the write.
            let writer = child.stdin.take().map(|mut stdin| {
                thread::Builder::new()
                    .name("yoton-bench-peer-in".to_owned())
                    .spawn(move || {
                        let _ = stdin.write_all(text.as_bytes());
                    })
            });
            let why = match writer {
                Some(Ok(_)) => None,
                Some(Err(e)) => Some(format!("cannot start a thread: {e}")),
                None => Some("the peer process has no stdin".to_owned()),
            };
            if let Some(why) = why {
                let _ = child.kill();
                let _ = child.wait();
                return Err(why);
            }
        }
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

    /// Waits for the peer's `cpu SECONDS` line until `deadline`; returns
    /// the CPU time it reports, `None` when it has no clock.
    pub(crate) fn expect_cpu(&self, deadline: Instant) -> Result<Option<Duration>, String> {
        let wait = deadline.saturating_duration_since(Instant::now());
        let line = match self.lines.recv_timeout(wait) {
            Ok((_, line)) => line,
            Err(RecvTimeoutError::Timeout) => return Err("no \"cpu\" from the peer in time".into()),
            Err(RecvTimeoutError::Disconnected) => {
                return Err("the peer ended without saying \"cpu\"".into());
            }
        };
        match line.strip_prefix("cpu ") {
            Some("-") => Ok(None),
            Some(secs) => secs
                .parse::<f64>()
                .ok()
                .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
                .map(Some)
                .ok_or_else(|| format!("the peer said {line:?}, not a CPU time")),
            None => Err(format!("the peer said {line:?}, not \"cpu\"")),
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

/// Waits for the line `word` from every one of `peers` until `deadline`,
/// in whatever order they say it; returns when the last of them was read.
/// The first peer that says anything else (such as its `error TEXT`) or
/// ends fails the wait at once, named by its place among `peers` (from 1).
pub(crate) fn expect_all(peers: &[Peer], word: &str, deadline: Instant) -> Result<Instant, String> {
    let total = peers.len();
    let mut select = Select::new();
    for peer in peers {
        select.recv(&peer.lines);
    }
    let mut last: Option<Instant> = None;
    let mut left = total;
    while left > 0 {
        let Ok(operation) = select.select_deadline(deadline) else {
            return Err(format!("no {word:?} from {left} of {total} peers in time"));
        };
        let index = operation.index();
        let name = format!("peer {} of {total}", index + 1);
        match operation.recv(&peers[index].lines) {
            Ok((at, line)) if line == word => {
                last = Some(last.map_or(at, |last| last.max(at)));
                select.remove(index);
                left -= 1;
            }
            Ok((_, line)) => {
                return Err(match line.strip_prefix("error ") {
                    Some(error) => format!("{name}: {error}"),
                    None => format!("{name} said {line:?}, not {word:?}"),
                });
            }
            Err(_) => return Err(format!("{name} ended without saying {word:?}")),
        }
    }
    Ok(last.unwrap_or_else(Instant::now))
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

/// Echoes `messages` round trips with `echo(count)`: the first before the
/// CPU clock starts (so that waiting for the bench to begin is not
/// counted), then the rest; says `cpu SECONDS` for the rest.
pub(super) fn echo_timed(
    messages: u64,
    mut echo: impl FnMut(u64) -> Result<(), String>,
) -> Result<(), String> {
    echo(1)?;
    let before = process_cpu_time();
    echo(messages.saturating_sub(1))?;
    match cpu_time_since(before) {
        Some(cpu) => say(&format!("cpu {:.9}", cpu.as_secs_f64())),
        None => say("cpu -"),
    }
    Ok(())
}

/// Round trips of `run` timed in CPU too: this process's CPU time over
/// `run`, plus what `peer` reports of itself (if a peer process echoes).
/// `None` when either clock is missing.
pub(super) fn timed_roundtrips(
    peer: Option<(&Peer, Instant)>,
    run: impl FnOnce() -> Result<Vec<Duration>, String>,
) -> Result<super::Measured, String> {
    let before = process_cpu_time();
    let rtts = run()?;
    let mut cpu = cpu_time_since(before);
    if let Some((peer, deadline)) = peer {
        let theirs = peer.expect_cpu(deadline)?;
        cpu = cpu.zip(theirs).map(|(ours, theirs)| ours + theirs);
    }
    Ok(super::Measured::Roundtrip(rtts, cpu))
}

/// Runs `yoton bench-peer`: the subscriber (one of several for a fan-out)
/// or the echo of a TCP bench.
pub(crate) fn run_peer(args: &BenchPeerArgs) -> Result<(), Failure> {
    let deadline = Instant::now() + CASE_DEADLINE;
    let result = match args.transport {
        BenchTransport::RawTcp => raw::peer(args, deadline),
        BenchTransport::RawTcpSpin => raw::peer_spin(args, deadline),
        BenchTransport::Tcp
        | BenchTransport::TcpSecured
        | BenchTransport::TcpBusyPoll
        | BenchTransport::Ipc => channels::peer_stream(args, deadline),
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
