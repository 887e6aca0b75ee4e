//! `yoton call`: call a method of the repliers of a req/rep channel, as
//! Python's `yoton.ReqChannel(ctx, SLOT).METHOD(*args, **kwargs)` does, and
//! print the result as one line of JSON ([`crate::json`] has the mapping).
//!
//! The arguments are read before anything connects, so bad input sends
//! nothing. How the call ended decides the exit code: 0 with the result on
//! stdout, 1 when the replier raised, 2 for bad input or a failed
//! connection, 3 when a wait ran out. The command's help states them for
//! users; the tests hold them to it.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use crossbeam_channel::{RecvTimeoutError, select};
use yoton::{CallError, Connection, Context, Dict, Object, ReqChannel};

use crate::args::CallArgs;
use crate::failure::Failure;
use crate::json::{self, JsonError};
use crate::session;

/// How long the end waits for what was sent to be written, so that the
/// peer sees a clean close.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

/// How much longer than its two timeouts the command waits for a call to
/// end: the channel's own timer ends it first, this only bounds the wait
/// should that fail.
const MARGIN: Duration = Duration::from_secs(2);

/// Runs `yoton call`.
pub(crate) fn run(args: &CallArgs) -> Result<(), Failure> {
    let positional = args
        .args
        .iter()
        .enumerate()
        .map(|(index, text)| parse_arg(index + 1, text))
        .collect::<Result<Vec<Object>, Failure>>()?;
    let kwargs = match &args.kwargs {
        Some(text) => json::parse_kwargs(text).map_err(Failure::error)?,
        None => Dict::new(),
    };
    let context = session::context(args.secret_file.as_deref())?;
    let result = call(&context, args, positional, kwargs);
    // Also after a failure: the peer sees a clean close.
    let _ = context.flush(FLUSH_TIMEOUT);
    context.close();
    print(&json::render(&result?))
}

/// Reads ARG number `number`, with a hint for a string written without its
/// quotes (the shell took them).
fn parse_arg(number: usize, text: &str) -> Result<Object, Failure> {
    json::parse(text).map_err(|e| {
        let bare_word = matches!(e, JsonError::Syntax(_))
            && text.chars().next().is_some_and(char::is_alphabetic);
        let hint = if bare_word {
            format!("; a string is written in quotes: '\"{text}\"'")
        } else {
            String::new()
        };
        Failure::error(format!("ARG {number} {text:?}: {e}{hint}"))
    })
}

/// Meets the peer, makes the call and waits for how it ends.
fn call(
    context: &Context,
    args: &CallArgs,
    positional: Vec<Object>,
    kwargs: Dict,
) -> Result<Object, Failure> {
    let channel = ReqChannel::new(context, &args.slot).map_err(Failure::error)?;
    channel.set_reply_timeout(Some(args.timeout));
    let connection = session::open(context, &args.address, args.bind)?;
    if args.bind {
        session::meet_peer(context, &args.address, &connection, args.wait_peer)?;
    }
    let closed = connection.closed().subscribe();
    let call = channel
        .call_with::<Object>(
            &args.method,
            Object::Tuple(positional),
            Object::Dict(kwargs),
            args.timeout,
        )
        .map_err(|e| Failure::error(format!("cannot call {}: {e}", args.method)))?;
    let (tx, done) = crossbeam_channel::bounded(1);
    call.on_done(move |outcome| {
        let _ = tx.send(outcome);
    });
    // A timeout too large to add is a wait without limit.
    let give_up = args
        .timeout
        .checked_mul(2)
        .and_then(|both| both.checked_add(MARGIN))
        .and_then(|wait| Instant::now().checked_add(wait));
    let outcome = if connection.is_alive() {
        let wait = give_up.map_or(Duration::MAX, |at| {
            at.saturating_duration_since(Instant::now())
        });
        select! {
            recv(done) -> outcome => outcome.map_err(|_| RecvTimeoutError::Disconnected),
            recv(closed) -> event => match call.try_result() {
                // The reply came just before the close.
                Some(outcome) => Ok(outcome),
                None => {
                    let reason = event.map_or_else(|_| "unknown".to_owned(), |e| e.reason.to_string());
                    return Err(Failure::error(format!(
                        "the connection closed before the reply came: {reason}"
                    )));
                }
            },
            default(wait) => Err(RecvTimeoutError::Timeout),
        }
    } else {
        return Err(Failure::error(
            "the connection closed before the call was made",
        ));
    };
    match outcome {
        Ok(outcome) => ended(args, &*connection, outcome),
        Err(_) => Err(Failure::TimedOut(format!(
            "the call of {} did not end within {}",
            args.method,
            session::seconds(args.timeout.saturating_mul(2))
        ))),
    }
}

/// What the end of a call means for the command.
fn ended(
    args: &CallArgs,
    connection: &dyn Connection,
    outcome: Result<Object, CallError>,
) -> Result<Object, Failure> {
    let within = session::seconds(args.timeout);
    match outcome {
        Ok(result) => Ok(result),
        Err(CallError::Failed(message)) => Err(Failure::Raised(message)),
        Err(CallError::NoReplier) => Err(Failure::TimedOut(format!(
            "no replier on {} took the call of {} within {within}",
            args.slot, args.method
        ))),
        // The one connection is up: the replier is there but slow.
        Err(CallError::NoReply) if connection.is_alive() => Err(Failure::TimedOut(format!(
            "the replier took the call of {} but did not reply within {within}",
            args.method
        ))),
        Err(CallError::NoReply) => Err(Failure::error(format!(
            "the replier took the call of {} but went away before it replied",
            args.method
        ))),
        Err(other) => Err(Failure::error(other)),
    }
}

/// Writes the result line; a closed stdout (a reader that had enough) is
/// not an error.
fn print(line: &str) -> Result<(), Failure> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match writeln!(out, "{line}").and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::error(format!("cannot write to stdout: {e}"))),
    }
}
