//! yoton connects processes and threads so that they exchange messages,
//! byte for byte compatible with the Python yoton of the pyzo IDE
//! (`pyzo==4.22.0`).
//!
//! This is the crate to depend on: it re-exports what programs use from
//! the `yoton-*` crates behind it, and [`context()`] makes a [`Context`]
//! with the TCP, in-process and (on Unix) `ipc://` transports registered.
//!
//! # Getting started
//!
//! Add the crate:
//!
//! ```text
//! cargo add yoton
//! ```
//!
//! A first program: one context binds on a free port of the loopback
//! interface, another connects to it, and a [`PubChannel`] on one sends
//! to the [`SubChannel`]s of the same name on the others:
//!
//! ```
//! use std::time::Duration;
//! use yoton::{PubChannel, SubChannel};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // One context binds on a free port of the loopback interface...
//! let server = yoton::context();
//! let news = SubChannel::<String>::new(&server, "news")?;
//! let bound = server.bind("tcp://127.0.0.1:0")?;
//!
//! // ...and another connects to it (in another process, usually).
//! let client = yoton::context();
//! let publisher = PubChannel::<String>::new(&client, "news")?;
//! let connection = client.connect(&format!("tcp://127.0.0.1:{}", bound.local_port()))?;
//! assert_eq!(connection.peer_id(), Some(server.id()));
//!
//! publisher.send("hello from the client")?;
//! assert_eq!(news.recv_timeout(Duration::from_secs(10))?, "hello from the client");
//!
//! client.close(); // tells the server, which sees "Closed from other end."
//! # Ok(())
//! # }
//! ```
//!
//! Across processes each side is one half of this program: the chat of
//! `examples/chat.rs` hosts with `cargo run -p yoton --example chat -- host`
//! and joins from another terminal with
//! `cargo run -p yoton --example chat -- join localhost:chat`. Make the
//! channels before connecting, and bound every wait (see
//! [what people trip over](#what-people-trip-over)).
//!
//! # What is where
//!
//! - **Contexts and connections.** A [`Context`] routes messages between
//!   its channels and its [`Connection`]s; contexts may form any network (a
//!   package is forwarded and never delivered twice). It is a cheap,
//!   `Send + Sync` handle; [`Context::bind`] and [`Context::connect`] make
//!   connections ([`BindOptions`], [`ConnectOptions`]). A [`Connection`]
//!   links two contexts. It reports its peer
//!   ([`peer_id`](Connection::peer_id), [`peer_pid`](Connection::peer_pid),
//!   [`peer_host`](Connection::peer_host), [`peer_port`](Connection::peer_port)) and
//!   its events: [`closed`](Connection::closed) with a reason (the texts
//!   are in [`reason`]), and [`timedout`](Connection::timedout) when the
//!   peer goes silent and comes back. Events are [`Signal`]s: connect a
//!   handler or subscribe a receiver ([`signal`]).
//! - **Channel kinds.** Channels carry messages on a named slot
//!   ([`SlotName`]):
//!   - pub/sub: [`PubChannel`] and [`SubChannel`], with a bounded receive
//!     queue ([`SubOptions`], [`Overflow`]) and [`select_timeout`] to wait
//!     on several;
//!   - state: [`StateChannel`], the latest value, resent to newcomers;
//!   - req/rep: [`ReqChannel`] and [`RepChannel`], calls by method name
//!     ([`Methods`], [`Handler`]), balanced over the repliers of a slot,
//!     with a [`CallFuture`] for each;
//!   - text as streams: [`TextWriter`] ([`PubChannel::writer`]) is a
//!     [`std::io::Write`] that cuts what is written into messages of 256
//!     characters at most, as Pyzo's kernel does with its stdout, and
//!     [`TextReader`] ([`SubChannel::reader`]) a [`std::io::BufRead`] over
//!     the received messages, with a timeout if wanted.
//! - **Message types.** A channel's type parameter is its [`MessageType`]:
//!   `String` for text (`txt`), `Vec<u8>` or [`Bytes`] for bytes (`bin`),
//!   [`Object`] for Python values (`obj`, what Pyzo's kernels speak),
//!   [`Obj<T>`] for any serde type in those same bytes, and
//!   [`Postcard<T>`] for any serde type between Rust programs. The OBJECT
//!   format on its own is [`object`].
//! - **Transports and addresses.** Addresses are `[protocol://]host:port`
//!   ([`Address`]); the port may be a name, hashed as Python yoton hashes
//!   it (`localhost:chat`, `localhost:chat+1`). `tcp://` ([`TcpTransport`],
//!   [`TcpOptions`]) is the default protocol and the one Python yoton
//!   speaks; `ipc:///path` or `ipc://name` (`IpcTransport`, Unix domain
//!   sockets, Unix only) joins processes of one machine; `inproc://name`
//!   ([`InprocTransport`]) joins contexts of one process.
//! - **Secured links.** [`secured_context`] makes a context whose `tcp://`
//!   and `ipc://` links authenticate both peers with a pre-shared
//!   [`Secret`] and encrypt every byte (see [`secure`] and
//!   `docs/SECURITY.md`). A plain [`context()`] speaks Python yoton's
//!   wire, which has no security.
//! - **Errors.** One [`Error`] for everything, with one `Timeout` and one
//!   `Closed`. The channels' operations return small errors of their own,
//!   in crossbeam-channel's manner ([`RecvTimeoutError`], [`TryRecvError`],
//!   [`RecvError`], [`SendError`], which hands back an owned message), and
//!   each converts into [`Error`], so `?` works. A call ends with a
//!   [`CallError`] of its own: the replier failed, no replier took it, or
//!   no reply came.
//!
//! # What people trip over
//!
//! - **Channels first, then connect.** A message that arrives for a slot
//!   nobody receives on is not kept (it is counted in
//!   [`Context::unrouted_packages`] and reported through `tracing`). A
//!   state channel made after its context connected sees nothing until the
//!   owner sets a new value: make it before connecting, or call
//!   [`StateChannel::request_resend`].
//! - **Signals do not replay.** A receiver subscribed after an event gets
//!   nothing for it; check the current state first
//!   ([`Connection::close_reason`], [`StateChannel::get`],
//!   [`SubChannel::pending`]).
//! - **`received` counts what was queued.** Under
//!   [`Overflow::DropNewest`] a message dropped on arrival is never
//!   signalled, so waiting for N emissions under a flood may never end;
//!   count [`SubChannel::dropped`] too, or wait with a timeout.
//! - **Typed channels meet by name.** [`Postcard<T>`] puts the
//!   [`TypeName`] of `T` into the slot; both programs must give the same
//!   name.
//! - **Every wait can be bounded:** `recv_timeout`/`recv_deadline`,
//!   [`select_timeout`], [`StateChannel::get_or_wait`] and
//!   [`StateChannel::wait_changed_timeout`], a connection's
//!   `wait_connected`.
//!
//! # Features
//!
//! - `tcp` (default): [`context()`] registers [`TcpTransport`] for `tcp`.
//! - `inproc` (default): [`context()`] registers [`InprocTransport`] for
//!   `inproc`.
//! - `ipc` (default; Unix only): [`context()`] registers `IpcTransport`
//!   for `ipc` (`ipc:///path/to/socket`, or `ipc://name` for a socket of
//!   that name in the runtime directory).
//!
//! Without any, [`context()`] still works, and transports can be
//! registered by hand with [`Context::register_transport`]. To write a
//! transport, or to work with packages and slots directly, depend on
//! `yoton-core`, whose types these are.
//!
//! # Examples
//!
//! The `examples/` directory holds the chat between two processes (see
//! [getting started](#getting-started)), a state channel, the connection
//! events, and a real Pyzo kernel driven over OBJECT and
//! req/rep channels (`cargo run -p yoton --example pyzo_kernel -- 'print(6*7)'`,
//! with `pyzo` installed for `--python PATH`).
#![forbid(unsafe_code)]
// The examples here and in the README must read clean, as users copy them.
#![doc(test(attr(deny(warnings))))]

#[cfg(any(feature = "tcp", feature = "inproc"))]
use std::sync::Arc;

pub use yoton_core::{
    Address, AddressError, Backoff, BindOptions, ClosedEvent, ClosedFuture, ConnectOptions,
    ConnectedFuture, Connection, ConnectionKey, Context, ContextId, Error, FlushFuture, HandlerId,
    LinkEvent, Package, Persistent, Result, Signal, Slot, State, Tap, TimedOutEvent, address,
    reason,
};

pub use yoton_channels::{
    CallError, CallFuture, DEFAULT_CALL_TIMEOUT, Handler, HandlerError, Methods, RepChannel,
    Replier, ReqChannel, Request,
};

pub use yoton_channels::{
    DEFAULT_CAPACITY, Dict, Iter, MessageError, MessageType, Obj, Object, Overflow, Postcard,
    PubChannel, RecvBatchFuture, RecvError, RecvFuture, RecvTimeoutError, Selectable, Selection,
    SendError, SlotName, StateChannel, StateFuture, SubChannel, SubOptions, TEXT_CHUNK_CHARS,
    TEXT_FLUSH_TIMEOUT, TextReader, TextWriter, TryIter, TryRecvError, TypeName, select,
    select_deadline, select_sub_channel, select_timeout, type_name,
};

/// The former name of the channels' error type, now the one [`Error`].
#[doc(hidden)]
pub use yoton_core::Error as ChannelError;

/// Bytes as channels send and receive them without copying (the message
/// of `PubChannel<Bytes>` and `SubChannel<Bytes>`, and what
/// [`PubChannel::send_bytes`] takes).
#[doc(no_inline)]
pub use bytes::Bytes;

/// What [`Signal::subscribe`] returns: the receiving end of an unbounded
/// `crossbeam-channel` that gets every event emitted after subscribing.
/// Its errors are in [`signal`].
#[doc(no_inline)]
pub use crossbeam_channel::Receiver;

/// Signals (the events of connections and channels) and the receivers
/// that [`Signal::subscribe`] returns, with their errors: crossbeam's, so
/// `Disconnected` means the signal is gone. (The channels' own receive
/// errors, at the top of this crate, say `Closed` instead.)
///
/// A receiver gets only the events emitted after it subscribed: signals do
/// not replay. To learn whether a connection closed before you
/// subscribed, check [`Connection::close_reason`] first.
///
/// ```
/// use std::time::Duration;
/// use yoton::signal::RecvTimeoutError;
///
/// let ctx = yoton::context();
/// let bound = ctx.bind("inproc://").unwrap();
/// let closed = bound.closed().subscribe();
/// match closed.recv_timeout(Duration::from_millis(5)) {
///     Err(RecvTimeoutError::Timeout) => {} // still waiting for a peer
///     other => panic!("{other:?}"),
/// }
/// ```
pub mod signal {
    #[doc(no_inline)]
    pub use crossbeam_channel::{Receiver, RecvError, RecvTimeoutError, TryRecvError};
    pub use yoton_core::{HandlerId, Signal};
}

/// The OBJECT format on its own: encode and decode [`Object`]s and serde
/// types in the reference's bytes, outside any channel.
///
/// ```
/// let bytes = yoton::object::to_bytes(&("echo", (1, 2.5), ()))?;
/// assert_eq!(yoton::Object::from_bytes(&bytes)?.to_string(), "('echo', (1, 2.5), None)");
/// # Ok::<(), yoton::object::Error>(())
/// ```
pub use yoton_object as object;

/// The channels crate, for everything that is not re-exported at the top
/// (such as the sync mode numbers in [`channels::sync`]).
pub use yoton_channels as channels;

#[cfg(feature = "inproc")]
pub use yoton_inproc::InprocTransport;
#[cfg(all(feature = "ipc", unix))]
pub use yoton_ipc::IpcTransport;
#[cfg(feature = "tcp")]
pub use yoton_tcp::{TcpOptions, TcpTransport};

/// Secured links: the [`Secret`] both peers hold, and the rules of the
/// secured stream (handshake, frames, the refusals peers are told).
#[cfg(any(feature = "tcp", all(feature = "ipc", unix)))]
pub use yoton_stream::secure;

#[cfg(any(feature = "tcp", all(feature = "ipc", unix)))]
pub use yoton_stream::secure::Secret;

/// A new [`Context`] like [`context()`], whose `tcp://` and `ipc://`
/// transports secure every link with `secret`: both peers must hold the
/// same one, and every byte between them is encrypted and authenticated.
/// Plain peers (Python yoton among them) are refused with a reason each
/// side can read. `inproc://` stays as it is: it never leaves the process.
///
/// ```
/// use std::time::Duration;
/// use yoton::{PubChannel, Secret, SubChannel};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // In real use both read it from one file (`yoton keygen FILE`):
/// // `Secret::read_file(path)?`.
/// let secret = Secret::generate()?;
/// let server = yoton::secured_context(secret.clone());
/// let news = SubChannel::<String>::new(&server, "news")?;
/// let bound = server.bind("localhost:0")?;
///
/// let client = yoton::secured_context(secret);
/// let publisher = PubChannel::<String>::new(&client, "news")?;
/// client.connect(&format!("localhost:{}", bound.local_port()))?;
/// publisher.send("sealed on the way")?;
/// assert_eq!(news.recv_timeout(Duration::from_secs(10))?, "sealed on the way");
///
/// // Without the secret, a peer is refused and told why.
/// let stranger = yoton::context();
/// let server2 = yoton::secured_context(Secret::generate()?);
/// let bound2 = server2.bind("localhost:0")?;
/// let refused = stranger.connect(&format!("localhost:{}", bound2.local_port()));
/// assert!(refused.unwrap_err().to_string().contains("the host is secured"));
/// # Ok(())
/// # }
/// ```
#[cfg(any(feature = "tcp", all(feature = "ipc", unix)))]
pub fn secured_context(secret: Secret) -> Context {
    let context = Context::new();
    register_transports(&context);
    #[cfg(feature = "tcp")]
    match TcpTransport::with_options(TcpOptions::new().with_secret(secret.clone())) {
        Ok(transport) => {
            context.register_transport(Arc::new(transport));
        }
        // The default options with a secret are valid.
        Err(e) => unreachable!("default options refused: {e}"),
    }
    #[cfg(all(feature = "ipc", unix))]
    match IpcTransport::with_options(yoton_ipc::StreamOptions::new().with_secret(secret)) {
        Ok(transport) => {
            context.register_transport(Arc::new(transport));
        }
        Err(e) => unreachable!("default options refused: {e}"),
    }
    context
}

/// A new [`Context`] with a fresh id and the transports of the enabled
/// features registered (TCP, in-process and, on Unix, `ipc://` by
/// default).
///
/// This is the usual way to start; it is [`Context::new`] followed by
/// [`register_transports`].
///
/// ```
/// let ctx = yoton::context();
/// let bound = ctx.bind("inproc://").unwrap(); // any free in-process name
/// assert!(bound.is_waiting());
/// ```
pub fn context() -> Context {
    let context = Context::new();
    register_transports(&context);
    context
}

/// Registers the transports of the enabled features on `context` (for a
/// context made some other way, such as [`Context::with_id`]). Returns the
/// context for chaining.
///
/// ```
/// use yoton::{Context, ContextId};
///
/// let id = ContextId::new(0x1234).unwrap();
/// let ctx = Context::with_id(id);
/// yoton::register_transports(&ctx);
/// assert!(ctx.transport("tcp").is_ok());
/// assert!(ctx.transport("inproc").is_ok());
/// # #[cfg(unix)]
/// assert!(ctx.transport("ipc").is_ok());
/// ```
pub fn register_transports(context: &Context) -> &Context {
    #[cfg(feature = "tcp")]
    context.register_transport(Arc::new(TcpTransport::new()));
    #[cfg(feature = "inproc")]
    context.register_transport(Arc::new(InprocTransport::new()));
    #[cfg(all(feature = "ipc", unix))]
    context.register_transport(Arc::new(IpcTransport::new()));
    context
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_context_knows_both_protocols() {
        let ctx = context();
        for protocol in ["tcp", "TCP", "inproc"] {
            assert!(ctx.transport(protocol).is_ok(), "{protocol}");
        }
        match ctx.bind("udp://localhost:1") {
            Err(Error::UnknownProtocol { registered, .. }) => {
                let expected = if cfg!(unix) {
                    "inproc, ipc, tcp"
                } else {
                    "inproc, tcp"
                };
                assert_eq!(registered, expected);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn contexts_are_distinct_nodes() {
        assert_ne!(context().id(), context().id());
    }
}

/// The README's Rust examples, compiled and run as doc tests so that the
/// README stays true.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
