//! Accounts: `GET /v1/accounts/{id}` (with `expand=customData,directory,tenant,groups,
//! groupMemberships`), its Custom Data and Provider Data, the collections it links to, and the
//! account collections of the application (its mapped directories), a directory and the tenant
//! with search, sorting and paging (`query.rs`).
//!
//! An account is readable by id whatever its status or directory (stormpath.md §6). The
//! collections an account links to exist: `applications` holds the application when the
//! account's directory is mapped to it, the others (groups, API keys, tokens, factors, …) are
//! empty because the mock has none of those resources.
//!
//! A collection's `href` is the collection's own URL without the query: the reference's search
//! example shows it so, and the Node SDK pages by appending `offset`/`limit` to that `href`,
//! which a query left in it would duplicate. Collections carry no `first`/`next`/`prev`/`last`
//! links: the reference's table of collection attributes lists `href`, `offset`, `limit`,
//! `size` and `items` only, and the SDKs page by arithmetic on `offset`. `size` is the number of
//! matches (what the Python SDK's `len()` reads), or the page's length with
//! `collection_size: page` (the reference's wording).

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde_json::{Map, Value};

use super::error::StormpathError;
use super::model::{ACCOUNT_COLLECTIONS, Hrefs, StoredAccount, collection};
use super::query::{ACCOUNT_EXPANSIONS, Expansion, ListQuery, parse_expand};
use super::resources::{application_json, check_application, page_of, paging, tenant_json};
use super::settings::CollectionSize;
use super::store::Store;
use super::{Segments, Stormpath, json_response};
use crate::kit::RequestOrigin;
use crate::kit::clock::iso_millis;

/// The account with each expansion in place of its link.
pub(crate) fn account_json(store: &Store, hrefs: Hrefs<'_>, account: &StoredAccount, expand: &[Expansion]) -> Value {
    let tenant_id = &store.settings.tenant_id;
    let mut expanded = Map::new();
    for expansion in expand {
        let value = match expansion.name.as_str() {
            "customData" => account.custom_data_json(hrefs),
            "directory" => store
                .directory(&account.directory_id)
                .map_or(Value::Null, |d| d.to_json(hrefs, tenant_id, &Map::new())),
            "tenant" => tenant_json(&store.settings, &iso_millis(store.created_at), hrefs),
            name => collection(
                format!("{}/{name}", hrefs.account(&account.id)),
                expansion.offset,
                expansion.limit,
                0,
                Vec::new(),
            ),
        };
        expanded.insert(expansion.name.clone(), value);
    }
    account.to_json(hrefs, tenant_id, &expanded)
}

/// The page of `candidates` that `query` selects, as a collection resource.
pub(crate) fn account_page(
    store: &Store,
    hrefs: Hrefs<'_>,
    href: String,
    query: &ListQuery,
    candidates: Vec<&StoredAccount>,
) -> Value {
    let mut found: Vec<&StoredAccount> = candidates.into_iter().filter(|a| query.matches(a)).collect();
    query.sort(&mut found);
    let total = found.len();
    let items: Vec<Value> = found
        .into_iter()
        .skip(query.offset)
        .take(query.limit)
        .map(|a| account_json(store, hrefs, a, &query.expand))
        .collect();
    let size = match store.settings.collection_size {
        CollectionSize::Total => total,
        CollectionSize::Page => items.len(),
    };
    collection(href, query.offset, query.limit, size, items)
}

/// `GET /v1/applications/{id}/accounts`.
pub(crate) async fn application_accounts(
    State(sp): State<Stormpath>,
    origin: RequestOrigin,
    Segments(id): Segments<String>,
    uri: Uri,
) -> Result<Response, StormpathError> {
    let hrefs = sp.hrefs(&origin);
    let store = sp.store();
    check_application(&store, &id)?;
    let query = ListQuery::parse(uri.query(), false)?;
    let href = format!("{}/accounts", hrefs.application(&id));
    let body = account_page(&store, hrefs, href, &query, store.application_accounts());
    Ok(json_response(StatusCode::OK, &body))
}

/// `GET /v1/directories/{id}/accounts` (Custom Data search allowed here).
pub(crate) async fn directory_accounts(
    State(sp): State<Stormpath>,
    origin: RequestOrigin,
    Segments(id): Segments<String>,
    uri: Uri,
) -> Result<Response, StormpathError> {
    let hrefs = sp.hrefs(&origin);
    let store = sp.store();
    store.directory(&id).ok_or(StormpathError::NotFound)?;
    let query = ListQuery::parse(uri.query(), true)?;
    let href = format!("{}/accounts", hrefs.directory(&id));
    let body = account_page(
        &store,
        hrefs,
        href,
        &query,
        store.accounts_where(|a| a.directory_id == id),
    );
    Ok(json_response(StatusCode::OK, &body))
}

fn account<'s>(store: &'s Store, id: &str) -> Result<&'s StoredAccount, StormpathError> {
    store.accounts.get(id).ok_or(StormpathError::NotFound)
}

/// `GET /v1/accounts/{id}`.
pub(crate) async fn accounts_get(
    State(sp): State<Stormpath>,
    origin: RequestOrigin,
    Segments(id): Segments<String>,
    uri: Uri,
) -> Result<Response, StormpathError> {
    let store = sp.store();
    let found = account(&store, &id)?;
    let mut expand = None;
    for (name, value) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        if name == "expand" {
            if expand.is_some() {
                return Err(StormpathError::invalid(
                    2102,
                    "The 'expand' query parameter may only have a single value and cannot be specified more than once.",
                ));
            }
            expand = Some(parse_expand(&value, ACCOUNT_EXPANSIONS)?);
        }
    }
    let body = account_json(&store, sp.hrefs(&origin), found, &expand.unwrap_or_default());
    Ok(json_response(StatusCode::OK, &body))
}

/// `GET /v1/accounts/{id}/customData`.
pub(crate) async fn accounts_custom_data(
    State(sp): State<Stormpath>,
    origin: RequestOrigin,
    Segments(id): Segments<String>,
) -> Result<Response, StormpathError> {
    let store = sp.store();
    Ok(json_response(
        StatusCode::OK,
        &account(&store, &id)?.custom_data_json(sp.hrefs(&origin)),
    ))
}

/// `GET /v1/accounts/{id}/providerData`.
pub(crate) async fn accounts_provider_data(
    State(sp): State<Stormpath>,
    origin: RequestOrigin,
    Segments(id): Segments<String>,
) -> Result<Response, StormpathError> {
    let store = sp.store();
    Ok(json_response(
        StatusCode::OK,
        &account(&store, &id)?.provider_data_json(sp.hrefs(&origin)),
    ))
}

/// `GET /v1/accounts/{id}/{collection}`.
pub(crate) async fn accounts_collection(
    State(sp): State<Stormpath>,
    origin: RequestOrigin,
    Segments((id, name)): Segments<(String, String)>,
    uri: Uri,
) -> Result<Response, StormpathError> {
    let hrefs = sp.hrefs(&origin);
    let store = sp.store();
    let found = account(&store, &id)?;
    if !ACCOUNT_COLLECTIONS.contains(&name.as_str()) {
        return Err(StormpathError::NotFound);
    }
    let (offset, limit) = paging(uri.query())?;
    let mapped = store.directory(&found.directory_id).is_some_and(|d| d.mapped);
    let items = if name == "applications" && mapped {
        vec![application_json(&store, hrefs, &Map::new())]
    } else {
        Vec::new()
    };
    let href = format!("{}/{name}", hrefs.account(&id));
    Ok(json_response(
        StatusCode::OK,
        &page_of(href, items, offset, limit, store.settings.collection_size),
    ))
}
