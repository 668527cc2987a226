//! Sandbox configuration: limits, the outbound HTTP policy and the HTTP client used by
//! `request`.

use std::time::Duration;

use serde::Serialize;

use crate::outbound::{Outbound, Routes};
use crate::outcome::{serialize_millis, serialize_opt_millis};

/// Configuration shared by every call of a [`crate::Sandbox`]. Serialises without the HTTP
/// client, durations in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct SandboxConfig {
    /// Execution limit per call (Auth0: about 20 s). Enforced inside the engine (a busy loop
    /// is interrupted) and while waiting for I/O or timers.
    #[serde(serialize_with = "serialize_millis")]
    pub time_limit: Duration,
    /// Memory limit per call, in bytes (0: unlimited): the JavaScript heap and the HTTP
    /// response bodies being received count against it together, and a single body may take at
    /// most a quarter of it. Exceeding either ends the call with
    /// [`crate::CallResult::OutOfMemory`]. (A call's requests are also limited in number: 20
    /// in flight at once, each with at most one socket, and 500 in all.)
    pub memory_limit: usize,
    /// Client used for every `request(...)`. The sandbox follows redirects itself, with the
    /// `request` module's rules, so this client should not follow redirects
    /// (`reqwest::redirect::Policy::none()`, as the default client does); a client that does
    /// hides the intermediate hops.
    #[serde(skip)]
    pub http: reqwest::Client,
    /// Timeout applied to requests that do not set `timeout` themselves (Node's `request`
    /// has none by default; the time limit still applies).
    #[serde(serialize_with = "serialize_opt_millis")]
    pub http_timeout_default: Option<Duration>,
    /// Hosts `request` may reach; every hop (redirects included) is checked before it is
    /// sent. Default: loopback only ([`Outbound::loopback`]). A refused request fails with
    /// `connect EACCES <host>:<port> (outbound request not allowed by the sandbox: ...)`,
    /// code `EACCES`, and is logged in [`crate::CallOutcome::http`] with that error.
    pub outbound: Outbound,
    /// Hosts whose requests go elsewhere (a mock on loopback) without their name being
    /// resolved: `https://acme.okta.com/api/v1/authn` to the mock Okta, with
    /// `Host: acme.okta.com`. A routed host needs no [`Outbound`] rule. Default: none.
    #[serde(skip_serializing_if = "Routes::is_empty")]
    pub routes: Routes,
}

impl Default for SandboxConfig {
    /// 20 s, 64 MiB, a non-redirecting client without proxy, no default HTTP timeout,
    /// loopback hosts only.
    fn default() -> Self {
        Self {
            time_limit: Duration::from_secs(20),
            memory_limit: 64 * 1024 * 1024,
            http: default_client(),
            http_timeout_default: None,
            outbound: Outbound::default(),
            routes: Routes::default(),
        }
    }
}

/// The default HTTP client: [`crate::net::script_client_builder`]'s (no redirects, no proxy).
///
/// Built once per process and cloned (a clone shares the pool): building a client reads the
/// system's root certificates, which costs more than a whole script call, and
/// `..SandboxConfig::default()` builds the default even where `http` is given.
fn default_client() -> reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| {
            crate::net::script_client_builder()
                .build()
                .expect("building the default reqwest client")
        })
        .clone()
}
