//! [`Sandbox`]: the public entry point, running each call on a blocking thread with a safety
//! time-out around it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::call::ScriptCall;
use crate::config::SandboxConfig;
use crate::host::Completion;
use crate::outcome::{CallOutcome, CallResult, ScriptException};
use crate::runner::{self, Job};

/// Extra time granted to the call's thread beyond the time limit before [`Sandbox::run`] gives
/// up on it and reports [`CallResult::TimedOut`] (the engine normally stops on its own).
const SAFETY_MARGIN: Duration = Duration::from_secs(2);

/// Runs Auth0 custom database scripts. Cheap to clone (the configuration is shared).
/// Serialises as its configuration.
#[derive(Debug, Clone)]
pub struct Sandbox {
    config: Arc<SandboxConfig>,
}

impl serde::Serialize for Sandbox {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.config.serialize(serializer)
    }
}

impl Sandbox {
    /// A sandbox with the given limits and HTTP client.
    pub fn new(config: SandboxConfig) -> Self {
        crate::alloc::keep_freed_pages();
        Self {
            config: Arc::new(config),
        }
    }

    /// The configuration this sandbox was built with.
    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// Runs one script call in a fresh JavaScript runtime and reports how it ended.
    ///
    /// The JavaScript runs on a Tokio blocking thread (`spawn_blocking`); HTTP requests run as
    /// tasks on the current Tokio runtime, so this must be called from within one (any flavour).
    /// Never blocks the async worker, never panics on script input, and always returns within
    /// the time limit plus a small margin. Dropping the future stops the call promptly.
    pub async fn run(&self, call: ScriptCall) -> CallOutcome {
        let started = Instant::now();
        let cancel = Arc::new(AtomicBool::new(false));
        let (completions, receiver) = mpsc::channel();
        let _guard = CancelOnDrop {
            cancel: cancel.clone(),
            completions: completions.clone(),
        };
        let job = Job {
            call,
            time_limit: self.config.time_limit,
            memory_limit: self.config.memory_limit,
            client: self.config.http.clone(),
            http_timeout_default: self.config.http_timeout_default,
            outbound: self.config.outbound.clone(),
            routes: self.config.routes.clone(),
            handle: tokio::runtime::Handle::current(),
            cancel,
            completions,
            receiver,
            started,
        };
        let task = tokio::task::spawn_blocking(move || runner::run(&job));
        match tokio::time::timeout(self.config.time_limit.saturating_add(SAFETY_MARGIN), task).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(join_error)) => CallOutcome {
                result: CallResult::Threw(ScriptException {
                    name: "Error".to_owned(),
                    message: format!("sandbox error: the call's thread failed: {join_error}"),
                    line: None,
                    column: None,
                    stack: None,
                }),
                console: Vec::new(),
                http: Vec::new(),
                elapsed: started.elapsed(),
            },
            Err(_) => CallOutcome {
                result: CallResult::TimedOut,
                console: Vec::new(),
                http: Vec::new(),
                elapsed: started.elapsed(),
            },
        }
    }
}

/// Stops the call's thread when `run` returns or its future is dropped: the interrupt handler
/// sees the flag, and a waiting event loop wakes up on the message.
#[derive(Debug)]
struct CancelOnDrop {
    cancel: Arc<AtomicBool>,
    completions: mpsc::Sender<Completion>,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        // Fails only when the call already ended.
        let _ = self.completions.send(Completion::Cancelled);
    }
}
