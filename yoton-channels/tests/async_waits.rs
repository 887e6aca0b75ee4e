//! The async waits over real transports (in-process, and TCP on
//! 127.0.0.1 with a port the system picks), each case under three
//! executors: tokio's multi-thread and current-thread runtimes, and
//! `futures::executor::block_on`.
//!
//! Cancel safety is tested by polling a future by hand and dropping it
//! (the message is still there for the next receive), and by racing
//! receives against timers in `select!` and `timeout` over thousands of
//! messages (none is lost, none comes twice, the order holds).
//!
//! No case sleeps to wait for something: they wait on events, futures or
//! conditions, each bounded by a deadline, and every executor run is
//! bounded too, so that a lost wake-up fails instead of hanging.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::time::Duration;

use yoton_channels::{
    HandlerError, Methods, PubChannel, RecvError, RepChannel, ReqChannel, StateChannel, SubChannel,
};
use yoton_core::{Connection, Context, Error, reason};
use yoton_inproc::InprocTransport;
use yoton_tcp::TcpTransport;
use yoton_testkit::wait::wait_until;

/// A bound on each wait of a case.
const DEADLINE: Duration = Duration::from_secs(20);
/// A bound on one whole run of a case on one executor.
const RUN_DEADLINE: Duration = Duration::from_secs(120);

#[derive(Copy, Clone, Debug)]
enum Transport {
    Inproc,
    Tcp,
}

const TRANSPORTS: [Transport; 2] = [Transport::Inproc, Transport::Tcp];

fn context() -> Context {
    let ctx = Context::new();
    ctx.register_transport(Arc::new(InprocTransport::new()));
    ctx.register_transport(Arc::new(TcpTransport::new()));
    ctx
}

/// Binds on `host` over `transport`: the bound connection, and the address
/// a peer connects to.
fn bind(host: &Context, transport: Transport) -> (Arc<dyn Connection>, String) {
    match transport {
        Transport::Inproc => {
            let bound = host.bind("inproc://").expect("bind");
            let target = format!("inproc://{}", bound.local_host());
            (bound, target)
        }
        Transport::Tcp => {
            let bound = host.bind("tcp://127.0.0.1:0").expect("bind");
            let target = format!("tcp://127.0.0.1:{}", bound.local_port());
            (bound, target)
        }
    }
}

/// Joins `client` to `host`, waiting asynchronously for both ends.
async fn join(host: &Context, client: &Context, transport: Transport) -> Arc<dyn Connection> {
    let (bound, target) = bind(host, transport);
    let connecting = bound.wait_connected_async();
    let conn = client.connect(&target).expect("connect");
    within(connecting).await.expect("the host end connected");
    within(conn.wait_connected_async())
        .await
        .expect("the client end connected");
    bound
}

/// A future that fails the case when `future` does not end within
/// [`DEADLINE`]; it works on any executor (the timer is a thread).
async fn within<F: Future>(future: F) -> F::Output {
    let expired = Arc::new(Expiry::default());
    {
        let expired = Arc::clone(&expired);
        std::thread::spawn(move || {
            let (lock, changed) = (&expired.done, &expired.changed);
            let guard = lock.lock().unwrap();
            let (_guard, timeout) = changed
                .wait_timeout_while(guard, DEADLINE, |done| !*done)
                .unwrap();
            if timeout.timed_out() {
                expired.fired.store(1, Ordering::SeqCst);
                if let Some(waker) = expired.waker.lock().unwrap().take() {
                    waker.wake();
                }
            }
        });
    }
    let mut future = pin!(future);
    let out = std::future::poll_fn(|cx| {
        // Checked first: a wait that ends only because the timer's
        // wake-up polled it again is a lost wake-up, not a success.
        let fired = || expired.fired.load(Ordering::SeqCst) != 0;
        assert!(!fired(), "a wait did not end within {DEADLINE:?}");
        if let Poll::Ready(out) = future.as_mut().poll(cx) {
            return Poll::Ready(out);
        }
        *expired.waker.lock().unwrap() = Some(cx.waker().clone());
        assert!(!fired(), "a wait did not end within {DEADLINE:?}");
        Poll::Pending
    })
    .await;
    *expired.done.lock().unwrap() = true;
    expired.changed.notify_all();
    out
}

#[derive(Default)]
struct Expiry {
    done: std::sync::Mutex<bool>,
    changed: std::sync::Condvar,
    fired: AtomicUsize,
    waker: std::sync::Mutex<Option<Waker>>,
}

/// Runs the case `make` builds on each executor, each run bounded.
fn on_every_executor<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    multi.block_on(async {
        tokio::time::timeout(RUN_DEADLINE, make())
            .await
            .expect("the case ends in time on tokio's multi-thread runtime")
    });
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    current.block_on(async {
        tokio::time::timeout(RUN_DEADLINE, make())
            .await
            .expect("the case ends in time on tokio's current-thread runtime")
    });
    let case = make();
    let (done, ended) = std::sync::mpsc::channel();
    let runner = std::thread::spawn(move || {
        futures::executor::block_on(case);
        let _ = done.send(());
    });
    match ended.recv_timeout(RUN_DEADLINE) {
        Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = runner.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("the case did not end in time under futures' block_on")
        }
    }
}

/// A waker that counts its wake-ups.
#[derive(Default)]
struct Counting(AtomicUsize);

impl Counting {
    fn woken(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Wake for Counting {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (Arc<Counting>, Waker) {
    let counting = Arc::new(Counting::default());
    (Arc::clone(&counting), Waker::from(counting))
}

/// Polls `future` once with `waker`.
fn poll_once<F: Future + Unpin>(future: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(future).poll(&mut TaskContext::from_waker(waker))
}

/// A pub channel on `host` and a sub channel on `client`, made before
/// they join, and the bound connection.
async fn pub_sub(
    host: &Context,
    client: &Context,
    transport: Transport,
    name: &str,
) -> (PubChannel<String>, SubChannel<String>, Arc<dyn Connection>) {
    let out = PubChannel::<String>::new(host, name).unwrap();
    let sub = SubChannel::<String>::new(client, name).unwrap();
    let bound = join(host, client, transport).await;
    (out, sub, bound)
}

#[test]
fn recv_async_receives_every_message_in_order() {
    for transport in TRANSPORTS {
        on_every_executor(move || async move {
            let (host, client) = (context(), context());
            let (out, sub, _bound) = pub_sub(&host, &client, transport, "in-order").await;
            let sent: Vec<String> = (0..500).map(|i| i.to_string()).collect();
            for message in &sent {
                out.send(message).unwrap();
            }
            let mut got = Vec::new();
            within(async {
                while got.len() < sent.len() {
                    got.push(sub.recv_async().await.unwrap());
                }
            })
            .await;
            assert_eq!(got, sent, "{transport:?}");
        });
    }
}

#[test]
fn a_recv_future_dropped_after_it_was_woken_leaves_the_message_queued() {
    for transport in TRANSPORTS {
        let host = context();
        let client = context();
        let out = PubChannel::<String>::new(&host, "dropped").unwrap();
        let sub = SubChannel::<String>::new(&client, "dropped").unwrap();
        futures::executor::block_on(within(join(&host, &client, transport)));

        let (counting, waker) = counting_waker();
        let mut waiting = sub.recv_async();
        assert!(poll_once(&mut waiting, &waker).is_pending());
        out.send("kept").unwrap();
        wait_until("the push wakes the waiting future", || counting.woken() > 0);
        drop(waiting); // woken, never polled again
        assert_eq!(sub.recv_timeout(DEADLINE).unwrap(), "kept", "{transport:?}");
        assert_eq!(sub.pending(), 0);
    }
}

#[test]
fn a_recv_future_dropped_before_the_message_came_leaves_it_for_recv() {
    let host = context();
    let client = context();
    let out = PubChannel::<String>::new(&host, "early-drop").unwrap();
    let sub = SubChannel::<String>::new(&client, "early-drop").unwrap();
    futures::executor::block_on(within(join(&host, &client, Transport::Inproc)));

    let mut waiting = sub.recv_async();
    assert!(poll_once(&mut waiting, Waker::noop()).is_pending());
    drop(waiting);
    out.send("after the drop").unwrap();
    assert_eq!(sub.recv_timeout(DEADLINE).unwrap(), "after the drop");
}

#[test]
fn receives_raced_against_timers_lose_no_message() {
    const N: usize = 3_000;
    for transport in TRANSPORTS {
        on_every_executor(move || async move {
            let (host, client) = (context(), context());
            let (out, sub, _bound) = pub_sub(&host, &client, transport, "races").await;
            // The sender waits until the previous message was taken, then a
            // little more (a varying number of yields), so that messages
            // keep arriving while a receive is pending, just before or
            // just after a timer cancels it.
            let taken = Arc::new(AtomicUsize::new(0));
            let sender = {
                let taken = Arc::clone(&taken);
                std::thread::spawn(move || {
                    let deadline = std::time::Instant::now() + RUN_DEADLINE;
                    for i in 0..N {
                        while taken.load(Ordering::SeqCst) < i {
                            assert!(std::time::Instant::now() < deadline, "the receiver stalled");
                            std::thread::yield_now();
                        }
                        for _ in 0..(i * 7919) % 23 {
                            std::thread::yield_now();
                        }
                        out.send(&i.to_string()).unwrap();
                    }
                    out
                })
            };
            let mut got = Vec::with_capacity(N);
            let mut turn = 0u64;
            let mut cancelled = 0usize;
            let receiving = async {
                while got.len() < N {
                    turn += 1;
                    // A rival that is ready at the next poll (the tightest
                    // race), a timer due at once, or one of a millisecond,
                    // which a message usually beats.
                    let message = match turn % 3 {
                        0 => tokio::select! {
                            message = sub.recv_async() => Some(message),
                            () = yield_once() => None,
                        },
                        1 => tokio::time::timeout(Duration::ZERO, sub.recv_async())
                            .await
                            .ok(),
                        _ => tokio::select! {
                            message = sub.recv_async() => Some(message),
                            () = tokio::time::sleep(Duration::from_millis(1)) => None,
                        },
                    };
                    match message {
                        Some(message) => {
                            got.push(message.unwrap());
                            taken.fetch_add(1, Ordering::SeqCst);
                        }
                        None => cancelled += 1,
                    }
                }
            };
            // The timers need tokio's time driver: under futures'
            // executor they run on a runtime entered on this thread.
            with_tokio_time(receiving).await;
            let out = sender.join().unwrap();
            let expected: Vec<String> = (0..N).map(|i| i.to_string()).collect();
            assert_eq!(got, expected, "{transport:?}: lost, doubled or reordered");
            assert_eq!(sub.dropped(), 0);
            assert_eq!(sub.try_recv(), Err(yoton_channels::TryRecvError::Empty));
            // The races happened: receives were cancelled while waiting.
            assert!(cancelled > 0, "{transport:?}: no receive was cancelled");
            println!("{transport:?}: {cancelled} receives cancelled by a rival");
            drop(out);
        });
    }
}

/// Pending once (waking its task at once), then ready: on any executor.
async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await;
}

/// Runs `future` where tokio's timers work: as it is inside a tokio
/// runtime, else with a runtime's time driver on a helper thread entered
/// for the duration of each poll.
async fn with_tokio_time<F: Future>(future: F) -> F::Output {
    if tokio::runtime::Handle::try_current().is_ok() {
        return future.await;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_time()
        .build()
        .unwrap();
    let mut future = pin!(future);
    let out = std::future::poll_fn(|cx| {
        let _entered = runtime.enter();
        future.as_mut().poll(cx)
    })
    .await;
    runtime.shutdown_background();
    out
}

#[test]
fn every_waiting_receiver_is_woken_and_each_gets_one_message() {
    const K: usize = 4;
    let host = context();
    let client = context();
    let out = PubChannel::<String>::new(&host, "many").unwrap();
    let sub = SubChannel::<String>::new(&client, "many").unwrap();
    futures::executor::block_on(within(join(&host, &client, Transport::Inproc)));

    let mut waiting: Vec<_> = (0..K)
        .map(|_| (sub.recv_async(), counting_waker()))
        .collect();
    for (future, (_, waker)) in &mut waiting {
        assert!(poll_once(future, waker).is_pending());
    }
    for i in 0..K {
        out.send(&i.to_string()).unwrap();
    }
    wait_until("all messages queued", || sub.pending() == K);
    wait_until("every waiting receiver woken", || {
        waiting
            .iter()
            .all(|(_, (counting, _))| counting.woken() > 0)
    });
    let got: BTreeSet<String> = waiting
        .iter_mut()
        .map(|(future, (_, waker))| match poll_once(future, waker) {
            Poll::Ready(message) => message.unwrap(),
            Poll::Pending => panic!("a woken receiver found no message"),
        })
        .collect();
    let sent: BTreeSet<String> = (0..K).map(|i| i.to_string()).collect();
    assert_eq!(got, sent);
}

#[test]
fn several_receiver_tasks_share_a_channel_and_closing_ends_them_all() {
    const N: usize = 2_000;
    const TASKS: usize = 4;
    for transport in TRANSPORTS {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let (host, client) = (context(), context());
            let (out, sub, _bound) = pub_sub(&host, &client, transport, "shared").await;
            let sub = Arc::new(sub);
            let taken = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    let (sub, taken) = (Arc::clone(&sub), Arc::clone(&taken));
                    tokio::spawn(async move {
                        let mut mine = Vec::new();
                        // Ends with the closed error once drained.
                        while let Ok(message) = sub.recv_async().await {
                            mine.push(message.parse::<usize>().unwrap());
                            taken.fetch_add(1, Ordering::SeqCst);
                        }
                        mine
                    })
                })
                .collect();
            for i in 0..N {
                out.send(&i.to_string()).unwrap();
            }
            wait_until("every message taken", || taken.load(Ordering::SeqCst) == N);
            sub.close();
            let mut all = Vec::new();
            for task in tasks {
                let mine = tokio::time::timeout(DEADLINE, task)
                    .await
                    .expect("closing wakes every receiver")
                    .unwrap();
                // Each task sees its messages in the order they were sent.
                assert!(mine.windows(2).all(|w| w[0] < w[1]), "{transport:?}");
                all.extend(mine);
            }
            all.sort_unstable();
            assert_eq!(all, (0..N).collect::<Vec<_>>(), "{transport:?}");
        });
    }
}

#[test]
fn closing_the_channel_or_its_context_wakes_a_waiting_receiver() {
    for close_context in [false, true] {
        let ctx = context();
        let sub = SubChannel::<String>::new(&ctx, "closing").unwrap();
        let (counting, waker) = counting_waker();
        let mut waiting = sub.recv_async();
        assert!(poll_once(&mut waiting, &waker).is_pending());
        if close_context {
            ctx.close();
        } else {
            sub.close();
        }
        assert!(
            counting.woken() > 0,
            "closing wakes (context: {close_context})"
        );
        assert_eq!(poll_once(&mut waiting, &waker), Poll::Ready(Err(RecvError)));
    }
}

#[test]
fn recv_batch_async_takes_up_to_max_in_order() {
    for transport in TRANSPORTS {
        on_every_executor(move || async move {
            let (host, client) = (context(), context());
            let (out, sub, _bound) = pub_sub(&host, &client, transport, "batches").await;
            for i in 0..10 {
                out.send(&i.to_string()).unwrap();
            }
            wait_until("all ten queued", || sub.pending() == 10);
            let first = within(sub.recv_batch_async(4)).await.unwrap();
            assert_eq!(first, ["0", "1", "2", "3"]);
            let one = within(sub.recv_batch_async(0)).await.unwrap();
            assert_eq!(one, ["4"], "a max of 0 takes one");
            let rest = within(sub.recv_batch_async(100)).await.unwrap();
            assert_eq!(rest, ["5", "6", "7", "8", "9"]);
            sub.close();
            assert_eq!(sub.recv_batch_async(100).await, Err(RecvError));
        });
    }
}

#[test]
fn a_dropped_batch_future_leaves_the_messages_queued() {
    let host = context();
    let client = context();
    let out = PubChannel::<String>::new(&host, "batch-drop").unwrap();
    let sub = SubChannel::<String>::new(&client, "batch-drop").unwrap();
    futures::executor::block_on(within(join(&host, &client, Transport::Tcp)));
    let (counting, waker) = counting_waker();
    let mut waiting = sub.recv_batch_async(10);
    assert!(poll_once(&mut waiting, &waker).is_pending());
    out.send("a").unwrap();
    out.send("b").unwrap();
    wait_until("the push wakes the batch future", || counting.woken() > 0);
    drop(waiting);
    wait_until("both queued", || sub.pending() == 2);
    let mut got = Vec::new();
    sub.recv_batch(&mut got, DEADLINE).unwrap();
    assert_eq!(got, ["a", "b"]);
}

#[test]
fn a_state_change_from_the_peer_ends_wait_changed_async() {
    for transport in TRANSPORTS {
        on_every_executor(move || async move {
            let (host, client) = (context(), context());
            let owner = StateChannel::<String>::new(&host, "status").unwrap();
            let seen = StateChannel::<String>::new(&client, "status").unwrap();
            let _bound = join(&host, &client, transport).await;
            let changed = seen.wait_changed_async();
            owner.send("busy").unwrap();
            assert_eq!(within(changed).await.unwrap(), "busy", "{transport:?}");
            // A future made now waits for the next change, not this one.
            let next = seen.wait_changed_async();
            owner.send("idle").unwrap();
            assert_eq!(within(next).await.unwrap(), "idle");
            assert_eq!(within(seen.get_or_wait_async()).await.unwrap(), "idle");
        });
    }
}

#[test]
fn wait_changed_async_counts_from_when_it_was_made() {
    let ctx = context();
    let s = StateChannel::<String>::new(&ctx, "made").unwrap();
    s.send("first").unwrap();
    let mut changed = s.wait_changed_async();
    let (counting, waker) = counting_waker();
    assert!(
        poll_once(&mut changed, &waker).is_pending(),
        "the current value does not count"
    );
    s.send("first").unwrap(); // the same value: no change
    assert_eq!(counting.woken(), 0);
    s.send("second").unwrap();
    assert!(counting.woken() > 0);
    assert_eq!(
        poll_once(&mut changed, &waker),
        Poll::Ready(Ok("second".to_owned()))
    );
}

#[test]
fn closing_a_state_channel_wakes_its_waiters_with_the_closed_error() {
    let ctx = context();
    let s = StateChannel::<String>::new(&ctx, "bye").unwrap();
    let (counting, waker) = counting_waker();
    let mut changed = s.wait_changed_async();
    let mut first = s.get_or_wait_async();
    assert!(poll_once(&mut changed, &waker).is_pending());
    assert!(poll_once(&mut first, &waker).is_pending());
    ctx.close_channels();
    assert_eq!(counting.woken(), 2, "each waiter is woken once");
    assert_eq!(poll_once(&mut changed, &waker), Poll::Ready(Err(RecvError)));
    assert_eq!(poll_once(&mut first, &waker), Poll::Ready(Err(RecvError)));
}

#[test]
fn a_call_is_awaited_on_every_executor() {
    for transport in TRANSPORTS {
        on_every_executor(move || async move {
            let (host, client) = (context(), context());
            let methods =
                Methods::new().method("add", |(x, y): (i64, i64)| Ok::<_, HandlerError>(x + y));
            let replier = RepChannel::new(&host, "calc")
                .unwrap()
                .spawn(methods)
                .unwrap();
            let req = ReqChannel::new(&client, "calc").unwrap();
            let _bound = join(&host, &client, transport).await;
            within(async {
                for i in 0..20 {
                    let call = req.call::<i64>("add", (i, 1)).unwrap();
                    assert_eq!(call.await, Ok(i + 1), "{transport:?}");
                }
            })
            .await;
            drop(replier);
        });
    }
}

#[test]
fn a_call_that_loses_a_select_by_reference_goes_on() {
    for transport in TRANSPORTS {
        on_every_executor(move || async move {
            let (host, client) = (context(), context());
            // The replier holds each call until released.
            let (release, released) = crossbeam_channel::unbounded::<()>();
            let methods = Methods::new().method("held", move |(x,): (i64,)| {
                released
                    .recv_timeout(DEADLINE)
                    .map_err(|_| HandlerError::msg("never released"))?;
                Ok::<_, HandlerError>(x + 4)
            });
            let replier = RepChannel::new(&host, "held")
                .unwrap()
                .spawn(methods)
                .unwrap();
            let req = ReqChannel::new(&client, "held").unwrap();
            let _bound = join(&host, &client, transport).await;
            let mut call = req.call::<i64>("held", (3,)).unwrap();
            for _ in 0..3 {
                tokio::select! {
                    biased;
                    result = &mut call => panic!("{transport:?}: ended while held: {result:?}"),
                    () = yield_once() => {}
                }
            }
            assert!(
                !call.is_cancelled(),
                "losing a select by reference cancels nothing"
            );
            release.send(()).unwrap();
            assert_eq!(within(call).await, Ok(7), "{transport:?}");
            drop(replier);
        });
    }
}

#[test]
fn wait_connected_async_ends_when_a_peer_connects_or_the_connection_closes() {
    for transport in TRANSPORTS {
        on_every_executor(move || async move {
            let (host, client) = (context(), context());
            let (bound, target) = bind(&host, transport);
            let mut connected = bound.wait_connected_async();
            assert!(poll_once(&mut connected, Waker::noop()).is_pending());
            let conn = client.connect(&target).unwrap();
            within(connected).await.expect("the peer came");
            assert!(bound.is_connected(), "{transport:?}");
            // Connected already: at once.
            within(conn.wait_connected_async()).await.unwrap();

            let (lonely, _) = bind(&host, transport);
            let waiting = lonely.wait_connected_async();
            lonely.close(None);
            let err = within(waiting).await.unwrap_err();
            assert!(matches!(err, Error::Closed { .. }), "{transport:?}: {err}");
        });
    }
}

#[test]
fn closed_async_resolves_after_the_signal_and_at_once_when_closed_already() {
    for transport in TRANSPORTS {
        on_every_executor(move || async move {
            let (host, client) = (context(), context());
            let (bound, target) = bind(&host, transport);
            let signalled = bound.closed().subscribe();
            let closed = bound.closed_async();
            let conn = client.connect(&target).unwrap();
            within(bound.wait_connected_async()).await.unwrap();
            conn.close(None);
            let event = within(closed).await;
            assert_eq!(event.reason, reason::CLOSED_FROM_OTHER_END, "{transport:?}");
            assert_eq!(event.connection.key(), bound.key());
            // The signal was emitted before the future resolved.
            assert!(signalled.try_recv().is_ok());
            let again = within(bound.closed_async()).await;
            assert_eq!(again.reason, event.reason);
            let own = within(conn.closed_async()).await;
            assert_eq!(own.reason, reason::CLOSED_ON_COMMAND);
        });
    }
}

#[test]
fn flush_async_waits_for_the_peer_and_times_out_without_one() {
    for transport in TRANSPORTS {
        on_every_executor(move || async move {
            let (host, client) = (context(), context());
            let out = PubChannel::<String>::new(&host, "flushed").unwrap();
            let sub = SubChannel::<String>::new(&client, "flushed").unwrap();
            let (bound, target) = bind(&host, transport);
            // Queued on the waiting connection: no peer writes it.
            out.send("waits").unwrap();
            let short = Duration::from_millis(200);
            match within(bound.flush_async(short)).await {
                Err(Error::Timeout { after, .. }) => assert_eq!(after, short),
                other => panic!("{transport:?}: {other:?}"),
            }
            // Waits on its thread until a peer comes and takes the package.
            let flushed = bound.flush_async(DEADLINE);
            client.connect(&target).unwrap();
            within(flushed).await.expect("written once the peer came");
            assert_eq!(within(sub.recv_async()).await.unwrap(), "waits");
            for i in 0..200 {
                out.send(&i.to_string()).unwrap();
            }
            within(host.flush_async(DEADLINE)).await.unwrap();
            bound.close(None);
            let err = within(bound.flush_async(DEADLINE)).await.unwrap_err();
            assert!(matches!(err, Error::Closed { .. }), "{transport:?}: {err}");
        });
    }
}

#[test]
fn the_futures_are_send_and_static_where_they_hold_a_connection() {
    fn check<T: Send + 'static>(_: &T) {}
    let ctx = context();
    let (bound, _) = bind(&ctx, Transport::Inproc);
    check(&bound.wait_connected_async());
    check(&bound.closed_async());
    check(&bound.flush_async(DEADLINE));
    check(&ctx.flush_async(DEADLINE));
    fn check_send<T: Send>(_: &T) {}
    let sub = SubChannel::<String>::new(&ctx, "send").unwrap();
    check_send(&sub.recv_async());
    check_send(&sub.recv_batch_async(1));
    let state = StateChannel::<String>::new(&ctx, "send").unwrap();
    check_send(&state.wait_changed_async());
}
