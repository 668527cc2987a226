//! The [`World`] a scenario's steps play in: the running mocks, the HTTP client, the variables
//! (`{{okta.url}}`, ...), the connection steps use by default, and the tokens earlier steps
//! obtained. The runner owns it and lends it to one step at a time (`&mut World`), so steps
//! share state without locks.
//!
//! Also here: what more than one family of steps needs to talk to the mock Auth0 — its URL, an
//! application's credentials, a Management API call, the [`Answer`] a request step checks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mocks::auth0::seed::{Auth0Seed, ConnectionSeed, SettingsSeed};
use mocks::auth0::{Auth0, MANAGEMENT_APP};
use mocks::gigya::Gigya;
use mocks::okta::Okta;
use mocks::stormpath::Stormpath;
use mocks::{Clock, Kit, MockServer, Provider};
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
}

/// The `{{name}}` variables of a scenario: each mock's URL and credentials, and
/// `{{unreachable.url}}`.
#[derive(Debug, Default)]
pub(super) struct Variables(BTreeMap<String, String>);

impl Variables {
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn insert(&mut self, name: String, value: String) {
        self.0.insert(name, value);
    }

    /// `text` with every `{{name}}` (or `{{ name }}`) replaced.
    pub(super) fn substitute(&self, text: &str) -> String {
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

        let mut vars = Variables::default();
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
            let scripts: Map<String, Value> = scenario.scripts.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
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
                enabled_clients: spec.enabled_clients.clone(),
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

        // The runner only talks to the mocks, over plain HTTP on loopback: no TLS roots to load.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .tls_certs_only(Vec::new())
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

    /// The mock Auth0's base URL (`http://127.0.0.1:PORT`).
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
        Ok(users)
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

/// Starts and seeds a provider mock when the scenario has a section for it, and records its
/// variables (`{{okta.url}}`, `{{okta.token}}`, ...).
async fn start_provider<P: Provider>(
    path: &Path,
    clock: &Clock,
    id_seed: u64,
    seed: Option<P::Seed>,
    new: fn(Kit) -> P,
    vars: &mut Variables,
) -> Result<Running<P>, ScenarioError> {
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
