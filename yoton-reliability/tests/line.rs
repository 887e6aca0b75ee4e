//! A line of three contexts, A - B - C, with B in its own process: A sends
//! 1 GiB in messages of mixed sizes (9 bytes to 1 MiB) that B forwards to
//! C, which checks each against the sender's generator: nothing lost,
//! repeated, reordered or damaged. A checksum of the whole stream is
//! compared at both ends as well.

use std::thread;
use std::time::{Duration, Instant};

use yoton::{PubChannel, SubChannel};
use yoton_reliability::memory::Memory;
use yoton_reliability::process::PeerProcess;
use yoton_reliability::wire::{Stream, checksum};
use yoton_reliability::{SOON, soak};

const PEER: &str = env!("CARGO_BIN_EXE_yoton-peer");

#[test]
fn a_line_of_three_contexts_forwards_1_gib_intact() {
    let total: u64 = if soak() { 16 << 30 } else { 1 << 30 };
    let seed = 23;
    let max = 1 << 20;
    let mut b = PeerProcess::spawn(
        PEER,
        &["hub", "2"],
        Duration::from_secs(if soak() { 3600 } else { 300 }),
    );
    let ports: Vec<u16> = b
        .expect("PORTS", SOON)
        .split(' ')
        .map(|p| p.parse().unwrap())
        .collect();
    let b_baseline = b.expect_number("RSS", SOON);

    let c = yoton::context();
    let inbox = SubChannel::<bytes::Bytes>::new(&c, "line").unwrap();
    // The reader holds the sender back when it lags.
    inbox.set_sync_mode(true).unwrap();
    let c_conn = c.connect(&format!("localhost:{}", ports[1])).unwrap();

    let a = yoton::context();
    let out = PubChannel::<bytes::Bytes>::new(&a, "line").unwrap();
    let a_conn = a.connect(&format!("localhost:{}", ports[0])).unwrap();

    let start = Instant::now();
    let sender = thread::Builder::new()
        .name("line-a".to_owned())
        .spawn(move || {
            let stream = Stream::new(seed, max);
            let (mut i, mut sent, mut sum) = (0u64, 0u64, 0u64);
            while sent < total {
                let message = stream.message(i);
                sent += message.len() as u64;
                sum = sum.rotate_left(7) ^ checksum(&message);
                out.send_bytes(message).unwrap();
                i += 1;
            }
            // The marker: the next message of the stream, not counted. A
            // repeated or extra message would come before it.
            out.send_bytes(stream.message(i)).unwrap();
            a_conn.flush(SOON).unwrap();
            (i, sent, sum, out, a_conn)
        })
        .unwrap();

    let expected = Stream::new(seed, max);
    let (mut next, mut bytes, mut sum) = (0u64, 0u64, 0u64);
    while bytes < total {
        let message = inbox.recv_timeout(SOON).unwrap();
        assert!(
            expected.check(next, &message),
            "message {next} lost, repeated, reordered or damaged (got number {:?})",
            Stream::number_of(&message)
        );
        sum = sum.rotate_left(7) ^ checksum(&message);
        bytes += message.len() as u64;
        next += 1;
    }
    let (count, sent, sent_sum, _out, a_conn) = sender.join().unwrap();
    let took = start.elapsed();
    assert_eq!((next, bytes, sum), (count, sent, sent_sum));
    let marker = inbox.recv_timeout(SOON).unwrap();
    assert!(
        expected.check(next, &marker),
        "more than sent: got number {:?} where the marker {next} was due",
        Stream::number_of(&marker)
    );
    assert_eq!(inbox.dropped(), 0);

    a_conn.close(None);
    c_conn.close(None);
    let b_peak = b.expect_number("HWM", SOON);
    let (status, _) = b.wait_exit(SOON);
    assert!(status.success(), "{status:?}");
    println!(
        "{bytes} bytes in {count} messages A -> B -> C in {took:?} ({:.0} MiB/s); B peak {b_peak} KiB (baseline {b_baseline} KiB); A and C's process {:?}",
        bytes as f64 / took.as_secs_f64() / 1048576.0,
        Memory::of_self().map(|m| m.to_string())
    );
}
