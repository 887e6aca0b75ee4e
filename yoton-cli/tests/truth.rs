//! The command tells what happened: exit codes and stderr when a peer goes
//! away, the library's log with `-v` and `RUST_LOG`, `-q`, links that come
//! back (`pub --reconnect`, `sub`), `watch`, completions and the manual
//! page. Real processes over TCP on loopback.

mod common;

use std::io::Write;

use common::*;

#[test]
fn pub_whose_peer_goes_away_says_how_many_lines_were_not_sent_and_exits_1() {
    let (mut sub, _sub_stdin) = start(&[
        "sub",
        "127.0.0.1:0",
        "cut",
        "--bind",
        "--count",
        "2",
        "--max-wait",
        "20",
    ]);
    let port = sub.waiting_port();
    let (mut publisher, mut input) = start(&["pub", &format!("127.0.0.1:{port}"), "cut"]);
    publisher.stderr_line("yoton: connected to ");
    input.write_all(b"one\ntwo\n").expect("write to pub");
    input.flush().expect("flush to pub");
    let sub = sub.finish();
    assert_eq!(sub.code(), Some(0), "{sub:?}");
    assert_eq!(sub.stdout, ["one", "two"]);
    // The subscriber is gone: the publisher says so when it happens, and
    // ends without waiting for more input (stdin is still open).
    let reason = publisher.stderr_line("yoton: connection closed: ");
    assert_eq!(reason, "Closed from other end.");
    let publisher = publisher.finish();
    let line = publisher.assert_failed(1, "yoton: incomplete: ");
    assert_eq!(
        line,
        "yoton: incomplete: the connection closed (Closed from other end.) after 2 lines; \
         0 lines not sent, and the rest of the input was not read"
    );
    drop(input);
}

#[test]
fn pub_counts_the_lines_it_read_but_could_not_send() {
    let (mut sub, _sub_stdin) = start(&[
        "sub",
        "127.0.0.1:0",
        "cut-late",
        "--bind",
        "--count",
        "1",
        "--max-wait",
        "20",
    ]);
    let port = sub.waiting_port();
    // Everything at once, and the end of input: the subscriber leaves after
    // the first line, and the publisher accounts for each of the others as
    // sent (to a connection that was still up) or not sent.
    let lines: String = (0..5000).map(|i| format!("line {i}\n")).collect();
    let publisher = start_with_input(&["pub", &format!("127.0.0.1:{port}"), "cut-late"], &lines);
    let sub = sub.finish();
    assert_eq!(sub.stdout, ["line 0"], "{sub:?}");
    let publisher = publisher.finish();
    match publisher.code() {
        // All 5000 were handed over before the subscriber left.
        Some(0) => {}
        Some(1) => {
            let last = publisher.stderr.last().map(String::as_str).unwrap_or("");
            let counts: Vec<u64> = last
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|n| n.parse().ok())
                .collect();
            assert!(last.contains("not sent"), "{publisher:?}");
            assert!(counts[0] + counts[1] <= 5000, "{publisher:?}");
        }
        other => panic!("exit {other:?}: {publisher:?}"),
    }
}

#[test]
fn sub_with_count_that_runs_out_of_time_says_how_many_it_got() {
    let (mut publisher, mut input) = start(&["pub", "127.0.0.1:0", "few", "--bind"]);
    let port = publisher.waiting_port();
    let (mut sub, _stdin) = start(&[
        "sub",
        &format!("127.0.0.1:{port}"),
        "few",
        "--count",
        "5",
        "--max-wait",
        "1",
    ]);
    sub.stderr_line("yoton: connected to ");
    input.write_all(b"a\nb\n").expect("write to pub");
    // The publisher ends after two lines; the subscriber waits for more.
    drop(input);
    assert_eq!(sub.stdout_lines(2), ["a", "b"]);
    let sub = sub.finish();
    assert_eq!(sub.code(), Some(3), "{sub:?}");
    assert_eq!(sub.stdout, ["a", "b"]);
    let last = sub.stderr.last().map(String::as_str);
    assert_eq!(last, Some("yoton: no message within 1s (got 2 of 5)"));
    let publisher = publisher.finish();
    assert_eq!(publisher.code(), Some(0), "{publisher:?}");
}

#[test]
fn verbose_and_rust_log_show_the_library_log_and_quiet_only_errors() {
    let args = ["sub", "127.0.0.1:0", "log", "--bind", "--max-wait", "0.1"];
    let plain = run(&args);
    assert!(
        !plain.stderr.iter().any(|l| l.contains("DEBUG")),
        "{plain:?}"
    );
    let verbose = run(&[&["-vv"][..], &args].concat());
    assert_eq!(verbose.code(), Some(3), "{verbose:?}");
    assert!(
        verbose
            .stderr
            .iter()
            .any(|l| l.contains("DEBUG") && l.contains("waiting for a peer")),
        "{verbose:?}"
    );
    let (logged, stdin) = start_env(&args, &[("RUST_LOG", "yoton_stream=debug")]);
    drop(stdin);
    let logged = logged.finish();
    assert!(
        logged
            .stderr
            .iter()
            .any(|l| l.contains("DEBUG") && l.contains("yoton_stream")),
        "{logged:?}"
    );
    let quiet = run(&[&["-q"][..], &args].concat());
    assert_eq!(quiet.code(), Some(3), "{quiet:?}");
    assert_eq!(quiet.stderr, ["yoton: no message within 0.1s"], "{quiet:?}");
}

#[test]
fn pub_with_reconnect_goes_on_delivering_to_a_restarted_subscriber() {
    let (mut first, _first_stdin) = start(&[
        "sub",
        "127.0.0.1:0",
        "again",
        "--bind",
        "--count",
        "2",
        "--max-wait",
        "20",
    ]);
    let port = first.waiting_port();
    let address = format!("127.0.0.1:{port}");
    let (mut publisher, mut input) = start(&["pub", &address, "again", "--reconnect"]);
    publisher.stderr_line("yoton: connected to ");
    input.write_all(b"one\ntwo\n").expect("write to pub");
    input.flush().expect("flush to pub");
    let first = first.finish();
    assert_eq!(first.stdout, ["one", "two"], "{first:?}");
    publisher.stderr_line("yoton: connection closed: ");
    // Read while nobody listens: kept, and sent after the reconnect.
    input.write_all(b"three\n").expect("write to pub");
    input.flush().expect("flush to pub");
    let (mut second, _second_stdin) = start(&[
        "sub",
        &address,
        "again",
        "--bind",
        "--count",
        "2",
        "--max-wait",
        "20",
    ]);
    second.waiting_port();
    publisher.stderr_line("yoton: connected to ");
    input.write_all(b"four\n").expect("write to pub");
    drop(input);
    let second = second.finish();
    assert_eq!(second.code(), Some(0), "{second:?}");
    assert_eq!(second.stdout, ["three", "four"]);
    let publisher = publisher.finish();
    assert_eq!(publisher.code(), Some(0), "{publisher:?}");
}

#[test]
fn a_bound_pub_with_reconnect_waits_for_the_next_subscriber() {
    let (mut publisher, mut input) =
        start(&["pub", "127.0.0.1:0", "turns", "--bind", "--reconnect"]);
    let port = publisher.waiting_port();
    let address = format!("127.0.0.1:{port}");
    for (round, line) in ["first", "second"].iter().enumerate() {
        let (mut sub, _stdin) =
            start(&["sub", &address, "turns", "--count", "1", "--max-wait", "20"]);
        sub.stderr_line("yoton: connected to ");
        publisher.stderr_line("yoton: connected to ");
        input
            .write_all(format!("{line}\n").as_bytes())
            .expect("write to pub");
        input.flush().expect("flush to pub");
        let sub = sub.finish();
        assert_eq!(sub.code(), Some(0), "round {round}: {sub:?}");
        assert_eq!(sub.stdout, [*line]);
        // The subscriber left; the publisher binds again at the same port.
        publisher.stderr_line("yoton: connection closed: ");
        assert_eq!(publisher.waiting_port(), port);
    }
    drop(input);
    // Nothing is left to deliver: the end of input ends the command.
    let publisher = publisher.finish();
    assert_eq!(publisher.code(), Some(0), "{publisher:?}");
}

#[test]
fn sub_connects_again_to_a_restarted_publisher() {
    let (mut first, mut first_input) = start(&["pub", "127.0.0.1:0", "back", "--bind"]);
    let port = first.waiting_port();
    let address = format!("127.0.0.1:{port}");
    let (mut sub, _stdin) = start(&["sub", &address, "back", "--count", "2", "--max-wait", "20"]);
    sub.stderr_line("yoton: connected to ");
    first_input.write_all(b"before\n").expect("write to pub");
    drop(first_input);
    let first = first.finish();
    assert_eq!(first.code(), Some(0), "{first:?}");
    sub.stderr_line("yoton: connection closed: ");
    sub.stderr_line("yoton: connecting again to ");
    let (mut second, mut second_input) = start(&["pub", &address, "back", "--bind"]);
    second.waiting_port();
    second.stderr_line("yoton: connected to ");
    second_input.write_all(b"after\n").expect("write to pub");
    drop(second_input);
    let sub = sub.finish();
    assert_eq!(sub.code(), Some(0), "{sub:?}");
    assert_eq!(sub.stdout, ["before", "after"]);
    assert_eq!(second.finish().code(), Some(0));
}

#[test]
fn watch_prints_every_package_with_its_slot_name() {
    let (mut publisher, mut input) = start(&["pub", "127.0.0.1:0", "chat", "--bind"]);
    let port = publisher.waiting_port();
    let (mut watch, _stdin) = start(&[
        "watch",
        &format!("127.0.0.1:{port}"),
        "--slot",
        "chat",
        "--count",
        "2",
        "--max-wait",
        "20",
    ]);
    watch.stderr_line("yoton: connected to ");
    input
        .write_all(b"hello\nworld \xc3\xa9\n")
        .expect("write to pub");
    drop(input);
    let watch = watch.finish();
    assert_eq!(watch.code(), Some(0), "{watch:?}");
    assert_eq!(watch.stdout.len(), 2, "{watch:?}");
    for (line, (text, len)) in watch
        .stdout
        .iter()
        .zip([("\"hello\"", 5), ("\"world é\"", 8)])
    {
        let fields: Vec<&str> = line.splitn(7, ' ').collect();
        assert_eq!(fields.len(), 7, "{line}");
        assert_eq!(fields[0].len(), "12:34:56.789".len(), "{line}");
        assert!(fields[1].contains(':'), "{line}");
        assert_eq!(fields[2], "->", "{line}");
        assert_eq!(fields[3], "*", "{line}");
        assert_eq!(fields[4], "chat.txt.pub-sub", "{line}");
        assert_eq!(fields[5], len.to_string(), "{line}");
        assert_eq!(fields[6], text, "{line}");
    }
    // Both came from the publisher, numbered one after the other.
    let seqs: Vec<u64> = watch
        .stdout
        .iter()
        .map(|l| {
            let source = l.split(' ').nth(1).unwrap_or_default();
            source
                .rsplit(':')
                .next()
                .unwrap_or_default()
                .parse()
                .unwrap_or(0)
        })
        .collect();
    assert_eq!(seqs[1], seqs[0] + 1, "{watch:?}");
    assert_eq!(publisher.finish().code(), Some(0));
}

#[test]
fn watch_without_the_right_secret_exits_2() {
    let dir = std::env::temp_dir().join(format!("yoton-watch-secret-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let right = dir.join("right.key");
    let wrong = dir.join("wrong.key");
    for key in [&right, &wrong] {
        let made = run(&["keygen", key.to_str().expect("a UTF-8 path")]);
        assert_eq!(made.code(), Some(0), "{made:?}");
    }
    let right = right.to_str().expect("a UTF-8 path");
    let wrong = wrong.to_str().expect("a UTF-8 path");
    let (mut publisher, mut input) = start(&[
        "pub",
        "127.0.0.1:0",
        "sealed",
        "--bind",
        "--secret-file",
        right,
    ]);
    let port = publisher.waiting_port();
    let address = format!("127.0.0.1:{port}");
    let refused = run(&[
        "watch",
        &address,
        "--secret-file",
        wrong,
        "--max-wait",
        "20",
    ]);
    refused.assert_error("secret");
    let (mut watch, _stdin) = start(&[
        "watch",
        &address,
        "--slot",
        "sealed",
        "--count",
        "1",
        "--max-wait",
        "20",
        "--secret-file",
        right,
    ]);
    watch.stderr_line("yoton: connected to ");
    input.write_all(b"secret news\n").expect("write to pub");
    drop(input);
    let watch = watch.finish();
    assert_eq!(watch.code(), Some(0), "{watch:?}");
    assert!(
        watch.stdout[0].ends_with(" sealed.txt.pub-sub 11 \"secret news\""),
        "{watch:?}"
    );
    let _ = publisher.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn completions_and_the_manual_page_describe_the_commands() {
    for shell in ["bash", "zsh", "fish"] {
        let script = run(&["completions", shell]);
        assert_eq!(script.code(), Some(0), "{script:?}");
        let text = script.stdout.join("\n");
        for command in ["sub", "pub", "call", "watch", "keygen", "bench"] {
            assert!(text.contains(command), "{shell} lacks {command}");
        }
        assert!(text.contains("secret-file"), "{shell} lacks --secret-file");
    }
    let bad = run(&["completions", "tcsh"]);
    assert_eq!(bad.code(), Some(2), "{bad:?}");
    let man = run(&["man"]);
    assert_eq!(man.code(), Some(0), "{man:?}");
    assert!(
        man.stdout.iter().any(|l| l.starts_with(".TH yoton")),
        "{man:?}"
    );
    assert!(man.stdout.iter().any(|l| l.contains("watch")), "{man:?}");
}
