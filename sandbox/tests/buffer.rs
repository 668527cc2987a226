//! `Buffer` against Node 20: every expected value below was computed with
//! `node -e 'console.log(JSON.stringify(<expression>))'` on Node v20.20.2.

mod common;

use common::value;
use serde_json::Value;

const CASES: &[(&str, &str)] = &[
    (
        r#"new Buffer('jörg:pässwörd').toString('base64')"#,
        r#""asO2cmc6cMOkc3N3w7ZyZA==""#,
    ),
    (
        r#"Buffer.from('jörg:pässwörd', 'utf8').toString('base64')"#,
        r#""asO2cmc6cMOkc3N3w7ZyZA==""#,
    ),
    (
        r#"Buffer.from('asO2cmc6cMOkc3N3w7ZyZA==', 'base64').toString('utf8')"#,
        r#""jörg:pässwörd""#,
    ),
    (
        r#"Buffer.from('Zürich – 東京 😀').toString('base64')"#,
        r#""WsO8cmljaCDigJMg5p2x5LqsIPCfmIA=""#,
    ),
    (
        r#"Buffer.from('Zürich – 東京 😀').toString('hex')"#,
        r#""5ac3bc7269636820e2809320e69db1e4baac20f09f9880""#,
    ),
    (
        r#"Buffer.from(Buffer.from('Zürich – 東京 😀').toString('base64'), 'base64').toString()"#,
        r#""Zürich – 東京 😀""#,
    ),
    (r#"Buffer.from('😀 ok').toString('base64url')"#, r#""8J-YgCBvaw""#),
    (r#"Buffer.from('8J-YgCBvaw', 'base64url').toString()"#, r#""😀 ok""#),
    (r#"Buffer.from('8J+YgCBvaw==', 'base64url').toString()"#, r#""😀 ok""#),
    (
        r#"Buffer.from('user@example.com:p@ss:wörd').toString('base64')"#,
        r#""dXNlckBleGFtcGxlLmNvbTpwQHNzOnfDtnJk""#,
    ),
    (
        r#"'Basic ' + new Buffer('admin:s3cr3t').toString('base64')"#,
        r#""Basic YWRtaW46czNjcjN0""#,
    ),
    (r#"Buffer.from('\ud800x').toString('hex')"#, r#""efbfbd78""#),
    (r#"Buffer.from('jörg', 'latin1').toString('hex')"#, r#""6af67267""#),
    (r#"Buffer.from('jörg', 'binary').toString('base64')"#, r#""avZyZw==""#),
    (
        r#"Buffer.from([0x6a, 0xf6, 0x72, 0x67]).toString('latin1')"#,
        r#""jörg""#,
    ),
    (
        r#"Buffer.from([0xe9, 0x80, 0xff, 0x41]).toString('ascii')"#,
        r#""i\u0000A""#,
    ),
    (r#"Buffer.from('hé€', 'utf16le').toString('hex')"#, r#""6800e900ac20""#),
    (r#"Buffer.from('6800e900ac20', 'hex').toString('ucs2')"#, r#""hé€""#),
    (r#"Buffer.from([0xe9, 0x41, 0xf0, 0x9f, 0x98]).toString()"#, r#""�A�""#),
    (r#"Buffer.from('68656c6c6f', 'hex').toString()"#, r#""hello""#),
    (r#"Buffer.from('hello').toString('hex', 1, 3)"#, r#""656c""#),
    (r#"Buffer.from('hello').toString(undefined, -1, 100)"#, r#""hello""#),
    (r#"Buffer.from('hello world').slice(-5).toString()"#, r#""world""#),
    (r#"Buffer.from('hello world').subarray(0, 5).toString()"#, r#""hello""#),
    (
        r#"Buffer.from('abc').toJSON()"#,
        r#"{"type":"Buffer","data":[97,98,99]}"#,
    ),
    (
        r#"JSON.stringify({ b: Buffer.from('hi') })"#,
        r#""{\"b\":{\"type\":\"Buffer\",\"data\":[104,105]}}""#,
    ),
    (r#"Buffer.from('hello').length"#, r#"5"#),
    (r#"Buffer.byteLength('jörg:pässwörd')"#, r#"16"#),
    (r#"Buffer.byteLength('aGVsbG8=', 'base64')"#, r#"5"#),
    (r#"Buffer.byteLength('😀', 'utf16le')"#, r#"4"#),
    (
        r#"Buffer.concat([Buffer.from('jö'), Buffer.from('rg')]).toString()"#,
        r#""jörg""#,
    ),
    (r#"Buffer.concat([Buffer.from('abc')], 2).toString()"#, r#""ab""#),
    (r#"Buffer.isBuffer(Buffer.alloc(1))"#, r#"true"#),
    (r#"Buffer.isBuffer(new Uint8Array(1))"#, r#"false"#),
    (r#"Buffer.from('abc') instanceof Uint8Array"#, r#"true"#),
    (r#"Buffer.from('abc').equals(Buffer.from('abc'))"#, r#"true"#),
    (r#"Buffer.from('abc').equals(Buffer.from('abd'))"#, r#"false"#),
    (r#"Buffer.compare(Buffer.from('a'), Buffer.from('b'))"#, r#"-1"#),
    (r#"Array.from(Buffer.alloc(5, 'ab'))"#, r#"[97,98,97,98,97]"#),
    (
        r#"Array.from(Buffer.alloc(4, 'aGk=', 'base64'))"#,
        r#"[104,105,104,105]"#,
    ),
    (r#"Array.from(new Buffer([256, -1, 1.5, 'a']))"#, r#"[0,255,1,0]"#),
    (
        r#"Array.from(Buffer.from(new Uint16Array([0x1234, 0x5678])))"#,
        r#"[52,120]"#,
    ),
    (
        r#"Array.from(Buffer.from(new Uint16Array([0x1234]).buffer))"#,
        r#"[52,18]"#,
    ),
    (
        r#"Array.from(Buffer.from({ type: 'Buffer', data: [1, 2] }))"#,
        r#"[1,2]"#,
    ),
    (r#"Buffer.from(new String('hey')).toString()"#, r#""hey""#),
    (r#"Buffer.from('hello')[1]"#, r#"101"#),
    (r#"Buffer.from('hello').indexOf('l')"#, r#"2"#),
    (r#"Buffer.from('hello').includes('ell')"#, r#"true"#),
    (r#"Buffer.from([1, 2, 3, 4]).readUInt32BE(0)"#, r#"16909060"#),
    (r#"Buffer.from([1, 2, 3, 4]).readUInt16LE(1)"#, r#"770"#),
    (
        r#"Buffer.from('aGVsbG8gd29ybGQ', 'base64').toString()"#,
        r#""hello world""#,
    ),
    (r#"Buffer.isEncoding('UTF-8')"#, r#"true"#),
    (r#"Buffer.isEncoding('nope')"#, r#"false"#),
    (
        r#"(function () { var b = Buffer.alloc(6); var n = b.write('héllo', 1); return [n, b.toString('hex')]; })()"#,
        r#"[5,"0068c3a96c6c"]"#,
    ),
    (
        r#"(function () { try { Buffer.from('x', 'nope'); } catch (e) { return [e.name, e.code, e.message]; } })()"#,
        r#"["TypeError","ERR_UNKNOWN_ENCODING","Unknown encoding: nope"]"#,
    ),
    (
        r#"(function () { try { Buffer.from(5); } catch (e) { return [e.name, e.code, e.message]; } })()"#,
        r#"["TypeError","ERR_INVALID_ARG_TYPE","The first argument must be of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object. Received type number (5)"]"#,
    ),
    (
        r#"(function () { try { Buffer.from({}); } catch (e) { return [e.name, e.code, e.message]; } })()"#,
        r#"["TypeError","ERR_INVALID_ARG_TYPE","The first argument must be of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object. Received an instance of Object"]"#,
    ),
    (
        r#"Buffer.from('hello').map(function (x) { return x + 1; }).toString()"#,
        r#""ifmmp""#,
    ),
    (
        r#"Buffer.from('AQID', 'base64').reverse().toString('hex')"#,
        r#""030201""#,
    ),
    (r#"btoa('hello')"#, r#""aGVsbG8=""#),
];

#[tokio::test]
async fn buffer_matches_node() {
    let list: Vec<String> = CASES
        .iter()
        .map(|(expr, _)| format!("JSON.stringify({expr})"))
        .collect();
    let source = format!(
        "function run(callback) {{\n  callback(null, [\n    {}\n  ]);\n}}",
        list.join(",\n    ")
    );
    let outcome = common::run(&source, vec![]).await;
    let Value::Array(results) = value(&outcome) else {
        panic!("expected an array, got {:?}", outcome.result);
    };
    let mut failures = Vec::new();
    for ((expr, expected), got) in CASES.iter().zip(&results) {
        // Compare parsed JSON so that escaping differences do not matter.
        let got: Value = got
            .as_str()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or(Value::Null);
        let want: Value = serde_json::from_str(expected).unwrap_or(Value::Null);
        if got != want {
            failures.push(format!("{expr}\n   node: {want}\n   here: {got}"));
        }
    }
    assert_eq!(results.len(), CASES.len());
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn non_ascii_credentials_round_trip_through_base64() {
    // node -e "console.log(new Buffer('jörg:pässwörd').toString('base64'))"
    let outcome = common::run(
        "function login(user, password, callback) {\n  var header = 'Basic ' + new Buffer(user + ':' + password).toString('base64');\n  var back = new Buffer(header.slice(6), 'base64').toString();\n  callback(null, [header, back]);\n}",
        vec!["jörg".into(), "pässwörd".into()],
    )
    .await;
    assert_eq!(
        value(&outcome),
        serde_json::json!(["Basic asO2cmc6cMOkc3N3w7ZyZA==", "jörg:pässwörd"])
    );
}
