//! The dashboard's Management API client: a token from the client-credentials grant, kept until
//! shortly before it expires (or until the API refuses it), and the two reads the page needs —
//! a user search and an import job's errors. Only this server holds the token and the secret;
//! what goes to the page is the API's answer.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::ManagementSource;
use super::http::Response;

/// A token is fetched again this long before it expires.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// How many times a rate-limited read is sent again, and the longest wait before each.
const RATE_LIMIT_RETRIES: u32 = 3;
const RATE_LIMIT_MAX_WAIT: Duration = Duration::from_secs(5);

/// One tenant's Management API, as the dashboard calls it.
#[derive(Debug)]
pub(crate) struct ManagementApi {
    base_url: String,
    source: ManagementSource,
    token: Mutex<Option<(String, Instant)>>,
}

/// A search as the Management API takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserSearch {
    /// The Lucene query (`None`: every user).
    pub(crate) q: Option<String>,
    pub(crate) page: usize,
    pub(crate) per_page: usize,
    /// `field:1` or `field:-1`.
    pub(crate) sort: &'static str,
}

impl ManagementApi {
    pub(crate) fn new(base_url: &str, source: ManagementSource) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            source,
            token: Mutex::new(None),
        }
    }

    /// `GET /api/v2/users` with `search_engine=v3` and `include_totals=true`: the API's
    /// `{start, limit, length, total, users}`.
    pub(crate) async fn search_users(&self, http: &reqwest::Client, search: &UserSearch) -> Result<Value, Response> {
        let mut params = vec![
            ("search_engine", "v3".to_owned()),
            ("include_totals", "true".to_owned()),
            ("page", search.page.to_string()),
            ("per_page", search.per_page.to_string()),
            ("sort", search.sort.to_owned()),
        ];
        if let Some(q) = &search.q {
            params.push(("q", q.clone()));
        }
        self.get(http, "/api/v2/users", &params).await
    }

    /// `GET /api/v2/jobs/{id}/errors`: the failed rows (an empty list for a 204), or the job
    /// itself when it failed as a whole.
    pub(crate) async fn job_errors(&self, http: &reqwest::Client, id: &str) -> Result<Value, Response> {
        let path = format!("/api/v2/jobs/{}/errors", urlencoding(id));
        self.get(http, &path, &[]).await
    }

    /// A GET with the bearer token; a refused token is replaced once, and a rate-limited read
    /// (429: a person clicking through the dashboard soon meets the free tier's 2 a second) is
    /// sent again when the tenant's `X-RateLimit-Reset` says, measured against its `Date`, the
    /// engine's one rule ([`crate::engine::retry`]), a few times and at most a few seconds each.
    async fn get(&self, http: &reqwest::Client, path: &str, params: &[(&str, String)]) -> Result<Value, Response> {
        let url = format!("{}{path}", self.base_url);
        let mut refreshed = false;
        let mut limited = 0;
        loop {
            let token = self.token(http, refreshed).await?;
            let answer = http
                .get(&url)
                .query(params)
                .bearer_auth(&token)
                .send()
                .await
                .map_err(|e| Response::error(502, "tenant_unreachable", format!("{url}: {e}")))?;
            let status = answer.status().as_u16();
            if status == 401 {
                if refreshed {
                    return Err(Response::error(
                        502,
                        "tenant_error",
                        format!("{url}: the token was refused twice"),
                    ));
                }
                refreshed = true;
                continue;
            }
            if status == 429 && limited < RATE_LIMIT_RETRIES {
                limited += 1;
                let wait = crate::engine::retry::hinted_wait(answer.headers())
                    .unwrap_or(Duration::from_secs(1))
                    .min(RATE_LIMIT_MAX_WAIT);
                tokio::time::sleep(wait).await;
                continue;
            }
            if status == 204 {
                return Ok(json!([]));
            }
            let body = answer.bytes().await.unwrap_or_default();
            let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if (200..300).contains(&status) {
                return Ok(value);
            }
            return Err(api_error(status, &url, &value));
        }
    }

    /// The cached token, or a new one (`fresh`: always a new one).
    async fn token(&self, http: &reqwest::Client, fresh: bool) -> Result<String, Response> {
        let mut cached = self.token.lock().await;
        if !fresh
            && let Some((token, until)) = cached.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let url = format!("{}/oauth/token", self.base_url);
        let Some(client) = self.source.client() else {
            return Err(Response::error(
                502,
                "no_management_client",
                format!("no Management application for {}", self.base_url),
            ));
        };
        let audience = client
            .audience
            .clone()
            .unwrap_or_else(|| format!("{}/api/v2/", self.base_url));
        let answer = http
            .post(&url)
            .json(&json!({
                "grant_type": "client_credentials",
                "client_id": client.client_id,
                "client_secret": client.client_secret,
                "audience": audience,
            }))
            .send()
            .await
            .map_err(|e| Response::error(502, "tenant_unreachable", format!("{url}: {e}")))?;
        let status = answer.status().as_u16();
        let body: Value = answer.json().await.unwrap_or(Value::Null);
        let Some(token) = body["access_token"].as_str().filter(|_| status == 200) else {
            // Auth0's own words (`error_description`), never the credentials sent.
            let reason = body["error_description"]
                .as_str()
                .or_else(|| body["error"].as_str())
                .unwrap_or("no access_token in the answer");
            return Err(Response::error(
                502,
                "no_management_token",
                format!(
                    "{url} refused the Management application {} ({status}): {reason}",
                    client.client_id
                ),
            ));
        };
        let lifetime = Duration::from_secs(body["expires_in"].as_u64().unwrap_or(300));
        let until = Instant::now() + lifetime.saturating_sub(EXPIRY_MARGIN);
        *cached = Some((token.to_owned(), until));
        Ok(token.to_owned())
    }
}

/// An error answer of the API: a 400 (a query Auth0 refuses, a page past the first 1,000
/// results) is the person's to fix and keeps its status and message; anything else is the
/// tenant's fault, a 502.
fn api_error(status: u16, url: &str, body: &Value) -> Response {
    let message = body["message"]
        .as_str()
        .or_else(|| body["error"].as_str())
        .unwrap_or("no message")
        .to_owned();
    let code = body["errorCode"].as_str().unwrap_or("tenant_error");
    if status == 400 {
        Response::error(400, code, message)
    } else {
        Response::error(502, code, format!("{url} answered {status}: {message}"))
    }
}

/// Percent-encodes a path segment.
fn urlencoding(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
