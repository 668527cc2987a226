//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::time::Duration;

use sandbox::{CallOutcome, CallResult, Sandbox, SandboxConfig, ScriptCall};
use serde_json::Value;

/// A call of `source` (file `login.js`) with the given arguments.
pub fn call(source: &str, args: Vec<Value>) -> ScriptCall {
    ScriptCall {
        source: source.into(),
        file_name: "login.js".into(),
        args,
        configuration: BTreeMap::new(),
        context: None,
    }
}

/// A sandbox with a 5 s limit (tests never come close).
pub fn sandbox() -> Sandbox {
    Sandbox::new(SandboxConfig {
        time_limit: Duration::from_secs(5),
        ..SandboxConfig::default()
    })
}

pub async fn run(source: &str, args: Vec<Value>) -> CallOutcome {
    sandbox().run(call(source, args)).await
}

/// The value passed to `callback(null, value)`; panics (test failure) on anything else.
pub fn value(outcome: &CallOutcome) -> Value {
    match &outcome.result {
        CallResult::Callback { error: None, value } => value.clone().unwrap_or(Value::Null),
        other => panic!(
            "expected callback(null, value), got {other:?}; console: {:?}",
            outcome.console
        ),
    }
}

/// Evaluates `expression` inside a script and returns its JSON value.
pub async fn eval(expression: &str) -> Value {
    let source = format!("function run(callback) {{\n  callback(null, ({expression}));\n}}");
    value(&run(&source, vec![]).await)
}
