//! `JSON.parse` error messages in V8's wording.
//!
//! Scripts often `JSON.parse` a body that is not JSON (an HTML error page, an empty body) and
//! log or forward the message. QuickJS says `unexpected token: '<'`; Node says `Unexpected
//! token '<', "<!DOCTYPE "... is not valid JSON`. `json.js` wraps `JSON.parse` and, when the
//! engine rejects the text, asks [`v8_json_error`] for the message: a port of the error paths
//! of V8 11's `JsonParser` (Node 20), positions counted in UTF-16 code units.

use rquickjs::{Ctx, Function, Object};

use crate::host::Host;

/// JavaScript half: the `JSON.parse` wrapper.
pub(crate) const JS: &str = include_str!("json.js");

/// Adds `jsonError(text)` to the native object.
pub(crate) fn register<'js>(ctx: &Ctx<'js>, native: &Object<'js>, _host: &Host) -> rquickjs::Result<()> {
    native.set(
        "jsonError",
        Function::new(ctx.clone(), |text: String| v8_json_error(&text))?,
    )?;
    Ok(())
}

const MAX_CONTEXT: usize = 10;
const MIN_LENGTH_FOR_CONTEXT: usize = MAX_CONTEXT * 2 + 1;

/// Why parsing stopped.
enum Fail {
    /// A fixed message, completed with " at position N".
    At(&'static str, usize),
    /// V8's generic "unexpected token" report for the token at the position.
    Token(usize),
}

#[derive(Clone, Copy)]
enum Container {
    Array,
    Object,
}

struct Parser<'a> {
    s: &'a [u16],
    pos: usize,
}

fn is_digit(c: u16) -> bool {
    (u16::from(b'0')..=u16::from(b'9')).contains(&c)
}

fn is_hex(c: u16) -> bool {
    is_digit(c) || (u16::from(b'a')..=u16::from(b'f')).contains(&c) || (u16::from(b'A')..=u16::from(b'F')).contains(&c)
}

const fn ch(c: u8) -> u16 {
    c as u16
}

impl Parser<'_> {
    fn peek(&self) -> Option<u16> {
        self.s.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(c) if c == ch(b' ') || c == ch(b'\t') || c == ch(b'\n') || c == ch(b'\r')) {
            self.pos += 1;
        }
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(is_digit) {
            self.pos += 1;
        }
    }

    fn run(&mut self) -> Result<(), Fail> {
        let mut stack: Vec<Container> = Vec::new();
        loop {
            self.value_start(&mut stack)?;
            // after a complete value: close containers, or move to the next element
            loop {
                self.skip_ws();
                match stack.last() {
                    None => {
                        return match self.peek() {
                            None => Ok(()),
                            Some(_) => Err(Fail::At("Unexpected non-whitespace character after JSON", self.pos)),
                        };
                    }
                    Some(Container::Array) => match self.peek() {
                        Some(c) if c == ch(b',') => {
                            self.pos += 1;
                            break;
                        }
                        Some(c) if c == ch(b']') => {
                            self.pos += 1;
                            stack.pop();
                        }
                        _ => {
                            return Err(Fail::At("Expected ',' or ']' after array element in JSON", self.pos));
                        }
                    },
                    Some(Container::Object) => match self.peek() {
                        Some(c) if c == ch(b',') => {
                            self.pos += 1;
                            self.property_name("Expected double-quoted property name in JSON")?;
                            break;
                        }
                        Some(c) if c == ch(b'}') => {
                            self.pos += 1;
                            stack.pop();
                        }
                        _ => {
                            return Err(Fail::At("Expected ',' or '}' after property value in JSON", self.pos));
                        }
                    },
                }
            }
        }
    }

    /// Parses a scalar, or opens a container (pushing it; the caller then parses its first
    /// value). Empty containers are consumed whole.
    fn value_start(&mut self, stack: &mut Vec<Container>) -> Result<(), Fail> {
        loop {
            self.skip_ws();
            let Some(c) = self.peek() else {
                return Err(Fail::Token(self.pos));
            };
            match c {
                _ if c == ch(b'"') => return self.string(),
                _ if c == ch(b'-') || is_digit(c) => return self.number(),
                _ if c == ch(b't') => return self.literal("true"),
                _ if c == ch(b'f') => return self.literal("false"),
                _ if c == ch(b'n') => return self.literal("null"),
                _ if c == ch(b'[') => {
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(ch(b']')) {
                        self.pos += 1;
                        return Ok(());
                    }
                    stack.push(Container::Array);
                }
                _ if c == ch(b'{') => {
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(ch(b'}')) {
                        self.pos += 1;
                        return Ok(());
                    }
                    self.property_name("Expected property name or '}' in JSON")?;
                    stack.push(Container::Object);
                }
                _ => return Err(Fail::Token(self.pos)),
            }
        }
    }

    fn property_name(&mut self, message: &'static str) -> Result<(), Fail> {
        self.skip_ws();
        if self.peek() != Some(ch(b'"')) {
            return Err(Fail::At(message, self.pos));
        }
        self.string()?;
        self.skip_ws();
        if self.peek() != Some(ch(b':')) {
            return Err(Fail::At("Expected ':' after property name in JSON", self.pos));
        }
        self.pos += 1;
        Ok(())
    }

    fn string(&mut self) -> Result<(), Fail> {
        self.pos += 1;
        loop {
            let Some(c) = self.peek() else {
                return Err(Fail::At("Unterminated string in JSON", self.pos));
            };
            if c == ch(b'"') {
                self.pos += 1;
                return Ok(());
            }
            if c < 0x20 {
                return Err(Fail::At("Bad control character in string literal in JSON", self.pos));
            }
            if c == ch(b'\\') {
                let Some(escape) = self.s.get(self.pos + 1).copied() else {
                    return Err(Fail::At("Unterminated string in JSON", self.s.len()));
                };
                if escape == ch(b'u') {
                    for i in 2..6 {
                        if !self.s.get(self.pos + i).copied().is_some_and(is_hex) {
                            return Err(Fail::At("Bad Unicode escape in JSON", self.pos + i));
                        }
                    }
                    self.pos += 6;
                } else if b"\"\\/bfnrt".iter().any(|&e| ch(e) == escape) {
                    self.pos += 2;
                } else {
                    return Err(Fail::At("Bad escaped character in JSON", self.pos + 1));
                }
            } else {
                self.pos += 1;
            }
        }
    }

    fn number(&mut self) -> Result<(), Fail> {
        if self.peek() == Some(ch(b'-')) {
            self.pos += 1;
            if !self.peek().is_some_and(is_digit) {
                return Err(Fail::At("No number after minus sign in JSON", self.pos));
            }
        }
        if self.peek() == Some(ch(b'0')) {
            self.pos += 1;
            if self.peek().is_some_and(is_digit) {
                return Err(Fail::Token(self.pos));
            }
        } else {
            self.digits();
        }
        if self.peek() == Some(ch(b'.')) {
            self.pos += 1;
            if !self.peek().is_some_and(is_digit) {
                return Err(Fail::At("Unterminated fractional number in JSON", self.pos));
            }
            self.digits();
        }
        if matches!(self.peek(), Some(c) if c == ch(b'e') || c == ch(b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(c) if c == ch(b'+') || c == ch(b'-')) {
                self.pos += 1;
            }
            if !self.peek().is_some_and(is_digit) {
                return Err(Fail::At("Exponent part is missing a number in JSON", self.pos));
            }
            self.digits();
        }
        Ok(())
    }

    fn literal(&mut self, word: &str) -> Result<(), Fail> {
        for (i, expected) in word.bytes().enumerate() {
            match self.s.get(self.pos + i) {
                Some(&c) if c == ch(expected) => {}
                _ => return Err(Fail::Token(self.pos + i)),
            }
        }
        self.pos += word.len();
        Ok(())
    }
}

/// The message Node 20's `JSON.parse(text)` throws for invalid `text`.
pub(crate) fn v8_json_error(text: &str) -> String {
    let s: Vec<u16> = text.encode_utf16().collect();
    let mut parser = Parser { s: &s, pos: 0 };
    match parser.run() {
        Ok(()) => "Unexpected end of JSON input".to_owned(),
        Err(Fail::At(message, pos)) => format!("{message} at position {pos}"),
        Err(Fail::Token(pos)) => unexpected_token(&s, text, pos),
    }
}

fn unexpected_token(s: &[u16], text: &str, pos: usize) -> String {
    let Some(&c) = s.get(pos) else {
        return "Unexpected end of JSON input".to_owned();
    };
    if c == ch(b'"') {
        return format!("Unexpected string in JSON at position {pos}");
    }
    if c == ch(b'-') || is_digit(c) {
        return format!("Unexpected number in JSON at position {pos}");
    }
    if matches!(text, "NaN" | "Infinity" | "undefined" | "[object Object]") {
        return format!("\"{text}\" is not valid JSON");
    }
    let token = String::from_utf16_lossy(&[c]);
    let len = s.len();
    if len < MIN_LENGTH_FOR_CONTEXT {
        return format!("Unexpected token '{token}', \"{text}\" is not valid JSON");
    }
    let sub = |start: usize, end: usize| String::from_utf16_lossy(&s[start..end.min(len)]);
    if pos < MAX_CONTEXT {
        format!(
            "Unexpected token '{token}', \"{}\"... is not valid JSON",
            sub(0, pos + MAX_CONTEXT)
        )
    } else if pos < len - MAX_CONTEXT {
        format!(
            "Unexpected token '{token}', ...\"{}\"... is not valid JSON",
            sub(pos - MAX_CONTEXT, pos + MAX_CONTEXT)
        )
    } else {
        format!(
            "Unexpected token '{token}', ...\"{}\" is not valid JSON",
            sub(pos - MAX_CONTEXT, len)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::v8_json_error;

    /// Expected messages from Node 20 (`JSON.parse(text)`).
    #[test]
    fn messages_match_node() {
        let cases = [
            ("", "Unexpected end of JSON input"),
            ("  ", "Unexpected end of JSON input"),
            ("x", "Unexpected token 'x', \"x\" is not valid JSON"),
            ("{a:1}", "Expected property name or '}' in JSON at position 1"),
            ("{\"a\" 1}", "Expected ':' after property name in JSON at position 5"),
            ("{'a':1}", "Expected property name or '}' in JSON at position 1"),
            ("[1,]", "Unexpected token ']', \"[1,]\" is not valid JSON"),
            (
                "{\"a\":1,}",
                "Expected double-quoted property name in JSON at position 7",
            ),
            (
                "{\"a\":1 \"b\":2}",
                "Expected ',' or '}' after property value in JSON at position 7",
            ),
            ("\"abc", "Unterminated string in JSON at position 4"),
            ("tru", "Unexpected end of JSON input"),
            (
                "{\"a\":\"\u{1}\"}",
                "Bad control character in string literal in JSON at position 6",
            ),
            ("NaN", "\"NaN\" is not valid JSON"),
            ("undefined", "\"undefined\" is not valid JSON"),
            ("[object Object]", "\"[object Object]\" is not valid JSON"),
            (
                "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>",
                "Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON",
            ),
            (
                "Internal Server Error",
                "Unexpected token 'I', \"Internal S\"... is not valid JSON",
            ),
            (
                "{\"a\":1}   x",
                "Unexpected non-whitespace character after JSON at position 10",
            ),
            ("{", "Expected property name or '}' in JSON at position 1"),
            ("[1", "Expected ',' or ']' after array element in JSON at position 2"),
            ("[", "Unexpected end of JSON input"),
            ("\"a\\x\"", "Bad escaped character in JSON at position 3"),
            ("\"\\u12g4\"", "Bad Unicode escape in JSON at position 5"),
            ("-", "No number after minus sign in JSON at position 1"),
            ("-a", "No number after minus sign in JSON at position 1"),
            ("01", "Unexpected number in JSON at position 1"),
            ("1.", "Unterminated fractional number in JSON at position 2"),
            ("1.e", "Unterminated fractional number in JSON at position 2"),
            ("1e", "Exponent part is missing a number in JSON at position 2"),
            ("1e+", "Exponent part is missing a number in JSON at position 3"),
            ("trux", "Unexpected token 'x', \"trux\" is not valid JSON"),
            ("nul", "Unexpected end of JSON input"),
            ("{\"a\":}", "Unexpected token '}', \"{\"a\":}\" is not valid JSON"),
            ("[1 2]", "Expected ',' or ']' after array element in JSON at position 3"),
            (
                "{\"a\":1",
                "Expected ',' or '}' after property value in JSON at position 6",
            ),
            ("]", "Unexpected token ']', \"]\" is not valid JSON"),
            (
                "\"\t\"",
                "Bad control character in string literal in JSON at position 1",
            ),
            ("[\"a\",]", "Unexpected token ']', \"[\"a\",]\" is not valid JSON"),
            (
                "{\"a\":1}}",
                "Unexpected non-whitespace character after JSON at position 7",
            ),
            (
                "true false",
                "Unexpected non-whitespace character after JSON at position 5",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(v8_json_error(text), expected, "{text:?}");
        }
    }

    #[test]
    fn deep_nesting_does_not_recurse() {
        let text = "[".repeat(1_000_000);
        assert_eq!(v8_json_error(&text), "Unexpected end of JSON input");
    }
}
