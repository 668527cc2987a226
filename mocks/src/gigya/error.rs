//! Gigya's error codes (gigya.md §2.2, completed from Gigya's published code table) as one enum,
//! and the envelope every answer shares (§2.1).
//!
//! An error becomes a body `{callId, errorCode, errorDetails, errorMessage, apiVersion,
//! statusCode, statusReason, time}` (plus `context` when the request sent one, and the fields
//! some codes carry: `regToken`, `UID`, `validationErrors`). `statusCode` is the first three
//! digits of `errorCode` and `statusReason` its HTTP reason phrase. The HTTP status is 200 unless
//! the request asked for `httpStatusCodes=true`; that choice, the `callId` and the time belong to
//! the request, so the body is written by [`super::envelope::Call`], not by `IntoResponse` here.
//! `IntoResponse` exists for answers made outside a request (injected faults, oversized bodies):
//! HTTP status = the error's status code.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// One entry of `validationErrors`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ValidationError {
    pub(crate) field_name: String,
    pub(crate) message: String,
}

/// A Gigya API error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum GigyaError {
    /// 206001: login succeeded but registration is not finalized.
    #[error("Account Pending Registration")]
    PendingRegistration { reg_token: String },
    /// 206002: login with an email that is not verified, when the site requires it.
    #[error("Account Pending Verification")]
    PendingVerification { reg_token: String, uid: String },
    /// 301001: the request reached another data center's host; says where the site lives.
    #[error("Invalid data center")]
    InvalidDataCenter { api_domain: String, location: String },
    /// 400001, with what was wrong with the request.
    #[error("Invalid request format")]
    InvalidRequestFormat(String),
    /// 400002, naming the parameter.
    #[error("Missing required parameter")]
    MissingParameter(String),
    /// 400003: a UID (or another unique identifier) that already exists.
    #[error("Unique identifier exists")]
    UniqueIdentifierExists(String),
    /// 400006, naming the parameter and what is wrong with it.
    #[error("Invalid parameter value")]
    InvalidParameter { name: String, problem: String },
    /// 400009 with the validation errors.
    #[error("Validation error")]
    Validation(Vec<ValidationError>),
    /// 400093.
    #[error("Invalid ApiKey parameter")]
    InvalidApiKey,
    /// 400096: a method this site (the mock) does not serve.
    #[error("Not supported")]
    NotSupported(String),
    /// 403002: a signed request's timestamp outside the window.
    #[error("Request has expired")]
    RequestExpired(String),
    /// 403003.
    #[error("Invalid request signature")]
    InvalidSignature,
    /// 403004: a nonce seen before.
    #[error("Duplicate nonce")]
    DuplicateNonce,
    /// 403005: an unknown user key, or a UID that is not valid for this site.
    #[error("Unauthorized user")]
    UnauthorizedUser(String),
    /// 403007, with the reason.
    #[error("Permission denied")]
    PermissionDenied(String),
    /// 403041: login to an account with `isActive: false`.
    #[error("Account disabled")]
    AccountDisabled,
    /// 403042: wrong login id or password.
    #[error("Invalid LoginID")]
    InvalidLoginId,
    /// 403043: an email or username used by another account.
    #[error("Login identifier exists")]
    LoginIdExists(String),
    /// 403048.
    #[error("Api rate limit exceeded")]
    RateLimited,
    /// 403120.
    #[error("Account temporarily locked out")]
    LockedOut,
    /// 404000, with what was not found.
    #[error("Not found")]
    NotFound(String),
    /// 409030.
    #[error("Too many requests for same user")]
    TooManyRequestsSameUser,
    /// 413001: a request body over the kit's limit.
    #[error("Request entity too large")]
    TooLarge,
    /// 500001, with the reason.
    #[error("General Server Error")]
    General(String),
    /// 503001.
    #[error("Service unavailable for this operation")]
    ServiceUnavailable(String),
    /// 504001.
    #[error("Timeout")]
    Timeout,
}

impl GigyaError {
    /// A 400006 for `name`.
    pub(crate) fn invalid(name: &str, problem: impl Into<String>) -> Self {
        GigyaError::InvalidParameter {
            name: name.to_owned(),
            problem: problem.into(),
        }
    }

    /// A 400002 for `name`.
    pub(crate) fn missing(name: &str) -> Self {
        GigyaError::MissingParameter(name.to_owned())
    }

    pub(crate) fn code(&self) -> u32 {
        match self {
            GigyaError::PendingRegistration { .. } => 206_001,
            GigyaError::PendingVerification { .. } => 206_002,
            GigyaError::InvalidDataCenter { .. } => 301_001,
            GigyaError::InvalidRequestFormat(_) => 400_001,
            GigyaError::MissingParameter(_) => 400_002,
            GigyaError::UniqueIdentifierExists(_) => 400_003,
            GigyaError::InvalidParameter { .. } => 400_006,
            GigyaError::Validation(_) => 400_009,
            GigyaError::InvalidApiKey => 400_093,
            GigyaError::NotSupported(_) => 400_096,
            GigyaError::RequestExpired(_) => 403_002,
            GigyaError::InvalidSignature => 403_003,
            GigyaError::DuplicateNonce => 403_004,
            GigyaError::UnauthorizedUser(_) => 403_005,
            GigyaError::PermissionDenied(_) => 403_007,
            GigyaError::AccountDisabled => 403_041,
            GigyaError::InvalidLoginId => 403_042,
            GigyaError::LoginIdExists(_) => 403_043,
            GigyaError::RateLimited => 403_048,
            GigyaError::LockedOut => 403_120,
            GigyaError::NotFound(_) => 404_000,
            GigyaError::TooManyRequestsSameUser => 409_030,
            GigyaError::TooLarge => 413_001,
            GigyaError::General(_) => 500_001,
            GigyaError::ServiceUnavailable(_) => 503_001,
            GigyaError::Timeout => 504_001,
        }
    }

    /// The longer text of `errorDetails`.
    pub(crate) fn details(&self) -> String {
        match self {
            GigyaError::InvalidRequestFormat(d)
            | GigyaError::UniqueIdentifierExists(d)
            | GigyaError::NotSupported(d)
            | GigyaError::RequestExpired(d)
            | GigyaError::UnauthorizedUser(d)
            | GigyaError::PermissionDenied(d)
            | GigyaError::LoginIdExists(d)
            | GigyaError::NotFound(d)
            | GigyaError::General(d)
            | GigyaError::ServiceUnavailable(d) => d.clone(),
            GigyaError::MissingParameter(name) => format!("Missing required parameter: {name}"),
            GigyaError::InvalidParameter { name, problem } => format!("Invalid argument: {name}: {problem}"),
            GigyaError::Validation(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field_name, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            GigyaError::InvalidLoginId => "invalid loginID or password".into(),
            GigyaError::InvalidDataCenter { api_domain, .. } => {
                format!("The API key is served by another data center: {api_domain}")
            }
            GigyaError::InvalidApiKey => "The provided API key is invalid".into(),
            GigyaError::InvalidSignature => "The request is not signed with a valid signature".into(),
            GigyaError::DuplicateNonce => "The nonce was already used by an earlier request".into(),
            GigyaError::AccountDisabled => "Account is disabled".into(),
            GigyaError::RateLimited => "Api rate limit exceeded".into(),
            GigyaError::LockedOut => "Account temporarily locked out".into(),
            GigyaError::TooManyRequestsSameUser => "Too many requests for same user".into(),
            GigyaError::PendingRegistration { .. }
            | GigyaError::PendingVerification { .. }
            | GigyaError::TooLarge
            | GigyaError::Timeout => self.to_string(),
        }
    }

    /// `statusCode`: the first three digits of the error code.
    pub(crate) fn status(&self) -> StatusCode {
        StatusCode::from_u16(u16::try_from(self.code() / 1000).unwrap_or(500))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// Fields some errors carry next to the envelope.
    fn extra(&self) -> Map<String, Value> {
        let mut extra = Map::new();
        match self {
            GigyaError::PendingRegistration { reg_token } => {
                extra.insert("regToken".into(), reg_token.clone().into());
            }
            GigyaError::PendingVerification { reg_token, uid } => {
                extra.insert("regToken".into(), reg_token.clone().into());
                extra.insert("UID".into(), uid.clone().into());
            }
            GigyaError::InvalidDataCenter { api_domain, location } => {
                extra.insert("apiDomain".into(), api_domain.clone().into());
                extra.insert("location".into(), location.clone().into());
            }
            GigyaError::Validation(errors) => {
                let list = errors
                    .iter()
                    .map(|e| json!({ "fieldName": e.field_name, "message": e.message, "errorCode": 400_009 }))
                    .collect();
                extra.insert("validationErrors".into(), Value::Array(list));
            }
            _ => {}
        }
        extra
    }

    /// The error body, with the envelope fields of the request.
    pub(crate) fn body(&self, call_id: &str, context: Option<&str>, time: &str) -> Map<String, Value> {
        let status = self.status();
        let mut body = Map::new();
        body.insert("callId".into(), call_id.into());
        if let Some(context) = context {
            body.insert("context".into(), context.into());
        }
        body.insert("errorCode".into(), self.code().into());
        body.insert("errorDetails".into(), self.details().into());
        body.insert("errorMessage".into(), self.to_string().into());
        body.insert("apiVersion".into(), 2.into());
        body.insert("statusCode".into(), status.as_u16().into());
        body.insert("statusReason".into(), reason(status).into());
        body.insert("time".into(), time.into());
        body.extend(self.extra());
        body
    }

    /// The error a fault of this HTTP status stands for.
    pub(crate) fn for_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => GigyaError::InvalidRequestFormat("The request was rejected (injected fault)".into()),
            401 | 403 => GigyaError::PermissionDenied("The request was rejected (injected fault)".into()),
            404 => GigyaError::NotFound("Not found (injected fault)".into()),
            409 => GigyaError::TooManyRequestsSameUser,
            413 => GigyaError::TooLarge,
            429 => GigyaError::RateLimited,
            503 => GigyaError::ServiceUnavailable("Service unavailable (injected fault)".into()),
            504 => GigyaError::Timeout,
            _ => GigyaError::General("General Server Error".into()),
        }
    }
}

/// The reason phrase of `statusReason`.
pub(crate) fn reason(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Unknown")
}

/// An answer outside a request: HTTP status as given, a Gigya body for the nearest error.
pub(crate) fn fault_body(status: StatusCode, call_id: &str, time: &str) -> Response {
    let error = GigyaError::for_status(status);
    let body = Value::Object(error.body(call_id, None, time)).to_string();
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

impl IntoResponse for GigyaError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = Value::Object(self.body("00000000000000000000000000000000", None, "")).to_string();
        (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            body,
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_code_is_the_first_three_digits() {
        assert_eq!(GigyaError::InvalidLoginId.status(), StatusCode::FORBIDDEN);
        assert_eq!(GigyaError::missing("UID").status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            GigyaError::PendingRegistration { reg_token: "t".into() }
                .status()
                .as_u16(),
            206
        );
        assert_eq!(
            GigyaError::General(String::new()).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn login_error_matches_the_captured_body() {
        let body = GigyaError::InvalidLoginId.body("callId", None, "2020-11-17T08:22:36.561Z");
        assert_eq!(
            Value::Object(body),
            json!({"callId":"callId","errorCode":403042,"errorDetails":"invalid loginID or password",
                   "errorMessage":"Invalid LoginID","apiVersion":2,"statusCode":403,
                   "statusReason":"Forbidden","time":"2020-11-17T08:22:36.561Z"})
        );
    }

    #[test]
    fn faults_map_to_gigya_codes() {
        let code = |s: u16| GigyaError::for_status(StatusCode::from_u16(s).expect("status")).code();
        assert_eq!(code(500), 500_001);
        assert_eq!(code(503), 503_001);
        assert_eq!(code(504), 504_001);
        assert_eq!(code(429), 403_048);
        assert_eq!(code(502), 500_001);
        assert_eq!(code(413), 413_001);
    }
}
