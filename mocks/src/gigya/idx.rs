//! IdentitySync's `idx.*` methods (gigya.md §8): dataflows and schedulings (create, get, set,
//! delete) and `idx.search` over the `dataflow`, `scheduling`, `idx_job_status` and `script`
//! tables.
//!
//! A dataflow is checked when it is stored: a `name`, a non-empty `steps` array, each step with a
//! unique `id` and a `type` from IdentitySync's component repository (plus the mock-only
//! `datasource.write.ferry`), `params` an object, `next` (and `error`, allowed only after a
//! writer) naming existing steps, no cycles, exactly one entry step (one no other step points
//! to). Which components a job can actually run is decided when it runs (see `job.rs`), so a
//! dataflow written for real Gigya is stored as it is, but for its credentials: a step's
//! `password`, `privateKey`, `passphrase`, `secret`, `secretKey` and `accountKey` are kept as
//! `********`, as Gigya shows them when a dataflow is read back (inferred from SAP's Customer
//! Data Cloud toolkit, whose recorded idx answers show exactly these masked), so they never
//! reach the mock's state or the dashboard. The answer of createDataflow / createScheduling is
//! the stored object, `id` included; setDataflow and setScheduling replace the whole object
//! (fields not sent are lost).
//!
//! A scheduling needs `dataflowId` (an existing dataflow) and `frequencyType` (`once`, `minute`,
//! `hour`, `day`, `week`, `month`); `frequencyInterval` (default 1), `nextJobStartTime`
//! (`yyyy-MM-dd HH:mm:ss` UTC or ISO 8601, default now; stored as ISO 8601), `enabled` (default
//! true), `fullExtract` (default false), `logLevel` (default `info`). Once its start time has
//! come it runs (see `job.rs`). Unknown ids are 404000 "Not found".
//!
//! `idx.search` answers `results`, `objectsCount`, `totalCount` (and `nextCursorId` with
//! `openCursor`), like accounts.search; with `ORDER BY … DESC` rows with equal keys come newest
//! first, so `ORDER BY updateTime DESC LIMIT 1` is the latest job even on a clock standing still.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::Gigya;
use super::accounts::records_page;
use super::error::GigyaError;
use super::params::Params;
use super::query::{self, DEFAULT_LIMIT, iso, parse_date_millis};
use super::store::{Cursor, CursorPosition};

type Fields = Map<String, Value>;

/// IdentitySync's component ids (Component Repository, IDX-TOOL), and the mock's own writer.
pub(crate) const COMPONENTS: &[&str] = &[
    "datasource.read.gigya.account",
    "datasource.read.gigya.audit",
    "datasource.read.gigya.ds",
    "datasource.read.gigya.gm",
    "datasource.read.gigya.emailAccount",
    "datasource.read.sftp",
    "datasource.read.ftp",
    "datasource.read.amazon.s3",
    "datasource.read.azure.blob",
    "datasource.read.google.cloud.storage",
    "datasource.lookup.gigya.account",
    "datasource.lookup.gigya.gm",
    "datasource.lookup.gigya.ds",
    "datasource.write.gigya.account",
    "datasource.write.gigya.importAccount",
    "datasource.write.gigya.ds",
    "datasource.write.gigya.generic",
    "datasource.write.sftp",
    "datasource.write.ftp",
    "datasource.write.amazon.s3",
    "datasource.write.azure.blob",
    "datasource.write.google.cloud.storage",
    "datasource.write.ferry",
    "field.array.join",
    "field.array.extract",
    "field.copy",
    "field.date.format",
    "field.evaluate",
    "field.flatten",
    "field.move",
    "field.remove",
    "field.rename",
    "field.replace",
    "record.evaluate",
    "record.deduplicate",
    "file.compress.gzip",
    "file.compress.lzo",
    "file.compress.zip",
    "file.empty",
    "file.decrypt.pgp",
    "file.encrypt.pgp",
    "file.format.aam",
    "file.format.count",
    "file.format.dsv",
    "file.format.json",
    "file.format.krux",
    "file.parse.dsv",
    "file.parse.json",
    "file.uncompress.gzip",
    "file.uncompress.lzo",
    "file.uncompress.zip",
];

/// Whether a component writes to a destination (only these may have an `error` path).
pub(crate) fn is_writer(kind: &str) -> bool {
    kind.starts_with("datasource.write.")
}

/// Most steps a dataflow may have (the mock's own bound).
pub(crate) const MAX_STEPS: usize = 1000;

const FREQUENCIES: &[&str] = &["once", "minute", "hour", "day", "week", "month"];

fn bad_data(problem: impl Into<String>) -> GigyaError {
    GigyaError::invalid("data", problem)
}

fn id_of(object: &Map<String, Value>) -> Option<&str> {
    object.get("id").and_then(Value::as_str)
}

/// Checks a dataflow object (see the module docs).
pub(crate) fn validate_dataflow(flow: &Map<String, Value>) -> Result<(), GigyaError> {
    match flow.get("name") {
        Some(Value::String(name)) if !name.trim().is_empty() => {}
        Some(_) => return Err(bad_data("name must be a non-empty string")),
        None => return Err(GigyaError::missing("data.name")),
    }
    let steps = match flow.get("steps") {
        Some(Value::Array(steps)) if steps.len() > MAX_STEPS => {
            return Err(bad_data(format!("a dataflow has at most {MAX_STEPS} steps")));
        }
        Some(Value::Array(steps)) if !steps.is_empty() => steps,
        Some(Value::Array(_)) => return Err(bad_data("steps is empty")),
        Some(_) => return Err(bad_data("steps must be an array")),
        None => return Err(GigyaError::missing("data.steps")),
    };
    let mut ids: Vec<&str> = Vec::with_capacity(steps.len());
    for (i, step) in steps.iter().enumerate() {
        let Value::Object(step) = step else {
            return Err(bad_data(format!("steps[{i}] must be an object")));
        };
        let id = match step.get("id") {
            Some(Value::String(id)) if !id.trim().is_empty() => id.as_str(),
            _ => return Err(bad_data(format!("steps[{i}].id must be a non-empty string"))),
        };
        if ids.contains(&id) {
            return Err(bad_data(format!("steps[{i}].id '{id}' is used by another step")));
        }
        ids.push(id);
        let kind = match step.get("type") {
            Some(Value::String(kind)) => kind.trim(),
            _ => return Err(bad_data(format!("steps[{i}] ('{id}'): type must be a string"))),
        };
        if !COMPONENTS.contains(&kind) {
            return Err(bad_data(format!(
                "steps[{i}] ('{id}'): unknown component type '{kind}'"
            )));
        }
        if let Some(params) = step.get("params")
            && !params.is_object()
            && !params.is_null()
        {
            return Err(bad_data(format!("steps[{i}] ('{id}'): params must be an object")));
        }
        if step.contains_key("error") && !is_writer(kind) {
            return Err(bad_data(format!(
                "steps[{i}] ('{id}'): an error path is only allowed after a writer"
            )));
        }
    }
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        for key in ["next", "error"] {
            let targets = match step.get(key) {
                None | Some(Value::Null) => continue,
                Some(Value::Array(targets)) => targets,
                Some(_) => return Err(bad_data(format!("steps[{i}] ('{}'): {key} must be an array", ids[i]))),
            };
            for target in targets {
                let Some(target) = target.as_str() else {
                    return Err(bad_data(format!("steps[{i}] ('{}'): {key} must list step ids", ids[i])));
                };
                let Some(j) = ids.iter().position(|id| *id == target) else {
                    return Err(bad_data(format!(
                        "steps[{i}] ('{}'): {key} names unknown step '{target}'",
                        ids[i]
                    )));
                };
                if j == i {
                    return Err(bad_data(format!(
                        "steps[{i}] ('{}'): a step cannot follow itself",
                        ids[i]
                    )));
                }
                edges.push((i, j));
            }
        }
    }
    let entries: Vec<&str> = (0..ids.len())
        .filter(|i| !edges.iter().any(|(_, to)| to == i))
        .map(|i| ids[i])
        .collect();
    match entries.len() {
        1 => {}
        0 => return Err(bad_data("there is no entry step (every step is the next of another)")),
        _ => {
            return Err(bad_data(format!(
                "a dataflow has exactly one entry step, found {}: {}",
                entries.len(),
                entries.join(", ")
            )));
        }
    }
    // Kahn's algorithm: a cycle leaves steps with incoming edges.
    let mut indegree = vec![0usize; ids.len()];
    for (_, to) in &edges {
        indegree[*to] += 1;
    }
    let mut ready: Vec<usize> = (0..ids.len()).filter(|i| indegree[*i] == 0).collect();
    let mut seen = 0;
    while let Some(i) = ready.pop() {
        seen += 1;
        for (_, to) in edges.iter().filter(|(from, _)| *from == i) {
            indegree[*to] -= 1;
            if indegree[*to] == 0 {
                ready.push(*to);
            }
        }
    }
    if seen != ids.len() {
        return Err(bad_data("the steps form a cycle"));
    }
    Ok(())
}

/// Step parameters that hold credentials.
const SECRET_PARAMS: &[&str] = &[
    "password",
    "privateKey",
    "passphrase",
    "secret",
    "secretKey",
    "accountKey",
];

/// A dataflow as it is kept: its steps' credentials masked.
fn masked(mut flow: Map<String, Value>) -> Map<String, Value> {
    if let Some(Value::Array(steps)) = flow.get_mut("steps") {
        for params in steps
            .iter_mut()
            .filter_map(|s| s.get_mut("params"))
            .filter_map(Value::as_object_mut)
        {
            for (key, value) in params.iter_mut() {
                if SECRET_PARAMS.contains(&key.as_str()) && matches!(value, Value::String(s) if !s.is_empty()) {
                    *value = Value::String("********".into());
                }
            }
        }
    }
    flow
}

fn data_param(params: &Params) -> Result<Map<String, Value>, GigyaError> {
    params.object("data")?.ok_or_else(|| GigyaError::missing("data"))
}

fn not_found(what: &str, id: &str) -> GigyaError {
    GigyaError::NotFound(format!("{what} '{id}' was not found"))
}

/// `idx.createDataflow`.
pub(crate) fn create_dataflow(gigya: &Gigya, params: &Params) -> Result<Fields, GigyaError> {
    let mut flow = data_param(params)?;
    validate_dataflow(&flow)?;
    flow = masked(flow);
    let id = gigya.kit_ref().ids.hex(32);
    flow.insert("id".into(), id.into());
    gigya.store().dataflows.push(flow.clone());
    Ok(flow)
}

/// `idx.getDataflow`.
pub(crate) fn get_dataflow(gigya: &Gigya, params: &Params) -> Result<Fields, GigyaError> {
    let id = params.require("id")?;
    gigya
        .store()
        .dataflow(id)
        .cloned()
        .ok_or_else(|| not_found("Dataflow", id))
}

/// `idx.setDataflow`.
pub(crate) fn set_dataflow(gigya: &Gigya, params: &Params) -> Result<Fields, GigyaError> {
    let flow = data_param(params)?;
    let id = id_of(&flow).ok_or_else(|| GigyaError::missing("data.id"))?.to_owned();
    validate_dataflow(&flow)?;
    let flow = masked(flow);
    let mut store = gigya.store();
    let slot = store
        .dataflows
        .iter_mut()
        .find(|d| id_of(d) == Some(id.as_str()))
        .ok_or_else(|| not_found("Dataflow", &id))?;
    *slot = flow;
    Ok(Fields::new())
}

/// `idx.deleteDataflow`.
pub(crate) fn delete_dataflow(gigya: &Gigya, params: &Params) -> Result<Fields, GigyaError> {
    let id = params.require("id")?;
    let mut store = gigya.store();
    let before = store.dataflows.len();
    store.dataflows.retain(|d| id_of(d) != Some(id));
    if store.dataflows.len() == before {
        return Err(not_found("Dataflow", id));
    }
    Ok(Fields::new())
}

/// Checks and completes a scheduling object.
fn normalize_scheduling(gigya: &Gigya, mut data: Map<String, Value>) -> Result<Map<String, Value>, GigyaError> {
    let now = gigya.now();
    let dataflow_id = match data.get("dataflowId") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        Some(_) => return Err(bad_data("dataflowId must be a string")),
        None => return Err(GigyaError::missing("data.dataflowId")),
    };
    if gigya.store().dataflow(&dataflow_id).is_none() {
        return Err(bad_data(format!(
            "dataflowId '{dataflow_id}' is not an existing dataflow"
        )));
    }
    match data.get("frequencyType") {
        Some(Value::String(f)) if FREQUENCIES.contains(&f.as_str()) => {}
        Some(other) => {
            return Err(bad_data(format!(
                "frequencyType {other} is not one of {}",
                FREQUENCIES.join(", ")
            )));
        }
        None => return Err(GigyaError::missing("data.frequencyType")),
    }
    match data.get("frequencyInterval") {
        None | Some(Value::Null) => {
            data.insert("frequencyInterval".into(), 1.into());
        }
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| (1..=100_000).contains(&n)) => {}
        Some(_) => return Err(bad_data("frequencyInterval must be a whole number from 1")),
    }
    let start = match data.get("nextJobStartTime") {
        None | Some(Value::Null) => now.timestamp_millis(),
        Some(Value::String(s)) => parse_date_millis(s)
            .ok_or_else(|| bad_data(format!("nextJobStartTime '{s}' is not yyyy-MM-dd HH:mm:ss")))?,
        Some(_) => return Err(bad_data("nextJobStartTime must be a string (yyyy-MM-dd HH:mm:ss)")),
    };
    let start = chrono::DateTime::from_timestamp_millis(start).unwrap_or(now);
    data.insert("nextJobStartTime".into(), iso(start).into());
    for (key, default) in [("enabled", true), ("fullExtract", false)] {
        match data.get(key) {
            None | Some(Value::Null) => {
                data.insert(key.into(), default.into());
            }
            Some(Value::Bool(_)) => {}
            Some(_) => return Err(bad_data(format!("{key} must be true or false"))),
        }
    }
    match data.get("logLevel") {
        None | Some(Value::Null) => {
            data.insert("logLevel".into(), "info".into());
        }
        Some(Value::String(l)) if ["info", "error", "debug"].contains(&l.as_str()) => {}
        Some(_) => return Err(bad_data("logLevel must be info, error or debug")),
    }
    if let Some(name) = data.get("name")
        && !name.is_string()
    {
        return Err(bad_data("name must be a string"));
    }
    data.insert("updateTime".into(), iso(now).into());
    Ok(data)
}

/// `idx.createScheduling`.
pub(crate) fn create_scheduling(gigya: &Gigya, params: &Params) -> Result<Fields, GigyaError> {
    let mut data = normalize_scheduling(gigya, data_param(params)?)?;
    let id = gigya.kit_ref().ids.hex(32);
    data.insert("id".into(), id.into());
    data.insert("createTime".into(), iso(gigya.now()).into());
    gigya.store().schedulings.push(data.clone());
    Ok(data)
}

/// `idx.getScheduling`.
pub(crate) fn get_scheduling(gigya: &Gigya, params: &Params) -> Result<Fields, GigyaError> {
    let id = params.require("id")?;
    gigya
        .store()
        .scheduling_mut(id)
        .map(|s| s.clone())
        .ok_or_else(|| not_found("Scheduling", id))
}

/// `idx.setScheduling`.
pub(crate) fn set_scheduling(gigya: &Gigya, params: &Params) -> Result<Fields, GigyaError> {
    let data = data_param(params)?;
    let id = id_of(&data).ok_or_else(|| GigyaError::missing("data.id"))?.to_owned();
    let mut data = normalize_scheduling(gigya, data)?;
    let mut store = gigya.store();
    let slot = store.scheduling_mut(&id).ok_or_else(|| not_found("Scheduling", &id))?;
    if let Some(created) = slot.get("createTime").cloned() {
        data.insert("createTime".into(), created);
    }
    *slot = data;
    let mut out = Fields::new();
    out.insert("id".into(), id.into());
    Ok(out)
}

/// `idx.deleteScheduling`.
pub(crate) fn delete_scheduling(gigya: &Gigya, params: &Params) -> Result<Fields, GigyaError> {
    let id = params.require("id")?;
    let mut store = gigya.store();
    let before = store.schedulings.len();
    store.schedulings.retain(|s| id_of(s) != Some(id));
    if store.schedulings.len() == before {
        return Err(not_found("Scheduling", id));
    }
    Ok(Fields::new())
}

/// `idx.search`.
pub(crate) fn search(gigya: &Gigya, params: &Params) -> Result<Fields, GigyaError> {
    let now = gigya.now();
    let mut store = gigya.store();
    if let Some(cursor_id) = params.get("cursorId") {
        if params.get("query").is_some() {
            return Err(GigyaError::invalid(
                "cursorId",
                "cursorId cannot be sent together with query",
            ));
        }
        store.prune_cursors(now);
        let cursor = store
            .cursors
            .get(cursor_id)
            .cloned()
            .filter(|c| matches!(c.position, CursorPosition::Records(..)))
            .ok_or_else(|| GigyaError::invalid("cursorId", "unknown or expired cursor"))?;
        return Ok(records_page(gigya, &mut store, &cursor, now));
    }
    let query = query::parse(params.require("query")?).map_err(|e| GigyaError::invalid("query", e))?;
    let table: &[Map<String, Value>] = match query.from.as_str() {
        "dataflow" | "dataflows" => &store.dataflows,
        "scheduling" | "schedulings" => &store.schedulings,
        "idx_job_status" => &store.jobs,
        "script" | "scripts" => &[],
        other => {
            return Err(GigyaError::invalid(
                "query",
                format!("unknown table '{other}' (use dataflow, scheduling, idx_job_status or script)"),
            ));
        }
    };
    let mut rows: Vec<(usize, &Map<String, Value>)> = table
        .iter()
        .enumerate()
        .filter(|(_, r)| query.filter.as_ref().is_none_or(|f| f.matches(r)))
        .collect();
    let newest_first = query.order.first().is_some_and(|k| k.descending);
    rows.sort_by(|a, b| {
        query::compare_docs(a.1, b.1, &query.order).then_with(
            || {
                if newest_first { b.0.cmp(&a.0) } else { a.0.cmp(&b.0) }
            },
        )
    });
    let total = rows.len();
    if matches!(query.select, query::Select::Count) {
        let mut out = Fields::new();
        out.insert("results".into(), serde_json::json!([{ "count(*)": total }]));
        out.insert("objectsCount".into(), 1.into());
        out.insert("totalCount".into(), total.into());
        return Ok(out);
    }
    if params.bool("openCursor")?.unwrap_or(false) {
        if query.start.is_some() {
            return Err(GigyaError::invalid(
                "openCursor",
                "openCursor cannot be combined with START",
            ));
        }
        let snapshot: Vec<Map<String, Value>> = rows.into_iter().map(|(_, r)| r.clone()).collect();
        let cursor = Cursor {
            issued: now,
            query: Arc::new(query),
            total,
            position: CursorPosition::Records(Arc::new(snapshot), 0),
            with_password: false,
        };
        store.prune_cursors(now);
        return Ok(records_page(gigya, &mut store, &cursor, now));
    }
    let results: Vec<Value> = rows
        .into_iter()
        .skip(query.start.unwrap_or(0))
        .take(query.limit.unwrap_or(DEFAULT_LIMIT))
        .map(|(_, r)| Value::Object(query::project(r, &query.select, &[])))
        .collect();
    let mut out = Fields::new();
    out.insert("objectsCount".into(), results.len().into());
    out.insert("results".into(), Value::Array(results));
    out.insert("totalCount".into(), total.into());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(flow: Value) -> Result<(), String> {
        let Value::Object(flow) = flow else {
            return Err("not an object".into());
        };
        validate_dataflow(&flow).map_err(|e| e.details())
    }

    fn step(id: &str, kind: &str, next: &[&str]) -> Value {
        json!({"id": id, "type": kind, "next": next})
    }

    #[test]
    fn valid_flows_pass() {
        let flow = json!({"name": "export", "steps": [
            step("read", "datasource.read.gigya.account", &["json", "empty"]),
            step("json", "file.format.json", &["write"]),
            step("empty", "file.empty", &["write"]),
            {"id": "write", "type": "datasource.write.sftp", "error": []},
        ]});
        assert_eq!(check(flow), Ok(()));
    }

    #[test]
    fn credentials_are_kept_masked() {
        let Value::Object(flow) = json!({"name": "x", "steps": [
            {"id": "w", "type": "datasource.write.sftp", "params": {"host": "h", "username": "u", "password": "hunter2", "privateKey": "", "remotePath": "/out"}}
        ]}) else {
            return;
        };
        let kept = masked(flow);
        assert_eq!(
            kept["steps"][0]["params"],
            json!({"host": "h", "username": "u", "password": "********", "privateKey": "", "remotePath": "/out"})
        );
    }

    #[test]
    fn invalid_flows_say_why() {
        let err = |flow: Value| check(flow).expect_err("invalid");
        assert!(err(json!({"steps": []})).contains("data.name"));
        assert!(err(json!({"name": "x", "steps": []})).contains("steps is empty"));
        assert!(err(json!({"name": "x", "steps": [step("a", "field.nope", &[])]})).contains("unknown component"));
        assert!(
            err(json!({"name": "x", "steps": [step("a", "field.remove", &[]), step("a", "field.remove", &[])]}))
                .contains("used by another step")
        );
        assert!(err(json!({"name": "x", "steps": [step("a", "field.remove", &["b"])]})).contains("unknown step 'b'"));
        assert!(
            err(json!({"name": "x", "steps": [step("a", "field.remove", &[]), step("b", "field.remove", &[])]}))
                .contains("exactly one entry step")
        );
        assert!(
            err(json!({"name": "x", "steps": [step("a", "field.remove", &["b"]), step("b", "field.remove", &["c"]), step("c", "field.remove", &["b"])]}))
                .contains("cycle")
        );
        assert!(
            err(json!({"name": "x", "steps": [{"id": "a", "type": "field.remove", "error": []}]}))
                .contains("only allowed after a writer")
        );
    }
}
