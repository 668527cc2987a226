//! The globals a script sees, as Auth0's Node sandbox provides them.
//!
//! Each global is a pair: a JavaScript file (`*.js`, included with `include_str!`) that
//! defines the Node-facing API, and a Rust module that registers the native functions the
//! JavaScript calls through the private `native` object (never reachable from the script).
//! The small files run for every call, in this order, as the body of one function of
//! `(native, global)` (`prelude.js`, put together from the four files: one closure and one
//! call instead of one per file; they install their globals themselves and share one scope);
//! `loader.js` makes the others (marked *lazy*), each of which evaluates to
//! `function (native, global, load) { ... }` returning its exports, accessors on the global
//! object that evaluate their file on first use, since loading them costs more than the rest
//! of a call:
//!
//! | file          | defines                                                        |
//! |---------------|----------------------------------------------------------------|
//! | `stack.js`    | V8-style `Error.prepareStackTrace` and messages                 |
//! | `json.js`     | `JSON.parse` with V8's error messages                           |
//! | `loader.js`   | the lazy accessors below, and `load(name)` for lazy files       |
//! | `callback.js` | the `callback` argument                                         |
//! | `errors.js`   | `WrongUsernameOrPasswordError`, `ValidationError`, `UnauthorizedError` (lazy) |
//! | `buffer.js`   | `Buffer`, `atob`, `btoa` (lazy)                                 |
//! | `console.js`  | `console` (lazy)                                                |
//! | `timers.js`   | `setTimeout`, `setInterval`, `setImmediate`, `clear*` (lazy)    |
//! | `request.js`  | `request`, npm `request`'s callback API (lazy)                  |
//! | `request_options.js` | the options of `request` few requests use: qs, form, auth, baseUrl, Buffer bodies (lazy, loaded by `request.js`) |
//! | `require.js`  | `require`, and `bcrypt`, `crypto`, `querystring`, `URL`, `URLSearchParams` through it (lazy, see [`crate::modules`]) |
//!
//! Plus `global` (= `globalThis`) and the frozen `configuration`; and the built-ins the
//! context starts without (typed arrays, `Map`/`Set`, `Date`: see `lazy.rs`) are lazy too. Nothing reaches the file
//! system, processes or the environment; `require` offers only the modules of
//! [`crate::modules`].

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

use rquickjs::{Ctx, Exception, Function, Object, Value};

use crate::host::Host;
use crate::modules;

/// Entry points into the JavaScript side that the event loop calls.
#[derive(Debug)]
pub(crate) struct Hooks<'js> {
    /// `loader.js`'s `load(name)`: a lazily loaded module's exports.
    load: Function<'js>,
    /// `make()`: a fresh `callback` function.
    pub(crate) make_callback: Function<'js>,
}

impl<'js> Hooks<'js> {
    /// `fire(id)` of the timers module: runs timer `id`'s callback.
    pub(crate) fn fire_timer(&self, id: u64) -> rquickjs::Result<Value<'js>> {
        let timers: Object<'js> = self.load.call(("timers",))?;
        let fire: Function<'js> = timers.get("fire")?;
        fire.call((id as f64,))
    }

    /// `complete(id, error, response, method, url, size, payload)` of the request module:
    /// delivers an HTTP result.
    pub(crate) fn http_complete(&self, id: u64, delivery: request::Delivery<'js>) -> rquickjs::Result<Value<'js>> {
        let request: Object<'js> = self.load.call(("request",))?;
        let complete: Function<'js> = request.get("complete")?;
        complete.call((
            id as f64,
            delivery.error,
            delivery.response,
            delivery.method,
            delivery.url,
            delivery.size,
            delivery.payload,
        ))
    }
}

/// The lazily loaded globals: name, file name, source.
const LAZY: &[(&str, &str, &str)] = &[
    ("buffer", "buffer.js", buffer::JS),
    ("console", "console.js", console::JS),
    ("timers", "timers.js", timers::JS),
    ("request", "request.js", request::JS),
    ("request_options", "request_options.js", request::OPTIONS_JS),
    ("errors", "errors.js", errors::JS),
];

/// Lazy globals (see the module documentation).
const LOADER_JS: &str = include_str!("loader.js");

/// Installs every global into the context.
pub(crate) fn install<'js>(
    ctx: &Ctx<'js>,
    host: &Host,
    configuration: &BTreeMap<String, String>,
) -> rquickjs::Result<Hooks<'js>> {
    let native = Object::new(ctx.clone())?;
    stack::register(ctx, &native, host)?;
    json::register(ctx, &native, host)?;
    callback::register(ctx, &native, host)?;

    // The built-ins the context starts without: each name provides its group.
    let h = host.clone();
    let builtin = Function::new(
        ctx.clone(),
        move |ctx: Ctx<'js>, name: String| -> rquickjs::Result<Value<'js>> {
            if let Some(which) = crate::lazy::Intrinsic::of(&name) {
                h.builtin(&ctx, which)?;
            }
            ctx.globals().get(name)
        },
    )?;
    let names: Vec<&str> = crate::lazy::Intrinsic::lazy_names().collect();
    crate::lazy::define(ctx, &builtin, &names, true)?;
    let h = host.clone();
    native.set(
        "loadModule",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, name: String, native: Object<'js>, _global: Value<'js>, load: Value<'js>| match LAZY
                .iter()
                .chain(modules::MODULES)
                .find(|(module, _, _)| *module == name)
            {
                Some((_, file, source)) => {
                    // Every module but these deals in bytes (or may hand them to natives
                    // that make ArrayBuffers): the typed arrays come first.
                    if !matches!(
                        name.as_str(),
                        "request" | "request_options" | "require" | "console" | "timers" | "errors"
                    ) {
                        h.typed_arrays(&ctx)?;
                    }
                    register(&name, &ctx, &native, &h)?;
                    run_with(&ctx, file, source, &native, load)
                }
                None => Err(Exception::throw_message(&ctx, &format!("no module {name}"))),
            },
        )?,
    )?;

    let global = ctx.globals();
    global.set("global", global.clone())?;

    let prelude = run(ctx, "prelude.js", prelude(), &native)?;
    // loader.js's lazy globals: `names`, each provided by `provide(name)` on first read
    let provide: Function<'js> = prelude.get("provide")?;
    let names: rquickjs::Array<'js> = prelude.get("names")?;
    crate::lazy::define_values(ctx, &provide, &names, false)?;

    let config = Object::new(ctx.clone())?;
    for (key, value) in configuration {
        config.set(key.as_str(), value.as_str())?;
    }
    let object_ctor: Object<'js> = global.get("Object")?;
    let freeze: Function<'js> = object_ctor.get("freeze")?;
    let config: Value<'js> = freeze.call((config,))?;
    global.set("configuration", config)?;

    Ok(Hooks {
        load: prelude.get("load")?,
        make_callback: prelude.get("make")?,
    })
}

/// The files every call runs, as one script (`sandbox:prelude.js`, loaded as one bytecode
/// object: one read, one call, shared names): the bodies of `stack.js`, `json.js`, `loader.js`
/// and `callback.js`, in that order, in one strict function of `(native, global)` returning
/// `{ load, make, provide, names }` (loader.js's `load`, `provide` and `names`, callback.js's
/// `make`). The files declare distinct
/// names (only `toWellFormed` twice, with the same value).
fn prelude() -> &'static str {
    static PRELUDE: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();
    PRELUDE.get_or_init(|| {
        let text = format!(
            "(function (native, global) {{\n'use strict';\n{stack}\n{json}\n{loader}\n{callback}\n\
             return {{ load: load, make: make, provide: provide, names: names }};\n}})",
            stack = stack::JS.trim_end(),
            json = json::JS.trim_end(),
            loader = LOADER_JS.trim_end(),
            callback = callback::JS.trim_end(),
        );
        // Built once per process; the bytecode cache keys the prelude by its address.
        Box::leak(text.into_boxed_str())
    })
}

/// Registers the natives lazy file `name` uses, just before it is evaluated, so that a call
/// pays only for the natives of what it loads.
fn register<'js>(name: &str, ctx: &Ctx<'js>, native: &Object<'js>, host: &Host) -> rquickjs::Result<()> {
    match name {
        "buffer" => buffer::register(ctx, native, host),
        "console" | "util" => console::register(ctx, native, host),
        "timers" => timers::register(ctx, native, host),
        "request" => request::register(ctx, native, host),
        "request_options" => request::register_options(ctx, native, host),
        "url" => {
            request::register_url_parse(ctx, native)?;
            modules::register(name, ctx, native, host)
        }
        _ => modules::register(name, ctx, native, host),
    }
}

/// Evaluates one prelude file (a function expression) and calls it with `(native, global)`.
fn run<'js>(ctx: &Ctx<'js>, name: &str, source: &'static str, native: &Object<'js>) -> rquickjs::Result<Object<'js>> {
    run_with(ctx, name, source, native, Value::new_undefined(ctx.clone()))
}

/// Evaluates one prelude file and calls it with `(native, global, extra)`: lazy files get
/// `load` as `extra` (see `loader.js`).
fn run_with<'js>(
    ctx: &Ctx<'js>,
    name: &str,
    source: &'static str,
    native: &Object<'js>,
    extra: Value<'js>,
) -> rquickjs::Result<Object<'js>> {
    let function: Function<'js> = crate::bytecode::eval_prelude(ctx, &format!("sandbox:{name}"), source)?.get()?;
    function.call((native.clone(), ctx.globals(), extra))
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
