// Okta → Auth0 get_user script, as Auth0 documents it: GET /api/v1/users/{login} with an API
// token. Changes from the documented script: the base URL (OKTA_URL) and the API token
// (OKTA_API_TOKEN) come from the connection's configuration instead of the code. Checks kept
// as documented; get_user_hardened.js handles what this one misses.
function getByEmail(email, callback) {
  var url = configuration.OKTA_URL + '/api/v1/users/' + encodeURIComponent(email);

  request({
    url: url,
    method: 'GET',
    headers: {
      'Content-Type': 'application/json',
      'Accept': 'application/json',
      'Authorization': 'SSWS ' + configuration.OKTA_API_TOKEN
    },
    json: true
  }, function (error, response, body) {
    if (response.statusCode !== 200) return callback();

    return callback(null, {
      user_id: body.id,
      username: body.profile.login,
      email: body.profile.login,
      email_verified: true,
      name: body.profile.firstName + ' ' + body.profile.lastName
    });
  });
}
