//! Identifier and token generation.
//!
//! Every id a mock hands out (Okta's `00u…`, Auth0's `con_…`, session tokens) comes from one
//! seeded generator per mock, so a scenario run produces the same ids every time; `ferry serve`
//! seeds it from the operating system instead.

use std::sync::{Arc, Mutex, PoisonError};

use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const TOKEN: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const HEX: &[u8] = b"0123456789abcdef";

/// A shared, seedable source of ids.
#[derive(Clone, Debug)]
pub struct Ids {
    rng: Arc<Mutex<ChaCha8Rng>>,
}

impl Ids {
    /// Deterministic ids from `seed`.
    pub fn seeded(seed: u64) -> Self {
        Self {
            rng: Arc::new(Mutex::new(ChaCha8Rng::seed_from_u64(seed))),
        }
    }

    /// Ids seeded from the operating system.
    pub fn random() -> Self {
        Self::seeded(rand::rng().next_u64())
    }

    fn pick(&self, alphabet: &'static [u8], len: usize) -> String {
        let mut out = String::with_capacity(len);
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        for _ in 0..len {
            out.push(char::from(alphabet[rng.random_range(0..alphabet.len())]));
        }
        out
    }

    /// `len` characters of `[A-Za-z0-9]`.
    pub fn alnum(&self, len: usize) -> String {
        self.pick(ALNUM, len)
    }

    /// `len` characters of `[A-Za-z0-9_-]`, the alphabet of opaque tokens.
    pub fn token(&self, len: usize) -> String {
        self.pick(TOKEN, len)
    }

    /// `len` lower-case hex digits.
    pub fn hex(&self, len: usize) -> String {
        self.pick(HEX, len)
    }

    /// `len` random bytes (salts).
    pub fn bytes(&self, len: usize) -> Vec<u8> {
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        (0..len).map(|_| rng.random::<u8>()).collect()
    }

    /// A random `u64`.
    pub fn next_u64(&self) -> u64 {
        self.rng.lock().unwrap_or_else(PoisonError::into_inner).next_u64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_ids_repeat() {
        let a = Ids::seeded(7);
        let b = Ids::seeded(7);
        assert_eq!(a.alnum(17), b.alnum(17));
        assert_eq!(a.token(42).len(), 42);
        assert!(b.hex(24).chars().all(|c| c.is_ascii_hexdigit()));
    }
}
