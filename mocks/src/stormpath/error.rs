//! Stormpath's error resource (stormpath.md §4) as one enum.
//!
//! Every failure is a [`StormpathError`]; its `IntoResponse` sets the status and parks the error
//! in the response's extensions. The Stormpath layer in `mod.rs` then writes the body
//! `{status, code, message, developerMessage, moreInfo, requestId}` with the request's UUID —
//! the same one it puts in the `Stormpath-Request-Id` header — which an `IntoResponse` impl
//! cannot know.
//!
//! Wording, where the sources give it:
//! - 401: the body the real API answered (stormpath-sdk-java issue #418):
//!   `"Authentication required."` / `"Authentication with a valid API Key is required."`,
//!   `moreInfo` `http://www.stormpath.com/docs/quickstart/connect`.
//! - 404 and 415: `moreInfo` `mailto:support@stormpath.com` and the developer message
//!   `"The requested resource does not exist."` as the Node SDK printed them
//!   (express-stormpath issue #48, stormpath-sdk-node issue #151).
//! - 71xx, 5105, 5114, 2xxx: the developer messages of errors.rst / stormpath.md §4, `moreInfo`
//!   `http://docs.stormpath.com/errors/{code}` (stormpath-sdk-android LoginTest). `message` is
//!   `"Invalid username or password."` for 7100 and 7104 (never telling whether the account
//!   exists) and the developer message for the status errors (7101–7107), whose point is to say
//!   why the login was refused.
//! - 2014 for an `accountStore` that is not a known store: `"accountStore property is an invalid
//!   reference."` (observed, stormpath-sdk-java issue #255).
//! - Other statuses (faults, 429, 5xx): the sentences of the reference's status-code tables.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// `moreInfo` of errors whose code is the HTTP status.
const SUPPORT: &str = "mailto:support@stormpath.com";

/// Why a login attempt was refused (the 7xxx / 5xxx codes of `loginAttempts`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LoginFailure {
    /// 7100: the account exists, the password does not match (or it has none).
    WrongPassword,
    /// 7101.
    Disabled,
    /// 7102.
    Unverified,
    /// 7104: no account with that username or email in the searched stores.
    NoSuchAccount,
    /// 7106: the account's directory is disabled.
    DirectoryDisabled,
    /// 5105: the application has no account stores.
    NoAccountStores,
    /// 5114: `accountStore` names a store that is not mapped to the application.
    StoreNotMapped,
}

impl LoginFailure {
    fn code(self) -> u32 {
        match self {
            LoginFailure::WrongPassword => 7100,
            LoginFailure::Disabled => 7101,
            LoginFailure::Unverified => 7102,
            LoginFailure::NoSuchAccount => 7104,
            LoginFailure::DirectoryDisabled => 7106,
            LoginFailure::NoAccountStores => 5105,
            LoginFailure::StoreNotMapped => 5114,
        }
    }

    fn developer_message(self) -> &'static str {
        match self {
            LoginFailure::WrongPassword => "Login attempt failed because the specified password is incorrect.",
            LoginFailure::Disabled => "Login attempt failed because the Account is disabled.",
            LoginFailure::Unverified => "Login attempt failed because the Account is not verified.",
            LoginFailure::NoSuchAccount => {
                "Login attempt failed because there is no Account in the Application's associated Account Stores \
                 with the specified username or email."
            }
            LoginFailure::DirectoryDisabled => {
                "Login attempt failed because the Account is in a Directory that is disabled."
            }
            LoginFailure::NoAccountStores => {
                "Login attempt failed because the Application is not assigned any Account Stores."
            }
            LoginFailure::StoreNotMapped => {
                "The specified Account Store is not one of the Application's assigned Account Stores."
            }
        }
    }

    fn message(self) -> &'static str {
        match self {
            LoginFailure::WrongPassword | LoginFailure::NoSuchAccount => "Invalid username or password.",
            LoginFailure::StoreNotMapped => "The specified Account Store reference is invalid.",
            other => other.developer_message(),
        }
    }
}

/// A Stormpath API error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum StormpathError {
    /// 401 / 401: no, malformed or wrong API key credentials.
    AuthenticationRequired,
    /// 404 / 404.
    NotFound,
    /// 405 / 405, with the method.
    MethodNotAllowed(String),
    /// 415 / 415: a body that is not `application/json`.
    UnsupportedMediaType,
    /// 400 / 400: the body is not a JSON object.
    MalformedBody,
    /// 400 / 2000: `{0} is required; it cannot be null, empty, or blank.`
    Required(&'static str),
    /// 400 with a 2xxx property or query code and its developer message.
    Invalid { code: u32, message: String },
    /// 400 / 2014: the `accountStore` of a login attempt is not a known store.
    InvalidAccountStore,
    /// 400 with a login-attempt code.
    Login(LoginFailure),
    /// 429 / 429.
    TooManyRequests,
    /// Any other status with the status as code (faults).
    Status(StatusCode),
}

impl StormpathError {
    /// A 2xxx validation or query error.
    pub(crate) fn invalid(code: u32, message: impl Into<String>) -> Self {
        StormpathError::Invalid {
            code,
            message: message.into(),
        }
    }

    /// The error Stormpath answers for a fault of this status.
    pub(crate) fn for_status(status: StatusCode) -> Self {
        match status.as_u16() {
            401 => StormpathError::AuthenticationRequired,
            404 => StormpathError::NotFound,
            415 => StormpathError::UnsupportedMediaType,
            429 => StormpathError::TooManyRequests,
            _ => StormpathError::Status(status),
        }
    }

    pub(crate) fn status(&self) -> StatusCode {
        match self {
            StormpathError::AuthenticationRequired => StatusCode::UNAUTHORIZED,
            StormpathError::NotFound => StatusCode::NOT_FOUND,
            StormpathError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            StormpathError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            StormpathError::MalformedBody
            | StormpathError::Required(_)
            | StormpathError::Invalid { .. }
            | StormpathError::InvalidAccountStore
            | StormpathError::Login(_) => StatusCode::BAD_REQUEST,
            StormpathError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            StormpathError::Status(status) => *status,
        }
    }

    pub(crate) fn code(&self) -> u32 {
        match self {
            StormpathError::Required(_) => 2000,
            StormpathError::Invalid { code, .. } => *code,
            StormpathError::InvalidAccountStore => 2014,
            StormpathError::Login(failure) => failure.code(),
            other => u32::from(other.status().as_u16()),
        }
    }

    /// `(message, developerMessage, moreInfo)`.
    fn texts(&self) -> (String, String, String) {
        let docs = |code: u32| format!("http://docs.stormpath.com/errors/{code}");
        let same = |text: String, more: String| (text.clone(), text, more);
        match self {
            StormpathError::AuthenticationRequired => (
                "Authentication required.".into(),
                "Authentication with a valid API Key is required.".into(),
                "http://www.stormpath.com/docs/quickstart/connect".into(),
            ),
            StormpathError::NotFound => same("The requested resource does not exist.".into(), SUPPORT.into()),
            StormpathError::MethodNotAllowed(method) => {
                same(format!("{method} is not supported for the resource."), SUPPORT.into())
            }
            StormpathError::UnsupportedMediaType => same(
                "Content-Type must be application/json. Only application/json is currently supported.".into(),
                SUPPORT.into(),
            ),
            StormpathError::MalformedBody => same(
                "The request body could not be read as a JSON object.".into(),
                SUPPORT.into(),
            ),
            StormpathError::Required(what) => same(
                format!("{what} is required; it cannot be null, empty, or blank."),
                docs(2000),
            ),
            StormpathError::Invalid { code, message } => same(message.clone(), docs(*code)),
            StormpathError::InvalidAccountStore => {
                same("accountStore property is an invalid reference.".into(), docs(2014))
            }
            StormpathError::Login(failure) => (
                failure.message().into(),
                failure.developer_message().into(),
                docs(failure.code()),
            ),
            StormpathError::TooManyRequests => same(
                "Your application is sending too many simultaneous requests.".into(),
                SUPPORT.into(),
            ),
            StormpathError::Status(status) => same(status_sentence(*status).into(), SUPPORT.into()),
        }
    }

    /// The error resource, with the given request id.
    pub(crate) fn body(&self, request_id: &str) -> Value {
        let (message, developer_message, more_info) = self.texts();
        json!({
            "status": self.status().as_u16(),
            "code": self.code(),
            "message": message,
            "developerMessage": developer_message,
            "moreInfo": more_info,
            "requestId": request_id,
        })
    }
}

/// The reference's sentence for a status (its "Response Status Codes" tables).
fn status_sentence(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "The data given in the request failed validation. Inspect the response body for details.",
        403 => "The supplied authentication credentials are not sufficient to access the resource.",
        405 => "The method is not supported for the resource.",
        409 => {
            "You cannot create or update a resource because another resource already exists or conflicts with one you are submitting."
        }
        413 => "The request body is too large.",
        503 => "We are temporarily unable to service the request. Please wait for a bit and try again.",
        s if s >= 500 => "We could not create or update the resource. Please try again.",
        _ => "The request could not be processed.",
    }
}

/// The marker the Stormpath layer looks for to write an error body.
#[derive(Clone, Debug)]
pub(crate) struct Pending(pub(crate) StormpathError);

impl IntoResponse for StormpathError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(super::JSON_UTF8));
        response.extensions_mut().insert(Pending(self));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_password_is_7100_with_the_documented_texts() {
        let body = StormpathError::Login(LoginFailure::WrongPassword).body("c6d6ae18-6d8e-41e7-8d23-22000b5a0d44");
        assert_eq!(
            body,
            json!({
                "status": 400,
                "code": 7100,
                "message": "Invalid username or password.",
                "developerMessage": "Login attempt failed because the specified password is incorrect.",
                "moreInfo": "http://docs.stormpath.com/errors/7100",
                "requestId": "c6d6ae18-6d8e-41e7-8d23-22000b5a0d44",
            })
        );
    }

    #[test]
    fn faults_keep_their_status_as_code() {
        let error = StormpathError::for_status(StatusCode::BAD_GATEWAY);
        assert_eq!((error.status(), error.code()), (StatusCode::BAD_GATEWAY, 502));
        assert_eq!(StormpathError::for_status(StatusCode::UNAUTHORIZED).code(), 401);
        assert_eq!(StormpathError::for_status(StatusCode::TOO_MANY_REQUESTS).code(), 429);
    }
}
