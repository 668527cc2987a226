//! Hostile scripts against the sandbox's per-call limits (issue 17 §2): thousands of requests,
//! sockets, and work left behind after the callback. Each test asserts the bound, that the call
//! ends on time, and that the sandbox serves the next call. The memory bound on response bodies
//! has its own test binary (`response_memory.rs`): it measures the process.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::value;
use sandbox::{CallResult, Sandbox, SandboxConfig, ScriptCall};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the loopback server saw.
#[derive(Default)]
struct Seen {
    open: AtomicUsize,
    most_open: AtomicUsize,
    requests: AtomicUsize,
}

/// A keep-alive HTTP/1.1 server on 127.0.0.1 that answers every request `ok` after `delay`
/// (never, with `None`: it waits for the client to close) and counts its open connections.
async fn counting_server(delay: Option<Duration>) -> (String, Arc<Seen>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let seen = Arc::new(Seen::default());
    let counts = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let seen = counts.clone();
            let open = seen.open.fetch_add(1, Ordering::SeqCst) + 1;
            seen.most_open.fetch_max(open, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let mut have = Vec::new();
                'connection: loop {
                    while !have.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => break 'connection,
                            Ok(n) => have.extend_from_slice(&buf[..n]),
                        }
                    }
                    have.clear();
                    seen.requests.fetch_add(1, Ordering::SeqCst);
                    match delay {
                        Some(delay) => tokio::time::sleep(delay).await,
                        // never answer: wait for the client to close the connection
                        None => loop {
                            match socket.read(&mut buf).await {
                                Ok(0) | Err(_) => break 'connection,
                                Ok(_) => {}
                            }
                        },
                    }
                    let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok";
                    if socket.write_all(answer).await.is_err() {
                        break;
                    }
                }
                seen.open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    (format!("http://{addr}"), seen)
}

fn call_with_base(source: &str, base: &str) -> ScriptCall {
    ScriptCall {
        source: source.into(),
        file_name: "login.js".into(),
        args: vec![],
        configuration: BTreeMap::from([("BASE".to_owned(), base.to_owned())]),
        context: None,
    }
}

fn sandbox(time_limit: Duration) -> Sandbox {
    Sandbox::new(SandboxConfig {
        time_limit,
        ..SandboxConfig::default()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_requests_hold_twenty_sockets_and_stop_at_five_hundred() {
    let (base, seen) = counting_server(Some(Duration::from_millis(20))).await;
    let sandbox = sandbox(Duration::from_secs(15));
    let script = r#"function f(callback) {
  var done = 0, ok = 0, limited = 0, other = [];
  for (var i = 0; i < 5000; i++) {
    request(configuration.BASE + '/x' + i, function (err, res, body) {
      if (err && err.code === 'ERR_SANDBOX_REQUEST_LIMIT') limited++;
      else if (!err && body === 'ok') ok++;
      else other.push(err ? err.message : res.statusCode);
      if (++done === 5000) callback(null, { ok: ok, limited: limited, other: other.slice(0, 3) });
    });
  }
}"#;
    let started = Instant::now();
    let outcome = sandbox.run(call_with_base(script, &base)).await;
    let got = value(&outcome);
    assert_eq!(
        got,
        json!({ "ok": 500, "limited": 4500, "other": [] }),
        "{:?}",
        outcome.console
    );
    let most_open = seen.most_open.load(Ordering::SeqCst);
    assert!(most_open <= 20, "{most_open} sockets open at once");
    assert_eq!(seen.requests.load(Ordering::SeqCst), 500);
    // 500 requests, 20 at a time, 20 ms each: well under a second of waiting
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());

    let next = sandbox
        .run(call_with_base(
            "function f(callback) { request(configuration.BASE + '/next', function (e, r, b) { callback(e, b); }); }",
            &base,
        ))
        .await;
    assert_eq!(value(&next), json!("ok"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_waiting_for_a_slot_end_with_the_call() {
    // A server that never answers: 20 requests hold the slots, 100 more wait; the time limit
    // ends the call and every socket is closed.
    let (base, seen) = counting_server(None).await;
    let sandbox = sandbox(Duration::from_millis(800));
    let script = "function f(callback) {\n  for (var i = 0; i < 120; i++) request(configuration.BASE + '/hang', function () {});\n}";
    let started = Instant::now();
    let outcome = sandbox.run(call_with_base(script, &base)).await;
    assert_eq!(outcome.result, CallResult::TimedOut);
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert!(seen.most_open.load(Ordering::SeqCst) <= 20);
    assert_eq!(seen.requests.load(Ordering::SeqCst), 20);
    // the aborted requests close their sockets
    let closed = Instant::now();
    while seen.open.load(Ordering::SeqCst) > 0 && closed.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(seen.open.load(Ordering::SeqCst), 0, "sockets left open after the call");
}

/// Scripts that call back and leave work behind: each answers at once, not at the time limit.
const LEFTOVERS: &[(&str, &str)] = &[
    (
        "a busy finalization chain",
        "var r = new FinalizationRegistry(function () { r.register({}, 2); });\n  r.register({}, 1);",
    ),
    (
        "a finalization callback that loops",
        "var r = new FinalizationRegistry(function () { for (;;) {} });\n  for (var i = 0; i < 1000; i++) r.register({ a: [i] }, i);",
    ),
    ("an interval", "setInterval(function () {}, 1);"),
    ("a timer that loops", "setTimeout(function () { for (;;) {} }, 0);"),
    (
        "a promise job that loops",
        "Promise.resolve().then(function () { for (;;) {} });",
    ),
    (
        "a request that never answers",
        "request(configuration.BASE + '/hang', function () {});",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_left_after_the_callback_does_not_hold_the_answer() {
    let (base, _) = counting_server(None).await;
    let sandbox = sandbox(Duration::from_secs(10));
    for (label, leftover) in LEFTOVERS {
        let script = format!("function login(callback) {{\n  {leftover}\n  callback(null, {{ user_id: 'u1' }});\n}}");
        let started = Instant::now();
        let outcome = sandbox.run(call_with_base(&script, &base)).await;
        assert_eq!(value(&outcome), json!({ "user_id": "u1" }), "{label}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{label}: {:?}",
            started.elapsed()
        );
    }

    // code still running when the callback is called is stopped, with a warning
    let started = Instant::now();
    let outcome = sandbox
        .run(call_with_base(
            "function login(callback) {\n  callback(null, { user_id: 'u2' });\n  for (;;) {}\n}",
            &base,
        ))
        .await;
    assert_eq!(value(&outcome), json!({ "user_id": "u2" }));
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    assert!(
        outcome
            .console
            .iter()
            .any(|l| l.level == "warn" && l.text.contains("still running after calling back")),
        "{:?}",
        outcome.console
    );

    // a script that loops before calling back still times out
    let outcome = self::sandbox(Duration::from_millis(500))
        .run(call_with_base(
            "function login(callback) {\n  setTimeout(function () { callback(null, {}); }, 10);\n  Promise.resolve().then(function () { for (;;) {} });\n}",
            &base,
        ))
        .await;
    assert_eq!(outcome.result, CallResult::TimedOut);

    let next = sandbox
        .run(call_with_base(
            "function f(callback) { callback(null, 'next'); }",
            &base,
        ))
        .await;
    assert_eq!(value(&next), json!("next"));
}
