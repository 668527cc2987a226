//! The middleware in front of every mock: journals each exchange and applies injected faults.
//! Admin requests (`/__ferry/…`) pass straight through and are not journaled.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::fault::Fault;
use super::journal::{self, BODY_LIMIT, JournalEntry};
use super::server::ConnControl;
use super::{Kit, MAX_BODY, Provider};

#[derive(Clone)]
pub(crate) struct LayerState<P> {
    provider: P,
    kit: Kit,
    secret_fields: Arc<[&'static str]>,
}

impl<P: Provider> LayerState<P> {
    pub(crate) fn new(provider: P) -> Self {
        let kit = provider.kit().clone();
        let secret_fields = provider.secret_fields().into();
        Self {
            provider,
            kit,
            secret_fields,
        }
    }
}

pub(crate) async fn kit_layer<P: Provider>(State(state): State<LayerState<P>>, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/__ferry/") {
        return next.run(req).await;
    }
    let started = Instant::now();
    let time = state.kit.clock.now();
    let (parts, body) = req.into_parts();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(|q| journal::mask_query(q, &state.secret_fields));
    let headers = journal::mask_headers(parts.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())), &[]);
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);

    let mut entry = JournalEntry {
        seq: 0,
        time,
        method: method.clone(),
        path: path.clone(),
        query,
        headers,
        body: None,
        body_truncated: false,
        status: 0,
        duration_ms: 0.0,
        fault: None,
    };

    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        let response = state.provider.fault_response(StatusCode::PAYLOAD_TOO_LARGE);
        entry.status = response.status().as_u16();
        entry.body = Some(format!("[body over {MAX_BODY} bytes]"));
        entry.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        state.kit.journal.record(entry);
        return response;
    };
    if !bytes.is_empty() {
        let kept = &bytes[..bytes.len().min(BODY_LIMIT)];
        let text = String::from_utf8_lossy(kept);
        entry.body = Some(journal::mask_body(&text, content_type.as_deref(), &state.secret_fields));
        entry.body_truncated = bytes.len() > BODY_LIMIT;
    }

    let fault = state.kit.faults.decide(&method, &path);
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
    let date = kit.clock.now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    if let Ok(value) = header::HeaderValue::from_str(&date) {
        response.headers_mut().insert(header::DATE, value);
    }
}
