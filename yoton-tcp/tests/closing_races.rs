//! Closing races over TCP: both ends closing at once, and closing while
//! other threads are blocked sending, flushing or waiting for room. Every
//! thread must come back, and `closed` must come exactly once per end.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use common::{SOON, context, pub_slot};
use yoton_core::{Error, reason};
use yoton_tcp::{TcpOptions, TcpTransport};

/// Joins `handle`, failing if the thread does not end within `SOON`.
fn join_in_time<T: Send + 'static>(what: &str, handle: thread::JoinHandle<T>) -> T {
    let deadline = Instant::now() + SOON;
    while !handle.is_finished() {
        assert!(Instant::now() < deadline, "{what} never returned");
        thread::yield_now();
    }
    handle.join().unwrap()
}

#[test]
fn both_ends_closing_at_once_close_each_once() {
    for round in 0..20 {
        let host = context();
        let client = context();
        let bound = host.bind("localhost:0").unwrap();
        let conn = client
            .connect(&format!("tcp://127.0.0.1:{}", bound.local_port()))
            .unwrap();
        bound.wait_connected(SOON).unwrap();
        let here = conn.closed().subscribe();
        let there = bound.closed().subscribe();
        let start = Arc::new(Barrier::new(2));
        let closers: Vec<_> = [(Arc::clone(&conn), "client"), (Arc::clone(&bound), "host")]
            .into_iter()
            .map(|(c, why)| {
                let start = Arc::clone(&start);
                thread::spawn(move || {
                    start.wait();
                    c.close(Some(why));
                })
            })
            .collect();
        for closer in closers {
            join_in_time("a close", closer);
        }
        for (c, rx, own) in [(&conn, &here, "client"), (&bound, &there, "host")] {
            let event = rx.recv_timeout(SOON).expect("closed in time");
            // Either its own close won, or the other's close package came
            // first; the kept reason is the one reported.
            assert!(
                event.reason == own || event.reason == reason::CLOSED_FROM_OTHER_END,
                "round {round}: {}",
                event.reason
            );
            assert_eq!(c.close_reason(), Some(event.reason.clone()));
            assert!(!c.is_alive());
        }
        // With everything let go, the signals end: a second event would
        // have come before.
        drop((conn, bound, host, client));
        for rx in [here, there] {
            match rx.recv_timeout(SOON) {
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {}
                other => panic!("round {round}: after the one closed event: {other:?}"),
            }
        }
    }
}

/// A raw host that answers the handshake and then never reads: what the
/// client sends piles up until its queue is full.
fn deaf_host() -> (u16, thread::JoinHandle<TcpStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(SOON)).unwrap();
        let mut line = Vec::new();
        let mut byte = [0u8];
        while !line.ends_with(b"\r\n") {
            assert_eq!(stream.read(&mut byte).unwrap(), 1);
            line.push(byte[0]);
        }
        stream
            .write_all(format!("YOTON!00000000000000ab.{}\r\n", std::process::id()).as_bytes())
            .unwrap();
        stream
    });
    (port, handle)
}

#[test]
fn close_releases_threads_blocked_in_send_flush_and_wait_for_room() {
    let (port, host) = deaf_host();
    let client = yoton_core::Context::new();
    let options = TcpOptions::new().with_send_queue_bytes(64 * 1024);
    client.register_transport(Arc::new(TcpTransport::with_options(options).unwrap()));
    let conn = client.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
    let stream = host.join().unwrap();
    let closed = conn.closed().subscribe();

    let sent = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let (client, conn, sent, stop) = (
            client.clone(),
            Arc::clone(&conn),
            Arc::clone(&sent),
            Arc::clone(&stop),
        );
        thread::spawn(move || {
            // Far more than the socket buffers hold: this blocks.
            while conn.is_alive() && !stop.load(Ordering::Acquire) {
                client
                    .send(pub_slot("deaf", "bin"), vec![7u8; 64 * 1024])
                    .unwrap();
                sent.fetch_add(1, Ordering::AcqRel);
            }
        })
    };
    // The sender is held once the kernel's buffers and the send queue are
    // full: its count stops moving. (There is no event for "blocked".)
    let deadline = Instant::now() + SOON;
    let mut last = usize::MAX;
    loop {
        let now = sent.load(Ordering::Acquire);
        if now == last {
            break;
        }
        last = now;
        assert!(Instant::now() < deadline, "the sender was never held back");
        thread::sleep(Duration::from_millis(300));
    }
    let flusher = {
        let conn = Arc::clone(&conn);
        thread::spawn(move || conn.flush(SOON))
    };
    // A second sender, which waits for room in the full send queue.
    let waiter = {
        let client = client.clone();
        thread::spawn(move || client.send(pub_slot("deaf", "bin"), vec![8u8; 64 * 1024]))
    };

    let start = Instant::now();
    conn.close(None);
    let took = start.elapsed();
    // The close package cannot be written to a peer that does not read:
    // close gives up after its linger instead of hanging. The bound only
    // catches a hang.
    assert!(took < Duration::from_secs(10), "close took {took:?}");
    println!("close against a peer that does not read took {took:?}");
    assert_eq!(
        closed.recv_timeout(SOON).expect("closed").reason,
        reason::CLOSED_ON_COMMAND
    );
    stop.store(true, Ordering::Release);
    join_in_time("the blocked sender", sender);
    match join_in_time("the blocked flush", flusher) {
        Err(Error::Closed { reason: r }) => assert_eq!(r, reason::CLOSED_ON_COMMAND),
        other => panic!("a flush cut short by close: {other:?}"),
    }
    // Waiting for room ends too: the package is dropped with the link.
    join_in_time("the wait for room", waiter).expect("send returns");
    drop(stream);
}

#[test]
fn closing_the_context_while_a_thread_sends_returns() {
    let (port, host) = deaf_host();
    let client = yoton_core::Context::new();
    let options = TcpOptions::new().with_send_queue_bytes(64 * 1024);
    client.register_transport(Arc::new(TcpTransport::with_options(options).unwrap()));
    let conn = client.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
    let stream = host.join().unwrap();
    let closed = conn.closed().subscribe();
    let sent = Arc::new(AtomicUsize::new(0));
    let sender = {
        let (client, conn, sent) = (client.clone(), Arc::clone(&conn), Arc::clone(&sent));
        thread::spawn(move || {
            while conn.is_alive() {
                client
                    .send(pub_slot("deaf", "bin"), vec![7u8; 64 * 1024])
                    .unwrap();
                sent.fetch_add(1, Ordering::AcqRel);
            }
        })
    };
    let deadline = Instant::now() + SOON;
    while sent.load(Ordering::Acquire) < 4 {
        assert!(Instant::now() < deadline, "nothing sent");
        thread::yield_now();
    }
    client.close();
    assert_eq!(
        closed.recv_timeout(SOON).expect("closed").reason,
        reason::CLOSED_BY_CONTEXT
    );
    join_in_time("the sender", sender);
    drop(stream);
}
