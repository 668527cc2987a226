//! Official client libraries (SDKs) run against the mocks: each lives in
//! `mocks/tests/sdk/<provider>/` with a script printing one JSON line, installed with `npm ci`
//! (or pip) there. Without the library the test says it skipped, unless `FERRY_REQUIRE_SDK=1`
//! makes a missing one a failure (CI sets it).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// `mocks/tests/sdk/<provider>`.
pub(crate) fn sdk_dir(provider: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk").join(provider)
}

/// Whether the SDK is there (`marker` exists); when it is not, says so on stderr and returns
/// `false` — or fails under `FERRY_REQUIRE_SDK=1`. `install` says how to install it.
pub(crate) fn installed_or_skip(marker: &Path, install: &str) -> bool {
    if marker.exists() {
        return true;
    }
    if std::env::var("FERRY_REQUIRE_SDK").is_ok_and(|v| v == "1") {
        panic!("SDK not installed ({} missing): {install}", marker.display());
    }
    eprintln!("SKIPPED (SDK not installed): {install}");
    false
}

/// Runs `command` off the runtime's workers (so the mock it calls keeps answering), asserts it
/// succeeded, and returns the JSON of the last line it printed.
pub(crate) async fn run_json(mut command: Command) -> Value {
    let program = format!("{:?}", command.get_program());
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("runner thread")
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "SDK script failed ({}):\n{stderr}\n{stdout}",
        output.status
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("SDK script printed no JSON ({e}):\n{stdout}\n{stderr}"))
}

/// HTTPS for an SDK test: a fresh Ferry CA, a server configuration signed by it for loopback
/// and the services' host names, and the CA certificate written to a file of its own (for
/// `NODE_EXTRA_CA_CERTS`), which the returned guard deletes.
pub(crate) fn https_ca(name: &str) -> (std::sync::Arc<mocks::kit::tls::ServerConfig>, CaFile) {
    let authority = mocks::kit::tls::Authority::generate().expect("CA");
    let tls = authority
        .server_config(&mocks::kit::hosts::certificate_names(&[]))
        .expect("server certificate");
    let path = std::env::temp_dir().join(format!("ferry-sdk-ca-{}-{name}.pem", std::process::id()));
    authority.write_cert(&path).expect("write the CA certificate");
    (tls, CaFile(path))
}

/// A CA certificate file, deleted on drop.
pub(crate) struct CaFile(pub(crate) PathBuf);

impl Drop for CaFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `command` off the runtime's workers and returns whether it succeeded and what it wrote
/// to stderr (for the runs that must fail).
pub(crate) async fn run_failing(mut command: Command) -> (bool, String) {
    let program = format!("{:?}", command.get_program());
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("runner thread")
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
