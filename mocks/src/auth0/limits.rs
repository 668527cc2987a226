//! Rate limits, as Auth0's token buckets (a burst, refilled at a rate), on by default.
//!
//! **Management API** (`/api/v2/*`): the tenant's tier decides the buckets, as Auth0 publishes
//! them (FIDELITY.md, `auth0/rate-limits`):
//!
//! - `free` (the default): one bucket for the whole API, burst 2, 2 a second;
//! - `self_service` (the Essentials and Professional plans): a bucket per endpoint group — read
//!   users 40 / 500 a minute, write users 20 / 200 a minute, delete users 20 / 200 a minute, read
//!   logs 10 / 100 a minute, read clients 5 / 100 a minute, read connections 5 / 50 a minute —
//!   and one for all other endpoints combined, 10 / 150 a minute;
//! - `enterprise`: one bucket, burst 50, 16 a second (`enterprise_non_production`: 10, 2 a
//!   second).
//!
//! Every Management API answer carries `X-RateLimit-Limit` (the bucket's burst),
//! `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds when the bucket next gains a
//! request); past the limit the answer is 429 with the API's error body and a tenant log event
//! `api_limit` (one a minute per bucket). No `Retry-After`: Auth0 documents the three
//! `X-RateLimit-*` headers only (an engine must read the reset time).
//!
//! **Authentication API**: per client address, one bucket for each endpoint Ferry models with a
//! limit (`/oauth/token`, `/dbconnections/change_password`, `/dbconnections/signup`,
//! `/userinfo`), all sized by `authentication`; off unless a tenant sets it.
//!
//! `settings.rate_limits` picks the tier (`free`, `self_service`, `enterprise`,
//! `enterprise_non_production`), lifts every limit (`off`), or sets buckets of its own
//! (`{ management: { burst: 5, per_second: 5 }, authentication: {...} }`). The buckets refill
//! on the mock clock: in a scenario, virtual time.

use std::fmt;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;

use super::Auth0;
use super::error::ApiError;
use crate::kit::PeerAddr;
use crate::kit::ratelimit::{RateVerdict, TokenBucket};

/// A bucket's size and refill rate; a burst of 0 switches it off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    pub burst: u64,
    pub per_second: f64,
}

impl Bucket {
    fn token_bucket(self) -> TokenBucket {
        TokenBucket::per_second(self.burst, self.per_second)
    }
}

/// Auth0's subscription tiers, as far as their Management API limits go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Free: one bucket, burst 2, 2 a second.
    #[default]
    Free,
    /// Self-service (Essentials, Professional): a bucket per endpoint group.
    SelfService,
    /// Enterprise, production tenant: one bucket, burst 50, 16 a second.
    Enterprise,
    /// Enterprise, non-production tenant: one bucket, burst 10, 2 a second.
    EnterpriseNonProduction,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Free => "free",
            Tier::SelfService => "self_service",
            Tier::Enterprise => "enterprise",
            Tier::EnterpriseNonProduction => "enterprise_non_production",
        }
    }
}

/// The Management API's limits.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Management {
    /// As the tier publishes them.
    Tier(Tier),
    /// One bucket for the whole API, of the seed's size.
    Custom(Bucket),
    /// No limit (a switch for tests and benchmarks that are not about limits).
    Off,
}

impl Default for Management {
    fn default() -> Self {
        Management::Tier(Tier::Free)
    }
}

/// The tenant's rate limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct RateLimits {
    pub management: Management,
    /// `/oauth/token` and the other modelled Authentication API endpoints, per client address;
    /// off (burst 0) unless set.
    pub authentication: Bucket,
}

/// `settings.rate_limits` in a seed: a tier's name, `off`, or buckets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RateLimitsSeed {
    Tier(Tier),
    Off,
    Custom {
        tier: Option<Tier>,
        management: Option<Bucket>,
        authentication: Option<Bucket>,
    },
}

impl RateLimitsSeed {
    /// The limits this seed sets.
    pub fn apply(self, limits: &mut RateLimits) {
        match self {
            RateLimitsSeed::Tier(tier) => limits.management = Management::Tier(tier),
            RateLimitsSeed::Off => {
                *limits = RateLimits {
                    management: Management::Off,
                    authentication: Bucket::default(),
                }
            }
            RateLimitsSeed::Custom {
                tier,
                management,
                authentication,
            } => {
                if let Some(tier) = tier {
                    limits.management = Management::Tier(tier);
                }
                match management {
                    Some(bucket) if bucket.burst == 0 => limits.management = Management::Off,
                    Some(bucket) => limits.management = Management::Custom(bucket),
                    None => {}
                }
                if let Some(bucket) = authentication {
                    limits.authentication = bucket;
                }
            }
        }
    }
}

const TIERS: &str = "free, self_service, enterprise, enterprise_non_production or off";

impl<'de> Deserialize<'de> for RateLimitsSeed {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SeedVisitor;

        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Custom {
            tier: Option<Tier>,
            management: Option<Bucket>,
            authentication: Option<Bucket>,
        }

        impl<'de> Visitor<'de> for SeedVisitor {
            type Value = RateLimitsSeed;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a tier ({TIERS}) or buckets {{ management, authentication }}")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                match v {
                    "off" => Ok(RateLimitsSeed::Off),
                    "free" => Ok(RateLimitsSeed::Tier(Tier::Free)),
                    "self_service" => Ok(RateLimitsSeed::Tier(Tier::SelfService)),
                    "enterprise" => Ok(RateLimitsSeed::Tier(Tier::Enterprise)),
                    "enterprise_non_production" => Ok(RateLimitsSeed::Tier(Tier::EnterpriseNonProduction)),
                    other => Err(E::custom(format!("unknown rate-limit tier `{other}` (use {TIERS})"))),
                }
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                // YAML 1.1 reads a bare `off` as false.
                if v {
                    Err(E::custom(format!("rate_limits: give a tier ({TIERS})")))
                } else {
                    Ok(RateLimitsSeed::Off)
                }
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let custom = Custom::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RateLimitsSeed::Custom {
                    tier: custom.tier,
                    management: custom.management,
                    authentication: custom.authentication,
                })
            }
        }

        deserializer.deserialize_any(SeedVisitor)
    }
}

/// A Management API bucket a request counts against: its key and shape, and the message of
/// its 429 and its `api_limit` event.
#[derive(Clone, Copy, Debug, PartialEq)]
struct ManagementBucket {
    key: &'static str,
    bucket: TokenBucket,
    /// `None` for the API's global bucket.
    group: Option<&'static str>,
}

const fn global(bucket: TokenBucket) -> ManagementBucket {
    ManagementBucket {
        key: "management",
        bucket,
        group: None,
    }
}

const fn group(key: &'static str, name: &'static str, bucket: TokenBucket) -> ManagementBucket {
    ManagementBucket {
        key,
        bucket,
        group: Some(name),
    }
}

/// The bucket of a Management API request under `limits`; `None` when they are off.
fn management_bucket(limits: &Management, method: &Method, path: &str) -> Option<ManagementBucket> {
    let tier = match limits {
        Management::Off => return None,
        Management::Custom(bucket) if bucket.burst == 0 => return None,
        Management::Custom(bucket) => return Some(global(bucket.token_bucket())),
        Management::Tier(tier) => *tier,
    };
    Some(match tier {
        Tier::Free => global(TokenBucket::per_second(2, 2.0)),
        Tier::Enterprise => global(TokenBucket::per_second(50, 16.0)),
        Tier::EnterpriseNonProduction => global(TokenBucket::per_second(10, 2.0)),
        Tier::SelfService => self_service_group(method, path),
    })
}

/// The self-service tier's endpoint groups. "Read users" is the users list, a user and
/// users-by-email; "read connections" every read under `/api/v2/connections`.
fn self_service_group(method: &Method, path: &str) -> ManagementBucket {
    let rest = path.trim_start_matches("/api/v2/");
    let first = rest.split('/').next().unwrap_or_default();
    let depth = rest.split('/').filter(|s| !s.is_empty()).count();
    match (method.as_str(), first, depth) {
        ("GET", "users", 1 | 2) | ("GET", "users-by-email", 1) => group(
            "management:read-users",
            "Read Users",
            TokenBucket::per_minute(40, 500.0),
        ),
        ("POST", "users", 1) | ("PATCH", "users", 2) => group(
            "management:write-users",
            "Write Users",
            TokenBucket::per_minute(20, 200.0),
        ),
        ("DELETE", "users", 2) => group(
            "management:delete-users",
            "Delete Users",
            TokenBucket::per_minute(20, 200.0),
        ),
        ("GET", "logs", 1 | 2) => group("management:read-logs", "Read Logs", TokenBucket::per_minute(10, 100.0)),
        ("GET", "clients", 1 | 2) => group(
            "management:read-clients",
            "Read Clients",
            TokenBucket::per_minute(5, 100.0),
        ),
        ("GET", "connections", _) => group(
            "management:read-connections",
            "Read Connections",
            TokenBucket::per_minute(5, 50.0),
        ),
        _ => group(
            "management:other",
            "All other Endpoints Combined",
            TokenBucket::per_minute(10, 150.0),
        ),
    }
}

fn stamp(response: &mut Response, verdict: &RateVerdict) {
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(verdict.limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(verdict.remaining));
    headers.insert("x-ratelimit-reset", HeaderValue::from(verdict.reset_epoch));
}

/// The Management API's 429.
fn management_refusal() -> Response {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "Global limit has been reached",
        Some("too_many_requests"),
    )
    .into_response()
}

/// The Authentication API's 429.
fn authentication_refusal() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        Json(json!({
            "error": "too_many_requests",
            "error_description": "Too many requests. Check the X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset headers.",
        })),
    )
        .into_response()
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
    if path.starts_with("/api/v2/") {
        let Some(bucket) = management_bucket(&limits.management, request.method(), path) else {
            return next.run(request).await;
        };
        let verdict = auth0.buckets().take(bucket.key, &bucket.bucket);
        let mut response = if verdict.allowed {
            next.run(request).await
        } else {
            log_limit(&auth0, &bucket);
            management_refusal()
        };
        stamp(&mut response, &verdict);
        return response;
    }
    if !matches!(
        path,
        "/oauth/token" | "/dbconnections/change_password" | "/dbconnections/signup" | "/userinfo"
    ) || limits.authentication.burst == 0
    {
        return next.run(request).await;
    }
    let ip = peer.map(|p| p.ip().to_string()).unwrap_or_default();
    let endpoint = if path == "/oauth/token" { "authentication" } else { path };
    let verdict = auth0
        .buckets()
        .take(&format!("{endpoint}:{ip}"), &limits.authentication.token_bucket());
    let mut response = if verdict.allowed {
        next.run(request).await
    } else {
        authentication_refusal()
    };
    stamp(&mut response, &verdict);
    response
}

/// The `api_limit` event of a refused request: the first refusal of a bucket, then at most one
/// a minute for it ("If the rate limit continues to be exceeded after one minute for the same
/// rate limit bucket, a second log is created"). Its id is derived from the bucket and the
/// minute, not drawn from the tenant's id generator, like the import jobs' events.
fn log_limit(auth0: &Auth0, bucket: &ManagementBucket) {
    use sha2::Digest;
    let now = auth0.kit().clock.now();
    let minute = now.timestamp().div_euclid(60);
    auth0.with_tenant(|t| {
        let last = t.limit_events.get(bucket.key).copied();
        if last.is_some_and(|at: i64| now.timestamp() - at < 60) {
            return;
        }
        t.limit_events.insert(bucket.key, now.timestamp());
        let digest = sha2::Sha256::digest(format!("api_limit:{}:{minute}", bucket.key));
        let hex = crate::hashes::encoding::hex_encode(&digest);
        let description = match bucket.group {
            None => "Global rate limit exceeded".to_owned(),
            Some(group) => format!("Rate limit exceeded: {group}"),
        };
        t.log(super::logs::LogEvent {
            details: Some(json!({ "api": "management", "limit": bucket.bucket.burst })),
            ..super::logs::LogEvent::new(format!("9002{}", &hex[..52]), now, "api_limit", description)
        });
    });
}

/// Rate-limit headers for an injected 429 (a fault) on the Management API: the bucket the
/// request falls in (the tier's global one when the request is not known), emptied (its burst,
/// nothing remaining, a reset one refill away).
pub(crate) fn exhausted(auth0: &Auth0, request: Option<(&Method, &str)>, mut response: Response) -> Response {
    let limits = auth0.with_tenant(|t| t.settings.rate_limits);
    let (method, path) = request.unwrap_or((&Method::GET, "/api/v2/"));
    let bucket =
        management_bucket(&limits.management, method, path).map_or(TokenBucket::per_second(1, 1.0), |b| b.bucket);
    stamp(&mut response, &emptied(auth0, &bucket));
    response
}

/// Rate-limit headers for an injected 429 on the Authentication API: the token endpoint's
/// bucket (or one of a request a second when it has none), emptied.
pub(crate) fn exhausted_authentication(auth0: &Auth0, mut response: Response) -> Response {
    let bucket = auth0.with_tenant(|t| t.settings.rate_limits.authentication);
    let bucket = if bucket.burst == 0 {
        TokenBucket::per_second(1, 1.0)
    } else {
        bucket.token_bucket()
    };
    stamp(&mut response, &emptied(auth0, &bucket));
    response
}

fn emptied(auth0: &Auth0, bucket: &TokenBucket) -> RateVerdict {
    let now_ms = auth0.kit().clock.now_millis();
    let refill_ms = if bucket.per_second > 0.0 {
        ((1000.0 / bucket.per_second).ceil() as i64).max(bucket.step_ms)
    } else {
        1000
    };
    RateVerdict {
        allowed: false,
        limit: bucket.burst.max(1),
        remaining: 0,
        reset_epoch: (now_ms + refill_ms + 999).div_euclid(1000),
    }
}

/// The 429 an injected fault answers on the Authentication API.
pub(crate) fn authentication_fault(auth0: &Auth0) -> Response {
    exhausted_authentication(auth0, authentication_refusal())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket_of(limits: Management, method: &Method, path: &str) -> Option<(&'static str, u64)> {
        management_bucket(&limits, method, path).map(|b| (b.key, b.bucket.burst))
    }

    #[test]
    fn each_tier_puts_a_request_in_its_published_bucket() {
        let free = Management::Tier(Tier::Free);
        assert_eq!(bucket_of(free, &Method::GET, "/api/v2/users"), Some(("management", 2)));
        assert_eq!(
            bucket_of(free, &Method::POST, "/api/v2/jobs/users-imports"),
            Some(("management", 2))
        );
        let enterprise = Management::Tier(Tier::Enterprise);
        assert_eq!(
            bucket_of(enterprise, &Method::GET, "/api/v2/jobs/job_1"),
            Some(("management", 50))
        );
        let self_service = Management::Tier(Tier::SelfService);
        for (method, path, key) in [
            (Method::GET, "/api/v2/users", "management:read-users"),
            (Method::GET, "/api/v2/users/auth0%7C1", "management:read-users"),
            (Method::GET, "/api/v2/users-by-email", "management:read-users"),
            (Method::POST, "/api/v2/users", "management:write-users"),
            (Method::PATCH, "/api/v2/users/auth0%7C1", "management:write-users"),
            (Method::DELETE, "/api/v2/users/auth0%7C1", "management:delete-users"),
            (Method::GET, "/api/v2/logs", "management:read-logs"),
            (Method::GET, "/api/v2/clients", "management:read-clients"),
            (Method::GET, "/api/v2/connections", "management:read-connections"),
            (
                Method::GET,
                "/api/v2/connections/con_1/clients",
                "management:read-connections",
            ),
            (Method::PATCH, "/api/v2/connections/con_1", "management:other"),
            (Method::POST, "/api/v2/jobs/users-imports", "management:other"),
            (Method::GET, "/api/v2/jobs/job_1", "management:other"),
            (Method::GET, "/api/v2/jobs/job_1/errors", "management:other"),
        ] {
            assert_eq!(
                management_bucket(&self_service, &method, path).map(|b| b.key),
                Some(key),
                "{method} {path}"
            );
        }
        assert_eq!(bucket_of(Management::Off, &Method::GET, "/api/v2/users"), None);
        let custom = Management::Custom(Bucket {
            burst: 7,
            per_second: 1.0,
        });
        assert_eq!(
            bucket_of(custom, &Method::GET, "/api/v2/users"),
            Some(("management", 7))
        );
    }
}
