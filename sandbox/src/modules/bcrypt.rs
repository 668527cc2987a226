//! `require('bcrypt')` and `require('bcryptjs')`: Rust half, on the `bcrypt` crate.
//!
//! `bcrypt.js` reproduces the JavaScript layer of node's `bcrypt` 5 (argument checks, error
//! messages, callbacks and promises) and of `bcryptjs` 2.4; the hashing is done here, with the
//! rules of node's native binding so the results are identical: a salt is
//! `$2a$`/`$2b$`, two cost digits from 04 to 31 and at least 22 characters of bcrypt base64
//! (anything longer, e.g. a whole hash, is cut to 22), the password is hashed up to its first
//! NUL character and its first 72 bytes, and the result keeps the salt's version. An invalid
//! salt makes `hashSync` throw and `compareSync` return false, as in node. `bcryptjs` also
//! accepts `$2y$` (PHP) salts and hashes.
//!
//! Hashing blocks the call's thread as it blocks Node's. A cost whose estimated time exceeds
//! what is left of the time limit is not attempted: the call ends as timed out at once, with a
//! console warning saying why (Auth0 would time out after the full limit).

use std::sync::OnceLock;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::alphabet::BCRYPT;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use rquickjs::{Ctx, Exception, Function, Object};

use crate::host::Host;

/// JavaScript half of `bcrypt` and `bcryptjs`.
pub(crate) const JS: &str = include_str!("bcrypt.js");

/// bcrypt's base64 (`./A-Za-z0-9`), without padding; the last salt character carries four
/// unused bits.
const BCRYPT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &BCRYPT,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// Which library's rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    /// node's `bcrypt` (native binding): `$2a$` and `$2b$` only, password cut at NUL.
    Node,
    /// `bcryptjs`: also `$2y$`, NUL characters kept.
    Js,
}

impl Flavor {
    fn from_name(name: &str) -> Self {
        if name == "bcryptjs" { Flavor::Js } else { Flavor::Node }
    }
}

/// A parsed salt (or hash used as salt).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Salt {
    minor: char,
    cost: u32,
    bytes: [u8; 16],
}

/// Parses `$2<minor>$<cost>$<22 chars>...` with the rules of node's `ValidateSalt`.
fn parse_salt(salt: &str, flavor: Flavor) -> Option<Salt> {
    let bytes = salt.as_bytes();
    if bytes.len() < 7 + 22 || bytes[0] != b'$' || bytes[1] != b'2' || bytes[3] != b'$' || bytes[6] != b'$' {
        return None;
    }
    let minor = char::from(bytes[2]);
    let minor_ok = match flavor {
        Flavor::Node => matches!(minor, 'a' | 'b'),
        Flavor::Js => matches!(minor, 'a' | 'b' | 'y'),
    };
    if !minor_ok || !bytes[4].is_ascii_digit() || !bytes[5].is_ascii_digit() {
        return None;
    }
    let cost = u32::from(bytes[4] - b'0') * 10 + u32::from(bytes[5] - b'0');
    if !(4..=31).contains(&cost) {
        return None;
    }
    let encoded = salt.get(7..29)?;
    let decoded = BCRYPT_BASE64.decode(encoded).ok()?;
    let bytes: [u8; 16] = decoded.try_into().ok()?;
    Some(Salt { minor, cost, bytes })
}

/// `$2<minor>$<cost>$` and 22 characters from 16 random bytes; the cost clamped to 4..=31 as
/// node's `bcrypt_gensalt` does.
fn gen_salt(minor: char, rounds: f64) -> String {
    let cost = if rounds.is_nan() {
        10
    } else {
        rounds.clamp(4.0, 31.0) as u32
    };
    let mut random = [0u8; 16];
    rand::fill(&mut random);
    format!("$2{minor}${cost:02}${}", BCRYPT_BASE64.encode(random))
}

/// The password bytes node's binding hashes: up to the first NUL for `bcrypt` (a C string).
fn password_bytes(data: &str, binary: bool, flavor: Flavor) -> Vec<u8> {
    let mut bytes = if binary {
        crate::globals::buffer::binary_to_bytes(data)
    } else {
        data.as_bytes().to_vec()
    };
    if flavor == Flavor::Node
        && let Some(nul) = bytes.iter().position(|b| *b == 0)
    {
        bytes.truncate(nul);
    }
    bytes
}

/// The hash of `password` with `salt`, in the salt's version.
fn hash_with(password: &[u8], salt: &Salt) -> Option<String> {
    let version = match salt.minor {
        'a' => bcrypt::Version::TwoA,
        'y' => bcrypt::Version::TwoY,
        _ => bcrypt::Version::TwoB,
    };
    let parts = bcrypt::hash_with_salt(password, salt.cost, salt.bytes).ok()?;
    Some(parts.format_for_version(version))
}

/// Time of one cost-6 hash on this machine (measured once): the unit of the estimates.
fn cost6() -> Duration {
    static COST6: OnceLock<Duration> = OnceLock::new();
    *COST6.get_or_init(|| {
        let started = Instant::now();
        let _ = bcrypt::hash_with_salt(b"calibration", 6, [0; 16]);
        started.elapsed()
    })
}

/// Whether a hash of `cost` can finish before the call's deadline; when it cannot, the call
/// is ended now as timed out, with a warning.
fn affordable(host: &Host, cost: u32) -> bool {
    if cost <= 12 {
        return true;
    }
    let estimate = cost6().saturating_mul(1 << (cost - 6).min(25));
    let left = host.services.deadline.saturating_duration_since(Instant::now());
    if estimate <= left {
        return true;
    }
    host.state.borrow_mut().warn(format!(
        "[sandbox] bcrypt cost {cost} would take about {} s here, more than the {} s left: the call ends as timed out",
        estimate.as_secs(),
        left.as_secs()
    ));
    host.services.cancel.store(true, Ordering::Relaxed);
    false
}

/// The error thrown when a hash was not attempted (the call is over anyway).
fn abandoned<'js>(ctx: &Ctx<'js>) -> rquickjs::Error {
    Exception::throw_internal(ctx, "interrupted")
}

/// Adds `bcryptGenSalt`, `bcryptHash`, `bcryptCompare` and `bcryptRounds`.
pub(crate) fn register<'js>(ctx: &Ctx<'js>, native: &Object<'js>, host: &Host) -> rquickjs::Result<()> {
    native.set(
        "bcryptGenSalt",
        Function::new(ctx.clone(), |minor: String, rounds: f64| {
            gen_salt(minor.chars().next().unwrap_or('b'), rounds)
        })?,
    )?;
    let h = host.clone();
    native.set(
        "bcryptHash",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  data: String,
                  binary: bool,
                  salt: String,
                  flavor: String|
                  -> rquickjs::Result<Option<String>> {
                let flavor = Flavor::from_name(&flavor);
                let Some(salt) = parse_salt(&salt, flavor) else {
                    return Ok(None);
                };
                if !affordable(&h, salt.cost) {
                    return Err(abandoned(&ctx));
                }
                Ok(hash_with(&password_bytes(&data, binary, flavor), &salt))
            },
        )?,
    )?;
    let h = host.clone();
    native.set(
        "bcryptCompare",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, data: String, binary: bool, hash: String, flavor: String| -> rquickjs::Result<bool> {
                let flavor = Flavor::from_name(&flavor);
                if flavor == Flavor::Js && hash.len() != 60 {
                    return Ok(false);
                }
                let Some(salt) = parse_salt(&hash, flavor) else {
                    return Ok(false);
                };
                if !affordable(&h, salt.cost) {
                    return Err(abandoned(&ctx));
                }
                Ok(hash_with(&password_bytes(&data, binary, flavor), &salt).is_some_and(|computed| computed == hash))
            },
        )?,
    )?;
    native.set(
        "bcryptRounds",
        Function::new(ctx.clone(), |hash: String| -> Option<f64> {
            // node's bcrypt_get_rounds: "$2", an optional minor, "$", then the cost digits
            let rest = hash.strip_prefix("$2")?;
            let rest = rest.strip_prefix(['a', 'b', 'y']).unwrap_or(rest);
            let digits: String = rest
                .strip_prefix('$')?
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse::<u32>().ok().filter(|c| *c > 0).map(f64::from)
        })?,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALT_B: &str = "$2b$04$abcdefghijklmnopqrstuu";

    fn node_hash(password: &str, salt: &str) -> Option<String> {
        let salt = parse_salt(salt, Flavor::Node)?;
        hash_with(&password_bytes(password, false, Flavor::Node), &salt)
    }

    #[test]
    fn hashes_keep_the_salt_version_and_match_reference_vectors() {
        // from OpenBSD's (and node bcrypt's) test vectors
        let salt = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.";
        assert_eq!(
            node_hash("U*U", salt).as_deref(),
            Some("$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW")
        );
        let b = node_hash("secret", SALT_B).unwrap_or_default();
        assert!(b.starts_with("$2b$04$abcdefghijklmnopqrstuu"), "{b}");
        assert_eq!(b.len(), 60);
        // a whole hash works as a salt, and reproduces itself
        assert_eq!(node_hash("secret", &b).as_deref(), Some(b.as_str()));
    }

    #[test]
    fn salts_are_checked_like_node() {
        assert!(parse_salt(SALT_B, Flavor::Node).is_some());
        assert!(parse_salt("$2y$04$abcdefghijklmnopqrstuu", Flavor::Node).is_none());
        assert!(parse_salt("$2y$04$abcdefghijklmnopqrstuu", Flavor::Js).is_some());
        assert!(parse_salt("$2b$03$abcdefghijklmnopqrstuu", Flavor::Node).is_none());
        assert!(parse_salt("$2b$32$abcdefghijklmnopqrstuu", Flavor::Node).is_none());
        assert!(parse_salt("$2b$04$abcdefghijklmnopqrstu", Flavor::Node).is_none());
        assert!(parse_salt("$2b$4$abcdefghijklmnopqrstuuv", Flavor::Node).is_none());
        assert!(parse_salt("nonsense", Flavor::Node).is_none());
    }

    #[test]
    fn passwords_stop_at_nul_for_node_and_at_72_bytes() {
        assert_eq!(node_hash("abc\u{0}def", SALT_B), node_hash("abc", SALT_B));
        let long = "x".repeat(72);
        assert_eq!(node_hash(&format!("{long}tail"), SALT_B), node_hash(&long, SALT_B));
    }

    #[test]
    fn generated_salts_are_valid_and_clamped() {
        let salt = gen_salt('b', 10.0);
        assert!(salt.starts_with("$2b$10$") && salt.len() == 29, "{salt}");
        assert!(parse_salt(&salt, Flavor::Node).is_some());
        assert!(gen_salt('a', 2.0).starts_with("$2a$04$"));
        assert!(gen_salt('b', 99.0).starts_with("$2b$31$"));
    }
}
