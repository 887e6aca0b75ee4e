//! Load: a hub context (its own process) with 64 peers, each publishing
//! while it reads everyone else's messages: every message arrives exactly
//! once, in order per source. Reports the time and the peak memory.
//!
//! This file holds one test only: the peak memory of its process is the
//! peers' own.

use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use yoton::PubChannel;
use yoton_core::{Delivery, Direction, Endpoint};
use yoton_reliability::memory::Memory;
use yoton_reliability::process::PeerProcess;
use yoton_reliability::{SOON, soak};

const PEER: &str = env!("CARGO_BIN_EXE_yoton-peer");

fn env_or(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn a_hub_with_64_peers_delivers_every_message_once_in_order() {
    let peers = env_or("YOTON_HUB_PEERS", 64) as usize;
    // 20 000 messages each: about 50 s in a debug build on two cores (as
    // CI runs it), 7 s optimized.
    let default = if soak() { 200_000 } else { 20_000 };
    let each = env_or("YOTON_HUB_MESSAGES", default);
    let mut hub = PeerProcess::spawn(
        PEER,
        &["hub", &peers.to_string()],
        Duration::from_secs(if soak() { 3600 } else { 300 }),
    );
    let ports: Vec<u16> = hub
        .expect("PORTS", SOON)
        .split(' ')
        .map(|p| p.parse().unwrap())
        .collect();
    let hub_baseline = hub.expect_number("RSS", SOON);
    let own_baseline = Memory::of_self();

    let ready = Arc::new(Barrier::new(peers + 1));
    let start_publishing = Arc::new(Barrier::new(peers + 1));
    let mut handles = Vec::new();
    for (index, port) in ports.into_iter().enumerate() {
        let ready = Arc::clone(&ready);
        let start_publishing = Arc::clone(&start_publishing);
        handles.push(
            thread::Builder::new()
                .name(format!("peer-{index}"))
                .spawn(move || {
                    peer(
                        index as u32,
                        peers as u32,
                        port,
                        each,
                        &ready,
                        &start_publishing,
                    )
                })
                .unwrap(),
        );
    }
    ready.wait();
    let start = Instant::now();
    start_publishing.wait();
    for handle in handles {
        handle.join().unwrap();
    }
    let took = start.elapsed();
    let hub_peak = hub.expect_number("HWM", SOON * 3);
    let (status, _) = hub.wait_exit(SOON);
    assert!(status.success(), "{status:?}");
    let delivered = u64::from(each) * peers as u64 * (peers as u64 - 1);
    println!(
        "{peers} peers x {each} messages: {delivered} deliveries in {took:?} ({:.0}/s); hub peak {hub_peak} KiB (baseline {hub_baseline} KiB); peers' process {:?} (before: {:?})",
        delivered as f64 / took.as_secs_f64(),
        Memory::of_self().map(|m| m.to_string()),
        own_baseline.map(|m| m.to_string()),
    );
}

/// What a peer reads with: an endpoint on the slot its pub channels send
/// on, checking each message as the receiving thread hands it over. Unlike
/// a sub channel's bounded queue (which drops, and counts, when its reader
/// lags), it holds the receiving thread while it works, so a slow reader
/// slows the senders down through TCP and nothing is dropped.
#[derive(Debug)]
struct Checker {
    index: u32,
    state: Mutex<(Vec<u32>, u64)>,
    expected: u64,
    /// One marker per other peer, numbered right after its messages.
    markers: u64,
    done: crossbeam_channel::Sender<Result<(), String>>,
}

impl Endpoint for Checker {
    fn deliver(&self, deliveries: &mut Vec<Delivery>) {
        let mut state = self.state.lock().unwrap();
        let (next, got) = &mut *state;
        for d in deliveries.drain(..) {
            let data = &d.package.data;
            let source = u32::from_le_bytes(data[..4].try_into().unwrap());
            let seq = u32::from_le_bytes(data[4..8].try_into().unwrap());
            let wanted = next.get(source as usize).copied();
            if source == self.index || wanted != Some(seq) {
                let _ = self.done.send(Err(format!(
                    "peer {}: from {source} got {seq}, expected {wanted:?}: lost, repeated or reordered",
                    self.index
                )));
                return;
            }
            next[source as usize] += 1;
            *got += 1;
            if *got == self.expected || *got == self.expected + self.markers {
                let _ = self.done.send(Ok(()));
            } else if *got > self.expected + self.markers {
                let _ = self
                    .done
                    .send(Err(format!("peer {}: more than sent", self.index)));
            }
        }
    }
}

/// One peer: connects to the hub, publishes `each` messages numbered per
/// source, and checks that everyone else's arrive once, in order.
fn peer(index: u32, peers: u32, port: u16, each: u32, ready: &Barrier, go: &Barrier) {
    let ctx = yoton::context();
    let out = PubChannel::<Vec<u8>>::new(&ctx, "load").unwrap();
    let (done, finished) = crossbeam_channel::bounded(4);
    let checker = Checker {
        index,
        state: Mutex::new((vec![0; peers as usize], 0)),
        expected: u64::from(each) * u64::from(peers - 1),
        markers: u64::from(peers - 1),
        done,
    };
    ctx.register_endpoint(
        Direction::Incoming,
        out.slot_outgoing().slot(),
        "load",
        Arc::new(checker),
    )
    .unwrap();
    let conn = ctx.connect(&format!("localhost:{port}")).unwrap();
    ready.wait();
    go.wait();
    // The last number, `each`, is the marker: everything this peer sent,
    // and any copy the hub made of it, is ahead of it on every link.
    for seq in 0..=each {
        let mut message = Vec::with_capacity(8);
        message.extend_from_slice(&index.to_le_bytes());
        message.extend_from_slice(&seq.to_le_bytes());
        out.send(&message).unwrap();
    }
    // Only a hang should fail this: a loaded 2-core machine runs it 4 or
    // 5 times slower than a quiet one.
    let wait = if soak() { SOON * 90 } else { SOON * 30 };
    match finished.recv_timeout(wait) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("{e}"),
        Err(_) => panic!("peer {index}: not everything arrived in {wait:?}"),
    }
    // Everyone has everything from this peer once its own messages are
    // written; its close goes after them.
    conn.flush(SOON).unwrap();
    // Then every other peer's marker: a repeated or extra message would
    // have come before it, out of turn, and failed the check.
    match finished.recv_timeout(SOON) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("{e}"),
        Err(_) => panic!("peer {index}: the markers did not arrive"),
    }
    conn.close(None);
}
