//! `console.log/info/warn/error/debug/trace/dir/assert/time/count`, captured into
//! [`crate::CallOutcome::console`].
//!
//! Formatting (Node's `util.format` and a compact `util.inspect`) is done in `console.js`;
//! the native side only records `(level, text)` lines.

use rquickjs::{Ctx, Function, Object};

use crate::host::Host;
use crate::outcome::ConsoleLine;

/// JavaScript half of the console.
pub(crate) const JS: &str = include_str!("console.js");

/// Adds `consoleWrite(level, text)` to the native object.
pub(crate) fn register<'js>(
    ctx: &Ctx<'js>,
    native: &Object<'js>,
    host: &Host,
) -> rquickjs::Result<()> {
    let h = host.clone();
    native.set(
        "consoleWrite",
        Function::new(ctx.clone(), move |level: String, text: String| {
            h.state
                .borrow_mut()
                .console
                .push(ConsoleLine { level, text });
        })?,
    )?;
    Ok(())
}
