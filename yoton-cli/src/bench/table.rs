//! The human-readable table of `yoton bench`: one column per field the
//! rows have, and how many round trips a call takes.

use super::{BenchResult, human_size};

/// A right-aligned column of the table, after the transport and the
/// pattern.
struct Column {
    title: &'static str,
    width: usize,
    /// The rows that have it.
    rows: Rows,
    /// The cell of a row; `None` shows as `-`.
    cell: fn(&BenchResult) -> Option<String>,
}

/// Which rows a column is for; it is shown when one of them is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rows {
    /// Every row.
    All,
    /// The rows measured over one connection (and a fan-out's, which
    /// leaves them empty).
    Streams,
    /// Fan-out rows.
    Fanout,
    /// Connections rows.
    Connections,
}

/// The columns of the table, in order.
const COLUMNS: [Column; 14] = [
    Column {
        title: "SIZE",
        width: 8,
        rows: Rows::All,
        cell: |r| Some(human_size(r.size)),
    },
    Column {
        title: "SUBS",
        width: 5,
        rows: Rows::Fanout,
        cell: |r| r.subs.map(|v| v.to_string()),
    },
    Column {
        title: "MESSAGES",
        width: 10,
        rows: Rows::All,
        cell: |r| Some(r.messages.to_string()),
    },
    Column {
        title: "MSG/S",
        width: 14,
        rows: Rows::Streams,
        cell: |r| r.msgs_per_s.map(|v| format!("{v:.0}")),
    },
    Column {
        title: "DELIV/S",
        width: 14,
        rows: Rows::Fanout,
        cell: |r| r.deliveries_per_s.map(|v| format!("{v:.0}")),
    },
    Column {
        title: "MB/S",
        width: 12,
        rows: Rows::Streams,
        cell: |r| r.bytes_per_s.map(|v| format!("{:.1}", v / 1e6)),
    },
    Column {
        title: "RTT P50",
        width: 10,
        rows: Rows::Streams,
        cell: |r| r.rtt_us_p50.map(|v| format!("{v:.1} us")),
    },
    Column {
        title: "RTT P99",
        width: 10,
        rows: Rows::Streams,
        cell: |r| r.rtt_us_p99.map(|v| format!("{v:.1} us")),
    },
    Column {
        title: "CPU/1000 RT",
        width: 12,
        rows: Rows::Streams,
        cell: |r| r.cpu_s_per_1000.map(|v| format!("{v:.4} s")),
    },
    Column {
        title: "PEERS",
        width: 6,
        rows: Rows::Connections,
        cell: |r| r.peers.map(|v| v.to_string()),
    },
    Column {
        title: "SETUP",
        width: 10,
        rows: Rows::Connections,
        cell: |r| r.setup_s.map(|v| format!("{v:.3} s")),
    },
    Column {
        title: "RSS/CONN",
        width: 11,
        rows: Rows::Connections,
        cell: |r| r.rss_kib_per_connection.map(|v| format!("{v:.1} KiB")),
    },
    Column {
        title: "THREADS",
        width: 8,
        rows: Rows::Connections,
        cell: |r| r.threads.map(|v| v.to_string()),
    },
    Column {
        title: "BROADCAST",
        width: 11,
        rows: Rows::Connections,
        cell: |r| r.broadcast_ms.map(|v| format!("{v:.2} ms")),
    },
];

/// The human-readable table of the results: the columns of the rows there
/// are (a connections case, planned apart, has none of the rates of one
/// connection, and its table shows only its own).
pub(super) fn table(results: &[BenchResult]) -> String {
    let width = results
        .iter()
        .map(|r| r.transport.len())
        .max()
        .unwrap_or(0)
        .max(8);
    let pattern_width = results
        .iter()
        .map(|r| r.pattern.len())
        .max()
        .unwrap_or(0)
        .max(9);
    let shown = |rows: Rows| match rows {
        Rows::All => true,
        Rows::Streams => results.is_empty() || results.iter().any(|r| r.peers.is_none()),
        Rows::Fanout => results.iter().any(|r| r.subs.is_some()),
        Rows::Connections => results.iter().any(|r| r.peers.is_some()),
    };
    let columns: Vec<&Column> = COLUMNS.iter().filter(|c| shown(c.rows)).collect();
    let line = |transport: &str, pattern: &str, cells: Vec<String>| {
        let mut line = format!("{transport:<width$} {pattern:<pattern_width$}");
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
pub(super) fn call_ratios(results: &[BenchResult]) -> Vec<String> {
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
