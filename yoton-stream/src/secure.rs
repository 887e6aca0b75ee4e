//! The rules of a secured stream, as plain code fed bytes: the handshake
//! that proves both peers hold the same secret, and the frames that carry
//! the yoton stream encrypted and authenticated afterwards.
//!
//! The protocol is Noise `NNpsk0` (X25519, AES-256-GCM, BLAKE2s)
//! from the `snow` crate: no cryptography is written here. The pattern
//! needs no long-term key pairs, only the pre-shared 32-byte [`Secret`]; a
//! fresh ephemeral key on each side gives every connection its own keys
//! (forward secrecy), and a peer without the secret cannot finish the
//! handshake nor read or forge a frame.
//!
//! On the wire, before the yoton handshake:
//!
//! ```text
//! client → host   PREAMBLE line, then frame(noise message 1)
//! host → client   PREAMBLE line, then frame(noise message 2)
//!            or   an "ERROR: ..." line (wrong secret), and the host closes
//! ```
//!
//! A frame is a 2-byte big-endian length and that many bytes. After the
//! handshake, every byte of the yoton stream (its handshake lines, then
//! its packages) travels in frames sealed by a [`Sealer`] and opened by an
//! [`Opener`], each frame with the next nonce: a flipped, dropped,
//! replayed or reordered frame fails to open.
//!
//! ```
//! # mod yoton { pub use yoton_stream::secure; }
//! use yoton::secure::{ClientHandshake, PREAMBLE, Secret, host_answer, split_reply};
//!
//! let secret = Secret::from_bytes([7; 32]);
//! let (client, hello) = ClientHandshake::start(&secret).unwrap();
//! // The host reads the preamble line, then the frame after it.
//! let frame = &hello[PREAMBLE.len()..];
//! let answer = host_answer(&secret, &frame[2..]).unwrap();
//! let (mut host_sealer, _host_opener) = answer.keys.split();
//!
//! let reply = split_reply(&answer.reply).unwrap();
//! let (_client_sealer, mut client_opener) = client.finish(reply).unwrap().split();
//!
//! let mut wire = Vec::new();
//! host_sealer.seal(b"YOTON!1a.42\r\n", &mut wire).unwrap();
//! client_opener.push(&wire);
//! let mut plain = Vec::new();
//! client_opener.open_into(&mut plain).unwrap();
//! assert_eq!(plain, b"YOTON!1a.42\r\n");
//! ```

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::Arc;

use snow::{Builder, HandshakeState, StatelessTransportState};
use zeroize::Zeroizing;

/// The line a secured peer sends first, and a secured host answers with.
/// A plain yoton host answers it as any client that is not yoton
/// (`ERROR: this is Yoton.`), which tells a secured client that the host
/// is not secured.
pub const PREAMBLE: &str = "YOTON-SECURE/1\r\n";

/// What a secured host answers a client whose first frame does not open
/// with the host's secret.
pub const REPLY_WRONG_SECRET: &str = "ERROR: the secret does not match.\r\n";

/// What a secured host answers a plain yoton peer (a `YOTON!` line).
pub const REPLY_NOT_SECURED: &str =
    "ERROR: this yoton host is secured; connect with its secret.\r\n";

/// The Noise protocol of every secured link.
const NOISE_PARAMS: &str = "Noise_NNpsk0_25519_AESGCM_BLAKE2s";

/// Bound into both handshakes: peers of another version fail to agree.
const PROLOGUE: &[u8] = b"yoton-secure/1";

/// The largest frame, as Noise allows.
pub const MAX_FRAME: usize = 65535;

/// The authentication tag in every frame.
const TAG_LEN: usize = 16;

/// The most plain bytes one frame carries.
pub const MAX_PLAIN: usize = MAX_FRAME - TAG_LEN;

/// The largest handshake frame accepted: message 1 and 2 of `NNpsk0` are
/// 48 bytes, so a hostile peer cannot make a host allocate more.
pub const MAX_HANDSHAKE_FRAME: usize = 128;

/// The length of a [`Secret`].
pub const SECRET_LEN: usize = 32;

/// Why a secured handshake or frame failed. The texts are the close
/// reasons users see; none of them holds key material.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecureError {
    /// The peer does not hold the same secret (its handshake message did
    /// not open).
    #[error("secured handshake failed: the secret does not match")]
    WrongSecret,
    /// The host answered as a plain yoton host.
    #[error("the host is not secured (it answered as a plain yoton host)")]
    HostNotSecured,
    /// The peer answered something that is not a secured handshake.
    #[error("secured handshake failed: the peer is not a secured yoton peer")]
    NotSecured,
    /// A frame failed authentication: damaged, forged, replayed, dropped
    /// or reordered bytes.
    #[error("secured stream: a frame failed authentication (damaged or forged bytes)")]
    Tampered,
    /// The stream ended inside a frame.
    #[error("secured stream: the stream ended inside a frame")]
    Truncated,
    /// A frame's length is impossible.
    #[error("secured stream: a frame of {len} bytes is not valid")]
    BadFrame {
        /// The length announced.
        len: usize,
    },
    /// Every nonce of the connection was used (2^64 frames).
    #[error("secured stream: the connection used every nonce")]
    Exhausted,
}

impl From<SecureError> for io::Error {
    fn from(e: SecureError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}

/// A pre-shared secret of 32 bytes, that both ends of a secured link hold.
///
/// It is wiped from memory when dropped, and never shown: `Debug` prints
/// `Secret(..)`.
///
/// ```
/// # mod yoton { pub use yoton_stream::secure::Secret; }
/// use yoton::Secret;
///
/// let secret = Secret::from_bytes([1; 32]);
/// assert_eq!(format!("{secret:?}"), "Secret(..)");
/// let dir = std::env::temp_dir().join(format!("yoton-secret-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("key");
/// # let _ = std::fs::remove_file(&path);
/// let made = Secret::generate().unwrap();
/// made.write_new_file(&path).unwrap();
/// assert!(made.write_new_file(&path).is_err()); // never overwrites one
/// let read = Secret::read_file(&path).unwrap();
/// assert!(read.same_as(&made));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Clone)]
pub struct Secret(Arc<Zeroizing<[u8; SECRET_LEN]>>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Compared in constant time ([`Secret::same_as`]).
impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        self.same_as(other)
    }
}

impl Eq for Secret {}

impl Secret {
    /// A secret given in code.
    pub fn from_bytes(bytes: [u8; SECRET_LEN]) -> Secret {
        Secret(Arc::new(Zeroizing::new(bytes)))
    }

    /// A new random secret, from the operating system's generator.
    ///
    /// # Errors
    ///
    /// When the operating system gives no random bytes.
    pub fn generate() -> io::Result<Secret> {
        let mut bytes = Zeroizing::new([0u8; SECRET_LEN]);
        getrandom::fill(bytes.as_mut()).map_err(io::Error::other)?;
        Ok(Secret(Arc::new(bytes)))
    }

    /// Reads a secret file: exactly 32 bytes, as [`write_new_file`]
    /// writes them.
    ///
    /// # Errors
    ///
    /// The file cannot be read, or does not hold exactly 32 bytes
    /// ([`io::ErrorKind::InvalidData`]; the message tells the length, not
    /// the bytes).
    ///
    /// [`write_new_file`]: Secret::write_new_file
    pub fn read_file(path: &Path) -> io::Result<Secret> {
        let bytes = Zeroizing::new(std::fs::read(path)?);
        let bytes: [u8; SECRET_LEN] = bytes.as_slice().try_into().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{} holds {} bytes, not a {SECRET_LEN}-byte yoton secret",
                    path.display(),
                    bytes.len()
                ),
            )
        })?;
        Ok(Secret::from_bytes(bytes))
    }

    /// Writes the secret to a new file, readable by its owner only (mode
    /// 0600 on Unix). An existing file is never overwritten.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::AlreadyExists`] when the file exists; the
    /// operating system's error otherwise.
    pub fn write_new_file(&self, path: &Path) -> io::Result<()> {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path)?;
        file.write_all(&self.0[..])?;
        file.sync_all()
    }

    /// Whether two secrets are the same, compared in constant time.
    pub fn same_as(&self, other: &Secret) -> bool {
        use subtle::ConstantTimeEq;
        self.0[..].ct_eq(&other.0[..]).into()
    }

    fn builder(&self) -> Result<Builder<'_>, SecureError> {
        let params = NOISE_PARAMS.parse().map_err(|_| SecureError::NotSecured)?;
        Builder::new(params)
            .prologue(PROLOGUE)
            .and_then(|b| b.psk(0, &self.0))
            .map_err(|_| SecureError::NotSecured)
    }
}

/// The client's side of a secured handshake, between its first message
/// and the host's answer.
#[derive(Debug)]
pub struct ClientHandshake {
    state: HandshakeState,
}

impl ClientHandshake {
    /// Starts a handshake: returns the state and the bytes to send (the
    /// [`PREAMBLE`] line and the first frame).
    ///
    /// # Errors
    ///
    /// Only if the cryptography cannot start (no random bytes).
    pub fn start(secret: &Secret) -> Result<(ClientHandshake, Vec<u8>), SecureError> {
        let mut state = secret
            .builder()?
            .build_initiator()
            .map_err(|_| SecureError::NotSecured)?;
        let mut message = [0u8; MAX_HANDSHAKE_FRAME];
        let n = state
            .write_message(&[], &mut message)
            .map_err(|_| SecureError::NotSecured)?;
        let mut hello = PREAMBLE.as_bytes().to_vec();
        push_frame(&mut hello, &message[..n]);
        Ok((ClientHandshake { state }, hello))
    }

    /// Takes the host's second message (the frame after its [`PREAMBLE`]
    /// line; see [`split_reply`]) and returns the link's keys.
    ///
    /// # Errors
    ///
    /// [`SecureError::WrongSecret`] when the message does not open: the host
    /// does not hold the secret, or the bytes were changed.
    pub fn finish(mut self, message: &[u8]) -> Result<Keys, SecureError> {
        if message.len() > MAX_HANDSHAKE_FRAME {
            return Err(SecureError::BadFrame { len: message.len() });
        }
        let mut payload = [0u8; MAX_HANDSHAKE_FRAME];
        self.state
            .read_message(message, &mut payload)
            .map_err(|_| SecureError::WrongSecret)?;
        Keys::from_handshake(self.state)
    }
}

/// What a secured host answers a client's first frame.
#[derive(Debug)]
pub struct HostAnswer {
    /// The bytes to send back: the [`PREAMBLE`] line and the second frame.
    pub reply: Vec<u8>,
    /// The keys of the link.
    pub keys: Keys,
}

/// The host's side of a secured handshake: `message` is the client's first
/// frame, without its length.
///
/// # Errors
///
/// [`SecureError::WrongSecret`] when the message does not open with the
/// host's secret (answer [`REPLY_WRONG_SECRET`] and close), or
/// [`SecureError::BadFrame`] for one too long.
pub fn host_answer(secret: &Secret, message: &[u8]) -> Result<HostAnswer, SecureError> {
    if message.len() > MAX_HANDSHAKE_FRAME {
        return Err(SecureError::BadFrame { len: message.len() });
    }
    let mut state = secret
        .builder()?
        .build_responder()
        .map_err(|_| SecureError::NotSecured)?;
    let mut payload = [0u8; MAX_HANDSHAKE_FRAME];
    state
        .read_message(message, &mut payload)
        .map_err(|_| SecureError::WrongSecret)?;
    let mut out = [0u8; MAX_HANDSHAKE_FRAME];
    let n = state
        .write_message(&[], &mut out)
        .map_err(|_| SecureError::NotSecured)?;
    let mut reply = PREAMBLE.as_bytes().to_vec();
    push_frame(&mut reply, &out[..n]);
    Ok(HostAnswer {
        reply,
        keys: Keys::from_handshake(state)?,
    })
}

/// Takes the frame out of a host's whole reply (the [`PREAMBLE`] line and a
/// frame), as a client that read it all at once has it.
///
/// # Errors
///
/// [`SecureError::HostNotSecured`] for an answer of a plain yoton host,
/// [`SecureError::WrongSecret`] for [`REPLY_WRONG_SECRET`], and
/// [`SecureError::NotSecured`] or [`SecureError::Truncated`] otherwise.
pub fn split_reply(reply: &[u8]) -> Result<&[u8], SecureError> {
    let Some(rest) = reply.strip_prefix(PREAMBLE.as_bytes()) else {
        return Err(judge_reply_line(reply));
    };
    let mut frames = FrameReader::new(MAX_HANDSHAKE_FRAME);
    frames.push(rest);
    match frames.next_frame()? {
        Some(frame) if frame.len() + 2 == rest.len() => {
            let start = PREAMBLE.len() + 2;
            Ok(&reply[start..start + frame.len()])
        }
        Some(_) => Err(SecureError::NotSecured),
        None => Err(SecureError::Truncated),
    }
}

/// Why a host's first line is not the [`PREAMBLE`]: a secured host that
/// refused the secret, or a plain one.
pub fn judge_reply_line(line: &[u8]) -> SecureError {
    let trimmed = line.strip_suffix(b"\r\n").unwrap_or(line);
    let wrong = REPLY_WRONG_SECRET.trim_end().as_bytes();
    if trimmed.starts_with(wrong) {
        SecureError::WrongSecret
    } else if trimmed.starts_with(b"ERROR") || trimmed.starts_with(b"YOTON!") {
        SecureError::HostNotSecured
    } else {
        SecureError::NotSecured
    }
}

/// The keys of a secured link, once its handshake is done; [`split`] them
/// into the sending and receiving halves.
///
/// [`split`]: Keys::split
pub struct Keys {
    state: Arc<StatelessTransportState>,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keys(..)")
    }
}

impl Keys {
    fn from_handshake(state: HandshakeState) -> Result<Keys, SecureError> {
        let state = state
            .into_stateless_transport_mode()
            .map_err(|_| SecureError::NotSecured)?;
        Ok(Keys {
            state: Arc::new(state),
        })
    }

    /// The sealing half (for the writer) and the opening half (for the
    /// reader), each counting its own nonces.
    pub fn split(self) -> (Sealer, Opener) {
        (
            Sealer {
                state: Arc::clone(&self.state),
                nonce: 0,
                frame: vec![0; MAX_FRAME],
            },
            Opener {
                state: self.state,
                nonce: 0,
                frames: FrameReader::new(MAX_FRAME),
                scratch: vec![0; MAX_FRAME],
            },
        )
    }
}

/// Seals plain bytes into frames, each with the next nonce.
pub struct Sealer {
    state: Arc<StatelessTransportState>,
    nonce: u64,
    frame: Vec<u8>,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealer")
            .field("nonce", &self.nonce)
            .finish()
    }
}

impl Sealer {
    /// Appends `plain` to `out` as frames of at most [`MAX_PLAIN`] bytes
    /// each (one frame when it fits). Empty input writes nothing.
    ///
    /// # Errors
    ///
    /// [`SecureError::Exhausted`] after 2^64 frames.
    pub fn seal(&mut self, plain: &[u8], out: &mut Vec<u8>) -> Result<(), SecureError> {
        for chunk in plain.chunks(MAX_PLAIN) {
            if self.nonce == u64::MAX {
                return Err(SecureError::Exhausted);
            }
            let n = self
                .state
                .write_message(self.nonce, chunk, &mut self.frame)
                .map_err(|_| SecureError::Exhausted)?;
            self.nonce += 1;
            push_frame(out, &self.frame[..n]);
        }
        Ok(())
    }

    /// The number of bytes [`seal`](Sealer::seal) makes of `len` plain bytes.
    pub fn sealed_len(len: usize) -> usize {
        len + len.div_ceil(MAX_PLAIN) * (2 + TAG_LEN)
    }
}

/// Opens frames as they arrive, each with the next nonce.
pub struct Opener {
    state: Arc<StatelessTransportState>,
    nonce: u64,
    frames: FrameReader,
    scratch: Vec<u8>,
}

impl fmt::Debug for Opener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Opener")
            .field("nonce", &self.nonce)
            .field("buffered", &self.frames.buffered())
            .finish()
    }
}

impl Opener {
    /// Takes bytes as they came from the peer.
    pub fn push(&mut self, bytes: &[u8]) {
        self.frames.push(bytes);
    }

    /// Opens every complete frame taken so far and appends the plain bytes
    /// to `out`. Bytes of an incomplete frame wait for more. Nothing of a
    /// frame that fails is appended, and every later call fails too.
    ///
    /// # Errors
    ///
    /// [`SecureError::Tampered`] for a frame that does not open,
    /// [`SecureError::BadFrame`] for one shorter than its tag.
    pub fn open_into(&mut self, out: &mut Vec<u8>) -> Result<(), SecureError> {
        while let Some(frame) = self.frames.next_frame()? {
            if frame.len() < TAG_LEN {
                let len = frame.len();
                self.frames.fail(SecureError::BadFrame { len });
                return Err(SecureError::BadFrame { len });
            }
            match self
                .state
                .read_message(self.nonce, frame, &mut self.scratch)
            {
                Ok(n) => {
                    out.extend_from_slice(&self.scratch[..n]);
                    self.nonce += 1;
                }
                Err(_) => {
                    self.frames.fail(SecureError::Tampered);
                    return Err(SecureError::Tampered);
                }
            }
        }
        Ok(())
    }

    /// Whether bytes of an incomplete frame are waiting.
    pub fn is_mid_frame(&self) -> bool {
        self.frames.buffered() > 0
    }

    /// Called at the end of the stream: an incomplete frame left is an
    /// error.
    ///
    /// # Errors
    ///
    /// [`SecureError::Truncated`] when the stream ended inside a frame.
    pub fn finish(&self) -> Result<(), SecureError> {
        if self.is_mid_frame() {
            Err(SecureError::Truncated)
        } else {
            Ok(())
        }
    }
}

/// Splits a byte stream into length-prefixed frames of at most `max` bytes.
#[derive(Debug)]
struct FrameReader {
    buf: Vec<u8>,
    /// Where the unread bytes of `buf` start.
    start: usize,
    max: usize,
    failed: Option<SecureError>,
}

impl FrameReader {
    fn new(max: usize) -> FrameReader {
        FrameReader {
            buf: Vec::new(),
            start: 0,
            max,
            failed: None,
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > MAX_FRAME {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    fn fail(&mut self, error: SecureError) {
        self.failed = Some(error);
        self.buf = Vec::new();
        self.start = 0;
    }

    fn next_frame(&mut self) -> Result<Option<&[u8]>, SecureError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let rest = &self.buf[self.start..];
        let [a, b, ..] = *rest else {
            return Ok(None);
        };
        let len = usize::from(u16::from_be_bytes([a, b]));
        if len > self.max {
            self.fail(SecureError::BadFrame { len });
            return Err(SecureError::BadFrame { len });
        }
        if rest.len() < 2 + len {
            return Ok(None);
        }
        let begin = self.start + 2;
        self.start = begin + len;
        Ok(Some(&self.buf[begin..begin + len]))
    }
}

fn push_frame(out: &mut Vec<u8>, frame: &[u8]) {
    let len = u16::try_from(frame.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&frame[..usize::from(len)]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Both halves of each end: the client's, then the host's.
    type Ends = ((Sealer, Opener), (Sealer, Opener));

    fn pair(client: &Secret, host: &Secret) -> Result<Ends, SecureError> {
        let (start, hello) = ClientHandshake::start(client)?;
        let frame = &hello[PREAMBLE.len() + 2..];
        let answer = host_answer(host, frame)?;
        let keys = start.finish(split_reply(&answer.reply)?)?;
        Ok((keys.split(), answer.keys.split()))
    }

    fn secret(byte: u8) -> Secret {
        Secret::from_bytes([byte; SECRET_LEN])
    }

    #[test]
    fn the_same_secret_makes_keys_that_work_both_ways() {
        let ((mut c_seal, mut c_open), (mut h_seal, mut h_open)) =
            pair(&secret(3), &secret(3)).unwrap();
        let mut wire = Vec::new();
        c_seal.seal(b"to host", &mut wire).unwrap();
        h_open.push(&wire);
        let mut plain = Vec::new();
        h_open.open_into(&mut plain).unwrap();
        assert_eq!(plain, b"to host");
        wire.clear();
        plain.clear();
        h_seal.seal(b"to client", &mut wire).unwrap();
        c_open.push(&wire);
        c_open.open_into(&mut plain).unwrap();
        assert_eq!(plain, b"to client");
    }

    #[test]
    fn a_wrong_secret_is_refused_by_the_host() {
        let (_, hello) = ClientHandshake::start(&secret(1)).unwrap();
        let err = host_answer(&secret(2), &hello[PREAMBLE.len() + 2..]).unwrap_err();
        assert_eq!(err, SecureError::WrongSecret);
        assert_eq!(
            judge_reply_line(REPLY_WRONG_SECRET.as_bytes()),
            SecureError::WrongSecret
        );
    }

    #[test]
    fn a_host_without_the_secret_is_refused_by_the_client() {
        // A host that does not know the secret cannot make message 2: one
        // made with another secret does not open.
        let (client, _) = ClientHandshake::start(&secret(1)).unwrap();
        let (_, other_hello) = ClientHandshake::start(&secret(2)).unwrap();
        let other = host_answer(&secret(2), &other_hello[PREAMBLE.len() + 2..]).unwrap();
        let err = client
            .finish(split_reply(&other.reply).unwrap())
            .unwrap_err();
        assert_eq!(err, SecureError::WrongSecret);
    }

    #[test]
    fn plain_hosts_answers_are_told_apart() {
        use yoton_core::handshake::{REPLY_BAD_ID, REPLY_NOT_YOTON};
        assert_eq!(
            split_reply(REPLY_NOT_YOTON.as_bytes()).unwrap_err(),
            SecureError::HostNotSecured
        );
        assert_eq!(
            judge_reply_line(REPLY_BAD_ID.as_bytes()),
            SecureError::HostNotSecured
        );
        assert_eq!(judge_reply_line(b"HTTP/1.1 400"), SecureError::NotSecured);
        assert_eq!(
            split_reply(PREAMBLE.as_bytes()).unwrap_err(),
            SecureError::Truncated
        );
    }

    #[test]
    fn an_oversized_handshake_frame_is_refused_before_any_work() {
        let big = vec![0u8; MAX_HANDSHAKE_FRAME + 1];
        assert!(matches!(
            host_answer(&secret(1), &big),
            Err(SecureError::BadFrame { .. })
        ));
    }

    #[test]
    fn replayed_and_dropped_frames_do_not_open() {
        let ((mut seal, _), (_, mut open)) = pair(&secret(9), &secret(9)).unwrap();
        let mut first = Vec::new();
        let mut second = Vec::new();
        seal.seal(b"one", &mut first).unwrap();
        seal.seal(b"two", &mut second).unwrap();
        // Dropped: the second frame arrives where the first was due.
        open.push(&second);
        let mut plain = Vec::new();
        assert_eq!(open.open_into(&mut plain), Err(SecureError::Tampered));
        assert!(plain.is_empty());

        let ((mut seal, _), (_, mut open)) = pair(&secret(9), &secret(9)).unwrap();
        let mut frame = Vec::new();
        seal.seal(b"once", &mut frame).unwrap();
        open.push(&frame);
        open.push(&frame);
        assert_eq!(open.open_into(&mut plain), Err(SecureError::Tampered));
        assert_eq!(plain, b"once");
        // Once failed, always failed.
        assert_eq!(open.open_into(&mut plain), Err(SecureError::Tampered));
    }

    #[test]
    fn large_writes_are_cut_into_frames_that_fit() {
        let ((mut seal, _), (_, mut open)) = pair(&secret(4), &secret(4)).unwrap();
        let data: Vec<u8> = (0..3 * MAX_PLAIN + 5).map(|i| i as u8).collect();
        let mut wire = Vec::new();
        seal.seal(&data, &mut wire).unwrap();
        assert_eq!(wire.len(), Sealer::sealed_len(data.len()));
        open.push(&wire);
        let mut plain = Vec::new();
        open.open_into(&mut plain).unwrap();
        assert_eq!(plain, data);
        assert!(open.finish().is_ok());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any single byte changed anywhere in a secured stream makes the
        /// stream fail (at once, or at its end as a truncated frame); the
        /// plain bytes given out before are exactly a prefix of what was
        /// sent, never a changed byte.
        #[test]
        fn any_flipped_byte_leads_to_a_failure_never_to_changed_bytes(
            messages in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..8),
            at in any::<prop::sample::Index>(),
            flip in 1u8..=255,
            cut in any::<prop::sample::Index>(),
        ) {
            let ((mut seal, _), (_, mut open)) = pair(&secret(5), &secret(5)).unwrap();
            let mut wire = Vec::new();
            let mut sent = Vec::new();
            for message in &messages {
                seal.seal(message, &mut wire).unwrap();
                sent.extend_from_slice(message);
            }
            prop_assume!(!wire.is_empty());
            let i = at.index(wire.len());
            wire[i] ^= flip;
            let split = cut.index(wire.len() + 1);
            let mut plain = Vec::new();
            open.push(&wire[..split]);
            let first = open.open_into(&mut plain);
            open.push(&wire[split..]);
            let failed = first.is_err()
                || open.open_into(&mut plain).is_err()
                || open.finish().is_err();
            prop_assert!(failed, "a changed stream opened completely");
            prop_assert!(sent.starts_with(&plain), "changed bytes were given out");
        }

        /// Whatever a peer without the secret sends as its first frame, the
        /// host refuses it.
        #[test]
        fn any_first_frame_without_the_secret_is_refused(frame in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assert!(host_answer(&secret(6), &frame).is_err());
        }
    }
}
