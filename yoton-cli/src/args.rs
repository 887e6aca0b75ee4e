//! The command line: subcommands, flags and their help texts.
//!
//! The names of the commands and flags are a contract with scripts and
//! other tools; change them only together with the tests.

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Send and receive yoton messages from a shell, or take a guided tour.
///
/// Exit codes: 0 success, 2 bad input or a failed connection, 3 a wait ran
/// out (`--max-wait`, `--wait-peer`).
#[derive(Debug, Parser)]
#[command(name = "yoton", version)]
pub(crate) struct Cli {
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
    /// A guided tour: two contexts in this process talk over TCP on
    /// loopback, with every step explained.
    Demo,
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
    fn bad_numbers_are_refused() {
        for args in [
            &["yoton", "sub", "a:1", "s", "--count", "0"][..],
            &["yoton", "sub", "a:1", "s", "--max-wait", "-1"],
            &["yoton", "pub", "a:1", "s", "--wait-peer", "soon"],
            &["yoton", "pub", "a:1", "s", "--type", "obj"],
        ] {
            assert!(Cli::try_parse_from(args).is_err(), "{args:?}");
        }
    }
}
