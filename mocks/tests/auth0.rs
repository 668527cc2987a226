//! The mock Auth0's Authentication API through its router: `/oauth/token` (client credentials,
//! password and password-realm, every error row of auth0.md §2.1 the mock implements, form and
//! JSON bodies, HTTP Basic), the tokens checked against `/.well-known/jwks.json`, automatic
//! migration through a login script (§1.6) and legacy authentication, signup, the
//! change-password request and its reset link, and `/userinfo`.
//!
//! Run with `cargo test -p mocks --test auth0` (the Management API, import jobs and robustness
//! tests are the `auth0_management`, `auth0_jobs` and `auth0_robustness` binaries: `cargo test
//! -p mocks --test 'auth0*'`). Every tenant runs on a manual clock at 2026-01-01T00:00:00.000Z
//! with ids seeded from 1, so bodies are pinned exactly; a failing assertion prints the body.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use base64::Engine as _;
use mocks::Provider;
use mocks::auth0::{Auth0, DEFAULT_APP, MANAGEMENT_APP, MANAGEMENT_SCOPES, RESET_EMAIL_SENT, TIMEOUT_MESSAGE};
use serde_json::{Value, json};

use common::auth0::*;

const STOREFRONT: (&str, &str) = ("storefront-client-id", "storefront-secret");

const SEED: &str = r#"
settings: { bcrypt_cost: 4, default_directory: users }
clients:
  - { name: Storefront, client_id: storefront-client-id, client_secret: storefront-secret }
  - { name: Kiosk, client_id: kiosk-client-id, client_secret: kiosk-secret, grant_types: [password] }
  - name: Batch
    client_id: batch-client-id
    client_secret: batch-secret
    app_type: non_interactive
    grant_types: [client_credentials, password]
  - name: Reader
    client_id: reader-client-id
    client_secret: reader-secret
    app_type: non_interactive
    grant_types: [client_credentials]
    management_scopes: [read:users, read:connections]
connections:
  - name: users
  - name: staff
    enabled_clients: [Kiosk]
  - name: lenient
    options: { brute_force_protection: false }
users:
  - connection: users
    user_id: dade
    email: Dade.Murphy@example.com
    password: "Hunter2!"
    email_verified: true
    name: Dade Murphy
    given_name: Dade
    family_name: Murphy
  - { connection: users, user_id: kate, email: kate.libby@example.com, password: "Acid-Burn-1", blocked: true }
  - { connection: lenient, user_id: paul, email: paul.cook@example.com, password: "Lord-Nikon-1" }
"#;

fn storefront() -> Auth0 {
    tenant(SEED)
}

async fn token(auth0: &Auth0, pairs: &[(&str, &str)]) -> Res {
    send(auth0, form("/oauth/token", pairs)).await
}

fn cc<'a>(id: &'a str, secret: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "client_credentials"),
        ("client_id", id),
        ("client_secret", secret),
        ("audience", AUDIENCE),
    ]
}

fn gravatar(email: &str, initials: &str) -> String {
    use md5::{Digest, Md5};
    let hex: String = Md5::digest(email.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("https://s.gravatar.com/avatar/{hex}?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2F{initials}.png")
}

// ---------------------------------------------------------------- client credentials

#[tokio::test]
async fn client_credentials_give_the_management_app_every_scope_in_a_signed_jwt() {
    let auth0 = storefront();
    let (id, secret) = auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    let res = token(&auth0, &cc(&id, &secret)).await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(res.header("content-type"), "application/json");
    assert_eq!(res.header("cache-control"), "no-store");
    assert_eq!(res.header("pragma"), "no-cache");
    let access = res.expect_str("access_token");
    let scope = MANAGEMENT_SCOPES.join(" ");
    assert_eq!(
        res.body,
        json!({ "access_token": access, "expires_in": 86_400, "scope": scope, "token_type": "Bearer" })
    );
    assert_eq!(
        verified_claims(&auth0, &access).await,
        json!({
            "iss": ISSUER,
            "sub": format!("{id}@clients"),
            "aud": AUDIENCE,
            "iat": EPOCH_SECS,
            "exp": EPOCH_SECS + 86_400,
            "scope": scope,
            "azp": id,
            "gty": "client-credentials",
        })
    );
}

#[tokio::test]
async fn requested_scopes_are_cut_down_to_the_grant() {
    let auth0 = storefront();
    let mut pairs = cc("reader-client-id", "reader-secret");
    pairs.push(("scope", "read:users delete:users read:connections"));
    let res = token(&auth0, &pairs).await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(res.body["scope"], "read:users read:connections");
    let claims = verified_claims(&auth0, &res.expect_str("access_token")).await;
    assert_eq!(claims["scope"], "read:users read:connections");
    // Without a scope parameter the whole grant.
    let res = token(&auth0, &cc("reader-client-id", "reader-secret")).await;
    assert_eq!(res.body["scope"], "read:users read:connections");
}

// FIDELITY: auth0/issuer
#[tokio::test]
async fn the_tenant_domain_is_the_issuer_and_both_audiences_are_accepted() {
    let auth0 = storefront();
    seed(&auth0, "settings: { domain: ferry.eu.auth0.com }");
    assert_eq!(auth0.issuer(), "https://ferry.eu.auth0.com/");
    assert_eq!(auth0.management_audience(), "https://ferry.eu.auth0.com/api/v2/");
    let (id, secret) = auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    let mut pairs = cc(&id, &secret);
    pairs[3] = ("audience", "https://ferry.eu.auth0.com/api/v2/");
    let res = token(&auth0, &pairs).await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    let claims = verified_claims(&auth0, &res.expect_str("access_token")).await;
    assert_eq!(claims["iss"], "https://ferry.eu.auth0.com/");
    assert_eq!(claims["aud"], "https://ferry.eu.auth0.com/api/v2/");
    // The mock's own address stays an audience of the Management API, and its tokens work.
    let res = token(&auth0, &cc(&id, &secret)).await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    let users = send(&auth0, get("/api/v2/users", &res.expect_str("access_token"))).await;
    assert_eq!(users.status, StatusCode::OK, "{:#}", users.body);
}

#[tokio::test]
async fn client_credentials_need_an_audience_of_the_management_api() {
    let auth0 = storefront();
    let (id, secret) = auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    let mut pairs = cc(&id, &secret);
    pairs.pop();
    token(&auth0, &pairs).await.assert_oauth(
        403,
        "access_denied",
        "No audience parameter was provided, and no default audience has been configured",
    );
    pairs.push(("audience", ""));
    token(&auth0, &pairs).await.assert_oauth(
        403,
        "access_denied",
        "No audience parameter was provided, and no default audience has been configured",
    );
    pairs.pop();
    pairs.push(("audience", "https://api.example.com/"));
    token(&auth0, &pairs)
        .await
        .assert_oauth(403, "access_denied", "Service not found: https://api.example.com/");
    // Without the trailing slash it is another API.
    pairs.pop();
    pairs.push(("audience", "http://localhost/api/v2"));
    token(&auth0, &pairs)
        .await
        .assert_oauth(403, "access_denied", "Service not found: http://localhost/api/v2");
}

#[tokio::test]
async fn a_client_without_a_grant_on_the_management_api_is_refused() {
    let auth0 = storefront();
    token(&auth0, &cc("batch-client-id", "batch-secret")).await.assert_oauth(
        403,
        "access_denied",
        "Client is not authorized to access \"http://localhost/api/v2/\". You need to create a \"client-grant\" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants",
    );
    // An application without the grant type at all.
    token(&auth0, &cc(STOREFRONT.0, STOREFRONT.1)).await.assert_oauth(
        403,
        "unauthorized_client",
        "Grant type 'client_credentials' not allowed for the client.",
    );
}

#[tokio::test]
async fn unknown_clients_and_wrong_secrets_are_401_access_denied() {
    let auth0 = storefront();
    let (id, secret) = auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    for (client, secret) in [
        ("no-such-client", secret.as_str()),
        (id.as_str(), "wrong-secret"),
        (id.as_str(), ""),
        ("", secret.as_str()),
    ] {
        token(&auth0, &cc(client, secret))
            .await
            .assert_oauth(401, "access_denied", "Unauthorized");
    }
    // No secret at all for a confidential client.
    let res = token(
        &auth0,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("audience", AUDIENCE),
        ],
    )
    .await;
    res.assert_oauth(401, "access_denied", "Unauthorized");
    // An unknown client asking for a password grant learns nothing more.
    login(
        &auth0,
        ("no-such-client", "x"),
        "users",
        "dade.murphy@example.com",
        "Hunter2!",
    )
    .await
    .assert_oauth(401, "access_denied", "Unauthorized");
}

#[tokio::test]
async fn only_single_page_and_native_applications_log_users_in_without_a_secret() {
    let auth0 = storefront();
    seed(
        &auth0,
        "clients:\n  - { name: Spa, client_id: spa-client-id, app_type: spa }\n  - { name: Phone, client_id: phone-client-id, app_type: native }\nconnections: [{ name: users }]",
    );
    let without_secret = |client: &'static str| {
        let auth0 = auth0.clone();
        async move {
            token(
                &auth0,
                &[
                    ("grant_type", PASSWORD_REALM),
                    ("client_id", client),
                    ("realm", "users"),
                    ("username", "dade.murphy@example.com"),
                    ("password", "Hunter2!"),
                ],
            )
            .await
        }
    };
    for public in ["spa-client-id", "phone-client-id"] {
        let res = without_secret(public).await;
        assert_eq!(res.status, StatusCode::OK, "{public}: {:#}", res.body);
        // A secret that is sent must still be right.
        login(
            &auth0,
            (public, "wrong"),
            "users",
            "dade.murphy@example.com",
            "Hunter2!",
        )
        .await
        .assert_oauth(401, "access_denied", "Unauthorized");
    }
    // A regular web application is confidential: its secret is required.
    without_secret(STOREFRONT.0)
        .await
        .assert_oauth(401, "access_denied", "Unauthorized");
}

#[tokio::test]
async fn http_basic_client_authentication_and_json_bodies_work() {
    let auth0 = storefront();
    let (id, secret) = auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    let basic_req = |secret: &str| {
        Request::post("/oauth/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("authorization", basic(&id, secret))
            .body(Body::from(format!(
                "grant_type=client_credentials&audience={}",
                urlencode(AUDIENCE)
            )))
            .expect("request")
    };
    let res = send(&auth0, basic_req(&secret)).await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(
        verified_claims(&auth0, &res.expect_str("access_token")).await["sub"],
        format!("{id}@clients")
    );
    send(&auth0, basic_req("wrong"))
        .await
        .assert_oauth(401, "access_denied", "Unauthorized");

    // JSON, as the SDKs send it.
    let res = send(
        &auth0,
        json_req(
            Method::POST,
            "/oauth/token",
            &json!({ "grant_type": "client_credentials", "client_id": id, "client_secret": secret, "audience": AUDIENCE }),
            None,
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    let res = send(
        &auth0,
        json_req(
            Method::POST,
            "/oauth/token",
            &json!({ "grant_type": PASSWORD_REALM, "client_id": STOREFRONT.0, "client_secret": STOREFRONT.1, "realm": "users", "username": "dade.murphy@example.com", "password": "Hunter2!", "scope": null }),
            None,
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    // A JSON body that is not an object, or not JSON.
    for body in ["[1,2]", "{\"grant_type\":", "\"client_credentials\""] {
        let res = send(
            &auth0,
            Request::post("/oauth/token")
                .header("content-type", "application/json")
                .body(Body::from(body))
                .expect("request"),
        )
        .await;
        res.assert_oauth(400, "invalid_request", "Invalid JSON body");
    }
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn grant_types_are_checked_before_anything_else() {
    let auth0 = storefront();
    token(&auth0, &[("client_id", STOREFRONT.0)]).await.assert_oauth(
        400,
        "invalid_request",
        "Missing required parameter: grant_type",
    );
    token(
        &auth0,
        &[("grant_type", "urn:example:grant"), ("client_id", STOREFRONT.0)],
    )
    .await
    .assert_oauth(
        403,
        "unsupported_grant_type",
        "Unsupported grant type: urn:example:grant",
    );
}

// ---------------------------------------------------------------- password grants

#[tokio::test]
async fn password_realm_login_gives_an_access_token_and_an_id_token_with_openid() {
    let auth0 = storefront();
    let res = token(
        &auth0,
        &[
            ("grant_type", PASSWORD_REALM),
            ("client_id", STOREFRONT.0),
            ("client_secret", STOREFRONT.1),
            ("realm", "users"),
            ("username", "DADE.MURPHY@example.com"),
            ("password", "Hunter2!"),
            ("scope", "openid profile email"),
            ("audience", "https://api.example.com/"),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(res.header("cache-control"), "no-store");
    let (access, id) = (res.expect_str("access_token"), res.expect_str("id_token"));
    assert_eq!(
        res.body,
        json!({ "access_token": access, "id_token": id, "expires_in": 86_400, "scope": "openid profile email", "token_type": "Bearer" })
    );
    assert_eq!(
        verified_claims(&auth0, &access).await,
        json!({
            "iss": ISSUER,
            "sub": "auth0|dade",
            "aud": ["https://api.example.com/", "http://localhost/userinfo"],
            "iat": EPOCH_SECS,
            "exp": EPOCH_SECS + 86_400,
            "scope": "openid profile email",
            "azp": STOREFRONT.0,
            "gty": "password",
        })
    );
    assert_eq!(
        verified_claims(&auth0, &id).await,
        json!({
            "iss": ISSUER,
            "sub": "auth0|dade",
            "aud": STOREFRONT.0,
            "iat": EPOCH_SECS,
            "exp": EPOCH_SECS + 36_000,
            "name": "Dade Murphy",
            "nickname": "dade.murphy",
            "picture": gravatar("dade.murphy@example.com", "dm"),
            "given_name": "Dade",
            "family_name": "Murphy",
            "updated_at": "2026-01-01T00:00:00.000Z",
            "email": "dade.murphy@example.com",
            "email_verified": true,
        })
    );
    // The login is counted on the user.
    let user = &auth0.users()[0];
    assert_eq!(user["logins_count"], 1);
    assert_eq!(user["last_login"], "2026-01-01T00:00:00.000Z");
    assert_eq!(user["last_ip"], "127.0.0.1");
}

#[tokio::test]
async fn the_id_token_needs_openid_and_claims_follow_the_scopes() {
    let auth0 = storefront();
    let res = login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "Hunter2!").await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    let access = res.expect_str("access_token");
    assert_eq!(
        res.body,
        json!({ "access_token": access, "expires_in": 86_400, "token_type": "Bearer" }),
        "no scope asked, none answered, no id_token"
    );
    // Its only audience is /userinfo, so it is opaque, as Auth0's are: a JWE sealed with a key
    // only the tenant holds, which /userinfo takes and the Management API does not.
    let parts: Vec<&str> = access.split('.').collect();
    assert_eq!(parts.len(), 5, "a compact JWE: {access}");
    assert_eq!(parts[1], "", "direct encryption carries no key");
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[0])
            .expect("base64url"),
    )
    .expect("a JSON header");
    assert_eq!(header, json!({ "alg": "dir", "enc": "A256GCM", "iss": ISSUER }));
    assert_eq!(userinfo_sub(&auth0, &access).await, "auth0|dade");
    assert_eq!(auth0.token_subject(&access).as_deref(), Some("auth0|dade"));
    assert_eq!(
        send(&auth0, get("/api/v2/users", &access)).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Changing its ciphertext makes it worthless.
    let flipped = if parts[3].starts_with('A') { "B" } else { "A" };
    let tampered = [
        parts[0],
        parts[1],
        parts[2],
        &format!("{flipped}{}", &parts[3][1..]),
        parts[4],
    ]
    .join(".");
    assert_eq!(
        send(&auth0, get("/userinfo", &tampered)).await.status,
        StatusCode::UNAUTHORIZED
    );

    let with = |scope: &'static str| {
        let auth0 = auth0.clone();
        async move {
            token(
                &auth0,
                &[
                    ("grant_type", PASSWORD_REALM),
                    ("client_id", STOREFRONT.0),
                    ("client_secret", STOREFRONT.1),
                    ("realm", "users"),
                    ("username", "dade.murphy@example.com"),
                    ("password", "Hunter2!"),
                    ("scope", scope),
                ],
            )
            .await
        }
    };
    let res = with("profile email").await;
    assert_eq!(res.body.get("id_token"), None, "{:#}", res.body);
    assert_eq!(res.body["scope"], "profile email");
    let res = with("openid").await;
    let claims = verified_claims(&auth0, &res.expect_str("id_token")).await;
    let keys: Vec<&str> = claims.as_object().expect("claims").keys().map(String::as_str).collect();
    assert_eq!(keys, ["iss", "sub", "aud", "iat", "exp"]);
    let res = with("openid email").await;
    let claims = verified_claims(&auth0, &res.expect_str("id_token")).await;
    assert_eq!(claims["email"], "dade.murphy@example.com");
    assert_eq!(claims.get("name"), None);
}

#[tokio::test]
async fn offline_access_gives_a_refresh_token_that_renews_the_grant_until_revoked() {
    let auth0 = storefront();
    let login = |client: (&'static str, &'static str), scope: &'static str| {
        let auth0 = auth0.clone();
        async move {
            token(
                &auth0,
                &[
                    ("grant_type", PASSWORD_REALM),
                    ("client_id", client.0),
                    ("client_secret", client.1),
                    ("realm", "users"),
                    ("username", "dade.murphy@example.com"),
                    ("password", "Hunter2!"),
                    ("scope", scope),
                ],
            )
            .await
        }
    };
    let refresh = |client: (String, String), refresh_token: String, scope: Option<&'static str>| {
        let auth0 = auth0.clone();
        async move {
            let mut pairs = vec![
                ("grant_type", "refresh_token".to_owned()),
                ("client_id", client.0),
                ("client_secret", client.1),
                ("refresh_token", refresh_token),
            ];
            if let Some(scope) = scope {
                pairs.push(("scope", scope.to_owned()));
            }
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            token(&auth0, &pairs).await
        }
    };
    let storefront = (STOREFRONT.0.to_owned(), STOREFRONT.1.to_owned());

    // Without offline_access, or for an application without the refresh_token grant: none.
    assert_eq!(login(STOREFRONT, "openid").await.body.get("refresh_token"), None);
    let kiosk = token(
        &auth0,
        &[
            ("grant_type", "password"),
            ("client_id", "kiosk-client-id"),
            ("client_secret", "kiosk-secret"),
            ("username", "dade.murphy@example.com"),
            ("password", "Hunter2!"),
            ("scope", "openid offline_access"),
        ],
    )
    .await;
    assert_eq!(kiosk.status, StatusCode::OK, "{:#}", kiosk.body);
    assert_eq!(
        kiosk.body.get("refresh_token"),
        None,
        "Kiosk may not use refresh tokens"
    );

    let res = login(STOREFRONT, "openid email offline_access").await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    let refresh_token = res.expect_str("refresh_token");
    assert!(
        refresh_token.starts_with("v1.") && refresh_token.len() > 40,
        "{refresh_token}"
    );

    // It renews the grant: a new access token for the same user and an ID token, no new
    // refresh token (no rotation), the original scope.
    auth0.kit().clock.advance(Duration::from_secs(3600));
    let renewed = refresh(storefront.clone(), refresh_token.clone(), None).await;
    assert_eq!(renewed.status, StatusCode::OK, "{:#}", renewed.body);
    assert_eq!(renewed.body["scope"], "openid email offline_access");
    assert_eq!(renewed.body.get("refresh_token"), None);
    assert_eq!(
        userinfo_sub(&auth0, &renewed.expect_str("access_token")).await,
        "auth0|dade"
    );
    let id_token = verified_claims(&auth0, &renewed.expect_str("id_token")).await;
    assert_eq!(id_token["sub"], "auth0|dade");
    assert_eq!(id_token["email"], "dade.murphy@example.com");
    assert_eq!(id_token["iat"], EPOCH_SECS + 3600, "issued now, on the mock clock");

    // A scope may narrow the grant, never widen it.
    let narrowed = refresh(storefront.clone(), refresh_token.clone(), Some("openid")).await;
    assert_eq!(narrowed.status, StatusCode::OK, "{:#}", narrowed.body);
    assert_eq!(narrowed.body["scope"], "openid");
    refresh(storefront.clone(), refresh_token.clone(), Some("openid profile"))
        .await
        .assert_oauth(
            403,
            "invalid_scope",
            "The scope profile was not granted with this refresh token.",
        );

    // Only the application it was issued to can use it; unknown and missing tokens are refused.
    let other = auth0.client_credentials(DEFAULT_APP).expect("the default app");
    refresh(other, refresh_token.clone(), None).await.assert_oauth(
        403,
        "invalid_grant",
        "Unknown or invalid refresh token.",
    );
    refresh(storefront.clone(), "v1.forged".into(), None)
        .await
        .assert_oauth(403, "invalid_grant", "Unknown or invalid refresh token.");
    token(
        &auth0,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", STOREFRONT.0),
            ("client_secret", STOREFRONT.1),
        ],
    )
    .await
    .assert_oauth(400, "invalid_request", "Missing required parameter: refresh_token");

    // A blocked user's refresh token stops working.
    let (id, secret) = auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    let management = token(&auth0, &cc(&id, &secret)).await.expect_str("access_token");
    let block = |blocked: bool| {
        json_req(
            Method::PATCH,
            "/api/v2/users/auth0%7Cdade",
            &json!({ "blocked": blocked }),
            Some(&management),
        )
    };
    assert_eq!(send(&auth0, block(true)).await.status, StatusCode::OK);
    refresh(storefront.clone(), refresh_token.clone(), None)
        .await
        .assert_oauth(401, "unauthorized", "user is blocked");
    assert_eq!(send(&auth0, block(false)).await.status, StatusCode::OK);
    assert_eq!(
        refresh(storefront.clone(), refresh_token.clone(), None).await.status,
        StatusCode::OK
    );

    // Revoked (RFC 7009: revoking an unknown token is no error), it is worthless.
    let revoke = |token: &str| {
        form(
            "/oauth/revoke",
            &[
                ("client_id", STOREFRONT.0),
                ("client_secret", STOREFRONT.1),
                ("token", token),
            ],
        )
    };
    let res = send(&auth0, revoke(&refresh_token)).await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(send(&auth0, revoke("v1.unknown")).await.status, StatusCode::OK);
    refresh(storefront, refresh_token, None).await.assert_oauth(
        403,
        "invalid_grant",
        "Unknown or invalid refresh token.",
    );
    send(
        &auth0,
        form(
            "/oauth/revoke",
            &[("client_id", STOREFRONT.0), ("client_secret", STOREFRONT.1)],
        ),
    )
    .await
    .assert_oauth(400, "invalid_request", "Missing required parameter: token");

    // Each exchange is in the tenant log: three renewals, five refusals (the request without a
    // refresh_token never got to one).
    let exchanges: Vec<(String, String, Option<String>)> = auth0
        .logs()
        .into_iter()
        .filter(|l| l.kind.ends_with("ertft"))
        .map(|l| (l.kind, l.description, l.user_id))
        .collect();
    let dade = Some("auth0|dade".to_owned());
    let ok = || {
        (
            "sertft".to_owned(),
            "Successful exchange of Refresh Token for Access Token".to_owned(),
            dade.clone(),
        )
    };
    let refused = |description: &str, user: Option<String>| ("fertft".to_owned(), description.to_owned(), user);
    assert_eq!(
        exchanges,
        [
            ok(),
            ok(),
            refused(
                "The scope profile was not granted with this refresh token.",
                dade.clone()
            ),
            refused("Unknown or invalid refresh token.", None),
            refused("Unknown or invalid refresh token.", None),
            refused("user is blocked", dade.clone()),
            ok(),
            refused("Unknown or invalid refresh token.", None),
        ]
    );
}

#[tokio::test]
async fn the_password_grant_uses_the_default_directory() {
    let auth0 = storefront();
    let pairs = |password: &'static str| {
        vec![
            ("grant_type", "password"),
            ("client_id", STOREFRONT.0),
            ("client_secret", STOREFRONT.1),
            ("username", "dade.murphy@example.com"),
            ("password", password),
        ]
    };
    let res = token(&auth0, &pairs("Hunter2!")).await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(
        userinfo_sub(&auth0, &res.expect_str("access_token")).await,
        "auth0|dade"
    );
    token(&auth0, &pairs("hunter2!"))
        .await
        .assert_oauth(403, "invalid_grant", WRONG_CREDENTIALS);
    // A realm on the password grant is ignored: the default directory answers.
    let mut with_realm = pairs("Hunter2!");
    with_realm.push(("realm", "staff"));
    assert_eq!(token(&auth0, &with_realm).await.status, StatusCode::OK);

    let bare = tenant(
        "clients: [{ name: Storefront, client_id: storefront-client-id, client_secret: storefront-secret }]\nconnections: [{ name: users }]",
    );
    token(&bare, &pairs("Hunter2!")).await.assert_oauth(
        500,
        "server_error",
        "Authorization server not configured with default connection.",
    );
}

#[tokio::test]
async fn every_password_grant_error_row_of_the_reference() {
    let auth0 = storefront();
    let realm = |client: (&'static str, &'static str), realm: &'static str, user: &'static str, pw: &'static str| {
        let auth0 = auth0.clone();
        async move {
            let mut pairs = vec![
                ("grant_type", PASSWORD_REALM),
                ("client_id", client.0),
                ("client_secret", client.1),
            ];
            if !realm.is_empty() {
                pairs.push(("realm", realm));
            }
            if !user.is_empty() {
                pairs.push(("username", user));
            }
            if !pw.is_empty() {
                pairs.push(("password", pw));
            }
            token(&auth0, &pairs).await
        }
    };
    realm(STOREFRONT, "users", "", "Hunter2!")
        .await
        .assert_oauth(400, "invalid_request", "missing username parameter");
    realm(STOREFRONT, "users", "dade.murphy@example.com", "")
        .await
        .assert_oauth(400, "invalid_request", "missing password parameter");
    realm(STOREFRONT, "", "dade.murphy@example.com", "Hunter2!")
        .await
        .assert_oauth(400, "invalid_request", "missing realm parameter");
    realm(STOREFRONT, "nowhere", "dade.murphy@example.com", "Hunter2!")
        .await
        .assert_oauth(400, "invalid_request", "the connection was not found");
    realm(STOREFRONT, "staff", "dade.murphy@example.com", "Hunter2!")
        .await
        .assert_oauth(400, "invalid_request", "the connection was disabled");
    realm(
        ("kiosk-client-id", "kiosk-secret"),
        "staff",
        "dade.murphy@example.com",
        "Hunter2!",
    )
    .await
    .assert_oauth(
        403,
        "unauthorized_client",
        "Grant type 'http://auth0.com/oauth/grant-type/password-realm' not allowed for the client.",
    );
    let res = token(
        &auth0,
        &[
            ("grant_type", "password"),
            ("client_id", "reader-client-id"),
            ("client_secret", "reader-secret"),
            ("username", "dade.murphy@example.com"),
            ("password", "Hunter2!"),
        ],
    )
    .await;
    res.assert_oauth(
        403,
        "unauthorized_client",
        "Grant type 'password' not allowed for the client.",
    );
    // Wrong password and unknown user: the same answer.
    realm(STOREFRONT, "users", "dade.murphy@example.com", "hunter2!")
        .await
        .assert_oauth(403, "invalid_grant", WRONG_CREDENTIALS);
    realm(STOREFRONT, "users", "nobody@example.com", "Hunter2!")
        .await
        .assert_oauth(403, "invalid_grant", WRONG_CREDENTIALS);
    // Admin-blocked, even with the right password.
    realm(STOREFRONT, "users", "kate.libby@example.com", "Acid-Burn-1")
        .await
        .assert_oauth(401, "unauthorized", "user is blocked");

    let token = management_token(&auth0).await;
    let logs = send(&auth0, get("/api/v2/logs", &token)).await;
    let kinds: Vec<(&str, &str)> = logs
        .body
        .as_array()
        .expect("logs")
        .iter()
        .map(|l| {
            (
                l["type"].as_str().unwrap_or(""),
                l["description"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("f", "user is blocked"),
            ("fu", WRONG_CREDENTIALS),
            ("fp", WRONG_CREDENTIALS),
        ],
        "newest first"
    );
}

const BLOCKED_MESSAGE: &str = "Your account has been blocked after multiple consecutive login attempts. We've sent you a notification via your preferred contact method with instructions on how to unblock it.";

#[tokio::test]
async fn ten_failures_from_one_address_block_the_user_there_with_429() {
    let auth0 = storefront();
    for attempt in 1..=10 {
        let res = login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "wrong").await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "attempt {attempt}: {:#}", res.body);
    }
    // The eleventh attempt is refused even with the right password.
    login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "Hunter2!")
        .await
        .assert_oauth(429, "too_many_attempts", BLOCKED_MESSAGE);
    login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "wrong")
        .await
        .assert_oauth(429, "too_many_attempts", BLOCKED_MESSAGE);
    // Another address (a trusted app forwarding the end user's) is not blocked.
    let res = send(
        &auth0,
        Request::post("/oauth/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("auth0-forwarded-for", "203.0.113.7, 10.0.0.1")
            .body(Body::from(format!(
                "grant_type={}&client_id={}&client_secret={}&realm=users&username=dade.murphy%40example.com&password=Hunter2%21",
                urlencode(PASSWORD_REALM),
                STOREFRONT.0,
                STOREFRONT.1
            )))
            .expect("request"),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(auth0.users()[0]["last_ip"], "203.0.113.7");
    let last = auth0.logs();
    let kinds: Vec<&str> = last.iter().map(|l| l.kind.as_str()).collect();
    assert_eq!(kinds[..10], ["fp"; 10]);
    assert_eq!(kinds[10..], ["limit_wc", "limit_wc", "s"]);
}

#[tokio::test]
async fn brute_force_protection_can_be_switched_off_and_its_threshold_set() {
    let auth0 = storefront();
    for _ in 0..12 {
        login(&auth0, STOREFRONT, "lenient", "paul.cook@example.com", "wrong")
            .await
            .assert_oauth(403, "invalid_grant", WRONG_CREDENTIALS);
    }
    assert_eq!(
        login(&auth0, STOREFRONT, "lenient", "paul.cook@example.com", "Lord-Nikon-1")
            .await
            .status,
        StatusCode::OK
    );

    seed(&auth0, "settings: { brute_force_max_attempts: 2 }");
    for _ in 0..2 {
        login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "wrong")
            .await
            .assert_oauth(403, "invalid_grant", WRONG_CREDENTIALS);
    }
    login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "Hunter2!")
        .await
        .assert_oauth(429, "too_many_attempts", BLOCKED_MESSAGE);
}

#[tokio::test]
async fn a_success_before_the_threshold_starts_the_count_again() {
    let auth0 = storefront();
    for _ in 0..9 {
        login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "wrong").await;
    }
    assert_eq!(
        login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "Hunter2!")
            .await
            .status,
        StatusCode::OK
    );
    for _ in 0..9 {
        login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "wrong")
            .await
            .assert_oauth(403, "invalid_grant", WRONG_CREDENTIALS);
    }
    assert_eq!(
        login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "Hunter2!")
            .await
            .status,
        StatusCode::OK
    );
}

// ---------------------------------------------------------------- automatic migration

const LOGIN_SCRIPT: &str = r#"function login(email, password, callback) {
  switch (email) {
    case 'boom@example.com': return callback(new Error('legacy database unreachable'));
    case 'throw@example.com': throw new TypeError('cannot read the legacy row');
    case 'slow@example.com': while (true) {}
    case 'silent@example.com': return;
    case 'nobody@example.com': return callback(null);
    case 'locked@example.com': return callback(new UnauthorizedError('Your legacy account is locked'));
    case 'noid@example.com': return callback(null, { email: email });
    case 'bool@example.com': return callback(null, true);
  }
  if (email.toLowerCase() !== 'ann.legacy@example.com') return callback(new WrongUsernameOrPasswordError(null, 'no such user'));
  if (password !== configuration.ANN_PASSWORD) return callback(new WrongUsernameOrPasswordError(email, 'bad password'));
  console.log('migrating ' + email);
  callback(null, {
    user_id: 'legacy-42',
    email: 'Ann.Legacy@Example.com',
    email_verified: true,
    name: 'Ann Legacy',
    given_name: 'Ann',
    user_metadata: { plan: 'gold' },
    metadata: { tier: 2 },
    favourite_colour: 'teal'
  });
}"#;

fn legacy_tenant(import_mode: bool) -> Auth0 {
    let script = serde_json::to_string(LOGIN_SCRIPT).expect("json string");
    let yaml = format!(
        r#"
settings: {{ bcrypt_cost: 4, script_time_limit: 300ms }}
clients:
  - {{ name: Storefront, client_id: storefront-client-id, client_secret: storefront-secret }}
connections:
  - name: legacy-db
    options:
      enabledDatabaseCustomization: true
      import_mode: {import_mode}
      configuration: {{ ANN_PASSWORD: "Legacy-Pass-1" }}
      customScripts:
        login: {script}
"#
    );
    tenant(&yaml)
}

fn ann() -> Value {
    json!({
        "user_id": "auth0|legacy-42",
        "email": "ann.legacy@example.com",
        "email_verified": true,
        "name": "Ann Legacy",
        "nickname": "ann.legacy",
        "picture": gravatar("ann.legacy@example.com", "al"),
        "given_name": "Ann",
        "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "2026-01-01T00:00:00.000Z",
        "identities": [{ "connection": "legacy-db", "user_id": "legacy-42", "provider": "auth0", "isSocial": false }],
        "user_metadata": { "plan": "gold" },
        "app_metadata": { "tier": 2 },
        "last_login": "2026-01-01T00:00:00.000Z",
        "last_ip": "127.0.0.1",
        "logins_count": 1,
        "favourite_colour": "teal",
    })
}

fn outcomes(auth0: &Auth0) -> Vec<String> {
    auth0.script_executions().into_iter().map(|e| e.outcome).collect()
}

#[tokio::test]
async fn first_login_runs_the_script_and_stores_the_user_later_logins_never_do() {
    let auth0 = legacy_tenant(true);
    let res = login(
        &auth0,
        STOREFRONT,
        "legacy-db",
        "Ann.Legacy@example.com",
        "Legacy-Pass-1",
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(
        userinfo_sub(&auth0, &res.expect_str("access_token")).await,
        "auth0|legacy-42"
    );
    assert_eq!(auth0.users(), [ann()]);
    let runs = auth0.script_executions();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].outcome, "profile");
    assert_eq!(
        runs[0].args,
        [json!("Ann.Legacy@example.com"), json!("[masked]")],
        "the identifier as typed, the password masked"
    );
    assert_eq!(runs[0].console[0].text, "migrating Ann.Legacy@example.com");

    // The store answers from now on: the right password, then a wrong one, both local.
    auth0.kit().clock.advance(Duration::from_secs(60));
    let res = login(
        &auth0,
        STOREFRONT,
        "legacy-db",
        "ann.legacy@example.com",
        "Legacy-Pass-1",
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    login(
        &auth0,
        STOREFRONT,
        "legacy-db",
        "ann.legacy@example.com",
        "Legacy-Pass-2",
    )
    .await
    .assert_oauth(403, "invalid_grant", WRONG_CREDENTIALS);
    assert_eq!(auth0.script_executions().len(), 1, "the script never runs again");
    let user = &auth0.users()[0];
    assert_eq!(user["logins_count"], 2);
    assert_eq!(user["last_login"], "2026-01-01T00:01:00.000Z");
    assert_eq!(user["created_at"], "2026-01-01T00:00:00.000Z");
    // Even when the legacy password changes, the stored (bcrypt) one is what counts.
    seed(
        &auth0,
        &format!(
            "connections: [{{ name: legacy-db, options: {{ enabledDatabaseCustomization: true, import_mode: true, configuration: {{ ANN_PASSWORD: other }}, customScripts: {{ login: {} }} }} }}]",
            serde_json::to_string(LOGIN_SCRIPT).expect("json")
        ),
    );
    assert_eq!(
        login(
            &auth0,
            STOREFRONT,
            "legacy-db",
            "ann.legacy@example.com",
            "Legacy-Pass-1"
        )
        .await
        .status,
        StatusCode::OK
    );
    login(&auth0, STOREFRONT, "legacy-db", "ann.legacy@example.com", "other")
        .await
        .assert_oauth(403, "invalid_grant", WRONG_CREDENTIALS);
    assert_eq!(auth0.script_executions().len(), 1);
}

/// With the `ghost_users` switch off, the reading of Auth0's script best-practices page ("a
/// login made by the deleted user could result in ... the user again migrating"); by default a
/// deleted migrated user is a ghost instead (`auth0_tenant.rs`).
// FIDELITY: auth0/ghost-users
#[tokio::test]
async fn with_ghost_users_off_a_user_deleted_from_auth0_is_migrated_again() {
    let auth0 = legacy_tenant(true);
    seed(&auth0, "settings: { ghost_users: false }");
    let res = login(
        &auth0,
        STOREFRONT,
        "legacy-db",
        "ann.legacy@example.com",
        "Legacy-Pass-1",
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    let token = management_token(&auth0).await;
    let res = send(
        &auth0,
        bearer(Method::DELETE, "/api/v2/users/auth0%7Clegacy-42", &token),
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert!(auth0.users().is_empty());
    let res = login(
        &auth0,
        STOREFRONT,
        "legacy-db",
        "ann.legacy@example.com",
        "Legacy-Pass-1",
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(auth0.script_executions().len(), 2);
    assert_eq!(auth0.users().len(), 1);
}

#[tokio::test]
async fn script_failures_answer_as_the_module_says_and_create_no_user() {
    let auth0 = legacy_tenant(true);
    let cases: [(&str, u16, &str, &str); 10] = [
        ("ann.legacy@example.com", 403, "invalid_grant", WRONG_CREDENTIALS),
        ("stranger@example.com", 403, "invalid_grant", WRONG_CREDENTIALS),
        ("nobody@example.com", 403, "invalid_grant", WRONG_CREDENTIALS),
        ("boom@example.com", 403, "access_denied", "legacy database unreachable"),
        ("throw@example.com", 403, "access_denied", "cannot read the legacy row"),
        ("slow@example.com", 403, "access_denied", TIMEOUT_MESSAGE),
        ("silent@example.com", 403, "access_denied", TIMEOUT_MESSAGE),
        (
            "locked@example.com",
            401,
            "unauthorized",
            "Your legacy account is locked",
        ),
        (
            "noid@example.com",
            403,
            "access_denied",
            "The user_id is mandatory: the script's profile has no user_id",
        ),
        (
            "bool@example.com",
            403,
            "access_denied",
            "The login script must call back with a user profile",
        ),
    ];
    for (email, status, error, description) in cases {
        let res = login(&auth0, STOREFRONT, "legacy-db", email, "wrong-password").await;
        assert_eq!(res.status.as_u16(), status, "{email}: {:#}", res.body);
        res.assert_oauth(status, error, description);
    }
    assert!(auth0.users().is_empty(), "{:#?}", auth0.users());
    assert_eq!(
        outcomes(&auth0),
        [
            "wrong_credentials",
            "wrong_credentials",
            "not_found",
            "error",
            "threw",
            "timed_out",
            "no_callback",
            "error",
            "profile",
            "value",
        ]
    );
    let logs: Vec<(String, String)> = auth0
        .logs()
        .into_iter()
        .map(|l| (l.kind, l.user_name.unwrap_or_default()))
        .collect();
    assert_eq!(
        logs[0],
        ("fp".into(), "ann.legacy@example.com".into()),
        "user id given: fp"
    );
    assert_eq!(logs[1], ("fu".into(), "stranger@example.com".into()), "null user: fu");
    assert_eq!(logs[2].0, "fu");
    assert!(logs[3..].iter().all(|(kind, _)| kind == "f"), "{logs:?}");
}

#[tokio::test]
async fn a_profile_whose_email_another_user_has_is_refused_and_stores_nothing() {
    // The script answers for a username with the email of a user already in the store.
    let script = "function login(name, password, callback) { callback(null, { user_id: 'legacy-7', email: 'Dade.Murphy@example.com', username: name }); }";
    let auth0 = tenant(&format!(
        "settings: {{ bcrypt_cost: 4 }}\nclients: [{{ name: Storefront, client_id: storefront-client-id, client_secret: storefront-secret }}]\nconnections: [{{ name: legacy-db, options: {{ enabledDatabaseCustomization: true, import_mode: true, customScripts: {{ login: {} }} }} }}]\nusers: [{{ connection: legacy-db, user_id: dade, email: dade.murphy@example.com, password: x }}]",
        serde_json::to_string(script).expect("json")
    ));
    login(&auth0, STOREFRONT, "legacy-db", "zerocool", "whatever")
        .await
        .assert_oauth(403, "access_denied", "The user already exists.");
    let users = auth0.users();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["user_id"], "auth0|dade");
}

#[tokio::test]
async fn a_refused_migration_is_logged_as_a_failed_login() {
    let script = "function login(name, password, callback) { callback(null, { user_id: 'legacy-7', email: 'dade.murphy@example.com' }); }";
    let auth0 = tenant(&format!(
        "settings: {{ bcrypt_cost: 4 }}\nclients: [{{ name: Storefront, client_id: storefront-client-id, client_secret: storefront-secret }}]\nconnections: [{{ name: legacy-db, options: {{ enabledDatabaseCustomization: true, import_mode: true, customScripts: {{ login: {} }} }} }}]\nusers: [{{ connection: legacy-db, user_id: dade, email: dade.murphy@example.com, password: x }}]",
        serde_json::to_string(script).expect("json")
    ));
    login(&auth0, STOREFRONT, "legacy-db", "zerocool", "whatever")
        .await
        .assert_oauth(403, "access_denied", "The user already exists.");
    let logs = auth0.logs();
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(
        (logs[0].kind.as_str(), logs[0].description.as_str()),
        ("f", "The user already exists.")
    );
}

#[tokio::test]
async fn a_connection_without_a_login_script_is_not_yet_configured() {
    let auth0 = tenant(
        "clients: [{ name: Storefront, client_id: storefront-client-id, client_secret: storefront-secret }]\nconnections: [{ name: legacy-db, options: { enabledDatabaseCustomization: true, import_mode: true, customScripts: { login: '  ' } } }]",
    );
    login(&auth0, STOREFRONT, "legacy-db", "ann.legacy@example.com", "x")
        .await
        .assert_oauth(
            400,
            "invalid_request",
            "The connection is not yet configured. Please set the login script of the custom database connection.",
        );
}

#[tokio::test]
async fn legacy_authentication_runs_the_script_at_every_login_and_keeps_no_hash() {
    let auth0 = legacy_tenant(false);
    for minute in 0..2 {
        auth0.kit().clock.advance(Duration::from_secs(60 * minute));
        let res = login(
            &auth0,
            STOREFRONT,
            "legacy-db",
            "Ann.Legacy@Example.com",
            "Legacy-Pass-1",
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    }
    login(
        &auth0,
        STOREFRONT,
        "legacy-db",
        "ann.legacy@example.com",
        "Legacy-Pass-2",
    )
    .await
    .assert_oauth(403, "invalid_grant", WRONG_CREDENTIALS);
    assert_eq!(outcomes(&auth0), ["profile", "profile", "wrong_credentials"]);
    let users = auth0.users();
    assert_eq!(users.len(), 1);
    let user = &users[0];
    // Emails are kept as the script returned them without import mode.
    assert_eq!(user["email"], "Ann.Legacy@Example.com");
    assert_eq!(user["logins_count"], 2);
    assert_eq!(user["created_at"], "2026-01-01T00:00:00.000Z");
    assert_eq!(user["last_login"], "2026-01-01T00:01:00.000Z");

    // A password change in the legacy store is seen at once.
    seed(
        &auth0,
        &format!(
            "connections: [{{ name: legacy-db, options: {{ enabledDatabaseCustomization: true, configuration: {{ ANN_PASSWORD: Legacy-Pass-2 }}, customScripts: {{ login: {} }} }} }}]",
            serde_json::to_string(LOGIN_SCRIPT).expect("json")
        ),
    );
    let res = login(
        &auth0,
        STOREFRONT,
        "legacy-db",
        "ann.legacy@example.com",
        "Legacy-Pass-2",
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
}

// ---------------------------------------------------------------- signup

async fn signup(auth0: &Auth0, body: &Value) -> Res {
    send(auth0, json_req(Method::POST, "/dbconnections/signup", body, None)).await
}

#[tokio::test]
async fn signup_stores_the_user_and_answers_with_its_id() {
    let auth0 = storefront();
    let res = signup(
        &auth0,
        &json!({
            "client_id": STOREFRONT.0,
            "connection": "users",
            "email": "Eugene.Belford@example.com",
            "password": "Plague-2024!",
            "given_name": "Eugene",
            "user_metadata": { "handle": "plague" },
        }),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    let id = res.expect_str("_id");
    assert_eq!(id.len(), 24);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
    assert_eq!(
        res.body,
        json!({ "_id": id, "email_verified": false, "email": "eugene.belford@example.com", "given_name": "Eugene", "user_metadata": { "handle": "plague" } })
    );
    let res = login(
        &auth0,
        STOREFRONT,
        "users",
        "eugene.belford@example.com",
        "Plague-2024!",
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(
        userinfo_sub(&auth0, &res.expect_str("access_token")).await,
        format!("auth0|{id}")
    );
    assert_eq!(auth0.logs()[0].kind, "ss");

    // Again: the user exists.
    signup(
        &auth0,
        &json!({ "client_id": STOREFRONT.0, "connection": "users", "email": "eugene.belford@example.com", "password": "Plague-2024!" }),
    )
    .await
    .assert_db(400, "BadRequestError", "user_exists", "The user already exists.");
}

#[tokio::test]
async fn signup_errors_use_the_dbconnections_shape() {
    let auth0 = storefront();
    let base = json!({ "client_id": STOREFRONT.0, "connection": "users", "email": "new@example.com", "password": "Plague-2024!" });
    for (missing, description) in [
        ("client_id", "client_id is required"),
        ("email", "email is required"),
        ("password", "password is required"),
        ("connection", "connection is required"),
    ] {
        let mut body = base.clone();
        body.as_object_mut().expect("object").remove(missing);
        signup(&auth0, &body)
            .await
            .assert_db(400, "BadRequestError", "invalid_signup", description);
    }
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    signup(&auth0, &with("email", json!("not-an-email"))).await.assert_db(
        400,
        "BadRequestError",
        "invalid_signup",
        "Invalid sign up",
    );
    signup(&auth0, &with("client_id", json!("nope"))).await.assert_db(
        400,
        "BadRequestError",
        "invalid_signup",
        "Invalid sign up: unknown client",
    );
    signup(&auth0, &with("connection", json!("staff"))).await.assert_db(
        400,
        "BadRequestError",
        "invalid_signup",
        "Invalid sign up: the connection is not enabled for this client",
    );
    let res = signup(&auth0, &with("password", json!("weakling"))).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        res.body,
        json!({
            "name": "PasswordStrengthError",
            "message": "Password is too weak",
            "code": "invalid_password",
            "description": {
                "rules": [{ "message": "At least 3 of the following 4 types of characters: lower case letters (a-z), upper case letters (A-Z), numbers (i.e. 0-9), special characters (e.g. !@#$%^&*)", "verified": false }],
                "verified": false,
            },
            "policy": "good",
            "statusCode": 400,
        })
    );
    assert!(auth0.users().iter().all(|u| u["email"] != "new@example.com"));
}

#[tokio::test]
async fn signup_on_an_import_mode_connection_asks_get_user_first() {
    let get_user = r#"function getByEmail(email, callback) {
  if (email === 'ann.legacy@example.com') return callback(null, { user_id: 'legacy-42', email: email });
  if (email === 'down@example.com') return callback(new Error('legacy database unreachable'));
  callback(null);
}"#;
    let auth0 = tenant(&format!(
        "settings: {{ bcrypt_cost: 4 }}\nclients: [{{ name: Storefront, client_id: storefront-client-id, client_secret: storefront-secret }}]\nconnections: [{{ name: legacy-db, options: {{ enabledDatabaseCustomization: true, import_mode: true, passwordPolicy: low, customScripts: {{ login: 'function login(e, p, cb) {{ cb(null); }}', get_user: {} }} }} }}]",
        serde_json::to_string(get_user).expect("json")
    ));
    let body = |email: &str| json!({ "client_id": STOREFRONT.0, "connection": "legacy-db", "email": email, "password": "secret" });
    signup(&auth0, &body("ann.legacy@example.com")).await.assert_db(
        400,
        "BadRequestError",
        "user_exists",
        "The user already exists.",
    );
    signup(&auth0, &body("down@example.com")).await.assert_db(
        400,
        "Error",
        "auth0_idp_error",
        "legacy database unreachable",
    );
    let res = signup(&auth0, &body("fresh@example.com")).await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(auth0.users().len(), 1);
    assert_eq!(outcomes(&auth0), ["profile", "error", "not_found"]);
}

// ---------------------------------------------------------------- change password and reset

async fn change_password(auth0: &Auth0, email: &str, connection: &str) -> Res {
    send(
        auth0,
        json_req(
            Method::POST,
            "/dbconnections/change_password",
            &json!({ "client_id": STOREFRONT.0, "email": email, "connection": connection }),
            None,
        ),
    )
    .await
}

#[tokio::test]
async fn change_password_says_the_same_sentence_whether_or_not_the_user_exists() {
    let auth0 = storefront();
    let known = change_password(&auth0, "Dade.Murphy@example.com", "users").await;
    let unknown = change_password(&auth0, "nobody@example.com", "users").await;
    for res in [&known, &unknown] {
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.text, RESET_EMAIL_SENT, "plain text, not a JSON string");
        assert_eq!(res.header("content-type"), "text/plain; charset=utf-8");
    }
    assert_eq!(known.headers, unknown.headers);
    assert_eq!(known.text, unknown.text);
    let outbox = auth0.outbox();
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    let email = &outbox[0];
    assert_eq!(email.to, "dade.murphy@example.com");
    assert_eq!(email.kind, "reset_email");
    assert_eq!(email.connection, "users");
    assert!(
        email.link.starts_with("http://localhost/lo/reset?ticket="),
        "{}",
        email.link
    );
    let outbox_route = send(
        &auth0,
        Request::get("/__ferry/outbox").body(Body::empty()).expect("request"),
    )
    .await;
    assert_eq!(outbox_route.body[0]["to"], "dade.murphy@example.com");
    assert_eq!(outbox_route.body[0]["sent_at"], "2026-01-01T00:00:00.000Z");
}

#[tokio::test]
async fn change_password_errors() {
    let auth0 = storefront();
    let post = |body: Value| {
        let auth0 = auth0.clone();
        async move {
            send(
                &auth0,
                json_req(Method::POST, "/dbconnections/change_password", &body, None),
            )
            .await
        }
    };
    post(json!({ "connection": "users" }))
        .await
        .assert_db(400, "BadRequestError", "bad.email", "email is required");
    post(json!({ "email": "dade.murphy@example.com" })).await.assert_db(
        400,
        "BadRequestError",
        "bad.connection",
        "connection is required",
    );
    post(json!({ "email": "dade.murphy@example.com", "connection": "nowhere" }))
        .await
        .assert_db(400, "BadRequestError", "bad.connection", "connection not found");
    post(json!({ "email": "dade.murphy@example.com", "connection": "users", "client_id": "nope" }))
        .await
        .assert_db(400, "BadRequestError", "bad.client_id", "client not found");
    assert!(auth0.outbox().is_empty());
}

fn ticket_of(link: &str) -> String {
    link.split("ticket=")
        .nth(1)
        .expect("a ticket")
        .trim_end_matches('#')
        .to_owned()
}

#[tokio::test]
async fn the_reset_link_sets_a_new_password_once() {
    let auth0 = storefront();
    change_password(&auth0, "dade.murphy@example.com", "users").await;
    let ticket = ticket_of(&auth0.outbox()[0].link);

    let page = send(
        &auth0,
        Request::get(format!("/lo/reset?ticket={ticket}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.header("content-type").starts_with("text/html"));
    assert!(
        page.text.contains(&format!("name=\"ticket\" value=\"{ticket}\"")),
        "{}",
        page.text
    );

    let reset = |password: &str, confirm: &str| {
        form(
            "/lo/reset",
            &[
                ("ticket", &ticket),
                ("newPassword", password),
                ("confirmNewPassword", confirm),
            ],
        )
    };
    let res = send(&auth0, reset("New-Pass-2026!", "New-Pass-2026?")).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        res.body,
        json!({ "result": "error", "code": "password_mismatch", "message": "Please ensure the password and the confirmation are the same." })
    );
    let res = send(&auth0, reset("weak", "weak")).await;
    assert_eq!(res.body["code"], "invalid_password", "{:#}", res.body);

    let res = send(&auth0, reset("New-Pass-2026!", "New-Pass-2026!")).await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(
        res.body,
        json!({ "result": "success", "message": "Your password has been changed successfully." })
    );
    assert_eq!(auth0.users()[0]["last_password_reset"], "2026-01-01T00:00:00.000Z");
    login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "Hunter2!")
        .await
        .assert_oauth(403, "invalid_grant", WRONG_CREDENTIALS);
    assert_eq!(
        login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "New-Pass-2026!")
            .await
            .status,
        StatusCode::OK
    );

    // Used once.
    let res = send(&auth0, reset("Other-Pass-2026!", "Other-Pass-2026!")).await;
    assert_eq!(
        res.body,
        json!({ "result": "error", "code": "invalid_ticket", "message": "This ticket is invalid or has expired." })
    );
    let page = send(
        &auth0,
        Request::get(format!("/lo/reset?ticket={ticket}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_reset_link_expires_after_five_days() {
    let auth0 = storefront();
    change_password(&auth0, "dade.murphy@example.com", "users").await;
    let ticket = ticket_of(&auth0.outbox()[0].link);
    auth0.kit().clock.advance(Duration::from_secs(5 * 86_400));
    let res = send(
        &auth0,
        form(
            "/lo/reset",
            &[
                ("ticket", &ticket),
                ("newPassword", "New-Pass-2026!"),
                ("confirmNewPassword", "New-Pass-2026!"),
            ],
        ),
    )
    .await;
    assert_eq!(res.body["code"], "invalid_ticket", "{:#}", res.body);
}

#[tokio::test]
async fn resetting_before_migration_creates_the_user_from_get_user_with_the_new_password() {
    let get_user = r#"function getUser(email, callback) {
  if (email === 'ann.legacy@example.com') return callback(null, { user_id: 'legacy-42', email: 'Ann.Legacy@example.com', name: 'Ann Legacy' });
  callback(null);
}"#;
    let auth0 = tenant(&format!(
        "settings: {{ bcrypt_cost: 4 }}\nclients: [{{ name: Storefront, client_id: storefront-client-id, client_secret: storefront-secret }}]\nconnections: [{{ name: legacy-db, options: {{ enabledDatabaseCustomization: true, import_mode: true, customScripts: {{ login: 'function login(e, p, cb) {{ cb(new Error(\"legacy down\")); }}', get_user: {} }} }} }}]",
        serde_json::to_string(get_user).expect("json")
    ));
    let res = change_password(&auth0, "ann.legacy@example.com", "legacy-db").await;
    assert_eq!(res.body, json!(RESET_EMAIL_SENT));
    let res = change_password(&auth0, "stranger@example.com", "legacy-db").await;
    assert_eq!(res.body, json!(RESET_EMAIL_SENT));
    assert_eq!(auth0.outbox().len(), 1);
    assert!(auth0.users().is_empty(), "nobody is created before the reset");
    let ticket = ticket_of(&auth0.outbox()[0].link);
    let res = send(
        &auth0,
        json_req(
            Method::POST,
            "/lo/reset",
            &json!({ "ticket": ticket, "newPassword": "New-Pass-2026!", "confirmNewPassword": "New-Pass-2026!" }),
            None,
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    let users = auth0.users();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["user_id"], "auth0|legacy-42");
    assert_eq!(users[0]["email"], "ann.legacy@example.com");
    assert_eq!(users[0]["last_password_reset"], "2026-01-01T00:00:00.000Z");
    // The login script (which fails) is not needed any more.
    let res = login(
        &auth0,
        STOREFRONT,
        "legacy-db",
        "ann.legacy@example.com",
        "New-Pass-2026!",
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(outcomes(&auth0), ["profile", "not_found"]);
}

// ---------------------------------------------------------------- userinfo

#[tokio::test]
async fn userinfo_answers_the_claims_of_the_token_owner_with_unix_updated_at() {
    let auth0 = storefront();
    let res = login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "Hunter2!").await;
    let access = res.expect_str("access_token");
    auth0.kit().clock.advance(Duration::from_secs(90));
    let res = send(&auth0, get("/userinfo", &access)).await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(
        res.body,
        json!({
            "sub": "auth0|dade",
            "name": "Dade Murphy",
            "nickname": "dade.murphy",
            "picture": gravatar("dade.murphy@example.com", "dm"),
            "given_name": "Dade",
            "family_name": "Murphy",
            "email": "dade.murphy@example.com",
            "email_verified": true,
            "updated_at": EPOCH_SECS,
        })
    );
}

#[tokio::test]
async fn userinfo_refuses_missing_foreign_expired_and_management_tokens() {
    let auth0 = storefront();
    let management = management_token(&auth0).await;
    let res = login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "Hunter2!").await;
    let access = res.expect_str("access_token");
    let unauthorized = |res: Res| {
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{:#}", res.body);
        assert_eq!(res.header("www-authenticate"), "Bearer error=\"invalid_token\"");
        assert_eq!(res.text, "Unauthorized");
    };
    unauthorized(send(&auth0, Request::get("/userinfo").body(Body::empty()).expect("request")).await);
    unauthorized(send(&auth0, get("/userinfo", "not-a-jwt")).await);
    unauthorized(send(&auth0, get("/userinfo", &management)).await);
    // A token of a user who no longer exists.
    let res = send(
        &auth0,
        bearer(Method::DELETE, "/api/v2/users/auth0%7Cdade", &management),
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    unauthorized(send(&auth0, get("/userinfo", &access)).await);
    seed(
        &auth0,
        "users: [{ connection: users, user_id: dade, email: dade.murphy@example.com, password: x }]",
    );
    assert_eq!(send(&auth0, get("/userinfo", &access)).await.status, StatusCode::OK);
    // Expired.
    auth0.kit().clock.advance(Duration::from_secs(86_400));
    unauthorized(send(&auth0, get("/userinfo", &access)).await);
}

// FIDELITY: auth0/issuer
#[tokio::test]
async fn discovery_documents_point_at_the_mock() {
    let auth0 = storefront();
    let res = send(
        &auth0,
        Request::get("/.well-known/openid-configuration")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body["issuer"], ISSUER);
    assert_eq!(res.body["token_endpoint"], "http://localhost/oauth/token");
    assert_eq!(res.body["jwks_uri"], "http://localhost/.well-known/jwks.json");
    assert_eq!(res.body["userinfo_endpoint"], "http://localhost/userinfo");
    let jwks = send(
        &auth0,
        Request::get("/.well-known/jwks.json")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    let key = &jwks.body["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(jwks.body["keys"].as_array().map(Vec::len), Some(1));
    assert!(key.get("d").is_none(), "no private part is published");
}

#[tokio::test]
async fn the_default_applications_exist_with_their_names() {
    let auth0 = Auth0::new(kit());
    let names: Vec<String> = auth0.clients().into_iter().map(|(name, _, _)| name).collect();
    assert_eq!(names, [DEFAULT_APP, MANAGEMENT_APP]);
    assert!(auth0.users().is_empty());
    assert_eq!(Auth0::NAME, "auth0");
}
