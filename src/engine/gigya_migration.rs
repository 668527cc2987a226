//! `ferry migrate gigya`: Gigya's accounts exported (`accounts.search` with a cursor, an
//! IdentitySync dataflow, or a file already on disk), each transformed to an Auth0 import user
//! ([`super::transform`]) and fed to the one import run ([`super::run`]). A journaled run
//! exports to files before it imports, so that a resumed run reads the same records.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use super::auth0::{Auth0Config, ManagementClient};
use super::error::EngineError;
use super::export;
use super::gigya::{GigyaClient, GigyaConfig};
use super::import::{Candidate, ImportOptions, Importer};
use super::progress::Progress;
use super::query::ExportQuery;
use super::report::Summary;
use super::retry::RetryPolicy;
use super::run::{Feed, RunOptions, pipeline};
use super::state::StateFile;
use super::transform::{HashMapping, transform};

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
    let http = super::http_client(migration.request_timeout)?;
    let auth0 = ManagementClient::new(migration.auth0.clone(), http.clone(), migration.retry.clone());
    let gigya = GigyaClient::new(migration.gigya.clone(), http, migration.retry.clone());
    let run = RunOptions {
        report_dir: migration.report_dir.clone(),
        resume: migration.resume,
        retry: migration.retry.clone(),
    };
    let feed = Feed::Gigya(GigyaFeed {
        client: &gigya,
        migration,
    });
    pipeline(
        &auth0,
        migration.import.clone(),
        &run,
        migration.fingerprint(),
        progress,
        feed,
    )
    .await
}

/// The records of a Gigya migration.
pub(super) struct GigyaFeed<'a> {
    client: &'a GigyaClient,
    migration: &'a GigyaMigration,
}

impl GigyaFeed<'_> {
    /// The export of a journaled run: the interrupted run's when it is still there, else a new
    /// one, journaled before anything is imported.
    pub(super) async fn export_journaled(
        &self,
        state: &mut StateFile,
        progress: &dyn Progress,
    ) -> Result<PathBuf, EngineError> {
        if let ExportSource::File(path) = &self.migration.source {
            return Ok(path.clone());
        }
        if let Some(path) = state.state.export_file.clone().filter(|p| p.is_file()) {
            progress.stage("continuing from the export of the interrupted run");
            return Ok(path);
        }
        let path = match &self.migration.source {
            ExportSource::Search { query } => {
                progress.stage("exporting with accounts.search");
                let dir = self.migration.report_dir.clone().unwrap_or_default();
                search_to_file(self.client, query, &dir).await?
            }
            ExportSource::IdentitySync { query, writer } => {
                progress.stage("exporting with IdentitySync");
                identity_sync(self.client, self.migration, query, writer).await?
            }
            ExportSource::File(path) => path.clone(),
        };
        state.state.export_file = Some(path.clone());
        state.save()?;
        Ok(path)
    }

    /// Feeds every record to the importer: from the journaled export when there is one, else
    /// straight from the source (search pages imported as they arrive).
    pub(super) async fn feed(
        &self,
        importer: &mut Importer<'_>,
        exported: Option<PathBuf>,
        progress: &dyn Progress,
    ) -> Result<(), EngineError> {
        let path = match (exported, &self.migration.source) {
            (Some(path), _) => path,
            (None, ExportSource::File(path)) => path.clone(),
            (None, ExportSource::Search { query }) => {
                progress.stage("exporting with accounts.search");
                let query = query.search_query();
                let mut cursor: Option<String> = None;
                loop {
                    let (accounts, next) = self.client.search_page(&query, cursor.as_deref()).await?;
                    for account in accounts {
                        feed(importer, account).await?;
                    }
                    match next {
                        Some(next) => cursor = Some(next),
                        None => return Ok(()),
                    }
                }
            }
            (None, ExportSource::IdentitySync { query, writer }) => {
                progress.stage("exporting with IdentitySync");
                identity_sync(self.client, self.migration, query, writer).await?
            }
        };
        progress.stage("importing the export");
        feed_file(importer, &path).await
    }
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
