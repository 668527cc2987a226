//! What a script call produced: the terminal [`CallResult`] plus everything observed on the
//! way (console output, HTTP exchanges, elapsed time). All types are plain data, serialisable
//! with serde, so the mock Auth0 can log them, snapshot them or turn them into API responses.

use std::time::Duration;

use serde::Serialize;

/// Everything one [`crate::Sandbox::run`] call observed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallOutcome {
    /// How the call ended.
    pub result: CallResult,
    /// Lines written with `console.*`, in order, plus sandbox warnings (level `warn`).
    pub console: Vec<ConsoleLine>,
    /// Every HTTP exchange the script started with `request`, in start order (redirect hops
    /// are separate entries).
    pub http: Vec<HttpExchange>,
    /// Wall-clock time of the whole call, including engine start-up.
    #[serde(serialize_with = "serialize_millis")]
    pub elapsed: Duration,
}

/// How a script call ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CallResult {
    /// The script called `callback(error, value)`. `callback()`, `callback(null)` and
    /// `callback(null, null)` all give `error: None, value: None`; a falsy error (`null`,
    /// `undefined`, `0`, `''`, `false`) counts as no error, like Auth0's wrapper.
    Callback {
        /// The error passed as first argument, reduced to what Auth0 forwards.
        error: Option<ScriptError>,
        /// The second argument as JSON (`undefined` and `null` give `None`).
        value: Option<serde_json::Value>,
    },
    /// An uncaught exception (synchronous, inside an asynchronous callback such as a
    /// `request` or timer callback) or an unhandled promise rejection.
    Threw(ScriptException),
    /// The time limit was reached, either by running code or while waiting on I/O or timers.
    TimedOut,
    /// The script went idle (nothing pending) without ever calling `callback`. Auth0 would
    /// wait for its execution limit; the sandbox reports it immediately.
    NoCallback,
    /// The script exceeded the memory limit.
    OutOfMemory,
    /// The script could not be compiled (syntax error) or does not evaluate to a function.
    InvalidScript(ScriptException),
}

/// The error a script passed to `callback`, reduced to the fields Auth0's sandbox forwards:
/// `name, message, code, description, user_id, stack, status_code`. A string passed as error
/// becomes `{ name: "Error", message: <string> }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScriptError {
    /// `error.name` (`"Error"` when absent), e.g. `WrongUsernameOrPasswordError`.
    pub name: String,
    /// `error.message` (empty when absent).
    pub message: String,
    /// `error.code`, e.g. `user_exists` or `unauthorized`.
    pub code: Option<String>,
    /// `error.description`.
    pub description: Option<String>,
    /// `error.user_id`, kept by `WrongUsernameOrPasswordError`.
    pub user_id: Option<String>,
    /// `error.statusCode` (or `error.status_code`), e.g. 400 for `ValidationError`.
    pub status_code: Option<u16>,
    /// `error.stack`, V8 formatted (`Name: message\n    at fn (file:line:col)`).
    pub stack: Option<String>,
}

/// A JavaScript exception that escaped the script, or a compile error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScriptException {
    /// Constructor name, e.g. `TypeError`, `SyntaxError`; `"Error"` for thrown non-errors.
    pub name: String,
    /// Message in Node's (V8) wording where the engine's differs, e.g.
    /// `Cannot read properties of undefined (reading 'statusCode')`.
    pub message: String,
    /// 1-based line in the script file where the exception was raised.
    pub line: Option<u32>,
    /// 1-based column in the script file.
    pub column: Option<u32>,
    /// Stack trace, V8 formatted, when one exists.
    pub stack: Option<String>,
}

impl std::fmt::Display for ScriptException {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name, self.message)?;
        if let Some(line) = self.line {
            write!(f, " (line {line}")?;
            if let Some(column) = self.column {
                write!(f, ", column {column}")?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

/// One line of console output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsoleLine {
    /// `log`, `info`, `warn`, `error`, `debug` or `trace`.
    pub level: String,
    /// The formatted text, as Node's `util.format` would produce it.
    pub text: String,
}

/// One HTTP request the script made (one entry per redirect hop).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpExchange {
    /// Request method, upper case.
    pub method: String,
    /// Absolute URL requested (user-info credentials masked), as the script wrote it.
    pub url: String,
    /// Where a routed request went instead of the URL's host (`http://127.0.0.1:4010
    /// (okta)`); absent for a request sent to its own host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routed_to: Option<String>,
    /// Request headers as sent by the script (names as given); credentials such as
    /// `Authorization` are replaced by `"[masked]"`.
    pub request_headers: Vec<(String, String)>,
    /// Response status, when a response arrived.
    pub status: Option<u16>,
    /// The Node-style error message when the exchange failed (e.g. `connect ECONNREFUSED
    /// 127.0.0.1:4000`), or why it never completed.
    pub error: Option<String>,
    /// Time from sending the request to the full response body (or the failure).
    #[serde(serialize_with = "serialize_millis")]
    pub elapsed: Duration,
}

/// Durations are serialised as whole milliseconds.
pub(crate) fn serialize_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Optional durations are serialised as whole milliseconds or `null`.
pub(crate) fn serialize_opt_millis<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => serialize_millis(d, s),
        None => s.serialize_none(),
    }
}
