// Stormpath → Auth0 login script, hardened against what the documented one misses
// (stormpath.md §11):
// - transport errors (refused, DNS, time-out) are reported as errors instead of crashing on an
//   undefined `response` (#1);
// - `Buffer.from(…, 'utf8')` instead of the deprecated `new Buffer` (#2);
// - each Stormpath answer is told apart (#4): 7100/7104 are wrong credentials
//   (WrongUsernameOrPasswordError), a disabled or unverified account is refused with a message
//   the application can show (UnauthorizedError), a refused API key (401), an unknown
//   application (404, the application id is not the API key id, #3), rate limiting (429) and
//   outages are errors, so Auth0 never answers "wrong password" for them;
// - a 200 without an account href, or a non-JSON body, is an error, not a crash (#5, #7);
// - the user id is the last segment of the account href, whatever the host (#6), the same as
//   get_user_hardened.js returns;
// - email_verified comes from emailVerificationStatus, the names and the account's Custom Data
//   (as user_metadata) are carried over (#9, #10);
// - the API key and the application id come from the configuration (#12).
// Configuration: STORMPATH_URL (e.g. https://api.stormpath.com), STORMPATH_APPLICATION_ID,
// STORMPATH_API_KEY_ID, STORMPATH_API_KEY_SECRET.
function login(username, password, callback) {
  var base = configuration.STORMPATH_URL.replace(/\/+$/, '');
  var auth = { user: configuration.STORMPATH_API_KEY_ID, password: configuration.STORMPATH_API_KEY_SECRET };
  var application = configuration.STORMPATH_APPLICATION_ID;

  request({
    url: base + '/v1/applications/' + encodeURIComponent(application) + '/loginAttempts',
    method: 'POST',
    auth: auth,
    json: { type: 'basic', value: Buffer.from(username + ':' + password, 'utf8').toString('base64') },
    timeout: Number(configuration.STORMPATH_TIMEOUT_MS) || 10000
  }, function (error, response, body) {
    if (error) return callback(new Error('Stormpath could not be reached: ' + error.message));
    var code = body && typeof body === 'object' ? body.code : undefined;
    switch (response.statusCode) {
      case 200:
        break;
      case 400:
        if (code === 7100 || code === 7104) return callback(new WrongUsernameOrPasswordError(username));
        if (code === 7101) return callback(new UnauthorizedError('This account is disabled.'));
        if (code === 7102) return callback(new UnauthorizedError('Please verify your email address before signing in.'));
        if (code === 7103) return callback(new UnauthorizedError('This account is locked.'));
        if (code === 7105 || code === 7106 || code === 7107) {
          return callback(new UnauthorizedError('This account cannot sign in: its group, directory or organization is disabled.'));
        }
        return callback(new Error('Stormpath refused the login attempt (' + code + ')'));
      case 401:
        return callback(new Error('Stormpath refused the API key (401); check STORMPATH_API_KEY_ID and STORMPATH_API_KEY_SECRET'));
      case 404:
        return callback(new Error('Stormpath has no application ' + application + ' (404); STORMPATH_APPLICATION_ID is the application id, not the API key id'));
      case 429:
        return callback(new Error('Stormpath rate limit reached; try again shortly'));
      default:
        return callback(new Error('Stormpath answered ' + response.statusCode + ' to the login attempt'));
    }
    if (!body || !body.account || typeof body.account.href !== 'string') {
      return callback(new Error('Stormpath answered 200 without an account'));
    }
    var href = body.account.href;

    request({
      url: href,
      method: 'GET',
      qs: { expand: 'customData' },
      auth: auth,
      json: true,
      timeout: Number(configuration.STORMPATH_TIMEOUT_MS) || 10000
    }, function (error, response, account) {
      if (error) return callback(new Error('Stormpath could not be reached: ' + error.message));
      if (response.statusCode !== 200 || !account || typeof account !== 'object' || typeof account.href !== 'string') {
        return callback(new Error('Stormpath answered ' + response.statusCode + ' when reading the account'));
      }
      if (account.status !== 'ENABLED') return callback(new UnauthorizedError('This account is ' + String(account.status).toLowerCase() + '.'));
      return callback(null, profileOf(account));
    });
  });

  function profileOf(account) {
    var profile = {
      user_id: account.href.split('/').pop(),
      email: account.email,
      email_verified: account.emailVerificationStatus === 'VERIFIED',
      user_metadata: customDataOf(account.customData)
    };
    // Stormpath filled username with the email when none was given; only a real one is kept.
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
