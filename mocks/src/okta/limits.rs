//! Okta's rate limits (okta.md §6): which bucket a request falls in, the per-username limit on
//! primary authentication, and the `X-Rate-Limit-*` headers.
//!
//! Buckets are fixed windows from [`crate::kit::ratelimit::FixedWindows`], read on the kit clock,
//! each starting with its first request: 60 s for the endpoint buckets, 1 s for the same username
//! on `/api/v1/authn`. Every response of a rate-limited endpoint carries the headers of the bucket
//! it was counted in, success or error; a 429 from the per-username limit carries that bucket's.

use axum::http::{HeaderMap, HeaderValue, Method};

use super::settings::RateLimits;
use crate::kit::ratelimit::{FixedWindows, RateVerdict};

/// The endpoint bucket of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bucket {
    /// `/api/v1/authn` and its sub-operations.
    Authn,
    /// `GET /api/v1/users` (list, filter, search, q); also `POST` (create).
    UsersList,
    /// `GET /api/v1/users/{idOrLogin}`.
    UsersGet,
    /// Every other `/api/v1` call.
    Other,
}

impl Bucket {
    /// The bucket `method path` is counted in; `None` outside `/api/`.
    pub(crate) fn of(method: &Method, path: &str) -> Option<Self> {
        let rest = path.strip_prefix("/api/")?;
        let segments: Vec<&str> = rest.split('/').collect();
        Some(match segments.as_slice() {
            ["v1", "authn", ..] => Bucket::Authn,
            ["v1", "users"] if method == Method::GET || method == Method::POST => Bucket::UsersList,
            ["v1", "users", id] if !id.is_empty() && (method == Method::GET || method == Method::HEAD) => {
                Bucket::UsersGet
            }
            _ => Bucket::Other,
        })
    }

    fn key(self) -> &'static str {
        match self {
            Bucket::Authn => "authn",
            Bucket::UsersList => "users_list",
            Bucket::UsersGet => "users_get",
            Bucket::Other => "other",
        }
    }

    fn per_minute(self, limits: &RateLimits) -> u64 {
        match self {
            Bucket::Authn => limits.authn_per_minute,
            Bucket::UsersList => limits.users_list_per_minute,
            Bucket::UsersGet => limits.users_get_per_minute,
            Bucket::Other => limits.other_per_minute,
        }
    }
}

/// Counts a request in its endpoint bucket; `None` when the bucket is turned off (limit 0).
pub(crate) fn hit_bucket(windows: &FixedWindows, limits: &RateLimits, bucket: Bucket) -> Option<RateVerdict> {
    let limit = bucket.per_minute(limits);
    (limit > 0).then(|| windows.hit(bucket.key(), limit, 60_000))
}

/// Counts a primary authentication for `username` (case-insensitively) against the per-user
/// limit; `None` when it is turned off.
pub(crate) fn hit_username(windows: &FixedWindows, limits: &RateLimits, username: &str) -> Option<RateVerdict> {
    let limit = limits.authn_per_user_per_second;
    (limit > 0).then(|| windows.hit(&format!("authn_user:{}", username.to_lowercase()), limit, 1_000))
}

/// The verdict of `method path`'s endpoint bucket running dry in a fresh 60 s window, for an
/// injected rate limit: the bucket's limit (the default one when the org turned it off), nothing
/// remaining, reset a minute from `now_epoch` — the headers the real limiter would send.
pub(crate) fn exhausted(limits: &RateLimits, method: &Method, path: &str, now_epoch: i64) -> RateVerdict {
    let bucket = Bucket::of(method, path).unwrap_or(Bucket::Other);
    let limit = match bucket.per_minute(limits) {
        0 => bucket.per_minute(&RateLimits::default()),
        limit => limit,
    };
    RateVerdict {
        allowed: false,
        limit,
        remaining: 0,
        reset_epoch: now_epoch + 60,
    }
}

/// Writes `X-Rate-Limit-Limit`, `-Remaining` and `-Reset` (epoch seconds).
pub(crate) fn write_headers(headers: &mut HeaderMap, verdict: &RateVerdict) {
    headers.insert("x-rate-limit-limit", HeaderValue::from(verdict.limit));
    headers.insert("x-rate-limit-remaining", HeaderValue::from(verdict.remaining));
    headers.insert("x-rate-limit-reset", HeaderValue::from(verdict.reset_epoch));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_fall_in_okta_buckets() {
        assert_eq!(Bucket::of(&Method::POST, "/api/v1/authn"), Some(Bucket::Authn));
        assert_eq!(Bucket::of(&Method::POST, "/api/v1/authn/cancel"), Some(Bucket::Authn));
        assert_eq!(Bucket::of(&Method::GET, "/api/v1/users"), Some(Bucket::UsersList));
        assert_eq!(Bucket::of(&Method::GET, "/api/v1/users/me"), Some(Bucket::UsersGet));
        assert_eq!(Bucket::of(&Method::DELETE, "/api/v1/users/00u1"), Some(Bucket::Other));
        assert_eq!(
            Bucket::of(&Method::POST, "/api/v1/users/00u1/lifecycle/suspend"),
            Some(Bucket::Other)
        );
        assert_eq!(Bucket::of(&Method::GET, "/favicon.ico"), None);
    }
}
