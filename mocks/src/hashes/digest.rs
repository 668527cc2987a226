//! The message digests the three services name (MD4 … SHA-512, RIPEMD-160, Whirlpool), with HMAC and
//! PBKDF2 over each, chosen at run time by name. Each service has its own vocabulary for the names
//! (Node/OpenSSL for Auth0, Java for Stormpath, lower-case words for Gigya); the look-ups live
//! here so the aliases have one home. Nothing here is inferred: these are the standard algorithms.

use hmac::{EagerHash, Hmac, KeyInit, Mac};
use sha2::Digest;

use super::{HashError, malformed, unsupported};

/// A digest algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Alg {
    Md4,
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Ripemd160,
    Whirlpool,
}

impl Alg {
    /// A digest as Node's `crypto` names it (OpenSSL names, case-insensitive), including the
    /// `RSA-…`, `…WithRSAEncryption` and `ssl3-…` aliases Auth0 lists for PBKDF2. MDC-2 is a
    /// known name without an implementation here, so it is `Unsupported`; anything else is
    /// `Malformed`.
    pub(crate) fn from_node_name(name: &str) -> Result<Self, HashError> {
        let alg = match name.to_ascii_lowercase().as_str() {
            "md4" | "rsa-md4" | "md4withrsaencryption" => Alg::Md4,
            "md5" | "rsa-md5" | "md5withrsaencryption" | "ssl3-md5" => Alg::Md5,
            "sha1" | "rsa-sha1" | "rsa-sha1-2" | "sha1withrsaencryption" | "ssl3-sha1" => Alg::Sha1,
            "sha224" | "rsa-sha224" | "sha224withrsaencryption" => Alg::Sha224,
            "sha256" | "rsa-sha256" | "sha256withrsaencryption" => Alg::Sha256,
            "sha384" | "rsa-sha384" | "sha384withrsaencryption" => Alg::Sha384,
            "sha512" | "rsa-sha512" | "sha512withrsaencryption" => Alg::Sha512,
            "ripemd" | "ripemd160" | "rmd160" | "rsa-ripemd160" | "ripemd160withrsa" => Alg::Ripemd160,
            "whirlpool" => Alg::Whirlpool,
            "mdc2" | "rsa-mdc2" | "mdc2withrsa" => {
                return Err(unsupported(format!("digest {name} (MDC-2) is not implemented")));
            }
            _ => return Err(malformed(format!("unknown digest {name:?}"))),
        };
        Ok(alg)
    }

    /// Output size in bytes.
    pub(crate) fn output_len(self) -> usize {
        match self {
            Alg::Md4 | Alg::Md5 => 16,
            Alg::Sha1 | Alg::Ripemd160 => 20,
            Alg::Sha224 => 28,
            Alg::Sha256 => 32,
            Alg::Sha384 => 48,
            Alg::Sha512 | Alg::Whirlpool => 64,
        }
    }

    /// The digest of the concatenation of `parts`.
    pub(crate) fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut hasher = D::new();
            for part in parts {
                hasher.update(part);
            }
            hasher.finalize().to_vec()
        }
        match self {
            Alg::Md4 => run::<md4::Md4>(parts),
            Alg::Md5 => run::<md5::Md5>(parts),
            Alg::Sha1 => run::<sha1::Sha1>(parts),
            Alg::Sha224 => run::<sha2::Sha224>(parts),
            Alg::Sha256 => run::<sha2::Sha256>(parts),
            Alg::Sha384 => run::<sha2::Sha384>(parts),
            Alg::Sha512 => run::<sha2::Sha512>(parts),
            Alg::Ripemd160 => run::<ripemd::Ripemd160>(parts),
            Alg::Whirlpool => run::<whirlpool::Whirlpool>(parts),
        }
    }

    /// HMAC of the concatenation of `parts` under `key` (any key length, as RFC 2104).
    pub(crate) fn hmac(self, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: EagerHash>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
            // HMAC takes keys of any length; the error arm cannot happen but must not panic.
            let Ok(mut mac) = <Hmac<D> as KeyInit>::new_from_slice(key) else {
                return Vec::new();
            };
            for part in parts {
                mac.update(part);
            }
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            Alg::Md4 => run::<md4::Md4>(key, parts),
            Alg::Md5 => run::<md5::Md5>(key, parts),
            Alg::Sha1 => run::<sha1::Sha1>(key, parts),
            Alg::Sha224 => run::<sha2::Sha224>(key, parts),
            Alg::Sha256 => run::<sha2::Sha256>(key, parts),
            Alg::Sha384 => run::<sha2::Sha384>(key, parts),
            Alg::Sha512 => run::<sha2::Sha512>(key, parts),
            Alg::Ripemd160 => run::<ripemd::Ripemd160>(key, parts),
            Alg::Whirlpool => run::<whirlpool::Whirlpool>(key, parts),
        }
    }

    /// PBKDF2-HMAC (RFC 8018) filling `out`; `rounds` must be at least 1.
    pub(crate) fn pbkdf2(self, password: &[u8], salt: &[u8], rounds: u32, out: &mut [u8]) {
        let _ = self.pbkdf2_until(password, salt, rounds, out, &|| false);
    }

    /// [`Alg::pbkdf2`], giving up (`false`) as soon as `stop` says so; polled every 4,096
    /// iterations, so a verification whose caller has gone stops within milliseconds.
    pub(crate) fn pbkdf2_until(
        self,
        password: &[u8],
        salt: &[u8],
        rounds: u32,
        out: &mut [u8],
        stop: &dyn Fn() -> bool,
    ) -> bool {
        fn run<D: EagerHash>(
            password: &[u8],
            salt: &[u8],
            rounds: u32,
            out: &mut [u8],
            stop: &dyn Fn() -> bool,
        ) -> bool {
            // HMAC takes keys of any length; the error arm cannot happen but must not panic.
            let Ok(prf) = <Hmac<D> as KeyInit>::new_from_slice(password) else {
                return false;
            };
            for (index, chunk) in out.chunks_mut(<D as Digest>::output_size()).enumerate() {
                let mut mac = prf.clone();
                mac.update(salt);
                mac.update(&u32::try_from(index + 1).unwrap_or(u32::MAX).to_be_bytes());
                let mut u = mac.finalize().into_bytes();
                let mut t = u.clone();
                for round in 1..rounds {
                    if round % 4096 == 0 && stop() {
                        return false;
                    }
                    let mut mac = prf.clone();
                    mac.update(&u);
                    u = mac.finalize().into_bytes();
                    for (t, u) in t.iter_mut().zip(u.iter()) {
                        *t ^= u;
                    }
                }
                chunk.copy_from_slice(&t[..chunk.len()]);
            }
            true
        }
        match self {
            Alg::Md4 => run::<md4::Md4>(password, salt, rounds, out, stop),
            Alg::Md5 => run::<md5::Md5>(password, salt, rounds, out, stop),
            Alg::Sha1 => run::<sha1::Sha1>(password, salt, rounds, out, stop),
            Alg::Sha224 => run::<sha2::Sha224>(password, salt, rounds, out, stop),
            Alg::Sha256 => run::<sha2::Sha256>(password, salt, rounds, out, stop),
            Alg::Sha384 => run::<sha2::Sha384>(password, salt, rounds, out, stop),
            Alg::Sha512 => run::<sha2::Sha512>(password, salt, rounds, out, stop),
            Alg::Ripemd160 => run::<ripemd::Ripemd160>(password, salt, rounds, out, stop),
            Alg::Whirlpool => run::<whirlpool::Whirlpool>(password, salt, rounds, out, stop),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hashes::encoding::hex_encode;

    fn hex_of(alg: Alg, data: &[u8]) -> String {
        hex_encode(&alg.digest(&[data]))
    }

    #[test]
    fn digests_match_published_abc_vectors() {
        // FIPS 180 / RFC 1320 / RIPEMD and ISO Whirlpool "abc" vectors (Node agrees).
        assert_eq!(hex_of(Alg::Md4, b"abc"), "a448017aaf21d8525fc10ae87aa6729d");
        assert_eq!(hex_of(Alg::Md5, b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(hex_of(Alg::Sha1, b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            hex_of(Alg::Sha224, b"abc"),
            "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"
        );
        assert_eq!(
            hex_of(Alg::Ripemd160, b"abc"),
            "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"
        );
        assert_eq!(
            hex_of(Alg::Whirlpool, b"abc"),
            "4e2448a4c6f486bb16b6562c73b4020bf3043e3a731bce721ae1b303d97e6d4c\
             7181eebdb6c57e277d0e34957114cbd6c797fc9d95d8b582d225292076d4eef5"
        );
        for alg in [
            Alg::Md4,
            Alg::Md5,
            Alg::Sha1,
            Alg::Sha224,
            Alg::Sha256,
            Alg::Sha384,
            Alg::Sha512,
            Alg::Ripemd160,
            Alg::Whirlpool,
        ] {
            assert_eq!(alg.digest(&[b"a", b"bc"]).len(), alg.output_len(), "{alg:?}");
            assert_eq!(alg.digest(&[b"a", b"bc"]), alg.digest(&[b"abc"]), "{alg:?}");
            assert_eq!(alg.hmac(b"k", &[b"abc"]).len(), alg.output_len(), "{alg:?}");
        }
    }

    #[test]
    fn node_names_and_aliases_resolve() {
        assert_eq!(Alg::from_node_name("RSA-SHA1-2"), Ok(Alg::Sha1));
        assert_eq!(Alg::from_node_name("sha512WithRSAEncryption"), Ok(Alg::Sha512));
        assert_eq!(Alg::from_node_name("rmd160"), Ok(Alg::Ripemd160));
        assert_eq!(Alg::from_node_name("ssl3-md5"), Ok(Alg::Md5));
        assert!(matches!(Alg::from_node_name("mdc2"), Err(HashError::Unsupported(_))));
        assert!(matches!(Alg::from_node_name("sha3-256"), Err(HashError::Malformed(_))));
    }

    #[test]
    fn pbkdf2_matches_rfc6070() {
        let mut out = [0u8; 20];
        Alg::Sha1.pbkdf2(b"password", b"salt", 2, &mut out);
        assert_eq!(hex_encode(&out), "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
        // RFC 6070: 4096 iterations, and a key longer than one block
        let mut out = [0u8; 25];
        Alg::Sha1.pbkdf2(
            b"passwordPASSWORDpassword",
            b"saltSALTsaltSALTsaltSALTsaltSALTsalt",
            4096,
            &mut out,
        );
        assert_eq!(hex_encode(&out), "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038");
        // the same as the pbkdf2 crate for the other digests
        for alg in [Alg::Md5, Alg::Sha256, Alg::Sha512, Alg::Whirlpool] {
            let (mut ours, mut theirs) = ([0u8; 70], [0u8; 70]);
            alg.pbkdf2(b"pw", b"salt", 1000, &mut ours);
            match alg {
                Alg::Md5 => pbkdf2::pbkdf2_hmac::<md5::Md5>(b"pw", b"salt", 1000, &mut theirs),
                Alg::Sha256 => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"pw", b"salt", 1000, &mut theirs),
                Alg::Sha512 => pbkdf2::pbkdf2_hmac::<sha2::Sha512>(b"pw", b"salt", 1000, &mut theirs),
                _ => pbkdf2::pbkdf2_hmac::<whirlpool::Whirlpool>(b"pw", b"salt", 1000, &mut theirs),
            }
            assert_eq!(ours, theirs, "{alg:?}");
        }
    }

    #[test]
    fn pbkdf2_stops_when_told() {
        let mut out = [0u8; 32];
        let polled = std::cell::Cell::new(0);
        let stop = || {
            polled.set(polled.get() + 1);
            polled.get() > 2
        };
        assert!(!Alg::Sha256.pbkdf2_until(b"pw", b"salt", 4_000_000_000, &mut out, &stop));
        assert_eq!(polled.get(), 3);
    }
}
