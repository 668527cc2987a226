//! Scenarios: YAML files that seed the mocks, drive a documented migration flow end to end and
//! say what must happen. [`run_file`] is the one entry point, for `ferry run` and `cargo test`
//! alike; [`targets`] finds the files a command line names, and [`run_each`] runs many in
//! parallel.
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
//! - [`snapshot`]: that value in insta's file format: compared with the reviewed
//!   `snapshots/*.snap`, written as `.snap.new`, accepted, reviewed (`ferry run`; `cargo test`
//!   compares through insta, on the same files).
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

use std::path::{Path, PathBuf};

use futures_util::{Stream, StreamExt};

pub use self::error::ScenarioError;
pub use self::load::{Scenario, discover, load};
pub use self::report::{Render, Report, StepReport, junit};
pub use self::run::{TICK, run, run_file};
pub use self::world::SCENARIO_BCRYPT_COST;
pub(crate) use self::world::{Coordinates, Variables, mock_environment};

/// A scenario file a command line named, with the root its name and snapshot go by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The file, as found (relative when the command line was).
    pub file: PathBuf,
    /// Its root (absolute): the nearest folder named `scenarios` above it, else the folder the
    /// command line named (see [`snapshot::scenario_root`]).
    pub root: PathBuf,
    /// `okta/first_login`: the file's path below the root, without extension.
    pub name: String,
}

impl Target {
    /// The target for `file`, found under `given` (a folder, or the file itself).
    pub fn new(file: &Path, given: &Path) -> Self {
        let root = snapshot::scenario_root(file, given);
        let name = if root.file_name().is_some_and(|n| n == "scenarios") {
            load::scenario_name(&snapshot::absolute(file))
        } else {
            let absolute = snapshot::absolute(file).with_extension("");
            match absolute.strip_prefix(&root) {
                Ok(below) if !below.as_os_str().is_empty() => below
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/"),
                _ => load::scenario_name(file),
            }
        };
        Self {
            file: file.to_path_buf(),
            root,
            name,
        }
    }
}

/// The scenario files under `paths` (see [`discover`]), each with its root and name; a file
/// found twice is run once.
pub fn targets(paths: &[PathBuf]) -> Result<Vec<Target>, ScenarioError> {
    let mut found: Vec<Target> = vec![];
    let mut seen = std::collections::HashSet::new();
    for path in paths {
        for file in discover(std::slice::from_ref(path))? {
            if seen.insert(snapshot::absolute(&file)) {
                found.push(Target::new(&file, path));
            }
        }
    }
    Ok(found)
}

/// Loads and runs a target under its name.
pub async fn run_target(target: &Target) -> Result<Report, ScenarioError> {
    let mut scenario = load(&target.file)?;
    scenario.name.clone_from(&target.name);
    run(&scenario).await
}

/// Runs every target, at most `jobs` at a time, yielding each result as it finishes with its
/// position in `targets`.
pub fn run_each(targets: &[Target], jobs: usize) -> impl Stream<Item = (usize, Result<Report, ScenarioError>)> + '_ {
    futures_util::stream::iter(targets.iter().enumerate())
        .map(|(i, target)| async move { (i, run_target(target).await) })
        .buffer_unordered(jobs.max(1))
}

/// Runs every target, at most `jobs` at a time; results in the order of `targets`.
pub async fn run_all(targets: &[Target], jobs: usize) -> Vec<(PathBuf, Result<Report, ScenarioError>)> {
    let mut results: Vec<(usize, Result<Report, ScenarioError>)> = run_each(targets, jobs).collect().await;
    results.sort_by_key(|(i, _)| *i);
    results
        .into_iter()
        .map(|(i, result)| (targets[i].file.clone(), result))
        .collect()
}
