//! The envelope of every answer (gigya.md §2.1): `callId` (32 hex digits from the kit's ids),
//! `errorCode`, `apiVersion`, `statusCode`, `statusReason`, `time` (ISO 8601 with milliseconds on
//! the kit clock), `context` echoed when sent; the HTTP status is 200 unless the request said
//! `httpStatusCodes=true`. `format=json` (the default) answers JSON; `format=jsonp` with a
//! `callback` wraps it like Gigya's JS API does. Fields without data are left out, never `null`.
//!
//! `Date` is stamped by the kit from the same clock, which matters here: the Java SDK (and
//! Ferry's engine) resync their signing clock from it after a 403002.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::error::{GigyaError, reason};
use super::params::Params;

/// The answer format a request asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Format {
    Json,
    Jsonp(String),
}

/// What a request decides about its own answer.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub(crate) call_id: String,
    pub(crate) time: String,
    context: Option<String>,
    http_status_codes: bool,
    format: Format,
}

impl Call {
    /// Reads `context`, `httpStatusCodes` and `format` (lenient: a bad value is reported as an
    /// error by [`Call::check`], but the error still goes out in JSON).
    pub(crate) fn new(call_id: String, time: String, params: &Params) -> Self {
        let http_status_codes = params
            .get("httpStatusCodes")
            .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
        let format = match (params.get("format"), params.get("callback")) {
            (Some(f), Some(cb)) if f.eq_ignore_ascii_case("jsonp") && is_identifier(cb) => Format::Jsonp(cb.to_owned()),
            _ => Format::Json,
        };
        Self {
            call_id,
            time,
            context: params.raw("context").map(str::to_owned),
            http_status_codes,
            format,
        }
    }

    /// Refuses formats the mock cannot write.
    pub(crate) fn check(&self, params: &Params) -> Result<(), GigyaError> {
        match params.get("format") {
            None => Ok(()),
            Some(f) if f.eq_ignore_ascii_case("json") => Ok(()),
            Some(f) if f.eq_ignore_ascii_case("jsonp") => match params.get("callback") {
                Some(cb) if is_identifier(cb) => Ok(()),
                Some(_) => Err(GigyaError::invalid("callback", "not a JavaScript function name")),
                None => Err(GigyaError::missing("callback")),
            },
            Some(other) => Err(GigyaError::invalid(
                "format",
                format!("'{other}' is not supported (use json or jsonp)"),
            )),
        }
    }

    /// A success: the method's fields, then the envelope.
    pub(crate) fn ok(&self, data: Map<String, Value>) -> Response {
        let mut body = data;
        body.insert("callId".into(), self.call_id.clone().into());
        if let Some(context) = &self.context {
            body.insert("context".into(), context.clone().into());
        }
        body.insert("errorCode".into(), 0.into());
        body.insert("apiVersion".into(), 2.into());
        body.insert("statusCode".into(), 200.into());
        body.insert("statusReason".into(), reason(StatusCode::OK).into());
        body.insert("time".into(), self.time.clone().into());
        self.write(StatusCode::OK, &body)
    }

    /// A failure.
    pub(crate) fn error(&self, error: &GigyaError) -> Response {
        let body = error.body(&self.call_id, self.context.as_deref(), &self.time);
        let status = if self.http_status_codes {
            error.status()
        } else {
            StatusCode::OK
        };
        self.write(status, &body)
    }

    /// Either.
    pub(crate) fn respond(&self, result: Result<Map<String, Value>, GigyaError>) -> Response {
        match result {
            Ok(data) => self.ok(data),
            Err(error) => self.error(&error),
        }
    }

    fn write(&self, status: StatusCode, body: &Map<String, Value>) -> Response {
        let json = serde_json::to_string(body).unwrap_or_else(|_| "{}".into());
        let (text, content_type) = match &self.format {
            Format::Json => (json, "application/json; charset=utf-8"),
            Format::Jsonp(callback) => (format!("{callback}({json});"), "text/javascript; charset=utf-8"),
        };
        let mut response = (status, text).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        response
    }
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '.'))
}
