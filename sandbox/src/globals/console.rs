//! `console.log/info/warn/error/debug/trace/dir/assert/time/count`, captured into
//! [`crate::CallOutcome::console`].
//!
//! Formatting (Node's `util.format` and a compact `util.inspect`) is done in `console.js`;
//! the native side only records `(level, text)` lines, up to 10,000 lines / 1 MiB per call.

use rquickjs::{Ctx, Function, Object};

use crate::host::Host;

/// JavaScript half of the console.
pub(crate) const JS: &str = include_str!("console.js");

/// Adds `consoleWrite(level, text)` to the native object.
pub(crate) fn register<'js>(ctx: &Ctx<'js>, native: &Object<'js>, host: &Host) -> rquickjs::Result<()> {
    let h = host.clone();
    native.set(
        "consoleWrite",
        Function::new(ctx.clone(), move |level: String, text: String| {
            h.state.borrow_mut().log(level, text);
        })?,
    )?;
    Ok(())
}
