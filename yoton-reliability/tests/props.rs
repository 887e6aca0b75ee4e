//! Properties of the receiving pipeline, on arbitrary input and arbitrary
//! chunking, beyond those in `yoton-core/tests`: the handshake line and the
//! packages behind it as a socket delivers them, valid packages before
//! garbage, partial reads, and the handshake line limit. Nothing panics,
//! and no valid package is lost.

use bytes::Bytes;
use proptest::prelude::*;
use yoton_core::decoder::{DecodeError, Decoder};
use yoton_core::handshake::{
    HandshakeError, HandshakeLine, HostDecision, LineReader, MAX_LINE_LEN, REPLY_BAD_ID,
    REPLY_NOT_YOTON, host_decide,
};
use yoton_core::id::ContextId;
use yoton_core::package::{CONTROL, HEADER_SIZE, Package, Slot};
use yoton_testkit::strategies::chunks;

fn package(max_data: usize) -> impl Strategy<Value = Package> {
    (
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        prop::collection::vec(any::<u8>(), 0..max_data),
    )
        .prop_map(|(slot, source_id, source_seq, data)| {
            let mut p = Package::new(Slot::new(slot), Bytes::from(data));
            p.source_id = source_id;
            p.source_seq = source_seq;
            p
        })
}

fn encode(packages: &[Package]) -> Vec<u8> {
    let mut wire = Vec::new();
    for p in packages {
        p.encode_into(&mut wire);
    }
    wire
}

fn own() -> HandshakeLine {
    HandshakeLine {
        id: ContextId::new(1).unwrap(),
        pid: 1,
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        // Failures print their case; no regression file is kept.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// As the TCP transport receives: the line reader takes chunks until
    /// the line is complete, what came after it seeds the decoder, and the
    /// decoder reads the rest. Every package arrives, whatever the cuts.
    #[test]
    fn line_then_packages_in_any_chunking(
        id in 1u64..,
        pid in any::<u32>(),
        packages in prop::collection::vec(package(200), 0..12),
        cuts in prop::collection::vec(any::<usize>(), 0..30),
    ) {
        let peer = HandshakeLine { id: ContextId::new(id).unwrap(), pid };
        let mut stream = peer.encode().into_bytes();
        stream.extend_from_slice(&encode(&packages));
        let mut reader = LineReader::new();
        let mut decoder: Option<Decoder> = None;
        let mut got = Vec::new();
        for chunk in chunks(&stream, &cuts) {
            match decoder.as_mut() {
                None => {
                    if let Some(line) = reader.feed(&chunk) {
                        let line = line.unwrap();
                        let accepted = matches!(host_decide(&own(), &line), HostDecision::Accept { .. });
                        prop_assert_eq!(accepted, id != 1);
                        let mut d = Decoder::new();
                        d.feed(&reader.take_rest());
                        decoder = Some(d);
                    }
                }
                Some(d) => {
                    let n = d.read_with(|buf| {
                        buf[..chunk.len()].copy_from_slice(&chunk);
                        Ok(chunk.len())
                    }).unwrap();
                    prop_assert_eq!(n, chunk.len());
                }
            }
            if let Some(d) = decoder.as_mut() {
                while let Some(p) = d.next_package().unwrap() {
                    got.push(p);
                }
            }
        }
        prop_assert!(decoder.is_some(), "the line was never complete");
        prop_assert_eq!(got, packages);
    }

    /// Valid packages, then garbage: every valid package comes out before
    /// the error, the error names the right fault, and nothing follows it.
    #[test]
    fn valid_packages_before_garbage_all_come_out(
        packages in prop::collection::vec(package(300), 0..10),
        garbage in prop::collection::vec(any::<u8>(), HEADER_SIZE..400),
        keep_control in any::<bool>(),
        cuts in prop::collection::vec(any::<usize>(), 0..30),
        limit in 300u64..100_000,
    ) {
        let mut garbage = garbage;
        if keep_control {
            garbage[..8].copy_from_slice(&CONTROL.to_le_bytes());
        }
        let control = u64::from_le_bytes(garbage[..8].try_into().unwrap());
        let announced = u64::from_le_bytes(garbage[48..56].try_into().unwrap());
        let mut stream = encode(&packages);
        stream.extend_from_slice(&garbage);
        let mut decoder = Decoder::with_max_data_len(limit);
        let mut got = Vec::new();
        let mut error = None;
        for chunk in chunks(&stream, &cuts) {
            decoder.feed(&chunk);
            loop {
                match decoder.next_package() {
                    Ok(Some(p)) => {
                        prop_assert!(error.is_none(), "a package after the error");
                        got.push(p);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
        }
        prop_assert_eq!(&got[..packages.len().min(got.len())], &packages[..packages.len().min(got.len())]);
        prop_assert_eq!(got.len().min(packages.len()), packages.len());
        if control != CONTROL {
            prop_assert_eq!(error, Some(DecodeError::LostTrack { control }));
            prop_assert_eq!(got.len(), packages.len());
        } else if announced > limit {
            prop_assert_eq!(error, Some(DecodeError::TooLarge { size: announced, limit }));
            prop_assert_eq!(got.len(), packages.len());
        } else {
            // A plausible header: the garbage is a package (if complete).
            prop_assert!(error.is_none());
            prop_assert!(got.len() <= packages.len() + 1);
        }
    }

    /// Reads as a socket does them: each read fills any part of the region
    /// offered, and packages are taken out at arbitrary moments. Every
    /// package comes out, and the region offered never exceeds 64 KiB or
    /// the rest of the package being received.
    #[test]
    fn partial_reads_lose_nothing_and_offer_bounded_room(
        packages in prop::collection::vec(package(100_000), 1..8),
        reads in prop::collection::vec((1usize..200_000, any::<bool>()), 1..60),
    ) {
        let wire = encode(&packages);
        let mut decoder = Decoder::new();
        let mut fed = 0usize;
        let mut got = Vec::new();
        let mut i = 0usize;
        while fed < wire.len() {
            let (want, drain) = reads[i % reads.len()];
            i += 1;
            let taken: usize = got.iter().map(Package::encoded_len).sum();
            let current_rest = packages
                .get(got.len())
                .map_or(0, |p| (taken + p.encoded_len()).saturating_sub(fed));
            let n = decoder.read_with(|buf| {
                assert!(
                    buf.len() <= (64 * 1024).max(current_rest),
                    "offered {} with {current_rest} left of the package",
                    buf.len()
                );
                let n = want.min(buf.len()).min(wire.len() - fed);
                buf[..n].copy_from_slice(&wire[fed..fed + n]);
                Ok(n)
            }).unwrap();
            fed += n;
            if drain || fed == wire.len() {
                while let Some(p) = decoder.next_package().unwrap() {
                    got.push(p);
                }
            }
        }
        prop_assert_eq!(got, packages);
        prop_assert!(!decoder.is_mid_package());
    }

    /// Data that is itself full of headers and control words does not
    /// confuse the framing.
    #[test]
    fn packages_carrying_packages_stay_intact(
        inner in prop::collection::vec(package(100), 1..6),
        cuts in prop::collection::vec(any::<usize>(), 0..20),
    ) {
        let outer: Vec<Package> = inner
            .iter()
            .map(|p| Package::new(Slot::new(9), Bytes::from(p.to_bytes().repeat(2))))
            .collect();
        let wire = encode(&outer);
        let mut decoder = Decoder::new();
        let mut got = Vec::new();
        for chunk in chunks(&wire, &cuts) {
            decoder.feed(&chunk);
            while let Some(p) = decoder.next_package().unwrap() {
                got.push(p);
            }
        }
        prop_assert_eq!(got, outer);
    }

    /// The line limit counts the CRLF, whatever the chunking: a line of
    /// `len` bytes is read if `len + 2 <= MAX_LINE_LEN`, refused otherwise;
    /// the host answers a non-yoton line and a bad id as the reference.
    #[test]
    fn the_line_limit_holds_in_any_chunking(
        len in 0usize..2 * MAX_LINE_LEN,
        yoton in any::<bool>(),
        fill in 0x20u8..0x7f,
        cuts in prop::collection::vec(any::<usize>(), 0..20),
    ) {
        let mut line = if yoton { b"YOTON!".to_vec() } else { Vec::new() };
        line.resize(len.max(line.len()), fill);
        let mut stream = line.clone();
        stream.extend_from_slice(b"\r\n");
        let mut reader = LineReader::new();
        let mut outcome = None;
        for chunk in chunks(&stream, &cuts) {
            if let Some(result) = reader.feed(&chunk) {
                outcome.get_or_insert(result);
            }
        }
        if line.len() + 2 <= MAX_LINE_LEN {
            let got = outcome.unwrap().unwrap();
            prop_assert_eq!(&got, &line);
            match host_decide(&own(), &got) {
                HostDecision::Reject { reply, error } => {
                    let reply = reply.unwrap();
                    if line.starts_with(b"YOTON!") {
                        prop_assert_eq!(reply.as_ref(), REPLY_BAD_ID);
                        prop_assert_eq!(error, HandshakeError::BadId);
                    } else {
                        prop_assert_eq!(reply.as_ref(), REPLY_NOT_YOTON);
                        prop_assert_eq!(error, HandshakeError::NotYoton);
                    }
                }
                // A line of printable filler can happen to be a real line
                // only when it is short; it is then a valid peer.
                HostDecision::Accept { .. } => prop_assert!(HandshakeLine::parse(&got).is_ok()),
            }
        } else {
            prop_assert_eq!(outcome, Some(Err(HandshakeError::TooLong { limit: MAX_LINE_LEN })));
        }
    }
}
