// Drives the official Okta Node SDK (@okta/okta-sdk-nodejs) against a mock Okta and prints what
// the SDK returned as one JSON line. Run by mocks/tests/okta_sdk.rs; by hand:
//   FERRY_OKTA_BASE_URL=http://127.0.0.1:PORT FERRY_OKTA_API_TOKEN=00ferry-okta-api-token \
//     node get_user.js dade.murphy@example.com
'use strict';

const okta = require('@okta/okta-sdk-nodejs');

const orgUrl = process.env.FERRY_OKTA_BASE_URL;
const token = process.env.FERRY_OKTA_API_TOKEN;
const login = process.argv[2];

// Records the back-off the SDK computes from a 429 (X-Rate-Limit-Reset minus Date, plus 1 s)
// instead of sleeping it, so the check stays fast.
class ProbeExecutor extends okta.DefaultRequestExecutor {
  retryRequest(request, response, delayMs) {
    this.backoffMs = delayMs;
    return Promise.resolve(response);
  }
}

function pick(user) {
  return {
    id: user.id,
    status: user.status,
    created: user.created,
    lastUpdated: user.lastUpdated,
    login: user.profile.login,
    email: user.profile.email,
    firstName: user.profile.firstName,
    lastName: user.profile.lastName,
    credentialsProvider: user.credentials && user.credentials.provider && user.credentials.provider.type,
    self: user._links && user._links.self && user._links.self.href,
  };
}

function apiError(e) {
  return { status: e.status, errorCode: e.errorCode, errorSummary: e.errorSummary, errorId: e.errorId };
}

async function main() {
  const executor = new ProbeExecutor();
  // No response cache: every call must reach the mock.
  const client = new okta.Client({ orgUrl, token, cacheMiddleware: null, requestExecutor: executor });
  const byLogin = await client.userApi.getUser({ userId: login });
  const byId = await client.userApi.getUser({ userId: byLogin.id });
  const listed = [];
  const collection = await client.userApi.listUsers({ limit: 2 });
  for await (const user of collection) {
    listed.push(user.id);
  }
  let missing = null;
  try {
    await client.userApi.getUser({ userId: 'nobody@example.com' });
  } catch (e) {
    missing = apiError(e);
  }
  let limited = null;
  for (let i = 0; i < 20 && !limited; i++) {
    try {
      await client.userApi.getUser({ userId: byLogin.id });
    } catch (e) {
      limited = apiError(e);
      limited.backoffMs = executor.backoffMs;
    }
  }
  process.stdout.write(JSON.stringify({ byLogin: pick(byLogin), byId: pick(byId), listed, missing, limited }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`${e && e.stack || e}\n`);
  process.exit(1);
});
