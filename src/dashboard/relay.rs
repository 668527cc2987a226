//! What the dashboard server answers: the page's three files, and under `/api/` the mocks'
//! own admin endpoints relayed as they are (the page cannot call the mocks itself: they live on
//! other ports and send no CORS headers), with long lists cut to their newest items so a poll
//! stays small however long the session has run.

use std::time::Duration;

use serde_json::{Value, json};

use super::MockLink;
use super::http::{Request, Response};

const INDEX_HTML: &str = include_str!("assets/index.html");
const DASHBOARD_JS: &str = include_str!("assets/dashboard.js");
const DASHBOARD_CSS: &str = include_str!("assets/dashboard.css");

/// Items kept of any list in a mock's state view (the newest).
const STATE_ITEMS: usize = 500;
/// Default and largest number of journal entries, script runs and emails per answer.
const DEFAULT_TAIL: usize = 200;
const MAX_TAIL: usize = 1_000;

/// How long a mock may take to answer a relayed read.
const MOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// The routes, with the mocks they relay to.
#[derive(Debug)]
pub(crate) struct Relay {
    mocks: Vec<MockLink>,
    http: reqwest::Client,
}

impl Relay {
    pub(crate) fn new(mocks: Vec<MockLink>) -> Self {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(MOCK_TIMEOUT)
            .user_agent("ferry-dashboard")
            .build()
            .unwrap_or_default();
        Self { mocks, http }
    }

    pub(crate) async fn answer(&self, request: &Request) -> Response {
        if request.method != "GET" && request.method != "HEAD" {
            return Response::error(405, "method_not_allowed", "the dashboard only reads");
        }
        match request.path.as_str() {
            "/" | "/index.html" => Response::new(200, "text/html; charset=utf-8", INDEX_HTML),
            "/dashboard.js" => Response::new(200, "text/javascript; charset=utf-8", DASHBOARD_JS),
            "/dashboard.css" => Response::new(200, "text/css; charset=utf-8", DASHBOARD_CSS),
            "/api/mocks" => Response::json(
                200,
                &Value::Array(
                    self.mocks
                        .iter()
                        .map(|m| json!({ "name": m.name, "base_url": m.base_url }))
                        .collect(),
                ),
            ),
            path => match path.strip_prefix("/api/mocks/").and_then(|rest| rest.split_once('/')) {
                Some((name, resource)) => self.relay(name, resource, request).await,
                None => Response::error(404, "not_found", format!("nothing at {path}")),
            },
        }
    }

    /// `GET /api/mocks/{name}/{state|journal|scripts|outbox}`.
    async fn relay(&self, name: &str, resource: &str, request: &Request) -> Response {
        let Some(mock) = self.mocks.iter().find(|m| m.name == name) else {
            return Response::error(404, "not_found", format!("no mock named {name}"));
        };
        let tail = request
            .param("tail")
            .and_then(|t| t.parse::<usize>().ok())
            .unwrap_or(DEFAULT_TAIL)
            .min(MAX_TAIL);
        let base = mock.base_url.trim_end_matches('/');
        match resource {
            "state" => self
                .fetch(&format!("{base}/__ferry/state"))
                .await
                .map_or_else(|e| e, |state| Response::json(200, &trim_state(state))),
            "journal" => {
                let since = request.param("since").and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
                self.fetch(&format!("{base}/__ferry/journal?since={since}"))
                    .await
                    .map_or_else(
                        |e| e,
                        |mut page| {
                            if let Some(entries) = page.get_mut("entries").and_then(Value::as_array_mut) {
                                keep_newest(entries, tail);
                            }
                            Response::json(200, &page)
                        },
                    )
            }
            "scripts" | "outbox" => self.fetch(&format!("{base}/__ferry/{resource}")).await.map_or_else(
                |e| e,
                |mut list| {
                    let total = list.as_array().map_or(0, Vec::len);
                    if let Some(items) = list.as_array_mut() {
                        keep_newest(items, tail);
                    }
                    Response::json(200, &json!({ "items": list, "total": total }))
                },
            ),
            other => Response::error(404, "not_found", format!("no {other} to relay")),
        }
    }

    /// A mock's admin JSON; a relayed error answer or an unreachable mock is a 502 naming it.
    async fn fetch(&self, url: &str) -> Result<Value, Response> {
        let answer = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| Response::error(502, "mock_unreachable", format!("{url}: {e}")))?;
        let status = answer.status();
        if !status.is_success() {
            return Err(Response::error(502, "mock_error", format!("{url} answered {status}")));
        }
        answer
            .json::<Value>()
            .await
            .map_err(|e| Response::error(502, "mock_error", format!("{url}: {e}")))
    }
}

/// Keeps the last `n` items (lists are oldest first).
fn keep_newest(items: &mut Vec<Value>, n: usize) {
    if items.len() > n {
        items.drain(..items.len() - n);
    }
}

/// Cuts every top-level list of a state view to its newest items, saying in `_truncated` how
/// long each cut list was.
fn trim_state(mut state: Value) -> Value {
    let mut truncated = serde_json::Map::new();
    if let Value::Object(fields) = &mut state {
        for (key, value) in fields.iter_mut() {
            if let Value::Array(items) = value
                && items.len() > STATE_ITEMS
            {
                truncated.insert(key.clone(), json!(items.len()));
                keep_newest(items, STATE_ITEMS);
            }
        }
        if !truncated.is_empty() {
            fields.insert("_truncated".into(), Value::Object(truncated));
        }
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> Request {
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q.to_owned())),
            None => (path, None),
        };
        Request {
            method: "GET".into(),
            path: path.into(),
            query,
        }
    }

    #[tokio::test]
    async fn serves_the_page_and_the_list_of_mocks() {
        let relay = Relay::new(vec![MockLink::new("okta", "http://127.0.0.1:1")]);
        let page = relay.answer(&get("/")).await;
        assert_eq!((page.status, page.content_type), (200, "text/html; charset=utf-8"));
        let list = relay.answer(&get("/api/mocks")).await;
        assert_eq!(
            serde_json::from_slice::<Value>(&list.body).expect("json"),
            json!([{ "name": "okta", "base_url": "http://127.0.0.1:1" }])
        );
        assert_eq!(relay.answer(&get("/api/mocks/nobody/state")).await.status, 404);
        assert_eq!(relay.answer(&get("/api/mocks/okta/faults")).await.status, 404);
        assert_eq!(relay.answer(&get("/etc/passwd")).await.status, 404);
    }

    #[tokio::test]
    async fn an_unreachable_mock_is_a_502_that_names_it() {
        let relay = Relay::new(vec![MockLink::new("okta", "http://127.0.0.1:1")]);
        let answer = relay.answer(&get("/api/mocks/okta/state")).await;
        assert_eq!(answer.status, 502);
        let body: Value = serde_json::from_slice(&answer.body).expect("json");
        assert_eq!(body["error"], "mock_unreachable");
        assert!(
            body["detail"]
                .as_str()
                .expect("text")
                .contains("127.0.0.1:1/__ferry/state")
        );
    }

    #[test]
    fn long_lists_keep_their_newest_items() {
        let logs: Vec<Value> = (0..STATE_ITEMS + 3).map(|i| json!(i)).collect();
        let state = trim_state(json!({ "logs": logs, "settings": {} }));
        assert_eq!(state["logs"].as_array().expect("list").len(), STATE_ITEMS);
        assert_eq!(state["logs"][0], json!(3));
        assert_eq!(state["_truncated"], json!({ "logs": STATE_ITEMS + 3 }));
        assert_eq!(trim_state(json!({ "users": [1] })), json!({ "users": [1] }));
    }
}
