//! API key authentication (stormpath.md §3): HTTP Basic with the key id and secret, and the
//! SAuthc1 digest scheme the SDKs signed requests with.
//!
//! SAuthc1, as the SDKs compute it (Java `SAuthc1RequestAuthenticator`, Python
//! `stormpath/auth.py`, Node `lib/authc/Sauthc1RequestAuthenticator.js`):
//!
//! ```text
//! Authorization: SAuthc1 sauthc1Id={keyId}/{yyyyMMdd}/{nonce}/sauthc1_request, \
//!                sauthc1SignedHeaders={lower-case names joined by ';'}, sauthc1Signature={hex}
//! canonicalRequest = method \n path \n query \n (name:value\n for each signed header) \n signedHeaders \n hex(sha256(body))
//! stringToSign     = "HMAC-SHA-256" \n X-Stormpath-Date \n sauthc1Id \n hex(sha256(canonicalRequest))
//! kSigning         = HMAC(HMAC(HMAC("SAuthc1" + secret, date), nonce), "sauthc1_request")
//! signature        = hex(HMAC(kSigning, stringToSign))
//! ```
//!
//! The SDKs disagree on the canonical path and query, so the mock accepts a signature made any of
//! their ways (a server must, to serve them all):
//! - Python: the raw path and the raw query with `+`→`%20`, `*`→`%2A`, `%7E`→`~`, `%2F`→`/`;
//! - Java / .NET: the query decoded, sorted by name, re-encoded with RFC 3986 unreserved
//!   characters left as they are (`orderBy=name+asc` → `orderBy=name%20asc`);
//! - Node: the path *with* `?query` as the canonical path, and each replacement applied only to
//!   its first occurrence (JavaScript `String.replace` with a string pattern).
//!
//! Checks beyond the signature, none of which Stormpath documented: the key id must be the
//! tenant's, the `sauthc1Id` date must be the date of `X-Stormpath-Date`, `host` and
//! `x-stormpath-date` must be among the signed headers, `X-Stormpath-Date` must be within
//! `sauthc1_max_skew_seconds` of the mock clock (0 turns that off), and a nonce is accepted
//! once (`sauthc1_reject_replayed_nonces`). Any failure answers the same 401 as a wrong Basic
//! password.

use crate::hashes::encoding::hex_encode;
use axum::http::HeaderMap;
use base64::Engine;
use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};

use super::error::StormpathError;
use super::store::Store;

/// Characters left unescaped in Java-canonical query strings (RFC 3986 unreserved).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// What a request is signed over.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Signed<'a> {
    pub(crate) method: &'a str,
    /// The path as sent (percent-encoded).
    pub(crate) path: &'a str,
    /// The query as sent, without `?`.
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

/// Checks the request's credentials against the tenant's API key.
pub(crate) fn authenticate(store: &mut Store, now: DateTime<Utc>, request: Signed<'_>) -> Result<(), StormpathError> {
    let value = request
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(StormpathError::AuthenticationRequired)?;
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if scheme.eq_ignore_ascii_case("basic") {
        basic(store, rest.trim())
    } else if scheme.eq_ignore_ascii_case("sauthc1") {
        sauthc1(store, now, rest, request)
    } else {
        Err(StormpathError::AuthenticationRequired)
    }
}

fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn basic(store: &Store, token: &str) -> Result<(), StormpathError> {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token)
        .map_err(|_| StormpathError::AuthenticationRequired)?;
    let text = String::from_utf8(decoded).map_err(|_| StormpathError::AuthenticationRequired)?;
    let (id, secret) = text.split_once(':').ok_or(StormpathError::AuthenticationRequired)?;
    let settings = &store.settings;
    if same_secret(id.as_bytes(), settings.api_key_id.as_bytes())
        && same_secret(secret.as_bytes(), settings.api_key_secret.as_bytes())
    {
        Ok(())
    } else {
        Err(StormpathError::AuthenticationRequired)
    }
}

/// The three parameters of an SAuthc1 `Authorization` header.
#[derive(Debug, PartialEq, Eq)]
struct Params<'a> {
    id: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

fn params(text: &str) -> Option<Params<'_>> {
    let (mut id, mut signed_headers, mut signature) = (None, None, None);
    for part in text.split(',') {
        let (name, value) = part.trim().split_once('=')?;
        let slot = match name.trim() {
            "sauthc1Id" => &mut id,
            "sauthc1SignedHeaders" => &mut signed_headers,
            "sauthc1Signature" => &mut signature,
            _ => return None,
        };
        if slot.replace(value.trim()).is_some() {
            return None;
        }
    }
    Some(Params {
        id: id?,
        signed_headers: signed_headers?,
        signature: signature?,
    })
}

fn sauthc1(store: &mut Store, now: DateTime<Utc>, text: &str, request: Signed<'_>) -> Result<(), StormpathError> {
    let fail = || StormpathError::AuthenticationRequired;
    let params = params(text).ok_or_else(fail)?;
    let mut parts = params.id.split('/');
    let (Some(key_id), Some(date_stamp), Some(nonce), Some("sauthc1_request"), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(fail());
    };
    if nonce.is_empty() || key_id != store.settings.api_key_id {
        return Err(fail());
    }
    let timestamp = request
        .headers
        .get("x-stormpath-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(fail)?;
    let signed_at = NaiveDateTime::parse_from_str(timestamp, "%Y%m%dT%H%M%SZ")
        .map_err(|_| fail())?
        .and_utc();
    if signed_at.format("%Y%m%d").to_string() != date_stamp {
        return Err(fail());
    }
    let max_skew = store.settings.sauthc1_max_skew_seconds;
    if max_skew > 0 && (now - signed_at).num_seconds().unsigned_abs() > max_skew {
        return Err(fail());
    }
    let names: Vec<&str> = params.signed_headers.split(';').collect();
    if !names.contains(&"host") || !names.contains(&"x-stormpath-date") {
        return Err(fail());
    }
    let mut canonical_headers = String::new();
    for name in &names {
        let values: Vec<&str> = request
            .headers
            .get_all(*name)
            .iter()
            .map(|v| v.to_str().map_err(|_| fail()))
            .collect::<Result<_, _>>()?;
        if values.is_empty() {
            return Err(fail());
        }
        canonical_headers.push_str(&name.to_ascii_lowercase());
        canonical_headers.push(':');
        canonical_headers.push_str(&values.join(","));
        canonical_headers.push('\n');
    }
    let secret = store.settings.api_key_secret.clone();
    let matches = canonical_forms(request.path, request.query)
        .into_iter()
        .any(|(path, query)| {
            let signature = signature(SignInput {
                secret: &secret,
                method: request.method,
                canonical_path: &path,
                canonical_query: &query,
                canonical_headers: &canonical_headers,
                signed_headers: params.signed_headers,
                body: request.body,
                timestamp,
                id: params.id,
                date_stamp,
                nonce,
            });
            same_secret(signature.as_bytes(), params.signature.to_ascii_lowercase().as_bytes())
        });
    if !matches {
        return Err(fail());
    }
    if store.settings.sauthc1_reject_replayed_nonces && !store.use_nonce(nonce) {
        return Err(fail());
    }
    Ok(())
}

/// The canonical `(path, query)` pairs the SDKs produce for a request (see the module docs).
fn canonical_forms(path: &str, query: Option<&str>) -> Vec<(String, String)> {
    let path = if path.is_empty() { "/" } else { path };
    let query = query.unwrap_or("");
    let mut forms = vec![
        (encode_all(path), encode_all(query)),
        (encode_all(path), java_query(query)),
    ];
    let node_path = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    forms.push((encode_first(&node_path), encode_first(query)));
    forms.dedup();
    forms
}

const REPLACEMENTS: [(&str, &str); 4] = [("+", "%20"), ("*", "%2A"), ("%7E", "~"), ("%2F", "/")];

fn encode_all(text: &str) -> String {
    REPLACEMENTS
        .iter()
        .fold(text.to_owned(), |acc, (from, to)| acc.replace(from, to))
}

fn encode_first(text: &str) -> String {
    REPLACEMENTS
        .iter()
        .fold(text.to_owned(), |acc, (from, to)| acc.replacen(from, to, 1))
}

/// The Java SDK's canonical query: decoded pairs sorted by name (later duplicates win, as in its
/// `TreeMap`), each side re-encoded leaving only RFC 3986 unreserved characters.
fn java_query(query: &str) -> String {
    let mut pairs = std::collections::BTreeMap::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        pairs.insert(name.into_owned(), value.into_owned());
    }
    pairs
        .iter()
        .map(|(name, value)| {
            format!(
                "{}={}",
                utf8_percent_encode(name, UNRESERVED),
                utf8_percent_encode(value, UNRESERVED)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Everything an SAuthc1 signature covers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SignInput<'a> {
    pub(crate) secret: &'a str,
    pub(crate) method: &'a str,
    pub(crate) canonical_path: &'a str,
    pub(crate) canonical_query: &'a str,
    /// `name:value\n` for each signed header.
    pub(crate) canonical_headers: &'a str,
    pub(crate) signed_headers: &'a str,
    pub(crate) body: &'a [u8],
    /// `X-Stormpath-Date`.
    pub(crate) timestamp: &'a str,
    /// `sauthc1Id`.
    pub(crate) id: &'a str,
    pub(crate) date_stamp: &'a str,
    pub(crate) nonce: &'a str,
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length; the error branch cannot happen.
    match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// The hex signature of an SAuthc1 request.
pub(crate) fn signature(input: SignInput<'_>) -> String {
    let canonical_request = [
        input.method,
        input.canonical_path,
        input.canonical_query,
        input.canonical_headers,
        input.signed_headers,
        &hex_encode(&Sha256::digest(input.body)),
    ]
    .join("\n");
    let string_to_sign = [
        "HMAC-SHA-256",
        input.timestamp,
        input.id,
        &hex_encode(&Sha256::digest(canonical_request.as_bytes())),
    ]
    .join("\n");
    let k_secret = format!("SAuthc1{}", input.secret);
    let k_date = hmac(k_secret.as_bytes(), input.date_stamp.as_bytes());
    let k_nonce = hmac(&k_date, input.nonce.as_bytes());
    let k_signing = hmac(&k_nonce, b"sauthc1_request");
    hex_encode(&hmac(&k_signing, string_to_sign.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectors of the official SDK test suites (Python `tests/test_auth.py`, .NET
    /// `SAuthc1RequestAuthenticator_tests.cs`, both Go SDKs): key `MyId` / `Shush!`,
    /// 2013-07-01T00:00:00Z, nonce `a43a9d25-ab06-421e-8605-33fd1e760825`, host
    /// `api.stormpath.com`, no body. Returns the signature of each canonical form the mock
    /// accepts for the request.
    fn vector(path: &str, query: &str) -> Vec<String> {
        canonical_forms(path, Some(query).filter(|q| !q.is_empty()))
            .iter()
            .map(|(canonical_path, canonical_query)| {
                signature(SignInput {
                    secret: "Shush!",
                    method: "GET",
                    canonical_path,
                    canonical_query,
                    canonical_headers: "host:api.stormpath.com\nx-stormpath-date:20130701T000000Z\n",
                    signed_headers: "host;x-stormpath-date",
                    body: b"",
                    timestamp: "20130701T000000Z",
                    id: "MyId/20130701/a43a9d25-ab06-421e-8605-33fd1e760825/sauthc1_request",
                    date_stamp: "20130701",
                    nonce: "a43a9d25-ab06-421e-8605-33fd1e760825",
                })
            })
            .collect()
    }

    #[test]
    fn matches_the_sdk_test_vector_without_query() {
        assert_eq!(
            vector("/v1/", "")[0],
            "990a95aabbcbeb53e48fb721f73b75bd3ae025a2e86ad359d08558e1bbb9411c"
        );
    }

    #[test]
    fn matches_the_sdk_test_vector_with_a_query() {
        // `+` becomes `%20` in the Python and the Java canonical forms alike.
        assert_eq!(
            vector("/v1/directories", "orderBy=name+asc")[0],
            "fc04c5187cc017bbdf9c0bb743a52a9487ccb91c0996267988ceae3f10314176"
        );
    }

    #[test]
    fn matches_the_sdk_test_vector_with_several_query_parameters() {
        // The .NET and Go SDKs sort the parameters, as the Java SDK does.
        let signatures = vector(
            "/v1/applications/77JnfFiREjdfQH0SObMfjI/groups",
            "q=group&limit=25&offset=25",
        );
        assert_eq!(
            signatures[1],
            "e30a62c0d03ca6cb422e66039786865f3eb6269400941ede6226760553a832d3"
        );
        assert_ne!(signatures[0], signatures[1], "the unsorted Python form differs");
    }

    #[test]
    fn parses_the_header_parameters_in_any_spacing() {
        assert_eq!(
            params("sauthc1Id=a/b/c/sauthc1_request,sauthc1SignedHeaders=host;x-stormpath-date, sauthc1Signature=ff"),
            Some(Params {
                id: "a/b/c/sauthc1_request",
                signed_headers: "host;x-stormpath-date",
                signature: "ff"
            })
        );
        assert_eq!(
            params("sauthc1Id=a, sauthc1Id=b, sauthc1SignedHeaders=h, sauthc1Signature=s"),
            None
        );
        assert_eq!(params("sauthc1Id=a"), None);
        assert_eq!(params(""), None);
    }

    #[test]
    fn java_query_sorts_and_encodes_like_the_java_sdk() {
        assert_eq!(java_query("q=group&limit=25&offset=25"), "limit=25&offset=25&q=group");
        assert_eq!(java_query("orderBy=name+asc"), "orderBy=name%20asc");
        assert_eq!(java_query("q=a%2Ab~c"), "q=a%2Ab~c");
    }
}
