//! The one import run every command goes through (`ferry import`, `ferry migrate stormpath`,
//! `ferry migrate gigya`): the report and the run state opened (or an interrupted run's
//! resumed), the source's records fed to the importer one by one, every job followed, the report
//! finished. The commands differ only in where the records come from ([`Feed`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::auth0::{Auth0Config, ManagementClient};
use super::error::EngineError;
use super::gigya_migration::GigyaFeed;
use super::import::{self, ImportOptions, ImportTarget, Importer};
use super::progress::Progress;
use super::report::{ReportWriter, Summary};
use super::retry::RetryPolicy;
use super::state::{self, StateFile};
use super::stormpath;

/// What an import reads (a Gigya migration has its own: [`super::GigyaMigration`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportSource {
    /// An Auth0 bulk-import file (JSON array or NDJSON): `ferry import`.
    Auth0File(PathBuf),
    /// A Stormpath console export, unpacked (a directory of account files), transformed with
    /// its password hashes: `ferry migrate stormpath`.
    StormpathExport(PathBuf),
}

/// Where a run's report goes and whether it continues an interrupted one.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Where `users.ndjson`, `summary.json` and the run state go; in memory only when absent.
    pub report_dir: Option<PathBuf>,
    /// Continue the interrupted run journaled in `report_dir`.
    pub resume: bool,
    pub retry: RetryPolicy,
}

/// Imports `source` into the tenant: `ferry import` and `ferry migrate stormpath`.
pub async fn import(
    auth0_config: &Auth0Config,
    source: &ImportSource,
    options: ImportOptions,
    run: &RunOptions,
    progress: &dyn Progress,
) -> Result<Summary, EngineError> {
    let client = ManagementClient::new(
        auth0_config.clone(),
        super::http_client(Duration::from_secs(60))?,
        run.retry.clone(),
    );
    let (kind, path, feed) = match source {
        ImportSource::Auth0File(path) => ("import", path, Feed::Auth0File(path)),
        ImportSource::StormpathExport(dir) => ("stormpath", dir, Feed::StormpathExport(dir)),
    };
    let fingerprint = format!(
        "{kind} auth0={} {} source: {}",
        auth0_config.base_url,
        options.fingerprint(),
        path.display()
    );
    pipeline(&client, options, run, fingerprint, progress, feed).await
}

/// Where the records of a run come from.
pub(super) enum Feed<'a> {
    Auth0File(&'a Path),
    StormpathExport(&'a Path),
    Gigya(GigyaFeed<'a>),
}

/// The run: see the module docs. `fingerprint` is what a resumed run must agree with.
pub(super) async fn pipeline(
    target: &dyn ImportTarget,
    options: ImportOptions,
    run: &RunOptions,
    fingerprint: String,
    progress: &dyn Progress,
    feed: Feed<'_>,
) -> Result<Summary, EngineError> {
    super::readiness::check(target, &options.connection).await?;
    let (mut report, mut state) = open_run(run.report_dir.as_deref(), fingerprint, run.resume)?;
    // A journaled Gigya run exports to files first, so that a resumed run reads the same records.
    let exported = match (&feed, state.as_mut()) {
        (Feed::Gigya(gigya), Some(state)) => Some(gigya.export_journaled(state, progress).await?),
        _ => None,
    };
    {
        let mut importer = Importer::start(target, options, &mut report, progress, state.as_mut()).await?;
        match feed {
            Feed::Auth0File(path) => import::import_file(&mut importer, path).await?,
            Feed::StormpathExport(dir) => stormpath::import_export(&mut importer, dir).await?,
            Feed::Gigya(gigya) => gigya.feed(&mut importer, exported, progress).await?,
        }
        importer.finish().await?;
    }
    report.finish()
}

/// The report and, with a report directory, the run state: fresh, or an interrupted run's.
fn open_run(
    report_dir: Option<&Path>,
    fingerprint: String,
    resume: bool,
) -> Result<(ReportWriter, Option<StateFile>), EngineError> {
    let Some(dir) = report_dir else {
        if resume {
            return Err(EngineError::Config(
                "--resume continues the run journaled in a report directory: give it with --report".into(),
            ));
        }
        return Ok((ReportWriter::new(None)?, None));
    };
    if resume {
        let state = StateFile::open(dir, &fingerprint)?;
        let report = ReportWriter::resume(dir, state.state.report_offset, state.state.summary.clone())?;
        return Ok((report, Some(state)));
    }
    let path = StateFile::path_in(dir);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let unfinished = serde_json::from_str::<state::RunState>(&text)
            .map(|s| !s.complete)
            .unwrap_or(true);
        if unfinished {
            return Err(EngineError::Config(format!(
                "{} holds an unfinished run: continue it with --resume, or choose another report directory",
                dir.display()
            )));
        }
    }
    let state = StateFile::create(dir, fingerprint)?;
    Ok((ReportWriter::new(Some(dir))?, Some(state)))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::engine::import::tests::{Scratch, Tenant, options, state_in};
    use crate::engine::progress::Silent;
    use crate::engine::state::{Segment, SegmentStatus, StateFile};

    #[test]
    fn the_run_state_is_written_and_read_back() {
        let scratch = Scratch::new("state");
        let mut state = StateFile::create(&scratch.0, "the settings".into()).expect("created");
        state.state.export_files = vec![scratch.0.join("export.ndjson")];
        state.state.segments.insert(
            1,
            Segment {
                first: 0,
                records: 3,
                status: SegmentStatus::Accounted,
            },
        );
        state.state.segments.insert(
            2,
            Segment {
                first: 3,
                records: 2,
                status: SegmentStatus::Submitted { job: "job_2".into() },
            },
        );
        state.state.segments.insert(
            3,
            Segment {
                first: 5,
                records: 1,
                status: SegmentStatus::Submitting,
            },
        );
        state.state.report_offset = 345;
        state.state.summary.totals.exported = 3;
        state.state.summary.totals.inserted = 3;
        state.save().expect("saved");
        let written = state.state.clone();

        let read = StateFile::open(&scratch.0, "the settings").expect("read back");
        assert_eq!(read.state.segments, written.segments);
        assert_eq!(read.state.export_files, written.export_files);
        assert_eq!(read.state.report_offset, 345);
        assert_eq!(read.state.summary.totals, written.summary.totals);
        // What is on disk says what each segment is.
        assert_eq!(
            state_in(&scratch.0)["segments"],
            json!({
                "1": {"first": 0, "records": 3, "status": "accounted"},
                "2": {"first": 3, "records": 2, "status": "submitted", "job": "job_2"},
                "3": {"first": 5, "records": 1, "status": "submitting"},
            })
        );
        // No temporary file is left behind by the atomic write.
        assert!(!scratch.0.join("state.json.tmp").exists());

        let other = StateFile::open(&scratch.0, "other settings").expect_err("other settings");
        assert!(other.to_string().contains("other settings"), "{other}");
        let mut done = read;
        done.state.complete = true;
        done.save().expect("saved");
        let finished = StateFile::open(&scratch.0, "the settings").expect_err("finished");
        assert!(finished.to_string().contains("already finished"), "{finished}");
        let missing = StateFile::open(&scratch.0.join("nowhere"), "the settings").expect_err("nothing");
        assert!(missing.to_string().contains("nothing to resume"), "{missing}");
        std::fs::write(scratch.0.join("state.json"), "{ not json").expect("written");
        let broken = StateFile::open(&scratch.0, "the settings").expect_err("unreadable");
        assert!(broken.to_string().contains("unreadable run state"), "{broken}");
    }

    fn users_file(dir: &Path, count: usize) -> PathBuf {
        let path = dir.join("users.json");
        let lines: Vec<String> = (0..count)
            .map(|i| {
                json!({"email": format!("user{i:02}@example.com"), "user_metadata": {"pad": "x".repeat(400)}})
                    .to_string()
            })
            .collect();
        std::fs::write(&path, lines.join("\n")).expect("users file");
        path
    }

    fn lines(dir: &Path) -> Vec<Value> {
        std::fs::read_to_string(dir.join("users.ndjson"))
            .expect("users.ndjson")
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect()
    }

    #[tokio::test]
    async fn a_journaled_run_that_stops_resumes_from_its_state_without_sending_anyone_twice() {
        let scratch = Scratch::new("resume");
        let file = users_file(&scratch.0, 12);
        let report = scratch.0.join("report");
        let run = RunOptions {
            report_dir: Some(report.clone()),
            resume: false,
            retry: RetryPolicy::none(),
        };
        // Two users per file; the third file's submission breaks the run.
        let tenant = Tenant {
            polls: 2,
            ..Tenant::default()
        };
        tenant.lock().broken_submission = Some(3);
        let fingerprint = || "import test".to_owned();
        let stopped = pipeline(
            &tenant,
            options(1024, 2),
            &run,
            fingerprint(),
            &Silent,
            Feed::Auth0File(&file),
        )
        .await
        .expect_err("the broken submission stops the run");
        assert!(stopped.to_string().contains("connection reset"), "{stopped}");
        let state = state_in(&report);
        assert_eq!(state["complete"], false);
        assert_eq!(state["segments"]["3"]["status"], "submitting", "{state:#}");
        assert_eq!(tenant.lock().sent.len(), 4, "two files were accepted before");

        // Running again without --resume is refused; with it, the run ends where it would have.
        let again = pipeline(
            &tenant,
            options(1024, 2),
            &run,
            fingerprint(),
            &Silent,
            Feed::Auth0File(&file),
        )
        .await
        .expect_err("an unfinished run is there");
        assert!(again.to_string().contains("--resume"), "{again}");
        tenant.lock().broken_submission = None;
        let resume = RunOptions {
            resume: true,
            ..run.clone()
        };
        let other = pipeline(
            &tenant,
            options(2048, 2),
            &resume,
            "import other".into(),
            &Silent,
            Feed::Auth0File(&file),
        )
        .await
        .expect_err("other settings");
        assert!(other.to_string().contains("other settings"), "{other}");
        let summary = pipeline(
            &tenant,
            options(1024, 2),
            &resume,
            fingerprint(),
            &Silent,
            Feed::Auth0File(&file),
        )
        .await
        .expect("resumed");
        assert_eq!((summary.totals.exported, summary.totals.inserted), (12, 12));
        assert!(summary.totals.balanced());
        let sent = tenant.lock().sent.clone();
        let mut unique = sent.clone();
        unique.sort();
        unique.dedup();
        assert_eq!((sent.len(), unique.len()), (12, 12), "each user sent once: {sent:?}");
        let lines = lines(&report);
        let mut ids: Vec<&str> = lines.iter().filter_map(|l| l["source_id"].as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!((lines.len(), ids.len()), (12, 12), "each user has one line");
        let state = state_in(&report);
        assert_eq!(state["complete"], true);
        assert!(
            state["segments"]
                .as_object()
                .expect("segments")
                .values()
                .all(|s| s["status"] == "accounted"),
            "{state:#}"
        );
        let length = std::fs::metadata(report.join("users.ndjson"))
            .expect("users.ndjson")
            .len();
        assert_eq!(
            state["report_offset"], length,
            "the journal knows where the report ends"
        );
        assert_eq!(state["summary"]["totals"]["inserted"], 12);
    }
}
