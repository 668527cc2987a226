//! Why a scenario could not be loaded or started. A scenario that runs and misses its
//! expectations is not an error: it is a [`super::Report`] with failures.

use std::path::PathBuf;

/// A scenario that cannot be run, with where and why.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file is not valid YAML or does not fit the scenario format.
    #[error("{}:{}: {reason}", .file.display(), location(*.line, *.column))]
    Parse {
        file: PathBuf,
        line: u64,
        column: u64,
        reason: String,
    },
    /// The file is well-formed but names something that cannot be used (a missing script
    /// file, a seed the mock refuses).
    #[error("{}{}: {reason}", .file.display(), .line.map(|l| format!(":{l}")).unwrap_or_default())]
    Invalid {
        file: PathBuf,
        line: Option<u64>,
        reason: String,
    },
    #[error("cannot read {}: {source}", .file.display())]
    Io { file: PathBuf, source: std::io::Error },
    /// A mock could not be started (no loopback port, say).
    #[error("{}: cannot start the mock {mock}: {source}", .file.display())]
    Start {
        file: PathBuf,
        mock: &'static str,
        source: std::io::Error,
    },
}

fn location(line: u64, column: u64) -> String {
    if column > 0 {
        format!("{line}:{column}")
    } else {
        line.to_string()
    }
}
