//! The name hashes of the reference: slot numbers for channel names and
//! port numbers for address names.
//!
//! The reference computes both with Python integers, which never overflow.
//! The running value grows by about 1.125 per character, so it passes 128
//! bits near 500 characters; a small multi-limb integer keeps long names
//! hashing exactly as they do in Python.

/// The multiplier the reference applies to each code point.
const FAC: u64 = 0xD2D8_4A61;

/// Slots 0 to 7 are reserved, so hashed slots start here.
const SLOT_OFFSET: u64 = 8;

/// Hashed ports fall in the IANA dynamic range, which starts here.
const PORT_BASE: u16 = 49152;

/// The slot number of a name: a value from 8 to `u64::MAX`.
///
/// The name is hashed exactly as given; channels lower-case and strip their
/// slot names before hashing, which is their business.
///
/// ```
/// use yoton_core::hash::slot_hash;
/// assert_eq!(slot_hash(""), 8);
/// assert_eq!(slot_hash("chat.txt.pub-sub"), 17460451874447);
/// ```
pub fn slot_hash(name: &str) -> u64 {
    let val = hash_value(name);
    let modulus = u64::MAX - (SLOT_OFFSET - 1); // 2^64 - 8
    SLOT_OFFSET + val.rem_u64(modulus)
}

/// The port number of a name: a value from 49152 to 65535.
///
/// ```
/// use yoton_core::hash::port_hash;
/// assert_eq!(port_hash("test"), 56337);
/// ```
pub fn port_hash(name: &str) -> u16 {
    let val = hash_value(name);
    // 2^14 divides 2^64, so the lowest limb alone decides the remainder.
    let low = (val.low() & 0x3FFF) as u16;
    PORT_BASE + low
}

/// Runs the reference's recurrence over the code points, then once more
/// over the length in code points.
fn hash_value(name: &str) -> BigUint {
    let mut val = BigUint::default();
    let mut count: u64 = 0;
    for c in name.chars() {
        val.step(u64::from(u32::from(c)) * FAC);
        count += 1;
    }
    // The length can exceed 32 bits in theory, so the product may not fit
    // in a u64; u128 keeps it exact.
    val.step_wide(u128::from(count) * u128::from(FAC));
    val
}

/// An unsigned integer of any size, least significant limb first.
///
/// Only what the hash needs: `v += (v >> 3) + k`, and remainders.
#[derive(Debug, Default)]
struct BigUint {
    limbs: Vec<u64>,
}

impl BigUint {
    /// `self += (self >> 3) + add`.
    fn step(&mut self, add: u64) {
        self.step_wide(u128::from(add));
    }

    /// `self += (self >> 3) + add`, with a 128-bit addend.
    fn step_wide(&mut self, add: u128) {
        // Every limb of `self >> 3` depends only on limbs at the same or a
        // higher index, so one pass from the bottom can update in place.
        let mut carry: u128 = add;
        let n = self.limbs.len();
        for i in 0..n {
            let next = if i + 1 < n { self.limbs[i + 1] } else { 0 };
            let shifted = (self.limbs[i] >> 3) | (next << 61);
            let sum = u128::from(self.limbs[i]) + u128::from(shifted) + carry;
            self.limbs[i] = sum as u64;
            carry = sum >> 64;
        }
        while carry != 0 {
            self.limbs.push(carry as u64);
            carry >>= 64;
        }
    }

    /// The lowest 64 bits.
    fn low(&self) -> u64 {
        self.limbs.first().copied().unwrap_or(0)
    }

    /// `self % modulus`, for a nonzero modulus.
    fn rem_u64(&self, modulus: u64) -> u64 {
        let m = u128::from(modulus);
        self.limbs
            .iter()
            .rev()
            .fold(0u128, |rem, &limb| ((rem << 64) | u128::from(limb)) % m) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same recurrence in u128, valid while nothing overflows.
    fn reference_u128(name: &str) -> u128 {
        let fac = u128::from(FAC);
        let mut val: u128 = 0;
        for c in name.chars() {
            val += (val >> 3) + u128::from(u32::from(c)) * fac;
        }
        val + (val >> 3) + name.chars().count() as u128 * fac
    }

    #[test]
    fn short_names_match_plain_u128_arithmetic() {
        for name in ["", "a", "chat", "status.obj.state", "héllo wörld ✓", "𝄞𝄞"] {
            let val = reference_u128(name);
            assert_eq!(slot_hash(name) as u128, 8 + val % ((1u128 << 64) - 8));
            assert_eq!(port_hash(name) as u128, 49152 + val % (1 << 14));
        }
    }

    #[test]
    fn value_grows_past_128_bits_without_losing_precision() {
        let name = "x".repeat(1000);
        let val = hash_value(&name);
        assert!(val.limbs.len() > 2);
        // Computed with Python integers.
        assert_eq!(port_hash(&name), 57769);
        assert_eq!(slot_hash(&name), 2513479118140037593);
    }

    #[test]
    fn a_128_bit_addend_is_kept_whole() {
        // The last step adds length * FAC, which exceeds 64 bits for names
        // of more than 2^32 code points; no bit of it may be lost.
        let mut val = BigUint::default();
        let add = (u128::from(u64::MAX) << 32) | 0x1234;
        val.step_wide(add);
        assert_eq!(val.limbs, [add as u64, (add >> 64) as u64]);
        let mut val = BigUint::default();
        val.step_wide(1 << 100);
        assert_eq!(val.limbs, [0, 1 << 36]);
        // v + (v >> 3) + add, with v = 2^100: 2^100 + 2^97 + 2^100.
        val.step_wide(1 << 100);
        assert_eq!(val.limbs, [0, (1 << 37) + (1 << 33)]);
    }

    #[test]
    fn remainder_uses_all_limbs() {
        let val = BigUint { limbs: vec![5, 1] };
        // 2^64 + 5 = 8 + 5 (mod 2^64 - 8)
        assert_eq!(val.rem_u64(u64::MAX - 7), 13);
    }
}
