//! Many connections to one context (`connections`): what they cost the
//! context that hosts them, and how long one message takes to reach them
//! all.
//!
//! The hub (in the bench's process) binds once per peer, since a bound
//! connection hosts one peer, and shares the addresses out among up to
//! [`MAX_PROCESSES`] peer processes, about as many to each. A peer process
//! makes a context, a `SubChannel<Bytes>` and a connection for each of its
//! addresses, says `ready` once all of them are connected, and `done` once
//! every one of its subscribers has the message. The setup time, threads
//! and memory are the hub process's own; the broadcast ends with the last
//! `done`.

use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use yoton::{ConnectOptions, Connection, Context, PubChannel, SubChannel};
use yoton_cli::setups::channels::{receive_all, send_all};

use super::peer::{ADDRESSES_ON_STDIN, Peer, expect_all, say};
use super::{CASE_DEADLINE, CHANNEL, Case, Measured};
use crate::args::BenchPeerArgs;

/// The most peer processes a connections case starts: enough to connect
/// in parallel, few enough that the peers are mostly contexts, not
/// processes.
const MAX_PROCESSES: usize = 8;

/// How long a peer context waits for its connection, handshake included.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What the connections of a case cost the hub, and the broadcast.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Costs {
    /// From the first bind until every connection was up.
    pub(crate) setup: Duration,
    /// The hub process's threads once set up; `None` where unknown.
    pub(crate) threads: Option<u64>,
    /// What the hub process's resident memory grew by while setting up,
    /// in KiB; `None` where unknown.
    pub(crate) rss_growth_kib: Option<i64>,
    /// From the message sent until the last peer had it.
    pub(crate) broadcast: Duration,
}

/// Measures a connections case: bind at `bind` once per peer, and the peer
/// processes connect to the addresses `reach` gives. Set up once every
/// peer process said all its peers are connected and every one of the
/// hub's connections is; then one message is broadcast.
pub(super) fn measure(
    case: &Case,
    bind: &str,
    reach: impl Fn(&dyn Connection) -> String,
) -> Result<Measured, String> {
    let deadline = Instant::now() + CASE_DEADLINE;
    let peers = usize::from(case.peers.unwrap_or(1));
    let context = yoton::context();
    let publisher = PubChannel::<Bytes>::new(&context, CHANNEL).map_err(|e| e.to_string())?;
    let before = ProcessStatus::read();
    let start = Instant::now();
    let mut bound: Vec<Arc<dyn Connection>> = Vec::with_capacity(peers);
    for index in 0..peers {
        let connection = context
            .bind(bind)
            .map_err(|e| format!("cannot bind connection {} of {peers}: {e}", index + 1))?;
        bound.push(connection);
    }
    let addresses: Vec<String> = bound
        .iter()
        .map(|connection| reach(&**connection))
        .collect();
    // Dropping the processes (on any error below) kills and reaps them all.
    let processes = shares(peers, MAX_PROCESSES)
        .map(|share| Peer::start_connections(case, &addresses[share]))
        .collect::<Result<Vec<_>, _>>()?;
    expect_all(&processes, "ready", deadline)?;
    for (index, connection) in bound.iter().enumerate() {
        let wait = deadline.saturating_duration_since(Instant::now());
        connection
            .wait_connected(wait)
            .map_err(|e| format!("connection {} of {peers} is not up: {e}", index + 1))?;
    }
    let setup = start.elapsed();
    let after = ProcessStatus::read();
    let sent = Instant::now();
    send_all(&publisher, case.size, case.messages)?;
    let end = expect_all(&processes, "done", deadline)?;
    context.close();
    for process in processes {
        process.finish()?;
    }
    Ok(Measured::Connections(Costs {
        setup,
        threads: after.threads,
        rss_growth_kib: after.rss_growth_since(before),
        broadcast: end.saturating_duration_since(sent),
    }))
}

/// `count` items shared out in order among at most `most` takers: one
/// contiguous range each, their lengths at most one apart, none empty.
fn shares(count: usize, most: usize) -> impl Iterator<Item = Range<usize>> {
    let takers = count.min(most);
    (0..takers).map(move |taker| count * taker / takers..count * (taker + 1) / takers)
}

/// One peer of a connections case, in a peer process; its context and
/// connection are held until the process ends.
struct PeerEnd {
    sub: SubChannel<Bytes>,
    _context: Context,
    _connection: Arc<dyn Connection>,
}

/// `yoton bench-peer --pattern connections --address - --peers N`: for
/// each of the N addresses on stdin a context, a subscriber and a
/// connection; says `ready` once all are connected, and `done` once every
/// subscriber has the messages.
pub(super) fn peer(args: &BenchPeerArgs, deadline: Instant) -> Result<(), String> {
    if args.address != ADDRESSES_ON_STDIN {
        return Err(format!(
            "the addresses of --pattern connections come on stdin (--address {ADDRESSES_ON_STDIN}), \
             not {}",
            args.address
        ));
    }
    let expected = args.peers.ok_or("--pattern connections needs --peers N")?;
    // The bench writes them at once and closes the pipe; it kills this
    // process if it never does.
    let text = std::io::read_to_string(std::io::stdin())
        .map_err(|e| format!("cannot read the addresses: {e}"))?;
    let addresses = parse_addresses(&text, usize::from(expected))?;
    let mut ends = Vec::with_capacity(addresses.len());
    for address in addresses {
        let context = yoton::context();
        let sub = SubChannel::<Bytes>::new(&context, CHANNEL).map_err(|e| e.to_string())?;
        let wait = CONNECT_TIMEOUT.min(deadline.saturating_duration_since(Instant::now()));
        let connection = context
            .connect_with(address, &ConnectOptions::new().timeout(wait))
            .map_err(|e| format!("cannot connect to {address}: {e}"))?;
        ends.push(PeerEnd {
            sub,
            _context: context,
            _connection: connection,
        });
    }
    say("ready");
    let total = ends.len();
    for (index, end) in ends.iter().enumerate() {
        receive_all(&end.sub, args.size, args.messages, deadline)
            .map_err(|e| format!("peer {} of {total}: {e}", index + 1))?;
    }
    say("done");
    // The process ends next, and its sockets with it: the hub sees each
    // connection closed from this end. Closing the contexts first, one
    // after the other, would wait for the hub to answer each close, which
    // it does slowly while its receiving threads pass every peer's
    // `NEW_CONNECTION` on to all the others (seconds for 1000 peers).
    std::mem::forget(ends);
    Ok(())
}

/// The addresses in `text`, one a line (empty lines skipped), which must
/// be `expected` many.
fn parse_addresses(text: &str, expected: usize) -> Result<Vec<&str>, String> {
    let addresses: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    if addresses.len() != expected {
        return Err(format!(
            "{} addresses on stdin, not {expected}",
            addresses.len()
        ));
    }
    Ok(addresses)
}

/// This process's threads and resident memory, as `/proc/self/status`
/// says them (Linux only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ProcessStatus {
    threads: Option<u64>,
    rss_kib: Option<u64>,
}

impl ProcessStatus {
    /// Reads it now; all `None` off Linux, or if the file cannot be read.
    fn read() -> ProcessStatus {
        if !cfg!(target_os = "linux") {
            return ProcessStatus::default();
        }
        std::fs::read_to_string("/proc/self/status")
            .map(|text| ProcessStatus::parse(&text))
            .unwrap_or_default()
    }

    /// The `Threads:` and `VmRSS:` (in `kB`, which are KiB) lines of the
    /// file's `text`.
    fn parse(text: &str) -> ProcessStatus {
        let mut status = ProcessStatus::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let mut words = value.split_whitespace();
            let number = words.next().and_then(|word| word.parse::<u64>().ok());
            match (key, words.next()) {
                ("Threads", None) => status.threads = number,
                ("VmRSS", Some("kB")) => status.rss_kib = number,
                _ => {}
            }
        }
        status
    }

    /// How many KiB the resident memory grew by since `before` (less than
    /// 0 if it shrank).
    fn rss_growth_since(self, before: ProcessStatus) -> Option<i64> {
        let now = i64::try_from(self.rss_kib?).ok()?;
        let then = i64::try_from(before.rss_kib?).ok()?;
        Some(now - then)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_are_shared_out_evenly_and_in_order() {
        let lengths =
            |count, most| -> Vec<usize> { shares(count, most).map(|r| r.len()).collect() };
        assert_eq!(lengths(1000, 8), [125; 8]);
        assert_eq!(lengths(3, 8), [1, 1, 1]);
        assert_eq!(lengths(1, 8), [1]);
        assert_eq!(lengths(10, 8), [1, 1, 1, 2, 1, 1, 1, 2]);
        assert_eq!(shares(0, 8).count(), 0);
        for (count, most) in [(10_000, 8), (20, 8), (9, 8), (7, 8)] {
            let ranges: Vec<Range<usize>> = shares(count, most).collect();
            assert_eq!(ranges.len(), count.min(most));
            assert_eq!(ranges[0].start, 0);
            assert_eq!(ranges[ranges.len() - 1].end, count);
            for pair in ranges.windows(2) {
                assert_eq!(pair[0].end, pair[1].start);
            }
            let (short, long) = (
                ranges.iter().map(Range::len).min().unwrap(),
                ranges.iter().map(Range::len).max().unwrap(),
            );
            assert!(short >= 1 && long - short <= 1, "{count} in {most}");
        }
    }

    #[test]
    fn a_peer_process_takes_exactly_the_addresses_it_was_told_of() {
        let text = "tcp://127.0.0.1:4001\ntcp://127.0.0.1:4002\r\n\n";
        assert_eq!(
            parse_addresses(text, 2).unwrap(),
            ["tcp://127.0.0.1:4001", "tcp://127.0.0.1:4002"]
        );
        assert_eq!(
            parse_addresses(text, 3).unwrap_err(),
            "2 addresses on stdin, not 3"
        );
        assert_eq!(
            parse_addresses("", 1).unwrap_err(),
            "0 addresses on stdin, not 1"
        );
    }

    #[test]
    fn the_status_file_gives_threads_and_resident_kib() {
        let text = "Name:\tyoton\nVmPeak:\t  900000 kB\nVmRSS:\t   12345 kB\nRssAnon:\t 8000 kB\n\
                    Threads:\t2011\nSigQ:\t0/96362\n";
        let status = ProcessStatus::parse(text);
        assert_eq!(
            status,
            ProcessStatus {
                threads: Some(2011),
                rss_kib: Some(12345)
            }
        );
        let before = ProcessStatus {
            threads: Some(3),
            rss_kib: Some(12000),
        };
        assert_eq!(status.rss_growth_since(before), Some(345));
        assert_eq!(before.rss_growth_since(status), Some(-345));
        assert_eq!(status.rss_growth_since(ProcessStatus::default()), None);
        assert_eq!(
            ProcessStatus::parse("VmRSS: 12 MB\nThreads: many\n"),
            ProcessStatus::default()
        );
        let now = ProcessStatus::read();
        if cfg!(target_os = "linux") {
            assert!(now.threads.is_some_and(|threads| threads >= 1), "{now:?}");
            assert!(now.rss_kib.is_some_and(|kib| kib > 0), "{now:?}");
        } else {
            assert_eq!(now, ProcessStatus::default());
        }
    }
}
