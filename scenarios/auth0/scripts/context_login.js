// With enable_script_context, Auth0 passes a `context` argument before the callback:
// login(email, password, context, callback). This script records what it was given.
function login(email, password, context, callback) {
  if (password !== 'Right-Pass-1') return callback(new WrongUsernameOrPasswordError(email));
  return callback(null, {
    user_id: 'ctx-' + email.split('@')[0],
    email: email,
    email_verified: true,
    app_metadata: { seen_connection: context.connection.name, seen_tenant: context.connection.tenant }
  });
}
