//! The mock Auth0 as a tenant a migration must get right before its users can sign in: a
//! connection that is usable (it exists, takes passwords, is enabled for an application), the
//! connection's internal store and its ghosts, MFA enrollments carried over, applications that
//! sign ID tokens with HS256, and a discovery document whose URLs agree with its issuer.
//!
//! Each test names the FIDELITY.md entry it proves.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use mocks::auth0::{Auth0, DEFAULT_APP};
use serde_json::{Value, json};

use common::auth0::*;

const STOREFRONT: (&str, &str) = ("storefront-client-id", "storefront-secret");

/// A login script vouching for three legacy users; `mfa@…` comes with factors, `badmfa@…` with
/// factors Auth0 would not enroll.
const LOGIN_SCRIPT: &str = r#"function login(email, password, callback) {
  var users = {
    'ann@example.com': { user_id: 'legacy-ann', email: 'ann@example.com' },
    'mfa@example.com': { user_id: 'legacy-mfa', email: 'mfa@example.com',
      mfa_factors: [ { phone: { value: '+15551234567' } }, { email: { value: 'mfa.backup@example.com' } } ] },
    'badmfa@example.com': { user_id: 'legacy-badmfa', email: 'badmfa@example.com',
      mfa_factors: [ { phone: { value: '555-1234' } } ] }
  };
  var user = users[email];
  if (!user || password !== 'Legacy-Pass-1') return callback(new WrongUsernameOrPasswordError(email, 'no'));
  callback(null, user);
}"#;

/// A tenant with `Storefront`, the import-mode connection `legacy` (con_legacy0000000001)
/// running [`LOGIN_SCRIPT`], a Google connection and a database connection enabled for no
/// application; `settings` are the tenant settings (`bcrypt_cost: 4` for most tests).
fn migration_tenant(settings: &str) -> Auth0 {
    let script = serde_json::to_string(LOGIN_SCRIPT).expect("json string");
    tenant(&format!(
        r#"
settings: {{ {settings} }}
clients:
  - {{ name: Storefront, client_id: storefront-client-id, client_secret: storefront-secret }}
connections:
  - name: legacy
    id: con_legacy0000000001
    options:
      enabledDatabaseCustomization: true
      import_mode: true
      customScripts: {{ login: {script} }}
  - {{ name: google, id: con_google0000000001, strategy: google-oauth2 }}
  - {{ name: unused, id: con_unused0000000001, enabled_clients: [] }}
"#
    ))
}

fn user_count(auth0: &Auth0, email: &str) -> usize {
    auth0.users().iter().filter(|u| u["email"] == email).count()
}

/// Imports `users` into `connection_id` and waits for the job; returns the finished job and its
/// errors (`null` when there are none).
async fn import_and_wait(auth0: &Auth0, token: &str, users: Value, upsert: bool) -> (Value, Value) {
    let file = users.to_string();
    let res = import(
        auth0,
        token,
        file.as_bytes(),
        &[
            ("connection_id", "con_legacy0000000001"),
            ("upsert", if upsert { "true" } else { "false" }),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{:#}", res.body);
    let id = res.expect_str("id");
    let job = finished_job(auth0, token, &id).await;
    let errors = send(auth0, get(&format!("/api/v2/jobs/{id}/errors"), token)).await;
    (job, errors.body)
}

/// The tenant log's (type, description) pairs.
async fn logs(auth0: &Auth0) -> Vec<(String, String)> {
    let token = management_token(auth0).await;
    let res = send(auth0, get("/api/v2/logs?sort=date:1&per_page=100", &token)).await;
    res.body
        .as_array()
        .expect("logs")
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap_or("?").to_owned(),
                e["description"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// A connection must be usable

// FIDELITY: auth0/import-connection
#[tokio::test]
async fn an_import_needs_an_existing_database_connection_enabled_for_an_application() {
    let auth0 = migration_tenant("bcrypt_cost: 4");
    let token = management_token(&auth0).await;
    let file = br#"[{"email":"a@example.com"}]"#;
    import(&auth0, &token, file, &[("connection_id", "con_AAAAAAAAAAAAAAAA")])
        .await
        .assert_api(400, "The connection does not exist", Some("inexistent_connection"));
    import(&auth0, &token, file, &[("connection_id", "con_google0000000001")])
        .await
        .assert_api(
            400,
            "Connection must be a database connection",
            Some("operation_not_supported"),
        );
    import(&auth0, &token, file, &[("connection_id", "con_unused0000000001")])
        .await
        .assert_api(
            400,
            "The connection is disabled: enable it for at least one application",
            Some("connection_is_disabled"),
        );
    // Enabled for one application, it takes the file.
    let (default_app, _) = auth0.client_credentials(DEFAULT_APP).expect("default app");
    let res = send(
        &auth0,
        json_req(
            Method::PATCH,
            "/api/v2/connections/con_unused0000000001/clients",
            &json!([{ "client_id": default_app, "status": true }]),
            Some(&token),
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{:#}", res.body);
    let res = import(&auth0, &token, file, &[("connection_id", "con_unused0000000001")]).await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{:#}", res.body);
}

// FIDELITY: auth0/login-connection
#[tokio::test]
async fn a_login_needs_a_database_connection_enabled_for_its_application() {
    let auth0 = migration_tenant("bcrypt_cost: 4");
    login(&auth0, STOREFRONT, "nowhere", "ann@example.com", "Legacy-Pass-1")
        .await
        .assert_oauth(400, "invalid_request", "the connection was not found");
    login(&auth0, STOREFRONT, "google", "ann@example.com", "Legacy-Pass-1")
        .await
        .assert_oauth(400, "invalid_request", "the connection was not found");
    login(&auth0, STOREFRONT, "unused", "ann@example.com", "Legacy-Pass-1")
        .await
        .assert_oauth(400, "invalid_request", "the connection was disabled");
    assert!(auth0.script_executions().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Ghost users

// FIDELITY: auth0/ghost-users
#[tokio::test]
async fn a_migrated_user_deleted_through_the_users_endpoint_is_a_ghost_until_the_connection_user_is_deleted() {
    let auth0 = migration_tenant("bcrypt_cost: 4");
    let token = management_token(&auth0).await;
    let res = login(&auth0, STOREFRONT, "legacy", "ann@example.com", "Legacy-Pass-1").await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    let res = send(
        &auth0,
        bearer(Method::DELETE, "/api/v2/users/auth0%7Clegacy-ann", &token),
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert_eq!(user_count(&auth0, "ann@example.com"), 0, "gone from the tenant");

    // The first login migrates again... and meets the connection's record.
    login(&auth0, STOREFRONT, "legacy", "ann@example.com", "Legacy-Pass-1")
        .await
        .assert_oauth(403, "access_denied", "The user already exists.");
    assert_eq!(auth0.script_executions().len(), 2, "the login script ran again");
    assert!(
        logs(&auth0)
            .await
            .contains(&("f".to_owned(), "The user already exists.".to_owned())),
        "a `f` event"
    );
    // A bulk import fails with or without upsert; so does a creation.
    for upsert in [false, true] {
        let (job, errors) = import_and_wait(&auth0, &token, json!([{ "email": "ann@example.com" }]), upsert).await;
        assert_eq!(
            job["summary"],
            json!({ "failed": 1, "updated": 0, "inserted": 0, "total": 1 })
        );
        assert_eq!(
            errors,
            json!([{ "user": { "email": "ann@example.com" }, "errors": [{ "code": "DUPLICATED_USER", "message": "The user already exists." }] }])
        );
    }
    send(
        &auth0,
        json_req(
            Method::POST,
            "/api/v2/users",
            &json!({ "connection": "legacy", "email": "ann@example.com", "password": "Another-Pass-2" }),
            Some(&token),
        ),
    )
    .await
    .assert_api(409, "The user already exists.", Some("auth0_idp_error"));
    // A signup of that email too ("you delete a user … and then try to recreate the user").
    let res = send(
        &auth0,
        json_req(
            Method::POST,
            "/dbconnections/signup",
            &json!({ "client_id": "storefront-client-id", "connection": "legacy", "email": "ann@example.com", "password": "Another-Pass-2!" }),
            None,
        ),
    )
    .await;
    assert_eq!(
        (res.status, &res.body["code"], &res.body["description"]),
        (
            StatusCode::BAD_REQUEST,
            &json!("user_exists"),
            &json!("The user already exists.")
        ),
        "{:#}",
        res.body
    );
    assert_eq!(user_count(&auth0, "ann@example.com"), 0);
    // Deleting the user again does not help: there is no user to delete.
    let res = send(
        &auth0,
        bearer(Method::DELETE, "/api/v2/users/auth0%7Clegacy-ann", &token),
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    login(&auth0, STOREFRONT, "legacy", "ann@example.com", "Legacy-Pass-1")
        .await
        .assert_oauth(403, "access_denied", "The user already exists.");

    // DELETE /api/v2/connections/{id}/users?email= clears it: the next login migrates.
    let res = send(
        &auth0,
        bearer(
            Method::DELETE,
            "/api/v2/connections/con_legacy0000000001/users?email=Ann%40example.com",
            &token,
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{:#}", res.body);
    let res = login(&auth0, STOREFRONT, "legacy", "ann@example.com", "Legacy-Pass-1").await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(user_count(&auth0, "ann@example.com"), 1);
}

// FIDELITY: auth0/ghost-users
#[tokio::test]
async fn deleting_a_connection_user_answers_as_auth0_does() {
    let auth0 = migration_tenant("bcrypt_cost: 4");
    let token = management_token(&auth0).await;
    let delete = |path: &str| bearer(Method::DELETE, path, &token);
    send(&auth0, delete("/api/v2/connections/con_legacy0000000001/users"))
        .await
        .assert_api(
            400,
            "Query validation error: 'Missing required property: email' on property email.",
            Some("invalid_query_string"),
        );
    send(
        &auth0,
        delete("/api/v2/connections/con_AAAAAAAAAAAAAAAA/users?email=a%40b.co"),
    )
    .await
    .assert_api(400, "The connection does not exist", Some("inexistent_connection"));
    send(
        &auth0,
        delete("/api/v2/connections/con_google0000000001/users?email=a%40b.co"),
    )
    .await
    .assert_api(
        400,
        "Connection must be a database connection",
        Some("operation_not_supported"),
    );
    // Nobody with that email: still 204.
    let res = send(
        &auth0,
        delete("/api/v2/connections/con_legacy0000000001/users?email=a%40b.co"),
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    // The scope is delete:users.
    let (id, secret) = auth0.client_credentials("Ferry Management").expect("management app");
    let reader = client_token(&auth0, &id, &secret, Some("read:users")).await;
    send(
        &auth0,
        bearer(
            Method::DELETE,
            "/api/v2/connections/con_legacy0000000001/users?email=a%40b.co",
            &reader,
        ),
    )
    .await
    .assert_api(
        403,
        "Insufficient scope, expected any of: delete:users",
        Some("insufficient_scope"),
    );
}

// FIDELITY: auth0/ghost-users
#[tokio::test]
async fn lazy_and_bulk_migration_of_one_user_behave_as_documented() {
    let auth0 = migration_tenant("bcrypt_cost: 4");
    let token = management_token(&auth0).await;

    // Imported, then the first login: local, the login script is not called.
    let (job, _) = import_and_wait(
        &auth0,
        &token,
        json!([{ "email": "mfa@example.com", "user_id": "legacy-mfa", "password_hash": "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K" }]),
        false,
    )
    .await;
    assert_eq!(job["summary"]["inserted"], 1);
    let res = login(&auth0, STOREFRONT, "legacy", "mfa@example.com", "hello").await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert!(auth0.script_executions().is_empty());

    // First login, then imported: without upsert a duplicate, with upsert an update.
    let res = login(&auth0, STOREFRONT, "legacy", "ann@example.com", "Legacy-Pass-1").await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    let (job, errors) = import_and_wait(
        &auth0,
        &token,
        json!([{ "email": "ann@example.com", "name": "Ann Imported" }]),
        false,
    )
    .await;
    assert_eq!(job["summary"]["failed"], 1);
    assert_eq!(errors[0]["errors"][0]["code"], "DUPLICATED_USER");
    let (job, errors) = import_and_wait(
        &auth0,
        &token,
        json!([{ "email": "ann@example.com", "name": "Ann Imported" }]),
        true,
    )
    .await;
    assert_eq!(job["summary"]["updated"], 1, "{errors:#}");
    let ann = auth0
        .users()
        .into_iter()
        .find(|u| u["email"] == "ann@example.com")
        .expect("ann");
    assert_eq!(ann["name"], "Ann Imported");
    assert_eq!(ann["logins_count"], 1);
}

// FIDELITY: auth0/ghost-users
#[tokio::test]
async fn a_legacy_authentication_login_leaves_a_record_an_import_meets_until_the_user_is_deleted() {
    // Community 90646: log in with import mode off, turn it on, import the user: DUPLICATED_USER
    // even with upsert; deleting the user (the users endpoint) clears the record.
    let auth0 = migration_tenant("bcrypt_cost: 4");
    let token = management_token(&auth0).await;
    let connection = send(&auth0, get("/api/v2/connections/con_legacy0000000001", &token)).await;
    let mut options = connection.body["options"].clone();
    options["import_mode"] = json!(false);
    options["configuration"] = json!({});
    let patch = |options: Value| {
        json_req(
            Method::PATCH,
            "/api/v2/connections/con_legacy0000000001",
            &json!({ "options": options }),
            Some(&token),
        )
    };
    assert_eq!(send(&auth0, patch(options.clone())).await.status, StatusCode::OK);
    let res = login(&auth0, STOREFRONT, "legacy", "ann@example.com", "Legacy-Pass-1").await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    options["import_mode"] = json!(true);
    assert_eq!(send(&auth0, patch(options)).await.status, StatusCode::OK);
    let (job, errors) = import_and_wait(
        &auth0,
        &token,
        json!([{ "email": "ann@example.com", "user_id": "legacy-ann" }]),
        true,
    )
    .await;
    assert_eq!(job["summary"]["failed"], 1);
    assert_eq!(errors[0]["errors"][0]["code"], "DUPLICATED_USER");
    let res = send(
        &auth0,
        bearer(Method::DELETE, "/api/v2/users/auth0%7Clegacy-ann", &token),
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let (job, errors) = import_and_wait(
        &auth0,
        &token,
        json!([{ "email": "ann@example.com", "user_id": "legacy-ann" }]),
        true,
    )
    .await;
    assert_eq!(job["summary"]["inserted"], 1, "{errors:#}");
}

// FIDELITY: auth0/ghost-users
#[tokio::test]
async fn a_migration_interrupted_while_the_password_is_hashed_leaves_a_ghost() {
    // bcrypt at cost 20 takes far longer than the test waits; the login is abandoned while
    // Auth0 hashes the password, after the partial record is written.
    let auth0 = migration_tenant("bcrypt_cost: 20");
    let app = mocks::app(auth0.clone());
    let request = form(
        "/oauth/token",
        &[
            ("grant_type", PASSWORD_REALM),
            ("client_id", STOREFRONT.0),
            ("client_secret", STOREFRONT.1),
            ("realm", "legacy"),
            ("username", "ann@example.com"),
            ("password", "Legacy-Pass-1"),
        ],
    );
    let pending = tokio::spawn(send_to(app, request));
    for _ in 0..1_000 {
        if !auth0.script_executions().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(auth0.script_executions().len(), 1, "the login script ran");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!pending.is_finished(), "still hashing");
    pending.abort();
    let _ = pending.await;
    assert_eq!(user_count(&auth0, "ann@example.com"), 0, "no full profile");

    seed(&auth0, "settings: { bcrypt_cost: 4 }");
    login(&auth0, STOREFRONT, "legacy", "ann@example.com", "Legacy-Pass-1")
        .await
        .assert_oauth(403, "access_denied", "The user already exists.");
    let token = management_token(&auth0).await;
    let res = send(
        &auth0,
        bearer(
            Method::DELETE,
            "/api/v2/connections/con_legacy0000000001/users?email=ann%40example.com",
            &token,
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let res = login(&auth0, STOREFRONT, "legacy", "ann@example.com", "Legacy-Pass-1").await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
}

// ---------------------------------------------------------------------------------------------
// MFA carried over

fn mfa_token_of(res: &Res) -> String {
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{:#}", res.body);
    assert_eq!(res.body["error"], "mfa_required");
    assert_eq!(res.body["error_description"], "Multifactor authentication required");
    res.expect_str("mfa_token")
}

// FIDELITY: auth0/mfa
#[tokio::test]
async fn imported_factors_are_kept_and_a_password_login_then_needs_mfa() {
    let auth0 = migration_tenant("bcrypt_cost: 4, mfa_policy: all-applications");
    let token = management_token(&auth0).await;
    let (job, errors) = import_and_wait(
        &auth0,
        &token,
        json!([
            { "email": "jo@example.com", "password_hash": "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K",
              "mfa_factors": [{ "email": { "value": "jo.backup@example.com" } }, { "totp": { "secret": "JBSWY3DPEHPK3PXP" } }] },
            { "email": "max@example.com", "password_hash": "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K" }
        ]),
        false,
    )
    .await;
    assert_eq!(job["summary"]["inserted"], 2, "{errors:#}");
    let jo = auth0
        .users()
        .into_iter()
        .find(|u| u["email"] == "jo@example.com")
        .expect("jo");
    assert_eq!(jo["multifactor"], json!(["guardian"]));

    let res = login(&auth0, STOREFRONT, "legacy", "jo@example.com", "hello").await;
    let mfa_token = mfa_token_of(&res);
    assert_eq!(
        res.body["mfa_requirements"],
        json!({ "challenge": [{ "type": "email" }, { "type": "otp" }] })
    );
    assert!(res.body.get("access_token").is_none());
    // Not a completed login: nothing counted, `mfar` logged.
    let jo = auth0
        .users()
        .into_iter()
        .find(|u| u["email"] == "jo@example.com")
        .expect("jo");
    assert!(jo.get("logins_count").is_none(), "{jo:#}");
    assert!(
        logs(&auth0)
            .await
            .contains(&("mfar".to_owned(), "Multifactor authentication required".to_owned())),
        "a `mfar` event"
    );
    // The MFA token lists the authenticators (no recovery code: imports bring none).
    let list = send(&auth0, get("/mfa/authenticators", &mfa_token)).await;
    assert_eq!(list.status, StatusCode::OK, "{:#}", list.body);
    let list = list.body.as_array().expect("authenticators").clone();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["authenticator_type"], "oob");
    assert_eq!(list[0]["oob_channel"], "email");
    assert_eq!(list[0]["name"], "jo.backup@example.com");
    assert!(list[0]["id"].as_str().is_some_and(|id| id.starts_with("email|dev_")));
    assert_eq!(list[1]["authenticator_type"], "otp");
    assert!(
        !list.iter().any(|a| a.to_string().contains("JBSWY3DPEHPK3PXP")),
        "no secret shown"
    );

    // A user without factors is asked to enroll one.
    let res = login(&auth0, STOREFRONT, "legacy", "max@example.com", "hello").await;
    let max_token = mfa_token_of(&res);
    assert!(res.body["mfa_requirements"]["enroll"].is_array());
    let empty = send(&auth0, get("/mfa/authenticators", &max_token)).await;
    assert_eq!(empty.body, json!([]));

    // The wrong password is still the wrong password.
    login(&auth0, STOREFRONT, "legacy", "jo@example.com", "nope")
        .await
        .assert_oauth(403, "invalid_grant", WRONG_CREDENTIALS);

    // The MFA token lasts 10 minutes and is good for nothing else.
    let userinfo = send(&auth0, get("/userinfo", &mfa_token)).await;
    assert_eq!(userinfo.status, StatusCode::UNAUTHORIZED);
    auth0.kit().clock.advance(Duration::from_secs(601));
    let expired = send(&auth0, get("/mfa/authenticators", &mfa_token)).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        expired.body,
        json!({ "error": "invalid_token", "error_description": "mfa_token is expired" })
    );
    let management = send(&auth0, get("/mfa/authenticators", &token)).await;
    assert_eq!(management.status, StatusCode::UNAUTHORIZED);
}

// FIDELITY: auth0/mfa
#[tokio::test]
async fn without_an_mfa_policy_factors_change_nothing_at_login() {
    let auth0 = migration_tenant("bcrypt_cost: 4");
    let res = login(&auth0, STOREFRONT, "legacy", "mfa@example.com", "Legacy-Pass-1").await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    let user = auth0
        .users()
        .into_iter()
        .find(|u| u["email"] == "mfa@example.com")
        .expect("migrated");
    assert_eq!(
        user["multifactor"],
        json!(["guardian"]),
        "the script's factors are enrolled"
    );
    assert_eq!(user["logins_count"], 1);
}

// FIDELITY: auth0/mfa
#[tokio::test]
async fn factors_auth0_cannot_enroll_fail_the_row_or_the_login() {
    let auth0 = migration_tenant("bcrypt_cost: 4, mfa_policy: all-applications");
    let token = management_token(&auth0).await;
    // Two OTP enrollments: MFA_FACTORS_FAILED; the user is created without them.
    let two_totp = json!([{ "totp": { "secret": "JBSWY3DPEHPK3PXP" } }, { "totp": { "secret": "KRSXG5CTMVRXEZLU" } }]);
    let (job, errors) = import_and_wait(
        &auth0,
        &token,
        json!([{ "email": "two@example.com", "mfa_factors": two_totp }]),
        false,
    )
    .await;
    assert_eq!(
        job["summary"],
        json!({ "failed": 1, "updated": 0, "inserted": 0, "total": 1 })
    );
    assert_eq!(
        errors[0]["errors"],
        json!([{ "code": "MFA_FACTORS_FAILED", "message": "Unable to import factors" }])
    );
    let two = auth0
        .users()
        .into_iter()
        .find(|u| u["email"] == "two@example.com")
        .expect("created");
    assert!(two.get("multifactor").is_none());
    // With upsert the other fields are applied even so (S17), and good factors replace.
    let (_, errors) = import_and_wait(
        &auth0,
        &token,
        json!([{ "email": "two@example.com", "name": "Two", "mfa_factors": two_totp }]),
        true,
    )
    .await;
    assert_eq!(errors[0]["errors"][0]["code"], "MFA_FACTORS_FAILED");
    let two = auth0
        .users()
        .into_iter()
        .find(|u| u["email"] == "two@example.com")
        .expect("two");
    assert_eq!(two["name"], "Two");
    let (job, _) = import_and_wait(
        &auth0,
        &token,
        json!([{ "email": "two@example.com", "mfa_factors": [{ "phone": { "value": "+15550001111" } }] }]),
        true,
    )
    .await;
    assert_eq!(job["summary"]["updated"], 1);
    let two = auth0
        .users()
        .into_iter()
        .find(|u| u["email"] == "two@example.com")
        .expect("two");
    assert_eq!(two["multifactor"], json!(["guardian"]));

    // A login script's profile with factors that do not pass: the login fails, no user, `fu`.
    login(&auth0, STOREFRONT, "legacy", "badmfa@example.com", "Legacy-Pass-1")
        .await
        .assert_oauth(403, "access_denied", "Unable to import MFA factors.");
    assert_eq!(user_count(&auth0, "badmfa@example.com"), 0);
    assert!(
        logs(&auth0)
            .await
            .contains(&("fu".to_owned(), "Unable to import MFA factors.".to_owned())),
        "a `fu` event"
    );
    // A migrating user with good factors is created, then asked for the second factor.
    let res = login(&auth0, STOREFRONT, "legacy", "mfa@example.com", "Legacy-Pass-1").await;
    mfa_token_of(&res);
    assert_eq!(
        res.body["mfa_requirements"],
        json!({ "challenge": [{ "type": "sms" }, { "type": "email" }] })
    );
    assert_eq!(user_count(&auth0, "mfa@example.com"), 1);
}

// ---------------------------------------------------------------------------------------------
// Signing ID tokens

async fn id_token(auth0: &Auth0, client: (&str, &str)) -> String {
    let res = send(
        auth0,
        form(
            "/oauth/token",
            &[
                ("grant_type", PASSWORD_REALM),
                ("client_id", client.0),
                ("client_secret", client.1),
                ("realm", "users"),
                ("username", "dade@example.com"),
                ("password", "Hunter2!"),
                ("scope", "openid email"),
            ],
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    res.expect_str("id_token")
}

// FIDELITY: auth0/id-token-alg
#[tokio::test]
async fn an_application_seeded_with_hs256_gets_id_tokens_signed_with_its_secret() {
    let auth0 = tenant(
        r#"
settings: { bcrypt_cost: 4 }
clients:
  - { name: Legacy Portal, client_id: portal-client-id, client_secret: portal-secret-of-32-characters!!, jwt_configuration: { alg: HS256, lifetime_in_seconds: 600 } }
connections: [ { name: users } ]
users: [ { connection: users, user_id: dade, email: dade@example.com, password: "Hunter2!" } ]
"#,
    );
    let token = id_token(&auth0, ("portal-client-id", "portal-secret-of-32-characters!!")).await;
    assert_eq!(jwt_header(&token), ("HS256".to_owned(), None));
    let claims = hs256_verified(&token, b"portal-secret-of-32-characters!!").expect("the signature verifies");
    assert_eq!(claims["sub"], "auth0|dade");
    assert_eq!(claims["aud"], "portal-client-id");
    assert_eq!(claims["email"], "dade@example.com");
    assert_eq!(claims["exp"].as_i64(), claims["iat"].as_i64().map(|i| i + 600));
    // Another secret does not verify it.
    assert_eq!(hs256_verified(&token, b"wrong"), None);
    // A seed with an algorithm Auth0 does not offer is refused.
    let bad: mocks::auth0::seed::Auth0Seed =
        mocks::kit::seed::parse("clients: [ { name: X, jwt_configuration: { alg: none } } ]", None).expect("parses");
    let err = mocks::Provider::seed(&auth0, bad).expect_err("refused");
    assert!(err.to_string().contains("HS256, RS256, RS512, PS256"), "{err}");
}

// FIDELITY: auth0/id-token-alg
#[tokio::test]
async fn applications_created_and_changed_through_the_management_api_sign_as_configured() {
    let auth0 = tenant(
        r#"
settings: { bcrypt_cost: 4 }
connections: [ { name: users, id: con_users00000000001 } ]
users: [ { connection: users, user_id: dade, email: dade@example.com, password: "Hunter2!" } ]
"#,
    );
    let token = management_token(&auth0).await;
    let res = send(
        &auth0,
        json_req(
            Method::POST,
            "/api/v2/clients",
            &json!({ "name": "Portal", "app_type": "regular_web", "jwt_configuration": { "alg": "HS256" }, "callbacks": ["https://portal.example.com/cb"] }),
            Some(&token),
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{:#}", res.body);
    assert_eq!(res.body["jwt_configuration"]["alg"], "HS256");
    assert_eq!(res.body["callbacks"], json!(["https://portal.example.com/cb"]));
    let (id, secret) = (res.expect_str("client_id"), res.expect_str("client_secret"));
    // A new application is enabled on no connection until told.
    login(&auth0, (&id, &secret), "users", "dade@example.com", "Hunter2!")
        .await
        .assert_oauth(400, "invalid_request", "the connection was disabled");
    let res = send(
        &auth0,
        json_req(
            Method::PATCH,
            "/api/v2/connections/con_users00000000001/clients",
            &json!([{ "client_id": id, "status": true }]),
            Some(&token),
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let hs = id_token(&auth0, (&id, &secret)).await;
    assert_eq!(jwt_header(&hs).0, "HS256");
    hs256_verified(&hs, secret.as_bytes()).expect("the signature verifies");

    // Switched to PS256, RS512, then RS256: the tenant's key, found by kid in the JWKS.
    for alg in ["PS256", "RS512", "RS256"] {
        let res = send(
            &auth0,
            json_req(
                Method::PATCH,
                &format!("/api/v2/clients/{id}"),
                &json!({ "jwt_configuration": { "alg": alg } }),
                Some(&token),
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
        assert_eq!(res.body["jwt_configuration"]["alg"], alg);
        assert_eq!(
            res.body["callbacks"],
            json!(["https://portal.example.com/cb"]),
            "the rest stays"
        );
        let signed = id_token(&auth0, (&id, &secret)).await;
        let (header, kid) = jwt_header(&signed);
        assert_eq!(header, alg);
        let key = published_key(&auth0, &kid.expect("kid")).await;
        rsa_verified(&signed, &key, alg).expect("the signature verifies");
        // The same signature over other claims (`{}`) does not.
        let (header_part, rest) = signed.split_once('.').expect("a JWT");
        let signature = rest.split_once('.').expect("a JWT").1;
        assert_eq!(rsa_verified(&format!("{header_part}.e30.{signature}"), &key, alg), None);
    }
    // Refusals: an algorithm Auth0 does not offer, an unknown client, a missing scope.
    send(
        &auth0,
        json_req(
            Method::PATCH,
            &format!("/api/v2/clients/{id}"),
            &json!({ "jwt_configuration": { "alg": "none" } }),
            Some(&token),
        ),
    )
    .await
    .assert_api(
        400,
        "Payload validation error: 'No enum match for: \"none\"' on property jwt_configuration.alg.",
        Some("invalid_body"),
    );
    send(&auth0, get("/api/v2/clients/nobody", &token)).await.assert_api(
        404,
        "The client does not exist",
        Some("inexistent_client"),
    );
    let (mid, msecret) = auth0.client_credentials("Ferry Management").expect("management app");
    let reader = client_token(&auth0, &mid, &msecret, Some("read:clients")).await;
    send(
        &auth0,
        json_req(Method::POST, "/api/v2/clients", &json!({ "name": "X" }), Some(&reader)),
    )
    .await
    .assert_api(
        403,
        "Insufficient scope, expected any of: create:clients",
        Some("insufficient_scope"),
    );
}

// ---------------------------------------------------------------------------------------------
// Issuer and discovery

async fn discovery(auth0: &Auth0, headers: &[(&str, &str)]) -> Value {
    let mut req = Request::get("/.well-known/openid-configuration");
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = send(auth0, req.body(Body::empty()).expect("request")).await;
    assert_eq!(res.status, StatusCode::OK);
    res.body
}

// FIDELITY: auth0/issuer
#[tokio::test]
async fn the_discovery_document_and_the_tokens_name_the_address_the_client_used() {
    let auth0 = tenant(
        r#"
settings: { bcrypt_cost: 4 }
clients: [ { name: Storefront, client_id: storefront-client-id, client_secret: storefront-secret } ]
connections: [ { name: users } ]
users: [ { connection: users, user_id: dade, email: dade@example.com, password: "Hunter2!" } ]
"#,
    );
    let doc = discovery(
        &auth0,
        &[("host", "auth.localtest.me:4443"), ("x-forwarded-proto", "https")],
    )
    .await;
    assert_eq!(doc["issuer"], "https://auth.localtest.me:4443/");
    assert_eq!(doc["jwks_uri"], "https://auth.localtest.me:4443/.well-known/jwks.json");
    assert_eq!(doc["token_endpoint"], "https://auth.localtest.me:4443/oauth/token");
    let doc = discovery(&auth0, &[("host", "127.0.0.1:4010")]).await;
    assert_eq!(doc["issuer"], "http://127.0.0.1:4010/");
    assert_eq!(doc["jwks_uri"], "http://127.0.0.1:4010/.well-known/jwks.json");
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["HS256", "RS256", "RS512", "PS256"])
    );
    // A Host that is not an authority is not put into URLs.
    let doc = discovery(&auth0, &[("host", "evil.example/<script>")]).await;
    assert_eq!(doc["issuer"], ISSUER);

    // A token asked at an address carries that address as issuer, the one its discovery names.
    let req = form(
        "/oauth/token",
        &[
            ("grant_type", PASSWORD_REALM),
            ("client_id", STOREFRONT.0),
            ("client_secret", STOREFRONT.1),
            ("realm", "users"),
            ("username", "dade@example.com"),
            ("password", "Hunter2!"),
            ("scope", "openid"),
        ],
    );
    let (mut parts, body) = req.into_parts();
    parts.headers.insert("host", "127.0.0.1:4010".parse().expect("header"));
    let res = send(&auth0, Request::from_parts(parts, body)).await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    let claims = verified_claims(&auth0, &res.expect_str("id_token")).await;
    assert_eq!(claims["iss"], "http://127.0.0.1:4010/");
    // Its userinfo token works wherever it is presented.
    assert_eq!(
        userinfo_sub(&auth0, &res.expect_str("access_token")).await,
        "auth0|dade"
    );

    // With a tenant domain, both name the domain over HTTPS whatever address was used.
    seed(&auth0, "settings: { domain: ferry.eu.auth0.com }");
    let doc = discovery(&auth0, &[("host", "127.0.0.1:4010")]).await;
    assert_eq!(doc["issuer"], "https://ferry.eu.auth0.com/");
    assert_eq!(doc["jwks_uri"], "https://ferry.eu.auth0.com/.well-known/jwks.json");
}

// FIDELITY: auth0/issuer
#[tokio::test]
async fn the_management_api_accepts_its_audience_at_the_address_the_client_used() {
    let auth0 = tenant("");
    let (id, secret) = auth0.client_credentials("Ferry Management").expect("management app");
    let req = form(
        "/oauth/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("audience", "http://127.0.0.1:4010/api/v2/"),
        ],
    );
    let (mut parts, body) = req.into_parts();
    parts.headers.insert("host", "127.0.0.1:4010".parse().expect("header"));
    let res = send(&auth0, Request::from_parts(parts, body)).await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    let token = res.expect_str("access_token");
    let mut req = get("/api/v2/users", &token);
    req.headers_mut()
        .insert("host", "127.0.0.1:4010".parse().expect("header"));
    assert_eq!(send(&auth0, req).await.status, StatusCode::OK);
    // Asked at another address, that audience is not this tenant's.
    let req = form(
        "/oauth/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("audience", "http://127.0.0.1:4010/api/v2/"),
        ],
    );
    send(&auth0, req)
        .await
        .assert_oauth(403, "access_denied", "Service not found: http://127.0.0.1:4010/api/v2/");
}
