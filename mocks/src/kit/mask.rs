//! A tolerant masker for text that may hold secrets: journaled bodies, query strings and header
//! values, whole or cut at the journal's limit, valid or not.
//!
//! Nothing here parses a document. A scanner walks the text once and recognises what a secret
//! looks like in it wherever it stands: a `"name": value` pair of JSON (double- or single-quoted
//! names, JavaScript's bare names, `\u` escapes in names, any letter case), whose value — a
//! string, a number, an object or an array — becomes `"[masked]"`; a `name=value` pair of a form
//! or query string; and either of them inside a string value (JSON sent as an escaped string, a
//! URL with a token in its query). A value the text was cut inside is masked to the end of the
//! text, so a cut body never shows the start of a secret. Everything that is not a secret is
//! kept byte for byte (nothing is re-serialised), which also makes the journal cheap: one pass,
//! no allocation unless something is masked.

use std::borrow::Cow;

use super::journal::MASK;

/// [`MASK`] as a JSON string.
const QUOTED_MASK: &str = "\"[masked]\"";

/// How deep string values holding further text (escaped JSON in JSON, …) are looked into.
const MAX_DEPTH: usize = 4;

/// A secret name test: case-insensitive membership in a list of field names.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Secrets<'a> {
    names: &'a [&'a str],
    /// The names' first letters (ASCII, any case) as bits: most words start with none of
    /// them, and are passed over without comparing any name.
    firsts: u64,
}

impl<'a> Secrets<'a> {
    pub(crate) fn new(names: &'a [&'a str]) -> Self {
        let firsts = names
            .iter()
            .filter_map(|n| n.as_bytes().first())
            .fold(0u64, |bits, b| bits | Self::bit(*b));
        Self { names, firsts }
    }

    /// Letters by their bit (`A` and `a` share one); every other byte by the last bit.
    fn bit(b: u8) -> u64 {
        if b.is_ascii_alphabetic() {
            1 << (b.to_ascii_lowercase() - b'a')
        } else {
            1 << 63
        }
    }

    /// Whether a name that starts with `b` can be a secret's.
    fn may_start(&self, b: u8) -> bool {
        self.firsts & Self::bit(b) != 0
    }

    pub(crate) fn is_secret(&self, name: &str) -> bool {
        name.as_bytes().first().is_some_and(|b| self.may_start(*b))
            && self.names.iter().any(|s| name.eq_ignore_ascii_case(s))
    }
}

/// `text` with every recognisable secret masked; `None` when nothing was masked.
pub(crate) fn mask_text(text: &str, secrets: Secrets<'_>) -> Option<String> {
    // Every pair a secret can be written in has a `:` or a `=` (or an escape spelling one).
    if !text.bytes().any(|b| matches!(b, b':' | b'=' | b'\\')) {
        return None;
    }
    mask_at_depth(text, secrets, 0)
}

fn mask_at_depth(text: &str, secrets: Secrets<'_>, depth: usize) -> Option<String> {
    let (mut masked, clean) = Scanner::new(text, secrets, depth).run();
    if clean {
        return masked;
    }
    let current = masked.as_deref().unwrap_or(text);
    let trimmed = current.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) && current.contains('=') {
        masked = mask_pairs(current, secrets, depth).or(masked);
    }
    let current = masked.as_deref().unwrap_or(text);
    loose_pass(current, secrets).or(masked)
}

/// The last net, for text too broken for the scanner to follow (a string left open earlier,
/// a quote escaped once too often): wherever a secret's name stands as a word followed by `:` or
/// `=` (quotes, backslashes and blanks around them allowed), what follows up to the end of its
/// quotes, or of the pair, is masked.
fn loose_pass(text: &str, secrets: Secrets<'_>) -> Option<String> {
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut out: Option<String> = None;
    let mut kept = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Names start words: only word starts are compared.
        if !secrets.may_start(bytes[i]) || (i > 0 && is_word(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let rest = &bytes[i..];
        let Some(name_len) = secrets
            .names
            .iter()
            .map(|n| n.as_bytes())
            .filter(|n| {
                rest.len() >= n.len()
                    && rest[..n.len()].eq_ignore_ascii_case(n)
                    && !rest.get(n.len()).copied().is_some_and(is_word)
            })
            .map(<[u8]>::len)
            .max()
        else {
            i += 1;
            continue;
        };
        let mut j = i + name_len;
        while j < bytes.len() && matches!(bytes[j], b' ' | b'\t' | b'\\' | b'"' | b'\'') {
            j += 1;
        }
        if j >= bytes.len() || !matches!(bytes[j], b':' | b'=') {
            i += 1;
            continue;
        }
        j += 1;
        let mut quote = None;
        while j < bytes.len() && matches!(bytes[j], b' ' | b'\t' | b'\\' | b'"' | b'\'') {
            if matches!(bytes[j], b'"' | b'\'') {
                quote = Some(bytes[j]);
            }
            j += 1;
        }
        let start = j;
        if text[start..].starts_with(MASK) {
            i = start + MASK.len();
            continue;
        }
        let mut end = start;
        match quote {
            Some(q) => {
                while end < bytes.len() && bytes[end] != q {
                    end += 1;
                }
                // `\"` closes an escaped string: the backslash is not the secret's.
                if end < bytes.len() && end > start && bytes[end - 1] == b'\\' {
                    end -= 1;
                }
            }
            None => {
                while end < bytes.len()
                    && !matches!(
                        bytes[end],
                        b',' | b'}' | b']' | b'&' | b';' | b'\r' | b'\n' | b'"' | b'\'' | b'\\'
                    )
                {
                    end += 1;
                }
                while end > start && bytes[end - 1].is_ascii_whitespace() {
                    end -= 1;
                }
            }
        }
        let value = &text[start..end];
        let unquoted_skip = quote.is_none() && (value == "null" || matches!(bytes.get(start), Some(b'{' | b'[')));
        if value.is_empty() || unquoted_skip {
            i = end.max(i + 1);
            continue;
        }
        let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
        out.push_str(&text[kept..start]);
        out.push_str(MASK);
        kept = end;
        i = end.max(i + 1);
    }
    out.map(|mut out| {
        out.push_str(&text[kept..]);
        out
    })
}

/// Masks `name=value` pairs separated by `&` (a form body, a query string, a URL's query): by
/// name (percent- and plus-decoded, any case), and a value that itself holds a secret (JSON in a
/// form field) as a whole. Other pairs are kept byte for byte.
pub(crate) fn mask_pairs(text: &str, secrets: Secrets<'_>, depth: usize) -> Option<String> {
    let mut out = String::new();
    let mut kept = 0;
    let mut changed = false;
    let mut start = 0;
    for pair in text.split('&') {
        let end = start + pair.len();
        if let Some((name, value)) = pair.split_once('=') {
            let masked = if secrets.is_secret(&decode_component(name)) {
                true
            } else if depth < MAX_DEPTH && !value.is_empty() {
                let decoded = decode_component(value);
                mask_at_depth(&decoded, secrets, depth + 1).is_some()
            } else {
                false
            };
            if masked {
                let value_start = start + name.len() + 1;
                out.push_str(&text[kept..value_start]);
                out.push_str(MASK);
                kept = end;
                changed = true;
            }
        }
        start = end + 1;
    }
    changed.then(|| {
        out.push_str(&text[kept..]);
        out
    })
}

/// A form or query component decoded: `+` as a space, percent escapes (lossy UTF-8).
fn decode_component(text: &str) -> String {
    if !text.contains(['%', '+']) {
        return text.to_owned();
    }
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// One pass over a text, copying it to `out` with secret values replaced.
struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    secrets: Secrets<'a>,
    depth: usize,
    pos: usize,
    /// The text up to here is in `out` (or unchanged, while `out` is `None`).
    kept: usize,
    out: Option<String>,
    /// The last significant byte before `pos`: decides whether a `'` opens a string.
    last: u8,
    /// Whether the text read so far is JSON as the scanner understands it (no string left open,
    /// no quote or word where JSON has none, no stray byte, no comment): then every name was
    /// seen for what it is, and the loose pass has nothing to add.
    clean: bool,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str, secrets: Secrets<'a>, depth: usize) -> Self {
        Self {
            text,
            bytes: text.as_bytes(),
            secrets,
            depth,
            pos: 0,
            kept: 0,
            out: None,
            last: b'{',
            clean: true,
        }
    }

    /// The text with its secrets masked (`None`: nothing was), and whether it was clean.
    fn run(mut self) -> (Option<String>, bool) {
        while self.pos < self.bytes.len() {
            let b = self.bytes[self.pos];
            match b {
                b'"' => {
                    self.token_starts();
                    self.string_token(b'"');
                }
                b'\'' if matches!(self.last, b'{' | b'[' | b',' | b':') => {
                    self.clean = false;
                    self.string_token(b'\'');
                }
                b if b.is_ascii_alphabetic() || b == b'_' || b == b'$' => {
                    self.token_starts();
                    self.word_token();
                }
                b if b.is_ascii_whitespace() => self.pos += 1,
                _ => {
                    if !matches!(
                        b,
                        b'{' | b'}' | b'[' | b']' | b',' | b':' | b'-' | b'+' | b'.' | b'0'..=b'9'
                    ) {
                        self.clean = false;
                    }
                    self.last = b;
                    self.pos += 1;
                }
            }
        }
        let clean = self.clean;
        let Some(mut out) = self.out else {
            return (None, clean);
        };
        out.push_str(&self.text[self.kept..]);
        (Some(out), clean)
    }

    /// A string or a word starts: right after another one, with nothing between them, is not
    /// JSON.
    fn token_starts(&mut self) {
        if matches!(self.last, b'"' | b'\'' | b'a' | b'n') {
            self.clean = false;
        }
    }

    /// Replaces `start..end` with `with`.
    fn replace(&mut self, start: usize, end: usize, with: &str) {
        let out = self.out.get_or_insert_with(|| String::with_capacity(self.text.len()));
        out.push_str(&self.text[self.kept..start]);
        out.push_str(with);
        self.kept = end;
    }

    /// The end of the string opening at `start` (after its closing quote), and whether it was
    /// closed before the text ended.
    fn string_end(&self, start: usize, quote: u8) -> (usize, bool) {
        let mut i = start + 1;
        while i < self.bytes.len() {
            match self.bytes[i] {
                b'\\' => i += 2,
                b if b == quote => return (i + 1, true),
                _ => i += 1,
            }
        }
        (self.bytes.len(), false)
    }

    /// The position after whitespace and comments from `i`.
    fn skip_blank(&mut self, mut i: usize) -> usize {
        loop {
            while i < self.bytes.len() && self.bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if self.bytes[i..].starts_with(b"/") {
                self.clean = false;
            }
            if self.bytes[i..].starts_with(b"/*") {
                i = self.text[i + 2..]
                    .find("*/")
                    .map_or(self.bytes.len(), |end| i + 2 + end + 2);
            } else if self.bytes[i..].starts_with(b"//") {
                i = self.text[i..].find('\n').map_or(self.bytes.len(), |end| i + end);
            } else {
                return i;
            }
        }
    }

    /// A string: a name when a `:` follows (its value masked when the name is a secret's), else
    /// a value, looked into for secrets of its own.
    fn string_token(&mut self, quote: u8) {
        let start = self.pos;
        let (end, closed) = self.string_end(start, quote);
        self.pos = end;
        self.last = quote;
        if !closed {
            self.clean = false;
            return;
        }
        let after = self.skip_blank(end);
        if self.bytes.get(after) == Some(&b':') {
            let name = unescape(&self.text[start..end], quote);
            self.pos = after + 1;
            self.last = b':';
            if self.secrets.is_secret(&name) {
                self.mask_value();
            }
            return;
        }
        self.look_into_string(start, end, quote);
    }

    /// A bare word (`password: "x"` in a JavaScript object, `true`, `null`): a name when a `:`
    /// follows.
    fn word_token(&mut self) {
        let start = self.pos;
        let mut end = start;
        while end < self.bytes.len()
            && (self.bytes[end].is_ascii_alphanumeric() || matches!(self.bytes[end], b'_' | b'$' | b'-'))
        {
            end += 1;
        }
        self.pos = end;
        self.last = b'a';
        let after = self.skip_blank(end);
        if self.bytes.get(after) == Some(&b':') && self.secrets.is_secret(&self.text[start..end]) {
            self.pos = after + 1;
            self.last = b':';
            self.mask_value();
        }
    }

    /// Masks the value that starts at `pos` (after blanks): to the end of the text when the text
    /// ends inside it. `null` is kept (there is nothing to hide).
    fn mask_value(&mut self) {
        let start = self.skip_blank(self.pos);
        if start >= self.bytes.len() {
            self.pos = start;
            return;
        }
        let end = match self.bytes[start] {
            q @ (b'"' | b'\'') => self.string_end(start, q).0,
            b'{' | b'[' => self.container_end(start),
            _ if self.text[start..].starts_with("null")
                && !self
                    .bytes
                    .get(start + 4)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_') =>
            {
                self.pos = start + 4;
                self.last = b'n';
                return;
            }
            _ => {
                let mut i = start;
                while i < self.bytes.len() && !matches!(self.bytes[i], b',' | b'}' | b']' | b'\n' | b'\r' | b'&' | b';')
                {
                    i += 1;
                }
                // Trailing blanks stay outside the mask.
                while i > start && self.bytes[i - 1].is_ascii_whitespace() {
                    i -= 1;
                }
                i
            }
        };
        self.replace(start, end, QUOTED_MASK);
        self.pos = end;
        self.last = b'"';
    }

    /// The end of the object or array opening at `start` (strings inside skipped), or the end
    /// of the text when it is cut inside.
    fn container_end(&self, start: usize) -> usize {
        let mut depth = 0usize;
        let mut i = start;
        while i < self.bytes.len() {
            match self.bytes[i] {
                b'"' => {
                    i = self.string_end(i, b'"').0;
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        self.bytes.len()
    }

    /// A string value that may itself hold secrets (escaped JSON, a URL or form text): its
    /// content is masked as text of its own and written back escaped.
    fn look_into_string(&mut self, start: usize, end: usize, quote: u8) {
        let raw = &self.text[start + 1..end - 1];
        if self.depth >= MAX_DEPTH || !raw.contains(['\\', '=', ':']) {
            return;
        }
        let content = unescape(&self.text[start..end], quote);
        if let Some(masked) = mask_at_depth(&content, self.secrets, self.depth + 1) {
            let escaped = serde_json::to_string(&masked).unwrap_or_else(|_| format!("\"{MASK}\""));
            self.replace(start, end, &escaped);
        }
    }
}

/// The content of a quoted string token (quotes included in `token`), escapes resolved as JSON
/// resolves them; a malformed escape leaves the raw content.
fn unescape(token: &str, quote: u8) -> Cow<'_, str> {
    let inner = &token[1..token.len() - 1];
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    if quote == b'"'
        && let Ok(s) = serde_json::from_str::<String>(token)
    {
        return Cow::Owned(s);
    }
    // Single-quoted (JavaScript) or not valid JSON: resolve the simple escapes by hand.
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(c) => out.push(c),
                    None => out.push_str(&hex),
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quoted_mask_is_the_mask() {
        assert_eq!(QUOTED_MASK, serde_json::to_string(MASK).expect("a string"));
    }

    fn secrets() -> Secrets<'static> {
        Secrets::new(&["password", "client_secret", "token"])
    }

    fn mask(text: &str) -> String {
        mask_text(text, secrets()).unwrap_or_else(|| text.to_owned())
    }

    #[test]
    fn masks_json_values_of_every_kind_and_keeps_the_rest_byte_for_byte() {
        assert_eq!(
            mask(r#"{ "user" : "a@b.c",  "password" :"hunter2", "n": 1}"#),
            r#"{ "user" : "a@b.c",  "password" :"[masked]", "n": 1}"#
        );
        assert_eq!(mask(r#"{"password":12345}"#), r#"{"password":"[masked]"}"#);
        assert_eq!(mask(r#"{"password": true }"#), r#"{"password": "[masked]" }"#);
        assert_eq!(mask(r#"{"password":null}"#), r#"{"password":null}"#);
        assert_eq!(
            mask(r#"{"password":{"hash":"abc","salt":["s"]},"x":2}"#),
            r#"{"password":"[masked]","x":2}"#
        );
        assert_eq!(
            mask(r#"[{"a":{"b":[{"Token":"t"}]}}]"#),
            r#"[{"a":{"b":[{"Token":"[masked]"}]}}]"#
        );
        assert_eq!(mask(r#"{"pass\u0077ord":"x"}"#), r#"{"pass\u0077ord":"[masked]"}"#);
        assert_eq!(mask(r#"{"pass\"word":"kept"}"#), r#"{"pass\"word":"kept"}"#);
        assert_eq!(
            mask(r#"{"password":"a\"b\\\"c","next":"d"}"#),
            r#"{"password":"[masked]","next":"d"}"#
        );
    }

    #[test]
    fn cut_and_broken_text_is_masked_to_its_end() {
        assert_eq!(
            mask(r#"{"user":"u","password":"hun"#),
            r#"{"user":"u","password":"[masked]""#
        );
        assert_eq!(mask(r#"{"password":"hun\"#), r#"{"password":"[masked]""#);
        assert_eq!(mask(r#"{"password":{"a":"b","#), r#"{"password":"[masked]""#);
        assert_eq!(mask(r#"{"password":  "#), r#"{"password":  "#);
        assert_eq!(mask(r#"{"password": 'x', }}}"#), r#"{"password": "[masked]", }}}"#);
        assert_eq!(
            mask(r#"{password: "x", token :'y'}"#),
            r#"{password: "[masked]", token :"[masked]"}"#
        );
        assert_eq!(
            mask(r#"{"password" /* c */ : "x"}"#),
            r#"{"password" /* c */ : "[masked]"}"#
        );
        assert_eq!(mask("password: hunter2\nuser: u"), "password: \"[masked]\"\nuser: u");
    }

    #[test]
    fn quotes_out_of_step_fall_to_the_loose_pass() {
        // A string left open earlier shifts every quote after it: the scanner reads `password`
        // as a bare word and `":"` as a string, sees the text is not JSON, and the loose pass
        // masks what follows the name.
        for text in [
            r#"{"a":"x, "password":"hunter2", "b":"y"}"#,
            r#"{"a":"x, "password":"hunter2"}"#,
            r#"{"a":"x" "password" : "hunter2"}"#,
            r#"note "password"="hunter2""#,
        ] {
            let masked = mask(text);
            assert!(!masked.contains("hunter2"), "{text} -> {masked}");
        }
        // Inside a string value: a pair the string holds.
        assert_eq!(
            mask(r#"{"note":"password: hunter2"}"#),
            r#"{"note":"password: \"[masked]\""}"#
        );
    }

    #[test]
    fn secrets_inside_strings_and_forms() {
        let embedded = r#"{"payload":"{\"password\":\"hunter2\"}"}"#;
        let masked = mask(embedded);
        assert!(!masked.contains("hunter2"), "{masked}");
        assert!(masked.contains("payload"), "{masked}");
        let url = r#"{"next":"https://x.test/cb?code=1&token=abc"}"#;
        assert_eq!(mask(url), r#"{"next":"https://x.test/cb?code=1&token=[masked]"}"#);
        assert_eq!(mask("a=1&PassWord=x&b=2"), "a=1&PassWord=[masked]&b=2");
        assert_eq!(mask("a=1&pass%77ord=x"), "a=1&pass%77ord=[masked]");
        assert_eq!(mask("a=1&password=x%2"), "a=1&password=[masked]");
        let form_json = "data=%7B%22password%22%3A%22x%22%7D&u=1";
        assert_eq!(mask(form_json), "data=[masked]&u=1");
        assert_eq!(mask("plain text, no secrets"), "plain text, no secrets");
        assert!(mask_text(r#"{"user":"a","n":[1,2,{"x":"y"}]}"#, secrets()).is_none());
    }
}
