//! What counts as a secret, for every mock and for `ferry try`: one home for the lists.
//!
//! - [`SECRET_WORDS`]: a *name* containing one of these words (any case) holds a secret — a
//!   header (`X-Partner-Key`), a script's configuration key (`OKTA_API_TOKEN`). The journal masks
//!   such headers; the mock Auth0 and `ferry try` mask such configuration values wherever a
//!   script's output is kept.
//! - [`COMMON_SECRET_FIELDS`]: body fields and query parameters every mock masks in its journal;
//!   a provider with more builds its list with [`secret_fields!`](crate::secret_fields).
//! - [`Masker`]: replaces known secret *values* in text (a password a script echoed, a
//!   configuration value it printed).

use crate::kit::journal::MASK;

/// Words that make a name (a header, a configuration key) a secret's. `pass` covers `password`
/// and `passphrase`; `auth` covers `Authorization` and `X-Auth-Token`.
pub const SECRET_WORDS: &[&str] = &["auth", "token", "secret", "pass", "key", "credential", "signature"];

/// Fields masked in journaled bodies and query strings by every mock.
pub const COMMON_SECRET_FIELDS: &[&str] = &[
    "password",
    "new_password",
    "newPassword",
    "confirmNewPassword",
    "client_secret",
    "secret",
    "api_secret",
    "apiSecret",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "sessionToken",
    "stateToken",
    "password_hash",
];

/// Whether `name` (a header or a configuration key) is named like a secret: it contains one of
/// [`SECRET_WORDS`], in any case.
pub fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|word| lower.contains(word))
}

/// Secret values shorter than this are not masked: masking `"ab"` would blank ordinary words
/// in every line. (A password that short is refused by every policy Ferry's mocks apply.)
pub const MIN_MASKED_LEN: usize = 4;

/// Known secret values, replaced by [`MASK`] wherever they occur in a text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Masker {
    /// Longest first, so a secret that contains another is masked whole.
    secrets: Vec<String>,
}

impl Masker {
    /// Masks `values` (those of at least [`MIN_MASKED_LEN`] bytes; duplicates dropped).
    pub fn new<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut secrets: Vec<String> = values
            .into_iter()
            .map(Into::into)
            .filter(|s| s.len() >= MIN_MASKED_LEN)
            .collect();
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        Self { secrets }
    }

    /// The values of `configuration` whose keys are named like secrets ([`is_secret_name`]),
    /// plus `more` (the password arguments of a call). Other configuration values (base URLs,
    /// ids) stay readable.
    pub fn for_configuration<'a, I, S>(configuration: I, more: impl IntoIterator<Item = String>) -> Self
    where
        I: IntoIterator<Item = (&'a S, &'a S)>,
        S: AsRef<str> + 'a + ?Sized,
    {
        Self::new(
            configuration
                .into_iter()
                .filter(|(key, _)| is_secret_name(key.as_ref()))
                .map(|(_, value)| value.as_ref().to_owned())
                .chain(more),
        )
    }

    /// No secret to mask.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// Whether `text` holds one of the secrets.
    pub fn reveals(&self, text: &str) -> bool {
        self.secrets.iter().any(|secret| text.contains(secret.as_str()))
    }

    /// Whether `text` is exactly one of the secrets.
    pub fn is_secret(&self, text: &str) -> bool {
        self.secrets.iter().any(|secret| text == secret)
    }

    /// Replaces every occurrence of every secret in `text` with [`MASK`].
    pub fn mask(&self, text: &mut String) {
        for secret in &self.secrets {
            if text.contains(secret.as_str()) {
                *text = text.replace(secret.as_str(), MASK);
            }
        }
    }

    /// [`Masker::mask`] on an optional text.
    pub fn mask_opt(&self, text: &mut Option<String>) {
        if let Some(text) = text {
            self.mask(text);
        }
    }
}

/// A provider's secret-field list: [`COMMON_SECRET_FIELDS`] followed by its own extras, as a
/// `&'static [&'static str]` built at compile time.
///
/// ```
/// const FIELDS: &[&str] = mocks::secret_fields!["sig", "regToken"];
/// assert!(FIELDS.contains(&"password") && FIELDS.contains(&"regToken"));
/// ```
#[macro_export]
macro_rules! secret_fields {
    ($($extra:literal),* $(,)?) => {{
        const EXTRA: &[&str] = &[$($extra),*];
        const ALL: [&str; $crate::kit::secrets::COMMON_SECRET_FIELDS.len() + EXTRA.len()] =
            $crate::kit::secrets::with_common(EXTRA);
        &ALL
    }};
}

/// [`COMMON_SECRET_FIELDS`] then `extra`, in an array of `N` (the sum of both lengths; checked
/// when the constant is evaluated). Used by [`secret_fields!`](crate::secret_fields).
pub const fn with_common<const N: usize>(extra: &[&'static str]) -> [&'static str; N] {
    assert!(
        N == COMMON_SECRET_FIELDS.len() + extra.len(),
        "N is the sum of both lengths"
    );
    let mut out = [""; N];
    let mut i = 0;
    while i < COMMON_SECRET_FIELDS.len() {
        out[i] = COMMON_SECRET_FIELDS[i];
        i += 1;
    }
    let mut j = 0;
    while j < extra.len() {
        out[i + j] = extra[j];
        j += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_a_secret_word_are_secret_in_any_case() {
        for name in [
            "OKTA_API_TOKEN",
            "client_secret",
            "DB_PASSWORD",
            "X-Partner-Key",
            "Authorization",
            "x-signature",
            "passphrase",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["OKTA_URL", "DB_HOST", "content-type", "tenant"] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn the_masker_hides_every_occurrence_longest_first_and_ignores_short_values() {
        let masker = Masker::new(["hunter2-long", "hunter2", "ab"]);
        let mut text = "a hunter2-long and a hunter2, ab".to_owned();
        masker.mask(&mut text);
        assert_eq!(text, format!("a {MASK} and a {MASK}, ab"));
        assert!(masker.is_secret("hunter2") && !masker.is_secret("ab"));
        assert!(masker.reveals("xhunter2x") && !masker.reveals("hunter"));
        assert!(Masker::new(["abc"]).is_empty());
    }

    #[test]
    fn configuration_values_are_secret_when_their_key_is() {
        let configuration = [("OKTA_URL", "http://127.0.0.1:1"), ("OKTA_API_TOKEN", "00abcdef")];
        let masker = Masker::for_configuration(configuration.iter().map(|(k, v)| (*k, *v)), ["pw-1234".to_owned()]);
        assert!(masker.is_secret("00abcdef") && masker.is_secret("pw-1234"));
        assert!(!masker.reveals("http://127.0.0.1:1"));
    }

    #[test]
    fn provider_lists_start_with_the_common_fields() {
        const FIELDS: &[&str] = crate::secret_fields!["sig", "regToken"];
        assert_eq!(&FIELDS[..COMMON_SECRET_FIELDS.len()], COMMON_SECRET_FIELDS);
        assert_eq!(&FIELDS[COMMON_SECRET_FIELDS.len()..], ["sig", "regToken"]);
    }
}
