//! The kit every mock is built on: a [`Provider`] supplies its routes, seed type and error
//! shape; the kit adds the request journal, fault injection, the `/__ferry/` admin endpoints,
//! the clock and id generator, and serving on a socket ([`start`]).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use mocks::{Kit, okta::Okta};
//! let okta = Okta::new(Kit::default());
//! let server = mocks::start(okta.clone(), mocks::LOOPBACK_EPHEMERAL).await?;
//! println!("Okta at {}", server.base_url());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

pub(crate) mod admin;
pub mod clock;
pub mod fault;
pub mod hosts;
pub mod ids;
pub mod journal;
mod layer;
pub(crate) mod mask;
pub mod ratelimit;
pub mod secrets;
pub mod seed;
pub(crate) mod serde_iso;
pub mod server;
pub mod tls;

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::Response;
use serde::de::DeserializeOwned;

use self::clock::Clock;
use self::fault::Faults;
use self::ids::Ids;
use self::journal::Journal;
use self::seed::SeedError;

/// Largest request body any mock accepts (bigger ones get the provider's 413).
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// Default time a request body may take to arrive in full, once its headers have (the headers
/// themselves are bounded by the server: [`server::HEADER_TIMEOUT`]).
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// Default number of journal entries kept per mock.
pub const DEFAULT_JOURNAL_CAPACITY: usize = 10_000;

pub use self::secrets::COMMON_SECRET_FIELDS;

/// What the mocks of one run share or own: clock, ids, journal, faults, and the base URL the
/// mock is reachable at (known once it is bound).
#[derive(Clone, Debug)]
pub struct Kit {
    pub clock: Clock,
    pub ids: Ids,
    pub journal: Journal,
    pub faults: Faults,
    base_url: Arc<OnceLock<String>>,
    /// Origins besides the mock's own whose pages may call the admin endpoints.
    allowed_origins: Arc<RwLock<Vec<String>>>,
    /// Milliseconds a request body may take to arrive.
    body_timeout_ms: Arc<AtomicU64>,
}

/// How to build a [`Kit`].
#[derive(Clone, Debug)]
pub struct KitOptions {
    pub clock: Clock,
    /// Seed for ids; random when absent.
    pub seed: Option<u64>,
    pub journal_capacity: usize,
}

impl Default for KitOptions {
    fn default() -> Self {
        Self {
            clock: Clock::system(),
            seed: None,
            journal_capacity: DEFAULT_JOURNAL_CAPACITY,
        }
    }
}

impl Kit {
    pub fn new(options: KitOptions) -> Self {
        Self {
            clock: options.clock,
            ids: options.seed.map_or_else(Ids::random, Ids::seeded),
            journal: Journal::new(options.journal_capacity),
            faults: options.seed.map_or_else(Faults::default, Faults::seeded),
            base_url: Arc::default(),
            allowed_origins: Arc::default(),
            body_timeout_ms: Arc::new(AtomicU64::new(DEFAULT_BODY_TIMEOUT.as_millis() as u64)),
        }
    }

    /// A deterministic kit for tests and scenarios: manual clock at the scenario epoch, ids
    /// seeded with `seed`.
    pub fn deterministic(clock: Clock, seed: u64) -> Self {
        Self::new(KitOptions {
            clock,
            seed: Some(seed),
            journal_capacity: DEFAULT_JOURNAL_CAPACITY,
        })
    }

    /// The base URL the mock was started at (`http://127.0.0.1:PORT`), or a placeholder
    /// (`http://localhost`) when it is used without a socket (router tests).
    pub fn base_url(&self) -> &str {
        self.base_url.get().map_or("http://localhost", String::as_str)
    }

    /// Records the base URL; the first call wins (a kit serves one socket).
    pub fn set_base_url(&self, url: String) {
        let _ = self.base_url.set(url);
    }

    /// Lets pages of `origin` (`http://127.0.0.1:4000`, scheme, host and port) call the admin
    /// endpoints, as the mock's own pages may: for a dashboard served on another port.
    pub fn allow_origin(&self, origin: &str) {
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        let mut allowed = self.allowed_origins.write().unwrap_or_else(PoisonError::into_inner);
        if !allowed.contains(&origin) {
            allowed.push(origin);
        }
    }

    /// Whether a request with this `Origin` header may call the admin endpoints: the mock's own
    /// origin (under any loopback name, same port) or an allowed one. `null` never is.
    pub fn admits_origin(&self, origin: &str) -> bool {
        let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
        let own = self.base_url().to_ascii_lowercase();
        if origin == own
            || self
                .allowed_origins
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .contains(&origin)
        {
            return true;
        }
        let Some((scheme, authority)) = origin.split_once("://") else {
            return false;
        };
        let (host, port) = split_authority(authority);
        let (_, own_authority) = own.split_once("://").unwrap_or(("", &own));
        scheme == "http" && is_loopback_name(host) && port.is_some() && port == split_authority(own_authority).1
    }

    /// Whether a request with this `Host` header may call the admin endpoints: an IP address,
    /// `localhost` (or a name under it), or the host of the mock's own or an allowed origin. Any
    /// other name may be a DNS-rebinding page that made its own name resolve to this machine.
    pub fn admits_host(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        let (name, _) = split_authority(&host);
        let name = name.trim_end_matches('.');
        if name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok()
            || name == "localhost"
            || name.ends_with(".localhost")
        {
            return true;
        }
        let host_of = |origin: &str| {
            let authority = origin.split_once("://").map_or(origin, |(_, a)| a);
            split_authority(authority).0.to_owned()
        };
        host_of(&self.base_url().to_ascii_lowercase()) == name
            || self
                .allowed_origins
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .any(|o| host_of(o) == name)
    }

    /// How long a request body may take to arrive in full (default [`DEFAULT_BODY_TIMEOUT`]);
    /// a slower one is answered with the provider's 408 and its connection closed.
    pub fn body_timeout(&self) -> Duration {
        Duration::from_millis(self.body_timeout_ms.load(Ordering::Relaxed))
    }

    /// Sets [`Kit::body_timeout`] (at least 1 ms).
    pub fn set_body_timeout(&self, timeout: Duration) {
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX).max(1);
        self.body_timeout_ms.store(ms, Ordering::Relaxed);
    }
}

/// `host[:port]` (`[v6]:port` too) split at the port.
fn split_authority(authority: &str) -> (&str, Option<&str>) {
    let authority = authority.split('/').next().unwrap_or("");
    if authority.starts_with('[') {
        return match authority.split_once("]:") {
            Some((host, port)) => (&authority[..host.len() + 1], Some(port)),
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    }
}

/// `localhost`, `127.x.y.z` or `[::1]`.
fn is_loopback_name(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Default for Kit {
    fn default() -> Self {
        Self::new(KitOptions::default())
    }
}

/// A mocked service. Implementations are cheap to clone (`Arc`s inside) and thread-safe.
pub trait Provider: Clone + Send + Sync + 'static {
    /// Lower-case short name: `okta`, `auth0`, `stormpath`, `gigya`.
    const NAME: &'static str;

    /// What seeding accepts (from a file, `POST /__ferry/seed`, or in-process).
    type Seed: DeserializeOwned + Send + 'static;

    /// The kit this provider was built with.
    fn kit(&self) -> &Kit;

    /// The provider's own routes, with its state applied.
    fn routes(&self) -> Router;

    /// Adds seed data; returns a short summary of what was added.
    fn seed(&self, seed: Self::Seed) -> Result<serde_json::Value, SeedError>;

    /// Back to the freshly built state (seeded data, sessions, counters, rate windows).
    fn reset(&self);

    /// The provider's own error answer for `status`, used when a fault injects one and when the
    /// kit must refuse a request (oversized body).
    fn fault_response(&self, status: StatusCode) -> Response;

    /// The provider's own rate-limit refusal for this request (the `rate_limited` fault), as its
    /// real rate limiter answers it: status, body and rate-limit headers. `request` and `body`
    /// are the faulted request's, for providers whose refusal depends on the route or the
    /// parameters. By default the [`Provider::fault_response`] for 429.
    fn rate_limited_response(&self, request: &http::request::Parts, body: &[u8]) -> Response {
        let _ = (request, body);
        self.fault_response(StatusCode::TOO_MANY_REQUESTS)
    }

    /// Body fields and query parameters masked in the journal.
    fn secret_fields(&self) -> &'static [&'static str] {
        COMMON_SECRET_FIELDS
    }

    /// What a client needs besides the base URL (API tokens, keys, application ids), by name.
    /// Scenario files use them as `{{<NAME>.<variable>}}` and `ferry serve` prints them.
    fn variables(&self) -> Vec<(String, String)> {
        vec![]
    }

    /// A view of the provider's state for dashboards and debugging, without secrets.
    fn state(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
}

/// The full application of a mock: its routes, the admin endpoints, journal and faults.
/// Serve it with [`start`], or call it directly with `tower::ServiceExt::oneshot` in tests.
pub fn app<P: Provider>(provider: P) -> Router {
    let admin = admin::router(provider.clone());
    provider
        .routes()
        .merge(admin)
        .layer(axum::middleware::from_fn_with_state(
            layer::LayerState::new(provider),
            layer::kit_layer::<P>,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

pub use self::server::{LOOPBACK_EPHEMERAL, MockServer, PeerAddr, RequestOrigin, start, start_tls};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_origins_and_hosts() {
        let kit = Kit::default();
        kit.set_base_url("http://127.0.0.1:4010".into());
        for origin in [
            "http://127.0.0.1:4010",
            "http://localhost:4010",
            "http://[::1]:4010",
            "HTTP://LOCALHOST:4010/",
        ] {
            assert!(kit.admits_origin(origin), "{origin}");
        }
        for origin in [
            "null",
            "http://evil.test",
            "http://localhost:4011",
            "https://127.0.0.1:4010",
            "http://127.0.0.1",
            "http://evil.test:4010",
            "",
        ] {
            assert!(!kit.admits_origin(origin), "{origin}");
        }
        assert!(!kit.admits_origin("http://127.0.0.1:4000"));
        kit.allow_origin("http://127.0.0.1:4000/");
        assert!(kit.admits_origin("http://127.0.0.1:4000"));
        for host in [
            "127.0.0.1:4010",
            "localhost:4010",
            "LOCALHOST",
            "app.localhost:1",
            "[::1]:4010",
            "10.0.0.5:4010",
            "localhost.:4010",
        ] {
            assert!(kit.admits_host(host), "{host}");
        }
        for host in [
            "evil.test:4010",
            "evil.test",
            "127.0.0.1.evil.test",
            "localhost.evil.test:4010",
            "",
        ] {
            assert!(!kit.admits_host(host), "{host}");
        }
    }

    #[test]
    fn body_timeout_is_set_and_has_a_floor() {
        let kit = Kit::default();
        assert_eq!(kit.body_timeout(), DEFAULT_BODY_TIMEOUT);
        kit.set_body_timeout(Duration::ZERO);
        assert_eq!(kit.body_timeout(), Duration::from_millis(1));
        let clone = kit.clone();
        clone.set_body_timeout(Duration::from_millis(250));
        assert_eq!(kit.body_timeout(), Duration::from_millis(250), "clones share it");
    }
}
