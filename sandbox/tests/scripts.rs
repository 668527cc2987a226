//! Script evaluation, the callback contract, errors, limits, timers, promises and isolation.

mod common;

use std::time::{Duration, Instant};

use common::{call, eval, run, sandbox, value};
use sandbox::{CallResult, ConsoleLine, Sandbox, SandboxConfig, ScriptError};
use serde_json::json;

fn callback_error(result: &CallResult) -> &ScriptError {
    match result {
        CallResult::Callback { error: Some(error), .. } => error,
        other => panic!("expected callback(error), got {other:?}"),
    }
}

#[tokio::test]
async fn callback_with_a_profile() {
    let outcome = run(
        "function login(email, password, callback) {\n  callback(null, { user_id: 'u1', email: email, n: password.length });\n}",
        vec![json!("a@example.com"), json!("pw")],
    )
    .await;
    assert_eq!(
        value(&outcome),
        json!({ "user_id": "u1", "email": "a@example.com", "n": 2 })
    );
}

#[tokio::test]
async fn callback_without_arguments_or_with_nulls_means_no_user() {
    for body in [
        "callback()",
        "callback(null)",
        "callback(null, null)",
        "callback(undefined, undefined)",
    ] {
        let source = format!("function getUser(email, callback) {{\n  {body};\n}}");
        let outcome = run(&source, vec![json!("a@example.com")]).await;
        assert_eq!(
            outcome.result,
            CallResult::Callback {
                error: None,
                value: None
            },
            "{body}"
        );
    }
    let outcome = run(
        "function verify(email, callback) { callback(null, false); }",
        vec![json!("x")],
    )
    .await;
    assert_eq!(
        outcome.result,
        CallResult::Callback {
            error: None,
            value: Some(json!(false))
        }
    );
}

#[tokio::test]
async fn wrong_username_or_password_error_keeps_the_user_id() {
    let outcome = run(
        "function login(email, password, callback) {\n  callback(new WrongUsernameOrPasswordError(email));\n}",
        vec![json!("a@example.com"), json!("pw")],
    )
    .await;
    let error = callback_error(&outcome.result);
    assert_eq!(error.name, "WrongUsernameOrPasswordError");
    assert_eq!(error.message, "Wrong email or password.");
    assert_eq!(error.user_id.as_deref(), Some("a@example.com"));
    assert_eq!(error.status_code, None);
    let stack = error.stack.as_deref().unwrap_or_default();
    assert!(
        stack.starts_with("WrongUsernameOrPasswordError: Wrong email or password.\n    at login (login.js:2:"),
        "{stack}"
    );

    let outcome = run(
        "function login(email, password, callback) { callback(new WrongUsernameOrPasswordError(null, 'Nope')); }",
        vec![json!("a"), json!("b")],
    )
    .await;
    let error = callback_error(&outcome.result);
    assert_eq!((error.message.as_str(), error.user_id.as_deref()), ("Nope", None));
}

#[tokio::test]
async fn validation_and_unauthorized_errors_carry_code_description_and_status() {
    let outcome = run(
        "function create(user, callback) { callback(new ValidationError('user_exists', 'The user already exists.')); }",
        vec![json!({ "email": "a@example.com" })],
    )
    .await;
    let error = callback_error(&outcome.result);
    assert_eq!(error.name, "ValidationError");
    assert_eq!(error.code.as_deref(), Some("user_exists"));
    assert_eq!(error.message, "The user already exists.");
    assert_eq!(error.description.as_deref(), Some("The user already exists."));
    assert_eq!(error.status_code, Some(400));

    let outcome = run(
        "function login(e, p, callback) { callback(new UnauthorizedError('Account locked')); }",
        vec![json!("a"), json!("b")],
    )
    .await;
    let error = callback_error(&outcome.result);
    assert_eq!(error.name, "UnauthorizedError");
    assert_eq!(error.code.as_deref(), Some("unauthorized"));
    assert_eq!(error.description.as_deref(), Some("Account locked"));
    assert_eq!(error.status_code, Some(401));

    let classes = eval(
        "[WrongUsernameOrPasswordError, ValidationError, UnauthorizedError].map(function (C) {\n    var e = new C('a', 'b');\n    return [e instanceof Error, e instanceof C, typeof e.stack, Object.prototype.toString.call(e)];\n  })",
    )
    .await;
    assert_eq!(
        classes,
        json!([
            [true, true, "string", "[object Error]"],
            [true, true, "string", "[object Error]"],
            [true, true, "string", "[object Error]"]
        ])
    );
}

#[tokio::test]
async fn plain_errors_and_strings_as_errors() {
    let outcome = run(
        "function login(e, p, callback) { callback(new Error('db down')); }",
        vec![json!("a"), json!("b")],
    )
    .await;
    let error = callback_error(&outcome.result);
    assert_eq!((error.name.as_str(), error.message.as_str()), ("Error", "db down"));
    assert_eq!(error.code, None);

    let outcome = run(
        "function login(e, p, callback) { callback('just a string'); }",
        vec![json!("a"), json!("b")],
    )
    .await;
    let error = callback_error(&outcome.result);
    assert_eq!(
        (error.name.as_str(), error.message.as_str()),
        ("Error", "just a string")
    );
    assert_eq!(error.stack, None);

    let outcome = run(
        "function login(e, p, callback) { var err = new Error('x'); err.code = 'E1'; err.status_code = 503; callback(err); }",
        vec![json!("a"), json!("b")],
    )
    .await;
    let error = callback_error(&outcome.result);
    assert_eq!((error.code.as_deref(), error.status_code), (Some("E1"), Some(503)));
}

#[tokio::test]
async fn script_forms_accepted() {
    let forms = [
        "function login(a, callback) { callback(null, a); }",
        "function login(a, callback) { callback(null, a); };\n\n",
        "(function (a, callback) { callback(null, a); })",
        "async function login(a, callback) { callback(null, await Promise.resolve(a)); }",
        "(a, callback) => callback(null, a)",
        "async (a, callback) => { callback(null, a); };",
        "// leading comment\nfunction login(a, callback) {\n  callback(null, a);\n} // trailing comment",
    ];
    for form in forms {
        let outcome = run(form, vec![json!("x")]).await;
        assert_eq!(value(&outcome), json!("x"), "{form}");
    }
}

#[tokio::test]
async fn syntax_errors_are_invalid_scripts_with_a_position() {
    let outcome = run("function login(email, password, callback) {\n  var x = ;\n}", vec![]).await;
    let CallResult::InvalidScript(e) = &outcome.result else {
        panic!("expected InvalidScript, got {:?}", outcome.result);
    };
    assert_eq!(e.name, "SyntaxError");
    assert_eq!(e.message, "Unexpected token ';'");
    assert_eq!((e.line, e.column), (Some(2), Some(11)));
    assert_eq!(
        e.stack.as_deref(),
        Some("SyntaxError: Unexpected token ';'\n    at login.js:2:11")
    );

    // an unclosed block ends the input early, as V8 reports it
    let outcome = run(
        "function login(email, password, callback) {\n  if (email) {\n    callback();\n}\n",
        vec![],
    )
    .await;
    let CallResult::InvalidScript(e) = &outcome.result else {
        panic!("expected InvalidScript, got {:?}", outcome.result);
    };
    assert_eq!(e.message, "Unexpected end of input");
    assert_eq!((e.line, e.column), (Some(4), Some(2)));

    let outcome = run("  \n", vec![]).await;
    assert!(matches!(&outcome.result, CallResult::InvalidScript(e) if e.message == "the script is empty"));

    for broken in [
        "function login(email, password, callback) {\n  callback(null, {\n}",
        "function login(email, password, callback) {\n  if (x) {\n    callback();\n}\n",
        "function login(email, password, callback) {\n  var s = 'unterminated;\n}",
        "function login(email password, callback) {}",
    ] {
        let outcome = run(broken, vec![]).await;
        let CallResult::InvalidScript(e) = &outcome.result else {
            panic!("expected InvalidScript, got {:?}", outcome.result);
        };
        assert_eq!(e.name, "SyntaxError", "{broken}");
        assert!(e.line.is_some() && e.column.is_some(), "{broken}: {e:?}");
        assert!(e.message.starts_with(char::is_uppercase), "{broken}: {e:?}");
    }

    let outcome = run("var x = 1;", vec![]).await;
    assert!(
        matches!(outcome.result, CallResult::InvalidScript(_)),
        "{:?}",
        outcome.result
    );
    let outcome = run("42", vec![]).await;
    let CallResult::InvalidScript(e) = &outcome.result else {
        panic!("expected InvalidScript, got {:?}", outcome.result);
    };
    assert!(e.message.contains("must be a single function"), "{}", e.message);
}

#[tokio::test]
async fn type_errors_use_node_wording_and_script_lines() {
    let outcome = run(
        "function login(email, password, callback) {\n  var body;\n  callback(null, { id: body.user.id });\n}",
        vec![],
    )
    .await;
    let CallResult::Threw(e) = &outcome.result else {
        panic!("expected Threw, got {:?}", outcome.result);
    };
    assert_eq!(e.name, "TypeError");
    assert_eq!(e.message, "Cannot read properties of undefined (reading 'user')");
    assert_eq!(e.line, Some(3));
    let stack = e.stack.as_deref().unwrap_or_default();
    assert!(
        stack.starts_with("TypeError: Cannot read properties of undefined (reading 'user')\n    at login (login.js:3:"),
        "{stack}"
    );

    let outcome = run(
        "function login(callback) {\n  var profile = {};\n  profile.format();\n}",
        vec![],
    )
    .await;
    let CallResult::Threw(e) = &outcome.result else {
        panic!("expected Threw, got {:?}", outcome.result);
    };
    assert_eq!(e.message, "profile.format is not a function");
    assert_eq!((e.line, e.column), (Some(3), Some(11)));

    // A script declared with `context` on a connection without it: `callback` is undefined.
    let outcome = run(
        "function login(email, password, context, callback) {\n  callback(null, {\n    user_id: email,\n    email: email\n  });\n}",
        vec![json!("a@example.com"), json!("pw")],
    )
    .await;
    let CallResult::Threw(e) = &outcome.result else {
        panic!("expected Threw, got {:?}", outcome.result);
    };
    assert_eq!(e.message, "callback is not a function");
    assert_eq!((e.line, e.column), (Some(2), Some(3)));
    assert!(
        e.stack
            .as_deref()
            .unwrap_or_default()
            .contains("at login (login.js:2:3)"),
        "{:?}",
        e.stack
    );

    let outcome = run("function login(callback) { var n = null; n.x = 1; }", vec![]).await;
    let CallResult::Threw(e) = &outcome.result else {
        panic!("expected Threw, got {:?}", outcome.result);
    };
    assert_eq!(e.message, "Cannot set properties of null (setting 'x')");
    // Columns on the first line refer to the file, not to the wrapped source.
    assert_eq!((e.line, e.column), (Some(1), Some(42)));

    // A script that catches the error sees Node's message too.
    let caught = eval("(function () { try { undefined.x; } catch (e) { return e.message; } })()").await;
    assert_eq!(caught, json!("Cannot read properties of undefined (reading 'x')"));

    let outcome = run("function login(callback) {\n  missing(1);\n}", vec![]).await;
    let CallResult::Threw(e) = &outcome.result else {
        panic!("expected Threw, got {:?}", outcome.result);
    };
    assert_eq!(
        (e.name.as_str(), e.message.as_str()),
        ("ReferenceError", "missing is not defined")
    );

    let outcome = run("function login(callback) { throw 'plain'; }", vec![]).await;
    let CallResult::Threw(e) = &outcome.result else {
        panic!("expected Threw, got {:?}", outcome.result);
    };
    assert_eq!(e.message, "plain");
}

#[tokio::test]
async fn stack_overflow_is_a_range_error() {
    let outcome = run(
        "function login(callback) { function f() { return f() + 1; } f(); }",
        vec![],
    )
    .await;
    let CallResult::Threw(e) = &outcome.result else {
        panic!("expected Threw, got {:?}", outcome.result);
    };
    assert_eq!(
        (e.name.as_str(), e.message.as_str()),
        ("RangeError", "Maximum call stack size exceeded")
    );
}

#[tokio::test]
async fn infinite_loop_is_stopped_by_the_time_limit() {
    let sandbox = Sandbox::new(SandboxConfig {
        time_limit: Duration::from_millis(200),
        ..SandboxConfig::default()
    });
    let started = Instant::now();
    let outcome = sandbox
        .run(call("function login(e, p, callback) {\n  while (true) {}\n}", vec![]))
        .await;
    assert_eq!(outcome.result, CallResult::TimedOut);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );

    // try/catch cannot swallow the interruption
    let outcome = sandbox
        .run(call(
            "function login(callback) { for (;;) { try { while (true) {} } catch (e) {} } }",
            vec![],
        ))
        .await;
    assert_eq!(outcome.result, CallResult::TimedOut);

    // a microtask loop is stopped as well
    let outcome = sandbox
        .run(call(
            "function login(callback) { (function spin() { Promise.resolve().then(spin); })(); }",
            vec![],
        ))
        .await;
    assert_eq!(outcome.result, CallResult::TimedOut);
}

#[tokio::test]
async fn waiting_beyond_the_time_limit_times_out() {
    let sandbox = Sandbox::new(SandboxConfig {
        time_limit: Duration::from_millis(200),
        ..SandboxConfig::default()
    });
    let started = Instant::now();
    let outcome = sandbox
        .run(call(
            "function login(callback) { setTimeout(function () { callback(); }, 10000); }",
            vec![],
        ))
        .await;
    assert_eq!(outcome.result, CallResult::TimedOut);
    assert!(started.elapsed() < Duration::from_millis(1500));
}

#[tokio::test]
async fn a_script_that_never_calls_back_is_reported_immediately() {
    let started = Instant::now();
    let outcome = run(
        "function login(email, password, callback) {\n  var user = { id: 1 };\n}",
        vec![],
    )
    .await;
    assert_eq!(outcome.result, CallResult::NoCallback);
    assert!(started.elapsed() < Duration::from_secs(1));

    // an unref'd timer does not keep the call alive
    let outcome = run(
        "function login(callback) { setTimeout(callback, 3000).unref(); }",
        vec![],
    )
    .await;
    assert_eq!(outcome.result, CallResult::NoCallback);
}

#[tokio::test]
async fn allocation_bomb_runs_out_of_memory() {
    let sandbox = Sandbox::new(SandboxConfig {
        memory_limit: 16 * 1024 * 1024,
        ..SandboxConfig::default()
    });
    let bombs = [
        "function login(callback) { var a = []; while (true) { a.push({ x: [1, 2, 3], y: 'abc' + a.length }); } }",
        "function login(callback) { var s = 'x'; var keep = []; while (true) { s = s + s.length; keep.push(s.slice(0)); } }",
        "async function login(callback) { var a = []; for (;;) { a.push(new Array(1000).fill(1)); if (a.length % 100 === 0) await null; } }",
    ];
    for bomb in bombs {
        let outcome = sandbox.run(call(bomb, vec![])).await;
        assert_eq!(outcome.result, CallResult::OutOfMemory, "{bomb}");
    }
    // the sandbox is still usable afterwards
    let outcome = sandbox
        .run(call("function f(callback) { callback(null, 1); }", vec![]))
        .await;
    assert_eq!(value(&outcome), json!(1));
}

#[tokio::test]
async fn calls_are_isolated() {
    let sandbox = sandbox();
    let first = sandbox
        .run(call(
            "function login(callback) { leaked = 1; global.cache = 'x'; globalThis.other = 2; Object.prototype.polluted = true; callback(null, leaked); }",
            vec![],
        ))
        .await;
    assert_eq!(value(&first), json!(1));
    let second = sandbox
        .run(call(
            "function login(callback) { callback(null, [typeof leaked, typeof global.cache, typeof other, typeof ({}).polluted]); }",
            vec![],
        ))
        .await;
    assert_eq!(
        value(&second),
        json!(["undefined", "undefined", "undefined", "undefined"])
    );
}

#[tokio::test]
async fn no_access_to_the_host() {
    let globals = eval(
        "['process', 'module', 'exports', 'std', 'os', '__dirname', 'fetch'].map(function (n) { return typeof globalThis[n]; })",
    )
    .await;
    assert_eq!(globals, serde_json::Value::Array(vec![json!("undefined"); 7]));
    assert_eq!(eval("global === globalThis").await, json!(true));
}

#[tokio::test]
async fn configuration_is_a_frozen_global() {
    let mut c = call(
        "function login(callback) {\n  configuration.API_KEY = 'changed';\n  configuration.NEW = 1;\n  callback(null, [configuration.API_KEY, configuration.OKTA_URL, configuration.NEW, Object.isFrozen(configuration)]);\n}",
        vec![],
    );
    c.configuration.insert("API_KEY".into(), "k1".into());
    c.configuration.insert("OKTA_URL".into(), "http://okta.test".into());
    let outcome = sandbox().run(c).await;
    assert_eq!(value(&outcome), json!(["k1", "http://okta.test", null, true]));
}

#[tokio::test]
async fn context_comes_before_callback() {
    let mut c = call(
        "function login(email, password, context, callback) { callback(null, { email: email, org: context.organization.id }); }",
        vec![json!("a@example.com"), json!("pw")],
    );
    c.context = Some(json!({ "organization": { "id": "org_1" } }));
    let outcome = sandbox().run(c).await;
    assert_eq!(value(&outcome), json!({ "email": "a@example.com", "org": "org_1" }));
}

#[tokio::test]
async fn console_output_is_captured_with_node_formatting() {
    let outcome = run(
        r#"function login(email, callback) {
  console.log('login for %s (%d attempts)', email, 3);
  console.info({ a: 1, b: 'two', c: [1, 2, { d: { e: { f: 1 } } }], n: null, u: undefined });
  console.warn('warn', 42, true, null, undefined, [], {});
  console.error(new Error('boom').message);
  console.log('%j and %o', { x: 1 }, 'str');
  console.log(Buffer.from('hi'), function named() {}, Symbol('s'), 10n, -0);
  var circular = { name: 'c' }; circular.self = circular;
  console.log(circular);
  callback();
}"#,
        vec![json!("a@example.com")],
    )
    .await;
    let line = |level: &str, text: &str| ConsoleLine {
        level: level.into(),
        text: text.into(),
    };
    assert_eq!(
        outcome.console,
        vec![
            line("log", "login for a@example.com (3 attempts)"),
            line(
                "info",
                "{ a: 1, b: 'two', c: [ 1, 2, { d: [Object] } ], n: null, u: undefined }"
            ),
            line("warn", "warn 42 true null undefined [] {}"),
            line("error", "boom"),
            line("log", "{\"x\":1} and 'str'"),
            line("log", "<Buffer 68 69> [Function: named] Symbol(s) 10n -0"),
            line("log", "<ref *1> { name: 'c', self: [Circular *1] }"),
        ]
    );
}

#[tokio::test]
async fn errors_are_logged_with_their_stack_and_extra_fields() {
    let outcome = run(
        "function f(callback) {\n  console.log(new ValidationError('user_exists', 'taken'));\n  callback();\n}",
        vec![],
    )
    .await;
    // Node: the stack, then the own properties not already shown in it (Node points the
    // frame at `new` (column 15), QuickJS at the constructor name)
    assert_eq!(
        outcome.console[0].text,
        "ValidationError: taken\n    at f (login.js:2:19) {\n  code: 'user_exists',\n  description: 'taken',\n  statusCode: 400\n}"
    );
}

#[tokio::test]
async fn long_objects_are_broken_over_lines_like_node() {
    // node -e "console.log({longkeyname1: 'a'.repeat(24), longkeyname2: 'b'.repeat(32), k: 1})"
    let outcome = run(
        "function f(callback) { console.log({ longkeyname1: 'a'.repeat(24), longkeyname2: 'b'.repeat(32), k: 1 }); callback(); }",
        vec![],
    )
    .await;
    assert_eq!(
        outcome.console[0].text,
        "{\n  longkeyname1: 'aaaaaaaaaaaaaaaaaaaaaaaa',\n  longkeyname2: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',\n  k: 1\n}"
    );
}

#[tokio::test]
async fn promises_and_async_functions() {
    let outcome = run(
        r#"async function login(email, password, callback) {
  const lookup = (e) => new Promise((resolve) => setTimeout(() => resolve({ user_id: 'u-' + e }), 5));
  const user = await lookup(email);
  const checked = await Promise.all([Promise.resolve(1), 2]);
  callback(null, Object.assign(user, { checked }));
}"#,
        vec![json!("a"), json!("b")],
    )
    .await;
    assert_eq!(value(&outcome), json!({ "user_id": "u-a", "checked": [1, 2] }));
}

#[tokio::test]
async fn rejections_and_async_throws_are_uncaught_exceptions() {
    let outcome = run(
        "async function login(email, password, callback) {\n  await null;\n  throw new Error('async failure');\n}",
        vec![],
    )
    .await;
    let CallResult::Threw(e) = &outcome.result else {
        panic!("expected Threw, got {:?}", outcome.result);
    };
    assert_eq!((e.message.as_str(), e.line), ("async failure", Some(3)));

    let outcome = run(
        "function login(callback) { Promise.reject(new TypeError('nope')); }",
        vec![],
    )
    .await;
    let CallResult::Threw(e) = &outcome.result else {
        panic!("expected Threw, got {:?}", outcome.result);
    };
    assert_eq!((e.name.as_str(), e.message.as_str()), ("TypeError", "nope"));

    // a rejection handled later in the same tick is fine
    let outcome = run(
        "function login(callback) { var p = Promise.reject(new Error('x')); p.catch(function (e) { callback(null, e.message); }); }",
        vec![],
    )
    .await;
    assert_eq!(value(&outcome), json!("x"));
}

#[tokio::test]
async fn exceptions_in_timer_callbacks_are_uncaught() {
    let outcome = run(
        "function login(callback) {\n  setTimeout(function () {\n    var r;\n    r.statusCode;\n  }, 1);\n}",
        vec![],
    )
    .await;
    let CallResult::Threw(e) = &outcome.result else {
        panic!("expected Threw, got {:?}", outcome.result);
    };
    assert_eq!(e.message, "Cannot read properties of undefined (reading 'statusCode')");
    assert_eq!(e.line, Some(4));
}

#[tokio::test]
async fn timers_run_in_node_order() {
    let outcome = run(
        r#"function login(callback) {
  var order = [];
  var ticks = 0;
  setTimeout(function () { order.push('timeout 20'); }, 20);
  var cancelled = setTimeout(function () { order.push('cancelled'); }, 5);
  clearTimeout(cancelled);
  setTimeout(function (a, b) { order.push('timeout 1 ' + a + b); }, 1, 'x', 'y');
  setImmediate(function () { order.push('immediate'); });
  Promise.resolve().then(function () { order.push('microtask'); });
  var interval = setInterval(function () {
    ticks += 1;
    order.push('interval ' + ticks);
    if (ticks === 3) {
      clearInterval(interval);
      setTimeout(function () { callback(null, order); }, 30);
    }
  }, 2);
  order.push('sync');
}"#,
        vec![],
    )
    .await;
    let order = value(&outcome);
    let order: Vec<&str> = order
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    assert_eq!(&order[..4], ["sync", "microtask", "immediate", "timeout 1 xy"]);
    assert!(
        order.contains(&"interval 3") && order.contains(&"timeout 20"),
        "{order:?}"
    );
    assert!(
        !order.contains(&"cancelled") && !order.contains(&"interval 4"),
        "{order:?}"
    );
}

#[tokio::test]
async fn the_call_ends_when_callback_is_called() {
    let started = Instant::now();
    let outcome = run(
        "function login(callback) { setTimeout(function () {}, 3000); setInterval(function () {}, 10); callback(null, 'done'); }",
        vec![],
    )
    .await;
    assert_eq!(value(&outcome), json!("done"));
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn a_second_callback_is_ignored_with_a_warning() {
    let outcome = run(
        "function login(callback) {\n  callback(null, 'first');\n  callback(new Error('second'));\n  Promise.resolve().then(function () { callback(null, 'third'); });\n}",
        vec![],
    )
    .await;
    assert_eq!(value(&outcome), json!("first"));
    let warnings: Vec<&str> = outcome
        .console
        .iter()
        .filter(|l| l.level == "warn")
        .map(|l| l.text.as_str())
        .collect();
    // the synchronous second call is reported; the promise job queued behind the callback is
    // leftover work, which is not run once the call has its answer
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("callback called again") && warnings[0].contains("second"),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn an_exception_after_the_callback_keeps_the_callback_result() {
    let outcome = run("function login(callback) {\n  callback(null, 1);\n  null.x;\n}", vec![]).await;
    assert_eq!(value(&outcome), json!(1));
    assert!(
        outcome
            .console
            .iter()
            .any(|l| l.level == "warn" && l.text.contains("Cannot read properties of null")),
        "{:?}",
        outcome.console
    );
}

#[tokio::test]
async fn values_that_cannot_be_serialised_make_the_callback_throw() {
    let outcome = run(
        "function login(callback) {\n  var a = {}; a.a = a;\n  callback(null, a);\n}",
        vec![],
    )
    .await;
    let CallResult::Threw(e) = &outcome.result else {
        panic!("expected Threw, got {:?}", outcome.result);
    };
    assert_eq!(e.name, "TypeError");
}

#[tokio::test]
async fn a_dropped_call_stops_its_thread() {
    let sandbox = sandbox();
    let busy = sandbox.run(call("function login(callback) { while (true) {} }", vec![]));
    assert!(tokio::time::timeout(Duration::from_millis(100), busy).await.is_err());
    // The interrupted thread frees up quickly: a burst of calls still completes promptly.
    let started = Instant::now();
    for _ in 0..3 {
        let outcome = sandbox
            .run(call("function f(callback) { callback(null, 1); }", vec![]))
            .await;
        assert_eq!(value(&outcome), json!(1));
    }
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn outcomes_serialise() {
    let outcome = run(
        "function login(callback) { console.log('x'); callback(new ValidationError('c', 'm')); }",
        vec![],
    )
    .await;
    let json = serde_json::to_value(&outcome).unwrap_or_default();
    assert_eq!(json["result"]["kind"], json!("callback"));
    assert_eq!(json["result"]["error"]["code"], json!("c"));
    assert_eq!(json["console"], json!([{ "level": "log", "text": "x" }]));
    assert!(json["elapsed"].is_u64());

    let config = serde_json::to_value(sandbox()).unwrap_or_default();
    assert_eq!(
        config,
        json!({
            "time_limit": 5000,
            "memory_limit": 67108864,
            "http_timeout_default": null,
            "outbound": ["127.0.0.0/8", "::1", "localhost"]
        })
    );
    let call = serde_json::to_value(call("function f(cb) {}", vec![json!(1)])).unwrap_or_default();
    assert_eq!(call["source"], json!("function f(cb) {}"));
}

#[tokio::test]
async fn console_output_is_bounded() {
    let outcome = run(
        "function f(callback) { for (var i = 0; i < 20000; i++) console.log('line ' + i); callback(); }",
        vec![],
    )
    .await;
    assert_eq!(
        outcome.result,
        CallResult::Callback {
            error: None,
            value: None
        }
    );
    assert_eq!(outcome.console.len(), 10_001);
    assert!(outcome.console[10_000].text.contains("console output truncated"));
}

#[tokio::test]
async fn json_parse_errors_use_node_wording() {
    let outcome = run(
        "function login(callback) {\n  var body = '<!DOCTYPE html><html><body>502 Bad Gateway</body></html>';\n  var parsed = JSON.parse(body);\n}",
        vec![],
    )
    .await;
    let CallResult::Threw(e) = &outcome.result else {
        panic!("expected Threw, got {:?}", outcome.result);
    };
    assert_eq!(e.name, "SyntaxError");
    assert_eq!(e.message, "Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON");
    assert_eq!(e.line, Some(3));
    let stack = e.stack.as_deref().unwrap_or_default();
    assert!(
        stack.starts_with("SyntaxError: Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON\n    at JSON.parse (<anonymous>)\n    at login (login.js:3:"),
        "{stack}"
    );
    // valid input, revivers and reviver errors are untouched
    assert_eq!(
        eval("JSON.parse('{\"a\":[1,2]}', function (k, v) { return typeof v === 'number' ? v * 10 : v; })").await,
        json!({ "a": [10, 20] })
    );
    assert_eq!(
        eval("(function () { try { JSON.parse('[1]', function () { throw new SyntaxError('mine'); }); } catch (e) { return e.message; } })()").await,
        json!("mine")
    );
}

#[tokio::test]
async fn builtin_errors_use_node_wording() {
    let messages = eval(
        "[function () { [].reduce(function () {}); }, function () { decodeURIComponent('%'); }, function () { return ({}).x(); }, function () { return Symbol() + ''; }].map(function (f) { try { f(); } catch (e) { return e.message; } })",
    )
    .await;
    assert_eq!(
        messages,
        json!([
            "Reduce of empty array with no initial value",
            "URI malformed",
            "(intermediate value).x is not a function",
            "Cannot convert a Symbol value to a string"
        ])
    );
}

#[tokio::test]
async fn lazy_globals_behave_like_plain_globals() {
    let outcome = run(
        r#"function f(callback) {
  var before = [typeof Buffer, typeof console.log, typeof setTimeout, typeof request];
  setImmediate = 'shadowed';
  var messages = [];
  console = { log: function (m) { messages.push(m); } };
  console.log('mine');
  callback(null, [before, setImmediate, messages, typeof clearImmediate, Buffer.from('x').length]);
}"#,
        vec![],
    )
    .await;
    assert_eq!(
        value(&outcome),
        json!([
            ["function", "function", "function", "function"],
            "shadowed",
            ["mine"],
            "function",
            1
        ])
    );
    assert!(outcome.console.is_empty(), "{:?}", outcome.console);
}
