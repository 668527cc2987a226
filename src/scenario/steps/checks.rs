//! Steps that only look: `user` (an Auth0 user through the Management API), `calls` (a mock's
//! request journal), `script` (the custom database script runs), `emails` (the tenant's
//! outbox) and `logs` (tenant log events through `GET /api/v2/logs`).

use serde_json::Value;

use super::{Play, Played, Playing};
use crate::scenario::file::{CallsStep, EmailsStep, LogsStep, Method, ScriptStep, UserStep};
use crate::scenario::matching::contains;
use crate::scenario::world::World;

impl Play for UserStep {
    fn describe(&self) -> String {
        format!(
            "user {}",
            self.email.as_deref().or(self.user_id.as_deref()).unwrap_or("?")
        )
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(user(self, world))
    }
}

/// Reads the user by email or id; checks it exists (or not) and has the given fields.
async fn user(step: &UserStep, world: &mut World) -> Result<Played, String> {
    let answer = match (&step.email, &step.user_id) {
        (Some(email), None) => {
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("email", email)
                .finish();
            world
                .api("GET", &format!("/api/v2/users-by-email?{query}"), None)
                .await?
        }
        (None, Some(id)) => {
            let encoded = url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>();
            world.api("GET", &format!("/api/v2/users/{encoded}"), None).await?
        }
        _ => return Err("a user step needs exactly one of email and user_id".into()),
    };
    let found = match &answer.body {
        Value::Array(items) => items.first().cloned(),
        body if answer.status == 200 => Some(body.clone()),
        _ => None,
    };
    let want_exists = step.exists.unwrap_or(true);
    let mut failures = vec![];
    match (&found, want_exists) {
        (Some(_), false) => failures.push("expected no such user, but it exists".into()),
        (None, true) => failures.push(format!("expected the user to exist: {}", answer.summary())),
        _ => {}
    }
    if let (Some(found), Some(has)) = (&found, &step.has)
        && let Err(difference) = contains(found, has)
    {
        failures.push(format!("user: {difference}"));
    }
    let outcome = if found.is_some() { "exists" } else { "absent" };
    Ok(Played::new(outcome, failures))
}

impl Play for CallsStep {
    fn describe(&self) -> String {
        let status = self.status.map(|s| format!(" → {s}")).unwrap_or_default();
        format!(
            "calls {} {} {}{status}",
            self.mock.as_str(),
            self.method.map_or("*", Method::as_str),
            self.path
        )
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(async move { calls(self, world) })
    }
}

/// Counts the matching requests in the mock's journal.
fn calls(step: &CallsStep, world: &World) -> Result<Played, String> {
    let kit = world.running_kit(step.mock)?;
    let seen = kit
        .journal
        .find(step.method.map(Method::as_str), Some(&step.path))
        .iter()
        .filter(|call| step.status.is_none_or(|status| call.status == status))
        .count();
    let mut failures = vec![];
    if let Some(count) = step.count
        && seen != count
    {
        failures.push(format!("expected {count} matching requests, got {seen}"));
    }
    if let Some(at_least) = step.at_least
        && seen < at_least
    {
        failures.push(format!("expected at least {at_least} matching requests, got {seen}"));
    }
    if step.count.is_none() && step.at_least.is_none() {
        failures.push("a calls step needs count or at_least".into());
    }
    Ok(Played::new(format!("{seen} requests"), failures))
}

impl Play for ScriptStep {
    fn describe(&self) -> String {
        format!("script {}", self.script.key())
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(async move { Ok(script(self, world)) })
    }
}

/// Checks the runs of one custom database script: how many, and how the last one ended.
fn script(step: &ScriptStep, world: &World) -> Played {
    let runs: Vec<_> = world
        .auth0
        .script_executions()
        .into_iter()
        .filter(|e| e.script == step.script)
        .collect();
    let mut failures = vec![];
    if let Some(want) = step.runs
        && runs.len() != want
    {
        failures.push(format!(
            "expected {want} runs of {}, got {}",
            step.script.key(),
            runs.len()
        ));
    }
    let last = runs.last();
    let outcome = last.map_or_else(|| "never ran".to_owned(), |e| e.outcome.clone());
    if step.outcome.is_some() || step.message.is_some() || step.line.is_some() {
        match last {
            None => failures.push(format!("{} never ran", step.script.key())),
            Some(run) => {
                if let Some(want) = step.outcome
                    && run.outcome != want.as_str()
                {
                    failures.push(format!(
                        "outcome: expected {want}, got {} ({})",
                        run.outcome, run.detail
                    ));
                }
                let message = run.detail.get("message").and_then(Value::as_str).unwrap_or_default();
                if let Some(want) = &step.message
                    && !message.contains(want.as_str())
                {
                    failures.push(format!("message: expected it to contain {want:?}, got {message:?}"));
                }
                let line = run.detail.get("line").and_then(Value::as_u64);
                if let Some(want) = step.line
                    && line != Some(u64::from(want))
                {
                    failures.push(format!(
                        "line: expected {want}, got {}",
                        line.map_or("none".into(), |l| l.to_string())
                    ));
                }
            }
        }
    }
    Played::new(outcome, failures)
}

impl Play for EmailsStep {
    fn describe(&self) -> String {
        format!("emails to {}", self.to)
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(async move { Ok(emails(self, world)) })
    }
}

/// Counts the emails the tenant sent to one address.
fn emails(step: &EmailsStep, world: &World) -> Played {
    let to = step.to.to_lowercase();
    let sent = world.auth0.outbox().iter().filter(|m| m.to == to).count();
    let failures = if sent == step.count {
        vec![]
    } else {
        vec![format!("expected {} emails to {to}, got {sent}", step.count)]
    };
    Played::new(format!("{sent} sent"), failures)
}

impl Play for LogsStep {
    fn describe(&self) -> String {
        let mut parts = vec!["logs".to_owned()];
        parts.extend(self.kind.map(|k| format!("type {}", k.code())));
        parts.extend(self.user.as_ref().map(|u| format!("user {u}")));
        parts.extend(self.description.as_ref().map(|d| format!("description {d:?}")));
        parts.extend(self.q.as_ref().map(|q| format!("q {q:?}")));
        parts.join(" ")
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(logs(self, world))
    }
}

/// Reads the tenant's log events (the server filters on type and `q`, which Lucene expresses
/// exactly; user and description are matched here) and counts the matching ones.
async fn logs(step: &LogsStep, world: &mut World) -> Result<Played, String> {
    let mut clauses = vec![];
    if let Some(kind) = step.kind {
        clauses.push(format!("type:\"{}\"", kind.code()));
    }
    if let Some(q) = &step.q {
        clauses.push(format!("({q})"));
    }
    let query = {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("per_page", "100");
        if !clauses.is_empty() {
            query.append_pair("q", &clauses.join(" AND "));
        }
        query.finish()
    };
    let mut events = vec![];
    for page in 0..100 {
        let path = format!("/api/v2/logs?{query}&page={page}");
        let answer = world.api("GET", &path, None).await?;
        if answer.status != 200 {
            return Err(format!(
                "GET /api/v2/logs answered {}: {}",
                answer.status,
                answer.summary()
            ));
        }
        let batch = answer.body.as_array().cloned().unwrap_or_default();
        let last = batch.len() < 100;
        events.extend(batch);
        if last {
            break;
        }
    }
    let text = |event: &Value, key: &str| event.get(key).and_then(Value::as_str).map(str::to_owned);
    let matched = events
        .iter()
        .filter(|event| {
            step.user.as_ref().is_none_or(|user| {
                let user = user.to_lowercase();
                text(event, "user_name").is_some_and(|n| n.to_lowercase() == user)
                    || text(event, "user_id").is_some_and(|id| id == user)
            })
        })
        .filter(|event| {
            step.description
                .as_ref()
                .is_none_or(|d| text(event, "description").is_some_and(|t| t.contains(d.as_str())))
        })
        .count();
    let failures = if matched == step.count {
        vec![]
    } else {
        let seen: Vec<String> = events
            .iter()
            .take(10)
            .map(|e| {
                format!(
                    "{} {} {}",
                    text(e, "type").unwrap_or_default(),
                    text(e, "user_name").unwrap_or_default(),
                    text(e, "description").unwrap_or_default()
                )
            })
            .collect();
        vec![format!(
            "expected {} matching log events, got {matched} (newest of those read: {})",
            step.count,
            if seen.is_empty() {
                "none".to_owned()
            } else {
                seen.join("; ")
            }
        )]
    };
    Ok(Played::new(format!("{matched} events"), failures))
}
