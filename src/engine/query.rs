//! The Gigya export query, parsed once for both export routes (gigya.md §3.3 and §8.2).
//!
//! `ferry migrate gigya --query` takes either a whole `accounts.search` query or a bare
//! condition, as the IdentitySync account reader's `where` parameter is written:
//!
//! ```text
//! SELECT * | field, ...  FROM accounts  [WHERE <condition>]  [ORDER BY field [ASC|DESC], ...]  [LIMIT n]
//! [WHERE] <condition>  [ORDER BY ...]  [LIMIT n]
//! ```
//!
//! Keywords ignore case (`where`, `WHERE`, `Where`); a keyword inside a quoted string is text
//! (`profile.city = 'Somewhere'`). The condition is checked against the query language's grammar
//! (comparisons `= == != <> > >= < <=`, `[not] contains`, `[not] in (...)`, `is [not] null`,
//! `= regex('...')`, `and`, `or`, `not`, parentheses; strings in single or double quotes with
//! backslash escapes, numbers, `true`, `false`, `null`) and kept as the user wrote it, so Gigya
//! evaluates exactly that text. Whatever cannot be read is an error naming the character where
//! reading stopped: a query is never shortened to "every account".
//!
//! `LIMIT` is the page size, not a cap on the export: `accounts.search` walks every page with a
//! cursor (gigya.md §3.1: with `openCursor`, LIMIT is the batch size) and the IdentitySync
//! reader takes it as its `batchSize`. `START` cannot be combined with a cursor and is refused;
//! so are `FILTER` and `GROUP BY`, aggregates and aliases (the transform reads Gigya's own field
//! names). The IdentitySync reader has no `ORDER BY`; a query with one is refused for that
//! route ([`ExportQuery::reader_params`]).

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value, json};

/// The page size of `accounts.search` when the query gives no `LIMIT`.
pub const DEFAULT_PAGE: u32 = 1000;
/// The largest `LIMIT` Gigya accepts (gigya.md §3.3).
pub const MAX_LIMIT: u32 = 10_000;

/// A parsed export query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportQuery {
    /// The selected fields; every field (`*`) when absent.
    fields: Option<Vec<String>>,
    /// The `WHERE` condition, as written.
    condition: Option<String>,
    /// The `ORDER BY` keys, as written.
    order_by: Option<String>,
    limit: Option<u32>,
}

/// Why a query cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the query {query:?} cannot be used: {reason}")]
pub struct QueryError {
    pub query: String,
    pub reason: String,
}

impl ExportQuery {
    /// Every account, every field.
    pub fn all() -> Self {
        Self {
            fields: None,
            condition: None,
            order_by: None,
            limit: None,
        }
    }

    /// Parses a whole query or a bare condition (see the module docs).
    pub fn parse(text: &str) -> Result<Self, QueryError> {
        parse(text).map_err(|reason| QueryError {
            query: text.to_owned(),
            reason,
        })
    }

    /// The `WHERE` condition, as written; `None` exports every account.
    pub fn condition(&self) -> Option<&str> {
        self.condition.as_deref()
    }

    /// The `SELECT` list: `*` or the field names joined with commas.
    pub fn select(&self) -> String {
        self.fields.as_ref().map_or_else(|| "*".to_owned(), |f| f.join(","))
    }

    /// The query for `accounts.search` with a cursor: the page size is the `LIMIT` (by default
    /// [`DEFAULT_PAGE`]).
    pub fn search_query(&self) -> String {
        let fields = self.fields.as_ref().map_or_else(|| "*".to_owned(), |f| f.join(", "));
        let mut out = format!("SELECT {fields} FROM accounts");
        if let Some(condition) = &self.condition {
            out.push_str(" WHERE ");
            out.push_str(condition);
        }
        if let Some(order) = &self.order_by {
            out.push_str(" ORDER BY ");
            out.push_str(order);
        }
        out.push_str(&format!(" LIMIT {}", self.limit.unwrap_or(DEFAULT_PAGE)));
        out
    }

    /// The parameters of IdentitySync's `datasource.read.gigya.account` step: `select`,
    /// `where` when there is a condition, `batchSize` when there is a `LIMIT`. A query with
    /// `ORDER BY` is refused: the reader cannot order.
    pub fn reader_params(&self) -> Result<Map<String, Value>, QueryError> {
        if let Some(order) = &self.order_by {
            return Err(QueryError {
                query: self.search_query(),
                reason: format!(
                    "the IdentitySync account reader has no ORDER BY (here: {order}); leave it out or export with --via search"
                ),
            });
        }
        let mut params = Map::new();
        params.insert("select".into(), json!(self.select()));
        if let Some(condition) = &self.condition {
            params.insert("where".into(), json!(condition));
        }
        if let Some(limit) = self.limit {
            params.insert("batchSize".into(), json!(limit));
        }
        Ok(params)
    }
}

impl Default for ExportQuery {
    fn default() -> Self {
        Self::all()
    }
}

impl FromStr for ExportQuery {
    type Err = QueryError;

    fn from_str(text: &str) -> Result<Self, QueryError> {
        Self::parse(text)
    }
}

/// The query as `accounts.search` receives it.
impl fmt::Display for ExportQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.search_query())
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Str,
    Num(f64),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
    Star,
    End,
}

/// A token and the byte range of its text.
#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

/// Words that are keywords, never field names.
const RESERVED: &[&str] = &[
    "select", "from", "where", "filter", "group", "order", "by", "start", "limit", "and", "or", "not", "contains",
    "in", "is", "null", "as", "asc", "desc",
];

/// Deepest nesting of parentheses and `not`.
const MAX_DEPTH: usize = 64;

impl Tok {
    fn is_kw(&self, kw: &str) -> bool {
        matches!(self, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        let next = chars.peek().map(|(_, c)| *c);
        let tok = match c {
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            ',' => Tok::Comma,
            '*' => Tok::Star,
            '=' if next == Some('=') => {
                chars.next();
                Tok::Op("==")
            }
            '=' => Tok::Op("="),
            '!' if next == Some('=') => {
                chars.next();
                Tok::Op("!=")
            }
            '<' | '>' => match (c, next) {
                ('<', Some('=')) => {
                    chars.next();
                    Tok::Op("<=")
                }
                ('<', Some('>')) => {
                    chars.next();
                    Tok::Op("<>")
                }
                ('>', Some('=')) => {
                    chars.next();
                    Tok::Op(">=")
                }
                ('<', _) => Tok::Op("<"),
                _ => Tok::Op(">"),
            },
            '\'' | '"' => {
                loop {
                    match chars.next() {
                        None => return Err(format!("the string opened at {} is never closed", place(text, start))),
                        Some((_, '\\')) => {
                            if chars.next().is_none() {
                                return Err(format!("the string opened at {} is never closed", place(text, start)));
                            }
                        }
                        Some((_, q)) if q == c => break,
                        Some(_) => {}
                    }
                }
                Tok::Str
            }
            c if c.is_ascii_digit() || (c == '-' && next.is_some_and(|d| d.is_ascii_digit())) => {
                let mut end = start + c.len_utf8();
                while let Some((i, d)) = chars.peek().copied() {
                    if !(d.is_ascii_digit() || d == '.') {
                        break;
                    }
                    chars.next();
                    end = i + d.len_utf8();
                }
                let number = &text[start..end];
                Tok::Num(
                    number
                        .parse()
                        .map_err(|_| format!("{number:?} at {} is not a number", place(text, start)))?,
                )
            }
            c if c.is_alphabetic() || matches!(c, '_' | '$' | '@') => {
                let mut end = start + c.len_utf8();
                while let Some((i, d)) = chars.peek().copied() {
                    if !(d.is_alphanumeric() || matches!(d, '_' | '.' | '$' | '@' | '-')) {
                        break;
                    }
                    chars.next();
                    end = i + d.len_utf8();
                }
                Tok::Word(text[start..end].to_owned())
            }
            other => return Err(format!("unexpected character {other:?} at {}", place(text, start))),
        };
        let end = chars.peek().map_or(text.len(), |(i, _)| *i);
        out.push(Token { tok, start, end });
    }
    out.push(Token {
        tok: Tok::End,
        start: text.len(),
        end: text.len(),
    });
    Ok(out)
}

/// "character N" (from 1) of a byte offset, for messages.
fn place(text: &str, byte: usize) -> String {
    if byte >= text.len() {
        return "the end of the query".into();
    }
    format!("character {}", text[..byte].chars().count() + 1)
}

struct Parser<'t> {
    text: &'t str,
    toks: Vec<Token>,
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.toks[self.i].tok
    }

    fn next(&mut self) -> Tok {
        let tok = self.toks[self.i].tok.clone();
        if self.i + 1 < self.toks.len() {
            self.i += 1;
        }
        tok
    }

    /// What the current token is, for messages: its text and where it is.
    fn found(&self) -> String {
        let token = &self.toks[self.i];
        if token.tok == Tok::End {
            return "the end of the query".into();
        }
        format!(
            "{:?} at {}",
            &self.text[token.start..token.end],
            place(self.text, token.start)
        )
    }

    fn unexpected<T>(&self, wanted: &str) -> Result<T, String> {
        Err(format!("expected {wanted} but found {}", self.found()))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.peek().is_kw(kw) {
            self.next();
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

    /// The source text from token `first` to the last token read.
    fn text_since(&self, first: usize) -> String {
        let start = self.toks[first].start;
        let end = self.toks[self.i.saturating_sub(1).max(first)].end;
        self.text[start..end].trim().to_owned()
    }

    fn field(&mut self) -> Result<String, String> {
        match self.peek().clone() {
            Tok::Word(w) if !RESERVED.iter().any(|r| w.eq_ignore_ascii_case(r)) => {
                self.next();
                Ok(w)
            }
            _ => self.unexpected("a field name"),
        }
    }

    fn select_list(&mut self) -> Result<Option<Vec<String>>, String> {
        if *self.peek() == Tok::Star {
            self.next();
            return Ok(None);
        }
        let mut fields = vec![];
        loop {
            let field = self.field()?;
            if *self.peek() == Tok::LParen {
                return Err(format!(
                    "the export reads accounts, not {field}(...): select * or field names"
                ));
            }
            if self.peek().is_kw("as") {
                return Err(format!(
                    "aliases are refused ({} after {field}): the transform reads Gigya's own field names",
                    self.found()
                ));
            }
            fields.push(field);
            if *self.peek() != Tok::Comma {
                return Ok(Some(fields));
            }
            self.next();
        }
    }

    fn or(&mut self) -> Result<(), String> {
        self.and()?;
        while self.eat_kw("or") {
            self.and()?;
        }
        Ok(())
    }

    fn and(&mut self) -> Result<(), String> {
        self.unary()?;
        while self.eat_kw("and") {
            self.unary()?;
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<(), String> {
        let nested = self.peek().is_kw("not") || *self.peek() == Tok::LParen;
        if !nested {
            return self.predicate();
        }
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("the condition nests deeper than {MAX_DEPTH} levels"));
        }
        let result = if self.eat_kw("not") {
            self.unary()
        } else {
            self.next();
            self.or().and_then(|()| {
                if *self.peek() == Tok::RParen {
                    self.next();
                    Ok(())
                } else {
                    self.unexpected("')'")
                }
            })
        };
        self.depth -= 1;
        result
    }

    /// A value: a string, a number, `true`, `false`; `null` only where `allow_null`.
    fn value(&mut self, allow_null: bool) -> Result<(), String> {
        match self.peek() {
            Tok::Str | Tok::Num(_) => {}
            Tok::Word(w) if w.eq_ignore_ascii_case("true") || w.eq_ignore_ascii_case("false") => {}
            Tok::Word(w) if allow_null && w.eq_ignore_ascii_case("null") => {}
            _ => return self.unexpected("a value (a quoted string, a number, true or false)"),
        }
        self.next();
        Ok(())
    }

    fn predicate(&mut self) -> Result<(), String> {
        let field = self.field()?;
        if self.eat_kw("is") {
            self.eat_kw("not");
            return self.expect_kw("null");
        }
        let negated = self.eat_kw("not");
        if self.eat_kw("contains") {
            return self.value(false);
        }
        if self.eat_kw("in") {
            if *self.peek() != Tok::LParen {
                return self.unexpected("'(' after IN");
            }
            self.next();
            loop {
                self.value(false)?;
                match self.peek() {
                    Tok::Comma => {
                        self.next();
                    }
                    Tok::RParen => {
                        self.next();
                        return Ok(());
                    }
                    _ => return self.unexpected("',' or ')' in IN (...)"),
                }
            }
        }
        if negated {
            return self.unexpected("CONTAINS or IN after NOT");
        }
        let Tok::Op(op) = self.peek().clone() else {
            return self.unexpected(&format!("an operator (= != > >= < <= contains in is) after {field}"));
        };
        self.next();
        if self.peek().is_kw("regex") {
            self.next();
            if !matches!(op, "=" | "==" | "!=" | "<>") {
                return Err(format!("regex() can only follow = or !=, not {op}"));
            }
            if !(self.next() == Tok::LParen && self.next() == Tok::Str && self.next() == Tok::RParen) {
                return Err("regex takes one quoted pattern: regex('...')".into());
            }
            return Ok(());
        }
        self.value(matches!(op, "=" | "==" | "!=" | "<>"))
    }

    /// A whole query or a bare condition.
    fn query(&mut self) -> Result<ExportQuery, String> {
        let mut query = ExportQuery::all();
        let full = self.eat_kw("select");
        if full {
            query.fields = self.select_list()?;
            self.expect_kw("from")?;
            match self.peek().clone() {
                Tok::Word(table) if table.eq_ignore_ascii_case("accounts") => {
                    self.next();
                }
                Tok::Word(table) => {
                    return Err(format!(
                        "the export reads FROM accounts, not FROM {table} (emailAccounts are lite accounts without passwords)"
                    ));
                }
                _ => return self.unexpected("accounts after FROM"),
            }
        }
        let clause = |tok: &Tok| {
            ["order", "limit", "start", "filter", "group"]
                .iter()
                .any(|k| tok.is_kw(k))
        };
        let said_where = self.eat_kw("where");
        if said_where || !(full || clause(self.peek()) || *self.peek() == Tok::End) {
            let first = self.i;
            self.or()?;
            query.condition = Some(self.text_since(first));
        }
        if self.peek().is_kw("filter") || self.peek().is_kw("group") {
            return Err(format!("{} is not supported by the export", self.found()));
        }
        if self.eat_kw("order") {
            self.expect_kw("by")?;
            let first = self.i;
            loop {
                self.field()?;
                if !self.eat_kw("asc") {
                    self.eat_kw("desc");
                }
                if *self.peek() != Tok::Comma {
                    break;
                }
                self.next();
            }
            query.order_by = Some(self.text_since(first));
        }
        if self.peek().is_kw("start") {
            return Err(format!(
                "START ({}) cannot be used: the export reads every page with a cursor",
                self.found()
            ));
        }
        if self.eat_kw("limit") {
            let Tok::Num(n) = *self.peek() else {
                return self.unexpected("a number after LIMIT");
            };
            if n.fract() != 0.0 || n < 1.0 || n > f64::from(MAX_LIMIT) {
                return Err(format!(
                    "LIMIT (the page size) must be a whole number from 1 to {MAX_LIMIT}, not {}",
                    self.found()
                ));
            }
            self.next();
            query.limit = Some(n as u32);
        }
        match self.peek() {
            Tok::End => Ok(query),
            tok if ["select", "from", "where", "order", "limit", "start"]
                .iter()
                .any(|k| tok.is_kw(k)) =>
            {
                Err(format!(
                    "{} is out of order (clauses go SELECT, FROM, WHERE, ORDER BY, LIMIT)",
                    self.found()
                ))
            }
            _ if !full && query.condition.is_none() => self.unexpected("a condition"),
            _ => self.unexpected(if query.condition.is_some() {
                "AND, OR, ORDER BY, LIMIT or the end of the query"
            } else {
                "WHERE, ORDER BY, LIMIT or the end of the query"
            }),
        }
    }
}

fn parse(text: &str) -> Result<ExportQuery, String> {
    if text.trim().is_empty() {
        return Err("it is empty (give a condition such as isRegistered = true, or a whole SELECT)".into());
    }
    let toks = tokenize(text)?;
    Parser {
        text,
        toks,
        i: 0,
        depth: 0,
    }
    .query()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> ExportQuery {
        ExportQuery::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn refused(text: &str) -> String {
        match ExportQuery::parse(text) {
            Ok(query) => panic!("{text:?} was accepted as {query:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_bare_condition_is_the_where_clause() {
        let query = parsed("isRegistered = true");
        assert_eq!(query.condition(), Some("isRegistered = true"));
        assert_eq!(
            query.search_query(),
            "SELECT * FROM accounts WHERE isRegistered = true LIMIT 1000"
        );
        let params = query.reader_params().expect("no ORDER BY");
        assert_eq!(
            Value::Object(params),
            json!({"select": "*", "where": "isRegistered = true"})
        );
        let complex = parsed(
            "(profile.email contains \"@example.com\" or data.tier in ('gold', \"silver\")) and not isActive = false and lastLogin is not null",
        );
        assert_eq!(
            complex.condition(),
            Some(
                "(profile.email contains \"@example.com\" or data.tier in ('gold', \"silver\")) and not isActive = false and lastLogin is not null"
            )
        );
    }

    #[test]
    fn where_is_a_keyword_in_any_case() {
        for text in [
            "where isRegistered = true",
            "WHERE isRegistered = true",
            "Where isRegistered = true",
            "select * from accounts where isRegistered = true",
            "SELECT * FROM accounts WHERE isRegistered = true",
            "SeLeCt *\n  FROM accounts\twHeRe isRegistered = true",
        ] {
            assert_eq!(parsed(text).condition(), Some("isRegistered = true"), "{text:?}");
        }
        // Lower-case clauses after the condition are clauses too.
        let query = parsed("select * from accounts where isRegistered = true order by created desc limit 500");
        assert_eq!(query.condition(), Some("isRegistered = true"));
        assert_eq!(
            query.search_query(),
            "SELECT * FROM accounts WHERE isRegistered = true ORDER BY created desc LIMIT 500"
        );
    }

    #[test]
    fn a_full_select_keeps_its_fields_order_and_page_size() {
        let query = parsed("SELECT UID, profile, password FROM accounts WHERE isRegistered = true LIMIT 300");
        assert_eq!(query.select(), "UID,profile,password");
        assert_eq!(
            query.search_query(),
            "SELECT UID, profile, password FROM accounts WHERE isRegistered = true LIMIT 300"
        );
        assert_eq!(
            Value::Object(query.reader_params().expect("reader")),
            json!({"select": "UID,profile,password", "where": "isRegistered = true", "batchSize": 300})
        );
        // No WHERE: every account, explicitly.
        let all = parsed("SELECT * FROM accounts LIMIT 100");
        assert_eq!(all.condition(), None);
        assert_eq!(all.search_query(), "SELECT * FROM accounts LIMIT 100");
        assert_eq!(
            parsed("select * from Accounts").search_query(),
            "SELECT * FROM accounts LIMIT 1000"
        );
        // ORDER BY goes to accounts.search; the IdentitySync reader cannot order.
        let ordered = parsed("SELECT * FROM accounts ORDER BY created DESC");
        assert!(
            ordered
                .reader_params()
                .expect_err("no ORDER BY in the reader")
                .to_string()
                .contains("ORDER BY")
        );
    }

    #[test]
    fn the_word_where_inside_a_string_is_text() {
        let query = parsed("SELECT * FROM accounts WHERE profile.city = 'Where Else' AND data.note = \"x WHERE y\"");
        assert_eq!(
            query.condition(),
            Some("profile.city = 'Where Else' AND data.note = \"x WHERE y\"")
        );
        let bare = parsed("data.answer = 'it is \\'where\\' it was' LIMIT 10");
        assert_eq!(bare.condition(), Some("data.answer = 'it is \\'where\\' it was'"));
        assert_eq!(
            bare.search_query(),
            "SELECT * FROM accounts WHERE data.answer = 'it is \\'where\\' it was' LIMIT 10"
        );
        // Field names that contain the keyword are fields.
        assert_eq!(parsed("data.where = 1").condition(), Some("data.where = 1"));
    }

    #[test]
    fn garbage_is_refused_with_the_place_it_stops() {
        for (text, says) in [
            ("", "empty"),
            ("   ", "empty"),
            ("garbage", "expected an operator"),
            ("DROP TABLE accounts", "expected an operator"),
            ("isRegistered =", "expected a value"),
            (
                "isRegistered = true and",
                "expected a field name but found the end of the query",
            ),
            ("isRegistered = true garbage", "expected AND, OR, ORDER BY, LIMIT"),
            ("(isRegistered = true", "expected ')'"),
            ("profile.city = 'never closed", "never closed"),
            ("isRegistered = = true", "expected a value"),
            ("isRegistered = true;", "unexpected character ';'"),
            ("SELECT * FROM accounts WHERE", "expected a field name"),
            ("SELECT * FROM accounts WHERE LIMIT 10", "expected a field name"),
            (
                "SELECT * FROM accounts isRegistered = true",
                "expected WHERE, ORDER BY, LIMIT",
            ),
            ("SELECT * FROM emailAccounts", "FROM accounts"),
            ("SELECT count(*) FROM accounts", "select * or field names"),
            ("SELECT UID AS id FROM accounts", "aliases"),
            ("SELECT * WHERE isRegistered = true", "expected FROM"),
            ("SELECT * FROM accounts START 10", "START"),
            ("SELECT * FROM accounts LIMIT 0", "LIMIT"),
            ("SELECT * FROM accounts LIMIT 20000", "LIMIT"),
            ("SELECT * FROM accounts LIMIT many", "a number after LIMIT"),
            (
                "SELECT * FROM accounts LIMIT 10 WHERE isRegistered = true",
                "out of order",
            ),
            ("isActive = true FILTER x", "not supported"),
            ("x = regex(1)", "regex takes one quoted pattern"),
            ("age > null", "expected a value"),
            ("isActive not = true", "CONTAINS or IN after NOT"),
        ] {
            let error = refused(text);
            assert!(error.contains(says), "{text:?}: {error}");
        }
        let located = refused("isRegistered = true garbage");
        assert!(located.contains("\"garbage\" at character 21"), "{located}");
        assert!(refused(&"(".repeat(100)).contains("deeper"));
    }

    #[test]
    fn every_accepted_query_says_the_same_thing_twice() {
        // The text sent to Gigya parses back to the same query.
        for text in [
            "isRegistered = true",
            "SELECT UID,profile FROM accounts WHERE a.b != 'x' OR c <= -2.5 ORDER BY created LIMIT 7",
            "where email = regex('.*@example\\.com') and x is null",
            "LIMIT 5",
        ] {
            let sent = parsed(text).search_query();
            assert_eq!(parsed(&sent).search_query(), sent, "{text:?}");
        }
    }
}
