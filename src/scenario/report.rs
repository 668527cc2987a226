//! What a scenario run produced: each step's outcome and failures, the resulting Auth0 users,
//! the requests each provider mock received, and every script run. Rendered for a terminal,
//! as JUnit XML for CI, and reduced to the snapshot `cargo test` keeps.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use mocks::auth0::ScriptExecution;
use serde_json::{Value, json};

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
    /// Whether every step met its expectations.
    pub fn passed(&self) -> bool {
        self.steps.iter().all(StepReport::passed)
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
    /// diagnostics (console, HTTP, crash line) when not; everything with `verbose`.
    pub fn render(&self, verbose: bool) -> String {
        let mut out = String::new();
        let mark = if self.passed() { "PASS" } else { "FAIL" };
        let _ = writeln!(out, "{mark} {} ({:.2} s)", self.name, self.duration.as_secs_f64());
        for step in &self.steps {
            if step.passed() && !verbose {
                continue;
            }
            let mark = if step.passed() { "ok  " } else { "FAIL" };
            let _ = writeln!(
                out,
                "  {mark} step {} ({}:{}): {} → {}",
                step.index,
                self.file.display(),
                step.line,
                step.summary,
                step.outcome
            );
            for failure in &step.failures {
                for (i, line) in failure.lines().enumerate() {
                    let _ = writeln!(out, "         {}{line}", if i == 0 { "✗ " } else { "  " });
                }
            }
            if !step.passed() || verbose {
                for run in &step.scripts {
                    render_script(&mut out, run);
                }
            }
        }
        out
    }
}

fn render_script(out: &mut String, run: &ScriptExecution) {
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
    let _ = writeln!(
        out,
        "         {script} script → {} {detail} ({:.0} ms)",
        run.outcome, run.elapsed_ms
    );
    for line in &run.console {
        let _ = writeln!(out, "           console.{}: {}", line.level, line.text);
    }
    for exchange in &run.http {
        let answer = match (&exchange.status, &exchange.error) {
            (Some(status), _) => status.to_string(),
            (None, Some(error)) => error.clone(),
            (None, None) => "no answer".into(),
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
        };
        let xml = junit(&[report], &[]);
        assert!(xml.contains("tests=\"1\" failures=\"1\""), "{xml}");
        assert!(xml.contains("name=\"a&lt;b\""), "{xml}");
        assert!(xml.contains("expected 200 &amp; more"), "{xml}");
    }
}
