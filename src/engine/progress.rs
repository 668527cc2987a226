//! Progress of a run: a bar on a terminal, a plain line every few thousand users otherwise (CI
//! logs), nothing in tests.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Receives progress events.
pub trait Progress: Send + Sync {
    /// A user was accounted for (imported, failed or skipped).
    fn user_done(&self) {}
    /// A job was accepted by Auth0.
    fn job_submitted(&self, _id: &str, _users: usize) {}
    /// A job finished.
    fn job_done(&self, _id: &str) {}
    /// A stage began (`exporting`, `importing`, ...).
    fn stage(&self, _text: &str) {}
}

/// No output.
#[derive(Debug, Default)]
pub struct Silent;

impl Progress for Silent {}

/// A spinner with counts on a terminal; plain lines on stderr otherwise.
#[derive(Debug)]
pub struct Console {
    bar: Option<ProgressBar>,
    users: AtomicU64,
    jobs: AtomicU64,
}

/// Users between two plain progress lines.
const LINE_EVERY: u64 = 10_000;

impl Console {
    pub fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed_precise} {pos} users accounted for, {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar
        });
        Self {
            bar,
            users: AtomicU64::new(0),
            jobs: AtomicU64::new(0),
        }
    }

    /// Ends the bar (leaving its last state on screen).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

impl Default for Console {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress for Console {
    fn user_done(&self) {
        let n = self.users.fetch_add(1, Ordering::Relaxed) + 1;
        match &self.bar {
            Some(bar) => bar.set_position(n),
            None if n.is_multiple_of(LINE_EVERY) => eprintln!("{n} users accounted for"),
            None => {}
        }
    }

    fn job_submitted(&self, id: &str, users: usize) {
        let n = self.jobs.fetch_add(1, Ordering::Relaxed) + 1;
        match &self.bar {
            Some(bar) => bar.set_message(format!("{n} import jobs (last: {id}, {users} users)")),
            None => eprintln!("import job {id} submitted ({users} users)"),
        }
    }

    fn stage(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }
}
