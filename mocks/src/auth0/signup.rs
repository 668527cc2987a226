//! `POST /dbconnections/signup` and the connection's password policy.
//!
//! On an import-mode connection, signup first asks the legacy store whether the user exists
//! (`get_user`): a profile back refuses the signup as an existing user; otherwise the user is
//! created in the Auth0 store only (the `create` script is not used in import mode). With import
//! mode off (legacy authentication) the `create` script stores the user in the legacy database
//! (a `ValidationError("user_exists")` refuses it). A plain database connection just stores the
//! user. Errors use the `/dbconnections` shape, as Auth0 answers them to auth0.js and Lock.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::Auth0;
use super::error::DbError;
use super::model::{Connection, ScriptKind, StoredUser, default_nickname, default_picture};
use super::scripts::masked;
use super::tokens::parameters;
use super::verdict;

/// Auth0's password policies (`options.passwordPolicy`): none (1 character), low (6), fair (8,
/// with lower case, upper case and digits), good (8, three of lower case, upper case, digits,
/// special characters), excellent (10, as good, and no character three times in a row).
pub(crate) fn policy_failures(policy: &str, password: &str) -> Vec<String> {
    let min_length = match policy {
        "low" => 6,
        "fair" | "good" => 8,
        "excellent" => 10,
        _ => 1,
    };
    let mut failures = vec![];
    if password.chars().count() < min_length {
        failures.push(format!("At least {min_length} characters in length"));
    }
    let lower = password.chars().any(char::is_lowercase);
    let upper = password.chars().any(char::is_uppercase);
    let digit = password.chars().any(|c| c.is_ascii_digit());
    let special = password.chars().any(|c| !c.is_alphanumeric());
    match policy {
        "fair" if !(lower && upper && digit) => {
            failures.push(
                "Contain at least one of each: lower case letters (a-z), upper case letters (A-Z), numbers (i.e. 0-9)"
                    .into(),
            );
        }
        "good" | "excellent" if [lower, upper, digit, special].iter().filter(|k| **k).count() < 3 => {
            failures.push(
                "At least 3 of the following 4 types of characters: lower case letters (a-z), upper case letters (A-Z), numbers (i.e. 0-9), special characters (e.g. !@#$%^&*)".into(),
            );
        }
        _ => {}
    }
    if policy == "excellent" {
        let chars: Vec<char> = password.chars().collect();
        if chars.windows(3).any(|w| w[0] == w[1] && w[1] == w[2]) {
            failures.push("No more than 2 identical characters in a row (e.g., \"aaa\" not allowed)".into());
        }
    }
    failures
}

/// The connection's policy: `options.passwordPolicy`, "good" by default (Auth0's default for
/// new database connections).
pub(crate) fn policy_of(connection: &Connection) -> String {
    connection
        .options
        .get("passwordPolicy")
        .and_then(Value::as_str)
        .unwrap_or("good")
        .to_owned()
}

/// The error Auth0 answers for a password its policy refuses.
pub(crate) fn weak_password(policy: &str, failures: &[String]) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({
            "name": "PasswordStrengthError",
            "message": "Password is too weak",
            "code": "invalid_password",
            "description": { "rules": failures.iter().map(|f| json!({ "message": f, "verified": false })).collect::<Vec<_>>(), "verified": false },
            "policy": policy,
            "statusCode": 400,
        })),
    )
        .into_response()
}

/// A script's refusal ([`verdict::answer`]) in `/dbconnections/signup`'s shape.
fn refusal(answer: &verdict::Answer) -> Response {
    DbError {
        status: StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_REQUEST),
        name: answer.name.clone().unwrap_or_else(|| "Error".into()),
        code: answer.error.clone().unwrap_or_default(),
        description: answer.message().to_owned(),
    }
    .into_response()
}

fn user_exists() -> Response {
    DbError {
        status: StatusCode::BAD_REQUEST,
        name: "BadRequestError".into(),
        code: "user_exists".into(),
        description: "The user already exists.".into(),
    }
    .into_response()
}

pub(crate) async fn signup_create(State(auth0): State<Auth0>, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(params) = parameters(&headers, &body) else {
        return DbError::bad_request("invalid_body", "Invalid request body").into_response();
    };
    let raw: Map<String, Value> = serde_json::from_slice(&body).unwrap_or_default();
    let field = |key: &str| params.get(key).filter(|v| !v.is_empty()).cloned();
    let Some(client_id) = field("client_id") else {
        return DbError::bad_request("invalid_signup", "client_id is required").into_response();
    };
    let Some(email) = field("email") else {
        return DbError::bad_request("invalid_signup", "email is required").into_response();
    };
    let Some(password) = field("password") else {
        return DbError::bad_request("invalid_signup", "password is required").into_response();
    };
    let Some(connection_name) = field("connection") else {
        return DbError::bad_request("invalid_signup", "connection is required").into_response();
    };
    if !import_schema::is_email(&email) {
        return DbError::bad_request("invalid_signup", "Invalid sign up").into_response();
    }
    let (client, connection) =
        auth0.with_tenant(|t| (t.client(&client_id).cloned(), t.connection(&connection_name).cloned()));
    if client.is_none() {
        return DbError::bad_request("invalid_signup", "Invalid sign up: unknown client").into_response();
    }
    let Some(connection) = connection.filter(|c| c.is_enabled_for(&client_id)) else {
        return DbError::bad_request(
            "invalid_signup",
            "Invalid sign up: the connection is not enabled for this client",
        )
        .into_response();
    };
    if connection.options.get("disable_signup").and_then(Value::as_bool) == Some(true) {
        return DbError {
            status: StatusCode::FORBIDDEN,
            name: "BadRequestError".into(),
            code: "operation_not_allowed".into(),
            description: "Signups are disabled for this connection".into(),
        }
        .into_response();
    }
    let username = field("username");
    if connection.requires_username() && username.is_none() {
        return DbError::bad_request("invalid_signup", "username is required").into_response();
    }
    let policy = policy_of(&connection);
    let failures = policy_failures(&policy, &password);
    if !failures.is_empty() {
        return weak_password(&policy, &failures);
    }
    let lower = email.to_lowercase();
    // A ghost (the connection's store still holds the email, the tenant has no user) answers as
    // an existing user does: D-AUTOMIG lists re-creating a deleted user among the causes of
    // "The user already exists" (FIDELITY `auth0/ghost-users`).
    if auth0
        .with_tenant(|t| t.users.by_email(&connection.name, &lower).is_some() || t.is_ghost(&connection.name, &lower))
    {
        return user_exists();
    }
    let legacy = connection.custom_db() && !connection.import_mode();
    if connection.custom_db() && connection.import_mode() {
        // Import mode: does the legacy store already have this person?
        let args = vec![json!(email)];
        let shown = masked(&[(&args[0], false)]);
        if let Some(verdict) = auth0.run_script(&connection, ScriptKind::GetUser, args, shown).await {
            let answer = verdict::answer(ScriptKind::GetUser, &verdict, &email);
            if !answer.accepted {
                return refusal(&answer);
            }
        }
    }
    if legacy {
        let mut user = json!({ "client_id": client_id, "tenant": auth0.tenant_name(), "email": email, "password": password, "connection": connection.name });
        if let Some(username) = &username {
            user["username"] = json!(username);
        }
        for key in [
            "user_metadata",
            "app_metadata",
            "given_name",
            "family_name",
            "name",
            "nickname",
            "picture",
        ] {
            if let Some(value) = raw.get(key) {
                user[key] = value.clone();
            }
        }
        let mut shown = user.clone();
        shown["password"] = json!(crate::kit::journal::MASK);
        let Some(verdict) = auth0
            .run_script(&connection, ScriptKind::Create, vec![user], vec![shown])
            .await
        else {
            return DbError::bad_request(
                "auth0_idp_error",
                "Sandbox Error: Please implement the Create script for this database connection",
            )
            .into_response();
        };
        let answer = verdict::answer(ScriptKind::Create, &verdict, &email);
        if !answer.accepted {
            return refusal(&answer);
        }
        // Legacy authentication keeps the user in the legacy store; Auth0 records it at its
        // first login.
        return (
            StatusCode::OK,
            Json(json!({ "_id": "", "email_verified": false, "email": email })),
        )
            .into_response();
    }
    let hash = match auth0.hash_password(&password).await {
        Ok(h) => h,
        Err(e) => return DbError::bad_request("server_error", e.description).into_response(),
    };
    let now = auth0.kit().clock.now();
    let id = auth0.kit().ids.hex(24);
    let text = |key: &str| raw.get(key).and_then(Value::as_str).map(str::to_owned);
    let name = text("name").unwrap_or_else(|| lower.clone());
    let user = StoredUser {
        id: id.clone(),
        connection: connection.name.clone(),
        nickname: text("nickname").unwrap_or_else(|| default_nickname(Some(&lower), username.as_deref())),
        picture: text("picture").unwrap_or_else(|| default_picture(Some(&lower), &name)),
        name,
        email: Some(lower.clone()),
        email_verified: false,
        username: username.map(|u| u.to_lowercase()),
        phone_number: None,
        phone_verified: false,
        given_name: text("given_name"),
        family_name: text("family_name"),
        user_metadata: raw
            .get("user_metadata")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        app_metadata: Map::new(),
        extra: Map::new(),
        created_at: now,
        updated_at: now,
        last_login: None,
        last_ip: None,
        logins_count: 0,
        last_password_reset: None,
        blocked: None,
        password: Some(hash),
        mfa_factors: Vec::new(),
    };
    let mut body = json!({ "_id": id, "email_verified": false, "email": lower });
    for key in [
        "username",
        "given_name",
        "family_name",
        "name",
        "nickname",
        "picture",
        "user_metadata",
    ] {
        if let Some(value) = raw.get(key) {
            body[key] = value.clone();
        }
    }
    let stored = auth0.with_tenant(|t| {
        if t.users.by_email(&connection.name, &lower).is_some() || t.is_ghost(&connection.name, &lower) {
            return false;
        }
        t.users.insert(user);
        true
    });
    if !stored {
        return user_exists();
    }
    auth0.signup_log(&connection.name, &client_id, &lower);
    (StatusCode::OK, Json(body)).into_response()
}

impl Auth0 {
    fn signup_log(&self, connection: &str, client_id: &str, email: &str) {
        let event = super::logs::LogEvent {
            connection: Some(connection.to_owned()),
            client_id: Some(client_id.to_owned()),
            user_name: Some(email.to_owned()),
            ..self.new_log_event("ss", "Successful signup")
        };
        self.with_tenant(|t| {
            t.log(super::logs::LogEvent {
                user_id: t.find_user(connection, email).map(StoredUser::user_id),
                connection_id: t.connection(connection).map(|c| c.id.clone()),
                ..event
            });
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_follow_auth0s_levels() {
        assert!(policy_failures("none", "a").is_empty());
        assert_eq!(policy_failures("low", "abc").len(), 1);
        assert!(policy_failures("good", "Abcdef1!").is_empty());
        assert_eq!(policy_failures("good", "abcdefgh").len(), 1);
        assert_eq!(policy_failures("excellent", "Aaaa1!bcdefg").len(), 1);
        assert_eq!(
            policy_failures("fair", "abcdefg1").len(),
            1,
            "fair needs an upper case letter"
        );
    }
}
