//! Running IdentitySync jobs (gigya.md §8): a scheduling whose `nextJobStartTime` has come (on
//! the kit clock) gets a job, and the job runs its dataflow before the request that found it due
//! is answered — so its status is `succeeded` or `failed` at the next poll, the same on every run.
//! A `once` scheduling then loses its `nextJobStartTime`; a recurring one moves it forward by its
//! frequency past now (missed runs are not caught up).
//!
//! What a job can run:
//! - `datasource.read.gigya.account` as the entry step: `select` (field list, default all, the
//!   password included as getAccountInfo would give it), `where` (a search-language condition),
//!   `from` (`accounts`; `emailAccounts` reads nothing), `batchSize` (default 300, at most
//!   10,000), `deltaField` (with `fullExtract: false` on the scheduling and an earlier succeeded
//!   job of it, only accounts whose field is at or after that job's start);
//! - `field.rename` and `field.copy` (`fields: [{sourceField, targetField}]`; a field name in
//!   quotes, `'profile.gender'`, is one flat key), `field.remove` (`fields: [paths]`),
//!   `field.replace` (`fields: [{field, regex, replacement}]`, `field: "*"` for every string;
//!   Java `replaceAll` semantics), `field.flatten` (`fields: [paths]`, all object fields when
//!   empty; `delimiter`, default `.`: an object becomes top-level keys `profile.firstName` —
//!   Gigya documents no parameters for it, this is the mock's definition);
//! - `file.format.json` (`fileName`, default `<step id>_${now}.json`): one UTF-8 JSON array, one
//!   record per line, streamed to disk batch by batch; `file.empty` (`fileName`): an empty file;
//!   `${now}` is the job's start, `yyyyMMddHHmmss` UTC;
//! - `datasource.write.sftp`, IdentitySync's SFTP writer with its real parameters (`host`,
//!   `username`, `password` or `privateKey`, `port`, `remotePath`, `temporaryUploadExtension`,
//!   `timeout`): the mock has no SFTP server, so it stands in for the ones named in its
//!   settings (`sftp_servers`: host → a local directory for the server's root) and uploads each
//!   file it receives to `<directory>/<remotePath>/<file name>` — under a temporary name renamed
//!   when complete with `temporaryUploadExtension: true`. A host it does not know fails the job
//!   as an unreachable server would; see `files.rs`;
//! - `datasource.write.ferry` (mock only; `fileName` optional, used when it receives a single
//!   file): keeps the file, downloadable from `GET /__ferry/files/{name}`.
//!
//! Anything else fails the job before it reads an account, with a `trace` naming the step:
//! the other real writers (`.ftp`, `.amazon.s3`, `.azure.blob`, …) say "writer not available in
//! the mock; use datasource.write.ferry"; other known components say they are not implemented by
//! the mock. Records are held one batch at a time, so memory stays bounded whatever the number
//! of accounts.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::ops::Bound;
use std::path::PathBuf;

use chrono::{DateTime, Duration, Months, Utc};
use serde_json::{Map, Value};

use super::Gigya;
use super::files::SftpTarget;
use super::idx::is_writer;
use super::query::{self, Expr, Literal, Op, Select, iso};
use super::regex::Regex;
use super::store::StoredFile;

const DEFAULT_BATCH: usize = 300;
const MAX_BATCH: usize = 10_000;
const HOST_NAME: &str = "ferry-mock-gigya";

type Record = Map<String, Value>;

/// `(sourceField, targetField)` pairs of rename and copy.
type FieldPairs = Vec<(Vec<String>, Vec<String>)>;

/// Claims the jobs whose scheduling is due: each gets a `running` job record now.
pub(crate) fn claim_due(gigya: &Gigya) -> Vec<String> {
    let now = gigya.now();
    let mut store = gigya.store();
    let mut claimed = Vec::new();
    let mut jobs = Vec::new();
    for scheduling in store.schedulings.iter_mut() {
        if scheduling.get("enabled") == Some(&Value::Bool(false)) {
            continue;
        }
        let Some(start) = scheduling
            .get("nextJobStartTime")
            .and_then(Value::as_str)
            .and_then(query::parse_date_millis)
            .and_then(DateTime::<Utc>::from_timestamp_millis)
        else {
            continue;
        };
        if start > now {
            continue;
        }
        let id = gigya.kit_ref().ids.hex(32);
        let frequency = scheduling
            .get("frequencyType")
            .and_then(Value::as_str)
            .unwrap_or("once")
            .to_owned();
        let interval = scheduling
            .get("frequencyInterval")
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .max(1);
        let mut job = Map::new();
        job.insert("id".into(), id.clone().into());
        for (from, to) in [("dataflowId", "dataflowId"), ("id", "schedulingId")] {
            if let Some(v) = scheduling.get(from) {
                job.insert(to.into(), v.clone());
            }
        }
        job.insert("createTime".into(), iso(now).into());
        job.insert("updateTime".into(), iso(now).into());
        job.insert("startTime".into(), iso(now).into());
        job.insert("frequencyType".into(), frequency.clone().into());
        job.insert("frequencyInterval".into(), interval.into());
        job.insert("totalRecords".into(), 0.into());
        job.insert("processedRecords".into(), 0.into());
        job.insert("attemptNumber".into(), 1.into());
        job.insert("status".into(), "running".into());
        job.insert("hostName".into(), HOST_NAME.into());
        job.insert("archive".into(), false.into());
        scheduling.insert("jobId".into(), id.clone().into());
        match next_start(start, now, &frequency, interval) {
            Some(next) => {
                scheduling.insert("nextJobStartTime".into(), iso(next).into());
            }
            None => {
                scheduling.remove("nextJobStartTime");
            }
        }
        jobs.push(job);
        claimed.push(id);
    }
    for job in &mut jobs {
        let name = job
            .get("dataflowId")
            .and_then(Value::as_str)
            .and_then(|id| store.dataflow(id))
            .and_then(|d| d.get("name"))
            .cloned();
        if let Some(name) = name {
            job.insert("dataflowName".into(), name);
        }
    }
    store.jobs.extend(jobs);
    claimed
}

/// The first start after `now` of a recurring scheduling; `None` for `once`.
fn next_start(start: DateTime<Utc>, now: DateTime<Utc>, frequency: &str, interval: u64) -> Option<DateTime<Utc>> {
    let interval = i64::try_from(interval).unwrap_or(1);
    let step = match frequency {
        "minute" => Duration::minutes(interval),
        "hour" => Duration::hours(interval),
        "day" => Duration::days(interval),
        "week" => Duration::weeks(interval),
        "month" => {
            let months = Months::new(u32::try_from(interval).unwrap_or(1));
            let mut next = start.checked_add_months(months)?;
            for _ in 0..100_000 {
                if next > now {
                    return Some(next);
                }
                next = next.checked_add_months(months)?;
            }
            return Some(next);
        }
        _ => return None,
    };
    let behind = (now - start).num_milliseconds().max(0);
    let steps = behind / step.num_milliseconds().max(1) + 1;
    let ahead = step.checked_mul(i32::try_from(steps).ok()?)?;
    start.checked_add_signed(ahead)
}

/// A file produced by a format step.
struct Produced {
    name: String,
    path: PathBuf,
}

/// The open output of a `file.format.json` step.
struct JsonOut {
    name: String,
    path: PathBuf,
    writer: BufWriter<File>,
    count: u64,
}

enum Kind {
    Read,
    Rename(FieldPairs),
    Copy(FieldPairs),
    Remove(Vec<Vec<String>>),
    Replace(Vec<(Option<Vec<String>>, Regex, String)>),
    Flatten(Vec<Vec<String>>, String),
    Json(String),
    Empty(String),
    WriteFerry(Option<String>),
    WriteSftp(SftpTarget),
}

struct Step {
    id: String,
    kind: Kind,
    next: Vec<usize>,
}

/// A field name as IdentitySync writes it: a dotted path, or one flat key in quotes.
fn field_path(text: &str) -> Vec<String> {
    let t = text.trim();
    for q in ['\'', '"'] {
        if let Some(inner) = t.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return vec![inner.to_owned()];
        }
    }
    t.split('.').map(str::to_owned).collect()
}

fn now_stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%d%H%M%S").to_string()
}

fn text_param(step: &str, params: &Map<String, Value>, name: &str) -> Result<Option<String>, String> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(format!("step '{step}': params.{name} must be a string")),
    }
}

fn fields_param<'a>(step: &str, params: &'a Map<String, Value>) -> Result<&'a [Value], String> {
    match params.get("fields") {
        Some(Value::Array(items)) => Ok(items),
        None | Some(Value::Null) => Ok(&[]),
        Some(_) => Err(format!("step '{step}': params.fields must be an array")),
    }
}

fn pairs(step: &str, params: &Map<String, Value>) -> Result<FieldPairs, String> {
    fields_param(step, params)?
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let get = |key: &str| {
                item.get(key)
                    .and_then(Value::as_str)
                    .filter(|s| !s.trim().is_empty())
                    .map(field_path)
                    .ok_or_else(|| format!("step '{step}': params.fields[{i}].{key} is missing"))
            };
            Ok((get("sourceField")?, get("targetField")?))
        })
        .collect()
}

fn paths(step: &str, params: &Map<String, Value>) -> Result<Vec<Vec<String>>, String> {
    fields_param(step, params)?
        .iter()
        .enumerate()
        .map(|(i, item)| {
            item.as_str()
                .filter(|s| !s.trim().is_empty())
                .map(field_path)
                .ok_or_else(|| format!("step '{step}': params.fields[{i}] must be a field name"))
        })
        .collect()
}

/// Reads a stored dataflow into steps the mock can run, or says why it cannot.
fn plan(flow: &Map<String, Value>, sftp_servers: &BTreeMap<String, PathBuf>) -> Result<(Vec<Step>, usize), String> {
    let empty = Map::new();
    let raw: Vec<&Map<String, Value>> = flow
        .get("steps")
        .and_then(Value::as_array)
        .map(|steps| steps.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    let ids: Vec<String> = raw
        .iter()
        .map(|s| s.get("id").and_then(Value::as_str).unwrap_or_default().to_owned())
        .collect();
    let mut steps = Vec::with_capacity(raw.len());
    for (i, step) in raw.iter().enumerate() {
        let id = &ids[i];
        let kind_name = step.get("type").and_then(Value::as_str).unwrap_or_default().trim();
        let params = step.get("params").and_then(Value::as_object).unwrap_or(&empty);
        let kind = match kind_name {
            "datasource.read.gigya.account" => Kind::Read,
            "field.rename" => Kind::Rename(pairs(id, params)?),
            "field.copy" => Kind::Copy(pairs(id, params)?),
            "field.remove" => Kind::Remove(paths(id, params)?),
            "field.flatten" => Kind::Flatten(
                paths(id, params)?,
                text_param(id, params, "delimiter")?.unwrap_or_else(|| ".".into()),
            ),
            "field.replace" => {
                let mut rules = Vec::new();
                for (n, item) in fields_param(id, params)?.iter().enumerate() {
                    let field = item
                        .get("field")
                        .and_then(Value::as_str)
                        .ok_or_else(|| format!("step '{id}': params.fields[{n}].field is missing"))?;
                    let pattern = item
                        .get("regex")
                        .and_then(Value::as_str)
                        .ok_or_else(|| format!("step '{id}': params.fields[{n}].regex is missing"))?;
                    let replacement = item.get("replacement").and_then(Value::as_str).unwrap_or_default();
                    let regex =
                        Regex::new(pattern).map_err(|e| format!("step '{id}': params.fields[{n}].regex: {e}"))?;
                    let target = (field.trim() != "*").then(|| field_path(field));
                    rules.push((target, regex, replacement.to_owned()));
                }
                Kind::Replace(rules)
            }
            "file.format.json" => {
                Kind::Json(text_param(id, params, "fileName")?.unwrap_or_else(|| format!("{id}_${{now}}.json")))
            }
            "file.empty" => Kind::Empty(
                text_param(id, params, "fileName")?
                    .ok_or_else(|| format!("step '{id}': params.fileName is missing"))?,
            ),
            "datasource.write.ferry" => Kind::WriteFerry(text_param(id, params, "fileName")?),
            "datasource.write.sftp" => Kind::WriteSftp(SftpTarget::new(id, params, sftp_servers)?),
            other if is_writer(other) && !other.starts_with("datasource.write.gigya") => {
                return Err(format!(
                    "step '{id}' ({other}): writer not available in the mock; use datasource.write.ferry"
                ));
            }
            other => {
                return Err(format!("step '{id}' ({other}): component not implemented by the mock"));
            }
        };
        let next = step
            .get("next")
            .and_then(Value::as_array)
            .map(|n| {
                n.iter()
                    .filter_map(Value::as_str)
                    .filter_map(|t| ids.iter().position(|id| id == t))
                    .collect()
            })
            .unwrap_or_default();
        steps.push(Step {
            id: id.clone(),
            kind,
            next,
        });
    }
    let entry = (0..steps.len())
        .find(|i| !steps.iter().any(|s| s.next.contains(i)))
        .ok_or("the dataflow has no entry step")?;
    if !matches!(steps[entry].kind, Kind::Read) {
        return Err(format!(
            "step '{}': the mock runs dataflows that start with datasource.read.gigya.account",
            steps[entry].id
        ));
    }
    let mut checked = vec![[false; 2]; steps.len()];
    check_phases(&steps, entry, false, &mut checked)?;
    // Records are copied down every path; a flow with a great many paths (diamonds upon
    // diamonds) would multiply them without end.
    let mut paths = vec![0u64; steps.len()];
    paths[entry] = 1;
    let mut order: Vec<usize> = Vec::new();
    topological(&steps, entry, &mut vec![false; steps.len()], &mut order);
    for &i in order.iter().rev() {
        for &next in &steps[i].next {
            paths[next] = paths[next].saturating_add(paths[i]);
        }
    }
    if paths.iter().any(|p| *p > MAX_PATHS) {
        return Err(format!("the dataflow has more than {MAX_PATHS} paths from its reader"));
    }
    Ok((steps, entry))
}

/// Most paths from the reader to any step.
const MAX_PATHS: u64 = 64;

/// Post-order of the steps reachable from `at` (reversed, a topological order).
fn topological(steps: &[Step], at: usize, seen: &mut [bool], out: &mut Vec<usize>) {
    if seen[at] {
        return;
    }
    seen[at] = true;
    for &next in &steps[at].next {
        topological(steps, next, seen, out);
    }
    out.push(at);
}

/// Records flow from the reader through field steps into format steps; files flow from format
/// steps into writers.
fn check_phases(steps: &[Step], at: usize, files: bool, checked: &mut [[bool; 2]]) -> Result<(), String> {
    if std::mem::replace(&mut checked[at][usize::from(files)], true) {
        return Ok(());
    }
    for &next in &steps[at].next {
        let step = &steps[next];
        let now_files = match (&step.kind, files) {
            (Kind::Read, _) => return Err(format!("step '{}': a reader cannot follow another step", step.id)),
            (Kind::Json(_) | Kind::Empty(_), false) => true,
            (Kind::WriteFerry(_) | Kind::WriteSftp(_), true) => true,
            (Kind::WriteFerry(_) | Kind::WriteSftp(_), false) => {
                return Err(format!(
                    "step '{}': a writer receives files; put file.format.json before it",
                    step.id
                ));
            }
            (_, true) => {
                return Err(format!(
                    "step '{}': it receives a file, but the mock only writes files after formatting",
                    step.id
                ));
            }
            (_, false) => false,
        };
        check_phases(steps, next, now_files, checked)?;
    }
    Ok(())
}

/// Runs a claimed job to its end.
pub(crate) fn run(gigya: &Gigya, job_id: &str) {
    let started = gigya.now();
    let outcome = execute(gigya, job_id, started);
    let now = gigya.now();
    let mut store = gigya.store();
    if let Some(job) = store.job_mut(job_id) {
        job.insert("updateTime".into(), iso(now).into());
        job.insert("endTime".into(), iso(now).into());
        match outcome {
            Ok(()) => {
                job.insert("status".into(), "succeeded".into());
            }
            Err(trace) => {
                job.insert("status".into(), "failed".into());
                job.insert("trace".into(), trace.into());
            }
        }
    }
}

fn execute(gigya: &Gigya, job_id: &str, started: DateTime<Utc>) -> Result<(), String> {
    let (flow, delta_since) = {
        let store = gigya.store();
        let job = store
            .jobs
            .iter()
            .find(|j| j.get("id").and_then(Value::as_str) == Some(job_id))
            .ok_or("the job record is gone")?;
        let flow_id = job
            .get("dataflowId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let scheduling_id = job
            .get("schedulingId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let flow = store
            .dataflow(&flow_id)
            .cloned()
            .ok_or_else(|| format!("dataflow '{flow_id}' no longer exists"))?;
        let full = store
            .schedulings
            .iter()
            .find(|s| s.get("id").and_then(Value::as_str) == Some(scheduling_id.as_str()))
            .and_then(|s| s.get("fullExtract"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let previous = (!full)
            .then(|| {
                store
                    .jobs
                    .iter()
                    .filter(|j| j.get("schedulingId").and_then(Value::as_str) == Some(scheduling_id.as_str()))
                    .filter(|j| j.get("status").and_then(Value::as_str) == Some("succeeded"))
                    .filter_map(|j| j.get("startTime").and_then(Value::as_str))
                    .filter_map(query::parse_date_millis)
                    .max()
            })
            .flatten();
        (flow, previous)
    };
    let sftp_servers = gigya.store().settings.sftp_servers.clone();
    let (steps, entry) = plan(&flow, &sftp_servers)?;
    let empty = Map::new();
    let reader = flow
        .get("steps")
        .and_then(Value::as_array)
        .and_then(|s| s.get(entry))
        .and_then(|s| s.get("params"))
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let read_id = steps[entry].id.clone();
    let select = match text_param(&read_id, reader, "select")? {
        Some(text) => query::parse_select(&text).map_err(|e| format!("step '{read_id}': params.select: {e}"))?,
        None => Select::All,
    };
    let mut filter = text_param(&read_id, reader, "where")?
        .map(|w| query::parse_condition(&w).map_err(|e| format!("step '{read_id}': params.where: {e}")))
        .transpose()?;
    if let (Some(field), Some(since)) = (text_param(&read_id, reader, "deltaField")?, delta_since) {
        let delta = Expr::Compare(field_path(&field), Op::Ge, Literal::Num(since as f64));
        filter = Some(match filter {
            Some(f) => Expr::And(Box::new(f), Box::new(delta)),
            None => delta,
        });
    }
    let lite = match text_param(&read_id, reader, "from")?.as_deref() {
        None | Some("accounts") => false,
        Some("emailAccounts") => true,
        Some(other) => {
            return Err(format!(
                "step '{read_id}': params.from '{other}' is not accounts or emailAccounts"
            ));
        }
    };
    let batch = match reader.get("batchSize") {
        None | Some(Value::Null) => DEFAULT_BATCH,
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .filter(|n| (1..=MAX_BATCH as u64).contains(n))
            .map(|n| n as usize)
            .ok_or_else(|| format!("step '{read_id}': params.batchSize must be from 1 to {MAX_BATCH}"))?,
    };
    let matches = |doc: &Record| !lite && filter.as_ref().is_none_or(|f| f.matches(doc));
    let total = {
        let store = gigya.store();
        if filter.is_none() && !lite {
            store.accounts.len()
        } else {
            store.accounts.values().filter(|a| matches(&a.doc())).count()
        }
    };
    update_job(gigya, job_id, |job| {
        job.insert("totalRecords".into(), total.into());
    });
    let stamp = now_stamp(started);
    let mut outs: Vec<Option<JsonOut>> = Vec::with_capacity(steps.len());
    for step in &steps {
        outs.push(match &step.kind {
            Kind::Json(name) => {
                let name = name.replace("${now}", &stamp);
                let path = gigya
                    .files_dir()
                    .fresh_path(&format!("{job_id}.json"))
                    .map_err(|e| format!("cannot create a file for step '{}': {e}", step.id))?;
                let file =
                    File::create(&path).map_err(|e| format!("cannot create a file for step '{}': {e}", step.id))?;
                let mut writer = BufWriter::with_capacity(256 * 1024, file);
                writer.write_all(b"[").map_err(|e| format!("step '{}': {e}", step.id))?;
                Some(JsonOut {
                    name,
                    path,
                    writer,
                    count: 0,
                })
            }
            _ => None,
        });
    }
    let mut after: Option<String> = None;
    let mut processed = 0u64;
    loop {
        let records: Vec<Record> = {
            let store = gigya.store();
            let range: Box<dyn Iterator<Item = (&String, &super::account::Account)>> = match &after {
                None => Box::new(store.accounts.iter()),
                Some(uid) => Box::new(
                    store
                        .accounts
                        .range::<String, _>((Bound::Excluded(uid.clone()), Bound::Unbounded)),
                ),
            };
            let mut batch_records = Vec::with_capacity(batch.min(1024));
            for (uid, account) in range {
                after = Some(uid.clone());
                let doc = account.doc();
                if matches(&doc) {
                    batch_records.push(query::project_owned(doc, &select, &[]));
                    if batch_records.len() == batch {
                        break;
                    }
                }
            }
            batch_records
        };
        if records.is_empty() {
            break;
        }
        processed += records.len() as u64;
        let mut records = Some(records);
        let count = steps[entry].next.len();
        for (n, &next) in steps[entry].next.iter().enumerate() {
            let batch = if n + 1 == count {
                records.take().unwrap_or_default()
            } else {
                records.clone().unwrap_or_default()
            };
            push(&steps, &mut outs, next, batch)?;
        }
        update_job(gigya, job_id, |job| {
            job.insert("processedRecords".into(), processed.into());
        });
    }
    let mut produced: Vec<(usize, Produced)> = Vec::new();
    for (i, out) in outs.iter_mut().enumerate() {
        if let Some(out) = out.take() {
            let JsonOut {
                name,
                path,
                mut writer,
                count,
            } = out;
            let tail: &[u8] = if count == 0 { b"]\n" } else { b"\n]\n" };
            writer
                .write_all(tail)
                .and_then(|()| writer.flush())
                .map_err(|e| format!("step '{}': cannot write the file: {e}", steps[i].id))?;
            produced.push((i, Produced { name, path }));
        } else if let Kind::Empty(name) = &steps[i].kind {
            let path = gigya
                .files_dir()
                .fresh_path(&format!("{job_id}.empty"))
                .map_err(|e| format!("step '{}': {e}", steps[i].id))?;
            File::create(&path).map_err(|e| format!("step '{}': {e}", steps[i].id))?;
            produced.push((
                i,
                Produced {
                    name: name.replace("${now}", &stamp),
                    path,
                },
            ));
        }
    }
    let flow_id = flow.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
    let mut leftovers = Vec::new();
    for (from, file) in &produced {
        let writers: Vec<usize> = steps[*from].next.clone();
        for writer in writers {
            let rename = match &steps[writer].kind {
                Kind::WriteFerry(rename) => rename,
                Kind::WriteSftp(target) => {
                    target
                        .upload(&file.name, &file.path)
                        .map_err(|e| format!("step '{}' (datasource.write.sftp): {e}", steps[writer].id))?;
                    continue;
                }
                _ => continue,
            };
            let inputs = produced
                .iter()
                .filter(|(f, _)| steps[*f].next.contains(&writer))
                .count();
            let name = match rename {
                Some(name) if inputs == 1 => name.replace("${now}", &stamp),
                _ => file.name.clone(),
            };
            let path = gigya
                .files_dir()
                .fresh_path(&name)
                .map_err(|e| format!("step '{}': {e}", steps[writer].id))?;
            std::fs::copy(&file.path, &path)
                .map_err(|e| format!("step '{}': cannot store {name}: {e}", steps[writer].id))?;
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            let mut store = gigya.store();
            if let Some(old) = store.files.insert(
                name,
                StoredFile {
                    path,
                    size,
                    job_id: job_id.to_owned(),
                    dataflow_id: flow_id.clone(),
                    created: iso(gigya.now()),
                },
            ) {
                leftovers.push(old.path);
            }
        }
        leftovers.push(file.path.clone());
    }
    for path in leftovers {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

fn update_job(gigya: &Gigya, job_id: &str, change: impl FnOnce(&mut Record)) {
    let now = gigya.now();
    let mut store = gigya.store();
    if let Some(job) = store.job_mut(job_id) {
        change(job);
        job.insert("updateTime".into(), iso(now).into());
    }
}

/// Sends a batch of records into step `at`.
fn push(steps: &[Step], outs: &mut [Option<JsonOut>], at: usize, mut records: Vec<Record>) -> Result<(), String> {
    let step = &steps[at];
    match &step.kind {
        Kind::Json(_) => {
            let Some(out) = outs[at].as_mut() else {
                return Ok(());
            };
            for record in &records {
                let sep: &[u8] = if out.count == 0 { b"\n" } else { b",\n" };
                out.writer
                    .write_all(sep)
                    .and_then(|()| serde_json::to_writer(&mut out.writer, record).map_err(std::io::Error::other))
                    .map_err(|e| format!("step '{}': cannot write the file: {e}", step.id))?;
                out.count += 1;
            }
            return Ok(());
        }
        Kind::Empty(_) | Kind::Read | Kind::WriteFerry(_) | Kind::WriteSftp(_) => return Ok(()),
        Kind::Rename(pairs) => {
            for record in &mut records {
                for (from, to) in pairs {
                    if let Some(value) = take(record, from) {
                        put(record, to, value);
                    }
                }
            }
        }
        Kind::Copy(pairs) => {
            for record in &mut records {
                for (from, to) in pairs {
                    if let Some(value) = get(record, from).cloned() {
                        put(record, to, value);
                    }
                }
            }
        }
        Kind::Remove(paths) => {
            for record in &mut records {
                for path in paths {
                    remove(record, path);
                }
            }
        }
        Kind::Replace(rules) => {
            for record in &mut records {
                for (field, regex, replacement) in rules {
                    match field {
                        None => {
                            for value in record.values_mut() {
                                replace_strings(value, regex, replacement);
                            }
                        }
                        Some(path) => {
                            if let Some(value) = get_mut(record, path) {
                                replace_strings(value, regex, replacement);
                            }
                        }
                    }
                }
            }
        }
        Kind::Flatten(fields, delimiter) => {
            for record in &mut records {
                flatten(record, fields, delimiter);
            }
        }
    }
    let count = step.next.len();
    for (n, &next) in step.next.iter().enumerate() {
        let batch = if n + 1 == count {
            std::mem::take(&mut records)
        } else {
            records.clone()
        };
        push(steps, outs, next, batch)?;
    }
    Ok(())
}

fn get<'a>(record: &'a Record, path: &[String]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let mut value = record.get(first)?;
    for key in rest {
        value = value.as_object()?.get(key)?;
    }
    Some(value)
}

fn get_mut<'a>(record: &'a mut Record, path: &[String]) -> Option<&'a mut Value> {
    let (first, rest) = path.split_first()?;
    let mut value = record.get_mut(first)?;
    for key in rest {
        value = value.as_object_mut()?.get_mut(key)?;
    }
    Some(value)
}

fn take(record: &mut Record, path: &[String]) -> Option<Value> {
    let (last, parents) = path.split_last()?;
    let parent = match parents.split_first() {
        None => record,
        Some((first, rest)) => {
            let mut value = record.get_mut(first)?;
            for key in rest {
                value = value.as_object_mut()?.get_mut(key)?;
            }
            value.as_object_mut()?
        }
    };
    parent.remove(last)
}

fn put(record: &mut Record, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut target = record;
    for key in parents {
        let entry = target.entry(key.clone()).or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(next) = entry else { return };
        target = next;
    }
    target.insert(last.clone(), value);
}

/// Removes a path; arrays on the way are entered element by element.
fn remove(record: &mut Record, path: &[String]) {
    fn walk(value: &mut Value, path: &[String]) {
        match value {
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, path)),
            Value::Object(map) => remove(map, path),
            _ => {}
        }
    }
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        record.remove(first);
    } else if let Some(child) = record.get_mut(first) {
        walk(child, rest);
    }
}

fn replace_strings(value: &mut Value, regex: &Regex, replacement: &str) {
    match value {
        Value::String(s) => *s = regex.replace_all(s, replacement),
        Value::Array(items) => items.iter_mut().for_each(|v| replace_strings(v, regex, replacement)),
        Value::Object(map) => map.values_mut().for_each(|v| replace_strings(v, regex, replacement)),
        _ => {}
    }
}

fn flatten(record: &mut Record, fields: &[Vec<String>], delimiter: &str) {
    fn leaves(prefix: &str, value: Value, delimiter: &str, out: &mut Vec<(String, Value)>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    leaves(&format!("{prefix}{delimiter}{k}"), v, delimiter, out);
                }
            }
            other => out.push((prefix.to_owned(), other)),
        }
    }
    let targets: Vec<Vec<String>> = if fields.is_empty() {
        record
            .iter()
            .filter(|(_, v)| v.is_object())
            .map(|(k, _)| vec![k.clone()])
            .collect()
    } else {
        fields.to_vec()
    };
    for path in targets {
        let Some(value) = take(record, &path) else { continue };
        let mut flat = Vec::new();
        leaves(&path.join(delimiter), value, delimiter, &mut flat);
        for (key, v) in flat {
            record.insert(key, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn record(v: Value) -> Record {
        match v {
            Value::Object(map) => map,
            _ => Record::new(),
        }
    }

    #[test]
    fn field_steps_transform_records() {
        let mut r = record(json!({"profile": {"email": "a@b.c", "firstName": "A", "samlData": {"x": 1}}, "UID": "u"}));
        let email = take(&mut r, &field_path("profile.email")).expect("present");
        put(&mut r, &field_path("email"), email);
        remove(&mut r, &field_path("profile.samlData"));
        let first = get(&r, &field_path("profile.firstName")).cloned().expect("present");
        put(&mut r, &field_path("'profile.first'"), first);
        assert_eq!(
            Value::Object(r.clone()),
            json!({"profile": {"firstName": "A"}, "UID": "u", "email": "a@b.c", "profile.first": "A"})
        );
        flatten(&mut r, &[], ".");
        assert_eq!(
            Value::Object(r),
            json!({"UID": "u", "email": "a@b.c", "profile.first": "A", "profile.firstName": "A"})
        );
    }

    #[test]
    fn recurring_schedules_move_past_now() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).expect("date").with_timezone(&Utc);
        let start = at("2026-01-01T00:00:00Z");
        assert_eq!(next_start(start, start, "once", 1), None);
        assert_eq!(
            next_start(start, at("2026-01-01T02:30:00Z"), "hour", 1),
            Some(at("2026-01-01T03:00:00Z"))
        );
        assert_eq!(next_start(start, start, "day", 2), Some(at("2026-01-03T00:00:00Z")));
        assert_eq!(
            next_start(start, at("2026-02-15T00:00:00Z"), "month", 1),
            Some(at("2026-03-01T00:00:00Z"))
        );
    }

    #[test]
    fn plans_refuse_what_the_mock_cannot_run() {
        let flow = |steps: Value| record(json!({"name": "x", "steps": steps}));
        let servers = BTreeMap::from([("sftp.example.com".to_owned(), PathBuf::from("/srv/landing"))]);
        let err = |steps: Value| plan(&flow(steps), &servers).err().unwrap_or_default();
        let sftp = |params: Value| {
            err(json!([
                {"id": "read", "type": "datasource.read.gigya.account", "next": ["json"]},
                {"id": "json", "type": "file.format.json", "next": ["sftp"]},
                {"id": "sftp", "type": "datasource.write.sftp", "params": params}
            ]))
        };
        let login = json!({"host": "sftp.example.com", "username": "u", "password": "p"});
        assert_eq!(sftp(login.clone()), "", "a known host with credentials runs");
        assert_eq!(
            sftp(
                json!({"host": "SFTP.example.com", "username": "u", "privateKey": "k", "port": "22", "remotePath": "/out/accounts", "temporaryUploadExtension": true, "timeout": 60})
            ),
            ""
        );
        assert!(sftp(json!({})).contains("params.host is missing"));
        assert!(sftp(json!({"host": "sftp.example.com", "password": "p"})).contains("params.username is missing"));
        assert!(
            sftp(json!({"host": "sftp.example.com", "username": "u"}))
                .contains("params.password (or params.privateKey)")
        );
        let mut bad_port = login.clone();
        bad_port["port"] = json!(70_000);
        assert!(sftp(bad_port).contains("params.port"));
        let mut climbing = login.clone();
        climbing["remotePath"] = json!("/out/../../etc");
        assert!(sftp(climbing).contains("climbs out of the server's root"));
        let elsewhere = sftp(json!({"host": "sftp.elsewhere.test", "username": "u", "password": "p"}));
        assert!(
            elsewhere.contains("cannot connect to sftp.elsewhere.test:22")
                && elsewhere.contains("writer not available in the mock; use datasource.write.ferry")
                && elsewhere.contains("settings.sftp_servers"),
            "{elsewhere}"
        );
        let s3 = err(json!([
            {"id": "read", "type": "datasource.read.gigya.account", "next": ["json"]},
            {"id": "json", "type": "file.format.json", "next": ["s3"]},
            {"id": "s3", "type": "datasource.write.amazon.s3", "params": {"bucketName": "b"}}
        ]));
        assert!(
            s3.contains("writer not available in the mock; use datasource.write.ferry"),
            "{s3}"
        );
        let unformatted = err(json!([
            {"id": "read", "type": "datasource.read.gigya.account", "next": ["w"]},
            {"id": "w", "type": "datasource.write.sftp", "params": login}
        ]));
        assert!(unformatted.contains("put file.format.json before it"), "{unformatted}");
        let dsv = err(json!([
            {"id": "read", "type": "datasource.read.gigya.account", "next": ["dsv"]},
            {"id": "dsv", "type": "file.format.dsv"}
        ]));
        assert!(dsv.contains("not implemented by the mock"), "{dsv}");
        let direct = err(json!([
            {"id": "read", "type": "datasource.read.gigya.account", "next": ["w"]},
            {"id": "w", "type": "datasource.write.ferry"}
        ]));
        assert!(direct.contains("put file.format.json before it"), "{direct}");
        assert!(
            plan(
                &flow(json!([
                    {"id": "read", "type": "datasource.read.gigya.account", "next": ["json"]},
                    {"id": "json", "type": "file.format.json", "next": ["w"]},
                    {"id": "w", "type": "datasource.write.ferry"}
                ])),
                &servers
            )
            .is_ok()
        );
    }
}
