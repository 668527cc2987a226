//! The Stormpath bulk path: the export Stormpath's console produced before its shutdown (one
//! JSON file per account under `{tenant}/accounts/`, with the stored password hash) turned into
//! Auth0 import users (stormpath.md §9.4) and imported through the import pipeline.
//!
//! Hashes, as password-hashes.md §5 and stormpath.md §9.3 map them:
//! - bcrypt `$2a$`/`$2b$` → `password_hash` at cost 10, `custom_password_hash` (algorithm
//!   `bcrypt`) at any other cost, as Auth0's job takes them (`transform::bcrypt_field`); `$2y$`
//!   is the same algorithm and is rewritten to `$2b$`; `$2x$`, the buggy variant, cannot be
//!   carried;
//! - `$stormpath2$ALG$1$salt$hash` with ALG MD5, SHA-1, SHA-256 or SHA-512 →
//!   `custom_password_hash` with the salt as a Base64 prefix;
//! - `$stormpath1$salt$hash` → `custom_password_hash` HMAC-SHA256 keyed with the salt;
//! - SHA-384, more than one iteration, or no password → imported without a hash, reset needed.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::EngineError;
use super::import::{Candidate, Importer};
use super::transform::bcrypt_field;

/// An exported account turned into an import user, or the reason it cannot be.
pub fn transform(account: &Value) -> Result<Candidate, String> {
    let id = account
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or("no id")?;
    let email = account
        .get("email")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or("no email (Auth0 requires one)")?;
    let mut user = Map::new();
    user.insert("user_id".into(), json!(id));
    user.insert("email".into(), json!(email));
    let verified = account.get("emailVerificationStatus").and_then(Value::as_str) == Some("VERIFIED")
        || (account.get("emailVerificationStatus").is_none()
            && account.get("status").and_then(Value::as_str) == Some("ENABLED"));
    user.insert("email_verified".into(), json!(verified));
    let text = |key: &str| {
        account
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    };
    if let Some(v) = text("givenName") {
        user.insert("given_name".into(), json!(v));
    }
    if let Some(v) = text("surname") {
        user.insert("family_name".into(), json!(v));
    }
    if let Some(v) = text("fullName") {
        user.insert("name".into(), json!(v));
    }
    if account.get("status").and_then(Value::as_str) == Some("DISABLED") {
        user.insert("blocked".into(), json!(true));
    }
    if let Some(Value::Object(custom)) = account.get("customData") {
        let data: Map<String, Value> = custom
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "href" | "createdAt" | "modifiedAt" | "id"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !data.is_empty() {
            user.insert("user_metadata".into(), Value::Object(data));
        }
    }
    let mut stormpath = Map::new();
    for key in ["username", "status", "createdAt", "modifiedAt"] {
        if let Some(v) = account.get(key) {
            stormpath.insert(key.into(), v.clone());
        }
    }
    user.insert("app_metadata".into(), json!({ "stormpath": stormpath }));
    let needs_reset = match account.get("password").and_then(Value::as_str) {
        None => Some("no password in the export".to_owned()),
        Some(hash) => match map_hash(hash) {
            Ok((key, value)) => {
                user.insert(key.into(), value);
                None
            }
            Err(reason) => Some(reason),
        },
    };
    Ok(Candidate {
        source_id: id.to_owned(),
        user: Value::Object(user),
        needs_reset,
    })
}

/// Maps a stored Stormpath hash to the Auth0 field that carries it.
pub fn map_hash(hash: &str) -> Result<(&'static str, Value), String> {
    if hash.starts_with("$2a$") || hash.starts_with("$2b$") {
        return Ok(bcrypt_field(hash));
    }
    if let Some(rest) = hash.strip_prefix("$2y$") {
        return Ok(bcrypt_field(&format!("$2b${rest}")));
    }
    if hash.starts_with("$2x$") {
        return Err("bcrypt $2x$ (the buggy variant) cannot be verified by Auth0".into());
    }
    let parts: Vec<&str> = hash.split('$').collect();
    match parts.as_slice() {
        ["", "stormpath2", algorithm, iterations, salt, value] => {
            let auth0 = match *algorithm {
                "MD5" => "md5",
                "SHA-1" => "sha1",
                "SHA-256" => "sha256",
                "SHA-512" => "sha512",
                other => return Err(format!("$stormpath2$ {other}: Auth0 has no such algorithm")),
            };
            if *iterations != "1" {
                return Err(format!(
                    "$stormpath2$ with {iterations} iterations: Auth0 has no iterated digests"
                ));
            }
            let mut spec = json!({ "algorithm": auth0, "hash": { "value": value, "encoding": "base64" } });
            if !salt.is_empty() {
                spec["salt"] = json!({ "value": salt, "encoding": "base64", "position": "prefix" });
            }
            Ok(("custom_password_hash", spec))
        }
        ["", "stormpath1", salt, value] => Ok((
            "custom_password_hash",
            json!({
                "algorithm": "hmac",
                "hash": { "value": value, "encoding": "base64", "digest": "sha256", "key": { "value": salt, "encoding": "base64" } },
            }),
        )),
        _ => Err(format!(
            "unknown hash format {}",
            hash.split('$').take(2).collect::<Vec<_>>().join("$")
        )),
    }
}

/// The account files of an export directory (`{tenant}/accounts/**.json`), sorted.
pub fn account_files(dir: &Path) -> Result<Vec<PathBuf>, EngineError> {
    let mut found = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let entries = std::fs::read_dir(&current).map_err(EngineError::io(&current))?;
        for entry in entries {
            let entry = entry.map_err(EngineError::io(&current))?;
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json")
                && path.components().any(|c| c.as_os_str() == "accounts")
            {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Reads every account file of an export directory through (each must be JSON): what a run
/// does before its first job. The number of accounts.
pub fn scan(dir: &Path) -> Result<u64, EngineError> {
    let files = account_files(dir)?;
    if files.is_empty() {
        return Err(no_accounts(dir));
    }
    for path in &files {
        let text = std::fs::read(path).map_err(EngineError::io(path))?;
        serde_json::from_slice::<serde::de::IgnoredAny>(&text).map_err(|e| EngineError::Export {
            path: path.clone(),
            reason: format!("not JSON: {e}"),
        })?;
    }
    Ok(files.len() as u64)
}

fn no_accounts(dir: &Path) -> EngineError {
    EngineError::Export {
        path: dir.to_path_buf(),
        reason: "no account files (expected <tenant>/accounts/…/*.json)".into(),
    }
}

/// Imports every account of an export directory.
pub async fn import_export(importer: &mut Importer<'_>, dir: &Path) -> Result<(), EngineError> {
    let files = account_files(dir)?;
    if files.is_empty() {
        return Err(no_accounts(dir));
    }
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(EngineError::io(&path))?;
        let account: Value = serde_json::from_str(&text).map_err(|e| EngineError::Export {
            path: path.clone(),
            reason: format!("not JSON: {e}"),
        })?;
        match transform(&account) {
            Ok(candidate) => importer.push(candidate).await?,
            Err(reason) => {
                let id = account.get("id").and_then(Value::as_str).unwrap_or("?").to_owned();
                let email = account.get("email").and_then(Value::as_str).map(str::to_owned);
                importer.skip(id, email, reason).await?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stormpath2_single_iteration_becomes_a_salted_digest() {
        // password-hashes.md §5: "123456".
        let (key, spec) =
            map_hash("$stormpath2$MD5$1$OWI3OTQwYjEwODEwOTdkNTcwZDY5NjQ2ZDNlNmZjNzM=$ULWTW74NXPyLYj3VfYHWrg==")
                .expect("mapped");
        assert_eq!(key, "custom_password_hash");
        assert_eq!(
            spec,
            json!({"algorithm":"md5","hash":{"value":"ULWTW74NXPyLYj3VfYHWrg==","encoding":"base64"},"salt":{"value":"OWI3OTQwYjEwODEwOTdkNTcwZDY5NjQ2ZDNlNmZjNzM=","encoding":"base64","position":"prefix"}})
        );
    }

    #[test]
    fn what_auth0_cannot_verify_needs_a_reset() {
        assert!(map_hash("$stormpath2$SHA-384$1$c2FsdA==$aGFzaA==").is_err());
        assert!(map_hash("$stormpath2$SHA-256$2$c2FsdA==$aGFzaA==").is_err());
        assert!(map_hash("$2x$10$abcdefghijklmnopqrstuufV5R6AIRuiwehOrEgoAS3hGfIJuM.qW").is_err());
    }

    /// bcrypt at cost 10 goes in `password_hash`, at another cost in `custom_password_hash`, as
    /// Auth0's job takes them (`import_schema::password_hash_accepted`); `$2y$` is written `$2b$`.
    #[test]
    fn bcrypt_goes_where_auth0_takes_it() {
        let tail = "abcdefghijklmnopqrstuufV5R6AIRuiwehOrEgoAS3hGfIJuM.qW";
        let at_10 = format!("$2b$10${tail}");
        assert_eq!(
            map_hash(&format!("$2y$10${tail}")).expect("bcrypt"),
            ("password_hash", json!(at_10))
        );
        assert_eq!(map_hash(&format!("$2a$10${tail}")).expect("bcrypt").0, "password_hash");
        let at_4 = format!("$2a$04${tail}");
        assert_eq!(
            map_hash(&at_4).expect("bcrypt"),
            (
                "custom_password_hash",
                json!({ "algorithm": "bcrypt", "hash": { "value": at_4, "encoding": "utf8" } })
            )
        );
        let y_at_12 = map_hash(&format!("$2y$12${tail}")).expect("bcrypt");
        assert_eq!(y_at_12.0, "custom_password_hash");
        assert_eq!(y_at_12.1["hash"]["value"], format!("$2b$12${tail}"));
    }

    #[test]
    fn accounts_map_to_import_users() {
        let candidate = transform(&json!({
            "id": "abc", "email": "j@example.com", "givenName": "Jean", "surname": "Dupont", "fullName": "Jean Dupont",
            "status": "DISABLED", "emailVerificationStatus": "VERIFIED",
            "customData": { "href": "x", "createdAt": "t", "plan": "gold" },
            "password": "$2a$10$abcdefghijklmnopqrstuufV5R6AIRuiwehOrEgoAS3hGfIJuM.qW"
        }))
        .expect("importable");
        assert_eq!(candidate.user["blocked"], true);
        assert_eq!(candidate.user["user_metadata"], json!({ "plan": "gold" }));
        assert_eq!(candidate.needs_reset, None);
        assert!(import_schema::validate_user(&candidate.user, &import_schema::Rules::default()).is_empty());
        assert_eq!(
            transform(&json!({"id": "x"})).map(|_| ()),
            Err("no email (Auth0 requires one)".into())
        );
    }
}
