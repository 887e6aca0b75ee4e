//! The `pyzo_kernel` example against the real Pyzo kernel (the Python of
//! `yoton_pyref::python()`, so `YOTON_PYTHON` or the workspace's venv),
//! run as a user runs it: as a process, with its command line, watching
//! its stdout, stderr and exit code.
//!
//! The example binary is (re)built here with the cargo that runs the
//! tests, so that `cargo test --test pyzo_kernel` never runs a stale or
//! missing one.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Time enough for the example to build, a kernel to start (0.2-2.5 s),
/// and every CODE to run, on a loaded machine.
const RUN_DEADLINE: Duration = Duration::from_secs(60);

/// The example binary, built once per test process.
fn example() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        // This test is target/<profile>/deps/pyzo_kernel-<hash>; the
        // example goes to target/<profile>/examples/pyzo_kernel.
        let exe = std::env::current_exe().expect("the test's own path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("the test runs from target/<profile>/deps");
        let target_dir = profile_dir.parent().expect("target/<profile>");
        let profile = profile_dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a profile name");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .args([
                "build",
                "--quiet",
                "-p",
                "yoton",
                "--example",
                "pyzo_kernel",
            ])
            .arg("--target-dir")
            .arg(target_dir);
        match profile {
            "debug" => {}
            "release" => {
                build.arg("--release");
            }
            other => {
                build.args(["--profile", other]);
            }
        }
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "building the example failed: {status}");
        let binary = profile_dir
            .join("examples")
            .join(format!("pyzo_kernel{}", std::env::consts::EXE_SUFFIX));
        assert!(binary.is_file(), "no example at {}", binary.display());
        binary
    })
}

/// The Python with pyzo 4.22.0 (`YOTON_PYTHON`, or the workspace's venv).
fn python() -> PathBuf {
    yoton_pyref::python().expect("a Python with pyzo (set YOTON_PYTHON)")
}

/// A running example: its stderr line by line as it comes, its stdout
/// whole at the end.
struct Running {
    child: Child,
    stderr_lines: Receiver<String>,
    stderr_seen: Vec<String>,
    stdout: Option<JoinHandle<String>>,
    deadline: Instant,
}

/// What a finished example left.
#[derive(Debug)]
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: Vec<String>,
}

impl Running {
    fn spawn(args: &[&str], env: &[(&str, &str)]) -> Running {
        let mut command = Command::new(example());
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env_remove("YOTON_PYTHON");
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("the example starts");
        let mut stdout = child.stdout.take().expect("piped");
        let stdout = thread::spawn(move || {
            let mut text = String::new();
            stdout.read_to_string(&mut text).expect("utf-8 stdout");
            text
        });
        let stderr = child.stderr.take().expect("piped");
        let (send, stderr_lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            stderr_lines,
            stderr_seen: Vec::new(),
            stdout: Some(stdout),
            deadline: Instant::now() + RUN_DEADLINE,
        }
    }

    /// Waits for a stderr line that starts with `prefix`; returns the rest.
    fn stderr_line(&mut self, prefix: &str) -> String {
        loop {
            let left = self.deadline.saturating_duration_since(Instant::now());
            let line = self.stderr_lines.recv_timeout(left).unwrap_or_else(|e| {
                panic!(
                    "no stderr line {prefix:?} ({e}); so far {:?}",
                    self.stderr_seen
                )
            });
            self.stderr_seen.push(line.clone());
            if let Some(rest) = line.strip_prefix(prefix) {
                return rest.to_owned();
            }
        }
    }

    /// Waits for the example to exit (killing it at the deadline, which
    /// fails the test).
    fn finish(mut self) -> Finished {
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() >= self.deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("the example did not end within {RUN_DEADLINE:?}");
            }
            thread::sleep(Duration::from_millis(20));
        };
        let stdout = self
            .stdout
            .take()
            .expect("once")
            .join()
            .expect("stdout reader");
        let mut stderr = std::mem::take(&mut self.stderr_seen);
        // The reader ends at the example's exit, with what was left.
        stderr.extend(self.stderr_lines.iter());
        Finished {
            status,
            stdout,
            stderr,
        }
    }
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Finished {
    Running::spawn(args, env).finish()
}

/// A fresh folder for one test's files.
fn scratch_dir(what: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "yoton-pyzo-kernel-{}-{n}-{what}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// The command line of process `pid`, or `None` once it is gone.
fn cmdline(pid: u32) -> Option<String> {
    let bytes = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(String::from_utf8_lossy(&bytes).replace('\0', " "))
}

/// Waits up to `timeout` for `done`; whether it came.
fn eventually(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while !done() {
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(20));
    }
    true
}

/// One kernel, all the way: commands and a block print on stdout, a
/// traceback comes on stderr, signatures come from introspection, the pid
/// printed is the kernel's, and `terminate()` ends that process.
#[test]
fn the_example_runs_code_in_a_real_kernel_and_ends_it() {
    let dir = scratch_dir("go");
    let go = dir.join("go");
    let python = python();
    // The kernel waits (bounded) for this file, so that the test can look
    // at its process while it is certainly running.
    let wait_for_go = format!(
        "import os, time\n\
         for _ in range(400):\n    \
             if os.path.exists({go:?}): break\n    \
             time.sleep(0.05)\n\
         print('go seen', os.path.exists({go:?}))\n",
        go = go.display().to_string()
    );
    let block = "def greet(who):\n    print('hello', who)\n    return len(who)\n";
    let args = [
        "--python",
        python.to_str().expect("a utf-8 path"),
        "--introspect",
        "f",
        "--introspect",
        "sum",
        "--introspect",
        "greet",
        "print(6*7)",
        block,
        "n = greet('kernel')",
        "print('n is', n)",
        "def f(n): pass",
        "1/0",
        &wait_for_go,
        "import sys; sys.stdout.write('no newline')",
    ];
    let mut running = Running::spawn(&args, &[]);

    let pid: u32 = running
        .stderr_line("kernel pid ")
        .parse()
        .expect("a pid after `kernel pid `");
    let kernel = cmdline(pid).unwrap_or_else(|| panic!("no process {pid}"));
    assert!(
        kernel.contains("pyzokernel/start.py"),
        "process {pid} is {kernel:?}"
    );
    let traceback_end = running.stderr_line("ZeroDivisionError");
    assert_eq!(traceback_end, ": division by zero");
    std::fs::write(&go, "").expect("the go file");
    let done = running.finish();
    let _ = std::fs::remove_dir_all(&dir);

    assert!(done.status.success(), "{done:#?}");
    // Every write of the kernel is printed as it is, in order.
    let expected = [
        "42\n",
        "hello kernel\n",
        "n is 6\n",
        "go seen True\n",
        "no newlinef: f(n)\n",
        "sum: sum(iterable, /, start=0)\n",
        "greet: greet(who)\n",
    ]
    .concat();
    let after_banner = done
        .stdout
        .find("42\n")
        .map(|at| &done.stdout[at..])
        .unwrap_or_else(|| panic!("no 42 in {:?}", done.stdout));
    assert_eq!(after_banner, expected, "{done:#?}");
    assert!(
        done.stdout.contains("This is the Pyzo interpreter"),
        "the banner: {:?}",
        done.stdout
    );
    let traceback: Vec<&str> = done
        .stderr
        .iter()
        .map(String::as_str)
        .skip_while(|l| !l.starts_with("Traceback"))
        .collect();
    assert_eq!(
        traceback,
        [
            "Traceback (most recent call last):",
            "  File \"<console>\", line 1, in <module>",
            "ZeroDivisionError: division by zero",
        ],
        "{done:#?}"
    );
    assert!(
        eventually(Duration::from_secs(10), || cmdline(pid).is_none()),
        "the kernel {pid} is still there after terminate()"
    );
}

/// A kernel that cannot start, for each way it can fail: one line on
/// stderr, nothing on stdout, exit code 1.
#[test]
fn a_kernel_that_cannot_start_is_one_line_and_exit_code_1() {
    let dir = scratch_dir("broken");
    let real = python();
    // A Python without pyzo: the real one without its site-packages.
    let no_pyzo = dir.join("no-pyzo-python");
    std::fs::write(
        &no_pyzo,
        format!(
            "#!/bin/sh\nexec {:?} -S \"$@\"\n",
            real.display().to_string()
        ),
    )
    .expect("a script");
    // A kernel that exits at once with a traceback: the real Python finds
    // pyzo, but the kernel is started without the PYTHONPATH it needs.
    let early_exit = dir.join("kernel-exits-python");
    std::fs::write(
        &early_exit,
        format!(
            "#!/bin/sh\nif [ \"$1\" = -c ]; then exec {real:?} \"$@\"; fi\n\
             PYTHONPATH= exec {real:?} \"$@\"\n",
            real = real.display().to_string()
        ),
    )
    .expect("a script");
    for script in [&no_pyzo, &early_exit] {
        let chmod = Command::new("chmod").arg("+x").arg(script).status();
        assert!(chmod.expect("chmod runs").success());
    }
    let no_pyzo = no_pyzo.to_str().expect("utf-8");
    let early_exit = early_exit.to_str().expect("utf-8");

    cannot_start(
        &["--python", "/nonexistent/python", "print(1)"],
        &[],
        "cannot run /nonexistent/python",
    );
    // Without --python, $YOTON_PYTHON is the one.
    cannot_start(
        &["print(1)"],
        &[("YOTON_PYTHON", "/nonexistent/from-env")],
        "cannot run /nonexistent/from-env",
    );
    cannot_start(
        &["--python", no_pyzo, "print(1)"],
        &[],
        "No module named 'pyzo'",
    );
    cannot_start(
        &["--python", early_exit, "print(1)"],
        &[],
        "No module named 'yoton'",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs the example and checks that it fails to start the kernel, in one
/// line on stderr that contains `says`.
fn cannot_start(args: &[&str], env: &[(&str, &str)], says: &str) {
    let done = run(args, env);
    assert_eq!(done.status.code(), Some(1), "{args:?}: {done:#?}");
    assert_eq!(done.stdout, "", "{args:?}");
    let [line] = done.stderr.as_slice() else {
        panic!("{args:?}: not one line: {:#?}", done.stderr);
    };
    assert!(
        line.starts_with("pyzo_kernel: cannot start the kernel: ") && line.contains(says),
        "{args:?}: {line:?} does not say {says:?}"
    );
}

/// A wrong command line is the usage and exit code 2, before any Python
/// runs.
#[test]
fn a_wrong_command_line_shows_the_usage() {
    for args in [&["--python"][..], &["--verbose", "print(1)"][..]] {
        let done = run(args, &[("YOTON_PYTHON", "/nonexistent/python")]);
        assert_eq!(done.status.code(), Some(2), "{args:?}: {done:#?}");
        assert_eq!(
            done.stderr.last().map(String::as_str),
            Some("usage: pyzo_kernel [--python PATH] [--introspect NAME]... CODE...")
        );
    }
}
