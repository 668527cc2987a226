//! The run's journal on disk (`state.json` in the report directory), so that a migration
//! killed at any point resumes where it was (`--resume`) without importing anyone twice or
//! losing anyone.
//!
//! The input (an export file) is read in order and cut into *segments*: the records between
//! two job files, including the users that were skipped or failed the local check on the way.
//! A segment goes `submitting` (written before its job is posted, with the time) → `submitted`
//! (with the job id) → `accounted` (its users' lines are in `users.ndjson`). The state is written atomically
//! (a temporary file renamed over the old one) after every transition, with the byte length of
//! `users.ndjson` and the report's totals at that moment; on resume the lines file is cut back
//! to that length and the totals restored, accounted segments are skipped, submitted ones are
//! followed to the end of their job, and a segment caught between posting its job and
//! recording the id is sent again whole: a user the new job finds already there was imported
//! by the lost one when Auth0 created it at or after the segment's `since` (and no earlier row
//! of the segment was that user), so the report says what the lost job did.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::EngineError;
use super::report::Summary;

/// Where a segment is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SegmentStatus {
    /// Its job is about to be posted (or was, without an answer recorded), since `since` (to
    /// the millisecond; kept when the segment is sent again).
    Submitting { since: chrono::DateTime<chrono::Utc> },
    /// Its job was accepted. `resent_since`: the job sends again a segment whose first job
    /// went unanswered, first sent then (see the module's documentation).
    Submitted {
        job: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resent_since: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Its users are in the report.
    Accounted,
}

/// A run of consecutive input records ending with one job file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// Index (from 0) of its first record in the input.
    pub first: u64,
    /// Records in the segment (skipped and locally failed ones included).
    pub records: u64,
    #[serde(flatten)]
    pub status: SegmentStatus,
}

/// The journal.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RunState {
    pub version: u32,
    /// What the run was started with (connection, upsert, file size, source): a resume with
    /// other settings is refused.
    pub fingerprint: String,
    /// The local export files the import reads, in order, once the export is complete.
    pub export_files: Vec<PathBuf>,
    pub segments: BTreeMap<u64, Segment>,
    /// Length of `users.ndjson` after the last accounted segment.
    pub report_offset: u64,
    /// The report's totals, jobs and failure reasons at that moment.
    pub summary: Summary,
    /// Whether the whole run finished.
    pub complete: bool,
}

/// The state file of a report directory.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    pub state: RunState,
}

/// Version 3: `since` on a `submitting` segment (version 2: `export_files`, several
/// IdentitySync files, instead of `export_file`).
pub const STATE_VERSION: u32 = 3;

impl StateFile {
    /// The path of the state file in a report directory.
    pub fn path_in(report_dir: &Path) -> PathBuf {
        report_dir.join("state.json")
    }

    /// A fresh state for a new run.
    pub fn create(report_dir: &Path, fingerprint: String) -> Result<Self, EngineError> {
        super::report::private_dir(report_dir)?;
        let file = Self {
            path: Self::path_in(report_dir),
            state: RunState {
                version: STATE_VERSION,
                fingerprint,
                ..RunState::default()
            },
        };
        file.save()?;
        Ok(file)
    }

    /// The state of an interrupted run, checked against this run's fingerprint.
    pub fn open(report_dir: &Path, fingerprint: &str) -> Result<Self, EngineError> {
        let path = Self::path_in(report_dir);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                EngineError::Config(format!("nothing to resume: {} does not exist", path.display()))
            } else {
                EngineError::Io {
                    path: path.clone(),
                    source: e,
                }
            }
        })?;
        let state: RunState = serde_json::from_str(&text).map_err(|e| EngineError::Export {
            path: path.clone(),
            reason: format!("unreadable run state: {e}"),
        })?;
        if state.version != STATE_VERSION {
            return Err(EngineError::Config(format!(
                "{} is from another version of Ferry",
                path.display()
            )));
        }
        if state.fingerprint != fingerprint {
            return Err(EngineError::Config(format!(
                "{} belongs to a run with other settings ({}); resume with the same ones, or start over in another report directory",
                path.display(),
                state.fingerprint
            )));
        }
        if state.complete {
            return Err(EngineError::Config(format!(
                "the run in {} already finished: nothing to resume",
                path.display()
            )));
        }
        Ok(Self { path, state })
    }

    /// Writes the state atomically.
    pub fn save(&self) -> Result<(), EngineError> {
        let temp = self.path.with_extension("json.tmp");
        let text = serde_json::to_vec_pretty(&self.state).unwrap_or_default();
        {
            use std::io::Write;
            let mut file = super::report::private_file(&temp)?;
            file.write_all(&text).map_err(EngineError::io(&temp))?;
            file.sync_all().map_err(EngineError::io(&temp))?;
        }
        std::fs::rename(&temp, &self.path).map_err(EngineError::io(&self.path))
    }
}
