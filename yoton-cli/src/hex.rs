//! Binary messages on a text terminal: lowercase hex, one message a line.

use std::fmt::Write as _;

/// Why a line is not hex.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HexError {
    /// An odd number of digits: the last byte is incomplete.
    #[error("odd number of hex digits ({0})")]
    OddLength(usize),
    /// A character that is not a hex digit.
    #[error("{found:?} at column {column} is not a hex digit")]
    NotHex {
        /// The offending character.
        found: char,
        /// Where it is, counting from 1.
        column: usize,
    },
}

/// Lowercase hex of `bytes`, two digits a byte, no separators.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Decodes hex digits (either case); surrounding whitespace is ignored.
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, HexError> {
    let text = text.trim();
    let digits: Vec<(usize, char)> = text.chars().enumerate().collect();
    for &(i, c) in &digits {
        if !c.is_ascii_hexdigit() {
            return Err(HexError::NotHex {
                found: c,
                column: i + 1,
            });
        }
    }
    if digits.len() % 2 != 0 {
        return Err(HexError::OddLength(digits.len()));
    }
    Ok(digits
        .chunks(2)
        .map(|pair| {
            let high = pair[0].1.to_digit(16).unwrap_or(0);
            let low = pair[1].1.to_digit(16).unwrap_or(0);
            // Two hex digits make at most 255.
            (high * 16 + low) as u8
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_all_bytes() {
        let all: Vec<u8> = (0..=255).collect();
        let text = encode(&all);
        assert_eq!(&text[..8], "00010203");
        assert_eq!(&text[text.len() - 4..], "feff");
        assert_eq!(decode(&text).unwrap(), all);
        assert_eq!(decode(&text.to_uppercase()).unwrap(), all);
    }

    #[test]
    fn bad_input_says_what_and_where() {
        assert_eq!(decode("abc"), Err(HexError::OddLength(3)));
        assert_eq!(
            decode("0g"),
            Err(HexError::NotHex {
                found: 'g',
                column: 2
            })
        );
        assert_eq!(decode("  "), Ok(Vec::new()));
        assert_eq!(decode(" 0A\r"), Ok(vec![10]));
    }
}
