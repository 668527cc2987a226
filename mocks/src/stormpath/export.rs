//! The export Stormpath's Admin Console produced before the shutdown (stormpath.md §9.1): one
//! JSON file per resource, named by its id, under the tenant's id, with password hashes.
//!
//! ```text
//! {tenantId}/directories/{directoryId}.json
//! {tenantId}/providers/{directoryId}.json
//! {tenantId}/applications/{applicationId}.json
//! {tenantId}/accountStoreMappings/{mappingId}.json
//! {tenantId}/accounts/{directoryId}/{accountId}.json   (export_layout: nested, the importer README)
//! {tenantId}/accounts/{accountId}.json                 (export_layout: flat, later importer code)
//! ```
//!
//! Files hold the REST resource with its `id` first; references to other exported resources
//! carry `id` beside `href` (the importer follows `…​.id`). An account file embeds its Custom
//! Data as an object, names its directory as `{id, href, name}`, and carries `password` (the
//! stored Modular Crypt Format hash) only when the account has one. The real export was an
//! encrypted ZIP whose exact key order and formatting were never published; these files are
//! pretty-printed JSON in the REST key order (stormpath.md: "assume the same field names and
//! formats as the REST resources").
//!
//! Ferry serves the files from two admin routes (not part of Stormpath's API, not journaled):
//! `GET /__ferry/export` lists them, `GET /__ferry/export/{path}` returns one.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::Stormpath;
use super::model::Hrefs;
use super::resources::application_json;
use super::settings::ExportLayout;
use super::store::Store;

/// One file of the export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportFile {
    /// Relative path with `/` separators, starting with the tenant id.
    pub path: String,
    /// Pretty-printed JSON, ending with a newline.
    pub bytes: Vec<u8>,
}

fn with_id(id: &str, value: Value) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), Value::String(id.to_owned()));
    if let Value::Object(rest) = value {
        for (key, value) in rest {
            if key != "id" {
                out.insert(key, value);
            }
        }
    }
    Value::Object(out)
}

fn file(path: String, value: &Value) -> ExportFile {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    ExportFile { path, bytes }
}

/// Every file of the export, sorted by path.
pub(crate) fn files(store: &Store, hrefs: Hrefs<'_>) -> Vec<ExportFile> {
    let settings = &store.settings;
    let tenant = &settings.tenant_id;
    let mut out = Vec::new();
    for directory in &store.directories {
        out.push(file(
            format!("{tenant}/directories/{}.json", directory.id),
            &with_id(&directory.id, directory.to_json(hrefs, tenant, &Map::new())),
        ));
        let mut provider = directory.provider_json(hrefs);
        provider["directory"] = json!({ "id": directory.id, "href": hrefs.directory(&directory.id) });
        out.push(file(format!("{tenant}/providers/{}.json", directory.id), &provider));
    }
    out.push(file(
        format!("{tenant}/applications/{}.json", settings.application_id),
        &with_id(&settings.application_id, application_json(store, hrefs, &Map::new())),
    ));
    for (index, directory) in store.mapped_directories().enumerate() {
        let mapping = json!({
            "id": directory.mapping_id,
            "href": hrefs.mapping(&directory.mapping_id),
            "listIndex": index,
            "isDefaultAccountStore": index == 0,
            "isDefaultGroupStore": index == 0,
            "application": { "id": settings.application_id, "href": hrefs.application(&settings.application_id) },
            "accountStore": { "id": directory.id, "href": hrefs.directory(&directory.id) },
        });
        out.push(file(
            format!("{tenant}/accountStoreMappings/{}.json", directory.mapping_id),
            &mapping,
        ));
    }
    for account in store.accounts_where(|_| true) {
        let path = match settings.export_layout {
            ExportLayout::Nested => format!("{tenant}/accounts/{}/{}.json", account.directory_id, account.id),
            ExportLayout::Flat => format!("{tenant}/accounts/{}.json", account.id),
        };
        let directory = store.directory(&account.directory_id);
        out.push(file(path, &account.export_json(hrefs, tenant, directory)));
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// `GET /__ferry/export`: the list of files.
pub(crate) async fn export_list(State(sp): State<Stormpath>) -> Json<Value> {
    let files = sp.export_files();
    let store = sp.store();
    Json(json!({
        "tenant": store.settings.tenant_id,
        "layout": store.settings.export_layout,
        "files": files
            .iter()
            .map(|f| json!({ "path": f.path, "bytes": f.bytes.len() }))
            .collect::<Vec<_>>(),
    }))
}

/// `GET /__ferry/export/{path}`: one file.
pub(crate) async fn export_file(State(sp): State<Stormpath>, Path(path): Path<String>) -> Response {
    match sp.export_files().into_iter().find(|f| f.path == path) {
        Some(found) => ([(header::CONTENT_TYPE, super::JSON_UTF8)], found.bytes).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "not_found", "detail": format!("no export file {path}") })),
        )
            .into_response(),
    }
}
