// Node's `util`, the parts scripts use: format / formatWithOptions / inspect (the console's
// implementation, console.js), promisify (with util.promisify.custom), callbackify, inherits,
// deprecate, isDeepStrictEqual, types and the old isArray.
(function (native, global, load) {
  'use strict';
  var con = load('console');
  var customPromisify = Symbol.for('nodejs.util.promisify.custom');
  var customInspect = Symbol.for('nodejs.util.inspect.custom');

  function describe(value) {
    if (value === null || value === undefined) {
      return 'Received ' + value;
    }
    if (typeof value === 'object') {
      var ctor = value.constructor && value.constructor.name;
      return 'Received an instance of ' + (ctor || 'Object');
    }
    return 'Received type ' + typeof value + ' (' + String(value) + ')';
  }

  function requireFunction(value, name) {
    if (typeof value !== 'function') {
      var err = new TypeError('The "' + name + '" argument must be of type function. ' + describe(value));
      err.code = 'ERR_INVALID_ARG_TYPE';
      throw err;
    }
  }

  function promisify(original) {
    requireFunction(original, 'original');
    if (original[customPromisify]) {
      var fn = original[customPromisify];
      requireFunction(fn, 'util.promisify.custom');
      return fn;
    }
    function promisified() {
      var self = this;
      var args = Array.prototype.slice.call(arguments);
      return new Promise(function (resolve, reject) {
        args.push(function (err, value) {
          if (err) {
            reject(err);
          } else {
            resolve(value);
          }
        });
        original.apply(self, args);
      });
    }
    Object.setPrototypeOf(promisified, Object.getPrototypeOf(original));
    Object.defineProperty(promisified, customPromisify, { value: promisified, configurable: true });
    return promisified;
  }
  promisify.custom = customPromisify;

  function callbackify(original) {
    requireFunction(original, 'original');
    return function () {
      var self = this;
      var args = Array.prototype.slice.call(arguments);
      var cb = args.pop();
      requireFunction(cb, 'last argument');
      var timers = load('timers');
      original.apply(self, args).then(function (value) {
        timers.setImmediate(cb, null, value);
      }, function (reason) {
        if (!reason) {
          var err = new Error('Promise was rejected with falsy value');
          err.code = 'ERR_FALSY_VALUE_REJECTION';
          err.reason = reason;
          err.message = 'Promise was rejected with falsy value ' + String(reason);
          reason = err;
        }
        timers.setImmediate(cb, reason);
      });
    };
  }

  function inherits(ctor, superCtor) {
    requireFunction(ctor, 'ctor');
    requireFunction(superCtor, 'superCtor');
    if (superCtor.prototype === undefined) {
      var err = new TypeError('The "superCtor.prototype" property must be of type object. Received undefined');
      err.code = 'ERR_INVALID_ARG_TYPE';
      throw err;
    }
    Object.defineProperty(ctor, 'super_', { value: superCtor, writable: true, configurable: true });
    Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
  }

  function deprecate(fn, message, code) {
    requireFunction(fn, 'fn');
    var warned = false;
    return function deprecated() {
      if (!warned) {
        warned = true;
        native.consoleWrite('warn', '(node) ' + (code ? '[' + code + '] ' : '') + 'DeprecationWarning: ' + String(message));
      }
      return new.target ? Reflect.construct(fn, arguments, new.target) : fn.apply(this, arguments);
    };
  }

  function isDeepStrictEqual(a, b) {
    return deepEqual(a, b, []);
  }

  function deepEqual(a, b, seen) {
    if (Object.is(a, b)) {
      return true;
    }
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
      return false;
    }
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) {
      return false;
    }
    if (seen.some(function (pair) { return pair[0] === a && pair[1] === b; })) {
      return true;
    }
    seen.push([a, b]);
    if (a instanceof Date) {
      return a.getTime() === b.getTime();
    }
    if (a instanceof RegExp) {
      return String(a) === String(b);
    }
    if (a instanceof Map || a instanceof Set) {
      if (a.size !== b.size) {
        return false;
      }
      var ea = Array.from(a);
      var eb = Array.from(b);
      return ea.every(function (x, i) { return deepEqual(x, eb[i], seen); });
    }
    var ka = Object.keys(a);
    var kb = Object.keys(b);
    if (ka.length !== kb.length) {
      return false;
    }
    return ka.every(function (k) {
      return Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k], seen);
    });
  }

  var toString = Object.prototype.toString;
  var types = {
    isDate: function (v) { return v instanceof Date; },
    isRegExp: function (v) { return v instanceof RegExp; },
    isPromise: function (v) { return v instanceof Promise; },
    isNativeError: function (v) { return v instanceof Error; },
    isMap: function (v) { return v instanceof Map; },
    isSet: function (v) { return v instanceof Set; },
    isTypedArray: function (v) { return ArrayBuffer.isView(v) && !(v instanceof DataView); },
    isUint8Array: function (v) { return v instanceof Uint8Array; },
    isArrayBuffer: function (v) { return v instanceof ArrayBuffer; },
    isAsyncFunction: function (v) { return toString.call(v) === '[object AsyncFunction]'; }
  };

  function inspect(value) {
    return con.inspect(value);
  }
  inspect.custom = customInspect;

  return {
    format: con.format,
    formatWithOptions: function formatWithOptions(options) {
      return con.format.apply(null, Array.prototype.slice.call(arguments, 1));
    },
    inspect: inspect,
    promisify: promisify,
    callbackify: callbackify,
    inherits: inherits,
    deprecate: deprecate,
    isDeepStrictEqual: isDeepStrictEqual,
    isArray: Array.isArray,
    types: types
  };
})
