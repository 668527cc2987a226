//! `POST /api/v1/authn` (primary authentication) and the two transaction operations the mock
//! implements, `cancel` and `skip` (okta.md §3).
//!
//! Primary authentication answers the §3.5 matrix: `SUCCESS`, or a 200 transaction that is *not*
//! a success (`PASSWORD_WARN`, `PASSWORD_EXPIRED`, `MFA_REQUIRED`, `MFA_ENROLL`, `LOCKED_OUT`
//! when lockout failures are shown), or `401 E0000004` for anything that cannot sign in. The
//! order of the non-success states follows Okta: enrolled factors (`MFA_REQUIRED`) come before an
//! expired password, which comes before the warn window and factor enrolment.
//!
//! Other `_links` targets (`change_password`, `recovery/unlock`, factor `verify`/`enroll`) are
//! only emitted; calling them answers `404 E0000008`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::error::OktaError;
use super::model::{Factor, StoredUser, UserStatus};
use super::settings::OktaSettings;
use super::store::{Store, Transaction};
use super::{Okta, json_response, limits};
use crate::kit::RequestOrigin;
use crate::kit::clock::iso_millis;

/// Lifetime of a `stateToken` (sliding) and of a `sessionToken`.
const TOKEN_LIFETIME_MINUTES: i64 = 5;

/// The fields of an authn request the mock reads.
#[derive(Debug, Default)]
struct AuthnRequest {
    username: Option<String>,
    password: Option<String>,
    token: Option<String>,
    relay_state: Option<String>,
    warn_before_password_expired: bool,
}

fn string_field(map: &Map<String, Value>, key: &str) -> Result<Option<String>, OktaError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(OktaError::MalformedBody),
    }
}

fn json_object(body: &[u8]) -> Result<Map<String, Value>, OktaError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(OktaError::MalformedBody),
    }
}

/// Reads an authn body in one pass, without building a JSON tree: a JSON object whose
/// `username`, `password`, `token` and `relayState` are strings or `null` and whose `options`
/// is an object (or `null`) with a boolean (or `null`) `warnBeforePasswordExpired`; other
/// members are skipped whatever they hold. A member given twice counts with its last value, as
/// when the body is read into a map.
fn parse_request(body: &[u8]) -> Result<AuthnRequest, OktaError> {
    use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

    /// A member's name, read without copying it.
    enum Field {
        Username,
        Password,
        Token,
        RelayState,
        Options,
        WarnBeforePasswordExpired,
        Other,
    }

    impl<'de> Deserialize<'de> for Field {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Name;
            impl Visitor<'_> for Name {
                type Value = Field;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a member name")
                }
                fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Field, E> {
                    Ok(match name {
                        "username" => Field::Username,
                        "password" => Field::Password,
                        "token" => Field::Token,
                        "relayState" => Field::RelayState,
                        "options" => Field::Options,
                        "warnBeforePasswordExpired" => Field::WarnBeforePasswordExpired,
                        _ => Field::Other,
                    })
                }
            }
            d.deserialize_identifier(Name)
        }
    }

    /// `options`: its `warnBeforePasswordExpired`.
    struct Options(bool);

    impl<'de> Deserialize<'de> for Options {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Object;
            impl<'de> Visitor<'de> for Object {
                type Value = Options;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("an options object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Options, A::Error> {
                    let mut warn = false;
                    while let Some(field) = map.next_key::<Field>()? {
                        if let Field::WarnBeforePasswordExpired = field {
                            warn = map.next_value::<Option<bool>>()?.unwrap_or(false);
                        } else {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                    Ok(Options(warn))
                }
            }
            d.deserialize_map(Object)
        }
    }

    struct Request;

    impl<'de> Visitor<'de> for Request {
        type Value = AuthnRequest;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an authn request object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AuthnRequest, A::Error> {
            let mut request = AuthnRequest::default();
            while let Some(field) = map.next_key::<Field>()? {
                match field {
                    Field::Username => request.username = map.next_value()?,
                    Field::Password => request.password = map.next_value()?,
                    Field::Token => request.token = map.next_value()?,
                    Field::RelayState => request.relay_state = map.next_value()?,
                    Field::Options => {
                        request.warn_before_password_expired =
                            map.next_value::<Option<Options>>()?.is_some_and(|o| o.0);
                    }
                    Field::WarnBeforePasswordExpired | Field::Other => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(request)
        }
    }

    let mut de = serde_json::Deserializer::from_slice(body);
    let mut request = de.deserialize_map(Request).map_err(|_| OktaError::MalformedBody)?;
    de.end().map_err(|_| OktaError::MalformedBody)?;
    request.username = request.username.filter(|u| !u.is_empty());
    request.password = request.password.filter(|p| !p.is_empty());
    Ok(request)
}

/// What primary authentication (or `skip`) leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Success,
    PasswordWarn,
    PasswordExpired,
    MfaRequired,
    MfaEnroll,
}

impl Step {
    fn status(self) -> &'static str {
        match self {
            Step::Success => "SUCCESS",
            Step::PasswordWarn => "PASSWORD_WARN",
            Step::PasswordExpired => "PASSWORD_EXPIRED",
            Step::MfaRequired => "MFA_REQUIRED",
            Step::MfaEnroll => "MFA_ENROLL",
        }
    }
}

fn link(base: &str, path: &str, name: Option<&str>) -> Value {
    let mut link = Map::new();
    if let Some(name) = name {
        link.insert("name".into(), Value::String(name.into()));
    }
    link.insert("href".into(), Value::String(format!("{base}{path}")));
    link.insert("hints".into(), json!({ "allow": ["POST"] }));
    Value::Object(link)
}

fn complexity(settings: &OktaSettings) -> Value {
    let c = settings.password_policy.complexity;
    json!({
        "minLength": c.min_length,
        "minLowerCase": c.min_lower_case,
        "minUpperCase": c.min_upper_case,
        "minNumber": c.min_number,
        "minSymbol": c.min_symbol,
    })
}

fn factor_json(base: &str, factor: &Factor, enrolled: bool) -> Value {
    let mut out = Map::new();
    if enrolled {
        out.insert("id".into(), Value::String(factor.id.clone()));
    }
    out.insert("factorType".into(), Value::String(factor.factor_type.clone()));
    out.insert("provider".into(), Value::String(factor.provider.clone()));
    out.insert("vendorName".into(), Value::String(factor.provider.clone()));
    if enrolled {
        if let Some(profile) = factor.masked_profile() {
            out.insert("profile".into(), Value::Object(profile));
        }
        let verify = link(base, &format!("/api/v1/authn/factors/{}/verify", factor.id), None);
        out.insert("_links".into(), json!({ "verify": verify }));
    } else {
        out.insert("status".into(), Value::String("NOT_SETUP".into()));
        out.insert("enrollment".into(), Value::String(factor.enrollment.clone()));
        out.insert(
            "_links".into(),
            json!({ "enroll": link(base, "/api/v1/authn/factors", None) }),
        );
    }
    Value::Object(out)
}

/// Decides the step after a good password, updating the user as Okta would (expiry noticed at
/// login turns the status into `PASSWORD_EXPIRED`; a success stamps `lastLogin`).
fn next_step(user: &mut StoredUser, warn_requested: bool, now: DateTime<Utc>) -> Step {
    if user.password_expired && user.status == UserStatus::Active {
        user.set_status(UserStatus::PasswordExpired, now);
    }
    let step = if !user.factors.is_empty() {
        Step::MfaRequired
    } else if user.status == UserStatus::PasswordExpired {
        Step::PasswordExpired
    } else if user.password_warn && warn_requested {
        Step::PasswordWarn
    } else if !user.enroll.is_empty() {
        Step::MfaEnroll
    } else {
        Step::Success
    };
    if step == Step::Success {
        user.last_login = Some(now);
    }
    step
}

/// The body of an authentication transaction, in Okta's member order.
#[derive(Serialize)]
struct TransactionBody<'u> {
    #[serde(rename = "stateToken", skip_serializing_if = "Option::is_none")]
    state_token: Option<String>,
    #[serde(rename = "expiresAt")]
    expires_at: String,
    status: &'static str,
    #[serde(rename = "relayState", skip_serializing_if = "Option::is_none")]
    relay_state: Option<String>,
    #[serde(rename = "sessionToken", skip_serializing_if = "Option::is_none")]
    session_token: Option<String>,
    #[serde(rename = "_embedded")]
    embedded: Embedded<'u>,
    #[serde(rename = "_links", skip_serializing_if = "Map::is_empty")]
    links: Map<String, Value>,
}

#[derive(Serialize)]
struct Embedded<'u> {
    user: AuthnUser<'u>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    factors: Option<Value>,
}

/// `_embedded.user` of an authentication transaction: id, passwordChanged and the five
/// profile fields, `timeZone` with a capital Z (okta.md §3.4). Names are copied as stored
/// (missing stays missing, null stays null) so both "undefined undefined" and "null null"
/// can be provoked. Written straight from the stored user, without building a JSON tree.
struct AuthnUser<'u>(&'u StoredUser);

impl Serialize for AuthnUser<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let user = self.0;
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("id", &user.id)?;
        map.serialize_entry("passwordChanged", &user.password_changed.map(iso_millis))?;
        map.serialize_entry("profile", &AuthnProfile(user))?;
        map.end()
    }
}

struct AuthnProfile<'u>(&'u StoredUser);

impl Serialize for AuthnProfile<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let (login, profile) = (&self.0.login, &self.0.profile);
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("login", login)?;
        for name in ["firstName", "lastName"] {
            if let Some(value) = profile.get(name) {
                map.serialize_entry(name, value)?;
            }
        }
        match profile.get("locale") {
            Some(locale) => map.serialize_entry("locale", locale)?,
            None => map.serialize_entry("locale", "en_US")?,
        }
        match profile.get("timezone") {
            Some(zone) => map.serialize_entry("timeZone", zone)?,
            None => map.serialize_entry("timeZone", "America/Los_Angeles")?,
        }
        map.end()
    }
}

/// Builds the transaction body for `step`, opening a transaction when the step has a
/// `stateToken`. Links are on `base`, the org as the request named it.
#[allow(clippy::too_many_arguments)] // the store's parts are borrowed separately
fn transaction<'u>(
    okta: &Okta,
    base: &str,
    transactions: &mut HashMap<String, Transaction>,
    settings: &OktaSettings,
    user: &'u StoredUser,
    step: Step,
    relay_state: Option<String>,
    now: DateTime<Utc>,
) -> TransactionBody<'u> {
    let ids = &okta.kit_ref().ids;
    let expires_at = now + Duration::minutes(TOKEN_LIFETIME_MINUTES);
    let mut body = TransactionBody {
        state_token: None,
        expires_at: iso_millis(expires_at),
        status: step.status(),
        relay_state: None,
        session_token: None,
        embedded: Embedded {
            user: AuthnUser(user),
            policy: None,
            factors: None,
        },
        links: Map::new(),
    };
    if step != Step::Success {
        let state_token = format!("00{}", ids.token(40));
        transactions.retain(|_, t| t.expires_at > now);
        transactions.insert(
            state_token.clone(),
            Transaction {
                user_id: user.id.clone(),
                status: step.status(),
                expires_at,
                relay_state: relay_state.clone(),
            },
        );
        body.state_token = Some(state_token);
    }
    body.relay_state = relay_state;
    let embedded = &mut body.embedded;
    let links = &mut body.links;
    let cancel = || link(base, "/api/v1/authn/cancel", None);
    match step {
        Step::Success => {
            body.session_token = Some(format!("00{}", ids.token(40)));
        }
        Step::PasswordWarn => {
            embedded.policy = Some(json!({
                "expiration": { "passwordExpireDays": settings.password_policy.warn_days },
                "complexity": complexity(settings),
            }));
            links.insert(
                "next".into(),
                link(
                    base,
                    "/api/v1/authn/credentials/change_password",
                    Some("changePassword"),
                ),
            );
            links.insert("skip".into(), link(base, "/api/v1/authn/skip", Some("skip")));
            links.insert("cancel".into(), cancel());
        }
        Step::PasswordExpired => {
            embedded.policy = Some(json!({ "complexity": complexity(settings) }));
            links.insert(
                "next".into(),
                link(
                    base,
                    "/api/v1/authn/credentials/change_password",
                    Some("changePassword"),
                ),
            );
            links.insert("cancel".into(), cancel());
        }
        Step::MfaRequired => {
            let factors = user.factors.iter().map(|f| factor_json(base, f, true)).collect();
            embedded.factors = Some(Value::Array(factors));
            links.insert("cancel".into(), cancel());
        }
        Step::MfaEnroll => {
            let factors = user.enroll.iter().map(|f| factor_json(base, f, false)).collect();
            embedded.factors = Some(Value::Array(factors));
            links.insert("cancel".into(), cancel());
            if user.enroll.iter().all(|f| f.enrollment == "OPTIONAL") {
                links.insert("skip".into(), link(base, "/api/v1/authn/skip", Some("skip")));
            }
        }
    }
    body
}

/// A locked-out user: `401 E0000004` when failures are hidden (the default), else the
/// `LOCKED_OUT` transaction — 200, no `stateToken`, an empty `_embedded` (no user).
fn locked_out(
    okta: &Okta,
    origin: &RequestOrigin,
    settings: &OktaSettings,
    relay_state: Option<String>,
) -> Result<Response, OktaError> {
    if !settings.lockout.show_failures {
        return Err(OktaError::AuthenticationFailed);
    }
    let base = okta.org(origin).base;
    let mut body = Map::new();
    body.insert("status".into(), Value::String("LOCKED_OUT".into()));
    if let Some(relay_state) = relay_state {
        body.insert("relayState".into(), Value::String(relay_state));
    }
    body.insert("_embedded".into(), json!({}));
    body.insert(
        "_links".into(),
        json!({
            "next": link(base, "/api/v1/authn/recovery/unlock", Some("unlock")),
            "cancel": link(base, "/api/v1/authn/cancel", None),
        }),
    );
    Ok(json_response(StatusCode::OK, &Value::Object(body)))
}

/// `POST /api/v1/authn`.
pub(crate) async fn authn_create(
    State(okta): State<Okta>,
    origin: RequestOrigin,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OktaError> {
    // A trusted app sends an API token; when one is sent it must be valid.
    if headers.contains_key(header::AUTHORIZATION) {
        okta.authorize(&headers)?;
    }
    let request = parse_request(&body)?;
    let (Some(username), Some(password)) = (request.username, request.password) else {
        if request.token.is_some() {
            // An activation token: the mock issues none, so none is valid.
            return Err(OktaError::AuthenticationFailed);
        }
        return Err(OktaError::validation(
            "authRequest",
            "The 'username' and 'password' attributes are required in this context.",
        ));
    };
    let limits = okta.store().settings.rate_limits;
    if let Some(verdict) = limits::hit_username(okta.windows(), &limits, &username)
        && !verdict.allowed
    {
        return Err(OktaError::TooManyRequests(Some(verdict)));
    }
    let now = okta.now();
    let mut store = okta.store();
    let id = store.find_username(&username).ok_or(OktaError::AuthenticationFailed)?;
    // The user, the open transactions and the settings are borrowed side by side: nothing is
    // copied per request.
    let Store {
        users,
        transactions,
        settings,
        ..
    } = &mut *store;
    let user = users.get_mut(&id).ok_or(OktaError::AuthenticationFailed)?;
    match user.status {
        UserStatus::Active | UserStatus::PasswordExpired => {}
        UserStatus::LockedOut => return locked_out(&okta, &origin, settings, request.relay_state),
        // Suspended, deprovisioned, staged, provisioned and in-recovery users cannot sign in.
        _ => return Err(OktaError::AuthenticationFailed),
    }
    let Some(hash) = &user.password else {
        return Err(OktaError::AuthenticationFailed);
    };
    if !hash.verify(&password) {
        user.failed_attempts = user.failed_attempts.saturating_add(1);
        let max = settings.lockout.max_attempts;
        if max > 0 && user.failed_attempts >= max {
            user.set_status(UserStatus::LockedOut, now);
            return locked_out(&okta, &origin, settings, request.relay_state);
        }
        return Err(OktaError::AuthenticationFailed);
    }
    user.failed_attempts = 0;
    let step = next_step(user, request.warn_before_password_expired, now);
    let body = transaction(
        &okta,
        okta.org(&origin).base,
        transactions,
        settings,
        user,
        step,
        request.relay_state,
        now,
    );
    Ok(json_response(StatusCode::OK, &body))
}

/// The open transaction of a `{"stateToken": …}` body, extending its lifetime.
fn open_transaction(store: &mut Store, body: &[u8], now: DateTime<Utc>) -> Result<(String, Transaction), OktaError> {
    let map = json_object(body)?;
    let token = string_field(&map, "stateToken")?.ok_or(OktaError::InvalidToken)?;
    let transaction = store.transactions.get_mut(&token).ok_or(OktaError::InvalidToken)?;
    if transaction.expires_at <= now {
        store.transactions.remove(&token);
        return Err(OktaError::InvalidToken);
    }
    transaction.expires_at = now + Duration::minutes(TOKEN_LIFETIME_MINUTES);
    Ok((token, transaction.clone()))
}

/// `POST /api/v1/authn/cancel`: ends the transaction; answers its `relayState`, if any.
pub(crate) async fn authn_cancel(State(okta): State<Okta>, body: Bytes) -> Result<Response, OktaError> {
    let now = okta.now();
    let mut store = okta.store();
    let (token, transaction) = open_transaction(&mut store, &body, now)?;
    store.transactions.remove(&token);
    let body = match transaction.relay_state {
        Some(relay_state) => json!({ "relayState": relay_state }),
        None => json!({}),
    };
    Ok(json_response(StatusCode::OK, &body))
}

/// `POST /api/v1/authn/skip`: from `PASSWORD_WARN` (or an all-optional `MFA_ENROLL`) to the next
/// step.
pub(crate) async fn authn_skip(
    State(okta): State<Okta>,
    origin: RequestOrigin,
    body: Bytes,
) -> Result<Response, OktaError> {
    let now = okta.now();
    let mut store = okta.store();
    let (token, open) = open_transaction(&mut store, &body, now)?;
    let user = store.users.get_mut(&open.user_id).ok_or(OktaError::InvalidToken)?;
    let skippable = match open.status {
        "PASSWORD_WARN" => true,
        "MFA_ENROLL" => user.enroll.iter().all(|f| f.enrollment == "OPTIONAL"),
        _ => false,
    };
    if !skippable {
        return Err(OktaError::InvalidAuthState);
    }
    let step = if open.status == "PASSWORD_WARN" && !user.enroll.is_empty() {
        Step::MfaEnroll
    } else {
        user.last_login = Some(now);
        Step::Success
    };
    let user = user.clone();
    store.transactions.remove(&token);
    let Store {
        transactions, settings, ..
    } = &mut *store;
    let body = transaction(
        &okta,
        okta.org(&origin).base,
        transactions,
        settings,
        &user,
        step,
        open.relay_state,
        now,
    );
    Ok(json_response(StatusCode::OK, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fields_okta_reads_and_refuses_malformed_bodies() {
        let request = parse_request(
            br#"{"username":"a","password":"p","relayState":"/x","options":{"warnBeforePasswordExpired":true}}"#,
        )
        .expect("valid");
        assert_eq!(request.username.as_deref(), Some("a"));
        assert!(request.warn_before_password_expired);
        assert_eq!(request.relay_state.as_deref(), Some("/x"));
        assert_eq!(parse_request(b"{nope").err(), Some(OktaError::MalformedBody));
        assert_eq!(parse_request(b"[]").err(), Some(OktaError::MalformedBody));
        assert_eq!(parse_request(b"").err(), Some(OktaError::MalformedBody));
        assert_eq!(
            parse_request(br#"{"username": 5}"#).err(),
            Some(OktaError::MalformedBody)
        );
        let empty = parse_request(br#"{"username":"","password":""}"#).expect("valid json");
        assert_eq!((empty.username, empty.password), (None, None));
    }
}
