//! Mock Stormpath: the REST API v1 as the Auth0 migration scripts and the SDKs used it — login
//! attempts, accounts with their Custom Data, the application's account collection with search
//! and paging, the tenant, application, directories and account store mappings — plus the data
//! export Stormpath offered before it shut down (2017-08-17). Behaviour follows `stormpath.md`
//! (the shared reference); where it is silent, the archived documentation and SDK sources, and
//! failing those a choice written down in the module that makes it.
//!
//! Layout:
//! - this file: [`Stormpath`] (state, the [`Provider`] impl, routes) and the Stormpath layer
//!   every `/v1` route answers through — rate limit, API key authentication, the
//!   `Stormpath-Request-Id` header, `Date` on the kit clock, and the bodies of errors;
//! - `settings.rs` ([`StormpathSettings`]) and `seed.rs` ([`StormpathSeed`]): knobs and seed
//!   format; `model.rs`: stored accounts and directories and their JSON; `store.rs`: the state
//!   behind the lock; `password.rs`: stored hashes;
//! - `auth.rs`: HTTP Basic and SAuthc1; `login.rs`: `loginAttempts`; `accounts.rs`: accounts and
//!   account collections; `resources.rs`: tenant, application, directories, mappings;
//!   `query.rs`: search, paging, sorting and expansion; `export.rs`: the export files;
//!   `error.rs`: the error resource.
//!
//! Choices where Stormpath documented nothing (sources in the modules named):
//! - Every response carries `Stormpath-Request-Id` (a UUID; errors repeat it as `requestId`) and
//!   `Content-Type: application/json;charset=UTF-8`. Errors carry the header too (the Go SDK
//!   read it from error responses).
//! - Authentication comes first: a request without valid credentials gets 401 whatever its path.
//! - 401 has no `WWW-Authenticate` challenge (none is recorded for the real API; the scripts and
//!   SDKs send credentials up front).
//! - The optional rate limit counts every API call of the tenant in one-second windows and
//!   answers 429 with the error resource and no special headers (stormpath.md §4: no rate-limit
//!   headers were ever documented).
//! - Only the reads and the login attempt are implemented; other methods on known paths answer
//!   405, unknown paths 404.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use mocks::{Kit, Provider, stormpath::{Stormpath, StormpathSeed}};
//! let stormpath = Stormpath::new(Kit::default());
//! let seed: StormpathSeed = mocks::kit::seed::parse(
//!     "accounts:\n  - {email: han@example.com, givenName: Han, surname: Solo, password: Change+me1}\n",
//!     None,
//! ).expect("valid seed");
//! stormpath.seed(seed).expect("seeded");
//! let server = mocks::start(stormpath.clone(), mocks::LOOPBACK_EPHEMERAL).await?;
//! // POST {base}/v1/applications/{application_id}/loginAttempts with Basic auth → {"account": {"href": …}}
//! server.shutdown().await;
//! # Ok(()) }
//! ```

mod accounts;
mod auth;
mod error;
mod export;
mod login;
mod model;
mod password;
mod query;
mod resources;
mod seed;
mod settings;
mod store;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

pub use self::export::ExportFile;
pub use self::model::{AccountStatus, EmailVerificationStatus, ResourceStatus};
pub use self::seed::{AccountSeed, DirectorySeed, SettingsSeed, StormpathSeed};
pub use self::settings::{
    CollectionSize, DEFAULT_API_KEY_ID, DEFAULT_API_KEY_SECRET, DEFAULT_APPLICATION_ID, DEFAULT_APPLICATION_NAME,
    DEFAULT_BCRYPT_COST, DEFAULT_DIRECTORY_ID, DEFAULT_DIRECTORY_NAME, DEFAULT_TENANT_ID, DEFAULT_TENANT_NAME,
    ExportLayout, PasswordFormat, StormpathSettings,
};

use self::error::{Pending, StormpathError};
use self::model::Hrefs;
use self::store::Store;
use crate::kit::ratelimit::FixedWindows;
use crate::kit::seed::SeedError;
use crate::kit::{Kit, MAX_BODY, Provider, RequestOrigin};

/// The content type of every Stormpath answer.
pub(crate) const JSON_UTF8: &str = "application/json;charset=UTF-8";

/// Body fields and query parameters masked in the journal: the kit's list plus `value`, the
/// Base64 `username:password` of a login attempt.
pub const SECRET_FIELDS: &[&str] = crate::secret_fields!["value"];

/// The mock Stormpath tenant. Cheap to clone; every clone shares the same state.
#[derive(Clone, Debug)]
pub struct Stormpath {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    kit: Kit,
    /// The settings the mock was built with; `reset` returns to them.
    initial: StormpathSettings,
    created_at: DateTime<Utc>,
    default_mapping_id: String,
    windows: FixedWindows,
    store: Mutex<Store>,
}

impl Stormpath {
    /// A mock Stormpath with default settings ([`DEFAULT_APPLICATION_ID`], [`DEFAULT_API_KEY_ID`]
    /// and so on).
    pub fn new(kit: Kit) -> Self {
        Self::with_settings(kit, StormpathSettings::default())
    }

    /// A mock Stormpath with these settings.
    pub fn with_settings(kit: Kit, settings: StormpathSettings) -> Self {
        let created_at = kit.clock.now();
        let default_mapping_id = kit.ids.alnum(22);
        let store = Store::new(settings.clone(), created_at, default_mapping_id.clone());
        Self {
            inner: Arc::new(Inner {
                windows: FixedWindows::new(kit.clock.clone()),
                kit,
                initial: settings,
                created_at,
                default_mapping_id,
                store: Mutex::new(store),
            }),
        }
    }

    /// The settings in force (the constructor's, changed by seeds).
    pub fn settings(&self) -> StormpathSettings {
        self.store().settings.clone()
    }

    /// An account as `GET /v1/accounts/{id}` shows it, without going through HTTP or auth.
    pub fn account(&self, id: &str) -> Option<Value> {
        let store = self.store();
        let account = store.accounts.get(id)?;
        Some(account.to_json(
            self.hrefs(&RequestOrigin::default()),
            &store.settings.tenant_id,
            &serde_json::Map::new(),
        ))
    }

    /// The id of the account with this email or username (ignoring case), in any directory.
    pub fn account_id(&self, email_or_username: &str) -> Option<String> {
        let store = self.store();
        store
            .accounts_where(|a| {
                store::same_identifier(&a.email, email_or_username)
                    || store::same_identifier(&a.username, email_or_username)
            })
            .first()
            .map(|a| a.id.clone())
    }

    /// The export Stormpath's console produced (stormpath.md §9.1), from the current data:
    /// one pretty-printed JSON file per resource, paths relative to the export's root.
    pub fn export_files(&self) -> Vec<ExportFile> {
        export::files(&self.store(), self.hrefs(&RequestOrigin::default()))
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        // No lock is held across an await; a poisoned lock only means a panicking test thread.
        self.inner.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.inner.kit.clock.now()
    }

    /// Hrefs as a request sees them: on the scheme and host the request used
    /// (`https://api.stormpath.com/v1/accounts/…` for a script that called
    /// `https://api.stormpath.com`, as the real API answered).
    pub(crate) fn hrefs<'a>(&'a self, origin: &'a RequestOrigin) -> Hrefs<'a> {
        Hrefs {
            base: origin.base(&self.inner.kit),
        }
    }

    /// A UUID (version 4 layout) from the kit's seeded generator.
    fn request_id(&self) -> String {
        let mut bytes = self.inner.kit.ids.bytes(16);
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    }

    /// An error answered outside a handler (faults): status, body and headers at once.
    pub(crate) fn error_response(&self, error: StormpathError) -> Response {
        self.finish(error.into_response())
    }

    /// Writes a pending error body and the headers every Stormpath response carries.
    fn finish(&self, mut response: Response) -> Response {
        let request_id = self.request_id();
        if let Some(Pending(error)) = response.extensions_mut().remove::<Pending>() {
            let body = error.body(&request_id);
            let (parts, _) = response.into_parts();
            response = Response::from_parts(parts, Body::from(body.to_string()));
        }
        let date = self.now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            headers.insert("stormpath-request-id", value);
        }
        if let Ok(value) = HeaderValue::from_str(&date) {
            headers.insert(header::DATE, value);
        }
        response
    }
}

/// Path parameters, percent-decoded; a path that cannot be decoded (invalid UTF-8) names no
/// resource, so it is a 404 in Stormpath's shape rather than axum's plain-text 400.
#[derive(Debug)]
pub(crate) struct Segments<T>(pub(crate) T);

impl<S, T> FromRequestParts<S> for Segments<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = StormpathError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Segments(value))
            .map_err(|_| StormpathError::NotFound)
    }
}

/// A JSON response with Stormpath's content type.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, JSON_UTF8)], body.to_string()).into_response()
}

/// Counts the request, applies the rate limit, checks the API key, runs the handler and
/// finishes the answer (see [`Stormpath::finish`]).
async fn stormpath_layer(State(stormpath): State<Stormpath>, req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let (parts, body) = req.into_parts();
    // The kit layer has already read the body into memory; read it again for the signature.
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return stormpath.error_response(StormpathError::Status(StatusCode::PAYLOAD_TOO_LARGE));
    };
    let now = stormpath.now();
    let outcome = {
        let mut store = stormpath.store();
        if let Some(ip) = peer {
            *store.requests_by_ip.entry(ip).or_default() += 1;
        }
        let limit = store.settings.rate_limit_per_second;
        if limit > 0 && !stormpath.inner.windows.hit("api", limit, 1000).allowed {
            Err(StormpathError::TooManyRequests)
        } else {
            auth::authenticate(
                &mut store,
                now,
                auth::Signed {
                    method: parts.method.as_str(),
                    path: parts.uri.path(),
                    query: parts.uri.query(),
                    headers: &parts.headers,
                    body: &bytes,
                },
            )
        }
    };
    let response = match outcome {
        Ok(()) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Err(error) => error.into_response(),
    };
    stormpath.finish(response)
}

impl Provider for Stormpath {
    const NAME: &'static str = "stormpath";
    type Seed = StormpathSeed;

    fn kit(&self) -> &Kit {
        &self.inner.kit
    }

    fn routes(&self) -> Router {
        let api = Router::new()
            .route("/v1/tenants/current", get(resources::tenants_current))
            .route("/v1/tenants/{id}", get(resources::tenants_get))
            .route("/v1/tenants/{id}/customData", get(resources::tenants_custom_data))
            .route("/v1/tenants/{id}/{collection}", get(resources::tenants_collection))
            .route("/v1/applications/{id}", get(resources::applications_get))
            .route(
                "/v1/applications/{id}/customData",
                get(resources::applications_custom_data),
            )
            .route("/v1/applications/{id}/accounts", get(accounts::application_accounts))
            .route(
                "/v1/applications/{id}/accountStoreMappings",
                get(resources::applications_mappings),
            )
            .route("/v1/applications/{id}/loginAttempts", post(login::login_attempts))
            .route(
                "/v1/applications/{id}/{collection}",
                get(resources::applications_collection),
            )
            .route("/v1/accountStoreMappings/{id}", get(resources::mappings_get))
            .route("/v1/directories/{id}", get(resources::directories_get))
            .route("/v1/directories/{id}/provider", get(resources::directories_provider))
            .route(
                "/v1/directories/{id}/customData",
                get(resources::directories_custom_data),
            )
            .route("/v1/directories/{id}/accounts", get(accounts::directory_accounts))
            .route(
                "/v1/directories/{id}/{collection}",
                get(resources::directories_collection),
            )
            .route("/v1/accounts/{id}", get(accounts::accounts_get))
            .route("/v1/accounts/{id}/customData", get(accounts::accounts_custom_data))
            .route("/v1/accounts/{id}/providerData", get(accounts::accounts_provider_data))
            .route("/v1/accounts/{id}/{collection}", get(accounts::accounts_collection))
            .method_not_allowed_fallback(method_not_allowed)
            .fallback(not_found)
            .layer(middleware::from_fn_with_state(self.clone(), stormpath_layer))
            .with_state(self.clone());
        let export = Router::new()
            .route("/__ferry/export", get(export::export_list))
            .route("/__ferry/export/{*path}", get(export::export_file))
            .with_state(self.clone());
        api.merge(export)
    }

    fn seed(&self, seed: StormpathSeed) -> Result<Value, SeedError> {
        let now = self.now();
        let mut store = self.store();
        seed::apply(&seed, &mut store, &self.inner.kit.ids, now)
    }

    fn reset(&self) {
        *self.store() = Store::new(
            self.inner.initial.clone(),
            self.inner.created_at,
            self.inner.default_mapping_id.clone(),
        );
        self.inner.windows.reset();
    }

    fn fault_response(&self, status: StatusCode) -> Response {
        self.error_response(StormpathError::for_status(status))
    }

    fn rate_limited_response(&self, _request: &http::request::Parts, _body: &[u8]) -> Response {
        // What the rate limit in front of the API answers: the 429 error resource, and no
        // rate-limit headers (Stormpath never sent any; stormpath.md §4).
        self.error_response(StormpathError::TooManyRequests)
    }

    fn secret_fields(&self) -> &'static [&'static str] {
        SECRET_FIELDS
    }

    fn variables(&self) -> Vec<(String, String)> {
        let store = self.store();
        let settings = &store.settings;
        vec![
            ("application_id".into(), settings.application_id.clone()),
            (
                "application_href".into(),
                self.hrefs(&RequestOrigin::default())
                    .application(&settings.application_id),
            ),
            ("api_key_id".into(), settings.api_key_id.clone()),
            ("api_key_secret".into(), settings.api_key_secret.clone()),
            ("directory_id".into(), settings.directory_id.clone()),
        ]
    }

    fn state(&self) -> Value {
        let store = self.store();
        let accounts: Vec<Value> = store
            .accounts_where(|_| true)
            .into_iter()
            .map(|a| {
                json!({
                    "id": a.id,
                    "directory": a.directory_id,
                    "username": a.username,
                    "email": a.email,
                    "status": a.status,
                    "emailVerificationStatus": a.email_verification_status,
                    "password": a.password.as_deref().map(password_kind),
                    "customDataKeys": a.custom_data.keys().collect::<Vec<_>>(),
                })
            })
            .collect();
        let directories: Vec<Value> = store
            .directories
            .iter()
            .map(|d| json!({ "id": d.id, "name": d.name, "status": d.status, "mapped": d.mapped }))
            .collect();
        json!({
            "settings": store.settings,
            "directories": directories,
            "accounts": accounts,
            "requests_by_ip": store.requests_by_ip,
        })
    }
}

/// The scheme of a stored hash, for the state view (`bcrypt`, `stormpath2 SHA-256 x1`).
fn password_kind(stored: &str) -> String {
    if stored.starts_with("$2") {
        return "bcrypt".into();
    }
    let fields: Vec<&str> = stored.split('$').collect();
    match fields.as_slice() {
        ["", "stormpath2", algorithm, iterations, ..] => format!("stormpath2 {algorithm} x{iterations}"),
        ["", scheme, ..] => (*scheme).to_owned(),
        _ => "unknown".into(),
    }
}

/// Fallback for a known path called with an unsupported method.
async fn method_not_allowed(method: axum::http::Method) -> StormpathError {
    StormpathError::MethodNotAllowed(method.to_string())
}

/// Fallback for an unknown path.
async fn not_found() -> StormpathError {
    StormpathError::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_hash_schemes_without_showing_them() {
        assert_eq!(password_kind("$2a$10$abc"), "bcrypt");
        assert_eq!(
            password_kind("$stormpath2$SHA-256$1$c2FsdA==$aGFzaA=="),
            "stormpath2 SHA-256 x1"
        );
        assert_eq!(password_kind("plain"), "unknown");
    }

    #[test]
    fn request_ids_are_version_4_uuids() {
        let stormpath = Stormpath::new(Kit::deterministic(
            crate::Clock::manual(crate::Clock::scenario_epoch()),
            1,
        ));
        let id = stormpath.request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
    }
}
