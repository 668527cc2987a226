//! The clock every mock reads its "now" from.
//!
//! Real services stamp users, tokens and rate-limit windows with wall-clock time, which would make
//! every snapshot differ from run to run. A scenario therefore gives all the mocks of one run a
//! shared *manual* clock that stands still until it is advanced (the scenario runner advances it
//! one tick before each step); `ferry serve` uses the system clock. Durations that protect the
//! process itself (script time limits, HTTP time-outs) are measured with `Instant`, never here.
//!
//! A system clock can also run faster than the wall clock ([`Clock::set_speed`]): `ferry bench
//! gigya-bulk` runs the mock Auth0's clock thousands of times faster, so that its rate limits
//! and its import jobs, which take the time Auth0's take, keep their shape at a benchmark's pace.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

/// A shared clock: either the system's, or a manual one that moves only when told to.
#[derive(Clone, Debug)]
pub struct Clock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
enum Inner {
    System(Warp),
    /// Milliseconds since the Unix epoch.
    Manual(AtomicI64),
}

/// How a system clock runs against the wall clock: at its speed (the bits of an `f64`; `0`
/// for the wall clock itself, the fast path), from an origin where both read the same
/// instant-to-be-continued.
#[derive(Debug, Default)]
struct Warp {
    speed: AtomicU64,
    /// (wall-clock microseconds, clock milliseconds) at the last change of speed. Microseconds:
    /// a sped-up clock read in whole wall milliseconds would stand still for a thousand of its
    /// own at 1,000x, so that requests a few microseconds apart would all see one instant (and
    /// a rate limit's bucket would never refill between them).
    origin: Mutex<(i64, i64)>,
}

impl Warp {
    fn now_millis(&self) -> i64 {
        let speed = f64::from_bits(self.speed.load(Ordering::Acquire));
        if speed == 0.0 {
            return Utc::now().timestamp_millis();
        }
        let wall = Utc::now().timestamp_micros();
        let (wall_origin, origin) = *self.origin.lock().unwrap_or_else(PoisonError::into_inner);
        origin.saturating_add(((wall - wall_origin) as f64 * speed / 1000.0) as i64)
    }
}

impl Clock {
    /// The wall clock.
    pub fn system() -> Self {
        Self {
            inner: Arc::new(Inner::System(Warp::default())),
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
            Inner::System(warp) if warp.speed.load(Ordering::Acquire) == 0 => Utc::now(),
            _ => Utc.timestamp_millis_opt(self.now_millis()).single().unwrap_or_default(),
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_millis(&self) -> i64 {
        match &*self.inner {
            Inner::System(warp) => warp.now_millis(),
            Inner::Manual(ms) => ms.load(Ordering::SeqCst),
        }
    }

    /// Moves a manual clock forward; returns false (and does nothing) on the system clock.
    pub fn advance(&self, by: Duration) -> bool {
        match &*self.inner {
            Inner::System(_) => false,
            Inner::Manual(ms) => {
                let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
                // Saturating at the last instant a date can hold, never wrapping round to 1970.
                let last = DateTime::<Utc>::MAX_UTC.timestamp_millis();
                let _ = ms.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                    Some(now.saturating_add(by).min(last))
                });
                true
            }
        }
    }

    /// Runs a system clock `speed` times as fast as the wall clock from now on (`1.0`: the wall
    /// clock's pace again), without a jump: the time it reads carries on from where it is.
    /// A manual clock moves only when advanced: refused. `speed` must be finite and positive.
    pub fn set_speed(&self, speed: f64) -> Result<(), String> {
        if !speed.is_finite() || speed <= 0.0 {
            return Err(format!("a clock speed must be a positive number, not {speed}"));
        }
        let Inner::System(warp) = &*self.inner else {
            return Err("a manual clock moves only when it is advanced: it has no speed".into());
        };
        // Read before the origin is locked (reading locks it too).
        let now = warp.now_millis();
        let mut origin = warp.origin.lock().unwrap_or_else(PoisonError::into_inner);
        *origin = (Utc::now().timestamp_micros(), now);
        // (Bits 0, the wall clock itself, only for a clock that was never sped up: one that was
        // reads ahead of the wall clock, and carries on from there.)
        warp.speed.store(speed.to_bits(), Ordering::Release);
        Ok(())
    }

    /// How many times faster than the wall clock this clock runs; `None` for a manual clock.
    pub fn speed(&self) -> Option<f64> {
        match &*self.inner {
            Inner::System(warp) => Some(match warp.speed.load(Ordering::Acquire) {
                0 => 1.0,
                bits => f64::from_bits(bits),
            }),
            Inner::Manual(_) => None,
        }
    }

    /// The wall-clock time `by` of this clock's time takes: `None` on a manual clock, whose
    /// time passes only when someone advances it.
    pub fn wall_time(&self, by: Duration) -> Option<Duration> {
        self.speed().map(|speed| by.div_f64(speed))
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
    use chrono::SubsecRound;

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
    fn a_huge_advance_stops_at_the_last_date_instead_of_wrapping() {
        let clock = Clock::manual(Clock::scenario_epoch());
        assert!(clock.advance(Duration::MAX));
        assert_eq!(clock.now(), DateTime::<Utc>::MAX_UTC.trunc_subsecs(3));
        assert!(clock.advance(Duration::from_secs(1)));
        assert_eq!(clock.now(), DateTime::<Utc>::MAX_UTC.trunc_subsecs(3));
    }

    #[test]
    fn system_clock_cannot_be_advanced() {
        assert!(!Clock::system().advance(Duration::from_secs(1)));
    }

    #[test]
    fn a_faster_system_clock_carries_on_without_a_jump() {
        let clock = Clock::system();
        assert_eq!(clock.speed(), Some(1.0));
        let before = clock.now_millis();
        clock.set_speed(1000.0).expect("a system clock has a speed");
        // No jump: it reads what it read, then runs a thousand times faster.
        let at_change = clock.now_millis();
        assert!(
            at_change >= before && at_change - before < 1_000,
            "{before} {at_change}"
        );
        std::thread::sleep(Duration::from_millis(20));
        let later = clock.now_millis();
        assert!(
            later - at_change >= 20_000,
            "20 ms of wall time is 20 s: {}",
            later - at_change
        );
        assert_eq!(
            clock.wall_time(Duration::from_secs(10)),
            Some(Duration::from_millis(10))
        );
        clock.set_speed(1.0).expect("back to the wall clock's pace");
        let back = clock.now_millis();
        assert!(back >= later, "time never goes back");
        assert!(clock.set_speed(0.0).is_err());
        assert!(clock.set_speed(f64::NAN).is_err());
        let manual = Clock::manual(Clock::scenario_epoch());
        assert!(manual.set_speed(2.0).is_err());
        assert_eq!(manual.wall_time(Duration::from_secs(1)), None);
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
