// Node's `crypto`, as far as custom database scripts use it: createHash / createHmac
// (md5, sha1, sha224, sha256, sha384, sha512) with update / digest / copy, randomBytes,
// randomUUID, getRandomValues, timingSafeEqual, pbkdf2 / pbkdf2Sync and getHashes, with Node's
// argument checks and error codes. The computations are native (crypto.rs); data is gathered
// here as Buffers and handed over as binary strings.
(function (native, global, load) {
  'use strict';
  var Buffer = load('buffer').Buffer;
  var INT32_MAX = 2147483647;

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
    var shown = String(value);
    if (typeof value === 'string') {
      shown = "'" + (shown.length > 25 ? shown.slice(0, 25) + '...' : shown) + "'";
    }
    return 'Received type ' + typeof value + ' (' + shown + ')';
  }

  function coded(Ctor, code, message) {
    var err = new Ctor(message);
    err.code = code;
    return err;
  }

  function invalidType(name, expected, value) {
    return coded(TypeError, 'ERR_INVALID_ARG_TYPE',
      'The "' + name + '" argument must be ' + expected + '. ' + describe(value));
  }

  function validateInt32(value, name, min) {
    if (typeof value !== 'number') {
      throw invalidType(name, 'of type number', value);
    }
    if (value !== Math.floor(value)) {
      throw coded(RangeError, 'ERR_OUT_OF_RANGE',
        'The value of "' + name + '" is out of range. It must be an integer. Received ' + value);
    }
    if (!(value >= min && value <= INT32_MAX)) {
      throw coded(RangeError, 'ERR_OUT_OF_RANGE',
        'The value of "' + name + '" is out of range. It must be >= ' + min + ' && <= ' + INT32_MAX +
        '. Received ' + value);
    }
  }

  function isBytes(value) {
    return ArrayBuffer.isView(value) || value instanceof ArrayBuffer;
  }

  function viewBytes(value) {
    if (value instanceof ArrayBuffer) {
      return Buffer.from(value);
    }
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }

  // string / Buffer / TypedArray / DataView / ArrayBuffer -> binary string
  function binary(value, encoding, name, allowArrayBuffer) {
    if (typeof value === 'string') {
      return Buffer.from(value, encoding || 'utf8').toString('latin1');
    }
    if (ArrayBuffer.isView(value) || (allowArrayBuffer && value instanceof ArrayBuffer)) {
      return viewBytes(value).toString('latin1');
    }
    if (allowArrayBuffer) {
      throw invalidType(name, 'of type string or an instance of ArrayBuffer, Buffer, TypedArray, or DataView', value);
    }
    throw invalidType(name, 'of type string or an instance of Buffer, TypedArray, or DataView', value);
  }

  function output(bytes, encoding) {
    var buf = Buffer.from(bytes);
    return typeof encoding === 'string' && encoding !== 'buffer' && Buffer.isEncoding(encoding)
      ? buf.toString(encoding)
      : buf;
  }

  function finalized() {
    return coded(Error, 'ERR_CRYPTO_HASH_FINALIZED', 'Digest already called');
  }

  function Hash(algorithm, chunks) {
    this._algorithm = algorithm;
    this._chunks = chunks;
    this._finalized = false;
  }
  Hash.prototype.update = function update(data, encoding) {
    if (this._finalized) {
      throw finalized();
    }
    this._chunks.push(binary(data, encoding, 'data', false));
    return this;
  };
  Hash.prototype.digest = function digest(encoding) {
    if (this._finalized) {
      throw finalized();
    }
    this._finalized = true;
    return output(native.cryptoDigest(this._algorithm, this._chunks.join('')), encoding);
  };
  Hash.prototype.copy = function copy() {
    if (this._finalized) {
      throw finalized();
    }
    return new Hash(this._algorithm, this._chunks.slice());
  };

  function Hmac(algorithm, key) {
    this._algorithm = algorithm;
    this._key = key;
    this._chunks = [];
    this._finalized = false;
  }
  Hmac.prototype.update = Hash.prototype.update;
  Hmac.prototype.digest = function digest(encoding) {
    if (this._finalized) {
      // Node answers an empty digest the second time
      return output(new ArrayBuffer(0), encoding);
    }
    this._finalized = true;
    return output(native.cryptoHmac(this._algorithm, this._key, this._chunks.join('')), encoding);
  };

  function createHash(algorithm) {
    if (typeof algorithm !== 'string') {
      throw invalidType('algorithm', 'of type string', algorithm);
    }
    var name = native.cryptoAlgorithm(algorithm);
    if (!name) {
      throw new Error('Digest method not supported');
    }
    return new Hash(name, []);
  }

  function createHmac(hmac, key) {
    if (typeof hmac !== 'string') {
      throw invalidType('hmac', 'of type string', hmac);
    }
    var name = native.cryptoAlgorithm(hmac);
    if (!name) {
      throw coded(TypeError, 'ERR_CRYPTO_INVALID_DIGEST', 'Invalid digest: ' + hmac);
    }
    if (typeof key !== 'string' && !isBytes(key)) {
      throw invalidType('key', 'of type string or an instance of ArrayBuffer, Buffer, TypedArray, DataView, KeyObject, or CryptoKey', key);
    }
    return new Hmac(name, binary(key, 'utf8', 'key', true));
  }

  function randomBytes(size, callback) {
    validateInt32(size, 'size', 0);
    if (callback !== undefined && typeof callback !== 'function') {
      throw invalidType('callback', 'of type function', callback);
    }
    var buf = Buffer.from(native.cryptoRandom(size));
    if (callback) {
      load('timers').setImmediate(function () {
        callback(null, buf);
      });
      return undefined;
    }
    return buf;
  }

  function randomUUID() {
    var b = Buffer.from(native.cryptoRandom(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = b.toString('hex');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  function getRandomValues(array) {
    if (!ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array ||
        array instanceof DataView) {
      var err = new TypeError('The data argument must be an integer-type TypedArray');
      err.name = 'TypeMismatchError';
      throw err;
    }
    if (array.byteLength > 65536) {
      var quota = new Error("The ArrayBufferView's byte length (" + array.byteLength + ') exceeds the number of bytes of entropy available via this API (65536)');
      quota.name = 'QuotaExceededError';
      throw quota;
    }
    var random = new Uint8Array(native.cryptoRandom(array.byteLength));
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(random);
    return array;
  }

  function timingSafeEqual(buf1, buf2) {
    if (!isBytes(buf1)) {
      throw coded(TypeError, 'ERR_INVALID_ARG_TYPE',
        'The "buf1" argument must be an instance of ArrayBuffer, Buffer, TypedArray, or DataView.');
    }
    if (!isBytes(buf2)) {
      throw coded(TypeError, 'ERR_INVALID_ARG_TYPE',
        'The "buf2" argument must be an instance of ArrayBuffer, Buffer, TypedArray, or DataView.');
    }
    var a = viewBytes(buf1);
    var b = viewBytes(buf2);
    if (a.length !== b.length) {
      throw coded(RangeError, 'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH', 'Input buffers must have the same byte length');
    }
    var diff = 0;
    for (var i = 0; i < a.length; i++) {
      diff |= a[i] ^ b[i];
    }
    return diff === 0;
  }

  function pbkdf2Args(password, salt, iterations, keylen, digest) {
    var p = binary(password, 'utf8', 'password', true);
    var s = binary(salt, 'utf8', 'salt', true);
    validateInt32(iterations, 'iterations', 1);
    validateInt32(keylen, 'keylen', 0);
    if (typeof digest !== 'string') {
      throw invalidType('digest', 'of type string', digest);
    }
    var name = native.cryptoAlgorithm(digest);
    if (!name) {
      throw coded(TypeError, 'ERR_CRYPTO_INVALID_DIGEST', 'Invalid digest: ' + digest);
    }
    return [name, p, s, iterations, keylen];
  }

  function pbkdf2Sync(password, salt, iterations, keylen, digest) {
    var args = pbkdf2Args(password, salt, iterations, keylen, digest);
    return Buffer.from(native.cryptoPbkdf2.apply(null, args));
  }

  function pbkdf2(password, salt, iterations, keylen, digest, callback) {
    if (typeof digest === 'function') {
      callback = digest;
      digest = undefined;
    }
    var args = pbkdf2Args(password, salt, iterations, keylen, digest);
    if (typeof callback !== 'function') {
      throw invalidType('callback', 'of type function', callback);
    }
    var key = Buffer.from(native.cryptoPbkdf2.apply(null, args));
    load('timers').setImmediate(function () {
      callback(null, key);
    });
  }

  function getHashes() {
    return ['RSA-MD5', 'RSA-SHA1', 'RSA-SHA224', 'RSA-SHA256', 'RSA-SHA384', 'RSA-SHA512',
      'md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'];
  }

  return {
    createHash: createHash,
    createHmac: createHmac,
    getHashes: getHashes,
    getRandomValues: getRandomValues,
    pbkdf2: pbkdf2,
    pbkdf2Sync: pbkdf2Sync,
    randomBytes: randomBytes,
    pseudoRandomBytes: randomBytes,
    randomUUID: randomUUID,
    timingSafeEqual: timingSafeEqual,
    Hash: Hash,
    Hmac: Hmac
  };
})
