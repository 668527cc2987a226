//! V8-style stacks and messages inside the engine (see `stack.js`): adds
//! `v8Message(name, message, line, column, native)`, which rewrites QuickJS wording with
//! [`crate::exception::v8_message`] against the call's source and returns
//! `[message, line, column]` (the position only when it moved, as strings).

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
            move |name: String,
                  message: String,
                  line: Option<f64>,
                  column: Option<f64>,
                  native: bool|
                  -> Vec<Option<String>> {
                let position = line
                    .zip(column)
                    .filter(|(l, c)| *l >= 1.0 && *c >= 1.0)
                    .map(|(l, c)| (l as u32, c as u32));
                let mapped = v8_message(&name, &message, &h.services.source, position, native);
                let (line, column) = mapped
                    .position
                    .map_or((None, None), |(l, c)| (Some(l.to_string()), Some(c.to_string())));
                vec![Some(mapped.message), line, column]
            },
        )?,
    )?;
    Ok(())
}
