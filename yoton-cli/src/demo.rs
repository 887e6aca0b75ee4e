//! `yoton demo`: a guided tour in one process. Two contexts meet over TCP
//! on the loopback interface (a free port), exchange messages on a pub/sub
//! channel and a state channel, show what a connection knows about its
//! peer, measure a short burst, and close, reporting the `closed` events.
//!
//! Every step says in plain words what happens; everything is printed on
//! stdout. Every wait has a deadline, so the tour cannot hang.

use std::thread;
use std::time::{Duration, Instant};

use yoton::channels::SubOptions;
use yoton::{PubChannel, StateChannel, SubChannel};

use crate::failure::Failure;
use crate::session::{self, Arrival};

/// How long any one step may wait for the network.
const STEP_DEADLINE: Duration = Duration::from_secs(10);

/// Messages in the throughput burst, and their size.
const BURST: usize = 100_000;
const BURST_SIZE: usize = 8;

/// Runs `yoton demo`.
pub(crate) fn run() -> Result<(), Failure> {
    fn fail<E: std::fmt::Display>(what: &str) -> impl Fn(E) -> Failure {
        let what = what.to_owned();
        move |e: E| Failure::error(format!("{what}: {e}"))
    }

    step("1. Two contexts");
    let alice = yoton::context();
    let bob = yoton::context();
    say(&format!(
        "A context is a node of a yoton network. This process makes two: \
         alice (id {}) and bob (id {}). In real use they live in different \
         processes or on different machines.",
        alice.id(),
        bob.id()
    ));

    step("2. Channels");
    let news_out = PubChannel::<String>::new(&alice, "news").map_err(fail("pub channel"))?;
    let news_in = SubChannel::<String>::new(&bob, "news").map_err(fail("sub channel"))?;
    say(
        "Alice opens a pub channel named \"news\", bob a sub channel of the same \
         name. The name and the message type (txt) make the slot that links them; \
         Python's yoton.SubChannel(ctx, \"news\") would receive them too.",
    );

    step("3. Bind and connect");
    let hosting = alice.bind("localhost:0")?;
    say(&format!(
        "Alice binds on localhost port 0, so the system picks a free port: she \
         waits on tcp://{}:{}.",
        hosting.local_host(),
        hosting.local_port()
    ));
    let host_closed = hosting.closed().subscribe();
    let connection = bob.connect(&format!("localhost:{}", hosting.local_port()))?;
    let bob_closed = connection.closed().subscribe();
    let timeouts = connection.timedout().subscribe();
    say("Bob connects to that port. The handshake exchanges context ids and process ids.");

    step("4. What a connection knows");
    say(&format!(
        "state {:?}; this end {}:{}, the other end {}:{}; id1 {} (bob), id2 {} (alice); \
         pid1 {}, pid2 {}; timeout {:?} (after this much silence it emits `timedout`).",
        connection.state(),
        connection.local_host(),
        connection.local_port(),
        connection.peer_host(),
        connection.peer_port(),
        connection.local_id(),
        connection
            .peer_id()
            .map_or_else(|| "?".to_owned(), |id| id.to_string()),
        connection.local_pid(),
        connection
            .peer_pid()
            .map_or_else(|| "?".to_owned(), |pid| pid.to_string()),
        connection.timeout(),
    ));
    // Alice's side finishes the handshake on its own thread, a moment after
    // bob's `connect` returns.
    let arrival = session::wait_for_peer(&hosting, Some(Instant::now() + STEP_DEADLINE));
    if arrival != Arrival::Connected {
        return Err(Failure::error(format!(
            "alice's side did not see bob arrive: {arrival:?}"
        )));
    }
    say(&format!(
        "On alice's side the same link is {:?}: she hosts the connection, bob is connected to \
         it. Her end sees bob at {}:{}.",
        hosting.state(),
        hosting.peer_host(),
        hosting.peer_port()
    ));

    step("5. Publish and subscribe");
    for text in ["hello bob", "the weather is fine", "bye for now"] {
        news_out.send(text).map_err(fail("send"))?;
        say(&format!("alice sends {text:?}"));
    }
    for _ in 0..3 {
        let text = news_in
            .recv_timeout(STEP_DEADLINE)
            .map_err(fail("receive"))?;
        say(&format!("bob receives {text:?}"));
    }

    step("6. A state channel");
    let status_out =
        StateChannel::<String>::new(&alice, "status").map_err(fail("state channel"))?;
    let status_in = StateChannel::<String>::new(&bob, "status").map_err(fail("state channel"))?;
    for value in ["starting", "loading", "ready"] {
        status_out.send(value).map_err(fail("send state"))?;
    }
    say("Alice sets her status three times: starting, loading, ready.");
    let latest = wait_for_state(&status_in, "ready")?;
    say(&format!(
        "Bob reads the status: {latest:?}. A state channel keeps only the latest value, \
         and sends it again to every context that joins later."
    ));

    step("7. A short burst");
    let burst_out = PubChannel::<Vec<u8>>::new(&alice, "burst").map_err(fail("pub channel"))?;
    let burst_in =
        SubChannel::<Vec<u8>>::with_options(&bob, "burst", SubOptions::new().capacity(BURST))
            .map_err(fail("sub channel"))?;
    let (count, elapsed) = burst(&burst_out, &burst_in)?;
    let seconds = elapsed.as_secs_f64().max(1e-9);
    say(&format!(
        "Alice sends {BURST} messages of {BURST_SIZE} bytes, bob receives {count} of them in \
         {:.3} s: {:.0} messages per second (one run, not a benchmark).",
        seconds,
        count as f64 / seconds
    ));

    step("8. Events and closing");
    let silent = timeouts.try_iter().count();
    say(&format!(
        "The connection emitted `timedout` {silent} times so far: heartbeats keep a quiet \
         link alive, and `timedout` fires only when the other side goes silent."
    ));
    connection.close(None);
    let on_bob = bob_closed
        .recv_timeout(STEP_DEADLINE)
        .map_err(|_| Failure::error("bob's `closed` event did not come"))?;
    let on_alice = host_closed
        .recv_timeout(STEP_DEADLINE)
        .map_err(|_| Failure::error("alice's `closed` event did not come"))?;
    say(&format!(
        "Bob closes his connection. His `closed` event says {:?}; alice's says {:?}.",
        on_bob.reason.as_str(),
        on_alice.reason.as_str()
    ));
    alice.close();
    bob.close();
    say("Done. Next: `yoton sub --help` and `yoton pub --help` to do the same between shells.");
    Ok(())
}

/// Sends the burst from a thread of its own and counts what arrives.
fn burst(
    out: &PubChannel<Vec<u8>>,
    sub: &SubChannel<Vec<u8>>,
) -> Result<(usize, Duration), Failure> {
    let start = Instant::now();
    let sent = thread::scope(|scope| {
        let sender = thread::Builder::new()
            .name("yoton-demo-send".to_owned())
            .spawn_scoped(scope, || {
                let message = [7u8; BURST_SIZE];
                for _ in 0..BURST {
                    out.send(&message)?;
                }
                Ok::<(), yoton::ChannelError>(())
            })
            .map_err(|e| Failure::error(format!("cannot start a thread: {e}")))?;
        let mut count = 0;
        let deadline = start + STEP_DEADLINE;
        while count < BURST {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            match sub.recv_timeout(deadline - now) {
                Ok(_) => count += 1,
                Err(_) => break,
            }
        }
        let joined = sender
            .join()
            .map_err(|_| Failure::error("the sending thread failed"))?;
        joined.map_err(Failure::error)?;
        Ok::<usize, Failure>(count)
    })?;
    Ok((sent, start.elapsed()))
}

/// Reads a state channel until it shows `want`, or fails after the step
/// deadline.
fn wait_for_state(channel: &StateChannel<String>, want: &str) -> Result<String, Failure> {
    let deadline = Instant::now() + STEP_DEADLINE;
    let updates = channel.received().subscribe();
    loop {
        if let Some(value) = channel.recv().filter(|value| value == want) {
            return Ok(value);
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(Failure::error(format!(
                "the state did not become {want:?} within {STEP_DEADLINE:?}"
            )));
        }
        // Woken by the next update, or at the deadline.
        let _ = updates.recv_timeout(deadline - now);
    }
}

fn step(title: &str) {
    println!();
    println!("== {title}");
}

fn say(text: &str) {
    println!("{text}");
}
