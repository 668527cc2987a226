//! Running one scenario: start the mocks it needs on loopback, seed them, play the steps in
//! order (the shared clock moves one tick before each), check each step's expectations, and
//! read the resulting Auth0 users back through the Management API.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use mocks::auth0::seed::{Auth0Seed, ConnectionSeed, SettingsSeed};
use mocks::auth0::{Auth0, DEFAULT_APP, MANAGEMENT_APP};
use mocks::gigya::Gigya;
use mocks::okta::Okta;
use mocks::stormpath::Stormpath;
use mocks::{Clock, Kit, MockServer, Provider};
use serde_json::{Map, Value, json};

use super::error::ScenarioError;
use super::file::{Expect, GigyaVia, MockName, ResetVia, Step};
use super::load::{Scenario, load};
use super::matching::contains;
use super::report::{Report, StepReport};
use crate::engine;

/// How far the clock moves before each step.
pub const TICK: Duration = Duration::from_secs(1);

/// bcrypt cost the scenarios run with unless a scenario sets its own (Auth0 uses 10).
pub const SCENARIO_BCRYPT_COST: u32 = 4;

/// Seeds of the id generators, per mock, so every run hands out the same ids.
const OKTA_SEED: u64 = 1;
const AUTH0_SEED: u64 = 2;
const STORMPATH_SEED: u64 = 3;
const GIGYA_SEED: u64 = 4;

/// Loads and runs a scenario file.
///
/// ```no_run
/// # async fn demo() -> Result<(), ferry::scenario::ScenarioError> {
/// let report = ferry::scenario::run_file(std::path::Path::new("scenarios/okta/first_login.yaml")).await?;
/// assert!(report.passed(), "{}", report.render(true));
/// # Ok(()) }
/// ```
pub async fn run_file(path: &Path) -> Result<Report, ScenarioError> {
    let scenario = load(path)?;
    run(&scenario).await
}

struct Mocks {
    clock: Clock,
    okta: Option<(Okta, MockServer)>,
    stormpath: Option<(Stormpath, MockServer)>,
    gigya: Option<(Gigya, MockServer)>,
    auth0: Auth0,
    auth0_server: MockServer,
    http: reqwest::Client,
    vars: BTreeMap<String, String>,
    default_connection: Option<String>,
    /// The scenario file's directory (paths in steps are relative to it).
    base_dir: std::path::PathBuf,
    /// A connection created by a deploy step, when the scenario seeds none.
    deployed: std::sync::Mutex<Option<String>>,
    /// The access token of the last successful login (for `userinfo`).
    last_token: std::sync::Mutex<Option<String>>,
    /// The refresh token of the last login that got one (for `refresh`).
    last_refresh_token: std::sync::Mutex<Option<String>>,
}

/// Runs a loaded scenario.
pub async fn run(scenario: &Scenario) -> Result<Report, ScenarioError> {
    let started = Instant::now();
    let file = &scenario.file;
    let path = &scenario.path;
    let invalid = |line: Option<u64>, reason: String| ScenarioError::Invalid {
        file: path.clone(),
        line,
        reason,
    };
    let clock = Clock::manual(Clock::scenario_epoch());

    let mut vars = BTreeMap::new();
    let okta = start_provider(path, &clock, OKTA_SEED, file.okta.clone(), Okta::new, &mut vars).await?;
    let stormpath = start_provider(
        path,
        &clock,
        STORMPATH_SEED,
        file.stormpath.clone(),
        Stormpath::new,
        &mut vars,
    )
    .await?;
    let gigya = start_provider(path, &clock, GIGYA_SEED, file.gigya.clone(), Gigya::new, &mut vars).await?;
    let auth0 = Auth0::new(Kit::deterministic(clock.clone(), AUTH0_SEED));
    let auth0_server = mocks::start(auth0.clone(), mocks::LOOPBACK_EPHEMERAL)
        .await
        .map_err(|source| ScenarioError::Start {
            file: path.clone(),
            mock: "auth0",
            source,
        })?;
    vars.insert("auth0.url".into(), auth0_server.base_url().to_owned());
    vars.insert("unreachable.url".into(), unreachable_url().await);

    // The tenant: settings (cheap bcrypt unless the scenario says otherwise), clients, the
    // connection under test, other connections, users.
    let section = &file.auth0;
    let mut settings: SettingsSeed = section.settings.clone().unwrap_or_default();
    settings.bcrypt_cost.get_or_insert(SCENARIO_BCRYPT_COST);
    let mut connections = vec![];
    let mut default_connection = None;
    if let Some(spec) = &section.connection {
        let mut options = spec.options.clone();
        options.insert(
            "enabledDatabaseCustomization".into(),
            json!(!scenario.scripts.is_empty()),
        );
        options.insert("import_mode".into(), json!(spec.import_mode));
        let scripts: Map<String, Value> = scenario.scripts.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        options.insert("customScripts".into(), Value::Object(scripts));
        let configuration: Map<String, Value> = spec
            .configuration
            .iter()
            .map(|(k, v)| (k.clone(), json!(substitute(v, &vars))))
            .collect();
        options.insert("configuration".into(), Value::Object(configuration));
        connections.push(ConnectionSeed {
            name: spec.name.clone(),
            id: None,
            strategy: "auth0".into(),
            display_name: None,
            options,
            enabled_clients: spec.enabled_clients.clone(),
            realms: None,
            is_domain_connection: false,
            metadata: Map::new(),
        });
        default_connection = Some(spec.name.clone());
    }
    connections.extend(section.connections.iter().cloned());
    if default_connection.is_none() {
        default_connection = connections.first().map(|c| c.name.clone());
    }
    let seed = Auth0Seed {
        settings: Some(settings),
        clients: section.clients.clone(),
        connections,
        users: section.users.clone(),
    };
    auth0
        .seed(seed)
        .map_err(|e| invalid(None, format!("auth0 seed: {e}")))?;

    // The runner only talks to the mocks, over plain HTTP on loopback: no TLS roots to load.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .tls_certs_only(Vec::new())
        .build()
        .map_err(|e| invalid(None, format!("HTTP client: {e}")))?;
    let mocks = Mocks {
        clock,
        okta,
        stormpath,
        gigya,
        auth0,
        auth0_server,
        http,
        vars,
        default_connection,
        base_dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        deployed: std::sync::Mutex::new(None),
        last_token: std::sync::Mutex::new(None),
        last_refresh_token: std::sync::Mutex::new(None),
    };

    let mut steps = vec![];
    for (index, step) in file.steps.iter().enumerate() {
        mocks.clock.advance(TICK);
        let scripts_before = mocks.auth0.script_executions().last().map_or(0, |e| e.seq);
        let mut report = play(&mocks, &step.value).await;
        report.index = index + 1;
        report.line = step.referenced.line();
        report.scripts = mocks
            .auth0
            .script_executions()
            .into_iter()
            .filter(|e| e.seq > scripts_before)
            .collect();
        steps.push(report);
    }

    let users = all_users(&mocks).await.unwrap_or_else(|e| {
        steps.push(StepReport::failed("read the resulting users", vec![e]));
        vec![]
    });
    let mut calls = BTreeMap::new();
    for mock in [MockName::Okta, MockName::Stormpath, MockName::Gigya] {
        if let Some(kit) = mocks.kit(mock) {
            calls.insert(mock.as_str().to_owned(), journal_lines(kit));
        }
    }
    let scripts = mocks.auth0.script_executions();
    let Mocks {
        okta,
        stormpath,
        gigya,
        auth0_server,
        ..
    } = mocks;
    for server in [okta.map(|m| m.1), stormpath.map(|m| m.1), gigya.map(|m| m.1)]
        .into_iter()
        .flatten()
    {
        server.shutdown().await;
    }
    auth0_server.shutdown().await;
    Ok(Report {
        name: scenario.name.clone(),
        file: scenario.path.clone(),
        description: file.description.clone(),
        snapshot: file.snapshot,
        steps,
        users,
        calls,
        scripts,
        duration: started.elapsed(),
    })
}

/// Starts and seeds a provider mock when the scenario has a section for it, and records its
/// variables (`{{okta.url}}`, `{{okta.token}}`, ...).
async fn start_provider<P: Provider>(
    path: &Path,
    clock: &Clock,
    id_seed: u64,
    seed: Option<P::Seed>,
    new: fn(Kit) -> P,
    vars: &mut BTreeMap<String, String>,
) -> Result<Option<(P, MockServer)>, ScenarioError> {
    let Some(seed) = seed else { return Ok(None) };
    let provider = new(Kit::deterministic(clock.clone(), id_seed));
    provider.seed(seed).map_err(|e| ScenarioError::Invalid {
        file: path.to_path_buf(),
        line: None,
        reason: format!("{} seed: {e}", P::NAME),
    })?;
    let server = mocks::start(provider.clone(), mocks::LOOPBACK_EPHEMERAL)
        .await
        .map_err(|source| ScenarioError::Start {
            file: path.to_path_buf(),
            mock: P::NAME,
            source,
        })?;
    vars.insert(format!("{}.url", P::NAME), server.base_url().to_owned());
    for (name, value) in provider.variables() {
        vars.insert(format!("{}.{name}", P::NAME), value);
    }
    Ok(Some((provider, server)))
}

/// A loopback URL nothing listens on (a port bound, then released).
async fn unreachable_url() -> String {
    match tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .and_then(|l| l.local_addr())
    {
        Ok(addr) => format!("http://{addr}"),
        Err(_) => "http://127.0.0.1:9".into(),
    }
}

/// Replaces `{{name}}` variables.
fn substitute(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = text.to_owned();
    for (name, value) in vars {
        out = out
            .replace(&format!("{{{{{name}}}}}"), value)
            .replace(&format!("{{{{ {name} }}}}"), value);
    }
    out
}

fn journal_lines(kit: &Kit) -> Vec<String> {
    kit.journal
        .entries()
        .iter()
        .map(|e| {
            let status = if e.status == 0 {
                "no answer".to_owned()
            } else {
                e.status.to_string()
            };
            match &e.fault {
                Some(fault) => format!("{} {} → {status} (fault: {fault})", e.method, e.path),
                None => format!("{} {} → {status}", e.method, e.path),
            }
        })
        .collect()
}

/// An HTTP answer, reduced to what steps check.
struct Answer {
    status: u16,
    body: Value,
}

impl Answer {
    fn summary(&self) -> String {
        let text_of = |key: &str| {
            self.body
                .get(key)
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .filter(|t| !t.is_empty())
        };
        let mut text = self.status.to_string();
        if self.status < 400 {
            return text;
        }
        // OAuth (`error`, `error_description`), Management API (`error`, `message`) and
        // /dbconnections (`code`, `description`) errors.
        let code = text_of("error")
            .filter(|_| self.body.get("error_description").is_some() || self.body.get("message").is_none())
            .or_else(|| text_of("code"))
            .or_else(|| text_of("errorCode"));
        let detail = text_of("error_description")
            .or_else(|| text_of("message"))
            .or_else(|| text_of("description"));
        if let Some(code) = code {
            text.push(' ');
            text.push_str(&code);
        }
        if let Some(detail) = detail {
            text.push_str(if text.contains(' ') { ": " } else { " " });
            text.push_str(&detail);
        }
        text
    }
}

async fn send(request: reqwest::RequestBuilder) -> Result<Answer, String> {
    let response = request.send().await.map_err(|e| format!("request failed: {e}"))?;
    let status = response.status().as_u16();
    let text = response.text().await.map_err(|e| format!("reading the answer: {e}"))?;
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Ok(Answer { status, body })
}

fn check(expect: &Expect, answer: &Answer, vars: &BTreeMap<String, String>) -> Vec<String> {
    let mut failures = vec![];
    if let Some(status) = expect.status
        && status != answer.status
    {
        failures.push(format!("status: expected {status}, got {}", answer.summary()));
    }
    // OAuth errors say `error`/`error_description`; /dbconnections errors `code`/`description`.
    let field = |name: &str| {
        let alias = match name {
            "error" => "code",
            _ => "description",
        };
        answer
            .body
            .get(name)
            .or_else(|| answer.body.get(alias))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    if let Some(error) = &expect.error
        && field("error").as_deref() != Some(error.as_str())
    {
        failures.push(format!("error: expected {error:?}, got {}", answer.summary()));
    }
    if let Some(description) = &expect.error_description {
        let want = substitute(description, vars);
        if field("error_description").as_deref() != Some(want.as_str()) {
            failures.push(format!(
                "error_description: expected {want:?}, got {}",
                answer.summary()
            ));
        }
    }
    if let Some(body) = &expect.body
        && let Err(difference) = contains(&answer.body, body)
    {
        failures.push(format!("body: {difference}"));
    }
    failures
}

impl Mocks {
    /// The connection steps use by default: the scenario's, else the one a deploy step created.
    fn connection(&self) -> Option<String> {
        self.default_connection.clone().or_else(|| {
            self.deployed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone()
        })
    }

    /// The engine's view of the Auth0 tenant: the Management application's credentials.
    fn engine_auth0(&self) -> Result<engine::auth0::Auth0Config, String> {
        let (client_id, client_secret) = self.client(MANAGEMENT_APP)?;
        Ok(engine::auth0::Auth0Config {
            base_url: self.auth0_server.base_url().to_owned(),
            client_id,
            client_secret,
            audience: None,
        })
    }

    fn import_options(
        &self,
        connection: &str,
        upsert: bool,
        file_bytes: Option<usize>,
    ) -> engine::import::ImportOptions {
        engine::import::ImportOptions {
            connection: connection.to_owned(),
            upsert,
            max_file_bytes: file_bytes.unwrap_or(import_schema::MAX_FILE_BYTES),
            poll_interval: Duration::from_millis(10),
            ..engine::import::ImportOptions::default()
        }
    }

    fn auth0_url(&self, path: &str) -> String {
        format!("{}{path}", self.auth0_server.base_url())
    }

    fn client(&self, name: &str) -> Result<(String, String), String> {
        self.auth0
            .client_credentials(name)
            .ok_or_else(|| format!("no application named {name:?} in the tenant"))
    }

    async fn management_token(&self) -> Result<String, String> {
        let (id, secret) = self.client(MANAGEMENT_APP)?;
        let answer = send(self.http.post(self.auth0_url("/oauth/token")).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
            ("audience", &format!("{}/api/v2/", self.auth0_server.base_url())),
        ]))
        .await?;
        answer
            .body
            .get("access_token")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("no Management API token: {}", answer.summary()))
    }

    /// Keeps a token answer's access token for later `userinfo` steps and names its user in the
    /// step's outcome. Access tokens without an audience are opaque, as on Auth0, so the mock
    /// names the user it issued the token for.
    fn remember_access_token(&self, answer: &Answer, outcome: &mut String) {
        let Some(token) = answer.body.get("access_token").and_then(Value::as_str) else {
            return;
        };
        *self
            .last_token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(token.to_owned());
        if let Some(sub) = self.auth0.token_subject(token) {
            outcome.push_str(&format!(" as {sub}"));
        }
    }

    /// The link of the newest email of `kind` the tenant sent to `email` (lower case).
    fn newest_link(&self, email: &str, kind: &str) -> Option<String> {
        self.auth0
            .outbox()
            .into_iter()
            .rev()
            .find(|m| m.to == email && m.kind == kind)
            .map(|m| m.link)
    }

    async fn api(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Answer, String> {
        let token = self.management_token().await?;
        let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|_| format!("bad method {method}"))?;
        let mut request = self.http.request(method, self.auth0_url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        send(request).await
    }

    fn kit(&self, mock: MockName) -> Option<&Kit> {
        match mock {
            MockName::Okta => self.okta.as_ref().map(|(o, _)| o.kit()),
            MockName::Stormpath => self.stormpath.as_ref().map(|(s, _)| s.kit()),
            MockName::Gigya => self.gigya.as_ref().map(|(g, _)| g.kit()),
            MockName::Auth0 => Some(self.auth0.kit()),
        }
    }
}

/// A fresh directory for a run's report, under the system's temporary directory.
fn scratch_dir(kind: &str) -> std::path::PathBuf {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("ferry-scenario-{kind}-{}-{n}", std::process::id()))
}

/// Retries quick enough for loopback mocks.
fn fast_retry() -> engine::RetryPolicy {
    engine::RetryPolicy {
        attempts: 4,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_secs(2),
    }
}

/// The step report of an engine run: totals checked, the report kept for the snapshot.
fn run_step(
    summary: &str,
    result: Result<engine::report::Summary, engine::EngineError>,
    report_dir: &Path,
    expect: &super::file::ExpectTotals,
) -> StepReport {
    let lines: Vec<Value> = std::fs::read_to_string(report_dir.join("users.ndjson"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let _ = std::fs::remove_dir_all(report_dir);
    let summary_report = match result {
        Err(error) => {
            let text = error.to_string();
            let failures = match &expect.error {
                Some(want) if text.contains(want.as_str()) => vec![],
                Some(want) => vec![format!("expected an error containing {want:?}, got: {text}")],
                None => vec![format!("the run failed: {text}")],
            };
            let mut report = StepReport::new(summary, format!("error: {text}"), failures);
            report.run = Some(json!({ "error": text, "users": sorted(lines) }));
            return report;
        }
        Ok(report) => report,
    };
    let totals = &summary_report.totals;
    let mut failures = vec![];
    if let Some(want) = &expect.error {
        failures.push(format!("expected an error containing {want:?}, but the run completed"));
    }
    let checks = [
        ("exported", expect.exported, totals.exported),
        ("inserted", expect.inserted, totals.inserted),
        ("updated", expect.updated, totals.updated),
        (
            "inserted_or_updated",
            expect.inserted_or_updated,
            totals.inserted_or_updated,
        ),
        ("failed", expect.failed, totals.failed),
        ("skipped", expect.skipped, totals.skipped),
        ("needs_reset", expect.needs_reset, totals.needs_reset),
    ];
    for (name, want, got) in checks {
        if let Some(want) = want
            && want != got
        {
            failures.push(format!("{name}: expected {want}, got {got}"));
        }
    }
    if let Some(want) = expect.jobs
        && want != summary_report.jobs.len()
    {
        failures.push(format!("jobs: expected {want}, got {}", summary_report.jobs.len()));
    }
    if !totals.balanced() {
        failures.push(format!(
            "the report does not account for every exported user: {totals:?}"
        ));
    }
    if lines.len() as u64 != totals.exported {
        failures.push(format!(
            "users.ndjson has {} lines for {} exported users",
            lines.len(),
            totals.exported
        ));
    }
    let outcome = format!(
        "exported {}, inserted {}, updated {}, failed {}, skipped {}, needs reset {}, {} jobs",
        totals.exported,
        totals.inserted + totals.inserted_or_updated,
        totals.updated,
        totals.failed,
        totals.skipped,
        totals.needs_reset,
        summary_report.jobs.len()
    );
    let mut jobs: Vec<Value> = summary_report
        .jobs
        .iter()
        .filter_map(|j| serde_json::to_value(j).ok())
        .collect();
    jobs.sort_by_key(|j| j.get("id").and_then(Value::as_str).map(str::to_owned));
    let mut report = StepReport::new(summary, outcome, failures);
    report.run = Some(json!({
        "totals": summary_report.totals,
        "failure_reasons": summary_report.failure_reasons,
        "jobs": jobs,
        "users": sorted(lines),
    }));
    report
}

fn sorted(mut lines: Vec<Value>) -> Vec<Value> {
    lines.sort_by_key(|l| l.get("source_id").and_then(Value::as_str).map(str::to_owned));
    lines
}

fn seed_more<P: Provider>(
    running: &Option<(P, MockServer)>,
    seed: &P::Seed,
    summary: &str,
) -> Result<StepReport, String>
where
    P::Seed: Clone,
{
    let (provider, _) = running
        .as_ref()
        .ok_or_else(|| format!("the scenario does not run the {0} mock (add a {0}: section)", P::NAME))?;
    provider
        .seed(seed.clone())
        .map_err(|e| format!("{} seed: {e}", P::NAME))?;
    Ok(StepReport::new(summary, "seeded".into(), vec![]))
}

async fn all_users(mocks: &Mocks) -> Result<Vec<Value>, String> {
    let mut users = vec![];
    for page in 0.. {
        let answer = mocks
            .api(
                "GET",
                &format!("/api/v2/users?per_page=100&page={page}&include_totals=true"),
                None,
            )
            .await?;
        if answer.status != 200 {
            return Err(format!("GET /api/v2/users: {}", answer.summary()));
        }
        let batch = answer
            .body
            .get("users")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let total = answer.body.get("total").and_then(Value::as_u64).unwrap_or(0) as usize;
        users.extend(batch);
        // Auth0 pages through the first 1,000 results only.
        if users.len() >= total || page >= 9 {
            break;
        }
    }
    Ok(users)
}

async fn play(mocks: &Mocks, step: &Step) -> StepReport {
    match play_inner(mocks, step).await {
        Ok(report) => report,
        Err(reason) => StepReport::failed(&describe(step), vec![reason]),
    }
}

fn describe(step: &Step) -> String {
    match step {
        Step::Login(s) => format!("login {}", s.username),
        Step::Signup(s) => format!("signup {}", s.email),
        Step::Userinfo(_) => "userinfo".into(),
        Step::Refresh(s) => match &s.scope {
            Some(scope) => format!("refresh scope {scope:?}"),
            None => "refresh".into(),
        },
        Step::ChangePassword(s) => format!("change_password {}", s.email),
        Step::ResetPassword(s) => match s.via {
            ResetVia::Email => format!("reset_password {}", s.email),
            ResetVia::Ticket => format!("reset_password {} via ticket", s.email),
        },
        Step::VerifyEmail(s) => format!("verify_email {}", s.email),
        Step::Api(s) => format!("api {} {}", s.method.to_ascii_uppercase(), s.path),
        Step::Calls(s) => format!(
            "calls {} {} {}",
            s.mock.as_str(),
            s.method.as_deref().unwrap_or("*"),
            s.path
        ),
        Step::User(s) => format!("user {}", s.email.as_deref().or(s.user_id.as_deref()).unwrap_or("?")),
        Step::Script(s) => format!("script {}", s.script),
        Step::Emails(s) => format!("emails to {}", s.to),
        Step::Logs(s) => {
            let mut parts = vec!["logs".to_owned()];
            parts.extend(s.kind.as_ref().map(|k| format!("type {k}")));
            parts.extend(s.user.as_ref().map(|u| format!("user {u}")));
            parts.extend(s.description.as_ref().map(|d| format!("description {d:?}")));
            parts.extend(s.q.as_ref().map(|q| format!("q {q:?}")));
            parts.join(" ")
        }
        Step::Advance(by) => format!("advance {by}"),
        Step::Fault(s) => format!("fault {} {} {}", s.mock.as_str(), s.path, s.fault.describe()),
        Step::ClearFaults(mock) => format!("clear_faults {}", mock.as_str()),
        Step::Deploy(s) => format!("deploy {}", s.name.as_deref().unwrap_or("connection")),
        Step::Import(s) => format!("import {}", s.file.display()),
        Step::MigrateStormpath(_) => "migrate_stormpath from the console export".into(),
        Step::MigrateGigya(s) => format!(
            "migrate_gigya via {}",
            match s.via {
                GigyaVia::IdentitySync => "identity_sync",
                GigyaVia::Search => "search",
            }
        ),
        Step::SeedOkta(_) => "seed_okta".into(),
        Step::SeedStormpath(_) => "seed_stormpath".into(),
        Step::SeedGigya(_) => "seed_gigya".into(),
    }
}

async fn play_inner(mocks: &Mocks, step: &Step) -> Result<StepReport, String> {
    let summary = describe(step);
    match step {
        Step::Login(login) => {
            let client_name = login.client.as_deref().unwrap_or(DEFAULT_APP);
            let (client_id, client_secret) = mocks.client(client_name)?;
            let grant = match login.grant.as_deref().unwrap_or("password-realm") {
                "password-realm" => mocks::auth0::model::GRANT_PASSWORD_REALM,
                "password" => "password",
                other => {
                    return Err(format!("unknown grant {other:?} (use password-realm or password)"));
                }
            };
            let mut form = vec![
                ("grant_type", grant.to_owned()),
                ("client_id", client_id),
                ("client_secret", client_secret),
                ("username", login.username.clone()),
                ("password", login.password.clone()),
            ];
            if grant != "password" {
                let realm = login
                    .realm
                    .clone()
                    .or_else(|| mocks.connection())
                    .ok_or("no realm: the scenario has no connection")?;
                form.push(("realm", realm));
            }
            if let Some(scope) = &login.scope {
                form.push(("scope", scope.clone()));
            }
            let times = login.repeat.unwrap_or(1).max(1);
            let mut answer = None;
            for attempt in 0..times {
                // Repetitions are a tick apart, like separate steps.
                if attempt > 0 {
                    mocks.clock.advance(TICK);
                }
                answer = Some(send(mocks.http.post(mocks.auth0_url("/oauth/token")).form(&form)).await?);
            }
            let answer = answer.ok_or("no answer")?;
            let mut outcome = answer.summary();
            mocks.remember_access_token(&answer, &mut outcome);
            if let Some(refresh) = answer.body.get("refresh_token").and_then(Value::as_str) {
                *mocks
                    .last_refresh_token
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(refresh.to_owned());
                outcome.push_str(" with a refresh token");
            }
            let failures = check(&login.expect, &answer, &mocks.vars);
            let summary = if times > 1 {
                format!("{summary} ×{times}")
            } else {
                summary
            };
            Ok(StepReport::new(&summary, outcome, failures))
        }
        Step::Signup(signup) => {
            let connection = signup
                .connection
                .clone()
                .or_else(|| mocks.connection())
                .ok_or("no connection")?;
            let (client_id, _) = mocks.client(DEFAULT_APP)?;
            let mut body = json!({ "client_id": client_id, "email": signup.email, "password": signup.password, "connection": connection });
            if let Some(username) = &signup.username {
                body["username"] = json!(username);
            }
            for (key, value) in &signup.fields {
                body[key] = value.clone();
            }
            let answer = send(mocks.http.post(mocks.auth0_url("/dbconnections/signup")).json(&body)).await?;
            let outcome = match answer.body.get("code").and_then(Value::as_str) {
                Some(code) => format!(
                    "{} {code}: {}",
                    answer.status,
                    answer
                        .body
                        .get("description")
                        .map(|d| d.as_str().map_or_else(|| d.to_string(), str::to_owned))
                        .unwrap_or_default()
                ),
                None => answer.summary(),
            };
            let failures = check(&signup.expect, &answer, &mocks.vars);
            Ok(StepReport::new(&summary, outcome, failures))
        }
        Step::Refresh(step) => {
            let refresh_token = mocks
                .last_refresh_token
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone()
                .ok_or("no login has got a refresh token yet (ask for offline_access)")?;
            let (client_id, client_secret) = mocks.client(step.client.as_deref().unwrap_or(DEFAULT_APP))?;
            let mut form = vec![
                ("grant_type", "refresh_token".to_owned()),
                ("client_id", client_id),
                ("client_secret", client_secret),
                ("refresh_token", refresh_token),
            ];
            if let Some(scope) = &step.scope {
                form.push(("scope", scope.clone()));
            }
            let answer = send(mocks.http.post(mocks.auth0_url("/oauth/token")).form(&form)).await?;
            let mut outcome = answer.summary();
            mocks.remember_access_token(&answer, &mut outcome);
            let failures = check(&step.expect, &answer, &mocks.vars);
            Ok(StepReport::new(&summary, outcome, failures))
        }
        Step::Userinfo(step) => {
            let token = mocks
                .last_token
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone()
                .ok_or("no login has succeeded yet: userinfo needs its access token")?;
            let answer = send(mocks.http.get(mocks.auth0_url("/userinfo")).bearer_auth(token)).await?;
            let outcome = match (answer.status, answer.body.get("sub")) {
                (200, Some(sub)) => format!("200 {}", sub.as_str().unwrap_or_default()),
                _ => answer.summary(),
            };
            let failures = check(&step.expect, &answer, &mocks.vars);
            Ok(StepReport::new(&summary, outcome, failures))
        }
        Step::ChangePassword(change) => {
            let connection = change
                .connection
                .clone()
                .or_else(|| mocks.connection())
                .ok_or("no connection")?;
            let (client_id, _) = mocks.client(DEFAULT_APP)?;
            let answer = send(
                mocks
                    .http
                    .post(mocks.auth0_url("/dbconnections/change_password"))
                    .json(&json!({
                        "client_id": client_id,
                        "email": change.email,
                        "connection": connection,
                    })),
            )
            .await?;
            let outcome = match &answer.body {
                Value::String(s) => format!("{} {s}", answer.status),
                _ => answer.summary(),
            };
            let failures = check(&change.expect, &answer, &mocks.vars);
            Ok(StepReport::new(&summary, outcome, failures))
        }
        Step::ResetPassword(reset) => {
            let email = reset.email.to_lowercase();
            let link = match reset.via {
                ResetVia::Email => mocks.newest_link(&email, "reset_email"),
                ResetVia::Ticket => {
                    let connection = reset
                        .connection
                        .clone()
                        .or_else(|| mocks.connection())
                        .ok_or("no connection: the scenario has none and the step names none")?;
                    let connection_id = mocks
                        .auth0
                        .connection_id(&connection)
                        .ok_or_else(|| format!("no connection {connection:?} in the tenant"))?;
                    let body = serde_json::json!({
                        "email": email,
                        "connection_id": connection_id,
                        "mark_email_as_verified": reset.mark_email_as_verified,
                    });
                    let answer = mocks
                        .api("POST", "/api/v2/tickets/password-change", Some(&body))
                        .await?;
                    if answer.status != 201 {
                        let failures = check(&reset.expect, &answer, &mocks.vars);
                        let failures = if failures.is_empty() && reset.expect.status.is_none() {
                            vec![format!("no ticket: {}", answer.summary())]
                        } else {
                            failures
                        };
                        return Ok(StepReport::new(&summary, answer.summary(), failures));
                    }
                    answer.body.get("ticket").and_then(Value::as_str).map(str::to_owned)
                }
            };
            let Some(link) = link else {
                return Ok(StepReport::new(
                    &summary,
                    "no reset link".into(),
                    vec![format!("no reset link for {email}")],
                ));
            };
            let ticket = url::Url::parse(&link)
                .ok()
                .and_then(|u| {
                    u.query_pairs()
                        .find(|(k, _)| k == "ticket")
                        .map(|(_, v)| v.into_owned())
                })
                .ok_or_else(|| format!("the reset link {link} has no ticket"))?;
            let answer = send(mocks.http.post(mocks.auth0_url("/lo/reset")).form(&[
                ("ticket", ticket.as_str()),
                ("newPassword", reset.new_password.as_str()),
                ("confirmNewPassword", reset.new_password.as_str()),
            ]))
            .await?;
            let outcome = match answer.body.get("message").and_then(Value::as_str) {
                Some(message) => format!("{} {message}", answer.status),
                None => answer.summary(),
            };
            let failures = check(&reset.expect, &answer, &mocks.vars);
            Ok(StepReport::new(&summary, outcome, failures))
        }
        Step::VerifyEmail(verify) => {
            let email = verify.email.to_lowercase();
            let Some(link) = mocks.newest_link(&email, "verification_email") else {
                return Ok(StepReport::new(
                    &summary,
                    "no verification email".into(),
                    vec![format!("no verification email was sent to {email}")],
                ));
            };
            let link = link.trim_end_matches('#').to_owned();
            let response = mocks
                .http
                .get(&link)
                .send()
                .await
                .map_err(|e| format!("GET {link}: {e}"))?;
            let status = response.status().as_u16();
            let page = response.text().await.unwrap_or_default();
            // The page's message, for the report (an HTML page, not JSON).
            let message = page
                .split("<p id=\"message\">")
                .nth(1)
                .and_then(|rest| rest.split("</p>").next())
                .unwrap_or("")
                .to_owned();
            let answer = Answer {
                status,
                body: serde_json::json!({ "message": message }),
            };
            let failures = check(&verify.expect, &answer, &mocks.vars);
            Ok(StepReport::new(&summary, format!("{status} {message}"), failures))
        }
        Step::Api(api) => {
            let path = substitute(&api.path, &mocks.vars);
            let answer = mocks.api(&api.method, &path, api.body.as_ref()).await?;
            let failures = check(&api.expect, &answer, &mocks.vars);
            Ok(StepReport::new(&summary, answer.summary(), failures))
        }
        Step::Calls(calls) => {
            let Some(kit) = mocks.kit(calls.mock) else {
                return Err(format!("the scenario does not run the {} mock", calls.mock.as_str()));
            };
            let seen = kit.journal.find(calls.method.as_deref(), Some(&calls.path)).len();
            let mut failures = vec![];
            if let Some(count) = calls.count
                && seen != count
            {
                failures.push(format!("expected {count} matching requests, got {seen}"));
            }
            if let Some(at_least) = calls.at_least
                && seen < at_least
            {
                failures.push(format!("expected at least {at_least} matching requests, got {seen}"));
            }
            if calls.count.is_none() && calls.at_least.is_none() {
                failures.push("a calls step needs count or at_least".into());
            }
            Ok(StepReport::new(&summary, format!("{seen} requests"), failures))
        }
        Step::User(user) => {
            let answer = match (&user.email, &user.user_id) {
                (Some(email), None) => {
                    let query: String = url::form_urlencoded::Serializer::new(String::new())
                        .append_pair("email", email)
                        .finish();
                    mocks
                        .api("GET", &format!("/api/v2/users-by-email?{query}"), None)
                        .await?
                }
                (None, Some(id)) => {
                    let encoded = url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>();
                    mocks.api("GET", &format!("/api/v2/users/{encoded}"), None).await?
                }
                _ => return Err("a user step needs exactly one of email and user_id".into()),
            };
            let found = match &answer.body {
                Value::Array(items) => items.first().cloned(),
                body if answer.status == 200 => Some(body.clone()),
                _ => None,
            };
            let want_exists = user.exists.unwrap_or(true);
            let mut failures = vec![];
            match (&found, want_exists) {
                (Some(_), false) => failures.push("expected no such user, but it exists".into()),
                (None, true) => failures.push(format!("expected the user to exist: {}", answer.summary())),
                _ => {}
            }
            if let (Some(found), Some(has)) = (&found, &user.has)
                && let Err(difference) = contains(found, has)
            {
                failures.push(format!("user: {difference}"));
            }
            let outcome = if found.is_some() { "exists" } else { "absent" };
            Ok(StepReport::new(&summary, outcome.into(), failures))
        }
        Step::Script(expect) => {
            let runs: Vec<_> = mocks
                .auth0
                .script_executions()
                .into_iter()
                .filter(|e| serde_json::to_value(e.script).ok() == Some(json!(expect.script)))
                .collect();
            let mut failures = vec![];
            if let Some(want) = expect.runs
                && runs.len() != want
            {
                failures.push(format!("expected {want} runs of {}, got {}", expect.script, runs.len()));
            }
            let last = runs.last();
            let outcome = last.map_or_else(|| "never ran".to_owned(), |e| e.outcome.clone());
            if expect.outcome.is_some() || expect.message.is_some() || expect.line.is_some() {
                match last {
                    None => failures.push(format!("{} never ran", expect.script)),
                    Some(run) => {
                        if let Some(want) = &expect.outcome
                            && &run.outcome != want
                        {
                            failures.push(format!(
                                "outcome: expected {want}, got {} ({})",
                                run.outcome, run.detail
                            ));
                        }
                        let message = run.detail.get("message").and_then(Value::as_str).unwrap_or_default();
                        if let Some(want) = &expect.message
                            && !message.contains(want.as_str())
                        {
                            failures.push(format!("message: expected it to contain {want:?}, got {message:?}"));
                        }
                        let line = run.detail.get("line").and_then(Value::as_u64);
                        if let Some(want) = expect.line
                            && line != Some(u64::from(want))
                        {
                            failures.push(format!(
                                "line: expected {want}, got {}",
                                line.map_or("none".into(), |l| l.to_string())
                            ));
                        }
                    }
                }
            }
            Ok(StepReport::new(&summary, outcome, failures))
        }
        Step::Logs(logs) => {
            // The server filters on what Lucene expresses exactly; user and description here.
            let mut clauses = vec![];
            if let Some(kind) = &logs.kind {
                clauses.push(format!("type:\"{}\"", kind.replace('"', "")));
            }
            if let Some(q) = &logs.q {
                clauses.push(format!("({q})"));
            }
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            query.append_pair("per_page", "100");
            if !clauses.is_empty() {
                query.append_pair("q", &clauses.join(" AND "));
            }
            let query = query.finish();
            let mut events = vec![];
            for page in 0..100 {
                let path = format!("/api/v2/logs?{query}&page={page}");
                let answer = mocks.api("GET", &path, None).await?;
                if answer.status != 200 {
                    return Err(format!(
                        "GET /api/v2/logs answered {}: {}",
                        answer.status,
                        answer.summary()
                    ));
                }
                let batch = answer.body.as_array().cloned().unwrap_or_default();
                let last = batch.len() < 100;
                events.extend(batch);
                if last {
                    break;
                }
            }
            let text = |event: &Value, key: &str| event.get(key).and_then(Value::as_str).map(str::to_owned);
            let matched = events
                .iter()
                .filter(|event| {
                    logs.user.as_ref().is_none_or(|user| {
                        let user = user.to_lowercase();
                        text(event, "user_name").is_some_and(|n| n.to_lowercase() == user)
                            || text(event, "user_id").is_some_and(|id| id == user)
                    })
                })
                .filter(|event| {
                    logs.description
                        .as_ref()
                        .is_none_or(|d| text(event, "description").is_some_and(|t| t.contains(d.as_str())))
                })
                .count();
            let failures = if matched == logs.count {
                vec![]
            } else {
                let seen: Vec<String> = events
                    .iter()
                    .take(10)
                    .map(|e| {
                        format!(
                            "{} {} {}",
                            text(e, "type").unwrap_or_default(),
                            text(e, "user_name").unwrap_or_default(),
                            text(e, "description").unwrap_or_default()
                        )
                    })
                    .collect();
                vec![format!(
                    "expected {} matching log events, got {matched} (newest of those read: {})",
                    logs.count,
                    if seen.is_empty() {
                        "none".to_owned()
                    } else {
                        seen.join("; ")
                    }
                )]
            };
            Ok(StepReport::new(&summary, format!("{matched} events"), failures))
        }
        Step::Emails(emails) => {
            let to = emails.to.to_lowercase();
            let sent = mocks.auth0.outbox().iter().filter(|m| m.to == to).count();
            let failures = if sent == emails.count {
                vec![]
            } else {
                vec![format!("expected {} emails to {to}, got {sent}", emails.count)]
            };
            Ok(StepReport::new(&summary, format!("{sent} sent"), failures))
        }
        Step::Advance(by) => {
            let duration = mocks::kit::clock::parse_duration(by)?;
            mocks.clock.advance(duration);
            Ok(StepReport::new(&summary, "ok".into(), vec![]))
        }
        Step::Fault(fault) => {
            let kit = mocks
                .kit(fault.mock)
                .ok_or_else(|| format!("the scenario does not run the {} mock", fault.mock.as_str()))?;
            kit.faults.add(fault.rule());
            Ok(StepReport::new(&summary, "installed".into(), vec![]))
        }
        Step::ClearFaults(mock) => {
            let kit = mocks
                .kit(*mock)
                .ok_or_else(|| format!("the scenario does not run the {} mock", mock.as_str()))?;
            kit.faults.clear();
            Ok(StepReport::new(&summary, "cleared".into(), vec![]))
        }
        Step::Deploy(step) => {
            let keywords = step
                .keywords
                .iter()
                .map(|(k, v)| (k.clone(), substitute(v, &mocks.vars)))
                .collect();
            let spec =
                engine::deploy::read_deploy_cli(&mocks.base_dir.join(&step.from), step.name.as_deref(), &keywords)
                    .map_err(|e| e.to_string())?;
            let client = engine::auth0::ManagementClient::new(
                mocks.engine_auth0()?,
                engine::http_client(Duration::from_secs(30)).map_err(|e| e.to_string())?,
                fast_retry(),
            );
            let outcome = engine::deploy::deploy(&client, &spec)
                .await
                .map_err(|e| e.to_string())?;
            let mut failures = vec![];
            if let Some(want) = &step.expect
                && want != &outcome.action
            {
                failures.push(format!(
                    "expected the deploy to be {want}, it was {} ({})",
                    outcome.action,
                    outcome.changes.join(", ")
                ));
            }
            let text = if outcome.changes.is_empty() {
                outcome.action.clone()
            } else {
                format!("{}: {}", outcome.action, outcome.changes.join(", "))
            };
            if mocks.default_connection.is_none() {
                // Later steps log in to the deployed connection.
                *mocks.deployed.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(spec.name.clone());
            }
            Ok(StepReport::new(&summary, text, failures))
        }
        Step::Import(step) => {
            let connection = step
                .connection
                .clone()
                .or_else(|| mocks.connection())
                .ok_or("no connection")?;
            let options = mocks.import_options(&connection, step.upsert, step.file_bytes);
            let file = mocks.base_dir.join(&step.file);
            let report_dir = scratch_dir("import");
            let result = engine::import(
                &mocks.engine_auth0()?,
                &engine::ImportSource::Auth0File(file),
                options,
                &engine::RunOptions {
                    report_dir: Some(report_dir.clone()),
                    resume: false,
                    retry: fast_retry(),
                },
                &engine::progress::Silent,
            )
            .await;
            Ok(run_step(&summary, result, &report_dir, &step.expect))
        }
        Step::MigrateGigya(step) => {
            let connection = step
                .connection
                .clone()
                .or_else(|| mocks.connection())
                .ok_or("no connection")?;
            let var = |name: &str| {
                mocks
                    .vars
                    .get(&format!("gigya.{name}"))
                    .cloned()
                    .ok_or_else(|| format!("the scenario does not run the gigya mock (no {{{{gigya.{name}}}}})"))
            };
            let gigya = engine::gigya::GigyaConfig {
                base_url: Some(var("url")?),
                data_center: var("data_center").unwrap_or_else(|_| "us1.gigya.com".into()),
                api_key: var("api_key")?,
                user_key: var("user_key").ok(),
                secret: step.secret.clone().map_or_else(|| var("secret"), Ok)?,
            };
            let query = match &step.query {
                Some(text) => engine::ExportQuery::parse(text).map_err(|e| e.to_string())?,
                None => engine::ExportQuery::all(),
            };
            // IdentitySync's SFTP writer uploads to a directory of this step, the mock's stand-in
            // for the SFTP server (its settings map the host there); the engine reads it as the
            // mounted SFTP folder. Removed after the step.
            let landing_dir = scratch_dir("gigya-landing");
            let source = match step.via {
                GigyaVia::Search => engine::ExportSource::Search { query },
                GigyaVia::IdentitySync => {
                    const SFTP_HOST: &str = "sftp.gigya-export.invalid";
                    std::fs::create_dir_all(&landing_dir).map_err(|e| e.to_string())?;
                    let (gigya_mock, _) = mocks.gigya.as_ref().ok_or("the scenario does not run the gigya mock")?;
                    let sftp = mocks::gigya::SettingsSeed {
                        sftp_servers: Some([(SFTP_HOST.to_owned(), landing_dir.clone())].into()),
                        ..mocks::gigya::SettingsSeed::default()
                    };
                    gigya_mock
                        .seed(mocks::gigya::GigyaSeed {
                            settings: Some(sftp),
                            accounts: vec![],
                        })
                        .map_err(|e| format!("gigya seed: {e}"))?;
                    engine::ExportSource::IdentitySync(engine::IdentitySyncExport {
                        query,
                        sftp: engine::SftpWriter {
                            host: SFTP_HOST.into(),
                            port: 22,
                            username: "ferry".into(),
                            password: "ferry-mock-sftp".into(),
                            remote_path: "/".into(),
                        },
                        landing_dir: landing_dir.clone(),
                    })
                }
            };
            let report_dir = scratch_dir("gigya");
            let mut migration = engine::GigyaMigration::new(gigya, mocks.engine_auth0()?, source, &connection);
            migration.import = mocks.import_options(&connection, step.upsert, step.file_bytes);
            migration.report_dir = Some(report_dir.clone());
            migration.retry = fast_retry();
            migration.request_timeout = Duration::from_secs(30);
            migration.export_timeout = Duration::from_secs(60);
            let result = engine::migrate_gigya(&migration, &engine::progress::Silent).await;
            let _ = std::fs::remove_dir_all(&landing_dir);
            Ok(run_step(&summary, result, &report_dir, &step.expect))
        }
        Step::MigrateStormpath(step) => {
            let connection = step
                .connection
                .clone()
                .or_else(|| mocks.connection())
                .ok_or("no connection")?;
            let (stormpath, _) = mocks
                .stormpath
                .as_ref()
                .ok_or("the scenario does not run the stormpath mock (add a stormpath: section)")?;
            // The export as Stormpath's console delivered it: files on disk.
            let export_dir = scratch_dir("stormpath-export");
            for file in stormpath.export_files() {
                let path = export_dir.join(&file.path);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
                }
                std::fs::write(&path, &file.bytes).map_err(|e| e.to_string())?;
            }
            let options = mocks.import_options(&connection, step.upsert, step.file_bytes);
            let report_dir = scratch_dir("stormpath");
            let result = engine::import(
                &mocks.engine_auth0()?,
                &engine::ImportSource::StormpathExport(export_dir.clone()),
                options,
                &engine::RunOptions {
                    report_dir: Some(report_dir.clone()),
                    resume: false,
                    retry: fast_retry(),
                },
                &engine::progress::Silent,
            )
            .await;
            let _ = std::fs::remove_dir_all(&export_dir);
            Ok(run_step(&summary, result, &report_dir, &step.expect))
        }
        Step::SeedOkta(seed) => seed_more(&mocks.okta, seed, &summary),
        Step::SeedStormpath(seed) => seed_more(&mocks.stormpath, seed, &summary),
        Step::SeedGigya(seed) => seed_more(&mocks.gigya, seed, &summary),
    }
}
