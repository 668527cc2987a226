//! Mock Gigya (SAP Customer Data Cloud): the Accounts API a bulk export and a lazy migration use
//! (`accounts.search`, `accounts.getAccountInfo`, `accounts.login`, `accounts.importFullAccount`,
//! `accounts.setAccountInfo`, `accounts.deleteAccount`) and IdentitySync (`idx.*` dataflows,
//! schedulings, jobs and `idx.search`). Behaviour follows `gigya.md` (the shared reference);
//! where it is silent or unsure, what real Gigya does, and the choices below.
//!
//! Layout:
//! - this file: [`Gigya`] (state, the [`Provider`] impl, routes) and the one handler every API
//!   path goes through — parameters, envelope, authentication, rate limits, method routing;
//! - `settings.rs` ([`GigyaSettings`]) and `seed.rs` ([`GigyaSeed`]): site knobs and seed format;
//! - `params.rs`, `envelope.rs`, `error.rs`: form parameters, the response envelope, error codes;
//! - `auth.rs`: the three credential modes and the request signature;
//! - `account.rs`, `password.rs`, `store.rs`: stored accounts, their views, passwords, the state;
//! - `accounts.rs`: the `accounts.*` methods; `query.rs` (+ `regex.rs`): the query language;
//! - `idx.rs`: the `idx.*` methods; `job.rs`: running dataflows; `files.rs`: written files.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use mocks::{Kit, Provider, gigya::{Gigya, GigyaSeed, DEFAULT_API_KEY, DEFAULT_USER_KEY, DEFAULT_SECRET}};
//! let gigya = Gigya::new(Kit::default());
//! let seed: GigyaSeed = mocks::kit::seed::parse(
//!     "accounts:\n  - {profile: {email: dade@example.com, firstName: Dade}, password: Hunter2!}\n",
//!     None,
//! ).expect("valid seed");
//! gigya.seed(seed).expect("seeded");
//! let server = mocks::start(gigya.clone(), mocks::LOOPBACK_EPHEMERAL).await?;
//! // POST {base}/accounts.search  apiKey=…&userKey=…&secret=…&query=SELECT * FROM accounts
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Conventions (gigya.md §1–2)
//!
//! One listener serves every namespace; the method is the path (`/accounts.search`), matched
//! without regard to case. Parameters come from the query string and a form body (GET and POST
//! alike), their names also without regard to case (`apiKey`/`APIKey`, `UID`/`uid`); a JSON or multipart body is 400001. Objects travel as JSON text in a field. Every
//! answer carries the envelope (`callId`: 32 hex digits from the kit's ids; `time` on the kit
//! clock); HTTP 200 unless `httpStatusCodes=true`. An unknown method is 400096 "Not supported"
//! (Gigya's code for a function it does not serve). Fields without data are left out.
//!
//! # Choices where Gigya's documentation is silent or unsure
//!
//! - A request whose `Host` is another data center's Gigya host (`accounts.eu1.gigya.com` for a
//!   `us1.gigya.com` site) is 301001 with `apiDomain` and `location`; any other host (the
//!   mock's own address) is served.
//! - Credentials: see `auth.rs`. Partner secrets are refused (403007) unless
//!   `partner_secret_allowed`; a client call (API key only) may use `accounts.login` only.
//! - Unknown UID in getAccountInfo / setAccountInfo / deleteAccount: 403005 "Unauthorized user"
//!   (Gigya's code for a UID that is not valid for the site).
//! - `accounts.login` to an account with `isActive: false` and the right password: 403041
//!   "Account disabled", the code in Gigya's published error table (401041 only appears in client
//!   code). A wrong password counts towards the lockout even then. The attempt that reaches
//!   `lockout.max_failures` still answers 403042; later ones answer 403120 until the lock ends.
//!   A successful login re-hashes the password with the site policy when it was stored otherwise
//!   (as Gigya does), keeping `password.created`.
//! - `require_verified_email`: login with an email that is not verified answers 206002 with a
//!   `regToken` and the `UID`; an account with `isRegistered: false` answers 206001 with a
//!   `regToken`. getAccountInfo accepts such a `regToken` for an hour.
//! - accounts.search: without ORDER BY results come in UID order (cursors continue after the last
//!   UID, so a walk is stable while accounts change); with ORDER BY a cursor walks a sorted
//!   snapshot of UIDs. Every `nextCursorId` is a separate, immutable page pointer valid for 300 s
//!   on the kit clock, so resending one returns the same page. An unknown or expired cursor is
//!   400006 naming `cursorId`. Cursor batches are not always full (`short_cursor_batches`, on by
//!   default): each holds between half of `LIMIT` and all of it, decided by the walk and the
//!   position, so runs repeat. `FROM emailAccounts` (lite accounts) finds nothing: the mock has
//!   none. Password hashes are not returned by search unless `search_returns_password` is on
//!   (then when `*` or `password` is selected): SAP's own export advice says search does not
//!   return passwords (gigya.md §3.4).
//! - Password hashes need permission: getAccountInfo with `include=password` from an application
//!   key whose group may not read them (`user_key_reads_password_hashes: false`) is 403007.
//! - An account that never logged in shows `lastLogin: "0001-01-01T00:00:00Z"` and
//!   `lastLoginTimestamp: 0`, as SAP's search example shows for an imported account.
//! - FIDELITY.md (repository root) lists every behaviour with its source.
//! - getAccountInfo: `phoneNumber` comes with `include=loginIDs` and `lang` with `profile`
//!   (neither is listed in §4); unknown `include` values are 400006, unknown
//!   `extraProfileFields` are ignored.
//! - importFullAccount: `importPolicy=upsert` on an existing UID merges the objects given and
//!   replaces the other fields given; the response carries the `UID`. Login identifiers taken by
//!   another account are 403043; setAccountInfo answers 400003 for them ("Username already
//!   exists"), as Gigya's table describes. The per-UID limit of 5 calls a minute (503001) applies
//!   by default (`rate_limits.import_per_uid_per_minute`).
//! - IdentitySync: jobs run inside the request that makes them due (idx.createScheduling or
//!   setScheduling with a start time that has passed, or any request after the kit clock moved
//!   past a scheduling's `nextJobStartTime`), so a job is `succeeded` or `failed` by the time the
//!   client can poll — deterministic for scenarios. See `job.rs` and `idx.rs`.
//! - `state()` lists the first 1,000 accounts (without password material) and the count.
//!
//! # Size
//!
//! Accounts are stored as compact JSON text (see `account.rs`), so a million of them take about
//! 1.7 GB; a search parses the documents it reads (a `WHERE` over a million accounts takes a few
//! seconds, a query without one counts without reading). An IdentitySync job reads `batchSize`
//! accounts at a time under the lock and streams them to a file on disk: exporting a million
//! accounts took about 10 s in a release build without the memory growing, and the 870 MB file
//! is streamed back from disk by `GET /__ferry/files/{name}`. Passwords are checked outside the
//! lock, so slow hashes do not stall other requests.

mod account;
mod accounts;
mod auth;
mod envelope;
mod error;
mod files;
mod idx;
mod job;
mod params;
mod password;
mod query;
mod regex;
mod seed;
mod settings;
mod store;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

pub use self::seed::{GigyaSeed, SeedAccount, SettingsSeed};
pub use self::settings::{
    CURSOR_TTL_SECS, DEFAULT_API_KEY, DEFAULT_DATA_CENTER, DEFAULT_SECRET, DEFAULT_TIMESTAMP_WINDOW_SECS,
    DEFAULT_USER_KEY, GigyaSettings, Lockout, RateLimits, SiteHash,
};

use self::auth::{Caller, RequestUrl};
use self::envelope::Call;
use self::error::GigyaError;
use self::files::FileDir;
use self::params::Params;
use self::store::Store;
use crate::kit::ratelimit::FixedWindows;
use crate::kit::seed::SeedError;
use crate::kit::{Kit, MAX_BODY, Provider};

/// Body fields and query parameters masked in the journal: the kit's list plus Gigya's secrets.
pub const SECRET_FIELDS: &[&str] = crate::secret_fields![
    "sig",
    "hashedPassword",
    "compoundHashedPassword",
    "sessionSecret",
    "regToken",
    "oauth_token"
];

/// Accounts listed in [`Provider::state`] at most.
const STATE_ACCOUNTS: usize = 1000;

/// A mock Gigya site. Cheap to clone; every clone shares the same state.
#[derive(Clone, Debug)]
pub struct Gigya {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    kit: Kit,
    /// The settings the mock was built with; `reset` returns to them.
    initial: GigyaSettings,
    windows: FixedWindows,
    files: FileDir,
    store: Mutex<Store>,
}

/// The API methods the mock serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    Search,
    GetAccountInfo,
    Login,
    ImportFullAccount,
    SetAccountInfo,
    DeleteAccount,
    CreateDataflow,
    GetDataflow,
    SetDataflow,
    DeleteDataflow,
    CreateScheduling,
    GetScheduling,
    SetScheduling,
    DeleteScheduling,
    IdxSearch,
}

const METHODS: &[(&str, Method)] = &[
    ("accounts.search", Method::Search),
    ("accounts.getAccountInfo", Method::GetAccountInfo),
    ("accounts.login", Method::Login),
    ("accounts.importFullAccount", Method::ImportFullAccount),
    ("accounts.setAccountInfo", Method::SetAccountInfo),
    ("accounts.deleteAccount", Method::DeleteAccount),
    ("idx.createDataflow", Method::CreateDataflow),
    ("idx.getDataflow", Method::GetDataflow),
    ("idx.setDataflow", Method::SetDataflow),
    ("idx.deleteDataflow", Method::DeleteDataflow),
    ("idx.createScheduling", Method::CreateScheduling),
    ("idx.getScheduling", Method::GetScheduling),
    ("idx.setScheduling", Method::SetScheduling),
    ("idx.deleteScheduling", Method::DeleteScheduling),
    ("idx.search", Method::IdxSearch),
];

impl Gigya {
    /// A mock Gigya with default settings ([`DEFAULT_API_KEY`], [`DEFAULT_USER_KEY`],
    /// [`DEFAULT_SECRET`], [`DEFAULT_DATA_CENTER`]).
    pub fn new(kit: Kit) -> Self {
        Self::with_settings(kit, GigyaSettings::default())
    }

    /// A mock Gigya with these settings.
    pub fn with_settings(kit: Kit, settings: GigyaSettings) -> Self {
        let windows = FixedWindows::new(kit.clock.clone());
        Self {
            inner: Arc::new(Inner {
                store: Mutex::new(Store::new(settings.clone())),
                initial: settings,
                windows,
                files: FileDir::default(),
                kit,
            }),
        }
    }

    /// The settings in force (the constructor's, changed by seeds).
    pub fn settings(&self) -> GigyaSettings {
        self.store().settings.clone()
    }

    /// An account as `accounts.getAccountInfo` shows it with every `include` and extra profile
    /// field, without going through HTTP, auth or limits.
    pub fn account(&self, uid: &str) -> Option<Value> {
        let store = self.store();
        let includes: Vec<String> = account::INCLUDES.iter().map(|s| (*s).to_owned()).collect();
        let extra: Vec<String> = account::EXTRA_PROFILE_FIELDS.iter().map(|s| (*s).to_owned()).collect();
        store
            .accounts
            .get(uid)
            .map(|a| Value::Object(a.load().info_view(&includes, &extra, self.now())))
    }

    /// The content of a file an IdentitySync job wrote with `datasource.write.ferry`.
    pub fn file(&self, name: &str) -> Option<Vec<u8>> {
        let path = self.store().files.get(name)?.path.clone();
        std::fs::read(path).ok()
    }

    /// The status object of an IdentitySync job, as `idx.search` shows it.
    pub fn job(&self, id: &str) -> Option<Value> {
        self.store()
            .jobs
            .iter()
            .find(|j| j.get("id").and_then(Value::as_str) == Some(id))
            .cloned()
            .map(Value::Object)
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        // No lock is held across an await; a poisoned lock only means a panicking test thread.
        self.inner.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.inner.kit.clock.now()
    }

    pub(crate) fn kit_ref(&self) -> &Kit {
        &self.inner.kit
    }

    pub(crate) fn files_dir(&self) -> &FileDir {
        &self.inner.files
    }

    /// Counts one call against a fixed window; false when the window is full. A limit of 0 is off.
    pub(crate) fn within(&self, key: &str, limit: u64, window_ms: i64) -> bool {
        limit == 0 || self.inner.windows.hit(key, limit, window_ms).allowed
    }

    /// 409030 when one UID gets more calls a second than `rate_limits.same_uid_per_second`.
    pub(crate) fn check_uid_rate(&self, uid: &str) -> Result<(), GigyaError> {
        let limit = self.store().settings.rate_limits.same_uid_per_second;
        if self.within(&format!("uid:{uid}"), limit, 1000) {
            Ok(())
        } else {
            Err(GigyaError::TooManyRequestsSameUser)
        }
    }

    /// Runs the jobs whose scheduling is due, off the async workers, and waits for them.
    pub(crate) async fn run_due_jobs(&self) {
        let claimed = job::claim_due(self);
        if claimed.is_empty() {
            return;
        }
        let gigya = self.clone();
        let _ = tokio::task::spawn_blocking(move || {
            for id in claimed {
                job::run(&gigya, &id);
            }
        })
        .await;
    }

    async fn handle(
        &self,
        request: &ApiRequest<'_>,
        params: &Params,
        call: &Call,
    ) -> Result<Map<String, Value>, GigyaError> {
        if let Some(ct) = request.content_type
            && (ct.contains("json") || ct.contains("multipart"))
        {
            return Err(GigyaError::InvalidRequestFormat(format!(
                "Parameters must be sent as a query string or an application/x-www-form-urlencoded body, not {ct}"
            )));
        }
        call.check(params)?;
        let name = request.path.trim_start_matches('/');
        let Some((_, method)) = METHODS.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) else {
            return Err(GigyaError::NotSupported(format!(
                "The method '{name}' is not supported"
            )));
        };
        let caller = {
            let now = self.now();
            let mut store = self.store();
            let Store { settings, nonces, .. } = &mut *store;
            auth::authenticate(settings, params, request.http_method, &request.url, now, nonces)?
        };
        if caller == Caller::Client && *method != Method::Login {
            return Err(GigyaError::PermissionDenied(
                "This method needs server credentials: userKey and secret, or a signed request".into(),
            ));
        }
        let (api_key, per_minute, may_read_hashes) = {
            let store = self.store();
            // A partner secret (no userKey) has every permission; an application key has what its
            // permission group gives it.
            let may_read_hashes = params.get("userKey").is_none() || store.settings.user_key_reads_password_hashes;
            (
                store.settings.api_key.clone(),
                store.settings.rate_limits.per_minute,
                may_read_hashes,
            )
        };
        if !self.within(&format!("api:{api_key}"), per_minute, 60_000) {
            return Err(GigyaError::RateLimited);
        }
        let result = match method {
            Method::Search => accounts::search(self, params, may_read_hashes),
            Method::GetAccountInfo => accounts::get_account_info(self, params, may_read_hashes),
            Method::Login => accounts::login(self, params),
            Method::ImportFullAccount => accounts::import_full_account(self, params),
            Method::SetAccountInfo => accounts::set_account_info(self, params),
            Method::DeleteAccount => accounts::delete_account(self, params),
            Method::CreateDataflow => idx::create_dataflow(self, params),
            Method::GetDataflow => idx::get_dataflow(self, params),
            Method::SetDataflow => idx::set_dataflow(self, params),
            Method::DeleteDataflow => idx::delete_dataflow(self, params),
            Method::CreateScheduling => idx::create_scheduling(self, params),
            Method::GetScheduling => idx::get_scheduling(self, params),
            Method::SetScheduling => idx::set_scheduling(self, params),
            Method::DeleteScheduling => idx::delete_scheduling(self, params),
            Method::IdxSearch => idx::search(self, params),
        };
        if matches!(method, Method::CreateScheduling | Method::SetScheduling) {
            let mut data = result?;
            self.run_due_jobs().await;
            // The answer shows the scheduling as it is after the job it started.
            if let Some(id) = data.get("id").and_then(Value::as_str).map(str::to_owned) {
                let current = self.store().scheduling_mut(&id).map(|s| s.clone());
                if let Some(current) = current {
                    data = current;
                }
            }
            return Ok(data);
        }
        result
    }
}

/// What the handler needs from the HTTP request besides the parameters.
struct ApiRequest<'a> {
    http_method: &'a str,
    path: &'a str,
    url: RequestUrl,
    content_type: Option<&'a str>,
}

/// The URL the client used: the scheme by the kit's one rule
/// ([`crate::kit::server::request_scheme`]), the host from the URI or `Host`.
fn request_url(parts: &http::request::Parts, base_url: &str) -> RequestUrl {
    let (uri, headers) = (&parts.uri, &parts.headers);
    let header_text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let scheme = crate::kit::server::request_scheme(parts).to_owned();
    let fallback = base_url.split_once("://").map_or(base_url, |(_, rest)| rest);
    let authority = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| header_text("host").map(str::to_owned))
        .unwrap_or_else(|| fallback.to_owned());
    RequestUrl {
        scheme,
        authority,
        path: uri.path().to_owned(),
    }
}

/// Every API path: parameters, envelope, due jobs, then the method.
async fn dispatch(State(gigya): State<Gigya>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, MAX_BODY).await.unwrap_or_default();
    let params = Params::parse(parts.uri.query(), &body);
    let call_id = gigya.inner.kit.ids.hex(32);
    let call = Call::new(call_id, query::iso(gigya.now()), &params);
    gigya.run_due_jobs().await;
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let api = ApiRequest {
        http_method: parts.method.as_str(),
        path: parts.uri.path(),
        url: request_url(&parts, gigya.inner.kit.base_url()),
        content_type,
    };
    let result = gigya.handle(&api, &params, &call).await;
    call.respond(result)
}

impl Provider for Gigya {
    const NAME: &'static str = "gigya";
    type Seed = GigyaSeed;

    fn kit(&self) -> &Kit {
        &self.inner.kit
    }

    fn routes(&self) -> Router {
        Router::new()
            .route("/__ferry/files", get(files::files_list))
            .route("/__ferry/files/{*name}", get(files::files_get))
            .fallback(dispatch)
            .with_state(self.clone())
    }

    fn seed(&self, seed: GigyaSeed) -> Result<Value, SeedError> {
        let now = self.now();
        let mut store = self.store();
        seed::apply(&seed, &mut store, &self.inner.kit.ids, now)
    }

    fn reset(&self) {
        *self.store() = Store::new(self.inner.initial.clone());
        self.inner.windows.reset();
        self.inner.files.clear();
    }

    fn fault_response(&self, status: StatusCode) -> Response {
        error::fault_body(status, &self.inner.kit.ids.hex(32), &query::iso(self.now()))
    }

    fn rate_limited_response(&self, request: &http::request::Parts, body: &[u8]) -> Response {
        // What the API-key rate limit in `handle` answers: 403048 in the request's envelope, so
        // HTTP 200 unless the request asked for `httpStatusCodes=true` (then 403).
        let params = Params::parse(request.uri.query(), body);
        let call = Call::new(self.inner.kit.ids.hex(32), query::iso(self.now()), &params);
        call.error(&GigyaError::RateLimited)
    }

    fn secret_fields(&self) -> &'static [&'static str] {
        SECRET_FIELDS
    }

    fn variables(&self) -> Vec<(String, String)> {
        let store = self.store();
        vec![
            ("api_key".to_owned(), store.settings.api_key.clone()),
            ("user_key".to_owned(), store.settings.user_key.clone()),
            ("secret".to_owned(), store.settings.secret.clone()),
            ("data_center".to_owned(), store.settings.data_center.clone()),
        ]
    }

    fn state(&self) -> Value {
        let store = self.store();
        json!({
            "settings": store.settings,
            "account_count": store.accounts.len(),
            "accounts": store.accounts.values().take(STATE_ACCOUNTS).map(account::Account::state_view).collect::<Vec<_>>(),
            "dataflows": store.dataflows,
            "schedulings": store.schedulings,
            "jobs": store.jobs,
            "files": files::listing(&store),
            "open_cursors": store.cursors.len(),
            "remembered_nonces": store.nonces.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_fields_cover_the_kits_list() {
        for field in crate::kit::COMMON_SECRET_FIELDS {
            assert!(SECRET_FIELDS.contains(field), "{field} is not masked");
        }
        assert!(!SECRET_FIELDS.contains(&"userKey"), "a user key is an id, not a secret");
    }
}
