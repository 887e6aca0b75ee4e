//! A peer process killed (SIGKILL) in the middle of a large package: the
//! other side reports `closed` with the reason, the connection's socket is
//! closed, and the context keeps working for its other connections.
//!
//! This file holds one test only: it counts the sockets and the transport
//! threads of its own process.

use std::time::{Duration, Instant};

use yoton::{PubChannel, SubChannel, reason};
use yoton_reliability::SOON;
use yoton_reliability::process::PeerProcess;
use yoton_testkit::wait::wait_until_within;

const PEER: &str = env!("CARGO_BIN_EXE_yoton-peer");

/// How many sockets this process has open.
fn open_sockets() -> usize {
    let Ok(fds) = std::fs::read_dir("/proc/self/fd") else {
        return 0;
    };
    fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter(|target| target.to_string_lossy().starts_with("socket:"))
        .count()
}

/// How many threads of this process have a name starting with `prefix`.
fn threads_named(prefix: &str) -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with(prefix))
        .count()
}

#[test]
fn a_peer_killed_mid_package_is_reported_and_the_rest_goes_on() {
    let counted = std::path::Path::new("/proc/self/task").exists();
    let ctx = yoton::context();
    let news = SubChannel::<String>::new(&ctx, "news").unwrap();

    // Another connection of the same context, to a peer that lives on.
    let friend = yoton::context();
    let friend_news = PubChannel::<String>::new(&friend, "news").unwrap();
    let to_friend = ctx.bind("localhost:0").unwrap();
    friend
        .connect(&format!("localhost:{}", to_friend.local_port()))
        .unwrap();
    friend_news.send("before").unwrap();
    assert_eq!(news.recv_timeout(SOON).unwrap(), "before");

    // The victim connection: its peer announces 48 MiB, sends 20 MiB and
    // is killed.
    let bound = ctx.bind("localhost:0").unwrap();
    let closed = bound.closed().subscribe();
    let port = bound.local_port().to_string();
    let size = (48u64 << 20).to_string();
    let sent = (20u64 << 20).to_string();
    let mut peer = PeerProcess::spawn(
        PEER,
        &["half-package", &port, &size, &sent],
        Duration::from_secs(60),
    );
    peer.expect("HALF", SOON);
    wait_until_within(SOON, "the host side connected", || bound.is_connected());
    let sockets = if counted {
        // Two connections of `ctx` and one of `friend`: one thread does
        // the I/O of all of them.
        assert_eq!(threads_named("yoton-stream-io"), 1);
        assert_eq!(
            threads_named("yoton-tcp-recv") + threads_named("yoton-tcp-send"),
            0
        );
        open_sockets()
    } else {
        0
    };
    let killed_at = Instant::now();
    peer.kill();

    let event = closed.recv_timeout(SOON).expect("no closed event");
    println!("closed {:?} after the kill", killed_at.elapsed());
    assert_eq!(event.reason, reason::OTHER_END_DROPPED);
    assert!(!bound.is_alive());
    assert_eq!(
        bound.close_reason().as_deref(),
        Some(reason::OTHER_END_DROPPED)
    );
    if counted {
        wait_until_within(SOON, "the dead connection's socket is closed", || {
            open_sockets() == sockets - 1
        });
        assert_eq!(threads_named("yoton-stream-io"), 1);
    }

    // The other connection carries on, both ways.
    assert!(to_friend.is_connected());
    friend_news.send("after").unwrap();
    assert_eq!(news.recv_timeout(SOON).unwrap(), "after");
    let back = SubChannel::<String>::new(&friend, "back").unwrap();
    let ctx_back = PubChannel::<String>::new(&ctx, "back").unwrap();
    ctx_back.send("still here").unwrap();
    assert_eq!(back.recv_timeout(SOON).unwrap(), "still here");

    // And the context takes new peers.
    let again = ctx.bind("localhost:0").unwrap();
    let newcomer = yoton::context();
    let newcomer_news = PubChannel::<String>::new(&newcomer, "news").unwrap();
    newcomer
        .connect(&format!("localhost:{}", again.local_port()))
        .unwrap();
    newcomer_news.send("newcomer").unwrap();
    assert_eq!(news.recv_timeout(SOON).unwrap(), "newcomer");
    assert_eq!(ctx.connection_count(), 2);
}
