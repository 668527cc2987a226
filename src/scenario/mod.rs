//! Scenarios: YAML files that seed the mocks, drive a documented migration flow end to end and
//! say what must happen. [`run_file`] is the one entry point, for `ferry run` and `cargo test`
//! alike; [`run_all`] runs many in parallel.
//!
//! From file to snapshot:
//! - [`file`](mod@file): the format as serde types. Unknown keys, values outside a closed set
//!   (script names, outcomes, mocks, methods, log types, ...) and numbers or durations out of
//!   range are errors.
//! - [`load`](mod@load): reading a file with its scripts and seed files; every error has the
//!   file, and line and column where the file has them ([`ScenarioError`]).
//! - `run`: the runner. It starts a `World` (`world.rs`: the mocks on loopback, seeded, sharing a
//!   manual clock and seeded ids; the HTTP client; the `{{variables}}`; tokens earlier steps
//!   got), plays the steps in order, a clock tick apart, and reads the resulting Auth0 users
//!   and the mocks' journals. It owns the world and lends it to one step at a time.
//! - `steps`: what each step does, one module per family (auth, api, checks, faults, engine,
//!   seeds), one function per step. Adding a step touches `file.rs`, its module under `steps/`
//!   and the README's step table, nothing else (see `steps/mod.rs`).
//! - [`report`]: each step's outcome and failures, the users, the journals and script runs;
//!   rendered for a terminal, as JUnit XML, and reduced to the snapshot value.
//! - [`snapshot`]: comparing that value with the reviewed `snapshots/*.snap` (`ferry run`;
//!   `cargo test` compares through insta).
//! - `matching`: the "contains" match of `expect.body` and `user.has`.

mod error;
pub mod file;
pub mod load;
mod matching;
pub mod report;
mod run;
pub mod snapshot;
mod steps;
mod world;

use std::path::PathBuf;

use futures_util::StreamExt;

pub use self::error::ScenarioError;
pub use self::load::{Scenario, discover, load};
pub use self::report::{Report, StepReport, junit};
pub use self::run::{TICK, run, run_file};
pub use self::world::SCENARIO_BCRYPT_COST;

/// Runs every file, at most `jobs` at a time; results in the order of `files`.
pub async fn run_all(files: &[PathBuf], jobs: usize) -> Vec<(PathBuf, Result<Report, ScenarioError>)> {
    let mut results: Vec<(usize, PathBuf, Result<Report, ScenarioError>)> =
        futures_util::stream::iter(files.iter().cloned().enumerate())
            .map(|(i, file)| async move {
                let result = run_file(&file).await;
                (i, file, result)
            })
            .buffer_unordered(jobs.max(1))
            .collect()
            .await;
    results.sort_by_key(|(i, _, _)| *i);
    results.into_iter().map(|(_, file, result)| (file, result)).collect()
}
