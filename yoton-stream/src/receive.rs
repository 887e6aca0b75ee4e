//! The receiving side of a [`StreamConnection`], as the
//! [reactor](crate::reactor) drives it: read what the socket holds without
//! blocking, decode it with the core decoder, and hand the packages to
//! the context.

use std::io::{self, Read};
use std::sync::atomic::Ordering;
use std::time::Instant;

use socket2::Socket;
use yoton_core::decoder::Decoder;
use yoton_core::{ConnectionCore, Package, reason};

use crate::busy_poll::BusyPoll;
use crate::connection::StreamConnection;
use crate::secure::Opener;
use crate::secured;

/// The most reads of one connection per turn of the reactor, so that a
/// peer that keeps sending cannot starve the others.
const READS_PER_TURN: usize = 16;

/// A package that still lacks at least this much is read straight into
/// the decoder's buffer, and so is a stream that fills every read;
/// anything else goes through the reactor's buffer and is copied, so that
/// a connection that trickles holds no read buffer of its own.
const DIRECT_READ: usize = 64 * 1024;

/// What a turn of reading found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Received {
    /// The socket holds nothing more now.
    Drained,
    /// The turn ended with more to read.
    More,
    /// The peer closed its end, or the socket failed.
    Ended,
    /// The connection stops receiving (it closed, or the stream cannot be
    /// decoded).
    Stopped,
}

/// The buffers a reactor reads through, shared by all its connections.
#[derive(Debug)]
pub(crate) struct ReadBuffers {
    raw: Vec<u8>,
    plain: Vec<u8>,
}

impl Default for ReadBuffers {
    fn default() -> Self {
        ReadBuffers {
            raw: vec![0; DIRECT_READ],
            plain: Vec::new(),
        }
    }
}

/// The receiving state of one connection.
pub(crate) struct Receiving {
    decoder: Decoder,
    /// On a secured link, what opens the frames.
    opener: Option<Opener>,
    batch: Vec<Package>,
    pub(crate) poll: BusyPoll,
    /// The last read filled what it was offered: the peer streams, and
    /// reads go straight into the decoder's buffer.
    streaming: bool,
}

impl Receiving {
    /// The state of a connection whose handshake left `rest` (on a secured
    /// link, sealed: the opener holds it).
    pub(crate) fn new(link: &StreamConnection, rest: &[u8], opener: Option<Opener>) -> Receiving {
        let mut decoder = Decoder::with_max_data_len(link.options.max_data_len());
        decoder.feed(rest);
        Receiving {
            decoder,
            opener,
            batch: Vec::new(),
            poll: BusyPoll::new(link.options.busy_poll()),
            streaming: false,
        }
    }

    /// Hands over what came with the handshake; false when the connection
    /// stops receiving.
    pub(crate) fn start(
        &mut self,
        link: &StreamConnection,
        core: &ConnectionCore,
        buffers: &mut ReadBuffers,
    ) -> bool {
        if let Some(opener) = &mut self.opener {
            buffers.plain.clear();
            if let Err(e) = opener.open_into(&mut buffers.plain) {
                link.fail_with(&e.to_string());
                return false;
            }
            self.decoder.feed(&buffers.plain);
        }
        self.decoder.buffered_len() == 0 || self.take_packages(link, core)
    }

    /// Reads what the socket holds (at most a turn's worth) and hands the
    /// packages to the context. With `drained_by_short_read`, a read that
    /// gets less than it offered ends the turn: a stream socket gives all
    /// it holds, up to the buffer, and new bytes make a new readiness
    /// event. Not so once the peer closed its end, whose end of stream may
    /// wait behind the bytes.
    pub(crate) fn read(
        &mut self,
        link: &StreamConnection,
        core: &ConnectionCore,
        socket: &Socket,
        buffers: &mut ReadBuffers,
        drained_by_short_read: bool,
    ) -> Received {
        for _ in 0..READS_PER_TURN {
            let read = self.read_once(socket, buffers);
            match read {
                Ok((0, _)) => {
                    if !link.is_shut() {
                        link.fail_with(reason::OTHER_END_DROPPED);
                    }
                    return Received::Ended;
                }
                Ok(_) if link.is_shut() => return Received::Stopped,
                Ok((_, short)) => {
                    let now = Instant::now();
                    core.on_bytes_received(now);
                    // Before delivering: a reply sent from the delivery may
                    // go out directly.
                    link.heard.fetch_add(1, Ordering::AcqRel);
                    if !self.take_packages(link, core) {
                        return Received::Stopped;
                    }
                    if self.decoder.is_mid_package() {
                        link.family.on_partial_package(socket);
                    }
                    self.poll.on_received(now);
                    if yoton_core::link::found_full() {
                        // Backpressure: nothing more is read until the full
                        // connections have room.
                        return Received::More;
                    }
                    if short && drained_by_short_read {
                        return Received::Drained;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Received::Drained,
                Err(e) => {
                    if !link.is_shut() {
                        tracing::debug!(error = %e, "read failed");
                        link.fail_with(&crate::io::failure_reason(&e));
                    }
                    return Received::Ended;
                }
            }
        }
        Received::More
    }

    /// One read: the count from the socket, and whether it was short (the
    /// socket gave less than it was offered).
    fn read_once(
        &mut self,
        socket: &Socket,
        buffers: &mut ReadBuffers,
    ) -> io::Result<(usize, bool)> {
        let ReadBuffers { raw, plain } = buffers;
        let mut offered = 0;
        let n = match &mut self.opener {
            Some(opener) => {
                offered = raw.len();
                secured::read_sealed(
                    |buf| (&*socket).read(buf),
                    opener,
                    raw,
                    plain,
                    &mut self.decoder,
                )?
            }
            None if self.streaming || self.decoder.missing() >= DIRECT_READ => {
                self.decoder.read_with(|buf| {
                    offered = buf.len();
                    (&*socket).read(buf)
                })?
            }
            None => {
                offered = raw.len();
                let n = (&*socket).read(raw)?;
                self.decoder.feed(&raw[..n]);
                n
            }
        };
        self.streaming = n > 0 && n == offered;
        Ok((n, n < offered))
    }

    /// Takes every complete package out of the decoder and hands them to
    /// the context; false when the connection is to stop receiving.
    fn take_packages(&mut self, link: &StreamConnection, core: &ConnectionCore) -> bool {
        let failure = loop {
            match self.decoder.next_package() {
                Ok(Some(package)) => self.batch.push(package),
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        let keep_going = self.batch.is_empty() || core.receive(&mut self.batch);
        if self.batch.capacity() > 1024 {
            self.batch = Vec::new();
        }
        match failure {
            Some(e) if keep_going => {
                tracing::debug!(error = %e, "stream cannot be decoded");
                link.fail_with(&e.reason());
                false
            }
            _ => keep_going,
        }
    }
}

/// What a turn of lingering found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Discarded {
    /// The socket holds nothing more now.
    Drained,
    /// The turn ended with more to drop.
    More,
    /// The peer closed its end, or the socket failed.
    Ended,
}

/// After our close package: takes in and drops what the peer still sends,
/// at most a turn's worth.
pub(crate) fn discard(socket: &Socket, buffers: &mut ReadBuffers) -> Discarded {
    for _ in 0..READS_PER_TURN {
        match (&*socket).read(&mut buffers.raw) {
            Ok(0) => return Discarded::Ended,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Discarded::Drained,
            Err(_) => return Discarded::Ended,
        }
    }
    Discarded::More
}
