//! What can stop a migration, with what a caller needs to act on it.

use std::path::PathBuf;

/// An engine failure. A user that fails to import is not an error: it is a line in the
/// migration report; these are the failures that stop the run.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A service answered with an error it will keep giving (bad credentials, bad request).
    #[error("{service} answered {status}: {message}")]
    Service {
        service: &'static str,
        status: u16,
        message: String,
    },
    /// A service could not be reached, or kept failing after every retry.
    #[error("{service} could not be reached: {message}")]
    Transport { service: &'static str, message: String },
    /// Gigya answered with an errorCode.
    #[error("Gigya {method} failed with {code}: {message}")]
    Gigya { method: String, code: i64, message: String },
    /// An Auth0 import job failed as a whole.
    #[error("Auth0 import job {job} failed: {details}")]
    JobFailed { job: String, details: String },
    /// The configuration cannot work (missing credential, unknown connection).
    #[error("{0}")]
    Config(String),
    /// An export or report file could not be read or written.
    #[error("{}: {source}", .path.display())]
    Io { path: PathBuf, source: std::io::Error },
    /// The export query cannot be used (refused before anything is exported).
    #[error(transparent)]
    Query(#[from] super::query::QueryError),
    /// An export file is not what the engine can read.
    #[error("{}: {reason}", .path.display())]
    Export { path: PathBuf, reason: String },
}

impl EngineError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| EngineError::Io { path, source }
    }
}
