//! Files written by IdentitySync jobs through the mock-only `datasource.write.ferry` writer, and
//! the Ferry admin routes that hand them out:
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
