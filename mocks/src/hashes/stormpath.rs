//! Stormpath password hashes as its export and import carried them (`stormpath.md` §9.3,
//! `password-hashes.md` §5): `$stormpath2$ALG$ITERATIONS$BASE64_SALT$BASE64_HASH` (imported
//! legacy hashes), `$stormpath1$BASE64_SALT$BASE64_HASH` (Stormpath's own scheme), and bcrypt.
//!
//! Documented: the `$stormpath2$` layout, its algorithms (`MD5`, `SHA-1`, `SHA-256`, `SHA-384`,
//! `SHA-512`), iterations > 0 and an optional (empty) salt; the first digest is `H(salt ‖ UTF-8
//! password)` (verified against three published SDK vectors); bcrypt `$2a$`, `$2b$`, `$2x$`.
//! Inferred: further iterations re-digest the previous digest (Apache Shiro's `SimpleHash`, which
//! Stormpath's Java backend used); algorithm names are matched case-insensitively (as Java's
//! `MessageDigest.getInstance`); `$stormpath1$` is HMAC-SHA-256 keyed with the decoded salt over the
//! UTF-8 password (a production verifier of exported hashes, not Stormpath's docs); `$2y$` is
//! accepted as the same algorithm as `$2b$`, and `$2x$` keeps crypt_blowfish's sign-extension bug.

use super::crypt::Bcrypt;
use super::digest::Alg;
use super::encoding::{base64_decode, base64_encode};
use super::{HashError, malformed, unsupported};

/// Whether `password` matches a Stormpath MCF string.
///
/// # Errors
/// [`HashError::Malformed`] for an unreadable string, [`HashError::Unsupported`] for another MCF
/// scheme (or bcrypt `$2$`).
pub fn verify(stored: &str, password: &str) -> Result<bool, HashError> {
    if let Some(rest) = stored.strip_prefix("$stormpath2$") {
        let fields: Vec<&str> = rest.split('$').collect();
        let [algorithm, iterations, salt, hash] = fields.as_slice() else {
            return Err(malformed("$stormpath2$ takes ALG$ITERATIONS$SALT$HASH"));
        };
        let alg = algorithm_named(algorithm)?;
        let iterations = parse_iterations(iterations)?;
        // refused rather than computed for hours (issue 17), as the Auth0 import's limit
        if u64::from(iterations) > import_schema::hash_limits::PBKDF2_ITERATIONS {
            return Err(unsupported(format!(
                "$stormpath2$ iterations {iterations} is above {}, the most the mock verifies",
                import_schema::hash_limits::PBKDF2_ITERATIONS
            )));
        }
        let salt = base64_decode(salt).ok_or_else(|| malformed("the $stormpath2$ salt is not Base64"))?;
        let expected = base64_decode(hash).ok_or_else(|| malformed("the $stormpath2$ hash is not Base64"))?;
        return Ok(stormpath2_digest(alg, iterations, &salt, password) == expected);
    }
    if let Some(rest) = stored.strip_prefix("$stormpath1$") {
        let Some((salt, hash)) = rest.split_once('$') else {
            return Err(malformed("$stormpath1$ takes SALT$HASH"));
        };
        let salt = base64_decode(salt).ok_or_else(|| malformed("the $stormpath1$ salt is not Base64"))?;
        let expected = base64_decode(hash).ok_or_else(|| malformed("the $stormpath1$ hash is not Base64"))?;
        return Ok(Alg::Sha256.hmac(&salt, &[password.as_bytes()]) == expected);
    }
    if stored.starts_with("$2") {
        let bcrypt = Bcrypt::parse(stored)?;
        if u64::from(bcrypt.cost) > import_schema::hash_limits::BCRYPT_COST {
            return Err(unsupported(format!(
                "bcrypt cost {} is above {}, the most the mock verifies",
                bcrypt.cost,
                import_schema::hash_limits::BCRYPT_COST
            )));
        }
        return Ok(bcrypt.verify(password.as_bytes()));
    }
    if stored.starts_with('$') {
        let scheme = stored.split('$').nth(1).unwrap_or_default();
        return Err(unsupported(format!("Stormpath never stored ${scheme}$ hashes")));
    }
    Err(malformed("not a Modular Crypt Format string"))
}

/// `$stormpath2$ALG$ITERATIONS$BASE64_SALT$BASE64_HASH` for `password`; `algorithm` is one of
/// `MD5`, `SHA-1`, `SHA-256`, `SHA-384`, `SHA-512` (written in that canonical spelling); an empty
/// `salt` leaves the field empty.
///
/// # Errors
/// [`HashError::Unsupported`] for another algorithm, [`HashError::Malformed`] for 0 iterations.
pub fn hash_stormpath2(algorithm: &str, iterations: u32, salt: &[u8], password: &str) -> Result<String, HashError> {
    let alg = algorithm_named(algorithm)?;
    if iterations == 0 {
        return Err(malformed("$stormpath2$ iterations must be at least 1"));
    }
    let name = match alg {
        Alg::Md5 => "MD5",
        Alg::Sha1 => "SHA-1",
        Alg::Sha256 => "SHA-256",
        Alg::Sha384 => "SHA-384",
        _ => "SHA-512",
    };
    let digest = stormpath2_digest(alg, iterations, salt, password);
    let salt = if salt.is_empty() {
        String::new()
    } else {
        base64_encode(salt)
    };
    Ok(format!(
        "$stormpath2${name}${iterations}${salt}${}",
        base64_encode(&digest)
    ))
}

/// `$stormpath1$BASE64_SALT$BASE64_HASH`: what Stormpath re-hashed a password into after a
/// successful login (the mock may store it after the first login of an imported hash).
pub fn hash_stormpath1(salt: &[u8], password: &str) -> String {
    let digest = Alg::Sha256.hmac(salt, &[password.as_bytes()]);
    format!("$stormpath1${}${}", base64_encode(salt), base64_encode(&digest))
}

fn algorithm_named(name: &str) -> Result<Alg, HashError> {
    match name.to_ascii_uppercase().as_str() {
        "MD5" => Ok(Alg::Md5),
        "SHA-1" => Ok(Alg::Sha1),
        "SHA-256" => Ok(Alg::Sha256),
        "SHA-384" => Ok(Alg::Sha384),
        "SHA-512" => Ok(Alg::Sha512),
        _ => Err(unsupported(format!(
            "$stormpath2$ algorithm {name:?} (MD5, SHA-1, SHA-256, SHA-384, SHA-512)"
        ))),
    }
}

fn parse_iterations(text: &str) -> Result<u32, HashError> {
    match text.parse::<u32>() {
        Ok(n) if n > 0 && text.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(malformed(format!(
            "$stormpath2$ iterations {text:?} is not a positive integer"
        ))),
    }
}

/// Shiro's `SimpleHash`: `H(salt ‖ password)`, then `iterations - 1` times `H(previous)`.
fn stormpath2_digest(alg: Alg, iterations: u32, salt: &[u8], password: &str) -> Vec<u8> {
    let mut digest = alg.digest(&[salt, password.as_bytes()]);
    for _ in 1..iterations {
        digest = alg.digest(&[&digest]);
    }
    digest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stormpath2_matches_published_sdk_vectors() {
        // password-hashes.md §5 and stormpath.md §9.3 (Python, Ruby SDK tests; HashTester.java).
        for (stored, password) in [
            (
                "$stormpath2$MD5$1$OWI3OTQwYjEwODEwOTdkNTcwZDY5NjQ2ZDNlNmZjNzM=$ULWTW74NXPyLYj3VfYHWrg==",
                "123456",
            ),
            (
                "$stormpath2$MD5$1$NzEyN2ZhYzdkZTAyMjJlMGQyMWYxMWRmZmY2YjA1MWI=$K18Ak0YikAFrqgglhIaY5g==",
                "password",
            ),
            (
                "$stormpath2$MD5$1$OGYyMmM5YzVlMDEwODEwZTg3MzM4ZTA2YjljZjMxYmE=$EuFAr2NTM83PrizVAYuOvw==",
                "qwerty",
            ),
            ("$stormpath2$MD5$1$$4QrcOUm6Wau+VuBX8g+IPg==", "123456"),
        ] {
            assert_eq!(verify(stored, password), Ok(true), "{stored}");
            assert_eq!(verify(stored, "1234567"), Ok(false), "{stored}");
        }
    }

    #[test]
    fn stormpath2_round_trips_for_every_algorithm_and_iterations() {
        for algorithm in ["MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512", "sha-256"] {
            for iterations in [1, 2, 1024] {
                for salt in [&b""[..], b"s4lt", &[0xff, 0x00, 0x10]] {
                    let stored = hash_stormpath2(algorithm, iterations, salt, "Passw0rd!").expect("known");
                    assert_eq!(verify(&stored, "Passw0rd!"), Ok(true), "{stored}");
                    assert_eq!(verify(&stored, "Passw0rd"), Ok(false), "{stored}");
                }
            }
        }
        let stored = hash_stormpath2("md5", 1, b"", "123456").expect("known");
        assert_eq!(stored, "$stormpath2$MD5$1$$4QrcOUm6Wau+VuBX8g+IPg==");
    }

    #[test]
    fn stormpath2_iterations_follow_shiro() {
        // python3: h = sha256(salt + pw); h = sha256(h) twice more.
        let stored = "$stormpath2$SHA-256$3$czRsdA==$8VIrmg2OCVWzR/XirbmnDWnygB0cKg9SU/OSbSI6Hno=";
        assert_eq!(verify(stored, "Passw0rd!"), Ok(true));
        assert_eq!(
            hash_stormpath2("SHA-256", 3, b"s4lt", "Passw0rd!").as_deref(),
            Ok(stored)
        );
    }

    #[test]
    fn stormpath1_is_hmac_sha256_keyed_with_the_salt() {
        // python3: base64(hmac.new(b"s4lt", b"Passw0rd!", sha256).digest())
        let stored = "$stormpath1$czRsdA==$m0AL/5cw+RhQA5y46rPvpMPGkZEp4ANwc6YaJke01s8=";
        assert_eq!(verify(stored, "Passw0rd!"), Ok(true));
        assert_eq!(verify(stored, "Passw0rd"), Ok(false));
        assert_eq!(hash_stormpath1(b"s4lt", "Passw0rd!"), stored);
    }

    #[test]
    fn bcrypt_variants_verify() {
        let hello = "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K";
        assert_eq!(verify(hello, "hello"), Ok(true));
        assert_eq!(verify(&hello.replace("$2b$", "$2a$"), "hello"), Ok(true));
        assert_eq!(verify(&hello.replace("$2b$", "$2y$"), "hello"), Ok(true));
        // ASCII passwords are unaffected by the $2x$ bug.
        assert_eq!(verify(&hello.replace("$2b$", "$2x$"), "hello"), Ok(true));
        assert_eq!(
            verify("$2x$05$6bNw2HLQYeqHYyBfLMsv/OiwqTymGIGzFsA4hOTWebfehXHNprcAS", "ё"),
            Ok(true)
        );
        assert_eq!(verify(hello, "Hello"), Ok(false));
    }

    #[test]
    fn refuses_unknown_schemes_and_garbage() {
        assert!(matches!(
            verify("$stormpath2$SHA-224$1$$AAAA", "x"),
            Err(HashError::Unsupported(_))
        ));
        assert!(matches!(verify("$stormpath3$x$y", "x"), Err(HashError::Unsupported(_))));
        assert!(matches!(
            hash_stormpath2("WHIRLPOOL", 1, b"", "x"),
            Err(HashError::Unsupported(_))
        ));
        assert!(matches!(
            hash_stormpath2("MD5", 0, b"", "x"),
            Err(HashError::Malformed(_))
        ));
        for bad in [
            "",
            "plain",
            "$stormpath2$",
            "$stormpath2$MD5$0$$4QrcOUm6Wau+VuBX8g+IPg==",
            "$stormpath2$MD5$-1$$4QrcOUm6Wau+VuBX8g+IPg==",
            "$stormpath2$MD5$+1$$4QrcOUm6Wau+VuBX8g+IPg==",
            "$stormpath2$MD5$1$$4QrcOUm6Wau+VuBX8g+IPg==$",
            "$stormpath2$MD5$1$!!$4QrcOUm6Wau+VuBX8g+IPg==",
            "$stormpath2$MD5$1$$é",
            "$stormpath1$",
            "$stormpath1$!!$AAAA",
            "$2b$10$short",
        ] {
            assert!(matches!(verify(bad, "x"), Err(HashError::Malformed(_))), "{bad:?}");
        }
        // Wrong-length digests simply do not match.
        assert_eq!(verify("$stormpath2$MD5$1$$AAAA", "x"), Ok(false));
    }
}
