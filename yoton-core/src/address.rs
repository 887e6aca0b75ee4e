//! Addresses as users write them (`[protocol://]host:port`), parsed the way
//! the reference parses them, and the sequence of ports a bind tries.

use std::fmt;
use std::net::{IpAddr, ToSocketAddrs};
use std::str::FromStr;

use crate::hash::port_hash;

/// The protocol assumed when an address names none.
const DEFAULT_PROTOCOL: &str = "tcp";

/// The in-process protocol, whose addresses are bare names.
const INPROC: &str = "inproc";

/// The host name that stands for this machine's own addresses.
const PUBLIC_HOST: &str = "publichost";

/// Where a connection binds or connects to.
///
/// The protocol is stored in lower case; the host is an IP address or a
/// host name (with `localhost` and `publichostN` already resolved); the port
/// is a number (names already hashed). For `inproc` the host is the name,
/// kept verbatim, and the port is 0.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
/// use yoton::Address;
///
/// let a: Address = "localhost:test+3".parse().unwrap();
/// assert_eq!(a.protocol(), "tcp");
/// assert_eq!(a.host(), "127.0.0.1");
/// assert_eq!(a.port(), 56340);
/// assert_eq!(a.to_string(), "tcp://127.0.0.1:56340");
///
/// let b = Address::parse("inproc://my queue").unwrap();
/// assert_eq!((b.protocol(), b.host(), b.port()), ("inproc", "my queue", 0));
/// assert_eq!(b.to_string(), "inproc://my queue");
///
/// assert!(Address::parse("localhost:65536").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Address {
    protocol: String,
    host: String,
    port: u16,
    /// The host is a name or path, shown without a port.
    named: bool,
}

/// Why an address could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// The address has no `:` before its port.
    #[error("address {address:?} has no port: expected [protocol://]host:port")]
    MissingPort {
        /// The address as given.
        address: String,
    },
    /// The port is a number outside 0..=65535 (a name plus its offset included).
    #[error("the port of address {address:?} is {port}, outside the range 0 to 65535")]
    PortOutOfRange {
        /// The address as given.
        address: String,
        /// The port the address works out to (saturated for huge numbers).
        port: i64,
    },
    /// The text after `+` in a port name is not an integer.
    #[error("address {address:?} has an invalid port offset {offset:?}: expected an integer")]
    InvalidOffset {
        /// The address as given.
        address: String,
        /// The text after the `+`.
        offset: String,
    },
    /// A bracketed IPv6 host is not closed, or is not followed by `:`.
    #[error("address {address:?} has a malformed bracketed host: expected [ipv6]:port")]
    BadBracket {
        /// The address as given.
        address: String,
    },
    /// `publichostN` asks for an address past the end of this machine's list.
    #[error(
        "address {address:?} asks for public host address {index}, but this machine's host name \
         resolves to {count} IPv4 address(es)"
    )]
    NoPublicHost {
        /// The address as given.
        address: String,
        /// The index asked for (saturated for huge numbers).
        index: usize,
        /// How many IPv4 addresses the host name resolves to.
        count: usize,
    },
    /// This machine's host name could not be resolved for `publichost`.
    #[error("address {address:?}: could not resolve this machine's host name {name:?}: {message}")]
    HostLookup {
        /// The address as given.
        address: String,
        /// The machine's host name.
        name: String,
        /// What the resolver said.
        message: String,
    },
}

impl Address {
    /// Makes an address from its parts, lower-casing the protocol.
    ///
    /// Nothing is resolved or hashed here; see [`Address::parse`] for that.
    pub fn new(protocol: &str, host: &str, port: u16) -> Address {
        Address {
            protocol: protocol.to_lowercase(),
            host: host.to_owned(),
            port,
            named: false,
        }
    }

    /// An address whose tail is a name or a path, kept verbatim, with port
    /// 0: what transports such as `inproc` and `ipc` make in their
    /// [`Transport::parse_address`](crate::Transport::parse_address).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
    /// use yoton::Address;
    ///
    /// let a = Address::named("ipc", "/run/user/1000/kernel.sock");
    /// assert_eq!(a.host(), "/run/user/1000/kernel.sock");
    /// assert_eq!(a.to_string(), "ipc:///run/user/1000/kernel.sock");
    /// ```
    pub fn named(protocol: &str, name: &str) -> Address {
        Address {
            named: true,
            ..Address::new(protocol, name, 0)
        }
    }

    /// The protocol an address text names, in lower case: the part before
    /// its first `://` when that is a protocol name, otherwise `tcp`. This
    /// is what picks the transport, which then reads the rest.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
    /// use yoton::Address;
    ///
    /// assert_eq!(Address::protocol_of("IPC:///tmp/x"), "ipc");
    /// assert_eq!(Address::protocol_of("localhost:8000"), "tcp");
    /// ```
    pub fn protocol_of(text: &str) -> String {
        match text.split_once("://") {
            Some((protocol, _))
                if !protocol.is_empty()
                    && protocol
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
            {
                protocol.to_ascii_lowercase()
            }
            _ => DEFAULT_PROTOCOL.to_owned(),
        }
    }

    /// Parses `[protocol://]host:port` the way the reference does.
    ///
    /// - The protocol is case-insensitive and `tcp` when omitted.
    /// - `localhost` (any case) becomes `127.0.0.1`; `publichost` or
    ///   `publichostN` becomes the N-th IPv4 address this machine's host name
    ///   resolves to (this is the only case that does a lookup).
    /// - The port is a decimal number below 65536, or a name hashed with
    ///   [`port_hash`], optionally followed by `+K` to add the integer K.
    ///   An empty name is a name: `localhost:` is port 49152.
    /// - An IPv6 host may be written in brackets: `[::1]:8000`.
    /// - `inproc://name` takes everything after `inproc://` as the name,
    ///   with port 0; an empty name asks for any free name.
    ///
    /// # Errors
    ///
    /// An [`AddressError`]: no `:port` (`MissingPort`), a number of 65536
    /// or more (`PortOutOfRange`), a `+K` that is not an integer or leaves
    /// the range (`InvalidOffset`), an unclosed `[` (`BadBracket`), or a
    /// `publichost` this machine does not resolve.
    pub fn parse(s: &str) -> Result<Address, AddressError> {
        if let Some(name) = strip_prefix_ignore_ascii_case(s, "inproc://") {
            return Ok(Address::named(INPROC, name));
        }

        // The reference splits at the last "://", like `str.rpartition`.
        let (protocol, rest) = match s.rfind("://") {
            Some(i) => (s[..i].to_lowercase(), &s[i + 3..]),
            None => (String::new(), s),
        };
        let protocol = if protocol.is_empty() {
            DEFAULT_PROTOCOL.to_owned()
        } else {
            protocol
        };

        let (host, port_text) = split_host_port(s, rest)?;
        let port = parse_port(s, port_text)?;
        let host = resolve_host(s, host)?;
        Ok(Address {
            protocol,
            host,
            port,
            named: false,
        })
    }

    /// The protocol, in lower case (`tcp`, `inproc`, ...).
    pub fn protocol(&self) -> &str {
        &self.protocol
    }

    /// The host (an IP address or host name), or the name for `inproc`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port number; 0 asks for any free port (always 0 for `inproc`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The same address with another port, e.g. the one a bind ended up on.
    pub fn with_port(&self, port: u16) -> Address {
        Address {
            port,
            ..self.clone()
        }
    }
}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Address, AddressError> {
        Address::parse(s)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.named {
            write!(f, "{}://{}", self.protocol, self.host)
        } else if self.host.contains(':') {
            write!(f, "{}://[{}]:{}", self.protocol, self.host, self.port)
        } else {
            write!(f, "{}://{}:{}", self.protocol, self.host, self.port)
        }
    }
}

/// The ports a bind tries, in order: `start` first, and after failure `i`
/// (counting from 0) `floor(sqrt(i + 1))` higher, as the reference does.
///
/// Yields at most `max_tries` ports, and stops early rather than pass 65535.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
/// use yoton::address::port_candidates;
///
/// let ports: Vec<u16> = port_candidates(50000, 6).collect();
/// assert_eq!(ports, [50000, 50001, 50002, 50003, 50005, 50007]);
/// ```
pub fn port_candidates(start: u16, max_tries: u32) -> impl Iterator<Item = u16> {
    let mut next = Some(start);
    (0..max_tries).map_while(move |i| {
        let port = next?;
        next = port.checked_add(isqrt(i + 1));
        Some(port)
    })
}

/// Integer square root of a small positive number, as `int(x ** 0.5)`.
fn isqrt(x: u32) -> u16 {
    // Beyond 65535 tries the step no longer fits a port anyway.
    u16::try_from(x.isqrt()).unwrap_or(u16::MAX)
}

fn strip_prefix_ignore_ascii_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Splits `host:port` at the first colon, or after a bracketed IPv6 host.
fn split_host_port<'a>(address: &str, rest: &'a str) -> Result<(&'a str, &'a str), AddressError> {
    if let Some(inner) = rest.strip_prefix('[') {
        let bad = || AddressError::BadBracket {
            address: address.to_owned(),
        };
        let close = inner.find(']').ok_or_else(bad)?;
        let after = &inner[close + 1..];
        if after.is_empty() {
            return Err(AddressError::MissingPort {
                address: address.to_owned(),
            });
        }
        let port = after.strip_prefix(':').ok_or_else(bad)?;
        return Ok((&inner[..close], port));
    }
    rest.split_once(':')
        .ok_or_else(|| AddressError::MissingPort {
            address: address.to_owned(),
        })
}

/// A port number, or a hashed name with an optional `+offset`.
fn parse_port(address: &str, text: &str) -> Result<u16, AddressError> {
    let port = match parse_py_int(text) {
        Some(number) => number,
        None => {
            let (name, offset) = match text.split_once('+') {
                Some((name, offset_text)) => {
                    let offset =
                        parse_py_int(offset_text).ok_or_else(|| AddressError::InvalidOffset {
                            address: address.to_owned(),
                            offset: offset_text.to_owned(),
                        })?;
                    (name, offset)
                }
                None => (text, 0),
            };
            i64::from(port_hash(name)).saturating_add(offset)
        }
    };
    u16::try_from(port).map_err(|_| AddressError::PortOutOfRange {
        address: address.to_owned(),
        port,
    })
}

/// An integer as Python's `int(text)` reads it: surrounding whitespace, an
/// optional sign, decimal digits with single underscores between them.
/// Values beyond `i64` saturate, which is out of port range either way.
fn parse_py_int(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let mut value: i64 = 0;
    for b in digits.bytes() {
        match b {
            b'0'..=b'9' => {
                let digit = i64::from(b - b'0');
                value = value.saturating_mul(10).saturating_add(digit);
            }
            b'_' => {}
            _ => return None,
        }
    }
    Some(if negative { -value } else { value })
}

/// Replaces `localhost` and `publichostN`; other hosts are kept as given.
fn resolve_host(address: &str, host: &str) -> Result<String, AddressError> {
    if host.eq_ignore_ascii_case("localhost") {
        return Ok("127.0.0.1".to_owned());
    }
    let Some(suffix) = strip_prefix_ignore_ascii_case(host, PUBLIC_HOST) else {
        return Ok(host.to_owned());
    };
    if !suffix.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(host.to_owned());
    }
    let index = if suffix.is_empty() {
        0
    } else {
        // Only ASCII digits remain, so the only failure is overflow.
        suffix.parse::<usize>().unwrap_or(usize::MAX)
    };
    let addrs = public_ipv4_addresses(address)?;
    addrs
        .get(index)
        .cloned()
        .ok_or_else(|| AddressError::NoPublicHost {
            address: address.to_owned(),
            index,
            count: addrs.len(),
        })
}

/// The IPv4 addresses this machine's host name resolves to, in resolver
/// order without duplicates.
fn public_ipv4_addresses(address: &str) -> Result<Vec<String>, AddressError> {
    let name = gethostname::gethostname().to_string_lossy().into_owned();
    let resolved =
        (name.as_str(), 0u16)
            .to_socket_addrs()
            .map_err(|e| AddressError::HostLookup {
                address: address.to_owned(),
                name: name.clone(),
                message: e.to_string(),
            })?;
    let mut out: Vec<String> = Vec::new();
    for addr in resolved {
        if let IpAddr::V4(ip) = addr.ip() {
            let text = ip.to_string();
            if !out.contains(&text) {
                out.push(text);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(s: &str) -> (String, String, u16) {
        let a = Address::parse(s).unwrap();
        (a.protocol, a.host, a.port)
    }

    #[test]
    fn protocol_is_split_at_the_last_separator_and_lowercased() {
        assert_eq!(parts("TcP://host:1").0, "tcp");
        assert_eq!(parts("://host:1").0, "tcp");
        assert_eq!(parts("a://b://host:1").0, "a://b");
        assert_eq!(parts("udp://host:1").0, "udp");
    }

    #[test]
    fn ports_follow_python_int() {
        assert_eq!(parts("h: 12 ").2, 12);
        assert_eq!(parts("h:+12").2, 12);
        assert_eq!(parts("h:1_000").2, 1000);
        assert_eq!(parts("h:test+-3").2, port_hash("test") - 3);
        assert_eq!(parts("h:test+ 3").2, port_hash("test") + 3);
        // Only the first `+` separates the name; "b+1" is not an integer.
        assert!(matches!(
            Address::parse("h:a+b+1"),
            Err(AddressError::InvalidOffset { offset, .. }) if offset == "b+1"
        ));
    }

    #[test]
    fn errors_are_precise() {
        assert!(matches!(
            Address::parse("h:-1"),
            Err(AddressError::PortOutOfRange { port: -1, .. })
        ));
        assert!(matches!(
            Address::parse("h:99999999999999999999999"),
            Err(AddressError::PortOutOfRange { port: i64::MAX, .. })
        ));
        assert!(matches!(
            Address::parse("h:test+99999"),
            Err(AddressError::PortOutOfRange { .. })
        ));
        assert!(matches!(
            Address::parse("h:test+1__0"),
            Err(AddressError::InvalidOffset { .. })
        ));
        assert!(matches!(
            Address::parse("tcp://nohost"),
            Err(AddressError::MissingPort { .. })
        ));
        let message = Address::parse("localhost").unwrap_err().to_string();
        assert!(message.contains("\"localhost\""), "{message}");
    }

    #[test]
    fn ipv6_in_brackets() {
        assert_eq!(parts("[::1]:80"), ("tcp".into(), "::1".into(), 80));
        assert_eq!(
            Address::parse("tcp://[fe80::1]:test").unwrap().to_string(),
            format!("tcp://[fe80::1]:{}", port_hash("test"))
        );
        assert!(matches!(
            Address::parse("[::1"),
            Err(AddressError::BadBracket { .. })
        ));
        assert!(matches!(
            Address::parse("[::1]x:80"),
            Err(AddressError::BadBracket { .. })
        ));
        assert!(matches!(
            Address::parse("[::1]"),
            Err(AddressError::MissingPort { .. })
        ));
    }

    #[test]
    fn inproc_names_are_verbatim() {
        assert_eq!(
            parts("InProc://a:b://c"),
            ("inproc".into(), "a:b://c".into(), 0)
        );
        assert_eq!(parts("inproc://"), ("inproc".into(), String::new(), 0));
    }

    #[test]
    fn publichost_resolves_or_says_why() {
        match Address::parse("publichost:1") {
            Ok(a) => assert!(a.host().parse::<std::net::Ipv4Addr>().is_ok()),
            Err(e) => assert!(matches!(
                e,
                AddressError::NoPublicHost {
                    index: 0,
                    count: 0,
                    ..
                } | AddressError::HostLookup { .. }
            )),
        }
        assert!(matches!(
            Address::parse("PublicHost999999:1"),
            Err(AddressError::NoPublicHost { index: 999999, .. } | AddressError::HostLookup { .. })
        ));
        // Not followed by digits only: an ordinary host name.
        assert_eq!(parts("publichostx:1").1, "publichostx");
    }

    #[test]
    fn protocol_of_takes_only_a_protocol_name() {
        assert_eq!(Address::protocol_of("InProc://x"), "inproc");
        assert_eq!(Address::protocol_of("a+b-c.9://x"), "a+b-c.9");
        // Nothing, or something that is not a protocol name, before the
        // first `://`: the default, as Address::parse reads it.
        assert_eq!(Address::protocol_of("://host:1"), "tcp");
        assert_eq!(parts("://host:1").0, "tcp");
        assert_eq!(Address::protocol_of("localhost:port://x"), "tcp");
        assert_eq!(Address::protocol_of("my queue://x"), "tcp");
        assert_eq!(Address::protocol_of("h:1"), "tcp");
    }

    #[test]
    fn underscores_only_between_digits_make_a_number() {
        // As Python's int(): "_1" and "1_" are not integers, so they are
        // port names.
        for name in ["_1", "1_", "_", "1__0"] {
            assert_eq!(parts(&format!("h:{name}")).2, port_hash(name), "{name}");
        }
        assert_eq!(parts("h:1_0").2, 10);
        for offset in ["_1", "1_"] {
            assert!(
                matches!(
                    Address::parse(&format!("h:test+{offset}")),
                    Err(AddressError::InvalidOffset { offset: o, .. }) if o == offset
                ),
                "{offset}"
            );
        }
    }

    #[test]
    fn publichost_is_the_nth_distinct_ipv4_address_of_the_host_name() {
        // What this machine's host name resolves to, looked up here on its
        // own; where it does not resolve, parse must say so.
        let name = gethostname::gethostname().to_string_lossy().into_owned();
        let Ok(resolved) = (name.as_str(), 0u16).to_socket_addrs() else {
            assert!(matches!(
                Address::parse("publichost:1"),
                Err(AddressError::HostLookup { .. })
            ));
            return;
        };
        let ipv4: Vec<IpAddr> = resolved.map(|a| a.ip()).filter(IpAddr::is_ipv4).collect();
        let mut hosts = Vec::new();
        for i in 0.. {
            match Address::parse(&format!("publichost{i}:1")) {
                Ok(a) => hosts.push(a.host().parse::<IpAddr>().unwrap()),
                Err(AddressError::NoPublicHost { index, count, .. }) => {
                    assert_eq!((index, count), (i, hosts.len()));
                    break;
                }
                Err(e) => panic!("{e}"),
            }
        }
        // Every resolved IPv4 address is there once, in resolver order.
        let mut distinct = ipv4.clone();
        let mut seen = std::collections::HashSet::new();
        distinct.retain(|ip| seen.insert(*ip));
        assert_eq!(hosts, distinct);
        if let Some(first) = hosts.first() {
            assert_eq!(parts("PUBLICHOST:1").1, first.to_string());
        }
    }

    #[test]
    fn with_port_keeps_the_rest() {
        let a = Address::parse("localhost:0").unwrap().with_port(1234);
        assert_eq!(a.to_string(), "tcp://127.0.0.1:1234");
    }

    #[test]
    fn port_candidates_step_by_integer_square_roots() {
        let ports: Vec<u16> = port_candidates(1000, 10).collect();
        // Steps floor(sqrt(1..=9)): 1 1 1 2 2 2 2 2 3.
        assert_eq!(
            ports,
            [1000, 1001, 1002, 1003, 1005, 1007, 1009, 1011, 1013, 1016]
        );
        assert_eq!(port_candidates(1, 0).count(), 0);
        assert_eq!(port_candidates(1, 1).collect::<Vec<_>>(), [1]);
        let near_end: Vec<u16> = port_candidates(65533, 100).collect();
        assert_eq!(near_end, [65533, 65534, 65535]);
        // Steps grow, so a long run reaches the end well before 5000 tries.
        let mut expected = Vec::new();
        let mut port = 0u64;
        for i in 0..5000u64 {
            if port > 65535 {
                break;
            }
            expected.push(port as u16);
            port += ((i + 1) as f64).sqrt() as u64;
        }
        assert_eq!(port_candidates(0, 5000).collect::<Vec<_>>(), expected);
        assert!(expected.len() < 5000 && *expected.last().unwrap() > 65000);
    }
}
