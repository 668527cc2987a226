//! The import pipeline: users are checked against Auth0's import schema, packed into files
//! under the 500 KB limit, and sent as import jobs — never more at once than the tenant allows
//! — which are followed until they finish; then every user of every file is accounted for in
//! the report, from the job's summary and its per-user errors.
//!
//! The input is a sequence of records (an export file read in order); each record becomes a
//! [`Item`]: a candidate user, or a user accounted for without Auth0 (skipped). With a run
//! state ([`super::state`]) the pipeline survives being killed: each segment of records is
//! journaled before and after its job, and a resumed run skips what was accounted and follows
//! what was in flight.
//!
//! Memory stays bounded whatever the size of the export: at most one file being filled, the
//! files of the jobs in flight, and the segments of an interrupted run being rebuilt.

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
use super::state::{Segment, SegmentStatus, StateFile};

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
    /// Prefix of each job's `external_id` (`<prefix>-<segment>`), to find the jobs again.
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

impl ImportOptions {
    /// What a resumed run must agree with.
    pub fn fingerprint(&self) -> String {
        format!(
            "connection={} upsert={} max_file_bytes={} requires_username={}",
            self.connection, self.upsert, self.max_file_bytes, self.rules.requires_username
        )
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

/// One input record, as the pipeline takes it.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Candidate(Candidate),
    /// A user not sent to Auth0, with the reason.
    Skip {
        source_id: String,
        email: Option<String>,
        reason: String,
    },
}

/// A record after the local check.
enum Triaged {
    /// To send to Auth0.
    Send(Candidate),
    /// Accounted for without Auth0 (skipped, or refused by the local check).
    Local(UserLine),
}

/// A file of users, as sent in one job, and the segment of records it closes.
struct Batch {
    segment: u64,
    first_record: u64,
    records: u64,
    users: Vec<Candidate>,
    bytes: usize,
    /// Lines of the segment's users that go nowhere near Auth0 (skipped, failed locally).
    local: Vec<UserLine>,
}

impl Batch {
    fn new(segment: u64, first_record: u64) -> Self {
        Self {
            segment,
            first_record,
            records: 0,
            users: vec![],
            bytes: 2,
            local: vec![],
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
    /// Users found already in Auth0 when an interrupted submission was checked.
    already_in: Vec<Candidate>,
    /// Whether the job re-sends a segment whose first job went unanswered: a user it finds
    /// "already existing" (absent when checked just before) was imported by that first job.
    resent: bool,
}

type InFlight<'a> =
    FuturesUnordered<std::pin::Pin<Box<dyn std::future::Future<Output = Result<Finished, EngineError>> + Send + 'a>>>;

/// What a resumed run does with a record, by the segment it falls in.
enum Plan {
    /// No state, or past every journaled segment: the normal path.
    Fresh,
    /// Already in the report: drop.
    Accounted,
    /// Part of a segment whose job was (perhaps) posted: rebuild it.
    Rebuild(u64),
}

/// Runs an import: feed it with [`Importer::push`], end with [`Importer::finish`].
pub struct Importer<'a> {
    client: &'a ManagementClient,
    options: ImportOptions,
    connection_id: String,
    report: &'a mut ReportWriter,
    progress: &'a dyn Progress,
    state: Option<&'a mut StateFile>,
    batch: Batch,
    in_flight: InFlight<'a>,
    next_segment: u64,
    /// Index of the next record.
    record: u64,
    /// Segments of an interrupted run being rebuilt, by number.
    rebuilding: HashMap<u64, Batch>,
    /// The journaled segments as (first record, end, number, accounted), in input order.
    journaled: Vec<(u64, u64, u64, bool)>,
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
    /// Looks the connection up and gets ready; with a run state, continues where it stopped.
    pub async fn start(
        client: &'a ManagementClient,
        options: ImportOptions,
        report: &'a mut ReportWriter,
        progress: &'a dyn Progress,
        state: Option<&'a mut StateFile>,
    ) -> Result<Self, EngineError> {
        if options.max_file_bytes < 1024 {
            return Err(EngineError::Config("the file size limit must be at least 1 KB".into()));
        }
        let connection_id = client.connection_id(&options.connection).await?;
        // A resumed run starts after every journaled record.
        let (next_segment, first_record) = state
            .as_ref()
            .and_then(|s| {
                s.state
                    .segments
                    .iter()
                    .next_back()
                    .map(|(n, seg)| (n + 1, seg.first + seg.records))
            })
            .unwrap_or((1, 0));
        let mut journaled: Vec<(u64, u64, u64, bool)> = state
            .as_ref()
            .map(|s| {
                s.state
                    .segments
                    .iter()
                    .map(|(n, seg)| {
                        (
                            seg.first,
                            seg.first + seg.records,
                            *n,
                            seg.status == SegmentStatus::Accounted,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        journaled.sort_unstable();
        Ok(Self {
            client,
            options,
            connection_id,
            report,
            progress,
            state,
            batch: Batch::new(next_segment, first_record),
            in_flight: InFlight::new(),
            next_segment: next_segment + 1,
            record: 0,
            rebuilding: HashMap::new(),
            journaled,
        })
    }

    fn plan(&self, record: u64) -> Plan {
        // The last segment starting at or before the record, if the record falls inside it.
        let at = self.journaled.partition_point(|(first, ..)| *first <= record);
        match at.checked_sub(1).map(|i| self.journaled[i]) {
            Some((_, end, _, true)) if record < end => Plan::Accounted,
            Some((_, end, n, false)) if record < end => Plan::Rebuild(n),
            _ => Plan::Fresh,
        }
    }

    /// Accounts for a user that will not be sent (skipped by the transform).
    pub async fn skip(&mut self, source_id: String, email: Option<String>, reason: String) -> Result<(), EngineError> {
        self.push(Item::Skip {
            source_id,
            email,
            reason,
        })
        .await
    }

    /// Takes the next record: checks a candidate and adds it to the current file (sending the
    /// file when it is full), or notes a skipped user.
    pub async fn push(&mut self, item: impl Into<Item>) -> Result<(), EngineError> {
        let item = item.into();
        let record = self.record;
        self.record += 1;
        match self.plan(record) {
            Plan::Accounted => Ok(()),
            Plan::Rebuild(segment) => self.rebuild(segment, item).await,
            Plan::Fresh => self.take(item).await,
        }
    }

    /// The line of a user accounted for without Auth0, or the candidate to send.
    fn triage(&self, item: Item) -> Triaged {
        match item {
            Item::Skip {
                source_id,
                email,
                reason,
            } => Triaged::Local(UserLine {
                source_id,
                email,
                outcome: Outcome::Skipped { reason },
                needs_reset: None,
                job: None,
            }),
            Item::Candidate(candidate) => {
                let issues = validate_user(&candidate.user, &self.options.rules);
                if !issues.is_empty() {
                    let reasons = issues
                        .into_iter()
                        .map(|i| format!("{}: {}", i.code, i.message))
                        .collect();
                    return Triaged::Local(UserLine {
                        email: candidate.email(),
                        source_id: candidate.source_id,
                        outcome: Outcome::Failed { reasons },
                        needs_reset: None,
                        job: None,
                    });
                }
                let size = user_size(&candidate);
                if size + 2 > self.options.max_file_bytes {
                    return Triaged::Local(UserLine {
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
                Triaged::Send(candidate)
            }
        }
    }

    async fn take(&mut self, item: Item) -> Result<(), EngineError> {
        match self.triage(item) {
            Triaged::Local(line) => {
                self.batch.local.push(line);
                self.batch.records += 1;
                Ok(())
            }
            Triaged::Send(candidate) => {
                let size = user_size(&candidate);
                if self.batch.bytes + size > self.options.max_file_bytes && !self.batch.users.is_empty() {
                    self.flush().await?;
                }
                self.batch.bytes += size;
                self.batch.users.push(candidate);
                self.batch.records += 1;
                Ok(())
            }
        }
    }

    /// A record of a segment an interrupted run had journaled but not accounted.
    async fn rebuild(&mut self, segment: u64, item: Item) -> Result<(), EngineError> {
        let Some(journaled) = self
            .state
            .as_ref()
            .and_then(|s| s.state.segments.get(&segment).cloned())
        else {
            return Ok(());
        };
        let line_or_user = self.triage(item);
        let batch = self
            .rebuilding
            .entry(segment)
            .or_insert_with(|| Batch::new(segment, journaled.first));
        match line_or_user {
            Triaged::Local(line) => batch.local.push(line),
            Triaged::Send(candidate) => {
                batch.bytes += user_size(&candidate);
                batch.users.push(candidate);
            }
        }
        batch.records += 1;
        if batch.records < journaled.records {
            return Ok(());
        }
        let Some(batch) = self.rebuilding.remove(&segment) else {
            return Ok(());
        };
        while self.in_flight.len() >= self.options.max_active_jobs {
            self.complete_one().await?;
        }
        let client = self.client;
        let poll = self.options.poll_interval;
        let connection = self.options.connection.clone();
        match journaled.status {
            SegmentStatus::Submitted { job } => {
                // Its job was accepted before the interruption: follow it to its end.
                let job = client.job(&job).await?;
                self.progress.job_submitted(&job.id, batch.users.len());
                self.in_flight.push(Box::pin(async move {
                    let job = follow(client, job, poll).await?;
                    let errors = if job.status == "completed" {
                        client.job_errors(&job.id).await?
                    } else {
                        vec![]
                    };
                    Ok(Finished {
                        batch,
                        job,
                        errors,
                        already_in: vec![],
                        resent: false,
                    })
                }));
                Ok(())
            }
            SegmentStatus::Submitting if self.options.upsert => {
                // An upsert job may run twice: send the segment again whole.
                self.submit(batch, vec![], false).await
            }
            SegmentStatus::Submitting => {
                // The job may or may not have been accepted: whoever is already in the
                // connection was imported by it; only the others are sent again.
                let mut already_in = vec![];
                let mut missing = vec![];
                for candidate in batch.users {
                    match candidate.email() {
                        Some(email) if client.user_in_connection(&email, &connection).await? => {
                            already_in.push(candidate)
                        }
                        _ => missing.push(candidate),
                    }
                }
                let mut resend = Batch::new(batch.segment, batch.first_record);
                resend.records = batch.records;
                resend.local = batch.local;
                resend.bytes = 2 + missing.iter().map(user_size).sum::<usize>();
                resend.users = missing;
                self.submit(resend, already_in, true).await
            }
            SegmentStatus::Accounted => Ok(()),
        }
    }

    /// Journals and sends the current file as a job.
    async fn flush(&mut self) -> Result<(), EngineError> {
        if self.batch.records == 0 {
            return Ok(());
        }
        let first = self.batch.first_record + self.batch.records;
        let batch = std::mem::replace(&mut self.batch, Batch::new(self.next_segment, first));
        self.next_segment += 1;
        self.submit(batch, vec![], false).await
    }

    async fn submit(&mut self, batch: Batch, already_in: Vec<Candidate>, resent: bool) -> Result<(), EngineError> {
        while self.in_flight.len() >= self.options.max_active_jobs {
            self.complete_one().await?;
        }
        self.journal(
            batch.segment,
            batch.first_record,
            batch.records,
            SegmentStatus::Submitting,
        )?;
        if batch.users.is_empty() {
            // Nothing for Auth0 (every user skipped, failed locally, or already in).
            let job = Job {
                id: String::new(),
                status: "completed".into(),
                summary: None,
                status_details: None,
            };
            return self.account(Finished {
                batch,
                job,
                errors: vec![],
                already_in,
                resent,
            });
        }
        let body = batch.body();
        let external_id = format!("{}-{}", self.options.external_id, batch.segment);
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
        self.journal(
            batch.segment,
            batch.first_record,
            batch.records,
            SegmentStatus::Submitted { job: job.id.clone() },
        )?;
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
            Ok(Finished {
                batch,
                job,
                errors,
                already_in,
                resent,
            })
        }));
        Ok(())
    }

    fn journal(&mut self, segment: u64, first: u64, records: u64, status: SegmentStatus) -> Result<(), EngineError> {
        if let Some(state) = self.state.as_deref_mut() {
            state.state.segments.insert(segment, Segment { first, records, status });
            state.save()?;
        }
        Ok(())
    }

    async fn complete_one(&mut self) -> Result<(), EngineError> {
        if let Some(finished) = self.in_flight.next().await {
            self.account(finished?)?;
        }
        Ok(())
    }

    /// Reports every user of a finished segment, then journals it as accounted.
    fn account(&mut self, finished: Finished) -> Result<(), EngineError> {
        let Finished {
            batch,
            job,
            errors,
            already_in,
            resent,
        } = finished;
        for line in &batch.local {
            self.progress.user_done();
            self.report.user(line)?;
        }
        for candidate in already_in {
            self.progress.user_done();
            self.report.user(&UserLine {
                email: candidate.email(),
                source_id: candidate.source_id,
                outcome: Outcome::Inserted,
                needs_reset: candidate.needs_reset,
                job: None,
            })?;
        }
        if !job.id.is_empty() {
            self.progress.job_done(&job.id);
            self.report.job(JobRecord {
                id: job.id.clone(),
                users: batch.users.len(),
                bytes: batch.bytes,
                status: job.status.clone(),
                summary: job.summary.clone(),
            });
        }
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
        } else {
            // Failed users come back with their row, hashes redacted. Within the bucket of rows
            // with the same user_id (else email), a failure belongs to the row it repeats
            // exactly: a file may hold two rows with one user_id, and only the later one is the
            // duplicate.
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
                    Some(reasons)
                        if resent
                            && reasons
                                .iter()
                                .all(|r| r.starts_with("DUPLICATED_USER") && r.contains("already exists")) =>
                    {
                        (Outcome::Inserted, candidate.needs_reset.clone())
                    }
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
        }
        let offset = self.report.sync()?;
        if let Some(state) = self.state.as_deref_mut() {
            if let Some(segment) = state.state.segments.get_mut(&batch.segment) {
                segment.status = SegmentStatus::Accounted;
            }
            state.state.report_offset = offset;
            state.state.summary = self.report.summary().clone();
            state.save()?;
        }
        Ok(())
    }

    /// Sends the last file and waits for every job.
    pub async fn finish(mut self) -> Result<(), EngineError> {
        if !self.rebuilding.is_empty() {
            return Err(EngineError::Config(
                "the input ended before the segments of the interrupted run were read again: resume with the same input".into(),
            ));
        }
        self.flush().await?;
        while !self.in_flight.is_empty() {
            self.complete_one().await?;
        }
        if let Some(state) = self.state.as_deref_mut() {
            state.state.complete = true;
            state.save()?;
        }
        Ok(())
    }
}

impl From<Candidate> for Item {
    fn from(candidate: Candidate) -> Self {
        Item::Candidate(candidate)
    }
}

/// Serialised size of a user in a file, plus its separating comma.
fn user_size(candidate: &Candidate) -> usize {
    serde_json::to_vec(&candidate.user).map(|v| v.len()).unwrap_or(0) + 1
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
pub async fn import_file(importer: &mut Importer<'_>, path: &std::path::Path) -> Result<(), EngineError> {
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
    Ok(())
}
