//! Gigya (SAP Customer Data Cloud) password hashes: verifying the `password` object of an account
//! (`{hash, hashSettings}` or `compoundHashedPassword`) and producing one from a plain password to
//! seed the mock. Definitions follow `password-hashes.md` §1 and §3; vectors are its §4.
//!
//! Documented (SAP-REST, GPV): `hash` is Base64 of the raw digest; `format` substitutes `$password`
//! and the plain-text `$salt`, UTF-8 encoded; `binaryFormat` concatenates `$password:<enc>`,
//! `$salt:<enc>` and `$0x<hex>` pieces; `pbkdf2` is PBKDF2-HMAC-SHA1 over the UTF-8 password and
//! the Base64-decoded salt; compound strings are bcrypt, MD5-crypt and Drupal `$S$`.
//!
//! Inferred, and marked as such where used:
//! - `utf16`/`utf32` in `binaryFormat` are little-endian without BOM (.NET's defaults); a piece's
//!   encoding says how its text becomes bytes for the password *and* the salt (`hex`/`base64`
//!   decode, `utf*` encode); a piece without `:<enc>` is UTF-8 text;
//! - `rounds` > 1 for md5/sha*: the digest is re-digested (`h = H(h)`, raw bytes) — the chaining
//!   is unconfirmed; `rounds` 0 or absent means 1 (GPV's own default);
//! - PBKDF2 output length is the length of the stored hash (16- and 20-byte examples);
//!   `pbkdf2_sha1`, `pbkdf2_sha256`, `pbkdf2_sha512` differ only in the HMAC digest;
//! - `sha1_hashbytes` is SHA-1 of the UTF-16LE password (SQL Server `HASHBYTES` over NVARCHAR),
//!   from its name only, and only without salt or templates;
//! - `symphony2` is Symfony's `MessageDigestPasswordEncoder` with SHA-512 (its default): the salt
//!   text as given, merged as `password{salt}`, re-digested as `H(digest ‖ salted)`;
//! - `bcrypt` given as `hash` + `salt` + `rounds` (not compound): 23 (or all 24) raw bcrypt output
//!   bytes in Base64, a 16-byte Base64 salt, `rounds` = 2^cost;
//! - an MCF string found in `hash` instead of `compoundHashedPassword` is read as compound.
//!
//! Unsupported (definition unconfirmed, so the mock does not guess): `sha512Hexa`,
//! `md5_double_salted`, `sap_abap`, `custom`/`url`, a salt on md5/sha* without `format` or
//! `binaryFormat` (its position is unknown), templates on pbkdf2/symphony2/sha1_hashbytes, and
//! compound schemes other than `$2?$`, `$1$`, `$S$`/`$H$`/`$P$`/`U$`.

use serde::{Deserialize, Serialize};

use super::crypt::{self, Bcrypt, BcryptVariant};
use super::digest::Alg;
use super::encoding::{base64_decode, base64_encode, hex_decode, utf16le, utf32le};
use super::{HashError, malformed, unsupported};

/// The `password` object of a Gigya account (export shape; `created` is not kept here).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GigyaPassword {
    /// Base64 of the raw digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_settings: Option<HashSettings>,
    /// An MCF string such as `$2a$10$…`, `$1$…` or `$S$…` (import parameter; no `hashSettings`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compound_hashed_password: Option<String>,
}

/// `password.hashSettings`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct HashSettings {
    #[serde(default)]
    pub algorithm: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rounds: Option<u32>,
    /// Base64, except plain text when `format` uses `$salt` (and as `binaryFormat` says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Whether `password` matches what Gigya stores. An empty password object (no `hash`, no compound
/// string: an account without a site password) never matches: `Ok(false)`.
///
/// # Errors
/// [`HashError::Unsupported`] for algorithms whose definition is unconfirmed (see the module docs),
/// [`HashError::Malformed`] for values that cannot be decoded.
pub fn verify(stored: &GigyaPassword, password: &str) -> Result<bool, HashError> {
    if let Some(compound) = non_empty(stored.compound_hashed_password.as_deref()) {
        return verify_compound(compound, password);
    }
    let Some(hash) = non_empty(stored.hash.as_deref()) else {
        return Ok(false);
    };
    if hash.starts_with('$') || hash.starts_with("U$") {
        return verify_compound(hash, password);
    }
    let settings = stored
        .hash_settings
        .as_ref()
        .ok_or_else(|| malformed("password.hashSettings is missing"))?;
    let scheme = Scheme::of(settings)?;
    let expected = base64_decode(hash).ok_or_else(|| malformed("password.hash is not Base64"))?;
    Ok(scheme.compute(settings, password, expected.len())? == expected)
}

/// What Gigya would store for `password` under `algorithm`, with `salt` as raw bytes and `rounds`
/// as Gigya's `hashSettings.rounds`:
/// - `md5`, `sha1`, `sha256`, `sha512`: without salt `H(password)`; with salt the template
///   `binaryFormat` `$salt:base64$password:utf8` (salt stored in Base64); `rounds` re-digests;
/// - `sha1_hashbytes`: no salt allowed;
/// - `pbkdf2` (SHA-1), `pbkdf2_sha1`, `pbkdf2_sha256`, `pbkdf2_sha512`: 20-byte output (use
///   [`hash_with`] for another length);
/// - `symphony2`: the salt must be UTF-8 text without `{` `}`;
/// - `bcrypt`: a `$2a$` compound string; `salt` is 16 bytes, `rounds` a power of two 2^4..2^31;
/// - `md5_crypt`: a `$1$` compound string; `salt` is up to 8 characters, no `$`; rounds ignored;
/// - `drupal`: a `$S$` compound string; `salt` is 8 characters of `./0-9A-Za-z`, `rounds` a power
///   of two 2^7..2^30, or 0/1 for Drupal's default 2^15.
///
/// # Errors
/// [`HashError::Unsupported`] for algorithms [`verify`] does not support, [`HashError::Malformed`]
/// for a salt or rounds the algorithm cannot take.
pub fn hash(algorithm: &str, password: &str, salt: &[u8], rounds: u32) -> Result<GigyaPassword, HashError> {
    let name = algorithm.to_ascii_lowercase();
    let settings = |salt: Option<String>, binary_format: Option<&str>| HashSettings {
        algorithm: algorithm.to_owned(),
        rounds: Some(rounds.max(1)),
        salt,
        binary_format: binary_format.map(str::to_owned),
        ..HashSettings::default()
    };
    let compound = |mcf: String| GigyaPassword {
        hash: None,
        hash_settings: None,
        compound_hashed_password: Some(mcf),
    };
    match name.as_str() {
        "md5" | "sha1" | "sha256" | "sha512" if salt.is_empty() => hash_with(&settings(None, None), password, None),
        "md5" | "sha1" | "sha256" | "sha512" => hash_with(
            &settings(Some(base64_encode(salt)), Some("$salt:base64$password:utf8")),
            password,
            None,
        ),
        "sha1_hashbytes" if !salt.is_empty() => Err(unsupported("sha1_hashbytes with a salt is unconfirmed")),
        "sha1_hashbytes" => hash_with(&settings(None, None), password, None),
        "pbkdf2" | "pbkdf2_sha1" | "pbkdf2_sha256" | "pbkdf2_sha512" => {
            hash_with(&settings(Some(base64_encode(salt)), None), password, Some(20))
        }
        "symphony2" => {
            let text = std::str::from_utf8(salt).map_err(|_| malformed("a symphony2 salt is text (UTF-8)"))?;
            hash_with(
                &settings((!text.is_empty()).then(|| text.to_owned()), None),
                password,
                None,
            )
        }
        "bcrypt" => {
            if !rounds.is_power_of_two() || rounds < 16 {
                return Err(malformed(format!(
                    "bcrypt rounds {rounds} is not a power of two from 16"
                )));
            }
            let salt: [u8; 16] = salt.try_into().map_err(|_| malformed("a bcrypt salt is 16 bytes"))?;
            crypt::bcrypt_hash(BcryptVariant::A, rounds.trailing_zeros(), salt, password.as_bytes()).map(compound)
        }
        "md5_crypt" => {
            let text = std::str::from_utf8(salt)
                .ok()
                .filter(|s| s.len() <= 8 && !s.contains('$'));
            let text = text.ok_or_else(|| malformed("an md5_crypt salt is up to 8 characters without '$'"))?;
            Ok(compound(crypt::md5_crypt(password.as_bytes(), text.as_bytes())))
        }
        "drupal" => {
            let log2 = match rounds {
                0 | 1 => 15,
                r if r.is_power_of_two() => r.trailing_zeros(),
                r => return Err(malformed(format!("drupal rounds {r} is not a power of two"))),
            };
            let text = std::str::from_utf8(salt).map_err(|_| malformed("a drupal salt is 8 characters"))?;
            crypt::drupal_hash(password.as_bytes(), log2, text).map(compound)
        }
        _ => Err(Scheme::of(&HashSettings {
            algorithm: algorithm.to_owned(),
            ..HashSettings::default()
        })
        .err()
        .unwrap_or_else(|| unsupported(format!("Gigya algorithm {algorithm:?}")))),
    }
}

/// What Gigya would store for `password` under the given `settings` (any `format` /
/// `binaryFormat` template, salt as Gigya holds it). `hash_len` is the output length for the
/// PBKDF2 family (default 20) and raw bcrypt (23 or 24, default 23); digests have their own.
/// Compound algorithms (`md5_crypt`, `drupal`, bcrypt MCF) go through [`hash`].
///
/// # Errors
/// As [`verify`].
pub fn hash_with(settings: &HashSettings, password: &str, hash_len: Option<usize>) -> Result<GigyaPassword, HashError> {
    let scheme = Scheme::of(settings)?;
    let len = hash_len.unwrap_or(match scheme {
        Scheme::BcryptRaw => 23,
        _ => 20,
    });
    let digest = scheme.compute(settings, password, len)?;
    Ok(GigyaPassword {
        hash: Some(base64_encode(&digest)),
        hash_settings: Some(settings.clone()),
        compound_hashed_password: None,
    })
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

fn verify_compound(mcf: &str, password: &str) -> Result<bool, HashError> {
    let bytes = password.as_bytes();
    if mcf.starts_with("$2") {
        let parsed = Bcrypt::parse(mcf)?;
        // refused rather than computed for hours (issue 17), as the Auth0 import's limit
        if u64::from(parsed.cost) > import_schema::hash_limits::BCRYPT_COST {
            return Err(unsupported(format!(
                "bcrypt cost {} is above {}, the most the mock verifies",
                parsed.cost,
                import_schema::hash_limits::BCRYPT_COST
            )));
        }
        return Ok(parsed.verify(bytes));
    }
    if mcf.starts_with("$1$") {
        return crypt::md5_crypt_verify(bytes, mcf);
    }
    if ["$S$", "$H$", "$P$", "U$S$", "U$H$", "U$P$"]
        .iter()
        .any(|prefix| mcf.starts_with(prefix))
    {
        return crypt::drupal_verify(bytes, mcf);
    }
    if mcf.starts_with('$') {
        let scheme = mcf.split('$').nth(1).unwrap_or_default();
        return Err(unsupported(format!("compound hash scheme ${scheme}$")));
    }
    Err(malformed("compoundHashedPassword is not a Modular Crypt Format string"))
}

/// How the bytes stored in `hash` are computed.
#[derive(Clone, Copy, Debug)]
enum Scheme {
    /// md5/sha*: `format`/`binaryFormat` template, then `rounds` digests.
    Template(Alg),
    /// `sha1_hashbytes`.
    HashBytes,
    Pbkdf2(Alg),
    /// `bcrypt` as hash + salt + rounds.
    BcryptRaw,
    /// `symphony2`.
    Symfony,
}

impl Scheme {
    fn of(settings: &HashSettings) -> Result<Self, HashError> {
        if non_empty(settings.url.as_deref()).is_some() {
            return Err(unsupported(
                "a custom remote hash service (hashSettings.url) cannot be reproduced",
            ));
        }
        let name = settings.algorithm.to_ascii_lowercase();
        let scheme = match name.as_str() {
            "md5" => Scheme::Template(Alg::Md5),
            "sha1" => Scheme::Template(Alg::Sha1),
            "sha256" => Scheme::Template(Alg::Sha256),
            "sha512" => Scheme::Template(Alg::Sha512),
            "sha1_hashbytes" => Scheme::HashBytes,
            "pbkdf2" | "pbkdf2_sha1" => Scheme::Pbkdf2(Alg::Sha1),
            "pbkdf2_sha256" => Scheme::Pbkdf2(Alg::Sha256),
            "pbkdf2_sha512" => Scheme::Pbkdf2(Alg::Sha512),
            "bcrypt" => Scheme::BcryptRaw,
            "symphony2" => Scheme::Symfony,
            "" => return Err(malformed("hashSettings.algorithm is missing")),
            "sha512hexa" | "md5_double_salted" | "sap_abap" | "custom" => {
                return Err(unsupported(format!(
                    "Gigya algorithm {} has no confirmed definition",
                    settings.algorithm
                )));
            }
            "md5_crypt" | "drupal" => {
                return Err(malformed(format!(
                    "{} is stored as a compound string, not in hash",
                    settings.algorithm
                )));
            }
            _ => return Err(unsupported(format!("unknown Gigya algorithm {:?}", settings.algorithm))),
        };
        let templated =
            non_empty(settings.format.as_deref()).is_some() || non_empty(settings.binary_format.as_deref()).is_some();
        if templated && !matches!(scheme, Scheme::Template(_)) {
            return Err(unsupported(format!(
                "format/binaryFormat with {} is unconfirmed",
                settings.algorithm
            )));
        }
        Ok(scheme)
    }

    /// The bytes Gigya stores for `password`; `len` is the output length where it is variable.
    fn compute(self, settings: &HashSettings, password: &str, len: usize) -> Result<Vec<u8>, HashError> {
        let rounds = settings.rounds.unwrap_or(1).max(1);
        // A work factor far beyond any real system's is refused rather than computed for
        // hours (issue 17), with the limits the Auth0 import applies (import_schema).
        let most = if matches!(self, Scheme::BcryptRaw) {
            1u64 << import_schema::hash_limits::BCRYPT_COST
        } else {
            import_schema::hash_limits::PBKDF2_ITERATIONS
        };
        if u64::from(rounds) > most {
            return Err(unsupported(format!(
                "hashSettings.rounds {rounds} is above {most}, the most the mock verifies"
            )));
        }
        let salt = non_empty(settings.salt.as_deref());
        match self {
            Scheme::Template(alg) => Ok(iterate(alg, &template_input(settings, password)?, rounds)),
            Scheme::HashBytes => {
                if salt.is_some() {
                    return Err(unsupported("sha1_hashbytes with a salt is unconfirmed"));
                }
                Ok(iterate(Alg::Sha1, &utf16le(password), rounds))
            }
            Scheme::Pbkdf2(alg) => {
                if len == 0 || len > 1024 {
                    return Err(malformed(format!("a PBKDF2 hash of {len} bytes")));
                }
                let salt = salt.map_or(Some(Vec::new()), base64_decode);
                let salt = salt.ok_or_else(|| malformed("hashSettings.salt is not Base64"))?;
                let mut out = vec![0; len];
                alg.pbkdf2(password.as_bytes(), &salt, rounds, &mut out);
                Ok(out)
            }
            Scheme::BcryptRaw => {
                let cost = match settings.rounds {
                    Some(r) if r.is_power_of_two() && (16..=1 << 31).contains(&r) => r.trailing_zeros(),
                    _ => return Err(malformed("bcrypt rounds must be a power of two from 2^4 to 2^31")),
                };
                let salt = salt.and_then(base64_decode).and_then(|s| <[u8; 16]>::try_from(s).ok());
                let salt = salt.ok_or_else(|| malformed("a bcrypt hashSettings.salt is 16 bytes in Base64"))?;
                if !(23..=24).contains(&len) {
                    return Err(malformed(format!("a raw bcrypt hash is 23 or 24 bytes, not {len}")));
                }
                Ok(crypt::bcrypt_raw(BcryptVariant::A, cost, salt, password.as_bytes())[..len].to_vec())
            }
            Scheme::Symfony => {
                let salt = salt.unwrap_or_default();
                if salt.contains(['{', '}']) {
                    return Err(malformed("a symphony2 salt cannot contain { or }"));
                }
                let salted = if salt.is_empty() {
                    password.to_owned()
                } else {
                    format!("{password}{{{salt}}}")
                };
                let mut digest = Alg::Sha512.digest(&[salted.as_bytes()]);
                for _ in 1..rounds {
                    digest = Alg::Sha512.digest(&[&digest, salted.as_bytes()]);
                }
                Ok(digest)
            }
        }
    }
}

fn iterate(alg: Alg, input: &[u8], rounds: u32) -> Vec<u8> {
    let mut digest = alg.digest(&[input]);
    for _ in 1..rounds {
        digest = alg.digest(&[&digest]);
    }
    digest
}

/// The bytes hashed for md5/sha*: the template's result, or the UTF-8 password.
fn template_input(settings: &HashSettings, password: &str) -> Result<Vec<u8>, HashError> {
    let salt = settings.salt.as_deref();
    match (
        non_empty(settings.format.as_deref()),
        non_empty(settings.binary_format.as_deref()),
    ) {
        (Some(_), Some(_)) => Err(malformed("both format and binaryFormat are set")),
        (Some(format), None) => text_template(format, password, salt),
        (None, Some(binary)) => binary_template(binary, password, salt),
        (None, None) if non_empty(salt).is_some() => Err(unsupported(
            "a salt without format or binaryFormat: its position is unconfirmed",
        )),
        (None, None) => Ok(password.as_bytes().to_vec()),
    }
}

/// `format`: `$password` and `$salt` substituted in one pass (so a password containing `$salt` is
/// not substituted again), any other text kept, UTF-8.
fn text_template(format: &str, password: &str, salt: Option<&str>) -> Result<Vec<u8>, HashError> {
    let mut out = String::new();
    let mut rest = format;
    let mut has_password = false;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let token = &rest[at..];
        if let Some(after) = token.strip_prefix("$password") {
            out.push_str(password);
            has_password = true;
            rest = after;
        } else if let Some(after) = token.strip_prefix("$salt") {
            out.push_str(salt.ok_or_else(|| malformed("format uses $salt but hashSettings.salt is missing"))?);
            rest = after;
        } else {
            out.push('$');
            rest = &token[1..];
        }
    }
    out.push_str(rest);
    if !has_password {
        return Err(malformed("format has no $password"));
    }
    Ok(out.into_bytes())
}

/// `binaryFormat`: `$password[:enc]`, `$salt[:enc]` and `$0x<hex>` pieces, nothing between them.
fn binary_template(format: &str, password: &str, salt: Option<&str>) -> Result<Vec<u8>, HashError> {
    let mut out = Vec::new();
    let mut has_password = false;
    let mut rest = format;
    while !rest.is_empty() {
        let Some(body) = rest.strip_prefix('$') else {
            return Err(malformed(format!(
                "binaryFormat has text outside its $ pieces: {rest:?}"
            )));
        };
        let end = body.find('$').unwrap_or(body.len());
        let (piece, after) = body.split_at(end);
        rest = after;
        if let Some(hex) = piece.strip_prefix("0x") {
            out.extend(hex_decode(hex).ok_or_else(|| malformed(format!("binaryFormat literal ${piece} is not hex")))?);
            continue;
        }
        let (name, encoding) = piece.split_once(':').unwrap_or((piece, "utf8"));
        let text = match name {
            "password" => {
                has_password = true;
                password
            }
            "salt" => salt.ok_or_else(|| malformed("binaryFormat uses $salt but hashSettings.salt is missing"))?,
            _ => return Err(malformed(format!("unknown binaryFormat piece ${piece}"))),
        };
        let bytes = match encoding.to_ascii_lowercase().as_str() {
            "utf8" => Some(text.as_bytes().to_vec()),
            "utf16" => Some(utf16le(text)),
            "utf32" => Some(utf32le(text)),
            "hex" => hex_decode(text),
            "base64" => base64_decode(text),
            _ => return Err(malformed(format!("unknown binaryFormat encoding {encoding:?}"))),
        };
        out.extend(bytes.ok_or_else(|| malformed(format!("the {name} is not valid {encoding}")))?);
    }
    if !has_password {
        return Err(malformed("binaryFormat has no $password piece"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWORD: &str = "Passw0rd!";
    const SALT_B64: &str = "AQIDBAUGBwgJCgsMDQ4PEA==";

    fn stored(algorithm: &str, hash: &str, tweak: impl FnOnce(&mut HashSettings)) -> GigyaPassword {
        let mut settings = HashSettings {
            algorithm: algorithm.to_owned(),
            ..HashSettings::default()
        };
        tweak(&mut settings);
        GigyaPassword {
            hash: Some(hash.to_owned()),
            hash_settings: Some(settings),
            compound_hashed_password: None,
        }
    }

    fn compound(mcf: &str) -> GigyaPassword {
        GigyaPassword {
            hash: None,
            hash_settings: None,
            compound_hashed_password: Some(mcf.to_owned()),
        }
    }

    fn assert_verifies(stored: &GigyaPassword, password: &str) {
        assert_eq!(verify(stored, password), Ok(true), "{stored:?}");
        assert_eq!(verify(stored, "passw0rd!"), Ok(false), "{stored:?}");
        assert_eq!(verify(stored, ""), Ok(false), "{stored:?}");
    }

    #[test]
    fn unsalted_digests_match_section_4_1() {
        for (algorithm, expected) in [
            ("md5", "R7e/tl+oOsmnHcsPYpa7bg=="),
            ("sha1", "9KaZc+ewv50WD59g48Os0klL6w0="),
            ("sha256", "5mhgVG8YzbvNhrNeGLUlv/xn93LGUM7f4/96ACb6He4="),
            (
                "sha512",
                "odmp6Z5w7OBvbvV4JifKyGnbl1SsbfqwH/R5AN73f1gbVi5vgr5HiH/5wNWOLwpiLTlqRy8Hyuot2vg8d7/2iQ==",
            ),
        ] {
            assert_verifies(&stored(algorithm, expected, |_| {}), PASSWORD);
            assert_verifies(&stored(algorithm, expected, |s| s.rounds = Some(1)), PASSWORD);
            assert_eq!(
                hash(algorithm, PASSWORD, b"", 1).expect("known").hash.as_deref(),
                Some(expected)
            );
        }
        // SAP's own example: Base64(SHA-1("password")).
        assert_eq!(
            verify(&stored("sha1", "W6ph5Mm5Pz8GgiULbPgzG37mj9g=", |_| {}), "password"),
            Ok(true)
        );
    }

    #[test]
    fn format_templates_match_section_4_2() {
        for (algorithm, format, hash) in [
            ("md5", "$salt$password", "79kRMo+4BmJdeGUJMyAHHQ=="),
            ("md5", "$password$salt", "2dmbg73J7LQoaOzexM+CdQ=="),
            ("sha1", "$salt$password", "g0XVCh3LohsbjuNGKcNik41sFG4="),
            ("sha1", "$password$salt", "+Ne45VWIKymTsi5cPs3U9G6Rnwg="),
            (
                "sha256",
                "$salt$password",
                "RYSdl7qOSWic2V0q+yS4H8ftBzMR/YeCib3tJ3EIVdw=",
            ),
            (
                "sha256",
                "$password$salt",
                "qry08jgIHkwlvGORPIzhnH3SI7FbFlJe7QZZKVVP5qM=",
            ),
            (
                "sha512",
                "$salt$password",
                "gQRSTd4ph3VxIj65NfKaOmzaAMLOCXiMvPqcwZqhHNjigbZ12X4Xkghc5vD6E/xJKNmQq6mo83yrvUvT+wtTpg==",
            ),
            (
                "sha512",
                "$password$salt",
                "8fwB5dX9/iMBhrszI1QThAygZnA0ToLrJsfy41F58P53Ml+IC8+BGbXLFi1yoZIWDpS8FFUN2fKpdLuL2dwtSA==",
            ),
            ("sha1", "wikipedia$salt$password", "vuYJZYZxKZBVRjaYWrxR6beepgc="),
        ] {
            let stored = stored(algorithm, hash, |s| {
                s.salt = Some("s4lt".into());
                s.format = Some(format.into());
                s.rounds = Some(1);
            });
            assert_verifies(&stored, PASSWORD);
            let settings = stored.hash_settings.clone().expect("set");
            assert_eq!(hash_with(&settings, PASSWORD, None).expect("known"), stored);
        }
    }

    #[test]
    fn binary_templates_match_section_4_3() {
        let sha256 = stored("sha256", "xgaMKq7O9n2YdOFeu52TPDu1twQEpAxRZACvh7LvHdU=", |s| {
            s.salt = Some(SALT_B64.into());
            s.binary_format = Some("$salt:base64$password:utf8".into());
        });
        assert_verifies(&sha256, PASSWORD);
        let sha1 = stored("sha1", "Io7BHYeCBovXlEVRLe1rAZov20M=", |s| {
            s.salt = Some(SALT_B64.into());
            s.binary_format = Some("$password:utf16$salt:base64".into());
        });
        assert_verifies(&sha1, PASSWORD);
        assert_verifies(
            &stored("sha1_hashbytes", "5T1yRKqHJ/V4mwHYlZFBlgqtXSI=", |_| {}),
            PASSWORD,
        );
        assert_eq!(
            hash("sha1_hashbytes", PASSWORD, b"", 1).expect("known").hash.as_deref(),
            Some("5T1yRKqHJ/V4mwHYlZFBlgqtXSI=")
        );
        // hash() with a salt writes exactly the §4.3 sha256 settings.
        let made = hash("sha256", PASSWORD, &(1..=16).collect::<Vec<u8>>(), 1).expect("known");
        assert_eq!(made.hash, sha256.hash);
        assert_eq!(
            made.hash_settings.as_ref().and_then(|s| s.binary_format.as_deref()),
            Some("$salt:base64$password:utf8")
        );
    }

    #[test]
    fn binary_templates_with_literals_hex_and_utf32() {
        // python3: SAP's example template, sha256(b"Gigya" + salt + b"_" + utf16le(pw) + b"Gigya").
        let sap = stored("sha256", "2GLLolaGsGo0c+nNVfrE9Exu5nQgtVrODcwSJ4PY5fc=", |s| {
            s.salt = Some(SALT_B64.into());
            s.binary_format = Some("$0x4769677961$salt:base64$0x5F$password:utf16$0x4769677961".into());
        });
        assert_verifies(&sap, PASSWORD);
        // python3: sha512(salt bytes + utf32le(pw)), salt given in hex.
        let utf32 = stored(
            "sha512",
            "HGALCjgxj1EcPSRmPG8tMFujijAbO0KHHn1FCK0TJXZmOcVR0crfIXnNvnr4xiyMx7AT7bSM41Qf2/w8V/EWsg==",
            |s| {
                s.salt = Some("0102030405060708090a0b0c0d0e0f10".into());
                s.binary_format = Some("$salt:hex$password:utf32".into());
            },
        );
        assert_verifies(&utf32, PASSWORD);
        // A piece without an encoding is UTF-8 text: same bytes as format "$password$salt" (§4.2).
        let plain = stored("sha1", "+Ne45VWIKymTsi5cPs3U9G6Rnwg=", |s| {
            s.salt = Some("s4lt".into());
            s.binary_format = Some("$password$salt".into());
        });
        assert_verifies(&plain, PASSWORD);
    }

    #[test]
    fn rounds_redigest_the_raw_digest() {
        // python3 under the inferred chaining h = H(h).
        assert_verifies(
            &stored("sha256", "4+EXUVu2WXY2FfhKM7c+aLtncQlXQCl/GxvoTLsvZRo=", |s| {
                s.rounds = Some(3)
            }),
            PASSWORD,
        );
        let md5 = stored("md5", "kdch61nIbH7xvnkcN4kMFw==", |s| {
            s.rounds = Some(2);
            s.salt = Some("s4lt".into());
            s.format = Some("$salt$password".into());
        });
        assert_verifies(&md5, PASSWORD);
    }

    #[test]
    fn pbkdf2_family_matches_section_4_4() {
        for (algorithm, hash) in [
            ("pbkdf2", "CgdL/YjUm2ce11aBJrnM9OrgKY4="),
            ("pbkdf2", "CgdL/YjUm2ce11aBJrnM9A=="),
            ("pbkdf2_sha1", "CgdL/YjUm2ce11aBJrnM9OrgKY4="),
            ("pbkdf2_sha256", "Hd62Qkhv+U5RCDmlos4sIp8WCqkAhdohecXHJWNQdH8="),
            (
                "pbkdf2_sha512",
                "WLBPZNZfh5pNQzNhl5J1MHoJK3x0fUqi67N72Wce4vZd8KMmx0iTERZ6xomolE0UHVXxhna3lJI1W3Me2cY4Cg==",
            ),
            ("pbkdf2_sha512", "WLBPZNZfh5pNQzNhl5J1MHoJK3w="),
        ] {
            assert_verifies(
                &stored(algorithm, hash, |s| {
                    s.salt = Some(SALT_B64.into());
                    s.rounds = Some(1000);
                }),
                PASSWORD,
            );
        }
        // ONELOGIN-NOTE cross-check vector.
        let onelogin = stored("pbkdf2", "XMGVWTbeKf4Xd+CGiuEZde8x7QA=", |s| {
            s.salt = Some("wJuJqLoUFsdXa8k3sFhRlA==".into());
            s.rounds = Some(10000);
        });
        assert_eq!(verify(&onelogin, "Test@123"), Ok(true));
        assert_eq!(verify(&onelogin, "Test@124"), Ok(false));
        // hash(): 20 bytes by default (the §4.4 values above, truncated to 20 for sha256).
        let salt: Vec<u8> = (1..=16).collect();
        assert_eq!(
            hash("pbkdf2", PASSWORD, &salt, 1000).expect("known").hash.as_deref(),
            Some("CgdL/YjUm2ce11aBJrnM9OrgKY4=")
        );
        let sha256 = hash("pbkdf2_sha256", PASSWORD, &salt, 1000).expect("known");
        assert_eq!(sha256.hash.as_deref(), Some("Hd62Qkhv+U5RCDmlos4sIp8WCqk="));
        assert_eq!(
            sha256.hash_settings.as_ref().and_then(|s| s.salt.as_deref()),
            Some(SALT_B64)
        );
    }

    #[test]
    fn bcrypt_compounds_verify_including_2y_and_2x() {
        assert_verifies(
            &compound("$2b$10$abcdefghijklmnopqrstuufV5R6AIRuiwehOrEgoAS3hGfIJuM.qW"),
            PASSWORD,
        );
        assert_eq!(
            verify(
                &compound("$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K"),
                "hello"
            ),
            Ok(true)
        );
        // $2y$ is the same algorithm (PHP's name for the fixed one).
        assert_eq!(
            verify(
                &compound("$2y$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K"),
                "hello"
            ),
            Ok(true)
        );
        // Openwall's $2x$ vector: "ё" hashed with the sign-extension bug.
        assert_eq!(
            verify(
                &compound("$2x$05$6bNw2HLQYeqHYyBfLMsv/OiwqTymGIGzFsA4hOTWebfehXHNprcAS"),
                "ё"
            ),
            Ok(true)
        );
        // An MCF string in `hash` is read as compound.
        let in_hash = stored(
            "bcrypt",
            "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K",
            |_| {},
        );
        assert_eq!(verify(&in_hash, "hello"), Ok(true));
    }

    #[test]
    fn bcrypt_round_trips_as_compound_and_as_raw_bytes() {
        let made = hash("bcrypt", PASSWORD, &[9; 16], 16).expect("known");
        let mcf = made.compound_hashed_password.clone().expect("compound");
        assert!(mcf.starts_with("$2a$04$"));
        assert_verifies(&made, PASSWORD);
        // The same hash as raw bytes + salt + rounds (inferred form).
        let parsed = Bcrypt::parse(&mcf).expect("valid");
        let raw = stored("bcrypt", &base64_encode(&parsed.hash), |s| {
            s.salt = Some(base64_encode(&[9; 16]));
            s.rounds = Some(16);
        });
        assert_verifies(&raw, PASSWORD);
        let settings = raw.hash_settings.clone().expect("set");
        assert_eq!(hash_with(&settings, PASSWORD, None).expect("known"), raw);
        assert!(hash("bcrypt", PASSWORD, &[9; 16], 1000).is_err());
        assert!(hash("bcrypt", PASSWORD, &[9; 15], 1024).is_err());
    }

    #[test]
    fn md5_crypt_drupal_and_symphony2_match_section_4_6() {
        assert_verifies(&compound("$1$s4ltS4lt$RhanLaQT9dj8ZiZ0aCRG./"), PASSWORD);
        let made = hash("md5_crypt", PASSWORD, b"s4ltS4lt", 1).expect("known");
        assert_eq!(
            made.compound_hashed_password.as_deref(),
            Some("$1$s4ltS4lt$RhanLaQT9dj8ZiZ0aCRG./")
        );
        // hashcat's Drupal 7 example ("hashcat").
        assert_eq!(
            verify(
                &compound("$S$C33783772bRXEx1aCsvY.dqgaaSu76XmVlKrW9Qu8IQlvxHlmzLf"),
                "hashcat"
            ),
            Ok(true)
        );
        assert_verifies(&hash("drupal", PASSWORD, b"s4ltS4lt", 128).expect("known"), PASSWORD);
        for (rounds, hash_value) in [
            (
                1,
                "h8tB9TyILVj6JbVPOlLznUrmjK/PRaG+zCqKrdI7FG2girObqBPVhrF6+WuED5BQ1k3Zf+PlzpD9PRPdcjk2Fw==",
            ),
            (
                5000,
                "s6KOiSwJ6OlUtpnSpK0Nzt48kaAVvw94nEDJPWwQIJh2aGSlGI1k7vg7JrpAu/lWWW7a97A4/HnopPhXQT9dDQ==",
            ),
        ] {
            let symfony = stored("symphony2", hash_value, |s| {
                s.salt = Some("s4lt".into());
                s.rounds = Some(rounds);
            });
            assert_verifies(&symfony, PASSWORD);
            assert_eq!(hash("symphony2", PASSWORD, b"s4lt", rounds).expect("known"), symfony);
        }
    }

    #[test]
    fn hash_round_trips_every_supported_algorithm() {
        for (algorithm, salt, rounds) in [
            ("md5", &b""[..], 1),
            ("sha1", b"\x00\xffsalt", 2),
            ("sha256", b"s4lt", 1),
            ("sha512", b"s4lt", 3),
            ("SHA256", b"", 0),
            ("sha1_hashbytes", b"", 1),
            ("pbkdf2", b"0123456789abcdef", 3000),
            ("pbkdf2_sha1", b"", 10),
            ("pbkdf2_sha256", b"s4lt", 10),
            ("pbkdf2_sha512", b"s4lt", 10),
            ("symphony2", b"s4lt", 10),
            ("symphony2", b"", 1),
            ("bcrypt", &[0x55; 16], 16),
            ("md5_crypt", b"s4lt", 1),
            ("md5_crypt", b"", 1),
            ("drupal", b"s4ltS4lt", 256),
        ] {
            let made = hash(algorithm, "pässwörd€", salt, rounds).expect(algorithm);
            assert_eq!(verify(&made, "pässwörd€"), Ok(true), "{algorithm}: {made:?}");
            assert_eq!(verify(&made, "passwörd€"), Ok(false), "{algorithm}: {made:?}");
            // What the mocks store survives their JSON.
            let json = serde_json::to_string(&made).expect("serializes");
            assert_eq!(
                serde_json::from_str::<GigyaPassword>(&json).expect("parses"),
                made,
                "{json}"
            );
        }
        assert!(hash("symphony2", PASSWORD, b"{x}", 1).is_err());
        assert!(hash("symphony2", PASSWORD, b"\xff", 1).is_err());
        assert!(hash("md5_crypt", PASSWORD, b"toolongsalt", 1).is_err());
        assert!(hash("drupal", PASSWORD, b"short", 1).is_err());
        assert!(hash("drupal", PASSWORD, b"s4ltS4lt", 100).is_err());
        assert!(hash("sha1_hashbytes", PASSWORD, b"s4lt", 1).is_err());
    }

    #[test]
    fn unconfirmed_algorithms_are_unsupported() {
        for algorithm in ["sha512Hexa", "md5_double_salted", "sap_abap", "custom", "whirlpool"] {
            let stored = stored(algorithm, "nJwsDZ8PFmjsJ94Rsm8wMg==", |s| s.salt = Some("s4lt".into()));
            assert!(
                matches!(verify(&stored, PASSWORD), Err(HashError::Unsupported(_))),
                "{algorithm}"
            );
            assert!(
                matches!(hash(algorithm, PASSWORD, b"s4lt", 1), Err(HashError::Unsupported(_))),
                "{algorithm}"
            );
        }
        let remote = stored("sha1", "9KaZc+ewv50WD59g48Os0klL6w0=", |s| {
            s.url = Some("https://hash.example".into())
        });
        assert!(matches!(verify(&remote, PASSWORD), Err(HashError::Unsupported(_))));
        let bare_salt = stored("sha1", "9KaZc+ewv50WD59g48Os0klL6w0=", |s| s.salt = Some("s4lt".into()));
        assert!(matches!(verify(&bare_salt, PASSWORD), Err(HashError::Unsupported(_))));
        let templated_pbkdf2 = stored("pbkdf2", "CgdL/YjUm2ce11aBJrnM9A==", |s| {
            s.format = Some("$password".into())
        });
        assert!(matches!(
            verify(&templated_pbkdf2, PASSWORD),
            Err(HashError::Unsupported(_))
        ));
        assert!(matches!(
            verify(&compound("$6$salt$hash"), PASSWORD),
            Err(HashError::Unsupported(_))
        ));
    }

    #[test]
    fn empty_password_object_never_matches() {
        let empty = GigyaPassword {
            hash: None,
            hash_settings: None,
            compound_hashed_password: None,
        };
        assert_eq!(verify(&empty, PASSWORD), Ok(false));
        assert_eq!(serde_json::to_string(&empty).expect("serializes"), "{}");
    }

    #[test]
    fn reads_and_writes_gigyas_json_shape() {
        let json = r#"{"hash":"YG8PL6PwxlH0+KbUb4vG3w==","hashSettings":{"algorithm":"pbkdf2","rounds":5000,"salt":"iIj9T09VwfcvLv/0D7rFkA=="},"created":"2020-01-01T00:00:00Z"}"#;
        let parsed: GigyaPassword = serde_json::from_str(json).expect("export shape");
        assert_eq!(parsed.hash_settings.as_ref().map(|s| s.rounds), Some(Some(5000)));
        let written = serde_json::to_string(&hash("sha1", PASSWORD, b"", 1).expect("known")).expect("serializes");
        assert_eq!(
            written,
            r#"{"hash":"9KaZc+ewv50WD59g48Os0klL6w0=","hashSettings":{"algorithm":"sha1","rounds":1}}"#
        );
    }

    #[test]
    fn malformed_values_are_errors_not_panics() {
        let garbage = [
            "", "$", "$$$", "é", "%%%", "$2a$", "$1$", "$S$", "U$", "$2y$99$x", "\0", "AAAA$",
        ];
        for text in garbage {
            for algorithm in [
                "md5",
                "sha1_hashbytes",
                "pbkdf2",
                "bcrypt",
                "symphony2",
                "drupal",
                "",
                "SHA256",
            ] {
                let _ = verify(&stored(algorithm, text, |s| s.salt = Some(text.into())), PASSWORD);
                let _ = verify(
                    &stored(algorithm, "AAAA", |s| s.binary_format = Some(text.into())),
                    PASSWORD,
                );
                let _ = verify(&stored(algorithm, "AAAA", |s| s.format = Some(text.into())), PASSWORD);
                let _ = hash(algorithm, text, text.as_bytes(), 3);
            }
            let _ = verify(&compound(text), PASSWORD);
        }
        for (settings, why) in [
            (stored("sha1", "not base64!", |_| {}), "hash"),
            (
                stored("sha1", "AAAA", |s| s.format = Some("$salt".into())),
                "no $password",
            ),
            (
                stored("sha1", "AAAA", |s| s.format = Some("$password$salt".into())),
                "no salt",
            ),
            (
                stored("sha1", "AAAA", |s| s.binary_format = Some("x$password".into())),
                "text outside",
            ),
            (
                stored("sha1", "AAAA", |s| s.binary_format = Some("$password:utf7".into())),
                "encoding",
            ),
            (
                stored("sha1", "AAAA", |s| s.binary_format = Some("$0xZZ$password".into())),
                "literal",
            ),
            (
                stored("sha1", "AAAA", |s| s.binary_format = Some("$pepper$password".into())),
                "piece",
            ),
            (
                stored("sha1", "AAAA", |s| {
                    s.format = Some("$password".into());
                    s.binary_format = Some("$password".into());
                }),
                "both",
            ),
            (stored("pbkdf2", "AAAA", |s| s.salt = Some("!!".into())), "salt"),
            (stored("pbkdf2", "", |_| {}), "empty hash is no password"),
            (stored("bcrypt", "AAAA", |s| s.rounds = Some(1000)), "rounds"),
            (stored("", "AAAA", |_| {}), "algorithm"),
        ] {
            let result = verify(&settings, PASSWORD);
            if why == "empty hash is no password" {
                assert_eq!(result, Ok(false));
            } else {
                assert!(matches!(result, Err(HashError::Malformed(_))), "{why}: {result:?}");
            }
        }
    }
}
