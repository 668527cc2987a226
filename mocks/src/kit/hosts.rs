//! The real host names of the services Ferry mocks, in one place: where a script's request to
//! `https://acme.okta.com` is routed ([`provider_routes`], used by the scenario runner,
//! `ferry serve` and `ferry try`) and which names the mocks' HTTPS certificate carries
//! ([`certificate_names`]).
//!
//! Sources: Okta orgs live under `okta.com`, `oktapreview.com` (preview orgs) and
//! `okta-emea.com` (EU cell) (okta.md §1: `https://{yourOktaDomain}`); Stormpath's API was
//! `api.stormpath.com`, its Enterprise cloud `enterprise.stormpath.io` (stormpath.md §11 #6);
//! Gigya's API hosts are `<namespace>.<data center>`: `us1`, `eu1`, `au1`, `eu2`, `global`,
//! `ru1`, `il1` under `gigya.com`, China under `cn1.sapcdm.cn` and the older `gigya-api.cn`
//! (gigya.md §1.1); Auth0 tenants are `TENANT.auth0.com` or `TENANT.REGION.auth0.com`.

use sandbox::{RouteError, Routes};

/// One mocked service's real hosts.
#[derive(Debug, Clone, Copy)]
pub struct ProviderHosts {
    /// The mock's short name (`okta`, `stormpath`, `gigya`, `auth0`), as [`crate::Provider::NAME`].
    pub mock: &'static str,
    /// Route patterns: a name, or `*.` and a domain for every name under it at any depth.
    pub routes: &'static [&'static str],
    /// The names the HTTPS certificate carries for them. A certificate's `*.` covers one label
    /// only, so each Gigya data center and Auth0 region has its own wildcard.
    pub certificate: &'static [&'static str],
}

/// Every mocked service's real hosts.
pub const PROVIDER_HOSTS: &[ProviderHosts] = &[
    ProviderHosts {
        mock: "okta",
        routes: &["*.okta.com", "*.oktapreview.com", "*.okta-emea.com"],
        certificate: &["*.okta.com", "*.oktapreview.com", "*.okta-emea.com"],
    },
    ProviderHosts {
        mock: "stormpath",
        routes: &["api.stormpath.com", "enterprise.stormpath.io"],
        certificate: &["api.stormpath.com", "enterprise.stormpath.io"],
    },
    ProviderHosts {
        mock: "gigya",
        routes: &["*.gigya.com", "*.sapcdm.cn", "*.gigya-api.cn"],
        certificate: &[
            "*.gigya.com",
            "*.us1.gigya.com",
            "*.eu1.gigya.com",
            "*.eu2.gigya.com",
            "*.au1.gigya.com",
            "*.global.gigya.com",
            "*.ru1.gigya.com",
            "*.il1.gigya.com",
            "*.cn1.sapcdm.cn",
            "*.gigya-api.cn",
        ],
    },
    ProviderHosts {
        mock: "auth0",
        routes: &["*.auth0.com"],
        certificate: &[
            "*.auth0.com",
            "*.us.auth0.com",
            "*.eu.auth0.com",
            "*.au.auth0.com",
            "*.jp.auth0.com",
            "*.uk.auth0.com",
            "*.ca.auth0.com",
        ],
    },
];

/// The mock names a route may name (`routes: { login.acme.com: auth0 }`).
pub const MOCK_NAMES: &[&str] = &["okta", "stormpath", "gigya", "auth0"];

/// Adds the routes of every service's real hosts to `routes`: to its mock's base URL where
/// `url_of(mock)` gives one, refused with `missing(mock)` as the reason otherwise (a script
/// then learns what to start rather than that the name is not allowed). Add a caller's own
/// routes first: among equally specific routes the first added wins.
pub fn provider_routes(
    routes: &mut Routes,
    url_of: &dyn Fn(&str) -> Option<String>,
    missing: &dyn Fn(&str) -> String,
) -> Result<(), RouteError> {
    for provider in PROVIDER_HOSTS {
        let url = url_of(provider.mock);
        for pattern in provider.routes {
            match &url {
                Some(url) => routes.route(pattern, url, provider.mock)?,
                None => routes.refuse(pattern, missing(provider.mock))?,
            }
        }
    }
    Ok(())
}

/// Whether `audience` is the Management API of a tenant under Auth0's own domain
/// (`https://acme.auth0.com/api/v2/`, `https://acme.eu.auth0.com/api/v2/`): the mock Auth0
/// answers for every such tenant a script's request is routed from.
pub fn is_auth0_api_audience(audience: &str) -> bool {
    let Ok(url) = url::Url::parse(audience) else {
        return false;
    };
    let Some(url::Host::Domain(host)) = url.host() else {
        return false;
    };
    url.scheme() == "https"
        && url.port().is_none()
        && url.path() == "/api/v2/"
        && url.query().is_none()
        && PROVIDER_HOSTS
            .iter()
            .filter(|p| p.mock == "auth0")
            .flat_map(|p| p.routes.iter())
            .any(|pattern| host_matches(pattern, host))
}

/// Whether `host` (lower case) is `pattern` or, for `*.domain`, a name under `domain`.
fn host_matches(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(suffix) => host
            .strip_suffix(suffix)
            .is_some_and(|rest| rest.len() > 1 && rest.ends_with('.')),
        None => host == pattern,
    }
}

/// The names the mocks' HTTPS certificate is valid for: loopback (`127.0.0.1`, `::1`,
/// `localhost`), every service's real hosts, and `extra` (custom routed domains).
pub fn certificate_names(extra: &[String]) -> Vec<String> {
    let mut names: Vec<String> = ["127.0.0.1", "::1", "localhost"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    for provider in PROVIDER_HOSTS {
        names.extend(provider.certificate.iter().map(|s| (*s).to_owned()));
    }
    for name in extra {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> url::Url {
        url::Url::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn every_documented_host_routes_to_its_mock() {
        let mut routes = Routes::new();
        provider_routes(
            &mut routes,
            &|mock| (mock != "gigya").then(|| "http://127.0.0.1:1".to_owned()),
            &|mock| format!("no {mock} mock"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        for (host, mock) in [
            ("https://acme.okta.com/api/v1/authn", Some("okta")),
            ("https://dev-123456.oktapreview.com/", Some("okta")),
            ("https://acme.okta-emea.com/", Some("okta")),
            ("https://api.stormpath.com/v1/tenants/current", Some("stormpath")),
            ("https://enterprise.stormpath.io/v1/", Some("stormpath")),
            ("https://acme.auth0.com/oauth/token", Some("auth0")),
            ("https://acme.eu.auth0.com/oauth/token", Some("auth0")),
            ("https://accounts.us1.gigya.com/accounts.search", None),
            ("https://okta.com/", None),
            ("https://stormpath.com/", None),
            ("https://example.com/", None),
        ] {
            let found = routes.find(&url(host));
            match (mock, found.map(sandbox::Route::target)) {
                (Some(mock), Some(sandbox::RouteTarget::Origin { name, .. })) => assert_eq!(name, mock, "{host}"),
                (None, Some(sandbox::RouteTarget::Refused(reason))) => assert_eq!(reason, "no gigya mock", "{host}"),
                (None, None) => assert!(!host.contains("gigya"), "{host}"),
                (expected, got) => panic!("{host}: expected {expected:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn management_audiences_of_auth0_tenants() {
        for yes in ["https://acme.auth0.com/api/v2/", "https://acme.eu.auth0.com/api/v2/"] {
            assert!(is_auth0_api_audience(yes), "{yes}");
        }
        for no in [
            "https://auth0.com/api/v2/",
            "http://acme.auth0.com/api/v2/",
            "https://acme.auth0.com/api/v2",
            "https://acme.auth0.com:8443/api/v2/",
            "https://acme.auth0.com.evil.test/api/v2/",
            "https://login.acme.com/api/v2/",
        ] {
            assert!(!is_auth0_api_audience(no), "{no}");
        }
    }

    #[test]
    fn the_certificate_covers_loopback_and_every_data_center() {
        let names = certificate_names(&["Login.Acme.com.".to_owned()]);
        for name in [
            "127.0.0.1",
            "::1",
            "localhost",
            "*.okta.com",
            "api.stormpath.com",
            "*.us1.gigya.com",
            "*.eu.auth0.com",
            "login.acme.com",
        ] {
            assert!(names.iter().any(|n| n == name), "{name}");
        }
    }
}
