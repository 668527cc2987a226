//! The mock Okta against what the real service does by default, entry by entry of FIDELITY.md:
//! every Users API route without a valid API token (missing, malformed, revoked), and every field
//! a User object always carries — its type (string, null or object) and its format — for users
//! that never logged in, logged in, are staged, provisioned, suspended or locked out, in the
//! single-user form and in collections.
//!
//! Run with `cargo test -p mocks --test okta_fields`. The mock runs on a manual clock at
//! 2026-01-01T00:00:00.000Z with ids seeded from 1.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use mocks::okta::{DEFAULT_API_TOKEN, Okta, OktaSeed};
use mocks::{Clock, Kit, Provider};
use serde_json::{Map, Value, json};
use tower::ServiceExt;

const ORG: &str = r#"
settings:
  api_tokens: ["00ferry-okta-api-token", "00soon-revoked-token"]
users:
  - login: dade.murphy@example.com
    id: 00udade0000000000000
    password: "Hunter2!"
    profile: { firstName: Dade, lastName: Murphy }
    created: 2024-01-01T00:00:00.000Z
  - login: kate.libby@example.com
    id: 00ukate0000000000000
    password: "Acid-Burn-1"
    profile: { firstName: Kate, lastName: Libby }
  - login: staged@example.com
    id: 00ustaged00000000000
    status: STAGED
    profile: { firstName: Staged, lastName: User }
  - login: provisioned@example.com
    id: 00uprovisioned000000
    status: PROVISIONED
    profile: { firstName: Provisioned, lastName: User }
  - login: suspended@example.com
    id: 00ususpended00000000
    status: SUSPENDED
    password: "Suspended-1"
    profile: { firstName: Suspended, lastName: User }
  - login: locked@example.com
    id: 00ulocked00000000000
    status: LOCKED_OUT
    password: "Locked-Out-1"
    profile: { firstName: Locked, lastName: Out }
"#;

fn org() -> Okta {
    let okta = Okta::new(Kit::deterministic(Clock::manual(Clock::scenario_epoch()), 1));
    seed(&okta, ORG);
    okta
}

fn seed(okta: &Okta, yaml: &str) {
    let seed: OktaSeed = mocks::kit::seed::parse(yaml, None).expect("test seed parses");
    okta.seed(seed).expect("test seed is valid");
}

#[derive(Debug)]
struct Res {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

async fn send(okta: &Okta, req: Request<Body>) -> Res {
    let res = mocks::app(okta.clone())
        .oneshot(req)
        .await
        .expect("router is infallible");
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    Res {
        status: parts.status,
        headers: parts.headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

fn request(method: &str, path: &str, auth: Option<&str>) -> Request<Body> {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("accept", "application/json");
    if let Some(auth) = auth {
        req = req.header(header::AUTHORIZATION, auth);
    }
    req.body(Body::empty()).expect("request")
}

fn ssws() -> String {
    format!("SSWS {DEFAULT_API_TOKEN}")
}

async fn get(okta: &Okta, path: &str) -> Value {
    let res = send(okta, request("GET", path, Some(&ssws()))).await;
    assert_eq!(res.status, StatusCode::OK, "{path}: {:#}", res.body);
    res.body
}

/// Okta's error envelope with this status, code and summary.
fn assert_error(res: &Res, status: u16, code: &str, summary: &str, what: &str) {
    assert_eq!(res.status.as_u16(), status, "{what}: {:#}", res.body);
    assert_eq!(res.body["errorCode"], code, "{what}");
    assert_eq!(res.body["errorSummary"], summary, "{what}");
    assert_eq!(res.body["errorLink"], code, "{what}");
    assert!(
        res.body["errorId"].as_str().is_some_and(|id| id.starts_with("oae")),
        "{what}"
    );
    assert_eq!(res.body["errorCauses"], json!([]), "{what}");
    assert_eq!(
        res.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()),
        Some("application/json"),
        "{what}"
    );
}

/// Every Users API route a migration touches (reads, the lifecycle, delete).
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/users/dade.murphy@example.com"),
    ("GET", "/api/v1/users/dade.murphy%40example.com"),
    ("GET", "/api/v1/users/00udade0000000000000"),
    ("GET", "/api/v1/users/me"),
    ("GET", "/api/v1/users?limit=2"),
    ("GET", "/api/v1/users?filter=status%20eq%20%22ACTIVE%22"),
    ("GET", "/api/v1/users/nobody@example.com"),
    ("POST", "/api/v1/users/00udade0000000000000/lifecycle/suspend"),
    ("DELETE", "/api/v1/users/00ukate0000000000000"),
];

// ---------------------------------------------------------------------------------------------
// Without a valid token

#[tokio::test]
async fn no_authorization_header_is_403_invalid_session_on_every_route() {
    // FIDELITY: okta/users-auth
    let okta = org();
    for (method, path) in ROUTES {
        let res = send(&okta, request(method, path, None)).await;
        assert_error(&res, 403, "E0000005", "Invalid session", &format!("{method} {path}"));
    }
    // Nothing was changed by the refused calls.
    assert_eq!(get(&okta, "/api/v1/users/dade.murphy").await["status"], "ACTIVE");
    get(&okta, "/api/v1/users/kate.libby").await;
    // The switch answers 401 E0000011 instead.
    seed(&okta, "settings: { missing_token: invalid_token }\n");
    let res = send(&okta, request("GET", ROUTES[0].1, None)).await;
    assert_error(&res, 401, "E0000011", "Invalid token provided", "switch");
}

#[tokio::test]
async fn a_malformed_or_unknown_token_is_401_invalid_token_on_every_route() {
    // FIDELITY: okta/users-auth
    let okta = org();
    let headers = [
        "SSWS",
        "SSWS ",
        "SSWS 00not-a-token",
        "SSWS 00FERRY-OKTA-API-TOKEN",
        "Bearer 00ferry-okta-api-token",
        "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
        "Basic b2t0YTpva3Rh",
        "00ferry-okta-api-token",
        "ssws-00ferry",
    ];
    for auth in headers {
        for (method, path) in ROUTES {
            let res = send(&okta, request(method, path, Some(auth))).await;
            assert_error(
                &res,
                401,
                "E0000011",
                "Invalid token provided",
                &format!("{auth:?} {method} {path}"),
            );
        }
    }
    assert_eq!(get(&okta, "/api/v1/users/dade.murphy").await["status"], "ACTIVE");
}

#[tokio::test]
async fn a_revoked_token_is_401_invalid_token_from_the_next_call_on() {
    // FIDELITY: okta/users-auth
    let okta = org();
    let soon_revoked = "SSWS 00soon-revoked-token";
    let before = send(&okta, request("GET", ROUTES[0].1, Some(soon_revoked))).await;
    assert_eq!(before.status, StatusCode::OK, "{:#}", before.body);
    // Revoked: the org's token list no longer holds it.
    seed(&okta, "settings: { api_tokens: [\"00ferry-okta-api-token\"] }\n");
    for (method, path) in ROUTES {
        let res = send(&okta, request(method, path, Some(soon_revoked))).await;
        assert_error(
            &res,
            401,
            "E0000011",
            "Invalid token provided",
            &format!("{method} {path}"),
        );
    }
    get(&okta, "/api/v1/users/dade.murphy").await;
}

// ---------------------------------------------------------------------------------------------
// User objects, field by field

/// `yyyy-MM-ddTHH:mm:ss.SSSZ`, as every date of the Users API.
fn is_iso_millis(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 24
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'.',
            23 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

fn assert_date(user: &Map<String, Value>, name: &str) {
    let value = user
        .get(name)
        .unwrap_or_else(|| panic!("{name} is always there: {user:#?}"));
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("{name} is a date string: {value}"));
    assert!(is_iso_millis(text), "{name} {text:?} is ISO 8601 with milliseconds");
}

fn assert_date_or_null(user: &Map<String, Value>, name: &str) {
    let value = user
        .get(name)
        .unwrap_or_else(|| panic!("{name} is present, null or a date: {user:#?}"));
    if !value.is_null() {
        assert_date(user, name);
    }
}

/// What every User object carries (okta.md §4.3; the SDK's `User` model), with its type.
fn assert_user_shape(user: &Value, base: &str, full_links: bool) {
    let user = user.as_object().expect("a user is an object");
    let id = user["id"].as_str().expect("id is a string");
    assert!(id.starts_with("00u") && id.len() == 20, "id {id}");
    let status = user["status"].as_str().expect("status is a string");
    assert!(
        [
            "STAGED",
            "PROVISIONED",
            "ACTIVE",
            "RECOVERY",
            "LOCKED_OUT",
            "PASSWORD_EXPIRED",
            "SUSPENDED",
            "DEPROVISIONED"
        ]
        .contains(&status),
        "status {status}"
    );
    assert_date(user, "created");
    assert_date(user, "lastUpdated");
    for name in ["activated", "statusChanged", "lastLogin", "passwordChanged"] {
        assert_date_or_null(user, name);
    }
    assert!(
        user["type"]["id"].as_str().is_some_and(|t| t.starts_with("oty")),
        "type.id"
    );
    let profile = user["profile"].as_object().expect("profile is an object");
    for name in ["login", "email", "firstName", "lastName"] {
        assert!(profile[name].is_string(), "profile.{name} is a string");
    }
    let credentials = user["credentials"].as_object().expect("credentials is an object");
    assert_eq!(credentials["provider"], json!({"type": "OKTA", "name": "OKTA"}));
    if let Some(password) = credentials.get("password") {
        assert_eq!(password, &json!({}), "a password is never shown");
    }
    let links = user["_links"].as_object().expect("_links is an object");
    assert_eq!(
        links["self"],
        json!({"href": format!("{base}/api/v1/users/{id}")}),
        "an absolute self link"
    );
    if full_links {
        assert!(links["schema"]["href"].as_str().is_some_and(|h| h.starts_with(base)));
        assert!(links["type"]["href"].as_str().is_some_and(|h| h.starts_with(base)));
    } else {
        assert_eq!(links.len(), 1, "collections carry only self: {links:#?}");
    }
}

#[tokio::test]
async fn every_kind_of_user_carries_the_always_present_fields() {
    // FIDELITY: okta/user-fields
    let okta = org();
    let base = okta.kit().base_url().to_owned();
    for login in [
        "dade.murphy",
        "kate.libby",
        "staged",
        "provisioned",
        "suspended",
        "locked",
    ] {
        let user = get(&okta, &format!("/api/v1/users/{login}")).await;
        assert_user_shape(&user, &base, true);
    }
    let list = get(&okta, "/api/v1/users").await;
    let list = list.as_array().expect("a list is an array");
    assert_eq!(list.len(), 6);
    for user in list {
        assert_user_shape(user, &base, false);
    }
}

#[tokio::test]
async fn dates_say_what_happened_to_each_kind_of_user() {
    // FIDELITY: okta/user-fields
    let okta = org();
    // Active with a password, never logged in.
    let dade = get(&okta, "/api/v1/users/dade.murphy").await;
    assert_eq!(dade["created"], "2024-01-01T00:00:00.000Z");
    assert_eq!(dade["activated"], "2024-01-01T00:00:00.000Z");
    assert_eq!(dade["lastLogin"], Value::Null, "never logged in: null, not missing");
    assert_eq!(dade["passwordChanged"], "2024-01-01T00:00:00.000Z");
    assert_eq!(dade["credentials"]["password"], json!({}));
    // Staged: never activated, no password, no status change yet.
    let staged = get(&okta, "/api/v1/users/staged").await;
    assert_eq!(staged["activated"], Value::Null);
    assert_eq!(staged["statusChanged"], Value::Null);
    assert_eq!(staged["lastLogin"], Value::Null);
    assert_eq!(staged["passwordChanged"], Value::Null);
    assert!(staged["credentials"].get("password").is_none(), "{staged:#}");
    assert!(staged["_links"]["activate"].is_object());
    // Provisioned: activation started, no password yet.
    let provisioned = get(&okta, "/api/v1/users/provisioned").await;
    assert_eq!(provisioned["passwordChanged"], Value::Null);
    assert!(provisioned["credentials"].get("password").is_none());
    // A login stamps lastLogin with the clock, in milliseconds.
    okta.kit().clock.advance(Duration::from_millis(2_250));
    let res = send(
        &okta,
        Request::post("/api/v1/authn")
            .header("content-type", "application/json")
            .body(Body::from(
                json!({"username": "dade.murphy@example.com", "password": "Hunter2!"}).to_string(),
            ))
            .expect("request"),
    )
    .await;
    assert_eq!(res.body["status"], "SUCCESS", "{:#}", res.body);
    let dade = get(&okta, "/api/v1/users/dade.murphy").await;
    assert_eq!(dade["lastLogin"], "2026-01-01T00:00:02.250Z");
    // The profile shows what is set and leaves the rest out (no nulls for unset attributes).
    assert_eq!(
        dade["profile"],
        json!({"firstName": "Dade", "lastName": "Murphy", "email": "dade.murphy@example.com", "login": "dade.murphy@example.com"})
    );
}
