//! Imported password hashes with absurd work factors (issue 17 §2): refused at import with
//! Auth0's per-user error shape (`import_schema::hash_limits`, Ferry's limits: Auth0 publishes
//! none), and a login whose client goes away while a slow hash is verified (or its login
//! script still runs) stops the work instead of burning a core for nobody; the mock keeps
//! serving.
//!
//! Run with `cargo test -p mocks --test hash_limits`.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use base64::Engine;
use serde_json::{Value, json};

use common::auth0::*;

const STOREFRONT: (&str, &str) = ("storefront-client-id", "storefront-secret");
const USERS: &str = "con_users00000000001";

const SEED: &str = r#"
settings: { bcrypt_cost: 4 }
clients:
  - { name: Storefront, client_id: storefront-client-id, client_secret: storefront-secret }
connections:
  - { name: users, id: con_users00000000001 }
"#;

/// Held by the tests that measure the process's CPU, so that they do not measure each other.
static MEASURING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The CPU time this process has used, from /proc (Linux), in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
}

/// A PHC pbkdf2 value with `iterations` whose hash matches no password (the work is done all
/// the same: the comparison comes last).
fn pbkdf2_value(iterations: u64) -> String {
    format!(
        "$pbkdf2-sha512$i={iterations},l=64${}${}",
        b64(b"saltsaltsalt"),
        b64(&[7u8; 64])
    )
}

fn argon2_value(m: u64, t: u64, p: u64) -> String {
    format!(
        "$argon2id$v=19$m={m},t={t},p={p}${}${}",
        b64(b"saltsaltsalt"),
        b64(&[7u8; 32])
    )
}

fn bcrypt_value(cost: u32) -> String {
    format!("$2b${cost:02}$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K")
}

#[tokio::test]
async fn absurd_work_factors_are_refused_at_import_in_auth0s_error_shape() {
    let auth0 = tenant(SEED);
    let token = management_token(&auth0).await;
    let custom = |spec: Value| spec;
    let users = json!([
        { "email": "fine@example.com", "custom_password_hash": custom(json!({ "algorithm": "pbkdf2", "hash": { "value": pbkdf2_value(1000), "encoding": "utf8" } })) },
        { "email": "pbkdf2@example.com", "custom_password_hash": custom(json!({ "algorithm": "pbkdf2", "hash": { "value": pbkdf2_value(2_000_000_000), "encoding": "utf8" } })) },
        { "email": "pbkdf2-huge@example.com", "custom_password_hash": custom(json!({ "algorithm": "pbkdf2", "hash": { "value": pbkdf2_value(u64::MAX), "encoding": "utf8" } })) },
        { "email": "passes@example.com", "custom_password_hash": custom(json!({ "algorithm": "argon2", "hash": { "value": argon2_value(4096, 1_000_000, 1), "encoding": "utf8" } })) },
        { "email": "memory@example.com", "custom_password_hash": custom(json!({ "algorithm": "argon2", "hash": { "value": argon2_value(4_000_000, 2, 1), "encoding": "utf8" } })) },
        { "email": "lanes@example.com", "custom_password_hash": custom(json!({ "algorithm": "argon2", "hash": { "value": argon2_value(65_536, 2, 255), "encoding": "utf8" } })) },
        { "email": "bcrypt@example.com", "custom_password_hash": custom(json!({ "algorithm": "bcrypt", "hash": { "value": bcrypt_value(31), "encoding": "utf8" } })) },
        // Auth0's job takes a password_hash only at cost `10+` (its pattern): `$2b$100$` passes
        // the pattern and meets Ferry's limit
        { "email": "password-hash@example.com", "password_hash": bcrypt_value(100) },
        { "email": "scrypt-n@example.com", "custom_password_hash": custom(json!({ "algorithm": "scrypt", "hash": { "value": "00ff", "encoding": "hex" }, "keylen": 2, "cost": 1_099_511_627_776u64 })) },
        { "email": "scrypt-p@example.com", "custom_password_hash": custom(json!({ "algorithm": "scrypt", "hash": { "value": "00ff", "encoding": "hex" }, "keylen": 2, "cost": 16_384, "parallelization": 1000 })) },
        { "email": "scrypt-work@example.com", "custom_password_hash": custom(json!({ "algorithm": "scrypt", "hash": { "value": "00ff", "encoding": "hex" }, "keylen": 2, "cost": 262_144, "blockSize": 8, "parallelization": 8 })) },
    ]);
    let res = import(
        &auth0,
        &token,
        &serde_json::to_vec(&users).expect("json"),
        &[("connection_id", USERS)],
    )
    .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{:#}", res.body);
    let started = Instant::now();
    let done = finished_job(&auth0, &token, &res.expect_str("id")).await;
    // refusing costs nothing: no hash is computed at import
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(
        done["summary"],
        json!({ "failed": 10, "updated": 0, "inserted": 1, "total": 11 })
    );

    let listing = send(
        &auth0,
        get(&format!("/api/v2/jobs/{}/errors", res.expect_str("id")), &token),
    )
    .await;
    assert_eq!(listing.status, StatusCode::OK, "{:#}", listing.body);
    let found: Vec<(String, String, String)> = listing
        .body
        .as_array()
        .expect("an array")
        .iter()
        .map(|entry| {
            let error = &entry["errors"][0];
            assert_eq!(entry["errors"].as_array().map(Vec::len), Some(1), "{entry:#}");
            (
                entry["user"]["email"].as_str().unwrap_or_default().to_owned(),
                error["code"].as_str().unwrap_or_default().to_owned(),
                format!(
                    "{} | {}",
                    error["path"].as_str().unwrap_or_default(),
                    error["message"].as_str().unwrap_or_default()
                ),
            )
        })
        .collect();
    let expected = [
        (
            "pbkdf2@example.com",
            "custom_password_hash.hash.value | Error in custom_password_hash.hash.value property - pbkdf2 iterations i 2000000000 is greater than maximum 10000000",
        ),
        (
            "pbkdf2-huge@example.com",
            "custom_password_hash.hash.value | Error in custom_password_hash.hash.value property - pbkdf2 iterations i 18446744073709551615 is greater than maximum 10000000",
        ),
        (
            "passes@example.com",
            "custom_password_hash.hash.value | Error in custom_password_hash.hash.value property - argon2 t 1000000 is greater than maximum 16",
        ),
        (
            "memory@example.com",
            "custom_password_hash.hash.value | Error in custom_password_hash.hash.value property - argon2 m 4000000 is greater than maximum 262144",
        ),
        (
            "lanes@example.com",
            "custom_password_hash.hash.value | Error in custom_password_hash.hash.value property - argon2 p 255 is greater than maximum 16",
        ),
        (
            "bcrypt@example.com",
            "custom_password_hash.hash.value | Error in custom_password_hash.hash.value property - bcrypt cost 31 is greater than maximum 20",
        ),
        (
            "password-hash@example.com",
            "password_hash | Error in password_hash property - bcrypt cost 100 is greater than maximum 20",
        ),
        (
            "scrypt-n@example.com",
            "custom_password_hash.cost | Error in custom_password_hash.cost property - scrypt memory 128·blockSize·cost = 1125899906842624 bytes is greater than maximum 268435456",
        ),
        (
            "scrypt-p@example.com",
            "custom_password_hash.parallelization | Error in custom_password_hash.parallelization property - Value 1000 is greater than maximum 16",
        ),
        (
            "scrypt-work@example.com",
            "custom_password_hash.parallelization | Error in custom_password_hash.parallelization property - scrypt work 128·blockSize·cost·parallelization = 2147483648 bytes is greater than maximum 1073741824",
        ),
    ];
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for ((email, code, detail), (want_email, want_detail)) in found.iter().zip(expected) {
        assert_eq!(
            (email.as_str(), code.as_str(), detail.as_str()),
            (want_email, "MAXIMUM", want_detail)
        );
    }
    // the user within the limits was imported and logs in (a wrong password: fast, refused)
    assert_eq!(auth0.users().len(), 1);
    login(&auth0, STOREFRONT, "users", "fine@example.com", "nope")
        .await
        .assert_oauth(403, "invalid_grant", WRONG_CREDENTIALS);
}

/// One HTTP/1.1 request over a fresh connection; with `give_up_after`, the client closes the
/// connection after that long instead of reading the answer. Returns the status line read.
fn raw_login(addr: &str, username: &str, password: &str, give_up_after: Option<Duration>) -> String {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", PASSWORD_REALM)
        .append_pair("client_id", STOREFRONT.0)
        .append_pair("client_secret", STOREFRONT.1)
        .append_pair("realm", "users")
        .append_pair("username", username)
        .append_pair("password", password)
        .finish();
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    let request = format!(
        "POST /oauth/token HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("write");
    if let Some(wait) = give_up_after {
        std::thread::sleep(wait);
        let _ = stream.shutdown(std::net::Shutdown::Both);
        return String::new();
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_whose_client_goes_away_stops_verifying_a_slow_hash() {
    let _measuring = MEASURING.lock().await;
    let auth0 = tenant(SEED);
    let token = management_token(&auth0).await;
    // PBKDF2-SHA512 at the limit: seconds of work for one verification
    let users = json!([
        { "email": "slow@example.com", "custom_password_hash": { "algorithm": "pbkdf2", "hash": { "value": pbkdf2_value(10_000_000), "encoding": "utf8" } } },
        { "email": "quick@example.com", "custom_password_hash": { "algorithm": "pbkdf2", "hash": { "value": pbkdf2_value(1000), "encoding": "utf8" } } },
    ]);
    let res = import(
        &auth0,
        &token,
        &serde_json::to_vec(&users).expect("json"),
        &[("connection_id", USERS)],
    )
    .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{:#}", res.body);
    let done = finished_job(&auth0, &token, &res.expect_str("id")).await;
    assert_eq!(done["summary"]["inserted"], 2, "{done:#}");

    let server = mocks::start(auth0.clone(), mocks::LOOPBACK_EPHEMERAL)
        .await
        .expect("bind loopback");
    let addr = server.base_url().trim_start_matches("http://").to_owned();

    // the client gives up after 300 ms; the verification must stop with it
    let client = addr.clone();
    tokio::task::spawn_blocking(move || {
        raw_login(&client, "slow@example.com", "guess", Some(Duration::from_millis(300)))
    })
    .await
    .expect("client");
    // let the server notice, then measure what the process still burns
    tokio::time::sleep(Duration::from_millis(300)).await;
    // (a verification left running shows here even on a loaded machine: 0.5 s and more of CPU
    // where a stopped one shows none)
    let before = cpu_seconds();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let burnt = cpu_seconds() - before;
    assert!(burnt < 0.15, "{burnt:.2} s of CPU in 2.5 s after the client went away");

    // the mock still serves logins
    let client = addr.clone();
    let status = tokio::task::spawn_blocking(move || raw_login(&client, "quick@example.com", "guess", None))
        .await
        .expect("client");
    assert_eq!(status, "HTTP/1.1 403 Forbidden");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_whose_client_goes_away_stops_its_script() {
    let _measuring = MEASURING.lock().await;
    let script = serde_json::to_string("function login(email, password, callback) {\n  if (password === 'spin') { for (;;) {} }\n  callback(null, { user_id: 'u1', email: email });\n}")
        .expect("json string");
    let auth0 = tenant(&format!(
        r#"
settings: {{ bcrypt_cost: 4, script_time_limit: 20s }}
clients:
  - {{ name: Storefront, client_id: storefront-client-id, client_secret: storefront-secret }}
connections:
  - name: users
    id: con_users00000000001
    options:
      enabledDatabaseCustomization: true
      import_mode: true
      customScripts:
        login: {script}
"#
    ));
    let server = mocks::start(auth0.clone(), mocks::LOOPBACK_EPHEMERAL)
        .await
        .expect("bind loopback");
    let addr = server.base_url().trim_start_matches("http://").to_owned();

    let client = addr.clone();
    tokio::task::spawn_blocking(move || {
        raw_login(&client, "spin@example.com", "spin", Some(Duration::from_millis(300)))
    })
    .await
    .expect("client");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = cpu_seconds();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let burnt = cpu_seconds() - before;
    assert!(burnt < 0.15, "{burnt:.2} s of CPU in 2.5 s after the client went away");

    let client = addr.clone();
    let status = tokio::task::spawn_blocking(move || raw_login(&client, "ann@example.com", "fine", None))
        .await
        .expect("client");
    assert_eq!(status, "HTTP/1.1 200 OK");
    server.shutdown().await;
}
