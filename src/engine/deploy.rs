//! `ferry deploy`: a custom database connection as code. Creates or updates, through the
//! Management API only, the connection with its scripts, import mode and configuration values,
//! and enables it for the named applications — idempotently: a second run with the same input
//! changes nothing and says so. A connection that ends up enabled for no application is
//! reported as a warning: Auth0 refuses logins through it and imports into it.
//!
//! Input comes from flags or from an auth0-deploy-cli tree
//! (`database-connections/NAME/database.json` naming its script files), with deploy-cli's
//! keyword replacement: `##KEY##` becomes the value, `@@KEY@@` its JSON form.
//!
//! Configuration values are secrets that Auth0 does not hand back, so whether they changed is
//! decided by a fingerprint (SHA-256 of the sorted values) kept in the connection's `metadata`
//! under `ferry_configuration`; the values themselves are never printed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::auth0::ManagementClient;
use super::error::EngineError;

/// Metadata key holding the configuration fingerprint.
pub const FINGERPRINT_KEY: &str = "ferry_configuration";

/// What to deploy.
#[derive(Clone, Debug, Default)]
pub struct ConnectionSpec {
    pub name: String,
    /// Script sources by script name (`login`, `get_user`, ...).
    pub scripts: BTreeMap<String, String>,
    /// Configuration values (secrets).
    pub configuration: BTreeMap<String, String>,
    pub import_mode: bool,
    /// Application names (or client ids) to enable the connection for.
    pub enabled_clients: Vec<String>,
    /// Further options in Auth0's naming (`requires_username`, `brute_force_protection`, ...).
    pub options: Map<String, Value>,
}

impl std::fmt::Display for ConnectionSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({} scripts, {} configuration values)",
            self.name,
            self.scripts.len(),
            self.configuration.len()
        )
    }
}

/// What a deploy did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DeployOutcome {
    pub connection_id: String,
    /// `created`, `updated` or `unchanged`.
    pub action: String,
    /// What changed (`scripts.login`, `configuration`, `import_mode`, `enabled_clients`, ...).
    pub changes: Vec<String>,
    /// What the deploy leaves that will not work (a connection enabled for no application).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The warning for a connection that ends a deploy enabled for no application: Auth0 refuses
/// logins through it and imports into it (FIDELITY `auth0/login-connection`,
/// `auth0/import-connection`).
fn enabled_for_nobody(name: &str) -> String {
    format!(
        "{name} is enabled for no application: logins through it answer \"the connection was disabled\" and Auth0 \
         refuses imports into it. Name the applications with --enable-client APP (or enabled_clients in the \
         deploy-cli tree's database.json)."
    )
}

fn fingerprint(configuration: &BTreeMap<String, String>) -> String {
    let mut hasher = Sha256::new();
    for (key, value) in configuration {
        hasher.update(key.as_bytes());
        hasher.update([0]);
        hasher.update(value.as_bytes());
        hasher.update([0]);
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Replaces deploy-cli keywords: `##KEY##` with the value, `@@KEY@@` with its JSON string.
pub fn replace_keywords(text: &str, keywords: &BTreeMap<String, String>) -> String {
    let mut out = text.to_owned();
    for (key, value) in keywords {
        out = out.replace(&format!("##{key}##"), value);
        out = out.replace(&format!("@@{key}@@"), &Value::String(value.clone()).to_string());
    }
    out
}

/// The deploy-cli keywords (`##KEY##`, `@@KEY@@`) left in `text` after replacement, in order,
/// once each: a deploy with any of them would send the placeholder itself.
pub fn unreplaced_keywords(text: &str) -> Vec<String> {
    let mut found: Vec<String> = vec![];
    for mark in ["##", "@@"] {
        let mut rest = text;
        while let Some(start) = rest.find(mark) {
            let after = &rest[start + mark.len()..];
            let key_len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if key_len > 0 && after[key_len..].starts_with(mark) {
                let keyword = format!("{mark}{}{mark}", &after[..key_len]);
                if !found.contains(&keyword) {
                    found.push(keyword);
                }
                rest = &after[key_len + mark.len()..];
            } else {
                rest = after;
            }
        }
    }
    found
}

/// Refuses a deploy whose files still hold keywords no `--keyword` replaced, naming each and
/// where it is.
fn refuse_unreplaced(places: &[(PathBuf, Vec<String>)]) -> Result<(), EngineError> {
    let missing: Vec<String> = places
        .iter()
        .filter(|(_, keywords)| !keywords.is_empty())
        .map(|(path, keywords)| format!("{} in {}", keywords.join(", "), path.display()))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(EngineError::Config(format!(
        "keywords left unreplaced: {}; give each with --keyword KEY=VALUE (a deploy would send the placeholder itself)",
        missing.join("; ")
    )))
}

/// Reads `database-connections/<name>/database.json` of an auth0-deploy-cli tree (the
/// directory of that file, or the tree's root with `name`).
pub fn read_deploy_cli(
    dir: &Path,
    name: Option<&str>,
    keywords: &BTreeMap<String, String>,
) -> Result<ConnectionSpec, EngineError> {
    let connection_dir = match name {
        Some(name) => dir.join("database-connections").join(name),
        None => dir.to_path_buf(),
    };
    let path = connection_dir.join("database.json");
    let text = std::fs::read_to_string(&path).map_err(EngineError::io(&path))?;
    let text = replace_keywords(&text, keywords);
    let mut left = vec![(path.clone(), unreplaced_keywords(&text))];
    let value: Value = serde_json::from_str(&text).map_err(|e| EngineError::Export {
        path: path.clone(),
        reason: format!("not JSON: {e}"),
    })?;
    let invalid = |reason: String| EngineError::Export {
        path: path.clone(),
        reason,
    };
    let name = value
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("no name".into()))?
        .to_owned();
    if let Some(strategy) = value.get("strategy").and_then(Value::as_str)
        && strategy != "auth0"
    {
        return Err(invalid(format!(
            "strategy {strategy}: only database connections (auth0) are deployed"
        )));
    }
    let mut options = value
        .get("options")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut scripts = BTreeMap::new();
    if let Some(Value::Object(custom)) = options.remove("customScripts") {
        for (script, file) in custom {
            let file = file
                .as_str()
                .ok_or_else(|| invalid(format!("customScripts.{script} is not a file name")))?;
            let script_path: PathBuf = connection_dir.join(file);
            let source = std::fs::read_to_string(&script_path).map_err(EngineError::io(&script_path))?;
            let source = replace_keywords(&source, keywords);
            left.push((script_path, unreplaced_keywords(&source)));
            scripts.insert(script, source);
        }
    }
    refuse_unreplaced(&left)?;
    let configuration = match options.remove("configuration") {
        Some(Value::Object(config)) => config
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
            .collect(),
        _ => BTreeMap::new(),
    };
    let import_mode = options.remove("import_mode").and_then(|v| v.as_bool()).unwrap_or(false);
    options.remove("enabledDatabaseCustomization");
    let enabled_clients = value
        .get("enabled_clients")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(|c| c.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    Ok(ConnectionSpec {
        name,
        scripts,
        configuration,
        import_mode,
        enabled_clients,
        options,
    })
}

/// Deploys a connection.
pub async fn deploy(client: &ManagementClient, spec: &ConnectionSpec) -> Result<DeployOutcome, EngineError> {
    let all_clients = client.clients().await?;
    let mut wanted_clients = vec![];
    for entry in &spec.enabled_clients {
        match all_clients.iter().find(|(name, id)| name == entry || id == entry) {
            Some((_, id)) => wanted_clients.push(id.clone()),
            None => {
                return Err(EngineError::Config(format!(
                    "the tenant has no application named {entry:?}"
                )));
            }
        }
    }
    let print = fingerprint(&spec.configuration);
    let mut desired = spec.options.clone();
    desired.insert("enabledDatabaseCustomization".into(), json!(!spec.scripts.is_empty()));
    desired.insert("import_mode".into(), json!(spec.import_mode));
    desired.insert("customScripts".into(), json!(spec.scripts));

    let existing = client.connection_by_name(&spec.name).await?;
    let Some(existing) = existing else {
        let mut options = desired.clone();
        options.insert("configuration".into(), json!(spec.configuration));
        let created = client
            .create_connection(&json!({
                "name": spec.name,
                "strategy": "auth0",
                "options": options,
                "enabled_clients": wanted_clients,
                "metadata": { FINGERPRINT_KEY: print },
            }))
            .await?;
        let id = created.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
        let warnings = if wanted_clients.is_empty() {
            vec![enabled_for_nobody(&spec.name)]
        } else {
            vec![]
        };
        return Ok(DeployOutcome {
            connection_id: id,
            action: "created".into(),
            changes: vec![],
            warnings,
        });
    };
    let id = existing
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let current_options = existing
        .get("options")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut changes = vec![];
    for (key, value) in &desired {
        if key == "customScripts" {
            let current = current_options
                .get("customScripts")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            for (script, source) in &spec.scripts {
                if current.get(script).and_then(Value::as_str) != Some(source.as_str()) {
                    changes.push(format!("scripts.{script}"));
                }
            }
            for script in current.keys().filter(|k| !spec.scripts.contains_key(*k)) {
                changes.push(format!("scripts.{script} (removed)"));
            }
        } else if current_options.get(key) != Some(value) {
            changes.push(key.clone());
        }
    }
    let current_print = existing
        .get("metadata")
        .and_then(|m| m.get(FINGERPRINT_KEY))
        .and_then(Value::as_str);
    if current_print != Some(print.as_str()) {
        changes.push("configuration".into());
    }
    if !changes.is_empty() {
        // The whole options object is replaced: send every option, the configuration included.
        let mut options = current_options.clone();
        options.remove("customScripts");
        for (key, value) in desired {
            options.insert(key, value);
        }
        options.insert("configuration".into(), json!(spec.configuration));
        let mut metadata = existing
            .get("metadata")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        metadata.insert(FINGERPRINT_KEY.into(), json!(print));
        client
            .update_connection(&id, &json!({ "options": options, "metadata": metadata }))
            .await?;
    }
    let enabled = client.connection_clients(&id).await?;
    let missing: Vec<(String, bool)> = wanted_clients
        .iter()
        .filter(|c| !enabled.contains(c))
        .map(|c| (c.clone(), true))
        .collect();
    if !missing.is_empty() {
        client.set_connection_clients(&id, &missing).await?;
        changes.push("enabled_clients".into());
    }
    let action = if changes.is_empty() { "unchanged" } else { "updated" };
    let warnings = if enabled.is_empty() && missing.is_empty() {
        vec![enabled_for_nobody(&spec.name)]
    } else {
        vec![]
    };
    Ok(DeployOutcome {
        connection_id: id,
        action: action.into(),
        changes,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_replaced_as_deploy_cli_does() {
        let keywords = BTreeMap::from([("OKTA_URL".to_owned(), "https://dev-1.okta.com".to_owned())]);
        assert_eq!(
            replace_keywords("url: '##OKTA_URL##'", &keywords),
            "url: 'https://dev-1.okta.com'"
        );
        assert_eq!(
            replace_keywords("\"u\": @@OKTA_URL@@", &keywords),
            "\"u\": \"https://dev-1.okta.com\""
        );
    }

    #[test]
    fn keywords_left_unreplaced_are_named_and_refused() {
        assert_eq!(
            unreplaced_keywords("a ##OKTA_URL## b @@TOKEN@@ c ##OKTA_URL## ## not one ## #x# ##a b##"),
            ["##OKTA_URL##", "@@TOKEN@@"]
        );
        assert!(unreplaced_keywords("var x = '##'; // ## comment").is_empty());
        let dir = std::env::temp_dir().join(format!("ferry-deploy-keywords-{}", std::process::id()));
        let connection = dir.join("database-connections").join("users");
        std::fs::create_dir_all(&connection).expect("dir");
        std::fs::write(
            connection.join("database.json"),
            r###"{"name": "users", "options": {"customScripts": {"login": "./login.js"}, "configuration": {"URL": "##OKTA_URL##"}}}"###,
        )
        .expect("database.json");
        std::fs::write(
            connection.join("login.js"),
            "function login() { var t = '@@OKTA_TOKEN@@'; }",
        )
        .expect("login.js");
        let err = read_deploy_cli(&dir, Some("users"), &BTreeMap::new()).expect_err("unreplaced");
        let text = err.to_string();
        assert!(
            text.contains("##OKTA_URL## in") && text.contains("@@OKTA_TOKEN@@ in"),
            "{text}"
        );
        assert!(text.contains("--keyword KEY=VALUE"), "{text}");
        let keywords = BTreeMap::from([
            ("OKTA_URL".to_owned(), "https://dev-1.okta.com".to_owned()),
            ("OKTA_TOKEN".to_owned(), "t".to_owned()),
        ]);
        let spec = read_deploy_cli(&dir, Some("users"), &keywords).expect("all given");
        assert_eq!(spec.configuration["URL"], "https://dev-1.okta.com");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_fingerprint_depends_on_every_value() {
        let a = BTreeMap::from([("K".to_owned(), "v1".to_owned())]);
        let b = BTreeMap::from([("K".to_owned(), "v2".to_owned())]);
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_eq!(fingerprint(&a), fingerprint(&a.clone()));
    }
}
