//! Peers that stop reading or go silent: a sender blocked by a peer that
//! stopped reading keeps its memory bounded and loses nothing when the peer
//! reads again; a receiver whose peer goes silent in the middle of a large
//! package reports `timedout(true)`, then `timedout(false)` when bytes come.

use std::io::{Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use yoton::{SubChannel, TimedOutEvent};
use yoton_core::decoder::Decoder;
use yoton_core::package::PackageKind;
use yoton_reliability::memory::Memory;
use yoton_reliability::process::PeerProcess;
use yoton_reliability::wire::{Stream, data_package, pub_slot};
use yoton_reliability::{SOON, raw, soak};

const PEER: &str = env!("CARGO_BIN_EXE_yoton-peer");

/// How much the blocked sender's memory may grow over what it had once
/// connected: its 8 MiB send queue, the message being sent, its write
/// buffer, allocator slack.
const SENDER_SLACK_KIB: u64 = 40 * 1024;

#[test]
fn a_sender_blocked_by_a_stalled_peer_has_bounded_memory_and_loses_nothing() {
    let total: u64 = if soak() { 8 << 30 } else { 1 << 30 };
    let max = 1 << 20;
    let seed = 11;
    let (port, host) = raw::host().unwrap();
    let mut sender = PeerProcess::spawn(
        PEER,
        &[
            "stall-sender",
            &port.to_string(),
            &total.to_string(),
            &max.to_string(),
            &seed.to_string(),
        ],
        Duration::from_secs(300),
    );
    let (mut stream, line) = host.join().unwrap().unwrap();
    assert!(line.starts_with("YOTON!"), "{line:?}");
    let baseline = sender.expect_number("RSS", SOON);

    // This peer does not read: the sender fills its queue and blocks.
    let stalled = sender.expect("STALLED", SOON);
    let figures: Vec<u64> = stalled.split(' ').map(|f| f.parse().unwrap()).collect();
    let (sent_when_stalled, rss_stalled) = (figures[0], figures[1]);
    assert!(sent_when_stalled > 0);
    // Stay stalled a while (this is about time passing) and look again.
    thread::sleep(Duration::from_millis(500));
    let mut peak_seen = Memory::of_process(sender.pid());
    println!(
        "stalled after {sent_when_stalled} messages; sender rss {rss_stalled} KiB (baseline {baseline} KiB), {:?}",
        peak_seen.map(|m| m.to_string())
    );

    // Read again: every message arrives, in order, byte for byte.
    let expected = Stream::new(seed, max);
    let bulk = pub_slot("bulk", "bin");
    let mut decoder = Decoder::new();
    let mut next = 0u64;
    let mut last_seq = 0u64;
    let mut bytes = 0u64;
    let mut sample_at = 0u64;
    let start = Instant::now();
    stream.set_read_timeout(Some(SOON)).unwrap();
    'reading: loop {
        let n = decoder.read_with(|buf| stream.read(buf)).unwrap();
        assert!(n > 0, "the sender closed before its close package");
        while let Some(package) = decoder.next_package().unwrap() {
            match package.kind() {
                PackageKind::Close => break 'reading,
                PackageKind::Data if package.slot == bulk => {
                    assert!(
                        expected.check(next, &package.data),
                        "message {next} lost, repeated, reordered or damaged (got number {:?})",
                        Stream::number_of(&package.data)
                    );
                    assert!(package.source_seq > last_seq);
                    last_seq = package.source_seq;
                    next += 1;
                    bytes += package.data.len() as u64;
                }
                _ => {}
            }
        }
        if bytes >= sample_at {
            sample_at += 64 << 20;
            if let Some(now) = Memory::of_process(sender.pid()) {
                if peak_seen.is_none_or(|p| now.hwm_kib > p.hwm_kib) {
                    peak_seen = Some(now);
                }
            }
        }
    }
    let took = start.elapsed();
    let count = sender.expect("COUNT", SOON);
    assert_eq!(count, format!("{next} {bytes}"));
    assert!(bytes >= total);
    let peak = sender.expect_number("HWM", SOON);
    // Answer the close so that the sender's linger ends at once.
    let _ = stream.write_all(&yoton_core::package::Package::close_notice().to_bytes());
    drop(stream);
    let (status, _) = sender.wait_exit(SOON);
    assert!(status.success(), "{status:?}");
    println!(
        "{bytes} bytes in {next} messages after the stall, {took:?}; sender peak {peak} KiB, baseline {baseline} KiB (+{} KiB)",
        peak.saturating_sub(baseline)
    );
    if Memory::of_self().is_some() {
        assert!(
            peak <= baseline + SENDER_SLACK_KIB,
            "sender peak {peak} KiB, baseline {baseline} KiB"
        );
    }
}

/// Waits for the next `timedout` event.
fn next_timedout(rx: &yoton::Receiver<TimedOutEvent>) -> bool {
    rx.recv_timeout(SOON).expect("no timedout event").timed_out
}

#[test]
fn a_silent_peer_times_out_and_recovers_across_a_16_mib_package() {
    let (port, host) = raw::host().unwrap();
    let ctx = yoton::context();
    let big = SubChannel::<Vec<u8>>::new(&ctx, "big").unwrap();
    let conn = ctx.connect(&format!("localhost:{port}")).unwrap();
    let timedout = conn.timedout().subscribe();
    let (mut stream, _) = host.join().unwrap().unwrap();

    let data: Vec<u8> = (0..16u32 << 20).map(|i| (i % 253) as u8).collect();
    let wire = data_package(pub_slot("big", "bin"), raw::RAW_ID, 1, &data);
    let half = wire.len() / 2;
    // Whatever timeouts the handshake's quiet moment raised end with the
    // first bytes of the package.
    stream.write_all(&wire[..half]).unwrap();
    let mut events = Vec::new();
    loop {
        let event = next_timedout(&timedout);
        events.push(event);
        // Silent now (the raw peer sends no heartbeats): true comes, and
        // stays until bytes come.
        if event {
            break;
        }
    }
    let silent_from = Instant::now();
    assert!(big.try_recv().is_err(), "half a package delivered");
    assert!(conn.is_connected());
    // Stay silent past another timeout: no new event, no close.
    thread::sleep(Duration::from_millis(700));
    assert!(timedout.try_recv().is_err());
    assert!(conn.is_connected());

    stream.write_all(&wire[half..]).unwrap();
    assert!(!next_timedout(&timedout), "no recovery after {events:?}");
    let got = big.recv_timeout(SOON).unwrap();
    assert!(got == data, "the 16 MiB package was damaged");
    println!(
        "silent for {:?}; events before: {events:?}",
        silent_from.elapsed()
    );
    // And the connection goes on.
    stream
        .write_all(&data_package(
            pub_slot("big", "bin"),
            raw::RAW_ID,
            2,
            b"next",
        ))
        .unwrap();
    assert_eq!(big.recv_timeout(SOON).unwrap(), b"next");
    assert!(conn.is_connected());
}
