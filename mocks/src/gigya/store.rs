//! The mock site's mutable state behind one lock: settings, accounts (by UID, with an index of
//! login identifiers), open search cursors, recent nonces, registration tokens, and the
//! IdentitySync objects (dataflows, schedulings, jobs, written files).
//!
//! Accounts sit in a `BTreeMap` keyed by UID, so "no ORDER BY" means UID order and a cursor is
//! the last UID it returned — a range query, stable while accounts are added or removed.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use super::account::Account;
use super::auth::Nonces;
use super::query::Query;
use super::settings::{CURSOR_TTL_SECS, GigyaSettings};

/// Cursors kept at most (the oldest are dropped first).
const MAX_CURSORS: usize = 10_000;
/// Registration tokens kept at most.
const MAX_REG_TOKENS: usize = 10_000;
/// How long a registration token works.
const REG_TOKEN_TTL_MINUTES: i64 = 60;

/// Where a cursor continues from.
#[derive(Clone, Debug)]
pub(crate) enum CursorPosition {
    /// UID order: after this UID (from the start when `None`).
    After(Option<String>),
    /// A sorted snapshot of UIDs and the index of the next one.
    Uids(Arc<Vec<String>>, usize),
    /// A snapshot of IdentitySync records and the index of the next one.
    Records(Arc<Vec<Map<String, Value>>>, usize),
}

/// One page of a cursor walk. Every `cursorId` handed out is its own immutable entry, so sending
/// the same one again returns the same page (retry-safe).
#[derive(Clone, Debug)]
pub(crate) struct Cursor {
    pub(crate) issued: DateTime<Utc>,
    pub(crate) query: Arc<Query>,
    pub(crate) total: usize,
    pub(crate) position: CursorPosition,
    /// Whether `password` may be returned (decided when the cursor was opened).
    pub(crate) with_password: bool,
}

/// A file an IdentitySync writer left in the mock.
#[derive(Clone, Debug)]
pub(crate) struct StoredFile {
    pub(crate) path: PathBuf,
    pub(crate) size: u64,
    pub(crate) job_id: String,
    pub(crate) dataflow_id: String,
    pub(crate) created: String,
}

#[derive(Debug, Default)]
pub(crate) struct Store {
    pub(crate) settings: GigyaSettings,
    pub(crate) accounts: BTreeMap<String, Account>,
    /// Lower-cased login identifier → UID.
    logins: HashMap<String, String>,
    pub(crate) cursors: HashMap<String, Cursor>,
    pub(crate) nonces: Nonces,
    reg_tokens: HashMap<String, (String, DateTime<Utc>)>,
    pub(crate) dataflows: Vec<Map<String, Value>>,
    pub(crate) schedulings: Vec<Map<String, Value>>,
    pub(crate) jobs: Vec<Map<String, Value>>,
    pub(crate) files: BTreeMap<String, StoredFile>,
}

impl Store {
    pub(crate) fn new(settings: GigyaSettings) -> Self {
        Self {
            settings,
            ..Self::default()
        }
    }

    /// Stores (or replaces) an account and indexes its login identifiers.
    pub(crate) fn put(&mut self, account: Account) {
        let uid = account.uid().to_owned();
        self.unindex(&uid);
        for id in account.login_ids() {
            self.logins.insert(id.to_owned(), uid.clone());
        }
        self.accounts.insert(uid, account);
    }

    fn unindex(&mut self, uid: &str) {
        if let Some(old) = self.accounts.get(uid) {
            for id in old.login_ids() {
                if self.logins.get(id).is_some_and(|owner| owner == uid) {
                    self.logins.remove(id);
                }
            }
        }
    }

    pub(crate) fn remove(&mut self, uid: &str) -> Option<Account> {
        self.unindex(uid);
        self.accounts.remove(uid)
    }

    /// The UID owning a login identifier (any case).
    pub(crate) fn uid_by_login(&self, login: &str) -> Option<&str> {
        self.logins.get(&login.to_lowercase()).map(String::as_str)
    }

    /// A login identifier of `ids` that belongs to an account other than `uid`.
    pub(crate) fn login_conflict(&self, ids: &[String], uid: &str) -> Option<String> {
        ids.iter()
            .find(|id| self.logins.get(*id).is_some_and(|owner| owner != uid))
            .cloned()
    }

    /// Forgets expired cursors and, past the cap, the oldest ones.
    pub(crate) fn prune_cursors(&mut self, now: DateTime<Utc>) {
        let ttl = Duration::seconds(CURSOR_TTL_SECS);
        // A gap of up to (and including) 300 s between cursor calls is allowed.
        self.cursors.retain(|_, c| c.issued + ttl >= now);
        if self.cursors.len() > MAX_CURSORS {
            let mut by_age: Vec<(DateTime<Utc>, String)> =
                self.cursors.iter().map(|(id, c)| (c.issued, id.clone())).collect();
            by_age.sort();
            for (_, id) in by_age.into_iter().take(self.cursors.len() - MAX_CURSORS) {
                self.cursors.remove(&id);
            }
        }
    }

    /// Hands out a registration token for `uid`.
    pub(crate) fn issue_reg_token(&mut self, token: String, uid: &str, now: DateTime<Utc>) {
        self.reg_tokens.retain(|_, (_, expires)| *expires > now);
        if self.reg_tokens.len() >= MAX_REG_TOKENS
            && let Some(oldest) = self
                .reg_tokens
                .iter()
                .min_by_key(|(_, (_, e))| *e)
                .map(|(k, _)| k.clone())
        {
            self.reg_tokens.remove(&oldest);
        }
        self.reg_tokens
            .insert(token, (uid.to_owned(), now + Duration::minutes(REG_TOKEN_TTL_MINUTES)));
    }

    /// The UID a live registration token stands for.
    pub(crate) fn reg_token_uid(&self, token: &str, now: DateTime<Utc>) -> Option<&str> {
        self.reg_tokens
            .get(token)
            .filter(|(_, expires)| *expires > now)
            .map(|(uid, _)| uid.as_str())
    }

    pub(crate) fn dataflow(&self, id: &str) -> Option<&Map<String, Value>> {
        self.dataflows
            .iter()
            .find(|d| d.get("id").and_then(Value::as_str) == Some(id))
    }

    pub(crate) fn scheduling_mut(&mut self, id: &str) -> Option<&mut Map<String, Value>> {
        self.schedulings
            .iter_mut()
            .find(|s| s.get("id").and_then(Value::as_str) == Some(id))
    }

    pub(crate) fn job_mut(&mut self, id: &str) -> Option<&mut Map<String, Value>> {
        self.jobs
            .iter_mut()
            .find(|j| j.get("id").and_then(Value::as_str) == Some(id))
    }
}
