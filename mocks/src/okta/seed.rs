//! Ferry's seed format for the mock Okta (snake_case keys, unknown keys refused), and how a seed
//! becomes stored users.
//!
//! ```yaml
//! settings:                       # every key optional; only the keys given change
//!   api_tokens: ["00ferry-okta-api-token", {token: "00other", owner: admin@example.com}]
//!   lockout: { max_attempts: 10, show_failures: false }
//!   rate_limits: { authn_per_minute: 600, users_list_per_minute: 600, users_get_per_minute: 1000,
//!                  other_per_minute: 600, authn_per_user_per_second: 4 }
//!   nullable_names: false
//!   missing_token: invalid_session # default (403 E0000005); invalid_token: 401 E0000011
//!   password_policy: { warn_days: 5, complexity: { min_length: 8, min_lower_case: 1,
//!                      min_upper_case: 1, min_number: 1, min_symbol: 0 } }
//! users:
//!   - login: dade.murphy@example.com
//!     id: 00ub0oNGTSWTBKOLGLNR       # optional
//!     password: "Hunter2!"           # optional
//!     status: ACTIVE                 # default
//!     profile: { firstName: Dade, lastName: Murphy, timezone: America/Los_Angeles }
//!     mfa: { required: [ { factor_type: sms, provider: OKTA, profile: { phoneNumber: "+1 XXX-XXX-1337" } } ] }
//!     password_expired: false
//!     password_warn: false
//!     created: 2024-01-01T00:00:00.000Z
//! ```
//!
//! A seed is applied all or nothing: every user is checked before any is stored. Seeding a login
//! that exists (ignoring case) replaces that user, keeping its id unless the seed names one.

use std::collections::{HashMap, HashSet};
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::model::{Factor, PasswordHash, StoredUser, UserStatus};
use super::settings::{ApiToken, MissingToken, OktaSettings};
use super::store::{Store, login_key, same_login};
use crate::kit::ids::Ids;
use crate::kit::seed::SeedError;

/// A seed document for the mock Okta.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OktaSeed {
    #[serde(default)]
    pub settings: Option<SettingsSeed>,
    #[serde(default)]
    pub users: Vec<SeedUser>,
}

/// Changes to [`OktaSettings`]; keys left out keep their current value.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsSeed {
    pub api_tokens: Option<Vec<ApiTokenSeed>>,
    pub lockout: Option<LockoutSeed>,
    pub rate_limits: Option<RateLimitsSeed>,
    pub nullable_names: Option<bool>,
    pub password_policy: Option<PasswordPolicySeed>,
    pub missing_token: Option<MissingToken>,
}

/// A token, or a token with the login of the user `GET /api/v1/users/me` answers for it.
#[derive(Clone, Deserialize)]
#[serde(untagged)]
pub enum ApiTokenSeed {
    Token(String),
    Owned(OwnedTokenSeed),
}

impl fmt::Debug for ApiTokenSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiTokenSeed::Token(_) => f.write_str("Token([masked])"),
            ApiTokenSeed::Owned(o) => f.debug_tuple("Owned").field(o).finish(),
        }
    }
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedTokenSeed {
    pub token: String,
    pub owner: String,
}

impl fmt::Debug for OwnedTokenSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedTokenSeed")
            .field("token", &"[masked]")
            .field("owner", &self.owner)
            .finish()
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockoutSeed {
    pub max_attempts: Option<u32>,
    pub show_failures: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitsSeed {
    pub authn_per_minute: Option<u64>,
    pub users_list_per_minute: Option<u64>,
    pub users_get_per_minute: Option<u64>,
    pub other_per_minute: Option<u64>,
    pub authn_per_user_per_second: Option<u64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordPolicySeed {
    pub warn_days: Option<u32>,
    pub complexity: Option<ComplexitySeed>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplexitySeed {
    pub min_length: Option<u32>,
    pub min_lower_case: Option<u32>,
    pub min_upper_case: Option<u32>,
    pub min_number: Option<u32>,
    pub min_symbol: Option<u32>,
}

/// One user to store.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedUser {
    pub login: String,
    pub id: Option<String>,
    /// Kept only as a salted hash once seeded.
    pub password: Option<String>,
    pub status: Option<UserStatus>,
    #[serde(default)]
    pub profile: Map<String, Value>,
    pub mfa: Option<SeedMfa>,
    #[serde(default)]
    pub password_expired: bool,
    #[serde(default)]
    pub password_warn: bool,
    pub created: Option<DateTime<Utc>>,
    pub activated: Option<DateTime<Utc>>,
    pub status_changed: Option<DateTime<Utc>>,
    pub last_login: Option<DateTime<Utc>>,
    pub last_updated: Option<DateTime<Utc>>,
    pub password_changed: Option<DateTime<Utc>>,
}

impl fmt::Debug for SeedUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeedUser")
            .field("login", &self.login)
            .field("id", &self.id)
            .field("password", &self.password.as_ref().map(|_| "[masked]"))
            .field("status", &self.status)
            .field("profile", &self.profile)
            .field("mfa", &self.mfa)
            .field("password_expired", &self.password_expired)
            .field("password_warn", &self.password_warn)
            .finish_non_exhaustive()
    }
}

/// Factors a user has enrolled (`required`: login answers `MFA_REQUIRED`) or must enrol
/// (`enroll`: login answers `MFA_ENROLL`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedMfa {
    #[serde(default)]
    pub required: Vec<SeedFactor>,
    #[serde(default)]
    pub enroll: Vec<SeedFactor>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFactor {
    pub factor_type: String,
    /// Default `OKTA`.
    pub provider: Option<String>,
    pub profile: Option<Map<String, Value>>,
    /// `REQUIRED` (default) or `OPTIONAL`; enrolment only.
    pub enrollment: Option<String>,
    /// Enrolled factors only; generated when absent.
    pub id: Option<String>,
}

const FACTOR_TYPES: &[&str] = &[
    "sms",
    "call",
    "email",
    "question",
    "push",
    "token",
    "token:software:totp",
    "token:hardware",
    "token:hotp",
    "web",
    "webauthn",
    "u2f",
    "signed_nonce",
];

const PROVIDERS: &[&str] = &["OKTA", "GOOGLE", "RSA", "SYMANTEC", "YUBICO", "DUO", "FIDO", "CUSTOM"];

/// Okta's three-letter factor id prefixes (`sms…`, `ost…`, `uft…`, `opf…`, `ufs…`).
fn factor_prefix(factor_type: &str, provider: &str) -> &'static str {
    match (factor_type, provider) {
        ("sms", _) => "sms",
        ("call", _) => "clf",
        ("email", _) => "emf",
        ("question", _) => "ufs",
        ("push", _) => "opf",
        ("token:software:totp", "GOOGLE") => "uft",
        ("token:software:totp", _) => "ost",
        ("token", "SYMANTEC") => "sym",
        ("token", _) => "rsa",
        ("token:hardware", _) => "ykf",
        ("token:hotp", _) => "chf",
        ("webauthn", _) => "fwf",
        ("u2f", _) => "fuf",
        ("signed_nonce", _) => "aen",
        _ => "fac",
    }
}

fn invalid(login: &str, reason: impl fmt::Display) -> SeedError {
    SeedError::Invalid(format!("okta user {login}: {reason}"))
}

impl SettingsSeed {
    fn apply(&self, settings: &mut OktaSettings) -> Result<(), SeedError> {
        if let Some(tokens) = &self.api_tokens {
            let mut out = Vec::with_capacity(tokens.len());
            for token in tokens {
                let token = match token {
                    ApiTokenSeed::Token(t) => ApiToken::new(t.clone()),
                    ApiTokenSeed::Owned(o) => ApiToken::owned_by(o.token.clone(), o.owner.clone()),
                };
                if token.token.is_empty() || !token.token.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(SeedError::Invalid(
                        "okta settings.api_tokens: a token must be non-empty printable ASCII without spaces".into(),
                    ));
                }
                out.push(token);
            }
            settings.api_tokens = out;
        }
        if let Some(l) = &self.lockout {
            settings.lockout.max_attempts = l.max_attempts.unwrap_or(settings.lockout.max_attempts);
            settings.lockout.show_failures = l.show_failures.unwrap_or(settings.lockout.show_failures);
        }
        if let Some(r) = &self.rate_limits {
            let limits = &mut settings.rate_limits;
            limits.authn_per_minute = r.authn_per_minute.unwrap_or(limits.authn_per_minute);
            limits.users_list_per_minute = r.users_list_per_minute.unwrap_or(limits.users_list_per_minute);
            limits.users_get_per_minute = r.users_get_per_minute.unwrap_or(limits.users_get_per_minute);
            limits.other_per_minute = r.other_per_minute.unwrap_or(limits.other_per_minute);
            limits.authn_per_user_per_second = r.authn_per_user_per_second.unwrap_or(limits.authn_per_user_per_second);
        }
        if let Some(n) = self.nullable_names {
            settings.nullable_names = n;
        }
        if let Some(m) = self.missing_token {
            settings.missing_token = m;
        }
        if let Some(p) = &self.password_policy {
            let policy = &mut settings.password_policy;
            policy.warn_days = p.warn_days.unwrap_or(policy.warn_days);
            if let Some(c) = &p.complexity {
                let cx = &mut policy.complexity;
                cx.min_length = c.min_length.unwrap_or(cx.min_length);
                cx.min_lower_case = c.min_lower_case.unwrap_or(cx.min_lower_case);
                cx.min_upper_case = c.min_upper_case.unwrap_or(cx.min_upper_case);
                cx.min_number = c.min_number.unwrap_or(cx.min_number);
                cx.min_symbol = c.min_symbol.unwrap_or(cx.min_symbol);
            }
        }
        Ok(())
    }
}

fn factor(seed: &SeedFactor, login: &str, enrolled: bool, ids: &Ids) -> Result<Factor, SeedError> {
    let factor_type = seed.factor_type.as_str();
    if !FACTOR_TYPES.contains(&factor_type) {
        return Err(invalid(
            login,
            format_args!(
                "unknown factor_type `{factor_type}` (expected one of {})",
                FACTOR_TYPES.join(", ")
            ),
        ));
    }
    let provider = seed.provider.clone().unwrap_or_else(|| "OKTA".into());
    if !PROVIDERS.contains(&provider.as_str()) {
        return Err(invalid(
            login,
            format_args!(
                "unknown factor provider `{provider}` (expected one of {})",
                PROVIDERS.join(", ")
            ),
        ));
    }
    let enrollment = seed.enrollment.clone().unwrap_or_else(|| "REQUIRED".into());
    if enrollment != "REQUIRED" && enrollment != "OPTIONAL" {
        return Err(invalid(
            login,
            format_args!("factor enrollment must be REQUIRED or OPTIONAL, not `{enrollment}`"),
        ));
    }
    let id = if enrolled {
        match &seed.id {
            Some(id) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()) => id.clone(),
            Some(id) => {
                return Err(invalid(
                    login,
                    format_args!("factor id `{id}` must be letters and digits"),
                ));
            }
            None => format!("{}{}", factor_prefix(factor_type, &provider), ids.alnum(17)),
        }
    } else {
        if seed.id.is_some() {
            return Err(invalid(login, "factors to enroll have no id yet; remove `id`"));
        }
        String::new()
    };
    // Okta shows enrolled software tokens and push with the login as their credential id.
    let profile = seed.profile.clone().or_else(|| {
        (enrolled && matches!(factor_type, "token:software:totp" | "push" | "token" | "token:hotp"))
            .then(|| Map::from_iter([("credentialId".to_owned(), Value::String(login.to_owned()))]))
    });
    Ok(Factor {
        id,
        factor_type: factor_type.to_owned(),
        provider,
        profile,
        enrollment,
    })
}

/// Orders the profile as Okta's examples do: names, email, login, then the rest as given.
fn profile(seed: &SeedUser, nullable_names: bool) -> Result<Map<String, Value>, SeedError> {
    let login = seed.login.as_str();
    let mut given = seed.profile.clone();
    match given.remove("login") {
        None => {}
        Some(Value::String(l)) if l == login => {}
        Some(other) => {
            return Err(invalid(
                login,
                format_args!("profile.login {other} differs from login; give it once, as `login`"),
            ));
        }
    }
    let mut out = Map::new();
    for name in ["firstName", "lastName"] {
        match given.remove(name) {
            Some(Value::String(v)) if !v.is_empty() => {
                out.insert(name.into(), Value::String(v));
            }
            Some(Value::Null) | None if nullable_names => {
                if let Some(v) = seed.profile.get(name) {
                    out.insert(name.into(), v.clone());
                }
            }
            Some(Value::Null) | None => {
                return Err(invalid(
                    login,
                    format_args!(
                        "profile.{name} is required (set settings.nullable_names: true to allow a missing or null name)"
                    ),
                ));
            }
            Some(other) => {
                return Err(invalid(
                    login,
                    format_args!("profile.{name} must be a non-empty string, not {other}"),
                ));
            }
        }
    }
    match given.remove("email") {
        None => {
            out.insert("email".into(), Value::String(login.to_owned()));
        }
        Some(Value::String(e)) if !e.is_empty() => {
            out.insert("email".into(), Value::String(e));
        }
        Some(other) => {
            return Err(invalid(
                login,
                format_args!("profile.email must be a non-empty string, not {other}"),
            ));
        }
    }
    out.insert("login".into(), Value::String(login.to_owned()));
    out.extend(given);
    Ok(out)
}

fn user(
    seed: &SeedUser,
    id: String,
    settings: &OktaSettings,
    ids: &Ids,
    now: DateTime<Utc>,
) -> Result<StoredUser, SeedError> {
    let login = seed.login.as_str();
    let profile = profile(seed, settings.nullable_names)?;
    let status = seed.status.unwrap_or(UserStatus::Active);
    let password = seed.password.as_deref().map(|p| PasswordHash::new(p, ids.bytes(16)));
    let mfa = seed.mfa.clone().unwrap_or_default();
    let factors = mfa
        .required
        .iter()
        .map(|f| factor(f, login, true, ids))
        .collect::<Result<Vec<_>, _>>()?;
    let enroll = mfa
        .enroll
        .iter()
        .map(|f| factor(f, login, false, ids))
        .collect::<Result<Vec<_>, _>>()?;
    let created = seed.created.unwrap_or(now);
    let activated = seed
        .activated
        .or_else(|| (!matches!(status, UserStatus::Staged | UserStatus::Provisioned)).then_some(created));
    let status_changed = seed
        .status_changed
        .or_else(|| (status != UserStatus::Staged).then(|| activated.unwrap_or(created)));
    let last_updated = seed
        .last_updated
        .unwrap_or_else(|| status_changed.map_or(created, |changed| changed.max(created)));
    let password_changed = seed.password_changed.or_else(|| password.as_ref().map(|_| created));
    Ok(StoredUser {
        id,
        login: login.to_owned(),
        status,
        created,
        activated,
        status_changed,
        last_login: seed.last_login,
        last_updated,
        password_changed,
        profile,
        password,
        factors,
        enroll,
        password_expired: seed.password_expired,
        password_warn: seed.password_warn,
        failed_attempts: 0,
    })
}

/// Applies a seed to the store: settings first (so `nullable_names` applies to the same seed's
/// users), then users. Nothing changes when anything is refused.
pub(crate) fn apply(seed: &OktaSeed, store: &mut Store, ids: &Ids, now: DateTime<Utc>) -> Result<Value, SeedError> {
    let mut settings = store.settings.clone();
    if let Some(patch) = &seed.settings {
        patch.apply(&mut settings)?;
    }
    let mut seen_logins: HashSet<String> = HashSet::new();
    let mut seen_ids: HashSet<String> = HashSet::new();
    let mut replaced: HashMap<String, String> = HashMap::new(); // new id -> replaced id
    let mut users = Vec::with_capacity(seed.users.len());
    for seed_user in &seed.users {
        let login = seed_user.login.as_str();
        if login.trim().is_empty() {
            return Err(SeedError::Invalid("okta user with an empty login".into()));
        }
        if login.trim() != login {
            return Err(invalid(login, "login has leading or trailing spaces"));
        }
        if !seen_logins.insert(login_key(login)) {
            return Err(invalid(
                login,
                "login appears twice in this seed (logins are unique ignoring case)",
            ));
        }
        let existing = store.id_by_login(login);
        let id = match (&seed_user.id, &existing) {
            (Some(id), _) if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                return Err(invalid(
                    login,
                    format_args!("id `{id}` must be letters and digits (Okta ids look like 00ub0oNGTSWTBKOLGLNR)"),
                ));
            }
            (Some(id), _) => id.clone(),
            (None, Some(old)) => old.clone(),
            (None, None) => format!("00u{}", ids.alnum(17)),
        };
        if !seen_ids.insert(id.clone()) {
            return Err(invalid(login, format_args!("id {id} is used twice in this seed")));
        }
        if let Some(holder) = store.users.get(&id)
            && !same_login(&holder.login, login)
            && !seed.users.iter().any(|u| same_login(&u.login, &holder.login))
        {
            return Err(invalid(
                login,
                format_args!("id {id} already belongs to {}", holder.login),
            ));
        }
        if let Some(old) = existing {
            replaced.insert(id.clone(), old);
        }
        users.push(user(seed_user, id, &settings, ids, now)?);
    }
    let settings_changed = settings != store.settings;
    store.settings = settings;
    for old in replaced.values() {
        store.remove_user(old);
    }
    let count = users.len();
    for user in users {
        store.insert_user(user);
    }
    Ok(json!({ "users": count, "replaced": replaced.len(), "settings_changed": settings_changed }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::clock::Clock;
    use crate::kit::seed::parse;

    fn seeded(yaml: &str) -> Result<Store, SeedError> {
        let seed: OktaSeed = parse(yaml, None)?;
        let mut store = Store::new(OktaSettings::default());
        apply(&seed, &mut store, &Ids::seeded(1), Clock::scenario_epoch())?;
        Ok(store)
    }

    #[test]
    fn fills_ids_email_and_timestamps() {
        let store = seeded(
            "users:\n  - login: dade@example.com\n    password: x\n    profile: {firstName: Dade, lastName: Murphy}\n",
        )
        .expect("valid seed");
        let user = store.users.values().next().expect("one user");
        assert!(user.id.starts_with("00u") && user.id.len() == 20, "{}", user.id);
        assert_eq!(user.profile_str("email"), Some("dade@example.com"));
        assert_eq!(user.created, Clock::scenario_epoch());
        assert_eq!(user.activated, Some(Clock::scenario_epoch()));
        assert!(user.password.as_ref().is_some_and(|p| p.verify("x")));
    }

    #[test]
    fn refuses_missing_names_unless_nullable() {
        let err = seeded("users:\n  - login: a@example.com\n").expect_err("names required");
        assert_eq!(
            err.to_string(),
            "okta user a@example.com: profile.firstName is required (set settings.nullable_names: true to allow a missing or null name)"
        );
        let store = seeded(
            "settings: {nullable_names: true}\nusers:\n  - login: a@example.com\n    profile: {firstName: null}\n",
        )
        .expect("nullable");
        let user = store.users.values().next().expect("user");
        assert_eq!(user.profile.get("firstName"), Some(&Value::Null));
        assert_eq!(user.profile.get("lastName"), None);
    }

    #[test]
    fn refuses_duplicates_and_unknown_keys() {
        let twice = "users:\n  - {login: a@example.com, id: 00uAAAAAAAAAAAAAAAAA, profile: {firstName: A, lastName: B}}\n  - {login: b@example.com, id: 00uAAAAAAAAAAAAAAAAA, profile: {firstName: A, lastName: B}}\n";
        assert!(
            seeded(twice)
                .expect_err("duplicate id")
                .to_string()
                .contains("used twice")
        );
        let same = "users:\n  - {login: a@example.com, profile: {firstName: A, lastName: B}}\n  - {login: A@Example.com, profile: {firstName: A, lastName: B}}\n";
        assert!(
            seeded(same)
                .expect_err("duplicate login")
                .to_string()
                .contains("appears twice")
        );
        assert!(seeded("users:\n  - {login: a@example.com, pasword: x}\n").is_err());
        assert!(seeded("users:\n  - {login: a@example.com, profile: {firstName: A, lastName: B}, mfa: {required: [{factor_type: carrier_pigeon}]}}\n")
            .expect_err("factor type")
            .to_string()
            .contains("unknown factor_type `carrier_pigeon`"));
    }

    #[test]
    fn settings_patch_changes_only_what_it_names() {
        let store =
            seeded("settings: {lockout: {show_failures: true}, api_tokens: [a, {token: b, owner: x@example.com}]}\n")
                .expect("settings");
        assert_eq!(store.settings.lockout.max_attempts, 10);
        assert!(store.settings.lockout.show_failures);
        assert_eq!(
            store.settings.api_tokens,
            vec![ApiToken::new("a"), ApiToken::owned_by("b", "x@example.com")]
        );
    }
}
