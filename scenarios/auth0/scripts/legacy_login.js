// A legacy store for the legacy-authentication scenario: the accounts are in the connection's
// configuration (LEGACY_USERS: "email:password,email:password"), so every script of the
// connection sees the same small database without a server.
function login(email, password, callback) {
  var users = configuration.LEGACY_USERS.split(',').map(function (pair) { return pair.split(':'); });
  for (var i = 0; i < users.length; i++) {
    if (users[i][0] === email.toLowerCase()) {
      if (users[i][1] !== password) return callback(new WrongUsernameOrPasswordError(email));
      return callback(null, { user_id: 'legacy-' + i, email: users[i][0], email_verified: true, nickname: 'legacy' + i });
    }
  }
  return callback(new WrongUsernameOrPasswordError(null, 'No such user'));
}
