// Node's Buffer: a Uint8Array subclass (FastBuffer) whose constructor function is `Buffer`,
// so that `new Buffer(x)`, `Buffer(x)`, `instanceof Buffer`, subarray/species and JSON all
// behave as in Node. utf8/base64/base64url/hex conversions call into Rust
// (native.bufEncode/bufDecode); latin1/binary/ascii/utf16le are done here.
(function (native, global, load) {
  'use strict';
  var toWellFormed = String.prototype.toWellFormed;
  var fromCharCode = String.fromCharCode;
  var CHUNK = 4096;

  class FastBuffer extends Uint8Array {
    constructor(bufferOrLength, byteOffset, length) {
      super(bufferOrLength, byteOffset, length);
    }
  }

  function codedError(Ctor, code, message) {
    var err = new Ctor(message);
    err.code = code;
    return err;
  }

  function describeReceived(value) {
    if (value === null || value === undefined) {
      return 'Received ' + value;
    }
    if (typeof value === 'function') {
      return 'Received function ' + (value.name || '(anonymous)');
    }
    if (typeof value === 'object') {
      var ctor = value.constructor && value.constructor.name;
      return ctor ? 'Received an instance of ' + ctor : 'Received an instance of Object';
    }
    var shown = String(value);
    if (typeof value === 'string') {
      shown = "'" + (shown.length > 25 ? shown.slice(0, 25) + '...' : shown) + "'";
    }
    return 'Received type ' + typeof value + ' (' + shown + ')';
  }

  function normalizeEncoding(enc) {
    if (enc === undefined || enc === null || enc === '') {
      return 'utf8';
    }
    switch (String(enc).toLowerCase()) {
      case 'utf8': case 'utf-8': return 'utf8';
      case 'hex': return 'hex';
      case 'base64': return 'base64';
      case 'base64url': return 'base64url';
      case 'ascii': return 'ascii';
      case 'latin1': case 'binary': return 'latin1';
      case 'ucs2': case 'ucs-2': case 'utf16le': case 'utf-16le': return 'utf16le';
      default: return undefined;
    }
  }

  function encodingOrThrow(enc) {
    var normalized = normalizeEncoding(enc);
    if (normalized === undefined) {
      throw codedError(TypeError, 'ERR_UNKNOWN_ENCODING', 'Unknown encoding: ' + enc);
    }
    return normalized;
  }

  // string -> Uint8Array of its bytes in `encoding` (already normalised)
  function stringBytes(string, encoding) {
    var i;
    var out;
    switch (encoding) {
      case 'latin1':
      case 'ascii':
        out = new FastBuffer(string.length);
        for (i = 0; i < string.length; i++) {
          out[i] = string.charCodeAt(i) & 0xff;
        }
        return out;
      case 'utf16le':
        out = new FastBuffer(string.length * 2);
        for (i = 0; i < string.length; i++) {
          var c = string.charCodeAt(i);
          out[2 * i] = c & 0xff;
          out[2 * i + 1] = c >>> 8;
        }
        return out;
      default:
        return new FastBuffer(native.bufEncode(toWellFormed.call(string), encoding));
    }
  }

  // bytes [start, end) of `buf` as a binary string (one char per byte)
  function binaryString(buf, start, end) {
    var parts = [];
    for (var i = start; i < end; i += CHUNK) {
      parts.push(fromCharCode.apply(null, buf.subarray(i, Math.min(i + CHUNK, end))));
    }
    return parts.join('');
  }

  function bytesToString(buf, encoding, start, end) {
    var i;
    var parts;
    switch (encoding) {
      case 'latin1':
        return binaryString(buf, start, end);
      case 'ascii':
        parts = [];
        for (i = start; i < end; i++) {
          parts.push(fromCharCode(buf[i] & 0x7f));
        }
        return parts.join('');
      case 'utf16le':
        parts = [];
        for (i = start; i + 1 < end; i += 2) {
          parts.push(fromCharCode(buf[i] | (buf[i + 1] << 8)));
        }
        return parts.join('');
      default:
        return native.bufDecode(binaryString(buf, start, end), encoding);
    }
  }

  function fromString(string, encoding) {
    return stringBytes(string, encodingOrThrow(encoding));
  }

  function fromArrayLike(obj) {
    var length = obj.length >>> 0;
    var out = new FastBuffer(length);
    for (var i = 0; i < length; i++) {
      out[i] = obj[i];
    }
    return out;
  }

  function Buffer(arg, encodingOrOffset, length) {
    if (typeof arg === 'number') {
      if (typeof encodingOrOffset === 'string') {
        throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE',
          'The "string" argument must be of type string. ' + describeReceived(arg));
      }
      return Buffer.alloc(arg);
    }
    return Buffer.from(arg, encodingOrOffset, length);
  }

  FastBuffer.prototype.constructor = Buffer;
  Buffer.prototype = FastBuffer.prototype;
  Object.setPrototypeOf(Buffer, Uint8Array);

  Buffer.poolSize = 8192;

  Buffer.from = function from(value, encodingOrOffset, length) {
    if (typeof value === 'string') {
      return fromString(value, encodingOrOffset);
    }
    if (typeof value === 'object' && value !== null) {
      if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer)) {
        var offset = encodingOrOffset === undefined ? 0 : +encodingOrOffset;
        if (offset !== offset) {
          offset = 0;
        }
        var maxLength = value.byteLength - offset;
        if (maxLength < 0) {
          throw codedError(RangeError, 'ERR_BUFFER_OUT_OF_BOUNDS', '"offset" is outside of buffer bounds');
        }
        var len = length === undefined ? maxLength : +length;
        if (len > maxLength) {
          throw codedError(RangeError, 'ERR_BUFFER_OUT_OF_BOUNDS', '"length" is outside of buffer bounds');
        }
        return new FastBuffer(value, offset, len);
      }
      var valueOf = value.valueOf && value.valueOf();
      if (valueOf !== null && valueOf !== undefined && valueOf !== value &&
          (typeof valueOf === 'string' || typeof valueOf === 'object')) {
        return Buffer.from(valueOf, encodingOrOffset, length);
      }
      if (ArrayBuffer.isView(value) || typeof value.length === 'number' || Array.isArray(value)) {
        return fromArrayLike(value);
      }
      if (value.type === 'Buffer' && Array.isArray(value.data)) {
        return fromArrayLike(value.data);
      }
      if (typeof value[Symbol.toPrimitive] === 'function') {
        var primitive = value[Symbol.toPrimitive]('string');
        if (typeof primitive === 'string') {
          return fromString(primitive, encodingOrOffset);
        }
      }
    }
    throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE',
      'The first argument must be of type string or an instance of Buffer, ArrayBuffer, or ' +
      'Array or an Array-like Object. ' + describeReceived(value));
  };

  function checkSize(size) {
    if (typeof size !== 'number') {
      throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE',
        'The "size" argument must be of type number. ' + describeReceived(size));
    }
    if (!(size >= 0 && size <= 0x7fffffff)) {
      throw codedError(RangeError, 'ERR_INVALID_ARG_VALUE',
        "The argument 'size' is invalid. Received " + size);
    }
  }

  Buffer.alloc = function alloc(size, fill, encoding) {
    checkSize(size);
    var buf = new FastBuffer(size);
    if (fill !== undefined && fill !== 0 && size > 0) {
      buf.fill(fill, 0, buf.length, encoding);
    }
    return buf;
  };
  Buffer.allocUnsafe = function allocUnsafe(size) {
    checkSize(size);
    return new FastBuffer(size);
  };
  Buffer.allocUnsafeSlow = Buffer.allocUnsafe;

  Buffer.isBuffer = function isBuffer(b) {
    return b instanceof Buffer;
  };
  Buffer.isEncoding = function isEncoding(enc) {
    return typeof enc === 'string' && enc !== '' && normalizeEncoding(enc) !== undefined;
  };
  Buffer.byteLength = function byteLength(string, encoding) {
    if (typeof string !== 'string') {
      if (ArrayBuffer.isView(string) || string instanceof ArrayBuffer) {
        return string.byteLength;
      }
      throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE',
        'The "string" argument must be of type string or an instance of Buffer or ArrayBuffer. ' +
        describeReceived(string));
    }
    var enc = normalizeEncoding(encoding) || 'utf8';
    switch (enc) {
      case 'latin1': case 'ascii': return string.length;
      case 'utf16le': return string.length * 2;
      default: return stringBytes(string, enc).length;
    }
  };
  Buffer.concat = function concat(list, totalLength) {
    if (!Array.isArray(list)) {
      throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE',
        'The "list" argument must be an instance of Array. ' + describeReceived(list));
    }
    var i;
    if (totalLength === undefined) {
      totalLength = 0;
      for (i = 0; i < list.length; i++) {
        totalLength += list[i].length;
      }
    }
    var out = Buffer.alloc(totalLength);
    var pos = 0;
    for (i = 0; i < list.length && pos < totalLength; i++) {
      var item = list[i];
      if (!(item instanceof Uint8Array)) {
        throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE',
          'The "list[' + i + ']" argument must be an instance of Buffer or Uint8Array. ' + describeReceived(item));
      }
      var take = Math.min(item.length, totalLength - pos);
      out.set(take === item.length ? item : item.subarray(0, take), pos);
      pos += take;
    }
    return out;
  };
  Buffer.compare = function compare(a, b) {
    var len = Math.min(a.length, b.length);
    for (var i = 0; i < len; i++) {
      if (a[i] !== b[i]) {
        return a[i] < b[i] ? -1 : 1;
      }
    }
    return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
  };

  var proto = FastBuffer.prototype;

  proto.toString = function toString(encoding, start, end) {
    var len = this.length;
    if (arguments.length === 0) {
      return bytesToString(this, 'utf8', 0, len);
    }
    start = start === undefined || start <= 0 ? 0 : Math.trunc(start) || 0;
    if (start >= len) {
      return '';
    }
    end = end === undefined || end > len ? len : Math.trunc(end) || 0;
    if (end <= start) {
      return '';
    }
    return bytesToString(this, encodingOrThrow(encoding), start, end);
  };
  proto.toLocaleString = proto.toString;
  proto.toJSON = function toJSON() {
    return { type: 'Buffer', data: Array.prototype.slice.call(this) };
  };
  proto.equals = function equals(other) {
    if (!(other instanceof Uint8Array)) {
      throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE',
        'The "otherBuffer" argument must be an instance of Buffer or Uint8Array. ' + describeReceived(other));
    }
    return Buffer.compare(this, other) === 0;
  };
  proto.compare = function compare(other) {
    return Buffer.compare(this, other);
  };
  function adjustOffset(offset, length) {
    offset = Math.trunc(offset);
    if (offset === 0 || offset !== offset) {
      return 0;
    }
    if (offset < 0) {
      offset += length;
      return offset > 0 ? offset : 0;
    }
    return offset < length ? offset : length;
  }
  proto.slice = function slice(start, end) {
    var len = this.length;
    var s = start === undefined ? 0 : adjustOffset(start, len);
    var e = end === undefined ? len : adjustOffset(end, len);
    return new FastBuffer(this.buffer, this.byteOffset + s, e > s ? e - s : 0);
  };
  proto.subarray = proto.slice;
  proto.copy = function copy(target, targetStart, sourceStart, sourceEnd) {
    targetStart = targetStart === undefined ? 0 : Math.max(0, Math.trunc(targetStart) || 0);
    sourceStart = sourceStart === undefined ? 0 : Math.max(0, Math.trunc(sourceStart) || 0);
    sourceEnd = sourceEnd === undefined ? this.length : Math.min(this.length, Math.trunc(sourceEnd) || 0);
    if (targetStart >= target.length || sourceStart >= sourceEnd) {
      return 0;
    }
    var n = Math.min(sourceEnd - sourceStart, target.length - targetStart);
    target.set(this.subarray(sourceStart, sourceStart + n), targetStart);
    return n;
  };
  proto.write = function write(string, offset, length, encoding) {
    if (typeof offset === 'string') {
      encoding = offset;
      offset = 0;
      length = undefined;
    } else if (typeof length === 'string') {
      encoding = length;
      length = undefined;
    }
    offset = offset === undefined ? 0 : offset >>> 0;
    var bytes = stringBytes(String(string), encodingOrThrow(encoding));
    var room = this.length - offset;
    var n = Math.min(bytes.length, room, length === undefined ? room : length >>> 0);
    if (n > 0) {
      this.set(bytes.subarray(0, n), offset);
    }
    return n > 0 ? n : 0;
  };
  var typedFill = Uint8Array.prototype.fill;
  proto.fill = function fill(value, offset, end, encoding) {
    if (typeof offset === 'string') {
      encoding = offset;
      offset = 0;
      end = this.length;
    } else if (typeof end === 'string') {
      encoding = end;
      end = this.length;
    }
    offset = offset === undefined ? 0 : offset;
    end = end === undefined ? this.length : end;
    if (typeof value === 'number' || typeof value === 'boolean') {
      typedFill.call(this, value & 255, offset, end);
      return this;
    }
    var bytes = typeof value === 'string' ? stringBytes(value, encodingOrThrow(encoding)) : Buffer.from(value);
    if (bytes.length === 0) {
      typedFill.call(this, 0, offset, end);
      return this;
    }
    for (var i = offset, j = 0; i < end; i++, j = (j + 1) % bytes.length) {
      this[i] = bytes[j];
    }
    return this;
  };
  var typedIndexOf = Uint8Array.prototype.indexOf;
  proto.indexOf = function indexOf(value, byteOffset, encoding) {
    if (typeof value === 'number') {
      return typedIndexOf.call(this, value & 255, byteOffset);
    }
    var needle = typeof value === 'string' ? stringBytes(value, encodingOrThrow(encoding)) : value;
    var start = byteOffset === undefined ? 0 : adjustOffset(byteOffset, this.length);
    outer:
    for (var i = start; i + needle.length <= this.length; i++) {
      for (var j = 0; j < needle.length; j++) {
        if (this[i + j] !== needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  };
  proto.includes = function includes(value, byteOffset, encoding) {
    return this.indexOf(value, byteOffset, encoding) !== -1;
  };

  function checkOffset(buf, offset, size) {
    offset = offset === undefined ? 0 : offset;
    if (typeof offset !== 'number' || offset !== Math.floor(offset) || offset < 0 || offset + size > buf.length) {
      throw codedError(RangeError, 'ERR_OUT_OF_RANGE',
        'The value of "offset" is out of range. It must be >= 0 and <= ' + (buf.length - size) +
        '. Received ' + offset);
    }
    return offset;
  }
  function view(buf) {
    return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  [
    ['UInt8', 'Uint8', 1], ['Int8', 'Int8', 1],
    ['UInt16LE', 'Uint16', 2, true], ['UInt16BE', 'Uint16', 2, false],
    ['Int16LE', 'Int16', 2, true], ['Int16BE', 'Int16', 2, false],
    ['UInt32LE', 'Uint32', 4, true], ['UInt32BE', 'Uint32', 4, false],
    ['Int32LE', 'Int32', 4, true], ['Int32BE', 'Int32', 4, false],
    ['FloatLE', 'Float32', 4, true], ['FloatBE', 'Float32', 4, false],
    ['DoubleLE', 'Float64', 8, true], ['DoubleBE', 'Float64', 8, false]
  ].forEach(function (spec) {
    var name = spec[0];
    var type = spec[1];
    var size = spec[2];
    var little = spec[3];
    proto['read' + name] = function (offset) {
      offset = checkOffset(this, offset, size);
      return view(this)['get' + type](offset, little);
    };
    proto['write' + name] = function (value, offset) {
      offset = checkOffset(this, offset, size);
      view(this)['set' + type](offset, +value, little);
      return offset + size;
    };
    if (name.indexOf('UInt') === 0) {
      proto['readUint' + name.slice(4)] = proto['read' + name];
      proto['writeUint' + name.slice(4)] = proto['write' + name];
    }
  });

  function domError(name, message) {
    var err = new Error(message);
    err.name = name;
    return err;
  }

  function requireInput(count) {
    if (count === 0) {
      throw codedError(TypeError, 'ERR_MISSING_ARGS', 'The "input" argument must be specified');
    }
  }

  // WHATWG forgiving-base64, as Node's globals atob/btoa.
  function btoa(input) {
    requireInput(arguments.length);
    input = '' + input;
    for (var i = 0; i < input.length; i++) {
      if (input.charCodeAt(i) > 0xff) {
        throw domError('InvalidCharacterError', 'Invalid character');
      }
    }
    return stringBytes(input, 'latin1').toString('base64');
  }

  function atob(input) {
    requireInput(arguments.length);
    input = ('' + input).replace(/[\t\n\f\r ]/g, '');
    if (input.length % 4 === 0) {
      input = input.replace(/={1,2}$/, '');
    }
    if (input.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(input)) {
      throw domError('InvalidCharacterError', 'The string to be decoded is not correctly encoded.');
    }
    return stringBytes(input, 'base64').toString('latin1');
  }

  return { Buffer: Buffer, atob: atob, btoa: btoa };
})
