//! Response bodies count against the call's memory (issue 17 §2): concurrent large answers
//! from a loopback server end the call as out of memory, and the process grows by no more than
//! the call's limit allows (60 such answers once took it to 3.5 GB). Its own test binary: it
//! measures the process's peak memory.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::value;
use sandbox::{CallResult, Sandbox, SandboxConfig, ScriptCall};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Peak resident memory of this process (VmHWM), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// A server on 127.0.0.1 answering every request with `size` bytes of `x`, as fast as the
/// client reads.
async fn big_answers(size: usize) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let chunk = vec![b'x'; 64 * 1024];
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let chunk = chunk.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let mut have = Vec::new();
                loop {
                    while !have.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => have.extend_from_slice(&buf[..n]),
                        }
                    }
                    have.clear();
                    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\nContent-Type: text/plain\r\n\r\n");
                    if socket.write_all(head.as_bytes()).await.is_err() {
                        return;
                    }
                    let mut left = size;
                    while left > 0 {
                        let n = left.min(chunk.len());
                        if socket.write_all(&chunk[..n]).await.is_err() {
                            return;
                        }
                        left -= n;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

fn call(source: &str, base: &str) -> ScriptCall {
    ScriptCall {
        source: source.into(),
        file_name: "login.js".into(),
        args: vec![],
        configuration: BTreeMap::from([("BASE".to_owned(), base.to_owned())]),
        context: None,
    }
}

const MIB: usize = 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_large_answers_count_against_the_call_and_keep_the_process_small() {
    let limit = 64 * MIB;
    let sandbox = Sandbox::new(SandboxConfig {
        time_limit: Duration::from_secs(20),
        memory_limit: limit,
        ..SandboxConfig::default()
    });
    let fan_out = "function f(callback) {\n  var n = 60, done = 0;\n  for (var i = 0; i < n; i++) {\n    request(configuration.BASE + '/big' + i, function () { if (++done === n) callback(null, 'all'); });\n  }\n}";

    // each answer under the one-body cap (a quarter of the limit), together far over the limit
    let base = big_answers(12 * MIB).await;
    let before = peak_rss();
    let started = Instant::now();
    let outcome = sandbox.run(call(fan_out, &base)).await;
    assert_eq!(outcome.result, CallResult::OutOfMemory);
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    let grown = peak_rss().saturating_sub(before);
    // the heap and the bodies share the limit; mimalloc and the sockets' buffers add a little
    assert!(
        grown < (limit + 64 * MIB) as u64,
        "the process grew by {} MiB",
        grown / MIB as u64
    );

    // one answer over the cap ends the call the same way
    let base = big_answers(40 * MIB).await;
    let outcome = sandbox
        .run(call(
            "function f(callback) { request(configuration.BASE + '/one', function () { callback(null, 'read'); }); }",
            &base,
        ))
        .await;
    assert_eq!(outcome.result, CallResult::OutOfMemory);

    // a body within the limits is delivered, and the sandbox still serves calls
    let base = big_answers(MIB).await;
    let outcome = sandbox
        .run(call(
            "function f(callback) { request(configuration.BASE + '/ok', function (e, r, body) { callback(e, body.length); }); }",
            &base,
        ))
        .await;
    assert_eq!(value(&outcome), json!(MIB));
}
