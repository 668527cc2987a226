//! The description of one script invocation.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

/// One invocation of a custom database script.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScriptCall {
    /// The script text: a single function (declaration or expression, `async` and arrow
    /// functions accepted), exactly as stored in the connection's `customScripts`.
    #[serde(serialize_with = "serialize_source")]
    pub source: Arc<str>,
    /// File name used in stack traces and errors, e.g. `login.js`.
    pub file_name: String,
    /// Arguments before `callback` (and before `context`), e.g. `[email, password]`.
    pub args: Vec<serde_json::Value>,
    /// The connection's `configuration`, exposed as the frozen global `configuration`.
    pub configuration: BTreeMap<String, String>,
    /// With `enable_script_context`, the `context` argument inserted before `callback`.
    pub context: Option<serde_json::Value>,
}

fn serialize_source<S: serde::Serializer>(source: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(source)
}
