//! The one import run every command goes through (`ferry import`, `ferry migrate stormpath`,
//! `ferry migrate gigya`): the report and the run state opened (or an interrupted run's
//! resumed), the source's records fed to the importer one by one, every job followed, the report
//! finished. The commands differ only in where the records come from ([`Feed`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::auth0::{Auth0Config, ManagementClient};
use super::error::EngineError;
use super::export::{self, Expected};
use super::gigya_migration::GigyaFeed;
use super::import::{self, ImportOptions, ImportTarget, Importer};
use super::progress::{Phase, Progress};
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
///
/// The whole input is read through before the first job ([`Phase::Check`]): a file that cannot
/// be read whole (a malformed record near its end, trailing garbage) imports nobody, rather
/// than leaving a tenant with the users before the fault and a report that must be continued
/// by hand. The read costs one record's memory and gives the progress its total.
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
    // A Gigya export lands in files first (a journaled search, IdentitySync, a file given), so
    // that it can be read through and a resumed run reads the same records.
    let files = match &feed {
        Feed::Auth0File(path) => Some(vec![path.to_path_buf()]),
        Feed::StormpathExport(_) => None,
        Feed::Gigya(gigya) => gigya.export(state.as_mut(), progress).await?,
    };
    progress.phase(Phase::Check);
    let total = match &feed {
        Feed::Auth0File(_) => {
            let mut total = 0;
            for path in files.iter().flatten() {
                let scan = export::scan(path)?;
                export::expect_kind(path, scan.first.as_ref(), Expected::Auth0File)?;
                total += scan.records;
            }
            Some(total)
        }
        Feed::StormpathExport(dir) => Some(stormpath::scan(dir)?),
        Feed::Gigya(gigya) => match &files {
            Some(files) => {
                let checked = gigya.check_files(files)?;
                if let Some(note) = checked.note {
                    progress.note(&format!("note: {note}"));
                    report.note(note);
                }
                Some(checked.records)
            }
            None => None,
        },
    };
    if let Some(total) = total {
        progress.total(total);
    }
    {
        let mut importer = Importer::start(target, options, &mut report, progress, state.as_mut()).await?;
        progress.phase(Phase::Import {
            transform: !matches!(feed, Feed::Auth0File(_)),
        });
        match feed {
            Feed::Auth0File(path) => import::import_file(&mut importer, path).await?,
            Feed::StormpathExport(dir) => stormpath::import_export(&mut importer, dir).await?,
            Feed::Gigya(gigya) => gigya.feed(&mut importer, files, progress).await?,
        }
        importer.finish().await?;
    }
    report.finish()
}

/// The report and, with a report directory, the run state: fresh, or an interrupted run's. A
/// directory that holds an earlier run's report is not written over: an unfinished run is
/// continued with `--resume`, a finished one is kept unless the caller discards it first
/// ([`super::report::discard`], what `--force` does).
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
                "{} holds an unfinished run: continue it with --resume (the same command and settings), \
                 or start over with --force (its report is discarded), or choose another --report directory",
                dir.display()
            )));
        }
    }
    let earlier = super::report::existing_report(dir);
    if !earlier.is_empty() {
        let names: Vec<String> = earlier
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        return Err(EngineError::Config(format!(
            "{} already holds the report of a finished run ({}): choose another --report directory, \
             or replace it with --force",
            dir.display(),
            names.join(", ")
        )));
    }
    let state = StateFile::create(dir, fingerprint)?;
    Ok((ReportWriter::new(Some(dir))?, Some(state)))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::engine::import::Transition;
    use crate::engine::import::tests::{Scratch, Tenant, kill_points, options, state_in};
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
                status: SegmentStatus::Submitted {
                    job: "job_2".into(),
                    resent_since: None,
                },
            },
        );
        state.state.segments.insert(
            3,
            Segment {
                first: 5,
                records: 1,
                status: SegmentStatus::Submitting {
                    since: chrono::DateTime::from_timestamp_millis(1_767_225_600_123).expect("a time"),
                },
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
                "3": {"first": 5, "records": 1, "status": "submitting", "since": "2026-01-01T00:00:00.123Z"},
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

    /// The input of the kill tests: users in files of about two, with every kind of outcome a
    /// resume could get wrong: a user already in the tenant before the run (Auth0 refuses it
    /// as existing), the same email twice in one file and in two files far apart, a user the
    /// local check refuses, and plain ones.
    fn hostile_file(dir: &Path) -> PathBuf {
        let user = |email: &str| json!({"email": email, "user_metadata": {"pad": "x".repeat(380)}}).to_string();
        let emails = [
            "a00@example.com",
            "taken@example.com",
            "far@example.com",
            "a03@example.com",
            "twin@example.com",
            "twin@example.com",
            "not-an-email",
            "a07@example.com",
            "taken@example.com",
            "a09@example.com",
            "far@example.com",
            "a11@example.com",
            "a12@example.com",
            "a13@example.com",
        ];
        let path = dir.join("hostile.ndjson");
        let lines: Vec<String> = emails.iter().map(|e| user(e)).collect();
        std::fs::write(&path, lines.join("\n")).expect("users file");
        path
    }

    /// What a run leaves that must not depend on where it was killed: the report's lines
    /// (without job ids) by source id, the totals, the reasons, each job's users and bytes, and
    /// the tenant's users.
    #[derive(Debug, PartialEq)]
    struct End {
        lines: std::collections::BTreeMap<String, Value>,
        totals: crate::engine::report::Totals,
        reasons: std::collections::BTreeMap<String, u64>,
        jobs: Vec<(usize, usize)>,
        tenant: std::collections::BTreeSet<String>,
    }

    fn end_of(summary: &Summary, report: &Path, tenant: &Tenant) -> End {
        let mut lines = std::collections::BTreeMap::new();
        for mut line in super::tests::lines(report) {
            line.as_object_mut().expect("object").remove("job");
            let id = line["source_id"].as_str().expect("source id").to_owned();
            assert!(lines.insert(id.clone(), line).is_none(), "{id} is accounted twice");
        }
        let mut jobs: Vec<(usize, usize)> = summary.jobs.iter().map(|j| (j.users, j.bytes)).collect();
        jobs.sort_unstable();
        End {
            lines,
            totals: summary.totals.clone(),
            reasons: summary.failure_reasons.clone(),
            jobs,
            tenant: tenant.lock().users.keys().cloned().collect(),
        }
    }

    async fn run_once(tenant: &Tenant, file: &Path, report: &Path, resume: bool) -> Result<Summary, EngineError> {
        let run = RunOptions {
            report_dir: Some(report.to_path_buf()),
            resume,
            retry: RetryPolicy::none(),
        };
        pipeline(
            tenant,
            options(1024, 2),
            &run,
            "kill test".into(),
            &Silent,
            Feed::Auth0File(file),
        )
        .await
    }

    fn tenant() -> Tenant {
        let tenant = Tenant::with_users(&["taken@example.com"]);
        Tenant { polls: 2, ..tenant }
    }

    /// Kills the run at the `nth` pass of `at` (and, when `then` is given, the resumed run at
    /// its first pass of that), resumes it to its end, and returns the end.
    async fn killed(name: &str, at: Transition, nth: u32, then: Option<Transition>) -> End {
        let scratch = Scratch::new(name);
        let file = hostile_file(&scratch.0);
        let report = scratch.0.join("report");
        let tenant = tenant();
        kill_points::arm(at, nth);
        let killed = run_once(&tenant, &file, &report, false).await.expect_err("killed");
        assert!(killed.to_string().starts_with("killed at"), "{at:?} {nth}: {killed}");
        if let Some(then) = then {
            kill_points::arm(then, 1);
            match run_once(&tenant, &file, &report, true).await {
                Err(e) => assert!(e.to_string().starts_with("killed at"), "{e}"),
                // The resumed run may not pass that point again (nothing left to send).
                Ok(_) => {
                    kill_points::disarm();
                    let summary = serde_json::from_str::<Summary>(
                        &std::fs::read_to_string(report.join("summary.json")).expect("summary"),
                    )
                    .expect("summary.json");
                    return end_of(&summary, &report, &tenant);
                }
            }
        }
        kill_points::disarm();
        let summary = run_once(&tenant, &file, &report, true)
            .await
            .unwrap_or_else(|e| panic!("{at:?} {nth} then {then:?}: the resumed run failed: {e}"));
        assert!(summary.totals.balanced(), "{:?}", summary.totals);
        end_of(&summary, &report, &tenant)
    }

    #[tokio::test]
    async fn a_run_killed_at_any_transition_of_any_job_resumes_to_the_uninterrupted_report() {
        let scratch = Scratch::new("kill-baseline");
        let file = hostile_file(&scratch.0);
        let report = scratch.0.join("report");
        let tenant = tenant();
        kill_points::disarm();
        let summary = run_once(&tenant, &file, &report, false).await.expect("uninterrupted");
        let passes = kill_points::disarm();
        let expected = end_of(&summary, &report, &tenant);
        // The data does what it is meant to: every kind of outcome is there.
        let t = &expected.totals;
        assert_eq!((t.exported, t.inserted, t.failed), (14, 9, 5), "{t:?}");
        assert_eq!(
            expected.reasons.get("DUPLICATED_USER"),
            Some(&4),
            "{:?}",
            expected.reasons
        );
        assert_eq!(
            expected.reasons.get("INVALID_FORMAT"),
            Some(&1),
            "{:?}",
            expected.reasons
        );

        let transitions = [
            Transition::BeforeSend,
            Transition::Sent,
            Transition::IdReceived,
            Transition::Following,
            Transition::Finished,
            Transition::Accounting,
            Transition::Accounted,
        ];
        let mut killed_at = 0;
        for at in transitions {
            let count = passes.iter().filter(|(t, _)| *t == at).count() as u32;
            assert!(count >= 5, "{at:?} is passed {count} times: too few to test");
            for nth in 1..=count {
                let end = killed(&format!("kill-{at:?}-{nth}"), at, nth, None).await;
                assert_eq!(end, expected, "killed at {at:?} #{nth}");
                killed_at += 1;
            }
        }
        assert!(killed_at >= 40, "{killed_at} kill points");
        // Killed again while resuming, at each transition.
        for first in [Transition::Sent, Transition::Following, Transition::Accounting] {
            for then in transitions {
                let end = killed(&format!("kill-twice-{first:?}-{then:?}"), first, 3, Some(then)).await;
                assert_eq!(end, expected, "killed at {first:?} #3, then at {then:?}");
            }
        }
    }

    #[tokio::test]
    async fn a_resent_upsert_segment_reports_what_the_lost_job_did() {
        // Upsert: the lost job inserted two users and updated one; sent again, the new job
        // updates all three. The report says inserted-or-updated for the three, as the lost
        // job's summary (1 updated, 2 inserted) would have made it.
        let scratch = Scratch::new("kill-upsert");
        let path = scratch.0.join("upsert.ndjson");
        let lines: Vec<String> = ["new1@example.com", "taken@example.com", "new2@example.com"]
            .iter()
            .map(|e| json!({"email": e}).to_string())
            .collect();
        std::fs::write(&path, lines.join("\n")).expect("file");
        let upsert = || {
            let mut options = options(512_000, 2);
            options.upsert = true;
            options
        };
        let run = |resume: bool| RunOptions {
            report_dir: Some(scratch.0.join(if resume { "killed" } else { "baseline" })),
            resume,
            retry: RetryPolicy::none(),
        };
        let baseline_tenant = tenant();
        let baseline = pipeline(
            &baseline_tenant,
            upsert(),
            &run(false),
            "u".into(),
            &Silent,
            Feed::Auth0File(&path),
        )
        .await
        .expect("uninterrupted");
        assert_eq!(baseline.totals.inserted_or_updated, 3);
        let killed_tenant = tenant();
        let killed_run = RunOptions {
            resume: false,
            ..run(true)
        };
        kill_points::arm(Transition::Sent, 1);
        pipeline(
            &killed_tenant,
            upsert(),
            &killed_run,
            "u".into(),
            &Silent,
            Feed::Auth0File(&path),
        )
        .await
        .expect_err("killed");
        kill_points::disarm();
        let resumed = pipeline(
            &killed_tenant,
            upsert(),
            &run(true),
            "u".into(),
            &Silent,
            Feed::Auth0File(&path),
        )
        .await
        .expect("resumed");
        assert_eq!(resumed.totals, baseline.totals);
        assert!(resumed.jobs[0].resent && !baseline.jobs[0].resent);
        assert_eq!(
            resumed.jobs[0].summary.as_ref().map(|s| (s.inserted, s.updated)),
            Some((0, 3)),
            "Auth0's own summary of the job sent again is kept as it is"
        );
    }
}
