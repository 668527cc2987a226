//! Passwords as Stormpath kept them: a Modular Crypt Format string per account — bcrypt
//! (`$2a$`, also `$2b$`/`$2x$`/`$2y$` when imported) or `$stormpath2$ALG$ITER$SALT$HASH` for
//! legacy hashes imported and not yet re-hashed (password-hashes.md §5).
//!
//! A seeded plain-text password is stored in the format the settings name; a seeded
//! `password_hash` is stored as given (after checking that it can be verified). The algorithms
//! themselves live in [`crate::hashes::stormpath`].

use super::settings::{PasswordFormat, StormpathSettings};
use crate::hashes::stormpath as hashes;
use crate::kit::ids::Ids;

/// Hashes a plain-text password the way the settings say.
pub(crate) fn hash(settings: &StormpathSettings, ids: &Ids, password: &str) -> Result<String, String> {
    let salt = ids.bytes(16);
    match settings.password_format {
        PasswordFormat::Bcrypt => {
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&salt);
            bcrypt::hash_with_salt(password, settings.bcrypt_cost, bytes)
                .map(|parts| parts.format_for_version(bcrypt::Version::TwoA))
                .map_err(|e| format!("cannot bcrypt a password: {e}"))
        }
        PasswordFormat::Stormpath2 => hashes::hash_stormpath2(
            &settings.stormpath2_algorithm,
            settings.stormpath2_iterations,
            &salt,
            password,
        )
        .map_err(|e| format!("cannot make a $stormpath2$ hash: {e}")),
    }
}

/// Whether `password` matches the stored hash; a hash that cannot be read never matches.
pub(crate) fn verify(stored: &str, password: &str) -> bool {
    hashes::verify(stored, password).unwrap_or(false)
}

/// Refuses a seeded hash the login could never verify.
pub(crate) fn check(stored: &str) -> Result<(), String> {
    hashes::verify(stored, "").map(|_| ()).map_err(|e| e.to_string())
}
