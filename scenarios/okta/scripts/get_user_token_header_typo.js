// The documented get_user script with one slip a real deployment made (okta-powershell-cli
// issue #86): the API token travels in an `apiToken` header instead of `Authorization: SSWS`.
// Okta then sees no credentials at all and answers 403 E0000005 "Invalid session" — which this
// script, like the documented one, reads as "no such user".
function getByEmail(email, callback) {
  var url = configuration.OKTA_URL + '/api/v1/users/' + encodeURIComponent(email);

  request({
    url: url,
    method: 'GET',
    headers: {
      'Content-Type': 'application/json',
      'Accept': 'application/json',
      'apiToken': configuration.OKTA_API_TOKEN
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
