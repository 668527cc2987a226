//! The mock org's mutable state behind one lock: current settings, users by id, and open
//! authentication transactions by `stateToken`.
//!
//! Users sit in a `BTreeMap` keyed by id so that an unsorted listing is "stable order by id" and
//! the `after` cursor (the last id of a page) is a plain range query (okta.md §5). Lookups by login
//! ignore case, as Okta's login uniqueness does (okta.md §3.1), through an index kept beside
//! the map so that a login is found in constant time however many users are seeded.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::model::StoredUser;
use super::settings::OktaSettings;

/// An authentication transaction waiting for its next step.
#[derive(Clone, Debug)]
pub(crate) struct Transaction {
    pub(crate) user_id: String,
    /// The transaction status it was issued in (`PASSWORD_WARN`, `MFA_REQUIRED`, …).
    pub(crate) status: &'static str,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) relay_state: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Store {
    pub(crate) settings: OktaSettings,
    /// Users by id. Add and remove them with [`Store::insert_user`] and [`Store::remove_user`],
    /// which keep the login indexes true; a user's `login` never changes once stored.
    pub(crate) users: BTreeMap<String, StoredUser>,
    /// Ids by [`login_key`] of the login, and by that of the login's short name.
    by_login: HashMap<String, BTreeSet<String>>,
    by_short_name: HashMap<String, BTreeSet<String>>,
    pub(crate) transactions: HashMap<String, Transaction>,
    /// Requests per client IP (the socket peer), so a scenario can see that every login came
    /// from one address — Auth0's egress, not the end users (okta.md §9 #13).
    pub(crate) requests_by_ip: BTreeMap<String, u64>,
}

/// Whether two logins are the same login (case-insensitively, Unicode-aware).
pub(crate) fn same_login(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        login_key(a) == login_key(b)
    }
}

/// What two logins that are the same login have in common: the login in lower case.
pub(crate) fn login_key(login: &str) -> String {
    if login.is_ascii() {
        login.to_ascii_lowercase()
    } else {
        login.to_lowercase()
    }
}

impl Store {
    pub(crate) fn new(settings: OktaSettings) -> Self {
        Self {
            settings,
            users: BTreeMap::new(),
            by_login: HashMap::new(),
            by_short_name: HashMap::new(),
            transactions: HashMap::new(),
            requests_by_ip: BTreeMap::new(),
        }
    }

    /// Stores a user (replacing one with the same id) and indexes its login.
    pub(crate) fn insert_user(&mut self, user: StoredUser) {
        self.remove_user(&user.id);
        let id = user.id.clone();
        self.by_login
            .entry(login_key(&user.login))
            .or_default()
            .insert(id.clone());
        self.by_short_name
            .entry(login_key(user.short_name()))
            .or_default()
            .insert(id.clone());
        self.users.insert(id, user);
    }

    /// Removes a user and its login from the indexes.
    pub(crate) fn remove_user(&mut self, id: &str) -> Option<StoredUser> {
        let user = self.users.remove(id)?;
        for (index, key) in [
            (&mut self.by_login, login_key(&user.login)),
            (&mut self.by_short_name, login_key(user.short_name())),
        ] {
            if let Some(ids) = index.get_mut(&key) {
                ids.remove(id);
                if ids.is_empty() {
                    index.remove(&key);
                }
            }
        }
        Some(user)
    }

    /// The id of the user with this login, ignoring case (the first by id should a seed ever
    /// have stored two).
    pub(crate) fn id_by_login(&self, login: &str) -> Option<String> {
        self.by_login.get(&login_key(login))?.first().cloned()
    }

    /// The id of the only user whose login's part before `@` is `short`, if exactly one.
    fn id_by_short_name(&self, short: &str) -> Option<String> {
        let ids = self.by_short_name.get(&login_key(short))?;
        (ids.len() == 1).then(|| ids.first().cloned()).flatten()
    }

    /// A username as primary authentication takes it: a full login, or an unambiguous short name.
    pub(crate) fn find_username(&self, username: &str) -> Option<String> {
        self.id_by_login(username).or_else(|| self.id_by_short_name(username))
    }

    /// `{id}` of `GET /api/v1/users/{id}`: an id, a login, or an unambiguous short name. Logins
    /// holding `/` or `?` can only be fetched by id (okta.md §4.1).
    pub(crate) fn find_user(&self, key: &str) -> Option<String> {
        if self.users.contains_key(key) {
            return Some(key.to_owned());
        }
        if key.contains(['/', '?']) {
            return None;
        }
        self.find_username(key)
    }
}
