//! `yoton completions` and `yoton man`: the command line described for
//! shells and for `man`, generated from the same definition as the
//! parser, so they never disagree with it.

use std::io::{self, Write};

use clap::CommandFactory;

use crate::args::{Cli, Shell};
use crate::failure::Failure;

/// Writes the completion script for `shell` on stdout.
pub(crate) fn completions(shell: Shell) -> Result<(), Failure> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    let generator = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    clap_complete::generate(generator, &mut command, "yoton", &mut out);
    write_out(&out)
}

/// Writes the manual page (roff) on stdout.
pub(crate) fn man() -> Result<(), Failure> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|e| Failure::error(format!("cannot render the manual page: {e}")))?;
    write_out(&out)
}

fn write_out(bytes: &[u8]) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::error(format!("cannot write to stdout: {e}"))),
    }
}
