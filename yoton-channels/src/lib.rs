//! yoton's channels: the messaging layer programs write against, on top of
//! a [`yoton_core::Context`], byte-compatible with Python yoton.
//!
//! ```
//! # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
//! use std::time::Duration;
//! use yoton::{PubChannel, StateChannel, SubChannel};
//!
//! // Two contexts (in one process here; over TCP they can be anywhere).
//! let host = yoton::context();
//! let client = yoton::context();
//! let bound = host.bind("inproc://").unwrap();
//! client.connect(&format!("inproc://{}", bound.local_host())).unwrap();
//!
//! // Publish/subscribe: every sub channel of the slot gets every message.
//! let news = PubChannel::<String>::new(&host, "news").unwrap();
//! let reader = SubChannel::<String>::new(&client, "news").unwrap();
//! news.send("hello").unwrap();
//! news.send("world").unwrap();
//! let timeout = Duration::from_secs(10);
//! assert_eq!(reader.recv_timeout(timeout).unwrap(), "hello");
//! assert_eq!(reader.recv_timeout(timeout).unwrap(), "world");
//!
//! // State: the latest value, the same everywhere.
//! let status = StateChannel::<String>::new(&host, "status").unwrap();
//! let seen = StateChannel::<String>::new(&client, "status").unwrap();
//! let changed = seen.received().subscribe();
//! status.send("busy").unwrap();
//! changed.recv_timeout(timeout).unwrap();
//! assert_eq!(seen.get().as_deref(), Some("busy"));
//! ```
//!
//! # Channels
//! - [`PubChannel`] and [`SubChannel`]: publish/subscribe, with a bounded
//!   receive queue whose drops are counted, sync mode (a slow subscriber
//!   holds its publishers back), and [`select_timeout`] (or
//!   [`select_sub_channel`], which does not wait) to read several sub
//!   channels in the order their messages arrived.
//! - [`StateChannel`]: a value kept the same across the network.
//! - [`TextWriter`] and [`TextReader`]: a text pub channel as a
//!   [`std::io::Write`] (cut into messages as Python yoton's `FileWrapper`
//!   cuts them) and a text sub channel as a [`std::io::BufRead`], for a
//!   program's stdout, stderr and stdin.
//!
//! A channel is known in the network by its slot: the base name given to
//! `new`, the message type's name and the pattern, as
//! `base.type.pattern` (see [`SlotName`]). Each channel registers its slots
//! with its context; a second channel on a taken slot of the same context
//! is refused ([`yoton_core::Error::SlotTaken`]). Closing a channel (or
//! dropping it, or [`Context::close_channels`](yoton_core::Context::close_channels))
//! unregisters it.
//!
//! Make channels before connecting: a message that arrives for a slot no
//! channel receives on is not kept, only counted
//! ([`Context::unrouted_packages`](yoton_core::Context::unrouted_packages)).
//!
//! # Waiting and errors
//! Every receive that blocks has a bounded variant (`recv_timeout`,
//! `recv_deadline`, [`select_timeout`], [`StateChannel::get_or_wait`],
//! [`StateChannel::wait_changed_timeout`]). Each operation has its own
//! small error ([`RecvError`], [`RecvTimeoutError`], [`TryRecvError`],
//! [`SendError`]), which converts into the one top-level [`Error`]. Signals
//! do not replay: look at the channel's state after subscribing.
//!
//! # Message types
//! The type parameter of a channel is a [`MessageType`]: `String` (`txt`,
//! Python's `TEXT`), `Vec<u8>` or [`bytes::Bytes`] (`bin`, Python's
//! `BINARY`), [`Object`] (`obj`, Python's `OBJECT`: None, bool, int,
//! float, str, list, tuple and dict), [`Obj<T>`] for serde types in the same
//! OBJECT bytes (a Rust struct meets a Python dict), [`Postcard<T>`] for
//! serde types between Rust programs (under the [`TypeName`] you give
//! them), or one of your own. Empty messages are never sent.
//!
//! # Threads
//! Channels are `Send` and `Sync`. Messages are delivered on the
//! transport's receiving threads, which also run the `received` signal
//! handlers; a sub channel in sync mode has a thread of its own
//! (`yoton-sync`) for its words.
#![forbid(unsafe_code)]

mod call;
mod error;
mod handler;
mod iter;
mod look_again;
mod message;
mod object;
mod options;
mod pub_channel;
mod queue;
mod registration;
mod rep_channel;
mod rep_state;
mod req_channel;
mod req_table;
mod select;
mod slot;
mod state;
mod state_async;
mod sub_async;
mod sub_channel;
pub mod sync;
mod text_io;

pub use call::{CallError, CallFuture};
pub use error::{
    CHANNEL_CLOSED, Error, MessageError, RecvError, RecvTimeoutError, Result, SendError,
    TryRecvError,
};
pub use handler::{Handler, HandlerError, Methods, Request};
pub use iter::{Iter, TryIter};
pub use message::{MessageType, Postcard, TypeName};
pub use object::Obj;
pub use options::SubOptions;
pub use pub_channel::PubChannel;
pub use queue::{DEFAULT_CAPACITY, Overflow};
pub use rep_channel::{RepChannel, Replier};
pub use req_channel::{DEFAULT_CALL_TIMEOUT, ReqChannel};
pub use select::{
    Selectable, Selection, select, select_deadline, select_sub_channel, select_timeout,
};
pub use slot::SlotName;
pub use state::StateChannel;
pub use state_async::StateFuture;
pub use sub_async::{RecvBatchFuture, RecvFuture};
pub use sub_channel::SubChannel;
pub use text_io::{TEXT_CHUNK_CHARS, TEXT_FLUSH_TIMEOUT, TextReader, TextWriter};
pub use yoton_object::{Dict, Object};

// Locks ignore poisoning: nothing panics while holding the channels' locks
// (decoding and signal handlers run outside them).
pub(crate) use yoton_core::sync::lock;
