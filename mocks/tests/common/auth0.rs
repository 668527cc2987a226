//! Helpers shared by the mock Auth0's test binaries (`auth0.rs`, `auth0_management.rs`,
//! `auth0_jobs.rs`, `auth0_robustness.rs`, `auth0_tickets.rs`), through `mod common;`.
//!
//! Every tenant here runs on a manual clock at 2026-01-01T00:00:00.000Z with ids seeded from 1,
//! and is called through its router (`mocks::app(..).oneshot(..)`): no socket, no port, and
//! the base URL is `http://localhost`, so the issuer is `http://localhost/` and the Management
//! API audience `http://localhost/api/v2/`.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use mocks::auth0::seed::Auth0Seed;
use mocks::auth0::{Auth0, MANAGEMENT_APP};
use mocks::{Clock, Kit, Provider};
use ring::signature::{
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_2048_8192_SHA512, RSA_PSS_2048_8192_SHA256, RsaParameters,
    RsaPublicKeyComponents,
};
use serde_json::{Value, json};
use sha2::Sha256;

/// 2026-01-01T00:00:00Z, where every tenant's clock stands.
pub(crate) const EPOCH_SECS: i64 = 1_767_225_600;
/// The Management API audience of a tenant without a domain, called through its router.
pub(crate) const AUDIENCE: &str = "http://localhost/api/v2/";
pub(crate) const ISSUER: &str = "http://localhost/";
pub(crate) const PASSWORD_REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";
pub(crate) const WRONG_CREDENTIALS: &str = "Wrong email or password.";

pub(crate) fn kit() -> Kit {
    Kit::deterministic(Clock::manual(Clock::scenario_epoch()), 1)
}

/// A tenant seeded from YAML (see `mocks::auth0::seed`), its rate limits lifted: these tests
/// make many Management API calls at one instant of the manual clock, which Auth0's tiers
/// would refuse; `auth0_limits.rs` tests the limits themselves. A seed can set them again.
pub(crate) fn tenant(yaml: &str) -> Auth0 {
    let auth0 = Auth0::new(kit());
    seed(&auth0, "settings: { rate_limits: off }");
    seed(&auth0, yaml);
    auth0
}

pub(crate) fn seed(auth0: &Auth0, yaml: &str) {
    let seed: Auth0Seed = mocks::kit::seed::parse(yaml, None).expect("test seed parses");
    auth0.seed(seed).expect("test seed is valid");
}

/// An answer of the tenant ([`super::Answer`]), with the assertions of Auth0's error shapes.
pub(crate) type Res = super::Answer;

impl super::Answer {
    /// Asserts an Authentication API error: status and the exact `{error, error_description}`.
    #[track_caller]
    pub(crate) fn assert_oauth(&self, status: u16, error: &str, description: &str) {
        assert_eq!(self.status.as_u16(), status, "{:#}", self.body);
        assert_eq!(
            self.body,
            json!({ "error": error, "error_description": description }),
            "{:#}",
            self.body
        );
        assert_eq!(self.header("content-type"), "application/json");
    }

    /// Asserts a Management API error: status and the exact `{statusCode, error, message,
    /// errorCode?}`.
    #[track_caller]
    pub(crate) fn assert_api(&self, status: u16, message: &str, code: Option<&str>) {
        assert_eq!(self.status.as_u16(), status, "{:#}", self.body);
        let mut expected = json!({
            "statusCode": status,
            "error": self.status.canonical_reason().expect("a known status"),
            "message": message,
        });
        if let Some(code) = code {
            expected["errorCode"] = json!(code);
        }
        assert_eq!(self.body, expected, "{:#}", self.body);
        assert_eq!(self.header("content-type"), "application/json");
    }

    /// Asserts a `/dbconnections/*` error: `{name, code, description, statusCode}`.
    #[track_caller]
    pub(crate) fn assert_db(&self, status: u16, name: &str, code: &str, description: &str) {
        assert_eq!(self.status.as_u16(), status, "{:#}", self.body);
        assert_eq!(
            self.body,
            json!({ "name": name, "code": code, "description": description, "statusCode": status }),
            "{:#}",
            self.body
        );
    }

    /// The string `field` of the body; fails the test when it is absent or not a string.
    pub(crate) fn expect_str(&self, field: &str) -> String {
        self.body[field]
            .as_str()
            .unwrap_or_else(|| panic!("no string {field} in {:#}", self.body))
            .to_owned()
    }
}

pub(crate) async fn send(auth0: &Auth0, req: Request<Body>) -> Res {
    send_to(mocks::app(auth0.clone()), req).await
}

/// Sends through an application built once (`mocks::app`), for tests sending thousands of
/// requests.
pub(crate) async fn send_to(app: axum::Router, req: Request<Body>) -> Res {
    super::call(app, req).await
}

/// A form-encoded POST.
pub(crate) fn form(path: &str, pairs: &[(&str, &str)]) -> Request<Body> {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("request")
}

/// A JSON request, with a bearer token when given.
pub(crate) fn json_req(method: Method, path: &str, body: &Value, token: Option<&str>) -> Request<Body> {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    req.body(Body::from(body.to_string())).expect("request")
}

/// A bodiless request with a bearer token.
pub(crate) fn bearer(method: Method, path: &str, token: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request")
}

pub(crate) fn get(path: &str, token: &str) -> Request<Body> {
    bearer(Method::GET, path, token)
}

pub(crate) fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

/// A client-credentials token of the built-in management application (every scope).
pub(crate) async fn management_token(auth0: &Auth0) -> String {
    let (id, secret) = auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    client_token(auth0, &id, &secret, None).await
}

/// A Management API token for a client, with an optional scope request.
pub(crate) async fn client_token(auth0: &Auth0, id: &str, secret: &str, scope: Option<&str>) -> String {
    let mut pairs = vec![
        ("grant_type", "client_credentials"),
        ("client_id", id),
        ("client_secret", secret),
        ("audience", AUDIENCE),
    ];
    if let Some(scope) = scope {
        pairs.push(("scope", scope));
    }
    let res = send(auth0, form("/oauth/token", &pairs)).await;
    assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
    res.expect_str("access_token")
}

/// A password-realm login.
pub(crate) async fn login(auth0: &Auth0, client: (&str, &str), realm: &str, username: &str, password: &str) -> Res {
    send(
        auth0,
        form(
            "/oauth/token",
            &[
                ("grant_type", PASSWORD_REALM),
                ("client_id", client.0),
                ("client_secret", client.1),
                ("realm", realm),
                ("username", username),
                ("password", password),
            ],
        ),
    )
    .await
}

/// The claims of a token the tenant issued, after checking its RS256 signature against the key
/// `/.well-known/jwks.json` publishes (the `kid` of the header picks it). Times are checked by
/// the callers, against the manual clock.
pub(crate) async fn verified_claims(auth0: &Auth0, token: &str) -> Value {
    let (alg, kid) = jwt_header(token);
    assert_eq!(alg, "RS256");
    let jwk = published_key(auth0, &kid.expect("a kid")).await;
    rsa_verified(token, &jwk, "RS256").expect("the signature verifies")
}

// The tests' own reading of JWTs (RFC 7515 compact form, RFC 7518 algorithms), independent of
// the mock's code: parts split and decoded here, signatures checked with ring from the JWKS's
// `n` and `e` (RS256, RS512, PS256) or with HMAC-SHA256 from the secret (HS256).

const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A JWT's parts: header and claims (JSON), the text the signature covers, the signature.
struct Jwt {
    header: Value,
    claims: Value,
    signed: String,
    signature: Vec<u8>,
}

fn jwt(token: &str) -> Jwt {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT of three parts: {token}");
    let json = |part: &str| -> Value {
        serde_json::from_slice(&B64URL.decode(part).expect("base64url")).expect("a JSON part")
    };
    Jwt {
        header: json(parts[0]),
        claims: json(parts[1]),
        signed: format!("{}.{}", parts[0], parts[1]),
        signature: B64URL.decode(parts[2]).expect("a base64url signature"),
    }
}

/// A JWT header's `alg` and `kid`.
pub(crate) fn jwt_header(token: &str) -> (String, Option<String>) {
    let header = jwt(token).header;
    let alg = header["alg"].as_str().expect("an alg").to_owned();
    (alg, header["kid"].as_str().map(str::to_owned))
}

/// The key of `kid` in the tenant's `/.well-known/jwks.json`.
pub(crate) async fn published_key(auth0: &Auth0, kid: &str) -> Value {
    let jwks = send(
        auth0,
        Request::get("/.well-known/jwks.json")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(jwks.status, StatusCode::OK);
    let keys = jwks.body["keys"].as_array().expect("a JWK set").clone();
    keys.into_iter()
        .find(|k| k["kid"] == kid)
        .unwrap_or_else(|| panic!("the kid {kid} is published"))
}

/// The claims of a JWT whose header names `alg` (RS256, RS512 or PS256) and whose signature
/// verifies with the RSA key `jwk`; `None` if the signature does not verify.
pub(crate) fn rsa_verified(token: &str, jwk: &Value, alg: &str) -> Option<Value> {
    let jwt = jwt(token);
    assert_eq!(jwt.header["alg"], alg, "the header's alg");
    assert_eq!(jwk["kty"], "RSA", "an RSA key: {jwk}");
    let component = |name: &str| B64URL.decode(jwk[name].as_str().expect("n and e")).expect("base64url");
    let key = RsaPublicKeyComponents {
        n: component("n"),
        e: component("e"),
    };
    let params: &RsaParameters = match alg {
        "RS256" => &RSA_PKCS1_2048_8192_SHA256,
        "RS512" => &RSA_PKCS1_2048_8192_SHA512,
        "PS256" => &RSA_PSS_2048_8192_SHA256,
        other => panic!("not an RSA algorithm the mock signs with: {other}"),
    };
    key.verify(params, jwt.signed.as_bytes(), &jwt.signature)
        .ok()
        .map(|()| jwt.claims)
}

/// The claims of a JWT whose header names HS256 and whose signature `secret` verifies; `None`
/// if it does not.
pub(crate) fn hs256_verified(token: &str, secret: &[u8]) -> Option<Value> {
    let jwt = jwt(token);
    assert_eq!(jwt.header["alg"], "HS256", "the header's alg");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(jwt.signed.as_bytes());
    mac.verify_slice(&jwt.signature).ok().map(|()| jwt.claims)
}

/// The `sub` that `/userinfo` answers for an access token (opaque or a JWT), which must be good.
pub(crate) async fn userinfo_sub(auth0: &Auth0, token: &str) -> String {
    let res = send(auth0, get("/userinfo", token)).await;
    assert_eq!(
        res.status,
        StatusCode::OK,
        "/userinfo refused the token: {:#}",
        res.body
    );
    res.body["sub"].as_str().expect("a sub").to_owned()
}

/// A part of a multipart body: name, file name (for a file), bytes.
pub(crate) type Part<'a> = (&'a str, Option<&'a str>, &'a [u8]);

/// A multipart body; returns the content type and the body.
pub(crate) fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    const BOUNDARY: &str = "ferry-boundary-7MA4YWxkTrZu0gW";
    let mut body = vec![];
    for (name, file, bytes) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some(file) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/json\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// `POST /api/v2/jobs/users-imports` with a users file and form fields.
pub(crate) async fn import(auth0: &Auth0, token: &str, users: &[u8], fields: &[(&str, &str)]) -> Res {
    let mut parts: Vec<Part<'_>> = vec![("users", Some("users.json"), users)];
    for (name, value) in fields {
        parts.push((name, None, value.as_bytes()));
    }
    let (content_type, body) = multipart(&parts);
    send(
        auth0,
        Request::post("/api/v2/jobs/users-imports")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", content_type)
            .body(Body::from(body))
            .expect("request"),
    )
    .await
}

/// Reads a job until it has finished, moving the tenant's manual clock a second between two
/// reads (jobs take the time Auth0's take, in the mock clock's time); on a system clock, 5 ms
/// of wall time.
pub(crate) async fn finished_job(auth0: &Auth0, token: &str, id: &str) -> Value {
    for _ in 0..4_000 {
        let res = send(auth0, get(&format!("/api/v2/jobs/{id}"), token)).await;
        assert_eq!(res.status, StatusCode::OK, "{:#}", res.body);
        if !matches!(res.body["status"].as_str(), Some("pending" | "processing")) {
            return res.body;
        }
        if !auth0.kit().clock.advance(Duration::from_secs(1)) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    panic!("job {id} did not finish within 4,000 reads");
}
