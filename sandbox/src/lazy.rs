//! Lazy globals, made cheap: a global name that stands for a large module (`request`,
//! `Buffer`, `console`, ...) or for a group of built-ins a script seldom uses (the typed
//! arrays, `Map` and `Set`, `Date`) is an accessor on the global object until the script first
//! reads it; the read computes the value once (`provide(name)`) and replaces the accessor with
//! an ordinary data property holding it. Assigning the name first simply replaces the accessor
//! with the assigned value (for a built-in, once the built-ins of its group exist, so that
//! adding them later cannot overwrite the assignment).
//!
//! The accessors are QuickJS C functions with data (`JS_NewCFunctionData`): one small native
//! object per name (getter and setter at once) instead of two JavaScript closures and a
//! descriptor object, which made the lazy globals cost more than what they saved. rquickjs has
//! no safe API for C functions with data, so this module (like `bytecode.rs`) calls QuickJS's C
//! API through `rquickjs::qjs`, each call with its safety argument.
//!
//! The built-in groups are QuickJS "intrinsics": the call's context is created without them
//! and [`add_intrinsic`] adds one the first time a script names one of its globals, or before
//! native code needs it (see [`crate::host::Host::builtin`]). Nothing else in the engine
//! creates their objects on its own: a `Date`, a `Map` or an `ArrayBuffer` only comes from its
//! constructor (or from the sandbox's natives, which add the group first).
#![allow(unsafe_code)]

use std::ffi::c_int;

use rquickjs::{Ctx, Function, qjs};

/// The accessor's data slots: `[provide, name]`.
const DATA_SLOTS: c_int = 2;

/// `magic` bit: the plain property is enumerable (Node's own globals such as `setTimeout` are;
/// the ECMAScript built-ins are not).
const ENUMERABLE: c_int = 1;

/// `magic` bit: an assignment provides the value first (an intrinsic that, once added, would
/// overwrite what the script assigned).
const PROVIDE_BEFORE_SET: c_int = 2;

/// Makes each of `names` a lazy global: read, it becomes `provide(name)`; assigned, it becomes
/// the assigned value. `builtins` are not enumerable once provided, and are provided before an
/// assignment (see [`PROVIDE_BEFORE_SET`]).
pub(crate) fn define<'js>(
    ctx: &Ctx<'js>,
    provide: &Function<'js>,
    names: &[&str],
    builtins: bool,
) -> rquickjs::Result<()> {
    let raw = ctx.as_raw().as_ptr();
    define_atoms(
        ctx,
        provide,
        names.iter().map(|name| {
            // SAFETY: `name` is valid UTF-8 of the given length; the caller releases the atom.
            unsafe { qjs::JS_NewAtomLen(raw, name.as_ptr().cast(), name.len() as _) }
        }),
        builtins,
    )
}

/// [`define`] for names given as JavaScript strings (`loader.js`'s list): each becomes its
/// atom directly, without a round trip through Rust strings.
pub(crate) fn define_values<'js>(
    ctx: &Ctx<'js>,
    provide: &Function<'js>,
    names: &rquickjs::Array<'js>,
    builtins: bool,
) -> rquickjs::Result<()> {
    let raw = ctx.as_raw().as_ptr();
    let mut values = Vec::with_capacity(names.len());
    for i in 0..names.len() {
        let name: rquickjs::String<'js> = names.get(i)?;
        values.push(name);
    }
    define_atoms(
        ctx,
        provide,
        values.iter().map(|name| {
            // SAFETY: a string of this context; the caller releases the atom.
            unsafe { qjs::JS_ValueToAtom(raw, name.as_raw()) }
        }),
        builtins,
    )
}

/// [`define`] for atoms, each owned (and released here).
fn define_atoms<'js>(
    ctx: &Ctx<'js>,
    provide: &Function<'js>,
    atoms: impl Iterator<Item = qjs::JSAtom>,
    builtins: bool,
) -> rquickjs::Result<()> {
    let raw = ctx.as_raw().as_ptr();
    let magic = if builtins { PROVIDE_BEFORE_SET } else { ENUMERABLE };
    // SAFETY: a live context; the global object reference is released below.
    let global = unsafe { qjs::JS_GetGlobalObject(raw) };
    let mut result = Ok(());
    for atom in atoms {
        if atom == qjs::JS_ATOM_NULL {
            result = Err(rquickjs::Error::Exception);
            break;
        }
        // SAFETY: an atom of this context; the string is released below.
        let key = unsafe { qjs::JS_AtomToValue(raw, atom) };
        let mut data = [provide.as_raw(), key];
        // One function serves as getter and setter (it tells them apart by the argument a
        // setter receives): half the objects.
        // SAFETY: JS_NewCFunctionData duplicates the data values it keeps; the key and atom
        // are ours to release.
        let accessor =
            unsafe { qjs::JS_NewCFunctionData(raw, Some(lazy_access), 0, magic, DATA_SLOTS, data.as_mut_ptr()) };
        // SAFETY: JS_DefinePropertyGetSet takes ownership of the getter and setter it is given
        // (it frees them even on failure): the accessor is duplicated for its second use.
        let status = unsafe {
            let status = if qjs::JS_IsException(accessor) {
                -1
            } else {
                let setter = qjs::JS_DupValue(raw, accessor);
                qjs::JS_DefinePropertyGetSet(raw, global, atom, accessor, setter, qjs::JS_PROP_CONFIGURABLE as c_int)
            };
            qjs::JS_FreeValue(raw, key);
            qjs::JS_FreeAtom(raw, atom);
            status
        };
        if status < 0 {
            result = Err(rquickjs::Error::Exception);
            break;
        }
    }
    // SAFETY: releases the reference taken above.
    unsafe { qjs::JS_FreeValue(raw, global) };
    result
}

/// A group of built-ins the call's context starts without.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Intrinsic {
    /// `ArrayBuffer`, `SharedArrayBuffer`, the typed arrays, `DataView`, `Atomics`.
    TypedArrays,
    /// `Map`, `Set`, `WeakMap`, `WeakSet`.
    MapSet,
    /// `Date`.
    Date,
}

impl Intrinsic {
    pub(crate) const ALL: [Intrinsic; 3] = [Intrinsic::TypedArrays, Intrinsic::MapSet, Intrinsic::Date];

    /// The global names the intrinsic defines. `Atomics` comes last: QuickJS defines it as
    /// an "auto-init" property, which QuickJS aborts on when the name already exists, so it
    /// gets no accessor (it appears with the other typed arrays).
    pub(crate) fn names(self) -> &'static [&'static str] {
        match self {
            Intrinsic::TypedArrays => &[
                "ArrayBuffer",
                "SharedArrayBuffer",
                "Uint8ClampedArray",
                "Int8Array",
                "Uint8Array",
                "Int16Array",
                "Uint16Array",
                "Int32Array",
                "Uint32Array",
                "BigInt64Array",
                "BigUint64Array",
                "Float16Array",
                "Float32Array",
                "Float64Array",
                "DataView",
                "Atomics",
            ],
            Intrinsic::MapSet => &["Map", "Set", "WeakMap", "WeakSet"],
            Intrinsic::Date => &["Date"],
        }
    }

    /// The group that defines global `name`.
    pub(crate) fn of(name: &str) -> Option<Intrinsic> {
        Intrinsic::ALL.into_iter().find(|i| i.names().contains(&name))
    }

    /// The names that get a lazy accessor.
    pub(crate) fn lazy_names() -> impl Iterator<Item = &'static str> {
        Intrinsic::ALL
            .into_iter()
            .flat_map(|i| i.names().iter().copied())
            .filter(|name| *name != "Atomics")
    }
}

/// Adds intrinsic `which` to the context's global object. Must run at most once per context
/// and group, failed or not (a second run would overwrite, and leak, the context's class
/// prototypes): the host keeps track.
///
/// It is only attempted when it can succeed without harm: a name the script made
/// non-configurable fails the call with a `TypeError` first, and an `Atomics` the script
/// defined is set aside during the typed arrays' intrinsic (QuickJS would abort on it) and put
/// back after. A name the script redefined as configurable is overwritten by the built-in.
pub(crate) fn add_intrinsic(ctx: &Ctx<'_>, which: Intrinsic) -> rquickjs::Result<()> {
    let raw = ctx.as_raw().as_ptr();
    // SAFETY: a live context; every atom, value and descriptor taken here is released here.
    unsafe {
        let global = qjs::JS_GetGlobalObject(raw);
        let mut saved_atomics: Option<qjs::JSPropertyDescriptor> = None;
        let mut refusal = None;
        for name in which.names() {
            let atom = qjs::JS_NewAtomLen(raw, name.as_ptr().cast(), name.len() as _);
            let mut desc = std::mem::zeroed::<qjs::JSPropertyDescriptor>();
            let found = qjs::JS_GetOwnProperty(raw, &mut desc, global, atom);
            qjs::JS_FreeAtom(raw, atom);
            if found > 0 {
                if desc.flags & qjs::JS_PROP_CONFIGURABLE as c_int == 0 {
                    refusal = Some(*name);
                } else if *name == "Atomics" {
                    saved_atomics = Some(desc);
                    continue;
                }
                free_descriptor(raw, &desc);
            }
            if found < 0 || refusal.is_some() {
                break;
            }
        }
        let atomics = qjs::JS_NewAtomLen(raw, c"Atomics".as_ptr(), 7);
        let status = if let Some(name) = refusal {
            let _ = rquickjs::Exception::throw_type(ctx, &format!("Cannot redefine property: {name}"));
            -1
        } else if saved_atomics.is_some() && qjs::JS_DeleteProperty(raw, global, atomics, 0) <= 0 {
            -1
        } else {
            let status = match which {
                Intrinsic::TypedArrays => qjs::JS_AddIntrinsicTypedArrays(raw),
                Intrinsic::MapSet => qjs::JS_AddIntrinsicMapSet(raw),
                Intrinsic::Date => qjs::JS_AddIntrinsicDate(raw),
            };
            if let Some(desc) = &saved_atomics {
                let flags = desc.flags
                    | (qjs::JS_PROP_HAS_CONFIGURABLE | qjs::JS_PROP_HAS_ENUMERABLE) as c_int
                    | if desc.flags & qjs::JS_PROP_GETSET as c_int != 0 {
                        (qjs::JS_PROP_HAS_GET | qjs::JS_PROP_HAS_SET) as c_int
                    } else {
                        (qjs::JS_PROP_HAS_VALUE | qjs::JS_PROP_HAS_WRITABLE) as c_int
                    };
                // the script's definition wins, as if made after the built-ins existed
                qjs::JS_DefineProperty(raw, global, atomics, desc.value, desc.getter, desc.setter, flags);
            }
            status
        };
        if let Some(desc) = &saved_atomics {
            free_descriptor(raw, desc);
        }
        qjs::JS_FreeAtom(raw, atomics);
        qjs::JS_FreeValue(raw, global);
        if status == 0 {
            Ok(())
        } else {
            Err(rquickjs::Error::Exception)
        }
    }
}

/// Releases the values of a descriptor filled by `JS_GetOwnProperty`.
///
/// # Safety
/// `desc` was filled by `JS_GetOwnProperty` in `ctx` and is not used afterwards.
unsafe fn free_descriptor(ctx: *mut qjs::JSContext, desc: &qjs::JSPropertyDescriptor) {
    // SAFETY: per this function's contract (undefined values are no-ops to free).
    unsafe {
        qjs::JS_FreeValue(ctx, desc.value);
        qjs::JS_FreeValue(ctx, desc.getter);
        qjs::JS_FreeValue(ctx, desc.setter);
    }
}

/// Replaces the global `key` with a data property holding `value` (ownership taken).
///
/// # Safety
/// `ctx` is a live context, `key` a value of it, `value` an owned value of it.
unsafe fn define_plain(ctx: *mut qjs::JSContext, key: qjs::JSValue, value: qjs::JSValue, magic: c_int) -> c_int {
    let mut flags = (qjs::JS_PROP_WRITABLE | qjs::JS_PROP_CONFIGURABLE) as c_int;
    if magic & ENUMERABLE != 0 {
        flags |= qjs::JS_PROP_ENUMERABLE as c_int;
    }
    // SAFETY: per this function's contract; the atom and global reference are released, the
    // value is consumed by JS_DefinePropertyValue.
    unsafe {
        let atom = qjs::JS_ValueToAtom(ctx, key);
        let global = qjs::JS_GetGlobalObject(ctx);
        let status = qjs::JS_DefinePropertyValue(ctx, global, atom, value, flags);
        qjs::JS_FreeValue(ctx, global);
        qjs::JS_FreeAtom(ctx, atom);
        status
    }
}

/// The accessor: read (no argument), `provide(key)`, kept as the global's value from now on;
/// assigned (one argument), the value replaces the accessor (for built-ins, once they exist).
unsafe extern "C" fn lazy_access(
    ctx: *mut qjs::JSContext,
    _this: qjs::JSValue,
    argc: c_int,
    argv: *mut qjs::JSValue,
    magic: c_int,
    data: *mut qjs::JSValue,
) -> qjs::JSValue {
    // SAFETY: QuickJS passes the two data slots given to JS_NewCFunctionData and `argc`
    // arguments in `argv`, alive for the call; every value obtained here is owned and either
    // returned, handed to JS_DefinePropertyValue (which consumes it) or released.
    unsafe {
        let (provide, mut key) = (*data, *data.add(1));
        if argc == 0 {
            let value = qjs::JS_Call(ctx, provide, qjs::JS_UNDEFINED, 1, &mut key);
            if qjs::JS_IsException(value) {
                return value;
            }
            if define_plain(ctx, key, qjs::JS_DupValue(ctx, value), magic) < 0 {
                qjs::JS_FreeValue(ctx, value);
                return qjs::JS_EXCEPTION;
            }
            return value;
        }
        if magic & PROVIDE_BEFORE_SET != 0 {
            let provided = qjs::JS_Call(ctx, provide, qjs::JS_UNDEFINED, 1, &mut key);
            if qjs::JS_IsException(provided) {
                return provided;
            }
            qjs::JS_FreeValue(ctx, provided);
        }
        if define_plain(ctx, key, qjs::JS_DupValue(ctx, *argv), magic) < 0 {
            return qjs::JS_EXCEPTION;
        }
        qjs::JS_UNDEFINED
    }
}
