//! Bulk user import jobs (auth0.md §3.6, §4): `POST /api/v2/jobs/users-imports` (multipart),
//! `GET /api/v2/jobs/{id}` and `GET /api/v2/jobs/{id}/errors`.
//!
//! A job is accepted (202, `pending`) and processed on a task: `processing`, then `completed`
//! with its summary, or `failed` when the file itself cannot be read. Each user is checked
//! against Auth0's import schema (the shared `import-schema` crate), against the other users of
//! the file (a duplicate is an error, never an insert followed by an update) and against the
//! connection's users (`upsert` decides between an error and an update of the upsertable
//! fields). Invalid users do not fail the job: they are counted in `summary.failed` and listed
//! by the errors endpoint with their hash values redacted.
//!
//! Limits as on Auth0: 500 KB per file (413), two active import jobs per tenant (429), a job
//! that has not finished after 2 hours fails, and a finished job is forgotten after 24 hours
//! (both on the mock clock). The tenant setting `import_job_min_duration` keeps jobs in flight
//! for a while (wall-clock) so that a test can meet the concurrency limit.

use std::collections::HashSet;

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
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
#[derive(Clone, Debug)]
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
}

impl Job {
    fn active(&self) -> bool {
        matches!(self.status, JobStatus::Pending | JobStatus::Processing)
    }

    fn to_api(&self) -> Value {
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
        if self.status == JobStatus::Processing {
            out["percentage_done"] = json!(0);
            out["time_left_seconds"] = json!(0);
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
    let now = auth0.kit().clock.now();
    let id = format!("job_{}", auth0.kit().ids.alnum(16));
    let job = auth0.with_tenant(|t| {
        // A connection that does not exist, is not a database connection or is enabled for no
        // application is refused before a job exists (FIDELITY `auth0/import-connection`).
        let connection = t.usable_import_connection(&request.connection_id)?;
        let connection_name = connection.name.clone();
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
        let job = Job {
            id: id.clone(),
            connection_id: request.connection_id.clone(),
            connection: connection_name,
            external_id: request.external_id.clone(),
            upsert: request.upsert,
            send_completion_email: request.send_completion_email,
            created_at: now,
            status: JobStatus::Pending,
            summary: None,
            errors: vec![],
            status_details: None,
            finished_at: None,
        };
        let shown = job.to_api();
        t.jobs.insert(id.clone(), job);
        Ok(shown)
    })?;
    auth0
        .import_queue()
        .send((id, request.users))
        .map_err(|_| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "The import worker stopped", None))?;
    Ok(job)
}

/// The tenant's import worker: jobs are processed one after the other, in the order they were
/// accepted (two can still be active at once: one processing, one pending), so the users of a
/// run land in the same order every time.
pub(crate) fn spawn_worker(auth0: &Auth0) -> tokio::sync::mpsc::UnboundedSender<(String, Vec<u8>)> {
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<(String, Vec<u8>)>();
    // The worker holds the tenant weakly, so it ends with the tenant.
    let weak = auth0.downgrade();
    tokio::spawn(async move {
        while let Some((id, file)) = receiver.recv().await {
            let Some(auth0) = Auth0::upgrade(&weak) else { break };
            let delay = auth0.with_tenant(|t| t.settings.import_job_min_duration);
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            // Parsing and checking a 500 KB file is blocking work.
            let worker = auth0.clone();
            let _ = tokio::task::spawn_blocking(move || process(&worker, &id, &file)).await;
        }
    });
    sender
}

/// Fails jobs stuck for 2 hours and forgets finished jobs after 24 hours.
fn expire_jobs(t: &mut super::state::Tenant, now: DateTime<Utc>) {
    let mut expired = vec![];
    for job in t.jobs.values_mut() {
        if job.active() && now - job.created_at > Duration::hours(2) {
            job.status = JobStatus::Failed;
            job.status_details = Some("Job timed out after 2 hours".into());
            job.finished_at = Some(now);
            expired.push(job.clone());
        }
    }
    for job in &expired {
        t.log(job_log_event(job, now));
    }
    t.jobs
        .retain(|_, j| j.finished_at.is_none_or(|at| now - at <= Duration::hours(24)));
}

/// The tenant log event of a finished job: `sui` (Successful Users Import) when it completed,
/// whatever its rows did (the summary says), `fui` (Failed Users Import) when the job as a whole
/// failed; `details` carries the job's id, its summary or the reason.
///
/// Its log id is derived from the job's id, not drawn from the tenant's id generator: jobs finish
/// on a worker at times of their own, and a draw there would shift the ids every later step
/// gets, differently from run to run.
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

/// Processes a job's file: every row checked, then inserted, updated or failed.
fn process(auth0: &Auth0, job_id: &str, file: &[u8]) {
    let now = auth0.kit().clock.now();
    let Some((connection_name, upsert)) = auth0.with_tenant(|t| {
        expire_jobs(t, now);
        let job = t.jobs.get_mut(job_id)?;
        // A job that timed out (or was otherwise finished) while it waited stays as it is:
        // its users are not imported after all.
        if !job.active() {
            return None;
        }
        job.status = JobStatus::Processing;
        Some((job.connection.clone(), job.upsert))
    }) else {
        return;
    };
    let finish = |status: JobStatus, summary: Option<Summary>, errors: Vec<Value>, details: Option<String>| {
        let now = auth0.kit().clock.now();
        auth0.with_tenant(|t| {
            if let Some(job) = t.jobs.get_mut(job_id) {
                job.status = status;
                job.summary = summary;
                job.errors = errors;
                job.status_details = details;
                job.finished_at = Some(now);
                let event = job_log_event(job, now);
                t.log(event);
            }
        });
    };
    let rows = match serde_json::from_slice::<Value>(file) {
        Ok(Value::Array(rows)) => rows,
        Ok(_) => {
            finish(
                JobStatus::Failed,
                None,
                vec![],
                Some("Users file must be an array of user objects".into()),
            );
            return;
        }
        Err(e) => {
            finish(
                JobStatus::Failed,
                None,
                vec![],
                Some(format!(
                    "Failed to parse users file JSON when importing users. Make sure it is valid JSON. ({e})"
                )),
            );
            return;
        }
    };
    let rules = auth0.with_tenant(|t| {
        let requires_username = t.connection(&connection_name).is_some_and(|c| c.requires_username());
        Rules {
            requires_username,
            ..Rules::default()
        }
    });
    let mut summary = Summary {
        total: rows.len() as u64,
        ..Summary::default()
    };
    let mut errors = vec![];
    let mut seen = HashSet::new();
    for (row_number, row) in rows.iter().enumerate() {
        let outcome = import_row(
            auth0,
            job_id,
            row_number,
            &connection_name,
            upsert,
            &rules,
            row,
            &mut seen,
        );
        match outcome {
            RowOutcome::Inserted => summary.inserted += 1,
            RowOutcome::Updated => summary.updated += 1,
            RowOutcome::Failed(row_errors) => {
                summary.failed += 1;
                errors.push(json!({ "user": redact(row), "errors": row_errors }));
            }
        }
    }
    finish(JobStatus::Completed, Some(summary), errors, None);
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

    let now = auth0.kit().clock.now();
    auth0.with_tenant(|t| {
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
            t.jobs.get(&id).map(Job::to_api).ok_or_else(job_not_found)
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
                // A job that failed as a whole answers with itself (and its status_details).
                JobStatus::Failed if job.summary.is_none() => Some(job.to_api()),
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
