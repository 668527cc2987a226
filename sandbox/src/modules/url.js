// Node's `url`: the legacy `parse` (the parser `request` uses, native.urlParse), `format`,
// `resolve` (approximated with WHATWG resolution), and the WHATWG `URL` and `URLSearchParams`
// classes (also globals), whose parsing and setters are the `url` crate's (url.rs).
(function (native, global, load) {
  'use strict';
  var toWellFormed = String.prototype.toWellFormed;
  var state = new WeakMap();

  function wellFormed(s) {
    return toWellFormed.call(String(s));
  }

  function coded(Ctor, code, message) {
    var err = new Ctor(message);
    err.code = code;
    return err;
  }

  function describe(value) {
    if (value === null || value === undefined) {
      return 'Received ' + value;
    }
    if (typeof value === 'object' || typeof value === 'function') {
      var ctor = value.constructor && value.constructor.name;
      return 'Received an instance of ' + (ctor || 'Object');
    }
    return 'Received type ' + typeof value + ' (' + String(value) + ')';
  }

  // ---- legacy API ----

  function Url() {
    this.protocol = null;
    this.slashes = null;
    this.auth = null;
    this.host = null;
    this.port = null;
    this.hostname = null;
    this.hash = null;
    this.search = null;
    this.query = null;
    this.pathname = null;
    this.path = null;
    this.href = null;
  }

  function parse(urlString, parseQueryString) {
    if (urlString instanceof Url) {
      return urlString;
    }
    if (typeof urlString !== 'string') {
      throw coded(TypeError, 'ERR_INVALID_ARG_TYPE',
        'The "url" argument must be of type string. ' + describe(urlString));
    }
    var parsed = native.urlParse(wellFormed(urlString));
    if (parsed.invalid) {
      var err = coded(TypeError, 'ERR_INVALID_URL', 'Invalid URL');
      err.input = urlString;
      throw err;
    }
    var out = new Url();
    Object.keys(out).forEach(function (key) {
      out[key] = parsed[key];
    });
    if (parseQueryString) {
      var querystring = load('querystring');
      out.query = querystring.parse(out.query || '');
    }
    return out;
  }

  var slashedProtocols = { 'http:': 1, 'https:': 1, 'ftp:': 1, 'gopher:': 1, 'file:': 1, 'ws:': 1, 'wss:': 1 };

  function formatObject(obj) {
    var auth = obj.auth || '';
    if (auth) {
      auth = encodeURIComponent(auth).replace(/%3A/gi, ':') + '@';
    }
    var protocol = obj.protocol || '';
    var pathname = obj.pathname || '';
    var hash = obj.hash || '';
    var host = '';
    var query = '';
    if (obj.host) {
      host = auth + obj.host;
    } else if (obj.hostname) {
      var hostname = String(obj.hostname);
      host = auth + (hostname.indexOf(':') !== -1 && hostname.charAt(0) !== '[' ? '[' + hostname + ']' : hostname);
      if (obj.port) {
        host += ':' + obj.port;
      }
    }
    if (obj.query !== null && typeof obj.query === 'object') {
      query = load('querystring').stringify(obj.query);
    }
    var search = obj.search || (query && '?' + query) || '';
    if (protocol && protocol.charAt(protocol.length - 1) !== ':') {
      protocol += ':';
    }
    pathname = pathname.replace(/[?#]/g, encodeURIComponent);
    if (obj.slashes || slashedProtocols[protocol]) {
      if (obj.slashes || host) {
        if (pathname && pathname.charAt(0) !== '/') {
          pathname = '/' + pathname;
        }
        host = '//' + host;
      } else if (protocol === 'file:') {
        host = '//';
      }
    }
    search = search.replace(/#/g, '%23');
    if (hash && hash.charAt(0) !== '#') {
      hash = '#' + hash;
    }
    if (search && search.charAt(0) !== '?') {
      search = '?' + search;
    }
    return protocol + host + pathname + search + hash;
  }

  function format(urlObject) {
    if (typeof urlObject === 'string') {
      return formatObject(parse(urlObject));
    }
    if (urlObject instanceof URL) {
      return urlObject.href;
    }
    if (urlObject === null || typeof urlObject !== 'object') {
      throw coded(TypeError, 'ERR_INVALID_ARG_TYPE',
        'The "urlObject" argument must be one of type object or string. ' + describe(urlObject));
    }
    return formatObject(urlObject);
  }

  Url.prototype.format = function () {
    return formatObject(this);
  };

  function resolve(from, to) {
    return native.urlResolve(wellFormed(from), wellFormed(to));
  }

  // ---- URLSearchParams ----

  function formEncode(s) {
    return encodeURIComponent(wellFormed(s)).replace(/%20/g, '+').replace(/[!'()~]/g, function (c) {
      return '%' + c.charCodeAt(0).toString(16).toUpperCase();
    });
  }

  function formDecode(s) {
    return native.urlDecode(s.replace(/\+/g, ' '));
  }

  function parseQuery(text) {
    var list = [];
    text.split('&').forEach(function (part) {
      if (part === '') {
        return;
      }
      var eq = part.indexOf('=');
      var name = eq === -1 ? part : part.slice(0, eq);
      var value = eq === -1 ? '' : part.slice(eq + 1);
      list.push([formDecode(name), formDecode(value)]);
    });
    return list;
  }

  function URLSearchParams(init) {
    if (!(this instanceof URLSearchParams)) {
      throw new TypeError("Class constructor URLSearchParams cannot be invoked without 'new'");
    }
    var list = [];
    if (init instanceof URLSearchParams) {
      list = state.get(init).list.map(function (pair) { return pair.slice(); });
    } else if (init !== null && typeof init === 'object' || typeof init === 'function') {
      if (typeof init[Symbol.iterator] === 'function') {
        for (var pair of init) {
          var entry = Array.from(pair);
          if (entry.length !== 2) {
            throw coded(TypeError, 'ERR_INVALID_TUPLE', 'Each query pair must be an iterable [name, value] tuple');
          }
          list.push([wellFormed(entry[0]), wellFormed(entry[1])]);
        }
      } else {
        Object.keys(init).forEach(function (key) {
          list.push([wellFormed(key), wellFormed(init[key])]);
        });
      }
    } else if (init !== undefined && init !== null) {
      var text = wellFormed(init);
      list = parseQuery(text.charAt(0) === '?' ? text.slice(1) : text);
    }
    state.set(this, { list: list, url: null });
  }

  function params(self) {
    var s = state.get(self);
    if (!s || !s.list) {
      throw coded(TypeError, 'ERR_INVALID_THIS', 'Value of "this" must be of type URLSearchParams');
    }
    return s;
  }

  function changed(s) {
    if (s.url) {
      var text = serialize(s.list);
      var u = state.get(s.url);
      // an empty list removes the '?' altogether (URL Standard "update")
      u.parts = native.urlSet(u.parts.href, 'search', text) || u.parts;
    }
  }

  function serialize(list) {
    return list.map(function (pair) {
      return formEncode(pair[0]) + '=' + formEncode(pair[1]);
    }).join('&');
  }

  var sp = URLSearchParams.prototype;
  sp.append = function append(name, value) {
    var s = params(this);
    s.list.push([wellFormed(name), wellFormed(value)]);
    changed(s);
  };
  sp['delete'] = function (name, value) {
    var s = params(this);
    name = wellFormed(name);
    value = value === undefined ? undefined : wellFormed(value);
    s.list = s.list.filter(function (pair) {
      return !(pair[0] === name && (value === undefined || pair[1] === value));
    });
    changed(s);
  };
  sp.get = function get(name) {
    name = wellFormed(name);
    var found = params(this).list.find(function (pair) { return pair[0] === name; });
    return found ? found[1] : null;
  };
  sp.getAll = function getAll(name) {
    name = wellFormed(name);
    return params(this).list.filter(function (pair) { return pair[0] === name; }).map(function (pair) { return pair[1]; });
  };
  sp.has = function has(name, value) {
    name = wellFormed(name);
    value = value === undefined ? undefined : wellFormed(value);
    return params(this).list.some(function (pair) {
      return pair[0] === name && (value === undefined || pair[1] === value);
    });
  };
  sp.set = function set(name, value) {
    var s = params(this);
    name = wellFormed(name);
    value = wellFormed(value);
    var seen = false;
    s.list = s.list.filter(function (pair) {
      if (pair[0] !== name) {
        return true;
      }
      if (seen) {
        return false;
      }
      seen = true;
      pair[1] = value;
      return true;
    });
    if (!seen) {
      s.list.push([name, value]);
    }
    changed(s);
  };
  sp.sort = function sort() {
    var s = params(this);
    // stable, by UTF-16 code units
    s.list = s.list.map(function (pair, i) { return [pair, i]; }).sort(function (a, b) {
      return a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1];
    }).map(function (x) { return x[0]; });
    changed(s);
  };
  sp.forEach = function forEach(callback, thisArg) {
    if (typeof callback !== 'function') {
      throw coded(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "callback" argument must be of type function. ' + describe(callback));
    }
    var list = params(this).list;
    for (var i = 0; i < list.length; i++) {
      callback.call(thisArg, list[i][1], list[i][0], this);
    }
  };
  sp.entries = function entries() {
    return params(this).list.map(function (pair) { return pair.slice(); })[Symbol.iterator]();
  };
  sp.keys = function keys() {
    return params(this).list.map(function (pair) { return pair[0]; })[Symbol.iterator]();
  };
  sp.values = function values() {
    return params(this).list.map(function (pair) { return pair[1]; })[Symbol.iterator]();
  };
  sp[Symbol.iterator] = sp.entries;
  sp.toString = function toString() {
    return serialize(params(this).list);
  };
  Object.defineProperty(sp, 'size', {
    configurable: true,
    get: function () {
      return params(this).list.length;
    }
  });
  Object.defineProperty(sp, Symbol.toStringTag, { value: 'URLSearchParams', configurable: true });

  // ---- URL ----

  function invalidUrl(input, base) {
    var err = coded(TypeError, 'ERR_INVALID_URL', 'Invalid URL');
    err.input = input;
    if (base !== undefined) {
      err.base = base;
    }
    return err;
  }

  function URL(input, base) {
    if (!(this instanceof URL)) {
      throw new TypeError("Class constructor URL cannot be invoked without 'new'");
    }
    if (arguments.length === 0) {
      throw coded(TypeError, 'ERR_MISSING_ARGS', 'The "url" argument must be specified');
    }
    var text = wellFormed(input);
    var baseText = base === undefined ? undefined : wellFormed(base);
    var parts = native.urlWhatwg(text, baseText);
    if (!parts) {
      throw invalidUrl(text, baseText);
    }
    state.set(this, { parts: parts, params: null });
  }

  function urlState(self) {
    var s = state.get(self);
    if (!s || !s.parts) {
      throw coded(TypeError, 'ERR_INVALID_THIS', 'Value of "this" must be of type URL');
    }
    return s;
  }

  URL.canParse = function canParse(input, base) {
    return !!native.urlWhatwg(wellFormed(input), base === undefined ? undefined : wellFormed(base));
  };

  ['href', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'].forEach(function (name) {
    Object.defineProperty(URL.prototype, name, {
      configurable: true,
      enumerable: true,
      get: function () {
        return urlState(this).parts[name];
      },
      set: function (value) {
        var s = urlState(this);
        var text = wellFormed(value);
        var next = native.urlSet(s.parts.href, name, text);
        if (!next) {
          if (name === 'href') {
            throw invalidUrl(text);
          }
          return;
        }
        s.parts = next;
        if (s.params && (name === 'href' || name === 'search')) {
          state.get(s.params).list = parseQuery(next.search.slice(1));
        }
      }
    });
  });
  Object.defineProperty(URL.prototype, 'origin', {
    configurable: true,
    enumerable: true,
    get: function () {
      return urlState(this).parts.origin;
    }
  });
  Object.defineProperty(URL.prototype, 'searchParams', {
    configurable: true,
    enumerable: true,
    get: function () {
      var s = urlState(this);
      if (!s.params) {
        s.params = new URLSearchParams(s.parts.search);
        state.get(s.params).url = this;
      }
      return s.params;
    }
  });
  URL.prototype.toString = function toString() {
    return urlState(this).parts.href;
  };
  URL.prototype.toJSON = function toJSON() {
    return urlState(this).parts.href;
  };
  Object.defineProperty(URL.prototype, Symbol.toStringTag, { value: 'URL', configurable: true });

  return {
    URL: URL,
    URLSearchParams: URLSearchParams,
    Url: Url,
    parse: parse,
    format: format,
    resolve: resolve
  };
})
