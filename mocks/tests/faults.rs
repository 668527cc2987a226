//! Every fault kind over real HTTP, against mocks served on loopback: what a client observes when
//! a call is delayed (fixed or random), rate-limited (each provider's own refusal, compared with
//! what its real rate limiter answers), reset, emptied, cut short or dribbled, and that the next
//! call recovers. The fault rules go in through `POST /__ferry/faults`, as a scenario's `fault`
//! step or a test harness would put them.
//!
//! Run with `cargo test -p mocks --test faults`.

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use mocks::auth0::Auth0;
use mocks::gigya::{DEFAULT_API_KEY, DEFAULT_SECRET, DEFAULT_USER_KEY, Gigya, GigyaSeed};
use mocks::okta::{Okta, OktaSeed};
use mocks::stormpath::{Stormpath, StormpathSeed};
use mocks::{Clock, Kit, MockServer, Provider, SeedError};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const EPOCH_SECS: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

/// A provider whose only route answers a fixed JSON document.
#[derive(Clone)]
struct Greeter {
    kit: Kit,
}

fn greeting() -> Value {
    json!({
        "greeting": "hello",
        "items": (0..12).map(|i| json!({ "n": i, "text": "the quick brown fox" })).collect::<Vec<_>>(),
    })
}

impl Provider for Greeter {
    const NAME: &'static str = "greeter";
    type Seed = Value;

    fn kit(&self) -> &Kit {
        &self.kit
    }

    fn routes(&self) -> Router {
        Router::new().route("/hello", get(|| async { Json(greeting()) }))
    }

    fn seed(&self, _seed: Self::Seed) -> Result<Value, SeedError> {
        Ok(Value::Null)
    }

    fn reset(&self) {}

    fn fault_response(&self, status: StatusCode) -> Response {
        (status, Json(json!({ "greeter_error": status.as_u16() }))).into_response()
    }
}

fn kit(seed: u64) -> Kit {
    Kit::deterministic(Clock::manual(Clock::scenario_epoch()), seed)
}

async fn serve<P: Provider>(provider: P) -> MockServer {
    mocks::start(provider, mocks::LOOPBACK_EPHEMERAL)
        .await
        .expect("bind loopback")
}

async fn greeter(seed: u64) -> (Greeter, MockServer) {
    let greeter = Greeter { kit: kit(seed) };
    let server = serve(greeter.clone()).await;
    (greeter, server)
}

/// Installs a rule through the admin API, as a harness would.
async fn add_fault(server: &MockServer, rule: Value) {
    let res = sandbox::net::client_builder()
        .build()
        .expect("an HTTP client")
        .post(format!("{}/__ferry/faults", server.base_url()))
        .json(&rule)
        .send()
        .await
        .expect("POST /__ferry/faults");
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap_or_default());
}

async fn hello(server: &MockServer) -> reqwest::Response {
    sandbox::net::client_builder()
        .build()
        .expect("an HTTP client")
        .get(format!("{}/hello", server.base_url()))
        .send()
        .await
        .expect("GET /hello answers")
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn io_kinds(err: &(dyn std::error::Error + 'static)) -> Vec<ErrorKind> {
    let mut kinds = Vec::new();
    let mut source = Some(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            kinds.push(io.kind());
        }
        source = e.source();
    }
    kinds
}

/// Sends a raw request on a fresh connection and reads until the server closes it.
async fn raw_exchange(server: &MockServer) -> Result<Vec<u8>, std::io::Error> {
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await?;
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection")?;
    Ok(answer)
}

// ---------------------------------------------------------------- kinds, on any provider

#[tokio::test]
async fn the_admin_api_accepts_every_kind_and_refuses_bad_values() {
    let (greeter, server) = greeter(1).await;
    let kinds = [
        json!({ "kind": "delay", "ms": 5 }),
        json!({ "kind": "random_delay", "min_ms": 5, "max_ms": 10 }),
        json!({ "kind": "status", "status": 503 }),
        json!({ "kind": "rate_limited" }),
        json!({ "kind": "drop" }),
        json!({ "kind": "reset" }),
        json!({ "kind": "hang" }),
        json!({ "kind": "empty" }),
        json!({ "kind": "malformed" }),
        json!({ "kind": "dribble", "bytes_per_chunk": 8, "interval_ms": 5 }),
    ];
    for fault in &kinds {
        add_fault(&server, json!({ "path": "/nowhere", "fault": fault })).await;
    }
    let listed: Value = sandbox::net::client_builder()
        .build()
        .expect("an HTTP client")
        .get(format!("{}/__ferry/faults", server.base_url()))
        .send()
        .await
        .expect("GET /__ferry/faults")
        .json()
        .await
        .expect("json");
    let listed: Vec<Value> = listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["fault"].clone())
        .collect();
    assert_eq!(listed, kinds);
    for (bad, why) in [
        (
            json!({ "kind": "random_delay", "min_ms": 10, "max_ms": 5 }),
            "min_ms (10) is greater than max_ms (5)",
        ),
        (
            json!({ "kind": "dribble", "bytes_per_chunk": 0, "interval_ms": 5 }),
            "bytes_per_chunk must be at least 1",
        ),
        (
            json!({ "kind": "delay", "ms": u64::MAX }),
            "delay: ms (18446744073709551615) is more than an hour (3600000); use kind: hang",
        ),
        (
            json!({ "kind": "random_delay", "min_ms": 0, "max_ms": 3_600_001 }),
            "random_delay: max_ms (3600001) is more than an hour",
        ),
        (
            json!({ "kind": "dribble", "bytes_per_chunk": 1, "interval_ms": 86_400_000 }),
            "dribble: interval_ms (86400000) is more than an hour",
        ),
        (json!({ "kind": "random_delay", "min_ms": 1 }), "missing field `max_ms`"),
        (json!({ "kind": "reset", "ms": 1 }), "unknown field `ms`"),
        (json!({ "kind": "slow" }), "unknown variant `slow`"),
    ] {
        let res = sandbox::net::client_builder()
            .build()
            .expect("an HTTP client")
            .post(format!("{}/__ferry/faults", server.base_url()))
            .json(&json!({ "path": "/hello", "fault": bad }))
            .send()
            .await
            .expect("POST");
        assert_eq!(res.status(), 400);
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["error"], "invalid_fault");
        let detail = body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(why), "{detail}");
    }
    assert_eq!(greeter.kit.faults.list().len(), kinds.len());
}

#[tokio::test]
async fn a_random_delay_stays_within_its_bounds_and_repeats_with_the_seed() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let (greeter, server) = greeter(7).await;
        add_fault(
            &server,
            json!({ "path": "/hello", "times": 6, "fault": { "kind": "random_delay", "min_ms": 20, "max_ms": 90 } }),
        )
        .await;
        let mut waits = Vec::new();
        for _ in 0..6 {
            let started = Instant::now();
            let res = hello(&server).await;
            assert_eq!(res.status(), 200);
            assert_eq!(res.json::<Value>().await.expect("json"), greeting());
            let elapsed = started.elapsed();
            let entry = greeter.kit.journal.entries().pop().expect("journaled");
            let described = entry.fault.expect("the fault is journaled");
            let ms: u64 = described
                .strip_prefix("random delay 20-90ms: ")
                .and_then(|rest| rest.strip_suffix("ms"))
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("journal says {described}"));
            assert!((20..=90).contains(&ms), "{ms}");
            assert!(elapsed >= Duration::from_millis(ms), "{elapsed:?} < {ms}ms");
            waits.push(ms);
        }
        assert_eq!(hello(&server).await.status(), 200);
        let seventh = greeter.kit.journal.entries().pop().expect("journaled");
        assert_eq!(seventh.fault, None, "the seventh call is not delayed");
        runs.push(waits);
    }
    assert_eq!(runs[0], runs[1], "the same seed draws the same delays");
    assert!(
        runs[0].iter().any(|&w| w != runs[0][0]),
        "the delays vary: {:?}",
        runs[0]
    );
}

#[tokio::test]
async fn a_reset_connection_is_a_connection_reset_error_and_the_next_call_recovers() {
    let (greeter, server) = greeter(1).await;
    add_fault(
        &server,
        json!({ "path": "/hello", "times": 2, "fault": { "kind": "reset" } }),
    )
    .await;
    // On the socket: RST, so the read fails with ECONNRESET (a dropped connection reads EOF).
    let raw = raw_exchange(&server).await;
    assert_eq!(
        raw.as_ref().map_err(std::io::Error::kind).map(Vec::len),
        Err(ErrorKind::ConnectionReset),
        "{raw:?}"
    );
    // Through an HTTP client: an error whose cause is the reset, no response.
    let err = sandbox::net::client_builder()
        .build()
        .expect("an HTTP client")
        .get(format!("{}/hello", server.base_url()))
        .send()
        .await
        .expect_err("no answer");
    assert!(io_kinds(&err).contains(&ErrorKind::ConnectionReset), "{err:?}");
    let journal = greeter.kit.journal.entries();
    assert_eq!(
        journal
            .iter()
            .map(|e| (e.status, e.fault.as_deref()))
            .collect::<Vec<_>>(),
        [(0, Some("reset connection")), (0, Some("reset connection"))]
    );
    let res = hello(&server).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.expect("json"), greeting());
}

#[tokio::test]
async fn a_dropped_connection_reads_as_an_orderly_close_unlike_a_reset() {
    let (_greeter, server) = greeter(1).await;
    add_fault(
        &server,
        json!({ "path": "/hello", "times": 1, "fault": { "kind": "drop" } }),
    )
    .await;
    let raw = raw_exchange(&server).await.expect("EOF, not an error");
    assert!(raw.is_empty(), "nothing answered: {raw:?}");
}

#[tokio::test]
async fn an_empty_answer_is_200_with_the_content_type_and_no_body() {
    let (greeter, server) = greeter(1).await;
    add_fault(
        &server,
        json!({ "path": "/hello", "times": 1, "fault": { "kind": "empty" } }),
    )
    .await;
    let res = hello(&server).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(res.headers(), "content-type"), "application/json");
    assert_eq!(header(res.headers(), "content-length"), "0");
    assert_eq!(res.bytes().await.expect("body").len(), 0);
    let entry = greeter.kit.journal.entries().pop().expect("journaled");
    assert_eq!((entry.status, entry.fault.as_deref()), (200, Some("empty body")));
    assert_eq!(hello(&server).await.json::<Value>().await.expect("json"), greeting());
}

#[tokio::test]
async fn a_malformed_answer_is_200_with_the_body_cut_in_half() {
    let (greeter, server) = greeter(1).await;
    add_fault(
        &server,
        json!({ "path": "/hello", "times": 1, "fault": { "kind": "malformed" } }),
    )
    .await;
    let res = hello(&server).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(res.headers(), "content-type"), "application/json");
    let body = res.bytes().await.expect("body");
    let whole = serde_json::to_vec(&greeting()).expect("json");
    assert_eq!(
        &body[..],
        &whole[..whole.len() / 2],
        "the first half of the real answer"
    );
    let err = serde_json::from_slice::<Value>(&body).expect_err("not JSON");
    assert!(err.is_eof(), "{err}");
    let entry = greeter.kit.journal.entries().pop().expect("journaled");
    assert_eq!((entry.status, entry.fault.as_deref()), (200, Some("malformed body")));
    assert_eq!(hello(&server).await.json::<Value>().await.expect("json"), greeting());
}

#[tokio::test]
async fn a_dribbled_answer_arrives_whole_but_slowly_in_small_pieces() {
    let (greeter, server) = greeter(1).await;
    add_fault(
        &server,
        json!({ "path": "/hello", "times": 1, "fault": { "kind": "dribble", "bytes_per_chunk": 64, "interval_ms": 25 } }),
    )
    .await;
    let whole = serde_json::to_vec(&greeting()).expect("json");
    let chunks = whole.len().div_ceil(64);
    assert!(chunks >= 5, "a body long enough to dribble: {}", whole.len());
    let started = Instant::now();
    let mut res = hello(&server).await;
    let headers_after = started.elapsed();
    assert_eq!(res.status(), 200);
    assert_eq!(header(res.headers(), "content-type"), "application/json");
    assert_eq!(header(res.headers(), "content-length"), whole.len().to_string());
    let mut body = Vec::new();
    let mut pieces = 0;
    while let Some(piece) = res.chunk().await.expect("the body reads") {
        pieces += 1;
        body.extend_from_slice(&piece);
    }
    let elapsed = started.elapsed();
    assert_eq!(body, whole, "intact");
    assert!(
        elapsed >= Duration::from_millis(25 * chunks as u64),
        "{elapsed:?} for {chunks} chunks"
    );
    assert!(
        headers_after < Duration::from_millis(25 * (chunks as u64 - 1)),
        "the head comes first ({headers_after:?})"
    );
    assert!(pieces >= 2, "read in pieces: {pieces}");
    let entry = greeter.kit.journal.entries().pop().expect("journaled");
    assert_eq!(
        (entry.status, entry.fault.as_deref()),
        (200, Some("dribble 64 bytes every 25ms"))
    );
    assert_eq!(hello(&server).await.json::<Value>().await.expect("json"), greeting());
    let next = greeter.kit.journal.entries().pop().expect("journaled");
    assert_eq!(next.fault, None, "recovered");
}

#[tokio::test]
async fn a_hang_is_cut_by_the_client_time_out_then_clearing_faults_recovers() {
    let (_greeter, server) = greeter(1).await;
    add_fault(&server, json!({ "path": "/hello", "fault": { "kind": "hang" } })).await;
    let client = sandbox::net::client_builder()
        .timeout(Duration::from_millis(150))
        .build()
        .expect("client");
    for _ in 0..2 {
        let err = client
            .get(format!("{}/hello", server.base_url()))
            .send()
            .await
            .expect_err("no answer");
        assert!(err.is_timeout(), "{err:?}");
    }
    let res = sandbox::net::client_builder()
        .build()
        .expect("an HTTP client")
        .delete(format!("{}/__ferry/faults", server.base_url()))
        .send()
        .await
        .expect("DELETE");
    assert_eq!(res.status(), 204);
    assert_eq!(hello(&server).await.status(), 200);
}

#[tokio::test]
async fn rate_limited_defaults_to_the_providers_429() {
    let (_greeter, server) = greeter(1).await;
    add_fault(
        &server,
        json!({ "path": "/hello", "times": 1, "fault": { "kind": "rate_limited" } }),
    )
    .await;
    let res = hello(&server).await;
    assert_eq!(res.status(), 429);
    assert_eq!(
        res.json::<Value>().await.expect("json"),
        json!({ "greeter_error": 429 })
    );
}

// ---------------------------------------------------------------- rate_limited, per provider

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    Answer { status, headers, body }
}

fn without(mut body: Value, fields: &[&str]) -> Value {
    if let Some(object) = body.as_object_mut() {
        for field in fields {
            object.remove(*field);
        }
    }
    body
}

#[tokio::test]
async fn okta_rate_limited_is_the_buckets_429_e0000047_as_the_real_limit_answers_it() {
    let okta = Okta::new(kit(1));
    let seed: OktaSeed = mocks::kit::seed::parse(
        "settings: { rate_limits: { authn_per_minute: 1 } }\nusers:\n  - { login: a@example.com, password: P-ssw0rd-1, profile: { firstName: A, lastName: B } }\n",
        None,
    )
    .expect("seed");
    okta.seed(seed).expect("seeded");
    let server = serve(okta.clone()).await;
    let client = sandbox::net::client_builder().build().expect("an HTTP client");
    let authn = || {
        client
            .post(format!("{}/api/v1/authn", server.base_url()))
            .json(&json!({ "username": "a@example.com", "password": "P-ssw0rd-1" }))
            .send()
    };
    assert_eq!(authn().await.expect("authn").status(), 200);
    let real = answer(authn().await.expect("authn")).await;
    add_fault(
        &server,
        json!({ "method": "POST", "path": "/api/v1/authn", "times": 1, "fault": { "kind": "rate_limited" } }),
    )
    .await;
    let injected = answer(authn().await.expect("authn")).await;
    for answer in [&real, &injected] {
        assert_eq!(answer.status, 429);
        assert_eq!(header(&answer.headers, "content-type"), "application/json");
        assert_eq!(header(&answer.headers, "x-rate-limit-limit"), "1");
        assert_eq!(header(&answer.headers, "x-rate-limit-remaining"), "0");
        assert_eq!(
            header(&answer.headers, "x-rate-limit-reset"),
            (EPOCH_SECS + 60).to_string()
        );
        assert!(header(&answer.headers, "x-okta-request-id").starts_with("req"));
        assert_eq!(
            without(answer.body.clone(), &["errorId"]),
            json!({
                "errorCode": "E0000047",
                "errorSummary": "API call exceeded rate limit due to too many requests.",
                "errorLink": "E0000047",
                "errorCauses": [],
            })
        );
    }
    // The bucket of the route: GET /api/v1/users/{id} is counted in users_get (1000 by default).
    add_fault(
        &server,
        json!({ "path": "/api/v1/users/*", "times": 1, "fault": { "kind": "rate_limited" } }),
    )
    .await;
    let user = answer(
        client
            .get(format!("{}/api/v1/users/a@example.com", server.base_url()))
            .send()
            .await
            .expect("GET user"),
    )
    .await;
    assert_eq!(user.status, 429);
    assert_eq!(header(&user.headers, "x-rate-limit-limit"), "1000");
    assert_eq!(user.body["errorCode"], "E0000047");
    let journal = okta.kit().journal.entries();
    assert_eq!(
        journal.iter().map(|e| e.status).collect::<Vec<_>>(),
        [200, 429, 429, 429]
    );
    assert_eq!(journal[2].fault.as_deref(), Some("rate limited"));
}

#[tokio::test]
async fn auth0_rate_limited_is_each_apis_own_429_with_the_rate_limit_headers() {
    let auth0 = Auth0::new(kit(1));
    let seed = mocks::kit::seed::parse(
        "settings: { rate_limits: { authentication: { burst: 1, per_second: 0.5 }, management: { burst: 2, per_second: 2 } } }\n",
        None,
    )
    .expect("seed");
    auth0.seed(seed).expect("seeded");
    let server = serve(auth0.clone()).await;
    let client = sandbox::net::client_builder().build().expect("an HTTP client");
    let token = || {
        client
            .post(format!("{}/oauth/token", server.base_url()))
            .json(&json!({ "grant_type": "password", "username": "x@example.com", "password": "nope" }))
            .send()
    };
    token().await.expect("first token request");
    let real = answer(token().await.expect("token")).await;
    add_fault(
        &server,
        json!({ "path": "/oauth/token", "times": 1, "fault": { "kind": "rate_limited" } }),
    )
    .await;
    let injected = answer(token().await.expect("token")).await;
    for answer in [&real, &injected] {
        assert_eq!(answer.status, 429);
        assert_eq!(
            answer.body,
            json!({
                "error": "too_many_requests",
                "error_description": "Too many requests. Check the X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset headers.",
            })
        );
        assert_eq!(header(&answer.headers, "x-ratelimit-limit"), "1");
        assert_eq!(header(&answer.headers, "x-ratelimit-remaining"), "0");
        assert_eq!(
            header(&answer.headers, "x-ratelimit-reset"),
            (EPOCH_SECS + 2).to_string()
        );
        assert_eq!(
            header(&answer.headers, "retry-after"),
            "",
            "Auth0 documents no Retry-After"
        );
    }
    // The Management API answers its standard error body.
    add_fault(
        &server,
        json!({ "path": "/api/v2/**", "times": 1, "fault": { "kind": "rate_limited" } }),
    )
    .await;
    let management = answer(
        client
            .get(format!("{}/api/v2/users", server.base_url()))
            .send()
            .await
            .expect("GET users"),
    )
    .await;
    assert_eq!(management.status, 429);
    assert_eq!(
        management.body,
        json!({
            "statusCode": 429,
            "error": "Too Many Requests",
            "message": "Global limit has been reached",
            "errorCode": "too_many_requests",
        })
    );
    assert_eq!(header(&management.headers, "x-ratelimit-limit"), "2");
    assert_eq!(header(&management.headers, "x-ratelimit-remaining"), "0");
    assert_eq!(
        header(&management.headers, "x-ratelimit-reset"),
        (EPOCH_SECS + 1).to_string()
    );
    assert_eq!(header(&management.headers, "retry-after"), "");
}

#[tokio::test]
async fn stormpath_rate_limited_is_its_429_error_resource_without_headers() {
    let stormpath = Stormpath::new(kit(1));
    let seed: StormpathSeed = mocks::kit::seed::parse("settings: { rate_limit_per_second: 1 }\n", None).expect("seed");
    stormpath.seed(seed).expect("seeded");
    let server = serve(stormpath.clone()).await;
    let client = sandbox::net::client_builder().build().expect("an HTTP client");
    let attempt = || {
        client
            .post(format!("{}/v1/applications/nowhere/loginAttempts", server.base_url()))
            .json(&json!({ "type": "basic", "value": "eDp5" }))
            .send()
    };
    attempt().await.expect("first attempt");
    let real = answer(attempt().await.expect("attempt")).await;
    add_fault(
        &server,
        json!({ "method": "POST", "path": "/v1/applications/*/loginAttempts", "times": 1, "fault": { "kind": "rate_limited" } }),
    )
    .await;
    let injected = answer(attempt().await.expect("attempt")).await;
    for answer in [&real, &injected] {
        assert_eq!(answer.status, 429);
        let request_id = header(&answer.headers, "stormpath-request-id");
        assert_eq!(answer.body["requestId"], request_id);
        assert_eq!(
            without(answer.body.clone(), &["requestId"]),
            json!({
                "status": 429,
                "code": 429,
                "message": "Your application is sending too many simultaneous requests.",
                "developerMessage": "Your application is sending too many simultaneous requests.",
                "moreInfo": "mailto:support@stormpath.com",
            })
        );
        assert!(
            answer.headers.keys().all(|name| !name.as_str().contains("rate")),
            "{:?}",
            answer.headers
        );
    }
    assert_eq!(
        header(&real.headers, "content-type"),
        header(&injected.headers, "content-type")
    );
}

#[tokio::test]
async fn gigya_rate_limited_is_403048_in_the_envelope_http_200_unless_asked_for_status_codes() {
    let gigya = Gigya::new(kit(1));
    let seed: GigyaSeed =
        mocks::kit::seed::parse("settings: { rate_limits: { per_minute: 1 } }\n", None).expect("seed");
    gigya.seed(seed).expect("seeded");
    let server = serve(gigya.clone()).await;
    let client = sandbox::net::client_builder().build().expect("an HTTP client");
    let search = |status_codes: &'static str| {
        client
            .post(format!("{}/accounts.search", server.base_url()))
            .form(&[
                ("apiKey", DEFAULT_API_KEY),
                ("userKey", DEFAULT_USER_KEY),
                ("secret", DEFAULT_SECRET),
                ("query", "SELECT * FROM accounts"),
                ("context", "ctx-1"),
                ("httpStatusCodes", status_codes),
            ])
            .send()
    };
    let first = answer(search("false").await.expect("search")).await;
    assert_eq!(first.body["errorCode"], 0);
    let real = answer(search("false").await.expect("search")).await;
    add_fault(
        &server,
        json!({ "path": "/accounts.search", "times": 2, "fault": { "kind": "rate_limited" } }),
    )
    .await;
    let injected = answer(search("false").await.expect("search")).await;
    let with_status = answer(search("true").await.expect("search")).await;
    let expected = json!({
        "context": "ctx-1",
        "errorCode": 403048,
        "errorDetails": "Api rate limit exceeded",
        "errorMessage": "Api rate limit exceeded",
        "apiVersion": 2,
        "statusCode": 403,
        "statusReason": "Forbidden",
        "time": "2026-01-01T00:00:00.000Z",
    });
    for (answer, status) in [(&real, 200), (&injected, 200), (&with_status, 403)] {
        assert_eq!(answer.status, status);
        assert_eq!(
            header(&answer.headers, "content-type"),
            "application/json; charset=utf-8"
        );
        let call_id = answer.body["callId"].as_str().unwrap_or_default();
        assert!(
            call_id.len() == 32 && call_id.chars().all(|c| c.is_ascii_hexdigit()),
            "{call_id}"
        );
        assert_eq!(without(answer.body.clone(), &["callId"]), expected);
    }
}
