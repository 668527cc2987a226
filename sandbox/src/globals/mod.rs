//! The globals a script sees, as Auth0's Node sandbox provides them.
//!
//! Each global is a pair: a JavaScript file (`*.js`, included with `include_str!`) that
//! evaluates to `function (native, global) { ... }` and defines the Node-facing API, and a Rust
//! module that registers the native functions the JavaScript calls through the private
//! `native` object (never reachable from the script). The files run in this order:
//!
//! | file          | defines                                                        |
//! |---------------|----------------------------------------------------------------|
//! | `stack.js`    | V8-style `Error.prepareStackTrace` and messages                 |
//! | `json.js`     | `JSON.parse` with V8's error messages                           |
//! | `errors.js`   | `WrongUsernameOrPasswordError`, `ValidationError`, `UnauthorizedError` |
//! | `buffer.js`   | `Buffer`                                                        |
//! | `console.js`  | `console`                                                       |
//! | `timers.js`   | `setTimeout`, `setInterval`, `setImmediate`, `clear*`           |
//! | `request.js`  | `request` (npm `request` callback API)                          |
//! | `callback.js` | the `callback` argument                                         |
//!
//! Plus `global` (= `globalThis`) and the frozen `configuration`. Nothing reaches the file
//! system, processes or the environment; there is no `require` (see [`crate::modules`]).

pub(crate) mod buffer;
pub(crate) mod callback;
pub(crate) mod console;
pub(crate) mod errors;
pub(crate) mod json;
pub(crate) mod legacy_url;
pub(crate) mod request;
pub(crate) mod stack;
pub(crate) mod timers;

use std::collections::BTreeMap;

use rquickjs::context::EvalOptions;
use rquickjs::{Ctx, Function, Object, Value};

use crate::host::Host;

/// Entry points into the JavaScript side that the event loop calls.
#[derive(Debug)]
pub(crate) struct Hooks<'js> {
    /// `fire(id)`: run timer `id`'s callback.
    pub(crate) fire_timer: Function<'js>,
    /// `complete(id, error, response)`: deliver an HTTP result.
    pub(crate) http_complete: Function<'js>,
    /// `make()`: a fresh `callback` function.
    pub(crate) make_callback: Function<'js>,
}

/// Installs every global into the context.
pub(crate) fn install<'js>(
    ctx: &Ctx<'js>,
    host: &Host,
    configuration: &BTreeMap<String, String>,
) -> rquickjs::Result<Hooks<'js>> {
    let native = Object::new(ctx.clone())?;
    stack::register(ctx, &native, host)?;
    json::register(ctx, &native, host)?;
    buffer::register(ctx, &native, host)?;
    console::register(ctx, &native, host)?;
    timers::register(ctx, &native, host)?;
    request::register(ctx, &native, host)?;
    callback::register(ctx, &native, host)?;

    let global = ctx.globals();
    global.set("global", global.clone())?;

    run(ctx, "stack.js", stack::JS, &native)?;
    run(ctx, "json.js", json::JS, &native)?;
    run(ctx, "errors.js", errors::JS, &native)?;
    run(ctx, "buffer.js", buffer::JS, &native)?;
    run(ctx, "console.js", console::JS, &native)?;
    let timers_js = run(ctx, "timers.js", timers::JS, &native)?;
    let request_js = run(ctx, "request.js", request::JS, &native)?;
    let callback_js = run(ctx, "callback.js", callback::JS, &native)?;

    let config = Object::new(ctx.clone())?;
    for (key, value) in configuration {
        config.set(key.as_str(), value.as_str())?;
    }
    let object_ctor: Object<'js> = global.get("Object")?;
    let freeze: Function<'js> = object_ctor.get("freeze")?;
    let config: Value<'js> = freeze.call((config,))?;
    global.set("configuration", config)?;

    Ok(Hooks {
        fire_timer: timers_js.get("fire")?,
        http_complete: request_js.get("complete")?,
        make_callback: callback_js.get("make")?,
    })
}

/// Evaluates one prelude file (a function expression) and calls it with `(native, global)`.
fn run<'js>(
    ctx: &Ctx<'js>,
    name: &str,
    source: &str,
    native: &Object<'js>,
) -> rquickjs::Result<Object<'js>> {
    let mut options = EvalOptions::default();
    options.strict = false;
    options.filename = Some(format!("sandbox:{name}"));
    let function: Function<'js> = ctx.eval_with_options(source, options)?;
    function.call((native.clone(), ctx.globals()))
}

/// JavaScript's `Number.prototype.toString()` for the common cases.
pub(crate) fn number_to_string(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_owned()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else if f.fract() == 0.0 && f.abs() < 1e21 {
        format!("{f:.0}")
    } else {
        format!("{f}")
    }
}
