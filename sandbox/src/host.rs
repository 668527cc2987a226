//! Per-call host state, shared between the event loop and the native functions behind the
//! JavaScript globals.
//!
//! Everything here lives on the call's dedicated thread: [`Host`] is a cheap `Rc` handle that
//! native closures capture. The only cross-thread pieces are the completion channel, through
//! which futures running on the Tokio runtime hand their results back, and the HTTP exchange
//! log, which those futures fill in as they go.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rquickjs::{Persistent, Value};

use crate::alloc::Budget;
use crate::exception::Thrown;
use crate::globals::request::{HttpFailure, HttpResponse};
use crate::globals::timers::Timers;
use crate::lazy::Intrinsic;
use crate::outbound::{Outbound, Routes};
use crate::outcome::{ConsoleLine, HttpExchange, ScriptError};

/// Something that happened outside the engine and must be handed to the script.
#[derive(Debug)]
pub(crate) enum Completion {
    /// An HTTP request started by `request(...)` finished (successfully or not).
    Http {
        id: u64,
        result: Result<HttpResponse, HttpFailure>,
    },
    /// The caller gave up on the call (its future was dropped or timed out).
    Cancelled,
}

/// Immutable services of one call.
#[derive(Debug)]
pub(crate) struct Services {
    pub(crate) handle: tokio::runtime::Handle,
    pub(crate) client: reqwest::Client,
    pub(crate) completions: mpsc::Sender<Completion>,
    pub(crate) http_timeout_default: Option<Duration>,
    /// The call's memory: its JavaScript heap and the response bodies being received.
    pub(crate) budget: Arc<Budget>,
    /// Requests allowed in flight at once (each holds at most one socket): the others wait.
    pub(crate) request_slots: Arc<tokio::sync::Semaphore>,
    pub(crate) source: Arc<str>,
    pub(crate) file_name: String,
    pub(crate) exchanges: ExchangeLog,
    /// Hosts `request` may reach.
    pub(crate) outbound: Arc<Outbound>,
    /// Hosts whose requests go to a mock instead.
    pub(crate) routes: Routes,
    /// When the call's time is up.
    pub(crate) deadline: Instant,
    /// Set when the caller gave up on the call.
    pub(crate) cancel: Arc<AtomicBool>,
    /// Set when the script called `callback` (the first time): the call has its answer, and
    /// whatever the script still does is stopped.
    pub(crate) answered: Arc<AtomicBool>,
}

impl Services {
    /// Whether the call's time is over: its deadline passed or the caller gave up.
    pub(crate) fn expired(&self) -> bool {
        self.cancel.load(Ordering::Relaxed) || Instant::now() >= self.deadline
    }

    /// Whether running code should stop: the call's time is over, or the script has already
    /// called back. Long native computations (PBKDF2) poll this, as the engine's interrupt
    /// handler does.
    pub(crate) fn should_stop(&self) -> bool {
        self.answered.load(Ordering::Relaxed) || self.expired()
    }
}

/// The first `callback(...)` call.
#[derive(Debug, Clone)]
pub(crate) struct CallbackRecord {
    pub(crate) error: Option<ScriptError>,
    pub(crate) value: Option<serde_json::Value>,
}

/// A promise rejected without a handler (so far).
#[derive(Debug)]
pub(crate) struct Rejection {
    pub(crate) promise: Persistent<Value<'static>>,
    pub(crate) thrown: Thrown,
}

/// Console output kept per call; beyond this the output is cut with a warning (a script
/// logging in a loop until the time limit must not exhaust the host's memory).
const CONSOLE_MAX_LINES: usize = 10_000;
const CONSOLE_MAX_BYTES: usize = 1024 * 1024;

/// Mutable state of one call.
#[derive(Debug, Default)]
pub(crate) struct HostState {
    pub(crate) console: Vec<ConsoleLine>,
    console_bytes: usize,
    console_truncated: bool,
    pub(crate) callback: Option<CallbackRecord>,
    pub(crate) timers: Timers,
    /// In-flight HTTP requests by id.
    pub(crate) http_pending: HashMap<u64, tokio::task::AbortHandle>,
    pub(crate) rejections: Vec<Rejection>,
    next_id: u64,
    /// Requests the script has started (each counts once, redirects included).
    pub(crate) requests_started: u32,
    /// Which lazy built-ins are in the context, by [`Intrinsic`] (see [`Host::builtin`]).
    builtins: [Builtin; Intrinsic::ALL.len()],
}

impl HostState {
    /// A fresh id for a host operation (timer or HTTP request); ids start at 1.
    pub(crate) fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Records a console line, within the output limits.
    pub(crate) fn log(&mut self, level: String, text: String) {
        if self.console_truncated {
            return;
        }
        if self.console.len() >= CONSOLE_MAX_LINES || self.console_bytes + text.len() > CONSOLE_MAX_BYTES {
            self.console_truncated = true;
            self.console.push(ConsoleLine {
                level: "warn".to_owned(),
                text: format!(
                    "[sandbox] console output truncated (limit: {CONSOLE_MAX_LINES} lines, {CONSOLE_MAX_BYTES} bytes)"
                ),
            });
            return;
        }
        self.console_bytes += text.len();
        self.console.push(ConsoleLine { level, text });
    }

    /// Records a sandbox warning.
    pub(crate) fn warn(&mut self, text: String) {
        self.log("warn".to_owned(), text);
    }
}

/// Handle to the services and state of the current call, captured by native functions.
#[derive(Debug, Clone)]
pub(crate) struct Host {
    pub(crate) services: Rc<Services>,
    pub(crate) state: Rc<RefCell<HostState>>,
}

impl Host {
    /// Adds a group of built-ins to the call's context unless already there: the context
    /// starts without them (see `lazy.rs`). Attempted once per call and group: after a failure
    /// (a script that made one of their names non-configurable), every later use fails with a
    /// `TypeError`.
    pub(crate) fn builtin(&self, ctx: &rquickjs::Ctx<'_>, which: Intrinsic) -> rquickjs::Result<()> {
        let index = which as usize;
        let state = std::mem::replace(&mut self.state.borrow_mut().builtins[index], Builtin::Attempted);
        match state {
            Builtin::Absent => {
                crate::lazy::add_intrinsic(ctx, which)?;
                self.state.borrow_mut().builtins[index] = Builtin::Added;
                Ok(())
            }
            Builtin::Added => {
                self.state.borrow_mut().builtins[index] = Builtin::Added;
                Ok(())
            }
            Builtin::Attempted => Err(rquickjs::Exception::throw_type(
                ctx,
                &format!("{which:?} could not be added to this script's context"),
            )),
        }
    }

    /// The typed arrays, before native code creates an `ArrayBuffer`.
    pub(crate) fn typed_arrays(&self, ctx: &rquickjs::Ctx<'_>) -> rquickjs::Result<()> {
        self.builtin(ctx, Intrinsic::TypedArrays)
    }
}

/// Whether a group of built-ins is in the call's context (see [`Host::builtin`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    #[default]
    Absent,
    /// Tried and failed: never tried again.
    Attempted,
    Added,
}

/// One logged HTTP hop; `done` is false while the request is in flight.
#[derive(Debug, Clone)]
pub(crate) struct LoggedExchange {
    pub(crate) op: u64,
    pub(crate) hop: u32,
    pub(crate) started: Instant,
    pub(crate) done: bool,
    pub(crate) exchange: HttpExchange,
}

/// Log of HTTP exchanges, written by the request futures and read when the call ends.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExchangeLog(Arc<Mutex<Vec<LoggedExchange>>>);

impl ExchangeLog {
    fn lock(&self) -> MutexGuard<'_, Vec<LoggedExchange>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records the start of a hop.
    pub(crate) fn start(&self, op: u64, hop: u32, exchange: HttpExchange) {
        self.lock().push(LoggedExchange {
            op,
            hop,
            started: Instant::now(),
            done: false,
            exchange,
        });
    }

    /// Records the end of a hop.
    pub(crate) fn finish(&self, op: u64, hop: u32, status: Option<u16>, error: Option<String>) {
        let mut log = self.lock();
        if let Some(entry) = log.iter_mut().find(|e| e.op == op && e.hop == hop) {
            entry.done = true;
            entry.exchange.status = status;
            entry.exchange.error = error;
            entry.exchange.elapsed = entry.started.elapsed();
        }
    }

    /// All exchanges in start order; hops still in flight are marked as not completed.
    pub(crate) fn drain(&self) -> Vec<HttpExchange> {
        let mut log = std::mem::take(&mut *self.lock());
        log.sort_by_key(|e| (e.op, e.hop));
        log.into_iter()
            .map(|mut e| {
                if !e.done {
                    e.exchange.error = Some("not completed: the call ended before the response arrived".to_owned());
                    e.exchange.elapsed = e.started.elapsed();
                }
                e.exchange
            })
            .collect()
    }
}
