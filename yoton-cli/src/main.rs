//! `yoton`: send and receive yoton messages from a shell, and a guided
//! tour of the library.
//!
//! ```text
//! yoton sub ADDRESS SLOT [--bind] [--count N] [--type txt|bin] [--max-wait SECS]
//!           [--secret-file FILE]
//! yoton pub ADDRESS SLOT [--bind] [--type txt|bin] [--wait-peer SECS] [--secret-file FILE]
//! yoton call ADDRESS SLOT METHOD [ARG ...] [--kwargs JSON] [--timeout SECS]
//!            [--bind] [--wait-peer SECS] [--secret-file FILE]
//! yoton keygen FILE
//! yoton demo
//! yoton bench [--transport tcp|tcp-secured|inproc|ipc|raw-tcp|raw-tcp-spin|raw-inproc|all]
//!             [--secret-file FILE] [--size BYTES]
//!             [--messages N] [--pattern oneway|roundtrip|reqrep] [--quick] [--json]
//! ```
//!
//! Exit codes: 0 success; 1 the replier of a `call` raised (its message on
//! stderr, `yoton: the replier failed: `); 2 bad input (arguments, address,
//! hex, JSON, a secret file that cannot be read), or a connection that
//! could not be made (refused, port in use, a wrong or missing secret) or
//! closed too early; 3 a wait that ran out (`--max-wait`,
//! `--wait-peer`, `--timeout`). Errors are one line on stderr, starting
//! with `yoton: error: `.
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
mod publish;
mod session;
mod sub;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::failure::Failure;

fn main() -> ExitCode {
    // Usage errors exit 2, as clap does; `--help` and `--version` exit 0.
    let cli = Cli::parse();
    match run(&cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            session::note(&failure.one_line());
            ExitCode::from(failure.exit_code())
        }
    }
}

/// Runs one subcommand.
fn run(command: &Command) -> Result<(), Failure> {
    match command {
        Command::Sub(args) => sub::run(args),
        Command::Pub(args) => publish::run(args),
        Command::Call(args) => call::run(args),
        Command::Keygen(args) => keygen::run(args),
        Command::Demo => demo::run(),
        Command::Bench(args) => bench::run(args),
        Command::BenchPeer(args) => bench::run_peer(args),
    }
}
