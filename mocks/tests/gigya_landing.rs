//! The mock Gigya's stand-in for IdentitySync's SFTP writer: `datasource.write.sftp` with its
//! real parameters uploads to the local directory the settings map its host to, the way a
//! migration reads the export from the mounted SFTP folder; a host, folder or credentials the
//! real writer would fail on fail the job with a trace; the writer's password is not kept.
//!
//! Run with `cargo test -p mocks --test gigya_landing`.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use mocks::gigya::{DEFAULT_API_KEY, DEFAULT_SECRET, DEFAULT_USER_KEY, Gigya, GigyaSeed};
use mocks::{Clock, Kit, Provider};
use serde_json::{Value, json};
use tower::ServiceExt;

const SFTP_HOST: &str = "sftp.example.com";

/// A directory removed at the end.
struct Landing(PathBuf);

impl Landing {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("ferry-gigya-landing-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("landing directory");
        Self(dir)
    }
}

impl Drop for Landing {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A site with three accounts, its SFTP host mapped to `landing`.
fn site(landing: &Path) -> Gigya {
    let gigya = Gigya::new(Kit::deterministic(Clock::manual(Clock::scenario_epoch()), 1));
    let seed: GigyaSeed = serde_json::from_value(json!({
        "settings": { "sftp_servers": { SFTP_HOST: landing } },
        "accounts": [
            { "UID": "a1", "profile": { "email": "dade@example.com" }, "password": "Hunter2!" },
            { "UID": "a2", "profile": { "email": "kate@example.com" }, "password": "Acid-Burn-1" },
            { "UID": "a3", "profile": { "email": "paul@example.com" }, "isRegistered": false },
        ],
    }))
    .expect("seed");
    gigya.seed(seed).expect("seeded");
    gigya
}

async fn call(gigya: &Gigya, method: &str, params: &[(&str, &str)]) -> Value {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("apiKey", DEFAULT_API_KEY),
        ("userKey", DEFAULT_USER_KEY),
        ("secret", DEFAULT_SECRET),
    ]
    .iter()
    .chain(params)
    {
        form.append_pair(k, v);
    }
    let request = Request::post(format!("/{method}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form.finish()))
        .expect("request");
    let response = mocks::app(gigya.clone()).oneshot(request).await.expect("infallible");
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let body: Value = serde_json::from_slice(&bytes).expect("JSON");
    assert_eq!(body["errorCode"], 0, "{body:#}");
    body
}

/// Creates the dataflow with this SFTP writer, runs it once; the job's status.
async fn export(gigya: &Gigya, sftp: Value) -> (Value, Value) {
    let flow = json!({
        "name": "Export to SFTP",
        "steps": [
            { "id": "account", "type": "datasource.read.gigya.account", "params": { "select": "UID,profile,password", "where": "isRegistered = true" }, "next": ["json"] },
            { "id": "json", "type": "file.format.json", "params": { "fileName": "accounts_${now}.json" }, "next": ["sftp"] },
            { "id": "sftp", "type": "datasource.write.sftp", "params": sftp },
        ],
    });
    let created = call(gigya, "idx.createDataflow", &[("data", &flow.to_string())]).await;
    let id = created["id"].as_str().expect("id").to_owned();
    let scheduling = json!({ "dataflowId": id, "frequencyType": "once" }).to_string();
    call(gigya, "idx.createScheduling", &[("data", &scheduling)]).await;
    let query = format!("SELECT * FROM idx_job_status WHERE dataflowId = '{id}' ORDER BY updateTime DESC LIMIT 1");
    let status = call(gigya, "idx.search", &[("query", &query)]).await["results"][0].clone();
    (created, status)
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn the_sftp_writer_uploads_to_the_directory_its_host_is_mapped_to() {
    let landing = Landing::new("upload");
    std::fs::create_dir_all(landing.0.join("out/accounts")).expect("remote folder");
    let gigya = site(&landing.0);
    let (created, status) = export(
        &gigya,
        json!({ "host": SFTP_HOST, "port": 22, "username": "ferry", "password": "sftp-secret-1",
                "remotePath": "/out/accounts", "temporaryUploadExtension": true, "timeout": 60 }),
    )
    .await;
    assert_eq!(status["status"], "succeeded", "{status:#}");
    let folder = landing.0.join("out/accounts");
    assert_eq!(
        names(&folder),
        ["accounts_20260101000000.json"],
        "no temporary file is left"
    );
    assert_eq!(names(&landing.0), ["out"], "only under remotePath");
    let records: Value =
        serde_json::from_slice(&std::fs::read(folder.join("accounts_20260101000000.json")).expect("the file"))
            .expect("one JSON array");
    let uids: Vec<&str> = records
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|r| r["UID"].as_str())
        .collect();
    assert_eq!(uids, ["a1", "a2"]);
    assert_eq!(records[0]["password"]["hashSettings"]["algorithm"], "pbkdf2");

    // The writer's password is not kept: not in the answer, a read back, or the mock's state.
    assert_eq!(created["steps"][2]["params"]["password"], "********");
    let id = created["id"].as_str().expect("id");
    let fetched = call(&gigya, "idx.getDataflow", &[("id", id)]).await;
    assert_eq!(fetched["steps"][2]["params"]["password"], "********");
    assert_eq!(fetched["steps"][2]["params"]["username"], "ferry");
    assert!(!gigya.state().to_string().contains("sftp-secret-1"));
    // Nor is the file among the mock's own (/__ferry/files): it is on the "server".
    assert_eq!(gigya.state()["files"], json!([]));
}

#[tokio::test]
async fn what_a_real_sftp_upload_would_fail_on_fails_the_job() {
    let landing = Landing::new("failures");
    let gigya = site(&landing.0);
    let trace = |status: &Value| status["trace"].as_str().unwrap_or_default().to_owned();

    // A host the mock does not know: cannot connect.
    let (_, status) = export(
        &gigya,
        json!({ "host": "sftp.elsewhere.test", "username": "u", "password": "p" }),
    )
    .await;
    assert_eq!(status["status"], "failed");
    assert!(
        trace(&status).contains("cannot connect to sftp.elsewhere.test:22"),
        "{}",
        trace(&status)
    );
    // A folder that is not on the server.
    let (_, status) = export(
        &gigya,
        json!({ "host": SFTP_HOST, "username": "u", "password": "p", "remotePath": "/missing" }),
    )
    .await;
    assert_eq!(status["status"], "failed");
    assert!(trace(&status).contains("no such directory"), "{}", trace(&status));
    // No credentials.
    let (_, status) = export(&gigya, json!({ "host": SFTP_HOST, "username": "u" })).await;
    assert!(trace(&status).contains("params.password"), "{}", trace(&status));
    // Out of the server's root.
    let (_, status) = export(
        &gigya,
        json!({ "host": SFTP_HOST, "username": "u", "password": "p", "remotePath": "../.." }),
    )
    .await;
    assert!(trace(&status).contains("climbs out"), "{}", trace(&status));
    assert!(
        names(&landing.0).is_empty(),
        "nothing was written: {:?}",
        names(&landing.0)
    );
}

#[test]
fn sftp_servers_must_be_host_names() {
    let gigya = Gigya::new(Kit::deterministic(Clock::manual(Clock::scenario_epoch()), 1));
    let seed: GigyaSeed =
        serde_json::from_value(json!({ "settings": { "sftp_servers": { "http://x/": "/tmp" } } })).expect("parses");
    let error = gigya.seed(seed).expect_err("refused").to_string();
    assert!(error.contains("is not a host name"), "{error}");
}
