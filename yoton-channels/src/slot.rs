//! Slot names of channels, built exactly as the reference builds them, and
//! the registration of a channel's two slots with its context.

use std::sync::Arc;

use yoton_core::{Context, Direction, Endpoint, Slot};

use crate::error::Result;

/// The messaging patterns, outgoing then incoming, as the reference names
/// them.
pub(crate) const PUB: (&str, &str) = ("pub-sub", "sub-pub");
pub(crate) const SUB: (&str, &str) = ("sub-pub", "pub-sub");
pub(crate) const STATE: (&str, &str) = ("state", "state");

/// A channel's slot: the name as the channel built it and its hash.
///
/// The name is `base + "." + type + "." + pattern` as given; the slot is the
/// hash of that name stripped and lower-cased, as in Python yoton.
///
/// ```
/// use yoton_channels::SlotName;
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

impl SlotName {
    /// The slot of a channel with this base name, message type name and
    /// pattern (such as `pub-sub`).
    pub fn new(base: &str, type_name: &str, pattern: &str) -> SlotName {
        let name = format!("{base}.{type_name}.{pattern}");
        let slot = Slot::from_name(&name.trim().to_lowercase());
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

/// A channel's two slots, registered with its context until closed.
#[derive(Debug)]
pub(crate) struct Registration {
    pub(crate) context: Context,
    pub(crate) outgoing: SlotName,
    pub(crate) incoming: SlotName,
    endpoint: Arc<dyn Endpoint>,
}

impl Registration {
    /// Registers `endpoint` on both slots; nothing stays registered on
    /// failure.
    pub(crate) fn new(
        context: &Context,
        base: &str,
        type_name: &str,
        (out_pattern, in_pattern): (&str, &str),
        endpoint: Arc<dyn Endpoint>,
    ) -> Result<Registration> {
        let outgoing = SlotName::new(base, type_name, out_pattern);
        let incoming = SlotName::new(base, type_name, in_pattern);
        context.register_endpoint(
            Direction::Outgoing,
            outgoing.slot,
            &outgoing.name,
            Arc::clone(&endpoint),
        )?;
        if let Err(e) = context.register_endpoint(
            Direction::Incoming,
            incoming.slot,
            &incoming.name,
            Arc::clone(&endpoint),
        ) {
            context.unregister_endpoint_if(Direction::Outgoing, outgoing.slot, &endpoint);
            return Err(e.into());
        }
        Ok(Registration {
            context: context.clone(),
            outgoing,
            incoming,
            endpoint,
        })
    }

    /// Unregisters both slots, where this channel still holds them (after
    /// the context closed its channels, they may belong to another one).
    pub(crate) fn unregister(&self) {
        self.context.unregister_endpoint_if(
            Direction::Outgoing,
            self.outgoing.slot,
            &self.endpoint,
        );
        self.context.unregister_endpoint_if(
            Direction::Incoming,
            self.incoming.slot,
            &self.endpoint,
        );
    }
}
