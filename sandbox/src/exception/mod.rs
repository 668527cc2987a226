//! Turning JavaScript exceptions into [`ScriptException`]s, the way Node would report them.
//!
//! QuickJS words the common `TypeError`s differently from V8, and Auth0 runs Node, so the
//! messages are rewritten to V8's wording ([`v8_message`]): `cannot read property 'x' of
//! undefined` becomes `Cannot read properties of undefined (reading 'x')`, and a bare `not a
//! function` becomes `<callee> is not a function`, the callee being recovered from the script
//! source around the error's line and column ([`callee`]). The same rewrite runs inside the engine (from
//! `Error.prepareStackTrace`, see `globals/stack.js`) so a script that catches the error sees
//! Node's message too.

mod callee;

use rquickjs::{Ctx, Object, Value};

use crate::outcome::ScriptException;

/// What an uncaught value means for the call.
#[derive(Debug)]
pub(crate) enum Thrown {
    /// An ordinary exception.
    Exception(ScriptException),
    /// The engine ran out of memory (QuickJS throws `null`, or an `InternalError: out of
    /// memory` when it could still allocate one).
    OutOfMemory,
}

/// Classifies and converts a thrown value.
pub(crate) fn classify<'js>(ctx: &Ctx<'js>, value: &Value<'js>, file_name: &str, source: &str) -> Thrown {
    if value.is_null() {
        return Thrown::OutOfMemory;
    }
    // QuickJS's "out of memory" is an InternalError; with the heap at its limit even reading
    // its message can fail (the conversion allocates). An InternalError whose message cannot
    // be read is taken for it (scripts have no InternalError in Node, and one they construct
    // has a readable message).
    if let Some(object) = value.as_object()
        && value.is_error()
        && string_prop(object, "name").as_deref() == Some("InternalError")
        && string_prop(object, "message").is_none()
    {
        return Thrown::OutOfMemory;
    }
    let exception = to_exception(ctx, value, file_name, source);
    // QuickJS makes an error's message "Invalid error message" when it could not allocate the
    // real one (JS_MakeError2 in quickjs.c): with the heap at its limit, the "out of memory"
    // InternalError can come out that way, depending on where the heap ran out.
    if exception.name == "InternalError"
        && (exception.message == "out of memory" || exception.message == "Invalid error message")
    {
        return Thrown::OutOfMemory;
    }
    Thrown::Exception(exception)
}

/// Converts any thrown value into a [`ScriptException`], never failing: properties that
/// cannot be read (getters that throw, memory exhaustion) are simply left out.
pub(crate) fn to_exception<'js>(ctx: &Ctx<'js>, value: &Value<'js>, file_name: &str, source: &str) -> ScriptException {
    let Some(object) = value.as_object() else {
        return ScriptException {
            name: "Error".to_owned(),
            message: primitive_text(value),
            line: None,
            column: None,
            stack: None,
        };
    };
    let name = string_prop(object, "name").unwrap_or_else(|| "Error".to_owned());
    let message = match string_prop(object, "message") {
        Some(message) => message,
        None if !value.is_error() => ctx
            .json_stringify(value.clone())
            .ok()
            .flatten()
            .and_then(|s| s.to_string().ok())
            .unwrap_or_else(|| "[object Object]".to_owned()),
        None => String::new(),
    };
    let stack = string_prop(object, "stack");
    let (line, column) = stack
        .as_deref()
        .and_then(|stack| location_in(stack, file_name))
        .map_or((None, None), |(l, c)| (Some(l), Some(c)));

    let (name, message, line, column) = if name == "InternalError" && message == "stack overflow" {
        (
            "RangeError".to_owned(),
            "Maximum call stack size exceeded".to_owned(),
            line,
            column,
        )
    } else if name == "InternalError" && message == "string too long" {
        (
            "RangeError".to_owned(),
            "Invalid string length".to_owned(),
            line,
            column,
        )
    } else {
        let mapped = v8_message(&name, &message, source, line.zip(column), false);
        let (line, column) = mapped.position.map_or((line, column), |(l, c)| (Some(l), Some(c)));
        (name, mapped.message, line, column)
    };
    let stack = stack.map(|stack| normalise_stack(&stack, &name, &message));
    ScriptException {
        name,
        message,
        line,
        column,
        stack,
    }
}

/// Reads a property as a string; `None` when absent, not a string, or unreadable.
fn string_prop<'js>(object: &Object<'js>, key: &str) -> Option<String> {
    let value: Value<'js> = object.get(key).ok()?;
    value.as_string()?.to_string().ok()
}

/// Text of a thrown primitive, as `String(value)` would give it.
fn primitive_text(value: &Value<'_>) -> String {
    if let Some(s) = value.as_string() {
        return s.to_string().unwrap_or_default();
    }
    if let Some(b) = value.as_bool() {
        return b.to_string();
    }
    if let Some(i) = value.as_int() {
        return i.to_string();
    }
    if let Some(f) = value.as_float() {
        return crate::globals::number_to_string(f);
    }
    if value.is_undefined() {
        return "undefined".to_owned();
    }
    format!("[{}]", value.type_name())
}

/// Makes sure a stack starts with the `Name: message` header V8 puts there. QuickJS' own
/// stacks (when `Error.prepareStackTrace` could not run, e.g. on stack overflow) only list
/// frames.
fn normalise_stack(stack: &str, name: &str, message: &str) -> String {
    if stack.starts_with("    at ") || stack.is_empty() {
        let header = if message.is_empty() {
            name.to_owned()
        } else {
            format!("{name}: {message}")
        };
        format!("{header}\n{}", stack.trim_end_matches('\n'))
    } else {
        stack.to_owned()
    }
}

/// The line and column of the first stack frame located in `file_name`.
pub(crate) fn location_in(stack: &str, file_name: &str) -> Option<(u32, u32)> {
    stack.lines().find_map(|line| {
        let frame = line.trim_start().strip_prefix("at ")?;
        let location = match frame.strip_suffix(')') {
            Some(rest) => &rest[rest.rfind('(')? + 1..],
            None => frame,
        };
        let (rest, column) = location.rsplit_once(':')?;
        let (file, line) = rest.rsplit_once(':')?;
        if file != file_name {
            return None;
        }
        Some((line.parse().ok()?, column.parse().ok()?))
    })
}

/// A message in V8's wording, with the position V8 would report when it differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct V8Message {
    pub(crate) message: String,
    /// 1-based line and column of the failed call, for `... is not a function`.
    pub(crate) position: Option<(u32, u32)>,
}

/// Rewrites a QuickJS error message into V8's wording. `line`/`column` locate the error in
/// `source` (1-based) and are used to find the callee of a failed call (see [`callee`]);
/// `native` says the error was raised inside a built-in function, where a few more engine
/// messages are recognised. Messages already in V8's wording, or unknown, are returned
/// unchanged.
pub(crate) fn v8_message(
    name: &str,
    message: &str,
    source: &str,
    position: Option<(u32, u32)>,
    native: bool,
) -> V8Message {
    let plain = |message: &str| V8Message {
        message: message.to_owned(),
        position: None,
    };
    for (verb, gerund) in [("read", "reading"), ("set", "setting")] {
        let prefix = format!("cannot {verb} property '");
        if let Some(rest) = message.strip_prefix(prefix.as_str()) {
            for target in ["undefined", "null"] {
                if let Some(property) = rest.strip_suffix(&format!("' of {target}")) {
                    return plain(&format!("Cannot {verb} properties of {target} ({gerund} '{property}')"));
                }
            }
        }
    }
    match message {
        "not a function" | "not a constructor" if !native => {
            match position.and_then(|(l, c)| callee::failed_call(source, l, c)) {
                Some(call) => V8Message {
                    message: format!(
                        "{} is not a {}",
                        call.callee,
                        if call.construct { "constructor" } else { "function" }
                    ),
                    position: Some((call.line, call.column)),
                },
                None => plain(message),
            }
        }
        "cannot convert to object" => plain("Cannot convert undefined or null to object"),
        "cannot convert symbol to string" => plain("Cannot convert a Symbol value to a string"),
        "empty array" if native => plain("Reduce of empty array with no initial value"),
        "invalid array length" if native => plain("Invalid array length"),
        "expecting %"
        | "expecting hex digit"
        | "malformed UTF-8"
        | "invalid character"
        | "expecting surrogate pair"
            if native && name == "URIError" =>
        {
            plain("URI malformed")
        }
        _ => plain(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_reads_and_writes_use_v8_wording() {
        assert_eq!(
            v8_message(
                "TypeError",
                "cannot read property 'statusCode' of undefined",
                "",
                None,
                false
            )
            .message,
            "Cannot read properties of undefined (reading 'statusCode')"
        );
        assert_eq!(
            v8_message("TypeError", "cannot read property 'id' of null", "", None, false).message,
            "Cannot read properties of null (reading 'id')"
        );
        assert_eq!(
            v8_message("TypeError", "cannot set property 'y' of undefined", "", None, false).message,
            "Cannot set properties of undefined (setting 'y')"
        );
        assert_eq!(v8_message("TypeError", "boom", "", None, false).message, "boom");
        assert_eq!(
            v8_message(
                "TypeError",
                "Cannot read properties of undefined (reading 'x')",
                "",
                None,
                false
            )
            .message,
            "Cannot read properties of undefined (reading 'x')"
        );
    }

    #[test]
    fn not_a_function_names_the_callee() {
        let src = "function f() {\n  x.foo.bar(1);\n  a.b(1).c();\n  q(2);\n  new Thing();\n}";
        let m = |line, col| v8_message("TypeError", "not a function", src, Some((line, col)), false);
        assert_eq!(m(2, 9).message, "x.foo.bar is not a function");
        assert_eq!(m(2, 9).position, Some((2, 9)));
        assert_eq!(m(3, 10).message, "a.b(...).c is not a function");
        assert_eq!(m(4, 3).message, "q is not a function");
        assert_eq!(m(5, 7).message, "Thing is not a constructor");
        assert_eq!(m(5, 7).position, Some((5, 3)));
        assert_eq!(
            v8_message("TypeError", "not a function", src, None, false).message,
            "not a function"
        );
        assert_eq!(
            v8_message("TypeError", "not a function", src, Some((99, 1)), false).message,
            "not a function"
        );
    }

    #[test]
    fn locations_come_from_the_first_frame_in_the_script() {
        let stack = "TypeError: x\n    at helper (sandbox:request.js:10:2)\n    at <anonymous> (login.js:7:12)\n    at login.js:1:1";
        assert_eq!(location_in(stack, "login.js"), Some((7, 12)));
        assert_eq!(
            location_in("SyntaxError: y\n    at login.js:2:13", "login.js"),
            Some((2, 13))
        );
        assert_eq!(location_in(stack, "other.js"), None);
    }

    #[test]
    fn headerless_stacks_get_a_header() {
        assert_eq!(
            normalise_stack("    at f (a.js:1:1)\n", "RangeError", "m"),
            "RangeError: m\n    at f (a.js:1:1)"
        );
        assert_eq!(normalise_stack("E: m\n    at x", "E", "m"), "E: m\n    at x");
    }
}
