//! `ferry deploy` and the engine's readiness checks against the mock Auth0, over HTTP as they
//! run against a real tenant: a connection deployed for no application is reported, an import
//! into it stops before anything is sent, and naming the application makes both work.

use std::time::Duration;

use ferry::engine::{self, EngineError};
use mocks::auth0::{Auth0, MANAGEMENT_APP};
use mocks::{Clock, Kit, Provider};

async fn tenant() -> (
    Auth0,
    mocks::MockServer,
    engine::auth0::ManagementClient,
    engine::auth0::Auth0Config,
) {
    let auth0 = Auth0::new(Kit::deterministic(Clock::manual(Clock::scenario_epoch()), 7));
    // The clock is manual and never moves here, so the free tier's rate limit would never
    // refill nor an import job leave `pending`: both lifted (this test is about readiness;
    // scenarios run the engine under the limits and job timing).
    let seed = mocks::kit::seed::parse(
        "settings: { bcrypt_cost: 4, rate_limits: off, import_job_pending: 0s, import_users_per_hour: 0 }",
        None,
    )
    .expect("seed");
    auth0.seed(seed).expect("seeded");
    let server = mocks::start(auth0.clone(), mocks::LOOPBACK_EPHEMERAL)
        .await
        .expect("loopback");
    let (client_id, client_secret) = auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    let config = engine::auth0::Auth0Config {
        base_url: server.base_url().to_owned(),
        client_id,
        client_secret,
        audience: None,
    };
    let client = engine::auth0::ManagementClient::new(
        config.clone(),
        engine::http_client(Duration::from_secs(30)).expect("client"),
        engine::RetryPolicy::default(),
    );
    (auth0, server, client, config)
}

fn spec(enabled: &[&str]) -> engine::deploy::ConnectionSpec {
    engine::deploy::ConnectionSpec {
        name: "legacy-users".into(),
        scripts: [(
            "login".to_owned(),
            "function login(e, p, cb) { cb(null, null); }".to_owned(),
        )]
        .into(),
        import_mode: true,
        enabled_clients: enabled.iter().map(|c| (*c).to_owned()).collect(),
        ..Default::default()
    }
}

async fn import(
    config: &engine::auth0::Auth0Config,
    file: &std::path::Path,
) -> Result<engine::report::Summary, EngineError> {
    engine::import(
        config,
        &engine::ImportSource::Auth0File(file.to_owned()),
        engine::import::ImportOptions {
            connection: "legacy-users".into(),
            poll_interval: Duration::from_millis(10),
            ..Default::default()
        },
        &engine::RunOptions::default(),
        &engine::progress::Silent,
    )
    .await
}

// FIDELITY: auth0/import-connection
#[tokio::test]
async fn a_connection_deployed_for_no_application_is_reported_and_refused_before_an_import() {
    let (auth0, server, client, config) = tenant().await;
    let created = engine::deploy::deploy(&client, &spec(&[])).await.expect("deployed");
    assert_eq!(created.action, "created");
    assert_eq!(created.warnings.len(), 1, "{created:?}");
    assert!(
        created.warnings[0].starts_with("legacy-users is enabled for no application")
            && created.warnings[0].contains("--enable-client APP"),
        "{:?}",
        created.warnings
    );

    let dir = std::env::temp_dir().join(format!("ferry-readiness-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let file = dir.join("users.json");
    std::fs::write(&file, r#"[{"email":"a@example.com","email_verified":true}]"#).expect("file");
    let error = import(&config, &file).await.expect_err("refused");
    let text = error.to_string();
    assert!(text.contains("\"legacy-users\""), "{text}");
    assert!(text.contains("is not enabled for any application"), "{text}");
    assert!(
        text.contains("Authentication > Database > legacy-users > Applications"),
        "{text}"
    );
    let posted = auth0
        .kit()
        .journal
        .entries()
        .iter()
        .filter(|e| e.path == "/api/v2/jobs/users-imports")
        .count();
    assert_eq!(posted, 0, "nothing was sent");

    // Deployed again naming the application: enabled, no warning, and the import runs.
    let updated = engine::deploy::deploy(&client, &spec(&["Default App"]))
        .await
        .expect("deployed");
    assert_eq!(updated.changes, ["enabled_clients"]);
    assert!(updated.warnings.is_empty(), "{updated:?}");
    let summary = import(&config, &file).await.expect("imported");
    assert_eq!(summary.totals.inserted, 1);
    // A second deploy of the same input changes nothing and warns of nothing.
    let again = engine::deploy::deploy(&client, &spec(&["Default App"]))
        .await
        .expect("deployed");
    assert_eq!(again.action, "unchanged");
    assert!(again.warnings.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
    server.shutdown().await;
}
