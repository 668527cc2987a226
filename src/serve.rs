//! `ferry serve`: every mock on loopback (ephemeral ports unless chosen), seeded from a file,
//! until Ctrl-C. Prints the base URLs, the credentials to use and each Auth0 connection's "Try
//! connection" link, and hands the dashboard the mocks with the Management application it
//! searches users with.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use mocks::auth0::Auth0;
use mocks::auth0::seed::Auth0Seed;
use mocks::gigya::{Gigya, GigyaSeed};
use mocks::okta::{Okta, OktaSeed};
use mocks::stormpath::{Stormpath, StormpathSeed};
use mocks::{Kit, MockServer, Provider, SeedError};
use serde::Deserialize;

use crate::dashboard::{ManagementClient, MockLink};

/// A seed file for `ferry serve --seed`: one section per mock, each in that mock's seed format
/// (the same as a scenario's sections).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeSeed {
    pub okta: Option<OktaSeed>,
    pub stormpath: Option<StormpathSeed>,
    pub gigya: Option<GigyaSeed>,
    pub auth0: Option<Auth0Seed>,
}

/// Where to listen: one host, a port per mock (0 for any free port).
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub host: IpAddr,
    pub okta_port: u16,
    pub stormpath_port: u16,
    pub gigya_port: u16,
    pub auth0_port: u16,
}

/// The running mocks.
#[derive(Debug)]
pub struct Served {
    pub okta: Okta,
    pub stormpath: Stormpath,
    pub gigya: Gigya,
    pub auth0: Auth0,
    /// Each server with the variables a client needs for it.
    servers: Vec<(MockServer, Vec<(String, String)>)>,
}

/// Why the mocks could not be served.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Seed(#[from] SeedError),
    #[error("cannot listen on {addr} for {mock}: {source}")]
    Bind {
        mock: &'static str,
        addr: SocketAddr,
        source: std::io::Error,
    },
}

async fn serve_one<P: Provider>(
    provider: &P,
    seed: Option<P::Seed>,
    host: IpAddr,
    port: u16,
) -> Result<(MockServer, Vec<(String, String)>), ServeError> {
    if let Some(seed) = seed {
        provider.seed(seed)?;
    }
    let addr = SocketAddr::new(host, port);
    let server = mocks::start(provider.clone(), addr)
        .await
        .map_err(|source| ServeError::Bind {
            mock: P::NAME,
            addr,
            source,
        })?;
    Ok((server, provider.variables()))
}

/// Starts every mock, seeded from `seed_file` when given.
pub async fn start(options: &ServeOptions, seed_file: Option<&Path>) -> Result<Served, ServeError> {
    let seed: ServeSeed = match seed_file {
        Some(path) => mocks::kit::seed::load(path)?,
        None => ServeSeed::default(),
    };
    let okta = Okta::new(Kit::default());
    let stormpath = Stormpath::new(Kit::default());
    let gigya = Gigya::new(Kit::default());
    let auth0 = Auth0::new(Kit::default());
    let servers = vec![
        serve_one(&okta, seed.okta, options.host, options.okta_port).await?,
        serve_one(&stormpath, seed.stormpath, options.host, options.stormpath_port).await?,
        serve_one(&gigya, seed.gigya, options.host, options.gigya_port).await?,
        serve_one(&auth0, seed.auth0, options.host, options.auth0_port).await?,
    ];
    Ok(Served {
        okta,
        stormpath,
        gigya,
        auth0,
        servers,
    })
}

impl Served {
    /// What `ferry serve` prints: each mock's URL and the credentials to use with it.
    pub fn banner(&self) -> String {
        let mut out = String::new();
        for (server, variables) in &self.servers {
            let _ = writeln!(out, "{:<10} {}", server.name(), server.base_url());
            for (name, value) in variables {
                let _ = writeln!(out, "           {name}: {value}");
            }
            if server.name() == "auth0" {
                let _ = writeln!(
                    out,
                    "           Management API audience: {}",
                    self.auth0.management_audience()
                );
                for (name, id, secret) in self.auth0.clients() {
                    let _ = writeln!(out, "           {name}: client_id={id} client_secret={secret}");
                }
                for (connection, url) in self.try_connection_links() {
                    let _ = writeln!(out, "           Try connection {connection}: {url}");
                }
            }
        }
        let _ = writeln!(
            out,
            "Admin endpoints under /__ferry/ on each mock (journal, seed, reset, faults). Ctrl-C stops."
        );
        out
    }

    /// Each Auth0 connection's "Try connection" link (its hosted login page), as the dashboard
    /// shows them.
    pub fn try_connection_links(&self) -> Vec<(String, String)> {
        let Some(base_url) = self.base_url(Auth0::NAME) else {
            return vec![];
        };
        crate::dashboard::try_connection_links(base_url, &self.auth0.state())
    }

    /// The mocks as the dashboard links them: the Auth0 mock with its Management application,
    /// read from the tenant whenever the dashboard needs a token (a reset tenant gets new
    /// credentials).
    pub fn dashboard_links(&self) -> Vec<MockLink> {
        self.servers
            .iter()
            .map(|(server, _)| {
                let link = MockLink::new(server.name(), server.base_url());
                if server.name() != Auth0::NAME {
                    return link;
                }
                let auth0 = self.auth0.clone();
                link.with_management_source(move || {
                    let (id, secret) = auth0.client_credentials(mocks::auth0::MANAGEMENT_APP)?;
                    Some(ManagementClient::new(id, secret).with_audience(auth0.management_audience()))
                })
            })
            .collect()
    }

    /// Base URL of a mock by name.
    pub fn base_url(&self, mock: &str) -> Option<&str> {
        self.servers
            .iter()
            .find(|(s, _)| s.name() == mock)
            .map(|(s, _)| s.base_url())
    }

    /// Stops every mock and waits for them.
    pub async fn shutdown(self) {
        for (server, _) in self.servers {
            server.shutdown().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn prints_each_try_link_and_hands_the_dashboard_the_management_application() {
        let seed = std::env::temp_dir().join(format!("ferry-serve-seed-{}.yaml", std::process::id()));
        std::fs::write(
            &seed,
            "auth0:\n  connections:\n    - name: legacy-db\n    - name: other-db\n",
        )
        .expect("seed file");
        let served = start(&crate::bench::loopback(), Some(&seed)).await.expect("served");
        let _ = std::fs::remove_file(&seed);
        let auth0_url = served.base_url("auth0").expect("auth0").to_owned();
        let banner = served.banner();
        for name in ["legacy-db", "other-db"] {
            let line = banner
                .lines()
                .find(|l| l.contains(&format!("Try connection {name}: ")))
                .unwrap_or_else(|| panic!("no link for {name} in\n{banner}"));
            let (_, url) = line.split_once(": ").expect("a link");
            assert!(url.starts_with(&format!("{auth0_url}/authorize?client_id=")), "{url}");
            assert!(url.contains(&format!("connection={name}")), "{url}");
        }

        let links = served.dashboard_links();
        let names: Vec<&str> = links.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["okta", "stormpath", "gigya", "auth0"]);
        let managed: Vec<&MockLink> = links.iter().filter(|l| l.management.is_some()).collect();
        assert_eq!(managed.len(), 1);
        assert_eq!(managed[0].name, "auth0");
        // Read from the tenant when needed: a reset tenant's new credentials are the ones used.
        served.auth0.reset();
        let client = managed[0]
            .management
            .as_ref()
            .and_then(|source| source.client())
            .expect("credentials");
        let (id, secret) = served
            .auth0
            .client_credentials(mocks::auth0::MANAGEMENT_APP)
            .expect("the Management application");
        assert!(
            !format!("{:?} {client:?}", managed[0]).contains(&secret),
            "Debug shows no secret"
        );
        assert_eq!((client.client_id, client.client_secret), (id, secret));
        served.shutdown().await;
    }
}
