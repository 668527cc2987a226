//! The users of the tenant, indexed. Lookups by email, username and id are what every login,
//! import row and Management API read does; with a million imported users a scan per lookup
//! would be quadratic, so the store keeps hash indexes beside the records. Iteration is in
//! creation order.

use std::collections::{BTreeMap, HashMap};

use super::model::StoredUser;

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
}

impl UserStore {
    fn index(&mut self, seq: u64) {
        let Some(user) = self.users.get(&seq) else { return };
        let connection = user.connection.clone();
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
