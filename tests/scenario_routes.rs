//! What the scenario format's `routes:`, `tls:` and `placeholders:` refuse before anything runs,
//! each with the file, the line where it has one, and the reason.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

/// Writes the scenario `text` as `name.yaml` beside a `scripts/login.js`, in a directory of its
/// own: the tests run in parallel, and a script rewritten under another test's feet read empty.
fn scratch(name: &str, text: &str) -> PathBuf {
    static MADE: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "ferry-scenario-routes-{}-{}",
        std::process::id(),
        MADE.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(dir.join("scripts")).expect("scratch dir");
    std::fs::write(
        dir.join("scripts/login.js"),
        "function login(email, password, callback) {\n  var url = 'https://{yourOktaDomain}/api/v1/authn';\n  console.log(url);\n  callback();\n}\n",
    )
    .expect("script");
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, text).expect("scenario");
    path
}

async fn start_error(name: &str, text: &str) -> String {
    let path = scratch(name, text);
    match ferry::scenario::run_file(&path).await {
        Ok(report) => panic!("{name}: ran ({} steps), expected an error", report.steps.len()),
        Err(e) => e.to_string().replace(&path.display().to_string(), "FILE"),
    }
}

const STEPS: &str = "steps:\n  - user: { email: a@example.com, exists: false }\n";

#[tokio::test]
async fn bad_routes_and_placeholders_are_refused_with_their_reason() {
    let cases = [
        (
            "route_to_a_mock_not_running",
            format!("routes:\n  idp.acme.com: okta\n{STEPS}"),
            "FILE:2: routes: idp.acme.com goes to okta, but the scenario runs no okta mock (add an `okta:` section)",
        ),
        (
            "route_of_an_address",
            format!("routes:\n  10.0.0.1: auth0\n{STEPS}"),
            "FILE:2: routes: a route names a host, not an IP address (routes take a host name or `*.` and a domain, and one of okta, stormpath, gigya, auth0)",
        ),
        (
            "route_with_a_port",
            format!("routes:\n  \"idp.acme.com:8443\": auth0\n{STEPS}"),
            "FILE:2: routes: a route names a host without a port (every port of the host is routed) (routes take a host name or `*.` and a domain, and one of okta, stormpath, gigya, auth0)",
        ),
        (
            "placeholder_nowhere",
            format!(
                "auth0:\n  connection:\n    name: c\n    scripts: {{ login: scripts/login.js }}\n    placeholders: {{ \"{{yourOktaDomian}}\": acme.okta.com }}\n{STEPS}"
            ),
            "FILE: auth0.connection.placeholders: \"{yourOktaDomian}\" occurs in none of the connection's scripts",
        ),
    ];
    let mut wrong = vec![];
    for (name, text, want) in cases {
        let got = start_error(name, &text).await;
        if got != want {
            wrong.push(format!("{name}:\n  got  {got}\n  want {want}"));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[tokio::test]
async fn a_filled_placeholder_reaches_the_script_and_the_file_stays_as_it_was() {
    let text = "okta:\n  users: []\nauth0:\n  connection:\n    name: c\n    scripts: { login: scripts/login.js }\n    placeholders: { \"{yourOktaDomain}\": acme.okta.com }\nsteps:\n  - login: { username: a@example.com, password: pw, expect: { status: 403 } }\n  - script: { script: login, outcome: not_found }\n";
    let path = scratch("placeholder_filled", text);
    let before = std::fs::read(path.with_file_name("scripts/login.js")).expect("script");
    let report = ferry::scenario::run_file(&path).await.expect("runs");
    assert!(report.passed(), "{}", report.render(true));
    let console: Vec<&str> = report.scripts[0].console.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        console,
        vec!["https://acme.okta.com/api/v1/authn"],
        "the filled script ran"
    );
    assert_eq!(
        std::fs::read(path.with_file_name("scripts/login.js")).expect("script"),
        before
    );
}
