// A legacy login script that carries the user's second factor over: the legacy store (here, a
// table in the script) knows the phone number the user verifies with, and the profile returns
// it as `mfa_factors`, as Auth0 documents for automatic migration.
function login(email, password, callback) {
  var users = {
    'sam.sms@example.com': { password: 'Legacy-Pass-1', phone: '+15557654321' },
    'bad.sms@example.com': { password: 'Legacy-Pass-1', phone: '555-0000' }
  };
  var user = users[email];
  if (!user || user.password !== password) return callback(new WrongUsernameOrPasswordError(email));
  callback(null, {
    user_id: 'legacy-' + email.split('@')[0],
    email: email,
    email_verified: true,
    mfa_factors: [ { phone: { value: user.phone } } ]
  });
}
