// The documented Okta login script with its URL literal as published: 'https:/' followed by
// the domain — one slash. Node's `request` (which Auth0's sandbox provides) parses that as a
// URL without a host and fails with "Invalid URI", before any request leaves; the script then
// reads `response.statusCode` of an undefined response and crashes. Kept to show that trap.
function login(email, password, callback) {
  var url = 'https:/' + configuration.OKTA_DOMAIN + '/api/v1/authn';

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
