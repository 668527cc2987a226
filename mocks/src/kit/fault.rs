//! Fault injection, shared by every mock.
//!
//! A fault rule names a route (method and path pattern) and which of its calls to spoil: from the
//! `nth` matching call on, `times` times (or for ever). The kit's middleware consults the rules
//! before a request reaches the provider, so no provider handler knows about faults; a provider
//! only says how its own error body looks ([`crate::Provider::fault_response`]). Rules are set
//! in-process, from scenario steps, or with `POST /__ferry/faults`, and removed again to show
//! recovery.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::kit::journal::path_matches;

/// What happens to a faulted call.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Answer normally, but only after `ms` milliseconds.
    Delay { ms: u64 },
    /// Answer with this status and the provider's own error body for it.
    Status { status: u16 },
    /// Close the connection without answering.
    Drop,
    /// Never answer; the client's own time-out decides what happens.
    Hang,
}

impl Fault {
    /// A short description for the journal.
    pub fn describe(&self) -> String {
        match self {
            Fault::Delay { ms } => format!("delay {ms}ms"),
            Fault::Status { status } => format!("status {status}"),
            Fault::Drop => "drop connection".into(),
            Fault::Hang => "hang".into(),
        }
    }

    /// The delay to apply before answering, if this is a delay.
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

/// The fault rules of one mock.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    inner: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    rules: Vec<ActiveFault>,
}

impl Faults {
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
}
