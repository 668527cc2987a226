// The `callback` passed as last argument. It reduces the error to the fields Auth0 forwards
// (name, message, code, description, user_id, stack, status_code; a string becomes
// {message}), serialises the value as JSON and hands both to native.callback, which keeps the
// first call and warns about later ones.
(function (native, global) {
  'use strict';
  var stringify = JSON.stringify;
  var toWellFormed = String.prototype.toWellFormed;

  function text(v) {
    if (v === undefined || v === null) {
      return undefined;
    }
    return toWellFormed.call(String(v));
  }

  function statusCode(err) {
    var sc = err.statusCode !== undefined ? err.statusCode : err.status_code;
    if (typeof sc === 'string' && /^[0-9]+$/.test(sc)) {
      sc = Number(sc);
    }
    return typeof sc === 'number' && sc >= 0 && sc <= 65535 ? Math.floor(sc) : undefined;
  }

  function describe(err) {
    if (!err) {
      return undefined;
    }
    if (typeof err !== 'object' && typeof err !== 'function') {
      return { name: 'Error', message: text(err) };
    }
    return {
      name: text(err.name) || 'Error',
      message: text(err.message) || '',
      code: text(err.code),
      description: text(err.description),
      user_id: text(err.user_id),
      status_code: statusCode(err),
      stack: text(err.stack)
    };
  }

  return {
    make: function make() {
      return function callback(err, value) {
        var error = describe(err);
        var json;
        if (value !== undefined && value !== null) {
          json = stringify(value);
        }
        native.callback(error, json === undefined ? undefined : toWellFormed.call(json));
      };
    }
  };
})
