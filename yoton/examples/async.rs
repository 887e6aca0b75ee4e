//! yoton under an async runtime (tokio here; any executor does): one task
//! per channel, each awaiting instead of blocking a thread.
//!
//! ```text
//! cargo run -p yoton --example async
//! ```
//!
//! Runs on its own: a "server" context binds on loopback and a "client"
//! connects over TCP. A publisher task sends readings that a subscriber
//! task awaits one by one; a state task follows the server's status; a
//! call to the server's `add` method is awaited like any future. Every
//! wait is bounded by a tokio timeout, and a receive that loses such a
//! race loses no message (the next receive gets it).

use std::error::Error;
use std::time::Duration;

use yoton::{HandlerError, Methods, PubChannel, RepChannel, ReqChannel, StateChannel, SubChannel};

/// How long any one wait of the example may take.
const DEADLINE: Duration = Duration::from_secs(10);

/// How many readings the publisher sends.
const READINGS: usize = 5;

/// Runs the example on a tokio runtime; also called by the crate's tests.
pub fn main() -> Result<(), Box<dyn Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> Result<(), Box<dyn Error>> {
    let server = yoton::context();
    let client = yoton::context();

    // Channels first, then connect: what arrives before a channel exists
    // is not kept for it.
    let readings = PubChannel::<String>::new(&server, "readings")?;
    let listener = SubChannel::<String>::new(&client, "readings")?;
    let status = StateChannel::<String>::new(&server, "status")?;
    let watched = StateChannel::<String>::new(&client, "status")?;
    let methods = Methods::new().method("add", |(x, y): (i64, i64)| Ok::<_, HandlerError>(x + y));
    let _replier = RepChannel::new(&server, "calc")?.spawn(methods)?;
    let calc = ReqChannel::new(&client, "calc")?;
    status.send("starting")?;

    let bound = server.bind("localhost:0")?;
    let connecting = bound.wait_connected_async();
    client.connect(&format!("localhost:{}", bound.local_port()))?;
    tokio::time::timeout(DEADLINE, connecting).await??;
    println!("server: a client connected on port {}", bound.local_port());

    // The subscriber: one task, awaiting each message.
    let subscriber = tokio::spawn(async move {
        let mut got = Vec::new();
        while got.len() < READINGS {
            match tokio::time::timeout(DEADLINE, listener.recv_async()).await {
                Ok(Ok(reading)) => {
                    println!("subscriber: {reading}");
                    got.push(reading);
                }
                Ok(Err(closed)) => return Err(closed.to_string()),
                Err(_) => return Err("no reading in time".to_owned()),
            }
        }
        Ok(got)
    });

    // The state follower: the status as it is, then each change.
    let follower = tokio::spawn(async move {
        let mut seen = Vec::new();
        let first = tokio::time::timeout(DEADLINE, watched.get_or_wait_async()).await;
        seen.push(
            first
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?,
        );
        // A wait counts changes from when it is made: make it first, then
        // look at the current state, so that no change is missed between.
        while seen.last().map(String::as_str) != Some("done") {
            let changed = watched.wait_changed_async();
            let now = watched.get();
            let next = if now.is_some() && now.as_ref() != seen.last() {
                now
            } else {
                let next = tokio::time::timeout(DEADLINE, changed).await;
                Some(
                    next.map_err(|e| e.to_string())?
                        .map_err(|e| e.to_string())?,
                )
            };
            seen.extend(next);
            println!("follower: status is {:?}", seen.last());
        }
        Ok::<_, String>(seen)
    });

    // The publisher: sends the readings, then says it is done.
    let publisher = tokio::spawn(async move {
        for i in 1..=READINGS {
            readings.send(&format!("reading {i}"))?;
            tokio::task::yield_now().await;
        }
        Ok::<_, yoton::SendError>(readings)
    });

    // A call, awaited like any future.
    let sum = tokio::time::timeout(DEADLINE, calc.call::<i64>("add", (20, 22))?).await??;
    println!("client: add(20, 22) = {sum}");
    assert_eq!(sum, 42);

    let _readings = publisher.await??;
    let got = subscriber.await??;
    assert_eq!(got.len(), READINGS);
    assert_eq!(got[0], "reading 1");
    // The follower may miss a status that changes again before it looks
    // (a state is a value, not a queue), but it looks at the current one
    // before each wait, so never the last one.
    status.send("working")?;
    status.send("done")?;
    let seen = follower.await??;
    assert_eq!(seen.last().map(String::as_str), Some("done"));

    // Written before leaving: flush, then close and await the close.
    tokio::time::timeout(DEADLINE, server.flush_async(DEADLINE)).await??;
    let closed = bound.closed_async();
    client.close();
    let event = tokio::time::timeout(DEADLINE, closed).await?;
    println!("server: connection closed ({})", event.reason);
    Ok(())
}
