//! Links that come back, against the Python reference: a Python publisher
//! or subscriber is killed and started again on the same named port, and
//! `yoton sub` (the library's persistent link) and `yoton pub --reconnect`
//! go on as if nothing happened. A restarted Python peer has a new context
//! id, so de-duplication accepts its packages.

mod common;

use std::io::Write;

use common::*;
use yoton_pyref::PyPeer;

/// The text message `index` of `size` code points that the Python peer
/// sends (see `make_message` in its script).
fn python_message(index: usize, size: usize) -> String {
    let unit = format!("yoton {index}: \u{e9}\u{20ac}\u{1f600} abc|");
    unit.chars().cycle().take(size).collect()
}

/// A named address of this test alone (`localhost:NAME`, a hashed port).
fn named(what: &str) -> String {
    format!("localhost:yoton-come-back-{what}-{}", std::process::id())
}

fn python(mode: &str, address: &str) -> PyPeer {
    let mut peer = PyPeer::peer(
        &[
            "--role",
            "bind",
            "--address",
            address,
            "--mode",
            mode,
            "--channel",
            "chat",
        ],
        DEADLINE,
    )
    .expect("start the Python peer");
    peer.expect("BOUND", DEADLINE)
        .expect("the Python peer bound");
    peer
}

/// The `RECV index length crc` line the Python subscriber prints for
/// `text`, its `index`-th message.
fn received(index: usize, text: &str) -> Vec<String> {
    vec![
        index.to_string(),
        text.len().to_string(),
        yoton_pyref::crc32(text.as_bytes()).to_string(),
    ]
}

#[test]
fn sub_goes_on_receiving_from_a_restarted_python_publisher() {
    let address = named("pub");
    let mut first = python("pub", &address);
    let (mut sub, _stdin) = start(&["sub", &address, "chat", "--count", "4", "--max-wait", "60"]);
    first.expect("CONNECTED", DEADLINE).expect("CONNECTED");
    first.send_line("send 5,6").expect("command the peer");
    first.expect("SENT_DONE", DEADLINE).expect("SENT_DONE");
    sub.stdout_lines(2);
    drop(first); // killed
    sub.stderr_line("yoton: connection closed: ");

    let mut second = python("pub", &address);
    second
        .expect("CONNECTED", DEADLINE)
        .expect("the sub came back");
    second.send_line("send 7,8").expect("command the peer");
    second.expect("SENT_DONE", DEADLINE).expect("SENT_DONE");
    let sub = sub.finish();
    assert_eq!(sub.code(), Some(0), "{sub:?}");
    // The restarted publisher numbers its messages from 0 again.
    let want = [
        python_message(0, 5),
        python_message(1, 6),
        python_message(0, 7),
        python_message(1, 8),
    ];
    assert_eq!(sub.stdout, want);
}

#[test]
fn pub_with_reconnect_goes_on_delivering_to_a_restarted_python_subscriber() {
    let address = named("sub");
    let mut first = python("sub", &address);
    let (mut publisher, mut input) = start(&["pub", &address, "chat", "--reconnect"]);
    publisher.stderr_line("yoton: connected to ");
    first.expect("CONNECTED", DEADLINE).expect("CONNECTED");
    input.write_all(b"one\ntwo\n").expect("write to pub");
    input.flush().expect("flush to pub");
    assert_eq!(
        first.expect("RECV", DEADLINE).expect("RECV"),
        received(0, "one")
    );
    assert_eq!(
        first.expect("RECV", DEADLINE).expect("RECV"),
        received(1, "two")
    );
    drop(first); // killed
    publisher.stderr_line("yoton: connection closed: ");
    // Read while no peer is there: it waits, and goes out after the
    // reconnect.
    input.write_all(b"three\n").expect("write to pub");
    input.flush().expect("flush to pub");

    let mut second = python("sub", &address);
    second
        .expect("CONNECTED", DEADLINE)
        .expect("the pub came back");
    publisher.stderr_line("yoton: connected to ");
    input.write_all(b"four\n").expect("write to pub");
    drop(input);
    assert_eq!(
        second.expect("RECV", DEADLINE).expect("RECV"),
        received(0, "three")
    );
    assert_eq!(
        second.expect("RECV", DEADLINE).expect("RECV"),
        received(1, "four")
    );
    let publisher = publisher.finish();
    assert_eq!(publisher.code(), Some(0), "{publisher:?}");
}
