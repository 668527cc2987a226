//! `ferry try`: run one custom database script once, the way the Auth0 dashboard's "Try"
//! button does, and show what came of it.
//!
//! [`try_script`] reads the script, builds the call Auth0 would make for its [`ScriptKind`]
//! (login gets `USER PASSWORD`, get_user an `EMAIL`, ...; with `enable_script_context` a
//! `context` argument before `callback`), runs it in the [`sandbox`] with the connection's
//! configuration, a time limit and an outbound allowlist (loopback plus the hosts the user
//! allows), with the services' real host names (`https://acme.okta.com`, ...) routed to
//! throw-away mocks (seeded with `--seed`) and `--route`'s hosts to the URL or mock given,
//! and returns a [`TryReport`]: the returned profile or value, or the error as the
//! script reported it, with the script's line for a crash; then the console output and every
//! HTTP request with its answer.
//!
//! Nothing here decides what Auth0 makes of the result: the mock tenant's rules do. What the
//! script put out is kept as the mock tenant keeps it ([`mocks::auth0::keep`]: the password
//! arguments and configuration values named like secrets masked in every channel, every string
//! capped), the result is read as the mock reads it and [`TryReport::auth0`] is the answer the
//! mock's flow for that kind gives ([`mocks::auth0::verdict`]): for a login, the status, error
//! and description `/oauth/token` answers and the tenant log event it writes. A test runs the
//! same scripts through `ferry try` and the mock tenant and compares.
//!
//! This module is clap-free: `cli.rs` parses the command line into [`TryOptions`] (with
//! [`ScriptKind::from_str`](std::str::FromStr), [`parse_key_value`] and
//! [`HostRule`]'s `FromStr`) and prints [`TryReport::render`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), ferry::tryout::TryError> {
//! use ferry::tryout::{ScriptKind, TryOptions, try_script};
//!
//! let mut options = TryOptions::new(ScriptKind::Login, "scripts/login.js");
//! options.args = vec!["jane@example.com".into(), "hunter2".into()];
//! options.configuration.insert("API_URL".into(), "http://127.0.0.1:4000".into());
//! let report = try_script(options).await?;
//! print!("{}", report.render());
//! # Ok(())
//! # }
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use mocks::auth0::verdict::{self, Answer, USER_ID_MANDATORY};
use mocks::kit::hosts::{MOCK_NAMES, provider_routes};
use mocks::kit::journal::MASK;
use mocks::kit::secrets::Masker;
use sandbox::{CallOutcome, CallResult, Sandbox, SandboxConfig, ScriptCall, ScriptError, ScriptException};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// The script kinds: the mock Auth0's own (`ferry try` runs all but `change_username` and
/// `change_phone_number`, whose calls Auth0 does not document).
pub use mocks::auth0::ScriptKind;
/// The allowlist types of [`TryOptions::allow_hosts`] and [`TryReport::outbound`], and the
/// routes of [`TryReport::routes`], so callers need nothing from the `sandbox` crate itself.
pub use sandbox::{HostRule, HostRuleError, Outbound, Routes};

/// The `tenant`, `client_id` and `connection` of the user a create script receives when it
/// is given as `EMAIL PASSWORD`.
const TRY_TENANT: &str = "ferry";
const TRY_CLIENT: &str = "ferry-try";
const TRY_CONNECTION: &str = "ferry-try";

/// The arguments a `kind` script takes on the command line (`None`: `ferry try` cannot run it).
pub fn usage(kind: ScriptKind) -> Option<&'static str> {
    match kind {
        ScriptKind::Login => Some("USER PASSWORD"),
        ScriptKind::GetUser | ScriptKind::Verify => Some("EMAIL"),
        ScriptKind::Create => Some("USER_JSON | EMAIL PASSWORD"),
        ScriptKind::ChangePassword => Some("EMAIL NEW_PASSWORD"),
        ScriptKind::Delete => Some("ID"),
        ScriptKind::ChangeEmail => Some("EMAIL NEW_EMAIL VERIFIED"),
        ScriptKind::ChangeUsername | ScriptKind::ChangePhoneNumber => None,
    }
}

/// Everything `ferry try` needs. Build with [`TryOptions::new`] and set the rest.
#[derive(Debug, Clone)]
pub struct TryOptions {
    /// Which script it is (decides the arguments and how the result reads).
    pub kind: ScriptKind,
    /// The script file.
    pub script: PathBuf,
    /// The positional arguments, as typed (see [`usage`]).
    pub args: Vec<String>,
    /// The connection's `configuration` (`--config KEY=VALUE`).
    pub configuration: BTreeMap<String, String>,
    /// Hosts the script may reach besides loopback (`--allow-host`).
    pub allow_hosts: Vec<HostRule>,
    /// Lift the outbound allowlist altogether (`--allow-any-host`).
    pub allow_any_host: bool,
    /// The execution limit (`--timeout`; Auth0: about 20 s).
    pub timeout: Duration,
    /// With `enable_script_context`, the `context` argument as JSON text (`--context`).
    pub context: Option<String>,
    /// Hosts whose requests go elsewhere (`--route HOST=TARGET`): TARGET an origin URL
    /// (`http://127.0.0.1:4010`, a running `ferry serve`'s mock) or a mock name (`okta`, ...:
    /// the throw-away mock). See [`parse_route`].
    pub routes: Vec<(String, String)>,
    /// Seed file for the throw-away mocks (`--seed`, the `ferry serve --seed` format).
    pub seed: Option<PathBuf>,
}

impl TryOptions {
    /// No arguments, configuration or extra hosts; a 20 s limit; no context.
    pub fn new(kind: ScriptKind, script: impl Into<PathBuf>) -> Self {
        Self {
            kind,
            script: script.into(),
            args: Vec::new(),
            configuration: BTreeMap::new(),
            allow_hosts: Vec::new(),
            allow_any_host: false,
            timeout: Duration::from_secs(20),
            context: None,
            routes: Vec::new(),
            seed: None,
        }
    }
}

/// Parses `HOST=TARGET` for `--route`: a host name or `*.domain`, and an origin URL
/// (`http://127.0.0.1:4010`) or a mock name (`okta`, `stormpath`, `gigya`, `auth0`).
pub fn parse_route(text: &str) -> Result<(String, String), String> {
    let Some((host, target)) = text.split_once('=') else {
        return Err(format!(
            "expected HOST=URL or HOST=MOCK (e.g. idp.acme.com=http://127.0.0.1:4010, idp.acme.com=okta), got {text:?}"
        ));
    };
    let (host, target) = (host.trim(), target.trim());
    let check = if MOCK_NAMES.contains(&target) {
        Routes::new().route(host, "http://127.0.0.1", target)
    } else {
        Routes::new().route(host, target, "")
    };
    check.map_err(|e| {
        if target.contains("://") || MOCK_NAMES.contains(&target) {
            e.to_string()
        } else {
            format!("{e} (or name a mock: {})", MOCK_NAMES.join(", "))
        }
    })?;
    Ok((host.to_owned(), target.to_owned()))
}

/// Why a script could not be tried (the script itself never ran).
#[derive(Debug, thiserror::Error)]
pub enum TryError {
    /// A kind `ferry try` cannot run (Auth0 documents no call for it).
    #[error(
        "ferry try cannot run {0} scripts (Auth0 documents no call for them): try login, get-user, create, verify, change-password, delete or change-email"
    )]
    Unsupported(ScriptKind),
    /// The script file could not be read.
    #[error("cannot read the script {}: {source}", path.display())]
    Script {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The wrong number of arguments for the kind.
    #[error("{} takes {usage}, but {got} argument{} given", kind.name(), if *got == 1 { " was" } else { "s were" })]
    Arguments {
        /// The script kind.
        kind: ScriptKind,
        /// What it takes.
        usage: &'static str,
        /// How many were given.
        got: usize,
    },
    /// An argument that does not parse (the create user's JSON, change-email's VERIFIED).
    #[error("{0}")]
    Argument(String),
    /// `--context` is not JSON.
    #[error("--context is not valid JSON: {0}")]
    Context(serde_json::Error),
    /// The throw-away mocks could not start or be seeded, or a route is wrong.
    #[error("{0}")]
    Mocks(String),
}

/// Splits `KEY=VALUE` (for `--config`); the key must not be empty, the value may be.
pub fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {text:?}")),
    }
}

/// How the call ended, in Auth0's terms.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// `callback(null, profile)` with an object.
    Profile {
        /// The profile as returned.
        profile: Map<String, Value>,
    },
    /// `callback()`, `callback(null)`, `callback(null, null)`.
    Nothing,
    /// `callback(null, value)` with anything but an object (`true`, `false`, ...).
    Value {
        /// The value.
        value: Value,
    },
    /// `callback(error)`.
    Error {
        /// The error, reduced to what Auth0 forwards.
        error: ScriptError,
    },
    /// An uncaught exception or unhandled rejection.
    Crashed {
        /// The exception, with the script's line.
        exception: ScriptException,
    },
    /// The script does not compile or is not a function.
    Invalid {
        /// The compile error.
        exception: ScriptException,
    },
    /// The time limit passed.
    TimedOut,
    /// The script went idle without calling `callback`.
    NoCallback,
    /// The memory limit was exceeded.
    OutOfMemory,
}

/// The result of one try: what the script did and what Auth0 would make of it. Serialises
/// as JSON for machine use; [`TryReport::render`] is the text for people.
#[derive(Debug, Clone, Serialize)]
pub struct TryReport {
    /// The script kind.
    pub kind: ScriptKind,
    /// The script file.
    pub script: PathBuf,
    /// The arguments passed before `callback`, secrets masked.
    pub args: Vec<Value>,
    /// The `context` argument, when enabled.
    pub context: Option<Value>,
    /// The hosts the script could reach (`"any"` or the rules).
    pub outbound: Outbound,
    /// Where requests for host names went instead (`acme.okta.com → http://127.0.0.1:PORT
    /// (okta)`), most specific first.
    pub routes: Routes,
    /// The execution limit (milliseconds in JSON).
    #[serde(serialize_with = "millis")]
    pub time_limit: Duration,
    /// How the call ended.
    pub verdict: Verdict,
    /// What the mock tenant's flow for this kind answers and logs (for a login: the status,
    /// error and description `/oauth/token` answers, and the tenant log event).
    pub auth0: Answer,
    /// Remarks on the result (e.g. a profile without `user_id`).
    pub warnings: Vec<String>,
    /// Console output, HTTP exchanges and timing, secrets masked.
    pub outcome: CallOutcome,
    /// The script's source, for quoting the line of a crash.
    #[serde(skip)]
    source: Arc<str>,
}

/// Runs the script once and reports. `Err` only when it could not run at all (unreadable
/// file, wrong arguments); everything the script does, crashes included, is in the report.
pub async fn try_script(options: TryOptions) -> Result<TryReport, TryError> {
    let TryOptions {
        kind,
        script,
        args,
        configuration,
        allow_hosts,
        allow_any_host,
        timeout,
        context,
        routes: route_options,
        seed,
    } = options;
    let source: Arc<str> = tokio::fs::read_to_string(&script)
        .await
        .map_err(|source| TryError::Script {
            path: script.clone(),
            source,
        })?
        .into();
    let CallArgs {
        call: call_args,
        shown: shown_args,
        secrets,
    } = arguments(kind, &args)?;
    // who the call is about, for the answer's messages (the typed user, the email, the id)
    let subject = match call_args.first() {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Object(user)) => user.get("email").and_then(Value::as_str).unwrap_or_default().to_owned(),
        _ => String::new(),
    };
    let context = match context {
        // delete always receives an empty context (auth0.md §1.2)
        Some(_) if kind == ScriptKind::Delete => Some(json!({})),
        Some(text) => Some(serde_json::from_str::<Value>(&text).map_err(TryError::Context)?),
        None => None,
    };
    let outbound = if allow_any_host {
        Outbound::Any
    } else {
        let mut outbound = Outbound::loopback();
        for rule in allow_hosts {
            outbound.allow(rule);
        }
        outbound
    };
    let (routes, mocks) = routes(&route_options, &outbound, seed.as_deref()).await?;
    let sandbox = Sandbox::new(SandboxConfig {
        time_limit: timeout,
        outbound: outbound.clone(),
        routes: routes.clone(),
        ..SandboxConfig::default()
    });
    let file_name = script
        .file_name()
        .map_or_else(|| format!("{}.js", kind.key()), |n| n.to_string_lossy().into_owned());
    let call = ScriptCall {
        source: source.clone(),
        file_name,
        args: call_args,
        configuration: configuration.clone(),
        context: context.clone(),
    };
    let mut outcome = sandbox.run(call).await;
    if let Some(mocks) = mocks {
        mocks.shutdown().await;
    }
    let masker = Masker::for_configuration(&configuration, secrets);
    let profile_held_secret = match &outcome.result {
        CallResult::Callback { value: Some(value), .. } => masker.reveals(&value.to_string()),
        _ => false,
    };
    // kept, read and judged as the mock tenant keeps, reads and judges it
    mocks::auth0::keep(&mut outcome, &masker);
    let reading = verdict::read(kind, &outcome.result);
    let auth0 = verdict::answer(kind, &reading.verdict, &subject);
    let verdict = verdict_of(&outcome.result);
    let mut warnings = warnings(kind, &verdict);
    if profile_held_secret {
        warnings.push(
            "the value the script called back with holds the password or a secret configuration value (masked here): Auth0 would store it in the user's profile"
                .to_owned(),
        );
    }
    Ok(TryReport {
        kind,
        script,
        args: shown_args,
        context,
        outbound,
        routes,
        time_limit: timeout,
        verdict,
        auth0,
        warnings,
        outcome,
        source,
    })
}

/// The script's routes: the hosts the user allows go to themselves, `--route`'s hosts where it
/// says, and (unless any host may be reached) the services' real host names to throw-away
/// mocks, started here (seeded from `seed`) when a route needs them.
async fn routes(
    given: &[(String, String)],
    outbound: &Outbound,
    seed: Option<&Path>,
) -> Result<(Routes, Option<crate::serve::Served>), TryError> {
    let any_host = matches!(outbound, Outbound::Any);
    let wants_mock = given.iter().any(|(_, target)| MOCK_NAMES.contains(&target.as_str()));
    let mocks = if any_host && !wants_mock {
        None
    } else {
        let served = crate::serve::start(&crate::bench::loopback(), seed)
            .await
            .map_err(|e| TryError::Mocks(format!("the throw-away mocks: {e}")))?;
        Some(served)
    };
    let url_of = |mock: &str| mocks.as_ref().and_then(|m| m.base_url(mock)).map(|url| url.to_owned());
    let mut routes = Routes::new();
    let wrong = |e: sandbox::RouteError| TryError::Mocks(format!("--route: {e}"));
    if let Outbound::Allow(rules) = outbound {
        for rule in rules {
            if let HostRule::Name { name, .. } = rule
                && name != "localhost"
            {
                routes.direct(name).map_err(wrong)?;
            }
        }
    }
    for (host, target) in given {
        if MOCK_NAMES.contains(&target.as_str()) {
            let url = url_of(target).ok_or_else(|| TryError::Mocks(format!("no {target} mock")))?;
            routes
                .route(host, &url, &format!("throw-away {target} mock"))
                .map_err(wrong)?;
        } else {
            routes.route(host, target, "").map_err(wrong)?;
        }
    }
    if !any_host {
        provider_routes(&mut routes, &|mock| url_of(mock), &|mock| format!("no {mock} mock")).map_err(wrong)?;
        // name them as the throw-away mocks they are
        let mut named = Routes::new();
        for route in routes.iter() {
            match route.target() {
                sandbox::RouteTarget::Origin { url, name } if MOCK_NAMES.contains(&name.as_str()) => {
                    named.route(route.host(), url.as_str(), &format!("throw-away {name} mock"))
                }
                sandbox::RouteTarget::Origin { url, name } => named.route(route.host(), url.as_str(), name),
                sandbox::RouteTarget::Refused(reason) => named.refuse(route.host(), reason.clone()),
                sandbox::RouteTarget::Direct => named.direct(route.host()),
            }
            .map_err(wrong)?;
        }
        routes = named;
    }
    routes.set_refusal_hint(
        "send it elsewhere with --route {host}=URL (or =okta, =stormpath, =gigya, =auth0 for a throw-away mock), or let it through with --allow-host {host}",
    );
    Ok((routes, mocks))
}

/// The arguments of a call.
#[derive(Debug)]
struct CallArgs {
    /// As passed to the script.
    call: Vec<Value>,
    /// The same, passwords masked, for the report.
    shown: Vec<Value>,
    /// The secret values among them, masked wherever they show up.
    secrets: Vec<String>,
}

impl CallArgs {
    fn new(call: Vec<Value>, shown: Vec<Value>, secrets: Vec<String>) -> Self {
        Self { call, shown, secrets }
    }
}

/// The call's arguments for `kind`, from the command line's.
fn arguments(kind: ScriptKind, args: &[String]) -> Result<CallArgs, TryError> {
    let usage = usage(kind).ok_or(TryError::Unsupported(kind))?;
    let wrong = || TryError::Arguments {
        kind,
        usage,
        got: args.len(),
    };
    let text = |s: &String| Value::String(s.clone());
    match (kind, args) {
        (ScriptKind::Login | ScriptKind::ChangePassword, [user, password]) => Ok(CallArgs::new(
            vec![text(user), text(password)],
            vec![text(user), json!(MASK)],
            vec![password.clone()],
        )),
        (ScriptKind::GetUser | ScriptKind::Verify | ScriptKind::Delete, [one]) => {
            Ok(CallArgs::new(vec![text(one)], vec![text(one)], Vec::new()))
        }
        (ScriptKind::Create, [user]) => {
            let value: Value = serde_json::from_str(user)
                .map_err(|e| TryError::Argument(format!("the create user must be a JSON object: {e}")))?;
            let Value::Object(mut object) = value else {
                return Err(TryError::Argument(format!(
                    "the create user must be a JSON object, not {user}"
                )));
            };
            let password = match object.get("password") {
                Some(Value::String(p)) => vec![p.clone()],
                _ => Vec::new(),
            };
            let call = Value::Object(object.clone());
            if object.contains_key("password") {
                object.insert("password".into(), json!(MASK));
            }
            Ok(CallArgs::new(vec![call], vec![Value::Object(object)], password))
        }
        (ScriptKind::Create, [email, password]) => {
            let user = |password: &str| {
                json!({
                    "tenant": TRY_TENANT,
                    "client_id": TRY_CLIENT,
                    "connection": TRY_CONNECTION,
                    "email": email,
                    "password": password,
                })
            };
            Ok(CallArgs::new(
                vec![user(password)],
                vec![user(MASK)],
                vec![password.clone()],
            ))
        }
        (ScriptKind::ChangeEmail, [email, new_email, verified]) => {
            let verified: bool = verified.parse().map_err(|_| {
                TryError::Argument(format!(
                    "change-email's VERIFIED must be true or false, not {verified:?}"
                ))
            })?;
            let args = vec![text(email), text(new_email), json!(verified)];
            Ok(CallArgs::new(args.clone(), args, Vec::new()))
        }
        _ => Err(wrong()),
    }
}

/// How the call ended, from the sandbox's result.
fn verdict_of(result: &CallResult) -> Verdict {
    match result {
        CallResult::Callback { error: Some(error), .. } => Verdict::Error { error: error.clone() },
        CallResult::Callback { error: None, value } => match value {
            None | Some(Value::Null) => Verdict::Nothing,
            Some(Value::Object(profile)) => Verdict::Profile {
                profile: profile.clone(),
            },
            Some(other) => Verdict::Value { value: other.clone() },
        },
        CallResult::Threw(exception) => Verdict::Crashed {
            exception: exception.clone(),
        },
        CallResult::InvalidScript(exception) => Verdict::Invalid {
            exception: exception.clone(),
        },
        CallResult::TimedOut => Verdict::TimedOut,
        CallResult::NoCallback => Verdict::NoCallback,
        CallResult::OutOfMemory => Verdict::OutOfMemory,
    }
}

fn warnings(kind: ScriptKind, verdict: &Verdict) -> Vec<String> {
    let mut out = Vec::new();
    match verdict {
        Verdict::Profile { profile } if matches!(kind, ScriptKind::Login | ScriptKind::GetUser) => {
            if verdict::profile_user_id(profile).is_none() {
                out.push(format!(
                    "the profile has no user_id (or id): Auth0 refuses it ({USER_ID_MANDATORY:?})"
                ));
            }
            if !profile.contains_key("email") {
                out.push("the profile has no email".to_owned());
            }
        }
        Verdict::NoCallback => out.push(
            "the script finished without calling callback; Auth0 waits until its time limit, then fails".to_owned(),
        ),
        Verdict::Error { error } if error.name == "WrongUsernameOrPasswordError" && kind != ScriptKind::Login => {
            out.push("WrongUsernameOrPasswordError is meant for the login script".to_owned());
        }
        _ => {}
    }
    out
}

impl TryReport {
    /// Whether the script called back without an error and with a result its kind expects
    /// (a CLI can exit 0 on this, 1 otherwise).
    pub fn passed(&self) -> bool {
        match (&self.verdict, self.kind) {
            (Verdict::Profile { .. }, ScriptKind::Login | ScriptKind::GetUser | ScriptKind::ChangePassword) => {
                self.warnings.is_empty()
            }
            (Verdict::Nothing, ScriptKind::GetUser | ScriptKind::Create | ScriptKind::Delete) => true,
            (
                Verdict::Value { value: Value::Bool(_) },
                ScriptKind::Verify | ScriptKind::ChangePassword | ScriptKind::ChangeEmail,
            ) => true,
            _ => false,
        }
    }

    /// The report for people: the call, the result (profile as pretty JSON, or the error as
    /// reported and the line it comes from), what Auth0 would make of it, the console output
    /// and the HTTP requests.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut args: Vec<String> = self.args.iter().map(Value::to_string).collect();
        if let Some(context) = &self.context {
            args.push(context.to_string());
        }
        args.push("callback".to_owned());
        let _ = writeln!(out, "{} script {}", self.kind.key(), self.script.display());
        let _ = writeln!(out, "  called as {}({})", self.kind.key(), args.join(", "));
        out.push('\n');
        self.render_result(&mut out);
        self.render_answer(&mut out);
        for warning in &self.warnings {
            let _ = writeln!(out, "warning: {warning}");
        }

        out.push('\n');
        if self.outcome.console.is_empty() {
            out.push_str("Console: (nothing)\n");
        } else {
            let _ = writeln!(
                out,
                "Console ({} line{}):",
                self.outcome.console.len(),
                plural(self.outcome.console.len())
            );
            for line in &self.outcome.console {
                let mut lines = line.text.lines();
                let first = lines.next().unwrap_or_default();
                let _ = writeln!(out, "  {:<5} {first}", line.level);
                for more in lines {
                    let _ = writeln!(out, "        {more}");
                }
            }
        }

        out.push('\n');
        if self.outcome.http.is_empty() {
            out.push_str("HTTP: (no requests)\n");
        } else {
            let _ = writeln!(
                out,
                "HTTP ({} request{}):",
                self.outcome.http.len(),
                plural(self.outcome.http.len())
            );
            for exchange in &self.outcome.http {
                let answer = match (exchange.status, &exchange.error) {
                    (Some(status), _) => status.to_string(),
                    (None, Some(error)) => error.clone(),
                    (None, None) => "no answer".to_owned(),
                };
                let routed = exchange
                    .routed_to
                    .as_ref()
                    .map(|to| format!(", sent to {to}"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "  {} {} -> {answer} ({} ms{routed})",
                    exchange.method,
                    exchange.url,
                    exchange.elapsed.as_millis()
                );
                for (name, value) in &exchange.request_headers {
                    let _ = writeln!(out, "      {name}: {value}");
                }
            }
        }
        let _ = writeln!(
            out,
            "\nTook {} ms (limit {} ms); outbound: {}.",
            self.outcome.elapsed.as_millis(),
            self.time_limit.as_millis(),
            self.outbound_text()
        );
        // hosts grouped by where they go: `*.okta.com, *.oktapreview.com → URL (who)`
        let mut groups: Vec<(String, Vec<&str>)> = vec![];
        for route in self.routes.iter() {
            let target = match route.target() {
                sandbox::RouteTarget::Origin { url, name } if name.is_empty() => {
                    url.as_str().trim_end_matches('/').to_owned()
                }
                sandbox::RouteTarget::Origin { url, name } => {
                    format!("{} ({name})", url.as_str().trim_end_matches('/'))
                }
                sandbox::RouteTarget::Direct => "themselves".to_owned(),
                sandbox::RouteTarget::Refused(_) => continue,
            };
            match groups.iter_mut().find(|(t, _)| *t == target) {
                Some((_, hosts)) => hosts.push(route.host()),
                None => groups.push((target, vec![route.host()])),
            }
        }
        if !groups.is_empty() {
            out.push_str("Routes:\n");
            for (target, hosts) in groups {
                let _ = writeln!(out, "  {} -> {target}", hosts.join(", "));
            }
        }
        if let Some(hint) = self.refused_hosts_hint() {
            let _ = writeln!(out, "{hint}");
        }
        for hint in okta_token_hints(&self.outcome.http) {
            let _ = writeln!(out, "{hint}");
        }
        out
    }

    /// `hint: …` naming the option that lets a request the sandbox refused through.
    fn refused_hosts_hint(&self) -> Option<String> {
        let mut hosts: Vec<String> = vec![];
        for exchange in &self.outcome.http {
            let refused = exchange
                .error
                .as_deref()
                .is_some_and(|e| e.contains("not allowed by the sandbox"));
            let host = url::Url::parse(&exchange.url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned));
            if let (true, Some(host)) = (refused, host)
                && !hosts.contains(&host)
            {
                hosts.push(host);
            }
        }
        if hosts.is_empty() {
            return None;
        }
        let flags: Vec<String> = hosts.iter().map(|h| format!("--allow-host {h}")).collect();
        Some(format!(
            "hint: the sandbox refused the script's request to {} (scripts reach loopback only unless allowed): \
             run it again with {} to reach it for real (or --allow-any-host), or with --route HOST=MOCK|URL to send it to a mock",
            hosts.join(", "),
            flags.join(" ")
        ))
    }

    /// `In Auth0 (POST /oauth/token): 403 invalid_grant "Wrong email or password."`, then the
    /// tenant log event and what comes of it.
    fn render_answer(&self, out: &mut String) {
        let answer = &self.auth0;
        let quoted = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let _ = write!(out, "\nIn Auth0 ({}): ", answer.flow);
        if answer.accepted {
            let _ = writeln!(out, "{}", answer.effect);
        } else {
            let _ = write!(out, "{}", answer.status);
            if let Some(error) = &answer.error {
                let _ = write!(out, " {error}");
            }
            let _ = writeln!(out, " {}", quoted(answer.message()));
            let _ = writeln!(out, "  {}", answer.effect);
        }
        if let Some(log) = &answer.log {
            let _ = writeln!(out, "  tenant log {}: {}", log.kind, quoted(&log.description));
        }
    }

    fn outbound_text(&self) -> String {
        match &self.outbound {
            Outbound::Any => "any host".to_owned(),
            Outbound::Allow(rules) => rules.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        }
    }

    fn render_result(&self, out: &mut String) {
        match &self.verdict {
            Verdict::Profile { profile } => {
                out.push_str("Result: callback(null, profile)\n");
                let pretty = serde_json::to_string_pretty(profile).unwrap_or_default();
                for line in pretty.lines() {
                    let _ = writeln!(out, "  {line}");
                }
            }
            Verdict::Nothing => out.push_str("Result: callback(null) - no user / nothing returned\n"),
            Verdict::Value { value } => {
                let _ = writeln!(out, "Result: callback(null, {value})");
            }
            Verdict::Error { error } => {
                let _ = writeln!(out, "Result: callback(error)");
                let _ = writeln!(out, "  {}: {}", error.name, error.message);
                let fields = [
                    ("code", error.code.clone()),
                    ("description", error.description.clone()),
                    ("user_id", error.user_id.clone()),
                    ("status_code", error.status_code.map(|s| s.to_string())),
                ];
                for (name, value) in fields {
                    if let Some(value) = value {
                        let _ = writeln!(out, "  {name}: {value}");
                    }
                }
                if let Some(line) = error
                    .stack
                    .as_deref()
                    .and_then(|stack| line_in_stack(stack, &self.file_name()))
                {
                    self.quote(out, line, None);
                }
            }
            Verdict::Crashed { exception } => {
                let _ = writeln!(out, "Result: the script crashed (uncaught exception)");
                self.exception(out, exception);
            }
            Verdict::Invalid { exception } => {
                let _ = writeln!(out, "Result: the script does not compile");
                self.exception(out, exception);
            }
            Verdict::TimedOut => out.push_str("Result: timed out (the time limit passed before callback was called)\n"),
            Verdict::NoCallback => out.push_str("Result: the script ended without calling callback\n"),
            Verdict::OutOfMemory => out.push_str("Result: out of memory\n"),
        }
    }

    fn exception(&self, out: &mut String, exception: &ScriptException) {
        let _ = writeln!(out, "  {}: {}", exception.name, exception.message);
        if let Some(line) = exception.line {
            self.quote(out, line, exception.column);
        }
        // the frames in the script; the sandbox's own (request, timers, ...) are noise here
        let file = format!("({}:", self.file_name());
        let bare = format!("at {}:", self.file_name());
        if let Some(stack) = &exception.stack {
            let frames: Vec<&str> = stack
                .lines()
                .skip(1)
                .map(str::trim_start)
                .filter(|frame| frame.contains(&file) || frame.starts_with(&bare))
                .collect();
            if frames.len() > 1 {
                for frame in frames {
                    let _ = writeln!(out, "    {frame}");
                }
            }
        }
    }

    /// `  at login.js line 5, column 24:` and the source line with a caret.
    fn quote(&self, out: &mut String, line: u32, column: Option<u32>) {
        let file = self.file_name();
        let _ = match column {
            Some(column) => writeln!(out, "  at {file} line {line}, column {column}:"),
            None => writeln!(out, "  at {file} line {line}:"),
        };
        let Some(text) = self.source.lines().nth(line.saturating_sub(1) as usize) else {
            return;
        };
        let gutter = format!("  {line} | ");
        let _ = writeln!(out, "{gutter}{}", text.trim_end());
        if let Some(column) = column {
            let pad = " ".repeat(gutter.len() + column.saturating_sub(1) as usize);
            let _ = writeln!(out, "{pad}^");
        }
    }

    fn file_name(&self) -> String {
        self.script.file_name().map_or_else(
            || format!("{}.js", self.kind.key()),
            |n| n.to_string_lossy().into_owned(),
        )
    }
}

/// The first `file:line` of `file` in a V8-style stack.
fn line_in_stack(stack: &str, file: &str) -> Option<u32> {
    let needle = format!("{file}:");
    stack.lines().skip(1).find_map(|frame| {
        let at = frame.find(&needle)?;
        frame[at + needle.len()..]
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    })
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `hint: …` lines for the script's calls to Okta's API that Okta refused for want of a valid
/// API token: a `403` to a call sent without `Authorization` (Okta answers `E0000005 Invalid
/// session` when the header is missing, as observed; see okta.md §2.5 and the mock's
/// `missing_token` setting), a `401` to one sent with it (`E0000011 Invalid token provided`: a
/// token that is wrong, revoked or not in the `SSWS` scheme). `/api/v1/authn` takes no token and
/// is left alone: its `401` is a wrong password.
fn okta_token_hints(http: &[sandbox::HttpExchange]) -> Vec<String> {
    let mut hints = vec![];
    for exchange in http {
        let Some(status) = exchange.status else { continue };
        let Ok(url) = url::Url::parse(&exchange.url) else {
            continue;
        };
        let path = url.path();
        if !path.starts_with("/api/v1/") || path.starts_with("/api/v1/authn") {
            continue;
        }
        let authorized = exchange
            .request_headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("authorization"));
        let hint = match (status, authorized) {
            (403, false) => format!(
                "hint: Okta answered 403 to {} {} sent without an Authorization header (E0000005 Invalid session): \
                 its API needs `Authorization: SSWS <API token>`; keep the token in the connection's configuration \
                 and send it, e.g. headers: {{ Authorization: 'SSWS ' + configuration.OKTA_API_TOKEN }}",
                exchange.method, exchange.url
            ),
            (401, true) => format!(
                "hint: Okta refused the API token sent to {} {} (401 E0000011 Invalid token provided): the header \
                 must read `SSWS <token>` with a token that is valid and not revoked; check the configuration \
                 value the script reads it from",
                exchange.method, exchange.url
            ),
            _ => continue,
        };
        if !hints.contains(&hint) {
            hints.push(hint);
        }
    }
    hints
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(url: &str, status: u16, headers: &[(&str, &str)]) -> sandbox::HttpExchange {
        sandbox::HttpExchange {
            method: "GET".into(),
            url: url.into(),
            request_headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            status: Some(status),
            error: None,
            elapsed: Duration::from_millis(3),
            routed_to: None,
        }
    }

    #[test]
    fn okta_refusing_a_missing_or_bad_token_gets_a_hint_and_nothing_else_does() {
        let users = "https://dev-1.okta.com/api/v1/users/ada%40example.com";
        let missing = okta_token_hints(&[exchange(users, 403, &[("Accept", "application/json")])]);
        assert_eq!(missing.len(), 1, "{missing:?}");
        assert!(missing[0].contains("403") && missing[0].contains("without an Authorization header"));
        assert!(missing[0].contains("'SSWS ' + configuration."), "{}", missing[0]);
        let refused = okta_token_hints(&[exchange(users, 401, &[("authorization", MASK)])]);
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(refused[0].contains("E0000011") && refused[0].contains("not revoked"));
        // The same refusal twice is said once.
        let twice = okta_token_hints(&[exchange(users, 403, &[]), exchange(users, 403, &[])]);
        assert_eq!(twice.len(), 1);
        // A wrong password at /authn, a user not found, a 403 with a token: no token hint.
        let quiet = okta_token_hints(&[
            exchange("https://dev-1.okta.com/api/v1/authn", 401, &[]),
            exchange(users, 404, &[("Authorization", MASK)]),
            exchange(users, 403, &[("Authorization", MASK)]),
            exchange("https://api.example.com/v1/users/x", 403, &[]),
        ]);
        assert!(quiet.is_empty(), "{quiet:?}");
    }

    #[test]
    fn every_kind_but_the_undocumented_ones_can_be_tried() {
        for kind in ScriptKind::ALL {
            let supported = usage(kind).is_some();
            let undocumented = matches!(kind, ScriptKind::ChangeUsername | ScriptKind::ChangePhoneNumber);
            assert_eq!(supported, !undocumented, "{kind}");
        }
        let err = arguments(ScriptKind::ChangeUsername, &[]).expect_err("not supported");
        assert!(
            err.to_string()
                .starts_with("ferry try cannot run change_username scripts"),
            "{err}"
        );
    }

    #[test]
    fn arguments_follow_the_script_signatures_and_hide_passwords() {
        let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let CallArgs { call, shown, secrets } =
            arguments(ScriptKind::Login, &strings(&["a@example.com", "pw12"])).expect("login args");
        assert_eq!(call, vec![json!("a@example.com"), json!("pw12")]);
        assert_eq!(shown, vec![json!("a@example.com"), json!(MASK)]);
        assert_eq!(secrets, vec!["pw12".to_owned()]);

        let CallArgs { call, shown, .. } =
            arguments(ScriptKind::Create, &strings(&["a@example.com", "pw12"])).expect("create");
        assert_eq!(call[0]["email"], json!("a@example.com"));
        assert_eq!(call[0]["password"], json!("pw12"));
        assert_eq!(shown[0]["password"], json!(MASK));
        assert_eq!(call[0]["connection"], json!(TRY_CONNECTION));

        let CallArgs { call, .. } = arguments(
            ScriptKind::Create,
            &strings(&[r#"{"email":"b@example.com","username":"b"}"#]),
        )
        .expect("create json");
        assert_eq!(call[0], json!({"email": "b@example.com", "username": "b"}));

        let CallArgs { call, .. } =
            arguments(ScriptKind::ChangeEmail, &strings(&["a@x.com", "b@x.com", "true"])).expect("change-email");
        assert_eq!(call, vec![json!("a@x.com"), json!("b@x.com"), json!(true)]);

        let err = arguments(ScriptKind::Login, &strings(&["a@example.com"])).expect_err("one argument");
        assert_eq!(err.to_string(), "login takes USER PASSWORD, but 1 argument was given");
        let err = arguments(ScriptKind::ChangeEmail, &strings(&["a", "b", "yes"])).expect_err("not a bool");
        assert_eq!(
            err.to_string(),
            "change-email's VERIFIED must be true or false, not \"yes\""
        );
        assert!(arguments(ScriptKind::Create, &strings(&["[1]"])).is_err());
    }

    #[test]
    fn key_values_split_at_the_first_equals_sign() {
        assert_eq!(parse_key_value("A=b=c"), Ok(("A".to_owned(), "b=c".to_owned())));
        assert_eq!(parse_key_value("A="), Ok(("A".to_owned(), String::new())));
        assert!(parse_key_value("=b").is_err());
        assert!(parse_key_value("A").is_err());
    }

    #[test]
    fn stack_lines_are_found_for_the_script_file() {
        let stack = "Error: x\n    at helper (sandbox:bcrypt.js:10:3)\n    at login (login.js:7:12)";
        assert_eq!(line_in_stack(stack, "login.js"), Some(7));
        assert_eq!(line_in_stack(stack, "other.js"), None);
    }
}
