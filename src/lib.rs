//! Ferry: rehearse and verify a user migration to Auth0 without a single real account.
//!
//! Layout:
//! - [`scenario`]: the scenario format, runner, reports and snapshot checks — what `ferry run`
//!   and `cargo test` execute.
//! - [`serve`]: starting every mock for interactive use (`ferry serve`).
//! - [`term`]: colour, styles and progress bars for what a person reads.
//! - [`cli`]: the `ferry` command line (`src/main.rs` only calls it).
//! - The mock servers live in the `mocks` crate and the script sandbox in `sandbox`; this crate
//!   wires them together. The migration engine (`engine`) talks to providers and Auth0 over
//!   HTTP only.

pub mod bench;
pub mod check;
pub mod cli;
pub mod dashboard;
pub mod engine;
pub mod generate;
pub mod scenario;
pub mod serve;
pub mod term;
pub mod tryout;

pub use scenario::{Report, ScenarioError, run_file};
