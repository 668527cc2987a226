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

use import_schema::Rules;
use import_schema::documented::{InFileKey, in_file_keys};
use serde::Serialize;
use serde_json::Value;

use crate::engine::EngineError;
use crate::engine::export::{Expected, expect_kind, records};
use crate::engine::import::{FileSize, verdict};
use crate::engine::transform::{HashMapping, NO_HASH_IN_EXPORT, NO_HASH_IN_FILE, Skip, import_user_hash, transform};
use crate::term::Style;

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
    /// How the records are laid out (`a JSON array`, `NDJSON, one record per line`, …).
    pub shape: String,
    pub records: u64,
    /// Users that would be accepted by Auth0's schema.
    pub would_import: u64,
    /// Users the schema refuses.
    pub failing_users: u64,
    /// The schema's errors, by code (a user can have several).
    pub would_fail: BTreeMap<String, u64>,
    /// Users not imported at all (Gigya transform), by reason.
    pub skipped: BTreeMap<String, u64>,
    /// Of those, records that are no account at all (not an object, or no UID): what a
    /// migration cannot carry by any setting, so they fail the check.
    pub malformed: u64,
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
    /// What is true of the whole file: an export without any password hash, one page of a
    /// search answer, no records at all.
    pub notes: Vec<String>,
    /// The first few problems, with the record number, to look at.
    pub examples: Vec<String>,
    /// Users refused for a `password_hash` that is not bcrypt at cost 10 (for the note).
    #[serde(skip)]
    password_hash_refused: u64,
}

const EXAMPLES: usize = 10;

/// Checks a file: every user judged by the rule the import applies to it
/// ([`crate::engine::import::verdict`]), after the same transform.
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
    let mut records = records(path)?;
    report.shape = records.shape().to_string();
    let expected = match kind {
        FileKind::Gigya => Expected::GigyaExport,
        FileKind::Auth0 => Expected::Auth0File,
    };
    for record in records.by_ref() {
        let record = record?;
        report.records += 1;
        let number = report.records;
        if number == 1 {
            expect_kind(path, Some(&record), expected)?;
        }
        let example = |report: &mut CheckReport, text: String| {
            if report.examples.len() < EXAMPLES {
                report.examples.push(format!("record {number}: {text}"));
            }
        };
        let (user, hash, when_none) = match kind {
            FileKind::Auth0 => {
                let hash = import_user_hash(&record);
                (record, hash, NO_HASH_IN_FILE)
            }
            FileKind::Gigya => match transform(&record) {
                Ok(t) => (t.user, t.hash, NO_HASH_IN_EXPORT),
                Err(skip) => {
                    *report.skipped.entry(skip.reason()).or_default() += 1;
                    if matches!(skip, Skip::Malformed(_)) {
                        report.malformed += 1;
                    }
                    let uid = record.get("UID").and_then(Value::as_str).unwrap_or("?").to_owned();
                    example(&mut report, format!("UID {uid} skipped: {}", skip.reason()));
                    continue;
                }
            },
        };
        let verdict = verdict(&user, rules, max_file_bytes);
        if !verdict.issues.is_empty() {
            report.failing_users += 1;
            for issue in &verdict.issues {
                *report.would_fail.entry(issue.code.clone()).or_default() += 1;
            }
            if verdict
                .issues
                .iter()
                .any(|i| import_schema::refuses_password_hash(&i.message))
            {
                report.password_hash_refused += 1;
            }
            example(
                &mut report,
                format!("{}: {}", verdict.issues[0].code, verdict.issues[0].message),
            );
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
        match hash.reset_reason(when_none) {
            None => {
                if let HashMapping::Mapped { algorithm } = hash {
                    *report.hashes_carried.entry(algorithm).or_default() += 1;
                }
            }
            Some(reason) => *report.needs_reset.entry(reason).or_default() += 1,
        }
        // Packed as the importer packs its files.
        if file.with(verdict.bytes).bytes() > max_file_bytes && file.users() > 0 {
            report.jobs += 1;
            report.bytes += file.bytes() as u64;
            file = FileSize::EMPTY;
        }
        file = file.with(verdict.bytes);
    }
    if file.users() > 0 {
        report.jobs += 1;
        report.bytes += file.bytes() as u64;
    }
    report.notes = notes(&report, kind, records.wrapper());
    Ok(report)
}

/// What is true of the whole file.
fn notes(report: &CheckReport, kind: FileKind, wrapper: &[(String, Value)]) -> Vec<String> {
    let mut notes = vec![];
    if report.records == 0 {
        notes.push("The file holds no records.".to_owned());
    }
    let no_hash = report.needs_reset.get(NO_HASH_IN_EXPORT).copied().unwrap_or(0);
    if kind == FileKind::Gigya && report.hashes_carried.is_empty() && no_hash > 0 {
        notes.push(format!(
            "This export carries no password hashes: all {} users who would import need a password reset. {}",
            group(no_hash),
            crate::engine::transform::HASH_ROUTES
        ));
    }
    if report.password_hash_refused > 0 {
        notes.push(format!(
            "{} users have a password_hash Auth0 refuses. {}",
            group(report.password_hash_refused),
            import_schema::PASSWORD_HASH_ADVICE
        ));
    }
    let member = |name: &str| wrapper.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    let cursor = member("nextCursorId").and_then(Value::as_str).filter(|c| !c.is_empty());
    let total = member("totalCount").and_then(Value::as_u64);
    if cursor.is_some() || total.is_some_and(|t| t > report.records) {
        let total = total.map_or_else(String::new, |t| format!(" (totalCount: {} match)", group(t)));
        notes.push(format!(
            "This file is one page of an accounts.search answer{total}: it holds {} of the accounts{}. \
             Export every page with `ferry migrate gigya --via search`, or all of them with IdentitySync.",
            group(report.records),
            if cursor.is_some() {
                ", and a nextCursorId points to the next page"
            } else {
                ""
            }
        ));
    }
    notes
}

/// `1234567` as `1,234,567`.
fn group(n: u64) -> String {
    crate::term::thousands(n)
}

impl CheckReport {
    /// The report for a person, plain.
    pub fn render(&self) -> String {
        self.render_with(Style::plain())
    }

    /// The report for a person, in `style`.
    pub fn render_with(&self, style: Style) -> String {
        let mut out = String::new();
        let n = |count: u64| group(count);
        let failed = self.failing_users;
        let skipped: u64 = self.skipped.values().sum();
        let _ = writeln!(out, "{} records ({})", n(self.records), self.shape);
        let _ = writeln!(
            out,
            "  {} would import",
            style.good(&format!("{:>9}", n(self.would_import)))
        );
        let failed_text = format!("{:>9}", n(failed));
        let _ = writeln!(
            out,
            "  {} would fail Auth0's schema",
            if failed > 0 {
                style.bad(&failed_text)
            } else {
                failed_text
            }
        );
        for (code, count) in &self.would_fail {
            let _ = writeln!(out, "  {:>13} {code}", n(*count));
        }
        let _ = writeln!(
            out,
            "  {:>9} duplicate emails, {} duplicate usernames, {} duplicate user_ids",
            n(self.duplicate_emails),
            n(self.duplicate_usernames),
            n(self.duplicate_user_ids)
        );
        if skipped > 0 {
            let _ = writeln!(out, "  {:>9} skipped", n(skipped));
            for (reason, count) in &self.skipped {
                let _ = writeln!(out, "  {:>13} {reason}", n(*count));
            }
        }
        let carried: u64 = self.hashes_carried.values().sum();
        let _ = writeln!(out, "password hashes: {} carried over", n(carried));
        for (algorithm, count) in &self.hashes_carried {
            let _ = writeln!(out, "  {:>13} {algorithm}", n(*count));
        }
        let resets: u64 = self.needs_reset.values().sum();
        let _ = writeln!(out, "  {:>9} users will need a password reset", n(resets));
        for (reason, count) in &self.needs_reset {
            let _ = writeln!(out, "  {:>13} {reason}", n(*count));
        }
        let _ = writeln!(
            out,
            "{} import {} of at most {} bytes ({} bytes in all)",
            n(self.jobs),
            if self.jobs == 1 { "job" } else { "jobs" },
            n(self.file_bytes as u64),
            n(self.bytes)
        );
        for note in &self.notes {
            let _ = writeln!(out, "{} {note}", style.warn("note:"));
        }
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

    /// A password_hash Auth0's job refuses (not bcrypt at cost 10) fails the check, and the
    /// report says where such a hash goes instead.
    #[test]
    fn a_password_hash_auth0_refuses_fails_with_where_it_goes() {
        // FIDELITY: auth0/import-password-hash-pattern
        let tail = "nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K";
        let path = file(&format!(
            r#"[{{"email":"a@b.co","password_hash":"$2y$10${tail}"}},{{"email":"c@d.co","password_hash":"$2b$12${tail}"}},
               {{"email":"e@f.co","password_hash":"$2b$10${tail}"}}]"#
        ));
        let report = check(&path, FileKind::Auth0, &Rules::default(), import_schema::MAX_FILE_BYTES).expect("readable");
        assert_eq!((report.would_import, report.failing_users), (1, 2));
        assert_eq!(report.would_fail.get("PATTERN"), Some(&2));
        let text = report.render();
        assert!(
            text.contains(
                "2 users have a password_hash Auth0 refuses. Auth0's import takes only bcrypt $2a$/$2b$ at cost 10"
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"custom_password_hash: {"algorithm": "bcrypt""#),
            "{text}"
        );
        assert!(!text.contains(tail), "a hash is never printed: {text}");
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
    fn a_saved_search_answer_is_read_as_its_results_and_its_missing_hashes_said() {
        // accounts.search as Gigya answers it by default: no hashes, `password: {created}`, a
        // never-logged-in lastLogin; and more pages to come.
        let account = |n: u32| {
            format!(
                r#"{{"UID":"u{n}","isRegistered":true,"socialProviders":"site","profile":{{"email":"u{n}@example.com"}},"password":{{"created":"2020-01-01T00:00:00.000Z"}},"lastLogin":"0001-01-01T00:00:00Z","lastLoginTimestamp":0}}"#
            )
        };
        let accounts: Vec<String> = (1..=3).map(account).collect();
        let text = format!(
            r#"{{"callId":"x","errorCode":0,"statusCode":200,"results":[{}],"objectsCount":3,"totalCount":7,"nextCursorId":"next"}}"#,
            accounts.join(",")
        );
        let report = check(
            &file(&text),
            FileKind::Gigya,
            &Rules::default(),
            import_schema::MAX_FILE_BYTES,
        )
        .expect("readable");
        assert_eq!(
            (report.records, report.would_import),
            (3, 3),
            "not 0: the results are the records"
        );
        assert_eq!(report.shape, "an object with a \"results\" array");
        assert_eq!(report.needs_reset.get(NO_HASH_IN_EXPORT), Some(&3));
        let text = report.render();
        assert!(
            text.contains("This export carries no password hashes: all 3 users"),
            "{text}"
        );
        assert!(
            text.contains("--via identity-sync") && text.contains("include=password"),
            "{text}"
        );
        assert!(
            text.contains("one page of an accounts.search answer (totalCount: 7 match): it holds 3"),
            "{text}"
        );
    }

    #[test]
    fn a_file_of_the_wrong_kind_is_refused_with_what_it_is() {
        let seed = file(
            r#"{"accounts":[{"UID":"gen1","profile":{"email":"a@example.org"},"password_hash":{"hash":"x","hashSettings":{"algorithm":"pbkdf2"}}}]}"#,
        );
        let err = check(&seed, FileKind::Gigya, &Rules::default(), 512_000).expect_err("a seed");
        assert!(
            err.to_string().contains("seed for Ferry's mock Gigya") && err.to_string().contains("ferry serve --seed"),
            "{err}"
        );
        let auth0 = file(r#"[{"email":"a@b.co","email_verified":true}]"#);
        let err = check(&auth0, FileKind::Gigya, &Rules::default(), 512_000).expect_err("auth0 as gigya");
        assert!(err.to_string().contains("--kind auth0"), "{err}");
        let gigya = file(r#"[{"UID":"1","profile":{"email":"a@b.co"}}]"#);
        let err = check(&gigya, FileKind::Auth0, &Rules::default(), 512_000).expect_err("gigya as auth0");
        assert!(err.to_string().contains("--kind gigya"), "{err}");
    }

    #[test]
    fn check_and_import_judge_a_user_by_the_same_rule() {
        // One user whose file alone is over the limit, one malformed email, one fine: check
        // fails exactly those the importer's verdict fails.
        let big = format!(
            r#"{{"email":"big@example.com","user_metadata":{{"pad":"{}"}}}}"#,
            "x".repeat(2000)
        );
        let lines = [big.as_str(), r#"{"email":"bad@"}"#, r#"{"email":"fine@example.com"}"#];
        let path = file(&lines.join("\n"));
        let rules = Rules::default();
        let report = check(&path, FileKind::Auth0, &rules, 1024).expect("readable");
        let refused = lines
            .iter()
            .filter(|l| {
                !verdict(&serde_json::from_str(l).expect("json"), &rules, 1024)
                    .issues
                    .is_empty()
            })
            .count() as u64;
        assert_eq!((report.failing_users, refused), (2, 2));
        assert_eq!(report.would_fail.get("TOO_LARGE"), Some(&1));
        assert_eq!(report.would_import, 1);
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
