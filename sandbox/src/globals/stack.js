// V8-style stack traces and error messages. QuickJS calls Error.prepareStackTrace(error,
// callsites) when an error is created; this formats the stack as V8 does ("Name: message"
// then "    at fn (file:line:col)" frames), corrects columns on the script's first line (the
// script is evaluated as "(" + source, see runner.rs) and rewrites QuickJS messages into
// Node's wording through native.v8Message (exception.rs).
// A prelude file: a function body, run with the others in one function of `native` and
// `global` (strict mode; see `prelude()` in globals/mod.rs), where its names are shared.
var userFile = native.fileName;
var errorToString = Error.prototype.toString;

function position(cs) {
  var file = cs.getFileName();
  var line = cs.getLineNumber();
  var column = cs.getColumnNumber();
  if (file === userFile && line === 1 && column > 1) {
    column -= 1;
  }
  return { file: file, line: line, column: column };
}

Error.prepareStackTrace = function prepareStackTrace(error, callsites) {
  var lines = [];
  var moved = null;
  try {
    if (callsites.length > 0 && error !== null && typeof error === 'object') {
      var top = position(callsites[0]);
      var message = error.message;
      if (typeof message === 'string') {
        var inScript = top.file === userFile;
        var mapped = native.v8Message(String(error.name), message,
          inScript ? top.line : undefined, inScript ? top.column : undefined,
          callsites[0].isNative());
        if (mapped[0] !== message) {
          error.message = mapped[0];
        }
        if (mapped[1] !== undefined && mapped[1] !== null) {
          moved = { line: Number(mapped[1]), column: Number(mapped[2]) };
        }
      }
    }
  } catch (e) {
    // keep the engine's message
  }
  try {
    lines.push(errorToString.call(error));
  } catch (e) {
    lines.push('Error');
  }
  // each frame as V8 writes it (inline rather than a helper: one closure fewer per call)
  for (var i = 0; i < callsites.length; i++) {
    try {
      var cs = callsites[i];
      var name = cs.getFunctionName();
      if (cs.isNative()) {
        lines.push('    at ' + (name || '<anonymous>') + ' (native)');
        continue;
      }
      var p = position(cs);
      if (i === 0 && moved) {
        p.line = moved.line;
        p.column = moved.column;
      }
      var where = (p.file || '<anonymous>') + (p.line > 0 ? ':' + p.line + ':' + p.column : '');
      lines.push(name ? '    at ' + name + ' (' + where + ')' : '    at ' + where);
    } catch (e) {
      // skip unreadable frames
    }
  }
  return lines.join('\n');
};
