//! Steps that talk to Auth0's Authentication API as an application or a user would: `login`,
//! `signup`, `refresh`, `userinfo`, `change_password`, `reset_password`, `verify_email`.

use mocks::auth0::DEFAULT_APP;
use serde_json::{Value, json};

use super::{Play, Played, Playing, check};
use crate::scenario::file::{
    ChangePasswordStep, Grant, LoginStep, RefreshStep, ResetPasswordStep, ResetVia, SignupStep, UserinfoStep,
    VerifyEmailStep,
};
use crate::scenario::run::TICK;
use crate::scenario::world::{Answer, World, send};

impl Play for LoginStep {
    fn describe(&self) -> String {
        match self.times() {
            1 => format!("login {}", self.username),
            times => format!("login {} ×{times}", self.username),
        }
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(login(self, world))
    }
}

/// `POST /oauth/token` with the password-realm (or password) grant, `repeat` times a tick apart;
/// the last answer is checked.
async fn login(step: &LoginStep, world: &mut World) -> Result<Played, String> {
    let client_name = step.client.as_deref().unwrap_or(DEFAULT_APP);
    let (client_id, client_secret) = world.client(client_name)?;
    let grant = match step.grant {
        Grant::PasswordRealm => mocks::auth0::model::GRANT_PASSWORD_REALM,
        Grant::Password => "password",
    };
    let mut form = vec![
        ("grant_type", grant.to_owned()),
        ("client_id", client_id),
        ("client_secret", client_secret),
        ("username", step.username.clone()),
        ("password", step.password.clone()),
    ];
    if step.grant == Grant::PasswordRealm {
        form.push(("realm", world.connection(step.realm.as_deref())?));
    }
    if let Some(scope) = &step.scope {
        form.push(("scope", scope.clone()));
    }
    let mut answer = None;
    for attempt in 0..step.times() {
        // Repetitions are a tick apart, like separate steps.
        if attempt > 0 {
            world.clock.advance(TICK);
        }
        answer = Some(send(world.http.post(world.auth0_url("/oauth/token")).form(&form)).await?);
    }
    let answer = answer.ok_or("no answer")?;
    let mut outcome = answer.summary();
    remember_access_token(world, &answer, &mut outcome);
    if let Some(refresh) = answer.body.get("refresh_token").and_then(Value::as_str) {
        world.refresh_token = Some(refresh.to_owned());
        outcome.push_str(" with a refresh token");
    }
    let failures = check(&step.expect, &answer, &world.vars);
    Ok(Played::new(outcome, failures))
}

impl Play for SignupStep {
    fn describe(&self) -> String {
        format!("signup {}", self.email)
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(signup(self, world))
    }
}

/// `POST /dbconnections/signup` as the Default App.
async fn signup(step: &SignupStep, world: &mut World) -> Result<Played, String> {
    let connection = world.connection(step.connection.as_deref())?;
    let (client_id, _) = world.client(DEFAULT_APP)?;
    let mut body =
        json!({ "client_id": client_id, "email": step.email, "password": step.password, "connection": connection });
    if let Some(username) = &step.username {
        body["username"] = json!(username);
    }
    for (key, value) in &step.fields {
        body[key] = value.clone();
    }
    let answer = send(world.http.post(world.auth0_url("/dbconnections/signup")).json(&body)).await?;
    let outcome = match answer.body.get("code").and_then(Value::as_str) {
        Some(code) => format!(
            "{} {code}: {}",
            answer.status,
            answer
                .body
                .get("description")
                .map(|d| d.as_str().map_or_else(|| d.to_string(), str::to_owned))
                .unwrap_or_default()
        ),
        None => answer.summary(),
    };
    let failures = check(&step.expect, &answer, &world.vars);
    Ok(Played::new(outcome, failures))
}

impl Play for RefreshStep {
    fn describe(&self) -> String {
        match &self.scope {
            Some(scope) => format!("refresh scope {scope:?}"),
            None => "refresh".into(),
        }
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(refresh(self, world))
    }
}

/// `grant_type=refresh_token` with the refresh token of the last login that got one.
async fn refresh(step: &RefreshStep, world: &mut World) -> Result<Played, String> {
    let refresh_token = world
        .refresh_token
        .clone()
        .ok_or("no login has got a refresh token yet (ask for offline_access)")?;
    let (client_id, client_secret) = world.client(step.client.as_deref().unwrap_or(DEFAULT_APP))?;
    let mut form = vec![
        ("grant_type", "refresh_token".to_owned()),
        ("client_id", client_id),
        ("client_secret", client_secret),
        ("refresh_token", refresh_token),
    ];
    if let Some(scope) = &step.scope {
        form.push(("scope", scope.clone()));
    }
    let answer = send(world.http.post(world.auth0_url("/oauth/token")).form(&form)).await?;
    let mut outcome = answer.summary();
    remember_access_token(world, &answer, &mut outcome);
    let failures = check(&step.expect, &answer, &world.vars);
    Ok(Played::new(outcome, failures))
}

impl Play for UserinfoStep {
    fn describe(&self) -> String {
        "userinfo".into()
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(userinfo(self, world))
    }
}

/// `GET /userinfo` with the access token of the last successful login or refresh.
async fn userinfo(step: &UserinfoStep, world: &mut World) -> Result<Played, String> {
    let token = world
        .access_token
        .clone()
        .ok_or("no login has succeeded yet: userinfo needs its access token")?;
    let answer = send(world.http.get(world.auth0_url("/userinfo")).bearer_auth(token)).await?;
    let outcome = match (answer.status, answer.body.get("sub")) {
        (200, Some(sub)) => format!("200 {}", sub.as_str().unwrap_or_default()),
        _ => answer.summary(),
    };
    let failures = check(&step.expect, &answer, &world.vars);
    Ok(Played::new(outcome, failures))
}

impl Play for ChangePasswordStep {
    fn describe(&self) -> String {
        format!("change_password {}", self.email)
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(change_password(self, world))
    }
}

/// `POST /dbconnections/change_password` (the "forgot password" request).
async fn change_password(step: &ChangePasswordStep, world: &mut World) -> Result<Played, String> {
    let connection = world.connection(step.connection.as_deref())?;
    let (client_id, _) = world.client(DEFAULT_APP)?;
    let answer = send(
        world
            .http
            .post(world.auth0_url("/dbconnections/change_password"))
            .json(&json!({
                "client_id": client_id,
                "email": step.email,
                "connection": connection,
            })),
    )
    .await?;
    let outcome = match &answer.body {
        Value::String(s) => format!("{} {s}", answer.status),
        _ => answer.summary(),
    };
    let failures = check(&step.expect, &answer, &world.vars);
    Ok(Played::new(outcome, failures))
}

impl Play for ResetPasswordStep {
    fn describe(&self) -> String {
        match self.via {
            ResetVia::Email => format!("reset_password {}", self.email),
            ResetVia::Ticket => format!("reset_password {} via ticket", self.email),
        }
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(reset_password(self, world))
    }
}

/// Follows the newest reset link emailed to the user (or a password-change ticket made now)
/// and sets the new password at `/lo/reset`.
async fn reset_password(step: &ResetPasswordStep, world: &mut World) -> Result<Played, String> {
    let email = step.email.to_lowercase();
    let link = match step.via {
        ResetVia::Email => newest_link(world, &email, "reset_email"),
        ResetVia::Ticket => {
            let connection = world.connection(step.connection.as_deref())?;
            let connection_id = world
                .auth0
                .connection_id(&connection)
                .ok_or_else(|| format!("no connection {connection:?} in the tenant"))?;
            let body = json!({
                "email": email,
                "connection_id": connection_id,
                "mark_email_as_verified": step.mark_email_as_verified,
            });
            let answer = world
                .api("POST", "/api/v2/tickets/password-change", Some(&body))
                .await?;
            if answer.status != 201 {
                let failures = check(&step.expect, &answer, &world.vars);
                let failures = if failures.is_empty() && step.expect.status.is_none() {
                    vec![format!("no ticket: {}", answer.summary())]
                } else {
                    failures
                };
                return Ok(Played::new(answer.summary(), failures));
            }
            answer.body.get("ticket").and_then(Value::as_str).map(str::to_owned)
        }
    };
    let Some(link) = link else {
        return Ok(Played::new("no reset link", vec![format!("no reset link for {email}")]));
    };
    let ticket = url::Url::parse(&link)
        .ok()
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "ticket")
                .map(|(_, v)| v.into_owned())
        })
        .ok_or_else(|| format!("the reset link {link} has no ticket"))?;
    let answer = send(world.http.post(world.auth0_url("/lo/reset")).form(&[
        ("ticket", ticket.as_str()),
        ("newPassword", step.new_password.as_str()),
        ("confirmNewPassword", step.new_password.as_str()),
    ]))
    .await?;
    let outcome = match answer.body.get("message").and_then(Value::as_str) {
        Some(message) => format!("{} {message}", answer.status),
        None => answer.summary(),
    };
    let failures = check(&step.expect, &answer, &world.vars);
    Ok(Played::new(outcome, failures))
}

impl Play for VerifyEmailStep {
    fn describe(&self) -> String {
        format!("verify_email {}", self.email)
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(verify_email(self, world))
    }
}

/// Follows the newest email-verification link emailed to the user; the page's message is the
/// answer's `message`.
async fn verify_email(step: &VerifyEmailStep, world: &mut World) -> Result<Played, String> {
    let email = step.email.to_lowercase();
    let Some(link) = newest_link(world, &email, "verification_email") else {
        return Ok(Played::new(
            "no verification email",
            vec![format!("no verification email was sent to {email}")],
        ));
    };
    let link = link.trim_end_matches('#').to_owned();
    let response = world
        .http
        .get(&link)
        .send()
        .await
        .map_err(|e| format!("GET {link}: {e}"))?;
    let status = response.status().as_u16();
    let page = response.text().await.unwrap_or_default();
    // The page's message, for the report (an HTML page, not JSON).
    let message = page
        .split("<p id=\"message\">")
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .unwrap_or("")
        .to_owned();
    let answer = Answer {
        status,
        body: json!({ "message": message }),
    };
    let failures = check(&step.expect, &answer, &world.vars);
    Ok(Played::new(format!("{status} {message}"), failures))
}

/// Keeps a token answer's access token for later `userinfo` steps and names its user in the
/// step's outcome. Access tokens without an audience are opaque, as on Auth0, so the mock
/// names the user it issued the token for.
fn remember_access_token(world: &mut World, answer: &Answer, outcome: &mut String) {
    let Some(token) = answer.body.get("access_token").and_then(Value::as_str) else {
        return;
    };
    world.access_token = Some(token.to_owned());
    if let Some(sub) = world.auth0.token_subject(token) {
        outcome.push_str(&format!(" as {sub}"));
    }
}

/// The link of the newest email of `kind` the tenant sent to `email` (lower case).
fn newest_link(world: &World, email: &str, kind: &str) -> Option<String> {
    world
        .auth0
        .outbox()
        .into_iter()
        .rev()
        .find(|m| m.to == email && m.kind == kind)
        .map(|m| m.link)
}
