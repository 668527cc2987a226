//! What the mock Stormpath stores (accounts, directories) and the JSON shapes of its resources:
//! Account, Custom Data, Provider Data, Directory, Provider, Application, Account Store
//! Mapping, Tenant and the collection resource (stormpath.md §6–§8, reference.rst examples).
//!
//! Every `href` is absolute on the mock's own origin (`{base}/v1/...`), as the real API wrote
//! them on `https://api.stormpath.com/v1/...`; keys come in the order of the reference's
//! examples. Passwords are kept as the Modular Crypt Format string Stormpath would have held and
//! are never rendered by the API (only the export carries them).

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::kit::clock::iso_millis;

/// An account's `status`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountStatus {
    #[default]
    Enabled,
    Disabled,
    Unverified,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Enabled => "ENABLED",
            AccountStatus::Disabled => "DISABLED",
            AccountStatus::Unverified => "UNVERIFIED",
        }
    }
}

impl fmt::Display for AccountStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An account's `emailVerificationStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EmailVerificationStatus {
    Unknown,
    Verified,
    Unverified,
}

impl EmailVerificationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailVerificationStatus::Unknown => "UNKNOWN",
            EmailVerificationStatus::Verified => "VERIFIED",
            EmailVerificationStatus::Unverified => "UNVERIFIED",
        }
    }
}

/// The `status` of a directory (or the application).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ResourceStatus {
    #[default]
    Enabled,
    Disabled,
}

impl ResourceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceStatus::Enabled => "ENABLED",
            ResourceStatus::Disabled => "DISABLED",
        }
    }
}

/// A Cloud Directory and its place among the application's account stores.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Directory {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) status: ResourceStatus,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) modified_at: DateTime<Utc>,
    /// Whether the directory is one of the application's account stores.
    pub(crate) mapped: bool,
    /// Id of its account store mapping (kept even while unmapped, so re-mapping is stable).
    pub(crate) mapping_id: String,
}

/// A stored account.
#[derive(Clone, PartialEq)]
pub(crate) struct StoredAccount {
    pub(crate) id: String,
    pub(crate) directory_id: String,
    /// Creation order, the order of unsorted listings.
    pub(crate) seq: u64,
    pub(crate) username: String,
    pub(crate) email: String,
    pub(crate) given_name: Option<String>,
    pub(crate) middle_name: Option<String>,
    pub(crate) surname: Option<String>,
    pub(crate) status: AccountStatus,
    pub(crate) email_verification_status: EmailVerificationStatus,
    /// Id of the pending email verification token (UNVERIFIED accounts).
    pub(crate) email_verification_token: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) modified_at: DateTime<Utc>,
    pub(crate) password_modified_at: Option<DateTime<Utc>>,
    /// The Modular Crypt Format hash (`$2a$…`, `$stormpath2$…`); none for accounts without a
    /// local password.
    pub(crate) password: Option<String>,
    pub(crate) custom_data: Map<String, Value>,
}

impl fmt::Debug for StoredAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredAccount")
            .field("id", &self.id)
            .field("directory_id", &self.directory_id)
            .field("username", &self.username)
            .field("email", &self.email)
            .field("status", &self.status)
            .field("password", &self.password.as_ref().map(|_| "[masked]"))
            .finish_non_exhaustive()
    }
}

/// A link object.
pub(crate) fn link(href: String) -> Value {
    Value::Object(Map::from_iter([("href".to_owned(), Value::String(href))]))
}

/// Builds hrefs on the mock's origin.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hrefs<'a> {
    pub(crate) base: &'a str,
}

impl Hrefs<'_> {
    /// `{base}/v1/{path}`.
    pub(crate) fn of(&self, path: &str) -> String {
        format!("{}/v1/{path}", self.base)
    }

    pub(crate) fn account(&self, id: &str) -> String {
        self.of(&format!("accounts/{id}"))
    }

    pub(crate) fn directory(&self, id: &str) -> String {
        self.of(&format!("directories/{id}"))
    }

    pub(crate) fn application(&self, id: &str) -> String {
        self.of(&format!("applications/{id}"))
    }

    pub(crate) fn tenant(&self, id: &str) -> String {
        self.of(&format!("tenants/{id}"))
    }

    pub(crate) fn mapping(&self, id: &str) -> String {
        self.of(&format!("accountStoreMappings/{id}"))
    }
}

impl StoredAccount {
    /// `givenName middleName surname`, leaving out the parts that are missing.
    pub(crate) fn full_name(&self) -> String {
        [&self.given_name, &self.middle_name, &self.surname]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The value of a searchable attribute as the search compares it (stormpath.md §7.3).
    pub(crate) fn attribute(&self, name: &str) -> Option<String> {
        match name {
            "username" => Some(self.username.clone()),
            "email" => Some(self.email.clone()),
            "givenName" => self.given_name.clone(),
            "middleName" => self.middle_name.clone(),
            "surname" => self.surname.clone(),
            "fullName" => Some(self.full_name()),
            "status" => Some(self.status.as_str().to_owned()),
            "createdAt" => Some(iso_millis(self.created_at)),
            "modifiedAt" => Some(iso_millis(self.modified_at)),
            "passwordModifiedAt" => self.password_modified_at.map(iso_millis),
            _ => None,
        }
    }

    /// The Custom Data resource: `href`, `createdAt`, `modifiedAt`, then the keys.
    pub(crate) fn custom_data_json(&self, hrefs: Hrefs<'_>) -> Value {
        let mut out = Map::new();
        out.insert(
            "href".into(),
            Value::String(format!("{}/customData", hrefs.account(&self.id))),
        );
        out.insert("createdAt".into(), Value::String(iso_millis(self.created_at)));
        out.insert("modifiedAt".into(), Value::String(iso_millis(self.modified_at)));
        for (key, value) in &self.custom_data {
            out.insert(key.clone(), value.clone());
        }
        Value::Object(out)
    }

    /// The Provider Data resource of a Cloud Directory account.
    pub(crate) fn provider_data_json(&self, hrefs: Hrefs<'_>) -> Value {
        json!({
            "href": format!("{}/providerData", hrefs.account(&self.id)),
            "createdAt": iso_millis(self.created_at),
            "modifiedAt": iso_millis(self.modified_at),
            "providerId": "stormpath",
        })
    }

    /// The Account resource with every link; `expanded` supplies the resources that replace the
    /// links named in `?expand=`.
    pub(crate) fn to_json(&self, hrefs: Hrefs<'_>, tenant_id: &str, expanded: &Map<String, Value>) -> Value {
        let href = hrefs.account(&self.id);
        let sub = |name: &str| link(format!("{href}/{name}"));
        let opt = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
        let mut out = Map::new();
        out.insert("href".into(), Value::String(href.clone()));
        out.insert("username".into(), Value::String(self.username.clone()));
        out.insert("email".into(), Value::String(self.email.clone()));
        out.insert("givenName".into(), opt(&self.given_name));
        out.insert("middleName".into(), opt(&self.middle_name));
        out.insert("surname".into(), opt(&self.surname));
        out.insert("fullName".into(), Value::String(self.full_name()));
        out.insert("status".into(), Value::String(self.status.as_str().into()));
        out.insert("createdAt".into(), Value::String(iso_millis(self.created_at)));
        out.insert("modifiedAt".into(), Value::String(iso_millis(self.modified_at)));
        out.insert(
            "passwordModifiedAt".into(),
            self.password_modified_at
                .map_or(Value::Null, |t| Value::String(iso_millis(t))),
        );
        out.insert(
            "emailVerificationStatus".into(),
            Value::String(self.email_verification_status.as_str().into()),
        );
        out.insert(
            "emailVerificationToken".into(),
            self.email_verification_token.as_ref().map_or(Value::Null, |token| {
                link(hrefs.of(&format!("accounts/emailVerificationTokens/{token}")))
            }),
        );
        out.insert("customData".into(), sub("customData"));
        out.insert("providerData".into(), sub("providerData"));
        out.insert("directory".into(), link(hrefs.directory(&self.directory_id)));
        out.insert("tenant".into(), link(hrefs.tenant(tenant_id)));
        for name in ACCOUNT_COLLECTIONS {
            out.insert((*name).into(), sub(name));
        }
        for (name, value) in expanded {
            if let Some(slot) = out.get_mut(name) {
                *slot = value.clone();
            }
        }
        Value::Object(out)
    }

    /// The account as the export writes it: the REST fields plus `id`, the Custom Data embedded
    /// as an object, the directory as `{id, href, name}`, and the `password` hash when there is
    /// one (stormpath.md §9.1).
    pub(crate) fn export_json(&self, hrefs: Hrefs<'_>, tenant_id: &str, directory: Option<&Directory>) -> Value {
        let mut out = Map::new();
        out.insert("id".into(), Value::String(self.id.clone()));
        let Value::Object(rest) = self.to_json(hrefs, tenant_id, &Map::new()) else {
            return Value::Object(out);
        };
        for (key, value) in rest {
            out.insert(key, value);
        }
        let mut custom = Map::new();
        custom.insert("id".into(), Value::String(self.id.clone()));
        if let Value::Object(data) = self.custom_data_json(hrefs) {
            custom.extend(data);
        }
        out.insert("customData".into(), Value::Object(custom));
        out.insert(
            "directory".into(),
            json!({
                "id": self.directory_id,
                "href": hrefs.directory(&self.directory_id),
                "name": directory.map(|d| d.name.clone()),
            }),
        );
        if let Some(password) = &self.password {
            out.insert("password".into(), Value::String(password.clone()));
        }
        Value::Object(out)
    }
}

/// The collections linked from an account, in the reference's order (after `tenant`).
pub(crate) const ACCOUNT_COLLECTIONS: &[&str] = &[
    "groups",
    "groupMemberships",
    "applications",
    "apiKeys",
    "accessTokens",
    "refreshTokens",
    "linkedAccounts",
    "accountLinks",
    "phones",
    "factors",
];

impl Directory {
    pub(crate) fn to_json(&self, hrefs: Hrefs<'_>, tenant_id: &str, expanded: &Map<String, Value>) -> Value {
        let href = hrefs.directory(&self.id);
        let sub = |name: &str| link(format!("{href}/{name}"));
        let mut out = Map::new();
        out.insert("href".into(), Value::String(href.clone()));
        out.insert("name".into(), Value::String(self.name.clone()));
        out.insert(
            "description".into(),
            self.description.clone().map_or(Value::Null, Value::String),
        );
        out.insert("status".into(), Value::String(self.status.as_str().into()));
        out.insert("createdAt".into(), Value::String(iso_millis(self.created_at)));
        out.insert("modifiedAt".into(), Value::String(iso_millis(self.modified_at)));
        out.insert("tenant".into(), link(hrefs.tenant(tenant_id)));
        out.insert("provider".into(), sub("provider"));
        out.insert("customData".into(), sub("customData"));
        out.insert(
            "passwordPolicy".into(),
            link(hrefs.of(&format!("passwordPolicies/{}", self.id))),
        );
        out.insert(
            "accountCreationPolicy".into(),
            link(hrefs.of(&format!("accountCreationPolicies/{}", self.id))),
        );
        for name in [
            "accounts",
            "applicationMappings",
            "applications",
            "groups",
            "organizations",
            "organizationMappings",
        ] {
            out.insert(name.into(), sub(name));
        }
        for (name, value) in expanded {
            if let Some(slot) = out.get_mut(name) {
                *slot = value.clone();
            }
        }
        Value::Object(out)
    }

    /// The Provider resource of a Cloud Directory.
    pub(crate) fn provider_json(&self, hrefs: Hrefs<'_>) -> Value {
        json!({
            "href": format!("{}/provider", hrefs.directory(&self.id)),
            "createdAt": iso_millis(self.created_at),
            "modifiedAt": iso_millis(self.modified_at),
            "providerId": "stormpath",
        })
    }

    /// The Custom Data resource of a directory (always empty here).
    pub(crate) fn custom_data_json(&self, hrefs: Hrefs<'_>) -> Value {
        json!({
            "href": format!("{}/customData", hrefs.directory(&self.id)),
            "createdAt": iso_millis(self.created_at),
            "modifiedAt": iso_millis(self.modified_at),
        })
    }
}

/// A collection resource: `href`, `offset`, `limit`, `size`, `items`.
pub(crate) fn collection(href: String, offset: usize, limit: usize, size: usize, items: Vec<Value>) -> Value {
    Value::Object(Map::from_iter([
        ("href".to_owned(), Value::String(href)),
        ("offset".to_owned(), Value::from(offset)),
        ("limit".to_owned(), Value::from(limit)),
        ("size".to_owned(), Value::from(size)),
        ("items".to_owned(), Value::Array(items)),
    ]))
}
