//! How a command ends when it does not succeed: a one-line message on
//! stderr and an exit code that scripts can test.

use std::fmt;

/// The other side did not do its part: the replier of `yoton call`
/// raised, or the peer of `yoton pub` went away before everything was
/// handed over. Exit code 1.
pub(crate) const EXIT_RAISED: u8 = 1;

/// Bad input or a failed connection: exit code 2 (as clap uses for usage
/// errors).
pub(crate) const EXIT_ERROR: u8 = 2;

/// A wait ran out (`--max-wait`, `--wait-peer`): exit code 3.
pub(crate) const EXIT_TIMED_OUT: u8 = 3;

/// Why a command stopped early.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The replier of a call raised, with its message; exit code 1.
    Raised(String),
    /// The peer went away before all of the input was handed over (what
    /// happened and how much was not sent); exit code 1.
    Incomplete(String),
    /// Bad input or a failed connection; exit code 2.
    Error(String),
    /// A wait ran out; exit code 3.
    TimedOut(String),
}

impl Failure {
    /// A [`Failure::Error`] from anything printable.
    pub(crate) fn error(message: impl fmt::Display) -> Failure {
        Failure::Error(message.to_string())
    }

    /// The process exit code for this failure.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Failure::Raised(_) | Failure::Incomplete(_) => EXIT_RAISED,
            Failure::Error(_) => EXIT_ERROR,
            Failure::TimedOut(_) => EXIT_TIMED_OUT,
        }
    }

    /// The message as one line: errors from the system may hold newlines.
    pub(crate) fn one_line(&self) -> String {
        let text = match self {
            Failure::Raised(message) => format!("the replier failed: {message}"),
            Failure::Incomplete(text) => format!("incomplete: {text}"),
            Failure::Error(text) => format!("error: {text}"),
            Failure::TimedOut(text) => text.clone(),
        };
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

impl From<yoton::Error> for Failure {
    fn from(error: yoton::Error) -> Failure {
        Failure::error(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line_and_codes_differ() {
        let error = Failure::error("could not\nbind:  port in use");
        assert_eq!(error.one_line(), "error: could not bind: port in use");
        assert_eq!(error.exit_code(), 2);
        let timed_out = Failure::TimedOut("no message within 1s".into());
        assert_eq!(timed_out.one_line(), "no message within 1s");
        assert_eq!(timed_out.exit_code(), 3);
        let raised = Failure::Raised("division by zero\nline 3 of rep.py.\n".into());
        assert_eq!(
            raised.one_line(),
            "the replier failed: division by zero line 3 of rep.py."
        );
        assert_eq!(raised.exit_code(), 1);
        let cut = Failure::Incomplete("3 lines not sent".into());
        assert_eq!(cut.one_line(), "incomplete: 3 lines not sent");
        assert_eq!(cut.exit_code(), 1);
    }
}
