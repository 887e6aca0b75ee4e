//! The requesting side of req/rep: [`ReqChannel`] sends calls to the
//! [`RepChannel`](crate::RepChannel)s of its slot and hands out a
//! [`CallFuture`] for each, wire-compatible with Python's
//! `yoton.ReqChannel`.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use crossbeam_channel::{Receiver, RecvTimeoutError as WakeTimeout, Sender};
use serde::Serialize;
use serde::de::DeserializeOwned;
use yoton_core::{Context, Delivery, Endpoint, Package, Slot};
use yoton_object::Object;

use crate::call::{CallError, CallFuture, CallState};
use crate::error::Result;
use crate::lock;
use crate::look_again::{LOOK_AGAIN, LookAgain};
use crate::registration::{ChannelCore, Registration};
use crate::req_table::{
    ASK, Action, Cancel, DONE, ERROR_OBJECT, Expiry, Incoming, OFFSET, ReqTable,
};
use crate::slot::{REQ, SlotName};

/// The default time a call waits for a replier to acknowledge it.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// How often running calls are checked for a replier that went away.
const GONE_CHECK_EVERY: Duration = Duration::from_millis(250);

/// The requesting side of the request/reply pattern.
///
/// A call names a method of the repliers of the slot, with arguments and
/// keyword arguments; it goes to the first free replier (the pre-request
/// protocol balances calls over several), and its result comes back in a
/// [`CallFuture`]. Arguments and results are OBJECT values: any serde
/// type (a Rust tuple is the argument list), or [`Object`]s.
///
/// A call that no replier acknowledges within the channel's
/// [timeout](ReqChannel::set_timeout) (10 s by default, as in the
/// reference) is cancelled and ends with [`CallError::NoReplier`]; until
/// then its pre-request goes out again every 0.5 s, so a replier that comes
/// late still gets it.
///
/// The channel's calls are kept moving by the context's receiving threads
/// and a small timer thread of the channel (`yoton-req`), whether or not
/// anyone waits. `ReqChannel` is `Send` and `Sync`; dropping it closes it,
/// and its calls still open end with [`CallError::Closed`].
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{CallError, CallFuture, Handler, HandlerError, Methods, RepChannel, Replier, ReqChannel, Request}; pub use yoton_object::{Dict, Object}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use std::time::Duration;
/// use yoton::{HandlerError, Methods, Object, RepChannel, ReqChannel};
///
/// let (ide, kernel) = (yoton::context(), yoton::context());
/// let bound = kernel.bind("inproc://").unwrap();
/// ide.connect(&format!("inproc://{}", bound.local_host())).unwrap();
///
/// let methods = Methods::new()
///     .method("signature", |(name,): (String,)| Ok::<_, HandlerError>(format!("{name}(n)")));
/// let _replier = RepChannel::new(&kernel, "reqp-introspect").unwrap().spawn(methods).unwrap();
///
/// let introspect = ReqChannel::new(&ide, "reqp-introspect").unwrap();
/// let wait = Duration::from_secs(10);
/// // Typed: the arguments and the result are serde types.
/// let sig = introspect.call::<String>("signature", ("f",)).unwrap();
/// assert_eq!(sig.wait_timeout(wait).unwrap(), "f(n)");
/// // Dynamic: the reply as an Object.
/// let any = introspect.call::<Object>("signature", ("g",)).unwrap();
/// assert_eq!(any.wait_timeout(wait).unwrap().to_string(), "'g(n)'");
/// ```
pub struct ReqChannel {
    registration: Registration<ReqCore>,
}

impl fmt::Debug for ReqChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqChannel")
            .field("slot", &self.registration.outgoing().name())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// A call that has not ended: its future's state, its request bytes and,
/// once a replier took it, whether that replier was a direct peer.
struct Open {
    state: Arc<CallState>,
    request: Bytes,
    direct_replier: Option<u64>,
}

struct Calls {
    table: ReqTable,
    open: HashMap<u64, Open>,
    /// When the timer thread looks at the calls next; `None` while it
    /// sleeps with nothing due. A call whose first due instant is later
    /// needs no wake-up, which keeps back-to-back calls off the timer
    /// thread.
    timer_at: Option<Instant>,
    /// A call started since the timer last looked.
    started: bool,
}

impl Calls {
    /// When the timer looks next, after a look at `now` found the next
    /// thing `due`: then, or, with nothing due on a channel that made a
    /// call since the last look, [`GONE_CHECK_EVERY`] from now. Calls come
    /// in runs: a timer that lingers so sees their first due instants
    /// (every one at least that far off by default) come after its next
    /// look, and is not woken for each call and each acknowledgement. An
    /// idle channel's timer sleeps until woken.
    fn next_look(&mut self, due: Option<Instant>, now: Instant) -> Option<Instant> {
        let lingers = std::mem::take(&mut self.started);
        self.timer_at = due.or_else(|| lingers.then(|| now + GONE_CHECK_EVERY));
        self.timer_at
    }

    /// Whether the timer thread must be woken for something due at `due`;
    /// if so, marks it as about to look.
    fn must_wake_timer(&mut self, due: Option<Instant>, now: Instant) -> bool {
        let late = match (due, self.timer_at) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(due), Some(at)) => due < at,
        };
        if late {
            self.timer_at = Some(now);
        }
        late
    }
}

/// What a request channel registers: its calls, and the way to its timer
/// thread.
pub(crate) struct ReqCore {
    context: Context,
    slot: Slot,
    calls: Mutex<Calls>,
    timeout_ns: AtomicU64,
    closed: AtomicBool,
    wake: Sender<()>,
    look_again: Arc<LookAgain>,
}

impl fmt::Debug for ReqCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqCore")
            .field("slot", &self.slot)
            .field("open", &lock(&self.calls).open.len())
            .finish_non_exhaustive()
    }
}

fn pre_request(slot: Slot, id: u64, word: &'static [u8]) -> Package {
    let mut package = Package::new(slot, Bytes::from_static(word));
    package.dest_seq = OFFSET + id;
    package
}

/// The outcome a reply's bytes stand for: the value, or the replier's
/// error tuple.
fn reply_outcome(data: &[u8]) -> std::result::Result<Object, CallError> {
    let reply = Object::from_bytes(data).map_err(|e| CallError::Decode(e.to_string()))?;
    if let Object::Tuple(items) = &reply {
        if let [Object::Str(tag), message] = items.as_slice() {
            if tag == ERROR_OBJECT {
                let text = match message {
                    Object::Str(text) => text.clone(),
                    other => other.to_string(),
                };
                return Err(CallError::Failed(text));
            }
        }
    }
    Ok(reply)
}

impl ReqCore {
    fn send(&self, package: Package) {
        if let Err(e) = self.context.send_package(package) {
            tracing::debug!(error = %e, slot = %self.slot, "req/rep package not sent");
        }
    }

    /// Cancels call `id` for its future; see [`CallFuture::cancel`].
    pub(crate) fn cancel(&self, id: u64, state: &CallState) -> bool {
        let cancelled = {
            let mut calls = lock(&self.calls);
            match calls.table.cancel(id) {
                Cancel::Running => return false,
                Cancel::Cancelled => {
                    calls.open.remove(&id);
                    true
                }
                Cancel::Unknown => false,
            }
        };
        if cancelled {
            self.send(pre_request(self.slot, id, DONE));
        }
        state.complete(Err(CallError::Cancelled));
        true
    }

    /// Forgets call `id`, whose future was dropped.
    pub(crate) fn forget(&self, id: u64) {
        let owed_done = {
            let mut calls = lock(&self.calls);
            calls.open.remove(&id);
            calls.table.forget(id)
        };
        if owed_done {
            self.send(pre_request(self.slot, id, DONE));
        }
    }

    /// Handles what is due at `now`; the next instant something is due.
    fn tick(&self, now: Instant) -> Option<Instant> {
        let mut actions = Vec::new();
        let mut ended = Vec::new();
        let next = {
            let mut calls = lock(&self.calls);
            calls.table.tick(now, &mut actions);
            for action in &actions {
                if let Action::Expire { id, why } = *action {
                    if let Some(open) = calls.open.remove(&id) {
                        let error = match why {
                            Expiry::NoReplier => CallError::NoReplier,
                            Expiry::NoReply => CallError::NoReply,
                        };
                        ended.push((open.state, error));
                    }
                }
            }
            let direct: Vec<(u64, u64)> = calls
                .open
                .iter()
                .filter_map(|(&id, open)| open.direct_replier.map(|r| (id, r)))
                .collect();
            if !direct.is_empty() {
                let peers = self.peer_ids();
                for (id, replier) in direct {
                    if !peers.contains(&replier) {
                        calls.table.remove(id);
                        if let Some(open) = calls.open.remove(&id) {
                            ended.push((open.state, CallError::NoReply));
                        }
                    }
                }
            }
            let gone_check = calls
                .open
                .values()
                .any(|o| o.direct_replier.is_some())
                .then(|| now + GONE_CHECK_EVERY);
            let next = match (calls.table.next_due(), gone_check) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            calls.next_look(next, now)
        };
        for action in actions {
            if let Action::Broadcast { id, word } = action {
                self.send(pre_request(self.slot, id, word));
            }
        }
        for (state, error) in ended {
            state.complete(Err(error));
        }
        next
    }

    fn peer_ids(&self) -> Vec<u64> {
        self.context
            .connections()
            .iter()
            .filter_map(|c| c.peer_id().map(|id| id.get()))
            .collect()
    }

    fn on_directed(&self, package: &Package, now: Instant) {
        let mut calls = lock(&self.calls);
        match calls
            .table
            .on_directed(package.dest_seq, package.source_id, now)
        {
            Incoming::Acknowledged { id, replier } => {
                let direct = self.peer_ids().contains(&replier);
                let Some(open) = calls.open.get_mut(&id) else {
                    return;
                };
                open.direct_replier = direct.then_some(replier);
                open.state.set_running();
                let request = open.request.clone();
                let due = match (calls.table.next_due(), direct) {
                    (Some(due), true) => Some(due.min(now + GONE_CHECK_EVERY)),
                    (None, true) => Some(now + GONE_CHECK_EVERY),
                    (due, false) => due,
                };
                let wake = calls.must_wake_timer(due, now);
                drop(calls);
                if wake {
                    let _ = self.wake.try_send(());
                }
                let mut package = Package::new(self.slot, request);
                package.dest_id = replier;
                package.dest_seq = id;
                // The request and the `req-` for the other repliers leave
                // together, in one write.
                let both = [package, pre_request(self.slot, id, DONE)];
                if let Err(e) = self.context.send_packages(both) {
                    tracing::debug!(error = %e, slot = %self.slot, "request not sent");
                }
            }
            Incoming::Reply { id } => {
                let open = calls.open.remove(&id);
                drop(calls);
                if let Some(open) = open {
                    open.state.complete(reply_outcome(&package.data));
                }
            }
            Incoming::Ignored => {}
        }
    }

    fn close_all(&self) {
        let open: Vec<Open> = {
            let mut calls = lock(&self.calls);
            let ids: Vec<u64> = calls.open.keys().copied().collect();
            for id in ids {
                calls.table.remove(id);
            }
            calls.open.drain().map(|(_, open)| open).collect()
        };
        for call in open {
            call.state.complete(Err(CallError::Closed));
        }
    }
}

impl Endpoint for ReqCore {
    fn deliver(&self, deliveries: &mut Vec<Delivery>) {
        let now = Instant::now();
        for delivery in deliveries.drain(..) {
            // Only what is directed at this requester is req/rep.
            if delivery.package.dest_id != 0 {
                self.on_directed(&delivery.package, now);
            }
        }
    }

    fn on_context_closed(&self) {
        self.mark_closed();
    }
}

impl ChannelCore for ReqCore {
    fn mark_closed(&self) -> bool {
        if self.closed.swap(true, Ordering::AcqRel) {
            return false;
        }
        self.close_all();
        let _ = self.wake.try_send(());
        true
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

/// The timer thread of a request channel: resends, gives up, and checks
/// for repliers that went away, until the channel closes.
fn run_timer(core: Arc<ReqCore>, wake: Receiver<()>) {
    loop {
        if core.is_closed() {
            return;
        }
        let next = core.tick(Instant::now());
        let woke = match next {
            Some(at) => wake.recv_deadline(at),
            None => wake.recv().map_err(|_| WakeTimeout::Disconnected),
        };
        if let Err(WakeTimeout::Disconnected) = woke {
            return;
        }
    }
}

/// The argument list of a call: a tuple is the list, unit is no
/// arguments, anything else is the one argument.
fn args_tuple(args: Object) -> Object {
    match args {
        Object::Tuple(_) => args,
        Object::None => Object::Tuple(Vec::new()),
        other => Object::Tuple(vec![other]),
    }
}

/// The keyword arguments of a call: a dict, or unit for none.
fn kwargs_dict(kwargs: Object) -> std::result::Result<Object, CallError> {
    match kwargs {
        Object::Dict(_) => Ok(kwargs),
        Object::None => Ok(Object::dict()),
        other => Err(CallError::Encode(format!(
            "keyword arguments must be a map or a struct, not {}",
            other.type_name()
        ))),
    }
}

impl ReqChannel {
    /// A request channel on `context` with base name `name`: it sends on
    /// `name.obj.req-rep` and receives on `name.obj.rep-req`, as Python's
    /// `yoton.ReqChannel(context, name)`.
    ///
    /// # Errors
    ///
    /// [`Error::SlotTaken`](crate::Error::SlotTaken) if another channel of
    /// this context has one of these slots, and
    /// [`Error::Io`](crate::Error::Io) if its timer thread cannot start.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{CallError, CallFuture, Handler, HandlerError, Methods, RepChannel, Replier, ReqChannel, Request}; pub use yoton_object::{Dict, Object}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::ReqChannel;
    ///
    /// let ctx = yoton::context();
    /// let req = ReqChannel::new(&ctx, "reqp-control").unwrap();
    /// assert_eq!(req.slot_outgoing().name(), "reqp-control.obj.req-rep");
    /// assert_eq!(req.slot_incoming().name(), "reqp-control.obj.rep-req");
    /// ```
    pub fn new(context: &Context, name: &str) -> Result<ReqChannel> {
        let (wake, woken) = crossbeam_channel::bounded(1);
        let slot = SlotName::new(name, "obj", REQ.0).slot();
        let core = Arc::new(ReqCore {
            context: context.clone(),
            slot,
            calls: Mutex::new(Calls {
                table: ReqTable::new(None),
                open: HashMap::new(),
                timer_at: None,
                started: false,
            }),
            timeout_ns: AtomicU64::new(DEFAULT_CALL_TIMEOUT.as_nanos() as u64),
            closed: AtomicBool::new(false),
            wake,
            look_again: Arc::new(LookAgain::new(LOOK_AGAIN)),
        });
        let registration = Registration::new(context, name, "obj", REQ, Arc::clone(&core))?;
        std::thread::Builder::new()
            .name("yoton-req".into())
            .spawn(move || run_timer(core, woken))
            .map_err(yoton_core::Error::Io)?;
        Ok(ReqChannel { registration })
    }

    fn core(&self) -> &Arc<ReqCore> {
        self.registration.core()
    }

    /// Sets how long a call made from now on waits for a replier to
    /// acknowledge it before it is cancelled ([`CallError::NoReplier`]).
    /// The default is [`DEFAULT_CALL_TIMEOUT`], 10 s. Pyzo's IDE uses
    /// 0.5 s for introspection.
    ///
    /// It counts until a replier takes the call, and a busy replier takes
    /// one call at a time: calls made in a burst wait their turn, and those
    /// still waiting when it runs out are cancelled. Raise it for deep
    /// queues.
    pub fn set_timeout(&self, timeout: Duration) {
        let ns = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX);
        self.core().timeout_ns.store(ns, Ordering::Relaxed);
    }

    /// The acknowledgement timeout of new calls.
    pub fn timeout(&self) -> Duration {
        Duration::from_nanos(self.core().timeout_ns.load(Ordering::Relaxed))
    }

    /// Sets how long a call that a replier took waits for its reply before
    /// it ends with [`CallError::NoReply`] (for calls acknowledged from now
    /// on). `None`, the default, waits as long as the replier is there: a
    /// call to a replier of a direct peer ends when that connection closes.
    pub fn set_reply_timeout(&self, timeout: Option<Duration>) {
        lock(&self.core().calls).table.set_reply_timeout(timeout);
    }

    /// Calls `method` with `args` and no keyword arguments; the reply is
    /// decoded as `R`.
    ///
    /// `args` is any serde value: a Rust tuple is the argument list
    /// (`(x,)` for one argument), `()` is none, and anything else is the
    /// one argument.
    ///
    /// # Errors
    ///
    /// [`CallError::Encode`] if the arguments cannot be sent as OBJECT, and
    /// [`CallError::Closed`] if the channel is closed. Nothing is sent then.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{CallError, CallFuture, Handler, HandlerError, Methods, RepChannel, Replier, ReqChannel, Request}; pub use yoton_object::{Dict, Object}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::{CallError, ReqChannel};
    ///
    /// let ctx = yoton::context();
    /// let req = ReqChannel::new(&ctx, "calc").unwrap();
    /// let too_big = req.call::<i64>("add", (u64::MAX, 1));
    /// assert!(matches!(too_big, Err(CallError::Encode(_))));
    /// ```
    pub fn call<R: DeserializeOwned>(
        &self,
        method: &str,
        args: impl Serialize,
    ) -> std::result::Result<CallFuture<R>, CallError> {
        self.call_with(method, args, (), self.timeout())
    }

    /// Calls `method` with `args`, keyword arguments `kwargs` (a map or a
    /// struct, `()` for none) and an acknowledgement timeout of its own.
    ///
    /// # Errors
    ///
    /// As [`call`](ReqChannel::call); also [`CallError::Encode`] if
    /// `kwargs` is not a map.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{CallError, CallFuture, Handler, HandlerError, Methods, RepChannel, Replier, ReqChannel, Request}; pub use yoton_object::{Dict, Object}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::collections::BTreeMap;
    /// use std::time::Duration;
    /// use yoton::{Handler, HandlerError, Object, RepChannel, ReqChannel, Request};
    ///
    /// let (a, b) = (yoton::context(), yoton::context());
    /// let bound = a.bind("inproc://").unwrap();
    /// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
    /// // A handler that shows what it got.
    /// let show = |r: &Request| -> Result<Object, HandlerError> {
    ///     Ok(format!("{}{} {}", r.method(), Object::tuple(r.args().to_vec()), Object::Dict(r.kwargs().clone())).into())
    /// };
    /// let _replier = RepChannel::new(&a, "show").unwrap().spawn(show).unwrap();
    /// let req = ReqChannel::new(&b, "show").unwrap();
    /// let kwargs = BTreeMap::from([("sleep", 0.5)]);
    /// let call = req.call_with::<String>("echo", ("hi",), kwargs, Duration::from_secs(5)).unwrap();
    /// assert_eq!(call.wait_timeout(Duration::from_secs(10)).unwrap(), "echo('hi',) {'sleep': 0.5}");
    /// ```
    pub fn call_with<R: DeserializeOwned>(
        &self,
        method: &str,
        args: impl Serialize,
        kwargs: impl Serialize,
        timeout: Duration,
    ) -> std::result::Result<CallFuture<R>, CallError> {
        let encode = |e: yoton_object::Error| CallError::Encode(e.to_string());
        let args = args_tuple(yoton_object::to_object(&args).map_err(encode)?);
        let kwargs = kwargs_dict(yoton_object::to_object(&kwargs).map_err(encode)?)?;
        let request = Object::Tuple(vec![Object::Str(method.to_owned()), args, kwargs]);
        let bytes = Bytes::from(request.to_bytes().map_err(encode)?);
        self.call_bytes(bytes, timeout)
    }

    /// Sends a request already encoded as the OBJECT tuple `(method, args,
    /// kwargs)`.
    fn call_bytes<R: DeserializeOwned>(
        &self,
        request: Bytes,
        timeout: Duration,
    ) -> std::result::Result<CallFuture<R>, CallError> {
        if self.is_closed() {
            return Err(CallError::Closed);
        }
        let core = self.core();
        let state = CallState::new(Arc::clone(&core.look_again));
        let (id, wake) = {
            let now = Instant::now();
            let mut calls = lock(&core.calls);
            let id = calls.table.start(now, timeout);
            calls.started = true;
            calls.open.insert(
                id,
                Open {
                    state: Arc::clone(&state),
                    request,
                    direct_replier: None,
                },
            );
            let due = calls.table.next_due();
            (id, calls.must_wake_timer(due, now))
        };
        if wake {
            let _ = core.wake.try_send(());
        }
        if let Err(e) = core.context.send_package(pre_request(core.slot, id, ASK)) {
            tracing::debug!(error = %e, "pre-request not sent");
            let mut calls = lock(&core.calls);
            calls.table.remove(id);
            calls.open.remove(&id);
            return Err(CallError::Closed);
        }
        Ok(CallFuture::new(id, state, Arc::downgrade(core)))
    }

    /// How many calls have not ended.
    pub fn open_calls(&self) -> usize {
        lock(&self.core().calls).open.len()
    }

    /// Closes the channel: its open calls end with [`CallError::Closed`].
    /// Closing twice does nothing.
    pub fn close(&self) {
        self.registration.close();
    }

    /// Whether the channel is closed.
    pub fn is_closed(&self) -> bool {
        self.registration.is_closed()
    }

    /// The slot the requests go out on (`name.obj.req-rep`).
    pub fn slot_outgoing(&self) -> &SlotName {
        self.registration.outgoing()
    }

    /// The slot the replies come in on (`name.obj.rep-req`).
    pub fn slot_incoming(&self) -> &SlotName {
        self.registration.incoming()
    }

    /// The context the channel works through.
    pub fn context(&self) -> &Context {
        self.registration.context()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::req_table::RESEND_EVERY;

    #[test]
    fn the_timer_is_woken_only_for_what_falls_due_before_it_looks() {
        let now = Instant::now();
        let (soon, later) = (now + Duration::from_millis(1), now + Duration::from_secs(1));
        let calls = |timer_at| Calls {
            table: ReqTable::new(None),
            open: HashMap::new(),
            timer_at,
            started: false,
        };
        // (when the timer looks next, what falls due, must it wake)
        let cases = [
            (None, None, false),
            (None, Some(later), true),
            (Some(later), None, false),
            (Some(later), Some(soon), true),
            (Some(soon), Some(soon), false),
            (Some(soon), Some(later), false),
        ];
        for (timer_at, due, wake) in cases {
            let mut calls = calls(timer_at);
            assert_eq!(
                calls.must_wake_timer(due, now),
                wake,
                "{timer_at:?} {due:?}"
            );
            // Woken, it looks at once: nothing wakes it again until then.
            let expect = if wake { Some(now) } else { timer_at };
            assert_eq!(calls.timer_at, expect);
            if wake {
                assert!(!calls.must_wake_timer(due, now));
            }
        }
    }

    #[test]
    fn a_timer_lingers_after_calls_and_then_sleeps_until_woken() {
        let now = Instant::now();
        let due = now + Duration::from_millis(3);
        let mut calls = Calls {
            table: ReqTable::new(None),
            open: HashMap::new(),
            timer_at: None,
            started: true,
        };
        // Something due: the timer looks then.
        assert_eq!(calls.next_look(Some(due), now), Some(due));
        calls.started = true;
        // Nothing due after a call: it lingers, and a call's first due
        // instant (a resend, a gone check) wakes it no more.
        let linger = calls.next_look(None, now);
        assert_eq!(linger, Some(now + GONE_CHECK_EVERY));
        assert!(!calls.must_wake_timer(Some(now + GONE_CHECK_EVERY), now));
        assert!(!calls.must_wake_timer(Some(now + RESEND_EVERY), now));
        // A call with a shorter timeout still wakes it.
        assert!(calls.must_wake_timer(Some(due), now));
        // No call since: it sleeps, and the next call wakes it.
        assert_eq!(calls.next_look(None, now + GONE_CHECK_EVERY), None);
        assert!(calls.must_wake_timer(Some(now + RESEND_EVERY), now));
    }

    #[test]
    fn error_tuples_are_errors_and_other_replies_values() {
        let error = Object::from((ERROR_OBJECT, "deliberate failure (1,)\n"));
        let bytes = error.to_bytes().expect("encodes");
        assert_eq!(
            reply_outcome(&bytes),
            Err(CallError::Failed("deliberate failure (1,)\n".into()))
        );
        let three = Object::from((ERROR_OBJECT, "a", "b"))
            .to_bytes()
            .expect("encodes");
        assert!(reply_outcome(&three).is_ok(), "only a 2-tuple is an error");
        assert_eq!(reply_outcome(b"n"), Ok(Object::None));
        assert!(matches!(reply_outcome(b"?"), Err(CallError::Decode(_))));
    }

    #[test]
    fn arguments_are_a_tuple_and_keyword_arguments_a_dict() {
        assert_eq!(args_tuple(Object::None), Object::tuple([]));
        assert_eq!(
            args_tuple(Object::from(1)),
            Object::tuple([Object::from(1)])
        );
        let list = Object::list([Object::from(1)]);
        assert_eq!(args_tuple(list.clone()), Object::tuple([list]));
        assert_eq!(kwargs_dict(Object::None), Ok(Object::dict()));
        assert!(kwargs_dict(Object::from(1)).is_err());
    }
}
