//! The handshake that opens a TCP connection: one text line each way,
//! checked without any IO so that both sides' decisions can be tested alone.

use std::borrow::Cow;

use crate::id::ContextId;
use crate::reason;

/// How every handshake line starts.
pub const HANDSHAKE_PREFIX: &str = "YOTON!";

/// The longest accepted handshake line, CRLF included. Real lines are about
/// 40 bytes; the limit stops a peer from making the host buffer without end.
pub const MAX_LINE_LEN: usize = 1024;

/// What the host answers a peer whose line is not a yoton line.
pub const REPLY_NOT_YOTON: &str = "ERROR: this is Yoton.\r\n";

/// What the host answers a yoton line whose id or pid does not parse.
pub const REPLY_BAD_ID: &str = "ERROR: could not parse id.\r\n";

/// The most hex digits a context id has.
const MAX_ID_DIGITS: usize = 16;

/// Why a handshake failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The peer's line does not start with `YOTON!`.
    #[error("handshake failed: the peer's line does not start with {HANDSHAKE_PREFIX:?}")]
    NotYoton,
    /// The peer's line starts with `YOTON!` but its id or pid does not parse.
    #[error("handshake failed: could not parse the id and pid in the peer's line")]
    BadId,
    /// More bytes than the limit arrived without a CRLF.
    #[error("handshake failed: no line end within the limit of {limit} bytes")]
    TooLong {
        /// The line length limit, CRLF included.
        limit: usize,
    },
    /// The peer did not complete its line in time.
    #[error("{}", reason::HANDSHAKE_TIMED_OUT)]
    TimedOut,
    /// The peer has this side's own context id.
    #[error("{}", reason::HANDSHAKE_SELF)]
    SelfConnect,
}

impl HandshakeError {
    /// The reason the connection closes with, in the reference's words.
    pub fn reason(&self) -> &'static str {
        match self {
            HandshakeError::NotYoton | HandshakeError::BadId | HandshakeError::TooLong { .. } => {
                reason::HANDSHAKE_FAILED
            }
            HandshakeError::TimedOut => reason::HANDSHAKE_TIMED_OUT,
            HandshakeError::SelfConnect => reason::HANDSHAKE_SELF,
        }
    }
}

/// What a handshake line carries: the sender's context id and process id.
///
/// ```
/// use yoton_core::handshake::HandshakeLine;
/// use yoton_core::id::ContextId;
///
/// let line = HandshakeLine { id: ContextId::new(0x0123456789abcdef).unwrap(), pid: 4242 };
/// assert_eq!(line.encode(), "YOTON!0123456789abcdef.4242\r\n");
/// assert_eq!(HandshakeLine::parse(b"YOTON!0123456789ABCDEF.4242"), Ok(line));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct HandshakeLine {
    /// The sender's context id.
    pub id: ContextId,
    /// The sender's process id.
    pub pid: u32,
}

impl HandshakeLine {
    /// The line as sent: `YOTON!`, 16 lowercase hex digits, `.`, the pid in
    /// decimal, CRLF.
    pub fn encode(&self) -> String {
        format!("{HANDSHAKE_PREFIX}{}.{}\r\n", self.id, self.pid)
    }

    /// Reads a line (its CRLF may be left off). The id is 1 to 16 hex
    /// digits in either case and not zero; the pid is a decimal `u32`.
    ///
    /// # Errors
    ///
    /// [`HandshakeError::NotYoton`] without the `YOTON!` prefix, and
    /// [`HandshakeError::BadId`] for an id or pid that does not read as
    /// described.
    pub fn parse(line: &[u8]) -> Result<HandshakeLine, HandshakeError> {
        let line = line.strip_suffix(b"\r\n").unwrap_or(line);
        let rest = line
            .strip_prefix(HANDSHAKE_PREFIX.as_bytes())
            .ok_or(HandshakeError::NotYoton)?;
        let dot = rest
            .iter()
            .position(|&b| b == b'.')
            .ok_or(HandshakeError::BadId)?;
        let (id_text, pid_text) = (&rest[..dot], &rest[dot + 1..]);
        let id = parse_id(id_text).ok_or(HandshakeError::BadId)?;
        let pid = parse_pid(pid_text).ok_or(HandshakeError::BadId)?;
        Ok(HandshakeLine { id, pid })
    }
}

fn parse_id(text: &[u8]) -> Option<ContextId> {
    if text.is_empty() || text.len() > MAX_ID_DIGITS {
        return None;
    }
    let value = text.iter().try_fold(0u64, |acc, &b| {
        let digit = char::from(b).to_digit(16)?;
        Some((acc << 4) | u64::from(digit))
    })?;
    ContextId::new(value)
}

fn parse_pid(text: &[u8]) -> Option<u32> {
    if text.is_empty() {
        return None;
    }
    text.iter().try_fold(0u32, |acc, &b| {
        let digit = char::from(b).to_digit(10)?;
        acc.checked_mul(10)?.checked_add(digit)
    })
}

/// Collects the bytes of one handshake line, up to its CRLF.
///
/// Bytes after the CRLF (packages may arrive in the same read) are kept for
/// [`take_rest`](LineReader::take_rest), to go to the package decoder. At
/// most [`MAX_LINE_LEN`] bytes of the line itself are buffered.
///
/// ```
/// use yoton_core::handshake::LineReader;
///
/// let mut reader = LineReader::new();
/// assert_eq!(reader.feed(b"YOTON!12"), None);
/// assert_eq!(reader.feed(b"ab.7\r"), None);
/// assert_eq!(reader.feed(b"\nYOTON   "), Some(Ok(b"YOTON!12ab.7".to_vec())));
/// assert_eq!(reader.take_rest(), b"YOTON   ");
/// ```
#[derive(Debug, Default)]
pub struct LineReader {
    line: Vec<u8>,
    rest: Vec<u8>,
    state: LineState,
}

#[derive(Debug, Default, PartialEq, Eq)]
enum LineState {
    #[default]
    Reading,
    Done,
    Failed,
}

impl LineReader {
    /// An empty reader.
    pub fn new() -> LineReader {
        LineReader::default()
    }

    /// Adds received bytes.
    ///
    /// Returns `Some(Ok(line))` (without CRLF) once, when the line is
    /// complete; later bytes only go to [`take_rest`](LineReader::take_rest)
    /// and `None` is returned. Returns `Some(Err(TooLong))` when
    /// [`MAX_LINE_LEN`] bytes have arrived without a CRLF, and again for any
    /// later call. `None` means more bytes are needed.
    pub fn feed(&mut self, bytes: &[u8]) -> Option<Result<Vec<u8>, HandshakeError>> {
        match self.state {
            LineState::Done => {
                self.rest.extend_from_slice(bytes);
                return None;
            }
            LineState::Failed => return Some(Err(too_long())),
            LineState::Reading => {}
        }
        // A CR at the end of the previous chunk may pair with an LF now.
        let search_from = self.line.len().saturating_sub(1);
        let room = MAX_LINE_LEN - self.line.len();
        let (now, later) = bytes.split_at(bytes.len().min(room));
        self.line.extend_from_slice(now);
        if let Some(pos) = self.line[search_from..]
            .windows(2)
            .position(|w| w == b"\r\n")
        {
            let end = search_from + pos + 2;
            self.rest.extend_from_slice(&self.line[end..]);
            self.rest.extend_from_slice(later);
            self.line.truncate(end - 2);
            self.state = LineState::Done;
            return Some(Ok(std::mem::take(&mut self.line)));
        }
        if self.line.len() >= MAX_LINE_LEN {
            self.state = LineState::Failed;
            self.line = Vec::new();
            return Some(Err(too_long()));
        }
        None
    }

    /// Takes the bytes that arrived after the line's CRLF so far.
    pub fn take_rest(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.rest)
    }
}

fn too_long() -> HandshakeError {
    HandshakeError::TooLong {
        limit: MAX_LINE_LEN,
    }
}

/// What the hosting side does with the line a peer sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostDecision {
    /// The peer is a yoton context: send `reply` and go on as connected.
    Accept {
        /// The peer's id and pid.
        peer: HandshakeLine,
        /// This side's own line, to send back.
        reply: String,
    },
    /// Send `reply` if there is one, then drop the socket.
    Reject {
        /// What to send before dropping the socket.
        reply: Option<Cow<'static, str>>,
        /// Why the peer was refused.
        error: HandshakeError,
    },
}

/// Decides, as the host, what to do with a peer's line (CRLF optional).
///
/// As in the reference: a line not starting with `YOTON!` gets
/// [`REPLY_NOT_YOTON`], an unparsable id or pid gets [`REPLY_BAD_ID`], and
/// a peer with this side's own id still gets this side's line (so that it
/// too sees whom it reached) before the connection fails.
///
/// ```
/// use yoton_core::handshake::{host_decide, HandshakeLine, HostDecision, REPLY_NOT_YOTON};
/// use yoton_core::id::ContextId;
///
/// let own = HandshakeLine { id: ContextId::new(1).unwrap(), pid: 10 };
/// match host_decide(&own, b"GET / HTTP/1.1") {
///     HostDecision::Reject { reply, .. } => assert_eq!(reply.as_deref(), Some(REPLY_NOT_YOTON)),
///     other => panic!("{other:?}"),
/// }
/// match host_decide(&own, b"YOTON!2.20") {
///     HostDecision::Accept { peer, reply } => {
///         assert_eq!(peer.pid, 20);
///         assert_eq!(reply, own.encode());
///     }
///     other => panic!("{other:?}"),
/// }
/// ```
pub fn host_decide(own: &HandshakeLine, request: &[u8]) -> HostDecision {
    match HandshakeLine::parse(request) {
        Ok(peer) if peer.id == own.id => HostDecision::Reject {
            reply: Some(Cow::Owned(own.encode())),
            error: HandshakeError::SelfConnect,
        },
        Ok(peer) => HostDecision::Accept {
            peer,
            reply: own.encode(),
        },
        Err(HandshakeError::NotYoton) => HostDecision::Reject {
            reply: Some(Cow::Borrowed(REPLY_NOT_YOTON)),
            error: HandshakeError::NotYoton,
        },
        Err(_) => HostDecision::Reject {
            reply: Some(Cow::Borrowed(REPLY_BAD_ID)),
            error: HandshakeError::BadId,
        },
    }
}

/// Checks, as the connecting side, the host's answer (CRLF optional) to
/// this side's line, and returns the host's id and pid.
///
/// # Errors
///
/// As [`HandshakeLine::parse`] for an answer that is not a line, and
/// [`HandshakeError::SelfConnect`] when the host is this very context.
pub fn client_decide(
    own: &HandshakeLine,
    response: &[u8],
) -> Result<HandshakeLine, HandshakeError> {
    let peer = HandshakeLine::parse(response)?;
    if peer.id == own.id {
        return Err(HandshakeError::SelfConnect);
    }
    Ok(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: u64, pid: u32) -> HandshakeLine {
        HandshakeLine {
            id: ContextId::new(id).unwrap(),
            pid,
        }
    }

    #[test]
    fn parse_accepts_short_and_uppercase_ids() {
        assert_eq!(HandshakeLine::parse(b"YOTON!F.0"), Ok(line(15, 0)));
        assert_eq!(
            HandshakeLine::parse(b"YOTON!ffffffffffffffff.4294967295\r\n"),
            Ok(line(u64::MAX, u32::MAX))
        );
    }

    #[test]
    fn parse_rejects_what_is_not_a_line() {
        let bad_id: [&[u8]; 10] = [
            b"YOTON!",
            b"YOTON!1",
            b"YOTON!0.1",
            b"YOTON!.1",
            b"YOTON!1.",
            b"YOTON!10000000000000000.1",
            b"YOTON!1.4294967296",
            b"YOTON!1.-1",
            b"YOTON!1.2.3",
            b"YOTON!g.1",
        ];
        for text in bad_id {
            assert_eq!(
                HandshakeLine::parse(text),
                Err(HandshakeError::BadId),
                "{text:?}"
            );
        }
        assert_eq!(
            HandshakeLine::parse(b"yoton!1.1"),
            Err(HandshakeError::NotYoton)
        );
        assert_eq!(HandshakeLine::parse(b""), Err(HandshakeError::NotYoton));
    }

    #[test]
    fn ids_longer_than_16_digits_are_refused_whatever_their_value() {
        // 17 digits cannot be a 64-bit id, even where dropping the top
        // digit would leave a valid one.
        for text in [
            &b"YOTON!11111111111111111.1"[..],
            b"YOTON!fedcba98765432101.1",
        ] {
            assert_eq!(
                HandshakeLine::parse(text),
                Err(HandshakeError::BadId),
                "{text:?}"
            );
        }
        assert_eq!(
            HandshakeLine::parse(b"YOTON!1111111111111111.1"),
            Ok(line(0x1111_1111_1111_1111, 1))
        );
    }

    #[test]
    fn reasons_are_the_reference_texts() {
        assert_eq!(HandshakeError::BadId.reason(), reason::HANDSHAKE_FAILED);
        assert_eq!(too_long().reason(), reason::HANDSHAKE_FAILED);
        assert_eq!(
            HandshakeError::TimedOut.reason(),
            reason::HANDSHAKE_TIMED_OUT
        );
        assert_eq!(
            HandshakeError::SelfConnect.to_string(),
            reason::HANDSHAKE_SELF
        );
        assert!(too_long().to_string().contains("1024"));
    }

    #[test]
    fn host_decisions() {
        let own = line(1, 10);
        assert_eq!(
            host_decide(&own, b"YOTON!zz.1"),
            HostDecision::Reject {
                reply: Some(Cow::Borrowed(REPLY_BAD_ID)),
                error: HandshakeError::BadId
            }
        );
        assert_eq!(
            host_decide(&own, b"YOTON!1.99"),
            HostDecision::Reject {
                reply: Some(Cow::Owned(own.encode())),
                error: HandshakeError::SelfConnect
            }
        );
    }

    #[test]
    fn client_decisions() {
        let own = line(1, 10);
        assert_eq!(client_decide(&own, b"YOTON!2.3\r\n"), Ok(line(2, 3)));
        assert_eq!(
            client_decide(&own, b"YOTON!1.3"),
            Err(HandshakeError::SelfConnect)
        );
        assert_eq!(
            client_decide(&own, REPLY_NOT_YOTON.as_bytes()),
            Err(HandshakeError::NotYoton)
        );
        assert_eq!(
            client_decide(&own, b"YOTON!x.3"),
            Err(HandshakeError::BadId)
        );
    }

    #[test]
    fn line_reader_limits() {
        // The longest allowed line: 1022 bytes and CRLF.
        let mut r = LineReader::new();
        let long = vec![b'a'; MAX_LINE_LEN - 2];
        assert_eq!(r.feed(&long), None);
        assert_eq!(r.feed(b"\r"), None);
        assert_eq!(r.feed(b"\nrest"), Some(Ok(long)));
        assert_eq!(r.feed(b"more"), None);
        assert_eq!(r.take_rest(), b"restmore");

        let mut r = LineReader::new();
        assert_eq!(r.feed(&[b'a'; MAX_LINE_LEN - 1]), None);
        assert_eq!(r.feed(b"\r\n"), Some(Err(too_long())));
        assert_eq!(r.feed(b"\r\n"), Some(Err(too_long())));

        let mut r = LineReader::new();
        assert_eq!(r.feed(&vec![b'a'; 1 << 20]), Some(Err(too_long())));
        assert!(r.line.capacity() <= 2 * MAX_LINE_LEN);
    }

    #[test]
    fn line_reader_splits_line_and_rest_in_one_chunk() {
        let mut r = LineReader::new();
        let mut chunk = b"YOTON!a.1\r\n".to_vec();
        chunk.extend(vec![b'x'; 5000]);
        assert_eq!(r.feed(&chunk), Some(Ok(b"YOTON!a.1".to_vec())));
        assert_eq!(r.take_rest().len(), 5000);
        assert!(r.take_rest().is_empty());
    }
}
