//! Text ↔ bytes conversions the hash formats need: Base64 (read leniently: standard or URL-safe
//! alphabet, padding optional, as Node's and .NET's decoders accept what exports contain), hex,
//! and the password transcodings of Node's `Buffer.from(string, encoding)` that Auth0's verifier
//! applies (`password.encoding`), plus UTF-16LE/UTF-32LE for Gigya's `binaryFormat`.
//!
//! Documented (Node's `buffer` docs, checked with Node 20 here): `latin1`/`binary` keep the low
//! byte of each UTF-16 code unit; `ascii` does the same when *encoding* a string (Node documents it
//! as equivalent to `latin1` in that direction — it does not strip the high bit); `utf16le`/`ucs2`
//! write each code unit little-endian. Decoding is strict on alphabet characters (no whitespace or
//! stray symbols), unlike Node, so that malformed stored values are reported rather than guessed.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::RequireNone)
    .with_decode_allow_trailing_bits(true);
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const BCRYPT_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::BCRYPT, LENIENT);
const BCRYPT_NO_PAD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::BCRYPT,
    GeneralPurposeConfig::new().with_encode_padding(false),
);

/// Base64 in the standard or URL-safe alphabet, with or without `=` padding.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let body = text.trim_end_matches('=');
    if text.len() - body.len() > 2 {
        return None;
    }
    let body: String = body
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    STANDARD_LENIENT.decode(body).ok()
}

/// Standard Base64 with padding.
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Standard Base64 without padding (PHC strings).
pub(crate) fn base64_encode_unpadded(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
}

/// bcrypt's Base64 (`./A-Za-z0-9`, no padding); extra low bits of the last character are ignored
/// as bcrypt implementations do.
pub(crate) fn bcrypt_b64_decode(text: &str) -> Option<Vec<u8>> {
    BCRYPT_LENIENT.decode(text).ok()
}

pub(crate) fn bcrypt_b64_encode(bytes: &[u8]) -> String {
    BCRYPT_NO_PAD.encode(bytes)
}

/// Hex, either case; an odd length or a non-hex character is an error.
pub(crate) fn hex_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks(2)
        .map(|pair| {
            let high = (pair[0] as char).to_digit(16)?;
            let low = (pair[1] as char).to_digit(16)?;
            u8::try_from(high * 16 + low).ok()
        })
        .collect()
}

/// Lower-case hex.
pub(crate) fn hex_encode(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

pub(crate) fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

pub(crate) fn utf32le(text: &str) -> Vec<u8> {
    text.chars().flat_map(|c| u32::from(c).to_le_bytes()).collect()
}

/// `Buffer.from(text, encoding)` for the encodings Auth0 accepts in `password.encoding`
/// (`None` for any other name).
pub(crate) fn node_buffer(text: &str, encoding: &str) -> Option<Vec<u8>> {
    match encoding {
        "utf8" => Some(text.as_bytes().to_vec()),
        "utf16le" | "ucs2" => Some(utf16le(text)),
        // Node writes the low byte of each UTF-16 code unit for all three.
        "latin1" | "binary" | "ascii" => Some(text.encode_utf16().map(|unit| unit.to_le_bytes()[0]).collect()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_accepts_both_alphabets_and_optional_padding() {
        assert_eq!(base64_decode("+/8="), Some(vec![0xfb, 0xff]));
        assert_eq!(base64_decode("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(base64_decode(""), Some(vec![]));
        // Gigya's own export example over-pads ("YWJjc29tZXRoaW5n==" = "abcsomething").
        assert_eq!(base64_decode("YWJjc29tZXRoaW5n=="), Some(b"abcsomething".to_vec()));
        assert_eq!(base64_decode("YWJj==="), None);
        assert_eq!(base64_decode("Y"), None);
        assert_eq!(base64_decode("YW J j"), None);
        assert_eq!(base64_decode("é"), None);
    }

    #[test]
    fn hex_is_case_insensitive_and_strict() {
        assert_eq!(hex_decode("0aFf"), Some(vec![0x0a, 0xff]));
        assert_eq!(hex_decode("0aF"), None);
        assert_eq!(hex_decode("zz"), None);
        assert_eq!(hex_decode("éé"), None);
        assert_eq!(hex_encode(&[0x0a, 0xff]), "0aff");
    }

    #[test]
    fn node_buffer_transcodes_like_node_20() {
        // node -e "console.log(Buffer.from('é€\u00ff', enc))" for each encoding
        assert_eq!(node_buffer("é€ÿ", "ascii"), Some(vec![0xe9, 0xac, 0xff]));
        assert_eq!(node_buffer("é€", "latin1"), Some(vec![0xe9, 0xac]));
        assert_eq!(node_buffer("é€", "binary"), Some(vec![0xe9, 0xac]));
        assert_eq!(node_buffer("é€", "ucs2"), Some(vec![0xe9, 0x00, 0xac, 0x20]));
        assert_eq!(node_buffer("é€", "utf16le"), Some(vec![0xe9, 0x00, 0xac, 0x20]));
        assert_eq!(node_buffer("é", "utf8"), Some(vec![0xc3, 0xa9]));
        // A character outside the BMP is two code units.
        assert_eq!(node_buffer("😀", "latin1"), Some(vec![0x3d, 0x00]));
        assert_eq!(node_buffer("x", "utf-8"), None);
    }
}
