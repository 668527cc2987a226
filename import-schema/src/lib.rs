//! Auth0's bulk user import schema (auth0.md §4), as one validator shared by Ferry's migration
//! engine (which checks every user before it uploads a file, and `ferry check`) and its mock
//! Auth0 (which checks them again when a job runs, as Auth0 does).
//!
//! Three layers, each in its own module and each with its source:
//! - [`schema`]: the JSON Schema Auth0 publishes for import files, kept verbatim in
//!   `schema/users-import.schema.json` (source in `schema/README.md`) and validated as Auth0
//!   validates it (z-schema, draft-04), its errors in Auth0's codes and wording;
//! - [`documented`]: what Auth0's pages require beyond the schema (profile lengths, username
//!   characters, E.164 phones, reserved `app_metadata` keys, the two hash fields excluding each
//!   other, the per-algorithm `custom_password_hash` rules, duplicates inside a file), each with
//!   the page that says it; plus [`hash_limits`], Ferry's own bounds on hash work factors;
//! - [`file`](mod@file): the 500 KB file limit and Auth0's 413 for it.
//!
//! A failure is reported per user as `{"code", "message", "path"}`, the message shaped like
//! `Error in email property - Object didn't pass validation for format email: jane@` (seen in
//! real job error listings). The checks stop at what a schema can see: whether a
//! `custom_password_hash` really verifies a password is only known at login.

pub mod documented;
mod email;
pub mod file;
pub mod schema;

use serde::Serialize;
use serde_json::{Map, Value};

pub use documented::{
    ALGORITHMS, PASSWORD_HASH_ADVICE, PASSWORD_HASH_PATTERN, RESERVED_APP_METADATA, UPSERTABLE, password_hash_accepted,
    refuses_password_hash,
};
pub use email::is_email;
pub use file::MAX_FILE_BYTES;

/// One failure of one user, as Auth0 lists it under a job's errors.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub code: String,
    pub message: String,
    pub path: String,
}

impl Issue {
    /// An issue at `path` (dotted, `""` for the user itself): `Error in <path> property -
    /// <detail>`, or the bare detail for the user itself.
    pub fn at(code: &str, path: &str, detail: impl AsRef<str>) -> Self {
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

/// Validates one user of an import file: the published schema, then the documented rules. An
/// empty result means Auth0 accepts the user (as far as the file alone can tell).
pub fn validate_user(user: &Value, rules: &Rules) -> Vec<Issue> {
    let mut issues = Vec::new();
    schema::validate(user, &mut issues);
    documented::check(user, rules, &mut issues);
    issues
}

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
    // a number too large for u64 is over every limit; a parameter that is not a number is no
    // work factor to bound (the hash will not verify, which is the login's business)
    let number = |text: &str| {
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse::<u64>().unwrap_or(u64::MAX))
    };
    let params = || {
        value
            .split('$')
            .skip(2)
            .flat_map(|segment| segment.split(','))
            .filter_map(|pair| pair.split_once('='))
            .collect::<Vec<_>>()
    };
    let param = |name: &str| {
        params()
            .into_iter()
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| number(v))
    };
    let over = |what: String, got: u64, limit: u64| {
        (got > limit).then(|| ("hash.value", format!("{what} {got} is greater than maximum {limit}")))
    };
    match algorithm {
        "bcrypt" => {
            let cost = value.split('$').nth(2).and_then(number)?;
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
