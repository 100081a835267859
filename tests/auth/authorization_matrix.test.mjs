// The authorization matrix (issue 5): every route the server registers, as `agora routes` prints
// the router's own table, tried by every kind of principal, against the outcome the table below
// expects. A route with no row fails the test by name, so a new route cannot ship unclassified.
//
// Principals (set up by two_organisations.mjs): anonymous; citizen; viewer, commenter, editor and
// owner of a space of Afon Valley Council holding a document; staff of another organisation
// (Afon Valley Police, no role); the council's admin (no role on the space).
//
// Outcomes:
//   allow      not 401/403/404/405, not the gate's redirect to /sign-in (a 400 counts: the request
//              got past the policy to the handler, which refused the cheap body we sent);
//              for a socket: the document syncs (y-websocket) or authenticates (Hocuspocus)
//   deny       403 or 401; for an anonymous page visit the gate's 303 to /sign-in?return_to=...;
//              for a socket: a permission-denied message
//   not-found  404, as for an id that does not exist; for a socket: refused with the same words as
//              for a document that does not exist, so the answer reveals nothing
//   to-sign-in the handler's own 303 to plain /sign-in: a sign-in step with no sign-in under way
//              (not an authorization decision, so neither allow nor deny)
//   skip       no such principal can be made yet (citizens: see kCitizenNote)
// A 5xx is never an acceptable outcome.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { BrowserSession } from './browser_session.mjs';
import {
  cookieHeader, createScimToken, csrfOf, kPng, ownSessionId, sendWithSession, setUpTwoOrganisations, socketVerdict,
} from './two_organisations.mjs';
import { runAgora } from '../integration/harness.mjs';

const kCitizenNote = 'no citizen principal exists yet: Engage accounts come with the Engage issue ' +
  '(auth::Principal has only anonymous and person kinds), so the citizen column cannot be tried';

const kPrincipals = ['anonymous', 'citizen', 'viewer', 'commenter', 'editor', 'owner', 'other', 'admin'];

// Rows: [anonymous, citizen, viewer, commenter, editor, owner, other organisation's staff, admin].
const A = 'allow';
const D = 'deny';
const N = 'not-found';
const S = 'to-sign-in';
const C = 'skip';
const everyone = [A, C, A, A, A, A, A, A];
const staff = [D, C, A, A, A, A, A, A];           // any signed-in member of staff
const admins = [D, C, D, D, D, D, D, A];          // the organisation's admins only
const readers = [D, C, A, A, A, A, N, N];         // any role on the space or document
const commenters = [D, C, D, A, A, A, N, N];
const editors = [D, C, D, D, A, A, N, N];
const owners = [D, C, D, D, D, A, N, N];
const noSession = [D, C, D, D, D, D, D, D];     // API tokens only (SCIM)

/**
 * The expected outcomes by "METHOD pattern", with how to call the route where a bare request
 * would not do: form (fields; csrf_token is added), json (a body; X-CSRF-Token is added), png,
 * query, session ('throwaway': a fresh sign-in of the same person, as the route ends sessions),
 * order (later groups run after every earlier one), note (why the row is what it is).
 */
const kMatrix = {
  'GET /': { expect: everyone },
  'GET /static/{path...}': { expect: everyone },
  'GET /healthz': { expect: everyone },
  'GET /metrics': { expect: everyone, note: 'loopback clients only; the test connects over loopback' },

  'GET /sign-in': { expect: everyone, note: 'people already signed in are sent on to /spaces' },
  'POST /sign-in': { expect: everyone, form: { email: '', password: '' }, note: 'empty form: 400, and no failed attempt is counted' },
  'GET /sign-in/two-factor': { expect: [S, C, S, S, S, S, S, S], note: 'none of the principals is half-way through signing in' },
  'POST /sign-in/two-factor': { expect: [S, C, S, S, S, S, S, S], form: { code: '' } },
  'GET /account/two-factor': { expect: [S, C, A, A, A, A, A, A] },
  'POST /account/two-factor': { expect: [S, C, A, A, A, A, A, A], form: { code: '' } },
  'POST /sign-out': { expect: everyone, form: {}, session: 'throwaway', order: 1 },
  'GET /account': { expect: staff },
  'GET /account/data': { expect: staff, note: 'one\'s own data, as a download' },
  'GET /account/api-tokens': { expect: staff },
  'POST /account/api-tokens': { expect: staff, form: { name: '', days: '30' }, note: 'empty form: 400' },
  'POST /account/api-tokens/{id}/revoke': { expect: [D, C, N, N, N, N, N, A], form: {},
    note: '{id}: a token of the council admin\'s (only admins may make tokens: the one scope is scim); to anyone else it does not exist' },
  'POST /account/sessions/{id}/end': { expect: staff, form: {}, session: 'throwaway', order: 1, note: '{id}: the throwaway session itself' },
  'POST /account/sessions/end-others': { expect: staff, form: {}, session: 'throwaway', order: 2, note: 'ends the principal\'s other sessions, so it runs last' },

  'GET /sign-in/forgotten-password': { expect: everyone },
  'POST /sign-in/forgotten-password': { expect: everyone, form: { email: 'nobody@example.org' } },
  'GET /sign-in/reset-password': { expect: everyone, note: 'no token: 410, the link has expired' },
  'POST /sign-in/reset-password': { expect: everyone, form: { token: '', password: '', confirm_password: '' } },
  'GET /invitations/accept': { expect: everyone, note: 'no token: 410' },
  'POST /invitations/accept': { expect: everyone, form: { token: '', password: '', confirm_password: '' } },
  'GET /sign-in/sso': { expect: everyone, note: 'no organisation named: 400' },
  'GET /sign-in/sso/callback': { expect: everyone, note: 'no state: 400' },

  'GET /admin/people': { expect: admins },
  'POST /admin/people/invite': { expect: admins, form: { email: '', name: '' }, note: 'empty form: 400 for the admin' },
  'POST /admin/people/{id}/suspend': { expect: admins, form: {}, note: '{id}: a council person no other row needs' },
  'POST /admin/people/{id}/reactivate': { expect: admins, form: {} },
  'POST /admin/people/{id}/make-admin': { expect: admins, form: {} },
  'POST /admin/people/{id}/remove-admin': { expect: admins, form: {} },
  'POST /admin/people/{id}/end-sessions': { expect: admins, form: {} },
  'GET /admin/people/{id}/erase': { expect: admins },
  'POST /admin/people/{id}/erase': { expect: admins, form: {}, note: 'without confirm=erase: 303 back to the confirmation, nothing erased' },
  'POST /admin/two-factor': { expect: admins, form: { require_two_factor: 'no' }, note: 'leaves the rule off, as it was' },
  'GET /admin/audit': { expect: admins },
  'GET /admin/audit/export': { expect: admins },

  'GET /workspace': { expect: staff },
  'GET /spaces': { expect: staff },
  'POST /spaces': { expect: staff, form: { name: '', classification: 'OFFICIAL' }, note: 'any member of staff may create a space; empty name: 400' },
  'GET /spaces/{id}': { expect: readers },
  'POST /spaces/{id}/documents': { expect: editors, form: { document_title: '' }, note: 'empty title: 400 for editors and owners' },
  'GET /spaces/{id}/members': { expect: readers },
  'POST /spaces/{id}/members': { expect: owners, form: { change: 'person', email: '', role: 'viewer' } },

  'GET /documents/{id}': { expect: readers, note: 'anonymous without a ?token= link: 403' },
  'GET /documents/{id}/images/{blob}': { expect: readers },
  'GET /api/documents/{id}/comments': { expect: readers },
  'POST /api/documents/{id}/comments': { expect: commenters, json: { anchor_start: 'AAAA', anchor_end: 'AAAA', quote: 'plan', body: 'Noted.' } },
  'POST /api/documents/{id}/comments/{thread}/replies': { expect: commenters, json: { body: 'Agreed.' } },
  'POST /api/documents/{id}/comments/{thread}/resolve': { expect: commenters, json: {} },
  'POST /api/documents/{id}/comments/{thread}/reopen': { expect: commenters, json: {} },
  'POST /api/documents/{id}/images': { expect: editors, png: true },
  'GET /api/documents/{id}/versions': { expect: readers },
  'POST /api/documents/{id}/versions': { expect: editors, json: { label: 'Matrix' } },
  'GET /api/documents/{id}/versions/{version}': { expect: readers },
  'POST /api/documents/{id}/versions/{version}/restore': { expect: editors, json: {} },
  'GET /api/documents/{id}/export': { expect: readers },
  'GET /api/documents/{id}/compare': { expect: readers, query: (ids) => `?from=${ids.version}&to=current` },

  // SCIM answers API tokens with the scim scope of an admin only (tests/auth/scim.test.mjs); a
  // session, even an admin's, is refused. Another organisation's token: leaks.test.mjs.
  'GET /scim/v2/ServiceProviderConfig': { expect: noSession },
  'GET /scim/v2/Users': { expect: noSession },
  'POST /scim/v2/Users': { expect: noSession, json: { userName: 'matrix@afonvalley.gov.uk' } },
  'GET /scim/v2/Users/{id}': { expect: noSession },
  'PUT /scim/v2/Users/{id}': { expect: noSession, json: { userName: 'matrix@afonvalley.gov.uk' } },
  'PATCH /scim/v2/Users/{id}': { expect: noSession, json: { Operations: [{ op: 'replace', path: 'active', value: false }] } },
  'DELETE /scim/v2/Users/{id}': { expect: noSession },
  'GET /scim/v2/Groups': { expect: noSession },
  'POST /scim/v2/Groups': { expect: noSession, json: { displayName: 'Matrix' } },
  'GET /scim/v2/Groups/{id}': { expect: noSession },
  'PUT /scim/v2/Groups/{id}': { expect: noSession, json: { displayName: 'Matrix' } },
  'PATCH /scim/v2/Groups/{id}': { expect: noSession, json: { Operations: [{ op: 'replace', path: 'displayName', value: 'M' }] } },
  'DELETE /scim/v2/Groups/{id}': { expect: noSession },

  'GET /collab/ws/{document_id}': { expect: readers, note: 'y-websocket with the session cookie and the site\'s Origin' },
  'GET /collab/ws': { expect: readers, note: 'Hocuspocus: an auth message with no token, so the session cookie counts' },
};

/** The path of `pattern` with each parameter filled from the set-up's ids. */
function fill(pattern, ids, { sessionId, staticPath, adminTokenId }) {
  const byName = {
    thread: ids.thread,
    version: ids.version,
    blob: ids.blob,
    document_id: ids.document,
    'path...': staticPath,
  };
  return pattern.replace(/\{([^}]+)\}/g, (_, name) => {
    if (name === 'id') {
      if (pattern.startsWith('/spaces/')) return ids.space;
      if (pattern.startsWith('/documents/') || pattern.startsWith('/api/documents/')) return ids.document;
      if (pattern.startsWith('/admin/people/') || pattern.startsWith('/scim/v2/Users/')) return ids.people.target;
      if (pattern.startsWith('/scim/v2/Groups/')) return 1;
      if (pattern.startsWith('/account/api-tokens/')) return adminTokenId;
      if (pattern.startsWith('/account/sessions/')) return sessionId;
    }
    if (!(name in byName)) throw new Error(`no value for {${name}} in ${pattern}: teach fill() about it`);
    return byName[name];
  });
}

/** What an HTTP response says, in the table's words. */
function httpOutcome(res) {
  if (res.status >= 500) return `error ${res.status}`;
  if (res.status === 404) return N;
  if (res.status === 401 || res.status === 403) return D;
  if (res.status === 405) return 'method not allowed';
  const location = res.headers.location ?? '';
  if (res.status >= 300 && res.status < 400) {
    if (location.startsWith('/sign-in?return_to=')) return D;
    if (location === '/sign-in') return S;
  }
  return A;
}

describe('authorization matrix: every route, every principal', () => {
  let env;
  let routes;
  let staticPath;
  let adminTokenId;  // a token of the council admin's, for the revoke route
  const mainBrowsers = {};  // principal -> BrowserSession
  const csrfTokens = {};

  before(async () => {
    env = await setUpTwoOrganisations({
      beforeServe: (dataDir) => {
        const listed = runAgora(['routes', '--data', dataDir]);
        assert.equal(listed.code, 0, `agora routes failed:\n${listed.stderr}`);
        routes = listed.stdout.trim().split('\n').map((line) => JSON.parse(line));
      },
    });
    mainBrowsers.anonymous = new BrowserSession(env.server, { userAgent: 'agora-test anonymous' });
    for (const p of ['viewer', 'commenter', 'editor', 'owner', 'other', 'admin']) mainBrowsers[p] = env.browsers[p];
    for (const [p, browser] of Object.entries(mainBrowsers)) csrfTokens[p] = await csrfOf(browser);
    // A real file under /static, named by the home page that links it.
    const home = await mainBrowsers.anonymous.get('/');
    staticPath = /(?:href|src)="\/static\/([^"?]+)"/.exec(home.text)?.[1];
    assert.ok(staticPath, 'the home page links no /static file');
    adminTokenId = (await createScimToken(env.browsers.admin, 'matrix')).id;
  });

  after(async () => {
    if (env) await env.stop();
  });

  it('agora routes lists the router\'s table', () => {
    assert.ok(routes.length > 20, `only ${routes.length} routes`);
    for (const r of routes) {
      assert.deepEqual(Object.keys(r).sort(), ['action', 'method', 'pattern', 'websocket'], JSON.stringify(r));
      assert.ok(r.action, `${r.method} ${r.pattern} names no policy action`);
    }
    assert.deepEqual(routes.filter((r) => r.websocket).map((r) => r.pattern).sort(),
      ['/collab/ws', '/collab/ws/{document_id}']);
  });

  it('every route has a row in the table, and every row a route', () => {
    const keys = routes.map((r) => `${r.method} ${r.pattern}`);
    const missing = keys.filter((k) => !(k in kMatrix));
    assert.deepEqual(missing, [], `routes with no row in kMatrix: ${missing.join(', ')}`);
    const stale = Object.keys(kMatrix).filter((k) => !keys.includes(k));
    assert.deepEqual(stale, [], `rows for routes the server no longer has: ${stale.join(', ')}`);
    for (const [key, row] of Object.entries(kMatrix)) assert.equal(row.expect.length, kPrincipals.length, key);
    // A key written twice in the literal silently keeps the last row; read the source to catch it.
    const source = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8');
    const written = [...source.matchAll(/^ {2}'((?:GET|POST|PUT|PATCH|DELETE) \/[^']*)':/gm)].map((match) => match[1]);
    assert.deepEqual(written.filter((key, i) => written.indexOf(key) !== i), [], 'rows written twice in kMatrix');
  });

  it('the citizen column', (t) => {
    t.skip(kCitizenNote);
  });

  it('each principal gets the outcome the table expects on each route', async () => {
    const table = routes.filter((r) => `${r.method} ${r.pattern}` in kMatrix)
      .map((r) => ({ route: r, row: kMatrix[`${r.method} ${r.pattern}`] }))
      .sort((a, b) => (a.row.order ?? 0) - (b.row.order ?? 0));
    const wrong = [];
    let tried = 0;
    for (const { route, row } of table) {
      for (const [column, principal] of kPrincipals.entries()) {
        const expected = row.expect[column];
        if (expected === C) continue;
        const got = await probe(route, row, principal, expected);
        tried += 1;
        if (got !== expected) wrong.push(`${route.method} ${route.pattern} as ${principal}: expected ${expected}, got ${got}`);
      }
    }
    assert.ok(tried > 300, `only ${tried} probes ran`);
    assert.deepEqual(wrong, [], `\n${wrong.join('\n')}`);
  });

  /** Tries one route as one principal; returns the outcome in the table's words. */
  async function probe(route, row, principal, expected) {
    let browser = mainBrowsers[principal];
    let csrf = csrfTokens[principal];
    let sessionId;
    if (row.session === 'throwaway') {
      browser = principal === 'anonymous'
        ? new BrowserSession(env.server, { userAgent: 'agora-test anonymous throwaway' })
        : await env.signIn(principal, `agora-test ${principal} throwaway ${route.pattern}`);
      csrf = await csrfOf(browser);
      sessionId = principal === 'anonymous' ? await ownSessionId(env.browsers.viewer) : await ownSessionId(browser);
    }
    const target = fill(route.pattern, env.ids, { sessionId, staticPath, adminTokenId }) + (row.query ? row.query(env.ids) : '');

    if (route.websocket) {
      const hocuspocus = !route.pattern.includes('{');
      const verdict = (documentPath, documentName) => socketVerdict(env.server, documentPath, {
        cookie: browser.cookies.size > 0 ? cookieHeader(browser) : undefined,
        origin: env.server.origin,
        documentName,
      });
      const got = hocuspocus ? await verdict(target, String(env.ids.document)) : await verdict(target);
      if (got.granted) return A;
      if (expected !== N) return D;
      // Refused: as for a document that does not exist, or differently (which tells it exists)?
      const missing = hocuspocus ? await verdict(target, '999999') : await verdict(route.pattern.replace('{document_id}', '999999'));
      return got.reason === missing.reason ? N : `deny saying "${got.reason}" where a missing document gets "${missing.reason}"`;
    }

    let res;
    if (row.form) {
      res = await browser.send(route.method, target, { form: { ...row.form, csrf_token: csrf } });
    } else if (row.json) {
      res = await sendWithSession(browser, route.method, target, { json: row.json, csrf });
    } else if (row.png) {
      res = await sendWithSession(browser, route.method, target, { bytes: kPng, contentType: 'image/png', csrf });
    } else if (route.method === 'GET') {
      res = await browser.get(target);
    } else {
      res = await sendWithSession(browser, route.method, target, { csrf });
    }
    const outcome = httpOutcome(res);
    return outcome === expected ? outcome : `${outcome} (${res.status}${res.headers.location ? ` to ${res.headers.location}` : ''})`;
  }
});
