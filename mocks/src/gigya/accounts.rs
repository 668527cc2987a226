//! The `accounts.*` methods: search with cursors (gigya.md §3), getAccountInfo (§4), login (§5),
//! importFullAccount, setAccountInfo (§6) and deleteAccount.
//!
//! Each handler reads its parameters, takes the store lock once (nothing here awaits), and
//! returns the method's fields; the envelope is added by the caller.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};

use super::Gigya;
use super::account::{self, Account, EXTRA_PROFILE_FIELDS, INCLUDES, OBJECT_FIELDS, merge, set_time};
use super::error::GigyaError;
use super::params::Params;
use super::password;
use super::query::{self, DEFAULT_LIMIT, Expr, Query, Select};
use super::settings::CURSOR_TTL_SECS;
use super::store::{Cursor, CursorPosition, Store};

/// The fields of an answer, built up.
type Fields = Map<String, Value>;

fn invalid_query(problem: String) -> GigyaError {
    GigyaError::invalid("query", problem)
}

/// `accounts.search`. `may_read_hashes`: whether the caller's key may read password hashes.
pub(crate) fn search(gigya: &Gigya, params: &Params, may_read_hashes: bool) -> Result<Fields, GigyaError> {
    let now = gigya.now();
    if let Some(account_types) = params.get("accountTypes")
        && !account_types.split(',').all(|t| matches!(t.trim(), "full" | "lite"))
    {
        return Err(GigyaError::invalid("accountTypes", "expected full, lite or full,lite"));
    }
    if let Some(cursor_id) = params.get("cursorId") {
        if params.get("query").is_some() {
            return Err(GigyaError::invalid(
                "cursorId",
                "cursorId cannot be sent together with query",
            ));
        }
        let mut store = gigya.store();
        store.prune_cursors(now);
        let Some(cursor) = store.cursors.get(cursor_id).cloned() else {
            return Err(GigyaError::invalid(
                "cursorId",
                format!("unknown or expired cursor (a cursor lives {CURSOR_TTL_SECS} seconds)"),
            ));
        };
        return Ok(cursor_page(gigya, &mut store, &cursor, now));
    }
    let text = params.require("query")?;
    let query = query::parse(text).map_err(invalid_query)?;
    let lite_only = params
        .get("accountTypes")
        .is_some_and(|t| t.split(',').all(|t| t.trim() == "lite"));
    let empty_source = match query.from.as_str() {
        "accounts" => lite_only,
        "emailaccounts" => true,
        other => return Err(invalid_query(format!("unknown source '{other}' (use accounts)"))),
    };
    let open_cursor = params.bool("openCursor")?.unwrap_or(false);
    if open_cursor && query.start.is_some() {
        return Err(GigyaError::invalid(
            "openCursor",
            "openCursor cannot be combined with START",
        ));
    }
    let mut store = gigya.store();
    // FIDELITY: gigya/search-password, gigya/password-permission.
    let with_password = store.settings.search_returns_password && may_read_hashes;
    let filter = query.filter.as_ref();
    let total = if empty_source { 0 } else { count(&store, filter) };
    if matches!(query.select, Select::Count) {
        let mut out = Fields::new();
        out.insert("results".into(), json!([{ "count(*)": total }]));
        out.insert("objectsCount".into(), 1.into());
        out.insert("totalCount".into(), total.into());
        return Ok(out);
    }
    if empty_source {
        let mut out = Fields::new();
        out.insert("objectsCount".into(), 0.into());
        out.insert("results".into(), json!([]));
        out.insert("totalCount".into(), 0.into());
        return Ok(out);
    }
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if open_cursor {
        let position = if query.order.is_empty() {
            CursorPosition::After(None)
        } else {
            CursorPosition::Uids(Arc::new(sorted_uids(&store, &query)), 0)
        };
        let cursor = Cursor {
            issued: now,
            query: Arc::new(query),
            total,
            position,
            with_password,
        };
        store.prune_cursors(now);
        return Ok(cursor_page(gigya, &mut store, &cursor, now));
    }
    let start = query.start.unwrap_or(0);
    let skip: &[&str] = if with_password { &[] } else { &["password"] };
    let results: Vec<Value> = if query.order.is_empty() {
        store
            .accounts
            .values()
            .map(Account::doc)
            .filter(|doc| keep(filter, doc))
            .skip(start)
            .take(limit)
            .map(|doc| Value::Object(query::project_owned(doc, &query.select, skip)))
            .collect()
    } else {
        sorted_uids(&store, &query)
            .iter()
            .skip(start)
            .take(limit)
            .filter_map(|uid| store.accounts.get(uid))
            .map(|a| Value::Object(query::project(&a.doc(), &query.select, skip)))
            .collect()
    };
    let mut out = Fields::new();
    out.insert("objectsCount".into(), results.len().into());
    out.insert("results".into(), Value::Array(results));
    out.insert("totalCount".into(), total.into());
    Ok(out)
}

/// Whether a document passes the `WHERE` condition.
fn keep(filter: Option<&Expr>, doc: &Map<String, Value>) -> bool {
    filter.is_none_or(|f| f.matches(doc))
}

/// How many accounts pass the condition (without reading any when there is none).
fn count(store: &Store, filter: Option<&Expr>) -> usize {
    match filter {
        None => store.accounts.len(),
        Some(f) => store.accounts.values().filter(|a| f.matches(&a.doc())).count(),
    }
}

/// UIDs of matching accounts in `ORDER BY` order (UID order among equals). Only the sort keys
/// are held, not the documents.
fn sorted_uids(store: &Store, query: &Query) -> Vec<String> {
    let mut found: Vec<(Vec<Option<Value>>, &str)> = store
        .accounts
        .values()
        .filter_map(|a| {
            let doc = a.doc();
            keep(query.filter.as_ref(), &doc).then(|| (query::sort_key(&doc, &query.order), a.uid()))
        })
        .collect();
    found.sort_by(|a, b| query::compare_keys(&a.0, &b.0, &query.order));
    found.into_iter().map(|(_, uid)| uid.to_owned()).collect()
}

/// One page of a cursor walk, and the cursor for the next page when there is one.
fn cursor_page(gigya: &Gigya, store: &mut Store, cursor: &Cursor, now: DateTime<Utc>) -> Fields {
    let query = &cursor.query;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).max(1);
    let limit = if store.settings.short_cursor_batches {
        batch_size(limit, cursor.total, &position_key(&cursor.position))
    } else {
        limit
    };
    let skip: &[&str] = if cursor.with_password { &[] } else { &["password"] };
    let (results, next): (Vec<Value>, Option<CursorPosition>) = match &cursor.position {
        CursorPosition::After(after) => {
            let range: Box<dyn Iterator<Item = &Account>> = match after {
                None => Box::new(store.accounts.values()),
                Some(uid) => Box::new(
                    store
                        .accounts
                        .range::<String, _>((std::ops::Bound::Excluded(uid.clone()), std::ops::Bound::Unbounded))
                        .map(|(_, a)| a),
                ),
            };
            let mut results = Vec::with_capacity(limit.min(1024));
            let mut last: Option<&str> = None;
            let mut more = false;
            for account in range {
                let doc = account.doc();
                if !keep(query.filter.as_ref(), &doc) {
                    continue;
                }
                if results.len() == limit {
                    more = true;
                    break;
                }
                results.push(Value::Object(query::project_owned(doc, &query.select, skip)));
                last = Some(account.uid());
            }
            let next = more
                .then(|| last.map(|uid| CursorPosition::After(Some(uid.to_owned()))))
                .flatten();
            (results, next)
        }
        CursorPosition::Uids(uids, at) => {
            let end = (*at + limit).min(uids.len());
            let results = uids[(*at).min(end)..end]
                .iter()
                .filter_map(|uid| store.accounts.get(uid))
                .map(|a| Value::Object(query::project_owned(a.doc(), &query.select, skip)))
                .collect();
            let next = (end < uids.len()).then(|| CursorPosition::Uids(uids.clone(), end));
            (results, next)
        }
        CursorPosition::Records(records, at) => {
            let end = (*at + limit).min(records.len());
            let results = records[(*at).min(end)..end]
                .iter()
                .map(|r| Value::Object(query::project(r, &query.select, &[])))
                .collect();
            let next = (end < records.len()).then(|| CursorPosition::Records(records.clone(), end));
            (results, next)
        }
    };
    let mut out = Fields::new();
    out.insert("objectsCount".into(), results.len().into());
    out.insert("results".into(), Value::Array(results));
    out.insert("totalCount".into(), cursor.total.into());
    if let Some(position) = next {
        let id = gigya.kit_ref().ids.token(48);
        store.cursors.insert(
            id.clone(),
            Cursor {
                issued: now,
                position,
                ..cursor.clone()
            },
        );
        out.insert("nextCursorId".into(), id.into());
    }
    out
}

/// How many results a cursor batch holds when batches may be short (FIDELITY.md
/// `gigya/search-short-batches`): between half of `LIMIT` (rounded up) and all of it, picked by a
/// hash of the walk's size and the position, so that the same walk gives the same batches every
/// time.
fn batch_size(limit: usize, total: usize, position: &str) -> usize {
    if limit < 2 {
        return limit;
    }
    // FNV-1a: stable across runs and platforms, unlike the standard library's hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let walk = format!("{limit}/{total}/{position}");
    for byte in walk.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let spread = limit / 2 + 1;
    limit - usize::try_from(hash % spread as u64).unwrap_or(0)
}

/// A text naming where a cursor stands, for [`batch_size`].
fn position_key(position: &CursorPosition) -> String {
    match position {
        CursorPosition::After(None) => "start".into(),
        CursorPosition::After(Some(uid)) => format!("after:{uid}"),
        CursorPosition::Uids(_, at) | CursorPosition::Records(_, at) => format!("at:{at}"),
    }
}

/// The page of an `idx.search` cursor (IdentitySync records).
pub(crate) fn records_page(gigya: &Gigya, store: &mut Store, cursor: &Cursor, now: DateTime<Utc>) -> Fields {
    cursor_page(gigya, store, cursor, now)
}

fn include_list(params: &Params) -> Result<Vec<String>, GigyaError> {
    let include = params
        .list("include")
        .unwrap_or_else(|| vec!["profile".into(), "data".into()]);
    if let Some(bad) = include.iter().find(|i| !INCLUDES.contains(&i.as_str())) {
        return Err(GigyaError::invalid("include", format!("'{bad}' is not a valid value")));
    }
    Ok(include)
}

fn extra_profile_fields(params: &Params) -> Vec<String> {
    params
        .list("extraProfileFields")
        .unwrap_or_default()
        .into_iter()
        .filter(|f| EXTRA_PROFILE_FIELDS.contains(&f.as_str()))
        .collect()
}

fn unauthorized_uid() -> GigyaError {
    GigyaError::UnauthorizedUser("Unauthorized user".into())
}

/// `accounts.getAccountInfo`. `may_read_hashes`: whether the caller's key may read password
/// hashes (`include=password`).
pub(crate) fn get_account_info(gigya: &Gigya, params: &Params, may_read_hashes: bool) -> Result<Fields, GigyaError> {
    let include = include_list(params)?;
    // FIDELITY: gigya/password-permission.
    if !may_read_hashes && include.iter().any(|i| i == "password") {
        return Err(GigyaError::PermissionDenied(
            "This application key has no permission to read password hashes (include=password)".into(),
        ));
    }
    let extra = extra_profile_fields(params);
    let now = gigya.now();
    let uid = match (params.get("UID"), params.get("regToken")) {
        (Some(uid), _) => uid.to_owned(),
        (None, Some(token)) => {
            let store = gigya.store();
            store
                .reg_token_uid(token, now)
                .map(str::to_owned)
                .ok_or_else(|| GigyaError::invalid("regToken", "unknown or expired registration token"))?
        }
        (None, None) => return Err(GigyaError::missing("UID")),
    };
    gigya.check_uid_rate(&uid)?;
    let store = gigya.store();
    let account = store.accounts.get(&uid).ok_or_else(unauthorized_uid)?;
    Ok(account.load().info_view(&include, &extra, now))
}

/// `accounts.login`. The password is checked (and re-hashed) without holding the store lock,
/// so that slow hashes (bcrypt, many PBKDF2 rounds) do not stall other requests.
pub(crate) fn login(gigya: &Gigya, params: &Params) -> Result<Fields, GigyaError> {
    let login_id = params.require("loginID")?;
    let plain = params.require("password")?;
    let include = include_list(params)?;
    let extra = extra_profile_fields(params);
    let now = gigya.now();
    let (uid, stored_password, settings) = {
        let store = gigya.store();
        let uid = store
            .uid_by_login(login_id)
            .map(str::to_owned)
            .ok_or(GigyaError::InvalidLoginId)?;
        let account = store.accounts.get(&uid).ok_or(GigyaError::InvalidLoginId)?;
        if account.locked_until.is_some_and(|t| t > now) {
            return Err(GigyaError::LockedOut);
        }
        (uid, account.load().password().cloned(), store.settings.clone())
    };
    let ok = match &stored_password {
        None => false,
        Some(stored) => password::verify(stored, plain)
            .map_err(|e| GigyaError::General(format!("The mock cannot verify this account's password hash: {e}")))?,
    };
    // Gigya re-hashes a password stored in another form with the site policy at the first login.
    let rehashed = match &stored_password {
        Some(stored) if ok && !password::is_site_form(stored, &settings.site_hash) => {
            let salt = password::new_salt(&settings.site_hash.algorithm, &gigya.kit_ref().ids);
            password::site_hash(&settings.site_hash, plain, &salt, now)
                .ok()
                .map(|mut fresh| {
                    if let Some(created) = stored.get("created") {
                        fresh.insert("created".into(), created.clone());
                    }
                    fresh
                })
        }
        _ => None,
    };
    let mut store = gigya.store();
    let Some(stored) = store.accounts.get_mut(&uid) else {
        return Err(GigyaError::InvalidLoginId);
    };
    if !ok {
        stored.failed_logins += 1;
        if settings.lockout.max_failures > 0 && stored.failed_logins >= settings.lockout.max_failures {
            stored.locked_until = Some(now + Duration::minutes(i64::from(settings.lockout.minutes)));
            stored.failed_logins = 0;
        }
        return Err(GigyaError::InvalidLoginId);
    }
    stored.failed_logins = 0;
    stored.locked_until = None;
    let mut account = stored.load();
    if !account.flag("isActive") {
        return Err(GigyaError::AccountDisabled);
    }
    let unverified_email = login_id.contains('@') && !account.email_verified(login_id);
    if !account.flag("isRegistered") {
        let token = gigya.kit_ref().ids.token(40);
        store.issue_reg_token(token.clone(), &uid, now);
        return Err(GigyaError::PendingRegistration { reg_token: token });
    }
    if settings.require_verified_email && (unverified_email || !account.flag("isVerified")) {
        let token = gigya.kit_ref().ids.token(40);
        store.issue_reg_token(token.clone(), &uid, now);
        return Err(GigyaError::PendingVerification { reg_token: token, uid });
    }
    if let Some(rehashed) = rehashed
        && account.password() == stored_password.as_ref()
    {
        account.doc.insert("password".into(), Value::Object(rehashed));
    }
    set_time(&mut account.doc, "lastLogin", now);
    account.doc.insert("loginProvider".into(), "site".into());
    let mut out = account.info_view(&include, &extra, now);
    store.put(Account::from(&account));
    let session = if params
        .get("targetEnv")
        .is_some_and(|t| t.eq_ignore_ascii_case("mobile"))
    {
        json!({ "sessionToken": gigya.kit_ref().ids.token(40), "sessionSecret": gigya.kit_ref().ids.token(28) })
    } else {
        json!({ "cookieName": format!("glt_{}", settings.api_key), "cookieValue": gigya.kit_ref().ids.token(64) })
    };
    out.insert("sessionInfo".into(), session);
    out.insert("newUser".into(), false.into());
    Ok(out)
}

/// The account fields an import or update may carry, from the request's parameters.
fn account_fields(params: &Params) -> Result<Fields, GigyaError> {
    let mut fields = Fields::new();
    for key in OBJECT_FIELDS.iter().chain(["loginIDs", "emails"].iter()) {
        if let Some(map) = params.object(key)? {
            fields.insert((*key).to_owned(), Value::Object(map));
        }
    }
    if let Some(text) = params.get("identities") {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => {
                fields.insert("identities".into(), Value::Array(items));
            }
            _ => return Err(GigyaError::invalid("identities", "expected a JSON array")),
        }
    }
    for key in ["isActive", "isRegistered", "isVerified"] {
        if let Some(b) = params.bool(key)? {
            fields.insert(key.into(), b.into());
        }
    }
    for key in [
        "created",
        "lastLogin",
        "lastUpdated",
        "registered",
        "verified",
        "phoneNumber",
        "lang",
        "regSource",
    ] {
        if let Some(v) = params.get(key) {
            fields.insert(key.into(), v.into());
        }
    }
    Ok(fields)
}

/// `accounts.importFullAccount`.
pub(crate) fn import_full_account(gigya: &Gigya, params: &Params) -> Result<Fields, GigyaError> {
    let now = gigya.now();
    let uid = match (params.get("UID"), params.bool("createUID")?) {
        (Some(uid), _) => uid.to_owned(),
        (None, Some(true)) => gigya.kit_ref().ids.hex(32),
        (None, _) => return Err(GigyaError::missing("UID")),
    };
    let upsert = match params.get("importPolicy") {
        None => false,
        Some(p) if p.eq_ignore_ascii_case("insert") => false,
        Some(p) if p.eq_ignore_ascii_case("upsert") => true,
        Some(other) => {
            return Err(GigyaError::invalid(
                "importPolicy",
                format!("'{other}' is not insert or upsert"),
            ));
        }
    };
    let fields = account_fields(params)?;
    let stored_password = params
        .object("password")?
        .map(|p| password::from_import("password", &p))
        .transpose()?;
    if let Some(stored) = &stored_password {
        password::check_computable("password", stored)?;
    }
    let limit = gigya.store().settings.rate_limits.import_per_uid_per_minute;
    if !gigya.within(&format!("import:{uid}"), limit, 60_000) {
        return Err(GigyaError::ServiceUnavailable(format!(
            "Service unavailable for this operation: more than {limit} imports of UID {uid} within a minute"
        )));
    }
    gigya.check_uid_rate(&uid)?;
    let fresh = account::build(&uid, &fields, stored_password.clone(), now, false)?;
    let mut store = gigya.store();
    let doc = match store.accounts.get(&uid) {
        Some(_) if !upsert => {
            return Err(GigyaError::UniqueIdentifierExists(format!(
                "An account with UID '{uid}' already exists (importPolicy insert)"
            )));
        }
        Some(existing) => {
            let mut doc = existing.doc();
            for key in fields.keys().map(String::as_str).chain(["password"]) {
                let Some(value) = fresh.get(key) else { continue };
                if key == "password" && stored_password.is_none() {
                    continue;
                }
                match (doc.get_mut(key), value) {
                    (Some(Value::Object(old)), Value::Object(new)) if key != "password" => merge(old, new.clone()),
                    _ => {
                        doc.insert(key.to_owned(), value.clone());
                        if key != "password"
                            && let Some(ts) = fresh.get(&format!("{key}Timestamp"))
                        {
                            doc.insert(format!("{key}Timestamp"), ts.clone());
                        }
                    }
                }
            }
            for flag in ["isRegistered", "isVerified"] {
                let time = if flag == "isRegistered" {
                    "registered"
                } else {
                    "verified"
                };
                if fields.contains_key(flag) && !fields.contains_key(time) {
                    if doc.get(flag) == Some(&Value::Bool(true)) {
                        if !doc.contains_key(time) {
                            set_time(&mut doc, time, now);
                        }
                    } else {
                        doc.remove(time);
                        doc.remove(&format!("{time}Timestamp"));
                    }
                }
            }
            set_time(&mut doc, "lastUpdated", now);
            account::normalize_identifiers(&mut doc)?;
            doc
        }
        None => fresh,
    };
    let mut candidate = Account::new(&doc);
    let ids: Vec<String> = candidate.login_ids().map(str::to_owned).collect();
    if let Some(taken) = store.login_conflict(&ids, &uid) {
        return Err(GigyaError::LoginIdExists(format!(
            "Login identifier '{taken}' is used by another account"
        )));
    }
    if let Some(existing) = store.accounts.get(&uid) {
        candidate.failed_logins = existing.failed_logins;
        candidate.locked_until = existing.locked_until;
    }
    store.put(candidate);
    let mut out = Fields::new();
    out.insert("UID".into(), uid.into());
    Ok(out)
}

/// `accounts.setAccountInfo`.
pub(crate) fn set_account_info(gigya: &Gigya, params: &Params) -> Result<Fields, GigyaError> {
    let uid = params.require("UID")?.to_owned();
    let now = gigya.now();
    let mut objects = Vec::new();
    for key in OBJECT_FIELDS {
        if let Some(map) = params.object(key)? {
            objects.push((*key, map));
        }
    }
    let is_active = params.bool("isActive")?;
    let is_verified = params.bool("isVerified")?;
    let is_registered = params.bool("isRegistered")?;
    let security_override = params.bool("securityOverride")?.unwrap_or(false);
    let new_password = params.get("newPassword");
    let add_emails = params.list("addLoginEmails").unwrap_or_default();
    let remove_emails = params.list("removeLoginEmails").unwrap_or_default();
    if let Some(bad) = add_emails.iter().find(|e| !account::looks_like_email(e)) {
        return Err(GigyaError::invalid(
            "addLoginEmails",
            format!("'{bad}' is not an email"),
        ));
    }
    gigya.check_uid_rate(&uid)?;
    let mut store = gigya.store();
    let settings = store.settings.clone();
    let Some(existing) = store.accounts.get(&uid) else {
        return Err(unauthorized_uid());
    };
    let mut account = existing.load();
    for (key, map) in objects {
        let mut target = match account.doc.remove(key) {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        merge(&mut target, map);
        if key == "profile" {
            account::validate_profile(&target)?;
        }
        if !target.is_empty() {
            account.doc.insert(key.to_owned(), Value::Object(target));
        }
    }
    if let Some(active) = is_active {
        account.doc.insert("isActive".into(), active.into());
    }
    if let Some(registered) = is_registered {
        account.doc.insert("isRegistered".into(), registered.into());
        if registered && !account.doc.contains_key("registered") {
            set_time(&mut account.doc, "registered", now);
        }
    }
    if is_verified == Some(true) {
        verify_all_emails(&mut account.doc);
        account.doc.insert("isVerified".into(), true.into());
        if !account.doc.contains_key("verified") {
            set_time(&mut account.doc, "verified", now);
        }
    } else if is_verified == Some(false) {
        account.doc.insert("isVerified".into(), false.into());
    }
    let login = account
        .doc
        .entry("loginIDs")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(login) = login {
        if let Some(username) = params.raw("username") {
            if username.is_empty() {
                login.remove("username");
            } else {
                login.insert("username".into(), username.into());
            }
        }
        let mut emails: Vec<String> = login
            .get("emails")
            .map(|v| account::string_list(v, "loginIDs.emails"))
            .transpose()?
            .unwrap_or_default();
        let mut unverified: Vec<String> = login
            .get("unverifiedEmails")
            .map(|v| account::string_list(v, "loginIDs.unverifiedEmails"))
            .transpose()?
            .unwrap_or_default();
        for email in &add_emails {
            if !emails
                .iter()
                .chain(unverified.iter())
                .any(|e| e.eq_ignore_ascii_case(email))
            {
                emails.push(email.clone());
            }
        }
        emails.retain(|e| !remove_emails.iter().any(|r| r.eq_ignore_ascii_case(e)));
        unverified.retain(|e| !remove_emails.iter().any(|r| r.eq_ignore_ascii_case(e)));
        for (key, list) in [("emails", emails), ("unverifiedEmails", unverified)] {
            if list.is_empty() {
                login.remove(key);
            } else {
                login.insert(key.into(), json!(list));
            }
        }
    }
    if account
        .doc
        .get("loginIDs")
        .and_then(Value::as_object)
        .is_some_and(Map::is_empty)
    {
        account.doc.remove("loginIDs");
    }
    for email in &add_emails {
        if !account.email_verified(email) {
            add_to_list(&mut account.doc, "emails", "unverified", email);
        }
    }
    if let Some(new_password) = new_password {
        if !security_override {
            let current = params.require("password")?;
            let matches = account
                .password()
                .map(|p| password::verify(p, current).unwrap_or(false))
                .unwrap_or(false);
            if !matches {
                return Err(GigyaError::InvalidLoginId);
            }
        }
        let salt = password::new_salt(&settings.site_hash.algorithm, &gigya.kit_ref().ids);
        let stored = password::site_hash(&settings.site_hash, new_password, &salt, now)
            .map_err(|e| GigyaError::General(format!("The mock cannot hash with the site policy: {e}")))?;
        account.doc.insert("password".into(), Value::Object(stored));
        account.doc.entry("socialProviders").or_insert_with(|| "site".into());
    }
    if let Some(taken) = store.login_conflict(&account.login_ids(), &uid) {
        let what = if taken.contains('@') { "Email" } else { "Username" };
        return Err(GigyaError::UniqueIdentifierExists(format!("{what} already exists")));
    }
    set_time(&mut account.doc, "lastUpdated", now);
    store.put(Account::from(&account));
    Ok(Fields::new())
}

fn add_to_list(doc: &mut Map<String, Value>, object: &str, key: &str, item: &str) {
    let entry = doc.entry(object).or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(map) = entry {
        let list = map.entry(key).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = list
            && !items
                .iter()
                .any(|v| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case(item)))
        {
            items.push(item.into());
        }
    }
}

/// `isVerified: true` verifies every email of the account (irreversible, gigya.md §6).
fn verify_all_emails(doc: &mut Map<String, Value>) {
    let mut to_verify: Vec<String> = Vec::new();
    if let Some(Value::Object(emails)) = doc.get_mut("emails")
        && let Some(Value::Array(list)) = emails.remove("unverified")
    {
        to_verify.extend(list.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    if let Some(Value::Object(login)) = doc.get_mut("loginIDs")
        && let Some(Value::Array(list)) = login.remove("unverifiedEmails")
    {
        let moved: Vec<String> = list.iter().filter_map(Value::as_str).map(str::to_owned).collect();
        for email in &moved {
            let emails = login.entry("emails").or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = emails {
                items.push(email.clone().into());
            }
        }
        to_verify.extend(moved);
    }
    for email in to_verify {
        add_to_list(doc, "emails", "verified", &email);
    }
}

/// `accounts.deleteAccount`.
pub(crate) fn delete_account(gigya: &Gigya, params: &Params) -> Result<Fields, GigyaError> {
    let uid = params.require("UID")?;
    gigya.check_uid_rate(uid)?;
    let mut store = gigya.store();
    store.remove(uid).ok_or_else(unauthorized_uid)?;
    Ok(Fields::new())
}
