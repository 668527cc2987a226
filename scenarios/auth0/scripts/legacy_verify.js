// verify(email, callback): the legacy store marks the email verified and answers true; it
// refuses (false) for an account it has locked.
function verify(email, callback) {
  console.log('legacy store: verify', email);
  if (email === 'locked@example.com') return callback(null, false);
  return callback(null, true);
}
