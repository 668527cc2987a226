//! The org-wide knobs of the mock Okta (okta.md §8): which API tokens are valid, the lockout
//! policy, the rate-limit buckets, whether names may be null, and the password policy reported in
//! `PASSWORD_WARN` / `PASSWORD_EXPIRED` transactions.
//!
//! [`OktaSettings`] is what [`super::Okta::with_settings`] takes; a seed document can change any
//! part of it later (see [`super::seed::SettingsSeed`]), and `reset` goes back to the settings the
//! mock was built with.

use serde::Serialize;

/// The API token every mock Okta accepts unless told otherwise (`Authorization: SSWS <token>`).
pub const DEFAULT_API_TOKEN: &str = "00ferry-okta-api-token";

/// Org-wide behaviour of the mock.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OktaSettings {
    /// Valid `SSWS` tokens. Default: exactly [`DEFAULT_API_TOKEN`], owned by no seeded user.
    pub api_tokens: Vec<ApiToken>,
    pub lockout: Lockout,
    pub rate_limits: RateLimits,
    /// Whether `firstName` / `lastName` may be missing or `null` (an org that relaxed its schema).
    pub nullable_names: bool,
    pub password_policy: PasswordPolicy,
    /// What a management call without any `Authorization` header gets.
    pub missing_token: MissingToken,
}

impl Default for OktaSettings {
    fn default() -> Self {
        Self {
            api_tokens: vec![ApiToken::new(DEFAULT_API_TOKEN)],
            lockout: Lockout::default(),
            rate_limits: RateLimits::default(),
            nullable_names: false,
            password_policy: PasswordPolicy::default(),
            missing_token: MissingToken::default(),
        }
    }
}

/// One valid API token and, optionally, the login of the user it belongs to (what
/// `GET /api/v1/users/me` returns; without an owner it returns a built-in administrator).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    #[serde(skip)]
    pub token: String,
    pub owner: Option<String>,
}

impl ApiToken {
    /// A token without an owner.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: token.into(),
            owner: None,
        }
    }

    /// A token owned by the user with this login.
    pub fn owned_by(token: impl Into<String>, owner: impl Into<String>) -> Self {
        Self {
            token: token.into(),
            owner: Some(owner.into()),
        }
    }
}

/// The password policy's lockout part. Defaults are those the Stormpath→Okta migration tool
/// writes (okta.md §3.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Lockout {
    /// Consecutive wrong passwords that lock an account; 0 never locks.
    pub max_attempts: u32,
    /// Whether a locked-out user gets a `200 LOCKED_OUT` transaction (true) or the same
    /// `401 E0000004` as a wrong password (false, Okta's default).
    pub show_failures: bool,
}

impl Default for Lockout {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            show_failures: false,
        }
    }
}

/// Requests per window for each bucket (okta.md §6.2, "One App" column). A limit of 0 turns the
/// bucket off: no limit and no `X-Rate-Limit-*` headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RateLimits {
    /// `/api/v1/authn` and everything under it, per minute.
    pub authn_per_minute: u64,
    /// `GET /api/v1/users`, per minute.
    pub users_list_per_minute: u64,
    /// `GET /api/v1/users/{idOrLogin}` (and `me`), per minute.
    pub users_get_per_minute: u64,
    /// Every other `/api/v1` call, per minute.
    pub other_per_minute: u64,
    /// The same username on `/api/v1/authn`, per second.
    pub authn_per_user_per_second: u64,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            authn_per_minute: 600,
            users_list_per_minute: 600,
            users_get_per_minute: 1000,
            other_per_minute: 600,
            authn_per_user_per_second: 4,
        }
    }
}

/// What the password policy says, as shown in authentication transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PasswordPolicy {
    /// Days left reported in `PASSWORD_WARN` (`_embedded.policy.expiration.passwordExpireDays`).
    pub warn_days: u32,
    pub complexity: Complexity,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            warn_days: 5,
            complexity: Complexity::default(),
        }
    }
}

/// `_embedded.policy.complexity` of a password transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Complexity {
    pub min_length: u32,
    pub min_lower_case: u32,
    pub min_upper_case: u32,
    pub min_number: u32,
    pub min_symbol: u32,
}

impl Default for Complexity {
    fn default() -> Self {
        Self {
            min_length: 8,
            min_lower_case: 1,
            min_upper_case: 1,
            min_number: 1,
            min_symbol: 0,
        }
    }
}

/// The answer to a management call that carries no `Authorization` header at all. Okta does not
/// document it (okta.md §2.5); what it was seen to answer is `403 E0000005 Invalid session` — the
/// Users API treats such a call as a browser call without a session cookie (okta-powershell-cli
/// issue #86 and PR #84: `Get-OktaUser` sending its key in a non-standard header got exactly
/// that). FIDELITY.md `okta/users-auth`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingToken {
    /// `401 E0000011 Invalid token provided`, as for a wrong token (lenient switch).
    InvalidToken,
    /// `403 E0000005 Invalid session` (the default: what Okta was observed to answer).
    #[default]
    InvalidSession,
}
