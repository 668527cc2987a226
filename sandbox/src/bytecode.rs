//! Parse once, load many times: every call still gets a fresh QuickJS runtime (nothing is
//! shared between calls), but the prelude files and the scripts it evaluates are compiled to
//! bytecode the first time this process sees them, and later runtimes load that bytecode instead
//! of parsing the source again. Parsing was the largest single cost of a script call.
//!
//! The bytecode keeps the file name and line numbers, so errors and stacks read as before. A
//! source that does not compile is never cached: it goes through the ordinary evaluation, which
//! reports the error as always.
//!
//! One of the three modules of the workspace allowed `unsafe` (with `lazy.rs` and `alloc.rs`;
//! the workspace denies it): rquickjs has no safe API for a script's bytecode, so this calls
//! QuickJS's C API through `rquickjs::qjs`, each call with its safety argument.
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::ffi::CString;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use rquickjs::{Ctx, Value, qjs};

/// Scripts kept (the scripts of a few connections); past this the cache starts again.
const MAX_ENTRIES: usize = 256;

/// Compiled scripts: file name, then source text (two levels, so that a lookup borrows both).
/// The sources are hashed with [`SourceHasher`]: every call looks its script up by its whole
/// text, which SipHash made cost more than a few thousand instructions a call.
type Cache = Mutex<HashMap<String, HashMap<String, Arc<Vec<u8>>, BuildHasherDefault<SourceHasher>>>>;

/// A fast non-cryptographic hash of a script's text (the multiply-rotate step of the Fx hash
/// of rustc, a word at a time). The cache's keys are the operator's own scripts, compared in
/// full on a hit, so a weak hash costs at most a slower lookup, never a wrong one.
#[derive(Default)]
struct SourceHasher(u64);

impl Hasher for SourceHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0xf135_7aea_2e62_a9c5;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
            self.0 = (self.0.rotate_left(26) ^ word).wrapping_mul(K);
        }
        for &byte in chunks.remainder() {
            self.0 = (self.0.rotate_left(26) ^ u64::from(byte)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn scripts() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Cache::default)
}

/// Compiled prelude files, by the address of their (static) source text: no hashing of the
/// text at every call.
type PreludeCache = Mutex<HashMap<usize, Arc<Vec<u8>>>>;

fn prelude() -> &'static PreludeCache {
    static CACHE: OnceLock<PreludeCache> = OnceLock::new();
    CACHE.get_or_init(PreludeCache::default)
}

/// Evaluates one of the sandbox's own files (`source` is static, compiled into the binary) as
/// a non-strict global script named `file_name`. Its bytecode keeps line numbers but not the
/// source text (`Function.prototype.toString` shows the sandbox's functions as native code, as
/// Node shows its built-ins), which keeps loading it cheap. Errors as [`eval`].
pub(crate) fn eval_prelude<'js>(ctx: &Ctx<'js>, file_name: &str, source: &'static str) -> rquickjs::Result<Value<'js>> {
    let key = source.as_ptr() as usize;
    let cached = prelude()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
        .cloned();
    let bytes = match cached {
        Some(bytes) => bytes,
        None => match compile(ctx, file_name, source, qjs::JS_WRITE_OBJ_STRIP_SOURCE)? {
            Some(bytes) => {
                let bytes = Arc::new(bytes);
                prelude()
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(key, bytes.clone());
                bytes
            }
            None => return plain_eval(ctx, file_name, source),
        },
    };
    run(ctx, &bytes)
}

/// Evaluates `source` as a non-strict global script named `file_name`, as
/// `ctx.eval_with_options` with `strict = false` and that file name does (the source text is
/// kept, for `Function.prototype.toString`). On `Err(Error::Exception)` the exception is
/// pending in `ctx` (read it with `ctx.catch()`).
pub(crate) fn eval<'js>(ctx: &Ctx<'js>, file_name: &str, source: &str) -> rquickjs::Result<Value<'js>> {
    let cached = scripts()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(file_name)
        .and_then(|sources| sources.get(source))
        .cloned();
    let bytes = match cached {
        Some(bytes) => bytes,
        None => match compile(ctx, file_name, source, 0)? {
            Some(bytes) => {
                let bytes = Arc::new(bytes);
                let mut cache = scripts().lock().unwrap_or_else(PoisonError::into_inner);
                if cache.values().map(HashMap::len).sum::<usize>() >= MAX_ENTRIES {
                    cache.clear();
                }
                cache
                    .entry(file_name.to_owned())
                    .or_default()
                    .insert(source.to_owned(), bytes.clone());
                bytes
            }
            None => return plain_eval(ctx, file_name, source),
        },
    };
    run(ctx, &bytes)
}

/// Compiles `source` and serialises its bytecode with `strip` flags. `Ok(None)` when the
/// source cannot go through the C API (a NUL inside) or the bytecode cannot be written: the
/// caller evaluates it the ordinary way. `Err(Exception)` for a source that does not compile
/// (the exception pending in `ctx`).
fn compile(ctx: &Ctx<'_>, file_name: &str, source: &str, strip: u32) -> rquickjs::Result<Option<Vec<u8>>> {
    let (Ok(c_source), Ok(c_name)) = (CString::new(source), CString::new(file_name)) else {
        return Ok(None);
    };
    let raw = ctx.as_raw().as_ptr();
    // SAFETY: NUL-terminated source of the given length, a valid context.
    let function = unsafe {
        qjs::JS_Eval(
            raw,
            c_source.as_ptr(),
            source.len() as _,
            c_name.as_ptr(),
            (qjs::JS_EVAL_TYPE_GLOBAL | qjs::JS_EVAL_FLAG_COMPILE_ONLY) as i32,
        )
    };
    // SAFETY: reading the tag of a value just returned.
    if unsafe { qjs::JS_IsException(function) } {
        return Err(rquickjs::Error::Exception);
    }
    let mut len: qjs::size_t = 0;
    // SAFETY: `function` is a live bytecode function; the buffer is freed below.
    let buf = unsafe { qjs::JS_WriteObject(raw, &mut len, function, (qjs::JS_WRITE_OBJ_BYTECODE | strip) as i32) };
    // SAFETY: the compiled function is not used any more (the bytes are run instead).
    unsafe { qjs::JS_FreeValue(raw, function) };
    if buf.is_null() {
        // The failed write may have left an exception pending; clear it.
        let _ = ctx.catch();
        return Ok(None);
    }
    // SAFETY: JS_WriteObject returned `len` bytes at `buf`, allocated in `ctx`.
    let bytes = unsafe { std::slice::from_raw_parts(buf, len as usize) }.to_vec();
    unsafe { qjs::js_free(raw, buf.cast()) };
    Ok(Some(bytes))
}

/// Loads bytecode written by [`compile`] and runs it.
fn run<'js>(ctx: &Ctx<'js>, bytes: &[u8]) -> rquickjs::Result<Value<'js>> {
    let raw = ctx.as_raw().as_ptr();
    // SAFETY: the bytes were written by JS_WriteObject of this same QuickJS build in this
    // process; JS_ReadObject copies them (no ROM flag).
    let function =
        unsafe { qjs::JS_ReadObject(raw, bytes.as_ptr(), bytes.len() as _, qjs::JS_READ_OBJ_BYTECODE as i32) };
    // SAFETY: tag check of a value just returned.
    if unsafe { qjs::JS_IsException(function) } {
        return Err(rquickjs::Error::Exception);
    }
    // SAFETY: JS_EvalFunction takes ownership of the function object.
    let value = unsafe { qjs::JS_EvalFunction(raw, function) };
    if unsafe { qjs::JS_IsException(value) } {
        return Err(rquickjs::Error::Exception);
    }
    // SAFETY: an owned value of this context's runtime.
    Ok(unsafe { Value::from_raw(ctx.clone(), value) })
}

fn plain_eval<'js>(ctx: &Ctx<'js>, file_name: &str, source: &str) -> rquickjs::Result<Value<'js>> {
    let mut options = rquickjs::context::EvalOptions::default();
    options.strict = false;
    options.filename = Some(file_name.to_owned());
    ctx.eval_with_options(source, options)
}

#[cfg(test)]
mod tests {
    use rquickjs::{Context, Runtime};

    use super::*;

    fn with_ctx(f: impl FnOnce(&Ctx<'_>)) {
        let runtime = Runtime::new().expect("runtime");
        let context = Context::full(&runtime).expect("context");
        context.with(|ctx| f(&ctx));
    }

    #[test]
    fn a_second_runtime_loads_the_bytecode_and_gets_the_same_result() {
        let source = "(function (a, b) { var undeclared = 1; return a * b + undeclared; })";
        for _ in 0..3 {
            with_ctx(|ctx| {
                let f: rquickjs::Function<'_> = eval(ctx, "test:mul.js", source)
                    .expect("eval")
                    .into_function()
                    .expect("a function");
                let n: i32 = f.call((6, 7)).expect("call");
                assert_eq!(n, 43);
            });
        }
        let cache = scripts().lock().expect("cache");
        assert!(cache.get("test:mul.js").is_some_and(|s| s.contains_key(source)));
    }

    #[test]
    fn errors_keep_their_file_and_line_and_syntax_errors_are_not_cached() {
        let source = "(function () {\n  return 1;\n})\n\n;(function () {\n\n  null.x;\n})()";
        for _ in 0..2 {
            with_ctx(|ctx| {
                let err = eval(ctx, "test:lines.js", source).expect_err("throws");
                assert!(matches!(err, rquickjs::Error::Exception));
                let thrown = ctx.catch();
                let stack: String = thrown
                    .as_object()
                    .and_then(|o| o.get::<_, String>("stack").ok())
                    .unwrap_or_default();
                assert!(stack.contains("test:lines.js:7"), "{stack}");
            });
        }
        let broken = "(function () { return ; ) })";
        for _ in 0..2 {
            with_ctx(|ctx| {
                assert!(matches!(
                    eval(ctx, "test:broken.js", broken),
                    Err(rquickjs::Error::Exception)
                ));
                let thrown = ctx.catch();
                let name: String = thrown.as_object().and_then(|o| o.get("name").ok()).unwrap_or_default();
                assert_eq!(name, "SyntaxError");
            });
        }
        let cache = scripts().lock().expect("cache");
        assert!(!cache.get("test:broken.js").is_some_and(|s| s.contains_key(broken)));
    }

    #[test]
    fn scripts_stay_non_strict() {
        with_ctx(|ctx| {
            let value = eval(
                ctx,
                "test:sloppy.js",
                "(function () { leaked = 5; return this === undefined; })",
            )
            .expect("eval");
            let sloppy: bool = value.into_function().expect("function").call(()).expect("call");
            assert!(!sloppy, "`this` is the global object in sloppy mode");
            let leaked: i32 = ctx.globals().get("leaked").expect("global");
            assert_eq!(leaked, 5);
        });
    }
}
