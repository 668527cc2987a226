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
mod encoding;
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
}

pub(crate) fn malformed(reason: impl Into<String>) -> HashError {
    HashError::Malformed(reason.into())
}

pub(crate) fn unsupported(reason: impl Into<String>) -> HashError {
    HashError::Unsupported(reason.into())
}
