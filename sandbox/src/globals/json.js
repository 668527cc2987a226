// JSON.parse with Node's (V8's) error messages. The engine's parser does the work; when it
// rejects the text (its errors carry an "<input>:line:col" frame), the message comes from
// native.jsonError and the stack is rewritten the way V8 shows it:
//   SyntaxError: Unexpected token '<', "<!DOCTYPE "... is not valid JSON
//       at JSON.parse (<anonymous>)
//       at login (login.js:12:23)
// A prelude file: a function body, run with the others in one function of `native` and
// `global` (strict mode; see `prelude()` in globals/mod.rs), where its names are shared.
var originalParse = JSON.parse;
var toWellFormed = String.prototype.toWellFormed;

var parse = {
  parse: function (text, reviver) {
    try {
      return arguments.length < 2 ? originalParse(text) : originalParse(text, reviver);
    } catch (e) {
      if (e instanceof SyntaxError && typeof e.stack === 'string' && e.stack.indexOf('    at <input>:') !== -1) {
        var message = native.jsonError(toWellFormed.call(String(text)));
        e.message = message;
        var lines = e.stack.split('\n').filter(function (line) {
          return line.indexOf('(sandbox:') === -1 && line !== '    at parse (native)';
        });
        lines[0] = 'SyntaxError: ' + message;
        e.stack = lines.map(function (line) {
          return line.indexOf('    at <input>:') === 0 ? '    at JSON.parse (<anonymous>)' : line;
        }).join('\n');
      }
      throw e;
    }
  }
}.parse;
// an assignment keeps the built-in's attributes (writable, configurable, not enumerable)
JSON.parse = parse;
