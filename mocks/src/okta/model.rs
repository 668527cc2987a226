//! What the mock Okta stores about a user, and the JSON shapes it shows them in: the full User
//! object of the Users API (okta.md §4.3), its collection form (only a `self` link), and the
//! `_embedded.user` subset of authentication transactions (§3.4).
//!
//! Passwords are kept only as a salted SHA-256 ([`PasswordHash`]) and never rendered: a user with
//! a password shows `"password": {}`, as Okta does.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::kit::clock::iso_millis;

/// A user's lifecycle status (okta.md §4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    Staged,
    Provisioned,
    Active,
    Recovery,
    LockedOut,
    PasswordExpired,
    Suspended,
    Deprovisioned,
}

impl UserStatus {
    /// The wire spelling (`LOCKED_OUT`).
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Staged => "STAGED",
            UserStatus::Provisioned => "PROVISIONED",
            UserStatus::Active => "ACTIVE",
            UserStatus::Recovery => "RECOVERY",
            UserStatus::LockedOut => "LOCKED_OUT",
            UserStatus::PasswordExpired => "PASSWORD_EXPIRED",
            UserStatus::Suspended => "SUSPENDED",
            UserStatus::Deprovisioned => "DEPROVISIONED",
        }
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A salted SHA-256 of a password: `sha256(salt || password)`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PasswordHash {
    salt: Vec<u8>,
    digest: Vec<u8>,
}

impl PasswordHash {
    pub(crate) fn new(password: &str, salt: Vec<u8>) -> Self {
        let digest = Self::digest(&salt, password);
        Self { salt, digest }
    }

    fn digest(salt: &[u8], password: &str) -> Vec<u8> {
        let mut hasher = Sha256::new();
        hasher.update(salt);
        hasher.update(password.as_bytes());
        hasher.finalize().to_vec()
    }

    pub(crate) fn verify(&self, password: &str) -> bool {
        let candidate = Self::digest(&self.salt, password);
        // Compare every byte so the time taken does not depend on where they differ.
        candidate.len() == self.digest.len()
            && candidate
                .iter()
                .zip(&self.digest)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash([salted sha-256])")
    }
}

/// An enrolled factor (MFA_REQUIRED) or one the policy asks to enrol (MFA_ENROLL).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Factor {
    /// Empty for factors still to enrol.
    pub(crate) id: String,
    pub(crate) factor_type: String,
    pub(crate) provider: String,
    pub(crate) profile: Option<Map<String, Value>>,
    /// `REQUIRED` or `OPTIONAL` (enrolment only).
    pub(crate) enrollment: String,
}

impl Factor {
    /// The profile as the Authentication API shows it in `MFA_REQUIRED`: a phone number masked
    /// but for its country code and last four digits (`+1 XXX-XXX-1337`, okta.md's
    /// `MFA_REQUIRED` example); the Factors API shows the profile in full.
    pub(crate) fn masked_profile(&self) -> Option<Map<String, Value>> {
        let mut profile = self.profile.clone()?;
        if let Some(Value::String(phone)) = profile.get("phoneNumber") {
            let masked = mask_phone(phone);
            profile.insert("phoneNumber".into(), Value::String(masked));
        }
        Some(profile)
    }
}

/// `+1-555-415-1337` → `+1 XXX-XXX-1337`; other numbers keep their last four digits and the
/// rest turns into `X` (chosen: Okta publishes only the North American form). A number that is
/// already masked stays as it is.
fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() <= 4 {
        return phone.to_owned();
    }
    let last4: String = digits[digits.len() - 4..].iter().collect();
    let north_american = phone.starts_with("+1") && (digits.len() == 11 || digits.len() == 5);
    if north_american {
        format!("+1 XXX-XXX-{last4}")
    } else {
        format!("+{}{last4}", "X".repeat(digits.len() - 4))
    }
}

/// One stored user.
#[derive(Clone, Debug)]
pub(crate) struct StoredUser {
    pub(crate) id: String,
    pub(crate) login: String,
    pub(crate) status: UserStatus,
    pub(crate) created: DateTime<Utc>,
    pub(crate) activated: Option<DateTime<Utc>>,
    pub(crate) status_changed: Option<DateTime<Utc>>,
    pub(crate) last_login: Option<DateTime<Utc>>,
    pub(crate) last_updated: DateTime<Utc>,
    pub(crate) password_changed: Option<DateTime<Utc>>,
    /// The Users API profile, `login` and `email` included, in display order.
    pub(crate) profile: Map<String, Value>,
    pub(crate) password: Option<PasswordHash>,
    /// Enrolled factors: a login with the right password answers `MFA_REQUIRED`.
    pub(crate) factors: Vec<Factor>,
    /// Factors to enrol: a login answers `MFA_ENROLL` (when nothing is enrolled).
    pub(crate) enroll: Vec<Factor>,
    /// The policy considers the password expired: the next good login turns the status into
    /// `PASSWORD_EXPIRED` (Okta notices expiry at login, okta.md §4.3).
    pub(crate) password_expired: bool,
    /// The password is inside the policy's warn window.
    pub(crate) password_warn: bool,
    /// Consecutive wrong passwords.
    pub(crate) failed_attempts: u32,
}

/// Which `_links` a rendered user carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Links {
    /// Lifecycle and credential links allowed by the status, plus self, type and schema.
    Full,
    /// Full, minus the credential operations (`okta-response=omitCredentialsLinks`).
    FullWithoutCredentials,
    /// Only `self` (collections).
    SelfOnly,
}

/// What the renderer needs from the org.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Org<'a> {
    pub(crate) base: &'a str,
    pub(crate) type_id: &'a str,
    pub(crate) schema_id: &'a str,
}

fn iso(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| Value::String(iso_millis(t)))
}

fn post_link(href: &str) -> Value {
    json!({ "href": href, "method": "POST" })
}

impl StoredUser {
    /// The part before `@` (the whole login when there is none).
    pub(crate) fn short_name(&self) -> &str {
        self.login
            .split_once('@')
            .map_or(self.login.as_str(), |(local, _)| local)
    }

    /// A profile attribute as a string, when it is one.
    pub(crate) fn profile_str(&self, name: &str) -> Option<&str> {
        self.profile.get(name).and_then(Value::as_str)
    }

    /// Sets the status, stamping `statusChanged` and `lastUpdated`.
    pub(crate) fn set_status(&mut self, status: UserStatus, now: DateTime<Utc>) {
        if self.status != status {
            self.status = status;
            self.status_changed = Some(now);
            self.last_updated = now;
        }
    }

    /// The full User object (okta.md §4.3).
    pub(crate) fn to_json(&self, org: Org<'_>, links: Links, omit_credentials: bool) -> Value {
        let mut user = Map::new();
        user.insert("id".into(), Value::String(self.id.clone()));
        user.insert("status".into(), Value::String(self.status.as_str().into()));
        user.insert("created".into(), Value::String(iso_millis(self.created)));
        user.insert("activated".into(), iso(self.activated));
        user.insert("statusChanged".into(), iso(self.status_changed));
        user.insert("lastLogin".into(), iso(self.last_login));
        user.insert("lastUpdated".into(), Value::String(iso_millis(self.last_updated)));
        user.insert("passwordChanged".into(), iso(self.password_changed));
        user.insert("type".into(), json!({ "id": org.type_id }));
        user.insert("profile".into(), Value::Object(self.profile.clone()));
        if !omit_credentials {
            let mut credentials = Map::new();
            if self.password.is_some() {
                credentials.insert("password".into(), json!({}));
            }
            credentials.insert("provider".into(), json!({ "type": "OKTA", "name": "OKTA" }));
            user.insert("credentials".into(), Value::Object(credentials));
        }
        user.insert("_links".into(), self.links_json(org, links));
        Value::Object(user)
    }

    fn links_json(&self, org: Org<'_>, links: Links) -> Value {
        let me = format!("{}/api/v1/users/{}", org.base, self.id);
        let mut out = Map::new();
        if links == Links::SelfOnly {
            out.insert("self".into(), json!({ "href": me }));
            return Value::Object(out);
        }
        let credentials = links == Links::Full;
        let has_password = self.password.is_some();
        // `omitCredentialsLinks` drops the credential operations and, with them, reset password,
        // reset factors and unlock.
        let lifecycle = |out: &mut Map<String, Value>, name: &str, op: &str| {
            if credentials || !matches!(name, "resetPassword" | "resetFactors" | "unlock") {
                out.insert(name.into(), post_link(&format!("{me}/lifecycle/{op}")));
            }
        };
        let credential = |out: &mut Map<String, Value>, name: &str, op: &str| {
            if credentials && has_password {
                out.insert(name.into(), post_link(&format!("{me}/credentials/{op}")));
            }
        };
        match self.status {
            UserStatus::Staged => lifecycle(&mut out, "activate", "activate"),
            UserStatus::Provisioned => {
                lifecycle(&mut out, "reactivate", "reactivate");
                lifecycle(&mut out, "resetPassword", "reset_password");
            }
            UserStatus::Active => {
                lifecycle(&mut out, "suspend", "suspend");
                lifecycle(&mut out, "resetPassword", "reset_password");
                lifecycle(&mut out, "expirePassword", "expire_password");
                credential(&mut out, "forgotPassword", "forgot_password");
                credential(&mut out, "changeRecoveryQuestion", "change_recovery_question");
                credential(&mut out, "changePassword", "change_password");
            }
            UserStatus::PasswordExpired | UserStatus::Recovery => {
                lifecycle(&mut out, "suspend", "suspend");
                lifecycle(&mut out, "resetPassword", "reset_password");
                credential(&mut out, "changePassword", "change_password");
            }
            UserStatus::LockedOut => {
                lifecycle(&mut out, "unlock", "unlock");
                lifecycle(&mut out, "resetPassword", "reset_password");
                lifecycle(&mut out, "expirePassword", "expire_password");
            }
            UserStatus::Suspended => lifecycle(&mut out, "unsuspend", "unsuspend"),
            UserStatus::Deprovisioned => lifecycle(&mut out, "activate", "activate"),
        }
        if !self.factors.is_empty() && self.status != UserStatus::Deprovisioned {
            lifecycle(&mut out, "resetFactors", "reset_factors");
        }
        if self.status != UserStatus::Deprovisioned {
            lifecycle(&mut out, "deactivate", "deactivate");
        }
        out.insert(
            "schema".into(),
            json!({ "href": format!("{}/api/v1/meta/schemas/user/{}", org.base, org.schema_id) }),
        );
        out.insert(
            "type".into(),
            json!({ "href": format!("{}/api/v1/meta/types/user/{}", org.base, org.type_id) }),
        );
        out.insert("self".into(), json!({ "href": me }));
        Value::Object(out)
    }

    /// The dashboard view: everything but password material.
    pub(crate) fn state_json(&self) -> Value {
        json!({
            "id": self.id,
            "login": self.login,
            "status": self.status.as_str(),
            "has_password": self.password.is_some(),
            "failed_attempts": self.failed_attempts,
            "password_expired": self.password_expired,
            "password_warn": self.password_warn,
            "factors": self.factors.iter().map(|f| json!({ "id": f.id, "factor_type": f.factor_type, "provider": f.provider })).collect::<Vec<_>>(),
            "enroll": self.enroll.iter().map(|f| json!({ "factor_type": f.factor_type, "provider": f.provider, "enrollment": f.enrollment })).collect::<Vec<_>>(),
            "created": iso_millis(self.created),
            "activated": iso(self.activated),
            "statusChanged": iso(self.status_changed),
            "lastLogin": iso(self.last_login),
            "lastUpdated": iso_millis(self.last_updated),
            "passwordChanged": iso(self.password_changed),
            "profile": self.profile,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_verifies_only_the_password_and_never_prints_it() {
        let hash = PasswordHash::new("Hunter2!", vec![1, 2, 3]);
        assert!(hash.verify("Hunter2!"));
        assert!(!hash.verify("hunter2!"));
        assert!(!hash.verify(""));
        assert!(!format!("{hash:?}").contains("Hunter2"));
    }

    #[test]
    fn statuses_spell_like_okta() {
        assert_eq!(UserStatus::LockedOut.as_str(), "LOCKED_OUT");
        let parsed: UserStatus = serde_json::from_str("\"PASSWORD_EXPIRED\"").expect("status");
        assert_eq!(parsed, UserStatus::PasswordExpired);
    }
}
