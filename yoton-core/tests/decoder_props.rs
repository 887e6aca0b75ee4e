//! Properties of the package decoder: it survives any input, and any
//! chunking of a valid stream yields exactly the packages that were sent.

use proptest::prelude::*;
use yoton_core::decoder::{DecodeError, Decoder};
use yoton_core::package::{HEADER_SIZE, Package, Slot};
use yoton_testkit::strategies::chunks;

fn package() -> impl Strategy<Value = Package> {
    (
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        prop::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(
            |(slot, source_id, source_seq, dest_id, dest_seq, data)| Package {
                slot: Slot::new(slot),
                source_id,
                source_seq,
                dest_id,
                dest_seq,
                data: data.into(),
            },
        )
}

/// Drains the decoder, stopping at the first error.
fn drain(decoder: &mut Decoder, out: &mut Vec<Package>) -> Result<(), DecodeError> {
    while let Some(p) = decoder.next_package()? {
        out.push(p);
    }
    Ok(())
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..2000),
        cuts in prop::collection::vec(any::<usize>(), 0..20),
        limit in 0u64..1000,
    ) {
        let mut decoder = Decoder::with_max_data_len(limit);
        let mut got = Vec::new();
        let mut failed = None;
        for chunk in chunks(&bytes, &cuts) {
            decoder.feed(&chunk);
            if let Err(e) = drain(&mut decoder, &mut got) {
                // Once failed, the same error comes back.
                if let Some(previous) = &failed {
                    prop_assert_eq!(previous, &e);
                }
                failed = Some(e);
            }
        }
        prop_assert!(got.iter().all(|p| p.data.len() as u64 <= limit));
        prop_assert!(decoder.buffered_len() <= bytes.len());
    }

    #[test]
    fn arbitrary_headers_with_valid_control_never_panic(
        words in prop::collection::vec(any::<u64>(), 6),
        tail in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut bytes = b"YOTON   ".to_vec();
        for w in &words {
            bytes.extend_from_slice(&w.to_le_bytes());
        }
        bytes.extend_from_slice(&tail);
        let mut decoder = Decoder::new();
        decoder.feed(&bytes);
        let mut got = Vec::new();
        let _ = drain(&mut decoder, &mut got);
        let mut offered = 0;
        let _ = decoder.read_with(|buf| { offered = buf.len(); Ok(0) });
        // An announced size never decides how much memory is offered
        // beyond what the limit allows.
        prop_assert!(offered as u64 <= (64 * 1024).max(yoton_core::decoder::DEFAULT_MAX_DATA_LEN + HEADER_SIZE as u64));
    }

    #[test]
    fn valid_streams_round_trip_in_any_chunking(
        packages in prop::collection::vec(package(), 0..20),
        cuts in prop::collection::vec(any::<usize>(), 0..40),
    ) {
        let mut wire = Vec::new();
        for p in &packages {
            p.encode_into(&mut wire);
        }

        let mut fed = Decoder::new();
        let mut got = Vec::new();
        for chunk in chunks(&wire, &cuts) {
            fed.feed(&chunk);
            drain(&mut fed, &mut got).unwrap();
        }
        prop_assert_eq!(&got, &packages);
        prop_assert!(!fed.is_mid_package());

        // The same stream through read_with, as a socket loop does it.
        let mut read = Decoder::new();
        let mut got = Vec::new();
        for chunk in chunks(&wire, &cuts) {
            let n = read.read_with(|buf| {
                buf[..chunk.len()].copy_from_slice(&chunk);
                Ok(chunk.len())
            }).unwrap();
            prop_assert_eq!(n, chunk.len());
            drain(&mut read, &mut got).unwrap();
        }
        prop_assert_eq!(&got, &packages);
        prop_assert_eq!(read.buffered_len(), 0);
    }

    #[test]
    fn truncated_streams_are_mid_package(
        packages in prop::collection::vec(package(), 1..5),
        cut in any::<usize>(),
    ) {
        let mut wire = Vec::new();
        for p in &packages {
            p.encode_into(&mut wire);
        }
        let cut = cut % wire.len();
        let mut decoder = Decoder::new();
        decoder.feed(&wire[..cut]);
        let mut got = Vec::new();
        drain(&mut decoder, &mut got).unwrap();
        let consumed: usize = got.iter().map(Package::encoded_len).sum();
        prop_assert_eq!(decoder.is_mid_package(), consumed < cut);
        prop_assert_eq!(decoder.buffered_len(), cut - consumed);
    }
}

#[test]
fn one_byte_at_a_time() {
    let packages: Vec<Package> = (0..10u64)
        .map(|i| {
            let mut p = Package::new(Slot::new(100 + i), vec![i as u8; i as usize * 7]);
            p.source_seq = i;
            p
        })
        .chain([Package::heartbeat(), Package::close_notice()])
        .collect();
    let wire: Vec<u8> = packages.iter().flat_map(Package::to_bytes).collect();
    let mut decoder = Decoder::new();
    let mut got = Vec::new();
    for b in &wire {
        decoder.feed(std::slice::from_ref(b));
        while let Some(p) = decoder.next_package().unwrap() {
            got.push(p);
        }
    }
    assert_eq!(got, packages);
}

#[test]
fn wrong_control_word_loses_track() {
    let mut wire = Package::new(Slot::new(9), &b"abc"[..]).to_bytes();
    wire[3] = b'X';
    let mut decoder = Decoder::new();
    decoder.feed(&wire);
    let err = decoder.next_package().unwrap_err();
    assert!(matches!(err, DecodeError::LostTrack { .. }));
    assert_eq!(err.to_string(), yoton_core::reason::LOST_TRACK);
    assert_eq!(err.reason(), yoton_core::reason::LOST_TRACK);
    assert_eq!(decoder.next_package().unwrap_err(), err);
    let io = decoder.read_with(|_| Ok(0)).unwrap_err();
    assert_eq!(io.kind(), std::io::ErrorKind::InvalidData);
}

#[test]
fn too_large_says_size_and_limit() {
    let mut header = Package::new(Slot::new(9), &b""[..]).header();
    header[48..].copy_from_slice(&(1u64 << 62).to_le_bytes());
    let mut decoder = Decoder::with_max_data_len(64);
    decoder.feed(&header);
    let err = decoder.next_package().unwrap_err();
    assert_eq!(
        err,
        DecodeError::TooLarge {
            size: 1 << 62,
            limit: 64
        }
    );
    assert_eq!(
        err.reason(),
        format!(
            "Package too large: {} bytes announced, the limit is 64 bytes.",
            1u64 << 62
        )
    );
}

#[test]
fn limit_is_inclusive() {
    let p = Package::new(Slot::new(9), vec![1u8; 64]);
    let mut decoder = Decoder::with_max_data_len(64);
    decoder.feed(&p.to_bytes());
    assert_eq!(decoder.next_package().unwrap(), Some(p));
    assert_eq!(
        Decoder::default().max_data_len(),
        yoton_core::decoder::DEFAULT_MAX_DATA_LEN
    );
}
