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
//!
//! Jobs in flight are followed by one loop: every poll interval, each job is read in the order
//! it was sent, and the first found ended is accounted for. Nothing runs concurrently, so a run
//! makes the same requests in the same order whenever the service answers the same way — the
//! scenario runner, whose clock moves only when the engine waits, relies on it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use import_schema::{MAX_FILE_BYTES, Rules, validate_user};
use serde_json::Value;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;

use super::auth0::{Job, JobError, ManagementClient, SubmitOutcome};
use super::error::EngineError;
use super::progress::Progress;
use super::report::{JobRecord, Outcome, ReportWriter, UserLine};
use super::state::{Segment, SegmentStatus, StateFile};

/// The tenant side of an import: what the pipeline asks of Auth0's Management API.
/// [`ManagementClient`] is the real one; the pipeline's tests use an in-memory tenant.
pub trait ImportTarget: Send + Sync {
    /// The id of the database connection called `name`.
    fn connection_id<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<String, EngineError>>;
    /// Posts an import job (`POST /api/v2/jobs/users-imports`).
    fn submit_import<'a>(
        &'a self,
        file: Vec<u8>,
        connection_id: &'a str,
        upsert: bool,
        external_id: &'a str,
    ) -> BoxFuture<'a, Result<SubmitOutcome, EngineError>>;
    /// A job's current state.
    fn job<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Job, EngineError>>;
    /// A finished job's failed users.
    fn job_errors<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Vec<JobError>, EngineError>>;
    /// When the connection's user with this email was created, if there is one (how a resumed
    /// run tells the users an unanswered job imported from those that were there before).
    fn user_created<'a>(
        &'a self,
        email: &'a str,
        connection: &'a str,
    ) -> BoxFuture<'a, Result<Option<DateTime<Utc>>, EngineError>>;
    /// Waits `duration` between two reads of the jobs in flight, or before sending a job again
    /// (tokio's timer unless the target has a sleeper of its own).
    fn wait(&self, duration: Duration) -> BoxFuture<'_, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
    /// What the tenant says about the connection, for the readiness checks
    /// ([`super::readiness`]); a target that cannot tell answers `Unknown`.
    fn connection_lookup<'a>(
        &'a self,
        _name: &'a str,
    ) -> BoxFuture<'a, Result<super::readiness::ConnectionLookup, EngineError>> {
        Box::pin(async { Ok(super::readiness::ConnectionLookup::Unknown) })
    }
}

impl ImportTarget for ManagementClient {
    fn connection_id<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<String, EngineError>> {
        Box::pin(ManagementClient::connection_id(self, name))
    }

    fn submit_import<'a>(
        &'a self,
        file: Vec<u8>,
        connection_id: &'a str,
        upsert: bool,
        external_id: &'a str,
    ) -> BoxFuture<'a, Result<SubmitOutcome, EngineError>> {
        Box::pin(ManagementClient::submit_import(
            self,
            file,
            connection_id,
            upsert,
            external_id,
        ))
    }

    fn job<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Job, EngineError>> {
        Box::pin(ManagementClient::job(self, id))
    }

    fn job_errors<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Vec<JobError>, EngineError>> {
        Box::pin(ManagementClient::job_errors(self, id))
    }

    fn user_created<'a>(
        &'a self,
        email: &'a str,
        connection: &'a str,
    ) -> BoxFuture<'a, Result<Option<DateTime<Utc>>, EngineError>> {
        Box::pin(ManagementClient::user_created_in_connection(self, email, connection))
    }

    fn wait(&self, duration: Duration) -> BoxFuture<'_, ()> {
        Box::pin(self.retry_policy().sleeper.sleep(duration))
    }

    fn connection_lookup<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<super::readiness::ConnectionLookup, EngineError>> {
        super::readiness::lookup(self, name)
    }
}

/// The size of an import file as users are added to it, and the 500 KB limit: one home for
/// the rule, `import_schema::file`, used here to pack files, by `ferry check` to count the jobs
/// and by the mock Auth0 to answer 413.
pub use import_schema::file::FileSize;

/// What the import decides about one user before sending it: every rule it applies (Auth0's
/// bulk-import schema, and the file-size limit for a file holding the user alone). One home for
/// the decision: the importer and `ferry check` both call it, so `check` approves exactly the
/// users an import would send.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// The user's serialised size in an import file.
    pub bytes: usize,
    /// Why the user would be refused; empty when it would be sent.
    pub issues: Vec<import_schema::Issue>,
}

impl Verdict {
    /// The refusals as the report writes them: `CODE: message`.
    pub fn reasons(&self) -> Vec<String> {
        self.issues
            .iter()
            .map(|i| format!("{}: {}", i.code, i.message))
            .collect()
    }
}

/// Judges one import user (see [`Verdict`]).
pub fn verdict(user: &Value, rules: &Rules, max_file_bytes: usize) -> Verdict {
    let bytes = serde_json::to_vec(user).map(|v| v.len()).unwrap_or(0);
    let mut issues = validate_user(user, rules);
    issues.extend(import_schema::file::too_large_alone(bytes, max_file_bytes));
    Verdict { bytes, issues }
}

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
    /// The size of the file of `users`.
    size: FileSize,
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
            size: FileSize::EMPTY,
            local: vec![],
        }
    }

    /// Adds a user to the file.
    fn add(&mut self, candidate: Candidate) {
        self.size = self.size.with(user_size(&candidate));
        self.users.push(candidate);
    }

    fn body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size.bytes());
        out.push(b'[');
        for (i, candidate) in self.users.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // Serialising a Value cannot fail.
            out.extend(serde_json::to_vec(&candidate.user).unwrap_or_default());
        }
        out.push(b']');
        debug_assert_eq!(out.len(), self.size.bytes());
        out
    }
}

/// The result of one job, for the report.
struct Finished {
    batch: Batch,
    job: Job,
    errors: Vec<JobError>,
    /// When the job re-sends a segment whose first job went unanswered: the time that segment
    /// was journaled as being sent. The first job may have run (before, during or after this
    /// one), so a user this job finds "already existing" or updates may have been imported by it.
    resent_since: Option<DateTime<Utc>>,
    /// Of the users that came back "already existing" (or, in an upsert, were imported), the
    /// lower-cased emails of those the connection holds with a creation time at or after
    /// `resent_since`: the first job imported them.
    created_since: HashSet<String>,
    /// Users of a job that failed part-way (timed out) found in the connection: it had
    /// imported them before it failed.
    imported_before_failure: Vec<String>,
}

/// A job in flight: its file, the job as last read, and `resent_since` (see [`Finished`]).
struct Following {
    batch: Batch,
    job: Job,
    resent_since: Option<DateTime<Utc>>,
}

type InFlight = VecDeque<Following>;

/// Whether a job has ended (Auth0's `completed` or `failed`; `expired` from older docs).
fn ended(job: &Job) -> bool {
    matches!(job.status.as_str(), "completed" | "failed" | "expired")
}

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
    client: &'a dyn ImportTarget,
    options: ImportOptions,
    connection_id: String,
    report: &'a mut ReportWriter,
    progress: &'a dyn Progress,
    state: Option<&'a mut StateFile>,
    batch: Batch,
    in_flight: InFlight,
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
        client: &'a dyn ImportTarget,
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
                let verdict = verdict(&candidate.user, &self.options.rules, self.options.max_file_bytes);
                if !verdict.issues.is_empty() {
                    return Triaged::Local(UserLine {
                        email: candidate.email(),
                        source_id: candidate.source_id,
                        outcome: Outcome::Failed {
                            reasons: verdict.reasons(),
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
                let grown = self.batch.size.with(user_size(&candidate));
                if grown.bytes() > self.options.max_file_bytes && self.batch.size.users() > 0 {
                    self.flush().await?;
                }
                self.batch.add(candidate);
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
            Triaged::Send(candidate) => batch.add(candidate),
        }
        batch.records += 1;
        if batch.records < journaled.records {
            return Ok(());
        }
        let Some(batch) = self.rebuilding.remove(&segment) else {
            return Ok(());
        };
        match journaled.status {
            SegmentStatus::Submitted {
                job,
                resent_since: None,
            } => {
                // Its job was accepted before the interruption: follow it to its end.
                while self.in_flight.len() >= self.options.max_active_jobs {
                    self.complete_one().await?;
                }
                let job = self.client.job(&job).await?;
                self.progress.job_submitted(&job.id, batch.users.len());
                self.follow_in_flight(batch, job, None);
                Ok(())
            }
            SegmentStatus::Submitted {
                job,
                resent_since: Some(since),
            } => {
                // A job that sent again a segment whose first job went unanswered: followed
                // alone, as it was sent (see below).
                while !self.in_flight.is_empty() {
                    self.complete_one().await?;
                }
                let job = self.client.job(&job).await?;
                self.progress.job_submitted(&job.id, batch.users.len());
                self.follow_in_flight(batch, job, Some(since));
                while !self.in_flight.is_empty() {
                    self.complete_one().await?;
                }
                Ok(())
            }
            SegmentStatus::Submitting { since } => {
                // Its job may or may not have been accepted, and may run before, during or after
                // this one: the segment is sent again whole, as the first job had it, and a
                // user the new job finds already there is told apart by when Auth0 created it
                // and by what the report already says of that user. So that no other job of
                // this run can create one of its users unseen, the segment's job runs alone:
                // every earlier job is accounted for first, no later one is sent before it is.
                while !self.in_flight.is_empty() {
                    self.complete_one().await?;
                }
                self.submit(batch, Some(since)).await?;
                while !self.in_flight.is_empty() {
                    self.complete_one().await?;
                }
                Ok(())
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
        self.submit(batch, None).await
    }

    /// Sends a segment's file as a job (`resent_since`: see [`Finished`]).
    async fn submit(&mut self, batch: Batch, resent_since: Option<DateTime<Utc>>) -> Result<(), EngineError> {
        while self.in_flight.len() >= self.options.max_active_jobs {
            self.complete_one().await?;
        }
        // The time it is first sent, kept when it is sent again: what a resumed run compares
        // creation times with. Milliseconds, as Auth0 keeps them.
        let since = resent_since.unwrap_or_else(now_millis);
        self.journal(
            batch.segment,
            batch.first_record,
            batch.records,
            SegmentStatus::Submitting { since },
        )?;
        if batch.users.is_empty() {
            // Nothing for Auth0 (every user skipped or failed locally).
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
                resent_since,
                created_since: HashSet::new(),
                imported_before_failure: vec![],
            });
        }
        checkpoint(Transition::BeforeSend, batch.segment)?;
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
                        self.client.wait(wait.max(self.options.poll_interval)).await;
                    } else {
                        self.complete_one().await?;
                    }
                }
            }
        };
        checkpoint(Transition::Sent, batch.segment)?;
        self.journal(
            batch.segment,
            batch.first_record,
            batch.records,
            SegmentStatus::Submitted {
                job: job.id.clone(),
                resent_since,
            },
        )?;
        checkpoint(Transition::IdReceived, batch.segment)?;
        self.progress.job_submitted(&job.id, batch.users.len());
        self.follow_in_flight(batch, job, resent_since);
        Ok(())
    }

    /// Follows an accepted job to its end among the jobs in flight (see [`Self::complete_one`]).
    fn follow_in_flight(&mut self, batch: Batch, job: Job, resent_since: Option<DateTime<Utc>>) {
        self.in_flight.push_back(Following {
            batch,
            job,
            resent_since,
        });
    }

    fn journal(&mut self, segment: u64, first: u64, records: u64, status: SegmentStatus) -> Result<(), EngineError> {
        if let Some(state) = self.state.as_deref_mut() {
            state.state.segments.insert(segment, Segment { first, records, status });
            state.save()?;
        }
        Ok(())
    }

    /// Follows the jobs in flight until one ends, and accounts for it: every poll interval,
    /// each job is read, oldest first; the oldest that has ended is the one.
    async fn complete_one(&mut self) -> Result<(), EngineError> {
        if self.in_flight.is_empty() {
            return Ok(());
        }
        loop {
            if let Some(following) = self
                .in_flight
                .iter()
                .position(|f| ended(&f.job))
                .and_then(|at| self.in_flight.remove(at))
            {
                let finished = self.collect(following).await?;
                return self.account(finished);
            }
            self.client.wait(self.options.poll_interval).await;
            let client = self.client;
            for following in &mut self.in_flight {
                following.job = client.job(&following.job.id).await?;
                if !ended(&following.job) {
                    checkpoint(Transition::Following, following.batch.segment)?;
                }
            }
        }
    }

    /// What an ended job comes to: a completed job's failed users (asked for only when its
    /// summary counts some: Auth0 answers 204 otherwise); for a re-sent segment, which of the
    /// users it found already there (or updated) were created since the segment was first sent;
    /// for a job that failed part-way, which of its users it had imported.
    async fn collect(&self, following: Following) -> Result<Finished, EngineError> {
        let Following {
            batch,
            job,
            resent_since,
        } = following;
        let client = self.client;
        let connection = &self.options.connection;
        let mut errors = vec![];
        let mut imported_before_failure = vec![];
        if job.status == "completed" {
            if job.summary.as_ref().is_none_or(|s| s.failed > 0) {
                errors = client.job_errors(&job.id).await?;
            }
        } else if job.summary.as_ref().is_some_and(|s| s.inserted + s.updated > 0) {
            for candidate in &batch.users {
                if let Some(email) = candidate.email()
                    && client.user_created(&email, connection).await?.is_some()
                {
                    imported_before_failure.push(candidate.source_id.clone());
                }
            }
        }
        let mut created_since = HashSet::new();
        if let Some(since) = resent_since
            && job.status == "completed"
        {
            for email in maybe_imported_before(&batch, &errors, self.options.upsert) {
                if client
                    .user_created(&email, connection)
                    .await?
                    .is_some_and(|created| created >= since)
                {
                    created_since.insert(email);
                }
            }
        }
        checkpoint(Transition::Finished, batch.segment)?;
        Ok(Finished {
            batch,
            job,
            errors,
            resent_since,
            created_since,
            imported_before_failure,
        })
    }

    /// Reports every user of a finished segment, then journals it as accounted.
    fn account(&mut self, finished: Finished) -> Result<(), EngineError> {
        let Finished {
            batch,
            job,
            errors,
            resent_since,
            created_since,
            imported_before_failure,
        } = finished;
        for line in &batch.local {
            self.progress.user_done();
            self.report.user(line)?;
        }
        if !job.id.is_empty() {
            self.progress.job_done(&job.id);
            self.report.job(JobRecord {
                id: job.id.clone(),
                users: batch.users.len(),
                bytes: batch.size.bytes(),
                status: job.status.clone(),
                summary: job.summary.clone(),
                resent: resent_since.is_some(),
            });
        }
        if job.status != "completed" {
            let details = job
                .status_details
                .clone()
                .unwrap_or_else(|| format!("job ended {}", job.status));
            for candidate in batch.users {
                self.progress.user_done();
                // A job that failed part-way had imported some of its users.
                let (outcome, needs_reset) = if imported_before_failure.contains(&candidate.source_id) {
                    (Outcome::Inserted, candidate.needs_reset.clone())
                } else {
                    (
                        Outcome::Failed {
                            reasons: vec![format!("JOB_FAILED: {details}")],
                        },
                        None,
                    )
                };
                self.report.user(&UserLine {
                    email: candidate.email(),
                    source_id: candidate.source_id,
                    outcome,
                    needs_reset,
                    job: Some(job.id.clone()),
                })?;
            }
        } else {
            // Failed users come back with their row, hashes redacted. Within the bucket of rows
            // with the same user_id (else email), a failure belongs to the row it repeats
            // exactly: a file may hold two rows with one user_id, and only the later one is the
            // duplicate. Rows are matched from the last, so that of two identical rows the later
            // one is the one Auth0 refused (it imports the first).
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
            let mut outcomes: Vec<(Candidate, Result<(), Vec<String>>)> = batch
                .users
                .into_iter()
                .rev()
                .map(|candidate| {
                    let reasons = match_key(&candidate.user).and_then(|key| {
                        let bucket = failures.get_mut(&key)?;
                        let shown = import_schema::redact(&candidate.user);
                        let at = bucket.iter().position(|(user, _)| *user == shown)?;
                        Some(bucket.remove(at).1)
                    });
                    (candidate, reasons.map_or(Ok(()), Err))
                })
                .collect();
            outcomes.reverse();
            let imported = match resent_since {
                None => {
                    let summary = job.summary.clone().unwrap_or_default();
                    label(summary.inserted, summary.updated)
                }
                // A re-sent segment: what the first job did to each user decides, as the
                // uninterrupted run would have reported it.
                Some(_) => {
                    let taken = self.report.imported_among(&created_since)?;
                    self.settle_resent(&mut outcomes, &created_since, taken)
                }
            };
            for (candidate, result) in outcomes {
                self.progress.user_done();
                let (outcome, needs_reset) = match result {
                    Ok(()) => (imported.clone(), candidate.needs_reset.clone()),
                    Err(reasons) => (Outcome::Failed { reasons }, None),
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
        checkpoint(Transition::Accounting, batch.segment)?;
        let offset = self.report.sync()?;
        if let Some(state) = self.state.as_deref_mut() {
            if let Some(segment) = state.state.segments.get_mut(&batch.segment) {
                segment.status = SegmentStatus::Accounted;
            }
            state.state.report_offset = offset;
            state.state.summary = self.report.summary().clone();
            state.save()?;
        }
        checkpoint(Transition::Accounted, batch.segment)?;
        Ok(())
    }

    /// The outcomes of a re-sent segment as the first, unanswered job would have given them.
    /// Without upsert, a user the re-sent job found "already existing" was imported by the
    /// first job when the connection's user was created at or after the segment was first
    /// sent and no other row — earlier in the segment, or in the report already (`taken`) — was
    /// reported as importing that user; every other outcome is the re-sent job's own, which is
    /// the first job's (the same file, against the same tenant before it). With upsert, an
    /// imported user created since (and not taken) was inserted, the others updated. Returns
    /// the label the segment's imported users share, as a job summary would give it.
    fn settle_resent(
        &self,
        outcomes: &mut [(Candidate, Result<(), Vec<String>>)],
        created_since: &HashSet<String>,
        taken: HashSet<String>,
    ) -> Outcome {
        let mut claimed = taken;
        let (mut inserted, mut updated) = (0u64, 0u64);
        for (candidate, result) in outcomes.iter_mut() {
            let Some(email) = candidate.email().map(|e| e.to_lowercase()) else {
                continue;
            };
            match result {
                Err(reasons) if !self.options.upsert && reasons.iter().all(|r| already_exists(r)) => {
                    if created_since.contains(&email) && claimed.insert(email) {
                        *result = Ok(());
                        inserted += 1;
                    }
                }
                Ok(()) if self.options.upsert => {
                    if created_since.contains(&email) && claimed.insert(email) {
                        inserted += 1;
                    } else {
                        updated += 1;
                    }
                }
                Ok(()) => {
                    claimed.insert(email);
                    inserted += 1;
                }
                Err(_) => {}
            }
        }
        label(inserted, updated)
    }
    /// Sends the last file and waits for every job.
    pub async fn finish(mut self) -> Result<(), EngineError> {
        if !self.rebuilding.is_empty() {
            return Err(EngineError::Config(
                "the input ended before the segments of the interrupted run were read again: resume with the same input".into(),
            ));
        }
        self.flush().await?;
        if !self.in_flight.is_empty() {
            self.progress.phase(super::progress::Phase::Follow);
        }
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

/// Serialised size of a user in a file.
fn user_size(candidate: &Candidate) -> usize {
    serde_json::to_vec(&candidate.user).map(|v| v.len()).unwrap_or(0)
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

/// How Auth0's summary names a job's imported users: inserted, updated, or (an upsert that
/// did both, without saying which user was which) inserted or updated.
fn label(inserted: u64, updated: u64) -> Outcome {
    if updated == 0 {
        Outcome::Inserted
    } else if inserted == 0 {
        Outcome::Updated
    } else {
        Outcome::InsertedOrUpdated
    }
}

/// Whether a job's reason says the user was already in the connection (not a duplicate within
/// the file, whose message differs).
fn already_exists(reason: &str) -> bool {
    reason.starts_with("DUPLICATED_USER") && reason.contains("already exists")
}

/// The lower-cased emails of a re-sent segment's users whose creation time decides their
/// outcome: those refused only as already existing (without upsert), or imported (upsert).
fn maybe_imported_before(batch: &Batch, errors: &[JobError], upsert: bool) -> Vec<String> {
    let emails = batch.users.iter().filter_map(|c| c.email().map(|e| e.to_lowercase()));
    let mut emails: Vec<String> = if upsert {
        emails.collect()
    } else {
        // Any row of the email refused as already existing (another row of it may have been
        // refused as a repeat within the file).
        let exists: HashSet<String> = errors
            .iter()
            .filter(|e| {
                e.errors
                    .iter()
                    .all(|d| already_exists(&format!("{}: {}", d.code, d.message)))
            })
            .filter_map(|e| e.user.get("email").and_then(Value::as_str).map(str::to_lowercase))
            .collect();
        emails.filter(|email| exists.contains(email)).collect()
    };
    emails.sort();
    emails.dedup();
    emails
}

/// Now, to the millisecond (Auth0 keeps creation times in milliseconds).
fn now_millis() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

/// The points between which a job's life is journaled, where a killed run must resume to the
/// same end: before its file is sent, sent with no answer read, its id journaled, followed, its
/// end read, its users written to the report, and the segment journaled as accounted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transition {
    BeforeSend,
    Sent,
    IdReceived,
    Following,
    Finished,
    Accounting,
    Accounted,
}

/// Where a test kills the run (`kill_points`); nothing in a build that is not a test.
#[cfg(not(test))]
#[inline(always)]
fn checkpoint(_at: Transition, _segment: u64) -> Result<(), EngineError> {
    Ok(())
}

#[cfg(test)]
fn checkpoint(at: Transition, segment: u64) -> Result<(), EngineError> {
    tests::kill_points::hit(at, segment)
}

/// Reads an Auth0 import file (a JSON array of users, or NDJSON) and imports it, one record at
/// a time: `ferry import`.
pub async fn import_file(importer: &mut Importer<'_>, path: &std::path::Path) -> Result<(), EngineError> {
    let records = super::export::records(path)?;
    let mut position = 0usize;
    for record in records {
        position += 1;
        let user = record?;
        let needs_reset = super::transform::import_user_hash(&user).reset_reason(super::transform::NO_HASH_IN_FILE);
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

#[cfg(test)]
pub(crate) mod tests {
    //! The pipeline against an in-memory tenant that does what Auth0's import jobs do (insert,
    //! refuse a duplicate, update on upsert, fail a whole job), counts the jobs active at once and
    //! keeps every file it was sent.

    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    use serde_json::json;

    use super::*;
    use crate::engine::auth0::{JobErrorDetail, JobSummary};
    use crate::engine::progress::Silent;
    use crate::engine::report::Summary;

    /// Where a test kills a run: the `nth` time the engine passes `at` (any segment), on this
    /// thread (tests run on a current-thread runtime). A kill is an error out of the run at
    /// that point: nothing after it is written or sent, as when the process dies.
    pub(crate) mod kill_points {
        use std::cell::RefCell;

        use super::super::Transition;
        use crate::engine::EngineError;

        thread_local! {
            static PLAN: RefCell<Option<(Transition, u32)>> = const { RefCell::new(None) };
            static SEEN: RefCell<Vec<(Transition, u64)>> = const { RefCell::new(Vec::new()) };
        }

        /// Kills the run the `nth` time (from 1) it passes `at`.
        pub(crate) fn arm(at: Transition, nth: u32) {
            PLAN.with(|p| *p.borrow_mut() = Some((at, nth)));
            SEEN.with(|s| s.borrow_mut().clear());
        }

        /// No kill; the transitions passed since the last `arm` or `disarm`.
        pub(crate) fn disarm() -> Vec<(Transition, u64)> {
            PLAN.with(|p| *p.borrow_mut() = None);
            SEEN.with(|s| std::mem::take(&mut *s.borrow_mut()))
        }

        pub(crate) fn hit(at: Transition, segment: u64) -> Result<(), EngineError> {
            SEEN.with(|s| s.borrow_mut().push((at, segment)));
            PLAN.with(|p| {
                let mut plan = p.borrow_mut();
                match plan.as_mut() {
                    Some((when, nth)) if *when == at => {
                        *nth -= 1;
                        if *nth == 0 {
                            *plan = None;
                            return Err(EngineError::Config(format!("killed at {at:?} of segment {segment}")));
                        }
                        Ok(())
                    }
                    _ => Ok(()),
                }
            })
        }
    }

    /// A tenant with one database connection, `users`.
    #[derive(Debug, Default)]
    pub(crate) struct Tenant {
        /// Job status reads before a job ends.
        pub(crate) polls: u32,
        /// The tenant's own limit of active jobs (0: none); a job over it is answered 429.
        pub(crate) limit: usize,
        pub(crate) state: Mutex<TenantState>,
    }

    #[derive(Debug, Default)]
    pub(crate) struct TenantState {
        /// Lower-cased emails of the connection's users, with when each was created.
        pub(crate) users: HashMap<String, DateTime<Utc>>,
        pub(crate) jobs: BTreeMap<String, FakeJob>,
        pub(crate) active: usize,
        pub(crate) most_active: usize,
        /// Every file posted, in order.
        pub(crate) files: Vec<Vec<u8>>,
        /// Fail the submission of the job with this number (from 1) as a transport error.
        pub(crate) broken_submission: Option<usize>,
        /// Each user's email, every time a file carried it.
        pub(crate) sent: Vec<String>,
    }

    #[derive(Debug)]
    pub(crate) struct FakeJob {
        polls_left: u32,
        end: Job,
        errors: Vec<JobError>,
        ended: bool,
    }

    impl Tenant {
        pub(crate) fn with_users(emails: &[&str]) -> Self {
            let tenant = Tenant::default();
            // There long before any run.
            let long_ago = DateTime::from_timestamp(1_500_000_000, 0).unwrap_or_default();
            tenant.lock().users = emails.iter().map(|e| (e.to_lowercase(), long_ago)).collect();
            tenant
        }

        pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, TenantState> {
            self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
        }

        fn submit(&self, file: &[u8], upsert: bool) -> Result<SubmitOutcome, EngineError> {
            let mut state = self.lock();
            if self.limit > 0 && state.active >= self.limit {
                return Ok(SubmitOutcome::Busy(Duration::from_millis(1)));
            }
            let number = state.files.len() + 1;
            if state.broken_submission == Some(number) {
                return Err(EngineError::Transport {
                    service: "Auth0",
                    message: "connection reset".into(),
                });
            }
            state.files.push(file.to_vec());
            let users: Vec<Value> = serde_json::from_slice(file).expect("every file is a JSON array");
            let id = format!("job_{number}");
            let mut summary = JobSummary::default();
            let mut errors = vec![];
            let fails = users
                .iter()
                .any(|u| u["email"].as_str().is_some_and(|e| e.starts_with("job-fails")));
            for user in &users {
                let email = user["email"].as_str().unwrap_or_default().to_lowercase();
                state.sent.push(email.clone());
                if fails {
                    continue;
                }
                summary.total += 1;
                if state.users.contains_key(&email) {
                    if upsert {
                        summary.updated += 1;
                    } else {
                        summary.failed += 1;
                        errors.push(JobError {
                            user: import_schema::redact(user),
                            errors: vec![JobErrorDetail {
                                code: "DUPLICATED_USER".into(),
                                message: "The user already exists.".into(),
                                path: None,
                            }],
                        });
                    }
                } else {
                    state.users.insert(email.clone(), Utc::now());
                    summary.inserted += 1;
                }
            }
            let end = if fails {
                Job {
                    id: id.clone(),
                    status: "failed".into(),
                    summary: None,
                    status_details: Some("the file could not be processed".into()),
                }
            } else {
                Job {
                    id: id.clone(),
                    status: "completed".into(),
                    summary: Some(summary),
                    status_details: None,
                }
            };
            state.active += 1;
            state.most_active = state.most_active.max(state.active);
            state.jobs.insert(
                id.clone(),
                FakeJob {
                    polls_left: self.polls,
                    end,
                    errors,
                    ended: false,
                },
            );
            Ok(SubmitOutcome::Accepted(Job {
                id,
                status: "pending".into(),
                summary: None,
                status_details: None,
            }))
        }

        fn poll(&self, id: &str) -> Result<Job, EngineError> {
            let mut state = self.lock();
            let state = &mut *state;
            let job = state.jobs.get_mut(id).ok_or_else(|| EngineError::Service {
                service: "Auth0",
                status: 404,
                message: format!("no job {id}"),
            })?;
            if job.polls_left > 0 {
                job.polls_left -= 1;
                return Ok(Job {
                    id: id.to_owned(),
                    status: "processing".into(),
                    summary: None,
                    status_details: None,
                });
            }
            if !job.ended {
                job.ended = true;
                state.active -= 1;
            }
            Ok(job.end.clone())
        }
    }

    impl ImportTarget for Tenant {
        fn connection_id<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<String, EngineError>> {
            Box::pin(async move {
                if name == "users" {
                    Ok("con_users".to_owned())
                } else {
                    Err(EngineError::Config(format!("no connection {name}")))
                }
            })
        }

        fn submit_import<'a>(
            &'a self,
            file: Vec<u8>,
            connection_id: &'a str,
            upsert: bool,
            _external_id: &'a str,
        ) -> BoxFuture<'a, Result<SubmitOutcome, EngineError>> {
            assert_eq!(connection_id, "con_users");
            Box::pin(async move { self.submit(&file, upsert) })
        }

        fn job<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Job, EngineError>> {
            Box::pin(async move { self.poll(id) })
        }

        fn job_errors<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Vec<JobError>, EngineError>> {
            Box::pin(async move { Ok(self.lock().jobs.get(id).map(|j| j.errors.clone()).unwrap_or_default()) })
        }

        fn user_created<'a>(
            &'a self,
            email: &'a str,
            _connection: &'a str,
        ) -> BoxFuture<'a, Result<Option<DateTime<Utc>>, EngineError>> {
            Box::pin(async move { Ok(self.lock().users.get(&email.to_lowercase()).copied()) })
        }
    }

    /// A directory removed at the end.
    pub(crate) struct Scratch(pub(crate) PathBuf);

    impl Scratch {
        pub(crate) fn new(name: &str) -> Self {
            static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!("ferry-import-{name}-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("scratch directory");
            Self(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    pub(crate) fn options(limit: usize, jobs: usize) -> ImportOptions {
        ImportOptions {
            connection: "users".into(),
            max_file_bytes: limit,
            max_active_jobs: jobs,
            poll_interval: Duration::from_millis(1),
            ..ImportOptions::default()
        }
    }

    /// A valid user whose serialised form is exactly `bytes` long (padded in user_metadata).
    fn user_of(email: &str, bytes: usize) -> Candidate {
        let bare = serde_json::to_vec(&json!({"email": email, "user_metadata": {"pad": ""}}))
            .expect("json")
            .len();
        assert!(bytes >= bare, "{bytes} is too small for {email}");
        let user = json!({"email": email, "user_metadata": {"pad": "x".repeat(bytes - bare)}});
        assert_eq!(serde_json::to_vec(&user).expect("json").len(), bytes);
        Candidate {
            source_id: email.to_owned(),
            user,
            needs_reset: None,
        }
    }

    fn user(email: &str) -> Candidate {
        Candidate {
            source_id: email.to_owned(),
            user: json!({"email": email, "email_verified": true}),
            needs_reset: None,
        }
    }

    /// Runs the items through a fresh importer; the summary and the report's lines.
    async fn import(
        tenant: &Tenant,
        options: ImportOptions,
        items: Vec<Item>,
    ) -> Result<(Summary, Vec<Value>), EngineError> {
        let scratch = Scratch::new("lines");
        let mut report = ReportWriter::new(Some(&scratch.0))?;
        {
            let mut importer = Importer::start(tenant, options, &mut report, &Silent, None).await?;
            for item in items {
                importer.push(item).await?;
            }
            importer.finish().await?;
        }
        let summary = report.finish()?;
        let lines = std::fs::read_to_string(scratch.0.join("users.ndjson"))
            .expect("users.ndjson")
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        Ok((summary, lines))
    }

    fn sizes(tenant: &Tenant) -> Vec<usize> {
        tenant.lock().files.iter().map(Vec::len).collect()
    }

    #[tokio::test]
    async fn a_file_exactly_at_the_limit_is_one_job_and_one_byte_over_is_two() {
        let users: Vec<Item> = (0..20)
            .map(|i| user_of(&format!("user{i:02}@example.com"), 100).into())
            .collect();
        // `[` + 20 users + 19 commas + `]`.
        let exact = 2 + 20 * 100 + 19;
        let tenant = Tenant::default();
        let (summary, _) = import(&tenant, options(exact, 2), users.clone())
            .await
            .expect("imported");
        assert_eq!(sizes(&tenant), [exact], "one file of exactly the limit");
        assert_eq!(summary.jobs.len(), 1);
        assert_eq!(summary.jobs[0].bytes, exact, "the report says the file's real size");
        assert_eq!(summary.totals.inserted, 20);

        let tenant = Tenant::default();
        let (summary, _) = import(&tenant, options(exact - 1, 2), users).await.expect("imported");
        let sent = sizes(&tenant);
        assert_eq!(sent.len(), 2, "one byte less splits the file: {sent:?}");
        assert!(sent.iter().all(|&size| size < exact), "{sent:?}");
        assert_eq!(sent, [2 + 19 * 100 + 18, 2 + 100]);
        assert_eq!(
            summary.jobs.iter().map(|j| j.bytes).collect::<Vec<_>>(),
            sent,
            "the report's sizes are the files'"
        );
        assert_eq!((summary.totals.exported, summary.totals.inserted), (20, 20));
        let in_files: usize = tenant.lock().sent.len();
        assert_eq!(in_files, 20, "every user sent once");
    }

    #[tokio::test]
    async fn a_user_larger_than_the_limit_fails_alone_and_nobody_else_is_held_up() {
        let limit = 1024;
        let items: Vec<Item> = vec![
            user("first@example.com").into(),
            // `[user]` one byte over the limit.
            user_of("too.big@example.com", limit - 1).into(),
            user("middle@example.com").into(),
            // `[user]` exactly at the limit: it fits, alone.
            user_of("just.fits@example.com", limit - 2).into(),
            user("last@example.com").into(),
        ];
        let tenant = Tenant::default();
        let (summary, lines) = tokio::time::timeout(Duration::from_secs(10), import(&tenant, options(limit, 2), items))
            .await
            .expect("no hang")
            .expect("the run ends");
        assert!(sizes(&tenant).iter().all(|&size| size <= limit), "{:?}", sizes(&tenant));
        assert!(
            sizes(&tenant).contains(&limit),
            "the user at the limit went in a file of its own"
        );
        let totals = &summary.totals;
        assert_eq!((totals.exported, totals.inserted, totals.failed), (5, 4, 1));
        assert!(totals.balanced());
        let big = lines
            .iter()
            .find(|l| l["source_id"] == "too.big@example.com")
            .expect("the big user is in the report");
        assert_eq!(big["outcome"], "failed");
        assert!(big.get("job").is_none(), "never sent: {big}");
        let reason = big["reasons"][0].as_str().expect("a reason");
        assert!(
            reason.starts_with("TOO_LARGE: a file holding only this user is 1025 bytes, over the 1024-byte limit"),
            "{reason}"
        );
        assert_eq!(summary.failure_reasons.get("TOO_LARGE"), Some(&1));
        assert!(!tenant.lock().sent.contains(&"too.big@example.com".to_owned()));
        assert_eq!(lines.len(), 5, "every user has a line");
    }

    #[tokio::test]
    async fn never_more_jobs_at_once_than_allowed() {
        // About two users per file, jobs that take a few polls: many jobs want to run at once.
        let items = || -> Vec<Item> {
            (0..40)
                .map(|i| user_of(&format!("user{i:02}@example.com"), 500).into())
                .collect()
        };
        for allowed in [1, 2, 3] {
            let tenant = Tenant {
                polls: 3,
                ..Tenant::default()
            };
            let (summary, _) = import(&tenant, options(1100, allowed), items())
                .await
                .expect("imported");
            let state = tenant.lock();
            assert_eq!(state.files.len(), 20);
            assert_eq!(
                state.most_active, allowed,
                "{allowed} allowed: never more at once, and the limit is used"
            );
            assert_eq!(state.active, 0, "every job followed to its end");
            assert_eq!(summary.totals.inserted, 40);
        }
        // The tenant's own limit is lower than ours: its 429s make the importer wait, not fail.
        let tenant = Tenant {
            polls: 2,
            limit: 2,
            ..Tenant::default()
        };
        let (summary, _) = import(&tenant, options(1100, 4), items()).await.expect("imported");
        assert_eq!(tenant.lock().most_active, 2);
        assert_eq!((summary.totals.inserted, summary.jobs.len()), (40, 20));
    }

    #[tokio::test]
    async fn every_outcome_is_accounted_for() {
        // Inserted (one of them without a hash), a duplicate Auth0 refuses, a user the local
        // check refuses, a skipped one.
        let tenant = Tenant::with_users(&["taken@example.com"]);
        let mut no_hash = user("no.hash@example.com");
        no_hash.needs_reset = Some("no password hash in the file".into());
        let items = vec![
            user("new@example.com").into(),
            no_hash.into(),
            user("Taken@example.com").into(),
            Candidate {
                source_id: "bad".into(),
                user: json!({"email": "not-an-email"}),
                needs_reset: None,
            }
            .into(),
            Item::Skip {
                source_id: "social".into(),
                email: Some("social@example.com".into()),
                reason: "social identities only".into(),
            },
        ];
        let (summary, lines) = import(&tenant, options(MAX_FILE_BYTES, 2), items)
            .await
            .expect("imported");
        let t = &summary.totals;
        assert_eq!(
            (
                t.exported,
                t.inserted,
                t.updated,
                t.inserted_or_updated,
                t.failed,
                t.skipped,
                t.needs_reset
            ),
            (5, 2, 0, 0, 2, 1, 1)
        );
        assert!(t.balanced());
        let outcome = |id: &str| {
            lines
                .iter()
                .find(|l| l["source_id"] == id)
                .unwrap_or_else(|| panic!("{id} has no line"))
                .clone()
        };
        assert_eq!(outcome("new@example.com")["outcome"], "inserted");
        assert_eq!(
            outcome("no.hash@example.com")["needs_reset"],
            "no password hash in the file"
        );
        assert_eq!(
            outcome("Taken@example.com")["reasons"],
            json!(["DUPLICATED_USER: The user already exists."])
        );
        assert_eq!(outcome("bad")["outcome"], "failed");
        assert!(outcome("bad").get("job").is_none(), "refused before any job");
        assert_eq!(outcome("social")["reason"], "social identities only");
        assert_eq!(
            summary.failure_reasons.keys().collect::<Vec<_>>(),
            ["DUPLICATED_USER", "INVALID_FORMAT", "skipped: social identities only"]
        );

        // Upsert: a job that only updates, then one that inserts and updates (Auth0's summary
        // does not say which user was which).
        let tenant = Tenant::with_users(&["a@example.com", "b@example.com"]);
        let mut upsert = options(MAX_FILE_BYTES, 2);
        upsert.upsert = true;
        let (summary, lines) = import(&tenant, upsert.clone(), vec![user("a@example.com").into()])
            .await
            .expect("imported");
        assert_eq!((summary.totals.updated, summary.totals.inserted), (1, 0));
        assert_eq!(lines[0]["outcome"], "updated");
        let (summary, lines) = import(
            &tenant,
            upsert,
            vec![user("b@example.com").into(), user("c@example.com").into()],
        )
        .await
        .expect("imported");
        assert_eq!(summary.totals.inserted_or_updated, 2);
        assert!(lines.iter().all(|l| l["outcome"] == "inserted_or_updated"), "{lines:?}");

        // A job that fails as a whole fails each of its users, with Auth0's details.
        let tenant = Tenant::default();
        let (summary, lines) = import(
            &tenant,
            options(MAX_FILE_BYTES, 2),
            vec![user("job-fails@example.com").into(), user("other@example.com").into()],
        )
        .await
        .expect("the run itself ends");
        assert_eq!((summary.totals.failed, summary.totals.exported), (2, 2));
        assert_eq!(summary.jobs[0].status, "failed");
        assert!(
            lines
                .iter()
                .all(|l| l["reasons"] == json!(["JOB_FAILED: the file could not be processed"]))
        );
        assert!(summary.totals.balanced());
    }

    #[test]
    fn file_sizes_add_up_exactly() {
        let one = FileSize::EMPTY.with(10);
        assert_eq!((one.users(), one.bytes()), (1, 12));
        assert_eq!(one.with(10).bytes(), 23, "a comma between two users");
        assert_eq!(import_schema::file::too_large_alone(10, 12), None);
        assert!(import_schema::file::too_large_alone(11, 12).is_some_and(|i| i.code == "TOO_LARGE"));
    }

    /// The run state of a run journaled in `dir`.
    pub(crate) fn state_in(dir: &Path) -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join("state.json")).expect("state.json")).expect("JSON")
    }
}
