// Lazy modules and globals. Parsing and running the larger files costs more than the rest of a
// call, and most scripts use one or two of them, so each is evaluated on first use: `load(name)`
// runs the file (native.loadModule) once and caches what it returns. The global names that
// stand for them (`names`, handed with `provide` to Rust when the prelude returns) are
// accessors made by lazy.rs that, on first read,
// replace themselves with ordinary properties holding `provide(name)`; an assignment simply replaces
// the accessor. `load` also gives the event loop the modules' entry points (timers' `fire`,
// request's `complete`) and `require` (require.js, itself lazy) its modules.
// A prelude file: a function body, run with the others in one function of `native` and
// `global` (strict mode; see `prelude()` in globals/mod.rs), where its names are shared.
var hasOwn = Object.prototype.hasOwnProperty;
var loaded = {};

function load(name) {
  if (!hasOwn.call(loaded, name)) {
    loaded[name] = native.loadModule(name, native, global, load);
  }
  return loaded[name];
}

// global name -> the module that provides it: its export of that name; `null`, the module of
// that name through `require` (the legacy sandbox's globals are the modules themselves);
// `url`, the export of that name of `require('url')` (Node's URL classes are globals). One
// table, so that its keys are the names.
var modules = {
  Buffer: 'buffer', atob: 'buffer', btoa: 'buffer',
  console: 'console',
  setTimeout: 'timers', setInterval: 'timers', setImmediate: 'timers',
  clearTimeout: 'timers', clearInterval: 'timers', clearImmediate: 'timers',
  request: 'request',
  require: 'require',
  WrongUsernameOrPasswordError: 'errors', ValidationError: 'errors', UnauthorizedError: 'errors',
  bcrypt: null, crypto: null, querystring: null,
  URL: 'url', URLSearchParams: 'url'
};
var names = Object.keys(modules);

function provide(key) {
  var module = modules[key];
  if (module === null) {
    return load('require').require(key);
  }
  if (module === 'url') {
    return load('require').require('url')[key];
  }
  return load(module)[key];
}
