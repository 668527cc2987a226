//! `ferry try` end to end through its library entry point, [`ferry::tryout::try_script`]:
//! scripts written to Cargo's test scratch directory, run against the mock Okta (an axum server on
//! 127.0.0.1:0, from the `mocks` crate) or against nothing at all.
//!
//! Run with `cargo test --test tryout`; a failing test prints the whole rendered report.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ferry::tryout::{ScriptKind, TryError, TryOptions, TryReport, Verdict, try_script};
use mocks::okta::Okta;
use mocks::{Clock, Kit, MockServer, Provider};
use serde_json::json;

/// Writes `source` to a fresh file named `name` in a directory of its own.
fn script(name: &str, source: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    // Cargo's scratch directory for integration tests, inside the target directory
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "ferry-tryout-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let path = dir.join(name);
    std::fs::write(&path, source).expect("the script is written");
    path
}

/// The mock Okta with one user; returns the server and its API token.
async fn okta() -> (MockServer, String) {
    let okta = Okta::new(Kit::deterministic(Clock::system(), 7));
    let seed = serde_json::from_value(json!({
        "users": [{
            "login": "dade.murphy@example.com",
            "password": "Hunter2!zero",
            "profile": { "firstName": "Dade", "lastName": "Murphy" }
        }]
    }))
    .expect("a valid Okta seed");
    okta.seed(seed).expect("the seed applies");
    let token = okta
        .variables()
        .into_iter()
        .find(|(name, _)| name == "token")
        .map(|(_, token)| token)
        .expect("an API token");
    let server = mocks::start(okta, mocks::LOOPBACK_EPHEMERAL)
        .await
        .expect("the mock starts");
    (server, token)
}

/// Auth0's documented Okta login script with the URL and an API token from the configuration,
/// and a console line that mentions the password.
const LOGIN: &str = r#"function login(email, password, callback) {
  console.log('login attempt for %s with %s', email, password);
  request({
    url: configuration.OKTA_URL + '/api/v1/authn',
    method: 'POST',
    headers: { Authorization: 'SSWS ' + configuration.OKTA_API_TOKEN },
    json: { username: email, password: password }
  }, function (error, response, body) {
    if (response.statusCode !== 200) return callback(new WrongUsernameOrPasswordError(email, 'Okta says ' + response.statusCode));
    var user = body._embedded.user;
    console.info('okta user', user.id);
    callback(null, {
      user_id: user.id,
      email: user.profile.login,
      email_verified: true,
      name: user.profile.firstName + ' ' + user.profile.lastName
    });
  });
}
"#;

fn login_options(path: PathBuf, base: &str, token: &str, password: &str) -> TryOptions {
    let mut options = TryOptions::new(ScriptKind::Login, path);
    options.args = vec!["dade.murphy@example.com".into(), password.into()];
    options.configuration.insert("OKTA_URL".into(), base.into());
    options.configuration.insert("OKTA_API_TOKEN".into(), token.into());
    options.timeout = Duration::from_secs(5);
    options
}

fn rendered(report: &TryReport) -> String {
    let text = report.render();
    println!("{text}");
    text
}

#[tokio::test]
async fn a_login_against_the_mock_okta_shows_the_profile_console_and_requests_with_secrets_masked() {
    let (server, token) = okta().await;
    let base = server.base_url().to_owned();
    let path = script("login.js", LOGIN);
    let report = try_script(login_options(path, &base, &token, "Hunter2!zero"))
        .await
        .expect("the script runs");
    let text = rendered(&report);

    let Verdict::Profile { profile } = &report.verdict else {
        panic!("expected a profile: {text}");
    };
    assert_eq!(profile["email"], json!("dade.murphy@example.com"));
    assert_eq!(profile["name"], json!("Dade Murphy"));
    assert!(report.passed());
    assert!(
        text.contains("called as login(\"dade.murphy@example.com\", \"[masked]\", callback)"),
        "{text}"
    );
    assert!(
        text.contains("Result: callback(null, profile)\n  {\n    \"user_id\": "),
        "{text}"
    );
    assert!(text.contains("    \"name\": \"Dade Murphy\""), "{text}");
    assert!(
        text.contains("In Auth0 (POST /oauth/token): a successful login: the user is auth0|"),
        "{text}"
    );
    assert!(text.contains("  tenant log s: \"Successful login\"\n"), "{text}");
    assert!(
        text.contains("  log   login attempt for dade.murphy@example.com with [masked]\n"),
        "{text}"
    );
    assert!(text.contains("  info  okta user "), "{text}");
    assert!(text.contains(&format!("  POST {base}/api/v1/authn -> 200 (")), "{text}");
    assert!(text.contains("      Authorization: [masked]\n"), "{text}");
    assert!(!text.contains("Hunter2!zero"), "the password leaks: {text}");
    assert!(!text.contains(&token), "the API token leaks: {text}");
    assert!(text.contains("outbound: 127.0.0.0/8, ::1, localhost."), "{text}");

    // the wrong password: the script's own error, and what the application would get
    let path = script("login.js", LOGIN);
    let report = try_script(login_options(path, &base, &token, "wrong-password"))
        .await
        .expect("the script runs");
    let text = rendered(&report);
    assert!(!report.passed());
    assert!(text.contains("Result: callback(error)\n  WrongUsernameOrPasswordError: Okta says 401\n  user_id: dade.murphy@example.com\n"), "{text}");
    assert!(
        text.contains("  at login.js line 9:\n  9 |     if (response.statusCode !== 200)"),
        "{text}"
    );
    assert!(
        text.contains(
            "In Auth0 (POST /oauth/token): 403 invalid_grant \"Wrong email or password.\"\n  wrong credentials: the login fails\n  tenant log fp: \"Okta says 401\"\n"
        ),
        "{text}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_crashing_script_is_reported_as_auth0_reports_it_with_its_line() {
    // nothing listens there: the documented pattern reads the status of no response
    let path = script(
        "login.js",
        "function login(email, password, callback) {\n  request.post({ url: 'http://127.0.0.1:9/authn', json: { u: email } }, function (error, response, body) {\n    if (response.statusCode !== 200) return callback();\n    callback(null, body);\n  });\n}\n",
    );
    let mut options = TryOptions::new(ScriptKind::Login, path);
    options.args = vec!["a@example.com".into(), "pw".into()];
    let report = try_script(options).await.expect("the script runs");
    let text = rendered(&report);
    let Verdict::Crashed { exception } = &report.verdict else {
        panic!("expected a crash: {text}");
    };
    assert_eq!(exception.line, Some(3));
    assert!(
        text.contains(
            "Result: the script crashed (uncaught exception)\n  TypeError: Cannot read properties of undefined (reading 'statusCode')\n  at login.js line 3, column "
        ),
        "{text}"
    );
    assert!(
        text.contains("  3 |     if (response.statusCode !== 200) return callback();\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "In Auth0 (POST /oauth/token): 403 access_denied \"Cannot read properties of undefined (reading 'statusCode')\"\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("  tenant log f: \"Cannot read properties of undefined (reading 'statusCode')\"\n"),
        "{text}"
    );
    assert!(
        text.contains("  POST http://127.0.0.1:9/authn -> connect ECONNREFUSED 127.0.0.1:9 ("),
        "{text}"
    );
}

const FETCH_USER: &str = r#"function getUser(email, callback) {
  request({ url: 'http://legacy.invalid/users?email=' + encodeURIComponent(email), json: true }, function (err, res, body) {
    if (err) return callback(new Error(err.code + ': ' + err.message));
    callback(null, body);
  });
}
"#;

#[tokio::test]
async fn hosts_outside_the_allowlist_are_refused_unless_allowed() {
    let path = script("get_user.js", FETCH_USER);
    let mut options = TryOptions::new(ScriptKind::GetUser, path.clone());
    options.args = vec!["a@example.com".into()];
    let report = try_script(options.clone()).await.expect("the script runs");
    let text = rendered(&report);
    let refusal = "connect EACCES legacy.invalid:80 (outbound request not allowed by the sandbox: send it elsewhere with --route legacy.invalid=URL (or =okta, =stormpath, =gigya, =auth0 for a throw-away mock), or let it through with --allow-host legacy.invalid)";
    let Verdict::Error { error } = &report.verdict else {
        panic!("expected an error: {text}");
    };
    assert_eq!(error.message, format!("EACCES: {refusal}"));
    assert!(
        text.contains(&format!(
            "  GET http://legacy.invalid/users?email=a%40example.com -> {refusal} ("
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "In Auth0 (POST /dbconnections/signup): 400 auth0_idp_error \"EACCES: {refusal}\"\n  signup fails\n"
        )),
        "{text}"
    );

    // allowed by name, the request is made (and the name does not resolve)
    options.allow_hosts = vec!["legacy.invalid".parse().expect("a valid rule")];
    let report = try_script(options.clone()).await.expect("the script runs");
    let text = rendered(&report);
    assert!(text.contains("getaddrinfo ENOTFOUND legacy.invalid"), "{text}");
    assert!(
        text.contains("outbound: 127.0.0.0/8, ::1, localhost, legacy.invalid."),
        "{text}"
    );

    // and with the allowlist off
    options.allow_hosts.clear();
    options.allow_any_host = true;
    let report = try_script(options).await.expect("the script runs");
    let text = rendered(&report);
    assert!(text.contains("getaddrinfo ENOTFOUND legacy.invalid"), "{text}");
    assert!(text.contains("outbound: any host."), "{text}");
}

#[tokio::test]
async fn console_output_of_every_level_is_shown_in_order() {
    let path = script(
        "verify.js",
        "function verify(email, callback) {\n  console.log('verifying', email);\n  console.warn({ email: email, tries: 2 });\n  console.error(new Error('legacy store is read-only'));\n  setTimeout(function () { console.debug('done'); callback(null, true); }, 5);\n}\n",
    );
    let mut options = TryOptions::new(ScriptKind::Verify, path);
    options.args = vec!["a@example.com".into()];
    let report = try_script(options).await.expect("the script runs");
    let text = rendered(&report);
    assert!(report.passed());
    assert!(text.contains("Result: callback(null, true)\n"), "{text}");
    assert!(
        text.contains(
            "In Auth0 (GET /lo/verify_email): the email is marked verified\n  tenant log sv: \"Email verified\"\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "Console (4 lines):\n  log   verifying a@example.com\n  warn  { email: 'a@example.com', tries: 2 }\n  error Error: legacy store is read-only\n            at verify (verify.js:4:21)\n  debug done\n"
        ),
        "{text}"
    );
    assert!(text.contains("HTTP: (no requests)"), "{text}");

    // secrets from the configuration do not show, wherever the script puts them
    let path = script(
        "delete.js",
        "function deleteUser(id, callback) {\n  console.log('using', configuration.DB_PASSWORD, configuration.DB_HOST);\n  callback(new Error('cannot log in as admin:' + configuration.DB_PASSWORD));\n}\n",
    );
    let mut options = TryOptions::new(ScriptKind::Delete, path);
    options.args = vec!["u1".into()];
    options
        .configuration
        .insert("DB_PASSWORD".into(), "correct horse".into());
    options.configuration.insert("DB_HOST".into(), "db.internal".into());
    let report = try_script(options).await.expect("the script runs");
    let text = rendered(&report);
    assert!(text.contains("  log   using [masked] db.internal\n"), "{text}");
    assert!(text.contains("  Error: cannot log in as admin:[masked]\n"), "{text}");
    assert!(
        !serde_json::to_string(&report)
            .expect("serialisable")
            .contains("correct horse")
    );
}

#[tokio::test]
async fn context_time_limit_and_argument_errors() {
    // with enable_script_context, context comes before callback
    let path = script(
        "get_user.js",
        "function getUser(email, context, callback) {\n  callback(null, { user_id: 'u1', email: email, org: context.organization.name });\n}\n",
    );
    let mut options = TryOptions::new(ScriptKind::GetUser, path);
    options.args = vec!["a@example.com".into()];
    options.context = Some(r#"{"organization": {"name": "acme"}}"#.into());
    let report = try_script(options.clone()).await.expect("the script runs");
    let text = rendered(&report);
    assert!(
        text.contains("called as get_user(\"a@example.com\", {\"organization\":{\"name\":\"acme\"}}, callback)"),
        "{text}"
    );
    assert!(text.contains("\"org\": \"acme\""), "{text}");

    options.context = Some("{not json".into());
    let err = try_script(options).await.expect_err("bad context");
    assert!(matches!(err, TryError::Context(_)), "{err}");

    // the time limit
    let path = script(
        "change_password.js",
        "function changePassword(email, newPassword, callback) {\n  setTimeout(function () { callback(null, true); }, 10000);\n}\n",
    );
    let mut options = TryOptions::new(ScriptKind::ChangePassword, path);
    options.args = vec!["a@example.com".into(), "n3w-passw0rd".into()];
    options.timeout = Duration::from_millis(300);
    let report = try_script(options).await.expect("the script runs");
    let text = rendered(&report);
    assert_eq!(report.verdict, Verdict::TimedOut);
    assert!(
        text.contains(
            "In Auth0 (POST /lo/reset): 400 reset_failed \"Request to Webtask exceeded allowed execution time\"\n"
        ),
        "{text}"
    );
    assert!(text.contains("(limit 300 ms)"), "{text}");

    // errors before anything runs
    let mut options = TryOptions::new(ScriptKind::Login, script("login.js", LOGIN));
    options.args = vec!["only-one".into()];
    let err = try_script(options).await.expect_err("one argument");
    assert_eq!(err.to_string(), "login takes USER PASSWORD, but 1 argument was given");
    let err = try_script(TryOptions::new(ScriptKind::Delete, "/nonexistent/delete.js"))
        .await
        .expect_err("no such file");
    assert!(
        err.to_string()
            .starts_with("cannot read the script /nonexistent/delete.js: "),
        "{err}"
    );
}

#[tokio::test]
async fn reports_serialise_for_machines() {
    let path = script(
        "create.js",
        "function create(user, callback) {\n  callback(new ValidationError('user_exists', 'The user already exists.'));\n}\n",
    );
    let mut options = TryOptions::new(ScriptKind::Create, path);
    options.args = vec!["a@example.com".into(), "s3cret-pw".into()];
    let report = try_script(options).await.expect("the script runs");
    let text = rendered(&report);
    assert!(
        text.contains(
            "In Auth0 (POST /dbconnections/signup): 400 user_exists \"The user already exists.\"\n  the user is not created\n"
        ),
        "{text}"
    );
    let value = serde_json::to_value(&report).expect("serialisable");
    assert_eq!(value["kind"], json!("create"));
    assert_eq!(value["args"][0]["password"], json!("[masked]"));
    assert_eq!(value["verdict"]["kind"], json!("error"));
    assert_eq!(value["verdict"]["error"]["code"], json!("user_exists"));
    assert_eq!(value["outbound"], json!(["127.0.0.0/8", "::1", "localhost"]));
    assert_eq!(value["auth0"]["status"], json!(400));
    assert_eq!(value["auth0"]["error"], json!("user_exists"));
    assert_eq!(value["auth0"]["name"], json!("ValidationError"));
    assert_eq!(value["auth0"]["accepted"], json!(false));
    assert_eq!(value["time_limit"], json!(20000));
}

/// One way a login script can end, as a script.
struct Ending {
    what: &'static str,
    /// The outcome the mock's script record names (so each case is the ending it claims).
    outcome: &'static str,
    body: &'static str,
}

/// Every way a login script can end: the mock tenant's `/oauth/token` and tenant log, and
/// `ferry try`'s answer for the same script and arguments, must agree on each.
const ENDINGS: &[Ending] = &[
    Ending {
        what: "a profile",
        outcome: "profile",
        body: "callback(null, { user_id: 'u-' + email, email: email });",
    },
    Ending {
        what: "a profile with a numeric id",
        outcome: "profile",
        body: "callback(null, { id: 42, email: email });",
    },
    Ending {
        what: "a profile without user_id",
        outcome: "profile",
        body: "callback(null, { email: email });",
    },
    Ending {
        what: "no user",
        outcome: "not_found",
        body: "callback();",
    },
    Ending {
        what: "wrong password, the user named",
        outcome: "wrong_credentials",
        body: "callback(new WrongUsernameOrPasswordError(email, 'bad password for ' + email));",
    },
    Ending {
        what: "wrong password, no user named",
        outcome: "wrong_credentials",
        body: "callback(new WrongUsernameOrPasswordError(null, 'no such user'));",
    },
    Ending {
        what: "an Error",
        outcome: "error",
        body: "callback(new Error('legacy store unreachable'));",
    },
    Ending {
        what: "an Error echoing the password",
        outcome: "error",
        body: "callback(new Error('could not check ' + password));",
    },
    Ending {
        what: "a ValidationError",
        outcome: "error",
        body: "callback(new ValidationError('bad_email', 'not an email'));",
    },
    Ending {
        what: "an UnauthorizedError",
        outcome: "error",
        body: "callback(new UnauthorizedError('account locked in the legacy store'));",
    },
    Ending {
        what: "a thrown error",
        outcome: "threw",
        body: "null.boom;",
    },
    Ending {
        what: "a huge thrown message",
        outcome: "threw",
        body: "throw new Error('x'.repeat(100000));",
    },
    Ending {
        what: "true instead of a profile",
        outcome: "value",
        body: "callback(null, true);",
    },
    Ending {
        what: "a string instead of a profile",
        outcome: "error",
        body: "callback(null, 'ok');",
    },
    Ending {
        what: "a time-out",
        outcome: "timed_out",
        body: "setTimeout(function () { callback(); }, 60000);",
    },
    Ending {
        what: "no callback",
        outcome: "no_callback",
        body: "return;",
    },
    Ending {
        what: "out of memory",
        outcome: "out_of_memory",
        body: "var hog = []; for (;;) { hog.push(new Array(100000).fill('memory')); }",
    },
    Ending {
        what: "a script that does not compile",
        outcome: "invalid_script",
        body: "callback(null, {;",
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ferry_try_answers_as_the_mock_tenants_oauth_token_for_every_way_a_login_ends() {
    use mocks::auth0::{Auth0, DEFAULT_APP};

    let limit = Duration::from_millis(400);
    let auth0 = Auth0::new(Kit::deterministic(Clock::system(), 11));
    let connections: Vec<_> = ENDINGS
        .iter()
        .enumerate()
        .map(|(i, ending)| {
            json!({
                "name": format!("legacy-{i}"),
                "options": {
                    "enabledDatabaseCustomization": true,
                    "import_mode": true,
                    "customScripts": { "login": format!("function login(email, password, callback) {{\n  {}\n}}\n", ending.body) },
                },
            })
        })
        .collect();
    let seed = serde_json::from_value(json!({
        "settings": { "script_time_limit": "400ms", "bcrypt_cost": 4 },
        "connections": connections,
    }))
    .expect("a valid Auth0 seed");
    auth0.seed(seed).expect("the seed applies");
    let (client_id, client_secret) = auth0.client_credentials(DEFAULT_APP).expect("the default app");
    let server = mocks::start(auth0.clone(), mocks::LOOPBACK_EPHEMERAL)
        .await
        .expect("the mock starts");
    let http = sandbox::net::client_builder().no_proxy().build().expect("a client");

    for (i, ending) in ENDINGS.iter().enumerate() {
        let user = format!("user{i}@example.com");
        let password = "Tr1ed-Passw0rd";
        let source = format!("function login(email, password, callback) {{\n  {}\n}}\n", ending.body);

        let mut options = TryOptions::new(ScriptKind::Login, script("login.js", &source));
        options.args = vec![user.clone(), password.into()];
        options.timeout = limit;
        let report = try_script(options).await.expect("the script runs");
        let tried = &report.auth0;

        let res = http
            .post(format!("{}/oauth/token", server.base_url()))
            .json(&json!({
                "grant_type": "http://auth0.com/oauth/grant-type/password-realm",
                "client_id": client_id,
                "client_secret": client_secret,
                "realm": format!("legacy-{i}"),
                "username": user,
                "password": password,
            }))
            .send()
            .await
            .expect("the mock answers");
        let status = res.status().as_u16();
        let body: serde_json::Value = res.json().await.expect("a JSON answer");
        let what = ending.what;
        let answered = short(&body.to_string());
        assert_eq!(status, tried.status, "{what}: {answered}");
        assert_eq!(body["error"].as_str(), tried.error.as_deref(), "{what}: {answered}");
        assert!(
            body["error_description"].as_str() == tried.description.as_deref(),
            "{what}: the mock answers {answered}, ferry try {}",
            short(&format!("{:?}", tried.description))
        );
        assert_eq!(status == 200, tried.accepted, "{what}");

        let state = auth0.state();
        let event = state["logs"]
            .as_array()
            .and_then(|logs| logs.last())
            .cloned()
            .expect("a log event");
        let records: serde_json::Value = http
            .get(format!("{}/__ferry/scripts", server.base_url()))
            .send()
            .await
            .expect("the mock answers")
            .json()
            .await
            .expect("the script records");
        let record = records.as_array().and_then(|r| r.last()).expect("a script record");
        assert_eq!(record["outcome"], json!(ending.outcome), "{what}");
        let log = tried.log.as_ref().expect("every login is logged");
        let logged = short(&event.to_string());
        assert_eq!(event["type"], json!(log.kind), "{what}: {logged}");
        assert!(
            event["description"] == json!(log.description),
            "{what}: the tenant logs {logged}, ferry try {}",
            short(&log.description)
        );
        assert_eq!(event["connection"], json!(format!("legacy-{i}")), "{what}");
        let text = body.to_string() + &event.to_string() + &serde_json::to_string(&report).expect("json");
        assert!(!text.contains(password), "{what}: the password shows: {}", short(&text));
    }
    server.shutdown().await;
}

/// At most 300 characters of `text`, for failure messages.
fn short(text: &str) -> String {
    match text.char_indices().nth(300) {
        Some((at, _)) => format!("{}… ({} bytes)", &text[..at], text.len()),
        None => text.to_owned(),
    }
}

/// Auth0's printed get_user script for Okta with its placeholders filled.
fn printed_okta_get_user(domain: &str, token: &str) -> String {
    let printed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/okta/scripts/printed/get_user.js"),
    )
    .expect("the printed script");
    printed
        .replace("{yourOktaDomain}", domain)
        .replace("{yourOktaApiToken}", token)
}

#[tokio::test]
async fn the_services_hosts_reach_throw_away_mocks_and_routes_where_they_say() {
    let token = "00Zk3v4pXq9RtL2mN8bW6cY1dF7gH5jK0sA3eU4iOp";
    let path = script("get_user.js", &printed_okta_get_user("acme.okta.com", token));
    let seed = path.with_file_name("seed.yaml");
    std::fs::write(
        &seed,
        format!(
            "okta:\n  settings: {{ api_tokens: [\"{token}\"] }}\n  users:\n    - {{ login: kate.libby@example.com, id: 00ukatelibby00000000, password: \"Acid-Burn-1\", profile: {{ firstName: Kate, lastName: Libby }} }}\n"
        ),
    )
    .expect("seed");
    let mut options = TryOptions::new(ScriptKind::GetUser, path.clone());
    options.args = vec!["kate.libby@example.com".into()];
    options.seed = Some(seed);
    let report = try_script(options.clone()).await.expect("the script runs");
    let text = rendered(&report);
    let Verdict::Profile { profile } = &report.verdict else {
        panic!("expected a profile: {text}");
    };
    assert_eq!(profile["user_id"], json!("00ukatelibby00000000"), "{text}");
    let exchange = &report.outcome.http[0];
    assert_eq!(
        exchange.url,
        "https://acme.okta.com/api/v1/users/kate.libby%40example.com"
    );
    let sent_to = exchange.routed_to.clone().unwrap_or_default();
    assert!(sent_to.ends_with("(throw-away okta mock)"), "{text}");
    assert!(
        text.contains("GET https://acme.okta.com/api/v1/users/kate.libby%40example.com -> 200 (")
            && text.contains(&format!(", sent to {sent_to})")),
        "{text}"
    );
    assert!(text.contains("*.okta.com -> http://127.0.0.1:"), "{text}");

    // --route HOST=URL: the same script against another mock (Dade's Okta, its own token)
    let (server, other_token) = okta().await;
    let path = script("get_user.js", &printed_okta_get_user("acme.okta.com", &other_token));
    let mut options = TryOptions::new(ScriptKind::GetUser, path);
    options.args = vec!["dade.murphy@example.com".into()];
    options.routes = vec![("acme.okta.com".into(), server.base_url().to_owned())];
    let report = try_script(options).await.expect("the script runs");
    let text = rendered(&report);
    assert!(matches!(report.verdict, Verdict::Profile { .. }), "{text}");
    assert_eq!(
        report.outcome.http[0].routed_to.as_deref(),
        Some(server.base_url()),
        "{text}"
    );

    // a bad route is refused before anything runs
    assert!(ferry::tryout::parse_route("acme.okta.com=ftp://x").is_err());
    assert!(ferry::tryout::parse_route("acme.okta.com=oktaa").is_err());
    assert!(ferry::tryout::parse_route("10.0.0.1=okta").is_err());
    assert_eq!(
        ferry::tryout::parse_route("*.acme.com=okta"),
        Ok(("*.acme.com".to_owned(), "okta".to_owned()))
    );

    // with --allow-any-host the services' names are the real ones: no route, no mock
    let path = script("nothing.js", "function getByEmail(email, callback) { callback(); }\n");
    let mut options = TryOptions::new(ScriptKind::GetUser, path);
    options.args = vec!["a@example.com".into()];
    options.allow_any_host = true;
    let report = try_script(options).await.expect("the script runs");
    assert!(report.routes.is_empty(), "{:?}", report.routes);
}
