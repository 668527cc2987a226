//! The request journal view: a copy of each mock's journal (its newest entries), brought up to
//! date from `/__ferry/journal?since=N` at every read, then filtered by mock, method, path and
//! status and merged newest first — so a filter looks through everything the dashboard holds,
//! not just what the page last drew.

use std::collections::{HashMap, VecDeque};

use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::MockLink;
use super::http::Response;

/// Entries kept per mock (the newest). A mock keeps 10,000 by default.
pub(crate) const KEEP: usize = 5_000;
/// Default and largest number of entries in one answer.
pub(crate) const DEFAULT_LIMIT: usize = 200;
pub(crate) const MAX_LIMIT: usize = 1_000;

/// What to show.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Filter {
    /// One mock by name; all when `None`.
    pub(crate) mock: Option<String>,
    /// A method, any case.
    pub(crate) method: Option<String>,
    /// Text the path (with its query string) contains, any case.
    pub(crate) path: Option<String>,
    /// `2xx`…`5xx`, an exact status such as `404`, or `0` for requests that got no answer.
    pub(crate) status: Option<String>,
    pub(crate) limit: usize,
}

impl Filter {
    /// A filter from the page's parameters; `Err` names a bad one.
    pub(crate) fn parse(param: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let given = |name: &str| param(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let status = given("status");
        if let Some(status) = &status {
            let class =
                status.len() == 3 && status.ends_with("xx") && matches!(&status[..1], "1" | "2" | "3" | "4" | "5");
            if !class && status.parse::<u16>().is_err() {
                return Err(format!(
                    "status `{status}`: use 2xx, 3xx, 4xx, 5xx, a status such as 404, or 0"
                ));
            }
        }
        let limit = match given("limit") {
            None => DEFAULT_LIMIT,
            Some(limit) => limit
                .parse::<usize>()
                .map_err(|_| format!("limit `{limit}`: a number of entries"))?
                .min(MAX_LIMIT),
        };
        Ok(Self {
            mock: given("mock"),
            method: given("method"),
            path: given("path").map(|p| p.to_lowercase()),
            status,
            limit,
        })
    }

    fn keeps(&self, entry: &Value) -> bool {
        let method = entry["method"].as_str().unwrap_or_default();
        if self.method.as_deref().is_some_and(|m| !m.eq_ignore_ascii_case(method)) {
            return false;
        }
        if let Some(path) = &self.path {
            let target = match entry["query"].as_str() {
                Some(query) => format!("{}?{query}", entry["path"].as_str().unwrap_or_default()),
                None => entry["path"].as_str().unwrap_or_default().to_owned(),
            };
            if !target.to_lowercase().contains(path.as_str()) {
                return false;
            }
        }
        if let Some(status) = &self.status {
            let actual = entry["status"].as_u64().unwrap_or(0);
            let keep = match status.strip_suffix("xx") {
                Some(class) => actual / 100 == class.parse::<u64>().unwrap_or(u64::MAX),
                None => status.parse::<u64>().is_ok_and(|s| s == actual),
            };
            if !keep {
                return false;
            }
        }
        true
    }
}

/// One mock's entries, oldest first, and the last sequence number seen.
#[derive(Debug, Default)]
struct Copy {
    entries: VecDeque<Value>,
    last_seq: u64,
}

/// The copies of every mock's journal.
#[derive(Debug)]
pub(crate) struct Journals {
    copies: HashMap<String, Mutex<Copy>>,
}

impl Journals {
    pub(crate) fn new(mocks: &[MockLink]) -> Self {
        Self {
            copies: mocks.iter().map(|m| (m.name.clone(), Mutex::default())).collect(),
        }
    }

    /// Brings the chosen mocks' copies up to date and answers the filtered entries, newest
    /// first, each with its `mock`; `unreachable` names the mocks that could not be read.
    pub(crate) async fn read(&self, http: &reqwest::Client, mocks: &[MockLink], filter: &Filter) -> Response {
        if let Some(name) = &filter.mock
            && !mocks.iter().any(|m| &m.name == name)
        {
            return Response::error(404, "not_found", format!("no mock named {name}"));
        }
        let chosen: Vec<&MockLink> = mocks
            .iter()
            .filter(|m| filter.mock.as_ref().is_none_or(|name| &m.name == name))
            .collect();
        let mut unreachable = vec![];
        let mut matched: Vec<(String, Value)> = vec![];
        let mut held = 0;
        for mock in chosen {
            let Some(copy) = self.copies.get(&mock.name) else {
                continue;
            };
            let mut copy = copy.lock().await;
            if let Err(reason) = refresh(http, mock, &mut copy).await {
                unreachable.push(json!({ "mock": mock.name, "detail": reason }));
            }
            held += copy.entries.len();
            matched.extend(
                copy.entries
                    .iter()
                    .filter(|e| filter.keeps(e))
                    .map(|e| (mock.name.clone(), e.clone())),
            );
        }
        // Newest first across mocks: by the time each request arrived, then by sequence.
        matched.sort_by(|(_, a), (_, b)| {
            let key = |e: &Value| {
                (
                    e["time"].as_str().unwrap_or_default().to_owned(),
                    e["seq"].as_u64().unwrap_or(0),
                )
            };
            key(b).cmp(&key(a))
        });
        let total = matched.len();
        let entries: Vec<Value> = matched
            .into_iter()
            .take(filter.limit)
            .map(|(mock, mut entry)| {
                entry["mock"] = json!(mock);
                entry
            })
            .collect();
        Response::json(
            200,
            &json!({ "entries": entries, "matched": total, "held": held, "unreachable": unreachable }),
        )
    }
}

/// Reads what the mock journaled since the copy's last entry, and drops from the copy what the
/// mock no longer holds (a reset or a clear empties its journal; sequence numbers go on).
async fn refresh(http: &reqwest::Client, mock: &MockLink, copy: &mut Copy) -> Result<(), String> {
    let base = mock.base_url.trim_end_matches('/');
    let oldest = fetch(http, &format!("{base}/__ferry/journal?since=0&limit=1")).await?;
    match oldest["entries"][0]["seq"].as_u64() {
        Some(first) => {
            while copy
                .entries
                .front()
                .is_some_and(|e| e["seq"].as_u64().unwrap_or(0) < first)
            {
                copy.entries.pop_front();
            }
        }
        None => copy.entries.clear(),
    }
    let page = fetch(http, &format!("{base}/__ferry/journal?since={}", copy.last_seq)).await?;
    if let Some(entries) = page["entries"].as_array() {
        for entry in entries {
            copy.last_seq = copy.last_seq.max(entry["seq"].as_u64().unwrap_or(0));
            copy.entries.push_back(entry.clone());
        }
    }
    while copy.entries.len() > KEEP {
        copy.entries.pop_front();
    }
    Ok(())
}

async fn fetch(http: &reqwest::Client, url: &str) -> Result<Value, String> {
    let answer = http.get(url).send().await.map_err(|e| format!("{url}: {e}"))?;
    if !answer.status().is_success() {
        return Err(format!("{url} answered {}", answer.status()));
    }
    answer.json().await.map_err(|e| format!("{url}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(method: &str, path: &str, query: Option<&str>, status: u16) -> Value {
        let mut e =
            json!({ "seq": 1, "time": "2024-01-01T00:00:00.000Z", "method": method, "path": path, "status": status });
        if let Some(q) = query {
            e["query"] = json!(q);
        }
        e
    }

    fn filter(pairs: &[(&str, &str)]) -> Result<Filter, String> {
        Filter::parse(|name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned()))
    }

    #[test]
    fn filters_by_method_path_and_status() {
        let token = entry("POST", "/oauth/token", None, 200);
        let search = entry("GET", "/api/v2/users", Some("q=email%3Ajane*"), 400);
        let dropped = entry("GET", "/api/v1/authn", None, 0);
        let f = filter(&[("method", "get")]).expect("valid");
        assert!(!f.keeps(&token) && f.keeps(&search) && f.keeps(&dropped));
        let f = filter(&[("path", "API/V2/USERS?q=email")]).expect("valid");
        assert!(!f.keeps(&token) && f.keeps(&search));
        let f = filter(&[("status", "4xx")]).expect("valid");
        assert!(!f.keeps(&token) && f.keeps(&search) && !f.keeps(&dropped));
        let f = filter(&[("status", "0")]).expect("valid");
        assert!(f.keeps(&dropped) && !f.keeps(&token));
        let f = filter(&[("status", "200"), ("method", "POST"), ("path", "token")]).expect("valid");
        assert!(f.keeps(&token) && !f.keeps(&search));
        assert_eq!(
            filter(&[]).expect("valid"),
            Filter {
                limit: DEFAULT_LIMIT,
                ..Filter::default()
            }
        );
    }

    #[test]
    fn refuses_a_status_or_limit_it_cannot_read() {
        assert!(filter(&[("status", "4x")]).expect_err("bad").contains("2xx"));
        assert!(filter(&[("status", "9xx")]).is_err());
        assert!(filter(&[("limit", "many")]).is_err());
        assert_eq!(filter(&[("limit", "5000")]).expect("capped").limit, MAX_LIMIT);
    }
}
