//! The baselines without yoton. `raw-tcp` and `raw-tcp-spin` run in two
//! processes: the bench accepts the peer's socket and sends (or pings); the
//! peer receives and checks (or echoes). `raw-inproc` is two threads of
//! this process. The loops of both ends are [`yoton_cli::setups`]'s.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use yoton_cli::setups::payloads::Payloads;
use yoton_cli::setups::raw_inproc::InprocPingPong;
use yoton_cli::setups::raw_tcp;
use yoton_cli::setups::raw_tcp_spin::{self, SpinStream};

use super::peer::{Peer, echo_timed, say, timed_roundtrips};
use super::{Case, Measured};
use crate::args::{BenchPattern, BenchPeerArgs};

/// What plain TCP sockets measure: the patterns of `raw-tcp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// Messages one way, which the peer checks.
    Oneway,
    /// Pings that the peer echoes.
    Roundtrip,
}

impl Shape {
    /// The shape of `pattern`; a line saying why for a pattern that
    /// `raw-tcp` does not have.
    fn of(pattern: BenchPattern) -> Result<Shape, String> {
        match pattern {
            BenchPattern::Oneway => Ok(Shape::Oneway),
            BenchPattern::Roundtrip => Ok(Shape::Roundtrip),
            BenchPattern::Reqrep => Err("raw-tcp has no req/rep".to_owned()),
            BenchPattern::Fanout => Err("raw-tcp has no fan-out".to_owned()),
            BenchPattern::Connections => Err("raw-tcp has no connections case".to_owned()),
        }
    }
}

/// Measures one raw-TCP case against a peer process.
pub(super) fn measure(case: &Case) -> Result<Measured, String> {
    let shape = Shape::of(case.pattern)?;
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
    let measured = match shape {
        Shape::Oneway => {
            let start = Instant::now();
            raw_tcp::send_all(&mut stream, 0, case.size, case.messages)
                .map_err(|e| format!("cannot send: {e}"))?;
            let end = peer.expect("done", deadline)?;
            Measured::Oneway(end.saturating_duration_since(start))
        }
        Shape::Roundtrip => {
            stream
                .set_read_timeout(Some(super::CASE_DEADLINE))
                .map_err(|e| format!("cannot set a timeout: {e}"))?;
            let mut reader = raw_tcp::reader(stream.try_clone().map_err(|e| e.to_string())?);
            let measured = timed_roundtrips(Some((&peer, deadline)), || {
                raw_tcp::ping_all(&mut stream, &mut reader, 0, case.size, case.messages)
            })?;
            peer.expect("done", deadline)?;
            measured
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
    match Shape::of(args.pattern)? {
        Shape::Oneway => raw_tcp::receive_all(&mut reader, 0, args.size, args.messages)?,
        Shape::Roundtrip => echo_timed(args.messages, |count| {
            raw_tcp::echo(&mut reader, &mut writer, Some(count))
                .map(drop)
                .map_err(|e| format!("cannot echo: {e}"))
        })?,
    }
    say("done");
    Ok(())
}

/// Measures one `raw-tcp-spin` round-trip case against a peer process:
/// both ends busy-poll non-blocking sockets.
pub(super) fn measure_spin(case: &Case) -> Result<Measured, String> {
    let deadline = Instant::now() + super::CASE_DEADLINE;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot bind: {e}"))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("no local address: {e}"))?
        .to_string();
    let peer = Peer::start(case, &address)?;
    let stream = accept(&listener, Instant::now() + Duration::from_secs(20))?;
    let mut stream =
        SpinStream::new(stream, deadline).map_err(|e| format!("cannot set up the socket: {e}"))?;
    peer.expect("ready", deadline)?;
    let measured = timed_roundtrips(Some((&peer, deadline)), || {
        raw_tcp_spin::ping_all(&mut stream, 0, case.size, case.messages)
    })?;
    peer.expect("done", deadline)?;
    drop(stream);
    peer.finish()?;
    Ok(measured)
}

/// The peer's side of `raw-tcp-spin`: echo, busy-polling.
pub(super) fn peer_spin(args: &BenchPeerArgs, deadline: Instant) -> Result<(), String> {
    if args.pattern != BenchPattern::Roundtrip {
        return Err("raw-tcp-spin measures round trips only".to_owned());
    }
    let stream = TcpStream::connect(&args.address)
        .map_err(|e| format!("cannot connect to {}: {e}", args.address))?;
    let mut stream =
        SpinStream::new(stream, deadline).map_err(|e| format!("cannot set up the socket: {e}"))?;
    say("ready");
    echo_timed(args.messages, |count| {
        raw_tcp_spin::echo(&mut stream, Some(count))
            .map(drop)
            .map_err(|e| format!("cannot echo: {e}"))
    })?;
    say("done");
    Ok(())
}

/// Measures one `raw-inproc` round-trip case: two threads of this process
/// spinning on crossbeam channels.
pub(super) fn measure_inproc(case: &Case) -> Result<Measured, String> {
    let deadline = Instant::now() + super::CASE_DEADLINE;
    let pair = InprocPingPong::start().map_err(|e| format!("cannot start a thread: {e}"))?;
    let mut payloads = Payloads::new(case.size);
    let measured = timed_roundtrips(None, || {
        pair.ping_all(&mut payloads, case.messages, deadline)
    })?;
    let echoed = pair.finish();
    if echoed != case.messages {
        return Err(format!("{echoed} echoes of {} messages", case.messages));
    }
    Ok(measured)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_tcp_measures_one_way_and_round_trips_and_says_why_not_the_rest() {
        assert_eq!(Shape::of(BenchPattern::Oneway), Ok(Shape::Oneway));
        assert_eq!(Shape::of(BenchPattern::Roundtrip), Ok(Shape::Roundtrip));
        for (pattern, why) in [
            (BenchPattern::Reqrep, "raw-tcp has no req/rep"),
            (BenchPattern::Fanout, "raw-tcp has no fan-out"),
            (BenchPattern::Connections, "raw-tcp has no connections case"),
        ] {
            assert_eq!(Shape::of(pattern), Err(why.to_owned()));
        }
    }
}
