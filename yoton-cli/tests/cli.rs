//! The `yoton` binary as a user runs it: each command and each error case,
//! as subprocesses over TCP on loopback, with exit codes and messages
//! checked.
//!
//! Every child runs under a [`Running`] guard: output is read by threads,
//! every wait has a deadline, and a child still running when its guard is
//! dropped (a failed assertion included) is killed and reaped.

mod common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::*;

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
