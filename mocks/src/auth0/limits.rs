//! Rate limits, as Auth0's token buckets (a burst, refilled at a rate): one bucket for the
//! Management API (`/api/v2/*`) and, per client address, one for each Authentication API
//! endpoint Ferry models with a limit (`/oauth/token`, `/dbconnections/change_password`,
//! `/dbconnections/signup`, `/userinfo`), all sized by `authentication`. Every answer on a
//! limited route carries `X-RateLimit-Limit`, `-Remaining` and
//! `-Reset` (epoch seconds); past the limit the answer is 429 with Auth0's body for that API,
//! plus `Retry-After`.
//!
//! Limits are off unless a tenant sets them (`settings.rate_limits`): the buckets refill on the
//! mock clock, which a scenario only moves between steps, so realistic tiers (the free tier's
//! Management API allows 2 per second) are opt-in, for the scenarios about rate limits.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Auth0;
use super::error::ApiError;
use crate::kit::PeerAddr;
use crate::kit::ratelimit::RateVerdict;

/// A bucket's size and refill rate; 0 switches it off.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    pub burst: u64,
    pub per_second: f64,
}

/// The tenant's rate limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimits {
    #[serde(default)]
    pub management: Bucket,
    /// `/oauth/token`, per client address.
    #[serde(default)]
    pub authentication: Bucket,
}

fn stamp(response: &mut Response, verdict: &RateVerdict) {
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-ratelimit-limit", verdict.limit.to_string()),
        ("x-ratelimit-remaining", verdict.remaining.to_string()),
        ("x-ratelimit-reset", verdict.reset_epoch.to_string()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
}

/// The middleware in front of the tenant's routes.
pub(crate) async fn limit(
    State(auth0): State<Auth0>,
    PeerAddr(peer): PeerAddr,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let limits = auth0.with_tenant(|t| t.settings.rate_limits);
    let (bucket, key, management) = if path.starts_with("/api/v2/") {
        (limits.management, "management".to_owned(), true)
    } else if matches!(
        path,
        "/oauth/token" | "/dbconnections/change_password" | "/dbconnections/signup" | "/userinfo"
    ) {
        let ip = peer.map(|p| p.ip().to_string()).unwrap_or_default();
        let endpoint = if path == "/oauth/token" { "authentication" } else { path };
        (limits.authentication, format!("{endpoint}:{ip}"), false)
    } else {
        return next.run(request).await;
    };
    if bucket.burst == 0 {
        return next.run(request).await;
    }
    let verdict = auth0.buckets().take(&key, bucket.burst, bucket.per_second);
    let mut response = if verdict.allowed {
        next.run(request).await
    } else if management {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Global limit has been reached",
            Some("too_many_requests"),
        )
        .into_response()
    } else {
        (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({
                "error": "too_many_requests",
                "error_description": "Too many requests. Check the X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset headers.",
            })),
        )
            .into_response()
    };
    stamp(&mut response, &verdict);
    if !verdict.allowed {
        let wait = (verdict.reset_epoch - auth0.kit().clock.now().timestamp()).max(1);
        if let Ok(value) = HeaderValue::from_str(&wait.to_string()) {
            response.headers_mut().insert("retry-after", value);
        }
    }
    response
}

/// Rate-limit headers for an injected 429 (a fault): an empty bucket, refilled in a second.
pub(crate) fn exhausted(auth0: &Auth0, mut response: Response) -> Response {
    let limit = auth0.with_tenant(|t| t.settings.rate_limits.management.burst).max(1);
    let reset = auth0.kit().clock.now().timestamp() + 1;
    stamp(
        &mut response,
        &RateVerdict {
            allowed: false,
            limit,
            remaining: 0,
            reset_epoch: reset,
        },
    );
    response
        .headers_mut()
        .insert("retry-after", HeaderValue::from_static("1"));
    response
}
