//! Every error the published schema can produce, with Auth0's code, message and path
//! (FIDELITY.md, "Auth0: the bulk-import schema").
//!
//! The schema document uses these keywords and no others (a test below holds it to that):
//! `type`, `properties`, `required`, `additionalProperties`, `enum`, `format`, `pattern`,
//! `items`, `minItems`, `maxItems`, `maxProperties`, plus `default` and `description`, which
//! validate nothing. Their errors are z-schema's `INVALID_TYPE`, `OBJECT_MISSING_REQUIRED_PROPERTY`
//! (Auth0: `OBJECT_REQUIRED`), `OBJECT_ADDITIONAL_PROPERTIES`, `ENUM_MISMATCH`, `INVALID_FORMAT`,
//! `PATTERN`, `ARRAY_LENGTH_SHORT`, `ARRAY_LENGTH_LONG` and `OBJECT_PROPERTIES_MAXIMUM`.

use import_schema::{Rules, validate_user};
use serde_json::{Value, json};

fn issues(user: &Value) -> Vec<(String, String, String)> {
    validate_user(user, &Rules::default())
        .into_iter()
        .map(|i| (i.code, i.path, i.message))
        .collect()
}

fn one(code: &str, path: &str, message: &str) -> Vec<(String, String, String)> {
    vec![(code.to_owned(), path.to_owned(), message.to_owned())]
}

#[test]
fn the_document_is_the_published_one_and_uses_only_draft_04_keywords() {
    // FIDELITY: auth0/import-schema
    let document: Value = serde_json::from_str(import_schema::schema::DOCUMENT).expect("JSON");
    assert_eq!(document["required"], json!(["email"]));
    assert_eq!(document["additionalProperties"], json!(false));
    let properties: Vec<&str> = document["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        properties,
        [
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
            "mfa_factors"
        ]
    );
    // Every keyword the error mapping has a test for (or that validates nothing); a new version
    // of the page using another keyword fails here until its errors are mapped and tested.
    const KNOWN: &[&str] = &[
        "type",
        "properties",
        "required",
        "additionalProperties",
        "enum",
        "format",
        "pattern",
        "items",
        "minItems",
        "maxItems",
        "maxProperties",
        "default",
        "description",
    ];
    fn walk(schema: &Value, seen: &mut Vec<String>) {
        let Some(map) = schema.as_object() else { return };
        for (keyword, value) in map {
            seen.push(keyword.clone());
            match keyword.as_str() {
                "properties" => value.as_object().into_iter().flatten().for_each(|(_, s)| walk(s, seen)),
                "items" => walk(value, seen),
                _ => {}
            }
        }
    }
    let mut seen = vec![];
    walk(&document, &mut seen);
    let unknown: Vec<&String> = seen.iter().filter(|k| !KNOWN.contains(&k.as_str())).collect();
    assert!(
        unknown.is_empty(),
        "keywords without a mapped, tested error: {unknown:?}"
    );
    // the only format is email, the one replaced by z-schema's
    assert!(!import_schema::schema::DOCUMENT.contains("\"format\": \"uri\""));
}

#[test]
fn valid_users_pass() {
    for user in [
        json!({"email": "jane@example.com"}),
        json!({"email": "jane@example.com", "email_verified": true, "phone_number": "+12125550001", "phone_verified": false,
            "user_id": "42", "username": "jane", "given_name": "Jane", "family_name": "Doe", "name": "Jane Doe",
            "nickname": "jd", "picture": "https://example.com/j.png", "blocked": false,
            "app_metadata": {"plan": "gold"}, "user_metadata": {"theme": "light"},
            "mfa_factors": [{"totp": {"secret": "JBTWY3DPEHPK3PNP"}}, {"phone": {"value": "+12125550001"}}, {"email": {"value": "j@example.com"}}]}),
    ] {
        assert_eq!(issues(&user), vec![], "{user}");
    }
}

/// The documentation page's own examples ("User data JSON examples") pass.
#[test]
fn the_pages_examples_pass() {
    let examples = json!([
        {"email": "john.doe@example.com", "email_verified": false, "app_metadata": {"roles": ["admin"], "plan": "premium"}, "user_metadata": {"theme": "light"}},
        {"email": "antoinette@example.com", "email_verified": false, "custom_password_hash": {"algorithm": "md4", "hash": {"value": "AbuUujgF0pPPkJPSFRTpmA==", "encoding": "base64"}}},
        {"email": "mary@example.com", "email_verified": false, "custom_password_hash": {"algorithm": "sha256", "hash": {"value": "d24e794fce503c3ddb1cd1ba1dd5d9b250cf9917336a0316fefd87fecf79200f", "encoding": "hex"}, "salt": {"value": "abc123", "position": "prefix"}}},
        {"email": "velma@example.com", "email_verified": false, "custom_password_hash": {"algorithm": "bcrypt", "hash": {"value": "$2b$10$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG"}}},
        {"email": "edward@example.com", "email_verified": false, "custom_password_hash": {"algorithm": "argon2", "hash": {"value": "$argon2id$v=19$m=65536,t=2,p=1$J6Q/82PCyaNpYKRELJyTZg$m04qUAB8rexWDR4+/0f+SFB+4XMFxt7YAvAq2UycYos"}}},
        {"email": "terrell@example.com", "email_verified": false, "custom_password_hash": {"algorithm": "pbkdf2", "hash": {"value": "$pbkdf2-md4$i=100000,l=64$+N375B8q0Fw$fp2R9KAM4hK/votGHC5Fu+jhqbxUD8+Nic/EMSGvNC3UP/k7wSHI0uXluHRSkZfl/BOheYqNOemayG90ZaSSQw", "encoding": "utf8"}}},
        {"email": "sean@example.com", "email_verified": false, "custom_password_hash": {"algorithm": "ldap", "hash": {"value": "{SSHA384}/cgEjdoZh85DhurDeOQEMO1rMlAur93SVPbYe5XSD4lF7nNuvrBju5hUeg9A6agRemgSXGl5YuE=", "encoding": "utf8"}}},
        {"email": "peter@example.com", "email_verified": false, "custom_password_hash": {"algorithm": "hmac", "hash": {"value": "cg7f42jH39/2EaAU4wNd4s2lKIk=", "encoding": "base64", "digest": "sha1", "key": {"value": "736868", "encoding": "hex"}}}},
        {"email": "carmella@example.com", "email_verified": false, "custom_password_hash": {"algorithm": "scrypt", "hash": {"value": "097f6197e1b41538f723e32aa7a68e8d76227d8e432ce5faa4882a913032db29", "encoding": "hex"}, "salt": {"value": "abc123", "encoding": "utf8"}, "keylen": 32, "cost": 4096}}
    ]);
    for user in examples.as_array().expect("array") {
        assert_eq!(issues(user), vec![], "{user}");
    }
}

#[test]
fn invalid_type() {
    // FIDELITY: auth0/import-schema
    assert_eq!(
        issues(&json!({"email": 42})),
        one(
            "INVALID_TYPE",
            "email",
            "Error in email property - Expected type string but found type integer"
        )
    );
    assert_eq!(
        issues(&json!({"email": "a@b.co", "blocked": "yes"})),
        one(
            "INVALID_TYPE",
            "blocked",
            "Error in blocked property - Expected type boolean but found type string"
        )
    );
    assert_eq!(
        issues(&json!({"email": "a@b.co", "app_metadata": [1]})),
        one(
            "INVALID_TYPE",
            "app_metadata",
            "Error in app_metadata property - Expected type object but found type array"
        )
    );
    assert_eq!(
        issues(&json!({"email": "a@b.co", "phone_verified": null})),
        one(
            "INVALID_TYPE",
            "phone_verified",
            "Error in phone_verified property - Expected type boolean but found type null"
        )
    );
    // z-schema's integer is JavaScript's: 32.0 is 32; 1.5 is a number
    let scrypt = |keylen: Value| json!({"email": "a@b.co", "custom_password_hash": {"algorithm": "scrypt", "hash": {"value": "00", "encoding": "hex"}, "keylen": keylen}});
    assert_eq!(issues(&scrypt(json!(32.0))), vec![]);
    assert_eq!(
        issues(&scrypt(json!(1.5))),
        one(
            "INVALID_TYPE",
            "custom_password_hash.keylen",
            "Error in custom_password_hash.keylen property - Expected type integer but found type number"
        )
    );
    // the user itself: no path, the bare message
    assert_eq!(
        issues(&json!(["jane@example.com"])),
        one("INVALID_TYPE", "", "Expected type object but found type array")
    );
}

#[test]
fn invalid_format() {
    // FIDELITY: auth0/import-schema
    assert_eq!(
        issues(&json!({"email": "jane@"})),
        one(
            "INVALID_FORMAT",
            "email",
            "Error in email property - Object didn't pass validation for format email: jane@"
        )
    );
    assert_eq!(
        issues(&json!({"email": "a@b.co", "mfa_factors": [{"email": {"value": "not an email"}}]})),
        one(
            "INVALID_FORMAT",
            "mfa_factors[0].email.value",
            "Error in mfa_factors[0].email.value property - Object didn't pass validation for format email: not an email"
        )
    );
}

#[test]
fn enum_mismatch_everywhere_the_schema_has_an_enum() {
    // FIDELITY: auth0/import-schema
    let base = |spec: Value| json!({"email": "a@b.co", "custom_password_hash": spec});
    for (spec, path, value) in [
        (
            json!({"algorithm": "crc32", "hash": {"value": "x"}}),
            "custom_password_hash.algorithm",
            "crc32",
        ),
        (
            json!({"algorithm": "md5", "hash": {"value": "x", "encoding": "latin1"}}),
            "custom_password_hash.hash.encoding",
            "latin1",
        ),
        (
            json!({"algorithm": "hmac", "hash": {"value": "x", "encoding": "hex", "digest": "sha3", "key": {"value": "k"}}}),
            "custom_password_hash.hash.digest",
            "sha3",
        ),
        (
            json!({"algorithm": "hmac", "hash": {"value": "x", "encoding": "hex", "digest": "sha1", "key": {"value": "k", "encoding": "ascii"}}}),
            "custom_password_hash.hash.key.encoding",
            "ascii",
        ),
        (
            json!({"algorithm": "md5", "hash": {"value": "x", "encoding": "hex"}, "salt": {"value": "s", "encoding": "raw"}}),
            "custom_password_hash.salt.encoding",
            "raw",
        ),
        (
            json!({"algorithm": "md5", "hash": {"value": "x", "encoding": "hex"}, "salt": {"value": "s", "position": "middle"}}),
            "custom_password_hash.salt.position",
            "middle",
        ),
        (
            json!({"algorithm": "md5", "hash": {"value": "x", "encoding": "hex"}, "password": {"encoding": "utf16"}}),
            "custom_password_hash.password.encoding",
            "utf16",
        ),
    ] {
        assert_eq!(
            issues(&base(spec)),
            one(
                "ENUM_MISMATCH",
                path,
                &format!("Error in {path} property - No enum match for: {value}")
            )
        );
    }
    // A value of the wrong type is INVALID_TYPE alone. z-schema (`breakOnFirstError: false`)
    // would list ENUM_MISMATCH after it as well; boon stops at the type. A known gap
    // (FIDELITY.md): the user fails either way, with one code fewer in its listing.
    assert_eq!(
        issues(&base(json!({"algorithm": 5, "hash": {"value": "x"}}))),
        one(
            "INVALID_TYPE",
            "custom_password_hash.algorithm",
            "Error in custom_password_hash.algorithm property - Expected type string but found type integer"
        )
    );
}

#[test]
fn object_required() {
    // FIDELITY: auth0/import-schema
    assert_eq!(
        issues(&json!({"name": "x"})),
        one("OBJECT_REQUIRED", "", "Missing required property: email")
    );
    let mut got = issues(&json!({"email": "a@b.co", "custom_password_hash": {}}));
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                "OBJECT_REQUIRED".into(),
                "custom_password_hash".into(),
                "Error in custom_password_hash property - Missing required property: algorithm".into()
            ),
            (
                "OBJECT_REQUIRED".into(),
                "custom_password_hash".into(),
                "Error in custom_password_hash property - Missing required property: hash".into()
            ),
        ]
    );
    for (user, path, property) in [
        (
            json!({"email": "a@b.co", "custom_password_hash": {"algorithm": "md5", "hash": {"value": "x", "encoding": "hex"}, "salt": {"position": "prefix"}}}),
            "custom_password_hash.salt",
            "value",
        ),
        (
            json!({"email": "a@b.co", "custom_password_hash": {"algorithm": "hmac", "hash": {"value": "x", "encoding": "hex", "digest": "sha1", "key": {"encoding": "hex"}}}}),
            "custom_password_hash.hash.key",
            "value",
        ),
        (
            json!({"email": "a@b.co", "mfa_factors": [{"totp": {}}]}),
            "mfa_factors[0].totp",
            "secret",
        ),
        (
            json!({"email": "a@b.co", "mfa_factors": [{"phone": {}}]}),
            "mfa_factors[0].phone",
            "value",
        ),
        (
            json!({"email": "a@b.co", "mfa_factors": [{"email": {}}]}),
            "mfa_factors[0].email",
            "value",
        ),
    ] {
        assert_eq!(
            issues(&user),
            one(
                "OBJECT_REQUIRED",
                path,
                &format!("Error in {path} property - Missing required property: {property}")
            ),
            "{user}"
        );
    }
}

#[test]
fn object_additional_properties_one_error_per_property() {
    // FIDELITY: auth0/import-schema
    let mut got = issues(&json!({"email": "a@b.co", "favourite_colour": "red", "shoe_size": 9}));
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                "OBJECT_ADDITIONAL_PROPERTIES".into(),
                "".into(),
                "Additional properties not allowed: favourite_colour".into()
            ),
            (
                "OBJECT_ADDITIONAL_PROPERTIES".into(),
                "".into(),
                "Additional properties not allowed: shoe_size".into()
            ),
        ]
    );
    for (user, path, property) in [
        (
            json!({"email": "a@b.co", "custom_password_hash": {"algorithm": "md5", "hash": {"value": "x", "encoding": "hex"}, "iterations": 3}}),
            "custom_password_hash",
            "iterations",
        ),
        (
            json!({"email": "a@b.co", "mfa_factors": [{"webauthn": {}}]}),
            "mfa_factors[0]",
            "webauthn",
        ),
        (
            json!({"email": "a@b.co", "mfa_factors": [{"totp": {"secret": "JBSWY3DP", "issuer": "x"}}]}),
            "mfa_factors[0].totp",
            "issuer",
        ),
        (
            json!({"email": "a@b.co", "mfa_factors": [{"phone": {"value": "+12125550001", "type": "sms"}}]}),
            "mfa_factors[0].phone",
            "type",
        ),
    ] {
        assert_eq!(
            issues(&user),
            one(
                "OBJECT_ADDITIONAL_PROPERTIES",
                path,
                &format!("Error in {path} property - Additional properties not allowed: {property}")
            ),
            "{user}"
        );
    }
    // the schema leaves `hash`, `salt`, `password` and the metadata objects open
    assert_eq!(
        issues(
            &json!({"email": "a@b.co", "custom_password_hash": {"algorithm": "md5", "hash": {"value": "x", "encoding": "hex", "note": 1}}})
        ),
        vec![]
    );
}

#[test]
fn one_factor_per_mfa_item() {
    assert_eq!(
        issues(
            &json!({"email": "a@b.co", "mfa_factors": [{"totp": {"secret": "JBSWY3DP"}, "phone": {"value": "+12125550001"}}]})
        ),
        one(
            "OBJECT_PROPERTIES_MAXIMUM",
            "mfa_factors[0]",
            "Error in mfa_factors[0] property - Too many properties defined (2), maximum 1"
        )
    );
}

#[test]
fn mfa_factor_array_lengths() {
    assert_eq!(
        issues(&json!({"email": "a@b.co", "mfa_factors": []})),
        one(
            "ARRAY_LENGTH_SHORT",
            "mfa_factors",
            "Error in mfa_factors property - Array is too short (0), minimum 1"
        )
    );
    let eleven: Vec<Value> = (0..11).map(|_| json!({"totp": {"secret": "JBSWY3DP"}})).collect();
    assert_eq!(
        issues(&json!({"email": "a@b.co", "mfa_factors": eleven})),
        one(
            "ARRAY_LENGTH_LONG",
            "mfa_factors",
            "Error in mfa_factors property - Array is too long (11), maximum 10"
        )
    );
}

#[test]
fn patterns() {
    // FIDELITY: auth0/import-schema
    assert_eq!(
        issues(&json!({"email": "a@b.co", "mfa_factors": [{"totp": {"secret": "jbswy3dp="}}]})),
        one(
            "PATTERN",
            "mfa_factors[0].totp.secret",
            "Error in mfa_factors[0].totp.secret property - String does not match pattern ^[A-Z2-7]+$: jbswy3dp="
        )
    );
    assert_eq!(
        issues(&json!({"email": "a@b.co", "mfa_factors": [{"phone": {"value": "555-0100"}}]})),
        one(
            "PATTERN",
            "mfa_factors[0].phone.value",
            "Error in mfa_factors[0].phone.value property - String does not match pattern ^\\+[0-9]{1,15}$: 555-0100"
        )
    );
}

#[test]
fn every_failure_of_a_user_is_listed() {
    // FIDELITY: auth0/import-schema
    let got = issues(&json!({"email": "jane@", "blocked": 1, "extra": true, "mfa_factors": []}));
    let mut codes: Vec<&str> = got.iter().map(|(code, _, _)| code.as_str()).collect();
    codes.sort_unstable();
    assert_eq!(
        codes,
        [
            "ARRAY_LENGTH_SHORT",
            "INVALID_FORMAT",
            "INVALID_TYPE",
            "OBJECT_ADDITIONAL_PROPERTIES"
        ]
    );
}
