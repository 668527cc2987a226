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

/// Refuses, as an invalid parameter value (400006), an imported password that the hash library
/// finds malformed: a value that cannot be decoded or settings that cannot be computed together
/// (`md5_crypt` given as `hash`, bcrypt `rounds` that are not a power of two, a salt that is not
/// Base64, a `format` without `$password`, a truncated bcrypt string…). Without this check the
/// import succeeded and every later `accounts.login` of the account answered 500001 — a 5xx that
/// Gigya, which validates the parameters it is given, does not produce for bad input.
///
/// The check verifies a copy at the cheapest work factor (one round, bcrypt cost 4, Drupal 2^7),
/// so it costs microseconds whatever the rounds imported; algorithms whose definition is
/// unconfirmed ([`HashError::Unsupported`]) are still accepted and found out at login, as the
/// module documentation says.
pub(crate) fn check_computable(field: &str, password: &Map<String, Value>) -> Result<(), GigyaError> {
    let mut cheap = password.clone();
    for key in ["compoundHashedPassword", "hash"] {
        if let Some(Value::String(text)) = cheap.get_mut(key) {
            *text = cheapest_compound(text);
        }
    }
    if let Some(Value::Object(settings)) = cheap.get_mut("hashSettings") {
        let bcrypt = settings
            .get("algorithm")
            .and_then(Value::as_str)
            .is_some_and(|a| a.eq_ignore_ascii_case("bcrypt"));
        match settings.get("rounds").and_then(Value::as_u64) {
            Some(r) if bcrypt && r.is_power_of_two() && (16..=1 << 31).contains(&r) => {
                settings.insert("rounds".into(), 16.into());
            }
            Some(_) if !bcrypt => {
                settings.insert("rounds".into(), 1.into());
            }
            _ => {}
        }
    }
    match verify(&cheap, "") {
        Err(HashError::Malformed(reason)) => Err(GigyaError::invalid(field, reason)),
        _ => Ok(()),
    }
}

/// A Modular Crypt Format string with its work factor lowered to the minimum (bcrypt `$2?$04$`,
/// Drupal/phpass count `5` = 2^7); anything else as it is.
fn cheapest_compound(mcf: &str) -> String {
    const ITOA64: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let b = mcf.as_bytes();
    let cost_ok = |d: &[u8]| {
        d.iter().all(u8::is_ascii_digit)
            && std::str::from_utf8(d)
                .ok()
                .and_then(|t| t.parse::<u32>().ok())
                .is_some_and(|c| (4..=31).contains(&c))
    };
    if b.len() > 6 && b.starts_with(b"$2") && b[3] == b'$' && b[6] == b'$' && cost_ok(&b[4..6]) {
        return format!("{}04{}", &mcf[..4], &mcf[6..]);
    }
    let offset = usize::from(b.first() == Some(&b'U'));
    let drupal = b
        .get(offset..offset + 3)
        .is_some_and(|p| matches!(p, b"$S$" | b"$H$" | b"$P$"));
    let count = b.get(offset + 3).and_then(|c| ITOA64.iter().position(|x| x == c));
    if drupal && count.is_some_and(|log2| (7..=30).contains(&log2)) {
        let at = offset + 3;
        return format!("{}5{}", &mcf[..at], &mcf[at + 1..]);
    }
    mcf.to_owned()
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
    fn malformed_imports_are_refused_before_any_login() {
        let check = |v: Value| check_computable("password", &from_import("password", &obj(v)).expect("import shape"));
        for bad in [
            json!({"hashedPassword": "AAAA", "hashSettings": {"algorithm": "md5_crypt"}}),
            json!({"hashedPassword": "AAAA", "hashSettings": {"algorithm": "bcrypt", "rounds": 3}}),
            json!({"hashedPassword": "AAAA", "hashSettings": {"algorithm": "pbkdf2", "salt": "!!"}}),
            json!({"hashedPassword": "AAAA", "hashSettings": {"algorithm": "sha1", "format": "$nonsense"}}),
            json!({"hashedPassword": "AAAA", "hashSettings": {"algorithm": "sha1", "binaryFormat": "$password:rot13"}}),
            json!({"hashedPassword": "AAAA", "hashSettings": {"algorithm": "symphony2", "salt": "{x}"}}),
            json!({"compoundHashedPassword": "$2a$99$abc"}),
            json!({"compoundHashedPassword": "U$zzz"}),
        ] {
            let err = check(bad.clone()).expect_err(&bad.to_string());
            assert_eq!(err.code(), 400_006, "{bad}");
        }
        // Well-formed values pass at any work factor without being computed at it.
        let bcrypt_31 = bcrypt::hash("pw", 4).expect("bcrypt").replacen("$04$", "$31$", 1);
        for good in [
            json!({"hashedPassword": "W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "hashSettings": {"algorithm": "sha1"}}),
            json!({"hashedPassword": "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "hashSettings": {"algorithm": "pbkdf2", "rounds": 4_000_000_000u32, "salt": "c2FsdA=="}}),
            json!({"compoundHashedPassword": bcrypt_31}),
            json!({"compoundHashedPassword": "$S$Ezzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"}),
            json!({"compoundHashedPassword": "$1$saltsalt$abcdefghijklmnopqrstuv"}),
            // Unconfirmed algorithms are still accepted (found out at login).
            json!({"hashedPassword": "AAAA", "hashSettings": {"algorithm": "sap_abap"}}),
        ] {
            let started = std::time::Instant::now();
            check(good.clone()).unwrap_or_else(|e| panic!("{good}: {e:?}"));
            assert!(
                started.elapsed() < std::time::Duration::from_secs(2),
                "{good} was computed at its cost"
            );
        }
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
