//! Req/rep against the Python reference (yoton from `pyzo==4.22.0`) over
//! TCP, both ways round: results of every OBJECT kind, errors, no
//! replier, a replier that comes late, a replier that closes mid-call,
//! and three repliers of both languages sharing the calls of two
//! requesters.
//!
//! The Python side is `tests/python/reqrep_peer.py`, run by `yoton-pyref`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use yoton_channels::{CallError, Dict, HandlerError, Methods, Object, RepChannel, ReqChannel};
use yoton_core::{Connection, Context};
use yoton_pyref::PyPeer;
use yoton_tcp::TcpTransport;
use yoton_testkit::wait::wait_until;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/reqrep_peer.py");
const SOON: Duration = Duration::from_secs(20);
const PEER_LIFE: Duration = Duration::from_secs(120);

fn context() -> Context {
    let ctx = Context::new();
    ctx.register_transport(Arc::new(TcpTransport::new()));
    ctx
}

fn hex(data: &[u8]) -> String {
    hex::encode(data)
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex")
}

/// A Python peer that connects to `ctx`, which binds.
fn python_connects(ctx: &Context) -> (PyPeer, Arc<dyn Connection>) {
    let bound = ctx.bind("localhost:0").unwrap();
    let address = format!("localhost:{}", bound.local_port());
    let mut peer = PyPeer::spawn(
        SCRIPT,
        &["--role", "connect", "--address", &address],
        PEER_LIFE,
    )
    .unwrap();
    peer.expect("CONNECTED", SOON).unwrap();
    bound.wait_connected(SOON).unwrap();
    (peer, bound)
}

/// A Python peer that binds; `ctx` connects to it.
fn python_binds(ctx: &Context) -> (PyPeer, Arc<dyn Connection>) {
    let mut peer = PyPeer::spawn(
        SCRIPT,
        &["--role", "bind", "--address", "localhost:0"],
        PEER_LIFE,
    )
    .unwrap();
    let port = peer.expect("BOUND", SOON).unwrap().remove(0);
    let conn = ctx.connect(&format!("localhost:{port}")).unwrap();
    peer.expect("CONNECTED", SOON).unwrap();
    (peer, conn)
}

fn command(peer: &mut PyPeer, line: &str) {
    peer.send_line(line).unwrap();
    let op = line.split(' ').next().unwrap();
    let said = peer.expect("OK", SOON).unwrap();
    assert_eq!(said, [op], "after {line}");
}

/// What a Python call ended with.
#[derive(Debug, PartialEq)]
enum PyOutcome {
    Result(Object),
    Raised(String, String),
}

/// Has the Python peer call `method` on `name` and wait for its end.
fn python_calls(
    peer: &mut PyPeer,
    name: &str,
    method: &str,
    args: Object,
    timeout: f64,
) -> PyOutcome {
    let args = hex(&args.to_bytes().unwrap());
    let kwargs = hex(&Object::dict().to_bytes().unwrap());
    peer.send_line(&format!("call {name} {method} {args} {kwargs} {timeout}"))
        .unwrap();
    python_outcome(peer)
}

fn python_outcome(peer: &mut PyPeer) -> PyOutcome {
    loop {
        let line = peer.next_line(Duration::from_secs(60)).unwrap();
        let parts: Vec<&str> = line.split(' ').collect();
        match parts.as_slice() {
            ["RESULT", value] => {
                return PyOutcome::Result(Object::from_bytes(&unhex(value)).unwrap());
            }
            ["RAISED", class, message] => {
                let message = Object::from_bytes(&unhex(message)).unwrap();
                return PyOutcome::Raised(
                    class.to_string(),
                    message.as_str().unwrap_or_default().to_owned(),
                );
            }
            ["ERROR", ..] => panic!("the Python peer failed: {line}\n{}", peer.stderr()),
            _ => {}
        }
    }
}

/// One value of every OBJECT kind, nested ones and edge values included.
fn values() -> Vec<Object> {
    let mut dict = Dict::new();
    dict.insert("key", 1);
    dict.insert(2, "int key");
    dict.insert(Object::from((1, "tuple key")), Object::list([Object::None]));
    dict.insert(Object::Bool(true), Object::dict());
    vec![
        Object::None,
        Object::Bool(true),
        Object::Bool(false),
        Object::Int(0),
        Object::Int(i64::MIN),
        Object::Int(i64::MAX),
        Object::Float(-0.0),
        Object::Float(1.5e300),
        Object::Float(f64::INFINITY),
        Object::from(""),
        Object::from("héllo, wörld ✓"),
        Object::from("x".repeat(300)),
        Object::list([]),
        Object::tuple([]),
        Object::dict(),
        Object::list([
            Object::from(1),
            Object::from("two"),
            Object::tuple([Object::Float(3.0)]),
        ]),
        Object::Dict(dict),
    ]
}

fn rust_methods() -> Methods {
    Methods::new()
        .method("same", |(x,): (Object,)| Ok::<_, HandlerError>(x))
        .method("add", |(a, b): (i64, i64)| Ok::<_, HandlerError>(a + b))
        .method("fail", |(why,): (String,)| {
            Err::<(), _>(HandlerError::msg(why))
        })
}

#[test]
fn python_calls_a_rust_replier() {
    let ctx = context();
    let (mut py, _link) = python_connects(&ctx);
    let _replier = RepChannel::new(&ctx, "calc")
        .unwrap()
        .spawn(rust_methods())
        .unwrap();
    for value in values() {
        let got = python_calls(
            &mut py,
            "calc",
            "same",
            Object::tuple([value.clone()]),
            10.0,
        );
        assert_eq!(got, PyOutcome::Result(value.clone()), "for {value}");
    }
    assert_eq!(
        python_calls(&mut py, "calc", "add", Object::from((40, 2)), 10.0),
        PyOutcome::Result(Object::Int(42))
    );
    // Errors: the reference raises an Exception with our message.
    assert_eq!(
        python_calls(&mut py, "calc", "fail", Object::from(("on purpose",)), 10.0),
        PyOutcome::Raised("Exception".into(), "on purpose\n".into())
    );
    assert_eq!(
        python_calls(&mut py, "calc", "nope", Object::tuple([]), 10.0),
        PyOutcome::Raised(
            "Exception".into(),
            "Method 'nope' not implemented.\n".into()
        )
    );
    // No replier: the reference cancels after its timeout.
    assert_eq!(
        python_calls(&mut py, "nobody", "x", Object::tuple([]), 0.5),
        PyOutcome::Raised(
            "CancelledError".into(),
            "Result unavailable because request was cancelled.".into()
        )
    );
}

#[test]
fn a_rust_replier_that_comes_late_is_found_by_python_resends() {
    let ctx = context();
    let (mut py, _link) = python_connects(&ctx);
    let unrouted = ctx.unrouted_packages();
    let args = hex(&Object::from((2, 3)).to_bytes().unwrap());
    let kwargs = hex(&Object::dict().to_bytes().unwrap());
    py.send_line(&format!("call late add {args} {kwargs} 10"))
        .unwrap();
    wait_until("the first pre-request found no channel", || {
        ctx.unrouted_packages() > unrouted
    });
    let _replier = RepChannel::new(&ctx, "late")
        .unwrap()
        .spawn(rust_methods())
        .unwrap();
    assert_eq!(python_outcome(&mut py), PyOutcome::Result(Object::Int(5)));
}

#[test]
fn rust_calls_a_python_replier() {
    let ctx = context();
    let (mut py, _link) = python_binds(&ctx);
    command(&mut py, "rep calc py");
    let req = ReqChannel::new(&ctx, "calc").unwrap();
    for value in values() {
        let call = req.call::<Object>("same", (value.clone(),)).unwrap();
        assert_eq!(call.wait_timeout(SOON), Ok(value.clone()), "for {value}");
    }
    let sum = req.call::<i64>("add", (40, 2)).unwrap();
    assert_eq!(sum.wait_timeout(SOON), Ok(42));
    // A ValueError: the reference sends its message and no location.
    let failed = req.call::<()>("fail", ("on purpose",)).unwrap();
    assert_eq!(
        failed.wait_timeout(SOON),
        Err(CallError::Failed("on purpose\n".into()))
    );
    let unknown = req.call::<()>("nope", ()).unwrap();
    assert!(
        matches!(unknown.wait_timeout(SOON), Err(CallError::Failed(m)) if m.starts_with("Method 'nope' not implemented.\n")),
    );
    // The reference's own default method.
    let echo = req.call::<(String, String)>("echo", ("hi",)).unwrap();
    let (echoed, id) = echo.wait_timeout(SOON).unwrap();
    assert_eq!(echoed, "hi");
    assert!(id.starts_with("0x"), "{id}");
    // No replier.
    let lonely = ReqChannel::new(&ctx, "nobody").unwrap();
    lonely.set_timeout(Duration::from_millis(300));
    let none = lonely.call::<()>("x", ()).unwrap();
    assert_eq!(none.wait_timeout(SOON), Err(CallError::NoReplier));
}

#[test]
fn a_python_replier_that_comes_late_is_found_by_resends() {
    let ctx = context();
    let (mut py, _link) = python_binds(&ctx);
    let req = ReqChannel::new(&ctx, "late").unwrap();
    let call = req.call::<i64>("add", (2, 3)).unwrap();
    ctx.flush(SOON).unwrap();
    command(&mut py, "rep late py");
    assert_eq!(call.wait_timeout(SOON), Ok(5));
}

#[test]
fn a_python_replier_that_closes_mid_call_leaves_a_reply_timeout() {
    let ctx = context();
    let (mut py, _link) = python_binds(&ctx);
    command(&mut py, "rep slow py");
    let req = ReqChannel::new(&ctx, "slow").unwrap();
    req.set_reply_timeout(Some(Duration::from_secs(1)));
    let call = req.call::<String>("gate", ()).unwrap();
    wait_until("the Python replier took it", || call.is_running());
    command(&mut py, "closerep slow");
    command(&mut py, "release");
    assert_eq!(call.wait_timeout(SOON), Err(CallError::NoReply));
}

#[test]
fn a_rust_replier_that_closes_mid_call_leaves_python_waiting_as_the_reference_does() {
    let ctx = context();
    let (mut py, _link) = python_connects(&ctx);
    let (started_tx, started) = crossbeam_channel::unbounded();
    let (release, released) = crossbeam_channel::unbounded::<()>();
    let gate = move |_: &yoton_channels::Request| {
        let _ = started_tx.send(());
        let _ = released.recv_timeout(SOON);
        Ok(Object::from("released"))
    };
    let replier = RepChannel::new(&ctx, "slow").unwrap().spawn(gate).unwrap();
    let args = hex(&Object::tuple([]).to_bytes().unwrap());
    let kwargs = hex(&Object::dict().to_bytes().unwrap());
    // Python waits 3 s for the result.
    py.send_line(&format!("call slow gate {args} {kwargs} 0.5 3"))
        .unwrap();
    started.recv_timeout(SOON).expect("the call runs");
    replier.channel().close();
    release.send(()).unwrap();
    // Acknowledged, so never auto-cancelled; no reply comes.
    assert_eq!(
        python_outcome(&mut py),
        PyOutcome::Raised(
            "TimeoutError".into(),
            "Result unavailable within the specified time.".into()
        )
    );
}

#[test]
fn three_repliers_of_both_languages_share_300_calls_from_two_requesters() {
    let hub = context();
    let (mut py, _pylink) = python_connects(&hub);
    let rust_repliers: Vec<Context> = (0..2).map(|_| context()).collect();
    let rust_requester = context();
    let links: Vec<_> = rust_repliers
        .iter()
        .chain([&rust_requester])
        .map(|c| {
            let bound = hub.bind("localhost:0").unwrap();
            let conn = c
                .connect(&format!("localhost:{}", bound.local_port()))
                .unwrap();
            bound.wait_connected(SOON).unwrap();
            conn
        })
        .collect();
    let answered: Arc<Mutex<HashMap<i64, usize>>> = Arc::default();
    let _servers: Vec<_> = rust_repliers
        .iter()
        .enumerate()
        .map(|(i, ctx)| {
            let answered = Arc::clone(&answered);
            let tag = format!("rust{i}");
            let methods = Methods::new().method("who", move |(n,): (i64,)| {
                *answered.lock().unwrap().entry(n).or_insert(0) += 1;
                // Work that takes a moment, so that the repliers take turns.
                std::thread::sleep(Duration::from_millis(1));
                Ok::<_, HandlerError>((tag.clone(), n))
            });
            RepChannel::new(ctx, "pool")
                .unwrap()
                .spawn(methods)
                .unwrap()
        })
        .collect();
    command(&mut py, "rep pool py");
    let req = ReqChannel::new(&rust_requester, "pool").unwrap();
    // 150 calls at once wait their turn: longer than the default 10 s.
    req.set_timeout(Duration::from_secs(120));
    // Python's 150 calls, 20 at a time, while Rust makes its 150 at once.
    py.send_line("many pool 150 1000").unwrap();
    let calls: Vec<_> = (0..150i64)
        .map(|n| (n, req.call::<(String, i64)>("who", (n,)).unwrap()))
        .collect();
    let mut by_replier: HashMap<String, usize> = HashMap::new();
    for (n, call) in calls {
        let (tag, echoed) = call
            .wait_timeout(Duration::from_secs(120))
            .expect("answered");
        assert_eq!(echoed, n);
        *by_replier.entry(tag).or_insert(0) += 1;
    }
    loop {
        let line = py.next_line(Duration::from_secs(60)).unwrap();
        let parts: Vec<&str> = line.split(' ').collect();
        match parts.as_slice() {
            ["ANSWERED", tag, count] => {
                *by_replier.entry(tag.to_string()).or_insert(0) += count.parse::<usize>().unwrap();
            }
            ["OK", "many"] => break,
            ["ERROR", ..] => panic!("the Python requester failed: {line}\n{}", py.stderr()),
            _ => {}
        }
    }
    assert_eq!(by_replier.values().sum::<usize>(), 300, "{by_replier:?}");
    for tag in ["rust0", "rust1", "py"] {
        assert!(
            by_replier.get(tag).copied().unwrap_or(0) > 0,
            "{tag} answered none: {by_replier:?}"
        );
    }
    // Each call handled once: Rust's handlers saw each number once, and
    // Python's replier handled exactly the rest.
    let rust_handled: usize = answered.lock().unwrap().values().sum();
    assert!(answered.lock().unwrap().values().all(|&times| times == 1));
    py.send_line("served pool").unwrap();
    let served = py.expect("SERVED", SOON).unwrap();
    let py_handled: usize = served[1].parse().unwrap();
    assert_eq!(rust_handled + py_handled, 300);
    drop(links);
}
