//! Password hashes kept in the Auth0 store, and their verification.
//!
//! Auth0 hashes the passwords it stores with bcrypt (users migrated by a login script get the
//! password they typed hashed this way). The cost is a tenant setting here: Auth0's is 10, and
//! scenarios lower it so that a catalogue of logins runs in seconds. Imported custom hashes
//! (`custom_password_hash`) are verified on first login and then replaced with bcrypt.

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
        bcrypt::hash_with_salt(password, cost.clamp(4, 31), salt)
            .map(|parts| PasswordHash::Bcrypt {
                hash: parts.format_for_version(bcrypt::Version::TwoB),
            })
            .map_err(|e| e.to_string())
    }

    /// Whether `password` matches. A malformed stored hash never matches.
    pub fn verify(&self, password: &str) -> bool {
        match self {
            PasswordHash::Bcrypt { hash } => bcrypt::verify(password, hash).unwrap_or(false),
            PasswordHash::Custom { spec } => custom_verify(spec, password),
            PasswordHash::Unusable => false,
        }
    }

    /// Whether this is an imported custom hash (replaced by bcrypt at the first good login).
    pub fn is_custom(&self) -> bool {
        matches!(self, PasswordHash::Custom { .. })
    }
}

/// Verifies an imported `custom_password_hash` with the algorithm and parameters it names.
fn custom_verify(spec: &serde_json::Value, password: &str) -> bool {
    serde_json::from_value::<crate::hashes::auth0::CustomPasswordHash>(spec.clone())
        .ok()
        .and_then(|spec| crate::hashes::auth0::verify(&spec, password).ok())
        .unwrap_or(false)
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
