//! The size limit of one import file, in one place for the mock Auth0 (which answers 413), the
//! engine (which packs its files under it) and `ferry check` (which counts the jobs).
//!
//! What Auth0 says: "The file size limit for a bulk import is 500KB. If your data exceeds this
//! limit, you need to divide your user data into multiple smaller files to upload across
//! multiple jobs" (`manage-users/user-migration/bulk-user-imports`, "Create the user data
//! file"). The limit is on the file (the `users` part of the upload), not on the form around it.
//!
//! What "500KB" is in bytes Auth0 does not say. Ferry reads it as 500,000 bytes: the SI reading,
//! the one Auth0's own User Import/Export extension uses for the API's earlier "10 MB" limit
//! (`file.size >= (10 * 1000 * 1000)`, `client/actions/import.js`), and the one under which a
//! file Ferry accepts is accepted under either reading (a limit of 512,000 would let a file of
//! 505,000 bytes pass in Ferry and perhaps fail on the day).
//!
//! What Auth0 answers over it: 413 with hapi's wording, `Payload content length greater than
//! maximum allowed: <limit>` (Auth0's Management API is a hapi server: its 400s carry
//! z-schema-errors' `Payload validation error: '...' on property ...`, and its endpoints answer
//! an oversized body with hapi's 413 message, e.g. auth0/auth0.js#1133 with hapi's default
//! limit). No Auth0 listing of the 413 for this endpoint has been found: inferred.

use crate::Issue;

/// Largest users file Auth0 accepts for one import job: 500 KB, read as 500,000 bytes.
pub const MAX_FILE_BYTES: usize = 500_000;

/// Auth0's 413 message for a users file over `limit` bytes.
pub fn payload_too_large(limit: usize) -> String {
    format!("Payload content length greater than maximum allowed: {limit}")
}

/// The mock's check of an uploaded users file: `Err` with Auth0's 413 message when it is over
/// the limit.
pub fn check_upload(file_bytes: usize) -> Result<(), String> {
    if file_bytes > MAX_FILE_BYTES {
        Err(payload_too_large(MAX_FILE_BYTES))
    } else {
        Ok(())
    }
}

/// A users file being packed: a JSON array written compactly, `[u1,u2,...]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileSize {
    users: usize,
    bytes: usize,
}

impl FileSize {
    /// `[]`.
    pub const EMPTY: FileSize = FileSize { users: 0, bytes: 2 };

    /// The file with one more user of `user_bytes` serialised bytes.
    pub fn with(self, user_bytes: usize) -> FileSize {
        FileSize {
            users: self.users + 1,
            bytes: self.bytes + user_bytes + usize::from(self.users > 0),
        }
    }

    pub fn bytes(self) -> usize {
        self.bytes
    }

    pub fn users(self) -> usize {
        self.users
    }
}

/// A user who cannot be imported under a file limit of `limit` bytes at all: the file holding
/// only them (`[user]`) is over it, and Auth0 would refuse that file whole with its 413.
/// `None` when they fit. The code `TOO_LARGE` is Ferry's (Auth0 has no per-user code for it).
pub fn too_large_alone(user_bytes: usize, limit: usize) -> Option<Issue> {
    let alone = FileSize::EMPTY.with(user_bytes).bytes();
    (alone > limit).then(|| Issue {
        code: "TOO_LARGE".into(),
        message: format!(
            "a file holding only this user is {alone} bytes, over the {limit}-byte limit of one import file (Auth0 would answer 413: {})",
            payload_too_large(limit)
        ),
        path: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_those_of_the_compact_array() {
        let users = [r#"{"email":"a@b.co"}"#, r#"{"email":"c@d.co"}"#];
        let mut size = FileSize::EMPTY;
        for user in users {
            size = size.with(user.len());
        }
        assert_eq!(size.bytes(), format!("[{}]", users.join(",")).len());
        assert_eq!(size.users(), 2);
    }

    #[test]
    fn the_limit_is_500_000_bytes_with_auth0s_413_text() {
        assert_eq!(check_upload(500_000), Ok(()));
        assert_eq!(
            check_upload(500_001),
            Err("Payload content length greater than maximum allowed: 500000".to_owned())
        );
        assert!(
            too_large_alone(499_998, MAX_FILE_BYTES).is_none(),
            "[user] is exactly 500,000 bytes"
        );
        let issue = too_large_alone(499_999, MAX_FILE_BYTES).expect("over by one");
        assert_eq!(issue.code, "TOO_LARGE");
        assert!(
            issue
                .message
                .starts_with("a file holding only this user is 500001 bytes, over the 500000-byte limit")
        );
    }
}
