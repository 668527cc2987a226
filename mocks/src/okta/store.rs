//! The mock org's mutable state behind one lock: current settings, users by id, and open
//! authentication transactions by `stateToken`.
//!
//! Users sit in a `BTreeMap` keyed by id so that an unsorted listing is "stable order by id" and
//! the `after` cursor (the last id of a page) is a plain range query (okta.md §5). Lookups by login
//! ignore case, as Okta's login uniqueness does (okta.md §3.1).

use std::collections::{BTreeMap, HashMap};

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
    pub(crate) users: BTreeMap<String, StoredUser>,
    pub(crate) transactions: HashMap<String, Transaction>,
    /// Requests per client IP (the socket peer), so a scenario can see that every login came
    /// from one address — Auth0's egress, not the end users (okta.md §9 #13).
    pub(crate) requests_by_ip: BTreeMap<String, u64>,
}

/// Whether two logins are the same login (case-insensitively, Unicode-aware).
pub(crate) fn same_login(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || (!a.is_ascii() && a.to_lowercase() == b.to_lowercase())
}

impl Store {
    pub(crate) fn new(settings: OktaSettings) -> Self {
        Self {
            settings,
            users: BTreeMap::new(),
            transactions: HashMap::new(),
            requests_by_ip: BTreeMap::new(),
        }
    }

    /// The id of the user with this login, ignoring case.
    pub(crate) fn id_by_login(&self, login: &str) -> Option<String> {
        self.users
            .values()
            .find(|u| same_login(&u.login, login))
            .map(|u| u.id.clone())
    }

    /// The id of the only user whose login's part before `@` is `short`, if exactly one.
    fn id_by_short_name(&self, short: &str) -> Option<String> {
        let mut found = self.users.values().filter(|u| same_login(u.short_name(), short));
        let first = found.next()?;
        found.next().is_none().then(|| first.id.clone())
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
