//! Turning JavaScript exceptions into [`ScriptException`]s, the way Node would report them.
//!
//! QuickJS words the common `TypeError`s differently from V8, and Auth0 runs Node, so the
//! messages are rewritten to V8's wording ([`v8_message`]): `cannot read property 'x' of
//! undefined` becomes `Cannot read properties of undefined (reading 'x')`, and a bare `not a
//! function` becomes `<callee> is not a function`, the callee text being recovered from the
//! script source at the error's line and column. The same rewrite runs inside the engine (from
//! `Error.prepareStackTrace`, see `globals/stack.js`) so a script that catches the error sees
//! Node's message too.

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
pub(crate) fn classify<'js>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
    file_name: &str,
    source: &str,
) -> Thrown {
    if value.is_null() {
        return Thrown::OutOfMemory;
    }
    let exception = to_exception(ctx, value, file_name, source);
    if exception.name == "InternalError" && exception.message == "out of memory" {
        return Thrown::OutOfMemory;
    }
    Thrown::Exception(exception)
}

/// Converts any thrown value into a [`ScriptException`], never failing: properties that
/// cannot be read (getters that throw, memory exhaustion) are simply left out.
pub(crate) fn to_exception<'js>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
    file_name: &str,
    source: &str,
) -> ScriptException {
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

    let (name, message) = if name == "InternalError" && message == "stack overflow" {
        ("RangeError".to_owned(), "Maximum call stack size exceeded".to_owned())
    } else {
        let mapped = v8_message(&message, source, line, column);
        (name, mapped)
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

/// Rewrites a QuickJS error message into V8's wording. `line`/`column` locate the error in
/// `source` (1-based) and are used to name the callee of a failed call. Messages that are
/// already in V8's wording, or unknown, are returned unchanged.
pub(crate) fn v8_message(message: &str, source: &str, line: Option<u32>, column: Option<u32>) -> String {
    for (verb, gerund) in [("read", "reading"), ("set", "setting")] {
        let prefix = format!("cannot {verb} property '");
        if let Some(rest) = message.strip_prefix(prefix.as_str()) {
            for target in ["undefined", "null"] {
                if let Some(property) = rest.strip_suffix(&format!("' of {target}")) {
                    return format!("Cannot {verb} properties of {target} ({gerund} '{property}')");
                }
            }
        }
    }
    match message {
        "not a function" | "not a constructor" => {
            match line.zip(column).and_then(|(l, c)| callee_at(source, l, c)) {
                Some(callee) => format!("{callee} is {message}"),
                None => message.to_owned(),
            }
        }
        "cannot convert to object" => "Cannot convert undefined or null to object".to_owned(),
        _ => message.to_owned(),
    }
}

/// Recovers the text of the callee of the call expression QuickJS points at.
///
/// QuickJS reports the start of the callee for a first call in a chain (`x.foo()` points at
/// `x`) and the property name for later links (`a.b(1).c()` points at `c`); the expression is
/// rebuilt forwards up to the call's `(` and, when the column is on a property, backwards over
/// the preceding member chain, with call arguments abbreviated as `(...)` as V8 does.
pub(crate) fn callee_at(source: &str, line: u32, column: u32) -> Option<String> {
    let text = source.lines().nth(usize::try_from(line).ok()?.checked_sub(1)?)?;
    let chars: Vec<char> = text.chars().collect();
    let start = usize::try_from(column).ok()?.checked_sub(1)?;
    if start >= chars.len() {
        return None;
    }
    let mut start = start;
    // `new Foo()` reports the position of `new`.
    if chars[start..].starts_with(&['n', 'e', 'w', ' ']) {
        start += 4;
        while chars.get(start) == Some(&' ') {
            start += 1;
        }
    }
    let forward = scan_forward(&chars, start);
    if forward.is_empty() {
        return None;
    }
    let backward = if start > 0 && chars[start - 1] == '.' {
        scan_backward(&chars, start)
    } else {
        String::new()
    };
    Some(format!("{backward}{forward}"))
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// Member chain from `start` up to (not including) the first call parenthesis.
fn scan_forward(chars: &[char], start: usize) -> String {
    let mut out = String::new();
    let mut i = start;
    while i < chars.len() {
        let c = chars[i];
        if is_ident(c) || c == '.' {
            out.push(c);
            i += 1;
        } else if c == '?' && chars.get(i + 1) == Some(&'.') {
            if chars.get(i + 2) == Some(&'(') {
                break;
            }
            out.push_str("?.");
            i += 2;
        } else if c == '[' {
            let Some(end) = matching(chars, i, '[', ']') else {
                break;
            };
            out.extend(&chars[i..=end]);
            i = end + 1;
        } else {
            break;
        }
    }
    out.trim_end_matches('.').to_owned()
}

/// Member chain ending just before `end` (which is preceded by a `.`), call arguments
/// abbreviated.
fn scan_backward(chars: &[char], end: usize) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = end;
    while i > 0 {
        let c = chars[i - 1];
        if is_ident(c) || c == '.' {
            parts.push(c.to_string());
            i -= 1;
        } else if c == ')' || c == ']' {
            let open = if c == ')' { '(' } else { '[' };
            let Some(start) = matching_back(chars, i - 1, open, c) else {
                break;
            };
            if c == ')' {
                parts.push("(...)".to_owned());
            } else {
                parts.push(chars[start..i].iter().collect());
            }
            i = start;
        } else {
            break;
        }
    }
    parts.reverse();
    parts.concat()
}

fn matching(chars: &[char], open_at: usize, open: char, close: char) -> Option<usize> {
    let mut depth = 0usize;
    for (i, &c) in chars.iter().enumerate().skip(open_at) {
        if c == open {
            depth += 1;
        } else if c == close {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

fn matching_back(chars: &[char], close_at: usize, open: char, close: char) -> Option<usize> {
    let mut depth = 0usize;
    for i in (0..=close_at).rev() {
        let c = chars[i];
        if c == close {
            depth += 1;
        } else if c == open {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_reads_and_writes_use_v8_wording() {
        assert_eq!(
            v8_message("cannot read property 'statusCode' of undefined", "", None, None),
            "Cannot read properties of undefined (reading 'statusCode')"
        );
        assert_eq!(
            v8_message("cannot read property 'id' of null", "", None, None),
            "Cannot read properties of null (reading 'id')"
        );
        assert_eq!(
            v8_message("cannot set property 'y' of undefined", "", None, None),
            "Cannot set properties of undefined (setting 'y')"
        );
        assert_eq!(v8_message("boom", "", None, None), "boom");
        assert_eq!(
            v8_message("Cannot read properties of undefined (reading 'x')", "", None, None),
            "Cannot read properties of undefined (reading 'x')"
        );
    }

    #[test]
    fn not_a_function_names_the_callee() {
        let src = "function f() {\n  x.foo.bar(1);\n  a.b(1).c();\n  q(2);\n  new Thing();\n}";
        assert_eq!(v8_message("not a function", src, Some(2), Some(3)), "x.foo.bar is not a function");
        assert_eq!(v8_message("not a function", src, Some(3), Some(10)), "a.b(...).c is not a function");
        assert_eq!(v8_message("not a function", src, Some(4), Some(3)), "q is not a function");
        assert_eq!(
            v8_message("not a constructor", src, Some(5), Some(3)),
            "Thing is not a constructor"
        );
        assert_eq!(v8_message("not a function", src, None, None), "not a function");
        assert_eq!(v8_message("not a function", src, Some(99), Some(1)), "not a function");
    }

    #[test]
    fn locations_come_from_the_first_frame_in_the_script() {
        let stack = "TypeError: x\n    at helper (sandbox:request.js:10:2)\n    at <anonymous> (login.js:7:12)\n    at login.js:1:1";
        assert_eq!(location_in(stack, "login.js"), Some((7, 12)));
        assert_eq!(location_in("SyntaxError: y\n    at login.js:2:13", "login.js"), Some((2, 13)));
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
