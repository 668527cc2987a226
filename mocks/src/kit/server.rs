//! Serving a mock on a socket: bind (an ephemeral loopback port unless told otherwise), accept
//! connections, stop gracefully; with [`start_tls`], HTTPS too.
//!
//! A mock started with TLS answers HTTPS and plain HTTP on the same port: the first byte a
//! client sends tells a TLS handshake (`0x16`) from a request line, so the scenario runner and
//! the sandbox's routes keep talking plain HTTP while a program under test uses `https://`.
//! Every request carries how it arrived ([`RequestOrigin`]: the scheme and host the client
//! used), which the mocks build their links from.
//!
//! The accept loop is our own (hyper-util under axum's router) rather than `axum::serve` for one
//! reason: fault injection must be able to close or reset a connection *without answering*, which
//! needs a handle on each connection (`ConnControl`) and on its socket. The server is ready as
//! soon as [`start`] returns — the socket is bound before it does — so tests never sleep.

use std::convert::Infallible;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use super::{Kit, Provider, app};

/// `127.0.0.1:0`: loopback, a port chosen by the system.
pub const LOOPBACK_EPHEMERAL: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0));

/// How long a graceful shutdown waits for open requests before closing their connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How long a connection may take to send a request's headers (its body is bounded by the kit:
/// [`crate::Kit::body_timeout`]).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// What a listener does when `accept()` fails. Failures of one connection (aborted before it
/// was accepted) are passed over; anything else — above all `EMFILE`/`ENFILE`, out of file
/// descriptors, where the pending connection stays queued and `accept()` would fail again at
/// once — pauses accepting, 5 ms at first, doubling up to [`AcceptBackoff::MAX`], until an
/// accept succeeds: the process keeps serving the connections it has and does not spin.
#[derive(Debug, Default)]
pub struct AcceptBackoff {
    pause: Duration,
    failures: Arc<AtomicU64>,
}

impl AcceptBackoff {
    /// The longest pause between two attempts.
    pub const MAX: Duration = Duration::from_millis(500);
    const FIRST: Duration = Duration::from_millis(5);

    /// A connection was accepted: the next failure starts from the shortest pause.
    pub fn accepted(&mut self) {
        self.pause = Duration::ZERO;
    }

    /// `error` came from `accept()`: the pause before the next attempt (zero for an error of one
    /// connection). The first failure of a streak is reported on standard error, once.
    pub fn failed(&mut self, name: &str, error: &io::Error) -> Duration {
        self.failures.fetch_add(1, Ordering::Relaxed);
        if matches!(
            error.kind(),
            io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::Interrupted
        ) {
            return Duration::ZERO;
        }
        if self.pause.is_zero() {
            eprintln!("{name}: cannot accept connections ({error}); retrying with back-off");
            self.pause = Self::FIRST;
        } else {
            self.pause = (self.pause * 2).min(Self::MAX);
        }
        self.pause
    }

    /// Failed `accept()` calls so far (shared with clones of the counter).
    pub fn failures(&self) -> Arc<AtomicU64> {
        self.failures.clone()
    }
}

/// A running mock. Dropping it stops the server (without waiting); [`MockServer::shutdown`]
/// stops it and waits until every connection is closed.
#[derive(Debug)]
pub struct MockServer {
    name: &'static str,
    addr: SocketAddr,
    base_url: String,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    accept_failures: Arc<AtomicU64>,
}

impl MockServer {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The provider's short name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// How many times `accept()` has failed on this server (see [`AcceptBackoff`]).
    pub fn accept_failures(&self) -> u64 {
        self.accept_failures.load(Ordering::Relaxed)
    }

    /// Stops accepting, lets open requests finish (up to a grace period), and waits.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// A handle on one connection, put in each request's extensions, that lets the fault layer
/// close the connection without answering: orderly (FIN) or by a reset (RST).
#[derive(Clone, Debug, Default)]
pub(crate) struct ConnControl {
    abort: Arc<Notify>,
    reset: Arc<AtomicBool>,
}

impl ConnControl {
    /// Closes the connection unanswered.
    pub(crate) fn abort(&self) {
        self.abort.notify_one();
    }

    /// Resets the connection unanswered: the socket is closed with `SO_LINGER` 0, so the peer
    /// gets a TCP RST (`ECONNRESET`) instead of an orderly end of stream.
    pub(crate) fn reset(&self) {
        self.reset.store(true, Ordering::SeqCst);
        self.abort.notify_one();
    }
}

/// The connection's socket; when its connection was reset ([`ConnControl::reset`]), dropping it
/// closes the socket with `SO_LINGER` 0, which sends RST.
#[derive(Debug)]
struct Socket {
    stream: TcpStream,
    reset: Arc<AtomicBool>,
}

impl Drop for Socket {
    fn drop(&mut self) {
        if self.reset.load(Ordering::SeqCst) {
            let _ = self.stream.set_zero_linger();
        }
    }
}

impl AsyncRead for Socket {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Socket {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// Binds `addr` and serves the provider's full application ([`app`]) on it, over plain HTTP.
pub async fn start<P: Provider>(provider: P, addr: SocketAddr) -> io::Result<MockServer> {
    serve(provider, addr, None).await
}

/// Binds `addr` and serves the provider's full application on it over HTTPS with `tls` (see
/// [`super::tls::Authority::server_config`]), and over plain HTTP on the same port. The base
/// URL is `https://…`.
pub async fn start_tls<P: Provider>(
    provider: P,
    addr: SocketAddr,
    tls: Arc<super::tls::ServerConfig>,
) -> io::Result<MockServer> {
    serve(provider, addr, Some(tokio_rustls::TlsAcceptor::from(tls))).await
}

async fn serve<P: Provider>(
    provider: P,
    addr: SocketAddr,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> io::Result<MockServer> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let host = match addr {
        SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
        SocketAddr::V4(v4) => v4.ip().to_string(),
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base_url = format!("{scheme}://{host}:{}", addr.port());
    provider.kit().set_base_url(base_url.clone());
    let router = app(provider);
    let (stop, stopped) = watch::channel(false);
    let backoff = AcceptBackoff::default();
    let accept_failures = backoff.failures();
    let task = tokio::spawn(accept_loop(P::NAME, listener, router, tls, stopped, backoff));
    Ok(MockServer {
        name: P::NAME,
        addr,
        base_url,
        stop,
        task: Some(task),
        accept_failures,
    })
}

async fn accept_loop(
    name: &'static str,
    listener: TcpListener,
    router: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut stopped: watch::Receiver<bool>,
    mut backoff: AcceptBackoff,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            changed = stopped.changed() => {
                if changed.is_err() || *stopped.borrow() { break; }
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    backoff.accepted();
                    let _ = stream.set_nodelay(true);
                    connections.spawn(serve_connection(stream, peer, router.clone(), tls.clone(), stopped.clone()));
                }
                Err(error) => {
                    let pause = backoff.failed(name, &error);
                    if !pause.is_zero() {
                        tokio::select! {
                            () = tokio::time::sleep(pause) => {}
                            changed = stopped.changed() => {
                                if changed.is_err() || *stopped.borrow() { break; }
                            }
                        }
                    }
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

/// The first byte of a TLS handshake record.
const TLS_HANDSHAKE: u8 = 0x16;

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    stopped: watch::Receiver<bool>,
) {
    let control = ConnControl::default();
    let socket = Socket {
        stream,
        reset: control.reset.clone(),
    };
    let Some(acceptor) = tls else {
        return serve_http(TokioIo::new(socket), false, peer, router, control, stopped).await;
    };
    // A TLS client speaks first with a handshake record, an HTTP client with a request line;
    // both within the time a request's headers may take.
    let mut first = [0u8; 1];
    let peeked = tokio::time::timeout(HEADER_TIMEOUT, socket.stream.peek(&mut first)).await;
    match peeked {
        Ok(Ok(1)) if first[0] == TLS_HANDSHAKE => {
            // a failed or stalled handshake: nothing to answer
            if let Ok(Ok(stream)) = tokio::time::timeout(HEADER_TIMEOUT, acceptor.accept(socket)).await {
                serve_http(TokioIo::new(stream), true, peer, router, control, stopped).await;
            }
        }
        Ok(Ok(1)) => serve_http(TokioIo::new(socket), false, peer, router, control, stopped).await,
        _ => {}
    }
}

async fn serve_http<I>(
    io: TokioIo<I>,
    tls: bool,
    peer: SocketAddr,
    router: Router,
    control: ConnControl,
    mut stopped: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let abort = control.abort.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(control.clone());
        req.extensions_mut().insert(ConnectInfo(peer));
        let scheme = arrival_scheme(req.headers_mut(), tls);
        req.extensions_mut().insert(scheme);
        let router = router.clone();
        async move {
            Ok::<_, Infallible>(
                router
                    .oneshot(req.map(axum::body::Body::new))
                    .await
                    .unwrap_or_else(|e| match e {}),
            )
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(io, service);
    tokio::pin!(conn);
    let mut draining = *stopped.borrow();
    if draining {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            // Dropping `conn` closes the socket unanswered (with RST after a reset).
            () = abort.notified() => return,
            changed = stopped.changed(), if !draining => {
                if changed.is_err() || *stopped.borrow() {
                    draining = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// The scheme a request was made with: `https` over TLS, else `http`, unless the request was
/// routed by the sandbox from a URL with another scheme ([`sandbox::ORIGINAL_SCHEME_HEADER`],
/// taken off here so that neither the journal nor a handler sees it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ArrivalScheme(pub(crate) &'static str);

fn arrival_scheme(headers: &mut http::HeaderMap, tls: bool) -> ArrivalScheme {
    let own = if tls { "https" } else { "http" };
    let marked = headers
        .remove(sandbox::ORIGINAL_SCHEME_HEADER)
        .and_then(|value| match value.as_bytes() {
            b"https" => Some("https"),
            b"http" => Some("http"),
            _ => None,
        });
    ArrivalScheme(marked.unwrap_or(own))
}

/// The scheme and host a client used to reach the mock (`https://acme.okta.com`,
/// `http://127.0.0.1:4010`): the links a mock builds start with it, so that a script that
/// called `https://api.stormpath.com` gets `https://api.stormpath.com/v1/accounts/…` hrefs, as
/// in production. The host is the request's `Host` header (or its absolute URI's authority)
/// when it is a well-formed host and port; the scheme is a proxy's `X-Forwarded-Proto`, else
/// how the request arrived (see [`start_tls`] and [`sandbox::Routes`]). Without a usable host (router tests), the mock's
/// own base URL ([`RequestOrigin::base`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestOrigin(Option<String>);

impl RequestOrigin {
    /// An origin, for tests and in-process callers (`https://acme.okta.com`).
    pub fn new(origin: impl Into<String>) -> Self {
        Self(Some(origin.into().trim_end_matches('/').to_owned()))
    }

    /// The request's own origin, else `kit`'s base URL; never with a trailing slash.
    pub fn base<'a>(&'a self, kit: &'a Kit) -> &'a str {
        self.0.as_deref().unwrap_or_else(|| kit.base_url())
    }

    /// The origin of a request with these parts.
    pub fn of(parts: &http::request::Parts) -> Self {
        let scheme = request_scheme(parts);
        let host = parts
            .headers
            .get(http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| parts.uri.authority().map(http::uri::Authority::as_str))
            .map(str::trim)
            .filter(|host| is_host_and_port(host));
        Self(host.map(|host| format!("{scheme}://{host}")))
    }
}

/// The scheme a client used: a reverse proxy's `X-Forwarded-Proto` (http or https) first, else
/// how the request arrived (TLS, or the sandbox's mark for a routed `https://` URL), else the
/// URI's. One rule for the links a mock builds ([`RequestOrigin`]) and Gigya's signature base
/// string.
pub(crate) fn request_scheme(parts: &http::request::Parts) -> &'static str {
    let forwarded = parts
        .headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .and_then(|v| match v.as_str() {
            "https" => Some("https"),
            "http" => Some("http"),
            _ => None,
        });
    forwarded
        .or(parts.extensions.get::<ArrivalScheme>().map(|s| s.0))
        .or(parts.uri.scheme_str().filter(|s| *s == "https").map(|_| "https"))
        .unwrap_or("http")
}

/// `name`, `name:port`, `1.2.3.4:port` or `[v6]:port`: what a link may be built on (a `Host`
/// header is the client's to write; anything else is ignored).
pub(crate) fn is_host_and_port(text: &str) -> bool {
    if text.is_empty() || text.len() > 260 {
        return false;
    }
    let (host_ok, port) = if let Some(rest) = text.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            return false;
        };
        let port = match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(port) => Some(port),
                None => return false,
            },
        };
        (v6.parse::<std::net::Ipv6Addr>().is_ok(), port)
    } else {
        let (host, port) = match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        };
        let label_ok = |label: &str| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        (!host.is_empty() && host.split('.').all(label_ok), port)
    };
    host_ok && port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RequestOrigin {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(parts))
    }
}

/// The client's address, when the request came through [`start`] (absent in router tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerAddr(pub Option<SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PeerAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerAddr(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)))
    }
}
