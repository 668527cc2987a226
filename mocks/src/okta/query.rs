//! The two expression languages of `GET /api/v1/users` (okta.md §5): `filter` and `search`.
//!
//! Both are `attribute op "value"` comparisons joined by `and` / `or` with parentheses (no `not`).
//! They differ in what they allow and how they compare:
//!
//! | | `filter` | `search` |
//! |---|---|---|
//! | attributes | `status`, `lastUpdated`, `id`, `profile.login`, `profile.email`, `profile.firstName`, `profile.lastName` | `id`, `status`, `created`, `activated`, `statusChanged`, `lastUpdated`, `lastLogin`, `passwordChanged`, `type.id`, any `profile.*` |
//! | operators | `eq`; `gt` `ge` `lt` `le` on `lastUpdated` | `eq` `sw` `gt` `ge` `lt` `le` `pr` |
//! | values | quoted strings, compared case-sensitively | quoted strings (case-insensitive), numbers, `true`/`false` |
//!
//! Attribute names are case-sensitive in both; operators and `and`/`or` are accepted in any case.
//! Anything else is `400 E0000031 Invalid search criteria.` — never a 500.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::error::OktaError;
use super::model::StoredUser;

/// Which language an expression is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Filter,
    Search,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Sw,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
    Date(DateTime<Utc>),
}

/// A parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Compare { attr: String, op: Op, value: Literal },
    Present(String),
}

const DATE_ATTRS: &[&str] = &[
    "created",
    "activated",
    "statusChanged",
    "lastUpdated",
    "lastLogin",
    "passwordChanged",
];
const FILTER_ATTRS: &[&str] = &[
    "status",
    "lastUpdated",
    "id",
    "profile.login",
    "profile.email",
    "profile.firstName",
    "profile.lastName",
];
const SEARCH_TOP_ATTRS: &[&str] = &[
    "id",
    "status",
    "created",
    "activated",
    "statusChanged",
    "lastUpdated",
    "lastLogin",
    "passwordChanged",
    "type.id",
];
/// Parentheses deeper than this are refused rather than risking the stack.
const MAX_DEPTH: usize = 64;
/// Comparisons in one expression; more are refused (evaluation recurses once per term).
const MAX_TERMS: usize = 256;

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Open,
    Close,
    Str(String),
    Word(String),
}

fn tokenize(text: &str) -> Result<Vec<Token>, OktaError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                tokens.push(Token::Open);
            }
            ')' => {
                chars.next();
                tokens.push(Token::Close);
            }
            '"' => {
                chars.next();
                let mut value = String::new();
                loop {
                    match chars.next() {
                        None => return Err(OktaError::InvalidSearch),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(escaped) => value.push(escaped),
                            None => return Err(OktaError::InvalidSearch),
                        },
                        Some(other) => value.push(other),
                    }
                }
                tokens.push(Token::Str(value));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || c == '(' || c == ')' || c == '"' {
                        break;
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
    dialect: Dialect,
    terms: usize,
}

impl Parser {
    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword))
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn or(&mut self, depth: usize) -> Result<Expr, OktaError> {
        let mut left = self.and(depth)?;
        while self.peek_keyword("or") {
            self.pos += 1;
            let right = self.and(depth)?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Expr, OktaError> {
        let mut left = self.unary(depth)?;
        while self.peek_keyword("and") {
            self.pos += 1;
            let right = self.unary(depth)?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, OktaError> {
        if depth > MAX_DEPTH {
            return Err(OktaError::InvalidSearch);
        }
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or(depth + 1)?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    _ => Err(OktaError::InvalidSearch),
                }
            }
            Some(Token::Word(attr)) => self.comparison(attr),
            _ => Err(OktaError::InvalidSearch),
        }
    }

    fn comparison(&mut self, attr: String) -> Result<Expr, OktaError> {
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(OktaError::InvalidSearch);
        }
        check_attribute(&attr, self.dialect)?;
        let Some(Token::Word(op)) = self.next() else {
            return Err(OktaError::InvalidSearch);
        };
        let op = match op.to_ascii_lowercase().as_str() {
            "pr" if self.dialect == Dialect::Search => return Ok(Expr::Present(attr)),
            "eq" => Op::Eq,
            "sw" if self.dialect == Dialect::Search => Op::Sw,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            _ => return Err(OktaError::InvalidSearch),
        };
        let is_date = DATE_ATTRS.contains(&attr.as_str());
        if self.dialect == Dialect::Filter && op != Op::Eq && attr != "lastUpdated" {
            return Err(OktaError::InvalidSearch);
        }
        let value = match self.next() {
            Some(Token::Str(s)) if is_date => {
                if op == Op::Sw {
                    return Err(OktaError::InvalidSearch);
                }
                let date = DateTime::parse_from_rfc3339(&s).map_err(|_| OktaError::InvalidSearch)?;
                Literal::Date(date.with_timezone(&Utc))
            }
            Some(Token::Str(s)) => Literal::Str(s),
            Some(Token::Word(w)) if self.dialect == Dialect::Search && !is_date => {
                if w.eq_ignore_ascii_case("true") {
                    Literal::Bool(true)
                } else if w.eq_ignore_ascii_case("false") {
                    Literal::Bool(false)
                } else {
                    Literal::Num(
                        w.parse::<f64>()
                            .ok()
                            .filter(|n| n.is_finite())
                            .ok_or(OktaError::InvalidSearch)?,
                    )
                }
            }
            _ => return Err(OktaError::InvalidSearch),
        };
        Ok(Expr::Compare { attr, op, value })
    }
}

fn check_attribute(attr: &str, dialect: Dialect) -> Result<(), OktaError> {
    let ok = match dialect {
        Dialect::Filter => FILTER_ATTRS.contains(&attr),
        Dialect::Search => {
            SEARCH_TOP_ATTRS.contains(&attr)
                || attr
                    .strip_prefix("profile.")
                    .is_some_and(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        }
    };
    if ok { Ok(()) } else { Err(OktaError::InvalidSearch) }
}

/// Parses a `filter` or `search` expression.
pub(crate) fn parse(text: &str, dialect: Dialect) -> Result<Expr, OktaError> {
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Err(OktaError::InvalidSearch);
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        dialect,
        terms: 0,
    };
    let expr = parser.or(0)?;
    if parser.pos != parser.tokens.len() {
        return Err(OktaError::InvalidSearch);
    }
    Ok(expr)
}

/// Checks that `attr` may be a `sortBy` (the search attributes).
pub(crate) fn check_sort_attribute(attr: &str) -> Result<(), OktaError> {
    check_attribute(attr, Dialect::Search)
}

fn user_date(user: &StoredUser, attr: &str) -> Option<DateTime<Utc>> {
    match attr {
        "created" => Some(user.created),
        "activated" => user.activated,
        "statusChanged" => user.status_changed,
        "lastUpdated" => Some(user.last_updated),
        "lastLogin" => user.last_login,
        "passwordChanged" => user.password_changed,
        _ => None,
    }
}

fn user_value(user: &StoredUser, attr: &str, type_id: &str) -> Option<Value> {
    match attr {
        "id" => Some(Value::String(user.id.clone())),
        "status" => Some(Value::String(user.status.as_str().into())),
        "type.id" => Some(Value::String(type_id.into())),
        _ => attr
            .strip_prefix("profile.")
            .and_then(|name| user.profile.get(name).cloned()),
    }
}

fn compare_scalar(actual: &Value, op: Op, literal: &Literal, dialect: Dialect) -> bool {
    let ordering_ok = |ord: Ordering| match op {
        Op::Eq => ord == Ordering::Equal,
        Op::Gt => ord == Ordering::Greater,
        Op::Ge => ord != Ordering::Less,
        Op::Lt => ord == Ordering::Less,
        Op::Le => ord != Ordering::Greater,
        Op::Sw => false,
    };
    match (actual, literal) {
        (Value::String(a), Literal::Str(b)) if dialect == Dialect::Filter => op == Op::Eq && a == b,
        (Value::String(a), Literal::Str(b)) => {
            let (a, b) = (a.to_lowercase(), b.to_lowercase());
            if op == Op::Sw {
                a.starts_with(&b)
            } else {
                ordering_ok(a.cmp(&b))
            }
        }
        (Value::Number(a), Literal::Num(b)) => a.as_f64().and_then(|a| a.partial_cmp(b)).is_some_and(ordering_ok),
        (Value::Number(a), Literal::Str(b)) if dialect == Dialect::Search => {
            let a = a.to_string();
            if op == Op::Sw {
                a.starts_with(b.as_str())
            } else {
                op == Op::Eq && &a == b
            }
        }
        (Value::Bool(a), Literal::Bool(b)) => op == Op::Eq && a == b,
        (Value::Bool(a), Literal::Str(b)) if dialect == Dialect::Search => {
            op == Op::Eq && b.eq_ignore_ascii_case(&a.to_string())
        }
        _ => false,
    }
}

/// Whether `user` satisfies `expr`.
pub(crate) fn matches(expr: &Expr, user: &StoredUser, dialect: Dialect, type_id: &str) -> bool {
    match expr {
        Expr::And(a, b) => matches(a, user, dialect, type_id) && matches(b, user, dialect, type_id),
        Expr::Or(a, b) => matches(a, user, dialect, type_id) || matches(b, user, dialect, type_id),
        Expr::Present(attr) => {
            if DATE_ATTRS.contains(&attr.as_str()) {
                return user_date(user, attr).is_some();
            }
            match user_value(user, attr, type_id) {
                None | Some(Value::Null) => false,
                Some(Value::Array(items)) => !items.is_empty(),
                Some(Value::String(s)) => !s.is_empty(),
                Some(_) => true,
            }
        }
        Expr::Compare {
            attr,
            op,
            value: Literal::Date(want),
        } => user_date(user, attr).is_some_and(|got| {
            let ord = got.cmp(want);
            match op {
                Op::Eq => ord == Ordering::Equal,
                Op::Gt => ord == Ordering::Greater,
                Op::Ge => ord != Ordering::Less,
                Op::Lt => ord == Ordering::Less,
                Op::Le => ord != Ordering::Greater,
                Op::Sw => false,
            }
        }),
        Expr::Compare { attr, op, value } => match user_value(user, attr, type_id) {
            Some(Value::Array(items)) => items.iter().any(|item| compare_scalar(item, *op, value, dialect)),
            Some(actual) => compare_scalar(&actual, *op, value, dialect),
            None => false,
        },
    }
}

/// A sortable key of one attribute; missing values sort after present ones.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum SortKey {
    Date(DateTime<Utc>),
    Num(f64),
    Text(String),
    Missing,
}

impl SortKey {
    fn rank(&self) -> u8 {
        match self {
            SortKey::Date(_) => 0,
            SortKey::Num(_) => 1,
            SortKey::Text(_) => 2,
            SortKey::Missing => 3,
        }
    }

    /// Total order: by kind, then by value.
    pub(crate) fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (SortKey::Date(a), SortKey::Date(b)) => a.cmp(b),
            (SortKey::Num(a), SortKey::Num(b)) => a.total_cmp(b),
            (SortKey::Text(a), SortKey::Text(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

/// The key `user` sorts by for `sortBy=attr`.
pub(crate) fn sort_key(user: &StoredUser, attr: &str, type_id: &str) -> SortKey {
    if DATE_ATTRS.contains(&attr) {
        return user_date(user, attr).map_or(SortKey::Missing, SortKey::Date);
    }
    match user_value(user, attr, type_id) {
        Some(Value::String(s)) => SortKey::Text(s.to_lowercase()),
        Some(Value::Number(n)) => n.as_f64().map_or(SortKey::Missing, SortKey::Num),
        Some(Value::Bool(b)) => SortKey::Text(b.to_string()),
        _ => SortKey::Missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_boolean_expressions() {
        let expr = parse(
            r#"(status eq "ACTIVE" or status eq "LOCKED_OUT") and profile.lastName eq "Murphy""#,
            Dialect::Filter,
        )
        .expect("valid filter");
        assert!(matches!(expr, Expr::And(_, _)));
        assert!(parse(r#"profile.department sw "Eng" AND profile.age gt 30"#, Dialect::Search).is_ok());
        assert!(parse(r#"lastUpdated gt "2024-01-01T00:00:00.000Z""#, Dialect::Filter).is_ok());
        assert!(parse(r#"profile.nickName pr"#, Dialect::Search).is_ok());
    }

    #[test]
    fn refuses_what_okta_refuses() {
        for (text, dialect) in [
            (r#"status ne "ACTIVE""#, Dialect::Search),
            (r#"not status eq "ACTIVE""#, Dialect::Search),
            (r#"profile.nickName eq "x""#, Dialect::Filter),
            (r#"profile.login sw "a""#, Dialect::Filter),
            (r#"id gt "00u""#, Dialect::Filter),
            (r#"status eq ACTIVE"#, Dialect::Filter),
            (r#"lastUpdated gt "yesterday""#, Dialect::Filter),
            (r#"created sw "2024""#, Dialect::Search),
            (r#"status eq "ACTIVE" and"#, Dialect::Search),
            (r#"(status eq "ACTIVE""#, Dialect::Search),
            (r#"status eq "ACTIVE")"#, Dialect::Search),
            (r#"status eq "unterminated"#, Dialect::Search),
            (r#"favouriteColour eq "blue""#, Dialect::Search),
            ("", Dialect::Search),
            ("   ", Dialect::Filter),
        ] {
            assert_eq!(parse(text, dialect), Err(OktaError::InvalidSearch), "{text}");
        }
        let deep = format!("{}status eq \"ACTIVE\"{}", "(".repeat(500), ")".repeat(500));
        assert_eq!(parse(&deep, Dialect::Search), Err(OktaError::InvalidSearch));
        let long = vec![r#"status eq "ACTIVE""#; 10_000].join(" or ");
        assert_eq!(parse(&long, Dialect::Search), Err(OktaError::InvalidSearch));
    }
}
