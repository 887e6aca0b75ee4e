//! The handshake line reader and both sides' decisions on arbitrary bytes
//! in arbitrary chunks: they never panic, a line is returned only up to its
//! CRLF and within the limit, and what follows the line is kept whole.
use yoton_core::handshake::{
    HandshakeLine, HostDecision, LineReader, MAX_LINE_LEN, client_decide, host_decide,
};
use yoton_core::id::ContextId;

/// Runs one input; panics on a broken property.
pub fn run(input: &[u8]) {
    let Some((&knob, bytes)) = input.split_first() else {
        return;
    };
    let step = 1 + usize::from(knob);
    let own = HandshakeLine {
        id: ContextId::new(0x1234).expect("nonzero"),
        pid: 42,
    };
    let mut reader = LineReader::new();
    let mut line = None;
    for chunk in bytes.chunks(step) {
        if let Some(result) = reader.feed(chunk)
            && line.is_none()
        {
            line = Some(result);
        }
    }
    let crlf = bytes.windows(2).position(|w| w == b"\r\n");
    match line {
        Some(Ok(line)) => {
            let pos = crlf.expect("a line without its CRLF");
            assert!(pos + 2 <= MAX_LINE_LEN);
            assert_eq!(&line[..], &bytes[..pos]);
            assert_eq!(reader.take_rest(), &bytes[pos + 2..]);
            match host_decide(&own, &line) {
                HostDecision::Accept { peer, reply } => {
                    assert_eq!(HandshakeLine::parse(&line), Ok(peer));
                    assert_eq!(client_decide(&peer, reply.as_bytes()), Ok(own));
                }
                HostDecision::Reject { reply, .. } => assert!(reply.is_some()),
            }
            let _ = client_decide(&own, &line);
        }
        Some(Err(_)) => assert!(crlf.is_none_or(|pos| pos + 2 > MAX_LINE_LEN)),
        None => assert!(crlf.is_none() && bytes.len() < MAX_LINE_LEN),
    }
    let _ = host_decide(&own, bytes);
    let _ = client_decide(&own, bytes);
}
