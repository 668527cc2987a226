// Drives the official Stormpath Node SDK (npm `stormpath` 0.18.5, the last release for the
// Stormpath API) against a mock Stormpath and prints what the SDK returned as one JSON line.
// Run by mocks/tests/stormpath_sdk.rs; by hand:
//   FERRY_STORMPATH_BASE_URL=http://127.0.0.1:PORT FERRY_STORMPATH_API_KEY_ID=... \
//   FERRY_STORMPATH_API_KEY_SECRET=... FERRY_STORMPATH_APPLICATION_ID=... node sdk_check.js
'use strict';

const stormpath = require('stormpath');

const base = process.env.FERRY_STORMPATH_BASE_URL + '/v1';
const client = new stormpath.Client({
  apiKey: new stormpath.ApiKey(process.env.FERRY_STORMPATH_API_KEY_ID, process.env.FERRY_STORMPATH_API_KEY_SECRET),
  baseUrl: base,
  cacheOptions: { store: 'disabled' }
});
const appHref = base + '/applications/' + process.env.FERRY_STORMPATH_APPLICATION_ID;

function fail(step, err) {
  console.log(JSON.stringify({ failed: step, error: String(err && (err.stack || err)) }));
  process.exit(1);
}

function pick(account) {
  return {
    href: account.href,
    username: account.username,
    email: account.email,
    givenName: account.givenName,
    surname: account.surname,
    fullName: account.fullName,
    status: account.status
  };
}

function errorOf(err) {
  return err && { status: err.status, code: err.code, userMessage: err.userMessage, developerMessage: err.developerMessage, moreInfo: err.moreInfo };
}

const out = {};
client.getCurrentTenant(function (err, tenant) {
  if (err) return fail('getCurrentTenant', err);
  out.tenant = { href: tenant.href, name: tenant.name, key: tenant.key };
  client.getApplication(appHref, function (err, app) {
    if (err) return fail('getApplication', err);
    out.application = { href: app.href, name: app.name, status: app.status };
    app.authenticateAccount({ username: 'first2shoot', password: 'Change+me1' }, function (err, result) {
      if (err) return fail('authenticateAccount', err);
      result.getAccount(function (err, account) {
        if (err) return fail('getAccount (result)', err);
        out.authenticated = pick(account);
        app.authenticateAccount({ username: 'first2shoot', password: 'wrong' }, function (err) {
          out.wrongPassword = errorOf(err);
          client.getAccount(account.href, { expand: 'customData' }, function (err, expanded) {
            if (err) return fail('getAccount', err);
            out.account = pick(expanded);
            out.customData = { favoriteColor: expanded.customData.favoriteColor };
            app.getAccounts({ email: 'leia@newrepublic.gov' }, function (err, found) {
              if (err) return fail('getAccounts (email)', err);
              out.byEmail = found.items.map(function (a) { return a.email; });
              const all = [];
              app.getAccounts(function (err, accounts) {
                if (err) return fail('getAccounts', err);
                out.firstPage = { size: accounts.size, limit: accounts.limit, items: accounts.items.length };
                accounts.each(function (a, next) { all.push(a.email); next(); }, function (err) {
                  if (err) return fail('each', err);
                  out.all = all;
                  client.getAccount(base + '/accounts/nobody', function (err) {
                    out.missing = errorOf(err);
                    console.log(JSON.stringify(out));
                  });
                });
              });
            });
          });
        });
      });
    });
  });
});
