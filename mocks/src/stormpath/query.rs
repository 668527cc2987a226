//! Query parameters of collection reads and link expansion (stormpath.md §2.2, §7; reference.rst
//! "Pagination", "Sorting", "Search", "Links"):
//!
//! - `offset` (default 0) and `limit` (default 25, 1 to 100; outside that range 400 / 2103, as
//!   stormpath.md recommends);
//! - `q`: filter search — case-insensitive "equals or contains" on any searchable attribute
//!   (`givenName`, `middleName`, `surname`, `username`, `email`, `status`, `createdAt`,
//!   `modifiedAt`, `passwordModifiedAt`), OR-ed: SQL `lower(attr) like '%text%'`;
//! - attribute search `email=`, `username=`, `givenName=`, `middleName=`, `surname=`: exact,
//!   case-insensitive, with `*` at the start (ends with), end (starts with) or both (contains);
//!   `status=` an exact status (any case); `createdAt=` / `modifiedAt=` / `passwordModifiedAt=` a
//!   datetime range `[a, b]` / `(a, b)` (open ends allowed) or shorthand (`2015-01`: that
//!   month); several parameters are AND-ed;
//! - `customData.{key}=` (directory and tenant account collections only, as documented):
//!   the same exact / wildcard matching on the value's text;
//! - `orderBy=attr [asc|desc],…` (2104 malformed, 2106 not sortable); without it, creation
//!   order;
//! - `expand=a,b(offset:0,limit:10)` (2107 not expandable).
//!
//! A parameter given twice is 2102, one without a value 2101, one the collection does not know
//! 2105 (errors.rst 21xx).

use std::cmp::Ordering;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use serde_json::Value;

use super::error::StormpathError;
use super::model::{AccountStatus, StoredAccount};

/// Default page size.
pub(crate) const DEFAULT_LIMIT: usize = 25;
/// Largest page size.
pub(crate) const MAX_LIMIT: usize = 100;

/// Attributes `q` searches.
const Q_ATTRIBUTES: &[&str] = &[
    "givenName",
    "middleName",
    "surname",
    "username",
    "email",
    "status",
    "createdAt",
    "modifiedAt",
    "passwordModifiedAt",
];

const TEXT_ATTRIBUTES: &[&str] = &["email", "username", "givenName", "middleName", "surname"];
const DATE_ATTRIBUTES: &[&str] = &["createdAt", "modifiedAt", "passwordModifiedAt"];
const SORTABLE: &[&str] = &[
    "username",
    "email",
    "givenName",
    "middleName",
    "surname",
    "fullName",
    "status",
    "createdAt",
    "modifiedAt",
    "passwordModifiedAt",
];

/// One `expand` item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Expansion {
    pub(crate) name: String,
    pub(crate) offset: usize,
    pub(crate) limit: usize,
}

/// Parses `expand`, allowing only `allowed` names.
pub(crate) fn parse_expand(text: &str, allowed: &[&str]) -> Result<Vec<Expansion>, StormpathError> {
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                items.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&text[start..]);
    let mut out = Vec::new();
    for item in items.into_iter().map(str::trim).filter(|i| !i.is_empty()) {
        let (name, options) = match item.split_once('(') {
            Some((name, rest)) => {
                let Some(options) = rest.strip_suffix(')') else {
                    return Err(StormpathError::invalid(
                        2100,
                        format!("The expand value '{item}' is malformed."),
                    ));
                };
                (name.trim(), Some(options))
            }
            None => (item, None),
        };
        if !allowed.contains(&name) {
            return Err(StormpathError::invalid(
                2107,
                format!("Unsupported Expand Property: '{name}' cannot be expanded on this resource."),
            ));
        }
        let mut expansion = Expansion {
            name: name.to_owned(),
            offset: 0,
            limit: DEFAULT_LIMIT,
        };
        for option in options.into_iter().flat_map(|o| o.split(',')).map(str::trim) {
            if option.is_empty() {
                continue;
            }
            let malformed = || {
                StormpathError::invalid(
                    2103,
                    format!("The expand option '{option}' of '{name}' is invalid; use offset:N or limit:N."),
                )
            };
            let (key, value) = option.split_once(':').ok_or_else(malformed)?;
            let value: usize = value.trim().parse().map_err(|_| malformed())?;
            match key.trim() {
                "offset" => expansion.offset = value,
                "limit" if (1..=MAX_LIMIT).contains(&value) => expansion.limit = value,
                _ => return Err(malformed()),
            }
        }
        if out.iter().any(|e: &Expansion| e.name == expansion.name) {
            return Err(StormpathError::invalid(
                2102,
                format!("The '{name}' property may be expanded only once."),
            ));
        }
        out.push(expansion);
    }
    Ok(out)
}

/// How a text value is compared.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Pattern {
    Equals(String),
    StartsWith(String),
    EndsWith(String),
    Contains(String),
}

impl Pattern {
    fn parse(value: &str) -> Self {
        let lower = value.to_lowercase();
        match (lower.strip_prefix('*'), lower.strip_suffix('*')) {
            (Some(rest), Some(_)) if lower.len() >= 2 => Pattern::Contains(rest[..rest.len() - 1].to_owned()),
            (Some(rest), _) => Pattern::EndsWith(rest.to_owned()),
            (None, Some(rest)) => Pattern::StartsWith(rest.to_owned()),
            (None, None) => Pattern::Equals(lower),
        }
    }

    fn matches(&self, value: &str) -> bool {
        let value = value.to_lowercase();
        match self {
            Pattern::Equals(v) => value == *v,
            Pattern::StartsWith(v) => value.starts_with(v.as_str()),
            Pattern::EndsWith(v) => value.ends_with(v.as_str()),
            Pattern::Contains(v) => value.contains(v.as_str()),
        }
    }
}

/// A time interval `[start, end)`; `None` is unbounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Interval {
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
}

impl Interval {
    fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start.is_none_or(|s| t >= s) && self.end.is_none_or(|e| t < e)
    }
}

/// The period an ISO-8601 prefix names: `2015` is the year, `2015-01-12T12` the hour, and so on.
fn period(text: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let text = text.trim();
    let text = text.strip_suffix('Z').unwrap_or(text);
    let utc = |naive: NaiveDateTime| Utc.from_utc_datetime(&naive);
    let (date_part, time_part) = match text.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let mut date_fields = date_part.split('-');
    let year: i32 = date_fields.next()?.parse().ok()?;
    let month: Option<u32> = date_fields.next().map(str::parse).transpose().ok()?;
    let day: Option<u32> = date_fields.next().map(str::parse).transpose().ok()?;
    if date_fields.next().is_some() || date_part.len() < 4 {
        return None;
    }
    let midnight = NaiveTime::MIN;
    let Some(month) = month else {
        let start = NaiveDate::from_ymd_opt(year, 1, 1)?;
        let end = NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 1)?;
        return Some((utc(start.and_time(midnight)), utc(end.and_time(midnight))));
    };
    let Some(day) = day else {
        let start = NaiveDate::from_ymd_opt(year, month, 1)?;
        let (next_year, next_month) = if month == 12 {
            (year.checked_add(1)?, 1)
        } else {
            (year, month + 1)
        };
        let end = NaiveDate::from_ymd_opt(next_year, next_month, 1)?;
        return Some((utc(start.and_time(midnight)), utc(end.and_time(midnight))));
    };
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let Some(time) = time_part else {
        let start = utc(date.and_time(midnight));
        return Some((start, start.checked_add_signed(Duration::days(1))?));
    };
    let (clock, millis) = match time.split_once('.') {
        Some((c, m)) => (c, Some(m)),
        None => (time, None),
    };
    let mut clock_fields = clock.split(':');
    let hour: u32 = clock_fields.next()?.parse().ok()?;
    let minute: Option<u32> = clock_fields.next().map(str::parse).transpose().ok()?;
    let second: Option<u32> = clock_fields.next().map(str::parse).transpose().ok()?;
    if clock_fields.next().is_some() {
        return None;
    }
    let (naive_time, step) = match (minute, second, millis) {
        (None, None, None) => (NaiveTime::from_hms_opt(hour, 0, 0)?, Duration::hours(1)),
        (Some(m), None, None) => (NaiveTime::from_hms_opt(hour, m, 0)?, Duration::minutes(1)),
        (Some(m), Some(s), None) => (NaiveTime::from_hms_opt(hour, m, s)?, Duration::seconds(1)),
        (Some(m), Some(s), Some(ms)) => {
            let ms: u32 = format!("{ms:0<3}").get(..3)?.parse().ok()?;
            (
                NaiveTime::from_hms_milli_opt(hour, m, s, ms)?,
                Duration::milliseconds(1),
            )
        }
        _ => return None,
    };
    let start = utc(date.and_time(naive_time));
    Some((start, start.checked_add_signed(step)?))
}

/// Parses a datetime criterion: a range `[a, b)` (either end may be empty) or a shorthand.
fn interval(text: &str) -> Option<Interval> {
    let text = text.trim();
    let open = text.chars().next()?;
    if open != '[' && open != '(' {
        let (start, end) = period(text)?;
        return Some(Interval {
            start: Some(start),
            end: Some(end),
        });
    }
    let close = text.chars().last()?;
    if (close != ']' && close != ')') || text.len() < 2 {
        return None;
    }
    let inner = &text[1..text.len() - 1];
    let (low, high) = inner.split_once(',')?;
    let start = match low.trim() {
        "" => None,
        low => {
            let (s, e) = period(low)?;
            Some(if open == '[' { s } else { e })
        }
    };
    let end = match high.trim() {
        "" => None,
        high => {
            let (s, e) = period(high)?;
            Some(if close == ']' { e } else { s })
        }
    };
    Some(Interval { start, end })
}

/// One AND-ed condition.
#[derive(Clone, Debug, PartialEq)]
enum Filter {
    Text { attribute: String, pattern: Pattern },
    Status(AccountStatus),
    Date { attribute: String, interval: Interval },
    CustomData { key: String, pattern: Pattern },
}

/// A parsed collection query.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ListQuery {
    pub(crate) offset: usize,
    pub(crate) limit: usize,
    q: Option<String>,
    filters: Vec<Filter>,
    order: Vec<(String, bool)>,
    pub(crate) expand: Vec<Expansion>,
}

/// Account expansions allowed on account resources and in account collections.
pub(crate) const ACCOUNT_EXPANSIONS: &[&str] = &["customData", "directory", "tenant", "groups", "groupMemberships"];

impl ListQuery {
    /// A plain page: no search, creation order, no expansion.
    pub(crate) fn page(offset: usize, limit: usize) -> Self {
        ListQuery {
            offset,
            limit,
            q: None,
            filters: Vec::new(),
            order: Vec::new(),
            expand: Vec::new(),
        }
    }

    /// Parses a collection's raw query string; `custom_data` says whether `customData.*`
    /// search is supported by this collection.
    pub(crate) fn parse(raw: Option<&str>, custom_data: bool) -> Result<Self, StormpathError> {
        let mut query = ListQuery::page(0, DEFAULT_LIMIT);
        let mut seen: Vec<String> = Vec::new();
        for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let (name, value) = (name.into_owned(), value.into_owned());
            if seen.contains(&name) {
                return Err(StormpathError::invalid(
                    2102,
                    format!(
                        "The '{name}' query parameter may only have a single value and cannot be specified more than once."
                    ),
                ));
            }
            seen.push(name.clone());
            let needs_value = || {
                StormpathError::invalid(
                    2101,
                    format!("The '{name}' query parameter must have a corresponding value."),
                )
            };
            let bad_value = |why: &str| {
                StormpathError::invalid(
                    2103,
                    format!("The '{name}' query parameter value '{value}' is invalid: {why}."),
                )
            };
            match name.as_str() {
                "offset" => {
                    query.offset = value
                        .trim()
                        .parse()
                        .map_err(|_| bad_value("expected a number of 0 or more"))?;
                }
                "limit" => {
                    let limit: usize = value.trim().parse().map_err(|_| bad_value("expected a number"))?;
                    if !(1..=MAX_LIMIT).contains(&limit) {
                        return Err(bad_value("the limit must be between 1 and 100"));
                    }
                    query.limit = limit;
                }
                "q" => query.q = Some(value.to_lowercase()),
                "expand" => query.expand = parse_expand(&value, ACCOUNT_EXPANSIONS)?,
                "orderBy" => query.order = parse_order(&value)?,
                "status" => {
                    let status = match value.to_ascii_uppercase().as_str() {
                        "ENABLED" => AccountStatus::Enabled,
                        "DISABLED" => AccountStatus::Disabled,
                        "UNVERIFIED" => AccountStatus::Unverified,
                        "" => return Err(needs_value()),
                        _ => return Err(bad_value("status must be ENABLED, DISABLED or UNVERIFIED")),
                    };
                    query.filters.push(Filter::Status(status));
                }
                attribute if TEXT_ATTRIBUTES.contains(&attribute) => {
                    if value.is_empty() {
                        return Err(needs_value());
                    }
                    query.filters.push(Filter::Text {
                        attribute: attribute.to_owned(),
                        pattern: Pattern::parse(&value),
                    });
                }
                attribute if DATE_ATTRIBUTES.contains(&attribute) => {
                    if value.is_empty() {
                        return Err(needs_value());
                    }
                    let interval =
                        interval(&value).ok_or_else(|| bad_value("expected an ISO-8601 datetime or range"))?;
                    query.filters.push(Filter::Date {
                        attribute: attribute.to_owned(),
                        interval,
                    });
                }
                other if custom_data && other.starts_with("customData.") && other.len() > "customData.".len() => {
                    if value.is_empty() {
                        return Err(needs_value());
                    }
                    query.filters.push(Filter::CustomData {
                        key: other["customData.".len()..].to_owned(),
                        pattern: Pattern::parse(&value),
                    });
                }
                other => {
                    return Err(StormpathError::invalid(
                        2105,
                        format!(
                            "Unsupported Query Property: '{other}' is not a queryable property of this collection."
                        ),
                    ));
                }
            }
        }
        Ok(query)
    }

    /// Whether an account satisfies `q` and every filter.
    pub(crate) fn matches(&self, account: &StoredAccount) -> bool {
        if let Some(needle) = &self.q
            && !Q_ATTRIBUTES.iter().any(|attribute| {
                account
                    .attribute(attribute)
                    .is_some_and(|value| value.to_lowercase().contains(needle.as_str()))
            })
        {
            return false;
        }
        self.filters.iter().all(|filter| match filter {
            Filter::Text { attribute, pattern } => account.attribute(attribute).is_some_and(|v| pattern.matches(&v)),
            Filter::Status(status) => account.status == *status,
            Filter::Date { attribute, interval } => {
                let time = match attribute.as_str() {
                    "createdAt" => Some(account.created_at),
                    "modifiedAt" => Some(account.modified_at),
                    _ => account.password_modified_at,
                };
                time.is_some_and(|t| interval.contains(t))
            }
            Filter::CustomData { key, pattern } => match account.custom_data.get(key) {
                Some(Value::String(s)) => pattern.matches(s),
                Some(Value::Number(n)) => pattern.matches(&n.to_string()),
                Some(Value::Bool(b)) => pattern.matches(&b.to_string()),
                _ => false,
            },
        })
    }

    /// Sorts accounts by `orderBy` (already in creation order, which breaks ties).
    pub(crate) fn sort(&self, accounts: &mut [&StoredAccount]) {
        if self.order.is_empty() {
            return;
        }
        accounts.sort_by(|a, b| {
            for (attribute, descending) in &self.order {
                let (x, y) = (a.attribute(attribute), b.attribute(attribute));
                let ordering = match (x, y) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(x), Some(y)) => x.to_lowercase().cmp(&y.to_lowercase()).then_with(|| x.cmp(&y)),
                };
                let ordering = if *descending { ordering.reverse() } else { ordering };
                if ordering != Ordering::Equal {
                    return ordering;
                }
            }
            a.seq.cmp(&b.seq)
        });
    }
}

fn parse_order(text: &str) -> Result<Vec<(String, bool)>, StormpathError> {
    let mut order = Vec::new();
    for statement in text.split(',') {
        let words: Vec<&str> = statement.split_whitespace().collect();
        let malformed = || {
            StormpathError::invalid(
                2104,
                format!(
                    "The orderBy query parameter value contains an invalid order statement: '{}'.",
                    statement.trim()
                ),
            )
        };
        let (attribute, descending) = match words.as_slice() {
            [attribute] => (*attribute, false),
            [attribute, direction] if direction.eq_ignore_ascii_case("asc") => (*attribute, false),
            [attribute, direction] if direction.eq_ignore_ascii_case("desc") => (*attribute, true),
            _ => return Err(malformed()),
        };
        if !SORTABLE.contains(&attribute) {
            return Err(StormpathError::invalid(
                2106,
                format!("Unsupported Order Property: '{attribute}' cannot be used to sort this collection."),
            ));
        }
        order.push((attribute.to_owned(), descending));
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("time").with_timezone(&Utc)
    }

    #[test]
    fn patterns_follow_the_asterisk_rules_ignoring_case() {
        assert!(Pattern::parse("Joe").matches("joe"));
        assert!(!Pattern::parse("Joe").matches("joey"));
        assert!(Pattern::parse("joe*").matches("JoePaul"));
        assert!(Pattern::parse("*aul").matches("Paul"));
        assert!(Pattern::parse("*mit*").matches("Smith"));
        assert!(Pattern::parse("*").matches("anything"));
    }

    #[test]
    fn datetime_shorthand_and_ranges() {
        let month = interval("2015-01").expect("shorthand");
        assert!(month.contains(at("2015-01-31T23:59:59Z")));
        assert!(!month.contains(at("2015-02-01T00:00:00Z")));
        let inclusive = interval("[2015-01-12, 2015-01-14]").expect("range");
        assert!(inclusive.contains(at("2015-01-14T12:00:00Z")));
        let exclusive = interval("[2015-01-12, 2015-01-14)").expect("range");
        assert!(!exclusive.contains(at("2015-01-14T12:00:00Z")));
        let open = interval("[2015-01-12T12:00:00,]").expect("open");
        assert!(open.contains(at("2030-01-01T00:00:00Z")));
        assert!(!open.contains(at("2015-01-12T11:59:59Z")));
        assert!(interval("[2015-13-01, ]").is_none());
        assert!(interval("262143-12-31").is_none(), "the end of time has no end");
        assert!(interval("2147483647-12").is_none());
        assert_eq!(interval("[,]"), Some(Interval { start: None, end: None }));
        assert!(interval("soon").is_none());
    }

    #[test]
    fn refuses_bad_parameters_with_their_codes() {
        let code = |q: &str| ListQuery::parse(Some(q), false).map(|_| 0).unwrap_or_else(|e| e.code());
        assert_eq!(code("limit=101"), 2103);
        assert_eq!(code("limit=0"), 2103);
        assert_eq!(code("offset=-1"), 2103);
        assert_eq!(code("q=a&q=b"), 2102);
        assert_eq!(code("email="), 2101);
        assert_eq!(code("orderBy=surname%20up"), 2104);
        assert_eq!(code("orderBy=customData"), 2106);
        assert_eq!(code("expand=password"), 2107);
        assert_eq!(code("favoriteColor=blue"), 2105);
        assert_eq!(code("customData.color=blue"), 2105);
        assert_eq!(code("status=ena"), 2103);
        assert_eq!(
            code("q=bob&limit=100&offset=5&orderBy=surname%2CgivenName%20desc&expand=customData"),
            0
        );
    }

    #[test]
    fn expansions_take_paging_options() {
        assert_eq!(
            parse_expand("customData, groups(offset:5,limit:10)", ACCOUNT_EXPANSIONS).expect("expand"),
            vec![
                Expansion {
                    name: "customData".into(),
                    offset: 0,
                    limit: 25
                },
                Expansion {
                    name: "groups".into(),
                    offset: 5,
                    limit: 10
                },
            ]
        );
        assert!(parse_expand("groups(limit:500)", ACCOUNT_EXPANSIONS).is_err());
        assert!(parse_expand("groups(offset:1", ACCOUNT_EXPANSIONS).is_err());
    }
}
