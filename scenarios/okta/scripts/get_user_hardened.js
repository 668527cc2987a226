// Okta → Auth0 get_user script, hardened (okta.md §9):
// - "not found" only when Okta says 404; transport errors, a refused API token (401), rate
//   limiting and outages are errors, so an outage never makes existing users look absent (and
//   sign-up cannot create a duplicate of an Okta account);
// - users Okta would not let sign in and who cannot recover by a reset (SUSPENDED,
//   DEPROVISIONED, never activated) are not returned; LOCKED_OUT, PASSWORD_EXPIRED and
//   RECOVERY users are, since a password reset is their way back;
// - email from profile.email, name from the parts that exist, the same profile as
//   login_hardened.js.
// Configuration: OKTA_URL, OKTA_API_TOKEN.
function getByEmail(email, callback) {
  var base = configuration.OKTA_URL.replace(/\/+$/, '');

  request({
    url: base + '/api/v1/users/' + encodeURIComponent(email),
    method: 'GET',
    headers: { 'Accept': 'application/json', 'Authorization': 'SSWS ' + configuration.OKTA_API_TOKEN },
    json: true,
    timeout: Number(configuration.OKTA_TIMEOUT_MS) || 10000
  }, function (error, response, body) {
    if (error) return callback(new Error('Okta could not be reached: ' + error.message));
    if (response.statusCode === 404) return callback(null);
    if (response.statusCode !== 200 || !body || !body.profile) {
      return callback(new Error('Okta answered ' + response.statusCode + ' when looking up the user'));
    }
    var blocked = ['SUSPENDED', 'DEPROVISIONED', 'STAGED', 'PROVISIONED'];
    if (blocked.indexOf(body.status) !== -1) return callback(null);

    var p = body.profile;
    var names = [p.firstName, p.lastName].filter(function (n) { return typeof n === 'string' && n.length > 0; });
    var profile = {
      user_id: body.id,
      email: p.email || p.login,
      email_verified: true,
      user_metadata: { okta_login: p.login }
    };
    if (names.length) profile.name = names.join(' ');
    if (p.firstName) profile.given_name = p.firstName;
    if (p.lastName) profile.family_name = p.lastName;
    return callback(null, profile);
  });
}
