//! Closing against a peer process that is stopped (SIGSTOP): it reads
//! nothing, so the close package cannot be written once the socket buffers
//! are full. `close` must still come back, bounded by its linger, and
//! report its reason; the peer, continued, sees its connection end.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use yoton::{PubChannel, reason};
use yoton_reliability::SOON;
use yoton_reliability::process::PeerProcess;

const PEER: &str = env!("CARGO_BIN_EXE_yoton-peer");

fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{name} {pid}: {status:?}");
}

#[test]
fn close_against_a_stopped_peer_returns_within_its_linger() {
    let mut victim = PeerProcess::spawn(PEER, &["victim"], Duration::from_secs(120));
    let ports = victim.expect("PORTS", SOON);
    let port: u16 = ports.split(' ').next().unwrap().parse().unwrap();
    let ctx = yoton::context();
    let probe = Arc::new(PubChannel::<Vec<u8>>::new(&ctx, "probe").unwrap());
    let conn = ctx.connect(&format!("localhost:{port}")).unwrap();
    let closed = conn.closed().subscribe();
    probe.send(b"hello").unwrap();
    victim.expect("GOT 5", SOON);

    signal(victim.pid(), "STOP");
    // Fill the socket buffers and the send queue: the sender is held back
    // once the stopped peer takes nothing more.
    let sent = Arc::new(AtomicUsize::new(0));
    let sender = {
        let (probe, conn, sent) = (Arc::clone(&probe), Arc::clone(&conn), Arc::clone(&sent));
        thread::spawn(move || {
            while conn.is_alive() && sent.load(Ordering::Acquire) < 4096 {
                let _ = probe.send(&vec![1u8; 256 * 1024]);
                sent.fetch_add(1, Ordering::AcqRel);
            }
        })
    };
    // Held back: a flush cannot finish while the peer is stopped.
    let deadline = Instant::now() + SOON;
    while conn.flush(Duration::from_millis(500)).is_ok() {
        assert!(
            Instant::now() < deadline,
            "the stopped peer took everything"
        );
    }

    let start = Instant::now();
    conn.close(None);
    let took = start.elapsed();
    // The linger is 1 s (and half a second more for the receiving side);
    // the bound is loose so that only a close that waits for the peer
    // fails it.
    assert!(took < Duration::from_secs(10), "close took {took:?}");
    assert_eq!(
        closed.recv_timeout(SOON).expect("closed").reason,
        reason::CLOSED_ON_COMMAND
    );
    let deadline = Instant::now() + SOON;
    while !sender.is_finished() {
        assert!(Instant::now() < deadline, "the sender was not released");
        thread::yield_now();
    }
    sender.join().unwrap();

    signal(victim.pid(), "CONT");
    let why = victim.expect("CLOSED", SOON);
    println!(
        "close against a stopped peer took {took:?}; {} messages of 256 KiB queued; the peer saw: {why}",
        sent.load(Ordering::Acquire)
    );
    victim.kill();
}
