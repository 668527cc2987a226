//! Browser tests: the mock Auth0's hosted login page ("Try Connection") and the dashboard of
//! `ferry serve`, in a real headless Chromium driven over WebDriver.
//!
//! They need Debian's `chromium` and `chromium-driver` (`apt-get install -y chromium
//! chromium-driver`; `FERRY_CHROMIUM` and `FERRY_CHROMEDRIVER` name other binaries). Without
//! them each test prints a `SKIPPED (Chromium not installed)` line and passes, unless
//! `FERRY_REQUIRE_BROWSER=1` (CI), which makes it fail.
//!
//! Run: `cargo test --test browser`. Each test starts chromedriver on a free port and Chromium
//! (a 1280×800 window, the size the dashboard is held to) with a fresh profile in a temporary
//! directory; both are stopped when the test ends, failed or not. A failing wait prints the
//! page's text, which is usually enough to see why. Screenshots of what the tests check are
//! written to `target/browser-screenshots/` (or `FERRY_BROWSER_SCREENSHOTS=DIR`); each test
//! prints where.
//!
//! The WebDriver client below is the handful of W3C calls the tests use, over reqwest.

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ferry::dashboard::{self, ManagementClient, MockLink};
use mocks::auth0::Auth0;
use mocks::auth0::seed::{Auth0Seed, ConnectionSeed, UserSeed};
use mocks::kit::clock::Clock;
use mocks::okta::Okta;
use mocks::{Kit, LOOPBACK_EPHEMERAL, MockServer, Provider};
use serde_json::{Value, json};

const EMAIL: &str = "dade.murphy@example.com";
const PASSWORD: &str = "Hunter2!zero";
const CONNECTION: &str = "okta-users";

/// How long a page may take to show what a test waits for (the dashboard polls every 1.5 s).
const WAIT: Duration = Duration::from_secs(20);

// ---- the mocks -----------------------------------------------------------------------------

/// A mock Okta with one user, and a mock Auth0 whose import-mode connection runs the documented
/// Okta scripts against it.
struct Mocks {
    okta: Okta,
    auth0: Auth0,
    okta_server: MockServer,
    auth0_server: MockServer,
}

impl Mocks {
    async fn start() -> Self {
        let okta = Okta::new(Kit::default());
        let seed = serde_json::from_value(json!({
            "users": [{ "login": EMAIL, "password": PASSWORD, "profile": { "firstName": "Dade", "lastName": "Murphy" } }]
        }))
        .expect("Okta seed shape");
        okta.seed(seed).expect("Okta seed");
        let okta_server = mocks::start(okta.clone(), LOOPBACK_EPHEMERAL)
            .await
            .expect("Okta starts");
        let token = okta
            .variables()
            .into_iter()
            .find(|(name, _)| name == "token")
            .map(|(_, value)| value)
            .expect("Okta has an API token");
        let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/okta/scripts");
        let read = |name: &str| std::fs::read_to_string(scripts.join(name)).expect("the scenario script exists");
        let auth0 = Auth0::new(Kit::default());
        // The Management API's default limit (the free tier's 2 a second) is lifted: these tests
        // are about what the dashboard shows, and it reads the tenant faster than that.
        let seed = serde_json::from_value(json!({
            "settings": { "bcrypt_cost": 4, "rate_limits": "off" },
            "connections": [{
                "name": CONNECTION,
                "options": {
                    "enabledDatabaseCustomization": true,
                    "import_mode": true,
                    "customScripts": { "login": read("login.js"), "get_user": read("get_user.js") },
                    "configuration": { "OKTA_URL": okta_server.base_url(), "OKTA_API_TOKEN": token },
                },
            }],
        }))
        .expect("Auth0 seed shape");
        auth0.seed(seed).expect("Auth0 seed");
        let auth0_server = mocks::start(auth0.clone(), LOOPBACK_EPHEMERAL)
            .await
            .expect("Auth0 starts");
        Self {
            okta,
            auth0,
            okta_server,
            auth0_server,
        }
    }

    fn okta_user_id(&self) -> String {
        self.okta.user(EMAIL).expect("the Okta user")["id"]
            .as_str()
            .expect("an Okta id")
            .to_owned()
    }

    /// Requests the mock Okta received.
    fn okta_calls(&self, method: &str, path: &str) -> usize {
        self.okta.kit().journal.find(Some(method), Some(path)).len()
    }

    async fn shutdown(self) {
        self.okta_server.shutdown().await;
        self.auth0_server.shutdown().await;
    }
}

// ---- Chromium over WebDriver ---------------------------------------------------------------

/// `name` on the PATH, or the path an environment variable gives.
fn find_binary(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Where screenshots go: `FERRY_BROWSER_SCREENSHOTS`, else `browser-screenshots/` in the
/// target directory.
fn screenshot_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FERRY_BROWSER_SCREENSHOTS") {
        return PathBuf::from(dir);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("browser-screenshots")
}

/// chromedriver and Chromium, or `None` after saying the test is skipped.
fn browser_binaries() -> Option<(PathBuf, PathBuf)> {
    let driver = find_binary("FERRY_CHROMEDRIVER", &["chromedriver"]);
    let chromium = find_binary("FERRY_CHROMIUM", &["chromium", "chromium-browser"]);
    if let (Some(driver), Some(chromium)) = (driver, chromium) {
        return Some((driver, chromium));
    }
    let line = "SKIPPED (Chromium not installed): apt-get install -y chromium chromium-driver";
    assert!(
        std::env::var("FERRY_REQUIRE_BROWSER").as_deref() != Ok("1"),
        "FERRY_REQUIRE_BROWSER=1 and Chromium or chromedriver is missing: apt-get install -y chromium chromium-driver"
    );
    // Straight to stderr: the test harness captures `println!`/`eprintln!` of passing tests.
    let _ = writeln!(std::io::stderr(), "{line}");
    None
}

/// A Chromium session; dropping it closes the browser and stops chromedriver.
struct Browser {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT/session/ID`.
    session: String,
    driver: Child,
    profile: PathBuf,
}

/// The W3C element reference key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    async fn launch(driver_path: &Path, chromium: &Path) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = std::env::temp_dir().join(format!("ferry-chromium-{}-{port}", std::process::id()));
        let http = sandbox::net::client_builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("HTTP client");
        let mut browser = Self {
            http,
            session: String::new(),
            driver,
            profile,
        };
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = browser
                .http
                .get(format!("{base}/status"))
                .send()
                .await
                .ok()
                .and_then(|r| r.error_for_status().ok());
            if let Some(answer) = ready
                && answer.json::<Value>().await.is_ok_and(|v| v["value"]["ready"] == true)
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let capabilities = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": chromium,
                    "args": [
                        "--headless=new",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-dev-shm-usage",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--no-first-run",
                        "--window-size=1280,800",
                        format!("--user-data-dir={}", browser.profile.display()),
                    ],
                },
            }},
        });
        let answer = browser
            .call("POST", &format!("{base}/session"), Some(capabilities))
            .await;
        let id = answer["sessionId"].as_str().expect("a session id").to_owned();
        browser.session = format!("{base}/session/{id}");
        browser
    }

    /// One WebDriver command; its `value`, or a panic with the driver's error.
    async fn call(&self, method: &str, url: &str, body: Option<Value>) -> Value {
        let request = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body.unwrap_or_else(|| json!({}))),
        };
        let answer: Value = request
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .expect("chromedriver answers JSON");
        let value = answer["value"].clone();
        if let Some(error) = value.get("error").filter(|e| !e.is_null()) {
            panic!("WebDriver {method} {url}: {error}: {}", value["message"]);
        }
        value
    }

    async fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.call(method, &format!("{}{path}", self.session), body).await
    }

    async fn goto(&self, url: &str) {
        self.command("POST", "/url", Some(json!({ "url": url }))).await;
    }

    async fn find(&self, css: &str) -> String {
        let found = self
            .command(
                "POST",
                "/element",
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await;
        found[ELEMENT].as_str().expect("an element reference").to_owned()
    }

    async fn try_find(&self, css: &str) -> Option<String> {
        let url = format!("{}/element", self.session);
        let answer: Value = self
            .http
            .post(url)
            .json(&json!({ "using": "css selector", "value": css }))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        answer["value"][ELEMENT].as_str().map(str::to_owned)
    }

    async fn fill(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.command("POST", &format!("/element/{element}/clear"), None).await;
        self.command(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.command("POST", &format!("/element/{element}/click"), None).await;
    }

    /// The rendered text of the first element matching `css` ("" when there is none).
    async fn text(&self, css: &str) -> String {
        let Some(element) = self.try_find(css).await else {
            return String::new();
        };
        let url = format!("{}/element/{element}/text", self.session);
        let answer: Option<Value> = match self.http.get(url).send().await {
            Ok(answer) => answer.json().await.ok(),
            Err(_) => None,
        };
        // A stale element (the page re-rendered it) reads as empty; the caller waits again.
        answer
            .and_then(|a| a["value"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Waits until the text of `css` contains every one of `needles`; returns that text.
    async fn wait_for_text(&self, css: &str, needles: &[&str]) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let text = self.text(css).await;
            if needles.iter().all(|n| text.contains(n)) {
                return text;
            }
            if Instant::now() > deadline {
                let page = self.text("body").await;
                panic!("`{css}` never showed {needles:?}; it shows:\n{text}\n--- the page ---\n{page}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a screenshot of the window as `NAME.png` in the screenshot directory (see
    /// [`screenshot_dir`]) and prints where.
    async fn screenshot(&self, name: &str) {
        use base64::Engine as _;
        let png = self.command("GET", "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .expect("a base64 PNG");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("the screenshot directory is created");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, bytes).expect("the screenshot is written");
        let _ = writeln!(std::io::stderr(), "screenshot: {}", path.display());
    }

    /// A DOM property of the first element matching `css` (`disabled`, `value`, …).
    async fn property(&self, css: &str, name: &str) -> Value {
        let element = self.find(css).await;
        self.command("GET", &format!("/element/{element}/property/{name}"), None)
            .await
    }

    /// How many elements match `css`.
    async fn count(&self, css: &str) -> usize {
        let found = self
            .command(
                "POST",
                "/elements",
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await;
        found.as_array().map_or(0, Vec::len)
    }

    /// Waits until a DOM property of `css` has `value`.
    async fn wait_for_property(&self, css: &str, name: &str, value: Value) {
        let deadline = Instant::now() + WAIT;
        loop {
            let now = self.property(css, name).await;
            if now == value {
                return;
            }
            assert!(Instant::now() < deadline, "`{css}`.{name} stayed {now}, never {value}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Chooses the option with `value` in the `<select>` matching `css` (firing `change`).
    async fn choose(&self, css: &str, value: &str) {
        self.click(&format!("{css} option[value=\"{value}\"]")).await;
    }

    /// Opens a dashboard tab.
    async fn tab(&self, name: &str) {
        self.click(&format!("#tabs a[data-tab=\"{name}\"]")).await;
        self.wait_for_property(&format!("section#{name}"), "className", json!("tab active"))
            .await;
    }

    async fn title(&self) -> String {
        self.command("GET", "/title", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn close(mut self) {
        if !self.session.is_empty() {
            let session = std::mem::take(&mut self.session);
            let _ = self.http.delete(session).send().await;
        }
    }
}

/// `DELETE` on a session, blocking: what a test that panicked still owes chromedriver, which
/// then quits Chromium (killing chromedriver alone would leave Chromium running).
fn delete_session_blocking(session: &str) {
    use std::io::Read as _;
    let Some((host, path)) = session.strip_prefix("http://").and_then(|rest| rest.split_once('/')) else {
        return;
    };
    let Ok(mut stream) = std::net::TcpStream::connect(host) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!("DELETE /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_ok() {
        let _ = stream.read_to_end(&mut Vec::new());
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            delete_session_blocking(&self.session);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

// ---- the tests -----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hosted_login_page_migrates_an_okta_user_and_shows_it_works() {
    let Some((driver, chromium)) = browser_binaries() else {
        return;
    };
    let mocks = Mocks::start().await;
    let browser = Browser::launch(&driver, &chromium).await;
    let authorize = format!(
        "{}/authorize?connection={CONNECTION}&response_type=token&scope=openid%20profile",
        mocks.auth0_server.base_url()
    );
    browser.goto(&authorize).await;
    assert!(browser.title().await.starts_with("Log in"), "the login page opens");
    assert_eq!(browser.text("#connection").await, CONNECTION);

    // A wrong password: the login script asks Okta, which refuses; nobody is created.
    browser.fill("#email", EMAIL).await;
    browser.fill("#password", "not-the-password").await;
    browser.click("#submit").await;
    browser.wait_for_text("#error", &["Wrong email or password."]).await;
    assert!(mocks.auth0.users().is_empty(), "a failed login migrates nobody");

    // The right one: Okta vouches for the user, Auth0 stores it, the tester shows the profile.
    browser.fill("#email", EMAIL).await;
    browser.fill("#password", PASSWORD).await;
    browser.click("#submit").await;
    browser.wait_for_text("h1", &["It Works!"]).await;
    let user_id = format!("auth0|{}", mocks.okta_user_id());
    let shown = browser.wait_for_text("#profile", &[&user_id]).await;
    let profile: Value = serde_json::from_str(&shown).expect("the profile is JSON");
    assert_eq!(profile["user_id"], json!(user_id));
    assert_eq!(profile["email"], json!(EMAIL));
    assert_eq!(profile["name"], json!("Dade Murphy"));
    assert_eq!(profile["identities"][0]["connection"], json!(CONNECTION));
    assert_eq!(profile["logins_count"], json!(1));

    let users = mocks.auth0.users();
    assert_eq!(users.len(), 1, "the user was migrated");
    assert_eq!(users[0]["user_id"], json!(user_id));
    assert_eq!(mocks.okta_calls("POST", "/api/v1/authn"), 2, "both logins asked Okta");
    let kinds: Vec<String> = mocks.auth0.logs().into_iter().map(|l| l.kind).collect();
    assert_eq!(kinds, ["fu", "s"], "the tenant logged a failed and a successful login");

    browser.screenshot("hosted-login-it-works").await;
    browser.close().await;
    mocks.shutdown().await;
}

/// The dashboard's link to a mock Auth0: with its Management application, as `ferry serve`
/// hands it.
fn tenant_link(auth0: &Auth0, server: &MockServer) -> MockLink {
    let (id, secret) = auth0
        .client_credentials(mocks::auth0::MANAGEMENT_APP)
        .expect("the Management application");
    MockLink::new("auth0", server.base_url()).with_management(ManagementClient::new(id, secret))
}

/// A login script that writes to the console and refuses everyone (for the console column).
const CONSOLE_LOGIN: &str = "function login(email, password, callback) {\n  console.log('looking up', email);\n  console.warn('no legacy store behind this connection');\n  callback(new WrongUsernameOrPasswordError(email, 'Wrong email or password.'));\n}";

/// A password-realm login at the Authentication API; its status.
async fn login(http: &reqwest::Client, mocks: &Mocks, realm: &str, password: &str) -> u16 {
    let (client_id, client_secret) = mocks
        .auth0
        .client_credentials(mocks::auth0::DEFAULT_APP)
        .expect("the default application");
    http.post(format!("{}/oauth/token", mocks.auth0_server.base_url()))
        .form(&[
            ("grant_type", "http://auth0.com/oauth/grant-type/password-realm"),
            ("client_id", client_id.as_str()),
            ("client_secret", client_secret.as_str()),
            ("username", EMAIL),
            ("password", password),
            ("realm", realm),
        ])
        .send()
        .await
        .expect("Auth0 answers")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_connections_users_script_runs_jobs_and_a_filtered_journal() {
    let Some((driver, chromium)) = browser_binaries() else {
        return;
    };
    let mocks = Mocks::start().await;
    let seed = serde_json::from_value(json!({
        "connections": [{
            "name": "console-db",
            "options": {
                "enabledDatabaseCustomization": true,
                "import_mode": true,
                "customScripts": { "login": CONSOLE_LOGIN },
            },
        }],
    }))
    .expect("seed shape");
    mocks.auth0.seed(seed).expect("the console connection");
    let board = dashboard::start(
        vec![
            MockLink::new("okta", mocks.okta_server.base_url()),
            tenant_link(&mocks.auth0, &mocks.auth0_server),
        ],
        LOOPBACK_EPHEMERAL,
    )
    .await
    .expect("the dashboard starts");
    let browser = Browser::launch(&driver, &chromium).await;
    browser.goto(board.base_url()).await;
    browser.wait_for_text("#users-empty", &["No users yet."]).await;

    // Connections, each with its "Try connection" link to the hosted login page.
    browser.tab("connections").await;
    browser
        .wait_for_text("#connections-rows", &[CONNECTION, "console-db", "Try connection"])
        .await;
    let href = browser.property("#connections-rows a.try", "href").await;
    let href = url::Url::parse(href.as_str().expect("a link")).expect("a URL");
    let (default_app, _) = mocks
        .auth0
        .client_credentials(mocks::auth0::DEFAULT_APP)
        .expect("the default application");
    assert_eq!(href.path(), "/authorize");
    let pairs: Vec<(String, String)> = href
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert!(
        pairs.contains(&("connection".to_owned(), CONNECTION.to_owned())),
        "{href}"
    );
    assert!(pairs.contains(&("client_id".to_owned(), default_app)), "{href}");
    // It opens the login page for that connection.
    let login_page = sandbox::net::client_builder()
        .build()
        .expect("an HTTP client")
        .get(href.as_str())
        .send()
        .await
        .expect("the login page")
        .text()
        .await
        .expect("HTML");
    assert!(
        login_page.contains(CONNECTION),
        "the link opens the connection's login page"
    );
    // A connection opens on its scripts and options, configuration values masked.
    browser.click("#connections-rows tbody.item tr.main").await;
    let details = browser
        .wait_for_text("#connections-rows", &["function login", "OKTA_API_TOKEN", "[masked]"])
        .await;
    assert!(
        !details.contains(mocks.okta_server.base_url()),
        "configuration values are masked"
    );
    browser.screenshot("dashboard-connections").await;

    // Three logins: a wrong password and the right one (the Okta scripts ask Okta), and one on
    // the connection whose script writes to the console.
    let http = sandbox::net::client_builder().no_proxy().build().expect("HTTP client");
    assert_eq!(login(&http, &mocks, CONNECTION, "not-the-password").await, 403);
    assert_eq!(login(&http, &mocks, CONNECTION, PASSWORD).await, 200);
    assert_eq!(login(&http, &mocks, "console-db", PASSWORD).await, 403);
    let user_id = format!("auth0|{}", mocks.okta_user_id());

    browser.tab("users").await;
    browser
        .wait_for_text("#users-rows", &[EMAIL, &user_id, CONNECTION])
        .await;
    browser.wait_for_text("#users-count", &["1"]).await;
    browser.tab("logs").await;
    browser.wait_for_text("#logs-rows", &["Success Login", EMAIL]).await;

    // Script runs, newest first: outcome, console lines, each HTTP exchange with its status.
    browser.tab("scripts").await;
    browser
        .wait_for_text(
            "#scripts-rows",
            &["console-db", "wrong_credentials", "profile", "401", "200"],
        )
        .await;
    browser.click("#scripts-rows tbody.item:nth-of-type(1) tr.main").await;
    browser
        .wait_for_text(
            "#scripts-rows tbody.item:nth-of-type(1) table.console",
            &[
                "log",
                "looking up dade.murphy@example.com",
                "warn",
                "no legacy store behind this connection",
            ],
        )
        .await;
    browser.click("#scripts-rows tbody.item:nth-of-type(2) tr.main").await;
    let exchange = browser
        .wait_for_text(
            "#scripts-rows tbody.item:nth-of-type(2) table.http",
            &["POST", "/api/v1/authn", "200"],
        )
        .await;
    assert!(
        exchange.contains(mocks.okta_server.base_url()),
        "the URL the script called"
    );
    // Its time, in whole milliseconds as the run records it.
    let run = &mocks.auth0.script_executions()[1];
    assert_eq!(
        browser
            .text("#scripts-rows tbody.item:nth-of-type(2) table.http td.ms")
            .await,
        run.http[0].elapsed.as_millis().to_string()
    );
    browser.screenshot("dashboard-script-runs").await;
    browser.click("#scripts-rows tbody.item:nth-of-type(3) tr.main").await;
    browser
        .wait_for_text("#scripts-rows tbody.item:nth-of-type(3) table.http", &["POST", "401"])
        .await;

    // A bulk import job with failed rows: each error as user, code, message and path.
    let (m2m_id, m2m_secret) = mocks
        .auth0
        .client_credentials(mocks::auth0::MANAGEMENT_APP)
        .expect("the management application");
    let auth0_url = mocks.auth0_server.base_url();
    let token: Value = http
        .post(format!("{auth0_url}/oauth/token"))
        .json(&json!({
            "grant_type": "client_credentials",
            "client_id": m2m_id,
            "client_secret": m2m_secret,
            "audience": format!("{auth0_url}/api/v2/"),
        }))
        .send()
        .await
        .expect("a Management API token")
        .json()
        .await
        .expect("token JSON");
    let token = token["access_token"].as_str().expect("an access token");
    let connection_id = mocks.auth0.connection_id(CONNECTION).expect("the connection id");
    let users_file = json!([
        { "email": "kate.libby@example.com", "email_verified": true },
        { "email": "not-an-email" },
        { "email": "eugene.belford@example.com", "favourite_colour": "green" },
    ])
    .to_string();
    let form = reqwest::multipart::Form::new()
        .part(
            "users",
            reqwest::multipart::Part::text(users_file)
                .file_name("users.json")
                .mime_str("application/json")
                .expect("a MIME type"),
        )
        .text("connection_id", connection_id);
    let job: Value = http
        .post(format!("{auth0_url}/api/v2/jobs/users-imports"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("Auth0 accepts the job")
        .json()
        .await
        .expect("job JSON");
    let job_id = job["id"].as_str().expect("a job id");
    browser.tab("jobs").await;
    browser
        .wait_for_text(
            "#jobs-rows",
            &[job_id, "completed", "1 inserted, 0 updated, 2 failed of 3"],
        )
        .await;
    browser.click("#jobs-rows tbody.item tr.main").await;
    // What the job's errors endpoint lists, row by row, is what the table shows.
    let errors: Value = http
        .get(format!("{auth0_url}/api/v2/jobs/{job_id}/errors"))
        .bearer_auth(token)
        .send()
        .await
        .expect("the job's errors")
        .json()
        .await
        .expect("errors JSON");
    let mut expected: Vec<String> = vec!["not-an-email".into(), "eugene.belford@example.com".into()];
    for row in errors.as_array().expect("failed rows") {
        for error in row["errors"].as_array().expect("errors") {
            for field in ["code", "message", "path"] {
                if let Some(text) = error[field].as_str() {
                    expected.push(text.to_owned());
                }
            }
        }
    }
    assert!(expected.len() > 4, "the errors carry codes and messages: {errors}");
    let needles: Vec<&str> = expected.iter().map(String::as_str).collect();
    browser.wait_for_text("#jobs-rows table.job-errors", &needles).await;
    browser.screenshot("dashboard-import-job-errors").await;
    browser.tab("users").await;
    browser.wait_for_text("#users-rows", &["kate.libby@example.com"]).await;
    browser.wait_for_text("#users-count", &["2"]).await;

    // The journal of every mock, filtered by mock, method, path and status.
    browser.tab("journal").await;
    browser
        .wait_for_text(
            "#journal-rows",
            &["okta", "auth0", "POST", "/api/v1/authn", "/oauth/token"],
        )
        .await;
    browser.choose("#journal-mock", "okta").await;
    browser.choose("#journal-method", "POST").await;
    browser.fill("#journal-path", "authn").await;
    browser.choose("#journal-status", "4xx").await;
    browser.wait_for_text("#journal-summary", &["1 of"]).await;
    assert_eq!(browser.count("#journal-rows tbody.item").await, 1);
    browser
        .wait_for_text("#journal-rows", &["okta", "POST", "/api/v1/authn", "401"])
        .await;
    browser.screenshot("dashboard-journal-filter").await;
    browser.choose("#journal-status", "2xx").await;
    browser.wait_for_text("#journal-rows", &["200"]).await;
    assert_eq!(browser.count("#journal-rows tbody.item").await, 1);
    browser.choose("#journal-mock", "auth0").await;
    browser
        .wait_for_text("#journal-empty", &["No request matches this filter."])
        .await;
    assert_eq!(browser.count("#journal-rows tbody.item").await, 0);

    browser.close().await;
    board.shutdown().await;
    mocks.shutdown().await;
}

/// How many users the search test seeds.
const MANY: usize = 100_000;

/// A mock Auth0 holding `MANY` users, created a millisecond apart (so "newest first" is one
/// order), seeded in-process through the mock's seed API: `user000000@example.com` …, one
/// in a thousand on a second connection, and Jane Doe somewhere in the middle.
fn many_users() -> Auth0 {
    let clock = Clock::manual(Clock::scenario_epoch());
    let auth0 = Auth0::new(Kit::deterministic(clock.clone(), 7));
    let connections: Vec<ConnectionSeed> =
        serde_json::from_value(json!([{ "name": "db-users" }, { "name": "legacy-db" }])).expect("connection seeds");
    auth0
        .seed(Auth0Seed {
            connections,
            ..Auth0Seed::default()
        })
        .expect("connections");
    // A manual clock never refills a rate-limit bucket: the search test lifts the limit.
    auth0
        .seed(serde_json::from_value(json!({ "settings": { "rate_limits": "off" } })).expect("settings seed"))
        .expect("limits off");
    for i in 0..MANY {
        clock.advance(Duration::from_millis(1));
        let jane = i == 31_337;
        let user = UserSeed {
            connection: if i % 1_000 == 0 { "legacy-db" } else { "db-users" }.to_owned(),
            email: Some(if jane {
                "jane.doe@example.com".to_owned()
            } else {
                format!("user{i:06}@example.com")
            }),
            password: None,
            user_id: Some(format!("{i:024x}")),
            username: None,
            email_verified: true,
            phone_number: None,
            name: Some(if jane {
                "Jane Doe".to_owned()
            } else {
                format!("User {i:06}")
            }),
            nickname: None,
            given_name: None,
            family_name: None,
            picture: None,
            user_metadata: Default::default(),
            app_metadata: Default::default(),
            blocked: None,
            mfa_factors: None,
        };
        auth0
            .seed(Auth0Seed {
                users: vec![user],
                ..Auth0Seed::default()
            })
            .expect("a user");
    }
    auth0
}

/// Types a search and waits for its answer; how long it took, as the person sees it.
async fn search(browser: &Browser, by: &str, text: &str, shows: &[&str]) -> Duration {
    browser.choose("#users-by", by).await;
    let started = Instant::now();
    browser.fill("#users-text", text).await;
    browser
        .wait_for_text("#users-query", &[text.split(':').next().unwrap_or(text)])
        .await;
    browser.wait_for_text("#users", shows).await;
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_users_view_searches_and_pages_through_100k_users_on_the_server() {
    let Some((driver, chromium)) = browser_binaries() else {
        return;
    };
    let seeding = Instant::now();
    let auth0 = many_users();
    let seeded = seeding.elapsed();
    let server = mocks::start(auth0.clone(), LOOPBACK_EPHEMERAL)
        .await
        .expect("Auth0 starts");
    let board = dashboard::start(vec![tenant_link(&auth0, &server)], LOOPBACK_EPHEMERAL)
        .await
        .expect("the dashboard starts");
    let browser = Browser::launch(&driver, &chromium).await;
    browser.goto(board.base_url()).await;

    // Every user, newest first, fifty a page; Auth0's 1,000-result limit said.
    browser
        .wait_for_text("#users-summary", &["1–50 of 100,000 users, newest first"])
        .await;
    browser.wait_for_text("#users-count", &["100,000"]).await;
    browser
        .wait_for_text("#users-rows tbody.item:nth-of-type(1)", &["user099999@example.com"])
        .await;
    browser
        .wait_for_text("#users-rows tbody.item:nth-of-type(50)", &["user099950@example.com"])
        .await;
    browser.wait_for_text("#users-page", &["Page 1 of 20"]).await;
    browser
        .wait_for_text("#users-limit", &["first 1,000 results", "99,000 more match"])
        .await;
    browser
        .wait_for_text("#users-query", &["sort=created_at:-1", "search_engine=v3"])
        .await;
    assert_eq!(browser.property("#users-prev", "disabled").await, json!(true));
    browser.screenshot("users-100k-newest-first").await;

    // Paging: each page is the next fifty; the twentieth is the last Auth0 serves.
    browser.click("#users-next").await;
    browser.wait_for_text("#users-page", &["Page 2 of 20"]).await;
    browser
        .wait_for_text("#users-rows tbody.item:nth-of-type(1)", &["user099949@example.com"])
        .await;
    for page in 3..=20 {
        browser.click("#users-next").await;
        browser
            .wait_for_text("#users-page", &[&format!("Page {page} of 20")])
            .await;
    }
    browser
        .wait_for_text("#users-rows tbody.item:nth-of-type(50)", &["user099000@example.com"])
        .await;
    browser.wait_for_text("#users-summary", &["951–1,000 of 100,000"]).await;
    assert_eq!(browser.property("#users-next", "disabled").await, json!(true));
    browser.screenshot("users-100k-last-page").await;

    // Free text finds one user among 100,000, whatever the page was.
    let took = search(
        &browser,
        "user",
        "jane",
        &["jane.doe@example.com", "1–1 of 1 matching users"],
    )
    .await;
    browser
        .wait_for_text("#users-query", &["email:jane*", "name:jane*"])
        .await;
    assert_eq!(browser.count("#users-rows tbody.item").await, 1);
    browser.wait_for_text("#users-page", &["Page 1 of 1"]).await;
    let _ = writeln!(
        std::io::stderr(),
        "100,000 users seeded in {:.1} s; `jane` found in {} ms, typed to shown (a debug build; ferry bench user-search measures)",
        seeded.as_secs_f64(),
        took.as_millis()
    );
    browser.screenshot("users-100k-search").await;
    // By id, by the start of an email, by connection.
    search(
        &browser,
        "user",
        "auth0|000000000000000000007a69",
        &["jane.doe@example.com", "of 1 matching"],
    )
    .await;
    search(
        &browser,
        "email",
        "user00004",
        &["1–10 of 10 matching users", "user000049@example.com"],
    )
    .await;
    search(
        &browser,
        "connection",
        "legacy-db",
        &["1–50 of 100 matching users", "user099000@example.com"],
    )
    .await;

    // No match says so.
    search(&browser, "user", "zzz-nobody", &["No user matches “zzz-nobody”."]).await;
    assert_eq!(browser.count("#users-rows tbody.item").await, 0);
    browser.screenshot("users-100k-no-match").await;
    // A query Auth0 refuses shows its reason.
    browser.choose("#users-by", "lucene").await;
    browser.fill("#users-text", "email:\"open").await;
    browser.wait_for_text("#users-error", &["Query validation error"]).await;

    browser.close().await;
    board.shutdown().await;
    server.shutdown().await;
}
