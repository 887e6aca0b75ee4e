//! Persistent links over real transports: they come back after a close
//! that was not on command, report each step, keep what was sent meanwhile,
//! give up when told to, and stop on close.

use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::Receiver;
use yoton_channels::{PubChannel, StateChannel, SubChannel};
use yoton_core::{Backoff, BindOptions, ConnectOptions, Connection, Context, LinkEvent, reason};
use yoton_inproc::InprocTransport;
use yoton_tcp::TcpTransport;

const WAIT: Duration = Duration::from_secs(20);

fn context() -> Context {
    let context = Context::new();
    context.register_transport(Arc::new(InprocTransport::new()));
    context.register_transport(Arc::new(TcpTransport::new()));
    context
}

/// A quick backoff, so that the tests do not wait out the default delays.
fn quick() -> Backoff {
    Backoff::new()
        .initial(Duration::from_millis(5))
        .max(Duration::from_millis(50))
}

/// The next event that `pick` accepts, skipping the others.
fn next<T>(events: &Receiver<LinkEvent>, mut pick: impl FnMut(&LinkEvent) -> Option<T>) -> T {
    loop {
        let event = events
            .recv_timeout(WAIT)
            .expect("the expected link event did not come");
        if let Some(found) = pick(&event) {
            return found;
        }
    }
}

fn connected(event: &LinkEvent) -> Option<Arc<dyn Connection>> {
    match event {
        LinkEvent::Connected(connection) => Some(Arc::clone(connection)),
        _ => None,
    }
}

#[test]
fn a_client_comes_back_to_a_restarted_host_with_what_was_sent_meanwhile() {
    let host = context();
    let bound = host.bind("tcp://127.0.0.1:0").unwrap();
    let address = format!("tcp://127.0.0.1:{}", bound.local_port());
    let inbox = SubChannel::<String>::new(&host, "news").unwrap();

    let client = context();
    let news = PubChannel::<String>::new(&client, "news").unwrap();
    let status = StateChannel::<String>::new(&client, "client-status").unwrap();
    status.send("client up").unwrap();
    let link = client
        .connect_persistent(&address, &ConnectOptions::new().name("upstream"), quick())
        .unwrap();
    let events = link.events().subscribe();
    let first = link.wait_connected(WAIT).unwrap();
    assert_eq!(first.name(), "upstream");
    news.send("before").unwrap();
    assert_eq!(inbox.recv_timeout(WAIT).unwrap(), "before");

    // The host goes away entirely, as a killed process does.
    drop(inbox);
    drop(bound);
    drop(host);
    let why = next(&events, |e| match e {
        LinkEvent::Disconnected(reason) => Some(reason.clone()),
        _ => None,
    });
    assert_ne!(why, reason::CLOSED_ON_COMMAND);
    // Sent while no connection is alive: kept in the startup queue.
    news.send("meanwhile").unwrap();

    let host = context();
    let inbox = SubChannel::<String>::new(&host, "news").unwrap();
    let seen_status = StateChannel::<String>::new(&host, "client-status").unwrap();
    let _bound = host.bind(&address).unwrap();
    let again = next(&events, connected);
    assert_ne!(again.key(), first.key());
    assert_eq!(again.name(), "upstream");
    assert_eq!(inbox.recv_timeout(WAIT).unwrap(), "meanwhile");
    news.send("after").unwrap();
    assert_eq!(inbox.recv_timeout(WAIT).unwrap(), "after");
    // The restarted host learns the client's state, set long before.
    assert_eq!(seen_status.get_or_wait(WAIT).unwrap(), "client up");
    assert_eq!(link.connections_made(), 2);
    assert_eq!(client.startup_dropped(), 0);
    link.close();
}

#[test]
fn a_bound_link_binds_again_at_the_chosen_port_for_the_next_peer() {
    let host = context();
    let link = host
        .bind_persistent("tcp://127.0.0.1:0", &BindOptions::new(), quick())
        .unwrap();
    let events = link.events().subscribe();
    let port = link.connection().unwrap().local_port();
    assert_ne!(port, 0);
    assert_eq!(link.address(), format!("tcp://127.0.0.1:{port}"));
    let state = StateChannel::<String>::new(&host, "status").unwrap();
    state.send("ready").unwrap();

    for round in 0..3 {
        let peer = context();
        let status = StateChannel::<String>::new(&peer, "status").unwrap();
        let connection = peer.connect(link.address()).unwrap();
        let hosted = next(&events, connected);
        assert_eq!(hosted.peer_id(), Some(peer.id()), "round {round}");
        // A state channel's value reaches every new peer.
        assert_eq!(status.get_or_wait(WAIT).unwrap(), "ready", "round {round}");
        connection.close(None);
        let waiting = next(&events, |e| match e {
            LinkEvent::Waiting(connection) => Some(Arc::clone(connection)),
            _ => None,
        });
        assert_eq!(waiting.local_port(), port);
    }
    assert_eq!(link.connections_made(), 4);
    link.close();
}

#[test]
fn a_host_that_never_comes_back_is_given_up_after_the_attempts_set() {
    let client = context();
    let link = client
        .connect_persistent(
            "inproc://nobody-here",
            &ConnectOptions::new().timeout(Duration::ZERO),
            quick().max_attempts(3),
        )
        .unwrap();
    // The link may give up before anything subscribes: waiting for it
    // reports that either way.
    assert!(matches!(
        link.wait_connected(WAIT),
        Err(yoton_core::Error::Closed { .. })
    ));
    assert!(link.gave_up());
    assert!(link.is_stopped());
    assert_eq!(link.failed_attempts(), 3);
    assert_eq!(link.connections_made(), 0);
    assert!(link.last_error().is_some_and(|e| e.contains("nobody-here")));
}

#[test]
fn giving_up_is_announced_after_the_failed_attempts() {
    let client = context();
    let link = client
        .connect_persistent(
            "inproc://nobody-there",
            &ConnectOptions::new().timeout(Duration::ZERO),
            // Long enough apart that the subscription below comes first.
            Backoff::new()
                .initial(Duration::from_millis(200))
                .max_attempts(2),
        )
        .unwrap();
    let events = link.events().subscribe();
    assert!(!link.is_stopped(), "the second attempt is 200 ms away");
    next(&events, |e| match e {
        LinkEvent::AttemptFailed { attempt: 2, .. } => Some(()),
        _ => None,
    });
    let attempts = next(&events, |e| match e {
        LinkEvent::GaveUp { attempts } => Some(*attempts),
        _ => None,
    });
    assert_eq!(attempts, 2);
    next(&events, |e| matches!(e, LinkEvent::Stopped).then_some(()));
}

#[test]
fn failed_attempts_are_reported_and_a_late_host_is_reached() {
    let client = context();
    let link = client
        .connect_persistent(
            "inproc://late-host",
            &ConnectOptions::new().timeout(Duration::ZERO),
            quick(),
        )
        .unwrap();
    let events = link.events().subscribe();
    let attempt = next(&events, |e| match e {
        LinkEvent::AttemptFailed { attempt, .. } => Some(*attempt),
        _ => None,
    });
    assert!(attempt >= 2);
    let error = link
        .last_error()
        .expect("the failed attempts left their error");
    assert!(error.contains("late-host"), "{error}");
    let host = context();
    let _bound = host.bind("inproc://late-host").unwrap();
    let connection = link.wait_connected(WAIT).unwrap();
    assert_eq!(connection.peer_id(), Some(host.id()));
    assert!(!link.gave_up());
}

#[test]
fn a_close_on_command_or_by_the_context_stops_the_link() {
    let host = context();
    let bound = host
        .bind_persistent("inproc://commanded", &BindOptions::new(), quick())
        .unwrap();
    let client = context();
    let link = client
        .connect_persistent("inproc://commanded", &ConnectOptions::new(), quick())
        .unwrap();
    let events = link.events().subscribe();
    let connection = link.wait_connected(WAIT).unwrap();
    connection.close(None);
    let why = next(&events, |e| match e {
        LinkEvent::Disconnected(reason) => Some(reason.clone()),
        _ => None,
    });
    assert_eq!(why, reason::CLOSED_ON_COMMAND);
    next(&events, |e| matches!(e, LinkEvent::Stopped).then_some(()));
    assert!(link.connection().is_none());
    assert_eq!(link.connections_made(), 1);

    let host_events = bound.events().subscribe();
    host.close();
    next(&host_events, |e| {
        matches!(e, LinkEvent::Stopped).then_some(())
    });
    assert!(bound.connection().is_none());
}

#[test]
fn closing_the_link_closes_its_connection_and_ends_its_thread() {
    let host = context();
    let _bound = host
        .bind_persistent("inproc://closing", &BindOptions::new(), quick())
        .unwrap();
    let client = context();
    let link = client
        .connect_persistent("inproc://closing", &ConnectOptions::new(), quick())
        .unwrap();
    let connection = link.wait_connected(WAIT).unwrap();
    let events = link.events().subscribe();
    link.close();
    assert_eq!(
        connection.close_reason(),
        Some(reason::CLOSED_ON_COMMAND.into())
    );
    // `close` joined the thread, which said so last.
    let seen: Vec<LinkEvent> = events.try_iter().collect();
    assert!(matches!(seen.last(), Some(LinkEvent::Stopped)), "{seen:?}");
    link.close(); // a second time does nothing
    assert_eq!(client.connection_count(), 0);
}

#[test]
fn dropping_the_context_ends_a_link_that_waits_to_dial_again() {
    let client = context();
    let link = client
        .connect_persistent(
            "inproc://never",
            &ConnectOptions::new().timeout(Duration::ZERO),
            Backoff::new().initial(Duration::from_millis(1)),
        )
        .unwrap();
    let events = link.events().subscribe();
    drop(client);
    next(&events, |e| matches!(e, LinkEvent::Stopped).then_some(()));
    assert!(matches!(
        link.wait_connected(WAIT),
        Err(yoton_core::Error::Closed { .. })
    ));
}

#[test]
fn a_bad_address_is_an_error_at_once() {
    let client = context();
    assert!(matches!(
        client.connect_persistent("udp://x:1", &ConnectOptions::new(), Backoff::new()),
        Err(yoton_core::Error::UnknownProtocol { .. })
    ));
    assert!(matches!(
        client.connect_persistent(
            "tcp://127.0.0.1:70000",
            &ConnectOptions::new(),
            Backoff::new()
        ),
        Err(yoton_core::Error::InvalidAddress(_))
    ));
    let host = context();
    let bound = host.bind("tcp://127.0.0.1:0").unwrap();
    let taken = format!("tcp://127.0.0.1:{}", bound.local_port());
    assert!(matches!(
        host.bind_persistent(&taken, &BindOptions::new().max_tries(1), Backoff::new()),
        Err(yoton_core::Error::Bind { .. } | yoton_core::Error::NoFreePort { .. })
    ));
}

#[test]
fn closing_the_context_stops_a_link_that_waits_out_a_long_backoff() {
    let client = context();
    let link = client
        .connect_persistent(
            "inproc://far-away",
            &ConnectOptions::new().timeout(Duration::ZERO),
            // The next attempt is an hour away: only a wake-up ends the wait.
            Backoff::new().initial(Duration::from_secs(3600)),
        )
        .unwrap();
    let events = link.events().subscribe();
    assert!(!link.is_stopped());
    client.close();
    next(&events, |e| matches!(e, LinkEvent::Stopped).then_some(()));
    assert!(link.is_stopped());
    // The context stays usable, and a link made after the close lives on.
    let host = context();
    let _bound = host.bind("inproc://after-close").unwrap();
    let later = client
        .connect_persistent("inproc://after-close", &ConnectOptions::new(), quick())
        .unwrap();
    assert!(later.wait_connected(WAIT).is_ok());
    assert!(!later.is_stopped());
}
