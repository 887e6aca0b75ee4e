//! Context ids: 64-bit, never zero, shown as 16 lowercase hex digits.

use std::fmt;
use std::num::NonZeroU64;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

/// The identity of a [`Context`](crate::Context) in a yoton network.
///
/// Generated like the Python reference: the low 32 bits of the milliseconds
/// since the Unix epoch in the high half, a random number in the low half.
/// Packages carry it as `source_id`, and handshakes exchange it.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
/// use yoton::{Context, ContextId};
///
/// let id = ContextId::generate();
/// assert_ne!(id.get(), 0);
/// assert_eq!(id.to_string().len(), 16);
/// assert_eq!(id.to_string().parse::<ContextId>().unwrap(), id);
///
/// // Every context has one; a fixed id is for tests and tools.
/// assert_ne!(yoton::context().id(), yoton::context().id());
/// let fixed = ContextId::new(0x1234).unwrap();
/// assert_eq!(Context::with_id(fixed).id().to_string(), "0000000000001234");
/// ```
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContextId(NonZeroU64);

impl ContextId {
    /// Makes a new id from the clock and a random number.
    pub fn generate() -> Self {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        loop {
            let value = ((millis & 0xFFFF_FFFF) << 32) | u64::from(fastrand::u32(..));
            if let Some(id) = NonZeroU64::new(value) {
                return ContextId(id);
            }
        }
    }

    /// Wraps a raw id; `None` for zero, which is never an id.
    pub const fn new(value: u64) -> Option<Self> {
        match NonZeroU64::new(value) {
            Some(id) => Some(ContextId(id)),
            None => None,
        }
    }

    /// The raw 64-bit value, as it appears on the wire.
    pub const fn get(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for ContextId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0.get())
    }
}

impl fmt::Debug for ContextId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContextId({:016x})", self.0.get())
    }
}

/// The error of parsing a [`ContextId`] from text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid context id {text:?}: expected 1 to 16 hex digits, not all zero")]
pub struct ParseContextIdError {
    /// The text that did not parse.
    pub text: String,
}

impl FromStr for ContextId {
    type Err = ParseContextIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseContextIdError { text: s.to_owned() };
        if s.is_empty() || s.len() > 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(err());
        }
        let value = u64::from_str_radix(s, 16).map_err(|_| err())?;
        ContextId::new(value).ok_or_else(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_differ_and_carry_the_clock() {
        let a = ContextId::generate();
        let b = ContextId::generate();
        assert_ne!(a, b);
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let high = a.get() >> 32;
        assert!((millis & 0xFFFF_FFFF).wrapping_sub(high) < 60_000);
    }

    #[test]
    fn parse_rejects_zero_and_garbage() {
        assert!("0".parse::<ContextId>().is_err());
        assert!("".parse::<ContextId>().is_err());
        assert!("12345678901234567".parse::<ContextId>().is_err());
        assert!("xyz".parse::<ContextId>().is_err());
        assert_eq!("ff".parse::<ContextId>().map(ContextId::get), Ok(255));
    }
}
