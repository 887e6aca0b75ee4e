//! Channel registration, written once for every channel kind: a channel's
//! two slots registered with its context, closing (by the user, by
//! dropping, or by the context), and what every channel reports about
//! itself (its slots and context).

use std::sync::Arc;

use yoton_core::{Context, Direction, Endpoint};

use crate::error::Result;
use crate::slot::SlotName;

/// What a channel registers with its context: it receives the packages of
/// its incoming slot, and knows whether it is closed.
pub(crate) trait ChannelCore: Endpoint + 'static {
    /// Marks the channel closed and wakes whoever waits on it; true the
    /// first time. Called by [`Registration::close`] and by the context
    /// (through [`Endpoint::on_context_closed`]).
    fn mark_closed(&self) -> bool;

    /// Whether the channel is closed.
    fn is_closed(&self) -> bool;
}

/// A channel's core and its two slots, registered with its context until
/// closed; dropping it closes the channel.
#[derive(Debug)]
pub(crate) struct Registration<C: ChannelCore> {
    core: Arc<C>,
    /// The same core as the context holds it, to unregister only what is
    /// still ours.
    endpoint: Arc<dyn Endpoint>,
    context: Context,
    outgoing: SlotName,
    incoming: SlotName,
}

impl<C: ChannelCore> Registration<C> {
    /// Registers `core` on both slots (`base.type.pattern` for each
    /// pattern, outgoing then incoming); nothing stays registered on
    /// failure.
    pub(crate) fn new(
        context: &Context,
        base: &str,
        type_name: &str,
        (out_pattern, in_pattern): (&str, &str),
        core: Arc<C>,
    ) -> Result<Registration<C>> {
        let outgoing = SlotName::new(base, type_name, out_pattern);
        let incoming = SlotName::new(base, type_name, in_pattern);
        let endpoint: Arc<dyn Endpoint> = core.clone();
        context.register_endpoint(
            Direction::Outgoing,
            outgoing.slot(),
            outgoing.name(),
            Arc::clone(&endpoint),
        )?;
        if let Err(e) = context.register_endpoint(
            Direction::Incoming,
            incoming.slot(),
            incoming.name(),
            Arc::clone(&endpoint),
        ) {
            context.unregister_endpoint_if(Direction::Outgoing, outgoing.slot(), &endpoint);
            return Err(e);
        }
        Ok(Registration {
            core,
            endpoint,
            context: context.clone(),
            outgoing,
            incoming,
        })
    }

    /// The channel's core.
    pub(crate) fn core(&self) -> &Arc<C> {
        &self.core
    }

    /// The context the channel works through.
    pub(crate) fn context(&self) -> &Context {
        &self.context
    }

    /// The slot the channel sends on.
    pub(crate) fn outgoing(&self) -> &SlotName {
        &self.outgoing
    }

    /// The slot the channel receives on.
    pub(crate) fn incoming(&self) -> &SlotName {
        &self.incoming
    }

    /// Closes the channel: marks it closed and unregisters both slots,
    /// where this channel still holds them (after the context closed its
    /// channels, they may belong to another one). Closing twice does
    /// nothing.
    pub(crate) fn close(&self) {
        if self.core.mark_closed() {
            for (direction, slot) in [
                (Direction::Outgoing, self.outgoing.slot()),
                (Direction::Incoming, self.incoming.slot()),
            ] {
                self.context
                    .unregister_endpoint_if(direction, slot, &self.endpoint);
            }
        }
    }

    /// Whether the channel is closed (by [`close`](Registration::close) or
    /// by the context).
    pub(crate) fn is_closed(&self) -> bool {
        self.core.is_closed()
    }
}

impl<C: ChannelCore> Drop for Registration<C> {
    fn drop(&mut self) {
        self.close();
    }
}
