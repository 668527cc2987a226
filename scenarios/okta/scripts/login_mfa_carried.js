// Okta → Auth0 login script that carries a user's second factors over (for a tenant that
// requires MFA). It is login_hardened.js but for one status:
// - MFA_REQUIRED comes only after Okta has checked the password (okta.md §3), so the user is
//   migrated — with the factors Auth0 can take. The Factors API (GET
//   /api/v1/users/{id}/factors, API token) shows an SMS factor's number in full, as
//   +1-555-415-1337; Auth0 wants E.164 (+15554151337), so only the digits are kept. An email
//   factor is carried as it is. A TOTP factor's secret is never shown by Okta: such a user
//   enrolls again in Auth0. The Okta transaction is cancelled (nothing is left half-open).
// - Auth0 then asks for the second factor itself: the tenant must require MFA, or the password
//   alone would let the user in.
// Configuration: OKTA_URL, OKTA_API_TOKEN.
function login(email, password, callback) {
  var base = configuration.OKTA_URL.replace(/\/+$/, '');
  var timeout = Number(configuration.OKTA_TIMEOUT_MS) || 10000;
  var api = { 'Accept': 'application/json', 'Authorization': 'SSWS ' + configuration.OKTA_API_TOKEN };

  request({
    url: base + '/api/v1/authn',
    method: 'POST',
    headers: { 'Accept': 'application/json' },
    json: {
      username: email,
      password: password,
      options: { multiOptionalFactorEnroll: false, warnBeforePasswordExpired: false }
    },
    timeout: timeout
  }, function (error, response, body) {
    if (error) return callback(new Error('Okta could not be reached: ' + error.message));
    if (response.statusCode === 401) return callback(new WrongUsernameOrPasswordError(email));
    if (response.statusCode === 429) return callback(new Error('Okta rate limit reached; try again shortly'));
    if (response.statusCode !== 200 || !body || typeof body !== 'object') {
      return callback(new Error('Okta answered ' + response.statusCode + ' to the authentication request'));
    }
    var user = body._embedded && body._embedded.user;
    switch (body.status) {
      case 'SUCCESS':
        if (!user || !user.id) return callback(new Error('Okta returned SUCCESS without a user'));
        return fetchUser(user.id, []);
      case 'MFA_REQUIRED':
        if (!user || !user.id) return callback(new Error('Okta returned MFA_REQUIRED without a user'));
        return cancel(body.stateToken, function () { fetchFactors(user.id); });
      case 'PASSWORD_EXPIRED':
      case 'PASSWORD_WARN':
        return callback(new UnauthorizedError('Your password has expired. Please reset it to sign in.'));
      case 'MFA_ENROLL':
      case 'MFA_CHALLENGE':
        return callback(new UnauthorizedError('Multi-factor authentication is required for this account.'));
      case 'LOCKED_OUT':
        return callback(new UnauthorizedError('This account is locked. Please reset your password.'));
      default:
        return callback(new Error('Unexpected Okta transaction status ' + body.status));
    }
  });

  function cancel(stateToken, next) {
    request({
      url: base + '/api/v1/authn/cancel',
      method: 'POST',
      headers: { 'Accept': 'application/json' },
      json: { stateToken: stateToken },
      timeout: timeout
    }, function () { next(); });
  }

  function fetchFactors(id) {
    request({
      url: base + '/api/v1/users/' + encodeURIComponent(id) + '/factors',
      method: 'GET',
      headers: api,
      json: true,
      timeout: timeout
    }, function (error, response, factors) {
      if (error) return callback(new Error('Okta could not be reached: ' + error.message));
      if (response.statusCode !== 200 || !Array.isArray(factors)) {
        return callback(new Error('Okta answered ' + response.statusCode + ' when listing the factors of ' + id));
      }
      var carried = [];
      factors.forEach(function (f) {
        if (f.status !== 'ACTIVE' || !f.profile) return;
        if ((f.factorType === 'sms' || f.factorType === 'call') && f.profile.phoneNumber) {
          carried.push({ phone: { value: '+' + String(f.profile.phoneNumber).replace(/[^0-9]/g, '') } });
        } else if (f.factorType === 'email' && f.profile.email) {
          carried.push({ email: { value: f.profile.email } });
        }
      });
      fetchUser(id, carried);
    });
  }

  function fetchUser(id, factors) {
    request({
      url: base + '/api/v1/users/' + encodeURIComponent(id),
      method: 'GET',
      headers: api,
      json: true,
      timeout: timeout
    }, function (error, response, full) {
      if (error) return callback(new Error('Okta could not be reached: ' + error.message));
      if (response.statusCode !== 200 || !full || !full.profile) {
        return callback(new Error('Okta answered ' + response.statusCode + ' when reading user ' + id));
      }
      var profile = profileOf(full);
      if (factors.length) profile.mfa_factors = factors;
      return callback(null, profile);
    });
  }

  function profileOf(oktaUser) {
    var p = oktaUser.profile;
    var names = [p.firstName, p.lastName].filter(function (n) { return typeof n === 'string' && n.length > 0; });
    var profile = {
      user_id: oktaUser.id,
      email: p.email || p.login,
      email_verified: true,
      user_metadata: { okta_login: p.login }
    };
    if (names.length) profile.name = names.join(' ');
    if (p.firstName) profile.given_name = p.firstName;
    if (p.lastName) profile.family_name = p.lastName;
    return profile;
  }
}
