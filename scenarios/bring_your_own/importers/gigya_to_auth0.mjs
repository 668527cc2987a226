#!/usr/bin/env node
// Imports a Gigya (SAP Customer Data Cloud) account export into an Auth0 database connection
// with the Management API's bulk import (POST /api/v2/jobs/users-imports), as Auth0's
// "Migrate from Gigya" guide describes: accounts mapped to Auth0's bulk-import schema, Gigya's
// PBKDF2 password hashes carried as custom_password_hash, files under Auth0's 500 KB limit, each
// job followed to its end and its failed users listed.
//
// Node 20 or newer, standard library only (fetch, FormData, Blob).
//
//   AUTH0_DOMAIN=acme.eu.auth0.com AUTH0_CLIENT_ID=... AUTH0_CLIENT_SECRET=... \
//     node gigya_to_auth0.mjs --connection gigya-users accounts_export.json
//
// The export is the JSON file an IdentitySync dataflow writes (an array of accounts), or an
// accounts.search response saved as it came ({"results": [...]}), or one account per line.
// AUTH0_BASE_URL overrides https://AUTH0_DOMAIN (a proxy, a test server).
// Exit code: 0 every account imported, 1 some failed, 2 the import could not run.

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

const MAX_FILE_BYTES = 500 * 1024;
const POLL_MS = 500;

class Fatal extends Error {}

function settings() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      connection: { type: 'string' },
      upsert: { type: 'boolean', default: false },
    },
  });
  if (!values.connection || positionals.length !== 1) {
    throw new Fatal('usage: node gigya_to_auth0.mjs --connection NAME [--upsert] EXPORT.json');
  }
  const need = (name) => {
    const value = process.env[name];
    if (!value) throw new Fatal(`${name} is not set`);
    return value;
  };
  const domain = need('AUTH0_DOMAIN');
  const baseUrl = (process.env.AUTH0_BASE_URL || `https://${domain}`).replace(/\/+$/, '');
  return {
    file: positionals[0],
    connection: values.connection,
    upsert: values.upsert,
    baseUrl,
    clientId: need('AUTH0_CLIENT_ID'),
    clientSecret: need('AUTH0_CLIENT_SECRET'),
    audience: process.env.AUTH0_AUDIENCE || `https://${domain}/api/v2/`,
  };
}

// --- reading the export -------------------------------------------------------------------

async function readAccounts(file) {
  const text = (await readFile(file, 'utf8')).trim();
  if (text.startsWith('[')) return JSON.parse(text);
  if (text.startsWith('{')) {
    try {
      const whole = JSON.parse(text);
      if (Array.isArray(whole.results)) return whole.results; // accounts.search
      if (Array.isArray(whole.accounts)) return whole.accounts;
      return [whole];
    } catch {
      // one account per line
    }
  }
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line, i) => {
      try {
        return JSON.parse(line);
      } catch (e) {
        throw new Fatal(`${file}:${i + 1}: not JSON (${e.message})`);
      }
    });
}

// --- Gigya account → Auth0 user ------------------------------------------------------------

const b64NoPad = (b64) => b64.replace(/=+$/, '');

// Gigya's PBKDF2 hashes as the PHC strings Auth0's custom_password_hash takes.
function passwordHash(password) {
  const settings = password?.hashSettings;
  if (!password?.hash || !settings) return undefined;
  const digest = { pbkdf2: 'sha1', pbkdf2_sha1: 'sha1', pbkdf2_sha256: 'sha256', pbkdf2_sha512: 'sha512' }[
    settings.algorithm
  ];
  if (!digest || !settings.salt) return undefined;
  const length = Buffer.from(password.hash, 'base64').length;
  return {
    algorithm: 'pbkdf2',
    hash: {
      value: `$pbkdf2-${digest}$i=${settings.rounds},l=${length}$${b64NoPad(settings.salt)}$${b64NoPad(password.hash)}`,
      encoding: 'utf8',
    },
  };
}

function toAuth0(account) {
  const profile = account.profile || {};
  const email = profile.email || account.email || account.loginIDs?.emails?.[0];
  if (!account.isRegistered) return { skip: 'not registered' };
  if (!email) return { skip: 'no email' };
  const user = {
    user_id: account.UID,
    email: email.toLowerCase(),
    email_verified: Boolean(account.isVerified),
    app_metadata: { gigya_uid: account.UID, gigya_created: account.created },
  };
  if (profile.firstName) user.given_name = profile.firstName;
  if (profile.lastName) user.family_name = profile.lastName;
  const name = [profile.firstName, profile.lastName].filter(Boolean).join(' ');
  if (name) user.name = name;
  if (account.data && Object.keys(account.data).length) user.user_metadata = { ...account.data };
  const hash = passwordHash(account.password);
  if (hash) user.custom_password_hash = hash;
  return { user, reset: !hash };
}

// Files of at most MAX_FILE_BYTES, as Auth0 takes them.
function pack(users) {
  const files = [];
  let current = [];
  let size = 2;
  for (const user of users) {
    const bytes = Buffer.byteLength(JSON.stringify(user)) + 1;
    if (current.length && size + bytes > MAX_FILE_BYTES) {
      files.push(current);
      current = [];
      size = 2;
    }
    current.push(user);
    size += bytes;
  }
  if (current.length) files.push(current);
  return files;
}

// --- Management API ------------------------------------------------------------------------

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(config, method, path, { token, json, form } = {}) {
  for (let attempt = 1; ; attempt++) {
    const headers = {};
    if (token) headers.authorization = `Bearer ${token}`;
    let body;
    if (json) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(json);
    } else if (form) {
      body = form;
    }
    const response = await fetch(`${config.baseUrl}${path}`, { method, headers, body });
    if (response.status === 429 && attempt < 10) {
      const retryAfter = Number(response.headers.get('retry-after'));
      // X-RateLimit-Reset is an epoch second on the server's clock: measured against the
      // answer's own Date, not this machine's clock (which may be skewed), and at least 1 s.
      const reset = Number(response.headers.get('x-ratelimit-reset'));
      const serverNow = Date.parse(response.headers.get('date') ?? '') || Date.now();
      const wait = retryAfter > 0 ? retryAfter * 1000 : reset > 0 ? Math.max(1000, reset * 1000 - serverNow) : 1000;
      console.error(`rate limited on ${method} ${path}; retrying in ${Math.ceil(wait / 1000)} s`);
      await sleep(Math.min(wait, 30_000));
      continue;
    }
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const why = data?.message || data?.error_description || data?.error || text;
      throw new Fatal(`${method} ${path}: ${response.status} ${why}`);
    }
    return data;
  }
}

async function managementToken(config) {
  const answer = await call(config, 'POST', '/oauth/token', {
    json: {
      grant_type: 'client_credentials',
      client_id: config.clientId,
      client_secret: config.clientSecret,
      audience: config.audience,
    },
  });
  return answer.access_token;
}

async function connectionId(config, token) {
  const query = new URLSearchParams({ name: config.connection, strategy: 'auth0', fields: 'id,name' });
  const found = await call(config, 'GET', `/api/v2/connections?${query}`, { token });
  const connection = found.find((c) => c.name === config.connection);
  if (!connection) throw new Fatal(`Auth0 has no database connection named ${config.connection}`);
  return connection.id;
}

async function importFile(config, token, connection, users, n) {
  const form = new FormData();
  form.append('users', new Blob([JSON.stringify(users)], { type: 'application/json' }), `users-${n}.json`);
  form.append('connection_id', connection);
  form.append('upsert', String(config.upsert));
  form.append('external_id', `gigya-import-${n}`);
  form.append('send_completion_email', 'false');
  const job = await call(config, 'POST', '/api/v2/jobs/users-imports', { token, form });
  console.log(`file ${n}: ${users.length} users, job ${job.id}`);
  for (;;) {
    const status = await call(config, 'GET', `/api/v2/jobs/${job.id}`, { token });
    if (status.status === 'completed') {
      const errors = status.summary?.failed ? await call(config, 'GET', `/api/v2/jobs/${job.id}/errors`, { token }) : [];
      return { summary: status.summary, errors: errors || [] };
    }
    if (status.status === 'failed') throw new Fatal(`job ${job.id} failed: ${JSON.stringify(status)}`);
    await sleep(POLL_MS);
  }
}

async function main() {
  const config = settings();
  const accounts = await readAccounts(config.file);
  const users = [];
  const resets = [];
  for (const account of accounts) {
    const { user, skip, reset } = toAuth0(account);
    if (skip) {
      console.log(`skipped ${account.UID}: ${skip}`);
      continue;
    }
    users.push(user);
    if (reset) resets.push(user.email);
  }
  const token = await managementToken(config);
  const connection = await connectionId(config, token);
  const totals = { inserted: 0, updated: 0, failed: 0 };
  let n = 0;
  for (const file of pack(users)) {
    const { summary, errors } = await importFile(config, token, connection, file, ++n);
    totals.inserted += summary.inserted;
    totals.updated += summary.updated;
    totals.failed += summary.failed;
    for (const failed of errors) {
      const reasons = failed.errors.map((e) => `${e.code}: ${e.message}`).join('; ');
      console.log(`failed ${failed.user?.email ?? failed.user?.user_id}: ${reasons}`);
    }
  }
  for (const email of resets) console.log(`needs a password reset: ${email}`);
  console.log(
    `imported ${users.length} of ${accounts.length} accounts: ${totals.inserted} inserted, ` +
      `${totals.updated} updated, ${totals.failed} failed, ${resets.length} without a password`,
  );
  return totals.failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Fatal ? `error: ${error.message}` : error);
    process.exit(2);
  },
);
