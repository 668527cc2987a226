//! Email verification: `POST /api/v2/jobs/verification-email` emails the user a verification
//! link; following it (`GET /lo/verify_email?ticket=…`) marks the email verified. For a custom
//! database connection with import mode off (legacy authentication) Auth0 first calls the
//! connection's `verify(email, callback)` script, and the email is verified only when the script
//! answers `callback(null, true)`. Tenant log events `sv` / `fv`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::Auth0;
use super::error::ApiError;
use super::logs::LogEvent;
use super::model::ScriptKind;
use super::model::StoredUser;
use super::state::{Email, TICKET_LIFETIME_DAYS};
use super::verdict;
use crate::kit::clock::iso_millis;

const VERIFIED_MESSAGE: &str = "Your email was verified. You can continue using the application.";

/// An emailed verification link.
#[derive(Clone, Debug)]
pub(crate) struct VerifyTicket {
    pub(crate) user_id: String,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) used: bool,
    /// Where the user goes once verified (a ticket's `result_url`), instead of the page.
    pub(crate) result_url: Option<String>,
}

impl Auth0 {
    /// A verification link for `user`, good for `lifetime`: the link the email carries and a
    /// verification ticket answers.
    pub(crate) fn verification_link(
        &self,
        user: &StoredUser,
        lifetime: Duration,
        result_url: Option<String>,
    ) -> String {
        let ticket = self.kit().ids.token(32);
        let link = format!("{}/lo/verify_email?ticket={ticket}#", self.kit().base_url());
        let expires_at = self.kit().clock.now() + lifetime;
        self.with_tenant(|t| {
            t.verify_tickets.insert(
                ticket,
                VerifyTicket {
                    user_id: user.user_id(),
                    expires_at,
                    used: false,
                    result_url,
                },
            );
        });
        link
    }
}

/// The user a verification is asked for, with the email it would verify: 404 for an unknown
/// user, 400 for one without an email address.
pub(crate) fn user_with_email(auth0: &Auth0, user_id: &str) -> Result<(StoredUser, String), ApiError> {
    let user = auth0
        .with_tenant(|t| t.user_by_id(user_id).cloned())
        .ok_or_else(ApiError::user_not_found)?;
    match user.email.clone() {
        Some(email) => Ok((user, email)),
        None => Err(ApiError::bad_request(
            "The user does not have an email address.",
            "invalid_body",
        )),
    }
}

/// `POST /api/v2/jobs/verification-email` `{user_id, client_id?}`: 201 with the job.
pub(crate) async fn verification_email_create(State(auth0): State<Auth0>, headers: HeaderMap, body: Bytes) -> Response {
    let result = (|| -> Result<Value, ApiError> {
        auth0.authorize(&headers, &["update:users"])?;
        let body: Value = serde_json::from_slice(&body)
            .map_err(|_| ApiError::bad_request("Payload validation error: 'Invalid JSON'.", "invalid_body"))?;
        let Some(user_id) = body.get("user_id").and_then(Value::as_str) else {
            return Err(ApiError::bad_request(
                "Payload validation error: 'Missing required property: user_id'.",
                "invalid_body",
            ));
        };
        let (user, email) = user_with_email(&auth0, user_id)?;
        let now = auth0.kit().clock.now();
        let job_id = format!("job_{}", auth0.kit().ids.alnum(16));
        let link = auth0.verification_link(&user, Duration::days(TICKET_LIFETIME_DAYS), None);
        auth0.with_tenant(|t| {
            t.outbox.push(Email {
                to: email.to_lowercase(),
                kind: "verification_email".into(),
                sent_at: now,
                link,
                connection: user.connection.clone(),
            });
        });
        Ok(json!({
            "type": "verification_email",
            "status": "pending",
            "created_at": iso_millis(now),
            "id": job_id,
        }))
    })();
    match result {
        Ok(job) => (StatusCode::CREATED, Json(job)).into_response(),
        Err(e) => e.into_response(),
    }
}

fn page(status: StatusCode, title: &str, message: &str) -> Response {
    use super::authorize::escape;
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body><h1>{}</h1><p id=\"message\">{}</p></body></html>",
        escape(title),
        escape(title),
        escape(message)
    );
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// `GET /lo/verify_email?ticket=…`: the link of the verification email.
pub(crate) async fn verify_email_get(State(auth0): State<Auth0>, RawQuery(query): RawQuery) -> Response {
    let now = auth0.kit().clock.now();
    // The first `ticket` of the query, whatever else it holds (an HTML page answers every case).
    let ticket_id = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "ticket")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let ticket = auth0.with_tenant(|t| t.verify_tickets.get(&ticket_id).cloned());
    let Some(ticket) = ticket.filter(|t| !t.used) else {
        return page(StatusCode::BAD_REQUEST, "Error", "This URL can be used only once");
    };
    if ticket.expires_at <= now {
        return page(StatusCode::BAD_REQUEST, "Error", "Access expired.");
    }
    let Some(user) = auth0.with_tenant(|t| t.user_by_id(&ticket.user_id).cloned()) else {
        return page(StatusCode::BAD_REQUEST, "Error", "User does not exist.");
    };
    let Some(connection) = auth0.with_tenant(|t| t.connection(&user.connection).cloned()) else {
        return page(StatusCode::BAD_REQUEST, "Error", "User does not exist.");
    };
    let email = user.email.clone().unwrap_or_default();
    if connection.custom_db() && !connection.import_mode() {
        let args = vec![json!(email)];
        let verdict = auth0
            .run_script(&connection, ScriptKind::Verify, args.clone(), args)
            .await;
        let Some(verdict) = verdict else {
            let message = "The connection has no verify script.";
            auth0.verification_log(&connection, &user, "fv", message);
            return page(StatusCode::BAD_REQUEST, "Error", message);
        };
        let answer = verdict::answer(ScriptKind::Verify, &verdict, &email);
        if !answer.accepted {
            if let Some(log) = &answer.log {
                auth0.verification_log(&connection, &user, log.kind, &log.description);
            }
            let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_REQUEST);
            return page(status, "Error", answer.message());
        }
    }
    auth0.with_tenant(|t| {
        t.users.update(&user.connection, &user.id, |u| {
            u.email_verified = true;
            u.updated_at = now;
        });
        if let Some(ticket) = t.verify_tickets.get_mut(&ticket_id) {
            ticket.used = true;
        }
    });
    auth0.verification_log(&connection, &user, "sv", "Email verified");
    if let Some(result_url) = &ticket.result_url {
        // Classic Universal Login sends the user on to the ticket's result URL.
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("success", "true")
            .append_pair("code", "success")
            .append_pair("message", VERIFIED_MESSAGE)
            .finish();
        let separator = if result_url.contains('?') { '&' } else { '?' };
        return (
            StatusCode::FOUND,
            [(header::LOCATION, format!("{result_url}{separator}{query}"))],
        )
            .into_response();
    }
    page(
        StatusCode::OK,
        "Email Verified",
        "Your email address was successfully verified.",
    )
}

impl Auth0 {
    fn verification_log(
        &self,
        connection: &super::model::Connection,
        user: &StoredUser,
        kind: &str,
        description: &str,
    ) {
        let event = LogEvent {
            connection: Some(connection.name.clone()),
            user_id: Some(user.user_id()),
            user_name: user.email.clone(),
            connection_id: Some(connection.id.clone()),
            ..self.new_log_event(kind, description)
        };
        self.with_tenant(|t| t.log(event));
    }
}
