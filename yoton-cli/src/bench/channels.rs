//! yoton through contexts and channels: a `PubChannel<Bytes>` sends, a
//! `SubChannel<Bytes>` receives (and, for round trips, a second pair
//! carries the echo back). Over TCP the subscriber is a second process;
//! in-process it is a thread with a context of its own. What each end does
//! is [`yoton_cli::setups::channels`]'s.
//!
//! A req/rep case (`reqrep`) is a `ReqChannel` calling a `RepChannel` in
//! the same places, one call at a time ([`yoton_cli::setups::reqrep`]).
//!
//! A fan-out (`fanout`) is one publisher and a subscriber process per
//! `subs`, each on a connection of its own: a bound connection hosts one
//! peer, so the publisher's context binds once for each.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use yoton::{
    ConnectOptions, Context, PubChannel, RepChannel, ReqChannel, SubChannel, TcpOptions,
    TcpTransport,
};
use yoton_cli::setups::channels::{echo_all, ping_all, receive_all, send_all, sub_options};
use yoton_cli::setups::payloads::Payloads;
use yoton_cli::setups::reqrep;

use super::peer::{Peer, echo_timed, expect_all, say, timed_roundtrips};
use super::{CASE_DEADLINE, CHANNEL, Case, Measured};
use crate::args::{BenchPattern, BenchPeerArgs, BenchTransport};

/// The base name of the channels that carry echoes back.
const ECHO_CHANNEL: &str = "yoton-bench-echo";

/// The channels of the sending side: the publisher, and where echoes come
/// back for a round trip.
fn sender_channels(
    context: &Context,
    case: &Case,
) -> Result<(PubChannel<Bytes>, Option<SubChannel<Bytes>>), String> {
    let publisher = PubChannel::<Bytes>::new(context, CHANNEL).map_err(|e| e.to_string())?;
    let echoes = match case.pattern {
        BenchPattern::Oneway
        | BenchPattern::Reqrep
        | BenchPattern::Fanout
        | BenchPattern::Connections => None,
        BenchPattern::Roundtrip => {
            Some(SubChannel::<Bytes>::new(context, ECHO_CHANNEL).map_err(|e| e.to_string())?)
        }
    };
    Ok((publisher, echoes))
}

/// The channels of the receiving side: the subscriber, and the publisher
/// of the echoes for a round trip.
fn receiver_channels(
    context: &Context,
    pattern: BenchPattern,
    size: u64,
    messages: u64,
) -> Result<(SubChannel<Bytes>, Option<PubChannel<Bytes>>), String> {
    let sub = SubChannel::<Bytes>::with_options(context, CHANNEL, sub_options(size, messages))
        .map_err(|e| e.to_string())?;
    let back = match pattern {
        BenchPattern::Oneway
        | BenchPattern::Reqrep
        | BenchPattern::Fanout
        | BenchPattern::Connections => None,
        BenchPattern::Roundtrip => {
            Some(PubChannel::<Bytes>::new(context, ECHO_CHANNEL).map_err(|e| e.to_string())?)
        }
    };
    Ok((sub, back))
}

/// How long receiving threads poll in a `tcp-busy-poll` case.
const BUSY_POLL: Duration = Duration::from_micros(200);

/// The context of a stream case: secured when there is a secret file, and
/// polling its TCP sockets for `tcp-busy-poll`.
fn stream_context(
    transport: BenchTransport,
    secret_file: Option<&std::path::Path>,
) -> Result<yoton::Context, String> {
    let context = crate::session::context(secret_file).map_err(|failure| failure.one_line())?;
    if transport == BenchTransport::TcpBusyPoll {
        let tcp = TcpTransport::with_options(TcpOptions::new().with_busy_poll(BUSY_POLL))
            .map_err(|e| e.to_string())?;
        context.register_transport(Arc::new(tcp));
    }
    Ok(context)
}

/// Measures one case over TCP, with the subscriber in a second process.
pub(super) fn measure_tcp(case: &Case) -> Result<Measured, String> {
    measure_stream(case, "tcp://127.0.0.1:0", |bound| {
        format!("tcp://127.0.0.1:{}", bound.local_port())
    })
}

/// Measures one case over `ipc://`, with the subscriber in a second process.
pub(super) fn measure_ipc(case: &Case) -> Result<Measured, String> {
    measure_stream(case, "ipc://", |bound| {
        format!("ipc://{}", bound.local_host())
    })
}

/// Measures one case over a stream transport: bind at `bind`, and the
/// subscriber process connects to the address `reach` gives.
fn measure_stream(
    case: &Case,
    bind: &str,
    reach: impl Fn(&dyn yoton::Connection) -> String,
) -> Result<Measured, String> {
    match case.pattern {
        BenchPattern::Reqrep => return measure_stream_calls(case, bind, reach),
        BenchPattern::Fanout => return measure_stream_fanout(case, bind, reach),
        BenchPattern::Connections => return super::connections::measure(case, bind, reach),
        BenchPattern::Oneway | BenchPattern::Roundtrip => {}
    }
    let deadline = Instant::now() + CASE_DEADLINE;
    let context = stream_context(case.transport, case.secret_file.as_deref())?;
    let (publisher, echoes) = sender_channels(&context, case)?;
    let bound = context
        .bind(bind)
        .map_err(|e| format!("cannot bind: {e}"))?;
    let peer = Peer::start(case, &reach(&*bound))?;
    peer.expect("ready", deadline)?;
    let measured = match (&echoes, case.pattern) {
        (Some(echoes), BenchPattern::Roundtrip) => {
            timed_roundtrips(Some((&peer, deadline)), || {
                let mut payloads = Payloads::new(case.size);
                ping_all(
                    &publisher,
                    echoes,
                    &mut payloads,
                    case.size,
                    case.messages,
                    deadline,
                )
            })?
        }
        _ => {
            let start = Instant::now();
            send_all(&publisher, case.size, case.messages)?;
            let end = peer.expect("done", deadline)?;
            Measured::Oneway(end.saturating_duration_since(start))
        }
    };
    if case.pattern == BenchPattern::Roundtrip {
        peer.expect("done", deadline)?;
    }
    context.close();
    peer.finish()?;
    Ok(measured)
}

/// Measures req/rep calls over a stream transport: bind at `bind`, and the
/// replier process connects to the address `reach` gives.
fn measure_stream_calls(
    case: &Case,
    bind: &str,
    reach: impl Fn(&dyn yoton::Connection) -> String,
) -> Result<Measured, String> {
    let deadline = Instant::now() + CASE_DEADLINE;
    let context = stream_context(case.transport, case.secret_file.as_deref())?;
    let req = ReqChannel::new(&context, CHANNEL).map_err(|e| e.to_string())?;
    let bound = context
        .bind(bind)
        .map_err(|e| format!("cannot bind: {e}"))?;
    let peer = Peer::start(case, &reach(&*bound))?;
    peer.expect("ready", deadline)?;
    let measured = timed_roundtrips(Some((&peer, deadline)), || {
        reqrep::call_all(&req, 0, case.size, case.messages, deadline)
    })?;
    peer.expect("done", deadline)?;
    context.close();
    peer.finish()?;
    Ok(measured)
}

/// Measures a fan-out over a stream transport: bind at `bind` once per
/// subscriber, and each subscriber process connects to the address `reach`
/// gives for its own connection. Timed from the first message sent, once
/// all are ready and connected, to the moment the last subscriber has
/// every message.
fn measure_stream_fanout(
    case: &Case,
    bind: &str,
    reach: impl Fn(&dyn yoton::Connection) -> String,
) -> Result<Measured, String> {
    let deadline = Instant::now() + CASE_DEADLINE;
    let subs = usize::from(case.subs.unwrap_or(1));
    let context = stream_context(case.transport, case.secret_file.as_deref())?;
    let (publisher, _) = sender_channels(&context, case)?;
    let bound = (0..subs)
        .map(|_| context.bind(bind))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cannot bind: {e}"))?;
    // Dropping the peers (on any error below) kills and reaps them all.
    let peers = bound
        .iter()
        .map(|connection| Peer::start(case, &reach(&**connection)))
        .collect::<Result<Vec<_>, _>>()?;
    expect_all(&peers, "ready", deadline)?;
    for (index, connection) in bound.iter().enumerate() {
        let wait = deadline.saturating_duration_since(Instant::now());
        connection
            .wait_connected(wait)
            .map_err(|e| format!("peer {} of {subs} did not connect: {e}", index + 1))?;
    }
    let start = Instant::now();
    let close_at = CloseAt::start(&context, deadline)?;
    let sent = send_all(&publisher, case.size, case.messages);
    if close_at.stop() {
        return Err("the subscribers did not take every message in time".to_owned());
    }
    sent?;
    let end = expect_all(&peers, "done", deadline)?;
    context.close();
    for peer in peers {
        peer.finish()?;
    }
    Ok(Measured::Fanout(end.saturating_duration_since(start)))
}

/// Closes a context at a deadline unless stopped first. A publisher waits
/// for room while a subscriber's queue is full, without a deadline of its
/// own (so that the loop it runs is the one-way one); a subscriber process
/// that stopped reading but lives on would hold it there for good, and
/// closing the context ends the wait.
struct CloseAt {
    cancel: Option<crossbeam_channel::Sender<()>>,
    thread: Option<thread::JoinHandle<bool>>,
}

impl CloseAt {
    fn start(context: &Context, deadline: Instant) -> Result<CloseAt, String> {
        let (cancel, cancelled) = crossbeam_channel::bounded::<()>(0);
        let context = context.clone();
        let thread = thread::Builder::new()
            .name("yoton-bench-deadline".to_owned())
            .spawn(move || {
                let timed_out = cancelled.recv_deadline(deadline)
                    == Err(crossbeam_channel::RecvTimeoutError::Timeout);
                if timed_out {
                    context.close();
                }
                timed_out
            })
            .map_err(|e| format!("cannot start a thread: {e}"))?;
        Ok(CloseAt {
            cancel: Some(cancel),
            thread: Some(thread),
        })
    }

    /// Stops watching; returns whether the deadline came first and the
    /// context was closed.
    fn stop(mut self) -> bool {
        self.cancel.take();
        self.thread
            .take()
            .is_some_and(|thread| thread.join().unwrap_or(true))
    }
}

impl Drop for CloseAt {
    fn drop(&mut self) {
        self.cancel.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `yoton bench-peer --transport tcp --pattern reqrep` (or `ipc`): answer
/// the calls, report.
fn peer_stream_calls(args: &BenchPeerArgs, deadline: Instant) -> Result<(), String> {
    let context = stream_context(args.transport, args.secret_file.as_deref())?;
    let rep = RepChannel::new(&context, CHANNEL).map_err(|e| e.to_string())?;
    let options = ConnectOptions::new().timeout(std::time::Duration::from_secs(10));
    let connection = context
        .connect_with(&args.address, &options)
        .map_err(|e| format!("cannot connect to {}: {e}", args.address))?;
    say("ready");
    echo_timed(args.messages, |count| {
        reqrep::serve(&rep, Some(count), deadline).map(drop)
    })?;
    say("done");
    if let Err(e) = connection.flush(std::time::Duration::from_secs(5)) {
        crate::session::note(&format!("bench peer: flush at the end: {e}"));
    }
    context.close();
    Ok(())
}

/// `yoton bench-peer --transport tcp` (or `ipc`): subscribe (and echo),
/// report; or answer calls for `reqrep`. A subscriber of a fan-out does
/// what a one-way one does; the peer process of a connections case holds
/// many subscribers ([`super::connections::peer`]).
pub(super) fn peer_stream(args: &BenchPeerArgs, deadline: Instant) -> Result<(), String> {
    match args.pattern {
        BenchPattern::Reqrep => return peer_stream_calls(args, deadline),
        BenchPattern::Connections => return super::connections::peer(args, deadline),
        BenchPattern::Oneway | BenchPattern::Roundtrip | BenchPattern::Fanout => {}
    }
    let context = stream_context(args.transport, args.secret_file.as_deref())?;
    let (sub, back) = receiver_channels(&context, args.pattern, args.size, args.messages)?;
    let options = ConnectOptions::new().timeout(std::time::Duration::from_secs(10));
    let connection = context
        .connect_with(&args.address, &options)
        .map_err(|e| format!("cannot connect to {}: {e}", args.address))?;
    say("ready");
    match &back {
        Some(back) => echo_timed(args.messages, |count| {
            echo_all(&sub, back, Some(count), deadline).map(drop)
        })?,
        None => receive_all(&sub, args.size, args.messages, deadline)?,
    }
    say("done");
    if let Err(e) = connection.flush(std::time::Duration::from_secs(5)) {
        crate::session::note(&format!("bench peer: flush at the end: {e}"));
    }
    context.close();
    Ok(())
}

/// Two contexts, the second connected to the first over `inproc://`.
fn inproc_pair() -> Result<(Context, Context), String> {
    let first = yoton::context();
    let second = yoton::context();
    let bound = first
        .bind("inproc://")
        .map_err(|e| format!("cannot bind: {e}"))?;
    second
        .connect(&format!("inproc://{}", bound.local_host()))
        .map_err(|e| format!("cannot connect: {e}"))?;
    Ok((first, second))
}

/// Measures req/rep calls in-process: the replier's context on a thread of
/// its own.
fn measure_inproc_calls(case: &Case) -> Result<Measured, String> {
    let deadline = Instant::now() + CASE_DEADLINE;
    let (caller, replier) = inproc_pair()?;
    let req = ReqChannel::new(&caller, CHANNEL).map_err(|e| e.to_string())?;
    let rep = RepChannel::new(&replier, CHANNEL).map_err(|e| e.to_string())?;
    let messages = case.messages;
    let worker = thread::Builder::new()
        .name("yoton-bench-rep".to_owned())
        .spawn(move || reqrep::serve(&rep, Some(messages), deadline))
        .map_err(|e| format!("cannot start a thread: {e}"))?;
    let measured = timed_roundtrips(None, || {
        reqrep::call_all(&req, 0, case.size, case.messages, deadline)
    });
    caller.close();
    replier.close();
    let served = worker
        .join()
        .map_err(|_| "the replier thread panicked".to_owned())?;
    let measured = measured?;
    served?;
    Ok(measured)
}

/// Measures one case in-process: two contexts linked by `inproc://`, the
/// receiving one on a thread of its own.
pub(super) fn measure_inproc(case: &Case) -> Result<Measured, String> {
    if case.pattern == BenchPattern::Reqrep {
        return measure_inproc_calls(case);
    }
    let deadline = Instant::now() + CASE_DEADLINE;
    let sender = yoton::context();
    let receiver = yoton::context();
    let (publisher, echoes) = sender_channels(&sender, case)?;
    let (sub, back) = receiver_channels(&receiver, case.pattern, case.size, case.messages)?;
    let bound = sender
        .bind("inproc://")
        .map_err(|e| format!("cannot bind: {e}"))?;
    receiver
        .connect(&format!("inproc://{}", bound.local_host()))
        .map_err(|e| format!("cannot connect: {e}"))?;
    let (size, messages) = (case.size, case.messages);
    let (done_tx, done) = crossbeam_channel::bounded(1);
    let worker = thread::Builder::new()
        .name("yoton-bench-sub".to_owned())
        .spawn(move || {
            let result = match &back {
                Some(back) => echo_all(&sub, back, Some(messages), deadline).map(drop),
                None => receive_all(&sub, size, messages, deadline),
            };
            let _ = done_tx.send((Instant::now(), result));
        })
        .map_err(|e| format!("cannot start a thread: {e}"))?;
    let start = Instant::now();
    let measured = match &echoes {
        Some(echoes) => timed_roundtrips(None, || {
            let mut payloads = Payloads::new(size);
            ping_all(&publisher, echoes, &mut payloads, size, messages, deadline)
        }),
        None => send_all(&publisher, size, messages).map(|()| Measured::Oneway(Default::default())),
    };
    let finished = done.recv_timeout(deadline.saturating_duration_since(Instant::now()));
    sender.close();
    receiver.close();
    let _ = worker.join();
    let (end, received) =
        finished.map_err(|_| "the subscriber did not finish in time".to_owned())?;
    received?;
    match measured? {
        Measured::Oneway(_) => Ok(Measured::Oneway(end.saturating_duration_since(start))),
        roundtrip => Ok(roundtrip),
    }
}
