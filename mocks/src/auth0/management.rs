//! The Management API v2 (`/api/v2/*`): bearer-token checks with per-endpoint scopes, users
//! (list and search, get, by email, delete), and tenant logs. Connections are in
//! `connections.rs`, import jobs in `jobs.rs`.
//!
//! Users are returned exactly as [`StoredUser::to_api`] shapes them — never a password hash.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::Auth0;
use super::error::{ApiError, ApiPath, ApiQuery, query_pairs};
use super::lucene;
use super::model::StoredUser;
use super::store::Order;
use super::tokens::Claims;

/// Largest `per_page` accepted (Auth0's docs say 50; the API historically took 100).
const MAX_PER_PAGE: usize = 100;
/// Auth0 lets a search page through its first 1,000 results only.
const MAX_RESULTS: usize = 1000;

impl Auth0 {
    /// Checks the bearer token and that it carries any of `scopes`.
    pub(crate) fn authorize(&self, headers: &HeaderMap, scopes: &[&str]) -> Result<Claims, ApiError> {
        let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
            return Err(ApiError::unauthorized("Missing authentication"));
        };
        let Some(token) = value.strip_prefix("Bearer ").map(str::trim).filter(|t| !t.is_empty()) else {
            return Err(ApiError::unauthorized("Bad HTTP authentication header format"));
        };
        let Some(claims) = self.keys().verify(token) else {
            return Err(ApiError::unauthorized("Invalid token"));
        };
        // The address this request came in by, on either scheme (a token asked at
        // `https://auth.example:4443/` is sent there again): only the `Host` is at hand here.
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|h| crate::kit::server::is_host_and_port(h));
        let issuers: Vec<String> = match host {
            Some(host) => vec![format!("http://{host}/"), format!("https://{host}/")],
            None => vec![self.issuer()],
        };
        if !claims
            .audiences()
            .iter()
            .any(|a| issuers.iter().any(|issuer| self.is_management_audience(a, issuer)))
        {
            return Err(ApiError::unauthorized(format!(
                "Bad audience: {}",
                claims.audiences().join(" ")
            )));
        }
        if claims.exp <= self.kit().clock.now().timestamp() {
            return Err(ApiError::unauthorized(
                "Expired token received for JSON Web Token validation",
            ));
        }
        if !claims.scopes().any(|s| scopes.contains(&s)) {
            return Err(ApiError::insufficient_scope(scopes));
        }
        Ok(claims)
    }
}

#[derive(Deserialize)]
pub(crate) struct UsersQuery {
    q: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
    include_totals: Option<String>,
    sort: Option<String>,
    fields: Option<String>,
    include_fields: Option<String>,
    connection: Option<String>,
    search_engine: Option<String>,
    primary_order: Option<String>,
}

pub(crate) fn query_error(message: impl Into<String>) -> ApiError {
    ApiError::bad_request(message, "invalid_query_string")
}

pub(crate) fn parse_flag(value: Option<&str>, name: &str) -> Result<Option<bool>, ApiError> {
    // Auth0 quotes the parameter's description from its API reference.
    let description = match name {
        "include_totals" => {
            "Return results inside an object that contains the total result count (true) or as a direct array of results (false, default)."
        }
        "include_fields" => "Whether specified fields are to be included (true) or excluded (false).",
        "primary_order" => {
            "If true (default), results are returned in a deterministic order. If false, results may be returned in a non-deterministic order, which enhances performance."
        }
        _ => "",
    };
    match value {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(query_error(format!(
            "Query validation error: 'Expected type boolean but found type string' on property {name} ({description})."
        ))),
    }
}

pub(crate) fn parse_number(value: Option<&str>, name: &str, max: Option<usize>) -> Result<Option<usize>, ApiError> {
    let Some(value) = value else { return Ok(None) };
    let n: usize = value.parse().map_err(|_| {
        query_error(format!(
            "Query validation error: 'Expected type integer but found type string' on property {name}."
        ))
    })?;
    if let Some(max) = max
        && n > max
    {
        return Err(query_error(format!(
            "Query validation error: 'Too big: must be at most {max}' on property {name}."
        )));
    }
    Ok(Some(n))
}

/// `fields` / `include_fields` projection.
pub(crate) fn project(user: Value, fields: Option<&str>, include: bool) -> Value {
    let Some(fields) = fields.filter(|f| !f.is_empty()) else {
        return user;
    };
    let wanted: Vec<&str> = fields.split(',').map(str::trim).collect();
    let Value::Object(map) = user else {
        return user;
    };
    Value::Object(
        map.into_iter()
            .filter(|(k, _)| wanted.contains(&k.as_str()) == include)
            .collect::<Map<_, _>>(),
    )
}

pub(crate) async fn users_list(
    State(auth0): State<Auth0>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<UsersQuery>,
) -> Response {
    match list(&auth0, &headers, &q) {
        Ok(body) => Json(body).into_response(),
        Err(e) => e.into_response(),
    }
}

fn list(auth0: &Auth0, headers: &HeaderMap, q: &UsersQuery) -> Result<Value, ApiError> {
    auth0.authorize(headers, &["read:users", "read:user_idp_tokens"])?;
    if let Some(engine) = q.search_engine.as_deref()
        && !matches!(engine, "v1" | "v2" | "v3")
    {
        return Err(query_error(format!(
            "Query validation error: 'No enum match for: \"{engine}\"' on property search_engine."
        )));
    }
    let page = parse_number(q.page.as_deref(), "page", None)?.unwrap_or(0);
    let per_page = parse_number(q.per_page.as_deref(), "per_page", Some(MAX_PER_PAGE))?.unwrap_or(50);
    let include_totals = parse_flag(q.include_totals.as_deref(), "include_totals")?.unwrap_or(false);
    let include_fields = parse_flag(q.include_fields.as_deref(), "include_fields")?.unwrap_or(true);
    let _ = parse_flag(q.primary_order.as_deref(), "primary_order")?;
    if page.saturating_add(1).saturating_mul(per_page) > MAX_RESULTS && per_page > 0 {
        return Err(ApiError::bad_request(
            "You can only page through the first 1000 records. See https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation",
            "invalid_paging",
        ));
    }
    let query = match q.q.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(text) => Some(
            lucene::parse(text)
                .map_err(|e| query_error(format!("Query validation error: '{e}' on property q.")))
                .map_err(|e| ApiError::bad_request(e.message, "invalid_query_string"))?,
        ),
        None => None,
    };
    let order = match q.sort.as_deref().filter(|s| !s.is_empty()) {
        None => Order::Stored,
        Some(sort) => {
            let (field, order) = sort.split_once(':').unwrap_or((sort, "1"));
            let descending = match order {
                "1" => false,
                "-1" => true,
                _ => {
                    return Err(query_error(format!(
                        "Query validation error: 'String does not match pattern ^(([a-zA-Z0-9_\\.]+))\\:(1|-1)$: {sort}' on property sort."
                    )));
                }
            };
            Order::By { field, descending }
        }
    };
    let start = page.saturating_mul(per_page);
    // The search reads the stored users and builds the JSON of this page's users only.
    let (total, page_users) = auth0.with_tenant(|t| {
        let found = t
            .users
            .search(query.as_ref(), q.connection.as_deref(), order, start, per_page);
        let users: Vec<Value> = found
            .users
            .into_iter()
            .map(|u| project(u.to_api(), q.fields.as_deref(), include_fields))
            .collect();
        (found.total, users)
    });
    if include_totals {
        Ok(
            json!({ "start": start, "limit": per_page, "length": page_users.len(), "total": total, "users": page_users }),
        )
    } else {
        Ok(Value::Array(page_users))
    }
}

#[derive(Deserialize)]
pub(crate) struct FieldsQuery {
    fields: Option<String>,
    include_fields: Option<String>,
}

pub(crate) async fn users_get(
    State(auth0): State<Auth0>,
    headers: HeaderMap,
    ApiPath(id): ApiPath,
    ApiQuery(q): ApiQuery<FieldsQuery>,
) -> Response {
    let result = (|| {
        auth0.authorize(&headers, &["read:users", "read:current_user", "read:user_idp_tokens"])?;
        let include = parse_flag(q.include_fields.as_deref(), "include_fields")?.unwrap_or(true);
        let user = auth0.with_tenant(|t| t.user_by_id(&id).map(StoredUser::to_api));
        user.map(|u| project(u, q.fields.as_deref(), include))
            .ok_or_else(ApiError::user_not_found)
    })();
    match result {
        Ok(user) => Json(user).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub(crate) struct ByEmailQuery {
    email: Option<String>,
    fields: Option<String>,
    include_fields: Option<String>,
}

pub(crate) async fn users_by_email_list(
    State(auth0): State<Auth0>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ByEmailQuery>,
) -> Response {
    let result = (|| {
        auth0.authorize(&headers, &["read:users"])?;
        let Some(email) = q.email.as_deref().filter(|e| !e.is_empty()) else {
            return Err(query_error(
                "Query validation error: 'Missing required property: email' on property email.",
            ));
        };
        let include = parse_flag(q.include_fields.as_deref(), "include_fields")?.unwrap_or(true);
        // Exact and case-sensitive, as on Auth0 (its store keeps emails lower-case).
        Ok(auth0.with_tenant(|t| {
            t.connections
                .iter()
                .filter_map(|c| t.users.by_email(&c.name, email))
                .map(|u| project(u.to_api(), q.fields.as_deref(), include))
                .collect::<Vec<_>>()
        }))
    })();
    match result {
        Ok(users) => Json(users).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /api/v2/logs`: newest first, as Auth0 lists them, in pages (`page`, `per_page`), a bare
/// array or, with `include_totals=true` (what the SDKs send), `{start, limit, length, total,
/// logs}`; `q` in the Lucene syntax of the user search (`type:fp AND user_name:"a@b.c"`).
pub(crate) async fn logs_list(State(auth0): State<Auth0>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let result = (|| -> Result<Value, ApiError> {
        auth0.authorize(&headers, &["read:logs", "read:logs_users"])?;
        let params = query_pairs(query.as_deref());
        let param = |name: &str| params.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let page = parse_number(param("page"), "page", None)?;
        let per_page = parse_number(param("per_page"), "per_page", Some(MAX_PER_PAGE))?;
        let include_totals = parse_flag(param("include_totals"), "include_totals")?.unwrap_or(false);
        let include_fields = parse_flag(param("include_fields"), "include_fields")?.unwrap_or(true);
        let query = match param("q").filter(|s| !s.trim().is_empty()) {
            Some(text) => Some(lucene::parse(text).map_err(|e| {
                ApiError::bad_request(
                    format!("Query validation error: '{e}' on property q."),
                    "invalid_query_string",
                )
            })?),
            None => None,
        };
        let logs: Vec<Value> = auth0.with_tenant(|t| {
            t.logs
                .iter()
                .rev()
                .filter_map(|l| serde_json::to_value(l).ok())
                .filter(|l| query.as_ref().is_none_or(|q| lucene::matches(q, l)))
                .collect()
        });
        let total = logs.len();
        let paged = page.is_some() || per_page.is_some() || include_totals;
        let per_page = per_page.unwrap_or(50);
        let start = page.unwrap_or(0).saturating_mul(per_page);
        let shown: Vec<Value> = logs
            .into_iter()
            .skip(if paged { start } else { 0 })
            .take(if paged { per_page } else { usize::MAX })
            .map(|l| project(l, param("fields"), include_fields))
            .collect();
        Ok(if include_totals {
            json!({ "start": start, "limit": per_page, "length": shown.len(), "total": total, "logs": shown })
        } else {
            Value::Array(shown)
        })
    })();
    match result {
        Ok(body) => Json(body).into_response(),
        Err(e) => e.into_response(),
    }
}
