//! The `request` global: Rust half.
//!
//! `request.js` reproduces the option handling of the npm `request` module and calls
//! `httpStart(spec)`; this module performs the exchange with the configured
//! [`reqwest::Client`] on the Tokio runtime (never on the call's thread), follows redirects
//! with `request`'s rules, applies `timeout` like `request` (time to response headers, then
//! between body chunks), maps failures to the errors Node would produce (`connect
//! ECONNREFUSED 127.0.0.1:4000`, `getaddrinfo ENOTFOUND host`, `ESOCKETTIMEDOUT`, ...) and
//! sends the result back to the event loop as a [`Completion`]. Every hop is logged as an
//! [`HttpExchange`] with credentials masked. Every hop is first checked against the sandbox's
//! [`Outbound`] policy; a refused hop fails with `connect EACCES` without being sent.

use std::net::IpAddr;

use base64::Engine as _;
use std::time::Duration;

use rquickjs::{Array, ArrayBuffer, Ctx, Exception, Function, IntoJs, Object, Value};

use super::legacy_url;
use std::sync::Arc;

use crate::alloc::{Budget, Held};
use crate::host::{Completion, ExchangeLog, Host};
use crate::outbound::{ORIGINAL_SCHEME_HEADER, Outbound, RouteTarget, Routes, refusal_message};
use crate::outcome::HttpExchange;

/// JavaScript half of `request`.
pub(crate) const JS: &str = include_str!("request.js");

/// The options few requests use (qs, form, auth, baseUrl, Buffer bodies) and network errors:
/// loaded by `request.js` only when a request needs them.
pub(crate) const OPTIONS_JS: &str = include_str!("request_options.js");

/// Requests one call may have in flight at once; more wait for one of them to finish, as
/// requests wait for a free socket in Node when an agent's `maxSockets` is reached. Each holds at
/// most one socket (redirects are followed one after the other), so this is also the call's
/// socket limit. Auth0 documents no such limit; 20 covers the fan-outs scripts do (a few
/// requests, `Promise.all` over a page of results) while keeping one script from exhausting
/// the process's file descriptors (issue 17: one login opened 5,000 sockets).
pub(crate) const MAX_REQUESTS_IN_FLIGHT: usize = 20;

/// Requests one call may start in all; later ones fail at once with
/// [`REQUEST_LIMIT_CODE`]. Within the 20 s time limit a script that needs more is looping.
pub(crate) const MAX_REQUESTS_PER_CALL: u32 = 500;

/// `err.code` of a request refused by [`MAX_REQUESTS_PER_CALL`].
pub(crate) const REQUEST_LIMIT_CODE: &str = "ERR_SANDBOX_REQUEST_LIMIT";

/// Placeholder for masked credentials.
const MASKED: &str = "[masked]";

/// A successful exchange (after redirects).
#[derive(Debug)]
pub(crate) struct HttpResponse {
    pub(crate) method: String,
    pub(crate) status: u16,
    pub(crate) status_text: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) url: String,
    pub(crate) body: Vec<u8>,
    /// The body's bytes, counted in the call's memory until handed to the script.
    pub(crate) held: Option<Held>,
    /// The script asked for the body as bytes (an `encoding` other than UTF-8): it is handed
    /// over as an `ArrayBuffer` rather than as text.
    pub(crate) binary: bool,
}

/// A failed exchange, with the fields of the Node error it becomes.
#[derive(Debug, Default)]
pub(crate) struct HttpFailure {
    pub(crate) message: String,
    pub(crate) code: Option<String>,
    pub(crate) errno: Option<i32>,
    pub(crate) syscall: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) port: Option<u16>,
    pub(crate) hostname: Option<String>,
    pub(crate) connect: Option<bool>,
    /// The response body exceeded the memory limit: the call ends as out of memory.
    pub(crate) too_large: bool,
}

impl HttpFailure {
    fn plain(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            ..Self::default()
        }
    }
}

/// What the script asked for.
#[derive(Debug, Clone)]
struct HttpSpec {
    method: String,
    url: url::Url,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    timeout: Option<Duration>,
    follow_redirect: bool,
    follow_all_redirects: bool,
    follow_original_method: bool,
    max_redirects: u32,
    remove_referer: bool,
    /// See [`HttpResponse::binary`].
    binary: bool,
}

/// Adds `urlParse`, `httpStart` and `utf8Length` to the native object.
pub(crate) fn register<'js>(ctx: &Ctx<'js>, native: &Object<'js>, host: &Host) -> rquickjs::Result<()> {
    register_url_parse(ctx, native)?;
    let h = host.clone();
    native.set(
        "httpStart",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, spec: Array<'js>| -> rquickjs::Result<f64> {
                let spec = read_spec(&ctx, &spec, h.services.http_timeout_default)?;
                Ok(start(&h, spec) as f64)
            },
        )?,
    )?;
    native.set(
        "utf8Length",
        Function::new(ctx.clone(), |text: String| text.len() as f64)?,
    )?;
    Ok(())
}

/// Adds `httpRejected`, `httpAbort` and `utf8Base64`, which only `request_options.js` uses
/// (loaded after `request.js`, whose natives it shares): a call pays for them only when one of
/// its requests needs them.
pub(crate) fn register_options<'js>(ctx: &Ctx<'js>, native: &Object<'js>, host: &Host) -> rquickjs::Result<()> {
    let h = host.clone();
    native.set(
        "httpRejected",
        Function::new(ctx.clone(), move |method: String, href: String, message: String| {
            log_rejected(&h, &method, &href, &message);
        })?,
    )?;
    let h = host.clone();
    native.set(
        "httpAbort",
        Function::new(ctx.clone(), move |id: f64| {
            if let Some(handle) = h.state.borrow_mut().http_pending.remove(&(id as u64)) {
                handle.abort();
            }
        })?,
    )?;
    native.set(
        "utf8Base64",
        Function::new(ctx.clone(), |text: String| {
            base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
        })?,
    )
}

/// Adds `urlParse` (also used by the `url` module).
pub(crate) fn register_url_parse<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set(
        "urlParse",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, input: String| url_object(&ctx, &input))?,
    )
}

/// `url.parse(input)` as a plain object (`null` for absent parts); `{ invalid: true }` when
/// Node would throw `ERR_INVALID_URL`.
fn url_object<'js>(ctx: &Ctx<'js>, input: &str) -> rquickjs::Result<Object<'js>> {
    let obj = Object::new(ctx.clone())?;
    let Ok(u) = legacy_url::parse(input) else {
        obj.set("invalid", true)?;
        return Ok(obj);
    };
    let opt = |v: &Option<String>| -> rquickjs::Result<Value<'js>> {
        match v {
            Some(s) => s.as_str().into_js(ctx),
            None => Ok(Value::new_null(ctx.clone())),
        }
    };
    obj.set("protocol", opt(&u.protocol)?)?;
    obj.set(
        "slashes",
        if u.slashes {
            Value::new_bool(ctx.clone(), true)
        } else {
            Value::new_null(ctx.clone())
        },
    )?;
    obj.set("auth", opt(&u.auth)?)?;
    obj.set("host", opt(&u.host)?)?;
    obj.set("port", opt(&u.port)?)?;
    obj.set("hostname", opt(&u.hostname)?)?;
    obj.set("hash", opt(&u.hash)?)?;
    obj.set("search", opt(&u.search)?)?;
    obj.set("query", opt(&u.query)?)?;
    obj.set("pathname", opt(&u.pathname)?)?;
    obj.set("path", opt(&u.path)?)?;
    obj.set("href", u.href.as_str())?;
    Ok(obj)
}

/// The positions of `httpStart`'s argument, an array (`request.js` builds it): method, href,
/// headers (an array of names and values, alternating), bodyText, body (binary string), timeout, followRedirect,
/// followAllRedirects, followOriginalHttpMethod, maxRedirects, removeRefererHeader, binary.
fn read_spec<'js>(ctx: &Ctx<'js>, spec: &Array<'js>, default_timeout: Option<Duration>) -> rquickjs::Result<HttpSpec> {
    let method: String = spec.get(0)?;
    if http::Method::from_bytes(method.as_bytes()).is_err() {
        return Err(Exception::throw_type(
            ctx,
            &format!("Method must be a valid HTTP token [\"{method}\"]"),
        ));
    }
    let href: String = spec.get(1)?;
    let url = url::Url::parse(&href).map_err(|_| Exception::throw_message(ctx, &format!("Invalid URI \"{href}\"")))?;
    let flat: Vec<String> = spec.get(2)?;
    let mut headers = Vec::with_capacity(flat.len() / 2);
    let mut flat = flat.into_iter();
    while let Some(name) = flat.next() {
        let value = flat
            .next()
            .ok_or_else(|| Exception::throw_type(ctx, "invalid header entry"))?;
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(Exception::throw_type(
                ctx,
                &format!("Header name must be a valid HTTP token [\"{name}\"]"),
            ));
        }
        if http::HeaderValue::from_str(&value).is_err() {
            return Err(Exception::throw_type(
                ctx,
                &format!("Invalid character in header content [\"{name}\"]"),
            ));
        }
        headers.push((name, value));
    }
    let body_text: Option<String> = spec.get(3)?;
    let body_binary: Option<String> = spec.get(4)?;
    let body = match (body_text, body_binary) {
        (Some(text), _) => Some(text.into_bytes()),
        (None, Some(binary)) => Some(super::buffer::binary_to_bytes(&binary)),
        (None, None) => None,
    };
    let timeout: Option<f64> = spec.get(5)?;
    let max_redirects: Option<f64> = spec.get(9)?;
    Ok(HttpSpec {
        method,
        url,
        headers,
        body,
        timeout: timeout
            .filter(|t| t.is_finite() && *t > 0.0)
            .and_then(|t| Duration::try_from_secs_f64(t / 1000.0).ok())
            .or(default_timeout),
        follow_redirect: spec.get::<Option<bool>>(6)?.unwrap_or(true),
        follow_all_redirects: spec.get::<Option<bool>>(7)?.unwrap_or(false),
        follow_original_method: spec.get::<Option<bool>>(8)?.unwrap_or(false),
        max_redirects: max_redirects.filter(|m| *m >= 0.0).map_or(10, |m| m as u32),
        remove_referer: spec.get::<Option<bool>>(10)?.unwrap_or(false),
        binary: spec.get::<Option<bool>>(11)?.unwrap_or(false),
    })
}

/// Spawns the exchange on the Tokio runtime; returns the operation id. Past
/// [`MAX_REQUESTS_PER_CALL`] the request fails at once (asynchronously, as network errors do);
/// otherwise it waits for one of the call's [`MAX_REQUESTS_IN_FLIGHT`] slots before it
/// connects.
fn start(host: &Host, spec: HttpSpec) -> u64 {
    let (id, started) = {
        let mut state = host.state.borrow_mut();
        state.requests_started = state.requests_started.saturating_add(1);
        (state.next_id(), state.requests_started)
    };
    let services = &host.services;
    let client = services.client.clone();
    let log = services.exchanges.clone();
    let tx = services.completions.clone();
    let budget = services.budget.clone();
    let slots = services.request_slots.clone();
    let outbound = services.outbound.clone();
    let routes = services.routes.clone();
    // The first hop is logged now: the call may end before the task gets to run.
    log.start(id, 0, exchange_for(&spec.method, &spec.url, &spec.headers, &routes));
    let task = if started > MAX_REQUESTS_PER_CALL {
        let failure = HttpFailure {
            code: Some(REQUEST_LIMIT_CODE.to_owned()),
            ..HttpFailure::plain(format!(
                "sandbox limit: a script call may start at most {MAX_REQUESTS_PER_CALL} requests"
            ))
        };
        log.finish(id, 0, None, Some(failure.message.clone()));
        services.handle.spawn(async move {
            let _ = tx.send(Completion::Http {
                id,
                result: Err(failure),
            });
        })
    } else {
        services.handle.spawn(async move {
            // Closed only when the call is over: nothing to deliver then.
            let Ok(_slot) = slots.acquire_owned().await else {
                return;
            };
            let policy = Policy {
                outbound: &outbound,
                routes: &routes,
            };
            let result = perform(&client, policy, spec, id, &log, &budget).await;
            // The receiver is gone when the call already ended; nothing to do then.
            let _ = tx.send(Completion::Http { id, result });
        })
    };
    host.state.borrow_mut().http_pending.insert(id, task.abort_handle());
    id
}

/// Logs a request `request` refused before sending it (an invalid URI or protocol), with its
/// error, as Node's `request` fails it: nothing is sent and nothing counts against the limits.
fn log_rejected(host: &Host, method: &str, href: &str, message: &str) {
    let id = host.state.borrow_mut().next_id();
    let log = &host.services.exchanges;
    // as the script wrote it (a WHATWG parser would read `https:/host` as `https://host`)
    let url = mask_userinfo(href);
    log.start(
        id,
        0,
        HttpExchange {
            method: method.to_owned(),
            url,
            routed_to: None,
            request_headers: Vec::new(),
            status: None,
            error: None,
            elapsed: Duration::ZERO,
        },
    );
    log.finish(id, 0, None, Some(message.to_owned()));
}

/// `text` (a URL as written) with anything between its scheme and an `@` masked.
fn mask_userinfo(text: &str) -> String {
    let Some(colon) = text.find(':') else {
        return text.to_owned();
    };
    let start = colon + 1 + text[colon + 1..].chars().take_while(|c| *c == '/').count();
    let end = text[start..].find(['/', '?', '#']).map_or(text.len(), |i| start + i);
    match text[start..end].rfind('@') {
        Some(at) => format!("{}{MASKED}{}", &text[..start], &text[start + at..]),
        None => text.to_owned(),
    }
}

/// The log entry of a hop that is about to be sent.
fn exchange_for(method: &str, url: &url::Url, headers: &[(String, String)], routes: &Routes) -> HttpExchange {
    let routed_to = routes.find(url).and_then(|route| match route.target() {
        RouteTarget::Origin { url, name } => {
            let origin = url.as_str().trim_end_matches('/');
            Some(if name.is_empty() {
                origin.to_owned()
            } else {
                format!("{origin} ({name})")
            })
        }
        RouteTarget::Refused(_) | RouteTarget::Direct => None,
    });
    HttpExchange {
        method: method.to_owned(),
        url: mask_url(url),
        routed_to,
        request_headers: mask_headers(headers),
        status: None,
        error: None,
        elapsed: Duration::ZERO,
    }
}

/// Which hosts a request may reach, and which go to a mock instead.
#[derive(Clone, Copy)]
struct Policy<'a> {
    outbound: &'a Outbound,
    routes: &'a Routes,
}

/// Where one hop is sent: the script's URL itself, or the route's target with the script's
/// path and query, a `Host` header naming the script's host (unless the script set one) and,
/// when the schemes differ, [`ORIGINAL_SCHEME_HEADER`].
/// The refusal is boxed: it is the rare path, and keeps the `Result` small.
fn destination(
    policy: Policy<'_>,
    url: &url::Url,
    headers: &[(String, String)],
) -> Result<Destination, Box<HttpFailure>> {
    match policy.routes.find(url).map(crate::outbound::Route::target) {
        Some(RouteTarget::Refused(reason)) => Err(Box::new(refused_by_policy(url, reason))),
        Some(RouteTarget::Origin { url: origin, .. }) => {
            let mut sent = origin.clone();
            sent.set_path(url.path());
            sent.set_query(url.query());
            let mut headers = headers.to_vec();
            if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("host")) {
                let host = url.host_str().unwrap_or_default();
                let authority = match url.port() {
                    Some(port) => format!("{host}:{port}"),
                    None => host.to_owned(),
                };
                headers.push(("host".to_owned(), authority));
            }
            headers.retain(|(name, _)| !name.eq_ignore_ascii_case(ORIGINAL_SCHEME_HEADER));
            if origin.scheme() != url.scheme() {
                headers.push((ORIGINAL_SCHEME_HEADER.to_owned(), url.scheme().to_owned()));
            }
            Ok(Destination::Routed { url: sent, headers })
        }
        Some(RouteTarget::Direct) | None if policy.outbound.allows(url) => Ok(Destination::Direct),
        Some(RouteTarget::Direct) | None => {
            let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
            let hint = policy.routes.refusal_hint().replace("{host}", host);
            Err(Box::new(refused_by_policy(url, &hint)))
        }
    }
}

/// See [`destination`].
enum Destination {
    Direct,
    Routed {
        url: url::Url,
        headers: Vec<(String, String)>,
    },
}

/// Runs one request, following redirects (hop 0 is already logged).
async fn perform(
    client: &reqwest::Client,
    policy: Policy<'_>,
    spec: HttpSpec,
    op: u64,
    log: &ExchangeLog,
    budget: &Arc<Budget>,
) -> Result<HttpResponse, HttpFailure> {
    let original_host = spec.url.host_str().unwrap_or_default().to_owned();
    let mut url = spec.url.clone();
    let mut method = spec.method.clone();
    let mut headers = spec.headers.clone();
    let mut body = spec.body.clone();
    for hop in 0u32.. {
        if hop > 0 {
            log.start(op, hop, exchange_for(&method, &url, &headers, policy.routes));
        }
        let destination = match destination(policy, &url, &headers) {
            Ok(destination) => destination,
            Err(failure) => {
                log.finish(op, hop, None, Some(failure.message.clone()));
                return Err(*failure);
            }
        };
        let (sent_url, sent_headers) = match &destination {
            Destination::Direct => (&url, headers.as_slice()),
            Destination::Routed { url, headers } => (url, headers.as_slice()),
        };
        let sent = send_once(
            client,
            &method,
            sent_url,
            sent_headers,
            body.as_deref(),
            spec.timeout,
            budget,
        )
        .await;
        let response = match sent {
            Ok(mut response) => {
                if let Destination::Routed { .. } = destination {
                    // the answer is the script's URL's, wherever it was sent
                    response.url = url.to_string();
                }
                response
            }
            Err(failure) => {
                log.finish(op, hop, None, Some(failure.message.clone()));
                return Err(failure);
            }
        };
        log.finish(op, hop, Some(response.status), None);

        let location = response
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("location"))
            .map(|(_, value)| value.clone());
        let redirect = match location {
            Some(location) if (300..400).contains(&response.status) => {
                let follow = spec.follow_all_redirects
                    || (spec.follow_redirect && !matches!(method.as_str(), "PATCH" | "PUT" | "POST" | "DELETE"));
                follow.then_some(location)
            }
            _ => None,
        };
        let Some(location) = redirect else {
            return Ok(HttpResponse {
                method,
                binary: spec.binary,
                ..response
            });
        };
        // `hop` redirects have been followed so far
        if hop >= spec.max_redirects {
            return Err(HttpFailure::plain(format!(
                "Exceeded maxRedirects. Probably stuck in a redirect loop {url}"
            )));
        }
        let next = url
            .join(&location)
            .map_err(|_| HttpFailure::plain(format!("Invalid URI \"{location}\"")))?;
        if next.scheme() != "http" && next.scheme() != "https" {
            return Err(HttpFailure::plain(format!("Invalid protocol: {}:", next.scheme())));
        }
        if spec.follow_all_redirects
            && method != "HEAD"
            && response.status != 401
            && response.status != 307
            && !spec.follow_original_method
        {
            method = "GET".to_owned();
        }
        if response.status != 401 && response.status != 307 {
            body = None;
            let drop_auth = next.host_str().unwrap_or_default() != original_host;
            headers.retain(|(name, _)| {
                let lower = name.to_ascii_lowercase();
                !(lower == "host"
                    || lower == "content-type"
                    || lower == "content-length"
                    || (drop_auth && lower == "authorization"))
            });
        }
        if !spec.remove_referer {
            headers.retain(|(name, _)| !name.eq_ignore_ascii_case("referer"));
            headers.push(("referer".to_owned(), url.to_string()));
        }
        url = next;
    }
    Err(HttpFailure::plain("redirect loop"))
}

/// One HTTP exchange without redirect handling.
async fn send_once(
    client: &reqwest::Client,
    method: &str,
    url: &url::Url,
    headers: &[(String, String)],
    body: Option<&[u8]>,
    timeout: Option<Duration>,
    budget: &Arc<Budget>,
) -> Result<HttpResponse, HttpFailure> {
    let method_value = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|_| HttpFailure::plain(format!("Invalid method {method}")))?;
    let mut builder = client.request(method_value, url.clone());
    for (name, value) in headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    if let Some(body) = body {
        builder = builder.body(body.to_vec());
    }
    let send = builder.send();
    let sent = match timeout {
        Some(t) => match tokio::time::timeout(t, send).await {
            Ok(result) => result,
            Err(_) => return Err(read_timeout()),
        },
        None => send.await,
    };
    let mut response = match sent {
        Ok(response) => response,
        Err(err) => return Err(map_error(&err, url).await),
    };
    let status = response.status();
    let mut out = HttpResponse {
        method: method.to_owned(),
        status: status.as_u16(),
        status_text: status.canonical_reason().unwrap_or_default().to_owned(),
        headers: response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        url: url.to_string(),
        body: Vec::new(),
        held: None,
        binary: false,
    };
    let max_body = budget.max_body();
    let mut held = Held::new(budget.clone());
    loop {
        let chunk = match timeout {
            Some(t) => match tokio::time::timeout(t, response.chunk()).await {
                Ok(result) => result,
                Err(_) => return Err(read_timeout()),
            },
            None => response.chunk().await,
        };
        match chunk {
            Ok(Some(bytes)) => {
                // One body at most a quarter of the call's memory, and every body being
                // received counted against it with the script's heap.
                if out.body.len() + bytes.len() > max_body || !held.add(bytes.len()) {
                    return Err(HttpFailure {
                        too_large: true,
                        ..HttpFailure::plain("response body exceeds the memory limit")
                    });
                }
                out.body.extend_from_slice(&bytes);
            }
            Ok(None) => break,
            Err(err) => return Err(map_error(&err, url).await),
        }
    }
    out.held = Some(held);
    Ok(out)
}

/// `request`'s read timeout (the connection was made, the server is silent).
fn read_timeout() -> HttpFailure {
    HttpFailure {
        code: Some("ESOCKETTIMEDOUT".to_owned()),
        connect: Some(false),
        ..HttpFailure::plain("ESOCKETTIMEDOUT")
    }
}

/// Maps a reqwest error to the error Node's http module would report.
async fn map_error(err: &reqwest::Error, url: &url::Url) -> HttpFailure {
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']).to_owned();
    let port = url.port_or_known_default().unwrap_or(80);
    // The causes only: reqwest's own message names the URL, which must not be matched.
    let mut chain = String::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if !std::ptr::addr_eq(e, err) {
            if !chain.is_empty() {
                chain.push_str(": ");
            }
            chain.push_str(&e.to_string());
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return refused(&host, port).await,
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe => {
                    return HttpFailure {
                        code: Some("ECONNRESET".to_owned()),
                        errno: Some(-104),
                        syscall: Some("read".to_owned()),
                        ..HttpFailure::plain("read ECONNRESET")
                    };
                }
                std::io::ErrorKind::TimedOut => return connect_timeout(),
                _ => {}
            }
        }
        source = e.source();
    }
    let lower = chain.to_ascii_lowercase();
    if [
        "invalid peer certificate",
        "received fatal alert",
        "peer is incompatible",
        "handshake",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
    {
        return tls_failure(&chain);
    }
    if lower.contains("dns error") || lower.contains("failed to lookup address") {
        return HttpFailure {
            code: Some("ENOTFOUND".to_owned()),
            errno: Some(-3008),
            syscall: Some("getaddrinfo".to_owned()),
            hostname: Some(host.clone()),
            ..HttpFailure::plain(format!("getaddrinfo ENOTFOUND {host}"))
        };
    }
    if err.is_timeout() {
        return if err.is_connect() {
            connect_timeout()
        } else {
            read_timeout()
        };
    }
    if lower.contains("connection closed before message completed")
        || lower.contains("incomplete message")
        || lower.contains("connection reset")
    {
        return HttpFailure {
            code: Some("ECONNRESET".to_owned()),
            ..HttpFailure::plain("socket hang up")
        };
    }
    if chain.is_empty() {
        HttpFailure::plain(err.to_string())
    } else {
        HttpFailure::plain(chain)
    }
}

/// A hop the outbound policy does not allow: Node's error for a connection it may not make
/// (`EACCES`), with the reason appended.
fn refused_by_policy(url: &url::Url, reason: &str) -> HttpFailure {
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']).to_owned();
    let port = url.port_or_known_default().unwrap_or(80);
    HttpFailure {
        code: Some("EACCES".to_owned()),
        errno: Some(-13),
        syscall: Some("connect".to_owned()),
        address: Some(host.clone()),
        port: Some(port),
        ..HttpFailure::plain(refusal_message(&host, port, reason))
    }
}

fn connect_timeout() -> HttpFailure {
    HttpFailure {
        code: Some("ETIMEDOUT".to_owned()),
        connect: Some(true),
        ..HttpFailure::plain("ETIMEDOUT")
    }
}

/// `connect ECONNREFUSED <address>:<port>`, with the address the name resolved to.
async fn refused(host: &str, port: u16) -> HttpFailure {
    let address = match host.parse::<IpAddr>() {
        Ok(ip) => ip.to_string(),
        Err(_) => match tokio::net::lookup_host((host, port)).await {
            Ok(mut addrs) => addrs.next().map_or_else(|| host.to_owned(), |a| a.ip().to_string()),
            Err(_) => host.to_owned(),
        },
    };
    HttpFailure {
        code: Some("ECONNREFUSED".to_owned()),
        errno: Some(-111),
        syscall: Some("connect".to_owned()),
        address: Some(address.clone()),
        port: Some(port),
        ..HttpFailure::plain(format!("connect ECONNREFUSED {address}:{port}"))
    }
}

/// TLS failures, with Node's (OpenSSL's) wording for the common certificate problems
/// (recognised from rustls' error text).
fn tls_failure(chain: &str) -> HttpFailure {
    let (message, code) = if chain.contains("UnknownIssuer") {
        (
            "unable to get local issuer certificate".to_owned(),
            "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
        )
    } else if chain.contains("Expired") {
        ("certificate has expired".to_owned(), "CERT_HAS_EXPIRED")
    } else if chain.contains("NotValidForName") {
        (
            "Hostname/IP does not match certificate's altnames".to_owned(),
            "ERR_TLS_CERT_ALTNAME_INVALID",
        )
    } else {
        (chain.to_owned(), "EPROTO")
    };
    HttpFailure {
        code: Some(code.to_owned()),
        ..HttpFailure::plain(message)
    }
}

/// The URL with any user-info replaced by `[masked]`.
pub(crate) fn mask_url(url: &url::Url) -> String {
    let text = url.to_string();
    if url.username().is_empty() && url.password().is_none() {
        return text;
    }
    match (text.find("://"), text.find('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}{MASKED}{}", &text[..scheme_end + 3], &text[at..])
        }
        _ => text,
    }
}

/// Whether a header carries credentials.
pub(crate) fn is_secret_header(name: &str) -> bool {
    const NAMES: [&str; 4] = ["authorization", "proxy-authorization", "cookie", "set-cookie"];
    const PARTS: [&str; 8] = [
        "token",
        "secret",
        "password",
        "apikey",
        "api-key",
        "api_key",
        "credential",
        "session",
    ];
    // compared without case and without a lower-case copy (every header of every request
    // goes through here)
    let bytes = name.as_bytes();
    NAMES.iter().any(|n| name.eq_ignore_ascii_case(n))
        || PARTS.iter().any(|part| {
            bytes
                .windows(part.len())
                .any(|window| window.eq_ignore_ascii_case(part.as_bytes()))
        })
}

fn mask_headers(headers: &[(String, String)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = if is_secret_header(name) {
                MASKED.to_owned()
            } else {
                value.clone()
            };
            (name.clone(), value)
        })
        .collect()
}

/// Headers Node's http module keeps the first value of, dropping repeats (`set-cookie` is
/// always an array; the others join their values with `, `).
const SINGLE_VALUED: &[&str] = &[
    "content-type",
    "content-length",
    "user-agent",
    "referer",
    "host",
    "authorization",
    "proxy-authorization",
    "if-modified-since",
    "if-unmodified-since",
    "from",
    "location",
    "max-forwards",
    "retry-after",
    "etag",
    "last-modified",
    "server",
    "age",
    "expires",
];

/// `response.headers` (lower-case names, Node's rules for repeats) and `response.rawHeaders`
/// (names as received, then values, flat), built here rather than in JavaScript.
fn response_headers<'js>(ctx: &Ctx<'js>, pairs: Vec<(String, String)>) -> rquickjs::Result<(Object<'js>, Array<'js>)> {
    let headers = Object::new(ctx.clone())?;
    let raw = Array::new(ctx.clone())?;
    let mut merged: Vec<(String, Vec<String>)> = Vec::with_capacity(pairs.len());
    for (i, (name, value)) in pairs.into_iter().enumerate() {
        let lower = name.to_ascii_lowercase();
        raw.set(2 * i, name)?;
        raw.set(2 * i + 1, value.as_str())?;
        match merged.iter_mut().find(|(n, _)| *n == lower) {
            Some((_, values)) => values.push(value),
            None => merged.push((lower, vec![value])),
        }
    }
    for (name, mut values) in merged {
        if name == "set-cookie" {
            headers.set(name, values)?;
        } else if values.len() == 1 || SINGLE_VALUED.contains(&name.as_str()) {
            headers.set(name, values.swap_remove(0))?;
        } else {
            headers.set(name, values.join(", "))?;
        }
    }
    Ok((headers, raw))
}

/// The arguments of `request.js`'s `complete(id, error, response, method, url, size, payload)`
/// after the id: on failure the Node error's fields; on success the response object itself
/// with its first five properties (`statusCode`, `statusMessage`, `httpVersion`, `headers`,
/// `rawHeaders`, in the order `complete` then continues with `request`, `toJSON` and `body`),
/// the method and URL of the last hop, the body's length in bytes, and the body as text or,
/// when the script asked for bytes, as an `ArrayBuffer` (never both: one copy in the engine's
/// heap).
pub(crate) struct Delivery<'js> {
    pub(crate) error: Value<'js>,
    pub(crate) response: Value<'js>,
    pub(crate) method: Value<'js>,
    pub(crate) url: Value<'js>,
    pub(crate) size: f64,
    pub(crate) payload: Value<'js>,
}

/// See [`Delivery`].
pub(crate) fn to_js<'js>(
    ctx: &Ctx<'js>,
    host: &Host,
    result: Result<HttpResponse, HttpFailure>,
) -> rquickjs::Result<Delivery<'js>> {
    let undefined = Value::new_undefined(ctx.clone());
    match result {
        Err(failure) => {
            let obj = Object::new(ctx.clone())?;
            obj.set("message", failure.message)?;
            obj.set("code", failure.code)?;
            obj.set("errno", failure.errno)?;
            obj.set("syscall", failure.syscall)?;
            obj.set("address", failure.address)?;
            obj.set("port", failure.port)?;
            obj.set("hostname", failure.hostname)?;
            obj.set("connect", failure.connect)?;
            Ok(Delivery {
                error: obj.into_value(),
                response: undefined.clone(),
                method: undefined.clone(),
                url: undefined.clone(),
                size: 0.0,
                payload: undefined,
            })
        }
        Ok(mut response) => {
            // From here the body is the script's heap's to count.
            drop(response.held.take());
            let obj = Object::new(ctx.clone())?;
            obj.set("statusCode", response.status)?;
            obj.set("statusMessage", response.status_text)?;
            obj.set("httpVersion", "1.1")?;
            let (headers, raw) = response_headers(ctx, response.headers)?;
            obj.set("headers", headers)?;
            obj.set("rawHeaders", raw)?;
            let size = response.body.len() as f64;
            let payload = if response.binary {
                host.typed_arrays(ctx)?;
                ArrayBuffer::new(ctx.clone(), response.body)?.into_value()
            } else {
                String::from_utf8_lossy(&response.body).as_ref().into_js(ctx)?
            };
            Ok(Delivery {
                error: undefined,
                response: obj.into_value(),
                method: response.method.as_str().into_js(ctx)?,
                url: response.url.as_str().into_js(ctx)?,
                size,
                payload,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls_that_do_not_parse_are_masked() {
        assert_eq!(mask_userinfo("https:/user:pw@host/x@y"), "https:/[masked]@host/x@y");
        assert_eq!(mask_userinfo("https:/host/a"), "https:/host/a");
        assert_eq!(mask_userinfo("no-scheme"), "no-scheme");
    }

    #[test]
    fn secret_headers_are_recognised_in_any_case() {
        for name in [
            "Authorization",
            "PROXY-AUTHORIZATION",
            "cookie",
            "Set-Cookie",
            "X-Auth-Token",
            "x-client-SECRET",
            "Password",
            "X-ApiKey",
            "x-api-key",
            "X_API_KEY",
            "X-Credentials",
            "Session-Id",
        ] {
            assert!(is_secret_header(name), "{name}");
        }
        for name in ["Accept", "Content-Type", "X-Request-Id", "Cookie2x", "tok", "api"] {
            assert!(!is_secret_header(name), "{name}");
        }
        assert!(!is_secret_header(""));
    }

    #[test]
    fn credentials_are_masked() {
        let url = url::Url::parse("https://user:pw@example.com/a?b=1").unwrap_or_else(|_| unreachable!());
        assert_eq!(mask_url(&url), "https://[masked]@example.com/a?b=1");
        let url = url::Url::parse("https://example.com/a").unwrap_or_else(|_| unreachable!());
        assert_eq!(mask_url(&url), "https://example.com/a");
        let headers = vec![
            ("Authorization".to_owned(), "SSWS abc".to_owned()),
            ("X-Api-Key".to_owned(), "k".to_owned()),
            ("Accept".to_owned(), "application/json".to_owned()),
        ];
        assert_eq!(
            mask_headers(&headers),
            vec![
                ("Authorization".to_owned(), MASKED.to_owned()),
                ("X-Api-Key".to_owned(), MASKED.to_owned()),
                ("Accept".to_owned(), "application/json".to_owned()),
            ]
        );
    }
}
