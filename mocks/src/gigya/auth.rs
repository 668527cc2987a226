//! Who may call (gigya.md §1.3) and the request signature (§1.4).
//!
//! Three ways to prove server credentials are accepted:
//! - `apiKey` + `userKey` + `secret`: the application key and its secret, in the clear (HTTPS in
//!   real life; the mock serves plain HTTP on loopback and does not ask for TLS, so 403006
//!   "Secret Sent Over Http" never happens).
//! - `apiKey` [+ `userKey`] + `timestamp` + `nonce` + `sig`: an OAuth1-style HMAC-SHA1 signature
//!   over the fields received, keyed with the Base64-decoded secret.
//! - `apiKey` + `secret` alone: the partner secret. SAP stopped accepting it on 2023-01-31, so
//!   by default it is refused with 403007; `partner_secret_allowed: true` accepts it (plain or
//!   as a signing key without `userKey`).
//!
//! A request with only an `apiKey` is a client call: `accounts.login` allows it, every other
//! method answers 403007.
//!
//! The signature is rebuilt from the fields received (all but `sig`, names as sent) and the URL
//! the client used: scheme from `X-Forwarded-Proto` (else the request URI's, else `http`), host
//! and port from the URI's authority or the `Host` header, default ports dropped. Because
//! clients that talk to the mock through a proxy (the npm SDK, say) sign for the real host, a
//! signature over the canonical Gigya URL `https://<namespace>.<data_center>/<method>` is
//! accepted as well, and so is one whose base string starts with `POST` on a GET request (every
//! SDK signs with `POST`). Timestamps are seconds; values above 10^11 are read as milliseconds,
//! which is what the npm SDK 3.x sends (`Date.now()`) and Gigya evidently accepts. A timestamp
//! further than the window (180 s) from the mock clock is 403002; a nonce seen before within
//! twice the window is 403004 "Duplicate nonce"; a wrong signature or plain secret is 403003; an
//! unknown `userKey` is 403005; an unknown `apiKey` is 400093.

use std::collections::{HashSet, VecDeque};

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

use super::error::GigyaError;
use super::params::Params;
use super::settings::GigyaSettings;

/// Nonces remembered at most (oldest forgotten first), whatever the clock does.
const MAX_NONCES: usize = 200_000;

/// What a request proved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Caller {
    /// Server credentials (application key or partner secret).
    Server,
    /// Only an API key: a client-side call.
    Client,
}

/// The URL a request was sent to, as the client saw it.
#[derive(Clone, Debug)]
pub(crate) struct RequestUrl {
    pub(crate) scheme: String,
    /// Host, with the port when there is one.
    pub(crate) authority: String,
    pub(crate) path: String,
}

impl RequestUrl {
    /// `scheme://host[:port]/path`, lower-cased scheme and host, default port dropped.
    pub(crate) fn normalized(&self) -> String {
        normalize_url(&self.scheme, &self.authority, &self.path)
    }
}

/// Normalizes a URL for the base string (gigya.md §1.4 step 5).
pub(crate) fn normalize_url(scheme: &str, authority: &str, path: &str) -> String {
    let scheme = scheme.to_ascii_lowercase();
    let authority = authority.to_ascii_lowercase();
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let host = authority.strip_suffix(default_port).unwrap_or(&authority);
    format!("{scheme}://{host}{path}")
}

/// Nonces of signed requests seen recently.
#[derive(Debug, Default)]
pub(crate) struct Nonces {
    seen: HashSet<String>,
    order: VecDeque<(i64, String)>,
}

impl Nonces {
    /// Records `nonce` at `now_ms`; false if it was seen within `keep_ms`.
    fn fresh(&mut self, nonce: &str, now_ms: i64, keep_ms: i64) -> bool {
        while let Some((at, _)) = self.order.front() {
            if *at < now_ms.saturating_sub(keep_ms) || self.order.len() >= MAX_NONCES {
                if let Some((_, old)) = self.order.pop_front() {
                    self.seen.remove(&old);
                }
            } else {
                break;
            }
        }
        if self.seen.contains(nonce) {
            return false;
        }
        self.seen.insert(nonce.to_owned());
        self.order.push_back((now_ms, nonce.to_owned()));
        true
    }

    pub(crate) fn len(&self) -> usize {
        self.seen.len()
    }
}

/// Percent-encoding of RFC 3986: unreserved characters kept, everything else `%XX` (upper case).
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The base string: `METHOD&enc(url)&enc(sorted key=enc(value) pairs)`; `sig` is left out.
pub(crate) fn base_string(http_method: &str, url: &str, fields: &[(String, String)]) -> String {
    let mut pairs: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(k, _)| k != "sig")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()).then(a.1.cmp(b.1)));
    let query = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        http_method.to_ascii_uppercase(),
        encode(url),
        encode(&query)
    )
}

/// Base64(HMAC-SHA1(Base64Decode(secret), base string)); `None` when the secret is not Base64.
pub(crate) fn sign(secret_b64: &str, base: &str) -> Option<String> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret_b64.trim())
        .ok()?;
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(&key).ok()?;
    mac.update(base.as_bytes());
    Some(base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Domains of Gigya's data centers (gigya.md §1.1); a request to one of them for another data
/// center than the site's is 301001.
const GIGYA_DOMAINS: &[&str] = &[".gigya.com", ".sapcdm.cn", ".gigya-api.cn"];

/// 301001 when the client addressed `<namespace>.<another data center>`; any other host (the
/// mock's own address, say) is fine.
pub(crate) fn check_data_center(settings: &GigyaSettings, url: &RequestUrl) -> Result<(), GigyaError> {
    let authority = url.authority.to_ascii_lowercase();
    let host = authority.rsplit_once(':').map_or(authority.as_str(), |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            authority.as_str()
        }
    });
    if !GIGYA_DOMAINS.iter().any(|d| host.ends_with(d)) {
        return Ok(());
    }
    let Some((namespace, data_center)) = host.split_once('.') else {
        return Ok(());
    };
    if data_center.eq_ignore_ascii_case(&settings.data_center) {
        return Ok(());
    }
    Err(GigyaError::InvalidDataCenter {
        api_domain: settings.data_center.clone(),
        location: format!("https://{namespace}.{}{}", settings.data_center, url.path),
    })
}

/// Checks the credentials of a request.
pub(crate) fn authenticate(
    settings: &GigyaSettings,
    params: &Params,
    http_method: &str,
    url: &RequestUrl,
    now: DateTime<Utc>,
    nonces: &mut Nonces,
) -> Result<Caller, GigyaError> {
    let api_key = params.require("apiKey")?;
    if api_key != settings.api_key {
        return Err(GigyaError::InvalidApiKey);
    }
    check_data_center(settings, url)?;
    let user_key = params.get("userKey");
    if let Some(user_key) = user_key
        && user_key != settings.user_key
    {
        return Err(GigyaError::UnauthorizedUser(format!(
            "Unauthorized user: unknown userKey '{user_key}'"
        )));
    }
    let partner_refused = || {
        GigyaError::PermissionDenied(
            "Partner secrets are no longer accepted; authenticate with an application key (userKey) and its secret"
                .into(),
        )
    };
    if let Some(sig) = params.get("sig") {
        let timestamp = params.require("timestamp")?;
        let nonce = params.require("nonce")?;
        if user_key.is_none() && !settings.partner_secret_allowed {
            return Err(partner_refused());
        }
        check_timestamp(timestamp, now, settings.timestamp_window_secs)?;
        let fields = params.fields();
        let namespace = url.path.trim_start_matches('/').split('.').next().unwrap_or_default();
        let canonical = normalize_url("https", &format!("{namespace}.{}", settings.data_center), &url.path);
        let mut methods = vec![http_method.to_ascii_uppercase()];
        if methods[0] != "POST" {
            methods.push("POST".into());
        }
        let valid = [url.normalized(), canonical].iter().any(|u| {
            methods.iter().any(|m| {
                sign(&settings.secret, &base_string(m, u, fields)).is_some_and(|expected| same(&expected, sig))
            })
        });
        if !valid {
            return Err(GigyaError::InvalidSignature);
        }
        // Saturating: a seed may set any window (`timestamp_window_secs: 18446744073709551615`).
        let window_ms = i64::try_from(settings.timestamp_window_secs)
            .unwrap_or(i64::MAX / 4)
            .saturating_mul(1000);
        if !nonces.fresh(
            &format!("{api_key}:{nonce}"),
            now.timestamp_millis(),
            window_ms.saturating_mul(2),
        ) {
            return Err(GigyaError::DuplicateNonce);
        }
        return Ok(Caller::Server);
    }
    match (user_key, params.get("secret")) {
        (Some(_), Some(secret)) => {
            if same(secret, &settings.secret) {
                Ok(Caller::Server)
            } else {
                Err(GigyaError::InvalidSignature)
            }
        }
        (Some(_), None) => Err(GigyaError::missing("secret")),
        (None, Some(secret)) => {
            if !settings.partner_secret_allowed {
                Err(partner_refused())
            } else if same(secret, &settings.secret) {
                Ok(Caller::Server)
            } else {
                Err(GigyaError::InvalidSignature)
            }
        }
        (None, None) => Ok(Caller::Client),
    }
}

fn check_timestamp(text: &str, now: DateTime<Utc>, window_secs: u64) -> Result<(), GigyaError> {
    let Ok(value) = text.trim().parse::<i64>() else {
        return Err(GigyaError::invalid("timestamp", "expected Unix time in seconds"));
    };
    let millis = if value.unsigned_abs() > 100_000_000_000 {
        value
    } else {
        value.saturating_mul(1000)
    };
    let window_ms = i64::try_from(window_secs).unwrap_or(i64::MAX / 4).saturating_mul(1000);
    let off = now.timestamp_millis().saturating_sub(millis).saturating_abs();
    if off > window_ms {
        return Err(GigyaError::RequestExpired(format!(
            "Request has expired: timestamp {text} is {}s away from the server time {}",
            off / 1000,
            now.timestamp()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector_fields() -> Vec<(String, String)> {
        [
            ("apiKey", "3_testApiKey"),
            ("userKey", "AKtestUserKey"),
            ("query", "SELECT * FROM accounts LIMIT 2"),
            ("openCursor", "true"),
            ("format", "json"),
            ("httpStatusCodes", "false"),
            ("timestamp", "1700000000"),
            ("nonce", "1700000000000_42"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    }

    #[test]
    fn the_reference_vector_signs_to_the_published_signature() {
        let url = normalize_url("HTTPS", "Accounts.US1.gigya.com:443", "/accounts.search");
        assert_eq!(url, "https://accounts.us1.gigya.com/accounts.search");
        let base = base_string("POST", &url, &vector_fields());
        assert_eq!(
            base,
            "POST&https%3A%2F%2Faccounts.us1.gigya.com%2Faccounts.search&apiKey%3D3_testApiKey%26format%3Djson%26httpStatusCodes%3Dfalse%26nonce%3D1700000000000_42%26openCursor%3Dtrue%26query%3DSELECT%2520%252A%2520FROM%2520accounts%2520LIMIT%25202%26timestamp%3D1700000000%26userKey%3DAKtestUserKey"
        );
        assert_eq!(
            sign("c2VjcmV0LWtleS1mb3ItdGVzdHM=", &base).as_deref(),
            Some("PECqY142I87f5MwIwHEocpbrScs=")
        );
    }

    #[test]
    fn uid_signature_vector() {
        assert_eq!(
            sign("c2VjcmV0LWtleS1mb3ItdGVzdHM=", "1700000000_uid-123").as_deref(),
            Some("mhos5Oe8BDNZ4Y/9lECyat8SgIk=")
        );
    }

    #[test]
    fn encoding_keeps_only_unreserved() {
        assert_eq!(encode("a b*c/d~e+é"), "a%20b%2Ac%2Fd~e%2B%C3%A9");
    }

    fn settings() -> GigyaSettings {
        GigyaSettings {
            api_key: "3_testApiKey".into(),
            user_key: "AKtestUserKey".into(),
            secret: "c2VjcmV0LWtleS1mb3ItdGVzdHM=".into(),
            ..GigyaSettings::default()
        }
    }

    fn url() -> RequestUrl {
        RequestUrl {
            scheme: "http".into(),
            authority: "127.0.0.1:4000".into(),
            path: "/accounts.search".into(),
        }
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap_or_default()
    }

    #[test]
    fn signed_requests_are_checked_for_time_signature_and_replay() {
        let s = settings();
        let mut nonces = Nonces::default();
        let signed = |ts: &str, nonce: &str, u: &str| {
            let mut fields = vec![
                ("apiKey".to_owned(), "3_testApiKey".to_owned()),
                ("userKey".to_owned(), "AKtestUserKey".to_owned()),
                ("timestamp".to_owned(), ts.to_owned()),
                ("nonce".to_owned(), nonce.to_owned()),
            ];
            let sig = sign(&s.secret, &base_string("POST", u, &fields)).expect("sig");
            fields.push(("sig".to_owned(), sig));
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            Params::from_pairs(&pairs)
        };
        let local = "http://127.0.0.1:4000/accounts.search";
        let ok = signed("1700000000", "n1", local);
        assert_eq!(
            authenticate(&s, &ok, "POST", &url(), at(1_700_000_100), &mut nonces),
            Ok(Caller::Server)
        );
        assert_eq!(
            authenticate(&s, &ok, "POST", &url(), at(1_700_000_100), &mut nonces),
            Err(GigyaError::DuplicateNonce)
        );
        let late = signed("1700000000", "n2", local);
        assert_eq!(
            authenticate(&s, &late, "POST", &url(), at(1_700_000_181), &mut nonces).map_err(|e| e.code()),
            Err(403_002)
        );
        let millis = signed("1700000000000", "n3", local);
        assert_eq!(
            authenticate(&s, &millis, "POST", &url(), at(1_700_000_000), &mut nonces),
            Ok(Caller::Server)
        );
        let canonical = signed("1700000000", "n4", "https://accounts.us1.gigya.com/accounts.search");
        assert_eq!(
            authenticate(&s, &canonical, "POST", &url(), at(1_700_000_000), &mut nonces),
            Ok(Caller::Server)
        );
        let elsewhere = signed("1700000000", "n5", "http://127.0.0.1:4001/accounts.search");
        assert_eq!(
            authenticate(&s, &elsewhere, "POST", &url(), at(1_700_000_000), &mut nonces),
            Err(GigyaError::InvalidSignature)
        );
    }

    /// A seed may set any window; the largest is "no clock check", never an overflow.
    #[test]
    fn a_window_of_any_size_is_a_window_not_a_panic() {
        let s = GigyaSettings {
            timestamp_window_secs: u64::MAX / 2,
            ..settings()
        };
        let mut nonces = Nonces::default();
        let mut fields = vec![
            ("apiKey".to_owned(), "3_testApiKey".to_owned()),
            ("userKey".to_owned(), "AKtestUserKey".to_owned()),
            ("timestamp".to_owned(), "1000000000".to_owned()),
            ("nonce".to_owned(), "n1".to_owned()),
        ];
        let u = "http://127.0.0.1:4000/accounts.search";
        let sig = sign(&s.secret, &base_string("POST", u, &fields)).expect("sig");
        fields.push(("sig".to_owned(), sig));
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let params = Params::from_pairs(&pairs);
        assert_eq!(
            authenticate(&s, &params, "POST", &url(), at(1_700_000_000), &mut nonces),
            Ok(Caller::Server)
        );
        assert_eq!(
            authenticate(&s, &params, "POST", &url(), at(1_700_000_000), &mut nonces),
            Err(GigyaError::DuplicateNonce)
        );
    }

    #[test]
    fn plain_credentials() {
        let s = settings();
        let mut nonces = Nonces::default();
        let check = |pairs: &[(&str, &str)], nonces: &mut Nonces| {
            authenticate(&s, &Params::from_pairs(pairs), "POST", &url(), at(0), nonces).map_err(|e| e.code())
        };
        let key = ("apiKey", "3_testApiKey");
        let user = ("userKey", "AKtestUserKey");
        let secret = ("secret", "c2VjcmV0LWtleS1mb3ItdGVzdHM=");
        assert_eq!(check(&[key, user, secret], &mut nonces), Ok(Caller::Server));
        assert_eq!(check(&[key, user, ("secret", "d3Jvbmc=")], &mut nonces), Err(403_003));
        assert_eq!(check(&[key, ("userKey", "AKother"), secret], &mut nonces), Err(403_005));
        assert_eq!(check(&[("apiKey", "3_other"), user, secret], &mut nonces), Err(400_093));
        assert_eq!(check(&[key, secret], &mut nonces), Err(403_007));
        assert_eq!(check(&[key, user], &mut nonces), Err(400_002));
        assert_eq!(check(&[key], &mut nonces), Ok(Caller::Client));
        assert_eq!(check(&[user, secret], &mut nonces), Err(400_002));
        let partner = GigyaSettings {
            partner_secret_allowed: true,
            ..settings()
        };
        assert_eq!(
            authenticate(
                &partner,
                &Params::from_pairs(&[key, secret]),
                "POST",
                &url(),
                at(0),
                &mut nonces
            ),
            Ok(Caller::Server)
        );
    }
}
