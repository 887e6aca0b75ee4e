//! OBJECT messages (type name `obj`, Python yoton's `OBJECT`): dynamic
//! [`Object`] values, and any serde type through [`Obj<T>`].

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use yoton_object::Object;

use crate::error::MessageError;
use crate::message::MessageType;

/// Python objects as the reference packs them: type name `obj`, as Python
/// yoton's `OBJECT`. A channel of `Object` meets a Python channel made
/// with `message_type=yoton.OBJECT`.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Obj, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_object::{Dict, Object}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use std::time::Duration;
/// use yoton::{Object, PubChannel, SubChannel};
///
/// let (a, b) = (yoton::context(), yoton::context());
/// let bound = a.bind("inproc://").unwrap();
/// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
///
/// let out = PubChannel::<Object>::new(&a, "ctrl-code").unwrap();
/// let sub = SubChannel::<Object>::new(&b, "ctrl-code").unwrap();
/// assert_eq!(sub.slot_incoming().name(), "ctrl-code.obj.pub-sub");
/// out.send(&Object::from(("print", 42, None::<i64>))).unwrap();
/// let got = sub.recv_timeout(Duration::from_secs(10)).unwrap();
/// assert_eq!(got.to_string(), "('print', 42, None)");
/// ```
impl MessageType for Object {
    type Message = Object;
    type Borrowed = Object;

    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed("obj")
    }

    fn encode(message: &Object) -> Result<Bytes, MessageError> {
        message
            .to_bytes()
            .map(Bytes::from)
            .map_err(|e| MessageError::new(e.to_string()))
    }

    fn decode(bytes: Bytes) -> Result<Object, MessageError> {
        Object::from_bytes(&bytes).map_err(|e| MessageError::new(e.to_string()))
    }
}

/// Any serde type as an OBJECT message (type name `obj`): structs travel
/// as str-keyed dicts, `Option` as None or the value, sequences as lists
/// and tuples as tuples, so a Rust struct meets a Python dict. What cannot
/// be encoded (an int beyond `i64`, bytes) is a
/// [`SendError::Encode`](crate::SendError::Encode); what does not fit `T` on
/// arrival is counted as a decode error and skipped.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Obj, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_object::{Dict, Object}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use std::time::Duration;
/// use serde::{Deserialize, Serialize};
/// use yoton::{Obj, Object, StateChannel};
///
/// #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
/// struct Code { source: String, fname: String, lineno: i64 }
///
/// let (a, b) = (yoton::context(), yoton::context());
/// let bound = a.bind("inproc://").unwrap();
/// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
///
/// // A typed sender, a dynamic receiver: the same slot and bytes.
/// let code = StateChannel::<Obj<Code>>::new(&a, "code").unwrap();
/// let seen = StateChannel::<Object>::new(&b, "code").unwrap();
/// let block = Code { source: "x = 1".into(), fname: "<cell>".into(), lineno: 0 };
/// code.send(&block).unwrap();
/// let got = seen.get_or_wait(Duration::from_secs(10)).unwrap();
/// assert_eq!(got.get("source").and_then(Object::as_str), Some("x = 1"));
/// ```
pub struct Obj<T>(PhantomData<fn() -> T>);

impl<T> fmt::Debug for Obj<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Obj<{}>", std::any::type_name::<T>())
    }
}

impl<T> MessageType for Obj<T>
where
    T: Serialize + DeserializeOwned + 'static,
{
    type Message = T;
    type Borrowed = T;

    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed("obj")
    }

    fn encode(message: &T) -> Result<Bytes, MessageError> {
        yoton_object::to_bytes(message)
            .map(Bytes::from)
            .map_err(|e| MessageError::new(e.to_string()))
    }

    fn decode(bytes: Bytes) -> Result<T, MessageError> {
        yoton_object::from_bytes(&bytes).map_err(|e| MessageError::new(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_messages_are_the_reference_bytes() {
        let request = Object::from(("signature", ("f",), yoton_object::Dict::new()));
        let bytes = Object::encode(&request).expect("encodes");
        assert_eq!(&bytes[..], b"t\x03s\x09signaturet\x01s\x01fd\x00");
        assert_eq!(Object::decode(bytes).expect("decodes"), request);
        assert!(Object::decode(Bytes::from_static(b"q")).is_err());
    }

    #[test]
    fn typed_messages_refuse_what_does_not_fit() {
        let bytes = <Obj<(String, i64)>>::encode(&("a".into(), 1)).expect("encodes");
        assert_eq!(&bytes[..], b"t\x02s\x01ai\x01\x00\x00\x00\x00\x00\x00\x00");
        assert!(<Obj<Vec<String>>>::decode(bytes).is_err());
        assert!(<Obj<u64>>::encode(&u64::MAX).is_err());
    }
}
