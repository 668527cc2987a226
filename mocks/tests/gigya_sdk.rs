//! The npm `gigya` SDK (scotthovestadt/gigya 3.x) against the mock Gigya: accounts.search with a
//! cursor walk, accounts.getAccountInfo with `include` and `extraProfileFields`, an error the SDK
//! turns into an exception, and an IdentitySync export (createDataflow / createScheduling with
//! objects as JSON fields, idx.search on the job status). Every call is signed by the SDK
//! (`userKey` + HMAC-SHA1 `sig`, millisecond timestamps) and verified by the mock.
//!
//! The SDK always calls `https://<namespace>.<dataCenter>.gigya.com`; its documented hook for
//! another transport is a proxy function given to the constructor, which `search.js` uses to
//! forward each call to the mock with the original `Host` and `X-Forwarded-Proto: https`. The
//! mock therefore runs on the system clock here (the SDK signs with the wall clock).
//!
//! SAP's Python SDK (GSSDK) is not published on PyPI, so there is no Python check.
//!
//! Run with `cargo test -p mocks --test gigya_sdk`. The SDK is not vendored; install it with
//!
//! ```text
//! npm ci --prefix mocks/tests/sdk/gigya
//! ```
//!
//! Without it the test prints a `SKIPPED (SDK not installed)` line and passes, unless
//! `FERRY_REQUIRE_SDK=1`, which turns a missing SDK into a failure.

mod common;

use std::process::Command;

use mocks::gigya::{Gigya, GigyaSeed};
use mocks::{Clock, Kit, Provider};
use serde_json::{Value, json};

use common::sdk::{installed_or_skip, run_json, sdk_dir};

const SEED: &str = r#"
accounts:
  - UID: "dade"
    profile: { email: dade@example.com, firstName: Dade, locale: en_US, timezone: America/New_York }
    loginIDs: { emails: [dade@example.com], username: zerocool }
    data: { tier: gold }
    password: "Hunter2!"
  - UID: "kate"
    profile: { email: kate@example.com, firstName: Kate }
  - UID: "paul"
    profile: { email: paul@example.com, firstName: Paul }
  - UID: "phreak"
    profile: { email: phreak@example.com, firstName: Ramon }
    isRegistered: false
  - UID: "joey"
    profile: { email: joey@example.com, firstName: Joey }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_sdk_walks_a_cursor_reads_an_account_and_runs_an_export() {
    let marker = sdk_dir("gigya").join("node_modules/gigya/package.json");
    if !installed_or_skip(&marker, "npm ci --prefix mocks/tests/sdk/gigya") {
        return;
    }
    let gigya = Gigya::new(Kit::deterministic(Clock::system(), 1));
    let seed: GigyaSeed = mocks::kit::seed::parse(SEED, None).expect("seed parses");
    gigya.seed(seed).expect("seed is valid");
    let server = mocks::start(gigya.clone(), mocks::LOOPBACK_EPHEMERAL)
        .await
        .expect("bind loopback");
    let vars: std::collections::BTreeMap<String, String> = gigya.variables().into_iter().collect();
    let base_url = server.base_url().to_owned();
    let mut command = Command::new("node");
    command
        .arg("search.js")
        .current_dir(sdk_dir("gigya"))
        .env("FERRY_GIGYA_BASE_URL", &base_url)
        .env("FERRY_GIGYA_API_KEY", &vars["api_key"])
        .env("FERRY_GIGYA_USER_KEY", &vars["user_key"])
        .env("FERRY_GIGYA_SECRET", &vars["secret"])
        .env("FERRY_GIGYA_DATA_CENTER", &vars["data_center"]);
    let out: Value = run_json(command).await;

    assert_eq!(out["totalCount"], 4, "{out:#}");
    // UID order, at most two per page: cursor batches may be short (FIDELITY.md
    // gigya/search-short-batches), and the SDK walks them to the end all the same.
    let pages = out["pages"].as_array().expect("pages");
    assert!(
        pages
            .iter()
            .all(|p| p.as_array().is_some_and(|p| (1..=2).contains(&p.len()))),
        "{out:#}"
    );
    let walked: Vec<&Value> = pages.iter().flat_map(|p| p.as_array().into_iter().flatten()).collect();
    assert_eq!(walked, ["dade", "joey", "kate", "paul"], "{out:#}");
    assert_eq!(
        out["info"],
        json!({
            "UID": "dade",
            "profile": {"email": "dade@example.com", "firstName": "Dade", "locale": "en_US"},
            "loginIDs": {"emails": ["dade@example.com"], "username": "zerocool"},
        }),
        "data is not included when include is given without it; timezone needs extraProfileFields"
    );
    assert_eq!(out["missing"]["errorCode"], 403_005);
    assert!(
        out["missing"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Unauthorized user")),
        "{out:#}"
    );
    assert_eq!(out["jobs"], json!([{"status": "succeeded", "processedRecords": 5}]));
    let file: Value = serde_json::from_slice(&gigya.file("sdk.json").expect("the export file")).expect("JSON");
    assert_eq!(file.as_array().map(Vec::len), Some(5));
    assert_eq!(
        file[0],
        json!({"UID": "dade", "profile": {"email": "dade@example.com"}})
    );

    // Every call was signed (no secret on the wire) and went to the canonical host.
    let calls = gigya.kit().journal.entries();
    assert_eq!(calls.len(), 5 + pages.len(), "{calls:#?}");
    for call in &calls {
        let body = call.body.as_deref().unwrap_or_default();
        assert!(
            body.contains("sig=[masked]") && body.contains("nonce=") && !body.contains("secret="),
            "{body}"
        );
        let host = call.header("host").unwrap_or_default();
        assert!(host.ends_with(".us1.gigya.com"), "{host}");
    }
    server.shutdown().await;
}
