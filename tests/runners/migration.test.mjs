// The migration tested from Node's own test runner against `ferry serve`:
//
//   ferry serve --seed tests/runners/seed.yaml --env-file .ferry.env &
//   node --env-file=.ferry.env --test tests/runners/migration.test.mjs
//
// Nothing is hard-coded: the mock Auth0's URL and the applications' credentials come from the
// env file ferry serve writes once every mock answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';

const env = (name) => {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run with node --env-file=FILE from ferry serve --env-file FILE`);
  return value;
};
const auth0 = env('FERRY_AUTH0_URL');

async function post(path, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${auth0}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

function login(username, password) {
  return post('/oauth/token', {
    grant_type: 'http://auth0.com/oauth/grant-type/password-realm',
    realm: 'okta-users',
    username,
    password,
    client_id: env('FERRY_AUTH0_APP_CLIENT_ID'),
    client_secret: env('FERRY_AUTH0_APP_CLIENT_SECRET'),
    scope: 'openid profile email',
  });
}

async function managementToken() {
  const { status, body } = await post('/oauth/token', {
    grant_type: 'client_credentials',
    client_id: env('FERRY_AUTH0_CLIENT_ID'),
    client_secret: env('FERRY_AUTH0_CLIENT_SECRET'),
    audience: env('FERRY_AUTH0_AUDIENCE'),
  });
  assert.equal(status, 200);
  return body.access_token;
}

test('a user who is only in Okta signs in through Auth0 and is migrated', async () => {
  const { status, body } = await login('dade.murphy@example.com', 'Hunter2!zero');
  assert.equal(status, 200, JSON.stringify(body));
  assert.ok(body.id_token);

  const token = await managementToken();
  const response = await fetch(`${auth0}/api/v2/users-by-email?email=dade.murphy%40example.com`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const [user] = await response.json();
  assert.equal(user.name, 'Dade Murphy');
  assert.equal(user.identities[0].connection, 'okta-users');
});

test('a wrong password is refused as Auth0 refuses it', async () => {
  const { status, body } = await login('dade.murphy@example.com', 'not-the-password');
  assert.equal(status, 403);
  assert.equal(body.error, 'invalid_grant');
});
