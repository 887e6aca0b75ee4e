//! The future of a request: [`CallFuture`], and why a call failed,
//! [`CallError`].

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use yoton_object::Object;

use crate::lock;
use crate::look_again::LookAgain;
use crate::req_channel::ReqCore;

/// Why a call did not give a result.
///
/// The first four are the ends a call can come to: the replier raised,
/// the call was cancelled, no replier acknowledged it in time, the channel
/// closed. [`Pending`](CallError::Pending) only says that a bounded wait
/// ended first: the call goes on.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{CallError, CallFuture, Handler, HandlerError, Methods, RepChannel, Replier, ReqChannel, Request}; pub use yoton_object::{Dict, Object}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use std::time::Duration;
/// use yoton::{CallError, ReqChannel};
///
/// let ctx = yoton::context();
/// let req = ReqChannel::new(&ctx, "nobody-home").unwrap();
/// req.set_timeout(Duration::from_millis(50));
/// let call = req.call::<i64>("add", (1, 2)).unwrap();
/// match call.wait_timeout(Duration::from_secs(10)) {
///     Err(CallError::NoReplier) => {} // nobody acknowledged within 50 ms
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The replier raised (or returned an error); its message, as it sent
    /// it (the reference adds a line with where it raised).
    #[error("the replier failed: {0}")]
    Failed(String),
    /// The call was cancelled before a replier took it.
    #[error("the call was cancelled")]
    Cancelled,
    /// No replier acknowledged the call within its timeout, so it was
    /// cancelled.
    #[error("no replier acknowledged the call in time")]
    NoReplier,
    /// A replier took the call, but no reply came: it went away (its
    /// connection closed), or the channel's reply timeout passed.
    #[error("the replier took the call but no reply came")]
    NoReply,
    /// The request channel closed (or its context) before the reply came.
    #[error("the request channel is closed")]
    Closed,
    /// The arguments cannot be sent as OBJECT (nothing was sent).
    #[error("the request cannot be encoded: {0}")]
    Encode(String),
    /// The reply came but is not an OBJECT of the type asked for.
    #[error("the reply does not fit: {0}")]
    Decode(String),
    /// The wait ended before the call did; the call goes on.
    #[error("the call is not done yet")]
    Pending,
}

type Callback = Box<dyn FnOnce(&Result<Object, CallError>) + Send>;

/// What a call's future and its channel share.
pub(crate) struct CallState {
    inner: Mutex<CallInner>,
    /// Where callers sleep until the call ends (after looking again).
    done: Condvar,
    /// Whether `inner.outcome` is set, read without the lock.
    ended: AtomicBool,
    /// Shared by the calls of one channel.
    look_again: Arc<LookAgain>,
}

#[derive(Default)]
struct CallInner {
    /// How the call ended, once it has (the first end counts).
    outcome: Option<Result<Object, CallError>>,
    /// A replier took the call, and it has not ended.
    running: bool,
    /// Callers asleep on `done`: the end of the call notifies `done` only
    /// when there are some. Nothing else notifies it.
    sleepers: usize,
    /// The `on_done` callbacks given before the end, which runs them.
    callbacks: Vec<Callback>,
    /// The waker of the last poll of the future, woken by the end.
    waker: Option<Waker>,
}

impl fmt::Debug for CallState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = lock(&self.inner);
        f.debug_struct("CallState")
            .field("outcome", &inner.outcome)
            .field("running", &inner.running)
            .finish_non_exhaustive()
    }
}

impl CallState {
    pub(crate) fn new(look_again: Arc<LookAgain>) -> Arc<CallState> {
        Arc::new(CallState {
            inner: Mutex::new(CallInner::default()),
            done: Condvar::new(),
            ended: AtomicBool::new(false),
            look_again,
        })
    }

    /// A replier took the call.
    pub(crate) fn set_running(&self) {
        lock(&self.inner).running = true;
    }

    /// Ends the call (the first end counts) and runs its callbacks on this
    /// thread.
    pub(crate) fn complete(&self, outcome: Result<Object, CallError>) {
        let (callbacks, waker, sleepers) = {
            let mut inner = lock(&self.inner);
            if inner.outcome.is_some() {
                return;
            }
            inner.outcome = Some(outcome);
            inner.running = false;
            self.ended.store(true, Ordering::Release);
            (
                std::mem::take(&mut inner.callbacks),
                inner.waker.take(),
                inner.sleepers,
            )
        };
        if sleepers > 0 {
            self.done.notify_all();
        }
        if let Some(waker) = waker {
            waker.wake();
        }
        if callbacks.is_empty() {
            return;
        }
        let outcome = lock(&self.inner).outcome.clone();
        if let Some(outcome) = outcome {
            for callback in callbacks {
                run_callback(callback, &outcome);
            }
        }
    }

    /// Waits for the outcome until `deadline`.
    fn wait_until(&self, deadline: Option<Instant>) -> Option<Result<Object, CallError>> {
        let began = Instant::now();
        if !self.ended.load(Ordering::Acquire) && deadline.is_none_or(|d| began < d) {
            // A reply often comes within a look-again: it saves a wake-up.
            let caught = self
                .look_again
                .look(deadline, || self.ended.load(Ordering::Acquire));
            if caught {
                self.look_again.paid(true);
            }
        }
        let mut inner = lock(&self.inner);
        let mut slept = false;
        loop {
            if let Some(outcome) = &inner.outcome {
                if slept {
                    self.look_again.woke(began);
                }
                return Some(outcome.clone());
            }
            slept = true;
            inner = match self.sleep(inner, deadline) {
                Some(inner) => inner,
                None => {
                    self.look_again.paid(false);
                    return None;
                }
            };
        }
    }

    /// Sleeps once until woken or `deadline`; `None` when the deadline has
    /// passed.
    fn sleep<'a>(
        &self,
        mut inner: MutexGuard<'a, CallInner>,
        deadline: Option<Instant>,
    ) -> Option<MutexGuard<'a, CallInner>> {
        let left = match deadline {
            None => None,
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return None;
                }
                Some(left)
            }
        };
        inner.sleepers += 1;
        let mut inner = match left {
            None => self.done.wait(inner).unwrap_or_else(|e| e.into_inner()),
            Some(left) => {
                self.done
                    .wait_timeout(inner, left)
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            }
        };
        inner.sleepers -= 1;
        Some(inner)
    }
}

/// Runs a done callback; one that panics is logged, and the thread (a
/// receiving thread, or the caller's) goes on.
fn run_callback(callback: Callback, outcome: &Result<Object, CallError>) {
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| callback(outcome)));
    if ran.is_err() {
        tracing::error!("a call's done callback panicked");
    }
}

/// The decoded result of an outcome.
fn typed<R: DeserializeOwned>(outcome: Result<Object, CallError>) -> Result<R, CallError> {
    let object = outcome?;
    yoton_object::from_object(&object).map_err(|e| CallError::Decode(e.to_string()))
}

/// The future result of a call on a [`ReqChannel`](crate::ReqChannel),
/// decoded as `R` (any serde type; [`Object`] for the reply as it is).
///
/// - Wait: [`wait`](CallFuture::wait), [`wait_timeout`](CallFuture::wait_timeout),
///   or `.await` it on any executor (it is a [`std::future::Future`]).
/// - Look: [`try_result`](CallFuture::try_result) (does not wait),
///   [`is_done`](CallFuture::is_done), [`is_running`](CallFuture::is_running),
///   [`is_cancelled`](CallFuture::is_cancelled).
/// - Act: [`cancel`](CallFuture::cancel) (false once a replier runs it),
///   [`on_done`](CallFuture::on_done) callbacks.
///
/// Dropping a future that no replier took cancels its call; a call a
/// replier took is then abandoned, and its reply ignored. So in a
/// `select!` or a loop of timeouts, await `&mut call` (the future is
/// `Unpin`): a branch that loses then leaves the call going, and a later
/// poll still gets its result. Like the other futures of the channels, it
/// keeps its waker under its state's lock, where the end of the call
/// takes it.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{CallError, CallFuture, Handler, HandlerError, Methods, RepChannel, Replier, ReqChannel, Request}; pub use yoton_object::{Dict, Object}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use std::time::Duration;
/// use yoton::{HandlerError, Methods, RepChannel, ReqChannel};
///
/// let (a, b) = (yoton::context(), yoton::context());
/// let bound = a.bind("inproc://").unwrap();
/// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
///
/// let methods = Methods::new().method("add", |(x, y): (i64, i64)| Ok::<_, HandlerError>(x + y));
/// let _replier = RepChannel::new(&a, "calc").unwrap().spawn(methods).unwrap();
/// let req = ReqChannel::new(&b, "calc").unwrap();
///
/// let call = req.call::<i64>("add", (3, 4)).unwrap();
/// assert_eq!(call.wait_timeout(Duration::from_secs(10)), Ok(7));
/// assert!(call.is_done() && !call.is_cancelled());
/// ```
pub struct CallFuture<R> {
    id: u64,
    state: Arc<CallState>,
    channel: Weak<ReqCore>,
    _type: PhantomData<fn() -> R>,
}

impl<R> fmt::Debug for CallFuture<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallFuture")
            .field("id", &self.id)
            .field("state", &self.state)
            .finish()
    }
}

impl<R: DeserializeOwned> CallFuture<R> {
    pub(crate) fn new(id: u64, state: Arc<CallState>, channel: Weak<ReqCore>) -> Self {
        CallFuture {
            id,
            state,
            channel,
            _type: PhantomData,
        }
    }

    /// The request id (counted from 1 per request channel, as on the wire).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Waits for the call to end. It does end: without a replier it gives up
    /// after the channel's timeout, and a replier whose connection closes
    /// ends it with [`CallError::NoReply`]; across several hops, set a
    /// [reply timeout](crate::ReqChannel::set_reply_timeout) or use
    /// [`wait_timeout`](CallFuture::wait_timeout).
    ///
    /// # Errors
    ///
    /// How the call ended, if not with a result: see [`CallError`].
    pub fn wait(&self) -> Result<R, CallError> {
        match self.state.wait_until(None) {
            Some(outcome) => typed(outcome),
            None => Err(CallError::Pending),
        }
    }

    /// Waits at most `timeout` for the call to end.
    ///
    /// # Errors
    ///
    /// [`CallError::Pending`] if it did not end in time (it goes on), else
    /// how it ended: see [`CallError`].
    pub fn wait_timeout(&self, timeout: Duration) -> Result<R, CallError> {
        self.wait_deadline(yoton_core::sync::later(Instant::now(), timeout))
    }

    /// Waits until `deadline` for the call to end.
    ///
    /// # Errors
    ///
    /// As [`wait_timeout`](CallFuture::wait_timeout).
    pub fn wait_deadline(&self, deadline: Instant) -> Result<R, CallError> {
        match self.state.wait_until(Some(deadline)) {
            Some(outcome) => typed(outcome),
            None => Err(CallError::Pending),
        }
    }

    /// The result if the call has ended, without waiting.
    pub fn try_result(&self) -> Option<Result<R, CallError>> {
        let outcome = lock(&self.state.inner).outcome.clone();
        outcome.map(typed)
    }

    /// Whether the call has ended (with a result, an error or cancelled).
    pub fn is_done(&self) -> bool {
        lock(&self.state.inner).outcome.is_some()
    }

    /// Whether a replier has taken the call and not yet replied.
    pub fn is_running(&self) -> bool {
        let inner = lock(&self.state.inner);
        inner.running && inner.outcome.is_none()
    }

    /// Whether the call ended cancelled (by [`cancel`](CallFuture::cancel)).
    pub fn is_cancelled(&self) -> bool {
        matches!(
            lock(&self.state.inner).outcome,
            Some(Err(CallError::Cancelled))
        )
    }

    /// Cancels the call if no replier has taken it: true if it is cancelled
    /// (or had ended already), false if a replier runs it.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{CallError, CallFuture, Handler, HandlerError, Methods, RepChannel, Replier, ReqChannel, Request}; pub use yoton_object::{Dict, Object}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::{CallError, Object, ReqChannel};
    ///
    /// let ctx = yoton::context();
    /// let req = ReqChannel::new(&ctx, "later").unwrap();
    /// let call = req.call::<Object>("anything", ()).unwrap();
    /// assert!(call.cancel());
    /// assert!(call.is_cancelled());
    /// assert_eq!(call.try_result(), Some(Err(CallError::Cancelled)));
    /// ```
    pub fn cancel(&self) -> bool {
        if self.is_done() {
            return true;
        }
        match self.channel.upgrade() {
            Some(channel) => channel.cancel(self.id, &self.state),
            None => {
                self.state.complete(Err(CallError::Closed));
                true
            }
        }
    }

    /// Calls `callback` with the result once the call ends: on the thread
    /// that ends it (a receiving thread, the channel's timer, or the one
    /// that cancels), or at once on this thread if it has ended. Keep it
    /// short; a callback that panics is logged and ignored.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{CallError, CallFuture, Handler, HandlerError, Methods, RepChannel, Replier, ReqChannel, Request}; pub use yoton_object::{Dict, Object}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::time::Duration;
    /// use yoton::{CallError, ReqChannel};
    ///
    /// let ctx = yoton::context();
    /// let req = ReqChannel::new(&ctx, "later").unwrap();
    /// let call = req.call::<String>("name", ()).unwrap();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// call.on_done(move |result| tx.send(result).unwrap());
    /// call.cancel();
    /// assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), Err(CallError::Cancelled));
    /// ```
    pub fn on_done(&self, callback: impl FnOnce(Result<R, CallError>) + Send + 'static)
    where
        R: 'static,
    {
        let callback: Callback = Box::new(move |outcome| callback(typed(outcome.clone())));
        let mut inner = lock(&self.state.inner);
        match &inner.outcome {
            Some(outcome) => {
                let outcome = outcome.clone();
                drop(inner);
                run_callback(callback, &outcome);
            }
            None => inner.callbacks.push(callback),
        }
    }
}

impl<R: DeserializeOwned> Future for CallFuture<R> {
    type Output = Result<R, CallError>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let mut inner = lock(&self.state.inner);
        match &inner.outcome {
            Some(outcome) => Poll::Ready(typed(outcome.clone())),
            None => {
                match &inner.waker {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    _ => inner.waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

impl<R> Drop for CallFuture<R> {
    fn drop(&mut self) {
        if lock(&self.state.inner).outcome.is_some() {
            return;
        }
        if let Some(channel) = self.channel.upgrade() {
            channel.forget(self.id);
        }
    }
}
