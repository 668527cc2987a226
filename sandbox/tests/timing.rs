//! Cost of a call (fresh runtime, context and globals each time). Ignored by default:
//! `cargo test --release -p sandbox --test timing -- --ignored --nocapture`.

mod common;

use std::time::{Duration, Instant};

use common::{call, sandbox, value};
use sandbox::Sandbox;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing measurement, not a correctness test"]
async fn call_timing() {
    let sandbox = sandbox();
    let trivial = "function login(email, password, callback) { callback(null, { user_id: '1', email: email }); }";
    // Loads every lazy global (console, Buffer, timers, request); the request fails at once.
    let heavy = "function login(email, password, callback) {\n  console.log('login', email);\n  var auth = Buffer.from(email + ':' + password).toString('base64');\n  setTimeout(function () {}, 0);\n  request({ url: 'https:/nowhere', headers: { Authorization: 'Basic ' + auth } }, function (err) { callback(null, { user_id: err.message }); });\n}";
    // Requires the modules a bcrypt-and-hash script uses (the hash itself costs ~1 ms at cost 4).
    let modules = "function login(email, password, callback) {\n  var bcrypt = require('bcrypt');\n  var digest = require('crypto').createHash('sha256').update(password).digest('hex');\n  var q = require('querystring').stringify({ email: email });\n  callback(null, { user_id: digest.slice(0, 8) + q.length });\n}";
    measure(&sandbox, "trivial call", trivial).await;
    measure(&sandbox, "call loading every global", heavy).await;
    measure(&sandbox, "call requiring bcrypt, crypto and querystring", modules).await;
}

async fn measure(sandbox: &Sandbox, label: &str, script: &str) {
    for _ in 0..10 {
        let outcome = sandbox
            .run(call(script, vec![json!("a@example.com"), json!("pw")]))
            .await;
        assert!(value(&outcome).is_object());
    }
    let n: u32 = 300;
    let mut inside = Duration::ZERO;
    let started = Instant::now();
    for _ in 0..n {
        let outcome = sandbox
            .run(call(script, vec![json!("a@example.com"), json!("pw")]))
            .await;
        inside += outcome.elapsed;
    }
    let total = started.elapsed();
    println!(
        "{label}: {:?} per call end to end, {:?} inside the sandbox (n = {n})",
        total / n,
        inside / n
    );
}
