//! A client of Auth0's Management API: the token (client credentials, renewed before it
//! expires, and once more when the API refuses it), connections, import jobs and their errors,
//! users by email. Every call goes through the `retry` module, so 429s and 5xx are retried with
//! the rate-limit reset honoured (Auth0 sends `X-RateLimit-Reset`, not `Retry-After`).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::multipart::{Form, Part};
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::EngineError;
use super::retry::{self, RetryPolicy};

const SERVICE: &str = "Auth0";

/// The wait after a 429 on an import job that names none.
const BUSY_WAIT: Duration = Duration::from_millis(500);

/// Where and how to reach a tenant's Management API.
#[derive(Clone)]
pub struct Auth0Config {
    /// `https://TENANT.auth0.com` (or a mock's `http://127.0.0.1:PORT`), without a trailing
    /// slash.
    pub base_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// The Management API audience; `{base_url}/api/v2/` when absent.
    pub audience: Option<String>,
}

impl std::fmt::Debug for Auth0Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth0Config")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[masked]")
            .field("audience", &self.audience)
            .finish()
    }
}

/// A Management API client.
#[derive(Debug)]
pub struct ManagementClient {
    config: Auth0Config,
    http: Client,
    retry: RetryPolicy,
    token: Mutex<Option<(String, Instant)>>,
}

/// An import job as `GET /api/v2/jobs/{id}` shows it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub summary: Option<JobSummary>,
    #[serde(default)]
    pub status_details: Option<String>,
}

/// A finished job's counts.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq, serde::Serialize)]
pub struct JobSummary {
    pub failed: u64,
    pub updated: u64,
    pub inserted: u64,
    pub total: u64,
}

/// One failed user of a job.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct JobError {
    pub user: Value,
    pub errors: Vec<JobErrorDetail>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq, serde::Serialize)]
pub struct JobErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// What `POST /api/v2/jobs/users-imports` can answer besides a job.
#[derive(Debug)]
pub enum SubmitOutcome {
    Accepted(Job),
    /// Too many active import jobs (or rate-limited): try again later.
    Busy(Duration),
}

async fn error_of(response: Response) -> EngineError {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("message")
                .or_else(|| v.get("error_description"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or(text);
    EngineError::Service {
        service: SERVICE,
        status,
        message,
    }
}

/// A refused client-credentials exchange, with which application it was and what fixes it.
fn refused_credentials(client_id: &str, error: EngineError) -> EngineError {
    let EngineError::Service { status, message, .. } = &error else {
        return error;
    };
    let hint = match status {
        401 => format!(
            "the application with client id {client_id} is not in this tenant, or its client secret is wrong: \
             check --client-id (FERRY_AUTH0_CLIENT_ID) and --client-secret (FERRY_AUTH0_CLIENT_SECRET) against \
             the application's Settings in Auth0's dashboard"
        ),
        403 if message.contains("not authorized") => format!(
            "authorize the application with client id {client_id} for the Auth0 Management API (Applications → \
             APIs → Auth0 Management API → Machine To Machine Applications) with the scopes the command needs \
             (read:connections, create:users and read:users to import; create:connections and \
             update:connections to deploy)"
        ),
        403 => "check --audience (FERRY_AUTH0_AUDIENCE): the Management API's is https://TENANT.auth0.com/api/v2/"
            .to_owned(),
        _ => return error,
    };
    EngineError::Config(format!(
        "Auth0 refused a Management API token ({status}: {message}): {hint}"
    ))
}

impl ManagementClient {
    pub fn new(config: Auth0Config, http: Client, retry: RetryPolicy) -> Self {
        Self {
            config: Auth0Config {
                base_url: config.base_url.trim_end_matches('/').to_owned(),
                ..config
            },
            http,
            retry,
            token: Mutex::new(None),
        }
    }

    /// The policy every call and wait of this client goes through.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url)
    }

    fn audience(&self) -> String {
        self.config
            .audience
            .clone()
            .unwrap_or_else(|| format!("{}/api/v2/", self.config.base_url))
    }

    /// A Management API token, fetched with client credentials and reused until a minute
    /// before it expires.
    pub async fn token(&self) -> Result<String, EngineError> {
        if let Ok(guard) = self.token.lock()
            && let Some((token, until)) = guard.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let body = json!({
            "grant_type": "client_credentials",
            "client_id": self.config.client_id,
            "client_secret": self.config.client_secret,
            "audience": self.audience(),
        });
        let response = retry::send(SERVICE, &self.retry, || {
            self.http.post(self.url("/oauth/token")).json(&body)
        })
        .await?;
        if !response.status().is_success() {
            return Err(refused_credentials(&self.config.client_id, error_of(response).await));
        }
        #[derive(Deserialize)]
        struct Token {
            access_token: String,
            #[serde(default)]
            expires_in: u64,
        }
        let token: Token = response.json().await.map_err(|e| EngineError::Service {
            service: SERVICE,
            status: 200,
            message: format!("unreadable token answer: {e}"),
        })?;
        let lifetime = Duration::from_secs(token.expires_in.max(120) - 60);
        if let Ok(mut guard) = self.token.lock() {
            *guard = Some((token.access_token.clone(), Instant::now() + lifetime));
        }
        Ok(token.access_token)
    }

    fn forget_token(&self) {
        if let Ok(mut guard) = self.token.lock() {
            *guard = None;
        }
    }

    /// Sends a Management API request that `make` builds with the token, under the retry
    /// policy (a 429 is returned at once unless `retry_429`). A token the API refuses (401: it
    /// expired on the tenant's clock, or was revoked) is fetched again, once.
    async fn authorized(
        &self,
        make: impl Fn(&str) -> RequestBuilder,
        retry_429: bool,
    ) -> Result<Response, EngineError> {
        let mut token = self.token().await?;
        let mut renewed = false;
        loop {
            let send = || make(&token);
            let response = if retry_429 {
                retry::send(SERVICE, &self.retry, send).await?
            } else {
                retry::send_unless_429(SERVICE, &self.retry, send).await?
            };
            if response.status() == StatusCode::UNAUTHORIZED && !renewed {
                renewed = true;
                self.forget_token();
                token = self.token().await?;
                continue;
            }
            return Ok(response);
        }
    }

    async fn get(&self, path: &str) -> Result<Response, EngineError> {
        self.authorized(|token| self.http.get(self.url(path)).bearer_auth(token), true)
            .await
    }

    async fn send_json(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Result<Value, EngineError> {
        let response = self
            .authorized(
                |token| {
                    let request = self.http.request(method.clone(), self.url(path)).bearer_auth(token);
                    match body {
                        Some(body) => request.json(body),
                        None => request,
                    }
                },
                true,
            )
            .await?;
        if !response.status().is_success() {
            return Err(error_of(response).await);
        }
        if response.status() == reqwest::StatusCode::NO_CONTENT {
            return Ok(Value::Null);
        }
        let text = response.text().await.unwrap_or_default();
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The connection called `name`, as the Management API shows it.
    pub async fn connection_by_name(&self, name: &str) -> Result<Option<Value>, EngineError> {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("name", name)
            .finish();
        let list = self
            .send_json(reqwest::Method::GET, &format!("/api/v2/connections?{query}"), None)
            .await?;
        Ok(list.as_array().and_then(|l| {
            l.iter()
                .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
                .cloned()
        }))
    }

    /// The names of the tenant's database connections (for a hint naming them).
    pub async fn database_connection_names(&self) -> Result<Vec<String>, EngineError> {
        let list = self
            .send_json(reqwest::Method::GET, "/api/v2/connections?strategy=auth0", None)
            .await?;
        Ok(list
            .as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// When the connection's user with this email was created (`created_at`), or `None` when
    /// the connection has no such user (users-by-email, then the identities): how a resumed run
    /// tells a user an unanswered job imported from one that was there before the run.
    pub async fn user_created_in_connection(
        &self,
        email: &str,
        connection: &str,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, EngineError> {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("email", email)
            .finish();
        let users = self
            .send_json(reqwest::Method::GET, &format!("/api/v2/users-by-email?{query}"), None)
            .await?;
        let in_connection = |user: &&Value| {
            user.get("identities").and_then(Value::as_array).is_some_and(|ids| {
                ids.iter()
                    .any(|id| id.get("connection").and_then(Value::as_str) == Some(connection))
            })
        };
        let Some(user) = users.as_array().and_then(|users| users.iter().find(in_connection)) else {
            return Ok(None);
        };
        let created = user
            .get("created_at")
            .and_then(Value::as_str)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc));
        // A user without a readable creation time is taken as there from the start: its row is
        // then reported as Auth0 refused it, never counted as imported on a guess.
        Ok(Some(created.unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)))
    }

    /// Creates a connection; the created object.
    pub async fn create_connection(&self, body: &Value) -> Result<Value, EngineError> {
        self.send_json(reqwest::Method::POST, "/api/v2/connections", Some(body))
            .await
    }

    /// Updates a connection (a sent `options` replaces the stored one whole).
    pub async fn update_connection(&self, id: &str, body: &Value) -> Result<Value, EngineError> {
        self.send_json(reqwest::Method::PATCH, &format!("/api/v2/connections/{id}"), Some(body))
            .await
    }

    /// Client ids the connection is enabled for.
    pub async fn connection_clients(&self, id: &str) -> Result<Vec<String>, EngineError> {
        let body = self
            .send_json(reqwest::Method::GET, &format!("/api/v2/connections/{id}/clients"), None)
            .await?;
        Ok(body
            .get("clients")
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(|c| c.get("client_id").and_then(Value::as_str).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Enables (or disables) clients on a connection.
    pub async fn set_connection_clients(&self, id: &str, changes: &[(String, bool)]) -> Result<(), EngineError> {
        let body: Vec<Value> = changes
            .iter()
            .map(|(client, on)| json!({ "client_id": client, "status": on }))
            .collect();
        self.send_json(
            reqwest::Method::PATCH,
            &format!("/api/v2/connections/{id}/clients"),
            Some(&Value::Array(body)),
        )
        .await?;
        Ok(())
    }

    /// The tenant's applications: (name, client_id).
    pub async fn clients(&self) -> Result<Vec<(String, String)>, EngineError> {
        let list = self
            .send_json(reqwest::Method::GET, "/api/v2/clients?fields=name,client_id", None)
            .await?;
        Ok(list
            .as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|c| {
                        Some((
                            c.get("name")?.as_str()?.to_owned(),
                            c.get("client_id")?.as_str()?.to_owned(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The id of the database connection called `name`.
    pub async fn connection_id(&self, name: &str) -> Result<String, EngineError> {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("name", name)
            .finish();
        let response = self.get(&format!("/api/v2/connections?strategy=auth0&{query}")).await?;
        if !response.status().is_success() {
            return Err(error_of(response).await);
        }
        let list: Vec<Value> = response.json().await.map_err(|e| EngineError::Service {
            service: SERVICE,
            status: 200,
            message: format!("unreadable connections: {e}"),
        })?;
        list.iter()
            .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
            .and_then(|c| c.get("id").and_then(Value::as_str))
            .map(str::to_owned)
            .ok_or_else(|| EngineError::Config(format!("Auth0 has no database connection named {name:?}")))
    }

    /// Submits an import job. Auth0 answers 429 for two reasons: the tenant already has two
    /// active import jobs ("There are 2 active import users jobs…"), which only the end of one
    /// of them cures — that comes back as [`SubmitOutcome::Busy`], for the caller to wait for
    /// one of its own jobs — or its rate limit, which the reset time cures: that is waited for
    /// and the job sent again here, as every other call's is.
    pub async fn submit_import(
        &self,
        file: Vec<u8>,
        connection_id: &str,
        upsert: bool,
        external_id: &str,
    ) -> Result<SubmitOutcome, EngineError> {
        let make = |token: &str| {
            let form = Form::new()
                .part(
                    "users",
                    Part::bytes(file.clone())
                        .file_name("users.json")
                        .mime_str("application/json")
                        .unwrap_or_else(|_| Part::bytes(file.clone())),
                )
                .text("connection_id", connection_id.to_owned())
                .text("upsert", upsert.to_string())
                .text("external_id", external_id.to_owned())
                .text("send_completion_email", "false");
            self.http
                .post(self.url("/api/v2/jobs/users-imports"))
                .bearer_auth(token)
                .multipart(form)
        };
        // Transport errors and 5xx are retried; a 429 comes back to decide here.
        let mut attempt = 0;
        let response = loop {
            attempt += 1;
            let response = self.authorized(make, false).await?;
            if response.status() != StatusCode::TOO_MANY_REQUESTS {
                break response;
            }
            // The wait Auth0 asks for, capped like every other wait of the policy.
            let wait = self
                .retry
                .wait(attempt, retry::hinted_wait(response.headers()).or(Some(BUSY_WAIT)));
            let text = response.text().await.unwrap_or_default();
            if text.contains("active import users jobs") || attempt >= self.retry.attempts {
                return Ok(SubmitOutcome::Busy(wait));
            }
            self.retry.sleeper.sleep(wait).await;
        };
        if !response.status().is_success() {
            return Err(error_of(response).await);
        }
        let job: Job = response.json().await.map_err(|e| EngineError::Service {
            service: SERVICE,
            status: 202,
            message: format!("unreadable job: {e}"),
        })?;
        Ok(SubmitOutcome::Accepted(job))
    }

    /// A job's current state.
    pub async fn job(&self, id: &str) -> Result<Job, EngineError> {
        let response = self.get(&format!("/api/v2/jobs/{id}")).await?;
        if !response.status().is_success() {
            return Err(error_of(response).await);
        }
        response.json().await.map_err(|e| EngineError::Service {
            service: SERVICE,
            status: 200,
            message: format!("unreadable job: {e}"),
        })
    }

    /// A finished job's failed users (none when Auth0 answers 204).
    pub async fn job_errors(&self, id: &str) -> Result<Vec<JobError>, EngineError> {
        let response = self.get(&format!("/api/v2/jobs/{id}/errors")).await?;
        if response.status() == reqwest::StatusCode::NO_CONTENT {
            return Ok(vec![]);
        }
        if !response.status().is_success() {
            return Err(error_of(response).await);
        }
        let value: Value = response.json().await.map_err(|e| EngineError::Service {
            service: SERVICE,
            status: 200,
            message: format!("unreadable job errors: {e}"),
        })?;
        match value {
            Value::Array(_) => serde_json::from_value(value).map_err(|e| EngineError::Service {
                service: SERVICE,
                status: 200,
                message: format!("unreadable job errors: {e}"),
            }),
            // A job that failed as a whole answers with itself.
            other => Err(EngineError::JobFailed {
                job: id.to_owned(),
                details: other
                    .get("status_details")
                    .and_then(Value::as_str)
                    .unwrap_or("no details")
                    .to_owned(),
            }),
        }
    }
}
