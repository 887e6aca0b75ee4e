//! `yoton sub`: receive the messages of a channel and print them, one a
//! line, on stdout.
//!
//! stdout carries only messages, so that it can be piped; status goes to
//! stderr (see [`crate::session`] for the formats). When the connection
//! closes, the command keeps going, as a long-running subscriber should: a
//! bound subscriber binds again at the same address and waits for the next
//! peer, a connecting one connects again. `--count` and `--max-wait` end it.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use yoton::{
    ClosedEvent, ConnectOptions, Connection, Context, MessageType, RecvTimeoutError, SubChannel,
};

use crate::args::{MessageType as Kind, SubArgs};
use crate::failure::Failure;
use crate::hex;
use crate::session::{self, CONNECT_TIMEOUT};

/// How often the loop looks at the connection while no message comes.
const TICK: Duration = Duration::from_millis(100);

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

/// Where the next message may come from: the current connection, replaced
/// when it closes.
struct Link<'a> {
    context: &'a Context,
    args: &'a SubArgs,
    place: session::Place,
    /// `None` while a connecting subscriber tries to connect again.
    connection: Option<Arc<dyn Connection>>,
    closed: crossbeam_channel::Receiver<ClosedEvent>,
    /// Whether the peer of a bound connection was reported.
    announced: bool,
}

impl Link<'_> {
    fn watch(&mut self, connection: Arc<dyn Connection>) {
        self.closed = connection.closed().subscribe();
        self.announced = !self.args.endpoint.bind;
        self.connection = Some(connection);
    }

    /// Reports the peer of a bound connection once it is there (also when
    /// it came and went between two looks).
    fn announce_peer(&mut self) {
        if let Some(connection) = &self.connection {
            if !self.announced && connection.peer_id().is_some() {
                session::announce_connected(connection, &self.place);
                self.announced = true;
            }
        }
    }

    /// Reports a peer that arrived, and replaces a closed connection. A
    /// connecting subscriber makes one attempt a call (blocking up to
    /// [`CONNECT_TIMEOUT`]), so that the caller still sees its deadline.
    fn tend(&mut self) -> Result<(), Failure> {
        let Some(connection) = self.connection.clone() else {
            let options = ConnectOptions::new().timeout(CONNECT_TIMEOUT);
            match self
                .context
                .connect_with(&self.args.endpoint.address, &options)
            {
                Ok(connection) => {
                    session::announce_connected(&connection, &self.place);
                    self.watch(connection);
                }
                Err(yoton::Error::Connect { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            return Ok(());
        };
        self.announce_peer();
        let Ok(event) = self.closed.try_recv() else {
            return Ok(());
        };
        session::note(&format!("connection closed: {}", event.reason));
        self.connection = None;
        if self.args.endpoint.bind {
            // Bind where the peer found us, also when port 0 chose the port.
            let again = self
                .place
                .at(&connection.local_host(), connection.local_port());
            let connection = self.context.bind(&again.to_string())?;
            session::announce_waiting(&connection, &self.place);
            self.watch(connection);
        } else {
            session::note(&format!(
                "connecting again to {}",
                self.args.endpoint.address
            ));
        }
        Ok(())
    }
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
    let connection = session::open(context, &endpoint.address, endpoint.bind)?;
    let place = session::Place::of(context, &endpoint.address)?;
    let mut link = Link {
        context,
        args,
        place,
        closed: connection.closed().subscribe(),
        connection: Some(connection),
        announced: !endpoint.bind,
    };

    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut received: u64 = 0;
    let mut deadline = args.max_wait.and_then(session::deadline_after);
    loop {
        let wait = match deadline {
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    finish(&mut out)?;
                    let waited = args.max_wait.unwrap_or_default();
                    return Err(Failure::TimedOut(format!(
                        "no message within {}",
                        session::seconds(waited)
                    )));
                }
                TICK.min(deadline - now)
            }
            None => TICK,
        };
        match channel.recv_timeout(wait) {
            Ok(message) => {
                received += 1;
                if !print(&mut out, &render(message))? {
                    return Ok(());
                }
                // Take what else is pending before flushing, so that a fast
                // stream is not written one system call a message.
                while args.count.is_none_or(|count| received < count) {
                    match channel.try_recv() {
                        Ok(message) => {
                            received += 1;
                            if !print(&mut out, &render(message))? {
                                return Ok(());
                            }
                        }
                        Err(_) => break,
                    }
                }
                if !flush(&mut out)? {
                    return Ok(());
                }
                deadline = args.max_wait.and_then(session::deadline_after);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(e) => return Err(Failure::error(e)),
        }
        if args.count.is_some_and(|count| received >= count) {
            link.announce_peer();
            return finish(&mut out);
        }
        link.tend()?;
    }
}

/// Writes one message line; `false` when stdout is closed (a reader such as
/// `head` had enough), which ends the command without an error.
fn print(out: &mut impl Write, line: &str) -> Result<bool, Failure> {
    match writeln!(out, "{line}") {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(Failure::error(format!("cannot write to stdout: {e}"))),
    }
}

/// Flushes stdout; `false` when it is closed.
fn flush(out: &mut impl Write) -> Result<bool, Failure> {
    match out.flush() {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(Failure::error(format!("cannot write to stdout: {e}"))),
    }
}

fn finish(out: &mut impl Write) -> Result<(), Failure> {
    flush(out).map(|_| ())
}
