// Drives the official Auth0 Node SDK (npm `auth0`) against a mock Auth0 served over HTTPS, the
// way a user's own code would call it: `ManagementClient` (the v7 main entry point) and
// `AuthenticationClient` (`auth0/legacy`, the only authentication client the package ships)
// given `domain: 127.0.0.1:PORT` and nothing else. No custom `fetch`, no `agent`: both clients
// build `https://${domain}/...` themselves, and the ID-token validator downloads
// `https://${domain}/.well-known/jwks.json` with jose's own `https.get`. The mock's certificate
// is trusted through NODE_EXTRA_CA_CERTS (Ferry's CA), as a user would after `ferry serve --tls`.
// Run by mocks/tests/auth0_sdk.rs; by hand:
//
//     NODE_EXTRA_CA_CERTS=ferry-ca.pem FERRY_AUTH0_DOMAIN=127.0.0.1:PORT \
//     FERRY_APP_ID=... FERRY_APP_SECRET=... FERRY_M2M_ID=... FERRY_M2M_SECRET=... \
//     FERRY_CONNECTION_ID=con_... node sdk_https.js users.json
'use strict';

const fs = require('fs');
const { ManagementClient } = require('auth0');
const { AuthenticationClient } = require('auth0/legacy');

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const domain = env('FERRY_AUTH0_DOMAIN');

function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

async function main() {
  const usersFile = process.argv[2];
  const out = {};

  // ---- Authentication API: with `openid` the SDK validates the ID token (issuer
  // https://127.0.0.1:PORT/, audience, times, RS256 signature against the JWKS it downloads).
  const app = new AuthenticationClient({
    domain,
    clientId: env('FERRY_APP_ID'),
    clientSecret: env('FERRY_APP_SECRET'),
  });
  const login = await app.oauth.passwordGrant({
    username: 'dade.murphy@example.com',
    password: 'Hunter2!',
    realm: 'users',
    scope: 'openid profile email',
  });
  out.login = { status: login.status, id_token: claims(login.data.id_token) };

  const m2m = new AuthenticationClient({
    domain,
    clientId: env('FERRY_M2M_ID'),
    clientSecret: env('FERRY_M2M_SECRET'),
  });
  const cc = await m2m.oauth.clientCredentialsGrant({ audience: `https://${domain}/api/v2/` });
  out.clientCredentials = claims(cc.data.access_token);

  // ---- Management API (v7): the SDK gets its own token for https://${domain}/api/v2/.
  const management = new ManagementClient({
    domain,
    clientId: env('FERRY_M2M_ID'),
    clientSecret: env('FERRY_M2M_SECRET'),
  });
  const listed = [];
  for await (const user of await management.users.list({ per_page: 2 })) listed.push(user.user_id);
  out.listed = listed;
  out.user = await management.users.get('auth0|dade');
  out.updated = await management.users.update('auth0|dade', { app_metadata: { plan: 'platinum' } });

  const job = await management.jobs.usersImports.create({
    users: fs.createReadStream(usersFile),
    connection_id: env('FERRY_CONNECTION_ID'),
    upsert: false,
  });
  let done = job;
  for (let i = 0; i < 500 && ['pending', 'processing'].includes(done.status); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    done = await management.jobs.get(job.id);
  }
  out.finished = { status: done.status, summary: done.summary };
  out.imported = (await management.users.listUsersByEmail({ email: 'kate.imported@example.com' })).map(
    (u) => u.user_id,
  );

  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
