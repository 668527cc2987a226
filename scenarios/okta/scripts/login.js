// Okta → Auth0 login script, as Auth0 documents it ("User Migration Scenarios", scenario 2):
// one POST to Okta's primary authentication, the user migrated when Okta answers 200.
// The only change from the documented script: the Okta base URL comes from the connection's
// configuration (OKTA_URL) instead of being pasted into the code. Its checks are kept exactly
// as documented, traps included; login_hardened.js is the variant that handles them.
function login(email, password, callback) {
  var url = configuration.OKTA_URL + '/api/v1/authn';

  request({
    url: url,
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'Accept': 'application/json'
    },
    body: {
      username: email,
      password: password,
      options: {
        multiOptionalFactorEnroll: false,
        warnBeforePasswordExpired: false
      }
    },
    json: true
  }, function (error, response, body) {
    // Only the HTTP status is looked at (and `error` never is).
    if (response.statusCode !== 200) return callback();

    var user = body._embedded.user;

    return callback(null, {
      user_id: user.id,
      username: user.profile.login,
      email: user.profile.login,
      email_verified: true,
      name: user.profile.firstName + ' ' + user.profile.lastName
    });
  });
}
