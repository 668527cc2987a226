//! What a scenario run produced: each step's outcome and failures, the resulting Auth0 users,
//! the requests each provider mock received, every script run, and how the result compares
//! with its stored snapshot. Rendered for a terminal (coloured when [`Style`] says so), as
//! JUnit XML for CI, and reduced to the snapshot value `cargo test` and `ferry run` keep.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use mocks::auth0::ScriptExecution;
use serde_json::{Value, json};

use super::snapshot::{Action, Checked, Places, State, shown};
use crate::term::Style;

/// The result of one scenario.
#[derive(Debug)]
pub struct Report {
    pub name: String,
    pub file: PathBuf,
    pub description: Option<String>,
    /// Whether the scenario wants a snapshot.
    pub snapshot: bool,
    pub steps: Vec<StepReport>,
    /// The Auth0 users at the end, as `GET /api/v2/users` returned them.
    pub users: Vec<Value>,
    /// Per provider mock: `METHOD /path → status` for every request it received.
    pub calls: BTreeMap<String, Vec<String>>,
    /// Every custom database script run.
    pub scripts: Vec<ScriptExecution>,
    pub duration: Duration,
    /// The result compared with the stored snapshot, when `ferry run` compared it (`cargo test`
    /// compares through insta instead).
    pub snapshot_result: Option<Checked>,
}

/// How to render a report for a person.
#[derive(Clone, Copy, Debug, Default)]
pub struct Render {
    /// Every step with its script diagnostics, not only the failing ones.
    pub verbose: bool,
    pub style: Option<Style>,
    /// Show a changed snapshot's diff (off when `--review` shows it instead).
    pub snapshot_diffs: bool,
}

/// One step's result.
#[derive(Debug)]
pub struct StepReport {
    /// Position in the file, from 1.
    pub index: usize,
    /// Line of the step in the scenario file.
    pub line: u64,
    /// `login dade.murphy@example.com`.
    pub summary: String,
    /// What happened, in one line (`403 invalid_grant: Wrong email or password.`).
    pub outcome: String,
    /// Expectations that were not met; empty when the step passed.
    pub failures: Vec<String>,
    /// Scripts that ran during the step.
    pub scripts: Vec<ScriptExecution>,
    /// What a migration or import step reported (totals, jobs, every user's outcome).
    pub run: Option<Value>,
}

impl StepReport {
    pub(crate) fn new(summary: &str, outcome: String, failures: Vec<String>) -> Self {
        Self {
            index: 0,
            line: 0,
            summary: summary.to_owned(),
            outcome,
            failures,
            scripts: vec![],
            run: None,
        }
    }

    pub(crate) fn failed(summary: &str, failures: Vec<String>) -> Self {
        Self::new(summary, "could not run".into(), failures)
    }

    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

impl Report {
    /// Whether every step met its expectations and, where it was compared, the stored snapshot
    /// holds the result.
    pub fn passed(&self) -> bool {
        self.steps_passed() && self.snapshot_result.as_ref().is_none_or(Checked::settled)
    }

    /// Whether every step met its expectations.
    pub fn steps_passed(&self) -> bool {
        self.steps.iter().all(StepReport::passed)
    }

    /// Where the steps are, to name them in a snapshot's diff.
    pub fn places(&self) -> Places {
        Places {
            file: self.file.clone(),
            steps: self
                .steps
                .iter()
                .map(|s| (s.index, s.line, s.summary.clone()))
                .collect(),
        }
    }

    /// What `cargo test` snapshots: the step outcomes, the resulting users exactly as the
    /// Management API returned them, and the requests the provider mocks received.
    pub fn snapshot(&self) -> Value {
        let steps: Vec<String> = self
            .steps
            .iter()
            .map(|s| format!("{} {} → {}", s.index, s.summary, s.outcome))
            .collect();
        let calls: BTreeMap<&String, Value> = self.calls.iter().map(|(mock, lines)| (mock, abridged(lines))).collect();
        let mut snapshot = json!({ "steps": steps, "users": abridged(&self.users), "calls": calls });
        let runs: Vec<Value> = self
            .steps
            .iter()
            .filter_map(|s| {
                s.run.as_ref().map(|run| {
                    let mut run = run.clone();
                    if let Some(Value::Array(users)) = run.get("users") {
                        run["users"] = abridged(users);
                    }
                    json!({ "step": s.index, "report": run })
                })
            })
            .collect();
        if !runs.is_empty() {
            snapshot["runs"] = Value::Array(runs);
        }
        // Mock ports are ephemeral: wherever one shows (an error message, a user_id a script
        // built from an href), it is the one thing that varies between runs.
        let text = redact_ports(&snapshot.to_string());
        serde_json::from_str(&text).unwrap_or(snapshot)
    }

    /// A human-readable account: one line when it passed, the failing steps with script
    /// diagnostics (console, HTTP, crash line) when not; everything with `verbose`. Plain text,
    /// with a changed snapshot's diff.
    pub fn render(&self, verbose: bool) -> String {
        self.render_with(Render {
            verbose,
            style: None,
            snapshot_diffs: true,
        })
    }

    /// [`Report::render`] with a style and options.
    pub fn render_with(&self, options: Render) -> String {
        let style = options.style.unwrap_or(Style::plain());
        let verbose = options.verbose;
        let mut out = String::new();
        let mark = if self.passed() {
            style.good_mark("PASS")
        } else {
            style.bad_mark("FAIL")
        };
        let _ = writeln!(
            out,
            "{mark} {} {}",
            self.name,
            style.dim(&format!("({:.2} s)", self.duration.as_secs_f64()))
        );
        for step in &self.steps {
            if step.passed() && !verbose {
                continue;
            }
            let mark = if step.passed() {
                style.good("ok  ")
            } else {
                style.bad_mark("FAIL")
            };
            let outcome = if step.passed() {
                step.outcome.clone()
            } else {
                style.bad(&step.outcome)
            };
            let _ = writeln!(
                out,
                "  {mark} step {} ({}): {} → {outcome}",
                step.index,
                style.place(&format!("{}:{}", self.file.display(), step.line)),
                step.summary,
            );
            for failure in &step.failures {
                for (i, line) in failure.lines().enumerate() {
                    let _ = writeln!(
                        out,
                        "         {}{line}",
                        if i == 0 { style.bad("✗ ") } else { "  ".into() }
                    );
                }
            }
            if !step.passed() || verbose {
                for run in &step.scripts {
                    render_script(&mut out, run, style);
                }
            }
        }
        if let Some(checked) = &self.snapshot_result {
            self.render_snapshot(&mut out, checked, style, options.snapshot_diffs);
        }
        out
    }

    fn render_snapshot(&self, out: &mut String, checked: &Checked, style: Style, diffs: bool) {
        let path = style.place(&shown(&checked.path));
        let what = match (&checked.state, &checked.action) {
            (State::Matches, _) => return,
            (State::New, Action::Accepted) => format!("{} {path} (new)", style.good("accepted snapshot")),
            (State::Changed(_), Action::Accepted) => format!("{} {path} (changed)", style.good("accepted snapshot")),
            (State::New, Action::Rejected) => format!("{} {path}: still none stored", style.warn("rejected snapshot")),
            (State::Changed(_), Action::Rejected) => {
                format!("{} {path}: the stored one stays", style.warn("rejected snapshot"))
            }
            (State::New, _) => format!("{} snapshot {path}: none stored yet", style.bad_mark("FAIL")),
            (State::Changed(_), _) => format!("{} snapshot {path}: this run's result differs", style.bad_mark("FAIL")),
        };
        let _ = writeln!(out, "  {what}");
        let detail = match &checked.action {
            Action::Pending(pending) if !diffs => {
                Some(format!("the new result is in {}, to review below", shown(pending)))
            }
            Action::Pending(pending) => Some(format!(
                "the new result is in {}: review it with `ferry run --review`, or accept it with `ferry run --accept`",
                shown(pending)
            )),
            Action::NotWrittenFailed => Some("not written: the scenario's steps failed".to_owned()),
            Action::None => Some("nothing written (--check)".to_owned()),
            Action::Accepted | Action::Rejected => None,
        };
        if let Some(detail) = detail {
            let _ = writeln!(out, "         {}", style.dim(&detail));
        }
        if let (State::Changed(diff), true) = (&checked.state, diffs)
            && checked.action != Action::Accepted
        {
            out.push_str(&diff.render(style, "    "));
        }
    }
}

fn render_script(out: &mut String, run: &ScriptExecution, style: Style) {
    let script = serde_json::to_value(run.script)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let detail = match run.outcome.as_str() {
        "threw" | "invalid_script" => {
            let name = run.detail.get("name").and_then(Value::as_str).unwrap_or("Error");
            let message = run.detail.get("message").and_then(Value::as_str).unwrap_or("");
            let line = run
                .detail
                .get("line")
                .and_then(Value::as_u64)
                .map(|l| format!(" at {script}.js:{l}"))
                .unwrap_or_default();
            format!("{name}: {message}{line}")
        }
        "profile" => format!(
            "user_id {}",
            run.detail
                .get("user_id")
                .or_else(|| run.detail.get("id"))
                .unwrap_or(&Value::Null)
        ),
        _ => match run.detail.get("message").and_then(Value::as_str) {
            Some(message) => message.to_owned(),
            None if run.detail.is_null() => String::new(),
            None => run.detail.to_string(),
        },
    };
    // The outcome in colour: a result, a refusal the script meant, or the script failing.
    let outcome = match run.outcome.as_str() {
        "profile" | "done" | "value" => style.good(&run.outcome),
        "not_found" | "wrong_credentials" => style.warn(&run.outcome),
        _ => style.bad(&run.outcome),
    };
    let _ = writeln!(
        out,
        "         {script} script → {outcome} {detail} {}",
        style.dim(&format!("({:.0} ms)", run.elapsed_ms))
    );
    for line in &run.console {
        let _ = writeln!(
            out,
            "           {} {}",
            style.dim(&format!("console.{}:", line.level)),
            line.text
        );
    }
    for exchange in &run.http {
        let answer = match (&exchange.status, &exchange.error) {
            (Some(status), _) if *status < 400 => style.good(&status.to_string()),
            (Some(status), _) => style.bad(&status.to_string()),
            (None, Some(error)) => style.bad(error),
            (None, None) => style.bad("no answer"),
        };
        let _ = writeln!(out, "           {} {} → {answer}", exchange.method, exchange.url);
    }
}

/// Lists longer than this are abridged in snapshots.
pub const SNAPSHOT_LIST_LIMIT: usize = 30;

/// A list as a snapshot keeps it: whole when short; else its length with the first and last
/// ten items, so a scenario with a thousand users still gives a snapshot a person can read
/// (its counts are checked in full by the steps' expectations).
fn abridged<T: serde::Serialize>(items: &[T]) -> Value {
    let whole = |items: &[T]| serde_json::to_value(items).unwrap_or(Value::Null);
    if items.len() <= SNAPSHOT_LIST_LIMIT {
        return whole(items);
    }
    json!({
        "count": items.len(),
        "first": whole(&items[..10]),
        "last": whole(&items[items.len() - 10..]),
    })
}

/// Replaces the port of loopback addresses (`127.0.0.1:40123` → `127.0.0.1:[port]`): mocks
/// listen on ephemeral ports, the one thing in a result that varies from run to run.
pub fn redact_ports(text: &str) -> String {
    const HOST: &str = "127.0.0.1:";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(HOST) {
        let after = &rest[at + HOST.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        out.push_str(&rest[..at + HOST.len()]);
        if digits > 0 {
            out.push_str("[port]");
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// JUnit XML for a set of reports (one test case per scenario).
pub fn junit(reports: &[Report], errors: &[(PathBuf, String)]) -> String {
    let failures = reports.iter().filter(|r| !r.passed()).count();
    let total_time: f64 = reports.iter().map(|r| r.duration.as_secs_f64()).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"ferry\" tests=\"{}\" failures=\"{failures}\" errors=\"{}\" time=\"{total_time:.3}\">",
        reports.len() + errors.len(),
        errors.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"scenarios\" tests=\"{}\" failures=\"{failures}\" errors=\"{}\" time=\"{total_time:.3}\">",
        reports.len() + errors.len(),
        errors.len()
    );
    for report in reports {
        let (class, name) = report.name.rsplit_once('/').unwrap_or(("scenarios", &report.name));
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" time=\"{:.3}\"",
            xml(class),
            xml(name),
            xml(&report.file.display().to_string()),
            report.duration.as_secs_f64()
        );
        if report.passed() {
            out.push_str("/>\n");
        } else {
            let first = report
                .steps
                .iter()
                .find(|s| !s.passed())
                .map(|s| format!("step {}: {}", s.index, s.summary))
                .or_else(|| {
                    let checked = report.snapshot_result.as_ref()?;
                    Some(match checked.state {
                        State::New => format!("no snapshot stored at {}", shown(&checked.path)),
                        _ => format!("the result differs from the snapshot {}", shown(&checked.path)),
                    })
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                xml(&first),
                xml(&report.render(false))
            );
        }
    }
    for (file, error) in errors {
        let _ = writeln!(
            out,
            "    <testcase classname=\"scenarios\" name=\"{}\">\n      <error message=\"{}\"/>\n    </testcase>",
            xml(&file.display().to_string()),
            xml(error)
        );
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn xml(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .map(|c| match c {
            '&' => "&amp;".into(),
            '<' => "&lt;".into(),
            '>' => "&gt;".into(),
            '"' => "&quot;".into(),
            '\'' => "&apos;".into(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_ports_are_redacted() {
        assert_eq!(
            redact_ports("connect ECONNREFUSED 127.0.0.1:39503 and http://127.0.0.1:8/x, 127.0.0.1:"),
            "connect ECONNREFUSED 127.0.0.1:[port] and http://127.0.0.1:[port]/x, 127.0.0.1:"
        );
    }

    #[test]
    fn junit_escapes_and_counts() {
        let report = Report {
            name: "okta/a<b".into(),
            file: "scenarios/okta/a.yaml".into(),
            description: None,
            snapshot: true,
            steps: vec![StepReport {
                index: 1,
                line: 3,
                summary: "login x".into(),
                outcome: "403".into(),
                failures: vec!["status: expected 200 & more".into()],
                scripts: vec![],
                run: None,
            }],
            users: vec![],
            calls: BTreeMap::new(),
            scripts: vec![],
            duration: Duration::from_millis(5),
            snapshot_result: None,
        };
        let xml = junit(&[report], &[]);
        assert!(xml.contains("tests=\"1\" failures=\"1\""), "{xml}");
        assert!(xml.contains("name=\"a&lt;b\""), "{xml}");
        assert!(xml.contains("expected 200 &amp; more"), "{xml}");
    }
}
