//! Password hashes kept in the Auth0 store, and their verification.
//!
//! Auth0 hashes the passwords it stores with bcrypt (users migrated by a login script get the
//! password they typed hashed this way). The cost is a tenant setting here: Auth0's is 10, and
//! scenarios lower it so that a catalogue of logins runs in seconds. Imported custom hashes
//! (`custom_password_hash`) are verified on first login and then replaced with bcrypt. Hashing
//! and verifying can be stopped between rounds ([`PasswordHash::verify_until`]): a login whose
//! client went away stops its hash work.

use serde::Serialize;

/// Auth0's bcrypt cost.
pub const AUTH0_BCRYPT_COST: u32 = 10;

/// A stored password hash.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PasswordHash {
    /// A bcrypt hash (`$2a$`, `$2b$` or `$2y$`).
    Bcrypt { hash: String },
    /// A `custom_password_hash` from a bulk import, verified at the user's first login and then
    /// replaced by bcrypt.
    Custom { spec: serde_json::Value },
    /// Imported without any hash: Auth0 stores a random one, so no password verifies until the
    /// user resets it.
    Unusable,
}

impl PasswordHash {
    /// Hashes `password` with bcrypt at `cost`, salted with `salt`.
    pub fn bcrypt(password: &str, cost: u32, salt: [u8; 16]) -> Result<Self, String> {
        Self::bcrypt_until(password, cost, salt, &|| false)
    }

    /// [`PasswordHash::bcrypt`], given up (`Err`) as soon as `stop` returns true (polled
    /// between rounds): a hash nobody waits for any more is not finished.
    pub fn bcrypt_until(password: &str, cost: u32, salt: [u8; 16], stop: &dyn Fn() -> bool) -> Result<Self, String> {
        crate::hashes::auth0::bcrypt_b_until(password, cost.clamp(4, 31), salt, stop)
            .map(|hash| PasswordHash::Bcrypt { hash })
            .map_err(|e| e.to_string())
    }

    /// Whether `password` matches. A malformed stored hash never matches.
    pub fn verify(&self, password: &str) -> bool {
        self.verify_until(password, &|| false).unwrap_or(false)
    }

    /// [`PasswordHash::verify`], given up (`None`) as soon as `stop` returns true (polled
    /// between the rounds of bcrypt and PBKDF2; the other algorithms are bounded by the import
    /// limits, `import_schema::hash_limits`).
    pub fn verify_until(&self, password: &str, stop: &dyn Fn() -> bool) -> Option<bool> {
        match self {
            PasswordHash::Bcrypt { hash } => match crate::hashes::auth0::bcrypt_verify_until(hash, password, stop) {
                Err(crate::hashes::HashError::Stopped) => None,
                result => Some(result.unwrap_or(false)),
            },
            PasswordHash::Custom { spec } => custom_verify(spec, password, stop),
            PasswordHash::Unusable => Some(false),
        }
    }

    /// Whether this is an imported custom hash (replaced by bcrypt at the first good login).
    pub fn is_custom(&self) -> bool {
        matches!(self, PasswordHash::Custom { .. })
    }
}

/// Verifies an imported `custom_password_hash` with the algorithm and parameters it names
/// (`None`: stopped).
fn custom_verify(spec: &serde_json::Value, password: &str, stop: &dyn Fn() -> bool) -> Option<bool> {
    let Ok(spec) = serde_json::from_value::<crate::hashes::auth0::CustomPasswordHash>(spec.clone()) else {
        return Some(false);
    };
    match crate::hashes::auth0::verify_until(&spec, password, stop) {
        Err(crate::hashes::HashError::Stopped) => None,
        result => Some(result.unwrap_or(false)),
    }
}

/// A stop condition for a hash computed on a blocking thread for a request: set when the
/// request's future is dropped (its client went away), so the computation gives up instead of
/// burning a core for nobody.
#[derive(Debug, Default)]
pub(crate) struct StopOnDrop(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl StopOnDrop {
    /// The flag the computation polls.
    pub(crate) fn flag(&self) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
        self.0.clone()
    }
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_auth0s_documented_bcrypt_example() {
        let hash = PasswordHash::Bcrypt {
            hash: "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K".into(),
        };
        assert!(hash.verify("hello"));
        assert!(!hash.verify("Hello"));
    }

    #[test]
    fn hashes_round_trip() {
        let hash = PasswordHash::bcrypt("pässwörd", 4, [7; 16]).expect("hash");
        assert!(hash.verify("pässwörd"));
        assert!(!hash.verify("passwörd"));
    }
}
