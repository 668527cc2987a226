//! The clock every mock reads its "now" from.
//!
//! Real services stamp users, tokens and rate-limit windows with wall-clock time, which would make
//! every snapshot differ from run to run. A scenario therefore gives all the mocks of one run a
//! shared *manual* clock that stands still until it is advanced (the scenario runner advances it
//! one tick before each step); `ferry serve` uses the system clock. Durations that protect the
//! process itself (script time limits, HTTP time-outs) are measured with `Instant`, never here.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

/// A shared clock: either the system's, or a manual one that moves only when told to.
#[derive(Clone, Debug)]
pub struct Clock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
enum Inner {
    System,
    /// Milliseconds since the Unix epoch.
    Manual(AtomicI64),
}

impl Clock {
    /// The wall clock.
    pub fn system() -> Self {
        Self {
            inner: Arc::new(Inner::System),
        }
    }

    /// A clock standing at `start` until advanced.
    pub fn manual(start: DateTime<Utc>) -> Self {
        Self {
            inner: Arc::new(Inner::Manual(AtomicI64::new(start.timestamp_millis()))),
        }
    }

    /// The fixed epoch scenario runs start from: 2026-01-01T00:00:00.000Z.
    pub fn scenario_epoch() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or_default()
    }

    /// Whether this clock only moves when advanced.
    pub fn is_manual(&self) -> bool {
        matches!(*self.inner, Inner::Manual(_))
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        match &*self.inner {
            Inner::System => Utc::now(),
            Inner::Manual(ms) => Utc
                .timestamp_millis_opt(ms.load(Ordering::SeqCst))
                .single()
                .unwrap_or_default(),
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_millis(&self) -> i64 {
        self.now().timestamp_millis()
    }

    /// Moves a manual clock forward; returns false (and does nothing) on the system clock.
    pub fn advance(&self, by: Duration) -> bool {
        match &*self.inner {
            Inner::System => false,
            Inner::Manual(ms) => {
                let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
                ms.fetch_add(by, Ordering::SeqCst);
                true
            }
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

/// The clock's time as an HTTP `Date` value (IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`).
/// It changes once a second, so each thread formats it once a second and reuses it.
pub fn http_date(t: DateTime<Utc>) -> http::HeaderValue {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(i64, http::HeaderValue)>> = const { std::cell::RefCell::new(None) };
    }
    let secs = t.timestamp();
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if let Some((at, value)) = &*last
            && *at == secs
        {
            return value.clone();
        }
        let text = t.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let value = http::HeaderValue::from_str(&text).unwrap_or_else(|_| http::HeaderValue::from_static(""));
        *last = Some((secs, value.clone()));
        value
    })
}

/// ISO-8601 UTC with milliseconds (`2013-06-24T16:39:18.000Z`), the format Okta and Auth0 use.
pub fn iso_millis(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses a human duration such as `250ms`, `5s`, `10m`, `2h`, `1d` or `1h30m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration".into());
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!(
                "`{text}` is not a duration (expected e.g. 500ms, 5s, 10m, 2h, 1d)"
            ));
        }
        let value: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("`{text}`: number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let part = match unit {
            "ms" => Duration::from_millis(value),
            "s" | "" => Duration::from_secs(value),
            "m" | "min" => Duration::from_secs(value.saturating_mul(60)),
            "h" => Duration::from_secs(value.saturating_mul(3600)),
            "d" => Duration::from_secs(value.saturating_mul(86_400)),
            other => {
                return Err(format!("`{text}`: unknown unit `{other}` (use ms, s, m, h or d)"));
            }
        };
        total = total.saturating_add(part);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_stands_still_until_advanced() {
        let clock = Clock::manual(Clock::scenario_epoch());
        assert_eq!(iso_millis(clock.now()), "2026-01-01T00:00:00.000Z");
        assert!(clock.advance(Duration::from_millis(1500)));
        assert_eq!(iso_millis(clock.now()), "2026-01-01T00:00:01.500Z");
    }

    #[test]
    fn http_dates_follow_the_clock_second_by_second() {
        let clock = Clock::manual(Clock::scenario_epoch());
        assert_eq!(http_date(clock.now()), "Thu, 01 Jan 2026 00:00:00 GMT");
        clock.advance(Duration::from_millis(999));
        assert_eq!(http_date(clock.now()), "Thu, 01 Jan 2026 00:00:00 GMT");
        clock.advance(Duration::from_millis(1));
        assert_eq!(http_date(clock.now()), "Thu, 01 Jan 2026 00:00:01 GMT");
        clock.advance(Duration::from_secs(86_400 * 31));
        assert_eq!(http_date(clock.now()), "Sun, 01 Feb 2026 00:00:01 GMT");
    }

    #[test]
    fn system_clock_cannot_be_advanced() {
        assert!(!Clock::system().advance(Duration::from_secs(1)));
    }

    #[test]
    fn parses_human_durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5 parsecs").is_err());
    }
}
