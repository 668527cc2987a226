//! The mock tenant's mutable state behind one lock: settings, directories in account-store
//! mapping order, accounts by id, and the SAuthc1 nonces already used.
//!
//! The application's account stores are its mapped directories, in list order; the first one is
//! the default account store (`directory_id` of the settings). Accounts are kept by id; unsorted
//! listings follow their creation order (`seq`), so "the first match" of a search is the account
//! seeded first — a deterministic stand-in for the order Stormpath left unspecified.

use std::collections::{BTreeMap, HashSet, VecDeque};

use chrono::{DateTime, Utc};

use super::model::{Directory, ResourceStatus, StoredAccount};
use super::settings::StormpathSettings;

/// How many SAuthc1 nonces are remembered for replay detection.
const NONCE_MEMORY: usize = 10_000;

#[derive(Debug)]
pub(crate) struct Store {
    pub(crate) settings: StormpathSettings,
    /// When the tenant, application and default directory were created.
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) directories: Vec<Directory>,
    pub(crate) accounts: BTreeMap<String, StoredAccount>,
    pub(crate) next_seq: u64,
    nonces: VecDeque<String>,
    seen_nonces: HashSet<String>,
    /// Requests per client IP (the socket peer).
    pub(crate) requests_by_ip: BTreeMap<String, u64>,
}

/// Whether two usernames or emails are the same, ignoring case (Unicode-aware).
pub(crate) fn same_identifier(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || (!a.is_ascii() && a.to_lowercase() == b.to_lowercase())
}

impl Store {
    pub(crate) fn new(settings: StormpathSettings, now: DateTime<Utc>, default_mapping_id: String) -> Self {
        let directory = Directory {
            id: settings.directory_id.clone(),
            name: settings.directory_name.clone(),
            description: None,
            status: ResourceStatus::Enabled,
            created_at: now,
            modified_at: now,
            mapped: true,
            mapping_id: default_mapping_id,
        };
        Self {
            settings,
            created_at: now,
            directories: vec![directory],
            accounts: BTreeMap::new(),
            next_seq: 0,
            nonces: VecDeque::new(),
            seen_nonces: HashSet::new(),
            requests_by_ip: BTreeMap::new(),
        }
    }

    pub(crate) fn directory(&self, id: &str) -> Option<&Directory> {
        self.directories.iter().find(|d| d.id == id)
    }

    /// The application's account stores, in mapping order.
    pub(crate) fn mapped_directories(&self) -> impl Iterator<Item = &Directory> {
        self.directories.iter().filter(|d| d.mapped)
    }

    /// Accounts in creation order, filtered.
    pub(crate) fn accounts_where(&self, keep: impl Fn(&StoredAccount) -> bool) -> Vec<&StoredAccount> {
        let mut found: Vec<&StoredAccount> = self.accounts.values().filter(|a| keep(a)).collect();
        found.sort_by_key(|a| a.seq);
        found
    }

    /// The accounts of the application: those of its mapped directories.
    pub(crate) fn application_accounts(&self) -> Vec<&StoredAccount> {
        self.accounts_where(|a| self.directory(&a.directory_id).is_some_and(|d| d.mapped))
    }

    /// The account of `directory` whose username or email is `identifier` (ignoring case).
    pub(crate) fn find_in_directory(&self, directory: &str, identifier: &str) -> Option<&StoredAccount> {
        self.accounts_where(|a| {
            a.directory_id == directory
                && (same_identifier(&a.username, identifier) || same_identifier(&a.email, identifier))
        })
        .into_iter()
        .next()
    }

    /// Records an SAuthc1 nonce; false when it was seen before.
    pub(crate) fn use_nonce(&mut self, nonce: &str) -> bool {
        if self.seen_nonces.contains(nonce) {
            return false;
        }
        if self.nonces.len() >= NONCE_MEMORY
            && let Some(old) = self.nonces.pop_front()
        {
            self.seen_nonces.remove(&old);
        }
        self.nonces.push_back(nonce.to_owned());
        self.seen_nonces.insert(nonce.to_owned());
        true
    }
}
