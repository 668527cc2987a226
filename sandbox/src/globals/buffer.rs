//! Node's `Buffer`, as far as migration scripts use it.
//!
//! `buffer.js` defines `Buffer` as a `Uint8Array` subclass with Node's constructor functions
//! and methods; the byte-level encodings that are simpler in Rust live here: UTF-8 (with
//! lone surrogates already replaced by U+FFFD on the JavaScript side, as Node does), base64 and
//! base64url (Node's lenient decoder: both alphabets, unknown characters skipped, stops at the
//! first `=`) and hex (stops at the first invalid pair). Bytes travel from JavaScript to Rust
//! as "binary" strings (one char per byte) and back as `ArrayBuffer`s.

use base64::Engine as _;
use rquickjs::{ArrayBuffer, Ctx, Exception, Function, Object};

use crate::host::Host;

/// JavaScript half of `Buffer`.
pub(crate) const JS: &str = include_str!("buffer.js");

/// Adds `bufEncode(string, encoding)` and `bufDecode(binaryString, encoding)`.
pub(crate) fn register<'js>(ctx: &Ctx<'js>, native: &Object<'js>, _host: &Host) -> rquickjs::Result<()> {
    native.set(
        "bufEncode",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, text: String, encoding: String| -> rquickjs::Result<ArrayBuffer<'js>> {
                match encode(&text, &encoding) {
                    Some(bytes) => ArrayBuffer::new(ctx, bytes),
                    None => Err(Exception::throw_type(&ctx, &format!("Unknown encoding: {encoding}"))),
                }
            },
        )?,
    )?;
    native.set(
        "bufDecode",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, binary: String, encoding: String| -> rquickjs::Result<String> {
                let bytes = binary_to_bytes(&binary);
                decode(&bytes, &encoding)
                    .ok_or_else(|| Exception::throw_type(&ctx, &format!("Unknown encoding: {encoding}")))
            },
        )?,
    )?;
    Ok(())
}

/// Bytes of a "binary" string (one char per byte, as `String.fromCharCode` builds it).
pub(crate) fn binary_to_bytes(binary: &str) -> Vec<u8> {
    binary.chars().map(|c| (u32::from(c) & 0xff) as u8).collect()
}

/// Encodes `text` into bytes; `None` for encodings handled in JavaScript or unknown.
pub(crate) fn encode(text: &str, encoding: &str) -> Option<Vec<u8>> {
    match encoding {
        "utf8" => Some(text.as_bytes().to_vec()),
        "base64" | "base64url" => Some(base64_decode_lenient(text)),
        "hex" => Some(hex_decode_lenient(text)),
        _ => None,
    }
}

/// Decodes bytes into a string; `None` for encodings handled in JavaScript or unknown.
pub(crate) fn decode(bytes: &[u8], encoding: &str) -> Option<String> {
    match encoding {
        "utf8" => Some(String::from_utf8_lossy(bytes).into_owned()),
        "base64" => Some(base64::engine::general_purpose::STANDARD.encode(bytes)),
        "base64url" => Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)),
        "hex" => {
            let mut out = String::with_capacity(bytes.len() * 2);
            for b in bytes {
                out.push_str(&format!("{b:02x}"));
            }
            Some(out)
        }
        _ => None,
    }
}

/// Node's base64 decoder: accepts both alphabets, skips other characters, stops at `=`.
fn base64_decode_lenient(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for c in text.chars() {
        let v = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '+' | '-' => 62,
            '/' | '_' => 63,
            '=' => break,
            _ => continue,
        };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    out
}

/// Node's hex decoder: pairs of hex digits, stopping at the first invalid pair.
fn hex_decode_lenient(text: &str) -> Vec<u8> {
    let digits: Vec<char> = text.chars().collect();
    let mut out = Vec::with_capacity(digits.len() / 2);
    for pair in digits.chunks_exact(2) {
        match (pair[0].to_digit(16), pair[1].to_digit(16)) {
            (Some(hi), Some(lo)) => out.push((hi * 16 + lo) as u8),
            _ => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        decode(bytes, "hex").unwrap_or_default()
    }

    // Expected values computed with Node 20 (`Buffer.from(s, enc).toString('hex')`).
    #[test]
    fn base64_decoding_is_as_lenient_as_node() {
        assert_eq!(hex(&base64_decode_lenient("aGVsbG8=")), "68656c6c6f");
        assert_eq!(hex(&base64_decode_lenient("aGVsbG8")), "68656c6c6f");
        assert_eq!(hex(&base64_decode_lenient("aGV sbG8=\n")), "68656c6c6f");
        assert_eq!(hex(&base64_decode_lenient("aGVsbG8=d29ybGQ=")), "68656c6c6f");
        assert_eq!(hex(&base64_decode_lenient("aGVs*bG8")), "68656c6c6f");
        assert_eq!(hex(&base64_decode_lenient("_-8")), "ffef");
        assert_eq!(hex(&base64_decode_lenient("+/8=")), "fbff");
        assert_eq!(hex(&base64_decode_lenient("a")), "");
        assert_eq!(hex(&base64_decode_lenient("ab")), "69");
        assert_eq!(hex(&base64_decode_lenient("abc")), "69b7");
        assert_eq!(hex(&base64_decode_lenient("abcde")), "69b71d");
        assert_eq!(hex(&base64_decode_lenient("=abc")), "");
        assert_eq!(hex(&base64_decode_lenient("ab=c")), "69");
    }

    #[test]
    fn hex_decoding_stops_at_the_first_bad_pair() {
        assert_eq!(hex(&hex_decode_lenient("abz1")), "ab");
        assert_eq!(hex(&hex_decode_lenient("abc")), "ab");
        assert_eq!(hex(&hex_decode_lenient("zz")), "");
        assert_eq!(hex(&hex_decode_lenient("AB")), "ab");
    }

    #[test]
    fn encodings_match_node() {
        let bytes = encode("jörg:pässwörd", "utf8").unwrap_or_default();
        assert_eq!(hex(&bytes), "6ac3b672673a70c3a4737377c3b67264");
        assert_eq!(decode(&bytes, "base64").as_deref(), Some("asO2cmc6cMOkc3N3w7ZyZA=="));
        assert_eq!(decode(&[0xfe, 0xff, 0xfb], "base64").as_deref(), Some("/v/7"));
        assert_eq!(decode(&[0xfe, 0xff, 0xfb], "base64url").as_deref(), Some("_v_7"));
        assert_eq!(decode(&[0xe9, 0x41], "utf8").as_deref(), Some("\u{fffd}A"));
        assert_eq!(decode(&[0xf0, 0x9f, 0x98], "utf8").as_deref(), Some("\u{fffd}"));
        assert_eq!(binary_to_bytes("\u{e9}\u{ff}A"), vec![0xe9, 0xff, 0x41]);
        assert_eq!(encode("x", "latin1"), None);
    }
}
