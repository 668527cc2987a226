//! A Gigya account, as IdentitySync or `accounts.search` exports it, turned into an Auth0
//! bulk-import user (gigya.md §9), with its password hash mapped as password-hashes.md §3 says.
//!
//! Every decision is visible in the result: a user that cannot be imported says why
//! ([`Skip`]), and a user whose hash Auth0 cannot express is imported without one and marked
//! as needing a password reset ([`HashMapping::NeedsReset`]) — never silently given a hash that
//! would not verify.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use serde_json::{Map, Value, json};

/// Why an account is not imported at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Registration never finished (`isRegistered: false`).
    NotRegistered,
    /// No email anywhere on the account; Auth0 requires one.
    NoEmail,
    /// Only social identities and no password: belongs to a social connection.
    SocialOnly,
    /// Not an object, or no UID.
    Malformed(String),
}

impl Skip {
    pub fn reason(&self) -> String {
        match self {
            Skip::NotRegistered => "registration not finished (isRegistered false)".into(),
            Skip::NoEmail => "no email address (Auth0 requires one)".into(),
            Skip::SocialOnly => "social identities only, no password: import into a social connection instead".into(),
            Skip::Malformed(why) => format!("malformed account: {why}"),
        }
    }
}

/// What became of the account's password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HashMapping {
    /// Carried over: `password_hash` or `custom_password_hash` set.
    Mapped { algorithm: String },
    /// The account has a password Auth0 cannot verify: imported without it, reset needed.
    NeedsReset { reason: String },
    /// The account has no password at all.
    None,
}

impl HashMapping {
    /// Why the user will have to reset their password: `None` when the hash was carried;
    /// `when_none` when there was no hash at all.
    pub fn reset_reason(&self, when_none: &str) -> Option<String> {
        match self {
            HashMapping::Mapped { .. } => None,
            HashMapping::NeedsReset { reason } => Some(reason.clone()),
            HashMapping::None => Some(when_none.to_owned()),
        }
    }
}

/// A Gigya account's reset reason when the export carried no hash for it: accounts.search
/// never returns one, an account without a password has none.
pub const NO_HASH_IN_EXPORT: &str = "no password hash in the export";

/// Which Gigya routes carry password hashes, for a person told that an export has none.
pub const HASH_ROUTES: &str = "Gigya's accounts.search does not return hashes; IdentitySync's account reader \
     (`ferry migrate gigya --via identity-sync`) and accounts.getAccountInfo with include=password do, \
     with an application key whose permission group may read them (Gigya answers 403007 otherwise).";

/// An Auth0 import user's reset reason when it has no hash.
pub const NO_HASH_IN_FILE: &str = "no password hash in the file";

/// What an Auth0 import user carries: `custom_password_hash` (its algorithm), `password_hash`
/// (bcrypt), or nothing.
pub fn import_user_hash(user: &Value) -> HashMapping {
    if let Some(algorithm) = user
        .get("custom_password_hash")
        .and_then(|h| h.get("algorithm"))
        .and_then(Value::as_str)
    {
        HashMapping::Mapped {
            algorithm: algorithm.to_owned(),
        }
    } else if user.get("password_hash").is_some() || user.get("custom_password_hash").is_some() {
        HashMapping::Mapped {
            algorithm: "bcrypt".into(),
        }
    } else {
        HashMapping::None
    }
}

/// Gigya's `lastLogin` of an account that never logged in (SAP's accounts.search example
/// shows it, with `lastLoginTimestamp` 0): it means "never", not a date, so it is not carried.
pub const NEVER_LOGGED_IN: &str = "0001-01-01T00:00:00Z";

/// One transformed account.
#[derive(Clone, Debug, PartialEq)]
pub struct Transformed {
    /// Gigya's UID (the Auth0 `user_id`).
    pub uid: String,
    pub email: String,
    /// The Auth0 import user.
    pub user: Value,
    pub hash: HashMapping,
}

fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut current = value;
    for key in path {
        current = current.get(key)?;
    }
    current.as_str().filter(|s| !s.trim().is_empty())
}

fn strings(value: &Value, path: &[&str]) -> Vec<String> {
    let mut current = value;
    for key in path {
        match current.get(key) {
            Some(v) => current = v,
            None => return vec![],
        }
    }
    current
        .as_array()
        .map(|items| items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Transforms one exported account.
pub fn transform(account: &Value) -> Result<Transformed, Skip> {
    if !account.is_object() {
        return Err(Skip::Malformed("not a JSON object".into()));
    }
    let uid = match account.get("UID") {
        Some(Value::String(uid)) if !uid.is_empty() => uid.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(Skip::Malformed("no UID".into())),
    };
    if account.get("isRegistered").and_then(Value::as_bool) == Some(false) {
        return Err(Skip::NotRegistered);
    }
    let verified = strings(account, &["emails", "verified"]);
    let unverified = strings(account, &["emails", "unverified"]);
    let login_emails = strings(account, &["loginIDs", "emails"]);
    let email = text(account, &["profile", "email"])
        .map(str::to_owned)
        .or_else(|| login_emails.first().cloned())
        .or_else(|| verified.first().cloned())
        .or_else(|| unverified.first().cloned());
    let Some(email) = email else { return Err(Skip::NoEmail) };
    let email_lower = email.to_lowercase();
    let is_verified = account.get("isVerified").and_then(Value::as_bool).unwrap_or(false);
    let email_verified = verified.iter().any(|e| e.to_lowercase() == email_lower)
        || (is_verified && login_emails.iter().any(|e| e.to_lowercase() == email_lower));

    // An account with a password has a `password` object; only one with `hash` (or a compound
    // hash) carries it: accounts.search answers `{created}` or `{}` without one.
    let password = account
        .get("password")
        .filter(|p| p.as_object().is_some_and(|o| !o.is_empty()));
    let carried = password.filter(|p| {
        ["hash", "compoundHashedPassword", "compoundHash"]
            .iter()
            .any(|key| p.get(key).and_then(Value::as_str).is_some_and(|h| !h.is_empty()))
    });
    let has_site = account
        .get("socialProviders")
        .and_then(Value::as_str)
        .is_none_or(|providers| providers.split(',').any(|p| p.trim() == "site"));
    if password.is_none() && !has_site {
        return Err(Skip::SocialOnly);
    }

    let mut user = Map::new();
    user.insert("user_id".into(), json!(uid));
    user.insert("email".into(), json!(email));
    user.insert("email_verified".into(), json!(email_verified));
    let first = text(account, &["profile", "firstName"]);
    let last = text(account, &["profile", "lastName"]);
    if let Some(first) = first {
        user.insert("given_name".into(), json!(first));
    }
    if let Some(last) = last {
        user.insert("family_name".into(), json!(last));
    }
    let full = [first, last].into_iter().flatten().collect::<Vec<_>>().join(" ");
    if let Some(name) = text(account, &["profile", "name"])
        .map(str::to_owned)
        .or((!full.is_empty()).then_some(full))
    {
        user.insert("name".into(), json!(name));
    }
    if let Some(nickname) = text(account, &["profile", "nickname"]) {
        user.insert("nickname".into(), json!(nickname));
    }
    if let Some(picture) =
        text(account, &["profile", "photoURL"]).or_else(|| text(account, &["profile", "thumbnailURL"]))
    {
        user.insert("picture".into(), json!(picture));
    }
    if account.get("isActive").and_then(Value::as_bool) == Some(false) {
        user.insert("blocked".into(), json!(true));
    }

    // Gigya's own data stays under Gigya's key names, nested so no Auth0-reserved key is hit.
    let mut user_metadata = Map::new();
    let mut gigya_profile = Map::new();
    for key in [
        "birthDay",
        "birthMonth",
        "birthYear",
        "gender",
        "locale",
        "phones",
        "address",
        "city",
        "state",
        "zip",
        "country",
    ] {
        if let Some(v) = account.get("profile").and_then(|p| p.get(key)) {
            gigya_profile.insert(key.into(), v.clone());
        }
    }
    if !gigya_profile.is_empty() {
        user_metadata.insert("gigya_profile".into(), Value::Object(gigya_profile));
    }
    for key in ["data", "preferences", "subscriptions"] {
        if let Some(v) = account
            .get(key)
            .filter(|v| v.as_object().is_some_and(|o| !o.is_empty()))
        {
            user_metadata.insert(key.into(), v.clone());
        }
    }
    if !user_metadata.is_empty() {
        user.insert("user_metadata".into(), Value::Object(user_metadata));
    }
    let mut gigya = Map::new();
    gigya.insert("uid".into(), json!(uid));
    for key in [
        "created",
        "createdTimestamp",
        "lastLogin",
        "lastUpdated",
        "registered",
        "verified",
        "isRegistered",
        "loginProvider",
        "socialProviders",
        "regSource",
    ] {
        if let Some(v) = account.get(key) {
            if key == "lastLogin" && is_never(v) {
                continue;
            }
            gigya.insert(key.into(), v.clone());
        }
    }
    user.insert("app_metadata".into(), json!({ "gigya": gigya }));

    let hash = match carried {
        None => HashMapping::None,
        Some(password) => match map_password(password) {
            Ok((key, value, algorithm)) => {
                user.insert(key.into(), value);
                HashMapping::Mapped { algorithm }
            }
            Err(reason) => HashMapping::NeedsReset { reason },
        },
    };
    Ok(Transformed {
        uid,
        email,
        user: Value::Object(user),
        hash,
    })
}

/// Whether a `lastLogin` is Gigya's "never logged in" (year 1, in any precision).
fn is_never(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|t| t == NEVER_LOGGED_IN || t.starts_with("0001-01-01T00:00:00"))
}

/// Maps Gigya's `password` object to (`password_hash` | `custom_password_hash`, value, label).
pub fn map_password(password: &Value) -> Result<(&'static str, Value, String), String> {
    if let Some(compound) = password
        .get("compoundHashedPassword")
        .or_else(|| password.get("compoundHash"))
        .and_then(Value::as_str)
    {
        return map_compound(compound);
    }
    let hash = password
        .get("hash")
        .and_then(Value::as_str)
        .ok_or("the password has no hash")?;
    let settings = password.get("hashSettings").ok_or("the password has no hashSettings")?;
    let algorithm = settings
        .get("algorithm")
        .and_then(Value::as_str)
        .ok_or("hashSettings has no algorithm")?
        .to_owned();
    let rounds = settings.get("rounds").and_then(Value::as_u64).unwrap_or(1);
    let salt = settings.get("salt").and_then(Value::as_str).filter(|s| !s.is_empty());
    let format = settings.get("format").and_then(Value::as_str).filter(|s| !s.is_empty());
    let binary_format = settings
        .get("binaryFormat")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    if settings
        .get("url")
        .and_then(Value::as_str)
        .is_some_and(|u| !u.is_empty())
    {
        return Err(format!(
            "{algorithm} uses a remote hash service (url); Auth0 cannot call it"
        ));
    }
    match algorithm.as_str() {
        "md5" | "sha1" | "sha256" | "sha512" => {
            if rounds > 1 {
                return Err(format!(
                    "{algorithm} with {rounds} rounds: Auth0 has no iterated digests"
                ));
            }
            let mut spec = json!({ "algorithm": algorithm, "hash": { "value": hash, "encoding": "base64" } });
            match (salt, format, binary_format) {
                (None, None, None) => {}
                (_, Some(format), None) => {
                    let (salt_text, position) = salt_from_format(format, salt.unwrap_or(""))?;
                    spec["salt"] = json!({ "value": salt_text, "encoding": "utf8", "position": position });
                }
                (Some(salt), None, Some(binary)) => {
                    let (salt_value, salt_encoding, position, password_encoding) =
                        salt_from_binary_format(binary, salt)?;
                    spec["salt"] = json!({ "value": salt_value, "encoding": salt_encoding, "position": position });
                    if password_encoding != "utf8" {
                        spec["password"] = json!({ "encoding": password_encoding });
                    }
                }
                (Some(_), None, None) => {
                    return Err(format!(
                        "{algorithm} with a salt but no format: where the salt goes is not recorded, so the hash cannot be verified"
                    ));
                }
                (None, None, Some(_)) | (_, Some(_), Some(_)) => {
                    return Err(format!("{algorithm} with a binaryFormat Auth0 cannot express"));
                }
            }
            Ok(("custom_password_hash", spec, algorithm))
        }
        "sha1_hashbytes" => {
            if salt.is_some() || rounds > 1 {
                return Err("sha1_hashbytes with a salt or rounds: definition unconfirmed".into());
            }
            Ok((
                "custom_password_hash",
                json!({ "algorithm": "sha1", "hash": { "value": hash, "encoding": "base64" }, "password": { "encoding": "utf16le" } }),
                "sha1_hashbytes".into(),
            ))
        }
        "pbkdf2" | "pbkdf2_sha1" | "pbkdf2_sha256" | "pbkdf2_sha512" => {
            let digest = match algorithm.as_str() {
                "pbkdf2_sha256" => "sha256",
                "pbkdf2_sha512" => "sha512",
                _ => "sha1",
            };
            let salt = salt.ok_or_else(|| format!("{algorithm} without a salt"))?;
            let hash_bytes = STANDARD
                .decode(hash)
                .map_err(|_| format!("{algorithm}: the hash is not Base64"))?;
            let salt_bytes = STANDARD
                .decode(salt)
                .map_err(|_| format!("{algorithm}: the salt is not Base64"))?;
            let value = format!(
                "$pbkdf2-{digest}$i={rounds},l={}${}${}",
                hash_bytes.len(),
                STANDARD_NO_PAD.encode(salt_bytes),
                STANDARD_NO_PAD.encode(&hash_bytes)
            );
            Ok((
                "custom_password_hash",
                json!({ "algorithm": "pbkdf2", "hash": { "value": value, "encoding": "utf8" } }),
                algorithm,
            ))
        }
        "bcrypt" => {
            // A bcrypt hash given as bytes + salt + rounds is rebuilt as an MCF string.
            let cost = rounds.trailing_zeros();
            if !rounds.is_power_of_two() || !(4..=31).contains(&cost) {
                return Err(format!(
                    "bcrypt with {rounds} rounds (must be a power of two, 2^4 to 2^31)"
                ));
            }
            let salt = salt.ok_or("bcrypt without a salt")?;
            let salt_bytes = STANDARD
                .decode(salt)
                .map_err(|_| "bcrypt: the salt is not Base64".to_owned())?;
            let hash_bytes = STANDARD
                .decode(hash)
                .map_err(|_| "bcrypt: the hash is not Base64".to_owned())?;
            if salt_bytes.len() != 16 || hash_bytes.len() < 23 {
                return Err("bcrypt: unexpected salt or hash length".into());
            }
            let mcf = format!(
                "$2b${cost:02}${}{}",
                bcrypt_base64(&salt_bytes)[..22].to_owned(),
                &bcrypt_base64(&hash_bytes[..23])[..31]
            );
            let (field, value) = bcrypt_field(&mcf);
            Ok((field, value, "bcrypt".into()))
        }
        other => Err(format!("{other} is not one of the algorithms Auth0 can verify")),
    }
}

fn map_compound(compound: &str) -> Result<(&'static str, Value, String), String> {
    if compound.starts_with("$2a$") || compound.starts_with("$2b$") {
        let (field, value) = bcrypt_field(compound);
        return Ok((field, value, "bcrypt".into()));
    }
    if let Some(rest) = compound.strip_prefix("$2y$") {
        // PHP's $2y$ is the same algorithm as $2b$.
        let (field, value) = bcrypt_field(&format!("$2b${rest}"));
        return Ok((field, value, "bcrypt".into()));
    }
    let scheme = compound.split('$').nth(1).unwrap_or("?");
    Err(format!("compound hash ${scheme}$ is not one Auth0 can verify"))
}

/// The Auth0 field that carries a bcrypt hash (`$2a$`/`$2b$`): `password_hash` where Auth0's
/// import job takes it there (cost 10, `import_schema::password_hash_accepted`, which says
/// why), otherwise `custom_password_hash` with algorithm `bcrypt`, which takes any cost.
pub fn bcrypt_field(mcf: &str) -> (&'static str, Value) {
    if import_schema::password_hash_accepted(mcf) {
        ("password_hash", json!(mcf))
    } else {
        (
            "custom_password_hash",
            json!({ "algorithm": "bcrypt", "hash": { "value": mcf, "encoding": "utf8" } }),
        )
    }
}

/// The salt text and its position for a `format` template with `$password` at one end.
fn salt_from_format(format: &str, salt: &str) -> Result<(String, &'static str), String> {
    let occurrences = format.matches("$password").count();
    if occurrences != 1 {
        return Err(format!("format {format:?} must contain $password exactly once"));
    }
    let filled = format.replace("$salt", salt);
    let (before, after) = filled.split_once("$password").unwrap_or((&filled, ""));
    match (before.is_empty(), after.is_empty()) {
        (true, true) => Err("format with nothing but $password and a salt that is never used".into()),
        (false, true) => Ok((before.to_owned(), "prefix")),
        (true, false) => Ok((after.to_owned(), "suffix")),
        (false, false) => Err(format!(
            "format {format:?} has text on both sides of $password; Auth0 takes one salt in one position"
        )),
    }
}

/// (salt value, salt encoding, position, password encoding) for a `binaryFormat`.
fn salt_from_binary_format(
    binary: &str,
    salt: &str,
) -> Result<(String, &'static str, &'static str, &'static str), String> {
    let tokens: Vec<&str> = binary.split('$').filter(|t| !t.is_empty()).collect();
    let [first, second] = tokens.as_slice() else {
        return Err(format!(
            "binaryFormat {binary:?}: only one salt and the password are supported"
        ));
    };
    let (salt_token, password_token, position) = if first.starts_with("salt:") {
        (first, second, "prefix")
    } else if second.starts_with("salt:") {
        (second, first, "suffix")
    } else {
        return Err(format!("binaryFormat {binary:?} has no salt token"));
    };
    let salt_encoding = match salt_token.trim_start_matches("salt:") {
        "base64" => "base64",
        "hex" => "hex",
        "utf8" => "utf8",
        other => return Err(format!("binaryFormat salt encoding {other} is not supported by Auth0")),
    };
    let password_encoding = match password_token.strip_prefix("password:") {
        Some("utf8") => "utf8",
        // Gigya runs on .NET, whose "Unicode" is UTF-16LE without BOM (password-hashes.md §1.1).
        Some("utf16") => "utf16le",
        Some(other) => {
            return Err(format!(
                "binaryFormat password encoding {other} is not supported by Auth0"
            ));
        }
        None => return Err(format!("binaryFormat {binary:?} has no password token")),
    };
    Ok((salt.to_owned(), salt_encoding, position, password_encoding))
}

/// bcrypt's own Base64 alphabet, without padding.
fn bcrypt_base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(password: &Value) -> Value {
        json!({
            "UID": "u1",
            "isRegistered": true,
            "isVerified": true,
            "isActive": true,
            "socialProviders": "site",
            "profile": { "email": "Jane@Example.com", "firstName": "Jane", "lastName": "Doe", "gender": "f" },
            "emails": { "verified": ["jane@example.com"], "unverified": [] },
            "loginIDs": { "emails": ["jane@example.com"] },
            "data": { "plan": "gold" },
            "created": "2020-01-01T00:00:00.000Z",
            "password": password,
        })
    }

    #[test]
    fn maps_the_profile() {
        let t = transform(&account(&json!({}))).expect("importable");
        assert_eq!(t.uid, "u1");
        assert_eq!(t.user["email"], "Jane@Example.com");
        assert_eq!(t.user["email_verified"], true);
        assert_eq!(t.user["name"], "Jane Doe");
        assert_eq!(t.user["user_metadata"]["gigya_profile"]["gender"], "f");
        assert_eq!(t.user["user_metadata"]["data"]["plan"], "gold");
        assert_eq!(t.user["app_metadata"]["gigya"]["uid"], "u1");
        assert_eq!(t.hash, HashMapping::None);
        assert!(import_schema::validate_user(&t.user, &import_schema::Rules::default()).is_empty());
    }

    #[test]
    fn skips_what_cannot_be_imported() {
        assert_eq!(
            transform(&json!({"UID": "x", "isRegistered": false})),
            Err(Skip::NotRegistered)
        );
        assert_eq!(transform(&json!({"UID": "x"})), Err(Skip::NoEmail));
        assert_eq!(
            transform(&json!({"UID": "x", "socialProviders": "facebook", "profile": {"email": "a@b.co"}})),
            Err(Skip::SocialOnly)
        );
    }

    #[test]
    fn pbkdf2_becomes_a_phc_string() {
        // password-hashes.md §4.4, pbkdf2 with 20 bytes.
        let t = transform(&account(&json!({
            "hash": "CgdL/YjUm2ce11aBJrnM9OrgKY4=",
            "hashSettings": { "algorithm": "pbkdf2", "rounds": 1000, "salt": "AQIDBAUGBwgJCgsMDQ4PEA==" }
        })))
        .expect("importable");
        assert_eq!(
            t.user["custom_password_hash"]["hash"]["value"],
            "$pbkdf2-sha1$i=1000,l=20$AQIDBAUGBwgJCgsMDQ4PEA$CgdL/YjUm2ce11aBJrnM9OrgKY4"
        );
        let (_, spec, _) = map_password(&json!({
            "hash": "WLBPZNZfh5pNQzNhl5J1MHoJK3w=",
            "hashSettings": { "algorithm": "pbkdf2_sha512", "rounds": 1000, "salt": "AQIDBAUGBwgJCgsMDQ4PEA==" }
        }))
        .expect("mapped");
        assert_eq!(
            spec["hash"]["value"],
            "$pbkdf2-sha512$i=1000,l=20$AQIDBAUGBwgJCgsMDQ4PEA$WLBPZNZfh5pNQzNhl5J1MHoJK3w"
        );
    }

    #[test]
    fn salted_digests_take_their_salt_from_the_format() {
        let (_, spec, _) = map_password(&json!({
            "hash": "g0XVCh3LohsbjuNGKcNik41sFG4=",
            "hashSettings": { "algorithm": "sha1", "salt": "s4lt", "format": "$salt$password" }
        }))
        .expect("mapped");
        assert_eq!(
            spec["salt"],
            json!({ "value": "s4lt", "encoding": "utf8", "position": "prefix" })
        );
        let (_, spec, _) = map_password(&json!({
            "hash": "vuYJZYZxKZBVRjaYWrxR6beepgc=",
            "hashSettings": { "algorithm": "sha1", "salt": "s4lt", "format": "wikipedia$salt$password" }
        }))
        .expect("mapped");
        assert_eq!(spec["salt"]["value"], "wikipedias4lt");
        let (_, spec, _) = map_password(&json!({
            "hash": "Io7BHYeCBovXlEVRLe1rAZov20M=",
            "hashSettings": { "algorithm": "sha1", "salt": "AQIDBAUGBwgJCgsMDQ4PEA==", "binaryFormat": "$password:utf16$salt:base64" }
        }))
        .expect("mapped");
        assert_eq!(spec["salt"]["position"], "suffix");
        assert_eq!(spec["password"]["encoding"], "utf16le");
    }

    #[test]
    fn a_password_without_its_hash_is_no_hash_and_never_is_not_a_date() {
        // What accounts.search answers by default: the password's creation time, no hash.
        for password in [
            json!({ "created": "2020-01-01T00:00:00.000Z" }),
            json!({ "hash": "" }),
            json!({}),
        ] {
            let t = transform(&account(&password)).expect("importable");
            assert_eq!(t.hash, HashMapping::None, "{password}");
            assert_eq!(
                t.hash.reset_reason(NO_HASH_IN_EXPORT).as_deref(),
                Some(NO_HASH_IN_EXPORT)
            );
        }
        // A password object without a hash still means a site login, not a social-only account.
        let mut social = account(&json!({ "created": "2020-01-01T00:00:00.000Z" }));
        social["socialProviders"] = json!("facebook");
        assert!(transform(&social).is_ok());
        // lastLogin of an account that never logged in is left out; a real one is kept.
        let mut never = account(&json!({}));
        never["lastLogin"] = json!(NEVER_LOGGED_IN);
        never["lastLoginTimestamp"] = json!(0);
        let t = transform(&never).expect("importable");
        assert!(t.user["app_metadata"]["gigya"].get("lastLogin").is_none(), "{}", t.user);
        never["lastLogin"] = json!("0001-01-01T00:00:00.000Z");
        let t = transform(&never).expect("importable");
        assert!(t.user["app_metadata"]["gigya"].get("lastLogin").is_none(), "{}", t.user);
        never["lastLogin"] = json!("2024-05-01T10:00:00.000Z");
        let t = transform(&never).expect("importable");
        assert_eq!(t.user["app_metadata"]["gigya"]["lastLogin"], "2024-05-01T10:00:00.000Z");
    }

    #[test]
    fn import_users_say_what_they_carry() {
        assert_eq!(import_user_hash(&json!({"email": "a@b.co"})), HashMapping::None);
        assert_eq!(
            import_user_hash(&json!({"password_hash": "$2b$10$x"})),
            HashMapping::Mapped {
                algorithm: "bcrypt".into()
            }
        );
        assert_eq!(
            import_user_hash(&json!({"custom_password_hash": {"algorithm": "md5"}})),
            HashMapping::Mapped {
                algorithm: "md5".into()
            }
        );
    }

    #[test]
    fn what_auth0_cannot_verify_needs_a_reset() {
        for password in [
            json!({ "hash": "x", "hashSettings": { "algorithm": "md5_crypt" } }),
            json!({ "hash": "x", "hashSettings": { "algorithm": "sha1", "rounds": 5 } }),
            json!({ "hash": "x", "hashSettings": { "algorithm": "sha1", "salt": "s", "format": "a$password$salt" } }),
            json!({ "hash": "x", "hashSettings": { "algorithm": "md5", "salt": "s" } }),
            json!({ "compoundHashedPassword": "$1$s4ltS4lt$RhanLaQT9dj8ZiZ0aCRG./" }),
        ] {
            let t = transform(&account(&password)).expect("importable");
            assert!(
                matches!(t.hash, HashMapping::NeedsReset { .. }),
                "{password}: {:?}",
                t.hash
            );
            assert!(t.user.get("custom_password_hash").is_none() && t.user.get("password_hash").is_none());
        }
    }

    #[test]
    fn bcrypt_compound_hashes_carry_over() {
        let (key, value, _) = map_password(
            &json!({ "compoundHashedPassword": "$2y$10$abcdefghijklmnopqrstuufV5R6AIRuiwehOrEgoAS3hGfIJuM.qW" }),
        )
        .expect("mapped");
        assert_eq!(key, "password_hash");
        assert_eq!(value, "$2b$10$abcdefghijklmnopqrstuufV5R6AIRuiwehOrEgoAS3hGfIJuM.qW");
    }
}
