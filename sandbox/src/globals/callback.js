// The `callback` passed as last argument. It reduces the error to the fields Auth0 forwards
// (name, message, code, description, user_id, stack, status_code; a string becomes
// {message}), serialises the value as JSON and hands both to native.callback, which keeps the
// first call and warns about later ones.
// A prelude file: a function body, run with the others in one function of `native` and
// `global` (strict mode; see `prelude()` in globals/mod.rs), where its names are shared.
var stringify = JSON.stringify;
var toWellFormed = String.prototype.toWellFormed;

function text(v) {
  if (v === undefined || v === null) {
    return undefined;
  }
  return toWellFormed.call(String(v));
}

// a fresh `callback` for the call
function make() {
  return function callback(err, value) {
    // the error reduced to the fields Auth0 forwards (written here rather than as helper
    // functions: each would be one more closure made at every call)
    var error;
    if (!err) {
      error = undefined;
    } else if (typeof err !== 'object' && typeof err !== 'function') {
      error = { name: 'Error', message: text(err) };
    } else {
      // read in the order Auth0's fields are listed
      var name = text(err.name) || 'Error';
      var message = text(err.message) || '';
      var code = text(err.code);
      var description = text(err.description);
      var userId = text(err.user_id);
      var sc = err.statusCode !== undefined ? err.statusCode : err.status_code;
      if (typeof sc === 'string' && /^[0-9]+$/.test(sc)) {
        sc = Number(sc);
      }
      error = {
        name: name,
        message: message,
        code: code,
        description: description,
        user_id: userId,
        status_code: typeof sc === 'number' && sc >= 0 && sc <= 65535 ? Math.floor(sc) : undefined,
        stack: text(err.stack)
      };
    }
    var json;
    if (value !== undefined && value !== null) {
      json = stringify(value);
    }
    native.callback(error, json === undefined ? undefined : toWellFormed.call(json));
  };
}
