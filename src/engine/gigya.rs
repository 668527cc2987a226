//! A client of Gigya's REST API (SAP Customer Data Cloud) for exports: signed requests
//! (gigya.md §1.4: HMAC-SHA1 over the OAuth1-style base string, the secret never sent),
//! `accounts.search` with cursors, and IdentitySync dataflows, schedulings and job status.
//!
//! Gigya answers errors with HTTP 200 and an `errorCode` in the body (we send
//! `httpStatusCodes=false`, as the SDKs do); the retryable ones (server error, search time-out,
//! rate limit, too many requests for one user) are retried under the engine's one retry policy
//! (`retry.rs`), as are transport errors and HTTP 5xx/429. A 403002 "request has
//! expired" means the clocks disagree: like Gigya's Java SDK, the client learns the server's
//! time from the answer's `Date` header and signs again.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::Client;
use serde_json::{Value, json};
use sha1::Sha1;

use super::error::EngineError;
use super::retry::{self, Attempt, RetryPolicy};

const SERVICE: &str = "Gigya";

/// Where and how to reach a Gigya site.
#[derive(Clone)]
pub struct GigyaConfig {
    /// One base URL for every namespace (a mock, a proxy); when absent the real hosts
    /// `https://<namespace>.<data_center>` are used.
    pub base_url: Option<String>,
    /// e.g. `us1.gigya.com`.
    pub data_center: String,
    pub api_key: String,
    /// The application (user) key; without it requests are signed with the partner secret.
    pub user_key: Option<String>,
    /// The secret, Base64 as Gigya gives it.
    pub secret: String,
}

impl std::fmt::Debug for GigyaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GigyaConfig")
            .field("base_url", &self.base_url)
            .field("data_center", &self.data_center)
            .field("api_key", &self.api_key)
            .field("user_key", &self.user_key)
            .field("secret", &"[masked]")
            .finish()
    }
}

/// A Gigya client.
#[derive(Debug)]
pub struct GigyaClient {
    config: GigyaConfig,
    http: Client,
    retry: RetryPolicy,
    /// Server time minus local time, in seconds, learned from a 403002.
    clock_offset: AtomicI64,
    nonce: AtomicI64,
}

/// RFC 3986 percent-encoding with the unreserved set kept, as the SDKs do.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The base string of a signed request: `POST&enc(url)&enc(sorted query)`.
pub fn base_string(method: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let query = sorted
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    format!("{method}&{}&{}", encode(&normalize_url(url)), encode(&query))
}

/// `scheme://host[:port]/path`, scheme and host lower-cased, default ports dropped.
fn normalize_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => {
            let scheme = parsed.scheme().to_ascii_lowercase();
            let host = parsed.host_str().unwrap_or("").to_ascii_lowercase();
            let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!("{scheme}://{host}{port}{}", parsed.path())
        }
        Err(_) => url.to_owned(),
    }
}

/// `Base64(HMAC-SHA1(Base64Decode(secret), text))`.
pub fn signature(secret_base64: &str, text: &str) -> Result<String, EngineError> {
    let key = STANDARD
        .decode(secret_base64.trim())
        .map_err(|_| EngineError::Config("the Gigya secret is not Base64".into()))?;
    let mut mac = Hmac::<Sha1>::new_from_slice(&key).map_err(|e| EngineError::Config(format!("Gigya secret: {e}")))?;
    mac.update(text.as_bytes());
    Ok(STANDARD.encode(mac.finalize().into_bytes()))
}

/// Error codes worth another try.
fn retryable(code: i64) -> bool {
    matches!(code, 500001 | 503001 | 504001 | 504002 | 403048 | 409030)
}

impl GigyaClient {
    pub fn new(config: GigyaConfig, http: Client, retry: RetryPolicy) -> Self {
        Self {
            config,
            http,
            retry,
            clock_offset: AtomicI64::new(0),
            nonce: AtomicI64::new(0),
        }
    }

    fn url(&self, method: &str) -> String {
        match &self.config.base_url {
            Some(base) => format!("{}/{method}", base.trim_end_matches('/')),
            None => {
                let namespace = method.split('.').next().unwrap_or("accounts");
                format!("https://{namespace}.{}/{method}", self.config.data_center)
            }
        }
    }

    fn signed(&self, url: &str, params: &[(&str, String)]) -> Result<Vec<(String, String)>, EngineError> {
        let mut all: Vec<(String, String)> = params.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
        all.push(("apiKey".into(), self.config.api_key.clone()));
        if let Some(user_key) = &self.config.user_key {
            all.push(("userKey".into(), user_key.clone()));
        }
        all.push(("format".into(), "json".into()));
        all.push(("httpStatusCodes".into(), "false".into()));
        let now = chrono::Utc::now().timestamp() + self.clock_offset.load(Ordering::Relaxed);
        all.push(("timestamp".into(), now.to_string()));
        let nonce = self.nonce.fetch_add(1, Ordering::Relaxed);
        all.push((
            "nonce".into(),
            format!("{}_{nonce}", chrono::Utc::now().timestamp_millis()),
        ));
        let sig = signature(&self.config.secret, &base_string("POST", url, &all))?;
        all.push(("sig".into(), sig));
        Ok(all)
    }

    /// Calls a method; the body of a successful answer (errorCode 0). Transport errors, HTTP
    /// 5xx and 429, and the retryable error codes are retried under the shared policy
    /// (the engine's one retry policy, [`RetryPolicy`]); a 403002 (expired) is signed again once with the server's clock,
    /// within the same attempt.
    pub async fn call(&self, method: &str, params: &[(&str, String)]) -> Result<Value, EngineError> {
        let url = self.url(method);
        let resynced = AtomicBool::new(false);
        let (url, resynced) = (&url, &resynced);
        retry::retrying(&self.retry, |_| async move {
            loop {
                let form = match self.signed(url, params) {
                    Ok(form) => form,
                    Err(e) => return Attempt::Done(Err(e)),
                };
                let response = match self.http.post(url).form(&form).send().await {
                    Ok(response) => response,
                    Err(e) => {
                        let again = retry::transient(&e);
                        let error = EngineError::Transport {
                            service: SERVICE,
                            message: e.to_string(),
                        };
                        return if again {
                            Attempt::Again {
                                last: Err(error),
                                wait: None,
                            }
                        } else {
                            Attempt::Done(Err(error))
                        };
                    }
                };
                let server_time = response
                    .headers()
                    .get("date")
                    .and_then(|d| d.to_str().ok())
                    .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
                    .map(|d| d.timestamp());
                let status = response.status().as_u16();
                let hint = (status == 429)
                    .then(|| retry::hinted_wait(response.headers()))
                    .flatten();
                let text = match response.text().await {
                    Ok(text) => text,
                    Err(e) => {
                        return Attempt::Again {
                            last: Err(EngineError::Transport {
                                service: SERVICE,
                                message: e.to_string(),
                            }),
                            wait: None,
                        };
                    }
                };
                let body: Value = match serde_json::from_str(&text) {
                    Ok(body) => body,
                    Err(_) => {
                        let error = EngineError::Service {
                            service: SERVICE,
                            status,
                            message: format!("not JSON: {}", text.chars().take(200).collect::<String>()),
                        };
                        return if status >= 500 || status == 429 {
                            Attempt::Again {
                                last: Err(error),
                                wait: hint,
                            }
                        } else {
                            Attempt::Done(Err(error))
                        };
                    }
                };
                let code = body
                    .get("errorCode")
                    .and_then(Value::as_i64)
                    .unwrap_or(if status == 200 { 0 } else { i64::from(status) });
                if code == 0 {
                    return Attempt::Done(Ok(body));
                }
                if code == 403002
                    && !resynced.load(Ordering::Relaxed)
                    && let Some(server) = server_time
                {
                    // The signature's timestamp is outside the server's window: adopt its
                    // clock and sign again.
                    self.clock_offset
                        .store(server - chrono::Utc::now().timestamp(), Ordering::Relaxed);
                    resynced.store(true, Ordering::Relaxed);
                    continue;
                }
                let message = [body.get("errorMessage"), body.get("errorDetails")]
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(": ");
                let error = EngineError::Gigya {
                    method: method.to_owned(),
                    code,
                    message,
                };
                return if retryable(code) {
                    Attempt::Again {
                        last: Err(error),
                        wait: hint,
                    }
                } else {
                    Attempt::Done(Err(error))
                };
            }
        })
        .await
    }

    /// One page of `accounts.search`: the first (`query`, opening a cursor) or the next
    /// (`cursor`). Returns the accounts and the cursor of the following page, if any.
    pub async fn search_page(
        &self,
        query: &str,
        cursor: Option<&str>,
    ) -> Result<(Vec<Value>, Option<String>), EngineError> {
        let mut body = match cursor {
            None => {
                self.call(
                    "accounts.search",
                    &[("query", query.to_owned()), ("openCursor", "true".into())],
                )
                .await?
            }
            Some(cursor) => self.call("accounts.search", &[("cursorId", cursor.to_owned())]).await?,
        };
        let results = match body.get_mut("results").map(Value::take) {
            Some(Value::Array(items)) => items,
            _ => vec![],
        };
        let next = body.get("nextCursorId").and_then(Value::as_str).map(str::to_owned);
        Ok((results, next))
    }

    /// Creates a dataflow; its id.
    pub async fn create_dataflow(&self, dataflow: &Value) -> Result<String, EngineError> {
        let body = self
            .call("idx.createDataflow", &[("data", dataflow.to_string())])
            .await?;
        body.get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| EngineError::Service {
                service: SERVICE,
                status: 200,
                message: "idx.createDataflow answered without an id".into(),
            })
    }

    /// Schedules a dataflow to run once, now; the scheduling's id.
    pub async fn run_once(&self, dataflow_id: &str, name: &str) -> Result<String, EngineError> {
        let scheduling =
            json!({ "name": name, "dataflowId": dataflow_id, "frequencyType": "once", "logLevel": "info" });
        let body = self
            .call("idx.createScheduling", &[("data", scheduling.to_string())])
            .await?;
        body.get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| EngineError::Service {
                service: SERVICE,
                status: 200,
                message: "idx.createScheduling answered without an id".into(),
            })
    }

    /// The newest job of a dataflow, from `idx.search` on `idx_job_status`.
    pub async fn latest_job(&self, dataflow_id: &str) -> Result<Option<Value>, EngineError> {
        let query =
            format!("SELECT * FROM idx_job_status WHERE dataflowId='{dataflow_id}' ORDER BY updateTime DESC LIMIT 1");
        let body = self.call("idx.search", &[("query", query)]).await?;
        Ok(body
            .get("results")
            .and_then(Value::as_array)
            .and_then(|r| r.first().cloned()))
    }

    /// Waits for the dataflow's job to succeed; its status object. The limit counts the time
    /// waited through the policy's sleeper as well as the wall time, so that a sleeper that
    /// moves a virtual clock (the scenario runner's) still ends a job that never finishes.
    pub async fn wait_for_job(&self, dataflow_id: &str, poll: Duration, limit: Duration) -> Result<Value, EngineError> {
        let started = std::time::Instant::now();
        let mut waited = Duration::ZERO;
        loop {
            if let Some(job) = self.latest_job(dataflow_id).await? {
                match job.get("status").and_then(Value::as_str) {
                    Some("succeeded") => return Ok(job),
                    Some(status @ ("failed" | "killed")) => {
                        let trace = job
                            .get("trace")
                            .or_else(|| job.get("errorMessage"))
                            .map(|t| t.to_string())
                            .unwrap_or_default();
                        return Err(EngineError::Gigya {
                            method: "IdentitySync job".into(),
                            code: 0,
                            message: format!("{status}: {trace}"),
                        });
                    }
                    _ => {}
                }
            }
            if started.elapsed().max(waited) > limit {
                return Err(EngineError::Transport {
                    service: SERVICE,
                    message: format!("the IdentitySync job did not finish within {limit:?}"),
                });
            }
            self.retry.sleeper.sleep(poll).await;
            waited += poll;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IdentitySync job that never finishes ends at the limit even when the sleeper takes no
    /// wall time (the scenario runner's moves a virtual clock): the limit counts the waits.
    #[tokio::test]
    async fn a_job_that_never_finishes_ends_at_the_limit_of_waited_time() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        // A loopback Gigya whose job is always running.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let body = json!({ "errorCode": 0, "statusCode": 200, "results": [{ "status": "running" }] }).to_string();
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = vec![0; 64 * 1024];
                let _ = socket.read(&mut buf).await;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            }
        });
        let waits = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = waits.clone();
        let retry = RetryPolicy {
            sleeper: retry::Sleeper::new(move |wait| {
                seen.lock().expect("waits").push(wait);
                Box::pin(async {})
            }),
            ..RetryPolicy::none()
        };
        let client = GigyaClient::new(
            GigyaConfig {
                base_url: Some(url),
                data_center: "us1.gigya.com".into(),
                api_key: "key".into(),
                user_key: Some("user".into()),
                secret: STANDARD.encode(b"secret"),
            },
            sandbox::net::client_builder().build().expect("an HTTP client"),
            retry,
        );
        let started = std::time::Instant::now();
        let error = client
            .wait_for_job("df", Duration::from_secs(30), Duration::from_secs(600))
            .await
            .expect_err("a job that never finishes");
        assert!(error.to_string().contains("did not finish within 600s"), "{error}");
        // 600 s of 30 s waits: the 21st read finds 630 s waited.
        assert_eq!(waits.lock().expect("waits").len(), 21);
        assert!(started.elapsed() < Duration::from_secs(30), "no wall time was slept");
    }

    #[test]
    fn signs_the_documented_test_vector() {
        // gigya.md §1.4.
        let params: Vec<(String, String)> = [
            ("apiKey", "3_testApiKey"),
            ("userKey", "AKtestUserKey"),
            ("query", "SELECT * FROM accounts LIMIT 2"),
            ("openCursor", "true"),
            ("format", "json"),
            ("httpStatusCodes", "false"),
            ("timestamp", "1700000000"),
            ("nonce", "1700000000000_42"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let base = base_string("POST", "https://accounts.us1.gigya.com/accounts.search", &params);
        assert_eq!(
            base,
            "POST&https%3A%2F%2Faccounts.us1.gigya.com%2Faccounts.search&apiKey%3D3_testApiKey%26format%3Djson%26httpStatusCodes%3Dfalse%26nonce%3D1700000000000_42%26openCursor%3Dtrue%26query%3DSELECT%2520%252A%2520FROM%2520accounts%2520LIMIT%25202%26timestamp%3D1700000000%26userKey%3DAKtestUserKey"
        );
        assert_eq!(
            signature("c2VjcmV0LWtleS1mb3ItdGVzdHM=", &base).expect("valid secret"),
            "PECqY142I87f5MwIwHEocpbrScs="
        );
    }

    #[test]
    fn normalizes_urls() {
        assert_eq!(
            normalize_url("HTTPS://Accounts.US1.gigya.com:443/accounts.search"),
            "https://accounts.us1.gigya.com/accounts.search"
        );
        assert_eq!(
            normalize_url("http://127.0.0.1:4010/accounts.search"),
            "http://127.0.0.1:4010/accounts.search"
        );
    }
}
