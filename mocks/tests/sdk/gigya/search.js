// Drives the npm `gigya` SDK (scotthovestadt/gigya) against Ferry's mock Gigya; see
// mocks/tests/gigya_sdk.rs. The SDK always calls https://<namespace>.<dataCenter>.gigya.com; its
// documented hook for another transport is a proxy function passed to the constructor, which
// here forwards each call to the mock the way a reverse proxy would (Host and X-Forwarded-Proto
// kept), so the SDK's request signature (over the real Gigya URL) is checked as sent.
'use strict';

const http = require('http');
const { Gigya } = require('gigya');

const base = new URL(process.env.FERRY_GIGYA_BASE_URL);
const apiKey = process.env.FERRY_GIGYA_API_KEY;
const dataCenter = process.env.FERRY_GIGYA_DATA_CENTER.replace(/\.gigya\.com$/, '');

function proxy(endpoint, host, params, headers) {
  return new Promise((resolve, reject) => {
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined) form.append(key, String(value));
    }
    const body = form.toString();
    const req = http.request(
      {
        hostname: base.hostname,
        port: base.port,
        path: `/${endpoint}`,
        method: 'POST',
        headers: {
          ...headers,
          Host: host,
          'X-Forwarded-Proto': 'https',
          'Content-Type': 'application/x-www-form-urlencoded',
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => { text += chunk; });
        res.on('end', () => {
          try { resolve(JSON.parse(text)); } catch (e) { reject(e); }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main() {
  const gigya = new Gigya(apiKey, dataCenter, proxy);
  gigya.setCredentials({ userKey: process.env.FERRY_GIGYA_USER_KEY, secret: process.env.FERRY_GIGYA_SECRET });

  const pages = [];
  let response = await gigya.accounts.search({
    query: 'SELECT UID, profile.email FROM accounts WHERE isRegistered = true LIMIT 2',
    openCursor: true,
  });
  const totalCount = response.totalCount;
  for (;;) {
    pages.push(response.results.map((r) => r.UID));
    if (!response.nextCursorId) break;
    response = await gigya.accounts.search({ cursorId: response.nextCursorId });
  }

  const info = await gigya.accounts.getAccountInfo({ UID: 'dade', include: 'profile,loginIDs', extraProfileFields: 'locale' });

  let missing = null;
  try {
    await gigya.accounts.getAccountInfo({ UID: 'nobody' });
  } catch (e) {
    missing = { errorCode: e.errorCode, message: e.message };
  }

  const flow = await gigya.idx.createDataflow({
    data: {
      name: 'sdk export',
      steps: [
        { id: 'read', type: 'datasource.read.gigya.account', params: { select: 'UID,profile.email' }, next: ['json'] },
        { id: 'json', type: 'file.format.json', params: { fileName: 'sdk.json' }, next: ['write'] },
        { id: 'write', type: 'datasource.write.ferry' },
      ],
    },
  });
  await gigya.idx.createScheduling({ data: { name: 'now', dataflowId: flow.id, frequencyType: 'once' } });
  const jobs = await gigya.idx.search({
    query: `SELECT status, processedRecords FROM idx_job_status WHERE dataflowId = '${flow.id}'`,
  });

  console.log(JSON.stringify({
    totalCount,
    pages,
    info: { UID: info.UID, profile: info.profile, loginIDs: info.loginIDs, data: info.data },
    missing,
    jobs: jobs.results,
  }));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
