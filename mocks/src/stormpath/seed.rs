//! Ferry's seed format for the mock Stormpath (unknown keys refused), and how a seed becomes
//! stored directories and accounts.
//!
//! ```yaml
//! settings:                          # every key optional; only the keys given change
//!   tenant_id: 1gBTncWsp2ObQGgFerry01
//!   tenant_name: ferry-tenant
//!   application_id: 1gk4Dxzi6o4PbdlFerry01
//!   application_name: My Application
//!   directory_id: 2SKhstu8PlaekcaFerry01   # the default directory, the first account store
//!   directory_name: Ferry Users
//!   api_key_id: FERRY0STORMPATH0APIKEY001
//!   api_key_secret: "..."
//!   password_format: bcrypt          # or stormpath2: how `password` below is stored
//!   bcrypt_cost: 10
//!   stormpath2_algorithm: SHA-256    # MD5, SHA-1, SHA-256, SHA-384, SHA-512
//!   stormpath2_iterations: 1
//!   collection_size: total           # or page
//!   export_layout: nested            # or flat
//!   sauthc1_max_skew_seconds: 900    # 0: no clock check
//!   sauthc1_reject_replayed_nonces: true
//!   rate_limit_per_second: 0         # 0: no limit
//! directories:                       # more account stores, mapped after the default one
//!   - { id: 7Hc0LegacyDirectory000, name: Legacy, status: DISABLED, mapped: true }
//! accounts:
//!   - email: han@newrepublic.gov
//!     username: first2shoot          # default: the email
//!     givenName: Han
//!     middleName: null
//!     surname: Solo
//!     status: ENABLED                # ENABLED, DISABLED, UNVERIFIED
//!     emailVerificationStatus: VERIFIED   # default VERIFIED (UNVERIFIED for UNVERIFIED accounts)
//!     password: "Change+me1"         # or password_hash: "$2a$10$..." stored as given
//!     customData: { favoriteColor: beige }
//!     createdAt: 2015-08-28T16:07:38.347Z
//!     directory: Legacy              # id or name; default: the default directory
//!     id: 72EaYgOaq8lwTFHILydAid     # default: a new 22-character base62 id
//! ```
//!
//! An account with an existing `id` — or, without an id, with the email or username of an
//! account of the same directory — replaces that account (keeping its id and list position).
//! Nothing changes when any part of a seed is refused.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::model::{AccountStatus, Directory, EmailVerificationStatus, ResourceStatus, StoredAccount};
use super::password;
use super::settings::{CollectionSize, ExportLayout, PasswordFormat, StormpathSettings};
use super::store::{Store, same_identifier};
use crate::kit::ids::Ids;
use crate::kit::seed::SeedError;

/// Seed data of the mock Stormpath.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StormpathSeed {
    pub settings: Option<SettingsSeed>,
    #[serde(default)]
    pub directories: Vec<DirectorySeed>,
    #[serde(default)]
    pub accounts: Vec<AccountSeed>,
}

/// Changes to [`StormpathSettings`].
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsSeed {
    pub tenant_id: Option<String>,
    pub tenant_name: Option<String>,
    pub application_id: Option<String>,
    pub application_name: Option<String>,
    pub directory_id: Option<String>,
    pub directory_name: Option<String>,
    pub api_key_id: Option<String>,
    pub api_key_secret: Option<String>,
    pub password_format: Option<PasswordFormat>,
    pub bcrypt_cost: Option<u32>,
    pub stormpath2_algorithm: Option<String>,
    pub stormpath2_iterations: Option<u32>,
    pub collection_size: Option<CollectionSize>,
    pub export_layout: Option<ExportLayout>,
    pub sauthc1_max_skew_seconds: Option<u64>,
    pub sauthc1_reject_replayed_nonces: Option<bool>,
    pub rate_limit_per_second: Option<u64>,
}

impl fmt::Debug for SettingsSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SettingsSeed")
            .field("tenant_id", &self.tenant_id)
            .field("application_id", &self.application_id)
            .field("directory_id", &self.directory_id)
            .field("api_key_id", &self.api_key_id)
            .field("api_key_secret", &self.api_key_secret.as_ref().map(|_| "[masked]"))
            .finish_non_exhaustive()
    }
}

/// A directory to add, or changes to one (matched by id, else by name).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectorySeed {
    pub id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub status: Option<ResourceStatus>,
    /// Whether the application maps it as an account store (default true).
    pub mapped: Option<bool>,
}

/// One account to store.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSeed {
    pub id: Option<String>,
    /// Directory id or name.
    pub directory: Option<String>,
    pub username: Option<String>,
    pub email: String,
    #[serde(rename = "givenName")]
    pub given_name: Option<String>,
    #[serde(rename = "middleName")]
    pub middle_name: Option<String>,
    pub surname: Option<String>,
    pub status: Option<AccountStatus>,
    #[serde(rename = "emailVerificationStatus")]
    pub email_verification_status: Option<EmailVerificationStatus>,
    /// Plain text, stored hashed per `settings.password_format`.
    pub password: Option<String>,
    /// A Modular Crypt Format hash, stored as given.
    pub password_hash: Option<String>,
    #[serde(rename = "customData", default)]
    pub custom_data: Map<String, Value>,
    #[serde(rename = "createdAt")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(rename = "modifiedAt")]
    pub modified_at: Option<DateTime<Utc>>,
    #[serde(rename = "passwordModifiedAt")]
    pub password_modified_at: Option<DateTime<Utc>>,
}

impl fmt::Debug for AccountSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountSeed")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("username", &self.username)
            .field("status", &self.status)
            .field("password", &self.password.as_ref().map(|_| "[masked]"))
            .field("password_hash", &self.password_hash.as_ref().map(|_| "[masked]"))
            .finish_non_exhaustive()
    }
}

fn invalid(who: &str, reason: impl fmt::Display) -> SeedError {
    SeedError::Invalid(format!("stormpath account {who}: {reason}"))
}

/// Stormpath ids are base62 (22 characters, occasionally 21); the mock takes 1–64.
fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Custom Data key rules (stormpath.md §8).
fn check_custom_data_key(key: &str) -> Result<(), String> {
    const RESERVED: &[&str] = &[
        "href",
        "createdAt",
        "modifiedAt",
        "meta",
        "spMeta",
        "spmeta",
        "ionmeta",
        "ionMeta",
    ];
    if key.is_empty() || key.len() > 255 {
        return Err(format!("customData key `{key}` must be 1 to 255 characters"));
    }
    if key.starts_with('-') || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(format!(
            "customData key `{key}` may hold only letters, digits, `_` and `-`, and not start with `-`"
        ));
    }
    if RESERVED.contains(&key) {
        return Err(format!("customData key `{key}` is reserved"));
    }
    Ok(())
}

impl SettingsSeed {
    fn apply(&self, settings: &mut StormpathSettings) -> Result<(), SeedError> {
        let bad = |what: &str, why: &str| SeedError::Invalid(format!("stormpath settings.{what}: {why}"));
        for (name, value, slot) in [
            ("tenant_id", &self.tenant_id, &mut settings.tenant_id),
            ("application_id", &self.application_id, &mut settings.application_id),
            ("directory_id", &self.directory_id, &mut settings.directory_id),
        ] {
            if let Some(value) = value {
                if !valid_id(value) {
                    return Err(bad(name, "ids are 1 to 64 letters and digits"));
                }
                slot.clone_from(value);
            }
        }
        for (name, value, slot) in [
            ("tenant_name", &self.tenant_name, &mut settings.tenant_name),
            (
                "application_name",
                &self.application_name,
                &mut settings.application_name,
            ),
            ("directory_name", &self.directory_name, &mut settings.directory_name),
        ] {
            if let Some(value) = value {
                if value.trim().is_empty() {
                    return Err(bad(name, "must not be empty"));
                }
                slot.clone_from(value);
            }
        }
        if let Some(id) = &self.api_key_id {
            if id.is_empty() || id.contains(':') || !id.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(bad("api_key_id", "must be printable ASCII without `:`"));
            }
            settings.api_key_id.clone_from(id);
        }
        if let Some(secret) = &self.api_key_secret {
            if secret.is_empty() || !secret.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(bad("api_key_secret", "must be printable ASCII"));
            }
            settings.api_key_secret.clone_from(secret);
        }
        if let Some(format) = self.password_format {
            settings.password_format = format;
        }
        if let Some(cost) = self.bcrypt_cost {
            if !(4..=31).contains(&cost) {
                return Err(bad("bcrypt_cost", "must be 4 to 31"));
            }
            settings.bcrypt_cost = cost;
        }
        if let Some(algorithm) = &self.stormpath2_algorithm {
            if !["MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"].contains(&algorithm.as_str()) {
                return Err(bad(
                    "stormpath2_algorithm",
                    "must be MD5, SHA-1, SHA-256, SHA-384 or SHA-512",
                ));
            }
            settings.stormpath2_algorithm.clone_from(algorithm);
        }
        if let Some(iterations) = self.stormpath2_iterations {
            if iterations == 0 {
                return Err(bad("stormpath2_iterations", "must be at least 1"));
            }
            settings.stormpath2_iterations = iterations;
        }
        if let Some(size) = self.collection_size {
            settings.collection_size = size;
        }
        if let Some(layout) = self.export_layout {
            settings.export_layout = layout;
        }
        if let Some(skew) = self.sauthc1_max_skew_seconds {
            settings.sauthc1_max_skew_seconds = skew;
        }
        if let Some(reject) = self.sauthc1_reject_replayed_nonces {
            settings.sauthc1_reject_replayed_nonces = reject;
        }
        if let Some(limit) = self.rate_limit_per_second {
            settings.rate_limit_per_second = limit;
        }
        Ok(())
    }
}

/// Applies the default directory's id and name from the settings to the first directory.
fn sync_default_directory(
    directories: &mut [Directory],
    accounts: &mut HashMap<String, StoredAccount>,
    settings: &StormpathSettings,
) -> Result<(), SeedError> {
    let Some(first) = directories.first() else {
        return Ok(());
    };
    let old_id = first.id.clone();
    if old_id != settings.directory_id {
        if directories.iter().skip(1).any(|d| d.id == settings.directory_id) {
            return Err(SeedError::Invalid(format!(
                "stormpath settings.directory_id: {} is already another directory's id",
                settings.directory_id
            )));
        }
        for account in accounts.values_mut().filter(|a| a.directory_id == old_id) {
            account.directory_id.clone_from(&settings.directory_id);
        }
    }
    if let Some(first) = directories.first_mut() {
        first.id.clone_from(&settings.directory_id);
        first.name.clone_from(&settings.directory_name);
    }
    Ok(())
}

fn apply_directories(
    seeds: &[DirectorySeed],
    directories: &mut Vec<Directory>,
    settings: &mut StormpathSettings,
    ids: &Ids,
    now: DateTime<Utc>,
) -> Result<usize, SeedError> {
    let mut added = 0;
    for seed in seeds {
        if let Some(id) = &seed.id
            && !valid_id(id)
        {
            return Err(SeedError::Invalid(format!(
                "stormpath directory id `{id}` must be 1 to 64 letters and digits"
            )));
        }
        let existing = directories.iter().position(|d| {
            seed.id
                .as_deref()
                .map_or_else(|| seed.name.as_deref() == Some(d.name.as_str()), |id| id == d.id)
        });
        match existing {
            Some(index) => {
                let directory = &mut directories[index];
                if let Some(name) = &seed.name {
                    directory.name.clone_from(name);
                }
                if seed.description.is_some() {
                    directory.description.clone_from(&seed.description);
                }
                if let Some(status) = seed.status {
                    directory.status = status;
                }
                if let Some(mapped) = seed.mapped {
                    directory.mapped = mapped;
                }
                directory.modified_at = now;
                if index == 0 {
                    settings.directory_name.clone_from(&directory.name);
                }
            }
            None => {
                let Some(name) = seed.name.clone().filter(|n| !n.trim().is_empty()) else {
                    return Err(SeedError::Invalid(
                        "stormpath directory: a new directory needs a name".into(),
                    ));
                };
                if directories.iter().any(|d| d.name == name) {
                    return Err(SeedError::Invalid(format!(
                        "stormpath directory: the name `{name}` is already used"
                    )));
                }
                directories.push(Directory {
                    id: seed.id.clone().unwrap_or_else(|| ids.alnum(22)),
                    name,
                    description: seed.description.clone(),
                    status: seed.status.unwrap_or_default(),
                    created_at: now,
                    modified_at: now,
                    mapped: seed.mapped.unwrap_or(true),
                    mapping_id: ids.alnum(22),
                });
                added += 1;
            }
        }
    }
    Ok(added)
}

fn opt_name(value: &Option<String>) -> Option<String> {
    value.clone().filter(|v| !v.is_empty())
}

fn account(
    seed: &AccountSeed,
    id: String,
    directory_id: String,
    seq: u64,
    settings: &StormpathSettings,
    ids: &Ids,
    now: DateTime<Utc>,
) -> Result<StoredAccount, SeedError> {
    let who = seed.email.as_str();
    for key in seed.custom_data.keys() {
        check_custom_data_key(key).map_err(|e| invalid(who, e))?;
    }
    let password = match (&seed.password, &seed.password_hash) {
        (Some(_), Some(_)) => return Err(invalid(who, "give either password or password_hash, not both")),
        (Some(plain), None) => Some(password::hash(settings, ids, plain).map_err(|e| invalid(who, e))?),
        (None, Some(hash)) => {
            password::check(hash).map_err(|e| invalid(who, format_args!("password_hash: {e}")))?;
            Some(hash.clone())
        }
        (None, None) => None,
    };
    let status = seed.status.unwrap_or_default();
    let email_verification_status = seed.email_verification_status.unwrap_or(match status {
        AccountStatus::Unverified => EmailVerificationStatus::Unverified,
        _ => EmailVerificationStatus::Verified,
    });
    let created_at = seed.created_at.unwrap_or(now);
    Ok(StoredAccount {
        id,
        directory_id,
        seq,
        username: seed.username.clone().unwrap_or_else(|| seed.email.clone()),
        email: seed.email.clone(),
        given_name: opt_name(&seed.given_name),
        middle_name: opt_name(&seed.middle_name),
        surname: opt_name(&seed.surname),
        status,
        email_verification_status,
        email_verification_token: (email_verification_status == EmailVerificationStatus::Unverified)
            .then(|| ids.alnum(22)),
        created_at,
        modified_at: seed.modified_at.unwrap_or(created_at),
        password_modified_at: seed
            .password_modified_at
            .or_else(|| password.as_ref().map(|_| created_at)),
        password,
        custom_data: seed.custom_data.clone(),
    })
}

/// Applies a seed to the store: settings, then directories, then accounts. Nothing changes when
/// anything is refused.
pub(crate) fn apply(
    seed: &StormpathSeed,
    store: &mut Store,
    ids: &Ids,
    now: DateTime<Utc>,
) -> Result<Value, SeedError> {
    let mut settings = store.settings.clone();
    if let Some(patch) = &seed.settings {
        patch.apply(&mut settings)?;
    }
    let mut directories = store.directories.clone();
    let mut accounts: HashMap<String, StoredAccount> = store.accounts.clone().into_iter().collect();
    sync_default_directory(&mut directories, &mut accounts, &settings)?;
    let added_directories = apply_directories(&seed.directories, &mut directories, &mut settings, ids, now)?;

    let mut next_seq = store.next_seq;
    let mut replaced = 0;
    let mut seeded_ids: Vec<String> = Vec::new();
    for seed_account in &seed.accounts {
        let who = seed_account.email.as_str();
        if who.trim().is_empty() {
            return Err(SeedError::Invalid("stormpath account with an empty email".into()));
        }
        if let Some(username) = &seed_account.username
            && username.trim().is_empty()
        {
            return Err(invalid(
                who,
                "username must not be empty (leave it out to use the email)",
            ));
        }
        let directory_id = match &seed_account.directory {
            None => directories.first().map(|d| d.id.clone()).unwrap_or_default(),
            Some(key) => directories
                .iter()
                .find(|d| &d.id == key || &d.name == key)
                .map(|d| d.id.clone())
                .ok_or_else(|| invalid(who, format_args!("no directory with id or name `{key}`")))?,
        };
        if let Some(id) = &seed_account.id
            && !valid_id(id)
        {
            return Err(invalid(
                who,
                format_args!("id `{id}` must be letters and digits (Stormpath ids look like 72EaYgOaq8lwTFHILydAid)"),
            ));
        }
        let username = seed_account
            .username
            .clone()
            .unwrap_or_else(|| seed_account.email.clone());
        let clashes = |a: &StoredAccount| {
            a.directory_id == directory_id
                && [&a.username, &a.email]
                    .into_iter()
                    .any(|taken| same_identifier(taken, &username) || same_identifier(taken, &seed_account.email))
        };
        let previous = match &seed_account.id {
            Some(id) => accounts.contains_key(id).then(|| id.clone()),
            None => accounts.values().find(|a| clashes(a)).map(|a| a.id.clone()),
        };
        if let Some(id) = &previous
            && seeded_ids.contains(id)
        {
            return Err(invalid(
                who,
                format_args!(
                    "appears twice in this seed (account {id}; usernames and emails are unique per directory, ignoring case)"
                ),
            ));
        }
        if let Some(other) = accounts
            .values()
            .find(|a| clashes(a) && Some(&a.id) != previous.as_ref())
        {
            let seeded_now = seeded_ids.contains(&other.id);
            return Err(invalid(
                who,
                format_args!(
                    "username or email already used by account {} in the same directory{}",
                    other.id,
                    if seeded_now { " (earlier in this seed)" } else { "" }
                ),
            ));
        }
        let (id, seq) = match previous.and_then(|id| accounts.remove(&id)) {
            Some(old) => {
                replaced += 1;
                (old.id, old.seq)
            }
            None => {
                let id = seed_account.id.clone().unwrap_or_else(|| ids.alnum(22));
                next_seq += 1;
                (id, next_seq)
            }
        };
        let stored = account(seed_account, id.clone(), directory_id, seq, &settings, ids, now)?;
        seeded_ids.push(id.clone());
        accounts.insert(id, stored);
    }

    let settings_changed = settings != store.settings;
    store.settings = settings;
    store.directories = directories;
    store.accounts = accounts.into_iter().collect();
    store.next_seq = next_seq;
    Ok(json!({
        "accounts": seeded_ids.len(),
        "replaced": replaced,
        "directories": added_directories,
        "settings_changed": settings_changed,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::clock::Clock;
    use crate::kit::seed::parse;

    fn seeded(yaml: &str) -> Result<Store, SeedError> {
        let seed: StormpathSeed = parse(yaml, None)?;
        let mut store = Store::new(StormpathSettings::default(), Clock::scenario_epoch(), "m".into());
        apply(&seed, &mut store, &Ids::seeded(1), Clock::scenario_epoch())?;
        Ok(store)
    }

    #[test]
    fn fills_ids_username_and_verification_defaults() {
        let store = seeded(
            "settings: {bcrypt_cost: 4}\naccounts:\n  - {email: han@example.com, givenName: Han, status: UNVERIFIED}\n",
        )
        .expect("valid seed");
        let account = store.accounts.values().next().expect("one account");
        assert_eq!(account.id.len(), 22);
        assert!(account.id.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(account.username, "han@example.com");
        assert_eq!(account.email_verification_status, EmailVerificationStatus::Unverified);
        assert!(account.email_verification_token.is_some());
        assert_eq!(account.full_name(), "Han");
        assert_eq!(account.password, None);
        assert_eq!(account.password_modified_at, None);
    }

    #[test]
    fn same_email_in_the_same_directory_replaces_and_keeps_the_id() {
        let seed: StormpathSeed = parse("accounts:\n  - {email: a@example.com, givenName: A}\n", None).expect("seed");
        let mut store = Store::new(StormpathSettings::default(), Clock::scenario_epoch(), "m".into());
        let ids = Ids::seeded(1);
        apply(&seed, &mut store, &ids, Clock::scenario_epoch()).expect("first");
        let id = store.accounts.keys().next().cloned().expect("id");
        let again: StormpathSeed = parse("accounts:\n  - {email: A@Example.com, givenName: B}\n", None).expect("seed");
        let summary = apply(&again, &mut store, &ids, Clock::scenario_epoch()).expect("again");
        assert_eq!(summary["replaced"], 1);
        assert_eq!(store.accounts.len(), 1);
        assert_eq!(store.accounts[&id].given_name.as_deref(), Some("B"));
    }

    #[test]
    fn refuses_duplicates_bad_keys_and_unknown_fields() {
        let twice = "accounts:\n  - {email: a@example.com}\n  - {email: b@example.com, username: A@EXAMPLE.COM}\n";
        let err = seeded(twice).expect_err("duplicate").to_string();
        assert!(err.contains("appears twice in this seed"), "{err}");
        let same_id = "accounts:\n  - {email: a@example.com, id: AAAA}\n  - {email: b@example.com, id: AAAA}\n";
        assert!(
            seeded(same_id)
                .expect_err("same id")
                .to_string()
                .contains("appears twice")
        );
        let reserved = seeded("accounts:\n  - {email: a@example.com, customData: {href: x}}\n").expect_err("reserved");
        assert!(
            reserved.to_string().contains("customData key `href` is reserved"),
            "{reserved}"
        );
        assert!(seeded("accounts:\n  - {email: a@example.com, pasword: x}\n").is_err());
        assert!(seeded("accounts:\n  - {email: a@example.com, directory: Nowhere}\n").is_err());
        assert!(seeded("accounts:\n  - {email: a@example.com, password: x, password_hash: y}\n").is_err());
    }

    #[test]
    fn same_email_may_live_in_two_directories() {
        let store = seeded(
            "directories: [{name: Legacy}]\naccounts:\n  - {email: a@example.com}\n  - {email: a@example.com, directory: Legacy}\n",
        )
        .expect("two directories");
        assert_eq!(store.accounts.len(), 2);
        assert_eq!(store.directories.len(), 2);
        assert!(store.directories[1].mapped);
    }
}
