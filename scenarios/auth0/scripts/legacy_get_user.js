function getByEmail(email, callback) {
  var users = configuration.LEGACY_USERS.split(',').map(function (pair) { return pair.split(':'); });
  for (var i = 0; i < users.length; i++) {
    if (users[i][0] === email.toLowerCase()) return callback(null, { user_id: 'legacy-' + i, email: users[i][0], email_verified: true });
  }
  return callback(null);
}
