//! The mock Gigya through its router (no socket) and, where the URL a client signs matters, on a
//! socket: the envelope, `httpStatusCodes`, every credential mode and the request signature,
//! accounts.search and its query language with cursors, getAccountInfo gating, login failures and
//! lockout, importFullAccount / setAccountInfo / deleteAccount, IdentitySync end to end, faults,
//! limits, and malformed input.
//!
//! Run with `cargo test -p mocks --test gigya`. Every mock here runs on a manual clock at
//! 2026-01-01T00:00:00.000Z with ids seeded from 1; a failing assertion prints the whole body.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use chrono::TimeZone;
use hmac::{Hmac, KeyInit, Mac};
use mocks::gigya::{DEFAULT_API_KEY, DEFAULT_SECRET, DEFAULT_USER_KEY, Gigya, GigyaSeed, GigyaSettings};
use mocks::{Clock, Kit, Provider};
use serde_json::{Value, json};
use sha1::Sha1;

const EPOCH: &str = "2026-01-01T00:00:00.000Z";
const EPOCH_SECS: i64 = 1_767_225_600;

const SITE: &str = r#"
accounts:
  - UID: "a1"
    profile: { email: dade@example.com, firstName: Dade, lastName: Murphy, age: 18, locale: en_US, phones: [{type: home, number: "555-0100"}] }
    loginIDs: { emails: [dade@example.com], username: zerocool }
    data: { tier: gold, handle: "Zero Cool" }
    subscriptions: { news: { email: { isSubscribed: true } } }
    password: "Hunter2!"
    created: 2024-01-01T00:00:00.000Z
  - UID: "a2"
    profile: { email: kate@example.com, firstName: Kate, lastName: Libby, age: 19 }
    data: { tier: silver, handle: "Acid Burn" }
    password: "Acid-Burn-1"
    created: 2024-02-01T00:00:00.000Z
  - UID: "a3"
    profile: { email: paul@example.com, firstName: Paul, lastName: Cook, age: 21 }
    isActive: false
    password: "Lord-Nikon"
    created: 2024-03-01T00:00:00.000Z
  - UID: "a4"
    profile: { email: emmanuel@example.com, firstName: Emmanuel, lastName: Goldstein }
    isRegistered: false
    password: "Cereal-Killer"
    created: 2024-04-01T00:00:00.000Z
  - UID: "a5"
    profile: { email: joey@example.com, firstName: Joey }
    isVerified: false
    password_hash: { hash: "W6ph5Mm5Pz8GgiULbPgzG37mj9g=", hashSettings: { algorithm: sha1 } }
    created: 2024-05-01T00:00:00.000Z
"#;

fn kit() -> Kit {
    Kit::deterministic(Clock::manual(Clock::scenario_epoch()), 1)
}

fn seed(gigya: &Gigya, yaml: &str) {
    let seed: GigyaSeed = mocks::kit::seed::parse(yaml, None).expect("test seed parses");
    gigya.seed(seed).expect("test seed is valid");
}

fn site(yaml: &str) -> Gigya {
    let gigya = Gigya::new(kit());
    seed(&gigya, yaml);
    gigya
}

#[derive(Debug)]
struct Res {
    status: StatusCode,
    content_type: String,
    text: String,
    body: Value,
}

impl Res {
    fn code(&self) -> i64 {
        self.body["errorCode"].as_i64().unwrap_or(-1)
    }

    /// Asserts a Gigya error: code, message, HTTP 200 (the default), details containing `details`.
    fn assert_error(&self, code: i64, message: &str, details: &str) {
        assert_eq!(self.status, StatusCode::OK, "{:#}", self.body);
        assert_eq!(self.code(), code, "{:#}", self.body);
        assert_eq!(self.body["errorMessage"], message, "{:#}", self.body);
        let got = self.body["errorDetails"].as_str().unwrap_or_default();
        assert!(got.contains(details), "errorDetails {got:?} lacks {details:?}");
        assert_eq!(self.body["statusCode"].as_i64(), Some(code / 1000));
    }

    /// The body of a successful call; fails the test unless HTTP 200 and `errorCode` 0.
    fn expect_ok(&self) -> &Value {
        assert_eq!(self.status, StatusCode::OK, "{:#}", self.body);
        assert_eq!(self.code(), 0, "{:#}", self.body);
        &self.body
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

async fn send(gigya: &Gigya, req: Request<Body>) -> Res {
    let answer = common::call(mocks::app(gigya.clone()), req).await;
    Res {
        status: answer.status,
        content_type: answer.header("content-type").to_owned(),
        // Gigya answers JSON or nothing the tests read as JSON
        body: serde_json::from_str(&answer.text).unwrap_or(Value::Null),
        text: answer.text,
    }
}

fn post_form(method: &str, body: String) -> Request<Body> {
    Request::post(format!("/{method}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("request")
}

/// A call with the application key and its secret (the plain server mode).
async fn call(gigya: &Gigya, method: &str, params: &[(&str, &str)]) -> Res {
    let mut all = vec![
        ("apiKey", DEFAULT_API_KEY),
        ("userKey", DEFAULT_USER_KEY),
        ("secret", DEFAULT_SECRET),
    ];
    all.extend_from_slice(params);
    send(gigya, post_form(method, form(&all))).await
}

/// A call with exactly these parameters.
async fn bare(gigya: &Gigya, method: &str, params: &[(&str, &str)]) -> Res {
    send(gigya, post_form(method, form(params))).await
}

fn uids(res: &Res) -> Vec<String> {
    res.expect_ok()["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["UID"].as_str().unwrap_or("?").to_owned())
        .collect()
}

fn assert_no_nulls(value: &Value, at: &str) {
    match value {
        Value::Null => panic!("null at {at}"),
        Value::Object(map) => map.iter().for_each(|(k, v)| assert_no_nulls(v, &format!("{at}.{k}"))),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| assert_no_nulls(v, &format!("{at}[{i}]"))),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Envelope and conventions

#[tokio::test]
async fn success_envelope_has_call_id_time_and_no_nulls() {
    let gigya = site(SITE);
    let res = call(
        &gigya,
        "accounts.getAccountInfo",
        &[("UID", "a1"), ("context", "ctx-42")],
    )
    .await;
    let body = res.expect_ok();
    let call_id = body["callId"].as_str().expect("callId");
    assert!(
        call_id.len() == 32
            && call_id
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
        "{call_id}"
    );
    assert_eq!(body["apiVersion"], 2);
    assert_eq!(body["statusCode"], 200);
    assert_eq!(body["statusReason"], "OK");
    assert_eq!(body["time"], EPOCH);
    assert_eq!(body["context"], "ctx-42");
    assert!(body.get("errorMessage").is_none() && body.get("errorDetails").is_none());
    assert!(res.content_type.starts_with("application/json"), "{}", res.content_type);
    assert_no_nulls(body, "$");
}

#[tokio::test]
async fn errors_are_http_200_unless_http_status_codes_is_true() {
    let gigya = site(SITE);
    let res = call(&gigya, "accounts.getAccountInfo", &[("context", "c")]).await;
    res.assert_error(400_002, "Missing required parameter", "UID");
    assert_eq!(res.body["statusReason"], "Bad Request");
    assert_eq!(res.body["context"], "c");
    assert_eq!(res.body["time"], EPOCH);
    let res = call(&gigya, "accounts.getAccountInfo", &[("httpStatusCodes", "true")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(res.code(), 400_002);
    let res = call(
        &gigya,
        "accounts.getAccountInfo",
        &[("httpStatusCodes", "true"), ("UID", "nobody")],
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(res.code(), 403_005);
    assert_eq!(res.body["errorMessage"], "Unauthorized user");
}

#[tokio::test]
async fn get_with_a_query_string_and_jsonp_work() {
    let gigya = site(SITE);
    let query = form(&[
        ("apiKey", DEFAULT_API_KEY),
        ("userKey", DEFAULT_USER_KEY),
        ("secret", DEFAULT_SECRET),
        ("UID", "a2"),
        ("format", "jsonp"),
        ("callback", "gigya.callback"),
    ]);
    let res = send(
        &gigya,
        Request::get(format!("/accounts.getAccountInfo?{query}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert!(
        res.text.starts_with("gigya.callback({") && res.text.ends_with("});"),
        "{}",
        res.text
    );
    assert!(res.content_type.starts_with("text/javascript"));
    let res = call(&gigya, "accounts.getAccountInfo", &[("UID", "a2"), ("format", "xml")]).await;
    res.assert_error(400_006, "Invalid parameter value", "format");
}

#[tokio::test]
async fn unknown_methods_keys_and_bodies_are_refused_in_gigya_shape() {
    let gigya = site(SITE);
    call(&gigya, "accounts.frobnicate", &[])
        .await
        .assert_error(400_096, "Not supported", "accounts.frobnicate");
    call(&gigya, "", &[]).await.assert_error(400_096, "Not supported", "");
    bare(
        &gigya,
        "accounts.search",
        &[("apiKey", "3_nope"), ("query", "SELECT * FROM accounts")],
    )
    .await
    .assert_error(400_093, "Invalid ApiKey parameter", "");
    bare(&gigya, "accounts.search", &[("query", "SELECT * FROM accounts")])
        .await
        .assert_error(400_002, "Missing required parameter", "apiKey");
    let json_body = Request::post("/accounts.search")
        .header("content-type", "application/json")
        .body(Body::from(r#"{"apiKey":"x"}"#))
        .expect("request");
    send(&gigya, json_body)
        .await
        .assert_error(400_001, "Invalid request format", "application/json");
    // Method names ignore case, as do parameter names.
    let res = bare(
        &gigya,
        "ACCOUNTS.GETACCOUNTINFO",
        &[
            ("APIKey", DEFAULT_API_KEY),
            ("userkey", DEFAULT_USER_KEY),
            ("SECRET", DEFAULT_SECRET),
            ("uid", "a1"),
        ],
    )
    .await;
    assert_eq!(res.expect_ok()["UID"], "a1");
}

// ---------------------------------------------------------------------------------------------
// Credentials and signatures

#[tokio::test]
async fn plain_credential_modes() {
    let gigya = site(SITE);
    let q = ("query", "SELECT UID FROM accounts LIMIT 1");
    let key = ("apiKey", DEFAULT_API_KEY);
    let user = ("userKey", DEFAULT_USER_KEY);
    bare(&gigya, "accounts.search", &[key, user, ("secret", DEFAULT_SECRET), q])
        .await
        .expect_ok();
    bare(&gigya, "accounts.search", &[key, user, ("secret", "d3Jvbmc="), q])
        .await
        .assert_error(403_003, "Invalid request signature", "");
    bare(
        &gigya,
        "accounts.search",
        &[key, ("userKey", "ANother"), ("secret", DEFAULT_SECRET), q],
    )
    .await
    .assert_error(403_005, "Unauthorized user", "ANother");
    bare(&gigya, "accounts.search", &[key, user, q]).await.assert_error(
        400_002,
        "Missing required parameter",
        "secret",
    );
    // The partner secret alone: refused as SAP does since 2023, accepted when the site allows it.
    bare(&gigya, "accounts.search", &[key, ("secret", DEFAULT_SECRET), q])
        .await
        .assert_error(403_007, "Permission denied", "Partner secrets");
    // A client call (API key only) may log in, but nothing else.
    bare(&gigya, "accounts.search", &[key, q])
        .await
        .assert_error(403_007, "Permission denied", "server credentials");
    let login = bare(
        &gigya,
        "accounts.login",
        &[key, ("loginID", "dade@example.com"), ("password", "Hunter2!")],
    )
    .await;
    assert_eq!(login.expect_ok()["UID"], "a1");

    let partner = Gigya::with_settings(
        kit(),
        GigyaSettings {
            partner_secret_allowed: true,
            ..GigyaSettings::default()
        },
    );
    seed(&partner, SITE);
    bare(&partner, "accounts.search", &[key, ("secret", DEFAULT_SECRET), q])
        .await
        .expect_ok();
}

/// The test side's own implementation of gigya.md §1.4.
fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn signature(secret: &str, url: &str, params: &[(&str, &str)]) -> String {
    let mut sorted: Vec<&(&str, &str)> = params.iter().collect();
    sorted.sort();
    let query: Vec<String> = sorted.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect();
    let base = format!("POST&{}&{}", enc(url), enc(&query.join("&")));
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret)
        .expect("base64 secret");
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(&key).expect("any key length");
    mac.update(base.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn the_reference_vector_is_accepted_as_sent_to_the_real_host() {
    let vector = [
        ("apiKey", "3_testApiKey"),
        ("userKey", "AKtestUserKey"),
        ("query", "SELECT * FROM accounts LIMIT 2"),
        ("openCursor", "true"),
        ("format", "json"),
        ("httpStatusCodes", "false"),
        ("timestamp", "1700000000"),
        ("nonce", "1700000000000_42"),
    ];
    let url = "https://accounts.us1.gigya.com/accounts.search";
    let secret = "c2VjcmV0LWtleS1mb3ItdGVzdHM=";
    assert_eq!(signature(secret, url, &vector), "PECqY142I87f5MwIwHEocpbrScs=");
    let clock = Clock::manual(chrono::Utc.timestamp_opt(1_700_000_000, 0).single().expect("time"));
    let gigya = Gigya::with_settings(
        Kit::deterministic(clock, 1),
        GigyaSettings {
            api_key: "3_testApiKey".into(),
            user_key: "AKtestUserKey".into(),
            secret: secret.into(),
            ..GigyaSettings::default()
        },
    );
    seed(&gigya, SITE);
    let mut params = vector.to_vec();
    params.push(("sig", "PECqY142I87f5MwIwHEocpbrScs="));
    // As a reverse proxy in front of the mock would forward it.
    let req = Request::post("/accounts.search")
        .header("host", "accounts.us1.gigya.com")
        .header("x-forwarded-proto", "https")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form(&params)))
        .expect("request");
    let res = send(&gigya, req).await;
    assert_eq!(uids(&res), ["a1", "a2"]);
    assert!(res.body["nextCursorId"].is_string());
}

#[tokio::test]
async fn signed_requests_over_a_socket_check_url_time_nonce_and_signature() {
    let gigya = site(SITE);
    let server = mocks::start(gigya.clone(), mocks::LOOPBACK_EPHEMERAL)
        .await
        .expect("bind");
    let url = format!("{}/accounts.getAccountInfo", server.base_url());
    let client = sandbox::net::client_builder().build().expect("an HTTP client");
    let post = |params: Vec<(&'static str, String)>| {
        let client = client.clone();
        let url = url.clone();
        async move {
            let body: Value = client
                .post(&url)
                .form(&params)
                .send()
                .await
                .expect("sent")
                .json()
                .await
                .expect("json");
            body
        }
    };
    let signed = |ts: i64, nonce: &str, sign_url: &str| {
        let ts = ts.to_string();
        let base = [
            ("apiKey", DEFAULT_API_KEY),
            ("userKey", DEFAULT_USER_KEY),
            ("UID", "a1"),
            ("timestamp", ts.as_str()),
            ("nonce", nonce),
        ];
        let sig = signature(DEFAULT_SECRET, sign_url, &base);
        let mut out: Vec<(&'static str, String)> = vec![
            ("apiKey", DEFAULT_API_KEY.into()),
            ("userKey", DEFAULT_USER_KEY.into()),
            ("UID", "a1".into()),
            ("timestamp", ts.clone()),
            ("nonce", nonce.into()),
        ];
        out.push(("sig", sig));
        out
    };
    let ok = post(signed(EPOCH_SECS, "n-1", &url)).await;
    assert_eq!(ok["errorCode"], 0, "{ok:#}");
    assert_eq!(ok["UID"], "a1");
    let replay = post(signed(EPOCH_SECS, "n-1", &url)).await;
    assert_eq!(replay["errorCode"], 403_004, "{replay:#}");
    assert_eq!(replay["errorMessage"], "Duplicate nonce");
    let wrong_url = post(signed(EPOCH_SECS, "n-2", "http://127.0.0.1:1/accounts.getAccountInfo")).await;
    assert_eq!(wrong_url["errorCode"], 403_003, "{wrong_url:#}");
    let old = post(signed(EPOCH_SECS - 181, "n-3", &url)).await;
    assert_eq!(old["errorCode"], 403_002, "{old:#}");
    assert_eq!(old["errorMessage"], "Request has expired");
    let edge = post(signed(EPOCH_SECS - 180, "n-4", &url)).await;
    assert_eq!(edge["errorCode"], 0, "{edge:#}");
    // Milliseconds, as the npm SDK sends them.
    let millis = post(signed(EPOCH_SECS * 1000, "n-5", &url)).await;
    assert_eq!(millis["errorCode"], 0, "{millis:#}");
    // The canonical Gigya URL of the data center is accepted too (clients behind a proxy).
    let canonical = post(signed(
        EPOCH_SECS,
        "n-6",
        "https://accounts.us1.gigya.com/accounts.getAccountInfo",
    ))
    .await;
    assert_eq!(canonical["errorCode"], 0, "{canonical:#}");
    // The window moves with the kit clock.
    gigya.kit().clock.advance(Duration::from_secs(200));
    let stale = post(signed(EPOCH_SECS, "n-7", &url)).await;
    assert_eq!(stale["errorCode"], 403_002, "{stale:#}");
    // The journal never shows the signature or a secret.
    // The Date header is the kit clock's, so a client can resync its signing clock from it.
    let response = client
        .post(&url)
        .form(&signed(EPOCH_SECS, "n-8", &url))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.headers().get("date").and_then(|d| d.to_str().ok()),
        Some("Thu, 01 Jan 2026 00:03:20 GMT")
    );
    let entry = gigya.kit().journal.entries().into_iter().next().expect("journaled");
    let body = entry.body.unwrap_or_default();
    assert!(body.contains("sig=[masked]") && !body.contains("n-1&sig=%"), "{body}");
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// accounts.search

async fn search(gigya: &Gigya, query: &str) -> Res {
    call(gigya, "accounts.search", &[("query", query)]).await
}

#[tokio::test]
async fn the_query_language_filters_like_gigya() {
    let gigya = site(SITE);
    let cases: &[(&str, &[&str])] = &[
        ("SELECT * FROM accounts", &["a1", "a2", "a3", "a4", "a5"]),
        ("select UID from accounts where isActive = false", &["a3"]),
        (
            "SELECT UID FROM accounts WHERE profile.age >= 19 AND data.tier != 'gold'",
            &["a2", "a3"],
        ),
        (
            "SELECT UID FROM accounts WHERE data.tier = 'gold' OR data.tier = \"silver\"",
            &["a1", "a2"],
        ),
        ("SELECT UID FROM accounts WHERE NOT (isRegistered = true)", &["a4"]),
        ("SELECT UID FROM accounts WHERE data.handle CONTAINS 'burn'", &["a2"]),
        (
            "SELECT UID FROM accounts WHERE profile.firstName IN ('Kate', 'Joey')",
            &["a2", "a5"],
        ),
        ("SELECT UID FROM accounts WHERE data IS NULL", &["a3", "a4", "a5"]),
        ("SELECT UID FROM accounts WHERE loginIDs.username IS NOT NULL", &["a1"]),
        (
            "SELECT UID FROM accounts WHERE profile.email = regex('[a-k].*@example\\\\.com')",
            &["a1", "a2", "a4", "a5"],
        ),
        (
            "SELECT UID FROM accounts WHERE createdTimestamp < 1707000000000",
            &["a1", "a2"],
        ),
        ("SELECT UID FROM accounts WHERE created >= '2024-04-01'", &["a4", "a5"]),
        (
            "SELECT UID FROM accounts WHERE profile.phones.number = '555-0100'",
            &["a1"],
        ),
        (
            "SELECT UID FROM accounts ORDER BY profile.age DESC",
            &["a3", "a2", "a1", "a4", "a5"],
        ),
        (
            "SELECT UID FROM accounts ORDER BY profile.firstName",
            &["a1", "a4", "a5", "a2", "a3"],
        ),
        ("SELECT UID FROM accounts START 1 LIMIT 2", &["a2", "a3"]),
        ("SELECT UID FROM accounts LIMIT 2 START 3", &["a4", "a5"]),
    ];
    for (query, expected) in cases {
        let res = search(&gigya, query).await;
        assert_eq!(uids(&res), *expected, "{query}");
        assert_eq!(res.body["objectsCount"], expected.len(), "{query}");
    }
    let res = search(&gigya, "SELECT UID FROM accounts LIMIT 2").await;
    assert_eq!(res.body["totalCount"], 5);
    assert!(res.body.get("nextCursorId").is_none());
}

#[tokio::test]
async fn select_projects_fields_aliases_and_counts() {
    let gigya = site(SITE);
    let res = search(
        &gigya,
        "SELECT UID, profile.firstName AS name, profile.phones.number, data.tier FROM accounts WHERE UID = 'a1'",
    )
    .await;
    assert_eq!(
        res.expect_ok()["results"],
        json!([{"UID": "a1", "profile": {"name": "Dade", "phones": [{"number": "555-0100"}]}, "data": {"tier": "gold"}}])
    );
    let res = search(&gigya, "SELECT count(*) FROM accounts WHERE isActive = true").await;
    assert_eq!(res.expect_ok()["results"], json!([{"count(*)": 4}]));
    assert_eq!(res.body["objectsCount"], 1);
    assert_eq!(res.body["totalCount"], 4);
    // Hashes in search results only when the site is set to return them (FIDELITY.md
    // gigya/search-password; gigya_fields.rs shows the default).
    seed(&gigya, "settings: { search_returns_password: true }\n");
    let res = search(&gigya, "SELECT * FROM accounts WHERE UID = 'a1'").await;
    let a1 = &res.expect_ok()["results"][0];
    assert_eq!(a1["password"]["hashSettings"]["algorithm"], "pbkdf2");
    assert!(a1["password"]["hash"].is_string());
    assert_eq!(a1["createdTimestamp"], 1_704_067_200_000_i64);
    assert_eq!(a1["created"], "2024-01-01T00:00:00.000Z");
    assert_eq!(a1["socialProviders"], "site");
    assert_eq!(
        a1["loginIDs"],
        json!({"emails": ["dade@example.com"], "username": "zerocool"})
    );
    assert_eq!(a1["emails"], json!({"verified": ["dade@example.com"]}));
    assert_no_nulls(a1, "a1");
}

#[tokio::test]
async fn search_returns_password_can_be_turned_off() {
    let gigya = site("settings: { search_returns_password: false }\n");
    seed(&gigya, SITE);
    let res = search(&gigya, "SELECT * FROM accounts WHERE UID = 'a1'").await;
    assert!(
        res.expect_ok()["results"][0].get("password").is_none(),
        "{:#}",
        res.body
    );
    let res = search(&gigya, "SELECT UID, password FROM accounts WHERE UID = 'a1'").await;
    assert_eq!(res.expect_ok()["results"], json!([{"UID": "a1"}]));
    // getAccountInfo still gives it with include=password.
    let res = call(
        &gigya,
        "accounts.getAccountInfo",
        &[("UID", "a1"), ("include", "password")],
    )
    .await;
    assert!(res.expect_ok()["password"]["hash"].is_string());
}

#[tokio::test]
async fn bad_queries_are_400006_naming_the_problem_never_500() {
    let gigya = site(SITE);
    let cases = [
        ("", "query"),
        ("SELECT", "expected a field name"),
        ("SELECT * FROM", "table name"),
        ("SELECT * FROM users", "unknown source 'users'"),
        ("SELECT * FROM accounts WHERE", "expected a field name"),
        ("SELECT * FROM accounts WHERE UID =", "expected a value"),
        ("SELECT * FROM accounts WHERE UID = 'x", "unterminated string"),
        ("SELECT * FROM accounts LIMIT 10 WHERE UID = 'x'", "out of order"),
        ("SELECT * FROM accounts LIMIT 10001", "maximum of 10000"),
        ("SELECT * FROM accounts START 5001", "maximum of 5000"),
        ("SELECT * FROM accounts LIMIT -1", "whole number"),
        ("SELECT avg(profile.age) FROM accounts", "not supported"),
        ("SELECT * FROM accounts WHERE UID = regex('(')", "missing )"),
        (
            "SELECT * FROM accounts WHERE UID = regex('a{99999}')",
            "regex too large",
        ),
        ("SELECT * FROM accounts WHERE UID = regex('(?=a)')", "look-around"),
        ("SELECT * FROM accounts WHERE (UID = 'a'", "missing ')'"),
        ("SELECT * FROM accounts WHERE UID ~ 'a'", "unexpected character"),
        ("SELECT * FROM accounts GROUP BY UID", "not supported"),
        ("DELETE FROM accounts", "expected SELECT"),
    ];
    for (query, problem) in cases {
        let res = search(&gigya, query).await;
        if query.is_empty() {
            res.assert_error(400_002, "Missing required parameter", "query");
        } else {
            res.assert_error(400_006, "Invalid parameter value", problem);
            assert!(res.body["errorDetails"].as_str().unwrap_or_default().contains("query"));
        }
    }
}

#[tokio::test]
async fn cursors_walk_every_page_retry_safely_and_expire() {
    // Full batches here, to pin page contents; gigya_fields.rs walks the default short ones.
    let mut yaml = String::from("settings: { short_cursor_batches: false }\naccounts:\n");
    for i in 1..=7 {
        yaml.push_str(&format!(
            "  - {{UID: u{i}, profile: {{email: user{i}@example.com, age: {}}}}}\n",
            30 - i
        ));
    }
    let gigya = site(&yaml);
    let first = call(
        &gigya,
        "accounts.search",
        &[("query", "SELECT UID FROM accounts LIMIT 3"), ("openCursor", "true")],
    )
    .await;
    assert_eq!(uids(&first), ["u1", "u2", "u3"]);
    assert_eq!(first.body["totalCount"], 7);
    let next = first.body["nextCursorId"].as_str().expect("more pages").to_owned();
    let second = call(&gigya, "accounts.search", &[("cursorId", &next)]).await;
    assert_eq!(uids(&second), ["u4", "u5", "u6"]);
    assert_eq!(second.body["totalCount"], 7);
    let again = call(&gigya, "accounts.search", &[("cursorId", &next)]).await;
    assert_eq!(
        uids(&again),
        ["u4", "u5", "u6"],
        "resending a cursor returns the same page"
    );
    let last_id = second.body["nextCursorId"].as_str().expect("one more page").to_owned();
    let last = call(&gigya, "accounts.search", &[("cursorId", &last_id)]).await;
    assert_eq!(uids(&last), ["u7"]);
    assert!(last.body.get("nextCursorId").is_none(), "the end has no nextCursorId");

    // Sorted walks use a snapshot; the order holds across pages.
    let sorted = call(
        &gigya,
        "accounts.search",
        &[
            ("query", "SELECT UID FROM accounts ORDER BY profile.age LIMIT 4"),
            ("openCursor", "true"),
        ],
    )
    .await;
    assert_eq!(uids(&sorted), ["u7", "u6", "u5", "u4"]);
    let rest = call(
        &gigya,
        "accounts.search",
        &[("cursorId", sorted.body["nextCursorId"].as_str().expect("next"))],
    )
    .await;
    assert_eq!(uids(&rest), ["u3", "u2", "u1"]);

    // 300 s on the kit clock: still there; one more second: gone.
    gigya.kit().clock.advance(Duration::from_secs(299));
    call(&gigya, "accounts.search", &[("cursorId", &last_id)])
        .await
        .expect_ok();
    gigya.kit().clock.advance(Duration::from_secs(2));
    call(&gigya, "accounts.search", &[("cursorId", &last_id)])
        .await
        .assert_error(400_006, "Invalid parameter value", "cursorId");
    call(
        &gigya,
        "accounts.search",
        &[("cursorId", "nope"), ("query", "SELECT * FROM accounts")],
    )
    .await
    .assert_error(400_006, "Invalid parameter value", "cursorId");
    call(
        &gigya,
        "accounts.search",
        &[("query", "SELECT * FROM accounts START 2"), ("openCursor", "true")],
    )
    .await
    .assert_error(400_006, "Invalid parameter value", "openCursor");
}

// ---------------------------------------------------------------------------------------------
// accounts.getAccountInfo

#[tokio::test]
async fn get_account_info_gates_fields_by_include() {
    let gigya = site(SITE);
    let res = call(&gigya, "accounts.getAccountInfo", &[("UID", "a1")]).await;
    let body = res.expect_ok();
    assert_eq!(
        body["profile"],
        json!({"email": "dade@example.com", "firstName": "Dade", "lastName": "Murphy", "age": 18})
    );
    assert_eq!(body["data"], json!({"tier": "gold", "handle": "Zero Cool"}));
    assert_eq!(body["password"], json!({"created": "2024-01-01T00:00:00.000Z"}));
    for hidden in ["loginIDs", "emails", "subscriptions", "preferences", "identities"] {
        assert!(body.get(hidden).is_none(), "{hidden} without include: {body:#}");
    }
    for shown in [
        "UID",
        "created",
        "createdTimestamp",
        "isActive",
        "isRegistered",
        "isVerified",
        "lastUpdated",
        "registered",
        "verified",
        "socialProviders",
    ] {
        assert!(body.get(shown).is_some(), "{shown} always: {body:#}");
    }
    let res = call(
        &gigya,
        "accounts.getAccountInfo",
        &[
            ("UID", "a1"),
            ("include", "loginIDs,emails,subscriptions,password"),
            ("extraProfileFields", "locale,phones,nonsense"),
        ],
    )
    .await;
    let body = res.expect_ok();
    assert!(
        body.get("profile").is_none() && body.get("data").is_none(),
        "profile must be listed: {body:#}"
    );
    assert_eq!(body["loginIDs"]["username"], "zerocool");
    assert_eq!(body["subscriptions"]["news"]["email"]["isSubscribed"], true);
    assert!(body["password"]["hashSettings"]["salt"].is_string());
    let res = call(
        &gigya,
        "accounts.getAccountInfo",
        &[
            ("UID", "a1"),
            ("include", "profile"),
            ("extraProfileFields", "locale,phones"),
        ],
    )
    .await;
    assert_eq!(res.expect_ok()["profile"]["locale"], "en_US");
    assert_eq!(res.body["profile"]["phones"][0]["number"], "555-0100");
    call(
        &gigya,
        "accounts.getAccountInfo",
        &[("UID", "a1"), ("include", "profile,secrets")],
    )
    .await
    .assert_error(400_006, "Invalid parameter value", "secrets");
    call(&gigya, "accounts.getAccountInfo", &[("UID", "nobody")])
        .await
        .assert_error(403_005, "Unauthorized user", "");
}

// ---------------------------------------------------------------------------------------------
// accounts.login

async fn login(gigya: &Gigya, login_id: &str, password: &str) -> Res {
    call(
        gigya,
        "accounts.login",
        &[("loginID", login_id), ("password", password)],
    )
    .await
}

#[tokio::test]
async fn login_succeeds_by_email_or_username_with_a_session() {
    let gigya = site(SITE);
    let res = login(&gigya, "DADE@example.com", "Hunter2!").await;
    let body = res.expect_ok();
    assert_eq!(body["UID"], "a1");
    assert_eq!(body["profile"]["firstName"], "Dade");
    assert_eq!(body["sessionInfo"]["cookieName"], format!("glt_{DEFAULT_API_KEY}"));
    assert!(
        body["sessionInfo"]["cookieValue"]
            .as_str()
            .is_some_and(|v| v.len() == 64)
    );
    assert_eq!(body["newUser"], false);
    assert_eq!(body["lastLogin"], EPOCH);
    assert_eq!(body["loginProvider"], "site");
    let res = login(&gigya, "zerocool", "Hunter2!").await;
    assert_eq!(res.expect_ok()["UID"], "a1");
    let mobile = call(
        &gigya,
        "accounts.login",
        &[
            ("loginID", "zerocool"),
            ("password", "Hunter2!"),
            ("targetEnv", "mobile"),
        ],
    )
    .await;
    assert!(mobile.expect_ok()["sessionInfo"]["sessionSecret"].is_string());
}

#[tokio::test]
async fn login_failures_use_gigya_codes() {
    let gigya = site(SITE);
    login(&gigya, "dade@example.com", "hunter2!").await.assert_error(
        403_042,
        "Invalid LoginID",
        "invalid loginID or password",
    );
    login(&gigya, "nobody@example.com", "x").await.assert_error(
        403_042,
        "Invalid LoginID",
        "invalid loginID or password",
    );
    login(&gigya, "paul@example.com", "Lord-Nikon")
        .await
        .assert_error(403_041, "Account disabled", "");
    let pending = login(&gigya, "emmanuel@example.com", "Cereal-Killer").await;
    pending.assert_error(206_001, "Account Pending Registration", "");
    let token = pending.body["regToken"].as_str().expect("a regToken");
    let res = call(&gigya, "accounts.getAccountInfo", &[("regToken", token)]).await;
    assert_eq!(res.expect_ok()["UID"], "a4");
    call(&gigya, "accounts.login", &[("loginID", "dade@example.com")])
        .await
        .assert_error(400_002, "Missing required parameter", "password");
}

#[tokio::test]
async fn unverified_email_is_206002_when_the_site_requires_verification() {
    let gigya = site("settings: { require_verified_email: true }\n");
    seed(&gigya, SITE);
    let res = login(&gigya, "joey@example.com", "password").await;
    res.assert_error(206_002, "Account Pending Verification", "");
    assert_eq!(res.body["UID"], "a5");
    assert!(res.body["regToken"].is_string());
    login(&gigya, "kate@example.com", "Acid-Burn-1").await.expect_ok();
}

#[tokio::test]
async fn lockout_after_max_failures_until_the_lock_ends() {
    let gigya = site("settings: { lockout: { max_failures: 3, minutes: 10 } }\n");
    seed(&gigya, SITE);
    for _ in 0..3 {
        login(&gigya, "kate@example.com", "wrong")
            .await
            .assert_error(403_042, "Invalid LoginID", "");
    }
    login(&gigya, "kate@example.com", "Acid-Burn-1")
        .await
        .assert_error(403_120, "Account temporarily locked out", "");
    let info = call(
        &gigya,
        "accounts.getAccountInfo",
        &[("UID", "a2"), ("include", "isLockedOut")],
    )
    .await;
    assert_eq!(info.expect_ok()["isLockedOut"], true);
    assert_eq!(info.body["lockedUntil"], "2026-01-01T00:10:00.000Z");
    gigya.kit().clock.advance(Duration::from_secs(600));
    login(&gigya, "kate@example.com", "Acid-Burn-1").await.expect_ok();
}

#[tokio::test]
async fn a_login_rehashes_an_imported_hash_with_the_site_policy() {
    let gigya = site(SITE);
    let before = call(
        &gigya,
        "accounts.getAccountInfo",
        &[("UID", "a5"), ("include", "password")],
    )
    .await;
    assert_eq!(
        before.expect_ok()["password"]["hashSettings"],
        json!({"algorithm": "sha1"})
    );
    login(&gigya, "joey@example.com", "password").await.expect_ok();
    let after = call(
        &gigya,
        "accounts.getAccountInfo",
        &[("UID", "a5"), ("include", "password")],
    )
    .await;
    let password = &after.expect_ok()["password"];
    assert_eq!(password["hashSettings"]["algorithm"], "pbkdf2");
    assert_eq!(password["hashSettings"]["rounds"], 3000);
    assert_eq!(password["created"], "2024-05-01T00:00:00.000Z");
    login(&gigya, "joey@example.com", "password").await.expect_ok();
}

// ---------------------------------------------------------------------------------------------
// importFullAccount, setAccountInfo, deleteAccount

#[tokio::test]
async fn import_full_account_inserts_upserts_and_checks_identifiers() {
    let gigya = site(SITE);
    let res = call(
        &gigya,
        "accounts.importFullAccount",
        &[
            ("UID", "imp-1"),
            ("profile", r#"{"email":"eugene@example.com","firstName":"Eugene"}"#),
            ("loginIDs", r#"{"emails":["eugene@example.com"]}"#),
            ("emails", r#"{"verified":["eugene@example.com"]}"#),
            (
                "password",
                r#"{"hashedPassword":"X03MO1qnZdYdgyfeuILPmQ==","hashSettings":{"algorithm":"md5"}}"#,
            ),
            ("created", "2020-06-01T12:00:00.000Z"),
            ("data", r#"{"plague":true,"nothing":null}"#),
        ],
    )
    .await;
    assert_eq!(res.expect_ok()["UID"], "imp-1");
    let info = call(
        &gigya,
        "accounts.getAccountInfo",
        &[("UID", "imp-1"), ("include", "profile,data,password,emails")],
    )
    .await;
    let body = info.expect_ok();
    assert_eq!(body["data"], json!({"plague": true}));
    assert_eq!(body["isVerified"], true);
    assert_eq!(body["created"], "2020-06-01T12:00:00.000Z");
    assert_eq!(body["lastUpdated"], EPOCH);
    assert_eq!(body["password"]["hash"], "X03MO1qnZdYdgyfeuILPmQ==");
    login(&gigya, "eugene@example.com", "password").await.expect_ok();

    call(&gigya, "accounts.importFullAccount", &[("UID", "imp-1")])
        .await
        .assert_error(400_003, "Unique identifier exists", "imp-1");
    let upsert = call(
        &gigya,
        "accounts.importFullAccount",
        &[
            ("UID", "imp-1"),
            ("importPolicy", "upsert"),
            ("profile", r#"{"lastName":"Belford"}"#),
            ("isActive", "false"),
        ],
    )
    .await;
    upsert.expect_ok();
    let info = call(&gigya, "accounts.getAccountInfo", &[("UID", "imp-1")]).await;
    assert_eq!(
        info.expect_ok()["profile"],
        json!({"email": "eugene@example.com", "firstName": "Eugene", "lastName": "Belford"})
    );
    assert_eq!(info.body["isActive"], false);
    call(
        &gigya,
        "accounts.importFullAccount",
        &[("UID", "imp-2"), ("loginIDs", r#"{"emails":["Dade@example.com"]}"#)],
    )
    .await
    .assert_error(403_043, "Login identifier exists", "dade@example.com");
    let created = call(
        &gigya,
        "accounts.importFullAccount",
        &[("createUID", "true"), ("profile", r#"{"firstName":"Anon"}"#)],
    )
    .await;
    let uid = created.expect_ok()["UID"].as_str().expect("generated UID");
    assert!(uid.len() == 32 && uid.chars().all(|c| c.is_ascii_hexdigit()), "{uid}");
    call(&gigya, "accounts.importFullAccount", &[("profile", "{}")])
        .await
        .assert_error(400_002, "Missing required parameter", "UID");
    call(
        &gigya,
        "accounts.importFullAccount",
        &[("UID", "x"), ("importPolicy", "merge")],
    )
    .await
    .assert_error(400_006, "Invalid parameter value", "importPolicy");
    call(
        &gigya,
        "accounts.importFullAccount",
        &[("UID", "x"), ("profile", r#"{"email":"not-an-email","gender":"x"}"#)],
    )
    .await
    .assert_error(400_009, "Validation error", "profile.email");
}

#[tokio::test]
async fn imported_compound_and_templated_hashes_log_in() {
    let gigya = site(SITE);
    let bcrypt = mocks::hashes::gigya::hash("bcrypt", "Swordfish", b"0123456789abcdef", 16).expect("bcrypt");
    let compound = bcrypt.compound_hashed_password.expect("a compound string");
    let password = json!({ "compoundHashedPassword": compound }).to_string();
    call(
        &gigya,
        "accounts.importFullAccount",
        &[
            ("UID", "bc"),
            ("loginIDs", r#"{"emails":["razor@example.com"]}"#),
            ("password", &password),
        ],
    )
    .await
    .expect_ok();
    login(&gigya, "razor@example.com", "Swordfish").await.expect_ok();
    let pbkdf2 = mocks::hashes::gigya::hash("pbkdf2_sha512", "Blade", b"saltsaltsaltsalt", 1000).expect("pbkdf2");
    let password = json!({ "hashedPassword": pbkdf2.hash, "hashSettings": pbkdf2.hash_settings }).to_string();
    call(
        &gigya,
        "accounts.importFullAccount",
        &[
            ("UID", "pb"),
            ("loginIDs", r#"{"emails":["blade@example.com"]}"#),
            ("password", &password),
        ],
    )
    .await
    .expect_ok();
    login(&gigya, "blade@example.com", "Blade").await.expect_ok();
    login(&gigya, "blade@example.com", "blade")
        .await
        .assert_error(403_042, "Invalid LoginID", "");
    call(
        &gigya,
        "accounts.importFullAccount",
        &[
            ("UID", "bad"),
            (
                "password",
                r#"{"hashedPassword":"AAAA","hashSettings":{"algorithm":"rot13"}}"#,
            ),
        ],
    )
    .await
    .assert_error(400_006, "Invalid parameter value", "rot13");
}

#[tokio::test]
async fn import_is_limited_to_five_calls_per_uid_a_minute() {
    let gigya = site("accounts: []\n");
    for _ in 0..5 {
        call(
            &gigya,
            "accounts.importFullAccount",
            &[("UID", "busy"), ("importPolicy", "upsert")],
        )
        .await
        .expect_ok();
    }
    call(
        &gigya,
        "accounts.importFullAccount",
        &[("UID", "busy"), ("importPolicy", "upsert")],
    )
    .await
    .assert_error(503_001, "Service unavailable for this operation", "busy");
    call(&gigya, "accounts.importFullAccount", &[("UID", "other")])
        .await
        .expect_ok();
    gigya.kit().clock.advance(Duration::from_secs(60));
    call(
        &gigya,
        "accounts.importFullAccount",
        &[("UID", "busy"), ("importPolicy", "upsert")],
    )
    .await
    .expect_ok();
}

#[tokio::test]
async fn set_account_info_merges_and_changes_passwords() {
    let gigya = site(SITE);
    call(
        &gigya,
        "accounts.setAccountInfo",
        &[
            ("UID", "a2"),
            ("profile", r#"{"lastName":null,"nickname":"Acid"}"#),
            ("data", r#"{"tier":"platinum"}"#),
        ],
    )
    .await
    .expect_ok();
    let info = call(&gigya, "accounts.getAccountInfo", &[("UID", "a2")]).await;
    assert_eq!(
        info.expect_ok()["profile"],
        json!({"email": "kate@example.com", "firstName": "Kate", "age": 19, "nickname": "Acid"})
    );
    assert_eq!(info.body["data"], json!({"tier": "platinum", "handle": "Acid Burn"}));
    call(
        &gigya,
        "accounts.setAccountInfo",
        &[("UID", "a2"), ("newPassword", "Crash-Override")],
    )
    .await
    .assert_error(400_002, "Missing required parameter", "password");
    call(
        &gigya,
        "accounts.setAccountInfo",
        &[
            ("UID", "a2"),
            ("newPassword", "Crash-Override"),
            ("password", "Acid-Burn-1"),
        ],
    )
    .await
    .expect_ok();
    login(&gigya, "kate@example.com", "Crash-Override").await.expect_ok();
    call(
        &gigya,
        "accounts.setAccountInfo",
        &[
            ("UID", "a2"),
            ("newPassword", "Again"),
            ("securityOverride", "true"),
            ("username", "acidburn"),
        ],
    )
    .await
    .expect_ok();
    login(&gigya, "acidburn", "Again").await.expect_ok();
    call(
        &gigya,
        "accounts.setAccountInfo",
        &[("UID", "a1"), ("username", "AcidBurn")],
    )
    .await
    .assert_error(400_003, "Unique identifier exists", "Username already exists");
    call(
        &gigya,
        "accounts.setAccountInfo",
        &[("UID", "a5"), ("isVerified", "true")],
    )
    .await
    .expect_ok();
    let info = call(
        &gigya,
        "accounts.getAccountInfo",
        &[("UID", "a5"), ("include", "emails")],
    )
    .await;
    assert_eq!(info.expect_ok()["emails"], json!({"verified": ["joey@example.com"]}));
    assert_eq!(info.body["isVerified"], true);
    call(&gigya, "accounts.setAccountInfo", &[("UID", "ghost")])
        .await
        .assert_error(403_005, "Unauthorized user", "");
}

#[tokio::test]
async fn delete_account_removes_it_from_search_and_login() {
    let gigya = site(SITE);
    call(&gigya, "accounts.deleteAccount", &[("UID", "a1")])
        .await
        .expect_ok();
    assert_eq!(
        uids(&search(&gigya, "SELECT UID FROM accounts").await),
        ["a2", "a3", "a4", "a5"]
    );
    login(&gigya, "dade@example.com", "Hunter2!")
        .await
        .assert_error(403_042, "Invalid LoginID", "");
    call(&gigya, "accounts.deleteAccount", &[("UID", "a1")])
        .await
        .assert_error(403_005, "Unauthorized user", "");
}

// ---------------------------------------------------------------------------------------------
// IdentitySync

fn export_flow(writer: &str) -> String {
    json!({
        "name": "Export accounts for Auth0",
        "description": "account > rename > remove > replace > json > write",
        "steps": [
            {"id": "account", "type": "datasource.read.gigya.account",
             "params": {"select": "UID,isActive,profile,data,password,loginIDs", "where": "isRegistered = true", "batchSize": 2},
             "next": ["rename"]},
            {"id": "rename", "type": "field.rename",
             "params": {"fields": [{"sourceField": "profile.email", "targetField": "email"}, {"sourceField": "data.tier", "targetField": "'data.tier'"}]},
             "next": ["remove"]},
            {"id": "remove", "type": "field.remove", "params": {"fields": ["data", "profile.phones"]}, "next": ["replace"]},
            {"id": "replace", "type": "field.replace", "params": {"fields": [{"field": "email", "regex": "@example\\.com$", "replacement": "@example.org"}]}, "next": ["json"]},
            {"id": "json", "type": "file.format.json", "params": {"fileName": "accounts_${now}.json"}, "next": ["write"]},
            {"id": "write", "type": writer, "params": {"host": "sftp.example.com", "username": "u", "password": "p"}}
        ]
    })
    .to_string()
}

async fn job_status(gigya: &Gigya, dataflow_id: &str) -> Value {
    let query =
        format!("SELECT * FROM idx_job_status WHERE dataflowId = '{dataflow_id}' ORDER BY updateTime DESC LIMIT 5");
    let res = call(gigya, "idx.search", &[("query", &query)]).await;
    res.expect_ok()["results"][0].clone()
}

#[tokio::test]
async fn identity_sync_exports_accounts_to_a_downloadable_file() {
    let gigya = site(SITE);
    let created = call(
        &gigya,
        "idx.createDataflow",
        &[("data", &export_flow("datasource.write.ferry"))],
    )
    .await;
    let flow_id = created.expect_ok()["id"].as_str().expect("an id").to_owned();
    assert_eq!(created.body["name"], "Export accounts for Auth0");
    let fetched = call(&gigya, "idx.getDataflow", &[("id", &flow_id)]).await;
    assert_eq!(fetched.expect_ok()["steps"].as_array().map(Vec::len), Some(6));

    let scheduling = json!({"name": "once now", "dataflowId": flow_id, "frequencyType": "once"}).to_string();
    let res = call(&gigya, "idx.createScheduling", &[("data", &scheduling)]).await;
    let body = res.expect_ok();
    let job_id = body["jobId"].as_str().expect("the job it started").to_owned();
    assert!(
        body.get("nextJobStartTime").is_none(),
        "a once scheduling has run: {body:#}"
    );

    let status = job_status(&gigya, &flow_id).await;
    assert_eq!(status["id"], job_id.as_str());
    assert_eq!(status["status"], "succeeded", "{status:#}");
    assert_eq!(status["processedRecords"], 4);
    assert_eq!(status["totalRecords"], 4);
    assert_eq!(status["dataflowName"], "Export accounts for Auth0");
    assert_eq!(status["startTime"], EPOCH);
    assert_eq!(status["endTime"], EPOCH);

    let list = send(
        &gigya,
        Request::get("/__ferry/files").body(Body::empty()).expect("request"),
    )
    .await;
    let name = "accounts_20260101000000.json";
    assert_eq!(list.body["files"][0]["name"], name, "{:#}", list.body);
    assert_eq!(list.body["files"][0]["jobId"], job_id.as_str());
    let file = send(
        &gigya,
        Request::get(format!("/__ferry/files/{name}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(file.content_type.starts_with("application/json"));
    assert_eq!(list.body["files"][0]["size"], file.text.len());
    let records = file.body.as_array().expect("one JSON array");
    let ids: Vec<&str> = records.iter().filter_map(|r| r["UID"].as_str()).collect();
    assert_eq!(ids, ["a1", "a2", "a3", "a5"]);
    let dade = &records[0];
    assert_eq!(dade["email"], "dade@example.org");
    assert_eq!(dade["data.tier"], "gold");
    assert!(dade.get("data").is_none(), "{dade:#}");
    assert_eq!(
        dade["profile"],
        json!({"firstName": "Dade", "lastName": "Murphy", "age": 18, "locale": "en_US"})
    );
    assert_eq!(dade["password"]["hashSettings"]["algorithm"], "pbkdf2");
    assert_eq!(dade["loginIDs"]["username"], "zerocool");
    assert_eq!(gigya.file(name).map(|b| b.len()), Some(file.text.len()));
    let missing = send(
        &gigya,
        Request::get("/__ferry/files/nope.json")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_scheduling_in_the_future_runs_when_the_clock_gets_there() {
    let gigya = site(SITE);
    let created = call(
        &gigya,
        "idx.createDataflow",
        &[("data", &export_flow("datasource.write.ferry"))],
    )
    .await;
    let flow_id = created.expect_ok()["id"].as_str().expect("an id").to_owned();
    let scheduling =
        json!({"dataflowId": flow_id, "frequencyType": "day", "nextJobStartTime": "2026-01-01 01:00:00"}).to_string();
    let res = call(&gigya, "idx.createScheduling", &[("data", &scheduling)]).await;
    let scheduling_id = res.expect_ok()["id"].as_str().expect("id").to_owned();
    assert!(res.body.get("jobId").is_none());
    let none = call(
        &gigya,
        "idx.search",
        &[("query", "SELECT count(*) FROM idx_job_status")],
    )
    .await;
    assert_eq!(none.expect_ok()["results"], json!([{"count(*)": 0}]));
    gigya.kit().clock.advance(Duration::from_secs(3600));
    let status = job_status(&gigya, &flow_id).await;
    assert_eq!(status["status"], "succeeded", "{status:#}");
    assert_eq!(status["frequencyType"], "day");
    let scheduling = call(&gigya, "idx.getScheduling", &[("id", &scheduling_id)]).await;
    assert_eq!(scheduling.expect_ok()["nextJobStartTime"], "2026-01-02T01:00:00.000Z");
    assert_eq!(scheduling.body["jobId"], status["id"]);
    let files = send(
        &gigya,
        Request::get("/__ferry/files").body(Body::empty()).expect("request"),
    )
    .await;
    assert_eq!(files.body["files"][0]["name"], "accounts_20260101010000.json");
}

#[tokio::test]
async fn a_scheduling_from_the_distant_past_runs_once_and_moves_past_now() {
    let gigya = site(SITE);
    let created = call(
        &gigya,
        "idx.createDataflow",
        &[("data", &export_flow("datasource.write.ferry"))],
    )
    .await;
    let flow_id = created.expect_ok()["id"].as_str().expect("an id").to_owned();
    let scheduling =
        json!({"dataflowId": flow_id, "frequencyType": "minute", "nextJobStartTime": "0001-01-01 00:00:00"})
            .to_string();
    let res = call(&gigya, "idx.createScheduling", &[("data", &scheduling)]).await;
    assert_eq!(res.expect_ok()["nextJobStartTime"], "2026-01-01T00:01:00.000Z");
    let jobs = call(
        &gigya,
        "idx.search",
        &[("query", "SELECT count(*) FROM idx_job_status")],
    )
    .await;
    assert_eq!(
        jobs.expect_ok()["results"],
        json!([{"count(*)": 1}]),
        "missed runs are not caught up"
    );
}

#[tokio::test]
async fn real_writers_fail_the_job_with_a_clear_trace() {
    let gigya = site(SITE);
    let created = call(
        &gigya,
        "idx.createDataflow",
        &[("data", &export_flow("datasource.write.sftp"))],
    )
    .await;
    let flow_id = created.expect_ok()["id"].as_str().expect("an id").to_owned();
    let scheduling = json!({"dataflowId": flow_id, "frequencyType": "once"}).to_string();
    call(&gigya, "idx.createScheduling", &[("data", &scheduling)])
        .await
        .expect_ok();
    let status = job_status(&gigya, &flow_id).await;
    assert_eq!(status["status"], "failed");
    let trace = status["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains("writer not available in the mock; use datasource.write.ferry"),
        "{trace}"
    );
    let files = send(
        &gigya,
        Request::get("/__ferry/files").body(Body::empty()).expect("request"),
    )
    .await;
    assert_eq!(files.body["files"], json!([]));
}

#[tokio::test]
async fn dataflows_and_schedulings_are_validated_and_managed() {
    let gigya = site(SITE);
    let bad = |flow: Value| {
        let gigya = gigya.clone();
        async move { call(&gigya, "idx.createDataflow", &[("data", &flow.to_string())]).await }
    };
    bad(json!({"name": "x", "steps": [{"id": "a", "type": "datasource.read.gigya.account", "next": ["b"]}]}))
        .await
        .assert_error(400_006, "Invalid parameter value", "unknown step 'b'");
    bad(json!({"name": "x", "steps": [{"id": "a", "type": "field.teleport"}]}))
        .await
        .assert_error(
            400_006,
            "Invalid parameter value",
            "unknown component type 'field.teleport'",
        );
    call(&gigya, "idx.createDataflow", &[("data", "not json")])
        .await
        .assert_error(400_006, "Invalid parameter value", "data");
    call(&gigya, "idx.getDataflow", &[("id", "nope")])
        .await
        .assert_error(404_000, "Not found", "nope");

    let created = call(
        &gigya,
        "idx.createDataflow",
        &[("data", &export_flow("datasource.write.ferry"))],
    )
    .await;
    let flow_id = created.expect_ok()["id"].as_str().expect("an id").to_owned();
    let renamed =
        json!({"id": flow_id, "name": "renamed", "steps": [{"id": "only", "type": "datasource.read.gigya.account"}]})
            .to_string();
    call(&gigya, "idx.setDataflow", &[("data", &renamed)]).await.expect_ok();
    let fetched = call(&gigya, "idx.getDataflow", &[("id", &flow_id)]).await;
    assert_eq!(fetched.expect_ok()["name"], "renamed");
    assert!(
        fetched.body.get("description").is_none(),
        "setDataflow replaces the object"
    );
    let listed = call(&gigya, "idx.search", &[("query", "SELECT id, name FROM dataflow")]).await;
    assert_eq!(
        listed.expect_ok()["results"],
        json!([{"id": flow_id, "name": "renamed"}])
    );

    let scheduling = json!({"dataflowId": "nope", "frequencyType": "once"}).to_string();
    call(&gigya, "idx.createScheduling", &[("data", &scheduling)])
        .await
        .assert_error(400_006, "Invalid parameter value", "dataflowId");
    let scheduling = json!({"dataflowId": flow_id, "frequencyType": "fortnight"}).to_string();
    call(&gigya, "idx.createScheduling", &[("data", &scheduling)])
        .await
        .assert_error(400_006, "Invalid parameter value", "frequencyType");
    let later =
        json!({"dataflowId": flow_id, "frequencyType": "once", "nextJobStartTime": "2027-01-01 00:00:00"}).to_string();
    let scheduled = call(&gigya, "idx.createScheduling", &[("data", &later)]).await;
    let scheduling_id = scheduled.expect_ok()["id"].as_str().expect("id").to_owned();
    call(&gigya, "idx.deleteScheduling", &[("id", &scheduling_id)])
        .await
        .expect_ok();
    call(&gigya, "idx.deleteScheduling", &[("id", &scheduling_id)])
        .await
        .assert_error(404_000, "Not found", "");
    call(&gigya, "idx.deleteDataflow", &[("id", &flow_id)])
        .await
        .expect_ok();
    call(&gigya, "idx.search", &[("query", "SELECT * FROM jobs")])
        .await
        .assert_error(400_006, "Invalid parameter value", "unknown table 'jobs'");
}

// ---------------------------------------------------------------------------------------------
// Faults, limits, robustness, seeding, state

#[tokio::test]
async fn injected_faults_answer_with_the_status_and_a_gigya_body() {
    let gigya = site(SITE);
    for (status, code) in [(500, 500_001), (503, 503_001), (504, 504_001), (429, 403_048)] {
        gigya.kit().faults.clear();
        gigya.kit().faults.add(mocks::FaultRule {
            method: None,
            path: "/accounts.search".into(),
            nth: 1,
            times: Some(1),
            fault: mocks::Fault::Status { status },
        });
        let res = search(&gigya, "SELECT * FROM accounts").await;
        assert_eq!(res.status.as_u16(), status);
        assert_eq!(res.code(), code, "{:#}", res.body);
        assert!(res.body["callId"].as_str().is_some_and(|c| c.len() == 32));
        search(&gigya, "SELECT * FROM accounts").await.expect_ok();
    }
}

#[tokio::test]
async fn rate_limits_are_settings() {
    let gigya = site("settings: { rate_limits: { per_minute: 2, same_uid_per_second: 1 } }\n");
    seed(&gigya, SITE);
    call(&gigya, "accounts.getAccountInfo", &[("UID", "a1")])
        .await
        .expect_ok();
    call(&gigya, "accounts.getAccountInfo", &[("UID", "a1")])
        .await
        .assert_error(409_030, "Too many requests for same user", "");
    call(&gigya, "accounts.getAccountInfo", &[("UID", "a2")])
        .await
        .assert_error(403_048, "Api rate limit exceeded", "");
    gigya.kit().clock.advance(Duration::from_secs(60));
    call(&gigya, "accounts.getAccountInfo", &[("UID", "a2")])
        .await
        .expect_ok();
}

#[tokio::test]
async fn malformed_input_never_answers_500() {
    let gigya = site(SITE);
    let methods = [
        "accounts.search",
        "accounts.getAccountInfo",
        "accounts.login",
        "accounts.importFullAccount",
        "accounts.setAccountInfo",
        "accounts.deleteAccount",
        "idx.createDataflow",
        "idx.getDataflow",
        "idx.setDataflow",
        "idx.deleteDataflow",
        "idx.createScheduling",
        "idx.getScheduling",
        "idx.setScheduling",
        "idx.deleteScheduling",
        "idx.search",
    ];
    let garbage: &[&[(&str, &str)]] = &[
        &[],
        &[
            ("UID", ""),
            ("query", "\u{0}\u{1}"),
            ("data", "[]"),
            ("profile", "[1,2]"),
        ],
        &[
            ("UID", "a1"),
            ("profile", "{\"email\": 5}"),
            ("data", "{\"steps\": 7, \"name\": []}"),
            ("include", ",,,"),
        ],
        &[
            ("query", "SELECT * FROM accounts WHERE a = regex('((((((((((')"),
            ("cursorId", "\u{7f}"),
            ("id", "../../etc/passwd"),
        ],
        &[
            ("UID", "x"),
            ("password", "{\"hashedPassword\": {}}"),
            ("loginIDs", "{\"emails\": \"nope\"}"),
            ("isActive", "maybe"),
        ],
        &[
            ("loginID", "a@b"),
            ("password", "p"),
            ("openCursor", "sometimes"),
            ("data", "{\"dataflowId\": 1, \"frequencyType\": 2}"),
        ],
        &[
            ("UID", "a1"),
            ("newPassword", "x"),
            ("created", "yesterday"),
            ("emails", "{\"verified\": [1]}"),
            ("identities", "{}"),
        ],
        &[("query", &"(".repeat(5000)), ("UID", &"x".repeat(100_000))],
        &[
            ("sig", "x"),
            ("timestamp", "-9223372036854775808"),
            ("nonce", "n"),
            ("UID", "a1"),
        ],
        &[
            ("sig", "x"),
            ("timestamp", "9223372036854775807"),
            ("nonce", "n"),
            ("query", "SELECT * FROM accounts"),
        ],
        &[(
            "data",
            "{\"dataflowId\": \"x\", \"frequencyType\": \"minute\", \"frequencyInterval\": 1e300}",
        )],
    ];
    for method in methods {
        for params in garbage {
            let res = call(&gigya, method, params).await;
            assert_eq!(res.status, StatusCode::OK, "{method} {params:?}");
            assert!(
                res.code() != 500_001 && res.code() != -1,
                "{method} {params:?}: {:#}",
                res.body
            );
        }
    }
    let invalid_utf8 = Request::post("/accounts.search")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(vec![0xff, 0xfe, b'=', 0x80]))
        .expect("request");
    assert_eq!(send(&gigya, invalid_utf8).await.code(), 400_002);
}

#[test]
fn seeds_are_checked_all_or_nothing() {
    let gigya = Gigya::new(kit());
    let invalid = |yaml: &str| {
        let seed: GigyaSeed = mocks::kit::seed::parse(yaml, None).expect("parses");
        gigya.seed(seed).expect_err("refused").to_string()
    };
    let err =
        invalid("accounts:\n  - {UID: x1, profile: {email: a@b.c}}\n  - {UID: x2, loginIDs: {emails: [A@b.c]}}\n");
    assert!(
        err.contains("accounts[1]") && err.contains("a@b.c") && err.contains("accounts[0]"),
        "{err}"
    );
    let err = invalid("accounts:\n  - {password: a, password_hash: {compoundHashedPassword: '$2a$'}}\n");
    assert!(err.contains("not both"), "{err}");
    let err = invalid("accounts:\n  - {profile: {email: nope}}\n");
    assert!(err.contains("profile.email"), "{err}");
    let err = invalid("settings: {secret: 'not base64!'}\n");
    assert!(err.contains("Base64"), "{err}");
    let err = invalid("settings: {site_hash: {algorithm: rot13, rounds: 1}}\n");
    assert!(err.contains("site_hash"), "{err}");
    assert_eq!(gigya.state()["account_count"], 0, "nothing was stored");
    let unknown = mocks::kit::seed::parse::<GigyaSeed>("accounts:\n  - {uid: x}\n", None).expect_err("unknown key");
    assert!(unknown.to_string().contains("uid"), "{unknown}");
    // Seeding a UID again replaces the account.
    seed(&gigya, "accounts:\n  - {UID: x, profile: {firstName: One}}\n");
    seed(&gigya, "accounts:\n  - {UID: x, profile: {firstName: Two}}\n");
    assert_eq!(gigya.account("x").expect("seeded")["profile"]["firstName"], "Two");
}

#[tokio::test]
async fn variables_state_and_journal_hold_no_password_material() {
    let gigya = site(SITE);
    let vars: std::collections::BTreeMap<String, String> = gigya.variables().into_iter().collect();
    assert_eq!(vars["api_key"], DEFAULT_API_KEY);
    assert_eq!(vars["user_key"], DEFAULT_USER_KEY);
    assert_eq!(vars["secret"], DEFAULT_SECRET);
    assert_eq!(vars["data_center"], "us1.gigya.com");
    login(&gigya, "dade@example.com", "Hunter2!").await.expect_ok();
    call(
        &gigya,
        "accounts.importFullAccount",
        &[
            ("UID", "j"),
            (
                "password",
                r#"{"hashedPassword":"X03MO1qnZdYdgyfeuILPmQ==","hashSettings":{"algorithm":"md5"}}"#,
            ),
        ],
    )
    .await
    .expect_ok();
    let state = gigya.state().to_string();
    assert!(
        !state.contains("X03MO1qnZdYdgyfeuILPmQ==") && !state.contains(DEFAULT_SECRET),
        "{state}"
    );
    assert!(!state.contains("\"salt\""), "{state}");
    let journal = serde_json::to_string(&gigya.kit().journal.entries()).expect("json");
    assert!(
        !journal.contains("Hunter2")
            && !journal.contains("X03MO1qnZdYdgyfeuILPmQ")
            && !journal.contains(&DEFAULT_SECRET.replace('=', "%3D")),
        "{journal}"
    );
}

#[tokio::test]
async fn identical_seeds_give_identical_answers() {
    let a = site(SITE);
    let b = site(SITE);
    let ra = call(
        &a,
        "accounts.search",
        &[
            ("query", "SELECT * FROM accounts"),
            ("openCursor", "true"),
            ("context", "x"),
        ],
    )
    .await;
    let rb = call(
        &b,
        "accounts.search",
        &[
            ("query", "SELECT * FROM accounts"),
            ("openCursor", "true"),
            ("context", "x"),
        ],
    )
    .await;
    assert_eq!(ra.text, rb.text);
}

#[tokio::test]
async fn another_data_centers_host_is_301001_with_the_right_domain() {
    let gigya = site(SITE);
    let body = form(&[
        ("apiKey", DEFAULT_API_KEY),
        ("userKey", DEFAULT_USER_KEY),
        ("secret", DEFAULT_SECRET),
        ("query", "SELECT UID FROM accounts"),
    ]);
    let to = |host: &str| {
        Request::post("/accounts.search")
            .header("host", host)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body.clone()))
            .expect("request")
    };
    let res = send(&gigya, to("accounts.eu1.gigya.com")).await;
    res.assert_error(301_001, "Invalid data center", "us1.gigya.com");
    assert_eq!(res.body["apiDomain"], "us1.gigya.com");
    assert_eq!(res.body["location"], "https://accounts.us1.gigya.com/accounts.search");
    send(&gigya, to("accounts.us1.gigya.com")).await.expect_ok();
    send(&gigya, to("127.0.0.1:4000")).await.expect_ok();
}
