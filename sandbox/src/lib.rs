//! An Auth0-like sandbox for custom database action scripts, on QuickJS.
//!
//! Auth0 runs a connection's `login`, `get_user`, ... scripts in a Node.js "webtask" sandbox:
//! the script text is one function, called with the call's arguments and a `callback`, and it
//! sees a few globals (`configuration`, the Auth0 error classes, `Buffer`, `console`, timers,
//! `require` and, in the legacy sandbox, `request`, `bcrypt`, `crypto` and `querystring`).
//! Ferry's mock Auth0 runs the very same scripts here, in an embedded QuickJS engine
//! ([rquickjs]), so migrations can be rehearsed against mock legacy stores.
//!
//! ```no_run
//! # async fn demo() {
//! use std::collections::BTreeMap;
//! use sandbox::{CallResult, Sandbox, SandboxConfig, ScriptCall};
//!
//! let sandbox = Sandbox::new(SandboxConfig::default());
//! let outcome = sandbox
//!     .run(ScriptCall {
//!         source: "function login(email, password, callback) {\n  callback(null, { user_id: '1', email: email });\n}".into(),
//!         file_name: "login.js".into(),
//!         args: vec!["a@example.com".into(), "secret".into()],
//!         configuration: BTreeMap::new(),
//!         context: None,
//!     })
//!     .await;
//! assert!(matches!(outcome.result, CallResult::Callback { error: None, value: Some(_) }));
//! # }
//! ```
//!
//! Every call gets a fresh runtime and context (about 0.1 ms of CPU in release builds for a
//! trivial script: the sandbox's own files are loaded from bytecode compiled once per process,
//! and the larger globals, modules and seldom-used built-ins are loaded only when a script
//! first touches them), so nothing a call leaves in the global scope, in a prototype or in a
//! module is visible to the next. Calls are bounded by
//! [`SandboxConfig::time_limit`] (busy loops included) and [`SandboxConfig::memory_limit`];
//! errors are reported in Node's wording with line numbers of the script file. See
//! [`CallResult`] for the possible endings.
//!
//! `require` offers `bcrypt`, `bcryptjs`, `crypto`, `request`, `querystring`, `qs`, `util`,
//! `url` and `buffer` (version pins such as `bcrypt@0.8.5` are accepted and ignored); anything
//! else fails with Node's `Cannot find module` (code `MODULE_NOT_FOUND`) and the reason.
//!
//! Containment: scripts get no file system, process, environment or socket access (QuickJS has
//! none unless added, and `require` withholds Node's modules that would give it); `request`
//! reaches only the hosts [`SandboxConfig::outbound`] allows (loopback by default), checked for
//! every hop before anything is sent; the private native functions behind the globals are not
//! reachable from the script's objects, and each enforces its own limits anyway (a native
//! function can surface through `CallSite.getFunction` in `Error.prepareStackTrace`).
//!
//! Known differences from Auth0's Node sandbox:
//!
//! * `require` offers only the modules listed above, and there is no `fetch`, `process`,
//!   `TextEncoder`, ... (Auth0 offers many more npm modules: database drivers, `axios`,
//!   `lodash`, `jsonwebtoken`, ...); `util.inspect` takes no options;
//! * `crypto` offers md5, sha1 and the SHA-2 digests only (no ciphers, signatures, scrypt,
//!   WebCrypto); `bcrypt` rejects `$2$` salts (node's binding would hash without the NUL) and
//!   does not reproduce the `$2a$` wrap-around bug for passwords over 255 bytes;
//! * asynchronous `bcrypt` and `crypto` work is done on the call's thread before its
//!   callback is queued (Node uses its thread pool), and a bcrypt cost that could not finish
//!   within the time limit ends the call as timed out at once rather than at the limit;
//! * QuickJS, not V8: engine messages are translated for the common cases (property access on
//!   `undefined`/`null`, `x is not a function`, `JSON.parse`, syntax errors), others keep
//!   QuickJS' wording; stack frames point at QuickJS' positions (e.g. the constructor name
//!   rather than `new`);
//! * an exception whose value is `null` is taken for memory exhaustion (that is how QuickJS
//!   reports it), so `throw null` reads as [`CallResult::OutOfMemory`];
//! * `request`'s `timeout` cannot tell a slow connect from a slow server through reqwest: both
//!   give `ESOCKETTIMEDOUT` (`ETIMEDOUT` only when the client's own connect timeout fires);
//!   `sendImmediately: false`, cookies/jars, streams and multipart are not supported;
//! * `Atomics` appears with the typed arrays, when a script first names one of them (before,
//!   `typeof Atomics` is `'undefined'`); a lazy global (see `globals`) is an accessor on the
//!   global object until first read, which `Object.getOwnPropertyDescriptor` can see;
//! * a few built-ins loop in C without polling the interrupt handler (e.g. `join` on an array
//!   of length 2^32-1); `run` still returns `TimedOut` on time, but that call's thread keeps
//!   running until the built-in returns.
//!
//! Layout: [`config`](SandboxConfig) and [`outcome`](CallOutcome) hold the public data types,
//! [`outbound`](Outbound) the HTTP allowlist, `sandbox` the entry point, `runner` the
//! per-call event loop, `host` the per-call state shared with native functions, `globals` the
//! JavaScript environment (one Rust module plus one `.js` file per global), `modules` what
//! `require` offers, and `exception` the conversion of JavaScript errors (and V8 wording).
//! Three small modules call QuickJS's C API where rquickjs has no safe one (the only `unsafe`
//! in the workspace): `bytecode` (compile once, load many times), `lazy` (lazy globals and
//! built-ins) and `alloc` (QuickJS's memory through mimalloc).
//! [`net`] is the one place HTTP clients are built, across the workspace (it installs the
//! process's TLS crypto provider first).

mod alloc;
mod bytecode;
mod call;
mod config;
mod exception;
mod globals;
mod host;
mod lazy;
mod modules;
pub mod net;
mod outbound;
mod outcome;
mod runner;
mod sandbox;

pub use call::ScriptCall;
pub use config::SandboxConfig;
pub use outbound::{
    DEFAULT_REFUSAL_HINT, HostRule, HostRuleError, ORIGINAL_SCHEME_HEADER, Outbound, Route, RouteError, RouteTarget,
    Routes,
};
pub use outcome::{CallOutcome, CallResult, ConsoleLine, HttpExchange, ScriptError, ScriptException};
pub use sandbox::Sandbox;
