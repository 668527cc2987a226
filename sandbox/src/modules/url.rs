//! `require('url')` and the `URL` / `URLSearchParams` globals: Rust half.
//!
//! The WHATWG `URL` class (`url.js`) keeps its href here and reads and writes components
//! through the `url` crate's `quirks` module, which implements the URL Standard's getters and
//! setters exactly as browsers and Node do. `url.parse` is the legacy parser `request` uses
//! (`globals::legacy_url`, exposed as `native.urlParse` by `globals::request`). Node's lenient
//! percent-decoding (invalid escapes kept, invalid UTF-8 replaced) is shared with
//! `querystring` and `URLSearchParams`.

use percent_encoding::percent_decode_str;
use rquickjs::{Ctx, Function, Object};
use url::{Url, quirks};

use crate::host::Host;

/// JavaScript half of `url`.
pub(crate) const JS: &str = include_str!("url.js");

/// The components of a URL, as the `URL` getters return them.
fn parts<'js>(ctx: &Ctx<'js>, url: &Url) -> rquickjs::Result<Object<'js>> {
    let obj = Object::new(ctx.clone())?;
    obj.set("href", quirks::href(url))?;
    obj.set("origin", quirks::origin(url))?;
    obj.set("protocol", quirks::protocol(url))?;
    obj.set("username", quirks::username(url))?;
    obj.set("password", quirks::password(url))?;
    obj.set("host", quirks::host(url))?;
    obj.set("hostname", quirks::hostname(url))?;
    obj.set("port", quirks::port(url))?;
    obj.set("pathname", quirks::pathname(url))?;
    obj.set("search", quirks::search(url))?;
    obj.set("hash", quirks::hash(url))?;
    Ok(obj)
}

/// Parses `input` against `base` (both WHATWG); `None` when either is invalid.
fn parse_with_base(input: &str, base: Option<&str>) -> Option<Url> {
    match base {
        Some(base) => Url::parse(base).ok()?.join(input).ok(),
        None => Url::parse(input).ok(),
    }
}

/// Applies one setter; invalid values are ignored, as the URL Standard says.
fn set(url: &mut Url, name: &str, value: &str) -> bool {
    match name {
        "href" => return quirks::set_href(url, value).is_ok(),
        "protocol" => {
            let _ = quirks::set_protocol(url, value);
        }
        "username" => {
            let _ = quirks::set_username(url, value);
        }
        "password" => {
            let _ = quirks::set_password(url, value);
        }
        "host" => {
            let _ = quirks::set_host(url, value);
        }
        "hostname" => {
            let _ = quirks::set_hostname(url, value);
        }
        "port" => {
            let _ = quirks::set_port(url, value);
        }
        "pathname" => quirks::set_pathname(url, value),
        "search" => quirks::set_search(url, value),
        "hash" => quirks::set_hash(url, value),
        _ => {}
    }
    true
}

/// Legacy `url.resolve(from, to)`, approximated with the WHATWG resolution; relative bases
/// (`/one/two`) are resolved as paths and stay relative.
fn resolve(from: &str, to: &str) -> String {
    if let Ok(base) = Url::parse(from) {
        return base.join(to).map_or_else(|_| to.to_owned(), String::from);
    }
    const FAKE: &str = "resolve://ferry.invalid";
    let Ok(base) = Url::parse(FAKE).and_then(|fake| fake.join(from)) else {
        return to.to_owned();
    };
    match base.join(to) {
        Ok(joined) if joined.scheme() == "resolve" && joined.host_str() == Some("ferry.invalid") => {
            let text = String::from(joined);
            let relative = &text[FAKE.len()..];
            if from.starts_with('/') || relative.is_empty() {
                relative.to_owned()
            } else {
                relative.trim_start_matches('/').to_owned()
            }
        }
        Ok(joined) => String::from(joined),
        Err(_) => to.to_owned(),
    }
}

/// Adds `urlWhatwg`, `urlSet`, `urlDecode` and `urlResolve`.
pub(crate) fn register<'js>(ctx: &Ctx<'js>, native: &Object<'js>, _host: &Host) -> rquickjs::Result<()> {
    native.set(
        "urlWhatwg",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, input: String, base: Option<String>| -> rquickjs::Result<Option<Object<'js>>> {
                match parse_with_base(&input, base.as_deref()) {
                    Some(url) => parts(&ctx, &url).map(Some),
                    None => Ok(None),
                }
            },
        )?,
    )?;
    native.set(
        "urlSet",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, href: String, name: String, value: String| -> rquickjs::Result<Option<Object<'js>>> {
                let Ok(mut url) = Url::parse(&href) else {
                    return Ok(None);
                };
                if !set(&mut url, &name, &value) {
                    return Ok(None);
                }
                parts(&ctx, &url).map(Some)
            },
        )?,
    )?;
    native.set(
        "urlDecode",
        Function::new(ctx.clone(), |text: String| {
            percent_decode_str(&text).decode_utf8_lossy().into_owned()
        })?,
    )?;
    native.set(
        "urlResolve",
        Function::new(ctx.clone(), |from: String, to: String| resolve(&from, &to))?,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values from Node 20's url.resolve examples.
    #[test]
    fn resolve_follows_node_examples() {
        assert_eq!(resolve("/one/two/three", "four"), "/one/two/four");
        assert_eq!(resolve("http://example.com/", "/one"), "http://example.com/one");
        assert_eq!(resolve("http://example.com/one", "/two"), "http://example.com/two");
        assert_eq!(
            resolve("http://example.com/a/b", "../c?x=1"),
            "http://example.com/c?x=1"
        );
    }

    #[test]
    fn decoding_is_lenient() {
        assert_eq!(percent_decode_str("a%20b%ZZ%C3").decode_utf8_lossy(), "a b%ZZ\u{fffd}");
    }
}
