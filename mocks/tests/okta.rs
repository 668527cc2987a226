//! The mock Okta through its router (no socket) and, where headers on the wire matter, on a
//! socket: the primary-authentication matrix of okta.md §3.5, lockout, rate limits, the Users API
//! reads, listing with `filter` / `search` / `q` and `Link` pagination, lifecycle operations,
//! faults and determinism.
//!
//! Run with `cargo test -p mocks --test okta`. Every mock here runs on a manual clock at
//! 2026-01-01T00:00:00.000Z with ids seeded from 1, so bodies can be pinned exactly; a failing
//! assertion prints the whole body.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use mocks::okta::{DEFAULT_API_TOKEN, Okta, OktaSeed, OktaSettings, UserStatus};
use mocks::{Clock, Kit, Provider};
use serde_json::{Value, json};

const EPOCH_SECS: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

const ORG: &str = r#"
users:
  - login: dade.murphy@example.com
    id: 00ub0oNGTSWTBKOLGLNR
    password: "Hunter2!"
    profile: { firstName: Dade, lastName: Murphy, locale: en_US, timezone: America/New_York, mobilePhone: "555-415-1337" }
  - login: kate.libby@example.com
    id: 00ukatelibby00000000
    password: "Acid-Burn-1"
    profile: { firstName: Kate, lastName: Libby }
"#;

fn kit() -> Kit {
    Kit::deterministic(Clock::manual(Clock::scenario_epoch()), 1)
}

fn seed(okta: &Okta, yaml: &str) {
    let seed: OktaSeed = mocks::kit::seed::parse(yaml, None).expect("test seed parses");
    okta.seed(seed).expect("test seed is valid");
}

fn org(yaml: &str) -> Okta {
    let okta = Okta::new(kit());
    seed(&okta, yaml);
    okta
}

#[derive(Debug)]
struct Res {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Res {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    fn links(&self) -> Vec<String> {
        self.headers
            .get_all(header::LINK)
            .iter()
            .map(|v| v.to_str().expect("ascii link").to_owned())
            .collect()
    }

    /// Asserts the Okta error envelope, field by field (the errorId is per request).
    fn assert_error(&self, status: u16, code: &str, summary: &str, causes: &[&str]) {
        assert_eq!(self.status.as_u16(), status, "{:#}", self.body);
        let causes: Vec<Value> = causes.iter().map(|c| json!({ "errorSummary": c })).collect();
        let id = self.body["errorId"].as_str().unwrap_or_default();
        assert!(id.len() == 25 && id.starts_with("oae"), "errorId {id}");
        assert!(
            id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "errorId {id}"
        );
        assert_eq!(
            self.body,
            json!({ "errorCode": code, "errorSummary": summary, "errorLink": code, "errorId": id, "errorCauses": causes })
        );
        assert_eq!(self.header("content-type"), "application/json");
        assert!(self.header("x-okta-request-id").starts_with("req"));
    }
}

async fn send(okta: &Okta, req: Request<Body>) -> Res {
    let answer = common::call(mocks::app(okta.clone()), req).await;
    Res {
        status: answer.status,
        headers: answer.headers,
        body: answer.body,
    }
}

fn post(path: &str, body: &Value) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request")
}

fn post_ssws(path: &str) -> Request<Body> {
    Request::post(path)
        .header("authorization", format!("SSWS {DEFAULT_API_TOKEN}"))
        .body(Body::empty())
        .expect("request")
}

fn get(path: &str) -> Request<Body> {
    Request::get(path)
        .header("authorization", format!("SSWS {DEFAULT_API_TOKEN}"))
        .header("accept", "application/json")
        .body(Body::empty())
        .expect("request")
}

async fn authn(okta: &Okta, username: &str, password: &str) -> Res {
    send(
        okta,
        post("/api/v1/authn", &json!({ "username": username, "password": password })),
    )
    .await
}

fn link(name: Option<&str>, path: &str) -> Value {
    let mut link = serde_json::Map::new();
    if let Some(name) = name {
        link.insert("name".into(), json!(name));
    }
    link.insert("href".into(), json!(format!("http://localhost{path}")));
    link.insert("hints".into(), json!({ "allow": ["POST"] }));
    Value::Object(link)
}

fn dade_authn_user() -> Value {
    json!({
        "id": "00ub0oNGTSWTBKOLGLNR",
        "passwordChanged": "2026-01-01T00:00:00.000Z",
        "profile": {
            "login": "dade.murphy@example.com",
            "firstName": "Dade",
            "lastName": "Murphy",
            "locale": "en_US",
            "timeZone": "America/New_York",
        },
    })
}

fn token_of(res: &Res, field: &str) -> String {
    let token = res.body[field].as_str().unwrap_or_default().to_owned();
    assert!(token.len() == 42 && token.starts_with("00"), "{field} {token}");
    token
}

// ---------------------------------------------------------------- primary authentication

#[tokio::test]
async fn success_carries_a_session_token_and_the_user_but_no_links() {
    let okta = org(ORG);
    let res = authn(&okta, "dade.murphy@example.com", "Hunter2!").await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    let session = token_of(&res, "sessionToken");
    assert_eq!(
        res.body,
        json!({
            "expiresAt": "2026-01-01T00:05:00.000Z",
            "status": "SUCCESS",
            "sessionToken": session,
            "_embedded": { "user": dade_authn_user() },
        })
    );
    let keys: Vec<&str> = res
        .body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["expiresAt", "status", "sessionToken", "_embedded"]);
    assert_eq!(res.header("content-type"), "application/json");
    assert!(res.header("x-okta-request-id").starts_with("req"));
    assert_eq!(res.header("x-rate-limit-limit"), "600");
    assert_eq!(res.header("x-rate-limit-remaining"), "599");
    assert_eq!(res.header("x-rate-limit-reset"), (EPOCH_SECS + 60).to_string());
    assert_eq!(res.header("date"), "Thu, 01 Jan 2026 00:00:00 GMT");
    let user = okta.user("dade.murphy@example.com").expect("user");
    assert_eq!(user["lastLogin"], "2026-01-01T00:00:00.000Z");
}

#[tokio::test]
async fn usernames_match_logins_ignoring_case_and_unambiguous_short_names() {
    let okta = org(ORG);
    assert_eq!(
        authn(&okta, "DADE.Murphy@Example.COM", "Hunter2!").await.body["status"],
        "SUCCESS"
    );
    assert_eq!(authn(&okta, "dade.murphy", "Hunter2!").await.body["status"], "SUCCESS");
    seed(
        &okta,
        "users:\n  - {login: dade.murphy@other.example, password: x, profile: {firstName: D, lastName: M}}\n",
    );
    authn(&okta, "dade.murphy", "Hunter2!")
        .await
        .assert_error(401, "E0000004", "Authentication failed", &[]);
}

#[tokio::test]
async fn wrong_password_and_unknown_user_both_fail_authentication() {
    let okta = org(ORG);
    authn(&okta, "dade.murphy@example.com", "hunter2!").await.assert_error(
        401,
        "E0000004",
        "Authentication failed",
        &[],
    );
    authn(&okta, "nobody@example.com", "Hunter2!")
        .await
        .assert_error(401, "E0000004", "Authentication failed", &[]);
}

#[tokio::test]
async fn users_who_cannot_sign_in_fail_even_with_the_right_password() {
    let mut yaml = String::from("users:\n");
    for status in ["SUSPENDED", "DEPROVISIONED", "STAGED", "PROVISIONED", "RECOVERY"] {
        yaml.push_str(&format!(
            "  - {{login: {}@example.com, password: Right-1, status: {status}, profile: {{firstName: A, lastName: B}}}}\n",
            status.to_lowercase()
        ));
    }
    yaml.push_str("  - {login: nopassword@example.com, profile: {firstName: A, lastName: B}}\n");
    let okta = org(&yaml);
    for login in [
        "suspended",
        "deprovisioned",
        "staged",
        "provisioned",
        "recovery",
        "nopassword",
    ] {
        let res = authn(&okta, &format!("{login}@example.com"), "Right-1").await;
        res.assert_error(401, "E0000004", "Authentication failed", &[]);
    }
}

#[tokio::test]
async fn password_warn_needs_the_option_and_offers_skip() {
    let okta = org(
        "users:\n  - {login: dade.murphy@example.com, id: 00ub0oNGTSWTBKOLGLNR, password: Hunter2!, password_warn: true, \
         profile: {firstName: Dade, lastName: Murphy, locale: en_US, timezone: America/New_York}}\n",
    );
    assert_eq!(
        authn(&okta, "dade.murphy@example.com", "Hunter2!").await.body["status"],
        "SUCCESS"
    );
    let body = json!({
        "username": "dade.murphy@example.com",
        "password": "Hunter2!",
        "relayState": "/app/deep/link",
        "options": { "multiOptionalFactorEnroll": false, "warnBeforePasswordExpired": true },
    });
    let res = send(&okta, post("/api/v1/authn", &body)).await;
    assert_eq!(res.status, StatusCode::OK);
    let state = token_of(&res, "stateToken");
    assert_eq!(
        res.body,
        json!({
            "stateToken": state,
            "expiresAt": "2026-01-01T00:05:00.000Z",
            "status": "PASSWORD_WARN",
            "relayState": "/app/deep/link",
            "_embedded": {
                "user": dade_authn_user(),
                "policy": {
                    "expiration": { "passwordExpireDays": 5 },
                    "complexity": { "minLength": 8, "minLowerCase": 1, "minUpperCase": 1, "minNumber": 1, "minSymbol": 0 },
                },
            },
            "_links": {
                "next": link(Some("changePassword"), "/api/v1/authn/credentials/change_password"),
                "skip": link(Some("skip"), "/api/v1/authn/skip"),
                "cancel": link(None, "/api/v1/authn/cancel"),
            },
        })
    );
    let skipped = send(&okta, post("/api/v1/authn/skip", &json!({ "stateToken": state }))).await;
    assert_eq!(skipped.body["status"], "SUCCESS", "{:#}", skipped.body);
    assert_eq!(skipped.body["relayState"], "/app/deep/link");
    token_of(&skipped, "sessionToken");
    let again = send(&okta, post("/api/v1/authn/skip", &json!({ "stateToken": state }))).await;
    again.assert_error(401, "E0000011", "Invalid token provided", &[]);
}

#[tokio::test]
async fn an_expired_password_is_a_200_transaction_not_a_success() {
    let okta = org(
        "users:\n  - {login: dade.murphy@example.com, id: 00ub0oNGTSWTBKOLGLNR, password: Hunter2!, password_expired: true, \
         profile: {firstName: Dade, lastName: Murphy, locale: en_US, timezone: America/New_York}}\n\
         \x20 - {login: old@example.com, password: Old-pass-1, status: PASSWORD_EXPIRED, profile: {firstName: O, lastName: P}}\n",
    );
    assert_eq!(okta.user_status("dade.murphy"), Some(UserStatus::Active));
    let res = authn(&okta, "dade.murphy@example.com", "Hunter2!").await;
    assert_eq!(res.status, StatusCode::OK);
    let state = token_of(&res, "stateToken");
    assert_eq!(
        res.body,
        json!({
            "stateToken": state,
            "expiresAt": "2026-01-01T00:05:00.000Z",
            "status": "PASSWORD_EXPIRED",
            "_embedded": {
                "user": dade_authn_user(),
                "policy": { "complexity": { "minLength": 8, "minLowerCase": 1, "minUpperCase": 1, "minNumber": 1, "minSymbol": 0 } },
            },
            "_links": {
                "next": link(Some("changePassword"), "/api/v1/authn/credentials/change_password"),
                "cancel": link(None, "/api/v1/authn/cancel"),
            },
        })
    );
    assert_eq!(
        okta.user_status("dade.murphy"),
        Some(UserStatus::PasswordExpired),
        "expiry is noticed at login"
    );
    assert_eq!(
        authn(&okta, "old@example.com", "Old-pass-1").await.body["status"],
        "PASSWORD_EXPIRED"
    );
    authn(&okta, "old@example.com", "wrong")
        .await
        .assert_error(401, "E0000004", "Authentication failed", &[]);
}

#[tokio::test]
async fn enrolled_factors_come_before_an_expired_password() {
    let okta = org(r#"
users:
  - login: dade.murphy@example.com
    id: 00ub0oNGTSWTBKOLGLNR
    password: Hunter2!
    password_expired: true
    profile: { firstName: Dade, lastName: Murphy, locale: en_US, timezone: America/New_York }
    mfa:
      required:
        - { factor_type: sms, provider: OKTA, id: smsigwDlH85L9FyQK0g3, profile: { phoneNumber: "+1 XXX-XXX-1337" } }
        - { factor_type: "token:software:totp", provider: GOOGLE, id: uftigiEmYTPOmvqTS0g3 }
"#);
    let res = authn(&okta, "dade.murphy@example.com", "Hunter2!").await;
    assert_eq!(res.status, StatusCode::OK);
    let state = token_of(&res, "stateToken");
    let verify = |id: &str| json!({ "verify": link(None, &format!("/api/v1/authn/factors/{id}/verify")) });
    assert_eq!(
        res.body,
        json!({
            "stateToken": state,
            "expiresAt": "2026-01-01T00:05:00.000Z",
            "status": "MFA_REQUIRED",
            "_embedded": {
                "user": dade_authn_user(),
                "factors": [
                    {
                        "id": "smsigwDlH85L9FyQK0g3", "factorType": "sms", "provider": "OKTA", "vendorName": "OKTA",
                        "profile": { "phoneNumber": "+1 XXX-XXX-1337" }, "_links": verify("smsigwDlH85L9FyQK0g3"),
                    },
                    {
                        "id": "uftigiEmYTPOmvqTS0g3", "factorType": "token:software:totp", "provider": "GOOGLE", "vendorName": "GOOGLE",
                        "profile": { "credentialId": "dade.murphy@example.com" }, "_links": verify("uftigiEmYTPOmvqTS0g3"),
                    },
                ],
            },
            "_links": { "cancel": link(None, "/api/v1/authn/cancel") },
        })
    );
    let cancelled = send(&okta, post("/api/v1/authn/cancel", &json!({ "stateToken": state }))).await;
    assert_eq!((cancelled.status, cancelled.body.clone()), (StatusCode::OK, json!({})));
    send(&okta, post("/api/v1/authn/cancel", &json!({ "stateToken": state })))
        .await
        .assert_error(401, "E0000011", "Invalid token provided", &[]);
}

// FIDELITY: okta/factors
#[tokio::test]
async fn the_factors_api_lists_enrolled_factors_in_full_where_authn_masks_the_phone() {
    let okta = org(r#"
users:
  - login: dade.murphy@example.com
    id: 00ub0oNGTSWTBKOLGLNR
    password: Hunter2!
    profile: { firstName: Dade, lastName: Murphy }
    mfa:
      required:
        - { factor_type: sms, provider: OKTA, id: sms2gt8gzgEBPUWBIFHN, profile: { phoneNumber: "+1-555-415-1337" } }
        - { factor_type: email, provider: OKTA, id: emfnf3gSScB8xXoXK0g3, profile: { email: dade.backup@example.com } }
        - { factor_type: sms, provider: OKTA, id: smsigwDlH85L9FyQK0g4, profile: { phoneNumber: "+44 20 7946 0958" } }
"#);
    // The Authentication API masks the numbers (Okta's MFA_REQUIRED example: "+1 XXX-XXX-1337").
    let res = authn(&okta, "dade.murphy@example.com", "Hunter2!").await;
    assert_eq!(res.body["status"], "MFA_REQUIRED");
    let factors = &res.body["_embedded"]["factors"];
    assert_eq!(factors[0]["profile"], json!({ "phoneNumber": "+1 XXX-XXX-1337" }));
    assert_eq!(factors[1]["profile"], json!({ "email": "dade.backup@example.com" }));
    assert_eq!(factors[2]["profile"], json!({ "phoneNumber": "+XXXXXXXX0958" }));

    // The Factors API, with an API token, shows them in full (Okta's "List enrolled factors").
    let res = send(&okta, get("/api/v1/users/00ub0oNGTSWTBKOLGLNR/factors")).await;
    assert_eq!(res.status, StatusCode::OK);
    let own = "http://localhost/api/v1/users/00ub0oNGTSWTBKOLGLNR/factors/sms2gt8gzgEBPUWBIFHN";
    assert_eq!(
        res.body[0],
        json!({
            "id": "sms2gt8gzgEBPUWBIFHN", "factorType": "sms", "provider": "OKTA", "vendorName": "OKTA",
            "status": "ACTIVE", "created": "2026-01-01T00:00:00.000Z", "lastUpdated": "2026-01-01T00:00:00.000Z",
            "profile": { "phoneNumber": "+1-555-415-1337" },
            "_links": {
                "verify": { "href": format!("{own}/verify"), "hints": { "allow": ["POST"] } },
                "self": { "href": own, "hints": { "allow": ["GET", "DELETE"] } },
                "user": { "href": "http://localhost/api/v1/users/00ub0oNGTSWTBKOLGLNR", "hints": { "allow": ["GET"] } },
            },
        })
    );
    assert_eq!(res.body[1]["profile"], json!({ "email": "dade.backup@example.com" }));
    assert_eq!(res.body[2]["profile"], json!({ "phoneNumber": "+44 20 7946 0958" }));
    assert_eq!(res.body.as_array().map(Vec::len), Some(3));

    // Only an id names the user; no token, no list; a user without factors has an empty one.
    send(&okta, get("/api/v1/users/dade.murphy@example.com/factors"))
        .await
        .assert_error(
            404,
            "E0000007",
            "Not found: Resource not found: dade.murphy@example.com (User)",
            &[],
        );
    // Without a token it answers as the Users API does.
    let anonymous = |path: &str| Request::get(path).body(Body::empty()).expect("request");
    let refused = send(&okta, anonymous("/api/v1/users/00ub0oNGTSWTBKOLGLNR/factors")).await;
    let user_refused = send(&okta, anonymous("/api/v1/users/00ub0oNGTSWTBKOLGLNR")).await;
    assert!(refused.status.is_client_error(), "{}", refused.status);
    assert_eq!(
        (refused.status, &refused.body["errorCode"]),
        (user_refused.status, &user_refused.body["errorCode"])
    );
    let okta = org(
        "users:\n  - {login: plain@example.com, id: 00uplain000000000000, password: P-ssw0rd, profile: {firstName: P, lastName: L}}\n",
    );
    assert_eq!(
        send(&okta, get("/api/v1/users/00uplain000000000000/factors"))
            .await
            .body,
        json!([])
    );
}

#[tokio::test]
async fn generated_factor_ids_use_okta_prefixes() {
    let okta = org(
        "users:\n  - {login: a@example.com, password: P-ssw0rd, profile: {firstName: A, lastName: B}, \
         mfa: {required: [{factor_type: sms}, {factor_type: push}, {factor_type: \"token:software:totp\"}]}}\n",
    );
    let res = authn(&okta, "a@example.com", "P-ssw0rd").await;
    let ids: Vec<&str> = res.body["_embedded"]["factors"]
        .as_array()
        .expect("factors")
        .iter()
        .map(|f| f["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), 3);
    for (id, prefix) in ids.iter().zip(["sms", "opf", "ost"]) {
        assert!(id.starts_with(prefix) && id.len() == 20, "{id}");
    }
}

#[tokio::test]
async fn mfa_enroll_lists_factors_to_set_up() {
    let okta = org(r#"
users:
  - login: dade.murphy@example.com
    id: 00ub0oNGTSWTBKOLGLNR
    password: Hunter2!
    profile: { firstName: Dade, lastName: Murphy, locale: en_US, timezone: America/New_York }
    mfa: { enroll: [ { factor_type: "token:software:totp", provider: GOOGLE, enrollment: REQUIRED }, { factor_type: sms, enrollment: OPTIONAL } ] }
"#);
    let res = authn(&okta, "dade.murphy@example.com", "Hunter2!").await;
    let state = token_of(&res, "stateToken");
    let enroll = json!({ "enroll": link(None, "/api/v1/authn/factors") });
    assert_eq!(
        res.body,
        json!({
            "stateToken": state,
            "expiresAt": "2026-01-01T00:05:00.000Z",
            "status": "MFA_ENROLL",
            "_embedded": {
                "user": dade_authn_user(),
                "factors": [
                    { "factorType": "token:software:totp", "provider": "GOOGLE", "vendorName": "GOOGLE", "status": "NOT_SETUP", "enrollment": "REQUIRED", "_links": enroll },
                    { "factorType": "sms", "provider": "OKTA", "vendorName": "OKTA", "status": "NOT_SETUP", "enrollment": "OPTIONAL", "_links": enroll },
                ],
            },
            "_links": { "cancel": link(None, "/api/v1/authn/cancel") },
        })
    );
    send(&okta, post("/api/v1/authn/skip", &json!({ "stateToken": state })))
        .await
        .assert_error(
            403,
            "E0000079",
            "This operation is not allowed in the current authentication state.",
            &[],
        );
}

#[tokio::test]
async fn lockout_after_max_attempts_hidden_by_default() {
    // The clock stands still, so lift the 4-per-second per-username limit for the eight logins.
    let okta = org(&format!(
        "settings: {{lockout: {{max_attempts: 3}}, rate_limits: {{authn_per_user_per_second: 100}}}}\n{ORG}"
    ));
    for _ in 0..2 {
        authn(&okta, "dade.murphy", "nope")
            .await
            .assert_error(401, "E0000004", "Authentication failed", &[]);
    }
    assert_eq!(
        authn(&okta, "dade.murphy", "Hunter2!").await.body["status"],
        "SUCCESS",
        "a success resets the counter"
    );
    for _ in 0..2 {
        authn(&okta, "dade.murphy", "nope")
            .await
            .assert_error(401, "E0000004", "Authentication failed", &[]);
    }
    assert_eq!(okta.user_status("dade.murphy"), Some(UserStatus::Active));
    authn(&okta, "dade.murphy", "nope")
        .await
        .assert_error(401, "E0000004", "Authentication failed", &[]);
    assert_eq!(okta.user_status("dade.murphy"), Some(UserStatus::LockedOut));
    let user = okta.user("dade.murphy").expect("user");
    assert_eq!(user["statusChanged"], "2026-01-01T00:00:00.000Z");
    authn(&okta, "dade.murphy", "Hunter2!")
        .await
        .assert_error(401, "E0000004", "Authentication failed", &[]);
}

#[tokio::test]
async fn shown_lockout_is_a_200_without_a_user() {
    let okta = org(&format!(
        "settings: {{lockout: {{max_attempts: 2, show_failures: true}}}}\n{ORG}"
    ));
    authn(&okta, "dade.murphy", "nope")
        .await
        .assert_error(401, "E0000004", "Authentication failed", &[]);
    let locking = authn(&okta, "dade.murphy", "nope").await;
    let locked = authn(&okta, "dade.murphy", "Hunter2!").await;
    let expected = json!({
        "status": "LOCKED_OUT",
        "_embedded": {},
        "_links": {
            "next": link(Some("unlock"), "/api/v1/authn/recovery/unlock"),
            "cancel": link(None, "/api/v1/authn/cancel"),
        },
    });
    for res in [locking, locked] {
        assert_eq!((res.status, res.body), (StatusCode::OK, expected.clone()));
    }
}

#[tokio::test]
async fn missing_credentials_and_malformed_json_are_400s() {
    let okta = org(ORG);
    for body in [
        json!({ "username": "dade.murphy" }),
        json!({ "password": "x" }),
        json!({}),
    ] {
        send(&okta, post("/api/v1/authn", &body)).await.assert_error(
            400,
            "E0000001",
            "Api validation failed: authRequest",
            &["The 'username' and 'password' attributes are required in this context."],
        );
    }
    let malformed = Request::post("/api/v1/authn")
        .body(Body::from("{\"username\": "))
        .expect("request");
    send(&okta, malformed)
        .await
        .assert_error(400, "E0000003", "The request body was not well-formed.", &[]);
    send(&okta, post("/api/v1/authn", &json!({ "token": "activation" })))
        .await
        .assert_error(401, "E0000004", "Authentication failed", &[]);
}

#[tokio::test]
async fn an_ssws_token_on_authn_is_optional_but_checked() {
    let okta = org(ORG);
    let body = json!({ "username": "dade.murphy", "password": "Hunter2!" });
    let with = |auth: &str| {
        Request::post("/api/v1/authn")
            .header("authorization", auth)
            .body(Body::from(body.to_string()))
            .expect("request")
    };
    assert_eq!(
        send(&okta, with(&format!("SSWS {DEFAULT_API_TOKEN}"))).await.body["status"],
        "SUCCESS"
    );
    send(&okta, with("SSWS wrong"))
        .await
        .assert_error(401, "E0000011", "Invalid token provided", &[]);
}

// ---------------------------------------------------------------- rate limits

#[tokio::test]
async fn the_same_username_is_limited_to_four_per_second() {
    let clock = Clock::manual(Clock::scenario_epoch());
    let okta = Okta::new(Kit::deterministic(clock.clone(), 1));
    seed(&okta, ORG);
    for _ in 0..4 {
        assert_eq!(
            authn(&okta, "dade.murphy@example.com", "Hunter2!").await.status,
            StatusCode::OK
        );
    }
    let limited = authn(&okta, "DADE.MURPHY@example.com", "Hunter2!").await;
    limited.assert_error(
        429,
        "E0000047",
        "API call exceeded rate limit due to too many requests.",
        &[],
    );
    assert_eq!(limited.header("x-rate-limit-limit"), "4");
    assert_eq!(limited.header("x-rate-limit-remaining"), "0");
    assert_eq!(limited.header("x-rate-limit-reset"), (EPOCH_SECS + 1).to_string());
    assert_eq!(
        authn(&okta, "kate.libby", "Acid-Burn-1").await.status,
        StatusCode::OK,
        "other users are not affected"
    );
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        authn(&okta, "dade.murphy@example.com", "Hunter2!").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn endpoint_buckets_refuse_with_headers_until_the_window_resets() {
    let clock = Clock::manual(Clock::scenario_epoch());
    let okta = Okta::new(Kit::deterministic(clock.clone(), 1));
    seed(
        &okta,
        &format!("settings: {{rate_limits: {{authn_per_minute: 2, users_get_per_minute: 1}}}}\n{ORG}"),
    );
    let first = authn(&okta, "nobody", "x").await;
    assert_eq!(
        (
            first.header("x-rate-limit-limit"),
            first.header("x-rate-limit-remaining")
        ),
        ("2", "1")
    );
    assert_eq!(
        authn(&okta, "dade.murphy", "Hunter2!")
            .await
            .header("x-rate-limit-remaining"),
        "0"
    );
    clock.advance(Duration::from_secs(30));
    let refused = authn(&okta, "dade.murphy", "Hunter2!").await;
    refused.assert_error(
        429,
        "E0000047",
        "API call exceeded rate limit due to too many requests.",
        &[],
    );
    assert_eq!(
        (
            refused.header("x-rate-limit-limit"),
            refused.header("x-rate-limit-remaining"),
            refused.header("x-rate-limit-reset")
        ),
        ("2", "0", (EPOCH_SECS + 60).to_string().as_str())
    );
    assert_eq!(refused.header("date"), "Thu, 01 Jan 2026 00:00:30 GMT");
    // Buckets are per endpoint.
    assert_eq!(
        send(&okta, get("/api/v1/users/dade.murphy")).await.status,
        StatusCode::OK
    );
    let second_get = send(&okta, get("/api/v1/users/kate.libby")).await;
    assert_eq!(second_get.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        send(&okta, get("/api/v1/users")).await.header("x-rate-limit-limit"),
        "600"
    );
    clock.advance(Duration::from_secs(30));
    assert_eq!(authn(&okta, "dade.murphy", "Hunter2!").await.status, StatusCode::OK);
    okta.reset();
    assert_eq!(
        okta.settings(),
        OktaSettings::default(),
        "reset returns to the constructor's settings"
    );
}

// ---------------------------------------------------------------- get user

fn dade_user() -> Value {
    let base = "http://localhost/api/v1/users/00ub0oNGTSWTBKOLGLNR";
    let post = |path: &str| json!({ "href": format!("{base}{path}"), "method": "POST" });
    json!({
        "id": "00ub0oNGTSWTBKOLGLNR",
        "status": "ACTIVE",
        "created": "2026-01-01T00:00:00.000Z",
        "activated": "2026-01-01T00:00:00.000Z",
        "statusChanged": "2026-01-01T00:00:00.000Z",
        "lastLogin": null,
        "lastUpdated": "2026-01-01T00:00:00.000Z",
        "passwordChanged": "2026-01-01T00:00:00.000Z",
        "type": { "id": "TYPE" },
        "profile": {
            "firstName": "Dade",
            "lastName": "Murphy",
            "email": "dade.murphy@example.com",
            "login": "dade.murphy@example.com",
            "locale": "en_US",
            "timezone": "America/New_York",
            "mobilePhone": "555-415-1337",
        },
        "credentials": { "password": {}, "provider": { "type": "OKTA", "name": "OKTA" } },
        "_links": {
            "suspend": post("/lifecycle/suspend"),
            "resetPassword": post("/lifecycle/reset_password"),
            "expirePassword": post("/lifecycle/expire_password"),
            "forgotPassword": post("/credentials/forgot_password"),
            "changeRecoveryQuestion": post("/credentials/change_recovery_question"),
            "changePassword": post("/credentials/change_password"),
            "deactivate": post("/lifecycle/deactivate"),
            "schema": { "href": "SCHEMA" },
            "type": { "href": "TYPE" },
            "self": { "href": base },
        },
    })
}

/// Fills in the org's generated type and schema ids.
fn with_org_ids(mut expected: Value, got: &Value) -> Value {
    let type_id = got["type"]["id"].as_str().expect("type id").to_owned();
    assert!(type_id.starts_with("oty") && type_id.len() == 20, "{type_id}");
    expected["type"]["id"] = json!(type_id);
    expected["_links"]["type"]["href"] = got["_links"]["type"]["href"].clone();
    expected["_links"]["schema"]["href"] = got["_links"]["schema"]["href"].clone();
    let schema = got["_links"]["schema"]["href"].as_str().expect("schema link");
    assert!(
        schema.starts_with("http://localhost/api/v1/meta/schemas/user/osc"),
        "{schema}"
    );
    assert_eq!(
        got["_links"]["type"]["href"],
        json!(format!("http://localhost/api/v1/meta/types/user/{type_id}"))
    );
    expected
}

#[tokio::test]
async fn get_user_by_id_login_encoded_login_and_short_name() {
    let okta = org(ORG);
    let by_id = send(&okta, get("/api/v1/users/00ub0oNGTSWTBKOLGLNR")).await;
    assert_eq!(by_id.status, StatusCode::OK);
    assert_eq!(by_id.body, with_org_ids(dade_user(), &by_id.body));
    assert_eq!(by_id.header("x-rate-limit-limit"), "1000");
    for path in [
        "/api/v1/users/dade.murphy@example.com",
        "/api/v1/users/dade.murphy%40example.com",
        "/api/v1/users/Dade.Murphy%40Example.com",
        "/api/v1/users/dade.murphy",
    ] {
        assert_eq!(send(&okta, get(path)).await.body, by_id.body, "{path}");
    }
    assert_eq!(okta.user("dade.murphy"), Some(by_id.body.clone()));
    let body = serde_json::to_string(&by_id.body).expect("json");
    assert!(!body.contains("Hunter2"), "no password material");
}

#[tokio::test]
async fn unknown_users_are_404_with_the_decoded_key() {
    let okta = org(ORG);
    send(&okta, get("/api/v1/users/nobody%40example.com"))
        .await
        .assert_error(
            404,
            "E0000007",
            "Not found: Resource not found: nobody@example.com (User)",
            &[],
        );
}

#[tokio::test]
async fn logins_with_a_slash_can_only_be_fetched_by_id() {
    let okta = org(
        "users:\n  - {login: \"r&d/jdoe@example.com\", id: 00uslash0000000000000, password: P-ssw0rd, profile: {firstName: J, lastName: D}}\n",
    );
    send(&okta, get("/api/v1/users/r%26d%2Fjdoe%40example.com"))
        .await
        .assert_error(
            404,
            "E0000007",
            "Not found: Resource not found: r&d/jdoe@example.com (User)",
            &[],
        );
    assert_eq!(
        send(&okta, get("/api/v1/users/00uslash0000000000000")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        authn(&okta, "r&d/jdoe@example.com", "P-ssw0rd").await.body["status"],
        "SUCCESS"
    );
}

#[tokio::test]
async fn deprovisioned_and_suspended_users_are_still_returned() {
    let okta = org(
        "users:\n  - {login: gone@example.com, status: DEPROVISIONED, profile: {firstName: G, lastName: O}}\n\
         \x20 - {login: staged@example.com, status: STAGED, profile: {firstName: S, lastName: T}}\n",
    );
    let gone = send(&okta, get("/api/v1/users/gone@example.com")).await;
    assert_eq!(gone.body["status"], "DEPROVISIONED");
    assert_eq!(
        gone.body["credentials"],
        json!({ "provider": { "type": "OKTA", "name": "OKTA" } }),
        "no password, no password key"
    );
    let staged = send(&okta, get("/api/v1/users/staged")).await;
    assert_eq!(
        (staged.body["activated"].clone(), staged.body["statusChanged"].clone()),
        (Value::Null, Value::Null)
    );
    assert!(staged.body["_links"]["activate"].is_object());
}

#[tokio::test]
async fn ssws_is_required_with_or_without_the_space() {
    let okta = org(ORG);
    let with = |auth: Option<&str>| {
        let mut req = Request::get("/api/v1/users/dade.murphy");
        if let Some(auth) = auth {
            req = req.header("authorization", auth);
        }
        req.body(Body::empty()).expect("request")
    };
    assert_eq!(
        send(&okta, with(Some(&format!("SSWS {DEFAULT_API_TOKEN}"))))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        send(&okta, with(Some(&format!("SSWS{DEFAULT_API_TOKEN}"))))
            .await
            .status,
        StatusCode::OK
    );
    for auth in [Some("SSWS nope"), Some("Bearer 00ferry-okta-api-token"), Some("SSWS ")] {
        send(&okta, with(auth))
            .await
            .assert_error(401, "E0000011", "Invalid token provided", &[]);
    }
    // No header at all (FIDELITY.md okta/users-auth; okta_fields.rs covers every route).
    send(&okta, with(None))
        .await
        .assert_error(403, "E0000005", "Invalid session", &[]);
    seed(&okta, "settings: {missing_token: invalid_token}\n");
    send(&okta, with(None))
        .await
        .assert_error(401, "E0000011", "Invalid token provided", &[]);
}

#[tokio::test]
async fn me_is_the_token_owner_or_the_built_in_admin() {
    let okta = org(&format!(
        "settings: {{api_tokens: [{DEFAULT_API_TOKEN}, {{token: kates-token, owner: kate.libby@example.com}}]}}\n{ORG}"
    ));
    let admin = send(&okta, get("/api/v1/users/me")).await;
    assert_eq!(admin.body["profile"]["login"], "okta-admin@example.com");
    let kate = Request::get("/api/v1/users/me")
        .header("authorization", "SSWS kates-token")
        .body(Body::empty())
        .expect("request");
    assert_eq!(send(&okta, kate).await.body["id"], "00ukatelibby00000000");
}

#[tokio::test]
async fn okta_response_content_type_trims_credentials() {
    let okta = org(ORG);
    let req = Request::get("/api/v1/users/dade.murphy")
        .header("authorization", format!("SSWS {DEFAULT_API_TOKEN}"))
        .header(
            "content-type",
            "application/json; okta-response=omitCredentials,omitCredentialsLinks",
        )
        .body(Body::empty())
        .expect("request");
    let res = send(&okta, req).await;
    assert!(res.body.get("credentials").is_none());
    assert!(res.body["_links"].get("changePassword").is_none());
    assert!(res.body["_links"].get("resetPassword").is_none());
    assert!(res.body["_links"].get("suspend").is_some());
}

// ---------------------------------------------------------------- list users

fn many_users(n: usize) -> String {
    let mut yaml = String::from("users:\n");
    for i in 0..n {
        let status = if i == 3 {
            "DEPROVISIONED"
        } else if i % 2 == 0 {
            "ACTIVE"
        } else {
            "SUSPENDED"
        };
        yaml.push_str(&format!(
            "  - {{login: user{i}@example.com, id: 00u{i:017}, status: {status}, last_updated: \"2025-0{}-01T00:00:00.000Z\", \
             profile: {{firstName: \"First{i}\", lastName: \"{}\", department: \"{}\", age: {}}}}}\n",
            i % 9 + 1,
            if i < 4 { "Alpha" } else { "Beta" },
            if i % 3 == 0 { "Engineering" } else { "Sales" },
            20 + i,
        ));
    }
    yaml
}

fn ids(res: &Res) -> Vec<String> {
    res.body
        .as_array()
        .expect("array")
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn listing_pages_through_everyone_but_deprovisioned_with_link_headers() {
    let okta = org(&many_users(7));
    let first = send(&okta, get("/api/v1/users?limit=2")).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(ids(&first), ["00u00000000000000000", "00u00000000000000001"]);
    assert_eq!(
        first.links(),
        [
            "<http://localhost/api/v1/users?limit=2>; rel=\"self\"",
            "<http://localhost/api/v1/users?after=00u00000000000000001&limit=2>; rel=\"next\"",
        ]
    );
    assert_eq!(
        first.body[0]["_links"],
        json!({ "self": { "href": "http://localhost/api/v1/users/00u00000000000000000" } })
    );
    assert!(first.body[0]["credentials"]["provider"].is_object());
    let second = send(&okta, get("/api/v1/users?after=00u00000000000000001&limit=2")).await;
    assert_eq!(
        ids(&second),
        ["00u00000000000000002", "00u00000000000000004"],
        "DEPROVISIONED user 3 is left out"
    );
    let third = send(&okta, get("/api/v1/users?after=00u00000000000000004&limit=2")).await;
    assert_eq!(ids(&third), ["00u00000000000000005", "00u00000000000000006"]);
    assert_eq!(
        third.links(),
        ["<http://localhost/api/v1/users?after=00u00000000000000004&limit=2>; rel=\"self\""],
        "no next on the last page"
    );
    let all = send(&okta, get("/api/v1/users")).await;
    assert_eq!(ids(&all).len(), 6);
    assert_eq!(all.links(), ["<http://localhost/api/v1/users>; rel=\"self\""]);
    assert_eq!(all.header("x-rate-limit-limit"), "600");
}

#[tokio::test]
async fn limit_is_capped_at_200_and_must_be_a_positive_number() {
    let okta = org(&many_users(3));
    assert_eq!(ids(&send(&okta, get("/api/v1/users?limit=5000")).await).len(), 3);
    for bad in ["0", "-1", "lots"] {
        send(&okta, get(&format!("/api/v1/users?limit={bad}")))
            .await
            .assert_error(400, "E0000029", "Invalid paging request.", &[]);
    }
}

#[tokio::test]
async fn filter_is_exact_and_sees_every_status() {
    let okta = org(&many_users(7));
    let list = |q: &str| {
        let okta = okta.clone();
        let path = format!("/api/v1/users?filter={}", urlencode(q));
        async move { send(&okta, get(&path)).await }
    };
    assert_eq!(
        ids(&list(r#"status eq "DEPROVISIONED""#).await),
        ["00u00000000000000003"]
    );
    assert_eq!(
        ids(&list(r#"status eq "deprovisioned""#).await),
        Vec::<String>::new(),
        "values are case-sensitive"
    );
    let both = list(r#"(status eq "SUSPENDED" or status eq "DEPROVISIONED") and profile.lastName eq "Alpha""#).await;
    assert_eq!(ids(&both), ["00u00000000000000001", "00u00000000000000003"]);
    let since = list(r#"lastUpdated gt "2025-05-01T00:00:00.000Z""#).await;
    assert_eq!(ids(&since), ["00u00000000000000005", "00u00000000000000006"]);
    assert_eq!(
        ids(&list(r#"profile.login eq "user2@example.com""#).await),
        ["00u00000000000000002"]
    );
    list(r#"profile.department eq "Sales""#)
        .await
        .assert_error(400, "E0000031", "Invalid search criteria.", &[]);
    list(r#"status sw "ACT""#)
        .await
        .assert_error(400, "E0000031", "Invalid search criteria.", &[]);
    list("status eq")
        .await
        .assert_error(400, "E0000031", "Invalid search criteria.", &[]);
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn search_compares_values_ignoring_case_and_sorts() {
    let okta = org(&many_users(7));
    let search = |q: &str, extra: &str| {
        let okta = okta.clone();
        let path = format!("/api/v1/users?search={}{extra}", urlencode(q));
        async move { send(&okta, get(&path)).await }
    };
    assert_eq!(
        ids(&search(r#"profile.department sw "eng""#, "").await),
        ["00u00000000000000000", "00u00000000000000003", "00u00000000000000006"]
    );
    assert_eq!(
        ids(&search(r#"status eq "active" and profile.age ge 24"#, "").await),
        ["00u00000000000000004", "00u00000000000000006"]
    );
    assert_eq!(
        ids(&search("profile.age lt 22 OR id eq \"00u00000000000000005\"", "").await),
        ["00u00000000000000000", "00u00000000000000001", "00u00000000000000005"]
    );
    assert_eq!(ids(&search("profile.nickName pr", "").await), Vec::<String>::new());
    assert_eq!(
        ids(&search("profile.department pr", "").await).len(),
        7,
        "search sees DEPROVISIONED too"
    );
    let sorted = search(
        r#"profile.lastName eq "Beta""#,
        "&sortBy=profile.age&sortOrder=desc&limit=2",
    )
    .await;
    assert_eq!(ids(&sorted), ["00u00000000000000006", "00u00000000000000005"]);
    let next = sorted.links()[1].clone();
    assert_eq!(
        next,
        "<http://localhost/api/v1/users?after=00u00000000000000005&limit=2&search=profile.lastName%20eq%20%22Beta%22&sortBy=profile.age&sortOrder=desc>; rel=\"next\""
    );
    let path = next
        .trim_start_matches("<http://localhost")
        .split('>')
        .next()
        .expect("href")
        .to_owned();
    let page2 = send(&okta, get(&path)).await;
    assert_eq!(ids(&page2), ["00u00000000000000004"]);
    assert_eq!(page2.links().len(), 1);
    search(r#"status ne "ACTIVE""#, "")
        .await
        .assert_error(400, "E0000031", "Invalid search criteria.", &[]);
    search(r#"created sw "2026""#, "")
        .await
        .assert_error(400, "E0000031", "Invalid search criteria.", &[]);
    send(
        &okta,
        get("/api/v1/users?search=status%20eq%20%22ACTIVE%22&filter=status%20eq%20%22ACTIVE%22"),
    )
    .await
    .assert_error(
        400,
        "E0000033",
        "Bad request. Can't specify a search query and filter in the same request.",
        &[],
    );
}

#[tokio::test]
async fn q_is_a_prefix_search_without_pagination() {
    let okta = org(&many_users(14));
    let res = send(&okta, get("/api/v1/users?q=first1")).await;
    // First1, First10..First13; user 3 is DEPROVISIONED but does not match anyway.
    assert_eq!(
        ids(&res),
        [
            "00u00000000000000001",
            "00u00000000000000010",
            "00u00000000000000011",
            "00u00000000000000012",
            "00u00000000000000013"
        ]
    );
    assert_eq!(res.links(), ["<http://localhost/api/v1/users?q=first1>; rel=\"self\""]);
    let all = send(&okta, get("/api/v1/users?q=user")).await;
    assert_eq!(ids(&all).len(), 10, "default limit with q is 10, and no next link");
    assert_eq!(all.links().len(), 1);
    let deprovisioned = send(&okta, get("/api/v1/users?q=First3")).await;
    assert!(ids(&deprovisioned).is_empty(), "q leaves out DEPROVISIONED users");
}

// ---------------------------------------------------------------- lifecycle

#[tokio::test]
async fn lifecycle_operations_change_what_authn_and_listing_see() {
    let clock = Clock::manual(Clock::scenario_epoch());
    let okta = Okta::new(Kit::deterministic(clock.clone(), 1));
    seed(&okta, ORG);
    clock.advance(Duration::from_secs(60));
    let suspend = send(&okta, post_ssws("/api/v1/users/00ub0oNGTSWTBKOLGLNR/lifecycle/suspend")).await;
    assert_eq!((suspend.status, suspend.body.clone()), (StatusCode::OK, json!({})));
    let user = okta.user("dade.murphy").expect("user");
    assert_eq!(
        (user["status"].clone(), user["statusChanged"].clone()),
        (json!("SUSPENDED"), json!("2026-01-01T00:01:00.000Z"))
    );
    assert_eq!(
        user["_links"]["unsuspend"]["href"],
        "http://localhost/api/v1/users/00ub0oNGTSWTBKOLGLNR/lifecycle/unsuspend"
    );
    authn(&okta, "dade.murphy", "Hunter2!")
        .await
        .assert_error(401, "E0000004", "Authentication failed", &[]);
    send(&okta, post_ssws("/api/v1/users/00ub0oNGTSWTBKOLGLNR/lifecycle/suspend"))
        .await
        .assert_error(
            400,
            "E0000001",
            "Api validation failed: status",
            &["Cannot suspend a user whose status is SUSPENDED; only ACTIVE users can be suspended."],
        );
    send(&okta, post_ssws("/api/v1/users/00ub0oNGTSWTBKOLGLNR/lifecycle/unlock"))
        .await
        .assert_error(403, "E0000032", "Unlock is not allowed for this user.", &[]);
    assert_eq!(
        send(&okta, post_ssws("/api/v1/users/dade.murphy/lifecycle/unsuspend"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(authn(&okta, "dade.murphy", "Hunter2!").await.body["status"], "SUCCESS");

    let reset = send(
        &okta,
        post_ssws("/api/v1/users/00ub0oNGTSWTBKOLGLNR/lifecycle/reset_password?sendEmail=false"),
    )
    .await;
    let url = reset.body["resetPasswordUrl"].as_str().expect("reset url");
    assert!(url.starts_with("http://localhost/reset_password/"), "{url}");
    assert_eq!(okta.user_status("dade.murphy"), Some(UserStatus::Recovery));
    authn(&okta, "dade.murphy", "Hunter2!")
        .await
        .assert_error(401, "E0000004", "Authentication failed", &[]);

    let expired = send(&okta, post_ssws("/api/v1/users/kate.libby/lifecycle/expire_password")).await;
    assert_eq!(expired.body["status"], "PASSWORD_EXPIRED");
    assert_eq!(
        authn(&okta, "kate.libby", "Acid-Burn-1").await.body["status"],
        "PASSWORD_EXPIRED"
    );

    assert_eq!(
        send(&okta, post_ssws("/api/v1/users/kate.libby/lifecycle/deactivate"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(ids(&send(&okta, get("/api/v1/users")).await), ["00ub0oNGTSWTBKOLGLNR"]);
    let activate = send(
        &okta,
        post_ssws("/api/v1/users/kate.libby/lifecycle/activate?sendEmail=false"),
    )
    .await;
    assert!(activate.body["activationToken"].is_string(), "{:#}", activate.body);
    assert_eq!(okta.user_status("kate.libby"), Some(UserStatus::Active));
    send(&okta, post_ssws("/api/v1/users/kate.libby/lifecycle/activate"))
        .await
        .assert_error(
            403,
            "E0000016",
            "Activation failed because the user is already active",
            &[],
        );
    send(&okta, post_ssws("/api/v1/users/kate.libby/lifecycle/explode"))
        .await
        .assert_error(404, "E0000008", "The requested path was not found", &[]);
    send(&okta, post_ssws("/api/v1/users/nobody/lifecycle/suspend"))
        .await
        .assert_error(404, "E0000007", "Not found: Resource not found: nobody (User)", &[]);
    let unauthenticated = Request::post("/api/v1/users/kate.libby/lifecycle/suspend")
        .body(Body::empty())
        .expect("request");
    // No Authorization header: 403 E0000005 (FIDELITY.md okta/users-auth).
    send(&okta, unauthenticated)
        .await
        .assert_error(403, "E0000005", "Invalid session", &[]);
}

#[tokio::test]
async fn unlock_returns_a_locked_out_user_to_active() {
    let okta = org(&format!("settings: {{lockout: {{max_attempts: 1}}}}\n{ORG}"));
    authn(&okta, "kate.libby", "wrong").await;
    assert_eq!(okta.user_status("kate.libby"), Some(UserStatus::LockedOut));
    assert!(okta.user("kate.libby").expect("user")["_links"]["unlock"].is_object());
    assert_eq!(
        send(&okta, post_ssws("/api/v1/users/kate.libby/lifecycle/unlock"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        authn(&okta, "kate.libby", "Acid-Burn-1").await.body["status"],
        "SUCCESS"
    );
}

#[tokio::test]
async fn delete_deactivates_first_then_deletes() {
    let okta = org(ORG);
    let delete = || {
        Request::delete("/api/v1/users/kate.libby")
            .header("authorization", format!("SSWS {DEFAULT_API_TOKEN}"))
            .body(Body::empty())
            .expect("request")
    };
    assert_eq!(send(&okta, delete()).await.status, StatusCode::NO_CONTENT);
    assert_eq!(okta.user_status("kate.libby"), Some(UserStatus::Deprovisioned));
    assert_eq!(send(&okta, delete()).await.status, StatusCode::NO_CONTENT);
    assert_eq!(
        send(&okta, get("/api/v1/users/00ukatelibby00000000")).await.status,
        StatusCode::NOT_FOUND
    );
}

// ---------------------------------------------------------------- routing, faults, determinism

#[tokio::test]
async fn wrong_method_is_405_and_unknown_path_is_404_in_okta_shape() {
    let okta = org(ORG);
    let wrong = send(&okta, get("/api/v1/authn")).await;
    wrong.assert_error(
        405,
        "E0000022",
        "The endpoint does not support the provided HTTP method",
        &[],
    );
    assert_eq!(wrong.header("x-rate-limit-limit"), "600");
    let put = Request::put("/api/v1/users/dade.murphy")
        .body(Body::empty())
        .expect("request");
    send(&okta, put).await.assert_error(
        405,
        "E0000022",
        "The endpoint does not support the provided HTTP method",
        &[],
    );
    let unknown = send(&okta, get("/api/v1/groups")).await;
    unknown.assert_error(404, "E0000008", "The requested path was not found", &[]);
    let outside = send(&okta, get("/nowhere")).await;
    outside.assert_error(404, "E0000008", "The requested path was not found", &[]);
    assert_eq!(outside.header("x-rate-limit-limit"), "", "no bucket outside /api");
}

#[tokio::test]
async fn injected_faults_answer_in_okta_shape() {
    let okta = org(ORG);
    okta.kit().faults.add(mocks::FaultRule {
        method: Some("POST".into()),
        path: "/api/v1/authn".into(),
        nth: 1,
        times: Some(2),
        fault: mocks::Fault::Status { status: 500 },
    });
    authn(&okta, "dade.murphy", "Hunter2!")
        .await
        .assert_error(500, "E0000009", "Internal Server Error", &[]);
    okta.kit().faults.clear();
    okta.kit().faults.add(mocks::FaultRule {
        method: None,
        path: "/api/v1/users/*".into(),
        nth: 1,
        times: Some(1),
        fault: mocks::Fault::Status { status: 429 },
    });
    let limited = send(&okta, get("/api/v1/users/dade.murphy")).await;
    limited.assert_error(
        429,
        "E0000047",
        "API call exceeded rate limit due to too many requests.",
        &[],
    );
    assert_eq!(limited.header("x-rate-limit-remaining"), "0");
    assert_eq!(limited.header("x-rate-limit-reset"), (EPOCH_SECS + 60).to_string());
    assert_eq!(
        send(&okta, get("/api/v1/users/dade.murphy")).await.status,
        StatusCode::OK,
        "recovers"
    );
    for (status, code) in [
        (401, "E0000011"),
        (403, "E0000006"),
        (404, "E0000007"),
        (400, "E0000001"),
        (503, "E0000010"),
    ] {
        let res = okta.fault_response(StatusCode::from_u16(status).expect("status"));
        assert_eq!(res.status().as_u16(), status);
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        let body: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(body["errorCode"], code);
    }
}

#[tokio::test]
async fn identically_seeded_mocks_give_identical_ids_and_answers() {
    let yaml = "users:\n  - {login: a@example.com, password: P-ssw0rd, profile: {firstName: A, lastName: B}, mfa: {required: [{factor_type: sms}]}}\n  - {login: b@example.com, profile: {firstName: C, lastName: D}}\n";
    let (one, two) = (org(yaml), org(yaml));
    let mut answers = Vec::new();
    for okta in [&one, &two] {
        let list = send(okta, get("/api/v1/users")).await;
        let login = authn(okta, "a@example.com", "P-ssw0rd").await;
        let failure = authn(okta, "a@example.com", "nope").await;
        let request_id = failure.header("x-okta-request-id").to_owned();
        answers.push((list.body, login.body, failure.body, request_id));
    }
    assert_eq!(answers[0], answers[1]);
    let ids = ids(&Res {
        status: StatusCode::OK,
        headers: HeaderMap::new(),
        body: answers[0].0.clone(),
    });
    assert!(
        ids.iter()
            .all(|id| id.starts_with("00u") && id.len() == 20 && id.chars().all(|c| c.is_ascii_alphanumeric())),
        "{ids:?}"
    );
    let other = Okta::new(Kit::deterministic(Clock::manual(Clock::scenario_epoch()), 2));
    seed(&other, yaml);
    assert_ne!(
        send(&other, get("/api/v1/users")).await.body,
        answers[0].0,
        "another seed gives other ids"
    );
}

#[tokio::test]
async fn reseeding_a_login_replaces_the_user_and_keeps_its_id() {
    let okta = org(ORG);
    seed(
        &okta,
        "users:\n  - {login: KATE.LIBBY@example.com, password: New-pass-1, status: SUSPENDED, profile: {firstName: Kate, lastName: Libby}}\n",
    );
    let kate = okta.user("kate.libby@example.com").expect("user");
    assert_eq!(
        (kate["id"].clone(), kate["status"].clone()),
        (json!("00ukatelibby00000000"), json!("SUSPENDED"))
    );
    let err = okta
        .seed(mocks::kit::seed::parse("users:\n  - {login: new@example.com, id: 00ukatelibby00000000, profile: {firstName: N, lastName: W}}\n", None).expect("parses"))
        .expect_err("id taken");
    assert_eq!(
        err.to_string(),
        "okta user new@example.com: id 00ukatelibby00000000 already belongs to KATE.LIBBY@example.com"
    );
}

#[tokio::test]
async fn nullable_names_reach_authn_as_null_or_missing() {
    let okta = org(
        "settings: {nullable_names: true}\nusers:\n  - {login: jdoe, password: P-ssw0rd, profile: {firstName: null, email: jane@example.com}}\n",
    );
    let res = authn(&okta, "jdoe", "P-ssw0rd").await;
    let profile = &res.body["_embedded"]["user"]["profile"];
    assert_eq!(profile["firstName"], Value::Null);
    assert!(profile.get("lastName").is_none());
    assert!(profile.get("email").is_none(), "authn's profile has no email");
    let user = okta.user("jdoe").expect("user");
    assert_eq!(
        (user["profile"]["login"].clone(), user["profile"]["email"].clone()),
        (json!("jdoe"), json!("jane@example.com"))
    );
}

#[tokio::test]
async fn the_journal_and_state_hold_no_passwords() {
    let okta = org(ORG);
    authn(&okta, "dade.murphy", "Hunter2!").await;
    let entry = okta.kit().journal.entries().pop().expect("journaled");
    let body = entry.body.expect("body");
    assert!(body.contains("dade.murphy") && !body.contains("Hunter2!"), "{body}");
    let state = okta.state().to_string();
    assert!(
        !state.contains("Hunter2!") && !state.contains(DEFAULT_API_TOKEN),
        "{state}"
    );
    assert!(state.contains("\"failed_attempts\":0"));
    okta.reset();
    assert_eq!(okta.state()["users"], json!([]));
}

// ---------------------------------------------------------------- on a socket

#[tokio::test]
async fn on_the_wire_headers_and_admin_seeding_work() {
    let okta = Okta::new(kit());
    let server = mocks::start(okta.clone(), mocks::LOOPBACK_EPHEMERAL)
        .await
        .expect("bind loopback");
    let base = server.base_url().to_owned();
    let client = sandbox::net::client_builder().build().expect("an HTTP client");
    let seeded = client
        .post(format!("{base}/__ferry/seed"))
        .header("content-type", "application/yaml")
        .body(many_users(3))
        .send()
        .await
        .expect("seed");
    assert_eq!(seeded.status(), 200);
    let res = client
        .get(format!("{base}/api/v1/users?limit=1"))
        .header("authorization", format!("SSWS {DEFAULT_API_TOKEN}"))
        .send()
        .await
        .expect("list");
    assert_eq!(
        res.headers()["date"],
        "Thu, 01 Jan 2026 00:00:00 GMT",
        "Date follows the mock clock"
    );
    let links: Vec<&str> = res
        .headers()
        .get_all("link")
        .iter()
        .map(|v| v.to_str().expect("ascii"))
        .collect();
    assert_eq!(
        links,
        [
            format!("<{base}/api/v1/users?limit=1>; rel=\"self\""),
            format!("<{base}/api/v1/users?after=00u00000000000000000&limit=1>; rel=\"next\""),
        ]
    );
    let users: Value = res.json().await.expect("json");
    assert_eq!(
        users[0]["_links"]["self"]["href"],
        format!("{base}/api/v1/users/00u00000000000000000")
    );
    assert_eq!(
        okta.state()["requests_by_ip"],
        json!({ "127.0.0.1": 1 }),
        "admin calls are not counted"
    );
    server.shutdown().await;
}
