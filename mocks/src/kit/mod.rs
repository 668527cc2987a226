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
pub mod ids;
pub mod journal;
mod layer;
pub mod ratelimit;
pub mod secrets;
pub mod seed;
pub(crate) mod serde_iso;
pub mod server;

use std::sync::{Arc, OnceLock};

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

pub use self::server::{LOOPBACK_EPHEMERAL, MockServer, PeerAddr, start};
