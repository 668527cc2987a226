// The npm `qs` module (6.x): stringify with RFC 3986 encoding and `a[b]=c` / `a[0]=x`
// brackets (arrayFormat indices, brackets, repeat, comma; allowDots, encode, encodeValuesOnly,
// skipNulls, strictNullHandling, addQueryPrefix, delimiter, sort, filter, format), and parse
// into nested objects and arrays (depth 5, arrayLimit 20, parameterLimit 1000, allowDots,
// ignoreQueryPrefix, strictNullHandling, delimiter, plainObjects, allowPrototypes, comma),
// following qs's own algorithm (lib/parse.js, lib/stringify.js, lib/utils.js).
(function (native, global, load) {
  'use strict';
  var has = Object.prototype.hasOwnProperty;
  var toWellFormed = String.prototype.toWellFormed;

  function isBuffer(value) {
    return value instanceof Uint8Array && typeof value.constructor === 'function' &&
      value.constructor.name === 'Buffer';
  }

  function encode(value, format) {
    var str = typeof value === 'symbol' ? Symbol.prototype.toString.call(value) : String(value);
    if (str.length === 0) {
      return str;
    }
    var out = encodeURIComponent(toWellFormed.call(str)).replace(/[!'()*]/g, function (c) {
      return '%' + c.charCodeAt(0).toString(16).toUpperCase();
    });
    if (format === 'RFC1738') {
      out = out.replace(/%28/g, '(').replace(/%29/g, ')');
    }
    return out;
  }

  function decode(str) {
    var strWithoutPlus = str.replace(/\+/g, ' ');
    try {
      return decodeURIComponent(strWithoutPlus);
    } catch (e) {
      return strWithoutPlus;
    }
  }

  var formatters = {
    RFC1738: function (value) {
      return String(value).replace(/%20/g, '+');
    },
    RFC3986: function (value) {
      return String(value);
    }
  };

  var arrayPrefixGenerators = {
    brackets: function (prefix) {
      return prefix + '[]';
    },
    comma: 'comma',
    indices: function (prefix, key) {
      return prefix + '[' + key + ']';
    },
    repeat: function (prefix) {
      return prefix;
    }
  };

  function isPrimitive(v) {
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ||
      typeof v === 'symbol' || typeof v === 'bigint';
  }

  function stringifyValue(object, prefix, generateArrayPrefix, o) {
    var obj = object;
    if (typeof o.filter === 'function') {
      obj = o.filter(prefix, obj);
    } else if (obj instanceof Date) {
      obj = o.serializeDate(obj);
    } else if (generateArrayPrefix === 'comma' && Array.isArray(obj)) {
      obj = obj.map(function (v) {
        return v instanceof Date ? o.serializeDate(v) : v;
      }).join(',');
    }
    if (obj === null) {
      if (o.strictNullHandling) {
        return [o.encode && !o.encodeValuesOnly ? o.formatter(o.encoder(prefix, o.format)) : prefix];
      }
      obj = '';
    }
    if (isPrimitive(obj) || isBuffer(obj)) {
      if (o.encode) {
        var keyValue = o.encodeValuesOnly ? prefix : o.encoder(prefix, o.format);
        return [o.formatter(keyValue) + '=' + o.formatter(o.encoder(obj, o.format))];
      }
      return [o.formatter(prefix) + '=' + o.formatter(String(obj))];
    }
    var values = [];
    if (typeof obj === 'undefined') {
      return values;
    }
    var keys = Array.isArray(o.filter) ? o.filter : Object.keys(obj);
    if (o.sort) {
      keys = keys.slice().sort(o.sort);
    }
    for (var i = 0; i < keys.length; i++) {
      var key = keys[i];
      var value = obj[key];
      if (o.skipNulls && value === null) {
        continue;
      }
      var keyPrefix = Array.isArray(obj)
        ? (typeof generateArrayPrefix === 'function' ? generateArrayPrefix(prefix, key) : prefix)
        : prefix + (o.allowDots ? '.' + key : '[' + key + ']');
      values = values.concat(stringifyValue(value, keyPrefix, generateArrayPrefix, o));
    }
    return values;
  }

  function stringify(object, opts) {
    var options = opts || {};
    if (options.encoder !== null && options.encoder !== undefined && typeof options.encoder !== 'function') {
      throw new TypeError('Encoder has to be a function.');
    }
    var format = options.format === undefined ? 'RFC3986' : options.format;
    if (!has.call(formatters, format)) {
      throw new TypeError('Unknown format option provided.');
    }
    var arrayFormat;
    if (options.arrayFormat in arrayPrefixGenerators) {
      arrayFormat = options.arrayFormat;
    } else if ('indices' in options) {
      arrayFormat = options.indices ? 'indices' : 'repeat';
    } else {
      arrayFormat = 'indices';
    }
    var o = {
      allowDots: !!options.allowDots,
      encode: typeof options.encode === 'boolean' ? options.encode : true,
      encoder: typeof options.encoder === 'function' ? options.encoder : encode,
      encodeValuesOnly: !!options.encodeValuesOnly,
      filter: options.filter,
      format: format,
      formatter: formatters[format],
      serializeDate: typeof options.serializeDate === 'function' ? options.serializeDate : function (d) {
        return Date.prototype.toISOString.call(d);
      },
      skipNulls: !!options.skipNulls,
      sort: typeof options.sort === 'function' ? options.sort : null,
      strictNullHandling: !!options.strictNullHandling
    };
    var delimiter = options.delimiter === undefined ? '&' : options.delimiter;
    var obj = object;
    if (typeof o.filter === 'function') {
      obj = o.filter('', obj);
    }
    if (typeof obj !== 'object' || obj === null) {
      return '';
    }
    var keys = Array.isArray(o.filter) ? o.filter : Object.keys(obj);
    if (o.sort) {
      keys = keys.slice().sort(o.sort);
    }
    var parts = [];
    var generate = arrayPrefixGenerators[arrayFormat];
    for (var i = 0; i < keys.length; i++) {
      var key = keys[i];
      if (o.skipNulls && obj[key] === null) {
        continue;
      }
      parts = parts.concat(stringifyValue(obj[key], key, generate, o));
    }
    var joined = parts.join(delimiter);
    var prefix = options.addQueryPrefix === true ? '?' : '';
    return joined.length > 0 ? prefix + joined : '';
  }

  // ---- parse ----

  function arrayToObject(source, o) {
    var obj = o.plainObjects ? Object.create(null) : {};
    for (var i = 0; i < source.length; ++i) {
      if (typeof source[i] !== 'undefined') {
        obj[i] = source[i];
      }
    }
    return obj;
  }

  function merge(target, source, o) {
    if (!source) {
      return target;
    }
    if (typeof source !== 'object') {
      if (Array.isArray(target)) {
        target.push(source);
      } else if (target && typeof target === 'object') {
        if (o.plainObjects || o.allowPrototypes || !has.call(Object.prototype, source)) {
          target[source] = true;
        }
      } else {
        return [target, source];
      }
      return target;
    }
    if (!target || typeof target !== 'object') {
      return [target].concat(source);
    }
    var mergeTarget = target;
    if (Array.isArray(target) && !Array.isArray(source)) {
      mergeTarget = arrayToObject(target, o);
    }
    if (Array.isArray(target) && Array.isArray(source)) {
      source.forEach(function (item, i) {
        if (has.call(target, i)) {
          var targetItem = target[i];
          if (targetItem && typeof targetItem === 'object' && item && typeof item === 'object') {
            target[i] = merge(targetItem, item, o);
          } else {
            target.push(item);
          }
        } else {
          target[i] = item;
        }
      });
      return target;
    }
    return Object.keys(source).reduce(function (acc, key) {
      var value = source[key];
      if (has.call(acc, key)) {
        acc[key] = merge(acc[key], value, o);
      } else {
        acc[key] = value;
      }
      return acc;
    }, mergeTarget);
  }

  function compact(value, seen) {
    if (value === null || typeof value !== 'object' || seen.indexOf(value) !== -1) {
      return value;
    }
    seen.push(value);
    if (Array.isArray(value)) {
      var out = [];
      for (var i = 0; i < value.length; i++) {
        if (typeof value[i] !== 'undefined') {
          out.push(compact(value[i], seen));
        }
      }
      return out;
    }
    Object.keys(value).forEach(function (key) {
      value[key] = compact(value[key], seen);
    });
    return value;
  }

  function parseValues(str, o) {
    var obj = {};
    var clean = o.ignoreQueryPrefix ? str.replace(/^\?/, '') : str;
    var limit = o.parameterLimit === Infinity ? undefined : o.parameterLimit;
    var parts = clean.split(o.delimiter, limit);
    for (var i = 0; i < parts.length; ++i) {
      var part = parts[i];
      if (part === '') {
        continue;
      }
      var bracketEqualsPos = part.indexOf(']=');
      var pos = bracketEqualsPos === -1 ? part.indexOf('=') : bracketEqualsPos + 1;
      var key;
      var val;
      if (pos === -1) {
        key = o.decoder(part);
        val = o.strictNullHandling ? null : '';
      } else {
        key = o.decoder(part.slice(0, pos));
        val = o.decoder(part.slice(pos + 1));
        if (o.comma && val.indexOf(',') !== -1) {
          val = val.split(',');
        }
      }
      if (has.call(obj, key)) {
        obj[key] = [].concat(obj[key]).concat(val);
      } else {
        obj[key] = val;
      }
    }
    return obj;
  }

  function parseObject(chain, val, o) {
    var leaf = val;
    for (var i = chain.length - 1; i >= 0; --i) {
      var obj;
      var root = chain[i];
      if (root === '[]' && o.parseArrays) {
        obj = [].concat(leaf);
      } else {
        obj = o.plainObjects ? Object.create(null) : {};
        var cleanRoot = root.charAt(0) === '[' && root.charAt(root.length - 1) === ']' ? root.slice(1, -1) : root;
        var index = parseInt(cleanRoot, 10);
        if (!o.parseArrays && cleanRoot === '') {
          obj = { 0: leaf };
        } else if (!isNaN(index) && root !== cleanRoot && String(index) === cleanRoot && index >= 0 &&
            o.parseArrays && index <= o.arrayLimit) {
          obj = [];
          obj[index] = leaf;
        } else if (cleanRoot !== '__proto__') {
          obj[cleanRoot] = leaf;
        }
      }
      leaf = obj;
    }
    return leaf;
  }

  function parseKeys(givenKey, val, o) {
    if (!givenKey) {
      return undefined;
    }
    var key = o.allowDots ? givenKey.replace(/\.([^.[]+)/g, '[$1]') : givenKey;
    var brackets = /(\[[^[\]]*])/;
    var child = /(\[[^[\]]*])/g;
    var segment = o.depth > 0 && brackets.exec(key);
    var parent = segment ? key.slice(0, segment.index) : key;
    var keys = [];
    if (parent) {
      if (!o.plainObjects && has.call(Object.prototype, parent) && !o.allowPrototypes) {
        return undefined;
      }
      keys.push(parent);
    }
    var i = 0;
    while (o.depth > 0 && (segment = child.exec(key)) !== null && i < o.depth) {
      i += 1;
      if (!o.plainObjects && has.call(Object.prototype, segment[1].slice(1, -1)) && !o.allowPrototypes) {
        return undefined;
      }
      keys.push(segment[1]);
    }
    if (segment) {
      keys.push('[' + key.slice(segment.index) + ']');
    }
    return parseObject(keys, val, o);
  }

  function parse(str, opts) {
    var options = opts || {};
    if (options.decoder !== null && options.decoder !== undefined && typeof options.decoder !== 'function') {
      throw new TypeError('Decoder has to be a function.');
    }
    var o = {
      allowDots: !!options.allowDots,
      allowPrototypes: !!options.allowPrototypes,
      arrayLimit: typeof options.arrayLimit === 'number' ? options.arrayLimit : 20,
      comma: !!options.comma,
      decoder: typeof options.decoder === 'function' ? options.decoder : decode,
      delimiter: typeof options.delimiter === 'string' || options.delimiter instanceof RegExp ? options.delimiter : '&',
      depth: typeof options.depth === 'number' || options.depth === false ? +options.depth : 5,
      ignoreQueryPrefix: options.ignoreQueryPrefix === true,
      parameterLimit: typeof options.parameterLimit === 'number' ? options.parameterLimit : 1000,
      parseArrays: options.parseArrays !== false,
      plainObjects: !!options.plainObjects,
      strictNullHandling: !!options.strictNullHandling
    };
    if (str === '' || str === null || typeof str === 'undefined') {
      return o.plainObjects ? Object.create(null) : {};
    }
    var tempObj = typeof str === 'string' ? parseValues(str, o) : str;
    var obj = o.plainObjects ? Object.create(null) : {};
    var keys = Object.keys(tempObj);
    for (var i = 0; i < keys.length; ++i) {
      obj = merge(obj, parseKeys(keys[i], tempObj[keys[i]], o), o);
    }
    return compact(obj, []);
  }

  return {
    stringify: stringify,
    parse: parse,
    formats: { RFC1738: 'RFC1738', RFC3986: 'RFC3986', 'default': 'RFC3986' }
  };
})
