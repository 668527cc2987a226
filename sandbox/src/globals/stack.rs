//! V8-style stacks and messages inside the engine (see `stack.js`): adds
//! `v8Message(message, line, column)`, which rewrites QuickJS wording with
//! [`crate::exception::v8_message`] against the call's source and returns
//! `[message, line, column]` (the position only when it moved, as strings).

use rquickjs::{Ctx, Function, Object};

use crate::exception::v8_message;
use crate::host::Host;

/// `Error.prepareStackTrace` installation.
pub(crate) const JS: &str = include_str!("stack.js");

/// Adds `fileName` and `v8Message` to the native object.
pub(crate) fn register<'js>(
    ctx: &Ctx<'js>,
    native: &Object<'js>,
    host: &Host,
) -> rquickjs::Result<()> {
    native.set("fileName", host.services.file_name.as_str())?;
    let h = host.clone();
    native.set(
        "v8Message",
        Function::new(
            ctx.clone(),
            move |message: String, line: Option<f64>, column: Option<f64>| -> Vec<Option<String>> {
                let line = line.filter(|l| *l >= 1.0).map(|l| l as u32);
                let column = column.filter(|c| *c >= 1.0).map(|c| c as u32);
                let mapped = v8_message(&message, &h.services.source, line, column);
                let (line, column) = mapped.position.map_or((None, None), |(l, c)| {
                    (Some(l.to_string()), Some(c.to_string()))
                });
                vec![Some(mapped.message), line, column]
            },
        )?,
    )?;
    Ok(())
}
