//! The `yoton` binary as a user runs it: each command and each error case,
//! as subprocesses over TCP on loopback, with exit codes and messages
//! checked.
//!
//! Every child runs under a [`Running`] guard: output is read by threads,
//! every wait has a deadline, and a child still running when its guard is
//! dropped (a failed assertion included) is killed and reaped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};

/// The most any child is given to do its part.
const DEADLINE: Duration = Duration::from_secs(20);

/// The prefix of the stderr line that reports where a bound side waits.
const WAITING: &str = "yoton: waiting for a peer on ";

enum Line {
    Out(String),
    Err(String),
    OutEnd,
    ErrEnd,
}

/// A running `yoton` process.
struct Running {
    what: String,
    child: Child,
    lines: Receiver<Line>,
    stdout: Vec<String>,
    stderr: Vec<String>,
    open_streams: usize,
}

/// How a finished process ended.
#[derive(Debug)]
struct Finished {
    status: ExitStatus,
    stdout: Vec<String>,
    stderr: Vec<String>,
}

impl Finished {
    fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Checks that stderr is a clean report: no panic, no backtrace.
    fn assert_no_panic(&self) {
        for line in &self.stderr {
            assert!(
                !line.contains("panicked") && !line.contains("RUST_BACKTRACE"),
                "panic output: {:?}",
                self.stderr
            );
        }
    }

    /// Checks the one-line error of an exit 2 and returns it.
    fn assert_error(&self, expect: &str) -> &str {
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
}

fn forward(stream: impl Read + Send + 'static, tx: crossbeam_channel::Sender<Line>, out: bool) {
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
fn start(args: &[&str]) -> (Running, ChildStdin) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_yoton"))
        .args(args)
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
    };
    (running, stdin)
}

/// Starts `yoton ARGS` with `input` on stdin, then closed.
fn start_with_input(args: &[&str], input: &str) -> Running {
    let (running, mut stdin) = start(args);
    // The child may exit before reading (an error case): ignore a broken pipe.
    let _ = stdin.write_all(input.as_bytes());
    drop(stdin);
    running
}

/// Runs `yoton ARGS` with no input to the end.
fn run(args: &[&str]) -> Finished {
    let (running, stdin) = start(args);
    drop(stdin);
    running.finish()
}

impl Running {
    /// Takes the next line of output; `false` once both streams ended.
    fn pump(&mut self, deadline: Instant) -> bool {
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

    /// Waits for a stderr line starting with `prefix` and returns the rest.
    fn stderr_line(&mut self, prefix: &str) -> String {
        let deadline = Instant::now() + DEADLINE;
        let mut seen = 0;
        loop {
            if let Some(line) = self.stderr[seen..].iter().find(|l| l.starts_with(prefix)) {
                return line[prefix.len()..].to_owned();
            }
            seen = self.stderr.len();
            assert!(
                self.pump(deadline),
                "{} ended without {prefix:?}: stderr {:?}",
                self.what,
                self.stderr
            );
        }
    }

    /// Waits for the next "waiting for a peer" line; returns the port.
    fn waiting_port(&mut self) -> u16 {
        let address = self.stderr_line(WAITING);
        let port = address
            .strip_prefix("tcp://127.0.0.1:")
            .unwrap_or_else(|| panic!("unexpected address {address:?}"));
        port.parse().expect("a port number")
    }

    /// Waits for the process to end and returns how it ended.
    fn finish(mut self) -> Finished {
        let deadline = Instant::now() + DEADLINE;
        while self.pump(deadline) {}
        // Both streams are closed: the process is exiting.
        let status = self.child.wait().expect("wait for yoton");
        Finished {
            status,
            stdout: std::mem::take(&mut self.stdout),
            stderr: std::mem::take(&mut self.stderr),
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
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

#[test]
fn sub_binds_and_pub_connects() {
    let (mut sub, _stdin) = start(&[
        "sub",
        "localhost:0",
        "chat",
        "--bind",
        "--count",
        "3",
        "--max-wait",
        "20",
    ]);
    let port = sub.waiting_port();
    let publisher = start_with_input(
        &["pub", &format!("localhost:{port}"), "chat"],
        "first line\n\nsecond, with spaces  \nthird\n",
    )
    .finish();
    assert_eq!(publisher.code(), Some(0), "{publisher:?}");
    assert!(publisher.stdout.is_empty(), "{publisher:?}");
    assert!(
        publisher
            .stderr
            .iter()
            .any(|l| l.starts_with(&format!("yoton: connected to tcp://127.0.0.1:{port} ("))),
        "{publisher:?}"
    );
    let sub = sub.finish();
    assert_eq!(sub.code(), Some(0), "{sub:?}");
    // The empty line is skipped; stdout holds only the messages.
    assert_eq!(sub.stdout, ["first line", "second, with spaces  ", "third"]);
    assert!(
        sub.stderr
            .iter()
            .any(|l| l.starts_with("yoton: connected to "))
    );
    sub.assert_no_panic();
}

#[test]
fn pub_binds_and_sub_connects() {
    let mut publisher = start_with_input(
        &["pub", "localhost:0", "news", "--bind", "--wait-peer", "20"],
        "alpha\nbeta\n",
    );
    let port = publisher.waiting_port();
    let sub = run(&[
        "sub",
        &format!("tcp://localhost:{port}"),
        "news",
        "--count",
        "2",
        "--max-wait",
        "20",
    ]);
    assert_eq!(sub.code(), Some(0), "{sub:?}");
    assert_eq!(sub.stdout, ["alpha", "beta"]);
    let publisher = publisher.finish();
    assert_eq!(publisher.code(), Some(0), "{publisher:?}");
    assert!(
        publisher
            .stderr
            .iter()
            .any(|l| l.starts_with("yoton: connected to tcp://127.0.0.1:")),
        "{publisher:?}"
    );
}

#[test]
fn binary_messages_travel_as_hex() {
    let (mut sub, _stdin) = start(&[
        "sub",
        "127.0.0.1:0",
        "blobs",
        "--bind",
        "--type",
        "bin",
        "--count",
        "3",
        "--max-wait",
        "20",
    ]);
    let port = sub.waiting_port();
    let publisher = start_with_input(
        &[
            "pub",
            &format!("127.0.0.1:{port}"),
            "blobs",
            "--type",
            "bin",
        ],
        "00ff10\nDEADbeef\n  0a0B  \n",
    )
    .finish();
    assert_eq!(publisher.code(), Some(0), "{publisher:?}");
    let sub = sub.finish();
    assert_eq!(sub.code(), Some(0), "{sub:?}");
    assert_eq!(sub.stdout, ["00ff10", "deadbeef", "0a0b"]);
}

#[test]
fn text_and_binary_channels_of_one_name_are_apart() {
    // A binary subscriber does not see text sent on the same name: the
    // message type is part of the slot.
    let (mut sub, _stdin) = start(&[
        "sub",
        "localhost:0",
        "mixed",
        "--bind",
        "--type",
        "bin",
        "--max-wait",
        "1",
    ]);
    let port = sub.waiting_port();
    let publisher =
        start_with_input(&["pub", &format!("localhost:{port}"), "mixed"], "text\n").finish();
    assert_eq!(publisher.code(), Some(0), "{publisher:?}");
    let sub = sub.finish();
    assert_eq!(sub.code(), Some(3), "{sub:?}");
    assert!(sub.stdout.is_empty(), "{sub:?}");
}

#[test]
fn a_bound_sub_waits_for_the_next_peer() {
    let (mut sub, _stdin) = start(&[
        "sub",
        "localhost:0",
        "relay",
        "--bind",
        "--count",
        "2",
        "--max-wait",
        "20",
    ]);
    let port = sub.waiting_port();
    let address = format!("localhost:{port}");
    let first = start_with_input(&["pub", &address, "relay"], "from the first\n").finish();
    assert_eq!(first.code(), Some(0), "{first:?}");
    // The first publisher closed: the sub binds again at the same port.
    let _closed = sub.stderr_line("yoton: connection closed: ");
    assert_eq!(sub.waiting_port(), port);
    let second = start_with_input(&["pub", &address, "relay"], "from the second\n").finish();
    assert_eq!(second.code(), Some(0), "{second:?}");
    let sub = sub.finish();
    assert_eq!(sub.code(), Some(0), "{sub:?}");
    assert_eq!(sub.stdout, ["from the first", "from the second"]);
}

#[test]
fn max_wait_without_a_message_exits_3() {
    let started = Instant::now();
    let sub = run(&["sub", "localhost:0", "quiet", "--bind", "--max-wait", "0.5"]);
    assert_eq!(sub.code(), Some(3), "{sub:?}");
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert!(sub.stdout.is_empty());
    assert_eq!(
        sub.stderr.last().map(String::as_str),
        Some("yoton: no message within 0.5s")
    );
    sub.assert_no_panic();
}

#[test]
fn wait_peer_without_a_peer_exits_3() {
    let publisher = start_with_input(
        &[
            "pub",
            "localhost:0",
            "lonely",
            "--bind",
            "--wait-peer",
            "0.3",
        ],
        "never sent\n",
    )
    .finish();
    assert_eq!(publisher.code(), Some(3), "{publisher:?}");
    assert!(publisher.stderr.iter().any(|l| l.starts_with(WAITING)));
    assert_eq!(
        publisher.stderr.last().map(String::as_str),
        Some("yoton: no peer within 0.3s")
    );
}

#[test]
fn waits_too_long_to_count_are_waits_without_limit() {
    let (mut sub, _stdin) = start(&[
        "sub",
        "localhost:0",
        "patient",
        "--bind",
        "--count",
        "1",
        "--max-wait",
        "1e19",
    ]);
    let port = sub.waiting_port();
    let publisher = start_with_input(
        &["pub", &format!("localhost:{port}"), "patient"],
        "worth the wait\n",
    )
    .finish();
    assert_eq!(publisher.code(), Some(0), "{publisher:?}");
    let sub = sub.finish();
    assert_eq!(sub.code(), Some(0), "{sub:?}");
    assert_eq!(sub.stdout, ["worth the wait"]);
    sub.assert_no_panic();
    // A bound pub with such a --wait-peer waits for its peer too.
    let mut publisher = start_with_input(
        &[
            "pub",
            "localhost:0",
            "patient",
            "--bind",
            "--wait-peer",
            "1e19",
        ],
        "and again\n",
    );
    let port = publisher.waiting_port();
    let sub = run(&[
        "sub",
        &format!("localhost:{port}"),
        "patient",
        "--count",
        "1",
        "--max-wait",
        "20",
    ]);
    assert_eq!(sub.stdout, ["and again"], "{sub:?}");
    let publisher = publisher.finish();
    assert_eq!(publisher.code(), Some(0), "{publisher:?}");
    publisher.assert_no_panic();
}

#[test]
fn an_invalid_address_exits_2() {
    let sub = run(&["sub", "localhost:99999", "chat"]);
    let line = sub.assert_error("invalid address");
    assert!(line.contains("65535"), "{line}");
    let publisher = start_with_input(&["pub", "nohost", "chat", "--bind"], "x\n").finish();
    publisher.assert_error("has no port");
    let offset = run(&["sub", "localhost:chat+x", "chat", "--bind"]);
    offset.assert_error("invalid port offset");
}

#[test]
fn a_refused_connection_exits_2() {
    let port = closed_port();
    let sub = run(&["sub", &format!("127.0.0.1:{port}"), "chat"]);
    sub.assert_error(&format!("Cannot connect to 127.0.0.1 on {port}"));
    let publisher =
        start_with_input(&["pub", &format!("localhost:{port}"), "chat"], "x\n").finish();
    publisher.assert_error("Cannot connect");
}

#[test]
fn a_port_in_use_exits_2() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("address").port();
    let sub = run(&["sub", &format!("127.0.0.1:{port}"), "chat", "--bind"]);
    sub.assert_error("could not bind");
    let publisher = start_with_input(
        &["pub", &format!("localhost:{port}"), "chat", "--bind"],
        "x\n",
    )
    .finish();
    publisher.assert_error("could not bind");
}

#[test]
fn invalid_hex_exits_2_after_sending_the_lines_before() {
    let (mut sub, _stdin) = start(&[
        "sub",
        "localhost:0",
        "hex",
        "--bind",
        "--type",
        "bin",
        "--count",
        "1",
        "--max-wait",
        "20",
    ]);
    let port = sub.waiting_port();
    let publisher = start_with_input(
        &["pub", &format!("localhost:{port}"), "hex", "--type", "bin"],
        "abcd\nxyz\n0102\n",
    )
    .finish();
    let line = publisher.assert_error("line 2");
    assert!(line.contains("not a hex digit"), "{line}");
    let sub = sub.finish();
    assert_eq!(sub.code(), Some(0), "{sub:?}");
    assert_eq!(sub.stdout, ["abcd"]);
}

#[test]
fn usage_errors_exit_2() {
    let missing = run(&["sub", "localhost:0"]);
    assert_eq!(missing.code(), Some(2), "{missing:?}");
    missing.assert_no_panic();
    let bad_type = run(&["pub", "localhost:0", "chat", "--type", "obj"]);
    assert_eq!(bad_type.code(), Some(2), "{bad_type:?}");
    let zero = run(&["sub", "localhost:0", "chat", "--count", "0"]);
    assert_eq!(zero.code(), Some(2), "{zero:?}");
    let help = run(&["--help"]);
    assert_eq!(help.code(), Some(0), "{help:?}");
    for command in ["sub", "pub", "demo"] {
        assert!(
            help.stdout
                .iter()
                .any(|l| l.trim_start().starts_with(command)),
            "{command} missing from {:?}",
            help.stdout
        );
    }
}

#[test]
fn demo_explains_each_step_and_exits_0() {
    let demo = run(&["demo"]);
    assert_eq!(demo.code(), Some(0), "{demo:?}");
    demo.assert_no_panic();
    let text = demo.stdout.join("\n");
    for expect in [
        "== 1. Two contexts",
        "she waits on tcp://127.0.0.1:",
        "state Connected",
        "bob receives \"hello bob\"",
        "Bob reads the status: \"ready\"",
        "messages per second",
        "His `closed` event says \"Closed on command.\"; alice's says \"Closed from other end.\"",
    ] {
        assert!(text.contains(expect), "{expect:?} missing from:\n{text}");
    }
    let burst = demo
        .stdout
        .iter()
        .find(|l| l.contains("messages per second"))
        .expect("the throughput line");
    assert!(burst.contains("bob receives 100000 of them"), "{burst}");
}

#[cfg(unix)]
#[test]
fn sub_and_pub_meet_over_ipc_and_the_sub_binds_again() {
    // A name of this run's own: a socket in the runtime directory.
    let name = format!("cli-test-{}", std::process::id());
    let address = format!("ipc://{name}");
    let (mut sub, _stdin) = start(&[
        "sub",
        &address,
        "relay",
        "--bind",
        "--count",
        "2",
        "--max-wait",
        "20",
    ]);
    let waiting = sub.stderr_line(WAITING);
    assert!(
        waiting.starts_with("ipc:///") && waiting.ends_with(&format!("yoton-{name}.sock")),
        "{waiting:?}"
    );
    let first = start_with_input(&["pub", &address, "relay"], "over a unix socket\n").finish();
    assert_eq!(first.code(), Some(0), "{first:?}");
    assert!(
        first
            .stderr
            .iter()
            .any(|l| l.starts_with(&format!("yoton: connected to {waiting} ("))),
        "{first:?}"
    );
    // The first publisher closed: the sub binds again at the same path
    // (checked on its stderr below), where the second one finds it.
    let _closed = sub.stderr_line("yoton: connection closed: ");
    let second = start_with_input(&["pub", &address, "relay"], "and again\n").finish();
    assert_eq!(second.code(), Some(0), "{second:?}");
    let sub = sub.finish();
    assert_eq!(sub.code(), Some(0), "{sub:?}");
    assert_eq!(sub.stdout, ["over a unix socket", "and again"]);
    let waits: Vec<&String> = sub
        .stderr
        .iter()
        .filter(|l| l.starts_with(WAITING))
        .collect();
    assert_eq!(waits.len(), 2, "{sub:?}");
    assert!(
        waits.iter().all(|l| l[WAITING.len()..] == waiting),
        "{sub:?}"
    );
    let path = waiting.trim_start_matches("ipc://");
    assert!(
        !std::path::Path::new(path).exists(),
        "the socket file {path} is left behind"
    );
}
