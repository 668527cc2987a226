//! The official Stormpath Node SDK (npm `stormpath` 0.18.5, the last release that spoke to the
//! Stormpath API) against the mock Stormpath: it follows the `/tenants/current` redirect, reads
//! the application, authenticates an account (and fails one with 7100), reads an account with
//! its Custom Data expanded, searches the application's accounts by email, and iterates every
//! account across pages the way its `CollectionResource` does (`offset += items.length`,
//! `limit=100`); an unknown account is its 404 `ResourceError`.
//!
//! The Node SDK authenticates with HTTP Basic: its SAuthc1 authenticator is marked unfinished in
//! the SDK source and is not its default. SAuthc1 is checked against the SDKs' published test
//! vectors in `mocks/tests/stormpath.rs` instead (the Python SDK is no longer on PyPI).
//!
//! Run with `cargo test -p mocks --test stormpath_sdk`. The SDK is not vendored; install it with
//!
//! ```text
//! npm ci --prefix mocks/tests/sdk/stormpath
//! ```
//!
//! Without it the test prints a `SKIPPED (SDK not installed)` line and passes, unless
//! `FERRY_REQUIRE_SDK=1`, which turns a missing SDK into a failure.

mod common;

use std::fmt::Write as _;
use std::process::Command;

use mocks::stormpath::{DEFAULT_API_KEY_ID, DEFAULT_API_KEY_SECRET, DEFAULT_APPLICATION_ID, Stormpath, StormpathSeed};
use mocks::{Clock, Kit, Provider};
use serde_json::{Value, json};

use common::sdk::{installed_or_skip, run_json, sdk_dir};

const HAN: &str = "72EaYgOaq8lwTFHILydAid";

fn seed_text() -> String {
    let mut yaml = String::from(
        r#"
settings: { bcrypt_cost: 4 }
accounts:
  - id: 72EaYgOaq8lwTFHILydAid
    username: first2shoot
    email: han@newrepublic.gov
    givenName: Han
    surname: Solo
    password: "Change+me1"
    customData: { favoriteColor: beige }
  - { email: leia@newrepublic.gov, givenName: Leia, surname: Organa }
"#,
    );
    for n in 1..=28 {
        let _ = writeln!(
            yaml,
            "  - {{ email: trooper{n:02}@empire.example, givenName: Trooper, surname: TK{n:03} }}"
        );
    }
    yaml
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_sdk_authenticates_reads_searches_and_pages() {
    let marker = sdk_dir("stormpath").join("node_modules/stormpath/package.json");
    if !installed_or_skip(&marker, "run npm ci --prefix mocks/tests/sdk/stormpath") {
        return;
    }
    let stormpath = Stormpath::new(Kit::deterministic(Clock::manual(Clock::scenario_epoch()), 1));
    let seed: StormpathSeed = mocks::kit::seed::parse(&seed_text(), None).expect("seed parses");
    stormpath.seed(seed).expect("seed is valid");
    let server = mocks::start(stormpath.clone(), mocks::LOOPBACK_EPHEMERAL)
        .await
        .expect("bind loopback");
    let base = server.base_url().to_owned();
    let env_base = base.clone();
    let mut command = Command::new("node");
    command
        .arg("sdk_check.js")
        .current_dir(sdk_dir("stormpath"))
        .env("FERRY_STORMPATH_BASE_URL", &env_base)
        .env("FERRY_STORMPATH_API_KEY_ID", DEFAULT_API_KEY_ID)
        .env("FERRY_STORMPATH_API_KEY_SECRET", DEFAULT_API_KEY_SECRET)
        .env("FERRY_STORMPATH_APPLICATION_ID", DEFAULT_APPLICATION_ID)
        // The SDK also reads ~/.stormpath and STORMPATH_* variables; keep them out.
        .env("HOME", sdk_dir("stormpath"))
        .env_remove("STORMPATH_CLIENT_APIKEY_ID")
        .env_remove("STORMPATH_CLIENT_APIKEY_SECRET")
        .env_remove("STORMPATH_APPLICATION_HREF");
    let out: Value = run_json(command).await;
    let account = |email: &str, given: &str, surname: &str, username: &str| {
        json!({
            "href": format!("{base}/v1/accounts/{HAN}"),
            "username": username,
            "email": email,
            "givenName": given,
            "surname": surname,
            "fullName": format!("{given} {surname}"),
            "status": "ENABLED",
        })
    };
    let han = account("han@newrepublic.gov", "Han", "Solo", "first2shoot");
    assert_eq!(
        out["tenant"],
        json!({ "href": format!("{base}/v1/tenants/1gBTncWsp2ObQGgFerry01"), "name": "ferry-tenant", "key": "ferry-tenant" }),
        "{out:#}"
    );
    assert_eq!(out["application"]["name"], "My Application");
    assert_eq!(out["authenticated"], han);
    assert_eq!(out["account"], han);
    assert_eq!(out["customData"], json!({ "favoriteColor": "beige" }));
    assert_eq!(
        out["wrongPassword"],
        json!({
            "status": 400,
            "code": 7100,
            "userMessage": "Invalid username or password.",
            "developerMessage": "Login attempt failed because the specified password is incorrect.",
            "moreInfo": "http://docs.stormpath.com/errors/7100",
        })
    );
    assert_eq!(out["byEmail"], json!(["leia@newrepublic.gov"]));
    assert_eq!(out["firstPage"], json!({ "size": 30, "limit": 25, "items": 25 }));
    let all = out["all"].as_array().expect("every account");
    assert_eq!(all.len(), 30, "{out:#}");
    assert_eq!(all[0], "han@newrepublic.gov");
    assert_eq!(all[29], "trooper28@empire.example");
    assert_eq!(
        out["missing"],
        json!({
            "status": 404,
            "code": 404,
            "userMessage": "The requested resource does not exist.",
            "developerMessage": "The requested resource does not exist.",
            "moreInfo": "mailto:support@stormpath.com",
        })
    );

    let journal = stormpath.kit().journal.entries();
    let lines: Vec<String> = journal
        .iter()
        .map(|e| match &e.query {
            Some(q) => format!("{} {}?{q} → {}", e.method, e.path, e.status),
            None => format!("{} {} → {}", e.method, e.path, e.status),
        })
        .collect();
    assert_eq!(lines[0], "GET /v1/tenants/current → 302", "{lines:#?}");
    assert_eq!(
        lines[1], "GET /v1/tenants/1gBTncWsp2ObQGgFerry01 → 200",
        "the redirect is followed"
    );
    assert!(
        lines.contains(&format!(
            "GET /v1/applications/{DEFAULT_APPLICATION_ID}/accounts?offset=25&limit=100 → 200"
        )),
        "the SDK asks for the next page at offset += items.length: {lines:#?}"
    );
    let first = &journal[0];
    assert_eq!(first.header("authorization"), Some("Basic [masked]"));
    assert!(
        first
            .header("user-agent")
            .is_some_and(|ua| ua.starts_with("stormpath-sdk-node/0.18.5")),
        "{:?}",
        first.headers
    );
    let attempt = journal
        .iter()
        .find(|e| e.path.ends_with("/loginAttempts"))
        .expect("a login attempt");
    assert_eq!(attempt.json(), Some(json!({ "type": "basic", "value": "[masked]" })));
    server.shutdown().await;
}
