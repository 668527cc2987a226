//! Progress of a run, as events the engine sends ([`Progress`]): which phase it is in, how
//! many users there are once that is known, users accounted for, jobs sent and finished.
//! [`Console`] shows them to a person: a bar on a terminal (phase, users done of the total,
//! percentage, rate, time left, jobs), plain lines on standard error otherwise (a CI log: one
//! line per phase and one every tenth of the way); [`Silent`] shows nothing (tests, scenarios).

use std::sync::Mutex;

use crate::term::{self, thousands};

/// The phases of a run, in order (a run may skip some: `ferry import` exports nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Accounts being exported from the provider (`accounts.search`, IdentitySync).
    Export,
    /// The whole input read through before the first job, so that a file that cannot be read
    /// whole imports nobody.
    Check,
    /// Records transformed to Auth0 users (Gigya, Stormpath), checked, packed into files and
    /// sent as jobs.
    Import { transform: bool },
    /// Every file sent: the last jobs followed to their end.
    Follow,
}

impl Phase {
    /// The phase's name as a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Export => "exporting",
            Phase::Check => "checking the input",
            Phase::Import { transform: true } => "transforming and importing",
            Phase::Import { transform: false } => "importing",
            Phase::Follow => "following the last jobs",
        }
    }
}

/// Receives progress events. Every method has a default that ignores it.
pub trait Progress: Send + Sync {
    /// A phase began.
    fn phase(&self, _phase: Phase) {}
    /// The number of users the run will account for, once known.
    fn total(&self, _users: u64) {}
    /// Accounts exported so far (during [`Phase::Export`]).
    fn exported(&self, _accounts: u64) {}
    /// A user was accounted for (imported, failed or skipped).
    fn user_done(&self) {}
    /// A job was accepted by Auth0.
    fn job_submitted(&self, _id: &str, _users: usize) {}
    /// A job finished.
    fn job_done(&self, _id: &str) {}
    /// Something a person should read now (a warning, where the run continues from).
    fn note(&self, _text: &str) {}
}

/// No output.
#[derive(Debug, Default)]
pub struct Silent;

impl Progress for Silent {}

#[derive(Debug, Default)]
struct Counts {
    phase: Option<Phase>,
    total: Option<u64>,
    users: u64,
    exported: u64,
    running: u64,
    done: u64,
    /// The last tenth of the way a plain line was written for.
    tenth: u64,
}

impl Counts {
    /// `2 jobs running, 3 done`, or nothing before the first job.
    fn jobs(&self) -> Option<String> {
        let mut parts = vec![];
        if self.running > 0 {
            parts.push(format!(
                "{} {} running",
                self.running,
                if self.running == 1 { "job" } else { "jobs" }
            ));
        }
        if self.done > 0 {
            parts.push(format!("{} done", self.done));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }

    /// A plain line about where the run is: `importing: 1,500 of 3,000 users (50%), 2 jobs
    /// running, 1 done`.
    fn line(&self) -> String {
        let phase = self.phase.map_or("working", Phase::label);
        let mut parts = vec![];
        match self.total {
            Some(total) if total > 0 => parts.push(format!(
                "{} of {} users ({}%)",
                thousands(self.users),
                thousands(total),
                self.users * 100 / total
            )),
            _ if self.users > 0 => parts.push(format!("{} users", thousands(self.users))),
            _ => {}
        }
        if let Some(jobs) = self.jobs() {
            parts.push(jobs);
        }
        if parts.is_empty() {
            phase.to_owned()
        } else {
            format!("{phase}: {}", parts.join(", "))
        }
    }
}

/// Progress for a person: a bar on standard error when it is a terminal, plain lines there
/// otherwise.
#[derive(Debug)]
pub struct Console {
    bar: term::Progress,
    counts: Mutex<Counts>,
}

impl Console {
    /// A bar when standard error is a terminal.
    pub fn new() -> Self {
        Self::with_terminal(term::Stream::Stderr.is_terminal())
    }

    /// As [`Console::new`], saying whether standard error is a terminal.
    pub fn with_terminal(terminal: bool) -> Self {
        let bar = term::Progress::counter("users", terminal);
        bar.set_prefix("starting");
        Self {
            bar,
            counts: Mutex::new(Counts::default()),
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish();
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A plain line on standard error (above the bar when there is one).
    fn say(&self, text: &str) {
        self.bar.println(text);
    }

    fn refresh(&self, counts: &Counts) {
        if !self.bar.is_visible() {
            return;
        }
        self.bar
            .set_message(counts.jobs().map(|j| format!(" · {j}")).unwrap_or_default());
    }
}

impl Default for Console {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress for Console {
    fn phase(&self, phase: Phase) {
        let mut counts = self.counts();
        if counts.phase == Some(phase) {
            return;
        }
        counts.phase = Some(phase);
        self.bar.set_prefix(phase.label());
        if self.bar.is_visible() {
            self.refresh(&counts);
        } else {
            let line = counts.line();
            drop(counts);
            self.say(&line);
        }
    }

    fn total(&self, users: u64) {
        let mut counts = self.counts();
        counts.total = Some(users);
        self.bar.set_length(users);
        self.bar.set_position(counts.users);
    }

    fn exported(&self, accounts: u64) {
        let mut counts = self.counts();
        counts.exported = accounts;
        if self.bar.is_visible() {
            self.bar.set_position(accounts);
        }
    }

    fn user_done(&self) {
        let mut counts = self.counts();
        counts.users += 1;
        if self.bar.is_visible() {
            self.bar.set_position(counts.users);
            return;
        }
        // Plain output: a line each tenth of the way for a run of a thousand users or more
        // (each 10,000 users when the total is not known); a smaller run has its phase lines.
        let tenth = match counts.total {
            Some(total) if total >= 1000 => counts.users * 10 / total,
            Some(_) => 0,
            None => counts.users / 10_000,
        };
        if tenth > counts.tenth {
            counts.tenth = tenth;
            let line = counts.line();
            drop(counts);
            self.say(&line);
        }
    }

    fn job_submitted(&self, _id: &str, _users: usize) {
        let mut counts = self.counts();
        counts.running += 1;
        self.refresh(&counts);
    }

    fn job_done(&self, _id: &str) {
        let mut counts = self.counts();
        counts.running = counts.running.saturating_sub(1);
        counts.done += 1;
        self.refresh(&counts);
    }

    fn note(&self, text: &str) {
        self.say(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_have_no_dangling_separators() {
        let mut counts = Counts::default();
        assert_eq!(counts.line(), "working");
        counts.phase = Some(Phase::Check);
        assert_eq!(counts.line(), "checking the input");
        counts.phase = Some(Phase::Import { transform: false });
        counts.total = Some(3000);
        counts.users = 1500;
        assert_eq!(counts.line(), "importing: 1,500 of 3,000 users (50%)");
        counts.running = 2;
        assert_eq!(counts.line(), "importing: 1,500 of 3,000 users (50%), 2 jobs running");
        counts.running = 1;
        counts.done = 3;
        assert_eq!(
            counts.line(),
            "importing: 1,500 of 3,000 users (50%), 1 job running, 3 done"
        );
        counts.total = None;
        counts.users = 0;
        counts.running = 0;
        assert_eq!(counts.line(), "importing: 3 done");
    }

    #[test]
    fn a_console_without_a_terminal_takes_every_event() {
        let console = Console::with_terminal(false);
        console.phase(Phase::Check);
        console.total(2000);
        console.phase(Phase::Import { transform: true });
        for _ in 0..2000 {
            console.user_done();
        }
        console.job_submitted("job_1", 20);
        console.job_done("job_1");
        console.phase(Phase::Follow);
        console.note("a note");
        console.finish();
        assert_eq!(console.counts().tenth, 10, "a line at each tenth");
    }
}
