//! Security as tests (issues 6 and 17): the Management API never returns a password hash; secrets
//! (API tokens, client secrets, script configuration values) never appear in journals, logs,
//! script records, engine reports, scenario reports or snapshots; a hostile script that echoes its
//! password or a secret configuration value through any channel (error, exception, console,
//! profile fields, requests) has it masked in script records, tenant logs, the state, the users,
//! the dashboard's data and `ferry try --json`; every mock refuses wrong credentials as the real
//! service does; everything binds to loopback unless told otherwise.
//!
//! The mocks run in this test on loopback (`ferry::serve::start`, as `ferry serve` starts them);
//! `ferry import` and `ferry serve` run as child processes. Run with
//! `cargo test --test security`; a leak names the secret's label and where it was found.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ferry::serve::Served;
use mocks::auth0::{Auth0, MANAGEMENT_APP};
use mocks::gigya::{DEFAULT_API_KEY, DEFAULT_SECRET, DEFAULT_USER_KEY};
use mocks::okta::DEFAULT_API_TOKEN;
use mocks::stormpath::{DEFAULT_API_KEY_ID, DEFAULT_API_KEY_SECRET, DEFAULT_APPLICATION_ID};
use mocks::{Clock, Kit, Provider};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use sha2::Digest;

use common::{Scratch, loopback, serve};

/// bcrypt("U*U") at cost 5, from the OpenBSD test vectors.
const BCRYPT_U_STAR_U: &str = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";
/// bcrypt("hello") at cost 10, Auth0's documented example: the only cost Auth0's import takes
/// in `password_hash` (`import_schema::password_hash_accepted`).
const BCRYPT_HELLO: &str = "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K";
/// A configuration value named like a secret, which scripts print and send.
const PARTNER_KEY: &str = "partner-key-5f0c2e9a71d3";

/// Every mock on loopback, seeded from `seed` (the `ferry serve --seed` format), with the mock
/// Auth0's Management API rate limit lifted: these tests are about secrets and credentials, and
/// make more requests a second than the free tier's default 2.
async fn world(scratch: &Scratch, seed: &Value) -> Served {
    let served = serve(scratch, seed).await;
    served
        .auth0
        .seed(mocks::kit::seed::parse(r#"{ "settings": { "rate_limits": "off" } }"#, None).expect("settings seed"))
        .expect("limits off");
    served
}

fn http() -> reqwest::Client {
    sandbox::net::client_builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

fn url(served: &Served, mock: &str, path: &str) -> String {
    format!("{}{path}", served.base_url(mock).expect("the mock runs"))
}

/// An answer: status, headers and the raw text (JSON parsed on demand).
struct Answer {
    status: u16,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let res = request.send().await.expect("the mock answers");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.expect("a body");
    Answer { status, headers, text }
}

/// A Management API token of the built-in machine-to-machine application.
async fn management_token(served: &Served) -> String {
    let (id, secret) = served.auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    let res = answer(http().post(url(served, "auth0", "/oauth/token")).json(&json!({
        "grant_type": "client_credentials",
        "client_id": id,
        "client_secret": secret,
        "audience": served.auth0.management_audience(),
    })))
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    res.json()["access_token"].as_str().expect("a token").to_owned()
}

/// Fails naming every `(label, secret)` found in `text`, and where.
#[track_caller]
fn assert_free_of(place: &str, text: &str, secrets: &[(&str, &str)]) {
    let found: Vec<&str> = secrets
        .iter()
        .filter(|(_, secret)| !secret.is_empty() && text.contains(secret))
        .map(|(label, _)| *label)
        .collect();
    assert!(found.is_empty(), "{place} shows {found:?}:\n{text}");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every file under `dir`, read as text.
fn files_under(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("a directory").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text = String::from_utf8_lossy(&std::fs::read(&path).expect("readable")).into_owned();
                out.push((path, text));
            }
        }
    }
    out
}

// ------------------------------------------------------------------ password hashes

/// Users with a password every way Auth0 gets one (seeded, created through the API, imported
/// with a bcrypt `password_hash`, imported with a `custom_password_hash` then rehashed by a
/// login, a failed import row carrying a hash), then every Management API answer that carries
/// users, asked for the hash fields by name too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_management_api_never_returns_a_password_hash_and_the_import_report_holds_none() {
    let scratch = Scratch::new("hashes");
    let served = world(
        &scratch,
        &json!({ "auth0": {
            "settings": { "bcrypt_cost": 4 },
            "connections": [{ "name": "users" }],
            "users": [{ "connection": "users", "email": "seeded@example.com", "password": "Seeded-Pass-1" }],
        }}),
    )
    .await;
    let client = http();
    let token = management_token(&served).await;
    let api =
        |method: reqwest::Method, path: &str| client.request(method, url(&served, "auth0", path)).bearer_auth(&token);

    let created = answer(api(reqwest::Method::POST, "/api/v2/users").json(&json!({
        "connection": "users", "email": "created@example.com", "password": "Created-Pass-1",
    })))
    .await;
    assert_eq!(created.status, 201, "{}", created.text);

    let sha256 = hex(&sha2::Sha256::digest(b"Custom-Pass-1"));
    let users = json!([
        { "email": "bcrypt@example.com", "email_verified": true, "password_hash": BCRYPT_HELLO },
        { "email": "custom@example.com", "email_verified": true,
          "custom_password_hash": { "algorithm": "sha256", "hash": { "value": sha256, "encoding": "hex" } } },
        { "email": "not-an-email", "password_hash": BCRYPT_HELLO },
    ]);
    let file = scratch.join("users.json");
    std::fs::write(&file, users.to_string()).expect("import file");
    let report = scratch.join("report");
    let (client_id, client_secret) = served.auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    let output = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .arg("import")
        .arg(&file)
        .args(["--connection", "users", "--poll", "0.05"])
        .args(["--auth0-url", served.base_url("auth0").expect("auth0 url")])
        .args(["--client-id", &client_id])
        .arg("--report")
        .arg(&report)
        .env("FERRY_AUTH0_CLIENT_SECRET", &client_secret)
        .output()
        .expect("ferry import runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "one row fails:\n{stdout}\n{stderr}");

    for (username, password) in [("bcrypt@example.com", "hello"), ("custom@example.com", "Custom-Pass-1")] {
        let login = answer(client.post(url(&served, "auth0", "/oauth/token")).json(&json!({
            "grant_type": "http://auth0.com/oauth/grant-type/password-realm",
            "realm": "users",
            "client_id": served.auth0.client_credentials(mocks::auth0::DEFAULT_APP).expect("default app").0,
            "client_secret": served.auth0.client_credentials(mocks::auth0::DEFAULT_APP).expect("default app").1,
            "username": username,
            "password": password,
        })))
        .await;
        assert_eq!(login.status, 200, "{username}: {}", login.text);
    }

    let listed = answer(api(reqwest::Method::GET, "/api/v2/users?per_page=100")).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let ids: Vec<String> = listed
        .json()
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["user_id"].as_str().expect("user_id").to_owned())
        .collect();
    assert_eq!(ids.len(), 4, "seeded, created and two imported: {}", listed.text);
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("summary.json")).expect("summary.json"))
            .expect("JSON");
    let job_id = summary["jobs"][0]["id"]
        .as_str()
        .expect("the report names its job")
        .to_owned();

    let mut answers = vec![listed];
    for path in [
        "/api/v2/users?fields=password_hash,custom_password_hash,password&include_fields=true".to_owned(),
        "/api/v2/users?fields=email&include_fields=false".to_owned(),
        "/api/v2/users?q=_exists_:password_hash&search_engine=v3".to_owned(),
        "/api/v2/users?include_totals=true&q=email:*example.com".to_owned(),
        "/api/v2/users-by-email?email=bcrypt@example.com".to_owned(),
        "/api/v2/users-by-email?email=custom@example.com&fields=password_hash".to_owned(),
        format!("/api/v2/jobs/{job_id}/errors"),
        "/api/v2/logs".to_owned(),
    ] {
        answers.push(answer(api(reqwest::Method::GET, &path)).await);
    }
    for id in &ids {
        let id = id.replace('|', "%7C");
        answers.push(answer(api(reqwest::Method::GET, &format!("/api/v2/users/{id}"))).await);
        answers.push(
            answer(api(
                reqwest::Method::GET,
                &format!("/api/v2/users/{id}?fields=password_hash,custom_password_hash&include_fields=true"),
            ))
            .await,
        );
        answers.push(
            answer(
                api(reqwest::Method::PATCH, &format!("/api/v2/users/{id}"))
                    .json(&json!({ "user_metadata": { "checked": true } })),
            )
            .await,
        );
    }
    answers.push(created);
    answers.push(answer(client.get(url(&served, "auth0", "/__ferry/state"))).await);
    let hashes = [
        ("a bcrypt hash", "$2a$"),
        ("a bcrypt hash", "$2b$"),
        ("a bcrypt hash", "$2y$"),
        ("the imported sha256", sha256.as_str()),
        ("the field password_hash", "password_hash\":\"$"),
        ("the field custom_password_hash", "custom_password_hash\":{"),
    ];
    for answer in &answers {
        assert!(answer.status < 300, "{}", answer.text);
        assert_free_of("a Management API answer", &answer.text, &hashes);
        if let Ok(Value::Array(users)) = serde_json::from_str::<Value>(&answer.text) {
            for user in &users {
                for field in ["password", "password_hash", "custom_password_hash", "passwordHash"] {
                    assert!(user.get(field).is_none(), "{field} in {user:#}");
                }
            }
        }
    }

    let secrets = [
        ("the client secret", client_secret.as_str()),
        ("a bcrypt hash", "$2a$"),
        ("the imported sha256", sha256.as_str()),
    ];
    assert_free_of("ferry import's output", &format!("{stdout}\n{stderr}"), &secrets);
    let report_files = files_under(&report);
    assert!(!report_files.is_empty(), "ferry import wrote a report");
    for (path, text) in &report_files {
        assert_free_of(&path.display().to_string(), text, &secrets);
    }
    // The import job's multipart upload carried the hashes: the journal keeps a summary of
    // the file, not the file.
    let http = sandbox::net::client_builder().build().expect("an HTTP client");
    let journal = answer(http.get(url(&served, "auth0", "/__ferry/journal"))).await;
    assert_eq!(journal.status, 200, "{}", journal.text);
    assert!(
        journal.text.contains("not journaled"),
        "the users file is summarised: {}",
        journal.text
    );
    assert_free_of("the mock Auth0's journal", &journal.text, &secrets);
    served.shutdown().await;
}

// ------------------------------------------------------------------ journals, logs, script records

const LOGIN_SCRIPT: &str = r#"function login(email, password, callback) {
  console.log('calling Okta with key ' + configuration.PARTNER_API_KEY + ' for ' + email);
  request({
    url: configuration.OKTA_URL + '/api/v1/authn',
    method: 'POST',
    headers: { 'X-Partner-Key': configuration.PARTNER_API_KEY },
    json: { username: email, password: password }
  }, function (error, response, body) {
    if (error) return callback(error);
    if (response.statusCode !== 200) return callback(new WrongUsernameOrPasswordError(email));
    request({
      url: configuration.OKTA_URL + '/api/v1/users/' + body._embedded.user.id,
      headers: { 'Authorization': 'SSWS ' + configuration.OKTA_API_TOKEN },
      json: true
    }, function (error, response, user) {
      if (error || response.statusCode !== 200) return callback(new Error('Okta answered ' + (response && response.statusCode)));
      callback(null, { user_id: user.id, email: user.profile.login, email_verified: true });
    });
  });
}"#;

/// Each mock called with its credentials (and users' passwords) the ways clients send them; a
/// custom database script that prints a secret configuration value, sends it in a header, and
/// sends the Okta API token. Then nothing the mocks show — journals, the
/// tenant's logs, script records, connections, state — holds any of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journals_logs_and_script_records_never_show_a_secret() {
    let scratch = Scratch::new("journals");
    let served = world(
        &scratch,
        &json!({
            "okta": { "users": [{ "login": "dade@example.com", "password": "Okta-Pass-0001", "profile": { "firstName": "Dade", "lastName": "Murphy" } }] },
            "stormpath": { "accounts": [{ "username": "kate", "email": "kate@example.com", "givenName": "Kate", "surname": "Libby", "password": "Storm-Pass-0001" }] },
            "gigya": { "accounts": [{ "UID": "uid-1", "profile": { "email": "paul@example.com" }, "password": "Gigya-Pass-0001" }] },
        }),
    )
    .await;
    served
        .auth0
        .seed(
            mocks::kit::seed::parse(
                &json!({ "connections": [{
                    "name": "okta-users",
                    "options": {
                        "enabledDatabaseCustomization": true,
                        "import_mode": true,
                        "customScripts": { "login": LOGIN_SCRIPT },
                        "configuration": {
                            "OKTA_URL": served.base_url("okta").expect("okta url"),
                            "OKTA_API_TOKEN": DEFAULT_API_TOKEN,
                            "PARTNER_API_KEY": PARTNER_KEY,
                        },
                    },
                }]})
                .to_string(),
                None,
            )
            .expect("auth0 seed"),
        )
        .expect("auth0 seeded");
    let client = http();
    let (m2m_id, m2m_secret) = served.auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    let (app_id, app_secret) = served
        .auth0
        .client_credentials(mocks::auth0::DEFAULT_APP)
        .expect("default app");

    // Okta: the API token, and a user's password.
    let res = answer(
        client
            .get(url(&served, "okta", "/api/v1/users"))
            .header("Authorization", format!("SSWS {DEFAULT_API_TOKEN}")),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = answer(
        client
            .post(url(&served, "okta", "/api/v1/authn"))
            .json(&json!({ "username": "dade@example.com", "password": "Okta-Pass-0001" })),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let session_token = res.json()["sessionToken"].as_str().unwrap_or_default().to_owned();

    // Stormpath: the API key (HTTP Basic), and a login attempt's Base64 credentials.
    let login_value = base64_encode("kate@example.com:Storm-Pass-0001");
    let res = answer(
        client
            .post(url(
                &served,
                "stormpath",
                &format!("/v1/applications/{DEFAULT_APPLICATION_ID}/loginAttempts"),
            ))
            .basic_auth(DEFAULT_API_KEY_ID, Some(DEFAULT_API_KEY_SECRET))
            .json(&json!({ "type": "basic", "value": login_value })),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);

    // Gigya: the secret as a parameter, and a password.
    let res = answer(client.post(url(&served, "gigya", "/accounts.login")).form(&[
        ("apiKey", DEFAULT_API_KEY),
        ("userKey", DEFAULT_USER_KEY),
        ("secret", DEFAULT_SECRET),
        ("loginID", "paul@example.com"),
        ("password", "Gigya-Pass-0001"),
    ]))
    .await;
    assert_eq!(res.json()["errorCode"], 0, "{}", res.text);

    // Auth0: client secrets in the body and in HTTP Basic, tokens, a password through the script.
    let res = answer(client.post(url(&served, "auth0", "/oauth/token")).json(&json!({
        "grant_type": "client_credentials",
        "client_id": m2m_id,
        "client_secret": m2m_secret,
        "audience": served.auth0.management_audience(),
    })))
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let management_token = res.json()["access_token"].as_str().expect("token").to_owned();
    let res = answer(
        client
            .post(url(&served, "auth0", "/oauth/token"))
            .basic_auth(&app_id, Some(&app_secret))
            .form(&[
                ("grant_type", "http://auth0.com/oauth/grant-type/password-realm"),
                ("realm", "okta-users"),
                ("username", "dade@example.com"),
                ("password", "Okta-Pass-0001"),
                ("scope", "openid"),
            ]),
    )
    .await;
    assert_eq!(res.status, 200, "the script migrates the user: {}", res.text);
    let user_tokens = res.json();
    let res = answer(client.post(url(&served, "auth0", "/oauth/token")).json(&json!({
        "grant_type": "http://auth0.com/oauth/grant-type/password-realm",
        "client_id": app_id, "client_secret": app_secret, "realm": "okta-users",
        "username": "dade@example.com", "password": "Wrong-Pass-0001",
    })))
    .await;
    assert_eq!(res.status, 403, "{}", res.text);

    let mut secrets: Vec<(&str, String)> = vec![
        ("the Okta API token", DEFAULT_API_TOKEN.into()),
        ("the Stormpath API key secret", DEFAULT_API_KEY_SECRET.into()),
        ("the Stormpath login value", login_value.clone()),
        ("the Gigya secret", DEFAULT_SECRET.into()),
        ("the management client secret", m2m_secret.clone()),
        ("the default app's client secret", app_secret.clone()),
        ("the management token", management_token.clone()),
        ("a configuration value", PARTNER_KEY.into()),
        ("a password", "Okta-Pass-0001".into()),
        ("a password", "Storm-Pass-0001".into()),
        ("a password", "Gigya-Pass-0001".into()),
        ("a password", "Wrong-Pass-0001".into()),
        ("an Okta session token", session_token),
    ];
    for field in ["access_token", "id_token"] {
        if let Some(token) = user_tokens[field].as_str() {
            secrets.push(("a user's token", token.to_owned()));
        }
    }
    let secrets: Vec<(&str, &str)> = secrets.iter().map(|(l, s)| (*l, s.as_str())).collect();

    let mut shown = Vec::new();
    for mock in ["okta", "stormpath", "gigya", "auth0"] {
        for path in ["/__ferry/journal", "/__ferry/state"] {
            let res = answer(client.get(url(&served, mock, path))).await;
            assert_eq!(res.status, 200, "{mock} {path}: {}", res.text);
            shown.push((format!("{mock} {path}"), res));
        }
    }
    for path in ["/__ferry/scripts", "/__ferry/outbox"] {
        let res = answer(client.get(url(&served, "auth0", path))).await;
        assert_eq!(res.status, 200, "{path}: {}", res.text);
        shown.push((format!("auth0 {path}"), res));
    }
    for path in [
        "/api/v2/logs",
        "/api/v2/connections",
        "/api/v2/clients",
        "/api/v2/users",
    ] {
        let res = answer(client.get(url(&served, "auth0", path)).bearer_auth(&management_token)).await;
        assert_eq!(res.status, 200, "{path}: {}", res.text);
        shown.push((format!("auth0 {path}"), res));
    }
    // What was shown is what was done: the journals hold the calls and the script record its
    // console line and both requests, with the secrets masked.
    let journal = |mock: &str| {
        &shown
            .iter()
            .find(|(p, _)| p == &format!("{mock} /__ferry/journal"))
            .expect("shown")
            .1
            .text
    };
    assert!(journal("okta").contains("/api/v1/authn") && journal("okta").contains("/api/v1/users"));
    assert!(journal("stormpath").contains("loginAttempts"));
    assert!(journal("gigya").contains("accounts.login"));
    let scripts = &shown
        .iter()
        .find(|(p, _)| p == "auth0 /__ferry/scripts")
        .expect("shown")
        .1
        .text;
    assert!(scripts.contains("calling Okta with key"), "{scripts}");
    assert!(scripts.contains("X-Partner-Key"), "{scripts}");
    for (place, res) in &shown {
        assert_free_of(place, &res.text, &secrets);
    }
    served.shutdown().await;
}

fn base64_encode(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

// ------------------------------------------------------------------ what scripts echo

/// The password the hostile logins type: scripts echo it back.
const ECHOED_PASSWORD: &str = "Echoed-Passw0rd-77";
/// A configuration value named like a secret (`LEGACY_API_TOKEN`): scripts echo it back.
const ECHOED_TOKEN: &str = "legacy-token-9c41d7e2";

/// Login scripts that put the password and a secret configuration value in every channel a
/// script's output reaches the tenant by: `(channel, the body of the login function)`.
const ECHOES: &[(&str, &str)] = &[
    (
        "a callback error",
        "callback(new Error('login with ' + password + ' and ' + configuration.LEGACY_API_TOKEN + ' failed'));",
    ),
    (
        "WrongUsernameOrPasswordError",
        "callback(new WrongUsernameOrPasswordError(password, 'no user with ' + configuration.LEGACY_API_TOKEN));",
    ),
    (
        "UnauthorizedError",
        "callback(new UnauthorizedError('blocked: ' + password + ' ' + configuration.LEGACY_API_TOKEN));",
    ),
    (
        "ValidationError",
        "callback(new ValidationError(password, 'invalid ' + configuration.LEGACY_API_TOKEN));",
    ),
    (
        "an error's own fields",
        "var e = new Error('see description'); e.description = password; e.code = configuration.LEGACY_API_TOKEN; callback(e);",
    ),
    (
        "a thrown error",
        "throw new Error(password + ' / ' + configuration.LEGACY_API_TOKEN);",
    ),
    (
        "a thrown error in a timer",
        "setTimeout(function () { throw new TypeError('late ' + password + configuration.LEGACY_API_TOKEN); }, 1);",
    ),
    (
        "a rejected promise",
        "Promise.reject(new Error('rejected ' + password + configuration.LEGACY_API_TOKEN));",
    ),
    (
        "console.log and console.error",
        "console.log('password', password); console.error('token=' + configuration.LEGACY_API_TOKEN); console.warn({ p: password, deep: { t: [configuration.LEGACY_API_TOKEN] } }); callback();",
    ),
    (
        "profile fields",
        "callback(null, { user_id: 'fields-' + email.split('@')[0], email: email, password: password, note: 'token ' + configuration.LEGACY_API_TOKEN });",
    ),
    (
        "nested profile fields",
        "callback(null, { user_id: 'nested-' + email.split('@')[0], email: email, user_metadata: { legacy: { pw: [password], cfg: { t: configuration.LEGACY_API_TOKEN } } }, app_metadata: { copy: 'was ' + password } });",
    ),
    (
        "a value that is not a profile",
        "callback(null, 'pw=' + password + ' token=' + configuration.LEGACY_API_TOKEN);",
    ),
    (
        "a request's URL and headers",
        "request({ url: 'http://127.0.0.1:9/check?pw=' + password, headers: { 'X-Echo': configuration.LEGACY_API_TOKEN, 'X-Plain': password } }, function () { callback(); });",
    ),
];

fn text_of<'a>(shown: &'a [(String, Answer)], place: &str) -> &'a str {
    &shown.iter().find(|(p, _)| p == place).expect("shown").1.text
}

fn echo_script(body: &str) -> String {
    format!("function login(email, password, callback) {{\n  {body}\n}}\n")
}

/// Every way a script can echo its password or a secret configuration value (an error's
/// message or fields, a thrown exception, a rejection, console output, profile fields at any
/// depth, a request's URL and headers), on logins through `/oauth/token` and a legacy signup's
/// create script: none of it reaches the script records (`/__ferry/scripts`), the tenant logs
/// (`GET /api/v2/logs`), the state (`/__ferry/state`), the users, the answers, or the dashboard's
/// data (its relay of state, scripts and journal); the records show where the mask went.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_script_echoes_is_masked_wherever_the_tenant_keeps_it() {
    let scratch = Scratch::new("echoes");
    let served = world(&scratch, &json!({})).await;
    let configuration = json!({ "LEGACY_API_TOKEN": ECHOED_TOKEN, "LEGACY_URL": "http://127.0.0.1:9" });
    let mut connections: Vec<Value> = ECHOES
        .iter()
        .enumerate()
        .map(|(i, (_, body))| {
            json!({
                "name": format!("echo-{i}"),
                "options": {
                    "enabledDatabaseCustomization": true,
                    "import_mode": true,
                    "customScripts": { "login": echo_script(body) },
                    "configuration": configuration,
                },
            })
        })
        .collect();
    // legacy authentication: signup runs the create script with the user's password
    connections.push(json!({
        "name": "echo-create",
        "options": {
            "enabledDatabaseCustomization": true,
            "customScripts": {
                "login": echo_script("callback();"),
                "create": "function create(user, callback) {\n  console.log('creating', JSON.stringify(user), configuration.LEGACY_API_TOKEN);\n  callback(new ValidationError('user_exists', 'exists with ' + user.password));\n}\n",
            },
            "configuration": configuration,
        },
    }));
    served
        .auth0
        .seed(mocks::kit::seed::parse(&json!({ "connections": connections }).to_string(), None).expect("auth0 seed"))
        .expect("auth0 seeded");
    let client = http();
    let (app_id, app_secret) = served
        .auth0
        .client_credentials(mocks::auth0::DEFAULT_APP)
        .expect("default app");

    let mut answers = Vec::new();
    for (i, (channel, _)) in ECHOES.iter().enumerate() {
        let res = answer(client.post(url(&served, "auth0", "/oauth/token")).json(&json!({
            "grant_type": "http://auth0.com/oauth/grant-type/password-realm",
            "client_id": app_id, "client_secret": app_secret, "realm": format!("echo-{i}"),
            "username": format!("echo{i}@example.com"), "password": ECHOED_PASSWORD,
        })))
        .await;
        let migrated = channel.contains("profile fields");
        assert_eq!(res.status == 200, migrated, "{channel}: {}", res.text);
        answers.push((format!("the /oauth/token answer to {channel}"), res));
    }
    let res = answer(
        client
            .post(url(&served, "auth0", "/dbconnections/signup"))
            .json(&json!({
                "client_id": app_id, "connection": "echo-create",
                "email": "echo-create@example.com", "password": ECHOED_PASSWORD,
            })),
    )
    .await;
    assert_eq!(res.status, 400, "the create script refuses: {}", res.text);
    answers.push(("the signup answer".to_owned(), res));

    let token = management_token(&served).await;
    let mut shown = answers;
    for path in ["/__ferry/scripts", "/__ferry/state", "/__ferry/journal"] {
        shown.push((path.to_owned(), answer(client.get(url(&served, "auth0", path))).await));
    }
    for path in ["/api/v2/logs?per_page=100", "/api/v2/users?per_page=100"] {
        shown.push((
            path.to_owned(),
            answer(client.get(url(&served, "auth0", path)).bearer_auth(&token)).await,
        ));
    }
    // The dashboard as `ferry serve` starts it: with the Management API behind its Users view.
    let dashboard = ferry::dashboard::start(served.dashboard_links(), (loopback(), 0).into())
        .await
        .expect("the dashboard starts");
    for path in [
        "/api/mocks/auth0/state",
        "/api/mocks/auth0/scripts?tail=500",
        "/api/mocks/auth0/users",
        "/api/journal?mock=auth0&limit=500",
    ] {
        let res = answer(client.get(format!("{}{path}", dashboard.base_url()))).await;
        shown.push((format!("the dashboard's {path}"), res));
    }

    let secrets = [
        ("the password", ECHOED_PASSWORD),
        ("the configuration value", ECHOED_TOKEN),
    ];
    for (place, res) in &shown {
        if !place.contains("answer") {
            assert_eq!(res.status, 200, "{place}: {}", res.text);
        }
        assert_free_of(place, &res.text, &secrets);
    }
    let state: Value = serde_json::from_str(text_of(&shown, "/__ferry/state")).expect("the state");
    let stored = state["users"]
        .as_array()
        .and_then(|users| {
            users
                .iter()
                .find(|u| u["user_id"].as_str().is_some_and(|id| id.contains("nested-")))
        })
        .expect("the user whose profile nested the password");
    assert_eq!(stored["user_metadata"]["legacy"]["pw"], json!(["[masked]"]), "{stored}");
    assert_eq!(stored["app_metadata"]["copy"], json!("was [masked]"), "{stored}");

    // What was shown is what the scripts did, masked where they echoed.
    let text = |place: &str| text_of(&shown, place);
    let records: Value = serde_json::from_str(text("/__ferry/scripts")).expect("records");
    let records = records.as_array().expect("a list");
    assert_eq!(records.len(), ECHOES.len() + 1, "one record per run");
    for (record, (channel, _)) in records.iter().zip(ECHOES) {
        assert!(record.to_string().contains("[masked]"), "{channel}: {record}");
    }
    let logs = text("/api/v2/logs?per_page=100");
    assert!(logs.contains("login with [masked] and [masked] failed"), "{logs}");
    assert!(logs.contains("[masked] / [masked]"), "{logs}");
    let users: Value = serde_json::from_str(text("/api/v2/users?per_page=100")).expect("users");
    let fields = users
        .as_array()
        .and_then(|users| {
            users
                .iter()
                .find(|u| u["user_id"].as_str().is_some_and(|id| id.contains("fields-")))
        })
        .expect("the user whose profile echoed the password");
    // the Management API never shows a `password` attribute; masked in the store all the same
    assert!(fields["password"].is_null(), "{fields}");
    assert_eq!(fields["note"], json!("token [masked]"), "{fields}");
    assert!(text("the signup answer").contains("exists with [masked]"));
    assert!(text("the dashboard's /api/mocks/auth0/scripts?tail=500").contains("[masked]"));
    dashboard.shutdown().await;

    // `ferry try --json` keeps the same: the binary, each script, the same arguments.
    for (channel, body) in ECHOES {
        let path = scratch.join("login.js");
        std::fs::write(&path, echo_script(body)).expect("the script");
        let output = Command::new(env!("CARGO_BIN_EXE_ferry"))
            .args(["try", "login", "--script"])
            .arg(&path)
            .args(["--config", &format!("LEGACY_API_TOKEN={ECHOED_TOKEN}")])
            .args([
                "--config",
                "LEGACY_URL=http://127.0.0.1:9",
                "--timeout",
                "5",
                "--json",
                "--",
            ])
            .args(["echo@example.com", ECHOED_PASSWORD])
            .output()
            .expect("ferry try runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{channel}: {e}: {stdout}"));
        assert!(stdout.contains("[masked]"), "{channel}: {stdout}");
        assert_free_of(&format!("ferry try --json, {channel}"), &stdout, &secrets);
        assert_free_of(
            &format!("ferry try's stderr, {channel}"),
            &String::from_utf8_lossy(&output.stderr),
            &secrets,
        );
        assert!(report["auth0"]["status"].is_u64(), "{channel}: {report}");
    }
    served.shutdown().await;
}

// ------------------------------------------------------------------ scenario reports and snapshots

/// The credentials the scenario runner's mocks hold: every mock's defaults, and the Auth0
/// tenant's client secrets (seeded ids: the runner's tenant seed is 2).
fn scenario_secrets() -> Vec<(String, String)> {
    let auth0 = Auth0::new(Kit::deterministic(Clock::manual(Clock::scenario_epoch()), 2));
    let mut secrets = vec![
        ("the Okta API token".to_owned(), DEFAULT_API_TOKEN.to_owned()),
        (
            "the Stormpath API key secret".to_owned(),
            DEFAULT_API_KEY_SECRET.to_owned(),
        ),
        ("the Gigya secret".to_owned(), DEFAULT_SECRET.to_owned()),
    ];
    for (name, _, secret) in auth0.clients() {
        secrets.push((format!("the client secret of {name}"), secret));
    }
    secrets
}

/// Scenarios whose scripts send API tokens and keys from their configuration, whose engine runs
/// hold a Gigya secret and a client secret, and which deploy configuration values: their reports
/// (as `ferry run -v` prints them, and their snapshots) name no secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_reports_never_show_a_secret() {
    let secrets = scenario_secrets();
    let secrets: Vec<(&str, &str)> = secrets.iter().map(|(l, s)| (l.as_str(), s.as_str())).collect();
    for file in [
        "scenarios/okta/password_expired_hardened.yaml",
        "scenarios/okta/revoked_api_token_hardened.yaml",
        "scenarios/okta/deployed_with_ferry_deploy.yaml",
        "scenarios/stormpath/first_login_migrates.yaml",
        "scenarios/stormpath/wrong_api_key_hardened.yaml",
        "scenarios/gigya/documented_flow.yaml",
        "scenarios/gigya/wrong_secret.yaml",
        "scenarios/auth0/import_custom_password_hashes.yaml",
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let scenario = ferry::scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let report = ferry::scenario::run(&scenario).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(report.passed(), "{}", report.render(true));
        assert_free_of(&format!("{file}: the verbose report"), &report.render(true), &secrets);
        assert_free_of(
            &format!("{file}: the script records"),
            &format!("{:?}", report.scripts),
            &secrets,
        );
        if file.contains("hardened") {
            // The scripts did send the token or key: the records show where, masked.
            let records = format!("{:?}", report.scripts);
            assert!(records.contains("[masked]"), "{file}: {records}");
        }
        let snapshot = serde_json::to_string_pretty(&report.snapshot()).expect("json");
        assert_free_of(&format!("{file}: the snapshot"), &snapshot, &secrets);
        for user in &report.users {
            for field in ["password", "password_hash", "custom_password_hash"] {
                assert!(user.get(field).is_none(), "{file}: {field} in {user:#}");
            }
        }
    }
}

/// Password hashes in `text`: a `$`-prefixed crypt or PHC string of a hashing scheme, long
/// enough to hold a salt and a digest (a scheme merely named, like "MD5-crypt ($1$)", is not one).
fn hashes_in(text: &str) -> Vec<&str> {
    const PREFIXES: &[&str] = &[
        "$2a$",
        "$2b$",
        "$2y$",
        "$1$",
        "$5$",
        "$6$",
        "$pbkdf2",
        "$argon2",
        "$stormpath",
        "$S$",
        "$P$",
        "$H$",
    ];
    text.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '(' | ')'))
        .filter(|token| token.len() >= 30 && PREFIXES.iter().any(|p| token.starts_with(p)))
        .collect()
}

/// Every reviewed snapshot: no mock credential, no client secret, no password hash.
#[test]
fn no_snapshot_holds_a_secret_or_a_password_hash() {
    assert_eq!(
        hashes_in(&format!("hash: \"{BCRYPT_U_STAR_U}\", named: $2a$ and $1$")),
        [BCRYPT_U_STAR_U]
    );
    let secrets = scenario_secrets();
    let secrets: Vec<(&str, &str)> = secrets.iter().map(|(l, s)| (l.as_str(), s.as_str())).collect();
    let snapshots = files_under(&Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots"));
    assert!(snapshots.len() > 50, "the snapshots are there: {}", snapshots.len());
    let mut leaks = Vec::new();
    for (path, text) in &snapshots {
        for (label, secret) in &secrets {
            if text.contains(secret) {
                leaks.push(format!("{}: {label}", path.display()));
            }
        }
        for hash in hashes_in(text) {
            leaks.push(format!("{}: the hash {hash}", path.display()));
        }
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
}

// ------------------------------------------------------------------ wrong credentials

/// Each mock refuses wrong credentials with the real service's status and error body
/// (`shared/reference/*.md`): Okta 401 E0000011 for a bad or missing API token and 401
/// E0000004 for a wrong password; Stormpath 401 for a bad or missing API key and 400 7100 for a
/// wrong password; Gigya 400093 for an unknown API key, 403003 for a wrong secret and 403042
/// for a wrong password; Auth0 401 `access_denied` for a wrong client secret, 401 for a
/// missing or forged Management API token and 403 `invalid_grant` for a wrong password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mock_refuses_wrong_credentials_as_the_real_service_does() {
    let scratch = Scratch::new("credentials");
    let served = world(
        &scratch,
        &json!({
            "okta": { "users": [{ "login": "dade@example.com", "password": "Okta-Pass-0001", "profile": { "firstName": "Dade", "lastName": "Murphy" } }] },
            "stormpath": { "accounts": [{ "username": "kate", "email": "kate@example.com", "givenName": "Kate", "surname": "Libby", "password": "Storm-Pass-0001" }] },
            "gigya": { "accounts": [{ "UID": "uid-1", "profile": { "email": "paul@example.com" }, "password": "Gigya-Pass-0001" }] },
            "auth0": {
                "connections": [{ "name": "users" }],
                "users": [{ "connection": "users", "email": "emmanuel@example.com", "password": "Auth0-Pass-0001" }],
            },
        }),
    )
    .await;
    let client = http();

    // Okta.
    let okta_error = |res: &Answer, code: &str, summary: &str| {
        // No Authorization header at all is 403 E0000005 (FIDELITY.md okta/users-auth).
        let status = if code == "E0000005" { 403 } else { 401 };
        assert_eq!(res.status, status, "{}", res.text);
        assert_eq!(res.header("content-type"), "application/json", "{}", res.text);
        let body = res.json();
        assert_eq!(
            (body["errorCode"].as_str(), body["errorSummary"].as_str()),
            (Some(code), Some(summary)),
            "{body}"
        );
        assert_eq!(body["errorLink"], code);
        assert!(body["errorId"].as_str().is_some_and(|id| !id.is_empty()), "{body}");
        assert!(body["errorCauses"].is_array(), "{body}");
    };
    let users = url(&served, "okta", "/api/v1/users");
    for authorization in [Some("SSWS 00wrong-token"), Some("Bearer 00ferry-okta-api-token"), None] {
        let mut request = client.get(&users);
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        match authorization {
            Some(_) => okta_error(&answer(request).await, "E0000011", "Invalid token provided"),
            None => okta_error(&answer(request).await, "E0000005", "Invalid session"),
        }
    }
    let res = answer(
        client
            .post(url(&served, "okta", "/api/v1/authn"))
            .json(&json!({ "username": "dade@example.com", "password": "Okta-Pass-0002" })),
    )
    .await;
    okta_error(&res, "E0000004", "Authentication failed");

    // Stormpath.
    let application = url(
        &served,
        "stormpath",
        &format!("/v1/applications/{DEFAULT_APPLICATION_ID}"),
    );
    for (id, secret) in [
        (Some(DEFAULT_API_KEY_ID), "not-the-secret"),
        (Some("NOSUCHKEY"), DEFAULT_API_KEY_SECRET),
        (None, ""),
    ] {
        let mut request = client.get(&application);
        if let Some(id) = id {
            request = request.basic_auth(id, Some(secret));
        }
        let res = answer(request).await;
        assert_eq!(res.status, 401, "{}", res.text);
        let body = res.json();
        assert_eq!(body["status"], 401, "{body}");
        assert_eq!(body["code"], 401, "{body}");
        assert_eq!(body["message"], "Authentication required.", "{body}");
        assert_eq!(
            body["developerMessage"], "Authentication with a valid API Key is required.",
            "{body}"
        );
        assert_eq!(body["requestId"], res.header("stormpath-request-id"), "{body}");
    }
    let res = answer(
        client
            .post(format!("{application}/loginAttempts"))
            .basic_auth(DEFAULT_API_KEY_ID, Some(DEFAULT_API_KEY_SECRET))
            .json(&json!({ "type": "basic", "value": base64_encode("kate@example.com:Storm-Pass-0002") })),
    )
    .await;
    assert_eq!(res.status, 400, "{}", res.text);
    let body = res.json();
    assert_eq!(
        (body["code"].as_u64(), body["message"].as_str()),
        (Some(7100), Some("Invalid username or password.")),
        "{body}"
    );

    // Gigya: errors in the envelope, HTTP 200 unless asked for status codes.
    let gigya = |pairs: Vec<(&'static str, &'static str)>| {
        let client = client.clone();
        let url = url(&served, "gigya", "/accounts.search");
        async move {
            let mut form = vec![("query", "SELECT * FROM accounts")];
            form.extend(pairs);
            answer(client.post(url).form(&form)).await
        }
    };
    for (pairs, code, message) in [
        (
            vec![
                ("apiKey", "3_not-a-key"),
                ("userKey", DEFAULT_USER_KEY),
                ("secret", DEFAULT_SECRET),
            ],
            400_093,
            "Invalid ApiKey parameter",
        ),
        (
            vec![
                ("apiKey", DEFAULT_API_KEY),
                ("userKey", DEFAULT_USER_KEY),
                ("secret", "bm90LXRoZS1zZWNyZXQ="),
            ],
            403_003,
            "Invalid request signature",
        ),
    ] {
        let res = gigya(pairs).await;
        assert_eq!(res.status, 200, "{}", res.text);
        let body = res.json();
        assert_eq!(
            (body["errorCode"].as_u64(), body["errorMessage"].as_str()),
            (Some(code), Some(message)),
            "{body}"
        );
        assert_eq!(body["statusCode"], code / 1000, "{body}");
        assert!(body.get("results").is_none(), "{body}");
    }
    let res = answer(client.post(url(&served, "gigya", "/accounts.login")).form(&[
        ("apiKey", DEFAULT_API_KEY),
        ("userKey", DEFAULT_USER_KEY),
        ("secret", DEFAULT_SECRET),
        ("loginID", "paul@example.com"),
        ("password", "Gigya-Pass-0002"),
    ]))
    .await;
    let body = res.json();
    assert_eq!(
        (body["errorCode"].as_u64(), body["errorMessage"].as_str()),
        (Some(403_042), Some("Invalid LoginID")),
        "{body}"
    );
    assert_eq!(body["errorDetails"], "invalid loginID or password", "{body}");

    // Auth0.
    let token_url = url(&served, "auth0", "/oauth/token");
    let (m2m_id, _) = served.auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    let res = answer(client.post(&token_url).json(&json!({
        "grant_type": "client_credentials", "client_id": m2m_id, "client_secret": "not-the-secret",
        "audience": served.auth0.management_audience(),
    })))
    .await;
    assert_eq!(res.status, 401, "{}", res.text);
    assert_eq!(
        res.json(),
        json!({ "error": "access_denied", "error_description": "Unauthorized" })
    );
    let (app_id, app_secret) = served
        .auth0
        .client_credentials(mocks::auth0::DEFAULT_APP)
        .expect("default app");
    let res = answer(client.post(&token_url).json(&json!({
        "grant_type": "http://auth0.com/oauth/grant-type/password-realm", "realm": "users",
        "client_id": app_id, "client_secret": app_secret,
        "username": "emmanuel@example.com", "password": "Auth0-Pass-0002",
    })))
    .await;
    assert_eq!(res.status, 403, "{}", res.text);
    assert_eq!(
        res.json(),
        json!({ "error": "invalid_grant", "error_description": "Wrong email or password." })
    );
    // A token signed with another key: the real token's header and claims, a forged signature.
    let real = management_token(&served).await;
    let forged = format!("{}.c2lnbmF0dXJl", real.rsplit_once('.').expect("a JWT").0);
    for (authorization, message) in [
        (None, "Missing authentication"),
        (Some("Bearer not-a-jwt".to_owned()), "Invalid token"),
        (Some(format!("Bearer {forged}")), "Invalid token"),
    ] {
        let mut request = client.get(url(&served, "auth0", "/api/v2/users"));
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        let res = answer(request).await;
        assert_eq!(res.status, 401, "{}", res.text);
        assert_eq!(
            res.json(),
            json!({ "statusCode": 401, "error": "Unauthorized", "message": message }),
            "{}",
            res.text
        );
    }
    served.shutdown().await;
}

// ------------------------------------------------------------------ loopback

/// `ferry serve` with no `--host` listens on 127.0.0.1 only — every mock and the dashboard —
/// and on the address it is told with `--host`.
#[test]
fn ferry_serve_binds_to_loopback_unless_told_otherwise() {
    for (host, expected) in [(None, "127.0.0.1"), (Some("127.0.0.2"), "127.0.0.2")] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ferry"));
        command.arg("serve").stdout(Stdio::piped()).stderr(Stdio::null());
        for var in [
            "FERRY_OKTA_PORT",
            "FERRY_STORMPATH_PORT",
            "FERRY_GIGYA_PORT",
            "FERRY_AUTH0_PORT",
            "FERRY_DASHBOARD_PORT",
        ] {
            command.env_remove(var);
        }
        if let Some(host) = host {
            command.args(["--host", host]);
        }
        let mut child = command.spawn().expect("ferry serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let started = Instant::now();
        let mut urls = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("a line");
            let mut words = line.split_whitespace();
            if let (Some(name), Some(url)) = (words.next(), words.next())
                && url.starts_with("http://")
            {
                urls.push((name.to_owned(), url.to_owned()));
            }
            if line.starts_with("dashboard") || started.elapsed() > Duration::from_secs(60) {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        let names: Vec<&str> = urls
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| !n.ends_with(':'))
            .collect();
        assert_eq!(names, ["okta", "stormpath", "gigya", "auth0", "dashboard"], "{urls:?}");
        for (name, url) in &urls {
            let authority = url.trim_start_matches("http://").split('/').next().unwrap_or_default();
            let (ip, port) = authority.rsplit_once(':').expect("host:port");
            assert_eq!(ip, expected, "{name} listens on {url}");
            assert!(port.parse::<u16>().is_ok_and(|p| p > 0), "{name}: {url}");
        }
    }
}

/// The mocks' own default address (what the scenario runner and the tests start them on) is an
/// ephemeral loopback port.
#[tokio::test]
async fn mocks_default_to_an_ephemeral_loopback_port() {
    assert!(mocks::LOOPBACK_EPHEMERAL.ip().is_loopback());
    assert_eq!(mocks::LOOPBACK_EPHEMERAL.port(), 0);
    let okta = mocks::okta::Okta::new(Kit::default());
    let server = mocks::start(okta, mocks::LOOPBACK_EPHEMERAL).await.expect("binds");
    assert!(server.addr().ip().is_loopback(), "{}", server.addr());
    assert_ne!(server.addr().port(), 0);
    assert_eq!(server.base_url(), format!("http://127.0.0.1:{}", server.addr().port()));
    server.shutdown().await;
}
