// Lazy modules and globals. Parsing the larger files costs more than the rest of a call, and
// most scripts use one or two of them, so each is evaluated on first use: `load(name)` runs
// the file (native.loadModule) once and caches what it returns, and `lazy(keys, provide)`
// makes global names accessors that, on first read, replace themselves with ordinary
// properties holding `provide(key)`. An assignment simply shadows an accessor; a name the
// script has already replaced is left alone when its neighbours are installed. `load` also
// gives the event loop the modules' entry points (timers' `fire`, request's `complete`) and
// `require` (require.js, itself lazy) its modules.
(function (native, global) {
  'use strict';
  var hasOwn = Object.prototype.hasOwnProperty;
  var defineProperty = Object.defineProperty;
  var getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  var loaded = {};

  function load(name) {
    if (!hasOwn.call(loaded, name)) {
      loaded[name] = native.loadModule(name, native, global, load);
    }
    return loaded[name];
  }

  function plain(key, value) {
    defineProperty(global, key, { value: value, writable: true, enumerable: true, configurable: true });
  }

  function lazy(keys, provide) {
    var getters = {};
    function install() {
      for (var i = 0; i < keys.length; i++) {
        var key = keys[i];
        var descriptor = getOwnPropertyDescriptor(global, key);
        if (descriptor && descriptor.get === getters[key]) {
          plain(key, provide(key));
        }
      }
    }
    keys.forEach(function (key) {
      getters[key] = function () {
        install();
        return global[key];
      };
      defineProperty(global, key, {
        configurable: true,
        enumerable: false,
        get: getters[key],
        set: function (value) {
          plain(key, value);
        }
      });
    });
  }

  function from(name) {
    return function (key) {
      return load(name)[key];
    };
  }

  lazy(['Buffer'], from('buffer'));
  lazy(['console'], from('console'));
  lazy(['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate'], from('timers'));
  lazy(['request'], from('request'));
  lazy(['atob', 'btoa'], from('buffer'));
  lazy(['require'], from('require'));
  // the legacy sandbox's globals are the modules themselves; Node's URL classes are globals
  lazy(['bcrypt', 'crypto', 'querystring'], function (key) {
    return load('require').require(key);
  });
  lazy(['URL', 'URLSearchParams'], function (key) {
    return load('require').require('url')[key];
  });

  return { load: load };
})
