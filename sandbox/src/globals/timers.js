// Timers as in Node: setTimeout/setInterval return Timeout objects (ref/unref/hasRef/refresh,
// coercible to their numeric id), setImmediate returns an Immediate. The schedule lives in
// Rust (native.timer*); this side keeps the callbacks and is called back with `fire(id)`.
(function (native, global) {
  'use strict';
  var TIMEOUT_MAX = 2147483647;
  var entries = new Map();

  function Timeout(id, repeat) {
    this._id = id;
    this._repeat = repeat;
  }
  Timeout.prototype.ref = function ref() {
    native.timerRef(this._id, true);
    return this;
  };
  Timeout.prototype.unref = function unref() {
    native.timerRef(this._id, false);
    return this;
  };
  Timeout.prototype.hasRef = function hasRef() {
    return native.timerHasRef(this._id);
  };
  Timeout.prototype.refresh = function refresh() {
    return this;
  };
  Timeout.prototype.close = function close() {
    clear(this);
    return this;
  };
  Timeout.prototype[Symbol.toPrimitive] = function () {
    return this._id;
  };

  function Immediate(id) {
    this._id = id;
  }
  Immediate.prototype = Object.create(Timeout.prototype);
  Immediate.prototype.constructor = Immediate;

  function checkCallback(fn) {
    if (typeof fn !== 'function') {
      var err = new TypeError('The "callback" argument must be of type function. Received ' +
        (fn === null ? 'null' : fn === undefined ? 'undefined' : 'type ' + typeof fn));
      err.code = 'ERR_INVALID_ARG_TYPE';
      throw err;
    }
  }

  function delayOf(ms) {
    ms = Number(ms);
    if (!(ms >= 1 && ms <= TIMEOUT_MAX)) {
      ms = 1;
    }
    return ms;
  }

  function schedule(fn, ms, args, repeat) {
    checkCallback(fn);
    var id = native.timerStart(delayOf(ms), repeat);
    var handle = new Timeout(id, repeat);
    entries.set(id, { fn: fn, args: args, handle: handle, repeat: repeat });
    return handle;
  }

  function clear(handle) {
    if (handle === null || handle === undefined) {
      return;
    }
    var id = typeof handle === 'object' ? handle._id : Number(handle);
    if (entries.delete(id)) {
      native.timerClear(id);
    }
  }

  function setTimeout(fn, ms) {
    return schedule(fn, ms, Array.prototype.slice.call(arguments, 2), false);
  }
  function setInterval(fn, ms) {
    return schedule(fn, ms, Array.prototype.slice.call(arguments, 2), true);
  }
  function setImmediate(fn) {
    checkCallback(fn);
    var id = native.timerStart(0, false);
    var handle = new Immediate(id);
    entries.set(id, { fn: fn, args: Array.prototype.slice.call(arguments, 1), handle: handle, repeat: false });
    return handle;
  }

  return {
    setTimeout: setTimeout,
    setInterval: setInterval,
    setImmediate: setImmediate,
    clearTimeout: function clearTimeout(handle) {
      clear(handle);
    },
    clearInterval: function clearInterval(handle) {
      clear(handle);
    },
    clearImmediate: function clearImmediate(handle) {
      clear(handle);
    },
    fire: function fire(id) {
      var entry = entries.get(id);
      if (!entry) {
        return;
      }
      if (!entry.repeat) {
        entries.delete(id);
      }
      entry.fn.apply(entry.handle, entry.args);
    }
  };
})
