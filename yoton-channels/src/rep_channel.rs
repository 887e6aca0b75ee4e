//! The replying side of req/rep: [`RepChannel`] takes the calls of the
//! [`ReqChannel`](crate::ReqChannel)s of its slot, one at a time, and
//! answers them with a [`Handler`], wire-compatible with Python's
//! `yoton.RepChannel`.

use std::collections::VecDeque;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use yoton_core::{Context, Delivery, Endpoint, Package, Slot};
use yoton_object::Object;

use crate::error::{RecvTimeoutError, Result};
use crate::handler::{Handler, HandlerError, Request};
use crate::lock;
use crate::look_again::LookAgain;
use crate::registration::{ChannelCore, Registration};
use crate::rep_state::{DEFAULT_PRE_REQUESTS, Kind, PreRequest, RepState, kind};
use crate::req_table::{ACK, ERROR_OBJECT};
use crate::slot::{REP, SlotName};

/// How long a serving loop looks for the request of its acknowledgement:
/// a round trip, with room. It is not adaptive: it ends as soon as the
/// request comes, or the acknowledgement is released without it (a `req-`
/// says that another replier took the call).
static REPLIER_LOOKS: LookAgain = LookAgain::new(Duration::from_micros(200));

/// A request taken off the wire: who asked, its id and its bytes.
#[derive(Debug)]
struct Taken {
    requester: u64,
    id: u64,
    data: Bytes,
}

#[derive(Debug)]
struct Inbox {
    state: RepState,
    requests: VecDeque<Taken>,
    closed: bool,
    /// Serving loops asleep on `arrived`: a request or an acknowledgement
    /// wakes them only then.
    sleepers: usize,
}

/// What a reply channel registers: its replier state and its taken
/// requests, which the serving loop handles.
#[derive(Debug)]
pub(crate) struct RepCore {
    context: Context,
    slot: Slot,
    inbox: Mutex<Inbox>,
    arrived: Condvar,
    /// Requests ever taken off the wire, read without the lock by a
    /// serving loop that looks again.
    arrivals: AtomicU64,
    /// [`RepState::released`] as of the last pre-request, read so too.
    released: AtomicU64,
    served: AtomicU64,
    failed: AtomicU64,
    dropped_requests: AtomicU64,
}

impl RepCore {
    fn send(&self, package: Package) {
        if let Err(e) = self.context.send_package(package) {
            tracing::debug!(error = %e, slot = %self.slot, "req/rep package not sent");
        }
    }

    fn acknowledge(&self, next: Option<PreRequest>) {
        if let Some(pre) = next {
            let mut package = Package::new(self.slot, Bytes::from_static(ACK));
            package.dest_id = pre.requester;
            package.dest_seq = pre.dest_seq;
            self.send(package);
        }
    }

    fn inbox(&self) -> MutexGuard<'_, Inbox> {
        lock(&self.inbox)
    }

    /// What a serving loop that looks again watches, without the lock.
    fn looked(&self) -> Looked {
        Looked {
            arrivals: self.arrivals.load(Ordering::Acquire),
            released: self.released.load(Ordering::Acquire),
        }
    }
}

/// What ends a serving loop's look for the request of its acknowledgement:
/// a request taken, or an acknowledgement released without its request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Looked {
    arrivals: u64,
    released: u64,
}

impl Endpoint for RepCore {
    fn deliver(&self, deliveries: &mut Vec<Delivery>) {
        let now = Instant::now();
        for delivery in deliveries.drain(..) {
            let package = delivery.package;
            match kind(package.dest_seq) {
                Kind::PreRequest => {
                    let (next, sleepers) = {
                        let mut inbox = self.inbox();
                        if inbox.closed {
                            return;
                        }
                        let next = inbox.state.on_pre_request(
                            package.source_id,
                            package.dest_seq,
                            &package.data,
                            now,
                        );
                        self.released
                            .store(inbox.state.released(), Ordering::Release);
                        (next, inbox.sleepers)
                    };
                    let acknowledged = next.is_some();
                    self.acknowledge(next);
                    // The request follows within a round trip: a serving
                    // loop woken now looks for it, instead of being woken
                    // by it.
                    if acknowledged && sleepers > 0 {
                        self.arrived.notify_one();
                    }
                }
                Kind::Request(id) => {
                    let mut inbox = self.inbox();
                    if inbox.closed {
                        return;
                    }
                    // Requests come only after acknowledgements, one at a
                    // time; a peer that sends more than the bound is not
                    // following the protocol.
                    if inbox.requests.len() >= DEFAULT_PRE_REQUESTS {
                        self.dropped_requests.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    inbox.state.on_request();
                    inbox.requests.push_back(Taken {
                        requester: package.source_id,
                        id,
                        data: package.data,
                    });
                    self.arrivals.fetch_add(1, Ordering::Release);
                    let sleepers = inbox.sleepers;
                    drop(inbox);
                    if sleepers > 0 {
                        self.arrived.notify_one();
                    }
                }
                Kind::Neither => {}
            }
        }
    }

    fn on_context_closed(&self) {
        self.mark_closed();
    }
}

impl ChannelCore for RepCore {
    fn mark_closed(&self) -> bool {
        let first = {
            let mut inbox = self.inbox();
            !std::mem::replace(&mut inbox.closed, true)
        };
        self.arrived.notify_all();
        first
    }

    fn is_closed(&self) -> bool {
        self.inbox().closed
    }
}

/// The replying side of the request/reply pattern.
///
/// It acknowledges one pre-request at a time, while it is free, so that
/// the calls of a slot spread over its repliers; it handles one request at
/// a time and replies with the result, or with the reference's error
/// tuple. Waiting pre-requests are bounded
/// ([`dropped_pre_requests`](RepChannel::dropped_pre_requests) counts what
/// a flood costs; the requesters ask again).
///
/// Serve it on a thread of its own with [`spawn`](RepChannel::spawn), or
/// in a loop you drive with [`serve_one`](RepChannel::serve_one).
/// Dropping it closes it.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{CallError, CallFuture, Handler, HandlerError, Methods, RepChannel, Replier, ReqChannel, Request}; pub use yoton_object::Object; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use std::time::Duration;
/// use yoton::{CallError, HandlerError, Methods, RepChannel, ReqChannel};
///
/// let (a, b) = (yoton::context(), yoton::context());
/// let bound = a.bind("inproc://").unwrap();
/// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
///
/// let rep = RepChannel::new(&a, "files").unwrap();
/// let req = ReqChannel::new(&b, "files").unwrap();
/// let methods = Methods::new().method("open", |(path,): (String,)| {
///     Err::<(), _>(HandlerError::msg(format!("no such file: {path}")))
/// });
/// let call = req.call::<()>("open", ("/x",)).unwrap();
/// // Serve in this thread, one call.
/// rep.serve_one(&methods, Duration::from_secs(10)).unwrap();
/// let error = call.wait_timeout(Duration::from_secs(10)).unwrap_err();
/// assert_eq!(error, CallError::Failed("no such file: /x\n".into()));
/// assert_eq!((rep.served(), rep.failed()), (1, 1));
/// ```
pub struct RepChannel {
    registration: Arc<Registration<RepCore>>,
}

impl fmt::Debug for RepChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RepChannel")
            .field("slot", &self.registration.incoming().name())
            .field("served", &self.served())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The reply to a request: the handler's result, or the error tuple.
fn reply_bytes(
    outcome: std::result::Result<Object, HandlerError>,
) -> (bool, std::result::Result<Vec<u8>, String>) {
    let error_reply = |message: String| {
        Object::Tuple(vec![
            Object::Str(ERROR_OBJECT.to_owned()),
            Object::Str(format!("{message}\n")),
        ])
        .to_bytes()
        .map_err(|e| e.to_string())
    };
    match outcome {
        Ok(value) => match value.to_bytes() {
            Ok(bytes) => (true, Ok(bytes)),
            Err(e) => (
                false,
                error_reply(format!("the result cannot be sent as OBJECT: {e}")),
            ),
        },
        Err(error) => (false, error_reply(error.message().to_owned())),
    }
}

/// Runs the handler; a panic is an error reply.
fn run_handler<H: Handler + ?Sized>(
    handler: &H,
    data: &[u8],
) -> std::result::Result<Object, HandlerError> {
    let request = Request::from_bytes(data)?;
    match catch_unwind(AssertUnwindSafe(|| handler.handle(&request))) {
        Ok(outcome) => outcome,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_owned());
            tracing::error!(method = request.method(), panic = %what, "request handler panicked");
            Err(HandlerError::msg(format!(
                "the handler of '{}' panicked: {what}",
                request.method()
            )))
        }
    }
}

impl RepChannel {
    /// A reply channel on `context` with base name `name`: it receives on
    /// `name.obj.req-rep` and sends on `name.obj.rep-req`, as Python's
    /// `yoton.RepChannel(context, name)`. Requests that arrive before it is
    /// served wait for [`serve_one`](RepChannel::serve_one) or
    /// [`spawn`](RepChannel::spawn).
    ///
    /// # Errors
    ///
    /// [`Error::SlotTaken`](crate::Error::SlotTaken) if another channel of
    /// this context has one of these slots.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{CallError, CallFuture, Handler, HandlerError, Methods, RepChannel, Replier, ReqChannel, Request}; pub use yoton_object::Object; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::RepChannel;
    ///
    /// let ctx = yoton::context();
    /// let rep = RepChannel::new(&ctx, "reqp-introspect").unwrap();
    /// assert_eq!(rep.slot_incoming().name(), "reqp-introspect.obj.req-rep");
    /// assert_eq!(rep.slot_outgoing().name(), "reqp-introspect.obj.rep-req");
    /// ```
    pub fn new(context: &Context, name: &str) -> Result<RepChannel> {
        let slot = SlotName::new(name, "obj", REP.0).slot();
        let core = Arc::new(RepCore {
            context: context.clone(),
            slot,
            inbox: Mutex::new(Inbox {
                state: RepState::new(DEFAULT_PRE_REQUESTS),
                requests: VecDeque::new(),
                closed: false,
                sleepers: 0,
            }),
            arrived: Condvar::new(),
            arrivals: AtomicU64::new(0),
            released: AtomicU64::new(0),
            served: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            dropped_requests: AtomicU64::new(0),
        });
        let registration = Registration::new(context, name, "obj", REP, core)?;
        Ok(RepChannel {
            registration: Arc::new(registration),
        })
    }

    fn core(&self) -> &RepCore {
        self.registration.core()
    }

    /// Waits until `deadline` for a request, keeping the pre-request
    /// protocol moving (an acknowledgement that lapses frees the replier).
    ///
    /// While an acknowledgement is out, its request comes within a round
    /// trip: the loop looks again for it (see [`LookAgain`]) before it
    /// sleeps, so that the request costs no wake-up. A `req-` that
    /// releases the acknowledgement (the call went to another replier)
    /// ends the look at once.
    fn take(&self, deadline: Instant) -> std::result::Result<Taken, RecvTimeoutError> {
        let core = self.core();
        let mut inbox = core.inbox();
        let mut looked_at = None;
        loop {
            if let Some(taken) = inbox.requests.pop_front() {
                return Ok(taken);
            }
            if inbox.closed {
                return Err(RecvTimeoutError::Closed);
            }
            let now = Instant::now();
            if let Some(next) = inbox.state.tick(now) {
                drop(inbox);
                core.acknowledge(Some(next));
                inbox = core.inbox();
                continue;
            }
            if now >= deadline {
                return Err(RecvTimeoutError::Timeout);
            }
            let seen = core.looked();
            if inbox.state.is_acknowledged() && looked_at != Some(seen) {
                looked_at = Some(seen);
                drop(inbox);
                REPLIER_LOOKS.look(Some(deadline), || core.looked() != seen);
                inbox = core.inbox();
                continue;
            }
            let until = inbox.state.next_due().map_or(deadline, |d| d.min(deadline));
            let wait = until.saturating_duration_since(now);
            inbox.sleepers += 1;
            inbox = core
                .arrived
                .wait_timeout(inbox, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            inbox.sleepers -= 1;
        }
    }

    /// Handles one request with `handler`, waiting at most `timeout` for one
    /// to come, and sends its reply.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] if no request came in time, and
    /// [`RecvTimeoutError::Closed`] once the channel is closed.
    pub fn serve_one<H: Handler + ?Sized>(
        &self,
        handler: &H,
        timeout: Duration,
    ) -> std::result::Result<(), RecvTimeoutError> {
        let taken = self.take(yoton_core::sync::later(Instant::now(), timeout))?;
        self.answer(handler, taken);
        Ok(())
    }

    fn answer<H: Handler + ?Sized>(&self, handler: &H, taken: Taken) {
        let core = self.core();
        let (ok, reply) = reply_bytes(run_handler(handler, &taken.data));
        core.served.fetch_add(1, Ordering::Relaxed);
        if !ok {
            core.failed.fetch_add(1, Ordering::Relaxed);
        }
        match reply {
            // A channel closed while its handler ran sends nothing more.
            Ok(_) if self.is_closed() => {
                tracing::debug!("reply not sent: the channel closed while its handler ran");
            }
            Ok(bytes) => {
                let mut package = Package::new(core.slot, bytes);
                package.dest_id = taken.requester;
                package.dest_seq = taken.id;
                core.send(package);
            }
            Err(e) => tracing::error!(error = %e, "reply not sent"),
        }
        let next = core.inbox().state.on_handled(Instant::now());
        core.acknowledge(next);
    }

    /// Serves with `handler` on a thread of its own (`yoton-rep`) until the
    /// channel closes or the returned [`Replier`] is dropped.
    ///
    /// # Errors
    ///
    /// [`Error::Io`](crate::Error::Io) if the thread cannot start.
    pub fn spawn<H: Handler>(self, handler: H) -> Result<Replier> {
        let channel = RepChannel {
            registration: Arc::clone(&self.registration),
        };
        let thread = std::thread::Builder::new()
            .name("yoton-rep".into())
            .spawn(move || {
                loop {
                    match channel.take(Instant::now() + Duration::from_secs(3600)) {
                        Ok(taken) => channel.answer(&handler, taken),
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Closed) => return,
                    }
                }
            })
            .map_err(yoton_core::Error::Io)?;
        Ok(Replier {
            channel: self,
            thread: Some(thread),
        })
    }

    /// How many requests it has answered (errors included).
    pub fn served(&self) -> u64 {
        self.core().served.load(Ordering::Relaxed)
    }

    /// How many of those were answered with an error.
    pub fn failed(&self) -> u64 {
        self.core().failed.load(Ordering::Relaxed)
    }

    /// How many pre-requests were dropped because too many waited (each
    /// requester asks again every 0.5 s), and requests beyond the bound.
    pub fn dropped_pre_requests(&self) -> u64 {
        self.core().inbox().state.dropped() + self.core().dropped_requests.load(Ordering::Relaxed)
    }

    /// How many pre-requests wait for this replier.
    pub fn waiting_pre_requests(&self) -> usize {
        self.core().inbox().state.waiting()
    }

    /// Closes the channel; a serving thread ends. Closing twice does
    /// nothing.
    pub fn close(&self) {
        self.registration.close();
    }

    /// Whether the channel is closed.
    pub fn is_closed(&self) -> bool {
        self.registration.is_closed()
    }

    /// The slot the replies go out on (`name.obj.rep-req`).
    pub fn slot_outgoing(&self) -> &SlotName {
        self.registration.outgoing()
    }

    /// The slot the requests come in on (`name.obj.req-rep`).
    pub fn slot_incoming(&self) -> &SlotName {
        self.registration.incoming()
    }

    /// The context the channel works through.
    pub fn context(&self) -> &Context {
        self.registration.context()
    }
}

/// A [`RepChannel`] served on a thread of its own, from
/// [`RepChannel::spawn`]. Dropping it (or [`stop`](Replier::stop)) closes
/// the channel and waits for the thread to finish the request it handles.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{CallError, CallFuture, Handler, HandlerError, Methods, RepChannel, Replier, ReqChannel, Request}; pub use yoton_object::Object; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use yoton::{HandlerError, Methods, RepChannel};
///
/// let ctx = yoton::context();
/// let methods = Methods::new().method("ping", |(): ()| Ok::<_, HandlerError>("pong"));
/// let replier = RepChannel::new(&ctx, "health").unwrap().spawn(methods).unwrap();
/// assert_eq!(replier.channel().served(), 0);
/// replier.stop();
/// ```
#[derive(Debug)]
pub struct Replier {
    channel: RepChannel,
    thread: Option<JoinHandle<()>>,
}

impl Replier {
    /// The channel it serves (for its counters and slots).
    pub fn channel(&self) -> &RepChannel {
        &self.channel
    }

    /// Closes the channel and waits for the serving thread to end.
    pub fn stop(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        self.channel.close();
        if let Some(thread) = self.thread.take() {
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for Replier {
    fn drop(&mut self) {
        self.stop_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::req_table::{ASK, DONE, OFFSET};
    use yoton_object::Dict;

    #[test]
    fn a_req_done_for_the_acknowledged_call_ends_the_look_for_its_request() {
        let rep = RepChannel::new(&Context::new(), "rep-looks").expect("a channel");
        let core = rep.core();
        let word = |word: &'static [u8], requester| {
            let mut package = Package::new(core.slot, Bytes::from_static(word));
            package.source_id = requester;
            package.dest_seq = OFFSET + 1;
            vec![Delivery {
                package,
                recv_seq: 1,
            }]
        };
        core.deliver(&mut word(ASK, 7));
        core.deliver(&mut word(ASK, 8));
        assert!(core.inbox().state.is_acknowledged());
        let seen = core.looked();
        // Another requester's `req-` leaves the acknowledgement out.
        core.deliver(&mut word(DONE, 8));
        assert_eq!(core.looked(), seen);
        // The acknowledged requester's ends it, and the look with it.
        core.deliver(&mut word(DONE, 7));
        assert!(!core.inbox().state.is_acknowledged());
        assert_ne!(core.looked(), seen);
    }

    #[test]
    fn requests_must_be_a_name_args_and_kwargs() {
        let ok = Object::from(("f", Object::list([Object::from(1)]), Dict::new()));
        let request = Request::from_bytes(&ok.to_bytes().expect("encodes")).expect("a request");
        assert_eq!(request.args(), [Object::from(1)]);
        for bad in [
            Object::from(("f", (1,))),
            Object::from((1, (), Dict::new())),
            Object::from("f"),
        ] {
            let bytes = bad.to_bytes().expect("encodes");
            assert!(Request::from_bytes(&bytes).is_err(), "{bad}");
        }
        assert!(Request::from_bytes(b"?").is_err());
    }

    #[test]
    fn error_replies_are_the_reference_tuple() {
        let (ok, reply) = reply_bytes(Err(HandlerError::msg("deliberate failure (1,)")));
        assert!(!ok);
        let expected = "7402731c796f746f6e5f4552524f525f48414e444c494e475f52455155455354731864656c69626572617465206661696c7572652028312c290a";
        let hex: String = reply
            .expect("encodes")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, expected);
    }

    #[test]
    fn a_panicking_handler_is_an_error_reply() {
        let panics = |_: &Request| -> std::result::Result<Object, HandlerError> { panic!("boom") };
        let bytes = Object::from(("f", Object::tuple([]), Dict::new()))
            .to_bytes()
            .expect("encodes");
        let error = run_handler(&panics, &bytes).expect_err("an error");
        assert!(error.message().contains("boom"), "{error}");
    }
}
