//! Gigya's SQL-like query language (gigya.md §3.3), as `accounts.search`, `idx.search` and the
//! IdentitySync account reader's `where` use it: parsing, evaluation against JSON documents,
//! ordering, and the `SELECT` projection.
//!
//! ```text
//! SELECT * | count(*) | field [AS alias], ...
//! FROM <table>
//! [WHERE <condition>]
//! [ORDER BY field [ASC|DESC], ...]
//! [START n] [LIMIT n]          (either order)
//! ```
//!
//! Conditions: `= != <> > >= < <=`, `[not] contains`, `[not] in (...)`, `is [not] null`,
//! `= regex('…')` (whole-value match), `and` (binds tighter) / `or` / `not`, parentheses. Strings
//! in single or double quotes with backslash escapes; numbers; `true` / `false`. Keywords ignore
//! case; field names do not.
//!
//! Semantics chosen where Gigya's documentation is silent: a path through an array reaches every
//! element (`profile.phones.number = '555'` matches any phone); `=` is case-sensitive and
//! `contains` is a case-insensitive substring test; `!=`, `not contains` and `not in` are the
//! negations of their positive forms, so they match documents without the field; ordering and
//! `>`/`<` compare numbers as numbers, dates (ISO 8601, `yyyy-MM-dd`, `yyyy-MM-dd HH:mm:ss`) as
//! instants and other strings by code point; documents without the sort field come last.
//! Aggregates other than `count(*)`, `GROUP BY` and `FILTER` are refused with a clear message.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::{Map, Value};

use super::regex::Regex;

/// Default `LIMIT` (gigya.md §3.3).
pub(crate) const DEFAULT_LIMIT: usize = 300;
/// Largest `LIMIT`.
pub(crate) const MAX_LIMIT: usize = 10_000;
/// Largest `START`.
pub(crate) const MAX_START: usize = 5_000;

/// A parsed query.
#[derive(Clone, Debug)]
pub(crate) struct Query {
    pub(crate) select: Select,
    /// The table, lower-cased.
    pub(crate) from: String,
    pub(crate) filter: Option<Expr>,
    pub(crate) order: Vec<OrderKey>,
    pub(crate) start: Option<usize>,
    pub(crate) limit: Option<usize>,
}

/// What `SELECT` asks for.
#[derive(Clone, Debug)]
pub(crate) enum Select {
    All,
    Count,
    Fields(Vec<SelectField>),
}

/// One selected field: a dotted path and an optional alias for its last segment.
#[derive(Clone, Debug)]
pub(crate) struct SelectField {
    pub(crate) path: Vec<String>,
    pub(crate) alias: Option<String>,
}

/// One `ORDER BY` key.
#[derive(Clone, Debug)]
pub(crate) struct OrderKey {
    pub(crate) path: Vec<String>,
    pub(crate) descending: bool,
}

/// A literal in a condition.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A `WHERE` condition.
#[derive(Clone, Debug)]
pub(crate) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare(Vec<String>, Op, Literal),
    Contains(Vec<String>, Literal),
    In(Vec<String>, Vec<Literal>),
    IsNull(Vec<String>),
    Regex(Vec<String>, Box<Regex>),
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Num(f64),
    Op(Op),
    LParen,
    RParen,
    Comma,
    Star,
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Word(w) => format!("'{w}'"),
            Tok::Str(s) => format!("string '{s}'"),
            Tok::Num(n) => format!("number {n}"),
            Tok::Op(op) => format!("'{}'", op_text(*op)),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::Comma => "','".into(),
            Tok::Star => "'*'".into(),
            Tok::End => "the end of the query".into(),
        }
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }
}

fn op_text(op: Op) -> &'static str {
    match op {
        Op::Eq => "=",
        Op::Ne => "!=",
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Lt => "<",
        Op::Le => "<=",
    }
}

const RESERVED: &[&str] = &[
    "select", "from", "where", "filter", "group", "order", "by", "start", "limit", "and", "or", "not", "contains",
    "in", "is", "null", "as", "asc", "desc",
];

fn tokenize(text: &str) -> Result<Vec<(Tok, usize)>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let tok = match c {
            '(' => {
                i += 1;
                Tok::LParen
            }
            ')' => {
                i += 1;
                Tok::RParen
            }
            ',' => {
                i += 1;
                Tok::Comma
            }
            '*' => {
                i += 1;
                Tok::Star
            }
            '=' => {
                i += if chars.get(i + 1) == Some(&'=') { 2 } else { 1 };
                Tok::Op(Op::Eq)
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                i += 2;
                Tok::Op(Op::Ne)
            }
            '<' | '>' => {
                let next = chars.get(i + 1).copied();
                let (op, len) = match (c, next) {
                    ('<', Some('=')) => (Op::Le, 2),
                    ('<', Some('>')) => (Op::Ne, 2),
                    ('<', _) => (Op::Lt, 1),
                    ('>', Some('=')) => (Op::Ge, 2),
                    _ => (Op::Gt, 1),
                };
                i += len;
                Tok::Op(op)
            }
            '\'' | '"' => {
                let quote = c;
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(format!("unterminated string starting at position {at}")),
                        Some('\\') => {
                            match chars.get(i + 1) {
                                Some(e) => s.push(*e),
                                None => return Err(format!("unterminated string starting at position {at}")),
                            }
                            i += 2;
                        }
                        Some(q) if *q == quote => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            s.push(*ch);
                            i += 1;
                        }
                    }
                }
                Tok::Str(s)
            }
            c if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) => {
                let start = i;
                i += 1;
                while chars.get(i).is_some_and(|d| d.is_ascii_digit() || *d == '.') {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                let n = text
                    .parse::<f64>()
                    .map_err(|_| format!("'{text}' at position {start} is not a number"))?;
                Tok::Num(n)
            }
            c if c.is_alphabetic() || c == '_' || c == '$' || c == '@' => {
                let start = i;
                while chars
                    .get(i)
                    .is_some_and(|d| d.is_alphanumeric() || matches!(d, '_' | '.' | '$' | '@' | '-'))
                {
                    i += 1;
                }
                Tok::Word(chars[start..i].iter().collect())
            }
            other => return Err(format!("unexpected character '{other}' at position {at}")),
        };
        out.push((tok, at));
    }
    out.push((Tok::End, chars.len()));
    Ok(out)
}

/// Deepest nesting of parentheses and `not` a condition may have.
const MAX_DEPTH: usize = 64;

struct Parser {
    toks: Vec<(Tok, usize)>,
    i: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.i.min(self.toks.len() - 1)].0
    }

    fn at(&self) -> usize {
        self.toks[self.i.min(self.toks.len() - 1)].1
    }

    fn next(&mut self) -> Tok {
        let tok = self.peek().clone();
        if self.i < self.toks.len() {
            self.i += 1;
        }
        tok
    }

    fn unexpected<T>(&self, wanted: &str) -> Result<T, String> {
        Err(format!(
            "expected {wanted} but found {} at position {}",
            self.peek().describe(),
            self.at()
        ))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.peek().is_kw(kw) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), String> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            self.unexpected(&kw.to_ascii_uppercase())
        }
    }

    fn field(&mut self) -> Result<Vec<String>, String> {
        match self.peek().clone() {
            Tok::Word(w) if !RESERVED.iter().any(|r| w.eq_ignore_ascii_case(r)) => {
                self.i += 1;
                let path: Vec<String> = w.split('.').map(str::to_owned).collect();
                if path.iter().any(String::is_empty) {
                    return Err(format!("'{w}' is not a valid field name"));
                }
                Ok(path)
            }
            _ => self.unexpected("a field name"),
        }
    }

    fn count(&mut self) -> Result<usize, String> {
        match self.next() {
            Tok::Num(n) if n >= 0.0 && n.fract() == 0.0 && n <= 1e9 => Ok(n as usize),
            other => Err(format!(
                "expected a whole number but found {} at position {}",
                other.describe(),
                self.toks[self.i.saturating_sub(1)].1
            )),
        }
    }

    fn query(&mut self) -> Result<Query, String> {
        self.expect_kw("select")?;
        let select = self.select()?;
        self.expect_kw("from")?;
        let from = match self.next() {
            Tok::Word(w) => w.to_ascii_lowercase(),
            other => {
                return Err(format!(
                    "expected a table name after FROM but found {}",
                    other.describe()
                ));
            }
        };
        let filter = if self.eat_kw("where") { Some(self.or()?) } else { None };
        if self.peek().is_kw("filter") || self.peek().is_kw("group") {
            return Err(format!(
                "{} is not supported by the mock (position {})",
                self.peek().describe(),
                self.at()
            ));
        }
        let mut order = Vec::new();
        if self.eat_kw("order") {
            self.expect_kw("by")?;
            loop {
                let path = self.field()?;
                let descending = if self.eat_kw("desc") {
                    true
                } else {
                    self.eat_kw("asc");
                    false
                };
                order.push(OrderKey { path, descending });
                if !matches!(self.peek(), Tok::Comma) {
                    break;
                }
                self.i += 1;
            }
        }
        let (mut start, mut limit) = (None, None);
        for _ in 0..2 {
            if start.is_none() && self.eat_kw("start") {
                start = Some(self.count()?);
            } else if limit.is_none() && self.eat_kw("limit") {
                limit = Some(self.count()?);
            }
        }
        match self.peek() {
            Tok::End => {}
            tok if ["where", "order", "from", "select"].iter().any(|k| tok.is_kw(k)) => {
                return Err(format!(
                    "{} at position {} is out of order (clauses go SELECT, FROM, WHERE, ORDER BY, START, LIMIT)",
                    tok.describe(),
                    self.at()
                ));
            }
            _ => return self.unexpected("the end of the query"),
        }
        if let Some(limit) = limit
            && limit > MAX_LIMIT
        {
            return Err(format!("LIMIT {limit} is over the maximum of {MAX_LIMIT}"));
        }
        if let Some(start) = start
            && start > MAX_START
        {
            return Err(format!(
                "START {start} is over the maximum of {MAX_START} (use a cursor)"
            ));
        }
        Ok(Query {
            select,
            from,
            filter,
            order,
            start,
            limit,
        })
    }

    fn select(&mut self) -> Result<Select, String> {
        if matches!(self.peek(), Tok::Star) {
            self.i += 1;
            return Ok(Select::All);
        }
        let mut fields = Vec::new();
        loop {
            if let Tok::Word(w) = self.peek().clone()
                && matches!(self.toks.get(self.i + 1).map(|t| &t.0), Some(Tok::LParen))
            {
                if w.eq_ignore_ascii_case("count") && fields.is_empty() {
                    self.i += 2;
                    if !matches!(self.next(), Tok::Star) || !matches!(self.next(), Tok::RParen) {
                        return Err("count takes only * (count(*))".into());
                    }
                    return Ok(Select::Count);
                }
                return Err(format!(
                    "the aggregate {w}() is not supported by the mock (only count(*) is)"
                ));
            }
            let path = self.field()?;
            let alias = if self.eat_kw("as") {
                match self.next() {
                    Tok::Word(a) if !a.contains('.') => Some(a),
                    other => return Err(format!("expected an alias after AS but found {}", other.describe())),
                }
            } else {
                None
            };
            fields.push(SelectField { path, alias });
            if !matches!(self.peek(), Tok::Comma) {
                break;
            }
            self.i += 1;
        }
        Ok(Select::Fields(fields))
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.eat_kw("or") {
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        while self.eat_kw("and") {
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        let nested = self.peek().is_kw("not") || matches!(self.peek(), Tok::LParen);
        if !nested {
            return self.predicate();
        }
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("the condition nests deeper than {MAX_DEPTH} levels"));
        }
        let result = if self.eat_kw("not") {
            self.unary().map(|e| Expr::Not(Box::new(e)))
        } else {
            self.i += 1;
            self.or().and_then(|inner| {
                if matches!(self.next(), Tok::RParen) {
                    Ok(inner)
                } else {
                    Err(format!("missing ')' before position {}", self.at()))
                }
            })
        };
        self.depth -= 1;
        result
    }

    fn literal(&mut self) -> Result<Option<Literal>, String> {
        Ok(match self.next() {
            Tok::Str(s) => Some(Literal::Str(s)),
            Tok::Num(n) => Some(Literal::Num(n)),
            Tok::Word(w) if w.eq_ignore_ascii_case("true") => Some(Literal::Bool(true)),
            Tok::Word(w) if w.eq_ignore_ascii_case("false") => Some(Literal::Bool(false)),
            Tok::Word(w) if w.eq_ignore_ascii_case("null") => None,
            other => {
                self.i -= 1;
                return Err(format!(
                    "expected a value but found {} at position {}",
                    other.describe(),
                    self.at()
                ));
            }
        })
    }

    fn predicate(&mut self) -> Result<Expr, String> {
        let path = self.field()?;
        if self.eat_kw("is") {
            let negated = self.eat_kw("not");
            self.expect_kw("null")?;
            let e = Expr::IsNull(path);
            return Ok(if negated { Expr::Not(Box::new(e)) } else { e });
        }
        let negated = self.eat_kw("not");
        if self.eat_kw("contains") {
            let Some(lit) = self.literal()? else {
                return Err("contains needs a value, not null".into());
            };
            let e = Expr::Contains(path, lit);
            return Ok(if negated { Expr::Not(Box::new(e)) } else { e });
        }
        if self.eat_kw("in") {
            if !matches!(self.next(), Tok::LParen) {
                return Err(format!("expected '(' after IN at position {}", self.at()));
            }
            let mut values = Vec::new();
            loop {
                match self.literal()? {
                    Some(v) => values.push(v),
                    None => return Err("null cannot be listed in IN (use IS NULL)".into()),
                }
                match self.next() {
                    Tok::Comma => {}
                    Tok::RParen => break,
                    other => {
                        return Err(format!(
                            "expected ',' or ')' in IN (...) but found {}",
                            other.describe()
                        ));
                    }
                }
            }
            let e = Expr::In(path, values);
            return Ok(if negated { Expr::Not(Box::new(e)) } else { e });
        }
        if negated {
            return self.unexpected("CONTAINS or IN after NOT");
        }
        let op = match self.next() {
            Tok::Op(op) => op,
            other => {
                self.i -= 1;
                return Err(format!(
                    "expected an operator after {} but found {} at position {}",
                    path.join("."),
                    other.describe(),
                    self.at()
                ));
            }
        };
        if self.peek().is_kw("regex") {
            self.i += 1;
            if !matches!(op, Op::Eq | Op::Ne) {
                return Err("regex() can only be used with = or !=".into());
            }
            let (Tok::LParen, Tok::Str(pattern), Tok::RParen) = (self.next(), self.next(), self.next()) else {
                return Err("regex takes one quoted pattern: regex('...')".into());
            };
            let regex = Regex::new(&pattern)?;
            let e = Expr::Regex(path, Box::new(regex));
            return Ok(if op == Op::Ne { Expr::Not(Box::new(e)) } else { e });
        }
        match self.literal()? {
            Some(lit) => Ok(Expr::Compare(path, op, lit)),
            None => match op {
                Op::Eq => Ok(Expr::IsNull(path)),
                Op::Ne => Ok(Expr::Not(Box::new(Expr::IsNull(path)))),
                _ => Err("null can only be compared with = or !=".into()),
            },
        }
    }
}

/// Parses a whole query.
pub(crate) fn parse(text: &str) -> Result<Query, String> {
    if text.trim().is_empty() {
        return Err("the query is empty".into());
    }
    let toks = tokenize(text)?;
    Parser { toks, i: 0, depth: 0 }.query()
}

/// Parses a condition alone (the IdentitySync reader's `where`).
pub(crate) fn parse_condition(text: &str) -> Result<Expr, String> {
    let toks = tokenize(text)?;
    let mut parser = Parser { toks, i: 0, depth: 0 };
    let expr = parser.or()?;
    if *parser.peek() != Tok::End {
        return parser.unexpected("the end of the condition");
    }
    Ok(expr)
}

/// Parses a comma-separated field list (the IdentitySync reader's `select`): `*` or paths.
pub(crate) fn parse_select(text: &str) -> Result<Select, String> {
    let text = text.trim();
    if text.is_empty() || text == "*" {
        return Ok(Select::All);
    }
    let toks = tokenize(text)?;
    let mut parser = Parser { toks, i: 0, depth: 0 };
    let select = parser.select()?;
    if *parser.peek() != Tok::End {
        return parser.unexpected("',' or the end of the field list");
    }
    Ok(select)
}

/// Every value a path reaches: arrays on the way (and at the end) are entered element by
/// element; `null` counts as absent.
pub(crate) fn resolve<'a>(doc: &'a Map<String, Value>, path: &[String]) -> Vec<&'a Value> {
    fn walk<'a>(value: &'a Value, path: &[String], out: &mut Vec<&'a Value>) {
        match value {
            Value::Array(items) => {
                for item in items {
                    walk(item, path, out);
                }
            }
            Value::Null => {}
            Value::Object(map) if !path.is_empty() => {
                if let Some(child) = map.get(&path[0]) {
                    walk(child, &path[1..], out);
                }
            }
            _ if path.is_empty() => out.push(value),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Some((first, rest)) = path.split_first()
        && let Some(value) = doc.get(first)
    {
        walk(value, rest, &mut out);
    }
    out
}

/// A date in any of the formats Gigya documents, as milliseconds.
pub(crate) fn parse_date_millis(text: &str) -> Option<i64> {
    if text.len() < 10 || !text.as_bytes()[0].is_ascii_digit() || text.as_bytes().get(4) != Some(&b'-') {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
}

fn number_of(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn literal_equals(value: &Value, lit: &Literal) -> bool {
    match (lit, value) {
        (Literal::Str(s), Value::String(v)) => s == v,
        (Literal::Str(s), Value::Number(_)) => s.trim().parse::<f64>().ok() == number_of(value),
        (Literal::Str(s), Value::Bool(b)) => s.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
        (Literal::Num(n), v) => number_of(v) == Some(*n),
        (Literal::Bool(b), Value::Bool(v)) => b == v,
        (Literal::Bool(b), Value::String(v)) => v.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
        _ => false,
    }
}

fn literal_order(value: &Value, lit: &Literal) -> Option<Ordering> {
    match (lit, value) {
        (Literal::Num(n), Value::String(s)) => match s.trim().parse::<f64>() {
            Ok(v) => v.partial_cmp(n),
            Err(_) => parse_date_millis(s).and_then(|ms| (ms as f64).partial_cmp(n)),
        },
        (Literal::Num(n), v) => number_of(v).and_then(|v| v.partial_cmp(n)),
        (Literal::Str(s), Value::Number(_)) => {
            let lit = s
                .trim()
                .parse::<f64>()
                .ok()
                .or_else(|| parse_date_millis(s).map(|ms| ms as f64))?;
            number_of(value).and_then(|v| v.partial_cmp(&lit))
        }
        (Literal::Str(s), Value::String(v)) => Some(match (parse_date_millis(v), parse_date_millis(s)) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => v.as_str().cmp(s.as_str()),
        }),
        (Literal::Bool(b), Value::Bool(v)) => Some(v.cmp(b)),
        _ => None,
    }
}

impl Expr {
    /// Whether `doc` satisfies the condition.
    pub(crate) fn matches(&self, doc: &Map<String, Value>) -> bool {
        match self {
            Expr::And(a, b) => a.matches(doc) && b.matches(doc),
            Expr::Or(a, b) => a.matches(doc) || b.matches(doc),
            Expr::Not(e) => !e.matches(doc),
            Expr::IsNull(path) => resolve(doc, path).is_empty(),
            Expr::Compare(path, op, lit) => {
                let values = resolve(doc, path);
                match op {
                    Op::Eq => values.iter().any(|v| literal_equals(v, lit)),
                    Op::Ne => !values.iter().any(|v| literal_equals(v, lit)),
                    Op::Gt => values.iter().any(|v| literal_order(v, lit) == Some(Ordering::Greater)),
                    Op::Ge => values
                        .iter()
                        .any(|v| matches!(literal_order(v, lit), Some(Ordering::Greater | Ordering::Equal))),
                    Op::Lt => values.iter().any(|v| literal_order(v, lit) == Some(Ordering::Less)),
                    Op::Le => values
                        .iter()
                        .any(|v| matches!(literal_order(v, lit), Some(Ordering::Less | Ordering::Equal))),
                }
            }
            Expr::Contains(path, lit) => {
                let needle = match lit {
                    Literal::Str(s) => s.to_lowercase(),
                    Literal::Num(n) => n.to_string(),
                    Literal::Bool(b) => b.to_string(),
                };
                resolve(doc, path)
                    .iter()
                    .filter_map(|v| text_of(v))
                    .any(|t| t.to_lowercase().contains(&needle))
            }
            Expr::In(path, lits) => resolve(doc, path)
                .iter()
                .any(|v| lits.iter().any(|lit| literal_equals(v, lit))),
            Expr::Regex(path, regex) => resolve(doc, path)
                .iter()
                .filter_map(|v| text_of(v))
                .any(|t| regex.is_full_match(&t)),
        }
    }
}

fn value_rank(value: &Value) -> u8 {
    match value {
        Value::Bool(_) => 0,
        Value::Number(_) => 1,
        Value::String(_) => 2,
        _ => 3,
    }
}

fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .unwrap_or_default()
            .partial_cmp(&y.as_f64().unwrap_or_default())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => match (parse_date_millis(x), parse_date_millis(y)) {
            (Some(p), Some(q)) => p.cmp(&q),
            _ => x.cmp(y),
        },
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => value_rank(a).cmp(&value_rank(b)),
    }
}

/// The values a document sorts by (the first value each key's path reaches).
pub(crate) fn sort_key(doc: &Map<String, Value>, keys: &[OrderKey]) -> Vec<Option<Value>> {
    keys.iter()
        .map(|key| resolve(doc, &key.path).first().map(|v| (*v).clone()))
        .collect()
}

/// Orders two sort keys (from [`sort_key`]); missing values come last in either direction.
pub(crate) fn compare_keys(a: &[Option<Value>], b: &[Option<Value>], keys: &[OrderKey]) -> Ordering {
    for ((x, y), key) in a.iter().zip(b).zip(keys) {
        let ord = match (x, y) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => return Ordering::Greater,
            (Some(_), None) => return Ordering::Less,
            (Some(x), Some(y)) => compare_values(x, y),
        };
        let ord = if key.descending { ord.reverse() } else { ord };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// Orders two documents by the keys; equal keys keep their existing order (a stable sort).
pub(crate) fn compare_docs(a: &Map<String, Value>, b: &Map<String, Value>, keys: &[OrderKey]) -> Ordering {
    compare_keys(&sort_key(a, keys), &sort_key(b, keys), keys)
}

/// The part of `doc` a `SELECT` asks for. `skip` names top-level fields never shown (password
/// when the site does not return it).
pub(crate) fn project(doc: &Map<String, Value>, select: &Select, skip: &[&str]) -> Map<String, Value> {
    match select {
        Select::All | Select::Count => doc
            .iter()
            .filter(|(k, _)| !skip.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        Select::Fields(fields) => {
            let mut out = Map::new();
            for field in fields {
                if skip.contains(&field.path[0].as_str()) {
                    continue;
                }
                copy_path(doc, &field.path, field.alias.as_deref(), &mut out);
            }
            out
        }
    }
}

/// [`project`] for a document the caller no longer needs: `*` moves it instead of copying.
pub(crate) fn project_owned(mut doc: Map<String, Value>, select: &Select, skip: &[&str]) -> Map<String, Value> {
    match select {
        Select::All | Select::Count => {
            for key in skip {
                doc.remove(*key);
            }
            doc
        }
        Select::Fields(_) => project(&doc, select, skip),
    }
}

/// Copies the value at `path` in `src` to the same place in `dst` (its last segment renamed to
/// `alias`), going through arrays element by element.
fn copy_path(src: &Map<String, Value>, path: &[String], alias: Option<&str>, dst: &mut Map<String, Value>) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let Some(value) = src.get(first) else { return };
    if rest.is_empty() {
        if !value.is_null() {
            dst.insert(alias.unwrap_or(first).to_owned(), value.clone());
        }
        return;
    }
    match value {
        Value::Object(child) => {
            let mut inner = match dst.remove(first) {
                Some(Value::Object(m)) => m,
                _ => Map::new(),
            };
            copy_path(child, rest, alias, &mut inner);
            if !inner.is_empty() {
                dst.insert(first.clone(), Value::Object(inner));
            }
        }
        Value::Array(items) => {
            let mut existing = match dst.remove(first) {
                Some(Value::Array(a)) if a.len() == items.len() => a,
                _ => vec![Value::Object(Map::new()); items.len()],
            };
            for (item, slot) in items.iter().zip(existing.iter_mut()) {
                if let (Value::Object(item), Value::Object(slot)) = (item, slot) {
                    copy_path(item, rest, alias, slot);
                }
            }
            if existing.iter().any(|v| v.as_object().is_some_and(|m| !m.is_empty())) {
                dst.insert(first.clone(), Value::Array(existing));
            }
        }
        _ => {}
    }
}

/// `now` as Gigya's timestamps: ISO 8601 with milliseconds.
pub(crate) fn iso(t: DateTime<Utc>) -> String {
    crate::kit::clock::iso_millis(t)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn doc() -> Map<String, Value> {
        json!({
            "UID": "u1",
            "isActive": true,
            "createdTimestamp": 1_704_067_200_000_i64,
            "created": "2024-01-01T00:00:00.000Z",
            "profile": {"email": "Dade@Example.com", "firstName": "Dade", "age": 17,
                        "phones": [{"type": "home", "number": "555-0100"}, {"type": "work", "number": "555-0199"}]},
            "loginIDs": {"emails": ["dade@example.com", "zero.cool@example.com"]},
            "data": {"tier": "gold"}
        })
        .as_object()
        .cloned()
        .unwrap_or_default()
    }

    fn check(condition: &str) -> bool {
        parse_condition(condition).expect("condition parses").matches(&doc())
    }

    #[test]
    fn conditions_match_like_gigya() {
        assert!(check("isActive = true"));
        assert!(check("profile.firstName = 'Dade' and profile.age >= 17"));
        assert!(!check("profile.firstName = 'dade'"), "= is case-sensitive");
        assert!(check("profile.email contains 'example.COM'"));
        assert!(check("loginIDs.emails = \"zero.cool@example.com\""));
        assert!(check("profile.phones.number in ('555-0199', '1')"));
        assert!(check("data.missing is null and data.tier is not null"));
        assert!(check("not (isActive = false) or UID = 'x'"));
        assert!(check("profile.email = regex('.*@Example\\\\.com')"));
        assert!(check("createdTimestamp > 1700000000000 and created >= '2024-01-01'"));
        assert!(check("created < \"2024-01-02 00:00:00\""));
        assert!(check("data.tier != 'silver' and data.missing != 'x'"));
        assert!(check("UID not in ('u2') and profile.email not contains 'gibson'"));
        assert!(
            check("isActive = true or profile.age > 99 and UID = 'nobody'"),
            "and binds tighter"
        );
    }

    #[test]
    fn queries_parse_into_clauses() {
        let q = parse("select UID, profile.firstName as name from Accounts where isActive = true order by profile.age desc, UID start 5 limit 10")
            .expect("parses");
        assert_eq!(q.from, "accounts");
        assert_eq!((q.start, q.limit), (Some(5), Some(10)));
        assert_eq!(q.order.len(), 2);
        assert!(q.order[0].descending && !q.order[1].descending);
        assert!(matches!(q.select, Select::Fields(ref f) if f.len() == 2 && f[1].alias.as_deref() == Some("name")));
        assert!(matches!(
            parse("SELECT count(*) FROM accounts").expect("count").select,
            Select::Count
        ));
        assert!(parse("SELECT * FROM accounts LIMIT 2 START 1").is_ok());
    }

    #[test]
    fn errors_name_the_problem() {
        let err = |q: &str| parse(q).expect_err(q);
        assert!(err("SELECT * FROM accounts LIMIT 5 WHERE UID = 'x'").contains("out of order"));
        assert!(err("SELECT * FROM accounts WHERE").contains("expected a field name"));
        assert!(err("SELECT * FROM accounts WHERE UID = ").contains("expected a value"));
        assert!(err("SELECT * FROM accounts LIMIT 10001").contains("maximum of 10000"));
        assert!(err("SELECT * FROM accounts WHERE UID = 'x").contains("unterminated string"));
        assert!(err("SELECT sum(data.x) FROM accounts").contains("not supported"));
        assert!(err("").contains("empty"));
        assert!(err("SELECT * FROM accounts WHERE UID # 3").contains("unexpected character"));
        assert!(err("SELECT * FROM accounts WHERE (UID = 'x'").contains("missing ')'"));
        let deep = format!("SELECT * FROM accounts WHERE {}UID = 'x'", "(".repeat(10_000));
        assert!(err(&deep).contains("deeper than"));
    }

    #[test]
    fn projection_keeps_paths_aliases_and_arrays() {
        let q =
            parse("SELECT UID, profile.firstName AS name, profile.phones.number, data FROM accounts").expect("parses");
        let out = project(&doc(), &q.select, &[]);
        assert_eq!(
            Value::Object(out),
            json!({"UID": "u1", "profile": {"name": "Dade", "phones": [{"number": "555-0100"}, {"number": "555-0199"}]},
                   "data": {"tier": "gold"}})
        );
        let all = project(&doc(), &Select::All, &["profile"]);
        assert!(!all.contains_key("profile") && all.contains_key("data"));
    }

    #[test]
    fn random_queries_never_panic() {
        use rand::{RngExt, SeedableRng};
        let pieces = [
            "SELECT",
            "*",
            "FROM",
            "accounts",
            "WHERE",
            "UID",
            "profile.age",
            "=",
            "!=",
            ">",
            "<=",
            "(",
            ")",
            "'x'",
            "\"y",
            "3",
            "-2.5",
            "and",
            "or",
            "not",
            "contains",
            "in",
            "is",
            "null",
            "regex",
            "('a*(b|c)+')",
            ",",
            "ORDER",
            "BY",
            "DESC",
            "START",
            "LIMIT",
            "count(*)",
            "AS",
            "\\",
            "'",
            "é",
            "profile.phones.number",
        ];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let d = doc();
        for _ in 0..3000 {
            let len = rng.random_range(0..14);
            let text: Vec<&str> = (0..len).map(|_| pieces[rng.random_range(0..pieces.len())]).collect();
            let text = text.join(" ");
            if let Ok(q) = parse(&text) {
                let _ = q.filter.as_ref().map(|f| f.matches(&d));
                let _ = project(&d, &q.select, &[]);
            }
            if let Ok(e) = parse_condition(&text) {
                let _ = e.matches(&d);
            }
            let _ = parse_select(&text);
        }
    }

    #[test]
    fn ordering_puts_missing_last() {
        let a = json!({"n": 2}).as_object().cloned().unwrap_or_default();
        let b = json!({"n": 10}).as_object().cloned().unwrap_or_default();
        let c = json!({}).as_object().cloned().unwrap_or_default();
        let asc = [OrderKey {
            path: vec!["n".into()],
            descending: false,
        }];
        assert_eq!(compare_docs(&a, &b, &asc), Ordering::Less);
        assert_eq!(compare_docs(&c, &a, &asc), Ordering::Greater);
        let desc = [OrderKey {
            path: vec!["n".into()],
            descending: true,
        }];
        assert_eq!(compare_docs(&a, &b, &desc), Ordering::Greater);
        assert_eq!(compare_docs(&c, &a, &desc), Ordering::Greater);
    }
}
