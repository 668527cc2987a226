function create(user, callback) {
  var taken = configuration.LEGACY_USERS.split(',').map(function (pair) { return pair.split(':')[0]; });
  if (taken.indexOf(user.email.toLowerCase()) !== -1) return callback(new ValidationError('user_exists', 'The user already exists in the legacy store.'));
  if (!user.password || user.password.length < 8) return callback(new Error('The legacy store wants 8 characters at least'));
  console.log('legacy store: created', user.email, 'for tenant', user.tenant);
  return callback(null);
}
