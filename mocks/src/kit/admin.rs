//! The admin endpoints every mock serves under `/__ferry/`: journal, seeding, reset, faults,
//! clock and a state view. They are Ferry's own (not part of any mocked API), answer with
//! Ferry's own error shape `{"error": "...", "detail": "..."}`, and are never journaled.
//!
//! | method and path                 | does                                                        |
//! |---------------------------------|-------------------------------------------------------------|
//! | `GET /__ferry/health`           | `{"provider": "okta", "status": "ok"}`                      |
//! | `GET /__ferry/journal`          | entries; `since`, `limit`, `method`, `path` filter them      |
//! | `DELETE /__ferry/journal`       | clears the journal                                          |
//! | `POST /__ferry/seed`            | adds seed data (JSON, or YAML with a YAML content type)     |
//! | `POST /__ferry/reset`           | empties state, journal and faults                           |
//! | `GET /__ferry/faults`           | installed fault rules with their counters                   |
//! | `POST /__ferry/faults`          | installs a rule, answers `{"id": N}`                        |
//! | `DELETE /__ferry/faults[/{id}]` | removes all rules, or one                                   |
//! | `GET /__ferry/clock`            | `{"now": "...", "manual": true}`                            |
//! | `POST /__ferry/clock`           | `{"advance": "5m"}` moves a manual clock                    |
//! | `GET /__ferry/state`            | the provider's state, without secrets                       |

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde_json::json;

use super::Provider;
use super::clock::{iso_millis, parse_duration};
use super::fault::FaultRule;
use super::seed::{self, SeedError};

pub(crate) fn router<P: Provider>(provider: P) -> Router {
    Router::new()
        .route("/__ferry/health", get(health::<P>))
        .route("/__ferry/journal", get(journal_list::<P>).delete(journal_clear::<P>))
        .route("/__ferry/seed", post(seed_post::<P>))
        .route("/__ferry/reset", post(reset::<P>))
        .route(
            "/__ferry/faults",
            get(faults_list::<P>).post(faults_add::<P>).delete(faults_clear::<P>),
        )
        .route("/__ferry/faults/{id}", delete(faults_remove::<P>))
        .route("/__ferry/clock", get(clock_get::<P>).post(clock_post::<P>))
        .route("/__ferry/state", get(state_get::<P>))
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(provider)
}

pub(crate) fn admin_error(status: StatusCode, error: &str, detail: impl Into<String>) -> Response {
    (status, Json(json!({ "error": error, "detail": detail.into() }))).into_response()
}

/// An admin path called with a method it does not serve.
async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    admin_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{method} is not served on {} (see the table in mocks/src/kit/admin.rs)",
            uri.path()
        ),
    )
}

/// A query or path parameter the extractor refused, in Ferry's shape rather than axum's text.
fn bad_parameter(rejection: &impl std::fmt::Display) -> Response {
    admin_error(StatusCode::BAD_REQUEST, "bad_request", rejection.to_string())
}

async fn health<P: Provider>() -> Json<serde_json::Value> {
    Json(json!({ "provider": P::NAME, "status": "ok" }))
}

#[derive(Deserialize)]
struct JournalQuery {
    #[serde(default)]
    since: u64,
    limit: Option<usize>,
    method: Option<String>,
    path: Option<String>,
}

async fn journal_list<P: Provider>(State(p): State<P>, query: Result<Query<JournalQuery>, QueryRejection>) -> Response {
    let q = match query {
        Ok(Query(q)) => q,
        Err(rejection) => return bad_parameter(&rejection),
    };
    let mut page = p.kit().journal.page(q.since, q.limit.unwrap_or(usize::MAX));
    if q.method.is_some() || q.path.is_some() {
        page.entries.retain(|e| {
            q.method.as_deref().is_none_or(|m| e.method.eq_ignore_ascii_case(m))
                && q.path
                    .as_deref()
                    .is_none_or(|pat| super::journal::path_matches(pat, &e.path))
        });
    }
    Json(page).into_response()
}

async fn journal_clear<P: Provider>(State(p): State<P>) -> StatusCode {
    p.kit().journal.clear();
    StatusCode::NO_CONTENT
}

fn is_yaml(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("yaml"))
}

async fn seed_post<P: Provider>(State(p): State<P>, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(text) = std::str::from_utf8(&body) else {
        return admin_error(StatusCode::BAD_REQUEST, "invalid_seed", "the seed is not UTF-8 text");
    };
    let parsed: Result<P::Seed, SeedError> = if is_yaml(&headers) {
        seed::parse(text, None)
    } else {
        serde_json::from_str(text).map_err(|e| SeedError::Parse {
            file: None,
            line: Some(e.line() as u64),
            column: Some(e.column() as u64),
            reason: e.to_string(),
        })
    };
    match parsed.and_then(|s| p.seed(s)) {
        Ok(summary) => Json(json!({ "seeded": summary })).into_response(),
        Err(e) => admin_error(StatusCode::BAD_REQUEST, "invalid_seed", e.to_string()),
    }
}

async fn reset<P: Provider>(State(p): State<P>) -> StatusCode {
    p.reset();
    p.kit().journal.clear();
    p.kit().faults.clear();
    StatusCode::NO_CONTENT
}

async fn faults_list<P: Provider>(State(p): State<P>) -> Response {
    Json(p.kit().faults.list()).into_response()
}

async fn faults_add<P: Provider>(State(p): State<P>, body: Bytes) -> Response {
    match serde_json::from_slice::<FaultRule>(&body) {
        Ok(rule) => (StatusCode::CREATED, Json(json!({ "id": p.kit().faults.add(rule) }))).into_response(),
        Err(e) => admin_error(StatusCode::BAD_REQUEST, "invalid_fault", e.to_string()),
    }
}

async fn faults_clear<P: Provider>(State(p): State<P>) -> StatusCode {
    p.kit().faults.clear();
    StatusCode::NO_CONTENT
}

async fn faults_remove<P: Provider>(State(p): State<P>, id: Result<Path<u64>, PathRejection>) -> Response {
    let id = match id {
        Ok(Path(id)) => id,
        Err(rejection) => return bad_parameter(&rejection),
    };
    if p.kit().faults.remove(id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        admin_error(StatusCode::NOT_FOUND, "not_found", format!("no fault rule {id}"))
    }
}

async fn clock_get<P: Provider>(State(p): State<P>) -> Json<serde_json::Value> {
    let clock = &p.kit().clock;
    Json(json!({ "now": iso_millis(clock.now()), "manual": clock.is_manual() }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockMove {
    advance: String,
}

async fn clock_post<P: Provider>(State(p): State<P>, body: Bytes) -> Response {
    let step = match serde_json::from_slice::<ClockMove>(&body) {
        Ok(m) => m,
        Err(e) => return admin_error(StatusCode::BAD_REQUEST, "invalid_clock", e.to_string()),
    };
    let by = match parse_duration(&step.advance) {
        Ok(by) => by,
        Err(e) => return admin_error(StatusCode::BAD_REQUEST, "invalid_clock", e),
    };
    let clock = &p.kit().clock;
    if !clock.advance(by) {
        return admin_error(
            StatusCode::CONFLICT,
            "system_clock",
            "this mock runs on the system clock, which cannot be moved",
        );
    }
    Json(json!({ "now": iso_millis(clock.now()), "manual": true })).into_response()
}

async fn state_get<P: Provider>(State(p): State<P>) -> Json<serde_json::Value> {
    Json(p.state())
}
