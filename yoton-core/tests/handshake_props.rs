//! Properties of the handshake: any bytes in any chunking leave the line
//! reader and the host's decision well-behaved, and valid lines round-trip.

use proptest::prelude::*;
use yoton_core::handshake::{
    HandshakeError, HandshakeLine, HostDecision, LineReader, MAX_LINE_LEN, client_decide,
    host_decide,
};
use yoton_core::id::ContextId;
use yoton_testkit::strategies::chunks;

fn handshake_line() -> impl Strategy<Value = HandshakeLine> {
    (1u64.., any::<u32>()).prop_map(|(id, pid)| HandshakeLine {
        id: ContextId::new(id).expect("nonzero"),
        pid,
    })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..3000),
        cuts in prop::collection::vec(any::<usize>(), 0..20),
        own in handshake_line(),
    ) {
        let mut reader = LineReader::new();
        let mut outcome = None;
        for chunk in chunks(&bytes, &cuts) {
            if let Some(result) = reader.feed(&chunk) {
                prop_assert!(outcome.is_none() || result.is_err());
                outcome = Some(result);
            }
        }
        let crlf = bytes.windows(2).position(|w| w == b"\r\n");
        match (outcome, crlf) {
            (Some(Ok(line)), Some(pos)) => {
                prop_assert!(pos + 2 <= MAX_LINE_LEN);
                prop_assert_eq!(&line[..], &bytes[..pos]);
                prop_assert_eq!(reader.take_rest(), bytes[pos + 2..].to_vec());
                let _ = host_decide(&own, &line);
                let _ = client_decide(&own, &line);
            }
            (Some(Err(e)), _) => {
                prop_assert_eq!(e, HandshakeError::TooLong { limit: MAX_LINE_LEN });
                prop_assert!(crlf.is_none_or(|pos| pos + 2 > MAX_LINE_LEN));
            }
            (None, crlf) => {
                prop_assert!(crlf.is_none());
                prop_assert!(bytes.len() < MAX_LINE_LEN);
            }
            (Some(Ok(_)), None) => prop_assert!(false, "a line without CRLF"),
        }
        // Decisions on the raw bytes never panic either.
        let _ = host_decide(&own, &bytes);
        let _ = client_decide(&own, &bytes);
    }

    #[test]
    fn valid_lines_round_trip(
        own in handshake_line(),
        peer in handshake_line(),
        cuts in prop::collection::vec(any::<usize>(), 0..10),
        tail in prop::collection::vec(any::<u8>(), 0..100),
    ) {
        let text = peer.encode();
        prop_assert!(text.starts_with("YOTON!") && text.ends_with("\r\n"));
        prop_assert_eq!(HandshakeLine::parse(text.as_bytes()), Ok(peer));
        prop_assert_eq!(HandshakeLine::parse(text.to_uppercase().as_bytes()).map(|l| l.id), Ok(peer.id));

        let mut stream = text.clone().into_bytes();
        stream.extend_from_slice(&tail);
        let mut reader = LineReader::new();
        let mut line = None;
        for chunk in chunks(&stream, &cuts) {
            if let Some(result) = reader.feed(&chunk) {
                line = Some(result.unwrap());
            }
        }
        let line = line.unwrap();
        prop_assert_eq!(reader.take_rest(), tail);

        match host_decide(&own, &line) {
            HostDecision::Accept { peer: got, reply } => {
                prop_assert_ne!(own.id, peer.id);
                prop_assert_eq!(got, peer);
                prop_assert_eq!(client_decide(&peer, reply.as_bytes()), Ok(own));
            }
            HostDecision::Reject { reply, error } => {
                prop_assert_eq!(own.id, peer.id);
                prop_assert_eq!(error, HandshakeError::SelfConnect);
                let own_line = own.encode();
                prop_assert_eq!(reply.as_deref(), Some(own_line.as_str()));
            }
        }
    }

    #[test]
    fn short_ids_parse(id in 1u64.., pid in any::<u32>()) {
        let text = format!("YOTON!{id:x}.{pid}");
        let line = HandshakeLine::parse(text.as_bytes()).unwrap();
        prop_assert_eq!((line.id.get(), line.pid), (id, pid));
    }
}

#[test]
fn self_connect_both_ways() {
    let own = HandshakeLine {
        id: ContextId::new(5).unwrap(),
        pid: 1,
    };
    let line = own.encode();
    let request = line.trim_end().as_bytes();
    match host_decide(&own, request) {
        HostDecision::Reject { reply, error } => {
            assert_eq!(error, HandshakeError::SelfConnect);
            let reply = reply.unwrap();
            assert_eq!(
                client_decide(&own, reply.as_bytes()),
                Err(HandshakeError::SelfConnect)
            );
        }
        other => panic!("{other:?}"),
    }
}
