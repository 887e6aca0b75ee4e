//! The command against the Python reference: a `yoton.PubChannel(ctx,
//! "chat")` in Python reaches `yoton sub ADDRESS chat`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use yoton_pyref::PyPeer;

const DEADLINE: Duration = Duration::from_secs(30);

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
