//! `yoton sub`: receive the messages of a channel and print them, one a
//! line, on stdout.
//!
//! stdout carries only messages, so that it can be piped; status goes to
//! stderr (see [`crate::session`] for the formats). When the connection
//! closes, the command keeps going, as a long-running subscriber should: a
//! bound subscriber binds again at the same address and waits for the next
//! peer, a connecting one connects again (a persistent link of the
//! library, [`yoton::Persistent`]). `--count` and `--max-wait` end it.

use std::io::{self, Write};
use std::time::Duration;

use yoton::{Context, MessageType, RecvTimeoutError, SubChannel};

use crate::args::{MessageType as Kind, SubArgs};
use crate::failure::Failure;
use crate::hex;
use crate::session;

/// How often the loop looks at the link while no message comes.
const TICK: Duration = Duration::from_millis(100);

/// How long the end waits for the sender to be named on stderr.
const ANNOUNCE_WAIT: Duration = Duration::from_secs(1);

/// Runs `yoton sub`.
pub(crate) fn run(args: &SubArgs) -> Result<(), Failure> {
    let context = session::context(args.endpoint.secret_file.as_deref())?;
    let result = match args.endpoint.kind {
        Kind::Txt => receive::<String>(&context, args, |text| text),
        Kind::Bin => receive::<Vec<u8>>(&context, args, |bytes| hex::encode(&bytes)),
    };
    context.close();
    result
}

fn receive<M: MessageType>(
    context: &Context,
    args: &SubArgs,
    render: fn(M::Message) -> String,
) -> Result<(), Failure> {
    let endpoint = &args.endpoint;
    // The channel exists before the connection, so that nothing sent right
    // after the handshake is missed.
    let channel = SubChannel::<M>::new(context, &endpoint.slot).map_err(Failure::error)?;
    let kept = session::keep(context, &endpoint.address, endpoint.bind)?;

    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut received: u64 = 0;
    let mut deadline = args.max_wait.and_then(session::deadline_after);
    loop {
        let Some(wait) = session::next_wait(deadline, TICK) else {
            finish(&mut out)?;
            let waited = args.max_wait.unwrap_or_default();
            let got = match args.count {
                Some(count) => format!(" (got {received} of {count})"),
                None => String::new(),
            };
            return Err(Failure::TimedOut(format!(
                "no message within {}{got}",
                session::seconds(waited)
            )));
        };
        match channel.recv_timeout(wait) {
            Ok(message) => {
                received += 1;
                if !session::print(&mut out, &render(message))? {
                    return Ok(());
                }
                // Take what else is pending before flushing, so that a fast
                // stream is not written one system call a message.
                while args.count.is_none_or(|count| received < count) {
                    match channel.try_recv() {
                        Ok(message) => {
                            received += 1;
                            if !session::print(&mut out, &render(message))? {
                                return Ok(());
                            }
                        }
                        Err(_) => break,
                    }
                }
                if !session::flush(&mut out)? {
                    return Ok(());
                }
                deadline = args.max_wait.and_then(session::deadline_after);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(e) => return Err(Failure::error(e)),
        }
        kept.check()?;
        if args.count.is_some_and(|count| received >= count) {
            // The peer that sent them is named, also when it came and went
            // before the reporting thread said so.
            kept.wait_announced(ANNOUNCE_WAIT);
            return finish(&mut out);
        }
    }
}

fn finish(out: &mut impl Write) -> Result<(), Failure> {
    session::flush(out).map(|_| ())
}
