//! Every scenario under `scenarios/`, end to end, with a reviewed snapshot each.
//!
//! Run all: `cargo test --test scenarios`. One: `cargo test --test scenarios first_login`.
//! A scenario that misses an expectation fails with the same report `ferry run` prints (steps,
//! script console output, HTTP exchanges, the crash line). A changed result fails against its
//! snapshot in `snapshots/`; review the difference with `cargo insta review` (or
//! `cargo insta test --review`) and accept it only when the new result is right. Snapshots are
//! deterministic (fixed clock, seeded ids): only loopback ports are redacted, and the times an
//! `exec` step's program set while it ran in real time are named (`[time during exec #1 …]`).

use std::path::PathBuf;

use rstest::rstest;

#[rstest]
fn scenario(#[files("scenarios/**/*.yaml")] path: PathBuf) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let scenario = ferry::scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let report = runtime
        .block_on(ferry::scenario::run(&scenario))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(report.passed(), "\n{}", report.render(true));
    if report.snapshot {
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_sort_maps(true);
        settings.set_omit_expression(true);
        if let Some(description) = &report.description {
            settings.set_description(description.trim());
        }
        settings.bind(|| insta::assert_json_snapshot!(scenario.snapshot_name(), report.snapshot()));
        same_file_as_insta(&scenario, &report);
    }
}

/// `ferry run` keeps the same files as insta: the snapshot insta just accepted matches for
/// `ferry run` too, and the file `ferry run --accept` would write is this one byte for byte
/// (its header re-created from the scenario's description), less the `assertion_line` that
/// `cargo insta accept` drops as well.
fn same_file_as_insta(scenario: &ferry::scenario::Scenario, report: &ferry::scenario::Report) {
    use ferry::scenario::snapshot::{State, compare};
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("snapshots")
        .join(format!("{}.snap", scenario.snapshot_name()));
    let stored = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let description = report.description.as_deref().map(str::trim);
    let checked =
        compare(&path, &report.snapshot(), "unused", description, &report.places()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(checked.state, State::Matches),
        "insta and ferry run disagree on {}: {:?}",
        path.display(),
        checked.state
    );
    let header_end = stored.match_indices("---\n").nth(1).map_or(0, |(at, _)| at);
    let expected: String = stored[..header_end]
        .split_inclusive('\n')
        .filter(|line| !line.starts_with("assertion_line:"))
        .chain(std::iter::once(&stored[header_end..]))
        .collect();
    assert_eq!(checked.contents, expected, "{}", path.display());
}

/// Scenario files that must not load: every closed set of the format refuses a value outside
/// it, and every number and duration a value outside its range, with the file, line and column
/// of the offending value and a reason that says what was expected. Each case is one step (or
/// one connection line) in an otherwise valid scenario; the messages are pinned because they
/// are what a person fixing the file reads.
mod load_errors {
    use std::path::PathBuf;
    use std::process::Command;

    /// A scratch directory for this test process.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ferry-load-errors-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        dir
    }

    /// A scenario whose only step is `step`.
    fn with_step(step: &str) -> String {
        format!("auth0:\n  connection: {{ name: users }}\nsteps:\n  - {step}\n")
    }

    struct Case {
        name: &'static str,
        text: String,
        /// Where the error must point: the one place in `text` this string starts.
        at: &'static str,
        reason: &'static str,
    }

    impl Case {
        /// `LINE:COLUMN: reason`, the location being that of `at` (1-based).
        fn expected(&self) -> String {
            assert_eq!(
                self.text.matches(self.at).count(),
                1,
                "{}: `{}` must occur once",
                self.name,
                self.at
            );
            let offset = self.text.find(self.at).expect("checked above");
            let line = self.text[..offset].matches('\n').count() + 1;
            let column = offset - self.text[..offset].rfind('\n').map_or(0, |n| n + 1) + 1;
            format!("{line}:{column}: {}", self.reason)
        }
    }

    fn case(name: &'static str, step: &str, at: &'static str, reason: &'static str) -> Case {
        Case {
            name,
            text: with_step(step),
            at,
            reason,
        }
    }

    const SCRIPT_NAME: &str = "unknown script kind \"logn\": expected login, get_user, create, verify, change_password, delete, change_email, change_username or change_phone_number";

    fn cases() -> Vec<Case> {
        vec![
            // Closed sets.
            case(
                "step_name",
                "logn: { username: a@example.com, password: pw }",
                "logn",
                "unknown variant `logn`, expected one of login, signup, userinfo, refresh, change_password, reset_password, verify_email, api, calls, user, script, emails, logs, advance, fault, clear_faults, deploy, import, migrate_gigya, migrate_stormpath, seed_okta, seed_stormpath, seed_gigya, exec",
            ),
            case(
                "script_name",
                "script: { script: logn, runs: 0 }",
                "logn",
                SCRIPT_NAME,
            ),
            Case {
                name: "connection_script_name",
                text: "auth0:\n  connection:\n    name: users\n    scripts: { logn: login.js }\nsteps:\n  - script: { script: login, runs: 0 }\n".into(),
                at: "logn",
                reason: SCRIPT_NAME,
            },
            case(
                "script_outcome",
                "script: { script: login, outcome: sucess }",
                "sucess",
                "unknown variant `sucess`, expected one of profile, not_found, done, value, wrong_credentials, error, threw, timed_out, no_callback, out_of_memory, invalid_script",
            ),
            case(
                "mock_name",
                "calls: { mock: otka, path: /api/v1/authn, count: 0 }",
                "otka",
                "unknown variant `otka`, expected one of okta, stormpath, gigya, auth0",
            ),
            case(
                "clear_faults_mock",
                "clear_faults: otka",
                "otka",
                "unknown variant `otka`, expected one of okta, stormpath, gigya, auth0",
            ),
            case(
                "http_method",
                "calls: { mock: auth0, method: POTS, path: /oauth/token, count: 0 }",
                "POTS",
                "unknown variant `POTS`, expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS",
            ),
            case(
                "grant",
                "login: { username: a@example.com, password: pw, grant: implicit }",
                "implicit",
                "unknown variant `implicit`, expected one of password-realm, password",
            ),
            case(
                "log_type",
                "logs: { type: sx, count: 0 }",
                "sx",
                "unknown variant `sx`, expected one of s, f, fp, fu, limit_wc, ss, scpr, fcpr, scp, fcp, sui, fui, sv, fv, sertft, fertft, mfar, api_limit",
            ),
            case(
                "reset_via",
                "reset_password: { email: a@example.com, new_password: pw, via: tiket }",
                "tiket",
                "unknown variant `tiket`, expected one of email, ticket",
            ),
            case(
                "gigya_via",
                "migrate_gigya: { via: identitysync }",
                "identitysync",
                "unknown variant `identitysync`, expected one of identity_sync, search",
            ),
            case(
                "deploy_action",
                "deploy: { from: deploy, expect: create }",
                "create",
                "unknown variant `create`, expected one of created, updated, unchanged",
            ),
            // Numbers.
            case(
                "negative_count",
                "emails: { to: a@example.com, count: -1 }",
                "-1",
                "expected a count (a whole number, 0 or more), got -1",
            ),
            case(
                "fractional_count",
                "calls: { mock: auth0, path: /oauth/token, count: 1.5 }",
                "1.5",
                "expected a count (a whole number, 0 or more), got 1.5",
            ),
            case(
                "overflowing_count",
                "logs: { count: 99999999999999999999999 }",
                "99999999999999999999999",
                "expected a count (a whole number, 0 or more), got a number too large to be one",
            ),
            case(
                "text_count",
                "script: { script: login, runs: many }",
                "many",
                "expected a count (a whole number, 0 or more), got the text \"many\"",
            ),
            case(
                "negative_total",
                "import: { file: users.json, expect: { inserted: -3 } }",
                "-3",
                "expected a count (a whole number, 0 or more), got -3",
            ),
            case(
                "http_status",
                "login: { username: a@example.com, password: pw, expect: { status: 999 } }",
                "999",
                "expected an HTTP status (100 to 599), got 999",
            ),
            case(
                "repeat_zero",
                "login: { username: a@example.com, password: pw, repeat: 0 }",
                "0 }",
                "expected a number of logins (1 to 1000), got 0",
            ),
            case(
                "repeat_absurd",
                "login: { username: a@example.com, password: pw, repeat: 4000000000 }",
                "4000000000",
                "expected a number of logins (1 to 1000), got 4000000000",
            ),
            case(
                "script_line_zero",
                "script: { script: login, outcome: threw, line: 0 }",
                "0 }",
                "expected a script line (1 or more), got 0",
            ),
            case(
                "fault_nth_zero",
                "fault: { mock: auth0, path: /oauth/token, nth: 0, fault: { kind: drop } }",
                "0, fault",
                "expected the number of a call, counted from 1, got 0",
            ),
            case(
                "fault_times_zero",
                "fault: { mock: auth0, path: /oauth/token, times: 0, fault: { kind: drop } }",
                "0, fault",
                "expected a number of calls (1 or more; leave `times` out for every call), got 0",
            ),
            case(
                "file_bytes",
                "import: { file: users.json, file_bytes: 10 }",
                "10 }",
                "expected a file size in bytes from 1024 to Auth0's limit of 500000, got 10",
            ),
            // Durations.
            case(
                "unknown_unit",
                "advance: 10 parsecs",
                "10 parsecs",
                "`10 parsecs`: unknown unit ` parsecs` (use ms, s, m, h or d)",
            ),
            case(
                "absurd_duration",
                "advance: 99999999999999d",
                "99999999999999d",
                "`99999999999999d` is more than ten years (3650d), the furthest one step moves the clock",
            ),
            case(
                "overflowing_duration",
                "advance: 99999999999999999999999s",
                "99999999999999999999999s",
                "`99999999999999999999999s`: number too large",
            ),
            case(
                "zero_duration",
                "advance: 0s",
                "0s",
                "`0s` does not move the clock: give a duration above zero",
            ),
        ]
    }

    #[test]
    fn each_is_a_load_error_with_file_line_column_and_reason() {
        let dir = scratch("lib");
        let mut wrong = vec![];
        for case in cases() {
            let path = dir.join(format!("{}.yaml", case.name));
            std::fs::write(&path, &case.text).expect("write the case");
            let want = format!("{}:{}", path.display(), case.expected());
            match ferry::scenario::load(&path) {
                Ok(_) => wrong.push(format!("{}: loaded, expected {want}", case.name)),
                Err(e) if e.to_string() == want => {}
                Err(e) => wrong.push(format!("{}:\n  got  {e}\n  want {want}", case.name)),
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
    }

    /// `ferry run` over the same files: exit code 2, one `ERROR FILE:LINE:COLUMN: reason` line
    /// per file, no panic.
    #[test]
    fn ferry_run_exits_2_and_names_each() {
        let dir = scratch("cli");
        let cases = cases();
        for case in &cases {
            std::fs::write(dir.join(format!("{}.yaml", case.name)), &case.text).expect("write the case");
        }
        let output = Command::new(env!("CARGO_BIN_EXE_ferry"))
            .args(["run", "--no-snapshots"])
            .arg(&dir)
            .output()
            .expect("ferry runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        for case in &cases {
            let line = format!(
                "ERROR {}:{}",
                dir.join(format!("{}.yaml", case.name)).display(),
                case.expected()
            );
            assert!(stdout.lines().any(|l| l == line), "no line {line:?} in\n{stdout}");
        }
        assert!(
            stdout.contains(&format!("0 passed, 0 failed, {} could not run", cases.len())),
            "{stdout}"
        );
    }
}
