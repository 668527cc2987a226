//! The request journal: what each mock was asked and what it answered.
//!
//! Scenarios assert on it ("Okta's authn was called once"), the dashboard shows it, and a failing
//! run prints it. It is a bounded ring: once `capacity` entries are held the oldest are dropped
//! (and counted), so a long `ferry serve` session cannot grow it without end. Credentials never
//! enter it: credential headers, secret body fields and secret query parameters are masked when
//! the entry is made, not when it is read.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::mask::{Secrets, mask_pairs, mask_text};

/// What replaces a masked value.
pub const MASK: &str = "[masked]";

/// Headers whose values are always masked.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "x-auth-token",
];

/// Words that make any other header a credential (`X-Partner-Key`, `X-Session-Token`,
/// `X-Client-Secret`): a custom database script may send a secret configuration value in a
/// header of its own naming, and the provider mock that receives it must not journal it. The
/// kit's one list of secret words.
use super::secrets::SECRET_WORDS as SECRET_HEADER_WORDS;

/// Headers every client sends whose names are no credential's, so that the names of most
/// headers need no search for [`SECRET_HEADER_WORDS`] (their values are still looked into).
const PLAIN_HEADERS: &[&str] = &[
    "host",
    "accept",
    "content-type",
    "content-length",
    "user-agent",
    "accept-encoding",
    "accept-language",
    "connection",
];

/// Largest request body kept per entry, in bytes; longer bodies are cut and flagged.
pub const BODY_LIMIT: usize = 16 * 1024;

/// One request and its answer.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct JournalEntry {
    /// Position in the journal, from 1, never reused (even after a clear).
    pub seq: u64,
    /// When the request arrived, by the mock's clock.
    #[serde(with = "crate::kit::serde_iso")]
    pub time: DateTime<Utc>,
    pub method: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Request headers in arrival order, credentials masked.
    pub headers: Vec<(String, String)>,
    /// The request body as text (lossy UTF-8), secrets masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub body_truncated: bool,
    /// Status of the answer; 0 when no answer was sent (dropped connection, hang).
    pub status: u16,
    /// Wall time taken to answer, in milliseconds.
    pub duration_ms: f64,
    /// The fault injected into this exchange, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

impl JournalEntry {
    /// A header's (first) value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, when it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        self.body.as_deref().and_then(|b| serde_json::from_str(b).ok())
    }
}

/// A bounded, shared journal.
#[derive(Clone, Debug)]
pub struct Journal {
    inner: Arc<Mutex<Ring>>,
}

#[derive(Debug)]
struct Ring {
    entries: VecDeque<JournalEntry>,
    capacity: usize,
    next_seq: u64,
    dropped: u64,
}

/// A read of the journal.
#[derive(Clone, Debug, Serialize)]
pub struct JournalPage {
    pub entries: Vec<JournalEntry>,
    /// Entries evicted because the journal was full, since the last clear.
    pub dropped: u64,
    pub capacity: usize,
}

impl Journal {
    /// A journal holding at most `capacity` entries (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Ring {
                entries: VecDeque::new(),
                capacity: capacity.max(1),
                next_seq: 1,
                dropped: 0,
            })),
        }
    }

    fn ring(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends an entry, giving it its sequence number; evicts the oldest when full.
    pub fn record(&self, mut entry: JournalEntry) -> u64 {
        let evicted;
        let seq = {
            let mut ring = self.ring();
            entry.seq = ring.next_seq;
            ring.next_seq += 1;
            evicted = if ring.entries.len() >= ring.capacity {
                ring.dropped += 1;
                ring.entries.pop_front()
            } else {
                None
            };
            let seq = entry.seq;
            ring.entries.push_back(entry);
            seq
        };
        // The evicted entry is freed after the lock is released, not while other requests wait.
        drop(evicted);
        seq
    }

    /// Every entry held, oldest first.
    pub fn entries(&self) -> Vec<JournalEntry> {
        self.ring().entries.iter().cloned().collect()
    }

    /// Entries matching `method` (any when `None`) and whose path matches `path` (see
    /// [`path_matches`]; any when `None`).
    pub fn find(&self, method: Option<&str>, path: Option<&str>) -> Vec<JournalEntry> {
        self.ring()
            .entries
            .iter()
            .filter(|e| method.is_none_or(|m| e.method.eq_ignore_ascii_case(m)))
            .filter(|e| path.is_none_or(|p| path_matches(p, &e.path)))
            .cloned()
            .collect()
    }

    /// A page of the journal: entries after `since` (a seq), at most `limit`.
    pub fn page(&self, since: u64, limit: usize) -> JournalPage {
        let ring = self.ring();
        JournalPage {
            entries: ring
                .entries
                .iter()
                .filter(|e| e.seq > since)
                .take(limit)
                .cloned()
                .collect(),
            dropped: ring.dropped,
            capacity: ring.capacity,
        }
    }

    /// Number of entries held.
    pub fn len(&self) -> usize {
        self.ring().entries.len()
    }

    /// Whether the journal holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every entry (sequence numbers keep counting).
    pub fn clear(&self) {
        let mut ring = self.ring();
        ring.entries.clear();
        ring.dropped = 0;
    }
}

/// Matches a request path against a pattern: exact, `*` for one segment, a trailing `/**` for
/// any rest (including nothing), e.g. `/api/v1/users/*` or `/api/v2/**`.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let mut pat = pattern.trim_end_matches('/').split('/');
    let mut got = path.trim_end_matches('/').split('/');
    loop {
        match (pat.next(), got.next()) {
            (None, None) => return true,
            (Some("**"), _) => return true,
            (Some("*"), Some(_)) => {}
            (Some(p), Some(g)) if p == g => {}
            _ => return false,
        }
    }
}

/// Masks credential headers: those named as credentials (their scheme word kept), and in any
/// other header's value whatever [`mask_body`] would mask in a body (`X-Debug: {"password": …}`).
pub fn mask_headers<'a>(
    headers: impl Iterator<Item = (&'a str, &'a [u8])>,
    secret_fields: &[&str],
) -> Vec<(String, String)> {
    mask_headers_with(headers, Secrets::new(secret_fields))
}

pub(crate) fn mask_headers_with<'a>(
    headers: impl Iterator<Item = (&'a str, &'a [u8])>,
    secrets: Secrets<'_>,
) -> Vec<(String, String)> {
    headers
        .map(|(name, value)| {
            let plain = PLAIN_HEADERS.iter().any(|p| name.eq_ignore_ascii_case(p));
            let secret = !plain
                && (SECRET_HEADERS.iter().any(|s| name.eq_ignore_ascii_case(s))
                    || SECRET_HEADER_WORDS.iter().any(|w| contains_ignore_case(name, w))
                    || secrets.is_secret(name));
            let value = lossy(value);
            let value = if secret {
                mask_credential(&value)
            } else {
                mask_text(&value, secrets).unwrap_or_else(|| value.into_owned())
            };
            (name.to_owned(), value)
        })
        .collect()
}

/// Whether `haystack` holds `needle` (ASCII, any case).
fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    let (haystack, needle) = (haystack.as_bytes(), needle.as_bytes());
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

/// Keeps an authorization scheme word (`SSWS`, `Bearer`, `Basic`) and masks the rest.
fn mask_credential(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, _)) if !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
            format!("{scheme} {MASK}")
        }
        _ => MASK.to_owned(),
    }
}

/// Masks the secret fields of a request body, whole or cut at [`BODY_LIMIT`], valid or not,
/// whatever its content type claims: `"name": value` pairs of JSON (at any depth, and JSON sent
/// inside a string), `name=value` pairs of a form, a value the text was cut inside masked to the
/// end (see `kit/mask.rs`). Multipart bodies are summarised one line per part, files never
/// kept. Everything else is kept byte for byte.
pub fn mask_body(body: &str, content_type: Option<&str>, secret_fields: &[&str]) -> String {
    mask_body_with(body, content_type, Secrets::new(secret_fields))
}

pub(crate) fn mask_body_with(body: &str, content_type: Option<&str>, secrets: Secrets<'_>) -> String {
    let ct = content_type.unwrap_or("");
    if contains_ignore_case(ct, "multipart/") {
        // Files (an import job's users, password hashes included) are summarised, never kept;
        // simple fields are kept, secret ones masked.
        return match header_parameter(ct, "boundary") {
            Some(boundary) if !boundary.is_empty() => summarize_multipart(body, &boundary, secrets),
            _ => "[multipart body without a boundary: not journaled]".to_owned(),
        };
    }
    mask_text(body, secrets).unwrap_or_else(|| body.to_owned())
}

/// A `key=value` parameter of a header value (`boundary` of a content type, `name` of a
/// content disposition), unquoted.
fn header_parameter(value: &str, key: &str) -> Option<String> {
    value.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case(key).then(|| v.trim_matches('"').to_owned())
    })
}

/// One line per part of a multipart body: `name: value` for a field (masked when secret, its
/// text masked like a body otherwise), `name: [file "F", N bytes, not journaled]` for a file. A
/// body cut at the journal's limit ends with the part it was cut in.
fn summarize_multipart(body: &str, boundary: &str, secrets: Secrets<'_>) -> String {
    let delimiter = format!("--{boundary}");
    let mut lines = vec![];
    for part in body.split(delimiter.as_str()).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let part = part.strip_prefix("\r\n").unwrap_or(part);
        let Some((head, content)) = part.split_once("\r\n\r\n") else {
            // Cut inside the part's headers: nothing of its content arrived.
            continue;
        };
        let content = content.strip_suffix("\r\n").unwrap_or(content);
        let disposition = head
            .lines()
            .find(|l| contains_ignore_case(l, "content-disposition"))
            .unwrap_or("");
        let name = header_parameter(disposition, "name").unwrap_or_default();
        match header_parameter(disposition, "filename") {
            Some(file) => lines.push(format!(
                "{name}: [file {file:?}, {} bytes, not journaled]",
                content.len()
            )),
            None if secrets.is_secret(&name) => lines.push(format!("{name}: {MASK}")),
            None => lines.push(format!(
                "{name}: {}",
                mask_text(content, secrets).unwrap_or_else(|| content.to_owned())
            )),
        }
    }
    lines.join("\n")
}

/// Masks secret parameters of a query string or form body (by decoded name, any case; a value
/// that holds a secret of its own as a whole), keeping the others byte for byte.
pub fn mask_query(query: &str, secret_fields: &[&str]) -> String {
    mask_query_with(query, Secrets::new(secret_fields))
}

pub(crate) fn mask_query_with(query: &str, secrets: Secrets<'_>) -> String {
    mask_pairs(query, secrets, 0).unwrap_or_else(|| query.to_owned())
}

/// Bytes as text: borrowed when they are UTF-8 (checked at SIMD speed), else with U+FFFD for
/// what is not.
pub(crate) fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_files_are_summarised_and_secret_fields_masked() {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"users\"; filename=\"users.json\"\r\n\
                    Content-Type: application/json\r\n\r\n[{\"email\":\"a@example.com\",\"custom_password_hash\":{\"hash\":{\"value\":\"5f4dcc3b\"}}}]\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"connection_id\"\r\n\r\ncon_123\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"client_secret\"\r\n\r\nshh\r\n--XyZ--\r\n";
        let masked = mask_body(body, Some("multipart/form-data; boundary=XyZ"), &["client_secret"]);
        assert_eq!(
            masked,
            format!(
                "users: [file \"users.json\", 80 bytes, not journaled]\nconnection_id: con_123\nclient_secret: {MASK}"
            )
        );
        assert!(!masked.contains("5f4dcc3b"));
        assert_eq!(
            mask_body("x", Some("multipart/form-data"), &[]),
            "[multipart body without a boundary: not journaled]"
        );
    }

    fn entry(method: &str, path: &str) -> JournalEntry {
        JournalEntry {
            seq: 0,
            time: DateTime::<Utc>::default(),
            method: method.into(),
            path: path.into(),
            query: None,
            headers: vec![],
            body: None,
            body_truncated: false,
            status: 200,
            duration_ms: 0.0,
            fault: None,
        }
    }

    #[test]
    fn journal_is_bounded_and_counts_what_it_drops() {
        let journal = Journal::new(3);
        for i in 0..5 {
            journal.record(entry("GET", &format!("/n/{i}")));
        }
        let page = journal.page(0, 100);
        assert_eq!(page.entries.len(), 3);
        assert_eq!(page.dropped, 2);
        assert_eq!(page.entries[0].path, "/n/2");
        assert_eq!(page.entries[2].seq, 5);
        journal.clear();
        assert!(journal.is_empty());
        assert_eq!(
            journal.record(entry("GET", "/")),
            6,
            "sequence numbers are never reused"
        );
    }

    #[test]
    fn finds_by_method_and_path_pattern() {
        let journal = Journal::new(10);
        journal.record(entry("POST", "/api/v1/authn"));
        journal.record(entry("GET", "/api/v1/users/00u1"));
        journal.record(entry("GET", "/api/v1/users/00u1/factors"));
        assert_eq!(journal.find(Some("post"), Some("/api/v1/authn")).len(), 1);
        assert_eq!(journal.find(Some("GET"), Some("/api/v1/users/*")).len(), 1);
        assert_eq!(journal.find(None, Some("/api/v1/**")).len(), 3);
        assert_eq!(journal.find(Some("DELETE"), None).len(), 0);
    }

    #[test]
    fn masks_credentials_but_keeps_the_scheme() {
        let headers = [
            ("authorization", b"SSWS 00abc-secret".as_slice()),
            ("Accept", b"application/json".as_slice()),
            ("cookie", b"sid=123".as_slice()),
        ];
        let masked = mask_headers(headers.into_iter(), &[]);
        assert_eq!(masked[0].1, "SSWS [masked]");
        assert_eq!(masked[1].1, "application/json");
        assert_eq!(masked[2].1, "[masked]");
    }

    #[test]
    fn masks_headers_named_like_credentials() {
        let headers = [
            ("X-Partner-Key", b"partner-key-1234".as_slice()),
            ("x-session-token", b"tok".as_slice()),
            ("X-Client-Secret", b"s3cret".as_slice()),
            ("content-type", b"application/json".as_slice()),
            ("x-okta-user-agent-extended", b"okta-sdk-nodejs/7".as_slice()),
        ];
        let masked: Vec<String> = mask_headers(headers.into_iter(), &[])
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        assert_eq!(masked, [MASK, MASK, MASK, "application/json", "okta-sdk-nodejs/7"]);
    }

    #[test]
    fn masks_secret_fields_in_json_form_and_query() {
        let json = r#"{"username":"a@b.c","password":"hunter2","options":{"client_secret":"x"}}"#;
        let masked = mask_body(json, Some("application/json"), &["password", "client_secret"]);
        assert!(!masked.contains("hunter2") && !masked.contains("\"x\""), "{masked}");
        assert!(masked.contains("a@b.c"));
        let form = "grant_type=password&username=a%40b.c&password=p%C3%A4ss";
        assert_eq!(
            mask_body(form, Some("application/x-www-form-urlencoded"), &["password"]),
            "grant_type=password&username=a%40b.c&password=[masked]"
        );
        assert_eq!(mask_query("apiKey=k&secret=s", &["secret"]), "apiKey=k&secret=[masked]");
    }
}
