//! The migration report: every exported user accounted for — inserted, updated, failed with
//! its reasons, skipped with its reason, and whether they must reset their password.
//!
//! Per-user lines are streamed to `users.ndjson` as they are known (so a million-user run does
//! not hold them in memory); the totals and the jobs go to `summary.json` at the end.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::auth0::JobSummary;
use super::error::EngineError;

/// What happened to one exported user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Inserted,
    Updated,
    /// Imported by an upsert job that both inserted and updated users: Auth0's job summary
    /// gives counts, not which user was which.
    InsertedOrUpdated,
    /// Refused, by the local schema check or by Auth0's job.
    Failed {
        reasons: Vec<String>,
    },
    /// Not sent to Auth0 at all.
    Skipped {
        reason: String,
    },
}

/// One line of `users.ndjson`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserLine {
    /// The id in the source system (Gigya UID, line number of an import file, ...).
    pub source_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Why this user must reset their password (imported without a usable hash).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needs_reset: Option<String>,
    /// The job that carried the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
}

/// One import job of the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: String,
    /// Users in the file and its size in bytes.
    pub users: usize,
    pub bytes: usize,
    pub status: String,
    pub summary: Option<JobSummary>,
}

/// The totals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Users read from the source.
    pub exported: u64,
    pub inserted: u64,
    pub updated: u64,
    pub inserted_or_updated: u64,
    pub failed: u64,
    pub skipped: u64,
    /// Imported users who must reset their password (a subset of the imported ones).
    pub needs_reset: u64,
}

impl Totals {
    /// Whether every exported user is accounted for exactly once.
    pub fn balanced(&self) -> bool {
        self.exported == self.inserted + self.updated + self.inserted_or_updated + self.failed + self.skipped
    }
}

/// The whole report of a run.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Summary {
    pub totals: Totals,
    pub jobs: Vec<JobRecord>,
    /// Failure reasons, counted.
    pub failure_reasons: BTreeMap<String, u64>,
    /// Where `users.ndjson` and `summary.json` were written.
    #[serde(skip)]
    pub directory: Option<PathBuf>,
}

/// Writes the report as users are accounted for.
#[derive(Debug)]
pub struct ReportWriter {
    summary: Summary,
    lines: Option<BufWriter<File>>,
    directory: Option<PathBuf>,
    /// Bytes written to `users.ndjson` so far.
    offset: u64,
}

impl ReportWriter {
    /// A report written under `directory` (created if missing), or kept in memory only.
    pub fn new(directory: Option<&Path>) -> Result<Self, EngineError> {
        let lines = match directory {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(EngineError::io(dir))?;
                let path = dir.join("users.ndjson");
                Some(BufWriter::new(File::create(&path).map_err(EngineError::io(path))?))
            }
            None => None,
        };
        Ok(Self {
            summary: Summary::default(),
            lines,
            directory: directory.map(Path::to_path_buf),
            offset: 0,
        })
    }

    /// The report of an interrupted run, continued: `users.ndjson` cut back to `offset` (what
    /// was accounted when the run state was last saved) and the summary as it was then.
    pub fn resume(directory: &Path, offset: u64, summary: Summary) -> Result<Self, EngineError> {
        let path = directory.join("users.ndjson");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(EngineError::io(&path))?;
        file.set_len(offset).map_err(EngineError::io(&path))?;
        use std::io::Seek;
        let mut file = file;
        file.seek(std::io::SeekFrom::End(0)).map_err(EngineError::io(&path))?;
        Ok(Self {
            summary,
            lines: Some(BufWriter::new(file)),
            directory: Some(directory.to_path_buf()),
            offset,
        })
    }

    pub(crate) fn job(&mut self, record: JobRecord) {
        self.summary.jobs.push(record);
    }

    /// The summary so far.
    pub(crate) fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Writes the lines out and syncs them; the length of `users.ndjson`.
    pub(crate) fn sync(&mut self) -> Result<u64, EngineError> {
        if let Some(out) = &mut self.lines {
            let path = self.directory.clone().unwrap_or_default().join("users.ndjson");
            out.flush().map_err(EngineError::io(&path))?;
            out.get_ref().sync_data().map_err(EngineError::io(path))?;
        }
        Ok(self.offset)
    }

    /// Accounts for one user (every exported user is accounted for exactly once).
    pub(crate) fn user(&mut self, line: &UserLine) -> Result<(), EngineError> {
        let totals = &mut self.summary.totals;
        totals.exported += 1;
        match &line.outcome {
            Outcome::Inserted => totals.inserted += 1,
            Outcome::Updated => totals.updated += 1,
            Outcome::InsertedOrUpdated => totals.inserted_or_updated += 1,
            Outcome::Failed { reasons } => {
                totals.failed += 1;
                for reason in reasons {
                    let key = reason.split(':').next().unwrap_or(reason).trim().to_owned();
                    *self.summary.failure_reasons.entry(key).or_default() += 1;
                }
            }
            Outcome::Skipped { reason } => {
                totals.skipped += 1;
                *self
                    .summary
                    .failure_reasons
                    .entry(format!("skipped: {reason}"))
                    .or_default() += 1;
            }
        }
        let imported = matches!(
            line.outcome,
            Outcome::Inserted | Outcome::Updated | Outcome::InsertedOrUpdated
        );
        if imported && line.needs_reset.is_some() {
            totals.needs_reset += 1;
        }
        if let Some(out) = &mut self.lines {
            let path = self.directory.clone().unwrap_or_default().join("users.ndjson");
            let mut bytes = serde_json::to_vec(line).map_err(|e| EngineError::Io {
                path: path.clone(),
                source: std::io::Error::other(e),
            })?;
            bytes.push(b'\n');
            out.write_all(&bytes).map_err(EngineError::io(path))?;
            self.offset += bytes.len() as u64;
        }
        Ok(())
    }

    /// Flushes the lines and writes `summary.json`.
    pub fn finish(mut self) -> Result<Summary, EngineError> {
        if let Some(out) = &mut self.lines {
            let path = self.directory.clone().unwrap_or_default().join("users.ndjson");
            out.flush().map_err(EngineError::io(path))?;
        }
        if let Some(dir) = &self.directory {
            let path = dir.join("summary.json");
            let text = serde_json::to_string_pretty(&self.summary).unwrap_or_default();
            std::fs::write(&path, text + "\n").map_err(EngineError::io(path))?;
        }
        self.summary.directory = self.directory;
        Ok(self.summary)
    }
}
