//! Sending a request with retries: on 429 and 5xx answers and on transport errors, with
//! exponential back-off, honouring the service's own hint (`Retry-After`, or a rate-limit
//! reset time in epoch seconds) when it gives one. Both Auth0 and Okta document their
//! rate-limit headers; Auth0's SDKs retry exactly this way.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, Response, StatusCode};

use super::error::EngineError;

/// How hard to try.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts in all (the first one included).
    pub attempts: u32,
    /// First back-off; doubled after every failed attempt.
    pub base_delay: Duration,
    /// Longest single wait, whatever the service says.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 6,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            attempts: 1,
            ..Self::default()
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.min(16));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// The wait a 429 asks for: `Retry-After` (seconds), else a reset time in epoch seconds
/// (`X-RateLimit-Reset`, `X-Rate-Limit-Reset`) measured against the answer's `Date` (the
/// service's clock, so that clock skew does not matter), else the current time.
pub(crate) fn hinted_wait(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(seconds) = header("retry-after").and_then(|v| v.parse::<u64>().ok()) {
        return Some(Duration::from_secs(seconds));
    }
    let reset = header("x-ratelimit-reset")
        .or_else(|| header("x-rate-limit-reset"))?
        .parse::<i64>()
        .ok()?;
    let now = header("date")
        .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
        .map(|d| d.timestamp())
        .unwrap_or_else(|| chrono::Utc::now().timestamp());
    Some(Duration::from_secs(u64::try_from(reset - now).unwrap_or(0).max(1)))
}

fn retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// Sends `make()` until it answers with something other than 429/5xx or the attempts run out;
/// returns the last answer (which may still be a 429 or 5xx: the caller turns it into an error).
pub(crate) async fn send(
    service: &'static str,
    policy: &RetryPolicy,
    make: impl Fn() -> RequestBuilder,
) -> Result<Response, EngineError> {
    send_with(service, policy, make, true).await
}

/// As [`send`], but a 429 is returned at once (for callers that have a better way to wait).
pub(crate) async fn send_unless_429(
    service: &'static str,
    policy: &RetryPolicy,
    make: impl Fn() -> RequestBuilder,
) -> Result<Response, EngineError> {
    send_with(service, policy, make, false).await
}

async fn send_with(
    service: &'static str,
    policy: &RetryPolicy,
    make: impl Fn() -> RequestBuilder,
    retry_429: bool,
) -> Result<Response, EngineError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let last = attempt >= policy.attempts;
        match make().send().await {
            Ok(response) if response.status() == StatusCode::TOO_MANY_REQUESTS && !retry_429 => return Ok(response),
            Ok(response) if retryable(response.status()) && !last => {
                let wait = if response.status() == StatusCode::TOO_MANY_REQUESTS {
                    hinted_wait(response.headers()).unwrap_or_else(|| policy.backoff(attempt))
                } else {
                    policy.backoff(attempt)
                };
                tokio::time::sleep(wait.min(policy.max_delay)).await;
            }
            Ok(response) => return Ok(response),
            Err(e) if !last && (e.is_connect() || e.is_timeout() || e.is_request()) => {
                tokio::time::sleep(policy.backoff(attempt)).await;
            }
            Err(e) => {
                return Err(EngineError::Transport {
                    service,
                    message: e.to_string(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderValue};

    use super::*;

    #[test]
    fn reads_the_services_hint() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(hinted_wait(&headers), Some(Duration::from_secs(3)));
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-reset", HeaderValue::from_static("1700000005"));
        headers.insert("date", HeaderValue::from_static("Tue, 14 Nov 2023 22:13:20 GMT"));
        assert_eq!(hinted_wait(&headers), Some(Duration::from_secs(5)));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
        };
        assert_eq!(policy.backoff(1), Duration::from_millis(200));
        assert_eq!(policy.backoff(2), Duration::from_millis(400));
        assert_eq!(policy.backoff(3), Duration::from_millis(500));
    }
}
