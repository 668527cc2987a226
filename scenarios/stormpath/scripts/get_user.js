// Stormpath → Auth0 get_user script, as Auth0 documents it: GET the application's accounts with
// `q` set to the email, parse the body by hand and take the first item. Changes from the
// documented script: STORMPATH_URL, STORMPATH_APPLICATION_ID, STORMPATH_API_KEY_ID and
// STORMPATH_API_KEY_SECRET come from the configuration. Checks kept as documented, traps
// included: `q` is a case-insensitive *contains* search over every searchable attribute, so
// items[0] may be somebody else (jimbob@example.com for bob@example.com); status is never
// looked at; the id is the href minus the literal api.stormpath.com prefix.
// get_user_hardened.js handles what this one misses.
function getByEmail(email, callback) {
  var url = configuration.STORMPATH_URL + '/v1/applications/' + configuration.STORMPATH_APPLICATION_ID + '/accounts';

  request({
    url: url,
    method: 'GET',
    auth: {
      user: configuration.STORMPATH_API_KEY_ID,
      password: configuration.STORMPATH_API_KEY_SECRET
    },
    qs: { q: email }
  }, function (error, response, body) {
    if (response.statusCode !== 200) return callback();

    var parsedBody = JSON.parse(body);
    var user = parsedBody.items[0];

    if (!user) return callback();

    var id = user.href.replace('https://api.stormpath.com/v1/accounts/', '');

    return callback(null, {
      user_id: id,
      username: user.username,
      email: user.email,
      email_verified: true
    });
  });
}
