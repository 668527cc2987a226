//! Name-based routing: a script's request to a real host name (`https://acme.okta.com/...`)
//! reaches a server on loopback with nothing resolved and nothing else changed.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use common::{call, value};
use sandbox::{CallResult, ORIGINAL_SCHEME_HEADER, Routes, Sandbox, SandboxConfig};
use serde_json::{Value, json};

/// Echoes the request: method, path and query, headers (lower-case names), body.
async fn echo(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> axum::Json<Value> {
    let headers: BTreeMap<String, String> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    axum::Json(json!({
        "method": method.as_str(),
        "url": uri.to_string(),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    }))
}

/// Redirects to a path on the host the request named (as a real service's `Location` would).
async fn moved(headers: HeaderMap) -> Response {
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let scheme = headers
        .get(ORIGINAL_SCHEME_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("http")
        .to_owned();
    (
        StatusCode::FOUND,
        [("location", format!("{scheme}://{host}/echo?moved=1"))],
    )
        .into_response()
}

async fn server() -> String {
    let app = Router::new().route("/echo", any(echo)).route("/moved", any(moved));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("addr: {e}"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

fn sandbox_with(routes: Routes) -> Sandbox {
    Sandbox::new(SandboxConfig {
        time_limit: Duration::from_secs(5),
        routes,
        ..SandboxConfig::default()
    })
}

fn okta_routes(target: &str) -> Routes {
    let mut routes = Routes::new();
    routes
        .route("*.okta.com", target, "okta")
        .unwrap_or_else(|e| panic!("{e}"));
    routes
}

const ECHO_POST: &str = r#"function f(url, callback) {
  request({
    url: url,
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'Authorization': 'SSWS t0ken' },
    qs: { limit: 2 },
    body: { username: 'a@example.com', password: 'pw' },
    json: true
  }, function (error, response, body) {
    if (error) return callback(null, { error: error.message, code: error.code });
    callback(null, { status: response.statusCode, body: body, href: response.request.href });
  });
}"#;

#[tokio::test]
async fn an_https_url_of_a_routed_host_reaches_the_target_untouched() {
    let base = server().await;
    let sandbox = sandbox_with(okta_routes(&base));
    let outcome = sandbox
        .run(call(ECHO_POST, vec![json!("https://acme.okta.com/echo?x=1")]))
        .await;
    let got = value(&outcome);
    assert_eq!(got["status"], 200, "{got}");
    let echoed = &got["body"];
    assert_eq!(echoed["method"], "POST");
    assert_eq!(echoed["url"], "/echo?x=1&limit=2");
    assert_eq!(echoed["headers"]["host"], "acme.okta.com");
    assert_eq!(echoed["headers"]["authorization"], "SSWS t0ken");
    assert_eq!(echoed["headers"]["content-type"], "application/json");
    assert_eq!(echoed["headers"][ORIGINAL_SCHEME_HEADER], "https");
    assert_eq!(
        serde_json::from_str::<Value>(echoed["body"].as_str().unwrap_or_default()).ok(),
        Some(json!({ "username": "a@example.com", "password": "pw" }))
    );
    // the script sees its own URL; the log says where it went
    assert_eq!(got["href"], "https://acme.okta.com/echo?x=1&limit=2");
    assert_eq!(outcome.http.len(), 1);
    assert_eq!(outcome.http[0].url, "https://acme.okta.com/echo?x=1&limit=2");
    assert_eq!(
        outcome.http[0].routed_to.as_deref(),
        Some(format!("{base} (okta)").as_str())
    );
    assert_eq!(outcome.http[0].status, Some(200));
}

#[tokio::test]
async fn an_http_url_keeps_its_port_and_carries_no_marker() {
    let base = server().await;
    let sandbox = sandbox_with(okta_routes(&base));
    let outcome = sandbox
        .run(call(
            ECHO_POST,
            vec![json!("http://dev-1.oktapreview.okta.com:8080/echo")],
        ))
        .await;
    let got = value(&outcome);
    assert_eq!(got["body"]["headers"]["host"], "dev-1.oktapreview.okta.com:8080");
    assert_eq!(got["body"]["headers"].get(ORIGINAL_SCHEME_HEADER), None);
}

#[tokio::test]
async fn a_host_the_script_sets_is_kept_and_a_forged_marker_dropped() {
    let base = server().await;
    let sandbox = sandbox_with(okta_routes(&base));
    let script = format!(
        "function f(callback) {{ request({{ url: 'http://acme.okta.com/echo', headers: {{ Host: 'other.example', '{ORIGINAL_SCHEME_HEADER}': 'https' }}, json: true }}, function (e, r, body) {{ callback(null, body.headers); }}); }}"
    );
    let headers = value(&sandbox.run(call(&script, vec![])).await);
    assert_eq!(headers["host"], "other.example");
    assert_eq!(headers.get(ORIGINAL_SCHEME_HEADER), None);
}

#[tokio::test]
async fn redirects_to_the_routed_host_are_routed_again() {
    let base = server().await;
    let sandbox = sandbox_with(okta_routes(&base));
    let script = "function f(callback) { request({ url: 'https://acme.okta.com/moved', json: true }, function (e, r, body) { callback(null, [e && e.message, r && r.statusCode, body && body.url, body && body.headers.host]); }); }";
    let outcome = sandbox.run(call(script, vec![])).await;
    assert_eq!(value(&outcome), json!([null, 200, "/echo?moved=1", "acme.okta.com"]));
    let hops: Vec<&str> = outcome.http.iter().map(|x| x.url.as_str()).collect();
    assert_eq!(
        hops,
        vec!["https://acme.okta.com/moved", "https://acme.okta.com/echo?moved=1"]
    );
}

#[tokio::test]
async fn unrouted_names_stay_refused_with_the_hint_and_routes_can_refuse() {
    let base = server().await;
    let mut routes = okta_routes(&base);
    routes
        .refuse(
            "api.stormpath.com",
            "the scenario runs no stormpath mock: add a stormpath: section",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    routes.set_refusal_hint("route it to a mock with routes:");
    let sandbox = sandbox_with(routes);
    let script =
        "function f(url, callback) { request(url, function (e) { callback(null, e ? [e.message, e.code] : null); }); }";
    for (url, message) in [
        (
            "https://okta.com/",
            "connect EACCES okta.com:443 (outbound request not allowed by the sandbox: route it to a mock with routes:)",
        ),
        (
            "https://evilokta.com/",
            "connect EACCES evilokta.com:443 (outbound request not allowed by the sandbox: route it to a mock with routes:)",
        ),
        (
            "https://api.stormpath.com/v1/tenants/current",
            "connect EACCES api.stormpath.com:443 (outbound request not allowed by the sandbox: the scenario runs no stormpath mock: add a stormpath: section)",
        ),
    ] {
        let outcome = sandbox.run(call(script, vec![json!(url)])).await;
        assert_eq!(value(&outcome), json!([message, "EACCES"]), "{url}");
        assert_eq!(outcome.http[0].routed_to, None);
    }
}

#[tokio::test]
async fn a_dead_target_fails_as_node_does() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    drop(listener);
    let sandbox = sandbox_with(okta_routes(&format!("http://127.0.0.1:{port}")));
    let script = "function f(callback) { request('https://acme.okta.com/api/v1/authn', function (e, r) { callback(null, [e.message, e.code, e.address, e.port]); }); }";
    let outcome = sandbox.run(call(script, vec![])).await;
    assert_eq!(
        value(&outcome),
        json!([
            format!("connect ECONNREFUSED 127.0.0.1:{port}"),
            "ECONNREFUSED",
            "127.0.0.1",
            port
        ])
    );
}

#[tokio::test]
async fn the_most_specific_route_wins() {
    let a = server().await;
    let b = server().await;
    let mut routes = Routes::new();
    routes.route("*.acme.com", &a, "a").unwrap_or_else(|e| panic!("{e}"));
    routes.route("idp.acme.com", &b, "b").unwrap_or_else(|e| panic!("{e}"));
    routes.route("*.eu.acme.com", &b, "b").unwrap_or_else(|e| panic!("{e}"));
    let sandbox = sandbox_with(routes.clone());
    let script = "function f(url, callback) { request(url, function () { callback(null, true); }); }";
    for (url, target) in [
        ("https://login.acme.com/echo", &a),
        ("https://idp.acme.com/echo", &b),
        ("https://x.eu.acme.com/echo", &b),
        ("https://x.y.acme.com/echo", &a),
    ] {
        let outcome = sandbox.run(call(script, vec![json!(url)])).await;
        assert!(matches!(outcome.result, CallResult::Callback { error: None, .. }));
        assert!(
            outcome.http[0]
                .routed_to
                .as_deref()
                .is_some_and(|to| to.starts_with(target.as_str())),
            "{url}: {:?}",
            outcome.http[0].routed_to
        );
    }
    // a host let through to itself past a wider route: the allowlist decides
    let mut through = Routes::new();
    through.direct("real.acme.com").unwrap_or_else(|e| panic!("{e}"));
    through.route("*.acme.com", &a, "a").unwrap_or_else(|e| panic!("{e}"));
    let outcome = sandbox_with(through)
        .run(call(
            "function f(callback) { request('https://real.acme.com/x', function (e) { callback(null, e && e.code); }); }",
            vec![],
        ))
        .await;
    assert_eq!(value(&outcome), json!("EACCES"));
    assert_eq!(outcome.http[0].routed_to, None);
    // bad routes are refused with a reason
    for (host, target) in [
        ("10.0.0.1", "http://127.0.0.1:1"),
        ("acme.com:443", "http://127.0.0.1:1"),
        ("acme.com", "ftp://127.0.0.1"),
        ("acme.com", "http://127.0.0.1:1/prefix"),
        ("acme.com", "not a url"),
        ("a..b", "http://127.0.0.1:1"),
    ] {
        assert!(Routes::new().route(host, target, "x").is_err(), "{host}={target}");
    }
    assert_eq!(
        serde_json::to_value(&routes).ok(),
        Some(json!([
            format!("idp.acme.com → {b} (b)"),
            format!("*.eu.acme.com → {b} (b)"),
            format!("*.acme.com → {a} (a)"),
        ]))
    );
}
