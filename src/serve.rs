//! `ferry serve`: every mock on loopback (ephemeral ports unless chosen), seeded from a file,
//! until Ctrl-C. Prints the base URLs and the credentials to use.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use mocks::auth0::Auth0;
use mocks::auth0::seed::Auth0Seed;
use mocks::okta::{Okta, OktaSeed};
use mocks::{Kit, MockServer, Provider, SeedError};
use serde::Deserialize;

/// A seed file for `ferry serve --seed`: one section per mock.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeSeed {
    pub okta: Option<OktaSeed>,
    pub auth0: Option<Auth0Seed>,
}

/// Where to listen.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub host: IpAddr,
    pub okta_port: u16,
    pub auth0_port: u16,
}

/// The running mocks.
#[derive(Debug)]
pub struct Served {
    pub okta: Okta,
    pub auth0: Auth0,
    pub servers: Vec<MockServer>,
}

/// Why the mocks could not be served.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Seed(#[from] SeedError),
    #[error("cannot listen on {addr} for {mock}: {source}")]
    Bind {
        mock: &'static str,
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Starts every mock, seeded from `seed_file` when given.
pub async fn start(options: &ServeOptions, seed_file: Option<&Path>) -> Result<Served, ServeError> {
    let seed: ServeSeed = match seed_file {
        Some(path) => mocks::kit::seed::load(path)?,
        None => ServeSeed::default(),
    };
    let okta = Okta::new(Kit::default());
    let auth0 = Auth0::new(Kit::default());
    if let Some(s) = seed.okta {
        okta.seed(s)?;
    }
    if let Some(s) = seed.auth0 {
        auth0.seed(s)?;
    }
    let mut servers = vec![];
    let addr = SocketAddr::new(options.host, options.okta_port);
    servers.push(
        mocks::start(okta.clone(), addr)
            .await
            .map_err(|source| ServeError::Bind {
                mock: "okta",
                addr,
                source,
            })?,
    );
    let addr = SocketAddr::new(options.host, options.auth0_port);
    servers.push(
        mocks::start(auth0.clone(), addr)
            .await
            .map_err(|source| ServeError::Bind {
                mock: "auth0",
                addr,
                source,
            })?,
    );
    Ok(Served {
        okta,
        auth0,
        servers,
    })
}

impl Served {
    /// What `ferry serve` prints: each mock's URL and the credentials to use with it.
    pub fn banner(&self) -> String {
        let mut out = String::new();
        for server in &self.servers {
            let _ = writeln!(out, "{:<6} {}", server.name(), server.base_url());
            match server.name() {
                "okta" => {
                    for token in self.okta.settings().api_tokens.iter().map(|t| &t.token) {
                        let _ =
                            writeln!(out, "         API token (Authorization: SSWS …): {token}");
                    }
                }
                "auth0" => {
                    let _ = writeln!(
                        out,
                        "         Management API audience: {}",
                        self.auth0.management_audience()
                    );
                    for (name, id, secret) in self.auth0.clients() {
                        let _ = writeln!(
                            out,
                            "         {name}: client_id={id} client_secret={secret}"
                        );
                    }
                }
                _ => {}
            }
        }
        let _ = writeln!(
            out,
            "Admin endpoints under /__ferry/ on each mock (journal, seed, reset, faults). Ctrl-C stops."
        );
        out
    }

    /// Stops every mock and waits for them.
    pub async fn shutdown(self) {
        for server in self.servers {
            server.shutdown().await;
        }
    }
}
