// Ferry's dashboard. The dashboard server answers everything: users through the tenant's
// Management API (the search runs there, never here), the rest relayed from the mocks' /__ferry/
// admin endpoints. One view at a time (tabs); the visible one is refreshed every 1.5 s.
// Plain DOM: every value goes in as text (textContent), never as HTML.
'use strict';

const POLL_MS = 1500;
const SCRIPT_RUNS = 50;
const JOURNAL_LIMIT = 200;
const TABS = ['users', 'connections', 'jobs', 'logs', 'scripts', 'emails', 'journal', 'state'];

const LOG_TYPES = {
  s: 'Success Login',
  f: 'Failed Login',
  fp: 'Failed Login (Incorrect Password)',
  fu: 'Failed Login (Invalid Email/Username)',
  limit_wc: 'Blocked Account',
  scpr: 'Success Change Password Request',
  fcpr: 'Failed Change Password Request',
  scp: 'Success Change Password',
  fcp: 'Failed Change Password',
  ss: 'Success Signup',
  fs: 'Failed Signup',
  sdu: 'Success User Deletion',
  du: 'Deleted User',
  sapi: 'Success API Operation',
  fapi: 'Failed API Operation',
  sv: 'Success Verification Email',
  fv: 'Failed Verification Email',
  sertft: 'Success Exchange (Refresh Token for Access Token)',
  fertft: 'Failed Exchange (Refresh Token for Access Token)',
  sui: 'Success Users Import',
  fui: 'Failed Users Import',
};

const view = {
  mocks: [], // [{ name, base_url, management, ok, error }]
  tab: 'users',
  open: new Set(), // keys of expanded rows, kept across re-renders
  auth0: null, // the Auth0 mock's link
  state: null, // the Auth0 mock's state view (without users)
  scripts: { items: [], total: 0 },
  users: { by: 'user', text: '', page: 0, result: null, error: null, shownCount: -1, asked: 0 },
  journal: { result: null, asked: 0 },
  jobErrors: new Map(), // job id -> { count, rows, total, job } | { count, error }
  statesAt: 0,
};

// ---- DOM helpers ---------------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function json(value) {
  return h('pre', null, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
}

function labelled(title, ...content) {
  return [h('div', { class: 'label' }, title), ...content];
}

function keyValues(object) {
  const entries = Object.entries(object || {});
  if (entries.length === 0) return h('p', { class: 'muted' }, 'none');
  return h('dl', { class: 'kv' }, entries.map(([k, v]) => [h('dt', null, k), h('dd', null, typeof v === 'string' ? v : JSON.stringify(v))]));
}

// A small table of `rows` (arrays of cells) under `headings`.
function grid(headings, rows, cls) {
  return h('table', { class: `grid ${cls || ''}` },
    h('thead', null, h('tr', null, headings.map((t) => h('th', null, t)))),
    h('tbody', null, rows.map((cells) => h('tr', null, cells.map((c) => (c instanceof Node && c.tagName === 'TD' ? c : h('td', null, c)))))));
}

// An ISO time as `2024-03-01 10:00:05` (with its milliseconds when `millis`).
function when(iso, millis) {
  if (!iso) return '—';
  const text = String(iso).replace('T', ' ');
  return millis ? text.replace(/Z$/, '') : text.replace(/\.\d+Z$|Z$/, '');
}

function number(n) {
  return Number(n || 0).toLocaleString('en-US');
}

function el(id) {
  return document.getElementById(id);
}

function badge(text, kind) {
  return h('span', { class: `badge ${kind || ''}` }, text);
}

// An expandable row: a <tbody> holding the row and, under it, its details (built on demand).
function item(key, cells, details) {
  const body = h('tbody', { class: 'item', 'data-key': key });
  const main = h('tr', { class: 'main' }, h('td', { class: 'arrow' }, '▸'), cells);
  const more = h('tr', { class: 'more' });
  const width = cells.length + 1;
  const fill = () => {
    if (more.childElementCount === 0) more.append(h('td', { colspan: width }, details()));
  };
  if (view.open.has(key)) {
    body.classList.add('open');
    fill();
  }
  main.addEventListener('click', (event) => {
    if (event.target.closest('a')) return; // a link in the row opens, it does not toggle
    const open = body.classList.toggle('open');
    if (open) {
      view.open.add(key);
      fill();
    } else {
      view.open.delete(key);
    }
  });
  body.append(main, more);
  return body;
}

// Puts `items` in `table` (after its head) in order, each as its own <tbody>, reusing the nodes
// of items whose data did not change.
function sync(table, items, keyOf, render) {
  const offset = table.tHead ? 1 : 0;
  const before = table._items || new Map();
  const after = new Map();
  items.forEach((data, index) => {
    const key = keyOf(data);
    const text = JSON.stringify(data);
    let entry = before.get(key);
    if (!entry || entry.text !== text) entry = { text, node: render(data, key) };
    after.set(key, entry);
    const here = table.children[index + offset];
    if (here !== entry.node) table.insertBefore(entry.node, here || null);
  });
  for (const [key, entry] of before) {
    if (after.get(key) !== entry) entry.node.remove();
  }
  table._items = after;
}

// Redraws an item's details (when what they show arrived after the row was drawn).
function refill(table, key) {
  const entry = (table._items || new Map()).get(key);
  if (!entry) return;
  entry.text = null; // forces a re-render at the next sync
}

function showList(name, items, total, keyOf, render) {
  sync(el(`${name}-rows`), items, keyOf, render);
  el(`${name}-empty`).hidden = items.length > 0;
  let count = '';
  if (total !== undefined && total > items.length) count = `${number(total)}, ${number(items.length)} shown`;
  else if (items.length > 0) count = number(items.length);
  el(`${name}-count`).textContent = count;
}

// ---- tabs ----------------------------------------------------------------------------------

function showTab(name) {
  if (!TABS.includes(name)) name = 'users';
  view.tab = name;
  for (const tab of TABS) {
    el(tab).classList.toggle('active', tab === name);
    document.querySelector(`#tabs a[data-tab="${tab}"]`).classList.toggle('active', tab === name);
  }
  refresh();
}

// ---- users ---------------------------------------------------------------------------------

function userRow(user, key) {
  const identity = (user.identities || [])[0] || {};
  const who = user.email || user.username || user.phone_number || user.name || '';
  return item(key, [
    h('td', null, h('div', null, who), user.name && user.name !== who ? h('div', { class: 'muted small' }, user.name) : null),
    h('td', { class: 'mono' }, user.user_id),
    h('td', null, identity.connection || ''),
    h('td', null, user.logins_count || 0),
    h('td', null, when(user.last_login)),
    h('td', { class: 'nowrap' }, when(user.created_at, true)),
  ], () => [
    labelled('Identities', json(user.identities || [])),
    labelled('user_metadata', json(user.user_metadata || {})),
    labelled('app_metadata', json(user.app_metadata || {})),
    labelled('Raw JSON', json(user)),
  ]);
}

async function searchUsers() {
  const u = view.users;
  if (!view.auth0) return;
  const asked = ++u.asked;
  const params = new URLSearchParams({ by: u.by, text: u.text, page: String(u.page) });
  const countNow = view.state ? view.state.user_count : -1;
  try {
    const result = await getJSON(`/api/mocks/${encodeURIComponent(view.auth0.name)}/users?${params}`);
    if (asked !== u.asked) return; // a newer search was sent meanwhile
    u.result = result;
    u.error = null;
  } catch (error) {
    if (asked !== u.asked) return;
    u.result = error.body && 'q' in error.body ? { q: error.body.q, users: [], total: 0, refused: true } : null;
    u.error = error.message;
  }
  u.shownCount = countNow;
  renderUsers();
}

function renderUsers() {
  const u = view.users;
  const r = u.result;
  el('users-error').hidden = !u.error;
  el('users-error').textContent = u.error ? `The search failed: ${u.error}` : '';
  const users = (r && r.users) || [];
  const total = (r && r.total) || 0;
  sync(el('users-rows'), users, (x) => `user:${x.user_id}`, userRow);
  const params = r ? [r.q ? `q=${r.q}` : '(no q: every user)', `sort=${r.sort || 'created_at:-1'}`, 'search_engine=v3', `page=${u.page}`, `per_page=${r.per_page || 50}`] : [];
  el('users-query').textContent = params.join('  ');
  const empty = el('users-empty');
  empty.hidden = users.length > 0 || (r && r.refused);
  empty.textContent = u.text.trim() ? `No user matches “${u.text.trim()}”.` : 'No users yet.';
  const perPage = (r && r.per_page) || 50;
  const reachable = Math.min(total, (r && r.max_results) || 1000);
  const pages = Math.max(1, Math.ceil(reachable / perPage));
  el('users-page').textContent = r && total > 0 ? `Page ${u.page + 1} of ${number(pages)}` : '';
  el('users-prev').disabled = u.page === 0;
  el('users-next').disabled = u.page + 1 >= pages;
  const from = u.page * perPage + 1;
  el('users-summary').textContent = total > 0
    ? `${number(from)}–${number(from + users.length - 1)} of ${number(total)} ${u.text.trim() ? 'matching' : ''} users, newest first`
    : '';
  const limit = el('users-limit');
  limit.hidden = total <= reachable;
  limit.textContent = total > reachable
    ? `Auth0 pages through the first ${number(reachable)} results of a search only: ${number(total - reachable)} more match. Narrow the search to reach them.`
    : '';
  const count = view.state ? view.state.user_count : undefined;
  el('users-count').textContent = count === undefined ? '' : number(count);
}

// ---- connections, jobs, logs, emails (from the state view) ---------------------------------

function connectionRow(clients) {
  return (connection, key) => {
    const options = connection.options || {};
    const apps = (connection.enabled_clients || []).map((id) => clients[id] || id);
    const yes = (flag) => badge(flag ? 'on' : 'off', flag ? 'yes' : '');
    const tryLink = connection.try_url
      ? h('a', { href: connection.try_url, target: '_blank', rel: 'noreferrer', class: 'try' }, 'Try connection')
      : '—';
    return item(key, [
      h('td', null, connection.name),
      h('td', { class: 'mono' }, connection.id),
      h('td', null, connection.strategy),
      h('td', null, yes(options.enabledDatabaseCustomization)),
      h('td', null, yes(options.import_mode)),
      h('td', null, apps.join(', ') || '—'),
      h('td', null, tryLink),
    ], () => {
      const { customScripts, configuration, ...rest } = options;
      const scripts = Object.entries(customScripts || {});
      return [
        connection.try_url ? labelled('Try connection (the hosted login page; a successful login shows the profile)', h('p', { class: 'mono' }, connection.try_url)) : null,
        labelled('Database action scripts'),
        scripts.length === 0
          ? h('p', { class: 'muted' }, 'none')
          : scripts.map(([name, source]) => [h('h3', null, name), json(String(source))]),
        labelled('Settings (configuration values are masked, as Auth0 returns them)', keyValues(configuration)),
        labelled('Other options', json(rest)),
        connection.metadata ? labelled('Metadata', json(connection.metadata)) : null,
      ];
    });
  };
}

function jobErrorRows(rows) {
  const lines = [];
  rows.forEach((row, index) => {
    const user = row.user || {};
    const who = user.email || user.user_id || user.username || `row ${index + 1}`;
    for (const error of row.errors || []) {
      lines.push([who, h('td', { class: 'mono' }, error.code || ''), error.message || '', h('td', { class: 'mono' }, error.path || '')]);
    }
  });
  return grid(['User', 'Code', 'Message', 'Path'], lines, 'job-errors');
}

function jobDetails(job) {
  const known = view.jobErrors.get(job.id);
  const errors = job.error_count || 0;
  const parts = [];
  if (job.status_details) parts.push(labelled('Status details', h('p', { class: 'error-text' }, job.status_details)));
  if (errors === 0) {
    parts.push(labelled('Errors', h('p', { class: 'muted' }, 'none')));
  } else if (!known || known.count !== errors) {
    parts.push(labelled(`Errors (${number(errors)})`, h('p', { class: 'muted' }, 'loading…')));
    loadJobErrors(job);
  } else if (known.error) {
    parts.push(labelled('Errors', h('p', { class: 'error-text' }, known.error)));
  } else {
    const shown = known.rows.length < known.total ? ` — the first ${number(known.rows.length)}` : '';
    parts.push(labelled(`Errors: ${number(known.total)} failed rows${shown} (GET /api/v2/jobs/${job.id}/errors)`, jobErrorRows(known.rows)));
  }
  parts.push(labelled('Raw JSON', json(job)));
  return parts;
}

async function loadJobErrors(job) {
  const key = job.id;
  if (view.jobErrors.get(key) && view.jobErrors.get(key).loading === job.error_count) return;
  view.jobErrors.set(key, { count: -1, loading: job.error_count });
  let entry;
  try {
    const answer = await getJSON(`/api/mocks/${encodeURIComponent(view.auth0.name)}/jobs/${encodeURIComponent(job.id)}/errors`);
    entry = { count: job.error_count, rows: answer.rows || [], total: answer.total || 0 };
  } catch (error) {
    entry = { count: job.error_count, error: String(error.message || error) };
  }
  view.jobErrors.set(key, entry);
  refill(el('jobs-rows'), `job:${key}`);
  renderTenant();
}

function jobRow(job, key) {
  const s = job.summary;
  const summary = s ? `${number(s.inserted)} inserted, ${number(s.updated)} updated, ${number(s.failed)} failed of ${number(s.total)}` : '—';
  const statusClass = job.status === 'failed' ? 'bad' : job.status === 'completed' ? 'good' : '';
  return item(key, [
    h('td', { class: 'mono' }, job.id),
    h('td', null, job.connection || job.connection_id),
    h('td', null, badge(job.status, statusClass)),
    h('td', null, when(job.created_at)),
    h('td', null, summary),
    h('td', null, job.error_count ? badge(number(job.error_count), 'bad') : '0'),
  ], () => jobDetails(job));
}

function logRow(log, key) {
  return item(key, [
    h('td', null, when(log.date)),
    h('td', { title: log.type }, LOG_TYPES[log.type] || log.type),
    h('td', null, log.description),
    h('td', null, log.connection || ''),
    h('td', null, log.user_name || ''),
    h('td', { class: 'mono' }, log.ip || ''),
  ], () => [json(log)]);
}

function emailRow(email, key) {
  let link = email.link;
  try {
    const url = new URL(email.link);
    if (url.protocol === 'http:' || url.protocol === 'https:') link = h('a', { href: url.href, target: '_blank', rel: 'noreferrer' }, email.link);
  } catch (_) {
    // not a URL: shown as text
  }
  return item(key, [
    h('td', null, when(email.sent_at)),
    h('td', null, email.to),
    h('td', null, email.kind),
    h('td', null, email.connection),
    h('td', { class: 'mono' }, link),
  ], () => [json(email)]);
}

// ---- script runs ---------------------------------------------------------------------------

const OUTCOME_CLASS = {
  profile: 'good', value: 'good', done: 'good', not_found: '', wrong_credentials: 'warn',
  error: 'bad', threw: 'bad', timed_out: 'bad', no_callback: 'bad', out_of_memory: 'bad', invalid_script: 'bad',
};

function httpTable(exchanges) {
  if (exchanges.length === 0) return h('p', { class: 'muted' }, 'no request');
  return grid(['Method', 'URL', 'Status', 'ms', 'Error'], exchanges.map((x) => [
    h('td', { class: 'mono' }, x.method),
    h('td', { class: 'mono wrap' }, x.url),
    h('td', { class: `mono status-${String(x.status || 0)[0]}` }, x.status || 'no answer'),
    h('td', { class: 'ms' }, x.elapsed === undefined ? '' : x.elapsed),
    h('td', { class: 'error-text' }, x.error || ''),
  ]), 'http');
}

function consoleTable(lines) {
  if (lines.length === 0) return h('p', { class: 'muted' }, 'nothing logged');
  return grid(['Level', 'Text'], lines.map((line) => [
    h('td', { class: `mono level-${line.level}` }, line.level),
    h('td', { class: 'mono wrap' }, line.text),
  ]), 'console');
}

function scriptRow(run, key) {
  const http = run.http || [];
  const lines = run.console || [];
  return item(key, [
    h('td', null, when(run.time)),
    h('td', null, run.connection),
    h('td', null, run.script),
    h('td', null, badge(run.outcome, OUTCOME_CLASS[run.outcome] || '')),
    h('td', null, lines.length),
    h('td', null, http.length ? http.map((x) => x.status || '×').join(' ') : '—'),
    h('td', null, Math.round(run.elapsed_ms || 0)),
  ], () => [
    h('div', { class: 'pair' },
      h('div', null, labelled('Arguments', json(run.args || []))),
      h('div', null, labelled('Result', json(run.detail === undefined ? null : run.detail)))),
    labelled(`Console (${lines.length})`, consoleTable(lines)),
    labelled(`HTTP exchanges (${http.length})`, httpTable(http)),
  ]);
}

function renderTenant() {
  el('no-auth0').hidden = Boolean(view.auth0);
  const state = view.state || {};
  const clients = Object.fromEntries((state.clients || []).map((c) => [c.client_id, c.name]));
  showList('connections', state.connections || [], undefined, (c) => `connection:${c.id}`, connectionRow(clients));
  const cut = state._truncated || {};
  showList('jobs', [...(state.jobs || [])].reverse(), cut.jobs, (j) => `job:${j.id}`, jobRow);
  showList('logs', [...(state.logs || [])].reverse(), cut.logs, (l) => `log:${l.log_id}`, logRow);
  showList('scripts', [...view.scripts.items].reverse(), view.scripts.total, (r) => `script:${r.seq}`, scriptRow);
  showList('emails', [...(state.outbox || [])].reverse(), cut.outbox, (m) => `email:${m.sent_at}|${m.to}|${m.link}`, emailRow);
  // Each row's data includes what its details show, so new job errors redraw the row.
  renderUsers();
}

// ---- journal -------------------------------------------------------------------------------

function journalRow(entry, key) {
  const target = entry.query ? `${entry.path}?${entry.query}` : entry.path;
  return item(key, [
    h('td', null, entry.mock),
    h('td', { class: 'mono' }, entry.seq),
    h('td', null, when(entry.time)),
    h('td', { class: 'mono' }, entry.method),
    h('td', { class: 'mono wrap' }, target),
    h('td', { class: `mono status-${String(entry.status)[0]}` }, entry.status || 'no answer'),
    h('td', null, Math.round(entry.duration_ms * 10) / 10),
    h('td', null, entry.fault || ''),
  ], () => [
    labelled('Headers', keyValues(Object.fromEntries(entry.headers || []))),
    labelled(entry.body_truncated ? 'Body (cut)' : 'Body', json(entry.body === undefined ? '(empty)' : entry.body)),
  ]);
}

function journalFilter() {
  return {
    mock: el('journal-mock').value,
    method: el('journal-method').value,
    path: el('journal-path').value.trim(),
    status: el('journal-status').value,
  };
}

async function readJournal() {
  const asked = ++view.journal.asked;
  const params = new URLSearchParams({ ...journalFilter(), limit: String(JOURNAL_LIMIT) });
  try {
    const result = await getJSON(`/api/journal?${params}`);
    if (asked !== view.journal.asked) return;
    view.journal.result = result;
    view.journal.error = null;
  } catch (error) {
    if (asked !== view.journal.asked) return;
    view.journal.error = error.message;
  }
  renderJournal();
}

function renderJournal() {
  const r = view.journal.result || { entries: [], matched: 0, held: 0, unreachable: [] };
  sync(el('journal-rows'), r.entries, (e) => `${e.mock}:${e.seq}`, journalRow);
  const filtered = Object.values(journalFilter()).some(Boolean);
  el('journal-empty').hidden = r.entries.length > 0;
  el('journal-empty').textContent = filtered ? 'No request matches this filter.' : 'No requests yet.';
  let summary = filtered
    ? `${number(r.matched)} of ${number(r.held)} requests match`
    : `${number(r.held)} requests`;
  if (r.matched > r.entries.length) summary += `, the newest ${number(r.entries.length)} shown`;
  if (view.journal.error) summary += ` · ${view.journal.error}`;
  else if ((r.unreachable || []).length) summary += ` · unreachable: ${r.unreachable.map((u) => u.mock).join(', ')}`;
  el('journal-summary').textContent = summary;
}

// ---- raw states ----------------------------------------------------------------------------

async function readStates() {
  view.statesAt = Date.now();
  await Promise.all(view.mocks.map(async (mock) => {
    let shown;
    try {
      shown = await getJSON(`/api/mocks/${encodeURIComponent(mock.name)}/state`);
    } catch (error) {
      shown = `(unreachable: ${error.message})`;
    }
    const id = `state-${mock.name}`;
    let box = el(id);
    if (!box) {
      box = h('div', { id });
      el('states').append(box);
    }
    const text = JSON.stringify(shown);
    if (box._text === text) return;
    box._text = text;
    const key = `state:${mock.name}`;
    const details = h('details', null, h('summary', null, mock.name), json(shown));
    details.open = view.open.has(key);
    details.addEventListener('toggle', () => (details.open ? view.open.add(key) : view.open.delete(key)));
    box.replaceChildren(details);
  }));
}

// ---- the header ----------------------------------------------------------------------------

function renderHeader() {
  el('mocks').replaceChildren(...view.mocks.map((m) => h('span',
    { class: `chip ${m.ok === undefined ? '' : m.ok ? 'ok' : 'down'}`, title: m.error || 'reachable', 'data-mock': m.name },
    h('span', { class: 'dot' }), h('strong', null, m.name), h('code', null, m.base_url))));
  const down = view.mocks.filter((m) => m.ok === false).map((m) => m.name);
  el('updated').textContent = `updated ${new Date().toLocaleTimeString()}` + (down.length ? ` · unreachable: ${down.join(', ')}` : '');
}

// ---- polling -------------------------------------------------------------------------------

async function getJSON(url) {
  const answer = await fetch(url, { cache: 'no-store' });
  const body = await answer.json().catch(() => null);
  if (!answer.ok) {
    const error = new Error((body && (body.detail || body.error)) || `HTTP ${answer.status}`);
    error.body = body;
    throw error;
  }
  return body;
}

async function pollMocks() {
  await Promise.all(view.mocks.map(async (mock) => {
    const base = `/api/mocks/${encodeURIComponent(mock.name)}`;
    try {
      if (mock === view.auth0) {
        const [state, scripts] = await Promise.all([getJSON(`${base}/state`), getJSON(`${base}/scripts?tail=${SCRIPT_RUNS}`)]);
        view.state = state;
        view.scripts = scripts;
      } else {
        await getJSON(`${base}/health`);
      }
      mock.ok = true;
      mock.error = undefined;
    } catch (error) {
      mock.ok = false;
      mock.error = String(error.message || error);
    }
  }));
}

// Brings the visible view up to date. A user search runs again only when the number of users
// changed (Auth0 advises against polling its search API), or when the person asks.
async function refresh() {
  if (view.tab === 'users' && view.auth0 && view.state && view.state.user_count !== view.users.shownCount) {
    await searchUsers();
  } else if (view.tab === 'journal') {
    await readJournal();
  } else if (view.tab === 'state' && Date.now() - view.statesAt > 5000) {
    await readStates();
  }
}

async function tick() {
  try {
    await pollMocks();
    renderHeader();
    renderTenant();
    await refresh();
  } finally {
    setTimeout(tick, POLL_MS);
  }
}

function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

function wire() {
  window.addEventListener('hashchange', () => showTab(location.hash.slice(1)));
  const u = view.users;
  const search = () => {
    u.by = el('users-by').value;
    u.text = el('users-text').value;
    u.page = 0;
    searchUsers();
  };
  el('users-search').addEventListener('submit', (event) => {
    event.preventDefault();
    search();
  });
  el('users-text').addEventListener('input', debounce(search, 350));
  el('users-by').addEventListener('change', search);
  el('users-prev').addEventListener('click', () => {
    u.page = Math.max(0, u.page - 1);
    searchUsers();
  });
  el('users-next').addEventListener('click', () => {
    u.page += 1;
    searchUsers();
  });
  el('journal-filter').addEventListener('submit', (event) => event.preventDefault());
  for (const id of ['journal-mock', 'journal-method', 'journal-status']) el(id).addEventListener('change', readJournal);
  el('journal-path').addEventListener('input', debounce(readJournal, 300));
}

async function boot() {
  try {
    const mocks = await getJSON('/api/mocks');
    view.mocks = mocks.map((m) => ({ ...m }));
  } catch (error) {
    el('updated').textContent = `cannot reach the dashboard server: ${error.message}`;
    setTimeout(boot, POLL_MS);
    return;
  }
  view.auth0 = view.mocks.find((m) => m.name === 'auth0') || null;
  el('journal-mock').append(...view.mocks.map((m) => h('option', { value: m.name }, m.name)));
  wire();
  showTab(location.hash.slice(1) || 'users');
  tick();
}

boot();
