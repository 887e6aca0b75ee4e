//! The core of yoton: the protocol as plain code, the [`Connection`]
//! interface, and the [`Context`] that routes packages.
//!
//! This crate has no sockets. Transports (`yoton-tcp`, `yoton-inproc`) move
//! bytes or packages and implement a few low-level methods of
//! [`Connection`]; everything a user can observe about a connection
//! (states, signals, close reasons, timeouts) lives here once.
//!
//! How a message flows: a channel hands a message to its [`Context`]; the
//! context numbers it and hands the [`Package`] to each connection; a
//! transport moves the bytes; the receiving context de-duplicates, forwards
//! and delivers to the endpoint registered for the package's [`Slot`].
#![forbid(unsafe_code)]

pub mod address;
pub mod decoder;
pub mod handshake;
pub mod hash;
pub mod id;
pub mod package;
pub mod reason;
