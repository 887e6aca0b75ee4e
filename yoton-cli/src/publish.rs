//! `yoton pub`: send each line of stdin as one message on a channel.
//!
//! With `--bind` it first waits for a peer (so that no line is sent before
//! anybody listens), up to `--wait-peer`. At the end of input it flushes
//! what was sent, closes the connection cleanly (the peer sees
//! `Closed from other end.`) and exits 0.
//!
//! Without `--reconnect`, a peer that goes away ends the command: it says
//! so on stderr with the close reason and how many lines were not sent,
//! and exits 1. With `--reconnect` the link comes back (a persistent link
//! of the library), lines read meanwhile wait in the context's bounded
//! startup queue (or on the bound connection) and go out after the
//! reconnect; lines the queue had to drop are counted, and make the exit 1.

use std::io::{self, BufRead};
use std::sync::Arc;
use std::time::Duration;

use yoton::{Connection, Context, PubChannel};

use crate::args::{MessageType as Kind, PubArgs};
use crate::failure::Failure;
use crate::hex;
use crate::session::{self, Arrival};

/// How long the end of input waits for the messages to be written.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `yoton pub`.
pub(crate) fn run(args: &PubArgs) -> Result<(), Failure> {
    let context = session::context(args.endpoint.secret_file.as_deref())?;
    let result = if args.reconnect {
        publish_kept(&context, args)
    } else {
        publish(&context, args)
    };
    context.close();
    result
}

/// The channel, by message type.
enum Publisher {
    Text(PubChannel<String>),
    Binary(PubChannel<Vec<u8>>),
}

impl Publisher {
    fn new(context: &Context, slot: &str, kind: Kind) -> Result<Publisher, Failure> {
        Ok(match kind {
            Kind::Txt => Publisher::Text(PubChannel::new(context, slot).map_err(Failure::error)?),
            Kind::Bin => Publisher::Binary(PubChannel::new(context, slot).map_err(Failure::error)?),
        })
    }

    /// Sends one line of input (text, or hex for binary); empty lines are
    /// skipped, as yoton never delivers empty messages.
    fn send_line(&self, number: usize, line: &str) -> Result<(), Failure> {
        let sent = match self {
            Publisher::Text(_) if line.is_empty() => return Ok(()),
            Publisher::Text(channel) => channel.send(line),
            Publisher::Binary(channel) => {
                let bytes =
                    hex::decode(line).map_err(|e| Failure::error(format!("line {number}: {e}")))?;
                if bytes.is_empty() {
                    return Ok(());
                }
                channel.send(&bytes)
            }
        };
        sent.map_err(Failure::error)
    }
}

/// Waits for the peer of a bound connection, up to `--wait-peer`.
fn wait_for_peer(
    context: &Context,
    args: &PubArgs,
    connection: &Arc<dyn Connection>,
) -> Result<(), Failure> {
    let deadline = args.wait_peer.and_then(session::deadline_after);
    match session::wait_for_peer(connection, deadline) {
        Arrival::Connected => {
            let place = session::Place::of(context, &args.endpoint.address)?;
            session::announce_connected(connection, &place);
            Ok(())
        }
        Arrival::TimedOut => Err(Failure::TimedOut(format!(
            "no peer within {}",
            session::seconds(args.wait_peer.unwrap_or_default())
        ))),
        Arrival::Closed(reason) => Err(Failure::error(format!(
            "the connection closed while waiting for a peer: {reason}"
        ))),
    }
}

/// One connection: a peer that goes away ends the command (exit 1).
fn publish(context: &Context, args: &PubArgs) -> Result<(), Failure> {
    let endpoint = &args.endpoint;
    let publisher = Publisher::new(context, &endpoint.slot, endpoint.kind)?;
    let connection = session::open(context, &endpoint.address, endpoint.bind)?;
    // Said when it happens, not only at the next line of input, which may
    // be long in coming.
    let note = connection.closed().connect(|event| {
        session::note(&format!("connection closed: {}", event.reason));
    });
    if endpoint.bind {
        wait_for_peer(context, args, &connection)?;
    }
    let mut lines = io::stdin().lock().lines();
    let mut number = 0;
    let sent = loop {
        let Some(line) = lines.next() else {
            break Ok(());
        };
        number += 1;
        let line = match line {
            Ok(line) => line,
            Err(e) => break Err(Failure::error(format!("cannot read line {number}: {e}"))),
        };
        if let Some(reason) = connection.close_reason() {
            // This line and the rest were not handed over.
            let rest = lines.count();
            return Err(cut_short(&reason.to_string(), 1 + rest as u64, context));
        }
        if let Err(failure) = publisher.send_line(number, &line) {
            break Err(failure);
        }
    };
    // Flush also after a bad line: what was sent before it is delivered,
    // and the peer sees a clean close.
    let flushed = context.flush(FLUSH_TIMEOUT);
    // The close that ends the command is not news.
    connection.closed().disconnect(note);
    sent?;
    match flushed {
        Ok(()) if context.startup_queued() == 0 => Ok(()),
        Ok(()) | Err(yoton::Error::Closed { .. }) => {
            let reason = connection
                .close_reason()
                .map_or_else(|| "no connection".to_owned(), |r| r.to_string());
            Err(cut_short(&reason, 0, context))
        }
        Err(e) => Err(e.into()),
    }
}

/// The peer went away: `unread` lines were never handed over, and what a
/// closed connection left in the startup queue was not sent either.
fn cut_short(reason: &str, unread: u64, context: &Context) -> Failure {
    let queued = context.startup_queued() as u64;
    let lines = unread + queued;
    let noun = if lines == 1 { "line" } else { "lines" };
    Failure::Incomplete(format!(
        "the connection closed ({reason}); {lines} {noun} not sent"
    ))
}

/// A persistent link: the peer may come and go.
fn publish_kept(context: &Context, args: &PubArgs) -> Result<(), Failure> {
    let endpoint = &args.endpoint;
    let publisher = Publisher::new(context, &endpoint.slot, endpoint.kind)?;
    let kept = session::keep(context, &endpoint.address, endpoint.bind)?;
    if endpoint.bind {
        let deadline = args.wait_peer.and_then(session::deadline_after);
        loop {
            let step = deadline.map_or(Duration::from_secs(3600), |deadline| {
                deadline.saturating_duration_since(std::time::Instant::now())
            });
            match kept.link.wait_connected(step) {
                Ok(_) => break,
                Err(yoton::Error::Timeout { .. }) if deadline.is_some() => {
                    return Err(Failure::TimedOut(format!(
                        "no peer within {}",
                        session::seconds(args.wait_peer.unwrap_or_default())
                    )));
                }
                Err(yoton::Error::Timeout { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        kept.announce_current();
    }
    for (index, line) in io::stdin().lock().lines().enumerate() {
        let number = index + 1;
        let line = line.map_err(|e| Failure::error(format!("cannot read line {number}: {e}")))?;
        publisher.send_line(number, &line)?;
        kept.check()?;
    }
    // At the end of input, wait for a connection to take what is queued.
    loop {
        kept.check()?;
        let connection = match kept.link.wait_connected(FLUSH_TIMEOUT) {
            Ok(connection) => connection,
            Err(yoton::Error::Timeout { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        match connection.flush(FLUSH_TIMEOUT) {
            Ok(()) if context.startup_queued() == 0 => break,
            Ok(()) | Err(yoton::Error::Closed { .. } | yoton::Error::Timeout { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let dropped = context.startup_dropped();
    if dropped > 0 {
        let noun = if dropped == 1 { "line" } else { "lines" };
        return Err(Failure::Incomplete(format!(
            "{dropped} {noun} dropped: the queue was full while no peer was connected"
        )));
    }
    Ok(())
}
