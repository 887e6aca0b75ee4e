//! yoton's ends of a req/rep bench: a `ReqChannel` calls `echo(seq, data)`
//! one call at a time, `data` being `size` bytes of text; a `RepChannel`
//! answers with the same two values, and the caller checks them.
//!
//! This is a whole call as a program makes one: the OBJECT request, the
//! pre-request handshake (`req?`, the replier's `req!`, the request, `req-`),
//! the handler and the OBJECT reply, decoded as Rust types at both ends.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use yoton::{RepChannel, ReqChannel};
//! use yoton_cli::setups::reqrep;
//!
//! let (a, b) = (yoton::context(), yoton::context());
//! let bound = a.bind("inproc://").unwrap();
//! b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
//! let rep = RepChannel::new(&a, "calls").unwrap();
//! let req = ReqChannel::new(&b, "calls").unwrap();
//! let deadline = Instant::now() + Duration::from_secs(20);
//! let served = std::thread::spawn(move || reqrep::serve(&rep, Some(10), deadline));
//! let rtts = reqrep::call_all(&req, 0, 8, 10, deadline).unwrap();
//! assert_eq!(rtts.len(), 10);
//! assert_eq!(served.join().unwrap(), Ok(10));
//! ```

use std::time::{Duration, Instant};

use yoton::{HandlerError, Methods, RecvTimeoutError, RepChannel, ReqChannel};

/// The method a bench calls.
pub const METHOD: &str = "echo";

/// The replier's handler: `echo(seq, data)` returns `(seq, data)`.
pub fn echo_methods() -> Methods {
    Methods::new().method(METHOD, |(seq, data): (u64, String)| {
        Ok::<_, HandlerError>((seq, data))
    })
}

/// The text a call carries: `size` bytes.
pub fn call_data(size: u64) -> String {
    "y".repeat(usize::try_from(size).unwrap_or(usize::MAX))
}

/// Makes `calls` calls of [`METHOD`] numbered from `first`, one at a time,
/// each with `size` bytes of data, until `deadline`; checks each reply and
/// returns the time of each call.
///
/// # Errors
///
/// A line saying which call failed and how (no replier, the replier's
/// error, no reply in time), or that a reply is not the call's echo.
pub fn call_all(
    req: &ReqChannel,
    first: u64,
    size: u64,
    calls: u64,
    deadline: Instant,
) -> Result<Vec<Duration>, String> {
    let data = call_data(size);
    let mut rtts = Vec::with_capacity(usize::try_from(calls).unwrap_or(0));
    for seq in first..first + calls {
        let start = Instant::now();
        let call = req
            .call::<(u64, String)>(METHOD, (seq, data.as_str()))
            .map_err(|e| format!("cannot make call {seq}: {e}"))?;
        let (back, echoed) = call
            .wait_deadline(deadline)
            .map_err(|e| format!("call {seq}: {e}"))?;
        rtts.push(start.elapsed());
        if back != seq || echoed.len() != data.len() {
            return Err(format!(
                "call {seq} came back as call {back} with {} bytes, not {}",
                echoed.len(),
                data.len()
            ));
        }
    }
    Ok(rtts)
}

/// Answers `calls` calls with [`echo_methods`] on this thread (or with
/// `None` until `rep` is closed), until `deadline`. Returns how many it
/// answered.
///
/// # Errors
///
/// A line saying what failed: no call in time (or the channel closed
/// before `calls`), or a call the handler could not answer.
pub fn serve(rep: &RepChannel, calls: Option<u64>, deadline: Instant) -> Result<u64, String> {
    let methods = echo_methods();
    let mut served = 0u64;
    while calls.is_none_or(|n| served < n) {
        let wait = deadline.saturating_duration_since(Instant::now());
        match rep.serve_one(&methods, wait) {
            Ok(()) => served += 1,
            Err(RecvTimeoutError::Closed) if calls.is_none() => break,
            Err(e) => return Err(format!("no call {served}: {e}")),
        }
    }
    match rep.failed() {
        0 => Ok(served),
        failed => Err(format!("{failed} calls failed in the handler")),
    }
}
