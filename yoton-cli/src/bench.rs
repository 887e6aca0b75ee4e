//! `yoton bench`: throughput and round trips of yoton over TCP (publisher
//! and subscriber in two processes) and in-process, next to the same bytes
//! over plain TCP sockets as the baseline, and round trips next to the
//! floors: plain sockets that both ends busy-poll (`raw-tcp-spin`), and two
//! threads spinning on a crossbeam channel (`raw-inproc`); and req/rep
//! calls (`reqrep`) next to the round trip of the same transport. With
//! `--secret-file`, each `tcp` case is followed by the same case over a
//! secured link (`tcp-secured`). On request only, one publisher feeding
//! several subscriber processes over TCP (`--pattern fanout`), and one
//! context with many TCP connections (`--pattern connections`); both run
//! over plain TCP, and refuse `--secret-file`.
//!
//! The flags and the JSON fields are a contract (scripts compare runs):
//! `{"results": [{"transport", "pattern", "size", "messages", "msgs_per_s",
//! "bytes_per_s", "rtt_us_p50", "rtt_us_p99", "cpu_s_per_1000", "subs",
//! "deliveries_per_s", "peers", "setup_s", "rss_kib_per_connection",
//! "threads", "broadcast_ms"}, ...]}`, with `null` for the fields that do
//! not apply to a pattern.
//!
//! `cpu_s_per_1000` is the CPU time (user and system, all threads) of both
//! ends per 1,000 round trips: this process's over the round trips, plus,
//! for the two-process cases, what the peer measures of itself from its
//! first echo to its last (it says so on its stdout). Where the platform
//! has no process CPU clock it is `null`.
//!
//! A `reqrep` row has the fields of a `roundtrip` row: its round trip is a
//! whole call (`echo(seq, data)` with `size` bytes of data, answered by a
//! `RepChannel`, in the second process over TCP and IPC), so its
//! `rtt_us_p50` compares directly with the `roundtrip` row of the same
//! transport just before it.
//!
//! A one-way run counts from the first message sent to the moment the
//! subscriber has all of them (it says so on its stdout, or, in-process,
//! on a channel). Every message carries its sequence number in its first
//! bytes, and the subscriber checks count, order and size. A round trip
//! sends one message and waits for it to come back before the next.
//!
//! A fan-out row (`fanout`) is one publisher in this process and `subs`
//! subscriber processes over TCP, each on a connection of its own: a bound
//! connection hosts one peer, so the publisher's context binds once per
//! subscriber. Each subscriber checks its messages as the one-way
//! subscriber does. The clock starts once every subscriber said it is
//! ready and every connection is up, and stops when the last subscriber
//! has all of them; `messages` counts per subscriber, and
//! `deliveries_per_s` is `subs` times `messages` over that time. Only
//! `subs` and `deliveries_per_s` are measured for it (the other rates and
//! `cpu_s_per_1000` are `null`), and only it has them. `--pattern fanout`
//! measures 1, 4 and 16 subscribers unless `--subs N` says; the default
//! run has no fan-out, which would make it too long.
//!
//! A connections row (`connections`) is one hub context in this process
//! bound `peers` times over TCP, and as many peer contexts, each with a
//! `SubChannel` and a connection of its own, shared among up to 8
//! processes ([`connections`]). It measures what the connections cost:
//! `setup_s`, the seconds from the first bind until every connection is
//! up; `threads`, the threads of this process once they are (the bench's
//! own few included); `rss_kib_per_connection`, what its resident memory
//! grew by over that time, in KiB per connection (both from
//! `/proc/self/status`: `null` where there is none, off Linux); and
//! `broadcast_ms`, the milliseconds from the hub publishing one message
//! (`size` bytes, `messages` 1) until the last peer has it. The other rates are `null`, and only it has
//! these. `--pattern connections` connects 1000 peers unless `--peers N`
//! says; the default run has none of it. A context passes on to its other
//! connections what one of them brings, so each peer's `NEW_CONNECTION`
//! announcement goes through the hub to every other peer: `peers` times
//! `peers - 1` packages, which the hub is still sending while the row is
//! measured. The broadcast competes with them, and grows faster than the
//! number of peers.
//!
//! For the TCP cases the binary starts itself (`yoton bench-peer`, a hidden
//! subcommand) as the other process (one per subscriber for a fan-out,
//! up to 8 for connections); the children are always reaped, and every
//! wait has a deadline.

mod channels;
mod connections;
mod peer;
mod raw;
mod table;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::args::{BenchArgs, BenchPattern, BenchTransport};
use crate::failure::Failure;

pub(crate) use peer::run_peer;
use table::table;

/// The most any one case may take before it is given up.
pub(crate) const CASE_DEADLINE: Duration = Duration::from_secs(120);

/// The message sizes measured one way by default.
const DEFAULT_SIZES: [u64; 3] = [8, 1024, 1024 * 1024];

/// The size of the round trip measured by default.
const ROUNDTRIP_SIZE: u64 = 8;

/// The subscriber counts a fan-out measures when `--subs` does not say.
const DEFAULT_SUBS: [u16; 3] = [1, 4, 16];

/// The size of a fan-out's messages unless `--size` says.
const FANOUT_SIZE: u64 = 8;

/// The peer contexts a connections case connects when `--peers` does not
/// say.
const DEFAULT_PEERS: u16 = 1000;

/// The size of the message a connections case broadcasts unless `--size`
/// says.
const CONNECTIONS_SIZE: u64 = 8;

/// The bytes a package takes on the wire besides its data.
const HEADER_SIZE: u64 = yoton_cli::setups::wire::HEADER_SIZE as u64;

/// The base name of the channels a bench uses.
pub(crate) const CHANNEL: &str = "yoton-bench";

/// One line of the results.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct BenchResult {
    /// `tcp`, `tcp-secured`, `tcp-busy-poll`, `inproc`, `ipc`, `raw-tcp`,
    /// `raw-tcp-spin` or `raw-inproc`.
    pub(crate) transport: &'static str,
    /// `oneway`, `roundtrip`, `reqrep`, `fanout` or `connections`.
    pub(crate) pattern: &'static str,
    /// Data bytes per message.
    pub(crate) size: u64,
    /// Messages sent (one way, to each subscriber of a fan-out, and to each
    /// peer of a connections case), round trips or calls made.
    pub(crate) messages: u64,
    /// Messages (or round trips) per second.
    pub(crate) msgs_per_s: Option<f64>,
    /// Data bytes per second, one way only.
    pub(crate) bytes_per_s: Option<f64>,
    /// Median round trip, in microseconds.
    pub(crate) rtt_us_p50: Option<f64>,
    /// 99th percentile round trip, in microseconds.
    pub(crate) rtt_us_p99: Option<f64>,
    /// CPU seconds of both ends per 1,000 round trips.
    pub(crate) cpu_s_per_1000: Option<f64>,
    /// Subscriber processes of a fan-out.
    pub(crate) subs: Option<u16>,
    /// Messages all subscribers of a fan-out received per second, together.
    pub(crate) deliveries_per_s: Option<f64>,
    /// Peer contexts connected to the hub of a connections case.
    pub(crate) peers: Option<u16>,
    /// Seconds from the hub's first bind until all its connections were up.
    pub(crate) setup_s: Option<f64>,
    /// What the hub's resident memory grew by while setting up, in KiB per
    /// connection.
    pub(crate) rss_kib_per_connection: Option<f64>,
    /// The threads of the hub's process once set up.
    pub(crate) threads: Option<u64>,
    /// Milliseconds until every peer had the hub's one message.
    pub(crate) broadcast_ms: Option<f64>,
}

#[derive(Serialize)]
struct Report<'a> {
    results: &'a [BenchResult],
}

/// What a case measured, before it becomes a [`BenchResult`].
pub(crate) enum Measured {
    /// All messages went one way in this time.
    Oneway(Duration),
    /// The round trip times, one per message, and the CPU time both ends
    /// used for them (if known).
    Roundtrip(Vec<Duration>, Option<Duration>),
    /// Every subscriber of a fan-out had all messages this long after the
    /// first was sent.
    Fanout(Duration),
    /// What a connections case found.
    Connections(connections::Costs),
}

/// One thing to measure.
#[derive(Clone, Debug)]
pub(crate) struct Case {
    pub(crate) transport: BenchTransport,
    pub(crate) pattern: BenchPattern,
    pub(crate) size: u64,
    pub(crate) messages: u64,
    /// The subscriber processes of a fan-out; `None` for other patterns.
    pub(crate) subs: Option<u16>,
    /// The peer contexts of a connections case; `None` for other patterns.
    pub(crate) peers: Option<u16>,
    /// The secret file of a `tcp-secured` case.
    pub(crate) secret_file: Option<PathBuf>,
}

impl Case {
    fn describe(&self) -> String {
        if let Some(peers) = self.peers {
            let s = if peers == 1 { "" } else { "s" };
            return format!(
                "{} {} to {peers} peer{s}",
                transport_name(self.transport),
                pattern_name(self.pattern)
            );
        }
        let to = match self.subs {
            Some(1) => " to 1 subscriber".to_owned(),
            Some(subs) => format!(" to {subs} subscribers"),
            None => String::new(),
        };
        format!(
            "{} {} {} x {}{to}",
            transport_name(self.transport),
            pattern_name(self.pattern),
            human_size(self.size),
            self.messages
        )
    }

    fn result(&self, measured: Measured) -> BenchResult {
        let mut result = BenchResult {
            transport: transport_name(self.transport),
            pattern: pattern_name(self.pattern),
            size: self.size,
            messages: self.messages,
            msgs_per_s: None,
            bytes_per_s: None,
            rtt_us_p50: None,
            rtt_us_p99: None,
            cpu_s_per_1000: None,
            subs: None,
            deliveries_per_s: None,
            peers: None,
            setup_s: None,
            rss_kib_per_connection: None,
            threads: None,
            broadcast_ms: None,
        };
        match measured {
            Measured::Oneway(elapsed) => {
                let secs = elapsed.as_secs_f64().max(1e-9);
                result.msgs_per_s = Some(self.messages as f64 / secs);
                result.bytes_per_s = Some((self.messages * self.size) as f64 / secs);
            }
            // A call is timed as a round trip.
            Measured::Roundtrip(mut rtts, cpu) => {
                rtts.sort_unstable();
                let total: Duration = rtts.iter().sum();
                let secs = total.as_secs_f64().max(1e-9);
                result.msgs_per_s = Some(rtts.len() as f64 / secs);
                result.rtt_us_p50 = Some(percentile_us(&rtts, 0.50));
                result.rtt_us_p99 = Some(percentile_us(&rtts, 0.99));
                let count = rtts.len().max(1) as f64;
                result.cpu_s_per_1000 = cpu.map(|cpu| cpu.as_secs_f64() / count * 1000.0);
            }
            Measured::Fanout(elapsed) => {
                let subs = self.subs.unwrap_or(1);
                let secs = elapsed.as_secs_f64().max(1e-9);
                result.subs = Some(subs);
                result.deliveries_per_s = Some(f64::from(subs) * self.messages as f64 / secs);
            }
            Measured::Connections(costs) => {
                let peers = self.peers.unwrap_or(1);
                result.peers = Some(peers);
                result.setup_s = Some(costs.setup.as_secs_f64());
                result.rss_kib_per_connection = costs
                    .rss_growth_kib
                    .map(|growth| growth as f64 / f64::from(peers.max(1)));
                result.threads = costs.threads;
                result.broadcast_ms = Some(costs.broadcast.as_secs_f64() * 1e3);
            }
        }
        result
    }
}

/// The value at `fraction` of sorted durations, in microseconds.
fn percentile_us(sorted: &[Duration], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[index.min(sorted.len() - 1)].as_secs_f64() * 1e6
}

pub(crate) fn transport_name(transport: BenchTransport) -> &'static str {
    match transport {
        BenchTransport::Tcp => "tcp",
        BenchTransport::TcpSecured => "tcp-secured",
        BenchTransport::TcpBusyPoll => "tcp-busy-poll",
        BenchTransport::Inproc => "inproc",
        BenchTransport::Ipc => "ipc",
        BenchTransport::RawTcp => "raw-tcp",
        BenchTransport::RawTcpSpin => "raw-tcp-spin",
        BenchTransport::RawInproc => "raw-inproc",
        BenchTransport::All => "all",
    }
}

/// Whether `transport` measures only round trips and calls (the floors, and
/// the busy-polled links, whose point is latency).
fn roundtrip_only(transport: BenchTransport) -> bool {
    matches!(
        transport,
        BenchTransport::RawTcpSpin | BenchTransport::RawInproc | BenchTransport::TcpBusyPoll
    )
}

fn pattern_name(pattern: BenchPattern) -> &'static str {
    match pattern {
        BenchPattern::Oneway => "oneway",
        BenchPattern::Roundtrip => "roundtrip",
        BenchPattern::Reqrep => "reqrep",
        BenchPattern::Fanout => "fanout",
        BenchPattern::Connections => "connections",
    }
}

/// Whether `transport` carries req/rep calls (yoton's own transports).
fn has_reqrep(transport: BenchTransport) -> bool {
    matches!(
        transport,
        BenchTransport::Tcp
            | BenchTransport::TcpSecured
            | BenchTransport::TcpBusyPoll
            | BenchTransport::Ipc
            | BenchTransport::Inproc
    )
}

fn human_size(size: u64) -> String {
    if size >= 1 << 20 && size % (1 << 20) == 0 {
        format!("{} MiB", size >> 20)
    } else if size >= 1 << 10 && size % (1 << 10) == 0 {
        format!("{} KiB", size >> 10)
    } else {
        format!("{size} B")
    }
}

/// How many messages a case sends unless `--messages` says: enough wire
/// bytes to take about a second at the baseline's speed (a fan-out: to
/// each subscriber, whatever the size), fewer with `--quick`.
fn default_messages(pattern: BenchPattern, size: u64, quick: bool) -> u64 {
    match pattern {
        BenchPattern::Roundtrip | BenchPattern::Reqrep if quick => 2_000,
        BenchPattern::Roundtrip | BenchPattern::Reqrep => 20_000,
        BenchPattern::Fanout if quick => 20_000,
        BenchPattern::Fanout => 200_000,
        BenchPattern::Connections => 1,
        BenchPattern::Oneway => {
            let (budget, most) = if quick {
                (512u64 << 20, 1_000_000)
            } else {
                (4u64 << 30, 5_000_000)
            };
            (budget / (size + HEADER_SIZE)).clamp(100, most)
        }
    }
}

/// The cases of a run, in the order they are measured: per case the
/// baselines first, each next to what it is compared with (`raw-tcp` and
/// `raw-tcp-spin` before `tcp`, `raw-inproc` before `inproc`, and a
/// transport's `reqrep` right after its `roundtrip`), so that each ratio
/// compares neighbouring measurements. `--pattern reqrep` keeps the
/// round trips of the transports that have req/rep, for that comparison;
/// `--pattern fanout` and `--pattern connections` are planned apart
/// ([`fanout_plan`], [`connections_plan`]).
///
/// # Errors
///
/// A line saying why, when the flags leave nothing to measure or ask for
/// what does not exist (`--subs` without `--pattern fanout`, `--peers`
/// without `--pattern connections`, `--secret-file` with either of them).
fn plan(args: &BenchArgs) -> Result<Vec<Case>, String> {
    if args.subs.is_some() && args.pattern != Some(BenchPattern::Fanout) {
        return Err("--subs needs --pattern fanout".to_owned());
    }
    if args.peers.is_some() && args.pattern != Some(BenchPattern::Connections) {
        return Err("--peers needs --pattern connections".to_owned());
    }
    if let Some(pattern @ (BenchPattern::Fanout | BenchPattern::Connections)) = args.pattern {
        if args.secret_file.is_some() {
            return Err(format!(
                "--secret-file does not apply to --pattern {}, which runs over plain tcp",
                pattern_name(pattern)
            ));
        }
    }
    match args.pattern {
        Some(BenchPattern::Fanout) => return fanout_plan(args),
        Some(BenchPattern::Connections) => return connections_plan(args),
        _ => {}
    }
    let transports: Vec<BenchTransport> = match args.transport {
        BenchTransport::All => vec![
            BenchTransport::RawTcp,
            BenchTransport::RawTcpSpin,
            BenchTransport::Tcp,
            BenchTransport::TcpBusyPoll,
            BenchTransport::RawInproc,
            BenchTransport::Inproc,
        ],
        BenchTransport::Tcp if args.secret_file.is_some() => {
            vec![BenchTransport::Tcp, BenchTransport::TcpSecured]
        }
        one => vec![one],
    };
    // Secured TCP right after plain TCP, when a secret is given.
    let transports: Vec<BenchTransport> = transports
        .into_iter()
        .flat_map(|transport| {
            let secured = transport == BenchTransport::Tcp
                && args.transport == BenchTransport::All
                && args.secret_file.is_some();
            std::iter::once(transport).chain(secured.then_some(BenchTransport::TcpSecured))
        })
        .collect();
    let mut shapes: Vec<(BenchPattern, u64)> = Vec::new();
    match args.size {
        Some(size) => {
            shapes.push((BenchPattern::Oneway, size));
            shapes.push((BenchPattern::Roundtrip, size));
        }
        None => {
            shapes.extend(DEFAULT_SIZES.map(|size| (BenchPattern::Oneway, size)));
            shapes.push((BenchPattern::Roundtrip, ROUNDTRIP_SIZE));
        }
    }
    let only = args.pattern;
    let calls = only.is_none_or(|only| only == BenchPattern::Reqrep);
    shapes.retain(|(pattern, _)| {
        only.is_none_or(|only| {
            only == *pattern
                || (only == BenchPattern::Reqrep && *pattern == BenchPattern::Roundtrip)
        })
    });
    let mut cases = Vec::new();
    for (pattern, size) in shapes {
        for &transport in &transports {
            if pattern == BenchPattern::Oneway && roundtrip_only(transport) {
                continue;
            }
            let case = |pattern| Case {
                transport,
                pattern,
                size,
                messages: args
                    .messages
                    .unwrap_or_else(|| default_messages(pattern, size, args.quick)),
                subs: None,
                peers: None,
                secret_file: (transport == BenchTransport::TcpSecured)
                    .then(|| args.secret_file.clone())
                    .flatten(),
            };
            if pattern != BenchPattern::Roundtrip {
                cases.push(case(pattern));
                continue;
            }
            if only != Some(BenchPattern::Reqrep) || has_reqrep(transport) {
                cases.push(case(BenchPattern::Roundtrip));
            }
            if calls && has_reqrep(transport) {
                cases.push(case(BenchPattern::Reqrep));
            }
        }
    }
    if cases.is_empty() {
        let why = if only == Some(BenchPattern::Reqrep) {
            "has no req/rep (tcp, ipc and inproc have)"
        } else {
            "measures round trips only"
        };
        return Err(format!(
            "nothing to measure: {} {why}",
            transport_name(args.transport)
        ));
    }
    Ok(cases)
}

/// The cases of `--pattern fanout`: one per subscriber count (`--subs`, or
/// [`DEFAULT_SUBS`] in that order), over plain `tcp` only (which `all`
/// means here).
///
/// # Errors
///
/// A line saying why, for any other transport.
fn fanout_plan(args: &BenchArgs) -> Result<Vec<Case>, String> {
    if !matches!(args.transport, BenchTransport::Tcp | BenchTransport::All) {
        return Err(format!(
            "nothing to measure: {} has no fan-out (tcp has)",
            transport_name(args.transport)
        ));
    }
    let size = args.size.unwrap_or(FANOUT_SIZE);
    let messages = args
        .messages
        .unwrap_or_else(|| default_messages(BenchPattern::Fanout, size, args.quick));
    let subs = match args.subs {
        Some(subs) => vec![subs],
        None => DEFAULT_SUBS.to_vec(),
    };
    Ok(subs
        .into_iter()
        .map(|subs| Case {
            transport: BenchTransport::Tcp,
            pattern: BenchPattern::Fanout,
            size,
            messages,
            subs: Some(subs),
            peers: None,
            secret_file: None,
        })
        .collect())
}

/// The case of `--pattern connections`: `--peers` peer contexts (or
/// [`DEFAULT_PEERS`]), over plain `tcp` only (which `all` means here), one
/// message of `--size` bytes (or [`CONNECTIONS_SIZE`]) broadcast.
///
/// # Errors
///
/// A line saying why, for any other transport, and for `--messages`: the
/// broadcast is one message.
fn connections_plan(args: &BenchArgs) -> Result<Vec<Case>, String> {
    if !matches!(args.transport, BenchTransport::Tcp | BenchTransport::All) {
        return Err(format!(
            "nothing to measure: --pattern connections runs over tcp only, not {}",
            transport_name(args.transport)
        ));
    }
    if args.messages.is_some() {
        return Err(
            "--messages does not apply to --pattern connections, which broadcasts one message"
                .to_owned(),
        );
    }
    Ok(vec![Case {
        transport: BenchTransport::Tcp,
        pattern: BenchPattern::Connections,
        size: args.size.unwrap_or(CONNECTIONS_SIZE),
        messages: default_messages(BenchPattern::Connections, 0, args.quick),
        subs: None,
        peers: Some(args.peers.unwrap_or(DEFAULT_PEERS)),
        secret_file: None,
    }])
}

/// Runs `yoton bench`.
pub(crate) fn run(args: &BenchArgs) -> Result<(), Failure> {
    let cases = plan(args).map_err(Failure::error)?;
    match &args.secret_file {
        // A bad secret file ends the run before anything is measured.
        Some(path) => drop(crate::session::read_secret(path)?),
        None if args.transport == BenchTransport::TcpSecured => {
            return Err(Failure::error(
                "--transport tcp-secured needs --secret-file FILE (see `yoton keygen`)",
            ));
        }
        None => {}
    }
    let mut progress = Progress::new(cases.len());
    let mut results = Vec::with_capacity(cases.len());
    for case in &cases {
        progress.show(case);
        let measured = match case.transport {
            BenchTransport::RawTcp => raw::measure(case),
            BenchTransport::RawTcpSpin => raw::measure_spin(case),
            BenchTransport::RawInproc => raw::measure_inproc(case),
            BenchTransport::Tcp | BenchTransport::TcpSecured | BenchTransport::TcpBusyPoll => {
                channels::measure_tcp(case)
            }
            BenchTransport::Ipc => channels::measure_ipc(case),
            BenchTransport::Inproc => channels::measure_inproc(case),
            BenchTransport::All => Err("`all` is not one transport".to_owned()),
        }
        .map_err(|e| {
            progress.clear();
            Failure::error(format!("bench {}: {e}", case.describe()))
        })?;
        results.push(case.result(measured));
    }
    progress.clear();
    if args.json {
        let text = serde_json::to_string(&Report { results: &results })
            .map_err(|e| Failure::error(format!("cannot write JSON: {e}")))?;
        println!("{text}");
    } else {
        print!("{}", table(&results));
    }
    Ok(())
}

/// The progress of a run on stderr: a bar (indicatif) on a terminal, one
/// plain line per case otherwise (for logs and scripts).
struct Progress {
    total: usize,
    done: usize,
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    fn new(total: usize) -> Progress {
        let shown = crate::session::shows_notes() && std::io::stderr().is_terminal();
        let bar = shown.then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            let style = indicatif::ProgressStyle::with_template(
                "yoton: bench [{bar:30}] {pos}/{len} {elapsed} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar
        });
        Progress {
            total,
            done: 0,
            bar,
        }
    }

    fn show(&mut self, case: &Case) {
        self.done += 1;
        match &self.bar {
            Some(bar) => {
                bar.set_position(self.done as u64 - 1);
                bar.set_message(case.describe());
            }
            None => crate::session::note(&format!(
                "bench [{}/{}] {}",
                self.done,
                self.total,
                case.describe()
            )),
        }
    }

    fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests;
