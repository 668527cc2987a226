//! The engine's one retry policy: how many attempts, the back-off between them (doubling from
//! `base_delay`), and the longest wait (`max_delay`, whatever a service asks). [`retrying`] runs
//! any attempt under it; [`send`] is the HTTP case: 429 and 5xx answers and transport errors are
//! retried, honouring the service's own hint (`Retry-After`, or a rate-limit reset time in epoch
//! seconds) when it gives one. Both Auth0 and Okta document their rate-limit headers; Auth0's
//! SDKs retry exactly this way. Gigya answers errors in the body (HTTP 200 with an
//! `errorCode`), so its client decides per answer and retries through [`retrying`] too.
//!
//! Every wait of a run — a back-off, the time a service asks for, the pause between two reads
//! of an import job — goes through the policy's [`Sleeper`]: tokio's timer in production, and
//! whatever clock the caller runs otherwise (Ferry's scenario runner moves its virtual clock
//! instead of sleeping, so a run that waits minutes for Auth0's jobs takes no wall time).

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, Response, StatusCode};

use super::error::EngineError;

/// How the engine waits.
#[derive(Clone)]
pub struct Sleeper(Arc<dyn Fn(Duration) -> BoxFuture<'static, ()> + Send + Sync>);

impl Sleeper {
    /// Sleeps on tokio's timer: real time.
    pub fn tokio() -> Self {
        Self::new(|wait| Box::pin(tokio::time::sleep(wait)))
    }

    /// Waits with `wait`, given how long to wait.
    pub fn new(wait: impl Fn(Duration) -> BoxFuture<'static, ()> + Send + Sync + 'static) -> Self {
        Self(Arc::new(wait))
    }

    /// Waits `duration`.
    pub async fn sleep(&self, duration: Duration) {
        (self.0)(duration).await;
    }
}

impl Default for Sleeper {
    fn default() -> Self {
        Self::tokio()
    }
}

impl std::fmt::Debug for Sleeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sleeper")
    }
}

/// How hard to try, and how to wait.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts in all (the first one included).
    pub attempts: u32,
    /// First back-off; doubled after every failed attempt.
    pub base_delay: Duration,
    /// Longest single wait, whatever the service says.
    pub max_delay: Duration,
    /// What every wait goes through.
    pub sleeper: Sleeper,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 6,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(30),
            sleeper: Sleeper::tokio(),
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

    /// The wait after failed attempt number `attempt`: what the service asked for when it said,
    /// else the back-off; at most `max_delay` either way.
    pub(crate) fn wait(&self, attempt: u32, hint: Option<Duration>) -> Duration {
        hint.unwrap_or_else(|| self.backoff(attempt)).min(self.max_delay)
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

/// Whether a failed request is worth another try: the connection could not be made, timed out,
/// or broke while the request was sent.
pub(crate) fn transient(error: &reqwest::Error) -> bool {
    error.is_connect() || error.is_timeout() || error.is_request()
}

/// What one attempt came to.
#[derive(Debug)]
pub(crate) enum Attempt<T> {
    /// The answer to give, success or failure.
    Done(Result<T, EngineError>),
    /// Worth another try, after `wait` when the service named one (else the policy's back-off);
    /// `last` is the answer to give when no attempt is left.
    Again {
        last: Result<T, EngineError>,
        wait: Option<Duration>,
    },
}

/// Runs `attempt` (given its number, from 1) until it is done or the policy's attempts run out,
/// waiting between two attempts as the service asked or with exponential back-off, never longer
/// than `max_delay`. Every retry in the engine goes through here.
pub(crate) async fn retrying<T, F, Fut>(policy: &RetryPolicy, mut attempt: F) -> Result<T, EngineError>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Attempt<T>>,
{
    let mut number = 0;
    loop {
        number += 1;
        match attempt(number).await {
            Attempt::Done(result) => return result,
            Attempt::Again { last, .. } if number >= policy.attempts => return last,
            Attempt::Again { wait, .. } => policy.sleeper.sleep(policy.wait(number, wait)).await,
        }
    }
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
    retrying(policy, |_| {
        let request = make();
        async move { send_once(service, request, retry_429).await }
    })
    .await
}

async fn send_once(service: &'static str, request: RequestBuilder, retry_429: bool) -> Attempt<Response> {
    match request.send().await {
        Ok(response) if response.status() == StatusCode::TOO_MANY_REQUESTS && !retry_429 => Attempt::Done(Ok(response)),
        Ok(response) if retryable(response.status()) => {
            let wait = if response.status() == StatusCode::TOO_MANY_REQUESTS {
                hinted_wait(response.headers())
            } else {
                None
            };
            Attempt::Again {
                last: Ok(response),
                wait,
            }
        }
        Ok(response) => Attempt::Done(Ok(response)),
        Err(e) => {
            let again = transient(&e);
            let error = EngineError::Transport {
                service,
                message: e.to_string(),
            };
            if again {
                Attempt::Again {
                    last: Err(error),
                    wait: None,
                }
            } else {
                Attempt::Done(Err(error))
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
            ..RetryPolicy::default()
        };
        assert_eq!(policy.backoff(1), Duration::from_millis(200));
        assert_eq!(policy.backoff(2), Duration::from_millis(400));
        assert_eq!(policy.backoff(3), Duration::from_millis(500));
        // A service's hint is honoured up to the cap too.
        assert_eq!(
            policy.wait(1, Some(Duration::from_secs(60))),
            Duration::from_millis(500)
        );
        assert_eq!(
            policy.wait(1, Some(Duration::from_millis(50))),
            Duration::from_millis(50)
        );
        assert_eq!(policy.wait(2, None), Duration::from_millis(400));
    }

    fn instant(attempts: u32) -> RetryPolicy {
        RetryPolicy {
            attempts,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
            ..RetryPolicy::default()
        }
    }

    #[tokio::test]
    async fn every_wait_goes_through_the_policys_sleeper() {
        // A sleeper that keeps the waits instead of sleeping (as the scenario runner's moves
        // its clock): the waits are the service's hint, else the back-off, capped.
        let waits = Arc::new(std::sync::Mutex::new(vec![]));
        let kept = Arc::clone(&waits);
        let policy = RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
            sleeper: Sleeper::new(move |wait| {
                kept.lock().expect("lock").push(wait);
                Box::pin(async {})
            }),
        };
        let started = std::time::Instant::now();
        let result: Result<(), EngineError> = retrying(&policy, |n| async move {
            Attempt::Again {
                last: Err(EngineError::Config(format!("attempt {n}"))),
                wait: (n == 2).then_some(Duration::from_secs(60)),
            }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(
            *waits.lock().expect("lock"),
            [Duration::from_secs(2), Duration::from_secs(10), Duration::from_secs(8)]
        );
        assert!(started.elapsed() < Duration::from_secs(1), "no real time spent");
    }

    #[tokio::test]
    async fn retrying_stops_when_done_or_out_of_attempts() {
        // Done on the third attempt.
        let mut seen = vec![];
        let result = retrying(&instant(5), |n| {
            seen.push(n);
            async move {
                if n < 3 {
                    Attempt::Again {
                        last: Err(EngineError::Config(format!("attempt {n}"))),
                        wait: None,
                    }
                } else {
                    Attempt::Done(Ok(n))
                }
            }
        })
        .await;
        assert_eq!(result.expect("done"), 3);
        assert_eq!(seen, [1, 2, 3]);
        // Out of attempts: the last answer, whatever it is.
        let mut calls = 0;
        let result: Result<u32, EngineError> = retrying(&instant(4), |n| {
            calls += 1;
            async move {
                Attempt::Again {
                    last: Err(EngineError::Config(format!("attempt {n}"))),
                    wait: Some(Duration::from_secs(3600)),
                }
            }
        })
        .await;
        assert_eq!(calls, 4);
        assert_eq!(result.expect_err("out of attempts").to_string(), "attempt 4");
        // No retries at all: one attempt.
        let mut calls = 0;
        let result = retrying(&RetryPolicy::none(), |_| {
            calls += 1;
            async {
                Attempt::Again {
                    last: Ok("the 503 as it came"),
                    wait: None,
                }
            }
        })
        .await;
        assert_eq!((calls, result.expect("the last answer")), (1, "the 503 as it came"));
        // A final failure is not retried.
        let mut calls = 0;
        let result: Result<(), EngineError> = retrying(&instant(5), |_| {
            calls += 1;
            async { Attempt::Done(Err(EngineError::Config("bad credentials".into()))) }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls, 1);
    }
}
