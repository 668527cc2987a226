//! Mock Okta: the Authentication API's primary authentication (`POST /api/v1/authn`) and the
//! Users API reads (`GET /api/v1/users`, `GET /api/v1/users/{id|login|shortname|me}`), plus the
//! lifecycle operations a scenario needs to change a user through the real API. Behaviour follows
//! `okta.md` (the shared reference); where it is silent, what real Okta does.
//!
//! Layout:
//! - this file: [`Okta`] (state, the [`Provider`] impl, routes) and the Okta layer that every
//!   route answers through — rate buckets, `X-Okta-Request-Id`, `Date` on the kit clock, and the
//!   bodies of `OktaError`s;
//! - `settings.rs` ([`OktaSettings`]) and `seed.rs` ([`OktaSeed`]): org knobs and seed format;
//! - `model.rs`: stored users and their JSON shapes; `store.rs`: the state behind the lock;
//! - `authn.rs`, `users.rs`: the handlers; `query.rs`: `filter` / `search` expressions;
//! - `limits.rs`: rate-limit buckets and headers; `error.rs`: the error envelope.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use mocks::{Kit, Provider, okta::{Okta, OktaSeed}};
//! let okta = Okta::new(Kit::default());
//! let seed: OktaSeed = mocks::kit::seed::parse(
//!     "users:\n  - {login: dade@example.com, password: Hunter2!, profile: {firstName: Dade, lastName: Murphy}}\n",
//!     None,
//! ).expect("valid seed");
//! okta.seed(seed).expect("seeded");
//! let server = mocks::start(okta.clone(), mocks::LOOPBACK_EPHEMERAL).await?;
//! // POST {base}/api/v1/authn {"username": "dade@example.com", "password": "Hunter2!"} → SUCCESS
//! server.shutdown().await;
//! # Ok(()) }
//! ```

mod authn;
mod error;
mod limits;
mod model;
mod query;
mod seed;
mod settings;
mod store;
mod users;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

pub use self::model::UserStatus;
pub use self::seed::{
    ApiTokenSeed, ComplexitySeed, LockoutSeed, OktaSeed, OwnedTokenSeed, PasswordPolicySeed, RateLimitsSeed,
    SeedFactor, SeedMfa, SeedUser, SettingsSeed,
};
pub use self::settings::{
    ApiToken, Complexity, DEFAULT_API_TOKEN, Lockout, MissingToken, OktaSettings, PasswordPolicy, RateLimits,
};

use self::error::{OktaError, Pending};
use self::limits::Bucket;
use self::model::{Links, Org, StoredUser};
use self::store::Store;
use crate::kit::ratelimit::{FixedWindows, RateVerdict};
use crate::kit::seed::SeedError;
use crate::kit::{Kit, Provider, RequestOrigin};

/// Body fields and query parameters masked in the journal: the kit's common list plus the
/// secrets of the authn sub-operations (factor pass codes, recovery answers and tokens).
pub const SECRET_FIELDS: &[&str] =
    crate::secret_fields!["oldPassword", "recoveryToken", "activationToken", "passCode", "answer"];

/// Login of the built-in administrator that owns API tokens without an owner.
pub const ADMIN_LOGIN: &str = "okta-admin@example.com";

/// A mock Okta org. Cheap to clone; every clone shares the same state.
#[derive(Clone, Debug)]
pub struct Okta {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    kit: Kit,
    /// The settings the mock was built with; `reset` returns to them.
    initial: OktaSettings,
    windows: FixedWindows,
    type_id: String,
    schema_id: String,
    /// `GET /api/v1/users/me` for a token without an owner. Not listed, cannot sign in.
    admin: StoredUser,
    store: Mutex<Store>,
}

impl Okta {
    /// A mock Okta with default settings (okta.md §8 defaults, [`DEFAULT_API_TOKEN`]).
    pub fn new(kit: Kit) -> Self {
        Self::with_settings(kit, OktaSettings::default())
    }

    /// A mock Okta with these settings.
    pub fn with_settings(kit: Kit, settings: OktaSettings) -> Self {
        let type_id = format!("oty{}", kit.ids.alnum(17));
        let schema_id = format!("osc{}", kit.ids.alnum(17));
        let now = kit.clock.now();
        let admin = StoredUser {
            id: format!("00u{}", kit.ids.alnum(17)),
            login: ADMIN_LOGIN.into(),
            status: UserStatus::Active,
            created: now,
            activated: Some(now),
            status_changed: Some(now),
            last_login: None,
            last_updated: now,
            password_changed: None,
            profile: Map::from_iter([
                ("firstName".to_owned(), Value::String("Okta".into())),
                ("lastName".to_owned(), Value::String("Admin".into())),
                ("email".to_owned(), Value::String(ADMIN_LOGIN.into())),
                ("login".to_owned(), Value::String(ADMIN_LOGIN.into())),
            ]),
            password: None,
            factors: Vec::new(),
            enroll: Vec::new(),
            password_expired: false,
            password_warn: false,
            failed_attempts: 0,
        };
        let windows = FixedWindows::new(kit.clock.clone());
        Self {
            inner: Arc::new(Inner {
                store: Mutex::new(Store::new(settings.clone())),
                initial: settings,
                windows,
                type_id,
                schema_id,
                admin,
                kit,
            }),
        }
    }

    /// The settings in force (the constructor's, changed by seeds).
    pub fn settings(&self) -> OktaSettings {
        self.store().settings.clone()
    }

    /// A user as `GET /api/v1/users/{key}` shows it (by id, login or short name), without going
    /// through HTTP, auth or rate limits.
    pub fn user(&self, key: &str) -> Option<Value> {
        let store = self.store();
        let id = store.find_user(key)?;
        store
            .users
            .get(&id)
            .map(|u| u.to_json(self.org(&RequestOrigin::default()), Links::Full, false))
    }

    /// The status of a user (by id, login or short name).
    pub fn user_status(&self, key: &str) -> Option<UserStatus> {
        let store = self.store();
        let id = store.find_user(key)?;
        store.users.get(&id).map(|u| u.status)
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        // No lock is held across an await; a poisoned lock only means a panicking test thread.
        self.inner.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn kit_ref(&self) -> &Kit {
        &self.inner.kit
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.inner.kit.clock.now()
    }

    /// The org as a request sees it: links built on the scheme and host the request used.
    pub(crate) fn org<'a>(&'a self, origin: &'a RequestOrigin) -> Org<'a> {
        Org {
            base: origin.base(&self.inner.kit),
            type_id: &self.inner.type_id,
            schema_id: &self.inner.schema_id,
        }
    }

    pub(crate) fn windows(&self) -> &FixedWindows {
        &self.inner.windows
    }

    pub(crate) fn admin(&self) -> &StoredUser {
        &self.inner.admin
    }

    /// Checks `Authorization: SSWS <token>` (with or without the space) against the settings:
    /// no header at all is `403 E0000005` (or 401, see [`MissingToken`]); a header with another
    /// scheme, an empty token, or a token that is not (or no longer) valid is `401 E0000011`
    /// (FIDELITY.md `okta/users-auth`).
    pub(crate) fn authorize(&self, headers: &HeaderMap) -> Result<ApiToken, OktaError> {
        let store = self.store();
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(match store.settings.missing_token {
                MissingToken::InvalidToken => OktaError::InvalidToken,
                MissingToken::InvalidSession => OktaError::InvalidSession,
            });
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("SSWS"))
            .map(str::trim)
            .ok_or(OktaError::InvalidToken)?;
        store
            .settings
            .api_tokens
            .iter()
            .find(|t| !t.token.is_empty() && t.token == token)
            .cloned()
            .ok_or(OktaError::InvalidToken)
    }

    /// An error answered outside a handler (faults): status, envelope and headers at once.
    pub(crate) fn error_response(&self, error: OktaError, verdict: Option<RateVerdict>) -> Response {
        self.finish(error.into_response(), verdict)
    }

    /// Writes a pending error body and the headers every Okta response carries.
    fn finish(&self, mut response: Response, mut verdict: Option<RateVerdict>) -> Response {
        if let Some(Pending(error)) = response.extensions_mut().remove::<Pending>() {
            if let OktaError::TooManyRequests(Some(own)) = &error {
                verdict = Some(*own);
            }
            let body = error.body(&format!("oae{}", self.inner.kit.ids.token(22)));
            let (parts, _) = response.into_parts();
            response = Response::from_parts(parts, Body::from(body.to_string()));
        }
        let request_id = format!("req{}", self.inner.kit.ids.alnum(23));
        let headers = response.headers_mut();
        if let Some(verdict) = verdict {
            limits::write_headers(headers, &verdict);
        }
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            headers.insert("x-okta-request-id", value);
        }
        // The SDKs time their 429 back-off as X-Rate-Limit-Reset minus Date, so Date must come
        // from the same (possibly manual) clock as the reset.
        headers.insert(header::DATE, crate::kit::clock::http_date(self.now()));
        response
    }
}

/// A JSON response with Okta's content type.
pub(crate) fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

/// Counts the request in its bucket (refusing it when the bucket is exhausted), runs it, and
/// finishes the answer (see [`Okta::finish`]).
async fn okta_layer(State(okta): State<Okta>, req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let limits = {
        let mut store = okta.store();
        if let Some(ip) = peer {
            *store.requests_by_ip.entry(ip).or_default() += 1;
        }
        store.settings.rate_limits
    };
    let verdict =
        Bucket::of(req.method(), req.uri().path()).and_then(|b| limits::hit_bucket(okta.windows(), &limits, b));
    let response = match verdict {
        Some(v) if !v.allowed => OktaError::TooManyRequests(None).into_response(),
        _ => next.run(req).await,
    };
    okta.finish(response, verdict)
}

impl Provider for Okta {
    const NAME: &'static str = "okta";
    type Seed = OktaSeed;

    fn kit(&self) -> &Kit {
        &self.inner.kit
    }

    fn routes(&self) -> Router {
        Router::new()
            .route("/api/v1/authn", post(authn::authn_create))
            .route("/api/v1/authn/cancel", post(authn::authn_cancel))
            .route("/api/v1/authn/skip", post(authn::authn_skip))
            .route("/api/v1/users", get(users::users_list))
            .route("/api/v1/users/{id}", get(users::users_get).delete(users::users_delete))
            .route("/api/v1/users/{id}/lifecycle/{op}", post(users::users_lifecycle))
            .route("/api/v1/users/{id}/factors", get(users::users_factors))
            .method_not_allowed_fallback(error::method_not_allowed)
            .fallback(error::path_not_found)
            .layer(middleware::from_fn_with_state(self.clone(), okta_layer))
            .with_state(self.clone())
    }

    fn seed(&self, seed: OktaSeed) -> Result<Value, SeedError> {
        let now = self.now();
        let mut store = self.store();
        seed::apply(&seed, &mut store, &self.inner.kit.ids, now)
    }

    fn reset(&self) {
        *self.store() = Store::new(self.inner.initial.clone());
        self.inner.windows.reset();
    }

    fn fault_response(&self, status: StatusCode) -> Response {
        let error = OktaError::for_status(status);
        // An injected 429 looks like a fresh window of the general bucket running dry.
        let verdict = matches!(error, OktaError::TooManyRequests(_)).then(|| RateVerdict {
            allowed: false,
            limit: self.store().settings.rate_limits.other_per_minute,
            remaining: 0,
            reset_epoch: self.now().timestamp() + 60,
        });
        self.error_response(error, verdict)
    }

    fn rate_limited_response(&self, request: &http::request::Parts, _body: &[u8]) -> Response {
        // The refusal of the request's own endpoint bucket, as `okta_layer` answers it.
        let limits = self.store().settings.rate_limits;
        let verdict = limits::exhausted(&limits, &request.method, request.uri.path(), self.now().timestamp());
        self.error_response(OktaError::TooManyRequests(None), Some(verdict))
    }

    fn secret_fields(&self) -> &'static [&'static str] {
        SECRET_FIELDS
    }

    fn variables(&self) -> Vec<(String, String)> {
        let store = self.store();
        store
            .settings
            .api_tokens
            .first()
            .map(|t| ("token".to_owned(), t.token.clone()))
            .into_iter()
            .collect()
    }

    fn state(&self) -> Value {
        let store = self.store();
        json!({
            "settings": store.settings,
            "users": store.users.values().map(StoredUser::state_json).collect::<Vec<_>>(),
            "open_transactions": store.transactions.len(),
            "requests_by_ip": store.requests_by_ip,
        })
    }
}
