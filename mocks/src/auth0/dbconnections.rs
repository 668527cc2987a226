//! `POST /dbconnections/change_password` and the reset link it emails (`/lo/reset`).
//!
//! Auth0 answers a change-password request with the same sentence whether or not the user
//! exists (so the endpoint cannot be used to probe for accounts). For a user who is not yet in
//! the store of an import-mode connection, the `get_user` script decides: a profile means an
//! email is sent, and completing the reset creates the user in Auth0 with the *new* password
//! and the profile `get_user` returned (auth0.md §1.6). The mock keeps sent emails in an
//! outbox (`GET /__ferry/outbox`) so that a scenario can follow the link.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::Duration;
use serde_json::{Value, json};

use super::Auth0;
use super::error::DbError;
use super::logs::LogEvent;
use super::model::ScriptKind;
use super::scripts::masked;
use super::state::{Email, ResetTicket, TICKET_LIFETIME_DAYS};
use super::tokens::parameters;
use super::verdict::{self, ScriptVerdict};

/// The answer to every accepted change-password request.
pub const RESET_EMAIL_SENT: &str = "We've just sent you an email to reset your password.";

pub(crate) async fn change_password_create(State(auth0): State<Auth0>, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(params) = parameters(&headers, &body) else {
        return DbError::bad_request("invalid_body", "Invalid request body").into_response();
    };
    let Some(email) = params.get("email").filter(|e| !e.trim().is_empty()).cloned() else {
        return DbError::bad_request("bad.email", "email is required").into_response();
    };
    let Some(connection_name) = params.get("connection").filter(|c| !c.is_empty()).cloned() else {
        return DbError::bad_request("bad.connection", "connection is required").into_response();
    };
    let client_id = params.get("client_id").cloned();
    let connection = auth0.with_tenant(|t| t.connection(&connection_name).cloned());
    let Some(connection) = connection else {
        return DbError::bad_request("bad.connection", "connection not found").into_response();
    };
    if let Some(client_id) = &client_id {
        let known = auth0.with_tenant(|t| t.client(client_id).is_some());
        if !known {
            return DbError::bad_request("bad.client_id", "client not found").into_response();
        }
    }

    let stored = auth0.with_tenant(|t| t.find_user(&connection.name, &email).cloned());
    let ticket = match stored {
        Some(user) => Some(ResetTicket {
            connection: connection.name.clone(),
            email: user.email.clone().unwrap_or_else(|| email.clone()),
            user_id: Some(user.id.clone()),
            legacy_profile: None,
            expires_at: auth0.kit().clock.now() + Duration::days(TICKET_LIFETIME_DAYS),
            used: false,
            mark_email_verified: false,
        }),
        None if connection.custom_db() => {
            let args = vec![json!(email)];
            let shown = masked(&[(&args[0], false)]);
            match auth0.run_script(&connection, ScriptKind::GetUser, args, shown).await {
                Some(ScriptVerdict::Profile(profile)) => Some(ResetTicket {
                    connection: connection.name.clone(),
                    email: profile
                        .get("email")
                        .and_then(Value::as_str)
                        .unwrap_or(&email)
                        .to_lowercase(),
                    user_id: None,
                    legacy_profile: Some(Value::Object(profile)),
                    expires_at: auth0.kit().clock.now() + Duration::days(TICKET_LIFETIME_DAYS),
                    used: false,
                    mark_email_verified: false,
                }),
                Some(ScriptVerdict::Nothing) | None => None,
                Some(other) => {
                    let message = match other {
                        ScriptVerdict::Failed(m) | ScriptVerdict::Unauthorized(m) => m,
                        _ => "get_user failed".into(),
                    };
                    auth0.change_password_log(&connection.name, client_id.as_deref(), &email, "fcpr", &message);
                    None
                }
            }
        }
        None => None,
    };

    if let Some(ticket) = ticket {
        let sent_at = auth0.kit().clock.now();
        let to = ticket.email.clone();
        let reset_connection = ticket.connection.clone();
        let link = auth0.reset_link(ticket);
        auth0.with_tenant(|t| {
            t.outbox.push(Email {
                to: to.clone(),
                kind: "reset_email".into(),
                sent_at,
                link,
                connection: reset_connection,
            });
        });
        auth0.change_password_log(
            &connection.name,
            client_id.as_deref(),
            &to,
            "scpr",
            "Change password request",
        );
    }
    // Plain text, not a JSON string: the SDKs read this answer as text (node-auth0's
    // `database.changePassword` returns it as it came).
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        RESET_EMAIL_SENT,
    )
        .into_response()
}

/// The `ticket` of a reset link's query; `None` when it is missing or given more than once
/// (which no link Auth0 sends does), so that any such link gets the page's own error.
fn query_ticket(query: Option<&str>) -> Option<String> {
    let mut tickets = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(key, _)| key == "ticket")
        .map(|(_, value)| value.into_owned());
    let ticket = tickets.next()?;
    tickets.next().is_none().then_some(ticket)
}

/// The reset page a link opens: a minimal form posting back to `/lo/reset`.
pub(crate) async fn reset_page_get(State(auth0): State<Auth0>, RawQuery(query): RawQuery) -> Response {
    let Some(ticket) =
        query_ticket(query.as_deref()).filter(|t| auth0.with_tenant(|s| s.tickets.get(t).is_some_and(|t| !t.used)))
    else {
        return (
            StatusCode::BAD_REQUEST,
            Html("<p>This ticket is invalid or has expired.</p>"),
        )
            .into_response();
    };
    let ticket = super::authorize::escape(&ticket);
    Html(format!(
        "<!doctype html><html><head><title>Change your password</title></head><body>\
         <form method=\"post\" action=\"/lo/reset\"><input type=\"hidden\" name=\"ticket\" value=\"{ticket}\">\
         <label>New password <input type=\"password\" name=\"newPassword\"></label>\
         <label>Confirm <input type=\"password\" name=\"confirmNewPassword\"></label>\
         <button type=\"submit\">Reset password</button></form></body></html>"
    ))
    .into_response()
}

/// Completing a reset: `ticket`, `newPassword`, `confirmNewPassword` (form or JSON).
pub(crate) async fn reset_create(State(auth0): State<Auth0>, headers: HeaderMap, body: Bytes) -> Response {
    let params = parameters(&headers, &body).unwrap_or_default();
    let ticket_id = params.get("ticket").cloned().unwrap_or_default();
    let new_password = params.get("newPassword").cloned().unwrap_or_default();
    let confirm = params
        .get("confirmNewPassword")
        .cloned()
        .unwrap_or_else(|| new_password.clone());
    let now = auth0.kit().clock.now();
    let ticket = auth0.with_tenant(|t| t.tickets.get(&ticket_id).cloned());
    let Some(ticket) = ticket.filter(|t| !t.used && t.expires_at > now) else {
        return reset_error(
            StatusCode::BAD_REQUEST,
            "invalid_ticket",
            "This ticket is invalid or has expired.",
        );
    };
    if new_password.is_empty() {
        return reset_error(
            StatusCode::BAD_REQUEST,
            "invalid_password",
            "The new password is required.",
        );
    }
    if new_password != confirm {
        return reset_error(
            StatusCode::BAD_REQUEST,
            "password_mismatch",
            "Please ensure the password and the confirmation are the same.",
        );
    }
    let connection = auth0.with_tenant(|t| t.connection(&ticket.connection).cloned());
    let Some(connection) = connection else {
        return reset_error(
            StatusCode::BAD_REQUEST,
            "invalid_ticket",
            "This ticket is invalid or has expired.",
        );
    };
    let policy = super::signup::policy_of(&connection);
    let failures = super::signup::policy_failures(&policy, &new_password);
    if !failures.is_empty() {
        return reset_error(
            StatusCode::BAD_REQUEST,
            "invalid_password",
            &format!("Password is too weak: {}", failures.join("; ")),
        );
    }
    if connection.custom_db() && !connection.import_mode() {
        // Legacy authentication: the password lives in the legacy store, which the
        // change_password script updates; Auth0 keeps no hash.
        let args = vec![json!(ticket.email), json!(new_password)];
        let shown = masked(&[(&args[0], false), (&args[1], true)]);
        let verdict = auth0
            .run_script(&connection, ScriptKind::ChangePassword, args, shown)
            .await
            .unwrap_or_else(|| {
                ScriptVerdict::Failed("Please implement the change_password script for this database connection".into())
            });
        let answer = verdict::answer(ScriptKind::ChangePassword, &verdict, &ticket.email);
        if answer.accepted {
            auth0.with_tenant(|t| {
                if let Some(ticket) = t.tickets.get_mut(&ticket_id) {
                    ticket.used = true;
                }
                if let Some(id) = &ticket.user_id {
                    t.users.update(&connection.name, id, |u| {
                        u.last_password_reset = Some(now);
                        u.email_verified |= ticket.mark_email_verified;
                    });
                }
            });
        }
        if let Some(log) = &answer.log {
            auth0.change_password_log(&connection.name, None, &ticket.email, log.kind, &log.description);
        }
        if !answer.accepted {
            let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_REQUEST);
            return reset_error(status, answer.error.as_deref().unwrap_or_default(), answer.message());
        }
        return (
            StatusCode::OK,
            Json(json!({ "result": "success", "message": "Your password has been changed successfully." })),
        )
            .into_response();
    }
    let hash = match auth0.hash_password(&new_password).await {
        Ok(h) => h,
        Err(e) => {
            return reset_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &e.description);
        }
    };
    let outcome: Result<String, String> = match (&ticket.user_id, &ticket.legacy_profile) {
        (Some(id), _) => auth0.with_tenant(|t| {
            t.users
                .update(&connection.name, id, |user| {
                    user.password = Some(hash.clone());
                    user.last_password_reset = Some(now);
                    user.email_verified |= ticket.mark_email_verified;
                    user.updated_at = now;
                    user.id.clone()
                })
                .ok_or_else(|| "The user does not exist.".to_owned())
        }),
        (None, Some(Value::Object(profile))) => {
            match auth0
                .user_from_profile(&connection, profile.clone(), &new_password)
                .await
            {
                Ok(mut user) => {
                    user.password = Some(hash.clone());
                    user.last_password_reset = Some(now);
                    let id = user.id.clone();
                    auth0
                        .store_migrated(&connection, user)
                        .map(|()| id)
                        .map_err(|e| e.description)
                }
                Err(e) => Err(e.description),
            }
        }
        _ => Err("This ticket is invalid or has expired.".into()),
    };
    match outcome {
        Ok(id) => {
            auth0.with_tenant(|t| {
                if let Some(ticket) = t.tickets.get_mut(&ticket_id) {
                    ticket.used = true;
                }
            });
            auth0.change_password_log(
                &connection.name,
                None,
                &ticket.email,
                "scp",
                "Successful change password",
            );
            let _ = id;
            (
                StatusCode::OK,
                Json(json!({ "result": "success", "message": "Your password has been changed successfully." })),
            )
                .into_response()
        }
        Err(message) => {
            auth0.change_password_log(&connection.name, None, &ticket.email, "fcp", &message);
            reset_error(StatusCode::BAD_REQUEST, "reset_failed", &message)
        }
    }
}

pub(crate) fn reset_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "result": "error", "code": code, "message": message })),
    )
        .into_response()
}

impl Auth0 {
    /// Stores a reset ticket and answers its link: the one the reset email carries and a
    /// password-change ticket answers.
    pub(crate) fn reset_link(&self, ticket: ResetTicket) -> String {
        let id = self.kit().ids.token(32);
        let link = format!("{}/lo/reset?ticket={id}#", self.kit().base_url());
        self.with_tenant(|t| t.tickets.insert(id, ticket));
        link
    }

    fn change_password_log(
        &self,
        connection: &str,
        client_id: Option<&str>,
        email: &str,
        kind: &str,
        description: &str,
    ) {
        let event = LogEvent {
            connection: Some(connection.to_owned()),
            client_id: client_id.map(str::to_owned),
            user_name: Some(email.to_owned()),
            ..self.new_log_event(kind, description)
        };
        self.with_tenant(|t| {
            t.log(LogEvent {
                user_id: t.find_user(connection, email).map(|u| u.user_id()),
                connection_id: t.connection(connection).map(|c| c.id.clone()),
                ..event
            });
        });
    }
}
