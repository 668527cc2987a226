// Node's `querystring` (also the legacy `querystring` global): stringify / encode, parse /
// decode, escape, unescape, with Node's rules: arrays repeat their key, values that are not
// strings, finite numbers, bigints or booleans become empty, `+` is a space, invalid escapes
// are kept, empty pairs are skipped, parse returns an object without prototype and stops after
// maxKeys (1000) pairs.
(function (native, global, load) {
  'use strict';
  var toWellFormed = String.prototype.toWellFormed;

  function escape(str) {
    if (typeof str !== 'string') {
      str = typeof str === 'object' ? String(str) : str + '';
    }
    try {
      return encodeURIComponent(str);
    } catch (e) {
      var err = new URIError('URI malformed');
      err.code = 'ERR_INVALID_URI';
      throw err;
    }
  }

  function unescape(s) {
    try {
      return decodeURIComponent(s);
    } catch (e) {
      return native.urlDecode(toWellFormed.call(s));
    }
  }

  function stringifyPrimitive(v) {
    if (typeof v === 'string') {
      return v;
    }
    if (typeof v === 'number' && isFinite(v)) {
      return '' + v;
    }
    if (typeof v === 'bigint') {
      return '' + v;
    }
    if (typeof v === 'boolean') {
      return v ? 'true' : 'false';
    }
    return '';
  }

  function stringify(obj, sep, eq, options) {
    sep = sep || '&';
    eq = eq || '=';
    var encode = exports.escape;
    if (options && typeof options.encodeURIComponent === 'function') {
      encode = options.encodeURIComponent;
    }
    function convert(v) {
      var s = stringifyPrimitive(v);
      if (encode === escape && typeof v !== 'string') {
        return s;
      }
      return s.length || encode !== escape ? encode(s) : '';
    }
    if (obj === null || typeof obj !== 'object') {
      return '';
    }
    var keys = Object.keys(obj);
    var fields = '';
    for (var i = 0; i < keys.length; i++) {
      var k = keys[i];
      var v = obj[k];
      var ks = convert(k) + eq;
      if (Array.isArray(v)) {
        if (v.length === 0) {
          continue;
        }
        if (fields) {
          fields += sep;
        }
        for (var j = 0; j < v.length; j++) {
          if (j) {
            fields += sep;
          }
          fields += ks + convert(v[j]);
        }
      } else {
        if (fields) {
          fields += sep;
        }
        fields += ks + convert(v);
      }
    }
    return fields;
  }

  function parse(qs, sep, eq, options) {
    var obj = Object.create(null);
    if (typeof qs !== 'string' || qs.length === 0) {
      return obj;
    }
    sep = sep ? String(sep) : '&';
    eq = eq ? String(eq) : '=';
    var maxKeys = 1000;
    if (options && typeof options.maxKeys === 'number') {
      maxKeys = options.maxKeys > 0 ? options.maxKeys : Infinity;
    }
    var decode = exports.unescape;
    if (options && typeof options.decodeURIComponent === 'function') {
      decode = options.decodeURIComponent;
    }
    function decodeStr(s) {
      if (s.indexOf('%') === -1 && decode === unescape) {
        return s;
      }
      try {
        return decode(s);
      } catch (e) {
        return unescape(s);
      }
    }
    var parts = qs.split(sep);
    var pairs = 0;
    for (var i = 0; i < parts.length && pairs < maxKeys; i++) {
      var part = parts[i];
      var at = part.indexOf(eq);
      var key = at === -1 ? part : part.slice(0, at);
      var value = at === -1 ? '' : part.slice(at + eq.length);
      if (part.length === 0) {
        continue;
      }
      pairs++;
      key = decodeStr(key.replace(/\+/g, ' '));
      value = decodeStr(value.replace(/\+/g, ' '));
      if (key in obj) {
        var current = obj[key];
        if (Array.isArray(current)) {
          current.push(value);
        } else {
          obj[key] = [current, value];
        }
      } else {
        obj[key] = value;
      }
    }
    return obj;
  }

  var exports = {
    escape: escape,
    unescape: unescape,
    stringify: stringify,
    encode: stringify,
    parse: parse,
    decode: parse
  };
  return exports;
})
