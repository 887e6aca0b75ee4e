//! `yoton bench` as scripts use it: the JSON it prints has the contract's
//! fields for every transport and pattern, req/rep calls, fan-outs and
//! connections included (the speeds are not checked), and the table and
//! the progress lines come out where they belong.
//!
//! Each run is a subprocess with a deadline; one still running when its
//! deadline passes is killed and reaped.

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The contract's fields, in order.
const FIELDS: [&str; 16] = [
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
];

/// The fields only a connections row has.
const CONNECTIONS_FIELDS: [&str; 5] = [
    "peers",
    "setup_s",
    "rss_kib_per_connection",
    "threads",
    "broadcast_ms",
];

/// Runs `yoton` with `args`, killing it if it takes longer than `deadline`.
fn run(args: &[&str], deadline: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_yoton"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stdout.read_to_end(&mut text);
        text
    });
    let err = thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.read_to_end(&mut text);
        text
    });
    let end = Instant::now() + deadline;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= end {
            let _ = child.kill();
            let _ = child.wait();
            panic!("yoton {args:?} took longer than {deadline:?}");
        }
        // Polling the process is the only wait std offers with a deadline.
        thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Parses the one JSON object of a `--json` run and checks each result's
/// fields; returns the results.
fn results_of(output: &Output) -> Vec<Value> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    assert_eq!(
        stdout.trim().lines().count(),
        1,
        "one line of JSON: {stdout}"
    );
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let object = report.as_object().unwrap();
    assert_eq!(object.keys().collect::<Vec<_>>(), ["results"]);
    let results = report["results"].as_array().unwrap().clone();
    for result in &results {
        let fields = result.as_object().unwrap();
        let mut names: Vec<&str> = fields.keys().map(String::as_str).collect();
        names.sort_unstable();
        let mut expected = FIELDS.to_vec();
        expected.sort_unstable();
        assert_eq!(names, expected, "{result}");
        assert!(result["size"].as_u64().unwrap() > 0, "{result}");
        assert!(result["messages"].as_u64().unwrap() > 0, "{result}");
        let pattern = result["pattern"].as_str().unwrap();
        if pattern == "connections" {
            // Only the connection fields; no rates.
            assert_eq!(result["transport"], "tcp", "{result}");
            assert!(result["peers"].as_u64().unwrap() > 0, "{result}");
            assert!(result["setup_s"].as_f64().unwrap() > 0.0, "{result}");
            assert!(result["broadcast_ms"].as_f64().unwrap() > 0.0, "{result}");
            if cfg!(target_os = "linux") {
                assert!(result["threads"].as_u64().unwrap() > 0, "{result}");
                assert!(result["rss_kib_per_connection"].is_f64(), "{result}");
            } else {
                assert!(result["threads"].is_null(), "{result}");
                assert!(result["rss_kib_per_connection"].is_null(), "{result}");
            }
            for field in FIELDS[4..11].iter() {
                assert!(result[field].is_null(), "{field}: {result}");
            }
            continue;
        }
        for field in CONNECTIONS_FIELDS {
            assert!(result[field].is_null(), "{field}: {result}");
        }
        if pattern == "fanout" {
            // Only the fan-out fields; the rates of one connection are not.
            assert_eq!(result["transport"], "tcp", "{result}");
            assert!(result["subs"].as_u64().unwrap() > 0, "{result}");
            assert!(
                result["deliveries_per_s"].as_f64().unwrap() > 0.0,
                "{result}"
            );
            for field in FIELDS[4..9].iter() {
                assert!(result[field].is_null(), "{field}: {result}");
            }
            continue;
        }
        assert!(result["subs"].is_null(), "{result}");
        assert!(result["deliveries_per_s"].is_null(), "{result}");
        assert!(result["msgs_per_s"].as_f64().unwrap() > 0.0, "{result}");
        match pattern {
            "oneway" => {
                assert!(result["bytes_per_s"].as_f64().unwrap() > 0.0, "{result}");
                assert!(result["rtt_us_p50"].is_null(), "{result}");
                assert!(result["rtt_us_p99"].is_null(), "{result}");
                assert!(result["cpu_s_per_1000"].is_null(), "{result}");
            }
            // A call is timed as a round trip, with the same fields.
            "roundtrip" | "reqrep" => {
                assert!(result["bytes_per_s"].is_null(), "{result}");
                let p50 = result["rtt_us_p50"].as_f64().unwrap();
                let p99 = result["rtt_us_p99"].as_f64().unwrap();
                assert!(p50 > 0.0 && p99 >= p50, "{result}");
                if cfg!(target_os = "linux") {
                    let cpu = result["cpu_s_per_1000"].as_f64().unwrap();
                    assert!(cpu > 0.0, "{result}");
                }
            }
            other => panic!("unknown pattern {other}"),
        }
    }
    results
}

/// The (transport, pattern, size) of each result.
fn cases(results: &[Value]) -> Vec<(String, String, u64)> {
    results
        .iter()
        .map(|r| {
            (
                r["transport"].as_str().unwrap().to_owned(),
                r["pattern"].as_str().unwrap().to_owned(),
                r["size"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn quick_json_reports_every_transport_and_pattern() {
    let output = run(&["bench", "--quick", "--json"], Duration::from_secs(120));
    let mut got = cases(&results_of(&output));
    got.sort();
    let mut expected = Vec::new();
    for transport in ["inproc", "raw-tcp", "tcp"] {
        for size in [8, 1024, 1024 * 1024] {
            expected.push((transport.to_owned(), "oneway".to_owned(), size));
        }
        expected.push((transport.to_owned(), "roundtrip".to_owned(), 8));
        if transport != "raw-tcp" {
            expected.push((transport.to_owned(), "reqrep".to_owned(), 8));
        }
    }
    for floor in ["raw-tcp-spin", "raw-inproc"] {
        expected.push((floor.to_owned(), "roundtrip".to_owned(), 8));
    }
    for pattern in ["roundtrip", "reqrep"] {
        expected.push(("tcp-busy-poll".to_owned(), pattern.to_owned(), 8));
    }
    expected.sort();
    assert_eq!(got, expected);
    let progress = String::from_utf8_lossy(&output.stderr);
    assert!(progress.contains("yoton: bench [18/18]"), "{progress}");
}

#[test]
fn the_floors_measure_round_trips_of_any_size_and_refuse_one_way() {
    for transport in ["raw-tcp-spin", "raw-inproc"] {
        let output = run(
            &[
                "bench",
                "--transport",
                transport,
                "--size",
                "100",
                "--messages",
                "300",
                "--json",
            ],
            Duration::from_secs(60),
        );
        let results = results_of(&output);
        assert_eq!(
            cases(&results),
            [(transport.to_owned(), "roundtrip".to_owned(), 100)]
        );
        assert_eq!(results[0]["messages"], 300);
        let output = run(
            &["bench", "--transport", transport, "--pattern", "oneway"],
            Duration::from_secs(20),
        );
        assert_eq!(output.status.code(), Some(2), "{transport}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("round trips only"), "{stderr}");
    }
}

#[test]
fn flags_narrow_the_run_to_one_transport_and_size() {
    let transports: &[&str] = if cfg!(unix) {
        &["tcp", "raw-tcp", "inproc", "ipc"]
    } else {
        &["tcp", "raw-tcp", "inproc"]
    };
    for &transport in transports {
        let output = run(
            &[
                "bench",
                "--transport",
                transport,
                "--size",
                "100",
                "--messages",
                "300",
                "--json",
            ],
            Duration::from_secs(60),
        );
        let results = results_of(&output);
        let mut expected = vec![
            (transport.to_owned(), "oneway".to_owned(), 100),
            (transport.to_owned(), "roundtrip".to_owned(), 100),
        ];
        if transport != "raw-tcp" {
            expected.push((transport.to_owned(), "reqrep".to_owned(), 100));
        }
        assert_eq!(cases(&results), expected);
        assert!(results.iter().all(|r| r["messages"] == 300));
    }
}

#[test]
fn messages_shorter_than_a_sequence_number_still_arrive_checked() {
    let output = run(
        &[
            "bench",
            "--transport",
            "tcp",
            "--size",
            "3",
            "--messages",
            "1000",
            "--json",
        ],
        Duration::from_secs(60),
    );
    let results = results_of(&output);
    assert_eq!(results.len(), 3);
}

#[test]
fn reqrep_measures_calls_next_to_the_round_trip_of_the_same_transport() {
    let transports: &[&str] = if cfg!(unix) {
        &["tcp", "inproc", "ipc"]
    } else {
        &["tcp", "inproc"]
    };
    for &transport in transports {
        let output = run(
            &[
                "bench",
                "--transport",
                transport,
                "--pattern",
                "reqrep",
                "--messages",
                "200",
                "--json",
            ],
            Duration::from_secs(60),
        );
        let results = results_of(&output);
        assert_eq!(
            cases(&results),
            [
                (transport.to_owned(), "roundtrip".to_owned(), 8),
                (transport.to_owned(), "reqrep".to_owned(), 8),
            ]
        );
        assert!(results.iter().all(|r| r["messages"] == 200));
    }
    let output = run(
        &["bench", "--transport", "raw-tcp", "--pattern", "reqrep"],
        Duration::from_secs(20),
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("has no req/rep"), "{stderr}");
}

#[test]
fn fanout_reports_every_subscriber_in_one_row() {
    let output = run(
        &[
            "bench",
            "--pattern",
            "fanout",
            "--subs",
            "3",
            "--messages",
            "2000",
            "--json",
        ],
        Duration::from_secs(60),
    );
    let results = results_of(&output);
    assert_eq!(
        cases(&results),
        [("tcp".to_owned(), "fanout".to_owned(), 8)]
    );
    let row = &results[0];
    assert_eq!(row["subs"], 3, "{row}");
    assert_eq!(row["messages"], 2000, "{row}");
    assert!(row["deliveries_per_s"].as_f64().unwrap() > 0.0, "{row}");
    let progress = String::from_utf8_lossy(&output.stderr);
    assert!(
        progress.contains("yoton: bench [1/1] tcp fanout 8 B x 2000 to 3 subscribers"),
        "{progress}"
    );
}

#[test]
fn fanout_flags_that_do_not_fit_exit_2() {
    for (args, says) in [
        (
            &["bench", "--pattern", "fanout", "--subs", "0"][..],
            "--subs",
        ),
        (&["bench", "--pattern", "fanout", "--subs", "257"], "--subs"),
        (&["bench", "--subs", "3"], "--subs needs --pattern fanout"),
        (
            &["bench", "--pattern", "oneway", "--subs", "3"],
            "--subs needs --pattern fanout",
        ),
        (
            &["bench", "--transport", "inproc", "--pattern", "fanout"],
            "inproc has no fan-out",
        ),
        (
            &["bench", "--transport", "raw-tcp", "--pattern", "fanout"],
            "raw-tcp has no fan-out",
        ),
        (
            &["bench", "--pattern", "fanout", "--secret-file", "none.key"],
            "--secret-file does not apply to --pattern fanout",
        ),
    ] {
        let output = run(args, Duration::from_secs(20));
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    // A mistake the bench finds itself is one line.
    let output = run(&["bench", "--subs", "3"], Duration::from_secs(20));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        "yoton: error: --subs needs --pattern fanout"
    );
    // The secret is refused before its file is read.
    let output = run(
        &["bench", "--pattern", "fanout", "--secret-file", "none.key"],
        Duration::from_secs(20),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        "yoton: error: --secret-file does not apply to --pattern fanout, which runs over plain tcp"
    );
}

#[test]
fn connections_report_their_costs_in_one_row() {
    let output = run(
        &[
            "bench",
            "--pattern",
            "connections",
            "--peers",
            "20",
            "--json",
        ],
        Duration::from_secs(120),
    );
    let results = results_of(&output);
    assert_eq!(
        cases(&results),
        [("tcp".to_owned(), "connections".to_owned(), 8)]
    );
    let row = &results[0];
    assert_eq!(row["peers"], 20, "{row}");
    assert_eq!(row["messages"], 1, "{row}");
    if cfg!(target_os = "linux") {
        // One thread does the I/O of all the hub's connections: the hub's
        // process has fewer threads than connections.
        let threads = row["threads"].as_u64().unwrap();
        assert!((1..20).contains(&threads), "{row}");
    }
    let progress = String::from_utf8_lossy(&output.stderr);
    assert!(
        progress.contains("yoton: bench [1/1] tcp connections to 20 peers"),
        "{progress}"
    );
    // The table shows the same row, with the costs' columns.
    let output = run(
        &["bench", "--pattern", "connections", "--peers", "3"],
        Duration::from_secs(120),
    );
    assert!(output.status.success(), "{output:?}");
    let table = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "{table}");
    for title in ["PEERS", "SETUP", "RSS/CONN", "THREADS", "BROADCAST"] {
        assert!(lines[0].contains(title), "{title}: {table}");
    }
    assert!(lines[1].starts_with("tcp      connections "), "{table}");
    assert!(lines[1].contains(" ms"), "{table}");
}

#[test]
fn connections_flags_that_do_not_fit_exit_2() {
    for (args, says) in [
        (
            &["bench", "--pattern", "connections", "--peers", "0"][..],
            "--peers",
        ),
        (
            &["bench", "--pattern", "connections", "--peers", "10001"],
            "--peers",
        ),
        (
            &["bench", "--peers", "3"],
            "--peers needs --pattern connections",
        ),
        (
            &["bench", "--pattern", "fanout", "--peers", "3"],
            "--peers needs --pattern connections",
        ),
        (
            &["bench", "--transport", "inproc", "--pattern", "connections"],
            "runs over tcp only, not inproc",
        ),
        (
            &[
                "bench",
                "--transport",
                "raw-tcp",
                "--pattern",
                "connections",
            ],
            "runs over tcp only, not raw-tcp",
        ),
        (
            &["bench", "--pattern", "connections", "--messages", "5"],
            "--messages does not apply to --pattern connections",
        ),
        (
            &[
                "bench",
                "--pattern",
                "connections",
                "--secret-file",
                "none.key",
            ],
            "--secret-file does not apply to --pattern connections",
        ),
    ] {
        let output = run(args, Duration::from_secs(20));
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let output = run(&["bench", "--peers", "3"], Duration::from_secs(20));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        "yoton: error: --peers needs --pattern connections"
    );
    let output = run(
        &[
            "bench",
            "--pattern",
            "connections",
            "--secret-file",
            "none.key",
        ],
        Duration::from_secs(20),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        "yoton: error: --secret-file does not apply to --pattern connections, which runs over plain tcp"
    );
}

#[test]
fn without_json_a_table_is_printed() {
    let output = run(
        &["bench", "--transport", "inproc", "--messages", "50"],
        Duration::from_secs(60),
    );
    assert!(output.status.success());
    let table = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 7, "{table}");
    assert!(lines[0].starts_with("TRANSP."), "{table}");
    assert!(lines[1].starts_with("inproc   oneway"), "{table}");
    assert!(
        lines[4].contains("roundtrip") && lines[4].contains(" us"),
        "{table}"
    );
    assert!(
        lines[5].starts_with("inproc   reqrep") && lines[5].contains(" us"),
        "{table}"
    );
    assert!(
        lines[6].starts_with("inproc 8 B: a req/rep call takes "),
        "{table}"
    );
}

#[test]
fn bad_flags_exit_2() {
    for args in [
        &["bench", "--size", "0"][..],
        &["bench", "--transport", "udp"],
        &["bench", "--messages", "-1"],
    ] {
        let output = run(args, Duration::from_secs(20));
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn a_secret_file_measures_secured_tcp_beside_plain_tcp() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-secured");
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join(format!("{}.key", std::process::id()));
    let _ = std::fs::remove_file(&key);
    let key = key.to_str().unwrap();
    assert!(
        run(&["keygen", key], Duration::from_secs(20))
            .status
            .success()
    );
    let output = run(
        &[
            "bench",
            "--transport",
            "tcp",
            "--size",
            "64",
            "--messages",
            "300",
            "--json",
            "--secret-file",
            key,
        ],
        Duration::from_secs(120),
    );
    let results = results_of(&output);
    let found: Vec<(String, String, u64)> = cases(&results);
    let expected: Vec<(String, String, u64)> = [
        ("tcp", "oneway"),
        ("tcp-secured", "oneway"),
        ("tcp", "roundtrip"),
        ("tcp", "reqrep"),
        ("tcp-secured", "roundtrip"),
        ("tcp-secured", "reqrep"),
    ]
    .iter()
    .map(|(t, p)| ((*t).to_owned(), (*p).to_owned(), 64))
    .collect();
    assert_eq!(found, expected);
    // Without a secret there is nothing to secure with; a bad one stops
    // the run before it measures.
    let missing = run(
        &["bench", "--transport", "tcp-secured", "--json"],
        Duration::from_secs(20),
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("--secret-file"));
    let bad = dir.join("short.key");
    std::fs::write(&bad, b"short").unwrap();
    let bad = run(
        &["bench", "--json", "--secret-file", bad.to_str().unwrap()],
        Duration::from_secs(20),
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(bad.stdout.is_empty());
}
