// Okta → Auth0 login script, hardened against what the documented one misses (okta.md §9):
// - transport errors (refused, DNS, time-out) are reported as errors instead of crashing on
//   an undefined `response`;
// - only a SUCCESS transaction migrates: PASSWORD_EXPIRED, PASSWORD_WARN, MFA_REQUIRED,
//   MFA_ENROLL and LOCKED_OUT all come back as HTTP 200 and must not let the user in;
// - wrong credentials, rate limiting and outages are told apart (WrongUsernameOrPasswordError
//   vs Error), so Auth0 logs and answers them correctly;
// - the email comes from the full Okta user (the authn profile has none, and `login` need
//   not be an email), fetched with the API token from the configuration;
// - the name is built only from the parts that exist;
// - user_id is Okta's id, the same as get_user_hardened.js returns.
// Configuration: OKTA_URL (e.g. https://dev-123456.okta.com), OKTA_API_TOKEN.
function login(email, password, callback) {
  var base = configuration.OKTA_URL.replace(/\/+$/, '');

  request({
    url: base + '/api/v1/authn',
    method: 'POST',
    headers: { 'Accept': 'application/json' },
    json: {
      username: email,
      password: password,
      options: { multiOptionalFactorEnroll: false, warnBeforePasswordExpired: false }
    },
    timeout: Number(configuration.OKTA_TIMEOUT_MS) || 10000
  }, function (error, response, body) {
    if (error) return callback(new Error('Okta could not be reached: ' + error.message));
    if (response.statusCode === 401) return callback(new WrongUsernameOrPasswordError(email));
    if (response.statusCode === 429) return callback(new Error('Okta rate limit reached; try again shortly'));
    if (response.statusCode !== 200 || !body || typeof body !== 'object') {
      return callback(new Error('Okta answered ' + response.statusCode + ' to the authentication request'));
    }

    switch (body.status) {
      case 'SUCCESS':
        break;
      case 'PASSWORD_EXPIRED':
      case 'PASSWORD_WARN':
        return callback(new UnauthorizedError('Your password has expired. Please reset it to sign in.'));
      case 'MFA_REQUIRED':
      case 'MFA_ENROLL':
      case 'MFA_CHALLENGE':
        return callback(new UnauthorizedError('Multi-factor authentication is required for this account.'));
      case 'LOCKED_OUT':
        return callback(new UnauthorizedError('This account is locked. Please reset your password.'));
      default:
        return callback(new Error('Unexpected Okta transaction status ' + body.status));
    }

    var user = body._embedded && body._embedded.user;
    if (!user || !user.id) return callback(new Error('Okta returned SUCCESS without a user'));

    request({
      url: base + '/api/v1/users/' + encodeURIComponent(user.id),
      method: 'GET',
      headers: { 'Accept': 'application/json', 'Authorization': 'SSWS ' + configuration.OKTA_API_TOKEN },
      json: true,
      timeout: Number(configuration.OKTA_TIMEOUT_MS) || 10000
    }, function (error, response, full) {
      if (error) return callback(new Error('Okta could not be reached: ' + error.message));
      if (response.statusCode !== 200 || !full || !full.profile) {
        return callback(new Error('Okta answered ' + response.statusCode + ' when reading user ' + user.id));
      }
      return callback(null, profileOf(full));
    });
  });

  function profileOf(oktaUser) {
    var p = oktaUser.profile;
    var names = [p.firstName, p.lastName].filter(function (n) { return typeof n === 'string' && n.length > 0; });
    var profile = {
      user_id: oktaUser.id,
      email: p.email || p.login,
      // Okta activates users through their email address: an ACTIVE Okta user has proven it.
      email_verified: true,
      user_metadata: { okta_login: p.login }
    };
    if (names.length) profile.name = names.join(' ');
    if (p.firstName) profile.given_name = p.firstName;
    if (p.lastName) profile.family_name = p.lastName;
    return profile;
  }
}
