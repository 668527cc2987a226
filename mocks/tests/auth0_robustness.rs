//! The mock Auth0 under pressure: rate limits (`settings.rate_limits`, buckets of a test's own
//! here; the tiers are in `auth0_limits.rs`) with their headers and 429 bodies on both APIs,
//! refilled as the manual clock moves; injected faults (a 429 carrying
//! the rate-limit headers, 5xx in the Management API shape); the same on a socket, where the
//! headers reach a real HTTP client; and garbage — bodies, headers, query strings and paths
//! thrown at every route — which must never get a 5xx or a panic.
//!
//! Run with `cargo test -p mocks --test auth0_robustness`.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode};
use mocks::auth0::Auth0;
use mocks::{Clock, Fault, FaultRule, Kit, KitOptions};
use serde_json::{Value, json};

use common::auth0::*;

const STOREFRONT: (&str, &str) = ("storefront-client-id", "storefront-secret");

const SEED: &str = r#"
settings: { bcrypt_cost: 4, default_directory: users, script_time_limit: 200ms }
clients:
  - { name: Storefront, client_id: storefront-client-id, client_secret: storefront-secret }
connections:
  - { name: users, id: con_users00000000001 }
  - name: legacy
    id: con_legacy0000000001
    options:
      enabledDatabaseCustomization: true
      import_mode: true
      customScripts:
        login: "function login(email, password, callback) { if (email === 'ok@example.com') return callback(null, { user_id: 'ok', email: email }); callback(new Error('legacy down')); }"
        get_user: "function getUser(email, callback) { callback(null, JSON.parse(email)); }"
  - name: legacy-auth
    id: con_legacyauth000001
    options:
      enabledDatabaseCustomization: true
      customScripts:
        login: "function login(email, password, callback) { callback(null, { user_id: email, email: email }); }"
        create: "function create(user, callback) { throw new Error('no'); }"
        change_password: "function changePassword(email, password, callback) { callback(null, 'odd'); }"
        change_email: "function changeEmail(email, newEmail, verified, callback) { callback(null, { odd: true }); }"
        delete: "function remove(id, callback) { callback(); }"
users:
  - { connection: users, user_id: dade, email: dade.murphy@example.com, password: "Hunter2!" }
"#;

// ---------------------------------------------------------------- rate limits

#[tokio::test]
async fn the_management_api_bucket_answers_429_with_headers_and_refills_on_the_clock() {
    let auth0 = tenant(SEED);
    let token = management_token(&auth0).await;
    seed(
        &auth0,
        "settings: { rate_limits: { management: { burst: 2, per_second: 2 } } }",
    );
    let call = || {
        let (auth0, token) = (auth0.clone(), token.clone());
        async move { send(&auth0, get("/api/v2/users", &token)).await }
    };
    let limits = |res: &Res| {
        (
            res.header("x-ratelimit-limit").to_owned(),
            res.header("x-ratelimit-remaining").to_owned(),
            res.header("x-ratelimit-reset").to_owned(),
        )
    };
    let reset = (EPOCH_SECS + 1).to_string();
    let first = call().await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(limits(&first), ("2".into(), "1".into(), reset.clone()));
    let second = call().await;
    assert_eq!(limits(&second), ("2".into(), "0".into(), reset.clone()));
    assert_eq!(second.header("retry-after"), "");
    let third = call().await;
    third.assert_api(429, "Global limit has been reached", Some("too_many_requests"));
    assert_eq!(limits(&third), ("2".into(), "0".into(), reset.clone()));
    // Auth0 documents the three X-RateLimit-* headers, not Retry-After.
    // FIDELITY: auth0/rate-limits
    assert_eq!(third.header("retry-after"), "");
    // Half a second brings one token back.
    auth0.kit().clock.advance(Duration::from_millis(500));
    let res = call().await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(res.header("x-ratelimit-remaining"), "0");
    call()
        .await
        .assert_api(429, "Global limit has been reached", Some("too_many_requests"));
    // A long pause fills the bucket, never beyond its burst.
    auth0.kit().clock.advance(Duration::from_secs(60));
    let res = call().await;
    assert_eq!(limits(&res), ("2".into(), "1".into(), (EPOCH_SECS + 61).to_string()));
    // The Authentication API is not counted against the Management API.
    let res = login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "Hunter2!").await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("x-ratelimit-limit"), "");
}

const AUTH_LIMITED: &str =
    "Too many requests. Check the X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset headers.";

#[tokio::test]
async fn the_token_endpoint_bucket_answers_429_in_the_oauth_shape() {
    let auth0 = tenant(SEED);
    seed(
        &auth0,
        "settings: { rate_limits: { authentication: { burst: 3, per_second: 0.5 } } }",
    );
    for remaining in ["2", "1", "0"] {
        let res = login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "Hunter2!").await;
        assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
        assert_eq!(res.header("x-ratelimit-limit"), "3");
        assert_eq!(res.header("x-ratelimit-remaining"), remaining);
    }
    // Even a request that would fail anyway is refused first.
    let res = login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "wrong").await;
    res.assert_oauth(429, "too_many_requests", AUTH_LIMITED);
    assert_eq!(res.header("x-ratelimit-remaining"), "0");
    assert_eq!(res.header("x-ratelimit-reset"), (EPOCH_SECS + 2).to_string());
    assert_eq!(res.header("retry-after"), "");
    // Other Authentication API routes have buckets of their own: the token endpoint's, empty,
    // does not refuse a password-change request.
    let res = send(
        &auth0,
        form(
            "/dbconnections/change_password",
            &[("email", "dade.murphy@example.com"), ("connection", "users")],
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("x-ratelimit-limit"), "3");
    assert_eq!(res.header("x-ratelimit-remaining"), "2");
    auth0.kit().clock.advance(Duration::from_secs(2));
    let res = login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "Hunter2!").await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(res.header("x-ratelimit-remaining"), "0");
    // Limits are off again when set to zero.
    seed(
        &auth0,
        "settings: { rate_limits: { authentication: { burst: 0, per_second: 0 } } }",
    );
    let res = login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "Hunter2!").await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("x-ratelimit-limit"), "");
}

#[tokio::test]
async fn change_password_and_userinfo_carry_rate_limit_headers() {
    let auth0 = tenant(SEED);
    seed(
        &auth0,
        "settings: { rate_limits: { authentication: { burst: 10, per_second: 1 } } }",
    );
    let res = send(
        &auth0,
        form(
            "/dbconnections/change_password",
            &[("email", "dade.murphy@example.com"), ("connection", "users")],
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    for name in ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"] {
        assert_ne!(res.header(name), "", "{name} on change_password");
    }
    let token = login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "Hunter2!")
        .await
        .expect_str("access_token");
    let res = send(&auth0, get("/userinfo", &token)).await;
    assert_eq!(res.status, StatusCode::OK);
    for name in ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"] {
        assert_ne!(res.header(name), "", "{name} on userinfo");
    }
}

// ---------------------------------------------------------------- faults

#[tokio::test]
async fn an_injected_429_carries_the_rate_limit_headers() {
    let auth0 = tenant(SEED);
    let token = management_token(&auth0).await;
    auth0.kit().faults.add(FaultRule {
        method: Some("GET".into()),
        path: "/api/v2/users".into(),
        nth: 1,
        times: Some(1),
        fault: Fault::Status { status: 429 },
    });
    let res = send(&auth0, get("/api/v2/users", &token)).await;
    res.assert_api(429, "Global limit has been reached", Some("too_many_requests"));
    assert_eq!(res.header("x-ratelimit-limit"), "1");
    assert_eq!(res.header("x-ratelimit-remaining"), "0");
    assert_eq!(res.header("x-ratelimit-reset"), (EPOCH_SECS + 1).to_string());
    assert_eq!(res.header("retry-after"), "");
    assert_eq!(send(&auth0, get("/api/v2/users", &token)).await.status, StatusCode::OK);
    // With limits configured, the header names the Management API's burst.
    seed(
        &auth0,
        "settings: { rate_limits: { management: { burst: 50, per_second: 50 } } }",
    );
    auth0.kit().faults.add(FaultRule {
        method: None,
        path: "/api/v2/**".into(),
        nth: 1,
        times: Some(1),
        fault: Fault::Status { status: 429 },
    });
    let res = send(&auth0, get("/api/v2/connections", &token)).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.header("x-ratelimit-limit"), "50");
}

#[tokio::test]
async fn injected_server_errors_use_the_management_api_shape_everywhere() {
    let auth0 = tenant(SEED);
    let token = management_token(&auth0).await;
    for (path, status) in [("/oauth/token", 500), ("/api/v2/jobs/*", 503), ("/api/v2/users", 502)] {
        auth0.kit().faults.clear();
        auth0.kit().faults.add(FaultRule {
            method: None,
            path: path.into(),
            nth: 1,
            times: None,
            fault: Fault::Status { status },
        });
        let req = match path {
            "/oauth/token" => form("/oauth/token", &[("grant_type", "client_credentials")]),
            "/api/v2/jobs/*" => get("/api/v2/jobs/job_x", &token),
            _ => get("/api/v2/users", &token),
        };
        let res = send(&auth0, req).await;
        let reason = res.status.canonical_reason().expect("reason").to_owned();
        res.assert_api(status, &reason, None);
        assert_eq!(res.header("retry-after"), "");
    }
    auth0.kit().faults.clear();
    let journal = auth0.kit().journal.find(Some("GET"), Some("/api/v2/jobs/*"));
    assert_eq!(journal[0].fault.as_deref(), Some("status 503"));
    assert_eq!(journal[0].status, 503);
}

// ---------------------------------------------------------------- on a socket

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_wire_the_headers_reach_the_client_and_addresses_key_the_buckets() {
    let auth0 = tenant(SEED);
    seed(
        &auth0,
        "settings: { rate_limits: { management: { burst: 1, per_second: 1 }, authentication: { burst: 1, per_second: 1 } } }",
    );
    let server = mocks::start(auth0.clone(), mocks::LOOPBACK_EPHEMERAL)
        .await
        .expect("bind loopback");
    let base = server.base_url().to_owned();
    let http = sandbox::net::client_builder().build().expect("an HTTP client");
    let (id, secret) = auth0.client_credentials(mocks::auth0::MANAGEMENT_APP).expect("app");
    let audience = format!("{base}/api/v2/");
    let res = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("audience", &audience),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(res.status(), 200);
    let header = |res: &reqwest::Response, name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(header(&res, "x-ratelimit-limit"), "1");
    assert_eq!(header(&res, "date"), "Thu, 01 Jan 2026 00:00:00 GMT");
    let body: Value = res.json().await.expect("json");
    let token = body["access_token"].as_str().expect("token").to_owned();
    // The issuer is the socket's address; the mock's audience is accepted.
    let claims = verified_claims(&auth0, &token).await;
    assert_eq!(claims["iss"], format!("{base}/"));
    assert_eq!(claims["aud"], audience);
    let users = http
        .get(format!("{base}/api/v2/users"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("users");
    assert_eq!(users.status(), 200);
    let limited = http
        .get(format!("{base}/api/v2/users"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("users");
    assert_eq!(limited.status(), 429);
    assert_eq!(header(&limited, "retry-after"), "");
    assert_eq!(header(&limited, "x-ratelimit-reset"), (EPOCH_SECS + 1).to_string());
    assert_eq!(header(&limited, "content-type"), "application/json");
    let body: Value = limited.json().await.expect("json");
    assert_eq!(
        body,
        json!({ "statusCode": 429, "error": "Too Many Requests", "message": "Global limit has been reached", "errorCode": "too_many_requests" })
    );
    // The token endpoint's bucket is per client address: this one is empty now.
    let res = http
        .post(format!("{base}/oauth/token"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token request");
    assert_eq!(res.status(), 429);
    let journal = auth0.kit().journal.find(Some("POST"), Some("/oauth/token"));
    assert_eq!(
        journal[0].body.as_deref().map(|b| b.contains(&secret)),
        Some(false),
        "the journal masks the client secret"
    );
    server.shutdown().await;
}

// ---------------------------------------------------------------- garbage

const ROUTES: &[(&str, &str)] = &[
    ("POST", "/oauth/token"),
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/.well-known/openid-configuration"),
    ("POST", "/dbconnections/change_password"),
    ("POST", "/dbconnections/signup"),
    ("GET", "/lo/reset"),
    ("POST", "/lo/reset"),
    ("GET", "/userinfo"),
    ("GET", "/api/v2/users"),
    ("POST", "/api/v2/users"),
    ("GET", "/api/v2/users/{user}"),
    ("PATCH", "/api/v2/users/{user}"),
    ("DELETE", "/api/v2/users/{user}"),
    ("GET", "/api/v2/users-by-email"),
    ("GET", "/api/v2/connections"),
    ("POST", "/api/v2/connections"),
    ("GET", "/api/v2/connections/{connection}"),
    ("PATCH", "/api/v2/connections/{connection}"),
    ("DELETE", "/api/v2/connections/{connection}"),
    ("GET", "/api/v2/connections/{connection}/clients"),
    ("PATCH", "/api/v2/connections/{connection}/clients"),
    ("DELETE", "/api/v2/connections/{connection}/users"),
    ("GET", "/api/v2/clients"),
    ("POST", "/api/v2/clients"),
    ("GET", "/api/v2/clients/storefront-client-id"),
    ("PATCH", "/api/v2/clients/storefront-client-id"),
    ("GET", "/api/v2/clients/%ff"),
    ("GET", "/mfa/authenticators"),
    ("POST", "/api/v2/jobs/users-imports"),
    ("GET", "/api/v2/jobs/{job}"),
    ("GET", "/api/v2/jobs/{job}/errors"),
    ("GET", "/api/v2/logs"),
    ("PUT", "/api/v2/users"),
    ("GET", "/nowhere"),
];

/// Path parameters: real ones, so that handlers get past their lookups, and odd ones.
const USER_IDS: &[&str] = &[
    "auth0%7Cdade",
    "auth0%7Clegacy-auth-user",
    "%ff%fe",
    "..%2F..%2Fetc",
    "%00",
    "x",
];
const CONNECTION_IDS: &[&str] = &["con_users00000000001", "con_legacyauth000001", "%ff", "con_", "%2F"];
const JOB_IDS: &[&str] = &["job_AAAAAAAAAAAAAAAA", "%ff", "job_", "%E2%80%AE"];

const QUERIES: &[&str] = &[
    "",
    "?page=-1&per_page=1e9&include_totals=maybe&fields=&sort=:&include_fields=&primary_order=x",
    "?q=((((((((((((((((((((&search_engine=v3",
    "?q=%22%5C&email=%ZZ&ticket=%00",
    "?page=1&page=2&email=a&email=b",
    "?%ff=%fe&q=_exists_%3A&sort=a%3A1%3A1",
    "?q=logins_count%3A%5B*%20TO%20*%5D%20AND%20NOT%20NOT%20-x&per_page=100&page=9&email=dade.murphy%40example.com",
];

/// Large bodies, sent with a valid token only (the kit refuses bodies over 8 MB itself).
fn big_bodies() -> Vec<(&'static str, Vec<u8>)> {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_object = format!("{}{}", "{\"a\":".repeat(50_000), "}".repeat(50_000));
    vec![
        ("application/json", deep.into_bytes()),
        ("application/json", deep_object.into_bytes()),
        ("application/json", vec![b'a'; 600_000]),
        ("application/x-www-form-urlencoded", "a=b&".repeat(150_000).into_bytes()),
    ]
}

fn bodies() -> Vec<(&'static str, Vec<u8>)> {
    let kitchen_sink_wrong = json!({
        "grant_type": ["password"], "client_id": {}, "client_secret": 7, "username": 1, "password": null,
        "realm": [], "audience": {}, "scope": 3, "email": true, "connection": 12, "user_metadata": "x",
        "app_metadata": [1], "options": 5, "name": { "a": 1 }, "strategy": [], "enabled_clients": "x",
        "realms": [1], "blocked": "yes", "ticket": 1, "newPassword": [], "user_id": {}, "username_": 1,
        "email_verified": "no", "given_name": 5, "picture": false, "connection_id": 1, "users": 2,
        "display_name": [], "metadata": 3, "is_domain_connection": "x", "status": "on", "nickname": null,
    });
    let kitchen_sink_plausible = json!({
        "grant_type": "password", "client_id": STOREFRONT.0, "client_secret": STOREFRONT.1,
        "username": "{\"user_id\": 1}", "password": "Hunter2!", "realm": "legacy", "scope": "openid profile email",
        "email": "{\"user_id\":\"x\",\"email\":\"x@example.com\"}", "connection": "legacy-auth",
        "user_metadata": { "a": { "b": null } }, "app_metadata": { "c": null }, "name": "n", "strategy": "auth0",
        "options": { "customScripts": { "login": "function (" } }, "enabled_clients": [STOREFRONT.0],
        "realms": ["r"], "ticket": "t", "newPassword": "New-Pass-2026!", "confirmNewPassword": "New-Pass-2026!",
        "password_": "x", "blocked": true, "email_verified": true, "verify_email": false,
    });
    let mut invalid_utf8 = b"{\"email\":\"".to_vec();
    invalid_utf8.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
    invalid_utf8.extend_from_slice(b"\"}");
    vec![
        ("none", vec![]),
        ("application/json", b"{".to_vec()),
        ("application/json", b"[]".to_vec()),
        ("application/json", b"null".to_vec()),
        ("application/json", b"\"text\"".to_vec()),
        ("application/json", b"{\"a\":1e999999}".to_vec()),
        ("application/json", invalid_utf8.clone()),
        ("application/json", kitchen_sink_wrong.to_string().into_bytes()),
        ("application/json", kitchen_sink_plausible.to_string().into_bytes()),
        (
            "application/json; charset=utf-16",
            kitchen_sink_plausible.to_string().into_bytes(),
        ),
        (
            "application/x-www-form-urlencoded",
            b"a=%ZZ&&=&b&grant_type=password&username=%00&password=%ff&client_id=storefront-client-id&realm=legacy"
                .to_vec(),
        ),
        ("application/x-www-form-urlencoded", invalid_utf8),
        (
            "multipart/form-data; boundary=x",
            b"--x\r\nContent-Disposition: form-data; name=\"users\"\r\n\r\n[]\r\n--x".to_vec(),
        ),
        ("multipart/form-data", b"--x--".to_vec()),
        ("text/plain", b"grant_type=client_credentials".to_vec()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_at_every_route_never_gets_a_5xx_or_a_panic() {
    // A short journal: tens of thousands of requests go through this tenant.
    let auth0 = Auth0::new(Kit::new(KitOptions {
        clock: Clock::manual(Clock::scenario_epoch()),
        seed: Some(1),
        journal_capacity: 100,
    }));
    // The rate limits lifted, so that the garbage reaches the handlers.
    seed(&auth0, "settings: { rate_limits: off }");
    seed(&auth0, SEED);
    let valid = management_token(&auth0).await;
    // A user of the legacy-authentication connection, so that its scripts run on PATCH/DELETE.
    let res = login(&auth0, STOREFRONT, "legacy-auth", "legacy-auth-user", "x").await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    let authorizations = [
        None,
        Some("Bearer x.y.z".to_owned()),
        Some("Basic !!!".to_owned()),
        Some(basic("storefront-client-id", "")),
        Some(format!("Bearer {valid}")),
    ];
    let app = mocks::app(auth0.clone());
    let bodies = bodies();
    let big_bodies = big_bodies();
    let valid_header = format!("Bearer {valid}");
    let mut server_errors = vec![];
    let mut not_json = vec![];
    let mut requests = 0;
    for (method, template) in ROUTES {
        let paths: Vec<String> = if template.contains("{user}") {
            USER_IDS.iter().map(|id| template.replace("{user}", id)).collect()
        } else if template.contains("{connection}") {
            CONNECTION_IDS
                .iter()
                .map(|id| template.replace("{connection}", id))
                .collect()
        } else if template.contains("{job}") {
            JOB_IDS.iter().map(|id| template.replace("{job}", id)).collect()
        } else {
            vec![(*template).to_owned()]
        };
        for path in &paths {
            for (q, query) in QUERIES.iter().enumerate() {
                for authorization in &authorizations {
                    // Bad credentials stop at the token check: two queries are enough for them.
                    if authorization.as_deref() != Some(&valid_header) && q > 1 {
                        continue;
                    }
                    let big = if query.is_empty() && authorization.as_deref() == Some(&valid_header) {
                        big_bodies.as_slice()
                    } else {
                        &[]
                    };
                    for (content_type, body) in bodies.iter().chain(big) {
                        let mut req = Request::builder()
                            .method(Method::from_bytes(method.as_bytes()).expect("method"))
                            .uri(format!("{path}{query}"))
                            .header(
                                "auth0-forwarded-for",
                                HeaderValue::from_bytes(b"not an address, \xff").expect("obs-text"),
                            );
                        if *content_type != "none" {
                            req = req.header("content-type", *content_type);
                        }
                        if let Some(authorization) = authorization {
                            req = req.header("authorization", authorization);
                        }
                        let req = req.body(Body::from(body.clone())).expect("request");
                        let res = send_to(app.clone(), req).await;
                        requests += 1;
                        // Management API errors are JSON in Auth0's shape, odd URLs included.
                        if path.starts_with("/api/v2/")
                            && res.status.is_client_error()
                            && res.status != StatusCode::METHOD_NOT_ALLOWED
                            && (res.header("content-type") != "application/json"
                                || res.body.get("statusCode").is_none())
                        {
                            not_json.push(format!("{method} {path}{query} -> {} {}", res.status, res.text));
                        }
                        if res.status.is_server_error() {
                            server_errors.push(format!(
                                "{method} {path}{query} [{content_type}, {} bytes, auth {:?}] -> {} {}",
                                body.len(),
                                authorization.as_deref().map(|a| &a[..a.len().min(12)]),
                                res.status,
                                &res.text[..res.text.len().min(200)]
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(requests > 15_000, "{requests}");
    assert!(
        server_errors.is_empty(),
        "{} of {requests} requests got a 5xx:\n{}",
        server_errors.len(),
        server_errors.join("\n")
    );
    assert!(
        not_json.is_empty(),
        "{} Management API errors not in its shape:\n{}",
        not_json.len(),
        not_json[..not_json.len().min(20)].join("\n")
    );
    // The tenant still answers (the garbage deleted some of its connections and users).
    let token = management_token(&auth0).await;
    assert_eq!(send(&auth0, get("/api/v2/users", &token)).await.status, StatusCode::OK);
}

// ---------------------------------------------------------------- the size of what is kept

/// A login script that logs a 900 KB line and throws a 30 MB message, at every login: the
/// answer's `error_description`, the tenant log event and the script record each keep at most
/// `KEPT_TEXT_LIMIT` bytes of every string (plus the marker naming the full size), so ten such
/// logins cannot grow the tenant by hundreds of megabytes, nor reading its logs return them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_30_mb_error_message_is_kept_capped_with_a_marker_everywhere() {
    use mocks::auth0::{KEPT_MARKER_ROOM, KEPT_TEXT_LIMIT};

    let auth0 = tenant(SEED);
    seed(
        &auth0,
        r#"
settings: { script_time_limit: 5s }
connections:
  - name: hog
    options:
      enabledDatabaseCustomization: true
      import_mode: true
      customScripts:
        login: "function login(email, password, callback) { console.log('y'.repeat(900000)); throw new Error('x'.repeat(30 * 1024 * 1024)); }"
"#,
    );
    let marker = format!("… [truncated: {} bytes in all]", 30 * 1024 * 1024);
    let bound = KEPT_TEXT_LIMIT + KEPT_MARKER_ROOM;
    let logins = 3;
    for i in 0..logins {
        let res = login(&auth0, STOREFRONT, "hog", &format!("hog{i}@example.com"), "pw-123456").await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert_eq!(res.body["error"], json!("access_denied"));
        let description = res.expect_str("error_description");
        assert!(description.len() <= bound, "{} bytes", description.len());
        assert!(
            description.starts_with("xxxx") && description.ends_with(&marker),
            "{}",
            &description[description.len() - 60..]
        );
    }

    let token = management_token(&auth0).await;
    let logs = send(&auth0, get("/api/v2/logs?q=type:f&per_page=100", &token)).await;
    assert_eq!(logs.status, StatusCode::OK);
    let events = logs.body.as_array().expect("a list of events");
    assert_eq!(events.len(), logins);
    for event in events {
        let description = event["description"].as_str().expect("a description");
        assert!(description.len() <= bound && description.ends_with(&marker));
    }
    assert!(
        logs.text.len() < logins * (bound + 1024),
        "the logs read {} bytes",
        logs.text.len()
    );

    let scripts = send(
        &auth0,
        Request::builder()
            .uri("/__ferry/scripts")
            .body(Body::empty())
            .expect("a request"),
    )
    .await;
    let records = scripts.body.as_array().expect("script records");
    assert_eq!(records.len(), logins);
    for record in records {
        assert_eq!(record["outcome"], json!("threw"));
        let message = record["detail"]["message"].as_str().expect("the exception's message");
        assert!(message.len() <= bound && message.ends_with(&marker));
        let line = record["console"][0]["text"].as_str().expect("the console line");
        assert!(line.len() <= bound && line.ends_with("… [truncated: 900000 bytes in all]"));
    }
    // each record: the console line, the message and the stack, each capped
    assert!(
        scripts.text.len() < logins * 4 * bound,
        "the records read {} bytes",
        scripts.text.len()
    );
}
