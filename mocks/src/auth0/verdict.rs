//! Auth0's verdict on a custom database script's result: the one home of the rules the mock
//! tenant's flows follow and `ferry try` reports.
//!
//! Two pure steps:
//!
//! 1. [`read`]: how Auth0 reads what the script called back with, or how it ended (auth0.md
//!    §1.3) — a [`ScriptVerdict`], with the name and detail a script record keeps.
//! 2. [`answer`]: what the flow that runs a script of that kind answers the application and
//!    logs in the tenant — an [`Answer`]. Each kind has one flow it is judged by:
//!
//! | script | flow |
//! |---|---|
//! | `login` | `POST /oauth/token` (password grant) on a connection in import mode |
//! | `get_user` | `POST /dbconnections/signup` in import mode (does the legacy store know the email?) |
//! | `create` | `POST /dbconnections/signup` with legacy authentication |
//! | `verify` | the email verification link (`GET /lo/verify_email`) |
//! | `change_password` | the password reset link (`POST /lo/reset`) with legacy authentication |
//! | `delete` | `DELETE /api/v2/users/{id}` with legacy authentication |
//! | `change_email` | `PATCH /api/v2/users/{id}` (a new email) with legacy authentication |
//!
//! Where Auth0 documents no wire shape (a login script's `Error` at `/oauth/token`: auth0.md §6,
//! item 1) the choice is the README's ("Choices where the services document nothing").
//!
//! ```
//! use mocks::auth0::ScriptKind;
//! use mocks::auth0::verdict::{answer, read};
//! use sandbox::CallResult;
//!
//! let reading = read(ScriptKind::Login, &CallResult::TimedOut);
//! let answer = answer(ScriptKind::Login, &reading.verdict, "jane@example.com");
//! assert_eq!((answer.status, answer.error.as_deref()), (403, Some("access_denied")));
//! assert_eq!(answer.log.map(|l| l.kind), Some("f"));
//! ```

use sandbox::{CallResult, ScriptError};
use serde::Serialize;
use serde_json::{Map, Value, json};

pub use super::model::ScriptKind;
use super::scripts::cap_text;

/// What Auth0 tells callers when a script does not finish within its time limit.
pub const TIMEOUT_MESSAGE: &str = "Request to Webtask exceeded allowed execution time";
/// A script over the memory limit.
pub const OUT_OF_MEMORY_MESSAGE: &str = "Script execution ran out of memory";
/// `invalid_grant`'s description for wrong credentials or no user.
pub const WRONG_CREDENTIALS: &str = "Wrong email or password.";
/// A login profile without `user_id` (or `id`).
pub const USER_ID_MANDATORY: &str = "The user_id is mandatory: the script's profile has no user_id";
/// A login script that called back with `true`, a number, a string...
pub const NOT_A_PROFILE: &str = "The login script must call back with a user profile";

impl ScriptKind {
    /// Every kind, in the order of Auth0's dashboard.
    pub const ALL: [ScriptKind; 9] = [
        ScriptKind::Login,
        ScriptKind::Create,
        ScriptKind::Verify,
        ScriptKind::ChangePassword,
        ScriptKind::GetUser,
        ScriptKind::Delete,
        ScriptKind::ChangeEmail,
        ScriptKind::ChangeUsername,
        ScriptKind::ChangePhoneNumber,
    ];

    /// The name on a command line: the key with hyphens (`get-user`, `change-password`).
    pub fn name(self) -> &'static str {
        match self {
            ScriptKind::Login => "login",
            ScriptKind::GetUser => "get-user",
            ScriptKind::Create => "create",
            ScriptKind::Verify => "verify",
            ScriptKind::ChangePassword => "change-password",
            ScriptKind::Delete => "delete",
            ScriptKind::ChangeEmail => "change-email",
            ScriptKind::ChangeUsername => "change-username",
            ScriptKind::ChangePhoneNumber => "change-phone-number",
        }
    }
}

impl std::fmt::Display for ScriptKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// A name that is not a custom database script's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown script kind {0:?}: expected login, get_user, create, verify, change_password, delete, change_email, change_username or change_phone_number"
)]
pub struct UnknownScriptKind(pub String);

impl std::str::FromStr for ScriptKind {
    type Err = UnknownScriptKind;

    /// The key in `options.customScripts` (`get_user`) or the command-line name (`get-user`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ScriptKind::ALL
            .into_iter()
            .find(|kind| kind.key() == text || kind.name() == text)
            .ok_or_else(|| UnknownScriptKind(text.to_owned()))
    }
}

impl<'de> serde::Deserialize<'de> for ScriptKind {
    /// From its key or command-line name, refusing any other (a scenario's `script: logn`).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Every outcome name a script record can have ([`Reading::outcome`]), for callers that check
/// one (a scenario's `script: { outcome: … }`).
pub const OUTCOMES: &[&str] = &[
    "profile",
    "not_found",
    "done",
    "value",
    "wrong_credentials",
    "error",
    "threw",
    "timed_out",
    "no_callback",
    "out_of_memory",
    "invalid_script",
];

/// How a script run ended, in Auth0's terms: what a flow acts on.
#[derive(Clone, Debug, PartialEq)]
pub enum ScriptVerdict {
    /// `callback(null, profile)` with a profile object.
    Profile(Map<String, Value>),
    /// `callback()`, `callback(null)`, `callback(null, null)`: no user.
    Nothing,
    /// `callback(new WrongUsernameOrPasswordError(user_id, msg))`.
    WrongCredentials { user_id: Option<String>, message: String },
    /// `callback(new UnauthorizedError(msg))` (or any error with `code: "unauthorized"`).
    Unauthorized(String),
    /// `callback(new ValidationError(code, msg))`.
    Validation { code: String, message: String },
    /// `callback(null, true|false)` (verify, change_password, change_email).
    Bool(bool),
    /// Any other error: an `Error` passed to callback, an exception, a time-out, no callback,
    /// out of memory, a script that does not compile, an unexpected value.
    Failed(String),
}

impl ScriptVerdict {
    /// The message of an error verdict (what Auth0 passes on), `None` for a result.
    pub fn error_message(&self) -> Option<&str> {
        match self {
            ScriptVerdict::WrongCredentials { message, .. }
            | ScriptVerdict::Unauthorized(message)
            | ScriptVerdict::Validation { message, .. }
            | ScriptVerdict::Failed(message) => Some(message),
            ScriptVerdict::Profile(_) | ScriptVerdict::Nothing | ScriptVerdict::Bool(_) => None,
        }
    }
}

/// What [`read`] makes of a run: the verdict, and what a script record keeps of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    pub verdict: ScriptVerdict,
    /// `profile`, `not_found` (login, get_user) or `done` (other scripts) for an empty
    /// callback, `value` (true/false), `wrong_credentials`, `error`, `threw`, `timed_out`,
    /// `no_callback`, `out_of_memory` or `invalid_script`.
    pub outcome: &'static str,
    /// The callback's error, the exception or the profile, as JSON.
    pub detail: Value,
}

/// How Auth0 reads the end of a run of a `kind` script. Messages are capped as everything kept
/// is ([`cap_text`]).
pub fn read(kind: ScriptKind, result: &CallResult) -> Reading {
    let reading = |verdict, outcome, detail| Reading {
        verdict,
        outcome,
        detail,
    };
    // `callback()` means "no such user" to login and get_user, plain success to the others.
    let empty = if matches!(kind, ScriptKind::Login | ScriptKind::GetUser) {
        "not_found"
    } else {
        "done"
    };
    match result {
        CallResult::Callback { error: Some(error), .. } => {
            let detail = serde_json::to_value(error).unwrap_or(Value::Null);
            let verdict = error_verdict(error);
            let outcome = if matches!(verdict, ScriptVerdict::WrongCredentials { .. }) {
                "wrong_credentials"
            } else {
                "error"
            };
            reading(verdict, outcome, detail)
        }
        CallResult::Callback { error: None, value } => match value {
            Some(Value::Object(profile)) => reading(
                ScriptVerdict::Profile(profile.clone()),
                "profile",
                Value::Object(profile.clone()),
            ),
            Some(Value::Bool(b)) => reading(ScriptVerdict::Bool(*b), "value", json!(b)),
            None | Some(Value::Null) => reading(ScriptVerdict::Nothing, empty, Value::Null),
            Some(other) => reading(
                ScriptVerdict::Failed(capped(format!("Unexpected result from the script: {other}"))),
                "error",
                other.clone(),
            ),
        },
        CallResult::Threw(exception) => reading(
            ScriptVerdict::Failed(capped(exception.message.clone())),
            "threw",
            serde_json::to_value(exception).unwrap_or(Value::Null),
        ),
        CallResult::TimedOut => reading(ScriptVerdict::Failed(TIMEOUT_MESSAGE.into()), "timed_out", Value::Null),
        CallResult::NoCallback => reading(
            ScriptVerdict::Failed(TIMEOUT_MESSAGE.into()),
            "no_callback",
            json!("the script finished without calling callback; Auth0 would wait for the time limit"),
        ),
        CallResult::OutOfMemory => reading(
            ScriptVerdict::Failed(OUT_OF_MEMORY_MESSAGE.into()),
            "out_of_memory",
            Value::Null,
        ),
        CallResult::InvalidScript(exception) => reading(
            ScriptVerdict::Failed(capped(format!("{}: {}", exception.name, exception.message))),
            "invalid_script",
            serde_json::to_value(exception).unwrap_or(Value::Null),
        ),
    }
}

fn error_verdict(error: &ScriptError) -> ScriptVerdict {
    let message = capped(error.message.clone());
    let description = || error.description.clone().map_or_else(|| message.clone(), capped);
    match error.name.as_str() {
        "WrongUsernameOrPasswordError" => ScriptVerdict::WrongCredentials {
            user_id: error.user_id.clone().filter(|u| !u.is_empty()).map(capped),
            message,
        },
        "UnauthorizedError" => ScriptVerdict::Unauthorized(description()),
        "ValidationError" => ScriptVerdict::Validation {
            code: capped(error.code.clone().unwrap_or_default()),
            message,
        },
        _ if error.code.as_deref() == Some("unauthorized") => ScriptVerdict::Unauthorized(description()),
        _ => ScriptVerdict::Failed(message),
    }
}

fn capped(mut text: String) -> String {
    cap_text(&mut text);
    text
}

/// The id a login or get_user profile gives its user: `user_id`, else `id`; a non-empty string
/// or a number. `None` when it has neither ("user_id is mandatory").
pub fn profile_user_id(profile: &Map<String, Value>) -> Option<String> {
    match profile.get("user_id").or_else(|| profile.get("id")) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// A tenant log event a flow writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogLine {
    /// The event type: `s`, `f`, `fp`, `fu`, `sv`, `fv`, `scp`, `fcp`...
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub description: String,
    /// The event's `user_name` when it is not the call's subject (the `user_id` a
    /// `WrongUsernameOrPasswordError` names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
}

impl LogLine {
    fn new(kind: &'static str, description: impl Into<String>) -> Self {
        Self {
            kind,
            description: description.into(),
            user_name: None,
        }
    }
}

/// What the application sees, and what the tenant logs, once the flow that runs a script has
/// its verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Answer {
    /// The flow that runs the script (see the module's table).
    pub flow: &'static str,
    /// Whether the flow goes on as the script vouched (the user signs in, is created, is
    /// verified...). An accepted login can still fail afterwards, when the user it would create
    /// already exists.
    pub accepted: bool,
    /// The HTTP status the application gets.
    pub status: u16,
    /// The error code: OAuth's `error`, `/dbconnections`' `code`, the Management API's
    /// `errorCode`, the reset page's `code`. `None` on success.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The error's `name`, where the answer carries one (`/dbconnections/signup`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `error_description`, `description` or `message`. `None` on success.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The tenant log event, when the flow writes one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<LogLine>,
    /// In words, what comes of it.
    pub effect: String,
}

impl Answer {
    fn accepted(flow: &'static str, status: u16, effect: impl Into<String>) -> Self {
        Self {
            flow,
            accepted: true,
            status,
            error: None,
            name: None,
            description: None,
            log: None,
            effect: effect.into(),
        }
    }

    fn refused(flow: &'static str, status: u16, error: Option<&str>, description: impl Into<String>) -> Self {
        let description = capped(description.into());
        Self {
            flow,
            accepted: false,
            status,
            error: error.map(str::to_owned),
            name: None,
            effect: String::new(),
            description: Some(description),
            log: None,
        }
    }

    fn logged(mut self, log: LogLine) -> Self {
        self.log = Some(log);
        self
    }

    fn named(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    fn saying(mut self, effect: impl Into<String>) -> Self {
        self.effect = effect.into();
        self
    }

    /// The description, or the empty string on success.
    pub fn message(&self) -> &str {
        self.description.as_deref().unwrap_or_default()
    }
}

/// The flow a `kind` script is judged by.
pub fn flow(kind: ScriptKind) -> &'static str {
    match kind {
        ScriptKind::Login => "POST /oauth/token",
        ScriptKind::GetUser | ScriptKind::Create => "POST /dbconnections/signup",
        ScriptKind::Verify => "GET /lo/verify_email",
        ScriptKind::ChangePassword => "POST /lo/reset",
        ScriptKind::Delete => "DELETE /api/v2/users/{id}",
        ScriptKind::ChangeEmail | ScriptKind::ChangeUsername | ScriptKind::ChangePhoneNumber => {
            "PATCH /api/v2/users/{id}"
        }
    }
}

/// What the flow of a `kind` script answers for `verdict`. `subject` is who the call is about
/// (the identifier typed at login, the email, the user's id or email on delete): it names the
/// user in messages that do.
pub fn answer(kind: ScriptKind, verdict: &ScriptVerdict, subject: &str) -> Answer {
    match kind {
        ScriptKind::Login => login(verdict),
        ScriptKind::GetUser => get_user(verdict),
        ScriptKind::Create => create(verdict),
        ScriptKind::Verify => verify(verdict),
        ScriptKind::ChangePassword => change_password(verdict),
        ScriptKind::Delete => delete(verdict, subject),
        ScriptKind::ChangeEmail => change_email(verdict),
        ScriptKind::ChangeUsername | ScriptKind::ChangePhoneNumber => other(kind, verdict),
    }
}

fn login(verdict: &ScriptVerdict) -> Answer {
    let flow = flow(ScriptKind::Login);
    let failed = |status: u16, error: &str, message: &str| {
        Answer::refused(flow, status, Some(error), message).logged(LogLine::new("f", message))
    };
    match verdict {
        ScriptVerdict::Profile(profile) => match profile_user_id(profile) {
            Some(id) => Answer::accepted(
                flow,
                200,
                format!(
                    "a successful login: the user is auth0|{id}, created in Auth0 with this profile in import mode"
                ),
            )
            .logged(LogLine::new("s", "Successful login")),
            None => failed(403, "access_denied", USER_ID_MANDATORY).saying("no user is created"),
        },
        ScriptVerdict::Nothing => Answer::refused(flow, 403, Some("invalid_grant"), WRONG_CREDENTIALS)
            .logged(LogLine::new("fu", WRONG_CREDENTIALS))
            .saying("no such user: the login fails"),
        ScriptVerdict::WrongCredentials { user_id, message } => {
            let kind = if user_id.is_some() { "fp" } else { "fu" };
            Answer::refused(flow, 403, Some("invalid_grant"), WRONG_CREDENTIALS)
                .logged(LogLine {
                    kind,
                    description: message.clone(),
                    user_name: user_id.clone(),
                })
                .saying("wrong credentials: the login fails")
        }
        ScriptVerdict::Unauthorized(message) => failed(401, "unauthorized", message).saying("the login fails"),
        ScriptVerdict::Validation { message, .. } | ScriptVerdict::Failed(message) => {
            failed(403, "access_denied", message).saying("the login fails; no user is created")
        }
        ScriptVerdict::Bool(_) => failed(403, "access_denied", NOT_A_PROFILE).saying("the login fails"),
    }
}

/// `/dbconnections/signup`'s refusal for an error of the legacy store.
const IDP_ERROR: &str = "auth0_idp_error";

fn get_user(verdict: &ScriptVerdict) -> Answer {
    let flow = flow(ScriptKind::GetUser);
    match verdict {
        ScriptVerdict::Profile(_) => Answer::refused(flow, 400, Some("user_exists"), "The user already exists.")
            .named("BadRequestError")
            .saying("the user exists in the legacy store: signup is refused as existing; a password reset creates the user in Auth0"),
        ScriptVerdict::Nothing | ScriptVerdict::Bool(_) => {
            Answer::accepted(flow, 200, "the user does not exist in the legacy store: signup goes on")
        }
        failure => Answer::refused(flow, 400, Some(IDP_ERROR), failure.error_message().unwrap_or_default())
            .named("Error")
            .saying("signup fails"),
    }
}

fn create(verdict: &ScriptVerdict) -> Answer {
    let flow = flow(ScriptKind::Create);
    match verdict {
        ScriptVerdict::Nothing | ScriptVerdict::Bool(true) | ScriptVerdict::Profile(_) => {
            Answer::accepted(flow, 200, "the user is created in the legacy store")
        }
        ScriptVerdict::Validation { code, message } => Answer::refused(flow, 400, Some(code), message.clone())
            .named("ValidationError")
            .saying("the user is not created"),
        ScriptVerdict::Bool(false) => {
            Answer::refused(flow, 400, Some(IDP_ERROR), "The create script did not create the user")
                .named("BadRequestError")
                .saying("the user is not created")
        }
        failure => Answer::refused(flow, 400, Some(IDP_ERROR), failure.error_message().unwrap_or_default())
            .named("Error")
            .saying("the user is not created"),
    }
}

fn verify(verdict: &ScriptVerdict) -> Answer {
    let flow = flow(ScriptKind::Verify);
    let message = match verdict {
        ScriptVerdict::Bool(true) => {
            return Answer::accepted(flow, 200, "the email is marked verified")
                .logged(LogLine::new("sv", "Email verified"));
        }
        failure => failure
            .error_message()
            .unwrap_or("The verify script did not verify the email."),
    };
    Answer::refused(flow, 400, None, message)
        .logged(LogLine::new("fv", message))
        .saying("the email is not verified")
}

fn change_password(verdict: &ScriptVerdict) -> Answer {
    let flow = flow(ScriptKind::ChangePassword);
    let message = match verdict {
        ScriptVerdict::Bool(true) | ScriptVerdict::Profile(_) => {
            return Answer::accepted(flow, 200, "the password is changed")
                .logged(LogLine::new("scp", "Successful change password"));
        }
        ScriptVerdict::Bool(false) | ScriptVerdict::Nothing => "The password could not be changed.",
        failure => failure.error_message().unwrap_or_default(),
    };
    Answer::refused(flow, 400, Some("reset_failed"), message)
        .logged(LogLine::new("fcp", message))
        .saying("the password is not changed")
}

fn delete(verdict: &ScriptVerdict, subject: &str) -> Answer {
    let flow = flow(ScriptKind::Delete);
    match verdict.error_message() {
        None => Answer::accepted(flow, 204, "the user is deleted"),
        Some(message) => Answer::refused(
            flow,
            500,
            None,
            format!("Error! There was a problem deleting {subject}: {message}"),
        )
        .saying("the user is not deleted"),
    }
}

fn change_email(verdict: &ScriptVerdict) -> Answer {
    let flow = flow(ScriptKind::ChangeEmail);
    match verdict {
        ScriptVerdict::Bool(false) => Answer::refused(
            flow,
            400,
            Some(IDP_ERROR),
            "The change_email script did not change the email",
        )
        .saying("the email is not changed"),
        failure if failure.error_message().is_some() => {
            Answer::refused(flow, 400, Some(IDP_ERROR), failure.error_message().unwrap_or_default())
                .saying("the email is not changed")
        }
        _ => Answer::accepted(flow, 200, "the email is changed"),
    }
}

fn other(kind: ScriptKind, verdict: &ScriptVerdict) -> Answer {
    let flow = flow(kind);
    match verdict.error_message() {
        None => Answer::accepted(flow, 200, "the change is made"),
        Some(message) => Answer::refused(flow, 400, Some(IDP_ERROR), message).saying("the change is not made"),
    }
}

#[cfg(test)]
mod tests {
    use sandbox::ScriptException;

    use super::*;

    fn error(name: &str, message: &str) -> ScriptError {
        ScriptError {
            name: name.into(),
            message: message.into(),
            code: None,
            description: None,
            user_id: None,
            status_code: None,
            stack: None,
        }
    }

    fn called_back(error: Option<ScriptError>, value: Option<Value>) -> CallResult {
        CallResult::Callback { error, value }
    }

    #[test]
    fn every_way_a_login_script_ends_has_one_answer_and_one_log() {
        let exception = ScriptException {
            name: "TypeError".into(),
            message: "x is not a function".into(),
            line: Some(2),
            column: Some(3),
            stack: None,
        };
        let mut wrong = error("WrongUsernameOrPasswordError", "bad password");
        wrong.user_id = Some("u-1".into());
        let mut unauthorized = error("UnauthorizedError", "blocked");
        unauthorized.description = Some("blocked in the legacy store".into());
        // the run's end; status, error and description answered; the log's type and description
        type Case = (
            CallResult,
            u16,
            Option<&'static str>,
            &'static str,
            &'static str,
            &'static str,
        );
        let cases: Vec<Case> = vec![
            (
                called_back(None, Some(json!({"user_id": "u-1", "email": "a@x.com"}))),
                200,
                None,
                "",
                "s",
                "Successful login",
            ),
            (
                called_back(None, Some(json!({"email": "a@x.com"}))),
                403,
                Some("access_denied"),
                USER_ID_MANDATORY,
                "f",
                USER_ID_MANDATORY,
            ),
            (
                called_back(None, None),
                403,
                Some("invalid_grant"),
                WRONG_CREDENTIALS,
                "fu",
                WRONG_CREDENTIALS,
            ),
            (
                called_back(Some(wrong), None),
                403,
                Some("invalid_grant"),
                WRONG_CREDENTIALS,
                "fp",
                "bad password",
            ),
            (
                called_back(Some(unauthorized), None),
                401,
                Some("unauthorized"),
                "blocked in the legacy store",
                "f",
                "blocked in the legacy store",
            ),
            (
                called_back(Some(error("Error", "db down")), None),
                403,
                Some("access_denied"),
                "db down",
                "f",
                "db down",
            ),
            (
                called_back(None, Some(json!(true))),
                403,
                Some("access_denied"),
                NOT_A_PROFILE,
                "f",
                NOT_A_PROFILE,
            ),
            (
                called_back(None, Some(json!("yes"))),
                403,
                Some("access_denied"),
                "Unexpected result from the script: \"yes\"",
                "f",
                "Unexpected result from the script: \"yes\"",
            ),
            (
                CallResult::Threw(exception.clone()),
                403,
                Some("access_denied"),
                "x is not a function",
                "f",
                "x is not a function",
            ),
            (
                CallResult::InvalidScript(exception),
                403,
                Some("access_denied"),
                "TypeError: x is not a function",
                "f",
                "TypeError: x is not a function",
            ),
            (
                CallResult::TimedOut,
                403,
                Some("access_denied"),
                TIMEOUT_MESSAGE,
                "f",
                TIMEOUT_MESSAGE,
            ),
            (
                CallResult::NoCallback,
                403,
                Some("access_denied"),
                TIMEOUT_MESSAGE,
                "f",
                TIMEOUT_MESSAGE,
            ),
            (
                CallResult::OutOfMemory,
                403,
                Some("access_denied"),
                OUT_OF_MEMORY_MESSAGE,
                "f",
                OUT_OF_MEMORY_MESSAGE,
            ),
        ];
        for (result, status, error, description, log, log_description) in cases {
            let reading = read(ScriptKind::Login, &result);
            let answer = answer(ScriptKind::Login, &reading.verdict, "a@x.com");
            assert_eq!(answer.status, status, "{result:?}");
            assert_eq!(answer.error.as_deref(), error, "{result:?}");
            assert_eq!(answer.message(), description, "{result:?}");
            let line = answer.log.expect("every login logs");
            assert_eq!(
                (line.kind, line.description.as_str()),
                (log, log_description),
                "{result:?}"
            );
        }
    }

    #[test]
    fn kinds_parse_from_keys_and_command_line_names() {
        for kind in ScriptKind::ALL {
            assert_eq!(kind.key().parse::<ScriptKind>(), Ok(kind));
            assert_eq!(kind.name().parse::<ScriptKind>(), Ok(kind));
        }
        let parsed: Result<ScriptKind, _> = serde_json::from_value(json!("get_user"));
        assert_eq!(parsed.ok(), Some(ScriptKind::GetUser));
        assert!(serde_json::from_value::<ScriptKind>(json!("logn")).is_err());
        let err = "logn".parse::<ScriptKind>().expect_err("a typo");
        assert!(
            err.to_string()
                .starts_with("unknown script kind \"logn\": expected login, get_user")
        );
    }

    #[test]
    fn the_outcome_names_a_record_keeps() {
        let name = |kind, result: CallResult| read(kind, &result).outcome;
        assert_eq!(name(ScriptKind::Login, called_back(None, None)), "not_found");
        assert_eq!(name(ScriptKind::Delete, called_back(None, None)), "done");
        assert_eq!(name(ScriptKind::Verify, called_back(None, Some(json!(true)))), "value");
        assert_eq!(
            name(
                ScriptKind::Login,
                called_back(Some(error("WrongUsernameOrPasswordError", "")), None)
            ),
            "wrong_credentials"
        );
        assert_eq!(name(ScriptKind::Login, CallResult::TimedOut), "timed_out");
        assert_eq!(name(ScriptKind::Login, CallResult::OutOfMemory), "out_of_memory");
        for result in [
            called_back(None, Some(json!({}))),
            called_back(None, None),
            called_back(None, Some(json!(1))),
            CallResult::NoCallback,
        ] {
            assert!(OUTCOMES.contains(&name(ScriptKind::Delete, result)));
        }
    }

    #[test]
    fn other_kinds_are_judged_by_their_flows() {
        let validation = ScriptVerdict::Validation {
            code: "user_exists".into(),
            message: "The user already exists.".into(),
        };
        let created = answer(ScriptKind::Create, &validation, "a@x.com");
        assert_eq!(
            (created.status, created.error.as_deref(), created.name.as_deref()),
            (400, Some("user_exists"), Some("ValidationError"))
        );
        let deleted = answer(ScriptKind::Delete, &ScriptVerdict::Failed("locked".into()), "bob@x.com");
        assert_eq!(
            (deleted.status, deleted.message()),
            (500, "Error! There was a problem deleting bob@x.com: locked")
        );
        let verified = answer(ScriptKind::Verify, &ScriptVerdict::Bool(false), "a@x.com");
        assert_eq!(verified.log.map(|l| l.kind), Some("fv"));
        let exists = answer(ScriptKind::GetUser, &ScriptVerdict::Profile(Map::new()), "a@x.com");
        assert_eq!((exists.accepted, exists.error.as_deref()), (false, Some("user_exists")));
        assert!(answer(ScriptKind::ChangeEmail, &ScriptVerdict::Nothing, "a@x.com").accepted);
        assert!(answer(ScriptKind::ChangePassword, &ScriptVerdict::Bool(true), "a@x.com").accepted);
    }
}
