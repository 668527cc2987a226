// Stormpath → Auth0 login script, as Auth0 documents it ("Migrate Users from Stormpath to
// Auth0", auth0/docs articles/users/migrations/stormpath.md): POST the Base64 of
// "username:password" to the application's loginAttempts, then GET the account href it returns
// and parse that body by hand. The only changes from the documented script: the Stormpath base
// URL (STORMPATH_URL), the application id (STORMPATH_APPLICATION_ID) and the API key
// (STORMPATH_API_KEY_ID / STORMPATH_API_KEY_SECRET) come from the connection's configuration
// instead of being pasted into the code. Everything else is kept as documented, traps included
// (stormpath.md §11): `response.statusCode` is read before `error`, every failure becomes "no
// user", `new Buffer`, no `json: true` on the second request, and the user id is the href with
// the literal 'https://api.stormpath.com/v1/accounts/' stripped — which strips nothing from any
// other host. login_hardened.js is the variant that handles them.
function login(username, password, callback) {
  var url = configuration.STORMPATH_URL + '/v1/applications/' + configuration.STORMPATH_APPLICATION_ID + '/loginAttempts';

  // Stormpath requires the user credentials be passed in as a base64 encoded message
  var message = username + ':' + password;
  var pass = new Buffer(message).toString('base64');

  request({
    url: url,
    method: 'POST',
    auth: {
      user: configuration.STORMPATH_API_KEY_ID,
      password: configuration.STORMPATH_API_KEY_SECRET
    },
    headers: {
      'Content-Type': 'application/json'
    },
    json: {
      type: 'basic',
      value: pass
    }
  }, function (error, response, body) {
    if (response.statusCode !== 200) return callback();
    var accountUrl = body.account.href;

    request({
      url: accountUrl,
      method: 'GET',
      auth: {
        user: configuration.STORMPATH_API_KEY_ID,
        password: configuration.STORMPATH_API_KEY_SECRET
      }
    }, function (errorUserInfo, responseUserInfo, bodyUserInfo) {
      if (responseUserInfo.statusCode !== 200) return callback();

      var parsedBody = JSON.parse(bodyUserInfo);
      var id = parsedBody.href.replace('https://api.stormpath.com/v1/accounts/', '');

      return callback(null, {
        user_id: id,
        username: parsedBody.username,
        email: parsedBody.email,
        email_verified: true
      });
    });
  });
}
