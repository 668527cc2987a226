//! Containment: a script reaches nothing of the host (no file system, processes, environment,
//! sockets other than through `request` and its allowlist), cannot reach the sandbox's private
//! natives, is stopped by the time and memory limits, and leaves nothing behind for the next
//! call; the sandbox keeps serving calls, concurrent ones included.

mod common;

use std::time::{Duration, Instant};

use common::{call, run, value};
use sandbox::{CallResult, Sandbox, SandboxConfig};
use serde_json::json;

/// Each attempt runs in its own call; the result is `[error name, message]` or what it got.
const ESCAPES: &[(&str, &str)] = &[
    ("process.env", "process.env.HOME"),
    ("process via this", "(function () { return this; })().process.env"),
    ("Function('return this')", "Function('return this')().process.exit(1)"),
    (
        "constructor chain",
        "({}).constructor.constructor('return process')().env",
    ),
    ("eval require", "eval(\"require('fs')\").readFileSync('/etc/passwd')"),
    ("indirect eval", "(0, eval)('this').process.mainModule"),
    ("fs", "require('fs').readFileSync('/etc/passwd', 'utf8')"),
    ("child_process", "require('child_process').execSync('id')"),
    ("os", "require('os').homedir()"),
    ("net", "require('net').connect(22, '127.0.0.1')"),
    ("module", "require('module')._load('fs')"),
    ("quickjs std", "std.loadFile('/etc/passwd')"),
    ("quickjs os", "os.exec(['id'])"),
    ("scriptArgs", "scriptArgs[0]"),
];

#[tokio::test]
async fn escapes_to_the_host_fail_with_a_clear_error() {
    let sandbox = common::sandbox();
    for (label, attempt) in ESCAPES {
        let source = format!(
            "function f(callback) {{\n  try {{ var got = {attempt}; callback(null, ['reached', String(got)]); }}\n  catch (e) {{ callback(null, [e.name, e.message]); }}\n}}"
        );
        let outcome = sandbox.run(call(&source, vec![])).await;
        let got = value(&outcome);
        let (name, message) = (got[0].as_str().unwrap_or_default(), got[1].as_str().unwrap_or_default());
        assert_ne!(name, "reached", "{label}: {got}");
        let clear = (name == "ReferenceError" && message.ends_with("is not defined"))
            || (name == "TypeError" && message.starts_with("Cannot read properties of undefined"))
            || (name == "Error" && message.starts_with("Cannot find module"));
        assert!(clear, "{label}: {got}");
    }

    // uncaught, the same attempts are ordinary script crashes
    let outcome = run("function f(callback) {\n  var home = process.env.HOME;\n}", vec![]).await;
    let CallResult::Threw(e) = &outcome.result else {
        panic!("expected Threw, got {:?}", outcome.result);
    };
    assert_eq!(
        (e.name.as_str(), e.message.as_str(), e.line),
        ("ReferenceError", "process is not defined", Some(2))
    );

    let outcome = run(
        "function f(callback) { import('fs').then(function () { callback(null, 'loaded'); }, function (e) { callback(null, e.name); }); }",
        vec![],
    )
    .await;
    assert_ne!(value(&outcome), json!("loaded"));
}

/// Walks everything reachable from `globalThis` (own properties of every kind, prototypes,
/// getters read only on the global itself, after every lazy global and module is loaded) and
/// lists the objects that carry one of the private native functions.
const WALK: &str = r#"function f(callback) {
  ['bcrypt', 'bcryptjs', 'crypto', 'qs', 'querystring', 'request', 'url', 'util', 'buffer'].forEach(function (m) { require(m); });
  var names = Object.getOwnPropertyNames(globalThis);
  names.forEach(function (n) { try { globalThis[n]; } catch (e) {} });
  setTimeout(function () {}, 0);
  console.log('loaded');
  var natives = ['httpStart', 'loadModule', 'consoleWrite', 'bcryptHash', 'cryptoPbkdf2', 'urlWhatwg', 'timerStart', 'callback', 'v8Message'];
  var seen = new Set();
  var queue = [[globalThis, 'globalThis']];
  var found = [];
  var visited = 0;
  while (queue.length > 0) {
    var item = queue.shift();
    var obj = item[0];
    if ((typeof obj !== 'object' && typeof obj !== 'function') || obj === null || seen.has(obj)) continue;
    seen.add(obj);
    visited++;
    var keys = Reflect.ownKeys(obj);
    if (natives.some(function (n) { return keys.indexOf(n) !== -1 && n !== 'callback'; })) found.push(item[1]);
    keys.forEach(function (k) {
      var d = Object.getOwnPropertyDescriptor(obj, k);
      if (!d) return;
      var path = item[1] + '.' + String(k);
      if ('value' in d) queue.push([d.value, path]);
      if (d.get) queue.push([d.get, path + '<get>']);
      if (d.set) queue.push([d.set, path + '<set>']);
    });
    queue.push([Object.getPrototypeOf(obj), item[1] + '.__proto__']);
  }
  callback(null, { found: found, visited: visited });
}"#;

#[tokio::test]
async fn the_private_natives_are_unreachable_from_the_script() {
    let outcome = run(WALK, vec![]).await;
    let got = value(&outcome);
    assert_eq!(got["found"], json!([]));
    assert!(got["visited"].as_u64().unwrap_or_default() > 500, "{got}");
}

#[tokio::test]
async fn runaway_scripts_are_stopped_and_the_next_call_is_served() {
    let sandbox = Sandbox::new(SandboxConfig {
        time_limit: Duration::from_millis(400),
        memory_limit: 16 * 1024 * 1024,
        ..SandboxConfig::default()
    });
    let cases: &[(&str, CallResult)] = &[
        ("function f(callback) { for (;;) {} }", CallResult::TimedOut),
        (
            "function f(callback) { while (true) { try { for (;;) {} } catch (e) {} } }",
            CallResult::TimedOut,
        ),
        (
            "async function f(callback) { for (;;) { await null; } }",
            CallResult::TimedOut,
        ),
        (
            "function f(callback) { setInterval(function () {}, 1); }",
            CallResult::TimedOut,
        ),
        (
            "function f(callback) { var keep = []; for (;;) keep.push(new Array(10000).fill('x')); }",
            CallResult::OutOfMemory,
        ),
        (
            "function f(callback) { var keep = []; for (;;) keep.push(Buffer.alloc(1024 * 1024)); }",
            CallResult::OutOfMemory,
        ),
    ];
    for (script, expected) in cases {
        let started = Instant::now();
        let outcome = sandbox.run(call(script, vec![])).await;
        assert_eq!(&outcome.result, expected, "{script}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{script}: {:?}",
            started.elapsed()
        );
        let next = sandbox
            .run(call("function f(callback) { callback(null, 'next'); }", vec![]))
            .await;
        assert_eq!(value(&next), json!("next"), "after {script}");
    }

    // QuickJS builds long strings lazily and stops at its length limit first: V8's wording
    let outcome = sandbox
        .run(call(
            "function f(callback) {\n  var s = 'ab';\n  for (;;) s += s;\n}",
            vec![],
        ))
        .await;
    let CallResult::Threw(e) = &outcome.result else {
        panic!("expected Threw, got {:?}", outcome.result);
    };
    assert_eq!(
        (e.name.as_str(), e.message.as_str(), e.line),
        ("RangeError", "Invalid string length", Some(3))
    );
}

#[tokio::test]
async fn nothing_leaks_from_one_call_into_the_next() {
    let sandbox = common::sandbox();
    let first = sandbox
        .run(call(
            r#"function f(callback) {
  global.cache = { user: 'a@example.com' };
  globalThis.counter = 1;
  implicit = 'global';
  Object.prototype.polluted = true;
  Array.prototype.push = function () { return 0; };
  JSON.stringify = function () { return '"hijacked"'; };
  require('crypto').createHash = function () { throw new Error('hijacked'); };
  require('bcrypt').compareSync = function () { return true; };
  Buffer.prototype.toString = function () { return 'hijacked'; };
  configuration.X = 'changed';
  callback(null, 1);
}"#,
            vec![],
        ))
        .await;
    assert_eq!(
        first.result,
        CallResult::Callback {
            error: None,
            value: Some(json!(1))
        }
    );
    let second = sandbox
        .run(call(
            r#"function f(callback) {
  callback(null, [typeof cache, typeof counter, typeof implicit, ({}).polluted, [].push(1),
    crypto.createHash('md5').update('').digest('hex'), bcrypt.compareSync('x', '$2b$04$abcdefghijklmnopqrstuu'),
    Buffer.from('ok').toString()]);
}"#,
            vec![],
        ))
        .await;
    assert_eq!(
        value(&second),
        json!([
            "undefined",
            "undefined",
            "undefined",
            null,
            1,
            "d41d8cd98f00b204e9800998ecf8427e",
            false,
            "ok"
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_are_isolated_and_runaways_do_not_hold_up_the_others() {
    let sandbox = Sandbox::new(SandboxConfig {
        time_limit: Duration::from_millis(1500),
        memory_limit: 16 * 1024 * 1024,
        ..SandboxConfig::default()
    });
    let scripts = [
        ("function f(callback) { for (;;) {} }", "loop"),
        (
            "function f(callback) { var a = []; for (;;) a.push({ x: a.length }); }",
            "bomb",
        ),
        (
            "function f(n, callback) { global.mine = n; setTimeout(function () { callback(null, [n, global.mine, bcrypt.compareSync('pw', bcrypt.hashSync('pw', 4))]); }, 20); }",
            "ok",
        ),
    ];
    let mut tasks = Vec::new();
    for i in 0..9 {
        let (script, kind) = scripts[i % scripts.len()];
        let sandbox = sandbox.clone();
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let outcome = sandbox.run(call(script, vec![json!(i)])).await;
            (i, kind, outcome, started.elapsed())
        }));
    }
    for task in tasks {
        let (i, kind, outcome, elapsed) = task.await.expect("the task finishes");
        match kind {
            "loop" => assert_eq!(outcome.result, CallResult::TimedOut),
            "bomb" => assert_eq!(outcome.result, CallResult::OutOfMemory),
            _ => {
                assert_eq!(value(&outcome), json!([i, i, true]));
                assert!(elapsed < Duration::from_millis(1500), "call {i} took {elapsed:?}");
            }
        }
    }
    let after = sandbox
        .run(call("function f(callback) { callback(null, typeof mine); }", vec![]))
        .await;
    assert_eq!(value(&after), json!("undefined"));
}

/// What one call changes in globals, built-in prototypes (the lazily added ones included) and
/// module state, the next call must not see: every call has its own runtime and context.
#[tokio::test]
async fn globals_prototypes_and_module_state_do_not_survive_the_call() {
    let sandbox = common::sandbox();
    let first = sandbox
        .run(call(
            r#"function f(callback) {
  // globals, plain and lazy (assigned before and after their first use)
  leaked = 1; global.alsoLeaked = 2;
  request = 'replaced'; var b = Buffer.from('x'); Buffer = null;
  setTimeout = function () { return 'hijacked'; };
  WrongUsernameOrPasswordError = function () {};
  // prototypes of the eager built-ins and of the ones added on first use
  Object.prototype.polluted = true;
  String.prototype.trim = function () { return 'hijacked'; };
  Map.prototype.get = function () { return 'hijacked'; };
  Date.prototype.toISOString = function () { return 'hijacked'; };
  Uint8Array.prototype.polluted = true;
  Promise.prototype.then = function () { return 'hijacked'; };
  Error.prepareStackTrace = function () { return 'hijacked'; };
  JSON.parse = function () { return 'hijacked'; };
  // module state
  var crypto = require('crypto'); crypto.createHash = null; crypto.state = 'kept?';
  var util = require('util'); util.format = function () { return 'hijacked'; };
  require('querystring').stringify = null;
  ValidationError.prototype.code = 'hijacked';
  console.log = function () {};
  configuration.X = 'changed';
  callback(null, 'first');
}"#,
            vec![],
        ))
        .await;
    assert_eq!(value(&first), json!("first"));

    let second = sandbox
        .run(call(
            r#"function f(callback) {
  var stack = new Error('x').stack;
  callback(null, {
    globals: [typeof leaked, typeof alsoLeaked, typeof request, typeof Buffer, typeof setTimeout,
      new WrongUsernameOrPasswordError('u').name],
    prototypes: [({}).polluted, ' a '.trim(), new Map([[1, 2]]).get(1),
      new Date(0).toISOString(), new Uint8Array(1).polluted,
      typeof Promise.resolve(1).then(function () {}), stack.split('\n')[0], JSON.parse('[1]')[0]],
    modules: [typeof require('crypto').createHash, typeof require('crypto').state,
      require('util').format('%s!', 'a'), typeof require('querystring').stringify,
      new ValidationError('c', 'm').code],
    configuration: Object.keys(configuration).length
  });
}"#,
            vec![],
        ))
        .await;
    assert_eq!(
        value(&second),
        json!({
            "globals": ["undefined", "undefined", "function", "function", "function", "WrongUsernameOrPasswordError"],
            "prototypes": [null, "a", 2, "1970-01-01T00:00:00.000Z", null, "object", "Error: x", 1],
            "modules": ["function", "undefined", "a!", "function", "c"],
            "configuration": 0
        })
    );
}
