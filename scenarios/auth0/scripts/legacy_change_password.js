function changePassword(email, newPassword, callback) {
  console.log('legacy store: new password for', email);
  return callback(null, true);
}
