function changeEmail(email, newEmail, verified, callback) {
  console.log('legacy store: email', email, '->', newEmail, 'verified:', verified);
  return callback(null, true);
}
