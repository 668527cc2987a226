//! `require` and the modules it offers, checked against Node 20: every expected value below
//! was produced by running the same expression in Node 20.20 (with `qs` 6.5, the version the
//! `request` module depends on); bcrypt against OpenBSD's reference vectors.

mod common;

use std::time::{Duration, Instant};

use common::{call, run, value};
use sandbox::{CallResult, Sandbox, SandboxConfig};
use serde_json::{Value, json};

/// Evaluates each expression in one script (with `qs`, `util` and `url` required; `crypto` and
/// `querystring` are the legacy globals) and compares its JSON with Node's.
async fn check(cases: &[(&str, &str, &str)]) {
    let mut source = String::from(
        "function run(callback) {\n  var qs = require('qs'), util = require('util'), url = require('url');\n  var out = [];\n",
    );
    for (_, expression, _) in cases {
        source.push_str(&format!(
            "  try {{ out.push({expression}); }} catch (e) {{ out.push('THREW ' + e.name + ': ' + e.message); }}\n"
        ));
    }
    source.push_str("  callback(null, out);\n}");
    let outcome = run(&source, vec![]).await;
    let got = value(&outcome);
    for (i, (name, _, expected)) in cases.iter().enumerate() {
        let expected: Value = serde_json::from_str(expected).expect("expected values are JSON");
        assert_eq!(got[i], expected, "{name}");
    }
}

#[tokio::test]
async fn crypto_matches_node() {
    check(&[
        (
            r#"crypto md5 hex"#,
            r#"crypto.createHash('md5').update('password').digest('hex')"#,
            r#""5f4dcc3b5aa765d61d8327deb882cf99""#,
        ),
        (
            r#"crypto sha1 base64"#,
            r#"crypto.createHash('sha1').update('pässwörd').digest('base64')"#,
            r#""9Rfd8dMqES/xrVXGbRsSyzjn6Pc=""#,
        ),
        (
            r#"crypto sha256 chained updates"#,
            r#"crypto.createHash('SHA256').update('a').update(Buffer.from('b')).update('63', 'hex').digest('hex')"#,
            r#""ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad""#,
        ),
        (
            r#"crypto sha512 latin1 input"#,
            r#"crypto.createHash('sha512').update('héllo', 'latin1').digest('base64url')"#,
            r#""Yn_jCuqaD1btbgh2lxLxUySqlOXN7g6sV42prT_kjthgdQPsqIXz4gF6ChBZxn0m27epjd5irCpFD7adxF2HWg""#,
        ),
        (
            r#"crypto digest buffer"#,
            r#"Array.from(crypto.createHash('md5').update('').digest().slice(0, 4))"#,
            r#"[212, 29, 140, 217]"#,
        ),
        (
            r#"crypto hmac sha256"#,
            r#"crypto.createHmac('sha256', 'key').update('The quick brown fox').digest('hex')"#,
            r#""203d1e5cedd2d18f8c5a3beff0bd9c1ebcb97097dfcb288c46b00c9227fde2c0""#,
        ),
        (
            r#"crypto hmac buffer key"#,
            r#"crypto.createHmac('sha1', Buffer.from('6b6579', 'hex')).update(new Uint8Array([1, 2, 3])).digest('hex')"#,
            r#""38288acd7379b491aaecdade8b9d677fcea8841a""#,
        ),
        (
            r#"crypto pbkdf2Sync sha512"#,
            r#"crypto.pbkdf2Sync('password', 'salt', 1000, 64, 'sha512').toString('base64')"#,
            r#""r+bFUweFtsxrHGRTOEcxvV7kMu5Un9QvtmlXea2KHFv1neacSPd078QAfVKY+QM8AkHVq2kwXntk7O642DTP7A==""#,
        ),
        (
            r#"crypto pbkdf2Sync sha1"#,
            r#"crypto.pbkdf2Sync(Buffer.from('password'), 'salt', 2, 20, 'sha1').toString('hex')"#,
            r#""ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957""#,
        ),
        (
            r#"crypto errors"#,
            r#"(function () { var out = []; [function () { crypto.createHash('whirl'); }, function () { crypto.createHmac('foo', 'k'); }, function () { crypto.pbkdf2Sync('p', 's', 0, 32, 'sha1'); }, function () { crypto.pbkdf2Sync('p', 's', 1, 32); }, function () { var h = crypto.createHash('md5'); h.digest(); h.digest(); }, function () { crypto.timingSafeEqual(Buffer.from('a'), Buffer.from('ab')); }, function () { crypto.createHash('md5').update(5); }, function () { crypto.randomBytes(-1); }].forEach(function (f) { try { f(); out.push('no error'); } catch (e) { out.push([e.name, e.code, e.message]); } }); return out; })()"#,
            r#"[["Error", null, "Digest method not supported"], ["TypeError", "ERR_CRYPTO_INVALID_DIGEST", "Invalid digest: foo"], ["RangeError", "ERR_OUT_OF_RANGE", "The value of \"iterations\" is out of range. It must be >= 1 && <= 2147483647. Received 0"], ["TypeError", "ERR_INVALID_ARG_TYPE", "The \"digest\" argument must be of type string. Received undefined"], ["Error", "ERR_CRYPTO_HASH_FINALIZED", "Digest already called"], ["RangeError", "ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH", "Input buffers must have the same byte length"], ["TypeError", "ERR_INVALID_ARG_TYPE", "The \"data\" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received type number (5)"], ["RangeError", "ERR_OUT_OF_RANGE", "The value of \"size\" is out of range. It must be >= 0 && <= 2147483647. Received -1"]]"#,
        ),
        (
            r#"crypto timingSafeEqual"#,
            r#"[crypto.timingSafeEqual(Buffer.from('abc'), Buffer.from('abc')), crypto.timingSafeEqual(Buffer.from('abc'), Buffer.from('abd'))]"#,
            r#"[true, false]"#,
        ),
        (
            r#"crypto random shapes"#,
            r#"[crypto.randomBytes(16).length, Buffer.isBuffer(crypto.randomBytes(3)), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()), crypto.getRandomValues(new Uint8Array(8)).length]"#,
            r#"[16, true, true, 8]"#,
        ),
        (
            r#"crypto hmac second digest"#,
            r#"(function () { var m = crypto.createHmac('md5', 'k'); m.update('x'); m.digest('hex'); return m.digest('hex'); })()"#,
            r#""""#,
        ),
    ])
    .await;
}

#[tokio::test]
async fn querystring_matches_node() {
    check(&[
        (
            r#"querystring stringify"#,
            r#"querystring.stringify({ a: [1, 2], b: 'x y', c: null, d: undefined, e: { f: 1 }, g: true, h: NaN, i: "é!*()'~", j: [] })"#,
            r#""a=1&a=2&b=x%20y&c=&d=&e=&g=true&h=&i=%C3%A9!*()'~""#,
        ),
        (
            r#"querystring stringify sep"#,
            r#"querystring.stringify({ a: 1, b: 'c' }, ';', ':')"#,
            r#""a:1;b:c""#,
        ),
        (
            r#"querystring parse"#,
            r#"Object.assign({}, querystring.parse('a=1&a=2&b=x+y&c&=d&&e=%E9&f=%ZZ&g=%C3&='))"#,
            r#"{"a": ["1", "2"], "b": "x y", "c": "", "": ["d", ""], "e": "�", "f": "%ZZ", "g": "�"}"#,
        ),
        (
            r#"querystring parse sep maxKeys"#,
            r#"[Object.assign({}, querystring.parse('a:1;b:2', ';', ':')), Object.keys(querystring.parse('a=1&b=2&c=3', null, null, { maxKeys: 2 })), Object.getPrototypeOf(querystring.parse('a=1')) === null]"#,
            r#"[{"a": "1", "b": "2"}, ["a", "b"], true]"#,
        ),
        (
            r#"querystring escape"#,
            r#"[querystring.escape('a b&é'), querystring.unescape('a%20b+c'), querystring.unescape('%ZZ%41')]"#,
            r#"["a%20b%26%C3%A9", "a b+c", "%ZZA"]"#,
        ),
    ])
    .await;
}

#[tokio::test]
async fn qs_matches_the_npm_module() {
    check(&[
        (
            r#"qs stringify"#,
            r#"qs.stringify({ a: { b: { c: 'd' } }, e: [1, 2], f: null, g: undefined, h: "x y!()*", i: true, j: [], k: new Date(0), l: {} })"#,
            r#""a%5Bb%5D%5Bc%5D=d&e%5B0%5D=1&e%5B1%5D=2&f=&h=x%20y%21%28%29%2A&i=true&k=1970-01-01T00%3A00%3A00.000Z""#,
        ),
        (
            r#"qs stringify options"#,
            r#"[qs.stringify({ a: [1, 2] }, { arrayFormat: 'brackets' }), qs.stringify({ a: [1, 2] }, { arrayFormat: 'repeat' }), qs.stringify({ a: [1, 2] }, { indices: false }), qs.stringify({ a: { b: 1 } }, { encode: false }), qs.stringify({ a: { b: 'c d' } }, { encodeValuesOnly: true }), qs.stringify({ a: 1, b: null }, { addQueryPrefix: true, strictNullHandling: true }), qs.stringify({ a: 1, b: null }, { skipNulls: true, delimiter: ';' }), qs.stringify({ a: { b: 1 } }, { allowDots: true }), qs.stringify({ a: 'b c' }, { format: 'RFC1738' }), qs.stringify('x')]"#,
            r#"["a%5B%5D=1&a%5B%5D=2", "a=1&a=2", "a=1&a=2", "a[b]=1", "a[b]=c%20d", "?a=1&b", "a=1", "a.b=1", "a=b+c", ""]"#,
        ),
        (
            r#"qs parse"#,
            r#"qs.parse('a[b][c]=d&e[]=1&e[]=2&f[1]=x&f[3]=y&g[21]=z&h=1&h=2&i&j=a+b%20c&k=%ZZ')"#,
            r#"{"a": {"b": {"c": "d"}}, "e": ["1", "2"], "f": ["x", "y"], "g": {"21": "z"}, "h": ["1", "2"], "i": "", "j": "a b c", "k": "%ZZ"}"#,
        ),
        (
            r#"qs parse edges"#,
            r#"[qs.parse('a[b][c][d][e][f][g][h]=i'), qs.parse('?a=1', { ignoreQueryPrefix: true }), qs.parse('a.b=c', { allowDots: true }), qs.parse('a=1&a[b]=2'), qs.parse('a[b]=2&a=1'), qs.parse('__proto__[x]=1&toString=2&hasOwnProperty=3&ok=4'), qs.parse('a=1;b=2', { delimiter: ';' }), qs.parse('a[]=1&a[0]=2'), qs.parse('a[0]=b&a[x]=c'), qs.parse('i', { strictNullHandling: true }), qs.parse('a=1&b=2&c=3', { parameterLimit: 2 }), qs.parse('a[=1&]b=2&[c]=3&d]=4'), qs.parse({ a: 'b' }), qs.parse('')]"#,
            r#"[{"a": {"b": {"c": {"d": {"e": {"f": {"[g][h]": "i"}}}}}}}, {"a": "1"}, {"a": {"b": "c"}}, {"a": ["1", {"b": "2"}]}, {"a": {"1": true, "b": "2"}}, {"ok": "4"}, {"a": "1", "b": "2"}, {"a": ["1", "2"]}, {"a": {"0": "b", "x": "c"}}, {"i": null}, {"a": "1", "b": "2"}, {"a[": "1", "]b": "2", "c": "3", "d]": "4"}, {"a": "b"}, {}]"#,
        ),
    ])
    .await;
}

#[tokio::test]
async fn util_matches_node() {
    check(&[
        (
            r#"util"#,
            r#"[util.format('%s=%d %j', 'a', 42, { x: 1 }), util.inspect({ a: [1, { b: 2 }] }), typeof util.promisify.custom, util.isDeepStrictEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), util.isDeepStrictEqual({ a: 1 }, { a: '1' }), util.types.isDate(new Date()), (function () { try { util.promisify(5); } catch (e) { return [e.name, e.code, e.message]; } })()]"#,
            r#"["a=42 {\"x\":1}", "{ a: [ 1, { b: 2 } ] }", "symbol", true, false, true, ["TypeError", "ERR_INVALID_ARG_TYPE", "The \"original\" argument must be of type function. Received type number (5)"]]"#,
        ),
    ])
    .await;
}

#[tokio::test]
async fn url_matches_node() {
    check(&[
        (
            r#"url legacy parse"#,
            r#"Object.assign({}, url.parse('http://user:pw@Example.com:8080/p/a?x=1&y=2#h'))"#,
            r##"{"protocol": "http:", "slashes": true, "auth": "user:pw", "host": "example.com:8080", "port": "8080", "hostname": "example.com", "hash": "#h", "search": "?x=1&y=2", "query": "x=1&y=2", "pathname": "/p/a", "path": "/p/a?x=1&y=2", "href": "http://user:pw@example.com:8080/p/a?x=1&y=2#h"}"##,
        ),
        (
            r#"url parse query"#,
            r#"[Object.assign({}, url.parse('/p?x=1&x=2', true).query), url.parse('/p', true).search, url.parse('https:/one-slash.com/x').host, url.parse('http://a.com').constructor.name]"#,
            r#"[{"x": ["1", "2"]}, null, null, "Url"]"#,
        ),
        (
            r#"url format"#,
            r#"[url.format({ protocol: 'https', hostname: 'example.com', pathname: '/a b', query: { x: '1 2', y: [1, 2] } }), url.format(url.parse('http://a.com/x?y=1#z')), url.format(new URL('http://a.com/é?x=1')), url.format({ protocol: 'http:', host: 'h.com', pathname: 'p', hash: 'f', search: 'q=1' })]"#,
            r#"["https://example.com/a b?x=1%202&y=1&y=2", "http://a.com/x?y=1#z", "http://a.com/%C3%A9?x=1", "http://h.com/p?q=1#f"]"#,
        ),
        (
            r#"url resolve"#,
            r#"[url.resolve('/one/two/three', 'four'), url.resolve('http://example.com/', '/one'), url.resolve('http://example.com/one', '/two')]"#,
            r#"["/one/two/four", "http://example.com/one", "http://example.com/two"]"#,
        ),
        (
            r#"URL"#,
            r#"(function () { var u = new URL('https://user:pw@example.com:8443/a/b?x=1&y=a+b#frag'); var first = [u.href, u.origin, u.protocol, u.username, u.host, u.hostname, u.port, u.pathname, u.search, u.hash, u.searchParams.get('y'), Array.from(u.searchParams)]; u.searchParams.append('z', '1 2&3'); var second = [u.search, u.href]; u.pathname = '/c d'; u.port = '443'; return [first, second, u.href, String(u), JSON.stringify({ u: u })]; })()"#,
            r##"[["https://user:pw@example.com:8443/a/b?x=1&y=a+b#frag", "https://example.com:8443", "https:", "user", "example.com:8443", "example.com", "8443", "/a/b", "?x=1&y=a+b", "#frag", "a b", [["x", "1"], ["y", "a b"]]], ["?x=1&y=a+b&z=1+2%263", "https://user:pw@example.com:8443/a/b?x=1&y=a+b&z=1+2%263#frag"], "https://user:pw@example.com/c%20d?x=1&y=a+b&z=1+2%263#frag", "https://user:pw@example.com/c%20d?x=1&y=a+b&z=1+2%263#frag", "{\"u\":\"https://user:pw@example.com/c%20d?x=1&y=a+b&z=1+2%263#frag\"}"]"##,
        ),
        (
            r#"URL errors and relative"#,
            r#"[(function () { try { new URL('nope'); } catch (e) { return [e.name, e.code, e.message, e.input]; } })(), new URL('../x?y#z', 'http://h.com/a/b/c').href, URL.canParse('x:'), URL.canParse('/x')]"#,
            r#"[["TypeError", "ERR_INVALID_URL", "Invalid URL", "nope"], "http://h.com/a/x?y#z", true, false]"#,
        ),
    ])
    .await;
}

#[tokio::test]
async fn url_search_params_match_node() {
    check(&[
        (
            r#"URLSearchParams"#,
            r#"(function () { var p = new URLSearchParams({ a: '1', b: 'x y' }); p.sort(); var q = new URLSearchParams('?a=1&a=2&b=%ZZ&c=%C3&d=~!*'); q.delete('a'); q.set('e', 'f'); return [p.toString(), p.size, new URLSearchParams('a=1&a=2').getAll('a'), q.toString(), q.has('b'), Array.from(new URLSearchParams([['x', '1'], ['y', '2']]).keys())]; })()"#,
            r#"["a=1&b=x+y", 2, ["1", "2"], "b=%25ZZ&c=%EF%BF%BD&d=%7E%21*&e=f", true, ["x", "y"]]"#,
        ),
    ])
    .await;
}

#[tokio::test]
async fn buffer_module_atob_and_btoa_match_node() {
    check(&[
        (
            r#"buffer module and atob"#,
            r#"[require('buffer').Buffer === Buffer, btoa('hé'), atob(' aGk= '), (function () { try { btoa('€'); } catch (e) { return e.name; } })()]"#,
            r#"[true, "aOk=", "hi", "InvalidCharacterError"]"#,
        ),
    ])
    .await;
}

#[tokio::test]
async fn require_accepts_version_pins_and_node_prefixes_and_returns_the_legacy_globals() {
    let got = common::eval(
        "[require('bcrypt@0.8.5') === require('bcrypt'), require('bcrypt') === bcrypt, require('node:crypto') === crypto, require('crypto@1.0.1') === crypto, require('querystring') === querystring, require('request@2.88.0') === request, require('url').URL === URL, require('node:util') === require('util'), typeof require('bcryptjs@2.4.3').compareSync]",
    )
    .await;
    assert_eq!(got, json!([true, true, true, true, true, true, true, true, "function"]));
}

#[tokio::test]
async fn missing_modules_fail_like_node_and_say_why() {
    let got = common::eval(
        "['fs', 'child_process', 'os', 'mysql@2.18.1', 'node:bcrypt', 'node:fs', '', 42].map(function (id) { try { require(id); return 'loaded'; } catch (e) { return [e.name, e.code, e.message]; } })",
    )
    .await;
    let provided = "bcrypt, bcryptjs, buffer, crypto, qs, querystring, request, url, util";
    let host = "Ferry's sandbox gives scripts no access to files, processes, sockets or the environment (use request for HTTP)";
    assert_eq!(
        got,
        json!([
            ["Error", "MODULE_NOT_FOUND", format!("Cannot find module 'fs': {host}")],
            [
                "Error",
                "MODULE_NOT_FOUND",
                format!("Cannot find module 'child_process': {host}")
            ],
            ["Error", "MODULE_NOT_FOUND", format!("Cannot find module 'os': {host}")],
            [
                "Error",
                "MODULE_NOT_FOUND",
                format!(
                    "Cannot find module 'mysql@2.18.1': not available in Ferry's sandbox, which provides {provided}"
                )
            ],
            [
                "Error",
                "ERR_UNKNOWN_BUILTIN_MODULE",
                "No such built-in module: node:bcrypt"
            ],
            [
                "Error",
                "MODULE_NOT_FOUND",
                format!("Cannot find module 'node:fs': {host}")
            ],
            [
                "TypeError",
                "ERR_INVALID_ARG_VALUE",
                "The argument 'id' must be a non-empty string. Received ''"
            ],
            [
                "TypeError",
                "ERR_INVALID_ARG_TYPE",
                "The \"id\" argument must be of type string. Received type number (42)"
            ]
        ])
    );

    // uncaught, it is the script's crash, at the line of the require
    let outcome = run(
        "function login(email, password, callback) {\n  var mysql = require('mysql');\n  callback();\n}",
        vec![],
    )
    .await;
    let CallResult::Threw(e) = &outcome.result else {
        panic!("expected Threw, got {:?}", outcome.result);
    };
    assert_eq!(e.name, "Error");
    assert!(e.message.starts_with("Cannot find module 'mysql'"), "{}", e.message);
    assert_eq!(e.line, Some(2));
}

#[tokio::test]
async fn bcrypt_hashes_and_compares_like_node() {
    let got = common::eval(
        r#"(function () {
  var bcrypt = require('bcrypt');
  var hash = bcrypt.hashSync('s3cret', 4);
  var salt = bcrypt.genSaltSync(5, 'a');
  var php = '$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a';
  var errors = [function () { bcrypt.hashSync('x'); }, function () { bcrypt.hashSync('x', 'nope'); }, function () { bcrypt.hashSync({}, 4); }, function () { bcrypt.genSaltSync(4, 'c'); }, function () { bcrypt.getRounds('x'); }].map(function (f) { try { f(); return 'no error'; } catch (e) { return e.message; } });
  return [
    hash.slice(0, 7), hash.length, bcrypt.compareSync('s3cret', hash), bcrypt.compareSync('S3cret', hash),
    salt.slice(0, 7), salt.length, bcrypt.getRounds(hash),
    bcrypt.hashSync('U*U', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.'),
    bcrypt.hashSync(Buffer.from('U*U'), '$2a$05$CCCCCCCCCCCCCCCCCCCCC.'),
    bcrypt.compareSync('rasmuslerdorf', php), bcrypt.compareSync('rasmuslerdorf', php.replace('$2y$', '$2b$')),
    bcrypt.compareSync('rasmuslerdorf', 'not a hash'),
    errors
  ];
})()"#,
    )
    .await;
    assert_eq!(
        got,
        json!([
            "$2b$04$",
            60,
            true,
            false,
            "$2a$05$",
            29,
            4,
            "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
            "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
            false,
            true,
            false,
            [
                "data and salt arguments required",
                "Invalid salt. Salt must be in the form of: $Vers$log2(NumRounds)$saltvalue",
                "data must be a string or Buffer and salt must either be a salt string or a number of rounds",
                "minor must be either \"a\" or \"b\"",
                "invalid hash provided"
            ]
        ])
    );
}

#[tokio::test]
async fn bcryptjs_accepts_php_hashes_and_words_its_errors_its_way() {
    let got = common::eval(
        r#"(function () {
  var bcryptjs = require('bcryptjs');
  var php = '$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a';
  var hash = bcryptjs.hashSync('pw', 4);
  var errors = [function () { bcryptjs.hashSync('x', 'nope'); }, function () { bcryptjs.hashSync(1, 4); }, function () { bcryptjs.compareSync('x', 'y'.repeat(60)); }].map(function (f) { try { f(); return 'no error'; } catch (e) { return e.message; } });
  return [bcryptjs.compareSync('rasmuslerdorf', php), bcryptjs.compareSync('nope', php), hash.slice(0, 7), bcryptjs.compareSync('pw', hash), bcryptjs.compareSync('pw', 'short'), bcryptjs.getRounds(php), bcryptjs.getSalt(php), errors];
})()"#,
    )
    .await;
    assert_eq!(
        got,
        json!([
            true,
            false,
            "$2a$04$",
            true,
            false,
            10,
            "$2y$10$.vGA1O9wmRjrwAVXD98HNO",
            [
                "Invalid salt version: no",
                "Illegal arguments: number, string",
                "Invalid salt version: yy"
            ]
        ])
    );
}

#[tokio::test]
async fn asynchronous_apis_call_back_later_or_resolve() {
    let outcome = run(
        r#"async function login(email, password, callback) {
  var order = [];
  bcrypt.hash(password, 4, function (err, hash) {
    order.push('hash callback');
    bcrypt.compare(password, hash, async function (err, same) {
      var viaPromise = await bcrypt.compare('wrong', hash);
      var salt = await require('bcrypt').genSalt(6);
      var bad = await bcrypt.hash(password, 'bad salt').catch(function (e) { return e.message; });
      crypto.pbkdf2(password, 'salt', 10, 8, 'sha256', function (err, key) {
        crypto.randomBytes(4, function (err, random) {
          callback(null, { order: order, same: same, viaPromise: viaPromise, salt: salt.slice(0, 7), bad: bad, key: key.toString('hex'), random: random.length });
        });
      });
    });
  });
  order.push('after hash()');
  var missing = await new Promise(function (resolve) { bcrypt.hash(null, 4, function (err) { resolve(err.message); }); });
  order.push(missing);
}"#,
        vec![json!("a@example.com"), json!("pw")],
    )
    .await;
    let got = value(&outcome);
    assert_eq!(
        got["order"],
        json!(["after hash()", "data and salt arguments required", "hash callback"])
    );
    assert_eq!(got["same"], json!(true));
    assert_eq!(got["viaPromise"], json!(false));
    assert_eq!(got["salt"], json!("$2b$06$"));
    assert_eq!(
        got["bad"],
        json!("Invalid salt. Salt must be in the form of: $Vers$log2(NumRounds)$saltvalue")
    );
    // Node: crypto.pbkdf2Sync('pw', 'salt', 10, 8, 'sha256').toString('hex')
    assert_eq!(got["key"], json!("72aecd14244887c3"));
    assert_eq!(got["random"], json!(4));
}

#[tokio::test]
async fn a_bcrypt_cost_that_cannot_finish_in_time_ends_the_call_as_timed_out() {
    let sandbox = Sandbox::new(SandboxConfig {
        time_limit: Duration::from_secs(3),
        ..SandboxConfig::default()
    });
    let started = Instant::now();
    let outcome = sandbox
        .run(call(
            "function login(email, password, callback) {\n  try { bcrypt.hashSync(password, '$2b$31$abcdefghijklmnopqrstuu'); } catch (e) { callback(null, 'caught'); }\n}",
            vec![json!("a@example.com"), json!("pw")],
        ))
        .await;
    assert_eq!(outcome.result, CallResult::TimedOut);
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert!(
        outcome.console[0]
            .text
            .starts_with("[sandbox] bcrypt cost 31 would take about"),
        "{:?}",
        outcome.console
    );
}

#[tokio::test]
async fn pbkdf2_with_huge_iteration_counts_stops_at_the_time_limit() {
    let sandbox = Sandbox::new(SandboxConfig {
        time_limit: Duration::from_millis(500),
        ..SandboxConfig::default()
    });
    let started = Instant::now();
    let outcome = sandbox
        .run(call(
            "function f(callback) { try { crypto.pbkdf2Sync('p', 's', 2147483647, 64, 'sha512'); } catch (e) {} callback(null, 'finished'); }",
            vec![],
        ))
        .await;
    assert_eq!(outcome.result, CallResult::TimedOut);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn outputs_beyond_the_memory_limit_are_out_of_memory() {
    let sandbox = Sandbox::new(SandboxConfig {
        memory_limit: 8 * 1024 * 1024,
        ..SandboxConfig::default()
    });
    for script in [
        "function f(callback) { crypto.randomBytes(100 * 1024 * 1024); callback(); }",
        "function f(callback) { crypto.pbkdf2Sync('p', 's', 1, 2147483647, 'sha1'); callback(); }",
    ] {
        let outcome = sandbox.run(call(script, vec![])).await;
        assert_eq!(outcome.result, CallResult::OutOfMemory, "{script}");
    }
}
