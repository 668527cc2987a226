//! Reading a scenario file: YAML into [`ScenarioFile`] (every format error, closed sets and
//! number ranges included, with file, line and column), the connection's script files and the
//! `seed_files` read, the scenario's name derived from its path; and finding scenario files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::ScenarioError;
use super::file::{MockName, ScenarioFile};

/// A scenario ready to run.
#[derive(Debug)]
pub struct Scenario {
    /// Where it was read from.
    pub path: PathBuf,
    /// `okta/first_login` for `scenarios/okta/first_login.yaml`.
    pub name: String,
    pub file: ScenarioFile,
    /// Script sources by script name, read from the files the connection names.
    pub scripts: BTreeMap<String, String>,
}

impl Scenario {
    /// The snapshot name: the scenario name with `/` as `__` (`okta__first_login`).
    pub fn snapshot_name(&self) -> String {
        self.name.replace('/', "__")
    }
}

/// The scenario's name: its path below the nearest `scenarios` directory, without extension.
pub fn scenario_name(path: &Path) -> String {
    let stemmed = path.with_extension("");
    let components: Vec<String> = stemmed
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    match components.iter().rposition(|c| c == "scenarios") {
        Some(i) if i + 1 < components.len() => components[i + 1..].join("/"),
        _ => {
            let n = components.len();
            components[n.saturating_sub(2)..].join("/")
        }
    }
}

/// Loads a scenario file, with file, line and column on any error.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    let file: ScenarioFile = serde_saphyr::from_str(&text).map_err(|e| {
        let location = e.location();
        let reason = mocks::kit::seed::yaml_reason(&e.to_string());
        ScenarioError::Parse {
            file: path.to_path_buf(),
            line: location.map_or(0, |l| l.line()),
            column: location.map_or(0, |l| l.column()),
            reason,
        }
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut scripts = BTreeMap::new();
    if let Some(connection) = &file.auth0.connection {
        // Script names are a closed set (the file format refuses others); read in name order.
        let mut named: Vec<_> = connection
            .scripts
            .iter()
            .map(|(kind, script)| (kind.key(), script))
            .collect();
        named.sort_by_key(|(name, _)| *name);
        for (name, script) in named {
            let script_path = base.join(&script.value);
            let source = std::fs::read_to_string(&script_path).map_err(|e| ScenarioError::Invalid {
                file: path.to_path_buf(),
                line: Some(script.referenced.line()),
                reason: format!("cannot read the {name} script {}: {e}", script_path.display()),
            })?;
            scripts.insert(name.to_owned(), source);
        }
    }
    let mut file = file;
    for (mock, seed_path) in &file.seed_files.clone() {
        let full = base.join(seed_path);
        let invalid = |reason: String| ScenarioError::Invalid {
            file: path.to_path_buf(),
            line: None,
            reason,
        };
        let load_error = |e: mocks::SeedError| invalid(format!("seed file for {}: {e}", mock.as_str()));
        match mock {
            MockName::Okta if file.okta.is_none() => {
                file.okta = Some(mocks::kit::seed::load(&full).map_err(load_error)?)
            }
            MockName::Stormpath if file.stormpath.is_none() => {
                file.stormpath = Some(mocks::kit::seed::load(&full).map_err(load_error)?);
            }
            MockName::Gigya if file.gigya.is_none() => {
                file.gigya = Some(mocks::kit::seed::load(&full).map_err(load_error)?)
            }
            MockName::Auth0 => return Err(invalid("auth0 is seeded by the auth0: section, not a seed file".into())),
            other => {
                return Err(invalid(format!(
                    "{} has both an inline seed and a seed file: keep one",
                    other.as_str()
                )));
            }
        }
    }
    if file.steps.is_empty() {
        return Err(ScenarioError::Invalid {
            file: path.to_path_buf(),
            line: None,
            reason: "the scenario has no steps".into(),
        });
    }
    Ok(Scenario {
        path: path.to_path_buf(),
        name: scenario_name(path),
        file,
        scripts,
    })
}

/// Every scenario file under `paths` (files are taken as given; directories are searched for
/// `*.yaml`/`*.yml`, skipping names that start with `_` or `.`), sorted.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ScenarioError> {
    let mut found = vec![];
    for path in paths {
        if path.is_file() {
            found.push(path.clone());
            continue;
        }
        if !path.exists() {
            return Err(ScenarioError::Io {
                file: path.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory"),
            });
        }
        walk(path, &mut found)?;
    }
    found.sort();
    found.dedup();
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), ScenarioError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ScenarioError::Io {
        file: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| ScenarioError::Io {
            file: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('_') || name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(&path, found)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            found.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_path_below_scenarios() {
        assert_eq!(
            scenario_name(Path::new("/x/scenarios/okta/first_login.yaml")),
            "okta/first_login"
        );
        assert_eq!(scenario_name(Path::new("elsewhere/case.yaml")), "elsewhere/case");
    }
}
