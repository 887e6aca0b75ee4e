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

use std::io;
use std::time::Duration;

use crate::error::{Error, SendError};

mod reader;
mod writer;

pub use reader::TextReader;
pub use writer::TextWriter;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PubChannel, SubChannel};

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
