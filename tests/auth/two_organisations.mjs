// The set-up the authorization matrix and the leak probes share (issue 5): the demo loaded, a space
// owned by Afon Valley Council with one document in it, and council staff holding each role on
// the space, all through the real server as people use it (sign-in form, CSRF tokens, Origin).
//
//   owner      Gareth Llewellyn   created the space
//   viewer     Rhiannon Price     shared as viewer
//   commenter  Owain Jenkins      shared as commenter
//   editor     Nia Roberts        added by `agora person create` (the demo has four council staff)
//   admin      Siân Pritchard     the council's admin, with no role on the space
//   other      Ffion Thomas       Afon Valley Police staff, no role anywhere in the council
//   otherAdmin Dafydd Hughes      Afon Valley Police's admin
//   target     Iwan Morris        council staff that the admin-page routes act on
//
// The document holds a comment thread, a named version and an uploaded image, so every path
// parameter of the document routes can name something real. Every name and text the council
// writes contains "Rhoslan", a word no page of Agora's own uses, so a leak can be searched for.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

import WebSocket from 'ws';

import { BrowserSession, csrfTokenOf, demoPasswordFrom } from './browser_session.mjs';
import { decodeHocus, decodeYws, hocus } from '../collab/clients.mjs';
import { makeTempDir, removeDir, request, runAgora, startServer } from '../integration/harness.mjs';

export const kCouncil = 'Afon Valley Council';
export const kPolice = 'Afon Valley Police';

/** Who plays each part, by email. */
export const kPeople = {
  owner: 'gareth.llewellyn@afonvalley.gov.uk',
  viewer: 'rhiannon.price@afonvalley.gov.uk',
  commenter: 'owain.jenkins@afonvalley.gov.uk',
  editor: 'nia.roberts@afonvalley.gov.uk',
  admin: 'sian.pritchard@afonvalley.gov.uk',
  other: 'ffion.thomas@afonvalley.police.uk',
  otherAdmin: 'dafydd.hughes@afonvalley.police.uk',
  target: 'iwan.morris@afonvalley.gov.uk',
};

/** The smallest PNG (1x1, one grey pixel): enough for the image upload's type check. */
export const kPng = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

/** The Cookie header a BrowserSession would send. */
export function cookieHeader(browser) {
  return [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
}

/**
 * Sends a request with `browser`'s cookies, its CSRF token in X-CSRF-Token (for unsafe methods)
 * and the site's Origin. json: a value to send as JSON; bytes + contentType: a raw body.
 */
export async function sendWithSession(browser, method, requestPath, { json, bytes, contentType, csrf, headers = {} } = {}) {
  const all = { 'User-Agent': browser.userAgent, ...headers };
  if (browser.cookies.size > 0) all.Cookie = cookieHeader(browser);
  let body;
  if (json !== undefined) {
    body = JSON.stringify(json);
    all['Content-Type'] = 'application/json';
  } else if (bytes !== undefined) {
    body = bytes;
    all['Content-Type'] = contentType;
  }
  if (body !== undefined) all['Content-Length'] = Buffer.byteLength(body);
  if (method !== 'GET' && method !== 'HEAD') {
    all.Origin = browser.server.origin;
    if (csrf) all['X-CSRF-Token'] = csrf;
  }
  return request(browser.server, { method, path: requestPath, headers: all, body });
}

/** The CSRF token of `browser`'s forms: from /account once signed in, /sign-in before. */
export async function csrfOf(browser) {
  for (const page of ['/account', '/sign-in']) {
    const res = await browser.get(page);
    const token = res.status === 200 ? csrfTokenOf(res.text) : null;
    if (token) return token;
  }
  throw new Error('no page offered a csrf_token');
}

/** The id of `browser`'s own session, from the list on /account (found by its User-Agent). */
export async function ownSessionId(browser) {
  const page = await browser.get('/account');
  assert.equal(page.status, 200, `/account answered ${page.status}`);
  for (const row of page.text.split('<tr class="govuk-table__row">').slice(1)) {
    if (!row.includes(browser.userAgent)) continue;
    const id = /action="\/account\/sessions\/(\d+)\/end"/.exec(row)?.[1];
    if (id) return Number(id);
  }
  throw new Error(`no session row for ${browser.userAgent} on /account`);
}

/**
 * Creates an API token with the scim scope on /account/api-tokens as `browser`'s person (an
 * organisation admin); returns { secret, id }.
 */
export async function createScimToken(browser, name) {
  const created = await browser.submit('/account/api-tokens', { name, days: '7', scope_scim: 'scim' });
  assert.equal(created.status, 200, `creating an API token: ${created.status}\n${created.text.slice(0, 600)}`);
  const secret = /id="api-token-secret"[^>]*>(agora_pat_[^<]+)</.exec(created.text)?.[1];
  assert.ok(secret, 'no secret on the page that follows creating a token');
  const list = await browser.get('/account/api-tokens');
  const ids = [...list.text.matchAll(/action="\/account\/api-tokens\/(\d+)\/revoke"/g)].map((m) => Number(m[1]));
  assert.ok(ids.length > 0, 'the new token is not listed');
  return { secret, id: Math.max(...ids) };
}

function idFromLocation(res, prefix) {
  assert.equal(res.status, 303, `expected 303, got ${res.status}:\n${res.text.slice(0, 600)}`);
  const match = new RegExp(`^${prefix}(\\d+)$`).exec(res.headers.location ?? '');
  assert.ok(match, `Location ${res.headers.location} is not ${prefix}ID`);
  return Number(match[1]);
}

/**
 * Loads the demo into a new data folder, adds the people the demo lacks, starts `agora serve`
 * and builds the space and document. Returns { server, dataDir, password, ids, browsers,
 * signIn(part, userAgent), sql(query), stop() }; browsers[part] is signed in as kPeople[part].
 * `beforeServe(dataDir)` runs once the folder is ready and before the server starts.
 */
export async function setUpTwoOrganisations({ beforeServe } = {}) {
  const dataDir = makeTempDir('agora-two-orgs-');
  const sql = (query) => {
    const out = spawnSync('sqlite3', [path.join(dataDir, 'agora.db'), query], { encoding: 'utf8' });
    assert.equal(out.status, 0, `sqlite3 failed: ${out.stderr}`);
    return out.stdout.trim();
  };
  let server;
  try {
    const loaded = runAgora(['demo', 'load', '--data', dataDir]);
    assert.equal(loaded.code, 0, loaded.stderr);
    const password = demoPasswordFrom(loaded.stdout);
    assert.ok(password, `no password in the demo's output:\n${loaded.stdout}`);
    for (const [email, name] of [[kPeople.editor, 'Nia Roberts'], [kPeople.target, 'Iwan Morris']]) {
      const made = runAgora(['person', 'create', '--organisation', kCouncil, '--email', email, '--name', name,
        '--data', dataDir]);
      assert.equal(made.code, 0, made.stderr);
    }
    // New people choose a password through an emailed link; the test gives them the demo's
    // (its hash, copied) rather than run a mail server for it.
    sql(`UPDATE people SET password_hash = (SELECT password_hash FROM people WHERE email = '${kPeople.admin}') ` +
      `WHERE email IN ('${kPeople.editor}', '${kPeople.target}')`);
    if (beforeServe) await beforeServe(dataDir);
    server = await startServer({ dataDir });

    const signIn = async (part, userAgent = `agora-test ${part}`) => {
      const browser = new BrowserSession(server, { userAgent });
      await browser.signIn(kPeople[part], password);
      return browser;
    };
    const browsers = {};
    for (const part of Object.keys(kPeople)) browsers[part] = await signIn(part);

    const ids = {};
    const owner = browsers.owner;
    ids.space = idFromLocation(await owner.submit('/spaces',
      { name: 'Rhoslan family support', description: 'Planning help for the Rhoslan family', classification: 'OFFICIAL' },
      { formPage: '/spaces' }), '/spaces/');
    for (const role of ['viewer', 'commenter', 'editor']) {
      const shared = await owner.submit(`/spaces/${ids.space}/members`,
        { change: 'person', email: kPeople[role], role });
      assert.equal(shared.status, 303, `sharing with the ${role}: ${shared.status}\n${shared.text.slice(0, 600)}`);
    }
    ids.document = idFromLocation(await owner.submit(`/spaces/${ids.space}/documents`,
      { document_title: 'Rhoslan visits rota' }, { formPage: `/spaces/${ids.space}` }), '/documents/');

    const csrf = await csrfOf(owner);
    const api = `/api/documents/${ids.document}`;
    const thread = await sendWithSession(owner, 'POST', `${api}/comments`, {
      csrf, json: { anchor_start: 'AAAA', anchor_end: 'AAAA', quote: 'plan', body: 'Who visits Rhoslan on Tuesday?' },
    });
    assert.equal(thread.status, 201, thread.text);
    ids.thread = JSON.parse(thread.text).thread.id;
    const version = await sendWithSession(owner, 'POST', `${api}/versions`, { csrf, json: { label: 'Rhoslan draft one' } });
    assert.equal(version.status, 201, version.text);
    ids.version = JSON.parse(version.text).version.id;
    const image = await sendWithSession(owner, 'POST', `${api}/images`, { csrf, bytes: kPng, contentType: 'image/png' });
    assert.equal(image.status, 201, image.text);
    ids.blob = /\/images\/([^/?]+)$/.exec(JSON.parse(image.text).url)[1];

    const personId = (email) => Number(sql(`SELECT id FROM people WHERE email = '${email}'`));
    ids.people = Object.fromEntries(Object.entries(kPeople).map(([part, email]) => [part, personId(email)]));
    ids.councilId = Number(sql(`SELECT id FROM organisations WHERE name = '${kCouncil}'`));
    ids.policeId = Number(sql(`SELECT id FROM organisations WHERE name = '${kPolice}'`));

    const stop = async () => {
      await server.stop();
      removeDir(dataDir);
    };
    return { server, dataDir, password, ids, browsers, signIn, sql, stop };
  } catch (error) {
    if (server) await server.stop();
    removeDir(dataDir);
    throw error;
  }
}

/**
 * Opens a collaboration socket with `cookie` and `origin` and waits for the server's verdict on the
 * document: { granted: true } or { granted: false, reason }. Hocuspocus (documentName set) needs an
 * auth message first; y-websocket names the document in the path.
 */
export function socketVerdict(server, socketPath, { cookie, origin, documentName, timeoutMs = 5000 }) {
  return new Promise((resolve) => {
    const headers = cookie ? { Cookie: cookie } : {};
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${socketPath}`, { origin, headers });
    let done = false;
    const finish = (verdict) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ws.terminate();
      resolve(verdict);
    };
    const timer = setTimeout(() => finish({ granted: false, reason: `no verdict within ${timeoutMs} ms` }), timeoutMs);
    ws.on('open', () => { if (documentName !== undefined) ws.send(hocus.auth(documentName, '')); });
    ws.on('message', (data) => {
      const bytes = new Uint8Array(data);
      if (documentName !== undefined) {
        const frame = decodeHocus(bytes);
        if (frame.type === 'authenticated') finish({ granted: true });
        else if (frame.type === 'permission-denied') finish({ granted: false, reason: frame.reason });
        return;
      }
      const frame = decodeYws(bytes);
      if (frame.type === 'sync') finish({ granted: true });
      else if (frame.type === 'auth' && frame.denied) finish({ granted: false, reason: frame.reason });
    });
    ws.on('unexpected-response', (_req, res) => finish({ granted: false, reason: `HTTP ${res.statusCode}` }));
    ws.on('close', (code, reason) => finish({ granted: false, reason: `closed ${code} ${reason}` }));
    ws.on('error', (error) => finish({ granted: false, reason: `error ${error.message}` }));
  });
}
