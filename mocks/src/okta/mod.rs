//! Mock Okta.
