//! The [`World`] a scenario's steps play in: the running mocks, the HTTP client, the variables
//! (`{{okta.url}}`, ...), the connection steps use by default, and the tokens earlier steps
//! obtained. The runner owns it and lends it to one step at a time (`&mut World`), so steps
//! share state without locks.
//!
//! Also here: what more than one family of steps needs to talk to the mock Auth0 — its URL, an
//! application's credentials, a Management API call, the [`Answer`] a request step checks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use mocks::auth0::seed::{Auth0Seed, ConnectionSeed, SettingsSeed};
use mocks::auth0::{Auth0, DEFAULT_APP, MANAGEMENT_APP};
use mocks::gigya::Gigya;
use mocks::kit::hosts::{MOCK_NAMES, certificate_names, provider_routes};
use mocks::kit::tls::{Authority, ServerConfig};
use mocks::okta::Okta;
use mocks::stormpath::Stormpath;
use mocks::{Clock, Kit, MockServer, Provider};
use sandbox::Routes;
use serde_json::{Map, Value, json};

use super::error::ScenarioError;
use super::file::MockName;
use super::load::Scenario;

/// bcrypt cost the scenarios run with unless a scenario sets its own (Auth0 uses 10).
pub const SCENARIO_BCRYPT_COST: u32 = 4;

/// Seeds of the id generators, per mock, so every run hands out the same ids.
const OKTA_SEED: u64 = 1;
const AUTH0_SEED: u64 = 2;
const STORMPATH_SEED: u64 = 3;
const GIGYA_SEED: u64 = 4;

/// A provider mock the scenario runs, with its server.
pub(super) type Running<P> = Option<(P, MockServer)>;

/// Everything a step may read or change.
pub(super) struct World {
    /// The clock every mock shares.
    pub(super) clock: Clock,
    pub(super) okta: Running<Okta>,
    pub(super) stormpath: Running<Stormpath>,
    pub(super) gigya: Running<Gigya>,
    pub(super) auth0: Auth0,
    auth0_server: MockServer,
    /// Plain HTTP to the mocks on loopback.
    pub(super) http: reqwest::Client,
    pub(super) vars: Variables,
    /// The scenario file's directory (paths in steps are relative to it).
    pub(super) base_dir: PathBuf,
    /// The connection under test the scenario seeds (or its first connection).
    scenario_connection: Option<String>,
    /// A connection created by a deploy step, when the scenario seeds none.
    pub(super) deployed_connection: Option<String>,
    /// The access token of the last successful login or refresh (for `userinfo`).
    pub(super) access_token: Option<String>,
    /// The refresh token of the last login that got one (for `refresh`).
    pub(super) refresh_token: Option<String>,
    /// The CA certificate (PEM) clients must trust when the mocks serve HTTPS (`tls: true`);
    /// `None` while they serve plain HTTP. Exported to programs as `FERRY_CA_FILE`.
    pub ca_file: Option<PathBuf>,
    /// The run's CA with `tls: true` (its file goes with it).
    _tls: Option<Tls>,
    /// Stretches of the mock clock that followed real time (while an `exec` step's program
    /// ran): times inside them differ from run to run, so the snapshot names them instead.
    pub(super) real_time: Vec<RealTime>,
    /// Set by a step that found the scenario cannot run here (an `exec` program that is not
    /// installed): the runner stops and reports the scenario as one that could not run.
    pub(super) could_not_run: Option<String>,
}

/// A stretch of the mock clock that followed real time: `(from, to]`, and what ran.
#[derive(Clone, Debug)]
pub(super) struct RealTime {
    pub(super) from: DateTime<Utc>,
    pub(super) to: DateTime<Utc>,
    /// `exec 1: node importer.mjs`.
    pub(super) label: String,
}

/// The `{{name}}` variables of a scenario: each mock's URL and credentials,
/// `{{auth0.connection_id}}` and `{{unreachable.url}}`.
#[derive(Debug, Default)]
pub(crate) struct Variables(BTreeMap<String, String>);

impl Variables {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn insert(&mut self, name: String, value: String) {
        self.0.insert(name, value);
    }

    /// The variables of running mocks: the same set as [`mock_environment`], named as
    /// scenarios and seed files write them (`FERRY_OKTA_URL` is `{{okta.url}}`,
    /// `FERRY_STORMPATH_API_KEY_ID` `{{stormpath.api_key_id}}`, `FERRY_AUTH0_CLIENT_SECRET`
    /// `{{auth0.client_secret}}`, `FERRY_CA_FILE` `{{ca.file}}`).
    pub(crate) fn of(mocks: &Coordinates<'_>) -> Variables {
        let mut vars = Variables::default();
        for (name, value) in mock_environment(mocks) {
            let Some(rest) = name.strip_prefix("FERRY_") else {
                continue;
            };
            let (mock, field) = rest.split_once('_').unwrap_or((rest, ""));
            vars.insert(
                format!("{}.{}", mock.to_ascii_lowercase(), field.to_ascii_lowercase()),
                value,
            );
        }
        vars
    }

    /// The names, for an error that lists them.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// `text` with every `{{name}}` (or `{{ name }}`) replaced.
    pub(crate) fn substitute(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (name, value) in &self.0 {
            out = out
                .replace(&format!("{{{{{name}}}}}"), value)
                .replace(&format!("{{{{ {name} }}}}"), value);
        }
        out
    }
}

impl World {
    /// Starts the mocks the scenario needs on loopback and seeds them: each provider that has a
    /// section, and the Auth0 tenant (settings with cheap bcrypt unless the scenario says
    /// otherwise, clients, the connection under test with its scripts, other connections, users).
    pub(super) async fn start(scenario: &Scenario) -> Result<World, ScenarioError> {
        let file = &scenario.file;
        let path = &scenario.path;
        let invalid = |reason: String| ScenarioError::Invalid {
            file: path.clone(),
            line: None,
            reason,
        };
        let clock = Clock::manual(Clock::scenario_epoch());
        let custom_routes = custom_routes(scenario)?;
        let tls = match file.tls {
            true => Some(Tls::new(path, &custom_routes)?),
            false => None,
        };
        let serving = tls.as_ref().map(|t| t.config.clone());

        let okta = start_provider(path, &clock, OKTA_SEED, file.okta.clone(), Okta::new, &serving).await?;
        let stormpath = start_provider(
            path,
            &clock,
            STORMPATH_SEED,
            file.stormpath.clone(),
            Stormpath::new,
            &serving,
        )
        .await?;
        let gigya = start_provider(path, &clock, GIGYA_SEED, file.gigya.clone(), Gigya::new, &serving).await?;
        let auth0 = Auth0::new(Kit::deterministic(clock.clone(), AUTH0_SEED));
        let auth0_server = start_server(auth0.clone(), &serving)
            .await
            .map_err(|source| ScenarioError::Start {
                file: path.clone(),
                mock: "auth0",
                source,
            })?;
        // Scripts' requests for the services' hosts and the scenario's own domains go to the
        // mocks, over plain HTTP on loopback (the port speaks both).
        let plain = |server: &MockServer| format!("http://{}", server.addr());
        let running: BTreeMap<&str, String> = [
            ("okta", okta.as_ref().map(|(_, s)| plain(s))),
            ("stormpath", stormpath.as_ref().map(|(_, s)| plain(s))),
            ("gigya", gigya.as_ref().map(|(_, s)| plain(s))),
            ("auth0", Some(plain(&auth0_server))),
        ]
        .into_iter()
        .filter_map(|(name, url)| url.map(|url| (name, url)))
        .collect();
        let mut routes = Routes::new();
        for (host, mock) in &custom_routes.hosts {
            let Some(url) = running.get(mock.as_str()) else {
                return Err(invalid(format!("routes: the {} mock is not running", mock.as_str())));
            };
            routes
                .route(host, url, mock.as_str())
                .map_err(|e| ScenarioError::Invalid {
                    file: path.clone(),
                    line: custom_routes.line,
                    reason: format!("routes: {e}"),
                })?;
        }
        provider_routes(&mut routes, &|mock| running.get(mock).cloned(), &|mock| {
            format!("the scenario runs no {mock} mock: add an `{mock}:` section to route it there")
        })
        .map_err(|e| invalid(format!("routes: {e}")))?;
        routes.set_refusal_hint("send it to a mock with the scenario's `routes: { {host}: okta }`");
        auth0.set_routes(routes);
        if let Some(tls) = &tls {
            auth0.trust_ca(tls.authority.cert_pem()).map_err(invalid)?;
        }

        let unreachable = unreachable_url().await;
        let variables = || {
            let mut vars = Variables::of(&Coordinates {
                okta: okta.as_ref().map(|(m, s)| (m, s.base_url())),
                stormpath: stormpath.as_ref().map(|(m, s)| (m, s.base_url())),
                gigya: gigya.as_ref().map(|(m, s)| (m, s.base_url())),
                auth0: Some((&auth0, auth0_server.base_url())),
                ca_file: None,
            });
            vars.insert("unreachable.url".into(), unreachable.clone());
            vars
        };
        let mut vars = variables();

        let section = &file.auth0;
        let mut settings: SettingsSeed = section.settings.clone().unwrap_or_default();
        settings.bcrypt_cost.get_or_insert(SCENARIO_BCRYPT_COST);
        let mut connections = vec![];
        let mut scenario_connection = None;
        if let Some(spec) = &section.connection {
            let mut options = spec.options.clone();
            options.insert(
                "enabledDatabaseCustomization".into(),
                json!(!scenario.scripts.is_empty()),
            );
            options.insert("import_mode".into(), json!(spec.import_mode));
            let scripts = fill_placeholders(scenario, &spec.placeholders, &vars)?;
            let scripts: Map<String, Value> = scripts.into_iter().map(|(k, v)| (k, json!(v))).collect();
            options.insert("customScripts".into(), Value::Object(scripts));
            let configuration: Map<String, Value> = spec
                .configuration
                .iter()
                .map(|(k, v)| (k.clone(), json!(vars.substitute(v))))
                .collect();
            options.insert("configuration".into(), Value::Object(configuration));
            connections.push(ConnectionSeed {
                name: spec.name.clone(),
                id: None,
                strategy: "auth0".into(),
                display_name: None,
                options,
                // Enabled for the Default App unless the scenario names its applications (what
                // `ferry deploy --enable-client "Default App"` does for a real tenant): a
                // connection enabled for none refuses logins and imports.
                enabled_clients: Some(
                    spec.enabled_clients
                        .clone()
                        .unwrap_or_else(|| vec![DEFAULT_APP.to_owned()]),
                ),
                realms: None,
                is_domain_connection: false,
                metadata: Map::new(),
            });
            scenario_connection = Some(spec.name.clone());
        }
        connections.extend(section.connections.iter().cloned());
        if scenario_connection.is_none() {
            scenario_connection = connections.first().map(|c| c.name.clone());
        }
        let seed = Auth0Seed {
            settings: Some(settings),
            clients: section.clients.clone(),
            connections,
            users: section.users.clone(),
        };
        auth0.seed(seed).map_err(|e| invalid(format!("auth0 seed: {e}")))?;
        // Again, now that the tenant's seed may have replaced an application.
        vars = variables();
        // `{{auth0.connection_id}}`: the id of the connection under test (for the Management
        // API paths that take it, `/api/v2/connections/{id}/users?email=` say).
        if let Some(id) = scenario_connection
            .as_deref()
            .and_then(|name| auth0.connection_id(name))
        {
            vars.insert("auth0.connection_id".into(), id);
        }

        // The runner only talks to the mocks on loopback: no system roots to load; with TLS, the
        // run's CA alone.
        let roots = match &tls {
            Some(tls) => vec![
                reqwest::Certificate::from_pem(tls.authority.cert_pem().as_bytes())
                    .map_err(|e| invalid(format!("the run's CA: {e}")))?,
            ],
            None => Vec::new(),
        };
        let http = sandbox::net::client_builder()
            .timeout(Duration::from_secs(120))
            .tls_certs_only(roots)
            .build()
            .map_err(|e| invalid(format!("HTTP client: {e}")))?;
        Ok(World {
            clock,
            okta,
            stormpath,
            gigya,
            auth0,
            auth0_server,
            http,
            vars,
            base_dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            scenario_connection,
            deployed_connection: None,
            access_token: None,
            refresh_token: None,
            ca_file: tls.as_ref().map(|t| t.ca_file.clone()),
            _tls: tls,
            real_time: vec![],
            could_not_run: None,
        })
    }

    /// The environment a program run by an `exec` step gets: see [`mock_environment`].
    pub(super) fn environment(&self) -> Vec<(String, String)> {
        mock_environment(&Coordinates {
            okta: self.okta.as_ref().map(|(m, s)| (m, s.base_url())),
            stormpath: self.stormpath.as_ref().map(|(m, s)| (m, s.base_url())),
            gigya: self.gigya.as_ref().map(|(m, s)| (m, s.base_url())),
            auth0: Some((&self.auth0, self.auth0_server.base_url())),
            ca_file: self.ca_file.as_deref(),
        })
    }

    /// Stops every mock server.
    pub(super) async fn shutdown(self) {
        let World {
            okta,
            stormpath,
            gigya,
            auth0_server,
            ..
        } = self;
        for server in [okta.map(|m| m.1), stormpath.map(|m| m.1), gigya.map(|m| m.1)]
            .into_iter()
            .flatten()
        {
            server.shutdown().await;
        }
        auth0_server.shutdown().await;
    }

    /// The connection a step uses: the one it names, else the scenario's, else the one a
    /// deploy step created.
    pub(super) fn connection(&self, named: Option<&str>) -> Result<String, String> {
        named
            .map(str::to_owned)
            .or_else(|| self.scenario_connection.clone())
            .or_else(|| self.deployed_connection.clone())
            .ok_or_else(|| "no connection: the scenario has none and the step names none".to_owned())
    }

    /// Whether the scenario seeds a connection of its own (a deploy step then leaves the
    /// default alone).
    pub(super) fn has_scenario_connection(&self) -> bool {
        self.scenario_connection.is_some()
    }

    /// The mock Auth0's base URL (`http://127.0.0.1:PORT`, `https://…` with `tls: true`).
    pub(super) fn auth0_base_url(&self) -> &str {
        self.auth0_server.base_url()
    }

    pub(super) fn auth0_url(&self, path: &str) -> String {
        format!("{}{path}", self.auth0_server.base_url())
    }

    /// An application's client id and secret, by name.
    pub(super) fn client(&self, name: &str) -> Result<(String, String), String> {
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

    /// A Management API call with a fresh Management API token, as an application makes it:
    /// one request, whatever it answers (a 429 of the tenant's rate limit included).
    pub(super) async fn api_once(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Answer, String> {
        self.api_call(method, path, body).await.map(|(answer, _)| answer)
    }

    /// A Management API call the runner makes to read what happened (check steps, the
    /// resulting users): refused by the tenant's rate limit, it waits for the bucket's reset
    /// by moving the shared clock there — as the engine's own waits do — and asks again.
    pub(super) async fn api(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Answer, String> {
        for _ in 0..10 {
            let (answer, reset) = self.api_call(method, path, body).await?;
            let Some(reset) = reset.filter(|_| answer.status == 429) else {
                return Ok(answer);
            };
            let wait = (reset - self.clock.now().timestamp()).clamp(1, 3600);
            self.clock.advance(Duration::from_secs(wait.unsigned_abs()));
        }
        Err(format!(
            "{method} {path}: still rate-limited after ten waits for the reset"
        ))
    }

    /// One call; its answer and the `X-RateLimit-Reset` it carried.
    async fn api_call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<(Answer, Option<i64>), String> {
        let token = self.management_token().await?;
        let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|_| format!("bad method {method}"))?;
        let mut request = self.http.request(method, self.auth0_url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| format!("request failed: {e}"))?;
        let reset = response
            .headers()
            .get("x-ratelimit-reset")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<i64>().ok());
        Ok((answer_of(response).await?, reset))
    }

    /// The kit (journal, faults) of a mock the scenario runs.
    pub(super) fn kit(&self, mock: MockName) -> Option<&Kit> {
        match mock {
            MockName::Okta => self.okta.as_ref().map(|(o, _)| o.kit()),
            MockName::Stormpath => self.stormpath.as_ref().map(|(s, _)| s.kit()),
            MockName::Gigya => self.gigya.as_ref().map(|(g, _)| g.kit()),
            MockName::Auth0 => Some(self.auth0.kit()),
        }
    }

    /// The kit of a mock, or why a step cannot use it.
    pub(super) fn running_kit(&self, mock: MockName) -> Result<&Kit, String> {
        self.kit(mock)
            .ok_or_else(|| format!("the scenario does not run the {} mock", mock.as_str()))
    }

    /// The Auth0 users at the end, as `GET /api/v2/users` returns them (Auth0 pages through the
    /// first 1,000 only).
    pub(super) async fn resulting_users(&self) -> Result<Vec<Value>, String> {
        let mut users = vec![];
        for page in 0.. {
            let answer = self
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
            if users.len() >= total || page >= 9 {
                break;
            }
        }
        for user in &mut users {
            self.name_real_times(user);
        }
        Ok(users)
    }

    /// Replaces every time in `value` that falls in a stretch of real time (while a program
    /// ran) with `[time during exec N: PROGRAM]`: such times differ on every run, and the
    /// snapshot keeps only what is the same each time. Times before and after are untouched
    /// (the clock leaves a stretch at a fixed point: see `steps/exec.rs`).
    pub(super) fn name_real_times(&self, value: &mut Value) {
        if self.real_time.is_empty() {
            return;
        }
        match value {
            Value::String(text) => {
                if let Ok(time) = DateTime::parse_from_rfc3339(text) {
                    let time = time.with_timezone(&Utc);
                    if let Some(stretch) = self.real_time.iter().find(|r| r.from < time && time <= r.to) {
                        *text = format!("[time during {}]", stretch.label);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.name_real_times(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.name_real_times(v)),
            _ => {}
        }
    }

    /// `METHOD /path → status` for every request a mock received.
    pub(super) fn journal_lines(&self, mock: MockName) -> Option<Vec<String>> {
        let kit = self.kit(mock)?;
        Some(
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
                .collect(),
        )
    }
}

/// Where the running mocks are, for [`mock_environment`]: each mock that runs with its base
/// URL, and the CA file when they serve HTTPS.
#[derive(Debug, Default)]
pub(crate) struct Coordinates<'a> {
    pub(crate) okta: Option<(&'a Okta, &'a str)>,
    pub(crate) stormpath: Option<(&'a Stormpath, &'a str)>,
    pub(crate) gigya: Option<(&'a Gigya, &'a str)>,
    pub(crate) auth0: Option<(&'a Auth0, &'a str)>,
    pub(crate) ca_file: Option<&'a Path>,
}

/// The one list of environment variables that point a program at the mocks, used by the
/// `exec` step and printed and written by `ferry serve` (`--env-file`):
///
/// - `FERRY_<MOCK>_URL` for each mock that runs (`OKTA`, `STORMPATH`, `GIGYA`, `AUTH0`);
/// - each mock's credentials, the same set scenarios name as `{{<mock>.<name>}}`, as
///   `FERRY_<MOCK>_<NAME>`: `FERRY_OKTA_TOKEN`; `FERRY_STORMPATH_APPLICATION_ID`,
///   `…_APPLICATION_HREF`, `…_API_KEY_ID`, `…_API_KEY_SECRET`, `…_DIRECTORY_ID`;
///   `FERRY_GIGYA_API_KEY`, `…_USER_KEY`, `…_SECRET`, `…_DATA_CENTER`;
/// - for Auth0: `FERRY_AUTH0_DOMAIN` (`host:port`, what SDKs take as `domain`),
///   `FERRY_AUTH0_CLIENT_ID` and `FERRY_AUTH0_CLIENT_SECRET` (the machine-to-machine
///   application, granted every Management API scope), `FERRY_AUTH0_AUDIENCE` (the Management
///   API's), `FERRY_AUTH0_APP_CLIENT_ID` and `FERRY_AUTH0_APP_CLIENT_SECRET` (the Default App,
///   for logins);
/// - `FERRY_CA_FILE` when the mocks serve HTTPS.
///
/// The names are those the engine's commands read (`FERRY_AUTH0_URL`, `FERRY_GIGYA_SECRET`,
/// ...), so a shell that loaded them runs `ferry migrate` against the mocks without flags.
pub(crate) fn mock_environment(mocks: &Coordinates<'_>) -> Vec<(String, String)> {
    fn provider<P: Provider>(out: &mut Vec<(String, String)>, mock: Option<(&P, &str)>) {
        let Some((provider, url)) = mock else { return };
        let prefix = format!("FERRY_{}", P::NAME.to_ascii_uppercase());
        out.push((format!("{prefix}_URL"), url.to_owned()));
        for (name, value) in provider.variables() {
            out.push((format!("{prefix}_{}", name.to_ascii_uppercase()), value));
        }
    }
    let mut out = vec![];
    provider(&mut out, mocks.okta);
    provider(&mut out, mocks.stormpath);
    provider(&mut out, mocks.gigya);
    if let Some((auth0, url)) = mocks.auth0 {
        out.push(("FERRY_AUTH0_URL".into(), url.to_owned()));
        let domain = url
            .split_once("://")
            .map_or(url, |(_, rest)| rest)
            .trim_end_matches('/');
        out.push(("FERRY_AUTH0_DOMAIN".into(), domain.to_owned()));
        if let Some((id, secret)) = auth0.client_credentials(MANAGEMENT_APP) {
            out.push(("FERRY_AUTH0_CLIENT_ID".into(), id));
            out.push(("FERRY_AUTH0_CLIENT_SECRET".into(), secret));
        }
        out.push(("FERRY_AUTH0_AUDIENCE".into(), auth0.management_audience()));
        if let Some((id, secret)) = auth0.client_credentials(DEFAULT_APP) {
            out.push(("FERRY_AUTH0_APP_CLIENT_ID".into(), id));
            out.push(("FERRY_AUTH0_APP_CLIENT_SECRET".into(), secret));
        }
    }
    if let Some(ca) = mocks.ca_file {
        out.push(("FERRY_CA_FILE".into(), ca.display().to_string()));
    }
    out
}

/// Starts a mock on loopback, over HTTPS too when `tls` is given.
async fn start_server<P: Provider>(provider: P, tls: &Option<Arc<ServerConfig>>) -> std::io::Result<MockServer> {
    match tls {
        Some(config) => mocks::start_tls(provider, mocks::LOOPBACK_EPHEMERAL, config.clone()).await,
        None => mocks::start(provider, mocks::LOOPBACK_EPHEMERAL).await,
    }
}

/// The HTTPS of a `tls: true` run: a CA made for it, the mocks' certificate, and the CA's
/// certificate in a file (removed when this is dropped).
struct Tls {
    authority: Authority,
    config: Arc<ServerConfig>,
    ca_file: PathBuf,
}

impl Tls {
    fn new(path: &Path, routes: &CustomRoutes) -> Result<Self, ScenarioError> {
        let invalid = |reason: String| ScenarioError::Invalid {
            file: path.to_path_buf(),
            line: None,
            reason,
        };
        let authority = Authority::generate().map_err(|e| invalid(format!("tls: {e}")))?;
        let extra: Vec<String> = routes.hosts.keys().cloned().collect();
        let config = authority
            .server_config(&certificate_names(&extra))
            .map_err(|e| invalid(format!("tls: {e}")))?;
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let ca_file = std::env::temp_dir().join(format!("ferry-scenario-ca-{}-{n}.pem", std::process::id()));
        authority
            .write_cert(&ca_file)
            .map_err(|e| invalid(format!("tls: {e}")))?;
        Ok(Self {
            authority,
            config,
            ca_file,
        })
    }
}

impl Drop for Tls {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.ca_file);
    }
}

/// The scenario's `routes:`, with the line they are on.
struct CustomRoutes {
    hosts: BTreeMap<String, MockName>,
    line: Option<u64>,
}

fn custom_routes(scenario: &Scenario) -> Result<CustomRoutes, ScenarioError> {
    let Some(routes) = &scenario.file.routes else {
        return Ok(CustomRoutes {
            hosts: BTreeMap::new(),
            line: None,
        });
    };
    let line = Some(routes.referenced.line());
    let file = &scenario.file;
    // checked here, before anything starts: a host route patterns accept, to a mock that runs
    for (host, mock) in &routes.value {
        let runs = match mock {
            MockName::Okta => file.okta.is_some(),
            MockName::Stormpath => file.stormpath.is_some(),
            MockName::Gigya => file.gigya.is_some(),
            MockName::Auth0 => true,
        };
        if !runs {
            return Err(ScenarioError::Invalid {
                file: scenario.path.clone(),
                line,
                reason: format!(
                    "routes: {host} goes to {0}, but the scenario runs no {0} mock (add an `{0}:` section)",
                    mock.as_str()
                ),
            });
        }
        if let Err(e) = Routes::new().route(host, "http://127.0.0.1", "") {
            return Err(ScenarioError::Invalid {
                file: scenario.path.clone(),
                line,
                reason: format!(
                    "routes: {} (routes take a host name or `*.` and a domain, and one of {})",
                    e.reason,
                    MOCK_NAMES.join(", ")
                ),
            });
        }
    }
    Ok(CustomRoutes {
        hosts: routes.value.clone(),
        line,
    })
}

/// The connection's scripts with `placeholders` replaced (values with their variables
/// substituted); a placeholder that occurs in no script is an error (a typo would leave the
/// script's own text in place).
fn fill_placeholders(
    scenario: &Scenario,
    placeholders: &BTreeMap<String, String>,
    vars: &Variables,
) -> Result<BTreeMap<String, String>, ScenarioError> {
    let mut scripts = scenario.scripts.clone();
    for (placeholder, value) in placeholders {
        if placeholder.is_empty() || !scripts.values().any(|s| s.contains(placeholder.as_str())) {
            return Err(ScenarioError::Invalid {
                file: scenario.path.clone(),
                line: None,
                reason: format!(
                    "auth0.connection.placeholders: {placeholder:?} occurs in none of the connection's scripts"
                ),
            });
        }
        let value = vars.substitute(value);
        for source in scripts.values_mut() {
            *source = source.replace(placeholder.as_str(), &value);
        }
    }
    Ok(scripts)
}

/// Starts and seeds a provider mock when the scenario has a section for it.
async fn start_provider<P: Provider>(
    path: &Path,
    clock: &Clock,
    id_seed: u64,
    seed: Option<P::Seed>,
    new: fn(Kit) -> P,
    tls: &Option<Arc<ServerConfig>>,
) -> Result<Running<P>, ScenarioError> {
    let Some(seed) = seed else { return Ok(None) };
    let provider = new(Kit::deterministic(clock.clone(), id_seed));
    provider.seed(seed).map_err(|e| ScenarioError::Invalid {
        file: path.to_path_buf(),
        line: None,
        reason: format!("{} seed: {e}", P::NAME),
    })?;
    let server = start_server(provider.clone(), tls)
        .await
        .map_err(|source| ScenarioError::Start {
            file: path.to_path_buf(),
            mock: P::NAME,
            source,
        })?;
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

/// An HTTP answer, reduced to what steps check.
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) body: Value,
}

impl Answer {
    /// The status, and for an error its code and message in whichever shape the API uses.
    pub(super) fn summary(&self) -> String {
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

/// Sends a request; its body is JSON when it parses, else a JSON string.
pub(super) async fn send(request: reqwest::RequestBuilder) -> Result<Answer, String> {
    let response = request.send().await.map_err(|e| format!("request failed: {e}"))?;
    answer_of(response).await
}

async fn answer_of(response: reqwest::Response) -> Result<Answer, String> {
    let status = response.status().as_u16();
    let text = response.text().await.map_err(|e| format!("reading the answer: {e}"))?;
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Ok(Answer { status, body })
}
