//! `yoton pub`: send each line of stdin as one message on a channel.
//!
//! With `--bind` it first waits for a peer (so that no line is sent before
//! anybody listens), up to `--wait-peer`. At the end of input it flushes
//! what was sent, closes the connection cleanly (the peer sees
//! `Closed from other end.`) and exits 0.
//!
//! Without `--reconnect`, a peer that goes away ends the command at once
//! (stdin is read on a thread of its own): it says so on stderr with the
//! close reason, how many lines were read before, and how many read lines
//! were not sent, and exits 1. Lines queued on the connection when it died
//! may be lost uncounted: delivery is at most once. With `--reconnect` the link comes back (a persistent link
//! of the library), lines read meanwhile wait in the context's bounded
//! startup queue (or on the bound connection) and go out after the
//! reconnect; lines the queue had to drop are counted, and make the exit 1.
//! At the end of input it waits for a peer to take what is queued, up to
//! `--wait-peer` when given.

use std::io::{self, BufRead};
use std::time::Duration;

use crossbeam_channel::Receiver;
use yoton::{Context, PubChannel};

use crate::args::{MessageType as Kind, PubArgs};
use crate::failure::Failure;
use crate::hex;
use crate::session;

/// How long the end of input waits for the messages to be written.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the end of input looks at a persistent link for a peer.
const TICK: Duration = Duration::from_millis(100);

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
    fn send_line(&self, number: u64, line: &str) -> Result<(), Failure> {
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

/// What the stdin thread reads.
enum Input {
    Line(String),
    Failed(String),
    End,
}

/// Reads stdin on a thread of its own, so that the command can end when
/// its peer goes even while no input comes (`tail -f log | yoton pub`).
fn read_stdin() -> Result<Receiver<Input>, Failure> {
    let (lines, input) = crossbeam_channel::bounded(LINES_AHEAD);
    std::thread::Builder::new()
        .name("yoton-stdin".into())
        .spawn(move || {
            for (index, line) in io::stdin().lock().lines().enumerate() {
                let read = line.map(Input::Line).unwrap_or_else(|e| {
                    Input::Failed(format!("cannot read line {}: {e}", index + 1))
                });
                let failed = matches!(read, Input::Failed(_));
                if lines.send(read).is_err() || failed {
                    return;
                }
            }
            let _ = lines.send(Input::End);
        })
        .map_err(|e| Failure::error(format!("cannot start a thread: {e}")))?;
    Ok(input)
}

/// How many lines the stdin thread reads ahead of the sending.
const LINES_AHEAD: usize = 1024;

/// One connection: a peer that goes away ends the command (exit 1) at
/// once, saying how many lines were sent and how many not.
fn publish(context: &Context, args: &PubArgs) -> Result<(), Failure> {
    let endpoint = &args.endpoint;
    let publisher = Publisher::new(context, &endpoint.slot, endpoint.kind)?;
    let connection = session::open(context, &endpoint.address, endpoint.bind)?;
    let closed = connection.closed().subscribe();
    if endpoint.bind {
        session::meet_peer(context, &endpoint.address, &connection, args.wait_peer)?;
    }
    let input = read_stdin()?;
    let mut number: u64 = 0;
    let sent = loop {
        crossbeam_channel::select! {
            recv(input) -> read => match read {
                Ok(Input::Line(line)) => {
                    number += 1;
                    if let Err(failure) = publisher.send_line(number, &line) {
                        break Err(failure);
                    }
                }
                Ok(Input::Failed(why)) => break Err(Failure::error(why)),
                Ok(Input::End) | Err(_) => break Ok(()),
            },
            recv(closed) -> event => {
                let reason = event.map_or_else(
                    |_| "no reason".to_owned(),
                    |event| event.reason.to_string(),
                );
                session::note(&format!("connection closed: {reason}"));
                // Lines read but not handed over, and whether that was all.
                let mut unread = 0;
                let mut ended = false;
                for read in input.try_iter() {
                    match read {
                        Input::Line(_) => unread += 1,
                        Input::Failed(_) | Input::End => ended = true,
                    }
                }
                return Err(cut_short(&reason, number, unread, ended, context));
            },
        }
    };
    // Flush also after a bad line: what was sent before it is delivered,
    // and the peer sees a clean close.
    let flushed = context.flush(FLUSH_TIMEOUT);
    sent?;
    match flushed {
        Ok(()) if context.startup_queued() == 0 => Ok(()),
        Ok(()) | Err(yoton::Error::Closed { .. }) => {
            let reason = connection
                .close_reason()
                .map_or_else(|| "no connection".to_owned(), |r| r.to_string());
            Err(cut_short(&reason, number, 0, true, context))
        }
        Err(e) => Err(e.into()),
    }
}

/// The peer went away after `number` lines were read: `unread` more were
/// read and never handed over, and what a closed connection left in the
/// startup queue was not sent either. Lines queued on the connection that
/// died may be lost too, uncounted: delivery is at most once.
fn cut_short(reason: &str, number: u64, unread: u64, ended: bool, context: &Context) -> Failure {
    let queued = context.startup_queued() as u64;
    let lines = unread + queued;
    let noun = if lines == 1 { "line" } else { "lines" };
    let rest = if ended {
        ""
    } else {
        ", and the rest of the input was not read"
    };
    Failure::Incomplete(format!(
        "the connection closed ({reason}) after {} lines; {lines} {noun} not sent{rest}",
        number.saturating_sub(queued)
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
        let number = index as u64 + 1;
        let line = line.map_err(|e| Failure::error(format!("cannot read line {number}: {e}")))?;
        publisher.send_line(number, &line)?;
        kept.check()?;
    }
    // At the end of input, wait for a connection to take what is queued,
    // if anything is (up to `--wait-peer`, when given).
    let deadline = args.wait_peer.and_then(session::deadline_after);
    loop {
        kept.check()?;
        let waiting_here = context.startup_queued() > 0;
        let delivered = match kept.link.connection() {
            None => !waiting_here,
            Some(connection) => {
                // A bound connection without its peer holds what was sent
                // meanwhile: then a flush that does not wait times out.
                let wait = if connection.is_connected() {
                    FLUSH_TIMEOUT
                } else {
                    Duration::ZERO
                };
                !waiting_here && connection.flush(wait).is_ok()
            }
        };
        if delivered {
            break;
        }
        if deadline.is_some_and(|deadline| std::time::Instant::now() >= deadline) {
            return Err(Failure::TimedOut(format!(
                "no peer within {} to take the last lines",
                session::seconds(args.wait_peer.unwrap_or_default())
            )));
        }
        match kept.link.wait_connected(TICK) {
            Ok(_) | Err(yoton::Error::Timeout { .. }) => {}
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
