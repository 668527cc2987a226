//! Which hosts a script may reach with `request`: the [`Outbound`] policy of
//! [`crate::SandboxConfig`], made of [`HostRule`]s.
//!
//! Auth0's sandbox can reach the whole internet; a rehearsal should not, so the default policy
//! allows loopback only (where the mock servers listen). The policy is checked against the URL
//! of every hop, redirects included, before anything is sent: a refused request never resolves
//! a name nor opens a socket. It fails like a connection Node was not permitted to make
//! (`connect EACCES <host>:<port>`, see [`refusal_message`]).
//!
//! Rules match the URL's host as written (after the WHATWG normalisation `reqwest` applies,
//! which turns `0x7f.1` into `127.0.0.1`): a name rule never matches an IP literal, an address
//! rule never matches a name, and names are not resolved to be compared with address rules (a
//! name that resolves to a loopback address is refused unless it is listed itself).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::Serialize;

/// The outbound HTTP policy of a sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outbound {
    /// Every host may be reached (Auth0's own behaviour).
    Any,
    /// Only hosts matching one of the rules may be reached.
    Allow(Vec<HostRule>),
}

impl Default for Outbound {
    /// [`Outbound::loopback`].
    fn default() -> Self {
        Self::loopback()
    }
}

impl Outbound {
    /// Loopback only: `127.0.0.0/8`, `::1` and `localhost`, any port.
    pub fn loopback() -> Self {
        Self::Allow(HostRule::loopback())
    }

    /// Adds a rule (no-op for [`Outbound::Any`]).
    pub fn allow(&mut self, rule: HostRule) {
        if let Self::Allow(rules) = self {
            rules.push(rule);
        }
    }

    /// Whether a request to `url` may be sent.
    pub fn allows(&self, url: &url::Url) -> bool {
        match self {
            Self::Any => true,
            Self::Allow(rules) => {
                let (Some(host), Some(port)) = (url.host(), url.port_or_known_default()) else {
                    return false;
                };
                rules.iter().any(|rule| rule.matches(&host, port))
            }
        }
    }
}

impl Serialize for Outbound {
    /// `"any"` or the list of rules as strings.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Any => serializer.serialize_str("any"),
            Self::Allow(rules) => serializer.collect_seq(rules.iter().map(ToString::to_string)),
        }
    }
}

/// One allowed destination: a host name (exact, or `*.` and a domain for its subdomains) or an
/// address range, each optionally restricted to one port.
///
/// Written as `example.com`, `*.example.com`, `api.example.com:8443`, `10.0.0.7`,
/// `10.0.0.0/8`, `::1`, `[::1]:8080`, `fd00::/8` or `localhost`; parse with [`str::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostRule {
    /// A host name, lower case, without trailing dot. `*.example.com` matches every name
    /// ending in `.example.com` (not `example.com` itself).
    Name {
        /// The name or `*.` pattern.
        name: String,
        /// The only port allowed, if any.
        port: Option<u16>,
    },
    /// IP addresses whose first `prefix` bits equal those of `address` (IPv4-mapped IPv6
    /// addresses are compared as IPv4).
    Network {
        /// Network address.
        address: IpAddr,
        /// Prefix length (32 or 128 for a single address).
        prefix: u8,
        /// The only port allowed, if any.
        port: Option<u16>,
    },
}

impl HostRule {
    /// `127.0.0.0/8`, `::1` and `localhost`, any port.
    pub fn loopback() -> Vec<HostRule> {
        vec![
            HostRule::Network {
                address: IpAddr::from([127, 0, 0, 0]),
                prefix: 8,
                port: None,
            },
            HostRule::Network {
                address: IpAddr::from([0, 0, 0, 0, 0, 0, 0, 1]),
                prefix: 128,
                port: None,
            },
            HostRule::Name {
                name: "localhost".to_owned(),
                port: None,
            },
        ]
    }

    /// Whether the rule allows `host` on `port`.
    pub fn matches(&self, host: &url::Host<&str>, port: u16) -> bool {
        match (self, host) {
            (HostRule::Name { name, port: p }, url::Host::Domain(domain)) => {
                if p.is_some_and(|p| p != port) {
                    return false;
                }
                let domain = domain.trim_end_matches('.').to_ascii_lowercase();
                match name.strip_prefix("*.") {
                    Some(suffix) => domain.len() > suffix.len() + 1 && domain.ends_with(&format!(".{suffix}")),
                    None => domain == *name,
                }
            }
            (
                HostRule::Network {
                    address,
                    prefix,
                    port: p,
                },
                url::Host::Ipv4(ip),
            ) => p.is_none_or(|p| p == port) && in_network(IpAddr::V4(*ip), *address, *prefix),
            (
                HostRule::Network {
                    address,
                    prefix,
                    port: p,
                },
                url::Host::Ipv6(ip),
            ) => p.is_none_or(|p| p == port) && in_network(IpAddr::V6(*ip), *address, *prefix),
            _ => false,
        }
    }
}

/// Whether `ip` lies in `network/prefix`; IPv4-mapped IPv6 addresses count as IPv4.
fn in_network(ip: IpAddr, network: IpAddr, prefix: u8) -> bool {
    let canonical = |ip: IpAddr| match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    match (canonical(ip), canonical(network)) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let prefix = u32::from(prefix.min(32));
            let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let prefix = u32::from(prefix.min(128));
            let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

impl fmt::Display for HostRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostRule::Name { name, port } => {
                write!(f, "{name}")?;
                if let Some(port) = port {
                    write!(f, ":{port}")?;
                }
                Ok(())
            }
            HostRule::Network { address, prefix, port } => {
                let full = if address.is_ipv4() { 32 } else { 128 };
                let text = if *prefix == full {
                    address.to_string()
                } else {
                    format!("{address}/{prefix}")
                };
                match (port, address) {
                    (Some(port), IpAddr::V6(_)) => write!(f, "[{text}]:{port}"),
                    (Some(port), IpAddr::V4(_)) => write!(f, "{text}:{port}"),
                    (None, _) => write!(f, "{text}"),
                }
            }
        }
    }
}

/// Why a host rule could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRuleError {
    /// The rule as given.
    pub rule: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl fmt::Display for HostRuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid host rule {:?}: {}", self.rule, self.reason)
    }
}

impl std::error::Error for HostRuleError {}

impl FromStr for HostRule {
    type Err = HostRuleError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail = |reason| HostRuleError {
            rule: text.to_owned(),
            reason,
        };
        let rule = text.trim();
        if rule.is_empty() {
            return Err(fail("empty"));
        }
        if rule.contains("://") {
            return Err(fail(
                "give a host, not a URL (e.g. api.example.com or api.example.com:8443)",
            ));
        }
        // [v6]:port, [v6], v6, v6/prefix, v4[/prefix][:port], name[:port]
        let (host, port) = if let Some(rest) = rule.strip_prefix('[') {
            let Some((inside, after)) = rest.split_once(']') else {
                return Err(fail("unclosed '['"));
            };
            let port = match after {
                "" => None,
                _ => Some(
                    after
                        .strip_prefix(':')
                        .ok_or_else(|| fail("expected ':' and a port after ']'"))?,
                ),
            };
            (inside, port)
        } else if rule.matches(':').count() > 1 {
            (rule, None) // a bare IPv6 address or network
        } else {
            match rule.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (rule, None),
            }
        };
        let port = match port {
            Some(port) => Some(
                port.parse::<u16>()
                    .map_err(|_| fail("the port must be a number from 0 to 65535"))?,
            ),
            None => None,
        };
        let (address, prefix) = match host.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (host, None),
        };
        if let Ok(address) = address.parse::<IpAddr>() {
            let full: u8 = if address.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                Some(p) => match p.parse::<u8>() {
                    Ok(p) if p <= full => p,
                    _ => return Err(fail("the prefix length must be a number up to 32 (IPv4) or 128 (IPv6)")),
                },
                None => full,
            };
            return Ok(HostRule::Network { address, prefix, port });
        }
        if prefix.is_some() {
            return Err(fail("a '/prefix' needs an IP address before it"));
        }
        let name = host.trim_end_matches('.').to_ascii_lowercase();
        let bare = name.strip_prefix("*.").unwrap_or(&name);
        let valid = !bare.is_empty()
            && bare.split('.').all(|label| {
                !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            });
        if !valid {
            return Err(fail(
                "expected a host name (letters, digits, '-', '.'; '*.' in front for subdomains) or an IP address",
            ));
        }
        Ok(HostRule::Name { name, port })
    }
}

/// The error message of a refused request, in the shape of Node's connect errors.
pub(crate) fn refusal_message(host: &str, port: u16) -> String {
    format!("connect EACCES {host}:{port} (outbound request not allowed by the sandbox: add the host to the allowlist)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> url::Url {
        url::Url::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn rule(text: &str) -> HostRule {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn loopback_is_the_default() {
        let policy = Outbound::default();
        for allowed in [
            "http://127.0.0.1:4000/x",
            "http://127.8.9.10/",
            "http://[::1]:8080/",
            "http://localhost:3000/",
            "http://LOCALHOST./",
            "http://0x7f.1/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(policy.allows(&url(allowed)), "{allowed}");
        }
        for refused in [
            "https://example.com/",
            "http://10.0.0.1/",
            "http://0.0.0.0/",
            "http://[::2]/",
            "http://localhost.example.com/",
            "http://127.0.0.1.nip.io/",
        ] {
            assert!(!policy.allows(&url(refused)), "{refused}");
        }
        assert!(Outbound::Any.allows(&url("https://example.com/")));
    }

    #[test]
    fn rules_parse_and_print_back() {
        for text in [
            "example.com",
            "*.example.com",
            "api.example.com:8443",
            "10.0.0.7",
            "10.0.0.0/8",
            "10.0.0.0/8:5432",
            "::1",
            "[::1]:8080",
            "fd00::/8",
            "localhost",
        ] {
            assert_eq!(rule(text).to_string(), text);
        }
        assert_eq!(rule("API.Example.COM.").to_string(), "api.example.com");
        for bad in [
            "",
            "https://example.com",
            "example.com:http",
            "10.0.0.0/33",
            "name/8",
            "a..b",
            "[::1",
        ] {
            assert!(bad.parse::<HostRule>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_wildcards_networks_and_ports() {
        let policy = Outbound::Allow(vec![
            rule("api.example.com:443"),
            rule("*.okta.com"),
            rule("192.168.0.0/16"),
            rule("[2001:db8::]:8080"),
        ]);
        assert!(policy.allows(&url("https://api.example.com/v1")));
        assert!(!policy.allows(&url("http://api.example.com/v1")));
        assert!(policy.allows(&url("https://dev-1.okta.com/")));
        assert!(!policy.allows(&url("https://okta.com/")));
        assert!(!policy.allows(&url("https://evilokta.com/")));
        assert!(policy.allows(&url("http://192.168.4.2:9/")));
        assert!(!policy.allows(&url("http://192.169.0.1/")));
        assert!(policy.allows(&url("http://[2001:db8::]:8080/")));
        assert!(!policy.allows(&url("http://[2001:db8::]:8081/")));
        assert_eq!(
            serde_json::to_value(&policy).ok(),
            Some(serde_json::json!([
                "api.example.com:443",
                "*.okta.com",
                "192.168.0.0/16",
                "[2001:db8::]:8080"
            ]))
        );
    }
}
