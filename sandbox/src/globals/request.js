// The callback API of the npm `request` module (v2.88), as Auth0's legacy sandbox injected
// it. Option handling follows request's Request.prototype.init: uri/url + baseUrl, legacy
// url.parse validation (native.urlParse), qs, form, json, auth, body/content-length, encoding.
// The options few requests use (baseUrl, form, qs, auth, credentials in the URL, Buffer
// bodies) and network errors are in request_options.js, loaded only when a request needs
// them. Every function declared here is a closure made at every call's first `request`, and
// freed with it: small helpers are written inline where they are used.
// Errors found while building the request are delivered synchronously to the callback, as
// request does. The exchange itself (redirects, timeouts, Node-like network errors) runs in
// Rust (native.httpStart) and comes back through `complete(id, error, response)`. `Buffer` is
// only touched (and so loaded) when the script itself deals in Buffers.
(function (native, global, load) {
  'use strict';
  var toWellFormed = String.prototype.toWellFormed;
  var stringify = JSON.stringify;
  var parseJson = JSON.parse;
  var hasOwn = Object.prototype.hasOwnProperty;
  // requests in flight by id (a plain object: Map is a built-in the context adds lazily)
  var pending = Object.create(null);

  function extend(target) {
    for (var i = 1; i < arguments.length; i++) {
      var source = arguments[i];
      if (source === null || source === undefined) {
        continue;
      }
      for (var key in source) {
        if (hasOwn.call(source, key) && source[key] !== undefined) {
          target[key] = source[key];
        }
      }
    }
    return target;
  }

  // ---- headers (case-insensitive, names kept as given) ----
  // `list` holds [name as given, value, name in lower case] (the last one so that a lookup
  // lowers only the name it looks for).

  function Headers(initial) {
    this.list = [];
    if (initial && typeof initial === 'object') {
      for (var name in initial) {
        if (hasOwn.call(initial, name) && initial[name] !== undefined) {
          this.set(name, initial[name]);
        }
      }
    }
  }
  Headers.prototype.find = function (name) {
    var lower = String(name).toLowerCase();
    var list = this.list;
    for (var i = 0; i < list.length; i++) {
      if (list[i][2] === lower) {
        return i;
      }
    }
    return -1;
  };
  Headers.prototype.get = function (name) {
    var i = this.find(name);
    return i === -1 ? undefined : this.list[i][1];
  };
  Headers.prototype.set = function (name, value) {
    var i = this.find(name);
    if (i === -1) {
      var given = String(name);
      this.list.push([given, value, given.toLowerCase()]);
    } else {
      this.list[i][1] = value;
    }
  };
  Headers.prototype.toObject = function () {
    var out = {};
    for (var i = 0; i < this.list.length; i++) {
      out[this.list[i][0]] = this.list[i][1];
    }
    return out;
  };

  // ---- a minimal event emitter for the returned Request object ----

  function Request(params) {
    this._events = {};
    this.headers = {};
    this.method = 'GET';
    this._id = undefined;
    this._done = false;
    init(this, params);
  }
  Request.prototype.on = function (event, listener) {
    (this._events[event] = this._events[event] || []).push(listener);
    return this;
  };
  Request.prototype.once = function (event, listener) {
    var self = this;
    function wrapper() {
      self.removeListener(event, wrapper);
      return listener.apply(this, arguments);
    }
    return this.on(event, wrapper);
  };
  Request.prototype.addListener = Request.prototype.on;
  Request.prototype.removeListener = function (event, listener) {
    var list = this._events[event];
    if (list) {
      var i = list.indexOf(listener);
      if (i !== -1) {
        list.splice(i, 1);
      }
    }
    return this;
  };
  Request.prototype.emit = function (event) {
    var listeners = this._events[event];
    if (!listeners) {
      // nobody listens (the common 'response'): what the general case below would do
      if (event === 'error') {
        throw arguments[1];
      }
      return false;
    }
    var list = listeners.slice();
    var args = Array.prototype.slice.call(arguments, 1);
    if (event === 'error' && list.length === 0) {
      throw args[0];
    }
    for (var i = 0; i < list.length; i++) {
      list[i].apply(this, args);
    }
    return list.length > 0;
  };
  Request.prototype.abort = function () {
    this._aborted = true;
    if (this._id !== undefined && this._id in pending) {
      delete pending[this._id];
      load('request_options').abort(this._id);
    }
  };
  Request.prototype.setHeader = function (name, value) {
    this._headers.set(name, value);
    this.headers = this._headers.toObject();
    return this;
  };
  Request.prototype.getHeader = function (name) {
    return this._headers.get(name);
  };
  Request.prototype.hasHeader = function (name) {
    return this._headers.find(name) !== -1;
  };

  function init(self, options) {
    var callback = options.callback;
    if (typeof callback === 'function') {
      var called = false;
      self.callback = function () {
        if (called) {
          return;
        }
        called = true;
        callback.apply(self, arguments);
      };
      self.on('error', self.callback.bind(self));
      self.on('complete', self.callback.bind(self, null));
    }

    self.method = options.method ? String(options.method).toUpperCase() : 'GET';
    self._headers = new Headers(options.headers);
    self.headers = self._headers.toObject();
    self._json = false;
    self.encoding = options.encoding;

    var uri = options.uri !== undefined && options.uri !== null && options.uri !== '' ? options.uri : options.url;
    if (options.baseUrl) {
      var joined = load('request_options').baseUrl(options, uri);
      if (joined.error !== undefined) {
        return load('request_options').fail(self, joined.error);
      }
      uri = joined.uri;
    }
    if (!uri) {
      return load('request_options').fail(self, 'options.uri is a required argument');
    }
    if (typeof uri === 'object' && typeof uri.href === 'string') {
      uri = uri.href;
    }
    uri = String(uri);
    var parsed = native.urlParse(toWellFormed.call(String(uri)));
    if (parsed.invalid) {
      var err = new TypeError('Invalid URL');
      err.code = 'ERR_INVALID_URL';
      err.input = uri;
      throw err;
    }
    self.uri = parsed;
    if (!(parsed.host || (parsed.hostname && parsed.port))) {
      return load('request_options').fail(self, 'Invalid URI "' + parsed.href + '"', parsed.href);
    }

    if (options.form) {
      load('request_options').form(self, options);
    } else {
      self.body = options.body;
    }

    if (options.qs) {
      parsed = load('request_options').qs(self, parsed, options);
    }

    if (options.auth) {
      var refused = load('request_options').auth(self, options.auth);
      if (refused !== undefined) {
        return load('request_options').fail(self, refused);
      }
    }
    if (parsed.auth && self._headers.find('authorization') === -1) {
      load('request_options').urlAuth(self, parsed.auth);
    }

    if (options.json) {
      self._json = true;
      if (self._headers.find('accept') === -1) {
        self._headers.set('accept', 'application/json');
      }
      if (typeof options.json === 'boolean') {
        if (self.body !== undefined) {
          if (!/^application\/x-www-form-urlencoded\b/.test(self._headers.get('content-type'))) {
            self.body = stringify(self.body);
          } else {
            self.body = load('request_options').rfc3986(String(self.body));
          }
          if (self._headers.find('content-type') === -1) {
            self._headers.set('content-type', 'application/json');
          }
        }
      } else {
        self.body = stringify(options.json);
        if (self._headers.find('content-type') === -1) {
          self._headers.set('content-type', 'application/json');
        }
      }
    }

    var bodyText;
    var bodyBinary;
    if (self.body) {
      var length;
      if (typeof self.body === 'string') {
        bodyText = toWellFormed.call(String(self.body));
        length = native.utf8Length(bodyText);
      } else {
        var bytes = load('request_options').binaryBody(self.body);
        if (bytes !== undefined) {
          bodyBinary = bytes.binary;
          length = bytes.length;
        }
      }
      if (self._headers.find('content-length') === -1) {
        if (length) {
          self._headers.set('content-length', length);
        } else {
          return load('request_options').fail(self, 'Argument error, options.body.');
        }
      }
    }

    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      return load('request_options').fail(self, 'Invalid protocol: ' + parsed.protocol, parsed.href);
    }
    self.headers = self._headers.toObject();
    self.href = parsed.href;
    self.path = parsed.path || '/';

    // the headers as sent: name, value, name, value..., well-formed strings, an array value
    // repeated
    var wire = [];
    var list = self._headers.list;
    for (var i = 0; i < list.length; i++) {
      var value = list[i][1];
      if (Array.isArray(value)) {
        for (var j = 0; j < value.length; j++) {
          wire.push(toWellFormed.call(String(list[i][0])), toWellFormed.call(String(value[j])));
        }
      } else {
        wire.push(toWellFormed.call(String(list[i][0])), toWellFormed.call(String(value)));
      }
    }
    var timeout = options.timeout;
    var followRedirect = options.followRedirect === undefined ? true : !!options.followRedirect;
    // positional (see request.rs, read_spec): no property names to intern or look up
    var id = native.httpStart([
      self.method,
      parsed.href,
      wire,
      bodyText,
      bodyBinary,
      typeof timeout === 'number' && timeout > 0 ? timeout : undefined,
      followRedirect,
      !!options.followAllRedirects,
      !!options.followOriginalHttpMethod,
      options.maxRedirects === undefined ? 10 : Number(options.maxRedirects),
      !!options.removeRefererHeader,
      // the encodings whose body is handed over as text (the others get bytes)
      !(self.encoding === undefined || self.encoding === 'utf8' || self.encoding === 'utf-8')
    ]);
    self._id = id;
    pending[id] = self;
    return self;
  }

  // response.toJSON, as request's
  function responseToJSON() {
    return {
      statusCode: this.statusCode,
      body: this.body,
      headers: this.headers,
      request: { uri: this.request.uri, method: this.request.method, headers: this.request.headers }
    };
  }

  // `response` comes from Rust with statusCode, statusMessage, httpVersion, headers and
  // rawHeaders (request.rs, to_js); `payload` is the body as text, or (when the script asked
  // for bytes) an ArrayBuffer; `size` its length in bytes.
  function complete(id, error, response, method, url, size, payload) {
    var self = pending[id];
    if (!self) {
      return;
    }
    delete pending[id];
    self._done = true;
    if (error) {
      self.emit('error', load('request_options').networkError(error));
      return;
    }
    // the URI the answer came from: the request's own unless redirected
    var finalUri = url === self.href ? self.uri : native.urlParse(url);
    response.request = {
      uri: finalUri,
      method: method,
      headers: self.headers,
      href: finalUri.href
    };
    response.toJSON = responseToJSON;
    var body;
    if (size > 0) {
      var encoding = self.encoding;
      if (typeof payload === 'string') {
        body = payload;
      } else {
        var bytes = load('buffer').Buffer.from(payload);
        body = encoding === null ? bytes : bytes.toString(encoding);
      }
    }
    if (self._json) {
      try {
        body = parseJson(body);
      } catch (e) {
        // request keeps the raw body when it does not parse
      }
    }
    if (body === undefined && !self._json) {
      body = self.encoding === null ? load('buffer').Buffer.alloc(0) : '';
    }
    response.body = body;
    self.response = response;
    self.emit('response', response);
    self.emit('complete', response, body);
  }

  function initParams(uri, options, callback) {
    if (typeof options === 'function') {
      callback = options;
    }
    var params = {};
    if (options !== null && typeof options === 'object') {
      extend(params, options, { uri: uri });
    } else if (typeof uri === 'string') {
      extend(params, { uri: uri });
    } else {
      extend(params, uri);
    }
    params.callback = callback || params.callback;
    return params;
  }

  function makeRequest(defaults) {
    function request(uri, options, callback) {
      if (typeof uri === 'undefined') {
        throw new Error('undefined is not a valid uri or options object.');
      }
      var params = initParams(uri, options, callback);
      if (defaults) {
        var headers = extend({}, defaults.headers, params.headers);
        params = extend({}, defaults, params);
        params.headers = headers;
      }
      if (params.method === 'HEAD' && (params.body || params.requestBodyStream ||
          (params.json && typeof params.json !== 'boolean') || params.multipart)) {
        throw new Error('HTTP HEAD requests MUST NOT include a request body.');
      }
      return new Request(params);
    }
    function verb(method) {
      return function (uri, options, callback) {
        var params = initParams(uri, options, callback);
        params.method = method;
        return request(params, params.callback);
      };
    }
    request.get = verb('GET');
    request.head = verb('HEAD');
    request.options = verb('OPTIONS');
    request.post = verb('POST');
    request.put = verb('PUT');
    request.patch = verb('PATCH');
    request.del = verb('DELETE');
    request['delete'] = verb('DELETE');
    request.defaults = function (options) {
      return makeRequest(extend({}, defaults, options));
    };
    request.jar = function () {
      return {};
    };
    request.Request = Request;
    return request;
  }

  return { request: makeRequest(undefined), complete: complete };
})
