//! The mock Auth0's Management API through its router: bearer-token checks (missing, invalid,
//! expired, foreign audience, insufficient scope per endpoint), users (list and the Lucene
//! subset of `q`, paging, totals, sorting, projection, the 1,000-result limit, get, by email,
//! create, patch, delete), connections (CRUD, whole-options PATCH, masked configuration,
//! enabled clients, deleting a connection's user by email), clients and logs.
//!
//! Run with `cargo test -p mocks --test auth0_management`. Every tenant runs on a manual clock
//! at 2026-01-01T00:00:00.000Z with ids seeded from 1.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use mocks::auth0::Auth0;
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
  - name: Auditor
    client_id: auditor-client-id
    client_secret: auditor-secret
    app_type: non_interactive
    grant_types: [client_credentials]
    management_scopes: [read:logs]
connections:
  - { name: users, id: con_users00000000001 }
  - { name: partners, id: con_partners00000001 }
users:
  - connection: users
    user_id: dade
    email: dade.murphy@example.com
    password: "Hunter2!"
    name: Dade Murphy
    given_name: Dade
    family_name: Murphy
    app_metadata: { plan: gold, region: us }
    user_metadata: { theme: dark, lang: en, prefs: { a: 1 } }
  - { connection: users, user_id: kate, email: kate.libby@example.com, name: Kate Libby, app_metadata: { plan: silver }, blocked: true }
"#;

/// Seeded a day later than [`SEED`].
const LATER: &str = r#"
users:
  - { connection: users, user_id: paul, email: paul.cook@example.com, username: lordnikon }
  - { connection: partners, user_id: emmanuel, email: emmanuel.goldstein@example.com, name: Emmanuel Goldstein, app_metadata: { plan: gold } }
  - { connection: partners, user_id: dade-partner, email: dade.murphy@example.com, name: Dade at Partners }
"#;

async fn tenant_with_users() -> (Auth0, String) {
    let auth0 = tenant(SEED);
    auth0.kit().clock.advance(Duration::from_secs(86_400));
    seed(&auth0, LATER);
    // Two logins for Dade.
    for _ in 0..2 {
        let res = login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "Hunter2!").await;
        assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    }
    let token = management_token(&auth0).await;
    (auth0, token)
}

fn ids(body: &Value) -> Vec<String> {
    let users = body.get("users").unwrap_or(body);
    users
        .as_array()
        .unwrap_or_else(|| panic!("a list of users: {body:#}"))
        .iter()
        .map(|u| {
            u["user_id"]
                .as_str()
                .unwrap_or("?")
                .trim_start_matches("auth0|")
                .to_owned()
        })
        .collect()
}

async fn search(auth0: &Auth0, token: &str, query: &str) -> Res {
    send(auth0, get(&format!("/api/v2/users?{query}"), token)).await
}

async fn q(auth0: &Auth0, token: &str, lucene: &str) -> Vec<String> {
    let encoded: String = form_urlencoded::byte_serialize(lucene.as_bytes()).collect();
    let res = search(auth0, token, &format!("q={encoded}&search_engine=v3")).await;
    assert_eq!(res.status, StatusCode::OK, "{lucene}: {:#}", res.body);
    ids(&res.body)
}

// ---------------------------------------------------------------- tokens and scopes

#[tokio::test]
async fn missing_malformed_invalid_and_expired_tokens_are_401s() {
    let (auth0, token) = tenant_with_users().await;
    let res = send(
        &auth0,
        Request::get("/api/v2/users").body(Body::empty()).expect("request"),
    )
    .await;
    res.assert_api(401, "Missing authentication", None);
    for header in ["Basic abc", "Bearer", "Bearer ", "bearer abc", "Token abc"] {
        let res = send(
            &auth0,
            Request::get("/api/v2/users")
                .header("authorization", header)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
        res.assert_api(401, "Bad HTTP authentication header format", None);
    }
    send(&auth0, get("/api/v2/users", "not.a.jwt"))
        .await
        .assert_api(401, "Invalid token", None);
    // A valid token with its signature tampered with.
    let mut tampered = token.clone();
    let last = tampered.pop().expect("a character");
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    send(&auth0, get("/api/v2/users", &tampered))
        .await
        .assert_api(401, "Invalid token", None);
    // A user's access token without an audience is opaque, for /userinfo only: not a JWT at all
    // to the Management API.
    let res = login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "Hunter2!").await;
    send(&auth0, get("/api/v2/users", &res.expect_str("access_token")))
        .await
        .assert_api(401, "Invalid token", None);
    // One for another API is a JWT, with the wrong audience.
    let res = send(
        &auth0,
        form(
            "/oauth/token",
            &[
                ("grant_type", PASSWORD_REALM),
                ("client_id", STOREFRONT.0),
                ("client_secret", STOREFRONT.1),
                ("realm", "users"),
                ("username", "dade.murphy@example.com"),
                ("password", "Hunter2!"),
                ("audience", "https://api.example.com/"),
            ],
        ),
    )
    .await;
    send(&auth0, get("/api/v2/users", &res.expect_str("access_token")))
        .await
        .assert_api(
            401,
            "Bad audience: https://api.example.com/ http://localhost/userinfo",
            None,
        );
    // Tokens last 24 hours on the mock clock.
    auth0.kit().clock.advance(Duration::from_secs(86_399));
    assert_eq!(send(&auth0, get("/api/v2/users", &token)).await.status, StatusCode::OK);
    auth0.kit().clock.advance(Duration::from_secs(1));
    send(&auth0, get("/api/v2/users", &token)).await.assert_api(
        401,
        "Expired token received for JSON Web Token validation",
        None,
    );
}

#[tokio::test]
async fn every_endpoint_names_the_scopes_it_wants() {
    let (auth0, _) = tenant_with_users().await;
    let auditor = client_token(&auth0, "auditor-client-id", "auditor-secret", None).await;
    let cases: &[(Method, &str, &str)] = &[
        (Method::GET, "/api/v2/users", "read:users,read:user_idp_tokens"),
        (Method::POST, "/api/v2/users", "create:users"),
        (
            Method::GET,
            "/api/v2/users/auth0%7Cdade",
            "read:users,read:current_user,read:user_idp_tokens",
        ),
        (
            Method::PATCH,
            "/api/v2/users/auth0%7Cdade",
            "update:users,update:users_app_metadata,update:current_user_metadata",
        ),
        (
            Method::DELETE,
            "/api/v2/users/auth0%7Cdade",
            "delete:users,delete:current_user",
        ),
        (Method::GET, "/api/v2/users-by-email?email=a@b.c", "read:users"),
        (Method::GET, "/api/v2/connections", "read:connections"),
        (Method::POST, "/api/v2/connections", "create:connections"),
        (
            Method::GET,
            "/api/v2/connections/con_users00000000001",
            "read:connections",
        ),
        (
            Method::PATCH,
            "/api/v2/connections/con_users00000000001",
            "update:connections",
        ),
        (
            Method::DELETE,
            "/api/v2/connections/con_users00000000001",
            "delete:connections",
        ),
        (
            Method::GET,
            "/api/v2/connections/con_users00000000001/clients",
            "read:connections",
        ),
        (
            Method::PATCH,
            "/api/v2/connections/con_users00000000001/clients",
            "update:connections",
        ),
        (
            Method::DELETE,
            "/api/v2/connections/con_users00000000001/users?email=a@b.c",
            "delete:users",
        ),
        (Method::GET, "/api/v2/clients", "read:clients"),
        (Method::GET, "/api/v2/jobs/job_x", "create:users,read:users"),
        (Method::GET, "/api/v2/jobs/job_x/errors", "create:users,read:users"),
    ];
    for (method, path, scopes) in cases {
        let res = send(&auth0, json_req(method.clone(), path, &json!({}), Some(&auditor))).await;
        res.assert_api(
            403,
            &format!("Insufficient scope, expected any of: {scopes}"),
            Some("insufficient_scope"),
        );
    }
    let reader = client_token(&auth0, "reader-client-id", "reader-secret", None).await;
    send(&auth0, get("/api/v2/logs", &reader)).await.assert_api(
        403,
        "Insufficient scope, expected any of: read:logs,read:logs_users",
        Some("insufficient_scope"),
    );
    // A token whose requested scopes were all refused holds none.
    let nothing = client_token(&auth0, "reader-client-id", "reader-secret", Some("delete:users")).await;
    assert_eq!(verified_claims(&auth0, &nothing).await.get("scope"), None);
    assert_eq!(
        send(&auth0, get("/api/v2/users", &nothing)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(send(&auth0, get("/api/v2/users", &reader)).await.status, StatusCode::OK);
}

// ---------------------------------------------------------------- users: list and search

#[tokio::test]
async fn users_list_is_a_bare_array_in_creation_order_by_default() {
    let (auth0, token) = tenant_with_users().await;
    let res = send(&auth0, get("/api/v2/users", &token)).await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(ids(&res.body), ["dade", "kate", "paul", "emmanuel", "dade-partner"]);
    let dade = &res.body[0];
    assert_eq!(
        *dade,
        json!({
            "user_id": "auth0|dade",
            "email": "dade.murphy@example.com",
            "email_verified": false,
            "name": "Dade Murphy",
            "nickname": "dade.murphy",
            "picture": dade["picture"],
            "given_name": "Dade",
            "family_name": "Murphy",
            "created_at": "2026-01-01T00:00:00.000Z",
            "updated_at": "2026-01-02T00:00:00.000Z",
            "identities": [{ "connection": "users", "user_id": "dade", "provider": "auth0", "isSocial": false }],
            "user_metadata": { "theme": "dark", "lang": "en", "prefs": { "a": 1 } },
            "app_metadata": { "plan": "gold", "region": "us" },
            "last_login": "2026-01-02T00:00:00.000Z",
            "last_ip": "127.0.0.1",
            "logins_count": 2,
        })
    );
    assert!(
        dade["picture"]
            .as_str()
            .is_some_and(|p| p.starts_with("https://s.gravatar.com/avatar/")),
        "{dade:#}"
    );
    assert_eq!(res.body[1]["blocked"], true);
    assert_eq!(res.body[2]["username"], "lordnikon");
    for user in res.body.as_array().expect("users") {
        for secret in ["password", "password_hash", "custom_password_hash"] {
            assert!(user.get(secret).is_none(), "{user:#}");
        }
    }
}

#[tokio::test]
async fn q_understands_the_lucene_subset_auth0_users_write() {
    let (auth0, token) = tenant_with_users().await;
    let cases: &[(&str, &[&str])] = &[
        ("email:\"dade.murphy@example.com\"", &["dade", "dade-partner"]),
        ("email:DADE*", &["dade", "dade-partner"]),
        ("email:*libby@example.com", &["kate"]),
        ("name:\"kate libby\"", &["kate"]),
        ("user_id:\"auth0|paul\"", &["paul"]),
        ("user_id:\"AUTH0|paul\"", &[]),
        ("identities.connection:\"partners\"", &["emmanuel", "dade-partner"]),
        ("app_metadata.plan:gold", &["dade", "emmanuel"]),
        ("app_metadata.plan:GOLD", &[]),
        ("app_metadata.plan:gold AND identities.connection:users", &["dade"]),
        ("app_metadata.plan:gold OR blocked:true", &["dade", "kate", "emmanuel"]),
        ("email:dade* email:kate*", &["dade", "kate", "dade-partner"]),
        ("_exists_:username", &["paul"]),
        ("NOT _exists_:app_metadata", &["paul", "dade-partner"]),
        ("-email:dade*", &["kate", "paul", "emmanuel"]),
        ("logins_count:[2 TO *]", &["dade"]),
        ("logins_count:{2 TO *]", &[]),
        ("created_at:[2026-01-02 TO *]", &["paul", "emmanuel", "dade-partner"]),
        ("created_at:{* TO 2026-01-02}", &["dade", "kate"]),
        (
            "(email:paul* OR email:emmanuel*) AND identities.connection:partners",
            &["emmanuel"],
        ),
        (
            "identities.connection:(users OR partners) AND name:dade*",
            &["dade", "dade-partner"],
        ),
        ("lordnikon", &["paul"]),
        ("\"kate libby\"", &["kate"]),
        ("kate*", &["kate"]),
    ];
    for (lucene, expected) in cases {
        assert_eq!(q(&auth0, &token, lucene).await, *expected, "q={lucene}");
    }
}

#[tokio::test]
async fn malformed_queries_are_400_invalid_query_string() {
    let (auth0, token) = tenant_with_users().await;
    for (query, reason) in [
        ("q=email%3A%22open", "unterminated quoted string"),
        ("q=%28email%3Aa", "missing closing parenthesis"),
        ("q=logins_count%3A%5B1%205%5D", "a range needs TO"),
        ("q=email%3A", "missing value for field email"),
        ("q=AND", "unexpected AND"),
        ("q=email%3Aa%20OR", "unexpected end of query"),
        ("q=email%3Aa%20AND%20OR%20name%3Ab", "unexpected OR"),
        ("q=%29", "unexpected Close"),
    ] {
        let res = search(&auth0, &token, query).await;
        if res.status == StatusCode::OK {
            panic!("{query}: {:#}", res.body);
        }
        res.assert_api(
            400,
            &format!("Query validation error: '{reason}' on property q."),
            Some("invalid_query_string"),
        );
    }
    // An empty q lists everyone.
    assert_eq!(ids(&search(&auth0, &token, "q=").await.body).len(), 5);
    assert_eq!(ids(&search(&auth0, &token, "q=%20%20").await.body).len(), 5);
}

#[tokio::test]
async fn paging_totals_sorting_and_fields() {
    let (auth0, token) = tenant_with_users().await;
    let res = search(&auth0, &token, "per_page=2&page=1&include_totals=true").await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(ids(&res.body), ["paul", "emmanuel"]);
    let users = res.body["users"].clone();
    assert_eq!(
        res.body,
        json!({ "start": 2, "limit": 2, "length": 2, "total": 5, "users": users })
    );
    let res = search(&auth0, &token, "per_page=2&page=2&include_totals=true").await;
    assert_eq!(res.body["length"], 1);
    assert_eq!(res.body["start"], 4);
    let res = search(&auth0, &token, "per_page=2&page=7&include_totals=true").await;
    assert_eq!(res.body["users"], json!([]));
    assert_eq!(res.body["total"], 5);
    let res = search(&auth0, &token, "include_totals=false&per_page=0").await;
    assert_eq!(res.body, json!([]));

    let res = search(&auth0, &token, "sort=email:1").await;
    assert_eq!(ids(&res.body), ["dade", "dade-partner", "emmanuel", "kate", "paul"]);
    let res = search(&auth0, &token, "sort=email:-1&per_page=2").await;
    assert_eq!(ids(&res.body), ["paul", "kate"]);
    let res = search(&auth0, &token, "sort=logins_count:-1&per_page=1").await;
    assert_eq!(ids(&res.body), ["dade"]);
    let res = search(&auth0, &token, "sort=created_at").await;
    assert_eq!(res.status, StatusCode::OK, "a sort without order is ascending");

    let res = search(&auth0, &token, "fields=user_id,email&include_fields=true&per_page=1").await;
    assert_eq!(
        res.body,
        json!([{ "user_id": "auth0|dade", "email": "dade.murphy@example.com" }])
    );
    let res = search(&auth0, &token, "fields=identities,picture,app_metadata,user_metadata,created_at,updated_at,last_login,last_ip,logins_count,given_name,family_name,nickname,email_verified&include_fields=false&per_page=1").await;
    assert_eq!(
        res.body,
        json!([{ "user_id": "auth0|dade", "email": "dade.murphy@example.com", "name": "Dade Murphy" }])
    );
    let res = search(&auth0, &token, "connection=partners").await;
    assert_eq!(ids(&res.body), ["emmanuel", "dade-partner"]);
}

#[tokio::test]
async fn bad_paging_parameters_are_400s() {
    let (auth0, token) = tenant_with_users().await;
    let cases = [
        (
            "per_page=101",
            "Query validation error: 'Too big: must be at most 100' on property per_page.",
            "invalid_query_string",
        ),
        (
            "per_page=ten",
            "Query validation error: 'Expected type integer but found type string' on property per_page.",
            "invalid_query_string",
        ),
        (
            "page=-1",
            "Query validation error: 'Expected type integer but found type string' on property page.",
            "invalid_query_string",
        ),
        (
            "include_totals=yes",
            "Query validation error: 'Expected type boolean but found type string' on property include_totals (Return results inside an object that contains the total result count (true) or as a direct array of results (false, default).).",
            "invalid_query_string",
        ),
        (
            "include_fields=1",
            "Query validation error: 'Expected type boolean but found type string' on property include_fields (Whether specified fields are to be included (true) or excluded (false).).",
            "invalid_query_string",
        ),
        (
            "sort=email:2",
            "Query validation error: 'String does not match pattern ^(([a-zA-Z0-9_\\.]+))\\:(1|-1)$: email:2' on property sort.",
            "invalid_query_string",
        ),
        (
            "search_engine=v4",
            "Query validation error: 'No enum match for: \"v4\"' on property search_engine.",
            "invalid_query_string",
        ),
    ];
    for (query, message, code) in cases {
        search(&auth0, &token, query).await.assert_api(400, message, Some(code));
    }
}

const PAGING_LIMIT: &str = "You can only page through the first 1000 records. See https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation";

#[tokio::test]
async fn only_the_first_thousand_results_can_be_paged_through() {
    let (auth0, token) = tenant_with_users().await;
    let res = search(&auth0, &token, "page=19&per_page=50").await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(res.body, json!([]));
    let res = search(&auth0, &token, "page=9&per_page=100").await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    for query in [
        "page=20&per_page=50",
        "page=10&per_page=100",
        "page=1000&per_page=1",
        "page=18446744073709551615&per_page=50",
        "page=18446744073709551615",
    ] {
        search(&auth0, &token, query)
            .await
            .assert_api(400, PAGING_LIMIT, Some("invalid_paging"));
    }
}

#[tokio::test]
async fn a_search_matching_more_than_a_thousand_users_counts_them_all_but_pages_through_a_thousand() {
    let auth0 = tenant("connections: [{ name: users }]");
    let mut yaml = String::from("users:\n");
    for i in 0..1_005 {
        yaml.push_str(&format!(
            "  - {{ connection: users, user_id: u{i:04}, email: user{i:04}@example.com }}\n"
        ));
    }
    seed(&auth0, &yaml);
    let token = management_token(&auth0).await;
    let res = search(
        &auth0,
        &token,
        "q=email%3Auser*&per_page=100&page=9&include_totals=true",
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(res.body["total"], 1_005);
    assert_eq!(res.body["length"], 100);
    assert_eq!(ids(&res.body).last().map(String::as_str), Some("u0999"));
    search(&auth0, &token, "q=email%3Auser*&per_page=100&page=10")
        .await
        .assert_api(400, PAGING_LIMIT, Some("invalid_paging"));
}

// ---------------------------------------------------------------- users: one at a time

#[tokio::test]
async fn get_user_by_id_with_projection_and_404() {
    let (auth0, token) = tenant_with_users().await;
    let res = send(&auth0, get("/api/v2/users/auth0%7Ckate", &token)).await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(res.body["email"], "kate.libby@example.com");
    assert_eq!(res.body["blocked"], true);
    let res = send(
        &auth0,
        get(
            "/api/v2/users/auth0%7Ckate?fields=email,blocked&include_fields=true",
            &token,
        ),
    )
    .await;
    assert_eq!(res.body, json!({ "email": "kate.libby@example.com", "blocked": true }));
    for missing in ["auth0%7Cnobody", "kate", "auth0%7CKATE", "google-oauth2%7Ckate"] {
        send(&auth0, get(&format!("/api/v2/users/{missing}"), &token))
            .await
            .assert_api(404, "The user does not exist.", Some("inexistent_user"));
    }
}

#[tokio::test]
async fn users_by_email_is_exact_case_sensitive_and_across_connections() {
    let (auth0, token) = tenant_with_users().await;
    let res = send(
        &auth0,
        get("/api/v2/users-by-email?email=dade.murphy%40example.com", &token),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(ids(&res.body), ["dade", "dade-partner"]);
    let res = send(
        &auth0,
        get("/api/v2/users-by-email?email=Dade.Murphy%40example.com", &token),
    )
    .await;
    assert_eq!(
        res.body,
        json!([]),
        "Auth0 stores emails lower-cased and compares exactly"
    );
    let res = send(&auth0, get("/api/v2/users-by-email?email=dade*", &token)).await;
    assert_eq!(res.body, json!([]));
    let res = send(
        &auth0,
        get(
            "/api/v2/users-by-email?email=kate.libby%40example.com&fields=user_id&include_fields=true",
            &token,
        ),
    )
    .await;
    assert_eq!(res.body, json!([{ "user_id": "auth0|kate" }]));
    for query in ["", "?email=", "?mail=a@b.c"] {
        send(&auth0, get(&format!("/api/v2/users-by-email{query}"), &token))
            .await
            .assert_api(
                400,
                "Query validation error: 'Missing required property: email' on property email.",
                Some("invalid_query_string"),
            );
    }
}

async fn patch(auth0: &Auth0, token: &str, id: &str, body: &Value) -> Res {
    send(
        auth0,
        json_req(Method::PATCH, &format!("/api/v2/users/{id}"), body, Some(token)),
    )
    .await
}

#[tokio::test]
async fn patch_merges_metadata_one_level_deep_and_null_removes() {
    let (auth0, token) = tenant_with_users().await;
    auth0.kit().clock.advance(Duration::from_secs(60));
    let res = patch(
        &auth0,
        &token,
        "auth0%7Cdade",
        &json!({
            "user_metadata": { "theme": null, "lang": "fr", "prefs": { "b": 2 }, "new": { "x": [1] } },
            "app_metadata": { "region": null },
            "given_name": null,
            "name": "Dade 'Zero Cool' Murphy",
            "blocked": true,
        }),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(
        res.body["user_metadata"],
        json!({ "lang": "fr", "prefs": { "b": 2 }, "new": { "x": [1] } })
    );
    assert_eq!(res.body["app_metadata"], json!({ "plan": "gold" }));
    assert_eq!(res.body.get("given_name"), None);
    assert_eq!(res.body["name"], "Dade 'Zero Cool' Murphy");
    assert_eq!(res.body["blocked"], true);
    assert_eq!(res.body["updated_at"], "2026-01-02T00:01:00.000Z");
    assert_eq!(
        send(&auth0, get("/api/v2/users/auth0%7Cdade", &token)).await.body,
        res.body
    );
    // Emptying a metadata object removes it from the user.
    let res = patch(
        &auth0,
        &token,
        "auth0%7Cdade",
        &json!({ "app_metadata": { "plan": null } }),
    )
    .await;
    assert_eq!(res.body.get("app_metadata"), None, "{:#}", res.body);
    // Blocked users cannot log in.
    login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "Hunter2!")
        .await
        .assert_oauth(401, "unauthorized", "user is blocked");
}

#[tokio::test]
async fn patch_changes_email_and_password_with_their_rules() {
    let (auth0, token) = tenant_with_users().await;
    let res = patch(
        &auth0,
        &token,
        "auth0%7Cpaul",
        &json!({ "email": "Paul.Cook@Example.org", "password": "Lord-Nikon-2" }),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(res.body["email"], "paul.cook@example.org");
    assert_eq!(res.body["email_verified"], false);
    assert_eq!(res.body["last_password_reset"], "2026-01-02T00:00:00.000Z");
    assert_eq!(
        login(&auth0, STOREFRONT, "users", "paul.cook@example.org", "Lord-Nikon-2")
            .await
            .status,
        StatusCode::OK
    );
    patch(
        &auth0,
        &token,
        "auth0%7Cpaul",
        &json!({ "email": "kate.libby@example.com" }),
    )
    .await
    .assert_api(409, "The specified new email already exists", Some("email_conflict"));
    patch(&auth0, &token, "auth0%7Cpaul", &json!({ "email": "not an email" }))
        .await
        .assert_api(
            400,
            "Payload validation error: 'Object didn't pass validation for format email: not an email' on property email.",
            Some("invalid_body"),
        );
    patch(&auth0, &token, "auth0%7Cpaul", &json!({ "username": "zerocool" })).await;
    patch(&auth0, &token, "auth0%7Ckate", &json!({ "username": "ZeroCool" }))
        .await
        .assert_api(
            409,
            "The specified new username already exists",
            Some("username_conflict"),
        );
    let res = patch(&auth0, &token, "auth0%7Cpaul", &json!({ "password": "weak" })).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{:#}", res.body);
    assert_eq!(res.body["errorCode"], "invalid_password");
}

#[tokio::test]
async fn patch_refuses_unknown_fields_bad_types_and_missing_users() {
    let (auth0, token) = tenant_with_users().await;
    patch(&auth0, &token, "auth0%7Cdade", &json!({ "favourite_colour": "teal" }))
        .await
        .assert_api(
            400,
            "Payload validation error: 'Additional properties not allowed: favourite_colour'.",
            Some("invalid_body"),
        );
    patch(&auth0, &token, "auth0%7Cdade", &json!({ "email": 42 }))
        .await
        .assert_api(
            400,
            "Payload validation error: 'Expected type string but found another type' on property email.",
            Some("invalid_body"),
        );
    patch(&auth0, &token, "auth0%7Cdade", &json!([])).await.assert_api(
        400,
        "Payload validation error: 'Expected type object'.",
        Some("invalid_body"),
    );
    let res = send(
        &auth0,
        Request::patch("/api/v2/users/auth0%7Cdade")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from("{\"name\":"))
            .expect("request"),
    )
    .await;
    res.assert_api(400, "Invalid request payload JSON format", Some("invalid_body"));
    patch(&auth0, &token, "auth0%7Cnobody", &json!({ "name": "x" }))
        .await
        .assert_api(404, "The user does not exist.", Some("inexistent_user"));
    // Nothing changed.
    let dade = send(&auth0, get("/api/v2/users/auth0%7Cdade", &token)).await;
    assert_eq!(dade.body["email"], "dade.murphy@example.com");
}

#[tokio::test]
async fn delete_is_204_with_no_body_even_for_an_unknown_user() {
    let (auth0, token) = tenant_with_users().await;
    let res = send(&auth0, bearer(Method::DELETE, "/api/v2/users/auth0%7Ckate", &token)).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert_eq!(res.text, "");
    send(&auth0, get("/api/v2/users/auth0%7Ckate", &token))
        .await
        .assert_api(404, "The user does not exist.", Some("inexistent_user"));
    let res = send(&auth0, bearer(Method::DELETE, "/api/v2/users/auth0%7Ckate", &token)).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert_eq!(auth0.users().len(), 4);
}

#[tokio::test]
async fn post_users_creates_a_user_who_can_log_in() {
    let (auth0, token) = tenant_with_users().await;
    let res = send(
        &auth0,
        json_req(
            Method::POST,
            "/api/v2/users",
            &json!({
                "connection": "users",
                "email": "Joey.Pardella@example.com",
                "password": "Joey-2026-pw",
                "user_id": "joey",
                "given_name": "Joey",
                "email_verified": true,
                "app_metadata": { "plan": "free" },
            }),
            Some(&token),
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{:#}", res.body);
    assert_eq!(res.body["user_id"], "auth0|joey");
    assert_eq!(res.body["email"], "joey.pardella@example.com");
    assert_eq!(res.body["email_verified"], true);
    assert_eq!(res.body["name"], "joey.pardella@example.com");
    assert_eq!(res.body["nickname"], "joey.pardella");
    assert_eq!(res.body["app_metadata"], json!({ "plan": "free" }));
    assert_eq!(res.body["created_at"], "2026-01-02T00:00:00.000Z");
    assert_eq!(res.body.get("logins_count"), None);
    assert_eq!(res.body.get("password"), None);
    assert_eq!(
        login(&auth0, STOREFRONT, "users", "joey.pardella@example.com", "Joey-2026-pw")
            .await
            .status,
        StatusCode::OK
    );

    let create = |body: Value| {
        let (auth0, token) = (auth0.clone(), token.clone());
        async move { send(&auth0, json_req(Method::POST, "/api/v2/users", &body, Some(&token))).await }
    };
    create(json!({ "connection": "users", "email": "joey.pardella@example.com", "password": "Joey-2026-pw" }))
        .await
        .assert_api(409, "The user already exists.", Some("auth0_idp_error"));
    create(
        json!({ "connection": "users", "email": "other@example.com", "password": "Joey-2026-pw", "user_id": "joey" }),
    )
    .await
    .assert_api(409, "The user already exists.", Some("auth0_idp_error"));
    create(json!({ "email": "x@example.com", "password": "Joey-2026-pw" }))
        .await
        .assert_api(
            400,
            "Payload validation error: 'Missing required property: connection'.",
            Some("invalid_body"),
        );
    create(json!({ "connection": "nowhere", "email": "x@example.com", "password": "Joey-2026-pw" }))
        .await
        .assert_api(400, "The connection does not exist", Some("inexistent_connection"));
    create(json!({ "connection": "users", "password": "Joey-2026-pw" }))
        .await
        .assert_api(
            400,
            "Payload validation error: 'Missing required property: email'.",
            Some("invalid_body"),
        );
    create(json!({ "connection": "users", "email": "x@example.com", "password": "Joey-2026-pw", "logins_count": 3 }))
        .await
        .assert_api(
            400,
            "Payload validation error: 'Additional properties not allowed: logins_count'.",
            Some("invalid_body"),
        );
}

// ---------------------------------------------------------------- connections

async fn create_connection(auth0: &Auth0, token: &str, body: &Value) -> Res {
    send(auth0, json_req(Method::POST, "/api/v2/connections", body, Some(token))).await
}

#[tokio::test]
async fn connections_are_created_listed_fetched_and_deleted() {
    let (auth0, token) = tenant_with_users().await;
    let res = create_connection(
        &auth0,
        &token,
        &json!({
            "name": "okta-users",
            "strategy": "auth0",
            "display_name": "Okta users",
            "enabled_clients": [STOREFRONT.0],
            "options": {
                "enabledDatabaseCustomization": true,
                "import_mode": true,
                "customScripts": { "login": "function login(e, p, cb) { cb(null, { user_id: 'x-' + configuration.PREFIX, email: e }); }" },
                "configuration": { "OKTA_API_TOKEN": "00s3cr3t", "PREFIX": "okta" },
            },
        }),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{:#}", res.body);
    let id = res.expect_str("id");
    assert!(
        id.len() == 20 && id.starts_with("con_") && id[4..].chars().all(|c| c.is_ascii_alphanumeric()),
        "{id}"
    );
    let expected = json!({
        "id": id,
        "name": "okta-users",
        "display_name": "Okta users",
        "strategy": "auth0",
        "options": {
            "enabledDatabaseCustomization": true,
            "import_mode": true,
            "customScripts": { "login": "function login(e, p, cb) { cb(null, { user_id: 'x-' + configuration.PREFIX, email: e }); }" },
            "configuration": { "OKTA_API_TOKEN": "[masked]", "PREFIX": "[masked]" },
        },
        "enabled_clients": [STOREFRONT.0],
        "realms": ["okta-users"],
        "is_domain_connection": false,
    });
    assert_eq!(res.body, expected);
    assert!(!res.text.contains("00s3cr3t"));
    // The script still sees the real configuration.
    let login_res = login(&auth0, STOREFRONT, "okta-users", "new@example.com", "whatever").await;
    assert_eq!(login_res.status, StatusCode::OK, "{:#}", login_res.body);
    assert_eq!(
        userinfo_sub(&auth0, &login_res.expect_str("access_token")).await,
        "auth0|x-okta"
    );

    let res = send(&auth0, get(&format!("/api/v2/connections/{id}"), &token)).await;
    assert_eq!(res.body, expected);
    let res = send(&auth0, get("/api/v2/connections", &token)).await;
    let names: Vec<&str> = res
        .body
        .as_array()
        .expect("connections")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(names, ["users", "partners", "okta-users"]);
    let res = send(&auth0, get("/api/v2/connections?strategy=auth0&name=partners", &token)).await;
    assert_eq!(res.body.as_array().map(Vec::len), Some(1));
    assert_eq!(res.body[0]["id"], "con_partners00000001");
    let res = send(&auth0, get("/api/v2/connections?strategy=google-oauth2", &token)).await;
    assert_eq!(res.body, json!([]));

    // Deleting a connection deletes its users.
    let res = send(
        &auth0,
        bearer(Method::DELETE, &format!("/api/v2/connections/{id}"), &token),
    )
    .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{:#}", res.body);
    send(&auth0, get(&format!("/api/v2/connections/{id}"), &token))
        .await
        .assert_api(404, "The connection does not exist", Some("inexistent_connection"));
    assert!(auth0.users().iter().all(|u| u["user_id"] != "auth0|x-okta"));
    let res = send(
        &auth0,
        bearer(Method::DELETE, &format!("/api/v2/connections/{id}"), &token),
    )
    .await;
    res.assert_api(404, "The connection does not exist", Some("inexistent_connection"));
}

#[tokio::test]
async fn connections_are_listed_in_pages_with_totals_or_checkpoints() {
    let (auth0, token) = tenant_with_users().await;
    for name in ["c-one", "c-two", "c-three"] {
        let res = create_connection(&auth0, &token, &json!({ "name": name, "strategy": "auth0" })).await;
        assert_eq!(res.status, StatusCode::CREATED, "{:#}", res.body);
    }
    let names = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap_or_else(|| panic!("a list: {list:#}"))
            .iter()
            .map(|c| c["name"].as_str().unwrap_or("?").to_owned())
            .collect()
    };
    let list = |query: &str| {
        let (auth0, token) = (auth0.clone(), token.clone());
        let path = format!("/api/v2/connections{query}");
        async move { send(&auth0, get(&path, &token)).await }
    };
    let res = list("?per_page=2&page=1").await;
    assert_eq!(names(&res.body), ["c-one", "c-two"]);
    let res = list("?include_totals=true&per_page=2").await;
    assert_eq!(names(&res.body["connections"]), ["users", "partners"]);
    assert_eq!(
        (&res.body["total"], &res.body["start"], &res.body["limit"]),
        (&json!(5), &json!(0), &json!(2))
    );
    // Checkpoints, as the current Node SDK pages (it sends include_totals=true and take).
    let res = list("?include_totals=true&take=2").await;
    assert_eq!(names(&res.body["connections"]), ["users", "partners"]);
    let next = res.body["next"].as_str().expect("a checkpoint").to_owned();
    let res = list(&format!("?take=2&from={next}")).await;
    assert_eq!(names(&res.body["connections"]), ["c-one", "c-two"]);
    let next = res.body["next"].as_str().expect("a checkpoint").to_owned();
    let res = list(&format!("?take=2&from={next}")).await;
    assert_eq!(names(&res.body["connections"]), ["c-three"]);
    assert_eq!(res.body.get("next"), None, "the last page has no next");
    // Repeated strategies, names and projections.
    let res = list("?strategy=auth0&strategy=ad&name=c-two&fields=name,strategy").await;
    assert_eq!(res.body, json!([{ "name": "c-two", "strategy": "auth0" }]));
    let res = list("?strategy=ad").await;
    assert_eq!(res.body, json!([]));
    list("?take=101").await.assert_api(
        400,
        "Query validation error: 'Too big: must be at most 100' on property take.",
        Some("invalid_query_string"),
    );
}

#[tokio::test]
async fn odd_ids_and_repeated_parameters_get_answers_in_the_api_shape() {
    let (auth0, token) = tenant_with_users().await;
    for path in [
        "/api/v2/users/%ff%fe",
        "/api/v2/connections/%ff",
        "/api/v2/connections/%c3%28/clients",
        "/api/v2/jobs/%ff/errors",
    ] {
        let res = send(&auth0, get(path, &token)).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{path}: {}", res.text);
        assert_eq!(res.body["errorCode"], "invalid_uri", "{path}: {:#}", res.body);
        assert!(
            res.body["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Invalid URL: ")),
            "{:#}",
            res.body
        );
    }
    // A parameter given twice counts with its last value.
    let res = search(&auth0, &token, "per_page=50&per_page=1").await;
    assert_eq!(ids(&res.body), ["dade"]);
    let res = send(
        &auth0,
        get(
            "/api/v2/users-by-email?email=nobody%40example.com&email=kate.libby%40example.com",
            &token,
        ),
    )
    .await;
    assert_eq!(ids(&res.body), ["kate"]);
}

#[tokio::test]
async fn connection_creation_is_validated() {
    let (auth0, token) = tenant_with_users().await;
    create_connection(&auth0, &token, &json!({ "name": "users", "strategy": "auth0" }))
        .await
        .assert_api(
            409,
            "A connection with the same name already exists",
            Some("connection_conflict"),
        );
    create_connection(&auth0, &token, &json!({ "strategy": "auth0" }))
        .await
        .assert_api(
            400,
            "Payload validation error: 'Missing required property: name'.",
            Some("invalid_body"),
        );
    create_connection(&auth0, &token, &json!({ "name": "x" }))
        .await
        .assert_api(
            400,
            "Payload validation error: 'Missing required property: strategy'.",
            Some("invalid_body"),
        );
    for name in ["-users", "users-", "my users", "us_ers", ""] {
        create_connection(&auth0, &token, &json!({ "name": name, "strategy": "auth0" }))
            .await
            .assert_api(
                400,
                &format!(
                    "Payload validation error: 'String does not match pattern ^[a-zA-Z0-9](?:[a-zA-Z0-9\\-]*[a-zA-Z0-9])?$: {name}' on property name."
                ),
                Some("invalid_body"),
            );
    }
    let long = "a".repeat(128);
    let res = create_connection(&auth0, &token, &json!({ "name": long, "strategy": "auth0" })).await;
    assert_eq!(
        res.status,
        StatusCode::CREATED,
        "128 characters are allowed: {:#}",
        res.body
    );
    let res = create_connection(&auth0, &token, &json!({ "name": "a".repeat(129), "strategy": "auth0" })).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    create_connection(
        &auth0,
        &token,
        &json!({ "name": "google", "strategy": "google-oauth2" }),
    )
    .await
    .assert_api(
        400,
        "The mock Auth0 models database connections (strategy auth0) only, not google-oauth2",
        Some("operation_not_supported"),
    );
    create_connection(
        &auth0,
        &token,
        &json!({ "name": "x1", "strategy": "auth0", "options": [] }),
    )
    .await
    .assert_api(
        400,
        "Payload validation error: 'Expected type object but found type array' on property options.",
        Some("invalid_body"),
    );
    create_connection(
        &auth0,
        &token,
        &json!({ "name": "x2", "strategy": "auth0", "enabled_clients": ["no-such-client"] }),
    )
    .await
    .assert_api(
        400,
        "Payload validation error: 'Client no-such-client does not exist' on property enabled_clients.",
        Some("invalid_body"),
    );
    create_connection(
        &auth0,
        &token,
        &json!({ "name": "x3", "strategy": "auth0", "id": "con_x" }),
    )
    .await
    .assert_api(
        400,
        "Payload validation error: 'Additional properties not allowed: id'.",
        Some("invalid_body"),
    );
}

#[tokio::test]
async fn patching_a_connection_replaces_its_options_whole() {
    let (auth0, token) = tenant_with_users().await;
    let res = create_connection(
        &auth0,
        &token,
        &json!({
            "name": "legacy",
            "strategy": "auth0",
            "options": {
                "enabledDatabaseCustomization": true,
                "import_mode": true,
                "customScripts": { "login": "function login(e, p, cb) { cb(null); }" },
                "configuration": { "API_KEY": "k" },
            },
        }),
    )
    .await;
    let id = res.expect_str("id");
    let path = format!("/api/v2/connections/{id}");
    let res = send(
        &auth0,
        json_req(
            Method::PATCH,
            &path,
            &json!({ "options": { "brute_force_protection": false }, "display_name": "Legacy", "metadata": { "owner": "ferry" } }),
            Some(&token),
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(res.body["options"], json!({ "brute_force_protection": false }));
    assert_eq!(res.body["display_name"], "Legacy");
    assert_eq!(res.body["metadata"], json!({ "owner": "ferry" }));
    assert_eq!(res.body["name"], "legacy");
    // Without options the options stay.
    let res = send(
        &auth0,
        json_req(
            Method::PATCH,
            &path,
            &json!({ "realms": ["legacy", "old"] }),
            Some(&token),
        ),
    )
    .await;
    assert_eq!(res.body["options"], json!({ "brute_force_protection": false }));
    assert_eq!(res.body["realms"], json!(["legacy", "old"]));

    for fixed in ["name", "strategy"] {
        send(
            &auth0,
            json_req(Method::PATCH, &path, &json!({ fixed: "x" }), Some(&token)),
        )
        .await
        .assert_api(
            400,
            &format!("Payload validation error: 'Additional properties not allowed: {fixed}'."),
            Some("invalid_body"),
        );
    }
    send(
        &auth0,
        json_req(Method::PATCH, &path, &json!({ "options": "none" }), Some(&token)),
    )
    .await
    .assert_api(
        400,
        "Payload validation error: 'Expected type object but found type string' on property options.",
        Some("invalid_body"),
    );
    send(
        &auth0,
        json_req(
            Method::PATCH,
            "/api/v2/connections/con_AAAAAAAAAAAAAAAA",
            &json!({ "options": {} }),
            Some(&token),
        ),
    )
    .await
    .assert_api(404, "The connection does not exist", Some("inexistent_connection"));
}

#[tokio::test]
async fn enabled_clients_are_read_and_switched_per_client() {
    let (auth0, token) = tenant_with_users().await;
    let path = "/api/v2/connections/con_users00000000001/clients";
    let res = send(&auth0, get(path, &token)).await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    let clients: Vec<&str> = res.body["clients"]
        .as_array()
        .expect("clients")
        .iter()
        .map(|c| c["client_id"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(clients.len(), 5, "every client by default: {clients:?}");
    assert!(clients.contains(&STOREFRONT.0));

    let res = send(
        &auth0,
        json_req(
            Method::PATCH,
            path,
            &json!([{ "client_id": STOREFRONT.0, "status": false }]),
            Some(&token),
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{:#}", res.body);
    login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "Hunter2!")
        .await
        .assert_oauth(400, "invalid_request", "the connection was disabled");
    let res = send(&auth0, get("/api/v2/connections/con_users00000000001", &token)).await;
    assert!(
        res.body["enabled_clients"]
            .as_array()
            .is_some_and(|c| !c.contains(&json!(STOREFRONT.0))),
        "{:#}",
        res.body
    );
    send(
        &auth0,
        json_req(
            Method::PATCH,
            path,
            &json!([{ "client_id": STOREFRONT.0, "status": true }]),
            Some(&token),
        ),
    )
    .await;
    assert_eq!(
        login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "Hunter2!")
            .await
            .status,
        StatusCode::OK
    );

    let res = send(
        &auth0,
        json_req(
            Method::PATCH,
            path,
            &json!([{ "client_id": "nope", "status": true }]),
            Some(&token),
        ),
    )
    .await;
    res.assert_api(
        400,
        "Payload validation error: 'Client nope does not exist'.",
        Some("invalid_body"),
    );
    let too_many: Vec<Value> = (0..51)
        .map(|_| json!({ "client_id": STOREFRONT.0, "status": true }))
        .collect();
    send(&auth0, json_req(Method::PATCH, path, &json!(too_many), Some(&token)))
        .await
        .assert_api(
            400,
            "Payload validation error: 'Array is too long (51), maximum 50'.",
            Some("invalid_body"),
        );
    let res = send(
        &auth0,
        json_req(Method::PATCH, path, &json!({ "client_id": "x" }), Some(&token)),
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{:#}", res.body);
    assert_eq!(res.body["errorCode"], "invalid_body");
    send(&auth0, get("/api/v2/connections/con_AAAAAAAAAAAAAAAA/clients", &token))
        .await
        .assert_api(404, "The connection does not exist", Some("inexistent_connection"));
}

// FIDELITY: auth0/ghost-users
#[tokio::test]
async fn a_connection_user_is_deleted_by_email() {
    let (auth0, token) = tenant_with_users().await;
    let res = send(
        &auth0,
        bearer(
            Method::DELETE,
            "/api/v2/connections/con_partners00000001/users?email=Dade.Murphy%40example.com",
            &token,
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{:#}", res.body);
    let left: Vec<String> = auth0
        .users()
        .iter()
        .map(|u| u["user_id"].as_str().unwrap_or("?").to_owned())
        .collect();
    assert_eq!(
        left,
        ["auth0|dade", "auth0|kate", "auth0|paul", "auth0|emmanuel"],
        "only the partners connection's user goes"
    );
    send(
        &auth0,
        bearer(Method::DELETE, "/api/v2/connections/con_partners00000001/users", &token),
    )
    .await
    .assert_api(
        400,
        "Query validation error: 'Missing required property: email' on property email.",
        Some("invalid_query_string"),
    );
    send(
        &auth0,
        bearer(
            Method::DELETE,
            "/api/v2/connections/con_AAAAAAAAAAAAAAAA/users?email=a%40b.c",
            &token,
        ),
    )
    .await
    // 400: the endpoint's published status codes have no 404.
    .assert_api(400, "The connection does not exist", Some("inexistent_connection"));
}

#[tokio::test]
async fn clients_are_listed_without_secrets() {
    let (auth0, token) = tenant_with_users().await;
    let res = send(&auth0, get("/api/v2/clients", &token)).await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    let names: Vec<&str> = res
        .body
        .as_array()
        .expect("clients")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        names,
        ["Default App", "Ferry Management", "Storefront", "Reader", "Auditor"]
    );
    assert_eq!(
        res.body[2],
        json!({
            "name": "Storefront",
            "client_id": STOREFRONT.0,
            "app_type": "regular_web",
            "grant_types": ["authorization_code", "implicit", "refresh_token", "password", PASSWORD_REALM],
            "jwt_configuration": { "alg": "RS256", "lifetime_in_seconds": 36000, "secret_encoded": false },
        })
    );
    assert!(!res.text.contains("client_secret"), "{}", res.text);
}

#[tokio::test]
async fn logs_are_listed_newest_first() {
    let (auth0, token) = tenant_with_users().await;
    auth0.kit().clock.advance(Duration::from_secs(1));
    login(&auth0, STOREFRONT, "users", "kate.libby@example.com", "x").await;
    auth0.kit().clock.advance(Duration::from_secs(1));
    login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "wrong").await;
    let res = send(&auth0, get("/api/v2/logs", &token)).await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    let logs = res.body.as_array().expect("logs");
    let summary: Vec<(&str, &str)> = logs
        .iter()
        .map(|l| (l["type"].as_str().unwrap_or("?"), l["date"].as_str().unwrap_or("?")))
        .collect();
    assert_eq!(
        summary,
        [
            ("fp", "2026-01-02T00:00:02.000Z"),
            ("f", "2026-01-02T00:00:01.000Z"),
            ("s", "2026-01-02T00:00:00.000Z"),
            ("s", "2026-01-02T00:00:00.000Z"),
        ]
    );
    let newest = &logs[0];
    let log_id = newest["log_id"].as_str().expect("log id");
    assert!(log_id.len() == 56 && log_id.starts_with("9002"), "{log_id}");
    assert_eq!(
        *newest,
        json!({
            "log_id": log_id,
            "date": "2026-01-02T00:00:02.000Z",
            "type": "fp",
            "description": WRONG_CREDENTIALS,
            "connection": "users",
            "client_id": STOREFRONT.0,
            "user_id": "auth0|dade",
            "user_name": "dade.murphy@example.com",
            "ip": "127.0.0.1",
            "connection_id": "con_users00000000001",
        })
    );
}

#[tokio::test]
async fn logs_page_with_totals_as_the_sdks_ask() {
    let (auth0, token) = tenant_with_users().await;
    login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "wrong").await;
    let res = send(
        &auth0,
        get("/api/v2/logs?include_totals=true&per_page=2&page=0", &token),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(
        (
            &res.body["start"],
            &res.body["limit"],
            &res.body["length"],
            &res.body["total"]
        ),
        (&json!(0), &json!(2), &json!(2), &json!(3))
    );
    let kinds: Vec<&str> = res.body["logs"]
        .as_array()
        .expect("logs")
        .iter()
        .map(|l| l["type"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(kinds, ["fp", "s"]);
    let res = send(&auth0, get("/api/v2/logs?per_page=2&page=1&fields=type", &token)).await;
    assert_eq!(res.body, json!([{ "type": "s" }]));
    send(&auth0, get("/api/v2/logs?per_page=500", &token)).await.assert_api(
        400,
        "Query validation error: 'Too big: must be at most 100' on property per_page.",
        Some("invalid_query_string"),
    );
}

#[tokio::test]
async fn unknown_management_paths_are_404_in_the_api_shape() {
    let (auth0, token) = tenant_with_users().await;
    send(&auth0, get("/api/v2/roles", &token))
        .await
        .assert_api(404, "Not Found", None);
    // A method a known path does not serve is no route either: the API's error shape
    // ({statusCode, error, message} is hapi's Boom) answers 404, never a bare 405.
    send(&auth0, json_req(Method::PUT, "/api/v2/users", &json!({}), Some(&token)))
        .await
        .assert_api(404, "Not Found", None);
}
