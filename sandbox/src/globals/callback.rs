//! The `callback` argument: records the first call as a [`CallbackRecord`] and turns later
//! calls into a console warning (Auth0: calling it twice is undefined behaviour); a call made
//! after the deadline is ignored, so the call ends as timed out. The first call also marks the
//! call answered ([`crate::host::Services::answered`]): the engine interrupts the script's
//! leftover work from then on.

use rquickjs::{Ctx, Function, Object, Value};

use crate::host::{CallbackRecord, Host};
use crate::outcome::ScriptError;

/// JavaScript half of the callback.
pub(crate) const JS: &str = include_str!("callback.js");

/// Adds `callback(errorDescription, valueJson)` to the native object.
pub(crate) fn register<'js>(ctx: &Ctx<'js>, native: &Object<'js>, host: &Host) -> rquickjs::Result<()> {
    let h = host.clone();
    native.set(
        "callback",
        Function::new(
            ctx.clone(),
            move |error: Option<Value<'js>>, json: Option<String>| -> rquickjs::Result<()> {
                let error = match error.as_ref().and_then(Value::as_object) {
                    Some(obj) => Some(script_error(obj)?),
                    None => None,
                };
                let value = match json {
                    Some(json) => match serde_json::from_str::<serde_json::Value>(&json) {
                        Ok(serde_json::Value::Null) => None,
                        Ok(value) => Some(value),
                        Err(_) => Some(serde_json::Value::String(json)),
                    },
                    None => None,
                };
                // A callback after the deadline does not count: Auth0 has given up by then (a
                // native computation may return past it before the engine is interrupted).
                if h.services.expired() {
                    return Ok(());
                }
                let mut state = h.state.borrow_mut();
                if state.callback.is_none() {
                    state.callback = Some(CallbackRecord { error, value });
                    // The call has its answer: what the script still runs is interrupted.
                    h.services.answered.store(true, std::sync::atomic::Ordering::Relaxed);
                } else {
                    let summary = match (&error, &value) {
                        (Some(e), _) => format!("error {}: {}", e.name, e.message),
                        (None, Some(v)) => format!("value {v}"),
                        (None, None) => "no arguments".to_owned(),
                    };
                    state.warn(format!(
                        "[sandbox] callback called again ({summary}); only the first call counts"
                    ));
                }
                Ok(())
            },
        )?,
    )?;
    Ok(())
}

fn script_error(obj: &Object<'_>) -> rquickjs::Result<ScriptError> {
    let status: Option<f64> = obj.get("status_code")?;
    Ok(ScriptError {
        name: obj
            .get::<_, Option<String>>("name")?
            .unwrap_or_else(|| "Error".to_owned()),
        message: obj.get::<_, Option<String>>("message")?.unwrap_or_default(),
        code: obj.get("code")?,
        description: obj.get("description")?,
        user_id: obj.get("user_id")?,
        status_code: status.and_then(|s| u16::try_from(s as i64).ok()),
        stack: obj.get("stack")?,
    })
}
