//! Running a connection's custom database scripts in the sandbox as Auth0 does, and keeping
//! what they did: the verdict comes from [`super::verdict`], the record from [`keep`].
//!
//! Every run is recorded as a [`ScriptExecution`] — arguments (password masked), outcome,
//! console output, each HTTP exchange, and for a crash the script's line — so a report can
//! show why a login failed, which the application itself never learns.
//!
//! What a script puts out is kept only through [`keep`], here and in `ferry try`: the password
//! it was called with and the configuration values named like secrets are masked wherever the
//! script echoes them (an error message, a thrown exception, console output, a profile field at
//! any depth, a URL or header it sends), and every kept string is capped at
//! [`KEPT_TEXT_LIMIT`], a record's console at [`KEPT_CONSOLE_LIMIT`] and its HTTP exchanges at
//! [`KEPT_HTTP_EXCHANGES`], each cut with a marker. So a script cannot leak a secret into
//! script records, tenant logs, `/__ferry/state` or the dashboard, nor fill the process with a
//! 30 MB error message repeated at every login.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sandbox::{CallOutcome, CallResult, ConsoleLine, HttpExchange, ScriptCall};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::Auth0;
use super::model::{Connection, ScriptKind};
use super::verdict::{ScriptVerdict, read};
use crate::kit::journal::MASK;
use crate::kit::secrets::Masker;

/// Largest string kept from a script run, in bytes (plus a marker of at most
/// [`KEPT_MARKER_ROOM`]): a console line, an error's message, stack
/// or description, a URL or header of a request it made, a tenant log event's description, the
/// `error_description` `/oauth/token` answers. Longer ones are cut at a character boundary and
/// end with [`cap_text`]'s marker.
///
/// Auth0 documents no size for a database script's error message or a log event's description;
/// for Actions it keeps 256 characters of `console.log()` output
/// (<https://auth0.com/docs/customize/actions/limitations>). Ferry's records are for debugging,
/// so it keeps more — 8 KiB, enough for any real error and its stack — and bounds what a
/// hostile script can make the tenant hold: with 1,000 script records and 10,000 log events
/// kept, at most about 80 MB of log descriptions and 80 MB of script records.
pub const KEPT_TEXT_LIMIT: usize = 8 * 1024;

/// Largest console output kept per script run, in bytes (the sandbox itself stops a call's
/// console at 1 MiB); later lines are dropped and one marker line says how many.
pub const KEPT_CONSOLE_LIMIT: usize = 64 * 1024;

/// Most HTTP exchanges kept per script run; the first ones are kept, then one marker.
pub const KEPT_HTTP_EXCHANGES: usize = 100;

/// Largest profile, value or error detail kept in a script record, as JSON text; a larger one
/// is kept as its JSON text cut at [`KEPT_TEXT_LIMIT`].
pub const KEPT_DETAIL_LIMIT: usize = 64 * 1024;

/// Profile fields that identify the user: a secret is masked in them only when it is the whole
/// value, so a password that happens to be part of an email (`jane` in `jane@example.com`)
/// does not change whom the profile names.
const IDENTITY_FIELDS: &[&str] = &["user_id", "id", "email", "username", "phone_number"];

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
    /// The callback's error, the exception or the profile, as JSON (secrets masked, capped).
    pub detail: Value,
    pub console: Vec<ConsoleLine>,
    pub http: Vec<HttpExchange>,
    pub elapsed_ms: f64,
}

fn ser_time<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::kit::clock::iso_millis(*t))
}

impl Auth0 {
    /// Runs `kind` of `connection` with `args` (the callback is appended by the sandbox).
    /// `masked_args` are the same with the secret ones (passwords) replaced by the mask: those
    /// values are masked wherever the script echoes them. `None` when the connection has no
    /// such script.
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
        let mut secret_args = Vec::new();
        for (arg, shown) in args.iter().zip(&masked_args) {
            masked_values(arg, shown, &mut secret_args);
        }
        let configuration = connection.configuration();
        let masker = Masker::for_configuration(&configuration, secret_args);
        let call = ScriptCall {
            source,
            file_name: format!("{}.js", kind.key()),
            args,
            configuration,
            context,
        };
        let started = self.kit().clock.now();
        let mut outcome = self.sandbox().run(call).await;
        keep(&mut outcome, &masker);
        let reading = read(kind, &outcome.result);
        let execution = ScriptExecution {
            seq: 0,
            time: started,
            connection: connection.name.clone(),
            script: kind,
            args: masked_args,
            outcome: reading.outcome.into(),
            detail: kept_detail(reading.detail),
            console: outcome.console,
            http: outcome.http,
            elapsed_ms: outcome.elapsed.as_secs_f64() * 1000.0,
        };
        self.with_tenant(|t| {
            let mut execution = execution;
            execution.seq = t.scripts.back().map_or(1, |e| e.seq + 1);
            t.record_script(execution);
        });
        Some(reading.verdict)
    }
}

/// The values of `arg` that `shown` masks (a password argument, a create user's `password`).
fn masked_values(arg: &Value, shown: &Value, out: &mut Vec<String>) {
    match (arg, shown) {
        (Value::String(value), Value::String(mask)) if mask == MASK && value != MASK => out.push(value.clone()),
        (Value::Object(arg), Value::Object(shown)) => {
            for (key, value) in arg {
                if let Some(shown) = shown.get(key) {
                    masked_values(value, shown, out);
                }
            }
        }
        (Value::Array(arg), Value::Array(shown)) => {
            for (value, shown) in arg.iter().zip(shown) {
                masked_values(value, shown, out);
            }
        }
        _ => {}
    }
}

/// What is kept of a script's output, here and in `ferry try`: every secret `masker` knows
/// masked wherever the script put it — console lines, the URLs, headers and errors of its
/// requests, the error it called back with (message, description, code, user id, stack), an
/// exception, and the value it called back with (a profile's fields at any depth, identity
/// fields only when the secret is their whole value) — and every string capped
/// ([`cap_text`]), the console at [`KEPT_CONSOLE_LIMIT`] and the exchanges at
/// [`KEPT_HTTP_EXCHANGES`]. The profile's own values are not capped (they become the user).
pub fn keep(outcome: &mut CallOutcome, masker: &Masker) {
    let text = |text: &mut String| {
        masker.mask(text);
        cap_text(text);
    };
    let text_opt = |value: &mut Option<String>| {
        if let Some(value) = value {
            masker.mask(value);
            cap_text(value);
        }
    };
    let mut console_bytes = 0;
    let mut dropped = 0;
    outcome.console.retain_mut(|line| {
        if console_bytes >= KEPT_CONSOLE_LIMIT {
            dropped += 1;
            return false;
        }
        text(&mut line.text);
        console_bytes += line.text.len();
        true
    });
    if dropped > 0 {
        outcome.console.push(ConsoleLine {
            level: "warn".into(),
            text: format!(
                "[ferry] {dropped} more console line{} not kept (limit: {KEPT_CONSOLE_LIMIT} bytes per script run)",
                if dropped == 1 { "" } else { "s" }
            ),
        });
    }
    if outcome.http.len() > KEPT_HTTP_EXCHANGES {
        let dropped = outcome.http.len() - KEPT_HTTP_EXCHANGES;
        outcome.http.truncate(KEPT_HTTP_EXCHANGES);
        outcome.console.push(ConsoleLine {
            level: "warn".into(),
            text: format!(
                "[ferry] {dropped} more HTTP exchanges not kept (limit: {KEPT_HTTP_EXCHANGES} per script run)"
            ),
        });
    }
    for exchange in &mut outcome.http {
        text(&mut exchange.method);
        text(&mut exchange.url);
        for (name, value) in &mut exchange.request_headers {
            text(name);
            text(value);
        }
        text_opt(&mut exchange.error);
    }
    match &mut outcome.result {
        CallResult::Callback { error, value } => {
            if let Some(error) = error {
                text(&mut error.name);
                text(&mut error.message);
                text_opt(&mut error.code);
                text_opt(&mut error.description);
                text_opt(&mut error.user_id);
                text_opt(&mut error.stack);
            }
            if let Some(value) = value {
                mask_value(value, masker, true);
            }
        }
        CallResult::Threw(exception) | CallResult::InvalidScript(exception) => {
            text(&mut exception.name);
            text(&mut exception.message);
            text_opt(&mut exception.stack);
        }
        CallResult::TimedOut | CallResult::NoCallback | CallResult::OutOfMemory => {}
    }
}

/// Masks the secrets in a returned value: strings and keys at any depth, a top-level identity
/// field only when the secret is its whole value.
fn mask_value(value: &mut Value, masker: &Masker, top: bool) {
    if masker.is_empty() {
        return;
    }
    match value {
        Value::String(text) => masker.mask(text),
        Value::Array(items) => {
            for item in items {
                mask_value(item, masker, false);
            }
        }
        Value::Object(map) => {
            if map.keys().any(|key| masker.reveals(key)) {
                *map = std::mem::take(map)
                    .into_iter()
                    .map(|(mut key, value)| {
                        masker.mask(&mut key);
                        (key, value)
                    })
                    .collect::<Map<String, Value>>();
            }
            for (key, item) in map.iter_mut() {
                match item {
                    Value::String(text) if top && IDENTITY_FIELDS.contains(&key.as_str()) => {
                        if masker.is_secret(text) {
                            *text = MASK.to_owned();
                        }
                    }
                    item => mask_value(item, masker, false),
                }
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// A record's detail: every string capped, and the whole kept as capped JSON text when its JSON
/// is over [`KEPT_DETAIL_LIMIT`].
fn kept_detail(mut detail: Value) -> Value {
    fn cap_strings(value: &mut Value) {
        match value {
            Value::String(text) => cap_text(text),
            Value::Array(items) => items.iter_mut().for_each(cap_strings),
            Value::Object(map) => map.values_mut().for_each(cap_strings),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
    cap_strings(&mut detail);
    let mut text = detail.to_string();
    if text.len() <= KEPT_DETAIL_LIMIT {
        return detail;
    }
    cap_text(&mut text);
    Value::String(text)
}

/// Room left for [`cap_text`]'s marker: a kept string is at most [`KEPT_TEXT_LIMIT`] bytes
/// plus this. A string already that short is left alone, so capping twice changes nothing.
pub const KEPT_MARKER_ROOM: usize = 64;

/// Cuts `text` to [`KEPT_TEXT_LIMIT`] bytes (at a character boundary) and marks the cut with
/// `… [truncated: N bytes in all]`. The one cap on every string the tenant keeps from a script
/// run (records, console lines, log event descriptions, `/oauth/token` error descriptions).
/// Idempotent: a string of at most `KEPT_TEXT_LIMIT + KEPT_MARKER_ROOM` bytes is kept whole.
pub fn cap_text(text: &mut String) {
    if text.len() <= KEPT_TEXT_LIMIT + KEPT_MARKER_ROOM {
        return;
    }
    let total = text.len();
    let mut end = KEPT_TEXT_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(&format!("… [truncated: {total} bytes in all]"));
}

/// Arguments for the report: the password replaced with the mask.
pub(crate) fn masked(values: &[(&Value, bool)]) -> Vec<Value> {
    values
        .iter()
        .map(|(v, secret)| if *secret { json!(MASK) } else { (*v).clone() })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sandbox::{ScriptError, ScriptException};

    use super::*;

    fn outcome(result: CallResult) -> CallOutcome {
        CallOutcome {
            result,
            console: vec![ConsoleLine {
                level: "log".into(),
                text: "pw is hunter2-pw".into(),
            }],
            http: vec![HttpExchange {
                method: "GET".into(),
                url: "http://127.0.0.1/x?key=cfg-secret-1".into(),
                routed_to: None,
                request_headers: vec![("X-Key".into(), "cfg-secret-1".into())],
                status: Some(200),
                error: None,
                elapsed: Duration::ZERO,
            }],
            elapsed: Duration::ZERO,
        }
    }

    fn masker() -> Masker {
        Masker::new(["hunter2-pw", "cfg-secret-1"])
    }

    #[test]
    fn every_channel_of_a_script_is_masked() {
        let error = ScriptError {
            name: "Error".into(),
            message: "login as hunter2-pw failed".into(),
            code: Some("cfg-secret-1".into()),
            description: Some("with cfg-secret-1".into()),
            user_id: Some("hunter2-pw".into()),
            status_code: None,
            stack: Some("Error: login as hunter2-pw failed\n    at login (login.js:2:9)".into()),
        };
        let mut run = outcome(CallResult::Callback {
            error: Some(error),
            value: None,
        });
        keep(&mut run, &masker());
        let text = serde_json::to_string(&run).expect("serialisable");
        assert!(!text.contains("hunter2-pw") && !text.contains("cfg-secret-1"), "{text}");
        assert!(text.contains("login as [masked] failed"), "{text}");

        let mut run = outcome(CallResult::Threw(ScriptException {
            name: "Error".into(),
            message: "boom hunter2-pw".into(),
            line: None,
            column: None,
            stack: Some("Error: boom hunter2-pw".into()),
        }));
        keep(&mut run, &masker());
        assert!(!serde_json::to_string(&run).expect("json").contains("hunter2-pw"));
    }

    #[test]
    fn profiles_are_masked_at_any_depth_and_identity_fields_only_when_whole() {
        let masker = Masker::new(["jane", "hunter2-pw"]);
        let mut value = json!({
            "user_id": "jane",
            "email": "jane@example.com",
            "password": "hunter2-pw",
            "user_metadata": { "legacy": ["old hunter2-pw"], "hunter2-pw": 1 },
        });
        mask_value(&mut value, &masker, true);
        assert_eq!(
            value,
            json!({
                "user_id": MASK,
                "email": "jane@example.com",
                "password": MASK,
                "user_metadata": { "legacy": [format!("old {MASK}")], MASK: 1 },
            })
        );
    }

    #[test]
    fn kept_strings_are_capped_with_a_marker_at_a_character_boundary() {
        let mut text = "é".repeat(KEPT_TEXT_LIMIT);
        cap_text(&mut text);
        assert!(text.len() <= KEPT_TEXT_LIMIT + KEPT_MARKER_ROOM, "{}", text.len());
        assert!(text.ends_with(&format!("… [truncated: {} bytes in all]", 2 * KEPT_TEXT_LIMIT)));
        let once = text.clone();
        cap_text(&mut text);
        assert_eq!(text, once, "capping twice changes nothing");
        let mut short = "short".to_owned();
        cap_text(&mut short);
        assert_eq!(short, "short");

        let mut run = outcome(CallResult::Threw(ScriptException {
            name: "Error".into(),
            message: "x".repeat(30 * 1024 * 1024),
            line: None,
            column: None,
            stack: None,
        }));
        run.console = (0..100)
            .map(|_| ConsoleLine {
                level: "log".into(),
                text: "y".repeat(KEPT_TEXT_LIMIT * 2),
            })
            .collect();
        keep(&mut run, &Masker::default());
        let kept: usize = run.console.iter().map(|l| l.text.len()).sum();
        assert!(kept < KEPT_CONSOLE_LIMIT + 2 * KEPT_TEXT_LIMIT, "{kept}");
        assert!(
            run.console
                .last()
                .expect("a marker")
                .text
                .contains("more console lines not kept")
        );
        let CallResult::Threw(exception) = &run.result else {
            unreachable!()
        };
        assert!(exception.message.len() <= KEPT_TEXT_LIMIT + KEPT_MARKER_ROOM);
        assert!(exception.message.ends_with("bytes in all]"));
    }

    #[test]
    fn large_details_are_kept_as_capped_text() {
        let detail = kept_detail(json!((0..20_000).collect::<Vec<_>>()));
        let Value::String(text) = detail else {
            panic!("a large detail is kept as text")
        };
        assert!(text.starts_with("[0,1,2") && text.ends_with("bytes in all]"));
    }
}
