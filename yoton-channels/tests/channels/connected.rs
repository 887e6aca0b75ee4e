// The cases that connect contexts, included once per transport (see
// `channels.rs`): `context()`, `BIND_ADDRESS` and `connect_address` come
// from the including module.

/// Connects `client` to a fresh binding of `host`, and waits until the host
/// has handled the client's NEW_CONNECTION (which makes state channels send
/// again): a marker sent after it on the same connection has arrived.
fn link(host: &Context, client: &Context) {
    static MARKERS: AtomicUsize = AtomicUsize::new(0);
    let bound = host.bind(BIND_ADDRESS).unwrap();
    client.connect(&connect_address(&bound)).unwrap();
    let n = MARKERS.fetch_add(1, Ordering::Relaxed);
    let slot = Slot::from_name(&format!("test-marker-{n}"));
    let marker = listen(host, slot);
    client.send(slot, "marker").unwrap();
    marker.recv_timeout(DEADLINE).expect("the link works");
    host.unregister_endpoint(Direction::Incoming, slot);
}

/// Two connected contexts.
fn pair() -> (Context, Context) {
    let (a, b) = (context(), context());
    link(&a, &b);
    (a, b)
}

// ---------------------------------------------------------------------------
// Pub/sub with each message type

#[test]
fn text_messages_arrive_in_order() {
    let (a, b) = pair();
    let out = PubChannel::<String>::new(&a, "text").unwrap();
    let sub = SubChannel::<String>::new(&b, "text").unwrap();
    let sent: Vec<String> = (0..1000).map(|i| format!("message {i} é✓")).collect();
    for m in &sent {
        out.send(m).unwrap();
    }
    assert_eq!(recv_n(&sub, sent.len()), sent);
    assert!(matches!(sub.try_recv(), Err(TryRecvError::Empty)));
    assert_eq!(sub.dropped(), 0);
    assert_eq!(sub.decode_errors(), 0);
}

#[test]
fn binary_messages_as_vec_and_as_bytes() {
    let (a, b) = pair();
    let out = PubChannel::<Vec<u8>>::new(&a, "blob").unwrap();
    // Vec<u8> and Bytes share the `bin` slots: the same channel, two ways
    // of receiving (in two contexts, since a slot is taken once per context).
    let c = context();
    link(&a, &c);
    let as_vec = SubChannel::<Vec<u8>>::new(&b, "blob").unwrap();
    let as_bytes = SubChannel::<Bytes>::new(&c, "blob").unwrap();
    assert_eq!(as_vec.slot_incoming(), as_bytes.slot_incoming());
    let sent: Vec<Vec<u8>> = vec![vec![0], vec![0xff, 0x00, 0x80], (0..=255).collect()];
    for m in &sent {
        out.send(m).unwrap();
    }
    assert_eq!(recv_n(&as_vec, 3), sent);
    let got: Vec<Vec<u8>> = recv_n(&as_bytes, 3).iter().map(|b| b.to_vec()).collect();
    assert_eq!(got, sent);
    // Pre-encoded bytes go as they are; a received Bytes can be passed on.
    let shared = Bytes::from_static(b"shared");
    out.send_bytes(shared.clone()).unwrap();
    out.send_bytes(Bytes::new()).unwrap();
    out.send_bytes(shared).unwrap();
    assert_eq!(recv_n(&as_vec, 2), [b"shared".to_vec(), b"shared".to_vec()]);
    let relayed = recv_n(&as_bytes, 2).remove(0);
    let back = SubChannel::<Bytes>::new(&a, "relay").unwrap();
    let relay = PubChannel::<Bytes>::new(&c, "relay").unwrap();
    relay.send_bytes(relayed).unwrap();
    assert_eq!(&back.recv_timeout(DEADLINE).unwrap()[..], b"shared");
}

#[test]
fn postcard_messages_and_their_types_keep_slots_apart() {
    let (a, b) = pair();
    let out = PubChannel::<Postcard<Reading>>::new(&a, "readings").unwrap();
    let sub = SubChannel::<Postcard<Reading>>::new(&b, "readings").unwrap();
    // Another type under the same base name is another slot.
    let other = SubChannel::<Postcard<Other>>::new(&b, "readings").unwrap();
    assert_ne!(sub.slot_incoming().slot(), other.slot_incoming().slot());
    let text = SubChannel::<String>::new(&b, "readings").unwrap();
    let r = Reading {
        sensor: "t1".into(),
        values: vec![1.5, -2.0],
        ok: true,
    };
    out.send(&r).unwrap();
    assert_eq!(sub.recv_timeout(DEADLINE).unwrap(), r);
    // Nothing reached the others; a later text message proves the link is
    // live and that it alone arrives there.
    let text_out = PubChannel::<String>::new(&a, "readings").unwrap();
    text_out.send("plain").unwrap();
    assert_eq!(text.recv_timeout(DEADLINE).unwrap(), "plain");
    assert_eq!(other.pending(), 0);
}

#[test]
fn empty_messages_are_never_sent() {
    let (a, b) = pair();
    let out = PubChannel::<String>::new(&a, "empty").unwrap();
    let wire = listen(&b, out.slot_outgoing().slot());
    out.send("").unwrap();
    out.send("x").unwrap();
    let first = wire.recv_timeout(DEADLINE).unwrap();
    assert_eq!(text_of(&first), "x");
    // The empty message was not even numbered: "x" is the context's first.
    assert_eq!(first.package.source_seq, 1);
    // Without a connection, what is sent waits in the startup queue:
    // an empty message does not.
    let alone = context();
    let bin = PubChannel::<Vec<u8>>::new(&alone, "empty").unwrap();
    bin.send(b"").unwrap();
    assert_eq!(alone.startup_queued(), 0);
    bin.send(b"\x00").unwrap();
    assert_eq!(alone.startup_queued(), 1);
}

#[test]
fn the_received_signal_covers_every_message() {
    let (a, b) = pair();
    let out = PubChannel::<String>::new(&a, "signal").unwrap();
    let sub = SubChannel::<String>::new(&b, "signal").unwrap();
    // A handler's panic is caught by the signal: it only reports what it
    // saw, and the checks run here.
    let (seen_tx, seen) = crossbeam_channel::unbounded::<usize>();
    let _handler = sub.received().connect(move |n: &usize| {
        let _ = seen_tx.send(*n);
    });
    for i in 0..500 {
        out.send(&i.to_string()).unwrap();
    }
    let mut counted = 0;
    while counted < 500 {
        let n = seen.recv_timeout(DEADLINE).expect("a received event in time");
        assert!(n > 0, "a received event for no message");
        counted += n;
    }
    assert_eq!(counted, 500);
    assert_eq!(sub.recv_all().len(), 500);
}

#[test]
fn undecodable_messages_are_counted_and_skipped() {
    let (a, b) = pair();
    let sub = SubChannel::<String>::new(&b, "bad-text").unwrap();
    let slot = sub.slot_incoming().slot();
    a.send(slot, Bytes::from_static(b"\xff\xfe")).unwrap();
    a.send(slot, "fine").unwrap();
    assert_eq!(sub.recv_timeout(DEADLINE).unwrap(), "fine");
    assert_eq!(sub.decode_errors(), 1);
}

#[test]
fn try_iter_and_recv_all_drain_what_is_pending() {
    let (a, b) = pair();
    let out = PubChannel::<String>::new(&a, "drain").unwrap();
    let sub = SubChannel::<String>::new(&b, "drain").unwrap();
    for i in 0..10 {
        out.send(&i.to_string()).unwrap();
    }
    wait_until("sub.pending() == 10", || sub.pending() == 10);
    let first: Vec<String> = sub.try_iter().take(3).collect();
    assert_eq!(first, ["0", "1", "2"]);
    // try_iter took all ten out of the queue at once.
    assert_eq!(sub.pending(), 0);
    out.send("10").unwrap();
    assert_eq!(recv_n(&sub, 1), ["10"]);
    for i in 11..15 {
        out.send(&i.to_string()).unwrap();
    }
    wait_until("sub.pending() == 4", || sub.pending() == 4);
    assert_eq!(sub.recv_all(), ["11", "12", "13", "14"]);
}

#[test]
fn a_blocked_recv_is_woken_by_a_message_and_by_close() {
    let (a, b) = pair();
    let out = PubChannel::<String>::new(&a, "wake").unwrap();
    let sub = Arc::new(SubChannel::<String>::new(&b, "wake").unwrap());
    let s = Arc::clone(&sub);
    let (first_tx, first_rx) = crossbeam_channel::bounded(1);
    let reader = std::thread::spawn(move || {
        first_tx.send(s.recv()).unwrap();
        s.recv()
    });
    out.send("first").unwrap();
    let first = first_rx.recv_timeout(DEADLINE).unwrap();
    assert_eq!(first.unwrap(), "first");
    sub.close();
    let second = reader.join().unwrap();
    assert!(matches!(second, Err(RecvError)));
}

// ---------------------------------------------------------------------------
// Closing

#[test]
fn close_unregisters_and_pending_messages_stay_readable() {
    let (a, b) = pair();
    let out = PubChannel::<String>::new(&a, "closing").unwrap();
    let sub = SubChannel::<String>::new(&b, "closing").unwrap();
    for m in ["1", "2", "3"] {
        out.send(m).unwrap();
    }
    wait_until("sub.pending() == 3", || sub.pending() == 3);
    sub.close();
    assert!(sub.is_closed());
    // The slot is free: a raw endpoint takes it and gets what comes next.
    let wire = listen(&b, sub.slot_incoming().slot());
    out.send("late").unwrap();
    assert_eq!(text_of(&wire.recv_timeout(DEADLINE).unwrap()), "late");
    assert_eq!(sub.pending(), 3);
    assert_eq!(sub.recv_all(), ["1", "2", "3"]);
    assert!(matches!(sub.recv(), Err(RecvError)));
    assert!(matches!(
        sub.recv_timeout(Duration::from_secs(1)),
        Err(RecvTimeoutError::Closed)
    ));
    // Closing twice does not unregister the raw endpoint.
    sub.close();
    out.send("later").unwrap();
    assert_eq!(text_of(&wire.recv_timeout(DEADLINE).unwrap()), "later");
    out.close();
    assert!(matches!(out.send("x"), Err(SendError::Closed(()))));
}

#[test]
fn closing_the_context_channels_closes_every_channel() {
    let (a, b) = pair();
    let out = PubChannel::<String>::new(&a, "ctx-close").unwrap();
    let sub = SubChannel::<String>::new(&b, "ctx-close").unwrap();
    let state = StateChannel::<String>::new(&b, "ctx-close").unwrap();
    out.send("kept").unwrap();
    wait_until("sub.pending() == 1", || sub.pending() == 1);
    b.close_channels();
    a.close_channels();
    assert!(out.is_closed() && sub.is_closed() && state.is_closed());
    assert!(matches!(out.send("no"), Err(SendError::Closed(()))));
    assert!(matches!(state.send("no"), Err(SendError::Closed(()))));
    assert_eq!(sub.recv().unwrap(), "kept");
    assert!(matches!(sub.try_recv(), Err(TryRecvError::Closed)));
    // The slots are free again, and closing the old channels (or dropping
    // them) does not take them from the new ones.
    let again = SubChannel::<String>::new(&b, "ctx-close").unwrap();
    let out2 = PubChannel::<String>::new(&a, "ctx-close").unwrap();
    sub.close();
    drop(sub);
    drop(out);
    out2.send("new").unwrap();
    assert_eq!(again.recv_timeout(DEADLINE).unwrap(), "new");
}

// ---------------------------------------------------------------------------
// Queue bounds

/// Twelve messages into a queue of five: the channel, what it holds, and
/// how many arrivals its `received` signal counted.
fn bounded_run(overflow: Overflow) -> (SubChannel<String>, Vec<String>, usize) {
    let (a, b) = pair();
    let out = PubChannel::<String>::new(&a, "bounded").unwrap();
    let options = SubOptions::new().capacity(5).overflow(overflow);
    let sub = SubChannel::<String>::with_options(&b, "bounded", options).unwrap();
    let wire = listen(&b, Slot::from_name("marker.txt.pub-sub"));
    let arrivals = sub.received().subscribe();
    for i in 0..12 {
        out.send(&i.to_string()).unwrap();
    }
    // A message on another slot, sent last, tells us that all twelve have
    // been delivered (one connection keeps the order).
    a.send(Slot::from_name("marker.txt.pub-sub"), "done")
        .unwrap();
    wire.recv_timeout(DEADLINE).unwrap();
    let got = sub.recv_all();
    // The signal is emitted on the delivering thread before the marker
    // is delivered there.
    let signalled = arrivals.try_iter().sum();
    (sub, got, signalled)
}

#[test]
fn a_full_queue_drops_the_oldest_and_counts_it() {
    let (sub, got, signalled) = bounded_run(Overflow::DropOldest);
    assert_eq!(got, ["7", "8", "9", "10", "11"]);
    assert_eq!(sub.dropped(), 7);
    // Every arrival was queued (pushing out an older one) and signalled.
    assert_eq!(signalled, 12);
}

#[test]
fn a_full_queue_can_drop_the_newest_and_counts_it() {
    let (sub, got, signalled) = bounded_run(Overflow::DropNewest);
    assert_eq!(got, ["0", "1", "2", "3", "4"]);
    assert_eq!(sub.dropped(), 7);
    // Only what was kept is signalled.
    assert_eq!(signalled, 5);
}

// ---------------------------------------------------------------------------
// Sync mode

/// The next sync word seen on the wire.
fn next_word(wire: &Receiver<Delivery>) -> String {
    text_of(&wire.recv_timeout(DEADLINE).expect("a sync word in time"))
}

/// The sub says `word` now: every word already on the wire is `word`, and
/// so is the next one said (at the latest the 4 s repetition).
fn expect_word_from_now_on(wire: &Receiver<Delivery>, word: &str) {
    for said in wire.try_iter() {
        assert_eq!(text_of(&said), word, "said before the marker");
    }
    assert_eq!(next_word(wire), word, "the repeated word");
}

#[test]
fn sync_mode_says_full_and_ok_at_the_reference_thresholds() {
    let (a, b) = pair();
    // Stand in for the pub side: a raw endpoint on the sub-pub slot, and
    // messages sent straight through the context.
    let sub = SubChannel::<String>::new(&b, "paced").unwrap();
    let words = listen(&a, sub.slot_outgoing().slot());
    let slot = sub.slot_incoming().slot();
    sub.set_sync_mode(true).unwrap();
    assert!(sub.sync_mode());
    // Turning it on says the current word.
    assert_eq!(next_word(&words), "ok");
    for i in 0..32 {
        a.send(slot, i.to_string()).unwrap();
    }
    wait_until("sub.pending() == 32", || sub.pending() == 32);
    // 32 waiting is not more than 32: still "ok". The marker is the next
    // repetition of the word (every 4 s), said after the queue reached 32;
    // anything said before it must be "ok" too.
    expect_word_from_now_on(&words, "ok");
    // One more is.
    a.send(slot, "32").unwrap();
    assert_eq!(next_word(&words), "full");
    assert!(sub.pending() > 32);
    // Down to 16 is not fewer than 16: still "full"; 15 is.
    recv_n(&sub, 33 - 16);
    assert_eq!(sub.pending(), 16);
    expect_word_from_now_on(&words, "full");
    recv_n(&sub, 1);
    assert_eq!(next_word(&words), "ok");
    // Full again, then turning sync mode off releases the pub side.
    for i in 0..20 {
        a.send(slot, i.to_string()).unwrap();
    }
    assert_eq!(next_word(&words), "full");
    sub.set_sync_mode(false).unwrap();
    assert_eq!(next_word(&words), "ok");
    assert!(!sub.sync_mode());
}

#[test]
fn closing_a_full_sub_releases_its_pubs() {
    let (a, b) = pair();
    let sub = SubChannel::<String>::new(&b, "close-full").unwrap();
    let words = listen(&a, sub.slot_outgoing().slot());
    let slot = sub.slot_incoming().slot();
    sub.set_sync_mode(true).unwrap();
    assert_eq!(next_word(&words), "ok");
    for i in 0..40 {
        a.send(slot, i.to_string()).unwrap();
    }
    assert_eq!(next_word(&words), "full");
    sub.close();
    assert_eq!(next_word(&words), "ok");
}

#[test]
fn sync_mode_repeats_its_word_every_four_seconds() {
    // About time passing: the repetition is what keeps a pub held back
    // beyond the 10 s after which it forgets a `full`.
    let (a, b) = pair();
    let sub = SubChannel::<String>::new(&b, "repeat").unwrap();
    let words = listen(&a, sub.slot_outgoing().slot());
    sub.set_sync_mode(true).unwrap();
    assert_eq!(next_word(&words), "ok");
    let t0 = Instant::now();
    assert_eq!(next_word(&words), "ok");
    let gap = t0.elapsed();
    // Not before 4 s; the upper bound only has to stay under the 10 s
    // after which a pub forgets a `full`, which is what the repetition is
    // for, and is loose so that a loaded machine does not fail it.
    assert!(
        gap >= Duration::from_millis(3900) && gap < Duration::from_secs(9),
        "{gap:?}"
    );
}

#[test]
fn a_pub_held_back_by_a_full_sub_resumes_and_nothing_is_lost() {
    let (a, b) = pair();
    let out = Arc::new(PubChannel::<String>::new(&a, "held").unwrap());
    let sub = SubChannel::<String>::new(&b, "held").unwrap();
    sub.set_sync_mode(true).unwrap();
    const N: usize = 100;
    let (report_tx, report_rx) = crossbeam_channel::unbounded::<Duration>();
    let o = Arc::clone(&out);
    let producer = std::thread::spawn(move || {
        // The sub says `full` once more than 32 wait: 33 messages.
        for i in 0..33 {
            o.send(&i.to_string()).unwrap();
        }
        let deadline = Instant::now() + DEADLINE;
        while !o.is_blocked() {
            assert!(Instant::now() < deadline, "the pub was never held back");
            std::thread::yield_now();
        }
        // Nobody reads: this send is held for the reference's 1 s.
        let t = Instant::now();
        o.send("33").unwrap();
        report_tx.send(t.elapsed()).unwrap();
        for i in 34..N {
            o.send(&i.to_string()).unwrap();
        }
    });
    let held = report_rx.recv_timeout(DEADLINE).unwrap();
    assert!(held >= Duration::from_millis(900), "held only {held:?}");
    // Reading makes the sub say `ok`, and the producer goes on.
    let got = recv_n(&sub, N);
    producer.join().unwrap();
    let expected: Vec<String> = (0..N).map(|i| i.to_string()).collect();
    assert_eq!(got, expected);
    assert_eq!(sub.dropped(), 0);
    wait_until("!out.is_blocked()", || !out.is_blocked());
}

// ---------------------------------------------------------------------------
// Reading several sub channels in order

#[test]
fn select_reads_several_channels_in_receive_order() {
    let (a, b) = pair();
    let p_text = PubChannel::<String>::new(&a, "sel-text").unwrap();
    let p_bin = PubChannel::<Vec<u8>>::new(&a, "sel-bin").unwrap();
    let p_more = PubChannel::<String>::new(&a, "sel-more").unwrap();
    let s_text = SubChannel::<String>::new(&b, "sel-text").unwrap();
    let s_bin = SubChannel::<Vec<u8>>::new(&b, "sel-bin").unwrap();
    let s_more = SubChannel::<String>::new(&b, "sel-more").unwrap();
    // An interleaving with runs of each channel.
    let mut sent = Vec::new();
    for i in 0..300u32 {
        let which = (i * 7 + i / 5) % 3;
        let text = format!("{which}:{i}");
        match which {
            0 => p_text.send(&text).unwrap(),
            1 => p_bin.send(text.as_bytes()).unwrap(),
            _ => p_more.send(&text).unwrap(),
        }
        sent.push(text);
    }
    wait_until("s_text.pending() + s_bin.pending() + s_more.pending() == 300", || s_text.pending() + s_bin.pending() + s_more.pending() == 300);
    let mut got = Vec::new();
    let mut rounds = 0;
    while let Some(sel) = select_sub_channel(&[&s_text, &s_bin, &s_more]) {
        rounds += 1;
        match sel.index() {
            0 => got.extend(s_text.recv_selected(&sel)),
            1 => got.extend(
                s_bin
                    .recv_selected(&sel)
                    .into_iter()
                    .map(|v| String::from_utf8(v).unwrap()),
            ),
            _ => got.extend(s_more.recv_selected(&sel)),
        }
        // A selection is for its own channel only.
        if sel.index() != 0 {
            assert!(s_text.recv_selected(&sel).is_empty());
        }
    }
    assert_eq!(got, sent);
    assert!(rounds > 3 && rounds <= 300, "{rounds} rounds");
}

// ---------------------------------------------------------------------------
// State

#[test]
fn state_sends_only_values_that_differ() {
    let (a, b) = pair();
    let state = StateChannel::<String>::new(&a, "mode").unwrap();
    let wire = listen(&b, state.slot().slot());
    for v in ["a", "a", "b", "b", "b", "a", ""] {
        state.send(v).unwrap();
    }
    state.send("end").unwrap();
    let got: Vec<String> = (0..4)
        .map(|_| text_of(&wire.recv_timeout(DEADLINE).unwrap()))
        .collect();
    assert_eq!(got, ["a", "b", "a", "end"]);
    assert_eq!(state.get().as_deref(), Some("end"));
}

#[test]
fn state_recv_returns_the_latest_value_at_once_and_signals() {
    let (a, b) = pair();
    let writer = StateChannel::<Postcard<Reading>>::new(&a, "latest").unwrap();
    let reader = StateChannel::<Postcard<Reading>>::new(&b, "latest").unwrap();
    assert_eq!(reader.get(), None);
    let changes = reader.received().subscribe();
    let mut total = 0;
    let mut last = None;
    for i in 0..20 {
        let r = Reading {
            sensor: format!("s{i}"),
            values: vec![f64::from(i)],
            ok: i % 2 == 0,
        };
        writer.send(&r).unwrap();
        last = Some(r);
    }
    while total < 20 {
        total += changes.recv_timeout(DEADLINE).unwrap();
    }
    assert_eq!(total, 20);
    assert_eq!(reader.get(), last);
    assert_eq!(reader.decode_errors(), 0);
}

#[test]
fn state_is_sent_again_when_a_context_joins() {
    let (a, b) = pair();
    let on_a = StateChannel::<String>::new(&a, "status").unwrap();
    let on_b = StateChannel::<String>::new(&b, "status").unwrap();
    let b_changes = on_b.received().subscribe();
    on_a.send("busy").unwrap();
    b_changes.recv_timeout(DEADLINE).unwrap();
    assert_eq!(on_b.get().as_deref(), Some("busy"));

    // A newcomer learns the state only through the re-send that its
    // NEW_CONNECTION triggers (the value was sent before it joined).
    let c = context();
    let on_c = StateChannel::<String>::new(&c, "status").unwrap();
    let c_changes = on_c.received().subscribe();
    link(&a, &c);
    c_changes.recv_timeout(DEADLINE).unwrap();
    assert_eq!(on_c.get().as_deref(), Some("busy"));
}


// ---------------------------------------------------------------------------
// Bounded waits

#[test]
fn select_timeout_waits_for_the_first_channel_with_a_message() {
    let (a, b) = pair();
    let p_right = PubChannel::<Vec<u8>>::new(&a, "wait-right").unwrap();
    let s_left = SubChannel::<String>::new(&b, "wait-left").unwrap();
    let s_right = SubChannel::<Vec<u8>>::new(&b, "wait-right").unwrap();
    // Nothing pending: the select times out.
    assert_eq!(
        select_timeout(&[&s_left, &s_right], Duration::from_millis(20)),
        Err(RecvTimeoutError::Timeout)
    );
    // A select that waits is woken by a message from the other context.
    std::thread::scope(|scope| {
        let waiting =
            scope.spawn(|| select_timeout(&[&s_left, &s_right], DEADLINE).map(|s| s.index()));
        p_right.send(b"wake").unwrap();
        assert_eq!(waiting.join().unwrap(), Ok(1));
    });
    let sel = select_deadline(&[&s_left, &s_right], Instant::now() + DEADLINE).unwrap();
    assert_eq!(s_right.recv_selected(&sel), [b"wake".to_vec()]);
    // A select is woken by closing, and reports that nothing can come.
    std::thread::scope(|scope| {
        let waiting = scope.spawn(|| select(&[&s_left, &s_right]));
        s_left.close();
        s_right.close();
        assert_eq!(waiting.join().unwrap(), Err(RecvError));
    });
}

#[test]
fn recv_deadline_shares_one_deadline_between_receives() {
    let (a, b) = pair();
    let out = PubChannel::<String>::new(&a, "deadline").unwrap();
    let sub = SubChannel::<String>::new(&b, "deadline").unwrap();
    out.send("1").unwrap();
    out.send("2").unwrap();
    let deadline = Instant::now() + DEADLINE;
    assert_eq!(sub.recv_deadline(deadline).unwrap(), "1");
    assert_eq!(sub.recv_deadline(deadline).unwrap(), "2");
    let past = Instant::now();
    assert_eq!(sub.recv_deadline(past), Err(RecvTimeoutError::Timeout));
    sub.close();
    assert_eq!(sub.recv_deadline(deadline), Err(RecvTimeoutError::Closed));
}

#[test]
fn state_waits_see_values_from_another_context() {
    let (a, b) = pair();
    let writer = StateChannel::<String>::new(&a, "waits").unwrap();
    let reader = StateChannel::<String>::new(&b, "waits").unwrap();
    assert_eq!(
        reader.get_or_wait(Duration::from_millis(10)),
        Err(RecvTimeoutError::Timeout)
    );
    std::thread::scope(|scope| {
        let first = scope.spawn(|| reader.get_or_wait(DEADLINE));
        writer.send("one").unwrap();
        assert_eq!(first.join().unwrap().unwrap(), "one");
    });
    // The same value again is no change; a different one is.
    std::thread::scope(|scope| {
        let (started_tx, started_rx) = crossbeam_channel::bounded(1);
        let reader = &reader;
        let changed = scope.spawn(move || {
            started_tx.send(()).unwrap();
            reader.wait_changed_timeout(DEADLINE)
        });
        started_rx.recv_timeout(DEADLINE).unwrap();
        writer.send("two").unwrap();
        // "two" or, if the wait began after it arrived, nothing until
        // "three": either way the wait returns a value other than "one".
        writer.send("three").unwrap();
        let got = changed.join().unwrap().unwrap();
        assert!(got == "two" || got == "three", "{got}");
    });
    assert_eq!(
        reader
            .wait_for(|state| state == "three", DEADLINE)
            .unwrap(),
        "three"
    );
    reader.close();
    assert_eq!(
        reader.wait_changed_deadline(Instant::now() + DEADLINE),
        Err(RecvTimeoutError::Closed)
    );
    // A closed channel keeps its last state.
    assert_eq!(reader.get_or_wait(DEADLINE).unwrap(), "three");
}

#[test]
fn a_state_channel_made_after_connecting_learns_the_state_when_it_asks() {
    let (a, b) = pair();
    let owner = StateChannel::<String>::new(&a, "late").unwrap();
    owner.send("ready").unwrap();
    // The value arrives while nobody receives on its slot.
    wait_until("b.unrouted_packages() >= 1", || b.unrouted_packages() >= 1);
    // Made after the connection: nothing is resent for it by itself.
    let late = StateChannel::<String>::new(&b, "late").unwrap();
    late.request_resend().unwrap();
    assert_eq!(late.get_or_wait(DEADLINE).unwrap(), "ready");
    late.close();
    assert!(matches!(late.request_resend(), Err(SendError::Closed(()))));
}

// ---------------------------------------------------------------------------
// Typed channels meet by the name given to their type

/// Two programs' copies of one message type, and a third that renamed it.
mod producer {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub(crate) struct Reading {
        pub(crate) sensor: String,
        pub(crate) value: f64,
    }
    yoton_channels::type_name!(Reading = "shared-reading");
}

mod consumer {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub(crate) struct Reading {
        pub(crate) sensor: String,
        pub(crate) value: f64,
    }
    yoton_channels::type_name!(Reading = "shared-reading");
}

mod renamed {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub(crate) struct Reading {
        pub(crate) sensor: String,
        pub(crate) value: f64,
    }
    yoton_channels::type_name!(Reading = "shared-reading-v2");
}

#[test]
fn copies_of_a_type_under_one_name_meet_and_a_mismatch_is_counted() {
    let (a, b) = pair();
    let out = PubChannel::<Postcard<producer::Reading>>::new(&a, "typed").unwrap();
    let sub = SubChannel::<Postcard<consumer::Reading>>::new(&b, "typed").unwrap();
    assert_eq!(out.slot_outgoing(), sub.slot_incoming());
    assert_eq!(sub.slot_incoming().name(), "typed.postcard:shared-reading.pub-sub");
    out.send(&producer::Reading {
        sensor: "t1".into(),
        value: 21.5,
    })
    .unwrap();
    let got = sub.recv_timeout(DEADLINE).unwrap();
    assert_eq!(
        got,
        consumer::Reading {
            sensor: "t1".into(),
            value: 21.5,
        }
    );

    // A program whose type goes by another name reaches nobody, and the
    // receiving context says so.
    let before = b.unrouted_packages();
    let other = PubChannel::<Postcard<renamed::Reading>>::new(&a, "typed").unwrap();
    other
        .send(&renamed::Reading {
            sensor: "t2".into(),
            value: 0.0,
        })
        .unwrap();
    wait_until("b.unrouted_packages() > before", || b.unrouted_packages() > before);
    assert_eq!(b.unrouted_packages(), before + 1);
    assert_eq!(sub.pending(), 0);
    assert_eq!(sub.decode_errors(), 0);
}
