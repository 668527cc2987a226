//! The migration report: every exported user accounted for — inserted, updated, failed with
//! its reasons, skipped with its reason, and whether they must reset their password.
//!
//! Per-user lines are streamed to `users.ndjson` as they are known (so a million-user run does
//! not hold them in memory); the totals and the jobs go to `summary.json` at the end.
//!
//! The report directory holds personal data and, for a Gigya search export, every password
//! hash and salt (`export.ndjson`): Ferry creates it owner-only (0700) and every file in it
//! owner-only (0600), and never writes over a finished run's report unless told to
//! ([`discard`], `--force`).

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::auth0::JobSummary;
use super::error::EngineError;

/// The files a run writes in its report directory.
pub const REPORT_FILES: [&str; 6] = [
    "state.json",
    "state.json.tmp",
    "users.ndjson",
    "summary.json",
    "export.ndjson",
    "export.ndjson.partial",
];

/// Creates (or truncates) a file only its owner may read or write (0600 on Unix), also when it
/// existed with wider permissions.
pub(crate) fn private_file(path: &Path) -> Result<File, EngineError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path).map_err(EngineError::io(path))?;
    restrict(path, &file)?;
    Ok(file)
}

/// Makes an open file owner-only (0600 on Unix).
pub(crate) fn restrict(path: &Path, file: &File) -> Result<(), EngineError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(EngineError::io(path))?;
    }
    #[cfg(not(unix))]
    let _ = (path, file);
    Ok(())
}

/// Creates the report directory owner-only (0700 on Unix) when it does not exist yet; an
/// existing directory keeps its permissions (the files in it are owner-only anyway).
pub(crate) fn private_dir(dir: &Path) -> Result<(), EngineError> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(EngineError::io(dir))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(EngineError::io(dir))?;
    }
    Ok(())
}

/// The report files of an earlier run in `dir`, if any.
pub fn existing_report(dir: &Path) -> Vec<PathBuf> {
    REPORT_FILES
        .iter()
        .map(|name| dir.join(name))
        .filter(|path| path.exists())
        .collect()
}

/// Removes an earlier run's report files from `dir` (what `--force` does before a run); the
/// files removed. Nothing else in the directory is touched.
pub fn discard(dir: &Path) -> Result<Vec<PathBuf>, EngineError> {
    let found = existing_report(dir);
    for path in &found {
        std::fs::remove_file(path).map_err(EngineError::io(path))?;
    }
    Ok(found)
}

/// What happened to one exported user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Inserted,
    Updated,
    /// Imported by an upsert job that both inserted and updated users: Auth0's job summary
    /// gives counts, not which user was which.
    InsertedOrUpdated,
    /// Refused, by the local schema check or by Auth0's job.
    Failed {
        reasons: Vec<String>,
    },
    /// Not sent to Auth0 at all.
    Skipped {
        reason: String,
    },
}

/// One line of `users.ndjson`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserLine {
    /// The id in the source system (Gigya UID, line number of an import file, ...).
    pub source_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Why this user must reset their password (imported without a usable hash).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needs_reset: Option<String>,
    /// The job that carried the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
}

/// One import job of the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: String,
    /// Users in the file and its size in bytes.
    pub users: usize,
    pub bytes: usize,
    pub status: String,
    pub summary: Option<JobSummary>,
    /// The job re-sent a segment whose first job's answer was lost when the run was killed:
    /// its summary is Auth0's for this job, the users' outcomes are the first job's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resent: bool,
}

/// The totals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Users read from the source.
    pub exported: u64,
    pub inserted: u64,
    pub updated: u64,
    pub inserted_or_updated: u64,
    pub failed: u64,
    pub skipped: u64,
    /// Imported users who must reset their password (a subset of the imported ones).
    pub needs_reset: u64,
}

impl Totals {
    /// Whether every exported user is accounted for exactly once.
    pub fn balanced(&self) -> bool {
        self.exported == self.inserted + self.updated + self.inserted_or_updated + self.failed + self.skipped
    }
}

/// The whole report of a run.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Summary {
    pub totals: Totals,
    pub jobs: Vec<JobRecord>,
    /// Failure reasons, counted.
    pub failure_reasons: BTreeMap<String, u64>,
    /// What is true of the whole run (an export without any password hash).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Where `users.ndjson` and `summary.json` were written.
    #[serde(skip)]
    pub directory: Option<PathBuf>,
}

impl Summary {
    /// The run's outcome for a person: one sentence of counts (`3,000 users exported from
    /// Gigya: 2,965 inserted, 23 failed, 12 skipped, 316 need a password reset, in 3 import
    /// jobs.`), the reasons counted, notes, where the failed users are listed with a ready
    /// `jq` and `grep` line, and where the report is. `source` says where the users came from
    /// (`exported from Gigya`, `read from users.json`).
    pub fn render(&self, source: &str, style: crate::term::Style) -> String {
        use crate::term::thousands as n;
        use std::fmt::Write as _;
        let t = &self.totals;
        let mut out = String::new();
        let mut parts = vec![];
        let mut count = |value: u64, text: &str, paint: fn(crate::term::Style, &str) -> String| {
            if value > 0 {
                parts.push(paint(style, &format!("{} {text}", n(value))));
            }
        };
        count(t.inserted, "inserted", crate::term::Style::good);
        count(t.updated, "updated", crate::term::Style::good);
        count(t.inserted_or_updated, "inserted or updated", crate::term::Style::good);
        count(t.failed, "failed", crate::term::Style::bad);
        count(t.skipped, "skipped", crate::term::Style::warn);
        count(t.needs_reset, "need a password reset", crate::term::Style::warn);
        if parts.is_empty() {
            parts.push("nothing imported".into());
        }
        let jobs = self.jobs.len();
        let users = if t.exported == 1 { "user" } else { "users" };
        let _ = writeln!(
            out,
            "{} {users} {source}: {}, in {} import {}.",
            n(t.exported),
            parts.join(", "),
            n(jobs as u64),
            if jobs == 1 { "job" } else { "jobs" }
        );
        let failed: Vec<(&String, &u64)> = self
            .failure_reasons
            .iter()
            .filter(|(reason, _)| !reason.starts_with("skipped: "))
            .collect();
        let skipped: Vec<(&str, &u64)> = self
            .failure_reasons
            .iter()
            .filter_map(|(reason, count)| reason.strip_prefix("skipped: ").map(|r| (r, count)))
            .collect();
        if !failed.is_empty() {
            let _ = writeln!(out, "Failed, by Auth0's reason:");
            for (reason, count) in failed {
                let _ = writeln!(out, "  {:>9} {reason}", n(*count));
            }
        }
        if !skipped.is_empty() {
            let _ = writeln!(out, "Skipped, by reason:");
            for (reason, count) in skipped {
                let _ = writeln!(out, "  {:>9} {reason}", n(*count));
            }
        }
        for note in &self.notes {
            let _ = writeln!(out, "{} {note}", style.warn("note:"));
        }
        if let Some(dir) = &self.directory {
            let lines = shell_quote(&dir.join("users.ndjson").display().to_string());
            if t.failed > 0 {
                let _ = writeln!(out, "The failed users, with their reasons, are listed in {lines}:");
                let _ = writeln!(out, "  jq -c 'select(.outcome == \"failed\")' {lines}");
                let _ = writeln!(out, "  grep '\"outcome\":\"failed\"' {lines}");
            }
            if t.needs_reset > 0 {
                let _ = writeln!(
                    out,
                    "The users who need a password reset: jq -c 'select(.needs_reset)' {lines}"
                );
            }
            let _ = writeln!(
                out,
                "Report: {} (summary.json, users.ndjson: one line per user; owner-only files)",
                style.place(&dir.display().to_string())
            );
        }
        out
    }
}

/// `text` as one shell word: as it is when it needs no quoting, else in single quotes.
fn shell_quote(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+' | ',' | ':' | '@' | '%'))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// Writes the report as users are accounted for.
#[derive(Debug)]
pub struct ReportWriter {
    summary: Summary,
    lines: Option<BufWriter<File>>,
    directory: Option<PathBuf>,
    /// Bytes written to `users.ndjson` so far.
    offset: u64,
}

impl ReportWriter {
    /// A report written under `directory` (created if missing), or kept in memory only.
    pub fn new(directory: Option<&Path>) -> Result<Self, EngineError> {
        let lines = match directory {
            Some(dir) => {
                private_dir(dir)?;
                Some(BufWriter::new(private_file(&dir.join("users.ndjson"))?))
            }
            None => None,
        };
        Ok(Self {
            summary: Summary::default(),
            lines,
            directory: directory.map(Path::to_path_buf),
            offset: 0,
        })
    }

    /// The report of an interrupted run, continued: `users.ndjson` cut back to `offset` (what
    /// was accounted when the run state was last saved) and the summary as it was then.
    pub fn resume(directory: &Path, offset: u64, summary: Summary) -> Result<Self, EngineError> {
        let path = directory.join("users.ndjson");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(EngineError::io(&path))?;
        restrict(&path, &file)?;
        file.set_len(offset).map_err(EngineError::io(&path))?;
        use std::io::Seek;
        let mut file = file;
        file.seek(std::io::SeekFrom::End(0)).map_err(EngineError::io(&path))?;
        Ok(Self {
            summary,
            lines: Some(BufWriter::new(file)),
            directory: Some(directory.to_path_buf()),
            offset,
        })
    }

    /// Adds a note on the whole run (once).
    pub(crate) fn note(&mut self, text: String) {
        if !self.summary.notes.contains(&text) {
            self.summary.notes.push(text);
        }
    }

    pub(crate) fn job(&mut self, record: JobRecord) {
        self.summary.jobs.push(record);
    }

    /// The summary so far.
    pub(crate) fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Writes the lines out and syncs them; the length of `users.ndjson`.
    pub(crate) fn sync(&mut self) -> Result<u64, EngineError> {
        if let Some(out) = &mut self.lines {
            let path = self.directory.clone().unwrap_or_default().join("users.ndjson");
            out.flush().map_err(EngineError::io(&path))?;
            out.get_ref().sync_data().map_err(EngineError::io(path))?;
        }
        Ok(self.offset)
    }

    /// Of `emails` (lower-cased), those the report already counts as imported (inserted,
    /// updated, or inserted or updated), read back from `users.ndjson` line by line.
    pub(crate) fn imported_among(&mut self, emails: &HashSet<String>) -> Result<HashSet<String>, EngineError> {
        let mut found = HashSet::new();
        let Some(dir) = self.directory.clone() else {
            return Ok(found);
        };
        if emails.is_empty() {
            return Ok(found);
        }
        self.sync()?;
        let path = dir.join("users.ndjson");
        let file = File::open(&path).map_err(EngineError::io(&path))?;
        #[derive(Deserialize)]
        struct Line {
            email: Option<String>,
            outcome: String,
        }
        for line in std::io::BufRead::lines(std::io::BufReader::new(file)) {
            let line = line.map_err(EngineError::io(&path))?;
            let Ok(line) = serde_json::from_str::<Line>(&line) else {
                continue;
            };
            if matches!(line.outcome.as_str(), "inserted" | "updated" | "inserted_or_updated")
                && let Some(email) = line.email.map(|e| e.to_lowercase())
                && emails.contains(&email)
            {
                found.insert(email);
            }
        }
        Ok(found)
    }

    /// Accounts for one user (every exported user is accounted for exactly once).
    pub(crate) fn user(&mut self, line: &UserLine) -> Result<(), EngineError> {
        if let Outcome::Failed { reasons } = &line.outcome {
            // a password_hash Auth0 refuses: say where such a hash goes instead
            if reasons.iter().any(|r| import_schema::refuses_password_hash(r)) {
                self.note(import_schema::PASSWORD_HASH_ADVICE.to_owned());
            }
        }
        let totals = &mut self.summary.totals;
        totals.exported += 1;
        match &line.outcome {
            Outcome::Inserted => totals.inserted += 1,
            Outcome::Updated => totals.updated += 1,
            Outcome::InsertedOrUpdated => totals.inserted_or_updated += 1,
            Outcome::Failed { reasons } => {
                totals.failed += 1;
                for reason in reasons {
                    let key = reason.split(':').next().unwrap_or(reason).trim().to_owned();
                    *self.summary.failure_reasons.entry(key).or_default() += 1;
                }
            }
            Outcome::Skipped { reason } => {
                totals.skipped += 1;
                *self
                    .summary
                    .failure_reasons
                    .entry(format!("skipped: {reason}"))
                    .or_default() += 1;
            }
        }
        let imported = matches!(
            line.outcome,
            Outcome::Inserted | Outcome::Updated | Outcome::InsertedOrUpdated
        );
        if imported && line.needs_reset.is_some() {
            totals.needs_reset += 1;
        }
        if let Some(out) = &mut self.lines {
            let path = self.directory.clone().unwrap_or_default().join("users.ndjson");
            let mut bytes = serde_json::to_vec(line).map_err(|e| EngineError::Io {
                path: path.clone(),
                source: std::io::Error::other(e),
            })?;
            bytes.push(b'\n');
            out.write_all(&bytes).map_err(EngineError::io(path))?;
            self.offset += bytes.len() as u64;
        }
        Ok(())
    }

    /// Flushes the lines and writes `summary.json`.
    pub fn finish(mut self) -> Result<Summary, EngineError> {
        if let Some(out) = &mut self.lines {
            let path = self.directory.clone().unwrap_or_default().join("users.ndjson");
            out.flush().map_err(EngineError::io(path))?;
        }
        if let Some(dir) = &self.directory {
            let path = dir.join("summary.json");
            let text = serde_json::to_string_pretty(&self.summary).unwrap_or_default();
            let mut file = private_file(&path)?;
            file.write_all((text + "\n").as_bytes())
                .map_err(EngineError::io(path))?;
        }
        self.summary.directory = self.directory;
        Ok(self.summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::term::Style;

    fn summary() -> Summary {
        let mut failure_reasons = BTreeMap::new();
        failure_reasons.insert("DUPLICATED_USER".to_owned(), 20);
        failure_reasons.insert("INVALID_FORMAT".to_owned(), 3);
        failure_reasons.insert("skipped: social identities only".to_owned(), 12);
        Summary {
            totals: Totals {
                exported: 3000,
                inserted: 2965,
                failed: 23,
                skipped: 12,
                needs_reset: 316,
                ..Totals::default()
            },
            jobs: (0..3)
                .map(|i| JobRecord {
                    id: format!("job_{i}"),
                    users: 1000,
                    bytes: 1,
                    status: "completed".into(),
                    summary: None,
                    resent: false,
                })
                .collect(),
            failure_reasons,
            notes: vec![],
            directory: Some(PathBuf::from("ferry-report")),
        }
    }

    #[test]
    fn the_summary_reads_as_a_sentence_and_says_where_the_failed_users_are() {
        let text = summary().render("exported from Gigya", Style::plain());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "3,000 users exported from Gigya: 2,965 inserted, 23 failed, 12 skipped, 316 need a password reset, in 3 import jobs."
        );
        assert!(
            text.contains("Failed, by Auth0's reason:\n         20 DUPLICATED_USER\n          3 INVALID_FORMAT\n"),
            "{text}"
        );
        assert!(
            text.contains("Skipped, by reason:\n         12 social identities only\n"),
            "{text}"
        );
        assert!(
            text.contains("  jq -c 'select(.outcome == \"failed\")' ferry-report/users.ndjson\n"),
            "{text}"
        );
        assert!(
            text.contains("  grep '\"outcome\":\"failed\"' ferry-report/users.ndjson\n"),
            "{text}"
        );
        assert!(!text.contains("exported 3"), "{text}");
        // Nothing dangles: no separator at a line's end or doubled.
        for line in text.lines() {
            let trimmed = line.trim_end();
            assert!(
                !trimmed.ends_with(',') && !trimmed.ends_with('·') && !line.contains(", ,"),
                "{line:?}"
            );
        }
    }

    #[test]
    fn only_what_happened_is_counted() {
        let mut one = summary();
        one.totals = Totals {
            exported: 1,
            inserted: 1,
            ..Totals::default()
        };
        one.jobs.truncate(1);
        one.failure_reasons.clear();
        let text = one.render("read from users.json", Style::plain());
        assert!(
            text.starts_with("1 user read from users.json: 1 inserted, in 1 import job.\n"),
            "{text}"
        );
        assert!(!text.contains("jq"), "no failed users, no line to list them: {text}");
        let mut none = one.clone();
        none.totals = Totals::default();
        none.jobs.clear();
        let text = none.render("read from empty.json", Style::plain());
        assert!(
            text.starts_with("0 users read from empty.json: nothing imported, in 0 import jobs."),
            "{text}"
        );
    }

    /// A user refused for a password_hash Auth0 does not take gets the run a note saying
    /// where such a hash goes (once, however many users).
    #[test]
    fn a_refused_password_hash_notes_where_it_goes() {
        let mut report = ReportWriter::new(None).expect("in memory");
        let refused = |id: &str| {
            UserLine {
            source_id: id.into(),
            email: None,
            outcome: Outcome::Failed {
                reasons: vec![
                    "PATTERN: Error in passwordHash property - String does not match pattern ^\\$2[ab]?\\$10+\\$[./A-Za-z0-9]{53}$"
                        .into(),
                ],
            },
            needs_reset: None,
            job: None,
        }
        };
        report.user(&refused("1")).expect("counted");
        report.user(&refused("2")).expect("counted");
        assert_eq!(
            report.summary().notes,
            vec![import_schema::PASSWORD_HASH_ADVICE.to_owned()]
        );
        let text = report.summary().render("read from users.json", Style::plain());
        assert!(
            text.contains("note: Auth0's import takes only bcrypt $2a$/$2b$ at cost 10"),
            "{text}"
        );
        assert!(text.contains("2 PATTERN"), "{text}");
    }

    #[test]
    fn a_report_path_with_spaces_is_quoted_for_the_shell() {
        assert_eq!(shell_quote("ferry-report/users.ndjson"), "ferry-report/users.ndjson");
        assert_eq!(shell_quote("my report/users.ndjson"), "'my report/users.ndjson'");
        assert_eq!(shell_quote("it's/users.ndjson"), "'it'\\''s/users.ndjson'");
    }
}
