//! One call, start to finish, on its own (blocking) thread: a fresh QuickJS runtime and
//! context, the globals, the script, and a small event loop.
//!
//! The loop: evaluate the script as a function expression, call it with the arguments and
//! `callback`, drain the job (microtask) queue, then repeatedly fire due timers or wait on the
//! completion channel for HTTP results (up to the next timer or the deadline), handing each
//! to its JavaScript callback and draining jobs again. It ends as soon as `callback` has been
//! called: from then on the engine's interrupt handler stops whatever the script still runs
//! (the rest of a busy function, promise jobs, finalization callbacks) and queued jobs, timers
//! and requests are abandoned, so the answer never waits for leftover work. Otherwise it ends
//! when an exception escapes, a promise
//! rejection stays unhandled, nothing is pending any more (`NoCallback`), or the deadline
//! passes. The deadline is also enforced inside the engine by the interrupt handler, so busy
//! loops stop, and the memory limit is the runtime's.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use rquickjs::context::intrinsic;
use rquickjs::function::Args;
use rquickjs::{Context, Ctx, Function, IntoJs, Persistent, Runtime, Value};

use crate::alloc::Budget;
use crate::call::ScriptCall;
use crate::exception::{Thrown, classify};
use crate::globals::{self, Hooks, request};
use crate::host::{Completion, ExchangeLog, Host, HostState, Rejection, Services};
use crate::outbound::{Outbound, Routes};
use crate::outcome::{CallOutcome, CallResult, ScriptException};

/// Everything the call's thread needs.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) call: ScriptCall,
    pub(crate) time_limit: Duration,
    pub(crate) memory_limit: usize,
    pub(crate) client: reqwest::Client,
    pub(crate) http_timeout_default: Option<Duration>,
    pub(crate) outbound: Outbound,
    pub(crate) routes: Routes,
    pub(crate) handle: tokio::runtime::Handle,
    pub(crate) cancel: Arc<AtomicBool>,
    pub(crate) completions: mpsc::Sender<Completion>,
    pub(crate) receiver: mpsc::Receiver<Completion>,
    pub(crate) started: Instant,
}

/// Runs the call to completion. Blocks; never panics on script input.
pub(crate) fn run(job: &Job) -> CallOutcome {
    // A limit too large to represent is as good as none: a year.
    let deadline = job
        .started
        .checked_add(job.time_limit)
        .unwrap_or_else(|| job.started + Duration::from_secs(365 * 24 * 3600));
    let host = Host {
        services: Rc::new(Services {
            handle: job.handle.clone(),
            client: job.client.clone(),
            completions: job.completions.clone(),
            http_timeout_default: job.http_timeout_default,
            budget: Budget::new(job.memory_limit),
            request_slots: Arc::new(tokio::sync::Semaphore::new(request::MAX_REQUESTS_IN_FLIGHT)),
            source: job.call.source.clone(),
            file_name: job.call.file_name.clone(),
            exchanges: ExchangeLog::default(),
            outbound: Arc::new(job.outbound.clone()),
            routes: job.routes.clone(),
            deadline,
            cancel: job.cancel.clone(),
            answered: Arc::new(AtomicBool::new(false)),
        }),
        state: Rc::new(RefCell::new(HostState::default())),
    };
    let result = execute(job, &host, deadline);
    // QuickJS is built without its assertions (as its own release build is, see the workspace
    // Cargo.toml), among them the one that aborted when freeing a runtime found objects still
    // alive. Debug builds (the tests) keep that check, on the call's own count of its heap:
    // every block the runtime allocated is freed with it.
    debug_assert_eq!(
        host.services.budget.heap(),
        0,
        "a call's runtime was freed with JavaScript memory still allocated (a leak)"
    );

    // Requests waiting for a slot must not take one freed by an aborted request.
    host.services.request_slots.close();
    let pending: Vec<_> = host.state.borrow_mut().http_pending.drain().collect();
    for (_, task) in pending {
        task.abort();
    }
    let console = std::mem::take(&mut host.state.borrow_mut().console);
    CallOutcome {
        result,
        console,
        http: host.services.exchanges.drain(),
        elapsed: job.started.elapsed(),
    }
}

fn execute(job: &Job, host: &Host, deadline: Instant) -> CallResult {
    // The allocator enforces the memory limit (the heap and the response bodies together).
    let Ok(runtime) = Runtime::new_with_alloc(crate::alloc::MiAlloc(host.services.budget.clone())) else {
        return CallResult::OutOfMemory;
    };
    let (cancel, answered) = (job.cancel.clone(), host.services.answered.clone());
    runtime.set_interrupt_handler(Some(Box::new(move || {
        answered.load(Ordering::Relaxed) || cancel.load(Ordering::Relaxed) || Instant::now() >= deadline
    })));
    let tracker_host = host.clone();
    runtime.set_host_promise_rejection_tracker(Some(Box::new(move |ctx, promise, reason, is_handled| {
        track_rejection(&tracker_host, &ctx, promise, &reason, is_handled);
    })));
    let Ok(context) = Context::custom::<Intrinsics>(&runtime) else {
        return CallResult::OutOfMemory;
    };
    // Declared after the context, so dropped before it even when unwinding: persistent
    // values left in the host state would make freeing the runtime abort.
    let _forget_rejections = ForgetRejections(host);
    let result = context.with(|ctx| {
        let result = EventLoop {
            ctx: ctx.clone(),
            host,
            job,
            deadline,
            outcome: None,
        }
        .run();
        // Persistent values must not outlive the context.
        host.state.borrow_mut().rejections.clear();
        result
    });
    runtime.set_host_promise_rejection_tracker(None);
    runtime.set_interrupt_handler(None);
    host.state.borrow_mut().rejections.clear();
    drop(context);
    result
}

/// What a call's context starts with: ECMAScript's built-ins and `performance`, as
/// `Context::full` has them, except the typed arrays, `Map`/`Set` and `Date`, added when the
/// script first names one (`lazy.rs`), and QuickJS's own `atob`/`btoa` (`buffer.js` provides
/// Node's).
type Intrinsics = (
    intrinsic::Eval,
    intrinsic::RegExpCompiler,
    intrinsic::RegExp,
    intrinsic::Json,
    intrinsic::Proxy,
    intrinsic::Promise,
    intrinsic::Performance,
    intrinsic::WeakRef,
);

/// Clears the tracked rejections (which hold persistent engine values) when dropped.
struct ForgetRejections<'a>(&'a Host);

impl Drop for ForgetRejections<'_> {
    fn drop(&mut self) {
        if let Ok(mut state) = self.0.state.try_borrow_mut() {
            state.rejections.clear();
        }
    }
}

/// Host promise-rejection tracker: remembers promises rejected without a handler and forgets
/// them when a handler is attached later.
fn track_rejection<'js>(host: &Host, ctx: &Ctx<'js>, promise: Value<'js>, reason: &Value<'js>, is_handled: bool) {
    if is_handled {
        let Ok(mut state) = host.state.try_borrow_mut() else {
            return;
        };
        state
            .rejections
            .retain(|r| r.promise.clone().restore(ctx).map_or(true, |p| p != promise));
    } else {
        // Classifying may run getters (JavaScript), so no borrow is held meanwhile.
        let thrown = classify(ctx, reason, &host.services.file_name, &host.services.source);
        if let Ok(mut state) = host.state.try_borrow_mut() {
            state.rejections.push(Rejection {
                promise: Persistent::save(ctx, promise),
                thrown,
            });
        }
    }
}

/// `(` + source without trailing semicolons/whitespace + `\n)`: a function declaration becomes
/// an expression and line numbers stay those of the file (columns on line 1 are shifted by
/// one; `stack.js` corrects them).
pub(crate) fn wrap_source(source: &str) -> String {
    let trimmed = source.trim_end_matches(|c: char| c.is_whitespace() || c == ';');
    format!("({trimmed}\n)")
}

struct EventLoop<'a, 'js> {
    ctx: Ctx<'js>,
    host: &'a Host,
    job: &'a Job,
    deadline: Instant,
    /// The terminal result, once decided (an exception or a time-out).
    outcome: Option<CallResult>,
}

impl<'js> EventLoop<'_, 'js> {
    fn run(mut self) -> CallResult {
        let hooks = match globals::install(&self.ctx, self.host, &self.job.call.configuration) {
            Ok(hooks) => hooks,
            Err(err) => {
                self.settle(Err(err));
                return self
                    .outcome
                    .take()
                    .unwrap_or_else(|| internal("installing the globals failed"));
            }
        };
        let function = match self.compile() {
            Ok(function) => function,
            Err(result) => return *result,
        };
        let result = self.invoke(&hooks, &function);
        self.settle(result);

        loop {
            self.drain_jobs();
            if let Some(result) = self.outcome.take() {
                return result;
            }
            if let Some(record) = self.host.state.borrow().callback.clone() {
                return CallResult::Callback {
                    error: record.error,
                    value: record.value,
                };
            }
            if self.expired() {
                return CallResult::TimedOut;
            }
            let rejection = {
                let mut state = self.host.state.borrow_mut();
                (!state.rejections.is_empty()).then(|| state.rejections.remove(0).thrown)
            };
            if let Some(thrown) = rejection {
                return match thrown {
                    Thrown::OutOfMemory => CallResult::OutOfMemory,
                    Thrown::Exception(e) => CallResult::Threw(e),
                };
            }

            let now = Instant::now();
            let due = self.host.state.borrow_mut().timers.pop_due(now);
            if let Some(id) = due {
                let result = hooks.fire_timer(id);
                self.settle(result);
                continue;
            }
            let (keep_alive, next_timer) = {
                let state = self.host.state.borrow();
                (
                    !state.http_pending.is_empty() || state.timers.any_keep_alive(),
                    state.timers.next_due(),
                )
            };
            if !keep_alive {
                return CallResult::NoCallback;
            }
            let wake = next_timer.map_or(self.deadline, |t| t.min(self.deadline));
            match self.job.receiver.recv_timeout(wake.saturating_duration_since(now)) {
                Ok(Completion::Http { id, result }) => {
                    if self.host.state.borrow_mut().http_pending.remove(&id).is_none() {
                        continue; // aborted by the script
                    }
                    if result.as_ref().is_err_and(|f| f.too_large) {
                        return CallResult::OutOfMemory;
                    }
                    let delivered = request::to_js(&self.ctx, self.host, result)
                        .and_then(|delivery| hooks.http_complete(id, delivery));
                    self.settle(delivered);
                }
                Ok(Completion::Cancelled) => return CallResult::TimedOut,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return CallResult::NoCallback,
            }
        }
    }

    fn expired(&self) -> bool {
        self.job.cancel.load(Ordering::Relaxed) || Instant::now() >= self.deadline
    }

    /// Whether the script has called back (leftover work is not run any more).
    fn answered(&self) -> bool {
        self.host.services.answered.load(Ordering::Relaxed)
    }

    /// Evaluates the script into its function.
    fn compile(&mut self) -> Result<Function<'js>, Box<CallResult>> {
        if self.job.call.source.trim().is_empty() {
            return Err(Box::new(invalid("SyntaxError", "the script is empty".to_owned())));
        }
        let source = wrap_source(&self.job.call.source);
        let result = match crate::bytecode::eval(&self.ctx, &self.job.call.file_name, &source) {
            Ok(value) => match value.as_function() {
                Some(function) => return Ok(function.clone()),
                None => invalid(
                    "TypeError",
                    format!(
                        "the script must be a single function, but it evaluates to {}",
                        value.type_name()
                    ),
                ),
            },
            Err(rquickjs::Error::Exception) => {
                let value = self.ctx.catch();
                if self.expired() {
                    CallResult::TimedOut
                } else {
                    let call = &self.job.call;
                    match classify(&self.ctx, &value, &call.file_name, &call.source) {
                        Thrown::OutOfMemory => CallResult::OutOfMemory,
                        Thrown::Exception(e) => {
                            CallResult::InvalidScript(syntax_error(e, &call.source, &call.file_name))
                        }
                    }
                }
            }
            Err(rquickjs::Error::InvalidString(_)) => {
                invalid("SyntaxError", "the script contains a NUL character".to_owned())
            }
            Err(err) => invalid("Error", err.to_string()),
        };
        Err(Box::new(result))
    }

    /// Calls the script function with the call's arguments, `context` and `callback`.
    fn invoke(&self, hooks: &Hooks<'js>, function: &Function<'js>) -> rquickjs::Result<Value<'js>> {
        let call = &self.job.call;
        let mut args = Args::new(self.ctx.clone(), call.args.len() + 2);
        args.this(Value::new_undefined(self.ctx.clone()))?;
        for arg in &call.args {
            args.push_arg(self.json(arg)?)?;
        }
        if let Some(context) = &call.context {
            args.push_arg(self.json(context)?)?;
        }
        let callback: Function<'js> = hooks.make_callback.call(())?;
        args.push_arg(callback)?;
        args.apply(function)
    }

    fn json(&self, value: &serde_json::Value) -> rquickjs::Result<Value<'js>> {
        match value {
            // what JSON.parse would make of it, without writing and parsing JSON (the common
            // arguments: an email, a password)
            serde_json::Value::String(text) => text.as_str().into_js(&self.ctx),
            _ => self.ctx.json_parse(value.to_string()),
        }
    }

    /// Runs queued jobs (promise reactions) until none is left, an outcome is decided, or the
    /// deadline passes.
    fn drain_jobs(&mut self) {
        while self.outcome.is_none() && !self.expired() && !self.answered() {
            if !self.ctx.execute_pending_job() {
                break;
            }
        }
    }

    /// Records the effect of a call into JavaScript that may have thrown.
    fn settle(&mut self, result: rquickjs::Result<Value<'js>>) {
        let Err(error) = result else {
            return;
        };
        // Always take the pending exception off the context.
        let caught = matches!(error, rquickjs::Error::Exception).then(|| self.ctx.catch());
        if self.outcome.is_some() {
            return;
        }
        let callback_done = self.host.state.borrow().callback.is_some();
        if self.expired() && !callback_done {
            self.outcome = Some(CallResult::TimedOut);
            return;
        }
        let thrown = match (error, caught) {
            (rquickjs::Error::Exception, Some(value)) => {
                classify(&self.ctx, &value, &self.job.call.file_name, &self.job.call.source)
            }
            (rquickjs::Error::Allocation, _) => Thrown::OutOfMemory,
            (other, _) => Thrown::Exception(ScriptException {
                name: "Error".to_owned(),
                message: format!("sandbox error: {other}"),
                line: None,
                column: None,
                stack: None,
            }),
        };
        if callback_done {
            let text = match &thrown {
                Thrown::OutOfMemory => "out of memory".to_owned(),
                Thrown::Exception(e) if e.name == "InternalError" && e.message == "interrupted" => {
                    self.host
                        .state
                        .borrow_mut()
                        .warn("[sandbox] the script was still running after calling back: stopped".to_owned());
                    return;
                }
                Thrown::Exception(e) => e.to_string(),
            };
            self.host
                .state
                .borrow_mut()
                .warn(format!("[sandbox] uncaught exception after callback: {text}"));
            return;
        }
        self.outcome = Some(match thrown {
            Thrown::OutOfMemory => CallResult::OutOfMemory,
            Thrown::Exception(e) => CallResult::Threw(e),
        });
    }
}

/// QuickJS' compile errors in V8's wording where they coincide (`Unexpected token ';'`,
/// `Unexpected end of input`), otherwise capitalised as V8's are. An error found on the
/// closing parenthesis added by [`wrap_source`] means the script ended early: it is reported
/// as `Unexpected end of input` at the end of the script.
fn syntax_error(mut e: ScriptException, source: &str, file_name: &str) -> ScriptException {
    if e.name != "SyntaxError" {
        return e;
    }
    let trimmed = source.trim_end_matches(|c: char| c.is_whitespace() || c == ';');
    let last_line = u32::try_from(trimmed.lines().count().max(1)).unwrap_or(u32::MAX);
    let message = if e.line.is_some_and(|line| line > last_line) || e.message == "unexpected token in expression: ''" {
        let last = trimmed.lines().last().unwrap_or_default();
        e.line = Some(last_line);
        e.column = Some(u32::try_from(last.chars().count() + 1).unwrap_or(u32::MAX));
        "Unexpected end of input".to_owned()
    } else if let Some(token) = e.message.strip_prefix("unexpected token in expression: ") {
        format!("Unexpected token {token}")
    } else {
        let mut chars = e.message.chars();
        chars
            .next()
            .map(|first| first.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    };
    if e.stack.is_some() {
        let location = match (e.line, e.column) {
            (Some(line), Some(column)) => format!("\n    at {file_name}:{line}:{column}"),
            _ => String::new(),
        };
        e.stack = Some(format!("SyntaxError: {message}{location}"));
    }
    e.message = message;
    e
}

/// An [`CallResult::InvalidScript`] without position.
fn invalid(name: &str, message: String) -> CallResult {
    CallResult::InvalidScript(ScriptException {
        name: name.to_owned(),
        message,
        line: None,
        column: None,
        stack: None,
    })
}

fn internal(message: &str) -> CallResult {
    CallResult::Threw(ScriptException {
        name: "Error".to_owned(),
        message: format!("sandbox error: {message}"),
        line: None,
        column: None,
        stack: None,
    })
}

#[cfg(test)]
mod tests {
    use super::wrap_source;

    #[test]
    fn wrapping_keeps_lines_and_drops_trailing_semicolons() {
        assert_eq!(wrap_source("function f() {}\n;\n  "), "(function f() {}\n)");
        assert_eq!(wrap_source("async (a) => a;"), "(async (a) => a\n)");
        assert_eq!(wrap_source("function f() {} // done"), "(function f() {} // done\n)");
    }
}
