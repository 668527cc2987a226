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
