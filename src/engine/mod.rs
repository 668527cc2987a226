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
pub mod import;
pub mod progress;
pub mod query;
pub mod report;
mod retry;
pub mod state;
pub mod stormpath;
pub mod transform;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use self::auth0::{Auth0Config, ManagementClient};
pub use self::error::EngineError;
use self::gigya::{GigyaClient, GigyaConfig};
use self::import::{Candidate, ImportOptions, Importer};
use self::progress::Progress;
pub use self::query::ExportQuery;
use self::report::{ReportWriter, Summary};
pub use self::retry::RetryPolicy;
use self::state::StateFile;
use self::transform::{HashMapping, transform};

/// Where the Gigya accounts come from.
#[derive(Clone, Debug)]
pub enum ExportSource {
    /// `accounts.search` with a cursor, every page.
    Search { query: ExportQuery },
    /// An IdentitySync dataflow run once: an account reader (`select`, `where`) and a JSON file
    /// written with `writer` (a component type; Ferry's mock Gigya offers the mock-only
    /// `datasource.write.ferry`, whose file the engine downloads). With a real site, use a
    /// real writer (SFTP, S3) and migrate from the file with [`ExportSource::File`].
    IdentitySync { query: ExportQuery, writer: String },
    /// An export file already on disk (JSON array, NDJSON).
    File(PathBuf),
}

/// Everything `ferry migrate gigya` needs.
#[derive(Clone, Debug)]
pub struct GigyaMigration {
    pub gigya: GigyaConfig,
    pub auth0: Auth0Config,
    pub source: ExportSource,
    pub import: ImportOptions,
    /// Where `users.ndjson`, `summary.json` and the run state go; in memory only when absent.
    pub report_dir: Option<PathBuf>,
    /// Continue the interrupted run journaled in `report_dir`.
    pub resume: bool,
    /// Where a downloaded export is kept.
    pub work_dir: PathBuf,
    pub retry: RetryPolicy,
    /// Timeout of one HTTP request.
    pub request_timeout: Duration,
    /// Longest wait for an IdentitySync job.
    pub export_timeout: Duration,
}

impl GigyaMigration {
    /// A migration into the connection `connection`, with default settings.
    pub fn new(gigya: GigyaConfig, auth0: Auth0Config, source: ExportSource, connection: &str) -> Self {
        Self {
            gigya,
            auth0,
            source,
            import: ImportOptions {
                connection: connection.to_owned(),
                ..ImportOptions::default()
            },
            report_dir: None,
            resume: false,
            work_dir: std::env::temp_dir(),
            retry: RetryPolicy::default(),
            request_timeout: Duration::from_secs(60),
            export_timeout: Duration::from_secs(3600),
        }
    }
}

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

/// The report and, with a report directory, the run state: fresh, or an interrupted run's.
fn open_run(
    report_dir: Option<&Path>,
    fingerprint: String,
    resume: bool,
) -> Result<(ReportWriter, Option<StateFile>), EngineError> {
    let Some(dir) = report_dir else {
        if resume {
            return Err(EngineError::Config(
                "--resume continues the run journaled in a report directory: give it with --report-dir".into(),
            ));
        }
        return Ok((ReportWriter::new(None)?, None));
    };
    if resume {
        let state = StateFile::open(dir, &fingerprint)?;
        let report = ReportWriter::resume(dir, state.state.report_offset, state.state.summary.clone())?;
        return Ok((report, Some(state)));
    }
    let path = StateFile::path_in(dir);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let unfinished = serde_json::from_str::<state::RunState>(&text)
            .map(|s| !s.complete)
            .unwrap_or(true);
        if unfinished {
            return Err(EngineError::Config(format!(
                "{} holds an unfinished run: continue it with --resume, or choose another report directory",
                dir.display()
            )));
        }
    }
    let state = StateFile::create(dir, fingerprint)?;
    Ok((ReportWriter::new(Some(dir))?, Some(state)))
}

impl GigyaMigration {
    /// What a resumed run must agree with.
    fn fingerprint(&self) -> String {
        let source = match &self.source {
            ExportSource::Search { query } => format!("search {:?}", query.search_query()),
            ExportSource::IdentitySync { query, writer } => {
                format!(
                    "identitysync select={:?} where={:?} writer={writer}",
                    query.select(),
                    query.condition()
                )
            }
            ExportSource::File(path) => format!("file {}", path.display()),
        };
        format!(
            "gigya api_key={} auth0={} {} source: {source}",
            self.gigya.api_key,
            self.auth0.base_url,
            self.import.fingerprint()
        )
    }
}

/// Exports the Gigya accounts, transforms them, and imports them into Auth0.
///
/// With a report directory the run is journaled: the export is written to `export.ndjson`
/// there (or the IdentitySync file is kept) before anything is imported, and a killed run
/// continues with [`GigyaMigration::resume`] without importing anyone twice.
pub async fn migrate_gigya(migration: &GigyaMigration, progress: &dyn Progress) -> Result<Summary, EngineError> {
    let http = http_client(migration.request_timeout)?;
    let auth0 = ManagementClient::new(migration.auth0.clone(), http.clone(), migration.retry.clone());
    let gigya = GigyaClient::new(migration.gigya.clone(), http, migration.retry.clone());
    let (mut report, mut state) = open_run(
        migration.report_dir.as_deref(),
        migration.fingerprint(),
        migration.resume,
    )?;
    // A journaled run exports to a file first, so that a resumed run reads the same records.
    let exported: Option<PathBuf> = match (&mut state, &migration.source) {
        (_, ExportSource::File(path)) => Some(path.clone()),
        (None, _) => None,
        (Some(state), source) => match state.state.export_file.clone().filter(|p| p.is_file()) {
            Some(path) => {
                progress.stage("continuing from the export of the interrupted run");
                Some(path)
            }
            None => {
                let path = match source {
                    ExportSource::Search { query } => {
                        progress.stage("exporting with accounts.search");
                        let dir = migration.report_dir.clone().unwrap_or_default();
                        search_to_file(&gigya, query, &dir).await?
                    }
                    ExportSource::IdentitySync { query, writer } => {
                        progress.stage("exporting with IdentitySync");
                        identity_sync(&gigya, migration, query, writer).await?
                    }
                    ExportSource::File(path) => path.clone(),
                };
                state.state.export_file = Some(path.clone());
                state.save()?;
                Some(path)
            }
        },
    };
    {
        let mut importer =
            Importer::start(&auth0, migration.import.clone(), &mut report, progress, state.as_mut()).await?;
        match (&exported, &migration.source) {
            (Some(path), _) => {
                progress.stage("importing the export");
                feed_file(&mut importer, path).await?
            }
            (None, ExportSource::Search { query }) => {
                // Without a journal, pages are imported as they arrive.
                progress.stage("exporting with accounts.search");
                let query = query.search_query();
                let mut cursor: Option<String> = None;
                loop {
                    let (accounts, next) = gigya.search_page(&query, cursor.as_deref()).await?;
                    for account in accounts {
                        feed(&mut importer, account).await?;
                    }
                    match next {
                        Some(next) => cursor = Some(next),
                        None => break,
                    }
                }
            }
            (None, ExportSource::IdentitySync { query, writer }) => {
                progress.stage("exporting with IdentitySync");
                let path = identity_sync(&gigya, migration, query, writer).await?;
                progress.stage("importing the export");
                feed_file(&mut importer, &path).await?;
            }
            (None, ExportSource::File(path)) => feed_file(&mut importer, path).await?,
        }
        importer.finish().await?;
    }
    report.finish()
}

/// Runs `accounts.search` to its last page into `export.ndjson` in `dir` (written under a
/// temporary name and renamed when complete).
async fn search_to_file(gigya: &GigyaClient, query: &ExportQuery, dir: &Path) -> Result<PathBuf, EngineError> {
    use std::io::Write;
    let path = dir.join("export.ndjson");
    let partial = dir.join("export.ndjson.partial");
    let file = std::fs::File::create(&partial).map_err(EngineError::io(&partial))?;
    let mut out = std::io::BufWriter::new(file);
    let query = query.search_query();
    let mut cursor: Option<String> = None;
    loop {
        let (accounts, next) = gigya.search_page(&query, cursor.as_deref()).await?;
        for account in accounts {
            let mut line = serde_json::to_vec(&account).unwrap_or_default();
            line.push(b'\n');
            out.write_all(&line).map_err(EngineError::io(&partial))?;
        }
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let file = out.into_inner().map_err(|e| EngineError::Io {
        path: partial.clone(),
        source: e.into_error(),
    })?;
    file.sync_all().map_err(EngineError::io(&partial))?;
    std::fs::rename(&partial, &path).map_err(EngineError::io(&path))?;
    Ok(path)
}

async fn feed_file(importer: &mut Importer<'_>, path: &std::path::Path) -> Result<(), EngineError> {
    let records = export::records(path)?;
    for record in records {
        feed(importer, record?).await?;
    }
    Ok(())
}

/// Transforms one account and hands it to the importer (or accounts for the skip).
async fn feed(importer: &mut Importer<'_>, account: Value) -> Result<(), EngineError> {
    match transform(&account) {
        Ok(t) => {
            let needs_reset = match t.hash {
                HashMapping::Mapped { .. } => None,
                HashMapping::NeedsReset { reason } => Some(reason),
                HashMapping::None => Some("no password in the export".into()),
            };
            importer
                .push(Candidate {
                    source_id: t.uid,
                    user: t.user,
                    needs_reset,
                })
                .await
        }
        Err(skip) => {
            let uid = account
                .get("UID")
                .and_then(Value::as_str)
                .unwrap_or("(no UID)")
                .to_owned();
            let email = account
                .get("profile")
                .and_then(|p| p.get("email"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            importer.skip(uid, email, skip.reason()).await
        }
    }
}

/// Runs an IdentitySync export and downloads its file.
async fn identity_sync(
    gigya: &GigyaClient,
    migration: &GigyaMigration,
    query: &ExportQuery,
    writer: &str,
) -> Result<PathBuf, EngineError> {
    let file_prefix = "ferry_export";
    let reader_params = query.reader_params()?;
    let dataflow = json!({
        "name": "Ferry export for Auth0",
        "description": "account > json > write",
        "steps": [
            { "id": "account", "type": "datasource.read.gigya.account", "params": reader_params, "next": ["json"] },
            { "id": "json", "type": "file.format.json", "params": { "fileName": format!("{file_prefix}_${{now}}.json") }, "next": ["write"] },
            { "id": "write", "type": writer, "params": {} },
        ],
    });
    let dataflow_id = gigya.create_dataflow(&dataflow).await?;
    gigya.run_once(&dataflow_id, "Ferry export").await?;
    gigya
        .wait_for_job(&dataflow_id, Duration::from_millis(200), migration.export_timeout)
        .await?;
    let Some(base) = gigya.base_url() else {
        return Err(EngineError::Config(format!(
            "the IdentitySync job wrote its file with {writer}; fetch it from there and migrate from the file (--export-file)"
        )));
    };
    // The mock-only writer's files are listed at /__ferry/files.
    let list: Value = gigya
        .http()
        .get(format!("{base}/__ferry/files"))
        .send()
        .await
        .map_err(|e| EngineError::Transport {
            service: "Gigya",
            message: e.to_string(),
        })?
        .json()
        .await
        .map_err(|e| EngineError::Transport {
            service: "Gigya",
            message: e.to_string(),
        })?;
    let names: Vec<String> = list
        .as_array()
        .or_else(|| list.get("files").and_then(Value::as_array))
        .map(|items| {
            items
                .iter()
                .filter_map(|f| {
                    f.as_str()
                        .map(str::to_owned)
                        .or_else(|| f.get("name").and_then(Value::as_str).map(str::to_owned))
                })
                .filter(|n| n.starts_with(file_prefix))
                .collect()
        })
        .unwrap_or_default();
    let Some(name) = names.last() else {
        return Err(EngineError::Export {
            path: PathBuf::from(file_prefix),
            reason: "the IdentitySync job produced no file".into(),
        });
    };
    std::fs::create_dir_all(&migration.work_dir).map_err(EngineError::io(&migration.work_dir))?;
    let path = migration.work_dir.join(name);
    let mut response = gigya
        .http()
        .get(format!("{base}/__ferry/files/{name}"))
        .send()
        .await
        .map_err(|e| EngineError::Transport {
            service: "Gigya",
            message: e.to_string(),
        })?;
    if !response.status().is_success() {
        return Err(EngineError::Service {
            service: "Gigya",
            status: response.status().as_u16(),
            message: format!("downloading {name}"),
        });
    }
    // Streamed to disk: the export is never held in memory.
    let mut file = std::fs::File::create(&path).map_err(EngineError::io(&path))?;
    while let Some(chunk) = response.chunk().await.map_err(|e| EngineError::Transport {
        service: "Gigya",
        message: e.to_string(),
    })? {
        std::io::Write::write_all(&mut file, &chunk).map_err(EngineError::io(&path))?;
    }
    Ok(path)
}

/// Where a run's report goes and whether it continues an interrupted one.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Where `users.ndjson`, `summary.json` and the run state go; in memory only when absent.
    pub report_dir: Option<PathBuf>,
    /// Continue the interrupted run journaled in `report_dir`.
    pub resume: bool,
    pub retry: RetryPolicy,
}

/// `ferry migrate stormpath`: the accounts of a Stormpath console export (a directory) imported
/// with their password hashes.
pub async fn migrate_stormpath(
    auth0_config: &Auth0Config,
    export_dir: &Path,
    options: ImportOptions,
    run: &RunOptions,
    progress: &dyn Progress,
) -> Result<Summary, EngineError> {
    let client = ManagementClient::new(
        auth0_config.clone(),
        http_client(Duration::from_secs(60))?,
        run.retry.clone(),
    );
    let fingerprint = format!(
        "stormpath auth0={} {} source: {}",
        auth0_config.base_url,
        options.fingerprint(),
        export_dir.display()
    );
    let (mut report, mut state) = open_run(run.report_dir.as_deref(), fingerprint, run.resume)?;
    {
        let mut importer = Importer::start(&client, options, &mut report, progress, state.as_mut()).await?;
        stormpath::import_export(&mut importer, export_dir).await?;
        importer.finish().await?;
    }
    report.finish()
}

/// `ferry import`: an Auth0 import file sent through the import pipeline.
pub async fn import(
    auth0_config: &Auth0Config,
    file: &Path,
    options: ImportOptions,
    run: &RunOptions,
    progress: &dyn Progress,
) -> Result<Summary, EngineError> {
    let client = ManagementClient::new(
        auth0_config.clone(),
        http_client(Duration::from_secs(60))?,
        run.retry.clone(),
    );
    let fingerprint = format!(
        "import auth0={} {} source: {}",
        auth0_config.base_url,
        options.fingerprint(),
        file.display()
    );
    let (mut report, mut state) = open_run(run.report_dir.as_deref(), fingerprint, run.resume)?;
    {
        let mut importer = Importer::start(&client, options, &mut report, progress, state.as_mut()).await?;
        import::import_file(&mut importer, file).await?;
        importer.finish().await?;
    }
    report.finish()
}
