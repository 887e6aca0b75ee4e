//! What one end of a bench does, written once: the bytes of the baselines
//! ([`wire`]), plain TCP sockets sending them ([`raw_tcp`], and busy-polling
//! in [`raw_tcp_spin`]), two threads spinning on crossbeam channels
//! ([`raw_inproc`]), yoton channels sending numbered messages
//! ([`channels`], [`payloads`]), req/rep calls ([`reqrep`]), and the CPU
//! time it all costs ([`cpu`]).
//!
//! Every message carries its sequence number in its first bytes
//! ([`wire::stamp`]), and the receiving or pinging end checks count, order
//! and size ([`wire::check`]). Errors are one line of text, for the
//! command's error message or a benchmark's panic.
//!
//! ```
//! use std::net::{TcpListener, TcpStream};
//! use yoton_cli::setups::raw_tcp;
//!
//! let listener = TcpListener::bind("127.0.0.1:0").unwrap();
//! let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
//! let (accepted, _) = listener.accept().unwrap();
//! let echo = std::thread::spawn(move || {
//!     let mut writer = accepted.try_clone().unwrap();
//!     raw_tcp::echo(&mut raw_tcp::reader(accepted), &mut writer, Some(10))
//! });
//! let mut reader = raw_tcp::reader(client.try_clone().unwrap());
//! let rtts = raw_tcp::ping_all(&mut client, &mut reader, 0, 8, 10).unwrap();
//! assert_eq!(rtts.len(), 10);
//! assert_eq!(echo.join().unwrap().unwrap(), 10);
//! ```

pub mod channels;
pub mod cpu;
pub mod payloads;
pub mod raw_inproc;
pub mod raw_tcp;
pub mod raw_tcp_spin;
pub mod reqrep;
pub mod wire;
