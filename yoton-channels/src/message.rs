//! Message types: how a channel turns messages into bytes and back, and
//! the type name that goes into its slot name.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::MessageError;

/// How the messages of a channel are turned into bytes and back.
///
/// The type parameter of every channel is a `MessageType`: `String` for
/// text (`txt`, byte-compatible with Python yoton's `TEXT`), `Vec<u8>` or
/// [`Bytes`] for raw bytes (`bin`, Python's `BINARY`), and
/// [`Postcard<T>`] for any serde type (Rust to Rust).
///
/// The [`type_name`](MessageType::type_name) becomes the middle part of the
/// channel's slot name (`base.type.pattern`), so channels of different
/// message types never talk to each other.
///
/// A channel sends a [`Borrowed`](MessageType::Borrowed) value (`&str` for
/// `String`, `&[u8]` for bytes) and receives a
/// [`Message`](MessageType::Message).
///
/// # Implementing it
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use std::borrow::Cow;
/// use yoton::Bytes;
/// use yoton::{MessageError, MessageType};
///
/// /// A point as two little-endian `i32`s.
/// #[derive(Debug, PartialEq)]
/// struct Point(i32, i32);
///
/// impl MessageType for Point {
///     type Message = Point;
///     type Borrowed = Point;
///     fn type_name() -> Cow<'static, str> {
///         Cow::Borrowed("point")
///     }
///     fn encode(p: &Point) -> Result<Bytes, MessageError> {
///         let mut out = Vec::with_capacity(8);
///         out.extend_from_slice(&p.0.to_le_bytes());
///         out.extend_from_slice(&p.1.to_le_bytes());
///         Ok(out.into())
///     }
///     fn decode(bytes: Bytes) -> Result<Point, MessageError> {
///         let raw: [u8; 8] = bytes[..]
///             .try_into()
///             .map_err(|_| MessageError::new(format!("{} bytes, not 8", bytes.len())))?;
///         let x = i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
///         let y = i32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]);
///         Ok(Point(x, y))
///     }
/// }
///
/// let bytes = Point::encode(&Point(1, -2)).unwrap();
/// assert_eq!(Point::decode(bytes).unwrap(), Point(1, -2));
/// assert!(Point::decode(Bytes::from_static(b"abc")).is_err());
/// ```
pub trait MessageType: Send + Sync + 'static {
    /// What the receiving side gets.
    type Message;
    /// What the sending side gives (a borrowed form, so that `&str` can be
    /// sent on a `String` channel).
    type Borrowed: ?Sized;

    /// The type part of the slot name, such as `txt`. Channels lower-case
    /// the whole slot name, so case does not matter.
    fn type_name() -> Cow<'static, str>;

    /// The bytes of a message. Empty bytes are never sent.
    ///
    /// # Errors
    ///
    /// A [`MessageError`] saying why the message cannot be encoded; the
    /// channel hands it back as `SendError::Encode` and sends nothing.
    fn encode(message: &Self::Borrowed) -> Result<Bytes, MessageError>;

    /// The message of some received bytes.
    ///
    /// # Errors
    ///
    /// A [`MessageError`] describing why they are not a message of this
    /// type: the channel counts it (`decode_errors`), logs it and skips the
    /// message.
    fn decode(bytes: Bytes) -> Result<Self::Message, MessageError>;
}

/// Text, UTF-8 encoded: type name `txt`, as Python yoton's `TEXT`.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use yoton::Bytes;
/// use yoton::MessageType;
///
/// assert_eq!(String::type_name(), "txt");
/// assert_eq!(String::encode("héllo").unwrap(), "héllo".as_bytes());
/// assert_eq!(String::decode(Bytes::from_static(b"ok")).unwrap(), "ok");
/// assert!(String::decode(Bytes::from_static(b"\xff")).is_err());
/// ```
impl MessageType for String {
    type Message = String;
    type Borrowed = str;

    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed("txt")
    }

    fn encode(message: &str) -> Result<Bytes, MessageError> {
        Ok(Bytes::copy_from_slice(message.as_bytes()))
    }

    fn decode(bytes: Bytes) -> Result<String, MessageError> {
        match std::str::from_utf8(&bytes) {
            Ok(text) => Ok(text.to_owned()),
            Err(e) => Err(MessageError::new(e)),
        }
    }
}

/// Raw bytes received as a `Vec<u8>`: type name `bin`, as Python yoton's
/// `BINARY`. Same slots as [`Bytes`].
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use yoton::Bytes;
/// use yoton::MessageType;
///
/// assert_eq!(<Vec<u8>>::type_name(), "bin");
/// assert_eq!(<Vec<u8>>::decode(Bytes::from_static(b"\x00\x01")).unwrap(), vec![0, 1]);
/// ```
impl MessageType for Vec<u8> {
    type Message = Vec<u8>;
    type Borrowed = [u8];

    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed("bin")
    }

    fn encode(message: &[u8]) -> Result<Bytes, MessageError> {
        Ok(Bytes::copy_from_slice(message))
    }

    fn decode(bytes: Bytes) -> Result<Vec<u8>, MessageError> {
        Ok(bytes.to_vec())
    }
}

/// Raw bytes received as [`Bytes`] (a slice of the received package, no
/// copy): type name `bin`, as Python yoton's `BINARY`.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use yoton::Bytes;
/// use yoton::MessageType;
///
/// assert_eq!(Bytes::type_name(), "bin");
/// let data = Bytes::from_static(b"raw");
/// assert_eq!(Bytes::decode(data.clone()).unwrap(), data);
/// ```
impl MessageType for Bytes {
    type Message = Bytes;
    type Borrowed = [u8];

    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed("bin")
    }

    fn encode(message: &[u8]) -> Result<Bytes, MessageError> {
        Ok(Bytes::copy_from_slice(message))
    }

    fn decode(bytes: Bytes) -> Result<Bytes, MessageError> {
        Ok(bytes)
    }
}

/// The name a serde message type goes by on the wire: the type part of
/// the slot of a [`Postcard<T>`] channel is `postcard:` and this name.
///
/// Two programs meet on a slot only if their names agree, so the name is
/// yours to give, not derived from the Rust path of the type (which differs
/// between crates and modules, and between compiler versions): two
/// programs, each with its own copy of a type under the same name, talk;
/// a type renamed in one of them does not silently reach the other. Pick a
/// name that says what the message is (`reading`, `my-app/reading-v2`);
/// the whole slot name is lower-cased, so case does not count.
///
/// Implement it, or use [`type_name!`](crate::type_name):
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use yoton::TypeName;
///
/// struct Reading;
/// impl TypeName for Reading {
///     const NAME: &'static str = "reading";
/// }
///
/// struct Command;
/// yoton::type_name!(Command = "command");
///
/// assert_eq!(Reading::NAME, "reading");
/// assert_eq!(Command::NAME, "command");
/// ```
pub trait TypeName {
    /// The name; programs that exchange this type use the same one.
    const NAME: &'static str;
}

/// Gives types their wire names: `type_name!(Reading = "reading",
/// Command = "command");` implements [`TypeName`] for each.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Point { x: i32, y: i32 }
/// yoton::type_name!(Point = "point");
///
/// use yoton::{MessageType, Postcard};
/// assert_eq!(Postcard::<Point>::type_name(), "postcard:point");
/// ```
#[macro_export]
macro_rules! type_name {
    ($($ty:ty = $name:expr),+ $(,)?) => {
        $(
            impl $crate::TypeName for $ty {
                const NAME: &'static str = $name;
            }
        )+
    };
}

/// Any serde type, encoded with `postcard`: for channels between Rust
/// programs (Python yoton has no counterpart).
///
/// `Postcard<T>` is a marker: a `PubChannel<Postcard<T>>` sends `&T` and a
/// `SubChannel<Postcard<T>>` receives `T`.
///
/// The type name is `postcard:` followed by the [`TypeName`] of `T` (for
/// example `postcard:reading`): programs agree on a type by that name,
/// whatever its Rust path, and channels of differently named types never
/// share a slot. A message that arrives for a slot nobody receives on (a
/// name that differs between two programs, say) is counted by the context
/// in [`Context::unrouted_packages`](yoton_core::Context::unrouted_packages)
/// and reported through `tracing`.
///
/// Note that postcard encodes a value of a zero-sized type (such as `()`)
/// as no bytes at all, and empty messages are never sent.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use serde::{Deserialize, Serialize};
/// use yoton::{MessageType, Postcard};
///
/// #[derive(Debug, PartialEq, Serialize, Deserialize)]
/// struct Reading { sensor: u16, value: f32 }
/// yoton::type_name!(Reading = "reading");
///
/// type R = Postcard<Reading>;
/// assert_eq!(R::type_name(), "postcard:reading");
/// let bytes = R::encode(&Reading { sensor: 3, value: 1.5 }).unwrap();
/// assert_eq!(R::decode(bytes).unwrap(), Reading { sensor: 3, value: 1.5 });
/// assert!(R::decode(yoton::Bytes::from_static(b"\xff")).is_err());
/// ```
pub struct Postcard<T>(PhantomData<fn() -> T>);

impl<T: TypeName> fmt::Debug for Postcard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Postcard<{}>", T::NAME)
    }
}

impl<T> MessageType for Postcard<T>
where
    T: Serialize + DeserializeOwned + TypeName + 'static,
{
    type Message = T;
    type Borrowed = T;

    fn type_name() -> Cow<'static, str> {
        Cow::Owned(format!("postcard:{}", T::NAME))
    }

    fn encode(message: &T) -> Result<Bytes, MessageError> {
        postcard::to_stdvec(message)
            .map(Bytes::from)
            .map_err(MessageError::new)
    }

    fn decode(bytes: Bytes) -> Result<T, MessageError> {
        postcard::from_bytes(&bytes).map_err(MessageError::new)
    }
}

/// The bytes of `message` for a channel that is `closed` or not: what
/// every channel's send does first.
pub(crate) fn encode_to_send<M: MessageType>(
    closed: bool,
    message: &M::Borrowed,
) -> Result<Bytes, crate::SendError> {
    if closed {
        return Err(crate::SendError::Closed(()));
    }
    M::encode(message).map_err(|source| crate::SendError::Encode {
        type_name: M::type_name(),
        source,
    })
}
