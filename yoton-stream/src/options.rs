//! The settings of a [`StreamTransport`](crate::StreamTransport), checked once
//! when the transport is made.

use std::time::Duration;

use yoton_core::decoder::DEFAULT_MAX_DATA_LEN;

use crate::secure::Secret;

/// The default bound of a connection's send queue: 8 MiB of encoded
/// packages, as for every transport.
pub use yoton_core::link::DEFAULT_SEND_QUEUE_BYTES;

/// The longest [`busy_poll`](StreamOptions::with_busy_poll) accepted: 10 ms.
/// Past that, sleeping costs less than the core it keeps busy.
pub const MAX_BUSY_POLL: Duration = Duration::from_millis(10);

/// How long a handshake may take by default: 2 seconds, as in the reference.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(2);

/// Settings of a stream transport (TCP, IPC).
///
/// Start from [`StreamOptions::new`] (the defaults) and change what is needed
/// with the chainable `with_*` setters; the values are checked once, by
/// [`validate`](StreamOptions::validate), when a transport is made with
/// them ([`StreamTransport::with_options`](crate::StreamTransport::with_options)).
///
/// ```
/// use std::time::Duration;
/// use yoton_stream::StreamOptions;
///
/// let options = StreamOptions::new()
///     .with_max_data_len(1 << 20)
///     .with_send_queue_bytes(256 * 1024)
///     .with_handshake_timeout(Duration::from_secs(5));
/// assert_eq!(options.max_data_len(), 1 << 20);
/// assert!(options.validate().is_ok());
/// assert!(StreamOptions::new().with_send_queue_bytes(0).validate().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamOptions {
    max_data_len: u64,
    send_queue_bytes: usize,
    handshake_timeout: Duration,
    secret: Option<Secret>,
    busy_poll: Duration,
}

/// A [`StreamOptions`] value that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid transport option {option}: {message}")]
pub struct OptionsError {
    /// The setting that is wrong, for example `send_queue_bytes`.
    pub option: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            max_data_len: DEFAULT_MAX_DATA_LEN,
            send_queue_bytes: DEFAULT_SEND_QUEUE_BYTES,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            secret: None,
            busy_poll: Duration::ZERO,
        }
    }
}

impl StreamOptions {
    /// The defaults: 64 MiB packages, an 8 MiB send queue, a 2 s handshake.
    pub fn new() -> Self {
        StreamOptions::default()
    }

    /// The largest package data accepted from a peer. A header announcing
    /// more closes the connection with a reason naming the size and the
    /// limit; nothing of that size is allocated. At least 1.
    pub fn with_max_data_len(mut self, max: u64) -> Self {
        self.max_data_len = max;
        self
    }

    /// The bound of the send queue, in encoded bytes: a producer that finds
    /// this much queued and not yet written waits (backpressure). A single
    /// package larger than the bound still goes through once the queue has
    /// room. At least 1.
    pub fn with_send_queue_bytes(mut self, bytes: usize) -> Self {
        self.send_queue_bytes = bytes;
        self
    }

    /// How long each side of a handshake waits for the other's line. Not
    /// zero.
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Secures every connection with a pre-shared secret: both peers must
    /// hold the same one, and the bytes are encrypted and authenticated
    /// (see [`crate::secure`] and `docs/SECURITY.md`). A secured transport
    /// neither accepts nor reaches plain peers, Python yoton included;
    /// without a secret (the default) the wire is the reference's.
    ///
    /// ```
    /// # mod yoton { pub use yoton_stream::StreamOptions as TcpOptions; pub use yoton_stream::secure::Secret; }
    /// use yoton::{Secret, TcpOptions};
    ///
    /// let options = TcpOptions::new().with_secret(Secret::from_bytes([9; 32]));
    /// assert!(options.secret().is_some());
    /// assert!(!format!("{options:?}").contains("9, 9"));
    /// ```
    pub fn with_secret(mut self, secret: Secret) -> Self {
        self.secret = Some(secret);
        self
    }

    /// Low latency at the cost of a core: after a connection received
    /// something, the process's I/O thread polls its sockets without
    /// sleeping, yielding its core between tries, for up to `window`
    /// before it sleeps in its wait again. A reply that comes within the
    /// window is read without the wake-up of a sleeping thread, which on
    /// loopback is most of a round trip (`yoton bench` shows the difference
    /// in its `tcp-busy-poll` rows, and the CPU it costs in
    /// `cpu_s_per_1000`). Zero, the default, never polls. At most
    /// [`MAX_BUSY_POLL`].
    ///
    /// ```
    /// # mod yoton { pub use yoton_stream::StreamOptions as TcpOptions; }
    /// use std::time::Duration;
    /// use yoton::TcpOptions;
    ///
    /// let options = TcpOptions::new().with_busy_poll(Duration::from_micros(200));
    /// assert_eq!(options.busy_poll(), Duration::from_micros(200));
    /// assert!(options.validate().is_ok());
    /// assert!(TcpOptions::new().with_busy_poll(Duration::from_secs(1)).validate().is_err());
    /// ```
    pub fn with_busy_poll(mut self, window: Duration) -> Self {
        self.busy_poll = window;
        self
    }

    /// How long the I/O thread polls after a receive before it sleeps;
    /// zero for never.
    pub fn busy_poll(&self) -> Duration {
        self.busy_poll
    }

    /// The secret connections are secured with, if any.
    pub fn secret(&self) -> Option<&Secret> {
        self.secret.as_ref()
    }

    /// The largest package data accepted from a peer.
    pub fn max_data_len(&self) -> u64 {
        self.max_data_len
    }

    /// The bound of the send queue, in bytes.
    pub fn send_queue_bytes(&self) -> usize {
        self.send_queue_bytes
    }

    /// How long a handshake may take.
    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// Checks every setting.
    ///
    /// # Errors
    ///
    /// An [`OptionsError`] naming the first option out of its range.
    pub fn validate(&self) -> Result<(), OptionsError> {
        let fail = |option, message: &str| {
            Err(OptionsError {
                option,
                message: message.to_owned(),
            })
        };
        if self.max_data_len == 0 {
            return fail("max_data_len", "must be at least 1 byte");
        }
        if usize::try_from(self.max_data_len).is_err() {
            return fail("max_data_len", "does not fit in memory on this target");
        }
        if self.send_queue_bytes == 0 {
            return fail("send_queue_bytes", "must be at least 1 byte");
        }
        if self.handshake_timeout.is_zero() {
            return fail("handshake_timeout", "must not be zero");
        }
        if self.busy_poll > MAX_BUSY_POLL {
            return fail("busy_poll", "must be at most 10 ms");
        }
        Ok(())
    }
}
