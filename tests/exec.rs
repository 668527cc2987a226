//! The `exec` step: a user's program run with the mocks' coordinates in its environment. Exit
//! codes and expectations, the time-out (the whole process group killed), a program that is not
//! installed (the scenario could not run: `ferry run` exits 2), the environment it gets (and
//! the `FERRY_*` variables of Ferry's own environment it does not), secrets masked in what it
//! printed, and the clock following real time while it runs. The programs are `sh` and
//! `python3` one-liners.

mod common;

use std::path::Path;
use std::process::Command;

use common::Scratch;
use ferry::scenario::Report;

/// Writes `scenario.yaml` (an Auth0 tenant with one connection, then `steps`) in `dir`.
fn scenario(dir: &Scratch, steps: &str) -> std::path::PathBuf {
    let path = dir.join("scenario.yaml");
    std::fs::write(
        &path,
        format!("description: exec\nauth0:\n  connections: [ {{ name: users }} ]\nokta: {{ users: [] }}\nsteps:\n{steps}snapshot: false\n"),
    )
    .expect("scenario file");
    path
}

fn run(path: &Path) -> Result<Report, ferry::scenario::ScenarioError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(ferry::scenario::run_file(path))
}

fn report(path: &Path) -> Report {
    run(path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn exit_codes_and_output_are_checked_against_expectations() {
    let dir = Scratch::new("expectations");
    let path = scenario(
        &dir,
        r#"  - exec: { run: [sh, -c, 'echo imported 3 users; echo warning: slow >&2'], expect: { stdout: "imported 3", stderr: "warning" } }
  - exec: { run: [sh, -c, 'exit 3'], expect: { exit: 3 } }
  - exec: { run: [sh, -c, 'echo done; exit 1'] }
  - exec: { run: [sh, -c, 'echo other'], expect: { stdout: "imported", stderr: "warning" } }
"#,
    );
    let report = report(&path);
    let steps = &report.steps;
    assert!(steps[0].passed(), "{:?}", steps[0].failures);
    assert_eq!(steps[0].outcome, "exit 0");
    assert!(steps[1].passed(), "{:?}", steps[1].failures);
    assert_eq!(steps[1].outcome, "exit 3");
    // The default expectation is exit 0: exit 1 fails, and the report shows the output.
    assert_eq!(steps[2].outcome, "exit 1");
    assert_eq!(steps[2].failures[0], "exit code: expected 0, got 1");
    assert!(
        steps[2].failures[1].contains("stdout:\n  done"),
        "{:?}",
        steps[2].failures
    );
    assert_eq!(
        steps[3].failures[..2],
        [
            r#"stdout: expected it to contain "imported""#.to_owned(),
            r#"stderr: expected it to contain "warning""#.to_owned()
        ]
    );
    assert!(!report.passed());
}

#[test]
fn a_program_that_runs_too_long_is_killed_with_its_whole_process_group() {
    let dir = Scratch::new("timeout");
    let pid_file = dir.join("child.pid");
    let path = scenario(
        &dir,
        &format!(
            "  - exec: {{ run: [sh, -c, 'sleep 60 & echo $! > {}; echo started; sleep 60'], timeout: 500ms }}\n",
            pid_file.display()
        ),
    );
    let started = std::time::Instant::now();
    let report = report(&path);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "killed at the time-out"
    );
    let step = &report.steps[0];
    assert_eq!(step.outcome, "timed out after 500ms");
    assert!(
        step.failures[0].contains("did not finish within its time-out (500ms); its process group was killed"),
        "{:?}",
        step.failures
    );
    assert!(
        step.failures[1].contains("started"),
        "the output so far: {:?}",
        step.failures
    );
    // The background `sleep` the program started is gone too.
    let child = std::fs::read_to_string(&pid_file).expect("the program wrote its child's pid");
    let proc = Path::new("/proc").join(child.trim());
    for _ in 0..50 {
        let state = std::fs::read_to_string(proc.join("stat")).unwrap_or_default();
        // Gone, or a zombie waiting for its parent (init) to reap it.
        if state.is_empty() || state.split_whitespace().nth(2) == Some("Z") {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the program's child {} is still running", child.trim());
}

#[test]
fn a_program_that_is_not_installed_means_the_scenario_could_not_run() {
    let dir = Scratch::new("missing");
    let path = scenario(
        &dir,
        "  - exec: { run: [sh, -c, 'exit 0'] }\n  - exec: { run: [ferry-no-such-program-anywhere, --version] }\n",
    );
    let error = run(&path).expect_err("never a pass").to_string();
    assert!(
        error.ends_with(
            "scenario.yaml:7: could not run `ferry-no-such-program-anywhere`: not found on PATH (is it installed?)"
        ),
        "{error}"
    );
    // `ferry run` says so and exits 2 (could not run), not 1 (a failed scenario) or 0.
    let output = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["run", "--no-snapshots", "--color", "never"])
        .arg(&path)
        .output()
        .expect("ferry runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("could not run `ferry-no-such-program-anywhere`"),
        "{stdout}"
    );
    assert!(stdout.contains("1 could not run"), "{stdout}");

    // A program named by a path is relative to the scenario's directory.
    let relative = scenario(&dir, "  - exec: { run: [./bin/importer] }\n");
    let error = run(&relative).expect_err("never a pass").to_string();
    assert!(
        error.ends_with(&format!(
            "could not run `./bin/importer`: {} does not exist",
            dir.join("bin/importer").display()
        )),
        "{error}"
    );
}

#[test]
fn the_program_gets_the_mocks_coordinates_and_none_of_ferrys_own_environment() {
    let dir = Scratch::new("environment");
    let env_file = dir.join("env.txt");
    let path = scenario(
        &dir,
        &format!(
            "  - exec: {{ run: [sh, -c, 'env > {}'], env: {{ IMPORTER_URL: \"{{{{auth0.url}}}}/api/v2/\", PLAIN: text }} }}\n",
            env_file.display()
        ),
    );
    // Through the binary, with a FERRY_* variable (a real tenant's, say) in its environment.
    let output = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["run", "--no-snapshots", "--color", "never"])
        .arg(&path)
        .env("FERRY_AUTH0_CLIENT_SECRET", "real-tenant-secret")
        .env("FERRY_GIGYA_URL", "https://accounts.us1.gigya.com")
        .output()
        .expect("ferry runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let text = std::fs::read_to_string(&env_file).expect("the program wrote its environment");
    let env: std::collections::BTreeMap<&str, &str> = text.lines().filter_map(|l| l.split_once('=')).collect();
    let url = env["FERRY_AUTH0_URL"];
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_eq!(env["FERRY_AUTH0_DOMAIN"], url.trim_start_matches("http://"));
    assert_eq!(env["FERRY_AUTH0_AUDIENCE"], format!("{url}/api/v2/"));
    assert_eq!(env["IMPORTER_URL"], format!("{url}/api/v2/"), "variables in env:");
    assert_eq!(env["PLAIN"], "text");
    assert_eq!(env["FERRY_AUTH0_CLIENT_ID"].len(), 32);
    assert_eq!(
        env["FERRY_AUTH0_CLIENT_SECRET"].len(),
        64,
        "the mock's, not the shell's"
    );
    assert!(env["FERRY_OKTA_URL"].starts_with("http://127.0.0.1:"));
    assert_eq!(env["FERRY_OKTA_TOKEN"], "00ferry-okta-api-token");
    assert!(
        !env.contains_key("FERRY_GIGYA_URL"),
        "a mock the scenario does not run has no URL, and the shell's does not leak through"
    );
    assert!(!env.contains_key("FERRY_CA_FILE"), "plain HTTP: no CA file");
    assert!(env["NO_PROXY"].contains("127.0.0.1"));
    assert!(env.contains_key("PATH"));
}

#[test]
fn secrets_are_masked_in_what_the_program_printed() {
    let dir = Scratch::new("masked");
    let leaked = dir.join("leaked.txt");
    // The program prints its client secret, a step env secret, and a Management API token it
    // obtained; then fails, so that the report shows its output.
    let program = format!(
        r#"
import json, os, urllib.request
secret = os.environ["FERRY_AUTH0_CLIENT_SECRET"]
body = json.dumps({{"grant_type": "client_credentials", "client_id": os.environ["FERRY_AUTH0_CLIENT_ID"],
    "client_secret": secret, "audience": os.environ["FERRY_AUTH0_AUDIENCE"]}}).encode()
request = urllib.request.Request(os.environ["FERRY_AUTH0_URL"] + "/oauth/token", data=body,
    headers={{"Content-Type": "application/json"}})
token = json.load(urllib.request.urlopen(request))["access_token"]
open({leaked:?}, "w").write(json.dumps([secret, token]))
print("secret", secret, "api key", os.environ["MY_API_KEY"], "token", token, "id", os.environ["FERRY_AUTH0_CLIENT_ID"])
raise SystemExit(4)
"#,
        leaked = leaked.display().to_string()
    );
    std::fs::write(dir.join("leak.py"), program).expect("program");
    let path = scenario(
        &dir,
        "  - exec: { run: [python3, leak.py], env: { MY_API_KEY: hunter2-api-key } }\n",
    );
    let report = report(&path);
    let rendered = report.render(true);
    let leaked: Vec<String> = serde_json::from_str(&std::fs::read_to_string(&leaked).expect("ran")).expect("json");
    for secret in leaked.iter().map(String::as_str).chain(["hunter2-api-key"]) {
        assert!(!rendered.contains(secret), "{secret} in\n{rendered}");
        assert!(!report.snapshot().to_string().contains(secret));
    }
    assert!(
        rendered.contains("secret [masked] api key [masked] token [masked] id "),
        "{rendered}"
    );
    assert_eq!(report.steps[0].outcome, "exit 4");
}

#[test]
fn the_clock_follows_real_time_while_the_program_runs_and_then_stops_at_a_fixed_point() {
    let dir = Scratch::new("clock");
    let program = r#"
import json, os, time, urllib.request
url = os.environ["FERRY_AUTH0_URL"]
def now():
    return json.load(urllib.request.urlopen(url + "/__ferry/clock"))["now"]
first = now()
body = json.dumps({"client_id": os.environ["FERRY_AUTH0_APP_CLIENT_ID"], "email": "during@example.com",
    "password": "Sign-up-during-1", "connection": "users"}).encode()
urllib.request.urlopen(urllib.request.Request(url + "/dbconnections/signup", data=body,
    headers={"Content-Type": "application/json"}))
time.sleep(1.2)
print(first, now())
"#;
    std::fs::write(dir.join("clock.py"), program).expect("program");
    let path = scenario(
        &dir,
        r#"  - exec: { run: [python3, clock.py], timeout: 1m }
  - login: { username: during@example.com, password: "Sign-up-during-1", realm: users, expect: { status: 200 } }
"#,
    );
    let report = report(&path);
    assert!(report.passed(), "{}", report.render(true));
    let users = report.snapshot()["users"].clone();
    let user = &users[0];
    // Created while the program ran: a time that differs on every run, named instead.
    assert_eq!(user["created_at"], "[time during exec #1 (python3)]");
    // The login after it: the exec step started at 00:00:01, its window ends one minute later,
    // and the login step's tick adds a second — the same time on every run.
    assert_eq!(user["last_login"], "2026-01-01T00:01:02.000Z");
}

#[test]
fn the_mock_clock_moves_with_real_time_during_the_program() {
    let dir = Scratch::new("clock-moves");
    let program = r#"
import datetime, json, os, time, urllib.request
url = os.environ["FERRY_AUTH0_URL"]
def now():
    text = json.load(urllib.request.urlopen(url + "/__ferry/clock"))["now"]
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
first = now()
time.sleep(1.0)
moved = (now() - first).total_seconds()
print("moved", moved)
raise SystemExit(0 if 0.9 <= moved <= 5 else 1)
"#;
    std::fs::write(dir.join("clock.py"), program).expect("program");
    let path = scenario(&dir, "  - exec: { run: [python3, clock.py] }\n");
    let report = report(&path);
    assert!(report.passed(), "{}", report.render(true));
}
