//! Password hashes: verifying and producing every algorithm the mocked services store or import,
//! following `shared/reference/password-hashes.md` (definitions and test vectors), `auth0.md` §4.3,
//! `gigya.md` §7 and `stormpath.md` §9.3.
//!
//! Layout:
//! - [`gigya`]: what Gigya (SAP CDC) stores — `{hash, hashSettings}` or a compound MCF string —
//!   used by the mock Gigya's `accounts.login` and to seed it from plain passwords;
//! - [`stormpath`]: Stormpath's MCF strings (`$stormpath1$`, `$stormpath2$`, bcrypt), used by the
//!   mock Stormpath's login attempts and its export;
//! - [`auth0`]: Auth0's bulk-import `custom_password_hash`, checked at import and verified at the
//!   first login by the mock Auth0;
//! - private helpers shared by the three: `digest.rs` (MD4 … Whirlpool, HMAC, PBKDF2 by name),
//!   `encoding.rs` (Base64, hex, Node's `Buffer` transcodings), `crypt.rs` (bcrypt incl. the
//!   `$2x$` bug, MD5-crypt, Drupal/phpass) and `phc.rs` (PHC strings).
//!
//! Every function returns `Ok(false)` for a wrong password, [`HashError::Malformed`] for a
//! stored value that cannot be read, and [`HashError::Unsupported`] for an algorithm whose
//! definition is unconfirmed (so a mock never guesses) or that a limit of the mock refuses.
//! Nothing here panics on bad input. Which definitions are documented and which inferred is said at
//! the top of each module.
//!
//! ```
//! use mocks::hashes::{auth0, gigya, stormpath};
//! let stored = gigya::hash("pbkdf2", "Passw0rd!", b"0123456789abcdef", 1000).expect("known algorithm");
//! assert_eq!(gigya::verify(&stored, "Passw0rd!"), Ok(true));
//! let mcf = stormpath::hash_stormpath2("SHA-256", 1, b"salt", "Passw0rd!").expect("known algorithm");
//! assert_eq!(stormpath::verify(&mcf, "nope"), Ok(false));
//! let spec = auth0::make("sha256", "Passw0rd!", b"salt").expect("known algorithm");
//! assert_eq!(auth0::verify(&spec, "Passw0rd!"), Ok(true));
//! ```

pub mod auth0;
mod crypt;
mod digest;
pub(crate) mod encoding;
pub mod gigya;
mod phc;
pub mod stormpath;

/// Why a stored hash could not be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// The algorithm (or one of its options) is not implemented: its definition is unconfirmed,
    /// the service refuses it, or its cost is above what the mock will spend.
    #[error("unsupported password hash: {0}")]
    Unsupported(String),
    /// The stored value cannot be parsed or decoded.
    #[error("malformed password hash: {0}")]
    Malformed(String),
    /// The verification was given up before it finished: its caller's stop condition (a client
    /// that went away) came true.
    #[error("the password hash verification was stopped")]
    Stopped,
}

pub(crate) fn malformed(reason: impl Into<String>) -> HashError {
    HashError::Malformed(reason.into())
}

pub(crate) fn unsupported(reason: impl Into<String>) -> HashError {
    HashError::Unsupported(reason.into())
}

#[cfg(test)]
mod tests {
    //! Fuzz-ish robustness: structured prefixes with random tails through every entry point. No
    //! digits in the random part, so no random string asks for a large cost.

    use super::auth0::{CustomPasswordHash, HashValue, HmacKey, PasswordEncoding, Salt};
    use super::gigya::{GigyaPassword, HashSettings};
    use super::{auth0, gigya, stormpath};

    const PREFIXES: &[&str] = &[
        "",
        "$",
        "$2b$04$",
        "$2x$04$",
        "$2$04$",
        "$1$",
        "$S$",
        "$P$9",
        "U$S$C",
        "$stormpath1$",
        "$stormpath2$MD5$1$",
        "$stormpath2$SHA-1$2$",
        "$pbkdf2-sha1$i=1,l=4$",
        "$pbkdf2-RSA-MD5$",
        "$argon2id$v=19$m=8,t=1,p=1$",
        "$argon2i$m=8,t=1,p=1$c2FsdHNhbHQ$",
        "{SSHA}",
        "{MD5}",
        "$0x",
        "$salt:",
        "$password:",
        "$password$salt",
    ];
    const ALPHABET: &[char] = &[
        '$', '=', '{', '}', ',', ':', '.', '/', '+', '-', '_', 'A', 'a', 'Z', 'x', 'é', '€', '\0', ' ',
    ];

    struct Noise(u64);

    impl Noise {
        fn next(&mut self) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            usize::try_from(self.0 % 1024).unwrap_or_default()
        }

        fn text(&mut self) -> String {
            let mut text = String::from(PREFIXES[self.next() % PREFIXES.len()]);
            for _ in 0..self.next() % 40 {
                text.push(ALPHABET[self.next() % ALPHABET.len()]);
            }
            text
        }

        fn pick<'a>(&mut self, options: &[&'a str]) -> Option<&'a str> {
            let index = self.next() % (options.len() + 1);
            options.get(index).copied()
        }
    }

    #[test]
    fn absurd_work_factors_are_refused_at_once_by_every_verifier() {
        use super::HashError;
        let started = std::time::Instant::now();
        let unsupported = |result: Result<bool, HashError>| matches!(result, Err(HashError::Unsupported(_)));
        assert!(unsupported(stormpath::verify(
            "$stormpath2$SHA-256$4000000000$$AAAA",
            "x"
        )));
        assert!(unsupported(stormpath::verify(
            "$2b$31$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K",
            "x"
        )));
        for (algorithm, rounds) in [("pbkdf2", u32::MAX), ("sha1", 2_000_000_000), ("symphony2", 20_000_000)] {
            let stored = GigyaPassword {
                hash: Some("AAAA".into()),
                hash_settings: Some(HashSettings {
                    algorithm: algorithm.into(),
                    rounds: Some(rounds),
                    salt: Some("c2FsdA==".into()),
                    format: None,
                    binary_format: None,
                    url: None,
                }),
                compound_hashed_password: None,
            };
            assert!(unsupported(gigya::verify(&stored, "x")), "{algorithm}");
        }
        for compound in [
            "$2a$31$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K",
            "$S$SabcdefghAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            let stored = GigyaPassword {
                hash: None,
                hash_settings: None,
                compound_hashed_password: Some(compound.into()),
            };
            assert!(unsupported(gigya::verify(&stored, "x")), "{compound}");
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn random_inputs_never_panic() {
        let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
        let gigya_algorithms = [
            "md5",
            "sha1",
            "sha512",
            "sha1_hashbytes",
            "pbkdf2",
            "bcrypt",
            "symphony2",
            "drupal",
        ];
        let auth0_algorithms = ["argon2", "bcrypt", "hmac", "ldap", "md4", "sha256", "pbkdf2", "scrypt"];
        let encodings = ["utf8", "hex", "base64", "latin1", "ucs2"];
        for _ in 0..3000 {
            let _ = stormpath::verify(&noise.text(), &noise.text());
            let stored = GigyaPassword {
                hash: Some(noise.text()),
                hash_settings: Some(HashSettings {
                    algorithm: noise.pick(&gigya_algorithms).unwrap_or_default().to_owned(),
                    rounds: Some(u32::try_from(noise.next() % 3).unwrap_or_default()),
                    salt: Some(noise.text()),
                    format: noise.pick(&["$password", "$salt$password"]).map(str::to_owned),
                    binary_format: noise.pick(&[]).map(str::to_owned).or_else(|| Some(noise.text())),
                    url: None,
                }),
                compound_hashed_password: noise.pick(&[]).map(str::to_owned),
            };
            let _ = gigya::verify(&stored, &noise.text());
            let compound = GigyaPassword {
                hash: None,
                hash_settings: None,
                compound_hashed_password: Some(noise.text()),
            };
            let _ = gigya::verify(&compound, &noise.text());
            let algorithm = noise.pick(&gigya_algorithms).unwrap_or("md5");
            let salt = noise.text();
            let _ = gigya::hash(algorithm, &noise.text(), salt.as_bytes(), 16);
            let spec = CustomPasswordHash {
                algorithm: noise.pick(&auth0_algorithms).unwrap_or("md5").to_owned(),
                hash: HashValue {
                    value: noise.text(),
                    encoding: noise.pick(&encodings).map(str::to_owned),
                    digest: noise.pick(&["sha1", "whirlpool"]).map(str::to_owned),
                    key: Some(HmacKey {
                        value: noise.text(),
                        encoding: noise.pick(&encodings).map(str::to_owned),
                    }),
                },
                salt: noise.pick(&["x"]).map(|_| Salt {
                    value: noise.text(),
                    encoding: noise.pick(&encodings).map(str::to_owned),
                    position: noise.pick(&["prefix", "suffix", "middle"]).map(str::to_owned),
                }),
                password: Some(PasswordEncoding {
                    encoding: noise.pick(&encodings).map(str::to_owned),
                }),
                keylen: Some(u32::try_from(noise.next() % 40).unwrap_or_default()),
                cost: Some(1 << (noise.next() % 8)),
                block_size: Some(u32::try_from(noise.next() % 3).unwrap_or_default()),
                parallelization: Some(1),
            };
            let _ = auth0::check(&spec);
            let _ = auth0::verify(&spec, &noise.text());
        }
    }
}
