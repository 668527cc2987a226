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
//! Every struct refuses unknown keys, and every value that comes from a closed set (script
//! names and outcomes, mocks, HTTP methods, grants, log event types, `via`, deploy actions) is
//! an enum, so a typo is an error with its line and column rather than a silently ignored
//! setting or a check that can never fail. Numbers are read as whole numbers within the range
//! that makes sense for each field (an HTTP status, a count, a script line...) and durations
//! are parsed and bounded when the file is read, so a negative, fractional, overflowing or
//! absurd value is a load error with its reason too. Paths are relative to the scenario file.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

pub use mocks::auth0::model::ScriptKind;
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
    /// Custom domains the scripts call, each sent to a mock the scenario runs
    /// (`{ login.acme.com: auth0, "*.idp.acme.com": okta }`), besides the services' own host
    /// names, which always go to their mocks (`*.okta.com` → okta, `api.stormpath.com` →
    /// stormpath, `*.gigya.com` → gigya, `*.auth0.com` → auth0).
    pub routes: Option<Spanned<BTreeMap<String, MockName>>>,
    /// Serve every mock over HTTPS as well (plain HTTP keeps working on the same port), with a
    /// certificate from a CA made for the run; `{{okta.url}}`-style variables are `https://`,
    /// and the scripts trust the CA.
    #[serde(default)]
    pub tls: bool,
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
    pub scripts: HashMap<ScriptKind, Spanned<PathBuf>>,
    /// The connection's configuration values; `{{okta.url}}`-style variables are replaced.
    #[serde(default)]
    pub configuration: BTreeMap<String, String>,
    /// Text replaced in the script files when they are loaded, as a user fills a published
    /// script's placeholders before pasting it (`"{yourOktaDomain}": acme.okta.com`); the
    /// files stay as they are. Values take `{{okta.url}}`-style variables; each placeholder
    /// must occur in one of the scripts.
    #[serde(default)]
    pub placeholders: BTreeMap<String, String>,
    /// Any other connection option, in Auth0's naming (`requires_username`, ...).
    #[serde(default)]
    pub options: Map<String, Value>,
    /// Applications (names or client ids) the connection is enabled for; the Default App when
    /// absent, none with `[]` (Auth0 then refuses logins through it and imports into it).
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
    /// Runs a program of the user's (an importer in any language) with the mocks' coordinates
    /// in its environment.
    Exec(ExecStep),
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
            Step::Exec(s) => s,
        }
    }
}

/// What a request step expects of the answer.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default, deserialize_with = "number::status")]
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
    #[serde(default)]
    pub grant: Grant,
    /// Application name; "Default App" when absent.
    pub client: Option<String>,
    pub scope: Option<String>,
    /// Run the same login this many times, a clock tick apart (the last answer is checked).
    #[serde(default, deserialize_with = "number::repeat")]
    pub repeat: Option<u32>,
    #[serde(default)]
    pub expect: Expect,
}

impl LoginStep {
    /// How many times the login is sent (`repeat`, once when absent).
    pub fn times(&self) -> u32 {
        self.repeat.unwrap_or(1)
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
    #[serde(default)]
    pub method: Method,
    /// Path under the Auth0 mock, e.g. `/api/v2/users-by-email?email=a@b.c`.
    pub path: String,
    pub body: Option<Value>,
    #[serde(default)]
    pub expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallsStep {
    pub mock: MockName,
    /// Any method when absent.
    pub method: Option<Method>,
    /// Path pattern: exact, `*` for one segment, trailing `/**` for any rest.
    pub path: String,
    /// Only requests the mock answered with this status (any when absent).
    pub status: Option<u16>,
    /// Exact number of matching requests so far.
    #[serde(default, deserialize_with = "number::count")]
    pub count: Option<usize>,
    #[serde(default, deserialize_with = "number::count")]
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
    pub script: ScriptKind,
    /// How the last run ended.
    pub outcome: Option<ScriptOutcome>,
    /// Text the error or exception message must contain.
    pub message: Option<String>,
    /// Script line the exception was thrown at.
    #[serde(default, deserialize_with = "number::line")]
    pub line: Option<u32>,
    /// How many runs of this script so far.
    #[serde(default, deserialize_with = "number::count")]
    pub runs: Option<usize>,
}

/// How a custom database script run ended, as the mock Auth0 records it
/// ([`mocks::auth0::ScriptExecution::outcome`]).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ScriptOutcome {
    /// `callback(null, profile)` (login, get_user).
    Profile,
    /// `callback()` or `callback(null)` from login or get_user: no such user.
    NotFound,
    /// `callback()` from the other scripts: success.
    Done,
    /// `callback(null, true|false)` (verify, change_password, change_email).
    Value,
    /// `WrongUsernameOrPasswordError`.
    WrongCredentials,
    /// Any other error passed to `callback`.
    Error,
    /// An exception.
    Threw,
    /// The time limit passed.
    TimedOut,
    /// The script finished without calling `callback`.
    NoCallback,
    OutOfMemory,
    /// The script does not compile.
    InvalidScript,
}

impl ScriptOutcome {
    /// The name the mock records.
    pub fn as_str(self) -> &'static str {
        match self {
            ScriptOutcome::Profile => "profile",
            ScriptOutcome::NotFound => "not_found",
            ScriptOutcome::Done => "done",
            ScriptOutcome::Value => "value",
            ScriptOutcome::WrongCredentials => "wrong_credentials",
            ScriptOutcome::Error => "error",
            ScriptOutcome::Threw => "threw",
            ScriptOutcome::TimedOut => "timed_out",
            ScriptOutcome::NoCallback => "no_callback",
            ScriptOutcome::OutOfMemory => "out_of_memory",
            ScriptOutcome::InvalidScript => "invalid_script",
        }
    }
}

impl fmt::Display for ScriptOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailsStep {
    pub to: String,
    #[serde(deserialize_with = "number::count_required")]
    pub count: usize,
}

/// How many tenant log events match: every given condition holds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsStep {
    /// The event type.
    #[serde(rename = "type")]
    pub kind: Option<LogType>,
    /// The user's email or user name (`user_name`) or user id.
    pub user: Option<String>,
    /// Text the event's description contains.
    pub description: Option<String>,
    /// A raw Lucene query for `GET /api/v2/logs?q=`, combined with the others.
    pub q: Option<String>,
    /// How many events match.
    #[serde(deserialize_with = "number::count_required")]
    pub count: usize,
}

/// The tenant log event types the mock Auth0 records (Auth0's codes: auth0.md, "Log event
/// type codes"). A type the mock never records could only ever be counted as zero, so it is
/// refused like a typo.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub enum LogType {
    /// Successful login.
    #[serde(rename = "s")]
    SuccessLogin,
    /// Failed login (script error, blocked user, migration refused...).
    #[serde(rename = "f")]
    FailedLogin,
    /// Failed login: wrong password.
    #[serde(rename = "fp")]
    WrongPassword,
    /// Failed login: unknown user.
    #[serde(rename = "fu")]
    UnknownUser,
    /// Too many failed logins: the user is blocked (brute-force protection).
    #[serde(rename = "limit_wc")]
    BlockedAccount,
    /// Successful signup.
    #[serde(rename = "ss")]
    SuccessSignup,
    /// Password change request sent.
    #[serde(rename = "scpr")]
    ChangePasswordRequest,
    /// Password change request failed.
    #[serde(rename = "fcpr")]
    FailedChangePasswordRequest,
    /// Password changed.
    #[serde(rename = "scp")]
    ChangePassword,
    /// Password change failed.
    #[serde(rename = "fcp")]
    FailedChangePassword,
    /// Users import job completed.
    #[serde(rename = "sui")]
    UsersImport,
    /// Users import job failed.
    #[serde(rename = "fui")]
    FailedUsersImport,
    /// Email verified.
    #[serde(rename = "sv")]
    VerifyEmail,
    /// Email verification failed.
    #[serde(rename = "fv")]
    FailedVerifyEmail,
    /// Refresh token exchanged for an access token.
    #[serde(rename = "sertft")]
    RefreshTokenExchange,
    /// Refresh token exchange failed.
    #[serde(rename = "fertft")]
    FailedRefreshTokenExchange,
    /// A login's password was right; a second factor is required (the tenant's MFA policy).
    #[serde(rename = "mfar")]
    MfaRequired,
    /// A Management API rate limit was exceeded.
    #[serde(rename = "api_limit")]
    ApiLimit,
}

impl LogType {
    /// Auth0's code for the type (`s`, `fp`, ...).
    pub fn code(self) -> &'static str {
        match self {
            LogType::SuccessLogin => "s",
            LogType::FailedLogin => "f",
            LogType::WrongPassword => "fp",
            LogType::UnknownUser => "fu",
            LogType::BlockedAccount => "limit_wc",
            LogType::SuccessSignup => "ss",
            LogType::ChangePasswordRequest => "scpr",
            LogType::FailedChangePasswordRequest => "fcpr",
            LogType::ChangePassword => "scp",
            LogType::FailedChangePassword => "fcp",
            LogType::UsersImport => "sui",
            LogType::FailedUsersImport => "fui",
            LogType::VerifyEmail => "sv",
            LogType::FailedVerifyEmail => "fv",
            LogType::RefreshTokenExchange => "sertft",
            LogType::FailedRefreshTokenExchange => "fertft",
            LogType::MfaRequired => "mfar",
            LogType::ApiLimit => "api_limit",
        }
    }
}

/// `advance: 10m`: how far the shared clock moves (more than nothing, at most
/// [`AdvanceStep::LIMIT`]).
#[derive(Debug, Deserialize)]
#[serde(try_from = "String")]
pub struct AdvanceStep {
    /// The duration as written (`10m`, `1h30m`).
    pub text: String,
    pub by: Duration,
}

impl AdvanceStep {
    /// The furthest one step moves the clock: ten years (3650d) covers every lifetime and
    /// expiry Auth0 and the providers have, and keeps the clock far from overflowing.
    pub const LIMIT: Duration = Duration::from_secs(3650 * 86_400);
}

impl TryFrom<String> for AdvanceStep {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let by = mocks::kit::clock::parse_duration(&text)?;
        if by.is_zero() {
            return Err(format!("`{text}` does not move the clock: give a duration above zero"));
        }
        if by > Self::LIMIT {
            return Err(format!(
                "`{text}` is more than ten years (3650d), the furthest one step moves the clock"
            ));
        }
        Ok(AdvanceStep { text, by })
    }
}

/// `clear_faults: okta`: the mock whose fault rules are removed.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct ClearFaultsStep(pub MockName);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultStep {
    pub mock: MockName,
    /// Any method when absent.
    pub method: Option<Method>,
    pub path: String,
    /// The first matching call (from 1) that is faulted.
    #[serde(default, deserialize_with = "number::nth")]
    pub nth: Option<u64>,
    /// How many calls are faulted; for ever when absent.
    #[serde(default, deserialize_with = "number::times")]
    pub times: Option<u64>,
    pub fault: mocks::Fault,
}

impl FaultStep {
    pub fn rule(&self) -> mocks::FaultRule {
        mocks::FaultRule {
            method: self.method.map(|m| m.as_str().to_owned()),
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
    #[serde(default, deserialize_with = "number::count")]
    pub exported: Option<u64>,
    #[serde(default, deserialize_with = "number::count")]
    pub inserted: Option<u64>,
    #[serde(default, deserialize_with = "number::count")]
    pub updated: Option<u64>,
    #[serde(default, deserialize_with = "number::count")]
    pub inserted_or_updated: Option<u64>,
    #[serde(default, deserialize_with = "number::count")]
    pub failed: Option<u64>,
    #[serde(default, deserialize_with = "number::count")]
    pub skipped: Option<u64>,
    #[serde(default, deserialize_with = "number::count")]
    pub needs_reset: Option<u64>,
    /// Number of import jobs the run used.
    #[serde(default, deserialize_with = "number::count")]
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
    #[serde(default, deserialize_with = "number::file_bytes")]
    pub file_bytes: Option<usize>,
    /// Import jobs the engine keeps in flight (`--jobs`, default 2: Auth0's limit; more meets
    /// Auth0's "There are 2 active import users jobs" refusal).
    #[serde(default, deserialize_with = "number::jobs")]
    pub jobs: Option<usize>,
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
    #[serde(default, deserialize_with = "number::file_bytes")]
    pub file_bytes: Option<usize>,
    /// Import jobs the engine keeps in flight (`--jobs`, default 2: Auth0's limit; more meets
    /// Auth0's "There are 2 active import users jobs" refusal).
    #[serde(default, deserialize_with = "number::jobs")]
    pub jobs: Option<usize>,
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
    /// What the deploy must have done.
    pub expect: Option<DeployAction>,
}

/// What a deploy did to the connection (`ferry deploy`'s outcome).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DeployAction {
    Created,
    Updated,
    Unchanged,
}

impl DeployAction {
    pub fn as_str(self) -> &'static str {
        match self {
            DeployAction::Created => "created",
            DeployAction::Updated => "updated",
            DeployAction::Unchanged => "unchanged",
        }
    }
}

impl fmt::Display for DeployAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrateStormpathStep {
    /// Connection name; the scenario's connection when absent.
    pub connection: Option<String>,
    #[serde(default)]
    pub upsert: bool,
    #[serde(default, deserialize_with = "number::file_bytes")]
    pub file_bytes: Option<usize>,
    /// Import jobs the engine keeps in flight (`--jobs`, default 2: Auth0's limit; more meets
    /// Auth0's "There are 2 active import users jobs" refusal).
    #[serde(default, deserialize_with = "number::jobs")]
    pub jobs: Option<usize>,
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

/// `exec: { run: [node, importer.mjs, --flag], cwd?, env?, timeout?, expect? }`: runs a program
/// (no shell) with the mocks' coordinates in its environment (`World::environment`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecStep {
    /// The program and its arguments. A program named with a `/` is relative to the scenario
    /// file's directory (`./import.sh`, `bin/importer`); a bare name is looked up on `PATH`.
    /// `{{…}}` variables are replaced in the arguments.
    #[serde(deserialize_with = "exec::command")]
    pub run: Vec<String>,
    /// The working directory, relative to the scenario file (default: its directory).
    pub cwd: Option<PathBuf>,
    /// More environment variables (`{{okta.url}}`-style variables replaced); they win over the
    /// mocks' own.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// How long the program may run (default 5 minutes, at most a day); then its process
    /// group is killed and the step fails.
    #[serde(default = "ExecStep::default_timeout", deserialize_with = "exec::timeout")]
    pub timeout: Duration,
    #[serde(default)]
    pub expect: ExpectExit,
}

impl ExecStep {
    /// The default time-out: 5 minutes.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
    /// The longest time-out a step may set: a day.
    pub const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);

    fn default_timeout() -> Duration {
        Self::DEFAULT_TIMEOUT
    }
}

/// What an `exec` step expects of the program: its exit code (0 when not given), and texts its
/// standard output and standard error contain (with secrets masked, as the report shows them).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectExit {
    #[serde(default, deserialize_with = "number::exit_code")]
    pub exit: Option<u8>,
    pub stdout: Option<String>,
    pub stderr: Option<String>,
}

/// Reading an `exec` step's command and time-out.
mod exec {
    use std::time::Duration;

    use serde::de::{self, Deserialize, Deserializer};

    use super::ExecStep;

    /// A program and its arguments: a non-empty list whose first element names a program.
    pub(super) fn command<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
        let run = Vec::<String>::deserialize(deserializer)?;
        match run.first() {
            None => Err(de::Error::custom(
                "`run` is empty: give the program and its arguments, e.g. [node, importer.mjs]",
            )),
            Some(program) if program.trim().is_empty() => Err(de::Error::custom("`run` names no program")),
            Some(program) if program.contains(char::is_whitespace) && !program.contains('/') => {
                Err(de::Error::custom(format!(
                    "`{program}` is one list element: `run` takes no shell line, give the program and each \
                     argument as its own element, e.g. [node, importer.mjs]"
                )))
            }
            Some(_) => Ok(run),
        }
    }

    /// A time-out: a duration above zero and at most a day.
    pub(super) fn timeout<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(deserializer)?;
        let by = mocks::kit::clock::parse_duration(&text).map_err(de::Error::custom)?;
        if by.is_zero() {
            return Err(de::Error::custom(format!("`{text}`: a time-out must be above zero")));
        }
        if by > ExecStep::MAX_TIMEOUT {
            return Err(de::Error::custom(format!(
                "`{text}` is more than a day (24h), the longest time-out"
            )));
        }
        Ok(by)
    }
}

/// An HTTP method, as `api`, `calls` and `fault` steps name it: upper case, as methods are
/// case-sensitive (RFC 9110 §9.1) and every client sends these in upper case.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub enum Method {
    #[default]
    #[serde(rename = "GET")]
    Get,
    #[serde(rename = "POST")]
    Post,
    #[serde(rename = "PUT")]
    Put,
    #[serde(rename = "PATCH")]
    Patch,
    #[serde(rename = "DELETE")]
    Delete,
    #[serde(rename = "HEAD")]
    Head,
    #[serde(rename = "OPTIONS")]
    Options,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The grant a `login` step uses.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub enum Grant {
    /// `http://auth0.com/oauth/grant-type/password-realm`, with the connection as `realm`.
    #[default]
    #[serde(rename = "password-realm")]
    PasswordRealm,
    /// `password`: the tenant's default directory.
    #[serde(rename = "password")]
    Password,
}

/// Numbers in a scenario: whole numbers in the range each field allows. A negative number, a
/// fraction, one too large for any integer, or one outside the field's range is a load error
/// that says what the field expects (with the file, line and column serde-saphyr adds).
mod number {
    use std::fmt;
    use std::sync::LazyLock;

    use serde::Deserializer;
    use serde::de::{self, Visitor};

    /// What a field accepts: its range, and how an error names it.
    #[derive(Clone, Copy)]
    struct Whole {
        expected: &'static str,
        min: u64,
        max: u64,
    }

    const COUNT: Whole = Whole {
        expected: "a count (a whole number, 0 or more)",
        min: 0,
        max: u64::MAX,
    };

    impl Whole {
        fn check<E: de::Error>(self, value: u64) -> Result<u64, E> {
            if (self.min..=self.max).contains(&value) {
                Ok(value)
            } else {
                Err(E::custom(format!("expected {}, got {value}", self.expected)))
            }
        }
    }

    impl<'de> Visitor<'de> for Whole {
        type Value = u64;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.expected)
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<u64, E> {
            self.check(value)
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<u64, E> {
            match u64::try_from(value) {
                Ok(value) => self.check(value),
                Err(_) => Err(E::custom(format!("expected {}, got {value}", self.expected))),
            }
        }

        fn visit_u128<E: de::Error>(self, value: u128) -> Result<u64, E> {
            match u64::try_from(value) {
                Ok(value) => self.check(value),
                Err(_) => Err(E::custom(format!("expected {}, got {value}", self.expected))),
            }
        }

        fn visit_i128<E: de::Error>(self, value: i128) -> Result<u64, E> {
            match u64::try_from(value) {
                Ok(value) => self.check(value),
                Err(_) => Err(E::custom(format!("expected {}, got {value}", self.expected))),
            }
        }

        // YAML reads `1.5`, `1e3` and integers too large for 64 bits as floats.
        fn visit_f64<E: de::Error>(self, value: f64) -> Result<u64, E> {
            if value.fract() != 0.0 || value < 0.0 {
                Err(E::custom(format!("expected {}, got {value}", self.expected)))
            } else if value >= u64::MAX as f64 {
                Err(E::custom(format!(
                    "expected {}, got a number too large to be one",
                    self.expected
                )))
            } else {
                self.check(value as u64)
            }
        }

        fn visit_str<E: de::Error>(self, value: &str) -> Result<u64, E> {
            Err(E::custom(format!("expected {}, got the text {value:?}", self.expected)))
        }
    }

    /// An optional field: absent or `~` is `None`.
    struct Optional(Whole);

    impl<'de> Visitor<'de> for Optional {
        type Value = Option<u64>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0.expected)
        }

        fn visit_none<E: de::Error>(self) -> Result<Option<u64>, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Option<u64>, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<u64>, D::Error> {
            deserializer.deserialize_any(self.0).map(Some)
        }
    }

    fn optional<'de, D: Deserializer<'de>, T: TryFrom<u64>>(
        deserializer: D,
        whole: Whole,
    ) -> Result<Option<T>, D::Error> {
        let value = deserializer.deserialize_option(Optional(whole))?;
        value
            .map(|v| T::try_from(v).map_err(|_| de::Error::custom(format!("expected {}, got {v}", whole.expected))))
            .transpose()
    }

    /// A count of things that happened (requests, runs, emails, users, jobs): 0 or more.
    pub(super) fn count<'de, D: Deserializer<'de>, T: TryFrom<u64>>(deserializer: D) -> Result<Option<T>, D::Error> {
        optional(deserializer, COUNT)
    }

    /// A count the field cannot do without.
    pub(super) fn count_required<'de, D: Deserializer<'de>, T: TryFrom<u64>>(deserializer: D) -> Result<T, D::Error> {
        let value = deserializer.deserialize_any(COUNT)?;
        T::try_from(value).map_err(|_| de::Error::custom(format!("expected {}, got {value}", COUNT.expected)))
    }

    /// An HTTP status an answer may have.
    pub(super) fn status<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u16>, D::Error> {
        optional(
            deserializer,
            Whole {
                expected: "an HTTP status (100 to 599)",
                min: 100,
                max: 599,
            },
        )
    }

    /// How many times a login is sent: each is a real login through the mocks.
    pub(super) fn repeat<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
        optional(
            deserializer,
            Whole {
                expected: "a number of logins (1 to 1000)",
                min: 1,
                max: 1000,
            },
        )
    }

    /// A process's exit code.
    pub(super) fn exit_code<'de, D: Deserializer<'de>, T: TryFrom<u64>>(
        deserializer: D,
    ) -> Result<Option<T>, D::Error> {
        optional(
            deserializer,
            Whole {
                expected: "an exit code (0 to 255)",
                min: 0,
                max: 255,
            },
        )
    }

    /// A line of a script file.
    pub(super) fn line<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
        optional(
            deserializer,
            Whole {
                expected: "a script line (1 or more)",
                min: 1,
                max: u64::from(u32::MAX),
            },
        )
    }

    /// The first matching call a fault spoils, counted from 1.
    pub(super) fn nth<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
        optional(
            deserializer,
            Whole {
                expected: "the number of a call, counted from 1",
                min: 1,
                max: u64::MAX,
            },
        )
    }

    /// How many calls a fault spoils (a fault that spoils none is a step to leave out).
    pub(super) fn times<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
        optional(
            deserializer,
            Whole {
                expected: "a number of calls (1 or more; leave `times` out for every call)",
                min: 1,
                max: u64::MAX,
            },
        )
    }

    /// The largest import file per job: at least the engine's 1 KB, at most Auth0's limit.
    pub(super) fn file_bytes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<usize>, D::Error> {
        optional(
            deserializer,
            Whole {
                expected: FILE_BYTES.as_str(),
                min: 1024,
                max: import_schema::MAX_FILE_BYTES as u64,
            },
        )
    }

    pub(super) fn jobs<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<usize>, D::Error> {
        optional(
            deserializer,
            Whole {
                expected: "a number of jobs from 1 to 10",
                min: 1,
                max: 10,
            },
        )
    }

    static FILE_BYTES: LazyLock<String> = LazyLock::new(|| {
        format!(
            "a file size in bytes from 1024 to Auth0's limit of {}",
            import_schema::MAX_FILE_BYTES
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(yaml: &str) -> Result<Step, String> {
        serde_saphyr::from_str::<Step>(yaml).map_err(|e| mocks::kit::seed::yaml_reason(&e.to_string()))
    }

    fn advance(yaml: &str) -> Result<Duration, String> {
        match step(yaml)? {
            Step::Advance(a) => Ok(a.by),
            other => panic!("not an advance step: {other:?}"),
        }
    }

    #[test]
    fn advance_moves_at_most_ten_years() {
        assert_eq!(advance("advance: 1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(advance("advance: 3650d"), Ok(AdvanceStep::LIMIT));
        assert_eq!(
            advance("advance: 3651d"),
            Err("`3651d` is more than ten years (3650d), the furthest one step moves the clock".into())
        );
        assert_eq!(
            advance("advance: 3649d24h1ms"),
            Err("`3649d24h1ms` is more than ten years (3650d), the furthest one step moves the clock".into())
        );
    }

    #[test]
    fn counts_take_whole_floats_and_null() {
        let Step::Script(script) = step("script: { script: get_user, runs: 2.0, line: ~ }").expect("loads") else {
            panic!("not a script step");
        };
        assert_eq!(
            (script.script, script.runs, script.line),
            (ScriptKind::GetUser, Some(2), None)
        );
        assert_eq!(
            step("script: { script: login, runs: 2.5 }").err(),
            Some("expected a count (a whole number, 0 or more), got 2.5".into())
        );
    }

    #[test]
    fn exec_steps_refuse_what_cannot_run_as_written() {
        let Step::Exec(exec) = step("exec: { run: [node, importer.mjs, --dry-run] }").expect("loads") else {
            panic!("not an exec step");
        };
        assert_eq!(exec.run, ["node", "importer.mjs", "--dry-run"]);
        assert_eq!((exec.timeout, exec.expect.exit), (ExecStep::DEFAULT_TIMEOUT, None));
        let error = |yaml: &str| step(yaml).err().unwrap_or_else(|| panic!("{yaml} loads"));
        assert!(error("exec: { run: [] }").starts_with("`run` is empty"));
        assert!(error("exec: { run: ['node importer.mjs'] }").contains("takes no shell line"));
        assert_eq!(
            error("exec: { run: [x], timeout: 0s }"),
            "`0s`: a time-out must be above zero"
        );
        assert_eq!(
            error("exec: { run: [x], timeout: 25h }"),
            "`25h` is more than a day (24h), the longest time-out"
        );
        assert_eq!(
            error("exec: { run: [x], expect: { exit: 256 } }"),
            "expected an exit code (0 to 255), got 256"
        );
        assert!(error("exec: { run: [x], shell: true }").contains("unknown field `shell`"));
    }

    #[test]
    fn ranges_include_their_bounds() {
        let status = |s: &str| match step(&format!("api: {{ path: /x, expect: {{ status: {s} }} }}")) {
            Ok(Step::Api(api)) => Ok(api.expect.status),
            Ok(other) => panic!("not an api step: {other:?}"),
            Err(e) => Err(e),
        };
        assert_eq!(status("100"), Ok(Some(100)));
        assert_eq!(status("599"), Ok(Some(599)));
        assert_eq!(status("99"), Err("expected an HTTP status (100 to 599), got 99".into()));
        assert_eq!(
            status("600"),
            Err("expected an HTTP status (100 to 599), got 600".into())
        );
    }
}
