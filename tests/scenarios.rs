//! Every scenario under `scenarios/`, end to end, with a reviewed snapshot each.
//!
//! Run all: `cargo test --test scenarios`. One: `cargo test --test scenarios first_login`.
//! A scenario that misses an expectation fails with the same report `ferry run` prints (steps,
//! script console output, HTTP exchanges, the crash line). A changed result fails against its
//! snapshot in `snapshots/`; review the difference with `cargo insta review` (or
//! `cargo insta test --review`) and accept it only when the new result is right. Snapshots are
//! fully deterministic (fixed clock, seeded ids), so nothing is redacted.

use std::path::PathBuf;

use rstest::rstest;

#[rstest]
fn scenario(#[files("scenarios/**/*.yaml")] path: PathBuf) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let scenario = ferry::scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let report = runtime
        .block_on(ferry::scenario::run(&scenario))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(report.passed(), "\n{}", report.render(true));
    if report.snapshot {
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_sort_maps(true);
        settings.set_omit_expression(true);
        if let Some(description) = &report.description {
            settings.set_description(description.trim());
        }
        settings.bind(|| insta::assert_json_snapshot!(scenario.snapshot_name(), report.snapshot()));
    }
}
