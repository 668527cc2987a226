//! Home of `require` (not provided yet).
//!
//! Auth0 lets scripts `require` modules from an allow-list ("Can I require"), optionally
//! pinned (`require('bcrypt@0.8.5')`). A later task adds a `require` global here: an allow-list
//! mapping module names (version suffix stripped) to implementations, each either a JavaScript
//! file evaluated like the globals in [`crate::globals`] (a `function (native, global)` that
//! returns the module's exports) or native functions registered on the private `native`
//! object, and `globals::install` would define `require` from that list. Until then scripts
//! that call `require` fail with `ReferenceError: require is not defined`.
