//! Scenarios: YAML files that seed the mocks, drive a documented migration flow end to end and
//! say what must happen. [`run_file`] is the one entry point, for `ferry run` and `cargo test`
//! alike; [`run_all`] runs many in parallel.
//!
//! - [`file`](mod@file): the format (serde types; unknown keys are errors).
//! - [`load`](mod@load): reading a file and its scripts, with file, line and column on errors.
//! - `run`: starting mocks, seeding, playing steps, reading the resulting users.
//! - [`report`]: results, terminal rendering, JUnit XML, the snapshot value.
//! - [`snapshot`]: comparing a result with the reviewed `snapshots/*.snap`.

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
