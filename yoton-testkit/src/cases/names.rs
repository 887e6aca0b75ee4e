//! Connection names and how a context finds and lists its connections.

use yoton_core::{BindOptions, ConnectOptions, Connection};

use crate::harness::{bind, connect, context};
use crate::{STEP_DEADLINE, TransportUnderTest};

/// A name given at bind time finds the connection through its context;
/// renaming moves the lookup to the new name.
pub fn names_and_lookup_through_the_context(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = host
        .bind_with(&ut.bind_address(), &BindOptions::new().name("kernel"))
        .expect("bind");
    assert_eq!(bound.name(), "kernel");
    let found = host.connection("kernel").expect("found by name");
    assert_eq!(found.key(), bound.key());
    bound.set_name("editor");
    assert_eq!(bound.name(), "editor");
    assert!(host.connection("kernel").is_none());
    let found = host.connection("editor").expect("found by its new name");
    assert_eq!(found.key(), bound.key());
    // Still found once a peer arrived.
    let client = context(ut);
    let _conn = connect(ut, &client, &bound);
    assert!(host.connection("editor").is_some());
}

/// A name given at connect time finds the connecting end; an unnamed
/// connection has an empty name.
pub fn a_connecting_end_is_found_by_its_name(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    assert_eq!(bound.name(), "");
    let client = context(ut);
    let conn = client
        .connect_with(
            &ut.connect_address(&*bound),
            &ConnectOptions::new().name("to-host"),
        )
        .expect("connect");
    assert_eq!(conn.name(), "to-host");
    let found = client.connection("to-host").expect("found by name");
    assert_eq!(found.key(), conn.key());
    assert!(
        host.connection("to-host").is_none(),
        "names are per context"
    );
}

/// A closed connection is no longer found by its name.
pub fn a_closed_connection_is_not_found_by_name(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = host
        .bind_with(&ut.bind_address(), &BindOptions::new().name("gone"))
        .expect("bind");
    let client = context(ut);
    let conn = client
        .connect_with(
            &ut.connect_address(&*bound),
            &ConnectOptions::new().name("gone-too"),
        )
        .expect("connect");
    let there = bound.closed().subscribe();
    conn.close(None);
    there
        .recv_timeout(STEP_DEADLINE)
        .expect("the bound end closes");
    assert!(client.connection("gone-too").is_none());
    assert!(host.connection("gone").is_none());
    assert_eq!(bound.name(), "gone", "the connection keeps its name");
}

/// A context lists waiting connections among all alive ones, and only
/// hosting or connected ones among its connections.
pub fn the_context_lists_connections_by_state(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let waiting = bind(ut, &host);
    let hosting = bind(ut, &host);
    let client = context(ut);
    let _conn = connect(ut, &client, &hosting);
    let keys = |list: Vec<std::sync::Arc<dyn Connection>>| {
        let mut keys: Vec<_> = list.iter().map(|c| format!("{:?}", c.key())).collect();
        keys.sort();
        keys
    };
    let key = |c: &std::sync::Arc<dyn Connection>| format!("{:?}", c.key());
    assert_eq!(host.connection_count(), 1);
    assert_eq!(keys(host.connections()), vec![key(&hosting)]);
    let mut all = vec![key(&waiting), key(&hosting)];
    all.sort();
    assert_eq!(keys(host.connections_all()), all);
    waiting.close(None);
    assert_eq!(keys(host.connections_all()), vec![key(&hosting)]);
    hosting.close(None);
    assert_eq!(host.connections_all().len(), 0);
    assert_eq!(host.connection_count(), 0);
}
