//! The mock Stormpath through its router (no socket) and, where the wire matters, on a socket:
//! login attempts with every failure code, Basic and SAuthc1 authentication (with the published
//! SDK test vectors), the account resource and its expansions, Custom Data, the application's
//! account collection (paging, `q`, attribute search, sorting), the tenant redirect, the
//! application, directories and mappings, rate limiting, faults and the export.
//!
//! Run with `cargo test -p mocks --test stormpath`. Every mock here runs on a manual clock at
//! 2026-01-01T00:00:00.000Z with ids seeded from 1 and fixed account ids, so bodies can be
//! pinned exactly; a failing assertion prints the whole body.

mod common;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::BodyExt;
use mocks::stormpath::{DEFAULT_API_KEY_ID, DEFAULT_API_KEY_SECRET, Stormpath, StormpathSeed};
use mocks::{Clock, Kit, Provider};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const APP: &str = "1gk4Dxzi6o4PbdlFerry01";
const DIR: &str = "2SKhstu8PlaekcaFerry01";
const TENANT: &str = "1gBTncWsp2ObQGgFerry01";
const BASE: &str = "http://localhost/v1";
const HAN: &str = "72EaYgOaq8lwTFHILydAid";
const LEIA: &str = "3apenYvL0Z9v9spexaMple";

const TENANT_SEED: &str = r#"
settings: { bcrypt_cost: 4 }
accounts:
  - id: 72EaYgOaq8lwTFHILydAid
    username: first2shoot
    email: han@newrepublic.gov
    givenName: Han
    surname: Solo
    password: "Change+me1"
    customData: { favoriteColor: beige, ship: { name: Millennium Falcon, parsecs: 12 } }
    createdAt: 2015-08-28T16:07:38.347Z
  - id: 3apenYvL0Z9v9spexaMple
    email: leia@newrepublic.gov
    givenName: Leia
    middleName: Amidala
    surname: Organa
    password: "Alderaan-4ever"
"#;

fn kit() -> Kit {
    Kit::deterministic(Clock::manual(Clock::scenario_epoch()), 1)
}

fn seed(stormpath: &Stormpath, yaml: &str) {
    let seed: StormpathSeed = mocks::kit::seed::parse(yaml, None).expect("test seed parses");
    stormpath.seed(seed).expect("test seed is valid");
}

fn tenant(yaml: &str) -> Stormpath {
    let stormpath = Stormpath::new(kit());
    seed(&stormpath, yaml);
    stormpath
}

#[derive(Debug)]
struct Res {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Res {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// Asserts Stormpath's error resource field by field; `requestId` is the response's
    /// `Stormpath-Request-Id`.
    fn assert_error(&self, status: u16, code: u32, message: &str, developer: &str, more_info: &str) {
        assert_eq!(self.status.as_u16(), status, "{:#}", self.body);
        let request_id = self.header("stormpath-request-id");
        assert_uuid(request_id);
        assert_eq!(
            self.body,
            json!({
                "status": status,
                "code": code,
                "message": message,
                "developerMessage": developer,
                "moreInfo": more_info,
                "requestId": request_id,
            })
        );
        assert_eq!(self.header("content-type"), "application/json;charset=UTF-8");
    }

    fn assert_docs_error(&self, code: u32, message: &str, developer: &str) {
        self.assert_error(
            400,
            code,
            message,
            developer,
            &format!("http://docs.stormpath.com/errors/{code}"),
        );
    }

    fn assert_unauthenticated(&self) {
        self.assert_error(
            401,
            401,
            "Authentication required.",
            "Authentication with a valid API Key is required.",
            "http://www.stormpath.com/docs/quickstart/connect",
        );
    }
}

fn assert_uuid(id: &str) {
    let parts: Vec<&str> = id.split('-').collect();
    assert_eq!(
        parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12],
        "request id {id}"
    );
    assert!(
        id.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()),
        "request id {id}"
    );
    assert!(id.as_bytes()[14] == b'4', "version 4: {id}");
}

async fn send(stormpath: &Stormpath, req: Request<Body>) -> Res {
    let answer = common::call(mocks::app(stormpath.clone()), req).await;
    Res {
        status: answer.status,
        headers: answer.headers,
        body: answer.body,
    }
}

fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

fn default_auth() -> String {
    basic(DEFAULT_API_KEY_ID, DEFAULT_API_KEY_SECRET)
}

fn get(path: &str) -> Request<Body> {
    Request::get(path)
        .header("authorization", default_auth())
        .header("accept", "application/json")
        .body(Body::empty())
        .expect("request")
}

fn post_json(path: &str, body: &Value) -> Request<Body> {
    Request::post(path)
        .header("authorization", default_auth())
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request")
}

fn attempt(identifier: &str, password: &str) -> Value {
    json!({
        "type": "basic",
        "value": base64::engine::general_purpose::STANDARD.encode(format!("{identifier}:{password}")),
    })
}

async fn login(stormpath: &Stormpath, identifier: &str, password: &str) -> Res {
    send(
        stormpath,
        post_json(
            &format!("/v1/applications/{APP}/loginAttempts"),
            &attempt(identifier, password),
        ),
    )
    .await
}

fn link(path: &str) -> Value {
    json!({ "href": format!("{BASE}/{path}") })
}

fn han_json() -> Value {
    let me = format!("accounts/{HAN}");
    json!({
        "href": format!("{BASE}/{me}"),
        "username": "first2shoot",
        "email": "han@newrepublic.gov",
        "givenName": "Han",
        "middleName": null,
        "surname": "Solo",
        "fullName": "Han Solo",
        "status": "ENABLED",
        "createdAt": "2015-08-28T16:07:38.347Z",
        "modifiedAt": "2015-08-28T16:07:38.347Z",
        "passwordModifiedAt": "2015-08-28T16:07:38.347Z",
        "emailVerificationStatus": "VERIFIED",
        "emailVerificationToken": null,
        "customData": link(&format!("{me}/customData")),
        "providerData": link(&format!("{me}/providerData")),
        "directory": link(&format!("directories/{DIR}")),
        "tenant": link(&format!("tenants/{TENANT}")),
        "groups": link(&format!("{me}/groups")),
        "groupMemberships": link(&format!("{me}/groupMemberships")),
        "applications": link(&format!("{me}/applications")),
        "apiKeys": link(&format!("{me}/apiKeys")),
        "accessTokens": link(&format!("{me}/accessTokens")),
        "refreshTokens": link(&format!("{me}/refreshTokens")),
        "linkedAccounts": link(&format!("{me}/linkedAccounts")),
        "accountLinks": link(&format!("{me}/accountLinks")),
        "phones": link(&format!("{me}/phones")),
        "factors": link(&format!("{me}/factors")),
    })
}

fn keys(value: &Value) -> Vec<&str> {
    value.as_object().expect("object").keys().map(String::as_str).collect()
}

// ---------------------------------------------------------------- login attempts

#[tokio::test]
async fn a_login_attempt_answers_the_account_href_with_location() {
    let sp = tenant(TENANT_SEED);
    let res = login(&sp, "han@newrepublic.gov", "Change+me1").await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    let href = format!("{BASE}/accounts/{HAN}");
    assert_eq!(res.body, json!({ "account": { "href": href } }));
    assert_eq!(res.header("location"), href);
    assert_eq!(res.header("content-type"), "application/json;charset=UTF-8");
    assert_eq!(res.header("date"), "Thu, 01 Jan 2026 00:00:00 GMT");
    assert_uuid(res.header("stormpath-request-id"));
}

#[tokio::test]
async fn usernames_and_emails_log_in_ignoring_case() {
    let sp = tenant(TENANT_SEED);
    for identifier in ["first2shoot", "FIRST2SHOOT", "Han@NewRepublic.gov"] {
        let res = login(&sp, identifier, "Change+me1").await;
        assert_eq!(res.status, StatusCode::OK, "{identifier}: {:#}", res.body);
    }
}

#[tokio::test]
async fn expand_account_embeds_the_whole_account() {
    let sp = tenant(TENANT_SEED);
    let res = send(
        &sp,
        post_json(
            &format!("/v1/applications/{APP}/loginAttempts?expand=account"),
            &attempt("first2shoot", "Change+me1"),
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body, json!({ "account": han_json() }));
    assert_eq!(
        keys(&res.body["account"]),
        keys(&han_json()),
        "key order of the reference's example"
    );
}

#[tokio::test]
async fn a_wrong_password_is_7100_and_an_unknown_user_7104() {
    let sp = tenant(TENANT_SEED);
    login(&sp, "han@newrepublic.gov", "change+me1").await.assert_docs_error(
        7100,
        "Invalid username or password.",
        "Login attempt failed because the specified password is incorrect.",
    );
    login(&sp, "chewie@newrepublic.gov", "Change+me1")
        .await
        .assert_docs_error(
            7104,
            "Invalid username or password.",
            "Login attempt failed because there is no Account in the Application's associated Account Stores with the \
         specified username or email.",
        );
}

#[tokio::test]
async fn disabled_and_unverified_accounts_learn_why_only_with_the_right_password() {
    let sp = tenant(
        "settings: {bcrypt_cost: 4}\naccounts:\n  - {email: off@example.com, password: Right-1, status: DISABLED}\n  \
         - {email: new@example.com, password: Right-1, status: UNVERIFIED}\n  - {email: nopass@example.com}\n",
    );
    login(&sp, "off@example.com", "Right-1").await.assert_docs_error(
        7101,
        "Login attempt failed because the Account is disabled.",
        "Login attempt failed because the Account is disabled.",
    );
    login(&sp, "new@example.com", "Right-1").await.assert_docs_error(
        7102,
        "Login attempt failed because the Account is not verified.",
        "Login attempt failed because the Account is not verified.",
    );
    for email in ["off@example.com", "new@example.com", "nopass@example.com"] {
        assert_eq!(login(&sp, email, "Wrong-1").await.body["code"], 7100, "{email}");
    }
}

#[tokio::test]
async fn the_first_account_store_with_a_match_decides() {
    let sp = tenant(
        "settings: {bcrypt_cost: 4}\ndirectories:\n  - {id: LegacyDirectory0000000A, name: Legacy}\n  \
         - {id: ClosedDirectory0000000A, name: Closed, status: DISABLED}\n  - {id: HiddenDirectory0000000A, name: Hidden, mapped: false}\n\
         accounts:\n  - {email: twin@example.com, password: First-1}\n  \
         - {email: twin@example.com, password: Second-2, directory: Legacy}\n  \
         - {email: closed@example.com, password: Right-1, directory: Closed}\n  \
         - {email: hidden@example.com, password: Right-1, directory: Hidden}\n",
    );
    assert_eq!(login(&sp, "twin@example.com", "First-1").await.status, StatusCode::OK);
    // The default directory holds a twin@example.com, so the Legacy one is never tried.
    assert_eq!(login(&sp, "twin@example.com", "Second-2").await.body["code"], 7100);
    let legacy = json!({ "href": format!("{BASE}/directories/LegacyDirectory0000000A") });
    let mut targeted = attempt("twin@example.com", "Second-2");
    targeted["accountStore"] = legacy.clone();
    let res = send(
        &sp,
        post_json(&format!("/v1/applications/{APP}/loginAttempts"), &targeted),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    targeted["accountStore"] = legacy["href"].clone();
    let as_string = send(
        &sp,
        post_json(&format!("/v1/applications/{APP}/loginAttempts"), &targeted),
    )
    .await;
    assert_eq!(as_string.status, StatusCode::OK, "an href string is accepted too");

    login(&sp, "closed@example.com", "Right-1").await.assert_docs_error(
        7106,
        "Login attempt failed because the Account is in a Directory that is disabled.",
        "Login attempt failed because the Account is in a Directory that is disabled.",
    );
    assert_eq!(
        login(&sp, "hidden@example.com", "Right-1").await.body["code"],
        7104,
        "unmapped directories are not searched"
    );
    let mut unmapped = attempt("hidden@example.com", "Right-1");
    unmapped["accountStore"] = json!({ "href": format!("{BASE}/directories/HiddenDirectory0000000A") });
    send(
        &sp,
        post_json(&format!("/v1/applications/{APP}/loginAttempts"), &unmapped),
    )
    .await
    .assert_docs_error(
        5114,
        "The specified Account Store reference is invalid.",
        "The specified Account Store is not one of the Application's assigned Account Stores.",
    );
    for store in [
        json!({ "href": "https://api.stormpath.com/v1/directories/LegacyDirectory0000000A" }),
        json!({ "nameKey": "rebels" }),
        json!(42),
    ] {
        let mut bad = attempt("twin@example.com", "Second-2");
        bad["accountStore"] = store;
        send(&sp, post_json(&format!("/v1/applications/{APP}/loginAttempts"), &bad))
            .await
            .assert_docs_error(
                2014,
                "accountStore property is an invalid reference.",
                "accountStore property is an invalid reference.",
            );
    }
}

#[tokio::test]
async fn an_application_without_account_stores_is_5105() {
    let sp = tenant(&format!(
        "settings: {{bcrypt_cost: 4}}\ndirectories: [{{id: {DIR}, mapped: false}}]\naccounts: [{{email: a@example.com, password: x}}]\n"
    ));
    login(&sp, "a@example.com", "x").await.assert_docs_error(
        5105,
        "Login attempt failed because the Application is not assigned any Account Stores.",
        "Login attempt failed because the Application is not assigned any Account Stores.",
    );
}

#[tokio::test]
async fn malformed_login_attempts_get_their_property_codes() {
    let sp = tenant(TENANT_SEED);
    let path = format!("/v1/applications/{APP}/loginAttempts");
    let cases = [
        (
            json!({ "value": "eDp5" }),
            2000,
            "Login attempt type is required; it cannot be null, empty, or blank.",
        ),
        (
            json!({ "type": " ", "value": "eDp5" }),
            2000,
            "Login attempt type is required; it cannot be null, empty, or blank.",
        ),
        (
            json!({ "type": "digest", "value": "eDp5" }),
            2003,
            "Login attempt type 'digest' is unsupported. The only supported type is 'basic'.",
        ),
        (
            json!({ "type": "basic" }),
            2000,
            "Login attempt value is required; it cannot be null, empty, or blank.",
        ),
        (
            json!({ "type": "basic", "value": ["x"] }),
            2004,
            "Login attempt value must be a String: the Base64 encoding of 'username:password'.",
        ),
        (
            json!({ "type": "basic", "value": "han:Change+me1" }),
            2006,
            "Login attempt value format is invalid: it must be the Base64 encoding of 'username:password'.",
        ),
        (
            json!({ "type": "basic", "value": "aGFu" }),
            2006,
            "Login attempt value format is invalid: it must be the Base64 encoding of 'username:password'.",
        ),
        (
            json!({ "type": "basic", "value": "aGFuOuk=" }),
            2005,
            "Login attempt value uses an invalid character encoding: the decoded 'username:password' must be UTF-8.",
        ),
    ];
    for (body, code, text) in cases {
        send(&sp, post_json(&path, &body))
            .await
            .assert_docs_error(code, text, text);
    }
    let not_json = Request::post(&path)
        .header("authorization", default_auth())
        .header("content-type", "application/json")
        .body(Body::from("{\"type\": \"basic\""))
        .expect("request");
    send(&sp, not_json).await.assert_error(
        400,
        400,
        "The request body could not be read as a JSON object.",
        "The request body could not be read as a JSON object.",
        "mailto:support@stormpath.com",
    );
    let form = Request::post(&path)
        .header("authorization", default_auth())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("type=basic"))
        .expect("request");
    let text = "Content-Type must be application/json. Only application/json is currently supported.";
    send(&sp, form)
        .await
        .assert_error(415, 415, text, text, "mailto:support@stormpath.com");
    send(&sp, get(&path)).await.assert_error(
        405,
        405,
        "GET is not supported for the resource.",
        "GET is not supported for the resource.",
        "mailto:support@stormpath.com",
    );
}

#[tokio::test]
async fn passwords_with_colons_and_non_ascii_characters_survive_base64() {
    let sp = tenant(
        "settings: {bcrypt_cost: 4}\naccounts:\n  - {email: zoë@exämple.com, username: zoë, password: \"Pässwörd:Ωμέγα:密码\"}\n",
    );
    assert_eq!(login(&sp, "ZOË", "Pässwörd:Ωμέγα:密码").await.status, StatusCode::OK);
    assert_eq!(
        login(&sp, "zoë@exämple.com", "Pässwörd:Ωμέγα:密码").await.status,
        StatusCode::OK
    );
    assert_eq!(login(&sp, "zoë", "Passwörd:Ωμέγα:密码").await.body["code"], 7100);
}

#[tokio::test]
async fn stormpath2_and_imported_hashes_verify() {
    let sp = tenant(
        "settings: {password_format: stormpath2, stormpath2_algorithm: SHA-512, stormpath2_iterations: 3}\naccounts:\n  \
         - {email: hashed@example.com, password: Native-1}\n  \
         - {email: md5@example.com, password_hash: \"$stormpath2$MD5$1$OWI3OTQwYjEwODEwOTdkNTcwZDY5NjQ2ZDNlNmZjNzM=$ULWTW74NXPyLYj3VfYHWrg==\"}\n",
    );
    assert_eq!(
        login(&sp, "hashed@example.com", "Native-1").await.status,
        StatusCode::OK
    );
    assert_eq!(login(&sp, "md5@example.com", "123456").await.status, StatusCode::OK);
    assert_eq!(login(&sp, "md5@example.com", "1234567").await.body["code"], 7100);
    let export = sp.export_files();
    let file = export
        .iter()
        .find(|f| String::from_utf8_lossy(&f.bytes).contains("hashed@example.com"))
        .expect("exported");
    let account: Value = serde_json::from_slice(&file.bytes).expect("json");
    let hash = account["password"].as_str().expect("password hash");
    assert!(hash.starts_with("$stormpath2$SHA-512$3$"), "{hash}");
    let bad: Result<StormpathSeed, _> = mocks::kit::seed::parse(
        "accounts: [{email: x@example.com, password_hash: \"$md5$nope\"}]\n",
        None,
    );
    assert!(
        sp.seed(bad.expect("parses")).is_err(),
        "a hash the login could never verify is refused"
    );
}

#[tokio::test]
async fn an_unknown_application_is_404() {
    let sp = tenant(TENANT_SEED);
    // The API key id in place of the application id (stormpath.md §11 #3).
    let res = send(
        &sp,
        post_json(
            &format!("/v1/applications/{DEFAULT_API_KEY_ID}/loginAttempts"),
            &attempt("first2shoot", "Change+me1"),
        ),
    )
    .await;
    let text = "The requested resource does not exist.";
    res.assert_error(404, 404, text, text, "mailto:support@stormpath.com");
}

// ---------------------------------------------------------------- API key authentication

#[tokio::test]
async fn requests_without_valid_credentials_are_401_whatever_the_path() {
    let sp = tenant(TENANT_SEED);
    for authorization in [
        None,
        Some(basic(DEFAULT_API_KEY_ID, "wrong")),
        Some(basic("WRONGKEY", DEFAULT_API_KEY_SECRET)),
        Some("Basic not-base64!".to_owned()),
        Some(format!("Bearer {DEFAULT_API_KEY_SECRET}")),
        Some("SAuthc1 sauthc1Id=x".to_owned()),
        Some("Basic".to_owned()),
    ] {
        for path in [format!("/v1/accounts/{HAN}"), "/v1/nowhere".to_owned()] {
            let mut req = Request::get(&path);
            if let Some(value) = &authorization {
                req = req.header("authorization", value);
            }
            let res = send(&sp, req.body(Body::empty()).expect("request")).await;
            res.assert_unauthenticated();
            assert_eq!(res.headers.get("www-authenticate"), None);
        }
    }
}

/// A test-side SAuthc1 signer written after the Python SDK (`stormpath/auth.py`): headers sorted
/// by name, the raw query with `+`, `*` and `%7E` replaced.
struct Signer<'a> {
    id: &'a str,
    secret: &'a str,
    timestamp: &'a str,
    nonce: &'a str,
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Signer<'_> {
    /// The `Authorization` value for a request whose other headers are `headers` (name, value),
    /// `Host` and `X-Stormpath-Date` included.
    fn authorization(&self, method: &str, path: &str, query: &str, headers: &[(&str, &str)], body: &[u8]) -> String {
        let date = &self.timestamp[..8];
        let mut sorted: Vec<(String, &str)> = headers.iter().map(|(n, v)| (n.to_ascii_lowercase(), *v)).collect();
        sorted.sort();
        let canonical_headers: String = sorted.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
        let signed: Vec<&str> = sorted.iter().map(|(n, _)| n.as_str()).collect();
        let signed = signed.join(";");
        let encode = |s: &str| s.replace('+', "%20").replace('*', "%2A").replace("%7E", "~");
        let canonical_request = [
            method,
            &encode(path),
            &encode(query),
            &canonical_headers,
            &signed,
            &hex(&Sha256::digest(body)),
        ]
        .join("\n");
        let id = format!("{}/{date}/{}/sauthc1_request", self.id, self.nonce);
        let string_to_sign = [
            "HMAC-SHA-256",
            self.timestamp,
            &id,
            &hex(&Sha256::digest(canonical_request.as_bytes())),
        ]
        .join("\n");
        let k_date = hmac(format!("SAuthc1{}", self.secret).as_bytes(), date.as_bytes());
        let k_nonce = hmac(&k_date, self.nonce.as_bytes());
        let k_signing = hmac(&k_nonce, b"sauthc1_request");
        let signature = hex(&hmac(&k_signing, string_to_sign.as_bytes()));
        format!("SAuthc1 sauthc1Id={id}, sauthc1SignedHeaders={signed}, sauthc1Signature={signature}")
    }
}

fn signed_request(
    method: &str,
    path_and_query: &str,
    authorization: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Request<Body> {
    let mut req = Request::builder().method(method).uri(path_and_query);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.header("authorization", authorization)
        .body(Body::from(body.to_vec()))
        .expect("request")
}

#[tokio::test]
async fn the_published_sauthc1_test_vectors_authenticate() {
    // Python SDK tests/test_auth.py and .NET SAuthc1RequestAuthenticator_tests.cs: GET
    // https://api.stormpath.com/v1/ signed by MyId / Shush! at 2013-07-01T00:00:00Z.
    let sp = Stormpath::new(Kit::deterministic(
        Clock::manual("2013-07-01T00:00:00Z".parse().expect("time")),
        1,
    ));
    seed(
        &sp,
        "settings: {api_key_id: MyId, api_key_secret: \"Shush!\", sauthc1_reject_replayed_nonces: false}\n",
    );
    let headers = [("host", "api.stormpath.com"), ("x-stormpath-date", "20130701T000000Z")];
    let vectors = [
        (
            "/v1/",
            "990a95aabbcbeb53e48fb721f73b75bd3ae025a2e86ad359d08558e1bbb9411c",
        ),
        (
            "/v1/directories?orderBy=name+asc",
            "fc04c5187cc017bbdf9c0bb743a52a9487ccb91c0996267988ceae3f10314176",
        ),
        (
            "/v1/applications/77JnfFiREjdfQH0SObMfjI/groups?q=group&limit=25&offset=25",
            "e30a62c0d03ca6cb422e66039786865f3eb6269400941ede6226760553a832d3",
        ),
    ];
    for (path, signature) in vectors {
        let authorization = format!(
            "SAuthc1 sauthc1Id=MyId/20130701/a43a9d25-ab06-421e-8605-33fd1e760825/sauthc1_request, \
             sauthc1SignedHeaders=host;x-stormpath-date, sauthc1Signature={signature}"
        );
        let res = send(&sp, signed_request("GET", path, &authorization, &headers, b"")).await;
        // Authenticated: the paths themselves are unknown to this tenant (404), not 401.
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}: {:#}", res.body);
        let tampered = authorization.replace("sauthc1Signature=", "sauthc1Signature=0");
        send(&sp, signed_request("GET", path, &tampered, &headers, b""))
            .await
            .assert_unauthenticated();
    }
    // Node SDK test/sp.auth.unit_test.js: six signed headers, GET /v1/tenants/current at
    // 2014-02-14T14:13:37Z (Python's signer as the source of truth).
    let sp = Stormpath::new(Kit::deterministic(
        Clock::manual("2014-02-14T14:13:37.351Z".parse().expect("time")),
        1,
    ));
    seed(
        &sp,
        "settings: {api_key_id: stormpath_apiKey_id, api_key_secret: stormpath_apiKey_secret}\n",
    );
    let headers = [
        ("accept", "application/json"),
        ("accept-encoding", "gzip, deflate, compress"),
        ("content-type", "application/json"),
        ("host", "api.stormpath.com"),
        ("user-agent", "Stormpath-PythonSDK/1.0.0.beta"),
        ("x-stormpath-date", "20140214T141337Z"),
    ];
    let authorization = "SAuthc1 sauthc1Id=stormpath_apiKey_id/20140214/3412d026-624e-4778-b02d-f9906f40fc4f/sauthc1_request, \
         sauthc1SignedHeaders=accept;accept-encoding;content-type;host;user-agent;x-stormpath-date, \
         sauthc1Signature=203e26a39bec66b145bce797c0672104e0c8d5a20847686841fa1e17b56875fb";
    let res = send(
        &sp,
        signed_request("GET", "/v1/tenants/current", authorization, &headers, b""),
    )
    .await;
    assert_eq!(res.status, StatusCode::FOUND, "{:#}", res.body);
    // on the host the request named (no TLS here: `http`)
    assert_eq!(
        res.header("location"),
        format!("http://api.stormpath.com/v1/tenants/{TENANT}")
    );
}

#[tokio::test]
async fn sauthc1_signs_bodies_and_queries_and_refuses_replays_skew_and_tampering() {
    let sp = tenant(TENANT_SEED);
    let signer = |nonce: &'static str, timestamp: &'static str| Signer {
        id: DEFAULT_API_KEY_ID,
        secret: DEFAULT_API_KEY_SECRET,
        timestamp,
        nonce,
    };
    let now = "20260101T000000Z";
    let body = attempt("first2shoot", "Change+me1").to_string();
    let path = format!("/v1/applications/{APP}/loginAttempts");
    let headers = [
        ("content-type", "application/json"),
        ("host", "api.stormpath.com"),
        ("x-stormpath-date", now),
    ];
    let authorization =
        signer("0b8a5e1c-58a4-4d6a-9f43-6c1c2a0c9a01", now).authorization("POST", &path, "", &headers, body.as_bytes());
    let ok = send(
        &sp,
        signed_request("POST", &path, &authorization, &headers, body.as_bytes()),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{:#}", ok.body);
    // The same nonce again.
    send(
        &sp,
        signed_request("POST", &path, &authorization, &headers, body.as_bytes()),
    )
    .await
    .assert_unauthenticated();
    // A different body under the same signature.
    let other =
        signer("1b8a5e1c-58a4-4d6a-9f43-6c1c2a0c9a01", now).authorization("POST", &path, "", &headers, body.as_bytes());
    let forged = attempt("first2shoot", "guess").to_string();
    send(&sp, signed_request("POST", &path, &other, &headers, forged.as_bytes()))
        .await
        .assert_unauthenticated();

    let query = "q=han&orderBy=surname+desc&limit=5";
    let get_headers = [("host", "localhost"), ("x-stormpath-date", "20260101T001000Z")];
    let listing = signer("2b8a5e1c-58a4-4d6a-9f43-6c1c2a0c9a01", "20260101T001000Z").authorization(
        "GET",
        &format!("/v1/applications/{APP}/accounts"),
        query,
        &get_headers,
        b"",
    );
    let res = send(
        &sp,
        signed_request(
            "GET",
            &format!("/v1/applications/{APP}/accounts?{query}"),
            &listing,
            &get_headers,
            b"",
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(res.body["size"], 1);

    // Sixteen minutes off the mock clock.
    let late = [("host", "localhost"), ("x-stormpath-date", "20260101T001600Z")];
    let skewed = signer("3b8a5e1c-58a4-4d6a-9f43-6c1c2a0c9a01", "20260101T001600Z").authorization(
        "GET",
        &format!("/v1/accounts/{HAN}"),
        "",
        &late,
        b"",
    );
    send(
        &sp,
        signed_request("GET", &format!("/v1/accounts/{HAN}"), &skewed, &late, b""),
    )
    .await
    .assert_unauthenticated();

    // The date must be signed.
    let host_only = [("host", "localhost")];
    let unsigned_date = signer("4b8a5e1c-58a4-4d6a-9f43-6c1c2a0c9a01", now).authorization(
        "GET",
        &format!("/v1/accounts/{HAN}"),
        "",
        &host_only,
        b"",
    );
    let mut with_date = host_only.to_vec();
    with_date.push(("x-stormpath-date", now));
    send(
        &sp,
        signed_request("GET", &format!("/v1/accounts/{HAN}"), &unsigned_date, &with_date, b""),
    )
    .await
    .assert_unauthenticated();

    // A wrong secret.
    let wrong = Signer {
        id: DEFAULT_API_KEY_ID,
        secret: "not-the-secret",
        timestamp: now,
        nonce: "5b8a5e1c-58a4-4d6a-9f43-6c1c2a0c9a01",
    }
    .authorization("GET", &format!("/v1/accounts/{HAN}"), "", &with_date, b"");
    send(
        &sp,
        signed_request("GET", &format!("/v1/accounts/{HAN}"), &wrong, &with_date, b""),
    )
    .await
    .assert_unauthenticated();
}

#[tokio::test]
async fn node_sdk_style_signatures_put_the_query_in_the_path() {
    // The Node SDK signs `url.parse(url).path`, which keeps `?query`, and replaces only the
    // first `+` (String.replace with a string pattern).
    let sp = tenant(TENANT_SEED);
    let query = "q=a+b+c";
    let headers = [("host", "localhost"), ("x-stormpath-date", "20260101T000000Z")];
    let nonce = "6b8a5e1c-58a4-4d6a-9f43-6c1c2a0c9a01";
    let path = format!("/v1/applications/{APP}/accounts");
    let canonical_path = format!("{path}?q=a%20b+c");
    let canonical_request = [
        "GET",
        canonical_path.as_str(),
        "q=a%20b+c",
        "host:localhost\nx-stormpath-date:20260101T000000Z\n",
        "host;x-stormpath-date",
        &hex(&Sha256::digest(b"")),
    ]
    .join("\n");
    let id = format!("{DEFAULT_API_KEY_ID}/20260101/{nonce}/sauthc1_request");
    let string_to_sign = [
        "HMAC-SHA-256",
        "20260101T000000Z",
        &id,
        &hex(&Sha256::digest(canonical_request.as_bytes())),
    ]
    .join("\n");
    let k_date = hmac(format!("SAuthc1{DEFAULT_API_KEY_SECRET}").as_bytes(), b"20260101");
    let k_signing = hmac(&hmac(&k_date, nonce.as_bytes()), b"sauthc1_request");
    let signature = hex(&hmac(&k_signing, string_to_sign.as_bytes()));
    let authorization =
        format!("SAuthc1 sauthc1Id={id}, sauthc1SignedHeaders=host;x-stormpath-date, sauthc1Signature={signature}");
    let res = send(
        &sp,
        signed_request("GET", &format!("{path}?{query}"), &authorization, &headers, b""),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
}

// ---------------------------------------------------------------- accounts

#[tokio::test]
async fn an_account_has_every_field_in_the_reference_order() {
    let sp = tenant(TENANT_SEED);
    let res = send(&sp, get(&format!("/v1/accounts/{HAN}"))).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body, han_json());
    assert_eq!(keys(&res.body), keys(&han_json()));
    assert_eq!(res.header("content-type"), "application/json;charset=UTF-8");
    assert_eq!(sp.account(HAN), Some(han_json()));
    assert_eq!(sp.account_id("FIRST2SHOOT").as_deref(), Some(HAN));
}

#[tokio::test]
async fn unverified_accounts_link_their_verification_token() {
    let sp = tenant("accounts:\n  - {id: NewAccount000000000000A, email: new@example.com, status: UNVERIFIED}\n");
    let res = send(&sp, get("/v1/accounts/NewAccount000000000000A")).await;
    assert_eq!(res.body["status"], "UNVERIFIED");
    assert_eq!(res.body["emailVerificationStatus"], "UNVERIFIED");
    let token = res.body["emailVerificationToken"]["href"].as_str().expect("token link");
    assert!(
        token.starts_with(&format!("{BASE}/accounts/emailVerificationTokens/")),
        "{token}"
    );
    assert_eq!(res.body["passwordModifiedAt"], Value::Null);
    assert_eq!(res.body["fullName"], "");
}

#[tokio::test]
async fn expansions_replace_links_by_resources() {
    let sp = tenant(TENANT_SEED);
    let res = send(
        &sp,
        get(&format!(
            "/v1/accounts/{HAN}?expand=customData,directory,tenant,groups(offset:0,limit:10)"
        )),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    assert_eq!(
        res.body["customData"],
        json!({
            "href": format!("{BASE}/accounts/{HAN}/customData"),
            "createdAt": "2015-08-28T16:07:38.347Z",
            "modifiedAt": "2015-08-28T16:07:38.347Z",
            "favoriteColor": "beige",
            "ship": { "name": "Millennium Falcon", "parsecs": 12 },
        })
    );
    assert_eq!(res.body["directory"]["name"], "Ferry Users");
    assert_eq!(res.body["directory"]["href"], format!("{BASE}/directories/{DIR}"));
    assert_eq!(res.body["tenant"]["key"], "ferry-tenant");
    assert_eq!(
        res.body["groups"],
        json!({ "href": format!("{BASE}/accounts/{HAN}/groups"), "offset": 0, "limit": 10, "size": 0, "items": [] })
    );
    assert_eq!(
        res.body["groupMemberships"],
        link(&format!("accounts/{HAN}/groupMemberships"))
    );
    let text = "Unsupported Expand Property: 'apiKeys' cannot be expanded on this resource.";
    send(&sp, get(&format!("/v1/accounts/{HAN}?expand=apiKeys")))
        .await
        .assert_docs_error(2107, text, text);
}

#[tokio::test]
async fn custom_data_and_provider_data_have_their_own_resources() {
    let sp = tenant(TENANT_SEED);
    let res = send(&sp, get(&format!("/v1/accounts/{HAN}/customData"))).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        keys(&res.body),
        ["href", "createdAt", "modifiedAt", "favoriteColor", "ship"]
    );
    let provider = send(&sp, get(&format!("/v1/accounts/{LEIA}/providerData"))).await;
    assert_eq!(
        provider.body,
        json!({
            "href": format!("{BASE}/accounts/{LEIA}/providerData"),
            "createdAt": "2026-01-01T00:00:00.000Z",
            "modifiedAt": "2026-01-01T00:00:00.000Z",
            "providerId": "stormpath",
        })
    );
    let groups = send(&sp, get(&format!("/v1/accounts/{LEIA}/groups"))).await;
    assert_eq!(groups.body["size"], 0);
    let apps = send(&sp, get(&format!("/v1/accounts/{LEIA}/applications"))).await;
    assert_eq!(apps.body["items"][0]["href"], format!("{BASE}/applications/{APP}"));
    let text = "The requested resource does not exist.";
    for path in [
        "/v1/accounts/nobody".to_owned(),
        "/v1/accounts/nobody/customData".to_owned(),
        format!("/v1/accounts/{HAN}/password"),
        "/v1/accounts/%FF%FE".to_owned(),
    ] {
        send(&sp, get(&path))
            .await
            .assert_error(404, 404, text, text, "mailto:support@stormpath.com");
    }
}

// ---------------------------------------------------------------- collections and search

const CROWD: &str = r#"
settings: { bcrypt_cost: 4 }
accounts:
  - { id: JimBob00000000000000000A, email: jimbob@example.com, givenName: Jim, surname: Bob }
  - { id: Bob0000000000000000000A, email: bob@example.com, givenName: Bob, surname: Smith }
  - { id: Bobby000000000000000000A, email: robert@example.com, username: bobby, givenName: Robert, surname: Tables, status: DISABLED }
  - { id: Alice00000000000000000A, email: alice@example.com, givenName: Alice, surname: Bobson, customData: { plan: gold } }
  - { id: Carol00000000000000000A, email: carol@example.com, givenName: Carol, surname: Danvers }
"#;

fn ids(res: &Res) -> Vec<String> {
    res.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| {
            a["href"]
                .as_str()
                .unwrap_or_default()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn the_application_accounts_collection_pages_with_offset_and_limit() {
    let sp = tenant(CROWD);
    let path = format!("/v1/applications/{APP}/accounts");
    let res = send(&sp, get(&path)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(keys(&res.body), ["href", "offset", "limit", "size", "items"]);
    assert_eq!(res.body["href"], format!("{BASE}/applications/{APP}/accounts"));
    assert_eq!(
        (res.body["offset"].clone(), res.body["limit"].clone()),
        (json!(0), json!(25))
    );
    assert_eq!(res.body["size"], 5);
    assert_eq!(
        ids(&res),
        [
            "JimBob00000000000000000A",
            "Bob0000000000000000000A",
            "Bobby000000000000000000A",
            "Alice00000000000000000A",
            "Carol00000000000000000A"
        ],
        "creation order"
    );
    assert_eq!(
        res.body["items"][0]["customData"]["href"],
        format!("{BASE}/accounts/JimBob00000000000000000A/customData")
    );
    let page = send(&sp, get(&format!("{path}?offset=3&limit=2"))).await;
    assert_eq!(
        page.body["href"],
        format!("{BASE}/applications/{APP}/accounts"),
        "no query in the href"
    );
    assert_eq!(
        (page.body["offset"].clone(), page.body["limit"].clone()),
        (json!(3), json!(2))
    );
    assert_eq!(page.body["size"], 5, "size counts every match");
    assert_eq!(ids(&page), ["Alice00000000000000000A", "Carol00000000000000000A"]);
    let past = send(&sp, get(&format!("{path}?offset=99"))).await;
    assert_eq!(
        (past.body["size"].clone(), past.body["items"].clone()),
        (json!(5), json!([]))
    );
    seed(&sp, "settings: {collection_size: page}\n");
    let page = send(&sp, get(&format!("{path}?offset=3&limit=2"))).await;
    assert_eq!(page.body["size"], 2, "size: page counts the items");
    for (query, text) in [
        (
            "limit=101",
            "The 'limit' query parameter value '101' is invalid: the limit must be between 1 and 100.",
        ),
        (
            "limit=0",
            "The 'limit' query parameter value '0' is invalid: the limit must be between 1 and 100.",
        ),
        (
            "offset=-3",
            "The 'offset' query parameter value '-3' is invalid: expected a number of 0 or more.",
        ),
    ] {
        send(&sp, get(&format!("{path}?{query}")))
            .await
            .assert_docs_error(2103, text, text);
    }
}

#[tokio::test]
async fn q_matches_any_searchable_attribute_by_substring_ignoring_case() {
    let sp = tenant(CROWD);
    let path = format!("/v1/applications/{APP}/accounts");
    // The documented get_user's search: bob@example.com also finds jimbob@example.com, first.
    let res = send(&sp, get(&format!("{path}?q=bob%40example.com"))).await;
    assert_eq!(ids(&res), ["JimBob00000000000000000A", "Bob0000000000000000000A"]);
    assert_eq!(res.body["size"], 2);
    // "bob" is in emails, usernames, given names and surnames.
    let res = send(&sp, get(&format!("{path}?q=BOB"))).await;
    assert_eq!(
        ids(&res),
        [
            "JimBob00000000000000000A",
            "Bob0000000000000000000A",
            "Bobby000000000000000000A",
            "Alice00000000000000000A"
        ]
    );
    // Status and timestamps are searchable too.
    assert_eq!(send(&sp, get(&format!("{path}?q=disab"))).await.body["size"], 1);
    assert_eq!(send(&sp, get(&format!("{path}?q=2026-01-01T00"))).await.body["size"], 5);
    assert_eq!(send(&sp, get(&format!("{path}?q=nobody"))).await.body["size"], 0);
}

#[tokio::test]
async fn attribute_search_is_exact_unless_asterisks_say_otherwise() {
    let sp = tenant(CROWD);
    let path = format!("/v1/applications/{APP}/accounts");
    let found = |query: &'static str| {
        let sp = sp.clone();
        let path = path.clone();
        async move { ids(&send(&sp, get(&format!("{path}?{query}"))).await) }
    };
    assert_eq!(found("email=BOB%40example.com").await, ["Bob0000000000000000000A"]);
    assert_eq!(found("email=*bob%40example.com").await.len(), 2);
    assert_eq!(found("email=bob*").await, ["Bob0000000000000000000A"]);
    assert_eq!(
        found("surname=*bob*&givenName=alice").await,
        ["Alice00000000000000000A"]
    );
    assert_eq!(found("username=bobby").await, ["Bobby000000000000000000A"]);
    assert_eq!(found("status=disabled").await, ["Bobby000000000000000000A"]);
    assert_eq!(found("createdAt=2026-01").await.len(), 5);
    assert_eq!(found("createdAt=%5B2027-01-01%2C%5D").await.len(), 0);
    let text = "Unsupported Query Property: 'customData.plan' is not a queryable property of this collection.";
    send(&sp, get(&format!("{path}?customData.plan=gold")))
        .await
        .assert_docs_error(2105, text, text);
    let directory = send(
        &sp,
        get(&format!("/v1/directories/{DIR}/accounts?customData.plan=gold")),
    )
    .await;
    assert_eq!(
        ids(&directory),
        ["Alice00000000000000000A"],
        "Custom Data search on a directory"
    );
    let text = "The 'email' query parameter may only have a single value and cannot be specified more than once.";
    send(&sp, get(&format!("{path}?email=a&email=b")))
        .await
        .assert_docs_error(2102, text, text);
}

#[tokio::test]
async fn order_by_sorts_and_expand_applies_to_every_item() {
    let sp = tenant(CROWD);
    let path = format!("/v1/applications/{APP}/accounts");
    let res = send(
        &sp,
        get(&format!("{path}?orderBy=surname%20desc%2CgivenName&expand=customData")),
    )
    .await;
    assert_eq!(
        ids(&res),
        [
            "Bobby000000000000000000A",
            "Bob0000000000000000000A",
            "Carol00000000000000000A",
            "Alice00000000000000000A",
            "JimBob00000000000000000A"
        ]
    );
    assert_eq!(res.body["items"][3]["customData"]["plan"], "gold");
    let text = "The orderBy query parameter value contains an invalid order statement: 'surname sideways'.";
    send(&sp, get(&format!("{path}?orderBy=surname%20sideways")))
        .await
        .assert_docs_error(2104, text, text);
    let text = "Unsupported Order Property: 'password' cannot be used to sort this collection.";
    send(&sp, get(&format!("{path}?orderBy=password")))
        .await
        .assert_docs_error(2106, text, text);
}

// ---------------------------------------------------------------- tenant, application, directories

#[tokio::test]
async fn tenants_current_redirects_to_the_tenant() {
    let sp = tenant(TENANT_SEED);
    let res = send(&sp, get("/v1/tenants/current")).await;
    assert_eq!(res.status, StatusCode::FOUND);
    assert_eq!(res.header("location"), format!("{BASE}/tenants/{TENANT}"));
    assert_eq!(res.body, Value::Null);
    assert_uuid(res.header("stormpath-request-id"));
    let tenant = send(&sp, get(&format!("/v1/tenants/{TENANT}"))).await;
    assert_eq!(
        tenant.body,
        json!({
            "href": format!("{BASE}/tenants/{TENANT}"),
            "name": "ferry-tenant",
            "key": "ferry-tenant",
            "createdAt": "2026-01-01T00:00:00.000Z",
            "modifiedAt": "2026-01-01T00:00:00.000Z",
            "customData": link(&format!("tenants/{TENANT}/customData")),
            "organizations": link(&format!("tenants/{TENANT}/organizations")),
            "applications": link(&format!("tenants/{TENANT}/applications")),
            "directories": link(&format!("tenants/{TENANT}/directories")),
            "accounts": link(&format!("tenants/{TENANT}/accounts")),
            "agents": link(&format!("tenants/{TENANT}/agents")),
            "groups": link(&format!("tenants/{TENANT}/groups")),
            "idSites": link(&format!("tenants/{TENANT}/idSites")),
            "smtpServers": link(&format!("tenants/{TENANT}/smtpServers")),
        })
    );
    let apps = send(&sp, get(&format!("/v1/tenants/{TENANT}/applications"))).await;
    assert_eq!(apps.body["items"][0]["name"], "My Application");
    let accounts = send(&sp, get(&format!("/v1/tenants/{TENANT}/accounts?email=leia*"))).await;
    assert_eq!(ids(&accounts), [LEIA]);
    assert_eq!(
        send(&sp, get(&format!("/v1/tenants/{TENANT}/groups"))).await.body["size"],
        0
    );
    assert_eq!(
        send(&sp, get("/v1/tenants/someoneElse")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_application_links_its_stores_and_endpoints() {
    let sp = tenant(TENANT_SEED);
    let res = send(&sp, get(&format!("/v1/applications/{APP}"))).await;
    assert_eq!(res.status, StatusCode::OK);
    let mapping = send(&sp, get(&format!("/v1/applications/{APP}/accountStoreMappings"))).await;
    let mapping_href = mapping.body["items"][0]["href"].as_str().expect("mapping").to_owned();
    let app = |name: &str| link(&format!("applications/{APP}/{name}"));
    assert_eq!(
        res.body,
        json!({
            "href": format!("{BASE}/applications/{APP}"),
            "name": "My Application",
            "description": null,
            "status": "ENABLED",
            "createdAt": "2026-01-01T00:00:00.000Z",
            "modifiedAt": "2026-01-01T00:00:00.000Z",
            "tenant": link(&format!("tenants/{TENANT}")),
            "defaultAccountStoreMapping": { "href": mapping_href },
            "defaultGroupStoreMapping": { "href": mapping_href },
            "customData": app("customData"),
            "oAuthPolicy": link(&format!("oAuthPolicies/{APP}")),
            "accounts": app("accounts"),
            "groups": app("groups"),
            "accountStoreMappings": app("accountStoreMappings"),
            "loginAttempts": app("loginAttempts"),
            "passwordResetTokens": app("passwordResetTokens"),
            "apiKeys": app("apiKeys"),
            "verificationEmails": app("verificationEmails"),
            "authTokens": app("authTokens"),
        })
    );
    let path = mapping_href.trim_start_matches("http://localhost");
    let one = send(&sp, get(path)).await;
    assert_eq!(
        one.body,
        json!({
            "href": mapping_href,
            "listIndex": 0,
            "isDefaultAccountStore": true,
            "isDefaultGroupStore": true,
            "application": link(&format!("applications/{APP}")),
            "accountStore": link(&format!("directories/{DIR}")),
        })
    );
    let expanded = send(
        &sp,
        get(&format!(
            "/v1/applications/{APP}?expand=tenant,accounts(offset:1,limit:1)"
        )),
    )
    .await;
    assert_eq!(expanded.body["tenant"]["name"], "ferry-tenant");
    assert_eq!(
        ids(&Res {
            body: expanded.body["accounts"].clone(),
            ..expanded
        }),
        [LEIA]
    );
    let directory = send(&sp, get(&format!("/v1/directories/{DIR}?expand=provider"))).await;
    assert_eq!(directory.body["name"], "Ferry Users");
    assert_eq!(directory.body["provider"]["providerId"], "stormpath");
    assert_eq!(
        keys(&directory.body),
        [
            "href",
            "name",
            "description",
            "status",
            "createdAt",
            "modifiedAt",
            "tenant",
            "provider",
            "customData",
            "passwordPolicy",
            "accountCreationPolicy",
            "accounts",
            "applicationMappings",
            "applications",
            "groups",
            "organizations",
            "organizationMappings"
        ]
    );
    let accounts = send(&sp, get(&format!("/v1/directories/{DIR}/accounts?limit=1"))).await;
    assert_eq!(ids(&accounts), [HAN]);
}

// ---------------------------------------------------------------- limits and faults

#[tokio::test]
async fn the_optional_rate_limit_answers_429_in_stormpaths_shape() {
    let sp = tenant("settings: {rate_limit_per_second: 2}\n");
    assert_eq!(
        send(&sp, get(&format!("/v1/applications/{APP}"))).await.status,
        StatusCode::OK
    );
    assert_eq!(
        send(&sp, get(&format!("/v1/applications/{APP}"))).await.status,
        StatusCode::OK
    );
    let res = send(&sp, get(&format!("/v1/applications/{APP}"))).await;
    let text = "Your application is sending too many simultaneous requests.";
    res.assert_error(429, 429, text, text, "mailto:support@stormpath.com");
    assert_eq!(res.headers.get("retry-after"), None);
    sp.kit().clock.advance(std::time::Duration::from_secs(1));
    assert_eq!(
        send(&sp, get(&format!("/v1/applications/{APP}"))).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn injected_faults_answer_the_error_resource() {
    let sp = tenant(TENANT_SEED);
    sp.kit().faults.add(mocks::FaultRule {
        method: Some("POST".into()),
        path: "/v1/applications/*/loginAttempts".into(),
        nth: 1,
        times: Some(1),
        fault: mocks::Fault::Status { status: 500 },
    });
    let text = "We could not create or update the resource. Please try again.";
    login(&sp, "first2shoot", "Change+me1")
        .await
        .assert_error(500, 500, text, text, "mailto:support@stormpath.com");
    assert_eq!(login(&sp, "first2shoot", "Change+me1").await.status, StatusCode::OK);
    let text = "We are temporarily unable to service the request. Please wait for a bit and try again.";
    let res = sp.fault_response(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = serde_json::from_slice(&res.into_body().collect().await.expect("body").to_bytes()).expect("json");
    assert_eq!(
        (body["code"].clone(), body["message"].clone()),
        (json!(503), json!(text))
    );
}

#[tokio::test]
async fn the_journal_masks_the_login_value_and_the_api_key() {
    let sp = tenant(TENANT_SEED);
    login(&sp, "first2shoot", "Change+me1").await;
    let entry = sp.kit().journal.entries().pop().expect("journaled");
    assert_eq!(entry.header("authorization"), Some("Basic [masked]"));
    let body = entry.json().expect("json body");
    assert_eq!(body, json!({ "type": "basic", "value": "[masked]" }));
}

// ---------------------------------------------------------------- variables, state, seeds

#[tokio::test]
async fn variables_name_what_a_script_needs_and_state_hides_secrets() {
    let sp = tenant(TENANT_SEED);
    let vars: std::collections::BTreeMap<String, String> = sp.variables().into_iter().collect();
    assert_eq!(vars["application_id"], APP);
    assert_eq!(vars["application_href"], format!("{BASE}/applications/{APP}"));
    assert_eq!(vars["api_key_id"], DEFAULT_API_KEY_ID);
    assert_eq!(vars["api_key_secret"], DEFAULT_API_KEY_SECRET);
    assert_eq!(vars["directory_id"], DIR);
    let state = sp.state().to_string();
    assert!(!state.contains(DEFAULT_API_KEY_SECRET), "{state}");
    assert!(!state.contains("$2a$"), "no hashes in the state: {state}");
    assert!(state.contains("\"password\":\"bcrypt\""), "{state}");
}

#[tokio::test]
async fn seeding_an_existing_id_replaces_the_account_and_reset_forgets_it() {
    let sp = tenant(TENANT_SEED);
    seed(
        &sp,
        &format!("accounts:\n  - {{id: {HAN}, email: han@falcon.example, givenName: Captain}}\n"),
    );
    let res = send(&sp, get(&format!("/v1/accounts/{HAN}"))).await;
    assert_eq!(res.body["email"], "han@falcon.example");
    assert_eq!(res.body["username"], "han@falcon.example");
    assert_eq!(res.body["fullName"], "Captain");
    assert_eq!(login(&sp, "first2shoot", "Change+me1").await.body["code"], 7104);
    sp.reset();
    assert_eq!(
        send(&sp, get(&format!("/v1/accounts/{HAN}"))).await.status,
        StatusCode::NOT_FOUND
    );
}

// ---------------------------------------------------------------- export

#[tokio::test]
async fn the_export_has_one_file_per_resource_with_password_hashes() {
    let sp = tenant(TENANT_SEED);
    let files = sp.export_files();
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let mapping = send(&sp, get(&format!("/v1/applications/{APP}/accountStoreMappings"))).await;
    let mapping_id = mapping.body["items"][0]["href"]
        .as_str()
        .and_then(|h| h.rsplit('/').next())
        .expect("mapping id")
        .to_owned();
    assert_eq!(
        paths,
        [
            format!("{TENANT}/accountStoreMappings/{mapping_id}.json"),
            format!("{TENANT}/accounts/{DIR}/{LEIA}.json"),
            format!("{TENANT}/accounts/{DIR}/{HAN}.json"),
            format!("{TENANT}/applications/{APP}.json"),
            format!("{TENANT}/directories/{DIR}.json"),
            format!("{TENANT}/providers/{DIR}.json"),
        ]
    );
    let han_file = files
        .iter()
        .find(|f| f.path.ends_with(&format!("{HAN}.json")))
        .expect("han");
    assert!(han_file.bytes.ends_with(b"}\n"), "pretty-printed with a final newline");
    let han: Value = serde_json::from_slice(&han_file.bytes).expect("json");
    let password = han["password"].as_str().expect("hash").to_owned();
    assert!(password.starts_with("$2a$04$") && password.len() == 60, "{password}");
    let mut expected = json!({ "id": HAN });
    for (key, value) in han_json().as_object().expect("object") {
        expected[key] = value.clone();
    }
    expected["customData"] = json!({
        "id": HAN,
        "href": format!("{BASE}/accounts/{HAN}/customData"),
        "createdAt": "2015-08-28T16:07:38.347Z",
        "modifiedAt": "2015-08-28T16:07:38.347Z",
        "favoriteColor": "beige",
        "ship": { "name": "Millennium Falcon", "parsecs": 12 },
    });
    expected["directory"] = json!({ "id": DIR, "href": format!("{BASE}/directories/{DIR}"), "name": "Ferry Users" });
    expected["password"] = json!(password);
    assert_eq!(han, expected);
    let reference = han_json();
    let mut han_keys = vec!["id"];
    han_keys.extend(keys(&reference));
    han_keys.push("password");
    assert_eq!(keys(&han), han_keys);

    let provider: Value = serde_json::from_slice(
        &files
            .iter()
            .find(|f| f.path.contains("/providers/"))
            .expect("provider")
            .bytes,
    )
    .expect("json");
    assert_eq!(provider["providerId"], "stormpath");
    assert_eq!(provider["directory"]["id"], DIR);

    seed(
        &sp,
        "settings: {export_layout: flat}\naccounts: [{email: nohash@example.com, id: NoHash0000000000000000A}]\n",
    );
    let flat = sp.export_files();
    let account_paths: Vec<&str> = flat
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| p.contains("/accounts/"))
        .collect();
    assert_eq!(
        account_paths,
        [
            format!("{TENANT}/accounts/{LEIA}.json"),
            format!("{TENANT}/accounts/{HAN}.json"),
            format!("{TENANT}/accounts/NoHash0000000000000000A.json"),
        ]
    );
    let nohash: Value =
        serde_json::from_slice(&flat.iter().find(|f| f.path.contains("NoHash")).expect("file").bytes).expect("json");
    assert_eq!(nohash.get("password"), None, "no password field without a password");
}

#[tokio::test]
async fn the_export_is_served_from_admin_routes_without_credentials() {
    let sp = tenant(TENANT_SEED);
    let list = send(
        &sp,
        Request::get("/__ferry/export").body(Body::empty()).expect("request"),
    )
    .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["tenant"], TENANT);
    assert_eq!(list.body["layout"], "nested");
    let files = list.body["files"].as_array().expect("files");
    assert_eq!(files.len(), 6);
    let path = format!("{TENANT}/accounts/{DIR}/{HAN}.json");
    let entry = files.iter().find(|f| f["path"] == path.as_str()).expect("listed");
    let one = send(
        &sp,
        Request::get(format!("/__ferry/export/{path}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.header("content-type"), "application/json;charset=UTF-8");
    assert_eq!(one.body["email"], "han@newrepublic.gov");
    assert_eq!(
        entry["bytes"].as_u64(),
        Some(serde_json::to_vec_pretty(&one.body).expect("json").len() as u64 + 1)
    );
    let missing = send(
        &sp,
        Request::get("/__ferry/export/nope.json")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["error"], "not_found");
    assert!(sp.kit().journal.is_empty(), "admin routes are not journaled");
}

// ---------------------------------------------------------------- on a socket

#[tokio::test]
async fn on_a_socket_hrefs_use_the_bound_address_and_the_redirect_is_followable() {
    let sp = tenant(TENANT_SEED);
    let server = mocks::start(sp.clone(), mocks::LOOPBACK_EPHEMERAL).await.expect("bind");
    let base = server.base_url().to_owned();
    let client = sandbox::net::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let res = client
        .get(format!("{base}/v1/tenants/current"))
        .basic_auth(DEFAULT_API_KEY_ID, Some(DEFAULT_API_KEY_SECRET))
        .send()
        .await
        .expect("answer");
    assert_eq!(res.status().as_u16(), 302);
    let location = res.headers()["location"].to_str().expect("ascii").to_owned();
    assert_eq!(location, format!("{base}/v1/tenants/{TENANT}"));
    let res = client
        .post(format!("{base}/v1/applications/{APP}/loginAttempts"))
        .basic_auth(DEFAULT_API_KEY_ID, Some(DEFAULT_API_KEY_SECRET))
        .json(&attempt("first2shoot", "Change+me1"))
        .send()
        .await
        .expect("answer");
    assert_eq!(res.headers()["content-type"], "application/json;charset=UTF-8");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["account"]["href"], format!("{base}/v1/accounts/{HAN}"));
    let state = sp.state();
    assert_eq!(state["requests_by_ip"]["127.0.0.1"], 2);
    server.shutdown().await;
}

#[tokio::test]
async fn runs_are_deterministic() {
    let a = tenant(CROWD);
    let b = tenant(CROWD);
    assert_eq!(a.export_files(), b.export_files());
    let ra = login(&a, "bob@example.com", "x").await;
    let rb = login(&b, "bob@example.com", "x").await;
    assert_eq!(ra.body, rb.body);
}

#[tokio::test]
async fn odd_input_never_panics_or_answers_500() {
    let sp = tenant(CROWD);
    let app = format!("/v1/applications/{APP}");
    let queries = [
        "limit=99999999999999999999999",
        "offset=18446744073709551616",
        "createdAt=262143-12-31",
        "createdAt=%5B%2C%5D",
        "createdAt=(2015",
        "modifiedAt=%5B2015-01-01T25%3A00%2C%5D",
        "passwordModifiedAt=2015-02-30",
        "expand=groups((offset:1)",
        "expand=groups(offset:1)(limit:2)",
        "expand=,,,",
        "orderBy=",
        "orderBy=%2C%2C",
        "q=%F0%9F%92%A5",
        "q=%FF",
        "email=*",
        "email=**",
        "%FF=%FF",
        "&&&=&",
    ];
    for query in queries {
        let res = send(&sp, get(&format!("{app}/accounts?{query}"))).await;
        assert!(res.status.as_u16() < 500, "{query}: {:#}", res.body);
        if res.status != StatusCode::OK {
            assert_eq!(res.body["status"], res.status.as_u16(), "{query}: {:#}", res.body);
        }
    }
    let paths = [
        "/v1/accounts/%2e%2e%2f%2e%2e",
        "/v1/accounts/x/y/z",
        "/v1//accounts",
        "/v1/applications/%00/accounts",
        "/v1/directories/%E2%82%AC/accounts",
        "/v1/tenants/current/accounts",
        "/v2/accounts",
        "/",
    ];
    for path in paths {
        let res = send(&sp, get(path)).await;
        assert!(res.status.is_client_error(), "{path}: {} {:#}", res.status, res.body);
    }
    for body in [
        "",
        "null",
        "[]",
        "\"basic\"",
        "{\"type\": null, \"value\": null}",
        "{\"type\": 7}",
    ] {
        let req = Request::post(format!("{app}/loginAttempts"))
            .header("authorization", default_auth())
            .header("content-type", "application/json; charset=utf-8")
            .body(Body::from(body))
            .expect("request");
        let res = send(&sp, req).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{body}: {:#}", res.body);
    }
    let huge = "x".repeat(100_000);
    let res = login(&sp, &huge, &huge).await;
    assert_eq!(res.body["code"], 7104);
    let res = send(
        &sp,
        Request::get(format!("/v1/accounts/{HAN}"))
            .header("authorization", format!("SAuthc1 {huge}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
}
