//! The tenant's mutable state behind one lock. No lock is ever held across an `.await`
//! (scripts and bcrypt run outside it), so a plain `std::sync::Mutex` serves.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use super::logs::{LOG_CAPACITY, LogEvent};
use super::model::{Client, Connection, StoredUser};
use super::password::AUTH0_BCRYPT_COST;
use super::scripts::ScriptExecution;
use super::store::UserStore;

/// Most script executions kept for reports.
pub(crate) const SCRIPT_LOG_CAPACITY: usize = 1_000;

/// Tenant-wide settings.
#[derive(Clone, Debug, Serialize)]
pub struct TenantSettings {
    pub domain: Option<String>,
    pub bcrypt_cost: u32,
    #[serde(with = "duration_secs")]
    pub script_time_limit: Duration,
    pub script_memory_limit: usize,
    pub default_directory: Option<String>,
    pub brute_force_max_attempts: u32,
    /// Lifetime of issued tokens, in seconds.
    pub token_lifetime: i64,
    /// The shortest time an import job takes from the end of its `pending` time to its end
    /// (mock clock; 0 by default): keeps jobs in flight where a test needs them there.
    #[serde(with = "duration_secs")]
    pub import_job_min_duration: Duration,
    /// How long an import job stays `pending` before it starts processing (2 s).
    #[serde(with = "duration_secs")]
    pub import_job_pending: Duration,
    /// Users one import job processes an hour (20,000, Auth0's free tier; 0: at once).
    pub import_users_per_hour: u64,
    /// Rate limits: the free tier's by default.
    pub rate_limits: super::limits::RateLimits,
    /// When a password login must pass MFA (Auth0's Guardian policy); `never` by default.
    pub mfa_policy: super::mfa::MfaPolicy,
    /// `DELETE /api/v2/users/{id}` leaves a migrated user's record in the connection's
    /// internal store (a "ghost"); off, it removes that record too.
    pub ghost_users: bool,
    /// How many times faster than the wall clock the tenant's (system) clock runs (1).
    pub clock_speed: f64,
}

mod duration_secs {
    pub(crate) fn serialize<S: serde::Serializer>(d: &std::time::Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
}

impl Default for TenantSettings {
    fn default() -> Self {
        Self {
            domain: None,
            bcrypt_cost: AUTH0_BCRYPT_COST,
            script_time_limit: Duration::from_secs(20),
            script_memory_limit: 64 * 1024 * 1024,
            default_directory: None,
            brute_force_max_attempts: 10,
            token_lifetime: 86_400,
            import_job_min_duration: Duration::ZERO,
            import_job_pending: super::jobs::DEFAULT_PENDING,
            import_users_per_hour: super::jobs::DEFAULT_USERS_PER_HOUR,
            rate_limits: super::limits::RateLimits::default(),
            mfa_policy: super::mfa::MfaPolicy::default(),
            ghost_users: true,
            clock_speed: 1.0,
        }
    }
}

/// An email the tenant "sent".
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Email {
    pub to: String,
    pub kind: String,
    #[serde(serialize_with = "ser_time")]
    pub sent_at: DateTime<Utc>,
    /// The link the email carries (a password-reset ticket URL).
    pub link: String,
    pub connection: String,
}

fn ser_time<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::kit::clock::iso_millis(*t))
}

/// How long a reset or verification link stays valid unless a ticket says otherwise (Auth0's
/// default: 5 days).
pub(crate) const TICKET_LIFETIME_DAYS: i64 = 5;

/// A password-reset ticket, as the emailed link carries it.
#[derive(Clone, Debug)]
pub(crate) struct ResetTicket {
    pub(crate) connection: String,
    pub(crate) email: String,
    /// The stored user the ticket is for; `None` when the user is not yet in the store and
    /// the profile `get_user` returned is what will be created.
    pub(crate) user_id: Option<String>,
    pub(crate) legacy_profile: Option<Value>,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) used: bool,
    /// A password-change ticket's `mark_email_as_verified`: a reset through it also verifies
    /// the email (the user proved they read it).
    pub(crate) mark_email_verified: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Tenant {
    pub(crate) settings: TenantSettings,
    pub(crate) clients: Vec<Client>,
    pub(crate) connections: Vec<Connection>,
    pub(crate) users: UserStore,
    /// The database connections' internal store (partial records, ghosts).
    pub(crate) connection_store: super::model::ConnectionStore,
    pub(crate) tickets: HashMap<String, ResetTicket>,
    /// Refresh tokens issued for `offline_access`, until revoked.
    pub(crate) refresh_tokens: HashMap<String, super::tokens::RefreshGrant>,
    /// Email verification links by ticket.
    pub(crate) verify_tickets: HashMap<String, super::verify_email::VerifyTicket>,
    pub(crate) outbox: Vec<Email>,
    pub(crate) logs: VecDeque<LogEvent>,
    pub(crate) scripts: VecDeque<ScriptExecution>,
    /// Import jobs by id.
    pub(crate) jobs: std::collections::BTreeMap<String, super::jobs::Job>,
    /// Import jobs accepted so far.
    pub(crate) jobs_accepted: u64,
    /// Consecutive failed logins by (connection, user id, ip).
    pub(crate) failures: HashMap<(String, String, String), u32>,
    /// When each rate-limit bucket last logged an `api_limit` event (epoch seconds).
    pub(crate) limit_events: HashMap<&'static str, i64>,
}

impl Tenant {
    pub(crate) fn connection(&self, name: &str) -> Option<&Connection> {
        self.connections.iter().find(|c| c.name == name)
    }

    pub(crate) fn client(&self, client_id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }

    pub(crate) fn find_user(&self, connection: &str, identifier: &str) -> Option<&StoredUser> {
        self.users.find(connection, identifier)
    }

    /// A user by its full id (`auth0|…`).
    pub(crate) fn user_by_id(&self, user_id: &str) -> Option<&StoredUser> {
        self.users.by_user_id(user_id)
    }

    pub(crate) fn log(&mut self, event: LogEvent) {
        if self.logs.len() >= LOG_CAPACITY {
            self.logs.pop_front();
        }
        self.logs.push_back(event);
    }

    pub(crate) fn record_script(&mut self, execution: ScriptExecution) {
        if self.scripts.len() >= SCRIPT_LOG_CAPACITY {
            self.scripts.pop_front();
        }
        self.scripts.push_back(execution);
    }

    /// Import jobs, oldest first (ties in id order).
    fn jobs_by_creation(&self) -> Vec<&super::jobs::Job> {
        let mut jobs: Vec<_> = self.jobs.values().collect();
        jobs.sort_by_key(|job| job.created_at);
        jobs
    }

    /// The state view for dashboards: no secrets, no hashes.
    pub(crate) fn view(&self) -> Value {
        json!({
            "settings": self.settings,
            "clients": self.clients,
            "connections": self.connections.iter().map(Connection::to_api).collect::<Vec<_>>(),
            "user_count": self.users.len(),
            "users": self.users.iter().take(1000).map(StoredUser::to_api).collect::<Vec<_>>(),
            "outbox": self.outbox,
            "logs": self.logs,
            "jobs": self.jobs_by_creation().into_iter().map(job_view).collect::<Vec<_>>(),
        })
    }
}

/// An import job as `GET /api/v2/jobs/{id}` shows it, with the errors its errors endpoint lists
/// (already redacted).
fn job_view(job: &super::jobs::Job) -> Value {
    job.view()
}
