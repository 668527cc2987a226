//! `POST /oauth/token` and the tokens it issues.
//!
//! Grants: `client_credentials` (Management API tokens), `password` (the tenant's default
//! directory) and `http://auth0.com/oauth/grant-type/password-realm`. Bodies may be form or
//! JSON, and clients may authenticate in the body or with HTTP Basic, as on Auth0. Access tokens
//! are RS256 JWTs signed with the mock's published test key (see `keys/README.md`), verifiable
//! through `/.well-known/jwks.json`; their times come from the mock clock. ID tokens are signed
//! as the application's `jwt_configuration.alg` says: RS256 (default) or PS256 with that key,
//! HS256 with the client secret (FIDELITY `auth0/id-token-alg`). As on Auth0, an access token
//! whose only audience is `/userinfo` (a user's login without `audience`) is opaque: a JWE
//! (`alg: dir`, `enc: A256GCM`, the issuer in its header) sealed with a key only this mock
//! holds, good for `/userinfo` and nothing else.
//!
//! **Where the tenant says it is** ([`Auth0::origin`], the one place): with a tenant domain set,
//! `https://{domain}` whatever address reached the mock (the tenant is that domain; a client
//! that reaches the mock another way routes the name to it, as the SDK tests do). Without one,
//! the scheme and host the request came in by — its `Host` header, and `X-Forwarded-Proto`
//! (or the listener's own scheme) — as Auth0 answers on each of a tenant's domains (a custom
//! domain's tokens carry the custom domain as issuer). The token issuer, the discovery
//! document's `issuer` and every URL in it, and the audiences the mock accepts for its own
//! Management API and `/userinfo` all come from it, so they always agree (FIDELITY
//! `auth0/issuer`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::SystemRandom;
use ring::signature::{
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RSA_PKCS1_SHA512, RSA_PSS_SHA256, RsaEncoding, RsaKeyPair,
    RsaPublicKeyComponents,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;

use super::Auth0;
use super::authenticate::LoginEnd;
use super::error::OAuthError;
use super::mfa::{self, MfaPolicy};
use super::model::{Client, GRANT_PASSWORD_REALM, SigningAlg, StoredUser};
use crate::kit::{PeerAddr, RequestOrigin};

const SIGNING_KEY: &[u8] = include_bytes!("keys/signing-key.pem");
const JWKS: &str = include_str!("keys/jwks.json");

/// The header of an HS256 ID token, byte for byte what `jsonwebtoken::Header::new(HS256)`
/// serialised to when the mock signed with that crate (`typ`, then `alg`; no `kid`).
const HS256_HEADER: &str = r#"{"typ":"JWT","alg":"HS256"}"#;

/// The signing keys.
#[derive(Clone)]
pub(crate) struct Keys {
    /// The JWT header every token carries (`alg`, `kid`), already base64url-encoded.
    header: String,
    /// The public half of the signing key, as the JWKS publishes it (`n`, `e`): what tokens
    /// are verified against. `None` if the JWKS cannot be read (a build defect).
    public: Option<Arc<RsaPublicKeyComponents<Vec<u8>>>>,
    kid: String,
    /// Seals and opens opaque access tokens; random for each mock tenant.
    opaque: Option<Arc<LessSafeKey>>,
    /// JWTs whose signature checked out, with their claims: a client sends the same
    /// Management API token with every call, and checking an RSA signature is most of what a
    /// cheap call costs (`ferry bench okta-authn`, row 1d). The key never changes, so a token
    /// that verified once always does; time and audience are still checked on every call.
    verified: Arc<std::sync::RwLock<HashMap<String, Claims>>>,
}

/// Verified tokens kept at most; the cache is emptied when it is full (tokens are reused in
/// runs, rarely more than a few at a time).
const VERIFIED_TOKENS: usize = 256;

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl Keys {
    pub(crate) fn load() -> Self {
        // The key files are part of the crate; failing to parse them is a build defect that
        // the crate's tests catch, so a broken key yields tokens nobody can verify rather than
        // a panic in a running mock.
        let jwk = serde_json::from_str::<Value>(JWKS)
            .ok()
            .map(|v| v["keys"][0].clone())
            .unwrap_or_default();
        let kid = jwk["kid"].as_str().unwrap_or_default().to_owned();
        let component = |name: &str| jwk[name].as_str().and_then(|v| B64URL.decode(v).ok());
        let public = component("n")
            .zip(component("e"))
            .map(|(n, e)| Arc::new(RsaPublicKeyComponents { n, e }));
        let header = B64URL.encode(json!({ "typ": "JWT", "alg": "RS256", "kid": kid }).to_string());
        // From the thread's generator (rand's, a CSPRNG seeded from the system).
        let mut secret = [0u8; 32];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut secret);
        let opaque = UnboundKey::new(&AES_256_GCM, &secret)
            .ok()
            .map(|key| Arc::new(LessSafeKey::new(key)));
        Self {
            header,
            public,
            kid,
            opaque,
            verified: Arc::default(),
        }
    }

    pub(crate) fn jwks() -> Value {
        serde_json::from_str(JWKS).unwrap_or_else(|_| json!({ "keys": [] }))
    }

    /// An RS256 JWT of these claims; empty if the claims cannot be serialised or the key is
    /// broken (a build defect the crate's tests catch), so a running mock never panics over it.
    pub(crate) fn sign(&self, claims: &impl Serialize) -> String {
        self.sign_rsa(&self.header, &RSA_PKCS1_SHA256, claims)
    }

    fn sign_rsa(&self, header: &str, padding: &'static dyn RsaEncoding, claims: &impl Serialize) -> String {
        let (Some(key), Ok(payload)) = (signing_key(), serde_json::to_vec(claims)) else {
            return String::new();
        };
        let mut token = format!("{header}.{}", B64URL.encode(payload));
        let mut signature = vec![0; key.public().modulus_len()];
        if key
            .sign(padding, &SystemRandom::new(), token.as_bytes(), &mut signature)
            .is_err()
        {
            return String::new();
        }
        token.push('.');
        token.push_str(&B64URL.encode(signature));
        token
    }

    /// An ID token for `client`: signed as its `jwt_configuration.alg` says — RS256, RS512 or
    /// PS256 with the tenant's key (`kid` in the header), HS256 with the client secret (no
    /// `kid`, as there is no key to find). Empty if signing fails.
    pub(crate) fn sign_id_token(&self, client: &Client, claims: &impl Serialize) -> String {
        let rsa_header = |alg: &str| B64URL.encode(json!({ "typ": "JWT", "alg": alg, "kid": self.kid }).to_string());
        match client.jwt_configuration.alg {
            SigningAlg::RS256 => self.sign(claims),
            SigningAlg::RS512 => self.sign_rsa(&rsa_header("RS512"), &RSA_PKCS1_SHA512, claims),
            SigningAlg::PS256 => self.sign_rsa(&rsa_header("PS256"), &RSA_PSS_SHA256, claims),
            SigningAlg::HS256 => sign_hs256(client.client_secret.as_bytes(), claims),
        }
    }

    /// An opaque access token for these claims, in the shape Auth0's take: a compact JWE with
    /// a direct key (`header..iv.ciphertext.tag`). Empty if sealing fails.
    pub(crate) fn seal(&self, issuer: &str, claims: &Claims) -> String {
        let (Some(key), Ok(mut payload)) = (&self.opaque, serde_json::to_vec(claims)) else {
            return String::new();
        };
        let header = B64URL.encode(json!({ "alg": "dir", "enc": "A256GCM", "iss": issuer }).to_string());
        let mut iv = [0u8; NONCE_LEN];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut iv);
        let Ok(tag) = key.seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(iv),
            Aad::from(header.as_bytes()),
            &mut payload,
        ) else {
            return String::new();
        };
        format!(
            "{header}..{}.{}.{}",
            B64URL.encode(iv),
            B64URL.encode(&payload),
            B64URL.encode(tag.as_ref())
        )
    }

    /// The claims of an opaque token this mock sealed; `None` for anything else.
    fn open(&self, token: &str) -> Option<Claims> {
        let key = self.opaque.as_ref()?;
        let mut parts = token.split('.');
        let (header, empty, iv, ciphertext, tag) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        if parts.next().is_some() || !empty.is_empty() {
            return None;
        }
        let iv: [u8; NONCE_LEN] = B64URL.decode(iv).ok()?.try_into().ok()?;
        let mut sealed = B64URL.decode(ciphertext).ok()?;
        sealed.extend(B64URL.decode(tag).ok()?);
        let plain = key
            .open_in_place(
                Nonce::assume_unique_for_key(iv),
                Aad::from(header.as_bytes()),
                &mut sealed,
            )
            .ok()?;
        serde_json::from_slice(plain).ok()
    }

    /// The claims of an access token this mock issued, opaque or a JWT (signature checked; the
    /// caller checks time and audience against the mock clock).
    pub(crate) fn access_claims(&self, token: &str) -> Option<Claims> {
        if token.split('.').count() == 5 {
            self.open(token)
        } else {
            self.verify(token)
        }
    }

    /// The claims of an RS256 JWT signed with the tenant's key: three base64url parts, a
    /// header whose `alg` is `RS256` (anything else, `none` and HS256 included, is refused),
    /// the signature checked against the published key. Verifies the signature only; the
    /// caller checks time and audience against the mock clock.
    pub(crate) fn verify(&self, token: &str) -> Option<Claims> {
        if let Some(claims) = self.verified.read().unwrap_or_else(PoisonError::into_inner).get(token) {
            return Some(claims.clone());
        }
        let claims = self.verify_signature(token)?;
        let mut verified = self.verified.write().unwrap_or_else(PoisonError::into_inner);
        if verified.len() >= VERIFIED_TOKENS {
            verified.clear();
        }
        verified.insert(token.to_owned(), claims.clone());
        Some(claims)
    }

    /// [`Keys::verify`] without the cache.
    fn verify_signature(&self, token: &str) -> Option<Claims> {
        let public = self.public.as_ref()?;
        let (signed, signature) = token.rsplit_once('.')?;
        let (header, payload) = signed.split_once('.')?;
        if payload.contains('.') {
            return None;
        }
        let header: JwtHeader = serde_json::from_slice(&B64URL.decode(header).ok()?).ok()?;
        if header.alg != "RS256" {
            return None;
        }
        let signature = B64URL.decode(signature).ok()?;
        public
            .verify(&RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &signature)
            .ok()?;
        serde_json::from_slice(&B64URL.decode(payload).ok()?).ok()
    }
}

/// What [`Keys::verify`] reads of a JWT header (its other members are not checked).
#[derive(Deserialize)]
struct JwtHeader {
    alg: String,
}

/// An HS256 JWT of these claims, keyed with `secret`; empty if the claims cannot be serialised.
fn sign_hs256(secret: &[u8], claims: &impl Serialize) -> String {
    let Ok(payload) = serde_json::to_vec(claims) else {
        return String::new();
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    let token = format!("{}.{}", B64URL.encode(HS256_HEADER), B64URL.encode(payload));
    mac.update(token.as_bytes());
    format!("{token}.{}", B64URL.encode(mac.finalize().into_bytes()))
}

const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The private key, parsed (and checked) on first use and kept for the process: parsing costs
/// about as much as a signature, and a mock's start should not pay it.
fn signing_key() -> Option<&'static RsaKeyPair> {
    static KEY: std::sync::OnceLock<Option<RsaKeyPair>> = std::sync::OnceLock::new();
    KEY.get_or_init(|| pem_der(SIGNING_KEY).and_then(|der| RsaKeyPair::from_der(&der).ok()))
        .as_ref()
}

/// The DER body of a PEM file.
fn pem_der(pem: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(pem).ok()?;
    let body: String = text
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .map(str::trim)
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// Claims of the tokens the mock issues.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct Claims {
    pub(crate) iss: String,
    pub(crate) sub: String,
    pub(crate) aud: Value,
    pub(crate) iat: i64,
    pub(crate) exp: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) azp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) gty: Option<String>,
}

impl Claims {
    pub(crate) fn audiences(&self) -> Vec<&str> {
        match &self.aud {
            Value::String(a) => vec![a.as_str()],
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        }
    }

    pub(crate) fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.split_whitespace()
    }
}

/// The request parameters, from a form or a JSON body.
pub(crate) fn parameters(headers: &HeaderMap, body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.contains("application/json") {
        let value: Value =
            serde_json::from_slice(body).map_err(|_| OAuthError::invalid_request("Invalid JSON body"))?;
        let Value::Object(map) = value else {
            return Err(OAuthError::invalid_request("Invalid JSON body"));
        };
        Ok(map
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
            .collect())
    } else {
        Ok(form_urlencoded::parse(body).into_owned().collect())
    }
}

/// The client credentials of a request: from the body, or from an HTTP Basic header.
fn client_credentials(headers: &HeaderMap, params: &HashMap<String, String>) -> (Option<String>, Option<String>) {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(id, secret)| (id.to_owned(), secret.to_owned())));
    match basic {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (params.get("client_id").cloned(), params.get("client_secret").cloned()),
    }
}

/// Authenticates the client: unknown ids, wrong secrets and a missing secret of a confidential
/// application all answer 401 `access_denied`. Only single-page and native applications are
/// public (Auth0's token endpoint authentication method `none`); regular web and
/// machine-to-machine applications authenticate with their secret whatever the grant.
fn authenticate_client(
    auth0: &Auth0,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
    grant: &str,
) -> Result<Client, OAuthError> {
    let (client_id, secret) = client_credentials(headers, params);
    let Some(client_id) = client_id.filter(|c| !c.is_empty()) else {
        return Err(OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "access_denied",
            "Unauthorized",
        ));
    };
    let client = auth0.with_tenant(|t| t.client(&client_id).cloned());
    let Some(client) = client else {
        return Err(OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "access_denied",
            "Unauthorized",
        ));
    };
    let confidential = !matches!(client.app_type.as_str(), "spa" | "native") || grant == "client_credentials";
    match secret {
        Some(secret) if secret != client.client_secret => Err(OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "access_denied",
            "Unauthorized",
        )),
        None if confidential => Err(OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "access_denied",
            "Unauthorized",
        )),
        _ => Ok(client),
    }
}

pub(crate) async fn token_create(
    State(auth0): State<Auth0>,
    PeerAddr(peer): PeerAddr,
    origin: RequestOrigin,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // tokens name the host the client asked, as Auth0's do for a custom domain
    let issuer = auth0.issuer_at(&origin);
    match token(&auth0, &issuer, peer, &headers, &body).await {
        Ok(body) => (
            StatusCode::OK,
            [(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")],
            Json(body),
        )
            .into_response(),
        Err(Refused::OAuth(e)) => e.into_response(),
        Err(Refused::Answer(response)) => response,
    }
}

/// Why `/oauth/token` gave no tokens: an OAuth error, or an answer of its own (`mfa_required`
/// carries more than `error` and `error_description`).
enum Refused {
    OAuth(OAuthError),
    Answer(Response),
}

impl From<OAuthError> for Refused {
    fn from(e: OAuthError) -> Self {
        Refused::OAuth(e)
    }
}

async fn token(
    auth0: &Auth0,
    issuer: &str,
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, Refused> {
    let params = parameters(headers, body)?;
    let grant = params.get("grant_type").map(String::as_str).unwrap_or("");
    if grant.is_empty() {
        return Err(OAuthError::invalid_request("Missing required parameter: grant_type").into());
    }
    if !matches!(
        grant,
        "client_credentials" | "password" | "refresh_token" | GRANT_PASSWORD_REALM
    ) {
        return Err(OAuthError::new(
            StatusCode::FORBIDDEN,
            "unsupported_grant_type",
            format!("Unsupported grant type: {grant}"),
        )
        .into());
    }
    let client = authenticate_client(auth0, headers, &params, grant)?;
    if !client.allows_grant(grant) {
        return Err(OAuthError::new(
            StatusCode::FORBIDDEN,
            "unauthorized_client",
            format!("Grant type '{grant}' not allowed for the client."),
        )
        .into());
    }
    if grant == "client_credentials" {
        return Ok(client_credentials_grant(auth0, issuer, &client, &params)?);
    }
    if grant == "refresh_token" {
        return Ok(refresh_token_grant(auth0, issuer, &client, &params)?);
    }
    password_grant(auth0, issuer, &client, grant, &params, headers, peer).await
}

fn client_credentials_grant(
    auth0: &Auth0,
    issuer: &str,
    client: &Client,
    params: &HashMap<String, String>,
) -> Result<Value, OAuthError> {
    let Some(audience) = params.get("audience").filter(|a| !a.is_empty()) else {
        return Err(OAuthError::new(
            StatusCode::FORBIDDEN,
            "access_denied",
            "No audience parameter was provided, and no default audience has been configured",
        ));
    };
    if !auth0.is_management_audience(audience, issuer) {
        return Err(OAuthError::new(
            StatusCode::FORBIDDEN,
            "access_denied",
            format!("Service not found: {audience}"),
        ));
    }
    if client.management_scopes.is_empty() {
        return Err(OAuthError::new(
            StatusCode::FORBIDDEN,
            "access_denied",
            format!(
                "Client is not authorized to access \"{audience}\". You need to create a \"client-grant\" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants"
            ),
        ));
    }
    let granted: Vec<&str> = match params.get("scope").filter(|s| !s.trim().is_empty()) {
        Some(requested) => requested
            .split_whitespace()
            .filter(|s| client.management_scopes.iter().any(|g| g == s))
            .collect(),
        None => client.management_scopes.iter().map(String::as_str).collect(),
    };
    let scope = granted.join(" ");
    let now = auth0.kit().clock.now().timestamp();
    let lifetime = auth0.with_tenant(|t| t.settings.token_lifetime);
    let claims = Claims {
        iss: issuer.to_owned(),
        sub: format!("{}@clients", client.client_id),
        aud: json!(audience),
        iat: now,
        exp: now + lifetime,
        scope: scope.clone(),
        azp: Some(client.client_id.clone()),
        gty: Some("client-credentials".into()),
    };
    Ok(json!({
        "access_token": auth0.keys().sign(&claims),
        "expires_in": lifetime,
        "scope": scope,
        "token_type": "Bearer",
    }))
}

async fn password_grant(
    auth0: &Auth0,
    issuer: &str,
    client: &Client,
    grant: &str,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> Result<Value, Refused> {
    let username = params.get("username").filter(|u| !u.is_empty());
    let password = params.get("password").filter(|p| !p.is_empty());
    let Some(username) = username else {
        return Err(OAuthError::invalid_request("missing username parameter").into());
    };
    let Some(password) = password else {
        return Err(OAuthError::invalid_request("missing password parameter").into());
    };
    let realm = if grant == GRANT_PASSWORD_REALM {
        match params.get("realm").filter(|r| !r.is_empty()) {
            Some(realm) => realm.clone(),
            None => return Err(OAuthError::invalid_request("missing realm parameter").into()),
        }
    } else {
        match auth0.with_tenant(|t| t.settings.default_directory.clone()) {
            Some(directory) => directory,
            None => {
                return Err(OAuthError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "Authorization server not configured with default connection.",
                )
                .into());
            }
        }
    };
    // A realm is a connection that takes passwords: another strategy's connection is no realm
    // (FIDELITY `auth0/login-connection`).
    let connection = auth0.with_tenant(|t| t.connection(&realm).filter(|c| c.is_database()).cloned());
    let Some(connection) = connection else {
        return Err(OAuthError::invalid_request("the connection was not found").into());
    };
    if !connection.is_enabled_for(&client.client_id) {
        return Err(OAuthError::invalid_request("the connection was disabled").into());
    }
    // Trusted apps may forward the end user's address; otherwise the caller's is used.
    let ip = headers
        .get("auth0-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').next().unwrap_or(v).trim().to_owned())
        .or_else(|| peer.map(|p| p.ip().to_string()))
        .unwrap_or_else(|| "127.0.0.1".into());
    let end = if auth0.with_tenant(|t| t.settings.mfa_policy) == MfaPolicy::Never {
        LoginEnd::Complete
    } else {
        LoginEnd::SecondFactor
    };
    let user = auth0
        .authenticate_until(&connection, username, password, &ip, Some(&client.client_id), end)
        .await?;
    let scope = params.get("scope").map(String::as_str).unwrap_or_default();
    if let Some(answer) = mfa::required(auth0, issuer, client, &user, scope) {
        return Err(Refused::Answer(answer));
    }
    let audience = params.get("audience").map(String::as_str).filter(|a| !a.is_empty());
    let mut body = issue_user_tokens(auth0, issuer, client, &user, scope, audience, Some("password"));
    // `offline_access` asks for a refresh token; the application must allow the grant.
    if scope.split_whitespace().any(|s| s == "offline_access") && client.allows_grant("refresh_token") {
        let token = format!("v1.{}", auth0.kit().ids.token(96));
        let grant = RefreshGrant {
            user_id: user.user_id(),
            client_id: client.client_id.clone(),
            scope: scope.to_owned(),
            audience: audience.map(str::to_owned),
        };
        auth0.with_tenant(|t| t.refresh_tokens.insert(token.clone(), grant));
        body["refresh_token"] = json!(token);
    }
    Ok(body)
}

/// What a refresh token stands for: whose, for which application, and the grant it renews.
#[derive(Clone, Debug)]
pub(crate) struct RefreshGrant {
    pub(crate) user_id: String,
    pub(crate) client_id: String,
    pub(crate) scope: String,
    pub(crate) audience: Option<String>,
}

fn invalid_refresh_token() -> OAuthError {
    OAuthError::new(
        StatusCode::FORBIDDEN,
        "invalid_grant",
        "Unknown or invalid refresh token.",
    )
}

/// `grant_type=refresh_token`: new tokens for the grant a refresh token stands for, to the
/// application it was issued to, while its user exists and is not blocked. A `scope` may only
/// narrow the original one. The refresh token itself is not rotated.
fn refresh_token_grant(
    auth0: &Auth0,
    issuer: &str,
    client: &Client,
    params: &HashMap<String, String>,
) -> Result<Value, OAuthError> {
    let Some(token) = params.get("refresh_token").filter(|t| !t.is_empty()) else {
        return Err(OAuthError::invalid_request("Missing required parameter: refresh_token"));
    };
    // The grant a refresh token stands for, if it is this application's, and its user.
    let found = auth0.with_tenant(|t| {
        let grant = t
            .refresh_tokens
            .get(token)
            .filter(|g| g.client_id == client.client_id)?;
        Some((grant.clone(), t.user_by_id(&grant.user_id)?.clone()))
    });
    let result = match &found {
        Some((grant, user)) => renew(auth0, issuer, client, params, grant, user),
        None => Err(invalid_refresh_token()),
    };
    // Tenant log: `sertft` / `fertft`, the exchange of a refresh token for an access token.
    let (kind, description) = match &result {
        Ok(_) => (
            "sertft",
            "Successful exchange of Refresh Token for Access Token".to_owned(),
        ),
        Err(e) => ("fertft", e.description.clone()),
    };
    let user = found.as_ref().map(|(_, user)| user);
    let event = super::logs::LogEvent {
        connection: user.map(|u| u.connection.clone()),
        connection_id: user.and_then(|u| auth0.with_tenant(|t| t.connection(&u.connection).map(|c| c.id.clone()))),
        client_id: Some(client.client_id.clone()),
        user_id: user.map(StoredUser::user_id),
        user_name: user.and_then(|u| u.email.clone()),
        ..auth0.new_log_event(kind, description)
    };
    auth0.with_tenant(|t| t.log(event));
    result
}

/// New tokens for a grant whose user is known: refused while the user is blocked, and for a
/// scope the grant does not hold.
fn renew(
    auth0: &Auth0,
    issuer: &str,
    client: &Client,
    params: &HashMap<String, String>,
    grant: &RefreshGrant,
    user: &StoredUser,
) -> Result<Value, OAuthError> {
    if user.blocked == Some(true) {
        return Err(OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "user is blocked",
        ));
    }
    let scope = match params.get("scope").filter(|s| !s.trim().is_empty()) {
        Some(asked) => {
            let granted: Vec<&str> = grant.scope.split_whitespace().collect();
            if let Some(extra) = asked.split_whitespace().find(|s| !granted.contains(s)) {
                return Err(OAuthError::new(
                    StatusCode::FORBIDDEN,
                    "invalid_scope",
                    format!("The scope {extra} was not granted with this refresh token."),
                ));
            }
            asked.clone()
        }
        None => grant.scope.clone(),
    };
    Ok(issue_user_tokens(
        auth0,
        issuer,
        client,
        user,
        &scope,
        grant.audience.as_deref(),
        None,
    ))
}

/// `POST /oauth/revoke`: revokes a refresh token of the calling application (RFC 7009: an
/// unknown token is not an error). The application authenticates as at `/oauth/token`.
pub(crate) async fn revoke_create(State(auth0): State<Auth0>, headers: HeaderMap, body: Bytes) -> Response {
    let revoked = (|| {
        let params = parameters(&headers, &body)?;
        let client = authenticate_client(&auth0, &headers, &params, "refresh_token")?;
        let Some(token) = params.get("token").filter(|t| !t.is_empty()) else {
            return Err(OAuthError::invalid_request("Missing required parameter: token"));
        };
        auth0.with_tenant(|t| {
            if t.refresh_tokens
                .get(token)
                .is_some_and(|g| g.client_id == client.client_id)
            {
                t.refresh_tokens.remove(token);
            }
        });
        Ok(())
    })();
    match revoked {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => e.into_response(),
    }
}

/// Access token (and ID token with `openid`) for a user who just logged in or refreshed.
fn issue_user_tokens(
    auth0: &Auth0,
    issuer: &str,
    client: &Client,
    user: &StoredUser,
    scope: &str,
    audience: Option<&str>,
    gty: Option<&str>,
) -> Value {
    let now = auth0.kit().clock.now().timestamp();
    let lifetime = auth0.with_tenant(|t| t.settings.token_lifetime);
    let issuer = issuer.to_owned();
    let scope = scope.to_owned();
    let mut audiences = vec![];
    if let Some(audience) = audience {
        audiences.push(json!(audience));
    }
    audiences.push(json!(format!("{issuer}userinfo")));
    let opaque = audiences.len() == 1;
    let access = Claims {
        iss: issuer.clone(),
        sub: user.user_id(),
        aud: Value::Array(audiences),
        iat: now,
        exp: now + lifetime,
        scope: scope.clone(),
        azp: Some(client.client_id.clone()),
        gty: gty.map(str::to_owned),
    };
    let mut body = json!({
        "access_token": if opaque { auth0.keys().seal(&issuer, &access) } else { auth0.keys().sign(&access) },
        "expires_in": lifetime,
        "token_type": "Bearer",
    });
    if !scope.is_empty() {
        body["scope"] = json!(scope);
    }
    if scope.split_whitespace().any(|s| s == "openid") {
        let profile = user.to_api();
        let mut claims = json!({
            "iss": issuer,
            "sub": user.user_id(),
            "aud": client.client_id,
            "iat": now,
            "exp": now + client.jwt_configuration.lifetime_in_seconds,
        });
        let scopes: Vec<&str> = scope.split_whitespace().collect();
        if scopes.contains(&"profile") {
            for key in ["name", "nickname", "picture", "given_name", "family_name", "updated_at"] {
                if let Some(v) = profile.get(key) {
                    claims[key] = v.clone();
                }
            }
        }
        if scopes.contains(&"email") {
            for key in ["email", "email_verified"] {
                if let Some(v) = profile.get(key) {
                    claims[key] = v.clone();
                }
            }
        }
        body["id_token"] = json!(auth0.keys().sign_id_token(client, &claims));
    }
    body
}

/// `GET /userinfo`: the OIDC claims of the user a bearer access token was issued for
/// (`updated_at` in Unix seconds here, unlike the Management API).
pub(crate) async fn userinfo_get(State(auth0): State<Auth0>, headers: HeaderMap) -> Response {
    let unauthorized = || {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
            "Unauthorized",
        )
            .into_response()
    };
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
    else {
        return unauthorized();
    };
    let Some(claims) = auth0.keys().access_claims(token) else {
        return unauthorized();
    };
    // The token names the issuer it was issued by (whichever of the tenant's addresses);
    // it was sealed or signed by this tenant, so that issuer is one of its own.
    let userinfo_audience = format!("{}userinfo", claims.iss);
    if claims.exp <= auth0.kit().clock.now().timestamp() || !claims.audiences().contains(&userinfo_audience.as_str()) {
        return unauthorized();
    }
    let Some(user) = auth0.with_tenant(|t| t.user_by_id(&claims.sub).cloned()) else {
        return unauthorized();
    };
    let profile = user.to_api();
    let mut info = json!({ "sub": user.user_id() });
    for key in [
        "name",
        "nickname",
        "picture",
        "given_name",
        "family_name",
        "email",
        "email_verified",
    ] {
        if let Some(v) = profile.get(key) {
            info[key] = v.clone();
        }
    }
    info["updated_at"] = json!(user.updated_at.timestamp());
    Json(info).into_response()
}

pub(crate) async fn jwks_get() -> Json<Value> {
    Json(Keys::jwks())
}

/// `GET /.well-known/openid-configuration`, on the scheme and host the client used: the issuer
/// and every URL agree on them (an OIDC client checks the issuer against the address it asked,
/// then fetches the JWKS it names).
pub(crate) async fn openid_configuration_get(State(auth0): State<Auth0>, origin: RequestOrigin) -> Json<Value> {
    let issuer = auth0.issuer_at(&origin);
    // the issuer without its slash: the tenant's domain when it has one, else the address used
    let base = issuer.trim_end_matches('/').to_owned();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "userinfo_endpoint": format!("{base}/userinfo"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "response_types_supported": ["code", "token", "id_token", "code token", "code id_token", "token id_token", "code token id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": SigningAlg::ALL.map(SigningAlg::as_str),
        "scopes_supported": ["openid", "profile", "offline_access", "name", "given_name", "family_name", "nickname", "email", "email_verified", "picture", "created_at", "identities", "phone", "address"],
        "grant_types_supported": ["authorization_code", "client_credentials", "password", "refresh_token", GRANT_PASSWORD_REALM],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            iss: "https://ferry.auth0.com/".into(),
            sub: "auth0|1".into(),
            aud: json!("x"),
            iat: 1,
            exp: 2,
            scope: "read:users".into(),
            azp: None,
            gty: None,
        }
    }

    fn encode_json(value: &Value) -> String {
        B64URL.encode(value.to_string())
    }

    #[test]
    fn the_committed_key_signs_and_verifies() {
        let keys = Keys::load();
        let token = keys.sign(&claims());
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(keys.verify(&token), Some(claims()));
        assert_eq!(keys.verify("not.a.token"), None);
    }

    /// A token that verified is remembered by its exact text: the same token verifies again
    /// (from the cache), and one differing by a byte is still checked, and refused.
    #[test]
    fn verified_tokens_are_remembered_by_their_exact_text() {
        let keys = Keys::load();
        let token = keys.sign(&claims());
        assert_eq!(keys.verify(&token), Some(claims()));
        assert!(keys.verified.read().expect("lock").contains_key(&token));
        assert_eq!(keys.verify(&token), Some(claims()));
        let (signed, signature) = token.rsplit_once('.').expect("three parts");
        let mut forged = signature.as_bytes().to_vec();
        forged[10] = if forged[10] == b'A' { b'B' } else { b'A' };
        let forged = format!("{signed}.{}", String::from_utf8(forged).expect("base64url"));
        assert_eq!(keys.verify(&forged), None);
        let other_claims =
            B64URL.encode(json!({"iss": "x", "sub": "admin", "aud": "x", "iat": 0, "exp": i64::MAX}).to_string());
        let (header, _) = signed.split_once('.').expect("header");
        assert_eq!(keys.verify(&format!("{header}.{other_claims}.{signature}")), None);
        // refusals are not remembered; the cache stays bounded
        assert_eq!(keys.verified.read().expect("lock").len(), 1);
        for i in 0..VERIFIED_TOKENS + 3 {
            let mut c = claims();
            c.iat = i as i64;
            assert!(keys.verify(&keys.sign(&c)).is_some());
        }
        assert!(keys.verified.read().expect("lock").len() <= VERIFIED_TOKENS);
    }

    /// The private key, the JWKS the mock publishes (and verifies with) and the public key
    /// file are one key.
    #[test]
    fn the_key_files_agree() {
        let key = signing_key().expect("the committed private key parses");
        let from_private = RsaPublicKeyComponents::<Vec<u8>>::from(key.public());
        let published = Keys::load().public.expect("the JWKS names n and e");
        assert_eq!(published.n, from_private.n);
        assert_eq!(published.e, from_private.e);
        // an SPKI ends with the PKCS#1 RSAPublicKey it wraps
        let spki = pem_der(include_bytes!("keys/signing-key.pub.pem")).expect("the public key file");
        assert!(spki.ends_with(key.public().as_ref()));
    }

    #[test]
    fn verify_refuses_what_the_key_did_not_sign_as_rs256() {
        let keys = Keys::load();
        let token = keys.sign(&claims());
        let parts: Vec<&str> = token.split('.').collect();
        let (header, payload, signature) = (parts[0], parts[1], parts[2]);
        assert_eq!(keys.verify(&token), Some(claims()));

        // a payload changed under the same signature
        let other = Claims {
            sub: "auth0|2".into(),
            ..claims()
        };
        let forged = B64URL.encode(serde_json::to_vec(&other).expect("claims"));
        assert_eq!(keys.verify(&format!("{header}.{forged}.{signature}")), None);
        // one bit of the signature flipped
        let mut flipped = B64URL.decode(signature).expect("signature");
        flipped[10] ^= 1;
        assert_eq!(
            keys.verify(&format!("{header}.{payload}.{}", B64URL.encode(flipped))),
            None
        );

        // the algorithm named in the header is RS256 and nothing else
        let kid = &keys.kid;
        for alg in ["none", "HS256", "RS512", "PS256", "rs256"] {
            let other_header = encode_json(&json!({ "typ": "JWT", "alg": alg, "kid": kid }));
            assert_eq!(
                keys.verify(&format!("{other_header}.{payload}.{signature}")),
                None,
                "{alg}"
            );
            assert_eq!(keys.verify(&format!("{other_header}.{payload}.")), None, "{alg}");
        }
        assert_eq!(
            keys.verify(&format!(
                "{}.{payload}.{signature}",
                encode_json(&json!({ "typ": "JWT" }))
            )),
            None
        );
        // HS256 keyed with the public modulus (the algorithm confusion attack)
        let hs256 = sign_hs256(&keys.public.as_ref().expect("public key").n, &claims());
        assert_eq!(keys.verify(&hs256), None);
        // RS512 and PS256 signatures by the same key are ID tokens, never access tokens
        let rs512 = keys.sign_rsa(&encode_json(&json!({ "alg": "RS512" })), &RSA_PKCS1_SHA512, &claims());
        assert_eq!(keys.verify(&rs512), None);
        let relabelled = format!("{header}.{}", rs512.split_once('.').expect("parts").1);
        assert_eq!(keys.verify(&relabelled), None);

        // truncated, extended and malformed tokens
        assert_eq!(keys.verify(&token[..token.len() - 1]), None);
        assert_eq!(keys.verify(&format!("{header}.{payload}")), None);
        assert_eq!(keys.verify(&format!("{header}.{payload}.")), None);
        assert_eq!(keys.verify(&format!("{token}.{signature}")), None);
        assert_eq!(keys.verify(&format!("{token}=")), None);
        for garbage in [
            "",
            ".",
            "..",
            "...",
            "a.b.c",
            "not a token",
            "\u{0}.\u{0}.\u{0}",
            "é.é.é",
        ] {
            assert_eq!(keys.verify(garbage), None, "{garbage:?}");
        }
        // a header that is not JSON, and claims that are not the claims
        assert_eq!(
            keys.verify(&format!("{}.{payload}.{signature}", B64URL.encode("RS256"))),
            None
        );
        let not_claims = keys.sign(&json!({ "sub": "auth0|1" }));
        assert_eq!(not_claims.split('.').count(), 3);
        assert_eq!(keys.verify(&not_claims), None);
    }

    #[test]
    fn hs256_id_tokens_are_keyed_with_the_client_secret() {
        let token = sign_hs256(b"the client secret", &claims());
        let (signed, signature) = token.rsplit_once('.').expect("three parts");
        let (header, payload) = signed.split_once('.').expect("three parts");
        assert_eq!(
            B64URL.decode(header).expect("header"),
            br#"{"typ":"JWT","alg":"HS256"}"#
        );
        assert_eq!(
            serde_json::from_slice::<Claims>(&B64URL.decode(payload).expect("payload")).expect("claims"),
            claims()
        );
        // checked with another implementation of HMAC-SHA256 (ring's)
        let signature = B64URL.decode(signature).expect("signature");
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"the client secret");
        assert!(ring::hmac::verify(&key, signed.as_bytes(), &signature).is_ok());
        let wrong = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"another secret");
        assert!(ring::hmac::verify(&wrong, signed.as_bytes(), &signature).is_err());
        // and the mock's own verification, which takes RS256 only, refuses it
        assert_eq!(Keys::load().verify(&token), None);
    }

    /// The exact token jsonwebtoken 11 (`encode` with `Header::new(Algorithm::HS256)`) made
    /// for these claims and secret, when the mock signed HS256 ID tokens with it.
    #[test]
    fn hs256_id_tokens_are_the_bytes_jsonwebtoken_made() {
        let claims = json!({ "iss": "https://ferry.auth0.com/", "sub": "auth0|1", "aud": "app", "iat": 1, "exp": 2, "name": "Zoë" });
        assert_eq!(
            sign_hs256(b"secret", &claims),
            "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.\
             eyJpc3MiOiJodHRwczovL2ZlcnJ5LmF1dGgwLmNvbS8iLCJzdWIiOiJhdXRoMHwxIiwiYXVkIjoiYXBwIiwiaWF0IjoxLCJleHAiOjIsIm5hbWUiOiJab8OrIn0.\
             ytagGhwdmORh88TLzQQwCwnuxD5qknadP5j7sabwi_Q"
        );
    }
}
