//! The hosted login page: `GET /authorize` and the form it posts, `POST /usernamepassword/login`
//! — what the dashboard's "Try Connection" opens (auth0.md §1.7, §2.5).
//!
//! `GET /authorize` takes Auth0's parameters (`client_id`, `connection`, `response_type`,
//! `redirect_uri`, `scope`, `state`) and answers a small self-contained login form for the
//! connection (no script, no external asset). The form posts the same parameters with the
//! typed `username` and `password`; the login goes through [`Auth0::authenticate`], so an
//! import-mode connection migrates the user exactly as a real login does, with the same tenant
//! log events. Then:
//!
//! - with a `redirect_uri`: a 302 to it with `code` (and `state`). A blocked user (or a
//!   script's `UnauthorizedError`) is sent back as `error=unauthorized` with the description,
//!   as redirect-based flows do (auth0.md §2.5);
//! - without one: the "It Works!" page with the user's profile in the Management API's shape,
//!   as the dashboard's tester shows it. "Try Connection" uses Auth0's own test client, so
//!   `client_id` may be left out too (the connection is then tried whatever its enabled
//!   clients).
//!
//! Other failures (wrong credentials, a script's error message, too many attempts) are shown on
//! the login page, which keeps the typed identifier. An unknown client or connection gets
//! Auth0's generic error page ("Oops!, something went wrong" and the technical details, e.g.
//! `invalid_request: Unknown client: X`).
//!
//! Mock choices, where Auth0 documents nothing this mock reproduces:
//! - the `code` is opaque and cannot be exchanged at `/oauth/token` (the mock's token endpoint
//!   has no `authorization_code` grant); a redirect answers `response_type=code` only;
//! - any `redirect_uri` is accepted (clients have no Allowed Callback URLs here);
//! - a missing `connection` means the tenant's default directory, else the first database
//!   connection enabled for the client;
//! - connection errors read as the Authentication API's (`the connection was not found`,
//!   `the connection is not enabled`).

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::Auth0;
use super::model::{Client, Connection};
use super::tokens::parameters;
use crate::kit::PeerAddr;

/// Where the login form posts.
pub(crate) const LOGIN_PATH: &str = "/usernamepassword/login";

/// Response types `/authorize` knows.
const RESPONSE_TYPES: &[&str] = &[
    "code",
    "token",
    "id_token",
    "id_token token",
    "code id_token",
    "code token",
    "code id_token token",
];

/// One login transaction: the `/authorize` parameters, checked.
#[derive(Debug)]
struct Transaction {
    client: Option<Client>,
    connection: Connection,
    response_type: String,
    redirect_uri: Option<url::Url>,
    scope: String,
    state: Option<String>,
}

/// An error shown on Auth0's generic error page.
#[derive(Debug)]
struct ErrorPage {
    error: &'static str,
    description: String,
}

impl ErrorPage {
    fn new(error: &'static str, description: impl Into<String>) -> Self {
        Self {
            error,
            description: description.into(),
        }
    }
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        let details = escape(&format!("{}: {}", self.error, self.description));
        let body = format!(
            "<h1>Oops!, something went wrong</h1>\
             <p>There could be a misconfiguration in the system or a service outage. Please try again.</p>\
             <h2>Technical details</h2><p id=\"error-details\"><code>{details}</code></p>"
        );
        page(StatusCode::BAD_REQUEST, "Error", &body)
    }
}

/// A parameter, when present and not empty.
fn param<'a>(params: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    params.get(key).map(String::as_str).filter(|v| !v.is_empty())
}

impl Auth0 {
    /// Checks the `/authorize` parameters as Auth0 does before it shows a login page.
    fn transaction(&self, params: &HashMap<String, String>) -> Result<Transaction, ErrorPage> {
        let client = match param(params, "client_id") {
            Some(id) => Some(
                self.with_tenant(|t| t.client(id).cloned())
                    .ok_or_else(|| ErrorPage::new("invalid_request", format!("Unknown client: {id}")))?,
            ),
            None => None,
        };
        let response_type = match param(params, "response_type") {
            Some(kind) => {
                let mut words: Vec<&str> = kind.split_whitespace().collect();
                words.sort_unstable();
                let normalized = words.join(" ");
                if !RESPONSE_TYPES.contains(&normalized.as_str()) {
                    return Err(ErrorPage::new(
                        "unsupported_response_type",
                        format!("Unsupported response type: {kind}"),
                    ));
                }
                normalized
            }
            // The tester (no client) needs none: it shows the profile itself.
            None if client.is_none() => "token".to_owned(),
            None => {
                return Err(ErrorPage::new(
                    "invalid_request",
                    "Missing required parameter: response_type",
                ));
            }
        };
        if let Some(client) = &client {
            let grant = if response_type.contains("code") {
                "authorization_code"
            } else {
                "implicit"
            };
            if !client.allows_grant(grant) {
                return Err(ErrorPage::new(
                    "unauthorized_client",
                    format!("Grant type '{grant}' not allowed for the client."),
                ));
            }
        }
        let redirect_uri = match param(params, "redirect_uri") {
            Some(uri) => match url::Url::parse(uri) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url),
                _ => {
                    return Err(ErrorPage::new(
                        "invalid_request",
                        format!("The redirect_uri is not a valid URL: {uri}"),
                    ));
                }
            },
            None => None,
        };
        if redirect_uri.is_some() && response_type != "code" {
            return Err(ErrorPage::new(
                "unsupported_response_type",
                format!(
                    "The mock redirects with response_type=code only (got {response_type}); leave redirect_uri out to see the profile"
                ),
            ));
        }
        let connection = self.with_tenant(|t| match param(params, "connection") {
            Some(name) => t.connection(name).cloned(),
            None => t
                .settings
                .default_directory
                .as_deref()
                .and_then(|name| t.connection(name))
                .or_else(|| {
                    t.connections
                        .iter()
                        .find(|c| client.as_ref().is_none_or(|cl| c.is_enabled_for(&cl.client_id)))
                })
                .cloned(),
        });
        let connection = connection.ok_or_else(|| ErrorPage::new("invalid_request", "the connection was not found"))?;
        if let Some(client) = &client
            && !connection.is_enabled_for(&client.client_id)
        {
            return Err(ErrorPage::new("invalid_request", "the connection is not enabled"));
        }
        Ok(Transaction {
            client,
            connection,
            response_type,
            redirect_uri,
            scope: param(params, "scope").unwrap_or("openid profile email").to_owned(),
            state: param(params, "state").map(str::to_owned),
        })
    }
}

/// `GET /authorize`: the login page for the connection.
pub(crate) async fn authorize_get(
    State(auth0): State<Auth0>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    match auth0.transaction(&params) {
        Ok(tx) => login_page(&auth0, &tx, StatusCode::OK, None, ""),
        Err(e) => e.into_response(),
    }
}

/// `POST /usernamepassword/login`: the form's submission (form or JSON body).
pub(crate) async fn login_create(
    State(auth0): State<Auth0>,
    PeerAddr(peer): PeerAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match parameters(&headers, &body) {
        Ok(params) => params,
        Err(e) => return ErrorPage::new("invalid_request", e.description).into_response(),
    };
    let tx = match auth0.transaction(&params) {
        Ok(tx) => tx,
        Err(e) => return e.into_response(),
    };
    let username = param(&params, "username").unwrap_or("");
    let password = param(&params, "password").unwrap_or("");
    for (value, missing) in [
        (username, "missing username parameter"),
        (password, "missing password parameter"),
    ] {
        if value.is_empty() {
            return login_page(&auth0, &tx, StatusCode::BAD_REQUEST, Some(missing), username);
        }
    }
    let ip = client_ip(&headers, peer);
    let client_id = tx.client.as_ref().map(|c| c.client_id.as_str());
    match auth0
        .authenticate(&tx.connection, username, password, &ip, client_id)
        .await
    {
        Ok(user) => match &tx.redirect_uri {
            Some(uri) => {
                let code = auth0.kit().ids.alnum(32);
                redirect(uri, &[("code", code.as_str())], tx.state.as_deref())
            }
            None => it_works_page(&tx, &user.to_api()),
        },
        Err(e) => match &tx.redirect_uri {
            Some(uri) if e.error == "unauthorized" => redirect(
                uri,
                &[
                    ("error", e.error.as_str()),
                    ("error_description", e.description.as_str()),
                ],
                tx.state.as_deref(),
            ),
            _ => login_page(&auth0, &tx, e.status, Some(&e.description), username),
        },
    }
}

/// The end user's address: a trusted `auth0-forwarded-for`, else the caller's.
fn client_ip(headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    headers
        .get("auth0-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').next().unwrap_or(v).trim().to_owned())
        .or_else(|| peer.map(|p| p.ip().to_string()))
        .unwrap_or_else(|| "127.0.0.1".into())
}

/// A 302 to `uri` with `pairs` (and `state`) added to its query.
fn redirect(uri: &url::Url, pairs: &[(&str, &str)], state: Option<&str>) -> Response {
    let mut target = uri.clone();
    {
        let mut query = target.query_pairs_mut();
        for (key, value) in pairs {
            query.append_pair(key, value);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
    }
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(location) = HeaderValue::from_str(target.as_str()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Escapes text for HTML content and double-quoted attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f3f4f6;margin:0;color:#1f2937}\
main{max-width:26rem;margin:4rem auto;background:#fff;border-radius:8px;padding:2rem;\
box-shadow:0 1px 4px rgba(0,0,0,.15)}main.wide{max-width:48rem}h1{font-size:1.5rem;margin-top:0}\
label{display:block;margin:1rem 0 .3rem;font-size:.9rem}input[type=text],input[type=password]{width:100%;\
box-sizing:border-box;padding:.6rem;border:1px solid #9ca3af;border-radius:4px;font-size:1rem}\
button{margin-top:1.5rem;width:100%;padding:.7rem;border:0;border-radius:4px;background:#635dff;color:#fff;\
font-size:1rem;cursor:pointer}.error{background:#fde8e8;color:#b91c1c;border-radius:4px;padding:.7rem;\
margin-bottom:1rem}.muted{color:#6b7280;font-size:.9rem}pre{background:#111827;color:#e5e7eb;padding:1rem;\
border-radius:6px;overflow:auto;font-size:.85rem}";

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let wide = if title == "It Works!" { " class=\"wide\"" } else { "" };
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main{wide}>{body}</main></body></html>",
        escape(title)
    );
    let mut response = (status, Html(html)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The login form; `error` is shown above it and `username` kept in it.
fn login_page(auth0: &Auth0, tx: &Transaction, status: StatusCode, error: Option<&str>, username: &str) -> Response {
    let tenant = auth0.tenant_name();
    let app = tx.client.as_ref().map_or("Try Connection", |c| c.name.as_str());
    let mut hidden = vec![
        ("connection", tx.connection.name.clone()),
        ("response_type", tx.response_type.clone()),
        ("scope", tx.scope.clone()),
    ];
    if let Some(client) = &tx.client {
        hidden.push(("client_id", client.client_id.clone()));
    }
    if let Some(uri) = &tx.redirect_uri {
        hidden.push(("redirect_uri", uri.to_string()));
    }
    if let Some(state) = &tx.state {
        hidden.push(("state", state.clone()));
    }
    let hidden: String = hidden
        .iter()
        .map(|(name, value)| format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape(value)))
        .collect();
    let error = error.map_or_else(String::new, |e| {
        format!("<div id=\"error\" class=\"error\" role=\"alert\">{}</div>", escape(e))
    });
    let label = if tx.connection.requires_username() {
        "Username or email address"
    } else {
        "Email address"
    };
    let body = format!(
        "<h1>Log in</h1><p class=\"muted\">Log in to {tenant} to continue to {app}.</p>{error}\
         <form id=\"login\" method=\"post\" action=\"{LOGIN_PATH}\">{hidden}\
         <label for=\"email\">{label}</label>\
         <input id=\"email\" name=\"username\" type=\"text\" autocomplete=\"username\" required autofocus value=\"{username}\">\
         <label for=\"password\">Password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
         <button id=\"submit\" type=\"submit\">Continue</button></form>\
         <p class=\"muted\">Connection: <span id=\"connection\">{connection}</span></p>",
        tenant = escape(&tenant),
        app = escape(app),
        connection = escape(&tx.connection.name),
        username = escape(username),
    );
    page(status, &format!("Log in | {tenant}"), &body)
}

/// The tester's result page: the profile the login produced.
fn it_works_page(tx: &Transaction, profile: &serde_json::Value) -> Response {
    let json = serde_json::to_string_pretty(profile).unwrap_or_default();
    let body = format!(
        "<h1>It Works!</h1><p>The connection <strong id=\"connection\">{connection}</strong> authenticated the user. \
         This is the profile Auth0 stores for them:</p><pre id=\"profile\">{json}</pre>",
        connection = escape(&tx.connection.name),
        json = escape(&json),
    );
    page(StatusCode::OK, "It Works!", &body)
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use serde_json::json;
    use tower::ServiceExt;

    use super::*;
    use crate::kit::{Kit, Provider, app};

    fn tenant() -> Auth0 {
        let auth0 = Auth0::new(Kit::default());
        let seed = serde_json::from_value(json!({
            "settings": { "bcrypt_cost": 4 },
            "clients": [{ "name": "Storefront", "client_id": "storefront" }],
            "connections": [
                { "name": "users" },
                { "name": "elsewhere", "enabled_clients": [] }
            ],
            "users": [
                { "connection": "users", "email": "ada@example.com", "password": "Right-1!", "user_id": "ada" },
                { "connection": "users", "email": "bob@example.com", "password": "Right-1!", "blocked": true }
            ]
        }))
        .expect("seed shape");
        auth0.seed(seed).expect("seed");
        auth0
    }

    async fn send(auth0: &Auth0, request: Request<Body>) -> (StatusCode, HeaderMap, String) {
        let response = app(auth0.clone()).oneshot(request).await.expect("answer");
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.expect("body").to_bytes();
        (
            parts.status,
            parts.headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    async fn get(auth0: &Auth0, uri: &str) -> (StatusCode, HeaderMap, String) {
        send(auth0, Request::get(uri).body(Body::empty()).expect("request")).await
    }

    async fn post(auth0: &Auth0, form: &[(&str, &str)]) -> (StatusCode, HeaderMap, String) {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let request = Request::post(LOGIN_PATH)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        send(auth0, request).await
    }

    #[tokio::test]
    async fn the_login_page_carries_the_parameters_escaped() {
        let auth0 = tenant();
        let (status, _, html) = get(
            &auth0,
            "/authorize?connection=users&state=%22%3E%3Cscript%3Ex%3C%2Fscript%3E",
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("action=\"/usernamepassword/login\""));
        assert!(html.contains("name=\"state\" value=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""));
        assert!(!html.contains("<script>"));
    }

    #[tokio::test]
    async fn unknown_clients_and_connections_get_the_error_page() {
        let auth0 = tenant();
        let (status, _, html) = get(&auth0, "/authorize?client_id=nope&response_type=code&connection=users").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("Oops!, something went wrong"));
        assert!(html.contains("invalid_request: Unknown client: nope"));
        let (_, _, html) = get(&auth0, "/authorize?connection=nothing").await;
        assert!(html.contains("invalid_request: the connection was not found"));
        let (_, _, html) = get(
            &auth0,
            "/authorize?client_id=storefront&response_type=code&connection=elsewhere",
        )
        .await;
        assert!(html.contains("invalid_request: the connection is not enabled"));
    }

    #[tokio::test]
    async fn a_good_login_without_redirect_uri_shows_the_profile() {
        let auth0 = tenant();
        let (status, _, html) = post(
            &auth0,
            &[
                ("connection", "users"),
                ("username", "ada@example.com"),
                ("password", "Right-1!"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("It Works!"));
        assert!(html.contains("&quot;user_id&quot;: &quot;auth0|ada&quot;"));
        let logs = auth0.logs();
        let last = logs.last().expect("a log event");
        assert_eq!(
            (last.kind.as_str(), last.description.as_str()),
            ("s", "Successful login")
        );
    }

    #[tokio::test]
    async fn a_good_login_redirects_with_a_code_and_the_state() {
        let auth0 = tenant();
        let (status, headers, _) = post(
            &auth0,
            &[
                ("client_id", "storefront"),
                ("response_type", "code"),
                ("redirect_uri", "http://app.example/callback?x=1"),
                ("state", "a b"),
                ("connection", "users"),
                ("username", "ada@example.com"),
                ("password", "Right-1!"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::FOUND);
        let location = headers[header::LOCATION].to_str().expect("ascii");
        assert!(
            location.starts_with("http://app.example/callback?x=1&code="),
            "{location}"
        );
        assert!(location.ends_with("&state=a+b"), "{location}");
    }

    #[tokio::test]
    async fn failures_are_shown_on_the_login_page_or_sent_back() {
        let auth0 = tenant();
        let (status, _, html) = post(
            &auth0,
            &[
                ("connection", "users"),
                ("username", "ada@example.com"),
                ("password", "wrong"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(html.contains("<div id=\"error\" class=\"error\" role=\"alert\">Wrong email or password.</div>"));
        assert!(html.contains("value=\"ada@example.com\""));
        let (_, _, html) = post(
            &auth0,
            &[
                ("connection", "users"),
                ("username", "bob@example.com"),
                ("password", "Right-1!"),
            ],
        )
        .await;
        assert!(html.contains(">user is blocked</div>"));
        let (status, headers, _) = post(
            &auth0,
            &[
                ("client_id", "storefront"),
                ("response_type", "code"),
                ("redirect_uri", "http://app.example/cb"),
                ("connection", "users"),
                ("username", "bob@example.com"),
                ("password", "Right-1!"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::FOUND);
        assert_eq!(
            headers[header::LOCATION],
            "http://app.example/cb?error=unauthorized&error_description=user+is+blocked"
        );
    }
}
