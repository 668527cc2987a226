//! Auth0's bulk user import schema (auth0.md §4), as one validator shared by Ferry's migration
//! engine (which checks every user before it uploads a file) and its mock Auth0 (which checks
//! them again when a job runs, as Auth0 does).
//!
//! Errors carry Auth0's codes and wording. Auth0 validates with a JSON schema (z-schema); a
//! failure is reported per user as `{"code", "message", "path"}`, the message shaped like
//! `Error in email property - Object didn't pass validation for format email: jane@` (seen in
//! real job error listings). Codes follow Auth0's list (`INVALID_TYPE`, `ENUM_MISMATCH`,
//! `PATTERN`, `MIN_LENGTH`, `MAX_LENGTH`, `ANY_OF_MISSING`, `NOT_PASSED`, `OBJECT_REQUIRED`,
//! `ARRAY_LENGTH_LONG`, `ARRAY_LENGTH_SHORT`, `MINIMUM`); two choices are ours and written
//! down: a bad email is `INVALID_FORMAT` (what Auth0 answers in practice, though its list says
//! `FORMAT`), and an unknown property is `OBJECT_ADDITIONAL_PROPERTIES` (z-schema's code; Auth0's
//! list has none for it).
//!
//! The checks stop at what a schema can see: whether a `custom_password_hash` really verifies
//! a password is only known at login.

use serde::Serialize;
use serde_json::{Map, Value};

/// Largest users file Auth0 accepts for one import job: 500 KB.
pub const MAX_FILE_BYTES: usize = 512_000;

/// Fields an upsert may change on an existing user (auth0.md §4.2).
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

/// Keys `app_metadata` must not contain.
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

/// Algorithms of `custom_password_hash.algorithm`.
pub const ALGORITHMS: &[&str] = &[
    "argon2", "bcrypt", "hmac", "ldap", "md4", "md5", "sha1", "sha256", "sha512", "pbkdf2", "scrypt",
];

/// The work factors an imported hash may ask for. Auth0 documents none (its schema page lists
/// the parameters but no maximum); without a bound, a value such as bcrypt cost 31 or PBKDF2
/// with billions of iterations makes the user's first login run for hours. These are Ferry's,
/// chosen well above what real systems store and with a precedent where one exists:
///
/// | algorithm | limit | why |
/// |---|---|---|
/// | bcrypt (`password_hash` too) | cost ≤ 20 | Okta's password import documents workFactor 1–20; cost 20 is about a minute here |
/// | pbkdf2 | `i` ≤ 10,000,000 | OWASP's highest recommendation is 1,300,000 (PBKDF2-HMAC-SHA1), Django's default 1,200,000 |
/// | argon2 | `m` ≤ 262,144 KiB, `t` ≤ 16, `p` ≤ 16 | Google Identity Platform's import caps `t` and `p` at 16; 256 MiB is the mock's memory bound |
/// | scrypt | 128·`blockSize`·`cost` ≤ 256 MiB, `parallelization` ≤ 16, 128·`blockSize`·`cost`·`parallelization` ≤ 1 GiB | the same memory bound, and a bound on the work |
///
/// Beyond them the user fails validation at import (`MAXIMUM`, in Auth0's error shape), and
/// the mock Auth0 refuses to verify such a hash at login as well.
pub mod hash_limits {
    /// bcrypt cost (log2 of the rounds).
    pub const BCRYPT_COST: u64 = 20;
    /// PBKDF2 iterations (`i=`).
    pub const PBKDF2_ITERATIONS: u64 = 10_000_000;
    /// argon2 memory in KiB (`m=`).
    pub const ARGON2_MEMORY_KIB: u64 = 256 * 1024;
    /// argon2 passes (`t=`).
    pub const ARGON2_PASSES: u64 = 16;
    /// argon2 lanes (`p=`).
    pub const ARGON2_LANES: u64 = 16;
    /// scrypt memory, 128·r·N bytes.
    pub const SCRYPT_MEMORY: u128 = 256 * 1024 * 1024;
    /// scrypt parallelization `p`.
    pub const SCRYPT_PARALLELIZATION: u64 = 16;
    /// scrypt work, 128·r·N·p bytes mixed.
    pub const SCRYPT_WORK: u128 = 1024 * 1024 * 1024;
}

/// The first work factor of an imported hash over [`hash_limits`], as `(path suffix, reason)`;
/// `None` when the hash is within them (or carries no work factor). `value` is
/// `hash.value` (or `password_hash`), `spec` the `custom_password_hash` object if any.
pub fn hash_cost_problem(
    algorithm: &str,
    value: &str,
    spec: Option<&Map<String, Value>>,
) -> Option<(&'static str, String)> {
    use hash_limits as max;
    // a number too large for u64 is over every limit
    let number = |text: &str| text.parse::<u64>().unwrap_or(u64::MAX);
    let params = || {
        value
            .split('$')
            .skip(2)
            .flat_map(|segment| segment.split(','))
            .filter_map(|pair| pair.split_once('='))
            .collect::<Vec<_>>()
    };
    let param = |name: &str| params().into_iter().find(|(k, _)| *k == name).map(|(_, v)| number(v));
    let over = |what: String, got: u64, limit: u64| {
        (got > limit).then(|| ("hash.value", format!("{what} {got} is greater than maximum {limit}")))
    };
    match algorithm {
        "bcrypt" => {
            let cost = value.split('$').nth(2).map(number)?;
            over("bcrypt cost".into(), cost, max::BCRYPT_COST)
        }
        "pbkdf2" => over("pbkdf2 iterations i".into(), param("i")?, max::PBKDF2_ITERATIONS),
        "argon2" => [
            ("m", max::ARGON2_MEMORY_KIB),
            ("t", max::ARGON2_PASSES),
            ("p", max::ARGON2_LANES),
        ]
        .into_iter()
        .find_map(|(name, limit)| over(format!("argon2 {name}"), param(name)?, limit)),
        "scrypt" => {
            let spec = spec?;
            let field = |key: &str, default: u64| spec.get(key).and_then(Value::as_u64).unwrap_or(default);
            let (n, r, p) = (
                field("cost", 16_384),
                field("blockSize", 8),
                field("parallelization", 1),
            );
            let memory = 128 * u128::from(n) * u128::from(r);
            if p > max::SCRYPT_PARALLELIZATION {
                Some((
                    "parallelization",
                    format!("Value {p} is greater than maximum {}", max::SCRYPT_PARALLELIZATION),
                ))
            } else if memory > max::SCRYPT_MEMORY {
                Some((
                    "cost",
                    format!(
                        "scrypt memory 128·blockSize·cost = {memory} bytes is greater than maximum {}",
                        max::SCRYPT_MEMORY
                    ),
                ))
            } else if memory * u128::from(p) > max::SCRYPT_WORK {
                Some((
                    "parallelization",
                    format!(
                        "scrypt work 128·blockSize·cost·parallelization = {} bytes is greater than maximum {}",
                        memory * u128::from(p),
                        max::SCRYPT_WORK
                    ),
                ))
            } else {
                None
            }
        }
        _ => None,
    }
}

const TOP_LEVEL: &[&str] = &[
    "email",
    "email_verified",
    "phone_number",
    "phone_verified",
    "user_id",
    "username",
    "given_name",
    "family_name",
    "name",
    "nickname",
    "picture",
    "blocked",
    "password_hash",
    "custom_password_hash",
    "app_metadata",
    "user_metadata",
    "mfa_factors",
];

/// One schema violation of one user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub code: String,
    pub message: String,
    pub path: String,
}

impl Issue {
    fn at(code: &str, path: &str, detail: impl AsRef<str>) -> Self {
        let message = if path.is_empty() {
            detail.as_ref().to_owned()
        } else {
            format!("Error in {path} property - {}", detail.as_ref())
        };
        Self {
            code: code.to_owned(),
            message,
            path: path.to_owned(),
        }
    }
}

/// Connection settings that change what is valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rules {
    /// The connection requires usernames.
    pub requires_username: bool,
    /// Username length bounds (Auth0's defaults: 1 to 15).
    pub username_min: usize,
    pub username_max: usize,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            requires_username: false,
            username_min: 1,
            username_max: 15,
        }
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

struct Checker {
    issues: Vec<Issue>,
}

impl Checker {
    fn push(&mut self, code: &str, path: &str, detail: impl AsRef<str>) {
        self.issues.push(Issue::at(code, path, detail));
    }

    /// Checks the JSON type; returns whether it matched.
    fn expect_type(&mut self, value: &Value, path: &str, want: &str) -> bool {
        let got = type_name(value);
        let ok = got == want || (want == "number" && got == "integer");
        if !ok {
            self.push(
                "INVALID_TYPE",
                path,
                format!("Expected type {want} but found type {got}"),
            );
        }
        ok
    }

    fn string<'v>(&mut self, value: &'v Value, path: &str) -> Option<&'v str> {
        if self.expect_type(value, path, "string") {
            value.as_str()
        } else {
            None
        }
    }

    fn length(&mut self, text: &str, path: &str, min: usize, max: usize) {
        let chars = text.chars().count();
        if chars < min {
            self.push(
                "MIN_LENGTH",
                path,
                format!("String is too short ({chars} chars), minimum {min}"),
            );
        } else if chars > max {
            self.push(
                "MAX_LENGTH",
                path,
                format!("String is too long ({chars} chars), maximum {max}"),
            );
        }
    }

    fn one_of(&mut self, value: &Value, path: &str, allowed: &[&str]) -> Option<String> {
        let text = self.string(value, path)?;
        if allowed.contains(&text) {
            Some(text.to_owned())
        } else {
            self.push("ENUM_MISMATCH", path, format!("No enum match for: {value}"));
            None
        }
    }

    fn object<'v>(
        &mut self,
        value: &'v Value,
        path: &str,
        allowed: &[&str],
        required: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        if !self.expect_type(value, path, "object") {
            return None;
        }
        let map = value.as_object()?;
        for key in required {
            if !map.contains_key(*key) {
                self.push("OBJECT_REQUIRED", path, format!("Missing required property: {key}"));
            }
        }
        let extra: Vec<&str> = map
            .keys()
            .map(String::as_str)
            .filter(|k| !allowed.contains(k))
            .collect();
        if !extra.is_empty() {
            self.push(
                "OBJECT_ADDITIONAL_PROPERTIES",
                path,
                format!("Additional properties not allowed: {}", extra.join(",")),
            );
        }
        Some(map)
    }
}

/// Validates one user of an import file. An empty result means Auth0's schema accepts it.
pub fn validate_user(user: &Value, rules: &Rules) -> Vec<Issue> {
    let mut c = Checker { issues: vec![] };
    let Some(map) = c.object(user, "", TOP_LEVEL, &["email"]) else {
        return c.issues;
    };
    for (key, value) in map {
        let path = key.as_str();
        match path {
            "email" => {
                if let Some(email) = c.string(value, path)
                    && !is_email(email)
                {
                    c.push(
                        "INVALID_FORMAT",
                        path,
                        format!("Object didn't pass validation for format email: {email}"),
                    );
                }
            }
            "email_verified" | "phone_verified" | "blocked" => {
                c.expect_type(value, path, "boolean");
            }
            "phone_number" => {
                if let Some(phone) = c.string(value, path)
                    && !is_e164(phone)
                {
                    c.push(
                        "PATTERN",
                        path,
                        format!("String does not match pattern ^\\+[0-9]{{1,15}}$: {phone}"),
                    );
                }
            }
            "user_id" => {
                if let Some(id) = c.string(value, path) {
                    c.length(id, path, 1, 255);
                }
            }
            "username" => {
                if let Some(username) = c.string(value, path) {
                    c.length(username, path, rules.username_min, rules.username_max);
                    if !username.chars().all(is_username_char) {
                        c.push(
                            "PATTERN",
                            path,
                            format!("String does not match pattern ^[a-zA-Z0-9_+\\-.!#\\$\\^`~@']*$: {username}"),
                        );
                    } else if is_email(username) {
                        c.push(
                            "NOT_PASSED",
                            path,
                            "Data matches schema from 'not' (a username cannot be an email)",
                        );
                    }
                }
            }
            "given_name" | "family_name" | "name" => {
                if let Some(text) = c.string(value, path) {
                    c.length(text, path, 1, 150);
                }
            }
            "nickname" => {
                if let Some(text) = c.string(value, path) {
                    c.length(text, path, 1, 300);
                }
            }
            "picture" => {
                if let Some(url) = c.string(value, path)
                    && !is_uri(url)
                {
                    c.push(
                        "INVALID_FORMAT",
                        path,
                        format!("Object didn't pass validation for format uri: {url}"),
                    );
                }
            }
            "password_hash" => {
                if let Some(hash) = c.string(value, path) {
                    if !is_bcrypt(hash, &["2a", "2b"]) {
                        c.push(
                            "PATTERN",
                            path,
                            "String does not match pattern ^\\$2[ab]\\$[0-9]{2}\\$[./A-Za-z0-9]{53}$: (hash redacted)",
                        );
                    } else if let Some((_, reason)) = hash_cost_problem("bcrypt", hash, None) {
                        c.push("MAXIMUM", path, reason);
                    }
                }
            }
            "custom_password_hash" => custom_password_hash(&mut c, value, path),
            "app_metadata" => {
                if let Some(meta) = value.as_object() {
                    for key in meta.keys() {
                        if RESERVED_APP_METADATA.contains(&key.as_str()) {
                            c.push(
                                "NOT_PASSED",
                                &join(path, key),
                                format!("Data matches schema from 'not' ({key} is reserved)"),
                            );
                        }
                    }
                } else {
                    c.expect_type(value, path, "object");
                }
            }
            "user_metadata" => {
                c.expect_type(value, path, "object");
            }
            "mfa_factors" => mfa_factors(&mut c, value, path),
            _ => {}
        }
    }
    if map.contains_key("password_hash") && map.contains_key("custom_password_hash") {
        c.push(
            "NOT_PASSED",
            "",
            "Data matches schema from 'not' (password_hash and custom_password_hash exclude each other)",
        );
    }
    if rules.requires_username && !map.contains_key("username") {
        c.push("OBJECT_REQUIRED", "", "Missing required property: username");
    }
    c.issues
}

fn custom_password_hash(c: &mut Checker, value: &Value, path: &str) {
    let allowed = [
        "algorithm",
        "hash",
        "salt",
        "password",
        "keylen",
        "cost",
        "blockSize",
        "parallelization",
    ];
    let Some(spec) = c.object(value, path, &allowed, &["algorithm", "hash"]) else {
        return;
    };
    let algorithm = spec
        .get("algorithm")
        .and_then(|a| c.one_of(a, &join(path, "algorithm"), ALGORITHMS));
    let hash_path = join(path, "hash");
    let mut encoding = None;
    if let Some(hash) = spec.get("hash")
        && let Some(hash) = c.object(hash, &hash_path, &["value", "encoding", "digest", "key"], &["value"])
    {
        if let Some(v) = hash.get("value") {
            c.string(v, &join(&hash_path, "value"));
        }
        if let Some(e) = hash.get("encoding") {
            encoding = c.one_of(e, &join(&hash_path, "encoding"), &["base64", "hex", "utf8"]);
        }
        if let Some(d) = hash.get("digest") {
            c.one_of(
                d,
                &join(&hash_path, "digest"),
                &[
                    "md4",
                    "md5",
                    "ripemd160",
                    "sha1",
                    "sha224",
                    "sha256",
                    "sha384",
                    "sha512",
                    "whirlpool",
                ],
            );
        }
        if let Some(key) = hash.get("key") {
            let key_path = join(&hash_path, "key");
            if let Some(key) = c.object(key, &key_path, &["value", "encoding"], &["value"]) {
                if let Some(v) = key.get("value") {
                    c.string(v, &join(&key_path, "value"));
                }
                if let Some(e) = key.get("encoding") {
                    c.one_of(e, &join(&key_path, "encoding"), &["base64", "hex", "utf8"]);
                }
            }
        }
    }
    let salt_path = join(path, "salt");
    if let Some(salt) = spec.get("salt")
        && let Some(salt) = c.object(salt, &salt_path, &["value", "encoding", "position"], &["value"])
    {
        if let Some(v) = salt.get("value") {
            c.string(v, &join(&salt_path, "value"));
        }
        if let Some(e) = salt.get("encoding") {
            c.one_of(e, &join(&salt_path, "encoding"), &["base64", "hex", "utf8"]);
        }
        if let Some(p) = salt.get("position") {
            c.one_of(p, &join(&salt_path, "position"), &["prefix", "suffix"]);
        }
    }
    if let Some(password) = spec.get("password") {
        let password_path = join(path, "password");
        if let Some(password) = c.object(password, &password_path, &["encoding"], &[])
            && let Some(e) = password.get("encoding")
        {
            c.one_of(
                e,
                &join(&password_path, "encoding"),
                &["ascii", "utf8", "utf16le", "ucs2", "latin1", "binary"],
            );
        }
    }
    for key in ["keylen", "cost", "blockSize", "parallelization"] {
        if let Some(v) = spec.get(key) {
            let p = join(path, key);
            if c.expect_type(v, &p, "integer") && v.as_i64().is_some_and(|n| n < 1) {
                c.push("MINIMUM", &p, format!("Value {v} is less than minimum 1"));
            }
        }
    }
    let Some(algorithm) = algorithm else { return };
    // Per-algorithm rules (auth0.md §4.3): in Auth0's schema an anyOf of one branch per
    // algorithm; a user matching none fails with ANY_OF_MISSING.
    let value = spec
        .get("hash")
        .and_then(|h| h.get("value"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let has_salt = spec.contains_key("salt");
    let encoding = encoding.as_deref();
    let problem: Option<String> = match algorithm.as_str() {
        "bcrypt" => (!matches!(encoding, None | Some("utf8")))
            .then(|| "bcrypt hashes use hash.encoding utf8".to_owned())
            .or_else(|| {
                (!is_bcrypt(value, &["2a", "2b", "2y"]))
                    .then(|| "bcrypt hash.value must start with $2a$, $2b$ or $2y$".into())
            }),
        "argon2" => (!matches!(encoding, None | Some("utf8")))
            .then(|| "argon2 hashes use hash.encoding utf8".to_owned())
            .or_else(|| has_salt.then(|| "argon2 takes no salt object (the salt is in the PHC string)".into()))
            .or_else(|| {
                (!value.starts_with("$argon2"))
                    .then(|| "argon2 hash.value must be a PHC string ($argon2id$v=19$...)".into())
            }),
        "pbkdf2" => (!matches!(encoding, None | Some("utf8")))
            .then(|| "pbkdf2 hashes use hash.encoding utf8".to_owned())
            .or_else(|| has_salt.then(|| "pbkdf2 takes no salt object (the salt is in the PHC string)".into()))
            .or_else(|| {
                (!value.starts_with("$pbkdf2"))
                    .then(|| "pbkdf2 hash.value must be a PHC string ($pbkdf2-<digest>$i=...,l=...$salt$hash)".into())
            }),
        "ldap" => (!matches!(encoding, None | Some("utf8")))
            .then(|| "ldap hashes use hash.encoding utf8".to_owned())
            .or_else(|| has_salt.then(|| "ldap takes no salt object".into()))
            .or_else(|| {
                value
                    .to_ascii_uppercase()
                    .starts_with("{CRYPT}")
                    .then(|| "{CRYPT} ldap hashes are not supported".into())
            })
            .or_else(|| {
                (!value.starts_with('{')).then(|| "ldap hash.value must be an RFC 2307 {SCHEME}base64 string".into())
            }),
        "md4" | "md5" | "sha1" | "sha256" | "sha512" => (!matches!(encoding, Some("hex") | Some("base64")))
            .then(|| format!("{algorithm} hashes need hash.encoding hex or base64")),
        "hmac" => (!matches!(encoding, Some("hex") | Some("base64")))
            .then(|| "hmac hashes need hash.encoding hex or base64".to_owned())
            .or_else(|| {
                let hash = spec.get("hash");
                (hash.and_then(|h| h.get("digest")).is_none() || hash.and_then(|h| h.get("key")).is_none())
                    .then(|| "hmac needs hash.digest and hash.key".into())
            }),
        "scrypt" => (!matches!(encoding, Some("hex") | Some("base64")))
            .then(|| "scrypt hashes need hash.encoding hex or base64".to_owned())
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
        c.push(
            "ANY_OF_MISSING",
            path,
            format!("Data does not match any schemas from 'anyOf' ({problem})"),
        );
    } else if let Some((at, reason)) = hash_cost_problem(&algorithm, value, Some(spec)) {
        c.push("MAXIMUM", &join(path, at), reason);
    }
}

fn mfa_factors(c: &mut Checker, value: &Value, path: &str) {
    if !c.expect_type(value, path, "array") {
        return;
    }
    let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
    if items.is_empty() {
        c.push("ARRAY_LENGTH_SHORT", path, "Array is too short (0), minimum 1");
    } else if items.len() > 10 {
        c.push(
            "ARRAY_LENGTH_LONG",
            path,
            format!("Array is too long ({}), maximum 10", items.len()),
        );
    }
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{i}]");
        let Some(factor) = c.object(item, &item_path, &["totp", "phone", "email"], &[]) else {
            continue;
        };
        if factor.len() != 1 {
            c.push(
                "ANY_OF_MISSING",
                &item_path,
                "Data does not match any schemas from 'anyOf' (exactly one of totp, phone, email)",
            );
            continue;
        }
        for (kind, spec) in factor {
            let kind_path = join(&item_path, kind);
            let field = if kind == "totp" { "secret" } else { "value" };
            let Some(spec) = c.object(spec, &kind_path, &[field], &[field]) else {
                continue;
            };
            let Some(text) = spec.get(field).and_then(|v| c.string(v, &join(&kind_path, field))) else {
                continue;
            };
            let ok = match kind.as_str() {
                "totp" => {
                    !text.is_empty()
                        && text
                            .chars()
                            .all(|ch| ch.is_ascii_uppercase() || ('2'..='7').contains(&ch))
                }
                "phone" => is_e164(text),
                _ => is_email(text),
            };
            if !ok {
                c.push(
                    "PATTERN",
                    &join(&kind_path, field),
                    format!("String does not match the {kind} pattern: {text}"),
                );
            }
        }
    }
}

/// An email as Auth0's schema accepts it: one `@`, a local part of 1 to 64 characters and a
/// dotted domain, at most 254 characters, no spaces; UTF-8 letters allowed.
pub fn is_email(text: &str) -> bool {
    if text.len() > 254 || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    if local.is_empty()
        || local.chars().count() > 64
        || local.contains('@')
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
    {
        return false;
    }
    if local
        .chars()
        .any(|c| matches!(c, '(' | ')' | ',' | ':' | ';' | '<' | '>' | '[' | ']' | '\\' | '"'))
    {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().count() >= 2 && !tld.chars().all(|c| c.is_ascii_digit()))
}

fn is_e164(text: &str) -> bool {
    text.strip_prefix('+')
        .is_some_and(|d| (1..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

fn is_username_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+-.!#$^`~@'".contains(c)
}

fn is_uri(text: &str) -> bool {
    match text.split_once("://") {
        Some((scheme, rest)) => {
            !scheme.is_empty()
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && !rest.is_empty()
                && !text.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// A bcrypt MCF string with one of the given version prefixes (`2a`, `2b`, ...).
pub fn is_bcrypt(text: &str, versions: &[&str]) -> bool {
    let parts: Vec<&str> = text.split('$').collect();
    parts.len() == 4
        && parts[0].is_empty()
        && versions.contains(&parts[1])
        && parts[2].len() == 2
        && parts[2].bytes().all(|b| b.is_ascii_digit())
        && parts[3].len() == 53
        && parts[3]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/')
}

/// The user as Auth0 shows it in a job's error listing: hash values replaced by `*****`.
pub fn redact(user: &Value) -> Value {
    let mut user = user.clone();
    if let Some(map) = user.as_object_mut() {
        if map.contains_key("password_hash") {
            map.insert("password_hash".into(), Value::String("*****".into()));
        }
        if let Some(Value::Object(custom)) = map.get_mut("custom_password_hash") {
            if let Some(Value::Object(hash)) = custom.get_mut("hash") {
                if hash.contains_key("value") {
                    hash.insert("value".into(), Value::String("*****".into()));
                }
                if let Some(Value::Object(key)) = hash.get_mut("key")
                    && key.contains_key("value")
                {
                    key.insert("value".into(), Value::String("*****".into()));
                }
            }
            if let Some(Value::Object(salt)) = custom.get_mut("salt")
                && salt.contains_key("value")
            {
                salt.insert("value".into(), Value::String("*****".into()));
            }
        }
    }
    user
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[allow(clippy::needless_pass_by_value)] // tests read better with json!(...) inline
    fn check(user: Value) -> Vec<(String, String)> {
        let user = &user;
        validate_user(user, &Rules::default())
            .into_iter()
            .map(|i| (i.code, i.message))
            .collect()
    }

    #[test]
    fn a_plain_user_passes() {
        assert!(check(json!({"email": "jane@example.com", "email_verified": true, "name": "Jane"})).is_empty());
        assert!(
            check(json!({"email": "jörg.müller@exämple.de"})).is_empty(),
            "UTF-8 letters are fine"
        );
    }

    #[test]
    fn email_is_required_and_checked() {
        assert_eq!(
            check(json!({"name": "x"})),
            [("OBJECT_REQUIRED".into(), "Missing required property: email".into())]
        );
        assert_eq!(
            check(json!({"email": "jane@"})),
            [(
                "INVALID_FORMAT".into(),
                "Error in email property - Object didn't pass validation for format email: jane@".into()
            )]
        );
        assert_eq!(
            check(json!({"email": 42})),
            [(
                "INVALID_TYPE".into(),
                "Error in email property - Expected type string but found type integer".into()
            )]
        );
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert_eq!(check(json!({ "email": long_local })).len(), 1);
    }

    #[test]
    fn unknown_fields_and_lengths() {
        assert_eq!(
            check(json!({"email": "a@b.co", "favourite_colour": "red"})),
            [(
                "OBJECT_ADDITIONAL_PROPERTIES".into(),
                "Additional properties not allowed: favourite_colour".into()
            )]
        );
        assert_eq!(
            check(json!({"email": "a@b.co", "given_name": "x".repeat(151)})),
            [(
                "MAX_LENGTH".into(),
                "Error in given_name property - String is too long (151 chars), maximum 150".into()
            )]
        );
        assert_eq!(check(json!({"email": "a@b.co", "name": ""}))[0].0, "MIN_LENGTH");
        assert_eq!(
            check(json!({"email": "a@b.co", "username": "this-is-much-too-long"}))[0].0,
            "MAX_LENGTH"
        );
        assert_eq!(check(json!({"email": "a@b.co", "username": "sp ace"}))[0].0, "PATTERN");
    }

    #[test]
    fn hashes_follow_the_per_algorithm_rules() {
        let bcrypt = "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K";
        assert!(check(json!({"email": "a@b.co", "password_hash": bcrypt})).is_empty());
        assert_eq!(
            check(json!({"email": "a@b.co", "password_hash": "$2x$10$abc"}))[0].0,
            "PATTERN"
        );
        assert!(
            check(json!({"email": "a@b.co", "custom_password_hash": {"algorithm": "sha256", "hash": {"value": "abc", "encoding": "hex"}}}))
                .is_empty()
        );
        assert_eq!(
            check(json!({"email": "a@b.co", "custom_password_hash": {"algorithm": "sha256", "hash": {"value": "abc", "encoding": "utf8"}}}))[0].0,
            "ANY_OF_MISSING"
        );
        assert_eq!(
            check(json!({"email": "a@b.co", "custom_password_hash": {"algorithm": "crc32", "hash": {"value": "x"}}}))
                [0],
            (
                "ENUM_MISMATCH".into(),
                "Error in custom_password_hash.algorithm property - No enum match for: \"crc32\"".into()
            )
        );
        assert_eq!(
            check(json!({"email": "a@b.co", "password_hash": bcrypt, "custom_password_hash": {"algorithm": "bcrypt", "hash": {"value": bcrypt}}}))[0].0,
            "NOT_PASSED"
        );
    }

    #[test]
    fn reserved_app_metadata_and_mfa_factors() {
        assert_eq!(
            check(json!({"email": "a@b.co", "app_metadata": {"plan": "gold", "user_id": "x"}}))[0].0,
            "NOT_PASSED"
        );
        assert!(
            check(json!({"email": "a@b.co", "mfa_factors": [{"totp": {"secret": "JBSWY3DPEHPK3PXP"}}]})).is_empty()
        );
        assert_eq!(
            check(json!({"email": "a@b.co", "mfa_factors": []}))[0].0,
            "ARRAY_LENGTH_SHORT"
        );
        assert_eq!(
            check(json!({"email": "a@b.co", "mfa_factors": [{"phone": {"value": "555"}}]}))[0].0,
            "PATTERN"
        );
    }

    #[test]
    fn redaction_hides_every_secret() {
        let user = json!({"email": "a@b.co", "custom_password_hash": {"algorithm": "hmac", "hash": {"value": "h", "digest": "sha1", "key": {"value": "k"}}, "salt": {"value": "s"}}});
        let shown = redact(&user).to_string();
        assert!(
            !shown.contains("\"h\"") && !shown.contains("\"k\"") && !shown.contains("\"s\""),
            "{shown}"
        );
    }

    #[test]
    fn work_factors_over_the_limits_fail_with_maximum() {
        let custom = |algorithm: &str, value: &str| {
            check(
                json!({"email": "a@b.co", "custom_password_hash": {"algorithm": algorithm, "hash": {"value": value, "encoding": "utf8"}}}),
            )
        };
        // at the limits: accepted
        assert!(custom("pbkdf2", "$pbkdf2-sha256$i=10000000,l=32$c2FsdA$aGFzaA").is_empty());
        assert!(custom("argon2", "$argon2id$v=19$m=262144,t=16,p=16$c2FsdHNhbHQ$aGFzaA").is_empty());
        assert!(custom("bcrypt", "$2b$20$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K").is_empty());
        // over them, with numbers too large for 64 bits
        for (algorithm, value, detail) in [
            (
                "pbkdf2",
                "$pbkdf2-sha256$i=10000001,l=32$c2FsdA$aGFzaA",
                "pbkdf2 iterations i 10000001 is greater than maximum 10000000",
            ),
            (
                "pbkdf2",
                "$pbkdf2-sha256$i=99999999999999999999999,l=32$c2FsdA$aGFzaA",
                "pbkdf2 iterations i 18446744073709551615 is greater than maximum 10000000",
            ),
            (
                "argon2",
                "$argon2id$v=19$m=262145,t=2,p=1$c2FsdHNhbHQ$aGFzaA",
                "argon2 m 262145 is greater than maximum 262144",
            ),
            (
                "argon2",
                "$argon2i$m=4096,t=17,p=1$c2FsdHNhbHQ$aGFzaA",
                "argon2 t 17 is greater than maximum 16",
            ),
            (
                "bcrypt",
                "$2y$21$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K",
                "bcrypt cost 21 is greater than maximum 20",
            ),
        ] {
            assert_eq!(
                custom(algorithm, value),
                vec![(
                    "MAXIMUM".to_owned(),
                    format!("Error in custom_password_hash.hash.value property - {detail}")
                )],
                "{value}"
            );
        }
        let scrypt = |cost: u64, r: u64, p: u64| {
            check(
                json!({"email": "a@b.co", "custom_password_hash": {"algorithm": "scrypt", "hash": {"value": "00", "encoding": "hex"},
                "keylen": 1, "cost": cost, "blockSize": r, "parallelization": p}}),
            )
        };
        assert!(scrypt(262_144, 8, 4).is_empty());
        assert_eq!(scrypt(262_144, 8, 5)[0].0, "MAXIMUM");
        assert_eq!(scrypt(524_288, 8, 1)[0].0, "MAXIMUM");
        assert_eq!(
            scrypt(2, 1, 17)[0].1,
            "Error in custom_password_hash.parallelization property - Value 17 is greater than maximum 16"
        );
        assert_eq!(
            check(
                json!({"email": "a@b.co", "password_hash": "$2b$25$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K"})
            ),
            vec![(
                "MAXIMUM".to_owned(),
                "Error in password_hash property - bcrypt cost 25 is greater than maximum 20".to_owned()
            )]
        );
    }
}
