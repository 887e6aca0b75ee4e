//! Sync mode end to end with several publishers and several subscribers,
//! over TCP through a hub context: a pub is held back while any sub says
//! `full`, goes on once every one said `ok`, and forgets a `full` that is
//! not repeated within 10 s (the reference's rules, `yoton_channels::sync`).

use std::collections::HashMap;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use yoton_channels::{PubChannel, SubChannel, sync};
use yoton_core::{Context, Delivery, Direction, Slot};
use yoton_tcp::TcpTransport;
use yoton_testkit::wait::wait_until;

/// A generous bound for anything that should happen at once.
const DEADLINE: Duration = Duration::from_secs(20);

fn context() -> Context {
    let ctx = Context::new();
    ctx.register_transport(Arc::new(TcpTransport::new()));
    ctx
}

/// `client` connects to a fresh binding of `host`; waits until a message
/// from the client got through, so the client's NEW_CONNECTION is handled.
fn link(host: &Context, client: &Context, n: usize) {
    let bound = host.bind("localhost:0").unwrap();
    client
        .connect(&format!("localhost:{}", bound.local_port()))
        .unwrap();
    let slot = Slot::from_name(&format!("link-marker-{n}"));
    let marker = listen(host, slot);
    client.send(slot, "marker").unwrap();
    marker.recv_timeout(DEADLINE).expect("the link works");
    host.unregister_endpoint(Direction::Incoming, slot);
}

fn listen(ctx: &Context, slot: Slot) -> Receiver<Delivery> {
    yoton_testkit::collect::listen(ctx, slot, "raw").unwrap()
}

/// Reads `n` messages and checks that each publisher's come in its order
/// from number `first` on, none lost or repeated; returns the next number
/// due from each publisher.
fn read_in_order(sub: &SubChannel<String>, first: usize, n: usize) -> HashMap<String, usize> {
    let mut next: HashMap<String, usize> = HashMap::new();
    for k in 0..n {
        let message = sub
            .recv_timeout(DEADLINE)
            .unwrap_or_else(|e| panic!("message {k} of {n}: {e}"));
        let (who, i) = message.split_once(':').expect("who:number");
        let i: usize = i.parse().expect("a number");
        let expected = next.entry(who.to_owned()).or_insert(first);
        assert_eq!(i, *expected, "from {who}: lost, repeated or reordered");
        *expected += 1;
    }
    next
}

#[test]
fn several_pubs_are_held_while_any_sub_is_full_and_go_on_when_all_are_ok() {
    // p1, p2, s1, s2 each linked to the hub h; the hub passes everything on.
    let h = context();
    let (p1, p2, s1, s2) = (context(), context(), context(), context());
    for (n, c) in [&p1, &p2, &s1, &s2].into_iter().enumerate() {
        link(&h, c, n);
    }
    let pubs = [
        Arc::new(PubChannel::<String>::new(&p1, "paced").unwrap()),
        Arc::new(PubChannel::<String>::new(&p2, "paced").unwrap()),
    ];
    let subs = [
        SubChannel::<String>::new(&s1, "paced").unwrap(),
        SubChannel::<String>::new(&s2, "paced").unwrap(),
    ];
    // The hub sees the words on their way, to know when they passed.
    let words_at_hub = listen(&h, pubs[0].slot_incoming().slot());
    let marks = [
        listen(&p1, Slot::from_name("word-marker")),
        listen(&p2, Slot::from_name("word-marker")),
    ];
    for sub in &subs {
        sub.set_sync_mode(true).unwrap();
    }
    // 17 from each pub: 34 waiting in each sub, over the high-water mark.
    let each = sync::HIGH_WATER_MARK / 2 + 1;
    let senders: Vec<_> = pubs
        .iter()
        .enumerate()
        .map(|(k, out)| {
            let out = Arc::clone(out);
            thread::spawn(move || {
                for i in 0..each {
                    out.send(&format!("p{k}:{i}")).unwrap();
                }
            })
        })
        .collect();
    for s in senders {
        s.join().unwrap();
    }
    for sub in &subs {
        wait_until("both subs hold everything", || sub.pending() == 2 * each);
    }
    for out in &pubs {
        wait_until("every pub held back", || out.is_blocked());
    }

    // s2 reads everything and says ok; s1 still says full.
    read_in_order(&subs[1], 0, 2 * each);
    let s2_id = s2.id().get();
    loop {
        let word = words_at_hub.recv_timeout(DEADLINE).expect("s2's ok");
        if word.package.source_id == s2_id && &word.package.data[..] == b"ok" {
            break;
        }
    }
    // The hub's next message to each pub goes after s2's ok on the same
    // link: once it is there, the pub has taken the ok, and s1's full still
    // holds it back.
    h.send(Slot::from_name("word-marker"), "after s2's ok")
        .unwrap();
    for (k, (out, mark)) in pubs.iter().zip(&marks).enumerate() {
        mark.recv_timeout(DEADLINE).expect("the marker");
        assert!(out.is_blocked(), "pub {k} went on while s1 was full");
    }

    // s1 reads too: every sub says ok, every pub goes on.
    read_in_order(&subs[0], 0, 2 * each);
    for out in &pubs {
        wait_until("every pub goes on", || !out.is_blocked());
    }

    // With readers keeping up, much more flows: nothing lost, each pub's
    // messages in order at each sub. Held back all along, these 2 x 300
    // sends would take at least 10 minutes.
    let more = 300;
    let start = Instant::now();
    let readers: Vec<_> = subs
        .into_iter()
        .map(|sub| thread::spawn(move || (read_in_order(&sub, each, 2 * more), sub)))
        .collect();
    let senders: Vec<_> = pubs
        .iter()
        .enumerate()
        .map(|(k, out)| {
            let out = Arc::clone(out);
            thread::spawn(move || {
                for i in each..each + more {
                    out.send(&format!("p{k}:{i}")).unwrap();
                }
            })
        })
        .collect();
    for s in senders {
        s.join().unwrap();
    }
    for r in readers {
        let (next, sub) = r.join().unwrap();
        let expected: HashMap<String, usize> = [
            ("p0".to_owned(), each + more),
            ("p1".to_owned(), each + more),
        ]
        .into();
        assert_eq!(next, expected);
        assert_eq!(sub.dropped(), 0);
    }
    assert!(start.elapsed() < Duration::from_secs(120), "pubs held back");
}

#[test]
fn a_full_that_is_not_repeated_lapses_after_ten_seconds() {
    // f stands in for a sub that said full once and then went silent (its
    // process hung, say): the pub stops waiting for it 10 s later.
    let (p, f) = (context(), context());
    link(&p, &f, 0);
    let out = PubChannel::<String>::new(&p, "lapse").unwrap();
    let said = Instant::now();
    f.send(out.slot_incoming().slot(), "full").unwrap();
    wait_until("the pub hears full", || out.is_blocked());
    let deadline = said + sync::FULL_LAPSES_AFTER + DEADLINE;
    while out.is_blocked() {
        assert!(Instant::now() < deadline, "the full never lapsed");
        thread::sleep(Duration::from_millis(20));
    }
    let lapsed = said.elapsed();
    assert!(
        lapsed >= sync::FULL_LAPSES_AFTER,
        "lapsed after {lapsed:?}, before {:?}",
        sync::FULL_LAPSES_AFTER
    );
    // A send goes at once now; the source is still known as full, so its
    // next word holds the pub again.
    out.send("after the lapse").unwrap();
    f.send(out.slot_incoming().slot(), "full").unwrap();
    wait_until("held again", || out.is_blocked());
    f.send(out.slot_incoming().slot(), "ok").unwrap();
    wait_until("released", || !out.is_blocked());
}

#[test]
fn a_sub_that_stays_full_holds_its_pub_beyond_the_lapse() {
    // A real sub that never reads repeats its full every 4 s, which keeps
    // the pub held past the 10 s after which a lone full lapses.
    let (p, s) = (context(), context());
    link(&p, &s, 0);
    let out = PubChannel::<String>::new(&p, "kept").unwrap();
    let sub = SubChannel::<String>::new(&s, "kept").unwrap();
    sub.set_sync_mode(true).unwrap();
    for i in 0..=sync::HIGH_WATER_MARK {
        out.send(&format!("p:{i}")).unwrap();
    }
    wait_until("the pub is held", || out.is_blocked());
    let held = Instant::now();
    while held.elapsed() < sync::FULL_LAPSES_AFTER + sync::REPEAT_INTERVAL {
        assert!(
            out.is_blocked(),
            "the pub went on after {:?} while the sub stayed full",
            held.elapsed()
        );
        thread::sleep(Duration::from_millis(50));
    }
    read_in_order(&sub, 0, sync::HIGH_WATER_MARK + 1);
    wait_until("released once the sub reads", || !out.is_blocked());
}

#[test]
fn a_bounded_send_to_a_full_sub_gives_up_in_time_and_sends_nothing() {
    let (p, f) = (context(), context());
    link(&p, &f, 0);
    let out = PubChannel::<String>::new(&p, "bounded").unwrap();
    let arrived = listen(&f, out.slot_outgoing().slot());
    f.send(out.slot_incoming().slot(), "full").unwrap();
    wait_until("the pub hears full", || out.is_blocked());
    // A plain send would go out after the 1 s block; the bounded one
    // gives up at its own deadline.
    match out.send_timeout("held", Duration::from_millis(50)) {
        Err(yoton_channels::SendError::Timeout(())) => {}
        other => panic!("{other:?}"),
    }
    f.send(out.slot_incoming().slot(), "ok").unwrap();
    wait_until("released", || !out.is_blocked());
    out.send_timeout("after", DEADLINE).unwrap();
    let first = arrived.recv_timeout(DEADLINE).expect("a message");
    assert_eq!(
        first.package.data.as_ref(),
        b"after",
        "the bounded send went out"
    );
}
