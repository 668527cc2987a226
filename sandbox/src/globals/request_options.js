// The rarely used half of `request.js`: the options most requests do not use (qs, form,
// auth, baseUrl, credentials in the URL, Buffer bodies), network errors, the requests that
// fail before they are sent (fail()), and abort(). Loaded
// (load('request_options')) only by a request that uses one of them, so that the common
// request reads and frees only the half it runs. The rules are request's (v2.88), as before
// the split; `request.js` calls these where its Request.prototype.init did the work inline.
(function (native, global, load) {
  'use strict';
  var toWellFormed = String.prototype.toWellFormed;
  var hasOwn = Object.prototype.hasOwnProperty;

  function wellFormed(s) {
    return toWellFormed.call(String(s));
  }

  function isBuffer(value) {
    return value instanceof Uint8Array && typeof value.constructor === 'function' &&
      value.constructor.name === 'Buffer';
  }

  function parseUri(uri) {
    var parsed = native.urlParse(wellFormed(uri));
    if (parsed.invalid) {
      var err = new TypeError('Invalid URL');
      err.code = 'ERR_INVALID_URL';
      err.input = uri;
      throw err;
    }
    return parsed;
  }

  function toBase64(str) {
    return native.utf8Base64(wellFormed(str || ''));
  }

  // ---- qs (the `qs` module's defaults: RFC 3986 encoding, a[b]=c, a[0]=x) ----

  function rfc3986(str) {
    return str.replace(/[!'()*]/g, function (c) {
      return '%' + c.charCodeAt(0).toString(16).toUpperCase();
    });
  }

  function qsEncode(value) {
    var str = typeof value === 'string' ? value : String(value);
    if (str.length === 0) {
      return str;
    }
    return rfc3986(encodeURIComponent(wellFormed(str)));
  }

  function qsStringifyValue(value, prefix, out) {
    if (value instanceof Date) {
      value = value.toISOString();
    } else if (isBuffer(value)) {
      value = value.toString();
    }
    if (value === null) {
      value = '';
    }
    if (value === undefined) {
      return;
    }
    var t = typeof value;
    if (t === 'string' || t === 'number' || t === 'boolean' || t === 'bigint') {
      out.push(qsEncode(prefix) + '=' + qsEncode(value));
      return;
    }
    if (t !== 'object') {
      return;
    }
    var keys = Object.keys(value);
    for (var i = 0; i < keys.length; i++) {
      qsStringifyValue(value[keys[i]], prefix + '[' + keys[i] + ']', out);
    }
  }

  function qsStringify(obj) {
    var out = [];
    if (obj === null || typeof obj !== 'object') {
      return '';
    }
    var keys = Object.keys(obj);
    for (var i = 0; i < keys.length; i++) {
      qsStringifyValue(obj[keys[i]], keys[i], out);
    }
    return out.join('&');
  }

  function qsDecode(s) {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch (e) {
      return s;
    }
  }

  function qsParse(query) {
    var out = {};
    if (!query) {
      return out;
    }
    var parts = query.split('&');
    for (var i = 0; i < parts.length; i++) {
      if (parts[i] === '') {
        continue;
      }
      var eq = parts[i].indexOf('=');
      var key = qsDecode(eq === -1 ? parts[i] : parts[i].slice(0, eq));
      var val = eq === -1 ? '' : qsDecode(parts[i].slice(eq + 1));
      if (hasOwn.call(out, key)) {
        out[key] = [].concat(out[key], val);
      } else {
        out[key] = val;
      }
    }
    return out;
  }

  // `options.baseUrl` joined with `uri`: `{ uri }`, or `{ error }` (the message init fails with).
  function baseUrl(options, uri) {
    if (typeof options.baseUrl !== 'string') {
      return { error: 'options.baseUrl must be a string' };
    }
    if (typeof uri !== 'string') {
      return { error: 'options.uri must be a string when using options.baseUrl' };
    }
    if (/^(?:\w+:)?\/\//.test(uri)) {
      return { error: 'options.uri must be a path when using options.baseUrl' };
    }
    var baseEndsWithSlash = options.baseUrl.lastIndexOf('/') === options.baseUrl.length - 1;
    var uriStartsWithSlash = uri.indexOf('/') === 0;
    if (baseEndsWithSlash && uriStartsWithSlash) {
      uri = options.baseUrl + uri.slice(1);
    } else if (baseEndsWithSlash || uriStartsWithSlash) {
      uri = options.baseUrl + uri;
    } else if (uri === '') {
      uri = options.baseUrl;
    } else {
      uri = options.baseUrl + '/' + uri;
    }
    return { uri: uri };
  }

  // `options.form`: the body, and its content type unless one of that type was given.
  function form(self, options) {
    if (!/^application\/x-www-form-urlencoded\b/.test(self._headers.get('content-type'))) {
      self._headers.set('content-type', 'application/x-www-form-urlencoded');
    }
    self.body = typeof options.form === 'string' ? rfc3986(String(options.form)) : qsStringify(options.form);
  }

  // `options.qs` merged into the query: the URI parsed again (or `parsed` unchanged).
  function qs(self, parsed, options) {
    var base = qsParse(parsed.query);
    for (var key in options.qs) {
      base[key] = options.qs[key];
    }
    var query = qsStringify(base);
    if (query !== '') {
      parsed = parseUri(parsed.href.split('?')[0] + '?' + query);
      self.uri = parsed;
    }
    return parsed;
  }

  // `options.auth`: the authorization header; a message when init must fail.
  function auth(self, auth) {
    if (hasOwn.call(auth, 'username')) {
      auth.user = auth.username;
    }
    if (hasOwn.call(auth, 'password')) {
      auth.pass = auth.password;
    }
    if (auth.bearer === undefined && auth.user === undefined) {
      return 'no auth mechanism defined';
    }
    if (auth.sendImmediately === undefined || auth.sendImmediately) {
      if (auth.bearer !== undefined) {
        var bearer = typeof auth.bearer === 'function' ? auth.bearer() : auth.bearer;
        self._headers.set('authorization', 'Bearer ' + bearer);
      } else {
        if (typeof auth.user !== 'string' || (auth.pass !== undefined && typeof auth.pass !== 'string')) {
          return 'auth() received invalid user or password';
        }
        self._headers.set('authorization', 'Basic ' + toBase64(auth.user + ':' + (auth.pass || '')));
      }
    }
    return undefined;
  }

  // user:password in the URL, when no authorization header was set.
  function urlAuth(self, userinfo) {
    var pieces = userinfo.split(':');
    self._headers.set('authorization', 'Basic ' + toBase64(pieces[0] + ':' + pieces.slice(1).join(':')));
  }

  // A body that is not a string: `{ binary, length }` for bytes (a typed array or view, an
  // array of Buffers), undefined for anything else.
  function binaryBody(body) {
    if (ArrayBuffer.isView(body)) {
      return {
        binary: load('buffer').Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1'),
        length: body.byteLength
      };
    }
    if (Array.isArray(body) && body.every(isBuffer)) {
      var binary = load('buffer').Buffer.concat(body).toString('latin1');
      return { binary: binary, length: binary.length };
    }
    return undefined;
  }

  function networkError(e) {
    var err = new Error(e.message);
    var fields = ['errno', 'code', 'syscall', 'address', 'port', 'hostname', 'connect'];
    for (var i = 0; i < fields.length; i++) {
      if (e[fields[i]] !== undefined) {
        err[fields[i]] = e[fields[i]];
      }
    }
    return err;
  }

  // A request that cannot be made: the error goes to the callback synchronously, as request
  // does; `href`, the URL the request could not be sent to, is logged with it (the script's
  // diagnostics then show why nothing reached the server).
  function fail(self, message, href) {
    self._done = true;
    if (href !== undefined) {
      native.httpRejected(self.method, wellFormed(href), message);
    }
    self.emit('error', new Error(message));
    return self;
  }

  // `request.abort()` of a request in flight.
  function abort(id) {
    native.httpAbort(id);
  }

  return {
    fail: fail,
    abort: abort,
    rfc3986: rfc3986,
    baseUrl: baseUrl,
    form: form,
    qs: qs,
    auth: auth,
    urlAuth: urlAuth,
    binaryBody: binaryBody,
    networkError: networkError
  };
})
