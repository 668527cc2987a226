//! What the root test binaries share (`mod common;` in a test file; Cargo builds no test binary
//! from a subdirectory): a [`Scratch`] directory, and every mock served on loopback from a seed
//! ([`serve`]) as `ferry serve --seed` serves them.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use ferry::serve::{ServeOptions, Served};
use serde_json::Value;

/// A scratch directory, `ferry-<test binary>-<name>-<pid>-<n>` under the system's temporary
/// directory, emptied when made and removed when dropped. `n` counts the scratch directories of
/// the process, so two tests that pick the same name (they run in parallel) never share one.
pub(crate) struct Scratch(PathBuf);

impl Scratch {
    pub(crate) fn new(name: &str) -> Self {
        static MADE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "ferry-{}-{name}-{}-{n}",
            env!("CARGO_CRATE_NAME"),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch directory");
        // Outside the repository, so no `scenarios/` or `snapshots/` of ours is found from it.
        assert!(
            !dir.starts_with(env!("CARGO_MANIFEST_DIR")),
            "the scratch directory must be outside the repository"
        );
        Self(dir)
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// `name` inside the directory.
    pub(crate) fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// 127.0.0.1.
pub(crate) fn loopback() -> IpAddr {
    IpAddr::V4(Ipv4Addr::LOCALHOST)
}

/// Every mock on loopback, on ephemeral ports, seeded from `seed` (the `ferry serve --seed`
/// format, written to `seed.json` in `scratch`).
pub(crate) async fn serve(scratch: &Scratch, seed: &Value) -> Served {
    let path = scratch.join("seed.json");
    std::fs::write(&path, seed.to_string()).expect("seed file");
    let options = ServeOptions {
        host: loopback(),
        okta_port: 0,
        stormpath_port: 0,
        gigya_port: 0,
        auth0_port: 0,
    };
    ferry::serve::start(&options, Some(&path))
        .await
        .expect("the mocks start")
}
