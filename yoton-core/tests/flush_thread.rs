//! A flush future that waits runs on a thread of its own: dropping the
//! future ends that thread, and a pending flush keeps neither its
//! connection nor its context alive.
//!
//! This file holds one test only: it counts the threads of its process.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::{Duration, Instant};

use yoton_core::{Context, Slot, reason};
use yoton_inproc::InprocTransport;

fn flush_threads() -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim() == "yoton-flush")
        .count()
}

fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !condition() {
        assert!(Instant::now() < deadline, "{what} did not happen in time");
        std::thread::yield_now();
    }
}

#[test]
fn a_dropped_or_orphaned_flush_ends_its_thread_and_holds_nothing() {
    let counted = std::path::Path::new("/proc/self/task").exists();
    let ctx = Context::new();
    ctx.register_transport(Arc::new(InprocTransport::new()));
    // A bound connection with no peer: what is sent waits on it.
    let bound = ctx.bind("inproc://flush-thread").unwrap();
    ctx.send(Slot::new(1234), "waits").unwrap();
    let mut cx = TaskContext::from_waker(Waker::noop());

    // Dropped while pending: its thread ends.
    {
        let mut flush = pin!(bound.flush_async(Duration::from_secs(3600)));
        assert!(flush.as_mut().poll(&mut cx).is_pending());
        if counted {
            // The thread names itself once it runs.
            wait_until("the flush's thread to start", || flush_threads() == 1);
        }
    }
    if counted {
        wait_until("the dropped flush's thread to end", || flush_threads() == 0);
    }

    // Pending while the context goes: the context is dropped all the same
    // (its connection closes), and the flush ends with the close.
    let mut flush = Box::pin(bound.flush_async(Duration::from_secs(3600)));
    assert!(flush.as_mut().poll(&mut cx).is_pending());
    let closed = bound.closed().subscribe();
    drop(ctx);
    let event = closed
        .recv_timeout(Duration::from_secs(20))
        .expect("dropping the context closed its connection");
    assert_eq!(event.reason, reason::CLOSED_BY_CONTEXT);
    wait_until("the orphaned flush to end", || {
        matches!(flush.as_mut().poll(&mut cx), Poll::Ready(Err(_)))
    });
    if counted {
        wait_until("its thread to end", || flush_threads() == 0);
    }
}
