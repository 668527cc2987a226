//! Passwords as the mock Gigya stores them (password-hashes.md §1), on top of
//! [`crate::hashes::gigya`]: reading the import forms of `accounts.importFullAccount` and of seeds,
//! hashing plain passwords with the site policy, and verifying at login.
//!
//! Import forms accepted: `{hashedPassword, hashSettings}` (the documented import shape),
//! `{hash, hashSettings}` (the export shape, so an export can be re-imported), and
//! `{compoundHashedPassword}` (alias `compoundHash`). The algorithm must be one Gigya documents;
//! `hashedPassword` must be Base64; nothing is computed at import (a bcrypt import of a million
//! accounts must stay fast), so an algorithm the hash library cannot verify is only discovered at
//! login, which then answers 500001 with the reason.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::error::GigyaError;
use super::query::iso;
use super::settings::SiteHash;
use crate::hashes::HashError;
use crate::hashes::gigya::{self as hashes, GigyaPassword};
use crate::kit::ids::Ids;

/// `hashSettings.algorithm` values Gigya documents for imports (and the hash library's aliases).
const ALGORITHMS: &[&str] = &[
    "md5",
    "sha1",
    "sha1_hashbytes",
    "sha256",
    "sha512",
    "sha512hexa",
    "md5_double_salted",
    "md5_crypt",
    "bcrypt",
    "pbkdf2",
    "pbkdf2_sha1",
    "pbkdf2_sha256",
    "pbkdf2_sha512",
    "drupal",
    "symphony2",
    "sap_abap",
    "custom",
];

const SETTINGS_FIELDS: &[&str] = &["algorithm", "rounds", "salt", "format", "binaryFormat", "url"];

/// Reads an import-shaped password object into the stored shape (without `created`).
pub(crate) fn from_import(field: &str, value: &Map<String, Value>) -> Result<Map<String, Value>, GigyaError> {
    let text = |name: &str| -> Result<Option<String>, GigyaError> {
        match value.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(GigyaError::invalid(&format!("{field}.{name}"), "expected a string")),
        }
    };
    for key in value.keys() {
        let known = [
            "hashedPassword",
            "hash",
            "hashSettings",
            "compoundHashedPassword",
            "compoundHash",
            "secretQuestionAndAnswer",
            "created",
        ];
        if !known.contains(&key.as_str()) {
            return Err(GigyaError::invalid(
                &format!("{field}.{key}"),
                "unknown password member",
            ));
        }
    }
    let compound = match text("compoundHashedPassword")? {
        Some(c) => Some(c),
        None => text("compoundHash")?,
    };
    let hashed = match text("hashedPassword")? {
        Some(h) => Some(h),
        None => text("hash")?,
    };
    let mut out = Map::new();
    match (compound, hashed) {
        (Some(_), Some(_)) => Err(GigyaError::invalid(
            field,
            "give either compoundHashedPassword or hashedPassword with hashSettings, not both",
        )),
        (Some(compound), None) => {
            if !(compound.starts_with('$') || compound.starts_with("U$")) {
                return Err(GigyaError::invalid(
                    &format!("{field}.compoundHashedPassword"),
                    "expected a crypt-style string such as $2a$10$...",
                ));
            }
            out.insert("compoundHashedPassword".into(), compound.into());
            Ok(out)
        }
        (None, Some(hash)) => {
            use base64::Engine;
            if base64::engine::general_purpose::STANDARD.decode(hash.trim()).is_err() {
                return Err(GigyaError::invalid(
                    &format!("{field}.hashedPassword"),
                    "expected the Base64 of the raw digest",
                ));
            }
            let Some(Value::Object(settings)) = value.get("hashSettings") else {
                return Err(GigyaError::missing(&format!("{field}.hashSettings")));
            };
            let settings = read_settings(field, settings)?;
            out.insert("hash".into(), hash.into());
            out.insert("hashSettings".into(), Value::Object(settings));
            Ok(out)
        }
        (None, None) => Err(GigyaError::missing(&format!("{field}.hashedPassword"))),
    }
}

fn read_settings(field: &str, settings: &Map<String, Value>) -> Result<Map<String, Value>, GigyaError> {
    let name = |key: &str| format!("{field}.hashSettings.{key}");
    let mut out = Map::new();
    for (key, value) in settings {
        if !SETTINGS_FIELDS.contains(&key.as_str()) {
            return Err(GigyaError::invalid(&name(key), "unknown hashSettings member"));
        }
        match (key.as_str(), value) {
            (_, Value::Null) => {}
            ("rounds", Value::Number(n)) if n.as_u64().is_some_and(|r| r <= u64::from(u32::MAX)) => {
                out.insert(key.clone(), value.clone());
            }
            ("rounds", Value::String(s)) if s.parse::<u32>().is_ok() => {
                out.insert(key.clone(), s.parse::<u32>().unwrap_or(1).into());
            }
            ("rounds", _) => return Err(GigyaError::invalid(&name("rounds"), "expected a whole number")),
            (_, Value::String(s)) => {
                if !s.is_empty() {
                    out.insert(key.clone(), value.clone());
                }
            }
            _ => return Err(GigyaError::invalid(&name(key), "expected a string")),
        }
    }
    let algorithm = out.get("algorithm").and_then(Value::as_str).unwrap_or_default();
    if algorithm.is_empty() {
        return Err(GigyaError::missing(&name("algorithm")));
    }
    if !ALGORITHMS.contains(&algorithm.to_ascii_lowercase().as_str()) {
        return Err(GigyaError::invalid(
            &name("algorithm"),
            format!("'{algorithm}' is not an algorithm Gigya imports"),
        ));
    }
    Ok(out)
}

/// The stored password (the `password` member, `created` included) as the hash library reads it.
fn stored(password: &Map<String, Value>) -> Result<GigyaPassword, HashError> {
    let mut shape = password.clone();
    shape.remove("created");
    serde_json::from_value(Value::Object(shape)).map_err(|e| HashError::Malformed(e.to_string()))
}

/// A fresh salt of the shape `algorithm` takes: 8 characters of `[A-Za-z0-9]` for the crypt
/// schemes, 16 characters of text for symphony2, 16 random bytes otherwise.
pub(crate) fn new_salt(algorithm: &str, ids: &Ids) -> Vec<u8> {
    match algorithm.to_ascii_lowercase().as_str() {
        "md5_crypt" | "drupal" => ids.alnum(8).into_bytes(),
        "symphony2" => ids.alnum(16).into_bytes(),
        _ => ids.bytes(16),
    }
}

/// Whether `plain` is the account's password.
pub(crate) fn verify(password: &Map<String, Value>, plain: &str) -> Result<bool, HashError> {
    hashes::verify(&stored(password)?, plain)
}

/// What the site stores for `plain` (policy `site`, fresh `salt`), `created` set to `now`.
pub(crate) fn site_hash(
    site: &SiteHash,
    plain: &str,
    salt: &[u8],
    now: DateTime<Utc>,
) -> Result<Map<String, Value>, HashError> {
    let hashed = hashes::hash(&site.algorithm, plain, salt, site.rounds)?;
    let Ok(Value::Object(mut out)) = serde_json::to_value(hashed) else {
        return Err(HashError::Malformed("the hash library returned no object".into()));
    };
    out.insert("created".into(), iso(now).into());
    Ok(out)
}

/// Whether a stored password is already in the site's own form (no re-hash needed after login).
pub(crate) fn is_site_form(password: &Map<String, Value>, site: &SiteHash) -> bool {
    let Some(Value::Object(settings)) = password.get("hashSettings") else {
        return false;
    };
    let algorithm = settings.get("algorithm").and_then(Value::as_str).unwrap_or_default();
    let rounds = settings.get("rounds").and_then(Value::as_u64).unwrap_or(1);
    algorithm.eq_ignore_ascii_case(&site.algorithm)
        && rounds == u64::from(site.rounds)
        && !settings.contains_key("format")
        && !settings.contains_key("binaryFormat")
        && password.contains_key("hash")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn import_forms_become_the_stored_shape() {
        let stored = from_import(
            "password",
            &obj(json!({"hashedPassword": "W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "hashSettings": {"algorithm": "sha1"}})),
        )
        .expect("valid");
        assert_eq!(
            Value::Object(stored.clone()),
            json!({"hash": "W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "hashSettings": {"algorithm": "sha1"}})
        );
        assert_eq!(verify(&stored, "password"), Ok(true));
        assert_eq!(verify(&stored, "Password"), Ok(false));
        let compound = from_import("password", &obj(json!({"compoundHash": "$2a$04$abc"}))).expect("valid");
        assert_eq!(Value::Object(compound), json!({"compoundHashedPassword": "$2a$04$abc"}));
    }

    #[test]
    fn bad_imports_name_the_field() {
        let err = |v: Value| from_import("password", &obj(v)).expect_err("invalid").details();
        assert!(err(json!({"hashedPassword": "AA==", "hashSettings": {"algorithm": "rot13"}})).contains("rot13"));
        assert!(err(json!({"hashedPassword": "%%%", "hashSettings": {"algorithm": "sha1"}})).contains("Base64"));
        assert!(err(json!({"hashedPassword": "AA=="})).contains("hashSettings"));
        assert!(err(json!({"compoundHashedPassword": "plain"})).contains("crypt-style"));
        assert!(
            err(json!({"hashedPassword": "AA==", "hashSettings": {"algorithm": "sha1", "rounds": "x"}}))
                .contains("rounds")
        );
    }

    #[test]
    fn site_hash_round_trips() {
        let site = SiteHash {
            algorithm: "pbkdf2".into(),
            rounds: 10,
        };
        let stored = site_hash(&site, "Hunter2!", b"0123456789abcdef", Utc::now()).expect("hashes");
        assert!(is_site_form(&stored, &site));
        assert_eq!(verify(&stored, "Hunter2!"), Ok(true));
        assert_eq!(verify(&stored, "hunter2!"), Ok(false));
    }
}
