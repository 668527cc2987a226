//! Seed data from files and request bodies, with errors that say where.
//!
//! A seed is YAML or JSON (JSON is read as YAML, which it almost always is). Errors carry the
//! file (when there is one), line, column and reason, so that a wrong seed file is fixed in one
//! look.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

/// Why seed data was refused.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The document could not be read into the seed type.
    #[error("{}{reason}", location(.file.as_deref(), *.line, *.column))]
    Parse {
        file: Option<PathBuf>,
        line: Option<u64>,
        column: Option<u64>,
        reason: String,
    },
    /// The document was well-formed but its data cannot be accepted (a duplicate login, say).
    #[error("{0}")]
    Invalid(String),
    #[error("cannot read {}: {source}", .file.display())]
    Io { file: PathBuf, source: std::io::Error },
}

fn location(file: Option<&Path>, line: Option<u64>, column: Option<u64>) -> String {
    let mut out = String::new();
    if let Some(file) = file {
        out.push_str(&file.display().to_string());
    }
    if let Some(line) = line {
        if !out.is_empty() {
            out.push(':');
        } else {
            out.push_str("line ");
        }
        out.push_str(&line.to_string());
        if let Some(column) = column {
            out.push(':');
            out.push_str(&column.to_string());
        }
    }
    if !out.is_empty() {
        out.push_str(": ");
    }
    out
}

impl SeedError {
    /// Turns a YAML error into a seed error located in `file`.
    pub fn from_yaml(error: &serde_saphyr::Error, file: Option<&Path>) -> Self {
        let location = error.location();
        SeedError::Parse {
            file: file.map(Path::to_path_buf),
            line: location.map(|l| l.line()),
            column: location.map(|l| l.column()),
            reason: yaml_reason(&error.to_string()),
        }
    }
}

/// The reason alone: serde-saphyr's first line is `error: line L column C: reason` and a
/// snippet follows; the location is printed by us, in `file:line:column` form.
pub fn yaml_reason(text: &str) -> String {
    let reason = text.lines().next().unwrap_or(text).trim();
    let reason = reason.strip_prefix("error: ").unwrap_or(reason);
    let without_location = reason
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
        .filter(|(location, _)| {
            location
                .split(" column ")
                .all(|n| n.chars().all(|c| c.is_ascii_digit()))
        })
        .map(|(_, reason)| reason);
    let reason = without_location.unwrap_or(reason);
    match reason.rfind(" at line ") {
        Some(i) => reason[..i].to_owned(),
        None => reason.to_owned(),
    }
}

/// Reads a seed document from text (YAML or JSON).
pub fn parse<T: DeserializeOwned>(text: &str, file: Option<&Path>) -> Result<T, SeedError> {
    serde_saphyr::from_str(text).map_err(|e| SeedError::from_yaml(&e, file))
}

/// Reads a seed document from a file (YAML or JSON).
pub fn load<T: DeserializeOwned>(file: &Path) -> Result<T, SeedError> {
    let text = std::fs::read_to_string(file).map_err(|source| SeedError::Io {
        file: file.to_path_buf(),
        source,
    })?;
    parse(&text, Some(file))
}

impl fmt::Display for crate::kit::fault::Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Seed {
        users: Vec<User>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct User {
        login: String,
    }

    #[test]
    fn errors_say_file_line_and_column() {
        let err = parse::<Seed>(
            "users:\n  - login: a@b.c\n  - logn: x@y.z\n",
            Some(Path::new("seed.yaml")),
        )
        .expect_err("unknown key must be refused");
        let text = err.to_string();
        assert!(text.starts_with("seed.yaml:3:"), "{text}");
        assert!(!text.contains("line 3"), "the location is said once: {text}");
        assert!(text.contains("logn"), "{text}");
    }

    #[test]
    fn json_is_accepted() {
        let seed: Seed = parse(r#"{"users": [{"login": "a@b.c"}]}"#, None).expect("JSON seed");
        assert_eq!(seed.users.len(), 1);
    }
}
