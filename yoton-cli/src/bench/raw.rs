//! The `raw-tcp` baseline in two processes: the bench accepts the peer's
//! socket and sends (or pings); the peer receives and checks (or echoes).
//! The loops of both ends are [`yoton_cli::setups::raw_tcp`]'s.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use yoton_cli::setups::raw_tcp;

use super::peer::{Peer, say};
use super::{Case, Measured};
use crate::args::{BenchPattern, BenchPeerArgs};

/// Measures one raw-TCP case against a peer process.
pub(super) fn measure(case: &Case) -> Result<Measured, String> {
    let deadline = Instant::now() + super::CASE_DEADLINE;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot bind: {e}"))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("no local address: {e}"))?
        .to_string();
    let peer = Peer::start(case, &address)?;
    let mut stream = accept(&listener, Instant::now() + Duration::from_secs(20))?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("cannot set TCP_NODELAY: {e}"))?;
    peer.expect("ready", deadline)?;
    let measured = match case.pattern {
        BenchPattern::Oneway => {
            let start = Instant::now();
            raw_tcp::send_all(&mut stream, 0, case.size, case.messages)
                .map_err(|e| format!("cannot send: {e}"))?;
            let end = peer.expect("done", deadline)?;
            Measured::Oneway(end.saturating_duration_since(start))
        }
        BenchPattern::Roundtrip => {
            stream
                .set_read_timeout(Some(super::CASE_DEADLINE))
                .map_err(|e| format!("cannot set a timeout: {e}"))?;
            let mut reader = raw_tcp::reader(stream.try_clone().map_err(|e| e.to_string())?);
            let rtts = raw_tcp::ping_all(&mut stream, &mut reader, 0, case.size, case.messages)?;
            peer.expect("done", deadline)?;
            Measured::Roundtrip(rtts)
        }
    };
    drop(stream);
    peer.finish()?;
    Ok(measured)
}

/// Accepts one connection before `deadline`.
fn accept(listener: &TcpListener, deadline: Instant) -> Result<TcpStream, String> {
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("cannot poll the listener: {e}"))?;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream
                    .set_nonblocking(false)
                    .map_err(|e| format!("cannot block: {e}"))?;
                return Ok(stream);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err("the peer did not connect in time".to_owned());
                }
                // std offers no accept with a timeout.
                thread::sleep(Duration::from_millis(1));
            }
            Err(e) => return Err(format!("cannot accept: {e}")),
        }
    }
}

/// The peer's side: receive and check (one way), or echo (round trip).
pub(super) fn peer(args: &BenchPeerArgs, deadline: Instant) -> Result<(), String> {
    let stream = TcpStream::connect(&args.address)
        .map_err(|e| format!("cannot connect to {}: {e}", args.address))?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("cannot set TCP_NODELAY: {e}"))?;
    stream
        .set_read_timeout(Some(deadline.saturating_duration_since(Instant::now())))
        .map_err(|e| format!("cannot set a timeout: {e}"))?;
    let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
    let mut reader = raw_tcp::reader(stream);
    say("ready");
    match args.pattern {
        BenchPattern::Oneway => raw_tcp::receive_all(&mut reader, 0, args.size, args.messages)?,
        BenchPattern::Roundtrip => {
            raw_tcp::echo(&mut reader, &mut writer, Some(args.messages))
                .map_err(|e| format!("cannot echo: {e}"))?;
        }
    }
    say("done");
    Ok(())
}
