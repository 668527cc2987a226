//! Auth0's error bodies. Three families, as on the real service:
//! - the Authentication API's OAuth errors, `{"error": "...", "error_description": "..."}`
//!   ([`OAuthError`]);
//! - the Management API's `{"statusCode", "error", "message", "errorCode"}` ([`ApiError`]);
//! - the `/dbconnections/*` endpoints' `{"name", "code", "description", "statusCode"}`
//!   ([`DbError`]).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An Authentication API (`/oauth/token`, `/userinfo`) error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    pub status: StatusCode,
    pub error: String,
    pub description: String,
}

impl OAuthError {
    pub fn new(status: StatusCode, error: &str, description: impl Into<String>) -> Self {
        Self {
            status,
            error: error.into(),
            description: description.into(),
        }
    }

    /// 403 `invalid_grant` "Wrong email or password." — every credential failure, whether or
    /// not the user exists.
    pub fn wrong_credentials() -> Self {
        Self::new(StatusCode::FORBIDDEN, "invalid_grant", "Wrong email or password.")
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        (
            self.status,
            [
                (axum::http::header::CACHE_CONTROL, "no-store"),
                (axum::http::header::PRAGMA, "no-cache"),
            ],
            Json(json!({ "error": self.error, "error_description": self.description })),
        )
            .into_response()
    }
}

/// A Management API (`/api/v2/*`) error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub error_code: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>, error_code: Option<&str>) -> Self {
        Self {
            status,
            message: message.into(),
            error_code: error_code.map(str::to_owned),
        }
    }

    pub fn bad_request(message: impl Into<String>, code: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message, Some(code))
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message, None)
    }

    pub fn insufficient_scope(any_of: &[&str]) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            format!("Insufficient scope, expected any of: {}", any_of.join(",")),
            Some("insufficient_scope"),
        )
    }

    pub fn user_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "The user does not exist.",
            Some("inexistent_user"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let reason = self.status.canonical_reason().unwrap_or("Error");
        let mut body = json!({ "statusCode": self.status.as_u16(), "error": reason, "message": self.message });
        if let Some(code) = self.error_code {
            body["errorCode"] = json!(code);
        }
        (self.status, Json(body)).into_response()
    }
}

/// `Payload validation error: '<problem>'.`; a problem that names its property carries its own
/// closing quote (`<problem>' on property <name>`), as Auth0 words it.
pub(crate) fn invalid_body(message: impl std::fmt::Display) -> ApiError {
    let message = message.to_string();
    let text = if message.contains("' on property ") {
        format!("Payload validation error: '{message}.")
    } else {
        format!("Payload validation error: '{message}'.")
    };
    ApiError::bad_request(text, "invalid_body")
}

/// A `/dbconnections/*` error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbError {
    pub status: StatusCode,
    pub name: String,
    pub code: String,
    pub description: String,
}

impl DbError {
    pub fn bad_request(code: &str, description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            name: "BadRequestError".into(),
            code: code.into(),
            description: description.into(),
        }
    }
}

impl IntoResponse for DbError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({
                "name": self.name,
                "code": self.code,
                "description": self.description,
                "statusCode": self.status.as_u16(),
            })),
        )
            .into_response()
    }
}

/// `Path<String>` whose rejection (an id that is not UTF-8 once decoded, say) answers in the
/// Management API's shape rather than the framework's plain text.
#[derive(Clone, Debug)]
pub(crate) struct ApiPath(pub(crate) String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ApiPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(id)| ApiPath(id))
            .map_err(|e| ApiError::bad_request(format!("Invalid URL: {}", e.body_text()), "invalid_uri"))
    }
}

/// Query parameters for the Management API: a parameter given twice counts with its last value
/// and a malformed query string never stops a request (Auth0 validates the values, which the
/// handlers do), so the only rejection is a parameter shape the handler's type cannot take.
#[derive(Clone, Debug)]
pub(crate) struct ApiQuery<T>(pub(crate) T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        let mut params = serde_json::Map::new();
        for (key, value) in form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()) {
            params.insert(key.into_owned(), serde_json::Value::String(value.into_owned()));
        }
        serde_json::from_value(serde_json::Value::Object(params))
            .map(ApiQuery)
            .map_err(|e| ApiError::bad_request(format!("Query validation error: '{e}'."), "invalid_query_string"))
    }
}

/// The parameters of a query string in order, for handlers that take a parameter more than
/// once (`strategy=auth0&strategy=ad`).
pub(crate) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}
