//! Okta's error envelope (okta.md §2.2–2.3) as one enum.
//!
//! Every failure a handler can produce is an [`OktaError`]; its `IntoResponse` sets the status and
//! the JSON content type and parks the error in the response's extensions. The Okta layer in
//! `mod.rs` then writes the body `{errorCode, errorSummary, errorLink, errorId, errorCauses}`
//! with an `errorId` from the kit's id generator — which an `IntoResponse` impl cannot reach —
//! and adds the request id and rate-limit headers. [`super::Okta::error_response`] does both steps
//! at once for answers made outside a handler (injected faults).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::kit::ratelimit::RateVerdict;

/// An Okta API error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum OktaError {
    /// E0000001, 400: `Api validation failed: {what}`, with causes.
    #[error("Api validation failed: {what}")]
    Validation { what: String, causes: Vec<String> },
    /// E0000003, 400.
    #[error("The request body was not well-formed.")]
    MalformedBody,
    /// E0000004, 401.
    #[error("Authentication failed")]
    AuthenticationFailed,
    /// E0000005, 403.
    #[error("Invalid session")]
    InvalidSession,
    /// E0000006, 403.
    #[error("You do not have permission to perform the requested action")]
    Forbidden,
    /// E0000007, 404: `Not found: Resource not found: {id} (User)`.
    #[error("Not found: Resource not found: {0} (User)")]
    UserNotFound(String),
    /// E0000008, 404: no such API path.
    #[error("The requested path was not found")]
    PathNotFound,
    /// E0000009 with the given 5xx status.
    #[error("Internal Server Error")]
    Internal(StatusCode),
    /// E0000010, 503.
    #[error("Service is in read only mode")]
    ReadOnly,
    /// E0000011, 401.
    #[error("Invalid token provided")]
    InvalidToken,
    /// E0000016, 403.
    #[error("Activation failed because the user is already active")]
    AlreadyActive,
    /// E0000022, 405.
    #[error("The endpoint does not support the provided HTTP method")]
    MethodNotAllowed,
    /// E0000029, 400.
    #[error("Invalid paging request.")]
    InvalidPaging,
    /// E0000031, 400.
    #[error("Invalid search criteria.")]
    InvalidSearch,
    /// E0000032, 403.
    #[error("Unlock is not allowed for this user.")]
    UnlockForbidden,
    /// E0000033, 400.
    #[error("Bad request. Can't specify a search query and filter in the same request.")]
    SearchAndFilter,
    /// E0000038, 403.
    #[error("This operation is not allowed in the user's current status.")]
    StatusForbids,
    /// E0000047, 429; carries the verdict of the bucket that refused, when it is not the
    /// endpoint's own bucket (the per-username authn limit).
    #[error("API call exceeded rate limit due to too many requests.")]
    TooManyRequests(Option<RateVerdict>),
    /// E0000079, 403.
    #[error("This operation is not allowed in the current authentication state.")]
    InvalidAuthState,
    /// Any other status, for injected faults: E0000001 for 4xx, E0000009 for 5xx.
    #[error("{}", other_summary(*.0))]
    Other(StatusCode),
}

fn other_summary(status: StatusCode) -> &'static str {
    if status.is_server_error() {
        "Internal Server Error"
    } else {
        "Api validation failed: request"
    }
}

impl OktaError {
    /// A validation error with one cause.
    pub(crate) fn validation(what: &str, cause: &str) -> Self {
        OktaError::Validation {
            what: what.to_owned(),
            causes: vec![cause.to_owned()],
        }
    }

    /// The error Okta answers for a fault of this status (the nearest documented one).
    pub(crate) fn for_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => OktaError::validation("request", "The request was rejected by fault injection."),
            401 => OktaError::InvalidToken,
            403 => OktaError::Forbidden,
            404 => OktaError::UserNotFound("resource".into()),
            405 => OktaError::MethodNotAllowed,
            429 => OktaError::TooManyRequests(None),
            503 => OktaError::ReadOnly,
            500 => OktaError::Internal(StatusCode::INTERNAL_SERVER_ERROR),
            s if s >= 500 => OktaError::Internal(status),
            _ => OktaError::Other(status),
        }
    }

    /// `E` + 7 digits.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            OktaError::Validation { .. } => "E0000001",
            OktaError::MalformedBody => "E0000003",
            OktaError::AuthenticationFailed => "E0000004",
            OktaError::InvalidSession => "E0000005",
            OktaError::Forbidden => "E0000006",
            OktaError::UserNotFound(_) => "E0000007",
            OktaError::PathNotFound => "E0000008",
            OktaError::Internal(_) => "E0000009",
            OktaError::ReadOnly => "E0000010",
            OktaError::InvalidToken => "E0000011",
            OktaError::AlreadyActive => "E0000016",
            OktaError::MethodNotAllowed => "E0000022",
            OktaError::InvalidPaging => "E0000029",
            OktaError::InvalidSearch => "E0000031",
            OktaError::UnlockForbidden => "E0000032",
            OktaError::SearchAndFilter => "E0000033",
            OktaError::StatusForbids => "E0000038",
            OktaError::TooManyRequests(_) => "E0000047",
            OktaError::InvalidAuthState => "E0000079",
            OktaError::Other(status) if status.is_server_error() => "E0000009",
            OktaError::Other(_) => "E0000001",
        }
    }

    pub(crate) fn status(&self) -> StatusCode {
        match self {
            OktaError::Validation { .. }
            | OktaError::MalformedBody
            | OktaError::InvalidPaging
            | OktaError::InvalidSearch
            | OktaError::SearchAndFilter => StatusCode::BAD_REQUEST,
            OktaError::AuthenticationFailed | OktaError::InvalidToken => StatusCode::UNAUTHORIZED,
            OktaError::InvalidSession
            | OktaError::Forbidden
            | OktaError::AlreadyActive
            | OktaError::UnlockForbidden
            | OktaError::StatusForbids
            | OktaError::InvalidAuthState => StatusCode::FORBIDDEN,
            OktaError::UserNotFound(_) | OktaError::PathNotFound => StatusCode::NOT_FOUND,
            OktaError::Internal(status) | OktaError::Other(status) => *status,
            OktaError::ReadOnly => StatusCode::SERVICE_UNAVAILABLE,
            OktaError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            OktaError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    fn causes(&self) -> Vec<Value> {
        match self {
            OktaError::Validation { causes, .. } => causes.iter().map(|c| json!({ "errorSummary": c })).collect(),
            _ => Vec::new(),
        }
    }

    /// The envelope, with the given `errorId`.
    pub(crate) fn body(&self, error_id: &str) -> Value {
        let code = self.code();
        json!({
            "errorCode": code,
            "errorSummary": self.to_string(),
            "errorLink": code,
            "errorId": error_id,
            "errorCauses": self.causes(),
        })
    }
}

/// The marker the Okta layer looks for to write an error body.
#[derive(Clone, Debug)]
pub(crate) struct Pending(pub(crate) OktaError);

impl IntoResponse for OktaError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response.extensions_mut().insert(Pending(self));
        response
    }
}

/// Fallback for a known path called with an unsupported method.
pub(crate) async fn method_not_allowed() -> OktaError {
    OktaError::MethodNotAllowed
}

/// Fallback for an unknown path.
pub(crate) async fn path_not_found() -> OktaError {
    OktaError::PathNotFound
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_has_the_five_fields_with_link_equal_to_code() {
        let body = OktaError::UserNotFound("nobody@example.com".into()).body("oaeAAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(
            body,
            json!({
                "errorCode": "E0000007",
                "errorSummary": "Not found: Resource not found: nobody@example.com (User)",
                "errorLink": "E0000007",
                "errorId": "oaeAAAAAAAAAAAAAAAAAAAAAA",
                "errorCauses": [],
            })
        );
    }

    #[test]
    fn faults_map_to_documented_codes() {
        let code = |s: u16| OktaError::for_status(StatusCode::from_u16(s).expect("status")).code();
        assert_eq!(code(500), "E0000009");
        assert_eq!(code(502), "E0000009");
        assert_eq!(code(429), "E0000047");
        assert_eq!(code(401), "E0000011");
        assert_eq!(code(403), "E0000006");
        assert_eq!(code(404), "E0000007");
        assert_eq!(code(400), "E0000001");
        assert_eq!(code(413), "E0000001");
        assert_eq!(
            OktaError::for_status(StatusCode::BAD_GATEWAY).status(),
            StatusCode::BAD_GATEWAY
        );
    }
}
