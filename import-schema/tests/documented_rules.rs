//! The rules beyond the published schema (`import_schema::documented`), each with the page that
//! states it, and Ferry's hash work-factor limits (FIDELITY.md, "Auth0: the bulk-import schema").

use import_schema::documented::{BOTH_HASHES, InFileKey, in_file_keys};
use import_schema::{Rules, redact, validate_user};
use serde_json::{Value, json};

fn issues_with(user: &Value, rules: &Rules) -> Vec<(String, String, String)> {
    validate_user(user, rules)
        .into_iter()
        .map(|i| (i.code, i.path, i.message))
        .collect()
}

fn issues(user: &Value) -> Vec<(String, String, String)> {
    issues_with(user, &Rules::default())
}

fn one(code: &str, path: &str, message: &str) -> Vec<(String, String, String)> {
    vec![(code.to_owned(), path.to_owned(), message.to_owned())]
}

/// Profile attribute schema: "Phone numbers must be in E.164 format and are validated against
/// the regular expression ^\+[0-9]{1,15}$"; the import schema's description says E.164 too.
#[test]
fn phone_numbers_are_e164() {
    assert!(issues(&json!({"email": "a@b.co", "phone_number": "+12125550001"})).is_empty());
    assert_eq!(
        issues(&json!({"email": "a@b.co", "phone_number": "212-555-0001"})),
        one(
            "PATTERN",
            "phone_number",
            "Error in phone_number property - String does not match pattern ^\\+[0-9]{1,15}$: 212-555-0001"
        )
    );
    assert_eq!(
        issues(&json!({"email": "a@b.co", "phone_number": "+1234567890123456"}))[0].0,
        "PATTERN"
    );
}

/// Profile attribute schema: given_name, family_name, name 1-150 characters, nickname 1-350,
/// any UTF-8 (counted in characters).
#[test]
fn profile_lengths() {
    for (field, max) in [
        ("given_name", 150),
        ("family_name", 150),
        ("name", 150),
        ("nickname", 350),
    ] {
        assert!(
            issues(&json!({"email": "a@b.co", field: "é".repeat(max)})).is_empty(),
            "{field} at {max}"
        );
        assert_eq!(
            issues(&json!({"email": "a@b.co", field: "x".repeat(max + 1)})),
            one(
                "MAX_LENGTH",
                field,
                &format!(
                    "Error in {field} property - String is too long ({} chars), maximum {max}",
                    max + 1
                )
            )
        );
        assert_eq!(
            issues(&json!({"email": "a@b.co", field: ""})),
            one(
                "MIN_LENGTH",
                field,
                &format!("Error in {field} property - String is too short (0 chars), minimum 1")
            )
        );
    }
}

/// Profile attribute schema, username: 1-15 characters by default (the connection may allow up
/// to 128), ASCII letters and digits and the listed symbols, not an email; a connection that
/// requires usernames refuses a user without one.
#[test]
fn usernames() {
    assert!(issues(&json!({"email": "a@b.co", "username": "jane.doe+1"})).is_empty());
    assert_eq!(
        issues(&json!({"email": "a@b.co", "username": "this-is-much-too-long"})),
        one(
            "MAX_LENGTH",
            "username",
            "Error in username property - String is too long (21 chars), maximum 15"
        )
    );
    let wide = Rules {
        username_max: 128,
        ..Rules::default()
    };
    assert!(issues_with(&json!({"email": "a@b.co", "username": "this-is-much-too-long"}), &wide).is_empty());
    assert_eq!(
        issues(&json!({"email": "a@b.co", "username": "jörg"})),
        one(
            "PATTERN",
            "username",
            "Error in username property - String does not match pattern ^[a-zA-Z0-9_+\\-.!#\\$\\^`~@']*$: jörg"
        )
    );
    assert_eq!(
        issues(&json!({"email": "a@b.co", "username": "j@b.co"})),
        one(
            "NOT_PASSED",
            "username",
            "Error in username property - Data matches schema from 'not' (a username cannot be an email)"
        )
    );
    let required = Rules {
        requires_username: true,
        ..Rules::default()
    };
    assert_eq!(
        issues_with(&json!({"email": "a@b.co"}), &required),
        one("OBJECT_REQUIRED", "", "Missing required property: username")
    );
}

/// Import schema page, "App metadata": app_metadata must not contain the listed properties.
#[test]
fn reserved_app_metadata_keys() {
    assert_eq!(
        issues(&json!({"email": "a@b.co", "app_metadata": {"plan": "gold", "user_id": "x"}})),
        one(
            "NOT_PASSED",
            "app_metadata.user_id",
            "Error in app_metadata.user_id property - Data matches schema from 'not' (user_id is reserved)"
        )
    );
    for key in import_schema::RESERVED_APP_METADATA {
        assert_eq!(
            issues(&json!({"email": "a@b.co", "app_metadata": {*key: 1}})).len(),
            1,
            "{key}"
        );
    }
    assert!(issues(&json!({"email": "a@b.co", "user_metadata": {"user_id": "x"}})).is_empty());
}

/// Auth0's import job takes a `password_hash` only as bcrypt `$2a$`/`$2b$` (or `$2$`) at cost
/// 10, and lists `Error in passwordHash property - String does not match pattern
/// ^\$2[ab]?\$10+\$[./A-Za-z0-9]{53}$` otherwise (support.auth0.com, "User Import Fails with
/// Error: Error in passwordHash Property - String does not Match Pattern"). The published schema
/// says only `{"type": "string"}`; the job is stricter, and so is Ferry.
#[test]
fn password_hash_is_bcrypt_at_cost_10() {
    // FIDELITY: auth0/import-password-hash-pattern
    let salt_and_hash = "nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K";
    for prefix in ["$2a$10$", "$2b$10$", "$2$10$"] {
        let hash = format!("{prefix}{salt_and_hash}");
        assert!(
            issues(&json!({"email": "a@b.co", "password_hash": hash})).is_empty(),
            "{hash}"
        );
    }
    let refused = one(
        "PATTERN",
        "passwordHash",
        "Error in passwordHash property - String does not match pattern ^\\$2[ab]?\\$10+\\$[./A-Za-z0-9]{53}$",
    );
    for hash in [
        format!("$2y$10${salt_and_hash}"),
        format!("$2x$10${salt_and_hash}"),
        format!("$2b$04${salt_and_hash}"),
        format!("$2b$12${salt_and_hash}"),
        format!("$2b$10${salt_and_hash}x"),
        format!("$2b$10${}", &salt_and_hash[1..]),
        format!("$2b$10${salt_and_hash}\n"),
        format!("$2b$10${}!", &salt_and_hash[1..]),
        "$2b$1$".to_owned() + salt_and_hash,
        "5f4dcc3b5aa765d61d8327deb882cf99".to_owned(),
        "$6$rounds=5000$salt$hash".to_owned(),
        String::new(),
    ] {
        assert_eq!(
            issues(&json!({"email": "a@b.co", "password_hash": hash})),
            refused,
            "{hash:?}"
        );
    }
    // the value itself is never in the message (it is a secret)
    assert!(!refused[0].2.contains(salt_and_hash));
    // the refusal is recognised by its message, as a report reads it (Auth0's job lists it the
    // same way), and no other error is taken for it
    assert!(import_schema::refuses_password_hash(&refused[0].2));
    assert!(import_schema::refuses_password_hash(&format!(
        "PATTERN: {}",
        refused[0].2
    )));
    for other in [
        "Error in password_hash property - bcrypt cost 100 is greater than maximum 20",
        "Error in passwordHashes property - String is too long (9 chars), maximum 1",
        "Error in email property - Object didn't pass validation for format email: passwordHash",
        "Forbidden attribute in appUser: ",
    ] {
        assert!(!import_schema::refuses_password_hash(other), "{other}");
    }
}

/// "This field and password_hash are mutually exclusive"; the observed error is NOT_PASSED
/// "Forbidden attribute in appUser: ".
#[test]
fn the_two_hash_fields_exclude_each_other() {
    let bcrypt = "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K";
    assert_eq!(
        issues(
            &json!({"email": "a@b.co", "password_hash": bcrypt, "custom_password_hash": {"algorithm": "bcrypt", "hash": {"value": bcrypt}}})
        ),
        one("NOT_PASSED", "", BOTH_HASHES)
    );
    assert_eq!(BOTH_HASHES, "Forbidden attribute in appUser: ");
}

fn custom(spec: &Value) -> Vec<(String, String, String)> {
    issues(&json!({"email": "a@b.co", "custom_password_hash": spec}))
}

fn any_of(reason: &str) -> Vec<(String, String, String)> {
    one(
        "ANY_OF_MISSING",
        "custom_password_hash",
        &format!("Error in custom_password_hash property - Data does not match any schemas from 'anyOf' ({reason})"),
    )
}

/// The import schema page's per-algorithm tabs.
#[test]
fn per_algorithm_rules() {
    // bcrypt: utf8, salt allowed, one of three prefixes
    assert!(custom(&json!({"algorithm": "bcrypt", "hash": {"value": "$2a$10$x"}, "salt": {"value": "s"}})).is_empty());
    assert_eq!(
        custom(&json!({"algorithm": "bcrypt", "hash": {"value": "$2x$10$x"}})),
        any_of("bcrypt hash.value must start with $2a$, $2b$ or $2y$")
    );
    assert_eq!(
        custom(&json!({"algorithm": "bcrypt", "hash": {"value": "$2b$10$x", "encoding": "hex"}})),
        any_of("bcrypt hashes use hash.encoding utf8")
    );
    // argon2 and pbkdf2: utf8, no salt object, a PHC string
    assert_eq!(
        custom(
            &json!({"algorithm": "argon2", "hash": {"value": "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA"}, "salt": {"value": "s"}})
        ),
        any_of("argon2 takes no salt object (the salt is in the PHC string)")
    );
    assert_eq!(
        custom(&json!({"algorithm": "argon2", "hash": {"value": "abc"}})),
        any_of("argon2 hash.value must be a PHC string ($argon2id$v=19$...)")
    );
    assert_eq!(
        custom(
            &json!({"algorithm": "pbkdf2", "hash": {"value": "$pbkdf2-sha256$i=1000,l=32$c2FsdA$aGFzaA", "encoding": "base64"}})
        ),
        any_of("pbkdf2 hashes use hash.encoding utf8")
    );
    assert_eq!(
        custom(&json!({"algorithm": "pbkdf2", "hash": {"value": "sha256:1000:c2FsdA:aGFzaA"}})),
        any_of("pbkdf2 hash.value must be a PHC string ($pbkdf2-<digest>$i=...,l=...$salt$hash)")
    );
    // ldap: utf8, no salt, {SCHEME} of md5, smd5, sha*, ssha*; {CRYPT} unsupported
    for scheme in ["MD5", "SMD5", "SHA", "SSHA", "SHA256", "SSHA512"] {
        assert!(
            custom(&json!({"algorithm": "ldap", "hash": {"value": format!("{{{scheme}}}AAAA")}})).is_empty(),
            "{scheme}"
        );
    }
    assert_eq!(
        custom(&json!({"algorithm": "ldap", "hash": {"value": "{CRYPT}$1$abc"}})),
        any_of("{CRYPT} ldap hashes are not supported")
    );
    assert_eq!(
        custom(&json!({"algorithm": "ldap", "hash": {"value": "{PLAIN}secret"}})),
        any_of("ldap scheme {plain} is not one of md5, smd5, sha*, ssha*")
    );
    assert_eq!(
        custom(&json!({"algorithm": "ldap", "hash": {"value": "AAAA"}})),
        any_of("ldap hash.value must be an RFC 2307 {SCHEME}base64 string")
    );
    // the plain digests: hex or base64 (so an encoding must be given)
    for algorithm in ["md4", "md5", "sha1", "sha256", "sha512"] {
        assert!(
            custom(
                &json!({"algorithm": algorithm, "hash": {"value": "00", "encoding": "hex"}, "salt": {"value": "s"}})
            )
            .is_empty()
        );
        assert_eq!(
            custom(&json!({"algorithm": algorithm, "hash": {"value": "00"}})),
            any_of(&format!("{algorithm} hashes need hash.encoding hex or base64"))
        );
    }
    // hmac: hex or base64, digest and key required
    assert_eq!(
        custom(&json!({"algorithm": "hmac", "hash": {"value": "00", "encoding": "hex", "digest": "sha1"}})),
        any_of("hmac needs hash.digest and hash.key")
    );
    // scrypt: hex or base64, keylen required, cost a power of two over 1
    assert_eq!(
        custom(&json!({"algorithm": "scrypt", "hash": {"value": "00", "encoding": "hex"}})),
        any_of("scrypt needs keylen")
    );
    assert_eq!(
        custom(&json!({"algorithm": "scrypt", "hash": {"value": "00", "encoding": "hex"}, "keylen": 32, "cost": 1000})),
        any_of("scrypt cost 1000 is not a power of two greater than 1")
    );
    // keylen "greater than zero", blockSize and parallelization "a positive integer"
    assert_eq!(
        custom(&json!({"algorithm": "scrypt", "hash": {"value": "00", "encoding": "hex"}, "keylen": 0})),
        one(
            "MINIMUM",
            "custom_password_hash.keylen",
            "Error in custom_password_hash.keylen property - Value 0 is less than minimum 1"
        )
    );
}

/// Ferry's limits on hash work factors (`import_schema::hash_limits`): Auth0 documents none.
#[test]
fn work_factors_over_the_limits_fail_with_maximum() {
    let utf8 = |algorithm: &str, value: &str| {
        custom(&json!({"algorithm": algorithm, "hash": {"value": value, "encoding": "utf8"}}))
    };
    // at the limits: accepted
    assert!(utf8("pbkdf2", "$pbkdf2-sha256$i=10000000,l=32$c2FsdA$aGFzaA").is_empty());
    assert!(utf8("argon2", "$argon2id$v=19$m=262144,t=16,p=16$c2FsdHNhbHQ$aGFzaA").is_empty());
    assert!(utf8("bcrypt", "$2b$20$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K").is_empty());
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
            utf8(algorithm, value),
            one(
                "MAXIMUM",
                "custom_password_hash.hash.value",
                &format!("Error in custom_password_hash.hash.value property - {detail}")
            ),
            "{value}"
        );
    }
    // a parameter that is not a number bounds nothing
    assert!(utf8("pbkdf2", "$pbkdf2-sha256$i=many,l=32$c2FsdA$aGFzaA").is_empty());
    let scrypt = |cost: u64, r: u64, p: u64| {
        custom(
            &json!({"algorithm": "scrypt", "hash": {"value": "00", "encoding": "hex"}, "keylen": 1, "cost": cost, "blockSize": r, "parallelization": p}),
        )
    };
    assert!(scrypt(262_144, 8, 4).is_empty());
    assert_eq!(scrypt(262_144, 8, 5)[0].0, "MAXIMUM");
    assert_eq!(scrypt(524_288, 8, 1)[0].0, "MAXIMUM");
    assert_eq!(
        scrypt(2, 1, 17)[0].2,
        "Error in custom_password_hash.parallelization property - Value 17 is greater than maximum 16"
    );
    // password_hash: the job's pattern takes `$2b$100$…` (its `10+`); Ferry's cost limit then
    // refuses it, so a login never starts a hash that does not end
    assert_eq!(
        issues(
            &json!({"email": "a@b.co", "password_hash": "$2b$100$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K"})
        ),
        one(
            "MAXIMUM",
            "password_hash",
            "Error in password_hash property - bcrypt cost 100 is greater than maximum 20"
        )
    );
}

/// Bulk imports page, "Limits": duplicated entries in one file are errors; the keys are the
/// email and username (without case) and the user_id.
#[test]
fn in_file_keys_are_email_username_and_user_id() {
    let user = json!({"email": "Jane@Example.com", "username": "JANE", "user_id": "Id-1", "name": "x"});
    let keys: Vec<(InFileKey, String)> = in_file_keys(user.as_object().expect("object")).collect();
    assert_eq!(
        keys,
        [
            (InFileKey::Email, "jane@example.com".to_owned()),
            (InFileKey::Username, "jane".to_owned()),
            (InFileKey::UserId, "Id-1".to_owned()),
        ]
    );
    assert_eq!(
        in_file_keys(json!({"name": "x"}).as_object().expect("object")).count(),
        0
    );
}

#[test]
fn redaction_hides_every_secret() {
    let user = json!({"email": "a@b.co", "password_hash": "p", "custom_password_hash": {"algorithm": "hmac", "hash": {"value": "h", "digest": "sha1", "key": {"value": "k"}}, "salt": {"value": "s"}}});
    let shown = redact(&user).to_string();
    for secret in ["\"p\"", "\"h\"", "\"k\"", "\"s\""] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("*****"));
}

proptest::proptest! {
    /// Whatever a file holds, validation answers and never panics (emails, usernames and hashes
    /// are sliced and measured; a multi-byte character anywhere must not trip them).
    #[test]
    fn any_strings_are_judged_without_panicking(
        email in "[a-zA-Zé😀\"@.\\\\ xn-]{0,40}",
        other in "[a-zA-Z0-9é😀\"@.${}=,\\\\ -]{0,40}",
    ) {
        let _ = import_schema::is_email(&email);
        let user = json!({"email": email, "username": other, "password_hash": other, "phone_number": other,
            "custom_password_hash": {"algorithm": "ldap", "hash": {"value": other}}});
        let _ = validate_user(&user, &Rules::default());
        for algorithm in import_schema::ALGORITHMS {
            let _ = import_schema::hash_cost_problem(algorithm, &other, None);
        }
    }
}
