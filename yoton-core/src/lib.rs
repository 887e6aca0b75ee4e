//! The core of yoton: the protocol as plain code, the [`Connection`]
//! interface, and the [`Context`] that routes packages.
//!
//! This crate has no sockets. Transports (`yoton-stream` with `yoton-tcp`
//! and `yoton-ipc`, `yoton-inproc`) move bytes or packages and implement
//! [`Link`]; everything a user can observe about a connection (states,
//! signals, close reasons, timeouts) lives here once, in
//! [`ConnectionCore`], the one implementation of [`Connection`].
//!
//! How a message flows: a channel hands a message to its [`Context`]; the
//! context numbers it and hands the [`Package`] to each connection; a
//! transport moves the bytes; the receiving context de-duplicates, forwards
//! and delivers to the [`Endpoint`] registered for the package's [`Slot`].
//!
//! The protocol rules are IO-free and fed bytes and instants:
//! [`decoder::Decoder`] (framing), [`handshake`] (the handshake lines),
//! [`liveness`] (heartbeats and timeouts), [`lifecycle`] (states and the
//! close protocol), [`routing`] (de-duplication and
//! routing decisions), [`hash`] and [`address`].
#![forbid(unsafe_code)]

pub mod address;
pub mod backoff;
pub mod connection;
pub mod context;
mod core;
pub mod decoder;
pub mod direct;
mod endpoint;
pub mod error;
#[cfg(feature = "test-util")]
pub mod flaws;
pub mod handshake;
pub mod hash;
pub mod id;
pub mod lifecycle;
pub mod link;
pub mod liveness;
pub mod package;
pub mod reason;
pub mod routing;
pub mod signal;
pub mod sync;
mod transport;

pub use address::{Address, AddressError};
pub use backoff::Backoff;
pub use connection::{
    ClosedEvent, ClosedFuture, ConnectedFuture, Connection, ConnectionKey, FlushFuture, PeerInfo,
    State, TimedOutEvent,
};
pub use context::{Context, DEFAULT_STARTUP_QUEUE, LinkEvent, NEW_CONNECTION, Persistent, Tap};
pub use core::ConnectionCore;
pub use endpoint::{Delivery, Direction, Endpoint};
pub use error::{Error, Result};
pub use id::ContextId;
pub use link::Link;
pub use package::{Package, Slot};
pub use reason::CloseReason;
pub use signal::{HandlerId, Signal};
pub use transport::{BindOptions, ConnectOptions, Transport};
