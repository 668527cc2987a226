//! A web page of the running mocks, as Auth0's dashboard would show the tenant: users with
//! their identities and metadata, connections with their scripts and options (configuration
//! values masked, as the Management API masks them), import jobs with their summaries and
//! errors, tenant logs, script runs, sent emails — and each mock's request journal. `ferry
//! serve` starts it next to the mocks; it updates itself while scenarios or a person use them.
//!
//! It reads nothing in-process. The page polls this server every 1.5 s, and the server relays
//! the mocks' own admin endpoints (`/__ferry/state`, `/__ferry/journal`, and the Auth0 mock's
//! `/__ferry/scripts`), so the dashboard shows exactly what they show — never a secret or a
//! hash — and works against any mock reachable over HTTP, in this process or another.
//!
//! | method and path                        | answers                                             |
//! |----------------------------------------|-----------------------------------------------------|
//! | `GET /`, `/dashboard.js`, `/dashboard.css` | the page (embedded; no external asset, no build step) |
//! | `GET /api/mocks`                       | `[{"name", "base_url"}]`                            |
//! | `GET /api/mocks/{name}/state`          | the mock's state view, lists cut to their newest 500 |
//! | `GET /api/mocks/{name}/journal?since=N&tail=M` | journal entries after `N`, the newest `M` (200) |
//! | `GET /api/mocks/{name}/scripts?tail=M` | `{"items", "total"}`: the newest script runs (Auth0) |
//! | `GET /api/mocks/{name}/outbox?tail=M`  | `{"items", "total"}`: the newest emails (Auth0)     |
//!
//! Layout: `http` reads requests and writes responses on a plain tokio stream (GET only, one
//! request per connection); `relay` holds the routes; `assets/` the page.

mod http;
mod relay;

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

/// A mock the dashboard shows: its short name (`auth0` is shown as the tenant) and base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MockLink {
    pub name: String,
    pub base_url: String,
}

impl MockLink {
    pub fn new(name: impl Into<String>, base_url: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            base_url: base_url.into(),
        }
    }
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
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let host = match addr {
        SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
        SocketAddr::V4(v4) => v4.ip().to_string(),
    };
    let base_url = format!("http://{host}:{}", addr.port());
    let relay = Arc::new(Relay::new(mocks));
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, relay, stopped));
    Ok(Dashboard {
        addr,
        base_url,
        stop,
        task: Some(task),
    })
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
