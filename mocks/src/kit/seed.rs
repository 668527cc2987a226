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

/// The largest seed file read: 1 GiB (a generated population of a million accounts is about
/// 330 MB of JSON).
pub const MAX_SEED_FILE_BYTES: u64 = 1 << 30;

/// Nodes (mappings, sequences and scalars) a YAML seed may hold: 20 million, about 1.5 million
/// accounts of a generated population. The YAML reader's default (250,000) refused a
/// 20,000-account seed; the bound stays, against documents built to exhaust memory. JSON
/// files are read by a JSON parser and need no such budget.
pub const MAX_YAML_SEED_NODES: usize = 20_000_000;

/// Reads a seed document from YAML text (JSON is YAML too), within the seed budget
/// ([`MAX_YAML_SEED_NODES`]).
pub fn parse<T: DeserializeOwned>(text: &str, file: Option<&Path>) -> Result<T, SeedError> {
    let mut options = serde_saphyr::Options::default();
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = MAX_YAML_SEED_NODES;
    budget.max_events = MAX_YAML_SEED_NODES.saturating_mul(2);
    budget.max_total_scalar_bytes = usize::try_from(MAX_SEED_FILE_BYTES).unwrap_or(usize::MAX);
    options.budget = Some(budget);
    serde_saphyr::from_str_with_options(text, options).map_err(|e| SeedError::from_yaml(&e, file))
}

/// Reads a seed document from JSON text, with the line and column of an error.
pub fn parse_json<T: DeserializeOwned>(text: &str, file: Option<&Path>) -> Result<T, SeedError> {
    serde_json::from_str(text).map_err(|e| {
        let reason = e.to_string();
        let reason = match reason.rfind(" at line ") {
            Some(i) => reason[..i].to_owned(),
            None => reason,
        };
        SeedError::Parse {
            file: file.map(Path::to_path_buf),
            line: Some(e.line() as u64),
            column: Some(e.column() as u64),
            reason,
        }
    })
}

/// Reads a seed document from a file: a `.json` file with the JSON parser (fast, and without
/// the YAML reader's node budget: what `ferry generate` writes), anything else as YAML.
/// Files over [`MAX_SEED_FILE_BYTES`] are refused.
pub fn load<T: DeserializeOwned>(file: &Path) -> Result<T, SeedError> {
    let io = |source| SeedError::Io {
        file: file.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(file).map_err(io)?.len();
    if size > MAX_SEED_FILE_BYTES {
        return Err(SeedError::Invalid(format!(
            "{}: {size} bytes is more than a seed file may have ({MAX_SEED_FILE_BYTES})",
            file.display()
        )));
    }
    let text = std::fs::read_to_string(file).map_err(io)?;
    if file.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
        parse_json(&text, Some(file))
    } else {
        parse(&text, Some(file))
    }
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
    fn json_files_are_read_as_json_with_their_place_on_error() {
        let dir = std::env::temp_dir().join(format!("ferry-seed-json-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("seed.json");
        std::fs::write(&file, "{\"users\": [\n  {\"login\": \"a@b.c\"},\n  {\"logn\": 1}]}").expect("write");
        let err = load::<Seed>(&file).expect_err("unknown field");
        let text = err.to_string();
        assert!(text.starts_with(&format!("{}:3:", file.display())), "{text}");
        assert!(
            text.contains("unknown field `logn`") && !text.contains(" at line "),
            "{text}"
        );
        std::fs::write(&file, "{\"users\": [{\"login\": \"a@b.c\"}]}").expect("write");
        assert_eq!(load::<Seed>(&file).expect("loads").users.len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn yaml_seeds_have_a_larger_but_bounded_budget() {
        // 260,000 nodes: over the YAML reader's default of 250,000.
        let mut text = String::from("users:\n");
        for n in 0..130_000 {
            text.push_str(&format!("  - login: u{n}@example.com\n"));
        }
        let seed: Seed = parse(&text, None).expect("a large seed loads");
        assert_eq!(seed.users.len(), 130_000);
        // A billion-laughs document still stops at the alias limits.
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..12 {
            let prev = level - 1;
            bomb.push_str(&format!("l{level}: &l{level} [*l{prev}, *l{prev}, *l{prev}, *l{prev}, *l{prev}, *l{prev}, *l{prev}, *l{prev}, *l{prev}, *l{prev}]\n").replace("*l0", "*a"));
        }
        let err = parse::<serde_json::Value>(&bomb, None)
            .expect_err("refused")
            .to_string();
        assert!(err.contains("alias") || err.contains("budget"), "{err}");
    }

    #[test]
    fn json_is_accepted() {
        let seed: Seed = parse(r#"{"users": [{"login": "a@b.c"}]}"#, None).expect("JSON seed");
        assert_eq!(seed.users.len(), 1);
    }
}
