//! The package decoder on arbitrary bytes in arbitrary chunks: it never
//! panics, never returns a package over its limit, never offers more room
//! than 64 KiB or the rest of a package within the limit, and a valid
//! stream appended to a valid prefix decodes whole.
use yoton_core::decoder::Decoder;
use yoton_core::package::{HEADER_SIZE, Package, Slot};

/// Runs one input; panics on a broken property.
pub fn run(input: &[u8]) {
    // The first byte picks the limit and the chunk sizes; the rest is the
    // stream.
    let Some((&knob, bytes)) = input.split_first() else {
        return;
    };
    let limit = 1u64 << (knob % 24);
    let step = 1 + usize::from(knob) * 7;

    let mut decoder = Decoder::with_max_data_len(limit);
    let mut fed = 0;
    let mut failed = None;
    while fed < bytes.len() {
        let chunk = &bytes[fed..(fed + step).min(bytes.len())];
        if fed % 2 == 0 {
            decoder.feed(chunk);
        } else {
            let _ = decoder.read_with(|buf| {
                assert!(buf.len() as u64 <= (64 * 1024).max(limit + HEADER_SIZE as u64));
                let n = chunk.len().min(buf.len());
                buf[..n].copy_from_slice(&chunk[..n]);
                Ok(n)
            });
        }
        fed += chunk.len();
        loop {
            match decoder.next_package() {
                Ok(Some(p)) => {
                    assert!(failed.is_none());
                    assert!(p.data.len() as u64 <= limit);
                }
                Ok(None) => break,
                Err(e) => {
                    if let Some(previous) = &failed {
                        assert_eq!(previous, &e);
                    }
                    failed = Some(e);
                    break;
                }
            }
        }
    }

    // The same bytes as the data of valid packages decode whole, in any
    // chunking.
    let packages: Vec<Package> = bytes
        .chunks(97)
        .enumerate()
        .map(|(i, d)| Package::new(Slot::new(i as u64), d.to_vec()))
        .collect();
    let wire: Vec<u8> = packages.iter().flat_map(Package::to_bytes).collect();
    let mut decoder = Decoder::new();
    let mut got = Vec::new();
    for chunk in wire.chunks(step) {
        decoder.feed(chunk);
        while let Some(p) = decoder.next_package().expect("a valid stream") {
            got.push(p);
        }
    }
    assert_eq!(got, packages);
}
