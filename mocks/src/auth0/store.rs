//! The users of the tenant, indexed. Lookups by email, username and id are what every login,
//! import row and Management API read does; with a million imported users a scan per lookup
//! would be quadratic, so the store keeps hash indexes beside the records. Iteration is in
//! creation order.
//!
//! User search (`GET /api/v2/users?q=…`) runs here too, on the stored users themselves: a
//! stored user answers a query's fields with the values the Management API would show (see
//! [`Document`] below), so a search builds the JSON of the users on the page it returns, not of
//! every user it looks at. Where a query names few users through the fields people search by —
//! an exact or prefix term on `email`, `name` or `nickname` (lower-cased values in order), an
//! exact `user_id`, an `identities.connection` — the indexes give those users and only they
//! are checked; otherwise every user is, in the order asked. `created_at` ordering (the
//! dashboard's "newest first") has its own index. Either way the query decides: an index only
//! narrows whom it is asked about.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use super::lucene::{self, Document, Found, Query};
use super::model::StoredUser;
use crate::kit::clock::iso_millis;

/// Key of an index: (connection name, value).
type Key = (String, String);

#[derive(Debug, Default)]
pub(crate) struct UserStore {
    next: u64,
    users: BTreeMap<u64, StoredUser>,
    by_id: HashMap<Key, u64>,
    by_email: HashMap<Key, u64>,
    by_username: HashMap<Key, u64>,
    by_phone: HashMap<Key, u64>,
    /// Full `auth0|…` ids (unique across the tenant's database connections).
    by_user_id: HashMap<String, u64>,
    /// (`created_at` in milliseconds, as the API shows it, and sequence): creation order as
    /// `sort=created_at:…` sees it.
    by_created: BTreeSet<(i64, u64)>,
    /// For each of [`TEXT_INDEXED`], (lower-cased value the API shows, sequence), in order: the
    /// users an exact or prefix term names.
    by_text: [BTreeSet<(String, u64)>; 3],
    /// Sequences by connection.
    by_connection: HashMap<String, BTreeSet<u64>>,
}

/// Fields whose values are indexed for search: what the dashboard's search box asks.
const TEXT_INDEXED: [&str; 3] = ["email", "name", "nickname"];

/// The lower-cased values a user shows at an indexed field.
fn text_keys(user: &StoredUser, field: &str) -> Vec<String> {
    let mut keys = vec![];
    user.any_value(field, &mut |value| {
        if let Some(text) = value.text() {
            keys.push(text.to_lowercase());
        }
        false
    });
    keys
}

/// How search results are ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Order<'a> {
    /// Creation order (no `sort` given).
    Stored,
    /// `sort=field:1` or `field:-1`.
    By { field: &'a str, descending: bool },
}

/// One page of a search.
#[derive(Debug)]
pub(crate) struct Page<'a> {
    /// How many users match in all.
    pub(crate) total: usize,
    pub(crate) users: Vec<&'a StoredUser>,
}

impl UserStore {
    fn index(&mut self, seq: u64) {
        let Some(user) = self.users.get(&seq) else { return };
        let connection = user.connection.clone();
        self.by_created.insert((user.created_at.timestamp_millis(), seq));
        for (index, field) in self.by_text.iter_mut().zip(TEXT_INDEXED) {
            for key in text_keys(user, field) {
                index.insert((key, seq));
            }
        }
        self.by_connection.entry(connection.clone()).or_default().insert(seq);
        self.by_id.insert((connection.clone(), user.id.clone()), seq);
        self.by_user_id.insert(user.user_id(), seq);
        if let Some(email) = &user.email {
            self.by_email.insert((connection.clone(), email.clone()), seq);
        }
        if let Some(username) = &user.username {
            self.by_username.insert((connection.clone(), username.clone()), seq);
        }
        if let Some(phone) = &user.phone_number {
            self.by_phone.insert((connection, phone.clone()), seq);
        }
    }

    fn unindex(&mut self, seq: u64) {
        let Some(user) = self.users.get(&seq) else { return };
        let connection = user.connection.clone();
        let drop_if = |map: &mut HashMap<Key, u64>, key: Key| {
            if map.get(&key) == Some(&seq) {
                map.remove(&key);
            }
        };
        self.by_created.remove(&(user.created_at.timestamp_millis(), seq));
        for (index, field) in self.by_text.iter_mut().zip(TEXT_INDEXED) {
            for key in text_keys(user, field) {
                index.remove(&(key, seq));
            }
        }
        if let Some(on) = self.by_connection.get_mut(&connection) {
            on.remove(&seq);
            if on.is_empty() {
                self.by_connection.remove(&connection);
            }
        }
        let (id, email, username, phone, user_id) = (
            user.id.clone(),
            user.email.clone(),
            user.username.clone(),
            user.phone_number.clone(),
            user.user_id(),
        );
        drop_if(&mut self.by_id, (connection.clone(), id));
        if let Some(email) = email {
            drop_if(&mut self.by_email, (connection.clone(), email));
        }
        if let Some(username) = username {
            drop_if(&mut self.by_username, (connection.clone(), username));
        }
        if let Some(phone) = phone {
            drop_if(&mut self.by_phone, (connection, phone));
        }
        if self.by_user_id.get(&user_id) == Some(&seq) {
            self.by_user_id.remove(&user_id);
        }
    }

    /// Adds a user (the caller has checked for clashes).
    pub(crate) fn insert(&mut self, user: StoredUser) {
        self.next += 1;
        let seq = self.next;
        self.users.insert(seq, user);
        self.index(seq);
    }

    /// Replaces the user stored under the same connection and id, keeping its position.
    pub(crate) fn replace(&mut self, user: StoredUser) -> bool {
        let Some(&seq) = self.by_id.get(&(user.connection.clone(), user.id.clone())) else {
            return false;
        };
        self.unindex(seq);
        self.users.insert(seq, user);
        self.index(seq);
        true
    }

    /// Changes a user in place (by connection and id) and re-indexes it.
    pub(crate) fn update<R>(&mut self, connection: &str, id: &str, f: impl FnOnce(&mut StoredUser) -> R) -> Option<R> {
        let seq = *self.by_id.get(&(connection.to_owned(), id.to_owned()))?;
        self.unindex(seq);
        let result = self.users.get_mut(&seq).map(f);
        self.index(seq);
        result
    }

    /// Removes a user by full id (`auth0|…`).
    pub(crate) fn remove_user_id(&mut self, user_id: &str) -> Option<StoredUser> {
        let seq = *self.by_user_id.get(user_id)?;
        self.unindex(seq);
        self.users.remove(&seq)
    }

    pub(crate) fn by_id(&self, connection: &str, id: &str) -> Option<&StoredUser> {
        self.lookup(&self.by_id, connection, id)
    }

    pub(crate) fn by_email(&self, connection: &str, email: &str) -> Option<&StoredUser> {
        self.lookup(&self.by_email, connection, email)
    }

    pub(crate) fn by_username(&self, connection: &str, username: &str) -> Option<&StoredUser> {
        self.lookup(&self.by_username, connection, username)
    }

    pub(crate) fn by_phone(&self, connection: &str, phone: &str) -> Option<&StoredUser> {
        self.lookup(&self.by_phone, connection, phone)
    }

    pub(crate) fn by_user_id(&self, user_id: &str) -> Option<&StoredUser> {
        self.by_user_id.get(user_id).and_then(|seq| self.users.get(seq))
    }

    fn lookup(&self, index: &HashMap<Key, u64>, connection: &str, value: &str) -> Option<&StoredUser> {
        index
            .get(&(connection.to_owned(), value.to_owned()))
            .and_then(|seq| self.users.get(seq))
    }

    /// The user an identifier (email or username, any case) names on a connection.
    pub(crate) fn find(&self, connection: &str, identifier: &str) -> Option<&StoredUser> {
        let lower = identifier.to_lowercase();
        self.by_email(connection, &lower)
            .or_else(|| self.by_username(connection, &lower))
    }

    /// Users in creation order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &StoredUser> {
        self.users.values()
    }

    pub(crate) fn len(&self) -> usize {
        self.users.len()
    }

    /// The users matching `query` (all without one) on `connection` (all without one), in
    /// `order`, from the `start`-th match on, at most `limit` of them; and how many match.
    ///
    /// Ties keep creation order whichever way a field is sorted, as a stable sort of the users
    /// in creation order does.
    pub(crate) fn search(
        &self,
        query: Option<&Query>,
        connection: Option<&str>,
        order: Order<'_>,
        start: usize,
        limit: usize,
    ) -> Page<'_> {
        // Checking the users the indexes name beats going through all of them in order while
        // they are a few: up to an eighth.
        self.search_within(query, connection, order, start, limit, self.users.len() / 8)
    }

    /// [`UserStore::search`], checking the users the indexes name when they are at most `cap`.
    fn search_within(
        &self,
        query: Option<&Query>,
        connection: Option<&str>,
        order: Order<'_>,
        start: usize,
        limit: usize,
        cap: usize,
    ) -> Page<'_> {
        let wanted = |user: &StoredUser| {
            connection.is_none_or(|c| user.connection == c) && query.is_none_or(|q| lucene::matches(q, user))
        };
        let mut named = query.and_then(|q| self.candidates(q, cap));
        if let Some(connection) = connection {
            let on = self.connection_candidates(connection, cap);
            named = match (named, on) {
                (Some(a), Some(b)) => Some(a.intersection(&b).copied().collect()),
                (a, None) => a,
                (None, b) => b,
            };
        }
        if let Some(named) = named {
            let mut matched: Vec<&StoredUser> = named
                .iter()
                .filter_map(|seq| self.users.get(seq))
                .filter(|u| wanted(u))
                .collect();
            sort(&mut matched, order);
            return Page {
                total: matched.len(),
                users: matched.into_iter().skip(start).take(limit).collect(),
            };
        }
        let everyone = query.is_none() && connection.is_none();
        match order {
            // Every user: the count is known, only the page is read.
            Order::Stored if everyone => page_of_all(self.users.values(), self.users.len(), start, limit),
            Order::By {
                field: "created_at",
                descending,
            } if everyone => {
                if descending {
                    page_of_all(self.newest_first(), self.users.len(), start, limit)
                } else {
                    page_of_all(self.oldest_first(), self.users.len(), start, limit)
                }
            }
            Order::Stored => page_of(self.users.values().filter(|u| wanted(u)), start, limit),
            Order::By {
                field: "created_at",
                descending: false,
            } => page_of(self.oldest_first().filter(|u| wanted(u)), start, limit),
            Order::By {
                field: "created_at",
                descending: true,
            } => page_of(self.newest_first().filter(|u| wanted(u)), start, limit),
            Order::By { .. } => {
                let mut matched: Vec<&StoredUser> = self.users.values().filter(|u| wanted(u)).collect();
                sort(&mut matched, order);
                page_of(matched.into_iter(), start, limit)
            }
        }
    }

    /// The users a query can only be among, as the indexes say (`None` when they cannot say,
    /// or name more than `cap`): the terms an `AND` joins narrow each other, an `OR` of named
    /// users is their union, anything else (a `NOT`, a range, a field without an index, a
    /// wildcard other than a trailing one) names nobody in particular.
    fn candidates(&self, query: &Query, cap: usize) -> Option<BTreeSet<u64>> {
        match query {
            Query::And(a, b) => match (self.candidates(a, cap), self.candidates(b, cap)) {
                (Some(x), Some(y)) => {
                    let (small, large) = if x.len() <= y.len() { (x, y) } else { (y, x) };
                    Some(small.into_iter().filter(|seq| large.contains(seq)).collect())
                }
                (x, None) => x,
                (None, y) => y,
            },
            Query::Or(a, b) => {
                let mut x = self.candidates(a, cap)?;
                x.extend(self.candidates(b, cap)?);
                (x.len() <= cap).then_some(x)
            }
            Query::Term {
                field: Some(field),
                value,
                quoted,
            } => self.term_candidates(field, value, *quoted, cap),
            _ => None,
        }
    }

    fn term_candidates(&self, field: &str, value: &str, quoted: bool, cap: usize) -> Option<BTreeSet<u64>> {
        let wild = !quoted && value.contains('*');
        match field {
            // `auth0|ID`: the user with that id on any connection.
            "user_id" if !wild => Some(
                value
                    .strip_prefix("auth0|")
                    .map(|id| {
                        self.by_connection
                            .keys()
                            .filter_map(|connection| self.by_id.get(&(connection.clone(), id.to_owned())).copied())
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            "identities.connection" if !wild => self.connection_candidates(value, cap),
            _ => {
                let index = &self.by_text[TEXT_INDEXED.iter().position(|f| *f == field)?];
                // Normalized fields match without regard to case: the index holds lower-cased
                // values, an exact term is one key, `prefix*` the keys that start with it.
                let (key, exact) = if wild {
                    let prefix = value.strip_suffix('*').filter(|p| !p.contains('*'))?;
                    (prefix.to_lowercase(), false)
                } else {
                    (value.to_lowercase(), true)
                };
                let named: Vec<u64> = index
                    .range((key.clone(), 0)..)
                    .take_while(|(k, _)| if exact { *k == key } else { k.starts_with(&key) })
                    .take(cap.saturating_add(1))
                    .map(|(_, seq)| *seq)
                    .collect();
                (named.len() <= cap).then(|| named.into_iter().collect())
            }
        }
    }

    fn connection_candidates(&self, connection: &str, cap: usize) -> Option<BTreeSet<u64>> {
        match self.by_connection.get(connection) {
            None => Some(BTreeSet::new()),
            Some(on) => (on.len() <= cap).then(|| on.clone()),
        }
    }

    /// Users oldest first, those created in the same millisecond in creation order.
    fn oldest_first(&self) -> impl Iterator<Item = &StoredUser> {
        self.by_created.iter().filter_map(|(_, seq)| self.users.get(seq))
    }

    /// Users newest first, those created in the same millisecond in creation order.
    fn newest_first(&self) -> impl Iterator<Item = &StoredUser> {
        let mut newest = self.by_created.iter().rev().peekable();
        std::iter::from_fn(move || {
            let millis = newest.peek()?.0;
            let mut same: Vec<u64> = vec![];
            while let Some(&&(m, seq)) = newest.peek() {
                if m != millis {
                    break;
                }
                same.push(seq);
                newest.next();
            }
            same.reverse();
            Some(same)
        })
        .flatten()
        .filter_map(|seq| self.users.get(&seq))
    }

    /// Removes every user of a connection with this email; returns how many.
    pub(crate) fn remove_by_email(&mut self, connection: &str, email: &str) -> usize {
        let seqs: Vec<u64> = self
            .users
            .iter()
            .filter(|(_, u)| u.connection == connection && u.email.as_deref() == Some(email))
            .map(|(seq, _)| *seq)
            .collect();
        for seq in &seqs {
            self.unindex(*seq);
            self.users.remove(seq);
        }
        seqs.len()
    }
}

/// Counts every match and keeps the page.
fn page_of<'a>(matches: impl Iterator<Item = &'a StoredUser>, start: usize, limit: usize) -> Page<'a> {
    let mut total = 0;
    let mut users = vec![];
    for user in matches {
        if total >= start && users.len() < limit {
            users.push(user);
        }
        total += 1;
    }
    Page { total, users }
}

/// The page of a list of every user, whose length is known.
fn page_of_all<'a>(users: impl Iterator<Item = &'a StoredUser>, total: usize, start: usize, limit: usize) -> Page<'a> {
    Page {
        total,
        users: users.skip(start).take(limit).collect(),
    }
}

/// Orders matches given in creation order; a stable sort, so equal keys keep creation order.
fn sort(users: &mut [&StoredUser], order: Order<'_>) {
    match order {
        Order::Stored => {}
        Order::By {
            field: "created_at",
            descending,
        } => {
            if descending {
                users.sort_by_key(|u| std::cmp::Reverse(u.created_at.timestamp_millis()));
            } else {
                users.sort_by_key(|u| u.created_at.timestamp_millis());
            }
        }
        Order::By { field, descending } => {
            let mut keyed: Vec<(Option<String>, &StoredUser)> =
                users.iter().map(|u| (sort_key(u, field), *u)).collect();
            if descending {
                keyed.sort_by(|a, b| b.0.cmp(&a.0));
            } else {
                keyed.sort_by(|a, b| a.0.cmp(&b.0));
            }
            for (slot, (_, user)) in users.iter_mut().zip(keyed) {
                *slot = user;
            }
        }
    }
}

/// Fields the Management API never shows (a profile attribute by these names is dropped).
const HIDDEN: &[&str] = &["password", "password_hash", "custom_password_hash", "passwordHash"];

fn json_key(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_owned)
}

/// What a user is sorted by for `sort=field:…`: the top-level field of its API form, as text
/// (strings as they are, other values as JSON). Same as `to_api().get(field)`.
fn sort_key(user: &StoredUser, field: &str) -> Option<String> {
    let extra = || user.extra.get(field).map(json_key);
    match field {
        f if HIDDEN.contains(&f) => None,
        "user_id" => Some(user.user_id()),
        "name" => Some(user.name.clone()),
        "nickname" => Some(user.nickname.clone()),
        "picture" => Some(user.picture.clone()),
        "created_at" => Some(iso_millis(user.created_at)),
        "updated_at" => Some(iso_millis(user.updated_at)),
        "email" => user.email.clone().or_else(extra),
        "email_verified" if user.email.is_some() => Some(user.email_verified.to_string()),
        "username" => user.username.clone().or_else(extra),
        "phone_number" => user.phone_number.clone().or_else(extra),
        "phone_verified" if user.phone_number.is_some() => Some(user.phone_verified.to_string()),
        "given_name" => user.given_name.clone().or_else(extra),
        "family_name" => user.family_name.clone().or_else(extra),
        "last_login" => user.last_login.map(iso_millis).or_else(extra),
        "last_ip" => user.last_ip.clone().or_else(extra),
        "logins_count" if user.logins_count > 0 => Some(user.logins_count.to_string()),
        "last_password_reset" => user.last_password_reset.map(iso_millis).or_else(extra),
        "blocked" => user.blocked.map(|b| b.to_string()).or_else(extra),
        "identities" => user.to_api().get(field).map(json_key),
        "user_metadata" if !user.user_metadata.is_empty() => {
            Some(Value::Object(user.user_metadata.clone()).to_string())
        }
        "app_metadata" if !user.app_metadata.is_empty() => Some(Value::Object(user.app_metadata.clone()).to_string()),
        _ => extra(),
    }
}

/// A stored user answers a query with the values [`StoredUser::to_api`] would show at each
/// path — the fields it sets, and where it sets none the profile attributes kept beside them
/// (`extra`) — without building that JSON. `store::tests` holds the two to the same answers.
impl Document for StoredUser {
    fn any_value(&self, path: &str, f: &mut dyn FnMut(Found<'_>) -> bool) -> bool {
        let (head, rest) = match path.split_once('.') {
            Some((head, rest)) => (head, Some(rest)),
            None => (path, None),
        };
        // A scalar is found only where the path ends.
        let mut scalar = |text: Cow<'_, str>| rest.is_none() && f(Found::Text(text));
        let bool_text = |b: bool| Cow::Borrowed(if b { "true" } else { "false" });
        match head {
            h if HIDDEN.contains(&h) => false,
            "user_id" => scalar(Cow::Owned(self.user_id())),
            "name" => scalar(Cow::Borrowed(&self.name)),
            "nickname" => scalar(Cow::Borrowed(&self.nickname)),
            "picture" => scalar(Cow::Borrowed(&self.picture)),
            "created_at" => scalar(Cow::Owned(iso_millis(self.created_at))),
            "updated_at" => scalar(Cow::Owned(iso_millis(self.updated_at))),
            "email" if self.email.is_some() => scalar(Cow::Borrowed(self.email.as_deref().unwrap_or_default())),
            "email_verified" if self.email.is_some() => scalar(bool_text(self.email_verified)),
            "username" if self.username.is_some() => {
                scalar(Cow::Borrowed(self.username.as_deref().unwrap_or_default()))
            }
            "phone_number" if self.phone_number.is_some() => {
                scalar(Cow::Borrowed(self.phone_number.as_deref().unwrap_or_default()))
            }
            "phone_verified" if self.phone_number.is_some() => scalar(bool_text(self.phone_verified)),
            "given_name" if self.given_name.is_some() => {
                scalar(Cow::Borrowed(self.given_name.as_deref().unwrap_or_default()))
            }
            "family_name" if self.family_name.is_some() => {
                scalar(Cow::Borrowed(self.family_name.as_deref().unwrap_or_default()))
            }
            "last_login" if self.last_login.is_some() => {
                scalar(Cow::Owned(self.last_login.map(iso_millis).unwrap_or_default()))
            }
            "last_ip" if self.last_ip.is_some() => scalar(Cow::Borrowed(self.last_ip.as_deref().unwrap_or_default())),
            "logins_count" if self.logins_count > 0 => scalar(Cow::Owned(self.logins_count.to_string())),
            "last_password_reset" if self.last_password_reset.is_some() => {
                scalar(Cow::Owned(self.last_password_reset.map(iso_millis).unwrap_or_default()))
            }
            "blocked" if self.blocked.is_some() => scalar(bool_text(self.blocked.unwrap_or_default())),
            // One identity: the user's own, on its connection.
            "identities" => match rest {
                None => f(Found::Object),
                Some("connection") => f(Found::Text(Cow::Borrowed(&self.connection))),
                Some("user_id") => f(Found::Text(Cow::Borrowed(&self.id))),
                Some("provider") => f(Found::Text(Cow::Borrowed("auth0"))),
                Some("isSocial") => f(Found::Text(Cow::Borrowed("false"))),
                Some(_) => false,
            },
            "user_metadata" | "app_metadata" => {
                let map = if head == "user_metadata" {
                    &self.user_metadata
                } else {
                    &self.app_metadata
                };
                if map.is_empty() {
                    lucene::values_in(&self.extra, path)
                        .into_iter()
                        .any(|v| f(Found::Json(v)))
                } else {
                    match rest {
                        None => f(Found::Object),
                        Some(rest) => lucene::values_in(map, rest).into_iter().any(|v| f(Found::Json(v))),
                    }
                }
            }
            _ => lucene::values_in(&self.extra, path)
                .into_iter()
                .any(|v| f(Found::Json(v))),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, Utc};
    use serde_json::{Map, json};

    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    /// Users with every shape the API form can take: fields set or not, profile attributes
    /// beside them (some shadowed by a field, some shown because the field is unset, hidden
    /// ones), metadata, non-ASCII names, and creation times with ties.
    fn users() -> Vec<StoredUser> {
        let epoch: DateTime<Utc> = "2024-03-01T10:00:00.000Z".parse().expect("a date");
        (0..24)
            .map(|i| {
                let email = match i % 4 {
                    0 => None,
                    1 => Some(format!("jane.{i}@example.com")),
                    2 => Some(format!("kate{i}@corp.example")),
                    _ => Some(format!("JANE{i}@Example.com")),
                };
                let extra = match i % 5 {
                    0 => json!({ "email": format!("legacy{i}@example.com"), "given_name": "Shadow", "tags": ["a", "b"] }),
                    1 => json!({ "password": "secret", "custom_password_hash": { "algorithm": "md5" }, "extra_attr": "x" }),
                    2 => json!({ "logins_count": 7, "blocked": "maybe", "user_metadata": { "langs": ["fr"] } }),
                    3 => json!({ "identities": "ignored", "user_id": "spoofed", "nested": { "deep": [{ "v": 1 }, { "v": null }] } }),
                    _ => json!({}),
                };
                StoredUser {
                    id: format!("u{i}"),
                    connection: if i % 3 == 0 { "db-a".into() } else { "db-b".into() },
                    email: email.clone(),
                    email_verified: i % 2 == 0,
                    username: (i % 6 == 0).then(|| format!("zero_cool{i}")),
                    phone_number: (i % 7 == 0).then(|| format!("+1555000{i:04}")),
                    phone_verified: i % 14 == 0,
                    name: if i % 8 == 5 { format!("Ünïcode Ñame {i}") } else { format!("Jane Doe {i}") },
                    nickname: format!("ZeroCool{i}"),
                    picture: "https://example.com/p.png".into(),
                    given_name: (i % 5 == 1).then(|| "Kate".to_owned()),
                    family_name: (i % 4 == 2).then(|| "Libby".to_owned()),
                    user_metadata: if i % 5 == 4 { map(json!({ "langs": ["en", "de"], "city": "Paris" })) } else { Map::new() },
                    app_metadata: if i % 2 == 1 { map(json!({ "plan": if i % 4 == 1 { "gold" } else { "free" } })) } else { Map::new() },
                    extra: map(extra),
                    // Pairs created in the same millisecond; one in between by microseconds.
                    created_at: epoch + Duration::seconds(i / 2) + Duration::microseconds(i % 2),
                    updated_at: epoch,
                    last_login: (i % 3 == 1).then(|| epoch + Duration::days(i)),
                    last_ip: (i % 3 == 1).then(|| "10.0.0.1".to_owned()),
                    logins_count: (i % 4) as u64,
                    last_password_reset: None,
                    blocked: (i % 9 == 0).then_some(i % 2 == 0),
                    password: None,
                    mfa_factors: Vec::new(),
                }
            })
            .collect()
    }

    const QUERIES: &[&str] = &[
        "email:jane*",
        "email:\"JANE3@EXAMPLE.COM\"",
        "email:*example.com",
        "email:legacy*",
        "name:jane*",
        "name:\"jane doe 4\"",
        "name:ünï*",
        "name:ÜNÏCODE*",
        "jane*",
        "ZEROCOOL1*",
        "user_id:\"auth0|u3\"",
        "user_id:auth0|u1*",
        "user_id:spoofed",
        "identities.connection:\"db-a\"",
        "identities.user_id:u5 OR identities.provider:auth0 AND identities.isSocial:false",
        "_exists_:identities",
        "_exists_:given_name",
        "given_name:Shadow OR given_name:Kate",
        "family_name:libby",
        "logins_count:[2 TO *]",
        "logins_count:7",
        "blocked:true OR blocked:maybe",
        "email_verified:false",
        "phone_verified:true OR phone_number:+1555*",
        "app_metadata.plan:gold",
        "_exists_:app_metadata",
        "user_metadata.langs:fr",
        "user_metadata.city:Paris",
        "_exists_:user_metadata",
        "password:secret OR _exists_:custom_password_hash",
        "extra_attr:x",
        "tags:b",
        "nested.deep.v:1",
        "_exists_:nested.deep.v",
        "NOT email:j*",
        "created_at:[2024-03-01T10:00:05.000Z TO *]",
        "created_at:{\"2024-03-01T10:00:03.000Z\" TO 2024-03-01T10:00:06.000Z]",
        "last_login:{* TO 2024-03-05}",
        "username:zero*",
        "email:jane* AND identities.connection:\"db-b\"",
        "user_id:\"auth0|u9\" AND NOT blocked:true",
        "user_id:\"auth0|nobody\"",
        "user_id:\"u3\"",
        "email:JANE3@example.COM OR name:\"jane doe 8\" OR nickname:zerocool1*",
        "(email:kate* OR nickname:zerocool2*) AND identities.connection:\"db-b\"",
        "nickname:zero*cool1",
        "email:legacy0@example.com",
        "identities.connection:db-a AND NOT email:jane*",
        "name:ünï* AND user_id:\"auth0|u13\"",
    ];

    #[test]
    fn a_stored_user_answers_a_query_as_its_api_form_does() {
        for user in users() {
            let api = user.to_api();
            for text in QUERIES {
                let query = lucene::parse(text).expect(text);
                assert_eq!(
                    lucene::matches(&query, &user),
                    lucene::matches(&query, &api),
                    "{text} on {api}"
                );
            }
        }
    }

    #[test]
    fn sort_keys_are_the_api_forms_top_level_fields() {
        let fields = [
            "user_id",
            "email",
            "email_verified",
            "username",
            "phone_number",
            "phone_verified",
            "name",
            "nickname",
            "picture",
            "given_name",
            "family_name",
            "created_at",
            "updated_at",
            "identities",
            "user_metadata",
            "app_metadata",
            "last_login",
            "last_ip",
            "logins_count",
            "last_password_reset",
            "blocked",
            "password",
            "custom_password_hash",
            "tags",
            "extra_attr",
            "nested",
            "absent",
        ];
        for user in users() {
            let api = user.to_api();
            for field in fields {
                assert_eq!(sort_key(&user, field), api.get(field).map(json_key), "{field} of {api}");
            }
        }
    }

    /// The search as it was: every user's API form, filtered, then a stable sort.
    fn reference(
        store: &UserStore,
        query: Option<&Query>,
        connection: Option<&str>,
        sort: Option<(&str, bool)>,
    ) -> Vec<String> {
        let mut users: Vec<Value> = store
            .iter()
            .filter(|u| connection.is_none_or(|c| u.connection == c))
            .map(StoredUser::to_api)
            .filter(|u| query.is_none_or(|q| lucene::matches(q, u)))
            .collect();
        if let Some((field, descending)) = sort {
            users.sort_by(|a, b| {
                let ordering = a.get(field).map(json_key).cmp(&b.get(field).map(json_key));
                if descending { ordering.reverse() } else { ordering }
            });
        }
        users
            .iter()
            .map(|u| u["user_id"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    #[test]
    fn searches_find_order_and_page_as_a_scan_of_every_user_would() {
        let mut store = UserStore::default();
        for user in users() {
            store.insert(user);
        }
        // A replaced user keeps its place; an updated one is re-indexed.
        let mut replaced = store.by_user_id("auth0|u4").expect("u4").clone();
        replaced.name = "Replaced".into();
        assert!(store.replace(replaced));
        store.update("db-b", "u5", |u| u.created_at += Duration::days(30));
        // Changes the indexed values: the old ones must no longer name the user.
        store.update("db-b", "u7", |u| {
            u.email = Some("renamed7@example.com".into());
            u.nickname = "Renamed".into();
            u.connection = "db-a".into();
        });
        store.remove_user_id("auth0|u11");
        let sorts = [
            None,
            Some(("created_at", false)),
            Some(("created_at", true)),
            Some(("email", false)),
            Some(("email", true)),
            Some(("logins_count", true)),
            Some(("given_name", false)),
            Some(("identities", false)),
        ];
        let indexed = |text: &str| {
            let query = lucene::parse(text).expect(text);
            store
                .search_within(Some(&query), None, Order::Stored, 0, 100, usize::MAX)
                .users
                .iter()
                .map(|u| u.user_id())
                .collect::<Vec<_>>()
        };
        assert_eq!(indexed("email:renamed7*"), ["auth0|u7"]);
        assert!(
            indexed("email:\"JANE7@example.com\"").is_empty(),
            "the old email names nobody"
        );
        assert!(indexed("nickname:zerocool7").is_empty());
        assert!(indexed("user_id:\"auth0|u11\"").is_empty());
        let mut queries: Vec<Option<Query>> = QUERIES.iter().map(|q| Some(lucene::parse(q).expect(q))).collect();
        queries.push(None);
        for query in &queries {
            for connection in [None, Some("db-a")] {
                for sort in sorts {
                    let expected = reference(&store, query.as_ref(), connection, sort);
                    let order = sort.map_or(Order::Stored, |(field, descending)| Order::By { field, descending });
                    for (start, limit) in [(0, 100), (0, 5), (5, 5), (20, 10), (100, 5)] {
                        // Through the indexes whenever they name users, never, and as chosen.
                        for cap in [usize::MAX, 0, 3] {
                            let page = store.search_within(query.as_ref(), connection, order, start, limit, cap);
                            let ids: Vec<String> = page.users.iter().map(|u| u.user_id()).collect();
                            let want: Vec<String> = expected.iter().skip(start).take(limit).cloned().collect();
                            assert_eq!(
                                page.total,
                                expected.len(),
                                "{query:?} {connection:?} {sort:?} cap {cap}"
                            );
                            assert_eq!(ids, want, "{query:?} {connection:?} {sort:?} from {start} cap {cap}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn removed_users_leave_the_creation_order() {
        let mut store = UserStore::default();
        for user in users() {
            store.insert(user);
        }
        store.remove_user_id("auth0|u23");
        store.remove_by_email("db-b", "kate10@corp.example");
        let page = store.search(
            None,
            None,
            Order::By {
                field: "created_at",
                descending: true,
            },
            0,
            3,
        );
        assert_eq!(page.total, 22);
        let ids: Vec<String> = page.users.iter().map(|u| u.user_id()).collect();
        // u20 and u21 were created in the same millisecond: creation order between them.
        assert_eq!(ids, ["auth0|u22", "auth0|u20", "auth0|u21"]);
    }
}
