//! Running a connection's custom database scripts in the sandbox as Auth0 does, and reading
//! what they call back with as Auth0 reads it (auth0.md §1.3).
//!
//! Every run is recorded as a [`ScriptExecution`] — arguments (password masked), outcome,
//! console output, each HTTP exchange, and for a crash the script's line — so a report can
//! show why a login failed, which the application itself never learns.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sandbox::{CallOutcome, CallResult, ConsoleLine, HttpExchange, ScriptCall};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::Auth0;
use super::model::{Connection, ScriptKind};
use crate::kit::journal::MASK;

/// What Auth0 tells callers when a script does not finish within its time limit.
pub const TIMEOUT_MESSAGE: &str = "Request to Webtask exceeded allowed execution time";

/// One script run, for reports and `/__ferry/scripts`.
#[derive(Clone, Debug, Serialize)]
pub struct ScriptExecution {
    pub seq: u64,
    #[serde(serialize_with = "ser_time")]
    pub time: DateTime<Utc>,
    pub connection: String,
    pub script: ScriptKind,
    /// Arguments as passed, with passwords masked.
    pub args: Vec<Value>,
    /// `profile`, `not_found` (login, get_user) or `done` (other scripts) for an empty
    /// callback, `value` (true/false), `wrong_credentials`, `error`, `threw`, `timed_out`,
    /// `no_callback`, `out_of_memory` or `invalid_script`.
    pub outcome: String,
    /// The callback's error, the exception or the profile, as JSON.
    pub detail: Value,
    pub console: Vec<ConsoleLine>,
    pub http: Vec<HttpExchange>,
    pub elapsed_ms: f64,
}

fn ser_time<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::kit::clock::iso_millis(*t))
}

/// How a script run ended, in Auth0's terms.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ScriptVerdict {
    /// `callback(null, profile)` with a profile object.
    Profile(Map<String, Value>),
    /// `callback()`, `callback(null)`, `callback(null, null)`: no user.
    Nothing,
    /// `callback(new WrongUsernameOrPasswordError(user_id, msg))`.
    WrongCredentials { user_id: Option<String>, message: String },
    /// `callback(new UnauthorizedError(msg))`.
    Unauthorized(String),
    /// `callback(new ValidationError(code, msg))`.
    Validation { code: String, message: String },
    /// `callback(null, true|false)` (verify, change_password, change_email).
    Bool(bool),
    /// Any other error: an `Error` passed to callback, an exception, a time-out.
    Failed(String),
}

impl Auth0 {
    /// Runs `kind` of `connection` with `args` (the callback is appended by the sandbox).
    /// `None` when the connection has no such script.
    pub(crate) async fn run_script(
        &self,
        connection: &Connection,
        kind: ScriptKind,
        args: Vec<Value>,
        masked_args: Vec<Value>,
    ) -> Option<ScriptVerdict> {
        let source: Arc<str> = connection.script(kind)?.into();
        let context = connection.enable_script_context().then(|| {
            json!({
                "connection": { "id": connection.id, "name": connection.name, "tenant": self.tenant_name() },
            })
        });
        let call = ScriptCall {
            source,
            file_name: format!("{}.js", kind.key()),
            args,
            configuration: connection.configuration(),
            context,
        };
        let started = self.kit().clock.now();
        let mut outcome = self.sandbox().run(call).await;
        mask_configuration(&mut outcome, connection);
        let (verdict, name, detail) = judge(&outcome, kind);
        let execution = ScriptExecution {
            seq: 0,
            time: started,
            connection: connection.name.clone(),
            script: kind,
            args: masked_args,
            outcome: name.into(),
            detail,
            console: outcome.console.clone(),
            http: outcome.http.clone(),
            elapsed_ms: outcome.elapsed.as_secs_f64() * 1000.0,
        };
        self.with_tenant(|t| {
            let mut execution = execution;
            execution.seq = t.scripts.back().map_or(1, |e| e.seq + 1);
            t.record_script(execution);
        });
        Some(verdict)
    }
}

fn judge(outcome: &CallOutcome, kind: ScriptKind) -> (ScriptVerdict, &'static str, Value) {
    // `callback()` means "no such user" to login and get_user, plain success to the others.
    let empty = if matches!(kind, ScriptKind::Login | ScriptKind::GetUser) {
        "not_found"
    } else {
        "done"
    };
    match &outcome.result {
        CallResult::Callback { error: Some(error), .. } => {
            let detail = serde_json::to_value(error).unwrap_or(Value::Null);
            let message = error.message.clone();
            match error.name.as_str() {
                "WrongUsernameOrPasswordError" => (
                    ScriptVerdict::WrongCredentials {
                        user_id: error.user_id.clone().filter(|u| !u.is_empty()),
                        message,
                    },
                    "wrong_credentials",
                    detail,
                ),
                "UnauthorizedError" => (
                    ScriptVerdict::Unauthorized(error.description.clone().unwrap_or(message)),
                    "error",
                    detail,
                ),
                "ValidationError" => (
                    ScriptVerdict::Validation {
                        code: error.code.clone().unwrap_or_default(),
                        message,
                    },
                    "error",
                    detail,
                ),
                _ if error.code.as_deref() == Some("unauthorized") => (
                    ScriptVerdict::Unauthorized(error.description.clone().unwrap_or(message)),
                    "error",
                    detail,
                ),
                _ => (ScriptVerdict::Failed(message), "error", detail),
            }
        }
        CallResult::Callback { error: None, value } => match value {
            Some(Value::Object(profile)) => (
                ScriptVerdict::Profile(profile.clone()),
                "profile",
                Value::Object(profile.clone()),
            ),
            Some(Value::Bool(b)) => (ScriptVerdict::Bool(*b), "value", json!(b)),
            None | Some(Value::Null) => (ScriptVerdict::Nothing, empty, Value::Null),
            Some(other) => (
                ScriptVerdict::Failed(format!("Unexpected result from the script: {other}")),
                "error",
                other.clone(),
            ),
        },
        CallResult::Threw(exception) => (
            ScriptVerdict::Failed(exception.message.clone()),
            "threw",
            serde_json::to_value(exception).unwrap_or(Value::Null),
        ),
        CallResult::TimedOut => (ScriptVerdict::Failed(TIMEOUT_MESSAGE.into()), "timed_out", Value::Null),
        CallResult::NoCallback => (
            ScriptVerdict::Failed(TIMEOUT_MESSAGE.into()),
            "no_callback",
            json!("the script finished without calling callback; Auth0 would wait for the time limit"),
        ),
        CallResult::OutOfMemory => (
            ScriptVerdict::Failed("Script execution ran out of memory".into()),
            "out_of_memory",
            Value::Null,
        ),
        CallResult::InvalidScript(exception) => (
            ScriptVerdict::Failed(format!("{}: {}", exception.name, exception.message)),
            "invalid_script",
            serde_json::to_value(exception).unwrap_or(Value::Null),
        ),
    }
}

/// Arguments for the report: the password replaced with the mask.
pub(crate) fn masked(values: &[(&Value, bool)]) -> Vec<Value> {
    values
        .iter()
        .map(|(v, secret)| if *secret { json!(MASK) } else { (*v).clone() })
        .collect()
}

/// Configuration values named like secrets (API tokens, client secrets, passwords, keys): a
/// script that prints one, or puts one in a URL, must not leak it into reports. Other values
/// (base URLs, ids) stay readable.
fn mask_configuration(outcome: &mut CallOutcome, connection: &Connection) {
    const SECRET_WORDS: &[&str] = &["token", "secret", "password", "pass", "key", "credential", "auth"];
    let secrets: Vec<String> = connection
        .configuration()
        .into_iter()
        .filter(|(k, v)| {
            let k = k.to_lowercase();
            v.len() >= 4 && SECRET_WORDS.iter().any(|w| k.contains(w))
        })
        .map(|(_, v)| v)
        .collect();
    if secrets.is_empty() {
        return;
    }
    let mask = |text: &mut String| {
        for secret in &secrets {
            if text.contains(secret.as_str()) {
                *text = text.replace(secret.as_str(), MASK);
            }
        }
    };
    for line in &mut outcome.console {
        mask(&mut line.text);
    }
    for exchange in &mut outcome.http {
        mask(&mut exchange.url);
        for (_, value) in &mut exchange.request_headers {
            mask(value);
        }
    }
}
