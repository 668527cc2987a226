//! Mock Auth0: one tenant with applications, database connections (custom databases with
//! their scripts, automatic migration) and the users they hold.
//!
//! Served: the Authentication API used by logins (`POST /oauth/token`, JWKS and OpenID
//! discovery), `/dbconnections/change_password` with the emailed reset link (`/lo/reset`), and
//! the Management API's users, connections and logs endpoints. Custom database scripts run in
//! the [`sandbox`] crate, as Auth0 runs them in its webtask sandbox. Besides the kit's admin
//! endpoints, `GET /__ferry/outbox` lists the emails the tenant sent and `GET /__ferry/scripts`
//! every script run with its console output and HTTP exchanges.
//!
//! Facts come from `shared/reference/auth0.md`; where Auth0 documents nothing (the wire shape of
//! a script error at `/oauth/token`, say) the choice is named in the module that makes it.

mod authenticate;
mod authorize;
mod connections;
mod dbconnections;
pub mod error;
mod jobs;
mod limits;
mod logs;
mod lucene;
mod management;
pub mod mfa;
pub mod model;
pub mod password;
mod scripts;
pub mod seed;
mod signup;
mod state;
mod store;
mod tickets;
mod tokens;
mod users_write;
pub mod verdict;
mod verify_email;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};

use self::error::ApiError;
use self::model::{
    Client, Connection, GRANT_PASSWORD_REALM, JwtConfiguration, SigningAlg, StoredUser, default_nickname,
    default_picture,
};
use self::password::PasswordHash;
use self::seed::{Auth0Seed, ClientSeed, ConnectionSeed, SettingsSeed, UserSeed};
use self::state::Tenant;
use self::tokens::Keys;
use crate::kit::clock::parse_duration;
use crate::kit::seed::SeedError;
use crate::kit::{COMMON_SECRET_FIELDS, Kit, Provider, RequestOrigin};

pub use self::dbconnections::RESET_EMAIL_SENT;
pub use self::jobs::{DEFAULT_PENDING, DEFAULT_USERS_PER_HOUR, DUPLICATE_IN_FILE, MAX_ACTIVE_IMPORT_JOBS};
pub use self::limits::{Bucket, Management, RateLimits, RateLimitsSeed, Tier};
pub use self::logs::LogEvent;
pub use self::model::ScriptKind;
pub use self::scripts::{
    KEPT_CONSOLE_LIMIT, KEPT_DETAIL_LIMIT, KEPT_HTTP_EXCHANGES, KEPT_MARKER_ROOM, KEPT_TEXT_LIMIT, ScriptExecution,
    cap_text, keep,
};
pub use self::state::{Email, TenantSettings};
pub use self::verdict::TIMEOUT_MESSAGE;

/// The scripts' HTTP client: the sandbox's policy (`sandbox::net::script_client_builder`: no
/// redirects, no proxy), a user agent and a connect time-out, trusting `extra_root` besides the
/// system's roots.
fn sandbox_client(extra_root: Option<reqwest::Certificate>) -> Result<reqwest::Client, reqwest::Error> {
    let mut builder = sandbox::net::script_client_builder()
        .connect_timeout(Duration::from_secs(10))
        .user_agent("ferry-auth0-sandbox");
    if let Some(root) = extra_root {
        builder = builder.tls_certs_merge([root]);
    }
    builder.build()
}

/// Name of the application every tenant starts with.
pub const DEFAULT_APP: &str = "Default App";
/// Name of the machine-to-machine application every tenant starts with, granted every
/// Management API scope the mock knows.
pub const MANAGEMENT_APP: &str = "Ferry Management";

/// Every Management API scope the mock checks.
pub const MANAGEMENT_SCOPES: &[&str] = &[
    "read:users",
    "update:users",
    "delete:users",
    "create:users",
    "read:users_app_metadata",
    "update:users_app_metadata",
    "read:user_idp_tokens",
    "read:connections",
    "update:connections",
    "create:connections",
    "delete:connections",
    "read:connections_options",
    "update:connections_options",
    "read:clients",
    "create:clients",
    "update:clients",
    "read:client_keys",
    "read:logs",
    "read:logs_users",
    "create:user_tickets",
];

/// The mock Auth0 tenant. Cheap to clone; every clone is the same tenant.
#[derive(Clone, Debug)]
pub struct Auth0 {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    kit: Kit,
    tenant: Mutex<Tenant>,
    keys: Keys,
    /// The scripts' HTTP client ([`Auth0::trust_ca`] replaces it).
    http: std::sync::RwLock<reqwest::Client>,
    /// What moves the import jobs along.
    jobs: Arc<jobs::JobRunner>,
    buckets: crate::kit::ratelimit::TokenBuckets,
    /// Where scripts' requests for real host names go (see [`Auth0::set_routes`]).
    routes: std::sync::RwLock<sandbox::Routes>,
}

impl Auth0 {
    /// A tenant with the two default applications and no connection.
    pub fn new(kit: Kit) -> Self {
        let kit_clock = kit.clock.clone();
        // The sandbox follows redirects itself, with the `request` module's rules: its client
        // must not.
        // One client per process, cloned into every tenant (building one loads the system's
        // root certificates, which costs more than starting a tenant).
        static SANDBOX_HTTP: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
        // Should it fail to build (its TLS set-up), the sandbox's own default client takes its
        // place: the same no-redirect, no-proxy policy, without the user agent and connect
        // time-out. Never reqwest's default, which would follow redirects itself.
        let http = SANDBOX_HTTP
            .get_or_init(|| sandbox_client(None).unwrap_or_else(|_| SandboxConfig::default().http))
            .clone();
        let auth0 = Self {
            inner: Arc::new(Inner {
                kit,
                tenant: Mutex::default(),
                keys: Keys::load(),
                http: std::sync::RwLock::new(http),
                jobs: Arc::default(),
                buckets: crate::kit::ratelimit::TokenBuckets::new(kit_clock),
                routes: std::sync::RwLock::default(),
            }),
        };
        auth0.install_default_clients();
        auth0
    }

    fn install_default_clients(&self) {
        let ids = &self.inner.kit.ids;
        let default_app = Client {
            name: DEFAULT_APP.into(),
            client_id: ids.alnum(32),
            client_secret: ids.token(64),
            app_type: "regular_web".into(),
            grant_types: default_grants(),
            management_scopes: vec![],
            jwt_configuration: JwtConfiguration::default(),
            extra: Default::default(),
        };
        let management = Client {
            name: MANAGEMENT_APP.into(),
            client_id: ids.alnum(32),
            client_secret: ids.token(64),
            app_type: "non_interactive".into(),
            grant_types: vec!["client_credentials".into()],
            management_scopes: MANAGEMENT_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            jwt_configuration: JwtConfiguration::default(),
            extra: Default::default(),
        };
        self.with_tenant(|t| {
            t.clients = vec![default_app, management];
        });
    }

    pub(crate) fn with_tenant<R>(&self, f: impl FnOnce(&mut Tenant) -> R) -> R {
        let mut tenant = self.inner.tenant.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut tenant)
    }

    /// The kit (clock, ids, journal, faults) this tenant was built with.
    pub fn kit(&self) -> &Kit {
        &self.inner.kit
    }

    pub(crate) fn job_runner(&self) -> &jobs::JobRunner {
        &self.inner.jobs
    }

    pub(crate) fn job_runner_arc(&self) -> Arc<jobs::JobRunner> {
        Arc::clone(&self.inner.jobs)
    }

    /// After a job was created or moved: when its next step is due, and on a clock that runs
    /// by itself, the task that takes it then.
    pub(crate) fn jobs_changed(&self) {
        let due = self.with_tenant(|t| jobs::next_due_ms(t));
        self.inner.jobs.set_next_due(due);
        if due.is_some() {
            jobs::spawn_ticker(self);
        }
    }

    /// Carries the import jobs forward to now (an in-process read sees what a request would).
    fn jobs_caught_up(&self) {
        if self.inner.jobs.due_by(self.inner.kit.clock.now_millis()) {
            jobs::catch_up(self);
        }
    }

    pub(crate) fn buckets(&self) -> &crate::kit::ratelimit::TokenBuckets {
        &self.inner.buckets
    }

    pub(crate) fn downgrade(&self) -> std::sync::Weak<Inner> {
        Arc::downgrade(&self.inner)
    }

    pub(crate) fn upgrade(weak: &std::sync::Weak<Inner>) -> Option<Self> {
        weak.upgrade().map(|inner| Self { inner })
    }

    pub(crate) fn keys(&self) -> &Keys {
        &self.inner.keys
    }

    /// The user (`sub`) an access token this tenant issued stands for, opaque or a JWT, as
    /// `/userinfo` would name them; `None` for a token it did not issue.
    pub fn token_subject(&self, token: &str) -> Option<String> {
        self.keys().access_claims(token).map(|claims| claims.sub)
    }

    /// A sandbox configured from the tenant settings.
    pub(crate) fn sandbox(&self) -> Sandbox {
        let (time_limit, memory_limit) =
            self.with_tenant(|t| (t.settings.script_time_limit, t.settings.script_memory_limit));
        Sandbox::new(SandboxConfig {
            time_limit,
            memory_limit,
            http: self.inner.http.read().unwrap_or_else(PoisonError::into_inner).clone(),
            routes: self.routes(),
            ..SandboxConfig::default()
        })
    }

    /// Sends the custom database scripts' requests for these hosts to other servers (the
    /// provider mocks: `https://acme.okta.com/...` to the mock Okta) without resolving them;
    /// see [`sandbox::Routes`]. None by default (scripts reach loopback only).
    pub fn set_routes(&self, routes: sandbox::Routes) {
        *self.inner.routes.write().unwrap_or_else(PoisonError::into_inner) = routes;
    }

    /// The scripts' routes.
    pub fn routes(&self) -> sandbox::Routes {
        self.inner.routes.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Lets the scripts' HTTPS requests trust `ca_pem` (a PEM certificate) besides the
    /// system's roots: the CA of mocks served over HTTPS ([`crate::kit::tls::Authority`]).
    pub fn trust_ca(&self, ca_pem: &str) -> Result<(), String> {
        let certificate = reqwest::Certificate::from_pem(ca_pem.as_bytes()).map_err(|e| format!("the CA: {e}"))?;
        let http = sandbox_client(Some(certificate)).map_err(|e| format!("the scripts' HTTP client: {e}"))?;
        *self.inner.http.write().unwrap_or_else(PoisonError::into_inner) = http;
        Ok(())
    }

    /// The token issuer: `https://{domain}/` when a domain is set, else the mock's base URL.
    pub fn issuer(&self) -> String {
        self.issuer_at(&RequestOrigin::default())
    }

    /// The token issuer for a request: `https://{domain}/` when a domain is set, else the
    /// scheme and host the request used (`https://127.0.0.1:4010/`, `https://acme.auth0.com/`).
    pub fn issuer_at(&self, origin: &RequestOrigin) -> String {
        match self.with_tenant(|t| t.settings.domain.clone()) {
            Some(domain) => format!("https://{domain}/"),
            None => format!("{}/", origin.base(&self.inner.kit)),
        }
    }

    /// The Management API audience to ask tokens for: `{issuer}api/v2/`.
    pub fn management_audience(&self) -> String {
        format!("{}api/v2/", self.issuer())
    }

    /// Whether `audience` names this tenant's Management API: at the mock's own address, at the
    /// tenant's domain, at the address this request came in by (`issuer`, from
    /// [`Auth0::issuer_at`]), or at an Auth0 host name the mock answers for when a script's
    /// request is routed to it (`https://acme.auth0.com/api/v2/`).
    pub(crate) fn is_management_audience(&self, audience: &str, issuer: &str) -> bool {
        let own = format!("{}/api/v2/", self.inner.kit.base_url());
        audience == own
            || audience == self.management_audience()
            || audience == format!("{issuer}api/v2/")
            || crate::kit::hosts::is_auth0_api_audience(audience)
    }

    pub(crate) fn tenant_name(&self) -> String {
        self.with_tenant(|t| t.settings.domain.clone())
            .map(|d| d.split('.').next().unwrap_or("ferry").to_owned())
            .unwrap_or_else(|| "ferry".into())
    }

    /// The applications (with their secrets: this is the in-process view for whoever started
    /// the mock, e.g. `ferry serve` printing credentials).
    pub fn clients(&self) -> Vec<(String, String, String)> {
        self.with_tenant(|t| {
            t.clients
                .iter()
                .map(|c| (c.name.clone(), c.client_id.clone(), c.client_secret.clone()))
                .collect()
        })
    }

    /// Client id and secret of an application by name.
    pub fn client_credentials(&self, name: &str) -> Option<(String, String)> {
        self.with_tenant(|t| {
            t.clients
                .iter()
                .find(|c| c.name == name)
                .map(|c| (c.client_id.clone(), c.client_secret.clone()))
        })
    }

    /// A connection's id by name.
    pub fn connection_id(&self, name: &str) -> Option<String> {
        self.with_tenant(|t| t.connection(name).map(|c| c.id.clone()))
    }

    /// Every stored user as the Management API shows them, in creation order.
    pub fn users(&self) -> Vec<Value> {
        self.jobs_caught_up();
        self.with_tenant(|t| t.users.iter().map(StoredUser::to_api).collect())
    }

    /// The emails sent so far.
    pub fn outbox(&self) -> Vec<Email> {
        self.with_tenant(|t| t.outbox.clone())
    }

    /// Script runs so far (oldest first).
    pub fn script_executions(&self) -> Vec<ScriptExecution> {
        self.with_tenant(|t| t.scripts.iter().cloned().collect())
    }

    /// Tenant log events (oldest first).
    pub fn logs(&self) -> Vec<LogEvent> {
        self.jobs_caught_up();
        self.with_tenant(|t| t.logs.iter().cloned().collect())
    }

    /// The tenant settings.
    pub fn settings(&self) -> TenantSettings {
        self.with_tenant(|t| t.settings.clone())
    }

    fn apply_settings(&self, s: SettingsSeed) -> Result<(), SeedError> {
        // A script's time limit is more than nothing and at most ten minutes (Auth0's is 20 s);
        // a job's minimum duration at most the 2 hours after which a stuck job is failed.
        let bounded = |name: &str, text: Option<&str>, zero: bool, max: (Duration, &str)| {
            let Some(text) = text else { return Ok(None) };
            let value = parse_duration(text).map_err(|e| SeedError::Invalid(format!("settings.{name}: {e}")))?;
            if value.is_zero() && !zero {
                return Err(SeedError::Invalid(format!(
                    "settings.{name}: `{text}` is no time at all: give a duration above zero"
                )));
            }
            if value > max.0 {
                return Err(SeedError::Invalid(format!(
                    "settings.{name}: `{text}` is more than {}, the most it may be",
                    max.1
                )));
            }
            Ok(Some(value))
        };
        let time_limit = bounded(
            "script_time_limit",
            s.script_time_limit.as_deref(),
            false,
            (Duration::from_secs(600), "10m"),
        )?;
        let import_delay = bounded(
            "import_job_min_duration",
            s.import_job_min_duration.as_deref(),
            true,
            (Duration::from_secs(7200), "2h"),
        )?;
        let mfa_policy = s
            .mfa_policy
            .as_deref()
            .map(|p| match p {
                "never" => Ok(mfa::MfaPolicy::Never),
                "all-applications" => Ok(mfa::MfaPolicy::AllApplications),
                other => Err(SeedError::Invalid(format!(
                    "settings.mfa_policy: `{other}` is not one of never, all-applications"
                ))),
            })
            .transpose()?;
        // (a job pending past 2 h fails as a whole: a longer pending shows that)
        let pending = bounded(
            "import_job_pending",
            s.import_job_pending.as_deref(),
            true,
            (Duration::from_secs(86_400), "24h"),
        )?;
        if let Some(speed) = s.clock_speed {
            self.inner
                .kit
                .clock
                .set_speed(speed)
                .map_err(|e| SeedError::Invalid(format!("settings.clock_speed: {e}")))?;
        }
        // bcrypt takes 4 to 31, but each step doubles the work: past the import's own limit
        // (import_schema::hash_limits) a first login would take minutes to hours.
        let most = import_schema::hash_limits::BCRYPT_COST;
        if let Some(cost) = s.bcrypt_cost
            && !(4..=most).contains(&u64::from(cost))
        {
            return Err(SeedError::Invalid(format!(
                "settings.bcrypt_cost: {cost} is outside 4 to {most} (Auth0 hashes with 10)"
            )));
        }
        self.with_tenant(|t| {
            let settings = &mut t.settings;
            if let Some(domain) = s.domain {
                settings.domain = Some(domain);
            }
            if let Some(cost) = s.bcrypt_cost {
                settings.bcrypt_cost = cost;
            }
            if let Some(limit) = time_limit {
                settings.script_time_limit = limit;
            }
            if let Some(mib) = s.script_memory_limit_mib {
                settings.script_memory_limit = mib.saturating_mul(1024 * 1024);
            }
            if let Some(directory) = s.default_directory {
                settings.default_directory = Some(directory);
            }
            if let Some(max) = s.brute_force_max_attempts {
                settings.brute_force_max_attempts = max;
            }
            if let Some(delay) = import_delay {
                settings.import_job_min_duration = delay;
            }
            if let Some(pending) = pending {
                settings.import_job_pending = pending;
            }
            if let Some(per_hour) = s.import_users_per_hour {
                settings.import_users_per_hour = per_hour;
            }
            if let Some(limits) = s.rate_limits {
                limits.apply(&mut settings.rate_limits);
            }
            if let Some(speed) = s.clock_speed {
                settings.clock_speed = speed;
            }
            if let Some(policy) = mfa_policy {
                settings.mfa_policy = policy;
            }
            if let Some(ghosts) = s.ghost_users {
                settings.ghost_users = ghosts;
            }
        });
        Ok(())
    }

    fn add_client(&self, c: ClientSeed) -> Result<(), SeedError> {
        let ids = &self.inner.kit.ids;
        let mut jwt_configuration = JwtConfiguration::default();
        if let Some(jwt) = c.jwt_configuration {
            if let Some(alg) = jwt.alg {
                jwt_configuration.alg = SigningAlg::parse(&alg).ok_or_else(|| {
                    SeedError::Invalid(format!(
                        "client `{}`: jwt_configuration.alg `{alg}` is not one of HS256, RS256, RS512, PS256",
                        c.name
                    ))
                })?;
            }
            if let Some(lifetime) = jwt.lifetime_in_seconds {
                jwt_configuration.lifetime_in_seconds = lifetime;
            }
        }
        let client = Client {
            client_id: c.client_id.unwrap_or_else(|| ids.alnum(32)),
            client_secret: c.client_secret.unwrap_or_else(|| ids.token(64)),
            app_type: c.app_type.unwrap_or_else(|| "regular_web".into()),
            grant_types: c.grant_types.unwrap_or_else(default_grants),
            management_scopes: c.management_scopes,
            name: c.name,
            jwt_configuration,
            extra: Default::default(),
        };
        self.with_tenant(|t| {
            if let Some(existing) = t.clients.iter_mut().find(|x| x.name == client.name) {
                *existing = client;
            } else if t.clients.iter().any(|x| x.client_id == client.client_id) {
                return Err(SeedError::Invalid(format!(
                    "client id {} is used by another client",
                    client.client_id
                )));
            } else {
                t.clients.push(client);
            }
            Ok(())
        })
    }

    fn add_connection(&self, c: ConnectionSeed) -> Result<(), SeedError> {
        if c.name.is_empty()
            || c.name.len() > 128
            || !c.name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
            || c.name.starts_with('-')
            || c.name.ends_with('-')
        {
            return Err(SeedError::Invalid(format!(
                "connection name `{}`: use letters, digits and dashes, starting and ending with a letter or digit (at most 128)",
                c.name
            )));
        }
        if c.strategy != "auth0" {
            if !OTHER_STRATEGIES.contains(&c.strategy.as_str()) {
                return Err(SeedError::Invalid(format!(
                    "connection `{}`: strategy `{}` is not one Ferry knows (auth0, {})",
                    c.name,
                    c.strategy,
                    OTHER_STRATEGIES.join(", ")
                )));
            }
            if !c.options.is_empty() {
                return Err(SeedError::Invalid(format!(
                    "connection `{}`: a {} connection is kept only so that what refuses it can be shown; it takes no options",
                    c.name, c.strategy
                )));
            }
        }
        if let Some(id) = &c.id
            && !(id.len() == 20 && id.starts_with("con_") && id[4..].chars().all(|ch| ch.is_ascii_alphanumeric()))
        {
            return Err(SeedError::Invalid(format!(
                "connection id `{id}` does not match ^con_[A-Za-z0-9]{{16}}$"
            )));
        }
        let id = c.id.unwrap_or_else(|| format!("con_{}", self.inner.kit.ids.alnum(16)));
        self.with_tenant(|t| {
            let enabled_clients = match c.enabled_clients {
                None => t.clients.iter().map(|x| x.client_id.clone()).collect(),
                Some(list) => {
                    let mut ids = vec![];
                    for entry in list {
                        match t.clients.iter().find(|x| x.name == entry || x.client_id == entry) {
                            Some(client) => ids.push(client.client_id.clone()),
                            None => {
                                return Err(SeedError::Invalid(format!(
                                    "connection `{}`: no client named `{entry}`",
                                    c.name
                                )));
                            }
                        }
                    }
                    ids
                }
            };
            let connection = Connection {
                id,
                realms: c.realms.unwrap_or_else(|| vec![c.name.clone()]),
                name: c.name,
                strategy: c.strategy,
                display_name: c.display_name,
                options: c.options,
                enabled_clients,
                is_domain_connection: c.is_domain_connection,
                metadata: c.metadata,
            };
            match t.connections.iter_mut().find(|x| x.name == connection.name) {
                Some(existing) => {
                    let id = existing.id.clone();
                    *existing = Connection { id, ..connection };
                }
                None => t.connections.push(connection),
            }
            Ok(())
        })
    }

    fn add_user(&self, u: UserSeed) -> Result<(), SeedError> {
        match self.with_tenant(|t| t.connection(&u.connection).map(Connection::is_database)) {
            None => {
                return Err(SeedError::Invalid(format!(
                    "user {}: no connection named `{}`",
                    u.email.as_deref().unwrap_or("?"),
                    u.connection
                )));
            }
            Some(false) => {
                return Err(SeedError::Invalid(format!(
                    "user {}: `{}` is not a database connection",
                    u.email.as_deref().unwrap_or("?"),
                    u.connection
                )));
            }
            Some(true) => {}
        }
        let mfa_factors = match mfa::checked(u.mfa_factors.as_ref(), u.email.as_deref()) {
            mfa::Factors::Absent => vec![],
            mfa::Factors::Valid(factors) => factors,
            mfa::Factors::Failed => {
                return Err(SeedError::Invalid(format!(
                    "user {}: mfa_factors must be totp {{secret}}, phone {{value}} or email {{value}} objects, each enrolled once",
                    u.email.as_deref().unwrap_or("?")
                )));
            }
        };
        if u.email.is_none() && u.username.is_none() {
            return Err(SeedError::Invalid("a user needs an email or a username".into()));
        }
        let email = u.email.map(|e| e.to_lowercase());
        let username = u.username.map(|x| x.to_lowercase());
        let password = match &u.password {
            Some(p) => {
                let cost = self.with_tenant(|t| t.settings.bcrypt_cost);
                let mut salt = [0u8; 16];
                salt.copy_from_slice(&self.inner.kit.ids.bytes(16));
                Some(PasswordHash::bcrypt(p, cost, salt).map_err(SeedError::Invalid)?)
            }
            None => None,
        };
        let now = self.inner.kit.clock.now();
        let name = u
            .name
            .unwrap_or_else(|| email.clone().or_else(|| username.clone()).unwrap_or_default());
        let user = StoredUser {
            id: u.user_id.unwrap_or_else(|| self.inner.kit.ids.hex(24)),
            connection: u.connection,
            nickname: u
                .nickname
                .unwrap_or_else(|| default_nickname(email.as_deref(), username.as_deref())),
            picture: u.picture.unwrap_or_else(|| default_picture(email.as_deref(), &name)),
            name,
            email,
            email_verified: u.email_verified,
            username,
            phone_number: u.phone_number,
            phone_verified: false,
            given_name: u.given_name,
            family_name: u.family_name,
            user_metadata: u.user_metadata,
            app_metadata: u.app_metadata,
            extra: Default::default(),
            created_at: now,
            updated_at: now,
            last_login: None,
            last_ip: None,
            logins_count: 0,
            last_password_reset: None,
            blocked: u.blocked,
            password,
            mfa_factors,
        };
        self.with_tenant(|t| {
            let connection = &user.connection;
            let clash = t.users.by_id(connection, &user.id).is_some()
                || user
                    .email
                    .as_deref()
                    .is_some_and(|e| t.users.by_email(connection, e).is_some())
                || user
                    .username
                    .as_deref()
                    .is_some_and(|u| t.users.by_username(connection, u).is_some());
            if clash {
                return Err(SeedError::Invalid(format!(
                    "user {}: the user already exists.",
                    user.user_id()
                )));
            }
            t.users.insert(user);
            Ok(())
        })
    }

    /// Seeds the tenant (settings, then clients, connections and users). Passwords of seeded
    /// users are hashed here, at the tenant's bcrypt cost.
    fn seed_tenant(&self, seed: Auth0Seed) -> Result<Value, SeedError> {
        if let Some(settings) = seed.settings {
            self.apply_settings(settings)?;
        }
        let (clients, connections, users) = (seed.clients.len(), seed.connections.len(), seed.users.len());
        for client in seed.clients {
            self.add_client(client)?;
        }
        for connection in seed.connections {
            self.add_connection(connection)?;
        }
        for user in seed.users {
            self.add_user(user)?;
        }
        Ok(json!({ "clients": clients, "connections": connections, "users": users }))
    }
}

/// Strategies of the connections that can be seeded besides database connections (`auth0`):
/// they are listed and refused where Auth0 refuses them, and do nothing else.
pub const OTHER_STRATEGIES: &[&str] = &[
    "google-oauth2",
    "github",
    "facebook",
    "apple",
    "windowslive",
    "email",
    "sms",
    "samlp",
    "oidc",
    "okta",
    "waad",
    "ad",
    "adfs",
];

pub(crate) fn default_grants() -> Vec<String> {
    [
        "authorization_code",
        "implicit",
        "refresh_token",
        "password",
        GRANT_PASSWORD_REALM,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

impl Provider for Auth0 {
    const NAME: &'static str = "auth0";
    type Seed = Auth0Seed;

    fn kit(&self) -> &Kit {
        &self.inner.kit
    }

    fn routes(&self) -> Router {
        Router::new()
            .route("/oauth/token", post(tokens::token_create))
            .route("/oauth/revoke", post(tokens::revoke_create))
            .route("/.well-known/jwks.json", get(tokens::jwks_get))
            .route(
                "/.well-known/openid-configuration",
                get(tokens::openid_configuration_get),
            )
            .route(
                "/dbconnections/change_password",
                post(dbconnections::change_password_create),
            )
            .route(
                "/lo/reset",
                get(dbconnections::reset_page_get).post(dbconnections::reset_create),
            )
            // OpenID Connect Core §5.3.1: the UserInfo endpoint serves GET and POST.
            .route("/userinfo", get(tokens::userinfo_get).post(tokens::userinfo_get))
            .route("/authorize", get(authorize::authorize_get))
            .route(authorize::LOGIN_PATH, post(authorize::login_create))
            .route("/dbconnections/signup", post(signup::signup_create))
            .route(
                "/api/v2/users",
                get(management::users_list).post(users_write::users_create),
            )
            .route(
                "/api/v2/users/{id}",
                get(management::users_get)
                    .patch(users_write::users_update)
                    .delete(users_write::users_delete),
            )
            .route("/api/v2/users-by-email", get(management::users_by_email_list))
            .route(
                "/api/v2/connections",
                get(connections::connections_list).post(connections::connections_create),
            )
            .route(
                "/api/v2/connections/{id}",
                get(connections::connections_get)
                    .patch(connections::connections_update)
                    .delete(connections::connections_delete),
            )
            .route(
                "/api/v2/connections/{id}/clients",
                get(connections::connection_clients_get).patch(connections::connection_clients_update),
            )
            .route(
                "/api/v2/connections/{id}/users",
                delete(connections::connection_users_delete),
            )
            .route(
                "/api/v2/clients",
                get(connections::clients_list).post(connections::clients_create),
            )
            .route(
                "/api/v2/clients/{id}",
                get(connections::clients_get).patch(connections::clients_update),
            )
            .route("/mfa/authenticators", get(mfa::authenticators_get))
            .route("/api/v2/jobs/users-imports", post(jobs::users_imports_create))
            .route(
                "/api/v2/jobs/verification-email",
                post(verify_email::verification_email_create),
            )
            .route("/lo/verify_email", get(verify_email::verify_email_get))
            .route(
                "/api/v2/tickets/email-verification",
                post(tickets::email_verification_create),
            )
            .route("/api/v2/tickets/password-change", post(tickets::password_change_create))
            .route("/api/v2/jobs/{id}", get(jobs::jobs_get))
            .route("/api/v2/jobs/{id}/errors", get(jobs::jobs_errors_get))
            .route("/api/v2/logs", get(management::logs_list))
            .route("/__ferry/outbox", get(outbox_list))
            .route("/__ferry/scripts", get(scripts_list))
            .fallback(not_found)
            .method_not_allowed_fallback(method_not_allowed)
            .layer(axum::middleware::from_fn_with_state(self.clone(), limits::limit))
            .layer(axum::middleware::from_fn_with_state(self.clone(), jobs::advance))
            .with_state(self.clone())
    }

    fn seed(&self, seed: Self::Seed) -> Result<Value, SeedError> {
        self.seed_tenant(seed)
    }

    fn reset(&self) {
        let settings = self.settings();
        self.with_tenant(|t| {
            *t = Tenant {
                settings,
                ..Tenant::default()
            };
        });
        self.inner.buckets.reset();
        self.jobs_changed();
        self.install_default_clients();
    }

    fn fault_response(&self, status: StatusCode) -> Response {
        // The Management API's error shape; the Authentication API's routes answer with it too
        // under a fault, which is what Auth0's edge does for 5xx and 429.
        let message = match status.as_u16() {
            429 => "Global limit has been reached".to_owned(),
            413 => "Payload Too Large".to_owned(),
            _ => status.canonical_reason().unwrap_or("Error").to_owned(),
        };
        let code = match status.as_u16() {
            429 => Some("too_many_requests"),
            _ => None,
        };
        let response = ApiError::new(status, message, code).into_response();
        if status == StatusCode::TOO_MANY_REQUESTS {
            limits::exhausted(self, None, response)
        } else {
            response
        }
    }

    fn rate_limited_response(&self, request: &http::request::Parts, _body: &[u8]) -> Response {
        // The refusal `limits::limit` gives the route: the Management API's error body on
        // /api/v2/*, the Authentication API's elsewhere, with the route's bucket emptied in the
        // X-RateLimit-* headers.
        if request.uri.path().starts_with("/api/v2/") {
            let response = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Global limit has been reached",
                Some("too_many_requests"),
            )
            .into_response();
            return limits::exhausted(self, Some((&request.method, request.uri.path())), response);
        }
        limits::authentication_fault(self)
    }

    fn secret_fields(&self) -> &'static [&'static str] {
        COMMON_SECRET_FIELDS
    }

    fn state(&self) -> Value {
        self.jobs_caught_up();
        self.with_tenant(|t| t.view())
    }
}

async fn not_found() -> Response {
    ApiError::new(StatusCode::NOT_FOUND, "Not Found", None).into_response()
}

/// A known path called with a method it does not serve. Auth0 answers it as it answers an
/// unknown path — a 404 — in the error shape of the API the path belongs to (its exact body is
/// not documented): the Authentication API's OAuth error on `/oauth/*` and `/mfa/*`, the database
/// connections' error on `/dbconnections/*`, an HTML page on the pages, and the Management
/// API's error everywhere else.
async fn method_not_allowed(uri: axum::http::Uri) -> Response {
    let path = uri.path();
    if path.starts_with("/oauth/") || path.starts_with("/mfa/") {
        error::OAuthError::new(StatusCode::NOT_FOUND, "not_found", "Not Found").into_response()
    } else if path.starts_with("/dbconnections/") {
        error::DbError {
            status: StatusCode::NOT_FOUND,
            name: "NotFoundError".into(),
            code: "not_found".into(),
            description: "Not Found".into(),
        }
        .into_response()
    } else if path == "/lo/reset" {
        // The reset page's form posts here and reads its JSON answer.
        dbconnections::reset_error(StatusCode::NOT_FOUND, "not_found", "Not Found")
    } else if path == "/authorize"
        || path == authorize::LOGIN_PATH
        || path.starts_with("/lo/")
        || path.starts_with("/u/")
    {
        (StatusCode::NOT_FOUND, axum::response::Html("<p>Not Found</p>")).into_response()
    } else {
        not_found().await
    }
}

async fn outbox_list(State(auth0): State<Auth0>) -> Json<Vec<Email>> {
    Json(auth0.outbox())
}

async fn scripts_list(State(auth0): State<Auth0>) -> Json<Vec<ScriptExecution>> {
    Json(auth0.script_executions())
}
