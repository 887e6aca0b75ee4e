//! The plan and the table of `yoton bench`, without measuring.

use super::*;

fn args(transport: BenchTransport, size: Option<u64>, quick: bool) -> BenchArgs {
    BenchArgs {
        transport,
        size,
        messages: None,
        pattern: None,
        subs: None,
        peers: None,
        quick,
        json: true,
        secret_file: None,
    }
}

#[test]
fn the_default_plan_covers_every_transport_and_case() {
    let cases = plan(&args(BenchTransport::All, None, false)).unwrap();
    assert_eq!(cases.len(), 18);
    let oneway: Vec<u64> = cases
        .iter()
        .filter(|c| c.pattern == BenchPattern::Oneway && c.transport == BenchTransport::Tcp)
        .map(|c| c.size)
        .collect();
    assert_eq!(oneway, DEFAULT_SIZES);
    let roundtrips = cases
        .iter()
        .filter(|c| c.pattern == BenchPattern::Roundtrip)
        .count();
    assert_eq!(roundtrips, 6);
    let no_oneway: Vec<&str> = cases
        .iter()
        .filter(|c| roundtrip_only(c.transport))
        .map(|c| transport_name(c.transport))
        .collect();
    assert_eq!(
        no_oneway,
        [
            "raw-tcp-spin",
            "tcp-busy-poll",
            "tcp-busy-poll",
            "raw-inproc"
        ]
    );
    // Each call right after the round trip it is compared with.
    let order: Vec<(&str, &str)> = cases
        .iter()
        .filter(|c| c.pattern != BenchPattern::Oneway)
        .map(|c| (transport_name(c.transport), pattern_name(c.pattern)))
        .collect();
    assert_eq!(
        order,
        [
            ("raw-tcp", "roundtrip"),
            ("raw-tcp-spin", "roundtrip"),
            ("tcp", "roundtrip"),
            ("tcp", "reqrep"),
            ("tcp-busy-poll", "roundtrip"),
            ("tcp-busy-poll", "reqrep"),
            ("raw-inproc", "roundtrip"),
            ("inproc", "roundtrip"),
            ("inproc", "reqrep"),
        ]
    );
    let small = cases.iter().find(|c| c.size == 8).unwrap().messages;
    let large = cases.iter().find(|c| c.size == 1 << 20).unwrap().messages;
    assert!(small > 100 * large, "{small} vs {large}");
}

#[test]
fn quick_sends_fewer_and_size_narrows_the_plan() {
    let full = plan(&args(BenchTransport::Tcp, Some(100), false)).unwrap();
    let quick = plan(&args(BenchTransport::Tcp, Some(100), true)).unwrap();
    assert_eq!(full.len(), 3);
    assert!(full.iter().all(|c| c.size == 100));
    for (quick, full) in quick.iter().zip(&full) {
        assert!(quick.messages < full.messages);
    }
    let mut only = args(BenchTransport::All, None, true);
    only.pattern = Some(BenchPattern::Roundtrip);
    let cases = plan(&only).unwrap();
    assert_eq!(cases.len(), 6);
    assert!(cases.iter().all(|c| c.pattern == BenchPattern::Roundtrip));
    only.pattern = Some(BenchPattern::Reqrep);
    let cases: Vec<(&str, &str)> = plan(&only)
        .unwrap()
        .iter()
        .map(|c| (transport_name(c.transport), pattern_name(c.pattern)))
        .collect();
    assert_eq!(
        cases,
        [
            ("tcp", "roundtrip"),
            ("tcp", "reqrep"),
            ("tcp-busy-poll", "roundtrip"),
            ("tcp-busy-poll", "reqrep"),
            ("inproc", "roundtrip"),
            ("inproc", "reqrep"),
        ]
    );
    let mut raw = args(BenchTransport::RawTcp, None, true);
    raw.pattern = Some(BenchPattern::Reqrep);
    assert_eq!(
        plan(&raw).unwrap_err(),
        "nothing to measure: raw-tcp has no req/rep (tcp, ipc and inproc have)"
    );
    let spin = plan(&args(BenchTransport::RawTcpSpin, Some(100), true)).unwrap();
    assert_eq!(spin.len(), 1);
    assert_eq!(
        (spin[0].pattern, spin[0].size),
        (BenchPattern::Roundtrip, 100)
    );
    let mut oneway = args(BenchTransport::RawInproc, None, true);
    oneway.pattern = Some(BenchPattern::Oneway);
    assert_eq!(
        plan(&oneway).unwrap_err(),
        "nothing to measure: raw-inproc measures round trips only"
    );
}

#[test]
fn a_secret_file_puts_secured_tcp_right_after_each_tcp_case() {
    let mut secured = args(BenchTransport::All, None, true);
    secured.secret_file = Some(PathBuf::from("k"));
    let cases = plan(&secured).unwrap();
    assert_eq!(cases.len(), 18 + 5);
    for (i, case) in cases.iter().enumerate() {
        if case.transport == BenchTransport::TcpSecured {
            let plain = cases[..i]
                .iter()
                .rev()
                .find(|c| c.transport != BenchTransport::TcpSecured)
                .unwrap();
            assert_eq!(plain.transport, BenchTransport::Tcp);
            assert_eq!(case.secret_file.as_deref(), Some(std::path::Path::new("k")));
        } else {
            assert_eq!(case.secret_file, None);
        }
    }
    let names: Vec<&str> = cases
        .iter()
        .filter(|c| c.size == 8 && c.pattern == BenchPattern::Roundtrip)
        .map(|c| transport_name(c.transport))
        .collect();
    assert_eq!(
        names,
        [
            "raw-tcp",
            "raw-tcp-spin",
            "tcp",
            "tcp-secured",
            "tcp-busy-poll",
            "raw-inproc",
            "inproc"
        ]
    );
    secured.transport = BenchTransport::Tcp;
    assert_eq!(plan(&secured).unwrap().len(), 10);
    secured.transport = BenchTransport::TcpSecured;
    assert!(
        plan(&secured)
            .unwrap()
            .iter()
            .all(|c| c.transport == BenchTransport::TcpSecured)
    );
    assert!(
        plan(&args(BenchTransport::All, None, true))
            .unwrap()
            .iter()
            .all(|c| c.transport != BenchTransport::TcpSecured)
    );
}

#[test]
fn the_table_widens_for_long_transport_names_only() {
    let row = |transport| BenchResult {
        transport,
        pattern: "roundtrip",
        size: 8,
        messages: 10,
        msgs_per_s: Some(1.0),
        bytes_per_s: None,
        rtt_us_p50: Some(1.0),
        rtt_us_p99: Some(2.0),
        cpu_s_per_1000: Some(0.5),
        subs: None,
        deliveries_per_s: None,
        peers: None,
        setup_s: None,
        rss_kib_per_connection: None,
        threads: None,
        broadcast_ms: None,
    };
    let short = table(&[row("inproc")]);
    assert!(
        short
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("inproc   roundtrip")
    );
    let mut call = row("inproc");
    call.pattern = "reqrep";
    call.rtt_us_p50 = Some(2.5);
    call.rtt_us_p99 = Some(3.0);
    let with_call = table(&[row("inproc"), call]);
    assert_eq!(
        with_call.lines().last().unwrap(),
        "inproc 8 B: a req/rep call takes 2.50x the pub/sub round trip at p50, 1.50x at p99"
    );
    let long = table(&[row("inproc"), row("raw-tcp-spin")]);
    let lines: Vec<&str> = long.lines().collect();
    assert!(lines[1].starts_with("inproc       roundtrip"), "{long}");
    assert!(lines[2].starts_with("raw-tcp-spin roundtrip"), "{long}");
    assert!(lines[2].ends_with("0.5000 s"), "{long}");
    assert!(
        !long.contains("SUBS") && !long.contains("DELIV/S"),
        "{long}"
    );
}

#[test]
fn the_table_shows_fan_out_columns_when_a_row_has_them() {
    let fanout = BenchResult {
        transport: "tcp",
        pattern: "fanout",
        size: 8,
        messages: 2000,
        msgs_per_s: None,
        bytes_per_s: None,
        rtt_us_p50: None,
        rtt_us_p99: None,
        cpu_s_per_1000: None,
        subs: Some(16),
        deliveries_per_s: Some(1234567.8),
        peers: None,
        setup_s: None,
        rss_kib_per_connection: None,
        threads: None,
        broadcast_ms: None,
    };
    let text = table(&[fanout]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let titles: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        titles,
        [
            "TRANSP.", "PATTERN", "SIZE", "SUBS", "MESSAGES", "MSG/S", "DELIV/S", "MB/S", "RTT",
            "P50", "RTT", "P99", "CPU/1000", "RT"
        ]
    );
    let cells: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        cells,
        [
            "tcp", "fanout", "8", "B", "16", "2000", "-", "1234568", "-", "-", "-", "-"
        ]
    );
    // Each cell ends under the end of its title.
    let end_of = |line: &str, text: &str| line.find(text).map(|at| at + text.len());
    assert_eq!(end_of(lines[0], "SUBS"), end_of(lines[1], " 16"));
    assert_eq!(end_of(lines[0], "DELIV/S"), end_of(lines[1], "1234568"));
}

#[test]
fn results_leave_what_does_not_apply_empty() {
    let case = Case {
        transport: BenchTransport::Inproc,
        pattern: BenchPattern::Oneway,
        size: 8,
        messages: 1000,
        subs: None,
        peers: None,
        secret_file: None,
    };
    let r = case.result(Measured::Oneway(Duration::from_millis(1)));
    assert_eq!(r.msgs_per_s, Some(1_000_000.0));
    assert_eq!(r.bytes_per_s, Some(8_000_000.0));
    assert_eq!((r.rtt_us_p50, r.rtt_us_p99), (None, None));
    assert_eq!(r.cpu_s_per_1000, None);
    let rtts = (1..=100).map(Duration::from_micros).collect();
    let cpu = Some(Duration::from_millis(5));
    let r = case.result(Measured::Roundtrip(rtts, cpu));
    assert_eq!(r.rtt_us_p50, Some(51.0));
    assert_eq!(r.rtt_us_p99, Some(99.0));
    assert_eq!(r.bytes_per_s, None);
    assert!((r.cpu_s_per_1000.unwrap() - 0.05).abs() < 1e-12);
    assert_eq!((r.subs, r.deliveries_per_s), (None, None));
}

#[test]
fn a_fan_out_result_counts_the_deliveries_of_every_subscriber() {
    let case = Case {
        transport: BenchTransport::Tcp,
        pattern: BenchPattern::Fanout,
        size: 8,
        messages: 1000,
        subs: Some(4),
        peers: None,
        secret_file: None,
    };
    let r = case.result(Measured::Fanout(Duration::from_millis(1)));
    assert_eq!((r.transport, r.pattern), ("tcp", "fanout"));
    assert_eq!((r.size, r.messages, r.subs), (8, 1000, Some(4)));
    assert_eq!(r.deliveries_per_s, Some(4_000_000.0));
    assert_eq!((r.msgs_per_s, r.bytes_per_s), (None, None));
    assert_eq!((r.rtt_us_p50, r.rtt_us_p99), (None, None));
    assert_eq!(r.cpu_s_per_1000, None);
}

fn fanout(transport: BenchTransport, subs: Option<u16>) -> BenchArgs {
    let mut fanout = args(transport, None, false);
    fanout.pattern = Some(BenchPattern::Fanout);
    fanout.subs = subs;
    fanout
}

#[test]
fn fanout_measures_one_four_and_sixteen_subscribers_unless_told() {
    let cases = plan(&fanout(BenchTransport::Tcp, None)).unwrap();
    let subs: Vec<Option<u16>> = cases.iter().map(|c| c.subs).collect();
    assert_eq!(subs, [Some(1), Some(4), Some(16)]);
    for case in &cases {
        assert_eq!(case.transport, BenchTransport::Tcp);
        assert_eq!(case.pattern, BenchPattern::Fanout);
        assert_eq!((case.size, case.messages), (8, 200_000));
        assert_eq!(case.secret_file, None);
    }
    let mut quick = fanout(BenchTransport::All, None);
    quick.quick = true;
    let cases = plan(&quick).unwrap();
    assert_eq!(cases.len(), 3);
    assert!(cases.iter().all(|c| c.transport == BenchTransport::Tcp));
    assert!(cases.iter().all(|c| c.messages == 20_000));
    // `--subs`, `--size` and `--messages` narrow it to one case; `all`
    // is plain tcp here.
    let mut one = fanout(BenchTransport::All, Some(3));
    one.size = Some(100);
    one.messages = Some(2000);
    let cases = plan(&one).unwrap();
    assert_eq!(cases.len(), 1);
    let case = &cases[0];
    assert_eq!(
        (case.transport, case.pattern, case.subs),
        (BenchTransport::Tcp, BenchPattern::Fanout, Some(3))
    );
    assert_eq!((case.size, case.messages), (100, 2000));
    assert_eq!(case.secret_file, None);
    assert_eq!(case.describe(), "tcp fanout 100 B x 2000 to 3 subscribers");
    let cases = plan(&fanout(BenchTransport::Tcp, Some(1))).unwrap();
    assert_eq!(
        cases[0].describe(),
        "tcp fanout 8 B x 200000 to 1 subscriber"
    );
}

#[test]
fn fanout_only_exists_on_request_and_over_tcp() {
    for transport in [BenchTransport::All, BenchTransport::Tcp] {
        let cases = plan(&args(transport, None, false)).unwrap();
        assert!(!cases.is_empty());
        assert!(
            cases
                .iter()
                .all(|c| c.pattern != BenchPattern::Fanout && c.subs.is_none())
        );
    }
    for pattern in [None, Some(BenchPattern::Oneway), Some(BenchPattern::Reqrep)] {
        let mut subs = args(BenchTransport::Tcp, None, false);
        subs.pattern = pattern;
        subs.subs = Some(3);
        assert_eq!(
            plan(&subs).unwrap_err(),
            "--subs needs --pattern fanout",
            "{pattern:?}"
        );
    }
    for (transport, name) in [
        (BenchTransport::Inproc, "inproc"),
        (BenchTransport::RawTcp, "raw-tcp"),
        (BenchTransport::Ipc, "ipc"),
        (BenchTransport::TcpSecured, "tcp-secured"),
        (BenchTransport::RawInproc, "raw-inproc"),
    ] {
        for subs in [None, Some(2)] {
            assert_eq!(
                plan(&fanout(transport, subs)).unwrap_err(),
                format!("nothing to measure: {name} has no fan-out (tcp has)")
            );
        }
    }
}

#[test]
fn fanout_and_connections_refuse_a_secret_file() {
    for transport in [BenchTransport::Tcp, BenchTransport::All] {
        for (mut args, name) in [
            (fanout(transport, None), "fanout"),
            (fanout(transport, Some(2)), "fanout"),
            (connections(transport, None), "connections"),
            (connections(transport, Some(2)), "connections"),
        ] {
            assert!(plan(&args).is_ok(), "{name}: plain tcp is planned");
            args.secret_file = Some(PathBuf::from("k"));
            assert_eq!(
                plan(&args).unwrap_err(),
                format!(
                    "--secret-file does not apply to --pattern {name}, which runs over plain tcp"
                )
            );
        }
    }
}

fn connections(transport: BenchTransport, peers: Option<u16>) -> BenchArgs {
    let mut connections = args(transport, None, false);
    connections.pattern = Some(BenchPattern::Connections);
    connections.peers = peers;
    connections
}

#[test]
fn connections_connect_a_thousand_peers_unless_told() {
    for transport in [BenchTransport::Tcp, BenchTransport::All] {
        let cases = plan(&connections(transport, None)).unwrap();
        assert_eq!(cases.len(), 1);
        let case = &cases[0];
        assert_eq!(
            (case.transport, case.pattern, case.peers, case.subs),
            (
                BenchTransport::Tcp,
                BenchPattern::Connections,
                Some(1000),
                None
            )
        );
        assert_eq!((case.size, case.messages), (8, 1));
        assert_eq!(case.describe(), "tcp connections to 1000 peers");
    }
    // `--peers` and `--size` say; `--quick` changes nothing.
    let mut one = connections(BenchTransport::All, Some(1));
    one.size = Some(100);
    one.quick = true;
    let cases = plan(&one).unwrap();
    assert_eq!(cases.len(), 1);
    let case = &cases[0];
    assert_eq!((case.peers, case.size, case.messages), (Some(1), 100, 1));
    assert_eq!(case.secret_file, None);
    assert_eq!(case.describe(), "tcp connections to 1 peer");
    let cases = plan(&connections(BenchTransport::Tcp, Some(10_000))).unwrap();
    assert_eq!(cases[0].peers, Some(10_000));
}

#[test]
fn connections_only_exist_on_request_and_over_tcp() {
    for transport in [BenchTransport::All, BenchTransport::Tcp] {
        for pattern in [None, Some(BenchPattern::Fanout)] {
            let mut other = args(transport, None, false);
            other.pattern = pattern;
            let cases = plan(&other).unwrap();
            assert!(!cases.is_empty());
            assert!(
                cases
                    .iter()
                    .all(|c| c.pattern != BenchPattern::Connections && c.peers.is_none()),
                "{pattern:?}"
            );
        }
    }
    for pattern in [
        None,
        Some(BenchPattern::Oneway),
        Some(BenchPattern::Roundtrip),
        Some(BenchPattern::Reqrep),
        Some(BenchPattern::Fanout),
    ] {
        let mut peers = args(BenchTransport::Tcp, None, false);
        peers.pattern = pattern;
        peers.peers = Some(20);
        assert_eq!(
            plan(&peers).unwrap_err(),
            "--peers needs --pattern connections",
            "{pattern:?}"
        );
    }
    let mut subs = connections(BenchTransport::Tcp, None);
    subs.subs = Some(3);
    assert_eq!(plan(&subs).unwrap_err(), "--subs needs --pattern fanout");
    let mut messages = connections(BenchTransport::Tcp, None);
    messages.messages = Some(10);
    assert_eq!(
        plan(&messages).unwrap_err(),
        "--messages does not apply to --pattern connections, which broadcasts one message"
    );
    for (transport, name) in [
        (BenchTransport::Inproc, "inproc"),
        (BenchTransport::RawTcp, "raw-tcp"),
        (BenchTransport::RawTcpSpin, "raw-tcp-spin"),
        (BenchTransport::RawInproc, "raw-inproc"),
        (BenchTransport::Ipc, "ipc"),
        (BenchTransport::TcpSecured, "tcp-secured"),
        (BenchTransport::TcpBusyPoll, "tcp-busy-poll"),
    ] {
        for peers in [None, Some(2)] {
            assert_eq!(
                plan(&connections(transport, peers)).unwrap_err(),
                format!("nothing to measure: --pattern connections runs over tcp only, not {name}")
            );
        }
    }
}

#[test]
fn a_connections_result_has_the_costs_and_nothing_else() {
    let case = Case {
        transport: BenchTransport::Tcp,
        pattern: BenchPattern::Connections,
        size: 8,
        messages: 1,
        subs: None,
        peers: Some(1000),
        secret_file: None,
    };
    let costs = connections::Costs {
        setup: Duration::from_millis(750),
        threads: Some(2009),
        rss_growth_kib: Some(112_500),
        broadcast: Duration::from_micros(41_500),
    };
    let r = case.result(Measured::Connections(costs));
    assert_eq!((r.transport, r.pattern), ("tcp", "connections"));
    assert_eq!((r.size, r.messages, r.peers), (8, 1, Some(1000)));
    assert_eq!(r.setup_s, Some(0.75));
    assert_eq!(r.threads, Some(2009));
    assert_eq!(r.rss_kib_per_connection, Some(112.5));
    assert!((r.broadcast_ms.unwrap() - 41.5).abs() < 1e-9);
    assert_eq!((r.msgs_per_s, r.bytes_per_s), (None, None));
    assert_eq!((r.rtt_us_p50, r.rtt_us_p99), (None, None));
    assert_eq!(
        (r.cpu_s_per_1000, r.subs, r.deliveries_per_s),
        (None, None, None)
    );
    // Where the platform does not say, neither does the row.
    let unknown = connections::Costs {
        threads: None,
        rss_growth_kib: None,
        ..costs
    };
    let r = case.result(Measured::Connections(unknown));
    assert_eq!((r.threads, r.rss_kib_per_connection), (None, None));
    // The other patterns leave the connection fields empty.
    let mut oneway = case.clone();
    oneway.pattern = BenchPattern::Oneway;
    oneway.peers = None;
    let r = oneway.result(Measured::Oneway(Duration::from_millis(1)));
    assert_eq!((r.peers, r.setup_s, r.broadcast_ms), (None, None, None));
    assert_eq!((r.threads, r.rss_kib_per_connection), (None, None));
}

#[test]
fn the_json_fields_keep_their_order_with_the_new_ones_last() {
    let case = Case {
        transport: BenchTransport::Tcp,
        pattern: BenchPattern::Connections,
        size: 8,
        messages: 1,
        subs: None,
        peers: Some(3),
        secret_file: None,
    };
    let costs = connections::Costs {
        setup: Duration::from_millis(5),
        threads: None,
        rss_growth_kib: None,
        broadcast: Duration::from_millis(1),
    };
    let text = serde_json::to_string(&case.result(Measured::Connections(costs))).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let names: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut at = 0;
    for name in [
        "transport",
        "pattern",
        "size",
        "messages",
        "msgs_per_s",
        "bytes_per_s",
        "rtt_us_p50",
        "rtt_us_p99",
        "cpu_s_per_1000",
        "subs",
        "deliveries_per_s",
        "peers",
        "setup_s",
        "rss_kib_per_connection",
        "threads",
        "broadcast_ms",
    ] {
        let found = text[at..].find(&format!("\"{name}\":"));
        assert!(found.is_some(), "{name} after {at} in {text}");
        at += found.unwrap_or(0);
    }
    assert_eq!(names.len(), 16, "{text}");
    assert!(value["threads"].is_null(), "{text}");
}

#[test]
fn the_table_of_a_connections_row_shows_its_costs() {
    let row = BenchResult {
        transport: "tcp",
        pattern: "connections",
        size: 8,
        messages: 1,
        msgs_per_s: None,
        bytes_per_s: None,
        rtt_us_p50: None,
        rtt_us_p99: None,
        cpu_s_per_1000: None,
        subs: None,
        deliveries_per_s: None,
        peers: Some(1000),
        setup_s: Some(0.7654),
        rss_kib_per_connection: Some(113.51),
        threads: Some(2009),
        broadcast_ms: Some(66.117),
    };
    let text = table(std::slice::from_ref(&row));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let titles: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        titles,
        [
            "TRANSP.",
            "PATTERN",
            "SIZE",
            "MESSAGES",
            "PEERS",
            "SETUP",
            "RSS/CONN",
            "THREADS",
            "BROADCAST"
        ]
    );
    assert!(lines[1].starts_with("tcp      connections "), "{text}");
    let cells: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        cells,
        [
            "tcp",
            "connections",
            "8",
            "B",
            "1",
            "1000",
            "0.765",
            "s",
            "113.5",
            "KiB",
            "2009",
            "66.12",
            "ms"
        ]
    );
    let end_of = |line: &str, text: &str| line.find(text).map(|at| at + text.len());
    assert_eq!(end_of(lines[0], "PEERS"), end_of(lines[1], " 1000"));
    assert_eq!(end_of(lines[0], "BROADCAST"), end_of(lines[1], "66.12 ms"));
    assert_eq!(end_of(lines[0], "PATTERN"), Some(9 + "PATTERN".len()));
    // Unknown costs show as `-`; beside other rows, theirs show too.
    let mut unknown = row.clone();
    unknown.threads = None;
    unknown.rss_kib_per_connection = None;
    let text = table(&[unknown]);
    assert_eq!(
        text.lines().nth(1).unwrap().matches(" -").count(),
        2,
        "{text}"
    );
    let mut oneway = row.clone();
    oneway.pattern = "oneway";
    oneway.peers = None;
    oneway.msgs_per_s = Some(10.0);
    let text = table(&[oneway, row]);
    assert!(text.lines().next().unwrap().contains("MSG/S"), "{text}");
    assert!(text.lines().next().unwrap().contains("PEERS"), "{text}");
}
