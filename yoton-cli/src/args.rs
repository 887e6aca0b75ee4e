//! The command line: subcommands, flags and their help texts.
//!
//! The names of the commands and flags are a contract with scripts and
//! other tools; change them only together with the tests.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Send and receive yoton messages from a shell, or take a guided tour.
///
/// Exit codes: 0 success, 1 the other side did not do its part (the
/// replier of a `call` raised, or the peer of `pub` went away before all
/// of its input was handed over), 2 bad input or a failed connection, 3 a
/// wait ran out (`--max-wait`, `--wait-peer`, `--timeout`).
///
/// Diagnostics go to stderr: `-v` shows what the library reports (`-vv`
/// and `-vvv` more), `-q` only errors; `RUST_LOG` (such as
/// `RUST_LOG=yoton_core=debug`) overrides both for the library's log.
#[derive(Debug, Parser)]
#[command(name = "yoton", version)]
pub(crate) struct Cli {
    /// More diagnostics on stderr (repeat for more).
    #[arg(short, long, action = clap::ArgAction::Count, global = true, conflicts_with = "quiet")]
    pub(crate) verbose: u8,
    /// Only errors on stderr: no status lines, no warnings.
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Receive the messages of a channel and print each on its own line.
    ///
    /// Text messages are printed as they are, binary ones as lowercase hex.
    /// Only messages go to stdout; everything else goes to stderr.
    Sub(SubArgs),
    /// Send each line of stdin as one message on a channel.
    ///
    /// With `--type bin` each line is hex (either case). Empty lines are
    /// skipped: yoton does not deliver empty messages. At the end of input
    /// everything is flushed and the connection closed cleanly.
    Pub(PubArgs),
    /// Call a method on a req/rep channel and print the result as JSON.
    ///
    /// SLOT is the channel's base name, as in Python's
    /// `yoton.ReqChannel(ctx, "reqp-introspect")`; the call goes to the first
    /// `RepChannel` of that name that takes it, as `METHOD(*ARGs, **kwargs)`.
    /// Only the result goes to stdout; everything else goes to stderr.
    ///
    /// Arguments: each ARG is one JSON value (quote it for the shell:
    /// `'"text"'`, `'[1, 2]'`; after `--`, ARGs may start with `-`).
    /// `--kwargs` is a JSON object. JSON becomes OBJECT as:
    ///   null -> None           true, false -> bool
    ///   integer -> int         (64-bit signed; one out of range exits 2)
    ///   other number -> float  string -> str
    ///   array -> list          object -> dict (str keys, in the order written)
    ///
    /// The result, on stdout as one line of compact JSON:
    ///   None -> null           bool -> true, false
    ///   int -> integer         float -> number with a fraction or an
    ///                          exponent (1.0, 1e300); NaN, inf and -inf
    ///                          as the strings "NaN", "Infinity", "-Infinity"
    ///   str -> string          list, tuple -> array
    ///   dict with only str keys -> object (in the dict's order)
    ///   any other dict -> array of [key, value] pairs (keys converted
    ///                          the same way)
    ///
    /// Waiting: a replier must take (acknowledge) the call within
    /// `--timeout` seconds (10 by default); until then the call is offered
    /// again every 0.5 s, so a replier that comes late still gets it. Once
    /// taken, the reply must come within `--timeout` seconds more. The
    /// command thus ends within about twice `--timeout`; give a slow method
    /// a larger `--timeout`. A connection that closes ends it at once.
    ///
    /// With `--bind` the command binds at ADDRESS, says on stderr where it
    /// waits (`yoton: waiting for a peer on ADDRESS`), waits for a peer (at
    /// most `--wait-peer` seconds, by default without limit), then calls.
    ///
    /// Exit codes:
    ///   0  the result is on stdout
    ///   1  the replier raised: its message on stderr, on one line
    ///      (`yoton: the replier failed: MESSAGE`)
    ///   2  bad input (arguments, JSON, address); a failed connection
    ///      (refused, port in use, closed before the reply, the replier
    ///      went away); or a reply that is not OBJECT
    ///   3  no replier took the call within `--timeout`; one took it but
    ///      did not reply within `--timeout` more; or, with `--bind`, no
    ///      peer came within `--wait-peer`
    #[command(verbatim_doc_comment)]
    Call(CallArgs),
    /// Join a network and print every package its context receives, one
    /// a line.
    ///
    /// Each line: the time (UTC), the source as `ID:SEQ`, the destination
    /// (`*` for everyone, or `ID` and `:SEQ` for a reply), the slot (its
    /// name when it is one of the `--slot` names or a well-known Pyzo
    /// channel, else its hash), the length, and a short preview of the data
    /// (text in quotes, else hex). It sees what reaches this context:
    /// connected to a host that passes packages on, the host's whole
    /// network. It connects (or binds) again when its peer goes, as `sub`
    /// does.
    #[command(verbatim_doc_comment)]
    Watch(WatchArgs),
    /// Print a shell completion script for bash, zsh or fish on stdout.
    ///
    /// For example: `yoton completions bash > ~/.local/share/bash-completion/completions/yoton`.
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on stdout: `yoton man | man -l -`.
    Man,
    /// Write a new random secret for secured links to FILE.
    ///
    /// The file holds 32 random bytes from the operating system and is
    /// readable by its owner only (mode 0600). An existing file is never
    /// overwritten: the command exits 2 instead. Give the same file to both
    /// peers with `--secret-file FILE`; see docs/SECURITY.md.
    Keygen(KeygenArgs),
    /// A guided tour: two contexts in this process talk over TCP on
    /// loopback, with every step explained.
    Demo,
    /// Measure throughput and round trips over TCP (to a second process),
    /// in-process, and over plain TCP sockets as the baseline.
    ///
    /// By default: every transport, 8 B, 1 KiB and 1 MiB messages one way,
    /// the 8-byte round trip, and (over yoton: `tcp`, `inproc`, `ipc`) a
    /// req/rep call with 8 bytes of data (`reqrep`, next to the round trip
    /// it is compared with), with two more round-trip baselines:
    /// `raw-tcp-spin` (plain sockets, both ends busy-polling) and
    /// `raw-inproc` (two threads spinning on a crossbeam channel). Prints a
    /// table, or with `--json` one JSON object `{"results": [...]}`;
    /// progress goes to stderr. `bytes_per_s` counts message data, not
    /// headers; `cpu_s_per_1000` is the CPU time of both ends per 1,000
    /// round trips (or calls). A `reqrep` row has the fields of a
    /// `roundtrip` row, its round trip being a whole call.
    ///
    /// Not in the default run (it takes too long): `--pattern fanout`, one
    /// publisher sending to `--subs` subscriber processes over TCP (1, 4
    /// and 16 by default), each receiving every message; its rows give
    /// `subs` and `deliveries_per_s`, the messages all subscribers
    /// together receive per second. Nor `--pattern connections`: one
    /// context in this process connected over TCP to `--peers` peer
    /// contexts (1000 by default) in up to 8 processes; its row gives
    /// `peers`, `setup_s` (until every connection is up),
    /// `rss_kib_per_connection` and `threads` (of this process, once set
    /// up; Linux only, `null` elsewhere) and `broadcast_ms` (one message
    /// to every peer).
    Bench(BenchArgs),
    /// The other end of a `yoton bench` run, started by `bench` itself.
    #[command(hide = true)]
    BenchPeer(BenchPeerArgs),
}

/// Where to meet the other side, shared by `sub` and `pub`.
#[derive(Debug, Args)]
pub(crate) struct Endpoint {
    /// Where to connect or bind: `host:port`, `tcp://host:port`,
    /// `localhost:name` (a hashed port), `localhost:name+1`, or
    /// `inproc://name` (only meaningful within one process). Port 0 with
    /// `--bind` picks a free port, reported on stderr.
    #[arg(value_name = "ADDRESS")]
    pub(crate) address: String,
    /// The channel's base name, as in Python's `yoton.SubChannel(ctx, "chat")`.
    #[arg(value_name = "SLOT")]
    pub(crate) slot: String,
    /// Bind at ADDRESS and wait for a peer, instead of connecting to it.
    #[arg(long)]
    pub(crate) bind: bool,
    /// The message type: `txt` (UTF-8 text) or `bin` (bytes, as hex).
    #[arg(long = "type", value_enum, default_value_t = MessageType::Txt)]
    pub(crate) kind: MessageType,
    /// Secure the link with the secret in FILE (written by `yoton
    /// keygen`): the peer must hold the same one. A wrong or missing secret
    /// on either side exits 2.
    #[arg(long, value_name = "FILE")]
    pub(crate) secret_file: Option<PathBuf>,
}

/// `yoton sub`.
#[derive(Debug, Args)]
pub(crate) struct SubArgs {
    /// Address, slot, `--bind` and `--type`.
    #[command(flatten)]
    pub(crate) endpoint: Endpoint,
    /// Exit 0 after this many messages (default: run until interrupted).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) count: Option<u64>,
    /// Exit 3 when this many seconds pass without a message (counted from
    /// the start, then from each message).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub(crate) max_wait: Option<Duration>,
}

/// `yoton pub`.
#[derive(Debug, Args)]
pub(crate) struct PubArgs {
    /// Address, slot, `--bind` and `--type`.
    #[command(flatten)]
    pub(crate) endpoint: Endpoint,
    /// With `--bind`: exit 3 if no peer came within this many seconds
    /// (default: wait without limit).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub(crate) wait_peer: Option<Duration>,
    /// Connect (or bind) again when the peer goes, and go on: lines read
    /// while no peer is connected wait in a bounded queue and go out after
    /// the reconnect (without it, a peer that goes away ends the command
    /// with exit 1, saying how many lines were not sent).
    #[arg(long)]
    pub(crate) reconnect: bool,
}

/// `yoton watch`.
#[derive(Debug, Args)]
pub(crate) struct WatchArgs {
    /// Where to connect or bind, as for `sub`.
    #[arg(value_name = "ADDRESS")]
    pub(crate) address: String,
    /// A channel base name to show by name (repeat it); the slots of its
    /// every type and pattern are named. Pyzo's channels are named always.
    #[arg(long = "slot", value_name = "NAME")]
    pub(crate) slots: Vec<String>,
    /// Bind at ADDRESS and wait for a peer, instead of connecting to it.
    #[arg(long)]
    pub(crate) bind: bool,
    /// Exit 0 after this many packages (default: run until interrupted).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) count: Option<u64>,
    /// Exit 3 when this many seconds pass without a package.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub(crate) max_wait: Option<Duration>,
    /// Secure the link with the secret in FILE (written by `yoton
    /// keygen`). A wrong or missing secret on either side exits 2.
    #[arg(long, value_name = "FILE")]
    pub(crate) secret_file: Option<PathBuf>,
}

/// `yoton completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub(crate) shell: Shell,
}

/// The shells `yoton completions` writes for.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Shell {
    /// GNU bash.
    Bash,
    /// The Z shell.
    Zsh,
    /// The friendly interactive shell.
    Fish,
}

/// `yoton call`.
#[derive(Debug, Args)]
pub(crate) struct CallArgs {
    /// Where to connect or bind: `host:port`, `tcp://host:port`,
    /// `localhost:name` (a hashed port), `localhost:name+1`, or
    /// `ipc://name`. Port 0 with `--bind` picks a free port, reported on
    /// stderr.
    #[arg(value_name = "ADDRESS")]
    pub(crate) address: String,
    /// The channel's base name, as in Python's
    /// `yoton.ReqChannel(ctx, "reqp-introspect")`.
    #[arg(value_name = "SLOT")]
    pub(crate) slot: String,
    /// The name of the method to call.
    #[arg(value_name = "METHOD")]
    pub(crate) method: String,
    /// The positional arguments, one JSON value each.
    #[arg(value_name = "ARG", allow_negative_numbers = true)]
    pub(crate) args: Vec<String>,
    /// The keyword arguments, as one JSON object.
    #[arg(long, value_name = "JSON")]
    pub(crate) kwargs: Option<String>,
    /// Exit 3 if no replier takes the call within this many seconds, or if
    /// the one that took it does not reply within as many more.
    #[arg(long, value_name = "SECS", value_parser = parse_call_timeout, default_value = "10")]
    pub(crate) timeout: Duration,
    /// Bind at ADDRESS and wait for a peer, instead of connecting to it.
    #[arg(long)]
    pub(crate) bind: bool,
    /// With `--bind`: exit 3 if no peer came within this many seconds
    /// (default: wait without limit).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, requires = "bind")]
    pub(crate) wait_peer: Option<Duration>,
    /// Secure the link with the secret in FILE (written by `yoton
    /// keygen`): the peer must hold the same one. A wrong or missing secret
    /// on either side exits 2.
    #[arg(long, value_name = "FILE")]
    pub(crate) secret_file: Option<PathBuf>,
}

/// `yoton keygen`.
#[derive(Debug, Args)]
pub(crate) struct KeygenArgs {
    /// The file to write; an existing file is never overwritten.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
}

/// `yoton bench`.
#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Which transport to measure: `tcp` (two processes), `inproc` (two
    /// contexts in this process), `raw-tcp` (plain sockets, two processes:
    /// the baseline), `raw-tcp-spin` (plain sockets busy-polled, two
    /// processes; round trips only), `raw-inproc` (two threads spinning on
    /// a crossbeam channel; round trips only) or `all`.
    #[arg(long, value_enum, default_value_t = BenchTransport::All)]
    pub(crate) transport: BenchTransport,
    /// Measure only messages of this many data bytes (one way and round
    /// trip; a fan-out's, and the one a connections case broadcasts, are 8
    /// bytes unless this says).
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..=MAX_BENCH_SIZE))]
    pub(crate) size: Option<u64>,
    /// Send this many messages per case, to each subscriber of a fan-out
    /// (default: adapted to the size; 200,000 for a fan-out, 20,000 with
    /// `--quick`). Not with `--pattern connections`, which sends one.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) messages: Option<u64>,
    /// Measure only one pattern: `oneway`, `roundtrip`, `reqrep`, `fanout`
    /// or `connections` (default: the first three). `reqrep` measures the
    /// `roundtrip` of the same transports too, next to it, for comparison.
    /// `fanout` is one publisher and `--subs` subscriber processes;
    /// `connections` is one context with `--peers` connections, and one
    /// message (of `--size` bytes, 8 by default) broadcast to them all.
    /// Both run over `tcp` only (with `all`, `tcp`) and are never part of
    /// the default run, which they would make too long.
    #[arg(long, value_enum)]
    pub(crate) pattern: Option<BenchPattern>,
    /// With `--pattern fanout`: this many subscriber processes, 1 to 256
    /// (default: 1, 4 and 16, one row each). An error without `--pattern
    /// fanout`.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=MAX_BENCH_SUBS))]
    pub(crate) subs: Option<u16>,
    /// With `--pattern connections`: this many peer contexts, each on a
    /// TCP connection of its own to this process, 1 to 10000 (default:
    /// 1000), shared among up to 8 peer processes. Each connection costs
    /// threads and file descriptors at both ends. An error without
    /// `--pattern connections`.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=MAX_BENCH_PEERS))]
    pub(crate) peers: Option<u16>,
    /// Fewer messages per case: the whole run takes well under a minute.
    #[arg(long)]
    pub(crate) quick: bool,
    /// Print one JSON object on stdout instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
    /// Measure secured TCP too, with the secret in FILE (written by `yoton
    /// keygen`): each `tcp` case is followed by the same case over a
    /// secured link, in rows with the transport `tcp-secured`. An error
    /// with `--pattern fanout` or `--pattern connections`, which run over
    /// plain TCP only.
    #[arg(long, value_name = "FILE")]
    pub(crate) secret_file: Option<PathBuf>,
}

/// The largest message `yoton bench` sends: 64 MiB, the default package
/// limit.
pub(crate) const MAX_BENCH_SIZE: u64 = 64 * 1024 * 1024;

/// The most subscriber processes `yoton bench --pattern fanout` starts.
pub(crate) const MAX_BENCH_SUBS: i64 = 256;

/// The most peer contexts `yoton bench --pattern connections` connects.
pub(crate) const MAX_BENCH_PEERS: i64 = 10_000;

/// What `yoton bench --transport` accepts.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum BenchTransport {
    /// yoton over TCP, publisher and subscriber in two processes.
    Tcp,
    /// yoton over secured TCP links (`--secret-file`), as `tcp`; with
    /// `all` or `tcp` it follows each `tcp` case when a secret is given.
    TcpSecured,
    /// yoton over TCP as `tcp`, with the low-latency option on at both
    /// ends: receiving threads poll their sockets for 200 us after each
    /// receive (`TcpOptions::with_busy_poll`); round trips and calls only.
    TcpBusyPoll,
    /// yoton in-process, two contexts in one process.
    Inproc,
    /// yoton over Unix domain sockets (`ipc://`), publisher and subscriber
    /// in two processes, as over TCP (not part of `all`).
    Ipc,
    /// The same bytes over plain TCP sockets, two processes.
    RawTcp,
    /// Round trips over plain TCP sockets that both ends busy-poll (the
    /// loopback floor), two processes.
    RawTcpSpin,
    /// Round trips between two threads spinning on a crossbeam channel
    /// (the in-process floor).
    RawInproc,
    /// All of the above.
    All,
}

/// The measurements of `yoton bench`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum BenchPattern {
    /// Messages one way, as fast as they go.
    Oneway,
    /// One message there and back at a time.
    Roundtrip,
    /// One req/rep call at a time: a `ReqChannel` calls `echo` on a
    /// `RepChannel` (in a second process over TCP and IPC), timed as a round
    /// trip.
    Reqrep,
    /// One publisher, several subscriber processes (`--subs`), each
    /// receiving every message; over `tcp` only.
    Fanout,
    /// One context with many connections (`--peers`), each to a peer
    /// context of its own in a few processes: what setting them up costs,
    /// and one message to them all; over `tcp` only.
    Connections,
}

/// `yoton bench-peer`: what the second process of a bench does.
#[derive(Debug, Args)]
pub(crate) struct BenchPeerArgs {
    /// `tcp`, `tcp-secured`, `tcp-busy-poll`, `ipc`, `raw-tcp` or
    /// `raw-tcp-spin`.
    #[arg(long, value_enum)]
    pub(crate) transport: BenchTransport,
    /// What to measure.
    #[arg(long, value_enum)]
    pub(crate) pattern: BenchPattern,
    /// Where the bench waits (`127.0.0.1:PORT`); `-` for the addresses
    /// read from stdin, one a line, up to its end (`--pattern
    /// connections`).
    #[arg(long)]
    pub(crate) address: String,
    /// Data bytes per message.
    #[arg(long)]
    pub(crate) size: u64,
    /// How many messages to expect.
    #[arg(long)]
    pub(crate) messages: u64,
    /// The secret of a `tcp-secured` case.
    #[arg(long, value_name = "FILE")]
    pub(crate) secret_file: Option<PathBuf>,
    /// With `--pattern connections`: how many addresses stdin holds, one
    /// peer context for each.
    #[arg(long, value_name = "N")]
    pub(crate) peers: Option<u16>,
}

/// The message types the shell can carry.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum MessageType {
    /// UTF-8 text, one message a line.
    Txt,
    /// Bytes, written as lowercase hex, one message a line.
    Bin,
}

/// Seconds as a non-negative decimal number (`2`, `0.5`).
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| format!("{text:?} is not a non-negative, finite number of seconds"))
}

/// The longest `--timeout` of `yoton call`: a day.
pub(crate) const MAX_CALL_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// Seconds, as [`parse_seconds`], at most [`MAX_CALL_TIMEOUT`].
fn parse_call_timeout(text: &str) -> Result<Duration, String> {
    let timeout = parse_seconds(text)?;
    if timeout > MAX_CALL_TIMEOUT {
        return Err(format!(
            "{text:?} is more than a day ({} seconds)",
            MAX_CALL_TIMEOUT.as_secs()
        ));
    }
    Ok(timeout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn flags_parse_into_their_values() {
        let cli = Cli::try_parse_from([
            "yoton",
            "sub",
            "localhost:0",
            "chat",
            "--bind",
            "--count",
            "3",
            "--type",
            "bin",
            "--max-wait",
            "1.5",
        ])
        .unwrap();
        let Command::Sub(sub) = cli.command else {
            panic!("not sub: {cli:?}");
        };
        assert!(sub.endpoint.bind);
        assert_eq!(sub.endpoint.kind, MessageType::Bin);
        assert_eq!(sub.count, Some(3));
        assert_eq!(sub.max_wait, Some(Duration::from_millis(1500)));
    }

    #[test]
    fn bench_flags_parse_into_their_values() {
        let cli = Cli::try_parse_from([
            "yoton",
            "bench",
            "--transport",
            "raw-tcp",
            "--size",
            "1024",
            "--messages",
            "10",
            "--quick",
            "--json",
        ])
        .unwrap();
        let Command::Bench(bench) = cli.command else {
            panic!("not bench: {cli:?}");
        };
        assert_eq!(bench.transport, BenchTransport::RawTcp);
        assert_eq!(bench.size, Some(1024));
        assert_eq!(bench.messages, Some(10));
        assert!(bench.quick && bench.json);
        let cli = Cli::try_parse_from(["yoton", "bench"]).unwrap();
        let Command::Bench(bench) = cli.command else {
            panic!("not bench: {cli:?}");
        };
        assert_eq!(bench.transport, BenchTransport::All);
        assert_eq!((bench.size, bench.messages), (None, None));
        assert_eq!((bench.pattern, bench.subs), (None, None));
        assert!(!bench.quick && !bench.json);
        let cli = Cli::try_parse_from(["yoton", "bench", "--pattern", "fanout", "--subs", "256"])
            .unwrap();
        let Command::Bench(bench) = cli.command else {
            panic!("not bench: {cli:?}");
        };
        assert_eq!(bench.pattern, Some(BenchPattern::Fanout));
        assert_eq!(bench.subs, Some(256));
        assert_eq!(bench.peers, None);
        let cli = Cli::try_parse_from([
            "yoton",
            "bench",
            "--pattern",
            "connections",
            "--peers",
            "10000",
        ])
        .unwrap();
        let Command::Bench(bench) = cli.command else {
            panic!("not bench: {cli:?}");
        };
        assert_eq!(bench.pattern, Some(BenchPattern::Connections));
        assert_eq!((bench.peers, bench.subs), (Some(10_000), None));
    }

    #[test]
    fn call_flags_parse_into_their_values() {
        let cli = Cli::try_parse_from([
            "yoton",
            "call",
            "localhost:0",
            "reqp-introspect",
            "add",
            "-1",
            "[2]",
            "--kwargs",
            "{}",
            "--timeout",
            "0.25",
            "--bind",
            "--wait-peer",
            "3",
        ])
        .unwrap();
        let Command::Call(call) = cli.command else {
            panic!("not call: {cli:?}");
        };
        assert_eq!(
            (
                call.address.as_str(),
                call.slot.as_str(),
                call.method.as_str()
            ),
            ("localhost:0", "reqp-introspect", "add")
        );
        assert_eq!(call.args, ["-1", "[2]"]);
        assert_eq!(call.kwargs.as_deref(), Some("{}"));
        assert_eq!(call.timeout, Duration::from_millis(250));
        assert!(call.bind);
        assert_eq!(call.wait_peer, Some(Duration::from_secs(3)));
        let cli = Cli::try_parse_from(["yoton", "call", "a:1", "s", "m"]).unwrap();
        let Command::Call(call) = cli.command else {
            panic!("not call: {cli:?}");
        };
        assert!(call.args.is_empty() && call.kwargs.is_none() && !call.bind);
        assert_eq!(call.timeout, Duration::from_secs(10));
    }

    #[test]
    fn bad_numbers_are_refused() {
        for args in [
            &["yoton", "sub", "a:1", "s", "--count", "0"][..],
            &["yoton", "sub", "a:1", "s", "--max-wait", "-1"],
            &["yoton", "pub", "a:1", "s", "--wait-peer", "soon"],
            &["yoton", "pub", "a:1", "s", "--type", "obj"],
            &["yoton", "bench", "--size", "0"],
            &["yoton", "bench", "--messages", "0"],
            &["yoton", "bench", "--transport", "udp"],
            &["yoton", "bench", "--pattern", "fanout", "--subs", "0"],
            &["yoton", "bench", "--pattern", "fanout", "--subs", "257"],
            &["yoton", "bench", "--pattern", "connections", "--peers", "0"],
            &[
                "yoton",
                "bench",
                "--pattern",
                "connections",
                "--peers",
                "10001",
            ],
            &["yoton", "call", "a:1", "s"],
            &["yoton", "call", "a:1", "s", "m", "--timeout", "-1"],
            &["yoton", "call", "a:1", "s", "m", "--timeout", "86401"],
            &["yoton", "call", "a:1", "s", "m", "--wait-peer", "1"],
        ] {
            assert!(Cli::try_parse_from(args).is_err(), "{args:?}");
        }
    }
}
