//! Ferry under another test runner: `ferry serve --env-file FILE --ready-file FILE` and the
//! seed features a test suite relies on. The README's example test files
//! (`tests/runners/migration.test.mjs` for `node --test`, `tests/runners/test_migration.py`
//! for `unittest`) run here against a real `ferry serve`, reading the env file it wrote; the
//! env file is written atomically, owner-only, only once the mocks answer, and removed on
//! SIGTERM; a seed gives the same credentials on every start, takes `{{okta.url}}`-style
//! variables and script files by path; and what `ferry generate` writes, 20,000 accounts of
//! it, is a seed `ferry serve --seed` accepts as it is.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Scratch;
use ferry::serve::{ServeOptions, Served};
use mocks::Provider as _;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `NAME='value'` lines, as the env file has them.
fn read_env(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .expect("env file")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('\'').to_owned()))
        .collect()
}

/// `ferry serve` as a child process, stopped with SIGTERM when dropped.
struct Serve(Child);

impl Serve {
    fn start(seed: &Path, env_file: &Path, ready_file: &Path) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_ferry"))
            .arg("serve")
            .arg("--seed")
            .arg(seed)
            .arg("--env-file")
            .arg(env_file)
            .arg("--ready-file")
            .arg(ready_file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ferry serve starts");
        Self(child)
    }

    fn terminate(&mut self) {
        if let Some(pid) = rustix::process::Pid::from_raw(self.0.id() as i32) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        let _ = self.0.wait();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.terminate();
    }
}

fn wait_for(path: &Path, serve: &mut Serve) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !path.exists() {
        if let Ok(Some(status)) = serve.0.try_wait() {
            panic!("ferry serve exited ({status}) before writing {}", path.display());
        }
        assert!(Instant::now() < deadline, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_readme_test_files_pass_under_node_test_and_unittest_against_ferry_serve() {
    let scratch = Scratch::new("runners");
    let env_file = scratch.join("ferry.env");
    let ready_file = scratch.join("ready");
    // A file left by an earlier run is removed before anything else, so no script starts on it.
    std::fs::write(&env_file, "STALE='yes'\n").expect("stale env file");
    let mut serve = Serve::start(&repo().join("tests/runners/seed.yaml"), &env_file, &ready_file);
    wait_for(&ready_file, &mut serve);

    let env = read_env(&env_file);
    assert!(!env.contains_key("STALE"), "{env:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&env_file).expect("env file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "it holds secrets: owner-only");
    }
    for name in [
        "FERRY_OKTA_URL",
        "FERRY_OKTA_TOKEN",
        "FERRY_STORMPATH_URL",
        "FERRY_STORMPATH_APPLICATION_ID",
        "FERRY_STORMPATH_API_KEY_ID",
        "FERRY_STORMPATH_API_KEY_SECRET",
        "FERRY_GIGYA_URL",
        "FERRY_GIGYA_API_KEY",
        "FERRY_GIGYA_USER_KEY",
        "FERRY_GIGYA_SECRET",
        "FERRY_AUTH0_URL",
        "FERRY_AUTH0_DOMAIN",
        "FERRY_AUTH0_CLIENT_ID",
        "FERRY_AUTH0_CLIENT_SECRET",
        "FERRY_AUTH0_AUDIENCE",
    ] {
        assert!(env.get(name).is_some_and(|v| !v.is_empty()), "{name} in {env:?}");
    }

    let node = Command::new("node")
        .arg(format!("--env-file={}", env_file.display()))
        .args(["--test", "tests/runners/migration.test.mjs"])
        .current_dir(repo())
        .output()
        .expect("node runs (Node 20 or newer must be installed: .ci/run checks it)");
    assert!(
        node.status.success(),
        "node --test failed:\n{}{}",
        String::from_utf8_lossy(&node.stdout),
        String::from_utf8_lossy(&node.stderr)
    );
    assert!(String::from_utf8_lossy(&node.stdout).contains("# pass 2"));

    let python = Command::new("python3")
        .args(["-m", "unittest", "-v", "tests/runners/test_migration.py"])
        .env("FERRY_ENV_FILE", &env_file)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(repo())
        .output()
        .expect("python3 runs (.ci/run checks it is installed)");
    let said = String::from_utf8_lossy(&python.stderr);
    assert!(python.status.success(), "unittest failed:\n{said}");
    assert!(said.contains("Ran 2 tests") && said.contains("OK"), "{said}");

    // SIGTERM stops it and takes the files away: a later script waits for a fresh start.
    serve.terminate();
    assert!(!env_file.exists() && !ready_file.exists());
}

#[test]
fn the_env_file_appears_only_once_the_mocks_answer() {
    let scratch = Scratch::new("ready");
    let env_file = scratch.join("ferry.env");
    let ready_file = scratch.join("ready");
    let seed = scratch.join("seed.yaml");
    std::fs::write(&seed, "okta: { users: [] }\n").expect("seed");
    let mut serve = Serve::start(&seed, &env_file, &ready_file);
    wait_for(&env_file, &mut serve);
    // The moment the file is there, every mock in it answers.
    let env = read_env(&env_file);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        for mock in ["OKTA", "STORMPATH", "GIGYA", "AUTH0"] {
            let url = format!("{}/__ferry/clock", env[&format!("FERRY_{mock}_URL")]);
            let answer = sandbox::net::client_builder()
                .build()
                .expect("an HTTP client")
                .get(&url)
                .send()
                .await
                .expect("answers");
            assert!(answer.status().is_success(), "{url}");
        }
    });
}

#[test]
fn an_env_file_is_replaced_whole_or_not_at_all() {
    let scratch = Scratch::new("atomic");
    let path = scratch.join("ferry.env");
    let a = vec![("FERRY_A".to_owned(), "a".repeat(200_000))];
    let b = vec![("FERRY_B".to_owned(), "b".repeat(300_000))];
    ferry::serve::write_env_file(&path, &a).expect("first");
    let whole = [ferry::serve::dotenv(&a), ferry::serve::dotenv(&b)];
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (path, whole, stop) = (path.clone(), whole.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let text = std::fs::read_to_string(&path).expect("never missing");
                assert!(
                    whole.contains(&text),
                    "a reader saw a partial file ({} bytes)",
                    text.len()
                );
                reads += 1;
            }
            reads
        })
    };
    for i in 0..200 {
        ferry::serve::write_env_file(&path, if i % 2 == 0 { &b } else { &a }).expect("write");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.join().expect("reader") > 0);
    let left: Vec<_> = std::fs::read_dir(scratch.path()).expect("dir").collect();
    assert_eq!(left.len(), 1, "no temporary file left behind");
}

#[test]
fn values_with_quotes_are_written_so_that_a_shell_reads_them_back() {
    let text = ferry::serve::dotenv(&[
        ("FERRY_PLAIN".into(), "Ab+/=x".into()),
        ("FERRY_QUOTED".into(), r#"it's "$HOME" `x` \n"#.into()),
    ]);
    assert!(text.contains("FERRY_PLAIN='Ab+/=x'\n"), "{text}");
    let scratch = Scratch::new("quotes");
    let file = scratch.join("env");
    std::fs::write(&file, &text).expect("write");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "set -a; . '{}'; printf '%s|%s' \"$FERRY_PLAIN\" \"$FERRY_QUOTED\"",
            file.display()
        ))
        .output()
        .expect("sh");
    assert_eq!(String::from_utf8_lossy(&out.stdout), r#"Ab+/=x|it's "$HOME" `x` \n"#);
}

fn options() -> ServeOptions {
    ServeOptions {
        host: common::loopback(),
        okta_port: 0,
        stormpath_port: 0,
        gigya_port: 0,
        auth0_port: 0,
    }
}

/// The variables that do not depend on the ports the mocks got.
fn credentials(served: &Served) -> BTreeMap<String, String> {
    served
        .environment()
        .into_iter()
        .filter(|(k, _)| {
            !k.ends_with("_URL") && !k.ends_with("_DOMAIN") && !k.ends_with("_AUDIENCE") && !k.ends_with("_HREF")
        })
        .collect()
}

#[tokio::test]
async fn the_same_seed_gives_the_same_credentials_on_every_start() {
    let scratch = Scratch::new("stable");
    let seed = scratch.join("seed.yaml");
    std::fs::write(&seed, "auth0:\n  connections: [ { name: users } ]\n").expect("seed");
    let first = ferry::serve::start(&options(), Some(&seed)).await.expect("first start");
    let first_credentials = credentials(&first);
    let first_connection = first.auth0.connection_id("users");
    first.shutdown().await;
    let second = ferry::serve::start(&options(), Some(&seed))
        .await
        .expect("second start");
    assert_eq!(credentials(&second), first_credentials);
    assert_eq!(second.auth0.connection_id("users"), first_connection, "ids too");
    assert_eq!(first_credentials["FERRY_AUTH0_CLIENT_SECRET"].len(), 64);
    second.shutdown().await;

    // Another seed, other credentials; none without a seed at all, twice the same.
    std::fs::write(&seed, "auth0:\n  connections: [ { name: other } ]\n").expect("seed");
    let other = ferry::serve::start(&options(), Some(&seed)).await.expect("other seed");
    assert_ne!(
        credentials(&other)["FERRY_AUTH0_CLIENT_SECRET"],
        first_credentials["FERRY_AUTH0_CLIENT_SECRET"]
    );
    other.shutdown().await;

    // Given in the seed, they are the seed's.
    std::fs::write(
        &seed,
        "auth0:\n  clients:\n    - { name: Default App, client_id: my-app-id-0123456789, client_secret: my-app-secret-0123456789 }\n",
    )
    .expect("seed");
    let given = ferry::serve::start(&options(), Some(&seed)).await.expect("given");
    let env = credentials(&given);
    assert_eq!(env["FERRY_AUTH0_APP_CLIENT_ID"], "my-app-id-0123456789");
    assert_eq!(env["FERRY_AUTH0_APP_CLIENT_SECRET"], "my-app-secret-0123456789");
    given.shutdown().await;
}

#[tokio::test]
async fn a_seed_takes_variables_and_script_files_by_path() {
    let scratch = Scratch::new("variables");
    std::fs::create_dir_all(scratch.join("scripts")).expect("dir");
    // The script hands back what its configuration says, so the user shows what it got.
    std::fs::write(
        scratch.join("scripts/login.js"),
        "function login(email, password, callback) {\n  callback(null, { user_id: 'x1', email: email, \
         user_metadata: { okta: configuration.OKTA_URL, other: configuration.OTHER } });\n}\n",
    )
    .expect("script");
    let seed = scratch.join("seed.yaml");
    std::fs::write(
        &seed,
        r#"auth0:
  connections:
    - name: okta-users
      options:
        enabledDatabaseCustomization: true
        import_mode: true
        customScripts: { login: { file: scripts/login.js } }
        configuration: { OKTA_URL: "{{okta.url}}/api/v1", OTHER: "{{gigya.api_key}} {{stormpath.application_id}}" }
"#,
    )
    .expect("seed");
    let served = ferry::serve::start(&options(), Some(&seed)).await.expect("starts");
    let env: BTreeMap<String, String> = served.environment().into_iter().collect();
    let client = sandbox::net::client_builder().build().expect("an HTTP client");
    let login = client
        .post(format!("{}/oauth/token", env["FERRY_AUTH0_URL"]))
        .form(&[
            ("grant_type", "http://auth0.com/oauth/grant-type/password-realm"),
            ("realm", "okta-users"),
            ("username", "dade@example.com"),
            ("password", "Hunter2!zero"),
            ("client_id", &env["FERRY_AUTH0_APP_CLIENT_ID"]),
            ("client_secret", &env["FERRY_AUTH0_APP_CLIENT_SECRET"]),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 200, "{}", login.text().await.unwrap_or_default());
    let users = served.auth0.users();
    assert_eq!(
        users[0]["user_metadata"],
        serde_json::json!({
            "okta": format!("{}/api/v1", env["FERRY_OKTA_URL"]),
            "other": format!("{} {}", env["FERRY_GIGYA_API_KEY"], env["FERRY_STORMPATH_APPLICATION_ID"]),
        })
    );
    served.shutdown().await;

    // An unknown variable or a missing script file is an error that says where.
    std::fs::write(
        &seed,
        "auth0:\n  connections:\n    - name: c\n      options: { configuration: { OKTA_URL: \"{{okta.ulr}}\" } }\n",
    )
    .expect("seed");
    let error = ferry::serve::start(&options(), Some(&seed))
        .await
        .expect_err("refused")
        .to_string();
    assert!(
        error.contains("auth0 connection c, options.configuration: unknown variable {{okta.ulr}} (known: "),
        "{error}"
    );
    std::fs::write(
        &seed,
        "auth0:\n  connections:\n    - name: c\n      options: { customScripts: { login: { file: nope.js } } }\n",
    )
    .expect("seed");
    let error = ferry::serve::start(&options(), Some(&seed))
        .await
        .expect_err("refused")
        .to_string();
    assert!(error.contains("options.customScripts.login: cannot read"), "{error}");
    assert!(error.contains("nope.js"), "{error}");
}

#[tokio::test]
async fn what_ferry_generate_writes_ferry_serve_accepts_at_20000_accounts() {
    let scratch = Scratch::new("generate");
    let file = scratch.join("population.json");
    for (kind, count_of) in [("gigya", "account_count"), ("okta", "users")] {
        let output = Command::new(env!("CARGO_BIN_EXE_ferry"))
            .args(["generate", kind, "--count", "20000", "-o"])
            .arg(&file)
            .output()
            .expect("ferry generate");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let served = ferry::serve::start(&options(), Some(&file))
            .await
            .unwrap_or_else(|e| panic!("ferry serve --seed refused ferry generate {kind}'s file: {e}"));
        let count = match kind {
            "gigya" => served.gigya.state()[count_of].as_u64(),
            _ => served.okta.state()[count_of].as_array().map(|u| u.len() as u64),
        };
        assert_eq!(count, Some(20_000), "{kind}");
        served.shutdown().await;
    }
}
