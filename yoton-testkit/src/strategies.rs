//! proptest strategies and helpers that property tests of the wire share:
//! arbitrary packages, their bytes on the wire, and arbitrary ways to cut
//! a byte stream into the chunks a socket might deliver.
//!
//! ```
//! use proptest::prelude::*;
//! use yoton_testkit::strategies::{chunks, cuts, package, wire};
//!
//! proptest!(|(packages in prop::collection::vec(package(100), 0..5), at in cuts(10))| {
//!     let bytes = wire(&packages);
//!     let pieces = chunks(&bytes, &at);
//!     prop_assert_eq!(pieces.concat(), bytes);
//! });
//! ```

use bytes::Bytes;
use proptest::prelude::*;
use yoton_core::{Package, Slot};

/// A package with every header word arbitrary (slot, source and
/// destination ids and sequence numbers) and up to `max_data` bytes of
/// arbitrary data: what a decoder may be handed.
pub fn package(max_data: usize) -> impl Strategy<Value = Package> {
    (
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        prop::collection::vec(any::<u8>(), 0..=max_data),
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

/// A package as a context sends it: arbitrary slot, source id and
/// sequence number, no destination (as [`Package::new`] leaves it), and up
/// to `max_data` bytes of arbitrary data.
pub fn sent_package(max_data: usize) -> impl Strategy<Value = Package> {
    (
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        prop::collection::vec(any::<u8>(), 0..=max_data),
    )
        .prop_map(|(slot, source_id, source_seq, data)| {
            let mut p = Package::new(Slot::new(slot), Bytes::from(data));
            p.source_id = source_id;
            p.source_seq = source_seq;
            p
        })
}

/// Up to `max_cuts` arbitrary cut points for [`chunks`].
pub fn cuts(max_cuts: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(any::<usize>(), 0..=max_cuts)
}

/// The packages one after the other, as they go on the wire.
pub fn wire(packages: &[Package]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for p in packages {
        p.encode_into(&mut bytes);
    }
    bytes
}

/// Splits `bytes` at the given cut points (each taken modulo the length),
/// in order; the pieces, some perhaps empty, join to `bytes` again.
///
/// ```
/// use yoton_testkit::strategies::chunks;
///
/// assert_eq!(chunks(b"abcdef", &[2, 10]), [&b"ab"[..], b"cd", b"ef"]);
/// ```
pub fn chunks(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts
        .iter()
        .map(|c| if bytes.is_empty() { 0 } else { c % bytes.len() })
        .collect();
    points.push(0);
    points.push(bytes.len());
    points.sort_unstable();
    points
        .windows(2)
        .map(|w| bytes[w[0]..w[1]].to_vec())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use yoton_core::decoder::Decoder;

    proptest! {
        #[test]
        fn any_chunking_of_the_wire_decodes_to_the_packages(
            packages in prop::collection::vec(sent_package(300), 0..8),
            at in cuts(20),
        ) {
            let mut decoder = Decoder::new();
            let mut got = Vec::new();
            for piece in chunks(&wire(&packages), &at) {
                decoder.feed(&piece);
                while let Some(p) = decoder.next_package().unwrap() {
                    got.push(p);
                }
            }
            prop_assert_eq!(got, packages);
        }

        #[test]
        fn arbitrary_packages_keep_their_header_words(p in package(50)) {
            let mut decoder = Decoder::new();
            decoder.feed(&wire(std::slice::from_ref(&p)));
            prop_assert_eq!(decoder.next_package().unwrap(), Some(p));
        }
    }
}
