//! What the dashboard server answers: the page's three files, and under `/api/` the tenant's
//! users and job errors through its Management API, the mocks' own admin endpoints relayed
//! (the page cannot call the mocks itself: they live on other ports and send no CORS
//! headers), with long lists cut to their newest items so a poll stays small however long the
//! session has run, and the journals filtered.

use std::time::Duration;

use serde_json::{Value, json};

use super::MockLink;
use super::http::{Request, Response};
use super::journal::{Filter, Journals};
use super::management::{ManagementApi, UserSearch};
use super::search::{self, SearchBy};

const INDEX_HTML: &str = include_str!("assets/index.html");
const DASHBOARD_JS: &str = include_str!("assets/dashboard.js");
const DASHBOARD_CSS: &str = include_str!("assets/dashboard.css");

/// Items kept of any list in a mock's state view (the newest).
const STATE_ITEMS: usize = 500;
/// Default and largest number of script runs and emails per answer.
const DEFAULT_TAIL: usize = 200;
const MAX_TAIL: usize = 1_000;
/// Users per page of a search.
pub(crate) const PER_PAGE: usize = 50;
/// Auth0 lets a search page through its first 1,000 results only ("Search returns a maximum
/// of 1,000 users, even if more users match your query": manage-users/user-search/
/// list-and-search-users, Limits; the mock refuses a page past them as Auth0 does).
pub(crate) const MAX_RESULTS: usize = 1_000;
/// Failed rows of an import job shown (its errors endpoint lists them all).
const JOB_ERRORS: usize = 500;

/// How long a mock may take to answer a relayed read.
const MOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// The routes, with the mocks they relay to.
#[derive(Debug)]
pub(crate) struct Relay {
    mocks: Vec<MockLink>,
    /// The Management API of each mock given a Management application, by mock name.
    management: Vec<(String, ManagementApi)>,
    journals: Journals,
    http: reqwest::Client,
}

impl Relay {
    /// Fails only if the HTTP client cannot be built (its TLS set-up): a default client in its
    /// place would take a proxy from the environment and wait without a time limit.
    pub(crate) fn new(mocks: Vec<MockLink>) -> Result<Self, reqwest::Error> {
        let http = sandbox::net::client_builder()
            .no_proxy()
            .timeout(MOCK_TIMEOUT)
            .user_agent("ferry-dashboard")
            .build()?;
        let management = mocks
            .iter()
            .filter_map(|m| {
                let source = m.management.clone()?;
                Some((m.name.clone(), ManagementApi::new(&m.base_url, source)))
            })
            .collect();
        let journals = Journals::new(&mocks);
        Ok(Self {
            mocks,
            management,
            journals,
            http,
        })
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
                        .map(
                            |m| json!({ "name": m.name, "base_url": m.base_url, "management": m.management.is_some() }),
                        )
                        .collect(),
                ),
            ),
            "/api/journal" => match Filter::parse(|name| request.param(name)) {
                Ok(filter) => self.journals.read(&self.http, &self.mocks, &filter).await,
                Err(reason) => Response::error(400, "bad_request", reason),
            },
            path => match path.strip_prefix("/api/mocks/").and_then(|rest| rest.split_once('/')) {
                Some((name, resource)) => self.relay(name, resource, request).await,
                None => Response::error(404, "not_found", format!("nothing at {path}")),
            },
        }
    }

    /// `GET /api/mocks/{name}/{state|health|users|jobs/{id}/errors|scripts|outbox}`.
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
                .map_or_else(|e| e, |state| Response::json(200, &trim_state(mock, state))),
            "health" => self
                .fetch(&format!("{base}/__ferry/health"))
                .await
                .map_or_else(|e| e, |health| Response::json(200, &health)),
            "users" => self.users(mock, request).await,
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
            other => match other
                .strip_prefix("jobs/")
                .and_then(|rest| rest.strip_suffix("/errors"))
                .filter(|id| !id.is_empty() && !id.contains('/'))
            {
                Some(id) => self.job_errors(mock, id).await,
                None => Response::error(404, "not_found", format!("no {other} to relay")),
            },
        }
    }

    fn management(&self, mock: &MockLink) -> Result<&ManagementApi, Response> {
        self.management
            .iter()
            .find(|(name, _)| *name == mock.name)
            .map(|(_, api)| api)
            .ok_or_else(|| {
                Response::error(
                    409,
                    "no_management_client",
                    format!(
                        "the dashboard was given no Management application for {}: `ferry serve` gives it one",
                        mock.name
                    ),
                )
            })
    }

    /// `GET /api/mocks/{name}/users?text=&by=&page=`: one page of a search, newest first, with
    /// the `q` sent and the paging limits.
    async fn users(&self, mock: &MockLink, request: &Request) -> Response {
        let api = match self.management(mock) {
            Ok(api) => api,
            Err(refusal) => return refusal,
        };
        let Some(by) = SearchBy::parse(request.param("by").as_deref()) else {
            return Response::error(400, "bad_request", "by: use user, email, connection or lucene");
        };
        let page = match request.param("page").map(|p| p.parse::<usize>()) {
            None => 0,
            Some(Ok(page)) => page,
            Some(Err(_)) => return Response::error(400, "bad_request", "page: a page number from 0"),
        };
        let search = UserSearch {
            q: search::query(&request.param("text").unwrap_or_default(), by),
            page,
            per_page: PER_PAGE,
            sort: "created_at:-1",
        };
        match api.search_users(&self.http, &search).await {
            Ok(found) => Response::json(
                200,
                &json!({
                    "q": search.q,
                    "sort": search.sort,
                    "page": search.page,
                    "per_page": search.per_page,
                    "max_results": MAX_RESULTS,
                    "total": found["total"],
                    "users": found["users"],
                }),
            ),
            Err(refusal) => {
                // Say which query was refused.
                let mut body: Value = serde_json::from_slice(&refusal.body).unwrap_or_default();
                body["q"] = json!(search.q);
                Response::json(refusal.status, &body)
            }
        }
    }

    /// `GET /api/mocks/{name}/jobs/{id}/errors`: the job's failed rows (the first 500), each
    /// with its user and errors, and how many there are.
    async fn job_errors(&self, mock: &MockLink, id: &str) -> Response {
        let api = match self.management(mock) {
            Ok(api) => api,
            Err(refusal) => return refusal,
        };
        match api.job_errors(&self.http, id).await {
            Ok(Value::Array(mut rows)) => {
                let total = rows.len();
                rows.truncate(JOB_ERRORS);
                Response::json(200, &json!({ "rows": rows, "total": total }))
            }
            // A job that failed as a whole: the job, with its status details.
            Ok(job) => Response::json(200, &json!({ "rows": [], "total": 0, "job": job })),
            Err(refusal) => refusal,
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

/// Cuts a state view for the page: an Auth0 tenant's users go (the Users view searches them
/// through the Management API; `user_count` stays), its import jobs carry their error count
/// instead of their errors, its connections gain their "Try connection" link; then every
/// top-level list is cut to its newest items, `_truncated` saying how long each cut list was.
fn trim_state(mock: &MockLink, mut state: Value) -> Value {
    if state.get("user_count").is_some()
        && let Value::Object(fields) = &mut state
    {
        fields.remove("users");
    }
    if let Some(jobs) = state.get_mut("jobs").and_then(Value::as_array_mut) {
        for job in jobs {
            if let Some(errors) = job.get_mut("errors").map(Value::take) {
                job["error_count"] = json!(errors.as_array().map_or(0, Vec::len));
                if let Value::Object(fields) = job {
                    fields.remove("errors");
                }
            }
        }
    }
    let links = super::try_connection_links(&mock.base_url, &state);
    if let Some(connections) = state.get_mut("connections").and_then(Value::as_array_mut) {
        for connection in connections {
            let url = links
                .iter()
                .find(|(name, _)| connection["name"] == name.as_str())
                .map(|(_, url)| url.clone());
            if let Some(url) = url {
                connection["try_url"] = json!(url);
            }
        }
    }
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
        let relay = Relay::new(vec![MockLink::new("okta", "http://127.0.0.1:1")]).expect("relay");
        let page = relay.answer(&get("/")).await;
        assert_eq!((page.status, page.content_type), (200, "text/html; charset=utf-8"));
        let list = relay.answer(&get("/api/mocks")).await;
        assert_eq!(
            serde_json::from_slice::<Value>(&list.body).expect("json"),
            json!([{ "name": "okta", "base_url": "http://127.0.0.1:1", "management": false }])
        );
        assert_eq!(relay.answer(&get("/api/mocks/nobody/state")).await.status, 404);
        assert_eq!(relay.answer(&get("/api/mocks/okta/faults")).await.status, 404);
        assert_eq!(relay.answer(&get("/etc/passwd")).await.status, 404);
    }

    #[tokio::test]
    async fn an_unreachable_mock_is_a_502_that_names_it() {
        let relay = Relay::new(vec![MockLink::new("okta", "http://127.0.0.1:1")]).expect("relay");
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
        let okta = MockLink::new("okta", "http://127.0.0.1:1");
        let state = trim_state(&okta, json!({ "logs": logs, "settings": {} }));
        assert_eq!(state["logs"].as_array().expect("list").len(), STATE_ITEMS);
        assert_eq!(state["logs"][0], json!(3));
        assert_eq!(state["_truncated"], json!({ "logs": STATE_ITEMS + 3 }));
        assert_eq!(trim_state(&okta, json!({ "users": [1] })), json!({ "users": [1] }));
    }

    /// A mock Auth0 with `count` users on one connection (seeded in-process), served, with the
    /// Management API's rate limit lifted (these tests are about search, not limits; the free
    /// tier's 2 a second would refuse their quick succession of searches with 429).
    async fn tenant(count: usize) -> (mocks::auth0::Auth0, mocks::MockServer) {
        tenant_with(count, json!("off")).await
    }

    async fn tenant_with(count: usize, rate_limits: Value) -> (mocks::auth0::Auth0, mocks::MockServer) {
        use mocks::Provider as _;
        let auth0 = mocks::auth0::Auth0::new(mocks::Kit::default());
        let users: Vec<Value> = (0..count)
            .map(|i| json!({ "connection": "db", "email": format!("user{i:03}@example.com"), "name": format!("User {i:03}") }))
            .collect();
        let seed = serde_json::from_value(json!({
            "settings": { "rate_limits": rate_limits },
            "connections": [{ "name": "db" }],
            "users": users,
        }))
        .expect("seed shape");
        auth0.seed(seed).expect("seeded");
        let server = mocks::start(auth0.clone(), mocks::LOOPBACK_EPHEMERAL)
            .await
            .expect("Auth0 starts");
        (auth0, server)
    }

    fn with_management(auth0: &mocks::auth0::Auth0, server: &mocks::MockServer) -> MockLink {
        let (id, secret) = auth0
            .client_credentials(mocks::auth0::MANAGEMENT_APP)
            .expect("the Management application");
        MockLink::new("auth0", server.base_url()).with_management(super::super::ManagementClient::new(id, secret))
    }

    fn body(answer: &Response) -> Value {
        serde_json::from_slice(&answer.body).expect("json")
    }

    /// Against the free tier (burst 2, 2 a second), a person's quick succession of searches is
    /// refused with 429 now and then: the relay waits for the tenant's reset and sends it again,
    /// so each search answers.
    #[tokio::test]
    async fn searches_in_quick_succession_wait_out_the_free_tiers_rate_limit() {
        let (auth0, server) = tenant_with(5, json!("free")).await;
        let relay = Relay::new(vec![with_management(&auth0, &server)]).expect("relay");
        for n in 0..6 {
            let answer = relay.answer(&get("/api/mocks/auth0/users?text=user00")).await;
            assert_eq!(answer.status, 200, "search {n}: {}", body(&answer));
        }
        let limited = auth0
            .kit()
            .journal
            .find(Some("GET"), Some("/api/v2/users"))
            .iter()
            .filter(|e| e.status == 429)
            .count();
        assert!(
            limited > 0,
            "the free tier refused some of them (else this test shows nothing)"
        );
    }

    #[tokio::test]
    async fn searches_users_through_the_management_api_newest_first_in_pages() {
        let (auth0, server) = tenant(120).await;
        let (_, secret) = auth0.client_credentials(mocks::auth0::MANAGEMENT_APP).expect("app");
        let relay = Relay::new(vec![with_management(&auth0, &server)]).expect("relay");

        let all = relay.answer(&get("/api/mocks/auth0/users")).await;
        let all_body = body(&all);
        assert_eq!(all.status, 200, "{all_body}");
        assert_eq!(all_body["total"], 120);
        assert_eq!(all_body["q"], Value::Null);
        assert_eq!(all_body["users"].as_array().expect("users").len(), PER_PAGE);
        // Seeded in one millisecond: newest first keeps creation order among equals, as Auth0's
        // sort does; the last page holds the rest.
        let last = body(&relay.answer(&get("/api/mocks/auth0/users?page=2")).await);
        assert_eq!(last["users"].as_array().expect("users").len(), 20);

        let found = body(&relay.answer(&get("/api/mocks/auth0/users?text=USER042")).await);
        assert_eq!(found["total"], 1, "{found}");
        assert_eq!(found["users"][0]["email"], "user042@example.com");
        assert_eq!(
            found["q"],
            "user_id:\"USER042\" OR email:USER042* OR name:USER042* OR nickname:USER042*"
        );
        let prefix = body(&relay.answer(&get("/api/mocks/auth0/users?text=user1&by=email")).await);
        assert_eq!(prefix["total"], 20);
        let none = body(&relay.answer(&get("/api/mocks/auth0/users?text=nobody")).await);
        assert_eq!((none["total"].clone(), none["users"].clone()), (json!(0), json!([])));

        // Auth0's limits and refusals reach the page with the query they were about.
        let past = relay.answer(&get("/api/mocks/auth0/users?page=20")).await;
        assert_eq!(past.status, 400);
        assert!(body(&past)["detail"].as_str().expect("text").contains("first 1000"));
        let bad = relay
            .answer(&get("/api/mocks/auth0/users?by=lucene&text=email:%22open"))
            .await;
        assert_eq!(bad.status, 400);
        assert_eq!(body(&bad)["q"], "email:\"open");
        assert_eq!(
            relay.answer(&get("/api/mocks/auth0/users?by=sql&text=x")).await.status,
            400
        );

        // The secret and the token stay on the server.
        let token = relay.management[0]
            .1
            .search_users(
                &relay.http,
                &UserSearch {
                    q: None,
                    page: 0,
                    per_page: 1,
                    sort: "created_at:-1",
                },
            )
            .await;
        assert!(token.is_ok());
        for answer in [
            all,
            relay.answer(&get("/api/mocks")).await,
            relay.answer(&get("/api/mocks/auth0/state")).await,
        ] {
            let text = String::from_utf8_lossy(&answer.body);
            assert!(!text.contains(&secret), "the client secret reached the page");
            assert!(!text.contains("eyJ"), "a token reached the page");
        }
        server.shutdown().await;
    }

    #[tokio::test]
    async fn without_a_management_application_the_users_view_says_so() {
        let (_auth0, server) = tenant(1).await;
        let relay = Relay::new(vec![MockLink::new("auth0", server.base_url())]).expect("relay");
        let answer = relay.answer(&get("/api/mocks/auth0/users")).await;
        assert_eq!(answer.status, 409);
        assert!(body(&answer)["detail"].as_str().expect("text").contains("ferry serve"));
        server.shutdown().await;
    }

    #[tokio::test]
    async fn the_state_has_no_users_but_try_links_and_job_error_counts() {
        let (auth0, server) = tenant(3).await;
        let relay = Relay::new(vec![with_management(&auth0, &server)]).expect("relay");
        let state = body(&relay.answer(&get("/api/mocks/auth0/state")).await);
        assert!(state.get("users").is_none());
        assert_eq!(state["user_count"], 3);
        let (default_app, _) = auth0.client_credentials(mocks::auth0::DEFAULT_APP).expect("app");
        let url = url::Url::parse(state["connections"][0]["try_url"].as_str().expect("a link")).expect("a URL");
        assert_eq!(url.path(), "/authorize");
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert!(pairs.contains(&("connection".into(), "db".into())));
        assert!(pairs.contains(&("client_id".into(), default_app)));
        assert!(!pairs.iter().any(|(k, _)| k == "redirect_uri"));
        server.shutdown().await;
    }

    #[tokio::test]
    async fn the_journal_is_filtered_across_mocks() {
        let (auth0, server) = tenant(1).await;
        let relay = Relay::new(vec![with_management(&auth0, &server)]).expect("relay");
        // Journaled by the mock: a token request and a user search (and a refused one).
        let _ = relay.answer(&get("/api/mocks/auth0/users?text=user000")).await;
        let _ = relay.answer(&get("/api/mocks/auth0/users?by=lucene&text=(")).await;
        let all = body(&relay.answer(&get("/api/journal")).await);
        assert_eq!(all["matched"], 3, "{all}");
        assert_eq!(all["entries"][0]["mock"], "auth0");
        let refused = body(
            &relay
                .answer(&get("/api/journal?mock=auth0&method=get&path=/api/v2/users&status=4xx"))
                .await,
        );
        assert_eq!(refused["matched"], 1, "{refused}");
        assert_eq!(refused["entries"][0]["status"], 400);
        let tokens = body(&relay.answer(&get("/api/journal?status=200&path=oauth")).await);
        assert_eq!(tokens["matched"], 1);
        assert_eq!(relay.answer(&get("/api/journal?mock=nobody")).await.status, 404);
        assert_eq!(relay.answer(&get("/api/journal?status=teapot")).await.status, 400);
        // A reset mock's journal is gone from the dashboard's copy too.
        sandbox::net::client_builder()
            .build()
            .expect("an HTTP client")
            .post(format!("{}/__ferry/reset", server.base_url()))
            .send()
            .await
            .expect("reset");
        assert_eq!(body(&relay.answer(&get("/api/journal")).await)["matched"], 0);
        server.shutdown().await;
    }
}
