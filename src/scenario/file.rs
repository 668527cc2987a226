//! The scenario file format (YAML), as serde types. One case per file:
//!
//! ```yaml
//! description: First login through Auth0 migrates the user from Okta.
//! okta:                       # seeds the mock Okta (its own seed format)
//!   users:
//!     - { login: dade.murphy@example.com, password: "Hunter2!", profile: { firstName: Dade, lastName: Murphy } }
//! auth0:
//!   connection:               # the custom database connection under test
//!     name: okta-users
//!     scripts: { login: scripts/login.js, get_user: scripts/get_user.js }
//!     configuration: { OKTA_URL: "{{okta.url}}", OKTA_API_TOKEN: "{{okta.token}}" }
//! steps:
//!   - login: { username: dade.murphy@example.com, password: "Hunter2!", expect: { status: 200 } }
//!   - calls: { mock: okta, method: POST, path: /api/v1/authn, count: 1 }
//! ```
//!
//! Every struct refuses unknown keys, so a typo is an error with its line and column rather
//! than a silently ignored setting. Paths are relative to the scenario file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use mocks::auth0::seed::{ClientSeed, ConnectionSeed, SettingsSeed, UserSeed};
use mocks::gigya::GigyaSeed;
use mocks::okta::OktaSeed;
use mocks::stormpath::StormpathSeed;
use serde::Deserialize;
use serde_json::{Map, Value};
use serde_saphyr::Spanned;

use super::steps::Play;

/// A whole scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// What the case shows, in a sentence or two (printed in reports).
    pub description: Option<String>,
    /// Seed of the mock Okta; the mock runs only when this is present.
    pub okta: Option<OktaSeed>,
    /// Seed of the mock Stormpath; the mock runs only when this is present.
    pub stormpath: Option<StormpathSeed>,
    /// Seed of the mock Gigya; the mock runs only when this is present.
    pub gigya: Option<GigyaSeed>,
    /// Seeds too large to read inline: a YAML or JSON seed file per mock, relative to the
    /// scenario (`gigya: data/accounts.json`), used instead of the mock's inline section.
    #[serde(default)]
    pub seed_files: BTreeMap<MockName, PathBuf>,
    /// The Auth0 tenant.
    #[serde(default)]
    pub auth0: Auth0Section,
    /// What happens, in order.
    pub steps: Vec<Spanned<Step>>,
    /// Whether `cargo test` snapshots the result (default true).
    #[serde(default = "yes")]
    pub snapshot: bool,
}

fn yes() -> bool {
    true
}

/// The Auth0 tenant of a scenario.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth0Section {
    /// Tenant settings (the scenario runner lowers `bcrypt_cost` to 4 unless set here).
    pub settings: Option<SettingsSeed>,
    /// The custom database connection under test, in Ferry's short form.
    pub connection: Option<ConnectionSpec>,
    /// Further connections in Auth0's own shape.
    #[serde(default)]
    pub connections: Vec<ConnectionSeed>,
    #[serde(default)]
    pub clients: Vec<ClientSeed>,
    /// Users already in the Auth0 store.
    #[serde(default)]
    pub users: Vec<UserSeed>,
}

/// A custom database connection with its scripts read from files.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSpec {
    pub name: String,
    /// "Import Users to Auth0" (default true).
    #[serde(default = "yes")]
    pub import_mode: bool,
    /// Script files by script name (`login`, `get_user`, ...), relative to the scenario file.
    #[serde(default)]
    pub scripts: BTreeMap<String, Spanned<PathBuf>>,
    /// The connection's configuration values; `{{okta.url}}`-style variables are replaced.
    #[serde(default)]
    pub configuration: BTreeMap<String, String>,
    /// Any other connection option, in Auth0's naming (`requires_username`, ...).
    #[serde(default)]
    pub options: Map<String, Value>,
    /// Client names or ids; every client when absent.
    pub enabled_clients: Option<Vec<String>>,
}

/// The mocks a step can address.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MockName {
    Okta,
    Stormpath,
    Gigya,
    Auth0,
}

impl MockName {
    pub fn as_str(self) -> &'static str {
        match self {
            MockName::Okta => "okta",
            MockName::Stormpath => "stormpath",
            MockName::Gigya => "gigya",
            MockName::Auth0 => "auth0",
        }
    }
}

/// One step. Request steps carry their own `expect`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// A resource-owner password login at `/oauth/token`.
    Login(LoginStep),
    /// `POST /dbconnections/signup`.
    Signup(SignupStep),
    /// `GET /userinfo` with the access token of the last successful login.
    Userinfo(UserinfoStep),
    /// `grant_type=refresh_token` with the refresh token of the last login that got one.
    Refresh(RefreshStep),
    /// `POST /dbconnections/change_password` (the "forgot password" request).
    ChangePassword(ChangePasswordStep),
    /// Follows the newest reset link emailed to `email` (or a password-change ticket made for
    /// the user, `via: ticket`) and sets a new password.
    ResetPassword(ResetPasswordStep),
    /// Follows the newest email-verification link emailed to `email`.
    VerifyEmail(VerifyEmailStep),
    /// A Management API call with a Management API token.
    Api(ApiStep),
    /// Asserts how many requests a mock received.
    Calls(CallsStep),
    /// Asserts on one Auth0 user (read through the Management API).
    User(UserStep),
    /// Asserts on the most recent run of a custom database script.
    Script(ScriptStep),
    /// Asserts on the emails the tenant sent.
    Emails(EmailsStep),
    /// Asserts on the tenant log events (read through `GET /api/v2/logs`).
    Logs(LogsStep),
    /// Moves the shared clock forward, e.g. `10m`.
    Advance(AdvanceStep),
    /// Installs a fault rule on a mock.
    Fault(FaultStep),
    /// Removes every fault rule of a mock (recovery).
    ClearFaults(ClearFaultsStep),
    /// Deploys a custom database connection through the Management API (`ferry deploy`).
    Deploy(DeployStep),
    /// Sends an Auth0 import file through the engine's import pipeline (`ferry import`).
    Import(ImportStep),
    /// Runs the engine's Gigya migration (`ferry migrate gigya`) against the mocks.
    MigrateGigya(MigrateGigyaStep),
    /// Imports the mock Stormpath's console export (`ferry migrate stormpath`).
    MigrateStormpath(MigrateStormpathStep),
    /// Adds seed data to the mock Okta mid-scenario (a user replaced, say).
    SeedOkta(OktaSeed),
    /// Adds seed data to the mock Stormpath mid-scenario.
    SeedStormpath(StormpathSeed),
    /// Adds seed data to the mock Gigya mid-scenario.
    SeedGigya(GigyaSeed),
}

impl Step {
    /// The step as the runner plays it. Each step's type implements [`Play`] in the module of
    /// its family under `steps/`; this match is the only place that lists them.
    pub(super) fn as_play(&self) -> &dyn Play {
        match self {
            Step::Login(s) => s,
            Step::Signup(s) => s,
            Step::Userinfo(s) => s,
            Step::Refresh(s) => s,
            Step::ChangePassword(s) => s,
            Step::ResetPassword(s) => s,
            Step::VerifyEmail(s) => s,
            Step::Api(s) => s,
            Step::Calls(s) => s,
            Step::User(s) => s,
            Step::Script(s) => s,
            Step::Emails(s) => s,
            Step::Logs(s) => s,
            Step::Advance(s) => s,
            Step::Fault(s) => s,
            Step::ClearFaults(s) => s,
            Step::Deploy(s) => s,
            Step::Import(s) => s,
            Step::MigrateGigya(s) => s,
            Step::MigrateStormpath(s) => s,
            Step::SeedOkta(s) => s,
            Step::SeedStormpath(s) => s,
            Step::SeedGigya(s) => s,
        }
    }
}

/// What a request step expects of the answer.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub status: Option<u16>,
    /// The OAuth `error` code (`invalid_grant`, `access_denied`, ...).
    pub error: Option<String>,
    /// The OAuth `error_description`.
    pub error_description: Option<String>,
    /// A JSON value the body must contain (objects match as subsets, arrays element-wise).
    pub body: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginStep {
    pub username: String,
    pub password: String,
    /// Connection (realm); the scenario's connection when absent.
    pub realm: Option<String>,
    /// `password-realm` (default) or `password` (the tenant's default directory).
    pub grant: Option<String>,
    /// Application name; "Default App" when absent.
    pub client: Option<String>,
    pub scope: Option<String>,
    /// Run the same login this many times, a clock tick apart (the last answer is checked).
    pub repeat: Option<u32>,
    #[serde(default)]
    pub expect: Expect,
}

impl LoginStep {
    /// How many times the login is sent (`repeat`, at least once).
    pub fn times(&self) -> u32 {
        self.repeat.unwrap_or(1).max(1)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordStep {
    pub email: String,
    pub connection: Option<String>,
    #[serde(default)]
    pub expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailStep {
    pub email: String,
    #[serde(default)]
    pub expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordStep {
    pub email: String,
    pub new_password: String,
    /// Where the reset link comes from: the newest `email` sent to the user (default), or a
    /// `ticket` made now through `POST /api/v2/tickets/password-change`.
    #[serde(default)]
    pub via: ResetVia,
    /// With `via: ticket`: the ticket's `mark_email_as_verified`.
    #[serde(default)]
    pub mark_email_as_verified: bool,
    /// With `via: ticket`: the user's connection; the scenario's when absent.
    pub connection: Option<String>,
    #[serde(default)]
    pub expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiStep {
    #[serde(default = "get")]
    pub method: String,
    /// Path under the Auth0 mock, e.g. `/api/v2/users-by-email?email=a@b.c`.
    pub path: String,
    pub body: Option<Value>,
    #[serde(default)]
    pub expect: Expect,
}

fn get() -> String {
    "GET".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallsStep {
    pub mock: MockName,
    pub method: Option<String>,
    /// Path pattern: exact, `*` for one segment, trailing `/**` for any rest.
    pub path: String,
    /// Exact number of matching requests so far.
    pub count: Option<usize>,
    pub at_least: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserStep {
    /// The user's email (as stored: lower-case) ...
    pub email: Option<String>,
    /// ... or full user id (`auth0|...`).
    pub user_id: Option<String>,
    /// Whether the user exists (default true).
    pub exists: Option<bool>,
    /// Fields the user must have (a subset of the Management API's user).
    pub has: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptStep {
    /// `login`, `get_user`, ...
    pub script: String,
    /// `profile`, `not_found` (login, get_user) or `done` (other scripts), `value`,
    /// `wrong_credentials`, `error`, `threw`, `timed_out`, `no_callback`, `out_of_memory`,
    /// `invalid_script`.
    pub outcome: Option<String>,
    /// Text the error or exception message must contain.
    pub message: Option<String>,
    /// Script line the exception was thrown at.
    pub line: Option<u32>,
    /// How many runs of this script so far.
    pub runs: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailsStep {
    pub to: String,
    pub count: usize,
}

/// How many tenant log events match: every given condition holds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsStep {
    /// The event type (`s`, `fp`, `fu`, `f`, `ss`, `scpr`, `scp`, `sui`, `fui`, `limit_wc`…).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The user's email or user name (`user_name`) or user id.
    pub user: Option<String>,
    /// Text the event's description contains.
    pub description: Option<String>,
    /// A raw Lucene query for `GET /api/v2/logs?q=`, combined with the others.
    pub q: Option<String>,
    /// How many events match.
    pub count: usize,
}

/// `advance: 10m`: how far the shared clock moves.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct AdvanceStep {
    /// The duration as written (`10m`, `1h30m`).
    pub text: String,
}

/// `clear_faults: okta`: the mock whose fault rules are removed.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct ClearFaultsStep(pub MockName);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultStep {
    pub mock: MockName,
    pub method: Option<String>,
    pub path: String,
    /// The first matching call (from 1) that is faulted.
    pub nth: Option<u64>,
    /// How many calls are faulted; for ever when absent.
    pub times: Option<u64>,
    pub fault: mocks::Fault,
}

impl FaultStep {
    pub fn rule(&self) -> mocks::FaultRule {
        mocks::FaultRule {
            method: self.method.clone(),
            path: self.path.clone(),
            nth: self.nth.unwrap_or(1),
            times: self.times,
            fault: self.fault.clone(),
        }
    }
}

/// What a migration or import run must report (each count is checked when given).
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ExpectTotals {
    pub exported: Option<u64>,
    pub inserted: Option<u64>,
    pub updated: Option<u64>,
    pub inserted_or_updated: Option<u64>,
    pub failed: Option<u64>,
    pub skipped: Option<u64>,
    pub needs_reset: Option<u64>,
    /// Number of import jobs the run used.
    pub jobs: Option<usize>,
    /// The run stops with an error containing this text.
    pub error: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportStep {
    /// An Auth0 import file (JSON array or NDJSON), relative to the scenario.
    pub file: std::path::PathBuf,
    /// Connection name; the scenario's connection when absent.
    pub connection: Option<String>,
    #[serde(default)]
    pub upsert: bool,
    /// Largest file per job (default Auth0's 500 KB); lower it to see a split into jobs.
    pub file_bytes: Option<usize>,
    #[serde(default)]
    pub expect: ExpectTotals,
}

/// How the Gigya accounts are exported.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum GigyaVia {
    #[default]
    IdentitySync,
    Search,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrateGigyaStep {
    #[serde(default)]
    pub via: GigyaVia,
    /// The accounts.search query, or the IdentitySync reader's `where` condition.
    pub query: Option<String>,
    /// Connection name; the scenario's connection when absent.
    pub connection: Option<String>,
    #[serde(default)]
    pub upsert: bool,
    pub file_bytes: Option<usize>,
    /// Override the Gigya credentials (e.g. a wrong secret).
    pub secret: Option<String>,
    #[serde(default)]
    pub expect: ExpectTotals,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployStep {
    /// An auth0-deploy-cli tree, relative to the scenario.
    pub from: std::path::PathBuf,
    /// The connection directory under `database-connections/`.
    pub name: Option<String>,
    /// deploy-cli keywords (`##KEY##`, `@@KEY@@`); `{{okta.url}}`-style variables are replaced.
    #[serde(default)]
    pub keywords: BTreeMap<String, String>,
    /// `created`, `updated` or `unchanged`.
    pub expect: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrateStormpathStep {
    /// Connection name; the scenario's connection when absent.
    pub connection: Option<String>,
    #[serde(default)]
    pub upsert: bool,
    pub file_bytes: Option<usize>,
    #[serde(default)]
    pub expect: ExpectTotals,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignupStep {
    pub email: String,
    pub password: String,
    pub username: Option<String>,
    pub connection: Option<String>,
    /// Extra signup fields (`given_name`, `user_metadata`, ...).
    #[serde(default)]
    pub fields: Map<String, Value>,
    #[serde(default)]
    pub expect: Expect,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserinfoStep {
    #[serde(default)]
    pub expect: Expect,
}

/// Where a `reset_password` step's link comes from.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ResetVia {
    #[default]
    Email,
    Ticket,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshStep {
    /// Application name; "Default App" when absent (it must be the one that logged in).
    pub client: Option<String>,
    /// Narrows the scope of the renewed grant.
    pub scope: Option<String>,
    #[serde(default)]
    pub expect: Expect,
}
