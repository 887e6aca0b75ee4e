//! [`TextReader`]: a [`BufRead`] over a text sub channel.

use std::borrow::Borrow;
use std::fmt;
use std::io::{self, BufRead, Read};
use std::time::Duration;

use crate::error::{RecvTimeoutError, TryRecvError};
use crate::sub_channel::SubChannel;

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
