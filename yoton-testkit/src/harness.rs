//! What every case stands on: a deadline around the case, contexts with the
//! transport registered, bound and connected pairs, and an endpoint that
//! collects deliveries into a channel so that cases wait on events, never
//! on sleeps.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use yoton_core::{Connection, Context, Delivery, Direction, Endpoint, Slot};

use crate::TransportUnderTest;

/// How long a whole case may take before it fails as hung.
pub const CASE_DEADLINE: Duration = Duration::from_secs(60);

/// How long a case waits for any one thing (a message, an event, a state).
pub const STEP_DEADLINE: Duration = Duration::from_secs(15);

/// Runs one case on a fresh `T`, in its own thread, failing with the case's
/// name if it panics or does not finish within [`CASE_DEADLINE`].
///
/// # Panics
///
/// When the case fails or hangs: the case's own panic is passed on.
pub fn run_case<T: TransportUnderTest + Default>(name: &str, case: fn(&dyn TransportUnderTest)) {
    run_case_on(name, Arc::new(T::default()), case, CASE_DEADLINE);
}

/// Runs one case on the given transport under test with a deadline. A case
/// that hangs is left behind in its thread; the caller fails at once.
///
/// # Panics
///
/// When the case fails (its panic is passed on) or does not finish within
/// `deadline`.
pub fn run_case_on(
    name: &str,
    under_test: Arc<dyn TransportUnderTest>,
    case: fn(&dyn TransportUnderTest),
    deadline: Duration,
) {
    let (tx, rx) = crossbeam_channel::bounded(1);
    let spawned = thread::Builder::new()
        .name(format!("case-{name}"))
        .spawn(move || {
            let outcome = catch_unwind(AssertUnwindSafe(|| case(&*under_test)));
            let _ = tx.send(outcome);
        });
    if let Err(e) = spawned {
        panic!("case `{name}`: could not start its thread: {e}");
    }
    match rx.recv_timeout(deadline) {
        Ok(Ok(())) => {}
        Ok(Err(payload)) => resume_unwind(payload),
        Err(_) => panic!("case `{name}` did not finish within {deadline:?}"),
    }
}

/// A context with the transport under test registered.
pub(crate) fn context(ut: &dyn TransportUnderTest) -> Context {
    let ctx = Context::new();
    ctx.register_transport(ut.transport());
    ctx
}

/// Binds `ctx` at a fresh address.
pub(crate) fn bind(ut: &dyn TransportUnderTest, ctx: &Context) -> Arc<dyn Connection> {
    ctx.bind(&ut.bind_address())
        .expect("bind at a fresh address")
}

/// Connects `ctx` to `bound` and waits until the bound end is hosting.
pub(crate) fn connect(
    ut: &dyn TransportUnderTest,
    ctx: &Context,
    bound: &Arc<dyn Connection>,
) -> Arc<dyn Connection> {
    let conn = ctx
        .connect(&ut.connect_address(&**bound))
        .expect("connect to a bound connection");
    wait_connected("the bound end sees its peer", bound);
    conn
}

/// A bound end and a connected end, each in its own context.
#[derive(Debug)]
pub(crate) struct Pair {
    pub(crate) host: Context,
    pub(crate) bound: Arc<dyn Connection>,
    pub(crate) client: Context,
    pub(crate) conn: Arc<dyn Connection>,
}

pub(crate) fn pair(ut: &dyn TransportUnderTest) -> Pair {
    let host = context(ut);
    let bound = bind(ut, &host);
    let client = context(ut);
    let conn = connect(ut, &client, &bound);
    Pair {
        host,
        bound,
        client,
        conn,
    }
}

/// `y` connects to a fresh bound connection of `x`.
pub(crate) fn join(
    ut: &dyn TransportUnderTest,
    x: &Context,
    y: &Context,
) -> (Arc<dyn Connection>, Arc<dyn Connection>) {
    let bound = bind(ut, x);
    let conn = connect(ut, y, &bound);
    (bound, conn)
}

/// Waits for a connection to see its peer, failing after [`STEP_DEADLINE`].
pub(crate) fn wait_connected(what: &str, connection: &Arc<dyn Connection>) {
    if let Err(e) = connection.wait_connected(STEP_DEADLINE) {
        panic!("not in time: {what}: {e}");
    }
}

/// An endpoint that sends every delivery into a channel.
#[derive(Debug)]
pub(crate) struct Collect(Mutex<Sender<Delivery>>);

impl Endpoint for Collect {
    fn deliver(&self, deliveries: &mut Vec<Delivery>) {
        let tx = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for d in deliveries.drain(..) {
            let _ = tx.send(d);
        }
    }
}

/// Registers a collecting endpoint on `slot` of `ctx`.
pub(crate) fn listen(ctx: &Context, slot: Slot) -> Receiver<Delivery> {
    let (tx, rx) = crossbeam_channel::unbounded();
    ctx.register_endpoint(
        Direction::Incoming,
        slot,
        "conformance",
        Arc::new(Collect(Mutex::new(tx))),
    )
    .expect("a free slot");
    rx
}

/// The next delivery, within [`STEP_DEADLINE`].
pub(crate) fn next(rx: &Receiver<Delivery>, what: &str) -> Delivery {
    rx.recv_timeout(STEP_DEADLINE)
        .unwrap_or_else(|e| panic!("no delivery in time ({what}): {e}"))
}

/// The next `n` deliveries as text.
pub(crate) fn texts(rx: &Receiver<Delivery>, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let d = next(rx, &format!("message {i} of {n}"));
            String::from_utf8(d.package.data.to_vec()).expect("UTF-8 text")
        })
        .collect()
}

/// Receives the given texts, checking each as it comes, so that a lost or
/// reordered message fails at once rather than at the deadline.
pub(crate) fn expect_texts(rx: &Receiver<Delivery>, expected: &[&str]) {
    for (i, want) in expected.iter().enumerate() {
        let d = next(rx, want);
        assert_eq!(
            std::str::from_utf8(&d.package.data).expect("UTF-8 text"),
            *want,
            "message {i}: lost or out of order"
        );
    }
}

/// Receives `n` messages `prefix0`, `prefix1`, ... and checks each as it
/// comes, so that a lost or reordered message fails at once.
pub(crate) fn expect_numbered(rx: &Receiver<Delivery>, prefix: &str, n: usize) {
    for i in 0..n {
        let d = next(rx, &format!("{prefix}{i}"));
        assert_eq!(
            std::str::from_utf8(&d.package.data).expect("UTF-8 text"),
            format!("{prefix}{i}"),
            "message {i} of {n}: lost or out of order"
        );
    }
}

/// The slot the cases send on.
pub(crate) const SLOT: Slot = Slot::new(0x5107_c0de);
