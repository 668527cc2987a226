//! The runner: starts the [`World`] a scenario needs, plays its steps in order (the shared
//! clock moves one tick before each; each step's script runs are attached to its report), then
//! reads the resulting Auth0 users and the provider mocks' journals and stops the mocks.
//!
//! It knows no step by name: every step is a [`Play`](super::steps::Play) reached through
//! [`Step::as_play`](super::file::Step::as_play).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use super::error::ScenarioError;
use super::file::{MockName, Step};
use super::load::{Scenario, load};
use super::report::{Report, StepReport};
use super::world::World;

/// How far the clock moves before each step.
pub const TICK: Duration = Duration::from_secs(1);

/// Loads and runs a scenario file.
///
/// ```no_run
/// # async fn demo() -> Result<(), ferry::scenario::ScenarioError> {
/// let report = ferry::scenario::run_file(std::path::Path::new("scenarios/okta/first_login.yaml")).await?;
/// assert!(report.passed(), "{}", report.render(true));
/// # Ok(()) }
/// ```
pub async fn run_file(path: &Path) -> Result<Report, ScenarioError> {
    let scenario = load(path)?;
    run(&scenario).await
}

/// Runs a loaded scenario.
pub async fn run(scenario: &Scenario) -> Result<Report, ScenarioError> {
    let started = Instant::now();
    let mut world = World::start(scenario).await?;

    let mut steps = vec![];
    for (index, step) in scenario.file.steps.iter().enumerate() {
        world.clock.advance(TICK);
        let scripts_before = world.auth0.script_executions().last().map_or(0, |e| e.seq);
        let mut report = play(&mut world, &step.value).await;
        // A step that found the scenario cannot run here (a program that is not installed)
        // makes it one that could not run, never a pass or an ordinary failure.
        if let Some(reason) = world.could_not_run.take() {
            world.shutdown().await;
            return Err(ScenarioError::Invalid {
                file: scenario.path.clone(),
                line: Some(step.referenced.line()),
                reason,
            });
        }
        report.index = index + 1;
        report.line = step.referenced.line();
        report.scripts = world
            .auth0
            .script_executions()
            .into_iter()
            .filter(|e| e.seq > scripts_before)
            .collect();
        steps.push(report);
    }

    let users = world.resulting_users().await.unwrap_or_else(|e| {
        steps.push(StepReport::failed("read the resulting users", vec![e]));
        vec![]
    });
    let calls: BTreeMap<String, Vec<String>> = [MockName::Okta, MockName::Stormpath, MockName::Gigya]
        .into_iter()
        .filter_map(|mock| Some((mock.as_str().to_owned(), world.journal_lines(mock)?)))
        .collect();
    let scripts = world.auth0.script_executions();
    world.shutdown().await;
    let file = &scenario.file;
    Ok(Report {
        name: scenario.name.clone(),
        file: scenario.path.clone(),
        description: file.description.clone(),
        snapshot: file.snapshot,
        steps,
        users,
        calls,
        scripts,
        duration: started.elapsed(),
        snapshot_result: None,
    })
}

/// Plays one step; a step that cannot be played is a failed step, not an error.
async fn play(world: &mut World, step: &Step) -> StepReport {
    let step = step.as_play();
    let summary = step.describe();
    match step.play(world).await {
        Ok(played) => {
            let mut report = StepReport::new(&summary, played.outcome, played.failures);
            report.run = played.run;
            report
        }
        Err(reason) => StepReport::failed(&summary, vec![reason]),
    }
}
