//! The command against the Python reference: a `yoton.PubChannel(ctx,
//! "chat")` in Python reaches `yoton sub ADDRESS chat`, `yoton pub` reaches
//! a Python `SubChannel`, and `yoton call` calls the methods of a Python
//! `RepChannel` subclass in thread mode (both connecting and with `--bind`).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use yoton_pyref::PyPeer;

const DEADLINE: Duration = Duration::from_secs(30);

/// The Python replier of the `yoton call` test (see its docstring).
const REP_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/rep.py");

/// The prefix of the stderr line that reports where a bound side waits.
const WAITING: &str = "yoton: waiting for a peer on ";

/// The text message `index` of `size` code points that the Python peer
/// sends (see `make_message` in its script).
fn python_message(index: usize, size: usize) -> String {
    let unit = format!("yoton {index}: \u{e9}\u{20ac}\u{1f600} abc|");
    unit.chars().cycle().take(size).collect()
}

/// Runs `yoton ARGS` with `input`, killing it at the deadline; returns the
/// exit code, stdout and stderr.
fn yoton(args: &[&str], input: &str) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_yoton"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start yoton");
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes());
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let out = thread::spawn(move || {
        let lines: Vec<String> = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect();
        lines.join("\n")
    });
    let err = thread::spawn(move || {
        let lines: Vec<String> = BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect();
        let _ = tx.send(());
        lines.join("\n")
    });
    if rx.recv_timeout(DEADLINE).is_err() {
        let _ = child.kill();
        let _ = child.wait();
        panic!("yoton {args:?} did not finish in time");
    }
    let status = child.wait().expect("wait");
    (
        status.code(),
        out.join().expect("stdout reader"),
        err.join().expect("stderr reader"),
    )
}

#[test]
fn python_pub_reaches_yoton_sub() {
    let mut peer = PyPeer::peer(
        &[
            "--role",
            "bind",
            "--address",
            "localhost:0",
            "--mode",
            "pub",
            "--channel",
            "chat",
        ],
        DEADLINE,
    )
    .expect("start the Python peer");
    let bound = peer.expect("BOUND", DEADLINE).expect("BOUND");
    let port = bound[0].clone();
    let address = format!("localhost:{port}");
    let sub = thread::spawn(move || {
        yoton(
            &["sub", &address, "chat", "--count", "2", "--max-wait", "20"],
            "",
        )
    });
    peer.expect("CONNECTED", DEADLINE).expect("CONNECTED");
    peer.send_line("send 5,40").expect("command the peer");
    peer.expect("SENT_DONE", DEADLINE).expect("SENT_DONE");
    let (code, stdout, stderr) = sub.join().expect("the sub thread");
    assert_eq!(code, Some(0), "{stderr}");
    let want = format!("{}\n{}", python_message(0, 5), python_message(1, 40));
    assert_eq!(stdout, want);
}

/// `yoton pub` exits right after its last line; closing waits until the
/// peer has read everything, so a Python sub gets every message and then
/// our close package.
#[test]
fn yoton_pub_reaches_python_sub_and_closes_cleanly() {
    let mut peer = PyPeer::peer(
        &[
            "--role",
            "bind",
            "--address",
            "localhost:0",
            "--mode",
            "sub",
            "--channel",
            "chat",
        ],
        DEADLINE,
    )
    .expect("start the Python peer");
    let bound = peer.expect("BOUND", DEADLINE).expect("BOUND");
    let address = format!("localhost:{}", bound[0]);
    let lines: Vec<String> = (0..50).map(|i| format!("line {i} \u{e9}")).collect();
    let input = lines.join("\n") + "\n";
    let (code, stdout, stderr) = yoton(&["pub", &address, "chat"], &input);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "");
    // The reference reports the close from another thread than the one
    // that reads the channel: the CLOSED line may come before the last RECV.
    let mut received = Vec::new();
    let mut closed = None;
    while received.len() < lines.len() || closed.is_none() {
        let line = peer.next_line(DEADLINE).expect("a line from the peer");
        if let Some(fields) = line.strip_prefix("RECV ") {
            received.push(fields.to_owned());
        } else if let Some(reason) = line.strip_prefix("CLOSED ") {
            closed = Some(reason.to_owned());
        }
    }
    for (i, (fields, line)) in received.iter().zip(&lines).enumerate() {
        let want = format!("{i} {} {}", line.len(), yoton_pyref::crc32(line.as_bytes()));
        assert_eq!(fields, &want);
    }
    assert_eq!(closed.as_deref(), Some("Closed from other end."));
}

/// Runs `yoton ARGS` with `--bind`: once it says where it waits, `meet`
/// gets the port (to send a peer there); then the run is waited for to the
/// end, killed at the deadline. Returns the exit code, stdout and stderr.
fn yoton_bound(args: &[&str], meet: impl FnOnce(u16)) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_yoton"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start yoton");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let out = thread::spawn(move || {
        let lines: Vec<String> = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect();
        lines.join("\n")
    });
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + DEADLINE;
    let mut err = Vec::new();
    let mut meet = Some(meet);
    loop {
        let wait = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok(line) => {
                if let Some(address) = line.strip_prefix(WAITING) {
                    let port = address
                        .rsplit(':')
                        .next()
                        .and_then(|p| p.parse().ok())
                        .unwrap_or_else(|| panic!("no port in {line:?}"));
                    if let Some(meet) = meet.take() {
                        meet(port);
                    }
                }
                err.push(line);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("yoton {args:?} did not finish in time: {err:?}");
            }
        }
    }
    let status = child.wait().expect("wait");
    (
        status.code(),
        out.join().expect("stdout reader"),
        err.join("\n"),
    )
}

#[test]
fn yoton_call_calls_a_python_rep_channel() {
    let mut peer = PyPeer::spawn(
        REP_SCRIPT,
        &["--address", "localhost:0", "--channel", "reqp-calc"],
        DEADLINE,
    )
    .expect("start the Python replier");
    let port = peer.expect("BOUND", DEADLINE).expect("BOUND")[0].clone();

    // Connecting to the Python side.
    let address = format!("localhost:{port}");
    let (code, stdout, stderr) = yoton(&["call", &address, "reqp-calc", "add", "2", "3"], "");
    assert_eq!((code, stdout.as_str()), (Some(0), "5"), "{stderr}");
    peer.expect("CONNECTED", DEADLINE).expect("CONNECTED");

    // Binding, with the Python side connecting: the arguments as Python
    // got them, its list and dict back as JSON.
    let call = [
        "call",
        "localhost:0",
        "reqp-calc",
        "describe",
        "1",
        "2.5",
        r#""s\u00e9""#,
        "[true, null]",
        r#"{"b": 1, "a": [2]}"#,
        "--kwargs",
        r#"{"k": -7}"#,
        "--bind",
        "--wait-peer",
        "20",
    ];
    let (code, stdout, stderr) = yoton_bound(&call, |port| {
        peer.send_line(&format!("connect localhost:{port}"))
            .expect("command the replier");
    });
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        "[[1,2.5,\"s\u{e9}\",[true,null],{\"b\":1,\"a\":[2]}],{\"k\":-7}]"
    );
    peer.expect("CONNECTED", DEADLINE).expect("CONNECTED");

    // A method that raises: exit 1 and Python's message on stderr.
    let call = [
        "call",
        "localhost:0",
        "reqp-calc",
        "divide",
        "1",
        "0",
        "--bind",
        "--wait-peer",
        "20",
    ];
    let (code, stdout, stderr) = yoton_bound(&call, |port| {
        peer.send_line(&format!("connect localhost:{port}"))
            .expect("command the replier");
    });
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stdout, "");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("yoton: the replier failed: division by zero line ")
            && last.ends_with("rep.py."),
        "{stderr}"
    );
}
