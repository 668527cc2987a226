//! Inputs read as they are, through the `ferry` binary: hostile files for `ferry check` and
//! `ferry import` (a saved search answer, a large document on one line, two arrays back to
//! back, trailing garbage, a byte order mark, an empty file, a seed or an Auth0 file given as a
//! Gigya export, a record that is no account), a file that cannot be read whole importing nobody, and absurd numbers and
//! durations on the command line and in a scenario's settings refused with a clear error and
//! exit code 2, never a panic.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{Scratch, serve};
use mocks::auth0::MANAGEMENT_APP;
use serde_json::{Value, json};

fn ferry(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("ferry runs")
}

fn texts(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn check(path: &Path, kind: &str) -> Output {
    ferry(&["check", path.to_str().expect("utf-8 path"), "--kind", kind])
}

/// A Gigya account as accounts.search returns it by default: no hash.
fn account(n: usize) -> Value {
    json!({
        "UID": format!("uid{n:07}"),
        "isRegistered": true,
        "socialProviders": "site",
        "profile": { "email": format!("user{n:07}@example.com"), "firstName": "Ada", "lastName": "Lovelace" },
        "password": { "created": "2020-01-01T00:00:00.000Z" },
        "data": { "note": "x".repeat(200) },
        "lastLogin": "0001-01-01T00:00:00Z",
        "lastLoginTimestamp": 0,
    })
}

#[test]
fn a_saved_search_answer_on_one_line_is_read_as_its_results() {
    let scratch = Scratch::new("inputs-wrapper");
    // 20,000 accounts (about 7 MB) in one line, as `curl … > answer.json` saves it.
    let accounts: Vec<Value> = (1..=20_000).map(account).collect();
    let answer = json!({
        "callId": "0f4d", "errorCode": 0, "apiVersion": 2, "statusCode": 200, "statusReason": "OK",
        "results": accounts, "objectsCount": 20_000, "totalCount": 20_000,
    });
    let path = scratch.join("answer.json");
    let text = answer.to_string();
    assert!(!text.contains('\n'));
    std::fs::write(&path, text).expect("written");
    let output = check(&path, "gigya");
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.starts_with("20,000 records (an object with a \"results\" array)"),
        "{stdout}"
    );
    assert!(stdout.contains("20,000 would import"), "{stdout}");
    assert!(stdout.contains("This export carries no password hashes"), "{stdout}");
    assert!(
        !stdout.contains("one page of an accounts.search answer"),
        "all of them are here: {stdout}"
    );
}

#[test]
fn files_that_are_not_one_document_of_records_are_refused_with_the_place() {
    let scratch = Scratch::new("inputs-hostile");
    let user = r#"{"email":"a@example.com","email_verified":true}"#;
    let n = user.len();
    let cases: Vec<(&str, Vec<u8>, String)> = vec![
        ("empty.json", vec![], "byte 0 (line 1): the file is empty".into()),
        (
            "blank.json",
            b"\n\n  \n".to_vec(),
            "byte 5 (line 4): the file is empty".into(),
        ),
        (
            "two-arrays.json",
            format!("[{user}]\n[{user}]\n").into_bytes(),
            format!("byte {} (line 2): more data after the end of the JSON document", n + 3),
        ),
        (
            "garbage.json",
            format!("[{user}]  # the end\n").into_bytes(),
            format!(
                "byte {} (line 1): more data after the end of the JSON document, starting with '#'",
                n + 4
            ),
        ),
        (
            "cut.json",
            format!("[{user},{user}").into_bytes(),
            "the file ends inside the array: ']' is missing".into(),
        ),
        (
            "trailing-comma.json",
            format!("[{user},]").into_bytes(),
            format!("byte {} (line 1): a comma just before ']'", n + 2),
        ),
        (
            "joined-ndjson.json",
            format!("{user}{user}\n").into_bytes(),
            format!("byte {n} (line 1): a second JSON value on the same line"),
        ),
        (
            "csv.json",
            b"email,name\na@example.com,A\n".to_vec(),
            "(CSV or plain text?)".into(),
        ),
        ("utf16.json", vec![0xFF, 0xFE, b'[', 0, b']', 0], "UTF-16".into()),
    ];
    for (name, bytes, says) in cases {
        let path = scratch.join(name);
        std::fs::write(&path, bytes).expect("written");
        let output = check(&path, "auth0");
        let (stdout, stderr) = texts(&output);
        assert_eq!(output.status.code(), Some(2), "{name}: {stdout}{stderr}");
        assert!(stderr.contains(&says), "{name}: wanted {says:?}: {stderr}");
        assert!(stderr.contains(name), "{name}: the error names the file: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // A UTF-8 byte order mark is not an error.
    let path = scratch.join("bom.json");
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(format!("[{user}]").as_bytes());
    std::fs::write(&path, bytes).expect("written");
    let output = check(&path, "auth0");
    assert_eq!(output.status.code(), Some(0), "{:?}", texts(&output));
}

#[test]
fn a_file_of_another_kind_is_refused_with_what_to_run() {
    let scratch = Scratch::new("inputs-kinds");
    let seed = scratch.join("seed.json");
    let generated = ferry(&["generate", "gigya", "--count", "5", "-o", seed.to_str().expect("utf-8")]);
    assert!(generated.status.success(), "{:?}", texts(&generated));
    let output = check(&seed, "gigya");
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("this is not a Gigya export") && stderr.contains("ferry serve --seed"),
        "{stderr}"
    );

    let auth0 = scratch.join("auth0.json");
    std::fs::write(&auth0, r#"[{"email":"a@example.com","password_hash":"$2b$10$x"}]"#).expect("written");
    let (_, stderr) = texts(&check(&auth0, "gigya"));
    assert!(stderr.contains("--kind auth0"), "{stderr}");

    let gigya = scratch.join("gigya.ndjson");
    std::fs::write(&gigya, account(1).to_string()).expect("written");
    let (_, stderr) = texts(&check(&gigya, "auth0"));
    assert!(
        stderr.contains("--kind gigya") && stderr.contains("--via file"),
        "{stderr}"
    );
}

#[test]
fn a_record_that_is_no_account_fails_the_check_and_a_policy_skip_does_not() {
    let scratch = Scratch::new("inputs-no-account");
    let mut no_uid = account(2);
    no_uid.as_object_mut().expect("an object").remove("UID");
    let path = scratch.join("no-uid.ndjson");
    std::fs::write(&path, format!("{}\n{no_uid}\n", account(1))).expect("written");
    let output = check(&path, "gigya");
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("1 would import") && stdout.contains("malformed account"),
        "{stdout}"
    );

    let mut unregistered = account(2);
    unregistered["isRegistered"] = json!(false);
    let path = scratch.join("unregistered.ndjson");
    std::fs::write(&path, format!("{}\n{unregistered}\n", account(1))).expect("written");
    let output = check(&path, "gigya");
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("registration not finished"), "{stdout}");
}

#[test]
fn absurd_numbers_and_durations_are_refused_before_anything_runs() {
    let import = |extra: &[&str]| {
        let mut args = vec![
            "import",
            "users.json",
            "--connection",
            "users",
            "--auth0-url",
            "http://127.0.0.1:9",
            "--client-id",
            "id",
            "--client-secret",
            "secret",
        ];
        args.extend_from_slice(extra);
        ferry(&args)
    };
    let cases: Vec<(Output, &str)> = vec![
        (import(&["--poll", "inf"]), "number of seconds from 0.01 to 3600"),
        (import(&["--poll", "NaN"]), "number of seconds from 0.01 to 3600"),
        (import(&["--poll=-1"]), "out of range"),
        (import(&["--poll", "1e400"]), "out of range"),
        (import(&["--poll", "soon"]), "is not a number of seconds"),
        (import(&["--jobs", "0"]), "whole number from 1 to 20"),
        (import(&["--jobs", "99999999999999999999"]), "whole number from 1 to 20"),
        (
            import(&["--file-bytes", "600000"]),
            "Auth0 refuses import files over 500000 bytes",
        ),
        (import(&["--file-bytes", "10"]), "whole number from 1024 to 500000"),
        (
            ferry(&["check", "x.json", "--kind", "auth0", "--file-bytes=-5"]),
            "whole number",
        ),
        (
            ferry(&["try", "login", "--script", "s.js", "--timeout", "inf"]),
            "number of seconds",
        ),
        (
            ferry(&["try", "login", "--script", "s.js", "--timeout", "0"]),
            "out of range",
        ),
        (ferry(&["generate", "gigya", "--count", "0"]), "1..=10000000"),
        (ferry(&["run", "-j", "0"]), "whole number from 1 to 1024"),
        (ferry(&["bench", "okta-authn", "--seconds", "inf"]), "number of seconds"),
        (ferry(&["bench", "gigya-bulk", "--poll", "nan"]), "number of seconds"),
        (
            ferry(&["bench", "first-login", "--bcrypt-cost", "40"]),
            "whole number from 4 to 20",
        ),
    ];
    for (output, says) in cases {
        let (stdout, stderr) = texts(&output);
        assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
        assert!(stderr.contains("error: invalid value"), "{stderr}");
        assert!(stderr.contains(says), "wanted {says:?}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("backtrace"),
            "{stderr}"
        );
    }
}

/// Durations in a scenario's tenant settings are held to a range as the command line's are: a
/// script time limit of nothing or of centuries, a job that would outlast Auth0's two-hour
/// expiry, a unit that is not one. Each is an error that says why, exit code 2, no hang.
#[test]
fn absurd_durations_in_a_scenario_are_refused_before_it_runs() {
    let scratch = Scratch::new("inputs-scenario-durations");
    let cases = [
        (
            "script_time_limit: 999999999999d",
            "settings.script_time_limit: `999999999999d` is more than 10m, the most it may be",
        ),
        (
            "script_time_limit: 0s",
            "settings.script_time_limit: `0s` is no time at all: give a duration above zero",
        ),
        (
            "import_job_min_duration: 3h",
            "settings.import_job_min_duration: `3h` is more than 2h, the most it may be",
        ),
        (
            "import_job_min_duration: 1 fortnight",
            "settings.import_job_min_duration: `1 fortnight`: unknown unit ` fortnight`",
        ),
    ];
    for (i, (setting, says)) in cases.iter().enumerate() {
        let path = scratch.join(format!("case{i}.yaml"));
        let text = format!(
            "description: an absurd setting\nauth0:\n  settings: {{ {setting} }}\n  connection: {{ name: users }}\n\
             steps:\n  - login: {{ username: a@example.com, password: pw, expect: {{ status: 403 }} }}\n"
        );
        std::fs::write(&path, text).expect("written");
        let output = ferry(&["run", "--no-snapshots", path.to_str().expect("utf-8")]);
        let (stdout, stderr) = texts(&output);
        assert_eq!(output.status.code(), Some(2), "{setting}: {stdout}{stderr}");
        assert!(
            stdout.contains(says) || stderr.contains(says),
            "{setting}: wanted {says:?}: {stdout}{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_with_a_malformed_record_near_its_end_imports_nobody() {
    let scratch = Scratch::new("inputs-malformed");
    let served = serve(&scratch, &json!({ "auth0": { "connections": [{ "name": "users" }] } })).await;
    let (client_id, client_secret) = served.auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    let mut lines: Vec<String> = (0..500)
        .map(|i| json!({"email": format!("user{i:03}@example.com"), "email_verified": true}).to_string())
        .collect();
    lines.push(r#"{"email": "last@example.com", "email_verified": tru}"#.to_owned());
    let path = scratch.join("users.ndjson");
    std::fs::write(&path, lines.join("\n")).expect("written");
    let report = scratch.join("report");
    let output = tokio::task::spawn_blocking({
        let path = path.clone();
        let report = report.clone();
        let url = served.base_url("auth0").expect("auth0").to_owned();
        move || {
            Command::new(env!("CARGO_BIN_EXE_ferry"))
                .args(["import", path.to_str().expect("utf-8"), "--connection", "users"])
                .args(["--auth0-url", &url, "--client-id", &client_id, "--poll", "0.05"])
                .arg("--report")
                .arg(&report)
                .env("FERRY_AUTH0_CLIENT_SECRET", client_secret)
                .env("NO_COLOR", "1")
                .output()
                .expect("ferry runs")
        }
    })
    .await
    .expect("join");
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("record 501 is not valid JSON"), "{stderr}");
    assert!(stderr.contains("(line 501)"), "{stderr}");
    assert!(
        served.auth0.users().is_empty(),
        "nobody imported from a file that cannot be read whole"
    );
    served.shutdown().await;
}
