//! The Python reference yoton (from `pyzo==4.22.0` on PyPI) as a test
//! peer: find or make a Python that has it, run a script with a deadline,
//! read its stdout lines with deadlines, and kill it when done.
//!
//! The Python is, in order: the one named by the `YOTON_PYTHON` environment
//! variable, or `<workspace>/.venv/bin/python`. When neither exists, the
//! venv is made once (`python3 -m venv .venv` and
//! `.venv/bin/pip install pyzo==4.22.0`), guarded by a lock file so that
//! parallel tests do not race; if that is impossible, the error says what
//! to do.
//!
//! The scripts live in this crate's `python/` folder; see
//! [`PEER_SCRIPT`] for the general-purpose peer and the lines it prints.
//!
//! ```no_run
//! use std::time::Duration;
//! use yoton_pyref::{PyPeer, PEER_SCRIPT};
//!
//! let mut peer = PyPeer::spawn(
//!     PEER_SCRIPT,
//!     &["--role", "bind", "--address", "localhost:0", "--mode", "sub"],
//!     Duration::from_secs(20),
//! )
//! .unwrap();
//! let bound = peer.expect("BOUND", Duration::from_secs(10)).unwrap();
//! let port: u16 = bound[0].parse().unwrap();
//! # let _ = port;
//! ```
#![forbid(unsafe_code)]

use std::fmt;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

/// The general-purpose peer script (`python/peer.py`): binds or connects,
/// publishes or subscribes on one channel, and reports on stdout. Its
/// module documentation lists the arguments, commands and output lines.
pub const PEER_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/peer.py");

/// A Python node for tests beyond one hop (`python/mesh.py`): one context
/// that binds and connects several times, publishing and subscribing on
/// one text channel. Its module documentation lists the arguments,
/// commands and output lines.
pub const MESH_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/mesh.py");

/// The folder of `yoton_ref.py`, the module every peer script imports
/// (`import_yoton`, `out`, `join`); [`PyPeer::spawn`] puts it on
/// `PYTHONPATH`.
pub const SHARED_SCRIPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python");

/// The pyzo release whose yoton is the reference.
pub const PYZO_REQUIREMENT: &str = "pyzo==4.22.0";

/// How long making the venv may take before waiting tests give up.
const VENV_TIMEOUT: Duration = Duration::from_secs(600);

/// What went wrong with the Python peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PyRefError(pub String);

impl fmt::Display for PyRefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PyRefError {}

fn err<T>(message: impl Into<String>) -> Result<T, PyRefError> {
    Err(PyRefError(message.into()))
}

/// The workspace root (the parent of this crate's folder).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

fn venv_python(root: &Path) -> PathBuf {
    if cfg!(windows) {
        root.join(".venv").join("Scripts").join("python.exe")
    } else {
        root.join(".venv").join("bin").join("python")
    }
}

/// Whether this Python can find the `pyzo` package.
fn has_pyzo(python: &Path) -> bool {
    Command::new(python)
        .args([
            "-c",
            "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('pyzo') else 1)",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The Python interpreter with the reference installed, made on first use
/// if needed (see the crate documentation). The answer is cached.
pub fn python() -> Result<PathBuf, PyRefError> {
    static FOUND: OnceLock<Result<PathBuf, PyRefError>> = OnceLock::new();
    FOUND.get_or_init(find_python).clone()
}

fn find_python() -> Result<PathBuf, PyRefError> {
    if let Some(named) = std::env::var_os("YOTON_PYTHON").filter(|v| !v.is_empty()) {
        let named = PathBuf::from(named);
        if has_pyzo(&named) {
            return Ok(named);
        }
        return err(format!(
            "YOTON_PYTHON is {} but that Python cannot import pyzo: run `{} -m pip install {PYZO_REQUIREMENT}`",
            named.display(),
            named.display()
        ));
    }
    let root = workspace_root();
    let python = venv_python(&root);
    if has_pyzo(&python) {
        return Ok(python);
    }
    make_venv(&root, &python)?;
    Ok(python)
}

/// Removes the lock file when the venv maker is done, also on failure.
struct LockFile(PathBuf);

impl Drop for LockFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

fn make_venv(root: &Path, python: &Path) -> Result<(), PyRefError> {
    let lock_dir = root.join("target");
    let _ = fs::create_dir_all(&lock_dir);
    let lock_path = lock_dir.join("yoton-pyref-venv.lock");
    let start = Instant::now();
    let _lock = loop {
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&lock_path)
        {
            Ok(_) => break LockFile(lock_path.clone()),
            Err(_) => {
                // Someone else is making it: wait for them (or for a lock
                // left behind by a killed run to go stale).
                if has_pyzo(python) {
                    return Ok(());
                }
                let stale = fs::metadata(&lock_path)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| SystemTime::now().duration_since(t).ok())
                    .is_some_and(|age| age > VENV_TIMEOUT);
                if stale {
                    let _ = fs::remove_file(&lock_path);
                    continue;
                }
                if start.elapsed() > VENV_TIMEOUT {
                    return err(format!(
                        "timed out waiting for another test to make {}; remove {} if no test runs",
                        python.display(),
                        lock_path.display()
                    ));
                }
                // Polling another process's progress: nothing to wait on.
                thread::sleep(Duration::from_millis(500));
            }
        }
    };
    if has_pyzo(python) {
        return Ok(());
    }
    let how = format!(
        "make it by hand with `python3 -m venv .venv && .venv/bin/pip install {PYZO_REQUIREMENT}` in {}, or set YOTON_PYTHON to a Python that has it",
        root.display()
    );
    if !python.exists() {
        let status = Command::new("python3")
            .args(["-m", "venv", ".venv"])
            .current_dir(root)
            .status();
        if !status.is_ok_and(|s| s.success()) {
            return err(format!("`python3 -m venv .venv` failed; {how}"));
        }
    }
    let status = Command::new(python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            PYZO_REQUIREMENT,
        ])
        .current_dir(root)
        .status();
    if !status.is_ok_and(|s| s.success()) || !has_pyzo(python) {
        return err(format!("`pip install {PYZO_REQUIREMENT}` failed; {how}"));
    }
    Ok(())
}

/// A running Python script: its stdout lines, its stdin, and a deadline.
///
/// Dropping it kills the process and reaps it, so no test leaves an
/// orphan behind. Every read has a timeout and none waits past the
/// deadline given to [`spawn`](PyPeer::spawn).
#[derive(Debug)]
pub struct PyPeer {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    deadline: Instant,
    seen: Vec<String>,
}

impl PyPeer {
    /// Runs `script` with `args` under the reference Python. The script is
    /// also given `--deadline <seconds>` so that it exits by itself.
    pub fn spawn(script: &str, args: &[&str], deadline: Duration) -> Result<PyPeer, PyRefError> {
        let python = python()?;
        // The scripts share `python/yoton_ref.py`.
        let mut path = std::ffi::OsString::from(SHARED_SCRIPTS);
        if let Some(theirs) = std::env::var_os("PYTHONPATH") {
            path.push(":");
            path.push(theirs);
        }
        let mut child = Command::new(&python)
            .env("PYTHONPATH", path)
            .arg("-u")
            .arg(script)
            .args(args)
            .arg("--deadline")
            .arg(format!("{:.3}", deadline.as_secs_f64()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| PyRefError(format!("cannot run {}: {e}", python.display())))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let stderr_pipe = child.stderr.take();
        let (tx, lines) = mpsc::channel();
        if let Some(stdout) = stdout {
            thread::Builder::new()
                .name("pyref-stdout".to_owned())
                .spawn(move || {
                    for line in BufReader::new(stdout).lines() {
                        let Ok(line) = line else { break };
                        if tx.send(line).is_err() {
                            break;
                        }
                    }
                })
                .map_err(|e| PyRefError(e.to_string()))?;
        }
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(mut pipe) = stderr_pipe {
            let sink = Arc::clone(&stderr);
            thread::Builder::new()
                .name("pyref-stderr".to_owned())
                .spawn(move || {
                    let mut buf = [0u8; 4096];
                    while let Ok(n) = pipe.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                        sink.lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push_str(&text);
                    }
                })
                .map_err(|e| PyRefError(e.to_string()))?;
        }
        Ok(PyPeer {
            child,
            stdin,
            lines,
            stderr,
            deadline: Instant::now() + deadline,
            seen: Vec::new(),
        })
    }

    /// Runs [`PEER_SCRIPT`] with `args`.
    pub fn peer(args: &[&str], deadline: Duration) -> Result<PyPeer, PyRefError> {
        PyPeer::spawn(PEER_SCRIPT, args, deadline)
    }

    /// The process id of the script.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the script wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn failure(&self, what: &str) -> PyRefError {
        let last: Vec<&String> = self.seen.iter().rev().take(5).collect();
        PyRefError(format!(
            "{what}; last lines (newest first): {last:?}; stderr: {}",
            self.stderr()
        ))
    }

    /// The next stdout line, waiting up to `timeout` (and never past the
    /// deadline).
    pub fn next_line(&mut self, timeout: Duration) -> Result<String, PyRefError> {
        let until = (Instant::now() + timeout).min(self.deadline);
        let wait = until.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(wait) {
            Ok(line) => {
                self.seen.push(line.clone());
                if self.seen.len() > 64 {
                    self.seen.drain(..32);
                }
                Ok(line)
            }
            Err(RecvTimeoutError::Timeout) => {
                Err(self.failure(&format!("no line from the Python peer within {timeout:?}")))
            }
            Err(RecvTimeoutError::Disconnected) => {
                // Let stderr arrive in full before reporting.
                let _ = self.wait(Duration::from_secs(2));
                Err(self.failure("the Python peer exited"))
            }
        }
    }

    /// Waits for a line starting with the word `tag` and returns its other
    /// words; fails on a line starting with `ERROR` or at the timeout.
    /// Other lines are skipped.
    pub fn expect(&mut self, tag: &str, timeout: Duration) -> Result<Vec<String>, PyRefError> {
        let until = Instant::now() + timeout;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            let line = self.next_line(left)?;
            let mut words = line.split(' ');
            match words.next() {
                Some(word) if word == tag => return Ok(words.map(str::to_owned).collect()),
                Some("ERROR") => {
                    return Err(self.failure(&format!("the Python peer failed: {line}")));
                }
                _ => {}
            }
        }
    }

    /// Like [`expect`](PyPeer::expect), but returns the rest of the line as
    /// one string (for reasons, which have spaces).
    pub fn expect_text(&mut self, tag: &str, timeout: Duration) -> Result<String, PyRefError> {
        self.expect(tag, timeout).map(|words| words.join(" "))
    }

    /// Writes a command line to the script's stdin.
    pub fn send_line(&mut self, line: &str) -> Result<(), PyRefError> {
        let Some(stdin) = self.stdin.as_mut() else {
            return err("stdin is closed");
        };
        writeln!(stdin, "{line}")
            .and_then(|()| stdin.flush())
            .map_err(|e| self.failure(&format!("cannot write to the Python peer: {e}")))
    }

    /// Waits up to `timeout` for the script to exit.
    pub fn wait(&mut self, timeout: Duration) -> Result<ExitStatus, PyRefError> {
        let until = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Ok(status),
                Ok(None) if Instant::now() < until => {
                    // Polling a process exit: std offers no timed wait.
                    thread::sleep(Duration::from_millis(10));
                }
                Ok(None) => return err("the Python peer did not exit in time"),
                Err(e) => return err(e.to_string()),
            }
        }
    }
}

impl Drop for PyPeer {
    fn drop(&mut self) {
        self.stdin.take();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CRC-32 (IEEE, as Python's `zlib.crc32`), to compare messages with what
/// the Python side reports without shipping them back.
///
/// ```
/// assert_eq!(yoton_pyref::crc32(b"123456789"), 0xCBF4_3926);
/// ```
pub fn crc32(data: &[u8]) -> u32 {
    static TABLE: OnceLock<[u32; 256]> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut table = [0u32; 256];
        for (i, entry) in table.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *entry = c;
        }
        table
    });
    let mut crc = !0u32;
    for &b in data {
        crc = table[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

/// Builds message `index` of `size` units exactly as `peer.py` does: for
/// `bin`, `size` bytes; for `txt`, `size` code points, as UTF-8.
pub fn make_message(index: usize, size: usize, kind: &str) -> Vec<u8> {
    if kind == "bin" {
        let base: Vec<u8> = (0..256).map(|j| ((index * 7 + j) % 256) as u8).collect();
        base.iter().copied().cycle().take(size).collect()
    } else {
        let unit: Vec<char> = format!("yoton {index}: \u{e9}\u{20ac}\u{1f600} abc|")
            .chars()
            .collect();
        let text: String = unit.iter().copied().cycle().take(size).collect();
        text.into_bytes()
    }
}
