//! Regular expressions for the two places the mock needs them: `regex('…')` in the search query
//! language (a whole-value match, gigya.md §3.3) and IdentitySync's `field.replace` (Java
//! `replaceAll` semantics, `$1` group references).
//!
//! Matching is the [`regex`] crate's: linear in pattern size × text length, so a hostile pattern
//! (`(a*)*b`, `(a|aa)+$`) cannot hang the mock, and a pattern whose compiled form exceeds
//! [`SIZE_LIMIT`] (`a{99999}`) is refused with the query's error rather than built. What is here
//! is the thin layer between Gigya's Java-flavoured syntax and the crate's:
//!
//! - `\d \w \s` (and `\D \W \S`) are ASCII, as in Java, not Unicode as in the crate;
//! - `\0` is NUL, `\xHH` and `\uHHHH` are code points, any escaped punctuation is that
//!   character; an unknown letter escape is an error;
//! - a `{` that does not start a `{n}`, `{n,}` or `{n,m}` quantifier is a literal brace;
//! - inside `[…]`, `[`, `&`, `~` and a `-` that makes no range are literals (the crate would read
//!   nested classes and set operations);
//! - errors name the position in the pattern as given (`missing )`, `unbalanced )`, groups
//!   nested more than [`MAX_DEPTH`] deep), the crate's own reason otherwise;
//! - [`Regex::replace_all`] follows Java's `Matcher` — an empty match right after a non-empty
//!   one counts (`"abc".replaceAll("b*", "-")` is `-a--c-`), `$n` is group n, `\x` is x.

use std::fmt::{self, Write as _};

/// Largest compiled program a pattern may have, in bytes (the crate's `size_limit`).
pub(crate) const SIZE_LIMIT: usize = 1 << 20;
/// Largest lazy-DFA cache per pattern, in bytes (the crate's `dfa_size_limit`).
const DFA_SIZE_LIMIT: usize = 2 << 20;
/// Deepest group nesting a pattern may have.
pub(crate) const MAX_DEPTH: usize = 64;

/// A compiled pattern.
#[derive(Clone)]
pub(crate) struct Regex {
    source: String,
    /// The translated pattern, anchored at both ends: `is_full_match`.
    whole: regex::Regex,
    /// The translated pattern: `replace_all`.
    anywhere: regex::Regex,
}

impl fmt::Debug for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Regex({:?})", self.source)
    }
}

impl Regex {
    pub(crate) fn new(pattern: &str) -> Result<Self, String> {
        let translated = translate(pattern)?;
        let build = |text: &str| {
            regex::RegexBuilder::new(text)
                .size_limit(SIZE_LIMIT)
                .dfa_size_limit(DFA_SIZE_LIMIT)
                .build()
                .map_err(|e| refused(pattern, &e))
        };
        Ok(Self {
            source: pattern.to_owned(),
            whole: build(&format!(r"\A(?:{translated})\z"))?,
            anywhere: build(&translated)?,
        })
    }

    /// Whether the whole of `text` matches (the pattern is anchored at both ends).
    pub(crate) fn is_full_match(&self, text: &str) -> bool {
        self.whole.is_match(text)
    }

    /// Every non-overlapping match replaced, Java `String.replaceAll` style: `$n` is group n,
    /// `\x` is a literal x, and after an empty match the search moves one character on.
    pub(crate) fn replace_all(&self, text: &str, replacement: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut from = 0;
        while from <= text.len() {
            let Some(groups) = self.anywhere.captures_at(text, from) else {
                break;
            };
            let whole = groups.get(0).map_or(from..from, |m| m.range());
            out.push_str(&text[copied..whole.start]);
            expand(replacement, &groups, &mut out);
            copied = whole.end;
            from = if whole.is_empty() {
                whole.end + text[whole.end..].chars().next().map_or(1, char::len_utf8)
            } else {
                whole.end
            };
        }
        out.push_str(&text[copied.min(text.len())..]);
        out
    }
}

/// Java's replacement syntax: `$n` (the longest group number the pattern has, at least one
/// digit), `\x` for a literal x; a group that did not take part adds nothing.
fn expand(replacement: &str, groups: &regex::Captures<'_>, out: &mut String) {
    let count = groups.len() - 1;
    let mut it = replacement.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\\' => {
                if let Some(next) = it.next() {
                    out.push(next);
                }
            }
            '$' if it.peek().is_some_and(char::is_ascii_digit) => {
                let mut n = 0usize;
                while let Some(d) = it.peek().and_then(|c| c.to_digit(10)) {
                    let candidate = n * 10 + d as usize;
                    if candidate > count && n != 0 {
                        break;
                    }
                    n = candidate;
                    it.next();
                }
                if let Some(m) = groups.get(n) {
                    out.push_str(m.as_str());
                }
            }
            c => out.push(c),
        }
    }
}

/// The crate's reason for refusing the translated pattern, with the pattern as given.
fn refused(pattern: &str, error: &regex::Error) -> String {
    let reason = match error {
        regex::Error::CompiledTooBig(_) => "regex too large".to_owned(),
        // the last line of the crate's report is the reason ("error: ..."), the rest draws
        // the translated pattern
        other => other
            .to_string()
            .lines()
            .rev()
            .find(|line| !line.trim().is_empty())
            .map(|line| line.trim().trim_start_matches("error: ").to_owned())
            .unwrap_or_else(|| "invalid pattern".to_owned()),
    };
    format!("{reason} in regex '{pattern}'")
}

const DIGIT: &str = "0-9";
const WORD: &str = "0-9A-Za-z_";
const SPACE: &str = r" \t\n\x0B\x0C\r";

/// What came last in a pattern, for what a quantifier may follow.
#[derive(Clone, Copy, PartialEq)]
enum Last {
    /// The start, `(` or `|`: nothing to repeat.
    Nothing,
    /// An anchor (`^`, `$`, `\b`): nothing to repeat either (Java refuses it too).
    Anchor,
    /// Something repeatable.
    Atom,
    /// A quantifier: only the `?` that makes it lazy may follow.
    Quantifier,
    /// A lazy quantifier: nothing may follow it as a quantifier.
    Lazy,
}

/// Java-flavoured pattern → the crate's syntax (see the module's list).
fn translate(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let err = |pos: usize, what: &str| Err(format!("{what} at position {pos} of regex '{pattern}'"));
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut depth = 0usize;
    let mut last = Last::Nothing;
    let mut pos = 0;
    while pos < chars.len() {
        let c = chars[pos];
        pos += 1;
        // a quantifier: `*`, `+`, `?`, or a brace reading {n}, {n,} or {n,m}
        let braces = (c == '{').then(|| quantifier_braces(&chars[pos..])).flatten();
        if matches!(c, '*' | '+' | '?') || braces.is_some() {
            match (last, c) {
                (Last::Quantifier, '?') => last = Last::Lazy,
                (Last::Atom, _) => last = Last::Quantifier,
                _ => return err(pos, "nothing to repeat"),
            }
            match braces {
                Some(text) => {
                    out.push('{');
                    out.push_str(&text);
                    out.push('}');
                    pos += text.chars().count() + 1;
                }
                None => out.push(c),
            }
            continue;
        }
        last = Last::Atom;
        match c {
            '\\' => match escape(&chars, &mut pos, false) {
                Ok(text) => {
                    if matches!(text.as_str(), "\\b" | "\\B" | "\\A" | "\\z") {
                        last = Last::Anchor;
                    }
                    out.push_str(&text);
                }
                Err(what) => return err(pos, what),
            },
            '[' => {
                let start = pos;
                match class(&chars, &mut pos) {
                    Ok(text) => out.push_str(&text),
                    Err(what) => return err(pos.max(start), what),
                }
            }
            '(' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return err(pos, "groups nested too deeply");
                }
                last = Last::Nothing;
                out.push('(');
                // a flag or non-capturing group's head is copied whole: `(?i)`, `(?:`
                if chars.get(pos) == Some(&'?') {
                    let head: String = chars[pos..]
                        .iter()
                        .take_while(|c| c.is_ascii_alphanumeric() || "?-<=!_".contains(**c))
                        .collect();
                    out.push_str(&head);
                    pos += head.chars().count();
                    if let Some(end @ (':' | '>')) = chars.get(pos) {
                        out.push(*end);
                        pos += 1;
                    } else if chars.get(pos) == Some(&')') {
                        // `(?i)` is a whole group that sets flags
                        depth -= 1;
                        out.push(')');
                        pos += 1;
                    }
                }
            }
            ')' => {
                if depth == 0 {
                    return err(pos, "unbalanced )");
                }
                depth -= 1;
                out.push(')');
            }
            '|' => {
                last = Last::Nothing;
                out.push('|');
            }
            '^' | '$' => {
                last = Last::Anchor;
                out.push(c);
            }
            '{' => out.push_str(r"\{"),
            '}' => out.push_str(r"\}"),
            c => out.push(c),
        }
    }
    if depth > 0 {
        return err(pos, "missing )");
    }
    Ok(out)
}

/// The inside of `{n}`, `{n,}` or `{n,m}` when `rest` (after the `{`) starts with one.
fn quantifier_braces(rest: &[char]) -> Option<String> {
    let inside: String = rest.iter().take_while(|c| **c != '}').collect();
    if rest.get(inside.chars().count()) != Some(&'}') {
        return None;
    }
    let (min, max) = inside.split_once(',').unwrap_or((&inside, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    (!min.is_empty() && digits(min) && digits(max)).then_some(inside)
}

/// The escape after a backslash at `pos` (moved past it), in the crate's syntax; `in_class`
/// gives class contents (`0-9`) rather than classes (`[0-9]`).
fn escape(chars: &[char], pos: &mut usize, in_class: bool) -> Result<String, &'static str> {
    let Some(&c) = chars.get(*pos) else {
        return Err("trailing backslash");
    };
    *pos += 1;
    let class = |negated: bool, items: &str| match (in_class, negated) {
        (true, false) => items.to_owned(),
        (true, true) | (false, true) => format!("[^{items}]"),
        (false, false) => format!("[{items}]"),
    };
    let hex = |pos: &mut usize, digits: usize| -> Result<String, &'static str> {
        let text: String = chars.iter().skip(*pos).take(digits).collect();
        if text.chars().count() != digits || !text.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err("truncated escape");
        }
        *pos += digits;
        let code = u32::from_str_radix(&text, 16).map_err(|_| "invalid hex escape")?;
        char::from_u32(code).map(literal).ok_or("invalid hex escape")
    };
    match c {
        'd' => Ok(class(false, DIGIT)),
        'D' => Ok(class(true, DIGIT)),
        'w' => Ok(class(false, WORD)),
        'W' => Ok(class(true, WORD)),
        's' => Ok(class(false, SPACE)),
        'S' => Ok(class(true, SPACE)),
        't' => Ok(literal('\t')),
        'n' => Ok(literal('\n')),
        'r' => Ok(literal('\r')),
        'f' => Ok(literal('\u{c}')),
        'v' => Ok(literal('\u{b}')),
        '0' => Ok(literal('\0')),
        'x' => hex(pos, 2),
        'u' => hex(pos, 4),
        'b' | 'B' | 'A' | 'z' if !in_class => Ok(format!("\\{c}")),
        c if c.is_ascii_alphanumeric() => Err("unknown escape"),
        c => Ok(literal(c)),
    }
}

/// One character as the crate reads it literally, inside or outside a class: its meta
/// characters escaped (never `<` or `>`, whose escapes are word boundaries to the crate),
/// control characters as `\x{…}`.
fn literal(c: char) -> String {
    if c.is_control() {
        let mut out = String::new();
        let _ = write!(out, "\\x{{{:X}}}", u32::from(c));
        return out;
    }
    regex::escape(c.encode_utf8(&mut [0; 4]))
}

/// A `[…]` class after its `[` at `pos` (moved past its `]`), in the crate's syntax: every item
/// a literal, a range or an escape's class contents. A `]` first is a literal, as in Java.
fn class(chars: &[char], pos: &mut usize) -> Result<String, &'static str> {
    let mut out = String::from("[");
    if chars.get(*pos) == Some(&'^') {
        out.push('^');
        *pos += 1;
    }
    let mut first = true;
    loop {
        let Some(&c) = chars.get(*pos) else {
            return Err("missing ]");
        };
        *pos += 1;
        if c == ']' && !first {
            out.push(']');
            return Ok(out);
        }
        first = false;
        let lo = if c == '\\' {
            let start = *pos;
            let text = escape(chars, pos, true)?;
            // a class escape (\d, \W...) is not a range end
            if matches!(chars.get(start), Some('d' | 'D' | 'w' | 'W' | 's' | 'S')) {
                out.push_str(&text);
                continue;
            }
            text
        } else {
            literal(c)
        };
        let ranged = chars.get(*pos) == Some(&'-') && chars.get(*pos + 1).is_some_and(|n| *n != ']');
        if !ranged {
            out.push_str(&lo);
            continue;
        }
        *pos += 1;
        let Some(&h) = chars.get(*pos) else {
            return Err("missing ]");
        };
        *pos += 1;
        let hi = if h == '\\' {
            let start = *pos;
            let text = escape(chars, pos, true)?;
            if matches!(chars.get(start), Some('d' | 'D' | 'w' | 'W' | 's' | 'S')) {
                return Err("class escape as a range end");
            }
            text
        } else {
            literal(h)
        };
        out.push_str(&lo);
        out.push('-');
        out.push_str(&hi);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(p: &str, t: &str) -> bool {
        Regex::new(p).expect("valid pattern").is_full_match(t)
    }

    #[test]
    fn full_matches_are_anchored() {
        assert!(full(".*@example\\.com", "dade@example.com"));
        assert!(!full("example", "dade@example.com"));
        assert!(full("[a-z]+\\d{2,3}", "abc123"));
        assert!(!full("[a-z]+\\d{2,3}", "abc1234"));
        assert!(full("(ab|cd)*x?", "abcdab"));
        assert!(full("(?i)DADE.*", "dade murphy"));
        assert!(full("[^0-9]+", "no digits"));
        assert!(!full("[^0-9]+", "d1git"));
        assert!(full("a{2}b{0,}c?", "aabbb"));
    }

    #[test]
    fn java_syntax_is_translated() {
        // ASCII classes, as in Java
        assert!(!full("\\d", "٣"));
        assert!(!full("\\w+", "zoë"));
        assert!(full("\\W", "ë"));
        assert!(full("[\\d\\s]+", "1 2\t3"));
        // a brace that starts no quantifier is a literal
        assert!(full("a{b}", "a{b}"));
        assert!(full("{", "{"));
        assert!(full("x{,2}", "x{,2}"));
        // escapes of code points and punctuation; NUL
        assert!(full("\\u0041\\x42\\@\\#\\<\\>", "AB@#<>"));
        assert!(full("a\\0b", "a\0b"));
        // literals inside a class the crate would read as operators
        assert!(full("[a&&b]+", "a&&b"));
        assert!(full("[a~-]+", "~-a"));
        assert!(full("[[]", "["));
        assert!(full("[]a]+", "]a]"));
        assert!(Regex::new("\\q").is_err());
        assert!(full("[\\d-z]+", "1-z"), "a - after a class escape is a literal");
        assert!(Regex::new("[a-\\d]").is_err());
    }

    #[test]
    fn replaces_like_java() {
        let r = Regex::new("(\\w+)@(\\w+)").expect("valid");
        assert_eq!(
            r.replace_all("dade@acme, kate@gibson", "$2:$1"),
            "acme:dade, gibson:kate"
        );
        let r = Regex::new("[^\\x00-\\x7F]").expect("valid");
        assert_eq!(r.replace_all("Zoë Ångström", ""), "Zo ngstrm");
        let r = Regex::new("(\\|)|(\n)|(||)").expect("valid");
        // Java: an empty match right after a non-empty one counts too ("abc".replaceAll("b*", "-")).
        assert_eq!(r.replace_all("a|b\nc", " "), " a  b  c ");
        let r = Regex::new("b*").expect("valid");
        assert_eq!(r.replace_all("abc", "-"), "-a--c-");
        let r = Regex::new("x*").expect("valid");
        assert_eq!(r.replace_all("abc", "-"), "-a-b-c-");
        let r = Regex::new("é*").expect("valid");
        assert_eq!(r.replace_all("aéb", "-"), "-a--b-");
        let r = Regex::new("(a)|(b)").expect("valid");
        assert_eq!(r.replace_all("ab", "[$1$2\\$$12]"), "[a$a2][b$2]");
    }

    #[test]
    fn hostile_patterns_finish() {
        let text = "a".repeat(5000) + "!";
        assert!(!full("(a*)*b", &text));
        assert!(!full("(a|aa)+$", &text));
        assert!(!full("((((((((a*)*)*)*)*)*)*)*)*b", &text));
        let err = Regex::new("a{99999}").expect_err("too large");
        assert!(err.starts_with("regex too large"), "{err}");
        assert!(
            Regex::new("(\\w{1000}){1000}").is_err(),
            "a program over the size limit"
        );
    }

    #[test]
    fn random_patterns_never_panic() {
        use rand::{RngExt, SeedableRng};
        let alphabet: Vec<char> = "ab.()[]^$|*+?{}0123,\\-dws:xé&~".chars().collect();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for _ in 0..5000 {
            let len = rng.random_range(0..16);
            let pattern: String = (0..len)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            if let Ok(r) = Regex::new(&pattern) {
                let _ = r.is_full_match("ab0-éxab");
                let _ = r.replace_all("ab0-é xab", "[$1$0\\$]");
            }
        }
    }

    #[test]
    fn bad_patterns_say_where() {
        let err = Regex::new("ab(c").expect_err("unbalanced");
        assert!(err.contains("missing )"), "{err}");
        let err = Regex::new("a)b").expect_err("unbalanced");
        assert_eq!(err, "unbalanced ) at position 2 of regex 'a)b'");
        assert!(Regex::new("*a").is_err());
        assert!(Regex::new("[z-a]").is_err());
        assert!(Regex::new("a{3,1}").is_err());
        assert!(
            Regex::new(&"(".repeat(10_000))
                .expect_err("deep")
                .contains("too deeply")
        );
        for pattern in ["a**", "a*+", "a*??", "^*", "(|*)", "\\b+"] {
            let err = Regex::new(pattern).expect_err("nothing to repeat");
            assert!(err.starts_with("nothing to repeat at position"), "{pattern}: {err}");
        }
        assert!(full("a*?b", "aab") && full("(?:a|b)+", "ab") && full("(?i)(?:A)", "a"));
        let err = Regex::new("(?=a)").expect_err("look-around");
        assert!(err.ends_with(" in regex '(?=a)'") && !err.contains('\n'), "{err}");
    }
}
