//! The `request` global against a tiny axum server on 127.0.0.1:0.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use common::{call, sandbox, value};
use sandbox::{CallResult, HostRule, Outbound, Sandbox, SandboxConfig, ScriptCall};
use serde_json::{Value, json};

/// Echoes the request as JSON: method, path and query, lower-case headers, body text.
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

/// A minimal Okta `/api/v1/authn`: password `right` succeeds.
async fn authn(body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if body["password"] == "right" {
        axum::Json(json!({
            "status": "SUCCESS",
            "_embedded": { "user": { "id": "00u1", "profile": {
                "login": body["username"], "firstName": "Jörg", "lastName": "Doe" } } }
        }))
        .into_response()
    } else {
        (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "errorCode": "E0000004", "errorSummary": "Authentication failed" })),
        )
            .into_response()
    }
}

async fn cookies() -> Response {
    let mut response = "ok".into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2"),
        ("x-multi", "one"),
        ("x-multi", "two"),
        ("content-type", "text/plain; charset=utf-8"),
    ] {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::from_bytes(name.as_bytes()),
            axum::http::HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
    response
}

async fn redirect() -> Response {
    (StatusCode::FOUND, [("location", "/echo?from=redirect")]).into_response()
}

/// Redirects to a host outside the default allowlist.
async fn redirect_away() -> Response {
    (StatusCode::FOUND, [("location", "http://203.0.113.9:8080/collect")]).into_response()
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(2)).await;
    "late"
}

/// Starts the server; returns its base URL.
async fn server() -> String {
    let app = Router::new()
        .route("/echo", any(echo))
        .route("/api/v1/authn", post(authn))
        .route("/cookies", get(cookies))
        .route("/redirect", any(redirect))
        .route("/redirect-away", any(redirect_away))
        .route("/slow", get(slow))
        .route("/text", get(|| async { "plain text" }))
        .route("/empty", get(|| async { StatusCode::NO_CONTENT }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("addr: {e}"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// A port nothing listens on.
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let port = listener.local_addr().unwrap_or_else(|e| panic!("addr: {e}")).port();
    drop(listener);
    port
}

fn with_config(source: &str, args: Vec<Value>, base: &str) -> ScriptCall {
    let mut c = call(source, args);
    c.configuration.insert("BASE".into(), base.into());
    c.configuration.insert("OKTA_URL".into(), base.into());
    c
}

/// Auth0's documented Okta login script (A1), with the URL taken from the configuration.
const OKTA_LOGIN: &str = r#"function login(email, password, callback) {
  request({
    url: configuration.OKTA_URL + '/api/v1/authn',
    method: 'POST',
    json: {
      username: email,
      password: password
    }
  }, function (error, response, body) {
    if (response.statusCode !== 200) return callback();
    var user = body._embedded.user;
    callback(null, {
      user_id: user.id,
      username: user.profile.login,
      email_verified: true,
      email: user.profile.login,
      name: user.profile.firstName + ' ' + user.profile.lastName
    });
  });
}"#;

#[tokio::test]
async fn okta_login_script_against_a_mock() {
    let base = server().await;
    let sandbox = sandbox();
    let outcome = sandbox
        .run(with_config(
            OKTA_LOGIN,
            vec![json!("jd@example.com"), json!("right")],
            &base,
        ))
        .await;
    assert_eq!(
        value(&outcome),
        json!({
            "user_id": "00u1",
            "username": "jd@example.com",
            "email_verified": true,
            "email": "jd@example.com",
            "name": "Jörg Doe"
        })
    );
    assert_eq!(outcome.http.len(), 1);
    let exchange = &outcome.http[0];
    assert_eq!((exchange.method.as_str(), exchange.status), ("POST", Some(200)));
    assert_eq!(exchange.url, format!("{base}/api/v1/authn"));
    assert_eq!(exchange.error, None);

    let outcome = sandbox
        .run(with_config(
            OKTA_LOGIN,
            vec![json!("jd@example.com"), json!("wrong")],
            &base,
        ))
        .await;
    assert_eq!(
        outcome.result,
        CallResult::Callback {
            error: None,
            value: None
        }
    );
    assert_eq!(outcome.http[0].status, Some(401));
}

#[tokio::test]
async fn the_one_slash_url_trap_fails_with_invalid_uri() {
    let source = OKTA_LOGIN.replace(
        "configuration.OKTA_URL + '/api/v1/authn'",
        "'https:/YOUR-OKTA-DOMAIN/api/v1/authn'",
    );
    let outcome = sandbox()
        .run(call(&source, vec![json!("a@example.com"), json!("pw")]))
        .await;
    let CallResult::Threw(e) = &outcome.result else {
        panic!("expected Threw, got {:?}", outcome.result);
    };
    assert_eq!(e.message, "Cannot read properties of undefined (reading 'statusCode')");
    assert_eq!(e.line, Some(10));
    // nothing was sent; the log says why
    assert_eq!(outcome.http.len(), 1, "{:?}", outcome.http);
    assert_eq!(outcome.http[0].url, "https:/YOUR-OKTA-DOMAIN/api/v1/authn");
    assert_eq!(outcome.http[0].status, None);
    assert_eq!(
        outcome.http[0].error.as_deref(),
        Some("Invalid URI \"https:/YOUR-OKTA-DOMAIN/api/v1/authn\"")
    );

    let error = common::eval(
        "(function () { var seen; request({ url: 'https:/example.com/x' }, function (e, r, b) { seen = [e instanceof Error, e.message, typeof r, typeof b]; }); return seen; })()",
    )
    .await;
    assert_eq!(
        error,
        json!([true, "Invalid URI \"https:/example.com/x\"", "undefined", "undefined"])
    );

    let error = common::eval(
        "(function () { var seen; request('ftp://example.com/file', function (e) { seen = e.message; }); return seen; })()",
    )
    .await;
    assert_eq!(error, json!("Invalid protocol: ftp:"));
}

#[tokio::test]
async fn connection_refused_crashes_the_documented_script_like_node() {
    let port = closed_port().await;
    let base = format!("http://127.0.0.1:{port}");
    let outcome = sandbox()
        .run(with_config(
            OKTA_LOGIN,
            vec![json!("a@example.com"), json!("right")],
            &base,
        ))
        .await;
    let CallResult::Threw(e) = &outcome.result else {
        panic!("expected Threw, got {:?}", outcome.result);
    };
    assert_eq!(e.name, "TypeError");
    assert_eq!(e.message, "Cannot read properties of undefined (reading 'statusCode')");
    assert_eq!((e.line, e.column), (Some(10), Some(9)));
    assert_eq!(outcome.http.len(), 1);
    assert_eq!(outcome.http[0].status, None);
    assert_eq!(
        outcome.http[0].error.as_deref(),
        Some(format!("connect ECONNREFUSED 127.0.0.1:{port}").as_str())
    );

    let outcome = sandbox()
        .run(with_config(
            "function f(callback) {\n  request.get(configuration.BASE + '/x', function (err, res, body) {\n    callback(null, [err.message, err.code, err.errno, err.syscall, err.address, err.port, typeof res, typeof body]);\n  });\n}",
            vec![],
            &base,
        ))
        .await;
    assert_eq!(
        value(&outcome),
        json!([
            format!("connect ECONNREFUSED 127.0.0.1:{port}"),
            "ECONNREFUSED",
            -111,
            "connect",
            "127.0.0.1",
            port,
            "undefined",
            "undefined"
        ])
    );
}

#[tokio::test]
async fn unknown_hosts_fail_like_getaddrinfo() {
    let sandbox = Sandbox::new(SandboxConfig {
        outbound: Outbound::Any,
        ..SandboxConfig::default()
    });
    let outcome = sandbox
        .run(call(
            "function f(callback) { request('http://nonexistent.invalid/x', function (err) { callback(null, [err.message, err.code, err.syscall, err.hostname]); }); }",
            vec![],
        ))
        .await;
    assert_eq!(
        value(&outcome),
        json!([
            "getaddrinfo ENOTFOUND nonexistent.invalid",
            "ENOTFOUND",
            "getaddrinfo",
            "nonexistent.invalid"
        ])
    );
}

#[tokio::test]
async fn json_true_sends_and_parses_json() {
    let base = server().await;
    let outcome = sandbox()
        .run(with_config(
            "function f(callback) {\n  request.post({ url: configuration.BASE + '/echo', json: true, body: { a: 1, s: 'é' } }, function (err, res, body) {\n    callback(err, { status: res.statusCode, type: typeof body, echoed: body });\n  });\n}",
            vec![],
            &base,
        ))
        .await;
    let v = value(&outcome);
    assert_eq!(v["status"], json!(200));
    assert_eq!(v["type"], json!("object"));
    assert_eq!(v["echoed"]["method"], json!("POST"));
    assert_eq!(v["echoed"]["body"], json!("{\"a\":1,\"s\":\"é\"}"));
    assert_eq!(v["echoed"]["headers"]["content-type"], json!("application/json"));
    assert_eq!(v["echoed"]["headers"]["accept"], json!("application/json"));
    assert_eq!(v["echoed"]["headers"]["content-length"], json!("16"));

    // json: <object> is the body
    let outcome = sandbox()
        .run(with_config(
            "function f(callback) { request({ method: 'PUT', uri: configuration.BASE + '/echo', json: { x: [1] } }, function (err, res, body) { callback(err, body.body); }); }",
            vec![],
            &base,
        ))
        .await;
    assert_eq!(value(&outcome), json!("{\"x\":[1]}"));

    // a non-JSON response stays a string with json: true
    let outcome = sandbox()
        .run(with_config(
            "function f(callback) { request({ url: configuration.BASE + '/text', json: true }, function (err, res, body) { callback(err, [typeof body, body]); }); }",
            vec![],
            &base,
        ))
        .await;
    assert_eq!(value(&outcome), json!(["string", "plain text"]));
}

#[tokio::test]
async fn without_json_bodies_are_strings() {
    let base = server().await;
    let outcome = sandbox()
        .run(with_config(
            "function f(callback) {\n  request(configuration.BASE + '/echo', { method: 'post', body: 'raw text', headers: { 'Content-Type': 'text/plain', 'X-Trace': 'abc' } }, function (err, res, body) {\n    var parsed = JSON.parse(body);\n    callback(err, { type: typeof body, statusMessage: res.statusMessage, ct: res.headers['content-type'], method: parsed.method, body: parsed.body, trace: parsed.headers['x-trace'], href: res.request.uri.href });\n  });\n}",
            vec![],
            &base,
        ))
        .await;
    assert_eq!(
        value(&outcome),
        json!({
            "type": "string",
            "statusMessage": "OK",
            "ct": "application/json",
            "method": "POST",
            "body": "raw text",
            "trace": "abc",
            "href": format!("{base}/echo")
        })
    );

    // an empty body is '' without json, undefined with json
    let outcome = sandbox()
        .run(with_config(
            "function f(callback) { request(configuration.BASE + '/empty', function (e, r, b) { request({ url: configuration.BASE + '/empty', json: true }, function (e2, r2, b2) { callback(null, [r.statusCode, b, typeof b2]); }); }); }",
            vec![],
            &base,
        ))
        .await;
    assert_eq!(value(&outcome), json!([204, "", "undefined"]));

    // encoding: null gives a Buffer
    let outcome = sandbox()
        .run(with_config(
            "function f(callback) { request({ url: configuration.BASE + '/text', encoding: null }, function (e, r, b) { callback(null, [Buffer.isBuffer(b), b.toString('hex')]); }); }",
            vec![],
            &base,
        ))
        .await;
    assert_eq!(value(&outcome), json!([true, "706c61696e2074657874"]));
}

#[tokio::test]
async fn basic_and_bearer_auth_headers() {
    let base = server().await;
    // node -e "console.log('Basic ' + Buffer.from('jörg:pässwörd', 'utf8').toString('base64'))"
    let outcome = sandbox()
        .run(with_config(
            "function f(user, pass, callback) { request({ url: configuration.BASE + '/echo', json: true, auth: { user: user, pass: pass } }, function (e, r, body) { callback(e, body.headers.authorization); }); }",
            vec![json!("jörg"), json!("pässwörd")],
            &base,
        ))
        .await;
    assert_eq!(value(&outcome), json!("Basic asO2cmc6cMOkc3N3w7ZyZA=="));
    let exchange = &outcome.http[0];
    assert!(
        exchange
            .request_headers
            .contains(&("authorization".to_owned(), "[masked]".to_owned())),
        "{:?}",
        exchange.request_headers
    );
    assert!(
        !format!("{:?}", outcome.http).contains("asO2"),
        "credentials leaked: {:?}",
        outcome.http
    );

    let outcome = sandbox()
        .run(with_config(
            "function f(callback) { request.get({ url: configuration.BASE + '/echo', json: true, auth: { bearer: 'tok123' }, headers: { 'X-Api-Key': 'k' } }, function (e, r, body) { callback(e, body.headers.authorization); }); }",
            vec![],
            &base,
        ))
        .await;
    assert_eq!(value(&outcome), json!("Bearer tok123"));
    let headers = &outcome.http[0].request_headers;
    assert!(
        headers.contains(&("X-Api-Key".to_owned(), "[masked]".to_owned())),
        "{headers:?}"
    );
    assert!(
        headers.contains(&("accept".to_owned(), "application/json".to_owned())),
        "{headers:?}"
    );

    // explicit Authorization header (Okta's SSWS token) is masked too
    let outcome = sandbox()
        .run(with_config(
            "function f(callback) { request({ url: configuration.BASE + '/echo', headers: { Authorization: 'SSWS secret-token' } }, function (e, r, body) { callback(e, JSON.parse(body).headers.authorization); }); }",
            vec![],
            &base,
        ))
        .await;
    assert_eq!(value(&outcome), json!("SSWS secret-token"));
    assert_eq!(
        outcome.http[0].request_headers,
        vec![("Authorization".to_owned(), "[masked]".to_owned())]
    );
}

#[tokio::test]
async fn qs_and_form_encoding() {
    let base = server().await;
    // Expected strings follow the `qs` module's defaults (RFC 3986 encoding, brackets encoded:
    // qs.stringify({ a: { b: 'c' } }) === 'a%5Bb%5D=c', arrays as a[0]=x, null as 'a=').
    let outcome = sandbox()
        .run(with_config(
            "function f(callback) {\n  request({ url: configuration.BASE + '/echo?keep=1', json: true, qs: { a: { b: 'c' }, arr: ['x', 'y'], s: \"it's (ok)!\", n: null, u: undefined, e: 'ü' } }, function (e, r, body) {\n    callback(e, body.url);\n  });\n}",
            vec![],
            &base,
        ))
        .await;
    assert_eq!(
        value(&outcome),
        json!("/echo?keep=1&a%5Bb%5D=c&arr%5B0%5D=x&arr%5B1%5D=y&s=it%27s%20%28ok%29%21&n=&e=%C3%BC")
    );

    let outcome = sandbox()
        .run(with_config(
            "function f(callback) {\n  request.post({ url: configuration.BASE + '/echo', form: { user: 'a b', pass: 'é&=', list: [1, 2] } }, function (e, r, body) {\n    body = JSON.parse(body);\n    callback(e, [body.body, body.headers['content-type'], body.headers['content-length']]);\n  });\n}",
            vec![],
            &base,
        ))
        .await;
    assert_eq!(
        value(&outcome),
        json!([
            "user=a%20b&pass=%C3%A9%26%3D&list%5B0%5D=1&list%5B1%5D=2",
            "application/x-www-form-urlencoded",
            "56"
        ])
    );
}

/// The options few requests use (they live in `request_options.js`, loaded on demand): each
/// result as npm `request` v2.88 gives it.
#[tokio::test]
async fn base_url_credentials_in_the_url_and_buffer_bodies() {
    let base = server().await;
    let script = r#"function f(callback) {
  var results = [];
  // baseUrl joined with a path (one slash between them, whichever side has it)
  request({ baseUrl: configuration.BASE + '/', uri: '/echo?a=1', json: true }, function (e, r, body) {
    results.push(body.url);
    request({ baseUrl: configuration.BASE, uri: 'echo', json: true }, function (e, r, body) {
      results.push(body.url);
      // a full URL with baseUrl, and a baseUrl that is not a string: synchronous errors
      request({ baseUrl: configuration.BASE, uri: 'http://example.com/x' }, function (e) { results.push(e.message); });
      request({ baseUrl: 5, uri: '/x' }, function (e) { results.push(e.message); });
      // user:password in the URL, percent-decoded, as Basic authorization
      request({ url: configuration.BASE.replace('http://', 'http://us%65r:p%3Ass@') + '/echo', json: true }, function (e, r, body) {
        results.push(body.headers.authorization === 'Basic ' + Buffer.from('user:p:ss').toString('base64'));
        // a Buffer body, and an array of Buffers, sent as bytes with their length
        request.post({ url: configuration.BASE + '/echo', body: Buffer.from('héllo') }, function (e, r, body) {
          body = JSON.parse(body);
          results.push([body.body, body.headers['content-length']]);
          request.post({ url: configuration.BASE + '/echo', body: [Buffer.from('a'), Buffer.from('ü')] }, function (e, r, body) {
            body = JSON.parse(body);
            results.push([body.body, body.headers['content-length']]);
            // an object body without json: no length, an error
            request.post({ url: configuration.BASE + '/echo', body: { a: 1 } }, function (e) {
              results.push(e.message);
              // json: true with a form content type: the string body is RFC 3986-escaped
              request.post({ url: configuration.BASE + '/echo', json: true, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: "a=(b)!" }, function (e, r, body) {
                results.push(body.body);
                // a protocol request does not speak
                request('ftp://example.com/x', function (e) {
                  results.push(e.message);
                  callback(null, results);
                });
              });
            });
          });
        });
      });
    });
  });
}"#;
    let outcome = sandbox().run(with_config(script, vec![], &base)).await;
    assert_eq!(
        value(&outcome),
        json!([
            "/echo?a=1",
            "/echo",
            "options.uri must be a path when using options.baseUrl",
            "options.baseUrl must be a string",
            true,
            ["héllo", "6"],
            ["aü", "3"],
            "Argument error, options.body.",
            "a=%28b%29%21",
            "Invalid protocol: ftp:"
        ]),
        "{:?}",
        outcome.console
    );
    // the credentials in the URL are masked in the log; the refused ftp request is logged
    let log = format!("{:?}", outcome.http);
    assert!(!log.contains("p%3Ass") && !log.contains("us%65r"), "{log}");
    assert!(log.contains("ftp://example.com/x"), "{log}");
}

#[tokio::test]
async fn redirects_follow_request_rules() {
    let base = server().await;
    let outcome = sandbox()
        .run(with_config(
            "function f(callback) {\n  request({ url: configuration.BASE + '/redirect', json: true }, function (e, r, body) {\n    request.post({ url: configuration.BASE + '/redirect' }, function (e2, r2) {\n      callback(e || e2, [r.statusCode, body.url, body.headers.referer, r.request.uri.href, r2.statusCode, r2.headers.location]);\n    });\n  });\n}",
            vec![],
            &base,
        ))
        .await;
    assert_eq!(
        value(&outcome),
        json!([
            200,
            "/echo?from=redirect",
            format!("{base}/redirect"),
            format!("{base}/echo?from=redirect"),
            302,
            "/echo?from=redirect"
        ])
    );
    let hops: Vec<(String, Option<u16>)> = outcome.http.iter().map(|x| (x.url.clone(), x.status)).collect();
    assert_eq!(
        hops,
        vec![
            (format!("{base}/redirect"), Some(302)),
            (format!("{base}/echo?from=redirect"), Some(200)),
            (format!("{base}/redirect"), Some(302)),
        ]
    );
}

#[tokio::test]
async fn response_headers_like_node() {
    let base = server().await;
    let outcome = sandbox()
        .run(with_config(
            "function f(callback) { request(configuration.BASE + '/cookies', function (e, r, body) { callback(e, [r.headers['set-cookie'], r.headers['x-multi'], r.headers['content-type'], body]); }); }",
            vec![],
            &base,
        ))
        .await;
    assert_eq!(
        value(&outcome),
        json!([["a=1", "b=2"], "one, two", "text/plain; charset=utf-8", "ok"])
    );
}

#[tokio::test]
async fn request_timeouts_are_esockettimedout() {
    let base = server().await;
    let started = Instant::now();
    let outcome = sandbox()
        .run(with_config(
            "function f(callback) { request({ url: configuration.BASE + '/slow', timeout: 100 }, function (e, r) { callback(null, [e.message, e.code, e.connect, typeof r]); }); }",
            vec![],
            &base,
        ))
        .await;
    assert_eq!(
        value(&outcome),
        json!(["ESOCKETTIMEDOUT", "ESOCKETTIMEDOUT", false, "undefined"])
    );
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert_eq!(outcome.http[0].error.as_deref(), Some("ESOCKETTIMEDOUT"));
}

#[tokio::test]
async fn pending_requests_are_abandoned_when_callback_is_called() {
    let base = server().await;
    let started = Instant::now();
    let outcome = sandbox()
        .run(with_config(
            "function f(callback) { request(configuration.BASE + '/slow', function () {}); callback(null, 'early'); }",
            vec![],
            &base,
        ))
        .await;
    assert_eq!(value(&outcome), json!("early"));
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(outcome.http.len(), 1);
    assert_eq!(outcome.http[0].status, None);
    assert!(
        outcome.http[0]
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("not completed")
    );
}

#[tokio::test]
async fn an_aborted_request_never_calls_back_and_is_not_waited_for() {
    let base = server().await;
    let outcome = sandbox()
        .run(with_config(
            "function f(callback) { var called = false; var r = request(configuration.BASE + '/slow', function () { called = true; }); r.abort(); r.abort(); setTimeout(function () { callback(null, [called, r._aborted]); }, 50); }",
            vec![],
            &base,
        ))
        .await;
    assert_eq!(value(&outcome), json!([false, true]));
    assert_eq!(outcome.http.len(), 1);
    assert_eq!(outcome.http[0].status, None);

    // with nothing else pending, the call ends at once (/slow answers after 2 s): the
    // aborted request no longer keeps it alive
    let started = Instant::now();
    let outcome = sandbox()
        .run(with_config(
            "function f(callback) { request(configuration.BASE + '/slow', function () { callback(null, 'late'); }).abort(); }",
            vec![],
            &base,
        ))
        .await;
    assert_eq!(outcome.result, CallResult::NoCallback);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn concurrent_calls_share_the_runtime() {
    let base = server().await;
    let sandbox = sandbox();
    let script = "function f(callback) { request({ url: configuration.BASE + '/echo', json: true }, function (e, r, b) { callback(e, r.statusCode); }); }";
    let calls = (0..8).map(|_| {
        let sandbox = sandbox.clone();
        let call = with_config(script, vec![], &base);
        async move { sandbox.run(call).await }
    });
    let outcomes = futures_join_all(calls).await;
    for outcome in outcomes {
        assert_eq!(value(&outcome), json!(200));
    }
}

/// `join_all` without an extra dependency.
async fn futures_join_all<F: std::future::Future + Send + 'static>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap_or_else(|e| panic!("join: {e}")));
    }
    out
}

#[tokio::test]
async fn hosts_outside_the_allowlist_are_refused_before_connecting() {
    let outcome = sandbox()
        .run(call(
            "function f(callback) { request({ url: 'https://api.example.com/v1/users?q=1', headers: { Authorization: 'SSWS secret' } }, function (err, res) { callback(null, [err.message, err.code, err.errno, err.syscall, err.address, err.port, res === undefined]); }); }",
            vec![],
        ))
        .await;
    assert_eq!(
        value(&outcome),
        json!([
            "connect EACCES api.example.com:443 (outbound request not allowed by the sandbox: add the host to the allowlist)",
            "EACCES",
            -13,
            "connect",
            "api.example.com",
            443,
            true
        ])
    );
    assert_eq!(outcome.http.len(), 1);
    let exchange = &outcome.http[0];
    assert_eq!(exchange.url, "https://api.example.com/v1/users?q=1");
    assert_eq!(exchange.status, None);
    assert_eq!(
        exchange.error.as_deref(),
        Some(
            "connect EACCES api.example.com:443 (outbound request not allowed by the sandbox: add the host to the allowlist)"
        )
    );
    assert!(
        exchange
            .request_headers
            .iter()
            .any(|(n, v)| n == "Authorization" && v == "[masked]")
    );

    // the documented pattern of scripts that ignore the error crashes as it would on a dead host
    let outcome = sandbox()
        .run(call(
            "function f(callback) {\n  request('http://10.1.2.3/x', function (err, res) {\n    callback(null, res.statusCode);\n  });\n}",
            vec![],
        ))
        .await;
    let CallResult::Threw(e) = &outcome.result else {
        panic!("expected Threw, got {:?}", outcome.result);
    };
    assert_eq!(e.message, "Cannot read properties of undefined (reading 'statusCode')");
    assert_eq!(e.line, Some(3));
}

#[tokio::test]
async fn redirects_to_hosts_outside_the_allowlist_are_refused() {
    let base = server().await;
    let outcome = sandbox()
        .run(with_config(
            "function f(callback) { request(configuration.BASE + '/redirect-away', function (err) { callback(null, [err.message, err.code]); }); }",
            vec![],
            &base,
        ))
        .await;
    assert_eq!(
        value(&outcome),
        json!([
            "connect EACCES 203.0.113.9:8080 (outbound request not allowed by the sandbox: add the host to the allowlist)",
            "EACCES"
        ])
    );
    let hops: Vec<(String, Option<u16>, bool)> = outcome
        .http
        .iter()
        .map(|x| (x.url.clone(), x.status, x.error.is_some()))
        .collect();
    assert_eq!(
        hops,
        vec![
            (format!("{base}/redirect-away"), Some(302), false),
            ("http://203.0.113.9:8080/collect".to_owned(), None, true),
        ]
    );
}

#[tokio::test]
async fn allowlisted_names_and_ports_are_reachable() {
    let base = server().await;
    let port = base.rsplit(':').next().unwrap_or_default().to_owned();
    // localhost on the server's port only
    let rule: HostRule = format!("localhost:{port}").parse().expect("a valid rule");
    let sandbox = Sandbox::new(SandboxConfig {
        outbound: Outbound::Allow(vec![rule]),
        ..SandboxConfig::default()
    });
    let script = "function f(callback) { request(configuration.BASE + '/text', function (err, res, body) { callback(null, err ? err.code : body); }); }";
    let local = base.replace("127.0.0.1", "localhost");
    let outcome = sandbox.run(with_config(script, vec![], &local)).await;
    assert_eq!(value(&outcome), json!("plain text"));
    // the address itself is not on the list
    let outcome = sandbox.run(with_config(script, vec![], &base)).await;
    assert_eq!(value(&outcome), json!("EACCES"));
}
