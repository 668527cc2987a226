// Drives the official Auth0 Node SDK (npm `auth0`, node-auth0 v7: `ManagementClient` from the
// main entry point, `AuthenticationClient` from `auth0/legacy`, which v7 still ships) against a
// mock Auth0 and prints what the SDK returned as one JSON line. Run by mocks/tests/auth0_sdk.rs;
// by hand:
//
//     FERRY_AUTH0_BASE_URL=http://127.0.0.1:PORT FERRY_AUTH0_DOMAIN=ferry-sdk.eu.auth0.com \
//     FERRY_APP_ID=... FERRY_APP_SECRET=... FERRY_M2M_ID=... FERRY_M2M_SECRET=... \
//     FERRY_CONNECTION_ID=con_... node sdk_check.js users.json
//
// How the SDK reaches the mock: both clients build `https://${domain}` themselves and take no
// base URL, but both accept a custom `fetch` (a documented option, meant for mTLS and custom
// transports): ours sends every request for the tenant's domain to the mock's address instead,
// over plain http. The one request that bypasses `fetch` is the ID-token validator's download of
// `https://${domain}/.well-known/jwks.json` (jose's own `https.get`, which takes the client's
// `agent` option): an agent whose connections are plain TCP sockets to the mock.
'use strict';

const fs = require('fs');
const https = require('https');
const net = require('net');
const { ManagementClient } = require('auth0');
const { AuthenticationClient, UserInfoClient } = require('auth0/legacy');

const mock = new URL(process.env.FERRY_AUTH0_BASE_URL);
const domain = process.env.FERRY_AUTH0_DOMAIN;
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

/**
 * `fetch` for the SDK: https://{domain}/... is the mock's http://127.0.0.1:PORT/... (The legacy
 * client also hands its `agent` to fetch as undici's `dispatcher`; that agent is for jose.)
 */
function toMock(input, init = {}) {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  if (url.host !== domain) throw new Error(`the SDK called an unexpected host: ${url.host}`);
  url.protocol = mock.protocol;
  url.host = mock.host;
  const { dispatcher, ...rest } = init;
  return fetch(url, rest);
}

/** An https agent whose sockets are plain connections to the mock (for jose's JWKS download). */
class MockAgent extends https.Agent {
  createConnection() {
    return net.connect(Number(mock.port), mock.hostname);
  }
}

function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

/** The shape of an opaque (JWE) access token: its part count and its protected header. */
function opaque(token) {
  const parts = token.split('.');
  return { parts: parts.length, header: JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) };
}

/** What an SDK error carries, whichever client threw it. */
function failure(e) {
  return {
    name: e.constructor.name,
    statusCode: e.statusCode,
    error: e.error,
    error_description: e.error_description,
    body: e.body,
  };
}

async function attempt(f) {
  try {
    return { ok: await f() };
  } catch (e) {
    if (e.statusCode === undefined) throw e;
    return { failed: failure(e) };
  }
}

async function main() {
  const usersFile = process.argv[2];
  const out = {};

  // ---- Authentication API
  const app = new AuthenticationClient({
    domain,
    clientId: env('FERRY_APP_ID'),
    clientSecret: env('FERRY_APP_SECRET'),
    fetch: toMock,
    agent: new MockAgent(),
  });
  // With `openid` the SDK validates the ID token: issuer, audience, times, and the RS256
  // signature against the key it downloads from the JWKS endpoint.
  const login = await app.oauth.passwordGrant({
    username: 'Dade.Murphy@example.com',
    password: 'Hunter2!',
    realm: 'users',
    scope: 'openid profile email',
  });
  out.login = {
    status: login.status,
    keys: Object.keys(login.data).sort(),
    scope: login.data.scope,
    token_type: login.data.token_type,
    expires_in: login.data.expires_in,
    id_token: claims(login.data.id_token),
    access_token: opaque(login.data.access_token),
  };
  // Without an audience the access token is opaque, good for /userinfo (through the SDK's own
  // UserInfoClient).
  const userInfo = new UserInfoClient({ domain, fetch: toMock });
  out.userinfo = (await userInfo.getUserInfo(login.data.access_token)).data;
  const defaultDirectory = await app.oauth.passwordGrant({ username: 'dade.murphy@example.com', password: 'Hunter2!' });
  out.defaultDirectory = {
    status: defaultDirectory.status,
    sub: (await userInfo.getUserInfo(defaultDirectory.data.access_token)).data.sub,
  };
  out.wrongPassword = await attempt(() =>
    app.oauth.passwordGrant({ username: 'dade.murphy@example.com', password: 'hunter2', realm: 'users' }),
  );
  out.blocked = await attempt(() =>
    app.oauth.passwordGrant({ username: 'kate.libby@example.com', password: 'Acid-Burn-1', realm: 'users' }),
  );

  const m2m = new AuthenticationClient({
    domain,
    clientId: env('FERRY_M2M_ID'),
    clientSecret: env('FERRY_M2M_SECRET'),
    fetch: toMock,
  });
  const cc = await m2m.oauth.clientCredentialsGrant({ audience: `https://${domain}/api/v2/` });
  out.clientCredentials = {
    status: cc.status,
    keys: Object.keys(cc.data).sort(),
    token_type: cc.data.token_type,
    expires_in: cc.data.expires_in,
    claims: claims(cc.data.access_token),
  };
  out.noAudience = await attempt(() => m2m.oauth.clientCredentialsGrant({ audience: 'https://api.example.com/' }));

  // ---- Management API (token from the client credentials, fetched and cached by the SDK)
  const management = new ManagementClient({
    domain,
    clientId: env('FERRY_M2M_ID'),
    clientSecret: env('FERRY_M2M_SECRET'),
    fetch: toMock,
  });
  const found = await management.users.list({ q: 'email:"dade.murphy@example.com"', search_engine: 'v3' });
  out.search = found.data.map((u) => u.user_id);
  // The SDK pages by itself (include_totals=true, page, per_page=2).
  const listed = [];
  for await (const user of await management.users.list({ per_page: 2 })) listed.push(user.user_id);
  out.listed = listed;
  out.badQuery = await attempt(() => management.users.list({ q: 'email:"open' }));
  out.user = await management.users.get('auth0|dade');
  out.missing = await attempt(() => management.users.get('auth0|nobody'));
  const started = Date.now();
  out.byEmail = (await management.users.listUsersByEmail({ email: 'dade.murphy@example.com' })).map((u) => u.user_id);
  // The mock answers the first of these with an injected 429 (X-RateLimit-Reset, no Retry-After, as
  // Auth0): the SDK waits for the reset and retries.
  out.retriedAfterMs = Date.now() - started;
  out.updated = await management.users.update('auth0|dade', {
    user_metadata: { theme: null, lang: 'fr' },
    app_metadata: { plan: 'platinum' },
  });

  const logs = [];
  for await (const event of await management.logs.list({ per_page: 3 })) logs.push(event.type);
  out.logs = logs;

  const connections = [];
  for await (const c of await management.connections.list({ strategy: ['auth0'] })) connections.push(c.name);
  out.connections = connections;
  const connection = await management.connections.get(env('FERRY_CONNECTION_ID'));
  out.connection = { id: connection.id, name: connection.name, strategy: connection.strategy, realms: connection.realms };

  // ---- Bulk import: a file stream, then the job until it is done, then its errors.
  const job = await management.jobs.usersImports.create({
    users: fs.createReadStream(usersFile),
    connection_id: env('FERRY_CONNECTION_ID'),
    upsert: false,
    external_id: 'sdk-import-1',
  });
  out.job = job;
  let done = job;
  for (let i = 0; i < 500 && ['pending', 'processing'].includes(done.status); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    done = await management.jobs.get(job.id);
  }
  out.finished = done;
  out.errors = await management.jobs.errors.get(job.id);
  out.missingJob = await attempt(() => management.jobs.get('job_AAAAAAAAAAAAAAAA'));
  const imported = await management.users.listUsersByEmail({ email: 'kate.imported@example.com' });
  out.imported = imported.map((u) => u.user_id);

  // ---- A static token that is not one.
  const forged = new ManagementClient({ domain, token: 'not-a-token', fetch: toMock });
  out.badToken = await attempt(() => forged.users.get('auth0|dade'));

  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
