//! Req/rep between Rust channels, over the in-process transport and TCP:
//! results, errors kept apart, cancel, timeouts, late and vanishing
//! repliers, balancing, floods, callbacks and `.await`.

use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender};
use yoton_channels::{
    CallError, HandlerError, Methods, Object, RepChannel, ReqChannel, Request, SlotName,
};
use yoton_core::{Connection, Context, Package};
use yoton_inproc::InprocTransport;
use yoton_tcp::TcpTransport;
use yoton_testkit::collect;
use yoton_testkit::wait::wait_until;

const SOON: Duration = Duration::from_secs(20);

fn context() -> Context {
    let ctx = Context::new();
    ctx.register_transport(Arc::new(InprocTransport::new()));
    ctx.register_transport(Arc::new(TcpTransport::new()));
    ctx
}

/// Joins `b` to `a` over `protocol` (`inproc` or `tcp`).
fn join(a: &Context, b: &Context, protocol: &str) -> Arc<dyn Connection> {
    let address = match protocol {
        "tcp" => "localhost:0",
        _ => "inproc://",
    };
    let bound = a.bind(address).expect("bind");
    let target = match protocol {
        "tcp" => format!("localhost:{}", bound.local_port()),
        _ => format!("inproc://{}", bound.local_host()),
    };
    let connecting = b.connect(&target).expect("connect");
    bound.wait_connected(SOON).expect("connected");
    connecting
}

fn calculator() -> Methods {
    Methods::new()
        .method("add", |(x, y): (i64, i64)| Ok::<_, HandlerError>(x + y))
        .method("echo", |(value,): (Object,)| Ok::<_, HandlerError>(value))
        .method("fail", |(why,): (String,)| {
            Err::<(), _>(HandlerError::msg(why))
        })
}

/// A handler that blocks each call until released, and says when it
/// started one.
fn gate() -> (
    impl Fn(&Request) -> Result<Object, HandlerError> + Send + 'static,
    Receiver<()>,
    Sender<()>,
) {
    let (started_tx, started) = crossbeam_channel::unbounded();
    let (release, released) = crossbeam_channel::unbounded::<()>();
    let handler = move |_: &Request| {
        let _ = started_tx.send(());
        released
            .recv_timeout(SOON)
            .map_err(|_| HandlerError::msg("never released"))?;
        Ok(Object::from("released"))
    };
    (handler, started, release)
}

fn both(test: impl Fn(&str)) {
    for protocol in ["inproc", "tcp"] {
        test(protocol);
    }
}

#[test]
fn calls_return_typed_and_dynamic_results() {
    both(|protocol| {
        let (a, b) = (context(), context());
        let _link = join(&a, &b, protocol);
        let _replier = RepChannel::new(&a, "calc")
            .unwrap()
            .spawn(calculator())
            .unwrap();
        let req = ReqChannel::new(&b, "calc").unwrap();
        let sum = req.call::<i64>("add", (40, 2)).unwrap();
        assert_eq!(sum.wait_timeout(SOON), Ok(42), "{protocol}");
        let value = Object::from((1, "two", 3.5, vec![Object::None, Object::Bool(true)]));
        let echoed = req.call::<Object>("echo", (value.clone(),)).unwrap();
        assert_eq!(echoed.wait_timeout(SOON), Ok(value), "{protocol}");
        assert_eq!(req.open_calls(), 0);
    });
}

#[test]
fn errors_are_kept_apart() {
    let (a, b) = (context(), context());
    let _link = join(&a, &b, "inproc");
    let replier = RepChannel::new(&a, "calc")
        .unwrap()
        .spawn(calculator())
        .unwrap();
    let req = ReqChannel::new(&b, "calc").unwrap();

    let failed = req.call::<()>("fail", ("on purpose",)).unwrap();
    assert_eq!(
        failed.wait_timeout(SOON),
        Err(CallError::Failed("on purpose\n".into()))
    );
    let unknown = req.call::<()>("nope", ()).unwrap();
    assert_eq!(
        unknown.wait_timeout(SOON),
        Err(CallError::Failed("Method 'nope' not implemented.\n".into()))
    );
    let bad_args = req.call::<i64>("add", ("x", 1)).unwrap();
    assert!(matches!(bad_args.wait_timeout(SOON), Err(CallError::Failed(m)) if m.contains("add")));
    let misfit = req.call::<String>("add", (1, 2)).unwrap();
    assert!(matches!(
        misfit.wait_timeout(SOON),
        Err(CallError::Decode(_))
    ));
    assert_eq!(replier.channel().served(), 4);
    assert_eq!(replier.channel().failed(), 3);

    // The replier still serves.
    let sum = req.call::<i64>("add", (1, 2)).unwrap();
    assert_eq!(sum.wait_timeout(SOON), Ok(3));

    // No replier on this slot: cancelled after the timeout.
    let lonely = ReqChannel::new(&b, "nobody").unwrap();
    lonely.set_timeout(Duration::from_millis(200));
    let started = Instant::now();
    let none = lonely.call::<()>("x", ()).unwrap();
    assert_eq!(none.wait_timeout(SOON), Err(CallError::NoReplier));
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(lonely.open_calls(), 0);

    // Closed.
    let closing = ReqChannel::new(&b, "closing").unwrap();
    let open = closing.call::<()>("x", ()).unwrap();
    closing.close();
    assert_eq!(open.wait_timeout(SOON), Err(CallError::Closed));
    assert!(matches!(
        closing.call::<()>("x", ()),
        Err(CallError::Closed)
    ));
}

#[test]
fn a_wait_that_ends_first_leaves_the_call_going() {
    let (a, b) = (context(), context());
    let _link = join(&a, &b, "inproc");
    let (handler, started, release) = gate();
    let _replier = RepChannel::new(&a, "slow").unwrap().spawn(handler).unwrap();
    let req = ReqChannel::new(&b, "slow").unwrap();
    let call = req.call::<String>("anything", ()).unwrap();
    started.recv_timeout(SOON).expect("the handler runs");
    wait_until("the call runs", || call.is_running());
    assert_eq!(
        call.wait_timeout(Duration::from_millis(10)),
        Err(CallError::Pending)
    );
    assert_eq!(call.try_result(), None);
    assert!(!call.cancel(), "a running call cannot be cancelled");
    release.send(()).unwrap();
    assert_eq!(call.wait_timeout(SOON), Ok("released".into()));
    assert!(call.is_done() && !call.is_running() && !call.is_cancelled());
}

#[test]
fn a_cancelled_call_never_reaches_a_replier() {
    let (a, b) = (context(), context());
    let _link = join(&a, &b, "inproc");
    let (handler, started, release) = gate();
    let replier = RepChannel::new(&a, "one").unwrap().spawn(handler).unwrap();
    let req = ReqChannel::new(&b, "one").unwrap();
    let first = req.call::<String>("first", ()).unwrap();
    started.recv_timeout(SOON).expect("the first runs");
    // The replier is busy: the second waits, and is cancelled.
    let second = req.call::<String>("second", ()).unwrap();
    wait_until("the second waits at the replier", || {
        replier.channel().waiting_pre_requests() == 1
    });
    assert!(second.cancel());
    assert!(second.is_cancelled());
    assert_eq!(second.wait_timeout(SOON), Err(CallError::Cancelled));
    wait_until("the replier forgot the cancelled one", || {
        replier.channel().waiting_pre_requests() == 0
    });
    release.send(()).unwrap();
    assert_eq!(first.wait_timeout(SOON), Ok("released".into()));
    // A third call runs next: the second never did.
    let third = req.call::<String>("third", ()).unwrap();
    started.recv_timeout(SOON).expect("the third runs");
    release.send(()).unwrap();
    assert_eq!(third.wait_timeout(SOON), Ok("released".into()));
    assert_eq!(replier.channel().served(), 2);
}

#[test]
fn a_replier_that_comes_late_gets_the_call_by_a_resend() {
    let (a, b) = (context(), context());
    let _link = join(&a, &b, "tcp");
    let req = ReqChannel::new(&b, "late").unwrap();
    let call = req.call::<i64>("add", (2, 2)).unwrap();
    // The first pre-request found no channel at `a`.
    wait_until("the first pre-request arrived", || {
        a.unrouted_packages() >= 1
    });
    let _replier = RepChannel::new(&a, "late")
        .unwrap()
        .spawn(calculator())
        .unwrap();
    assert_eq!(call.wait_timeout(SOON), Ok(4));
}

#[test]
fn a_replier_that_goes_away_mid_call_ends_it() {
    let (a, b) = (context(), context());
    let link = join(&a, &b, "tcp");
    let (handler, started, release) = gate();
    let _replier = RepChannel::new(&a, "gone").unwrap().spawn(handler).unwrap();
    let req = ReqChannel::new(&b, "gone").unwrap();
    let call = req.call::<String>("x", ()).unwrap();
    started.recv_timeout(SOON).expect("the call runs");
    link.close(Some("going away"));
    assert_eq!(call.wait_timeout(SOON), Err(CallError::NoReply));
    release.send(()).unwrap();
}

#[test]
fn a_reply_timeout_ends_a_call_a_replier_sits_on() {
    let (a, b) = (context(), context());
    let _link = join(&a, &b, "inproc");
    let (handler, started, release) = gate();
    let _replier = RepChannel::new(&a, "sits").unwrap().spawn(handler).unwrap();
    let req = ReqChannel::new(&b, "sits").unwrap();
    req.set_reply_timeout(Some(Duration::from_millis(100)));
    let call = req.call::<String>("x", ()).unwrap();
    started.recv_timeout(SOON).expect("the call runs");
    assert_eq!(call.wait_timeout(SOON), Err(CallError::NoReply));
    release.send(()).unwrap();
}

#[test]
fn a_requester_that_goes_away_mid_call_costs_the_replier_only_the_reply() {
    let (a, b, c) = (context(), context(), context());
    let _ab = join(&a, &b, "tcp");
    let _ac = join(&a, &c, "tcp");
    let (handler, started, release) = gate();
    let replier = RepChannel::new(&a, "work").unwrap().spawn(handler).unwrap();
    let leaving = ReqChannel::new(&b, "work").unwrap();
    let call = leaving.call::<String>("x", ()).unwrap();
    started.recv_timeout(SOON).expect("the call runs");
    drop(call);
    drop(leaving);
    b.close();
    release.send(()).unwrap();
    let staying = ReqChannel::new(&c, "work").unwrap();
    let next = staying.call::<String>("y", ()).unwrap();
    started.recv_timeout(SOON).expect("the next call runs");
    release.send(()).unwrap();
    assert_eq!(next.wait_timeout(SOON), Ok("released".into()));
    assert_eq!(replier.channel().served(), 2);
}

#[test]
fn a_panicking_handler_gives_an_error_and_the_replier_goes_on() {
    let (a, b) = (context(), context());
    let _link = join(&a, &b, "inproc");
    let handler = |request: &Request| -> Result<Object, HandlerError> {
        match request.method() {
            "panic" => panic!("deliberate"),
            _ => Ok(Object::from("fine")),
        }
    };
    let replier = RepChannel::new(&a, "p").unwrap().spawn(handler).unwrap();
    let req = ReqChannel::new(&b, "p").unwrap();
    let boom = req.call::<()>("panic", ()).unwrap();
    assert!(
        matches!(boom.wait_timeout(SOON), Err(CallError::Failed(m)) if m.contains("deliberate"))
    );
    let fine = req.call::<String>("other", ()).unwrap();
    assert_eq!(fine.wait_timeout(SOON), Ok("fine".into()));
    assert_eq!(replier.channel().failed(), 1);
}

#[test]
fn three_repliers_share_600_calls_from_two_requesters_each_answered_once() {
    let hub = context();
    let repliers: Vec<Context> = (0..3).map(|_| context()).collect();
    let requesters: Vec<Context> = (0..2).map(|_| context()).collect();
    let _links: Vec<_> = repliers
        .iter()
        .chain(&requesters)
        .map(|c| join(&hub, c, "tcp"))
        .collect();
    let served: Arc<Mutex<HashMap<i64, usize>>> = Arc::default();
    let _servers: Vec<_> = repliers
        .iter()
        .enumerate()
        .map(|(i, ctx)| {
            let served = Arc::clone(&served);
            let me = i as i64;
            let methods = Methods::new().method("who", move |(n,): (i64,)| {
                *served.lock().unwrap().entry(n).or_insert(0) += 1;
                Ok::<_, HandlerError>((me, n))
            });
            RepChannel::new(ctx, "pool")
                .unwrap()
                .spawn(methods)
                .unwrap()
        })
        .collect();
    let callers: Vec<_> = requesters
        .iter()
        .enumerate()
        .map(|(r, ctx)| {
            let req = ReqChannel::new(ctx, "pool").unwrap();
            // 300 calls at once wait their turn at three repliers: give
            // the last ones longer than the default 10 s to be taken, as
            // a loaded machine needs.
            req.set_timeout(Duration::from_secs(120));
            std::thread::spawn(move || {
                let calls: Vec<_> = (0..300)
                    .map(|k| {
                        let n = (r * 1000 + k) as i64;
                        (n, req.call::<(i64, i64)>("who", (n,)).unwrap())
                    })
                    .collect();
                calls
                    .into_iter()
                    .map(|(n, call)| {
                        let (replier, echoed) = call
                            .wait_timeout(Duration::from_secs(120))
                            .expect("answered");
                        assert_eq!(echoed, n);
                        replier
                    })
                    .collect::<Vec<i64>>()
            })
        })
        .collect();
    let mut by_replier = [0usize; 3];
    for caller in callers {
        for replier in caller.join().expect("a caller") {
            by_replier[replier as usize] += 1;
        }
    }
    assert_eq!(by_replier.iter().sum::<usize>(), 600);
    assert!(by_replier.iter().all(|&n| n > 0), "{by_replier:?}");
    let served = served.lock().unwrap();
    assert_eq!(served.len(), 600);
    assert!(served.values().all(|&times| times == 1));
}

#[test]
fn a_flood_of_pre_requests_is_bounded_and_counted() {
    let (a, b) = (context(), context());
    let _link = join(&a, &b, "inproc");
    let (handler, started, release) = gate();
    let replier = RepChannel::new(&a, "flood")
        .unwrap()
        .spawn(handler)
        .unwrap();
    let req = ReqChannel::new(&b, "flood").unwrap();
    let busy = req.call::<String>("x", ()).unwrap();
    started.recv_timeout(SOON).expect("busy");
    // Raw pre-requests from `b`, as a misbehaving requester sends them.
    let slot = SlotName::new("flood", "obj", "req-rep").slot();
    for id in 1..=5000u64 {
        let mut package = Package::new(slot, Bytes::from_static(b"req?"));
        package.dest_seq = (1 << 63) + 1_000_000 + id;
        b.send_package(package).unwrap();
    }
    wait_until("the flood arrived", || {
        replier.channel().waiting_pre_requests() as u64 + replier.channel().dropped_pre_requests()
            == 5000
    });
    assert!(replier.channel().waiting_pre_requests() <= 1024);
    assert!(replier.channel().dropped_pre_requests() >= 5000 - 1024);
    release.send(()).unwrap();
    assert_eq!(busy.wait_timeout(SOON), Ok("released".into()));
}

#[test]
fn callbacks_run_when_done_and_at_once_when_already_done() {
    let (a, b) = (context(), context());
    let _link = join(&a, &b, "inproc");
    let _replier = RepChannel::new(&a, "cb")
        .unwrap()
        .spawn(calculator())
        .unwrap();
    let req = ReqChannel::new(&b, "cb").unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let call = req.call::<i64>("add", (1, 1)).unwrap();
    let first = tx.clone();
    call.on_done(move |r| first.send(("before", r)).unwrap());
    assert_eq!(call.wait_timeout(SOON), Ok(2));
    assert_eq!(rx.recv_timeout(SOON).unwrap(), ("before", Ok(2)));
    call.on_done(move |r| tx.send(("after", r)).unwrap());
    assert_eq!(rx.try_recv().unwrap(), ("after", Ok(2)));
}

/// The least executor: polls on this thread, parks until woken.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread, AtomicUsize);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.1.fetch_add(1, Ordering::SeqCst);
            self.0.unpark();
        }
    }
    let unpark = Arc::new(Unpark(std::thread::current(), AtomicUsize::new(0)));
    let waker = Waker::from(Arc::clone(&unpark));
    let mut cx = TaskContext::from_waker(&waker);
    let mut future = pin!(future);
    let deadline = Instant::now() + SOON;
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        assert!(Instant::now() < deadline, "the future never woke");
        std::thread::park_timeout(Duration::from_millis(100));
    }
}

#[test]
fn a_call_can_be_awaited() {
    let (a, b) = (context(), context());
    let _link = join(&a, &b, "tcp");
    let _replier = RepChannel::new(&a, "async")
        .unwrap()
        .spawn(calculator())
        .unwrap();
    let req = ReqChannel::new(&b, "async").unwrap();
    let sum = block_on(async {
        let x = req.call::<i64>("add", (1, 2)).unwrap().await?;
        req.call::<i64>("add", (x, 10)).unwrap().await
    });
    assert_eq!(sum, Ok(13));
}

#[test]
fn a_replier_served_by_hand_answers_one_call_at_a_time() {
    let (a, b) = (context(), context());
    let _link = join(&a, &b, "inproc");
    let rep = RepChannel::new(&a, "byhand").unwrap();
    let req = ReqChannel::new(&b, "byhand").unwrap();
    let methods = calculator();
    assert_eq!(
        rep.serve_one(&methods, Duration::from_millis(10)),
        Err(yoton_channels::RecvTimeoutError::Timeout)
    );
    let calls: Vec<_> = (0..5)
        .map(|i| req.call::<i64>("add", (i, i)).unwrap())
        .collect();
    for _ in 0..5 {
        rep.serve_one(&methods, SOON).expect("a call");
    }
    let results: Vec<i64> = calls
        .iter()
        .map(|c| c.wait_timeout(SOON).expect("answered"))
        .collect();
    assert_eq!(results, [0, 2, 4, 6, 8]);
    rep.close();
    assert_eq!(
        rep.serve_one(&methods, SOON),
        Err(yoton_channels::RecvTimeoutError::Closed)
    );
}

/// What arrives on the incoming `slot` of `ctx`, package by package.
fn raw(ctx: &Context, slot: yoton_core::Slot) -> Receiver<Package> {
    let (endpoint, packages) = collect::Collect::with_map(|d| d.package);
    ctx.register_endpoint(yoton_core::Direction::Incoming, slot, "raw", endpoint)
        .unwrap();
    packages
}

fn unhex(text: &str) -> Vec<u8> {
    hex::decode(text).expect("hex")
}

/// The five packages of a real `signature('f')` call to a Pyzo kernel:
/// our requester sends the reference's three, and takes its reply, when a
/// raw replier plays the kernel's part with the kernel's bytes.
#[test]
fn a_call_is_the_packages_the_reference_exchanges_with_a_pyzo_kernel() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/reqrep_vectors.json"
    );
    let vectors: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("vectors")).expect("json");
    let packages = vectors["reqrep_signature_call"]["packages"]
        .as_array()
        .expect("packages");
    let field = |i: usize, name: &str| packages[i][name].as_u64().expect(name);
    let data = |i: usize| unhex(packages[i]["data_hex"].as_str().expect("data_hex"));

    let (ide, kernel) = (context(), context());
    let _link = join(&kernel, &ide, "inproc");
    let req_rep = SlotName::new("reqp-introspect", "obj", "req-rep").slot();
    assert_eq!(req_rep.get(), field(0, "slot"));
    let from_ide = raw(&kernel, req_rep);
    let introspect = ReqChannel::new(&ide, "reqp-introspect").unwrap();
    let call = introspect.call::<String>("signature", ("f",)).unwrap();

    // 1: req?, broadcast.
    let ask = from_ide.recv_timeout(SOON).expect("req?");
    assert_eq!(
        (ask.dest_id, ask.dest_seq),
        (field(0, "dest_id"), field(0, "dest_seq"))
    );
    assert_eq!(ask.data.as_ref(), data(0));
    // 2: the kernel's req!, directed.
    let rep_req = SlotName::new("reqp-introspect", "obj", "rep-req").slot();
    assert_eq!(rep_req.get(), field(1, "slot"));
    let mut ack = Package::new(rep_req, data(1));
    ack.dest_id = ide.id().get();
    ack.dest_seq = field(1, "dest_seq");
    kernel.send_package(ack).unwrap();
    // 3: the request, directed at the kernel; 4: req-, broadcast.
    let request = from_ide.recv_timeout(SOON).expect("the request");
    assert_eq!(request.dest_id, kernel.id().get());
    assert_eq!(request.dest_seq, field(2, "dest_seq"));
    assert_eq!(request.data.as_ref(), data(2));
    let done = from_ide.recv_timeout(SOON).expect("req-");
    assert_eq!(
        (done.dest_id, done.dest_seq),
        (field(3, "dest_id"), field(3, "dest_seq"))
    );
    assert_eq!(done.data.as_ref(), data(3));
    // 5: the kernel's reply.
    let mut reply = Package::new(rep_req, data(4));
    reply.dest_id = ide.id().get();
    reply.dest_seq = field(4, "dest_seq");
    kernel.send_package(reply).unwrap();
    assert_eq!(call.wait_timeout(SOON), Ok("f(n)".to_owned()));
    assert!(from_ide.try_recv().is_err(), "nothing more");
}

/// The reference's error reply is our error reply, byte for byte.
#[test]
fn an_error_reply_is_the_reference_bytes() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/reqrep_vectors.json"
    );
    let vectors: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("vectors")).expect("json");
    let expected = unhex(vectors["reqrep_error_reply_hex"].as_str().expect("hex"));
    let (a, b) = (context(), context());
    let _link = join(&a, &b, "inproc");
    let rep_req = SlotName::new("fails", "obj", "rep-req").slot();
    let replies = raw(&b, rep_req);
    let failing = |_: &Request| -> Result<Object, HandlerError> {
        Err(HandlerError::msg("deliberate failure (1,)"))
    };
    let _replier = RepChannel::new(&a, "fails")
        .unwrap()
        .spawn(failing)
        .unwrap();
    // A raw requester: req?, then the request once acknowledged.
    let req_rep = SlotName::new("fails", "obj", "req-rep").slot();
    let mut ask = Package::new(req_rep, Bytes::from_static(b"req?"));
    ask.dest_seq = (1 << 63) + 1;
    b.send_package(ask).unwrap();
    let ack = replies.recv_timeout(SOON).expect("req!");
    assert_eq!(ack.data.as_ref(), b"req!");
    assert_eq!((ack.dest_id, ack.dest_seq), (b.id().get(), (1 << 63) + 1));
    let mut request = Package::new(
        req_rep,
        Object::from(("f", Object::tuple([]), yoton_channels::Dict::new()))
            .to_bytes()
            .unwrap(),
    );
    request.dest_id = a.id().get();
    request.dest_seq = 1;
    b.send_package(request).unwrap();
    let reply = replies.recv_timeout(SOON).expect("the reply");
    assert_eq!((reply.dest_id, reply.dest_seq), (b.id().get(), 1));
    assert_eq!(reply.data.as_ref(), expected);
}

#[test]
fn timeouts_too_long_for_the_clock_mean_no_end_not_a_panic() {
    let (a, b) = (context(), context());
    let _link = join(&a, &b, "inproc");
    let _replier = RepChannel::new(&a, "long")
        .unwrap()
        .spawn(calculator())
        .unwrap();
    let req = ReqChannel::new(&b, "long").unwrap();
    req.set_timeout(Duration::MAX);
    req.set_reply_timeout(Some(Duration::MAX));
    let sum = req
        .call_with::<i64>("add", (1, 2), (), Duration::MAX)
        .unwrap();
    assert_eq!(sum.wait_timeout(Duration::MAX), Ok(3));
}
