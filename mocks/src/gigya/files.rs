//! Where IdentitySync jobs put their files.
//!
//! **`datasource.write.sftp`**, the real writer: Gigya uploads each file to an SFTP server
//! (`host`, `port`, `username`, `password` or `privateKey`, `remotePath`,
//! `temporaryUploadExtension`, `timeout`: the parameters of IdentitySync's SFTP writer as SAP's
//! own tools and published dataflows write them — the Customer Data Cloud toolkit's test
//! dataflows, gigya-dataflow-tool's `exportToSFTP` template). The mock has no SFTP server: its
//! settings map a host to a local directory that stands for the server's root
//! (`sftp_servers`), and a file goes to `<directory>/<remotePath>/<name>`, copied under
//! `<name>.tmp` and renamed when complete with `temporaryUploadExtension: true` (the suffix is
//! the mock's choice). A host the settings do not name fails the job as a server that cannot be
//! reached would; a `remotePath` that is not a directory there fails it as the server would
//! refuse the upload. A migration reads the files from that directory, as it would from the
//! real server's folder mounted on its machine. The mock checks that credentials are given, not
//! what they are.
//!
//! **`datasource.write.ferry`**, mock only: the file is kept by the mock and handed out by the
//! Ferry admin routes:
//!
//! | method and path               | does                                                        |
//! |-------------------------------|-------------------------------------------------------------|
//! | `GET /__ferry/files`          | `{"files": [{name, size, jobId, dataflowId, created}]}`     |
//! | `GET /__ferry/files/{name}`   | the file's bytes (`application/json` for `.json`)           |
//!
//! Files live on disk, in a directory of the system's temporary folder made on first use and
//! removed with the mock (or on `reset`), so that exporting a million accounts streams to disk
//! and back instead of holding the file in memory. A name written twice is replaced, as an
//! upload to the same remote path would be. Both routes first run the jobs that the kit clock
//! has made due, like every API call.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

use super::Gigya;
use super::store::Store;

/// Where a `datasource.write.sftp` step uploads: one of the mock's SFTP servers and a folder.
#[derive(Clone, Debug)]
pub(crate) struct SftpTarget {
    host: String,
    port: u64,
    /// The server's root on this machine (from the settings).
    root: PathBuf,
    /// `remotePath` as given, for messages.
    remote_path: String,
    /// Its folders under the root.
    folders: Vec<String>,
    temporary_extension: bool,
}

impl SftpTarget {
    /// The writer step's parameters checked and its host looked up in `servers`.
    pub(crate) fn new(
        step: &str,
        params: &serde_json::Map<String, Value>,
        servers: &std::collections::BTreeMap<String, PathBuf>,
    ) -> Result<Self, String> {
        let text = |name: &str| match params.get(name) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_owned())),
            None | Some(Value::Null) | Some(Value::String(_)) => Ok(None),
            Some(_) => Err(format!("step '{step}': params.{name} must be a string")),
        };
        let required = |name: &str| {
            text(name)?.ok_or_else(|| format!("step '{step}' (datasource.write.sftp): params.{name} is missing"))
        };
        let host = required("host")?;
        required("username")?;
        if text("password")?.is_none() && text("privateKey")?.is_none() {
            return Err(format!(
                "step '{step}' (datasource.write.sftp): params.password (or params.privateKey) is missing"
            ));
        }
        let port = match params.get("port") {
            None | Some(Value::Null) => 22,
            Some(v) => v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .filter(|p| (1..=65_535).contains(p))
                .ok_or_else(|| format!("step '{step}': params.port must be a port number"))?,
        };
        let temporary_extension = match params.get("temporaryUploadExtension") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(format!(
                    "step '{step}': params.temporaryUploadExtension must be true or false"
                ));
            }
        };
        if let Some(timeout) = params.get("timeout")
            && !timeout.is_null()
            && timeout.as_u64().is_none()
        {
            return Err(format!("step '{step}': params.timeout must be a number of seconds"));
        }
        let remote_path = text("remotePath")?.unwrap_or_else(|| "/".into());
        let mut folders = vec![];
        for part in remote_path.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    return Err(format!(
                        "step '{step}': params.remotePath '{remote_path}' climbs out of the server's root"
                    ));
                }
                folder => folders.push(folder.to_owned()),
            }
        }
        let Some(root) = servers.get(&host).or_else(|| {
            servers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(&host))
                .map(|(_, dir)| dir)
        }) else {
            return Err(format!(
                "step '{step}' (datasource.write.sftp): cannot connect to {host}:{port}: SFTP writer not available in the mock; use datasource.write.ferry, or give the mock this server with settings.sftp_servers: {{ {host}: <local directory> }}"
            ));
        };
        Ok(Self {
            host,
            port,
            root: root.clone(),
            remote_path,
            folders,
            temporary_extension,
        })
    }

    /// Uploads the file at `from` as `name`.
    pub(crate) fn upload(&self, name: &str, from: &std::path::Path) -> Result<(), String> {
        let place = format!("{}:{}{}", self.host, self.port, self.remote_path);
        if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
            return Err(format!("cannot upload a file named '{name}' to {place}"));
        }
        let dir = self.folders.iter().fold(self.root.clone(), |dir, f| dir.join(f));
        if !dir.is_dir() {
            return Err(format!(
                "cannot upload {name} to {place}: no such directory on the server"
            ));
        }
        let target = dir.join(name);
        let written = if self.temporary_extension {
            dir.join(format!("{name}.tmp"))
        } else {
            target.clone()
        };
        std::fs::copy(from, &written).map_err(|e| format!("cannot upload {name} to {place}: {e}"))?;
        if written != target {
            std::fs::rename(&written, &target).map_err(|e| format!("cannot rename {name}.tmp on {place}: {e}"))?;
        }
        Ok(())
    }
}

/// Distinguishes the directories of several mocks in one process.
static DIRS: AtomicU64 = AtomicU64::new(0);

/// The directory a mock keeps its files in.
#[derive(Debug, Default)]
pub(crate) struct FileDir {
    dir: Mutex<Option<PathBuf>>,
    files: AtomicU64,
}

impl FileDir {
    /// A fresh path in the directory (made on first use), its name ending in `suffix`.
    pub(crate) fn fresh_path(&self, suffix: &str) -> io::Result<PathBuf> {
        let mut dir = self.dir.lock().unwrap_or_else(PoisonError::into_inner);
        let path = match &*dir {
            Some(path) => path.clone(),
            None => {
                let path = std::env::temp_dir().join(format!(
                    "ferry-gigya-{}-{}",
                    std::process::id(),
                    DIRS.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::create_dir_all(&path)?;
                *dir = Some(path.clone());
                path
            }
        };
        let n = self.files.fetch_add(1, Ordering::Relaxed);
        let safe: String = suffix
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .take(64)
            .collect();
        Ok(path.join(format!("{n:06}-{safe}")))
    }

    /// Removes the directory and everything in it.
    pub(crate) fn clear(&self) {
        if let Some(path) = self.dir.lock().unwrap_or_else(PoisonError::into_inner).take() {
            let _ = std::fs::remove_dir_all(path);
        }
    }
}

impl Drop for FileDir {
    fn drop(&mut self) {
        self.clear();
    }
}

/// The file list as `GET /__ferry/files` shows it.
pub(crate) fn listing(store: &Store) -> Vec<Value> {
    store
        .files
        .iter()
        .map(|(name, f)| {
            json!({ "name": name, "size": f.size, "jobId": f.job_id, "dataflowId": f.dataflow_id, "created": f.created })
        })
        .collect()
}

fn admin_error(status: StatusCode, error: &str, detail: &str) -> Response {
    (status, Json(json!({ "error": error, "detail": detail }))).into_response()
}

/// `GET /__ferry/files`.
pub(crate) async fn files_list(State(gigya): State<Gigya>) -> Response {
    gigya.run_due_jobs().await;
    let files = listing(&gigya.store());
    Json(json!({ "files": files })).into_response()
}

/// `GET /__ferry/files/{name}`: the bytes, streamed from disk.
pub(crate) async fn files_get(State(gigya): State<Gigya>, Path(name): Path<String>) -> Response {
    gigya.run_due_jobs().await;
    let Some(entry) = gigya.store().files.get(&name).cloned() else {
        return admin_error(StatusCode::NOT_FOUND, "not_found", &format!("no file named '{name}'"));
    };
    let file = match tokio::fs::File::open(&entry.path).await {
        Ok(file) => file,
        Err(e) => {
            return admin_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "file_unreadable",
                &format!("cannot read '{name}': {e}"),
            );
        }
    };
    let stream = futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, io::Error>(bytes::Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    });
    let content_type = if name.ends_with(".json") {
        "application/json; charset=utf-8"
    } else {
        "application/octet-stream"
    };
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(length) = HeaderValue::from_str(&entry.size.to_string()) {
        headers.insert(header::CONTENT_LENGTH, length);
    }
    response
}
