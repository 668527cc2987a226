//! The mock Auth0's bulk user imports (auth0.md §3.6, §4) through its router: the multipart
//! request and every payload error, the 500 KB limit, two active jobs per tenant, the job's
//! lifecycle and summary, the errors endpoint (204, per-user errors with hashes redacted, a
//! job-level failure), upsert, expiry after 24 hours and the 2-hour time-out on the manual
//! clock, and imported `password_hash` / `custom_password_hash` users logging in (and being
//! re-hashed with bcrypt).
//!
//! Run with `cargo test -p mocks --test auth0_jobs`. Jobs take time on the tenant's manual
//! clock (2 s pending, then 180 ms a user: Auth0's free tier); tests wait for them by reading
//! `GET /api/v2/jobs/{id}` and moving the clock a second at a time, or move it exactly to see a
//! job halfway. The tenant's rate limits are lifted here (`auth0_limits.rs` tests them).

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use mocks::auth0::{Auth0, DUPLICATE_IN_FILE};
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
users:
  - connection: users
    user_id: dade
    email: dade.murphy@example.com
    password: "Hunter2!"
    username: zerocool
    user_metadata: { theme: dark }
    app_metadata: { plan: gold }
"#;

async fn setup(extra: &str) -> (Auth0, String) {
    let auth0 = tenant(SEED);
    if !extra.is_empty() {
        seed(&auth0, extra);
    }
    let token = management_token(&auth0).await;
    (auth0, token)
}

fn file(users: &Value) -> Vec<u8> {
    serde_json::to_vec(users).expect("json")
}

/// Imports and waits for the job to finish; returns (accepted job, finished job).
async fn run_import(auth0: &Auth0, token: &str, users: &Value, fields: &[(&str, &str)]) -> (Value, Value) {
    let mut all = vec![("connection_id", USERS)];
    all.extend_from_slice(fields);
    let res = import(auth0, token, &file(users), &all).await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{:#}", res.body);
    let id = res.expect_str("id");
    let done = finished_job(auth0, token, &id).await;
    (res.body, done)
}

async fn errors_of(auth0: &Auth0, token: &str, id: &str) -> Res {
    send(auth0, get(&format!("/api/v2/jobs/{id}/errors"), token)).await
}

/// bcrypt at cost 10, the only cost Auth0's import takes in `password_hash`.
fn bcrypt10(password: &str) -> String {
    bcrypt::hash_with_salt(password, 10, [7; 16])
        .expect("bcrypt")
        .format_for_version(bcrypt::Version::TwoB)
}

fn md5_hex(text: &str) -> String {
    use md5::{Digest, Md5};
    Md5::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn sha256_base64(text: &str) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
}

// ---------------------------------------------------------------- accepting a job

#[tokio::test]
async fn a_job_is_accepted_pending_then_completed_with_its_summary() {
    let (auth0, token) = setup("").await;
    let users = json!([
        { "email": "Kate.Libby@example.com", "user_id": "kate", "email_verified": true, "given_name": "Kate", "app_metadata": { "plan": "silver" } },
        { "email": "paul.cook@example.com", "username": "lordnikon", "user_metadata": { "handle": "Lord Nikon" } },
        { "email": "joey@example.com", "name": "Joey Pardella", "blocked": true, "phone_number": "+15551234567" },
    ]);
    let res = import(
        &auth0,
        &token,
        &file(&users),
        &[
            ("connection_id", USERS),
            ("external_id", "batch-7"),
            ("send_completion_email", "false"),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{:#}", res.body);
    let id = res.expect_str("id");
    assert!(
        id.len() == 20 && id.starts_with("job_") && id[4..].chars().all(|c| c.is_ascii_alphanumeric()),
        "{id}"
    );
    assert_eq!(
        res.body,
        json!({
            "type": "users_import",
            "status": "pending",
            "created_at": "2026-01-01T00:00:00.000Z",
            "id": id,
            "connection_id": USERS,
            "connection": "users",
            "upsert": false,
            "send_completion_email": false,
            "external_id": "batch-7",
        })
    );
    let done = finished_job(&auth0, &token, &id).await;
    assert_eq!(
        done,
        json!({
            "type": "users_import",
            "status": "completed",
            "created_at": "2026-01-01T00:00:00.000Z",
            "id": id,
            "connection_id": USERS,
            "connection": "users",
            "upsert": false,
            "send_completion_email": false,
            "external_id": "batch-7",
            "summary": { "failed": 0, "updated": 0, "inserted": 3, "total": 3 },
        })
    );
    let res = errors_of(&auth0, &token, &id).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert_eq!(res.text, "");

    let users = auth0.users();
    assert_eq!(users.len(), 4);
    let kate = &users[1];
    assert_eq!(kate["user_id"], "auth0|kate");
    assert_eq!(kate["email"], "kate.libby@example.com");
    assert_eq!(kate["email_verified"], true);
    assert_eq!(kate["app_metadata"], json!({ "plan": "silver" }));
    assert_eq!(kate["identities"][0]["connection"], "users");
    let paul = &users[2];
    let generated = paul["user_id"].as_str().expect("an id").trim_start_matches("auth0|");
    assert!(
        generated.len() == 24 && generated.chars().all(|c| c.is_ascii_hexdigit()),
        "{generated}"
    );
    assert_eq!(paul["username"], "lordnikon");
    assert_eq!(paul["nickname"], "paul.cook");
    assert_eq!(paul["email_verified"], false);
    assert_eq!(users[3]["blocked"], true);
    assert_eq!(users[3]["phone_number"], "+15551234567");
    // Imported without a hash: no password works until a reset.
    login(&auth0, STOREFRONT, "users", "paul.cook@example.com", "anything")
        .await
        .assert_oauth(403, "invalid_grant", WRONG_CREDENTIALS);
    // Defaults: upsert false, completion email on.
    let (accepted, _) = run_import(&auth0, &token, &json!([{ "email": "eugene@example.com" }]), &[]).await;
    assert_eq!(accepted["upsert"], false);
    assert_eq!(accepted["send_completion_email"], true);
    assert_eq!(accepted.get("external_id"), None);
}

#[tokio::test]
async fn every_payload_error_is_a_400_in_the_api_shape() {
    let (auth0, token) = setup("connections: [{ name: other, id: con_other00000000001 }]").await;
    let users = file(&json!([{ "email": "a@example.com" }]));
    let cases: Vec<(Vec<Part<'_>>, &str)> = vec![
        (
            vec![("connection_id", None, USERS.as_bytes())],
            "Payload validation error: 'Missing required property: users'.",
        ),
        (
            vec![("users", Some("users.json"), &users)],
            "Payload validation error: 'Missing required property: connection_id'.",
        ),
        (
            vec![("users", Some("users.json"), &users), ("connection_id", None, b"con_x")],
            "Payload validation error: 'String does not match pattern ^con_[A-Za-z0-9]{16}$' on property connection_id.",
        ),
        (
            vec![
                ("users", Some("users.json"), &users),
                ("connection_id", None, b"users00000000000000001"),
            ],
            "Payload validation error: 'String does not match pattern ^con_[A-Za-z0-9]{16}$' on property connection_id.",
        ),
        (
            vec![
                ("users", Some("users.json"), &users),
                ("connection_id", None, USERS.as_bytes()),
                ("upsert", None, b"yes"),
            ],
            "Payload validation error: 'Expected type boolean but found type string' on property upsert (yes).",
        ),
        (
            vec![
                ("users", Some("users.json"), &users),
                ("connection_id", None, USERS.as_bytes()),
                ("send_completion_email", None, b"1"),
            ],
            "Payload validation error: 'Expected type boolean but found type string' on property send_completion_email (1).",
        ),
        (
            vec![
                ("users", Some("users.json"), &users),
                ("connection_id", None, USERS.as_bytes()),
                ("connection", None, b"users"),
            ],
            "Payload validation error: 'Additional properties not allowed: connection'.",
        ),
    ];
    for (parts, message) in cases {
        let (content_type, body) = multipart(&parts);
        let res = send(
            &auth0,
            Request::post("/api/v2/jobs/users-imports")
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", content_type)
                .body(Body::from(body))
                .expect("request"),
        )
        .await;
        res.assert_api(400, message, Some("invalid_body"));
    }
    // A connection id of the right shape that names no connection: 400 (the endpoint's published
    // status codes have no 404).
    // FIDELITY: auth0/import-connection
    import(&auth0, &token, &users, &[("connection_id", "con_AAAAAAAAAAAAAAAA")])
        .await
        .assert_api(400, "The connection does not exist", Some("inexistent_connection"));
    // Nothing was accepted.
    send(&auth0, get("/api/v2/jobs/job_AAAAAAAAAAAAAAAA", &token))
        .await
        .assert_api(404, "The job does not exist", Some("inexistent_job"));
}

#[tokio::test]
async fn a_body_that_is_not_multipart_is_refused_in_the_api_shape_after_the_token_check() {
    let (auth0, token) = setup("").await;
    let post = |content_type: &'static str, token: Option<String>| {
        let mut req = Request::post("/api/v2/jobs/users-imports").header("content-type", content_type);
        if let Some(token) = token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        req.body(Body::from("{\"users\":[]}")).expect("request")
    };
    send(&auth0, post("application/json", None))
        .await
        .assert_api(401, "Missing authentication", None);
    for content_type in ["application/json", "multipart/form-data", "text/plain"] {
        let res = send(&auth0, post(content_type, Some(token.clone()))).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{content_type}: {}", res.text);
        assert_eq!(res.body["errorCode"], "invalid_body", "{content_type}: {:#}", res.body);
        assert!(
            res.body["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Invalid multipart payload: ")),
            "{:#}",
            res.body
        );
    }
    // A multipart body cut short.
    let (content_type, body) = multipart(&[("connection_id", None, USERS.as_bytes())]);
    let res = send(
        &auth0,
        Request::post("/api/v2/jobs/users-imports")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", content_type)
            .body(Body::from(body[..body.len() / 2].to_vec()))
            .expect("request"),
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    assert_eq!(res.body["errorCode"], "invalid_body");
}

#[tokio::test]
async fn a_users_file_over_500000_bytes_is_413() {
    // FIDELITY: auth0/import-file-limit
    // FIDELITY.md, "Auth0: the bulk-import schema": the limit is on the users file, 500 KB read
    // as 500,000 bytes, one home in import_schema::file.
    let (auth0, token) = setup("").await;
    // A valid array padded with spaces to exactly the limit is accepted.
    let mut exact = b"[{\"email\":\"big@example.com\"}".to_vec();
    exact.resize(import_schema::MAX_FILE_BYTES - 1, b' ');
    exact.push(b']');
    let res = import(&auth0, &token, &exact, &[("connection_id", USERS)]).await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{:#}", res.body);
    let done = finished_job(&auth0, &token, &res.expect_str("id")).await;
    assert_eq!(done["summary"]["inserted"], 1);

    let mut over = exact.clone();
    over.insert(1, b' ');
    import(&auth0, &token, &over, &[("connection_id", USERS)])
        .await
        .assert_api(413, "Payload content length greater than maximum allowed: 500000", None);
}

#[tokio::test]
async fn two_jobs_run_side_by_side_and_a_third_is_429_until_one_ends() {
    // FIDELITY: auth0/import-job-concurrency
    let (auth0, token) = setup("settings: { import_users_per_hour: 3600 }").await;
    let mut ids = vec![];
    for (i, count) in [(0, 3), (1, 1)] {
        let users: Vec<Value> = (0..count)
            .map(|n| json!({ "email": format!("job{i}.user{n}@example.com") }))
            .collect();
        let res = import(&auth0, &token, &file(&json!(users)), &[("connection_id", USERS)]).await;
        assert_eq!(res.status, StatusCode::ACCEPTED, "{:#}", res.body);
        ids.push(res.expect_str("id"));
    }
    let third = file(&json!([{ "email": "third@example.com" }]));
    import(&auth0, &token, &third, &[("connection_id", USERS)])
        .await
        .assert_api(
            429,
            "There are 2 active import users jobs, please wait until some of them are finished and try again",
            Some("too_many_requests"),
        );
    // Both start after their pending time and process side by side, a second a row.
    auth0.kit().clock.advance(Duration::from_millis(3500));
    let first = send(&auth0, get(&format!("/api/v2/jobs/{}", ids[0]), &token)).await;
    assert_eq!(
        (
            &first.body["status"],
            &first.body["percentage_done"],
            &first.body["time_left_seconds"]
        ),
        (&json!("processing"), &json!(33), &json!(2))
    );
    let second = send(&auth0, get(&format!("/api/v2/jobs/{}", ids[1]), &token)).await;
    assert_eq!(second.body["status"], "completed", "its one row ended at 00:00:03");
    // One slot is free again.
    let res = import(&auth0, &token, &third, &[("connection_id", USERS)]).await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{:#}", res.body);
    let third_id = res.expect_str("id");
    finished_job(&auth0, &token, &ids[0]).await;
    finished_job(&auth0, &token, &third_id).await;
    // Each user was created when their row was done: the rows of the two first jobs
    // interleave in time.
    let created: Vec<(String, String)> = auth0
        .users()
        .iter()
        .skip(1)
        .map(|u| {
            (
                u["email"].as_str().unwrap_or("?").to_owned(),
                u["created_at"].as_str().unwrap_or("?").to_owned(),
            )
        })
        .collect();
    let expect = |e: &str, t: &str| (e.to_owned(), t.to_owned());
    assert_eq!(
        created,
        [
            expect("job0.user0@example.com", "2026-01-01T00:00:03.000Z"),
            expect("job1.user0@example.com", "2026-01-01T00:00:03.000Z"),
            expect("job0.user1@example.com", "2026-01-01T00:00:04.000Z"),
            expect("job0.user2@example.com", "2026-01-01T00:00:05.000Z"),
            expect("third@example.com", "2026-01-01T00:00:06.500Z"),
        ]
    );
}

#[tokio::test]
async fn a_job_is_pending_then_processing_with_its_progress_moving_then_completed() {
    // FIDELITY: auth0/import-job-timing
    let (auth0, token) = setup("").await;
    let users: Vec<Value> = (0..10)
        .map(|n| json!({ "email": format!("user{n}@example.com") }))
        .collect();
    let res = import(&auth0, &token, &file(&json!(users)), &[("connection_id", USERS)]).await;
    let id = res.expect_str("id");
    let at = |auth0: &Auth0, token: &str| {
        let path = format!("/api/v2/jobs/{id}");
        let auth0 = auth0.clone();
        let token = token.to_owned();
        async move { send(&auth0, get(&path, &token)).await.body }
    };
    let pending = at(&auth0, &token).await;
    assert_eq!(pending["status"], "pending");
    assert_eq!(pending.get("percentage_done"), None);
    // 2 s pending, then 10 rows of 180 ms: 1.8 s.
    auth0.kit().clock.advance(Duration::from_secs(2));
    let started = at(&auth0, &token).await;
    assert_eq!(
        (
            &started["status"],
            &started["percentage_done"],
            &started["time_left_seconds"]
        ),
        (&json!("processing"), &json!(0), &json!(2))
    );
    auth0.kit().clock.advance(Duration::from_millis(900));
    let halfway = at(&auth0, &token).await;
    assert_eq!(
        (&halfway["percentage_done"], &halfway["time_left_seconds"]),
        (&json!(50), &json!(1))
    );
    assert_eq!(auth0.users().len(), 6, "five rows done, and the seeded user");
    auth0.kit().clock.advance(Duration::from_millis(899));
    assert_eq!(at(&auth0, &token).await["percentage_done"], 90);
    auth0.kit().clock.advance(Duration::from_millis(1));
    let done = at(&auth0, &token).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done.get("percentage_done"), None);
    let users = auth0.users();
    assert_eq!(users[1]["created_at"], "2026-01-01T00:00:02.180Z");
    assert_eq!(users[10]["created_at"], "2026-01-01T00:00:03.800Z");
    // The `sui` event is dated when the job ended, whenever it was first looked at.
    let sui = send(&auth0, get("/api/v2/logs?q=type:sui", &token)).await;
    assert_eq!(sui.body[0]["date"], "2026-01-01T00:00:03.800Z");
}

// ---------------------------------------------------------------- errors and failures

#[tokio::test]
async fn invalid_rows_fail_alone_and_the_errors_endpoint_lists_them_with_hashes_redacted() {
    // FIDELITY: auth0/import-duplicates
    let (auth0, token) = setup("").await;
    let users = json!([
        { "email": "ok@example.com", "password_hash": bcrypt10("Fine-1") },
        { "email": "not-an-email", "custom_password_hash": { "algorithm": "md5", "hash": { "value": "abc123", "encoding": "hex" }, "salt": { "value": "pepper" } } },
        { "email": "OK@example.com" },
        { "email": "dade.murphy@example.com" },
        { "email": "hash@", "password_hash": "$2x$10$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY" },
        // The published schema says only "string", but Auth0's job refuses a password_hash
        // that is not bcrypt at cost 10 (FIDELITY.md, "Auth0: the bulk-import schema").
        { "email": "md5-in-password-hash@example.com", "password_hash": "5f4dcc3b5aa765d61d8327deb882cf99" },
        { "email": "hmac@example.com", "custom_password_hash": { "algorithm": "hmac", "hash": { "value": "c2VjcmV0", "encoding": "base64", "digest": "sha1", "key": { "value": "k3y" } } }, "favourite": 1 },
        { "user_id": "no-email" },
    ]);
    let (_, done) = run_import(&auth0, &token, &users, &[]).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(
        done["summary"],
        json!({ "failed": 7, "updated": 0, "inserted": 1, "total": 8 })
    );
    let res = errors_of(&auth0, &token, done["id"].as_str().expect("id")).await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert!(!res.text.contains("abc123") && !res.text.contains("pepper") && !res.text.contains("k3y"));
    assert!(!res.text.contains("c2VjcmV0") && !res.text.contains("abcdefghijklmnop"));
    assert!(!res.text.contains("5f4dcc3b5aa765d61d8327deb882cf99"));
    let errors = res.body.as_array().expect("an array");
    assert_eq!(errors.len(), 7);
    assert_eq!(
        errors[0],
        json!({
            "user": { "email": "not-an-email", "custom_password_hash": { "algorithm": "md5", "hash": { "value": "*****", "encoding": "hex" }, "salt": { "value": "*****" } } },
            "errors": [{ "code": "INVALID_FORMAT", "message": "Error in email property - Object didn't pass validation for format email: not-an-email", "path": "email" }],
        })
    );
    assert_eq!(
        errors[1],
        json!({ "user": { "email": "OK@example.com" }, "errors": [{ "code": "DUPLICATED_USER", "message": DUPLICATE_IN_FILE }] })
    );
    assert_eq!(
        errors[2],
        json!({ "user": { "email": "dade.murphy@example.com" }, "errors": [{ "code": "DUPLICATED_USER", "message": "The user already exists." }] })
    );
    assert_eq!(errors[3]["user"]["password_hash"], "*****");
    // FIDELITY: auth0/import-password-hash-pattern
    let pattern = json!({
        "code": "PATTERN",
        "message": "Error in passwordHash property - String does not match pattern ^\\$2[ab]?\\$10+\\$[./A-Za-z0-9]{53}$",
        "path": "passwordHash",
    });
    assert_eq!(
        errors[3]["errors"],
        json!([
            { "code": "INVALID_FORMAT", "message": "Error in email property - Object didn't pass validation for format email: hash@", "path": "email" },
            pattern,
        ])
    );
    assert_eq!(
        errors[4],
        json!({ "user": { "email": "md5-in-password-hash@example.com", "password_hash": "*****" }, "errors": [pattern] })
    );
    assert_eq!(
        errors[5]["user"]["custom_password_hash"]["hash"],
        json!({ "value": "*****", "encoding": "base64", "digest": "sha1", "key": { "value": "*****" } })
    );
    assert_eq!(
        errors[5]["errors"][0]["code"], "OBJECT_ADDITIONAL_PROPERTIES",
        "{:#}",
        errors[5]
    );
    assert_eq!(errors[6]["user"], json!({ "user_id": "no-email" }));
    assert_eq!(errors[6]["errors"][0]["code"], "OBJECT_REQUIRED", "{:#}", errors[6]);
    // Only the valid rows are in the store, and the bcrypt hash works.
    assert_eq!(auth0.users().len(), 2);
    assert_eq!(
        login(&auth0, STOREFRONT, "users", "ok@example.com", "Fine-1")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_user_repeated_in_one_file_by_email_username_or_user_id_fails_after_the_first() {
    // FIDELITY: auth0/import-duplicates
    // Emails and usernames compare without case (Auth0 stores them in lower case), user_ids as
    // given; the first row wins and each later row fails with Auth0's unfilled placeholder.
    let (auth0, token) = setup("").await;
    let users = json!([
        { "email": "acid.burn@example.com", "username": "AcidBurn" },
        { "email": "kate.libby@example.com", "username": "acidburn" },
        { "email": "ACID.BURN@example.com" },
        { "email": "zero.cool@example.com", "user_id": "1337" },
        { "email": "dade.murphy@example.com", "user_id": "1337" },
        { "email": "crash.override@example.com", "user_id": "1337x" },
    ]);
    let (_, done) = run_import(&auth0, &token, &users, &[]).await;
    assert_eq!(
        done["summary"],
        json!({ "failed": 3, "updated": 0, "inserted": 3, "total": 6 })
    );
    let res = errors_of(&auth0, &token, done["id"].as_str().expect("id")).await;
    let errors = res.body.as_array().expect("an array");
    let failed: Vec<&str> = errors
        .iter()
        .map(|e| e["user"]["email"].as_str().expect("email"))
        .collect();
    assert_eq!(
        failed,
        [
            "kate.libby@example.com",
            "ACID.BURN@example.com",
            "dade.murphy@example.com"
        ]
    );
    for error in errors {
        assert_eq!(
            error["errors"],
            json!([{ "code": "DUPLICATED_USER", "message": DUPLICATE_IN_FILE }])
        );
    }
    assert_eq!(
        DUPLICATE_IN_FILE,
        "A user with this [email|username|user_id] was already provided."
    );
}

#[tokio::test]
async fn a_file_that_cannot_be_read_fails_the_whole_job() {
    let (auth0, token) = setup("").await;
    for (content, details) in [
        (
            b"not json".as_slice(),
            "Failed to parse users file JSON when importing users. Make sure it is valid JSON. (expected ident at line 1 column 2)",
        ),
        (
            b"{\"email\":\"a@example.com\"}",
            "Users file must be an array of user objects",
        ),
        (
            b"",
            "Failed to parse users file JSON when importing users. Make sure it is valid JSON. (EOF while parsing a value at line 1 column 0)",
        ),
    ] {
        let res = import(&auth0, &token, content, &[("connection_id", USERS)]).await;
        assert_eq!(res.status, StatusCode::ACCEPTED, "{:#}", res.body);
        let id = res.expect_str("id");
        let created_at = res.body["created_at"].clone();
        let done = finished_job(&auth0, &token, &id).await;
        let expected = json!({
            "type": "users_import",
            "status": "failed",
            "created_at": created_at,
            "id": id,
            "connection_id": USERS,
            "connection": "users",
            "upsert": false,
            "send_completion_email": true,
            "status_details": details,
        });
        assert_eq!(done, expected);
        // The errors endpoint answers with Auth0's generic job error: the job's status, type,
        // creation, id, connection and the reason, nothing else.
        // FIDELITY: auth0/import-job-failure
        let errors = errors_of(&auth0, &token, &id).await;
        assert_eq!(errors.status, StatusCode::OK);
        assert_eq!(
            errors.body,
            json!({
                "status": "failed",
                "type": "users_import",
                "created_at": created_at,
                "id": id,
                "connection_id": USERS,
                "status_details": details,
            })
        );
    }
    assert_eq!(auth0.users().len(), 1);
}

// ---------------------------------------------------------------- upsert

#[tokio::test]
async fn upsert_updates_the_upsertable_fields_of_a_user_matched_by_email() {
    let (auth0, token) = setup("").await;
    let row = json!([{
        "email": "Dade.Murphy@example.com",
        "given_name": "Dade",
        "name": "Dade Murphy",
        "email_verified": true,
        "user_metadata": { "lang": "en" },
        "app_metadata": { "tier": 1 },
        "blocked": true,
        "username": "crashoverride",
        "user_id": "other-id",
    }]);
    // Without upsert the row is a duplicate.
    let (_, done) = run_import(&auth0, &token, &row, &[]).await;
    assert_eq!(
        done["summary"],
        json!({ "failed": 1, "updated": 0, "inserted": 0, "total": 1 })
    );

    // The first job ended within 3 s: the clock stands at 00:00:03.
    auth0.kit().clock.advance(Duration::from_secs(60));
    let (accepted, done) = run_import(&auth0, &token, &row, &[("upsert", "true")]).await;
    assert_eq!(accepted["upsert"], true);
    assert_eq!(
        done["summary"],
        json!({ "failed": 0, "updated": 1, "inserted": 0, "total": 1 })
    );
    let dade = &auth0.users()[0];
    assert_eq!(dade["user_id"], "auth0|dade", "user_id is not upsertable");
    assert_eq!(dade["username"], "zerocool", "username is not upsertable");
    assert_eq!(dade.get("blocked"), None, "blocked is not upsertable");
    assert_eq!(dade["given_name"], "Dade");
    assert_eq!(dade["name"], "Dade Murphy");
    assert_eq!(dade["email_verified"], true);
    assert_eq!(dade["user_metadata"], json!({ "lang": "en" }), "replaced, not merged");
    assert_eq!(dade["app_metadata"], json!({ "tier": 1 }), "replaced, not merged");
    // Updated when its row was done: created at 00:01:03, pending 2 s, then 360 ms (an upsert
    // job's row takes twice as long). FIDELITY: auth0/import-job-timing
    assert_eq!(dade["updated_at"], "2026-01-01T00:01:05.360Z");
    // The password is untouched.
    assert_eq!(
        login(&auth0, STOREFRONT, "users", "dade.murphy@example.com", "Hunter2!")
            .await
            .status,
        StatusCode::OK
    );
    // A hash cannot be added to a user who has one.
    let (_, done) = run_import(
        &auth0,
        &token,
        &json!([{ "email": "dade.murphy@example.com", "custom_password_hash": { "algorithm": "md5", "hash": { "value": md5_hex("x"), "encoding": "hex" } } }]),
        &[("upsert", "true")],
    )
    .await;
    assert_eq!(done["summary"]["failed"], 1);
    let errors = errors_of(&auth0, &token, done["id"].as_str().expect("id")).await;
    assert_eq!(
        errors.body[0]["errors"],
        json!([{ "code": "CONFLICT", "message": "A custom_password_hash was provided, but the user already has password hash defined." }])
    );
    assert_eq!(errors.body[0]["user"]["custom_password_hash"]["hash"]["value"], "*****");
}

#[tokio::test]
async fn upsert_does_not_merge_a_row_that_matches_another_user_on_id_or_username() {
    let (auth0, token) = setup("").await;
    let (_, done) = run_import(
        &auth0,
        &token,
        &json!([
            { "email": "someone.else@example.com", "user_id": "dade" },
            { "email": "third@example.com", "username": "ZeroCool" },
            { "email": "fourth@example.com", "user_id": "dade" },
        ]),
        &[("upsert", "true")],
    )
    .await;
    assert_eq!(
        done["summary"],
        json!({ "failed": 3, "updated": 0, "inserted": 0, "total": 3 })
    );
    let errors = errors_of(&auth0, &token, done["id"].as_str().expect("id")).await;
    let codes: Vec<(&str, &str)> = errors
        .body
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["errors"][0]["code"].as_str().unwrap_or("?"),
                e["errors"][0]["message"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            (
                "CONFLICT",
                "A user with the same user_id already exists with another email."
            ),
            (
                "CONFLICT_USERNAME",
                "A user with the same username already exists with another email."
            ),
            ("DUPLICATED_USER", DUPLICATE_IN_FILE),
        ]
    );
    assert_eq!(auth0.users().len(), 1);
}

// ---------------------------------------------------------------- time

#[tokio::test]
async fn finished_jobs_are_forgotten_after_24_hours() {
    let (auth0, token) = setup("").await;
    let (_, done) = run_import(&auth0, &token, &json!([{ "email": "a@example.com", "name": "" }]), &[]).await;
    let id = done["id"].as_str().expect("id").to_owned();
    assert_eq!(done["summary"]["failed"], 1);
    // It ended at 00:00:02.180 (2 s pending, one row); the clock stands at 00:00:03.
    auth0.kit().clock.advance(Duration::from_secs(24 * 3600 - 1));
    // (Management tokens last 24 hours too.)
    let token = management_token(&auth0).await;
    assert_eq!(
        send(&auth0, get(&format!("/api/v2/jobs/{id}"), &token)).await.status,
        StatusCode::OK
    );
    assert_eq!(errors_of(&auth0, &token, &id).await.status, StatusCode::OK);
    auth0.kit().clock.advance(Duration::from_millis(181));
    send(&auth0, get(&format!("/api/v2/jobs/{id}"), &token))
        .await
        .assert_api(404, "The job does not exist", Some("inexistent_job"));
    errors_of(&auth0, &token, &id)
        .await
        .assert_api(404, "The job does not exist", Some("inexistent_job"));
}

#[tokio::test]
async fn a_job_not_done_two_hours_after_it_was_created_fails_with_what_it_had_done() {
    // FIDELITY: auth0/import-job-failure
    // One user an hour: the third row would end three hours in.
    let (auth0, token) = setup("settings: { import_users_per_hour: 1, import_job_pending: 0s }").await;
    let res = import(
        &auth0,
        &token,
        &file(
            &json!([{ "email": "one@example.com" }, { "email": "two@example.com" }, { "email": "three@example.com" }]),
        ),
        &[("connection_id", USERS)],
    )
    .await;
    let id = res.expect_str("id");
    auth0.kit().clock.advance(Duration::from_secs(3600));
    let res = send(&auth0, get(&format!("/api/v2/jobs/{id}"), &token)).await;
    assert_eq!(res.body["status"], "processing");
    assert_eq!(res.body["percentage_done"], 33);
    assert_eq!(res.body["time_left_seconds"], 7200, "two more rows of an hour each");
    auth0.kit().clock.advance(Duration::from_secs(3600));
    let res = send(&auth0, get(&format!("/api/v2/jobs/{id}"), &token)).await;
    let details = "Job timed out: it did not complete within 2 hours";
    assert_eq!(
        res.body,
        json!({
            "type": "users_import",
            "status": "failed",
            "created_at": "2026-01-01T00:00:00.000Z",
            "id": id,
            "connection_id": USERS,
            "connection": "users",
            "upsert": false,
            "send_completion_email": true,
            "summary": { "failed": 0, "updated": 0, "inserted": 2, "total": 3 },
            "status_details": details,
        })
    );
    // What it did stays done; the errors endpoint answers with the job-level failure.
    let emails: Vec<Value> = auth0.users().iter().map(|u| u["email"].clone()).collect();
    assert_eq!(
        emails,
        [
            json!("dade.murphy@example.com"),
            json!("one@example.com"),
            json!("two@example.com")
        ]
    );
    let errors = errors_of(&auth0, &token, &id).await;
    assert_eq!(errors.body["status_details"], details);
    assert_eq!(errors.body.get("summary"), None);
    // It no longer counts against the two active jobs.
    let (_, next) = run_import(&auth0, &token, &json!([{ "email": "next@example.com" }]), &[]).await;
    assert_eq!(next["status"], "completed");
    let fui = send(&auth0, get("/api/v2/logs?q=type:fui", &token)).await;
    assert_eq!(fui.body[0]["description"], details);
    assert_eq!(fui.body[0]["date"], "2026-01-01T02:00:00.000Z");
}

#[tokio::test]
async fn a_job_still_pending_two_hours_after_it_was_created_fails_and_imports_nothing() {
    // FIDELITY: auth0/import-job-failure
    let (auth0, token) = setup("settings: { import_job_pending: 3h }").await;
    let res = import(
        &auth0,
        &token,
        &file(&json!([{ "email": "late@example.com" }])),
        &[("connection_id", USERS)],
    )
    .await;
    let id = res.expect_str("id");
    auth0.kit().clock.advance(Duration::from_secs(2 * 3600 - 1));
    let res = send(&auth0, get(&format!("/api/v2/jobs/{id}"), &token)).await;
    assert_eq!(res.body["status"], "pending");
    assert_eq!(
        res.body.get("percentage_done"),
        None,
        "only a processing job has a progress"
    );
    auth0.kit().clock.advance(Duration::from_secs(1));
    let res = send(&auth0, get(&format!("/api/v2/jobs/{id}"), &token)).await;
    assert_eq!(res.body["status"], "failed");
    assert_eq!(res.body.get("summary"), None, "it never started on its rows");
    assert_eq!(auth0.users().len(), 1);
    // Forgotten a day after it failed.
    auth0.kit().clock.advance(Duration::from_secs(24 * 3600 + 1));
    let token = management_token(&auth0).await;
    assert_eq!(
        send(&auth0, get(&format!("/api/v2/jobs/{id}"), &token)).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn rows_after_the_connection_was_deleted_fail_with_connection_not_found() {
    // FIDELITY: auth0/import-job-failure
    let (auth0, token) = setup("settings: { import_users_per_hour: 3600, import_job_pending: 0s }").await;
    let res = import(
        &auth0,
        &token,
        &file(&json!([{ "email": "first@example.com" }, { "email": "second@example.com" }, { "email": "third@example.com" }])),
        &[("connection_id", USERS)],
    )
    .await;
    let id = res.expect_str("id");
    auth0.kit().clock.advance(Duration::from_millis(1500));
    let res = send(
        &auth0,
        Request::delete(format!("/api/v2/connections/{USERS}"))
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{:#}", res.body);
    let done = finished_job(&auth0, &token, &id).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(
        done["summary"],
        json!({ "failed": 2, "updated": 0, "inserted": 1, "total": 3 })
    );
    let errors = errors_of(&auth0, &token, &id).await;
    assert_eq!(
        errors.body[0],
        json!({
            "user": { "email": "second@example.com" },
            "errors": [{ "code": "CONNECTION_NOT_FOUND", "message": "The connection users does not exist." }],
        })
    );
}

// ---------------------------------------------------------------- imported hashes

#[tokio::test]
async fn bcrypt_password_hashes_log_in_as_they_are() {
    let (auth0, token) = setup("").await;
    let (_, done) = run_import(
        &auth0,
        &token,
        &json!([
            { "email": "hello@example.com", "password_hash": "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K" },
            { "email": "kate.libby@example.com", "password_hash": bcrypt10("Acid-Burn-1").replacen("$2b$", "$2a$", 1) },
        ]),
        &[],
    )
    .await;
    assert_eq!(done["summary"]["inserted"], 2, "{done:#}");
    for (email, password) in [
        ("hello@example.com", "hello"),
        ("kate.libby@example.com", "Acid-Burn-1"),
    ] {
        let res = login(&auth0, STOREFRONT, "users", email, password).await;
        assert_eq!(res.status, StatusCode::OK, "{email}: {:#}", res.body);
        login(&auth0, STOREFRONT, "users", email, "Hello")
            .await
            .assert_oauth(403, "invalid_grant", WRONG_CREDENTIALS);
    }
}

const CUSTOM_HASH_FAILED: &str = "Password change required: verification failed for the provided custom_password_hash";

#[tokio::test]
async fn custom_password_hashes_verify_once_then_become_bcrypt() {
    let (auth0, token) = setup("").await;
    let users = json!([
        { "email": "md5@example.com", "custom_password_hash": { "algorithm": "md5", "hash": { "value": md5_hex("Passw0rd!"), "encoding": "hex" } } },
        {
            "email": "salted@example.com",
            "custom_password_hash": {
                "algorithm": "sha256",
                "hash": { "value": sha256_base64("s4ltPassw0rd!"), "encoding": "base64" },
                "salt": { "value": "s4lt", "position": "prefix" },
            },
        },
    ]);
    let (_, done) = run_import(&auth0, &token, &users, &[]).await;
    assert_eq!(done["summary"]["inserted"], 2, "{done:#}");

    for email in ["md5@example.com", "salted@example.com"] {
        login(&auth0, STOREFRONT, "users", email, "Passw0rd?")
            .await
            .assert_oauth(403, "invalid_grant", WRONG_CREDENTIALS);
        let res = login(&auth0, STOREFRONT, "users", email, "Passw0rd!").await;
        assert_eq!(res.status, StatusCode::OK, "{email}: {:#}", res.body);
        // Re-hashed: the next wrong password is an ordinary one, the right one still works.
        login(&auth0, STOREFRONT, "users", email, "Passw0rd?")
            .await
            .assert_oauth(403, "invalid_grant", WRONG_CREDENTIALS);
        let res = login(&auth0, STOREFRONT, "users", email, "Passw0rd!").await;
        assert_eq!(res.status, StatusCode::OK, "{email}: {:#}", res.body);
    }
    let failures: Vec<(String, String)> = auth0
        .logs()
        .into_iter()
        .filter(|l| l.kind == "fp")
        .map(|l| (l.user_name.unwrap_or_default(), l.description))
        .collect();
    assert_eq!(
        failures,
        [
            ("md5@example.com".to_owned(), CUSTOM_HASH_FAILED.to_owned()),
            ("md5@example.com".to_owned(), WRONG_CREDENTIALS.to_owned()),
            ("salted@example.com".to_owned(), CUSTOM_HASH_FAILED.to_owned()),
            ("salted@example.com".to_owned(), WRONG_CREDENTIALS.to_owned()),
        ]
    );
    // After the first login the custom hash can no longer be replaced by an upsert.
    let (_, done) = run_import(
        &auth0,
        &token,
        &json!([{ "email": "md5@example.com", "custom_password_hash": { "algorithm": "md5", "hash": { "value": md5_hex("Other1!"), "encoding": "hex" } } }]),
        &[("upsert", "true")],
    )
    .await;
    assert_eq!(done["summary"]["failed"], 1);
    assert_eq!(
        login(&auth0, STOREFRONT, "users", "md5@example.com", "Passw0rd!")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_custom_hash_can_be_replaced_by_upsert_before_its_first_login() {
    let (auth0, token) = setup("").await;
    let row = |password: &str| json!([{ "email": "md5@example.com", "custom_password_hash": { "algorithm": "md5", "hash": { "value": md5_hex(password), "encoding": "hex" } } }]);
    run_import(&auth0, &token, &row("First-1"), &[]).await;
    let (_, done) = run_import(&auth0, &token, &row("Second-2"), &[("upsert", "true")]).await;
    assert_eq!(
        done["summary"],
        json!({ "failed": 0, "updated": 1, "inserted": 0, "total": 1 })
    );
    login(&auth0, STOREFRONT, "users", "md5@example.com", "First-1")
        .await
        .assert_oauth(403, "invalid_grant", WRONG_CREDENTIALS);
    assert_eq!(
        login(&auth0, STOREFRONT, "users", "md5@example.com", "Second-2")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn users_imported_without_a_hash_get_one_by_resetting() {
    let (auth0, token) = setup("").await;
    run_import(&auth0, &token, &json!([{ "email": "nohash@example.com" }]), &[]).await;
    let res = send(
        &auth0,
        form(
            "/dbconnections/change_password",
            &[("email", "nohash@example.com"), ("connection", "users")],
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    let link = auth0.outbox()[0].link.clone();
    let ticket = link
        .split("ticket=")
        .nth(1)
        .expect("ticket")
        .trim_end_matches('#')
        .to_owned();
    let res = send(
        &auth0,
        form(
            "/lo/reset",
            &[
                ("ticket", &ticket),
                ("newPassword", "Fresh-Start-1"),
                ("confirmNewPassword", "Fresh-Start-1"),
            ],
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(
        login(&auth0, STOREFRONT, "users", "nohash@example.com", "Fresh-Start-1")
            .await
            .status,
        StatusCode::OK
    );
}

// ---------------------------------------------------------------- tenant logs

#[tokio::test]
async fn finished_jobs_leave_sui_and_fui_events_in_the_tenant_logs() {
    let (auth0, token) = setup("").await;
    let (_, done) = run_import(
        &auth0,
        &token,
        &json!([{ "email": "new@example.com" }, { "email": "dade.murphy@example.com" }]),
        &[("external_id", "batch-7")],
    )
    .await;
    assert_eq!(done["status"], "completed");
    let bad = import(&auth0, &token, b"not json", &[("connection_id", USERS)]).await;
    let bad_id = bad.expect_str("id");
    let failed = finished_job(&auth0, &token, &bad_id).await;
    assert_eq!(failed["status"], "failed");

    // A completed job is `sui` whatever its rows did; its summary is in the details.
    let res = send(&auth0, get("/api/v2/logs?q=type:sui", &token)).await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    let events = res.body.as_array().expect("array");
    assert_eq!(events.len(), 1, "{:#}", res.body);
    let sui = &events[0];
    assert_eq!(sui["description"], "Successful users import");
    assert_eq!(sui["connection"], "users");
    assert_eq!(sui["connection_id"], USERS);
    assert_eq!(
        sui["details"],
        json!({
            "job_id": done["id"],
            "upsert": false,
            "external_id": "batch-7",
            "summary": { "failed": 1, "updated": 0, "inserted": 1, "total": 2 },
        })
    );
    assert!(
        sui["log_id"]
            .as_str()
            .is_some_and(|id| id.len() == 56 && id.starts_with("9002"))
    );

    // A job that failed as a whole is `fui` with the reason as its description.
    let res = send(&auth0, get("/api/v2/logs?q=type:fui", &token)).await;
    let events = res.body.as_array().expect("array");
    assert_eq!(events.len(), 1, "{:#}", res.body);
    assert_eq!(events[0]["details"]["job_id"], json!(bad_id));
    assert!(
        events[0]["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("Failed to parse users file JSON")),
        "{:#}",
        events[0]
    );
    assert!(events[0].get("details").and_then(|d| d.get("summary")).is_none());

    // Newest first without q; a query that does not parse is Auth0's 400.
    let res = send(&auth0, get("/api/v2/logs", &token)).await;
    let kinds: Vec<&str> = res
        .body
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(kinds, ["fui", "sui"]);
    let res = send(&auth0, get("/api/v2/logs?q=type:(sui", &token)).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{:#}", res.body);
    assert_eq!(res.body["errorCode"], "invalid_query_string");
}
