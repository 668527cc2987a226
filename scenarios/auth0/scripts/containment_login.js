// A login script that tries every way out of the sandbox, one per email address, and one that
// looks for what an earlier call left behind. Used by script_containment.yaml.
function login(email, password, callback) {
  if (email === 'fs@example.com') {
    var fs = require('fs');
    return callback(null, { user_id: 'fs', email: email, files: fs.readdirSync('/') });
  }
  if (email === 'process@example.com') {
    return callback(null, { user_id: 'p', email: email, env: process.env.HOME });
  }
  if (email === 'outbound@example.com') {
    return request.get('http://example.com/', function (err) {
      if (err) return callback(err);
      callback(null, { user_id: 'o', email: email });
    });
  }
  if (email === 'loop@example.com') { while (true) {} }
  if (email === 'alloc@example.com') { var a = []; while (true) { a.push(new Array(100000).fill('x')); } }
  if (email === 'leak@example.com') {
    var seen = typeof globalThis.leftBehind !== 'undefined';
    globalThis.leftBehind = 'secret from an earlier call';
    return callback(new Error(seen ? 'saw state of an earlier call' : 'no state from an earlier call'));
  }
  return callback(new WrongUsernameOrPasswordError(email));
}
