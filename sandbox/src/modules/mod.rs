//! `require`: the modules a script can load, as Auth0's sandbox offers them.
//!
//! Auth0 lets scripts `require` npm modules from its "Can I require" allow-list, optionally
//! pinned (`require('bcrypt@0.8.5')`), and its legacy sandbox injected a few of them as
//! globals. Ferry provides the ones custom database scripts use for passwords, hashing and
//! HTTP, in the same pair form as [`crate::globals`]: a JavaScript file that evaluates to
//! `function (native, global, load) { ... }` and returns the module's exports, and, where
//! bytes are crunched, a Rust module that registers natives on the private `native` object.
//! Every file is evaluated lazily, the first time it is required.
//!
//! | `require(...)`          | file             | what it offers                                          |
//! |-------------------------|------------------|---------------------------------------------------------|
//! | `bcrypt`, `bcryptjs`    | `bcrypt.js`      | hash/compare/genSalt, sync, callbacks and promises (native, `bcrypt` crate) |
//! | `crypto`                | `crypto.js`      | createHash/createHmac (md5, sha1, sha2), randomBytes, randomUUID, getRandomValues, timingSafeEqual, pbkdf2 (native) |
//! | `request`               | (the global)     | the npm `request` module                                |
//! | `querystring`           | `querystring.js` | Node's querystring                                      |
//! | `qs`                    | `qs.js`          | the npm `qs` module (nested brackets)                   |
//! | `util`                  | `util.js`        | format, inspect, promisify, callbackify, inherits, ...   |
//! | `url`                   | `url.js`         | legacy parse/format/resolve, `URL`, `URLSearchParams`    |
//! | `buffer`                | (the global)     | `{ Buffer, atob, btoa }`                                |
//!
//! `require.js` defines `require` itself; `globals/loader.js` makes it and the globals it
//! provides lazy: `bcrypt`, `crypto`, `querystring` (the legacy sandbox's), `URL` and
//! `URLSearchParams` (Node's); a global and its module are the same object. Anything else fails with Node's `Cannot find
//! module 'x'` (code `MODULE_NOT_FOUND`) followed by the reason: Node modules that reach the
//! host (`fs`, `child_process`, `os`, `net`, `http`, ...) are withheld on purpose, other
//! modules are simply not provided.

pub(crate) mod bcrypt;
pub(crate) mod crypto;
pub(crate) mod url;

use rquickjs::{Ctx, Object};

use crate::host::Host;

/// The lazily loaded modules: name (for `load`), file name, source.
pub(crate) const MODULES: &[(&str, &str, &str)] = &[
    ("require", "require.js", include_str!("require.js")),
    ("bcrypt", "bcrypt.js", bcrypt::JS),
    ("crypto", "crypto.js", crypto::JS),
    ("querystring", "querystring.js", include_str!("querystring.js")),
    ("qs", "qs.js", include_str!("qs.js")),
    ("util", "util.js", include_str!("util.js")),
    ("url", "url.js", url::JS),
];

/// Registers the natives module `name` uses, just before its file is evaluated, so a call
/// that requires nothing pays for none of them.
pub(crate) fn register<'js>(name: &str, ctx: &Ctx<'js>, native: &Object<'js>, host: &Host) -> rquickjs::Result<()> {
    match name {
        "bcrypt" => bcrypt::register(ctx, native, host),
        "crypto" => crypto::register(ctx, native, host),
        // querystring shares url's lenient percent-decoding
        "url" | "querystring" => url::register(ctx, native, host),
        _ => Ok(()),
    }
}
