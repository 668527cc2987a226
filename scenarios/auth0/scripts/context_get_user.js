// getByEmail(email, context, callback) with enable_script_context.
function getByEmail(email, context, callback) {
  if (email !== 'known@example.com') return callback(null);
  return callback(null, {
    user_id: 'ctx-known',
    email: email,
    app_metadata: { found_through: context.connection.name }
  });
}
