//! `setTimeout`, `setInterval`, `setImmediate` and their `clear*` counterparts.
//!
//! The JavaScript side (`timers.js`) keeps the callbacks by id; the Rust side keeps the
//! schedule ([`Timers`]), which the event loop consults to know when to wake up, and fires
//! due timers by calling back into `timers.js`. `unref()`ed timers still fire while something
//! else keeps the call alive but do not keep it alive themselves, as in Node.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use rquickjs::{Ctx, Function, Object};

use crate::host::Host;

/// JavaScript half of the timers.
pub(crate) const JS: &str = include_str!("timers.js");

#[derive(Debug, Clone, Copy)]
struct Entry {
    due: Instant,
    seq: u64,
    interval: Option<Duration>,
    keep_alive: bool,
}

/// The schedule of pending timers.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    /// `(due, insertion sequence, id)`: ordered by due time, then FIFO.
    queue: BTreeSet<(Instant, u64, u64)>,
    entries: HashMap<u64, Entry>,
    seq: u64,
}

impl Timers {
    /// Schedules timer `id` after `delay`, repeating when `repeat`.
    pub(crate) fn start(&mut self, id: u64, delay: Duration, repeat: bool) {
        self.seq += 1;
        let entry = Entry {
            due: Instant::now() + delay,
            seq: self.seq,
            interval: repeat.then_some(delay),
            keep_alive: true,
        };
        self.queue.insert((entry.due, entry.seq, id));
        self.entries.insert(id, entry);
    }

    /// Cancels timer `id` (no-op when unknown).
    pub(crate) fn clear(&mut self, id: u64) {
        if let Some(entry) = self.entries.remove(&id) {
            self.queue.remove(&(entry.due, entry.seq, id));
        }
    }

    /// `ref()` / `unref()`.
    pub(crate) fn set_keep_alive(&mut self, id: u64, keep_alive: bool) {
        if let Some(entry) = self.entries.get_mut(&id) {
            entry.keep_alive = keep_alive;
        }
    }

    /// Whether timer `id` keeps the call alive.
    pub(crate) fn keeps_alive(&self, id: u64) -> bool {
        self.entries.get(&id).is_some_and(|e| e.keep_alive)
    }

    /// Whether any timer keeps the call alive.
    pub(crate) fn any_keep_alive(&self) -> bool {
        self.entries.values().any(|e| e.keep_alive)
    }

    /// When the next timer is due.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.queue.first().map(|&(due, _, _)| due)
    }

    /// Takes the earliest timer due at `now`, rescheduling it when it repeats.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<u64> {
        let &(due, seq, id) = self.queue.first()?;
        if due > now {
            return None;
        }
        self.queue.remove(&(due, seq, id));
        let entry = self.entries.remove(&id)?;
        if let Some(interval) = entry.interval {
            self.seq += 1;
            let next = Entry {
                due: now + interval,
                seq: self.seq,
                ..entry
            };
            self.queue.insert((next.due, next.seq, id));
            self.entries.insert(id, next);
        }
        Some(id)
    }
}

/// Adds `timerStart`, `timerClear`, `timerRef` and `timerHasRef` to the native object.
pub(crate) fn register<'js>(ctx: &Ctx<'js>, native: &Object<'js>, host: &Host) -> rquickjs::Result<()> {
    let h = host.clone();
    native.set(
        "timerStart",
        Function::new(ctx.clone(), move |delay_ms: f64, repeat: bool| -> f64 {
            // timers.js already clamps to Node's range (1 ms .. 2^31-1 ms)
            let delay =
                Duration::try_from_secs_f64(delay_ms.clamp(0.0, 2_147_483_647.0) / 1000.0).unwrap_or(Duration::ZERO);
            let mut state = h.state.borrow_mut();
            let id = state.next_id();
            state.timers.start(id, delay, repeat);
            id as f64
        })?,
    )?;
    let h = host.clone();
    native.set(
        "timerClear",
        Function::new(ctx.clone(), move |id: f64| {
            h.state.borrow_mut().timers.clear(id as u64);
        })?,
    )?;
    let h = host.clone();
    native.set(
        "timerRef",
        Function::new(ctx.clone(), move |id: f64, keep_alive: bool| {
            h.state.borrow_mut().timers.set_keep_alive(id as u64, keep_alive);
        })?,
    )?;
    let h = host.clone();
    native.set(
        "timerHasRef",
        Function::new(ctx.clone(), move |id: f64| -> bool {
            h.state.borrow().timers.keeps_alive(id as u64)
        })?,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_fire_in_due_order_and_intervals_repeat() {
        let mut timers = Timers::default();
        timers.start(1, Duration::from_millis(20), false);
        timers.start(2, Duration::ZERO, false);
        timers.start(3, Duration::ZERO, true);
        let later = Instant::now() + Duration::from_millis(30);
        assert_eq!(timers.pop_due(later), Some(2));
        assert_eq!(timers.pop_due(later), Some(3));
        assert_eq!(timers.pop_due(later), Some(1));
        // The interval was rescheduled relative to `later`.
        assert_eq!(timers.pop_due(later), Some(3));
        timers.clear(3);
        assert_eq!(timers.pop_due(later + Duration::from_secs(1)), None);
        assert!(!timers.any_keep_alive());
    }

    #[test]
    fn unref_timers_do_not_keep_the_call_alive() {
        let mut timers = Timers::default();
        timers.start(7, Duration::from_secs(1), false);
        assert!(timers.any_keep_alive());
        timers.set_keep_alive(7, false);
        assert!(!timers.any_keep_alive());
        assert!(timers.next_due().is_some());
    }
}
