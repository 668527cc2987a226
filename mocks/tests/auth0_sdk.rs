//! The official Auth0 SDKs against the mock Auth0: the Node SDK (npm `auth0`, node-auth0 v7:
//! `ManagementClient`, and `AuthenticationClient` from `auth0/legacy`) and the Python SDK (PyPI
//! `auth0-python`: `auth0.authentication.GetToken`, `auth0.management.Auth0`). They log users in
//! (password-realm with an ID token the SDK validates, the default directory, wrong password,
//! blocked user), get Management API tokens, search, page through, get, patch and look users up
//! by email, list connections, import a users file and read the job and its errors, and retry a
//! 429 after its `Retry-After`.
//!
//! Run with `cargo test -p mocks --test auth0_sdk`. The SDKs are not vendored; install them with
//!
//! ```text
//! npm ci --prefix mocks/tests/sdk/auth0
//! python3 -m venv mocks/tests/sdk/auth0/.venv && mocks/tests/sdk/auth0/.venv/bin/pip install -r mocks/tests/sdk/auth0/requirements.txt
//! ```
//!
//! Without them each test prints a `SKIPPED (SDK not installed)` line and passes, unless
//! `FERRY_REQUIRE_SDK=1`, which turns a missing SDK into a failure.
//!
//! Both SDKs build `https://{domain}` URLs. The Node SDK is pointed at the mock through its
//! `fetch` option (and the ID-token validator's JWKS download through its `agent` option); the
//! Python SDK takes a `protocol` argument and a domain with a port. The tenant's domain is set
//! (`settings.domain`) so that tokens carry the issuer and audience the SDKs expect. Unlike the
//! other mock tests, the tenant's clock starts at the real time: the Node SDK checks the ID
//! token's `exp` and `iat` against it.
//!
//! The Node SDK also runs as a user's own code would, over HTTPS with nothing but the domain
//! changed (`127.0.0.1:PORT`, no custom `fetch` or `agent`; `sdk_https.js`): the mock serves
//! HTTPS with a certificate from a fresh Ferry CA, which `NODE_EXTRA_CA_CERTS` makes trusted.
//! So does the Python SDK (`sdk_https.py`: `GetToken`, `TokenVerifier`, `ManagementClient` with
//! client credentials), trusting the CA through `REQUESTS_CA_BUNDLE` and `SSL_CERT_FILE`.

mod common;

use std::path::PathBuf;
use std::process::Command;

use chrono::{DurationRound, TimeDelta, Utc};
use mocks::auth0::seed::Auth0Seed;
use mocks::auth0::{Auth0, MANAGEMENT_APP};
use mocks::{Clock, Fault, FaultRule, Kit, Provider};
use serde_json::{Value, json};

use common::sdk::{https_ca, installed_or_skip, run_failing, run_json, sdk_dir};

const DOMAIN: &str = "ferry-sdk.eu.auth0.com";
const CONNECTION_ID: &str = "con_users00000000001";

const SEED: &str = r#"
# The tenant's clock stands still (manual, at the real time): the free tier's rate limit would
# never refill and import jobs never leave `pending`, so both are lifted; these tests are about
# what the SDKs send and read (auth0_limits.rs and auth0_jobs.rs test limits and job timing).
settings: { bcrypt_cost: 4, domain: ferry-sdk.eu.auth0.com, default_directory: users, rate_limits: off, import_job_pending: 0s, import_users_per_hour: 0 }
clients:
  - { name: Storefront, client_id: storefront-client-id, client_secret: storefront-secret }
connections:
  - { name: users, id: con_users00000000001 }
  - { name: partners, id: con_partners00000001 }
users:
  - connection: users
    user_id: dade
    email: dade.murphy@example.com
    password: "Hunter2!"
    name: Dade Murphy
    given_name: Dade
    family_name: Murphy
    user_metadata: { theme: dark }
    app_metadata: { plan: gold }
  - { connection: users, user_id: kate, email: kate.libby@example.com, password: "Acid-Burn-1", blocked: true }
  - { connection: users, user_id: paul, email: paul.cook@example.com }
  - { connection: partners, user_id: emmanuel, email: emmanuel.goldstein@example.com }
  - { connection: partners, user_id: joey, email: joey.pardella@example.com }
"#;

/// The tenant on a socket, its clock at the real time (to the second), ids seeded.
async fn started() -> (Auth0, mocks::MockServer, i64) {
    let now = Utc::now().duration_trunc(TimeDelta::seconds(1)).expect("whole seconds");
    let auth0 = Auth0::new(Kit::deterministic(Clock::manual(now), 1));
    let seed: Auth0Seed = mocks::kit::seed::parse(SEED, None).expect("seed parses");
    auth0.seed(seed).expect("seed is valid");
    let server = mocks::start(auth0.clone(), mocks::LOOPBACK_EPHEMERAL)
        .await
        .expect("bind loopback");
    (auth0, server, now.timestamp())
}

/// The same tenant without a custom domain, served over HTTPS (and plain HTTP) on loopback with
/// a certificate from a fresh Ferry CA; its issuer is then `https://127.0.0.1:PORT/`, the domain
/// the SDK is given. Returns the CA file for `NODE_EXTRA_CA_CERTS`.
async fn started_tls() -> (Auth0, mocks::MockServer, common::sdk::CaFile) {
    let now = Utc::now().duration_trunc(TimeDelta::seconds(1)).expect("whole seconds");
    let auth0 = Auth0::new(Kit::deterministic(Clock::manual(now), 1));
    let seed = SEED.replace(" domain: ferry-sdk.eu.auth0.com,", "");
    let seed: Auth0Seed = mocks::kit::seed::parse(&seed, None).expect("seed parses");
    auth0.seed(seed).expect("seed is valid");
    let (tls, ca) = https_ca("auth0");
    let server = mocks::start_tls(auth0.clone(), mocks::LOOPBACK_EPHEMERAL, tls)
        .await
        .expect("bind loopback");
    (auth0, server, ca)
}

/// Runs `program args` in the SDK folder with the mock's address and the tenant's credentials,
/// off the runtime's workers so the mock keeps answering; returns the JSON line it printed.
async fn run(auth0: &Auth0, program: PathBuf, args: Vec<String>, base_url: String) -> Value {
    let (app_id, app_secret) = auth0.client_credentials("Storefront").expect("storefront");
    let (m2m_id, m2m_secret) = auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    let mut command = Command::new(&program);
    command
        .args(&args)
        .current_dir(sdk_dir("auth0"))
        .env("FERRY_AUTH0_BASE_URL", &base_url)
        .env("FERRY_AUTH0_DOMAIN", DOMAIN)
        .env("FERRY_APP_ID", app_id)
        .env("FERRY_APP_SECRET", app_secret)
        .env("FERRY_M2M_ID", m2m_id)
        .env("FERRY_M2M_SECRET", m2m_secret)
        .env("FERRY_CONNECTION_ID", CONNECTION_ID);
    run_json(command).await
}

/// `node sdk_https.js FILE` for the tenant at `domain` (`127.0.0.1:PORT`), trusting `ca` when
/// given, with nothing in the environment that could point the SDK elsewhere.
fn node_https(auth0: &Auth0, domain: &str, ca: Option<&std::path::Path>, file: &std::path::Path) -> Command {
    let (app_id, app_secret) = auth0.client_credentials("Storefront").expect("storefront");
    let (m2m_id, m2m_secret) = auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    let mut command = Command::new("node");
    command
        .arg("sdk_https.js")
        .arg(file)
        .current_dir(sdk_dir("auth0"))
        .env_remove("NODE_EXTRA_CA_CERTS")
        .env_remove("NODE_TLS_REJECT_UNAUTHORIZED")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env("FERRY_AUTH0_DOMAIN", domain)
        .env("FERRY_APP_ID", app_id)
        .env("FERRY_APP_SECRET", app_secret)
        .env("FERRY_M2M_ID", m2m_id)
        .env("FERRY_M2M_SECRET", m2m_secret)
        .env("FERRY_CONNECTION_ID", CONNECTION_ID);
    if let Some(ca) = ca {
        command.env("NODE_EXTRA_CA_CERTS", ca);
    }
    command
}

/// A users file for the import: one good user, one with a bad email and a hash to redact.
fn users_file(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("ferry-auth0-sdk-{}-{name}.json", std::process::id()));
    let users = json!([
        { "email": "Kate.Imported@example.com", "user_id": "kate-imported", "given_name": "Kate" },
        { "email": "not-an-email", "custom_password_hash": { "algorithm": "md5", "hash": { "value": "5f4dcc3b5aa765d61d8327deb882cf99", "encoding": "hex" } } },
    ]);
    std::fs::write(&path, serde_json::to_vec(&users).expect("json")).expect("write the users file");
    path
}

/// An Authentication API error as node-auth0 reports it (`AuthApiError`, with the raw body).
fn auth_api_error(status: u16, error: &str, description: &str) -> Value {
    json!({
        "name": "AuthApiError",
        "statusCode": status,
        "error": error,
        "error_description": description,
        "body": json!({ "error": error, "error_description": description }).to_string(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_sdk_logs_in_reads_users_imports_and_retries() {
    let marker = sdk_dir("auth0").join("node_modules/auth0/package.json");
    if !installed_or_skip(&marker, "run npm ci in mocks/tests/sdk/auth0") {
        return;
    }
    let (auth0, server, now) = started().await;
    // The SDK's first users-by-email call meets a 429.
    auth0.kit().faults.add(FaultRule {
        method: Some("GET".into()),
        path: "/api/v2/users-by-email".into(),
        nth: 1,
        times: Some(1),
        fault: Fault::Status { status: 429 },
    });
    let file = users_file("node");
    let out = run(
        &auth0,
        PathBuf::from("node"),
        vec!["sdk_check.js".into(), file.display().to_string()],
        server.base_url().to_owned(),
    )
    .await;
    let _ = std::fs::remove_file(&file);
    let issuer = format!("https://{DOMAIN}/");
    let (app_id, _) = auth0.client_credentials("Storefront").expect("storefront");
    let (m2m_id, _) = auth0.client_credentials(MANAGEMENT_APP).expect("management app");

    // Authentication API: the SDK accepted the ID token (it validates it before returning).
    let login = &out["login"];
    assert_eq!(login["status"], 200, "{out:#}");
    assert_eq!(
        login["keys"],
        json!(["access_token", "expires_in", "id_token", "scope", "token_type"])
    );
    assert_eq!(login["token_type"], "Bearer");
    assert_eq!(login["expires_in"], 86_400);
    let id_token = &login["id_token"];
    assert_eq!(id_token["iss"], issuer);
    assert_eq!(id_token["sub"], "auth0|dade");
    assert_eq!(id_token["aud"], app_id);
    assert_eq!(id_token["iat"], now);
    assert_eq!(id_token["email"], "dade.murphy@example.com");
    assert_eq!(id_token["name"], "Dade Murphy");
    assert_eq!(
        login["access_token"],
        json!({ "parts": 5, "header": { "alg": "dir", "enc": "A256GCM", "iss": issuer } }),
        "an access token for /userinfo only is opaque"
    );
    assert_eq!(out["userinfo"]["sub"], "auth0|dade");
    assert_eq!(out["userinfo"]["email"], "dade.murphy@example.com");
    assert_eq!(out["userinfo"]["name"], "Dade Murphy");
    assert_eq!(out["defaultDirectory"], json!({ "status": 200, "sub": "auth0|dade" }));
    assert_eq!(
        out["wrongPassword"]["failed"],
        auth_api_error(403, "invalid_grant", "Wrong email or password."),
        "{out:#}"
    );
    assert_eq!(
        out["blocked"]["failed"],
        auth_api_error(401, "unauthorized", "user is blocked")
    );
    let cc = &out["clientCredentials"];
    assert_eq!(cc["keys"], json!(["access_token", "expires_in", "scope", "token_type"]));
    assert_eq!(cc["claims"]["iss"], issuer);
    assert_eq!(cc["claims"]["aud"], format!("{issuer}api/v2/"));
    assert_eq!(cc["claims"]["sub"], format!("{m2m_id}@clients"));
    assert_eq!(cc["claims"]["gty"], "client-credentials");
    assert_eq!(
        out["noAudience"]["failed"],
        auth_api_error(403, "access_denied", "Service not found: https://api.example.com/")
    );

    // Management API.
    assert_eq!(out["search"], json!(["auth0|dade"]), "{out:#}");
    assert_eq!(
        out["listed"],
        json!(["auth0|dade", "auth0|kate", "auth0|paul", "auth0|emmanuel", "auth0|joey"]),
        "the SDK paged through pages of two"
    );
    let bad_query = &out["badQuery"]["failed"];
    assert_eq!(bad_query["statusCode"], 400, "{out:#}");
    assert_eq!(
        bad_query["body"],
        json!({ "statusCode": 400, "error": "Bad Request", "message": "Query validation error: 'unterminated quoted string' on property q.", "errorCode": "invalid_query_string" })
    );
    assert_eq!(out["user"]["user_id"], "auth0|dade");
    assert_eq!(out["user"]["identities"][0]["connection"], "users");
    assert_eq!(out["missing"]["failed"]["name"], "NotFoundError", "{out:#}");
    assert_eq!(
        out["missing"]["failed"]["body"],
        json!({ "statusCode": 404, "error": "Not Found", "message": "The user does not exist.", "errorCode": "inexistent_user" })
    );
    assert_eq!(out["byEmail"], json!(["auth0|dade"]));
    // Auth0 sends no Retry-After with a 429 (FIDELITY `auth0/rate-limits`): the SDK waits until
    // X-RateLimit-Reset (the next second of the tenant's clock, which here reads the real
    // time), else backs off from 1 s; either way it retries once and gets the answer (the
    // journal below shows the 429 and then the 200).
    let waited = out["retriedAfterMs"].as_i64().expect("a duration");
    assert!(
        (0..3_000).contains(&waited),
        "the SDK retried within the reset window ({waited} ms)"
    );
    assert_eq!(out["updated"]["user_metadata"], json!({ "lang": "fr" }));
    assert_eq!(out["updated"]["app_metadata"], json!({ "plan": "platinum" }));
    // Newest first, through pages of three: blocked, wrong password, two logins.
    assert_eq!(out["logs"], json!(["f", "fp", "s", "s"]), "{out:#}");
    assert_eq!(out["connections"], json!(["users", "partners"]), "{out:#}");
    assert_eq!(
        out["connection"],
        json!({ "id": CONNECTION_ID, "name": "users", "strategy": "auth0", "realms": ["users"] })
    );

    // The import, as the SDK saw it.
    let job = &out["job"];
    assert_eq!(job["status"], "pending", "{out:#}");
    assert_eq!(job["type"], "users_import");
    assert_eq!(job["external_id"], "sdk-import-1");
    assert_eq!(job["connection_id"], CONNECTION_ID);
    assert_eq!(out["finished"]["status"], "completed", "{out:#}");
    assert_eq!(
        out["finished"]["summary"],
        json!({ "failed": 1, "updated": 0, "inserted": 1, "total": 2 })
    );
    let errors = out["errors"].as_array().expect("an array of errors");
    assert_eq!(errors.len(), 1, "{out:#}");
    assert_eq!(errors[0]["user"]["custom_password_hash"]["hash"]["value"], "*****");
    assert_eq!(errors[0]["errors"][0]["code"], "INVALID_FORMAT");
    assert_eq!(
        out["missingJob"]["failed"],
        json!({ "name": "NotFoundError", "statusCode": 404, "body": { "statusCode": 404, "error": "Not Found", "message": "The job does not exist", "errorCode": "inexistent_job" } })
    );
    assert_eq!(out["imported"], json!(["auth0|kate-imported"]));
    assert_eq!(out["badToken"]["failed"]["statusCode"], 401, "{out:#}");
    assert_eq!(
        out["badToken"]["failed"]["body"],
        json!({ "statusCode": 401, "error": "Unauthorized", "message": "Invalid token" })
    );

    // What went over the wire.
    let journal = auth0.kit().journal.find(Some("GET"), Some("/api/v2/users-by-email"));
    assert_eq!(journal[0].status, 429);
    assert_eq!(journal[0].fault.as_deref(), Some("status 429"));
    assert_eq!(journal[1].status, 200);
    let import = auth0
        .kit()
        .journal
        .find(Some("POST"), Some("/api/v2/jobs/users-imports"));
    assert!(
        import[0]
            .header("content-type")
            .is_some_and(|c| c.starts_with("multipart/form-data; boundary=")),
        "{:?}",
        import[0].headers
    );
    let tokens = auth0.kit().journal.find(Some("POST"), Some("/oauth/token"));
    assert!(
        tokens
            .iter()
            .all(|t| t.header("auth0-client").is_some_and(|h| !h.is_empty())),
        "the SDKs send their telemetry header"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_logs_in_reads_users_and_imports() {
    let python = sdk_dir("auth0").join(".venv/bin/python");
    let install = "python3 -m venv mocks/tests/sdk/auth0/.venv && mocks/tests/sdk/auth0/.venv/bin/pip install -r mocks/tests/sdk/auth0/requirements.txt";
    if !installed_or_skip(&python, install) {
        return;
    }
    let (auth0, server, now) = started().await;
    let file = users_file("python");
    let out = run(
        &auth0,
        python,
        vec!["sdk_check.py".into(), file.display().to_string()],
        server.base_url().to_owned(),
    )
    .await;
    let _ = std::fs::remove_file(&file);
    let (app_id, _) = auth0.client_credentials("Storefront").expect("storefront");
    assert_eq!(
        out["login"],
        json!({ "token_type": "Bearer", "expires_in": 86_400, "scope": "openid profile email", "keys": ["access_token", "expires_in", "id_token", "scope", "token_type"] })
    );
    // The SDK's TokenVerifier accepted the ID token (signature against the mock's JWKS).
    assert_eq!(
        out["access_token_parts"], 5,
        "an access token for /userinfo only is opaque (a JWE)"
    );
    assert_eq!(out["userinfo"]["sub"], "auth0|dade");
    assert_eq!(out["userinfo"]["email"], "dade.murphy@example.com");
    let id_token = &out["id_token"];
    assert_eq!(id_token["iss"], format!("https://{DOMAIN}/"));
    assert_eq!(id_token["aud"], app_id);
    assert_eq!(id_token["sub"], "auth0|dade");
    assert_eq!(id_token["iat"], now);
    assert_eq!(
        out["wrongPassword"],
        json!({ "status_code": 403, "error_code": "invalid_grant", "message": "Wrong email or password." })
    );
    assert_eq!(
        out["blocked"],
        json!({ "status_code": 401, "error_code": "unauthorized", "message": "user is blocked" })
    );
    assert_eq!(
        out["changePassword"],
        "We've just sent you an email to reset your password."
    );
    assert_eq!(auth0.outbox().len(), 1);
    assert_eq!(
        out["clientCredentials"],
        json!({ "keys": ["access_token", "expires_in", "scope", "token_type"], "token_type": "Bearer", "expires_in": 86_400 })
    );
    assert_eq!(out["search"], json!(["auth0|dade"]));
    assert_eq!(
        out["listed"],
        json!(["auth0|dade", "auth0|kate", "auth0|paul", "auth0|emmanuel", "auth0|joey"])
    );
    assert_eq!(out["user"]["user_id"], "auth0|dade");
    assert_eq!(out["user"]["user_metadata"], json!({ "theme": "dark" }));
    assert_eq!(out["missing"]["status_code"], 404, "{out:#}");
    assert_eq!(
        out["missing"]["body"],
        json!({ "statusCode": 404, "error": "Not Found", "message": "The user does not exist.", "errorCode": "inexistent_user" })
    );
    assert_eq!(out["byEmail"], json!(["auth0|dade"]));
    assert_eq!(out["connections"], json!(["users", "partners"]));
    assert_eq!(out["job"]["status"], "pending");
    assert_eq!(out["job"]["external_id"], "sdk-import-py");
    assert_eq!(out["finished"]["status"], "completed");
    assert_eq!(
        out["finished"]["summary"],
        json!({ "failed": 1, "updated": 0, "inserted": 1, "total": 2 })
    );
    assert_eq!(
        out["errors"][0]["user"]["custom_password_hash"]["hash"]["value"],
        "*****"
    );
    assert_eq!(out["badToken"]["status_code"], 401);
    server.shutdown().await;
}

/// Issue 12: the Node SDK as a user's own code calls it, over HTTPS with only the domain
/// changed (`127.0.0.1:PORT`): the v7 `ManagementClient` and the legacy `AuthenticationClient`
/// build `https://` URLs themselves, and the ID-token validator downloads the JWKS over HTTPS.
/// Ferry's CA is trusted through `NODE_EXTRA_CA_CERTS`; without it the same run fails on the
/// certificate, which shows the requests really went over TLS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_sdk_works_over_https_given_only_the_domain() {
    let marker = sdk_dir("auth0").join("node_modules/auth0/package.json");
    if !installed_or_skip(&marker, "run npm ci in mocks/tests/sdk/auth0") {
        return;
    }
    let (auth0, server, ca) = started_tls().await;
    let domain = format!("127.0.0.1:{}", server.addr().port());
    assert_eq!(server.base_url(), format!("https://{domain}"));
    let file = users_file("node-https");

    let (ok, stderr) = run_failing(node_https(&auth0, &domain, None, &file)).await;
    assert!(!ok, "the SDK must refuse a certificate it has no reason to trust");
    assert!(
        stderr.contains("SELF_SIGNED_CERT_IN_CHAIN") || stderr.contains("self-signed certificate"),
        "{stderr}"
    );
    assert!(
        auth0.kit().journal.find(None, None).is_empty(),
        "nothing reached the mock without a handshake"
    );

    let out = run_json(node_https(&auth0, &domain, Some(&ca.0), &file)).await;
    let _ = std::fs::remove_file(&file);
    let issuer = format!("https://{domain}/");
    let (app_id, _) = auth0.client_credentials("Storefront").expect("storefront");
    let (m2m_id, _) = auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    assert_eq!(out["login"]["status"], 200, "{out:#}");
    let id_token = &out["login"]["id_token"];
    assert_eq!(id_token["iss"], issuer, "{out:#}");
    assert_eq!(id_token["aud"], app_id);
    assert_eq!(id_token["sub"], "auth0|dade");
    let cc = &out["clientCredentials"];
    assert_eq!(cc["iss"], issuer);
    assert_eq!(cc["aud"], format!("{issuer}api/v2/"));
    assert_eq!(cc["sub"], format!("{m2m_id}@clients"));
    assert_eq!(
        out["listed"],
        json!(["auth0|dade", "auth0|kate", "auth0|paul", "auth0|emmanuel", "auth0|joey"]),
        "{out:#}"
    );
    assert_eq!(out["user"]["user_id"], "auth0|dade");
    assert_eq!(out["updated"]["app_metadata"], json!({ "plan": "platinum" }));
    assert_eq!(
        out["finished"],
        json!({ "status": "completed", "summary": { "failed": 1, "updated": 0, "inserted": 1, "total": 2 } }),
        "{out:#}"
    );
    assert_eq!(out["imported"], json!(["auth0|kate-imported"]));

    // The JWKS download the ID-token validator made, and the SDK's own token request, both on
    // the host it was given.
    let jwks = auth0.kit().journal.find(Some("GET"), Some("/.well-known/jwks.json"));
    assert_eq!(jwks.len(), 1, "the validator fetched the keys once");
    assert_eq!(jwks[0].status, 200);
    assert_eq!(jwks[0].header("host"), Some(domain.as_str()));
    let tokens = auth0.kit().journal.find(Some("POST"), Some("/oauth/token"));
    assert_eq!(
        tokens.len(),
        3,
        "password, client credentials, the ManagementClient's own"
    );
    assert!(
        tokens
            .iter()
            .all(|t| t.status == 200 && t.header("host") == Some(domain.as_str()))
    );
    server.shutdown().await;
}

/// The Python SDK over HTTPS with only the domain changed (`127.0.0.1:PORT`, the default
/// `https` protocol): `GetToken` and the `TokenVerifier`'s JWKS download trust Ferry's CA through
/// `REQUESTS_CA_BUNDLE`, `ManagementClient` (httpx) through `SSL_CERT_FILE`. Without them the
/// run fails on the certificate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_works_over_https_given_only_the_domain() {
    let python = sdk_dir("auth0").join(".venv/bin/python");
    let install = "python3 -m venv mocks/tests/sdk/auth0/.venv && mocks/tests/sdk/auth0/.venv/bin/pip install -r mocks/tests/sdk/auth0/requirements.txt";
    if !installed_or_skip(&python, install) {
        return;
    }
    let (auth0, server, ca) = started_tls().await;
    let domain = format!("127.0.0.1:{}", server.addr().port());
    let (app_id, app_secret) = auth0.client_credentials("Storefront").expect("storefront");
    let (m2m_id, m2m_secret) = auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    let command = |ca: Option<&std::path::Path>| {
        let mut command = Command::new(&python);
        command.arg("sdk_https.py").current_dir(sdk_dir("auth0"));
        for variable in [
            "REQUESTS_CA_BUNDLE",
            "SSL_CERT_FILE",
            "SSL_CERT_DIR",
            "CURL_CA_BUNDLE",
            "HTTPS_PROXY",
            "https_proxy",
        ] {
            command.env_remove(variable);
        }
        command
            .env("FERRY_AUTH0_DOMAIN", &domain)
            .env("FERRY_APP_ID", &app_id)
            .env("FERRY_APP_SECRET", &app_secret)
            .env("FERRY_M2M_ID", &m2m_id)
            .env("FERRY_M2M_SECRET", &m2m_secret);
        if let Some(ca) = ca {
            command.env("REQUESTS_CA_BUNDLE", ca).env("SSL_CERT_FILE", ca);
        }
        command
    };

    let (ok, stderr) = run_failing(command(None)).await;
    assert!(!ok, "the SDK must refuse a certificate it has no reason to trust");
    assert!(stderr.contains("CERTIFICATE_VERIFY_FAILED"), "{stderr}");
    assert!(auth0.kit().journal.find(None, None).is_empty());

    let out = run_json(command(Some(&ca.0))).await;
    let issuer = format!("https://{domain}/");
    assert_eq!(out["id_token"]["iss"], issuer, "{out:#}");
    assert_eq!(out["id_token"]["aud"], app_id);
    assert_eq!(out["id_token"]["sub"], "auth0|dade");
    assert_eq!(
        out["listed"],
        json!(["auth0|dade", "auth0|kate", "auth0|paul", "auth0|emmanuel", "auth0|joey"]),
        "{out:#}"
    );
    assert_eq!(out["user"], "auth0|dade");
    let tokens = auth0.kit().journal.find(Some("POST"), Some("/oauth/token"));
    assert_eq!(tokens.len(), 2, "the login and the ManagementClient's own token");
    assert!(
        tokens
            .iter()
            .all(|t| t.status == 200 && t.header("host") == Some(domain.as_str()))
    );
    let jwks = auth0.kit().journal.find(Some("GET"), Some("/.well-known/jwks.json"));
    assert_eq!(jwks.len(), 1, "the verifier fetched the keys over HTTPS");
    server.shutdown().await;
}
