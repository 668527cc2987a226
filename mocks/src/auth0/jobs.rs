//! Bulk user import jobs (auth0.md §3.6, §4): `POST /api/v2/jobs/users-imports` (multipart),
//! `GET /api/v2/jobs/{id}` and `GET /api/v2/jobs/{id}/errors`.
//!
//! A job is accepted (202, `pending`), starts `processing` a moment later (`import_job_pending`,
//! 2 s by default), works through its file a row at a time at the tenant's import throughput
//! (`import_users_per_hour`, 20,000 a job by default: Auth0's free tier; upsert jobs take
//! twice as long), with `percentage_done` and `time_left_seconds` moving, and ends `completed`
//! with its summary, or `failed` when the file itself cannot be read or the job runs past two
//! hours. Each user is checked against Auth0's import schema (the shared `import-schema`
//! crate), against the other users of the file (a duplicate is an error, never an insert
//! followed by an update) and against the connection's users (`upsert` decides between an
//! error and an update of the upsertable fields). Invalid users do not fail the job: they are
//! counted in `summary.failed` and listed by the errors endpoint with their hash values
//! redacted. Two jobs of a tenant run side by side, as Auth0 runs them; a third is refused
//! (429) while two are active.
//!
//! All of it happens in the mock clock's time: a row is done at its own instant (the user's
//! `created_at`), computed from when its job started, whenever the work is actually carried
//! out. The work is carried out when the tenant is next looked at — any request, or an
//! in-process read — so that on a scenario's manual clock the same steps always see the same
//! jobs; on the system clock a background task also carries it out as rows come due.
//!
//! Limits as on Auth0: 500 KB per file (413), two active import jobs per tenant (429), a job
//! that has not finished two hours after it was created fails, and a finished job is
//! forgotten after 24 hours.

use std::collections::HashSet;

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, TimeZone, Utc};
use import_schema::documented::{InFileKey, in_file_keys};
use import_schema::{Rules, redact, validate_user};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::Auth0;
use super::error::{ApiError, ApiPath, invalid_body};
use super::logs::LogEvent;
use super::model::{StoredUser, default_nickname, default_picture};
use super::password::PasswordHash;
use crate::kit::clock::iso_millis;

/// Import jobs a tenant may have pending or processing at once.
pub const MAX_ACTIVE_IMPORT_JOBS: usize = 2;

/// A job not finished two hours after it was created fails.
const JOB_TIMEOUT_MS: i64 = 2 * 3600 * 1000;

/// Users a job imports an hour unless the tenant says otherwise: Auth0's free tier (about
/// 40,000 an hour for two jobs side by side; FIDELITY.md `auth0/import-job-timing`).
pub const DEFAULT_USERS_PER_HOUR: u64 = 20_000;

/// How long a job stays `pending` before it starts processing, unless the tenant says
/// otherwise.
pub const DEFAULT_PENDING: std::time::Duration = std::time::Duration::from_secs(2);

/// The message of a duplicate inside one file, as Auth0 sends it (its placeholder unfilled).
pub const DUPLICATE_IN_FILE: &str = import_schema::documented::DUPLICATED_IN_FILE;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum JobStatus {
    Pending,
    Processing,
    Completed,
    Failed,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Summary {
    pub(crate) failed: u64,
    pub(crate) updated: u64,
    pub(crate) inserted: u64,
    pub(crate) total: u64,
}

/// One import job.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) id: String,
    pub(crate) connection_id: String,
    pub(crate) connection: String,
    pub(crate) external_id: Option<String>,
    pub(crate) upsert: bool,
    pub(crate) send_completion_email: bool,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) status: JobStatus,
    pub(crate) summary: Option<Summary>,
    pub(crate) errors: Vec<Value>,
    pub(crate) status_details: Option<String>,
    pub(crate) finished_at: Option<DateTime<Utc>>,
    /// The tenant's count of jobs when this one was accepted: of two steps due at the same
    /// instant, the older job's goes first.
    seq: u64,
    /// The work left while the job is active.
    work: Option<Box<Work>>,
}

/// An active job's file and where its processing stands.
#[derive(Debug)]
struct Work {
    /// The uploaded file, until processing starts and reads it.
    file: Option<Vec<u8>>,
    /// The file's rows, once read.
    rows: Vec<Value>,
    /// Rows done so far.
    done: usize,
    /// When processing starts (ms since the epoch, mock clock).
    start_ms: i64,
    /// Processing time of one row, in ms (fractional: rows end on their own millisecond).
    row_ms: f64,
    /// The job's shortest duration (`import_job_min_duration`), in ms.
    min_ms: i64,
    rules: Rules,
    /// Emails, usernames and ids seen earlier in the file.
    seen: HashSet<(InFileKey, String)>,
    summary: Summary,
    errors: Vec<Value>,
}

impl Work {
    /// How long processing takes once the file is read.
    fn duration_ms(&self) -> i64 {
        ((self.rows.len() as f64 * self.row_ms).ceil() as i64).max(self.min_ms)
    }

    /// When row `index` (from 0) is done; the last row ends the job.
    fn row_due_ms(&self, index: usize) -> i64 {
        let rows = self.rows.len().max(1) as i64;
        self.start_ms + (self.duration_ms() * (index as i64 + 1) + rows - 1) / rows
    }

    /// When the job ends: its last row, or (an empty file) its whole duration.
    fn end_ms(&self) -> i64 {
        self.start_ms + self.duration_ms()
    }
}

impl Job {
    fn active(&self) -> bool {
        matches!(self.status, JobStatus::Pending | JobStatus::Processing)
    }

    /// Two hours after it was created, a job that has not finished fails.
    fn deadline_ms(&self) -> i64 {
        self.created_at.timestamp_millis() + JOB_TIMEOUT_MS
    }

    /// `percentage_done` and `time_left_seconds` of a processing job at `now_ms`.
    fn progress(&self, now_ms: i64) -> Option<(u64, i64)> {
        let work = self.work.as_ref()?;
        if self.status != JobStatus::Processing {
            return None;
        }
        let percentage = if work.rows.is_empty() {
            0
        } else {
            (work.done * 100 / work.rows.len()) as u64
        };
        let end = if work.file.is_some() {
            // Not read yet: the time it will take is not known.
            work.start_ms
        } else {
            work.end_ms()
        };
        Some((percentage, ((end - now_ms).max(0) + 999) / 1000))
    }

    /// The job as the dashboard's state view shows it (with the errors its errors endpoint
    /// lists, already redacted).
    pub(crate) fn view(&self) -> Value {
        let mut out = self.to_api(None);
        out["errors"] = json!(self.errors);
        if let Some(work) = self.work.as_ref().filter(|_| self.status == JobStatus::Processing) {
            out["rows_done"] = json!(work.done);
            out["rows"] = json!(work.rows.len());
        }
        if let Some(finished_at) = self.finished_at {
            out["finished_at"] = json!(iso_millis(finished_at));
        }
        out
    }

    /// What the errors endpoint answers for a job that failed as a whole: Auth0's "generic"
    /// job error object (`GetJobGenericErrorResponseContent` in its SDKs).
    fn generic_error(&self) -> Value {
        let mut out = json!({
            "status": self.status,
            "type": "users_import",
            "created_at": iso_millis(self.created_at),
            "id": self.id,
            "connection_id": self.connection_id,
        });
        if let Some(details) = &self.status_details {
            out["status_details"] = json!(details);
        }
        out
    }

    fn to_api(&self, now_ms: Option<i64>) -> Value {
        let mut out = json!({
            "type": "users_import",
            "status": self.status,
            "created_at": iso_millis(self.created_at),
            "id": self.id,
            "connection_id": self.connection_id,
            "connection": self.connection,
            "upsert": self.upsert,
            "send_completion_email": self.send_completion_email,
        });
        if let Some(external_id) = &self.external_id {
            out["external_id"] = json!(external_id);
        }
        if let Some((percentage, left)) = now_ms.and_then(|now| self.progress(now)) {
            out["percentage_done"] = json!(percentage);
            out["time_left_seconds"] = json!(left);
        }
        if let Some(summary) = &self.summary {
            out["summary"] = json!(summary);
        }
        if let Some(details) = &self.status_details {
            out["status_details"] = json!(details);
        }
        out
    }
}

fn job_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "The job does not exist", Some("inexistent_job"))
}

/// The fields of the multipart request.
struct ImportRequest {
    users: Vec<u8>,
    connection_id: String,
    upsert: bool,
    external_id: Option<String>,
    send_completion_email: bool,
}

fn parse_bool(value: &str, property: &str) -> Result<bool, ApiError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(invalid_body(format!(
            "Expected type boolean but found type string' on property {property} ({other})"
        ))),
    }
}

async fn read_request(mut multipart: Multipart) -> Result<ImportRequest, ApiError> {
    let mut users = None;
    let mut connection_id = None;
    let mut upsert = false;
    let mut external_id = None;
    let mut send_completion_email = true;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                return Err(ApiError::bad_request(
                    format!("Invalid multipart payload: {e}"),
                    "invalid_body",
                ));
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::bad_request(format!("Invalid multipart payload: {e}"), "invalid_body"))?;
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        match name.as_str() {
            "users" => users = Some(bytes.to_vec()),
            "connection_id" => connection_id = Some(text()),
            "upsert" => upsert = parse_bool(&text(), "upsert")?,
            "external_id" => external_id = Some(text()),
            "send_completion_email" => send_completion_email = parse_bool(&text(), "send_completion_email")?,
            other => return Err(invalid_body(format!("Additional properties not allowed: {other}"))),
        }
    }
    let users = users.ok_or_else(|| invalid_body("Missing required property: users"))?;
    let connection_id = connection_id.ok_or_else(|| invalid_body("Missing required property: connection_id"))?;
    Ok(ImportRequest {
        users,
        connection_id,
        upsert,
        external_id,
        send_completion_email,
    })
}

fn is_connection_id(id: &str) -> bool {
    id.len() == 20 && id.starts_with("con_") && id[4..].bytes().all(|b| b.is_ascii_alphanumeric())
}

pub(crate) async fn users_imports_create(
    State(auth0): State<Auth0>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    match create(&auth0, &headers, multipart).await {
        Ok(job) => (StatusCode::ACCEPTED, Json(job)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn create(
    auth0: &Auth0,
    headers: &HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Value, ApiError> {
    // The token is checked first, and a body that is not multipart at all gets Auth0's error
    // shape rather than the framework's plain-text rejection.
    auth0.authorize(headers, &["create:users"])?;
    let multipart = multipart
        .map_err(|e| ApiError::bad_request(format!("Invalid multipart payload: {}", e.body_text()), "invalid_body"))?;
    let request = read_request(multipart).await?;
    import_schema::file::check_upload(request.users.len())
        .map_err(|message| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, message, None))?;
    if !is_connection_id(&request.connection_id) {
        // Auth0's documented wording names the pattern, not the value.
        return Err(invalid_body(
            "String does not match pattern ^con_[A-Za-z0-9]{16}$' on property connection_id",
        ));
    }
    // (Jobs that came due since the last request have ended: the tenant's middleware caught
    // them up, so they free their slots.)
    let now = auth0.kit().clock.now();
    let id = format!("job_{}", auth0.kit().ids.alnum(16));
    let ImportRequest {
        users,
        connection_id,
        upsert,
        external_id,
        send_completion_email,
    } = request;
    let job = auth0.with_tenant(|t| {
        // A connection that does not exist, is not a database connection or is enabled for no
        // application is refused before a job exists (FIDELITY `auth0/import-connection`).
        let connection = t.usable_import_connection(&connection_id)?;
        let connection_name = connection.name.clone();
        let rules = Rules {
            requires_username: connection.requires_username(),
            ..Rules::default()
        };
        expire_jobs(t, now);
        let active = t.jobs.values().filter(|j| j.active()).count();
        if active >= MAX_ACTIVE_IMPORT_JOBS {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "There are {active} active import users jobs, please wait until some of them are finished and try again"
                ),
                Some("too_many_requests"),
            ));
        }
        let settings = &t.settings;
        let pending = i64::try_from(settings.import_job_pending.as_millis()).unwrap_or(i64::MAX);
        let row_ms = match settings.import_users_per_hour {
            0 => 0.0,
            per_hour => 3_600_000.0 / per_hour as f64,
        };
        // "Imports with upsert are slower than standard imports" (bulk-user-imports).
        let row_ms = if upsert { row_ms * 2.0 } else { row_ms };
        let job = Job {
            id: id.clone(),
            connection_id: connection_id.clone(),
            connection: connection_name,
            external_id,
            upsert,
            send_completion_email,
            created_at: now,
            status: JobStatus::Pending,
            summary: None,
            errors: vec![],
            status_details: None,
            finished_at: None,
            seq: t.jobs_accepted,
            work: Some(Box::new(Work {
                file: Some(users),
                rows: vec![],
                done: 0,
                start_ms: now.timestamp_millis().saturating_add(pending),
                row_ms,
                min_ms: i64::try_from(settings.import_job_min_duration.as_millis()).unwrap_or(i64::MAX),
                rules,
                seen: HashSet::new(),
                summary: Summary::default(),
                errors: vec![],
            })),
        };
        t.jobs_accepted += 1;
        let shown = job.to_api(None);
        t.jobs.insert(id.clone(), job);
        Ok(shown)
    })?;
    auth0.jobs_changed();
    Ok(job)
}

/// The next thing an active job does, and when.
#[derive(Debug)]
enum Step {
    /// Processing starts: the file is read.
    Start { file: Vec<u8> },
    /// The row at `index` is done at `at`.
    Row { index: usize, row: Value, at: i64 },
    /// Every row is done.
    Complete { at: i64 },
    /// Two hours have passed.
    TimeOut { at: i64 },
}

/// When `job`'s next step is due (ms), if it is active.
fn next_due(job: &Job) -> Option<i64> {
    let work = job.work.as_ref().filter(|_| job.active())?;
    let due = if work.file.is_some() {
        work.start_ms
    } else if work.done < work.rows.len() {
        work.row_due_ms(work.done)
    } else {
        work.end_ms()
    };
    Some(due.min(job.deadline_ms()))
}

/// When the tenant's next job step is due (ms), if any job is active.
pub(crate) fn next_due_ms(t: &super::state::Tenant) -> Option<i64> {
    t.jobs.values().filter_map(next_due).min()
}

/// Takes the tenant's next step due at or before `now_ms`: the earliest, the older job first
/// when two are due at the same instant. The data it needs leaves the tenant (a file, a row)
/// so that parsing and checking happen outside the tenant's lock.
fn take_step(t: &mut super::state::Tenant, now_ms: i64) -> Option<(String, Step)> {
    let (_, _, id) = t
        .jobs
        .values()
        .filter_map(|job| Some((next_due(job)?, job.seq, job.id.clone())))
        .filter(|(due, ..)| *due <= now_ms)
        .min()?;
    let job = t.jobs.get_mut(&id)?;
    let deadline = job.deadline_ms();
    let work = job.work.as_mut()?;
    let step = if next_due_work(work) > deadline {
        Step::TimeOut { at: deadline }
    } else if let Some(file) = work.file.take() {
        Step::Start { file }
    } else if work.done < work.rows.len() {
        let index = work.done;
        let at = work.row_due_ms(index);
        Step::Row {
            index,
            row: std::mem::take(&mut work.rows[index]),
            at,
        }
    } else {
        Step::Complete { at: work.end_ms() }
    };
    Some((id, step))
}

fn next_due_work(work: &Work) -> i64 {
    if work.file.is_some() {
        work.start_ms
    } else if work.done < work.rows.len() {
        work.row_due_ms(work.done)
    } else {
        work.end_ms()
    }
}

/// Carries the tenant's import jobs forward to the mock clock's now: every step due by then,
/// in the order of the instants they are due at. Work already done is never done again, so
/// calling it often costs nothing; calls are serialized.
pub(crate) fn catch_up(auth0: &Auth0) {
    let _running = auth0.job_runner().lock();
    let now_ms = auth0.kit().clock.now_millis();
    while let Some((id, step)) = auth0.with_tenant(|t| take_step(t, now_ms)) {
        match step {
            Step::Start { file } => start(auth0, &id, &file),
            Step::Row { index, row, at } => row_done(auth0, &id, index, &row, at),
            Step::Complete { at } => finish(auth0, &id, at, JobStatus::Completed, None),
            Step::TimeOut { at } => finish(
                auth0,
                &id,
                at,
                JobStatus::Failed,
                Some("Job timed out: it did not complete within 2 hours".into()),
            ),
        }
    }
    auth0.jobs_changed();
}

/// Processing starts: the file is read, or the job fails as a whole when it cannot be.
fn start(auth0: &Auth0, id: &str, file: &[u8]) {
    let rows = match serde_json::from_slice::<Value>(file) {
        Ok(Value::Array(rows)) => Ok(rows),
        Ok(_) => Err("Users file must be an array of user objects".to_owned()),
        Err(e) => Err(format!(
            "Failed to parse users file JSON when importing users. Make sure it is valid JSON. ({e})"
        )),
    };
    let at = auth0.with_tenant(|t| {
        let job = t.jobs.get_mut(id)?;
        let work = job.work.as_mut()?;
        job.status = JobStatus::Processing;
        let at = work.start_ms;
        if let Ok(rows) = &rows {
            work.summary.total = rows.len() as u64;
        }
        work.rows = rows.as_ref().cloned().unwrap_or_default();
        Some(at)
    });
    if let (Err(reason), Some(at)) = (rows, at) {
        finish(auth0, id, at, JobStatus::Failed, Some(reason));
    }
}

/// A job ends at `at`: with its summary and errors when it completed, with `details` when it
/// failed as a whole (and the summary of what it had done, if it had started on its rows).
fn finish(auth0: &Auth0, id: &str, at: i64, status: JobStatus, details: Option<String>) {
    let at = Utc.timestamp_millis_opt(at).single().unwrap_or_default();
    auth0.with_tenant(|t| {
        let Some(job) = t.jobs.get_mut(id) else { return };
        let work = job.work.take();
        job.status = status;
        job.finished_at = Some(at);
        job.status_details = details;
        if let Some(work) = work.filter(|w| w.file.is_none() && (status == JobStatus::Completed || w.done > 0)) {
            job.summary = Some(work.summary);
            job.errors = work.errors;
        }
        let event = job_log_event(job, at);
        t.log(event);
    });
}

/// Row `index` of job `id`, done at `at`.
fn row_done(auth0: &Auth0, id: &str, index: usize, row: &Value, at: i64) {
    let Some((connection, upsert, rules, mut seen)) = auth0.with_tenant(|t| {
        let job = t.jobs.get_mut(id)?;
        let work = job.work.as_mut()?;
        Some((
            job.connection.clone(),
            job.upsert,
            work.rules.clone(),
            std::mem::take(&mut work.seen),
        ))
    }) else {
        return;
    };
    let now = Utc.timestamp_millis_opt(at).single().unwrap_or_default();
    let outcome = import_row(auth0, id, index, &connection, upsert, &rules, row, &mut seen, now);
    auth0.with_tenant(|t| {
        let Some(work) = t.jobs.get_mut(id).and_then(|j| j.work.as_mut()) else {
            return;
        };
        work.seen = seen;
        work.done = index + 1;
        match outcome {
            RowOutcome::Inserted => work.summary.inserted += 1,
            RowOutcome::Updated => work.summary.updated += 1,
            RowOutcome::Failed(row_errors) => {
                work.summary.failed += 1;
                work.errors.push(json!({ "user": redact(row), "errors": row_errors }));
            }
        }
    });
}

/// What keeps a tenant's jobs moving: a lock that serializes the catching up, and the instant
/// the next step is due (ms; `i64::MAX` when no job is active), which a request compares with
/// the clock before it bothers with the lock.
#[derive(Debug)]
pub(crate) struct JobRunner {
    /// (The runner lives behind its own `Arc`, so that the ticker can wait on it without
    /// keeping the tenant alive.)
    running: std::sync::Mutex<()>,
    next_due: std::sync::atomic::AtomicI64,
    wake: tokio::sync::Notify,
    ticker: std::sync::OnceLock<()>,
}

impl Default for JobRunner {
    fn default() -> Self {
        Self {
            running: std::sync::Mutex::new(()),
            next_due: std::sync::atomic::AtomicI64::new(i64::MAX),
            wake: tokio::sync::Notify::new(),
            ticker: std::sync::OnceLock::new(),
        }
    }
}

impl JobRunner {
    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn set_next_due(&self, due: Option<i64>) {
        self.next_due
            .store(due.unwrap_or(i64::MAX), std::sync::atomic::Ordering::Release);
        self.wake.notify_one();
    }

    pub(crate) fn due_by(&self, now_ms: i64) -> bool {
        self.next_due.load(std::sync::atomic::Ordering::Acquire) <= now_ms
    }
}

/// The middleware in front of the tenant's routes: jobs due by now move before the request is
/// answered, so that whatever it reads (a job, a user, a login) sees them where they are.
pub(crate) async fn advance(State(auth0): State<Auth0>, request: Request, next: Next) -> Response {
    if auth0.job_runner().due_by(auth0.kit().clock.now_millis()) {
        let worker = auth0.clone();
        // Reading a file and checking its rows is blocking work.
        let _ = tokio::task::spawn_blocking(move || catch_up(&worker)).await;
    }
    next.run(request).await
}

/// On a clock that runs by itself (the system clock, perhaps sped up), a task carries the
/// tenant's jobs forward as their steps come due, whether or not anyone asks. It holds the
/// tenant weakly, so it ends with the tenant. A manual clock needs none: its time moves only
/// when advanced, and the next look at the tenant catches up.
pub(crate) fn spawn_ticker(auth0: &Auth0) {
    if auth0.kit().clock.is_manual() || tokio::runtime::Handle::try_current().is_err() {
        return;
    }
    if auth0.job_runner().ticker.set(()).is_err() {
        return;
    }
    let weak = auth0.downgrade();
    tokio::spawn(async move {
        loop {
            let Some(auth0) = Auth0::upgrade(&weak) else { break };
            let clock = auth0.kit().clock.clone();
            let due = auth0.job_runner().next_due.load(std::sync::atomic::Ordering::Acquire);
            let now = clock.now_millis();
            if due <= now {
                let worker = auth0.clone();
                let _ = tokio::task::spawn_blocking(move || catch_up(&worker)).await;
                continue;
            }
            // Until the next step (in wall time), a new job, or a minute at most; not more
            // often than every 5 ms, however fast the clock runs.
            let wait = if due == i64::MAX {
                std::time::Duration::from_secs(60)
            } else {
                clock
                    .wall_time(std::time::Duration::from_millis(u64::try_from(due - now).unwrap_or(0)))
                    .unwrap_or_default()
                    .clamp(std::time::Duration::from_millis(5), std::time::Duration::from_secs(60))
            };
            let runner = auth0.job_runner_arc();
            drop(auth0);
            let _ = tokio::time::timeout(wait, runner.wake.notified()).await;
        }
    });
}

/// Forgets finished jobs 24 hours after they ended.
fn expire_jobs(t: &mut super::state::Tenant, now: DateTime<Utc>) {
    t.jobs
        .retain(|_, j| j.finished_at.is_none_or(|at| now - at <= Duration::hours(24)));
}

/// The tenant log event of a finished job: `sui` (Successful Users Import) when it completed,
/// whatever its rows did (the summary says), `fui` (Failed Users Import) when the job as a whole
/// failed; `details` carries the job's id, its summary or the reason.
///
/// Its log id is derived from the job's id, not drawn from the tenant's id generator: jobs finish
/// when the tenant is next looked at, and a draw there would shift the ids every later step
/// gets with what happened to look first.
fn job_log_event(job: &Job, date: DateTime<Utc>) -> LogEvent {
    use sha2::Digest;
    let completed = job.status == JobStatus::Completed;
    let digest = sha2::Sha256::digest(format!("{}:{}", job.id, if completed { "sui" } else { "fui" }));
    let hex = crate::hashes::encoding::hex_encode(&digest);
    let mut details = json!({ "job_id": job.id, "upsert": job.upsert });
    if let Some(summary) = &job.summary {
        details["summary"] = json!(summary);
    }
    if let Some(external_id) = &job.external_id {
        details["external_id"] = json!(external_id);
    }
    let description = match (&job.status_details, completed) {
        (Some(reason), false) => reason.clone(),
        (_, true) => "Successful users import".into(),
        (None, false) => "Failed users import".into(),
    };
    LogEvent {
        connection: Some(job.connection.clone()),
        connection_id: Some(job.connection_id.clone()),
        details: Some(details),
        ..LogEvent::new(
            format!("9002{}", &hex[..52]),
            date,
            if completed { "sui" } else { "fui" },
            description,
        )
    }
}

/// What happened to one row of a file.
enum RowOutcome {
    Inserted,
    Updated,
    Failed(Vec<Value>),
}

fn error(code: &str, message: &str) -> Value {
    json!({ "code": code, "message": message })
}

fn text<'a>(row: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    row.get(key).and_then(Value::as_str)
}

/// The id of an imported user who came without one: 24 hex digits, derived from the job and
/// the row so that two jobs processed at the same time still give every run the same ids.
fn generated_id(job_id: &str, row_number: usize) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{job_id}:{row_number}").as_bytes());
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// Row `row_number` of job `job_id`, done at `now`.
#[allow(clippy::too_many_arguments)]
fn import_row(
    auth0: &Auth0,
    job_id: &str,
    row_number: usize,
    connection: &str,
    upsert: bool,
    rules: &Rules,
    row: &Value,
    seen: &mut HashSet<(InFileKey, String)>,
    now: DateTime<Utc>,
) -> RowOutcome {
    let issues = validate_user(row, rules);
    if !issues.is_empty() {
        return RowOutcome::Failed(issues.into_iter().map(|i| json!(i)).collect());
    }
    let Some(map) = row.as_object() else {
        return RowOutcome::Failed(vec![error("INVALID_TYPE", "Expected type object")]);
    };
    let email = text(map, "email").map(str::to_lowercase);
    let username = text(map, "username").map(str::to_lowercase);
    let user_id = text(map, "user_id").map(str::to_owned);
    let phone = text(map, "phone_number").map(str::to_owned);

    // Duplicates inside the file: the first row wins, later ones fail.
    let keys: Vec<(InFileKey, String)> = in_file_keys(map).collect();
    if keys.iter().any(|k| seen.contains(k)) {
        return RowOutcome::Failed(vec![error("DUPLICATED_USER", DUPLICATE_IN_FILE)]);
    }
    seen.extend(keys);

    auth0.with_tenant(|t| {
        // The connection was deleted while the job ran: Auth0's documented per-user code.
        if t.connection(connection).is_none() {
            return RowOutcome::Failed(vec![error(
                "CONNECTION_NOT_FOUND",
                &format!("The connection {connection} does not exist."),
            )]);
        }
        let users = &t.users;
        let by_email = email
            .as_deref()
            .and_then(|e| users.by_email(connection, e))
            .map(|u| u.id.clone());
        let by_id = user_id
            .as_deref()
            .and_then(|id| users.by_id(connection, id))
            .map(|u| u.id.clone());
        let by_username = username
            .as_deref()
            .and_then(|u| users.by_username(connection, u))
            .map(|u| u.id.clone());
        let by_phone = phone
            .as_deref()
            .and_then(|p| users.by_phone(connection, p))
            .map(|u| u.id.clone());

        // A user the connection's internal store still holds (a ghost, or the record a legacy
        // login left) fails with or without upsert (FIDELITY `auth0/ghost-users`).
        if let Some(email) = email.as_deref()
            && t.blocks_import(connection, email)
        {
            return RowOutcome::Failed(vec![error("DUPLICATED_USER", "The user already exists.")]);
        }
        if let Some(existing) = by_email {
            if !upsert {
                return RowOutcome::Failed(vec![error("DUPLICATED_USER", "The user already exists.")]);
            }
            let outcome = upsert_existing(t, connection, &existing, map, now);
            if matches!(outcome, RowOutcome::Updated)
                && let Some(e) = t.import_row_factors(connection, &existing, map)
            {
                return RowOutcome::Failed(vec![e]);
            }
            return outcome;
        }
        if let Some(other) = [by_id.as_ref(), by_username.as_ref(), by_phone.as_ref()]
            .into_iter()
            .flatten()
            .next()
        {
            if !upsert {
                return RowOutcome::Failed(vec![error("DUPLICATED_USER", "The user already exists.")]);
            }
            let (code, what) = if by_username.as_ref() == Some(other) {
                ("CONFLICT_USERNAME", "username")
            } else if by_id.as_ref() == Some(other) {
                ("CONFLICT", "user_id")
            } else {
                ("CONFLICT", "phone_number")
            };
            return RowOutcome::Failed(vec![error(
                code,
                &format!("A user with the same {what} already exists with another email."),
            )]);
        }
        let id = user_id.unwrap_or_else(|| generated_id(job_id, row_number));
        let user = new_user(connection, map, email, username, id.clone(), now);
        t.users.insert(user);
        match t.import_row_factors(connection, &id, map) {
            Some(e) => RowOutcome::Failed(vec![e]),
            None => RowOutcome::Inserted,
        }
    })
}

fn upsert_existing(
    t: &mut super::state::Tenant,
    connection: &str,
    id: &str,
    row: &Map<String, Value>,
    now: DateTime<Utc>,
) -> RowOutcome {
    let has_hash = t
        .users
        .by_id(connection, id)
        .and_then(|u| u.password.as_ref())
        .is_some_and(|p| !p.is_custom());
    if row.contains_key("custom_password_hash") && has_hash {
        return RowOutcome::Failed(vec![error(
            "CONFLICT",
            "A custom_password_hash was provided, but the user already has password hash defined.",
        )]);
    }
    t.users.update(connection, id, |user| {
        // Only the upsertable fields change; the rest of the row is ignored (auth0.md §4.2).
        if let Some(v) = row.get("email_verified").and_then(Value::as_bool) {
            user.email_verified = v;
        }
        if let Some(v) = text(row, "given_name") {
            user.given_name = Some(v.to_owned());
        }
        if let Some(v) = text(row, "family_name") {
            user.family_name = Some(v.to_owned());
        }
        if let Some(v) = text(row, "name") {
            user.name = v.to_owned();
        }
        if let Some(v) = text(row, "nickname") {
            user.nickname = v.to_owned();
        }
        if let Some(v) = text(row, "picture") {
            user.picture = v.to_owned();
        }
        if let Some(Value::Object(meta)) = row.get("app_metadata") {
            user.app_metadata = meta.clone();
        }
        if let Some(Value::Object(meta)) = row.get("user_metadata") {
            user.user_metadata = meta.clone();
        }
        if let Some(spec) = row.get("custom_password_hash") {
            user.password = Some(PasswordHash::Custom { spec: spec.clone() });
        }
        user.updated_at = now;
    });
    RowOutcome::Updated
}

fn new_user(
    connection: &str,
    row: &Map<String, Value>,
    email: Option<String>,
    username: Option<String>,
    id: String,
    now: DateTime<Utc>,
) -> StoredUser {
    let name = text(row, "name")
        .map(str::to_owned)
        .unwrap_or_else(|| email.clone().or_else(|| username.clone()).unwrap_or_default());
    let password = match (text(row, "password_hash"), row.get("custom_password_hash")) {
        (Some(hash), _) => PasswordHash::Bcrypt { hash: hash.to_owned() },
        (None, Some(spec)) => PasswordHash::Custom { spec: spec.clone() },
        (None, None) => PasswordHash::Unusable,
    };
    let object = |key: &str| row.get(key).and_then(Value::as_object).cloned().unwrap_or_default();
    StoredUser {
        id,
        connection: connection.to_owned(),
        nickname: text(row, "nickname")
            .map(str::to_owned)
            .unwrap_or_else(|| default_nickname(email.as_deref(), username.as_deref())),
        picture: text(row, "picture")
            .map(str::to_owned)
            .unwrap_or_else(|| default_picture(email.as_deref(), &name)),
        name,
        email_verified: row.get("email_verified").and_then(Value::as_bool).unwrap_or(false),
        email,
        username,
        phone_number: text(row, "phone_number").map(str::to_owned),
        phone_verified: row.get("phone_verified").and_then(Value::as_bool).unwrap_or(false),
        given_name: text(row, "given_name").map(str::to_owned),
        family_name: text(row, "family_name").map(str::to_owned),
        user_metadata: object("user_metadata"),
        app_metadata: object("app_metadata"),
        extra: Map::new(),
        created_at: now,
        updated_at: now,
        last_login: None,
        last_ip: None,
        logins_count: 0,
        last_password_reset: None,
        blocked: row.get("blocked").and_then(Value::as_bool),
        password: Some(password),
        mfa_factors: Vec::new(),
    }
}

pub(crate) async fn jobs_get(State(auth0): State<Auth0>, headers: HeaderMap, ApiPath(id): ApiPath) -> Response {
    let result = (|| {
        auth0.authorize(&headers, &["create:users", "read:users"])?;
        let now = auth0.kit().clock.now();
        auth0.with_tenant(|t| {
            expire_jobs(t, now);
            t.jobs
                .get(&id)
                .map(|job| job.to_api(Some(now.timestamp_millis())))
                .ok_or_else(job_not_found)
        })
    })();
    match result {
        Ok(job) => Json(job).into_response(),
        Err(e) => e.into_response(),
    }
}

pub(crate) async fn jobs_errors_get(State(auth0): State<Auth0>, headers: HeaderMap, ApiPath(id): ApiPath) -> Response {
    let result: Result<Option<Value>, ApiError> = (|| {
        auth0.authorize(&headers, &["create:users", "read:users"])?;
        let now = auth0.kit().clock.now();
        auth0.with_tenant(|t| {
            expire_jobs(t, now);
            let job = t.jobs.get(&id).ok_or_else(job_not_found)?;
            Ok(match job.status {
                // A job that failed as a whole answers with Auth0's generic job error: its
                // status and the reason, whatever rows it had done.
                JobStatus::Failed => Some(job.generic_error()),
                // Nothing to list yet, or nothing failed.
                _ if job.errors.is_empty() => None,
                _ => Some(Value::Array(job.errors.clone())),
            })
        })
    })();
    match result {
        Ok(Some(body)) => Json(body).into_response(),
        Ok(None) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}
