//! Management API tickets: email-verification and password-change links handed to the caller
//! instead of emailed, over the mock Auth0's router.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use mocks::auth0::{Auth0, MANAGEMENT_APP};
use serde_json::{Value, json};

use common::auth0::*;

const STOREFRONT: (&str, &str) = ("storefront-client-id", "storefront-secret");

const SEED: &str = r#"
settings: { bcrypt_cost: 4 }
clients:
  - { name: Storefront, client_id: storefront-client-id, client_secret: storefront-secret }
  - name: Reader
    client_id: reader-client-id
    client_secret: reader-secret
    app_type: non_interactive
    grant_types: [client_credentials]
    management_scopes: [read:users]
connections:
  - { name: users, id: con_users00000000001 }
users:
  - { connection: users, user_id: dade, email: dade.murphy@example.com, password: "Hunter2!" }
  - { connection: users, user_id: nobody, username: no-email-user, password: "Hunter2!" }
"#;

async fn management(auth0: &Auth0) -> String {
    let (id, secret) = auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    client_token(auth0, &id, &secret, None).await
}

async fn ticket(auth0: &Auth0, token: &str, kind: &str, body: Value) -> Res {
    send(
        auth0,
        json_req(Method::POST, &format!("/api/v2/tickets/{kind}"), &body, Some(token)),
    )
    .await
}

/// The path and query of a ticket URL (the mock's base is not routed in-process).
fn local(url: &str) -> String {
    let at = url.find("/lo/").expect("a /lo/ link");
    url[at..].trim_end_matches('#').to_owned()
}

async fn open(auth0: &Auth0, url: &str) -> (StatusCode, Option<String>, String) {
    let res = send(auth0, Request::get(local(url)).body(Body::empty()).expect("request")).await;
    let location = Some(res.header(header::LOCATION.as_str()).to_owned()).filter(|l| !l.is_empty());
    (res.status, location, res.text)
}

fn dade(auth0: &Auth0) -> Value {
    auth0
        .users()
        .into_iter()
        .find(|u| u["user_id"] == "auth0|dade")
        .expect("dade")
}

#[tokio::test]
async fn an_email_verification_ticket_verifies_once_then_redirects_to_the_result_url() {
    let auth0 = tenant(SEED);
    let token = management(&auth0).await;
    let res = ticket(
        &auth0,
        &token,
        "email-verification",
        json!({ "user_id": "auth0|dade", "result_url": "https://app.example.com/verified?from=ferry" }),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{:#}", res.body);
    let keys: Vec<&String> = res.body.as_object().expect("an object").keys().collect();
    assert_eq!(keys, ["ticket"]);
    let url = res.expect_str("ticket");
    assert!(url.contains("/lo/verify_email?ticket="), "{url}");
    assert!(auth0.outbox().is_empty(), "a ticket is handed over, not emailed");
    assert_eq!(dade(&auth0)["email_verified"], false);

    let (status, location, _) = open(&auth0, &url).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(
        location.as_deref(),
        Some(
            "https://app.example.com/verified?from=ferry&success=true&code=success&message=Your+email+was+verified.+You+can+continue+using+the+application."
        )
    );
    assert_eq!(dade(&auth0)["email_verified"], true);
    assert_eq!(auth0.logs().last().map(|l| l.kind.as_str()), Some("sv"));
    // Once only.
    let (status, _, page) = open(&auth0, &url).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("This URL can be used only once"), "{page}");
}

#[tokio::test]
async fn ticket_lifetimes_default_to_five_days_and_ttl_sec_shortens_them() {
    let auth0 = tenant(SEED);
    let token = management(&auth0).await;
    let short = ticket(
        &auth0,
        &token,
        "email-verification",
        json!({ "user_id": "auth0|dade", "ttl_sec": 60 }),
    )
    .await
    .expect_str("ticket");
    let default = ticket(
        &auth0,
        &token,
        "email-verification",
        json!({ "user_id": "auth0|dade", "ttl_sec": 0 }),
    )
    .await
    .expect_str("ticket");
    auth0.kit().clock.advance(Duration::from_secs(61));
    let (status, _, page) = open(&auth0, &short).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Access expired."), "{page}");
    // Without a result URL, the page says so.
    auth0.kit().clock.advance(Duration::from_secs(5 * 86_400 - 120));
    let (status, _, page) = open(&auth0, &default).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("successfully verified"), "{page}");
}

#[tokio::test]
async fn a_password_change_ticket_opens_the_reset_page_and_can_verify_the_email() {
    let auth0 = tenant(SEED);
    let token = management(&auth0).await;
    let res = ticket(
        &auth0,
        &token,
        "password-change",
        json!({ "email": "Dade.Murphy@example.com", "connection_id": "con_users00000000001", "mark_email_as_verified": true }),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{:#}", res.body);
    let url = res.expect_str("ticket");
    assert!(url.contains("/lo/reset?ticket="), "{url}");
    let (status, _, page) = open(&auth0, &url).await;
    assert_eq!(status, StatusCode::OK, "{page}");

    let ticket_id = local(&url).split("ticket=").nth(1).expect("a ticket").to_owned();
    let res = send(
        &auth0,
        form(
            "/lo/reset",
            &[
                ("ticket", &ticket_id),
                ("newPassword", "Zero-Cool-1995"),
                ("confirmNewPassword", "Zero-Cool-1995"),
            ],
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(res.body["result"], "success");
    assert_eq!(dade(&auth0)["email_verified"], true, "mark_email_as_verified");
    let new = login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "Zero-Cool-1995").await;
    assert_eq!(new.status, StatusCode::OK, "{:#}", new.body);
    let old = login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "Hunter2!").await;
    assert_eq!(old.status, StatusCode::FORBIDDEN, "{:#}", old.body);
}

#[tokio::test]
async fn tickets_are_refused_in_the_management_apis_shape() {
    let auth0 = tenant(SEED);
    let token = management(&auth0).await;
    ticket(&auth0, &token, "email-verification", json!({}))
        .await
        .assert_api(
            400,
            "Payload validation error: 'Missing required property: user_id'.",
            Some("invalid_body"),
        );
    ticket(
        &auth0,
        &token,
        "email-verification",
        json!({ "user_id": "auth0|dade", "send": true }),
    )
    .await
    .assert_api(
        400,
        "Payload validation error: 'Additional properties not allowed: send'.",
        Some("invalid_body"),
    );
    ticket(
        &auth0,
        &token,
        "email-verification",
        json!({ "user_id": "auth0|dade", "ttl_sec": -5 }),
    )
    .await
    .assert_api(
        400,
        "Payload validation error: 'Expected a non-negative integer' on property ttl_sec.",
        Some("invalid_body"),
    );
    ticket(
        &auth0,
        &token,
        "email-verification",
        json!({ "user_id": "auth0|ghost" }),
    )
    .await
    .assert_api(404, "The user does not exist.", Some("inexistent_user"));
    ticket(
        &auth0,
        &token,
        "email-verification",
        json!({ "user_id": "auth0|nobody" }),
    )
    .await
    .assert_api(400, "The user does not have an email address.", Some("invalid_body"));
    ticket(
        &auth0,
        &token,
        "password-change",
        json!({ "email": "dade.murphy@example.com" }),
    )
    .await
    .assert_api(
        400,
        "Payload validation error: 'Missing required property: user_id (or email and connection_id)'.",
        Some("invalid_body"),
    );
    ticket(
        &auth0,
        &token,
        "password-change",
        json!({ "email": "dade.murphy@example.com", "connection_id": "con_nope" }),
    )
    .await
    .assert_api(404, "The user does not exist.", Some("inexistent_user"));
    // The scope is create:user_tickets.
    let reader = client_token(&auth0, "reader-client-id", "reader-secret", None).await;
    let res = ticket(&auth0, &reader, "password-change", json!({ "user_id": "auth0|dade" })).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{:#}", res.body);
    assert_eq!(
        res.body["message"],
        "Insufficient scope, expected any of: create:user_tickets"
    );
}
