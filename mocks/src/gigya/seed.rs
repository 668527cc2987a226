//! Ferry's seed format for the mock Gigya (unknown keys refused), and how a seed becomes stored
//! accounts.
//!
//! ```yaml
//! settings:                                  # every key optional; only the keys given change
//!   api_key: "3_ferryGigyaApiKey"
//!   user_key: "AFerryUserKey"
//!   secret: "ZmVycnktZ2lneWEtc2VjcmV0"       # Base64, as Gigya gives it
//!   data_center: us1.gigya.com
//!   partner_secret_allowed: false
//!   require_verified_email: false
//!   lockout: { max_failures: 5, minutes: 30 }
//!   search_returns_password: false            # true: accounts.search returns password hashes
//!   user_key_reads_password_hashes: true       # false: the userKey may not read hashes (403007)
//!   short_cursor_batches: true                 # false: every cursor batch is full (LIMIT)
//!   site_hash: { algorithm: pbkdf2, rounds: 3000 }
//!   rate_limits: { per_minute: 0, same_uid_per_second: 0, import_per_uid_per_minute: 5 }
//!   timestamp_window_secs: 180
//!   sftp_servers: { sftp.example.com: /srv/landing }   # host → local directory (replaces the map)
//! accounts:
//!   - UID: "4c6d4614e8cd478f80e30fcc657db6ac"   # optional: 32 hex digits from the kit's ids
//!     profile: { email: dade@example.com, firstName: Dade, lastName: Murphy }
//!     loginIDs: { emails: [dade@example.com], username: zerocool }   # default: [profile.email]
//!     emails: { verified: [dade@example.com] }   # default: the login emails, verified unless isVerified: false
//!     isActive: true                             # default true
//!     isRegistered: true                         # default true
//!     isVerified: true                           # default: emails.verified is not empty
//!     data: {...}
//!     preferences: {...}
//!     subscriptions: {...}
//!     communications: {...}
//!     customIdentifiers: {...}
//!     identities: [...]
//!     phoneNumber: "+15555550100"
//!     lang: en
//!     regSource: "https://example.com/register"
//!     password: "Hunter2!"                       # hashed with settings.site_hash, or:
//!     password_hash: { hash: "...", hashSettings: { algorithm: md5, salt: "..." } }
//!     # or password_hash: { compoundHashedPassword: "$2a$10$..." }
//!     created: 2024-01-01T00:00:00.000Z          # also lastLogin, lastUpdated, registered, verified
//!     # without lastLogin the account never logged in: "0001-01-01T00:00:00Z", timestamp 0
//! ```
//!
//! A seed is applied all or nothing: settings and every account are checked before anything is
//! stored. Seeding a UID that exists replaces that account; a login identifier (email, username)
//! already used by another account is refused.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::account::{self, Account};
use super::error::GigyaError;
use super::password;
use super::settings::{GigyaSettings, Lockout, RateLimits, SiteHash};
use super::store::Store;
use crate::kit::ids::Ids;
use crate::kit::seed::SeedError;

/// A seed document for the mock Gigya.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GigyaSeed {
    #[serde(default)]
    pub settings: Option<SettingsSeed>,
    #[serde(default)]
    pub accounts: Vec<SeedAccount>,
}

/// Changes to [`GigyaSettings`]; keys left out keep their current value.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsSeed {
    pub api_key: Option<String>,
    pub user_key: Option<String>,
    pub secret: Option<String>,
    pub data_center: Option<String>,
    pub partner_secret_allowed: Option<bool>,
    pub require_verified_email: Option<bool>,
    pub lockout: Option<Lockout>,
    pub search_returns_password: Option<bool>,
    pub user_key_reads_password_hashes: Option<bool>,
    pub short_cursor_batches: Option<bool>,
    pub site_hash: Option<SiteHash>,
    pub rate_limits: Option<RateLimits>,
    pub timestamp_window_secs: Option<u64>,
    pub sftp_servers: Option<std::collections::BTreeMap<String, std::path::PathBuf>>,
}

impl fmt::Debug for SettingsSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SettingsSeed")
            .field("api_key", &self.api_key)
            .field("user_key", &self.user_key)
            .field("secret", &self.secret.as_ref().map(|_| "[masked]"))
            .field("data_center", &self.data_center)
            .field("partner_secret_allowed", &self.partner_secret_allowed)
            .field("require_verified_email", &self.require_verified_email)
            .field("lockout", &self.lockout)
            .field("search_returns_password", &self.search_returns_password)
            .field("user_key_reads_password_hashes", &self.user_key_reads_password_hashes)
            .field("short_cursor_batches", &self.short_cursor_batches)
            .field("site_hash", &self.site_hash)
            .field("rate_limits", &self.rate_limits)
            .field("timestamp_window_secs", &self.timestamp_window_secs)
            .field("sftp_servers", &self.sftp_servers)
            .finish()
    }
}

/// One account, in Gigya's own field names.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SeedAccount {
    /// A string (numbers are read as their text); generated when absent.
    #[serde(rename = "UID")]
    pub uid: Option<Value>,
    pub profile: Option<Map<String, Value>>,
    #[serde(rename = "loginIDs")]
    pub login_ids: Option<Value>,
    pub emails: Option<Value>,
    pub is_active: Option<bool>,
    pub is_registered: Option<bool>,
    pub is_verified: Option<bool>,
    pub data: Option<Map<String, Value>>,
    pub preferences: Option<Map<String, Value>>,
    pub subscriptions: Option<Map<String, Value>>,
    pub communications: Option<Map<String, Value>>,
    pub custom_identifiers: Option<Map<String, Value>>,
    pub identities: Option<Vec<Value>>,
    pub phone_number: Option<String>,
    pub lang: Option<String>,
    pub reg_source: Option<String>,
    pub login_provider: Option<String>,
    pub social_providers: Option<String>,
    /// Plain text, hashed with the site's policy.
    pub password: Option<String>,
    /// Exactly what Gigya stores: `{hash, hashSettings}` or `{compoundHashedPassword}`.
    #[serde(rename = "password_hash")]
    pub password_hash: Option<Map<String, Value>>,
    pub created: Option<Value>,
    pub last_login: Option<Value>,
    pub last_updated: Option<Value>,
    pub registered: Option<Value>,
    pub verified: Option<Value>,
}

impl fmt::Debug for SeedAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeedAccount")
            .field("uid", &self.uid)
            .field("profile", &self.profile)
            .field("login_ids", &self.login_ids)
            .field("password", &self.password.as_ref().map(|_| "[masked]"))
            .field("password_hash", &self.password_hash.as_ref().map(|_| "[masked]"))
            .finish_non_exhaustive()
    }
}

impl SeedAccount {
    /// The import fields this seed account stands for.
    fn fields(&self) -> Map<String, Value> {
        let mut fields = Map::new();
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                fields.insert(key.to_owned(), value);
            }
        };
        put("profile", self.profile.clone().map(Value::Object));
        put("loginIDs", self.login_ids.clone());
        put("emails", self.emails.clone());
        put("isActive", self.is_active.map(Value::Bool));
        put("isRegistered", self.is_registered.map(Value::Bool));
        put("isVerified", self.is_verified.map(Value::Bool));
        put("data", self.data.clone().map(Value::Object));
        put("preferences", self.preferences.clone().map(Value::Object));
        put("subscriptions", self.subscriptions.clone().map(Value::Object));
        put("communications", self.communications.clone().map(Value::Object));
        put("customIdentifiers", self.custom_identifiers.clone().map(Value::Object));
        put("identities", self.identities.clone().map(Value::Array));
        put("phoneNumber", self.phone_number.clone().map(Value::String));
        put("lang", self.lang.clone().map(Value::String));
        put("regSource", self.reg_source.clone().map(Value::String));
        put("loginProvider", self.login_provider.clone().map(Value::String));
        put("socialProviders", self.social_providers.clone().map(Value::String));
        put("created", self.created.clone());
        put("lastLogin", self.last_login.clone());
        put("lastUpdated", self.last_updated.clone());
        put("registered", self.registered.clone());
        put("verified", self.verified.clone());
        fields
    }
}

fn invalid(index: usize, error: &GigyaError) -> SeedError {
    SeedError::Invalid(format!("accounts[{index}]: {}", error.details()))
}

/// Applies a seed to the store: all or nothing.
pub(crate) fn apply(seed: &GigyaSeed, store: &mut Store, ids: &Ids, now: DateTime<Utc>) -> Result<Value, SeedError> {
    let mut settings = store.settings.clone();
    if let Some(s) = &seed.settings {
        apply_settings(s, &mut settings)?;
    }
    let mut accounts = Vec::with_capacity(seed.accounts.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut uids: HashMap<String, usize> = HashMap::new();
    for (index, input) in seed.accounts.iter().enumerate() {
        let uid = match &input.uid {
            None => ids.hex(32),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(_) => return Err(SeedError::Invalid(format!("accounts[{index}]: UID must be a string"))),
        };
        if let Some(first) = uids.insert(uid.clone(), index) {
            return Err(SeedError::Invalid(format!(
                "accounts[{index}]: UID '{uid}' is also accounts[{first}]"
            )));
        }
        let stored_password = match (&input.password, &input.password_hash) {
            (Some(_), Some(_)) => {
                return Err(SeedError::Invalid(format!(
                    "accounts[{index}]: give password or password_hash, not both"
                )));
            }
            (Some(plain), None) => {
                let salt = password::new_salt(&settings.site_hash.algorithm, ids);
                let mut stored = password::site_hash(&settings.site_hash, plain, &salt, now).map_err(|e| {
                    SeedError::Invalid(format!(
                        "accounts[{index}]: cannot hash the password with the site policy {}/{}: {e}",
                        settings.site_hash.algorithm, settings.site_hash.rounds
                    ))
                })?;
                // A seeded account has had its password since it was created.
                stored.remove("created");
                Some(stored)
            }
            (None, Some(hash)) => Some(password::from_import("password_hash", hash).map_err(|e| invalid(index, &e))?),
            (None, None) => None,
        };
        let doc = account::build(&uid, &input.fields(), stored_password, now, true).map_err(|e| invalid(index, &e))?;
        let account = Account::new(&doc);
        for id in account.login_ids() {
            if let Some(other) = seen.insert(id.to_owned(), index) {
                return Err(SeedError::Invalid(format!(
                    "accounts[{index}]: login identifier '{id}' is also used by accounts[{other}]"
                )));
            }
            if let Some(owner) = store.uid_by_login(id)
                && owner != uid
                && !uids.contains_key(owner)
            {
                return Err(SeedError::Invalid(format!(
                    "accounts[{index}]: login identifier '{id}' belongs to the existing account {owner}"
                )));
            }
        }
        accounts.push(account);
    }
    let count = accounts.len();
    let uids: Vec<String> = accounts.iter().map(|a| a.uid().to_owned()).collect();
    store.settings = settings;
    for account in accounts {
        store.put(account);
    }
    Ok(json!({ "accounts": count, "UIDs": uids }))
}

fn apply_settings(s: &SettingsSeed, settings: &mut GigyaSettings) -> Result<(), SeedError> {
    let non_empty = |name: &str, v: &Option<String>| -> Result<Option<String>, SeedError> {
        match v {
            Some(text) if text.trim().is_empty() => Err(SeedError::Invalid(format!("settings.{name} is empty"))),
            other => Ok(other.clone()),
        }
    };
    if let Some(v) = non_empty("api_key", &s.api_key)? {
        settings.api_key = v;
    }
    if let Some(v) = non_empty("user_key", &s.user_key)? {
        settings.user_key = v;
    }
    if let Some(v) = non_empty("secret", &s.secret)? {
        use base64::Engine;
        if base64::engine::general_purpose::STANDARD.decode(v.trim()).is_err() {
            return Err(SeedError::Invalid(
                "settings.secret must be Base64, as Gigya hands secrets out".into(),
            ));
        }
        settings.secret = v;
    }
    if let Some(v) = non_empty("data_center", &s.data_center)? {
        settings.data_center = v;
    }
    if let Some(v) = s.partner_secret_allowed {
        settings.partner_secret_allowed = v;
    }
    if let Some(v) = s.require_verified_email {
        settings.require_verified_email = v;
    }
    if let Some(v) = s.lockout {
        settings.lockout = v;
    }
    if let Some(v) = s.search_returns_password {
        settings.search_returns_password = v;
    }
    if let Some(v) = s.user_key_reads_password_hashes {
        settings.user_key_reads_password_hashes = v;
    }
    if let Some(v) = s.short_cursor_batches {
        settings.short_cursor_batches = v;
    }
    if let Some(v) = &s.site_hash {
        // Hash once now, so that a site policy the hash library cannot produce is refused here
        // and not at the first plain password.
        crate::hashes::gigya::hash(
            &v.algorithm,
            "probe",
            &password::new_salt(&v.algorithm, &Ids::seeded(0)),
            v.rounds,
        )
        .map_err(|e| {
            SeedError::Invalid(format!(
                "settings.site_hash: {}/{} cannot be produced: {e}",
                v.algorithm, v.rounds
            ))
        })?;
        settings.site_hash = v.clone();
    }
    if let Some(v) = s.rate_limits {
        settings.rate_limits = v;
    }
    if let Some(v) = s.timestamp_window_secs {
        settings.timestamp_window_secs = v;
    }
    if let Some(servers) = &s.sftp_servers {
        if let Some(host) = servers
            .keys()
            .find(|h| h.trim().is_empty() || h.contains(['/', ':', ' ']))
        {
            return Err(SeedError::Invalid(format!(
                "settings.sftp_servers: {host:?} is not a host name"
            )));
        }
        settings.sftp_servers = servers.clone();
    }
    Ok(())
}
