// Ferry's dashboard: polls the dashboard server (which relays the mocks' /__ferry/ admin
// endpoints) and shows the mock Auth0 tenant as Auth0's dashboard would, plus every mock's
// request journal. Plain DOM: every value goes in as text (textContent), never as HTML.
'use strict';

const POLL_MS = 1500;
const JOURNAL_KEEP = 300;
const SCRIPT_RUNS = 50;

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
};

const view = {
  mocks: [], // [{ name, base_url, ok, error, state, journal: [], since, scripts }]
  open: new Set(), // keys of expanded rows, kept across re-renders
  filters: { users: '', journal: '' },
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

function when(iso) {
  if (!iso) return '—';
  return String(iso).replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}

function el(id) {
  return document.getElementById(id);
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
  main.addEventListener('click', () => {
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

function showList(name, items, total, keyOf, render) {
  sync(el(`${name}-rows`), items, keyOf, render);
  el(`${name}-empty`).hidden = items.length > 0;
  let count = '';
  if (total !== undefined && total > items.length) count = `(${total}, ${items.length} shown)`;
  else if (items.length > 0) count = `(${items.length})`;
  el(`${name}-count`).textContent = count;
}

function matches(data, filter) {
  return !filter || JSON.stringify(data).toLowerCase().includes(filter);
}

// ---- the tenant ----------------------------------------------------------------------------

function userRow(user, key) {
  const identity = (user.identities || [])[0] || {};
  return item(key, [
    h('td', null, user.email || user.username || user.phone_number || user.name || ''),
    h('td', { class: 'mono' }, user.user_id),
    h('td', null, identity.connection || ''),
    h('td', null, user.logins_count || 0),
    h('td', null, when(user.last_login)),
    h('td', null, when(user.created_at)),
  ], () => [
    labelled('Identities', json(user.identities || [])),
    labelled('user_metadata', json(user.user_metadata || {})),
    labelled('app_metadata', json(user.app_metadata || {})),
    labelled('Raw JSON', json(user)),
  ]);
}

function connectionRow(clients) {
  return (connection, key) => {
    const options = connection.options || {};
    const apps = (connection.enabled_clients || []).map((id) => clients[id] || id);
    const yes = (flag) => h('span', { class: flag ? 'badge yes' : 'badge' }, flag ? 'on' : 'off');
    return item(key, [
      h('td', null, connection.name),
      h('td', { class: 'mono' }, connection.id),
      h('td', null, connection.strategy),
      h('td', null, yes(options.enabledDatabaseCustomization)),
      h('td', null, yes(options.import_mode)),
      h('td', null, apps.join(', ') || '—'),
    ], () => {
      const { customScripts, configuration, ...rest } = options;
      const scripts = Object.entries(customScripts || {});
      return [
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

function jobRow(job, key) {
  const s = job.summary;
  const summary = s ? `${s.inserted} inserted, ${s.updated} updated, ${s.failed} failed of ${s.total}` : '—';
  const statusClass = job.status === 'failed' ? 'badge bad' : job.status === 'completed' ? 'badge good' : 'badge';
  return item(key, [
    h('td', { class: 'mono' }, job.id),
    h('td', null, job.connection || job.connection_id),
    h('td', null, h('span', { class: statusClass }, job.status)),
    h('td', null, when(job.created_at)),
    h('td', null, summary),
  ], () => [
    job.status_details ? labelled('Status details', h('p', { class: 'error-text' }, job.status_details)) : null,
    labelled(`Errors (${(job.errors || []).length})`, json(job.errors || [])),
    labelled('Raw JSON', json(job)),
  ]);
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

function scriptRow(run, key) {
  return item(key, [
    h('td', null, when(run.time)),
    h('td', null, run.connection),
    h('td', null, run.script),
    h('td', null, run.outcome),
    h('td', null, (run.http || []).length),
    h('td', null, Math.round(run.elapsed_ms || 0)),
  ], () => [
    labelled('Arguments', json(run.args || [])),
    labelled('Result', json(run.detail === undefined ? null : run.detail)),
    labelled('Console', json((run.console || []).map((line) => `[${line.level}] ${line.text}`).join('\n') || '(nothing)')),
    labelled('HTTP', json(run.http || [])),
  ]);
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

function renderTenant(auth0) {
  el('no-auth0').hidden = Boolean(auth0);
  const state = (auth0 && auth0.state) || {};
  const users = (state.users || []).filter((u) => matches(u, view.filters.users));
  showList('users', users, state.user_count, (u) => `user:${u.user_id}`, userRow);
  const clients = Object.fromEntries((state.clients || []).map((c) => [c.client_id, c.name]));
  showList('connections', state.connections || [], undefined, (c) => `connection:${c.id}`, connectionRow(clients));
  showList('jobs', [...(state.jobs || [])].reverse(), undefined, (j) => `job:${j.id}`, jobRow);
  const cut = state._truncated || {};
  showList('logs', [...(state.logs || [])].reverse(), cut.logs, (l) => `log:${l.log_id}`, logRow);
  const runs = (auth0 && auth0.scripts) || { items: [], total: 0 };
  showList('scripts', [...runs.items].reverse(), runs.total, (r) => `script:${r.seq}`, scriptRow);
  const emails = [...(state.outbox || [])].reverse();
  showList('emails', emails, undefined, (m) => `email:${m.sent_at}|${m.to}|${m.link}`, emailRow);
}

// ---- journals and raw states ---------------------------------------------------------------

function journalRow(entry, key) {
  const target = entry.query ? `${entry.path}?${entry.query}` : entry.path;
  return item(key, [
    h('td', { class: 'mono' }, entry.seq),
    h('td', null, when(entry.time)),
    h('td', { class: 'mono' }, entry.method),
    h('td', { class: 'mono' }, target),
    h('td', { class: `mono status-${String(entry.status)[0]}` }, entry.status || 'no answer'),
    h('td', null, Math.round(entry.duration_ms * 10) / 10),
    h('td', null, entry.fault || ''),
  ], () => [
    labelled('Headers', keyValues(Object.fromEntries(entry.headers || []))),
    labelled(entry.body_truncated ? 'Body (cut)' : 'Body', json(entry.body === undefined ? '(empty)' : entry.body)),
  ]);
}

function journalTable(mock) {
  const id = `journal-${mock.name}`;
  let box = el(id);
  if (!box) {
    box = h('div', { id, class: 'journal' },
      h('h3', null, mock.name, ' ', h('span', { class: 'count', id: `${id}-count` })),
      h('div', { class: 'scroll' },
        h('table', { id: `${id}-rows` },
          h('thead', null, h('tr', null, ['', 'seq', 'Time', 'Method', 'Path', 'Status', 'ms', 'Fault'].map((t) => h('th', null, t)))))),
      h('p', { class: 'empty', id: `${id}-empty` }, 'No requests yet.'));
    el('journals').append(box);
  }
  return id;
}

function renderJournal(mock) {
  const id = journalTable(mock);
  const entries = mock.journal.filter((e) => matches(e, view.filters.journal)).reverse();
  sync(el(`${id}-rows`), entries, (e) => `${mock.name}:${e.seq}`, journalRow);
  el(`${id}-empty`).hidden = entries.length > 0;
  el(`${id}-count`).textContent = mock.journal.length ? `(${mock.journal.length} shown)` : '';
}

function renderState(mock) {
  const id = `state-${mock.name}`;
  let box = el(id);
  if (!box) {
    box = h('div', { id });
    el('states').append(box);
  }
  let shown = mock.state;
  if (mock.name === 'auth0' && shown) {
    shown = { settings: shown.settings, clients: shown.clients };
  }
  const text = JSON.stringify(shown);
  if (box._text === text) return;
  box._text = text;
  const key = `state:${mock.name}`;
  const details = h('details', null,
    h('summary', null, mock.name === 'auth0' ? 'auth0 (settings and applications)' : mock.name),
    json(shown === undefined ? '(not read yet)' : shown));
  details.open = view.open.has(key);
  details.addEventListener('toggle', () => (details.open ? view.open.add(key) : view.open.delete(key)));
  box.replaceChildren(details);
}

function renderHeader() {
  el('mocks').replaceChildren(...view.mocks.map((m) => h('span',
    { class: `chip ${m.ok === undefined ? '' : m.ok ? 'ok' : 'down'}`, title: m.error || 'reachable', 'data-mock': m.name },
    h('span', { class: 'dot' }), h('strong', null, m.name), h('code', null, m.base_url))));
  const down = view.mocks.filter((m) => m.ok === false).map((m) => m.name);
  el('updated').textContent = `updated ${new Date().toLocaleTimeString()}` + (down.length ? ` · unreachable: ${down.join(', ')}` : '');
}

function render() {
  renderHeader();
  renderTenant(view.mocks.find((m) => m.name === 'auth0'));
  for (const mock of view.mocks) {
    renderJournal(mock);
    renderState(mock);
  }
}

// ---- polling -------------------------------------------------------------------------------

async function getJSON(url) {
  const answer = await fetch(url, { cache: 'no-store' });
  const body = await answer.json().catch(() => null);
  if (!answer.ok) throw new Error((body && (body.detail || body.error)) || `HTTP ${answer.status}`);
  return body;
}

async function poll(mock) {
  const base = `/api/mocks/${encodeURIComponent(mock.name)}`;
  try {
    const reads = [getJSON(`${base}/state`), getJSON(`${base}/journal?since=${mock.since}&tail=${JOURNAL_KEEP}`)];
    if (mock.name === 'auth0') reads.push(getJSON(`${base}/scripts?tail=${SCRIPT_RUNS}`));
    const [state, page, scripts] = await Promise.all(reads);
    mock.state = state;
    if (page.entries.length > 0) {
      mock.since = page.entries[page.entries.length - 1].seq;
      mock.journal = mock.journal.concat(page.entries).slice(-JOURNAL_KEEP);
    }
    if (scripts) mock.scripts = scripts;
    mock.ok = true;
    mock.error = undefined;
  } catch (error) {
    mock.ok = false;
    mock.error = String(error.message || error);
  }
}

async function tick() {
  try {
    await Promise.all(view.mocks.map(poll));
    render();
  } finally {
    setTimeout(tick, POLL_MS);
  }
}

async function boot() {
  for (const name of ['users', 'journal']) {
    el(`${name}-filter`).addEventListener('input', (event) => {
      view.filters[name] = event.target.value.trim().toLowerCase();
      render();
    });
  }
  try {
    const mocks = await getJSON('/api/mocks');
    view.mocks = mocks.map((m) => ({ ...m, journal: [], since: 0 }));
  } catch (error) {
    el('updated').textContent = `cannot reach the dashboard server: ${error.message}`;
    setTimeout(boot, POLL_MS);
    return;
  }
  tick();
}

boot();
