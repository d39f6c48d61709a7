//! A fast hash for the connection's tables.
//!
//! Their keys are identifiers this side drew at random (transaction ids, its
//! own Message-IDs), or a peer's Message-IDs in a table capped by
//! [`Config::max_incomplete_messages`](super::Config::max_incomplete_messages),
//! so colliding keys buy an attacker nothing; SipHash's defence against
//! that was nearly a tenth of the cost of a small message
//! (benches/connection.rs). The mixing step is FxHash's (rustc's own).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FxHash: rotate, xor, multiply, one machine word at a time.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // The length keeps zero-padded tails apart ("a" and "a\0").
        self.add(bytes.len() as u64);
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut buf = [0; 8];
            buf.copy_from_slice(word);
            self.add(u64::from_le_bytes(buf));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut buf = [0; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
}

/// A `HashMap` with [`FastHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::Hash;

    fn hash(value: impl Hash) -> u64 {
        let mut h = FastHasher::default();
        value.hash(&mut h);
        h.finish()
    }

    #[test]
    fn equal_keys_hash_equal_and_near_keys_differ() {
        assert_eq!(
            hash("abcdefghijklmnop"),
            hash(String::from("abcdefghijklmnop"))
        );
        assert_ne!(hash("abcdefghijklmnop"), hash("abcdefghijklmnoq"));
        assert_ne!(hash("a"), hash("a\0"));
    }

    #[test]
    fn a_map_with_it_works() {
        let mut map: FastMap<String, u32> = FastMap::default();
        for i in 0..1000 {
            map.insert(format!("id{i}"), i);
        }
        assert_eq!(map.get("id999"), Some(&999));
        assert_eq!(map.len(), 1000);
    }
}
