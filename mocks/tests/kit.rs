//! The kit on a real socket, with a tiny provider: serving, journal, faults, admin, shutdown.
//! Run with `cargo test -p mocks --test kit`.

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mocks::{Kit, Provider, SeedError};
use serde_json::json;

#[derive(Clone)]
struct Echo {
    kit: Kit,
}

impl Provider for Echo {
    const NAME: &'static str = "echo";
    type Seed = serde_json::Value;

    fn kit(&self) -> &Kit {
        &self.kit
    }

    fn routes(&self) -> Router {
        Router::new()
            .route("/hello", get(|| async { "hello" }))
            .route("/login", post(|body: String| async move { body.len().to_string() }))
    }

    fn seed(&self, seed: Self::Seed) -> Result<serde_json::Value, SeedError> {
        if seed.get("bad").is_some() {
            return Err(SeedError::Invalid("bad seed".into()));
        }
        Ok(json!({ "ok": true }))
    }

    fn reset(&self) {}

    fn fault_response(&self, status: StatusCode) -> Response {
        (status, Json(json!({ "echo_error": status.as_u16() }))).into_response()
    }
}

async fn started() -> (Echo, mocks::MockServer) {
    let echo = Echo { kit: Kit::default() };
    let server = mocks::start(echo.clone(), mocks::LOOPBACK_EPHEMERAL)
        .await
        .expect("bind loopback");
    (echo, server)
}

#[tokio::test]
async fn serves_on_an_ephemeral_loopback_port_and_journals_with_secrets_masked() {
    let (echo, server) = started().await;
    assert!(server.base_url().starts_with("http://127.0.0.1:"));
    let client = sandbox::net::client_builder().build().expect("an HTTP client");
    let text = client
        .get(format!("{}/hello", server.base_url()))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    assert_eq!(text, "hello");
    let res = client
        .post(format!("{}/login?client_secret=abc&x=1", server.base_url()))
        .header("Authorization", "SSWS very-secret")
        .json(&json!({ "username": "a@b.c", "password": "hunter2" }))
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 200);
    let entries = echo.kit.journal.entries();
    assert_eq!(entries.len(), 2);
    let login = &entries[1];
    assert_eq!(
        (login.method.as_str(), login.path.as_str(), login.status),
        ("POST", "/login", 200)
    );
    assert_eq!(login.query.as_deref(), Some("client_secret=[masked]&x=1"));
    assert_eq!(login.header("authorization"), Some("SSWS [masked]"));
    let body = login.body.as_deref().expect("body kept");
    assert!(body.contains("a@b.c") && !body.contains("hunter2"), "{body}");
    server.shutdown().await;
}

#[tokio::test]
async fn injected_status_uses_the_provider_error_shape_then_recovers() {
    let (echo, server) = started().await;
    let client = sandbox::net::client_builder().build().expect("an HTTP client");
    let added: serde_json::Value = client
        .post(format!("{}/__ferry/faults", server.base_url()))
        .json(&json!({ "method": "GET", "path": "/hello", "times": 1, "fault": { "kind": "status", "status": 503 } }))
        .send()
        .await
        .expect("add fault")
        .json()
        .await
        .expect("json");
    assert_eq!(added["id"], 1);
    let faulted = client
        .get(format!("{}/hello", server.base_url()))
        .send()
        .await
        .expect("GET");
    assert_eq!(faulted.status(), 503);
    assert_eq!(
        faulted.json::<serde_json::Value>().await.expect("json"),
        json!({ "echo_error": 503 })
    );
    let recovered = client
        .get(format!("{}/hello", server.base_url()))
        .send()
        .await
        .expect("GET");
    assert_eq!(recovered.status(), 200);
    let journal = echo.kit.journal.entries();
    assert_eq!(journal[0].fault.as_deref(), Some("status 503"));
    assert_eq!(journal[1].fault, None);
}

#[tokio::test]
async fn a_dropped_connection_gives_the_client_no_answer() {
    let (echo, server) = started().await;
    echo.kit.faults.add(mocks::FaultRule {
        method: None,
        path: "/hello".into(),
        nth: 1,
        times: Some(1),
        fault: mocks::Fault::Drop,
    });
    let client = sandbox::net::client_builder().build().expect("an HTTP client");
    let err = client
        .get(format!("{}/hello", server.base_url()))
        .send()
        .await
        .expect_err("no answer");
    assert!(
        err.is_request() || err.is_connect() || err.to_string().contains("connection"),
        "{err:?}"
    );
    assert_eq!(echo.kit.journal.entries()[0].status, 0);
    let ok = client
        .get(format!("{}/hello", server.base_url()))
        .send()
        .await
        .expect("next call answers");
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn a_hung_call_is_cut_by_the_client_timeout() {
    let (echo, server) = started().await;
    echo.kit.faults.add(mocks::FaultRule {
        method: None,
        path: "/hello".into(),
        nth: 1,
        times: None,
        fault: mocks::Fault::Hang,
    });
    let client = sandbox::net::client_builder()
        .timeout(Duration::from_millis(200))
        .build()
        .expect("client");
    let err = client
        .get(format!("{}/hello", server.base_url()))
        .send()
        .await
        .expect_err("hangs");
    assert!(err.is_timeout(), "{err:?}");
    // Shutdown must not wait for the hung request longer than its grace period.
    server.shutdown().await;
}

#[tokio::test]
async fn admin_endpoints_seed_reset_and_read_the_journal() {
    let (echo, server) = started().await;
    let client = sandbox::net::client_builder().build().expect("an HTTP client");
    let base = server.base_url();
    let ok = client
        .post(format!("{base}/__ferry/seed"))
        .json(&json!({ "users": [] }))
        .send()
        .await
        .expect("seed");
    assert_eq!(ok.status(), 200);
    let bad = client
        .post(format!("{base}/__ferry/seed"))
        .body("{ nope")
        .send()
        .await
        .expect("seed");
    assert_eq!(bad.status(), 400);
    let bad: serde_json::Value = bad.json().await.expect("json");
    assert_eq!(bad["error"], "invalid_seed");
    client.get(format!("{base}/hello")).send().await.expect("GET");
    let page: serde_json::Value = client
        .get(format!("{base}/__ferry/journal?path=/hello"))
        .send()
        .await
        .expect("journal")
        .json()
        .await
        .expect("json");
    assert_eq!(
        page["entries"].as_array().map(Vec::len),
        Some(1),
        "admin calls are not journaled: {page}"
    );
    let reset = client
        .post(format!("{base}/__ferry/reset"))
        .send()
        .await
        .expect("reset");
    assert_eq!(reset.status(), 204);
    assert!(echo.kit.journal.is_empty());
    let clock = client
        .post(format!("{base}/__ferry/clock"))
        .json(&json!({ "advance": "5m" }))
        .send()
        .await
        .expect("clock");
    assert_eq!(clock.status(), 409, "the default kit runs on the system clock");
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let (_echo, server) = started().await;
    let url = format!("{}/hello", server.base_url());
    drop(server);
    let client = sandbox::net::client_builder().build().expect("an HTTP client");
    // The accept loop ends as soon as it sees the signal; poll until the port refuses.
    let mut refused = false;
    for _ in 0..100 {
        if client.get(&url).send().await.is_err() {
            refused = true;
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(refused, "server still answering after its handle was dropped");
}

/// Sends `head` (a request's head, `Content-Length` included) and the first `first` bytes of
/// its body, then one more byte every `every` until the server answers; returns the answer and
/// whether the connection was then closed.
async fn dribble_a_body(base_url: &str, head: &str, first: usize, every: Duration) -> (String, bool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("head");
    stream.write_all(&vec![b'{'; first]).await.expect("first bytes");
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        assert!(tokio::time::Instant::now() < deadline, "no answer to a dribbled body");
        tokio::select! {
            read = stream.read(&mut buf) => {
                let n = read.unwrap_or(0);
                if n == 0 {
                    return (String::from_utf8_lossy(&answer).into_owned(), true);
                }
                answer.extend_from_slice(&buf[..n]);
            }
            () = tokio::time::sleep(every) => {
                if answer.is_empty() {
                    // The server may already have closed its side; a failed write is fine.
                    let _ = stream.write_all(b" ").await;
                }
            }
        }
    }
}

#[tokio::test]
async fn a_body_dribbled_past_the_time_out_gets_the_providers_408_and_a_closed_connection() {
    let (echo, server) = started().await;
    echo.kit.set_body_timeout(Duration::from_millis(300));
    let head =
        "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
    let started_at = std::time::Instant::now();
    let (answer, closed) = dribble_a_body(server.base_url(), head, 10, Duration::from_millis(50)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains(r#"{"echo_error":408}"#),
        "the provider's own error shape: {answer}"
    );
    assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");
    assert!(closed, "the connection is closed after the 408");
    assert!(
        started_at.elapsed() < Duration::from_secs(5),
        "the dribbling client was cut at the time-out, not when it finished"
    );
    let entry = echo.kit.journal.entries().pop().expect("journaled");
    assert_eq!((entry.path.as_str(), entry.status), ("/login", 408));
    assert_eq!(entry.body.as_deref(), Some("[body not received within 300 ms]"));

    // A body that arrives within the time-out is served as usual.
    let ok = sandbox::net::client_builder()
        .build()
        .expect("an HTTP client")
        .post(format!("{}/login", server.base_url()))
        .body("x".repeat(100_000))
        .send()
        .await
        .expect("POST");
    assert_eq!(ok.text().await.expect("text"), "100000");
    server.shutdown().await;
}

#[tokio::test]
async fn admin_bodies_are_bounded_in_time_too() {
    let (echo, server) = started().await;
    echo.kit.set_body_timeout(Duration::from_millis(300));
    let head = "POST /__ferry/seed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
    let (answer, closed) = dribble_a_body(server.base_url(), head, 1, Duration::from_millis(50)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(closed);
    server.shutdown().await;
}

/// The child half of the test below, run in a process whose file-descriptor limit is low.
fn out_of_descriptors_child() {
    use std::io::{Read, Write};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (_echo, server) = runtime.block_on(started());
    let mut stat = std::fs::File::open("/proc/self/stat").expect("/proc/self/stat");
    // Use up every descriptor but one, then connect with it: the connection waits in the
    // listener's queue and every accept() fails with EMFILE.
    let mut filler = Vec::new();
    loop {
        match std::fs::File::open("/dev/null") {
            Ok(file) => filler.push(file),
            Err(e) if e.raw_os_error() == Some(24) => break,
            Err(e) => panic!("unexpected error while using up descriptors: {e}"),
        }
    }
    assert!(
        filler.len() < 10_000,
        "the limit was not lowered: {} files open",
        filler.len()
    );
    filler.pop();
    let mut client = std::net::TcpStream::connect(server.addr()).expect("connect with the last descriptor");
    client
        .write_all(b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .expect("request");
    let cpu_before = cpu_ticks(&mut stat);
    std::thread::sleep(Duration::from_secs(1));
    let failures = server.accept_failures();
    let cpu = cpu_ticks(&mut stat) - cpu_before;
    // Backing off 5, 10, 20, … up to 500 ms gives about 8 attempts in a second; a listener
    // that spins makes hundreds of thousands, at a full core.
    assert!(failures >= 2, "accept() was not even retried: {failures}");
    assert!(
        failures <= 20,
        "accept() spun on EMFILE: {failures} attempts in one second"
    );
    assert!(cpu < 30, "{cpu} ticks (1/100 s) of CPU in one second of EMFILE");
    // Descriptors come back: the queued connection is accepted and answered.
    drop(filler);
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("read timeout");
    let mut answer = String::new();
    client
        .read_to_string(&mut answer)
        .expect("the mock recovers and answers");
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("hello"),
        "{answer}"
    );
    runtime.block_on(server.shutdown());
    println!("EMFILE child: {failures} failed accepts, {cpu} ticks of CPU, then served");
}

/// This process's CPU time (user + system) in clock ticks, from /proc (Linux), read through a
/// file opened beforehand (no descriptor is free when it is read).
fn cpu_ticks(stat: &mut std::fs::File) -> u64 {
    use std::io::{Read, Seek};
    let mut text = String::new();
    stat.rewind().expect("rewind");
    stat.read_to_string(&mut text).expect("/proc/self/stat");
    let stat = text;
    let fields: Vec<&str> = stat.rsplit_once(')').expect("stat").1.split_whitespace().collect();
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

#[test]
fn the_listener_backs_off_when_out_of_file_descriptors_and_recovers() {
    if std::env::var_os("FERRY_KIT_EMFILE_CHILD").is_some() {
        return out_of_descriptors_child();
    }
    // The child lowers its own limit (a shell's `ulimit -n`), so this process's other tests keep
    // theirs.
    let exe = std::env::current_exe().expect("test binary");
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 256 && exec \"$0\" \"$@\"")
        .arg(exe)
        .args([
            "--exact",
            "the_listener_backs_off_when_out_of_file_descriptors_and_recovers",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("FERRY_KIT_EMFILE_CHILD", "1")
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    let line = stdout.lines().find_map(|l| l.find("EMFILE child:").map(|at| &l[at..]));
    assert!(line.is_some(), "the child ran no check:\n{stdout}");
    println!("{}", line.unwrap_or_default());
    assert!(
        stderr.contains("echo: cannot accept connections"),
        "the back-off is reported once: {stderr}"
    );
}
