//! The Users API: get one user, list users (pagination, `filter`, `search`, `q`), delete, and
//! the lifecycle operations (okta.md §4, §5). Every call needs `Authorization: SSWS <token>`.
//!
//! Listing is ordered by id unless a search is sorted; the `after` cursor is the last id of the
//! previous page, handed out only inside the `rel="next"` `Link` (its absence marks the last
//! page). `q` is not paginated and, like a bare listing, leaves out `DEPROVISIONED` users;
//! `filter` and `search` see every status.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::{Value, json};

use super::error::OktaError;
use super::model::{Links, StoredUser, UserStatus};
use super::query::{self, Dialect};
use super::settings::ApiToken;
use super::{Okta, json_response};
use crate::kit::RequestOrigin;

/// Characters left as they are in the query strings of `Link` headers (RFC 3986 unreserved).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Largest page (`limit` above it is capped).
const MAX_LIMIT: usize = 200;

/// The path segment at `index` (0 = after the leading `/`), percent-decoded.
fn segment(uri: &Uri, index: usize) -> String {
    let raw = uri.path().trim_start_matches('/').split('/').nth(index).unwrap_or("");
    percent_decode_str(raw).decode_utf8_lossy().into_owned()
}

/// `okta-response=omitCredentials,omitCredentialsLinks,…` in the request's `Content-Type`.
fn omissions(headers: &HeaderMap) -> (bool, bool) {
    let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return (false, false);
    };
    let Some((_, list)) = ct.split_once("okta-response=") else {
        return (false, false);
    };
    let list = list.split(';').next().unwrap_or("");
    let has = |name: &str| list.split(',').any(|item| item.trim().trim_matches('"') == name);
    (has("omitCredentials"), has("omitCredentialsLinks"))
}

fn user_response(okta: &Okta, origin: &RequestOrigin, user: &StoredUser, headers: &HeaderMap) -> Response {
    let (omit_credentials, omit_links) = omissions(headers);
    let links = if omit_links {
        Links::FullWithoutCredentials
    } else {
        Links::Full
    };
    json_response(StatusCode::OK, &user.to_json(okta.org(origin), links, omit_credentials))
}

/// `GET /api/v1/users/me` with an API token: the token's owner, or the built-in admin.
fn users_me(okta: &Okta, origin: &RequestOrigin, token: &ApiToken, headers: &HeaderMap) -> Result<Response, OktaError> {
    let Some(owner) = &token.owner else {
        return Ok(user_response(okta, origin, okta.admin(), headers));
    };
    let store = okta.store();
    let user = store.id_by_login(owner).and_then(|id| store.users.get(&id));
    match user {
        Some(user) => Ok(user_response(okta, origin, user, headers)),
        None => Err(OktaError::UserNotFound("me".into())),
    }
}

/// `GET /api/v1/users/{id|login|shortname|me}`.
pub(crate) async fn users_get(
    State(okta): State<Okta>,
    origin: RequestOrigin,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, OktaError> {
    let token = okta.authorize(&headers)?;
    let key = segment(&uri, 3);
    if key == "me" {
        return users_me(&okta, &origin, &token, &headers);
    }
    let store = okta.store();
    let user = store
        .find_user(&key)
        .and_then(|id| store.users.get(&id))
        .ok_or(OktaError::UserNotFound(key))?;
    Ok(user_response(&okta, &origin, user, &headers))
}

/// `GET /api/v1/users/{id}/factors`: the factors the user has enrolled, as the Factors API lists
/// them — `status: ACTIVE`, the profile in full (an SMS factor's `phoneNumber` unmasked, as
/// Okta's "List enrolled factors" example shows it: `+1-555-415-1337`, not E.164), links to
/// verify, itself and the user. Only an id names the user here (a login is 404, E0000007).
/// A TOTP factor's shared secret is never shown: it cannot be carried over.
pub(crate) async fn users_factors(
    State(okta): State<Okta>,
    origin: RequestOrigin,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, OktaError> {
    okta.authorize(&headers)?;
    let key = segment(&uri, 3);
    let store = okta.store();
    let user = store.users.get(&key).ok_or(OktaError::UserNotFound(key))?;
    let base = okta.org(&origin).base;
    let created = crate::kit::clock::iso_millis(user.created);
    let hints = |allow: &[&str]| json!({ "allow": allow });
    let factors: Vec<Value> = user
        .factors
        .iter()
        .map(|f| {
            let own = format!("{base}/api/v1/users/{}/factors/{}", user.id, f.id);
            let mut out = serde_json::Map::new();
            out.insert("id".into(), json!(f.id));
            out.insert("factorType".into(), json!(f.factor_type));
            out.insert("provider".into(), json!(f.provider));
            out.insert("vendorName".into(), json!(f.provider));
            out.insert("status".into(), json!("ACTIVE"));
            out.insert("created".into(), json!(created));
            out.insert("lastUpdated".into(), json!(created));
            if let Some(profile) = &f.profile {
                out.insert("profile".into(), Value::Object(profile.clone()));
            }
            out.insert(
                "_links".into(),
                json!({
                    "verify": { "href": format!("{own}/verify"), "hints": hints(&["POST"]) },
                    "self": { "href": own, "hints": hints(&["GET", "DELETE"]) },
                    "user": { "href": format!("{base}/api/v1/users/{}", user.id), "hints": hints(&["GET"]) },
                }),
            );
            Value::Object(out)
        })
        .collect();
    Ok(json_response(StatusCode::OK, &Value::Array(factors)))
}

/// `DELETE /api/v1/users/{id}`: deactivates a user that is not yet `DEPROVISIONED`, deletes one
/// that is (okta.md §4.2: deletion takes two calls). `204` either way.
pub(crate) async fn users_delete(
    State(okta): State<Okta>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, OktaError> {
    okta.authorize(&headers)?;
    let key = segment(&uri, 3);
    let now = okta.now();
    let mut store = okta.store();
    let id = store.find_user(&key).ok_or(OktaError::UserNotFound(key))?;
    let deprovisioned = store
        .users
        .get(&id)
        .is_some_and(|u| u.status == UserStatus::Deprovisioned);
    if deprovisioned {
        store.remove_user(&id);
    } else if let Some(user) = store.users.get_mut(&id) {
        user.set_status(UserStatus::Deprovisioned, now);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn send_email(uri: &Uri) -> bool {
    let query = uri.query().unwrap_or("");
    !form_urlencoded::parse(query.as_bytes()).any(|(k, v)| k == "sendEmail" && v.eq_ignore_ascii_case("false"))
}

fn invalid_status(op: &str, user: &StoredUser, allowed: &str) -> OktaError {
    OktaError::validation(
        "status",
        &format!(
            "Cannot {op} a user whose status is {}; only {allowed} users can be {op}ed.",
            user.status
        ),
    )
}

/// `POST /api/v1/users/{id}/lifecycle/{op}`: `activate`, `reactivate`, `deactivate`, `suspend`,
/// `unsuspend`, `unlock`, `reset_password`, `expire_password`, `reset_factors`.
pub(crate) async fn users_lifecycle(
    State(okta): State<Okta>,
    origin: RequestOrigin,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, OktaError> {
    okta.authorize(&headers)?;
    let key = segment(&uri, 3);
    let op = segment(&uri, 5);
    let now = okta.now();
    let base = okta.org(&origin).base.to_owned();
    let mut store = okta.store();
    let id = store
        .find_user(&key)
        .ok_or_else(|| OktaError::UserNotFound(key.clone()))?;
    let user = store.users.get_mut(&id).ok_or(OktaError::UserNotFound(key))?;
    let empty = json!({});
    let body = match op.as_str() {
        "activate" => {
            match user.status {
                UserStatus::Active => return Err(OktaError::AlreadyActive),
                UserStatus::Staged | UserStatus::Deprovisioned => {}
                _ => return Err(OktaError::StatusForbids),
            }
            if user.password.is_some() {
                user.set_status(UserStatus::Active, now);
                user.activated = Some(now);
            } else {
                user.set_status(UserStatus::Provisioned, now);
            }
            activation(&okta, &base, &uri)
        }
        "reactivate" => {
            if user.status != UserStatus::Provisioned {
                return Err(OktaError::StatusForbids);
            }
            activation(&okta, &base, &uri)
        }
        "deactivate" => {
            user.set_status(UserStatus::Deprovisioned, now);
            empty
        }
        "suspend" => {
            if user.status != UserStatus::Active {
                return Err(invalid_status("suspend", user, "ACTIVE"));
            }
            user.set_status(UserStatus::Suspended, now);
            empty
        }
        "unsuspend" => {
            if user.status != UserStatus::Suspended {
                return Err(invalid_status("unsuspend", user, "SUSPENDED"));
            }
            user.set_status(UserStatus::Active, now);
            empty
        }
        "unlock" => {
            if user.status != UserStatus::LockedOut {
                return Err(OktaError::UnlockForbidden);
            }
            user.failed_attempts = 0;
            user.set_status(UserStatus::Active, now);
            empty
        }
        "reset_password" => {
            match user.status {
                UserStatus::Staged | UserStatus::Suspended | UserStatus::Deprovisioned => {
                    return Err(OktaError::StatusForbids);
                }
                _ => {}
            }
            user.failed_attempts = 0;
            user.set_status(UserStatus::Recovery, now);
            if send_email(&uri) {
                empty
            } else {
                json!({ "resetPasswordUrl": format!("{base}/reset_password/{}", okta.kit_ref().ids.alnum(20)) })
            }
        }
        "expire_password" => {
            match user.status {
                UserStatus::Active | UserStatus::PasswordExpired | UserStatus::LockedOut | UserStatus::Recovery
                    if user.password.is_some() => {}
                _ => return Err(OktaError::StatusForbids),
            }
            user.set_status(UserStatus::PasswordExpired, now);
            user.to_json(okta.org(&origin), Links::Full, false)
        }
        "reset_factors" => {
            if !user.factors.is_empty() {
                user.factors.clear();
                user.last_updated = now;
            }
            empty
        }
        _ => return Err(OktaError::PathNotFound),
    };
    Ok(json_response(StatusCode::OK, &body))
}

fn activation(okta: &Okta, base: &str, uri: &Uri) -> Value {
    if send_email(uri) {
        return json!({});
    }
    let token = okta.kit_ref().ids.alnum(20);
    json!({ "activationUrl": format!("{base}/welcome/{token}"), "activationToken": token })
}

/// How a listing selects users.
enum Selection {
    /// No parameter: everyone but `DEPROVISIONED`.
    All,
    /// `q`: names and email starting with it (case-insensitive), not `DEPROVISIONED`.
    Q(String),
    Filter(query::Expr),
    Search(query::Expr),
}

fn encode_query(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, QUERY_VALUE),
                utf8_percent_encode(v, QUERY_VALUE)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn link_header(href: &str, rel: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("<{href}>; rel=\"{rel}\"")).ok()
}

fn q_matches(user: &StoredUser, q: &str) -> bool {
    let q = q.to_lowercase();
    ["firstName", "lastName", "email"]
        .iter()
        .any(|name| user.profile_str(name).is_some_and(|v| v.to_lowercase().starts_with(&q)))
}

/// `GET /api/v1/users`.
pub(crate) async fn users_list(
    State(okta): State<Okta>,
    origin: RequestOrigin,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, OktaError> {
    okta.authorize(&headers)?;
    let params: Vec<(String, String)> = form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let (q, filter, search) = (param("q"), param("filter"), param("search"));
    if [q, filter, search].iter().filter(|p| p.is_some()).count() > 1 {
        return Err(OktaError::SearchAndFilter);
    }
    let default_limit = if q.is_some() { 10 } else { MAX_LIMIT };
    let limit = match param("limit") {
        None => default_limit,
        Some(text) => match text.trim().parse::<i64>() {
            Ok(n) if n >= 1 => usize::try_from(n).unwrap_or(MAX_LIMIT).min(MAX_LIMIT),
            _ => return Err(OktaError::InvalidPaging),
        },
    };
    let selection = match (q, filter, search) {
        (Some(q), _, _) => Selection::Q(q.to_owned()),
        (_, Some(f), _) => Selection::Filter(query::parse(f, Dialect::Filter)?),
        (_, _, Some(s)) => Selection::Search(query::parse(s, Dialect::Search)?),
        _ => Selection::All,
    };
    let sort = match (&selection, param("sortBy")) {
        (Selection::Search(_), Some(attr)) => {
            query::check_sort_attribute(attr)?;
            let descending = match param("sortOrder").map(str::to_ascii_lowercase).as_deref() {
                None | Some("asc") => false,
                Some("desc") => true,
                Some(_) => return Err(OktaError::InvalidSearch),
            };
            Some((attr.to_owned(), descending))
        }
        _ => None,
    };

    let org = okta.org(&origin);
    let store = okta.store();
    let mut selected: Vec<&StoredUser> = store
        .users
        .values()
        .filter(|u| match &selection {
            Selection::All => u.status != UserStatus::Deprovisioned,
            Selection::Q(q) => u.status != UserStatus::Deprovisioned && q_matches(u, q),
            Selection::Filter(expr) => query::matches(expr, u, Dialect::Filter, org.type_id),
            Selection::Search(expr) => query::matches(expr, u, Dialect::Search, org.type_id),
        })
        .collect();
    let order = |a: &StoredUser, b: &StoredUser, attr: &str, descending: bool| {
        let by_key = query::sort_key(a, attr, org.type_id).cmp(&query::sort_key(b, attr, org.type_id));
        let by_key = if descending { by_key.reverse() } else { by_key };
        by_key.then_with(|| a.id.cmp(&b.id))
    };
    if let Some((attr, descending)) = &sort {
        selected.sort_by(|a, b| order(a, b, attr, *descending));
    }

    let paginated = !matches!(selection, Selection::Q(_));
    let start = match param("after") {
        Some(after) if paginated => match &sort {
            None => selected.partition_point(|u| u.id.as_str() <= after),
            Some((attr, descending)) => match store.users.get(after) {
                Some(cursor) => selected.partition_point(|u| order(u, cursor, attr, *descending).is_le()),
                None => return Err(OktaError::InvalidPaging),
            },
        },
        _ => 0,
    };
    let rest = selected.get(start..).unwrap_or(&[]);
    let page = &rest[..rest.len().min(limit)];
    let more = paginated && rest.len() > page.len();

    let body = Value::Array(
        page.iter()
            .map(|u| u.to_json(org, Links::SelfOnly, omissions(&headers).0))
            .collect(),
    );
    let mut response = json_response(StatusCode::OK, &body);
    let path = format!("{}/api/v1/users", org.base);
    let self_href = if params.is_empty() {
        path.clone()
    } else {
        format!("{path}?{}", encode_query(&params))
    };
    let links = response.headers_mut();
    if let Some(value) = link_header(&self_href, "self") {
        links.append(header::LINK, value);
    }
    if more && let Some(last) = page.last() {
        let mut next = vec![
            ("after".to_owned(), last.id.clone()),
            ("limit".to_owned(), limit.to_string()),
        ];
        next.extend(params.iter().filter(|(k, _)| k != "after" && k != "limit").cloned());
        if let Some(value) = link_header(&format!("{path}?{}", encode_query(&next)), "next") {
            links.append(header::LINK, value);
        }
    }
    Ok(response)
}
