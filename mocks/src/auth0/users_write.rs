//! Management API writes on users: `POST /api/v2/users`, `PATCH /api/v2/users/{id}`, and what
//! a custom database connection adds to them and to `DELETE`:
//!
//! - import mode: Auth0 calls `get_user` before creating a user or changing an email, so that
//!   someone still in the legacy store is not duplicated;
//! - legacy authentication (import mode off): the legacy store is the truth, so creating,
//!   changing the password or email, and deleting go through the `create`, `change_password`,
//!   `change_email` and `delete` scripts.
//!
//! Metadata objects are merged one level deep and `null` removes a key, as on Auth0.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::Auth0;
use super::error::{ApiError, ApiPath, invalid_body};
use super::model::{Connection, RecordKind, ScriptKind, StoredUser, default_nickname, default_picture};
use super::scripts::masked;
use super::signup::{policy_failures, policy_of};
use super::verdict::{self, ScriptVerdict};

fn conflict(message: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, message, Some("auth0_idp_error"))
}

/// A script's refusal ([`verdict::answer`]) in the Management API's shape.
fn refusal(answer: &verdict::Answer) -> ApiError {
    ApiError::new(
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_REQUEST),
        answer.message(),
        answer.error.as_deref(),
    )
}

fn script_failure(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, message, Some("auth0_idp_error"))
}

fn object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid_body("Expected type object")),
        Err(_) => Err(ApiError::bad_request(
            "Invalid request payload JSON format",
            "invalid_body",
        )),
    }
}

fn text(map: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid_body(format!(
            "Expected type string but found another type' on property {key}"
        ))),
    }
}

fn check_password(connection: &Connection, password: &str) -> Result<(), ApiError> {
    let policy = policy_of(connection);
    let failures = policy_failures(&policy, password);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            format!("PasswordStrengthError: Password is too weak ({})", failures.join("; ")),
            "invalid_password",
        ))
    }
}

/// Does the legacy store of an import-mode connection know this email? (Errors block.)
async fn legacy_has(auth0: &Auth0, connection: &Connection, email: &str) -> Result<bool, ApiError> {
    if !(connection.custom_db() && connection.import_mode()) {
        return Ok(false);
    }
    let args = vec![json!(email)];
    let shown = masked(&[(&args[0], false)]);
    match auth0.run_script(connection, ScriptKind::GetUser, args, shown).await {
        Some(ScriptVerdict::Profile(_)) => Ok(true),
        Some(ScriptVerdict::Failed(m) | ScriptVerdict::Unauthorized(m)) => Err(script_failure(m)),
        _ => Ok(false),
    }
}

const CREATABLE: &[&str] = &[
    "connection",
    "email",
    "password",
    "username",
    "user_id",
    "email_verified",
    "verify_email",
    "phone_number",
    "phone_verified",
    "given_name",
    "family_name",
    "name",
    "nickname",
    "picture",
    "user_metadata",
    "app_metadata",
    "blocked",
];

pub(crate) async fn users_create(State(auth0): State<Auth0>, headers: HeaderMap, body: Bytes) -> Response {
    match create(&auth0, &headers, &body).await {
        Ok(user) => (StatusCode::CREATED, Json(user)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn create(auth0: &Auth0, headers: &HeaderMap, body: &[u8]) -> Result<Value, ApiError> {
    auth0.authorize(headers, &["create:users"])?;
    let body = object(body)?;
    if let Some(extra) = body.keys().find(|k| !CREATABLE.contains(&k.as_str())) {
        return Err(invalid_body(format!("Additional properties not allowed: {extra}")));
    }
    let connection_name =
        text(&body, "connection")?.ok_or_else(|| invalid_body("Missing required property: connection"))?;
    let connection = auth0
        .with_tenant(|t| t.connection(&connection_name).cloned())
        .ok_or_else(|| ApiError::bad_request("The connection does not exist", "inexistent_connection"))?;
    let email = text(&body, "email")?.ok_or_else(|| invalid_body("Missing required property: email"))?;
    if !import_schema::is_email(&email) {
        return Err(invalid_body(format!(
            "Object didn't pass validation for format email: {email}' on property email"
        )));
    }
    let password = text(&body, "password")?.ok_or_else(|| invalid_body("Missing required property: password"))?;
    check_password(&connection, &password)?;
    let username = text(&body, "username")?;
    if connection.requires_username() && username.is_none() {
        return Err(invalid_body("Missing required property: username"));
    }
    let lower = email.to_lowercase();
    // A ghost (the connection's internal store holds the email, the tenant has no such user)
    // answers as an existing user does (community 120220: 409 "user already exists" for an
    // email no search finds).
    if auth0
        .with_tenant(|t| t.users.by_email(&connection.name, &lower).is_some() || t.is_ghost(&connection.name, &lower))
    {
        return Err(conflict("The user already exists."));
    }
    if legacy_has(auth0, &connection, &email).await? {
        return Err(conflict("The user already exists."));
    }
    let legacy = connection.custom_db() && !connection.import_mode();
    if legacy {
        let mut user = Value::Object(body.clone());
        user["tenant"] = json!(auth0.tenant_name());
        let mut shown = user.clone();
        shown["password"] = json!(crate::kit::journal::MASK);
        match auth0
            .run_script(&connection, ScriptKind::Create, vec![user], vec![shown])
            .await
        {
            Some(ScriptVerdict::Nothing | ScriptVerdict::Bool(true) | ScriptVerdict::Profile(_)) => {}
            Some(ScriptVerdict::Validation { code, message }) if code == "user_exists" => {
                return Err(conflict(&message));
            }
            Some(
                ScriptVerdict::Validation { message, .. }
                | ScriptVerdict::Failed(message)
                | ScriptVerdict::Unauthorized(message),
            ) => {
                return Err(script_failure(message));
            }
            _ => return Err(script_failure("the create script did not create the user".into())),
        }
    }
    let now = auth0.kit().clock.now();
    let id = text(&body, "user_id")?.unwrap_or_else(|| auth0.kit().ids.hex(24));
    let name = text(&body, "name")?.unwrap_or_else(|| lower.clone());
    let hash = if legacy {
        None
    } else {
        Some(
            auth0
                .hash_password(&password)
                .await
                .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.description, None))?,
        )
    };
    let user = StoredUser {
        id,
        connection: connection.name.clone(),
        nickname: text(&body, "nickname")?.unwrap_or_else(|| default_nickname(Some(&lower), username.as_deref())),
        picture: text(&body, "picture")?.unwrap_or_else(|| default_picture(Some(&lower), &name)),
        name,
        email: Some(lower),
        email_verified: body.get("email_verified").and_then(Value::as_bool).unwrap_or(false),
        username: username.map(|u| u.to_lowercase()),
        phone_number: text(&body, "phone_number")?,
        phone_verified: body.get("phone_verified").and_then(Value::as_bool).unwrap_or(false),
        given_name: text(&body, "given_name")?,
        family_name: text(&body, "family_name")?,
        user_metadata: body
            .get("user_metadata")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        app_metadata: body
            .get("app_metadata")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        extra: Map::new(),
        created_at: now,
        updated_at: now,
        last_login: None,
        last_ip: None,
        logins_count: 0,
        last_password_reset: None,
        blocked: body.get("blocked").and_then(Value::as_bool),
        password: hash,
        mfa_factors: Vec::new(),
    };
    let shown = user.to_api();
    auth0.with_tenant(|t| {
        if t.users.by_id(&user.connection, &user.id).is_some() {
            return Err(conflict("The user already exists."));
        }
        t.users.insert(user);
        Ok(())
    })?;
    Ok(shown)
}

const PATCHABLE: &[&str] = &[
    "app_metadata",
    "blocked",
    "email",
    "email_verified",
    "family_name",
    "given_name",
    "name",
    "nickname",
    "password",
    "phone_number",
    "phone_verified",
    "picture",
    "username",
    "user_metadata",
    "verify_email",
    "verify_password",
    "connection",
    "client_id",
];

/// Merges metadata one level deep; `null` removes a key.
fn merge(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (key, value) in patch {
        if value.is_null() {
            target.remove(key);
        } else {
            target.insert(key.clone(), value.clone());
        }
    }
}

pub(crate) async fn users_update(
    State(auth0): State<Auth0>,
    headers: HeaderMap,
    ApiPath(id): ApiPath,
    body: Bytes,
) -> Response {
    match update(&auth0, &headers, &id, &body).await {
        Ok(user) => Json(user).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn update(auth0: &Auth0, headers: &HeaderMap, id: &str, body: &[u8]) -> Result<Value, ApiError> {
    auth0.authorize(
        headers,
        &[
            "update:users",
            "update:users_app_metadata",
            "update:current_user_metadata",
        ],
    )?;
    let body = object(body)?;
    if let Some(extra) = body.keys().find(|k| !PATCHABLE.contains(&k.as_str())) {
        return Err(invalid_body(format!("Additional properties not allowed: {extra}")));
    }
    let user = auth0
        .with_tenant(|t| t.user_by_id(id).cloned())
        .ok_or_else(ApiError::user_not_found)?;
    let connection = auth0
        .with_tenant(|t| t.connection(&user.connection).cloned())
        .ok_or_else(|| ApiError::bad_request("The connection does not exist", "inexistent_connection"))?;
    let legacy = connection.custom_db() && !connection.import_mode();
    let new_email = text(&body, "email")?.map(|e| e.to_lowercase());
    if let Some(email) = &new_email {
        if !import_schema::is_email(email) {
            return Err(invalid_body(format!(
                "Object didn't pass validation for format email: {email}' on property email"
            )));
        }
        if user.email.as_deref() != Some(email.as_str()) {
            if auth0.with_tenant(|t| t.users.by_email(&connection.name, email).is_some())
                || legacy_has(auth0, &connection, email).await?
            {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "The specified new email already exists",
                    Some("email_conflict"),
                ));
            }
            if legacy {
                let verified = body.get("email_verified").and_then(Value::as_bool).unwrap_or(false);
                let args = vec![
                    json!(user.email.clone().unwrap_or_default()),
                    json!(email),
                    json!(verified),
                ];
                let shown = args.clone();
                let Some(verdict) = auth0
                    .run_script(&connection, ScriptKind::ChangeEmail, args, shown)
                    .await
                else {
                    return Err(script_failure(
                        "Please implement the change_email script for this database connection".into(),
                    ));
                };
                let answer = verdict::answer(ScriptKind::ChangeEmail, &verdict, email);
                if !answer.accepted {
                    return Err(refusal(&answer));
                }
            }
        }
    }
    let password = text(&body, "password")?;
    let mut hash = None;
    if let Some(password) = &password {
        check_password(&connection, password)?;
        if legacy {
            let email = user.email.clone().unwrap_or_default();
            let args = vec![json!(email), json!(password)];
            let shown = masked(&[(&args[0], false), (&args[1], true)]);
            match auth0
                .run_script(&connection, ScriptKind::ChangePassword, args, shown)
                .await
            {
                Some(ScriptVerdict::Bool(true) | ScriptVerdict::Profile(_)) => {}
                Some(ScriptVerdict::Bool(false) | ScriptVerdict::Nothing) => {
                    return Err(script_failure(
                        "The change_password script did not change the password".into(),
                    ));
                }
                Some(
                    ScriptVerdict::Failed(m)
                    | ScriptVerdict::Unauthorized(m)
                    | ScriptVerdict::Validation { message: m, .. },
                ) => {
                    return Err(script_failure(m));
                }
                None => {
                    return Err(script_failure(
                        "Please implement the change_password script for this database connection".into(),
                    ));
                }
                Some(_) => {}
            }
        } else {
            hash = Some(
                auth0
                    .hash_password(password)
                    .await
                    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.description, None))?,
            );
        }
    }
    let username = text(&body, "username")?.map(|u| u.to_lowercase());
    if let Some(name) = &username
        && user.username.as_deref() != Some(name.as_str())
        && auth0.with_tenant(|t| t.users.by_username(&connection.name, name).is_some())
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "The specified new username already exists",
            Some("username_conflict"),
        ));
    }
    let now = auth0.kit().clock.now();
    let updated = auth0.with_tenant(|t| {
        // The user's record in the connection's internal store follows a new email.
        if let (Some(old), Some(new)) = (user.email.as_deref(), new_email.as_deref())
            && old != new
        {
            t.connection_store.rename(&user.connection, old, new);
        }
        t.users.update(&user.connection, &user.id, |u| {
            if let Some(email) = new_email.clone() {
                if u.email.as_deref() != Some(email.as_str()) {
                    // A new email is unverified unless the patch says otherwise.
                    u.email_verified = false;
                }
                u.email = Some(email);
            }
            if let Some(v) = body.get("email_verified").and_then(Value::as_bool) {
                u.email_verified = v;
            }
            if let Some(v) = body.get("blocked").and_then(Value::as_bool) {
                u.blocked = Some(v);
            }
            if let Some(v) = body.get("phone_verified").and_then(Value::as_bool) {
                u.phone_verified = v;
            }
            for (key, slot) in [
                ("given_name", &mut u.given_name),
                ("family_name", &mut u.family_name),
                ("phone_number", &mut u.phone_number),
            ] {
                match body.get(key) {
                    Some(Value::String(s)) => *slot = Some(s.clone()),
                    Some(Value::Null) => *slot = None,
                    _ => {}
                }
            }
            if let Some(v) = body.get("name").and_then(Value::as_str) {
                u.name = v.to_owned();
            }
            if let Some(v) = body.get("nickname").and_then(Value::as_str) {
                u.nickname = v.to_owned();
            }
            if let Some(v) = body.get("picture").and_then(Value::as_str) {
                u.picture = v.to_owned();
            }
            if let Some(name) = username.clone() {
                u.username = Some(name);
            }
            if let Some(Value::Object(patch)) = body.get("user_metadata") {
                merge(&mut u.user_metadata, patch);
            }
            if let Some(Value::Object(patch)) = body.get("app_metadata") {
                merge(&mut u.app_metadata, patch);
            }
            if let Some(hash) = hash.clone() {
                u.password = Some(hash);
                u.last_password_reset = Some(now);
            }
            u.updated_at = now;
            u.to_api()
        })
    });
    updated.ok_or_else(ApiError::user_not_found)
}

/// `DELETE /api/v2/users/{id}`: on a legacy-authentication connection the `delete` script
/// removes the user from the legacy store first (with the id without its `auth0|` prefix). The
/// user's profile goes; a migrated user's record in the connection's internal store stays (see
/// below).
pub(crate) async fn users_delete(State(auth0): State<Auth0>, headers: HeaderMap, ApiPath(id): ApiPath) -> Response {
    let result: Result<(), ApiError> = async {
        auth0.authorize(&headers, &["delete:users", "delete:current_user"])?;
        let Some(user) = auth0.with_tenant(|t| t.user_by_id(&id).cloned()) else {
            return Ok(());
        };
        let connection = auth0.with_tenant(|t| t.connection(&user.connection).cloned());
        if let Some(connection) = connection.filter(|c| c.custom_db() && !c.import_mode()) {
            let args = vec![json!(user.id)];
            let shown = args.clone();
            let Some(verdict) = auth0.run_script(&connection, ScriptKind::Delete, args, shown).await else {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "Sandbox Error: Please implement the Delete script for this database connection",
                    Some("auth0_idp_error"),
                ));
            };
            let answer = verdict::answer(ScriptKind::Delete, &verdict, user.email.as_deref().unwrap_or(&id));
            if !answer.accepted {
                return Err(refusal(&answer));
            }
        }
        auth0.with_tenant(|t| {
            t.users.remove_user_id(&id);
            // What Auth0 keeps in the connection's internal store outlives this call for a user
            // automatic migration created (a ghost, FIDELITY `auth0/ghost-users`) unless the
            // tenant's `ghost_users` setting is off; the record a legacy-authentication login
            // left goes with the user (community 90646).
            if let Some(email) = user.email.as_deref() {
                let keep = t.settings.ghost_users
                    && t.connection_store
                        .get(&user.connection, email)
                        .is_some_and(|r| r.kind == RecordKind::Migrated && r.id == user.id);
                if !keep {
                    t.connection_store.remove(&user.connection, email);
                }
            }
        });
        Ok(())
    }
    .await;
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}
