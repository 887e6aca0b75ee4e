//! Binary messages on a text terminal: lowercase hex, one message a line.

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
    hex::encode(bytes)
}

/// Decodes hex digits (either case); surrounding whitespace is ignored.
/// A character that is not a digit is reported (with its column) before an
/// odd count of digits.
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, HexError> {
    let text = text.trim();
    if let Some((i, found)) = text
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_hexdigit())
    {
        return Err(HexError::NotHex {
            found,
            column: i + 1,
        });
    }
    // Only ASCII digits are left: the one error is an odd count.
    hex::decode(text).map_err(|_| HexError::OddLength(text.len()))
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
        assert_eq!(
            decode("xyz"),
            Err(HexError::NotHex {
                found: 'x',
                column: 1
            })
        );
        assert_eq!(
            decode("0é"),
            Err(HexError::NotHex {
                found: 'é',
                column: 2
            })
        );
    }
}
