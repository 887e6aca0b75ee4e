//! `yoton call` as scripts use it: the built binary against a Rust
//! `RepChannel` served in this process over TCP on loopback. Each result
//! kind's exact JSON, the arguments and keyword arguments as the replier
//! gets them, every exit code with its message, and `--bind`.
//!
//! Every child runs under a [`Running`] guard: output is read by threads,
//! every wait has a deadline, and a child still running when its guard is
//! dropped (a failed assertion included) is killed and reaped.

mod common;

use std::time::{Duration, Instant};

use common::*;
use crossbeam_channel::{Receiver, Sender};
use yoton::{Context, Dict, HandlerError, Object, RepChannel, Replier, Request};

/// The slot every test serves.
const SLOT: &str = "reqp-test";

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
    let (running, _) = start(&["call", &address, SLOT, "slow", "--timeout", "15"]);
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
    let (mut running, _) = start(&[
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
