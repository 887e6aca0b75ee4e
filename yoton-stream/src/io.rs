//! Socket chores shared by both sides: writing without SIGPIPE, reading a
//! handshake line under a deadline, and naming the reason of a failure.

use std::io::{self, IoSlice, Read};
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use socket2::Socket;
use yoton_core::handshake::{HandshakeError, LineReader};
use yoton_core::reason;

/// Flags for every send: a peer that went away must give an error, not a
/// SIGPIPE that kills the process.
#[cfg(any(target_os = "linux", target_os = "android"))]
const SEND_FLAGS: i32 = libc::MSG_NOSIGNAL;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const SEND_FLAGS: i32 = 0;

/// Makes a socket that never raises SIGPIPE where a per-send flag does not
/// exist.
pub(crate) fn prepare(socket: &Socket) {
    #[cfg(any(target_vendor = "apple", target_os = "freebsd"))]
    if let Err(e) = socket.set_nosigpipe(true) {
        tracing::debug!(error = %e, "SO_NOSIGPIPE not set");
    }
    let _ = socket;
}

/// Writes `a` then `b` completely, in as few system calls as the kernel
/// allows (one vectored write when both are there).
pub(crate) fn write_all_two(socket: &Socket, mut a: &[u8], mut b: &[u8]) -> io::Result<()> {
    while !a.is_empty() || !b.is_empty() {
        let result = if a.is_empty() {
            socket.send_with_flags(b, SEND_FLAGS)
        } else if b.is_empty() {
            socket.send_with_flags(a, SEND_FLAGS)
        } else {
            socket.send_vectored_with_flags(&[IoSlice::new(a), IoSlice::new(b)], SEND_FLAGS)
        };
        match result {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(mut n) => {
                let from_a = n.min(a.len());
                a = &a[from_a..];
                n -= from_a;
                b = &b[n..];
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes what the socket takes at once of `a` then `b`, in one system
/// call, without blocking; returns how many bytes that was (0 when it
/// would block).
pub(crate) fn try_write_two(socket: &Socket, a: &[u8], b: &[u8]) -> io::Result<usize> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let flags = SEND_FLAGS | libc::MSG_DONTWAIT;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let flags = SEND_FLAGS;
    loop {
        let result = if b.is_empty() {
            socket.send_with_flags(a, flags)
        } else if a.is_empty() {
            socket.send_with_flags(b, flags)
        } else {
            socket.send_vectored_with_flags(&[IoSlice::new(a), IoSlice::new(b)], flags)
        };
        match result {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(0),
            Err(e) => return Err(e),
        }
    }
}

/// Writes as much of `a` then `b` as the socket takes now, without
/// blocking; returns how many bytes that was.
pub(crate) fn write_now(socket: &Socket, a: &[u8], b: &[u8]) -> io::Result<usize> {
    let total = a.len() + b.len();
    let mut done = 0;
    while done < total {
        let from_a = done.min(a.len());
        let n = try_write_two(socket, &a[from_a..], &b[done - from_a..])?;
        if n == 0 {
            break;
        }
        done += n;
    }
    Ok(done)
}

/// Waits until the socket takes more bytes, or `timeout` passes (or the
/// wait fails: the next write tells).
pub(crate) fn wait_writable(socket: &Socket, timeout: Duration) {
    use rustix::event::{PollFd, PollFlags, poll};
    let mut fds = [PollFd::new(socket, PollFlags::OUT)];
    let timeout = rustix::time::Timespec::try_from(timeout).ok();
    let _ = poll(&mut fds, timeout.as_ref());
}

/// Reads one handshake line before `deadline`. Returns the line (without
/// CRLF); bytes after it stay in `reader` for the package decoder.
///
/// As in the reference, a peer that closes after part of a line is judged
/// on that part, and one that sends nothing at all (or fails) counts as a
/// timeout.
pub(crate) fn read_line(
    socket: &Socket,
    deadline: Instant,
    reader: &mut LineReader,
) -> Result<Vec<u8>, HandshakeError> {
    let mut buf = [0u8; 256];
    let mut got_any = false;
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Err(HandshakeError::TimedOut);
        }
        if socket.set_read_timeout(Some(deadline - now)).is_err() {
            return Err(HandshakeError::TimedOut);
        }
        let mut reading: &Socket = socket;
        match reading.read(&mut buf) {
            Ok(0) if got_any => {
                return reader
                    .feed(b"\r\n")
                    .unwrap_or(Err(HandshakeError::NotYoton));
            }
            Ok(0) => return Err(HandshakeError::TimedOut),
            Ok(n) => {
                got_any = true;
                if let Some(line) = reader.feed(&buf[..n]) {
                    return line;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if is_timeout(&e) => {}
            Err(_) => return Err(HandshakeError::TimedOut),
        }
    }
}

/// Whether a read or write error is a socket timeout (`WouldBlock` or
/// `TimedOut`, depending on the platform).
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// The close reason for a failed read or write: a peer that went away is
/// reported as the reference reports an end of stream.
pub(crate) fn failure_reason(e: &io::Error) -> String {
    if let Some(secure) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<crate::secure::SecureError>())
    {
        return secure.to_string();
    }
    match e.kind() {
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::UnexpectedEof
        | io::ErrorKind::WriteZero => reason::OTHER_END_DROPPED.to_owned(),
        _ => format!("{} {e}", reason::SOCKET_ERROR),
    }
}

/// The socket addresses of a host and port (IP text is not looked up).
///
/// # Errors
///
/// The resolver's error, or [`io::ErrorKind::NotFound`] for no address.
pub fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = (host, port).to_socket_addrs()?.collect();
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{host:?} resolves to no address"),
        ));
    }
    Ok(addrs)
}

/// After sending the close package, how long the socket stays open to
/// take in (and drop) what the peer still sends until it closes its end:
/// closing at once would answer the peer's heartbeat with a reset, and a
/// Python peer would then report a socket error instead of reading our
/// close package.
pub(crate) const LINGER: Duration = Duration::from_secs(1);
