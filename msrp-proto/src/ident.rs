//! Identifiers: transaction ids, Message-IDs and session ids, and the seeded
//! generator that makes them.
//!
//! RFC 4975 §9 gives transaction ids and Message-IDs the `ident` grammar:
//! 4 to 32 characters, the first alphanumeric, the rest alphanumeric or one of
//! `. - + % =`. §7.1 asks for at least 64 bits of randomness in transaction
//! ids, and §14.1 for at least 80 bits in session ids, because the session id
//! is the capability that lets a peer into the session.
//!
//! msrp-proto never draws on an ambient source of randomness: an
//! [`IdGenerator`] is built from a 32-byte seed that the caller supplies (the
//! runtime adapters take it from the operating system, tests pin it), so every
//! run of the state machines can be replayed exactly.

use rand_chacha::ChaCha12Rng;
use rand_core::{Rng, SeedableRng};

/// Shortest transaction id or Message-ID the grammar allows.
pub const IDENT_MIN_LEN: usize = 4;
/// Longest transaction id or Message-ID the grammar allows.
pub const IDENT_MAX_LEN: usize = 32;

/// Characters of generated identifiers: alphanumerics only, so that they are
/// valid everywhere an `ident` or a session id is (and survive copy and paste).
const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Length of generated transaction ids and Message-IDs: 16 × log2(62) ≈ 95 bits.
pub const GENERATED_IDENT_LEN: usize = 16;
/// Length of generated session ids: 20 × log2(62) ≈ 119 bits (≥ 80, §14.1).
pub const GENERATED_SESSION_ID_LEN: usize = 20;

/// Returns whether `s` matches the RFC 4975 `ident` rule
/// (`ALPHANUM 3*31ident-char`), used by transaction ids and Message-IDs.
///
/// ```
/// use msrp_proto::ident::is_ident;
/// assert!(is_ident(b"a786hjs2"));
/// assert!(!is_ident(b"abc"));        // too short
/// assert!(!is_ident(b".abcd"));      // must start with a letter or digit
/// assert!(!is_ident(&[b'a'; 33]));   // too long
/// ```
pub fn is_ident(s: &[u8]) -> bool {
    (IDENT_MIN_LEN..=IDENT_MAX_LEN).contains(&s.len())
        && s[0].is_ascii_alphanumeric()
        && s[1..].iter().all(|&b| is_ident_char(b))
}

/// Returns whether `b` may appear after the first character of an `ident`.
pub(crate) fn is_ident_char(b: u8) -> bool {
    IDENT_CHARS[usize::from(b)]
}

/// `ident-char` as a table: every transaction id and Message-ID of every
/// chunk goes through it.
static IDENT_CHARS: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'+' | b'%' | b'=');
        b += 1;
    }
    table
};

/// A deterministic, cryptographically strong source of identifiers.
///
/// Built from a caller-supplied seed (ChaCha12, the generator behind
/// `rand`'s `StdRng`), so tests replay exactly and
/// the runtime adapters seed it from the operating system.
///
/// ```
/// use msrp_proto::ident::{is_ident, IdGenerator};
/// let mut ids = IdGenerator::from_seed([7; 32]);
/// let tid = ids.transaction_id();
/// assert!(is_ident(tid.as_bytes()));
/// // The same seed gives the same sequence.
/// assert_eq!(IdGenerator::from_seed([7; 32]).transaction_id(), tid);
/// ```
#[derive(Debug, Clone)]
pub struct IdGenerator {
    seed: [u8; 32],
    /// Started on the first identifier drawn: a connection or session that
    /// never makes one (most on a server that only answers) keeps 40 bytes
    /// instead of some 400.
    running: Option<Box<Running>>,
}

#[derive(Debug, Clone)]
struct Running {
    rng: ChaCha12Rng,
    /// Random bytes drawn and not used yet: one ChaCha block serves
    /// several identifiers (drawing a block per identifier was a visible cost
    /// of sending small messages).
    pool: [u8; 64],
    used: usize,
}

impl IdGenerator {
    /// Creates a generator from a 32-byte seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            seed,
            running: None,
        }
    }

    fn running(&mut self) -> &mut Running {
        self.running.get_or_insert_with(|| {
            Box::new(Running {
                rng: ChaCha12Rng::from_seed(self.seed),
                pool: [0; 64],
                used: 64,
            })
        })
    }

    /// A fresh transaction id: 16 alphanumerics, about 95 random bits.
    pub fn transaction_id(&mut self) -> String {
        self.alphanumeric(GENERATED_IDENT_LEN)
    }

    /// A fresh Message-ID: 16 alphanumerics, about 95 random bits.
    pub fn message_id(&mut self) -> String {
        self.alphanumeric(GENERATED_IDENT_LEN)
    }

    /// A fresh session id for an MSRP URI: 20 alphanumerics, about 119
    /// random bits (RFC 4975 §14.1 asks for at least 80).
    pub fn session_id(&mut self) -> String {
        self.alphanumeric(GENERATED_SESSION_ID_LEN)
    }

    /// `len` random characters from `[A-Za-z0-9]`, uniformly distributed.
    pub fn alphanumeric(&mut self, len: usize) -> String {
        let mut out = vec![0; len];
        self.fill_alphanumeric(&mut out);
        out.into_iter().map(char::from).collect()
    }

    /// Fills `out` with random characters from `[A-Za-z0-9]`, uniformly
    /// distributed (for identifiers built in place, without a `String`).
    pub fn fill_alphanumeric(&mut self, out: &mut [u8]) {
        let running = self.running();
        let mut filled = 0;
        while filled < out.len() {
            if running.used == running.pool.len() {
                running.rng.fill_bytes(&mut running.pool);
                running.used = 0;
            }
            let b = running.pool[running.used];
            running.used += 1;
            // Rejection sampling keeps the distribution uniform: 248 = 4 × 62.
            if b < 248 {
                out[filled] = ALPHABET[usize::from(b % 62)];
                filled += 1;
            }
        }
    }

    /// Fills `dest` with random bytes (digest client nonces, for example).
    pub fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.running().rng.fill_bytes(dest);
    }

    /// A random 64-bit number.
    pub fn next_u64(&mut self) -> u64 {
        self.running().rng.next_u64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ident_grammar_edges() {
        assert!(is_ident(b"abcd"));
        assert!(is_ident(b"0a.-+%="));
        assert!(is_ident(&[b'z'; 32]));
        assert!(!is_ident(b""));
        assert!(!is_ident(b"abc"));
        assert!(!is_ident(&[b'z'; 33]));
        assert!(!is_ident(b"-abc"));
        assert!(!is_ident(b"ab cd"));
        assert!(!is_ident(b"ab/cd"));
        assert!(!is_ident("abcé".as_bytes()));
    }

    #[test]
    fn generated_ids_follow_the_grammar_and_differ() {
        let mut ids = IdGenerator::from_seed([1; 32]);
        let a = ids.transaction_id();
        let b = ids.transaction_id();
        assert_ne!(a, b);
        assert!(is_ident(a.as_bytes()) && is_ident(b.as_bytes()));
        assert_eq!(a.len(), GENERATED_IDENT_LEN);
        let s = ids.session_id();
        assert_eq!(s.len(), GENERATED_SESSION_ID_LEN);
        assert!(s.bytes().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn generator_is_reproducible_from_its_seed() {
        let mut x = IdGenerator::from_seed([9; 32]);
        let mut y = IdGenerator::from_seed([9; 32]);
        for _ in 0..10 {
            assert_eq!(x.message_id(), y.message_id());
        }
        assert_ne!(
            IdGenerator::from_seed([8; 32]).message_id(),
            IdGenerator::from_seed([9; 32]).message_id()
        );
    }

    #[test]
    fn alphabet_is_used_uniformly_enough() {
        // 62 symbols, 62_000 draws: every symbol appears, none wildly over-represented.
        let mut ids = IdGenerator::from_seed([3; 32]);
        let s = ids.alphanumeric(62_000);
        let mut counts = [0u32; 128];
        for b in s.bytes() {
            counts[usize::from(b)] += 1;
        }
        for &c in ALPHABET {
            let n = counts[usize::from(c)];
            assert!(
                (800..1200).contains(&n),
                "{} drawn {n} times",
                char::from(c)
            );
        }
    }
}
