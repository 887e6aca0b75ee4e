//! A subscriber process that stops reading (SIGSTOP: it reads nothing more
//! from its socket) holds the publisher back: `PubChannel::send` blocks
//! once the connection's send queue is full, and the publisher's memory
//! stays within that bound however much it tries to send.
//!
//! This file holds a single test, so that the process's memory (read from
//! `/proc/self/status`) is this test's alone.
#![cfg(target_os = "linux")]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use yoton::{PubChannel, TcpOptions};

/// The publisher's send queue bound (the default).
fn queue() -> u64 {
    TcpOptions::new().send_queue_bytes() as u64
}

/// Each message is freshly allocated, so an unbounded queue would show.
const MESSAGE: usize = 64 * 1024;

/// What the publisher tries to send: far more than any bound.
const ATTEMPT: u64 = 2 << 30;

/// Kills and reaps the subscriber however the test ends.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{name}");
}

/// The peak resident memory of this process, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .unwrap()
        .to_owned();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[test]
fn a_stopped_subscriber_bounds_the_publishers_memory() {
    let context = yoton::context();
    let publisher = Arc::new(PubChannel::<Bytes>::new(&context, "stall").unwrap());
    let bound = context.bind("tcp://127.0.0.1:0").unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_yoton"))
        .args([
            "sub",
            &format!("tcp://127.0.0.1:{}", bound.local_port()),
            "stall",
            "--type",
            "bin",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let child = Reaped(child);
    bound.wait_connected(Duration::from_secs(20)).unwrap();
    signal(&child.0, "STOP");
    let baseline = peak_rss();

    let sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let (publisher, sent, stop) = (publisher.clone(), sent.clone(), stop.clone());
        thread::spawn(move || {
            let mut total = 0u64;
            while total < ATTEMPT && !stop.load(Ordering::Relaxed) {
                let message = Bytes::from(vec![(total >> 16) as u8; MESSAGE]);
                if publisher.send_bytes(message).is_err() {
                    break;
                }
                total += MESSAGE as u64;
                sent.store(total, Ordering::Relaxed);
            }
        })
    };

    // The publisher is blocked once what it has sent stops growing for a
    // while; this test is about time passing with nobody reading.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = 0;
    let mut still_since = Instant::now();
    while Instant::now() < deadline {
        thread::sleep(Duration::from_millis(50));
        let now = sent.load(Ordering::Relaxed);
        if now != last {
            last = now;
            still_since = Instant::now();
        } else if last > 0 && still_since.elapsed() >= Duration::from_millis(500) {
            break;
        }
    }
    let blocked_at = sent.load(Ordering::Relaxed);
    let growth = peak_rss().saturating_sub(baseline);

    eprintln!("blocked after {blocked_at} bytes; peak memory grew by {growth} bytes");
    stop.store(true, Ordering::Relaxed);
    drop(child); // the connection fails, which releases the sender
    sender.join().unwrap();
    context.close();

    assert!(
        blocked_at < ATTEMPT / 8,
        "the publisher sent {blocked_at} bytes to a stopped subscriber"
    );
    assert!(blocked_at >= queue() / 2, "only {blocked_at} bytes sent");
    // The queue, the copies on their way to the socket, allocator slack.
    let slack = 4 * queue() + (32 << 20);
    assert!(
        growth < slack,
        "publisher memory grew by {growth} bytes (bound {slack}) after sending {blocked_at}"
    );
}
