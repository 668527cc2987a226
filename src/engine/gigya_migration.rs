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
use super::export::Expected;
use super::gigya::{GigyaClient, GigyaConfig};
use super::import::{Candidate, ImportOptions, Importer};
use super::progress::{Phase, Progress};
use super::query::ExportQuery;
use super::report::Summary;
use super::retry::RetryPolicy;
use super::run::{Feed, RunOptions, pipeline};
use super::state::StateFile;
use super::transform::{NO_HASH_IN_EXPORT, transform};

/// Where the Gigya accounts come from.
#[derive(Clone, Debug)]
pub enum ExportSource {
    /// `accounts.search` with a cursor, every page.
    Search { query: ExportQuery },
    /// An IdentitySync dataflow run once: the account reader (the query's `select`, `where`,
    /// `batchSize`), a JSON file, and IdentitySync's SFTP writer, whose files are read from the
    /// landing directory where the SFTP folder is mounted.
    IdentitySync(IdentitySyncExport),
    /// An export file already on disk (JSON array, NDJSON).
    File(PathBuf),
}

/// An IdentitySync export (gigya.md §8).
#[derive(Clone, Debug)]
pub struct IdentitySyncExport {
    pub query: ExportQuery,
    /// Where Gigya uploads the file.
    pub sftp: SftpWriter,
    /// Where the files the writer uploads appear on this machine: the SFTP folder, mounted
    /// (sshfs, a shared volume). Ferry's mock Gigya writes here when its settings map the SFTP
    /// host to this directory (`sftp_servers`).
    pub landing_dir: PathBuf,
}

/// IdentitySync's `datasource.write.sftp`: the SFTP server Gigya uploads the export to
/// (parameters as SAP's own dataflows write them; gigya.md §8.2). Object-store writers
/// (`datasource.write.amazon.s3`, `.azure.blob`) would serve as well with the bucket mounted at
/// the landing directory; the engine writes the SFTP one.
#[derive(Clone)]
pub struct SftpWriter {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: String,
    /// The folder on the server (`remotePath`).
    pub remote_path: String,
}

impl SftpWriter {
    /// The writer step's `params`. `temporaryUploadExtension` keeps a file under a temporary
    /// name until it is complete, so a half-uploaded file is never taken for the export.
    fn params(&self) -> Value {
        json!({
            "host": self.host,
            "port": self.port,
            "username": self.username,
            "password": self.password,
            "remotePath": self.remote_path,
            "temporaryUploadExtension": true,
        })
    }
}

impl std::fmt::Debug for SftpWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SftpWriter")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &"[masked]")
            .field("remote_path", &self.remote_path)
            .finish()
    }
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
            ExportSource::IdentitySync(export) => {
                let sftp = &export.sftp;
                format!(
                    "identitysync select={:?} where={:?} sftp={}@{}:{}{} landing={}",
                    export.query.select(),
                    export.query.condition(),
                    sftp.username,
                    sftp.host,
                    sftp.port,
                    sftp.remote_path,
                    export.landing_dir.display()
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
/// there (or the IdentitySync files in the landing directory are noted) before anything is
/// imported, and a killed run continues with [`GigyaMigration::resume`] without importing
/// anyone twice.
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

/// What reading a Gigya export through found.
#[derive(Debug)]
pub(super) struct Checked {
    pub records: u64,
    /// Said when no account of the export carries a password hash.
    pub note: Option<String>,
}

/// The few fields of an account the read-through looks at.
#[derive(serde::Deserialize)]
struct Probe {
    #[serde(default)]
    password: Option<Value>,
}

/// What a run of an export without any password hash is told: every user imported from it
/// will need a reset, and which routes would have carried the hashes.
fn no_hashes_note(accounts: u64) -> String {
    format!(
        "this export carries no password hashes (none of its {} accounts has one): every user imported \
         from it will need a password reset. {}",
        crate::term::thousands(accounts),
        super::transform::HASH_ROUTES
    )
}

impl GigyaFeed<'_> {
    /// The export as files: with a run state, the interrupted run's when they are still there,
    /// else a new export, journaled before anything is imported; without one, IdentitySync's
    /// files or the file given. `None` for a search without a run state: its pages are
    /// imported as they arrive.
    pub(super) async fn export(
        &self,
        state: Option<&mut StateFile>,
        progress: &dyn Progress,
    ) -> Result<Option<Vec<PathBuf>>, EngineError> {
        if let ExportSource::File(path) = &self.migration.source {
            return Ok(Some(vec![path.clone()]));
        }
        let Some(state) = state else {
            return match &self.migration.source {
                ExportSource::IdentitySync(export) => {
                    progress.phase(Phase::Export);
                    Ok(Some(identity_sync(self.client, self.migration, export).await?))
                }
                _ => Ok(None),
            };
        };
        let journaled = &state.state.export_files;
        if !journaled.is_empty() && journaled.iter().all(|p| p.is_file()) {
            progress.note("continuing from the export of the interrupted run");
            return Ok(Some(journaled.clone()));
        }
        progress.phase(Phase::Export);
        let paths = match &self.migration.source {
            ExportSource::Search { query } => {
                let dir = self.migration.report_dir.clone().unwrap_or_default();
                vec![search_to_file(self.client, query, &dir, progress).await?]
            }
            ExportSource::IdentitySync(export) => identity_sync(self.client, self.migration, export).await?,
            ExportSource::File(path) => vec![path.clone()],
        };
        state.state.export_files = paths.clone();
        state.save()?;
        Ok(Some(paths))
    }

    /// Reads the export through (see [`super::run`]): every record readable, the file a Gigya
    /// export, and whether any account carries a password hash.
    pub(super) fn check_files(&self, files: &[PathBuf]) -> Result<Checked, EngineError> {
        let (mut records, mut with_hash) = (0u64, 0u64);
        for path in files {
            let scan = export::scan_each::<Probe>(path, |probe| {
                let Some(password) = probe.password.as_ref() else {
                    return;
                };
                if ["hash", "compoundHashedPassword", "compoundHash"]
                    .iter()
                    .any(|key| password.get(key).and_then(Value::as_str).is_some_and(|h| !h.is_empty()))
                {
                    with_hash += 1;
                }
            })?;
            export::expect_kind(path, scan.first.as_ref(), Expected::GigyaExport)?;
            records += scan.records;
        }
        let note = (records > 0 && with_hash == 0).then(|| no_hashes_note(records));
        Ok(Checked { records, note })
    }

    /// Feeds every record to the importer: from the export's files when there are some, else
    /// straight from a search (pages imported as they arrive).
    pub(super) async fn feed(
        &self,
        importer: &mut Importer<'_>,
        files: Option<Vec<PathBuf>>,
        progress: &dyn Progress,
    ) -> Result<(), EngineError> {
        let paths = match (files, &self.migration.source) {
            (Some(paths), _) => paths,
            (None, ExportSource::Search { query }) => {
                let query = query.search_query();
                let mut cursor: Option<String> = None;
                let mut exported = 0u64;
                loop {
                    let (accounts, next) = self.client.search_page(&query, cursor.as_deref()).await?;
                    for account in accounts {
                        exported += 1;
                        feed(importer, account).await?;
                    }
                    progress.exported(exported);
                    match next {
                        Some(next) => cursor = Some(next),
                        None => return Ok(()),
                    }
                }
            }
            (None, _) => {
                return Err(EngineError::Config(
                    "the export has no files to read (internal: export() was not called)".into(),
                ));
            }
        };
        for path in &paths {
            feed_file(importer, path).await?;
        }
        Ok(())
    }
}

/// Runs `accounts.search` to its last page into `export.ndjson` in `dir` (written under a
/// temporary name and renamed when complete).
async fn search_to_file(
    gigya: &GigyaClient,
    query: &ExportQuery,
    dir: &Path,
    progress: &dyn Progress,
) -> Result<PathBuf, EngineError> {
    use std::io::Write;
    let path = dir.join("export.ndjson");
    let partial = dir.join("export.ndjson.partial");
    // Every account's password hash and salt, when the search returns them: owner-only.
    let file = super::report::private_file(&partial)?;
    let mut out = std::io::BufWriter::new(file);
    let query = query.search_query();
    let mut cursor: Option<String> = None;
    let mut exported = 0u64;
    loop {
        let (accounts, next) = gigya.search_page(&query, cursor.as_deref()).await?;
        for account in accounts {
            let mut line = serde_json::to_vec(&account).unwrap_or_default();
            line.push(b'\n');
            out.write_all(&line).map_err(EngineError::io(&partial))?;
            exported += 1;
        }
        progress.exported(exported);
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
            let needs_reset = t.hash.reset_reason(NO_HASH_IN_EXPORT);
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

/// Runs an IdentitySync export: a dataflow (the account reader with the query's `select`,
/// `where` and `batchSize`, a JSON file, the SFTP writer) created and scheduled once, the job
/// followed to its end, then the files it wrote read from the landing directory, where the SFTP
/// folder is mounted. Their names start with a prefix of this run's own, so that no other file
/// is taken for the export.
async fn identity_sync(
    gigya: &GigyaClient,
    migration: &GigyaMigration,
    export: &IdentitySyncExport,
) -> Result<Vec<PathBuf>, EngineError> {
    let landing = &export.landing_dir;
    if !landing.is_dir() {
        return Err(EngineError::Config(format!(
            "the landing directory {} does not exist: mount the SFTP folder {} of {} there",
            landing.display(),
            export.sftp.remote_path,
            export.sftp.host
        )));
    }
    let reader_params = export.query.reader_params()?;
    let prefix = run_prefix();
    let dataflow = json!({
        "name": "Ferry export for Auth0",
        "description": "account > json > sftp",
        "steps": [
            { "id": "account", "type": "datasource.read.gigya.account", "params": reader_params, "next": ["json"] },
            { "id": "json", "type": "file.format.json", "params": { "fileName": format!("{prefix}${{now}}.json") }, "next": ["sftp"] },
            { "id": "sftp", "type": "datasource.write.sftp", "params": export.sftp.params() },
        ],
    });
    let dataflow_id = gigya.create_dataflow(&dataflow).await?;
    gigya.run_once(&dataflow_id, "Ferry export").await?;
    gigya
        .wait_for_job(&dataflow_id, Duration::from_millis(200), migration.export_timeout)
        .await?;
    let mut files = vec![];
    for entry in std::fs::read_dir(landing).map_err(EngineError::io(landing))? {
        let entry = entry.map_err(EngineError::io(landing))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&prefix) && name.ends_with(".json") && entry.path().is_file() {
            files.push(entry.path());
        }
    }
    if files.is_empty() {
        return Err(EngineError::Export {
            path: landing.clone(),
            reason: format!(
                "the IdentitySync job succeeded but no {prefix}*.json is here: is {} of {} mounted at this directory?",
                export.sftp.remote_path, export.sftp.host
            ),
        });
    }
    files.sort();
    Ok(files)
}

/// A file-name prefix no other run uses: `ferry_export_<UTC time>_<process>_<n>_`.
fn run_prefix() -> String {
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    format!(
        "ferry_export_{}_{}_{}_",
        chrono::Utc::now().format("%Y%m%d%H%M%S%3f"),
        std::process::id(),
        RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sftp_password_stays_out_of_debug_output_and_the_fingerprint() {
        let sftp = SftpWriter {
            host: "sftp.example.com".into(),
            port: 22,
            username: "ferry".into(),
            password: "sftp-hunter2".into(),
            remote_path: "/exports".into(),
        };
        assert_eq!(sftp.params()["password"], "sftp-hunter2", "Gigya's writer needs it");
        assert_eq!(sftp.params()["temporaryUploadExtension"], true);
        let export = IdentitySyncExport {
            query: ExportQuery::all(),
            sftp,
            landing_dir: PathBuf::from("/mnt/exports"),
        };
        assert!(!format!("{export:?}").contains("hunter2"));
        let migration = GigyaMigration::new(
            GigyaConfig {
                base_url: None,
                data_center: "us1.gigya.com".into(),
                api_key: "3_key".into(),
                user_key: None,
                secret: "c2VjcmV0".into(),
            },
            Auth0Config {
                base_url: "https://tenant.auth0.com".into(),
                client_id: "id".into(),
                client_secret: "secret".into(),
                audience: None,
            },
            ExportSource::IdentitySync(export),
            "users",
        );
        let fingerprint = migration.fingerprint();
        assert!(
            fingerprint.contains("ferry@sftp.example.com:22/exports"),
            "{fingerprint}"
        );
        assert!(!fingerprint.contains("hunter2"), "{fingerprint}");
        assert!(!format!("{migration:?}").contains("hunter2"));
    }

    #[test]
    fn every_run_has_its_own_file_prefix() {
        let (a, b) = (run_prefix(), run_prefix());
        assert_ne!(a, b);
        assert!(a.starts_with("ferry_export_") && a.ends_with('_'), "{a}");
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{a}");
    }
}
