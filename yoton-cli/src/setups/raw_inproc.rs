//! The `raw-inproc` baseline: two threads ping-ponging messages on a pair
//! of crossbeam channels, both spinning on `try_recv`. It is the floor of
//! a round trip within one process: no transport, no waking of a sleeping
//! thread, a core per end.

use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender, TryRecvError};

use super::payloads::Payloads;
use super::wire::check;

/// The pinging end, with the echoing thread it started; dropping it ends
/// the thread.
#[derive(Debug)]
pub struct InprocPingPong {
    to_echo: Option<Sender<Bytes>>,
    back: Receiver<Bytes>,
    echo_thread: Option<JoinHandle<u64>>,
}

impl InprocPingPong {
    /// Starts the echoing thread.
    ///
    /// # Errors
    ///
    /// When the thread cannot be started.
    pub fn start() -> std::io::Result<InprocPingPong> {
        let (to_echo, incoming) = crossbeam_channel::bounded::<Bytes>(1);
        let (echoes, back) = crossbeam_channel::bounded::<Bytes>(1);
        let echo_thread = thread::Builder::new()
            .name("yoton-bench-raw-echo".to_owned())
            .spawn(move || {
                let mut echoed = 0u64;
                loop {
                    match incoming.try_recv() {
                        Ok(message) => {
                            if echoes.send(message).is_err() {
                                break;
                            }
                            echoed += 1;
                        }
                        Err(TryRecvError::Empty) => std::hint::spin_loop(),
                        Err(TryRecvError::Disconnected) => break,
                    }
                }
                echoed
            })?;
        Ok(InprocPingPong {
            to_echo: Some(to_echo),
            back,
            echo_thread: Some(echo_thread),
        })
    }

    /// Makes the next `messages` round trips of `payloads`, each echo
    /// checked, spinning on `try_recv` for it until `deadline`. Returns the
    /// time of each round trip.
    ///
    /// # Errors
    ///
    /// A line saying what failed: the echoing thread is gone, the deadline
    /// passed, or an echo is not the message sent.
    pub fn ping_all(
        &self,
        payloads: &mut Payloads,
        messages: u64,
        deadline: Instant,
    ) -> Result<Vec<Duration>, String> {
        let to_echo = self
            .to_echo
            .as_ref()
            .ok_or_else(|| "the echoing thread is gone".to_owned())?;
        let size = payloads.size();
        let mut rtts = Vec::with_capacity(messages as usize);
        for _ in 0..messages {
            let seq = payloads.next_seq();
            let message = payloads.next();
            let start = Instant::now();
            to_echo
                .send(message)
                .map_err(|_| "the echoing thread is gone".to_owned())?;
            let echo = loop {
                match self.back.try_recv() {
                    Ok(echo) => break echo,
                    Err(TryRecvError::Empty) => {
                        if Instant::now() >= deadline {
                            return Err(format!("no echo of message {seq} in time"));
                        }
                        std::hint::spin_loop();
                    }
                    Err(TryRecvError::Disconnected) => {
                        return Err("the echoing thread is gone".to_owned());
                    }
                }
            };
            rtts.push(start.elapsed());
            check(&echo, size, seq)?;
        }
        Ok(rtts)
    }

    /// Stops the echoing thread and returns how many messages it echoed.
    pub fn finish(mut self) -> u64 {
        self.stop()
    }

    fn stop(&mut self) -> u64 {
        drop(self.to_echo.take());
        self.echo_thread
            .take()
            .map_or(0, |thread| thread.join().unwrap_or(0))
    }
}

impl Drop for InprocPingPong {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_comes_back_checked() {
        let pair = InprocPingPong::start().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut payloads = Payloads::new(8);
        assert_eq!(
            pair.ping_all(&mut payloads, 500, deadline).unwrap().len(),
            500
        );
        assert_eq!(
            pair.ping_all(&mut payloads, 10, deadline).unwrap().len(),
            10
        );
        assert_eq!(pair.finish(), 510);
    }
}
