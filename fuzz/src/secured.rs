//! The secured handshake and frame decoder on arbitrary bytes.
//!
//! - The host's answer to a first frame, and the client's reading of the
//!   host's reply, never panic, and bytes made without the secret never
//!   pass as a handshake.
//! - A real secured stream, changed where the input says (bytes flipped,
//!   cut short) and fed in chunks of the input's size: what opens is
//!   always an unchanged prefix of what was sealed, frame by frame, and
//!   once a frame fails nothing more opens.
//! - Arbitrary bytes fed to an opener never open as plain bytes.
use yoton_stream::secure::{
    ClientHandshake, Opener, Sealer, Secret, host_answer, judge_reply_line, split_reply,
};

/// The plain bytes the stream carries: three frames' worth.
const PLAIN: &[&[u8]] = &[
    b"YOTON!0000000000001234.42\r\n",
    b"first package bytes",
    b"second package bytes, longer than the first one",
];

fn secret() -> Secret {
    Secret::from_bytes(*b"yoton fuzz secret, 32 bytes long")
}

/// The two ends of a real secured link.
fn link() -> ((Sealer, Opener), (Sealer, Opener)) {
    let secret = secret();
    let (client, hello) = ClientHandshake::start(&secret).expect("hello");
    let answer = host_answer(&secret, &hello[hello.len() - frame_len(&hello)..]).expect("answer");
    let message = split_reply(&answer.reply).expect("reply");
    let client = client.finish(message).expect("finish");
    (client.split(), answer.keys.split())
}

/// The length of the frame that ends `wire` (after the preamble).
fn frame_len(wire: &[u8]) -> usize {
    let preamble = yoton_stream::secure::PREAMBLE.len();
    wire.len() - preamble - 2
}

/// Runs one input; panics on a broken property.
pub fn run(input: &[u8]) {
    let Some((&knob, bytes)) = input.split_first() else {
        return;
    };
    let secret = secret();
    // Bytes made without the secret are no handshake.
    assert!(host_answer(&secret, bytes).is_err());
    let _ = split_reply(bytes);
    let _ = judge_reply_line(bytes);
    if let Ok(message) = split_reply(bytes) {
        let (client, _) = ClientHandshake::start(&secret).expect("hello");
        assert!(client.finish(message).is_err());
    }

    // Arbitrary frames never open.
    let step = 1 + usize::from(knob);
    let ((_, mut opener), _) = link();
    let mut plain = Vec::new();
    for chunk in bytes.chunks(step) {
        opener.push(chunk);
        let _ = opener.open_into(&mut plain);
    }
    assert!(plain.is_empty(), "forged bytes opened");

    // A real stream, changed as the input says.
    let ((mut sealer, _), (_, mut opener)) = link();
    let mut wire = Vec::new();
    let mut ends = Vec::new();
    for part in PLAIN {
        sealer.seal(part, &mut wire).expect("seal");
        ends.push(wire.len());
    }
    let original = wire.clone();
    // Pairs of (position, mask) flip bytes; an odd last byte cuts the
    // stream there.
    let mut pairs = bytes.chunks_exact(2);
    for pair in &mut pairs {
        let at = usize::from(pair[0]) % wire.len();
        wire[at] ^= pair[1];
    }
    if let [cut] = pairs.remainder() {
        wire.truncate(usize::from(*cut) % (wire.len() + 1));
    }
    let mut opened = Vec::new();
    let mut failed = false;
    for chunk in wire.chunks(step) {
        opener.push(chunk);
        match opener.open_into(&mut opened) {
            Ok(()) => assert!(!failed, "a frame opened after a failure"),
            Err(_) => failed = true,
        }
    }
    let expected: Vec<u8> = PLAIN.concat();
    assert!(expected.starts_with(&opened), "damaged bytes opened");
    // Only whole frames open, and only those whose bytes are unchanged.
    let whole = ends
        .iter()
        .take_while(|&&end| end <= wire.len() && wire[..end] == original[..end]);
    let intact: usize = PLAIN.iter().take(whole.count()).map(|p| p.len()).sum();
    assert_eq!(
        opened.len(),
        intact,
        "opened {} of {intact} intact bytes",
        opened.len()
    );
    if wire == original {
        assert_eq!(opened, expected);
        assert!(opener.finish().is_ok());
    }
}
