//! Values Ferry used to refuse that neither the published schema nor a documented rule refuses:
//! each is accepted now, as Auth0 accepts it (FIDELITY.md, "Auth0: the bulk-import schema").

use import_schema::{Rules, validate_user};
use serde_json::{Value, json};

fn accepted(user: &Value) {
    let issues = validate_user(user, &Rules::default());
    assert!(issues.is_empty(), "{user} should be accepted, got {issues:?}");
}

/// `nickname` may be 1-350 characters (the profile attribute schema), not 300.
#[test]
fn a_nickname_of_350_characters() {
    // FIDELITY: auth0/import-no-stricter
    accepted(&json!({"email": "a@b.co", "nickname": "n".repeat(301)}));
    accepted(&json!({"email": "a@b.co", "nickname": "n".repeat(350)}));
}

/// `picture` is `{"type": "string"}`: no `format: uri`, no `scheme://`.
#[test]
fn a_picture_without_a_scheme() {
    // FIDELITY: auth0/import-no-stricter
    for picture in [
        "/avatars/42.png",
        "avatar.png",
        "//cdn.example.com/a.png",
        "data:image/png;base64,AAAA",
        "",
    ] {
        accepted(&json!({"email": "a@b.co", "picture": picture}));
    }
}

/// `user_id` is `{"type": "string"}`: no length bounds were ever documented for it.
#[test]
fn a_user_id_of_any_length() {
    // FIDELITY: auth0/import-no-stricter
    accepted(&json!({"email": "a@b.co", "user_id": "x".repeat(300)}));
}

/// An MFA item is an object with at most one of `totp`, `phone`, `email` (`maxProperties: 1`);
/// the schema does not ask for at least one.
#[test]
fn an_empty_mfa_item() {
    // FIDELITY: auth0/import-no-stricter
    accepted(&json!({"email": "a@b.co", "mfa_factors": [{}]}));
}

/// A bcrypt `custom_password_hash` must "include one of these prefixes: $2a$ $2b$ $2y$"; the
/// rest of the string is not checked at import.
#[test]
fn a_bcrypt_custom_hash_checked_by_its_prefix_only() {
    accepted(
        &json!({"email": "a@b.co", "custom_password_hash": {"algorithm": "bcrypt", "hash": {"value": "$2y$10$short"}}}),
    );
}

/// Emails are judged as z-schema judges them (validator.js `isEmail`), which accepts a quoted
/// local part the old check refused.
#[test]
fn emails_z_schema_accepts() {
    for email in ["\"jane doe\"@example.com", "\"foo\\@bar\"@example.com"] {
        accepted(&json!({"email": email}));
    }
}
