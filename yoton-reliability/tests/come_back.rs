//! A persistent link under load, its host process killed (SIGKILL) and
//! started again at the same port 100 times: each time the link comes
//! back and the host gets the load, and afterwards the client process has
//! no more threads, sockets or memory than after the first cycles.
//!
//! This file holds one test only: it counts the threads and open files of
//! its own process.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use yoton::{Backoff, ConnectOptions, LinkEvent, PubChannel};
use yoton_reliability::memory::Memory;
use yoton_reliability::process::PeerProcess;
use yoton_reliability::{SOON, soak};
use yoton_testkit::wait::wait_until_within;

const PEER: &str = env!("CARGO_BIN_EXE_yoton-peer");

fn count_entries(dir: &str) -> Option<usize> {
    Some(std::fs::read_dir(dir).ok()?.count())
}

/// The next event `pick` accepts, skipping the others.
fn next(events: &crossbeam_channel::Receiver<LinkEvent>, pick: impl Fn(&LinkEvent) -> bool) {
    loop {
        let event = events
            .recv_timeout(SOON)
            .expect("the link event did not come");
        if pick(&event) {
            return;
        }
    }
}

#[test]
fn a_host_killed_and_restarted_100_times_under_load_costs_nothing_that_stays() {
    let cycles = if soak() { 1000 } else { 100 };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let address = format!("tcp://127.0.0.1:{port}");
    let client = yoton::context();
    let load = PubChannel::<Vec<u8>>::new(&client, "load").unwrap();
    let backoff = Backoff::new()
        .initial(Duration::from_millis(5))
        .max(Duration::from_millis(50));
    let options = ConnectOptions::new().timeout(Duration::ZERO);
    let link = client
        .connect_persistent(&address, &options, backoff)
        .unwrap();
    let events = link.events().subscribe();

    // The load: messages sent all the time, whether a host is there or not.
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let sender = {
        let (stop, sent) = (Arc::clone(&stop), Arc::clone(&sent));
        std::thread::spawn(move || {
            let message = vec![7u8; 64];
            while !stop.load(Ordering::Relaxed) {
                if load
                    .send_timeout(&message, Duration::from_millis(100))
                    .is_ok()
                {
                    sent.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    };

    let mut baseline = None;
    for cycle in 0..cycles {
        let mut host = PeerProcess::spawn(PEER, &["host", &port.to_string()], SOON * 3);
        host.expect("BOUND", SOON);
        host.expect("GOT", SOON);
        host.kill();
        next(&events, |e| matches!(e, LinkEvent::Disconnected(_)));
        if cycle == 9 {
            // After a few cycles everything that is made once is made.
            baseline = Some((
                count_entries("/proc/self/task"),
                count_entries("/proc/self/fd"),
                Memory::of_self(),
            ));
        }
    }
    assert!(link.connections_made() >= cycles as u64, "{link:?}");
    assert!(sent.load(Ordering::Relaxed) > 0);
    // What waited while no host was there and did not fit is counted.
    let dropped = client.startup_dropped();
    assert!(client.startup_queued() <= yoton_core::DEFAULT_STARTUP_QUEUE);

    let (threads, files, memory) = baseline.expect("more than 9 cycles");
    // The last connection's threads end and its socket closes soon after
    // the host is gone: wait for that, with a generous deadline.
    if let Some(before) = threads {
        wait_until_within(SOON, "the threads of the dead connections to end", || {
            count_entries("/proc/self/task").is_some_and(|now| now <= before)
        });
    }
    if let Some(before) = files {
        wait_until_within(SOON, "the sockets of the dead connections to close", || {
            count_entries("/proc/self/fd").is_some_and(|now| now <= before)
        });
    }
    if let (Some(before), Some(now)) = (memory, Memory::of_self()) {
        // Allocator noise, not a leak: a leak of one connection a cycle
        // would be well over this.
        assert!(
            now.rss_kib <= before.rss_kib + 16 * 1024,
            "memory: {} KiB after 10 cycles, {} KiB after {cycles} (dropped {dropped})",
            before.rss_kib,
            now.rss_kib
        );
    }
    stop.store(true, Ordering::Relaxed);
    sender.join().expect("the sender");
    link.close();
}
