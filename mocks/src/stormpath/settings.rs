//! The tenant-wide knobs of the mock Stormpath (stormpath.md §10): the ids and names of the
//! tenant, the application and its default directory, the API key, how seeded plain-text
//! passwords are stored, the collection `size` semantics, the export layout, SAuthc1 checks and
//! the optional rate limit.
//!
//! [`StormpathSettings`] is what [`super::Stormpath::with_settings`] takes; a seed's `settings:`
//! section changes any part of it later ([`super::seed::SettingsSeed`]), and `reset` goes back to
//! the settings the mock was built with.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Id of the mock's tenant (22-character base62, as Stormpath ids were).
pub const DEFAULT_TENANT_ID: &str = "1gBTncWsp2ObQGgFerry01";
/// Name and key of the tenant (the key is lower-case letters and dashes).
pub const DEFAULT_TENANT_NAME: &str = "ferry-tenant";
/// Id of the one application the mock serves.
pub const DEFAULT_APPLICATION_ID: &str = "1gk4Dxzi6o4PbdlFerry01";
/// Name of the application ("My Application" is what Stormpath created for every new tenant).
pub const DEFAULT_APPLICATION_NAME: &str = "My Application";
/// Id of the application's default (first-mapped) directory.
pub const DEFAULT_DIRECTORY_ID: &str = "2SKhstu8PlaekcaFerry01";
/// Name of that directory.
pub const DEFAULT_DIRECTORY_NAME: &str = "Ferry Users";
/// API key id (Stormpath key ids were 25 upper-case letters and digits).
pub const DEFAULT_API_KEY_ID: &str = "FERRY0STORMPATH0APIKEY001";
/// API key secret (Stormpath secrets were 43 characters of Base64).
pub const DEFAULT_API_KEY_SECRET: &str = "FerryStormpathMockSecret/8xK2+pQ4vN7wR1sT5u";
/// bcrypt cost for seeded plain-text passwords unless a seed says otherwise.
pub const DEFAULT_BCRYPT_COST: u32 = 10;

/// Tenant-wide behaviour of the mock.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct StormpathSettings {
    pub tenant_id: String,
    pub tenant_name: String,
    pub application_id: String,
    pub application_name: String,
    pub directory_id: String,
    pub directory_name: String,
    pub api_key_id: String,
    /// Never shown by `state()` or `Debug`.
    #[serde(skip)]
    pub api_key_secret: String,
    /// How a seeded `password` (plain text) is stored.
    pub password_format: PasswordFormat,
    /// bcrypt cost when `password_format` is bcrypt.
    pub bcrypt_cost: u32,
    /// Digest of `$stormpath2$` hashes when `password_format` is stormpath2.
    pub stormpath2_algorithm: String,
    /// Iterations of `$stormpath2$` hashes.
    pub stormpath2_iterations: u32,
    /// What a collection's `size` counts.
    pub collection_size: CollectionSize,
    /// Folder layout of the export.
    pub export_layout: ExportLayout,
    /// Largest difference between `X-Stormpath-Date` and the mock clock that SAuthc1 accepts, in
    /// seconds; 0 turns the check off.
    pub sauthc1_max_skew_seconds: u64,
    /// Whether an SAuthc1 nonce may be used only once.
    pub sauthc1_reject_replayed_nonces: bool,
    /// Requests admitted per second (all API calls of the tenant together); 0 means no limit.
    pub rate_limit_per_second: u64,
}

impl Default for StormpathSettings {
    fn default() -> Self {
        Self {
            tenant_id: DEFAULT_TENANT_ID.into(),
            tenant_name: DEFAULT_TENANT_NAME.into(),
            application_id: DEFAULT_APPLICATION_ID.into(),
            application_name: DEFAULT_APPLICATION_NAME.into(),
            directory_id: DEFAULT_DIRECTORY_ID.into(),
            directory_name: DEFAULT_DIRECTORY_NAME.into(),
            api_key_id: DEFAULT_API_KEY_ID.into(),
            api_key_secret: DEFAULT_API_KEY_SECRET.into(),
            password_format: PasswordFormat::Bcrypt,
            bcrypt_cost: DEFAULT_BCRYPT_COST,
            stormpath2_algorithm: "SHA-256".into(),
            stormpath2_iterations: 1,
            collection_size: CollectionSize::Total,
            export_layout: ExportLayout::Nested,
            sauthc1_max_skew_seconds: 900,
            sauthc1_reject_replayed_nonces: true,
            rate_limit_per_second: 0,
        }
    }
}

impl fmt::Debug for StormpathSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StormpathSettings")
            .field("tenant_id", &self.tenant_id)
            .field("application_id", &self.application_id)
            .field("directory_id", &self.directory_id)
            .field("api_key_id", &self.api_key_id)
            .field("api_key_secret", &"[masked]")
            .field("password_format", &self.password_format)
            .field("collection_size", &self.collection_size)
            .field("export_layout", &self.export_layout)
            .field("rate_limit_per_second", &self.rate_limit_per_second)
            .finish_non_exhaustive()
    }
}

impl StormpathSettings {
    /// The tenant's key: its name, lower-cased, with anything but letters and digits as dashes.
    pub fn tenant_key(&self) -> String {
        let key: String = self
            .tenant_name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        key.trim_matches('-').to_owned()
    }
}

/// How a plain-text seed password is kept: Stormpath's export delivered bcrypt (`$2a$`) for
/// passwords it had hashed itself and `$stormpath2$` for imported legacy hashes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordFormat {
    #[default]
    Bcrypt,
    Stormpath2,
}

/// The `size` of a collection: the total number of matches (what the Python SDK's `len()`
/// reads) or the number of items on the page (the reference's wording).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionSize {
    #[default]
    Total,
    Page,
}

/// Where account files go in the export: `accounts/{directoryId}/{accountId}.json` (the
/// importer README) or `accounts/{accountId}.json` (what later importer versions read).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportLayout {
    #[default]
    Nested,
    Flat,
}
