//! `yoton`: send and receive yoton messages from a shell, and a guided
//! tour of the library.
//!
//! ```text
//! yoton sub ADDRESS SLOT [--bind] [--count N] [--type txt|bin] [--max-wait SECS]
//!           [--secret-file FILE]
//! yoton pub ADDRESS SLOT [--bind] [--type txt|bin] [--wait-peer SECS] [--reconnect]
//!           [--secret-file FILE]
//! yoton call ADDRESS SLOT METHOD [ARG ...] [--kwargs JSON] [--timeout SECS]
//!            [--bind] [--wait-peer SECS] [--secret-file FILE]
//! yoton watch ADDRESS [--slot NAME ...] [--bind] [--count N] [--max-wait SECS]
//!             [--secret-file FILE]
//! yoton keygen FILE
//! yoton completions bash|zsh|fish
//! yoton man
//! yoton demo
//! yoton bench [--transport tcp|tcp-secured|tcp-busy-poll|inproc|ipc|raw-tcp|raw-tcp-spin|
//!                          raw-inproc|all]
//!             [--secret-file FILE] [--size BYTES] [--messages N]
//!             [--pattern oneway|roundtrip|reqrep|fanout|connections] [--subs N] [--peers N]
//!             [--quick] [--json]
//! ```
//!
//! Every command takes `-v` (more diagnostics on stderr, repeatable) and
//! `-q` (errors only); `RUST_LOG` overrides both for the library's log.
//!
//! Exit codes: 0 success; 1 the other side did not do its part: the
//! replier of a `call` raised (its message on stderr, `yoton: the replier
//! failed: `), or the peer of a `pub` went away before all of its input
//! was handed over (`yoton: incomplete: `, with the close reason and how
//! many lines were not sent); 2 bad input (arguments, address,
//! hex, JSON, a secret file that cannot be read), or a connection that
//! could not be made (refused, port in use, a wrong or missing secret) or
//! closed too early; 3 a wait that ran out (`--max-wait`,
//! `--wait-peer`, `--timeout`). A failure is one line on stderr, starting
//! with `yoton: `: `yoton: error: ` for exit 2, the wait that ran out for
//! exit 3.
//!
//! Each subcommand lives in its own module and is dispatched from [`run`];
//! a new subcommand (such as `bench`) adds a variant to
//! [`args::Command`], a module, and a line there.
#![forbid(unsafe_code)]

mod args;
mod bench;
mod call;
mod demo;
mod failure;
mod hex;
mod json;
mod keygen;
mod manual;
mod publish;
mod session;
mod sub;
mod watch;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::failure::Failure;

fn main() -> ExitCode {
    // Usage errors exit 2, as clap does; `--help` and `--version` exit 0.
    let cli = Cli::parse();
    session::set_quiet(cli.quiet);
    init_logging(cli.verbose, cli.quiet);
    match run(&cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            session::error(&failure.one_line());
            ExitCode::from(failure.exit_code())
        }
    }
}

/// Sends the library's `tracing` log to stderr: warnings by default, more
/// with each `-v`, only errors with `-q`; `RUST_LOG` decides when set.
fn init_logging(verbose: u8, quiet: bool) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;

    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    // A second subscriber (none is set before) is the only way this fails,
    // and then the first one reports.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// Runs one subcommand.
fn run(command: &Command) -> Result<(), Failure> {
    match command {
        Command::Sub(args) => sub::run(args),
        Command::Pub(args) => publish::run(args),
        Command::Call(args) => call::run(args),
        Command::Watch(args) => watch::run(args),
        Command::Completions(args) => manual::completions(args.shell),
        Command::Man => manual::man(),
        Command::Keygen(args) => keygen::run(args),
        Command::Demo => demo::run(),
        Command::Bench(args) => bench::run(args),
        Command::BenchPeer(args) => bench::run_peer(args),
    }
}
