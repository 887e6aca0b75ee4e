//! Text channels as byte streams: `TextWriter` cuts what is written into
//! messages of at most 256 characters as Python yoton's `FileWrapper` does,
//! keeps an unfinished UTF-8 character for the next write and refuses
//! bytes that are not UTF-8; `TextReader` reads the received messages as
//! one stream of lines, ends when its channel closes, and with a timeout
//! says `TimedOut` (or `WouldBlock`) without losing its place.
//!
//! The cases that connect contexts run over the in-process transport and
//! TCP (`inproc::name`, `tcp::name`). The last test runs against the Python
//! reference (`tests/python/text_peer.py`): Python's `FileWrapper` read
//! through our reader, and our writer read by a Python sub channel, with
//! the messages compared to those `FileWrapper` makes of the same text.

use std::io::{BufRead, ErrorKind, LineWriter, Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use yoton_channels::{PubChannel, SubChannel, TEXT_CHUNK_CHARS, TextReader, TextWriter};
use yoton_core::Context;
use yoton_inproc::InprocTransport;
use yoton_pyref::PyPeer;
use yoton_tcp::TcpTransport;

/// A generous bound for anything that should happen at once.
const DEADLINE: Duration = Duration::from_secs(20);

#[derive(Clone, Copy, Debug)]
enum Transport {
    Inproc,
    Tcp,
}

fn context(transport: Transport) -> Context {
    let ctx = Context::new();
    match transport {
        Transport::Inproc => ctx.register_transport(Arc::new(InprocTransport::new())),
        Transport::Tcp => ctx.register_transport(Arc::new(TcpTransport::new())),
    };
    ctx
}

fn wait_until(mut condition: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + DEADLINE;
    while !condition() {
        assert!(Instant::now() < deadline, "{what}: not in time");
        std::thread::yield_now();
    }
}

/// Connects `b` to `a`; make the channels first, so that nothing sent is
/// missed.
fn connect(transport: Transport, a: &Context, b: &Context) {
    let (bound, conn) = match transport {
        Transport::Inproc => {
            let bound = a.bind("inproc://").unwrap();
            let conn = b
                .connect(&format!("inproc://{}", bound.local_host()))
                .unwrap();
            (bound, conn)
        }
        Transport::Tcp => {
            let bound = a.bind("localhost:0").unwrap();
            let conn = b
                .connect(&format!("localhost:{}", bound.local_port()))
                .unwrap();
            (bound, conn)
        }
    };
    wait_until(
        || bound.is_connected() && conn.is_connected(),
        "the contexts connect",
    );
}

/// A pub channel on one context and a sub channel of the same name on
/// another, connected.
fn pub_sub(transport: Transport, name: &str) -> (PubChannel<String>, SubChannel<String>) {
    let (a, b) = (context(transport), context(transport));
    let out = PubChannel::<String>::new(&a, name).unwrap();
    let sub = SubChannel::<String>::new(&b, name).unwrap();
    connect(transport, &a, &b);
    (out, sub)
}

/// Every message up to the `END` marker that the test sends last.
fn messages_until_end(out: &PubChannel<String>, sub: &SubChannel<String>) -> Vec<String> {
    out.send("END").unwrap();
    let mut got = Vec::new();
    loop {
        let message = sub.recv_timeout(DEADLINE).expect("a message in time");
        if message == "END" {
            return got;
        }
        got.push(message);
    }
}

/// A text of `n` characters of one, two, three and four bytes, and
/// newlines, in an irregular order.
fn mixed_text(n: usize) -> String {
    const CHARS: [char; 6] = ['a', 'é', '€', '😀', '\n', 'z'];
    (0..n)
        .map(|i| CHARS[(i * 7 + i / 3) % CHARS.len()])
        .collect()
}

/// Python's `[text[i:i + size] for i in range(0, len(text), size)]`.
fn python_chunks(text: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

fn char_counts(messages: &[String]) -> Vec<usize> {
    messages.iter().map(|m| m.chars().count()).collect()
}

// ---------------------------------------------------------------------------
// Cases over each transport

fn long_writes_arrive_in_chunks_of_256_characters(transport: Transport) {
    let (out, sub) = pub_sub(transport, "chunks");
    let mut w = out.writer();
    assert_eq!(w.chunk_chars(), TEXT_CHUNK_CHARS);
    let text = mixed_text(1000);
    assert_eq!(w.write(text.as_bytes()).unwrap(), text.len());
    let got = messages_until_end(&out, &sub);
    assert_eq!(char_counts(&got), [256, 256, 256, 232]);
    assert_eq!(got, python_chunks(&text, 256));
    assert_eq!(got.concat(), text);

    // At the limit: one message; one character over: two.
    for (n, counts) in [(256, vec![256]), (257, vec![256, 1]), (1, vec![1])] {
        w.write_all(mixed_text(n).as_bytes()).unwrap();
        assert_eq!(char_counts(&messages_until_end(&out, &sub)), counts, "{n}");
    }
    // Other limits, and none.
    let mut small = out.writer().with_chunk_chars(10);
    small.write_all(mixed_text(25).as_bytes()).unwrap();
    assert_eq!(char_counts(&messages_until_end(&out, &sub)), [10, 10, 5]);
    let mut whole = out.writer().with_chunk_chars(0);
    whole.write_all(text.as_bytes()).unwrap();
    assert_eq!(messages_until_end(&out, &sub), [text]);
    w.flush().unwrap();
    assert_eq!(sub.decode_errors(), 0);
}

fn multi_byte_characters_split_across_writes_arrive_intact(transport: Transport) {
    let (out, sub) = pub_sub(transport, "split");
    let mut w = out.writer();
    // Byte by byte: a message each time a character is complete.
    let text = "aé€😀b€";
    for (i, byte) in text.bytes().enumerate() {
        assert_eq!(w.write(&[byte]).unwrap(), 1);
        let done = text.is_char_boundary(i + 1);
        assert_eq!(w.incomplete().is_empty(), done, "after byte {i}");
    }
    let got = messages_until_end(&out, &sub);
    let chars: Vec<String> = text.chars().map(String::from).collect();
    assert_eq!(got, chars);

    // In pieces cut anywhere, long ones among them.
    let text = mixed_text(3000);
    let bytes = text.as_bytes();
    let mut at = 0;
    let mut step = 1usize;
    while at < bytes.len() {
        step = (step * 37 + 11) % 700 + 1;
        let end = (at + step).min(bytes.len());
        w.write_all(&bytes[at..end]).unwrap();
        // What is kept back is the start of the character cut there.
        let held = w.incomplete().len();
        assert!(held < 4 && text.is_char_boundary(end - held), "at {end}");
        at = end;
    }
    assert!(w.incomplete().is_empty());
    let got = messages_until_end(&out, &sub);
    assert!(char_counts(&got).iter().all(|&n| n <= 256));
    assert_eq!(got.concat(), text);
    assert_eq!(sub.decode_errors(), 0);
}

fn lines_read_what_a_pub_sent_and_end_when_the_channel_closes(transport: Transport) {
    let (out, sub) = pub_sub(transport, "lines");
    let pieces = [
        "first line\nsec",
        "ond line\n",
        "\n",
        "thi",
        "rd é€😀\nno newline at the end",
    ];
    for p in pieces {
        out.send(p).unwrap();
    }
    wait_until(|| sub.pending() == pieces.len(), "every piece arrives");
    // Closed with messages pending: they are read, then the end.
    sub.close();
    let lines: Vec<String> = sub.reader().lines().map(Result::unwrap).collect();
    assert_eq!(
        lines,
        [
            "first line",
            "second line",
            "",
            "third é€😀",
            "no newline at the end"
        ]
    );
}

fn a_writer_and_a_reader_carry_text_both_ways_through(transport: Transport) {
    let (out, sub) = pub_sub(transport, "through");
    let text = mixed_text(5000);
    out.writer().write_all(text.as_bytes()).unwrap();
    let mut reader = sub.reader().with_timeout(DEADLINE);
    // Read in pieces of 3 bytes, which cut characters and messages.
    let mut got = Vec::new();
    let mut buf = [0u8; 3];
    while got.len() < text.len() {
        let n = reader.read(&mut buf).unwrap();
        assert!(n > 0, "the end came early");
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(String::from_utf8(got).unwrap(), text);
    assert!(reader.buffer().is_empty());
}

fn a_blocked_read_ends_when_the_channel_closes(transport: Transport) {
    let (out, sub) = pub_sub(transport, "blocked");
    let sub = Arc::new(sub);
    let (tx, rx) = crossbeam_channel::unbounded();
    let mut reader = TextReader::new(Arc::clone(&sub));
    std::thread::spawn(move || {
        let mut line = String::new();
        let first = reader.read_line(&mut line).map(|n| (n, line.clone()));
        tx.send(first).unwrap();
        // Nothing more comes: this waits until the channel closes.
        line.clear();
        tx.send(reader.read_line(&mut line).map(|n| (n, line)))
            .unwrap();
    });
    out.send("hello\n").unwrap();
    let first = rx.recv_timeout(DEADLINE).expect("the first line in time");
    assert_eq!(first.unwrap(), (6, "hello\n".to_owned()));
    sub.close();
    let second = rx.recv_timeout(DEADLINE).expect("woken by the close");
    assert_eq!(second.unwrap(), (0, String::new()));
}

fn timeouts_report_their_error_kind_and_keep_the_place(transport: Transport) {
    let (out, sub) = pub_sub(transport, "timeouts");
    let mut reader = sub.reader().with_timeout(Duration::from_millis(50));
    let mut line = String::new();
    let t = Instant::now();
    let err = reader.read_line(&mut line).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    assert!(t.elapsed() >= Duration::from_millis(50));
    assert!(line.is_empty());

    // Half a line, then a timeout: the half stays in `line`.
    out.send("par").unwrap();
    wait_until(|| sub.pending() == 1, "the half line arrives");
    let err = reader.read_line(&mut line).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    assert_eq!(line, "par");
    out.send("tial\nnext").unwrap();
    wait_until(|| sub.pending() == 1, "the rest arrives");
    assert_eq!(reader.read_line(&mut line).unwrap(), 5);
    assert_eq!(line, "partial\n");

    // A zero timeout does not wait: WouldBlock when nothing is left.
    reader.set_timeout(Some(Duration::ZERO));
    let mut buf = [0u8; 16];
    assert_eq!(reader.read(&mut buf).unwrap(), 4);
    assert_eq!(&buf[..4], b"next");
    let err = reader.read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
    out.send("x").unwrap();
    wait_until(|| sub.pending() == 1, "x arrives");
    assert_eq!(reader.read(&mut buf).unwrap(), 1);

    // Closed: the end, not an error, whatever the timeout.
    sub.close();
    assert_eq!(reader.read(&mut buf).unwrap(), 0);
    reader.set_timeout(Some(Duration::from_secs(5)));
    assert_eq!(reader.read(&mut buf).unwrap(), 0);
}

macro_rules! per_transport {
    ($($case:ident),+ $(,)?) => {
        mod inproc {
            $(
                #[test]
                fn $case() {
                    super::$case(super::Transport::Inproc);
                }
            )+
        }
        mod tcp {
            $(
                #[test]
                fn $case() {
                    super::$case(super::Transport::Tcp);
                }
            )+
        }
    };
}

per_transport!(
    long_writes_arrive_in_chunks_of_256_characters,
    multi_byte_characters_split_across_writes_arrive_intact,
    lines_read_what_a_pub_sent_and_end_when_the_channel_closes,
    a_writer_and_a_reader_carry_text_both_ways_through,
    a_blocked_read_ends_when_the_channel_closes,
    timeouts_report_their_error_kind_and_keep_the_place,
);

// ---------------------------------------------------------------------------
// What does not depend on the transport

#[test]
fn bytes_that_are_not_utf8_are_refused_and_the_text_before_them_is_sent() {
    let (out, sub) = pub_sub(Transport::Inproc, "invalid");
    let mut w = out.writer();
    // The text before a bad byte goes; the bad byte is refused.
    assert_eq!(w.write(b"ok\xffrest").unwrap(), 2);
    let err = w.write(b"\xffrest").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(err.to_string().contains("ff"), "{err}");
    // write_all sends what is valid, then fails.
    let err = w.write_all(b"fine\xc3(").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    // A surrogate is not UTF-8 either.
    let err = w.write(b"\xed\xa0\x80").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    // A kept-back start that the next write cannot complete is dropped,
    // with the error; the next write is fine again.
    assert_eq!(w.write(b"\xe2\x82").unwrap(), 2);
    assert_eq!(w.incomplete(), b"\xe2\x82");
    let err = w.write(b"A").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(w.incomplete().is_empty());
    assert_eq!(w.write(b"A").unwrap(), 1);
    // A completed character followed by a bad byte: the character goes.
    assert_eq!(w.write(b"\xc3").unwrap(), 1);
    assert_eq!(w.write(b"\xa9\xff").unwrap(), 1);
    assert_eq!(messages_until_end(&out, &sub), ["ok", "fine", "A", "é"]);
    // What is kept back at the end is handed back, not lost.
    w.write_all(b"\xf0\x9f\x98").unwrap();
    let (_, left) = w.into_parts();
    assert_eq!(left, b"\xf0\x9f\x98");
    assert_eq!(sub.decode_errors(), 0);
}

#[test]
fn writing_on_a_closed_channel_is_a_broken_pipe() {
    let (out, _sub) = pub_sub(Transport::Inproc, "closed-writer");
    let mut w = TextWriter::new(&out);
    w.write_all(b"before").unwrap();
    out.close();
    assert_eq!(w.write(b"after").unwrap_err().kind(), ErrorKind::BrokenPipe);
    // A kept-back start is not taken by a write that fails.
    let (out, _sub) = pub_sub(Transport::Inproc, "closed-writer");
    let mut w = out.into_writer();
    w.write_all(b"\xc3").unwrap();
    w.get_ref().close();
    assert_eq!(w.write(b"\xa9").unwrap_err().kind(), ErrorKind::BrokenPipe);
    assert_eq!(w.incomplete(), b"\xc3");
}

#[test]
fn each_write_is_a_message_and_a_line_writer_makes_one_per_line() {
    let (out, sub) = pub_sub(Transport::Inproc, "per-line");
    // As Python's print: every piece of the format is its own write.
    // (Values, not literals, which the compiler would paste into the
    // format string.)
    let (a, b, c) = (1 + sub.pending(), 2 + sub.pending(), 3 + sub.pending());
    writeln!(out.writer(), "a = {a}, b = {b}").unwrap();
    assert_eq!(
        messages_until_end(&out, &sub),
        ["a = ", "1", ", b = ", "2", "\n"]
    );
    let mut lines = LineWriter::new(out.writer());
    write!(lines, "a = {a}, b = {b}\nc = ").unwrap();
    writeln!(lines, "{c}").unwrap();
    assert_eq!(
        messages_until_end(&out, &sub),
        ["a = 1, b = 2\n", "c = 3\n"]
    );
}

// ---------------------------------------------------------------------------
// Against the Python reference

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/text_peer.py");

fn hex(data: &[u8]) -> String {
    hex::encode(data)
}

fn unhex_text(s: &str) -> String {
    let bytes = hex::decode(s).unwrap_or_else(|e| panic!("not hex ({e}): {s}"));
    String::from_utf8(bytes).unwrap()
}

fn command(peer: &mut PyPeer, op: &str, text: &str) {
    peer.send_line(&format!("{op} {}", hex(text.as_bytes())))
        .unwrap();
    assert_eq!(peer.expect("OK", DEADLINE).unwrap(), [op]);
}

#[test]
fn python_file_wrapper_meets_our_reader_and_our_writer_cuts_as_it_does() {
    let ctx = context(Transport::Tcp);
    let from_python = SubChannel::<String>::new(&ctx, "text-py").unwrap();
    let to_python = PubChannel::<String>::new(&ctx, "text-rs").unwrap();
    let bound = ctx.bind("localhost:0").unwrap();
    let address = format!("localhost:{}", bound.local_port());
    let mut peer =
        PyPeer::spawn(SCRIPT, &["--address", &address], Duration::from_secs(90)).unwrap();
    peer.expect("CONNECTED", DEADLINE).unwrap();
    wait_until(|| bound.is_connected(), "Python connects");

    // Python's kernel stdout, read as lines here.
    let long = mixed_text(700).replace('\n', " ");
    command(&mut peer, "write", "hello ");
    command(&mut peer, "print", &long);
    command(&mut peer, "write", "a\nb");
    command(&mut peer, "print", "");
    command(&mut peer, "print", "€ and 😀");
    let mut reader = from_python.reader().with_timeout(DEADLINE);
    let mut lines = Vec::new();
    for _ in 0..4 {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        lines.push(line);
    }
    assert_eq!(
        lines,
        [
            format!("hello {long}\n"),
            "a\n".to_owned(),
            "b\n".to_owned(),
            "€ and 😀\n".to_owned()
        ]
    );
    assert_eq!(from_python.decode_errors(), 0);

    // Our writer, read by a Python sub channel: the same messages as
    // FileWrapper(_, 256) makes of each text.
    let texts = [
        mixed_text(1000),
        mixed_text(256),
        mixed_text(257),
        "x".to_owned(),
        "😀".repeat(600),
        "é".repeat(513),
    ];
    let mut w = to_python.writer();
    for text in &texts {
        peer.send_line(&format!("chunks {}", hex(text.as_bytes())))
            .unwrap();
        let words = peer.expect("CHUNKS", DEADLINE).unwrap();
        let expected: Vec<String> = words[1..].iter().map(|w| unhex_text(w)).collect();
        assert_eq!(words[0].parse::<usize>().unwrap(), expected.len());
        // Python agrees with the slicing this file expects of it.
        assert_eq!(expected, python_chunks(text, 256));

        w.write_all(text.as_bytes()).unwrap();
        w.flush().unwrap();
        peer.send_line(&format!("recv {} 20", expected.len()))
            .unwrap();
        let mut got = Vec::new();
        while got.len() < expected.len() {
            got.push(unhex_text(&peer.expect("RECV", DEADLINE).unwrap()[0]));
        }
        peer.expect("RECEIVED", DEADLINE).unwrap();
        assert_eq!(char_counts(&got), char_counts(&expected));
        assert_eq!(got, expected);
    }
    peer.send_line("exit").unwrap();
}
