//! A peer that completes the handshake and then sends what it should not,
//! against a victim in its own process (so that its memory is its own): the
//! connection closes with a clear reason or ignores what is harmless, no
//! thread panics, nothing of an announced size is allocated, and the victim
//! still serves a real peer afterwards.

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use yoton::{PubChannel, SubChannel};
use yoton_core::decoder::DEFAULT_MAX_DATA_LEN;
use yoton_core::package::Package;
use yoton_core::reason;
use yoton_reliability::SOON;
use yoton_reliability::memory::Memory;
use yoton_reliability::process::PeerProcess;
use yoton_reliability::raw;
use yoton_reliability::wire::{checksum, data_package, header_announcing, pub_slot};

const PEER: &str = env!("CARGO_BIN_EXE_yoton-peer");

/// How much the victim's peak memory may grow during an attack: what the
/// connection itself needs (64 KiB reads, a few threads), with room to spare.
const MEMORY_SLACK_KIB: u64 = 8 * 1024;

/// A victim process and a raw attacker connected to it.
struct Attack {
    victim: PeerProcess,
    stream: TcpStream,
    spare_port: u16,
    baseline_kib: u64,
}

impl Attack {
    fn start(args: &[&str]) -> Attack {
        let mut victim = PeerProcess::spawn(PEER, args, Duration::from_secs(90));
        let ports = victim.expect("PORTS", SOON);
        let ports: Vec<u16> = ports.split(' ').map(|p| p.parse().unwrap()).collect();
        let baseline_kib = victim.expect_number("RSS", SOON);
        let (stream, line) = raw::connect(ports[0]).unwrap();
        assert!(line.starts_with("YOTON!"), "{line:?}");
        Attack {
            victim,
            stream,
            spare_port: ports[1],
            baseline_kib,
        }
    }

    /// Sends a valid probe message numbered `seq` and waits until the
    /// victim reports it.
    fn probe(&mut self, seq: u64, data: &[u8]) {
        self.stream
            .write_all(&data_package(
                pub_slot("probe", "bin"),
                raw::RAW_ID,
                seq,
                data,
            ))
            .unwrap();
        let got = self.victim.expect("GOT", SOON);
        assert_eq!(got, format!("{} {:016x}", data.len(), checksum(data)));
    }

    /// Waits for the close reason, checks the memory and that a real peer
    /// is still served, and that the victim ends without a panic.
    fn finish(mut self) -> String {
        let reason = self.victim.expect("CLOSED", SOON);
        let peak = self.victim.expect_number("HWM", SOON);
        println!(
            "victim peak {peak} KiB, {} KiB before the attack (+{} KiB)",
            self.baseline_kib,
            peak.saturating_sub(self.baseline_kib)
        );
        if Memory::of_self().is_some() {
            assert!(
                peak <= self.baseline_kib + MEMORY_SLACK_KIB,
                "peak {peak} KiB, {} KiB before the attack",
                self.baseline_kib
            );
        }
        // The process is up and works: a real peer gets its echo.
        let ctx = yoton::context();
        let ping = PubChannel::<Vec<u8>>::new(&ctx, "probe").unwrap();
        let pong = SubChannel::<Vec<u8>>::new(&ctx, "pong").unwrap();
        let conn = ctx
            .connect(&format!("localhost:{}", self.spare_port))
            .unwrap();
        ping.send(b"still there?").unwrap();
        // The echoes of the attacker's probes were queued for this waiting
        // connection too, and come first.
        let mut echoes = 0;
        while pong.recv_timeout(SOON).unwrap() != b"still there?" {
            echoes += 1;
            assert!(echoes < 10, "no echo of our own message");
        }
        conn.close(None);
        assert_eq!(
            self.victim.expect("CLOSED2", SOON),
            reason::CLOSED_FROM_OTHER_END
        );
        assert_eq!(
            self.victim.expect("GOT", SOON),
            format!("12 {:016x}", checksum(b"still there?"))
        );
        let (status, rest) = self.victim.wait_exit(SOON);
        assert!(status.success(), "{status:?}");
        // Nothing was delivered that the test did not send as valid.
        assert!(!rest.iter().any(|l| l.starts_with("GOT")), "{rest:?}");
        drop(self.stream);
        reason
    }
}

#[test]
fn a_wrong_control_word_closes_with_lost_track() {
    let mut attack = Attack::start(&["victim"]);
    attack.probe(1, b"before");
    let mut bad = data_package(pub_slot("probe", "bin"), raw::RAW_ID, 2, b"lost");
    bad[..8].copy_from_slice(b"HTTP/1.1");
    attack.stream.write_all(&bad).unwrap();
    assert_eq!(attack.finish(), reason::LOST_TRACK);
}

#[test]
fn headers_announcing_more_than_the_limit_close_without_allocating() {
    for size in [DEFAULT_MAX_DATA_LEN + 1, 1 << 32, 1 << 62, u64::MAX] {
        let mut attack = Attack::start(&["victim"]);
        attack.probe(1, b"before");
        attack.stream.write_all(&header_announcing(size)).unwrap();
        // And data after it, as if the size were real.
        let _ = attack.stream.write_all(&[0u8; 256 * 1024]);
        let why = attack.finish();
        assert!(why.starts_with(reason::PACKAGE_TOO_LARGE), "{why}");
        assert_eq!(
            why,
            format!(
                "Package too large: {size} bytes announced, the limit is {DEFAULT_MAX_DATA_LEN} bytes."
            )
        );
    }
}

#[test]
fn a_configured_limit_holds_too() {
    let mut attack = Attack::start(&["victim", "4096"]);
    attack.probe(1, &[7u8; 4096]);
    attack
        .stream
        .write_all(&data_package(
            pub_slot("probe", "bin"),
            raw::RAW_ID,
            2,
            &[7u8; 4097],
        ))
        .unwrap();
    let why = attack.finish();
    assert!(why.starts_with(reason::PACKAGE_TOO_LARGE), "{why}");
    assert_eq!(
        why,
        "Package too large: 4097 bytes announced, the limit is 4096 bytes."
    );
}

#[test]
fn a_truncated_package_is_a_dropped_connection() {
    let mut attack = Attack::start(&["victim"]);
    attack.probe(1, b"before");
    let wire = data_package(pub_slot("probe", "bin"), raw::RAW_ID, 2, &[1u8; 100_000]);
    attack.stream.write_all(&wire[..60_000]).unwrap();
    attack.stream.shutdown(Shutdown::Write).unwrap();
    assert_eq!(attack.finish(), reason::OTHER_END_DROPPED);
}

/// A header within the limit followed by a trickle and the end of stream:
/// the victim reserves what arrives (about 1 MiB at first), not the 60 MiB
/// announced.
#[test]
fn a_large_announced_package_that_never_comes_holds_little_memory() {
    let mut attack = Attack::start(&["victim"]);
    attack.probe(1, b"before");
    let mut wire = header_announcing(60 << 20).to_vec();
    wire.extend_from_slice(&[3u8; 1000]);
    attack.stream.write_all(&wire).unwrap();
    attack.stream.shutdown(Shutdown::Write).unwrap();
    assert_eq!(attack.finish(), reason::OTHER_END_DROPPED);
}

#[test]
fn a_truncated_header_is_a_dropped_connection() {
    let mut attack = Attack::start(&["victim"]);
    attack.probe(1, b"before");
    attack
        .stream
        .write_all(&header_announcing(10)[..30])
        .unwrap();
    attack.stream.shutdown(Shutdown::Write).unwrap();
    assert_eq!(attack.finish(), reason::OTHER_END_DROPPED);
}

#[test]
fn bytes_after_the_close_package_are_ignored() {
    let mut attack = Attack::start(&["victim"]);
    let mut wire = data_package(pub_slot("probe", "bin"), raw::RAW_ID, 1, b"last words");
    wire.extend_from_slice(&Package::close_notice().to_bytes());
    wire.extend_from_slice(&data_package(
        pub_slot("probe", "bin"),
        raw::RAW_ID,
        2,
        b"after",
    ));
    wire.extend_from_slice(b"garbage that is not a package at all");
    wire.extend_from_slice(&header_announcing(u64::MAX));
    attack.stream.write_all(&wire).unwrap();
    // What came before the close package is delivered; nothing after it.
    assert_eq!(
        attack.victim.expect("GOT", SOON),
        format!("10 {:016x}", checksum(b"last words"))
    );
    assert_eq!(attack.finish(), reason::CLOSED_FROM_OTHER_END);
}

#[test]
fn a_flood_of_heartbeats_is_harmless() {
    let mut attack = Attack::start(&["victim"]);
    attack.probe(1, b"before");
    // 64 MiB of heartbeats (1.2 million), then a message.
    let heartbeats: Vec<u8> = Package::heartbeat()
        .to_bytes()
        .repeat(64 * 1024 * 1024 / 56);
    attack.stream.write_all(&heartbeats).unwrap();
    attack.probe(2, b"after the flood");
    // Empty packages that are neither heartbeat nor close are dropped too.
    let mut odd = Package::heartbeat();
    odd.source_seq = 7;
    attack
        .stream
        .write_all(&odd.to_bytes().repeat(1000))
        .unwrap();
    attack.probe(3, b"after odd empties");
    attack
        .stream
        .write_all(&Package::close_notice().to_bytes())
        .unwrap();
    assert_eq!(attack.finish(), reason::CLOSED_FROM_OTHER_END);
}
