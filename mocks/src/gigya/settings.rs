//! The site-wide knobs of the mock Gigya: the credentials it accepts, its data center, the login
//! policies (lockout, email verification), how plain seed passwords are hashed, and the limits.
//!
//! [`GigyaSettings`] is what [`super::Gigya::with_settings`] takes; a seed's `settings` section
//! changes any part of it later (see [`super::SettingsSeed`]), and `reset` goes back to the
//! settings the mock was built with.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The site's API key unless told otherwise.
pub const DEFAULT_API_KEY: &str = "3_ferryGigyaApiKey";
/// The application (user) key id unless told otherwise.
pub const DEFAULT_USER_KEY: &str = "AFerryUserKey";
/// The application key's secret unless told otherwise, Base64 as Gigya hands it out
/// (`ferry-gigya-secret`).
pub const DEFAULT_SECRET: &str = "ZmVycnktZ2lneWEtc2VjcmV0";
/// The data center unless told otherwise.
pub const DEFAULT_DATA_CENTER: &str = "us1.gigya.com";
/// How far a signed request's `timestamp` may be from the mock clock, in seconds.
pub const DEFAULT_TIMESTAMP_WINDOW_SECS: u64 = 180;
/// How long a search cursor stays valid after it was handed out, in seconds: the documented
/// limit on the gap between two cursor calls (gigya.md §3.1; FIDELITY.md `gigya/search-cursor-ttl`).
pub const CURSOR_TTL_SECS: i64 = 300;

/// Site-wide behaviour of the mock.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GigyaSettings {
    pub api_key: String,
    /// The id of the one application key (`userKey`).
    pub user_key: String,
    /// The application key's secret, Base64. Also the partner secret when that is allowed.
    #[serde(skip)]
    pub secret: String,
    pub data_center: String,
    /// Whether `apiKey` + `secret` (the site's partner secret, without `userKey`) is accepted,
    /// plain or as a signing key. SAP stopped accepting partner secrets in 2023, so by default
    /// such a request is refused with 403007.
    pub partner_secret_allowed: bool,
    /// Whether `accounts.login` refuses accounts whose email is not verified (206002).
    pub require_verified_email: bool,
    pub lockout: Lockout,
    /// Whether `accounts.search` returns `password` (hash and settings) when `*` or `password` is
    /// selected. Off by default: SAP's importFullAccount best practices say accounts.search does
    /// not return passwords and send exports to getAccountInfo or IdentitySync (gigya.md §3.4;
    /// FIDELITY.md `gigya/search-password`). On gives the behaviour of the older search example.
    pub search_returns_password: bool,
    /// Whether the application key (`userKey`) may read password hashes, that is ask
    /// getAccountInfo for `include=password` (403007 otherwise) and get them from a search when
    /// `search_returns_password` is on. Gigya's permission groups decide which parameters and
    /// values a key may send; an admin may leave this out of a migration key's group. On by
    /// default (FIDELITY.md `gigya/password-permission`). A partner secret always may.
    pub user_key_reads_password_hashes: bool,
    /// Whether batches of a cursor walk (`openCursor`) may come back shorter than `LIMIT`, as the
    /// documentation warns ("the number of results in a batch is not guaranteed"). On by default;
    /// which batches are short is decided by the query and the position, so runs repeat exactly
    /// (FIDELITY.md `gigya/search-short-batches`).
    pub short_cursor_batches: bool,
    /// How plain seed passwords, `newPassword` and re-hashes after a login are stored.
    pub site_hash: SiteHash,
    pub rate_limits: RateLimits,
    /// Allowed distance between a signed request's `timestamp` and the mock clock, in seconds.
    pub timestamp_window_secs: u64,
    /// The SFTP servers IdentitySync's `datasource.write.sftp` can reach: host → a local
    /// directory standing for the server's root (the mock's stand-in for a real SFTP server; a
    /// writer's `remotePath` is a folder under it). None by default: an SFTP writer then fails
    /// its job, as it would against a host it cannot connect to.
    pub sftp_servers: BTreeMap<String, PathBuf>,
}

impl Default for GigyaSettings {
    fn default() -> Self {
        Self {
            api_key: DEFAULT_API_KEY.into(),
            user_key: DEFAULT_USER_KEY.into(),
            secret: DEFAULT_SECRET.into(),
            data_center: DEFAULT_DATA_CENTER.into(),
            partner_secret_allowed: false,
            require_verified_email: false,
            lockout: Lockout::default(),
            search_returns_password: false,
            user_key_reads_password_hashes: true,
            short_cursor_batches: true,
            site_hash: SiteHash::default(),
            rate_limits: RateLimits::default(),
            timestamp_window_secs: DEFAULT_TIMESTAMP_WINDOW_SECS,
            sftp_servers: BTreeMap::new(),
        }
    }
}

/// The account lockout policy (`security.accountLockout`): after `max_failures` consecutive wrong
/// passwords the account is locked for `minutes` (403120). `max_failures: 0` never locks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lockout {
    pub max_failures: u32,
    pub minutes: u32,
}

impl Default for Lockout {
    fn default() -> Self {
        Self {
            max_failures: 5,
            minutes: 30,
        }
    }
}

/// The site's password hashing policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteHash {
    pub algorithm: String,
    pub rounds: u32,
}

impl Default for SiteHash {
    fn default() -> Self {
        Self {
            algorithm: "pbkdf2".into(),
            rounds: 3000,
        }
    }
}

/// Request limits. 0 turns a limit off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimits {
    /// Calls per minute per API key before 403048 "Api rate limit exceeded". Off by default.
    pub per_minute: u64,
    /// Calls per second on one UID before 409030 "Too many requests for same user". Real Gigya
    /// counts concurrent calls (more than 5); the mock answers one call at a time, so it counts
    /// calls per second instead. Off by default.
    pub same_uid_per_second: u64,
    /// `accounts.importFullAccount` calls per UID per minute before 503001 (documented: 5).
    pub import_per_uid_per_minute: u64,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            per_minute: 0,
            same_uid_per_second: 0,
            import_per_uid_per_minute: 5,
        }
    }
}
