//! Tenant log events, as Auth0 records them for the flows Ferry covers (`s` success login,
//! `fp` wrong password, `fu` unknown user, `f` failed login, `scpr`/`fcpr` password change
//! requests, `scp` password changed, `limit_wc` brute-force block, `ss` signup, `sui`/`fui`
//! an import job that completed or failed, `sv`/`fv` email verification, `sertft`/`fertft` a
//! refresh token exchanged for an access token, `mfar` a login that must pass MFA). Kept bounded: [`LOG_CAPACITY`] events, each
//! description capped at [`KEPT_TEXT_LIMIT`](super::scripts::KEPT_TEXT_LIMIT) bytes.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::scripts::cap_text;
use crate::kit::clock::iso_millis;

/// Most events kept.
pub(crate) const LOG_CAPACITY: usize = 10_000;

/// One tenant log event.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LogEvent {
    pub log_id: String,
    #[serde(serialize_with = "ser_time")]
    pub date: DateTime<Utc>,
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// `con_…` of `connection`, when the event concerns one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    /// The event's `details` object (an import job's id and summary, for `sui`/`fui`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl LogEvent {
    /// An event of `kind`, with nothing but its id, time and description known yet; the rest
    /// is filled in with struct update syntax. The description is capped as every string kept
    /// from a script is ([`cap_text`]): it often is a script's error message.
    pub(crate) fn new(log_id: String, date: DateTime<Utc>, kind: &str, description: impl Into<String>) -> Self {
        let mut description = description.into();
        cap_text(&mut description);
        Self {
            log_id,
            date,
            kind: kind.to_owned(),
            description,
            connection: None,
            client_id: None,
            user_id: None,
            user_name: None,
            ip: None,
            connection_id: None,
            details: None,
        }
    }
}

impl super::Auth0 {
    /// A new event with the tenant's next log id and the mock clock's time.
    pub(crate) fn new_log_event(&self, kind: &str, description: impl Into<String>) -> LogEvent {
        LogEvent::new(
            format!("9002{}", self.kit().ids.hex(52)),
            self.kit().clock.now(),
            kind,
            description,
        )
    }
}

fn ser_time<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&iso_millis(*t))
}
