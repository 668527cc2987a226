//! The migration engine: performs migrations over HTTP, against the real services or against
//! Ferry's mocks alike — it knows nothing of the mocks.
//!
//! - [`auth0`]: the Management API client (token, connections, import jobs).
//! - [`gigya`]: the Gigya client (signed requests, `accounts.search`, IdentitySync).
//! - [`transform`](mod@transform): a Gigya account to an Auth0 import user, hash mapping included.
//! - [`import`](mod@import): the import pipeline (schema check, files under 500 KB, jobs within the
//!   concurrency limit, following them, accounting for every user).
//! - [`export`]: reading export and import files record by record.
//! - [`report`]: the migration report; [`state`]: the run journal that `--resume` continues
//!   from; [`progress`]: progress output; `retry`: back-off.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ferry::engine::EngineError> {
//! use ferry::engine::{self, ExportSource, GigyaMigration};
//! let migration = GigyaMigration::new(
//!     engine::gigya::GigyaConfig { base_url: None, data_center: "us1.gigya.com".into(), api_key: "3_key".into(), user_key: Some("AKey".into()), secret: "c2VjcmV0".into() },
//!     engine::auth0::Auth0Config { base_url: "https://tenant.auth0.com".into(), client_id: "id".into(), client_secret: "secret".into(), audience: None },
//!     ExportSource::Search { query: "isRegistered = true".parse()? },
//!     "gigya-users",
//! );
//! let summary = engine::migrate_gigya(&migration, &engine::progress::Silent).await?;
//! println!("{} imported", summary.totals.inserted);
//! # Ok(()) }
//! ```

pub mod auth0;
pub mod deploy;
mod error;
pub mod export;
pub mod gigya;
mod gigya_migration;
pub mod import;
pub mod progress;
pub mod query;
pub mod report;
mod retry;
mod run;
pub mod state;
pub mod stormpath;
pub mod transform;

use std::time::Duration;

pub use self::error::EngineError;
pub use self::gigya_migration::{ExportSource, GigyaMigration, migrate_gigya};
pub use self::query::ExportQuery;
pub use self::retry::RetryPolicy;
pub use self::run::{ImportSource, RunOptions, import};

/// The HTTP client every engine call uses: one per process and time-out, cloned (clones share
/// the connection pool). Building a client loads the system's root certificates, which costs
/// more than the calls a scenario step makes.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, EngineError> {
    static CLIENTS: std::sync::Mutex<Vec<(Duration, reqwest::Client)>> = std::sync::Mutex::new(Vec::new());
    let mut clients = CLIENTS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, client)) = clients.iter().find(|(t, _)| *t == timeout) {
        return Ok(client.clone());
    }
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(15))
        .user_agent(concat!("ferry/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| EngineError::Config(format!("HTTP client: {e}")))?;
    clients.push((timeout, client.clone()));
    Ok(client)
}
