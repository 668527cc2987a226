//! The dashboard's wire side: reading one request head and writing one response, over a plain
//! tokio stream. GET and HEAD only, one request per connection (`Connection: close`) — all a
//! page that polls every second or two needs, and it keeps a web framework out of this crate.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest request head accepted (request line and headers).
const MAX_HEAD: usize = 16 * 1024;

/// A request, as far as the dashboard looks at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: Option<String>,
}

impl Request {
    /// A query parameter (first occurrence), decoded.
    pub(crate) fn param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }
}

/// A response to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    pub(crate) body: Vec<u8>,
}

impl Response {
    pub(crate) fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            content_type,
            body: body.into(),
        }
    }

    pub(crate) fn json(status: u16, value: &serde_json::Value) -> Self {
        Self::new(
            status,
            "application/json",
            serde_json::to_vec(value).unwrap_or_default(),
        )
    }

    /// The dashboard's own error shape, as the mocks' admin endpoints answer theirs.
    pub(crate) fn error(status: u16, error: &str, detail: impl std::fmt::Display) -> Self {
        Self::json(
            status,
            &serde_json::json!({ "error": error, "detail": detail.to_string() }),
        )
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        431 => "Request Header Fields Too Large",
        502 => "Bad Gateway",
        _ => "Unknown",
    }
}

/// Reads a request head. `Err` carries the answer to give instead (a malformed or oversized
/// head); `Ok(None)` means the client closed the connection without sending one.
pub(crate) async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> Result<Option<Request>, Response> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            head.truncate(end);
            break;
        }
        if head.len() > MAX_HEAD {
            return Err(Response::error(431, "head_too_large", "request head over 16 KiB"));
        }
        let read = stream.read(&mut chunk).await.unwrap_or(0);
        if read == 0 {
            return if head.is_empty() {
                Ok(None)
            } else {
                Err(Response::error(400, "bad_request", "incomplete request head"))
            };
        }
        head.extend_from_slice(&chunk[..read]);
    }
    let text = String::from_utf8_lossy(&head);
    let line = text.lines().next().unwrap_or_default();
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(Response::error(400, "bad_request", "malformed request line"));
    };
    if !version.starts_with("HTTP/1.") || !target.starts_with('/') {
        return Err(Response::error(400, "bad_request", "malformed request line"));
    }
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query.to_owned())),
        None => (target, None),
    };
    Ok(Some(Request {
        method: method.to_owned(),
        path: path.to_owned(),
        query,
    }))
}

/// Writes `response` (without its body for HEAD) and closes the write side.
pub(crate) async fn write_response<S: AsyncWrite + Unpin>(
    stream: &mut S,
    response: &Response,
    head_only: bool,
) -> std::io::Result<()> {
    // The page loads nothing from elsewhere and runs no inline code; say so to the browser.
    let head = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: {}\r\ncontent-length: {}\r\ncache-control: no-store\r\n\
         x-content-type-options: nosniff\r\nreferrer-policy: no-referrer\r\n\
         content-security-policy: default-src 'self'; img-src 'self' data:; frame-ancestors 'none'\r\n\
         connection: close\r\n\r\n",
        response.status,
        reason(response.status),
        response.content_type,
        response.body.len(),
    );
    stream.write_all(head.as_bytes()).await?;
    if !head_only {
        stream.write_all(&response.body).await?;
    }
    stream.flush().await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_the_request_line_and_query() {
        let mut input: &[u8] = b"GET /api/mocks/okta/journal?since=4&tail=10 HTTP/1.1\r\nHost: x\r\n\r\n";
        let request = read_request(&mut input).await.expect("valid").expect("a request");
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, "/api/mocks/okta/journal");
        assert_eq!(request.param("since").as_deref(), Some("4"));
        assert_eq!(request.param("missing"), None);
    }

    #[tokio::test]
    async fn refuses_malformed_and_oversized_heads() {
        let mut input: &[u8] = b"nonsense\r\n\r\n";
        assert_eq!(read_request(&mut input).await.expect_err("malformed").status, 400);
        let big = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(20_000));
        let mut input = big.as_bytes();
        assert_eq!(read_request(&mut input).await.expect_err("too large").status, 431);
        let mut input: &[u8] = b"";
        assert_eq!(read_request(&mut input).await, Ok(None));
    }

    #[tokio::test]
    async fn writes_a_closed_response_with_its_length() {
        let mut out = Vec::new();
        write_response(&mut out, &Response::new(200, "text/plain", "hi"), false)
            .await
            .expect("written");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(text.contains("content-length: 2\r\n"));
        assert!(text.ends_with("\r\n\r\nhi"));
    }
}
