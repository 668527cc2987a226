//! The rules of an import that the published schema does not state, each with its source.
//!
//! The schema document says what a user object may hold; Auth0's pages say more in prose, and
//! Auth0's import applies it. Every rule here names where it is written. A rule with no source
//! but Ferry's own choice says so (the hash work-factor limits). Nothing here repeats a check
//! the schema already makes: a value of the wrong type is the schema's `INVALID_TYPE` and is
//! passed over here.
//!
//! Sources (paths in `auth0/docs-v2`, public at `https://auth0.com/docs/<path>`):
//! - SCHEMA-PAGE: `manage-users/user-migration/bulk-user-import-schema` (the prose around the
//!   schema: properties, app metadata, the per-algorithm tabs);
//! - PROFILE: `manage-users/user-accounts/user-profiles/user-profile-structure` (the user
//!   profile attribute schema: lengths and characters, each attribute marked "import");
//! - IMPORTS: `manage-users/user-migration/bulk-user-imports` (limits, duplicates, upsert).

use serde_json::{Map, Value};

use crate::{Issue, Rules};

/// Fields an upsert may change on an existing user (SCHEMA-PAGE, "Properties": the column
/// "Upsert during import?"; `mfa_factors` per the MFA import guide, auth0.md §4.2).
pub const UPSERTABLE: &[&str] = &[
    "email_verified",
    "given_name",
    "family_name",
    "name",
    "nickname",
    "picture",
    "custom_password_hash",
    "app_metadata",
    "user_metadata",
    "mfa_factors",
];

/// Keys `app_metadata` must not contain (SCHEMA-PAGE, "App metadata").
pub const RESERVED_APP_METADATA: &[&str] = &[
    "__tenant",
    "_id",
    "blocked",
    "clientID",
    "created_at",
    "email_verified",
    "email",
    "globalClientID",
    "global_client_id",
    "identities",
    "lastIP",
    "lastLogin",
    "loginsCount",
    "metadata",
    "multifactor_last_modified",
    "multifactor",
    "updated_at",
    "user_id",
];

/// Algorithms of `custom_password_hash.algorithm` (the schema's `enum`, repeated for callers
/// that map hashes).
pub const ALGORITHMS: &[&str] = &[
    "argon2", "bcrypt", "hmac", "ldap", "md4", "md5", "sha1", "sha256", "sha512", "pbkdf2", "scrypt",
];

/// The message of a user repeated inside one file, as Auth0 sends it (its placeholder
/// unfilled; observed, community.auth0.com/t/102951). IMPORTS, "Limits": "Duplicated user
/// entries in the import file cause an error. They do not cause an import followed by an
/// upsert."
pub const DUPLICATED_IN_FILE: &str = "A user with this [email|username|user_id] was already provided.";

/// What identifies a user inside one file, for [`DUPLICATED_IN_FILE`]: the email and the
/// username compared without case (Auth0 stores both in lower case, PROFILE), the user_id as
/// given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InFileKey {
    Email,
    Username,
    UserId,
}

/// The keys of one user that a later user of the same file must not repeat.
pub fn in_file_keys(user: &Map<String, Value>) -> impl Iterator<Item = (InFileKey, String)> + '_ {
    [
        (InFileKey::Email, "email", true),
        (InFileKey::Username, "username", true),
        (InFileKey::UserId, "user_id", false),
    ]
    .into_iter()
    .filter_map(|(key, field, fold)| {
        let value = user.get(field)?.as_str()?;
        Some((key, if fold { value.to_lowercase() } else { value.to_owned() }))
    })
}

/// The observed message of a user carrying both `password_hash` and `custom_password_hash`
/// (code `NOT_PASSED`; community.auth0.com/t/131623, "Importing Error 'Forbidden attribute in
/// appUser: '", which names this as the cause). SCHEMA-PAGE: "This field and `password_hash`
/// are mutually exclusive."
pub const BOTH_HASHES: &str = "Forbidden attribute in appUser: ";

/// E.164, as SCHEMA-PAGE's `phone_number` description asks and PROFILE gives the expression.
const E164: &str = r"^\+[0-9]{1,15}$";

/// PROFILE's username characters: ASCII letters and digits and ``@ ` ^ $ ! - # . + ' ~ _``.
const USERNAME_PATTERN: &str = r"^[a-zA-Z0-9_+\-.!#\$\^`~@']*$";

/// The documented rules, appended to `out`.
pub(crate) fn check(user: &Value, rules: &Rules, out: &mut Vec<Issue>) {
    let Some(map) = user.as_object() else { return };
    let text = |key: &str| map.get(key).and_then(Value::as_str);

    // PROFILE: "Phone numbers must be in E.164 format and are validated against the regular
    // expression ^\+[0-9]{1,15}$"; SCHEMA-PAGE: "Must be in E.164 format".
    if let Some(phone) = text("phone_number")
        && !is_e164(phone)
    {
        out.push(Issue::at(
            "PATTERN",
            "phone_number",
            format!("String does not match pattern {E164}: {phone}"),
        ));
    }

    // PROFILE: given_name, family_name and name "can be 1-150 characters", nickname
    // "1-350 characters", any UTF-8.
    for (field, max) in [
        ("given_name", 150),
        ("family_name", 150),
        ("name", 150),
        ("nickname", 350),
    ] {
        if let Some(value) = text(field) {
            length(value, field, 1, max, out);
        }
    }

    // PROFILE: "The default allowed length for usernames is between 1 and 15 characters up to
    // a maximum length of 128 characters" (the connection decides: `Rules`), "alphanumeric
    // characters without accent marks" and the listed symbols, "at sign, @, but email
    // addresses are not allowed".
    if let Some(username) = text("username") {
        length(username, "username", rules.username_min, rules.username_max, out);
        if !username.chars().all(is_username_char) {
            out.push(Issue::at(
                "PATTERN",
                "username",
                format!("String does not match pattern {USERNAME_PATTERN}: {username}"),
            ));
        } else if crate::is_email(username) {
            out.push(Issue::at(
                "NOT_PASSED",
                "username",
                "Data matches schema from 'not' (a username cannot be an email)",
            ));
        }
    }
    // A connection that requires usernames refuses a user without one (the connection's
    // `requires_username` setting; Auth0's signup and user creation refuse the same).
    if rules.requires_username && !map.contains_key("username") {
        out.push(Issue::at("OBJECT_REQUIRED", "", "Missing required property: username"));
    }

    // SCHEMA-PAGE, "App metadata": "The user.app_metadata object must not contain any of these
    // properties". The wording of this error is Ferry's (no listing of it has been seen).
    if let Some(Value::Object(meta)) = map.get("app_metadata") {
        for key in meta.keys().filter(|k| RESERVED_APP_METADATA.contains(&k.as_str())) {
            out.push(Issue::at(
                "NOT_PASSED",
                &format!("app_metadata.{key}"),
                format!("Data matches schema from 'not' ({key} is reserved)"),
            ));
        }
    }

    if map.contains_key("password_hash") && map.contains_key("custom_password_hash") {
        out.push(Issue::at("NOT_PASSED", "", BOTH_HASHES));
    }

    // password_hash: the published schema says `{"type": "string"}` and the page "should be
    // hashed using bcrypt $2a$ or $2b$ and have 10 saltRounds", but the job refuses any other
    // value (OBSERVED: see PASSWORD_HASH_PATTERN).
    if let Some(hash) = text("password_hash") {
        if !password_hash_accepted(hash) {
            out.push(Issue::at(
                "PATTERN",
                PASSWORD_HASH_PATH,
                format!("String does not match pattern {PASSWORD_HASH_PATTERN}"),
            ));
        } else if let Some((_, reason)) = crate::hash_cost_problem("bcrypt", hash, None) {
            out.push(Issue::at("MAXIMUM", "password_hash", reason));
        }
    }

    if let Some(Value::Object(spec)) = map.get("custom_password_hash") {
        custom_password_hash(spec, out);
    }
}

fn length(value: &str, path: &str, min: usize, max: usize, out: &mut Vec<Issue>) {
    let chars = value.chars().count();
    // z-schema prints JavaScript's length (UTF-16 units) and compares code points
    let shown: usize = value.chars().map(char::len_utf16).sum();
    if chars < min {
        out.push(Issue::at(
            "MIN_LENGTH",
            path,
            format!("String is too short ({shown} chars), minimum {min}"),
        ));
    } else if chars > max {
        out.push(Issue::at(
            "MAX_LENGTH",
            path,
            format!("String is too long ({shown} chars), maximum {max}"),
        ));
    }
}

/// The per-algorithm rules of SCHEMA-PAGE's `algorithm` tabs. A user breaking one fails with
/// `ANY_OF_MISSING` (in Auth0's own schema the algorithms are branches of an `anyOf`, the code
/// its list gives for such a failure); the reason in parentheses is Ferry's, to say which.
fn custom_password_hash(spec: &Map<String, Value>, out: &mut Vec<Issue>) {
    const PATH: &str = "custom_password_hash";
    // "Must be an integer greater than zero" (keylen), "a positive integer" (blockSize,
    // parallelization), "a power of two greater than one" (cost): the schema says integer.
    for key in ["keylen", "cost", "blockSize", "parallelization"] {
        if let Some(n) = spec.get(key).and_then(Value::as_f64)
            && n < 1.0
        {
            out.push(Issue::at(
                "MINIMUM",
                &format!("{PATH}.{key}"),
                format!("Value {} is less than minimum 1", crate::schema::param(&spec[key])),
            ));
        }
    }
    let Some(algorithm) = spec.get("algorithm").and_then(Value::as_str) else {
        return;
    };
    if !ALGORITHMS.contains(&algorithm) {
        return; // the schema's ENUM_MISMATCH
    }
    let hash = spec.get("hash").and_then(Value::as_object);
    let value = hash.and_then(|h| h.get("value")).and_then(Value::as_str).unwrap_or("");
    let encoding = hash.and_then(|h| h.get("encoding"));
    if encoding.is_some_and(|e| !matches!(e.as_str(), Some("base64" | "hex" | "utf8"))) {
        return; // the schema's INVALID_TYPE or ENUM_MISMATCH says it
    }
    let encoding = encoding.and_then(Value::as_str);
    let has_salt = spec.contains_key("salt");
    let utf8 = |name: &str| {
        (!matches!(encoding, None | Some("utf8"))).then(|| format!("{name} hashes use hash.encoding utf8"))
    };
    let hex_or_base64 = |name: &str| {
        (!matches!(encoding, Some("hex" | "base64"))).then(|| format!("{name} hashes need hash.encoding hex or base64"))
    };
    let no_salt = |name: &str, why: &str| has_salt.then(|| format!("{name} takes no salt object{why}"));
    let problem: Option<String> = match algorithm {
        // "hash.encoding must be utf8", salt allowed, "hash.value must include one of these
        // prefixes: $2a$ $2b$ $2y$"
        "bcrypt" => utf8("bcrypt").or_else(|| {
            (!["$2a$", "$2b$", "$2y$"].iter().any(|p| value.starts_with(p)))
                .then(|| "bcrypt hash.value must start with $2a$, $2b$ or $2y$".into())
        }),
        // utf8, "hash.salt is not allowed", a PHC string
        "argon2" => utf8("argon2")
            .or_else(|| no_salt("argon2", " (the salt is in the PHC string)"))
            .or_else(|| {
                (!value.starts_with("$argon2"))
                    .then(|| "argon2 hash.value must be a PHC string ($argon2id$v=19$...)".into())
            }),
        // utf8, "hash.salt is not allowed", a PHC string that includes the salt
        "pbkdf2" => utf8("pbkdf2")
            .or_else(|| no_salt("pbkdf2", " (the salt is in the PHC string)"))
            .or_else(|| {
                (!value.starts_with("$pbkdf2"))
                    .then(|| "pbkdf2 hash.value must be a PHC string ($pbkdf2-<digest>$i=...,l=...$salt$hash)".into())
            }),
        // utf8, "hash.salt is not allowed", RFC 2307 `{SCHEME}...` with "the scheme must be one
        // of md5|smd5|sha*|ssha*"; "the crypt scheme is not supported"
        "ldap" => utf8("ldap")
            .or_else(|| no_salt("ldap", ""))
            .or_else(|| ldap_scheme_problem(value)),
        // "hash.encoding must be either hex or base64"
        "md4" | "md5" | "sha1" | "sha256" | "sha512" => hex_or_base64(algorithm),
        // hex or base64, "hash.digest is required", "hash.key.value is required"
        "hmac" => hex_or_base64("hmac").or_else(|| {
            let has = |key: &str| hash.is_some_and(|h| h.contains_key(key));
            (!has("digest") || !has("key")).then(|| "hmac needs hash.digest and hash.key".into())
        }),
        // hex or base64, "keylen ... required", "cost ... a power of two greater than one"
        "scrypt" => hex_or_base64("scrypt")
            .or_else(|| (!spec.contains_key("keylen")).then(|| "scrypt needs keylen".into()))
            .or_else(|| {
                spec.get("cost")
                    .and_then(Value::as_u64)
                    .filter(|n| !(n.is_power_of_two() && *n > 1))
                    .map(|n| format!("scrypt cost {n} is not a power of two greater than 1"))
            }),
        _ => None,
    };
    if let Some(problem) = problem {
        out.push(Issue::at(
            "ANY_OF_MISSING",
            PATH,
            format!("Data does not match any schemas from 'anyOf' ({problem})"),
        ));
    } else if let Some((at, reason)) = crate::hash_cost_problem(algorithm, value, Some(spec)) {
        out.push(Issue::at("MAXIMUM", &format!("{PATH}.{at}"), reason));
    }
}

fn ldap_scheme_problem(value: &str) -> Option<String> {
    let scheme = value
        .strip_prefix('{')
        .and_then(|rest| rest.split_once('}'))
        .map(|(scheme, _)| scheme.to_ascii_lowercase());
    match scheme.as_deref() {
        None => Some("ldap hash.value must be an RFC 2307 {SCHEME}base64 string".into()),
        Some("crypt") => Some("{CRYPT} ldap hashes are not supported".into()),
        Some(s) if s == "md5" || s == "smd5" || s.starts_with("sha") || s.starts_with("ssha") => None,
        Some(other) => Some(format!("ldap scheme {{{other}}} is not one of md5, smd5, sha*, ssha*")),
    }
}

fn is_e164(text: &str) -> bool {
    text.strip_prefix('+')
        .is_some_and(|d| (1..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

fn is_username_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+-.!#$^`~@'".contains(c)
}

/// What Auth0's import job takes as a `password_hash`: bcrypt `$2$`, `$2a$` or `$2b$` at cost
/// 10, and nothing else (not `$2y$`, not another cost). OBSERVED: Auth0's support article "User
/// Import Fails with Error: Error in passwordHash Property - String does not Match Pattern"
/// (support.auth0.com/center/s/article/user-import-fails-with-error-error-in-passwordhash-property-string-does-not-match-pattern):
/// a job that completed lists `Error in passwordHash property - String does not match pattern
/// ^\$2[ab]?\$10+\$[./A-Za-z0-9]{53}$` for such a user; the pattern is copied as it is
/// (`10+` included), and the message quotes no value. Other bcrypt hashes go in
/// `custom_password_hash` (algorithm `bcrypt`), which takes `$2y$` and any cost.
pub const PASSWORD_HASH_PATTERN: &str = r"^\$2[ab]?\$10+\$[./A-Za-z0-9]{53}$";

/// The path Auth0's job names when a `password_hash` does not match the pattern.
pub const PASSWORD_HASH_PATH: &str = "passwordHash";

/// Whether an import error's message (this crate's, or one Auth0's job listed) is the refusal
/// of a `password_hash` by [`PASSWORD_HASH_PATTERN`]: `Error in passwordHash property - …`.
pub fn refuses_password_hash(message: &str) -> bool {
    message
        .split_once("Error in ")
        .and_then(|(_, rest)| rest.strip_prefix(PASSWORD_HASH_PATH))
        .is_some_and(|rest| rest.starts_with(" property - "))
}

/// What to do with a hash [`PASSWORD_HASH_PATTERN`] refuses, for a person reading a report.
pub const PASSWORD_HASH_ADVICE: &str = "Auth0's import takes only bcrypt $2a$/$2b$ at cost 10 in password_hash. \
    Give other bcrypt hashes ($2y$ too, any cost) as custom_password_hash: \
    {\"algorithm\": \"bcrypt\", \"hash\": {\"value\": \"<the hash>\", \"encoding\": \"utf8\"}}.";

/// Whether `hash` matches [`PASSWORD_HASH_PATTERN`] (JavaScript's `RegExp.test`: `$` is the
/// end of the text).
pub fn password_hash_accepted(hash: &str) -> bool {
    let Some(rest) = hash.strip_prefix("$2") else {
        return false;
    };
    let rest = rest.strip_prefix(['a', 'b']).unwrap_or(rest);
    let Some(rest) = rest.strip_prefix("$1") else {
        return false;
    };
    let after_zeros = rest.trim_start_matches('0');
    let Some(tail) = after_zeros.strip_prefix('$') else {
        return false;
    };
    after_zeros.len() < rest.len()
        && tail.len() == 53
        && tail
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/')
}
