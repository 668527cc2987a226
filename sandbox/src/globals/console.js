// `console` with Node's formatting: util.format semantics (%s %d %i %f %j %o %O %c %%) and a
// compact re-implementation of util.inspect (depth 2, single line when it fits in 80 columns,
// quotes, [Object]/[Array] beyond the depth, [Circular *1], <Buffer ..>, errors by stack).
// Lines go to native.consoleWrite(level, text).
(function (native, global) {
  'use strict';
  var toWellFormed = String.prototype.toWellFormed;
  var objectToString = Object.prototype.toString;
  var BREAK_LENGTH = 80;

  function wellFormed(s) {
    return toWellFormed.call(s);
  }

  var identifierRe = /^[a-zA-Z_][a-zA-Z_0-9]*$/;

  // Without touching the global `Buffer` (which would load it): Buffers are Uint8Arrays whose
  // constructor is the function named Buffer.
  function isBuffer(value) {
    return value instanceof Uint8Array && typeof value.constructor === 'function' &&
      value.constructor.name === 'Buffer';
  }

  function quote(str) {
    var q = "'";
    if (str.indexOf("'") !== -1) {
      if (str.indexOf('"') === -1) {
        q = '"';
      } else if (str.indexOf('`') === -1 && str.indexOf('${') === -1) {
        q = '`';
      }
    }
    var escaped = str.replace(/[\\\n\r\t\b\f\v\x00-\x1f\x7f]/g, function (c) {
      switch (c) {
        case '\\': return '\\\\';
        case '\n': return '\\n';
        case '\r': return '\\r';
        case '\t': return '\\t';
        case '\b': return '\\b';
        case '\f': return '\\f';
        case '\v': return '\\v';
        default: return '\\x' + ('0' + c.charCodeAt(0).toString(16).toUpperCase()).slice(-2);
      }
    });
    if (q !== '`') {
      escaped = escaped.split(q).join('\\' + q);
    }
    return q + escaped + q;
  }

  function formatNumber(n) {
    if (Object.is(n, -0)) {
      return '-0';
    }
    return String(n);
  }

  function formatKey(key) {
    if (typeof key === 'symbol') {
      return '[' + key.toString() + ']';
    }
    if (identifierRe.test(key)) {
      return key;
    }
    return quote(key);
  }

  function constructorName(obj) {
    var proto = Object.getPrototypeOf(obj);
    if (proto === null) {
      return null;
    }
    try {
      var ctor = proto.constructor;
      if (typeof ctor === 'function' && typeof ctor.name === 'string' && ctor.name !== '') {
        return ctor.name;
      }
    } catch (e) {
      // fall through
    }
    return 'Object';
  }

  function isBelowBreakLength(output, start, base) {
    var total = output.length + start;
    if (total + output.length > BREAK_LENGTH) {
      return false;
    }
    for (var i = 0; i < output.length; i++) {
      total += output[i].length;
      if (total > BREAK_LENGTH) {
        return false;
      }
    }
    return base === '' || base.indexOf('\n') === -1;
  }

  function reduceToSingleString(ctx, output, base, braces, depth) {
    var entries = output.length;
    if (ctx.currentDepth - depth < 3 && entries === output.length) {
      var start = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
      if (isBelowBreakLength(output, start, base)) {
        var joined = output.join(', ');
        if (joined.indexOf('\n') === -1) {
          return (base ? base + ' ' : '') + braces[0] + ' ' + joined + ' ' + braces[1];
        }
      }
    }
    var indentation = '\n' + ' '.repeat(ctx.indentationLvl);
    return (base ? base + ' ' : '') + braces[0] + indentation + '  ' +
      output.join(',' + indentation + '  ') + indentation + braces[1];
  }

  function formatPrimitive(value) {
    switch (typeof value) {
      case 'string': return quote(value);
      case 'number': return formatNumber(value);
      case 'bigint': return value + 'n';
      case 'boolean': return String(value);
      case 'undefined': return 'undefined';
      case 'symbol': return value.toString();
      default: return String(value);
    }
  }

  function formatValue(ctx, value, depth) {
    if (value === null) {
      return 'null';
    }
    if (typeof value !== 'object' && typeof value !== 'function') {
      return formatPrimitive(value);
    }
    if (ctx.seen.indexOf(value) !== -1) {
      ctx.circular = true;
      return '[Circular *1]';
    }
    return formatRaw(ctx, value, depth);
  }

  function functionBase(fn) {
    var src = '';
    try {
      src = Function.prototype.toString.call(fn);
    } catch (e) {
      // ignore
    }
    var name = fn.name;
    if (src.slice(0, 5) === 'class' && /^class[\s{]/.test(src)) {
      return name ? '[class ' + name + ']' : '[class (anonymous)]';
    }
    var kind = 'Function';
    if (objectToString.call(fn) === '[object AsyncFunction]') {
      kind = 'AsyncFunction';
    }
    return name ? '[' + kind + ': ' + name + ']' : '[' + kind + ' (anonymous)]';
  }

  function ownKeys(value) {
    var keys = Object.keys(value);
    var symbols = Object.getOwnPropertySymbols(value).filter(function (s) {
      return Object.prototype.propertyIsEnumerable.call(value, s);
    });
    return keys.concat(symbols);
  }

  function formatProperty(ctx, value, key, depth) {
    var desc = Object.getOwnPropertyDescriptor(value, key) || { value: value[key] };
    var str;
    if (desc.value !== undefined || !('get' in desc)) {
      ctx.indentationLvl += 2;
      str = formatValue(ctx, desc.value, depth + 1);
      ctx.indentationLvl -= 2;
    } else if (desc.get !== undefined) {
      str = desc.set !== undefined ? '[Getter/Setter]' : '[Getter]';
    } else {
      str = desc.set !== undefined ? '[Setter]' : 'undefined';
    }
    return formatKey(key) + ': ' + str;
  }

  function formatRaw(ctx, value, depth) {
    var keys;
    var base = '';
    var braces;
    var output = [];
    var i;
    var isArray = Array.isArray(value);
    var ctor = constructorName(value);
    var tag = objectToString.call(value).slice(8, -1);

    if (typeof value === 'function') {
      base = functionBase(value);
      keys = ownKeys(value).filter(function (k) { return k !== 'prototype'; });
      if (keys.length === 0) {
        return base;
      }
      braces = ['{', '}'];
    } else if (isBuffer(value)) {
      var hex = [];
      var max = Math.min(value.length, 50);
      for (i = 0; i < max; i++) {
        hex.push(('0' + value[i].toString(16)).slice(-2));
      }
      var rest = value.length > 50 ? ' ... ' + (value.length - 50) + ' more byte' + (value.length - 50 > 1 ? 's' : '') : '';
      return '<' + (ctor || 'Buffer') + (hex.length ? ' ' + hex.join(' ') : '') + rest + '>';
    } else if (value instanceof Error || tag === 'Error') {
      var stack;
      try {
        stack = value.stack;
      } catch (e) {
        stack = undefined;
      }
      base = typeof stack === 'string' && stack !== '' ? stack : Error.prototype.toString.call(value);
      // like Node's removeDuplicateErrorKeys: name/message/stack already shown by the stack
      keys = ownKeys(value).filter(function (k) {
        if (k !== 'name' && k !== 'message' && k !== 'stack') {
          return true;
        }
        var v = value[k];
        return !(typeof v === 'string' && base.indexOf(v) !== -1);
      });
      if (keys.length === 0) {
        return base;
      }
      if (depth > 2) {
        return '[' + base.split('\n')[0] + ']';
      }
      braces = ['{', '}'];
    } else if (value instanceof Date) {
      return isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
    } else if (value instanceof RegExp) {
      return RegExp.prototype.toString.call(value);
    } else if (isArray) {
      keys = [];
      braces = ['[', ']'];
      if (ctor !== 'Array' && ctor !== null) {
        base = ctor + '(' + value.length + ')';
      }
    } else if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      keys = [];
      braces = ['[', ']'];
      base = (ctor || tag) + '(' + value.length + ')';
    } else if (value instanceof Map) {
      keys = ownKeys(value);
      braces = ['{', '}'];
      base = (ctor || 'Map') + '(' + value.size + ')';
    } else if (value instanceof Set) {
      keys = ownKeys(value);
      braces = ['{', '}'];
      base = (ctor || 'Set') + '(' + value.size + ')';
    } else if (value instanceof Promise) {
      return 'Promise { <unknown> }';
    } else {
      keys = ownKeys(value);
      braces = ['{', '}'];
      if (ctor === null) {
        base = '[Object: null prototype]';
      } else if (ctor !== 'Object') {
        base = ctor;
      }
      if (keys.length === 0) {
        return base ? base + ' {}' : '{}';
      }
    }

    if (depth > 2) {
      if (isArray) {
        return '[Array]';
      }
      return '[' + (ctor === null ? 'Object: null prototype' : ctor || 'Object') + ']';
    }

    ctx.seen.push(value);
    ctx.currentDepth = depth;
    try {
      if (isArray || (ArrayBuffer.isView(value) && !(value instanceof DataView))) {
        var len = value.length;
        var shown = Math.min(len, 100);
        var holes = 0;
        for (i = 0; i < shown; i++) {
          if (isArray && !Object.prototype.hasOwnProperty.call(value, i)) {
            holes++;
            continue;
          }
          if (holes > 0) {
            output.push('<' + holes + ' empty item' + (holes > 1 ? 's' : '') + '>');
            holes = 0;
          }
          ctx.indentationLvl += 2;
          output.push(formatValue(ctx, value[i], depth + 1));
          ctx.indentationLvl -= 2;
        }
        if (holes > 0) {
          output.push('<' + holes + ' empty item' + (holes > 1 ? 's' : '') + '>');
        }
        if (len > shown) {
          output.push('... ' + (len - shown) + ' more item' + (len - shown > 1 ? 's' : ''));
        }
        if (isArray) {
          keys = Object.keys(value).filter(function (k) { return !/^(0|[1-9][0-9]*)$/.test(k); });
        }
      } else if (value instanceof Map) {
        ctx.indentationLvl += 2;
        value.forEach(function (v, k) {
          output.push(formatValue(ctx, k, depth + 1) + ' => ' + formatValue(ctx, v, depth + 1));
        });
        ctx.indentationLvl -= 2;
      } else if (value instanceof Set) {
        ctx.indentationLvl += 2;
        value.forEach(function (v) {
          output.push(formatValue(ctx, v, depth + 1));
        });
        ctx.indentationLvl -= 2;
      }
      for (i = 0; i < keys.length; i++) {
        output.push(formatProperty(ctx, value, keys[i], depth));
      }
    } finally {
      ctx.seen.pop();
    }
    if (output.length === 0) {
      return (base ? base + ' ' : '') + braces[0] + braces[1];
    }
    return reduceToSingleString(ctx, output, base, braces, depth);
  }

  function inspect(value) {
    var ctx = { seen: [], indentationLvl: 0, currentDepth: 0, circular: false };
    var out = formatValue(ctx, value, 0);
    if (ctx.circular && typeof value === 'object' && value !== null) {
      out = '<ref *1> ' + out;
    }
    return out;
  }

  function hasBuiltInToString(value) {
    try {
      var proto = value;
      while (proto !== null) {
        if (Object.prototype.hasOwnProperty.call(proto, 'toString')) {
          var ts = proto.toString;
          return ts === Object.prototype.toString || ts === Error.prototype.toString ||
            ts === Array.prototype.toString || ts === Date.prototype.toString ||
            ts === RegExp.prototype.toString || ts === Function.prototype.toString;
        }
        proto = Object.getPrototypeOf(proto);
      }
    } catch (e) {
      // fall through
    }
    return true;
  }

  function tryStringify(value) {
    try {
      return JSON.stringify(value);
    } catch (err) {
      if (err && /circular/i.test(String(err.message))) {
        return '[Circular]';
      }
      throw err;
    }
  }

  function format() {
    var args = arguments;
    var first = args[0];
    var a = 0;
    var str = '';
    var join = '';
    if (typeof first === 'string') {
      if (args.length === 1) {
        return first;
      }
      var tempStr;
      var lastPos = 0;
      for (var i = 0; i < first.length - 1; i++) {
        if (first.charCodeAt(i) === 37) {
          var nextChar = first.charCodeAt(++i);
          if (a + 1 !== args.length) {
            var arg;
            switch (nextChar) {
              case 115: // s
                arg = args[++a];
                if (typeof arg === 'number') {
                  tempStr = formatNumber(arg);
                } else if (typeof arg === 'bigint') {
                  tempStr = arg + 'n';
                } else if (typeof arg !== 'object' || arg === null || !hasBuiltInToString(arg)) {
                  tempStr = String(arg);
                } else {
                  tempStr = inspect(arg);
                }
                break;
              case 106: // j
                tempStr = tryStringify(args[++a]);
                break;
              case 100: // d
                arg = args[++a];
                if (typeof arg === 'bigint') {
                  tempStr = arg + 'n';
                } else if (typeof arg === 'symbol') {
                  tempStr = 'NaN';
                } else {
                  tempStr = formatNumber(Number(arg));
                }
                break;
              case 79: // O
              case 111: // o
                tempStr = inspect(args[++a]);
                break;
              case 105: // i
                arg = args[++a];
                if (typeof arg === 'bigint') {
                  tempStr = arg + 'n';
                } else if (typeof arg === 'symbol') {
                  tempStr = 'NaN';
                } else {
                  tempStr = formatNumber(parseInt(arg));
                }
                break;
              case 102: // f
                arg = args[++a];
                tempStr = typeof arg === 'symbol' ? 'NaN' : formatNumber(parseFloat(arg));
                break;
              case 99: // c
                a += 1;
                tempStr = '';
                break;
              case 37: // %
                str += first.slice(lastPos, i);
                lastPos = i + 1;
                continue;
              default:
                continue;
            }
            if (lastPos !== i - 1) {
              str += first.slice(lastPos, i - 1);
            }
            str += tempStr;
            lastPos = i + 1;
          } else if (nextChar === 37) {
            str += first.slice(lastPos, i);
            lastPos = i + 1;
          }
        }
      }
      if (lastPos !== 0) {
        a++;
        join = ' ';
        if (lastPos < first.length) {
          str += first.slice(lastPos);
        }
      }
    }
    while (a < args.length) {
      var value = args[a];
      str += join;
      str += typeof value !== 'string' ? inspect(value) : value;
      join = ' ';
      a++;
    }
    return str;
  }

  function writer(level) {
    return function () {
      native.consoleWrite(level, wellFormed(format.apply(null, arguments)));
    };
  }

  var timers = new Map();
  var counts = new Map();
  var console = {
    log: writer('log'),
    info: writer('info'),
    warn: writer('warn'),
    error: writer('error'),
    debug: writer('debug'),
    trace: function trace() {
      var err = { name: 'Trace', message: format.apply(null, arguments) };
      Error.captureStackTrace(err, trace);
      native.consoleWrite('trace', wellFormed(String(err.stack)));
    },
    dir: function dir(value) {
      native.consoleWrite('log', wellFormed(inspect(value)));
    },
    assert: function assert(condition) {
      if (!condition) {
        var rest = Array.prototype.slice.call(arguments, 1);
        var text = 'Assertion failed';
        if (rest.length > 0) {
          text += ': ' + format.apply(null, rest);
        }
        native.consoleWrite('error', wellFormed(text));
      }
    },
    time: function time(label) {
      timers.set(label === undefined ? 'default' : String(label), Date.now());
    },
    timeEnd: function timeEnd(label) {
      var key = label === undefined ? 'default' : String(label);
      if (timers.has(key)) {
        var ms = Date.now() - timers.get(key);
        timers.delete(key);
        native.consoleWrite('log', wellFormed(key + ': ' + ms.toFixed(3) + 'ms'));
      }
    },
    count: function count(label) {
      var key = label === undefined ? 'default' : String(label);
      var n = (counts.get(key) || 0) + 1;
      counts.set(key, n);
      native.consoleWrite('log', wellFormed(key + ': ' + n));
    }
  };
  console.timeLog = console.timeEnd;

  return { console: console, inspect: inspect, format: format };
})
