//! Links on the scheme and host the request used, and the mocks over HTTPS.
//!
//! A script's request to `https://acme.okta.com/...` is routed by the sandbox to the mock over
//! plain HTTP on loopback with `Host: acme.okta.com` and the scheme it used in
//! [`sandbox::ORIGINAL_SCHEME_HEADER`]; here a client sends the same. Every link a mock builds
//! must then start with `https://acme.okta.com`, the marker must reach neither the journal nor
//! the answer, and `Host` is journaled as sent. The same mocks started with TLS answer
//! `https://127.0.0.1:PORT` (and a routed name through `resolve`, without DNS) with a
//! certificate from Ferry's CA, and plain HTTP on the same port.

use std::net::SocketAddr;

use mocks::auth0::{Auth0, MANAGEMENT_APP};
use mocks::gigya::{DEFAULT_API_KEY, DEFAULT_SECRET, DEFAULT_USER_KEY, Gigya};
use mocks::kit::hosts::certificate_names;
use mocks::kit::tls::Authority;
use mocks::okta::{DEFAULT_API_TOKEN, Okta, OktaSeed};
use mocks::stormpath::{DEFAULT_API_KEY_ID, DEFAULT_API_KEY_SECRET, DEFAULT_APPLICATION_ID, Stormpath, StormpathSeed};
use mocks::{Clock, Kit, MockServer, Provider};
use sandbox::ORIGINAL_SCHEME_HEADER;
use serde_json::{Value, json};

fn kit() -> Kit {
    Kit::deterministic(Clock::manual(Clock::scenario_epoch()), 1)
}

fn client() -> reqwest::Client {
    sandbox::net::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("client")
}

/// A request to the mock as the sandbox routes one for `https://{host}{path}`.
fn routed(
    client: &reqwest::Client,
    method: reqwest::Method,
    server: &MockServer,
    host: &str,
    path: &str,
) -> reqwest::RequestBuilder {
    client
        .request(method, format!("{}{path}", server.base_url()))
        .header("host", host)
        .header(ORIGINAL_SCHEME_HEADER, "https")
}

async fn json_of(response: reqwest::Response) -> (u16, reqwest::header::HeaderMap, Value) {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The journal shows `Host` as sent and never the scheme marker.
fn assert_journal_clean(kit: &Kit, host: &str) {
    let entries = kit.journal.entries();
    assert!(!entries.is_empty());
    for entry in entries {
        assert!(
            entry.headers.iter().any(|(n, v)| n == "host" && v == host),
            "{:?}",
            entry.headers
        );
        assert!(
            !entry
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(ORIGINAL_SCHEME_HEADER)),
            "{:?}",
            entry.headers
        );
    }
}

const OKTA_SEED: &str = r#"
users:
  - { login: dade.murphy@example.com, id: 00ub0oNGTSWTBKOLGLNR, password: "Hunter2!zero", profile: { firstName: Dade, lastName: Murphy } }
  - { login: kate.libby@example.com, id: 00ukatelibby00000000, password: "Acid-Burn-1", password_expired: true, profile: { firstName: Kate, lastName: Libby } }
"#;

#[tokio::test]
async fn okta_links_and_link_headers_carry_the_requests_host() {
    // FIDELITY: kit/links-origin, kit/hosts
    let okta = Okta::new(kit());
    let seed: OktaSeed = mocks::kit::seed::parse(OKTA_SEED, None).expect("seed");
    okta.seed(seed).expect("seed");
    let server = mocks::start(okta.clone(), mocks::LOOPBACK_EPHEMERAL)
        .await
        .expect("bind");
    let http = client();
    let ssws = format!("SSWS {DEFAULT_API_TOKEN}");

    let (status, _, user) = json_of(
        routed(
            &http,
            reqwest::Method::GET,
            &server,
            "acme.okta.com",
            "/api/v1/users/dade.murphy%40example.com",
        )
        .header("authorization", &ssws)
        .send()
        .await
        .expect("send"),
    )
    .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(
        user["_links"]["self"]["href"],
        "https://acme.okta.com/api/v1/users/00ub0oNGTSWTBKOLGLNR"
    );
    let hrefs = user["_links"].to_string();
    assert!(!hrefs.contains("127.0.0.1"), "{hrefs}");

    let (status, headers, _) = json_of(
        routed(
            &http,
            reqwest::Method::GET,
            &server,
            "acme.okta.com",
            "/api/v1/users?limit=1",
        )
        .header("authorization", &ssws)
        .send()
        .await
        .expect("send"),
    )
    .await;
    assert_eq!(status, 200);
    let links: Vec<&str> = headers.get_all("link").iter().filter_map(|v| v.to_str().ok()).collect();
    assert_eq!(links.len(), 2, "{links:?}");
    assert!(
        links[0].starts_with("<https://acme.okta.com/api/v1/users?limit=1>"),
        "{links:?}"
    );
    assert!(
        links[1].starts_with("<https://acme.okta.com/api/v1/users?"),
        "{links:?}"
    );

    let (status, _, transaction) = json_of(
        routed(&http, reqwest::Method::POST, &server, "acme.okta.com", "/api/v1/authn")
            .json(&json!({ "username": "kate.libby@example.com", "password": "Acid-Burn-1" }))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(
        (status, transaction["status"].as_str()),
        (200, Some("PASSWORD_EXPIRED"))
    );
    assert_eq!(
        transaction["_links"]["next"]["href"],
        "https://acme.okta.com/api/v1/authn/credentials/change_password"
    );

    // plain http on a name keeps http; a direct call keeps the mock's own address
    let (_, _, user) = json_of(
        http.get(format!("{}/api/v1/users/00ub0oNGTSWTBKOLGLNR", server.base_url()))
            .header("host", "acme.okta.com")
            .header("authorization", &ssws)
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(
        user["_links"]["self"]["href"],
        "http://acme.okta.com/api/v1/users/00ub0oNGTSWTBKOLGLNR"
    );
    let (_, _, user) = json_of(
        http.get(format!("{}/api/v1/users/00ub0oNGTSWTBKOLGLNR", server.base_url()))
            .header("authorization", &ssws)
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(
        user["_links"]["self"]["href"],
        format!("{}/api/v1/users/00ub0oNGTSWTBKOLGLNR", server.base_url())
    );
    // a Host that is not a host name is not built upon
    let (_, _, user) = json_of(
        http.get(format!("{}/api/v1/users/00ub0oNGTSWTBKOLGLNR", server.base_url()))
            .header("host", "evil.test/<script>")
            .header("authorization", &ssws)
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(
        user["_links"]["self"]["href"],
        format!("{}/api/v1/users/00ub0oNGTSWTBKOLGLNR", server.base_url())
    );
    let entries = okta.kit().journal.entries();
    assert!(
        entries[..3]
            .iter()
            .all(|e| e.headers.iter().any(|(n, v)| n == "host" && v == "acme.okta.com"))
    );
    assert!(
        entries
            .iter()
            .all(|e| !e.headers.iter().any(|(n, _)| n == ORIGINAL_SCHEME_HEADER))
    );
}

const STORMPATH_SEED: &str = r#"
settings: { bcrypt_cost: 4 }
accounts:
  - id: 72EaYgOaq8lwTFHILydAid
    username: first2shoot
    email: han@newrepublic.gov
    givenName: Han
    surname: Solo
    password: "Change+me1"
"#;

#[tokio::test]
async fn stormpath_hrefs_carry_the_requests_host() {
    // FIDELITY: kit/links-origin, kit/hosts
    let sp = Stormpath::new(kit());
    let seed: StormpathSeed = mocks::kit::seed::parse(STORMPATH_SEED, None).expect("seed");
    sp.seed(seed).expect("seed");
    let server = mocks::start(sp.clone(), mocks::LOOPBACK_EPHEMERAL).await.expect("bind");
    let http = client();
    let host = "api.stormpath.com";
    let value = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        "han@newrepublic.gov:Change+me1",
    );
    let (status, _, attempt) = json_of(
        routed(
            &http,
            reqwest::Method::POST,
            &server,
            host,
            &format!("/v1/applications/{DEFAULT_APPLICATION_ID}/loginAttempts"),
        )
        .basic_auth(DEFAULT_API_KEY_ID, Some(DEFAULT_API_KEY_SECRET))
        .json(&json!({ "type": "basic", "value": value }))
        .send()
        .await
        .expect("send"),
    )
    .await;
    assert_eq!(status, 200, "{attempt}");
    let href = attempt["account"]["href"].as_str().unwrap_or_default().to_owned();
    assert_eq!(href, "https://api.stormpath.com/v1/accounts/72EaYgOaq8lwTFHILydAid");
    // what the documented script does with it
    assert_eq!(
        href.replace("https://api.stormpath.com/v1/accounts/", ""),
        "72EaYgOaq8lwTFHILydAid"
    );

    let (status, _, account) = json_of(
        routed(
            &http,
            reqwest::Method::GET,
            &server,
            host,
            "/v1/accounts/72EaYgOaq8lwTFHILydAid",
        )
        .basic_auth(DEFAULT_API_KEY_ID, Some(DEFAULT_API_KEY_SECRET))
        .send()
        .await
        .expect("send"),
    )
    .await;
    assert_eq!(status, 200, "{account}");
    for key in ["href", "customData", "directory", "tenant", "groups", "providerData"] {
        let href = if key == "href" {
            &account[key]
        } else {
            &account[key]["href"]
        };
        assert!(
            href.as_str()
                .is_some_and(|h| h.starts_with("https://api.stormpath.com/v1/")),
            "{key}: {href}"
        );
    }
    let (status, _, found) = json_of(
        routed(
            &http,
            reqwest::Method::GET,
            &server,
            host,
            &format!("/v1/applications/{DEFAULT_APPLICATION_ID}/accounts?q=han%40newrepublic.gov"),
        )
        .basic_auth(DEFAULT_API_KEY_ID, Some(DEFAULT_API_KEY_SECRET))
        .send()
        .await
        .expect("send"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        found["items"][0]["href"],
        "https://api.stormpath.com/v1/accounts/72EaYgOaq8lwTFHILydAid"
    );
    assert!(
        found["href"]
            .as_str()
            .is_some_and(|h| h.starts_with("https://api.stormpath.com/v1/applications/"))
    );
    // the tenant redirect's Location too
    let response = routed(&http, reqwest::Method::GET, &server, host, "/v1/tenants/current")
        .basic_auth(DEFAULT_API_KEY_ID, Some(DEFAULT_API_KEY_SECRET))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 302);
    assert!(
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.starts_with("https://api.stormpath.com/v1/tenants/"))
    );
    assert_journal_clean(sp.kit(), host);
}

#[tokio::test]
async fn gigya_checks_the_data_center_the_request_named() {
    let gigya = Gigya::new(kit());
    let server = mocks::start(gigya.clone(), mocks::LOOPBACK_EPHEMERAL)
        .await
        .expect("bind");
    let http = client();
    let form = [
        ("apiKey", DEFAULT_API_KEY),
        ("userKey", DEFAULT_USER_KEY),
        ("secret", DEFAULT_SECRET),
        ("query", "SELECT * FROM accounts"),
    ];
    let (_, _, answer) = json_of(
        routed(
            &http,
            reqwest::Method::POST,
            &server,
            "accounts.us1.gigya.com",
            "/accounts.search",
        )
        .form(&form)
        .send()
        .await
        .expect("send"),
    )
    .await;
    assert_eq!(answer["errorCode"], 0, "{answer}");
    let (_, _, answer) = json_of(
        routed(
            &http,
            reqwest::Method::POST,
            &server,
            "accounts.eu1.gigya.com",
            "/accounts.search",
        )
        .form(&form)
        .send()
        .await
        .expect("send"),
    )
    .await;
    assert_eq!(answer["errorCode"], 301001, "{answer}");
    assert_eq!(answer["location"], "https://accounts.us1.gigya.com/accounts.search");
    let entries = gigya.kit().journal.entries();
    assert!(
        entries
            .iter()
            .all(|e| !e.headers.iter().any(|(n, _)| n == ORIGINAL_SCHEME_HEADER))
    );
}

#[tokio::test]
async fn auth0_discovery_tokens_and_management_api_under_a_tenant_name() {
    // FIDELITY: kit/links-origin, kit/hosts
    let auth0 = Auth0::new(kit());
    let server = mocks::start(auth0.clone(), mocks::LOOPBACK_EPHEMERAL)
        .await
        .expect("bind");
    let http = client();
    let host = "acme.eu.auth0.com";
    let (status, _, discovery) = json_of(
        routed(
            &http,
            reqwest::Method::GET,
            &server,
            host,
            "/.well-known/openid-configuration",
        )
        .send()
        .await
        .expect("send"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(discovery["issuer"], "https://acme.eu.auth0.com/");
    assert_eq!(discovery["jwks_uri"], "https://acme.eu.auth0.com/.well-known/jwks.json");
    assert_eq!(discovery["token_endpoint"], "https://acme.eu.auth0.com/oauth/token");

    let (id, secret) = auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    let (status, _, token) = json_of(
        routed(&http, reqwest::Method::POST, &server, host, "/oauth/token")
            .json(&json!({
                "grant_type": "client_credentials",
                "client_id": id,
                "client_secret": secret,
                "audience": "https://acme.eu.auth0.com/api/v2/",
            }))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, 200, "{token}");
    let access = token["access_token"].as_str().unwrap_or_default().to_owned();
    let payload = access.split('.').nth(1).unwrap_or_default();
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload).unwrap_or_default(),
    )
    .unwrap_or(Value::Null);
    assert_eq!(claims["iss"], "https://acme.eu.auth0.com/");
    assert_eq!(claims["aud"], "https://acme.eu.auth0.com/api/v2/");
    let (status, _, users) = json_of(
        routed(&http, reqwest::Method::GET, &server, host, "/api/v2/users")
            .bearer_auth(&access)
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, 200, "{users}");
    // another company's custom domain is no Management API audience
    let (status, _, refused) = json_of(
        routed(&http, reqwest::Method::POST, &server, host, "/oauth/token")
            .json(&json!({
                "grant_type": "client_credentials",
                "client_id": id,
                "client_secret": secret,
                "audience": "https://login.acme.com/api/v2/",
            }))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, 403, "{refused}");
    assert_journal_clean(auth0.kit(), host);
}

/// A client that trusts only Ferry's CA, and resolves `names` to `addr` (no DNS).
fn tls_client(authority: &Authority, names: &[&str], addr: SocketAddr) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(authority.cert_pem().as_bytes()).expect("CA parses");
    let mut builder = sandbox::net::client_builder().tls_certs_only([ca]).no_proxy();
    for name in names {
        builder = builder.resolve(name, addr);
    }
    builder.build().expect("client")
}

#[tokio::test]
async fn every_mock_serves_https_with_the_cas_certificate_and_plain_http_on_the_same_port() {
    // FIDELITY: kit/https
    let authority = Authority::generate().expect("CA");
    let tls = authority.server_config(&certificate_names(&[])).expect("certificate");
    let okta = Okta::new(kit());
    let seed: OktaSeed = mocks::kit::seed::parse(OKTA_SEED, None).expect("seed");
    okta.seed(seed).expect("seed");
    let okta_server = mocks::start_tls(okta.clone(), mocks::LOOPBACK_EPHEMERAL, tls.clone())
        .await
        .expect("bind");
    let auth0 = Auth0::new(kit());
    let auth0_server = mocks::start_tls(auth0.clone(), mocks::LOOPBACK_EPHEMERAL, tls.clone())
        .await
        .expect("bind");
    assert!(okta_server.base_url().starts_with("https://127.0.0.1:"));
    let https = tls_client(&authority, &["acme.okta.com"], okta_server.addr());

    let (status, _, discovery) = json_of(
        https
            .get(format!("{}/.well-known/openid-configuration", auth0_server.base_url()))
            .send()
            .await
            .expect("https to 127.0.0.1"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(discovery["issuer"], format!("{}/", auth0_server.base_url()));
    assert_eq!(
        discovery["jwks_uri"],
        format!("{}/.well-known/jwks.json", auth0_server.base_url())
    );
    let localhost = auth0_server.base_url().replace("127.0.0.1", "localhost");
    let localhost_client = tls_client(&authority, &["localhost"], auth0_server.addr());
    let (_, _, discovery) = json_of(
        localhost_client
            .get(format!("{localhost}/.well-known/openid-configuration"))
            .send()
            .await
            .expect("https to localhost"),
    )
    .await;
    assert_eq!(discovery["issuer"], format!("{localhost}/"));

    // a real host name, resolved by the client to the mock: valid for *.okta.com
    let port = okta_server.addr().port();
    let (status, _, user) = json_of(
        https
            .get(format!(
                "https://acme.okta.com:{port}/api/v1/users/00ub0oNGTSWTBKOLGLNR"
            ))
            .header("authorization", format!("SSWS {DEFAULT_API_TOKEN}"))
            .send()
            .await
            .expect("https to acme.okta.com"),
    )
    .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(
        user["_links"]["self"]["href"],
        format!("https://acme.okta.com:{port}/api/v1/users/00ub0oNGTSWTBKOLGLNR")
    );

    // plain HTTP on the same port: links say http
    let plain = client();
    let (status, _, discovery) = json_of(
        plain
            .get(format!(
                "http://127.0.0.1:{}/.well-known/openid-configuration",
                auth0_server.addr().port()
            ))
            .send()
            .await
            .expect("plain http"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        discovery["issuer"],
        format!("http://127.0.0.1:{}/", auth0_server.addr().port())
    );

    // a client that does not trust the CA is refused, and a broken handshake harms nobody
    let untrusting = sandbox::net::client_builder()
        .tls_certs_only(Vec::new())
        .no_proxy()
        .build()
        .expect("client");
    assert!(
        untrusting
            .get(format!("{}/api/v1/users", okta_server.base_url()))
            .send()
            .await
            .is_err()
    );
    {
        use tokio::io::AsyncWriteExt;
        let mut raw = tokio::net::TcpStream::connect(okta_server.addr())
            .await
            .expect("connect");
        raw.write_all(&[0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5])
            .await
            .expect("write");
        drop(raw);
    }
    let response = https
        .get(format!("{}/api/v1/users/00ub0oNGTSWTBKOLGLNR", okta_server.base_url()))
        .header("authorization", format!("SSWS {DEFAULT_API_TOKEN}"))
        .send()
        .await
        .expect("still serving");
    assert_eq!(response.status().as_u16(), 200);
    okta_server.shutdown().await;
    auth0_server.shutdown().await;
}
