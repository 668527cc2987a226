//! The mock Auth0's Management API rate limits as Auth0 publishes them, on by default: the
//! tenant's tier (free unless its settings say otherwise) decides the buckets; every answer
//! carries `X-RateLimit-Limit`, `-Remaining` and `-Reset`; past the limit the answer is 429 with
//! the API's error body and no `Retry-After`, and the tenant logs `api_limit`, once a minute per
//! bucket. The buckets refill on the manual clock.
//!
//! Run with `cargo test -p mocks --test auth0_limits`.

mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use mocks::auth0::Auth0;
use serde_json::json;

use common::auth0::*;

const SEED: &str = r#"
settings: { bcrypt_cost: 4 }
connections:
  - { name: users, id: con_users00000000001 }
users:
  - { connection: users, user_id: dade, email: dade.murphy@example.com, password: "Hunter2!" }
"#;

/// A tenant with Auth0's default limits (the shared `tenant` helper lifts them).
fn limited(settings: &str) -> Auth0 {
    let auth0 = Auth0::new(kit());
    seed(&auth0, SEED);
    if !settings.is_empty() {
        seed(&auth0, settings);
    }
    auth0
}

fn limits(res: &Res) -> (String, String, String) {
    (
        res.header("x-ratelimit-limit").to_owned(),
        res.header("x-ratelimit-remaining").to_owned(),
        res.header("x-ratelimit-reset").to_owned(),
    )
}

fn at(seconds: i64) -> String {
    (EPOCH_SECS + seconds).to_string()
}

async fn api_limit_events(auth0: &Auth0) -> Vec<serde_json::Value> {
    auth0
        .logs()
        .into_iter()
        .filter(|e| e.kind == "api_limit")
        .map(|e| serde_json::to_value(e).expect("json"))
        .collect()
}

#[tokio::test]
async fn a_tenant_is_on_the_free_tier_by_default_two_requests_then_429() {
    // FIDELITY: auth0/rate-limits
    let auth0 = limited("");
    let token = management_token(&auth0).await;
    let users = || {
        let (auth0, token) = (auth0.clone(), token.clone());
        async move { send(&auth0, get("/api/v2/users", &token)).await }
    };
    let first = users().await;
    assert_eq!(first.status, StatusCode::OK);
    // Burst 2, refilled at 2 a second: one token short, the next comes within the second.
    assert_eq!(limits(&first), ("2".into(), "1".into(), at(1)));
    let second = users().await;
    assert_eq!(limits(&second), ("2".into(), "0".into(), at(1)));
    let third = users().await;
    third.assert_api(429, "Global limit has been reached", Some("too_many_requests"));
    assert_eq!(limits(&third), ("2".into(), "0".into(), at(1)));
    assert_eq!(third.header("retry-after"), "", "Auth0 documents X-RateLimit-* only");
    // One api_limit event for the bucket; a second refusal within the minute adds none.
    users()
        .await
        .assert_api(429, "Global limit has been reached", Some("too_many_requests"));
    let events = api_limit_events(&auth0).await;
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["description"], "Global rate limit exceeded");
    assert_eq!(events[0]["date"], "2026-01-01T00:00:00.000Z");
    // Every endpoint shares the free tier's one bucket: jobs too.
    send(&auth0, get("/api/v2/jobs/job_AAAAAAAAAAAAAAAA", &token))
        .await
        .assert_api(429, "Global limit has been reached", Some("too_many_requests"));
    // Half a second brings one request back.
    auth0.kit().clock.advance(Duration::from_millis(500));
    let res = users().await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(limits(&res), ("2".into(), "0".into(), at(1)));
    // Still refused a minute later: a second event.
    auth0.kit().clock.advance(Duration::from_secs(60));
    for _ in 0..2 {
        assert_eq!(users().await.status, StatusCode::OK);
    }
    assert_eq!(users().await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(api_limit_events(&auth0).await.len(), 2);
    // The Authentication API has no limit of its own unless set: not counted here.
    let res = login(&auth0, ("x", "y"), "users", "dade.murphy@example.com", "Hunter2!").await;
    assert_eq!(res.header("x-ratelimit-limit"), "");
}

#[tokio::test]
async fn every_management_api_answer_carries_the_headers() {
    // FIDELITY: auth0/rate-limits
    let auth0 = limited("settings: { rate_limits: enterprise }");
    let token = management_token(&auth0).await;
    for (request, status) in [
        (get("/api/v2/users", &token), 200),
        (get("/api/v2/users/auth0%7Cnobody", &token), 404),
        (get("/api/v2/users", "not-a-token"), 401),
        (get("/api/v2/connections?strategy=auth0", &token), 200),
        (get("/api/v2/jobs/job_AAAAAAAAAAAAAAAA/errors", &token), 404),
        (get("/api/v2/nowhere", &token), 404),
    ] {
        let res = send(&auth0, request).await;
        assert_eq!(res.status.as_u16(), status, "{:#}", res.body);
        assert_eq!(res.header("x-ratelimit-limit"), "50", "{:#}", res.body);
        assert_ne!(res.header("x-ratelimit-remaining"), "");
        assert_ne!(res.header("x-ratelimit-reset"), "");
    }
}

#[tokio::test]
async fn the_enterprise_tiers_have_larger_buckets() {
    // FIDELITY: auth0/rate-limits
    for (tier, burst, per_second) in [("enterprise", 50u32, 16u64), ("enterprise_non_production", 10, 2)] {
        let auth0 = limited(&format!("settings: {{ rate_limits: {tier} }}"));
        let token = management_token(&auth0).await;
        for n in 1..=burst {
            let res = send(&auth0, get("/api/v2/users", &token)).await;
            assert_eq!(res.status, StatusCode::OK, "{tier}: request {n}");
            assert_eq!(res.header("x-ratelimit-remaining"), (burst - n).to_string());
        }
        let refused = send(&auth0, get("/api/v2/users", &token)).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{tier}");
        // One second refills the sustained rate.
        auth0.kit().clock.advance(Duration::from_secs(1));
        for _ in 0..per_second {
            assert_eq!(
                send(&auth0, get("/api/v2/users", &token)).await.status,
                StatusCode::OK,
                "{tier}"
            );
        }
        assert_eq!(
            send(&auth0, get("/api/v2/users", &token)).await.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{tier}"
        );
    }
}

#[tokio::test]
async fn the_self_service_tier_limits_endpoint_groups_each_by_the_minute() {
    // FIDELITY: auth0/rate-limits
    let auth0 = limited("settings: { rate_limits: self_service }");
    let token = management_token(&auth0).await;
    // Read users: burst 40, 500 a minute.
    let res = send(&auth0, get("/api/v2/users", &token)).await;
    assert_eq!(limits(&res).0, "40");
    // All other endpoints combined (jobs among them): burst 10, 150 a minute.
    for n in 1..=10 {
        let res = send(&auth0, get("/api/v2/jobs/job_AAAAAAAAAAAAAAAA", &token)).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        assert_eq!(limits(&res).0, "10");
        assert_eq!(res.header("x-ratelimit-remaining"), (10 - n).to_string());
    }
    let refused = send(&auth0, get("/api/v2/jobs/job_AAAAAAAAAAAAAAAA", &token)).await;
    refused.assert_api(429, "Global limit has been reached", Some("too_many_requests"));
    assert_eq!(limits(&refused), ("10".into(), "0".into(), at(1)));
    // Another group's bucket is its own.
    assert_eq!(send(&auth0, get("/api/v2/users", &token)).await.status, StatusCode::OK);
    let events = api_limit_events(&auth0).await;
    assert_eq!(
        events[0]["description"],
        "Rate limit exceeded: All other Endpoints Combined"
    );
    // 150 a minute is 2.5 a second, added at each whole second: nothing within the second.
    auth0.kit().clock.advance(Duration::from_millis(999));
    assert_eq!(
        send(&auth0, get("/api/v2/jobs/job_AAAAAAAAAAAAAAAA", &token))
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
    auth0.kit().clock.advance(Duration::from_millis(1));
    for _ in 0..2 {
        assert_eq!(
            send(&auth0, get("/api/v2/jobs/job_AAAAAAAAAAAAAAAA", &token))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        send(&auth0, get("/api/v2/jobs/job_AAAAAAAAAAAAAAAA", &token))
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // DELETE of a user is a group of its own.
    let res = send(
        &auth0,
        axum::http::Request::builder()
            .method(Method::DELETE)
            .uri("/api/v2/users/auth0%7Cdade")
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(limits(&res).0, "20", "{:#}", res.body);
}

#[tokio::test]
async fn limits_can_be_lifted_or_set_by_the_seed_and_a_bad_tier_is_refused() {
    // FIDELITY: auth0/rate-limits
    let auth0 = limited("settings: { rate_limits: off }");
    let token = management_token(&auth0).await;
    for _ in 0..20 {
        let res = send(&auth0, get("/api/v2/users", &token)).await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.header("x-ratelimit-limit"), "");
    }
    seed(
        &auth0,
        "settings: { rate_limits: { management: { burst: 3, per_second: 1 } } }",
    );
    for _ in 0..3 {
        assert_eq!(send(&auth0, get("/api/v2/users", &token)).await.status, StatusCode::OK);
    }
    assert_eq!(
        send(&auth0, get("/api/v2/users", &token)).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    seed(&auth0, "settings: { rate_limits: free }");
    let res = send(&auth0, get("/api/v2/users", &token)).await;
    assert_eq!(res.header("x-ratelimit-limit"), "2");
    let bad: Result<mocks::auth0::seed::Auth0Seed, _> =
        mocks::kit::seed::parse("settings: { rate_limits: platinum }", None);
    let error = bad.expect_err("an unknown tier").to_string();
    assert!(error.contains("unknown rate-limit tier `platinum`"), "{error}");
    assert_eq!(
        auth0.settings().rate_limits.management,
        mocks::auth0::Management::Tier(mocks::auth0::Tier::Free)
    );
    let bad: Result<mocks::auth0::seed::Auth0Seed, _> = mocks::kit::seed::parse(
        "settings: { rate_limits: { managment: { burst: 1, per_second: 1 } } }",
        None,
    );
    assert!(bad.is_err(), "a misspelt key is refused");
    // The state view names the limits.
    let state = mocks::Provider::state(&auth0);
    assert_eq!(
        state["settings"]["rate_limits"]["management"],
        json!({ "tier": "free" })
    );
}
