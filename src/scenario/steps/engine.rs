//! Steps that run Ferry's migration engine against the mocks, as its commands would: `deploy`
//! (`ferry deploy`), `import` (`ferry import`), `migrate_gigya` (`ferry migrate gigya`) and
//! `migrate_stormpath` (`ferry migrate stormpath`). This is the only module of the scenario
//! runner that calls [`crate::engine`].
//!
//! A run step checks the run's totals against `expect`, always checks that the report accounts
//! for every exported user exactly once, and keeps the whole report (totals, jobs, every user's
//! outcome) for the snapshot.
//!
//! Time: the engine waits as the CLI's would — two seconds between two reads of its import
//! jobs, the rate limit's reset after a 429, back-off after a failure — but every wait goes
//! through a [`engine::Sleeper`] that moves the scenario's shared clock by the time asked
//! instead of sleeping (see [`virtual_waits`]). The mock Auth0's jobs and rate limits run on
//! that clock, so a run that waits minutes for its jobs takes no wall time, and, the engine
//! doing one thing at a time, makes the same requests at the same virtual instants every run.

use std::path::{Path, PathBuf};
use std::time::Duration;

use mocks::Provider;
use mocks::auth0::MANAGEMENT_APP;
use serde_json::{Value, json};

use super::{Play, Played, Playing};
use crate::engine;
use crate::scenario::file::{DeployStep, ExpectTotals, GigyaVia, ImportStep, MigrateGigyaStep, MigrateStormpathStep};
use crate::scenario::world::World;

impl Play for DeployStep {
    fn describe(&self) -> String {
        format!("deploy {}", self.name.as_deref().unwrap_or("connection"))
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(deploy(self, world))
    }
}

/// `ferry deploy` from an auth0-deploy-cli tree. When the scenario seeds no connection, later
/// steps use the deployed one.
async fn deploy(step: &DeployStep, world: &mut World) -> Result<Played, String> {
    let keywords = step
        .keywords
        .iter()
        .map(|(k, v)| (k.clone(), world.vars.substitute(v)))
        .collect();
    let spec = engine::deploy::read_deploy_cli(&world.base_dir.join(&step.from), step.name.as_deref(), &keywords)
        .map_err(|e| e.to_string())?;
    let client = engine::auth0::ManagementClient::new(
        auth0_config(world)?,
        engine::http_client(Duration::from_secs(30)).map_err(|e| e.to_string())?,
        retry(world),
    );
    let outcome = engine::deploy::deploy(&client, &spec)
        .await
        .map_err(|e| e.to_string())?;
    let mut failures = vec![];
    if let Some(want) = step.expect
        && want.as_str() != outcome.action
    {
        failures.push(format!(
            "expected the deploy to be {want}, it was {} ({})",
            outcome.action,
            outcome.changes.join(", ")
        ));
    }
    let text = if outcome.changes.is_empty() {
        outcome.action.clone()
    } else {
        format!("{}: {}", outcome.action, outcome.changes.join(", "))
    };
    if !world.has_scenario_connection() {
        world.deployed_connection = Some(spec.name.clone());
    }
    Ok(Played::new(text, failures))
}

impl Play for ImportStep {
    fn describe(&self) -> String {
        format!("import {}", self.file.display())
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(import(self, world))
    }
}

/// `ferry import` of an Auth0 import file.
async fn import(step: &ImportStep, world: &mut World) -> Result<Played, String> {
    let connection = world.connection(step.connection.as_deref())?;
    let options = import_options(&connection, step.upsert, step.file_bytes, step.jobs);
    let file = world.base_dir.join(&step.file);
    let report_dir = scratch_dir("import");
    let result = engine::import(
        &auth0_config(world)?,
        &engine::ImportSource::Auth0File(file),
        options,
        &engine::RunOptions {
            report_dir: Some(report_dir.clone()),
            resume: false,
            retry: retry(world),
        },
        &engine::progress::Silent,
    )
    .await;
    Ok(run_played(result, &report_dir, &step.expect))
}

impl Play for MigrateGigyaStep {
    fn describe(&self) -> String {
        format!(
            "migrate_gigya via {}",
            match self.via {
                GigyaVia::IdentitySync => "identity_sync",
                GigyaVia::Search => "search",
            }
        )
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(migrate_gigya(self, world))
    }
}

/// `ferry migrate gigya` with the mock Gigya's credentials (or `secret` instead of its own).
async fn migrate_gigya(step: &MigrateGigyaStep, world: &mut World) -> Result<Played, String> {
    let connection = world.connection(step.connection.as_deref())?;
    let var = |name: &str| {
        world
            .vars
            .get(&format!("gigya.{name}"))
            .map(str::to_owned)
            .ok_or_else(|| format!("the scenario does not run the gigya mock (no {{{{gigya.{name}}}}})"))
    };
    let gigya = engine::gigya::GigyaConfig {
        base_url: Some(var("url")?),
        data_center: var("data_center").unwrap_or_else(|_| "us1.gigya.com".into()),
        api_key: var("api_key")?,
        user_key: var("user_key").ok(),
        secret: step.secret.clone().map_or_else(|| var("secret"), Ok)?,
    };
    let query = match &step.query {
        Some(text) => engine::ExportQuery::parse(text).map_err(|e| e.to_string())?,
        None => engine::ExportQuery::all(),
    };
    // IdentitySync's SFTP writer uploads to a directory of this step, the mock's stand-in for
    // the SFTP server (its settings map the host there); the engine reads it as the mounted
    // SFTP folder. Removed after the step.
    let landing_dir = scratch_dir("gigya-landing");
    let source = match step.via {
        GigyaVia::Search => engine::ExportSource::Search { query },
        GigyaVia::IdentitySync => {
            const SFTP_HOST: &str = "sftp.gigya-export.invalid";
            std::fs::create_dir_all(&landing_dir).map_err(|e| e.to_string())?;
            let (gigya_mock, _) = world
                .gigya
                .as_ref()
                .ok_or("the scenario does not run the gigya mock (add a gigya: section)")?;
            let sftp = mocks::gigya::SettingsSeed {
                sftp_servers: Some([(SFTP_HOST.to_owned(), landing_dir.clone())].into()),
                ..mocks::gigya::SettingsSeed::default()
            };
            gigya_mock
                .seed(mocks::gigya::GigyaSeed {
                    settings: Some(sftp),
                    accounts: vec![],
                })
                .map_err(|e| format!("gigya seed: {e}"))?;
            engine::ExportSource::IdentitySync(engine::IdentitySyncExport {
                query,
                sftp: engine::SftpWriter {
                    host: SFTP_HOST.into(),
                    port: 22,
                    username: "ferry".into(),
                    password: "ferry-mock-sftp".into(),
                    remote_path: "/".into(),
                },
                landing_dir: landing_dir.clone(),
            })
        }
    };
    let report_dir = scratch_dir("gigya");
    let mut migration = engine::GigyaMigration::new(gigya, auth0_config(world)?, source, &connection);
    migration.import = import_options(&connection, step.upsert, step.file_bytes, step.jobs);
    migration.report_dir = Some(report_dir.clone());
    migration.retry = retry(world);
    migration.request_timeout = Duration::from_secs(30);
    migration.export_timeout = Duration::from_secs(60);
    let result = engine::migrate_gigya(&migration, &engine::progress::Silent).await;
    let _ = std::fs::remove_dir_all(&landing_dir);
    Ok(run_played(result, &report_dir, &step.expect))
}

impl Play for MigrateStormpathStep {
    fn describe(&self) -> String {
        "migrate_stormpath from the console export".into()
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(migrate_stormpath(self, world))
    }
}

/// `ferry migrate stormpath` of the mock Stormpath's console export, written to disk first as
/// Stormpath's console delivered it.
async fn migrate_stormpath(step: &MigrateStormpathStep, world: &mut World) -> Result<Played, String> {
    let connection = world.connection(step.connection.as_deref())?;
    let (stormpath, _) = world
        .stormpath
        .as_ref()
        .ok_or("the scenario does not run the stormpath mock (add a stormpath: section)")?;
    let export_dir = scratch_dir("stormpath-export");
    for file in stormpath.export_files() {
        let path = export_dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(&path, &file.bytes).map_err(|e| e.to_string())?;
    }
    let options = import_options(&connection, step.upsert, step.file_bytes, step.jobs);
    let report_dir = scratch_dir("stormpath");
    let result = engine::import(
        &auth0_config(world)?,
        &engine::ImportSource::StormpathExport(export_dir.clone()),
        options,
        &engine::RunOptions {
            report_dir: Some(report_dir.clone()),
            resume: false,
            retry: retry(world),
        },
        &engine::progress::Silent,
    )
    .await;
    let _ = std::fs::remove_dir_all(&export_dir);
    Ok(run_played(result, &report_dir, &step.expect))
}

/// The engine's view of the Auth0 tenant: the Management application's credentials.
fn auth0_config(world: &World) -> Result<engine::auth0::Auth0Config, String> {
    let (client_id, client_secret) = world.client(MANAGEMENT_APP)?;
    Ok(engine::auth0::Auth0Config {
        base_url: world.auth0_base_url().to_owned(),
        client_id,
        client_secret,
        audience: None,
    })
}

/// The CLI's import settings (`--poll 2`, `--jobs 2` unless the step says otherwise).
fn import_options(
    connection: &str,
    upsert: bool,
    file_bytes: Option<usize>,
    jobs: Option<usize>,
) -> engine::import::ImportOptions {
    engine::import::ImportOptions {
        connection: connection.to_owned(),
        upsert,
        max_file_bytes: file_bytes.unwrap_or(import_schema::MAX_FILE_BYTES),
        max_active_jobs: jobs.unwrap_or(2),
        poll_interval: CLI_POLL,
        ..engine::import::ImportOptions::default()
    }
}

/// `ferry import --poll`'s default.
const CLI_POLL: Duration = Duration::from_secs(2);

/// A fresh directory for a run's report, under the system's temporary directory.
fn scratch_dir(kind: &str) -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("ferry-scenario-{kind}-{}-{n}", std::process::id()))
}

/// The engine's retry policy in a scenario: four attempts (a bad-day fault that outlasts them
/// shows), the CLI's back-off, and every wait on the scenario's clock.
fn retry(world: &World) -> engine::RetryPolicy {
    engine::RetryPolicy {
        attempts: 4,
        sleeper: virtual_waits(world),
        ..engine::RetryPolicy::default()
    }
}

/// The engine's waits in a scenario: each moves the shared clock by its length and takes no
/// wall time (a yield lets the runtime breathe). The engine waits one wait at a time, so the
/// clock moves the same way every run.
fn virtual_waits(world: &World) -> engine::Sleeper {
    let clock = world.clock.clone();
    engine::Sleeper::new(move |wait| {
        clock.advance(wait);
        Box::pin(tokio::task::yield_now())
    })
}

/// What an engine run did: its totals checked against `expect`, its report (read back from
/// `users.ndjson`, then removed) kept for the snapshot.
fn run_played(
    result: Result<engine::report::Summary, engine::EngineError>,
    report_dir: &Path,
    expect: &ExpectTotals,
) -> Played {
    let lines: Vec<Value> = std::fs::read_to_string(report_dir.join("users.ndjson"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let _ = std::fs::remove_dir_all(report_dir);
    let summary = match result {
        Err(error) => {
            let text = error.to_string();
            let failures = match &expect.error {
                Some(want) if text.contains(want.as_str()) => vec![],
                Some(want) => vec![format!("expected an error containing {want:?}, got: {text}")],
                None => vec![format!("the run failed: {text}")],
            };
            let mut played = Played::new(format!("error: {text}"), failures);
            played.run = Some(json!({ "error": text, "users": sorted(lines) }));
            return played;
        }
        Ok(summary) => summary,
    };
    let totals = &summary.totals;
    let mut failures = vec![];
    if let Some(want) = &expect.error {
        failures.push(format!("expected an error containing {want:?}, but the run completed"));
    }
    let checks = [
        ("exported", expect.exported, totals.exported),
        ("inserted", expect.inserted, totals.inserted),
        ("updated", expect.updated, totals.updated),
        (
            "inserted_or_updated",
            expect.inserted_or_updated,
            totals.inserted_or_updated,
        ),
        ("failed", expect.failed, totals.failed),
        ("skipped", expect.skipped, totals.skipped),
        ("needs_reset", expect.needs_reset, totals.needs_reset),
    ];
    for (name, want, got) in checks {
        if let Some(want) = want
            && want != got
        {
            failures.push(format!("{name}: expected {want}, got {got}"));
        }
    }
    if let Some(want) = expect.jobs
        && want != summary.jobs.len()
    {
        failures.push(format!("jobs: expected {want}, got {}", summary.jobs.len()));
    }
    if !totals.balanced() {
        failures.push(format!(
            "the report does not account for every exported user: {totals:?}"
        ));
    }
    if lines.len() as u64 != totals.exported {
        failures.push(format!(
            "users.ndjson has {} lines for {} exported users",
            lines.len(),
            totals.exported
        ));
    }
    let outcome = format!(
        "exported {}, inserted {}, updated {}, failed {}, skipped {}, needs reset {}, {} jobs",
        totals.exported,
        totals.inserted + totals.inserted_or_updated,
        totals.updated,
        totals.failed,
        totals.skipped,
        totals.needs_reset,
        summary.jobs.len()
    );
    let mut jobs: Vec<Value> = summary
        .jobs
        .iter()
        .filter_map(|j| serde_json::to_value(j).ok())
        .collect();
    jobs.sort_by_key(|j| j.get("id").and_then(Value::as_str).map(str::to_owned));
    let mut played = Played::new(outcome, failures);
    played.run = Some(json!({
        "totals": summary.totals,
        "failure_reasons": summary.failure_reasons,
        "jobs": jobs,
        "users": sorted(lines),
    }));
    played
}

/// Report lines in the order of their source ids (jobs finish in any order).
fn sorted(mut lines: Vec<Value>) -> Vec<Value> {
    lines.sort_by_key(|l| l.get("source_id").and_then(Value::as_str).map(str::to_owned));
    lines
}
