//! The subset of Auth0's user-search query syntax (Lucene, search engine v3) the mock
//! understands: `field:value`, `field:"quoted value"`, trailing wildcards (`email:jane*`),
//! `_exists_:field`, ranges (`logins_count:[2 TO *]`, `{a TO b}`), `AND`, `OR`, `NOT`,
//! parentheses, and bare terms searched in the normalized fields. Terms without an operator
//! combine with OR, as in Lucene. Normalized fields (`email`, `name`, `given_name`,
//! `family_name`, `nickname`) match case-insensitively; the others exactly.

use std::borrow::Cow;

use serde_json::{Map, Value};

/// A parsed query.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Query {
    Term {
        field: Option<String>,
        value: String,
        quoted: bool,
    },
    Exists(String),
    Range {
        field: String,
        low: Option<String>,
        high: Option<String>,
        inclusive: bool,
    },
    Not(Box<Query>),
    And(Box<Query>, Box<Query>),
    Or(Box<Query>, Box<Query>),
}

const NORMALIZED: &[&str] = &["email", "name", "given_name", "family_name", "nickname"];

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Colon,
    Open,
    Close,
    RangeOpen(bool),
    RangeClose,
}

fn tokenize(input: &str) -> Result<Vec<Token>, String> {
    let mut tokens = vec![];
    let mut chars = input.chars().peekable();
    // Between `[` or `{` and `]` or `}` a bound may hold colons (a time such as
    // `2024-03-01T10:00:00Z`), as Lucene's range syntax allows.
    let mut in_range = false;
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            ':' if !in_range => {
                chars.next();
                tokens.push(Token::Colon);
            }
            '(' if !in_range => {
                chars.next();
                tokens.push(Token::Open);
            }
            ')' if !in_range => {
                chars.next();
                tokens.push(Token::Close);
            }
            '[' | '{' => {
                chars.next();
                in_range = true;
                tokens.push(Token::RangeOpen(c == '['));
            }
            ']' | '}' => {
                chars.next();
                in_range = false;
                tokens.push(Token::RangeClose);
            }
            '"' => {
                chars.next();
                let mut text = String::new();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                text.push(n);
                            }
                        }
                        '"' => {
                            closed = true;
                            break;
                        }
                        c => text.push(c),
                    }
                }
                if !closed {
                    return Err("unterminated quoted string".into());
                }
                tokens.push(Token::Quoted(text));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    let ends = if in_range {
                        matches!(c, ']' | '}' | '"')
                    } else {
                        matches!(c, ':' | '(' | ')' | '[' | ']' | '{' | '}' | '"')
                    };
                    if c.is_whitespace() || ends {
                        break;
                    }
                    if c == '\\' {
                        chars.next();
                        if let Some(n) = chars.next() {
                            word.push(n);
                        }
                        continue;
                    }
                    word.push(c);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(x)) if x == w)
    }

    fn or(&mut self) -> Result<Query, String> {
        let mut left = self.and()?;
        loop {
            if self.is_word("OR") {
                self.next();
                left = Query::Or(Box::new(left), Box::new(self.and()?));
            } else if matches!(self.peek(), Some(Token::Word(_) | Token::Quoted(_) | Token::Open)) {
                // Implicit operator: OR, as in Lucene.
                left = Query::Or(Box::new(left), Box::new(self.and()?));
            } else {
                return Ok(left);
            }
        }
    }

    fn and(&mut self) -> Result<Query, String> {
        let mut left = self.unary()?;
        while self.is_word("AND") {
            self.next();
            left = Query::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Query, String> {
        if self.is_word("NOT") {
            self.next();
            return Ok(Query::Not(Box::new(self.unary()?)));
        }
        if let Some(Token::Word(w)) = self.peek()
            && let Some(rest) = w.strip_prefix('-').filter(|r| !r.is_empty())
        {
            let rest = rest.to_owned();
            self.tokens[self.pos] = Token::Word(rest);
            return Ok(Query::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Query, String> {
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or()?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    _ => Err("missing closing parenthesis".into()),
                }
            }
            Some(Token::Quoted(value)) => Ok(Query::Term {
                field: None,
                value,
                quoted: true,
            }),
            Some(Token::Word(word)) => {
                if (word == "AND" || word == "OR") && self.peek() != Some(&Token::Colon) {
                    // An operator where a term should be (`AND`, `a OR`, `(OR b)`).
                    return Err(format!("unexpected {word}"));
                }
                if self.peek() != Some(&Token::Colon) {
                    return Ok(Query::Term {
                        field: None,
                        value: word,
                        quoted: false,
                    });
                }
                self.next();
                let field = word;
                match self.next() {
                    Some(Token::Word(value)) if field == "_exists_" => Ok(Query::Exists(value)),
                    Some(Token::Word(value)) => Ok(Query::Term {
                        field: Some(field),
                        value,
                        quoted: false,
                    }),
                    Some(Token::Quoted(value)) => Ok(Query::Term {
                        field: Some(field),
                        value,
                        quoted: true,
                    }),
                    Some(Token::RangeOpen(inclusive)) => {
                        let low = self.range_bound()?;
                        if !self.is_word("TO") {
                            return Err("a range needs TO".into());
                        }
                        self.next();
                        let high = self.range_bound()?;
                        match self.next() {
                            Some(Token::RangeClose) => Ok(Query::Range {
                                field,
                                low,
                                high,
                                inclusive,
                            }),
                            _ => Err("unterminated range".into()),
                        }
                    }
                    Some(Token::Open) => {
                        // field:(a OR b)
                        let inner = self.or()?;
                        match self.next() {
                            Some(Token::Close) => Ok(apply_field(inner, &field)),
                            _ => Err("missing closing parenthesis".into()),
                        }
                    }
                    _ => Err(format!("missing value for field {field}")),
                }
            }
            Some(other) => Err(format!("unexpected {other:?}")),
            None => Err("unexpected end of query".into()),
        }
    }

    fn range_bound(&mut self) -> Result<Option<String>, String> {
        match self.next() {
            Some(Token::Word(w)) if w == "*" => Ok(None),
            Some(Token::Word(w) | Token::Quoted(w)) => Ok(Some(w)),
            _ => Err("bad range bound".into()),
        }
    }
}

fn apply_field(query: Query, field: &str) -> Query {
    match query {
        Query::Term {
            field: None,
            value,
            quoted,
        } => Query::Term {
            field: Some(field.into()),
            value,
            quoted,
        },
        Query::Not(q) => Query::Not(Box::new(apply_field(*q, field))),
        Query::And(a, b) => Query::And(Box::new(apply_field(*a, field)), Box::new(apply_field(*b, field))),
        Query::Or(a, b) => Query::Or(Box::new(apply_field(*a, field)), Box::new(apply_field(*b, field))),
        other => other,
    }
}

/// Parses a query; the error says what is wrong.
pub(crate) fn parse(input: &str) -> Result<Query, String> {
    let tokens = tokenize(input)?;
    if tokens.is_empty() {
        return Err("empty query".into());
    }
    let mut parser = Parser { tokens, pos: 0 };
    let query = parser.or()?;
    if parser.pos < parser.tokens.len() {
        return Err("unexpected input after the query".into());
    }
    Ok(query)
}

/// A value a document holds at a path: text it computed (a stored user's `user_id`, a date) or
/// a JSON value it keeps.
pub(crate) enum Found<'a> {
    Text(Cow<'a, str>),
    Json(&'a Value),
    /// An object (neither null nor a scalar) whose JSON the document does not build.
    Object,
}

impl Found<'_> {
    /// The value as text when it is a scalar (strings as they are, numbers and booleans
    /// printed); `None` for objects, arrays and null.
    pub(crate) fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Found::Text(text) => Some(Cow::Borrowed(text.as_ref())),
            Found::Json(Value::String(s)) => Some(Cow::Borrowed(s.as_str())),
            Found::Json(Value::Number(n)) => Some(Cow::Owned(n.to_string())),
            Found::Json(Value::Bool(b)) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Found::Json(_) | Found::Object => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self, Found::Json(Value::Null))
    }
}

/// What a query is matched against: a user (or a log event) as the Management API shows it, as
/// JSON, or anything that can say which values it would show at a path without building that
/// JSON (a stored user, see `store.rs`).
pub(crate) trait Document {
    /// Calls `f` with each value at a dotted path (array elements one by one, as Elasticsearch
    /// searches arrays) until it returns true; whether it did.
    fn any_value(&self, path: &str, f: &mut dyn FnMut(Found<'_>) -> bool) -> bool;
}

impl Document for Value {
    fn any_value(&self, path: &str, f: &mut dyn FnMut(Found<'_>) -> bool) -> bool {
        values_at(self, path).into_iter().any(|v| f(Found::Json(v)))
    }
}

/// The values at a dotted path (arrays are searched element-wise, as Elasticsearch does).
pub(crate) fn values_at<'a>(user: &'a Value, path: &str) -> Vec<&'a Value> {
    descend(vec![user], path.split('.'))
}

/// The values at a dotted path of an object's fields (`values_at` of that object).
pub(crate) fn values_in<'a>(map: &'a Map<String, Value>, path: &str) -> Vec<&'a Value> {
    let mut parts = path.split('.');
    let mut first = vec![];
    if let Some(child) = parts.next().and_then(|head| map.get(head)) {
        match child {
            Value::Array(items) => first.extend(items.iter()),
            other => first.push(other),
        }
    }
    descend(first, parts)
}

fn descend<'a, 'p>(mut current: Vec<&'a Value>, parts: impl Iterator<Item = &'p str>) -> Vec<&'a Value> {
    for part in parts {
        let mut next = vec![];
        for v in current {
            match v {
                Value::Object(map) => {
                    if let Some(child) = map.get(part) {
                        match child {
                            Value::Array(items) => next.extend(items.iter()),
                            other => next.push(other),
                        }
                    }
                }
                Value::Array(items) => {
                    for item in items {
                        if let Some(child) = item.get(part) {
                            next.push(child);
                        }
                    }
                }
                _ => {}
            }
        }
        current = next;
    }
    current
}

/// Whether `actual` matches a term's `pattern`: equal, or (unquoted, with `*`) a wildcard
/// match; `fold` compares them lower-cased. ASCII text is compared without allocating (the
/// common case, and the search's inner loop); other text is lower-cased first, as before.
fn term_matches(actual: &str, pattern: &str, quoted: bool, fold: bool) -> bool {
    if fold && !(actual.is_ascii() && pattern.is_ascii()) {
        return term_matches(&actual.to_lowercase(), &pattern.to_lowercase(), quoted, false);
    }
    // From here on, `fold` means both sides are ASCII: byte-wise case-insensitive comparison
    // is then exactly a comparison of their lower-cased forms.
    if !quoted && pattern.contains('*') {
        return wildcard(actual.as_bytes(), pattern.as_bytes(), fold);
    }
    if fold {
        actual.eq_ignore_ascii_case(pattern)
    } else {
        actual == pattern
    }
}

fn same(a: &[u8], b: &[u8], fold: bool) -> bool {
    if fold { a.eq_ignore_ascii_case(b) } else { a == b }
}

fn find(text: &[u8], part: &[u8], fold: bool) -> Option<usize> {
    if part.is_empty() {
        return Some(0);
    }
    text.windows(part.len()).position(|w| same(w, part, fold))
}

fn wildcard(text: &[u8], pattern: &[u8], fold: bool) -> bool {
    let parts: Vec<&[u8]> = pattern.split(|&b| b == b'*').collect();
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            if rest.len() < part.len() || !same(&rest[..part.len()], part, fold) {
                return false;
            }
            rest = &rest[part.len()..];
        } else if i == parts.len() - 1 {
            return part.is_empty() || (rest.len() >= part.len() && same(&rest[rest.len() - part.len()..], part, fold));
        } else if let Some(at) = find(rest, part, fold) {
            rest = &rest[at + part.len()..];
        } else {
            return false;
        }
    }
    rest.is_empty()
}

fn compare(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
        _ => a.cmp(b),
    }
}

/// Fields a term without a field name is searched in.
const BARE_TERM_FIELDS: &[&str] = &[
    "email",
    "name",
    "given_name",
    "family_name",
    "nickname",
    "user_id",
    "username",
];

/// Whether a document (a user in its Management API form, or anything showing the same values)
/// matches.
pub(crate) fn matches<D: Document + ?Sized>(query: &Query, doc: &D) -> bool {
    match query {
        Query::And(a, b) => matches(a, doc) && matches(b, doc),
        Query::Or(a, b) => matches(a, doc) || matches(b, doc),
        Query::Not(q) => !matches(q, doc),
        Query::Exists(field) => doc.any_value(field, &mut |v| !v.is_null()),
        Query::Term {
            field: Some(field),
            value,
            quoted,
        } => {
            let fold = NORMALIZED.contains(&field.as_str());
            doc.any_value(field, &mut |v| {
                v.text()
                    .is_some_and(|actual| term_matches(&actual, value, *quoted, fold))
            })
        }
        Query::Term {
            field: None,
            value,
            quoted,
        } => BARE_TERM_FIELDS.iter().any(|f| {
            doc.any_value(f, &mut |v| {
                v.text()
                    .is_some_and(|actual| term_matches(&actual, value, *quoted, true))
            })
        }),
        Query::Range {
            field,
            low,
            high,
            inclusive,
        } => doc.any_value(field, &mut |v| {
            let Some(actual) = v.text() else { return false };
            let above = low.as_deref().is_none_or(|l| {
                let o = compare(&actual, l);
                o.is_gt() || (*inclusive && o.is_eq())
            });
            let below = high.as_deref().is_none_or(|h| {
                let o = compare(&actual, h);
                o.is_lt() || (*inclusive && o.is_eq())
            });
            above && below
        }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn user() -> Value {
        json!({
            "user_id": "auth0|00u1",
            "email": "dade.murphy@example.com",
            "name": "Dade Murphy",
            "logins_count": 3,
            "identities": [{ "connection": "okta-users", "user_id": "00u1" }],
            "app_metadata": { "plan": "gold" },
        })
    }

    fn q(text: &str) -> bool {
        matches(&parse(text).expect(text), &user())
    }

    #[test]
    fn field_terms_quotes_and_wildcards() {
        assert!(q("email:\"dade.murphy@example.com\""));
        assert!(q("email:DADE*"));
        assert!(q("name:\"dade murphy\""));
        assert!(!q("user_id:\"AUTH0|00u1\""), "user_id is not normalized");
        assert!(q("identities.connection:\"okta-users\""));
        assert!(q("app_metadata.plan:gold"));
    }

    #[test]
    fn boolean_operators_exists_and_ranges() {
        assert!(q("email:nobody* OR name:dade*"));
        assert!(!q("email:nobody* AND name:dade*"));
        assert!(q("NOT email:nobody*"));
        assert!(q("_exists_:app_metadata.plan AND NOT _exists_:blocked"));
        assert!(q("logins_count:[2 TO *]"));
        assert!(!q("logins_count:{3 TO 10]"));
        assert!(q("(email:x* OR email:d*) AND logins_count:3"));
    }

    #[test]
    fn range_bounds_may_hold_times() {
        let dated = json!({ "created_at": "2024-03-01T10:00:05.000Z" });
        let hit = |text: &str| matches(&parse(text).expect(text), &dated);
        assert!(hit("created_at:[2024-03-01T10:00:05.000Z TO *]"));
        assert!(!hit("created_at:{2024-03-01T10:00:05.000Z TO *]"));
        assert!(hit(
            "created_at:[2024-03-01 TO 2024-03-02] AND NOT created_at:[* TO 2024-03-01T10:00:00Z}"
        ));
        assert!(parse("created_at:[2024-03-01T10:00 TO").is_err());
    }

    #[test]
    fn malformed_queries_are_errors() {
        assert!(parse("email:\"open").is_err());
        assert!(parse("(email:a").is_err());
        assert!(parse("logins_count:[1 5]").is_err());
        assert!(parse("").is_err());
        assert!(parse("AND").is_err());
        assert!(parse("email:a OR").is_err());
        assert!(parse("email:a AND OR name:b").is_err());
    }
}
