//! Mock Auth0.
