//! Slot names of channels, built exactly as the reference builds them.

use yoton_core::Slot;

/// The messaging patterns, outgoing then incoming, as the reference names
/// them.
pub(crate) const PUB: (&str, &str) = ("pub-sub", "sub-pub");
pub(crate) const SUB: (&str, &str) = ("sub-pub", "pub-sub");
pub(crate) const STATE: (&str, &str) = ("state", "state");
pub(crate) const REQ: (&str, &str) = ("req-rep", "rep-req");
pub(crate) const REP: (&str, &str) = ("rep-req", "req-rep");

/// A channel's slot: the name as the channel built it and its hash.
///
/// The name is `base + "." + type + "." + pattern` as given; the slot is the
/// hash of that name stripped and lower-cased, as in Python yoton.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use yoton::SlotName;
///
/// let s = SlotName::new("Chat", "txt", "pub-sub");
/// assert_eq!(s.name(), "Chat.txt.pub-sub");
/// assert_eq!(s.slot().get(), 17460451874447); // the hash of "chat.txt.pub-sub"
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SlotName {
    name: String,
    slot: Slot,
}

/// The text without the characters at its ends that Python's
/// `str.strip()` removes: Unicode white space, and the separators U+001C
/// to U+001F, which Python counts as space and Rust's `trim` does not.
fn python_strip(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

impl SlotName {
    /// The slot of a channel with this base name, message type name and
    /// pattern (such as `pub-sub`).
    pub fn new(base: &str, type_name: &str, pattern: &str) -> SlotName {
        let name = format!("{base}.{type_name}.{pattern}");
        let slot = Slot::from_name(&python_strip(&name).to_lowercase());
        SlotName { name, slot }
    }

    /// The full name, before stripping and lower-casing.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The slot number on the wire.
    pub fn slot(&self) -> Slot {
        self.slot
    }
}
