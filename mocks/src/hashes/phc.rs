//! PHC string format (`$id[$v=N][$name=value,…][$salt[$hash]]`, github.com/P-H-C/phc-string-format),
//! as Auth0 reads it for `argon2` and `pbkdf2` values. Parsing follows the spec's grammar: the id
//! and parameter names are `[a-z0-9-]`; a segment is the parameter list when every comma-separated
//! piece is `name=value`. Auth0's PBKDF2 digest names include upper-case aliases (`RSA-SHA1`), so
//! the id is matched case-insensitively by the caller and accepted here in either case [inferred].

use super::{HashError, malformed};

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Phc<'a> {
    pub(crate) id: &'a str,
    pub(crate) version: Option<&'a str>,
    pub(crate) params: Vec<(&'a str, &'a str)>,
    pub(crate) salt: Option<&'a str>,
    pub(crate) hash: Option<&'a str>,
}

impl<'a> Phc<'a> {
    pub(crate) fn parse(text: &'a str) -> Result<Self, HashError> {
        let mut segments = text.split('$');
        if segments.next() != Some("") {
            return Err(malformed("a PHC string starts with '$'"));
        }
        let id = segments.next().unwrap_or_default();
        if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(malformed(format!("bad PHC identifier {id:?}")));
        }
        let mut rest: Vec<&str> = segments.collect();
        let mut version = None;
        if let Some(first) = rest.first()
            && let Some(number) = first.strip_prefix("v=")
        {
            if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed(format!("bad PHC version {first:?}")));
            }
            version = Some(number);
            rest.remove(0);
        }
        let mut params = Vec::new();
        if let Some(first) = rest.first()
            && let Some(parsed) = parse_params(first)
        {
            params = parsed;
            rest.remove(0);
        }
        let (salt, hash) = match rest.as_slice() {
            [] => (None, None),
            [salt] => (Some(*salt), None),
            [salt, hash] => (Some(*salt), Some(*hash)),
            _ => return Err(malformed("too many '$' segments in the PHC string")),
        };
        for (what, value) in [("salt", salt), ("hash", hash)] {
            if let Some(value) = value
                && !value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+/=-_".contains(&b))
            {
                return Err(malformed(format!("the PHC {what} is not Base64")));
            }
        }
        Ok(Phc {
            id,
            version,
            params,
            salt,
            hash,
        })
    }

    /// A parameter as a decimal `u32` (`None` if absent).
    pub(crate) fn number(&self, name: &str) -> Result<Option<u32>, HashError> {
        let Some((_, value)) = self.params.iter().find(|(key, _)| *key == name) else {
            return Ok(None);
        };
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed(format!(
                "PHC parameter {name}={value} is not a decimal number"
            )));
        }
        value
            .parse()
            .map(Some)
            .map_err(|_| malformed(format!("PHC parameter {name}={value} is too large")))
    }

    pub(crate) fn param(&self, name: &str) -> Option<&'a str> {
        self.params
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| *value)
    }
}

fn parse_params(segment: &str) -> Option<Vec<(&str, &str)>> {
    segment
        .split(',')
        .map(|piece| {
            let (name, value) = piece.split_once('=')?;
            let name_ok = !name.is_empty()
                && name.len() <= 32
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            let value_ok = !value.is_empty()
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/+.-=".contains(&b));
            (name_ok && value_ok).then_some((name, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_segments() {
        let phc = Phc::parse("$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaA").expect("valid");
        assert_eq!(phc.id, "argon2id");
        assert_eq!(phc.version, Some("19"));
        assert_eq!(phc.params, vec![("m", "65536"), ("t", "2"), ("p", "1")]);
        assert_eq!(phc.salt, Some("c2FsdHNhbHQ"));
        assert_eq!(phc.hash, Some("aGFzaA"));
        assert_eq!(phc.number("m"), Ok(Some(65536)));
        assert_eq!(phc.number("x"), Ok(None));
    }

    #[test]
    fn params_and_version_are_optional() {
        let phc = Phc::parse("$pbkdf2-sha256$AQID$BAUG").expect("valid");
        assert_eq!(
            (phc.version, phc.params.len(), phc.salt, phc.hash),
            (None, 0, Some("AQID"), Some("BAUG"))
        );
        // A padded salt is not mistaken for parameters.
        let phc = Phc::parse("$pbkdf2-sha1$AQ==$BAUG").expect("valid");
        assert_eq!(phc.salt, Some("AQ=="));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "pbkdf2$x",
            "$",
            "$$",
            "$a b$",
            "$x$v=$a",
            "$x$a$b$c",
            "$x$s@lt$h",
            "$x$i=1$a$b$c",
        ] {
            assert!(Phc::parse(bad).is_err(), "{bad:?}");
        }
        let phc = Phc::parse("$x$i=99999999999$a$b").expect("parses");
        assert!(phc.number("i").is_err());
    }
}
