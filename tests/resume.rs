//! A Gigya → Auth0 bulk migration killed at different points (`kill -9` of the `ferry` process)
//! and continued with `--resume` ends exactly like an uninterrupted one: the same users in
//! Auth0, each imported once, and the same per-user report, every exported user accounted for
//! exactly once.
//!
//! The mocks run in this test; `ferry migrate gigya` runs as a child process against them, so
//! that it can be killed for real. The kill points are chosen from what the run state and the
//! mocks show: during the export, while the first job runs, between jobs, while a job is
//! being posted, and right after a job was accepted but before the answer was journaled.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ferry::serve::Served;
use mocks::Provider;
use mocks::auth0::MANAGEMENT_APP;
use mocks::kit::fault::{Fault, FaultRule};
use serde_json::{Value, json};

use common::{Scratch, serve};

const ACCOUNTS: usize = 1200;
const SFTP_HOST: &str = "sftp.gigya-export.invalid";
/// Emails of exported accounts already in the tenant before the run.
/// (user00310 falls in the third import file, with the repeated user00300.)
const PRESENT: [&str; 3] = [
    "user00150@example.com",
    "user00310@example.com",
    "user00750@example.com",
];
/// Users an uninterrupted run refuses: those already present and two repeated emails.
const REFUSED: usize = PRESENT.len() + 2;

/// The mocks, seeded with 1,200 Gigya accounts and an empty Auth0 connection whose import jobs
/// take at least `job_time` each.
async fn world(scratch: &Scratch, job_time: &str) -> Served {
    let accounts: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/gigya/data/gigya_1200_accounts.json"
        ))
        .expect("the Gigya data file"),
    )
    .expect("JSON");
    let mut gigya = accounts;
    // Outcomes a resume could report wrongly: two accounts share an email with the one before
    // them (in the same import file) or with one far before (in another file), and three
    // accounts are already in the tenant before the run (Auth0 refuses them as existing).
    // (Gigya keeps login identifiers unique: the repeat is the profile's email, the account
    // logging in with its own.)
    for (account, same_as) in [(301, 300), (900, 100)] {
        let email = gigya["accounts"][same_as - 1]["profile"]["email"].clone();
        let own = gigya["accounts"][account - 1]["profile"]["email"].clone();
        gigya["accounts"][account - 1]["loginIDs"] = json!({ "emails": [own] });
        gigya["accounts"][account - 1]["profile"]["email"] = email;
    }
    // IdentitySync's SFTP writer uploads to the scratch's landing directory (the mock's
    // stand-in for the SFTP server the engine has mounted there).
    let landing = scratch.join("landing");
    std::fs::create_dir_all(&landing).expect("landing directory");
    // The search route's baseline must carry the hashes IdentitySync exports, so that both routes
    // end alike: the mock's lenient search (real accounts.search leaves hashes out by default).
    gigya["settings"] = json!({ "sftp_servers": { SFTP_HOST: landing }, "search_returns_password": true });
    let seed = json!({
        "gigya": gigya,
        "auth0": {
            // Jobs take `job_time` whatever their size, and no rate limit: this test is about
            // where a run is killed, on the wall clock (the mock's default 20,000 users an hour
            // and 2 requests a second would take minutes of it).
            "settings": { "import_job_min_duration": job_time, "import_users_per_hour": 0, "rate_limits": "off" },
            "connections": [{ "name": "gigya-users" }],
            "users": PRESENT.iter().map(|email| json!({
                "connection": "gigya-users", "email": email, "password": "Already-here-1!"
            })).collect::<Vec<_>>(),
        },
    });
    serve(scratch, &seed).await
}

/// `ferry migrate gigya` against the mocks, reporting into `report`.
fn migrate(served: &Served, report: &Path, resume: bool) -> Command {
    migrate_with(served, report, resume, "100000")
}

fn migrate_with(served: &Served, report: &Path, resume: bool, file_bytes: &str) -> Command {
    let gigya: BTreeMap<String, String> = served.gigya.variables().into_iter().collect();
    let (client_id, client_secret) = served.auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    let mut command = Command::new(env!("CARGO_BIN_EXE_ferry"));
    command
        .args(["migrate", "gigya", "--connection", "gigya-users", "--via", "search"])
        .args(["--query", "SELECT * FROM accounts LIMIT 100"])
        .args(["--gigya-url", served.base_url("gigya").expect("gigya url")])
        .args(["--api-key", &gigya["api_key"], "--user-key", &gigya["user_key"]])
        .args(["--auth0-url", served.base_url("auth0").expect("auth0 url")])
        .args(["--client-id", &client_id])
        .args(["--file-bytes", file_bytes, "--poll", "0.05"])
        .arg("--report")
        .arg(report)
        // Secrets through the environment, as the README recommends.
        .env("FERRY_GIGYA_SECRET", &gigya["secret"])
        .env("FERRY_AUTH0_CLIENT_SECRET", client_secret)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if resume {
        command.arg("--resume");
    }
    command
}

/// `ferry migrate gigya --via identity-sync` against the mocks, the export landing in the
/// scratch's `landing` directory.
fn migrate_identity_sync(served: &Served, scratch: &Scratch, report: &Path, resume: bool) -> Command {
    let gigya: BTreeMap<String, String> = served.gigya.variables().into_iter().collect();
    let (client_id, client_secret) = served.auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    let mut command = Command::new(env!("CARGO_BIN_EXE_ferry"));
    command
        .args([
            "migrate",
            "gigya",
            "--connection",
            "gigya-users",
            "--via",
            "identity-sync",
        ])
        .args(["--query", "where isRegistered = true or isRegistered = false LIMIT 500"])
        .args(["--gigya-url", served.base_url("gigya").expect("gigya url")])
        .args(["--api-key", &gigya["api_key"], "--user-key", &gigya["user_key"]])
        .args(["--auth0-url", served.base_url("auth0").expect("auth0 url")])
        .args(["--client-id", &client_id])
        .args(["--file-bytes", "100000", "--poll", "0.05"])
        .args([
            "--sftp-host",
            SFTP_HOST,
            "--sftp-username",
            "ferry",
            "--sftp-remote-path",
            "/",
        ])
        .arg("--landing-dir")
        .arg(scratch.join("landing"))
        .arg("--report")
        .arg(report)
        .env("FERRY_SFTP_PASSWORD", "sftp-password-of-the-test")
        .env("FERRY_GIGYA_SECRET", &gigya["secret"])
        .env("FERRY_AUTH0_CLIENT_SECRET", client_secret)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if resume {
        command.arg("--resume");
    }
    command
}

/// Runs a command to its end; its stderr when it could not finish (exit code 1, some users
/// refused by Auth0, is a finished run: the data has users Auth0 refuses).
async fn finish(mut command: Command) -> Result<(), String> {
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("join")
        .expect("ferry runs");
    match output.status.code() {
        Some(0 | 1) => Ok(()),
        _ => Err(String::from_utf8_lossy(&output.stderr).into_owned()),
    }
}

/// The run state, if written.
fn state(report: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(report.join("state.json")).ok()?).ok()
}

fn segments_with(state: &Value, status: &str) -> usize {
    state["segments"]
        .as_object()
        .map_or(0, |s| s.values().filter(|seg| seg["status"] == status).count())
}

/// Waits until `ready` holds for the run in `report`, then kills the process (SIGKILL).
async fn kill_when(mut child: Child, report: &Path, what: &str, ready: impl Fn(&Path) -> bool) {
    let start = Instant::now();
    loop {
        if ready(report) {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the run ended ({status}) before {what}");
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{what} never happened");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().expect("kill");
    let _ = child.wait();
}

/// What the run left: the Auth0 users without what varies (ids, dates), by email; the report's
/// lines without job ids, by source id; and the totals.
#[derive(Debug, PartialEq)]
struct Outcome {
    users: BTreeMap<String, Value>,
    lines: BTreeMap<String, Value>,
    totals: Value,
}

fn outcome(served: &Served, report: &Path) -> Outcome {
    let mut users = BTreeMap::new();
    for mut user in served.auth0.users() {
        let email = user["email"].as_str().expect("email").to_owned();
        for key in ["user_id", "created_at", "updated_at", "identities"] {
            user.as_object_mut().expect("object").remove(key);
        }
        assert!(users.insert(email.clone(), user).is_none(), "{email} is twice in Auth0");
    }
    let mut lines = BTreeMap::new();
    let text = std::fs::read_to_string(report.join("users.ndjson")).expect("users.ndjson");
    for line in text.lines() {
        let mut line: Value = serde_json::from_str(line).expect("a JSON line");
        line.as_object_mut().expect("object").remove("job");
        let id = line["source_id"].as_str().expect("source_id").to_owned();
        assert!(
            lines.insert(id.clone(), line).is_none(),
            "{id} is accounted for twice in the report"
        );
    }
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("summary.json")).expect("summary.json"))
            .expect("JSON");
    Outcome {
        users,
        lines,
        totals: summary["totals"].clone(),
    }
}

/// The report directory and every file in it are the owner's alone: `export.ndjson` holds
/// every exported password hash and salt when the search returns them.
fn owner_only(report: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode(report), 0o700, "{}", report.display());
        let mut files = 0;
        for entry in std::fs::read_dir(report).expect("report directory") {
            let path = entry.expect("entry").path();
            assert_eq!(mode(&path), 0o600, "{}", path.display());
            files += 1;
        }
        assert!(report.join("export.ndjson").is_file());
        assert!(files >= 4, "state.json, users.ndjson, summary.json, export.ndjson");
    }
}

/// The outcome of a run that nothing interrupted (in a scratch directory of its own: tests run
/// at the same time).
async fn baseline(name: &str) -> Outcome {
    let scratch = Scratch::new(name);
    let served = world(&scratch, "100ms").await;
    let report = scratch.join("report");
    finish(migrate(&served, &report, false))
        .await
        .expect("an uninterrupted run");
    owner_only(&report);
    let outcome = outcome(&served, &report);
    served.shutdown().await;
    // The tenant holds each email once: the run's and the three that were there.
    assert_eq!(outcome.users.len(), ACCOUNTS - 2);
    assert_eq!(outcome.lines.len(), ACCOUNTS);
    assert_eq!(outcome.totals["exported"], ACCOUNTS);
    assert_eq!(outcome.totals["inserted"], ACCOUNTS - REFUSED);
    assert_eq!(outcome.totals["failed"], REFUSED);
    outcome
}

/// Kills a run when `ready`, lets `between` do its damage, resumes, and checks the end.
async fn interrupted(
    name: &str,
    job_time: &str,
    ready: impl Fn(&Path) -> bool,
    between: impl FnOnce(&Served, &Path),
) -> Outcome {
    let scratch = Scratch::new(name);
    let served = world(&scratch, job_time).await;
    let report = scratch.join("report");
    if name == "export" {
        // Slow pages, so that the kill lands while they are written.
        served.gigya.kit().faults.add(FaultRule {
            method: None,
            path: "/accounts.search".into(),
            nth: 1,
            times: None,
            fault: Fault::Delay { ms: 150 },
        });
    }
    let child = migrate(&served, &report, false).spawn().expect("ferry starts");
    kill_when(child, &report, name, ready).await;
    served.gigya.kit().faults.clear();
    between(&served, &report);
    // Running again without --resume is refused: the report directory holds an unfinished run.
    let refused = finish(migrate(&served, &report, false))
        .await
        .expect_err("a second run over an unfinished one");
    assert!(refused.contains("--resume"), "{refused}");
    served.auth0.kit().faults.clear();
    finish(migrate(&served, &report, true))
        .await
        .unwrap_or_else(|e| panic!("the resumed run failed: {e}"));
    let end = outcome(&served, &report);
    // Nothing left to resume.
    let again = finish(migrate(&served, &report, true))
        .await
        .expect_err("resuming a finished run");
    assert!(again.contains("already finished"), "{again}");
    served.shutdown().await;
    end
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_migration_resumes_to_the_same_end_wherever_it_was_killed() {
    let expected = baseline("baseline").await;

    // During the export: pages written, nothing imported yet.
    let during_export = interrupted(
        "export",
        "100ms",
        |report| std::fs::metadata(report.join("export.ndjson.partial")).is_ok_and(|m| m.len() > 0),
        |served, _| {
            assert_eq!(
                served.auth0.users().len(),
                PRESENT.len(),
                "nothing is imported before the export is complete"
            )
        },
    )
    .await;
    assert_eq!(during_export, expected, "killed during the export");

    // While the first job runs: its id journaled, not yet accounted.
    let first_job = interrupted(
        "first-job",
        "400ms",
        |report| {
            state(report).is_some_and(|s| segments_with(&s, "submitted") >= 1 && segments_with(&s, "accounted") == 0)
        },
        |_, _| {},
    )
    .await;
    assert_eq!(first_job, expected, "killed while the first job ran");

    // Between jobs: some segments accounted, others in flight.
    let between_jobs = interrupted(
        "between-jobs",
        "200ms",
        |report| state(report).is_some_and(|s| segments_with(&s, "accounted") >= 3),
        |_, report| {
            // The report on disk may hold lines written after the last journal entry: the
            // resumed run cuts them off rather than counting those users twice.
            let state = state(report).expect("state");
            let len = std::fs::metadata(report.join("users.ndjson"))
                .expect("users.ndjson")
                .len();
            assert!(len >= state["report_offset"].as_u64().expect("offset"));
        },
    )
    .await;
    assert_eq!(between_jobs, expected, "killed between jobs");

    // While a job is being posted and no answer came: the POST hangs (the job never exists).
    let posting = {
        let scratch = Scratch::new("posting");
        let served = world(&scratch, "50ms").await;
        let report = scratch.join("report");
        served.auth0.kit().faults.add(FaultRule {
            method: Some("POST".into()),
            path: "/api/v2/jobs/users-imports".into(),
            nth: 4,
            times: None,
            fault: Fault::Hang,
        });
        let child = migrate(&served, &report, false).spawn().expect("ferry starts");
        kill_when(child, &report, "a hanging submission", |report| {
            state(report).is_some_and(|s| segments_with(&s, "submitting") >= 1 && segments_with(&s, "accounted") >= 2)
        })
        .await;
        served.auth0.kit().faults.clear();
        finish(migrate(&served, &report, true))
            .await
            .unwrap_or_else(|e| panic!("the resumed run failed: {e}"));
        let end = outcome(&served, &report);
        served.shutdown().await;
        end
    };
    assert_eq!(posting, expected, "killed while a job was being posted");

    // Killed while a job's answer is on its way (the job was created and ran; the engine had
    // not read its id): the answer is dribbled, and the kill lands once the mock logged the
    // job's end while the journal still says "submitting". The resumed run sends the segment
    // again and reports each user as the lost job did: the users it imported as inserted, the
    // one already there and the repeated email as failed (not "inserted", as before).
    let in_flight = {
        let scratch = Scratch::new("answer-in-flight");
        let served = world(&scratch, "50ms").await;
        let report = scratch.join("report");
        served.auth0.kit().faults.add(FaultRule {
            method: Some("POST".into()),
            path: "/api/v2/jobs/users-imports".into(),
            nth: 3,
            times: Some(1),
            fault: Fault::Dribble {
                bytes_per_chunk: 1,
                interval_ms: 1000,
            },
        });
        let child = migrate(&served, &report, false).spawn().expect("ferry starts");
        let auth0 = served.auth0.clone();
        kill_when(
            child,
            &report,
            "the third job's end, its answer unread",
            move |report| {
                let ended = auth0
                    .logs()
                    .iter()
                    .filter(|l| l.kind == "sui" || l.kind == "fui")
                    .count();
                state(report).is_some_and(|s| segments_with(&s, "submitting") == 1) && ended >= 3
            },
        )
        .await;
        served.auth0.kit().faults.clear();
        finish(migrate(&served, &report, true))
            .await
            .unwrap_or_else(|e| panic!("the resumed run failed: {e}"));
        let summary: Value =
            serde_json::from_str(&std::fs::read_to_string(report.join("summary.json")).expect("summary"))
                .expect("JSON");
        let resent: Vec<&Value> = summary["jobs"]
            .as_array()
            .expect("jobs")
            .iter()
            .filter(|j| j["resent"] == true)
            .collect();
        assert_eq!(resent.len(), 1, "the segment in flight was sent again: {summary:#}");
        // The lost job ran: the job sent again found every one of its users there (or refused).
        let (users, failed) = (&resent[0]["users"], &resent[0]["summary"]["failed"]);
        assert_eq!(users, failed, "{:#}", resent[0]);
        // It held the user who was there before the run and the repeated email: the report
        // says of them what the lost job did.
        let job = resent[0]["id"].as_str().expect("id");
        let text = std::fs::read_to_string(report.join("users.ndjson")).expect("users.ndjson");
        let of_job: BTreeMap<String, String> = text
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).expect("line"))
            .filter(|l| l["job"] == job)
            .map(|l| {
                (
                    l["source_id"].as_str().unwrap_or_default().to_owned(),
                    l["outcome"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        for (uid, outcome) in [
            ("bulk00300", "inserted"),
            ("bulk00301", "failed"),
            ("bulk00310", "failed"),
        ] {
            assert_eq!(of_job.get(uid).map(String::as_str), Some(outcome), "{uid}: {of_job:?}");
        }
        let end = outcome(&served, &report);
        served.shutdown().await;
        end
    };
    assert_eq!(in_flight, expected, "killed while a job's answer was in flight");

    // A job accepted whose answer never reached the journal: killed while the job runs, then
    // the journal set back to "submitting" as if the process had died just before writing the
    // job id. The resumed run finds its users in Auth0 and does not send them again.
    let unanswered = interrupted(
        "unanswered",
        "300ms",
        |report| {
            state(report).is_some_and(|s| segments_with(&s, "submitted") >= 1 && segments_with(&s, "accounted") >= 1)
        },
        |served, report| {
            let path = report.join("state.json");
            let mut state: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("state")).expect("JSON");
            // A segment is journaled "submitting" with the time, just before its job is sent:
            // after the tenant was seeded (its users' creation), before the job ran.
            let seeded = served
                .auth0
                .users()
                .iter()
                .filter(|u| PRESENT.contains(&u["email"].as_str().unwrap_or_default()))
                .filter_map(|u| u["created_at"].as_str().map(str::to_owned))
                .max()
                .expect("the users present before the run");
            let since =
                chrono::DateTime::parse_from_rfc3339(&seeded).expect("a time") + chrono::Duration::milliseconds(1);
            let segments = state["segments"].as_object_mut().expect("segments");
            for segment in segments.values_mut() {
                if segment["status"] == "submitted" {
                    segment.as_object_mut().expect("segment").remove("job");
                    segment["status"] = json!("submitting");
                    segment["since"] = json!(since.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
                }
            }
            std::fs::write(&path, state.to_string()).expect("state written");
            // Let the accepted jobs finish, as they would on Auth0's side.
            std::thread::sleep(Duration::from_millis(1500));
            assert!(served.auth0.users().len() > PRESENT.len());
        },
    )
    .await;
    assert_eq!(
        unanswered, expected,
        "killed after a job was accepted, before its id was journaled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_is_refused_with_other_settings_or_without_a_run() {
    let scratch = Scratch::new("refused");
    let served = world(&scratch, "50ms").await;
    let report = scratch.join("report");
    let nothing = finish(migrate(&served, &report, true))
        .await
        .expect_err("nothing to resume");
    assert!(nothing.contains("nothing to resume"), "{nothing}");

    let child = migrate(&served, &report, false).spawn().expect("ferry starts");
    kill_when(child, &report, "the first job", |report| {
        state(report).is_some_and(|s| segments_with(&s, "submitted") >= 1)
    })
    .await;
    let refused = finish(migrate_with(&served, &report, true, "200000"))
        .await
        .expect_err("other settings");
    assert!(refused.contains("other settings"), "{refused}");
    served.shutdown().await;
}

/// The IdentitySync route end to end through the command line: the export is uploaded by the
/// mock's SFTP writer to the landing directory and read from there (no download from the mock);
/// killed after the export, the run resumes from the same file and ends like a search run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identity_sync_export_is_read_from_the_landing_directory_and_survives_a_kill() {
    let expected = baseline("identity-sync-baseline").await;
    let scratch = Scratch::new("identity-sync");
    let served = world(&scratch, "300ms").await;
    let report = scratch.join("report");
    let child = migrate_identity_sync(&served, &scratch, &report, false)
        .spawn()
        .expect("ferry starts");
    kill_when(child, &report, "the export", |report| {
        state(report).is_some_and(|s| s["export_files"].as_array().is_some_and(|f| !f.is_empty()))
    })
    .await;
    let state = state(&report).expect("state");
    let files = state["export_files"].as_array().expect("export files").clone();
    assert_eq!(files.len(), 1, "{state:#}");
    let file = PathBuf::from(files[0].as_str().expect("a path"));
    assert_eq!(
        file.parent(),
        Some(scratch.join("landing").as_path()),
        "read where it landed"
    );
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    assert!(name.starts_with("ferry_export_") && name.ends_with(".json"), "{name}");
    finish(migrate_identity_sync(&served, &scratch, &report, true))
        .await
        .unwrap_or_else(|e| panic!("the resumed run failed: {e}"));
    let end = outcome(&served, &report);
    assert_eq!(end, expected, "the same end as an uninterrupted search run");
    // The SFTP password went to Gigya's writer, and nowhere else Ferry writes.
    for written in ["state.json", "users.ndjson", "summary.json"] {
        let text = std::fs::read_to_string(report.join(written)).expect("report file");
        assert!(!text.contains("sftp-password-of-the-test"), "{written}");
    }
    assert!(!served.gigya.state().to_string().contains("sftp-password-of-the-test"));
    served.shutdown().await;
}
