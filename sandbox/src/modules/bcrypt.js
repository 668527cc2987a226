// `bcrypt` (node's native module, version 5) and `bcryptjs` (2.4): the JavaScript layers with
// their argument checks, messages, callbacks and promises. Hashing is native
// (native.bcryptHash / bcryptCompare, see bcrypt.rs). Asynchronous results arrive in a later
// turn of the event loop (setImmediate), argument errors on the next tick, as in Node.
(function (native, global, load) {
  'use strict';
  var Buffer = load('buffer').Buffer;
  var toWellFormed = String.prototype.toWellFormed;

  function later(fn) {
    var args = Array.prototype.slice.call(arguments, 1);
    load('timers').setImmediate(function () {
      fn.apply(undefined, args);
    });
  }

  function nextTick(fn, err) {
    queueMicrotask(function () {
      fn(err);
    });
  }

  function promise(fn, context, args) {
    args = Array.prototype.slice.call(args);
    return new Promise(function (resolve, reject) {
      args.push(function (err, data) {
        if (err) {
          reject(err);
        } else {
          resolve(data);
        }
      });
      fn.apply(context, args);
    });
  }

  // ---- node's bcrypt ----

  var INVALID_SALT = 'Invalid salt. Salt must be in the form of: $Vers$log2(NumRounds)$saltvalue';
  var BAD_ARGS = 'data must be a string or Buffer and salt must either be a salt string or a number of rounds';

  function isData(data) {
    return typeof data === 'string' || data instanceof Buffer;
  }

  function dataArgs(data) {
    return typeof data === 'string' ? [toWellFormed.call(data), false] : [data.toString('latin1'), true];
  }

  function nodeHash(data, salt) {
    var d = dataArgs(data);
    var out = native.bcryptHash(d[0], d[1], salt, 'bcrypt');
    if (out === null || out === undefined) {
      throw new Error(INVALID_SALT);
    }
    return out;
  }

  function nodeCompare(data, hash) {
    var d = dataArgs(data);
    return native.bcryptCompare(d[0], d[1], hash, 'bcrypt');
  }

  var bcrypt = {};

  bcrypt.genSaltSync = function genSaltSync(rounds, minor) {
    if (!rounds) {
      rounds = 10;
    } else if (typeof rounds !== 'number') {
      throw new Error('rounds must be a number');
    } else if (rounds < 0) {
      throw new Error('rounds must be a positive integer');
    }
    if (!minor) {
      minor = 'b';
    } else if (minor !== 'b' && minor !== 'a') {
      throw new Error('minor must be either "a" or "b"');
    }
    return native.bcryptGenSalt(minor, rounds | 0);
  };

  bcrypt.genSalt = function genSalt(rounds, minor, cb) {
    if (typeof arguments[0] === 'function') {
      cb = arguments[0];
      rounds = 10;
      minor = 'b';
    } else if (typeof arguments[1] === 'function') {
      cb = arguments[1];
      minor = 'b';
    }
    if (!cb) {
      return promise(genSalt, this, [rounds, minor]);
    }
    var salt;
    try {
      salt = bcrypt.genSaltSync(rounds, minor);
    } catch (err) {
      return nextTick(cb, err);
    }
    later(cb, undefined, salt);
  };

  bcrypt.hashSync = function hashSync(data, salt) {
    if (data == null || salt == null) {
      throw new Error('data and salt arguments required');
    }
    if (!isData(data) || (typeof salt !== 'string' && typeof salt !== 'number')) {
      throw new Error(BAD_ARGS);
    }
    if (typeof salt === 'number') {
      salt = bcrypt.genSaltSync(salt);
    }
    return nodeHash(data, salt);
  };

  bcrypt.hash = function hash(data, salt, cb) {
    if (typeof data === 'function') {
      return nextTick(data, new Error(BAD_ARGS));
    }
    if (typeof salt === 'function') {
      return nextTick(salt, new Error(BAD_ARGS));
    }
    if (cb && typeof cb !== 'function') {
      return Promise.reject(new Error('cb must be a function or null to return a Promise'));
    }
    if (!cb) {
      return promise(hash, this, [data, salt]);
    }
    if (data == null || salt == null) {
      return nextTick(cb, new Error('data and salt arguments required'));
    }
    if (!isData(data) || (typeof salt !== 'string' && typeof salt !== 'number')) {
      return nextTick(cb, new Error(BAD_ARGS));
    }
    var out;
    try {
      out = nodeHash(data, typeof salt === 'number' ? bcrypt.genSaltSync(salt) : salt);
    } catch (err) {
      return later(cb, err, undefined);
    }
    later(cb, undefined, out);
  };

  bcrypt.compareSync = function compareSync(data, hash) {
    if (data == null || hash == null) {
      throw new Error('data and hash arguments required');
    }
    if (!isData(data) || typeof hash !== 'string') {
      throw new Error('data must be a string or Buffer and hash must be a string');
    }
    return nodeCompare(data, hash);
  };

  bcrypt.compare = function compare(data, hash, cb) {
    if (typeof data === 'function') {
      return nextTick(data, new Error('data and hash arguments required'));
    }
    if (typeof hash === 'function') {
      return nextTick(hash, new Error('data and hash arguments required'));
    }
    if (cb && typeof cb !== 'function') {
      return Promise.reject(new Error('cb must be a function or null to return a Promise'));
    }
    if (!cb) {
      return promise(compare, this, [data, hash]);
    }
    if (data == null || hash == null) {
      return nextTick(cb, new Error('data and hash arguments required'));
    }
    if (!isData(data) || typeof hash !== 'string') {
      return nextTick(cb, new Error('data and hash must be strings'));
    }
    later(cb, undefined, nodeCompare(data, hash));
  };

  bcrypt.getRounds = function getRounds(hash) {
    if (hash == null) {
      throw new Error('hash argument required');
    }
    if (typeof hash !== 'string') {
      throw new Error('hash must be a string');
    }
    var rounds = native.bcryptRounds(hash);
    if (rounds === null || rounds === undefined) {
      throw new Error('invalid hash provided');
    }
    return rounds;
  };

  // ---- bcryptjs ----

  function illegal() {
    var types = Array.prototype.map.call(arguments, function (a) { return typeof a; });
    return new Error('Illegal arguments: ' + types.join(', '));
  }

  function jsHash(s, salt) {
    if (salt.charAt(0) !== '$' || salt.charAt(1) !== '2') {
      throw new Error('Invalid salt version: ' + salt.substring(0, 2));
    }
    var minor = salt.charAt(2);
    if (minor !== '$' && ((minor !== 'a' && minor !== 'b' && minor !== 'y') || salt.charAt(3) !== '$')) {
      throw new Error('Invalid salt revision: ' + salt.substring(2, 4));
    }
    if (salt.charAt(5) === '$' || salt.charAt(6) !== '$') {
      throw new Error('Missing salt rounds');
    }
    var rounds = parseInt(salt.substring(4, 6), 10);
    if (!(rounds >= 4 && rounds <= 31)) {
      throw new Error('Illegal number of rounds (4-31): ' + rounds);
    }
    var out = native.bcryptHash(toWellFormed.call(s), false, salt.substring(0, 29), 'bcryptjs');
    if (out === null || out === undefined) {
      throw new Error('Illegal salt: ' + salt.substring(7, 29));
    }
    return out;
  }

  var bcryptjs = {};

  bcryptjs.genSaltSync = function genSaltSync(rounds, seedLength) {
    rounds = rounds === undefined ? 10 : rounds;
    if (typeof rounds !== 'number') {
      throw illegal(rounds, seedLength);
    }
    return native.bcryptGenSalt('a', rounds | 0);
  };

  bcryptjs.genSalt = function genSalt(rounds, seedLength, callback) {
    if (typeof seedLength === 'function') {
      callback = seedLength;
      seedLength = undefined;
    }
    if (typeof rounds === 'function') {
      callback = rounds;
      rounds = undefined;
    }
    if (!callback) {
      return promise(genSalt, this, [rounds]);
    }
    if (typeof callback !== 'function') {
      throw illegal(callback);
    }
    var salt;
    try {
      salt = bcryptjs.genSaltSync(rounds);
    } catch (err) {
      return nextTick(callback, err);
    }
    later(callback, null, salt);
  };

  bcryptjs.hashSync = function hashSync(s, salt) {
    if (salt === undefined) {
      salt = 10;
    }
    if (typeof salt === 'number') {
      salt = bcryptjs.genSaltSync(salt);
    }
    if (typeof s !== 'string' || typeof salt !== 'string') {
      throw illegal(s, salt);
    }
    return jsHash(s, salt);
  };

  bcryptjs.hash = function hash(s, salt, callback) {
    if (!callback) {
      return promise(hash, this, [s, salt]);
    }
    if (typeof callback !== 'function') {
      throw illegal(callback);
    }
    var out;
    try {
      if (typeof s !== 'string' || (typeof salt !== 'string' && typeof salt !== 'number')) {
        throw illegal(s, salt);
      }
      out = bcryptjs.hashSync(s, salt);
    } catch (err) {
      return nextTick(callback, err);
    }
    later(callback, null, out);
  };

  bcryptjs.compareSync = function compareSync(s, hash) {
    if (typeof s !== 'string' || typeof hash !== 'string') {
      throw illegal(s, hash);
    }
    if (hash.length !== 60) {
      return false;
    }
    return jsHash(s, hash.substring(0, 29)) === hash;
  };

  bcryptjs.compare = function compare(s, hash, callback) {
    if (!callback) {
      return promise(compare, this, [s, hash]);
    }
    if (typeof callback !== 'function') {
      throw illegal(callback);
    }
    var same;
    try {
      if (typeof s !== 'string' || typeof hash !== 'string') {
        throw illegal(s, hash);
      }
      same = bcryptjs.compareSync(s, hash);
    } catch (err) {
      return nextTick(callback, err);
    }
    later(callback, null, same);
  };

  bcryptjs.getRounds = function getRounds(hash) {
    if (typeof hash !== 'string') {
      throw illegal(hash);
    }
    return parseInt(hash.split('$')[2], 10);
  };

  bcryptjs.getSalt = function getSalt(hash) {
    if (typeof hash !== 'string') {
      throw illegal(hash);
    }
    if (hash.length !== 60) {
      throw new Error('Illegal hash length: ' + hash.length + ' != 60');
    }
    return hash.substring(0, 29);
  };

  return { bcrypt: bcrypt, bcryptjs: bcryptjs };
})
