//! A stored account (gigya.md §7) and the views of it each method shows.
//!
//! An account is kept as the JSON document Gigya would export, in Gigya's own field names
//! (`UID`, `created` + `createdTimestamp`, `profile`, `loginIDs`, `password`, …), so that the
//! query language, `SELECT` projections and IdentitySync read it directly. The `password` member
//! holds what Gigya exports: `{hash, hashSettings{algorithm, rounds, salt, format?, …}, created}`
//! for hashes, and `{compoundHashedPassword, created}` for an imported compound (MCF) hash —
//! Gigya's documentation shows no export of one; the mock returns it under its import name (the
//! npm SDK's account type calls it `compoundHash`, which seeds accept too). Lockout counters live
//! beside the document, not in it.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::error::GigyaError;
use super::query::iso;

/// `include` values of accounts.getAccountInfo (gigya.md §4).
pub(crate) const INCLUDES: &[&str] = &[
    "identities-active",
    "identities-all",
    "identities-global",
    "loginIDs",
    "emails",
    "profile",
    "data",
    "memberships",
    "password",
    "isLockedOut",
    "lastLoginLocation",
    "regSource",
    "irank",
    "rba",
    "subscriptions",
    "userInfo",
    "preferences",
    "groups",
    "internal",
    "customIdentifiers",
    "communications",
];

/// Profile fields shown only when named in `extraProfileFields` (gigya.md §4).
pub(crate) const EXTRA_PROFILE_FIELDS: &[&str] = &[
    "languages",
    "address",
    "phones",
    "education",
    "educationLevel",
    "honors",
    "publications",
    "patents",
    "certifications",
    "professionalHeadline",
    "bio",
    "industry",
    "specialties",
    "work",
    "skills",
    "religion",
    "politicalView",
    "interestedIn",
    "relationshipStatus",
    "hometown",
    "favorites",
    "followersCount",
    "followingCount",
    "username",
    "name",
    "locale",
    "verified",
    "timezone",
    "likes",
    "samlData",
];

/// Fields every getAccountInfo answer carries, whatever `include` says.
const ALWAYS: &[&str] = &[
    "UID",
    "created",
    "createdTimestamp",
    "isActive",
    "isRegistered",
    "isVerified",
    "lastLogin",
    "lastLoginTimestamp",
    "lastUpdated",
    "lastUpdatedTimestamp",
    "oldestDataUpdated",
    "oldestDataUpdatedTimestamp",
    "registered",
    "registeredTimestamp",
    "verified",
    "verifiedTimestamp",
    "loginProvider",
    "socialProviders",
];

/// One stored account. The document is kept as compact JSON text — about a tenth of the memory
/// of a parsed `Map` (a million accounts take about a gigabyte instead of ten) — and parsed when
/// read; its UID and login identifiers are kept beside it for the index.
#[derive(Clone, Debug)]
pub(crate) struct Account {
    uid: Box<str>,
    json: Box<str>,
    login_ids: Box<[Box<str>]>,
    /// Consecutive wrong passwords.
    pub(crate) failed_logins: u32,
    pub(crate) locked_until: Option<DateTime<Utc>>,
}

impl Account {
    /// An account holding `doc`, with fresh lockout counters.
    pub(crate) fn new(doc: &Map<String, Value>) -> Self {
        let mut account = Self {
            uid: Box::from(""),
            json: Box::from("{}"),
            login_ids: Box::new([]),
            failed_logins: 0,
            locked_until: None,
        };
        account.set_doc(doc);
        account
    }

    pub(crate) fn uid(&self) -> &str {
        &self.uid
    }

    /// The document, parsed.
    pub(crate) fn doc(&self) -> Map<String, Value> {
        serde_json::from_str(&self.json).unwrap_or_default()
    }

    /// Replaces the document.
    pub(crate) fn set_doc(&mut self, doc: &Map<String, Value>) {
        self.uid = doc.get("UID").and_then(Value::as_str).unwrap_or_default().into();
        self.json = serde_json::to_string(doc)
            .unwrap_or_else(|_| "{}".into())
            .into_boxed_str();
        self.login_ids = login_ids_of(doc).into_iter().map(String::into_boxed_str).collect();
    }

    /// Every login identifier (emails, unverified emails, username, phone), lower-cased.
    pub(crate) fn login_ids(&self) -> impl Iterator<Item = &str> {
        self.login_ids.iter().map(|id| &**id)
    }

    /// The document and lock state, ready to read or change.
    pub(crate) fn load(&self) -> AccountDoc {
        AccountDoc {
            doc: self.doc(),
            failed_logins: self.failed_logins,
            locked_until: self.locked_until,
        }
    }

    /// The state view for dashboards: no hash, salt or compound hash.
    pub(crate) fn state_view(&self) -> Value {
        self.load().state_view()
    }
}

impl From<&AccountDoc> for Account {
    fn from(loaded: &AccountDoc) -> Self {
        let mut account = Account::new(&loaded.doc);
        account.failed_logins = loaded.failed_logins;
        account.locked_until = loaded.locked_until;
        account
    }
}

/// An account's parsed document with its lock state: what handlers read and change before
/// storing it back as an [`Account`].
#[derive(Clone, Debug, Default)]
pub(crate) struct AccountDoc {
    pub(crate) doc: Map<String, Value>,
    pub(crate) failed_logins: u32,
    pub(crate) locked_until: Option<DateTime<Utc>>,
}

impl AccountDoc {
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.doc.get(name).and_then(Value::as_bool).unwrap_or(false)
    }

    /// Every login identifier (emails, unverified emails, username), lower-cased.
    pub(crate) fn login_ids(&self) -> Vec<String> {
        login_ids_of(&self.doc)
    }

    /// Whether `email` (any case) is a verified address of the account.
    pub(crate) fn email_verified(&self, email: &str) -> bool {
        let listed = |v: Option<&Value>| {
            v.and_then(Value::as_array).is_some_and(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .any(|e| e.eq_ignore_ascii_case(email))
            })
        };
        let verified = self.doc.get("emails").and_then(|e| e.get("verified"));
        let unverified_login = self.doc.get("loginIDs").and_then(|l| l.get("unverifiedEmails"));
        listed(verified) || (self.flag("isVerified") && !listed(unverified_login))
    }

    /// The stored password (the export object), if any.
    pub(crate) fn password(&self) -> Option<&Map<String, Value>> {
        self.doc
            .get("password")
            .and_then(Value::as_object)
            .filter(|p| p.contains_key("hash") || p.contains_key("compoundHashedPassword"))
    }

    /// The getAccountInfo view: the always-present fields, plus what `include` and
    /// `extraProfileFields` ask for.
    pub(crate) fn info_view(
        &self,
        include: &[String],
        extra_profile: &[String],
        now: DateTime<Utc>,
    ) -> Map<String, Value> {
        let has = |name: &str| include.iter().any(|i| i == name);
        let mut out = Map::new();
        for key in ALWAYS {
            if let Some(v) = self.doc.get(*key) {
                out.insert((*key).to_owned(), v.clone());
            }
        }
        let copy = |key: &str, out: &mut Map<String, Value>| {
            if let Some(v) = self.doc.get(key) {
                out.insert(key.to_owned(), v.clone());
            }
        };
        if has("identities-active") || has("identities-all") || has("identities-global") {
            copy("identities", &mut out);
        }
        if has("loginIDs") {
            copy("loginIDs", &mut out);
            copy("phoneNumber", &mut out);
        }
        for key in [
            "emails",
            "data",
            "preferences",
            "subscriptions",
            "communications",
            "customIdentifiers",
            "regSource",
            "lastLoginLocation",
        ] {
            if has(key) {
                copy(key, &mut out);
            }
        }
        if has("rba") {
            copy("rbaPolicy", &mut out);
        }
        if has("irank") {
            out.insert("iRank".into(), 0.into());
        }
        if has("isLockedOut") {
            let locked = self.locked_until.is_some_and(|t| t > now);
            out.insert("isLockedOut".into(), locked.into());
            if let Some(until) = self.locked_until.filter(|_| locked) {
                out.insert("lockedUntil".into(), iso(until).into());
            }
        }
        if has("profile")
            && let Some(Value::Object(profile)) = self.doc.get("profile")
        {
            let shown: Map<String, Value> = profile
                .iter()
                .filter(|(k, _)| !EXTRA_PROFILE_FIELDS.contains(&k.as_str()) || extra_profile.iter().any(|e| e == *k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            out.insert("profile".into(), Value::Object(shown));
            copy("lang", &mut out);
        }
        if let Some(password) = self.doc.get("password").and_then(Value::as_object) {
            let view: Map<String, Value> = if has("password") {
                password.clone()
            } else {
                password
                    .iter()
                    .filter(|(k, _)| k.as_str() == "created")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            };
            if !view.is_empty() {
                out.insert("password".into(), Value::Object(view));
            }
        }
        out
    }

    /// The state view for dashboards: no hash, salt or compound hash.
    pub(crate) fn state_view(&self) -> Value {
        let mut doc = self.doc.clone();
        if let Some(Value::Object(password)) = doc.get_mut("password") {
            password.remove("hash");
            if password.remove("compoundHashedPassword").is_some() {
                password.insert("compound".into(), true.into());
            }
            if let Some(Value::Object(settings)) = password.get_mut("hashSettings") {
                settings.remove("salt");
            }
        }
        if self.failed_logins > 0 {
            doc.insert("failedLoginCount".into(), self.failed_logins.into());
        }
        if let Some(until) = self.locked_until {
            doc.insert("lockedUntil".into(), iso(until).into());
        }
        Value::Object(doc)
    }
}

/// Every login identifier of a document, lower-cased.
pub(crate) fn login_ids_of(doc: &Map<String, Value>) -> Vec<String> {
    let mut ids = Vec::new();
    if let Some(Value::Object(login)) = doc.get("loginIDs") {
        for key in ["emails", "unverifiedEmails"] {
            if let Some(Value::Array(list)) = login.get(key) {
                ids.extend(list.iter().filter_map(Value::as_str).map(str::to_lowercase));
            }
        }
        if let Some(username) = login.get("username").and_then(Value::as_str) {
            ids.push(username.to_lowercase());
        }
    }
    if let Some(phone) = doc.get("phoneNumber").and_then(Value::as_str) {
        ids.push(phone.to_lowercase());
    }
    ids.sort();
    ids.dedup();
    ids
}

/// What `lastLogin` says of an account that never logged in (SAP's accounts.search example for an
/// imported account; FIDELITY.md `gigya/account-fields`).
pub(crate) const NEVER_LOGGED_IN: &str = "0001-01-01T00:00:00Z";

/// `lastLogin` and `lastLoginTimestamp` of an account that never logged in: Gigya sends both
/// (the npm SDK's `Account` type has them as non-optional), with the year-1 date and 0.
pub(crate) fn set_never_logged_in(doc: &mut Map<String, Value>) {
    doc.insert("lastLogin".into(), NEVER_LOGGED_IN.into());
    doc.insert("lastLoginTimestamp".into(), 0.into());
}

/// Sets `name` (ISO 8601) and `nameTimestamp` (ms).
pub(crate) fn set_time(doc: &mut Map<String, Value>, name: &str, t: DateTime<Utc>) {
    doc.insert(name.to_owned(), iso(t).into());
    doc.insert(format!("{name}Timestamp"), t.timestamp_millis().into());
}

/// Gigya's write semantics for objects (profile, data, …): fields merge one by one, `null`
/// removes a field, arrays and scalars replace.
pub(crate) fn merge(dst: &mut Map<String, Value>, src: Map<String, Value>) {
    for (key, value) in src {
        match value {
            Value::Null => {
                dst.remove(&key);
            }
            Value::Object(inner) => match dst.get_mut(&key) {
                Some(Value::Object(existing)) => merge(existing, inner),
                _ => {
                    let mut fresh = Map::new();
                    merge(&mut fresh, inner);
                    dst.insert(key, Value::Object(fresh));
                }
            },
            other => {
                dst.insert(key, other);
            }
        }
    }
}

/// Removes `null` members at any depth (a stored document never holds them).
pub(crate) fn strip_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            for v in map.values_mut() {
                strip_nulls(v);
            }
        }
        Value::Array(items) => {
            for v in items {
                strip_nulls(v);
            }
        }
        _ => {}
    }
}

/// Reads a list of strings (the members of `emails`, `loginIDs`).
pub(crate) fn string_list(value: &Value, field: &str) -> Result<Vec<String>, GigyaError> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| GigyaError::invalid(field, "expected a list of strings"))
            })
            .collect(),
        Value::String(s) => Ok(s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()),
        _ => Err(GigyaError::invalid(field, "expected a list of strings")),
    }
}

/// Checks and normalizes `loginIDs` and `emails` objects as imported.
pub(crate) fn normalize_identifiers(doc: &mut Map<String, Value>) -> Result<(), GigyaError> {
    if let Some(login) = doc.get("loginIDs").cloned() {
        let Value::Object(login) = login else {
            return Err(GigyaError::invalid("loginIDs", "expected an object"));
        };
        let mut out = Map::new();
        for (key, value) in login {
            match key.as_str() {
                "emails" | "unverifiedEmails" => {
                    let list = string_list(&value, &format!("loginIDs.{key}"))?;
                    if let Some(bad) = list.iter().find(|e| !looks_like_email(e)) {
                        return Err(GigyaError::invalid(
                            &format!("loginIDs.{key}"),
                            format!("'{bad}' is not an email"),
                        ));
                    }
                    if !list.is_empty() {
                        out.insert(key, json!(list));
                    }
                }
                "username" => match value {
                    Value::String(s) if !s.trim().is_empty() => {
                        out.insert(key, Value::String(s));
                    }
                    Value::Null => {}
                    _ => return Err(GigyaError::invalid("loginIDs.username", "expected a non-empty string")),
                },
                other => {
                    return Err(GigyaError::invalid(
                        &format!("loginIDs.{other}"),
                        "unknown member (use emails, unverifiedEmails, username)",
                    ));
                }
            }
        }
        doc.insert("loginIDs".into(), Value::Object(out));
    }
    if let Some(emails) = doc.get("emails").cloned() {
        let Value::Object(emails) = emails else {
            return Err(GigyaError::invalid("emails", "expected an object"));
        };
        let mut out = Map::new();
        for (key, value) in emails {
            if key != "verified" && key != "unverified" {
                return Err(GigyaError::invalid(
                    &format!("emails.{key}"),
                    "unknown member (use verified, unverified)",
                ));
            }
            let list = string_list(&value, &format!("emails.{key}"))?;
            if !list.is_empty() {
                out.insert(key, json!(list));
            }
        }
        doc.insert("emails".into(), Value::Object(out));
    }
    Ok(())
}

/// Fields of an account written as objects, merged field by field.
pub(crate) const OBJECT_FIELDS: &[&str] = &[
    "profile",
    "data",
    "preferences",
    "subscriptions",
    "communications",
    "customIdentifiers",
    "rbaPolicy",
    "lastLoginLocation",
];

/// Plain string fields an import may set.
const STRING_FIELDS: &[&str] = &["phoneNumber", "lang", "regSource", "loginProvider", "socialProviders"];

/// Timestamps an import may set (ISO 8601, `yyyy-MM-dd[ HH:mm:ss]`, or Unix milliseconds).
const TIME_FIELDS: &[&str] = &["created", "lastLogin", "lastUpdated", "registered", "verified"];

/// A timestamp parameter.
pub(crate) fn read_time(field: &str, value: &Value) -> Result<Option<DateTime<Utc>>, GigyaError> {
    let millis = match value {
        Value::Null => return Ok(None),
        Value::String(s) if s.is_empty() => return Ok(None),
        Value::String(s) => super::query::parse_date_millis(s),
        Value::Number(n) => n.as_i64(),
        _ => None,
    };
    millis
        .and_then(DateTime::<Utc>::from_timestamp_millis)
        .map(Some)
        .ok_or_else(|| GigyaError::invalid(field, "expected an ISO 8601 date"))
}

/// Builds a stored account document from import fields (Gigya's names: `profile`, `loginIDs`,
/// `isActive`, `created`, …) and an already-read `password`. `derive` (seeds only) fills
/// `loginIDs` from `profile.email` and `emails` from `loginIDs` when they are absent. Unknown
/// fields are ignored, as Gigya ignores unknown parameters.
pub(crate) fn build(
    uid: &str,
    fields: &Map<String, Value>,
    password: Option<Map<String, Value>>,
    now: DateTime<Utc>,
    derive: bool,
) -> Result<Map<String, Value>, GigyaError> {
    if uid.trim().is_empty() || uid.len() > 256 || uid.chars().any(char::is_control) {
        return Err(GigyaError::invalid(
            "UID",
            "expected a non-empty identifier without control characters",
        ));
    }
    let mut doc = Map::new();
    doc.insert("UID".into(), uid.into());
    for key in OBJECT_FIELDS {
        match fields.get(*key) {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                let mut value = Value::Object(map.clone());
                strip_nulls(&mut value);
                if value.as_object().is_some_and(|m| !m.is_empty()) {
                    doc.insert((*key).to_owned(), value);
                }
            }
            Some(_) => return Err(GigyaError::invalid(key, "expected a JSON object")),
        }
    }
    match fields.get("identities") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) if items.iter().all(Value::is_object) => {
            if !items.is_empty() {
                doc.insert("identities".into(), Value::Array(items.clone()));
            }
        }
        Some(_) => return Err(GigyaError::invalid("identities", "expected an array of objects")),
    }
    for key in STRING_FIELDS {
        match fields.get(*key) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.is_empty() => {}
            Some(Value::String(s)) => {
                doc.insert((*key).to_owned(), s.clone().into());
            }
            Some(_) => return Err(GigyaError::invalid(key, "expected a string")),
        }
    }
    for key in ["loginIDs", "emails"] {
        if let Some(v) = fields.get(key).filter(|v| !v.is_null()) {
            doc.insert(key.to_owned(), v.clone());
        }
    }
    normalize_identifiers(&mut doc)?;
    if let Some(Value::Object(profile)) = doc.get("profile") {
        validate_profile(profile)?;
    }
    let flag = |name: &str| -> Result<Option<bool>, GigyaError> {
        match fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(GigyaError::invalid(name, "expected true or false")),
        }
    };
    if derive {
        derive_identifiers(&mut doc, flag("isVerified")?);
    }
    let has_verified = doc
        .get("emails")
        .and_then(|e| e.get("verified"))
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    let is_active = flag("isActive")?.unwrap_or(true);
    let is_registered = flag("isRegistered")?.unwrap_or(true);
    let is_verified = flag("isVerified")?.unwrap_or(has_verified);
    doc.insert("isActive".into(), is_active.into());
    doc.insert("isRegistered".into(), is_registered.into());
    doc.insert("isVerified".into(), is_verified.into());
    let mut times = std::collections::HashMap::new();
    for key in TIME_FIELDS {
        if let Some(t) = fields.get(*key).map(|v| read_time(key, v)).transpose()?.flatten() {
            times.insert(*key, t);
        }
    }
    let created = times.get("created").copied().unwrap_or(now);
    set_time(&mut doc, "created", created);
    set_time(&mut doc, "oldestDataUpdated", created);
    // A seed describes an account as it has been since `created`; an import writes it now.
    let updated = if derive { created } else { now.max(created) };
    set_time(
        &mut doc,
        "lastUpdated",
        times.get("lastUpdated").copied().unwrap_or(updated),
    );
    match times.get("lastLogin") {
        Some(t) => set_time(&mut doc, "lastLogin", *t),
        None => set_never_logged_in(&mut doc),
    }
    if is_registered {
        set_time(
            &mut doc,
            "registered",
            times.get("registered").copied().unwrap_or(created),
        );
    }
    if is_verified {
        set_time(&mut doc, "verified", times.get("verified").copied().unwrap_or(created));
    }
    let site_identity = password.is_some() || doc.contains_key("loginIDs");
    if site_identity {
        doc.entry("socialProviders").or_insert_with(|| "site".into());
        doc.entry("loginProvider").or_insert_with(|| "site".into());
    }
    if let Some(mut password) = password {
        password.entry("created").or_insert_with(|| iso(created).into());
        doc.insert("password".into(), Value::Object(password));
    }
    Ok(doc)
}

/// Checks the typed fields of Gigya's profile schema (400009 with one entry per bad field):
/// `email` an email, `gender` one of `m`, `f`, `u`, `birthDay` 1–31, `birthMonth` 1–12,
/// `birthYear` 1800–9999, `age` a whole number.
pub(crate) fn validate_profile(profile: &Map<String, Value>) -> Result<(), GigyaError> {
    let mut errors = Vec::new();
    let mut bad = |field: &str, message: &str| {
        errors.push(super::error::ValidationError {
            field_name: format!("profile.{field}"),
            message: message.to_owned(),
        });
    };
    if let Some(email) = profile.get("email")
        && !email.as_str().is_some_and(looks_like_email)
    {
        bad("email", "invalid email address");
    }
    if let Some(gender) = profile.get("gender")
        && !gender.as_str().is_some_and(|g| matches!(g, "m" | "f" | "u"))
    {
        bad("gender", "gender must be m, f or u");
    }
    let whole = |v: &Value| v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
    for (field, lo, hi) in [
        ("birthDay", 1, 31),
        ("birthMonth", 1, 12),
        ("birthYear", 1800, 9999),
        ("age", 0, 200),
    ] {
        if let Some(v) = profile.get(field)
            && !whole(v).is_some_and(|n| (lo..=hi).contains(&n))
        {
            bad(field, &format!("{field} must be a whole number from {lo} to {hi}"));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(GigyaError::Validation(errors))
    }
}

/// Seeds only: `loginIDs.emails` from `profile.email`, and `emails` from the login emails
/// (verified when the account is), when they are not given.
fn derive_identifiers(doc: &mut Map<String, Value>, is_verified: Option<bool>) {
    if !doc.contains_key("loginIDs")
        && let Some(email) = doc.get("profile").and_then(|p| p.get("email")).and_then(Value::as_str)
        && looks_like_email(email)
    {
        doc.insert("loginIDs".into(), json!({ "emails": [email] }));
    }
    if !doc.contains_key("emails")
        && let Some(emails) = doc.get("loginIDs").and_then(|l| l.get("emails")).cloned()
    {
        let key = if is_verified.unwrap_or(true) {
            "verified"
        } else {
            "unverified"
        };
        doc.insert("emails".into(), json!({ key: emails }));
    }
}

/// A light email check: something@something.
pub(crate) fn looks_like_email(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => !local.is_empty() && !domain.is_empty() && !text.contains(char::is_whitespace),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> AccountDoc {
        let doc = json!({
            "UID": "u1", "created": "2024-01-01T00:00:00.000Z", "createdTimestamp": 1,
            "isActive": true, "isRegistered": true, "isVerified": true,
            "profile": {"email": "a@b.c", "firstName": "A", "locale": "en", "phones": [{"number": "1"}]},
            "data": {"x": 1}, "emails": {"verified": ["a@b.c"]},
            "loginIDs": {"emails": ["A@b.c"], "username": "Ace"},
            "password": {"hash": "h", "hashSettings": {"algorithm": "pbkdf2", "rounds": 3000, "salt": "s"}, "created": "2024-01-01T00:00:00.000Z"},
            "subscriptions": {"news": {"email": {"isSubscribed": true}}}
        });
        AccountDoc {
            doc: doc.as_object().cloned().unwrap_or_default(),
            ..AccountDoc::default()
        }
    }

    #[test]
    fn default_include_is_profile_and_data_without_extra_profile_fields() {
        let view = account().info_view(&["profile".into(), "data".into()], &[], Utc::now());
        assert_eq!(view["profile"], json!({"email": "a@b.c", "firstName": "A"}));
        assert_eq!(view["data"], json!({"x": 1}));
        assert_eq!(view["password"], json!({"created": "2024-01-01T00:00:00.000Z"}));
        assert!(!view.contains_key("loginIDs") && !view.contains_key("subscriptions"));
        assert_eq!(view["UID"], "u1");
    }

    #[test]
    fn include_and_extra_profile_fields_open_the_gates() {
        let include: Vec<String> = ["loginIDs", "password", "profile"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let view = account().info_view(&include, &["locale".into()], Utc::now());
        assert_eq!(
            view["profile"],
            json!({"email": "a@b.c", "firstName": "A", "locale": "en"})
        );
        assert_eq!(view["password"]["hash"], "h");
        assert!(view.contains_key("loginIDs") && !view.contains_key("data"));
    }

    #[test]
    fn login_ids_are_lower_cased_and_kept_beside_the_compact_document() {
        assert_eq!(account().login_ids(), vec!["a@b.c".to_owned(), "ace".to_owned()]);
        let stored = Account::from(&account());
        assert_eq!(stored.login_ids().collect::<Vec<_>>(), ["a@b.c", "ace"]);
        assert_eq!(stored.uid(), "u1");
        assert_eq!(stored.load().doc, account().doc);
    }

    #[test]
    fn merge_removes_nulls_and_merges_objects() {
        let mut dst = json!({"a": 1, "b": {"c": 2, "d": 3}})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let src = json!({"a": null, "b": {"c": null, "e": [1]}})
            .as_object()
            .cloned()
            .unwrap_or_default();
        merge(&mut dst, src);
        assert_eq!(Value::Object(dst), json!({"b": {"d": 3, "e": [1]}}));
    }

    #[test]
    fn state_view_hides_password_material() {
        let state = account().state_view();
        assert_eq!(
            state["password"],
            json!({"hashSettings": {"algorithm": "pbkdf2", "rounds": 3000}, "created": "2024-01-01T00:00:00.000Z"})
        );
    }
}
