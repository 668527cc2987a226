//! The one way the workspace builds HTTP clients.
//!
//! Every `reqwest::Client` in Ferry (the sandbox's `request`, the mocks' outbound calls, the
//! engine, the scenario runner, the dashboard, the benches and the tests) starts from
//! [`client_builder`]. reqwest is built with its `rustls-no-provider` feature: its `rustls`
//! feature would bring aws-lc-rs, whose C library was the largest single cost of a cold build
//! (about 34 s of a 3 min 10 s release build on 2 cores; BENCHMARKS §6), and reqwest 0.13 has no
//! feature for ring. Without a provider of its own, reqwest takes the process's default rustls
//! provider when a client is built, and panics if none is installed. [`client_builder`]
//! installs ring's first, once per process, so no client can be built without it.
//!
//! The mocks' HTTPS servers name their provider explicitly (`mocks::kit::tls`), so they do not
//! depend on the process default; both are ring.

use std::sync::Once;

/// A `reqwest::ClientBuilder`, with ring installed as the process's rustls crypto provider.
///
/// Use it wherever a client is built, instead of `reqwest::Client::new()` (write
/// `client_builder().build()`, and handle its error) or `reqwest::Client::builder()`.
/// Installing the provider is done once per process; if another provider was installed
/// first (by a program embedding Ferry's crates), that one is kept.
pub fn client_builder() -> reqwest::ClientBuilder {
    install_crypto_provider();
    reqwest::Client::builder()
}

/// [`client_builder`] with the policy of the client scripts' `request` calls go through: no
/// redirects (the sandbox follows them itself, with the `request` module's rules, and a client
/// that did would hide the hops) and no proxy from the environment (the mocks are local).
pub fn script_client_builder() -> reqwest::ClientBuilder {
    client_builder().redirect(reqwest::redirect::Policy::none()).no_proxy()
}

/// Installs ring as the process's default rustls provider, once; keeps one already installed.
fn install_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // `Err` means a provider was installed already (by the embedding program): keep it.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_builds_and_ring_is_the_process_provider() {
        let client = client_builder().build();
        assert!(client.is_ok(), "{client:?}");
        let installed = rustls::crypto::CryptoProvider::get_default().expect("a provider is installed");
        // the provider's Debug names its implementations (`Ring`, not `AwsLcRs`)
        let ring = rustls::crypto::ring::default_provider();
        assert_eq!(format!("{installed:?}"), format!("{ring:?}"));
        // a second call neither panics nor replaces it
        assert!(client_builder().build().is_ok());
    }
}
