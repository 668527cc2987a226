//! `ferry serve`: every mock on loopback (ephemeral ports unless chosen), seeded from a file,
//! until Ctrl-C. Prints the base URLs, the credentials to use and each Auth0 connection's "Try
//! connection" link, and hands the dashboard the mocks with the Management application it
//! searches users with.
//!
//! For a test suite in another runner: [`Served::environment`] is the same set of variables an
//! `exec` step gives a program (`FERRY_AUTH0_URL`, `FERRY_AUTH0_CLIENT_SECRET`, ...), written
//! as a dotenv file by [`write_env_file`] (atomically, once [`Served::wait_until_answering`]
//! says every mock answers). A seed file makes the credentials stable: the mocks' id
//! generators are seeded from the seed file's bytes ([`credential_seed`]), so the same file
//! gives the same client ids, secrets and tokens on every start; a seed may also give them.
//! A seed's Auth0 connections take `{{okta.url}}`-style variables in their options and script
//! files by path (`customScripts: { login: { file: scripts/login.js } }`, relative to the seed).
//!
//! The mock Auth0's scripts reach the other mocks under the services' real host names
//! (`https://acme.okta.com` → the mock Okta) and under the custom domains `--route` names. With
//! `--tls` every mock answers HTTPS too, with a certificate from a CA made at start or kept in
//! `--ca-dir` (so a user trusts it once); the banner prints the CA file and the environment
//! variables that make Node, Python, OpenSSL and curl trust it.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use mocks::auth0::Auth0;
use mocks::auth0::seed::Auth0Seed;
use mocks::gigya::{Gigya, GigyaSeed};
use mocks::kit::KitOptions;
use mocks::kit::hosts::{MOCK_NAMES, PROVIDER_HOSTS, certificate_names, provider_routes};
use mocks::kit::tls::{Authority, CA_CERT_FILE, ServerConfig, TlsError};
use mocks::okta::{Okta, OktaSeed};
use mocks::stormpath::{Stormpath, StormpathSeed};
use mocks::{Clock, Kit, MockServer, Provider, SeedError};
use serde::Deserialize;
use serde_json::Value;

use crate::dashboard::{ManagementClient, MockLink};
use crate::scenario::{Coordinates, Variables, mock_environment};

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

/// HTTPS and host names (`--tls`, `--ca-dir`, `--route`).
#[derive(Clone, Debug, Default)]
pub struct HostOptions {
    /// Serve HTTPS as well; plain HTTP keeps working on the same ports.
    pub tls: bool,
    /// Where the CA's certificate and key are kept (made there on first use, reused after),
    /// so a user trusts it once; without it a new CA is made in a temporary directory.
    pub ca_dir: Option<PathBuf>,
    /// Custom domains the scripts call, each sent to a mock (`login.acme.com` → `auth0`).
    pub routes: Vec<(String, String)>,
}

/// Parses `HOST=MOCK` for `--route` (`login.acme.com=auth0`, `*.idp.acme.com=okta`).
pub fn parse_route(text: &str) -> Result<(String, String), String> {
    let Some((host, mock)) = text.split_once('=') else {
        return Err(format!("expected HOST=MOCK (e.g. login.acme.com=auth0), got {text:?}"));
    };
    let mock = mock.trim().to_ascii_lowercase();
    if !MOCK_NAMES.contains(&mock.as_str()) {
        return Err(format!("{mock:?} is not a mock: use one of {}", MOCK_NAMES.join(", ")));
    }
    sandbox::Routes::new()
        .route(host.trim(), "http://127.0.0.1", &mock)
        .map_err(|e| e.to_string())?;
    Ok((host.trim().to_owned(), mock))
}

/// The running mocks.
#[derive(Debug)]
pub struct Served {
    pub okta: Okta,
    pub stormpath: Stormpath,
    pub gigya: Gigya,
    pub auth0: Auth0,
    /// The CA certificate clients must trust when the mocks serve HTTPS (`FERRY_CA_FILE`).
    pub ca_file: Option<PathBuf>,
    /// Each server with the variables a client needs for it.
    servers: Vec<(MockServer, Vec<(String, String)>)>,
    /// With `--tls`: the CA file and whether it was made now.
    https: Option<Https>,
    /// What the scripts' routes say, for the banner.
    routes: Vec<String>,
}

/// The CA of a `--tls` run.
#[derive(Debug)]
struct Https {
    ca_file: PathBuf,
    made: bool,
    /// A temporary directory to remove at shutdown (no `--ca-dir`).
    scratch: Option<PathBuf>,
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
    /// Not a `#[from]`: the message already holds the cause, and a source would print it twice.
    #[error("--tls: {0}")]
    Tls(TlsError),
    #[error("--route: {0}")]
    Route(String),
}

impl From<TlsError> for ServeError {
    fn from(e: TlsError) -> Self {
        ServeError::Tls(e)
    }
}

async fn bind<P: Provider>(
    provider: &P,
    host: IpAddr,
    port: u16,
    tls: Option<&Arc<ServerConfig>>,
) -> Result<MockServer, ServeError> {
    let addr = SocketAddr::new(host, port);
    let started = match tls {
        Some(config) => mocks::start_tls(provider.clone(), addr, config.clone()).await,
        None => mocks::start(provider.clone(), addr).await,
    };
    started.map_err(|source| ServeError::Bind {
        mock: P::NAME,
        addr,
        source,
    })
}

async fn serve_one<P: Provider>(
    provider: &P,
    seed: Option<P::Seed>,
    host: IpAddr,
    port: u16,
    tls: Option<&Arc<ServerConfig>>,
) -> Result<(MockServer, Vec<(String, String)>), ServeError> {
    if let Some(seed) = seed {
        provider.seed(seed)?;
    }
    let server = bind(provider, host, port, tls).await?;
    Ok((server, provider.variables()))
}

/// The number the mocks' id generators are seeded with for a seed file: the first eight bytes
/// of the SHA-256 of its bytes, so the same file gives the same client ids, secrets, tokens and
/// keys on every start (and a changed file other ones).
pub fn credential_seed(seed_file_bytes: &[u8]) -> u64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(seed_file_bytes);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// A kit on the system clock; with ids seeded from `seed` (mixed with the mock's number) when
/// there is a seed file, from the operating system otherwise.
fn kit(seed: Option<u64>, mock: u64) -> Kit {
    Kit::new(KitOptions {
        clock: Clock::system(),
        seed: seed.map(|s| s ^ mock.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        ..KitOptions::default()
    })
}

/// Starts every mock, seeded from `seed_file` when given, over plain HTTP.
pub async fn start(options: &ServeOptions, seed_file: Option<&Path>) -> Result<Served, ServeError> {
    start_with(options, seed_file, &HostOptions::default()).await
}

/// Starts every mock, seeded from `seed_file` when given, with HTTPS and routes as `hosts`
/// says. The scripts of the mock Auth0 reach the other mocks under the services' real names
/// and `hosts.routes`.
pub async fn start_with(
    options: &ServeOptions,
    seed_file: Option<&Path>,
    hosts: &HostOptions,
) -> Result<Served, ServeError> {
    let (seed, id_seed): (ServeSeed, Option<u64>) = match seed_file {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|source| SeedError::Io {
                file: path.to_path_buf(),
                source,
            })?;
            (mocks::kit::seed::load(path)?, Some(credential_seed(&bytes)))
        }
        None => (ServeSeed::default(), None),
    };
    for (host, mock) in &hosts.routes {
        parse_route(&format!("{host}={mock}")).map_err(ServeError::Route)?;
    }
    let (https, tls) = match hosts.tls {
        true => {
            let (https, authority) = certificate_authority(hosts.ca_dir.as_deref())?;
            let extra: Vec<String> = hosts.routes.iter().map(|(host, _)| host.clone()).collect();
            let config = authority.server_config(&certificate_names(&extra))?;
            (Some((https, authority)), Some(config))
        }
        false => (None, None),
    };
    let tls = tls.as_ref();
    let okta = Okta::new(kit(id_seed, 1));
    let stormpath = Stormpath::new(kit(id_seed, 2));
    let gigya = Gigya::new(kit(id_seed, 3));
    let auth0 = Auth0::new(kit(id_seed, 4));
    let mut servers = vec![
        serve_one(&okta, seed.okta, options.host, options.okta_port, tls).await?,
        serve_one(&stormpath, seed.stormpath, options.host, options.stormpath_port, tls).await?,
        serve_one(&gigya, seed.gigya, options.host, options.gigya_port, tls).await?,
    ];
    // The tenant is seeded once it listens and the providers do: its connections may name
    // their URLs and credentials as `{{okta.url}}`, ...
    let auth0_server = bind(&auth0, options.host, options.auth0_port, tls).await?;
    if let Some(mut auth0_seed) = seed.auth0 {
        let vars = Variables::of(&Coordinates {
            okta: Some((&okta, servers[0].0.base_url())),
            stormpath: Some((&stormpath, servers[1].0.base_url())),
            gigya: Some((&gigya, servers[2].0.base_url())),
            auth0: Some((&auth0, auth0_server.base_url())),
            ca_file: None,
        });
        let base = seed_file.and_then(Path::parent).unwrap_or(Path::new("."));
        let file = seed_file.unwrap_or(Path::new("seed"));
        resolve_auth0_seed(&mut auth0_seed, &vars, base, file)?;
        auth0.seed(auth0_seed)?;
    }
    let variables = auth0.variables();
    servers.push((auth0_server, variables));
    // The scripts' routes: over plain HTTP to each mock's port (it speaks both), on loopback
    // when the mocks listen on every address.
    let plain = |server: &MockServer| {
        let mut addr = server.addr();
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr.ip() {
                IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            });
        }
        format!("http://{addr}")
    };
    let url_of = |mock: &str| servers.iter().find(|(s, _)| s.name() == mock).map(|(s, _)| plain(s));
    let mut routes = sandbox::Routes::new();
    for (host, mock) in &hosts.routes {
        let url = url_of(mock).ok_or_else(|| ServeError::Route(format!("no mock named {mock}")))?;
        routes
            .route(host, &url, mock)
            .map_err(|e| ServeError::Route(e.to_string()))?;
    }
    provider_routes(&mut routes, &url_of, &|mock| format!("the {mock} mock is not running"))
        .map_err(|e| ServeError::Route(e.to_string()))?;
    routes.set_refusal_hint("send it to a mock with `ferry serve --route {host}=okta` (or auth0, stormpath, gigya)");
    let mut shown: Vec<String> = hosts
        .routes
        .iter()
        .map(|(host, mock)| format!("{host} → {mock}"))
        .collect();
    shown.extend(
        PROVIDER_HOSTS
            .iter()
            .map(|p| format!("{} → {}", p.routes.join(", "), p.mock)),
    );
    auth0.set_routes(routes);
    let https = match https {
        Some((https, authority)) => {
            auth0.trust_ca(authority.cert_pem()).map_err(ServeError::Route)?;
            Some(https)
        }
        None => None,
    };
    Ok(Served {
        okta,
        stormpath,
        gigya,
        auth0,
        ca_file: https.as_ref().map(|h| h.ca_file.clone()),
        servers,
        https,
        routes: shown,
    })
}

/// The CA of a `--tls` run: kept in `ca_dir` (made there the first time), or made now in a
/// temporary directory.
fn certificate_authority(ca_dir: Option<&Path>) -> Result<(Https, Authority), ServeError> {
    match ca_dir {
        Some(dir) => {
            let (authority, made) = Authority::load_or_create(dir)?;
            let https = Https {
                ca_file: dir.join(CA_CERT_FILE),
                made,
                scratch: None,
            };
            Ok((https, authority))
        }
        None => {
            let dir = std::env::temp_dir().join(format!("ferry-serve-ca-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            let (authority, made) = Authority::load_or_create(&dir)?;
            let https = Https {
                ca_file: dir.join(CA_CERT_FILE),
                made,
                scratch: Some(dir),
            };
            Ok((https, authority))
        }
    }
}

/// What a seed file's Auth0 connections say in Ferry's shorthands, made what Auth0 takes:
/// `{{okta.url}}`-style variables replaced in every option (a script's source excepted: it is
/// the user's code, kept as written), and `customScripts: { login: { file: PATH } }` read from
/// `PATH` relative to the seed file. An unknown variable or a missing script file is an error
/// that names the connection and the option.
fn resolve_auth0_seed(seed: &mut Auth0Seed, vars: &Variables, base: &Path, file: &Path) -> Result<(), SeedError> {
    for connection in &mut seed.connections {
        let place = |key: &str| {
            format!(
                "{}: auth0 connection {}, options.{key}",
                file.display(),
                connection.name
            )
        };
        for (key, value) in connection.options.iter_mut() {
            if key == "customScripts" {
                continue;
            }
            substitute_all(value, vars).map_err(|e| SeedError::Invalid(format!("{}: {e}", place(key))))?;
        }
        if let Some(Value::Object(scripts)) = connection.options.get_mut("customScripts") {
            for (kind, script) in scripts.iter_mut() {
                let Value::Object(spec) = script else { continue };
                let path = match (spec.len(), spec.get("file")) {
                    (1, Some(Value::String(path))) => base.join(path),
                    _ => {
                        return Err(SeedError::Invalid(format!(
                            "{}: give the script's source as a string, or {{ file: PATH }}",
                            place(&format!("customScripts.{kind}"))
                        )));
                    }
                };
                let source = std::fs::read_to_string(&path).map_err(|e| {
                    SeedError::Invalid(format!(
                        "{}: cannot read {}: {e}",
                        place(&format!("customScripts.{kind}")),
                        path.display()
                    ))
                })?;
                *script = Value::String(source);
            }
        }
    }
    Ok(())
}

/// Replaces the variables in every string of `value`; `{{a.b}}` that names no variable is an
/// error (a typo would otherwise reach a script as text).
fn substitute_all(value: &mut Value, vars: &Variables) -> Result<(), String> {
    match value {
        Value::String(text) => {
            let replaced = vars.substitute(text);
            if let Some(start) = replaced.find("{{")
                && let Some(len) = replaced[start..].find("}}")
            {
                let name = replaced[start + 2..start + len].trim();
                if name.contains('.') && !name.contains(char::is_whitespace) {
                    let known: Vec<&str> = vars.names().collect();
                    return Err(format!("unknown variable {{{{{name}}}}} (known: {})", known.join(", ")));
                }
            }
            *text = replaced;
        }
        Value::Array(items) => {
            for item in items {
                substitute_all(item, vars)?;
            }
        }
        Value::Object(map) => {
            for item in map.values_mut() {
                substitute_all(item, vars)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The variables as a dotenv file: `NAME='value'` (double quotes, with `\`, `"`, `$` and
/// `` ` `` escaped, for a value that holds a single quote), one a line. Read by Node's
/// `--env-file`, python-dotenv, dotenv, `set -a; . FILE`, and Go's godotenv.
pub fn dotenv(variables: &[(String, String)]) -> String {
    let mut out = String::from("# Written by ferry serve: the mocks' coordinates. Removed when it stops.\n");
    for (name, value) in variables {
        if value.contains('\'') || value.contains('\n') {
            let escaped: String = value
                .chars()
                .flat_map(|c| match c {
                    '\\' | '"' | '$' | '`' => vec!['\\', c],
                    '\n' => vec!['\\', 'n'],
                    c => vec![c],
                })
                .collect();
            let _ = writeln!(out, "{name}=\"{escaped}\"");
        } else {
            let _ = writeln!(out, "{name}='{value}'");
        }
    }
    out
}

/// Writes `contents` to `path` atomically: a temporary file beside it (owner-only: it holds
/// secrets), synced, then renamed over `path`, so a reader sees no file or the whole file.
pub fn write_atomically(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "env".into(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temp).and_then(|mut f| {
        f.write_all(contents.as_bytes())?;
        f.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&temp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            Err(e)
        }
    }
}

/// Writes the env file (see [`dotenv`]) atomically.
pub fn write_env_file(path: &Path, variables: &[(String, String)]) -> std::io::Result<()> {
    write_atomically(path, &dotenv(variables))
}

impl Served {
    /// The variables that point a program at these mocks: the same set an `exec` step's
    /// program gets (`FERRY_AUTH0_URL`, `FERRY_AUTH0_CLIENT_SECRET`, ...).
    pub fn environment(&self) -> Vec<(String, String)> {
        let url = |name: &str| self.base_url(name).unwrap_or_default();
        mock_environment(&Coordinates {
            okta: Some((&self.okta, url(Okta::NAME))),
            stormpath: Some((&self.stormpath, url(Stormpath::NAME))),
            gigya: Some((&self.gigya, url(Gigya::NAME))),
            auth0: Some((&self.auth0, url(Auth0::NAME))),
            ca_file: self.ca_file.as_deref(),
        })
    }

    /// Waits until every mock answers an HTTP request (`GET /__ferry/clock`), at most
    /// `limit`.
    pub async fn wait_until_answering(&self, limit: Duration) -> Result<(), String> {
        // With --tls the mocks' URLs are https: trust the run's CA alone.
        let roots = match &self.ca_file {
            Some(file) => {
                let pem = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
                vec![reqwest::Certificate::from_pem(&pem).map_err(|e| e.to_string())?]
            }
            None => Vec::new(),
        };
        let client = sandbox::net::client_builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .tls_certs_only(roots)
            .build()
            .map_err(|e| e.to_string())?;
        let deadline = tokio::time::Instant::now() + limit;
        for (server, _) in &self.servers {
            let url = format!("{}/__ferry/clock", server.base_url());
            loop {
                match client.get(&url).send().await {
                    Ok(answer) if answer.status().is_success() => break,
                    outcome => {
                        if tokio::time::Instant::now() >= deadline {
                            let why = match outcome {
                                Ok(answer) => answer.status().to_string(),
                                Err(e) => e.to_string(),
                            };
                            return Err(format!("the mock {} does not answer at {url}: {why}", server.name()));
                        }
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
        }
        Ok(())
    }

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
            "Scripts' requests to these hosts go to the mocks (http:// and https://):"
        );
        for route in &self.routes {
            let _ = writeln!(out, "           {route}");
        }
        if let Some(https) = &self.https {
            let file = https.ca_file.display();
            let _ = writeln!(
                out,
                "HTTPS on every mock's port (plain HTTP too), certificate from Ferry's CA: {file} ({})",
                if https.scratch.is_some() {
                    "made now, gone when ferry serve stops; keep one with --ca-dir"
                } else if https.made {
                    "made now; trust it once, it is reused on the next start"
                } else {
                    "reused"
                }
            );
            let _ = writeln!(
                out,
                "Trust it in the programs you test (the last three trust it alone):"
            );
            for variable in [
                "NODE_EXTRA_CA_CERTS",
                "REQUESTS_CA_BUNDLE",
                "SSL_CERT_FILE",
                "CURL_CA_BUNDLE",
            ] {
                let _ = writeln!(out, "           export {variable}={file}");
            }
        }
        let _ = writeln!(
            out,
            "Environment for your programs (--env-file FILE writes it as a dotenv file):"
        );
        for (name, value) in self.environment() {
            let _ = writeln!(out, "           {name}={value}");
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

    /// Stops every mock and waits for them (a CA made in a temporary directory goes too).
    pub async fn shutdown(self) {
        for (server, _) in self.servers {
            server.shutdown().await;
        }
        if let Some(dir) = self.https.and_then(|h| h.scratch) {
            let _ = std::fs::remove_dir_all(dir);
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

    /// `ferry serve --tls --ca-dir DIR --route login.acme.com=okta`: the CA is written to DIR and
    /// reused, the banner says how to trust it, HTTPS answers with it, and a script that calls
    /// Okta under its real name and under the routed custom domain signs a user in.
    #[tokio::test]
    async fn tls_with_a_kept_ca_and_scripts_reaching_the_mocks_by_name() {
        let dir = std::env::temp_dir().join(format!("ferry-serve-tls-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch");
        let seed = dir.join("seed.yaml");
        let script = |url: &str| {
            format!(
                "function login(email, password, callback) {{ request({{ url: '{url}/api/v1/authn', method: 'POST', json: {{ username: email, password: password }} }}, function (err, res, body) {{ if (err) return callback(err); if (res.statusCode !== 200) return callback(new WrongUsernameOrPasswordError(email)); callback(null, {{ user_id: body._embedded.user.id, email: email }}); }}); }}"
            )
        };
        let seed_yaml = format!(
            "okta:\n  users:\n    - {{ login: a@example.com, password: \"Pass-word-1\", profile: {{ firstName: A, lastName: B }} }}\nauth0:\n  connections:\n    - name: by-name\n      options: {{ enabledDatabaseCustomization: true, import_mode: true, customScripts: {{ login: {:?} }} }}\n    - name: by-domain\n      options: {{ enabledDatabaseCustomization: true, import_mode: true, customScripts: {{ login: {:?} }} }}\n",
            script("https://acme.okta.com"),
            script("https://login.acme.com"),
        );
        std::fs::write(&seed, seed_yaml).expect("seed");
        let ca_dir = dir.join("ca");
        let hosts = HostOptions {
            tls: true,
            ca_dir: Some(ca_dir.clone()),
            routes: vec![("login.acme.com".into(), "okta".into())],
        };
        let served = start_with(&crate::bench::loopback(), Some(&seed), &hosts)
            .await
            .expect("served");
        let ca_file = ca_dir.join(CA_CERT_FILE);
        assert_eq!(served.ca_file.as_deref(), Some(ca_file.as_path()));
        let banner = served.banner();
        for variable in [
            "NODE_EXTRA_CA_CERTS",
            "REQUESTS_CA_BUNDLE",
            "SSL_CERT_FILE",
            "CURL_CA_BUNDLE",
        ] {
            assert!(
                banner.contains(&format!("export {variable}={}", ca_file.display())),
                "{banner}"
            );
        }
        assert!(banner.contains("login.acme.com → okta"), "{banner}");
        let auth0_url = served.base_url("auth0").expect("auth0").to_owned();
        assert!(auth0_url.starts_with("https://127.0.0.1:"), "{auth0_url}");
        let ca = std::fs::read(&ca_file).expect("CA file");
        let client = sandbox::net::client_builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&ca).expect("CA")])
            .build()
            .expect("client");
        let (id, secret) = served.auth0.client_credentials(mocks::auth0::DEFAULT_APP).expect("app");
        for connection in ["by-name", "by-domain"] {
            let answer = client
                .post(format!("{auth0_url}/oauth/token"))
                .form(&[
                    ("grant_type", mocks::auth0::model::GRANT_PASSWORD_REALM),
                    ("client_id", &id),
                    ("client_secret", &secret),
                    ("username", "a@example.com"),
                    ("password", "Pass-word-1"),
                    ("realm", connection),
                ])
                .send()
                .await
                .expect("HTTPS with the CA");
            let status = answer.status().as_u16();
            let body = answer.text().await.unwrap_or_default();
            // each connection has its own store: the second runs its script too
            assert_eq!(status, 200, "{connection}: {body}");
        }
        let hosts_seen: Vec<String> = served
            .okta
            .kit()
            .journal
            .entries()
            .iter()
            .filter_map(|e| e.headers.iter().find(|(n, _)| n == "host").map(|(_, v)| v.clone()))
            .collect();
        assert_eq!(hosts_seen, ["acme.okta.com", "login.acme.com"]);
        served.shutdown().await;
        // the next start reuses the CA
        let served = start_with(&crate::bench::loopback(), None, &hosts)
            .await
            .expect("again");
        assert_eq!(std::fs::read(&ca_file).expect("CA file"), ca);
        assert!(served.banner().contains("(reused)"), "{}", served.banner());
        served.shutdown().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
