//! What a person reads from the engine's commands, through the binary against the mocks: the
//! run's summary as a sentence with the failed users' file and a ready jq line, progress lines
//! without dangling separators when piped, `ferry import` not saying "exported", the report
//! directory owner-only and never overwritten without `--force`, and errors with the hint that
//! fixes them (a wrong client secret, deploy keywords left unreplaced, a host the sandbox
//! refused, Okta refusing a script's API token, an export without password hashes).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{Scratch, serve};
use ferry::serve::Served;
use mocks::Provider;
use mocks::auth0::MANAGEMENT_APP;
use serde_json::json;

fn texts(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `ferry ARGS` with the Management application's credentials (the secret in the environment),
/// run off the async runtime.
async fn ferry_against(served: &Served, args: Vec<String>, secret: Option<&str>) -> Output {
    let (client_id, client_secret) = served.auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    let secret = secret.map_or(client_secret, str::to_owned);
    let url = served.base_url("auth0").expect("auth0").to_owned();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_ferry"))
            .args(&args)
            .args(["--auth0-url", &url, "--client-id", &client_id])
            .env("FERRY_AUTH0_CLIENT_SECRET", secret)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .expect("ferry runs")
    })
    .await
    .expect("join")
}

fn import_args(file: &Path, report: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "import",
        &file.display().to_string(),
        "--connection",
        "users",
        "--poll",
        "0.05",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.push("--report".into());
    args.push(report.display().to_string());
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args
}

/// A tenant with a `users` connection and one user already in it.
async fn tenant(scratch: &Scratch) -> Served {
    serve(
        scratch,
        &json!({ "auth0": {
            "connections": [{ "name": "users" }],
            "users": [{ "connection": "users", "email": "taken@example.com", "password": "Already-1-here!" }],
        } }),
    )
    .await
}

/// Twelve users: one already in the tenant, one with an email Auth0 refuses.
fn users_file(scratch: &Scratch) -> PathBuf {
    let mut lines: Vec<String> = (0..10)
        .map(|i| json!({"email": format!("user{i:02}@example.com"), "email_verified": true}).to_string())
        .collect();
    lines.push(json!({"email": "taken@example.com"}).to_string());
    lines.push(json!({"email": "not-an-email"}).to_string());
    let path = scratch.join("users.json");
    std::fs::write(&path, lines.join("\n")).expect("written");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_reads_as_a_sentence_and_keeps_its_report_to_its_owner() {
    let scratch = Scratch::new("output-import");
    let served = tenant(&scratch).await;
    let file = users_file(&scratch);
    let report = scratch.join("report");
    let output = ferry_against(&served, import_args(&file, &report, &[]), None).await;
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1), "users failed: {stdout}{stderr}");
    let first = stdout.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        format!(
            "12 users read from {}: 10 inserted, 2 failed, 10 need a password reset, in 1 import job.",
            file.display()
        )
    );
    assert!(!stdout.contains("exported"), "{stdout}");
    assert!(stdout.contains("Failed, by Auth0's reason:"), "{stdout}");
    let lines = report.join("users.ndjson");
    assert!(
        stdout.contains(&format!(
            "  jq -c 'select(.outcome == \"failed\")' {}\n",
            lines.display()
        )),
        "{stdout}"
    );
    // The jq line's filter finds exactly the failed users.
    let failed = std::fs::read_to_string(&lines)
        .expect("users.ndjson")
        .lines()
        .filter(|l| l.contains("\"outcome\":\"failed\""))
        .count();
    assert_eq!(failed, 2);
    // Piped: one plain line per phase and step, nothing dangling.
    assert!(stderr.contains("checking the input"), "{stderr}");
    assert!(stderr.contains("importing"), "{stderr}");
    for line in stderr.lines() {
        let line = line.trim_end();
        assert!(
            !line.ends_with(',') && !line.ends_with('·') && !line.ends_with(':') && !line.contains(", ,"),
            "{line:?}"
        );
        assert!(!line.contains('\u{1b}'), "no escape codes in a pipe: {line:?}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode(&report), 0o700);
        for name in ["users.ndjson", "summary.json", "state.json"] {
            assert_eq!(mode(&report.join(name)), 0o600, "{name}");
        }
    }

    // The finished report is not written over; --force replaces it; --force and --resume
    // exclude each other.
    let again = ferry_against(&served, import_args(&file, &report, &[]), None).await;
    let (_, stderr) = texts(&again);
    assert_eq!(again.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("already holds the report of a finished run") && stderr.contains("--force"),
        "{stderr}"
    );
    assert!(stderr.contains("another --report"), "{stderr}");
    let before = std::fs::read_to_string(&lines).expect("users.ndjson");
    let forced = ferry_against(&served, import_args(&file, &report, &["--force"]), None).await;
    let (stdout, stderr) = texts(&forced);
    assert_eq!(forced.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("--force: removed the earlier report"), "{stderr}");
    // The second run finds everyone there: all twelve refused or failed.
    assert!(stdout.starts_with("12 users read from"), "{stdout}");
    assert!(stdout.contains("12 failed"), "{stdout}");
    assert_ne!(std::fs::read_to_string(&lines).expect("users.ndjson"), before);
    let both = ferry_against(&served, import_args(&file, &report, &["--force", "--resume"]), None).await;
    let (_, stderr) = texts(&both);
    assert_eq!(both.status.code(), Some(2));
    assert!(stderr.contains("cannot be used with"), "{stderr}");
    served.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_client_secret_names_the_application_and_the_variable() {
    let scratch = Scratch::new("output-secret");
    let served = tenant(&scratch).await;
    let file = users_file(&scratch);
    let report = scratch.join("report");
    let output = ferry_against(&served, import_args(&file, &report, &[]), Some("not-the-secret")).await;
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let (client_id, _) = served.auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    assert!(stderr.contains(&format!("client id {client_id}")), "{stderr}");
    assert!(
        stderr.contains("--client-secret (FERRY_AUTH0_CLIENT_SECRET)"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("not-the-secret"),
        "the secret is never printed: {stderr}"
    );
    served.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploy_with_keywords_left_unreplaced_is_refused_listing_them() {
    let scratch = Scratch::new("output-keywords");
    let served = tenant(&scratch).await;
    let dir = scratch.join("tenant");
    let connection = dir.join("database-connections").join("legacy");
    std::fs::create_dir_all(&connection).expect("dir");
    std::fs::write(
        connection.join("database.json"),
        r###"{"name": "legacy", "options": {"customScripts": {"login": "./login.js"}, "configuration": {"OKTA_URL": "##OKTA_URL##"}}}"###,
    )
    .expect("database.json");
    std::fs::write(
        connection.join("login.js"),
        "function login(email, password, callback) { var token = '##OKTA_TOKEN##'; callback(null); }",
    )
    .expect("login.js");
    let args: Vec<String> = ["deploy", "--from", &dir.display().to_string(), "--name", "legacy"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let output = ferry_against(&served, args.clone(), None).await;
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("##OKTA_URL## in") && stderr.contains("##OKTA_TOKEN## in"),
        "{stderr}"
    );
    assert!(stderr.contains("--keyword KEY=VALUE"), "{stderr}");
    let mut given = args;
    given.extend(["--keyword", "OKTA_URL=http://127.0.0.1:9", "--keyword", "OKTA_TOKEN=t"].map(str::to_owned));
    let output = ferry_against(&served, given, None).await;
    assert_eq!(output.status.code(), Some(0), "{:?}", texts(&output));
    served.shutdown().await;
}

#[test]
fn a_host_the_sandbox_refused_is_named_with_the_option_that_allows_it() {
    let scratch = Scratch::new("output-allow-host");
    let script = scratch.join("login.js");
    std::fs::write(
        &script,
        "function login(email, password, callback) {\n  request.post({ url: 'https://api.example.com/authn', json: { email: email } }, function (err) {\n    if (err) return callback(err);\n    callback(null, { user_id: email, email: email });\n  });\n}\n",
    )
    .expect("script");
    let output = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args([
            "try",
            "login",
            "--script",
            &script.display().to_string(),
            "a@example.com",
            "pw",
        ])
        .env("NO_COLOR", "1")
        .output()
        .expect("ferry runs");
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("hint: the sandbox refused the script's request to api.example.com")
            && stdout.contains("--allow-host api.example.com"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gigya_export_without_hashes_is_said_at_export_level() {
    let scratch = Scratch::new("output-no-hashes");
    let served = serve(
        &scratch,
        &json!({
            "gigya": { "accounts": (1..=5).map(|n| json!({
                "UID": format!("u{n}"),
                "profile": { "email": format!("u{n}@example.com") },
                "password": "Pw-1-secret!",
            })).collect::<Vec<_>>() },
            "auth0": { "connections": [{ "name": "users" }] },
        }),
    )
    .await;
    let gigya: std::collections::BTreeMap<String, String> = served.gigya.variables().into_iter().collect();
    let report = scratch.join("report");
    let args: Vec<String> = [
        "migrate",
        "gigya",
        "--connection",
        "users",
        "--via",
        "search",
        "--gigya-url",
        served.base_url("gigya").expect("gigya"),
        "--api-key",
        &gigya["api_key"],
        "--user-key",
        &gigya["user_key"],
        "--secret",
        &gigya["secret"],
        "--poll",
        "0.05",
        "--report",
        &report.display().to_string(),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let output = ferry_against(&served, args, None).await;
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.starts_with("5 users exported from Gigya (accounts.search): 5 inserted, 5 need a password reset"),
        "{stdout}"
    );
    for text in [&stdout, &stderr] {
        assert!(
            text.contains("this export carries no password hashes (none of its 5 accounts has one)")
                && text.contains("--via identity-sync"),
            "{text}"
        );
    }
    // And the file the search was kept in, with whatever a search returns, is owner-only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(report.join("export.ndjson"))
            .expect("export.ndjson")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    served.shutdown().await;
}

/// `ferry try get_user` against the mock Okta: a script that sends no API token gets Okta's
/// 403 and a hint saying how to send it; one that sends a wrong token gets the 401 and a hint
/// about the token itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_refusing_the_scripts_api_token_is_explained() {
    let scratch = Scratch::new("output-okta-token");
    let served = serve(
        &scratch,
        &json!({ "okta": { "users": [{ "login": "ada@example.com", "password": "Okta-Pass-0001",
                                         "profile": { "firstName": "Ada", "lastName": "Lovelace" } }] } }),
    )
    .await;
    let okta = served.base_url("okta").expect("okta").to_owned();
    let script = |name: &str, headers: &str| {
        let path = scratch.join(name);
        std::fs::write(
            &path,
            format!(
                "function getByEmail(email, callback) {{\n  request.get({{ url: configuration.OKTA + '/api/v1/users/' + encodeURIComponent(email), headers: {headers}, json: true }}, function (err, response) {{\n    if (err) return callback(err);\n    if (response.statusCode !== 200) return callback(new Error('Okta answered ' + response.statusCode));\n    callback(null, {{ user_id: email, email: email }});\n  }});\n}}\n"
            ),
        )
        .expect("script");
        path
    };
    let run = |path: PathBuf| {
        let okta = okta.clone();
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_ferry"))
                .args(["try", "get_user", "--script", &path.display().to_string()])
                .args([
                    "--config",
                    &format!("OKTA={okta}"),
                    "--config",
                    "OKTA_API_TOKEN=not-a-token",
                ])
                .arg("ada@example.com")
                .env("NO_COLOR", "1")
                .stdin(Stdio::null())
                .output()
                .expect("ferry runs")
        })
    };
    let without = run(script("no_token.js", "{ Accept: 'application/json' }"))
        .await
        .expect("join");
    let (stdout, stderr) = texts(&without);
    assert!(stdout.contains("-> 403"), "{stdout}{stderr}");
    assert!(
        stdout.contains("hint: Okta answered 403") && stdout.contains("'SSWS ' + configuration.OKTA_API_TOKEN"),
        "{stdout}"
    );
    let wrong = run(script(
        "wrong_token.js",
        "{ Authorization: 'SSWS ' + configuration.OKTA_API_TOKEN }",
    ))
    .await
    .expect("join");
    let (stdout, stderr) = texts(&wrong);
    assert!(stdout.contains("-> 401"), "{stdout}{stderr}");
    assert!(stdout.contains("hint: Okta refused the API token"), "{stdout}");
    assert!(!stdout.contains("not-a-token"), "the token is masked: {stdout}");
    served.shutdown().await;
}
