// `require`, as Auth0's sandbox offers it, limited to the modules Ferry provides. Lazy like
// the modules themselves: loader.js evaluates this file when `require` (or one of the globals
// it provides, `bcrypt`, `crypto`, `querystring`, `URL`, `URLSearchParams`) is first read.
//
// `require('name@1.2.3')` ignores the version (Auth0 pins versions this way); `node:` works
// for Node's own modules. Anything else fails as Node does, `Cannot find module 'x'` with code
// MODULE_NOT_FOUND, followed by why Ferry's sandbox does not have it.
(function (native, global, load) {
  'use strict';
  var hasOwn = Object.prototype.hasOwnProperty;

  // name -> exports; Node's own modules are marked for the `node:` prefix
  var provided = {
    bcrypt: { exports: function () { return load('bcrypt').bcrypt; } },
    bcryptjs: { exports: function () { return load('bcrypt').bcryptjs; } },
    buffer: { node: true, exports: function () { return load('buffer'); } },
    crypto: { node: true, exports: function () { return load('crypto'); } },
    qs: { exports: function () { return load('qs'); } },
    querystring: { node: true, exports: function () { return load('querystring'); } },
    request: { exports: function () { return load('request').request; } },
    url: { node: true, exports: function () { return load('url'); } },
    util: { node: true, exports: function () { return load('util'); } }
  };
  var providedNames = Object.keys(provided).join(', ');

  // Node modules that would reach the host: files, processes, sockets, the environment.
  var hostModules = [
    'fs', 'fs/promises', 'child_process', 'os', 'process', 'net', 'dgram', 'dns', 'dns/promises',
    'tls', 'http', 'https', 'http2', 'cluster', 'worker_threads', 'vm', 'module', 'inspector',
    'v8', 'wasi', 'repl', 'readline', 'tty', 'perf_hooks', 'async_hooks', 'trace_events',
    'diagnostics_channel'
  ];
  var otherNodeModules = [
    'assert', 'assert/strict', 'constants', 'events', 'path', 'path/posix', 'path/win32',
    'punycode', 'stream', 'stream/promises', 'stream/web', 'string_decoder', 'timers',
    'timers/promises', 'util/types', 'zlib', 'test'
  ];

  var cache = {};

  function describe(value) {
    if (value === null || value === undefined) {
      return 'Received ' + value;
    }
    if (typeof value === 'function') {
      return 'Received function ' + (value.name || '(anonymous)');
    }
    if (typeof value === 'object') {
      var ctor = value.constructor && value.constructor.name;
      return 'Received an instance of ' + (ctor || 'Object');
    }
    return 'Received type ' + typeof value + ' (' + (typeof value === 'string' ? "'" + value + "'" : String(value)) + ')';
  }

  function fail(Ctor, code, message) {
    var err = new Ctor(message);
    err.code = code;
    Error.captureStackTrace(err, require);
    return err;
  }

  function notFound(id, reason) {
    var err = fail(Error, 'MODULE_NOT_FOUND', "Cannot find module '" + id + "': " + reason);
    err.requireStack = [];
    return err;
  }

  function require(id) {
    if (typeof id !== 'string') {
      throw fail(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "id" argument must be of type string. ' + describe(id));
    }
    if (id === '') {
      throw fail(TypeError, 'ERR_INVALID_ARG_VALUE', "The argument 'id' must be a non-empty string. Received ''");
    }
    var name = id;
    var prefixed = name.slice(0, 5) === 'node:';
    if (prefixed) {
      name = name.slice(5);
    } else {
      // a version pin: name@1.2.3 (or @scope/name@1.2.3)
      var at = name.indexOf('@', name.charAt(0) === '@' ? 1 : 0);
      if (at > 0) {
        name = name.slice(0, at);
      }
    }
    if (hasOwn.call(provided, name) && (!prefixed || provided[name].node)) {
      if (!hasOwn.call(cache, name)) {
        cache[name] = provided[name].exports();
      }
      return cache[name];
    }
    var isHost = hostModules.indexOf(name) !== -1;
    if (prefixed && !isHost && otherNodeModules.indexOf(name) === -1) {
      throw fail(Error, 'ERR_UNKNOWN_BUILTIN_MODULE', 'No such built-in module: ' + id);
    }
    if (isHost) {
      throw notFound(id, "Ferry's sandbox gives scripts no access to files, processes, sockets or the " +
        'environment (use request for HTTP)');
    }
    throw notFound(id, "not available in Ferry's sandbox, which provides " + providedNames);
  }

  return { require: require };
})
