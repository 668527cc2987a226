//! Script evaluation, the callback contract, errors, limits and isolation.

mod common;

use std::time::{Duration, Instant};

use common::{call, eval, run, sandbox, value};
use sandbox::{CallResult, Sandbox, SandboxConfig};
use serde_json::json;

#[tokio::test]
async fn callback_with_a_profile() {
    let outcome = run(
        "function login(email, password, callback) {\n  callback(null, { user_id: 'u1', email: email, n: password.length });\n}",
        vec![json!("a@example.com"), json!("pw")],
    )
    .await;
    assert_eq!(value(&outcome), json!({ "user_id": "u1", "email": "a@example.com", "n": 2 }));
}

#[tokio::test]
async fn smoke() {
    let outcome = run("function f(callback) { callback(null, 1 + 1); }", vec![]).await;
    assert_eq!(value(&outcome), json!(2));
}
