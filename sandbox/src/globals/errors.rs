//! `WrongUsernameOrPasswordError`, `ValidationError` and `UnauthorizedError`, the error
//! classes Auth0 injects into custom database scripts (pure JavaScript, see `errors.js`).

/// The error classes.
pub(crate) const JS: &str = include_str!("errors.js");
