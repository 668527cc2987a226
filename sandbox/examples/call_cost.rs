//! The sandbox's cost per call, for profiling (BENCHMARKS.md, first logins): runs one kind of
//! call many times, one after the other, and prints the CPU time per call.
//!
//! ```sh
//! cargo run --release -p sandbox --example call_cost -- okta 2000
//! valgrind --tool=callgrind target/release/examples/call_cost okta 300
//! ```
//!
//! Kinds: `trivial` (the script calls back at once), `okta` (the documented Okta login script,
//! one `request` to a loopback server answering a fixed Okta `/api/v1/authn` success),
//! `expression` (prints the outcome of one call calling back with the JavaScript expression
//! given as third argument), `measure` (the same call, measured), `file` (prints the outcome
//! of one call of the script in the file named as third argument).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use sandbox::{CallResult, Sandbox, SandboxConfig, ScriptCall};
use serde_json::json;

const TRIVIAL: &str =
    "function login(email, password, callback) {\n  callback(null, { user_id: '1', email: email });\n}";

const OKTA_ANSWER: &str = r#"{"expiresAt":"2030-01-01T00:00:00.000Z","status":"SUCCESS","sessionToken":"20111ABCDEF","_embedded":{"user":{"id":"00ub0oNGTSWTBKOLGLNR","passwordChanged":"2029-01-01T00:00:00.000Z","profile":{"login":"a@example.com","firstName":"Isaac","lastName":"Brock","locale":"en","timeZone":"America/Los_Angeles"}}}}"#;

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let kind = args.next().unwrap_or_else(|| "trivial".to_owned());
    let count: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let app = axum::Router::new().route(
        "/api/v1/authn",
        axum::routing::post(|| async { ([("content-type", "application/json")], OKTA_ANSWER) }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });

    let (source, configuration) = match kind.as_str() {
        "trivial" => (TRIVIAL.to_owned(), BTreeMap::new()),
        "okta" => (
            include_str!("../../scenarios/okta/scripts/login.js").to_owned(),
            BTreeMap::from([("OKTA_URL".to_owned(), format!("http://127.0.0.1:{port}"))]),
        ),
        "expression" | "measure" => (
            format!(
                "function login(email, password, callback) {{\n  callback(null, {{ user_id: String({}) }});\n}}",
                std::env::args().nth(3).unwrap_or_else(|| "1".to_owned())
            ),
            BTreeMap::new(),
        ),
        "file" => (
            std::fs::read_to_string(std::env::args().nth(3).unwrap_or_default()).expect("a script file"),
            BTreeMap::new(),
        ),
        other => panic!("unknown kind {other}: trivial, okta, expression, measure or file"),
    };
    let sandbox = Sandbox::new(SandboxConfig {
        time_limit: Duration::from_secs(5),
        ..SandboxConfig::default()
    });
    let call = ScriptCall {
        source: source.into(),
        file_name: "login.js".into(),
        args: vec![json!("a@example.com"), json!("Passw0rd!")],
        configuration,
        context: None,
    };
    if kind == "expression" || kind == "file" {
        let outcome = sandbox.run(call).await;
        println!("{:?}", outcome.result);
        return;
    }
    for _ in 0..20 {
        let outcome = sandbox.run(call.clone()).await;
        assert!(
            matches!(
                outcome.result,
                CallResult::Callback {
                    error: None,
                    value: Some(_)
                }
            ),
            "{:?} {:?}",
            outcome.result,
            outcome.console
        );
    }
    let cpu = cpu_seconds();
    let started = Instant::now();
    for _ in 0..count {
        let outcome = sandbox.run(call.clone()).await;
        assert!(matches!(outcome.result, CallResult::Callback { error: None, .. }));
    }
    let wall = started.elapsed();
    let cpu = cpu_seconds() - cpu;
    println!(
        "{kind}: {count} calls, {:.1} µs wall and {:.1} µs CPU per call (server included)",
        wall.as_secs_f64() * 1e6 / f64::from(count),
        cpu * 1e6 / f64::from(count)
    );
}
