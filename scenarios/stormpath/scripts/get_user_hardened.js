// Stormpath → Auth0 get_user script, hardened (stormpath.md §11):
// - an exact, case-insensitive attribute search (`email=`) instead of `q`, whose contains-match
//   over every attribute can return somebody else (#8); the answer is filtered again for an
//   exact email and refused when two accounts share it (they can, in two directories);
// - "not found" only when Stormpath found nobody; transport errors, a refused API key, rate
//   limiting and outages are errors, so an outage never makes existing users look absent (#1,
//   #4);
// - DISABLED accounts are not returned (a password reset must not bring them back, #9);
// - the same profile and user id as login_hardened.js: the last href segment, names,
//   email_verified from emailVerificationStatus, Custom Data as user_metadata (#6, #10).
// Configuration: STORMPATH_URL, STORMPATH_APPLICATION_ID, STORMPATH_API_KEY_ID,
// STORMPATH_API_KEY_SECRET.
function getByEmail(email, callback) {
  var base = configuration.STORMPATH_URL.replace(/\/+$/, '');
  var application = configuration.STORMPATH_APPLICATION_ID;

  request({
    url: base + '/v1/applications/' + encodeURIComponent(application) + '/accounts',
    method: 'GET',
    auth: { user: configuration.STORMPATH_API_KEY_ID, password: configuration.STORMPATH_API_KEY_SECRET },
    qs: { email: email, expand: 'customData', limit: 100 },
    json: true,
    timeout: Number(configuration.STORMPATH_TIMEOUT_MS) || 10000
  }, function (error, response, body) {
    if (error) return callback(new Error('Stormpath could not be reached: ' + error.message));
    if (response.statusCode !== 200 || !body || !Array.isArray(body.items)) {
      return callback(new Error('Stormpath answered ' + response.statusCode + ' when looking up the user'));
    }
    var wanted = String(email).toLowerCase();
    var matches = body.items.filter(function (account) {
      return typeof account.email === 'string' && account.email.toLowerCase() === wanted;
    });
    if (matches.length === 0) return callback(null);
    if (matches.length > 1) {
      return callback(new Error(matches.length + ' Stormpath accounts have the email ' + email + '; resolve the duplicate first'));
    }
    var account = matches[0];
    if (account.status === 'DISABLED') return callback(null);
    return callback(null, profileOf(account));
  });

  function profileOf(account) {
    var profile = {
      user_id: account.href.split('/').pop(),
      email: account.email,
      email_verified: account.emailVerificationStatus === 'VERIFIED',
      user_metadata: customDataOf(account.customData)
    };
    if (account.username && String(account.username).toLowerCase() !== String(account.email).toLowerCase()) {
      profile.username = account.username;
    }
    if (account.fullName) profile.name = account.fullName;
    if (account.givenName) profile.given_name = account.givenName;
    if (account.surname) profile.family_name = account.surname;
    return profile;
  }

  function customDataOf(customData) {
    var out = {};
    if (!customData || typeof customData !== 'object') return out;
    Object.keys(customData).forEach(function (key) {
      if (key !== 'href' && key !== 'createdAt' && key !== 'modifiedAt') out[key] = customData[key];
    });
    return out;
  }
}
