//! A web page of the running mocks, as Auth0's dashboard would show the tenant: users found
//! by a search on the server, connections with their scripts and options (configuration
//! values masked, as the Management API masks them) and a "Try connection" link, import jobs
//! and their errors, tenant logs, script runs with their console and HTTP exchanges, sent
//! emails — and every mock's request journal, filtered by mock, method, path and status.
//! `ferry serve` starts it next to the mocks; it updates itself while scenarios or a person
//! use them.
//!
//! It reads nothing in-process. The page asks this server, and the server asks the mocks over
//! HTTP, in two ways:
//!
//! - Users and an import job's errors come from the Management API itself (`GET
//!   /api/v2/users` with `q`, `search_engine=v3`, `page`, `per_page`, `include_totals`, `sort`;
//!   `GET /api/v2/jobs/{id}/errors`), with a token the server gets by the client-credentials
//!   grant for the Management application it was given ([`MockLink::with_management`]) — so a
//!   search runs where the users are, and the same page works against any Auth0-shaped tenant.
//!   The token and the client secret stay in this server: the page never sees them.
//! - Everything Auth0 has no API for (jobs list, script runs, sent emails, journals) comes from
//!   the mocks' own admin endpoints (`/__ferry/state`, `/__ferry/journal`, the Auth0 mock's
//!   `/__ferry/scripts` and `/__ferry/outbox`), which show no secret and no hash.
//!
//! | method and path                                | answers                                             |
//! |------------------------------------------------|-----------------------------------------------------|
//! | `GET /`, `/dashboard.js`, `/dashboard.css`     | the page (embedded; no external asset, no build step) |
//! | `GET /api/mocks`                               | `[{"name", "base_url", "management"}]`             |
//! | `GET /api/mocks/{name}/state`                  | the mock's state view, lists cut to their newest 500; an Auth0 tenant's without its users (search them) and with each connection's `try_url` |
//! | `GET /api/mocks/{name}/health`                 | the mock's `/__ferry/health`                        |
//! | `GET /api/mocks/{name}/users?text=&by=&page=`  | a user search through the Management API (see `search`) |
//! | `GET /api/mocks/{name}/jobs/{id}/errors`       | an import job's errors through the Management API   |
//! | `GET /api/mocks/{name}/scripts?tail=M`         | `{"items", "total"}`: the newest script runs (Auth0) |
//! | `GET /api/mocks/{name}/outbox?tail=M`          | `{"items", "total"}`: the newest emails (Auth0)     |
//! | `GET /api/journal?mock=&method=&path=&status=&limit=` | every mock's journal entries, newest first, filtered |
//!
//! Layout: `http` reads requests and writes responses on a plain tokio stream (GET only, one
//! request per connection); `relay` holds the routes; `management` the Management API client
//! and its token; `search` turns what a person types into a `q`; `journal` keeps a copy of
//! each mock's journal to filter; `assets/` the page.

mod http;
mod journal;
mod management;
mod relay;
mod search;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use self::relay::Relay;

/// How long a client may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a shutdown waits for requests in flight (a relayed read takes at most 5 s).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(6);

/// A mock the dashboard shows: its short name (`auth0` is shown as the tenant), base URL, and
/// for an Auth0 tenant the Management application the dashboard searches users with.
#[derive(Clone, Debug)]
pub struct MockLink {
    pub name: String,
    pub base_url: String,
    pub(crate) management: Option<ManagementSource>,
}

impl MockLink {
    pub fn new(name: impl Into<String>, base_url: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            base_url: base_url.into(),
            management: None,
        }
    }

    /// The machine-to-machine application whose token the dashboard uses for the Management
    /// API of this tenant (user search, job errors).
    pub fn with_management(self, client: ManagementClient) -> Self {
        self.with_management_source(move || Some(client.clone()))
    }

    /// The same, read whenever the dashboard needs a new token: a mock tenant that is reset
    /// gets new application credentials, which `ferry serve` reads from it in-process.
    pub fn with_management_source(
        mut self,
        source: impl Fn() -> Option<ManagementClient> + Send + Sync + 'static,
    ) -> Self {
        self.management = Some(ManagementSource(std::sync::Arc::new(source)));
        self
    }
}

/// Where the dashboard reads a tenant's Management application from.
#[derive(Clone)]
pub(crate) struct ManagementSource(std::sync::Arc<dyn Fn() -> Option<ManagementClient> + Send + Sync>);

impl ManagementSource {
    pub(crate) fn client(&self) -> Option<ManagementClient> {
        (self.0)()
    }
}

impl std::fmt::Debug for ManagementSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ManagementSource")
    }
}

/// A machine-to-machine application granted `read:users` on a tenant's Management API. Its
/// secret never leaves the dashboard server (and `Debug` does not print it).
#[derive(Clone, PartialEq, Eq)]
pub struct ManagementClient {
    pub client_id: String,
    pub client_secret: String,
    /// The audience to ask the token for; `{base_url}/api/v2/` when `None`.
    pub audience: Option<String>,
}

impl ManagementClient {
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            audience: None,
        }
    }

    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }
}

impl std::fmt::Debug for ManagementClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagementClient")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("audience", &self.audience)
            .finish()
    }
}

/// Each connection's "Try connection" link: the tenant's hosted login page (`/authorize`) for
/// that connection, as `(connection name, URL)`, from an Auth0 tenant's state view (its
/// `connections` and `clients`, as `/__ferry/state` shows them).
///
/// Auth0's dashboard opens `/authorize` with `connection=NAME` for its own tester
/// application, whose callback shows the profile ("It Works!"). The mock shows that page
/// itself when a login comes with no `redirect_uri` (`mocks/src/auth0/authorize.rs`); a
/// `redirect_uri` would get a `code` the mock cannot exchange. So the link names the tenant's
/// Default App (`client_id`, when the connection is enabled for it; without one the mock
/// tries the connection whatever its applications, as the tester does), `response_type=code`
/// as the tester asks, and no `redirect_uri`.
pub fn try_connection_links(auth0_base_url: &str, state: &serde_json::Value) -> Vec<(String, String)> {
    let default_app = state["clients"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["name"] == mocks::auth0::DEFAULT_APP)
        .and_then(|c| c["client_id"].as_str());
    let base = auth0_base_url.trim_end_matches('/');
    state["connections"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|connection| {
            let name = connection["name"].as_str()?;
            let enabled = |id: &str| {
                connection["enabled_clients"]
                    .as_array()
                    .is_some_and(|list| list.iter().any(|c| c == id))
            };
            let mut url = url::Url::parse(&format!("{base}/authorize")).ok()?;
            {
                let mut query = url.query_pairs_mut();
                if let Some(id) = default_app.filter(|id| enabled(id)) {
                    query.append_pair("client_id", id);
                }
                query
                    .append_pair("connection", name)
                    .append_pair("response_type", "code")
                    .append_pair("scope", "openid profile email");
            }
            Some((name.to_owned(), url.to_string()))
        })
        .collect()
}

/// The running dashboard. Dropping it stops the server (without waiting);
/// [`Dashboard::shutdown`] stops it and waits.
#[derive(Debug)]
pub struct Dashboard {
    addr: SocketAddr,
    base_url: String,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Dashboard {
    /// `http://127.0.0.1:PORT`, without a trailing slash: open it in a browser.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets requests in flight finish (up to a grace period), and waits.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Binds `addr` (`mocks::LOOPBACK_EPHEMERAL` for any free loopback port) and serves the
/// dashboard of `mocks`. Ready when it returns.
///
/// The dashboard answers without authentication and reads the tenant's users with its
/// Management API token, so it binds loopback only: an address that is not loopback (`ferry
/// serve --host 0.0.0.0`, which puts the mocks on the network) is replaced by the loopback
/// address of its family, on the same port.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use ferry::dashboard::{self, MockLink};
/// use mocks::{Kit, LOOPBACK_EPHEMERAL, auth0::Auth0};
///
/// let auth0 = mocks::start(Auth0::new(Kit::default()), LOOPBACK_EPHEMERAL).await?;
/// let board = dashboard::start(vec![MockLink::new("auth0", auth0.base_url())], LOOPBACK_EPHEMERAL).await?;
/// println!("dashboard at {}", board.base_url());
/// board.shutdown().await;
/// # Ok(()) }
/// ```
pub async fn start(mocks: Vec<MockLink>, addr: SocketAddr) -> io::Result<Dashboard> {
    let addr = loopback(addr);
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let host = match addr {
        SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
        SocketAddr::V4(v4) => v4.ip().to_string(),
    };
    let base_url = format!("http://{host}:{}", addr.port());
    let relay = Arc::new(Relay::new(mocks).map_err(|e| io::Error::other(format!("the dashboard's HTTP client: {e}")))?);
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, relay, stopped));
    Ok(Dashboard {
        addr,
        base_url,
        stop,
        task: Some(task),
    })
}

/// `addr` if it is loopback, else the loopback address of its family on the same port.
fn loopback(addr: SocketAddr) -> SocketAddr {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    if addr.ip().is_loopback() {
        return addr;
    }
    let ip = match addr.ip() {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
    };
    SocketAddr::new(ip, addr.port())
}

async fn accept_loop(listener: TcpListener, relay: Arc<Relay>, mut stopped: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    // Out of file descriptors, accept() fails at once for as long as it lasts: pause instead of
    // spinning (the mocks' listeners do the same).
    let mut backoff = mocks::kit::server::AcceptBackoff::default();
    loop {
        tokio::select! {
            changed = stopped.changed() => {
                if changed.is_err() || *stopped.borrow() { break; }
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    backoff.accepted();
                    connections.spawn(serve_connection(stream, relay.clone()));
                }
                Err(error) => {
                    let pause = backoff.failed("dashboard", &error);
                    tokio::time::sleep(pause).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    connections.abort_all();
}

async fn serve_connection(mut stream: TcpStream, relay: Arc<Relay>) {
    let (response, head_only) = match tokio::time::timeout(HEAD_TIMEOUT, http::read_request(&mut stream)).await {
        Ok(Ok(Some(request))) => (relay.answer(&request).await, request.method == "HEAD"),
        Ok(Err(refusal)) => (refusal, false),
        // Closed without a request, or too slow to send one.
        Ok(Ok(None)) | Err(_) => return,
    };
    let _ = http::write_response(&mut stream, &response, head_only).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn binds_loopback_whatever_address_it_is_given() {
        let board = start(vec![], "0.0.0.0:0".parse().expect("an address"))
            .await
            .expect("started");
        assert!(board.addr().ip().is_loopback(), "{}", board.addr());
        assert!(board.base_url().starts_with("http://127.0.0.1:"));
        board.shutdown().await;
        assert_eq!(
            loopback("[::]:8080".parse().expect("v6")),
            "[::1]:8080".parse().expect("v6")
        );
        assert_eq!(
            loopback("127.0.0.1:9".parse().expect("v4")),
            "127.0.0.1:9".parse().expect("v4")
        );
    }
}
