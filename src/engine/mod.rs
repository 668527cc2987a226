//! The migration engine: the code that would do the real migration if pointed at real
//! services. It speaks only the services' public APIs — Auth0's Management API, Gigya's REST API
//! and IdentitySync, files where a provider's export puts them — so it runs the same against
//! the real services and against Ferry's mocks, and depends on nothing of the mocks (no `mocks`
//! crate, no `/__ferry/` admin route). What it does:
//!
//! - `ferry migrate gigya` ([`migrate_gigya`]): Gigya's accounts exported with `accounts.search`
//!   (every page, with a cursor) or an IdentitySync dataflow whose SFTP writer uploads the file
//!   to a folder the caller has mounted ([`IdentitySyncExport::landing_dir`]), or read from a
//!   file; each account transformed, password hash mapped; all imported.
//! - `ferry migrate stormpath` and `ferry import` ([`import()`] with an [`ImportSource`]): a
//!   Stormpath console export or an Auth0 import file, imported.
//! - `ferry deploy` ([`deploy`]): a custom database connection created or updated.
//!
//! Every import goes through one run (`run.rs`): the report and run state opened or resumed, the
//! records fed to the [`import`](mod@import) pipeline (schema check, files packed to the size
//! limit, jobs within the concurrency limit, followed to their end, every user accounted for),
//! the report written. Modules:
//!
//! - [`auth0`]: the Management API client (token, connections, import jobs, users).
//! - [`gigya`]: the Gigya client (signed requests, `accounts.search`, IdentitySync);
//!   [`query`]: the export query, parsed once for both export routes.
//! - [`transform`](mod@transform): a Gigya account to an Auth0 import user, hash mapping
//!   included; [`stormpath`]: the same for a Stormpath export.
//! - [`import`](mod@import): the import pipeline, over [`import::ImportTarget`] (the tenant).
//! - [`export`]: reading export and import files record by record.
//! - [`report`]: the migration report; [`state`]: the run journal that `--resume` continues
//!   from; [`progress`]: progress output; [`RetryPolicy`]: the one retry policy every call
//!   to a service goes through.
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
pub mod readiness;
pub mod report;
pub(crate) mod retry;
mod run;
pub mod state;
pub mod stormpath;
pub mod transform;

use std::time::Duration;

pub use self::error::EngineError;
pub use self::gigya_migration::{ExportSource, GigyaMigration, IdentitySyncExport, SftpWriter, migrate_gigya};
pub use self::query::ExportQuery;
pub use self::retry::{RetryPolicy, Sleeper};
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
    let client = sandbox::net::client_builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(15))
        .user_agent(concat!("ferry/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| EngineError::Config(format!("HTTP client: {e}")))?;
    clients.push((timeout, client.clone()));
    Ok(client)
}
