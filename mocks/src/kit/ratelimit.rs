//! Rate-limit buckets, read against the mock clock.
//!
//! Okta counts requests in fixed windows that start with the first request (60 s per endpoint
//! bucket, 1 s for the per-user authn limit); Auth0 uses token buckets (a burst and a refill
//! rate). Both are here so that each provider only decides which bucket a request falls in and
//! how to spell the headers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::kit::clock::Clock;

/// The verdict for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateVerdict {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// The bucket's ceiling.
    pub limit: u64,
    /// Requests left after this one.
    pub remaining: u64,
    /// Epoch seconds when the window resets (or the bucket is full again).
    pub reset_epoch: i64,
}

/// Fixed windows keyed by bucket name, each starting at its first request.
#[derive(Clone, Debug)]
pub struct FixedWindows {
    clock: Clock,
    windows: Arc<Mutex<HashMap<String, (i64, u64)>>>,
}

impl FixedWindows {
    pub fn new(clock: Clock) -> Self {
        Self {
            clock,
            windows: Arc::default(),
        }
    }

    /// Counts one request against `key`, whose window is `window_ms` long and admits `limit`.
    pub fn hit(&self, key: &str, limit: u64, window_ms: i64) -> RateVerdict {
        let now = self.clock.now_millis();
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        // The key is copied once, when its window is first opened, not at every request.
        if let Some(window) = windows.get_mut(key) {
            return Self::count(window, now, limit, window_ms);
        }
        Self::count(windows.entry(key.to_owned()).or_insert((now, 0)), now, limit, window_ms)
    }

    fn count(window: &mut (i64, u64), now: i64, limit: u64, window_ms: i64) -> RateVerdict {
        if now >= window.0 + window_ms {
            *window = (now, 0);
        }
        let reset_epoch = (window.0 + window_ms).div_euclid(1000);
        if window.1 >= limit {
            return RateVerdict {
                allowed: false,
                limit,
                remaining: 0,
                reset_epoch,
            };
        }
        window.1 += 1;
        RateVerdict {
            allowed: true,
            limit,
            remaining: limit - window.1,
            reset_epoch,
        }
    }

    /// Forgets every window.
    pub fn reset(&self) {
        self.windows.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

/// A token bucket: `burst` tokens at most, refilled at `per_second` tokens a second in steps of
/// `step_ms` milliseconds (1 for a continuous refill).
///
/// Auth0's rate-limit policy: "If the sustained rate limit is calculated in Requests per
/// Second, new requests are added by milliseconds. If the sustained rate limit is calculated in
/// Requests per Minute, new requests are added on a second basis" — [`TokenBucket::per_second`]
/// and [`TokenBucket::per_minute`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TokenBucket {
    pub burst: u64,
    pub per_second: f64,
    pub step_ms: i64,
}

impl TokenBucket {
    /// `burst` tokens, `rate` added a second, by the millisecond.
    pub const fn per_second(burst: u64, rate: f64) -> Self {
        Self {
            burst,
            per_second: rate,
            step_ms: 1,
        }
    }

    /// `burst` tokens, `rate` added a minute, a sixtieth of it each whole second.
    pub const fn per_minute(burst: u64, rate: f64) -> Self {
        Self {
            burst,
            per_second: rate / 60.0,
            step_ms: 1000,
        }
    }
}

/// Token buckets keyed by name.
#[derive(Clone, Debug)]
pub struct TokenBuckets {
    clock: Clock,
    /// Tokens held and the time (ms) they were counted at, on the bucket's refill grid.
    buckets: Arc<Mutex<HashMap<String, (f64, i64)>>>,
}

impl TokenBuckets {
    pub fn new(clock: Clock) -> Self {
        Self {
            clock,
            buckets: Arc::default(),
        }
    }

    /// Takes one token from `key`, a bucket of the given shape (full when first used).
    ///
    /// `reset_epoch` is when the bucket next holds one more whole token than it holds after this
    /// request (now when it is full), rounded up to a whole second: Auth0's "expected time when
    /// additional requests will be added to the bucket". A refused request's reset is therefore
    /// the first second at which the request can succeed.
    pub fn take(&self, key: &str, bucket: &TokenBucket) -> RateVerdict {
        let now = self.clock.now_millis();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        // The key is copied once, when its bucket is first filled, not at every request.
        if let Some(state) = buckets.get_mut(key) {
            return Self::take_from(state, now, bucket);
        }
        let state = buckets.entry(key.to_owned()).or_insert((bucket.burst as f64, now));
        Self::take_from(state, now, bucket)
    }

    /// What a request would get, without taking a token.
    pub fn peek(&self, key: &str, bucket: &TokenBucket) -> RateVerdict {
        let now = self.clock.now_millis();
        let buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let mut state = buckets.get(key).copied().unwrap_or((bucket.burst as f64, now));
        Self::refill(&mut state, now, bucket);
        Self::verdict(&state, now, bucket, state.0 >= 1.0)
    }

    fn refill(state: &mut (f64, i64), now: i64, bucket: &TokenBucket) {
        let step = bucket.step_ms.max(1);
        let steps = (now - state.1).max(0) / step;
        if steps > 0 {
            state.0 = (state.0 + (steps * step) as f64 / 1000.0 * bucket.per_second).min(bucket.burst as f64);
            state.1 += steps * step;
        }
        if state.0 >= bucket.burst as f64 {
            // A full bucket's grid starts again at the next request.
            state.1 = now;
        }
    }

    fn take_from(state: &mut (f64, i64), now: i64, bucket: &TokenBucket) -> RateVerdict {
        Self::refill(state, now, bucket);
        let allowed = state.0 >= 1.0;
        if allowed {
            state.0 -= 1.0;
        }
        Self::verdict(state, now, bucket, allowed)
    }

    fn verdict(state: &(f64, i64), now: i64, bucket: &TokenBucket, allowed: bool) -> RateVerdict {
        let (tokens, counted_at) = *state;
        let reset_ms = if tokens >= bucket.burst as f64 || bucket.per_second <= 0.0 {
            now
        } else {
            // The next whole token: this many milliseconds of refill from the grid's origin,
            // rounded up to the refill step.
            let missing = (tokens.floor() + 1.0 - tokens).max(0.0);
            let step = bucket.step_ms.max(1);
            let ms = (missing / bucket.per_second * 1000.0).ceil() as i64;
            let ms = (ms + step - 1) / step * step;
            (counted_at + ms).max(now)
        };
        RateVerdict {
            allowed,
            limit: bucket.burst,
            remaining: tokens.max(0.0).floor() as u64,
            reset_epoch: (reset_ms + 999).div_euclid(1000),
        }
    }

    /// Refills every bucket.
    pub fn reset(&self) {
        self.buckets.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn fixed_window_refuses_past_the_limit_until_it_resets() {
        let clock = Clock::manual(Clock::scenario_epoch());
        let windows = FixedWindows::new(clock.clone());
        let a = windows.hit("authn", 2, 60_000);
        assert_eq!((a.allowed, a.remaining), (true, 1));
        assert!(windows.hit("authn", 2, 60_000).allowed);
        let refused = windows.hit("authn", 2, 60_000);
        assert!(!refused.allowed);
        assert_eq!(refused.reset_epoch, Clock::scenario_epoch().timestamp() + 60);
        clock.advance(Duration::from_secs(60));
        assert!(windows.hit("authn", 2, 60_000).allowed);
    }

    #[test]
    fn token_bucket_refills_by_the_millisecond_and_says_when_the_next_token_comes() {
        let clock = Clock::manual(Clock::scenario_epoch());
        let epoch = Clock::scenario_epoch().timestamp();
        let buckets = TokenBuckets::new(clock.clone());
        let free = TokenBucket::per_second(2, 2.0);
        let first = buckets.take("mgmt", &free);
        assert_eq!((first.allowed, first.limit, first.remaining), (true, 2, 1));
        // One token short of full: the next one comes in 500 ms, in the next whole second.
        assert_eq!(first.reset_epoch, epoch + 1);
        assert!(buckets.take("mgmt", &free).allowed);
        let refused = buckets.take("mgmt", &free);
        assert_eq!(
            (refused.allowed, refused.remaining, refused.reset_epoch),
            (false, 0, epoch + 1)
        );
        clock.advance(Duration::from_millis(499));
        assert!(!buckets.take("mgmt", &free).allowed, "499 ms make 0.998 of a token");
        clock.advance(Duration::from_millis(1));
        assert!(buckets.take("mgmt", &free).allowed, "500 ms make one");
        assert!(!buckets.peek("mgmt", &free).allowed);
        clock.advance(Duration::from_secs(10));
        let full = buckets.peek("mgmt", &free);
        assert_eq!((full.allowed, full.remaining), (true, 2), "never more than the burst");
        assert_eq!(full.reset_epoch, epoch + 11, "a full bucket gains nothing: now");
    }

    #[test]
    fn per_minute_buckets_refill_each_whole_second() {
        let clock = Clock::manual(Clock::scenario_epoch());
        let epoch = Clock::scenario_epoch().timestamp();
        let buckets = TokenBuckets::new(clock.clone());
        // 150 a minute: 2.5 a second, added at each whole second.
        let combined = TokenBucket::per_minute(10, 150.0);
        for _ in 0..10 {
            assert!(buckets.take("other", &combined).allowed);
        }
        let refused = buckets.take("other", &combined);
        assert!(!refused.allowed);
        assert_eq!(refused.reset_epoch, epoch + 1);
        clock.advance(Duration::from_millis(999));
        assert!(
            !buckets.take("other", &combined).allowed,
            "nothing added within the second"
        );
        clock.advance(Duration::from_millis(1));
        assert!(buckets.take("other", &combined).allowed);
        assert!(buckets.take("other", &combined).allowed);
        let half = buckets.take("other", &combined);
        assert!(!half.allowed, "half a token is not a request");
        assert_eq!(half.reset_epoch, epoch + 2);
    }
}
