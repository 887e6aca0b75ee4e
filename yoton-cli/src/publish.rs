//! `yoton pub`: send each line of stdin as one message on a channel.
//!
//! With `--bind` it first waits for a peer (so that no line is sent before
//! anybody listens), up to `--wait-peer`. At the end of input it flushes
//! what was sent, closes the connection cleanly (the peer sees
//! `Closed from other end.`) and exits 0.

use std::io::{self, BufRead};
use std::time::Duration;

use yoton::{Context, PubChannel};

use crate::args::{MessageType as Kind, PubArgs};
use crate::failure::Failure;
use crate::hex;
use crate::session::{self, Arrival};

/// How long the end of input waits for the messages to be written.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `yoton pub`.
pub(crate) fn run(args: &PubArgs) -> Result<(), Failure> {
    let context = session::context(args.endpoint.secret_file.as_deref())?;
    let result = publish(&context, args);
    // Flush and close also after a bad line: what was sent before it is
    // delivered, and the peer sees a clean close.
    let flushed = context.flush(FLUSH_TIMEOUT);
    context.close();
    result?;
    flushed.map_err(Failure::from)
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

fn publish(context: &Context, args: &PubArgs) -> Result<(), Failure> {
    let endpoint = &args.endpoint;
    let publisher = Publisher::new(context, &endpoint.slot, endpoint.kind)?;
    let connection = session::open(context, &endpoint.address, endpoint.bind)?;
    if endpoint.bind {
        let deadline = args.wait_peer.and_then(session::deadline_after);
        match session::wait_for_peer(&connection, deadline) {
            Arrival::Connected => {
                let place = session::Place::of(context, &endpoint.address)?;
                session::announce_connected(&connection, &place);
            }
            Arrival::TimedOut => {
                return Err(Failure::TimedOut(format!(
                    "no peer within {}",
                    session::seconds(args.wait_peer.unwrap_or_default())
                )));
            }
            Arrival::Closed(reason) => {
                return Err(Failure::error(format!(
                    "the connection closed while waiting for a peer: {reason}"
                )));
            }
        }
    }

    let stdin = io::stdin();
    for (index, line) in stdin.lock().lines().enumerate() {
        let number = index + 1;
        let line = line.map_err(|e| Failure::error(format!("cannot read line {number}: {e}")))?;
        publisher.send_line(number, &line)?;
    }
    Ok(())
}
