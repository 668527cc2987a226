//! Reading the insta snapshots under `snapshots/`, so that `ferry run` checks a scenario's
//! result against the snapshot `cargo test` keeps (and reviewers approved), not only against
//! its inline expectations.

use std::path::{Path, PathBuf};

use serde_json::Value;
use similar::TextDiff;

/// Where the snapshot of a scenario lives: `snapshots/<name>.snap`, next to `scenarios/`.
pub fn snapshot_path(scenario_file: &Path, snapshot_name: &str) -> Option<PathBuf> {
    let mut dir = scenario_file.parent();
    while let Some(d) = dir {
        if d.file_name().is_some_and(|n| n == "scenarios") {
            return d
                .parent()
                .map(|root| root.join("snapshots").join(format!("{snapshot_name}.snap")));
        }
        dir = d.parent();
    }
    None
}

/// The outcome of comparing against a stored snapshot.
#[derive(Debug, PartialEq)]
pub enum SnapshotCheck {
    Matches,
    /// No snapshot stored yet (`cargo test` writes one for review).
    Missing(PathBuf),
    /// It differs; the unified diff, stored first.
    Differs {
        path: PathBuf,
        diff: String,
    },
}

/// Compares `actual` with the JSON body of the stored `.snap` file.
pub fn check(path: &Path, actual: &Value) -> Result<SnapshotCheck, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(SnapshotCheck::Missing(path.to_path_buf()));
        }
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let body = strip_header(&text);
    let stored: Value =
        serde_json::from_str(body).map_err(|e| format!("{}: not a JSON snapshot: {e}", path.display()))?;
    let actual = serde_json::from_str::<Value>(&actual.to_string()).unwrap_or(Value::Null);
    if stored == actual {
        return Ok(SnapshotCheck::Matches);
    }
    let old = pretty_sorted(&stored);
    let new = pretty_sorted(&actual);
    let diff = TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header("snapshot", "this run")
        .to_string();
    Ok(SnapshotCheck::Differs {
        path: path.to_path_buf(),
        diff,
    })
}

/// The part of an insta `.snap` file after its `---` header.
fn strip_header(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("---\n") else {
        return text;
    };
    match rest.find("\n---\n") {
        Some(end) => &rest[end + 5..],
        None => text,
    }
}

fn sort(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k.clone(), sort(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(sort).collect()),
        other => other.clone(),
    }
}

fn pretty_sorted(value: &Value) -> String {
    serde_json::to_string_pretty(&sort(value)).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_insta_files_and_diffs() {
        let dir = std::env::temp_dir().join(format!("ferry-snap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("x.snap");
        std::fs::write(
            &path,
            "---\nsource: tests/scenarios.rs\nexpression: report.snapshot()\n---\n{\n  \"users\": [],\n  \"a\": 1\n}\n",
        )
        .expect("write");
        assert_eq!(check(&path, &json!({"a": 1, "users": []})), Ok(SnapshotCheck::Matches));
        match check(&path, &json!({"a": 2, "users": []})) {
            Ok(SnapshotCheck::Differs { diff, .. }) => {
                assert!(diff.contains("-  \"a\": 1") && diff.contains("+  \"a\": 2"), "{diff}")
            }
            other => panic!("expected a difference, got {other:?}"),
        }
        assert!(matches!(
            check(&dir.join("none.snap"), &json!({})),
            Ok(SnapshotCheck::Missing(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn finds_the_snapshot_next_to_the_scenarios_dir() {
        assert_eq!(
            snapshot_path(Path::new("/repo/scenarios/okta/first.yaml"), "okta__first"),
            Some(PathBuf::from("/repo/snapshots/okta__first.snap"))
        );
        assert_eq!(snapshot_path(Path::new("/tmp/first.yaml"), "x"), None);
    }
}
