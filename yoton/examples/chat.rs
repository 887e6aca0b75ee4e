//! A chat between two processes (or between this and Python yoton).
//!
//! In one terminal, host the chat (binds and waits for one peer):
//!
//! ```text
//! cargo run -p yoton --example chat -- host                 # at localhost:chat
//! cargo run -p yoton --example chat -- host localhost:0     # at a free port
//! ```
//!
//! In another, join it at the address the host printed:
//!
//! ```text
//! cargo run -p yoton --example chat -- join localhost:chat
//! ```
//!
//! Type lines in either terminal; they appear in the other. End with
//! Ctrl-D (end of input): the other side is told that you left.
//!
//! The channels are `PubChannel`/`SubChannel` named `chat` with text
//! messages, so Python's `yoton.PubChannel(ctx, "chat")` and
//! `yoton.SubChannel(ctx, "chat")` can take either part; so can the `yoton`
//! command: `yoton sub localhost:chat chat` listens in on the host.

use std::error::Error;
use std::io::{self, BufRead};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use yoton::{PubChannel, SubChannel};

const USAGE: &str = "usage: chat host [ADDRESS] | chat join ADDRESS";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (bind, address) = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["host"] => (true, "localhost:chat".to_owned()),
        ["host", address] => (true, address.to_owned()),
        ["join", address] => (false, address.to_owned()),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match chat(bind, &address) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat: {e}");
            ExitCode::from(2)
        }
    }
}

fn chat(bind: bool, address: &str) -> Result<(), Box<dyn Error>> {
    let context = yoton::context();
    // Channels first, so that nothing sent right after connecting is missed.
    let outgoing = PubChannel::<String>::new(&context, "chat")?;
    let incoming = SubChannel::<String>::new(&context, "chat")?;

    let connection = if bind {
        let connection = context.bind(address)?;
        println!(
            "hosting on tcp://{}:{}; join with: chat join localhost:{}",
            connection.local_host(),
            connection.local_port(),
            connection.local_port()
        );
        connection
    } else {
        context.connect(address)?
    };
    // Handlers run on a transport thread: keep them short.
    let _left = connection.closed().connect(|event| {
        println!("*** the connection closed: {}", event.reason);
    });

    // Print what arrives, on a thread of its own, until the channel closes.
    let printer = thread::Builder::new()
        .name("chat-print".to_owned())
        .spawn(move || {
            for message in &incoming {
                println!("> {message}");
            }
        })?;

    for line in io::stdin().lock().lines() {
        let line = line?;
        if !line.is_empty() {
            outgoing.send(&line)?;
        }
    }
    context.flush(Duration::from_secs(5))?;
    // Closes the connection (the peer sees "Closed from other end.") and the
    // channels, which ends the printing thread.
    context.close();
    printer.join().map_err(|_| "the printing thread failed")?;
    Ok(())
}
