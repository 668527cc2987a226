//! The kit on a real socket, with a tiny provider: serving, journal, faults, admin, shutdown.
//! Run with `cargo test -p mocks --test kit`.

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mocks::{Kit, Provider, SeedError};
use serde_json::json;

#[derive(Clone)]
struct Echo {
    kit: Kit,
}

impl Provider for Echo {
    const NAME: &'static str = "echo";
    type Seed = serde_json::Value;

    fn kit(&self) -> &Kit {
        &self.kit
    }

    fn routes(&self) -> Router {
        Router::new()
            .route("/hello", get(|| async { "hello" }))
            .route("/login", post(|body: String| async move { body.len().to_string() }))
    }

    fn seed(&self, seed: Self::Seed) -> Result<serde_json::Value, SeedError> {
        if seed.get("bad").is_some() {
            return Err(SeedError::Invalid("bad seed".into()));
        }
        Ok(json!({ "ok": true }))
    }

    fn reset(&self) {}

    fn fault_response(&self, status: StatusCode) -> Response {
        (status, Json(json!({ "echo_error": status.as_u16() }))).into_response()
    }
}

async fn started() -> (Echo, mocks::MockServer) {
    let echo = Echo { kit: Kit::default() };
    let server = mocks::start(echo.clone(), mocks::LOOPBACK_EPHEMERAL)
        .await
        .expect("bind loopback");
    (echo, server)
}

#[tokio::test]
async fn serves_on_an_ephemeral_loopback_port_and_journals_with_secrets_masked() {
    let (echo, server) = started().await;
    assert!(server.base_url().starts_with("http://127.0.0.1:"));
    let client = reqwest::Client::new();
    let text = client
        .get(format!("{}/hello", server.base_url()))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    assert_eq!(text, "hello");
    let res = client
        .post(format!("{}/login?client_secret=abc&x=1", server.base_url()))
        .header("Authorization", "SSWS very-secret")
        .json(&json!({ "username": "a@b.c", "password": "hunter2" }))
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 200);
    let entries = echo.kit.journal.entries();
    assert_eq!(entries.len(), 2);
    let login = &entries[1];
    assert_eq!(
        (login.method.as_str(), login.path.as_str(), login.status),
        ("POST", "/login", 200)
    );
    assert_eq!(login.query.as_deref(), Some("client_secret=[masked]&x=1"));
    assert_eq!(login.header("authorization"), Some("SSWS [masked]"));
    let body = login.body.as_deref().expect("body kept");
    assert!(body.contains("a@b.c") && !body.contains("hunter2"), "{body}");
    server.shutdown().await;
}

#[tokio::test]
async fn injected_status_uses_the_provider_error_shape_then_recovers() {
    let (echo, server) = started().await;
    let client = reqwest::Client::new();
    let added: serde_json::Value = client
        .post(format!("{}/__ferry/faults", server.base_url()))
        .json(&json!({ "method": "GET", "path": "/hello", "times": 1, "fault": { "kind": "status", "status": 503 } }))
        .send()
        .await
        .expect("add fault")
        .json()
        .await
        .expect("json");
    assert_eq!(added["id"], 1);
    let faulted = client
        .get(format!("{}/hello", server.base_url()))
        .send()
        .await
        .expect("GET");
    assert_eq!(faulted.status(), 503);
    assert_eq!(
        faulted.json::<serde_json::Value>().await.expect("json"),
        json!({ "echo_error": 503 })
    );
    let recovered = client
        .get(format!("{}/hello", server.base_url()))
        .send()
        .await
        .expect("GET");
    assert_eq!(recovered.status(), 200);
    let journal = echo.kit.journal.entries();
    assert_eq!(journal[0].fault.as_deref(), Some("status 503"));
    assert_eq!(journal[1].fault, None);
}

#[tokio::test]
async fn a_dropped_connection_gives_the_client_no_answer() {
    let (echo, server) = started().await;
    echo.kit.faults.add(mocks::FaultRule {
        method: None,
        path: "/hello".into(),
        nth: 1,
        times: Some(1),
        fault: mocks::Fault::Drop,
    });
    let client = reqwest::Client::new();
    let err = client
        .get(format!("{}/hello", server.base_url()))
        .send()
        .await
        .expect_err("no answer");
    assert!(
        err.is_request() || err.is_connect() || err.to_string().contains("connection"),
        "{err:?}"
    );
    assert_eq!(echo.kit.journal.entries()[0].status, 0);
    let ok = client
        .get(format!("{}/hello", server.base_url()))
        .send()
        .await
        .expect("next call answers");
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn a_hung_call_is_cut_by_the_client_timeout() {
    let (echo, server) = started().await;
    echo.kit.faults.add(mocks::FaultRule {
        method: None,
        path: "/hello".into(),
        nth: 1,
        times: None,
        fault: mocks::Fault::Hang,
    });
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .expect("client");
    let err = client
        .get(format!("{}/hello", server.base_url()))
        .send()
        .await
        .expect_err("hangs");
    assert!(err.is_timeout(), "{err:?}");
    // Shutdown must not wait for the hung request longer than its grace period.
    server.shutdown().await;
}

#[tokio::test]
async fn admin_endpoints_seed_reset_and_read_the_journal() {
    let (echo, server) = started().await;
    let client = reqwest::Client::new();
    let base = server.base_url();
    let ok = client
        .post(format!("{base}/__ferry/seed"))
        .json(&json!({ "users": [] }))
        .send()
        .await
        .expect("seed");
    assert_eq!(ok.status(), 200);
    let bad = client
        .post(format!("{base}/__ferry/seed"))
        .body("{ nope")
        .send()
        .await
        .expect("seed");
    assert_eq!(bad.status(), 400);
    let bad: serde_json::Value = bad.json().await.expect("json");
    assert_eq!(bad["error"], "invalid_seed");
    client.get(format!("{base}/hello")).send().await.expect("GET");
    let page: serde_json::Value = client
        .get(format!("{base}/__ferry/journal?path=/hello"))
        .send()
        .await
        .expect("journal")
        .json()
        .await
        .expect("json");
    assert_eq!(
        page["entries"].as_array().map(Vec::len),
        Some(1),
        "admin calls are not journaled: {page}"
    );
    let reset = client
        .post(format!("{base}/__ferry/reset"))
        .send()
        .await
        .expect("reset");
    assert_eq!(reset.status(), 204);
    assert!(echo.kit.journal.is_empty());
    let clock = client
        .post(format!("{base}/__ferry/clock"))
        .json(&json!({ "advance": "5m" }))
        .send()
        .await
        .expect("clock");
    assert_eq!(clock.status(), 409, "the default kit runs on the system clock");
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let (_echo, server) = started().await;
    let url = format!("{}/hello", server.base_url());
    drop(server);
    let client = reqwest::Client::new();
    // The accept loop ends as soon as it sees the signal; poll until the port refuses.
    let mut refused = false;
    for _ in 0..100 {
        if client.get(&url).send().await.is_err() {
            refused = true;
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(refused, "server still answering after its handle was dropped");
}
