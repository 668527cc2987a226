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

/// Token buckets keyed by name: `burst` tokens, refilled at `per_second`.
#[derive(Clone, Debug)]
pub struct TokenBuckets {
    clock: Clock,
    buckets: Arc<Mutex<HashMap<String, (f64, i64)>>>,
}

impl TokenBuckets {
    pub fn new(clock: Clock) -> Self {
        Self {
            clock,
            buckets: Arc::default(),
        }
    }

    /// Takes one token from `key`.
    pub fn take(&self, key: &str, burst: u64, per_second: f64) -> RateVerdict {
        let now = self.clock.now_millis();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        // The key is copied once, when its bucket is first filled, not at every request.
        if let Some(bucket) = buckets.get_mut(key) {
            return Self::take_from(bucket, now, burst, per_second);
        }
        let bucket = buckets.entry(key.to_owned()).or_insert((burst as f64, now));
        Self::take_from(bucket, now, burst, per_second)
    }

    fn take_from(bucket: &mut (f64, i64), now: i64, burst: u64, per_second: f64) -> RateVerdict {
        let (tokens, last) = (&mut bucket.0, &mut bucket.1);
        let elapsed = (now - *last).max(0) as f64 / 1000.0;
        *tokens = (*tokens + elapsed * per_second).min(burst as f64);
        *last = now;
        let refill_secs = |missing: f64| {
            if per_second > 0.0 {
                (missing / per_second).ceil() as i64
            } else {
                0
            }
        };
        if *tokens < 1.0 {
            let reset_epoch = now.div_euclid(1000) + refill_secs(1.0 - *tokens).max(1);
            return RateVerdict {
                allowed: false,
                limit: burst,
                remaining: 0,
                reset_epoch,
            };
        }
        *tokens -= 1.0;
        let reset_epoch = now.div_euclid(1000) + refill_secs(burst as f64 - *tokens);
        RateVerdict {
            allowed: true,
            limit: burst,
            remaining: tokens.floor() as u64,
            reset_epoch,
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
    fn token_bucket_refills_over_time() {
        let clock = Clock::manual(Clock::scenario_epoch());
        let buckets = TokenBuckets::new(clock.clone());
        assert!(buckets.take("mgmt", 2, 2.0).allowed);
        assert!(buckets.take("mgmt", 2, 2.0).allowed);
        assert!(!buckets.take("mgmt", 2, 2.0).allowed);
        clock.advance(Duration::from_millis(500));
        assert!(buckets.take("mgmt", 2, 2.0).allowed);
    }
}
