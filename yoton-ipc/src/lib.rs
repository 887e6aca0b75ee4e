//! The `ipc://` transport of yoton: connections between processes of one
//! machine over Unix domain sockets.
//!
//! Everything a connection does (handshake, queues, heartbeats, close) is
//! the shared stream transport of `yoton-stream`, exactly as over TCP, so
//! the bytes on the socket are the yoton protocol. What is this crate's own
//! is where the socket lives:
//!
//! - `ipc:///absolute/path` binds or connects at that path;
//! - `ipc://name` at `yoton-name.sock` in the runtime directory
//!   (`$XDG_RUNTIME_DIR`, else the temporary directory);
//! - `ipc://` (an empty name) binds a fresh path, as port 0 does for TCP.
//!
//! Binding over a socket file that nobody listens on (left by a process
//! that died) removes it first; a socket that somebody listens on, or a
//! file that is not a socket, is refused with [`Error::Bind`] and
//! [`io::ErrorKind::AddrInUse`]. The socket is made with mode 0600 (only
//! this user may connect), and its file is removed when the connection
//! stops listening: when its peer arrives, or on close. Ports mean
//! nothing here: `local_port` and `peer_port` are 0, and both ends show
//! the socket's path as `local_host` and `peer_host`.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use yoton_core::{Connection, Context, reason};
//! use yoton_ipc::IpcTransport;
//!
//! let host = Context::new();
//! host.register_transport(Arc::new(IpcTransport::new()));
//! let client = Context::new();
//! client.register_transport(Arc::new(IpcTransport::new()));
//!
//! let bound = host.bind("ipc://").unwrap(); // a fresh path
//! let closed = bound.closed().subscribe();
//! let conn = client.connect(&format!("ipc://{}", bound.local_host())).unwrap();
//! assert_eq!(conn.peer_id(), Some(host.id()));
//! conn.close(None);
//! let event = closed.recv_timeout(Duration::from_secs(10)).unwrap();
//! assert_eq!(event.reason, reason::CLOSED_FROM_OTHER_END);
//! ```
#![cfg(unix)]
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use socket2::{Domain, SockAddr, Socket, Type};
use yoton_core::sync::lock;
use yoton_core::{Address, AddressError, Error, Result};
use yoton_stream::{Ends, Listening, StreamFamily, StreamTransport};

pub use yoton_stream::{OptionsError, StreamOptions};

/// The address protocol of this transport.
const PROTOCOL: &str = "ipc";

/// The `ipc` transport, for `ipc:///path` and `ipc://name` addresses.
///
/// `yoton::context()` registers one on Unix with the default options. One
/// made with other options, by `IpcTransport::with_options` (which checks
/// them), takes the place of the default one when it is registered for
/// `ipc` on the context
/// ([`Context::register_transport`](yoton_core::Context::register_transport)).
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_ipc::IpcTransport; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(IpcTransport::new())); c } }
/// use std::path::Path;
///
/// let ctx = yoton::context();
/// let bound = ctx.bind("ipc://").unwrap(); // a fresh path
/// assert!(Path::new(&bound.local_host()).exists());
/// bound.close(None); // stops waiting and removes the socket file
/// assert!(!Path::new(&bound.local_host()).exists());
/// ```
pub type IpcTransport = StreamTransport<IpcFamily>;

/// The path of `ipc://name`: `yoton-name.sock` in the runtime directory.
///
/// ```
/// let path = yoton_ipc::path_of_name("kernel");
/// assert!(path.ends_with("yoton-kernel.sock"));
/// ```
pub fn path_of_name(name: &str) -> PathBuf {
    let dir = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|dir| !dir.is_empty())
        .map_or_else(std::env::temp_dir, PathBuf::from);
    dir.join(format!("yoton-{name}.sock"))
}

/// What is this transport's own in the stream transport: socket paths,
/// stale socket files, the socket's mode.
#[derive(Debug, Default)]
pub struct IpcFamily {
    /// The device and inode of each socket file this process listens at,
    /// so that only our own file is removed.
    listening: Mutex<HashMap<String, (u64, u64)>>,
}

/// Numbers the fresh paths of `ipc://` in this process.
static NEXT_FRESH: AtomicU64 = AtomicU64::new(0);

impl StreamFamily for IpcFamily {
    fn protocol(&self) -> &'static str {
        PROTOCOL
    }

    fn has_ports(&self) -> bool {
        false
    }

    fn parse_address(&self, text: &str) -> std::result::Result<Address, AddressError> {
        let tail = text
            .get(..PROTOCOL.len() + 3)
            .filter(|head| head.eq_ignore_ascii_case("ipc://"))
            .map_or(text, |_| &text[PROTOCOL.len() + 3..]);
        let path = if tail.is_empty() || tail.starts_with('/') {
            tail.to_owned()
        } else {
            path_of_name(tail).to_string_lossy().into_owned()
        };
        Ok(Address::named(PROTOCOL, &path))
    }

    fn listen(&self, address: &Address, _max_tries: u32) -> Result<Listening> {
        let path = if address.host().is_empty() {
            let n = NEXT_FRESH.fetch_add(1, Ordering::Relaxed);
            path_of_name(&format!("{}-{n}", std::process::id()))
        } else {
            PathBuf::from(address.host())
        };
        let shown = path.to_string_lossy().into_owned();
        let bind_error = |source: io::Error| Error::Bind {
            address: format!("ipc://{shown}"),
            source,
        };
        clear_stale(&path).map_err(bind_error)?;
        let local = SockAddr::unix(&path).map_err(bind_error)?;
        let socket = Socket::new(Domain::UNIX, Type::STREAM, None).map_err(bind_error)?;
        socket.bind(&local).map_err(bind_error)?;
        // Nobody can connect before `listen`, so the mode is set in time.
        let listened = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .and_then(|()| std::fs::metadata(&path))
            .and_then(|meta| socket.listen(16).map(|()| (meta.dev(), meta.ino())));
        match listened {
            Ok(identity) => {
                lock(&self.listening).insert(shown.clone(), identity);
            }
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                return Err(bind_error(e));
            }
        }
        Ok(Listening {
            socket,
            local,
            host: shown,
            port: 0,
        })
    }

    fn unlisten(&self, listening: &Listening) {
        let Some(identity) = lock(&self.listening).remove(&listening.host) else {
            return;
        };
        let path = Path::new(&listening.host);
        let ours =
            std::fs::symlink_metadata(path).is_ok_and(|meta| (meta.dev(), meta.ino()) == identity);
        if ours {
            if let Err(e) = std::fs::remove_file(path) {
                tracing::debug!(path = %listening.host, error = %e, "socket file not removed");
            }
        }
    }

    fn dial_targets(&self, address: &Address) -> io::Result<Vec<SockAddr>> {
        if address.host().is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "an ipc address to connect to needs a path or a name",
            ));
        }
        Ok(vec![SockAddr::unix(address.host())?])
    }

    fn socket_for(&self, _target: &SockAddr) -> io::Result<Socket> {
        Socket::new(Domain::UNIX, Type::STREAM, None)
    }

    fn ends(&self, socket: &Socket) -> io::Result<Ends> {
        // One side of a Unix socket has the path, the other is unnamed:
        // both ends show the path, the place of the link.
        let local = socket.local_addr()?;
        let peer = socket.peer_addr()?;
        let path = local
            .as_pathname()
            .or_else(|| peer.as_pathname())
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Ends {
            local_host: path.clone(),
            local_port: 0,
            peer_host: path,
            peer_port: 0,
        })
    }
}

/// Makes `path` free for a new socket: removes a socket file that nobody
/// listens on, refuses a live socket or a file of another kind.
fn clear_stale(path: &Path) -> io::Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if !meta.file_type().is_socket() {
        return Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            "the path exists and is not a socket",
        ));
    }
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            "another process listens on this socket",
        )),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            tracing::debug!(path = %path.display(), "removing a stale socket file");
            match std::fs::remove_file(path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            }
        }
        Err(e) => Err(e),
    }
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<IpcTransport>();
};
