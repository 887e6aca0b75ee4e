//! `yoton keygen` and `--secret-file`: secured links between commands, and
//! one clear line with exit 2 for a wrong or missing secret.

mod common;

use std::path::PathBuf;

use common::*;

/// A path for a secret file of this test, that does not exist yet.
fn fresh_path(tag: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("secured-cli");
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let path = dir.join(format!("{tag}-{}.key", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// A new secret file, made by `yoton keygen`.
fn keygen(tag: &str) -> String {
    let path = fresh_path(tag);
    let made = run(&["keygen", path.to_str().expect("a UTF-8 path")]);
    assert_eq!(made.code(), Some(0), "{made:?}");
    path.to_string_lossy().into_owned()
}

/// A secured `sub --bind` that takes one message; its port.
fn secured_sub(key: &str) -> (Running, std::process::ChildStdin, u16) {
    let (mut sub, stdin) = start(&[
        "sub",
        "localhost:0",
        "vault",
        "--bind",
        "--count",
        "1",
        "--max-wait",
        "20",
        "--secret-file",
        key,
    ]);
    let port = sub.waiting_port();
    (sub, stdin, port)
}

#[test]
fn keygen_writes_a_private_random_secret_and_never_overwrites_one() {
    let path = fresh_path("keygen");
    let shown = path.to_str().expect("a UTF-8 path");
    let made = run(&["keygen", shown]);
    assert_eq!(made.code(), Some(0), "{made:?}");
    assert!(made.stdout.is_empty(), "{made:?}");
    let first = std::fs::read(&path).expect("the secret file");
    assert_eq!(first.len(), 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let again = run(&["keygen", shown]);
    again.assert_error("never overwritten");
    assert_eq!(std::fs::read(&path).expect("still there"), first);

    let other = fresh_path("keygen-other");
    run(&["keygen", other.to_str().expect("a UTF-8 path")]);
    assert_ne!(std::fs::read(&other).expect("the other file"), first);
}

#[test]
fn sub_and_pub_with_one_secret_file_meet() {
    let key = keygen("meet");
    let (sub, _stdin, port) = secured_sub(&key);
    let publisher = start_with_input(
        &[
            "pub",
            &format!("localhost:{port}"),
            "vault",
            "--secret-file",
            &key,
        ],
        "sealed line\n",
    )
    .finish();
    assert_eq!(publisher.code(), Some(0), "{publisher:?}");
    let sub = sub.finish();
    assert_eq!(sub.code(), Some(0), "{sub:?}");
    assert_eq!(sub.stdout, ["sealed line"]);
}

#[test]
fn a_wrong_secret_exits_2_with_one_line_and_the_host_waits_on() {
    let key = keygen("right");
    let wrong = keygen("wrong");
    let (sub, _stdin, port) = secured_sub(&key);
    let address = format!("localhost:{port}");
    let intruder =
        start_with_input(&["pub", &address, "vault", "--secret-file", &wrong], "x\n").finish();
    intruder.assert_error("the secret does not match");
    // Without a secret: told that the host is secured.
    let plain = start_with_input(&["pub", &address, "vault"], "y\n").finish();
    plain.assert_error("the host is secured");
    let call = run(&[
        "call",
        &address,
        "vault",
        "anything",
        "--secret-file",
        &wrong,
    ]);
    call.assert_error("the secret does not match");
    // The host took none of them, and still lets the right one in.
    let friend =
        start_with_input(&["pub", &address, "vault", "--secret-file", &key], "z\n").finish();
    assert_eq!(friend.code(), Some(0), "{friend:?}");
    let sub = sub.finish();
    assert_eq!(sub.stdout, ["z"], "{sub:?}");
}

#[test]
fn a_secured_command_at_a_plain_host_exits_2() {
    let key = keygen("plain-host");
    let (mut sub, _stdin) = start(&["sub", "localhost:0", "open", "--bind", "--max-wait", "20"]);
    let port = sub.waiting_port();
    let secured = start_with_input(
        &[
            "pub",
            &format!("localhost:{port}"),
            "open",
            "--secret-file",
            &key,
        ],
        "x\n",
    )
    .finish();
    secured.assert_error("the host is not secured");
}

#[test]
fn a_secured_call_reaches_the_host_and_waits_for_a_replier() {
    // The link is made (a wrong secret would exit 2 at once); with no
    // replier on the slot the call runs out of time: exit 3.
    let key = keygen("call");
    let (_sub, _stdin, port) = secured_sub(&key);
    let call = run(&[
        "call",
        &format!("localhost:{port}"),
        "nobody",
        "method",
        "--timeout",
        "1",
        "--secret-file",
        &key,
    ]);
    assert_eq!(call.code(), Some(3), "{call:?}");
}

#[test]
fn a_missing_or_malformed_secret_file_exits_2() {
    let missing = fresh_path("missing");
    let shown = missing.to_str().expect("a UTF-8 path");
    let sub = run(&["sub", "localhost:0", "x", "--bind", "--secret-file", shown]);
    sub.assert_error("cannot read the secret file");
    let short = fresh_path("short");
    std::fs::write(&short, b"12345").expect("write");
    let short = short.to_str().expect("a UTF-8 path");
    let publisher = start_with_input(
        &["pub", "localhost:0", "x", "--bind", "--secret-file", short],
        "x\n",
    )
    .finish();
    let line = publisher.assert_error("holds 5 bytes");
    assert!(
        !line.contains("12345"),
        "the file's bytes were shown: {line}"
    );
    let call = run(&["call", "localhost:1", "x", "m", "--secret-file", shown]);
    call.assert_error("cannot read the secret file");
}
