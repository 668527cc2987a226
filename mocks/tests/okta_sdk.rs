//! The official Okta SDKs against the mock Okta: the Node SDK (`@okta/okta-sdk-nodejs`) and the
//! Python SDK (PyPI `okta`) look a user up by login and by id, page through the users list with
//! `Link` headers, read a 404, and (Node) a 429 whose back-off they compute from the mock's
//! `X-Rate-Limit-Reset` and `Date`. Both do it again over HTTPS, given only an
//! `https://127.0.0.1:PORT` org URL and Ferry's CA (`NODE_EXTRA_CA_CERTS`, `SSL_CERT_FILE`), the
//! Python SDK then without its test-only `OKTA_TESTING_TESTINGDISABLEHTTPSCHECK`.
//!
//! Run with `cargo test -p mocks --test okta_sdk`. The SDKs are not vendored; install them with
//!
//! ```text
//! npm ci --prefix mocks/tests/sdk/okta
//! python3 -m venv mocks/tests/sdk/okta/.venv && mocks/tests/sdk/okta/.venv/bin/pip install -r mocks/tests/sdk/okta/requirements.txt
//! ```
//!
//! Without them each test prints a `SKIPPED (SDK not installed)` line and passes, unless
//! `FERRY_REQUIRE_SDK=1`, which turns a missing SDK into a failure.

mod common;

use std::path::PathBuf;
use std::process::Command;

use mocks::okta::{DEFAULT_API_TOKEN, Okta, OktaSeed};
use mocks::{Clock, Kit, Provider};
use serde_json::{Value, json};

use common::sdk::{https_ca, installed_or_skip, run_failing, run_json, sdk_dir};

const SEED: &str = r#"
settings:
  rate_limits: { users_get_per_minute: 8 }
users:
  - login: dade.murphy@example.com
    id: 00ub0oNGTSWTBKOLGLNR
    password: "Hunter2!"
    profile: { firstName: Dade, lastName: Murphy, timezone: America/New_York }
  - login: kate.libby@example.com
    id: 00ukatelibby00000000
    password: "Acid-Burn-1"
    status: SUSPENDED
    profile: { firstName: Kate, lastName: Libby }
  - login: paul.cook@example.com
    id: 00upaulcook000000000
    profile: { firstName: Paul, lastName: Cook, email: lord.nikon@example.com }
"#;

async fn started() -> (Okta, mocks::MockServer) {
    let okta = Okta::new(Kit::deterministic(Clock::manual(Clock::scenario_epoch()), 1));
    let seed: OktaSeed = mocks::kit::seed::parse(SEED, None).expect("seed parses");
    okta.seed(seed).expect("seed is valid");
    let server = mocks::start(okta.clone(), mocks::LOOPBACK_EPHEMERAL)
        .await
        .expect("bind loopback");
    (okta, server)
}

/// Runs `program args` in the SDK folder with the mock's address, off the runtime's workers so
/// the mock keeps answering; returns the JSON line it printed.
async fn run(program: PathBuf, args: Vec<String>, base_url: String) -> Value {
    let mut command = Command::new(&program);
    command
        .args(&args)
        .current_dir(sdk_dir("okta"))
        .env("FERRY_OKTA_BASE_URL", &base_url)
        .env("FERRY_OKTA_API_TOKEN", DEFAULT_API_TOKEN);
    run_json(command).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_sdk_reads_users_pages_and_errors() {
    let marker = sdk_dir("okta").join("node_modules/@okta/okta-sdk-nodejs/package.json");
    if !installed_or_skip(&marker, "run npm ci in mocks/tests/sdk/okta") {
        return;
    }
    let (okta, server) = started().await;
    let out = run(
        PathBuf::from("node"),
        vec!["get_user.js".into(), "dade.murphy@example.com".into()],
        server.base_url().to_owned(),
    )
    .await;
    let base = server.base_url();
    let dade = json!({
        "id": "00ub0oNGTSWTBKOLGLNR",
        "status": "ACTIVE",
        "created": "2026-01-01T00:00:00.000Z",
        "lastUpdated": "2026-01-01T00:00:00.000Z",
        "login": "dade.murphy@example.com",
        "email": "dade.murphy@example.com",
        "firstName": "Dade",
        "lastName": "Murphy",
        "credentialsProvider": "OKTA",
        "self": format!("{base}/api/v1/users/00ub0oNGTSWTBKOLGLNR"),
    });
    assert_eq!(out["byLogin"], dade, "{out:#}");
    assert_eq!(out["byId"], dade);
    // The collection follows rel="next" across two pages; the suspended user is listed too.
    assert_eq!(
        out["listed"],
        json!(["00ub0oNGTSWTBKOLGLNR", "00ukatelibby00000000", "00upaulcook000000000"])
    );
    assert_eq!(out["missing"]["status"], 404);
    assert_eq!(out["missing"]["errorCode"], "E0000007");
    assert_eq!(
        out["missing"]["errorSummary"],
        "Not found: Resource not found: nobody@example.com (User)"
    );
    assert_eq!(out["limited"]["status"], 429);
    assert_eq!(out["limited"]["errorCode"], "E0000047");
    // Reset (epoch + 60 s) minus Date (the epoch, on the mock clock) plus the SDK's 1 s margin.
    assert_eq!(out["limited"]["backoffMs"], 61_000, "{out:#}");
    let journal = okta.kit().journal.find(Some("GET"), Some("/api/v1/users/*"));
    let first = journal.first().expect("journaled");
    assert_eq!(
        first.path, "/api/v1/users/dade.murphy%40example.com",
        "the SDK URL-encodes logins"
    );
    assert_eq!(first.header("authorization"), Some("SSWS [masked]"));
    assert!(
        first
            .header("user-agent")
            .is_some_and(|ua| ua.contains("okta-sdk-nodejs")),
        "{:?}",
        first.headers
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_reads_users_and_pages() {
    let python = sdk_dir("okta").join(".venv/bin/python");
    let install = "python3 -m venv mocks/tests/sdk/okta/.venv && mocks/tests/sdk/okta/.venv/bin/pip install -r mocks/tests/sdk/okta/requirements.txt";
    if !installed_or_skip(&python, install) {
        return;
    }
    let (okta, server) = started().await;
    let out = run(
        python,
        vec!["get_user.py".into(), "dade.murphy@example.com".into()],
        server.base_url().to_owned(),
    )
    .await;
    let dade = json!({
        "id": "00ub0oNGTSWTBKOLGLNR",
        "status": "ACTIVE",
        "login": "dade.murphy@example.com",
        "email": "dade.murphy@example.com",
        "firstName": "Dade",
        "lastName": "Murphy",
    });
    assert_eq!(out["byLogin"], dade, "{out:#}");
    assert_eq!(out["byId"], dade);
    assert_eq!(
        out["listed"],
        json!(["00ub0oNGTSWTBKOLGLNR", "00ukatelibby00000000", "00upaulcook000000000"])
    );
    let missing = out["missing"].as_str().expect("an error for the unknown user");
    assert!(missing.contains("E0000007"), "{missing}");
    let journal = okta.kit().journal.find(Some("GET"), Some("/api/v1/users/*"));
    let first = journal.first().expect("journaled");
    assert_eq!(
        first.path, "/api/v1/users/dade.murphy@example.com",
        "the Python SDK leaves `@` as it is (legal in a path)"
    );
    // The Python SDK sends `Authorization: SSWS<token>`, no space (so the journal cannot keep the
    // scheme word), and the generator's own user agent.
    assert_eq!(first.header("authorization"), Some("[masked]"));
    assert_eq!(first.header("user-agent"), Some("OpenAPI-Generator/1.0.0/python"));
    server.shutdown().await;
}

/// Issue 12: the Node SDK over HTTPS with only its `orgUrl` changed (`https://127.0.0.1:PORT`)
/// and no test-only switch (no `testing: { disableHttpsCheck: true }`, the "allow http" option
/// of Okta's `@okta/configuration-validation`; 8.1.0's client sets none either). Ferry's CA is trusted through `NODE_EXTRA_CA_CERTS`; without it the
/// same run fails on the certificate. Links come back on the https origin the SDK used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_sdk_works_over_https_given_only_the_org_url() {
    let marker = sdk_dir("okta").join("node_modules/@okta/okta-sdk-nodejs/package.json");
    if !installed_or_skip(&marker, "run npm ci in mocks/tests/sdk/okta") {
        return;
    }
    let okta = Okta::new(Kit::deterministic(Clock::manual(Clock::scenario_epoch()), 1));
    let seed: OktaSeed = mocks::kit::seed::parse(SEED, None).expect("seed parses");
    okta.seed(seed).expect("seed is valid");
    let (tls, ca) = https_ca("okta");
    let server = mocks::start_tls(okta.clone(), mocks::LOOPBACK_EPHEMERAL, tls)
        .await
        .expect("bind loopback");
    let base = server.base_url().to_owned();
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    let node = |ca: Option<&std::path::Path>| {
        let mut command = Command::new("node");
        command
            .args(["get_user.js", "dade.murphy@example.com"])
            .current_dir(sdk_dir("okta"))
            .env_remove("NODE_EXTRA_CA_CERTS")
            .env_remove("NODE_TLS_REJECT_UNAUTHORIZED")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env("FERRY_OKTA_BASE_URL", &base)
            .env("FERRY_OKTA_API_TOKEN", DEFAULT_API_TOKEN);
        if let Some(ca) = ca {
            command.env("NODE_EXTRA_CA_CERTS", ca);
        }
        command
    };

    let (ok, stderr) = run_failing(node(None)).await;
    assert!(!ok, "the SDK must refuse a certificate it has no reason to trust");
    assert!(
        stderr.contains("SELF_SIGNED_CERT_IN_CHAIN") || stderr.contains("self-signed certificate"),
        "{stderr}"
    );
    assert!(okta.kit().journal.find(None, None).is_empty());

    let out = run_json(node(Some(&ca.0))).await;
    assert_eq!(out["byLogin"]["id"], "00ub0oNGTSWTBKOLGLNR", "{out:#}");
    assert_eq!(
        out["byLogin"]["self"],
        format!("{base}/api/v1/users/00ub0oNGTSWTBKOLGLNR"),
        "the link is on the https origin the SDK called"
    );
    assert_eq!(out["byId"], out["byLogin"]);
    // The collection followed its https `rel="next"` link.
    assert_eq!(
        out["listed"],
        json!(["00ub0oNGTSWTBKOLGLNR", "00ukatelibby00000000", "00upaulcook000000000"])
    );
    assert_eq!(out["missing"]["errorCode"], "E0000007");
    assert_eq!(out["limited"]["status"], 429);
    assert_eq!(out["limited"]["backoffMs"], 61_000, "{out:#}");
    let journal = okta.kit().journal.find(Some("GET"), Some("/api/v1/users"));
    assert_eq!(journal.len(), 2, "two pages");
    assert_eq!(journal[1].status, 200);
    assert!(
        journal[1].query.as_deref().is_some_and(|q| q.contains("after=")),
        "{:?}",
        journal[1]
    );
    server.shutdown().await;
}

/// The Python SDK over HTTPS as it ships: `get_user.py` turns the SDK's test-only
/// `OKTA_TESTING_TESTINGDISABLEHTTPSCHECK` on for an `http://` org URL only, so here the SDK's
/// own https check passes on its merits. aiohttp's default SSL context trusts Ferry's CA through
/// `SSL_CERT_FILE`; without it the same run fails on the certificate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_works_over_https_without_its_allow_http_switch() {
    let python = sdk_dir("okta").join(".venv/bin/python");
    let install = "python3 -m venv mocks/tests/sdk/okta/.venv && mocks/tests/sdk/okta/.venv/bin/pip install -r mocks/tests/sdk/okta/requirements.txt";
    if !installed_or_skip(&python, install) {
        return;
    }
    let okta = Okta::new(Kit::deterministic(Clock::manual(Clock::scenario_epoch()), 1));
    let seed: OktaSeed = mocks::kit::seed::parse(SEED, None).expect("seed parses");
    okta.seed(seed).expect("seed is valid");
    let (tls, ca) = https_ca("okta-python");
    let server = mocks::start_tls(okta.clone(), mocks::LOOPBACK_EPHEMERAL, tls)
        .await
        .expect("bind loopback");
    let base = server.base_url().to_owned();
    let command = |ca: Option<&std::path::Path>| {
        let mut command = Command::new(&python);
        command
            .args(["get_user.py", "dade.murphy@example.com"])
            .current_dir(sdk_dir("okta"));
        for variable in [
            "OKTA_TESTING_TESTINGDISABLEHTTPSCHECK",
            "SSL_CERT_FILE",
            "SSL_CERT_DIR",
            "REQUESTS_CA_BUNDLE",
            "HTTPS_PROXY",
            "https_proxy",
        ] {
            command.env_remove(variable);
        }
        command
            .env("FERRY_OKTA_BASE_URL", &base)
            .env("FERRY_OKTA_API_TOKEN", DEFAULT_API_TOKEN);
        if let Some(ca) = ca {
            command.env("SSL_CERT_FILE", ca);
        }
        command
    };

    // The SDK logs the SSL error to its own (silent) logger and then trips over the missing
    // response; the run that differs only by SSL_CERT_FILE below succeeds, and the mock never
    // saw a request.
    let (ok, stderr) = run_failing(command(None)).await;
    assert!(
        !ok,
        "the SDK must refuse a certificate it has no reason to trust:\n{stderr}"
    );
    assert!(okta.kit().journal.find(None, None).is_empty(), "{stderr}");

    let out = run_json(command(Some(&ca.0))).await;
    assert_eq!(out["byLogin"]["id"], "00ub0oNGTSWTBKOLGLNR", "{out:#}");
    assert_eq!(out["byId"], out["byLogin"]);
    // The pages' cursors came from the https `rel="next"` links.
    assert_eq!(
        out["listed"],
        json!(["00ub0oNGTSWTBKOLGLNR", "00ukatelibby00000000", "00upaulcook000000000"])
    );
    let missing = out["missing"].as_str().expect("an error for the unknown user");
    assert!(missing.contains("E0000007"), "{missing}");
    server.shutdown().await;
}
