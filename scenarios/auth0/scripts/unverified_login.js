// A legacy store whose accounts have not verified their email yet (LEGACY_USERS:
// "email:password,…" in the configuration): used by legacy_verify_email.yaml.
function login(email, password, callback) {
  var users = configuration.LEGACY_USERS.split(',').map(function (pair) { return pair.split(':'); });
  for (var i = 0; i < users.length; i++) {
    if (users[i][0] === email.toLowerCase()) {
      if (users[i][1] !== password) return callback(new WrongUsernameOrPasswordError(email));
      return callback(null, { user_id: 'legacy-' + i, email: users[i][0], email_verified: false });
    }
  }
  return callback(new WrongUsernameOrPasswordError(email));
}
