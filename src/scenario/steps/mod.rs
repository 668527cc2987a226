//! The steps a scenario plays, one module per family, one function per step:
//!
//! | module | steps |
//! |---|---|
//! | [`auth`] | `login`, `signup`, `refresh`, `userinfo`, `change_password`, `reset_password`, `verify_email` |
//! | [`api`] | `api` |
//! | [`checks`] | `user`, `calls`, `script`, `emails`, `logs` |
//! | [`faults`] | `fault`, `clear_faults`, `advance` |
//! | [`engine`] | `deploy`, `import`, `migrate_gigya`, `migrate_stormpath` (the only module that calls the engine) |
//! | [`seeds`] | `seed_okta`, `seed_stormpath`, `seed_gigya` |
//! | [`exec`] | `exec` (the user's own program, with the mocks' coordinates in its environment) |
//!
//! Each step's type (in [`file`](super::file)) implements [`Play`]: how the step is named in
//! reports, and what it does to the [`World`]. [`Step::as_play`](super::file::Step::as_play),
//! next to the `Step` enum, is the one dispatch.
//!
//! **Adding a step** touches three places: its type and `Step` variant (with its arm in
//! `as_play`) in `file.rs`, its `impl Play` in the module of its family here, and the README's
//! step table. A new family also adds its `mod` line below. Nothing else — the runner
//! (`run.rs`) knows no step by name.

mod api;
mod auth;
mod checks;
mod engine;
mod exec;
mod faults;
mod seeds;

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

use super::file::Expect;
use super::matching::contains;
use super::world::{Answer, Variables, World};

/// What a step does, as the runner sees it.
pub(super) trait Play: Sync {
    /// The step in one line for reports and snapshots (`login dade.murphy@example.com`).
    fn describe(&self) -> String;

    /// Plays the step. `Err` is a step that could not be played (no such mock, no token yet,
    /// a request that got no answer): the report shows it as a failure with the reason.
    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a>;
}

/// The future a step's [`Play::play`] returns.
pub(super) type Playing<'a> = Pin<Box<dyn Future<Output = Result<Played, String>> + Send + 'a>>;

/// What a step did: its outcome in one line, the expectations it missed, and for an engine run
/// its report (kept in the snapshot).
#[derive(Debug)]
pub(super) struct Played {
    pub(super) outcome: String,
    pub(super) failures: Vec<String>,
    pub(super) run: Option<Value>,
}

impl Played {
    fn new(outcome: impl Into<String>, failures: Vec<String>) -> Self {
        Self {
            outcome: outcome.into(),
            failures,
            run: None,
        }
    }

    /// A step that only acts and checks nothing.
    fn done(outcome: &str) -> Self {
        Self::new(outcome, vec![])
    }
}

/// The expectations of a request step (`expect: { status, error, error_description, body }`)
/// that `answer` misses.
fn check(expect: &Expect, answer: &Answer, vars: &Variables) -> Vec<String> {
    let mut failures = vec![];
    if let Some(status) = expect.status
        && status != answer.status
    {
        failures.push(format!("status: expected {status}, got {}", answer.summary()));
    }
    // OAuth errors say `error`/`error_description`; /dbconnections errors `code`/`description`.
    let field = |name: &str| {
        let alias = match name {
            "error" => "code",
            _ => "description",
        };
        answer
            .body
            .get(name)
            .or_else(|| answer.body.get(alias))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    if let Some(error) = &expect.error
        && field("error").as_deref() != Some(error.as_str())
    {
        failures.push(format!("error: expected {error:?}, got {}", answer.summary()));
    }
    if let Some(description) = &expect.error_description {
        let want = vars.substitute(description);
        if field("error_description").as_deref() != Some(want.as_str()) {
            failures.push(format!(
                "error_description: expected {want:?}, got {}",
                answer.summary()
            ));
        }
    }
    if let Some(body) = &expect.body
        && let Err(difference) = contains(&answer.body, body)
    {
        failures.push(format!("body: {difference}"));
    }
    failures
}
