//! Hostile or broken scripts never take the sandbox down: every call ends with some result
//! and the sandbox keeps working.
//!
//! Not covered (a known limit): a few built-ins loop in C without polling QuickJS' interrupt
//! handler, e.g. `a.length = 2 ** 32 - 1; a.join('')` or `[].includes.call({ length: 2 ** 53 })`.
//! `Sandbox::run` still returns `TimedOut` on time (its safety net), but the call's thread keeps
//! spinning until the built-in finishes.

mod common;

use std::time::Duration;

use common::{call, value};
use sandbox::{CallResult, Sandbox, SandboxConfig};
use serde_json::json;

const SCRIPTS: &[&str] = &[
    "function f(callback) { JSON.stringify = null; String.prototype.toWellFormed = null; Object.freeze = null; callback(null, { a: 1 }); }",
    "function f(callback) { Error.prepareStackTrace = function () { throw 1; }; null.x; }",
    "function f(callback) { Error.prepareStackTrace = function () { return {}; }; undefined.y; }",
    "function f(callback) { callback({ get message() { throw new Error('getter'); } }); }",
    "function f(callback) { callback(null, new Proxy({}, { get: function () { throw 1; } })); }",
    "function f(callback) { var o = {}; for (var i = 0; i < 100000; i++) o = { o: o }; callback(null, o); }",
    "function f(callback) { callback(Symbol('s')); }",
    "function f(callback) { callback(null, 10n); }",
    "function f(callback) { callback(null, 'nul \\u0000 and lone \\ud800'); }",
    "function f(callback) { console.log('\\ud800', { toString: null }, Object.create(null)); callback(); }",
    "function f(callback) { throw null; }",
    "function f(callback) { throw undefined; }",
    "function f(callback) { throw { toString: function () { throw 1; } }; }",
    "function f(callback) { Promise.reject(); }",
    "function f(callback) { setTimeout(1e300); }",
    "function f(callback) { setTimeout(function () { callback(); }, -5); }",
    "function f(callback) { setTimeout(function () { callback(); }, NaN); }",
    "function f(callback) { request({ url: 'http://127.0.0.1:1/', timeout: 1e300 }, function (e) { callback(e); }); }",
    "function f(callback) { request({ url: 'http://127.0.0.1:1/', method: 'BAD METHOD' }, function (e) { callback(e); }); }",
    "function f(callback) { request({ url: 'http://127.0.0.1:1/', headers: { 'bad header': 'x' } }, callback); }",
    "function f(callback) { request({ url: 'http://127.0.0.1:1/', headers: { 'x': 'bad\\nvalue' } }, callback); }",
    "function f(callback) { request({ url: 'http://[::1' }, callback); }",
    "function f(callback) { request({ url: 'http://x.com:99999/' }, function (e) { callback(e); }); }",
    "function f(callback) { request(); }",
    "function f(callback) { request({ url: 'http://127.0.0.1:1/', body: {} }, function (e) { callback(e); }); }",
    "function f(callback) { Buffer.from('x', 'base64url').toString('nope'); }",
    "function f(callback) { Buffer.alloc(-1); }",
    "function f(callback) { new Buffer(1e10); }",
    "function f(callback) { Buffer.from('\\ud800\\udfff\\udc00', 'utf16le').toString('hex'); callback(); }",
    "function f(callback) { callback.call(null); callback.apply(null, [1, 2, 3]); }",
    "function f(callback) { globalThis.__proto__ = null; callback(); }",
    "function f(callback) { delete globalThis.Object; delete globalThis.Array; delete globalThis.JSON; callback(null, 1); }",
    "function f(callback) { (function r() { r(); })(); }",
    "function f(callback) { 'x'.repeat(2 ** 29); }",
    "function f(callback) { new ArrayBuffer(2 ** 31); }",
    "function f(callback) { for (;;) { console.log(new Array(1000).join('x')); } }",
    "function f(callback) { for (var i = 0; i < 1e6; i++) setTimeout(function () {}, 1e6); }",
    "function f(callback) { setInterval(function () { throw new Error('tick'); }, 1); }",
    "function f(callback) { queueMicrotask(function () { callback(null, 'micro'); }); }",
    "function f(callback) { eval('callback(null, 2)'); }",
    "function f(callback) { new Function('cb', 'cb(null, 3)')(callback); }",
    "function f(callback) { return import('fs').then(function (fs) { callback(null, typeof fs); }, function (e) { callback(e); }); }",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_scripts_always_end_and_the_sandbox_survives() {
    let sandbox = Sandbox::new(SandboxConfig {
        time_limit: Duration::from_millis(1500),
        memory_limit: 32 * 1024 * 1024,
        ..SandboxConfig::default()
    });
    for script in SCRIPTS {
        let outcome = sandbox.run(call(script, vec![])).await;
        assert!(
            outcome.elapsed < Duration::from_secs(4),
            "{script}: took {:?}",
            outcome.elapsed
        );
        // serialisable whatever happened
        assert!(serde_json::to_string(&outcome).is_ok(), "{script}");
    }
    let outcome = sandbox
        .run(call("function f(callback) { callback(null, 'still fine'); }", vec![]))
        .await;
    assert_eq!(value(&outcome), json!("still fine"));
}

#[tokio::test]
async fn a_tiny_memory_limit_is_reported_as_out_of_memory() {
    let sandbox = Sandbox::new(SandboxConfig {
        memory_limit: 64 * 1024,
        ..SandboxConfig::default()
    });
    let outcome = sandbox.run(call("function f(callback) { callback(); }", vec![])).await;
    assert_eq!(outcome.result, CallResult::OutOfMemory);
}

#[tokio::test]
async fn dynamic_import_reaches_nothing() {
    let outcome = sandbox::Sandbox::new(SandboxConfig::default())
        .run(call(
            "function f(callback) { import('fs').then(function () { callback(null, 'loaded'); }, function (e) { callback(null, e.name); }); }",
            vec![],
        ))
        .await;
    assert_ne!(value(&outcome), json!("loaded"));
}
