//! `ferry check`: a readiness report on an export or an import file, with no server at all —
//! how many users would import, which would fail and why (by Auth0's rules), duplicates by
//! email and by user_id, which password hashes carry over and which users will need a reset,
//! and how many import jobs it would take.
//!
//! It reads the file record by record; the only state that grows with the file is one 8-byte
//! fingerprint per email and per user_id (for the duplicate counts), so a million users cost
//! about 16 MB.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hasher};
use std::path::Path;

use import_schema::documented::{InFileKey, in_file_keys};
use import_schema::file::{FileSize, too_large_alone};
use import_schema::{Rules, validate_user};
use serde::Serialize;
use serde_json::Value;

use crate::engine::EngineError;
use crate::engine::export::records;
use crate::engine::transform::{HashMapping, transform};

/// What the file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// A Gigya export (IdentitySync JSON or accounts.search results).
    Gigya,
    /// An Auth0 bulk-import file.
    Auth0,
}

/// The readiness report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CheckReport {
    pub records: u64,
    /// Users that would be accepted by Auth0's schema.
    pub would_import: u64,
    /// Users the schema refuses.
    pub failing_users: u64,
    /// The schema's errors, by code (a user can have several).
    pub would_fail: BTreeMap<String, u64>,
    /// Users not imported at all (Gigya transform), by reason.
    pub skipped: BTreeMap<String, u64>,
    /// Users whose email or username (both case-insensitive) or user_id appeared earlier in
    /// the file: Auth0 refuses every repeat (`import_schema::documented::in_file_keys`).
    pub duplicate_emails: u64,
    pub duplicate_usernames: u64,
    pub duplicate_user_ids: u64,
    /// Hashes carried over, by algorithm.
    pub hashes_carried: BTreeMap<String, u64>,
    /// Importable users who will need a password reset, by reason.
    pub needs_reset: BTreeMap<String, u64>,
    /// Import jobs the importable users need at the file limit.
    pub jobs: u64,
    /// The file size limit the jobs were counted at.
    pub file_bytes: usize,
    /// Bytes of the import files.
    pub bytes: u64,
    /// The first few problems, with the record number, to look at.
    pub examples: Vec<String>,
}

const EXAMPLES: usize = 10;

/// Checks a file.
pub fn check(path: &Path, kind: FileKind, rules: &Rules, max_file_bytes: usize) -> Result<CheckReport, EngineError> {
    let mut report = CheckReport {
        file_bytes: max_file_bytes,
        ..CheckReport::default()
    };
    let hasher = std::hash::RandomState::new();
    let fingerprint = |text: &str| {
        let mut h = hasher.build_hasher();
        h.write(text.as_bytes());
        h.finish()
    };
    let mut seen = HashSet::new();
    let mut file = FileSize::EMPTY;
    for (number, record) in records(path)?.enumerate() {
        let record = record?;
        let number = number + 1;
        report.records += 1;
        let example = |report: &mut CheckReport, text: String| {
            if report.examples.len() < EXAMPLES {
                report.examples.push(format!("record {number}: {text}"));
            }
        };
        let (user, hash) = match kind {
            FileKind::Auth0 => {
                let hash = if let Some(algorithm) = record
                    .get("custom_password_hash")
                    .and_then(|h| h.get("algorithm"))
                    .and_then(Value::as_str)
                {
                    HashMapping::Mapped {
                        algorithm: algorithm.to_owned(),
                    }
                } else if record.get("password_hash").is_some() {
                    HashMapping::Mapped {
                        algorithm: "bcrypt".into(),
                    }
                } else {
                    HashMapping::None
                };
                (record, hash)
            }
            FileKind::Gigya => match transform(&record) {
                Ok(t) => (t.user, t.hash),
                Err(skip) => {
                    *report.skipped.entry(skip.reason()).or_default() += 1;
                    let uid = record.get("UID").and_then(Value::as_str).unwrap_or("?").to_owned();
                    example(&mut report, format!("UID {uid} skipped: {}", skip.reason()));
                    continue;
                }
            },
        };
        let user_bytes = serde_json::to_vec(&user).map(|v| v.len()).unwrap_or(0);
        let mut issues = validate_user(&user, rules);
        issues.extend(too_large_alone(user_bytes, max_file_bytes));
        if !issues.is_empty() {
            report.failing_users += 1;
            for issue in &issues {
                *report.would_fail.entry(issue.code.clone()).or_default() += 1;
            }
            example(&mut report, format!("{}: {}", issues[0].code, issues[0].message));
            continue;
        }
        // A repeat as the mock Auth0 finds it (the same keys; a refused repeat adds none), counted
        // under the first key it shares: email, username, user_id.
        let keys: Vec<(InFileKey, String)> = user
            .as_object()
            .map(|map| in_file_keys(map).collect())
            .unwrap_or_default();
        let repeat = keys
            .iter()
            .find(|(key, value)| seen.contains(&(*key, fingerprint(value))));
        if let Some((key, value)) = repeat {
            let (counter, what) = match key {
                InFileKey::Email => (&mut report.duplicate_emails, "email"),
                InFileKey::Username => (&mut report.duplicate_usernames, "username"),
                InFileKey::UserId => (&mut report.duplicate_user_ids, "user_id"),
            };
            *counter += 1;
            example(
                &mut report,
                format!("{what} {value} appears again (Auth0 refuses the repeat)"),
            );
            continue;
        }
        seen.extend(keys.iter().map(|(key, value)| (*key, fingerprint(value))));
        report.would_import += 1;
        match hash {
            HashMapping::Mapped { algorithm } => *report.hashes_carried.entry(algorithm).or_default() += 1,
            HashMapping::NeedsReset { reason } => *report.needs_reset.entry(reason).or_default() += 1,
            HashMapping::None => *report.needs_reset.entry("no password hash".into()).or_default() += 1,
        }
        // Packed as the importer packs its files.
        if file.with(user_bytes).bytes() > max_file_bytes && file.users() > 0 {
            report.jobs += 1;
            report.bytes += file.bytes() as u64;
            file = FileSize::EMPTY;
        }
        file = file.with(user_bytes);
    }
    if file.users() > 0 {
        report.jobs += 1;
        report.bytes += file.bytes() as u64;
    }
    Ok(report)
}

impl CheckReport {
    /// The report for a person.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let failed = self.failing_users;
        let skipped: u64 = self.skipped.values().sum();
        let _ = writeln!(out, "{} records", self.records);
        let _ = writeln!(out, "  {:>9} would import", self.would_import);
        let _ = writeln!(out, "  {failed:>9} would fail Auth0's schema");
        for (code, count) in &self.would_fail {
            let _ = writeln!(out, "  {count:>13} {code}");
        }
        let _ = writeln!(
            out,
            "  {:>9} duplicate emails, {} duplicate usernames, {} duplicate user_ids",
            self.duplicate_emails, self.duplicate_usernames, self.duplicate_user_ids
        );
        if skipped > 0 {
            let _ = writeln!(out, "  {skipped:>9} skipped");
            for (reason, count) in &self.skipped {
                let _ = writeln!(out, "  {count:>13} {reason}");
            }
        }
        let carried: u64 = self.hashes_carried.values().sum();
        let _ = writeln!(out, "password hashes: {carried} carried over");
        for (algorithm, count) in &self.hashes_carried {
            let _ = writeln!(out, "  {count:>13} {algorithm}");
        }
        let resets: u64 = self.needs_reset.values().sum();
        let _ = writeln!(out, "  {resets:>9} users will need a password reset");
        for (reason, count) in &self.needs_reset {
            let _ = writeln!(out, "  {count:>13} {reason}");
        }
        let _ = writeln!(
            out,
            "{} import jobs of at most {} bytes ({} bytes in all)",
            self.jobs, self.file_bytes, self.bytes
        );
        if !self.examples.is_empty() {
            let _ = writeln!(out, "first problems:");
            for example in &self.examples {
                let _ = writeln!(out, "  {example}");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("ferry-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(format!("{}.json", text.len()));
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn counts_what_would_happen_to_an_auth0_file() {
        let path = file(
            r#"[{"email":"a@b.co","password_hash":"$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K"},
               {"email":"A@b.co"}, {"email":"bad@"}, {"email":"c@d.co","custom_password_hash":{"algorithm":"md5","hash":{"value":"x","encoding":"hex"}}}]"#,
        );
        let report = check(&path, FileKind::Auth0, &Rules::default(), import_schema::MAX_FILE_BYTES).expect("readable");
        assert_eq!(
            (report.records, report.would_import, report.duplicate_emails),
            (4, 2, 1)
        );
        assert_eq!(report.would_fail.get("INVALID_FORMAT"), Some(&1));
        assert_eq!(report.hashes_carried.get("bcrypt"), Some(&1));
        assert_eq!(report.hashes_carried.get("md5"), Some(&1));
        assert_eq!(report.jobs, 1);
        assert!(report.render().contains("2 would import"));
    }

    #[test]
    fn repeats_are_counted_by_email_username_and_user_id_as_the_mock_finds_them() {
        // FIDELITY: auth0/import-duplicates
        let path = file(
            r#"[{"email":"a@b.co","username":"Zero"},{"email":"c@d.co","username":"zero"},
               {"email":"A@B.CO","user_id":"7"},{"email":"e@f.co","user_id":"7"},{"email":"g@h.co","user_id":"7"},
               {"email":"i@j.co","username":"ZERO","user_id":"8"}]"#,
        );
        let report = check(&path, FileKind::Auth0, &Rules::default(), import_schema::MAX_FILE_BYTES).expect("readable");
        // a@b.co imports; c@d.co repeats the username, A@B.CO the email (its user_id 7 is not
        // kept), e@f.co is the first 7, g@h.co repeats it, i@j.co repeats the username.
        assert_eq!(report.would_import, 2);
        assert_eq!(
            (
                report.duplicate_emails,
                report.duplicate_usernames,
                report.duplicate_user_ids
            ),
            (1, 2, 1)
        );
        assert!(
            report
                .render()
                .contains("1 duplicate emails, 2 duplicate usernames, 1 duplicate user_ids")
        );
    }

    #[test]
    fn gigya_exports_are_transformed_first() {
        let path = file(
            r#"[{"UID":"1","isRegistered":true,"profile":{"email":"a@b.co"},"password":{"hash":"CgdL/YjUm2ce11aBJrnM9OrgKY4=","hashSettings":{"algorithm":"pbkdf2","rounds":1000,"salt":"AQIDBAUGBwgJCgsMDQ4PEA=="}}},
               {"UID":"2","isRegistered":false},
               {"UID":"3","profile":{"email":"c@d.co"},"password":{"hash":"x","hashSettings":{"algorithm":"md5_crypt"}}}]"#,
        );
        let report = check(&path, FileKind::Gigya, &Rules::default(), 300).expect("readable");
        assert_eq!(report.would_import, 2);
        assert_eq!(report.skipped.values().sum::<u64>(), 1);
        assert_eq!(report.hashes_carried.get("pbkdf2"), Some(&1));
        assert_eq!(report.needs_reset.len(), 1);
        assert_eq!(report.jobs, 2, "a 300-byte limit holds each user alone, not both");
        // At 250 bytes the pbkdf2 user does not fit alone: it would fail, as the importer fails it.
        let report = check(&path, FileKind::Gigya, &Rules::default(), 250).expect("readable");
        assert_eq!((report.would_import, report.failing_users, report.jobs), (1, 1, 1));
        assert_eq!(report.would_fail.get("TOO_LARGE"), Some(&1));
    }

    #[test]
    fn jobs_are_counted_as_the_importer_packs_them() {
        // Three users of the same size: a limit of exactly two of them in one file keeps them
        // together; one byte less splits them. A user over the limit alone would fail.
        let user = |n: u32| format!(r#"{{"email":"user{n}@example.com","email_verified":true}}"#);
        let lines: Vec<String> = (1..=3).map(user).collect();
        let path = file(&lines.join("\n"));
        let one = lines[0].len();
        let two_in_a_file = 2 + one + 1 + one;
        let report = check(&path, FileKind::Auth0, &Rules::default(), two_in_a_file.max(1024)).expect("readable");
        assert_eq!(report.jobs, 1, "everything fits under 1 KB");
        let limit = 2 + one; // exactly one user per file
        let report = check(&path, FileKind::Auth0, &Rules::default(), limit).expect("readable");
        assert_eq!((report.jobs, report.bytes), (3, 3 * limit as u64));
        let report = check(&path, FileKind::Auth0, &Rules::default(), limit - 1).expect("readable");
        assert_eq!((report.would_import, report.failing_users, report.jobs), (0, 3, 0));
        assert_eq!(report.would_fail.get("TOO_LARGE"), Some(&3));
        let report = check(&path, FileKind::Auth0, &Rules::default(), two_in_a_file).expect("readable");
        assert_eq!((report.jobs, report.bytes), (2, (two_in_a_file + limit) as u64));
        assert!(
            report
                .render()
                .contains(&format!("2 import jobs of at most {two_in_a_file} bytes"))
        );
    }
}
