//! `require('crypto')` (and the legacy `crypto` global): Rust half.
//!
//! `crypto.js` keeps Node's API (hash and HMAC objects, argument checks, error codes); the
//! digests, HMACs, PBKDF2 and random bytes are computed here with the RustCrypto crates. Bytes
//! cross as "binary" strings one way and `ArrayBuffer`s the other, as for `Buffer`. PBKDF2
//! polls the call's deadline between iterations, so a huge iteration count ends with the time
//! limit instead of holding the thread; outputs larger than the memory limit are refused as
//! out of memory (they would be allocated outside the engine's accounting otherwise).

use hmac::{EagerHash, Hmac, KeyInit, Mac};
use rquickjs::{ArrayBuffer, Ctx, Exception, Function, Object};
use sha2::Digest;

use crate::globals::buffer::binary_to_bytes;
use crate::host::Host;

/// JavaScript half of `crypto`.
pub(crate) const JS: &str = include_str!("crypto.js");

/// The digests offered, by their canonical Node names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Algorithm {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    /// An algorithm as OpenSSL (and so Node) names it, case-insensitively: `sha256`,
    /// `SHA-256`, `sha2-256`, `RSA-SHA256`, ...
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        let bare = lower.strip_prefix("rsa-").unwrap_or(&lower);
        let bare = bare.strip_suffix("withrsaencryption").unwrap_or(bare);
        let algorithm = match bare.replace("sha2-", "sha").replace("sha-", "sha").as_str() {
            "md5" => Algorithm::Md5,
            "sha1" => Algorithm::Sha1,
            "sha224" => Algorithm::Sha224,
            "sha256" => Algorithm::Sha256,
            "sha384" => Algorithm::Sha384,
            "sha512" => Algorithm::Sha512,
            _ => return None,
        };
        Some(algorithm)
    }

    /// The canonical name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "md5",
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha224 => "sha224",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// The digest of `data`.
    pub(crate) fn digest(self, data: &[u8]) -> Vec<u8> {
        fn run<D: Digest>(data: &[u8]) -> Vec<u8> {
            D::digest(data).to_vec()
        }
        match self {
            Algorithm::Md5 => run::<md5::Md5>(data),
            Algorithm::Sha1 => run::<sha1::Sha1>(data),
            Algorithm::Sha224 => run::<sha2::Sha224>(data),
            Algorithm::Sha256 => run::<sha2::Sha256>(data),
            Algorithm::Sha384 => run::<sha2::Sha384>(data),
            Algorithm::Sha512 => run::<sha2::Sha512>(data),
        }
    }

    /// HMAC of `data` under `key`.
    pub(crate) fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        fn run<D: EagerHash>(key: &[u8], data: &[u8]) -> Vec<u8> {
            // HMAC takes keys of any length; the error arm cannot happen.
            let Ok(mut mac) = <Hmac<D> as KeyInit>::new_from_slice(key) else {
                return Vec::new();
            };
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            Algorithm::Md5 => run::<md5::Md5>(key, data),
            Algorithm::Sha1 => run::<sha1::Sha1>(key, data),
            Algorithm::Sha224 => run::<sha2::Sha224>(key, data),
            Algorithm::Sha256 => run::<sha2::Sha256>(key, data),
            Algorithm::Sha384 => run::<sha2::Sha384>(key, data),
            Algorithm::Sha512 => run::<sha2::Sha512>(key, data),
        }
    }

    /// PBKDF2-HMAC (RFC 8018) of `keylen` bytes; `None` when `stop` said to give up (polled
    /// every 4096 iterations).
    pub(crate) fn pbkdf2(
        self,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
        keylen: usize,
        stop: &dyn Fn() -> bool,
    ) -> Option<Vec<u8>> {
        fn run<D: EagerHash>(
            password: &[u8],
            salt: &[u8],
            iterations: u32,
            keylen: usize,
            stop: &dyn Fn() -> bool,
        ) -> Option<Vec<u8>> {
            let prf = <Hmac<D> as KeyInit>::new_from_slice(password).ok()?;
            let mut out = Vec::with_capacity(keylen);
            let mut block: u32 = 1;
            while out.len() < keylen {
                let mut mac = prf.clone();
                mac.update(salt);
                mac.update(&block.to_be_bytes());
                let mut u = mac.finalize().into_bytes();
                let mut t = u.clone();
                for i in 1..iterations {
                    if i % 4096 == 0 && stop() {
                        return None;
                    }
                    let mut mac = prf.clone();
                    mac.update(&u);
                    u = mac.finalize().into_bytes();
                    for (t, u) in t.iter_mut().zip(u.iter()) {
                        *t ^= u;
                    }
                }
                let take = (keylen - out.len()).min(t.len());
                out.extend_from_slice(&t[..take]);
                block = block.wrapping_add(1);
            }
            Some(out)
        }
        match self {
            Algorithm::Md5 => run::<md5::Md5>(password, salt, iterations, keylen, stop),
            Algorithm::Sha1 => run::<sha1::Sha1>(password, salt, iterations, keylen, stop),
            Algorithm::Sha224 => run::<sha2::Sha224>(password, salt, iterations, keylen, stop),
            Algorithm::Sha256 => run::<sha2::Sha256>(password, salt, iterations, keylen, stop),
            Algorithm::Sha384 => run::<sha2::Sha384>(password, salt, iterations, keylen, stop),
            Algorithm::Sha512 => run::<sha2::Sha512>(password, salt, iterations, keylen, stop),
        }
    }
}

/// An `ArrayBuffer` in the engine's heap (so it counts against the memory limit).
fn buffer<'js>(ctx: &Ctx<'js>, bytes: &[u8]) -> rquickjs::Result<ArrayBuffer<'js>> {
    ArrayBuffer::new_copy(ctx.clone(), bytes)
}

fn algorithm<'js>(ctx: &Ctx<'js>, name: &str) -> rquickjs::Result<Algorithm> {
    Algorithm::from_name(name).ok_or_else(|| Exception::throw_type(ctx, &format!("Invalid digest: {name}")))
}

/// Refuses sizes beyond the memory limit the way QuickJS reports exhaustion.
fn check_size<'js>(ctx: &Ctx<'js>, host: &Host, size: usize) -> rquickjs::Result<()> {
    if size > host.services.budget.limit() {
        return Err(Exception::throw_internal(ctx, "out of memory"));
    }
    Ok(())
}

/// Adds `cryptoAlgorithm`, `cryptoDigest`, `cryptoHmac`, `cryptoPbkdf2` and `cryptoRandom`.
pub(crate) fn register<'js>(ctx: &Ctx<'js>, native: &Object<'js>, host: &Host) -> rquickjs::Result<()> {
    native.set(
        "cryptoAlgorithm",
        Function::new(ctx.clone(), |name: String| {
            Algorithm::from_name(&name).map(Algorithm::name)
        })?,
    )?;
    native.set(
        "cryptoDigest",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, name: String, data: String| -> rquickjs::Result<ArrayBuffer<'js>> {
                let algorithm = algorithm(&ctx, &name)?;
                buffer(&ctx, &algorithm.digest(&binary_to_bytes(&data)))
            },
        )?,
    )?;
    native.set(
        "cryptoHmac",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, name: String, key: String, data: String| -> rquickjs::Result<ArrayBuffer<'js>> {
                let algorithm = algorithm(&ctx, &name)?;
                buffer(&ctx, &algorithm.hmac(&binary_to_bytes(&key), &binary_to_bytes(&data)))
            },
        )?,
    )?;
    let h = host.clone();
    native.set(
        "cryptoPbkdf2",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  name: String,
                  password: String,
                  salt: String,
                  iterations: f64,
                  keylen: f64|
                  -> rquickjs::Result<ArrayBuffer<'js>> {
                let algorithm = algorithm(&ctx, &name)?;
                // crypto.js has checked both are integers in Node's ranges
                let keylen = keylen as usize;
                check_size(&ctx, &h, keylen)?;
                let services = h.services.clone();
                let stop = move || services.should_stop();
                match algorithm.pbkdf2(
                    &binary_to_bytes(&password),
                    &binary_to_bytes(&salt),
                    iterations as u32,
                    keylen,
                    &stop,
                ) {
                    Some(key) => buffer(&ctx, &key),
                    None => Err(Exception::throw_internal(&ctx, "interrupted")),
                }
            },
        )?,
    )?;
    let h = host.clone();
    native.set(
        "cryptoRandom",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, size: f64| -> rquickjs::Result<ArrayBuffer<'js>> {
                let size = size as usize;
                check_size(&ctx, &h, size)?;
                let mut bytes = vec![0u8; size];
                rand::fill(&mut bytes[..]);
                buffer(&ctx, &bytes)
            },
        )?,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn names_follow_openssl() {
        for (name, expected) in [
            ("MD5", Some(Algorithm::Md5)),
            ("sha-1", Some(Algorithm::Sha1)),
            ("SHA256", Some(Algorithm::Sha256)),
            ("sha2-256", Some(Algorithm::Sha256)),
            ("RSA-SHA512", Some(Algorithm::Sha512)),
            ("sha384", Some(Algorithm::Sha384)),
            ("sha3-256", None),
            ("foo", None),
        ] {
            assert_eq!(Algorithm::from_name(name), expected, "{name}");
        }
    }

    // Expected values from Node 20 (`crypto.createHash(...)`, `pbkdf2Sync`) and RFC 6070.
    #[test]
    fn digests_hmacs_and_pbkdf2_match_node() {
        assert_eq!(hex(&Algorithm::Md5.digest(b"a")), "0cc175b9c0f1b6a831c399e269772661");
        assert_eq!(
            hex(&Algorithm::Sha1.hmac(b"key", &[1, 2, 3])),
            "38288acd7379b491aaecdade8b9d677fcea8841a"
        );
        let never = || false;
        assert_eq!(
            Algorithm::Sha256
                .pbkdf2(b"password", b"salt", 4096, 32, &never)
                .map(|k| hex(&k))
                .as_deref(),
            Some("c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a")
        );
        // RFC 6070, a key longer than one block
        assert_eq!(
            Algorithm::Sha1
                .pbkdf2(
                    b"passwordPASSWORDpassword",
                    b"saltSALTsaltSALTsaltSALTsaltSALTsalt",
                    4096,
                    25,
                    &never
                )
                .map(|k| hex(&k))
                .as_deref(),
            Some("3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038")
        );
        assert_eq!(Algorithm::Sha512.pbkdf2(b"p", b"s", 1, 0, &never), Some(Vec::new()));
        let always = || true;
        assert_eq!(Algorithm::Sha1.pbkdf2(b"p", b"s", 100_000, 20, &always), None);
    }
}
