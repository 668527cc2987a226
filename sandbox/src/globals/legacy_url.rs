//! Node's legacy `url.parse` / `url.format`, which the `request` module uses.
//!
//! Only the legacy parser reproduces the behaviour scripts trip over: `https:/example.com/x`
//! (one slash, a trap in Auth0's own Okta script) parses with `host: null`, so `request`
//! rejects it with `Invalid URI "https:/example.com/x"`, whereas a WHATWG parser would quietly
//! fix it up. This is a port of `Url.prototype.parse` from Node 20's `lib/url.js` (without
//! `parseQueryString` / `slashesDenoteHost`, which `request` does not use).

/// Result of the legacy parser; `None` where Node has `null`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LegacyUrl {
    pub(crate) protocol: Option<String>,
    pub(crate) slashes: bool,
    pub(crate) auth: Option<String>,
    pub(crate) host: Option<String>,
    pub(crate) port: Option<String>,
    pub(crate) hostname: Option<String>,
    pub(crate) hash: Option<String>,
    pub(crate) search: Option<String>,
    pub(crate) query: Option<String>,
    pub(crate) pathname: Option<String>,
    pub(crate) path: Option<String>,
    pub(crate) href: String,
}

/// `url.parse` throws `TypeError [ERR_INVALID_URL]: Invalid URL` for some hostnames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidUrl;

fn is_slashed_protocol(p: &str) -> bool {
    matches!(
        p,
        "http"
            | "http:"
            | "https"
            | "https:"
            | "ftp"
            | "ftp:"
            | "gopher"
            | "gopher:"
            | "file"
            | "file:"
            | "ws"
            | "ws:"
            | "wss"
            | "wss:"
    )
}

fn is_hostless_protocol(p: &str) -> bool {
    matches!(p, "javascript" | "javascript:")
}

/// Parses like `require('url').parse(input)`.
pub(crate) fn parse(input: &str) -> Result<LegacyUrl, InvalidUrl> {
    let chars: Vec<char> = input.chars().collect();
    let rest = trim_and_fix_backslashes(&chars);
    let mut url = LegacyUrl::default();
    let has_hash_or_at = {
        // hasHash / hasAt are only tracked before the first '?' or '#'
        let mut has = false;
        for &c in &chars {
            if c == '@' || c == '#' {
                has = true;
                break;
            }
            if c == '?' {
                break;
            }
        }
        has || chars.contains(&'#')
    };

    if !has_hash_or_at && let Some((pathname, search)) = simple_path(&rest) {
        url.path = Some(rest.clone());
        url.href = rest.clone();
        url.pathname = Some(pathname);
        if let Some(search) = search {
            url.query = Some(search[1..].to_owned());
            url.search = Some(search);
        }
        return Ok(url);
    }

    let mut rest = rest;
    let mut lower_proto = String::new();
    let mut proto_raw = String::new();
    let proto_len = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'))
        .count();
    if proto_len > 0 && rest[proto_len..].starts_with(':') {
        proto_raw = rest[..=proto_len].to_owned();
        lower_proto = proto_raw.to_ascii_lowercase();
        url.protocol = Some(lower_proto.clone());
        rest = rest[proto_raw.len()..].to_owned();
    }

    let mut slashes = false;
    if !proto_raw.is_empty() || host_pattern(&rest) {
        slashes = rest.starts_with("//");
        if slashes && (proto_raw.is_empty() || !is_hostless_protocol(&lower_proto)) {
            rest = rest[2..].to_owned();
            url.slashes = true;
        }
    }

    if !is_hostless_protocol(&lower_proto) && (slashes || (!proto_raw.is_empty() && !is_slashed_protocol(&proto_raw))) {
        let rchars: Vec<char> = rest.chars().collect();
        let mut host_end: Option<usize> = None;
        let mut at_sign: Option<usize> = None;
        let mut non_host: Option<usize> = None;
        for (i, &c) in rchars.iter().enumerate() {
            match c {
                '\t' | '\n' | '\r' | ' ' | '"' | '%' | '\'' | ';' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}'
                    if non_host.is_none() =>
                {
                    non_host = Some(i);
                }
                '#' | '/' | '?' => {
                    if non_host.is_none() {
                        non_host = Some(i);
                    }
                    host_end = Some(i);
                }
                '@' => {
                    at_sign = Some(i);
                    non_host = None;
                }
                _ => {}
            }
            if host_end.is_some() {
                break;
            }
        }
        let mut start = 0;
        if let Some(at) = at_sign {
            let raw: String = rchars[..at].iter().collect();
            url.auth = Some(percent_decode(&raw));
            start = at + 1;
        }
        let host: String;
        match non_host {
            None => {
                host = rchars[start..].iter().collect();
                rest = String::new();
            }
            Some(n) => {
                host = rchars[start.min(n)..n].iter().collect();
                rest = rchars[n..].iter().collect();
            }
        }
        // parseHost
        let mut hostname_part = host.clone();
        if let Some(colon) = host.rfind(':') {
            let digits = &host[colon + 1..];
            if digits.chars().all(|c| c.is_ascii_digit()) {
                if !digits.is_empty() {
                    url.port = Some(digits.to_owned());
                }
                hostname_part = host[..colon].to_owned();
            }
        }
        let mut hostname = hostname_part;
        let ipv6 = hostname.starts_with('[') && hostname.ends_with(']');
        if !ipv6 {
            // getHostname: the hostname ends at the first '/', '\\', '#', '?' or ':'
            if let Some(i) = hostname.find(['/', '\\', '#', '?', ':']) {
                rest = format!("/{}{}", &hostname[i..], rest);
                hostname.truncate(i);
            }
        }
        hostname = if hostname.len() > 255 {
            String::new()
        } else {
            hostname.to_lowercase()
        };
        if !hostname.is_empty() {
            if ipv6 {
                if hostname.chars().any(|c| "\0\t\n\r #%/<>?@\\^|".contains(c)) {
                    return Err(InvalidUrl);
                }
            } else {
                hostname = to_ascii(&hostname);
                if hostname.chars().any(|c| "\0\t\n\r #%/:<>?@[\\]^|".contains(c)) {
                    return Err(InvalidUrl);
                }
            }
        }
        let port = url.port.as_ref().map(|p| format!(":{p}")).unwrap_or_default();
        url.host = Some(format!("{hostname}{port}"));
        if ipv6 {
            hostname = hostname[1..hostname.len() - 1].to_owned();
            if !rest.starts_with('/') {
                rest = format!("/{rest}");
            }
        }
        url.hostname = Some(hostname);
    }

    if lower_proto != "javascript:" {
        rest = auto_escape(&rest);
    }

    let mut question: Option<usize> = None;
    let mut hash_at: Option<usize> = None;
    for (i, c) in rest.char_indices() {
        if c == '#' {
            url.hash = Some(rest[i..].to_owned());
            hash_at = Some(i);
            break;
        } else if c == '?' && question.is_none() {
            question = Some(i);
        }
    }
    if let Some(q) = question {
        let end = hash_at.unwrap_or(rest.len());
        url.search = Some(rest[q..end].to_owned());
        url.query = Some(rest[q + 1..end].to_owned());
    }
    let use_question = question.is_some_and(|q| hash_at.is_none_or(|h| q < h));
    let first = if use_question { question } else { hash_at };
    match first {
        None => {
            if !rest.is_empty() {
                url.pathname = Some(rest.clone());
            }
        }
        Some(f) if f > 0 => url.pathname = Some(rest[..f].to_owned()),
        Some(_) => {}
    }
    if is_slashed_protocol(&lower_proto)
        && url.hostname.as_deref().is_some_and(|h| !h.is_empty())
        && url.pathname.is_none()
    {
        url.pathname = Some("/".to_owned());
    }
    if url.pathname.is_some() || url.search.is_some() {
        url.path = Some(format!(
            "{}{}",
            url.pathname.as_deref().unwrap_or(""),
            url.search.as_deref().unwrap_or("")
        ));
    }
    url.href = format(&url);
    Ok(url)
}

/// Trims leading/trailing whitespace (code < 33, NBSP, BOM) and turns backslashes before the
/// first `?`/`#` into slashes.
fn trim_and_fix_backslashes(chars: &[char]) -> String {
    let is_ws = |c: char| (c as u32) < 33 || c == '\u{a0}' || c == '\u{feff}';
    let Some(start) = chars.iter().position(|&c| !is_ws(c)) else {
        return String::new();
    };
    let end = chars.iter().rposition(|&c| !is_ws(c)).map_or(chars.len(), |e| e + 1);
    let mut out = String::with_capacity(end - start);
    let mut split = false;
    for &c in &chars[start..end] {
        if !split {
            match c {
                '#' | '?' => split = true,
                '\\' => {
                    out.push('/');
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

/// `^(\/\/?(?!\/)[^?\s]*)(\?[^\s]*)?$`
fn simple_path(rest: &str) -> Option<(String, Option<String>)> {
    let bytes: Vec<char> = rest.chars().collect();
    if bytes.first() != Some(&'/') {
        return None;
    }
    let mut i = 1;
    if bytes.get(1) == Some(&'/') {
        i = 2;
    }
    if bytes.get(i) == Some(&'/') {
        return None;
    }
    let path_end = bytes[i..]
        .iter()
        .position(|&c| c == '?' || c.is_whitespace())
        .map_or(bytes.len(), |p| p + i);
    if path_end < bytes.len() && bytes[path_end] != '?' {
        return None;
    }
    let pathname: String = bytes[..path_end].iter().collect();
    if path_end == bytes.len() {
        return Some((pathname, None));
    }
    let search: String = bytes[path_end..].iter().collect();
    if search.chars().any(char::is_whitespace) {
        return None;
    }
    Some((pathname, Some(search)))
}

/// `^\/\/[^@/]+@[^@/]+`
fn host_pattern(rest: &str) -> bool {
    let Some(after) = rest.strip_prefix("//") else {
        return false;
    };
    let Some(at) = after.find('@') else {
        return false;
    };
    at > 0 && !after[..at].contains('/') && after[at + 1..].chars().next().is_some_and(|c| c != '@' && c != '/')
}

fn auto_escape(rest: &str) -> String {
    let mut out = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '\t' => out.push_str("%09"),
            '\n' => out.push_str("%0A"),
            '\r' => out.push_str("%0D"),
            ' ' => out.push_str("%20"),
            '"' => out.push_str("%22"),
            '\'' => out.push_str("%27"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '\\' => out.push_str("%5C"),
            '^' => out.push_str("%5E"),
            '`' => out.push_str("%60"),
            '{' => out.push_str("%7B"),
            '|' => out.push_str("%7C"),
            '}' => out.push_str("%7D"),
            c => out.push(c),
        }
    }
    out
}

/// `decodeURIComponent`, keeping malformed sequences as they are.
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// IDNA `toASCII` of a host name (through the WHATWG parser), unchanged when not possible.
fn to_ascii(hostname: &str) -> String {
    if hostname.is_ascii() {
        return hostname.to_owned();
    }
    url::Url::parse(&format!("http://{hostname}/"))
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| hostname.to_owned())
}

/// `url.format(parsed)`, written into one string (it runs for every URL `request` parses).
pub(crate) fn format(url: &LegacyUrl) -> String {
    let auth = url.auth.as_deref().filter(|a| !a.is_empty()).map(encode_auth);
    let protocol = url.protocol.as_deref().unwrap_or_default();
    let colon = !protocol.is_empty() && !protocol.ends_with(':');
    let pathname = url.pathname.as_deref().unwrap_or_default();
    let hash = url.hash.as_deref().unwrap_or_default();
    let search = url.search.as_deref().unwrap_or_default();
    // the host part: auth@host, or auth@hostname:port
    let host_name = url.host.as_deref().filter(|h| !h.is_empty());
    let hostname = url.hostname.as_deref().filter(|h| !h.is_empty());
    let has_host = host_name.is_some() || hostname.is_some();
    let slashed = {
        let mut with_colon = String::with_capacity(protocol.len() + 1);
        with_colon.push_str(protocol);
        if colon {
            with_colon.push(':');
        }
        is_slashed_protocol(&with_colon)
    };
    // "//" before the host, and "/" before a relative pathname, with slashes or a slashed
    // protocol that has a host; a file: URL without one still gets its "//"
    let (slashes, lone_slashes) = if url.slashes || slashed {
        if url.slashes || has_host {
            (true, false)
        } else {
            (false, protocol.starts_with("file"))
        }
    } else {
        (false, false)
    };
    let mut out = String::with_capacity(protocol.len() + pathname.len() + search.len() + hash.len() + 64);
    out.push_str(protocol);
    if colon {
        out.push(':');
    }
    if slashes || lone_slashes {
        out.push_str("//");
    }
    if slashes || !lone_slashes {
        if has_host && let Some(auth) = &auth {
            out.push_str(auth);
            out.push('@');
        }
        if let Some(h) = host_name {
            out.push_str(h);
        } else if let Some(h) = hostname {
            out.push_str(h);
            if let Some(port) = &url.port {
                out.push(':');
                out.push_str(port);
            }
        }
    }
    if slashes && !pathname.is_empty() && !pathname.starts_with('/') {
        out.push('/');
    }
    for c in pathname.chars() {
        match c {
            '#' => out.push_str("%23"),
            '?' => out.push_str("%3F"),
            c => out.push(c),
        }
    }
    if !search.is_empty() && !search.starts_with('?') {
        out.push('?');
    }
    for c in search.chars() {
        match c {
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    if !hash.is_empty() && !hash.starts_with('#') {
        out.push('#');
    }
    out.push_str(hash);
    out
}

/// Percent-encodes the auth part as Node's `format` does (keeps `:` and RFC 3986 unreserved).
fn encode_auth(auth: &str) -> String {
    let mut out = String::new();
    for c in auth.chars() {
        if c.is_ascii_alphanumeric() || "!-.~_*'():;&=+$,".contains(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> LegacyUrl {
        parse(s).unwrap_or_default()
    }

    // Expected values from Node 20: `require('url').parse(s)`.
    #[test]
    fn one_slash_after_the_scheme_has_no_host() {
        let u = p("https:/x.com/a");
        assert_eq!(u.protocol.as_deref(), Some("https:"));
        assert_eq!(u.host, None);
        assert_eq!(u.pathname.as_deref(), Some("/x.com/a"));
        assert_eq!(u.href, "https:/x.com/a");
        let u = p("http:x.com");
        assert_eq!(u.host, None);
        assert_eq!(u.href, "http:x.com");
    }

    #[test]
    fn ordinary_urls() {
        let u = p("https://x.com/a");
        assert!(u.slashes);
        assert_eq!(u.host.as_deref(), Some("x.com"));
        assert_eq!(u.path.as_deref(), Some("/a"));
        assert_eq!(u.href, "https://x.com/a");

        let u = p("HTTP://X.com:80/a b?q=1#h");
        assert_eq!(u.protocol.as_deref(), Some("http:"));
        assert_eq!(u.host.as_deref(), Some("x.com:80"));
        assert_eq!(u.hostname.as_deref(), Some("x.com"));
        assert_eq!(u.port.as_deref(), Some("80"));
        assert_eq!(u.path.as_deref(), Some("/a%20b?q=1"));
        assert_eq!(u.href, "http://x.com:80/a%20b?q=1#h");

        let u = p("http://user:pw@x.com/");
        assert_eq!(u.auth.as_deref(), Some("user:pw"));
        assert_eq!(u.href, "http://user:pw@x.com/");

        let u = p("http://[::1]:8080/a");
        assert_eq!(u.host.as_deref(), Some("[::1]:8080"));
        assert_eq!(u.hostname.as_deref(), Some("::1"));

        let u = p("ftp://x.com/a");
        assert_eq!(u.protocol.as_deref(), Some("ftp:"));
        assert_eq!(u.host.as_deref(), Some("x.com"));

        let u = p("http://127.0.0.1:4000");
        assert_eq!(u.host.as_deref(), Some("127.0.0.1:4000"));
        assert_eq!(u.href, "http://127.0.0.1:4000/");
    }

    #[test]
    fn paths_without_scheme_have_no_host() {
        for s in ["//x.com/a", "x.com/a", "/api/v1/authn"] {
            let u = p(s);
            assert_eq!(u.host, None, "{s}");
            assert_eq!(u.protocol, None, "{s}");
            assert_eq!(u.href, s);
        }
    }
}
