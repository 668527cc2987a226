//! Which hosts a script may reach with `request`: the [`Outbound`] policy of
//! [`crate::SandboxConfig`], made of [`HostRule`]s, and the [`Routes`] that send requests for
//! a host name (`acme.okta.com`) to a mock instead, without resolving it.
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
use std::sync::Arc;

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

/// The error message of a refused request, in the shape of Node's connect errors, with the
/// reason (or the hint that fixes it) in parentheses.
pub(crate) fn refusal_message(host: &str, port: u16, reason: &str) -> String {
    format!("connect EACCES {host}:{port} (outbound request not allowed by the sandbox: {reason})")
}

/// What a refused request's error (`connect EACCES host:port (outbound request not allowed by
/// the sandbox: …)`) says of a host no rule allows and no route serves, unless the sandbox's
/// owner gives a better hint ([`Routes::set_refusal_hint`]).
pub const DEFAULT_REFUSAL_HINT: &str = "add the host to the allowlist";

/// Header a routed request carries when the script's URL has another scheme than the route's
/// target (an `https://` URL answered by a plain-HTTP mock): its value is the script's scheme,
/// `https` or `http`. Ferry's mocks take it off as the request arrives (nothing journals or
/// answers it) and build their links with that scheme; a server that is not Ferry's sees it.
pub const ORIGINAL_SCHEME_HEADER: &str = "x-ferry-original-scheme";

/// Name-based routing: requests to a host (`acme.okta.com`, or every subdomain of `okta.com`
/// with `*.okta.com`) go to another origin (a mock on loopback) instead of the host itself,
/// with nothing resolved and nothing else changed. The script's URL, path, query, headers and
/// body are kept; the request is sent to the target's scheme, address and port with a `Host`
/// header naming the host the script asked for (unless the script set one), and with
/// [`ORIGINAL_SCHEME_HEADER`] when the schemes differ. A routed host needs no allowlist rule.
/// A route may also refuse its hosts with a reason (a provider whose mock is not running).
///
/// The most specific route wins: an exact name before any wildcard, a longer wildcard before a
/// shorter one, and among equals the one added first. Cheap to clone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routes {
    routes: Arc<Vec<Route>>,
    hint: Option<Arc<str>>,
}

/// One route: a host pattern and where its requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The name, or `*.` and a domain for every name under it (at any depth).
    host: String,
    target: RouteTarget,
}

/// Where a [`Route`] sends its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteTarget {
    /// To this origin (`http://127.0.0.1:4010`: scheme, host and port only).
    Origin {
        /// The origin.
        url: url::Url,
        /// Who answers there, for reports (`okta`, `the Okta mock`, ...).
        name: String,
    },
    /// Nowhere: the request is refused (`connect EACCES`) with this reason.
    Refused(String),
    /// To the host itself, as if no route covered it (the [`Outbound`] policy decides): a
    /// host that must reach the real service although a wider route covers its domain.
    Direct,
}

/// Why a route could not be added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteError {
    /// What was given.
    pub given: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid route {:?}: {}", self.given, self.reason)
    }
}

impl std::error::Error for RouteError {}

impl Route {
    /// The host pattern (`acme.okta.com`, `*.okta.com`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Where its requests go.
    pub fn target(&self) -> &RouteTarget {
        &self.target
    }

    fn matches(&self, host: &str) -> bool {
        match self.host.strip_prefix("*.") {
            Some(suffix) => host
                .strip_suffix(suffix)
                .is_some_and(|rest| rest.len() > 1 && rest.ends_with('.')),
            None => host == self.host,
        }
    }

    /// Higher is more specific: exact names first, then wildcards by length.
    fn specificity(&self) -> usize {
        match self.host.strip_prefix("*.") {
            Some(suffix) => suffix.len(),
            None => usize::MAX,
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            RouteTarget::Origin { url, name } => {
                write!(f, "{} → {}", self.host, url.as_str().trim_end_matches('/'))?;
                if !name.is_empty() {
                    write!(f, " ({name})")?;
                }
                Ok(())
            }
            RouteTarget::Refused(reason) => write!(f, "{} → refused ({reason})", self.host),
            RouteTarget::Direct => write!(f, "{} → itself", self.host),
        }
    }
}

impl Serialize for Route {
    /// As its [`Display`](fmt::Display) text.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl Serialize for Routes {
    /// The routes as strings, most specific first.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.routes.iter())
    }
}

/// A route's host pattern: a host name (`acme.okta.com`) or `*.` and a domain, no port, no
/// address. Lower case, without a trailing dot.
fn route_host(text: &str) -> Result<String, RouteError> {
    let fail = |reason: &str| RouteError {
        given: text.to_owned(),
        reason: reason.to_owned(),
    };
    match text.parse::<HostRule>() {
        Ok(HostRule::Name { name, port: None }) => Ok(name),
        Ok(HostRule::Name { port: Some(_), .. }) => Err(fail(
            "a route names a host without a port (every port of the host is routed)",
        )),
        Ok(HostRule::Network { .. }) => Err(fail("a route names a host, not an IP address")),
        Err(e) => Err(fail(e.reason)),
    }
}

impl Routes {
    /// No routes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends requests to `host` (a name or `*.domain`) to `target`, an origin
    /// (`http://127.0.0.1:4010`, `https://localhost:8443`); `name` says who answers there.
    pub fn route(&mut self, host: &str, target: &str, name: &str) -> Result<(), RouteError> {
        let pattern = route_host(host)?;
        let fail = |reason: &str| RouteError {
            given: format!("{host}={target}"),
            reason: reason.to_owned(),
        };
        let url = url::Url::parse(target.trim())
            .map_err(|_| fail("the target must be a URL such as http://127.0.0.1:4010"))?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(fail("the target must be an http:// or https:// URL"));
        }
        if url.host().is_none() {
            return Err(fail("the target URL has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(fail("the target URL must not hold credentials"));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(fail(
                "the target is an origin (scheme, host and port): requests keep their own path and query",
            ));
        }
        self.push(Route {
            host: pattern,
            target: RouteTarget::Origin {
                url,
                name: name.to_owned(),
            },
        });
        Ok(())
    }

    /// Refuses requests to `host` (a name or `*.domain`) with `reason`, whatever the allowlist
    /// says (a provider's hosts while its mock is not running, say).
    pub fn refuse(&mut self, host: &str, reason: impl Into<String>) -> Result<(), RouteError> {
        let pattern = route_host(host)?;
        self.push(Route {
            host: pattern,
            target: RouteTarget::Refused(reason.into()),
        });
        Ok(())
    }

    /// Lets requests to `host` (a name or `*.domain`) go to the host itself, past a wider
    /// route (the allowlist still decides whether they may).
    pub fn direct(&mut self, host: &str) -> Result<(), RouteError> {
        let pattern = route_host(host)?;
        self.push(Route {
            host: pattern,
            target: RouteTarget::Direct,
        });
        Ok(())
    }

    fn push(&mut self, route: Route) {
        let routes = Arc::make_mut(&mut self.routes);
        // stable: among equals, the first added stays first
        let at = routes.partition_point(|r| r.specificity() >= route.specificity());
        routes.insert(at, route);
    }

    /// What a refused request says to do when no route or rule serves its host (default
    /// [`DEFAULT_REFUSAL_HINT`]): the fix in the caller's terms, with `{host}` standing for the
    /// refused host, e.g. "send it to a mock with `routes: { {host}: okta }`".
    pub fn set_refusal_hint(&mut self, hint: impl Into<String>) {
        self.hint = Some(hint.into().into());
    }

    /// The hint for refused hosts.
    pub fn refusal_hint(&self) -> &str {
        self.hint.as_deref().unwrap_or(DEFAULT_REFUSAL_HINT)
    }

    /// The route serving `url`'s host, if any (IP addresses are never routed).
    pub fn find(&self, url: &url::Url) -> Option<&Route> {
        let Some(url::Host::Domain(domain)) = url.host() else {
            return None;
        };
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        self.routes.iter().find(|route| route.matches(&domain))
    }

    /// Every route, most specific first.
    pub fn iter(&self) -> impl Iterator<Item = &Route> {
        self.routes.iter()
    }

    /// Whether there is no route.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
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
