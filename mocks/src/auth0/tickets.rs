//! Tickets (Management API, scope `create:user_tickets`): the links Auth0 would email, handed to
//! the caller instead, who delivers them itself — how a migration invites its users to verify an
//! email or set a password without Auth0's templates.
//!
//! - `POST /api/v2/tickets/email-verification` `{user_id, result_url?, ttl_sec?, …}` → 201
//!   `{"ticket": ".../lo/verify_email?ticket=…#"}`; following it verifies as the email's link
//!   does (the `verify` script first on a legacy connection), then redirects to `result_url`
//!   when one was given.
//! - `POST /api/v2/tickets/password-change` `{user_id | email + connection_id, ttl_sec?,
//!   mark_email_as_verified?, …}` → 201 `{"ticket": ".../lo/reset?ticket=…#"}`: the reset page of
//!   `/dbconnections/change_password`'s email.
//!
//! `ttl_sec` 0 or absent is Auth0's default of five days. Neither sends an email or runs
//! `get_user`: the user must already be in the tenant.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use serde_json::{Map, Value, json};

use super::Auth0;
use super::connections::{kind, parse_body};
use super::error::{ApiError, invalid_body};
use super::model::StoredUser;
use super::state::{ResetTicket, TICKET_LIFETIME_DAYS};
use super::verify_email::user_with_email;

const SCOPES: &[&str] = &["create:user_tickets"];

const CENTURY_SECS: u64 = 100 * 366 * 24 * 3600;

const EMAIL_VERIFICATION_FIELDS: &[&str] = &[
    "user_id",
    "result_url",
    "ttl_sec",
    "client_id",
    "organization_id",
    "includeEmailInRedirect",
    "identity",
];

const PASSWORD_CHANGE_FIELDS: &[&str] = &[
    "user_id",
    "email",
    "connection_id",
    "result_url",
    "ttl_sec",
    "client_id",
    "organization_id",
    "mark_email_as_verified",
    "includeEmailInRedirect",
];

/// The JSON object body, with only `fields` in it.
fn body_object(body: &[u8], fields: &[&str]) -> Result<Map<String, Value>, ApiError> {
    let body = parse_body(body)?;
    if let Some(extra) = body.keys().find(|k| !fields.contains(&k.as_str())) {
        return Err(invalid_body(format_args!("Additional properties not allowed: {extra}")));
    }
    Ok(body)
}

fn string_field<'a>(body: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid_body(format_args!(
            "Expected type string but found type {}' on property {name}",
            kind(&body[name])
        ))),
    }
}

/// `ttl_sec`: a whole number of seconds, 0 or absent for the default.
fn lifetime(body: &Map<String, Value>) -> Result<Duration, ApiError> {
    let default = Duration::days(TICKET_LIFETIME_DAYS);
    match body.get("ttl_sec") {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(0) => Ok(default),
            // Beyond a century is as good as forever.
            Some(seconds) => Ok(Duration::seconds(i64::try_from(seconds.min(CENTURY_SECS)).unwrap_or(0))),
            None => Err(invalid_body("Expected a non-negative integer' on property ttl_sec")),
        },
        Some(other) => Err(invalid_body(format_args!(
            "Expected type integer but found type {}' on property ttl_sec",
            kind(other)
        ))),
    }
}

fn created(ticket: &str) -> Response {
    (StatusCode::CREATED, Json(json!({ "ticket": ticket }))).into_response()
}

/// `POST /api/v2/tickets/email-verification`.
pub(crate) async fn email_verification_create(State(auth0): State<Auth0>, headers: HeaderMap, body: Bytes) -> Response {
    let result = (|| -> Result<String, ApiError> {
        auth0.authorize(&headers, SCOPES)?;
        let body = body_object(&body, EMAIL_VERIFICATION_FIELDS)?;
        let Some(user_id) = string_field(&body, "user_id")? else {
            return Err(invalid_body("Missing required property: user_id"));
        };
        let lifetime = lifetime(&body)?;
        let result_url = string_field(&body, "result_url")?.map(str::to_owned);
        let (user, _) = user_with_email(&auth0, user_id)?;
        Ok(auth0.verification_link(&user, lifetime, result_url))
    })();
    result.map_or_else(IntoResponse::into_response, |ticket| created(&ticket))
}

/// `POST /api/v2/tickets/password-change`.
pub(crate) async fn password_change_create(State(auth0): State<Auth0>, headers: HeaderMap, body: Bytes) -> Response {
    let result = (|| -> Result<String, ApiError> {
        auth0.authorize(&headers, SCOPES)?;
        let body = body_object(&body, PASSWORD_CHANGE_FIELDS)?;
        let lifetime = lifetime(&body)?;
        let mark_email_verified = match body.get("mark_email_as_verified") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(invalid_body(format_args!(
                    "Expected type boolean but found type {}' on property mark_email_as_verified",
                    kind(other)
                )));
            }
        };
        let user: StoredUser = match (
            string_field(&body, "user_id")?,
            string_field(&body, "email")?,
            string_field(&body, "connection_id")?,
        ) {
            (Some(user_id), None, None) => auth0
                .with_tenant(|t| t.user_by_id(user_id).cloned())
                .ok_or_else(ApiError::user_not_found)?,
            (None, Some(email), Some(connection_id)) => auth0
                .with_tenant(|t| {
                    let connection = t.connections.iter().find(|c| c.id == connection_id)?;
                    t.find_user(&connection.name, email).cloned()
                })
                .ok_or_else(ApiError::user_not_found)?,
            (Some(_), _, _) => {
                return Err(invalid_body("user_id cannot be used with email or connection_id"));
            }
            _ => {
                return Err(invalid_body(
                    "Missing required property: user_id (or email and connection_id)",
                ));
            }
        };
        Ok(auth0.reset_link(ResetTicket {
            connection: user.connection.clone(),
            email: user.email.clone().unwrap_or_default(),
            user_id: Some(user.id.clone()),
            legacy_profile: None,
            expires_at: auth0.kit().clock.now() + lifetime,
            used: false,
            mark_email_verified,
        }))
    })();
    result.map_or_else(IntoResponse::into_response, |ticket| created(&ticket))
}
