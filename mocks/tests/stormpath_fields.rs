//! The mock Stormpath against the archived API reference, entry by entry of FIDELITY.md: every
//! field an Account resource always carries — string, null or link, and the format of each —
//! for accounts that are enabled, imported with a hash, unverified, disabled or have no password,
//! in `GET /v1/accounts/{id}`, expanded, and in the application's account collection.
//!
//! Run with `cargo test -p mocks --test stormpath_fields`. The mock runs on a manual clock at
//! 2026-01-01T00:00:00.000Z with ids seeded from 1.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use http_body_util::BodyExt;
use mocks::stormpath::{DEFAULT_API_KEY_ID, DEFAULT_API_KEY_SECRET, Stormpath, StormpathSeed};
use mocks::{Clock, Kit, Provider};
use serde_json::{Map, Value, json};
use tower::ServiceExt;

const APP: &str = "1gk4Dxzi6o4PbdlFerry01";
const DIR: &str = "2SKhstu8PlaekcaFerry01";
const TENANT: &str = "1gBTncWsp2ObQGgFerry01";

const TENANT_SEED: &str = r#"
settings: { bcrypt_cost: 4 }
accounts:
  - id: enabled000000000000001
    email: han@newrepublic.gov
    username: first2shoot
    givenName: Han
    surname: Solo
    password: "Change+me1"
    customData: { ship: Millennium Falcon }
    createdAt: 2015-08-28T16:07:38.347Z
  - id: imported00000000000001
    email: leia@newrepublic.gov
    givenName: Leia
    middleName: Amidala
    surname: Organa
    password_hash: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
  - id: unverified000000000001
    email: luke@newrepublic.gov
    givenName: Luke
    surname: Skywalker
    status: UNVERIFIED
    password: "Use-the-f0rce"
  - id: disabled00000000000001
    email: lando@newrepublic.gov
    givenName: Lando
    surname: Calrissian
    status: DISABLED
    password: "Cloud-City-1"
  - id: nopassword000000000001
    email: chewie@newrepublic.gov
    givenName: Chewbacca
"#;

const IDS: &[&str] = &[
    "enabled000000000000001",
    "imported00000000000001",
    "unverified000000000001",
    "disabled00000000000001",
    "nopassword000000000001",
];

fn tenant() -> Stormpath {
    let stormpath = Stormpath::new(Kit::deterministic(Clock::manual(Clock::scenario_epoch()), 1));
    let seed: StormpathSeed = mocks::kit::seed::parse(TENANT_SEED, None).expect("test seed parses");
    stormpath.seed(seed).expect("test seed is valid");
    stormpath
}

async fn get(stormpath: &Stormpath, path: &str) -> Value {
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{DEFAULT_API_KEY_ID}:{DEFAULT_API_KEY_SECRET}"))
    );
    let req = Request::get(path)
        .header("authorization", auth)
        .header("accept", "application/json")
        .body(Body::empty())
        .expect("request");
    let res = mocks::app(stormpath.clone())
        .oneshot(req)
        .await
        .expect("router is infallible");
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    serde_json::from_slice(&bytes).expect("JSON body")
}

/// `yyyy-MM-ddTHH:mm:ss.SSSZ`, as the reference's examples write every date.
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

fn assert_date(account: &Map<String, Value>, name: &str) {
    let text = account[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} is a date string: {account:#?}"));
    assert!(is_iso_millis(text), "{name} {text:?}");
}

fn assert_link(value: &Value, href: &str, what: &str) {
    assert_eq!(value, &json!({ "href": href }), "{what}");
}

/// What every Account resource carries (stormpath.md §6), with its type and format.
fn assert_account_shape(account: &Value, base: &str) {
    let account = account.as_object().expect("an account is an object");
    let href = account["href"].as_str().expect("href is a string");
    let id = href
        .strip_prefix(&format!("{base}/v1/accounts/"))
        .unwrap_or_else(|| panic!("absolute account href {href}"));
    assert_eq!(id.len(), 22, "a 22-character id: {id}");
    for name in ["username", "email", "fullName", "status", "emailVerificationStatus"] {
        assert!(account[name].is_string(), "{name} is a string: {account:#?}");
    }
    for name in ["givenName", "middleName", "surname"] {
        assert!(
            account[name].is_string() || account[name].is_null(),
            "{name} is a string or null, never missing: {account:#?}"
        );
    }
    assert!(["ENABLED", "DISABLED", "UNVERIFIED"].contains(&account["status"].as_str().unwrap_or("")));
    assert!(["UNKNOWN", "VERIFIED", "UNVERIFIED"].contains(&account["emailVerificationStatus"].as_str().unwrap_or("")));
    assert_date(account, "createdAt");
    assert_date(account, "modifiedAt");
    if !account["passwordModifiedAt"].is_null() {
        assert_date(account, "passwordModifiedAt");
    }
    match &account["emailVerificationToken"] {
        Value::Null => assert_ne!(account["emailVerificationStatus"], "UNVERIFIED"),
        token => {
            let token_href = token["href"].as_str().expect("a link");
            assert!(
                token_href.starts_with(&format!("{base}/v1/accounts/emailVerificationTokens/")),
                "{token_href}"
            );
        }
    }
    assert!(account.get("password").is_none(), "a password is never returned");
    assert_link(&account["customData"], &format!("{href}/customData"), "customData");
    assert_link(
        &account["providerData"],
        &format!("{href}/providerData"),
        "providerData",
    );
    assert_link(
        &account["directory"],
        &format!("{base}/v1/directories/{DIR}"),
        "directory",
    );
    assert_link(&account["tenant"], &format!("{base}/v1/tenants/{TENANT}"), "tenant");
    for name in [
        "groups",
        "groupMemberships",
        "applications",
        "apiKeys",
        "accessTokens",
        "refreshTokens",
        "linkedAccounts",
        "accountLinks",
        "phones",
        "factors",
    ] {
        assert_link(&account[name], &format!("{href}/{name}"), name);
    }
}

#[tokio::test]
async fn every_kind_of_account_carries_the_always_present_fields() {
    // FIDELITY: stormpath/account-fields
    let stormpath = tenant();
    let base = stormpath.kit().base_url().to_owned();
    for id in IDS {
        let account = get(&stormpath, &format!("/v1/accounts/{id}")).await;
        assert_account_shape(&account, &base);
    }
    let collection = get(&stormpath, &format!("/v1/applications/{APP}/accounts")).await;
    assert_eq!(collection["size"], IDS.len());
    for account in collection["items"].as_array().expect("items") {
        assert_account_shape(account, &base);
    }
}

#[tokio::test]
async fn each_kind_of_account_says_what_it_is() {
    // FIDELITY: stormpath/account-fields
    let stormpath = tenant();
    let han = get(&stormpath, "/v1/accounts/enabled000000000000001").await;
    assert_eq!(han["createdAt"], "2015-08-28T16:07:38.347Z");
    assert_eq!(han["modifiedAt"], "2015-08-28T16:07:38.347Z");
    assert_eq!(han["passwordModifiedAt"], "2015-08-28T16:07:38.347Z");
    assert_eq!(han["middleName"], Value::Null);
    assert_eq!(han["fullName"], "Han Solo");
    assert_eq!(han["status"], "ENABLED");
    assert_eq!(han["emailVerificationStatus"], "VERIFIED");
    assert_eq!(han["emailVerificationToken"], Value::Null);
    // Imported with a hash: an account like any other, the hash never shown.
    let leia = get(&stormpath, "/v1/accounts/imported00000000000001").await;
    assert_eq!(leia["fullName"], "Leia Amidala Organa");
    assert!(leia["passwordModifiedAt"].is_string());
    // Unverified: status and verification status say so, with the pending token as a link.
    let luke = get(&stormpath, "/v1/accounts/unverified000000000001").await;
    assert_eq!(luke["status"], "UNVERIFIED");
    assert_eq!(luke["emailVerificationStatus"], "UNVERIFIED");
    assert!(luke["emailVerificationToken"]["href"].is_string());
    let lando = get(&stormpath, "/v1/accounts/disabled00000000000001").await;
    assert_eq!(lando["status"], "DISABLED");
    // No password: passwordModifiedAt is null, not missing; a missing surname is null.
    let chewie = get(&stormpath, "/v1/accounts/nopassword000000000001").await;
    assert_eq!(chewie["passwordModifiedAt"], Value::Null);
    assert_eq!(chewie["surname"], Value::Null);
    assert_eq!(chewie["fullName"], "Chewbacca");
    assert_eq!(
        chewie["username"], "chewie@newrepublic.gov",
        "username defaults to the email"
    );
}

#[tokio::test]
async fn custom_data_is_a_link_until_expanded_then_a_resource_with_its_own_dates() {
    // FIDELITY: stormpath/account-fields, stormpath/custom-data
    let stormpath = tenant();
    let base = stormpath.kit().base_url().to_owned();
    let href = format!("{base}/v1/accounts/enabled000000000000001/customData");
    let han = get(&stormpath, "/v1/accounts/enabled000000000000001?expand=customData").await;
    assert_eq!(
        han["customData"],
        json!({
            "href": href,
            "createdAt": "2015-08-28T16:07:38.347Z",
            "modifiedAt": "2015-08-28T16:07:38.347Z",
            "ship": "Millennium Falcon",
        })
    );
    let direct = get(&stormpath, "/v1/accounts/enabled000000000000001/customData").await;
    assert_eq!(direct, han["customData"]);
    // An account without custom data still has the resource, with only its reserved keys.
    let empty = get(&stormpath, "/v1/accounts/nopassword000000000001/customData").await;
    let keys: Vec<&str> = empty.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(keys, ["href", "createdAt", "modifiedAt"]);
}
