//! The mock Gigya against what the real service does by default, entry by entry of FIDELITY.md:
//! which calls return password hashes and with which key, short cursor batches and the cursor's
//! lifetime, and every field an account always carries — its type and its format — for site
//! accounts that never logged in, that logged in, that were imported, that are unverified or not
//! registered, in getAccountInfo and in search results alike.
//!
//! Run with `cargo test -p mocks --test gigya_fields`. The mock runs on a manual clock at
//! 2026-01-01T00:00:00.000Z with ids seeded from 1.

use std::collections::BTreeSet;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use mocks::gigya::{DEFAULT_API_KEY, DEFAULT_SECRET, DEFAULT_USER_KEY, Gigya, GigyaSeed};
use mocks::{Clock, Kit, Provider};
use serde_json::{Map, Value, json};
use tower::ServiceExt;

const SITE: &str = r#"
accounts:
  - UID: "site1"
    profile: { email: dade@example.com, firstName: Dade }
    password: "Hunter2!"
    created: 2024-01-01T00:00:00.000Z
  - UID: "site2"
    profile: { email: kate@example.com, firstName: Kate }
    password: "Acid-Burn-1"
    created: 2024-02-01T00:00:00.000Z
    lastLogin: 2025-06-01T12:30:00.250Z
  - UID: "unverified1"
    profile: { email: joey@example.com }
    isVerified: false
    password: "Joey-1234"
    created: 2024-03-01T00:00:00.000Z
  - UID: "unregistered1"
    profile: { email: emmanuel@example.com }
    isRegistered: false
    password: "Cereal-Killer"
    created: 2024-04-01T00:00:00.000Z
"#;

fn site(yaml: &str) -> Gigya {
    let gigya = Gigya::new(Kit::deterministic(Clock::manual(Clock::scenario_epoch()), 1));
    seed(&gigya, yaml);
    gigya
}

fn seed(gigya: &Gigya, yaml: &str) {
    let seed: GigyaSeed = mocks::kit::seed::parse(yaml, None).expect("test seed parses");
    gigya.seed(seed).expect("test seed is valid");
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// The answer's body, after checking HTTP 200 (Gigya's default for errors too).
async fn bare(gigya: &Gigya, method: &str, params: &[(&str, &str)]) -> Value {
    let req = Request::post(format!("/{method}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form(params)))
        .expect("request");
    let res = mocks::app(gigya.clone())
        .oneshot(req)
        .await
        .expect("router is infallible");
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    serde_json::from_slice(&bytes).expect("JSON body")
}

/// A call with the application key and its secret.
async fn call(gigya: &Gigya, method: &str, params: &[(&str, &str)]) -> Value {
    let mut all = vec![
        ("apiKey", DEFAULT_API_KEY),
        ("userKey", DEFAULT_USER_KEY),
        ("secret", DEFAULT_SECRET),
    ];
    all.extend_from_slice(params);
    bare(gigya, method, &all).await
}

fn ok(body: &Value) -> &Value {
    assert_eq!(body["errorCode"], 0, "{body:#}");
    body
}

async fn search(gigya: &Gigya, query: &str) -> Vec<Value> {
    let body = call(gigya, "accounts.search", &[("query", query)]).await;
    ok(&body)["results"].as_array().cloned().expect("results")
}

async fn info(gigya: &Gigya, uid: &str, include: &str) -> Value {
    let body = call(gigya, "accounts.getAccountInfo", &[("UID", uid), ("include", include)]).await;
    ok(&body).clone()
}

// ---------------------------------------------------------------------------------------------
// Password hashes: which call returns them, with which key

#[tokio::test]
async fn search_returns_no_password_hashes_by_default() {
    // FIDELITY: gigya/search-password
    let gigya = site(SITE);
    for query in [
        "SELECT * FROM accounts",
        "SELECT UID, password FROM accounts",
        "SELECT UID, password.hash, password.hashSettings FROM accounts",
    ] {
        for account in search(&gigya, query).await {
            assert!(account.get("password").is_none(), "{query}: {account:#}");
        }
    }
    // A cursor walk is no different.
    let body = call(
        &gigya,
        "accounts.search",
        &[("query", "SELECT * FROM accounts LIMIT 2"), ("openCursor", "true")],
    )
    .await;
    for account in ok(&body)["results"].as_array().expect("results") {
        assert!(account.get("password").is_none(), "{account:#}");
    }
    // The lenient switch returns them when `*` or `password` is selected.
    seed(&gigya, "settings: { search_returns_password: true }\n");
    let found = search(&gigya, "SELECT UID, password FROM accounts WHERE UID = 'site1'").await;
    assert!(found[0]["password"]["hash"].is_string(), "{found:#?}");
    assert_eq!(found[0]["password"]["hashSettings"]["algorithm"], "pbkdf2");
}

#[tokio::test]
async fn get_account_info_returns_hashes_only_when_password_is_included() {
    // FIDELITY: gigya/getaccountinfo-password-include
    let gigya = site(SITE);
    for include in [None, Some("profile,data"), Some("profile,loginIDs,emails")] {
        let mut params = vec![("UID", "site1")];
        if let Some(include) = include {
            params.push(("include", include));
        }
        let body = call(&gigya, "accounts.getAccountInfo", &params).await;
        let password = ok(&body)["password"]
            .as_object()
            .expect("password.created is always there");
        assert_eq!(
            password.keys().collect::<Vec<_>>(),
            ["created"],
            "include {include:?}: {body:#}"
        );
    }
    let body = info(&gigya, "site1", "password").await;
    assert!(body["password"]["hash"].as_str().is_some_and(|h| !h.is_empty()));
    assert_eq!(
        body["password"]["hashSettings"],
        json!({"algorithm": "pbkdf2", "rounds": 3000, "salt": body["password"]["hashSettings"]["salt"]})
    );
    assert!(
        body.get("profile").is_none(),
        "include given without profile: no profile"
    );
}

#[tokio::test]
async fn a_key_without_the_permission_cannot_read_hashes() {
    // FIDELITY: gigya/password-permission
    let gigya = site(&format!(
        "settings: {{ user_key_reads_password_hashes: false, search_returns_password: true, partner_secret_allowed: true }}\n{SITE}"
    ));
    let body = call(
        &gigya,
        "accounts.getAccountInfo",
        &[("UID", "site1"), ("include", "profile,password")],
    )
    .await;
    assert_eq!(body["errorCode"], 403_007, "{body:#}");
    assert_eq!(body["errorMessage"], "Permission denied");
    assert!(
        body["errorDetails"]
            .as_str()
            .is_some_and(|d| d.contains("include=password")),
        "{body:#}"
    );
    // Without asking for hashes the same key reads the account.
    ok(&call(
        &gigya,
        "accounts.getAccountInfo",
        &[("UID", "site1"), ("include", "profile")],
    )
    .await);
    // Search leaves them out for this key even when the site returns them.
    for account in search(&gigya, "SELECT * FROM accounts").await {
        assert!(account.get("password").is_none(), "{account:#}");
    }
    // The partner secret has every permission.
    let body = bare(
        &gigya,
        "accounts.getAccountInfo",
        &[
            ("apiKey", DEFAULT_API_KEY),
            ("secret", DEFAULT_SECRET),
            ("UID", "site1"),
            ("include", "password"),
        ],
    )
    .await;
    assert!(ok(&body)["password"]["hash"].is_string(), "{body:#}");
}

// ---------------------------------------------------------------------------------------------
// Cursors: short batches and lifetime

fn many(n: usize) -> String {
    let mut yaml = String::from("accounts:\n");
    for i in 0..n {
        yaml.push_str(&format!(
            "  - {{UID: u{i:03}, profile: {{email: user{i}@example.com}}}}\n"
        ));
    }
    yaml
}

/// Walks a cursor to its end; the UIDs of each batch.
async fn walk(gigya: &Gigya, query: &str) -> Vec<Vec<String>> {
    let mut batches = Vec::new();
    let mut body = call(gigya, "accounts.search", &[("query", query), ("openCursor", "true")]).await;
    loop {
        let results = ok(&body)["results"].as_array().expect("results");
        assert_eq!(body["objectsCount"], results.len(), "{body:#}");
        batches.push(
            results
                .iter()
                .map(|r| r["UID"].as_str().expect("UID").to_owned())
                .collect(),
        );
        let Some(next) = body["nextCursorId"].as_str().map(str::to_owned) else {
            break;
        };
        assert!(batches.len() < 100, "the walk does not end");
        body = call(gigya, "accounts.search", &[("cursorId", &next)]).await;
    }
    batches
}

#[tokio::test]
async fn cursor_batches_are_not_always_full_but_the_walk_is_complete_and_repeatable() {
    // FIDELITY: gigya/search-short-batches
    let gigya = site(&many(40));
    for query in [
        "SELECT UID FROM accounts LIMIT 4",
        "SELECT UID FROM accounts ORDER BY profile.email DESC LIMIT 4",
    ] {
        let batches = walk(&gigya, query).await;
        let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
        let (last, before) = sizes.split_last().expect("batches");
        assert!(
            before.iter().all(|&n| (2..=4).contains(&n)),
            "{query}: every batch but the last holds half of LIMIT or more: {sizes:?}"
        );
        assert!(*last <= 4, "{query}: {sizes:?}");
        assert!(before.iter().any(|&n| n < 4), "{query}: some batch is short: {sizes:?}");
        let all: Vec<&String> = batches.iter().flatten().collect();
        let distinct: BTreeSet<&String> = all.iter().copied().collect();
        assert_eq!(all.len(), 40, "{query}: every account once: {sizes:?}");
        assert_eq!(distinct.len(), 40, "{query}: no account twice");
        // The same walk gives the same batches.
        assert_eq!(walk(&gigya, query).await, batches, "{query}");
    }
    // A LIMIT of 1 cannot be shorter; without openCursor LIMIT is exact.
    assert!(
        walk(&gigya, "SELECT UID FROM accounts LIMIT 1")
            .await
            .iter()
            .all(|b| b.len() == 1)
    );
    assert_eq!(search(&gigya, "SELECT UID FROM accounts LIMIT 7").await.len(), 7);
    // The switch gives full batches.
    seed(&gigya, "settings: { short_cursor_batches: false }\n");
    let sizes: Vec<usize> = walk(&gigya, "SELECT UID FROM accounts LIMIT 4")
        .await
        .iter()
        .map(Vec::len)
        .collect();
    assert_eq!(sizes, vec![4; 10]);
}

#[tokio::test]
async fn a_short_batch_resent_is_the_same_batch() {
    // FIDELITY: gigya/search-short-batches, gigya/search-cursor-retry
    let gigya = site(&many(40));
    let first = call(
        &gigya,
        "accounts.search",
        &[("query", "SELECT UID FROM accounts LIMIT 10"), ("openCursor", "true")],
    )
    .await;
    let next = ok(&first)["nextCursorId"].as_str().expect("more").to_owned();
    let once = call(&gigya, "accounts.search", &[("cursorId", &next)]).await;
    let twice = call(&gigya, "accounts.search", &[("cursorId", &next)]).await;
    assert_eq!(ok(&once)["results"], ok(&twice)["results"]);
    assert_eq!(once["objectsCount"], twice["objectsCount"]);
}

#[tokio::test]
async fn a_cursor_lives_300_seconds_between_calls() {
    // FIDELITY: gigya/search-cursor-ttl
    assert_eq!(mocks::gigya::CURSOR_TTL_SECS, 300);
    let gigya = site(&many(40));
    let first = call(
        &gigya,
        "accounts.search",
        &[("query", "SELECT UID FROM accounts LIMIT 10"), ("openCursor", "true")],
    )
    .await;
    let mut next = ok(&first)["nextCursorId"].as_str().expect("more").to_owned();
    // Each call hands out a new cursor with its own 300 s: a slow walk that keeps going lives on.
    for _ in 0..2 {
        gigya.kit().clock.advance(Duration::from_secs(300));
        let page = call(&gigya, "accounts.search", &[("cursorId", &next)]).await;
        next = ok(&page)["nextCursorId"].as_str().expect("more").to_owned();
    }
    gigya.kit().clock.advance(Duration::from_secs(301));
    let late = call(&gigya, "accounts.search", &[("cursorId", &next)]).await;
    assert_eq!(late["errorCode"], 400_006, "{late:#}");
    assert!(late["errorDetails"].as_str().is_some_and(|d| d.contains("cursorId")));
}

// ---------------------------------------------------------------------------------------------
// Account fields, field by field

/// `yyyy-MM-ddTHH:mm:ss.SSSZ`.
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

fn millis_of(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .expect("ISO 8601")
        .timestamp_millis()
}

/// A date pair: `name` an ISO 8601 string with milliseconds, `nameTimestamp` the same instant
/// as a whole number of milliseconds.
fn assert_time_pair(account: &Map<String, Value>, name: &str) {
    let text = account[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} is a string: {account:#?}"));
    assert!(is_iso_millis(text), "{name} {text:?} is ISO 8601 with milliseconds");
    let stamp = &account[&format!("{name}Timestamp")];
    assert!(stamp.is_i64(), "{name}Timestamp is an integer: {stamp}");
    assert_eq!(
        stamp.as_i64(),
        Some(millis_of(text)),
        "{name} and {name}Timestamp agree"
    );
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

/// What every account carries whatever `include` says (gigya.md §4), with its type and format.
fn assert_always_present(account: &Value, uid: &str) {
    let account = account.as_object().expect("an account is an object");
    assert_eq!(account["UID"], uid);
    for name in ["created", "lastUpdated", "oldestDataUpdated"] {
        assert_time_pair(account, name);
    }
    for name in ["isActive", "isRegistered", "isVerified"] {
        assert!(account[name].is_boolean(), "{name} is a boolean: {account:#?}");
    }
    let last_login = account["lastLogin"].as_str().expect("lastLogin is always there");
    if last_login == "0001-01-01T00:00:00Z" {
        assert_eq!(account["lastLoginTimestamp"], 0, "never logged in");
    } else {
        assert_time_pair(account, "lastLogin");
    }
    for (flag, time) in [("isRegistered", "registered"), ("isVerified", "verified")] {
        if account[flag] == true {
            assert_time_pair(account, time);
        } else {
            assert!(
                !account.contains_key(time) && !account.contains_key(&format!("{time}Timestamp")),
                "{time} only once {flag}: {account:#?}"
            );
        }
    }
    assert_eq!(account["socialProviders"], "site");
    assert_eq!(account["loginProvider"], "site");
    assert_no_nulls(&Value::Object(account.clone()), uid);
}

#[tokio::test]
async fn every_kind_of_account_carries_the_always_present_fields() {
    // FIDELITY: gigya/account-fields
    let gigya = site(SITE);
    // Imported through the API, never logged in, with a hash in another algorithm.
    let imported = call(
        &gigya,
        "accounts.importFullAccount",
        &[
            ("UID", "imported1"),
            ("profile", r#"{"email":"paul@example.com"}"#),
            ("loginIDs", r#"{"emails":["paul@example.com"]}"#),
            ("created", "2023-07-01T08:00:00Z"),
            (
                "password",
                r#"{"hashedPassword":"W6ph5Mm5Pz8GgiULbPgzG37mj9g=","hashSettings":{"algorithm":"sha1"}}"#,
            ),
        ],
    )
    .await;
    ok(&imported);
    for uid in ["site1", "site2", "unverified1", "unregistered1", "imported1"] {
        let body = info(&gigya, uid, "profile,data,loginIDs,emails").await;
        assert_always_present(&body, uid);
        let created = body["password"]["created"].as_str().expect("password.created");
        assert!(is_iso_millis(created), "password.created {created:?}");
    }
    // Search results carry the same always-present fields.
    for account in search(&gigya, "SELECT * FROM accounts").await {
        let uid = account["UID"].as_str().expect("UID").to_owned();
        assert_always_present(&account, &uid);
    }
    // Never logged in: the year-1 date and 0; a seeded login keeps its milliseconds.
    let never = info(&gigya, "site1", "profile").await;
    assert_eq!(never["lastLogin"], "0001-01-01T00:00:00Z");
    assert_eq!(never["lastLoginTimestamp"], 0);
    let imported = info(&gigya, "imported1", "profile").await;
    assert_eq!(imported["lastLogin"], "0001-01-01T00:00:00Z");
    assert_eq!(imported["created"], "2023-07-01T08:00:00.000Z");
    let seeded = info(&gigya, "site2", "profile").await;
    assert_eq!(seeded["lastLogin"], "2025-06-01T12:30:00.250Z");
    assert_eq!(seeded["lastLoginTimestamp"], 1_748_781_000_250_i64);
    // A login stamps lastLogin with the clock, in the same two forms.
    gigya.kit().clock.advance(Duration::from_millis(1_500));
    let login = call(
        &gigya,
        "accounts.login",
        &[("loginID", "dade@example.com"), ("password", "Hunter2!")],
    )
    .await;
    ok(&login);
    let after = info(&gigya, "site1", "profile").await;
    assert_eq!(after["lastLogin"], "2026-01-01T00:00:01.500Z");
    assert_eq!(after["lastLoginTimestamp"], 1_767_225_601_500_i64);
    assert_always_present(&after, "site1");
    // Unverified and unregistered accounts say so with booleans, and lack the matching dates.
    let unverified = info(&gigya, "unverified1", "emails").await;
    assert_eq!(unverified["isVerified"], false);
    assert_eq!(unverified["emails"], json!({"unverified": ["joey@example.com"]}));
    let unregistered = info(&gigya, "unregistered1", "profile").await;
    assert_eq!(unregistered["isRegistered"], false);
}

#[tokio::test]
async fn an_account_without_a_password_has_no_password_object() {
    // FIDELITY: gigya/account-fields
    let gigya = site(
        "accounts:\n  - { UID: social1, profile: { email: s@example.com }, socialProviders: facebook, loginProvider: facebook }\n",
    );
    let body = info(&gigya, "social1", "password,profile").await;
    assert!(body.get("password").is_none(), "{body:#}");
    assert_eq!(body["socialProviders"], "facebook");
    assert_eq!(body["lastLogin"], "0001-01-01T00:00:00Z");
    assert_no_nulls(&body, "social1");
}
