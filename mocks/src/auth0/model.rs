//! The tenant's data: clients (applications), connections and stored users, and how a stored
//! user is shown by the Management API.
//!
//! A stored user keeps what Auth0 keeps, including its password hash; [`StoredUser::to_api`]
//! is the one place that turns it into the JSON the Management API returns, and it never
//! includes a hash.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::kit::clock::iso_millis;

use super::password::PasswordHash;

/// The grant type string for the password-realm grant.
pub const GRANT_PASSWORD_REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";

/// An application registered in the tenant.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Client {
    pub name: String,
    pub client_id: String,
    #[serde(skip_serializing)]
    pub client_secret: String,
    pub app_type: String,
    pub grant_types: Vec<String>,
    /// Scopes of this client's grant to the Management API; empty means no grant.
    pub management_scopes: Vec<String>,
    /// How its ID tokens are signed (`jwt_configuration` on Auth0).
    #[serde(default)]
    pub jwt_configuration: JwtConfiguration,
    /// Other client properties Auth0 accepts that the mock keeps and shows but does not act on
    /// (`callbacks`, `description`, ...).
    #[serde(default)]
    pub extra: Map<String, Value>,
}

/// The algorithm an application's ID tokens are signed with (Auth0's `SigningAlgorithmEnum`):
/// `RS256`, `RS512` and `PS256` with the tenant's key (published at `/.well-known/jwks.json`),
/// `HS256` with the client secret.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub enum SigningAlg {
    #[default]
    RS256,
    HS256,
    RS512,
    PS256,
}

impl SigningAlg {
    /// The algorithms Auth0 offers for ID tokens.
    pub const ALL: [SigningAlg; 4] = [
        SigningAlg::HS256,
        SigningAlg::RS256,
        SigningAlg::RS512,
        SigningAlg::PS256,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::RS256 => "RS256",
            SigningAlg::HS256 => "HS256",
            SigningAlg::RS512 => "RS512",
            SigningAlg::PS256 => "PS256",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.as_str() == text)
    }
}

/// An application's `jwt_configuration`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JwtConfiguration {
    pub alg: SigningAlg,
    /// Lifetime of its ID tokens (Auth0's default: 36,000 seconds).
    pub lifetime_in_seconds: i64,
}

impl Default for JwtConfiguration {
    fn default() -> Self {
        Self {
            alg: SigningAlg::RS256,
            lifetime_in_seconds: 36_000,
        }
    }
}

impl Client {
    pub fn allows_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }

    /// The client as `GET /api/v2/clients` shows it (secret included, as Auth0 does for
    /// Management API callers with `read:client_keys`; never shown on the admin state view).
    pub fn to_api(&self) -> Value {
        let mut out = Value::Object(self.extra.clone());
        out["name"] = json!(self.name);
        out["client_id"] = json!(self.client_id);
        out["app_type"] = json!(self.app_type);
        out["grant_types"] = json!(self.grant_types);
        out["jwt_configuration"] = json!({
            "alg": self.jwt_configuration.alg.as_str(),
            "lifetime_in_seconds": self.jwt_configuration.lifetime_in_seconds,
            "secret_encoded": false,
        });
        out
    }
}

/// A connection (only database connections are modelled).
#[derive(Clone, Debug, PartialEq)]
pub struct Connection {
    pub id: String,
    pub name: String,
    pub strategy: String,
    pub display_name: Option<String>,
    /// Auth0's free-form options object, kept as given; typed views below.
    pub options: Map<String, Value>,
    /// Client ids this connection is enabled for.
    pub enabled_clients: Vec<String>,
    pub realms: Vec<String>,
    pub is_domain_connection: bool,
    pub metadata: Map<String, Value>,
}

/// The custom database scripts Auth0 knows, by their key in `options.customScripts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScriptKind {
    Login,
    GetUser,
    Create,
    Verify,
    ChangePassword,
    Delete,
    ChangeEmail,
    ChangeUsername,
    ChangePhoneNumber,
}

impl ScriptKind {
    /// The key in `options.customScripts`.
    pub fn key(self) -> &'static str {
        match self {
            ScriptKind::Login => "login",
            ScriptKind::GetUser => "get_user",
            ScriptKind::Create => "create",
            ScriptKind::Verify => "verify",
            ScriptKind::ChangePassword => "change_password",
            ScriptKind::Delete => "delete",
            ScriptKind::ChangeEmail => "change_email",
            ScriptKind::ChangeUsername => "change_username",
            ScriptKind::ChangePhoneNumber => "change_phone_number",
        }
    }
}

impl Connection {
    /// A database connection (strategy `auth0`): the only kind that holds users with passwords,
    /// runs custom database scripts and takes bulk imports. Connections of other strategies
    /// (`google-oauth2`, `email`, `samlp`, ...) can be seeded so that what refuses them can be
    /// shown; they do nothing else.
    pub fn is_database(&self) -> bool {
        self.strategy == "auth0"
    }

    fn flag(&self, key: &str) -> bool {
        self.options.get(key).and_then(Value::as_bool).unwrap_or(false)
    }

    /// "Use my own database".
    pub fn custom_db(&self) -> bool {
        self.flag("enabledDatabaseCustomization")
    }

    /// "Import Users to Auth0" (automatic migration).
    pub fn import_mode(&self) -> bool {
        self.flag("import_mode")
    }

    pub fn enable_script_context(&self) -> bool {
        self.flag("enable_script_context")
    }

    pub fn requires_username(&self) -> bool {
        self.flag("requires_username")
    }

    /// Brute-force protection is on unless switched off.
    pub fn brute_force_protection(&self) -> bool {
        self.options
            .get("brute_force_protection")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }

    /// A custom script's source, if set and not empty.
    pub fn script(&self, kind: ScriptKind) -> Option<&str> {
        self.options
            .get("customScripts")
            .and_then(|s| s.get(kind.key()))
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    }

    /// The configuration values scripts see as `configuration`.
    pub fn configuration(&self) -> BTreeMap<String, String> {
        self.options
            .get("configuration")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn is_enabled_for(&self, client_id: &str) -> bool {
        self.enabled_clients.iter().any(|c| c == client_id)
    }

    /// The connection as the Management API returns it. Configuration values are secrets
    /// (Auth0 stores them encrypted and returns them masked), so they are not shown.
    pub fn to_api(&self) -> Value {
        let mut options = self.options.clone();
        if let Some(Value::Object(config)) = options.get_mut("configuration") {
            for value in config.values_mut() {
                *value = Value::String("[masked]".into());
            }
        }
        let mut out = json!({
            "id": self.id,
            "name": self.name,
            "strategy": self.strategy,
            "options": options,
            "enabled_clients": self.enabled_clients,
            "realms": self.realms,
            "is_domain_connection": self.is_domain_connection,
        });
        if let Some(display_name) = &self.display_name {
            out["display_name"] = json!(display_name);
        }
        if !self.metadata.is_empty() {
            out["metadata"] = Value::Object(self.metadata.clone());
        }
        out
    }
}

/// A user in the Auth0 store of one connection.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredUser {
    /// The id without the `auth0|` prefix (the identity's `user_id`).
    pub id: String,
    pub connection: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub username: Option<String>,
    pub phone_number: Option<String>,
    pub phone_verified: bool,
    pub name: String,
    pub nickname: String,
    pub picture: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub user_metadata: Map<String, Value>,
    pub app_metadata: Map<String, Value>,
    /// Other attributes a login script returned; kept on the profile as Auth0 does.
    pub extra: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login: Option<DateTime<Utc>>,
    pub last_ip: Option<String>,
    pub logins_count: u64,
    pub last_password_reset: Option<DateTime<Utc>>,
    pub blocked: Option<bool>,
    /// None for users whose credentials stay in the legacy store (import mode off).
    pub password: Option<PasswordHash>,
    /// MFA enrollments carried over from a legacy system (bulk import or a login script's
    /// profile); see `mfa.rs`.
    pub mfa_factors: Vec<super::mfa::MfaFactor>,
}

impl StoredUser {
    /// `auth0|<id>`.
    pub fn user_id(&self) -> String {
        format!("auth0|{}", self.id)
    }

    /// The user as the Management API returns it (`GET /api/v2/users/{id}`): never a hash.
    pub fn to_api(&self) -> Value {
        let mut out = Map::new();
        // Extra profile attributes first, so that the normalized fields below win over any
        // attribute of the same name a script returned.
        for (k, v) in &self.extra {
            out.insert(k.clone(), v.clone());
        }
        out.insert("user_id".into(), json!(self.user_id()));
        if let Some(email) = &self.email {
            out.insert("email".into(), json!(email));
            out.insert("email_verified".into(), json!(self.email_verified));
        }
        if let Some(username) = &self.username {
            out.insert("username".into(), json!(username));
        }
        if let Some(phone) = &self.phone_number {
            out.insert("phone_number".into(), json!(phone));
            out.insert("phone_verified".into(), json!(self.phone_verified));
        }
        out.insert("name".into(), json!(self.name));
        out.insert("nickname".into(), json!(self.nickname));
        out.insert("picture".into(), json!(self.picture));
        if let Some(given) = &self.given_name {
            out.insert("given_name".into(), json!(given));
        }
        if let Some(family) = &self.family_name {
            out.insert("family_name".into(), json!(family));
        }
        out.insert("created_at".into(), json!(iso_millis(self.created_at)));
        out.insert("updated_at".into(), json!(iso_millis(self.updated_at)));
        out.insert(
            "identities".into(),
            json!([{
                "connection": self.connection,
                "user_id": self.id,
                "provider": "auth0",
                "isSocial": false,
            }]),
        );
        if !self.user_metadata.is_empty() {
            out.insert("user_metadata".into(), Value::Object(self.user_metadata.clone()));
        }
        if !self.app_metadata.is_empty() {
            out.insert("app_metadata".into(), Value::Object(self.app_metadata.clone()));
        }
        if let Some(last_login) = self.last_login {
            out.insert("last_login".into(), json!(iso_millis(last_login)));
        }
        if let Some(last_ip) = &self.last_ip {
            out.insert("last_ip".into(), json!(last_ip));
        }
        if self.logins_count > 0 {
            out.insert("logins_count".into(), json!(self.logins_count));
        }
        if let Some(reset) = self.last_password_reset {
            out.insert("last_password_reset".into(), json!(iso_millis(reset)));
        }
        if let Some(blocked) = self.blocked {
            out.insert("blocked".into(), json!(blocked));
        }
        if !self.mfa_factors.is_empty() {
            // Imported enrollments are Guardian enrollments.
            out.insert("multifactor".into(), json!(["guardian"]));
        }
        for secret in ["password", "password_hash", "custom_password_hash", "passwordHash"] {
            out.remove(secret);
        }
        Value::Object(out)
    }

    /// Whether this user is the one an identifier (email or username) names.
    pub fn answers_to(&self, identifier: &str) -> bool {
        let lower = identifier.to_lowercase();
        self.email.as_deref() == Some(lower.as_str()) || self.username.as_deref() == Some(lower.as_str())
    }
}

/// What Auth0 keeps about a user in a database connection's internal store besides the profile
/// the Management API shows (auth0.md §1.6 step 6; FIDELITY `auth0/ghost-users`): automatic
/// migration writes a partial profile here first and the full profile after it, and a login
/// through a legacy-authentication connection leaves a partial record of its own. A record
/// without a profile is a "ghost": the user is in the connection but not in the tenant, and a
/// later import, creation or migration of the same email fails with "The user already exists."
/// until `DELETE /api/v2/connections/{id}/users?email=` removes it.
#[derive(Clone, Debug, Default)]
pub(crate) struct ConnectionStore {
    /// By (connection name, lower-cased email).
    records: std::collections::HashMap<(String, String), InternalRecord>,
    next_ticket: u64,
}

/// One record of a connection's internal store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct InternalRecord {
    /// The user's id (without `auth0|`).
    pub(crate) id: String,
    pub(crate) kind: RecordKind,
    /// The migration that wrote it (see [`ConnectionStore::begin_migration`]).
    pub(crate) ticket: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RecordKind {
    /// Written by automatic migration (import mode), before the full profile.
    Migrated,
    /// Left by a login through a legacy-authentication connection (import mode off).
    LegacyLogin,
}

impl ConnectionStore {
    fn key(connection: &str, email: &str) -> (String, String) {
        (connection.to_owned(), email.to_lowercase())
    }

    pub(crate) fn get(&self, connection: &str, email: &str) -> Option<&InternalRecord> {
        self.records.get(&Self::key(connection, email))
    }

    /// Writes a record; returns its ticket.
    pub(crate) fn write(&mut self, connection: &str, email: &str, id: &str, kind: RecordKind) -> u64 {
        self.next_ticket += 1;
        let ticket = self.next_ticket;
        self.records.insert(
            Self::key(connection, email),
            InternalRecord {
                id: id.to_owned(),
                kind,
                ticket,
            },
        );
        ticket
    }

    pub(crate) fn remove(&mut self, connection: &str, email: &str) -> Option<InternalRecord> {
        self.records.remove(&Self::key(connection, email))
    }

    /// Forgets every record of a connection (the connection was deleted).
    pub(crate) fn remove_connection(&mut self, connection: &str) {
        self.records.retain(|(c, _), _| c != connection);
    }

    /// A user's email changed: their record follows.
    pub(crate) fn rename(&mut self, connection: &str, from: &str, to: &str) {
        if let Some(record) = self.records.remove(&Self::key(connection, from)) {
            self.records.insert(Self::key(connection, to), record);
        }
    }
}

/// The default `nickname`: the local part of the email, else the username.
pub fn default_nickname(email: Option<&str>, username: Option<&str>) -> String {
    match (email, username) {
        (Some(email), _) => email.split('@').next().unwrap_or(email).to_owned(),
        (None, Some(username)) => username.to_owned(),
        (None, None) => String::new(),
    }
}

/// The default `picture`: the Gravatar of the email, falling back to Auth0's initials avatar.
pub fn default_picture(email: Option<&str>, name: &str) -> String {
    let digest = Md5::digest(email.unwrap_or("").trim().to_lowercase().as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "https://s.gravatar.com/avatar/{hex}?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2F{}.png",
        initials(name)
    )
}

/// Two lower-case initials: of the first two words of the name, or its first two letters.
fn initials(name: &str) -> String {
    let source = name.split('@').next().unwrap_or(name);
    let words: Vec<&str> = source
        .split(|c: char| c.is_whitespace() || c == '.' || c == '_' || c == '-')
        .filter(|w| !w.is_empty())
        .collect();
    let letters: String = if words.len() >= 2 {
        words.iter().take(2).filter_map(|w| w.chars().next()).collect()
    } else {
        source.chars().filter(|c| c.is_alphanumeric()).take(2).collect()
    };
    let letters = letters.to_lowercase();
    if letters.is_empty() {
        "default".into()
    } else {
        percent_encoding::utf8_percent_encode(&letters, percent_encoding::NON_ALPHANUMERIC).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_picture_is_the_gravatar_of_the_lower_cased_email() {
        // md5("jane@example.com") = 9e26471d35a78862c17e467d87cddedf
        assert_eq!(
            default_picture(Some(" Jane@Example.com "), "Jane Doe"),
            "https://s.gravatar.com/avatar/9e26471d35a78862c17e467d87cddedf?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2Fjd.png"
        );
        assert!(default_picture(Some("dade@example.com"), "dade@example.com").ends_with("%2Fda.png"));
    }

    #[test]
    fn nickname_defaults_to_the_local_part() {
        assert_eq!(default_nickname(Some("dade.murphy@example.com"), None), "dade.murphy");
        assert_eq!(default_nickname(Some("a@b.c"), Some("zero_cool")), "a");
        assert_eq!(default_nickname(None, Some("zero_cool")), "zero_cool");
    }
}
