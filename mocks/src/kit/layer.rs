//! The middleware in front of every mock: journals each exchange and applies injected faults,
//! and bounds the time a request body may take to arrive. Admin requests (`/__ferry/…`) are not
//! journaled; they are refused when they come from another site (see [`admin_guard`]).

use std::borrow::Cow;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::fault::Fault;
use super::journal::{self, BODY_LIMIT, JournalEntry};
use super::mask::Secrets;
use super::server::ConnControl;
use super::{Kit, MAX_BODY, Provider};

#[derive(Clone)]
pub(crate) struct LayerState<P> {
    provider: P,
    kit: Kit,
    secrets: Secrets<'static>,
}

impl<P: Provider> LayerState<P> {
    pub(crate) fn new(provider: P) -> Self {
        let kit = provider.kit().clone();
        let secrets = Secrets::new(provider.secret_fields());
        Self { provider, kit, secrets }
    }
}

/// Why a request body was not received.
enum BodyError {
    /// Over [`MAX_BODY`].
    TooLarge,
    /// Not complete within the kit's body time-out.
    TooSlow(Duration),
    /// The connection failed while it was being read.
    Broken,
}

/// The whole request body, within [`MAX_BODY`] and the kit's body time-out.
async fn read_body(body: Body, kit: &Kit) -> Result<Bytes, BodyError> {
    let mut reading = std::pin::pin!(to_bytes(body, MAX_BODY));
    // Most bodies are already in the connection's buffer with their headers: a first poll reads
    // them, and a timer is armed only for a body that is still on its way.
    let first = std::future::poll_fn(|cx| std::task::Poll::Ready(reading.as_mut().poll(cx))).await;
    let read = match first {
        std::task::Poll::Ready(read) => read,
        std::task::Poll::Pending => {
            let limit = kit.body_timeout();
            match tokio::time::timeout(limit, reading).await {
                Ok(read) => read,
                Err(_) => return Err(BodyError::TooSlow(limit)),
            }
        }
    };
    match read {
        Ok(bytes) => Ok(bytes),
        Err(e) => {
            // axum reports an exceeded limit as a `LengthLimitError` in the error's sources.
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            while let Some(err) = source {
                if err.is::<http_body_util::LengthLimitError>() {
                    return Err(BodyError::TooLarge);
                }
                source = err.source();
            }
            Err(BodyError::Broken)
        }
    }
}

/// The answer to a body that could not be received, and how the journal describes it. A body
/// that was too slow (or broken) ends the connection: what is left of it on the wire cannot be
/// told apart from a next request.
fn body_refusal<P: Provider>(provider: &P, error: &BodyError) -> (Response, String) {
    match error {
        BodyError::TooLarge => (
            provider.fault_response(StatusCode::PAYLOAD_TOO_LARGE),
            format!("[body over {MAX_BODY} bytes]"),
        ),
        BodyError::TooSlow(limit) => {
            let mut response = provider.fault_response(StatusCode::REQUEST_TIMEOUT);
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            (response, format!("[body not received within {} ms]", limit.as_millis()))
        }
        BodyError::Broken => {
            let mut response = provider.fault_response(StatusCode::BAD_REQUEST);
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            (response, "[body not received: the connection failed]".to_owned())
        }
    }
}

pub(crate) async fn kit_layer<P: Provider>(State(state): State<LayerState<P>>, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/__ferry/") {
        return admin_request(&state, req, next).await;
    }
    let started = Instant::now();
    let time = state.kit.clock.now();
    let (parts, body) = req.into_parts();
    let body = read_body(body, &state.kit).await;
    let fault = match &body {
        Ok(_) => state.kit.faults.decide(parts.method.as_str(), parts.uri.path()),
        Err(_) => None,
    };
    let mut entry = new_entry(&state, &parts, time, body.as_ref().ok());
    let bytes = match body {
        Ok(bytes) => bytes,
        Err(error) => {
            let (mut response, described) = body_refusal(&state.provider, &error);
            entry.body = Some(described);
            entry.status = response.status().as_u16();
            entry.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
            state.kit.journal.record(entry);
            stamp_date(&mut response, &state.kit);
            return response;
        }
    };
    entry.fault = fault.as_ref().map(Fault::describe);
    let conn = parts.extensions.get::<ConnControl>().cloned();

    let response = match fault {
        None => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Some(Fault::Delay { ms }) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(Request::from_parts(parts, Body::from(bytes))).await
        }
        Some(Fault::RandomDelay { min_ms, max_ms }) => {
            let ms = state.kit.faults.draw_ms(min_ms, max_ms);
            entry.fault = Some(format!("random delay {min_ms}-{max_ms}ms: {ms}ms"));
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(Request::from_parts(parts, Body::from(bytes))).await
        }
        Some(Fault::Status { status }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            state.provider.fault_response(status)
        }
        Some(Fault::RateLimited) => state.provider.rate_limited_response(&parts, &bytes),
        Some(Fault::Empty) => {
            let (head, _) = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await
                .into_parts();
            replace_body(head, Bytes::new())
        }
        Some(Fault::Malformed) => {
            let (head, body) = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await
                .into_parts();
            let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
            replace_body(head, malformed(&body))
        }
        Some(Fault::Dribble {
            bytes_per_chunk,
            interval_ms,
        }) => {
            let real = next.run(Request::from_parts(parts, Body::from(bytes))).await;
            dribble(real, bytes_per_chunk, Duration::from_millis(interval_ms)).await
        }
        Some(fault @ (Fault::Drop | Fault::Reset | Fault::Hang)) => {
            entry.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
            state.kit.journal.record(entry);
            if let Some(conn) = conn {
                match fault {
                    Fault::Drop => conn.abort(),
                    Fault::Reset => conn.reset(),
                    _ => {}
                }
            }
            // The connection task drops this future when it closes the socket (or the client
            // gives up); until then nothing is sent.
            return std::future::pending().await;
        }
    };
    entry.status = response.status().as_u16();
    entry.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    state.kit.journal.record(entry);
    let mut response = response;
    stamp_date(&mut response, &state.kit);
    response
}

/// The journal entry of a request (its answer still to come), every credential masked.
fn new_entry<P>(
    state: &LayerState<P>,
    parts: &http::request::Parts,
    time: chrono::DateTime<chrono::Utc>,
    body: Option<&Bytes>,
) -> JournalEntry {
    let secrets = state.secrets;
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let (body, body_truncated) = match body {
        Some(bytes) if !bytes.is_empty() => {
            let kept = &bytes[..bytes.len().min(BODY_LIMIT)];
            let text = journal::lossy(kept);
            (
                Some(journal::mask_body_with(&text, content_type, secrets)),
                bytes.len() > BODY_LIMIT,
            )
        }
        _ => (None, false),
    };
    JournalEntry {
        seq: 0,
        time,
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(|q| journal::mask_query_with(q, secrets)),
        headers: journal::mask_headers_with(parts.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())), secrets),
        body,
        body_truncated,
        status: 0,
        duration_ms: 0.0,
        fault: None,
    }
}

/// An admin request: refused when it comes from another site, its body received within the
/// time-out, then served (and not journaled).
async fn admin_request<P: Provider>(state: &LayerState<P>, req: Request, next: Next) -> Response {
    if let Some(refusal) = admin_guard(req.method(), req.headers(), &state.kit) {
        return refusal;
    }
    let (parts, body) = req.into_parts();
    match read_body(body, &state.kit).await {
        Ok(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Err(BodyError::TooLarge) => super::admin::admin_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is over {MAX_BODY} bytes"),
        ),
        Err(error) => {
            let mut response = super::admin::admin_error(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                match error {
                    BodyError::TooSlow(limit) => format!("the body did not arrive within {} ms", limit.as_millis()),
                    _ => "the connection failed while the body was read".to_owned(),
                },
            );
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}

/// Admin endpoints change a mock's state (faults, seed, reset, clock) and show its journal, so a
/// web page the tester happens to open must not reach them. Browsers send `Origin` with every
/// cross-origin request that is not a navigation, and `Host` as the name the page used:
///
/// - a foreign `Origin` (not the mock's own, not one the kit allows, such as the dashboard's;
///   `null` included) is refused: cross-site request forgery;
/// - a `Host` that is a name other than `localhost` or the mock's own (an IP literal is fine) is
///   refused: DNS rebinding, where a page's own name is made to resolve to 127.0.0.1;
/// - `Sec-Fetch-Site: cross-site` is refused;
/// - a state change (any method but GET and HEAD) with a content type a page may send without
///   asking first (`text/plain`, a form, multipart) is refused: admin bodies are JSON (or YAML).
///
/// Clients that are not browsers (the scenario runner, curl, SDKs) send no `Origin` and pass.
/// Returns the refusal, if any.
pub(crate) fn admin_guard(method: &Method, headers: &HeaderMap, kit: &Kit) -> Option<Response> {
    let forbidden = |error: &str, detail: String| super::admin::admin_error(StatusCode::FORBIDDEN, error, detail);
    if let Some(host) = headers.get(header::HOST) {
        let host = String::from_utf8_lossy(host.as_bytes());
        if !kit.admits_host(&host) {
            return Some(forbidden(
                "forbidden_host",
                format!(
                    "admin endpoints answer only to an IP address, localhost or the mock's own name, not Host: {host}"
                ),
            ));
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = String::from_utf8_lossy(origin.as_bytes());
        if !kit.admits_origin(&origin) {
            return Some(forbidden(
                "forbidden_origin",
                format!("admin endpoints refuse requests from another site (Origin: {origin})"),
            ));
        }
    }
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"))
    {
        return Some(forbidden(
            "forbidden_origin",
            "admin endpoints refuse requests from another site (Sec-Fetch-Site: cross-site)".into(),
        ));
    }
    if method != Method::GET && method != Method::HEAD {
        let content_type: Cow<'_, str> = headers
            .get(header::CONTENT_TYPE)
            .map_or(Cow::Borrowed(""), |v| String::from_utf8_lossy(v.as_bytes()));
        let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if matches!(
            media.as_str(),
            "text/plain" | "application/x-www-form-urlencoded" | "multipart/form-data"
        ) {
            return Some(super::admin::admin_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "admin endpoints take JSON (or YAML for a seed), not {media}: send Content-Type: application/json"
                ),
            ));
        }
    }
    None
}

/// The answer's headers with status 200 and `body` instead of its own (its content type kept,
/// its length recomputed).
fn replace_body(mut head: http::response::Parts, body: Bytes) -> Response {
    head.status = StatusCode::OK;
    head.headers.remove(header::CONTENT_LENGTH);
    head.headers.remove(header::TRANSFER_ENCODING);
    Response::from_parts(head, Body::from(body))
}

/// The first half of `body`, which no JSON parser accepts: a strict prefix of a JSON object or
/// array never parses. Should the cut happen to parse (a bare number, an empty body), a fixed
/// fragment stands in.
fn malformed(body: &[u8]) -> Bytes {
    let cut = &body[..body.len() / 2];
    if cut.is_empty() || serde_json::from_slice::<serde::de::IgnoredAny>(cut).is_ok() {
        Bytes::from_static(b"{\"error")
    } else {
        Bytes::copy_from_slice(cut)
    }
}

/// The answer with its body sent `bytes_per_chunk` bytes at a time, `interval` apart (the
/// first chunk too), with its `Content-Length`, so the client reads the whole body, slowly.
async fn dribble(response: Response, bytes_per_chunk: u64, interval: Duration) -> Response {
    let (mut head, body) = response.into_parts();
    let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let size = usize::try_from(bytes_per_chunk).unwrap_or(usize::MAX).max(1);
    head.headers.remove(header::TRANSFER_ENCODING);
    head.headers
        .insert(header::CONTENT_LENGTH, header::HeaderValue::from(body.len()));
    let chunks = futures_util::stream::unfold(body, move |mut rest| async move {
        if rest.is_empty() {
            return None;
        }
        tokio::time::sleep(interval).await;
        let chunk = rest.split_to(size.min(rest.len()));
        Some((Ok::<_, std::convert::Infallible>(chunk), rest))
    });
    Response::from_parts(head, Body::from_stream(chunks))
}

/// Every answer carries `Date` from the mock's clock (unless the provider set one): clients
/// such as the Okta SDK compute rate-limit back-off as `reset - Date`, which must use the same
/// clock as the reset times the mock hands out.
fn stamp_date(response: &mut Response, kit: &Kit) {
    if response.headers().contains_key(header::DATE) {
        return;
    }
    let date = super::clock::http_date(kit.clock.now());
    response.headers_mut().insert(header::DATE, date);
}
