//! The import pipeline: users are checked against Auth0's import schema, packed into files
//! under the 500 KB limit, and sent as import jobs — never more at once than the tenant allows
//! — which are followed until they finish; then every user of every file is accounted for in
//! the report, from the job's summary and its per-user errors.
//!
//! Memory stays bounded whatever the size of the export: at most one file being filled and the
//! files of the jobs in flight are held.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use import_schema::{MAX_FILE_BYTES, Rules, validate_user};
use serde_json::Value;

use super::auth0::{Job, JobError, ManagementClient, SubmitOutcome};
use super::error::EngineError;
use super::progress::Progress;
use super::report::{JobRecord, Outcome, ReportWriter, UserLine};

/// Settings of an import.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The database connection to import into (by name).
    pub connection: String,
    /// Update users that already exist (matched on email) instead of failing them.
    pub upsert: bool,
    /// Largest file sent in one job (Auth0's limit: 500 KB).
    pub max_file_bytes: usize,
    /// Jobs in flight at once (Auth0's limit: 2 per tenant).
    pub max_active_jobs: usize,
    /// How often a job's status is read.
    pub poll_interval: Duration,
    /// Prefix of each job's `external_id` (`<prefix>-<n>`), to find the jobs again.
    pub external_id: String,
    /// Connection rules the local schema check applies.
    pub rules: Rules,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            connection: String::new(),
            upsert: false,
            max_file_bytes: MAX_FILE_BYTES,
            max_active_jobs: 2,
            poll_interval: Duration::from_secs(1),
            external_id: "ferry".into(),
            rules: Rules::default(),
        }
    }
}

/// A user to import.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// Its id in the source (Gigya UID, position in a file).
    pub source_id: String,
    /// The Auth0 import user.
    pub user: Value,
    /// Why the user will have to reset their password, when the source's hash was not carried.
    pub needs_reset: Option<String>,
}

impl Candidate {
    fn email(&self) -> Option<String> {
        self.user.get("email").and_then(Value::as_str).map(str::to_owned)
    }
}

/// A file of users, as sent in one job.
struct Batch {
    number: usize,
    users: Vec<Candidate>,
    bytes: usize,
}

impl Batch {
    fn new(number: usize) -> Self {
        Self {
            number,
            users: vec![],
            bytes: 2,
        }
    }

    fn body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.bytes);
        out.push(b'[');
        for (i, candidate) in self.users.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // Serialising a Value cannot fail.
            out.extend(serde_json::to_vec(&candidate.user).unwrap_or_default());
        }
        out.push(b']');
        out
    }
}

/// The result of one job, for the report.
struct Finished {
    batch: Batch,
    job: Job,
    errors: Vec<JobError>,
}

type InFlight<'a> =
    FuturesUnordered<std::pin::Pin<Box<dyn std::future::Future<Output = Result<Finished, EngineError>> + Send + 'a>>>;

/// Runs an import: feed it with [`Importer::push`], end with [`Importer::finish`].
pub struct Importer<'a> {
    client: &'a ManagementClient,
    options: ImportOptions,
    connection_id: String,
    report: &'a mut ReportWriter,
    progress: &'a dyn Progress,
    batch: Batch,
    in_flight: InFlight<'a>,
    next_batch: usize,
}

impl std::fmt::Debug for Importer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Importer")
            .field("connection_id", &self.connection_id)
            .field("in_flight", &self.in_flight.len())
            .finish()
    }
}

impl<'a> Importer<'a> {
    /// Looks the connection up and gets ready.
    pub async fn start(
        client: &'a ManagementClient,
        options: ImportOptions,
        report: &'a mut ReportWriter,
        progress: &'a dyn Progress,
    ) -> Result<Self, EngineError> {
        if options.max_file_bytes < 1024 {
            return Err(EngineError::Config("the file size limit must be at least 1 KB".into()));
        }
        let connection_id = client.connection_id(&options.connection).await?;
        Ok(Self {
            client,
            options,
            connection_id,
            report,
            progress,
            batch: Batch::new(1),
            in_flight: InFlight::new(),
            next_batch: 2,
        })
    }

    /// Accounts for a user that will not be sent (skipped by the transform).
    pub fn skip(&mut self, source_id: String, email: Option<String>, reason: String) -> Result<(), EngineError> {
        self.report.exported();
        self.progress.user_done();
        self.report.user(&UserLine {
            source_id,
            email,
            outcome: Outcome::Skipped { reason },
            needs_reset: None,
            job: None,
        })
    }

    /// Checks a user and adds it to the current file, sending the file when it is full.
    pub async fn push(&mut self, candidate: Candidate) -> Result<(), EngineError> {
        self.report.exported();
        let issues = validate_user(&candidate.user, &self.options.rules);
        if !issues.is_empty() {
            self.progress.user_done();
            let reasons = issues
                .into_iter()
                .map(|i| format!("{}: {}", i.code, i.message))
                .collect();
            return self.report.user(&UserLine {
                email: candidate.email(),
                source_id: candidate.source_id,
                outcome: Outcome::Failed { reasons },
                needs_reset: None,
                job: None,
            });
        }
        // Serialised size of the user in the file, plus its separating comma.
        let size = serde_json::to_vec(&candidate.user).map(|v| v.len()).unwrap_or(0) + 1;
        if size + 2 > self.options.max_file_bytes {
            self.progress.user_done();
            return self.report.user(&UserLine {
                email: candidate.email(),
                source_id: candidate.source_id,
                outcome: Outcome::Failed {
                    reasons: vec![format!(
                        "TOO_LARGE: the user alone is {size} bytes, over the {} byte file limit",
                        self.options.max_file_bytes
                    )],
                },
                needs_reset: None,
                job: None,
            });
        }
        if self.batch.bytes + size > self.options.max_file_bytes {
            self.flush().await?;
        }
        self.batch.bytes += size;
        self.batch.users.push(candidate);
        Ok(())
    }

    /// Sends the current file as a job, waiting for a free slot first.
    async fn flush(&mut self) -> Result<(), EngineError> {
        if self.batch.users.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Batch::new(self.next_batch));
        self.next_batch += 1;
        while self.in_flight.len() >= self.options.max_active_jobs {
            self.complete_one().await?;
        }
        let body = batch.body();
        let external_id = format!("{}-{}", self.options.external_id, batch.number);
        let job = loop {
            match self
                .client
                .submit_import(body.clone(), &self.connection_id, self.options.upsert, &external_id)
                .await?
            {
                SubmitOutcome::Accepted(job) => break job,
                // Someone else's jobs (or a rate limit) hold the slots: wait for ours to move, or
                // for the time Auth0 asks.
                SubmitOutcome::Busy(wait) => {
                    if self.in_flight.is_empty() {
                        tokio::time::sleep(wait.max(self.options.poll_interval)).await;
                    } else {
                        self.complete_one().await?;
                    }
                }
            }
        };
        self.progress.job_submitted(&job.id, batch.users.len());
        let client = self.client;
        let poll = self.options.poll_interval;
        self.in_flight.push(Box::pin(async move {
            let job = follow(client, job, poll).await?;
            let errors = if job.status == "completed" {
                client.job_errors(&job.id).await?
            } else {
                vec![]
            };
            Ok(Finished { batch, job, errors })
        }));
        Ok(())
    }

    async fn complete_one(&mut self) -> Result<(), EngineError> {
        if let Some(finished) = self.in_flight.next().await {
            self.account(finished?)?;
        }
        Ok(())
    }

    /// Reports every user of a finished job.
    fn account(&mut self, finished: Finished) -> Result<(), EngineError> {
        let Finished { batch, job, errors } = finished;
        self.progress.job_done(&job.id);
        self.report.job(JobRecord {
            id: job.id.clone(),
            users: batch.users.len(),
            bytes: batch.bytes,
            status: job.status.clone(),
            summary: job.summary.clone(),
        });
        if job.status != "completed" {
            let details = job
                .status_details
                .clone()
                .unwrap_or_else(|| format!("job ended {}", job.status));
            for candidate in batch.users {
                self.progress.user_done();
                self.report.user(&UserLine {
                    email: candidate.email(),
                    source_id: candidate.source_id,
                    outcome: Outcome::Failed {
                        reasons: vec![format!("JOB_FAILED: {details}")],
                    },
                    needs_reset: None,
                    job: Some(job.id.clone()),
                })?;
            }
            return Ok(());
        }
        // Failed users come back with their row, hashes redacted. Within the bucket of rows with
        // the same user_id (else email), a failure belongs to the row it repeats exactly: a file
        // may hold two rows with one user_id, and only the later one is the duplicate.
        let mut failures: HashMap<String, Vec<(Value, Vec<String>)>> = HashMap::new();
        for error in errors {
            if let Some(key) = match_key(&error.user) {
                let reasons = error
                    .errors
                    .iter()
                    .map(|d| format!("{}: {}", d.code, d.message))
                    .collect();
                failures.entry(key).or_default().push((error.user, reasons));
            }
        }
        let summary = job.summary.clone().unwrap_or_default();
        let imported = if summary.updated == 0 {
            Outcome::Inserted
        } else if summary.inserted == 0 {
            Outcome::Updated
        } else {
            Outcome::InsertedOrUpdated
        };
        for candidate in batch.users {
            self.progress.user_done();
            let reasons = match_key(&candidate.user).and_then(|key| {
                let bucket = failures.get_mut(&key)?;
                let shown = import_schema::redact(&candidate.user);
                let at = bucket.iter().position(|(user, _)| *user == shown)?;
                Some(bucket.remove(at).1)
            });
            let (outcome, needs_reset) = match reasons {
                Some(reasons) => (Outcome::Failed { reasons }, None),
                None => (imported.clone(), candidate.needs_reset.clone()),
            };
            self.report.user(&UserLine {
                email: candidate.email(),
                source_id: candidate.source_id,
                outcome,
                needs_reset,
                job: Some(job.id.clone()),
            })?;
        }
        Ok(())
    }

    /// Sends the last file and waits for every job.
    pub async fn finish(mut self) -> Result<(), EngineError> {
        self.flush().await?;
        while !self.in_flight.is_empty() {
            self.complete_one().await?;
        }
        Ok(())
    }
}

/// The key failures are bucketed by: the user_id, else the lower-cased email.
fn match_key(user: &Value) -> Option<String> {
    user.get("user_id")
        .and_then(Value::as_str)
        .map(|id| format!("id:{id}"))
        .or_else(|| {
            user.get("email")
                .and_then(Value::as_str)
                .map(|e| format!("email:{}", e.to_lowercase()))
        })
}

/// Polls a job until it is completed or failed.
async fn follow(client: &ManagementClient, mut job: Job, poll: Duration) -> Result<Job, EngineError> {
    loop {
        if matches!(job.status.as_str(), "completed" | "failed" | "expired") {
            return Ok(job);
        }
        tokio::time::sleep(poll).await;
        job = client.job(&job.id).await?;
    }
}

/// Reads an Auth0 import file (a JSON array of users, or NDJSON) and imports it, one record at
/// a time: `ferry import`.
pub async fn import_file(
    client: &ManagementClient,
    path: &std::path::Path,
    options: ImportOptions,
    report: &mut ReportWriter,
    progress: &dyn Progress,
) -> Result<(), EngineError> {
    let mut importer = Importer::start(client, options, report, progress).await?;
    let records = super::export::records(path)?;
    let mut position = 0usize;
    for record in records {
        position += 1;
        let user = record?;
        let has_hash = user.get("password_hash").is_some() || user.get("custom_password_hash").is_some();
        let needs_reset = (!has_hash).then(|| "no password hash in the file".to_owned());
        importer
            .push(Candidate {
                source_id: format!("#{position:06}"),
                user,
                needs_reset,
            })
            .await?;
    }
    importer.finish().await
}
