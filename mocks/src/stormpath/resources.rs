//! The tenant, the application, directories and account store mappings (reference.rst
//! "Tenant", "Application", "Directory", "Account Store Mapping").
//!
//! - `GET /v1/tenants/current` answers `302 Found` with `Location: {base}/v1/tenants/{id}` and
//!   an empty body, as the reference says; clients follow it.
//! - The tenant's `applications`, `directories` and `accounts` collections list what the mock
//!   holds; its other collections (`organizations`, `groups`, `agents`, `idSites`,
//!   `smtpServers`) exist and are empty, as are every directory's and the application's
//!   `groups`. Collections of resources other than accounts take `offset` and `limit` only.
//! - Expansion: an application expands `tenant`, `customData` and `accounts`; a directory
//!   `tenant`, `customData`, `provider` and `accounts`; a tenant `customData`.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::accounts::account_page;
use super::error::StormpathError;
use super::model::{Directory, Hrefs, collection, link};
use super::query::{DEFAULT_LIMIT, Expansion, ListQuery, MAX_LIMIT, parse_expand};
use super::settings::{CollectionSize, StormpathSettings};
use super::store::Store;
use super::{Segments, Stormpath, json_response};
use crate::kit::RequestOrigin;
use crate::kit::clock::iso_millis;

/// `offset` and `limit` of a non-account collection (other parameters are ignored).
pub(crate) fn paging(raw: Option<&str>) -> Result<(usize, usize), StormpathError> {
    let mut offset = 0;
    let mut limit = DEFAULT_LIMIT;
    for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let bad = || {
            StormpathError::invalid(
                2103,
                format!("The '{name}' query parameter value '{value}' is invalid."),
            )
        };
        match name.as_ref() {
            "offset" => offset = value.trim().parse().map_err(|_| bad())?,
            "limit" => {
                limit = value.trim().parse().map_err(|_| bad())?;
                if !(1..=MAX_LIMIT).contains(&limit) {
                    return Err(bad());
                }
            }
            _ => {}
        }
    }
    Ok((offset, limit))
}

/// A page of `items` as a collection resource.
pub(crate) fn page_of(
    href: String,
    items: Vec<Value>,
    offset: usize,
    limit: usize,
    size_mode: CollectionSize,
) -> Value {
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    let size = match size_mode {
        CollectionSize::Total => total,
        CollectionSize::Page => page.len(),
    };
    collection(href, offset, limit, size, page)
}

/// The `expand` parameter of an instance read (other parameters are ignored).
fn instance_expand(uri: &Uri, allowed: &[&str]) -> Result<Vec<Expansion>, StormpathError> {
    let mut found: Option<Vec<Expansion>> = None;
    for (name, value) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        if name == "expand" {
            if found.is_some() {
                return Err(StormpathError::invalid(
                    2102,
                    "The 'expand' query parameter may only have a single value and cannot be specified more than once.",
                ));
            }
            found = Some(parse_expand(&value, allowed)?);
        }
    }
    Ok(found.unwrap_or_default())
}

pub(crate) fn tenant_json(settings: &StormpathSettings, created_at: &str, hrefs: Hrefs<'_>) -> Value {
    let href = hrefs.tenant(&settings.tenant_id);
    let mut out = Map::new();
    out.insert("href".into(), Value::String(href.clone()));
    out.insert("name".into(), Value::String(settings.tenant_name.clone()));
    out.insert("key".into(), Value::String(settings.tenant_key()));
    out.insert("createdAt".into(), Value::String(created_at.to_owned()));
    out.insert("modifiedAt".into(), Value::String(created_at.to_owned()));
    for name in [
        "customData",
        "organizations",
        "applications",
        "directories",
        "accounts",
        "agents",
        "groups",
        "idSites",
        "smtpServers",
    ] {
        out.insert(name.into(), link(format!("{href}/{name}")));
    }
    Value::Object(out)
}

fn empty_custom_data(href: &str, created_at: &str) -> Value {
    json!({ "href": href, "createdAt": created_at, "modifiedAt": created_at })
}

fn mapping_json(directory: &Directory, index: usize, store: &Store, hrefs: Hrefs<'_>) -> Value {
    json!({
        "href": hrefs.mapping(&directory.mapping_id),
        "listIndex": index,
        "isDefaultAccountStore": index == 0,
        "isDefaultGroupStore": index == 0,
        "application": link(hrefs.application(&store.settings.application_id)),
        "accountStore": link(hrefs.directory(&directory.id)),
    })
}

pub(crate) fn application_json(store: &Store, hrefs: Hrefs<'_>, expanded: &Map<String, Value>) -> Value {
    let settings = &store.settings;
    let href = hrefs.application(&settings.application_id);
    let created = iso_millis(store.created_at);
    let default_mapping = store
        .mapped_directories()
        .next()
        .map_or(Value::Null, |d| link(hrefs.mapping(&d.mapping_id)));
    let mut out = Map::new();
    out.insert("href".into(), Value::String(href.clone()));
    out.insert("name".into(), Value::String(settings.application_name.clone()));
    out.insert("description".into(), Value::Null);
    out.insert("status".into(), Value::String("ENABLED".into()));
    out.insert("createdAt".into(), Value::String(created.clone()));
    out.insert("modifiedAt".into(), Value::String(created));
    out.insert("tenant".into(), link(hrefs.tenant(&settings.tenant_id)));
    out.insert("defaultAccountStoreMapping".into(), default_mapping.clone());
    out.insert("defaultGroupStoreMapping".into(), default_mapping);
    out.insert("customData".into(), link(format!("{href}/customData")));
    out.insert(
        "oAuthPolicy".into(),
        link(hrefs.of(&format!("oAuthPolicies/{}", settings.application_id))),
    );
    for name in [
        "accounts",
        "groups",
        "accountStoreMappings",
        "loginAttempts",
        "passwordResetTokens",
        "apiKeys",
        "verificationEmails",
        "authTokens",
    ] {
        out.insert(name.into(), link(format!("{href}/{name}")));
    }
    for (name, value) in expanded {
        if let Some(slot) = out.get_mut(name) {
            *slot = value.clone();
        }
    }
    Value::Object(out)
}

/// Refuses ids other than the tenant's.
fn check_tenant(store: &Store, id: &str) -> Result<(), StormpathError> {
    if store.settings.tenant_id == id {
        Ok(())
    } else {
        Err(StormpathError::NotFound)
    }
}

/// Refuses ids other than the application's.
pub(crate) fn check_application(store: &Store, id: &str) -> Result<(), StormpathError> {
    if store.settings.application_id == id {
        Ok(())
    } else {
        Err(StormpathError::NotFound)
    }
}

/// `GET /v1/tenants/current`: a redirect to the tenant.
pub(crate) async fn tenants_current(State(sp): State<Stormpath>, origin: RequestOrigin) -> Response {
    let location = sp.hrefs(&origin).tenant(&sp.store().settings.tenant_id);
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(super::JSON_UTF8));
    response
}

/// `GET /v1/tenants/{id}`.
pub(crate) async fn tenants_get(
    State(sp): State<Stormpath>,
    origin: RequestOrigin,
    Segments(id): Segments<String>,
    uri: Uri,
) -> Result<Response, StormpathError> {
    let store = sp.store();
    check_tenant(&store, &id)?;
    let expand = instance_expand(&uri, &["customData"])?;
    let created = iso_millis(store.created_at);
    let mut tenant = tenant_json(&store.settings, &created, sp.hrefs(&origin));
    if !expand.is_empty() {
        let href = format!("{}/customData", sp.hrefs(&origin).tenant(&id));
        tenant["customData"] = empty_custom_data(&href, &created);
    }
    Ok(json_response(StatusCode::OK, &tenant))
}

/// `GET /v1/tenants/{id}/customData`.
pub(crate) async fn tenants_custom_data(
    State(sp): State<Stormpath>,
    origin: RequestOrigin,
    Segments(id): Segments<String>,
) -> Result<Response, StormpathError> {
    let store = sp.store();
    check_tenant(&store, &id)?;
    let href = format!("{}/customData", sp.hrefs(&origin).tenant(&id));
    Ok(json_response(
        StatusCode::OK,
        &empty_custom_data(&href, &iso_millis(store.created_at)),
    ))
}

/// `GET /v1/tenants/{id}/{collection}`.
pub(crate) async fn tenants_collection(
    State(sp): State<Stormpath>,
    origin: RequestOrigin,
    Segments((id, name)): Segments<(String, String)>,
    uri: Uri,
) -> Result<Response, StormpathError> {
    let hrefs = sp.hrefs(&origin);
    let store = sp.store();
    check_tenant(&store, &id)?;
    let href = format!("{}/{name}", hrefs.tenant(&id));
    let body = match name.as_str() {
        "accounts" => {
            let query = ListQuery::parse(uri.query(), true)?;
            account_page(&store, hrefs, href, &query, store.accounts_where(|_| true))
        }
        "applications" => {
            let (offset, limit) = paging(uri.query())?;
            let items = vec![application_json(&store, hrefs, &Map::new())];
            page_of(href, items, offset, limit, store.settings.collection_size)
        }
        "directories" => {
            let (offset, limit) = paging(uri.query())?;
            let items = store
                .directories
                .iter()
                .map(|d| d.to_json(hrefs, &store.settings.tenant_id, &Map::new()))
                .collect();
            page_of(href, items, offset, limit, store.settings.collection_size)
        }
        "organizations" | "groups" | "agents" | "idSites" | "smtpServers" => {
            let (offset, limit) = paging(uri.query())?;
            page_of(href, Vec::new(), offset, limit, store.settings.collection_size)
        }
        _ => return Err(StormpathError::NotFound),
    };
    Ok(json_response(StatusCode::OK, &body))
}

/// `GET /v1/applications/{id}`.
pub(crate) async fn applications_get(
    State(sp): State<Stormpath>,
    origin: RequestOrigin,
    Segments(id): Segments<String>,
    uri: Uri,
) -> Result<Response, StormpathError> {
    let hrefs = sp.hrefs(&origin);
    let store = sp.store();
    check_application(&store, &id)?;
    let mut expanded = Map::new();
    for expansion in instance_expand(&uri, &["tenant", "customData", "accounts"])? {
        let value = match expansion.name.as_str() {
            "tenant" => tenant_json(&store.settings, &iso_millis(store.created_at), hrefs),
            "customData" => empty_custom_data(
                &format!("{}/customData", hrefs.application(&id)),
                &iso_millis(store.created_at),
            ),
            _ => {
                let query = ListQuery::page(expansion.offset, expansion.limit);
                let href = format!("{}/accounts", hrefs.application(&id));
                account_page(&store, hrefs, href, &query, store.application_accounts())
            }
        };
        expanded.insert(expansion.name, value);
    }
    Ok(json_response(
        StatusCode::OK,
        &application_json(&store, hrefs, &expanded),
    ))
}

/// `GET /v1/applications/{id}/customData`.
pub(crate) async fn applications_custom_data(
    State(sp): State<Stormpath>,
    origin: RequestOrigin,
    Segments(id): Segments<String>,
) -> Result<Response, StormpathError> {
    let store = sp.store();
    check_application(&store, &id)?;
    let href = format!("{}/customData", sp.hrefs(&origin).application(&id));
    Ok(json_response(
        StatusCode::OK,
        &empty_custom_data(&href, &iso_millis(store.created_at)),
    ))
}

/// `GET /v1/applications/{id}/accountStoreMappings`.
pub(crate) async fn applications_mappings(
    State(sp): State<Stormpath>,
    origin: RequestOrigin,
    Segments(id): Segments<String>,
    uri: Uri,
) -> Result<Response, StormpathError> {
    let hrefs = sp.hrefs(&origin);
    let store = sp.store();
    check_application(&store, &id)?;
    let (offset, limit) = paging(uri.query())?;
    let items = store
        .mapped_directories()
        .enumerate()
        .map(|(index, d)| mapping_json(d, index, &store, hrefs))
        .collect();
    let href = format!("{}/accountStoreMappings", hrefs.application(&id));
    Ok(json_response(
        StatusCode::OK,
        &page_of(href, items, offset, limit, store.settings.collection_size),
    ))
}

/// `GET /v1/applications/{id}/{collection}`: `groups` (empty); the endpoints that only take a
/// POST (`loginAttempts`, `passwordResetTokens`, …) answer 405.
pub(crate) async fn applications_collection(
    State(sp): State<Stormpath>,
    origin: RequestOrigin,
    Segments((id, name)): Segments<(String, String)>,
    uri: Uri,
) -> Result<Response, StormpathError> {
    let store = sp.store();
    check_application(&store, &id)?;
    match name.as_str() {
        "groups" => {
            let (offset, limit) = paging(uri.query())?;
            let href = format!("{}/groups", sp.hrefs(&origin).application(&id));
            Ok(json_response(
                StatusCode::OK,
                &page_of(href, Vec::new(), offset, limit, store.settings.collection_size),
            ))
        }
        "passwordResetTokens" | "verificationEmails" | "authTokens" | "apiKeys" => {
            Err(StormpathError::MethodNotAllowed("GET".into()))
        }
        _ => Err(StormpathError::NotFound),
    }
}

/// `GET /v1/accountStoreMappings/{id}`.
pub(crate) async fn mappings_get(
    State(sp): State<Stormpath>,
    origin: RequestOrigin,
    Segments(id): Segments<String>,
) -> Result<Response, StormpathError> {
    let store = sp.store();
    let (index, directory) = store
        .mapped_directories()
        .enumerate()
        .find(|(_, d)| d.mapping_id == id)
        .ok_or(StormpathError::NotFound)?;
    Ok(json_response(
        StatusCode::OK,
        &mapping_json(directory, index, &store, sp.hrefs(&origin)),
    ))
}

/// The directory with this id.
fn directory<'s>(store: &'s Store, id: &str) -> Result<&'s Directory, StormpathError> {
    store.directory(id).ok_or(StormpathError::NotFound)
}

/// `GET /v1/directories/{id}`.
pub(crate) async fn directories_get(
    State(sp): State<Stormpath>,
    origin: RequestOrigin,
    Segments(id): Segments<String>,
    uri: Uri,
) -> Result<Response, StormpathError> {
    let hrefs = sp.hrefs(&origin);
    let store = sp.store();
    let dir = directory(&store, &id)?;
    let mut expanded = Map::new();
    for expansion in instance_expand(&uri, &["tenant", "customData", "provider", "accounts"])? {
        let value = match expansion.name.as_str() {
            "tenant" => tenant_json(&store.settings, &iso_millis(store.created_at), hrefs),
            "customData" => dir.custom_data_json(hrefs),
            "provider" => dir.provider_json(hrefs),
            _ => {
                let query = ListQuery::page(expansion.offset, expansion.limit);
                let href = format!("{}/accounts", hrefs.directory(&id));
                account_page(
                    &store,
                    hrefs,
                    href,
                    &query,
                    store.accounts_where(|a| a.directory_id == id),
                )
            }
        };
        expanded.insert(expansion.name, value);
    }
    Ok(json_response(
        StatusCode::OK,
        &dir.to_json(hrefs, &store.settings.tenant_id, &expanded),
    ))
}

/// `GET /v1/directories/{id}/provider`.
pub(crate) async fn directories_provider(
    State(sp): State<Stormpath>,
    origin: RequestOrigin,
    Segments(id): Segments<String>,
) -> Result<Response, StormpathError> {
    let store = sp.store();
    Ok(json_response(
        StatusCode::OK,
        &directory(&store, &id)?.provider_json(sp.hrefs(&origin)),
    ))
}

/// `GET /v1/directories/{id}/customData`.
pub(crate) async fn directories_custom_data(
    State(sp): State<Stormpath>,
    origin: RequestOrigin,
    Segments(id): Segments<String>,
) -> Result<Response, StormpathError> {
    let store = sp.store();
    Ok(json_response(
        StatusCode::OK,
        &directory(&store, &id)?.custom_data_json(sp.hrefs(&origin)),
    ))
}

/// `GET /v1/directories/{id}/{collection}` other than `accounts`.
pub(crate) async fn directories_collection(
    State(sp): State<Stormpath>,
    origin: RequestOrigin,
    Segments((id, name)): Segments<(String, String)>,
    uri: Uri,
) -> Result<Response, StormpathError> {
    let hrefs = sp.hrefs(&origin);
    let store = sp.store();
    let dir = directory(&store, &id)?;
    let (offset, limit) = paging(uri.query())?;
    let items = match name.as_str() {
        "groups" | "organizations" | "organizationMappings" => Vec::new(),
        "applications" if dir.mapped => vec![application_json(&store, hrefs, &Map::new())],
        "applicationMappings" if dir.mapped => {
            let index = store.mapped_directories().position(|d| d.id == dir.id).unwrap_or(0);
            vec![mapping_json(dir, index, &store, hrefs)]
        }
        "applications" | "applicationMappings" => Vec::new(),
        _ => return Err(StormpathError::NotFound),
    };
    let href = format!("{}/{name}", hrefs.directory(&id));
    Ok(json_response(
        StatusCode::OK,
        &page_of(href, items, offset, limit, store.settings.collection_size),
    ))
}
