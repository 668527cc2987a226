//! The journal never keeps a secret in the clear, whatever shape the request is in: bodies cut
//! at the journal's limit (inside a secret, too), malformed JSON, huge JSON, forms, multipart,
//! nested secrets, secret names in any case or spelled with escapes, JSON inside strings, and
//! the same in query strings and headers. Each request goes through a mock's whole application
//! (`mocks::app`), as a client's would.
//! Run with `cargo test -p mocks --test journal_masking`.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use mocks::auth0::{Auth0, MANAGEMENT_APP};
use mocks::kit::journal::{BODY_LIMIT, JournalEntry};
use mocks::okta::Okta;
use mocks::{Clock, Kit, Provider};
use serde_json::{Value, json};
use tower::ServiceExt;

/// The secret every hostile request below carries, in one spelling or another.
const SECRET: &str = "Sup3r-S3cret-Pa55";

fn kit() -> Kit {
    Kit::deterministic(Clock::manual(Clock::scenario_epoch()), 7)
}

async fn send<P: Provider>(provider: &P, request: Request<Body>) -> (StatusCode, String) {
    let answer = mocks::app(provider.clone()).oneshot(request).await.expect("infallible");
    let status = answer.status();
    let body = answer.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn post(path: &str, content_type: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut request = Request::builder().method(Method::POST).uri(path);
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    request.body(body.into()).expect("request")
}

/// The last journal entry, serialised as the dashboard and `/__ferry/journal` show it.
fn last_entry<P: Provider>(provider: &P) -> (JournalEntry, String) {
    let entry = provider.kit().journal.entries().pop().expect("journaled");
    let shown = serde_json::to_string(&entry).expect("serialises");
    (entry, shown)
}

/// Sends `body` to the mock Okta's authn (it refuses what is not valid, which does not matter
/// here: every request is journaled) and checks the journal does not hold the secret, nor any
/// run of 6 of its characters.
async fn assert_masked(content_type: Option<&str>, body: &str) -> JournalEntry {
    let okta = Okta::new(kit());
    send(&okta, post("/api/v1/authn", content_type, body.to_owned())).await;
    let (entry, shown) = last_entry(&okta);
    for start in 0..=SECRET.len() - 6 {
        let piece = &SECRET[start..start + 6];
        assert!(
            !shown.contains(piece),
            "`{piece}` of the secret journaled for {body:.200}:\n{shown:.2000}"
        );
    }
    entry
}

fn padding(bytes: usize) -> String {
    "x".repeat(bytes)
}

#[tokio::test]
async fn a_json_body_over_the_limit_with_a_password_before_the_cut() {
    // The issue's example: a password and 20 KB of metadata.
    let body = json!({ "email": "a@example.com", "password": SECRET, "user_metadata": { "blob": padding(20_000) } })
        .to_string();
    let entry = assert_masked(Some("application/json"), &body).await;
    assert!(entry.body_truncated);
    let kept = entry.body.expect("a body is kept");
    assert!(
        kept.contains("a@example.com") && kept.contains("[masked]"),
        "{kept:.300}"
    );
}

#[tokio::test]
async fn a_body_cut_inside_the_secret_value() {
    // The cut falls in the middle of the password: what was kept of it is masked.
    let prefix = format!("{{\"blob\":\"{}\",\"password\":\"", padding(BODY_LIMIT - 30));
    let body = format!("{prefix}{SECRET}{}\"}}", padding(100));
    assert!(prefix.len() < BODY_LIMIT && prefix.len() + SECRET.len() > BODY_LIMIT);
    let entry = assert_masked(Some("application/json"), &body).await;
    assert!(entry.body_truncated);
}

#[tokio::test]
async fn a_body_cut_inside_a_nested_secret_object() {
    let prefix = format!(
        "{{\"blob\":\"{}\",\"credentials\":{{\"password\":{{\"value\":\"",
        padding(BODY_LIMIT - 60)
    );
    let body = format!("{prefix}{SECRET}\"}}}}}}");
    assert_masked(Some("application/json"), &format!("{body}{}", padding(BODY_LIMIT))).await;
}

#[tokio::test]
async fn malformed_json_of_many_kinds() {
    for body in [
        format!(r#"{{"username":"u","password":"{SECRET}""#),
        format!(r#"{{"username":"u","password":"{SECRET}",}}"#),
        format!(r#"{{"username":"u" "password":"{SECRET}"}}"#),
        format!(r#"{{username: 'u', password: '{SECRET}'}}"#),
        format!(r#"{{"password": {SECRET}}}"#),
        format!(r#"[{{"password":"{SECRET}"}}, garbage"#),
        format!(r#"{{"password" /* note */ : "{SECRET}"}}"#),
        format!("{{\"password\":\"{SECRET}\u{0}\"}}"),
        format!(r#"{{"PASSWORD":"{SECRET}"}}"#),
        format!(r#"{{"PassWord":"{SECRET}"}}"#),
        format!(r#"{{"pass\u0077ord":"{SECRET}"}}"#),
        format!(r#"{{"password":"a\"b{SECRET}\\"}}"#),
        format!(r#"{{"a":{{"b":[{{"c":{{"client_secret":"{SECRET}"}}}}]}}}}"#),
        format!(r#"{{"password":["{SECRET}", {{"x": "{SECRET}"}}]}}"#),
        format!(r#"{{"payload":"{{\"password\":\"{SECRET}\"}}"}}"#),
        format!(r#"{{"payload":"{{\\\"password\\\":\\\"{SECRET}\\\"}}"}}"#),
        format!(r#"{{"next":"https://app.test/cb?state=1&access_token={SECRET}"}}"#),
    ] {
        assert_masked(Some("application/json"), &body).await;
        // What the content type claims does not matter.
        assert_masked(Some("text/plain"), &body).await;
        assert_masked(None, &body).await;
    }
}

#[tokio::test]
async fn escaped_quotes_do_not_end_a_secret_early_or_hide_a_name() {
    // An escaped quote inside the value, then text that looks like the end of the object.
    let body = format!(r#"{{"password":"{SECRET}\",\"x\":\"{SECRET}","u":"kept"}}"#);
    let entry = assert_masked(Some("application/json"), &body).await;
    assert!(entry.body.expect("body").contains(r#""u":"kept""#));
    // A name with an escaped quote is another name: its value is not a secret's.
    let body = r#"{"pass\"word":"visible","password":"x"}"#;
    let okta = Okta::new(kit());
    send(&okta, post("/api/v1/authn", Some("application/json"), body)).await;
    let kept = last_entry(&okta).0.body.expect("body");
    assert!(kept.contains("visible") && !kept.contains(r#""x""#), "{kept}");
}

#[tokio::test]
async fn huge_json_is_cut_and_masked_without_reading_it_all_into_the_journal() {
    let users: Vec<Value> = (0..20_000)
        .map(|i| json!({ "email": format!("u{i}@example.com"), "password": SECRET }))
        .collect();
    let body = Value::Array(users).to_string();
    assert!(body.len() > 1_000_000);
    let entry = assert_masked(Some("application/json"), &body).await;
    assert!(entry.body.expect("body").len() <= BODY_LIMIT + 1_000);
}

#[tokio::test]
async fn form_bodies_whole_cut_encoded_and_in_any_case() {
    for body in [
        format!("grant_type=password&username=u&password={SECRET}"),
        format!("username=u&Password={SECRET}&x=1"),
        format!("username=u&pass%77ord={SECRET}"),
        format!("username=u&client_secret={}", SECRET.replace('-', "%2D")),
        format!("data=%7B%22password%22%3A%22{SECRET}%22%7D&u=1"),
        format!("blob={}&password={SECRET}", padding(BODY_LIMIT - 20)),
    ] {
        assert_masked(Some("application/x-www-form-urlencoded"), &body).await;
        assert_masked(None, &body).await;
    }
    let okta = Okta::new(kit());
    send(
        &okta,
        post(
            "/api/v1/authn",
            Some("application/x-www-form-urlencoded"),
            "a=1&password=p&b=2",
        ),
    )
    .await;
    assert_eq!(last_entry(&okta).0.body.as_deref(), Some("a=1&password=[masked]&b=2"));
}

#[tokio::test]
async fn multipart_fields_files_and_cuts() {
    let ct = "multipart/form-data; boundary=XyZ";
    let whole = format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"users\"; filename=\"u.json\"\r\n\r\n[{{\"password\":\"{SECRET}\"}}]\r\n\
         --XyZ\r\nContent-Disposition: form-data; name=\"PASSWORD\"\r\n\r\n{SECRET}\r\n\
         --XyZ\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n{{\"client_secret\":\"{SECRET}\"}}\r\n--XyZ--\r\n"
    );
    let entry = assert_masked(Some(ct), &whole).await;
    let kept = entry.body.expect("summary");
    assert!(
        kept.contains("users: [file \"u.json\"") && kept.contains("PASSWORD: [masked]"),
        "{kept}"
    );
    // Cut inside the secret field's value, and inside a part's headers.
    let cut = format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"blob\"\r\n\r\n{}\r\n\
         --XyZ\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n{SECRET}{SECRET}",
        padding(BODY_LIMIT - 120)
    );
    assert_masked(Some(ct), &cut).await;
    // A body that says it is multipart but is not (or names another boundary).
    assert_masked(Some(ct), &format!(r#"{{"password":"{SECRET}"}}"#)).await;
    assert_masked(Some("multipart/form-data"), &whole).await;
}

#[tokio::test]
async fn query_strings_and_headers() {
    let okta = Okta::new(kit());
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!(
            "/api/v1/authn?PASSWORD={SECRET}&next=%2Fcb%3Ftoken%3D{SECRET}&x=1"
        ))
        .header("content-type", "application/json")
        .header("x-debug", format!(r#"{{"password":"{SECRET}"}}"#))
        .header("x-forwarded", format!("user=u&client_secret={SECRET}"))
        .header("x-my-apikey", SECRET)
        .body(Body::from("{}"))
        .expect("request");
    send(&okta, request).await;
    let (entry, shown) = last_entry(&okta);
    assert!(!shown.contains(SECRET), "{shown}");
    assert_eq!(entry.query.as_deref(), Some("PASSWORD=[masked]&next=[masked]&x=1"));
    assert_eq!(entry.header("x-debug"), Some(r#"{"password":"[masked]"}"#));
}

#[tokio::test]
async fn what_holds_no_secret_is_kept_byte_for_byte() {
    let okta = Okta::new(kit());
    // Not re-serialised: spacing, key order and escapes stay as they were sent.
    let body = "{ \"username\" : \"a@b.c\",\n  \"options\": {\"warnBeforePasswordExpired\": false}, \"note\": \"caf\\u00e9\" }";
    send(&okta, post("/api/v1/authn", Some("application/json"), body)).await;
    assert_eq!(last_entry(&okta).0.body.as_deref(), Some(body));
}

/// The issue's own example against the mock Auth0: `POST /api/v2/users` with a password and
/// 20 KB of metadata.
#[tokio::test]
async fn auth0_user_creation_with_a_large_body_shows_no_password() {
    let auth0 = Auth0::new(kit());
    let (id, secret) = auth0.client_credentials(MANAGEMENT_APP).expect("management app");
    let form = format!(
        "grant_type=client_credentials&client_id={id}&client_secret={secret}&audience={}",
        auth0.management_audience()
    );
    let (status, answer) = send(
        &auth0,
        post("/oauth/token", Some("application/x-www-form-urlencoded"), form),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let token = serde_json::from_str::<Value>(&answer).expect("json")["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let body = json!({
        "connection": "Username-Password-Authentication",
        "email": "big@example.com",
        "password": SECRET,
        "user_metadata": { "notes": padding(20_000) },
    })
    .to_string();
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v2/users")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("request");
    send(&auth0, request).await;
    let (entry, shown) = last_entry(&auth0);
    assert_eq!(entry.path, "/api/v2/users");
    assert!(entry.body_truncated);
    assert!(!shown.contains(SECRET), "{shown:.500}");
    assert!(!shown.contains(&token) && !shown.contains(&secret));
}
