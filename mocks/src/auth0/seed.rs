//! What the mock Auth0 can be seeded with: tenant settings, applications, connections and
//! users. The shapes follow Auth0's own objects (a connection's `options` is Auth0's options
//! object, free-form as it is there); everything else is strict (`deny_unknown_fields`).
//!
//! ```yaml
//! settings: { bcrypt_cost: 4, default_directory: okta-users }
//! clients:
//!   - name: Storefront
//!     grant_types: [password, "http://auth0.com/oauth/grant-type/password-realm"]
//! connections:
//!   - name: okta-users
//!     options:
//!       enabledDatabaseCustomization: true
//!       import_mode: true
//!       customScripts: { login: "function login(email, password, callback) { ... }" }
//!       configuration: { OKTA_URL: "http://127.0.0.1:4010" }
//! users:
//!   - { connection: okta-users, email: already.there@example.com, password: "S3cret!" }
//! ```

use serde::Deserialize;
use serde_json::{Map, Value};

/// The whole seed document.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth0Seed {
    #[serde(default)]
    pub settings: Option<SettingsSeed>,
    #[serde(default)]
    pub clients: Vec<ClientSeed>,
    #[serde(default)]
    pub connections: Vec<ConnectionSeed>,
    #[serde(default)]
    pub users: Vec<UserSeed>,
}

/// Tenant settings; absent fields keep their current value.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsSeed {
    /// The tenant's domain, e.g. `ferry.eu.auth0.com`: tokens are issued by `https://{domain}/`
    /// and the Management API audience `https://{domain}/api/v2/` is accepted besides the
    /// mock's own `{base_url}/api/v2/`.
    pub domain: Option<String>,
    /// bcrypt cost for passwords Auth0 hashes (Auth0: 10).
    pub bcrypt_cost: Option<u32>,
    /// Time limit of one script call, e.g. `20s`.
    pub script_time_limit: Option<String>,
    /// Memory limit of one script call in MiB.
    pub script_memory_limit_mib: Option<usize>,
    /// Connection used by the `password` grant (the tenant's "Default Directory").
    pub default_directory: Option<String>,
    /// Failed logins (per user and IP) before brute-force protection blocks (Auth0: 10).
    pub brute_force_max_attempts: Option<u32>,
    /// The shortest time an import job takes once it starts processing (mock clock), e.g.
    /// `300ms` (0 by default).
    pub import_job_min_duration: Option<String>,
    /// How long an import job stays `pending`, e.g. `2s` (the default).
    pub import_job_pending: Option<String>,
    /// Users one import job processes an hour: 20,000 by default (Auth0's free tier; its
    /// enterprise tier imports about ten times faster); 0 processes a file at once.
    pub import_users_per_hour: Option<u64>,
    /// The Management API's rate limits: a tier (`free`, the default, `self_service`,
    /// `enterprise`, `enterprise_non_production`), `off`, or buckets of one's own
    /// (`{ management: { burst: 2, per_second: 2 }, authentication: {...} }`).
    pub rate_limits: Option<super::limits::RateLimitsSeed>,
    /// Runs the tenant's clock this many times faster than the wall clock (`ferry serve` and
    /// benchmarks; a scenario's clock is virtual already), e.g. `1000`.
    pub clock_speed: Option<f64>,
    /// Auth0's Guardian policy: `never` (default) or `all-applications` (every password login
    /// answers `mfa_required`).
    pub mfa_policy: Option<String>,
    /// `false`: `DELETE /api/v2/users/{id}` also clears the user's record in the connection's
    /// internal store, so a deleted migrated user is migrated again at their next login instead
    /// of meeting "The user already exists." (default `true`, see FIDELITY `auth0/ghost-users`).
    pub ghost_users: Option<bool>,
}

/// An application.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSeed {
    pub name: String,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// `regular_web` (default), `spa`, `native` or `non_interactive`.
    pub app_type: Option<String>,
    /// Default: authorization_code, implicit, refresh_token, password and password-realm.
    pub grant_types: Option<Vec<String>>,
    /// Scopes granted on the Management API (a client grant); none by default.
    #[serde(default)]
    pub management_scopes: Vec<String>,
    /// How ID tokens are signed: `{ alg: HS256 }` signs them with the client secret; `RS256`
    /// (default), `RS512` and `PS256` with the tenant's key.
    pub jwt_configuration: Option<JwtConfigurationSeed>,
}

/// An application's `jwt_configuration`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtConfigurationSeed {
    pub alg: Option<String>,
    pub lifetime_in_seconds: Option<i64>,
}

/// A connection: a database connection (strategy `auth0`, the default), or one of
/// [`OTHER_STRATEGIES`](super::OTHER_STRATEGIES), kept only so that what refuses it can be shown.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSeed {
    pub name: String,
    pub id: Option<String>,
    #[serde(default = "auth0_strategy")]
    pub strategy: String,
    pub display_name: Option<String>,
    #[serde(default)]
    pub options: Map<String, Value>,
    /// Client names or ids; every client when absent.
    pub enabled_clients: Option<Vec<String>>,
    pub realms: Option<Vec<String>>,
    #[serde(default)]
    pub is_domain_connection: bool,
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

fn auth0_strategy() -> String {
    "auth0".into()
}

/// A user already in the Auth0 store.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSeed {
    pub connection: String,
    pub email: Option<String>,
    /// Hashed with bcrypt at seeding; a user without one cannot log in with a password.
    pub password: Option<String>,
    /// Without the `auth0|` prefix; 24 hex digits are generated when absent.
    pub user_id: Option<String>,
    pub username: Option<String>,
    #[serde(default)]
    pub email_verified: bool,
    pub phone_number: Option<String>,
    pub name: Option<String>,
    pub nickname: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub picture: Option<String>,
    #[serde(default)]
    pub user_metadata: Map<String, Value>,
    #[serde(default)]
    pub app_metadata: Map<String, Value>,
    pub blocked: Option<bool>,
    /// MFA enrollments, as in a bulk-import file: `[{ email: { value: a@b.co } }]`.
    pub mfa_factors: Option<Value>,
}
