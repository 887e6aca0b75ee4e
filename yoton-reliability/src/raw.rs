//! Raw sockets that play a yoton peer by hand: they speak the handshake and
//! then send whatever bytes a test wants, valid or not.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// The context id raw peers claim.
pub const RAW_ID: u64 = 0x0000_0000_0000_00ab;

/// The handshake line of a raw peer.
pub fn raw_line() -> String {
    format!("YOTON!{RAW_ID:016x}.{}\r\n", std::process::id())
}

/// Reads up to and including CRLF, or to the end of the stream, one byte at
/// a time; gives up after `timeout` without a byte.
pub fn read_line(stream: &mut TcpStream, timeout: Duration) -> std::io::Result<Vec<u8>> {
    stream.set_read_timeout(Some(timeout))?;
    let mut line = Vec::new();
    let mut byte = [0u8];
    while !line.ends_with(b"\r\n") {
        match stream.read(&mut byte)? {
            0 => break,
            _ => line.push(byte[0]),
        }
    }
    Ok(line)
}

/// Connects to a bound yoton connection on the loopback at `port` and does
/// the client's handshake; returns the stream and the host's line.
pub fn connect(port: u16) -> std::io::Result<(TcpStream, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_nodelay(true)?;
    stream.write_all(raw_line().as_bytes())?;
    let line = read_line(&mut stream, crate::SOON)?;
    Ok((stream, String::from_utf8_lossy(&line).into_owned()))
}

/// What [`host`] hands over once a client has shaken hands: the stream and
/// the client's line.
pub type Accepted = JoinHandle<std::io::Result<(TcpStream, String)>>;

/// A raw host on a free loopback port: it accepts one client, reads its
/// handshake line, answers with [`raw_line`] and hands over the stream and
/// the client's line.
pub fn host() -> std::io::Result<(u16, Accepted)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let handle = thread::Builder::new()
        .name("raw-host".to_owned())
        .spawn(move || {
            let (mut stream, _) = listener.accept()?;
            stream.set_nodelay(true)?;
            let line = read_line(&mut stream, crate::SOON)?;
            stream.write_all(raw_line().as_bytes())?;
            Ok((stream, String::from_utf8_lossy(&line).into_owned()))
        })?;
    Ok((port, handle))
}
