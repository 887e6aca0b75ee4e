//! Text channels as byte streams: [`TextWriter`] is a [`std::io::Write`]
//! over a `PubChannel<String>`, [`TextReader`] a [`std::io::BufRead`] over
//! a `SubChannel<String>`. They are what Pyzo's kernel makes of its
//! stdout, stderr and stdin with Python yoton's `FileWrapper`.
//!
//! # Chunks, as `FileWrapper` cuts them
//! Python's `FileWrapper(channel, chunksize)` sends every `write(text)` at
//! once, as one message, or as several of `chunksize` characters when the
//! text is longer (Pyzo's kernel passes 256 for stdout and stderr; the
//! default there, 0, means no cutting). It never waits for a newline and
//! never joins writes. [`TextWriter`] does the same with each call of
//! [`write`](std::io::Write::write), by characters (Unicode scalar values,
//! which are Python's code points), so the messages that arrive are those
//! the kernel would send for the same writes. For a message per line, put
//! a [`std::io::LineWriter`] in front of it.
//!
//! A write that ends inside a UTF-8 character keeps those bytes back until
//! the next write completes it; bytes that cannot be UTF-8 are refused
//! with [`std::io::ErrorKind::InvalidData`].
//!
//! # Reading
//! [`TextReader`] yields the bytes of the received messages in order, one
//! after the other: messages do not mark lines (the kernel sends `42` and
//! `\n` of one `print` as two messages), so
//! [`lines`](std::io::BufRead::lines) joins and splits them as the text
//! says. A message always holds whole characters, so the stream never
//! pauses inside one. (Python's `FileWrapper.readline` instead takes each
//! message for a line.)
//!
//! ```
//! # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
//! use std::io::{BufRead, Write};
//! use std::time::Duration;
//! use yoton::{PubChannel, SubChannel};
//!
//! let (kernel, ide) = (yoton::context(), yoton::context());
//! let stdout = PubChannel::<String>::new(&kernel, "strm-out").unwrap();
//! let shown = SubChannel::<String>::new(&ide, "strm-out").unwrap();
//! let bound = kernel.bind("inproc://").unwrap();
//! ide.connect(&format!("inproc://{}", bound.local_host())).unwrap();
//!
//! let mut out = stdout.writer();
//! writeln!(out, "{}", 6 * 7).unwrap(); // two writes: "42" and "\n"
//!
//! let mut lines = shown.reader().with_timeout(Duration::from_secs(10)).lines();
//! assert_eq!(lines.next().unwrap().unwrap(), "42");
//! ```

use std::borrow::Borrow;
use std::fmt;
use std::io::{self, BufRead, Read, Write};
use std::time::Duration;

use crate::error::{Error, RecvTimeoutError, SendError, TryRecvError};
use crate::pub_channel::PubChannel;
use crate::sub_channel::SubChannel;

/// How many characters a [`TextWriter`] puts in one message at most,
/// unless told otherwise: 256, what Pyzo's kernel gives the `FileWrapper`
/// of its stdout and stderr.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use yoton::{PubChannel, TEXT_CHUNK_CHARS};
///
/// let ctx = yoton::context();
/// let out = PubChannel::<String>::new(&ctx, "strm-err").unwrap();
/// assert_eq!(out.writer().chunk_chars(), TEXT_CHUNK_CHARS);
/// assert_eq!(TEXT_CHUNK_CHARS, 256);
/// ```
pub const TEXT_CHUNK_CHARS: usize = 256;

/// How long [`TextWriter`]'s `flush` waits for the context, unless told
/// otherwise: 5 s, the default of Python yoton's `Context.flush`.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use std::time::Duration;
/// use yoton::TEXT_FLUSH_TIMEOUT;
///
/// assert_eq!(TEXT_FLUSH_TIMEOUT, Duration::from_secs(5));
/// ```
pub const TEXT_FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------
// Writing

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

fn not_text(bytes: &[u8]) -> io::Error {
    let shown: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "a text channel sends UTF-8, and bytes {} are not",
            shown.join(" ")
        ),
    )
}

fn send_error(error: SendError) -> io::Error {
    match error {
        SendError::Closed(()) => io::Error::new(io::ErrorKind::BrokenPipe, error.to_string()),
        SendError::Context(e) => core_error(e),
        other => io::Error::other(other.to_string()),
    }
}

fn core_error(error: Error) -> io::Error {
    match error {
        Error::Io(e) => e,
        Error::Timeout { .. } => io::Error::new(io::ErrorKind::TimedOut, error),
        Error::Closed { .. } => io::Error::new(io::ErrorKind::BrokenPipe, error),
        other => io::Error::other(other),
    }
}

// ---------------------------------------------------------------------------
// Reading

/// A [`BufRead`] (and [`Read`]) over a text sub channel: the bytes of the
/// messages it receives, in order, one message after the other.
///
/// Messages do not mark lines or anything else: [`lines`](BufRead::lines)
/// and [`read_line`](BufRead::read_line) join them and split them where
/// the text has a `\n`. Each message holds whole characters, so the bytes
/// never stop inside one.
///
/// # Waiting, and the end
/// Without a timeout a read waits for the next message as long as it
/// takes. The end of the stream (a read of 0 bytes) is the channel closed
/// with nothing pending: closed with [`SubChannel::close`] (from another
/// thread, say), or by its context. A pub channel that goes away, or a
/// connection that closes, is not the end (the channel does not know who
/// will publish), so to stop waiting for a peer that may be gone, set a
/// timeout:
/// - [`with_timeout`](TextReader::with_timeout)`(d)`: a read that needs a
///   message waits at most `d`, then fails with
///   [`io::ErrorKind::TimedOut`].
/// - A zero timeout does not wait: a read with nothing pending fails with
///   [`io::ErrorKind::WouldBlock`], as a non-blocking socket's does.
///
/// Nothing is lost by a timeout: the reader keeps its place, and
/// [`read_line`](BufRead::read_line) keeps the bytes of the line it read
/// so far in its `String` (they are whole characters), so calling it
/// again with the same `String` goes on with the line.
/// ([`lines`](BufRead::lines) makes a new `String` per line, so a line cut
/// by a timeout loses its start there: with a timeout, prefer
/// `read_line`.)
///
/// Messages that are not UTF-8 never reach the reader: the channel skips
/// and counts them ([`SubChannel::decode_errors`]).
///
/// A `TextReader` holds its channel as any [`Borrow`] of a
/// `SubChannel<String>`: a reference ([`SubChannel::reader`]), the channel
/// itself ([`SubChannel::into_reader`]) or an `Arc` ([`TextReader::new`]).
/// It is `Send` and `Sync` when that is.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use std::io::{BufRead, ErrorKind};
/// use std::time::Duration;
/// use yoton::{PubChannel, SubChannel};
///
/// let (a, b) = (yoton::context(), yoton::context());
/// let out = PubChannel::<String>::new(&a, "strm-out").unwrap();
/// let sub = SubChannel::<String>::new(&b, "strm-out").unwrap();
/// let bound = a.bind("inproc://").unwrap();
/// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
///
/// for piece in ["4", "2\nsecond ", "line\n", "last"] {
///     out.send(piece).unwrap();
/// }
/// let mut reader = sub.reader().with_timeout(Duration::from_secs(10));
/// let mut line = String::new();
/// reader.read_line(&mut line).unwrap();
/// assert_eq!(line, "42\n");
/// line.clear();
/// reader.read_line(&mut line).unwrap();
/// assert_eq!(line, "second line\n");
///
/// // "last" has no newline yet: the read times out, keeping it.
/// line.clear();
/// reader.set_timeout(Some(Duration::from_millis(10)));
/// let err = reader.read_line(&mut line).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::TimedOut);
/// assert_eq!(line, "last");
///
/// // Closed, and nothing pending: the end.
/// sub.close();
/// assert_eq!(reader.read_line(&mut line).unwrap(), 0);
/// assert_eq!(line, "last");
/// ```
pub struct TextReader<C = SubChannel<String>> {
    channel: C,
    timeout: Option<Duration>,
    /// The message being read, and how much of it is.
    message: Vec<u8>,
    read: usize,
}

impl<C: Borrow<SubChannel<String>>> TextReader<C> {
    /// A reader of `channel` (a `SubChannel<String>`, a reference to one or
    /// an `Arc` of one) that waits as long as it takes.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::io::Read;
    /// use std::sync::Arc;
    /// use yoton::{SubChannel, TextReader};
    ///
    /// let ctx = yoton::context();
    /// let sub = Arc::new(SubChannel::<String>::new(&ctx, "strm-in").unwrap());
    /// let mut reader = TextReader::new(Arc::clone(&sub));
    /// let reading = std::thread::spawn(move || {
    ///     let mut all = String::new();
    ///     reader.read_to_string(&mut all).map(|_| all)
    /// });
    /// sub.close(); // the end of the stream: the read returns
    /// assert_eq!(reading.join().unwrap().unwrap(), "");
    /// ```
    pub fn new(channel: C) -> Self {
        TextReader {
            channel,
            timeout: None,
            message: Vec::new(),
            read: 0,
        }
    }

    /// Lets a read wait at most `timeout` for a message (zero: not at
    /// all); see [`TextReader`] for the errors.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::io::{ErrorKind, Read};
    /// use std::time::Duration;
    /// use yoton::SubChannel;
    ///
    /// let ctx = yoton::context();
    /// let sub = SubChannel::<String>::new(&ctx, "quiet").unwrap();
    /// let mut buf = [0u8; 16];
    /// let mut waiting = sub.reader().with_timeout(Duration::from_millis(5));
    /// assert_eq!(waiting.read(&mut buf).unwrap_err().kind(), ErrorKind::TimedOut);
    /// let mut polling = sub.reader().with_timeout(Duration::ZERO);
    /// assert_eq!(polling.read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
    /// ```
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets how long a read waits for a message at most (`None`: as long
    /// as it takes).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::time::Duration;
    /// use yoton::SubChannel;
    ///
    /// let ctx = yoton::context();
    /// let sub = SubChannel::<String>::new(&ctx, "timeouts").unwrap();
    /// let mut reader = sub.reader();
    /// reader.set_timeout(Some(Duration::from_secs(1)));
    /// assert_eq!(reader.timeout(), Some(Duration::from_secs(1)));
    /// reader.set_timeout(None);
    /// assert_eq!(reader.timeout(), None);
    /// ```
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    /// How long a read waits for a message at most (`None`: as long as it
    /// takes, the default).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::SubChannel;
    ///
    /// let ctx = yoton::context();
    /// let sub = SubChannel::<String>::new(&ctx, "patient").unwrap();
    /// assert_eq!(sub.reader().timeout(), None);
    /// ```
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The bytes received but not read yet (the rest of the current
    /// message; messages still in the channel's queue are not here).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::io::Read;
    /// use std::time::Duration;
    /// use yoton::{PubChannel, SubChannel};
    ///
    /// let (a, b) = (yoton::context(), yoton::context());
    /// let out = PubChannel::<String>::new(&a, "peek").unwrap();
    /// let sub = SubChannel::<String>::new(&b, "peek").unwrap();
    /// let bound = a.bind("inproc://").unwrap();
    /// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
    /// out.send("hello").unwrap();
    /// let mut reader = sub.reader().with_timeout(Duration::from_secs(10));
    /// let mut two = [0u8; 2];
    /// reader.read_exact(&mut two).unwrap();
    /// assert_eq!(&two, b"he");
    /// assert_eq!(reader.buffer(), b"llo");
    /// ```
    pub fn buffer(&self) -> &[u8] {
        &self.message[self.read..]
    }

    /// The channel read from.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::SubChannel;
    ///
    /// let ctx = yoton::context();
    /// let reader = SubChannel::<String>::new(&ctx, "strm-in").unwrap().into_reader();
    /// assert_eq!(reader.get_ref().pending(), 0);
    /// ```
    pub fn get_ref(&self) -> &C {
        &self.channel
    }

    /// The channel, and the bytes received but not read yet (see
    /// [`buffer`](TextReader::buffer)).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::SubChannel;
    ///
    /// let ctx = yoton::context();
    /// let reader = SubChannel::<String>::new(&ctx, "strm-in").unwrap().into_reader();
    /// let (sub, unread) = reader.into_parts();
    /// assert!(unread.is_empty());
    /// assert!(!sub.is_closed());
    /// ```
    pub fn into_parts(mut self) -> (C, Vec<u8>) {
        self.message.drain(..self.read);
        (self.channel, self.message)
    }

    /// The next message, waiting as the timeout says; `None` at the end.
    fn next_message(&self) -> io::Result<Option<String>> {
        let channel = self.channel.borrow();
        match self.timeout {
            None => Ok(channel.recv().ok()),
            Some(timeout) if timeout.is_zero() => match channel.try_recv() {
                Ok(message) => Ok(Some(message)),
                Err(TryRecvError::Closed) => Ok(None),
                Err(TryRecvError::Empty) => Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    TryRecvError::Empty,
                )),
            },
            Some(timeout) => match channel.recv_timeout(timeout) {
                Ok(message) => Ok(Some(message)),
                Err(RecvTimeoutError::Closed) => Ok(None),
                Err(RecvTimeoutError::Timeout) => Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    RecvTimeoutError::Timeout,
                )),
            },
        }
    }
}

impl<C: Borrow<SubChannel<String>>> Read for TextReader<C> {
    /// Reads the next bytes of the stream: at most what is left of one
    /// message. Waits for a message only when nothing is left (see
    /// [`TextReader`] for the timeout); 0 at the end.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::io::Read;
    /// use std::time::Duration;
    /// use yoton::{PubChannel, SubChannel};
    ///
    /// let (a, b) = (yoton::context(), yoton::context());
    /// let out = PubChannel::<String>::new(&a, "bytes").unwrap();
    /// let sub = SubChannel::<String>::new(&b, "bytes").unwrap();
    /// let bound = a.bind("inproc://").unwrap();
    /// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
    /// out.send("ab").unwrap();
    /// out.send("cd").unwrap();
    /// let mut reader = sub.reader().with_timeout(Duration::from_secs(10));
    /// let mut buf = [0u8; 8];
    /// assert_eq!(reader.read(&mut buf).unwrap(), 2); // "ab": one message
    /// assert_eq!(reader.read(&mut buf).unwrap(), 2); // "cd"
    /// assert_eq!(&buf[..2], b"cd");
    /// ```
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<C: Borrow<SubChannel<String>>> BufRead for TextReader<C> {
    /// The rest of the current message, or the next message when nothing
    /// is left (waiting as the timeout says); empty at the end.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::io::BufRead;
    /// use yoton::SubChannel;
    ///
    /// let ctx = yoton::context();
    /// let sub = SubChannel::<String>::new(&ctx, "ended").unwrap();
    /// sub.close();
    /// assert!(sub.reader().fill_buf().unwrap().is_empty());
    /// ```
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.read >= self.message.len() {
            match self.next_message()? {
                Some(message) => {
                    self.message = message.into_bytes();
                    self.read = 0;
                }
                None => {
                    self.message.clear();
                    self.read = 0;
                    return Ok(&[]);
                }
            }
        }
        Ok(&self.message[self.read..])
    }

    /// Marks `amount` bytes of [`fill_buf`](BufRead::fill_buf) as read.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::io::BufRead;
    /// use std::time::Duration;
    /// use yoton::{PubChannel, SubChannel};
    ///
    /// let (a, b) = (yoton::context(), yoton::context());
    /// let out = PubChannel::<String>::new(&a, "consume").unwrap();
    /// let sub = SubChannel::<String>::new(&b, "consume").unwrap();
    /// let bound = a.bind("inproc://").unwrap();
    /// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
    /// out.send(">>> ").unwrap();
    /// let mut reader = sub.reader().with_timeout(Duration::from_secs(10));
    /// assert_eq!(reader.fill_buf().unwrap(), b">>> ");
    /// reader.consume(4);
    /// assert!(reader.buffer().is_empty());
    /// ```
    fn consume(&mut self, amount: usize) {
        self.read = (self.read + amount).min(self.message.len());
    }
}

impl<C: fmt::Debug> fmt::Debug for TextReader<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextReader")
            .field("channel", &self.channel)
            .field("timeout", &self.timeout)
            .field("buffered", &(self.message.len() - self.read))
            .finish()
    }
}

impl SubChannel<String> {
    /// A [`TextReader`] of this channel: a [`BufRead`] over the bytes of
    /// the messages it receives.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::io::BufRead;
    /// use std::time::Duration;
    /// use yoton::{PubChannel, SubChannel};
    ///
    /// let (a, b) = (yoton::context(), yoton::context());
    /// let out = PubChannel::<String>::new(&a, "ctrl-command").unwrap();
    /// let stdin = SubChannel::<String>::new(&b, "ctrl-command").unwrap();
    /// let bound = a.bind("inproc://").unwrap();
    /// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
    /// out.send("print(6*7)\n").unwrap();
    /// let mut line = String::new();
    /// stdin
    ///     .reader()
    ///     .with_timeout(Duration::from_secs(10))
    ///     .read_line(&mut line)
    ///     .unwrap();
    /// assert_eq!(line, "print(6*7)\n");
    /// ```
    pub fn reader(&self) -> TextReader<&SubChannel<String>> {
        TextReader::new(self)
    }

    /// A [`TextReader`] that owns this channel (it closes when the reader
    /// is dropped).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::io::BufRead;
    /// use yoton::{SubChannel, TextReader};
    ///
    /// struct Kernel {
    ///     stdin: TextReader,
    /// }
    ///
    /// let ctx = yoton::context();
    /// let stdin = SubChannel::<String>::new(&ctx, "ctrl-command").unwrap().into_reader();
    /// let kernel = Kernel { stdin };
    /// kernel.stdin.get_ref().close();
    /// assert_eq!(kernel.stdin.lines().count(), 0);
    /// ```
    pub fn into_reader(self) -> TextReader<SubChannel<String>> {
        TextReader::new(self)
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

    #[test]
    fn readers_and_writers_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<TextWriter>();
        check::<TextWriter<&PubChannel<String>>>();
        check::<TextWriter<std::sync::Arc<PubChannel<String>>>>();
        check::<TextReader>();
        check::<TextReader<&SubChannel<String>>>();
        check::<TextReader<std::sync::Arc<SubChannel<String>>>>();
    }

    #[test]
    fn io_errors_keep_the_kind_of_what_failed() {
        let closed = send_error(SendError::Closed(()));
        assert_eq!(closed.kind(), io::ErrorKind::BrokenPipe);
        let timeout = core_error(Error::Timeout {
            operation: "flush",
            after: Duration::from_secs(5),
        });
        assert_eq!(timeout.kind(), io::ErrorKind::TimedOut);
        let inner = core_error(Error::Io(io::Error::from(io::ErrorKind::ConnectionReset)));
        assert_eq!(inner.kind(), io::ErrorKind::ConnectionReset);
        let bad = not_text(b"\xff");
        assert_eq!(bad.kind(), io::ErrorKind::InvalidData);
        assert!(bad.to_string().contains("ff"), "{bad}");
    }
}
