//! The socket side of a secured handshake, under the handshake's deadline.
//! What is decided (keys, refusals, frames) is in [`crate::secure`].

use std::io::{self, Read};
use std::time::Instant;

use socket2::Socket;
use yoton_core::decoder::Decoder;
use yoton_core::handshake::{HandshakeError, LineReader};
use yoton_core::reason;

use crate::io::{is_timeout, read_line, write_all_two};
use crate::secure::{
    ClientHandshake, MAX_HANDSHAKE_FRAME, Opener, PREAMBLE, Sealer, Secret, SecureError,
    judge_reply_line,
};

/// The two halves of a secured link, once its handshake is done.
#[derive(Debug)]
pub(crate) struct Secured {
    pub(crate) sealer: Sealer,
    pub(crate) opener: Opener,
}

/// Whether a bind deserves the warning about plain links: it is not
/// secured and it listens on an interface other than loopback (a Unix
/// socket path has no interface).
pub(crate) fn is_exposed_plain(secured: bool, local: Option<std::net::SocketAddr>) -> bool {
    !secured && local.is_some_and(|local| !local.ip().is_loopback())
}

/// Whether a handshake line is the secured preamble.
pub(crate) fn is_preamble(line: &[u8]) -> bool {
    line == PREAMBLE.trim_end().as_bytes()
}

/// The client's side of the secured handshake: the hello, the host's
/// answer. Returns the close reason on failure.
pub(crate) fn client_side(
    socket: &Socket,
    secret: &Secret,
    deadline: Instant,
) -> Result<Secured, String> {
    let (handshake, hello) = ClientHandshake::start(secret).map_err(|e| e.to_string())?;
    write_all_two(socket, &hello, &[]).map_err(|_| reason::HANDSHAKE_TIMED_OUT.to_owned())?;
    let mut reader = LineReader::new();
    let line = read_line(socket, deadline, &mut reader).map_err(|e| e.reason().to_owned())?;
    if !is_preamble(&line) {
        return Err(judge_reply_line(&line).to_string());
    }
    let (frame, rest) = read_frame(socket, deadline, reader.take_rest())?;
    let (sealer, mut opener) = handshake.finish(&frame).map_err(|e| e.to_string())?.split();
    opener.push(&rest);
    Ok(Secured { sealer, opener })
}

/// Reads one handshake frame (its length, then its bytes) after `have`,
/// the bytes already read; returns the frame and what came after it.
pub(crate) fn read_frame(
    socket: &Socket,
    deadline: Instant,
    mut have: Vec<u8>,
) -> Result<(Vec<u8>, Vec<u8>), String> {
    let mut buf = [0u8; 256];
    loop {
        if let [a, b, ..] = have[..] {
            let len = usize::from(u16::from_be_bytes([a, b]));
            if len > MAX_HANDSHAKE_FRAME {
                return Err(SecureError::BadFrame { len }.to_string());
            }
            if have.len() >= 2 + len {
                let rest = have.split_off(2 + len);
                have.drain(..2);
                return Ok((have, rest));
            }
        }
        match read_some(socket, deadline, &mut buf)? {
            0 => return Err(SecureError::Truncated.to_string()),
            n => have.extend_from_slice(&buf[..n]),
        }
    }
}

/// Reads one yoton handshake line through the opener.
pub(crate) fn read_line_sealed(
    socket: &Socket,
    deadline: Instant,
    opener: &mut Opener,
    reader: &mut LineReader,
) -> Result<Vec<u8>, String> {
    let mut plain = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        plain.clear();
        opener.open_into(&mut plain).map_err(|e| e.to_string())?;
        if !plain.is_empty() {
            if let Some(line) = reader.feed(&plain) {
                return line.map_err(|e: HandshakeError| e.reason().to_owned());
            }
        }
        match read_some(socket, deadline, &mut buf)? {
            0 => return Err(reason::HANDSHAKE_FAILED.to_owned()),
            n => opener.push(&buf[..n]),
        }
    }
}

/// Seals `plain` and writes it all.
pub(crate) fn write_sealed(socket: &Socket, sealer: &mut Sealer, plain: &[u8]) -> io::Result<()> {
    let mut out = Vec::with_capacity(Sealer::sealed_len(plain.len()));
    sealer.seal(plain, &mut out)?;
    write_all_two(socket, &out, &[])
}

/// Reads from a secured link: what the socket gives (into `raw`) is
/// opened (into `plain`), and the plain bytes go to the decoder. Returns
/// the bytes read from the socket (0 at the end of the stream); a frame
/// that does not open, or a stream that ends inside one, is an
/// [`io::ErrorKind::InvalidData`] error.
pub(crate) fn read_sealed(
    read: impl FnOnce(&mut [u8]) -> io::Result<usize>,
    opener: &mut Opener,
    raw: &mut [u8],
    plain: &mut Vec<u8>,
    decoder: &mut Decoder,
) -> io::Result<usize> {
    let n = read(raw)?;
    if n == 0 {
        opener.finish()?;
        return Ok(0);
    }
    opener.push(&raw[..n]);
    plain.clear();
    opener.open_into(plain)?;
    decoder.feed(plain);
    Ok(n)
}

/// Reads what arrives before `deadline`; 0 at the end of the stream.
fn read_some(socket: &Socket, deadline: Instant, buf: &mut [u8]) -> Result<usize, String> {
    let timed_out = || reason::HANDSHAKE_TIMED_OUT.to_owned();
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Err(timed_out());
        }
        socket
            .set_read_timeout(Some(deadline - now))
            .map_err(|_| timed_out())?;
        let mut reading: &Socket = socket;
        match reading.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted || is_timeout(&e) => {}
            Err(_) => return Err(timed_out()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_binds_off_loopback_are_warned_about() {
        let any: std::net::SocketAddr = "0.0.0.0:4000".parse().unwrap();
        let lan: std::net::SocketAddr = "192.168.1.2:4000".parse().unwrap();
        let v6: std::net::SocketAddr = "[::]:4000".parse().unwrap();
        for exposed in [any, lan, v6] {
            assert!(is_exposed_plain(false, Some(exposed)), "{exposed}");
            assert!(!is_exposed_plain(true, Some(exposed)), "{exposed}");
        }
        for local in ["127.0.0.1:4000", "127.8.9.1:1", "[::1]:4000"] {
            let local: std::net::SocketAddr = local.parse().unwrap();
            assert!(!is_exposed_plain(false, Some(local)), "{local}");
        }
        assert!(!is_exposed_plain(false, None));
    }

    #[test]
    fn only_the_exact_preamble_is_one() {
        assert!(is_preamble(b"YOTON-SECURE/1"));
        assert!(!is_preamble(b"YOTON-SECURE/2"));
        assert!(!is_preamble(b"YOTON!0000000000000001.1"));
        assert!(!is_preamble(PREAMBLE.as_bytes()));
    }
}
