//! [`TextWriter`]: a [`Write`] over a text pub channel.

use std::borrow::Borrow;
use std::fmt;
use std::io::{self, Write};
use std::time::Duration;

use super::{TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, core_error, not_text, send_error};
use crate::pub_channel::PubChannel;

/// A [`Write`] that sends what is written on a text pub channel, cut as
/// Python yoton's `FileWrapper` cuts it.
///
/// Each [`write`](Write::write) sends its text at once: one message, or
/// several of [`chunk_chars`](TextWriter::chunk_chars) characters each
/// (256 by default, as Pyzo's kernel has it) when the text is longer.
/// Nothing is buffered, so `write!` sends a message per piece of its
/// format string (each text between values, and each value), much as
/// Python's `print` writes its arguments and its end one by one; a format
/// without values (or with literals only, which the compiler pastes in) is
/// one piece. Put a
/// [`BufWriter`](std::io::BufWriter) or [`LineWriter`](std::io::LineWriter)
/// in front for fewer, larger messages.
///
/// # Bytes that are not text
/// The channel carries UTF-8 text, so the bytes written must be UTF-8,
/// though not in whole characters per write:
/// - A write that ends inside a character sends what comes before it and
///   keeps the character's first bytes back (see
///   [`incomplete`](TextWriter::incomplete)) until the next write
///   completes it; they count as written.
/// - A write that holds bytes that cannot be UTF-8 sends the text before
///   them and returns its length; the write that starts with them fails
///   with [`io::ErrorKind::InvalidData`] and sends nothing. So
///   [`write_all`](Write::write_all) sends the valid text and then fails.
/// - A write that cannot complete the character kept back fails the same
///   way, and those kept-back bytes are dropped.
///
/// # Flushing
/// [`flush`](Write::flush) does what Python's `FileWrapper.flush` does: it
/// waits, up to [`flush_timeout`](TextWriter::flush_timeout) (5 s by
/// default), until everything the context sent is written to its
/// connections ([`Context::flush`](yoton_core::Context::flush)). There is
/// nothing of the writer's own to push out: writes are sent as they come,
/// and an unfinished character stays kept back, as it is not text yet.
///
/// # Errors
/// A write on a closed channel fails with [`io::ErrorKind::BrokenPipe`];
/// a flush that runs out of time with [`io::ErrorKind::TimedOut`].
///
/// A `TextWriter` holds its channel as any [`Borrow`] of a
/// `PubChannel<String>`: a reference ([`PubChannel::writer`]), the channel
/// itself ([`PubChannel::into_writer`]) or an `Arc` ([`TextWriter::new`]).
/// It is `Send` and `Sync` when that is.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use std::io::Write;
/// use std::time::Duration;
/// use yoton::{PubChannel, SubChannel};
///
/// let (a, b) = (yoton::context(), yoton::context());
/// let out = PubChannel::<String>::new(&a, "strm-out").unwrap();
/// let sub = SubChannel::<String>::new(&b, "strm-out").unwrap();
/// let bound = a.bind("inproc://").unwrap();
/// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
///
/// let mut stdout = out.writer();
/// stdout.write_all("é".repeat(600).as_bytes()).unwrap();
/// let timeout = Duration::from_secs(10);
/// let sizes: Vec<usize> = (0..3)
///     .map(|_| sub.recv_timeout(timeout).unwrap().chars().count())
///     .collect();
/// assert_eq!(sizes, [256, 256, 88]);
///
/// // "€" is three bytes: the first two wait for the third.
/// stdout.write_all(&"€".as_bytes()[..2]).unwrap();
/// assert_eq!(stdout.incomplete(), &"€".as_bytes()[..2]);
/// stdout.write_all(&"€".as_bytes()[2..]).unwrap();
/// assert_eq!(sub.recv_timeout(timeout).unwrap(), "€");
/// ```
pub struct TextWriter<C = PubChannel<String>> {
    channel: C,
    chunk_chars: usize,
    flush_timeout: Duration,
    /// The first bytes of a character that the next write completes.
    incomplete: Vec<u8>,
}

impl<C: Borrow<PubChannel<String>>> TextWriter<C> {
    /// A writer on `channel` (a `PubChannel<String>`, a reference to one
    /// or an `Arc` of one) that cuts messages at [`TEXT_CHUNK_CHARS`]
    /// characters and flushes within [`TEXT_FLUSH_TIMEOUT`].
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::io::Write;
    /// use std::sync::Arc;
    /// use yoton::{PubChannel, TextWriter};
    ///
    /// let ctx = yoton::context();
    /// let out = Arc::new(PubChannel::<String>::new(&ctx, "log").unwrap());
    /// let mut log = TextWriter::new(Arc::clone(&out));
    /// std::thread::spawn(move || writeln!(log, "from a thread").unwrap())
    ///     .join()
    ///     .unwrap();
    /// assert_eq!(ctx.startup_queued(), 1); // "from a thread\n"
    /// ```
    pub fn new(channel: C) -> Self {
        TextWriter {
            channel,
            chunk_chars: TEXT_CHUNK_CHARS,
            flush_timeout: TEXT_FLUSH_TIMEOUT,
            incomplete: Vec::new(),
        }
    }

    /// Cuts messages at `chars` characters; 0 does not cut (one message
    /// per write), as `chunksize=0`, the default of Python's `FileWrapper`.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::io::Write;
    /// use yoton::PubChannel;
    ///
    /// let ctx = yoton::context();
    /// let out = PubChannel::<String>::new(&ctx, "cut").unwrap();
    /// out.writer().with_chunk_chars(4).write_all(b"0123456789").unwrap();
    /// assert_eq!(ctx.startup_queued(), 3); // "0123", "4567", "89"
    /// out.writer().with_chunk_chars(0).write_all(b"0123456789").unwrap();
    /// assert_eq!(ctx.startup_queued(), 4);
    /// ```
    #[must_use]
    pub fn with_chunk_chars(mut self, chars: usize) -> Self {
        self.chunk_chars = chars;
        self
    }

    /// How many characters a message holds at most (0: no limit).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::PubChannel;
    ///
    /// let ctx = yoton::context();
    /// let out = PubChannel::<String>::new(&ctx, "size").unwrap();
    /// assert_eq!(out.writer().with_chunk_chars(1024).chunk_chars(), 1024);
    /// ```
    pub fn chunk_chars(&self) -> usize {
        self.chunk_chars
    }

    /// Lets [`flush`](Write::flush) wait up to `timeout`.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::io::Write;
    /// use std::time::Duration;
    /// use yoton::PubChannel;
    ///
    /// let ctx = yoton::context();
    /// let out = PubChannel::<String>::new(&ctx, "flushed").unwrap();
    /// let mut w = out.writer().with_flush_timeout(Duration::from_secs(1));
    /// assert_eq!(w.flush_timeout(), Duration::from_secs(1));
    /// w.flush().unwrap(); // no connection: nothing to wait for
    /// ```
    #[must_use]
    pub fn with_flush_timeout(mut self, timeout: Duration) -> Self {
        self.flush_timeout = timeout;
        self
    }

    /// How long [`flush`](Write::flush) waits at most.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::{PubChannel, TEXT_FLUSH_TIMEOUT};
    ///
    /// let ctx = yoton::context();
    /// let out = PubChannel::<String>::new(&ctx, "flush-default").unwrap();
    /// assert_eq!(out.writer().flush_timeout(), TEXT_FLUSH_TIMEOUT);
    /// ```
    pub fn flush_timeout(&self) -> Duration {
        self.flush_timeout
    }

    /// The first bytes of a character that the last write ended in, kept
    /// back for the next write to complete; empty between whole
    /// characters.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::io::Write;
    /// use yoton::PubChannel;
    ///
    /// let ctx = yoton::context();
    /// let out = PubChannel::<String>::new(&ctx, "held").unwrap();
    /// let mut w = out.writer();
    /// assert_eq!(w.write(b"ok \xf0\x9f").unwrap(), 5); // "ok " is sent
    /// assert_eq!(w.incomplete(), b"\xf0\x9f");
    /// assert_eq!(w.write(b"\x98\x80!").unwrap(), 3); // sends "😀!"
    /// assert!(w.incomplete().is_empty());
    /// assert_eq!(ctx.startup_queued(), 2);
    /// ```
    pub fn incomplete(&self) -> &[u8] {
        &self.incomplete
    }

    /// The channel written to.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::PubChannel;
    ///
    /// let ctx = yoton::context();
    /// let w = PubChannel::<String>::new(&ctx, "strm-out").unwrap().into_writer();
    /// assert_eq!(w.get_ref().slot_outgoing().name(), "strm-out.txt.pub-sub");
    /// ```
    pub fn get_ref(&self) -> &C {
        &self.channel
    }

    /// The channel, and the bytes of an unfinished character that the
    /// writer kept back (empty between whole characters): nothing written
    /// is dropped unseen.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::io::Write;
    /// use yoton::PubChannel;
    ///
    /// let ctx = yoton::context();
    /// let mut w = PubChannel::<String>::new(&ctx, "parts").unwrap().into_writer();
    /// w.write_all(b"caf\xc3").unwrap();
    /// let (channel, left) = w.into_parts();
    /// assert_eq!(left, b"\xc3");
    /// channel.send("done").unwrap();
    /// ```
    pub fn into_parts(self) -> (C, Vec<u8>) {
        (self.channel, self.incomplete)
    }

    /// Sends `text` cut into chunks; returns how many of its bytes went
    /// out, or the error of the first send that failed.
    fn send_chunks(&self, text: &str) -> (usize, Option<io::Error>) {
        let channel = self.channel.borrow();
        let mut sent = 0;
        for chunk in Chunks::new(text, self.chunk_chars) {
            if let Err(e) = channel.send(chunk) {
                return (sent, Some(send_error(e)));
            }
            sent += chunk.len();
        }
        (sent, None)
    }
}

impl<C: Borrow<PubChannel<String>>> Write for TextWriter<C> {
    /// Sends the text of `buf` (see [`TextWriter`] for how it is cut and
    /// for bytes that are not text), and returns how many bytes it took.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::io::{ErrorKind, Write};
    /// use yoton::PubChannel;
    ///
    /// let ctx = yoton::context();
    /// let out = PubChannel::<String>::new(&ctx, "bad-bytes").unwrap();
    /// let mut w = out.writer();
    /// assert_eq!(w.write(b"fine\xffrest").unwrap(), 4);
    /// assert_eq!(w.write(b"\xffrest").unwrap_err().kind(), ErrorKind::InvalidData);
    /// out.close();
    /// assert_eq!(w.write(b"late").unwrap_err().kind(), ErrorKind::BrokenPipe);
    /// ```
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let held = self.incomplete.len();
        // First complete the character kept back, with as few of `buf`'s
        // bytes as it needs.
        let mut first = [0u8; 4];
        let mut first_len = 0;
        let mut start = 0;
        if held > 0 {
            let take = (4 - held).min(buf.len());
            first[..held].copy_from_slice(&self.incomplete);
            first[held..held + take].copy_from_slice(&buf[..take]);
            let candidate = &first[..held + take];
            let valid = match std::str::from_utf8(candidate) {
                Ok(_) => candidate.len(),
                Err(e) => e.valid_up_to(),
            };
            if valid == 0 {
                if std::str::from_utf8(candidate).is_err_and(|e| e.error_len().is_none()) {
                    // Still unfinished: `buf` was too short.
                    self.incomplete.extend_from_slice(&buf[..take]);
                    return Ok(take);
                }
                let dropped = std::mem::take(&mut self.incomplete);
                return Err(not_text(&[&dropped, &buf[..take]].concat()));
            }
            // The kept-back character ends within the first `valid` bytes.
            let width = char_width(first[0]);
            first_len = width;
            start = width - held;
        }
        let rest = &buf[start..];
        let (text_len, tail, invalid) = match std::str::from_utf8(rest) {
            Ok(_) => (rest.len(), &rest[rest.len()..], false),
            Err(e) => match e.error_len() {
                None => (e.valid_up_to(), &rest[e.valid_up_to()..], false),
                Some(_) => (e.valid_up_to(), &rest[rest.len()..], true),
            },
        };
        if first_len == 0 && text_len == 0 && invalid {
            return Err(not_text(&rest[..rest.len().min(4)]));
        }
        let body = std::str::from_utf8(&rest[..text_len]).unwrap_or_default();
        let (sent, error) = if first_len > 0 {
            let mut text = String::with_capacity(first_len + body.len());
            text.push_str(std::str::from_utf8(&first[..first_len]).unwrap_or_default());
            text.push_str(body);
            let (sent, error) = self.send_chunks(&text);
            // Of what was sent, the kept-back bytes were taken before.
            (sent.saturating_sub(held), error)
        } else {
            self.send_chunks(body)
        };
        if let Some(e) = error {
            if sent == 0 {
                return Err(e);
            }
            self.incomplete.clear();
            return Ok(sent);
        }
        self.incomplete.clear();
        if invalid {
            return Ok(start + text_len);
        }
        self.incomplete.extend_from_slice(tail);
        Ok(buf.len())
    }

    /// Waits until the context has written what it sent (see
    /// [`TextWriter`]).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::io::Write;
    /// use yoton::{PubChannel, SubChannel};
    ///
    /// let (a, b) = (yoton::context(), yoton::context());
    /// let out = PubChannel::<String>::new(&a, "flush").unwrap();
    /// let _sub = SubChannel::<String>::new(&b, "flush").unwrap();
    /// let bound = a.bind("localhost:0").unwrap();
    /// b.connect(&format!("localhost:{}", bound.local_port())).unwrap();
    /// let mut w = out.writer();
    /// writeln!(w, "sent").unwrap();
    /// w.flush().unwrap();
    /// ```
    fn flush(&mut self) -> io::Result<()> {
        self.channel
            .borrow()
            .context()
            .flush(self.flush_timeout)
            .map_err(core_error)
    }
}

impl<C: fmt::Debug> fmt::Debug for TextWriter<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextWriter")
            .field("channel", &self.channel)
            .field("chunk_chars", &self.chunk_chars)
            .field("flush_timeout", &self.flush_timeout)
            .field("incomplete", &self.incomplete)
            .finish()
    }
}

impl PubChannel<String> {
    /// A [`TextWriter`] on this channel: a [`Write`] that sends what is
    /// written, cut at 256 characters as Pyzo's kernel cuts its stdout.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::io::Write;
    /// use yoton::PubChannel;
    ///
    /// let ctx = yoton::context();
    /// let out = PubChannel::<String>::new(&ctx, "strm-out").unwrap();
    /// write!(out.writer(), "{}", "x".repeat(1000)).unwrap();
    /// assert_eq!(ctx.startup_queued(), 4); // 256 + 256 + 256 + 232
    /// ```
    pub fn writer(&self) -> TextWriter<&PubChannel<String>> {
        TextWriter::new(self)
    }

    /// A [`TextWriter`] that owns this channel (it closes when the writer
    /// is dropped).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::io::Write;
    /// use yoton::{PubChannel, TextWriter};
    ///
    /// struct Kernel {
    ///     stderr: TextWriter,
    /// }
    ///
    /// let ctx = yoton::context();
    /// let stderr = PubChannel::<String>::new(&ctx, "strm-err").unwrap().into_writer();
    /// let mut kernel = Kernel { stderr };
    /// writeln!(kernel.stderr, "Traceback (most recent call last):").unwrap();
    /// ```
    pub fn into_writer(self) -> TextWriter<PubChannel<String>> {
        TextWriter::new(self)
    }
}

/// The pieces of a text of at most `max` characters each (all of it in one
/// piece when `max` is 0), as Python's `text[i:i + max]`.
struct Chunks<'a> {
    rest: &'a str,
    max: usize,
}

impl<'a> Chunks<'a> {
    fn new(text: &'a str, max: usize) -> Self {
        Chunks { rest: text, max }
    }
}

impl<'a> Iterator for Chunks<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }
        // No more bytes than `max` means no more characters either.
        let end = if self.max == 0 || self.rest.len() <= self.max {
            self.rest.len()
        } else {
            self.rest
                .char_indices()
                .nth(self.max)
                .map_or(self.rest.len(), |(i, _)| i)
        };
        let (chunk, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(chunk)
    }
}

/// The length of the UTF-8 sequence that `lead` starts (a lead byte that
/// `from_utf8` has accepted).
fn char_width(lead: u8) -> usize {
    match lead {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(text: &str, max: usize) -> Vec<&str> {
        Chunks::new(text, max).collect()
    }

    #[test]
    fn chunks_are_counted_in_characters_as_python_slices_them() {
        assert_eq!(cut("", 3), Vec::<&str>::new());
        assert_eq!(cut("abcdefg", 3), ["abc", "def", "g"]);
        assert_eq!(cut("abcdef", 3), ["abc", "def"]);
        assert_eq!(cut("abc", 3), ["abc"]);
        assert_eq!(cut("abcdefg", 0), ["abcdefg"]);
        // Multi-byte characters count one each, and are never cut.
        assert_eq!(cut("é€😀aé€😀", 3), ["é€😀", "aé€", "😀"]);
        assert_eq!(cut("éé", 1), ["é", "é"]);
        // Fewer bytes than the limit: one piece without counting.
        assert_eq!(cut("é€", 5), ["é€"]);
    }

    #[test]
    fn char_widths_follow_the_lead_byte() {
        for c in ['a', 'é', '€', '😀'] {
            let mut buf = [0u8; 4];
            let bytes = c.encode_utf8(&mut buf).as_bytes();
            assert_eq!(char_width(bytes[0]), bytes.len(), "{c}");
        }
    }
}
