//! V8-style stacks and messages inside the engine (see `stack.js`): adds
//! `v8Message(message, line, column)`, which rewrites QuickJS wording with
//! [`crate::exception::v8_message`] against the call's source.

use rquickjs::function::Opt;
use rquickjs::{Ctx, Function, Object};

use crate::exception::v8_message;
use crate::host::Host;

/// `Error.prepareStackTrace` installation.
pub(crate) const JS: &str = include_str!("stack.js");

/// Adds `fileName` and `v8Message` to the native object.
pub(crate) fn register<'js>(ctx: &Ctx<'js>, native: &Object<'js>, host: &Host) -> rquickjs::Result<()> {
    native.set("fileName", host.services.file_name.as_str())?;
    let h = host.clone();
    native.set(
        "v8Message",
        Function::new(
            ctx.clone(),
            move |message: String, line: Opt<f64>, column: Opt<f64>| -> String {
                let line = line.0.filter(|l| *l >= 1.0).map(|l| l as u32);
                let column = column.0.filter(|c| *c >= 1.0).map(|c| c as u32);
                v8_message(&message, &h.services.source, line, column)
            },
        )?,
    )?;
    Ok(())
}
