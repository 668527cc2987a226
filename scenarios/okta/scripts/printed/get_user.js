function getByEmail(email, callback) {
  // Replace {yourOktaDomain} with your own Okta domain
  var url = 'https://{yourOktaDomain}/api/v1/users/' + encodeURIComponent(email);

  // Make a GET request to find a user by email
  // Replace {yourOktaApiToken} with an Okta API Token 
  // (see https://developer.okta.com/docs/api/getting_started/getting_a_token.html) 
  request({
    url: url,
    method: 'GET',
    headers: {
      'Content-Type': 'application/json',
      'Accept': 'application/json',
      'Authorization': 'SSWS ' + '{yourOktaApiToken}'
    },
    json: true
  }, function (error, response, body) {
    // Ensure we have a successful response
    if (response.statusCode !== 200) return callback();

    // Set the data we want to store in Auth0 and migrate the user
    return callback(null, {
      user_id: body.id,
      username: body.profile.login,
      email: body.profile.login,
      email_verified: true,
      name: body.profile.firstName + ' ' + body.profile.lastName
    });
  });
}
