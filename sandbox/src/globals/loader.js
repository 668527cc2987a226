// Lazy globals. Parsing the larger globals costs more than the rest of a call, and most
// scripts use one or two of them, so `Buffer`, `console`, the timers and `request` start as
// accessors on the global object: the first read evaluates the module (native.loadModule),
// which replaces them with ordinary properties; an assignment simply shadows them. `load`
// also gives the event loop the modules' entry points (timers' `fire`, request's `complete`).
(function (native, global) {
  'use strict';
  var loaded = {};

  function load(name) {
    if (!Object.prototype.hasOwnProperty.call(loaded, name)) {
      loaded[name] = native.loadModule(name, native, global);
    }
    return loaded[name];
  }

  function lazy(name, names) {
    names.forEach(function (key) {
      Object.defineProperty(global, key, {
        configurable: true,
        enumerable: false,
        get: function () {
          names.forEach(function (other) {
            delete global[other];
          });
          load(name);
          return global[key];
        },
        set: function (value) {
          Object.defineProperty(global, key, {
            value: value, writable: true, enumerable: true, configurable: true
          });
        }
      });
    });
  }

  lazy('buffer', ['Buffer']);
  lazy('console', ['console']);
  lazy('timers', ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate']);
  lazy('request', ['request']);

  return { load: load };
})
