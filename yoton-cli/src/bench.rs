//! `yoton bench`: throughput and round trips of yoton over TCP (publisher
//! and subscriber in two processes) and in-process, next to the same bytes
//! over plain TCP sockets as the baseline, and round trips next to the
//! floors: plain sockets that both ends busy-poll (`raw-tcp-spin`), and two
//! threads spinning on a crossbeam channel (`raw-inproc`); and req/rep
//! calls (`reqrep`) next to the round trip of the same transport. With
//! `--secret-file`, each `tcp` case is followed by the same case over a
//! secured link (`tcp-secured`). On request only, one publisher feeding
//! several subscriber processes over TCP (`--pattern fanout`).
//!
//! The flags and the JSON fields are a contract (scripts compare runs):
//! `{"results": [{"transport", "pattern", "size", "messages", "msgs_per_s",
//! "bytes_per_s", "rtt_us_p50", "rtt_us_p99", "cpu_s_per_1000", "subs",
//! "deliveries_per_s"}, ...]}`, with `null` for the fields that do not
//! apply to a pattern.
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
//! For the TCP cases the binary starts itself (`yoton bench-peer`, a hidden
//! subcommand) as the other process (one per subscriber for a fan-out);
//! the children are always reaped, and every wait has a deadline.

mod channels;
mod peer;
mod raw;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::args::{BenchArgs, BenchPattern, BenchTransport};
use crate::failure::Failure;

pub(crate) use peer::run_peer;

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

/// The bytes a package takes on the wire besides its data.
const HEADER_SIZE: u64 = yoton_cli::setups::wire::HEADER_SIZE as u64;

/// The base name of the channels a bench uses.
pub(crate) const CHANNEL: &str = "yoton-bench";

/// One line of the results.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct BenchResult {
    /// `tcp`, `tcp-secured`, `inproc`, `ipc`, `raw-tcp`, `raw-tcp-spin`
    /// or `raw-inproc`.
    pub(crate) transport: &'static str,
    /// `oneway`, `roundtrip`, `reqrep` or `fanout`.
    pub(crate) pattern: &'static str,
    /// Data bytes per message.
    pub(crate) size: u64,
    /// Messages sent (one way, and to each subscriber of a fan-out), round
    /// trips or calls made.
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
    /// The secret file of a `tcp-secured` case.
    pub(crate) secret_file: Option<PathBuf>,
}

impl Case {
    fn describe(&self) -> String {
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
/// `--pattern fanout` is planned apart ([`fanout_plan`]).
///
/// # Errors
///
/// A line saying why, when the flags leave nothing to measure or ask for
/// what does not exist (`--subs` without `--pattern fanout`).
fn plan(args: &BenchArgs) -> Result<Vec<Case>, String> {
    if args.pattern == Some(BenchPattern::Fanout) {
        return fanout_plan(args);
    }
    if args.subs.is_some() {
        return Err("--subs needs --pattern fanout".to_owned());
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
/// [`DEFAULT_SUBS`] in that order), over `tcp` only (which `all` means
/// here).
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
            secret_file: None,
        })
        .collect())
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
            BenchTransport::All => unreachable!("plan() expands `all`"),
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

/// A right-aligned column of the table, after the transport and the
/// pattern.
struct Column {
    title: &'static str,
    width: usize,
    /// Shown only when a row is a fan-out.
    fanout: bool,
    /// The cell of a row; `None` shows as `-`.
    cell: fn(&BenchResult) -> Option<String>,
}

/// The columns of the table, in order.
const COLUMNS: [Column; 9] = [
    Column {
        title: "SIZE",
        width: 8,
        fanout: false,
        cell: |r| Some(human_size(r.size)),
    },
    Column {
        title: "SUBS",
        width: 5,
        fanout: true,
        cell: |r| r.subs.map(|v| v.to_string()),
    },
    Column {
        title: "MESSAGES",
        width: 10,
        fanout: false,
        cell: |r| Some(r.messages.to_string()),
    },
    Column {
        title: "MSG/S",
        width: 14,
        fanout: false,
        cell: |r| r.msgs_per_s.map(|v| format!("{v:.0}")),
    },
    Column {
        title: "DELIV/S",
        width: 14,
        fanout: true,
        cell: |r| r.deliveries_per_s.map(|v| format!("{v:.0}")),
    },
    Column {
        title: "MB/S",
        width: 12,
        fanout: false,
        cell: |r| r.bytes_per_s.map(|v| format!("{:.1}", v / 1e6)),
    },
    Column {
        title: "RTT P50",
        width: 10,
        fanout: false,
        cell: |r| r.rtt_us_p50.map(|v| format!("{v:.1} us")),
    },
    Column {
        title: "RTT P99",
        width: 10,
        fanout: false,
        cell: |r| r.rtt_us_p99.map(|v| format!("{v:.1} us")),
    },
    Column {
        title: "CPU/1000 RT",
        width: 12,
        fanout: false,
        cell: |r| r.cpu_s_per_1000.map(|v| format!("{v:.4} s")),
    },
];

/// The human-readable table of the results.
fn table(results: &[BenchResult]) -> String {
    let width = results
        .iter()
        .map(|r| r.transport.len())
        .max()
        .unwrap_or(0)
        .max(8);
    let fanout = results.iter().any(|r| r.subs.is_some());
    let columns: Vec<&Column> = COLUMNS.iter().filter(|c| fanout || !c.fanout).collect();
    let line = |transport: &str, pattern: &str, cells: Vec<String>| {
        let mut line = format!("{transport:<width$} {pattern:<9}");
        for (column, cell) in columns.iter().zip(cells) {
            line.push_str(&format!(" {cell:>0$}", column.width));
        }
        line.push('\n');
        line
    };
    let titles = columns.iter().map(|c| c.title.to_owned()).collect();
    let mut out = line("TRANSP.", "PATTERN", titles);
    for r in results {
        let cells = columns
            .iter()
            .map(|c| (c.cell)(r).unwrap_or_else(|| "-".to_owned()))
            .collect();
        out.push_str(&line(r.transport, r.pattern, cells));
    }
    for line in call_ratios(results) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// For each `reqrep` row with a `roundtrip` row of the same transport and
/// size: how many round trips a call takes, at the median and at p99.
fn call_ratios(results: &[BenchResult]) -> Vec<String> {
    let mut lines = Vec::new();
    for call in results.iter().filter(|r| r.pattern == "reqrep") {
        let Some(roundtrip) = results.iter().find(|r| {
            r.pattern == "roundtrip" && r.transport == call.transport && r.size == call.size
        }) else {
            continue;
        };
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:.2}x", a / b),
            _ => "-".to_owned(),
        };
        lines.push(format!(
            "{} {}: a req/rep call takes {} the pub/sub round trip at p50, {} at p99",
            call.transport,
            human_size(call.size),
            ratio(call.rtt_us_p50, roundtrip.rtt_us_p50),
            ratio(call.rtt_us_p99, roundtrip.rtt_us_p99),
        ));
    }
    lines
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
mod tests {
    use super::*;

    fn args(transport: BenchTransport, size: Option<u64>, quick: bool) -> BenchArgs {
        BenchArgs {
            transport,
            size,
            messages: None,
            pattern: None,
            subs: None,
            quick,
            json: true,
            secret_file: None,
        }
    }

    #[test]
    fn the_default_plan_covers_every_transport_and_case() {
        let cases = plan(&args(BenchTransport::All, None, false)).unwrap();
        assert_eq!(cases.len(), 18);
        let oneway: Vec<u64> = cases
            .iter()
            .filter(|c| c.pattern == BenchPattern::Oneway && c.transport == BenchTransport::Tcp)
            .map(|c| c.size)
            .collect();
        assert_eq!(oneway, DEFAULT_SIZES);
        let roundtrips = cases
            .iter()
            .filter(|c| c.pattern == BenchPattern::Roundtrip)
            .count();
        assert_eq!(roundtrips, 6);
        let no_oneway: Vec<&str> = cases
            .iter()
            .filter(|c| roundtrip_only(c.transport))
            .map(|c| transport_name(c.transport))
            .collect();
        assert_eq!(
            no_oneway,
            [
                "raw-tcp-spin",
                "tcp-busy-poll",
                "tcp-busy-poll",
                "raw-inproc"
            ]
        );
        // Each call right after the round trip it is compared with.
        let order: Vec<(&str, &str)> = cases
            .iter()
            .filter(|c| c.pattern != BenchPattern::Oneway)
            .map(|c| (transport_name(c.transport), pattern_name(c.pattern)))
            .collect();
        assert_eq!(
            order,
            [
                ("raw-tcp", "roundtrip"),
                ("raw-tcp-spin", "roundtrip"),
                ("tcp", "roundtrip"),
                ("tcp", "reqrep"),
                ("tcp-busy-poll", "roundtrip"),
                ("tcp-busy-poll", "reqrep"),
                ("raw-inproc", "roundtrip"),
                ("inproc", "roundtrip"),
                ("inproc", "reqrep"),
            ]
        );
        let small = cases.iter().find(|c| c.size == 8).unwrap().messages;
        let large = cases.iter().find(|c| c.size == 1 << 20).unwrap().messages;
        assert!(small > 100 * large, "{small} vs {large}");
    }

    #[test]
    fn quick_sends_fewer_and_size_narrows_the_plan() {
        let full = plan(&args(BenchTransport::Tcp, Some(100), false)).unwrap();
        let quick = plan(&args(BenchTransport::Tcp, Some(100), true)).unwrap();
        assert_eq!(full.len(), 3);
        assert!(full.iter().all(|c| c.size == 100));
        for (quick, full) in quick.iter().zip(&full) {
            assert!(quick.messages < full.messages);
        }
        let mut only = args(BenchTransport::All, None, true);
        only.pattern = Some(BenchPattern::Roundtrip);
        let cases = plan(&only).unwrap();
        assert_eq!(cases.len(), 6);
        assert!(cases.iter().all(|c| c.pattern == BenchPattern::Roundtrip));
        only.pattern = Some(BenchPattern::Reqrep);
        let cases: Vec<(&str, &str)> = plan(&only)
            .unwrap()
            .iter()
            .map(|c| (transport_name(c.transport), pattern_name(c.pattern)))
            .collect();
        assert_eq!(
            cases,
            [
                ("tcp", "roundtrip"),
                ("tcp", "reqrep"),
                ("tcp-busy-poll", "roundtrip"),
                ("tcp-busy-poll", "reqrep"),
                ("inproc", "roundtrip"),
                ("inproc", "reqrep"),
            ]
        );
        let mut raw = args(BenchTransport::RawTcp, None, true);
        raw.pattern = Some(BenchPattern::Reqrep);
        assert_eq!(
            plan(&raw).unwrap_err(),
            "nothing to measure: raw-tcp has no req/rep (tcp, ipc and inproc have)"
        );
        let spin = plan(&args(BenchTransport::RawTcpSpin, Some(100), true)).unwrap();
        assert_eq!(spin.len(), 1);
        assert_eq!(
            (spin[0].pattern, spin[0].size),
            (BenchPattern::Roundtrip, 100)
        );
        let mut oneway = args(BenchTransport::RawInproc, None, true);
        oneway.pattern = Some(BenchPattern::Oneway);
        assert_eq!(
            plan(&oneway).unwrap_err(),
            "nothing to measure: raw-inproc measures round trips only"
        );
    }

    #[test]
    fn a_secret_file_puts_secured_tcp_right_after_each_tcp_case() {
        let mut secured = args(BenchTransport::All, None, true);
        secured.secret_file = Some(PathBuf::from("k"));
        let cases = plan(&secured).unwrap();
        assert_eq!(cases.len(), 18 + 5);
        for (i, case) in cases.iter().enumerate() {
            if case.transport == BenchTransport::TcpSecured {
                let plain = cases[..i]
                    .iter()
                    .rev()
                    .find(|c| c.transport != BenchTransport::TcpSecured)
                    .unwrap();
                assert_eq!(plain.transport, BenchTransport::Tcp);
                assert_eq!(case.secret_file.as_deref(), Some(std::path::Path::new("k")));
            } else {
                assert_eq!(case.secret_file, None);
            }
        }
        let names: Vec<&str> = cases
            .iter()
            .filter(|c| c.size == 8 && c.pattern == BenchPattern::Roundtrip)
            .map(|c| transport_name(c.transport))
            .collect();
        assert_eq!(
            names,
            [
                "raw-tcp",
                "raw-tcp-spin",
                "tcp",
                "tcp-secured",
                "tcp-busy-poll",
                "raw-inproc",
                "inproc"
            ]
        );
        secured.transport = BenchTransport::Tcp;
        assert_eq!(plan(&secured).unwrap().len(), 10);
        secured.transport = BenchTransport::TcpSecured;
        assert!(
            plan(&secured)
                .unwrap()
                .iter()
                .all(|c| c.transport == BenchTransport::TcpSecured)
        );
        assert!(
            plan(&args(BenchTransport::All, None, true))
                .unwrap()
                .iter()
                .all(|c| c.transport != BenchTransport::TcpSecured)
        );
    }

    #[test]
    fn the_table_widens_for_long_transport_names_only() {
        let row = |transport| BenchResult {
            transport,
            pattern: "roundtrip",
            size: 8,
            messages: 10,
            msgs_per_s: Some(1.0),
            bytes_per_s: None,
            rtt_us_p50: Some(1.0),
            rtt_us_p99: Some(2.0),
            cpu_s_per_1000: Some(0.5),
            subs: None,
            deliveries_per_s: None,
        };
        let short = table(&[row("inproc")]);
        assert!(
            short
                .lines()
                .nth(1)
                .unwrap()
                .starts_with("inproc   roundtrip")
        );
        let mut call = row("inproc");
        call.pattern = "reqrep";
        call.rtt_us_p50 = Some(2.5);
        call.rtt_us_p99 = Some(3.0);
        let with_call = table(&[row("inproc"), call]);
        assert_eq!(
            with_call.lines().last().unwrap(),
            "inproc 8 B: a req/rep call takes 2.50x the pub/sub round trip at p50, 1.50x at p99"
        );
        let long = table(&[row("inproc"), row("raw-tcp-spin")]);
        let lines: Vec<&str> = long.lines().collect();
        assert!(lines[1].starts_with("inproc       roundtrip"), "{long}");
        assert!(lines[2].starts_with("raw-tcp-spin roundtrip"), "{long}");
        assert!(lines[2].ends_with("0.5000 s"), "{long}");
        assert!(
            !long.contains("SUBS") && !long.contains("DELIV/S"),
            "{long}"
        );
    }

    #[test]
    fn the_table_shows_fan_out_columns_when_a_row_has_them() {
        let fanout = BenchResult {
            transport: "tcp",
            pattern: "fanout",
            size: 8,
            messages: 2000,
            msgs_per_s: None,
            bytes_per_s: None,
            rtt_us_p50: None,
            rtt_us_p99: None,
            cpu_s_per_1000: None,
            subs: Some(16),
            deliveries_per_s: Some(1234567.8),
        };
        let text = table(&[fanout]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        let titles: Vec<&str> = lines[0].split_whitespace().collect();
        assert_eq!(
            titles,
            [
                "TRANSP.", "PATTERN", "SIZE", "SUBS", "MESSAGES", "MSG/S", "DELIV/S", "MB/S",
                "RTT", "P50", "RTT", "P99", "CPU/1000", "RT"
            ]
        );
        let cells: Vec<&str> = lines[1].split_whitespace().collect();
        assert_eq!(
            cells,
            [
                "tcp", "fanout", "8", "B", "16", "2000", "-", "1234568", "-", "-", "-", "-"
            ]
        );
        // Each cell ends under the end of its title.
        let end_of = |line: &str, text: &str| line.find(text).map(|at| at + text.len());
        assert_eq!(end_of(lines[0], "SUBS"), end_of(lines[1], " 16"));
        assert_eq!(end_of(lines[0], "DELIV/S"), end_of(lines[1], "1234568"));
    }

    #[test]
    fn results_leave_what_does_not_apply_empty() {
        let case = Case {
            transport: BenchTransport::Inproc,
            pattern: BenchPattern::Oneway,
            size: 8,
            messages: 1000,
            subs: None,
            secret_file: None,
        };
        let r = case.result(Measured::Oneway(Duration::from_millis(1)));
        assert_eq!(r.msgs_per_s, Some(1_000_000.0));
        assert_eq!(r.bytes_per_s, Some(8_000_000.0));
        assert_eq!((r.rtt_us_p50, r.rtt_us_p99), (None, None));
        assert_eq!(r.cpu_s_per_1000, None);
        let rtts = (1..=100).map(Duration::from_micros).collect();
        let cpu = Some(Duration::from_millis(5));
        let r = case.result(Measured::Roundtrip(rtts, cpu));
        assert_eq!(r.rtt_us_p50, Some(51.0));
        assert_eq!(r.rtt_us_p99, Some(99.0));
        assert_eq!(r.bytes_per_s, None);
        assert!((r.cpu_s_per_1000.unwrap() - 0.05).abs() < 1e-12);
        assert_eq!((r.subs, r.deliveries_per_s), (None, None));
    }

    #[test]
    fn a_fan_out_result_counts_the_deliveries_of_every_subscriber() {
        let case = Case {
            transport: BenchTransport::Tcp,
            pattern: BenchPattern::Fanout,
            size: 8,
            messages: 1000,
            subs: Some(4),
            secret_file: None,
        };
        let r = case.result(Measured::Fanout(Duration::from_millis(1)));
        assert_eq!((r.transport, r.pattern), ("tcp", "fanout"));
        assert_eq!((r.size, r.messages, r.subs), (8, 1000, Some(4)));
        assert_eq!(r.deliveries_per_s, Some(4_000_000.0));
        assert_eq!((r.msgs_per_s, r.bytes_per_s), (None, None));
        assert_eq!((r.rtt_us_p50, r.rtt_us_p99), (None, None));
        assert_eq!(r.cpu_s_per_1000, None);
    }

    fn fanout(transport: BenchTransport, subs: Option<u16>) -> BenchArgs {
        let mut fanout = args(transport, None, false);
        fanout.pattern = Some(BenchPattern::Fanout);
        fanout.subs = subs;
        fanout
    }

    #[test]
    fn fanout_measures_one_four_and_sixteen_subscribers_unless_told() {
        let cases = plan(&fanout(BenchTransport::Tcp, None)).unwrap();
        let subs: Vec<Option<u16>> = cases.iter().map(|c| c.subs).collect();
        assert_eq!(subs, [Some(1), Some(4), Some(16)]);
        for case in &cases {
            assert_eq!(case.transport, BenchTransport::Tcp);
            assert_eq!(case.pattern, BenchPattern::Fanout);
            assert_eq!((case.size, case.messages), (8, 200_000));
            assert_eq!(case.secret_file, None);
        }
        let mut quick = fanout(BenchTransport::All, None);
        quick.quick = true;
        let cases = plan(&quick).unwrap();
        assert_eq!(cases.len(), 3);
        assert!(cases.iter().all(|c| c.transport == BenchTransport::Tcp));
        assert!(cases.iter().all(|c| c.messages == 20_000));
        // `--subs`, `--size` and `--messages` narrow it to one case; `all`
        // is plain tcp here, secret or not.
        let mut one = fanout(BenchTransport::All, Some(3));
        one.size = Some(100);
        one.messages = Some(2000);
        one.secret_file = Some(PathBuf::from("k"));
        let cases = plan(&one).unwrap();
        assert_eq!(cases.len(), 1);
        let case = &cases[0];
        assert_eq!(
            (case.transport, case.pattern, case.subs),
            (BenchTransport::Tcp, BenchPattern::Fanout, Some(3))
        );
        assert_eq!((case.size, case.messages), (100, 2000));
        assert_eq!(case.secret_file, None);
        assert_eq!(case.describe(), "tcp fanout 100 B x 2000 to 3 subscribers");
        let cases = plan(&fanout(BenchTransport::Tcp, Some(1))).unwrap();
        assert_eq!(
            cases[0].describe(),
            "tcp fanout 8 B x 200000 to 1 subscriber"
        );
    }

    #[test]
    fn fanout_only_exists_on_request_and_over_tcp() {
        for transport in [BenchTransport::All, BenchTransport::Tcp] {
            let cases = plan(&args(transport, None, false)).unwrap();
            assert!(!cases.is_empty());
            assert!(
                cases
                    .iter()
                    .all(|c| c.pattern != BenchPattern::Fanout && c.subs.is_none())
            );
        }
        for pattern in [None, Some(BenchPattern::Oneway), Some(BenchPattern::Reqrep)] {
            let mut subs = args(BenchTransport::Tcp, None, false);
            subs.pattern = pattern;
            subs.subs = Some(3);
            assert_eq!(
                plan(&subs).unwrap_err(),
                "--subs needs --pattern fanout",
                "{pattern:?}"
            );
        }
        for (transport, name) in [
            (BenchTransport::Inproc, "inproc"),
            (BenchTransport::RawTcp, "raw-tcp"),
            (BenchTransport::Ipc, "ipc"),
            (BenchTransport::TcpSecured, "tcp-secured"),
            (BenchTransport::RawInproc, "raw-inproc"),
        ] {
            for subs in [None, Some(2)] {
                assert_eq!(
                    plan(&fanout(transport, subs)).unwrap_err(),
                    format!("nothing to measure: {name} has no fan-out (tcp has)")
                );
            }
        }
    }
}
