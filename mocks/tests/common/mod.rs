//! What the mocks' test binaries share. A test file brings it in with `mod common;` (Cargo
//! builds no test binary from a subdirectory, so nothing here runs on its own):
//!
//! - [`call`]: one request through a mock's router (`mocks::app(..).oneshot(..)`, no socket),
//!   the answer read whole;
//! - [`sdk`]: running an official client library's script against a mock, and skipping — or,
//!   with `FERRY_REQUIRE_SDK=1`, failing — when the library is not installed;
//! - [`auth0`]: tenants, requests and assertions for the mock Auth0's tests.
#![allow(dead_code)]

pub(crate) mod auth0;
pub(crate) mod sdk;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// A mock's answer: status, headers, the body as JSON (a JSON string of the text when it is not
/// JSON, `null` when empty) and the raw text.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
    pub(crate) text: String,
}

impl Answer {
    /// A header's value, or `""` when absent or not text.
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

/// Sends `req` through `app` (a mock's full application, `mocks::app`) and reads the answer.
pub(crate) async fn call(app: axum::Router, req: Request<Body>) -> Answer {
    let res = app.oneshot(req).await.expect("router is infallible");
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(text.clone()))
    };
    Answer {
        status: parts.status,
        headers: parts.headers,
        body,
        text,
    }
}
