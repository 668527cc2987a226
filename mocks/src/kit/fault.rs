//! Fault injection, shared by every mock.
//!
//! A fault rule names a route (method and path pattern) and which of its calls to spoil: from the
//! `nth` matching call on, `times` times (or for ever). The kit's middleware consults the rules
//! before a request reaches the provider, so no provider handler knows about faults; a provider
//! only says how its own error bodies look ([`crate::Provider::fault_response`],
//! [`crate::Provider::rate_limited_response`]). Rules are set in-process, from scenario steps, or
//! with `POST /__ferry/faults`, and removed again to show recovery.
//!
//! | kind | the client sees |
//! |---|---|
//! | `delay {ms}` | the real answer, `ms` later |
//! | `random_delay {min_ms, max_ms}` | the real answer, after a delay drawn from `min_ms..=max_ms` by the kit's seeded generator (the same draws on every run with the same seed) |
//! | `status {status}` | that status with the provider's own error body |
//! | `rate_limited` | the provider's own rate-limit refusal: its 429 (or Gigya's 403048), its headers |
//! | `drop` | the connection closed (FIN) without an answer |
//! | `reset` | the connection reset (TCP RST) without an answer |
//! | `hang` | nothing, until the client gives up |
//! | `empty` | status 200, the real answer's headers, an empty body |
//! | `malformed` | status 200, the real answer's headers, its body cut in half (invalid JSON) |
//! | `dribble {bytes_per_chunk, interval_ms}` | the real answer, its body sent `bytes_per_chunk` bytes at a time, `interval_ms` apart |
//!
//! `empty`, `malformed` and `dribble` run the request for real (as when a proxy spoils an answer
//! the service produced), so the provider's side effects happen; the others never reach it.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::kit::journal::path_matches;

/// What happens to a faulted call.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields, try_from = "FaultSpec")]
pub enum Fault {
    /// Answer normally, but only after `ms` milliseconds.
    Delay { ms: u64 },
    /// Answer normally, after a delay drawn uniformly from `min_ms..=max_ms` with the kit's
    /// seeded generator.
    RandomDelay { min_ms: u64, max_ms: u64 },
    /// Answer with this status and the provider's own error body for it.
    Status { status: u16 },
    /// The provider's own rate-limit refusal, headers included
    /// ([`crate::Provider::rate_limited_response`]).
    RateLimited,
    /// Close the connection without answering (an orderly close: FIN).
    Drop,
    /// Reset the connection without answering (`SO_LINGER` 0, then close: RST).
    Reset,
    /// Never answer; the client's own time-out decides what happens.
    Hang,
    /// Status 200 with the real answer's headers and an empty body.
    Empty,
    /// Status 200 with the real answer's headers and its body truncated (invalid JSON).
    Malformed,
    /// The real answer, its body sent `bytes_per_chunk` bytes at a time, `interval_ms` apart.
    Dribble { bytes_per_chunk: u64, interval_ms: u64 },
}

/// What a fault reads as, before its values are checked. The kinds without values are empty
/// struct variants so that a stray key (`{kind: drop, ms: 5}`) is refused like any unknown key;
/// serde lets unit variants of an internally tagged enum ignore them.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum FaultSpec {
    Delay { ms: u64 },
    RandomDelay { min_ms: u64, max_ms: u64 },
    Status { status: u16 },
    RateLimited {},
    Drop {},
    Reset {},
    Hang {},
    Empty {},
    Malformed {},
    Dribble { bytes_per_chunk: u64, interval_ms: u64 },
}

/// The longest delay or interval a fault may ask for: one hour. A longer wait is no different
/// from `hang` for any client (every SDK gives up sooner), and a wait for ever is written as such.
pub const MAX_FAULT_MS: u64 = 3_600_000;

/// Refuses a wait longer than [`MAX_FAULT_MS`], naming the field.
fn bounded(kind: &str, field: &str, ms: u64) -> Result<u64, String> {
    if ms > MAX_FAULT_MS {
        return Err(format!(
            "{kind}: {field} ({ms}) is more than an hour ({MAX_FAULT_MS}); use kind: hang for an answer that never comes"
        ));
    }
    Ok(ms)
}

impl TryFrom<FaultSpec> for Fault {
    type Error = String;

    fn try_from(spec: FaultSpec) -> Result<Self, Self::Error> {
        Ok(match spec {
            FaultSpec::Delay { ms } => Fault::Delay {
                ms: bounded("delay", "ms", ms)?,
            },
            FaultSpec::RandomDelay { min_ms, max_ms } => {
                bounded("random_delay", "max_ms", max_ms)?;
                if min_ms > max_ms {
                    return Err(format!(
                        "random_delay: min_ms ({min_ms}) is greater than max_ms ({max_ms})"
                    ));
                }
                Fault::RandomDelay { min_ms, max_ms }
            }
            FaultSpec::Status { status } => {
                if !(100..=999).contains(&status) {
                    return Err(format!("status: {status} is not an HTTP status"));
                }
                Fault::Status { status }
            }
            FaultSpec::RateLimited {} => Fault::RateLimited,
            FaultSpec::Drop {} => Fault::Drop,
            FaultSpec::Reset {} => Fault::Reset,
            FaultSpec::Hang {} => Fault::Hang,
            FaultSpec::Empty {} => Fault::Empty,
            FaultSpec::Malformed {} => Fault::Malformed,
            FaultSpec::Dribble {
                bytes_per_chunk,
                interval_ms,
            } => {
                if bytes_per_chunk == 0 {
                    return Err("dribble: bytes_per_chunk must be at least 1".into());
                }
                bounded("dribble", "interval_ms", interval_ms)?;
                Fault::Dribble {
                    bytes_per_chunk,
                    interval_ms,
                }
            }
        })
    }
}

impl Fault {
    /// A short description for the journal and scenario reports.
    pub fn describe(&self) -> String {
        match self {
            Fault::Delay { ms } => format!("delay {ms}ms"),
            Fault::RandomDelay { min_ms, max_ms } => format!("random delay {min_ms}-{max_ms}ms"),
            Fault::Status { status } => format!("status {status}"),
            Fault::RateLimited => "rate limited".into(),
            Fault::Drop => "drop connection".into(),
            Fault::Reset => "reset connection".into(),
            Fault::Hang => "hang".into(),
            Fault::Empty => "empty body".into(),
            Fault::Malformed => "malformed body".into(),
            Fault::Dribble {
                bytes_per_chunk,
                interval_ms,
            } => format!("dribble {bytes_per_chunk} bytes every {interval_ms}ms"),
        }
    }

    /// The fixed delay to apply before answering, if this is a delay.
    pub fn delay(&self) -> Option<Duration> {
        match self {
            Fault::Delay { ms } => Some(Duration::from_millis(*ms)),
            _ => None,
        }
    }
}

fn first_call() -> u64 {
    1
}

/// Which calls of which route to spoil, and how.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// HTTP method; any when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Path pattern: exact, `*` for one segment, trailing `/**` for any rest.
    pub path: String,
    /// The first matching call (counting from 1) that is faulted.
    #[serde(default = "first_call")]
    pub nth: u64,
    /// How many calls are faulted from the `nth` on; for ever when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    pub fault: Fault,
}

/// A rule as installed, with its counters.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ActiveFault {
    pub id: u64,
    #[serde(flatten)]
    pub rule: FaultRule,
    /// Matching calls seen since the rule was installed.
    pub seen: u64,
    /// Calls this rule spoiled.
    pub fired: u64,
}

/// The fault rules of one mock, and the seeded generator random delays are drawn from.
#[derive(Clone, Debug)]
pub struct Faults {
    inner: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    next_id: u64,
    rules: Vec<ActiveFault>,
    rng: ChaCha8Rng,
}

/// Mixed into the kit's seed so that fault draws are not the id generator's stream.
const FAULT_STREAM: u64 = 0x6661_756c_7473_2121;

impl Default for Faults {
    /// Random delays seeded from the operating system.
    fn default() -> Self {
        Self::seeded(rand::rng().next_u64())
    }
}

impl Faults {
    /// Rules whose random delays are drawn from a generator seeded with `seed` (a kit built with
    /// a seed passes it here, so a scenario draws the same delays on every run).
    pub fn seeded(seed: u64) -> Self {
        Self {
            inner: Arc::new(Mutex::new(State {
                next_id: 0,
                rules: Vec::new(),
                rng: ChaCha8Rng::seed_from_u64(seed ^ FAULT_STREAM),
            })),
        }
    }

    /// A delay for [`Fault::RandomDelay`]: uniform in `min_ms..=max_ms`.
    pub fn draw_ms(&self, min_ms: u64, max_ms: u64) -> u64 {
        let (low, high) = (min_ms.min(max_ms), min_ms.max(max_ms));
        self.state().rng.random_range(low..=high)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Installs a rule; returns its id.
    pub fn add(&self, rule: FaultRule) -> u64 {
        let mut state = self.state();
        state.next_id += 1;
        let id = state.next_id;
        state.rules.push(ActiveFault {
            id,
            rule,
            seen: 0,
            fired: 0,
        });
        id
    }

    /// Removes one rule; false if there was none with that id.
    pub fn remove(&self, id: u64) -> bool {
        let mut state = self.state();
        let before = state.rules.len();
        state.rules.retain(|r| r.id != id);
        state.rules.len() != before
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.state().rules.clear();
    }

    /// The installed rules with their counters.
    pub fn list(&self) -> Vec<ActiveFault> {
        self.state().rules.clone()
    }

    /// Counts this call against every matching rule and returns the fault to apply, if any
    /// (the first rule, in installation order, that fires).
    pub fn decide(&self, method: &str, path: &str) -> Option<Fault> {
        let mut state = self.state();
        let mut chosen = None;
        for active in state.rules.iter_mut() {
            let rule = &active.rule;
            let method_ok = rule.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method));
            if !method_ok || !path_matches(&rule.path, path) {
                continue;
            }
            active.seen += 1;
            let due = active.seen >= rule.nth && rule.times.is_none_or(|t| active.fired < t);
            if due && chosen.is_none() {
                active.fired += 1;
                chosen = Some(rule.fault.clone());
            }
        }
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(nth: u64, times: Option<u64>) -> FaultRule {
        FaultRule {
            method: Some("POST".into()),
            path: "/api/v1/authn".into(),
            nth,
            times,
            fault: Fault::Status { status: 500 },
        }
    }

    #[test]
    fn spoils_from_the_nth_call_for_the_given_number_of_times() {
        let faults = Faults::default();
        faults.add(rule(2, Some(2)));
        let outcomes: Vec<bool> = (0..5)
            .map(|_| faults.decide("POST", "/api/v1/authn").is_some())
            .collect();
        assert_eq!(outcomes, [false, true, true, false, false]);
        assert!(
            faults.decide("GET", "/api/v1/authn").is_none(),
            "other methods are untouched"
        );
    }

    #[test]
    fn removing_a_rule_recovers() {
        let faults = Faults::default();
        let id = faults.add(rule(1, None));
        assert!(faults.decide("POST", "/api/v1/authn").is_some());
        assert!(faults.remove(id));
        assert!(faults.decide("POST", "/api/v1/authn").is_none());
    }

    #[test]
    fn rules_read_from_yaml() {
        let rule: FaultRule =
            serde_saphyr::from_str("path: /api/v1/users/*\nfault: {kind: delay, ms: 30}\n").expect("valid rule");
        assert_eq!(rule.fault, Fault::Delay { ms: 30 });
        assert_eq!(rule.nth, 1);
    }

    #[test]
    fn every_kind_reads_from_yaml_and_bad_values_are_refused() {
        let read = |yaml: &str| serde_saphyr::from_str::<Fault>(yaml).map_err(|e| e.to_string());
        for (yaml, fault) in [
            (
                "{kind: random_delay, min_ms: 5, max_ms: 9}",
                Fault::RandomDelay { min_ms: 5, max_ms: 9 },
            ),
            ("{kind: rate_limited}", Fault::RateLimited),
            ("{kind: reset}", Fault::Reset),
            ("{kind: empty}", Fault::Empty),
            ("{kind: malformed}", Fault::Malformed),
            (
                "{kind: dribble, bytes_per_chunk: 16, interval_ms: 50}",
                Fault::Dribble {
                    bytes_per_chunk: 16,
                    interval_ms: 50,
                },
            ),
        ] {
            assert_eq!(read(yaml), Ok(fault.clone()), "{yaml}");
            let json = serde_json::to_value(&fault).expect("serializes");
            assert_eq!(serde_json::from_value::<Fault>(json).expect("round trip"), fault);
        }
        for (yaml, why) in [
            ("{kind: random_delay, min_ms: 9, max_ms: 5}", "greater than max_ms"),
            ("{kind: dribble, bytes_per_chunk: 0, interval_ms: 5}", "at least 1"),
            ("{kind: status, status: 1000}", "not an HTTP status"),
            ("{kind: empty, status: 200}", "unknown field"),
            ("{kind: drop, ms: 5}", "unknown field"),
        ] {
            let err = read(yaml).expect_err(yaml);
            assert!(err.contains(why), "{yaml}: {err}");
        }
    }

    #[test]
    fn random_delays_repeat_with_the_seed_and_stay_in_bounds() {
        let draws = |faults: &Faults| (0..50).map(|_| faults.draw_ms(10, 20)).collect::<Vec<_>>();
        let (a, b) = (draws(&Faults::seeded(3)), draws(&Faults::seeded(3)));
        assert_eq!(a, b);
        assert!(a.iter().all(|ms| (10..=20).contains(ms)));
        assert!(a.contains(&10) && a.contains(&20), "both bounds are reachable: {a:?}");
        assert_eq!(Faults::seeded(3).draw_ms(7, 7), 7);
    }
}
