//! `POST /v1/applications/{id}/loginAttempts` (stormpath.md §5, reference.rst "Login
//! Attempts"): `{"type": "basic", "value": base64("usernameOrEmail:password"),
//! "accountStore"?: {"href": …}}`, optionally `?expand=account`.
//!
//! Resolution, first match wins: the named account store, else each mapped directory in
//! mapping order; in a store the account whose username or email equals the identifier
//! (ignoring case). The first store holding a match decides, even if the password would match
//! in a later one.
//!
//! Choices (stormpath.md leaves them open):
//! - The value is split on the first `:` (passwords may hold colons, so a username cannot) and
//!   decoded as UTF-8 (the API is UTF-8 throughout).
//! - The password is checked before the account's status: a wrong password answers 7100 even
//!   for a disabled or unverified account, and only the right password learns 7101 / 7102. A
//!   disabled directory answers 7106 before any password check.
//! - Body validation, in order: a `Content-Type` other than JSON 415; not a JSON object 400 /
//!   400; `type` missing or blank 2000, not `"basic"` 2003; `value` missing or blank 2000, not a
//!   string 2004, not Base64 2006, not UTF-8 2005, without `:` 2006; an `accountStore` that is
//!   not a store of this tenant 2014, one not mapped to the application 5114 (a `nameKey` names
//!   an organization, and the mock has none: 2014).
//! - Success is `200` with `Location` (the account's href) and `{"account": {"href"}}`, or the
//!   full account with `expand=account`.
//! - A stored hash is never rewritten on success (Stormpath re-hashed imported hashes on the
//!   first login; the mock keeps them so the export stays what was seeded).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use base64::Engine;
use serde_json::{Map, Value, json};

use super::accounts::account_json;
use super::error::{LoginFailure, StormpathError};
use super::model::{AccountStatus, ResourceStatus};
use super::password;
use super::query::parse_expand;
use super::resources::check_application;
use super::store::Store;
use super::{Segments, Stormpath, json_response};
use crate::kit::RequestOrigin;

/// Whether the request body is declared as JSON.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// `(identifier, password)` from a login attempt's `value`.
fn credentials(value: Option<&Value>) -> Result<(String, String), StormpathError> {
    let text = match value {
        None | Some(Value::Null) => return Err(StormpathError::Required("Login attempt value")),
        Some(Value::String(s)) if s.trim().is_empty() => return Err(StormpathError::Required("Login attempt value")),
        Some(Value::String(s)) => s.trim(),
        Some(_) => {
            return Err(StormpathError::invalid(
                2004,
                "Login attempt value must be a String: the Base64 encoding of 'username:password'.",
            ));
        }
    };
    let not_base64 = || {
        StormpathError::invalid(
            2006,
            "Login attempt value format is invalid: it must be the Base64 encoding of 'username:password'.",
        )
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| not_base64())?;
    let decoded = String::from_utf8(bytes).map_err(|_| {
        StormpathError::invalid(
            2005,
            "Login attempt value uses an invalid character encoding: the decoded 'username:password' must be UTF-8.",
        )
    })?;
    let (identifier, password) = decoded.split_once(':').ok_or_else(not_base64)?;
    Ok((identifier.to_owned(), password.to_owned()))
}

/// The directory an `accountStore` names, checked against the application's stores.
fn account_store(store: &Store, base: &str, value: &Value) -> Result<String, StormpathError> {
    let href = match value {
        Value::String(href) => href.as_str(),
        Value::Object(map) => match (map.get("href"), map.get("nameKey")) {
            (Some(Value::String(href)), _) => href.as_str(),
            _ => return Err(StormpathError::InvalidAccountStore),
        },
        _ => return Err(StormpathError::InvalidAccountStore),
    };
    let prefix = format!("{base}/v1/directories/");
    let id = href
        .strip_prefix(&prefix)
        .filter(|id| !id.is_empty() && !id.contains('/'))
        .ok_or(StormpathError::InvalidAccountStore)?;
    let directory = store.directory(id).ok_or(StormpathError::InvalidAccountStore)?;
    if !directory.mapped {
        return Err(StormpathError::Login(LoginFailure::StoreNotMapped));
    }
    Ok(directory.id.clone())
}

/// Finds the account and checks password, directory and status.
fn authenticate(
    store: &Store,
    only_store: Option<&str>,
    identifier: &str,
    password: &str,
) -> Result<String, StormpathError> {
    let stores: Vec<String> = match only_store {
        Some(id) => vec![id.to_owned()],
        None => store.mapped_directories().map(|d| d.id.clone()).collect(),
    };
    if stores.is_empty() {
        return Err(StormpathError::Login(LoginFailure::NoAccountStores));
    }
    let account = stores
        .iter()
        .find_map(|directory| store.find_in_directory(directory, identifier))
        .ok_or(StormpathError::Login(LoginFailure::NoSuchAccount))?;
    if store
        .directory(&account.directory_id)
        .is_some_and(|d| d.status == ResourceStatus::Disabled)
    {
        return Err(StormpathError::Login(LoginFailure::DirectoryDisabled));
    }
    let matches = account
        .password
        .as_deref()
        .is_some_and(|stored| password::verify(stored, password));
    if !matches {
        return Err(StormpathError::Login(LoginFailure::WrongPassword));
    }
    match account.status {
        AccountStatus::Enabled => Ok(account.id.clone()),
        AccountStatus::Disabled => Err(StormpathError::Login(LoginFailure::Disabled)),
        AccountStatus::Unverified => Err(StormpathError::Login(LoginFailure::Unverified)),
    }
}

/// `POST /v1/applications/{id}/loginAttempts`.
pub(crate) async fn login_attempts(
    State(sp): State<Stormpath>,
    origin: RequestOrigin,
    Segments(id): Segments<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, StormpathError> {
    {
        let store = sp.store();
        check_application(&store, &id)?;
    }
    let mut expand_account = false;
    for (name, value) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        if name == "expand" {
            expand_account = parse_expand(&value, &["account"])?.iter().any(|e| e.name == "account");
        }
    }
    if !is_json(&headers) {
        return Err(StormpathError::UnsupportedMediaType);
    }
    let Ok(Value::Object(attempt)) = serde_json::from_slice::<Value>(&body) else {
        return Err(StormpathError::MalformedBody);
    };
    match attempt.get("type") {
        None | Some(Value::Null) => return Err(StormpathError::Required("Login attempt type")),
        Some(Value::String(t)) if t.trim().is_empty() => {
            return Err(StormpathError::Required("Login attempt type"));
        }
        Some(Value::String(t)) if t == "basic" => {}
        Some(other) => {
            let shown = other.as_str().map_or_else(|| other.to_string(), str::to_owned);
            return Err(StormpathError::invalid(
                2003,
                format!("Login attempt type '{shown}' is unsupported. The only supported type is 'basic'."),
            ));
        }
    }
    let (identifier, password) = credentials(attempt.get("value"))?;
    let hrefs = sp.hrefs(&origin);
    // Password verification (bcrypt) is slow; it runs under the lock, which is never held
    // across an await.
    let store = sp.store();
    let only_store = match attempt.get("accountStore") {
        None | Some(Value::Null) => None,
        Some(value) => Some(account_store(&store, hrefs.base, value)?),
    };
    let account_id = authenticate(&store, only_store.as_deref(), &identifier, &password)?;
    let href = hrefs.account(&account_id);
    let account = if expand_account {
        store
            .accounts
            .get(&account_id)
            .map_or(Value::Null, |a| account_json(&store, hrefs, a, &[]))
    } else {
        Value::Object(Map::from_iter([("href".to_owned(), Value::String(href.clone()))]))
    };
    let mut response = json_response(StatusCode::OK, &json!({ "account": account }));
    if let Ok(value) = HeaderValue::from_str(&href) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(text: &str) -> Value {
        Value::String(base64::engine::general_purpose::STANDARD.encode(text))
    }

    #[test]
    fn splits_on_the_first_colon_and_decodes_utf8() {
        assert_eq!(
            credentials(Some(&b64("first2shoot:Change+me1:x"))).expect("valid"),
            ("first2shoot".into(), "Change+me1:x".into())
        );
        assert_eq!(
            credentials(Some(&b64("zoë@example.com:pässwörd"))).expect("utf-8"),
            ("zoë@example.com".into(), "pässwörd".into())
        );
    }

    #[test]
    fn refuses_values_with_their_codes() {
        let code = |v: Option<Value>| credentials(v.as_ref()).map(|_| 0).unwrap_or_else(|e| e.code());
        assert_eq!(code(None), 2000);
        assert_eq!(code(Some(json!(""))), 2000);
        assert_eq!(code(Some(json!(42))), 2004);
        assert_eq!(code(Some(json!("not base64!"))), 2006);
        assert_eq!(code(Some(b64("no-colon"))), 2006);
        let latin1 = base64::engine::general_purpose::STANDARD.encode([b'a', b':', 0xe9]);
        assert_eq!(code(Some(Value::String(latin1))), 2005);
    }
}
