//! Drives a real Pyzo kernel (the Python process behind Pyzo's shell) the
//! way Pyzo's IDE does: start it, run code in it, ask it for signatures,
//! and end it.
//!
//! ```text
//! cargo run -p yoton --example pyzo_kernel -- [--python PATH] [--introspect NAME]... CODE...
//! ```
//!
//! For example:
//!
//! ```text
//! cargo run -p yoton --example pyzo_kernel -- --python .venv/bin/python \
//!     --introspect f --introspect sum 'print(6*7)' $'def f(n):\n    return n + 1\n' 'f(41)' '1/0'
//! ```
//!
//! - `--python PATH`: the Python to run the kernel with; it must be able to
//!   `import pyzo` (`pip install pyzo==4.22.0`), since the kernel is the
//!   `pyzokernel` folder of that package. The default is `$YOTON_PYTHON`
//!   if set, else `python3`.
//! - Each `CODE` runs in the kernel in turn, as typed at Pyzo's `>>>`
//!   prompt (`ctrl-command`); one that holds a newline runs as one block
//!   of code instead (`ctrl-code`), as Pyzo runs a cell or a file. After
//!   each, the example waits until the kernel is ready again.
//! - What the kernel prints comes on our stdout, its errors and
//!   tracebacks on our stderr, as they arrive.
//! - Then, for each `--introspect NAME`, it prints `NAME: <signature>`.
//! - Finally it ends the kernel with `terminate()`, as Pyzo does.
//!
//! On stderr it also says `kernel pid N` once the kernel is ready. A
//! kernel that cannot start is one line on stderr and exit code 1.
//! Every wait is bounded: the kernel gets 30 s to be ready and 30 s for
//! each `CODE`.
//!
//! The channels and the startup dict are those of
//! `pyzo/pyzokernel/start.py`. The startup dict and a block of code are
//! [`yoton::Dict`]s, what a Python dict is on an OBJECT channel (with
//! `serde`, a struct sent on a `StateChannel<Obj<T>>` would be the same
//! bytes).

use std::error::Error;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use yoton::{
    Connection, Context, Dict, Object, PubChannel, RecvTimeoutError, ReqChannel, StateChannel,
    SubChannel, select_timeout,
};

/// How long the kernel may take to connect and say `Ready`.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one `CODE` may run.
const CODE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a `signature` request may take.
const INTROSPECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the kernel may take to exit after `terminate()`.
const EXIT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a wait looks whether the kernel process is still there.
const CHECK_EVERY: Duration = Duration::from_millis(100);
/// How long the rest of an exited process's output may take to come.
const PIPE_TIMEOUT: Duration = Duration::from_secs(1);

const USAGE: &str = "usage: pyzo_kernel [--python PATH] [--introspect NAME]... CODE...";

/// What the kernel waits for on `stat-startup` before anything else:
/// every value a str (the kernel fails on a missing key or a None).
fn startup(python: &str, start_dir: &Path) -> Object {
    let mut dict = Dict::new();
    for (key, value) in [
        ("name", "Python"),
        ("exe", python),
        ("gui", "none"),
        ("pythonPath", ""),
        ("projectPath", ""),
        ("scriptFile", ""),
        ("startDir", &start_dir.display().to_string()),
        ("startupScript", ""),
        ("argv", ""),
        ("environ", ""),
        ("ipython", "no"),
    ] {
        dict.insert(key, value);
    }
    Object::Dict(dict)
}

/// A block of code for `ctrl-code`, run in exec mode as Pyzo runs a cell:
/// its source, a file name, and the line number of its first line, from 0.
fn block(source: &str) -> Object {
    let mut dict = Dict::new();
    dict.insert("source", source);
    dict.insert("fname", "<pyzo_kernel>");
    dict.insert("lineno", 0);
    Object::Dict(dict)
}

/// The command line.
struct Args {
    python: String,
    introspect: Vec<String>,
    code: Vec<String>,
}

fn parse_args(args: impl Iterator<Item = OsString>) -> Result<Args, String> {
    let args: Vec<String> = args
        .map(|arg| {
            arg.into_string()
                .map_err(|arg| format!("{arg:?} is not UTF-8"))
        })
        .collect::<Result<_, _>>()?;
    let mut args = args.into_iter();
    let mut parsed = Args {
        python: std::env::var("YOTON_PYTHON")
            .ok()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "python3".to_owned()),
        introspect: Vec::new(),
        code: Vec::new(),
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--python" => parsed.python = args.next().ok_or("--python needs a PATH")?,
            "--introspect" => parsed
                .introspect
                .push(args.next().ok_or("--introspect needs a NAME")?),
            "--" => parsed.code.extend(args.by_ref()),
            option if option.starts_with("--") => return Err(format!("unknown option {option}")),
            _ => parsed.code.push(arg),
        }
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args_os().skip(1)) {
        Ok(args) => args,
        Err(problem) => {
            eprintln!("pyzo_kernel: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut kernel = match Kernel::start(&args.python) {
        Ok(kernel) => kernel,
        Err(problem) => {
            eprintln!("pyzo_kernel: cannot start the kernel: {problem}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("kernel pid {}", kernel.pid);
    match drive(&mut kernel, &args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("pyzo_kernel: {problem}");
            ExitCode::FAILURE
        }
    }
    // Dropping the kernel kills its process if it is still there.
}

/// Runs the code, asks for the signatures and ends the kernel.
fn drive(kernel: &mut Kernel, args: &Args) -> Result<(), Box<dyn Error>> {
    for code in &args.code {
        kernel.run(code)?;
    }
    for name in &args.introspect {
        match kernel.signature(name)? {
            Some(signature) => println!("{name}: {signature}"),
            None => eprintln!("pyzo_kernel: {name} has no signature"),
        }
    }
    kernel.terminate()
}

/// A running kernel and the IDE side's channels to it.
struct Kernel {
    process: Child,
    /// The kernel's own stdout and stderr (empty unless it fails), read
    /// in the background so that it never blocks on a full pipe.
    pipes: [Receiver<String>; 2],
    /// The kernel's process id, as its side of the handshake gave it.
    pid: u32,
    context: Context,
    connection: Arc<dyn Connection>,
    _startup: StateChannel<Object>,
    command: PubChannel<String>,
    code: PubChannel<Object>,
    out: SubChannel<String>,
    err: SubChannel<String>,
    prompt: SubChannel<String>,
    interpreter: StateChannel<String>,
    introspect: ReqChannel,
    control: ReqChannel,
}

impl Kernel {
    /// Starts the kernel of `python` and waits until it is ready.
    fn start(python: &str) -> Result<Kernel, String> {
        let pyzo_dir = pyzo_dir(python)?;
        let context = yoton::context();
        // Channels first: what arrives for a slot nobody has is dropped.
        let startup_state = StateChannel::<Object>::new(&context, "stat-startup").map_err(text)?;
        let command = PubChannel::new(&context, "ctrl-command").map_err(text)?;
        let code = PubChannel::new(&context, "ctrl-code").map_err(text)?;
        let out = SubChannel::new(&context, "strm-out").map_err(text)?;
        let err = SubChannel::new(&context, "strm-err").map_err(text)?;
        let prompt = SubChannel::new(&context, "strm-prompt").map_err(text)?;
        let interpreter = StateChannel::new(&context, "stat-interpreter").map_err(text)?;
        let introspect = ReqChannel::new(&context, "reqp-introspect").map_err(text)?;
        let control = ReqChannel::new(&context, "reqp-control").map_err(text)?;
        // As Pyzo: the kernel's writes wait for us when we fall behind.
        out.set_sync_mode(true).map_err(text)?;
        err.set_sync_mode(true).map_err(text)?;

        // The kernel waits for this, forever; a state channel keeps it and
        // sends it when the kernel connects.
        let start_dir = std::env::current_dir().map_err(text)?;
        startup_state
            .send(&startup(python, &start_dir))
            .map_err(text)?;

        // Bind before starting it: the kernel tries to connect for 1 s only.
        let connection = context.bind("localhost:0").map_err(text)?;
        let mut process = Command::new(python)
            .arg(pyzo_dir.join("pyzokernel").join("start.py"))
            .arg(connection.local_port().to_string())
            .current_dir(&pyzo_dir)
            .env("PYTHONPATH", &pyzo_dir)
            .env("TERM", "dumb")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {python}: {e}"))?;
        let pipes = [
            read_in_background(process.stdout.take()),
            read_in_background(process.stderr.take()),
        ];
        let mut kernel = Kernel {
            process,
            pipes,
            pid: 0,
            context,
            connection,
            _startup: startup_state,
            command,
            code,
            out,
            err,
            prompt,
            interpreter,
            introspect,
            control,
        };
        // Connected, it sends its banner on strm-out, then the prompt and
        // `Ready`.
        kernel
            .wait_until_ready(START_TIMEOUT)
            .map_err(|e| e.to_string())?;
        kernel.pid = kernel.connection.peer_pid().unwrap_or(kernel.process.id());
        Ok(kernel)
    }

    /// Runs `code`: one line as a command, several as a block.
    fn run(&mut self, code: &str) -> Result<(), Box<dyn Error>> {
        self.send_and_wait(code)
            .map_err(|e| format!("running {code:?}: {e}").into())
    }

    fn send_and_wait(&mut self, code: &str) -> Result<(), Box<dyn Error>> {
        if code.contains('\n') {
            self.code.send(&block(code))?;
        } else {
            self.command.send(&format!("{code}\n"))?;
        }
        if self.wait_until_ready(CODE_TIMEOUT)? == "More" {
            // An unfinished statement (`for x in y: f(x)`): an empty line
            // ends it, as in Python's own console.
            self.command.send("\n")?;
            if self.wait_until_ready(CODE_TIMEOUT)? == "More" {
                return Err("an unfinished statement".into());
            }
        }
        Ok(())
    }

    /// The signature of `name` in the kernel, such as `sum(iterable, /,
    /// start=0)`; `None` if it has none.
    fn signature(&self, name: &str) -> Result<Option<String>, Box<dyn Error>> {
        let call = self
            .introspect
            .call::<Option<String>>("signature", (name,))?;
        Ok(call.wait_timeout(INTROSPECT_TIMEOUT)?)
    }

    /// Ends the kernel with `terminate()`, and waits for its process to
    /// exit (killing it after a bounded wait).
    fn terminate(&mut self) -> Result<(), Box<dyn Error>> {
        let call = self.control.call::<()>("terminate", ())?;
        // The kernel may exit before its reply leaves: the process is what
        // counts.
        let _ = call.wait_timeout(EXIT_TIMEOUT);
        match wait_exit(&mut self.process, EXIT_TIMEOUT)? {
            Some(_) => {}
            None => {
                eprintln!(
                    "pyzo_kernel: the kernel did not exit within {EXIT_TIMEOUT:?}; killing it"
                );
                self.process.kill()?;
                self.process.wait()?;
            }
        }
        self.context.close();
        Ok(())
    }

    /// Prints what the kernel writes until it shows its prompt again, then
    /// returns its state (`Ready`, or `More` in an unfinished statement).
    ///
    /// Every command and block makes the kernel say `Busy`, then, once
    /// done, send a new prompt and its state. The prompt is a message of
    /// its own, so it cannot be missed the way a quick `Busy`-`Ready` of a
    /// state can; the state that follows tells whether more is expected.
    fn wait_until_ready(&mut self, timeout: Duration) -> Result<String, Stopped> {
        let deadline = Instant::now() + timeout;
        loop {
            let wait = deadline
                .saturating_duration_since(Instant::now())
                .min(CHECK_EVERY);
            if wait.is_zero() {
                return Err(Stopped::Timeout(timeout));
            }
            // The three streams in the order the kernel wrote them.
            match select_timeout(&[&self.out, &self.err, &self.prompt], wait) {
                Ok(selection) => match selection.index() {
                    0 => print_all(&mut std::io::stdout(), self.out.recv_selected(&selection)),
                    1 => print_all(&mut std::io::stderr(), self.err.recv_selected(&selection)),
                    _ => {
                        self.prompt.recv_selected(&selection);
                        return self.state_after_prompt(deadline, timeout);
                    }
                },
                Err(RecvTimeoutError::Timeout) => self.check_alive()?,
                Err(_) => return Err(Stopped::Closed),
            }
        }
    }

    /// The interpreter state that follows a prompt (the kernel sends the
    /// prompt first).
    fn state_after_prompt(
        &mut self,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<String, Stopped> {
        loop {
            let wait = deadline
                .saturating_duration_since(Instant::now())
                .min(CHECK_EVERY);
            if wait.is_zero() {
                return Err(Stopped::Timeout(timeout));
            }
            match self.interpreter.wait_for(|state| state != "Busy", wait) {
                Ok(state) => return Ok(state),
                Err(RecvTimeoutError::Timeout) => self.check_alive()?,
                Err(_) => return Err(Stopped::Closed),
            }
        }
    }

    /// Fails with what the kernel said if its process has exited.
    fn check_alive(&mut self) -> Result<(), Stopped> {
        match self.process.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => {
                let said: String = self.pipes.iter().map(rest_of).collect();
                Err(Stopped::Exited(status, last_line(&said).to_owned()))
            }
            Err(e) => Err(Stopped::Io(e)),
        }
    }
}

impl Drop for Kernel {
    fn drop(&mut self) {
        // Never leave a kernel behind, whatever went wrong.
        if let Ok(None) = self.process.try_wait() {
            let _ = self.process.kill();
            let _ = self.process.wait();
        }
        self.context.close();
    }
}

/// Why a wait for the kernel ended without it being ready.
#[derive(Debug)]
enum Stopped {
    /// Not ready within this time.
    Timeout(Duration),
    /// The context closed.
    Closed,
    /// The process cannot be looked at.
    Io(std::io::Error),
    /// The process exited: its status, and the last line it wrote on its
    /// own stdout or stderr (where a kernel that fails puts its traceback).
    Exited(ExitStatus, String),
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stopped::Timeout(timeout) => write!(f, "the kernel was not ready within {timeout:?}"),
            Stopped::Closed => write!(f, "the channels to the kernel closed"),
            Stopped::Io(e) => write!(f, "the kernel process: {e}"),
            Stopped::Exited(status, last) if last.is_empty() => {
                write!(f, "the kernel exited ({status})")
            }
            Stopped::Exited(status, last) => write!(f, "the kernel exited ({status}): {last}"),
        }
    }
}

impl Error for Stopped {}

/// The folder of `python`'s `pyzo` package, which holds the kernel.
fn pyzo_dir(python: &str) -> Result<PathBuf, String> {
    let mut child = Command::new(python)
        .args([
            "-c",
            "import pyzo, os; print(os.path.dirname(pyzo.__file__))",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    let (out, err) = (
        read_in_background(child.stdout.take()),
        read_in_background(child.stderr.take()),
    );
    let Some(status) = wait_exit(&mut child, START_TIMEOUT).map_err(text)? else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!("{python} did not answer within {START_TIMEOUT:?}"));
    };
    let (out, err) = (rest_of(&out), rest_of(&err));
    let dir = Path::new(out.trim());
    if status.success() && dir.join("pyzokernel").join("start.py").is_file() {
        return Ok(dir.to_owned());
    }
    Err(format!(
        "{python} cannot import pyzo ({status}: {}); install it with `{python} -m pip install pyzo==4.22.0`",
        last_line(&err)
    ))
}

/// Reads a pipe to its end on a thread of its own; the text comes on the
/// receiver then.
fn read_in_background(pipe: Option<impl Read + Send + 'static>) -> Receiver<String> {
    let (send, text) = mpsc::channel();
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        let _ = send.send(String::from_utf8_lossy(&bytes).into_owned());
    });
    text
}

/// What an exited process wrote on a pipe. Bounded: a process it started
/// may hold the pipe open.
fn rest_of(pipe: &Receiver<String>) -> String {
    pipe.recv_timeout(PIPE_TIMEOUT).unwrap_or_default()
}

/// The last line of `text` that is not blank (of a traceback, the error).
fn last_line(text: &str) -> &str {
    let last = text.lines().rev().find(|l| !l.trim().is_empty());
    last.unwrap_or("").trim()
}

/// Waits up to `timeout` for `child` to exit; `None` if it is still there.
fn wait_exit(child: &mut Child, timeout: Duration) -> std::io::Result<Option<ExitStatus>> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        // std has no wait with a timeout for a child process.
        thread::sleep(Duration::from_millis(10));
    }
}

/// Writes the kernel's messages as they are: each write of the kernel is
/// a message, newlines included.
fn print_all(to: &mut impl Write, messages: Vec<String>) {
    for message in messages {
        let _ = to.write_all(message.as_bytes());
    }
    let _ = to.flush();
}

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}
