//! The `email` format as Auth0's validator judges it.
//!
//! Auth0 validates the import file with z-schema, whose `email` format is validator.js's
//! `isEmail(value, { require_tld: true })` with every other option at its default
//! (z-schema `src/FormatValidators.js`; validator.js `src/lib/isEmail.js` and
//! `src/lib/isFQDN.js`, read at validator.js commit cdb7dafc, 2026-08-08; z-schema depends on
//! `validator ^13.7.0`). This is a port of that function with those options, so an address
//! passes here exactly when it passes there:
//!
//! - at most 254 characters (counted in UTF-16 units, as JavaScript counts), a local part of at
//!   most 64 bytes and a domain of at most 254 bytes (UTF-8);
//! - the domain is a fully qualified name: at least two labels, each 1 to 63 UTF-16 units of
//!   letters (any above U+00A0), digits and `-` (not first or last), no `_`, no full-width
//!   ASCII; the last label (the TLD) is two or more letters (no digits, no astral characters)
//!   or an `xn--` label; no IP literals;
//! - the local part is dot-separated runs of letters, digits, ``!#$%&'*+-/=?^_`{|}~`` and
//!   characters from U+00A1 (outside the surrogates and U+FDD0..U+FDEF, U+FFF0..), or a quoted
//!   string.
//!
//! JavaScript regular expressions without the `u` flag see a character outside the Basic
//! Multilingual Plane as two surrogate units; the ranges below say, for each class, whether
//! such a character passes.

/// Whether `text` passes validator.js's `isEmail(text, { require_tld: true })`.
pub fn is_email(text: &str) -> bool {
    if utf16_len(text) > 254 {
        return false;
    }
    let Some((user, domain)) = text.rsplit_once('@') else {
        return false;
    };
    if user.len() > 64 || domain.len() > 254 || !is_fqdn(domain) {
        return false;
    }
    if user.len() >= 2 && user.starts_with('"') && user.ends_with('"') {
        return quoted_user(&user[1..user.len() - 1]);
    }
    if user == "\"" {
        // validator.js: `user[0] === '"' && user[user.length - 1] === '"'` holds for a lone
        // quote too, and `slice(1, 0)` leaves the empty string, which its pattern accepts.
        return true;
    }
    user.split('.')
        .all(|part| !part.is_empty() && part.chars().all(user_char))
}

fn utf16_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// `[\u00A1-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF]`: what validator.js allows beyond ASCII in a
/// local part (astral characters are surrogate pairs, outside the class).
fn utf8_local(c: char) -> bool {
    matches!(c, '\u{A1}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFEF}')
}

/// `emailUserUtf8Part`.
fn user_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || utf8_local(c)
}

/// JavaScript's `\s`.
fn js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{B}' | '\u{C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}' | '\u{FEFF}'
    )
}

/// `quotedEmailUserUtf8`: plain characters, or a backslash and the character it escapes.
fn quoted_user(inner: &str) -> bool {
    let plain = |c: char| {
        js_space(c)
            || matches!(c, '\u{1}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{7F}' | '\u{21}' | '\u{23}'..='\u{5B}' | '\u{5D}'..='\u{7E}')
            || matches!(c, '\u{A0}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFEF}')
    };
    let escaped = |c: char| {
        matches!(c, '\u{1}'..='\u{9}' | '\u{B}' | '\u{C}' | '\u{D}'..='\u{7F}')
            || matches!(c, '\u{A0}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFEF}')
    };
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if !chars.next().is_some_and(escaped) {
                return false;
            }
        } else if !plain(c) {
            return false;
        }
    }
    true
}

/// validator.js's `isFQDN(domain, { require_tld: true, allow_underscores: false })` with the
/// other options at their defaults (no trailing dot, no wildcard, no numeric TLD).
fn is_fqdn(domain: &str) -> bool {
    let parts: Vec<&str> = domain.split('.').collect();
    let Some(tld) = parts.last() else { return false };
    if parts.len() < 2 {
        return false;
    }
    // /^([a-z\u00A1-\u00A8\u00AA-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF]{2,}|xn[a-z0-9-]{2,})$/i
    let letters = utf16_len(tld) >= 2
        && tld.chars().all(|c| {
            c.is_ascii_alphabetic()
                || matches!(c, '\u{A1}'..='\u{A8}' | '\u{AA}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFEF}')
        });
    let bytes = tld.as_bytes();
    let punycode = bytes.len() >= 4
        && bytes[..2].eq_ignore_ascii_case(b"xn")
        && bytes[2..].iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-');
    if !(letters || punycode) || tld.chars().any(js_space) || tld.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    parts.iter().all(|part| {
        utf16_len(part) <= 63
            && !part.is_empty()
            // /^[a-z_\u00a1-\uffff0-9-]+$/i: astral characters are two units from D800..DFFF
            && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c >= '\u{A1}')
            && !part.chars().any(|c| matches!(c, '\u{FF01}'..='\u{FF5E}'))
            && !part.starts_with('-')
            && !part.ends_with('-')
            && !part.contains('_')
    })
}

#[cfg(test)]
mod tests {
    use super::is_email;

    /// The default-option cases of validator.js's own test suite (`test/validators.test.js`,
    /// "should validate email addresses"), character for character.
    #[test]
    fn validator_js_default_cases() {
        let a = |n: usize| "a".repeat(n);
        let valid = [
            "foo@bar.com".to_owned(),
            "x@x.au".into(),
            "foo@bar.com.au".into(),
            "foo+bar@bar.com".into(),
            "hans.m\u{7aef}ller@test.com".into(),
            "hans@m\u{7aef}ller.com".into(),
            "test|123@m\u{7aef}ller.com".into(),
            "test123+ext@gmail.com".into(),
            "some.name.midd.leNa.me.and.locality+extension@GoogleMail.com".into(),
            "\"foobar\"@example.com".into(),
            "\"  foo  m\u{7aef}ller \"@example.com".into(),
            "\"foo\\@bar\"@example.com".into(),
            format!("{}@{}.com", a(64), a(63)),
            format!("{}@gmail.com", a(31)),
            "test@gmail.com".into(),
            "test.1@gmail.com".into(),
            "test@1337.com".into(),
        ];
        for email in &valid {
            assert!(is_email(email), "{email} should pass");
        }
        let invalid = [
            "invalidemail@".to_owned(),
            "invalid.com".into(),
            "@invalid.com".into(),
            "foo@bar.com.".into(),
            "foo@_bar.com".into(),
            "somename@\u{ff47}\u{ff4d}\u{ff41}\u{ff49}\u{ff4c}.com".into(),
            "foo@bar.co.uk.".into(),
            "z@co.c".into(),
            format!("{}@gmail.com", "\u{ff47}\u{ff4d}\u{ff41}\u{ff49}\u{ff4c}".repeat(5)),
            format!("{}@{}.com", a(64), a(251)),
            format!("{}@{}.com", a(65), a(250)),
            format!("{}@{}.com", a(64), a(64)),
            format!("{}@{}.{}.{}.{}.com", a(64), a(63), a(63), a(63), a(58)),
            "test1@invalid.co\u{2006}m".into(),
            "test2@invalid.co\u{2002}m".into(),
            "test3@invalid.co\u{2004}m".into(),
            "test4@invalid.co\u{2005}m".into(),
            "test5@invalid.co\u{2006}m".into(),
            "test6@invalid.co\u{2007}m".into(),
            "test7@invalid.co\u{2008}m".into(),
            "test8@invalid.co\u{2009}m".into(),
            "test9@invalid.co\u{200a}m".into(),
            "test10@invalid.co\u{202f}m".into(),
            "test11@invalid.co\u{205f}m".into(),
            "test12@invalid.co\u{3000}m".into(),
            "test13@invalid.co\u{3000}m".into(),
            "multiple..dots@stillinvalid.com".into(),
            "test123+invalid! sub_address@gmail.com".into(),
            "gmail...ignores...dots...@gmail.com".into(),
            "ends.with.dot.@gmail.com".into(),
            "multiple..dots@gmail.com".into(),
            "wrong()[]\",:;<>@@gmail.com".into(),
            "\"wrong()[]\",:;<>@@gmail.com".into(),
            "username@domain.com\u{fffd}".into(),
            "username@domain.com\u{a9}".into(),
            "nbsp\u{a0}test@test.com".into(),
            "nbsp_test@te\u{a0}st.com".into(),
            "nbsp_test@test.co\u{a0}m".into(),
            "\"foobar@gmail.com".into(),
            "\"foo\"bar@gmail.com".into(),
            "foo\"bar\"@gmail.com".into(),
        ];
        for email in &invalid {
            assert!(!is_email(email), "{email} should fail");
        }
    }

    #[test]
    fn what_auth0_users_meet() {
        assert!(
            is_email("j\u{f6}rg.m\u{fc}ller@ex\u{e4}mple.de"),
            "UTF-8 letters are fine"
        );
        for invalid in [
            "jane@",
            "jane@localhost",
            "jane@example.123",
            "a@b.c",
            "jane doe@example.com",
        ] {
            assert!(!is_email(invalid), "{invalid} should fail");
        }
    }

    #[test]
    fn lengths_count_as_javascript_counts() {
        // 64 bytes of local part pass, 65 fail; a 2-byte character counts twice.
        assert!(is_email(&format!("{}@example.com", "a".repeat(64))));
        assert!(!is_email(&format!("{}é@example.com", "a".repeat(63))));
        // the whole address: 254 UTF-16 units
        let domain = format!(
            "{}.{}.{}.{}.com",
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(63),
            "e".repeat(12)
        );
        let at_limit = format!("{}@{domain}", "a".repeat(254 - 1 - domain.len()));
        assert_eq!(at_limit.len(), 254);
        assert!(is_email(&at_limit));
        assert!(!is_email(&format!("a{at_limit}")));
        // an astral character is fine in a domain label, not in the TLD or the local part
        assert!(is_email("a@😀.com"));
        assert!(!is_email("a@example.😀😀"));
        assert!(!is_email("😀@example.com"));
        // the lone quote validator.js lets through
        assert!(is_email("\"@example.com"));
    }
}
