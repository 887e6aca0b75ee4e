//! `yoton call` as scripts use it: the built binary against a Rust
//! `RepChannel` served in this process over TCP on loopback. Each result
//! kind's exact JSON, the arguments and keyword arguments as the replier
//! gets them, every exit code with its message, and `--bind`.
//!
//! Every child runs under a [`Running`] guard: output is read by threads,
//! every wait has a deadline, and a child still running when its guard is
//! dropped (a failed assertion included) is killed and reaped.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use yoton::{Context, Dict, HandlerError, Object, RepChannel, Replier, Request};

/// The most any child is given to do its part.
const DEADLINE: Duration = Duration::from_secs(20);

/// The prefix of the stderr line that reports where a bound side waits.
const WAITING: &str = "yoton: waiting for a peer on ";

/// The slot every test serves.
const SLOT: &str = "reqp-test";

enum Line {
    Out(String),
    Err(String),
    End,
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
    took: Duration,
}

impl Finished {
    fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Checks exit code `code`, nothing on stdout, no panic, and a last
    /// stderr line holding `expect`; returns that line.
    fn assert_failed(&self, code: i32, expect: &str) -> &str {
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
    fn assert_result(&self, json: &str) {
        assert_eq!(self.code(), Some(0), "{self:?}");
        assert_eq!(self.stdout, [json], "{self:?}");
    }
}

fn forward(stream: impl Read + Send + 'static, tx: Sender<Line>, out: bool) {
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
        let _ = tx.send(Line::End);
    });
}

/// Starts `yoton ARGS` with no input.
fn start(args: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_yoton"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("RUST_BACKTRACE")
        .spawn()
        .expect("start yoton");
    let (tx, lines) = crossbeam_channel::unbounded();
    forward(child.stdout.take().expect("stdout"), tx.clone(), true);
    forward(child.stderr.take().expect("stderr"), tx, false);
    Running {
        what: format!("yoton {}", args.join(" ")),
        child,
        lines,
        stdout: Vec::new(),
        stderr: Vec::new(),
        open_streams: 2,
    }
}

/// Runs `yoton ARGS` to the end.
fn run(args: &[&str]) -> Finished {
    let started = Instant::now();
    let mut finished = start(args).finish();
    finished.took = started.elapsed();
    finished
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
            Ok(Line::End) => self.open_streams -= 1,
            Err(RecvTimeoutError::Timeout) => panic!(
                "{} did not finish in time; stdout {:?}, stderr {:?}",
                self.what, self.stdout, self.stderr
            ),
            Err(RecvTimeoutError::Disconnected) => self.open_streams = 0,
        }
        true
    }

    /// Waits for the "waiting for a peer" line; returns the port.
    fn waiting_port(&mut self) -> u16 {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(line) = self.stderr.iter().find(|l| l.starts_with(WAITING)) {
                let address = &line[WAITING.len()..];
                let port = address
                    .strip_prefix("tcp://127.0.0.1:")
                    .unwrap_or_else(|| panic!("unexpected address {address:?}"));
                return port.parse().expect("a port number");
            }
            assert!(
                self.pump(deadline),
                "{} ended without {WAITING:?}: {:?}",
                self.what,
                self.stderr
            );
        }
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
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// What the test replier answers.
fn answer(request: &Request, slow: &Slow) -> Result<Object, HandlerError> {
    let mut odd = Dict::new();
    odd.insert(1, "one");
    odd.insert(
        Object::tuple([Object::Int(2), Object::from("x")]),
        Object::None,
    );
    let mut plain = Dict::new();
    plain.insert("z", 1);
    plain.insert("a", Object::list([]));
    match request.method() {
        "add" => {
            let (a, b): (i64, i64) = request.args_as()?;
            Ok(Object::Int(a + b))
        }
        // Everything as Python's repr, so the test sees each kind exactly.
        "show" => Ok(Object::from(format!(
            "{} {}",
            Object::tuple(request.args().to_vec()),
            Object::Dict(request.kwargs().clone())
        ))),
        "none" => Ok(Object::None),
        "text" => Ok(Object::from("h\u{e9} \"quoted\"\n")),
        "kinds" => Ok(Object::tuple([
            Object::None,
            Object::Bool(true),
            Object::Int(-3),
            Object::Float(2.5),
            Object::from("s"),
            Object::list([Object::Int(1)]),
            Object::tuple([Object::Int(2), Object::Int(3)]),
            Object::Dict(plain),
        ])),
        "odd_dict" => Ok(Object::Dict(odd)),
        "floats" => Ok(Object::tuple([
            Object::Float(f64::NAN),
            Object::Float(f64::INFINITY),
            Object::Float(f64::NEG_INFINITY),
            Object::Float(1e300),
            Object::Float(3.0),
        ])),
        "fail" => Err(HandlerError::msg("no such file: /x")),
        "slow" => {
            // Says it runs, then holds the call until the test lets go.
            let _ = slow.entered.send(());
            let _ = slow.release.recv_timeout(DEADLINE);
            Ok(Object::from("late"))
        }
        other => Err(HandlerError::msg(format!(
            "Method '{other}' not implemented."
        ))),
    }
}

/// The test's hold on the `slow` method.
struct Slow {
    entered: Sender<()>,
    release: Receiver<()>,
}

/// A context of this test that serves [`answer`] on [`SLOT`].
struct Server {
    context: Context,
    _replier: Replier,
    entered: Receiver<()>,
    release: Sender<()>,
}

impl Server {
    fn new() -> Server {
        let context = yoton::context();
        let (entered_tx, entered) = crossbeam_channel::unbounded();
        let (release, release_rx) = crossbeam_channel::unbounded();
        let slow = Slow {
            entered: entered_tx,
            release: release_rx,
        };
        let replier = RepChannel::new(&context, SLOT)
            .expect("a free slot")
            .spawn(move |request: &Request| answer(request, &slow))
            .expect("a replier thread");
        Server {
            context,
            _replier: replier,
            entered,
            release,
        }
    }

    /// A fresh bound address for one `yoton call` to connect to.
    fn address(&self) -> String {
        let bound = self.context.bind("tcp://127.0.0.1:0").expect("bind");
        format!("127.0.0.1:{}", bound.local_port())
    }

    /// Runs `yoton call ADDRESS SLOT REST...` against this server.
    fn call(&self, rest: &[&str]) -> Finished {
        let address = self.address();
        let mut args = vec!["call", address.as_str(), SLOT];
        args.extend_from_slice(rest);
        run(&args)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.release.send(());
        self.context.close();
    }
}

#[test]
fn results_of_each_kind_print_as_exact_json() {
    let server = Server::new();
    server.call(&["add", "2", "3"]).assert_result("5");
    server.call(&["none"]).assert_result("null");
    server.call(&["text"]).assert_result(r#""hé \"quoted\"\n""#);
    server
        .call(&["kinds"])
        .assert_result(r#"[null,true,-3,2.5,"s",[1],[2,3],{"z":1,"a":[]}]"#);
    server
        .call(&["odd_dict"])
        .assert_result(r#"[[1,"one"],[[2,"x"],null]]"#);
    server
        .call(&["floats"])
        .assert_result(r#"["NaN","Infinity","-Infinity",1e300,3.0]"#);
}

#[test]
fn arguments_and_kwargs_arrive_as_the_objects_json_maps_to() {
    let server = Server::new();
    let shown = server.call(&[
        "show",
        "1",
        "-2",
        "2.5",
        "1e3",
        r#""s""#,
        "null",
        "true",
        r#"[1, {"b": 2}]"#,
        r#"{"z": 1, "a": []}"#,
        "--kwargs",
        r#"{"k": "v", "n": -9223372036854775808}"#,
    ]);
    shown.assert_result(
        r#""(1, -2, 2.5, 1000.0, 's', None, True, [1, {'b': 2}], {'z': 1, 'a': []}) {'k': 'v', 'n': -9223372036854775808}""#,
    );
    // No arguments: an empty tuple and an empty dict; after `--` an ARG
    // may look like a flag.
    server.call(&["show"]).assert_result(r#""() {}""#);
    server
        .call(&["show", "--", r#""--kwargs""#])
        .assert_result(r#""('--kwargs',) {}""#);
}

#[test]
fn a_replier_that_raises_exits_1_with_its_message() {
    let server = Server::new();
    let failed = server.call(&["fail"]);
    let line = failed.assert_failed(1, "no such file: /x");
    assert_eq!(line, "yoton: the replier failed: no such file: /x");
    let unknown = server.call(&["nope", "1"]);
    unknown.assert_failed(1, "Method 'nope' not implemented.");
}

#[test]
fn bad_json_exits_2_before_anything_connects() {
    // The port is closed: an error about the input proves it was read first.
    let address = format!("127.0.0.1:{}", closed_port());
    let cases: [(&[&str], &str); 5] = [
        (&["add", "1", "hello"], "ARG 2 \"hello\": not JSON"),
        (&["add", "[1,"], "ARG 1 \"[1,\": not JSON"),
        (
            &["add", "9223372036854775808"],
            "the integer 9223372036854775808 is out of range",
        ),
        (
            &["add", "--kwargs", "[1, 2]"],
            "--kwargs must be a JSON object, not an array",
        ),
        (&["add", "--kwargs", "{\"a\":"], "not JSON"),
    ];
    for (rest, expect) in cases {
        let mut args = vec!["call", address.as_str(), SLOT];
        args.extend_from_slice(rest);
        let finished = run(&args);
        let line = finished.assert_failed(2, expect);
        assert!(line.starts_with("yoton: error: "), "{line}");
    }
    let hint = run(&["call", &address, SLOT, "greet", "ann"]);
    hint.assert_failed(2, "a string is written in quotes: '\"ann\"'");
}

#[test]
fn a_refused_connection_exits_2() {
    let port = closed_port();
    let refused = run(&["call", &format!("127.0.0.1:{port}"), SLOT, "add", "1", "2"]);
    refused.assert_failed(2, &format!("Cannot connect to 127.0.0.1 on {port}"));
}

#[test]
fn no_replier_exits_3_after_the_timeout() {
    // A peer without a replier on the slot.
    let lonely = yoton::context();
    let bound = lonely.bind("tcp://127.0.0.1:0").expect("bind");
    let address = format!("127.0.0.1:{}", bound.local_port());
    let finished = run(&["call", &address, SLOT, "add", "1", "2", "--timeout", "0.3"]);
    let line = finished.assert_failed(
        3,
        "no replier on reqp-test took the call of add within 0.3s",
    );
    assert_eq!(
        line,
        "yoton: no replier on reqp-test took the call of add within 0.3s"
    );
    assert!(finished.took >= Duration::from_millis(300), "{finished:?}");
    lonely.close();
}

#[test]
fn a_replier_that_does_not_reply_in_time_exits_3() {
    let server = Server::new();
    let finished = server.call(&["slow", "--timeout", "0.5"]);
    finished.assert_failed(
        3,
        "the replier took the call of slow but did not reply within 0.5s",
    );
    // It did take the call: the handler ran.
    server
        .entered
        .recv_timeout(DEADLINE)
        .expect("the slow handler ran");
}

#[test]
fn a_connection_that_closes_before_the_reply_exits_2() {
    let server = Server::new();
    let address = server.address();
    let running = start(&["call", &address, SLOT, "slow", "--timeout", "15"]);
    server
        .entered
        .recv_timeout(DEADLINE)
        .expect("the slow handler ran");
    server.context.close();
    let started = Instant::now();
    let finished = running.finish();
    finished.assert_failed(2, "before the reply came");
    // It ends when the connection closes, not at the timeout.
    assert!(started.elapsed() < Duration::from_secs(10), "{finished:?}");
}

#[test]
fn with_bind_it_waits_for_the_peer_and_calls_it() {
    let mut running = start(&[
        "call",
        "localhost:0",
        SLOT,
        "add",
        "40",
        "2",
        "--bind",
        "--wait-peer",
        "20",
    ]);
    let port = running.waiting_port();
    let server = Server::new();
    server
        .context
        .connect(&format!("tcp://127.0.0.1:{port}"))
        .expect("connect to the bound call");
    let finished = running.finish();
    finished.assert_result("42");
    assert!(
        finished
            .stderr
            .iter()
            .any(|l| l.starts_with("yoton: connected to tcp://127.0.0.1:")),
        "{finished:?}"
    );
}

#[test]
fn with_bind_and_no_peer_it_exits_3() {
    let finished = run(&[
        "call",
        "localhost:0",
        SLOT,
        "add",
        "--bind",
        "--wait-peer",
        "0.3",
    ]);
    finished.assert_failed(3, "no peer within 0.3s");
    assert!(finished.stderr.iter().any(|l| l.starts_with(WAITING)));
}

#[test]
fn help_states_the_contract() {
    let help = run(&["call", "--help"]);
    assert_eq!(help.code(), Some(0), "{help:?}");
    let text = help.stdout.join("\n");
    for expect in [
        "Usage: yoton call [OPTIONS] <ADDRESS> <SLOT> <METHOD> [ARG]...",
        "--kwargs <JSON>",
        "--timeout <SECS>",
        "--bind",
        "integer -> int",
        "\"NaN\", \"Infinity\", \"-Infinity\"",
        "any other dict -> array of [key, value] pairs",
        "0  the result is on stdout",
        "1  the replier raised",
        "2  bad input",
        "3  no replier took the call within `--timeout`",
    ] {
        assert!(text.contains(expect), "{expect:?} missing from:\n{text}");
    }
    let top = run(&["--help"]);
    assert!(
        top.stdout
            .iter()
            .any(|l| l.trim_start().starts_with("call ")),
        "{top:?}"
    );
    let too_long = run(&["call", "a:1", SLOT, "m", "--timeout", "1e9"]);
    assert_eq!(too_long.code(), Some(2), "{too_long:?}");
}
