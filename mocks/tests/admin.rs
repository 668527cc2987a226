//! The admin endpoints (`/__ferry/*`) against hostile web pages: cross-site requests (a foreign
//! `Origin`, `null`, `Sec-Fetch-Site: cross-site`), simple-request content types that a page
//! can send without a preflight, and DNS rebinding (a foreign `Host`). Each refusal is checked
//! to have changed nothing; the mock's own clients (no `Origin`, a loopback `Host`) still pass.
//! Run with `cargo test -p mocks --test admin`.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use mocks::okta::Okta;
use mocks::{Kit, Provider};
use serde_json::{Value, json};
use tower::ServiceExt;

const FAULT: &str = r#"{"path": "/api/v1/authn", "fault": {"kind": "status", "status": 500}}"#;

async fn send(okta: &Okta, request: Request<Body>) -> (StatusCode, Value) {
    let answer = mocks::app(okta.clone()).oneshot(request).await.expect("infallible");
    let status = answer.status();
    let body = answer.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn request(method: Method, path: &str, headers: &[(&str, &str)], body: &str) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::from(body.to_owned())).expect("request")
}

/// A mock served at `http://127.0.0.1:4010` (set by hand: no socket is needed to decide).
fn okta() -> Okta {
    let kit = Kit::default();
    kit.set_base_url("http://127.0.0.1:4010".into());
    Okta::new(kit)
}

#[tokio::test]
async fn a_cross_site_text_plain_post_creates_no_fault_rule() {
    let okta = okta();
    // What `fetch(..., {method: "POST", mode: "no-cors", body: "..."})` sends from a page.
    let (status, body) = send(
        &okta,
        request(
            Method::POST,
            "/__ferry/faults",
            &[
                ("host", "127.0.0.1:4010"),
                ("origin", "https://evil.example"),
                ("content-type", "text/plain;charset=UTF-8"),
                ("sec-fetch-site", "cross-site"),
            ],
            FAULT,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "forbidden_origin");
    assert!(okta.kit().faults.list().is_empty(), "no rule was installed");
}

#[tokio::test]
async fn every_admin_route_refuses_a_foreign_origin() {
    let okta = okta();
    okta.kit().faults.add(serde_json::from_str(FAULT).expect("rule"));
    for (method, path, body) in [
        (Method::POST, "/__ferry/faults", FAULT),
        (Method::DELETE, "/__ferry/faults", ""),
        (Method::DELETE, "/__ferry/faults/1", ""),
        (Method::POST, "/__ferry/reset", ""),
        (Method::POST, "/__ferry/seed", r#"{"users": []}"#),
        (Method::POST, "/__ferry/clock", r#"{"advance": "5m"}"#),
        (Method::DELETE, "/__ferry/journal", ""),
        (Method::GET, "/__ferry/journal", ""),
        (Method::GET, "/__ferry/state", ""),
        (Method::GET, "/__ferry/faults", ""),
    ] {
        for origin in [
            "https://evil.example",
            "null",
            "http://127.0.0.1:4011",
            "http://localhost:8080",
            "https://127.0.0.1:4010",
            "http://127.0.0.1:4010.evil.example",
        ] {
            let (status, answer) = send(
                &okta,
                request(
                    method.clone(),
                    path,
                    &[("origin", origin), ("content-type", "application/json")],
                    body,
                ),
            )
            .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path} from {origin}: {answer}");
        }
    }
    assert_eq!(okta.kit().faults.list().len(), 1, "the rule is still there, alone");
}

#[tokio::test]
async fn simple_request_content_types_cannot_change_state() {
    let okta = okta();
    for content_type in [
        "text/plain",
        "TEXT/PLAIN; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        // No Origin at all (an old browser, a page that strips it): the content type alone is
        // refused for a state change.
        let (status, answer) = send(
            &okta,
            request(
                Method::POST,
                "/__ferry/faults",
                &[("content-type", content_type)],
                FAULT,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}: {answer}");
        assert_eq!(answer["error"], "unsupported_media_type");
        assert!(answer["detail"].as_str().expect("detail").contains("application/json"));
    }
    assert!(okta.kit().faults.list().is_empty());
}

#[tokio::test]
async fn dns_rebinding_hosts_are_refused() {
    let okta = okta();
    for host in [
        "evil.example:4010",
        "evil.example",
        "127.0.0.1.nip.example:4010",
        "localhost.evil.example",
    ] {
        for (method, path, body) in [
            (Method::GET, "/__ferry/journal", ""),
            (Method::GET, "/__ferry/state", ""),
            (Method::POST, "/__ferry/faults", FAULT),
        ] {
            // A rebound page is same-origin with itself: its Origin matches its Host.
            let origin = format!("http://{host}");
            let (status, answer) = send(
                &okta,
                request(
                    method.clone(),
                    path,
                    &[
                        ("host", host),
                        ("origin", &origin),
                        ("content-type", "application/json"),
                    ],
                    body,
                ),
            )
            .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path} Host: {host}: {answer}");
            assert_eq!(answer["error"], "forbidden_host");
        }
    }
    assert!(okta.kit().faults.list().is_empty());
}

#[tokio::test]
async fn the_mocks_own_clients_and_pages_still_pass() {
    let okta = okta();
    let json_ct = ("content-type", "application/json");
    for headers in [
        vec![json_ct],
        vec![json_ct, ("host", "127.0.0.1:4010")],
        vec![json_ct, ("host", "localhost:4010")],
        vec![json_ct, ("host", "[::1]:4010")],
        vec![json_ct, ("origin", "http://127.0.0.1:4010")],
        vec![
            json_ct,
            ("origin", "http://localhost:4010"),
            ("sec-fetch-site", "same-origin"),
        ],
    ] {
        let (status, answer) = send(&okta, request(Method::POST, "/__ferry/faults", &headers, FAULT)).await;
        assert_eq!(status, StatusCode::CREATED, "{headers:?}: {answer}");
    }
    // A body-less state change with no content type (curl -X POST) passes too.
    let (status, _) = send(&okta, request(Method::POST, "/__ferry/reset", &[], "")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // YAML seeds keep their content type.
    let (status, answer) = send(
        &okta,
        request(
            Method::POST,
            "/__ferry/seed",
            &[("content-type", "application/yaml")],
            "users: []\n",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

#[tokio::test]
async fn an_allowed_origin_such_as_a_dashboard_passes() {
    let okta = okta();
    let from_board = || {
        request(
            Method::GET,
            "/__ferry/state",
            &[("origin", "http://127.0.0.1:4999"), ("host", "127.0.0.1:4010")],
            "",
        )
    };
    assert_eq!(send(&okta, from_board()).await.0, StatusCode::FORBIDDEN);
    okta.kit().allow_origin("http://127.0.0.1:4999");
    assert_eq!(send(&okta, from_board()).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_mocked_api_itself_is_not_restricted() {
    // Browsers talk to the mocked APIs cross-origin (a SPA calling Okta's authn): only the
    // admin endpoints are guarded.
    let okta = okta();
    let (status, answer) = send(
        &okta,
        request(
            Method::POST,
            "/api/v1/authn",
            &[
                ("origin", "https://app.example"),
                ("host", "dev-123.okta.example"),
                ("content-type", "application/json"),
            ],
            &json!({ "username": "nobody@example.com", "password": "x" }).to_string(),
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "an Okta answer, not a refusal: {answer}"
    );
    assert_eq!(answer["errorCode"], "E0000004");
}
