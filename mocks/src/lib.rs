//! Faithful mock servers of the services a migration to Auth0 talks to.
//!
//! Layout:
//! - [`kit`]: what every mock shares — serving on a socket ([`start`], [`MockServer`]), the
//!   request journal, fault injection, the `/__ferry/` admin endpoints, the clock, ids, rate
//!   limits and seed loading. A mock is a [`Provider`]: routes, a seed type and its error shape.
//! - [`okta`]: Okta's Authentication API (`/api/v1/authn`) and Users API.
//! - [`stormpath`]: Stormpath's REST API v1 (login attempts, accounts, collections, SAuthc1)
//!   and the console export it offered before it shut down.
//! - [`gigya`]: Gigya (SAP Customer Data Cloud): the signed Accounts API (`accounts.search` and
//!   its query language, `accounts.login`, imports) and IdentitySync dataflows and jobs.
//! - [`auth0`]: an Auth0 tenant — Authentication API, Management API (users, connections,
//!   import jobs, logs, tickets), custom database connections whose scripts run in the
//!   [`sandbox`] crate.
//! - [`hashes`]: every password hash the services store or Auth0 imports, verified and produced
//!   (shared by the Gigya, Stormpath and Auth0 mocks).
//!
//! The mocks know nothing of Ferry's engine or scenarios; they are what the real services would
//! be, on loopback. They depend on the `sandbox` crate (scripts) and the `import-schema` crate
//! (Auth0's bulk-import rules, shared with the engine).

pub mod auth0;
pub mod gigya;
pub mod hashes;
pub mod kit;
pub mod okta;
pub mod stormpath;

pub use kit::clock::Clock;
pub use kit::fault::{Fault, FaultRule};
pub use kit::journal::{Journal, JournalEntry};
pub use kit::seed::SeedError;
pub use kit::{Kit, KitOptions, LOOPBACK_EPHEMERAL, MockServer, Provider, RequestOrigin, app, start, start_tls};
