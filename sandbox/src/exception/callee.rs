//! Which call failed with QuickJS' bare `not a function`, recovered from the source.
//!
//! V8 names the callee (`cb is not a function`, `a.b(...).c is not a function`); QuickJS only
//! says `not a function`, at the last source position it recorded before the call, which is
//! the property name for a method call (`x.foo()` → `foo`), the callee for a plain call with
//! simple arguments (`q(1)` → `q`), but the last sub-expression of the arguments otherwise
//! (`callback(null, { id: body.id })` → `body`). So, from that position:
//!
//! 1. if it is on the property name of a method call, that call failed;
//! 2. otherwise the innermost call whose argument list contains the position failed (when the
//!    position is on a plain call or `new` nested in those arguments, that inner call
//!    succeeded in all likelihood: an undeclared function would have been a ReferenceError);
//! 3. otherwise the call whose callee is at the position failed.
//!
//! Strings and comments are skipped when matching brackets. The result also carries the
//! position V8 would report: the property for method calls, the callee's start for plain
//! calls, `new` for constructor calls.

/// The call that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FailedCall {
    /// The callee as V8 prints it, call arguments abbreviated as `(...)`.
    pub(crate) callee: String,
    /// 1-based position V8 would report.
    pub(crate) line: u32,
    pub(crate) column: u32,
    /// A `new` expression (`is not a constructor`).
    pub(crate) construct: bool,
}

/// Finds the failed call around the 1-based `line`/`column` QuickJS reported.
pub(crate) fn failed_call(source: &str, line: u32, column: u32) -> Option<FailedCall> {
    let src = Source::new(source);
    let p = src.offset(line, column)?;
    let at = call_at(&src, p);
    if let Some(call) = &at
        && call.on_property
    {
        return src.finish(call, p);
    }
    let from = at.as_ref().map_or(p, |c| c.start);
    if let Some(call) = enclosing_call(&src, from) {
        return src.finish(&call, call.start);
    }
    let call = at?;
    src.finish(&call, call.start)
}

#[derive(Debug)]
struct Call {
    text: String,
    /// Offset of the callee's first char.
    start: usize,
    on_property: bool,
    construct: bool,
}

struct Source {
    chars: Vec<char>,
    /// false for chars inside strings, template literals and comments
    code: Vec<bool>,
    line_starts: Vec<usize>,
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

const NOT_CALLEES: &[&str] = &[
    "if",
    "for",
    "while",
    "switch",
    "catch",
    "with",
    "function",
    "return",
    "typeof",
    "void",
    "delete",
    "in",
    "of",
    "instanceof",
    "do",
    "else",
    "case",
    "yield",
    "await",
    "throw",
];

impl Source {
    fn new(text: &str) -> Self {
        let chars: Vec<char> = text.chars().collect();
        let mut code = vec![true; chars.len()];
        let mut line_starts = vec![0];
        for (i, &c) in chars.iter().enumerate() {
            if c == '\n' {
                line_starts.push(i + 1);
            }
        }
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied();
            let end = match c {
                '\'' | '"' | '`' => {
                    let mut j = i + 1;
                    while j < chars.len() && chars[j] != c {
                        if chars[j] == '\\' {
                            j += 1;
                        } else if chars[j] == '\n' && c != '`' {
                            break;
                        }
                        j += 1;
                    }
                    Some(j)
                }
                '/' if next == Some('/') => Some(
                    chars[i..]
                        .iter()
                        .position(|&c| c == '\n')
                        .map_or(chars.len(), |n| i + n),
                ),
                '/' if next == Some('*') => Some(
                    (i + 2..chars.len().saturating_sub(1))
                        .find(|&j| chars[j] == '*' && chars[j + 1] == '/')
                        .map_or(chars.len(), |j| j + 1),
                ),
                _ => None,
            };
            match end {
                Some(end) => {
                    let end = end.min(chars.len().saturating_sub(1));
                    for flag in &mut code[i..=end] {
                        *flag = false;
                    }
                    i = end + 1;
                }
                None => i += 1,
            }
        }
        Self {
            chars,
            code,
            line_starts,
        }
    }

    fn offset(&self, line: u32, column: u32) -> Option<usize> {
        let start = *self.line_starts.get(usize::try_from(line).ok()?.checked_sub(1)?)?;
        let offset = start + usize::try_from(column).ok()?.checked_sub(1)?;
        (offset < self.chars.len()).then_some(offset)
    }

    fn position(&self, offset: usize) -> (u32, u32) {
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line.saturating_sub(1)];
        (
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(offset - start + 1).unwrap_or(u32::MAX),
        )
    }

    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied().filter(|_| self.code[i])
    }

    fn skip_ws_back(&self, mut i: usize) -> Option<usize> {
        // returns the index of the last non-whitespace code char before `i`
        while i > 0 {
            i -= 1;
            if self.code[i] && !self.chars[i].is_whitespace() {
                return Some(i);
            }
        }
        None
    }

    fn skip_ws_forward(&self, mut i: usize) -> usize {
        while i < self.chars.len() && (self.chars[i].is_whitespace() || !self.code[i]) {
            i += 1;
        }
        i
    }

    fn word_ending_at(&self, end: usize) -> String {
        let mut start = end;
        while start > 0 && is_ident(self.chars[start - 1]) && self.code[start - 1] {
            start -= 1;
        }
        self.chars[start..=end].iter().collect()
    }

    /// Whether `new` precedes offset `i`; returns the offset of `new`.
    fn new_before(&self, i: usize) -> Option<usize> {
        let j = self.skip_ws_back(i)?;
        if self.word_ending_at(j) == "new" {
            Some(j - 2)
        } else {
            None
        }
    }

    fn matching_back(&self, close_at: usize) -> Option<usize> {
        let close = self.chars[close_at];
        let open = match close {
            ')' => '(',
            ']' => '[',
            _ => return None,
        };
        let mut depth = 0usize;
        for i in (0..=close_at).rev() {
            match self.at(i) {
                Some(c) if c == close => depth += 1,
                Some(c) if c == open => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn matching_forward(&self, open_at: usize) -> Option<usize> {
        let mut depth = 0usize;
        for i in open_at..self.chars.len() {
            match self.at(i) {
                Some('[') => depth += 1,
                Some(']') => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The member chain ending just before `end` (exclusive): its start and V8 rendering.
    fn chain_back(&self, end: usize) -> (usize, String) {
        let mut parts: Vec<String> = Vec::new();
        let mut i = end;
        while i > 0 {
            let c = self.chars[i - 1];
            if !self.code[i - 1] {
                break;
            }
            if is_ident(c) || c == '.' || (c == '?' && self.chars.get(i) == Some(&'.')) {
                parts.push(c.to_string());
                i -= 1;
            } else if c == ')' || c == ']' {
                let Some(open) = self.matching_back(i - 1) else {
                    break;
                };
                // only part of the chain when something callable/indexable precedes it
                let before = open.checked_sub(1).map(|b| self.chars[b]);
                if !before.is_some_and(|b| is_ident(b) || b == ')' || b == ']' || b == '.') {
                    break;
                }
                parts.push(if c == ')' {
                    "(...)".to_owned()
                } else {
                    self.chars[open..i].iter().collect()
                });
                i = open;
            } else {
                break;
            }
        }
        parts.reverse();
        (i, parts.concat())
    }

    /// The member chain starting at `start`: its end (exclusive) and text, stopping before a
    /// call's `(`.
    fn chain_forward(&self, start: usize) -> (usize, String) {
        let mut out = String::new();
        let mut i = start;
        while let Some(c) = self.at(i) {
            if is_ident(c) || c == '.' {
                out.push(c);
                i += 1;
            } else if c == '?' && self.at(i + 1) == Some('.') && self.at(i + 2) != Some('(') {
                out.push_str("?.");
                i += 2;
            } else if c == '[' {
                let Some(end) = self.matching_forward(i) else {
                    break;
                };
                out.extend(&self.chars[i..=end]);
                i = end + 1;
            } else {
                break;
            }
        }
        (i, out)
    }

    /// Completes a call into a [`FailedCall`] reported at `at`.
    fn finish(&self, call: &Call, at: usize) -> Option<FailedCall> {
        if call.text.is_empty() {
            return None;
        }
        let reported = if call.construct {
            self.new_before(call.start).unwrap_or(at)
        } else {
            at
        };
        let (line, column) = self.position(reported);
        // `({}).x()`: V8 calls what precedes the member access "(intermediate value)"
        let callee = if call.text.starts_with('.') {
            format!("(intermediate value){}", call.text)
        } else {
            call.text.clone()
        };
        Some(FailedCall {
            callee,
            line,
            column,
            construct: call.construct,
        })
    }
}

/// The call whose callee is at offset `p`, if any.
fn call_at(src: &Source, p: usize) -> Option<Call> {
    let c = src.at(p)?;
    if !is_ident(c) {
        return None;
    }
    let on_property = p > 0 && src.at(p - 1) == Some('.');
    let (start, before) = if on_property {
        src.chain_back(p)
    } else {
        (p, String::new())
    };
    let (end, forward) = src.chain_forward(p);
    let after = src.skip_ws_forward(end);
    let is_call = src.at(after) == Some('(')
        || (src.at(after) == Some('?') && src.at(after + 1) == Some('.') && src.at(after + 2) == Some('('));
    if !is_call {
        return None;
    }
    let forward = forward.trim_end_matches('.').to_owned();
    Some(Call {
        text: format!("{before}{forward}"),
        start,
        on_property,
        construct: src.new_before(start).is_some(),
    })
}

/// Whether the `{` at `i` opens a block (rather than an object literal).
fn is_block_brace(src: &Source, i: usize) -> bool {
    let Some(j) = src.skip_ws_back(i) else {
        return true;
    };
    match src.chars[j] {
        '>' => j > 0 && src.chars[j - 1] == '=',
        '(' | ',' | ':' | '=' | '[' | '?' | '|' | '&' | '!' | '+' => false,
        c if is_ident(c) => !matches!(
            src.word_ending_at(j).as_str(),
            "return" | "typeof" | "yield" | "await" | "case" | "in" | "of"
        ),
        _ => true,
    }
}

/// The innermost call whose argument list contains offset `from`, within the statement.
fn enclosing_call(src: &Source, from: usize) -> Option<Call> {
    let mut depth = 0usize;
    let mut i = from;
    while i > 0 {
        i -= 1;
        let Some(c) = src.at(i) else {
            continue;
        };
        match c {
            ')' | ']' | '}' => depth += 1,
            '[' if depth > 0 => depth -= 1,
            '(' if depth > 0 => depth -= 1,
            '{' if depth > 0 => depth -= 1,
            '(' => {
                if let Some(call) = callee_before(src, i) {
                    return Some(call);
                }
            }
            '{' if is_block_brace(src, i) => return None,
            ';' if depth == 0 => return None,
            _ => {}
        }
    }
    None
}

/// The callee of the call whose `(` is at `open`, or `None` for a grouping parenthesis.
fn callee_before(src: &Source, open: usize) -> Option<Call> {
    let j = src.skip_ws_back(open)?;
    let c = src.chars[j];
    if is_ident(c) {
        let word = src.word_ending_at(j);
        if NOT_CALLEES.contains(&word.as_str()) {
            return None;
        }
        // `function name(` declares, it does not call
        let word_start = j + 1 - word.chars().count();
        if let Some(k) = src.skip_ws_back(word_start)
            && src.word_ending_at(k) == "function"
        {
            return None;
        }
    } else if c != ')' && c != ']' {
        return None;
    }
    let (start, text) = src.chain_back(j + 1);
    if text.is_empty() {
        return None;
    }
    Some(Call {
        text,
        start,
        on_property: false,
        construct: src.new_before(start).is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(line_text: &str, at: &str) -> Option<(String, u32, bool)> {
        let source = format!("function t(cb) {{\n  {line_text}\n}}");
        let column = u32::try_from(line_text.find(at)? + 3).ok()?;
        failed_call(&source, 2, column).map(|f| (f.callee, f.column, f.construct))
    }

    #[test]
    fn method_calls_are_named_from_the_property() {
        assert_eq!(find("x.foo(1, 2);", "foo"), Some(("x.foo".into(), 5, false)));
        assert_eq!(find("a.b(1).c();", "c()"), Some(("a.b(...).c".into(), 10, false)));
        assert_eq!(
            find("cb(null, profile.format());", "format"),
            Some(("profile.format".into(), 20, false))
        );
    }

    #[test]
    fn plain_calls_with_complex_arguments_name_the_outer_call() {
        assert_eq!(find("cb(new Error('a (b)'));", "Error"), Some(("cb".into(), 3, false)));
        assert_eq!(find("cb(1, {a: f()});", "f()"), Some(("cb".into(), 3, false)));
        assert_eq!(
            find("cb(null, { user_id: body.x, email: 1 });", "body"),
            Some(("cb".into(), 3, false))
        );
        assert_eq!(
            find("x.foo(new Error('a'));", "Error"),
            Some(("x.foo".into(), 3, false))
        );
        assert_eq!(find("q(1);", "q"), Some(("q".into(), 3, false)));
    }

    #[test]
    fn intermediate_values() {
        assert_eq!(
            find("({}).x();", "x()"),
            Some(("(intermediate value).x".into(), 8, false))
        );
    }

    #[test]
    fn constructors() {
        assert_eq!(find("new F();", "F"), Some(("F".into(), 3, true)));
        assert_eq!(find("var g = new F.G(1);", "F"), Some(("F.G".into(), 11, true)));
    }

    #[test]
    fn calls_spanning_lines() {
        let source = "function t(callback) {\n  callback(null, {\n    user_id: body.id,\n    email: 'x'\n  });\n}";
        let found = failed_call(source, 3, 14);
        assert_eq!(
            found,
            Some(FailedCall {
                callee: "callback".into(),
                line: 2,
                column: 3,
                construct: false
            })
        );
    }

    #[test]
    fn blocks_bound_the_search() {
        let source = "request(o, function (e, r, b) {\n  var s = 1;\n  go(s);\n});";
        assert_eq!(failed_call(source, 3, 3).map(|f| f.callee), Some("go".into()));
        let source = "if (x) {\n  y.z;\n}";
        assert_eq!(failed_call(source, 2, 3), None);
    }
}
