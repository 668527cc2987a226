//! MFA carried over (FIDELITY `auth0/mfa`): the enrollments a migration brings along, and what a
//! password login of such a user meets when the tenant requires MFA.
//!
//! - **Enrollments.** `mfa_factors` (auth0.md §4.4, S17) arrive in a bulk-import row or in the
//!   profile a `login` script returns: `totp` (an unpadded Base32 secret), `phone` (E.164, SMS)
//!   or `email`. Their shape is the import schema's rule (`import-schema`, checked before a row
//!   gets here, and checked here for a script's profile through the same crate). Auth0 also
//!   refuses factors it cannot enroll although they are well formed: the mock refuses a second
//!   `totp` and the same phone or email twice (one OTP enrollment per user, no duplicate
//!   enrollment; the exact conditions are not published — chosen). A row whose factors fail is
//!   `MFA_FACTORS_FAILED` "Unable to import factors" (its other fields still applied, S17); a
//!   login whose profile's factors fail is refused and logged `fu` "Unable to import MFA
//!   factors." (S17).
//! - **The policy.** `settings.mfa_policy` is Auth0's Guardian policy: `never` (the default) or
//!   `all-applications`. With the latter, a password login that got past the password answers 403
//!   `{"error":"mfa_required","error_description":"Multifactor authentication required",
//!   "mfa_token":"…","mfa_requirements":{…}}` instead of tokens: `challenge` lists the factor
//!   types the user has, `enroll` the ones they could set up when they have none. The token is
//!   opaque, sealed by the mock like its opaque access tokens, with the `{issuer}mfa/` audience
//!   and a 10-minute lifetime (documented, not configurable on Auth0).
//! - **`GET /mfa/authenticators`** with that token lists the user's authenticators as Auth0's MFA
//!   API does (imported factors have no recovery code, S17).
//!
//! Not modelled (FIDELITY gaps): the challenge (`POST /mfa/challenge`), the MFA grants
//! (`mfa-otp`, `mfa-oob`, `mfa-recovery-code`) that would finish the login, adaptive MFA,
//! MFA in `/authorize` logins and Actions.

use std::collections::HashSet;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::Auth0;
use super::model::{Client, StoredUser};
use super::state::Tenant;
use super::tokens::Claims;

/// The error code and message of a bulk-import row whose factors could not be enrolled (S17).
pub const MFA_FACTORS_FAILED: &str = "MFA_FACTORS_FAILED";
pub const MFA_FACTORS_FAILED_MESSAGE: &str = "Unable to import factors";
/// The tenant log description of a login whose profile's factors could not be enrolled (S17).
pub const LOGIN_FACTORS_FAILED: &str = "Unable to import MFA factors.";
/// Lifetime of an `mfa_token` (documented: 10 minutes, not configurable).
pub const MFA_TOKEN_LIFETIME: i64 = 600;

/// Auth0's Guardian policy for password logins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MfaPolicy {
    /// MFA is never required (Auth0's default).
    #[default]
    Never,
    /// Every login of every application must pass MFA ("Require Multi-factor Auth: Always").
    AllApplications,
}

/// One MFA enrollment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MfaFactor {
    /// One-time passwords from an authenticator app; the unpadded Base32 secret.
    Totp { secret: String },
    /// SMS to an E.164 number.
    Phone { value: String },
    /// Codes sent to an email address.
    Email { value: String },
}

impl MfaFactor {
    fn from_item(item: &Value) -> Option<Self> {
        let object = item.as_object().filter(|o| o.len() == 1)?;
        let (kind, spec) = object.iter().next()?;
        let text = |field: &str| spec.get(field).and_then(Value::as_str).map(str::to_owned);
        match kind.as_str() {
            "totp" => Some(Self::Totp {
                secret: text("secret")?,
            }),
            "phone" => Some(Self::Phone { value: text("value")? }),
            "email" => Some(Self::Email { value: text("value")? }),
            _ => None,
        }
    }

    /// The factor type an MFA challenge names (`mfa_requirements`).
    fn challenge_type(&self) -> &'static str {
        match self {
            Self::Totp { .. } => "otp",
            Self::Phone { .. } => "sms",
            Self::Email { .. } => "email",
        }
    }

    /// The authenticator as `GET /mfa/authenticators` lists it. The id is stable for a user and
    /// factor (derived from both), so runs repeat.
    fn authenticator(&self, user_id: &str) -> Value {
        use sha2::Digest;
        let (prefix, detail) = match self {
            Self::Totp { secret } => ("totp", secret.as_str()),
            Self::Phone { value } => ("sms", value.as_str()),
            Self::Email { value } => ("email", value.as_str()),
        };
        let digest = sha2::Sha256::digest(format!("{user_id}:{prefix}:{detail}"));
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let suffix: String = digest
            .iter()
            .take(16)
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
            .collect();
        let id = format!("{prefix}|dev_{suffix}");
        match self {
            Self::Totp { .. } => json!({ "id": id, "authenticator_type": "otp", "active": true }),
            Self::Phone { value } => {
                // Auth0 shows the number masked but for its last four digits.
                let digits: String = value.chars().filter(char::is_ascii_digit).collect();
                let last = &digits[digits.len().saturating_sub(4)..];
                json!({
                    "id": id,
                    "authenticator_type": "oob",
                    "active": true,
                    "oob_channel": "sms",
                    "name": format!("XXXXXXXX{last}"),
                })
            }
            Self::Email { value } => json!({
                "id": id,
                "authenticator_type": "oob",
                "active": true,
                "oob_channel": "email",
                "name": value,
            }),
        }
    }
}

/// What an `mfa_factors` value holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Factors {
    /// No `mfa_factors` at all.
    Absent,
    Valid(Vec<MfaFactor>),
    /// Factors Auth0 would not enroll.
    Failed,
}

/// Reads an `mfa_factors` value whose shape the import schema has checked (anything that does
/// not read as factors fails), applying the enrollment rules of the module docs.
pub(crate) fn read(value: Option<&Value>) -> Factors {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Factors::Absent;
    };
    let Some(items) = value.as_array() else {
        return Factors::Failed;
    };
    let mut factors = vec![];
    let mut seen = HashSet::new();
    for item in items {
        let Some(factor) = MfaFactor::from_item(item) else {
            return Factors::Failed;
        };
        let key = match &factor {
            MfaFactor::Totp { .. } => "totp".to_owned(),
            MfaFactor::Phone { value } => format!("phone:{value}"),
            MfaFactor::Email { value } => format!("email:{}", value.to_lowercase()),
        };
        if !seen.insert(key) {
            return Factors::Failed;
        }
        factors.push(factor);
    }
    Factors::Valid(factors)
}

/// The factors of a login script's profile: the import schema's shape rules (the same crate
/// that checks import rows), then [`read`].
pub(crate) fn from_profile(profile: &Map<String, Value>) -> Factors {
    checked(profile.get("mfa_factors"), profile.get("email").and_then(Value::as_str))
}

/// An `mfa_factors` value checked against the import schema's shape rules, then [`read`].
pub(crate) fn checked(value: Option<&Value>, email: Option<&str>) -> Factors {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Factors::Absent;
    };
    let email = email
        .filter(|e| import_schema::is_email(e))
        .unwrap_or("someone@example.com");
    let probe = json!({ "email": email, "mfa_factors": value });
    let shape_ok = import_schema::validate_user(&probe, &import_schema::Rules::default())
        .iter()
        .all(|issue| !issue.path.starts_with("mfa_factors"));
    if shape_ok { read(Some(value)) } else { Factors::Failed }
}

impl Tenant {
    /// Enrolls an import row's factors for a user the row just inserted or updated (called by
    /// the import job): with upsert, the row's factors replace the user's (S17). `Some` is the
    /// row's error when the factors cannot be enrolled; the row's other changes stay.
    pub(crate) fn import_row_factors(&mut self, connection: &str, id: &str, row: &Map<String, Value>) -> Option<Value> {
        match read(row.get("mfa_factors")) {
            Factors::Absent => None,
            Factors::Valid(factors) => {
                self.users.update(connection, id, |user| user.mfa_factors = factors);
                None
            }
            Factors::Failed => Some(json!({ "code": MFA_FACTORS_FAILED, "message": MFA_FACTORS_FAILED_MESSAGE })),
        }
    }
}

/// The answer to a password login when the tenant requires MFA (`None`: tokens may be issued).
pub(crate) fn required(
    auth0: &Auth0,
    issuer: &str,
    client: &Client,
    user: &StoredUser,
    scope: &str,
) -> Option<Response> {
    if auth0.with_tenant(|t| t.settings.mfa_policy) == MfaPolicy::Never {
        return None;
    }
    let now = auth0.kit().clock.now().timestamp();
    let claims = Claims {
        iss: issuer.to_owned(),
        sub: user.user_id(),
        aud: json!([format!("{issuer}mfa/")]),
        iat: now,
        exp: now + MFA_TOKEN_LIFETIME,
        scope: scope.to_owned(),
        azp: Some(client.client_id.clone()),
        gty: Some("mfa".into()),
    };
    let requirements = if user.mfa_factors.is_empty() {
        json!({ "enroll": [{ "type": "otp" }, { "type": "sms" }, { "type": "email" }] })
    } else {
        let mut types: Vec<&str> = vec![];
        for factor in &user.mfa_factors {
            if !types.contains(&factor.challenge_type()) {
                types.push(factor.challenge_type());
            }
        }
        json!({ "challenge": types.iter().map(|t| json!({ "type": t })).collect::<Vec<_>>() })
    };
    let body = json!({
        "error": "mfa_required",
        "error_description": "Multifactor authentication required",
        "mfa_token": auth0.keys().seal(issuer, &claims),
        "mfa_requirements": requirements,
    });
    Some((StatusCode::FORBIDDEN, Json(body)).into_response())
}

/// `GET /mfa/authenticators` with an `mfa_token` as the bearer: the user's authenticators.
pub(crate) async fn authenticators_get(State(auth0): State<Auth0>, headers: HeaderMap) -> Response {
    let refused = |description: &str| {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid_token", "error_description": description })),
        )
            .into_response()
    };
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return refused("Missing authorization header");
    };
    let Some(claims) = auth0.keys().access_claims(token) else {
        return refused("Invalid token");
    };
    let mfa_audience = format!("{}mfa/", claims.iss);
    if claims.gty.as_deref() != Some("mfa") || !claims.audiences().contains(&mfa_audience.as_str()) {
        return refused("Invalid token");
    }
    if claims.exp <= auth0.kit().clock.now().timestamp() {
        return refused("mfa_token is expired");
    }
    let Some(user) = auth0.with_tenant(|t| t.user_by_id(&claims.sub).cloned()) else {
        return refused("Invalid token");
    };
    let list: Vec<Value> = user
        .mfa_factors
        .iter()
        .map(|f| f.authenticator(&user.user_id()))
        .collect();
    Json(Value::Array(list)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_read_as_auth0_enrolls_them() {
        assert_eq!(read(None), Factors::Absent);
        assert_eq!(
            read(Some(
                &json!([{ "totp": { "secret": "JBSWY3DPEHPK3PXP" } }, { "email": { "value": "a@b.co" } }])
            )),
            Factors::Valid(vec![
                MfaFactor::Totp {
                    secret: "JBSWY3DPEHPK3PXP".into()
                },
                MfaFactor::Email { value: "a@b.co".into() },
            ])
        );
        // One OTP enrollment per user; no enrollment twice.
        let two_totp = json!([{ "totp": { "secret": "AAAA" } }, { "totp": { "secret": "BBBB" } }]);
        assert_eq!(read(Some(&two_totp)), Factors::Failed);
        let same_phone = json!([{ "phone": { "value": "+15551112233" } }, { "phone": { "value": "+15551112233" } }]);
        assert_eq!(read(Some(&same_phone)), Factors::Failed);
        assert_eq!(read(Some(&json!("x"))), Factors::Failed);
    }

    #[test]
    fn a_profile_s_factors_follow_the_import_schema() {
        let profile = |factors: Value| {
            json!({ "email": "a@b.co", "mfa_factors": factors })
                .as_object()
                .cloned()
                .unwrap_or_default()
        };
        assert!(matches!(
            from_profile(&profile(json!([{ "phone": { "value": "+15551112233" } }]))),
            Factors::Valid(_)
        ));
        assert_eq!(
            from_profile(&profile(json!([{ "phone": { "value": "555" } }]))),
            Factors::Failed
        );
        assert_eq!(from_profile(&profile(json!([]))), Factors::Failed);
        assert_eq!(from_profile(&Map::new()), Factors::Absent);
    }

    #[test]
    fn authenticators_mask_phone_numbers_and_keep_stable_ids() {
        let phone = MfaFactor::Phone {
            value: "+15551114567".into(),
        };
        let shown = phone.authenticator("auth0|a");
        assert_eq!(shown["name"], "XXXXXXXX4567");
        assert_eq!(shown["oob_channel"], "sms");
        assert!(
            shown["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("sms|dev_") && id.len() == 24)
        );
        assert_eq!(shown, phone.authenticator("auth0|a"));
        assert_ne!(shown["id"], phone.authenticator("auth0|b")["id"]);
    }
}
