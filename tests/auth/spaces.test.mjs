// Spaces shared across organisations (issue 5, items 2 and 3), through the real server as people
// use it: sign in with the /sign-in form (a cookie jar, the CSRF token from each page, an Origin
// header), then create, share and open spaces and their documents.
//   - who sees which space in /spaces: the creator, a guest of another organisation named on a
//     space, everyone in an organisation a space is shared with, and no one else;
//   - guessed ids get 404, whether the space exists or not;
//   - an OFFICIAL-SENSITIVE space refuses an organisation-wide share, shows its banner, and
//     every view lands in the audit_log table;
//   - documents created in a space open for the space's members without a ?token= link, and
//     their editors' live connections follow the space's shares.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { Session, sleep, waitUntil } from '../collab/clients.mjs';
import { makeTempDir, removeDir, request, runAgora, startServer } from '../integration/harness.mjs';

const kCouncil = 'Afon Valley Council';
const kHealth = 'Bro Afon NHS Trust';
const kSian = 'sian.pritchard@afonvalley.gov.uk';       // council: creates and owns the spaces
const kGareth = 'gareth.llewellyn@afonvalley.gov.uk';   // council: a colleague with no shares
const kCatrin = 'catrin.morgan@broafon.wales.nhs.uk';   // NHS: a named guest
const kElin = 'elin.davies@broafon.wales.nhs.uk';       // NHS: reached only through her trust
const kDafydd = 'dafydd.hughes@afonvalley.police.uk';   // police: nothing shared with him

const kBanner = 'OFFICIAL-SENSITIVE: share only with people who need to know';

/** A person's browser: cookies kept between requests, forms posted with their CSRF token. */
class Browser {
  constructor(server) {
    this.server = server;
    this.cookies = new Map();
  }

  async #send(method, requestPath, { form, headers = {} } = {}) {
    const allHeaders = { ...headers };
    if (this.cookies.size > 0) {
      allHeaders.Cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    let body;
    if (form) {
      body = new URLSearchParams(form).toString();
      allHeaders['Content-Type'] = 'application/x-www-form-urlencoded';
      allHeaders['Content-Length'] = Buffer.byteLength(body);
      allHeaders.Origin = this.server.origin;
    }
    const res = await request(this.server, { method, path: requestPath, headers: allHeaders, body });
    for (const line of [res.headers['set-cookie'] ?? []].flat()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  get(requestPath, headers) { return this.#send('GET', requestPath, { headers }); }

  /** Posts `fields` with the CSRF token of the page at `formPage` (fetched first). */
  async post(requestPath, fields, { formPage = requestPath } = {}) {
    const page = await this.get(formPage);
    const token = csrfTokenOf(page.text);
    assert.ok(token, `no csrf_token on ${formPage} (status ${page.status}):\n${page.text.slice(0, 800)}`);
    return this.#send('POST', requestPath, { form: { ...fields, csrf_token: token } });
  }

  /** Signs in through the /sign-in form; fails the test unless a session starts. */
  async signIn(email, password) {
    const res = await this.post('/sign-in', { email, password, return_to: '/spaces' });
    assert.equal(res.status, 303, `signing in as ${email} answered ${res.status}:\n${res.text.slice(0, 800)}`);
    const spaces = await this.get('/spaces');
    assert.equal(spaces.status, 200, `after signing in as ${email}, /spaces answered ${spaces.status}`);
    return this;
  }
}

function csrfTokenOf(html) {
  const match = /name="csrf_token" value="([^"]*)"/.exec(html);
  return match ? match[1] : null;
}

function decodeEntities(text) {
  return text.replace(/&#x27;|&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The names of the spaces listed on a /spaces page, in order. */
function listedSpaces(html) {
  const table = /<table class="govuk-table" id="spaces">([\s\S]*?)<\/table>/.exec(html);
  if (!table) return [];
  return [...table[1].matchAll(/<a class="govuk-link" href="\/spaces\/\d+">([^<]*)<\/a>/g)]
    .map((m) => decodeEntities(m[1]));
}

/** The id in the "Remove" form of the member called `name` on a members page. */
function removalIdOf(html, name) {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`name="id" value="(\\d+)">\\s*<button[^>]*>[^<]*<span class="govuk-visually-hidden"> ${escaped}</span>`).exec(html);
  assert.ok(match, `no Remove button for ${name}`);
  return match[1];
}

function idFromLocation(res, prefix) {
  assert.equal(res.status, 303, `expected 303 See Other, got ${res.status}:\n${res.text.slice(0, 800)}`);
  const match = new RegExp(`^${prefix}(\\d+)$`).exec(res.headers.location ?? '');
  assert.ok(match, `Location ${res.headers.location} is not ${prefix}ID`);
  return Number(match[1]);
}

describe('spaces shared across organisations', () => {
  let dataDir;
  let server;
  let password;
  let sian, gareth, catrin, elin, dafydd;
  let family, hospital, protection;
  let hospitalDoc;  // in `hospital`, which the NHS trust reads through an organisation share

  const sql = (query) => {
    const out = spawnSync('sqlite3', ['-readonly', path.join(dataDir, 'agora.db'), query], { encoding: 'utf8' });
    assert.equal(out.status, 0, `sqlite3 failed: ${out.stderr}`);
    return out.stdout.trim();
  };
  const viewsOf = (action, spaceId) => sql(
    `SELECT p.email FROM audit_log a JOIN people p ON p.id = a.person_id ` +
    `WHERE a.action = '${action}' AND a.space_id = ${Number(spaceId)} ORDER BY a.id`)
    .split('\n').filter(Boolean);

  before(async () => {
    dataDir = makeTempDir('agora-spaces-');
    const loaded = runAgora(['demo', 'load', '--data', dataDir]);
    assert.equal(loaded.code, 0, loaded.stderr);
    // The demo prints the one password its accounts share.
    password = /password is (\S+?)\)?:/.exec(loaded.stdout)?.[1];
    assert.ok(password, `no password in the demo's output:\n${loaded.stdout}`);
    server = await startServer({ dataDir });
    sian = await new Browser(server).signIn(kSian, password);
    gareth = await new Browser(server).signIn(kGareth, password);
    catrin = await new Browser(server).signIn(kCatrin, password);
    elin = await new Browser(server).signIn(kElin, password);
    dafydd = await new Browser(server).signIn(kDafydd, password);
  });

  after(async () => {
    if (server) await server.stop();
    if (dataDir) removeDir(dataDir);
  });

  it('someone not signed in is sent to sign in', async () => {
    const res = await request(server, { path: '/spaces' });
    assert.equal(res.status, 303);
    assert.match(res.headers.location, /^\/sign-in\?return_to=%2Fspaces$/);
  });

  it('a person in no space sees an empty state that explains', async () => {
    const res = await sian.get('/spaces');
    assert.equal(res.status, 200);
    assert.match(res.text, /id="spaces-empty"/);
    assert.deepEqual(listedSpaces(res.text), []);
    assert.match(res.text, /<form method="post" action="\/spaces"/);
  });

  it('creates spaces, each owned by its creator', async () => {
    family = idFromLocation(await sian.post('/spaces', { name: 'Family support: the Joneses', description: 'Planning help', classification: 'OFFICIAL' }, { formPage: '/spaces' }), '/spaces/');
    hospital = idFromLocation(await sian.post('/spaces', { name: 'Hospital discharge', classification: 'OFFICIAL' }, { formPage: '/spaces' }), '/spaces/');
    protection = idFromLocation(await sian.post('/spaces', { name: 'Child protection', classification: 'OFFICIAL-SENSITIVE' }, { formPage: '/spaces' }), '/spaces/');

    const list = await sian.get('/spaces');
    assert.deepEqual(listedSpaces(list.text), ['Child protection', 'Family support: the Joneses', 'Hospital discharge']);
    const page = await sian.get(`/spaces/${family}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /Family support: the Joneses/);
    assert.match(page.text, new RegExp(kCouncil));
    assert.match(page.text, /Planning help/);
  });

  it('a form with mistakes comes back with the error summary', async () => {
    const empty = await sian.post('/spaces', { name: '   ', classification: 'OFFICIAL' }, { formPage: '/spaces' });
    assert.equal(empty.status, 400);
    assert.match(empty.text, /class="govuk-error-summary"/);
    assert.match(empty.text, /href="#space-name"/);
    const taken = await sian.post('/spaces', { name: 'Hospital discharge', classification: 'OFFICIAL' }, { formPage: '/spaces' });
    assert.equal(taken.status, 409);
    assert.match(taken.text, /class="govuk-error-summary"/);
    const unclassified = await sian.post('/spaces', { name: 'Untitled', classification: 'SECRET' }, { formPage: '/spaces' });
    assert.equal(unclassified.status, 400);
    assert.match(unclassified.text, /href="#space-classification"/);
  });

  it('owners share with a named guest and with a whole organisation', async () => {
    const members = `/spaces/${family}/members`;
    const guest = await sian.post(members, { change: 'person', email: kCatrin, role: 'editor' });
    assert.equal(guest.status, 303, guest.text.slice(0, 800));
    const trust = await sian.post(`/spaces/${hospital}/members`, { change: 'organisation', organisation: kHealth, role: 'viewer' });
    assert.equal(trust.status, 303, trust.text.slice(0, 800));

    const page = await sian.get(members);
    assert.equal(page.status, 200);
    assert.match(page.text, /Catrin Morgan/);
    assert.match(page.text, /govuk-tag--yellow">Guest</);
  });

  it('each person sees only the spaces shared with them or their organisation', async () => {
    assert.deepEqual(listedSpaces((await catrin.get('/spaces')).text), ['Family support: the Joneses', 'Hospital discharge']);
    assert.deepEqual(listedSpaces((await elin.get('/spaces')).text), ['Hospital discharge']);
    assert.deepEqual(listedSpaces((await gareth.get('/spaces')).text), []);
    assert.deepEqual(listedSpaces((await dafydd.get('/spaces')).text), []);

    assert.equal((await catrin.get(`/spaces/${family}`)).status, 200);
    assert.equal((await elin.get(`/spaces/${hospital}`)).status, 200);
  });

  it('guessed ids get 404 whether or not the space exists', async () => {
    for (const [who, browser] of [['Dafydd', dafydd], ['Gareth', gareth], ['Elin', elin]]) {
      for (const id of [family, protection, 999999]) {
        const res = await browser.get(`/spaces/${id}`);
        assert.equal(res.status, 404, `${who} opening space ${id}`);
        assert.doesNotMatch(res.text, /Family support|Child protection/);
        assert.equal((await browser.get(`/spaces/${id}/members`)).status, 404, `${who}: members of ${id}`);
      }
    }
    // Posting is refused just the same (the CSRF token comes from a page the person may open).
    const post = await dafydd.post(`/spaces/${family}/documents`, { document_title: 'Mine now' }, { formPage: '/spaces' });
    assert.equal(post.status, 404);
    const share = await dafydd.post(`/spaces/${family}/members`, { change: 'person', email: kDafydd, role: 'owner' }, { formPage: '/spaces' });
    assert.equal(share.status, 404);
    assert.deepEqual(listedSpaces((await dafydd.get('/spaces')).text), []);
  });

  it('only owners may share; others see the members read-only', async () => {
    const page = await catrin.get(`/spaces/${family}/members`);
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.text, /name="change" value="person"/);
    const res = await catrin.post(`/spaces/${family}/members`, { change: 'person', email: kElin, role: 'viewer' });
    assert.equal(res.status, 403);
    assert.deepEqual(listedSpaces((await elin.get('/spaces')).text), ['Hospital discharge']);
  });

  it('the last owner cannot be removed', async () => {
    const members = await sian.get(`/spaces/${family}/members`);
    const sianId = removalIdOf(members.text, 'Siân Pritchard');
    const res = await sian.post(`/spaces/${family}/members`, { change: 'remove_person', id: sianId });
    assert.equal(res.status, 409);
    assert.match(res.text, /class="govuk-error-summary"/);
    assert.equal((await sian.get(`/spaces/${family}`)).status, 200);
  });

  it('an OFFICIAL-SENSITIVE space refuses an organisation-wide share', async () => {
    const res = await sian.post(`/spaces/${protection}/members`, { change: 'organisation', organisation: kHealth, role: 'viewer' });
    assert.equal(res.status, 400);
    assert.match(decodeEntities(res.text), /need-to-know/);
    assert.equal(sql(`SELECT COUNT(*) FROM organisation_grants WHERE resource_id = ${protection}`), '0');
    assert.equal((await elin.get(`/spaces/${protection}`)).status, 404);
    assert.deepEqual(listedSpaces((await elin.get('/spaces')).text), ['Hospital discharge']);
  });

  it('an OFFICIAL-SENSITIVE space shows its banner and records every view', async () => {
    const shared = await sian.post(`/spaces/${protection}/members`, { change: 'person', email: kCatrin, role: 'viewer' });
    assert.equal(shared.status, 303);
    const before = viewsOf('space.view', protection).length;
    const page = await catrin.get(`/spaces/${protection}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /govuk-notification-banner/);
    assert.match(decodeEntities(page.text), new RegExp(kBanner));
    await catrin.get(`/spaces/${protection}/members`);
    const views = viewsOf('space.view', protection);
    assert.deepEqual(views.slice(before), [kCatrin, kCatrin]);

    // A refused guess leaves no view; OFFICIAL spaces need not be recorded and show no banner.
    await elin.get(`/spaces/${protection}`);
    assert.equal(viewsOf('space.view', protection).length, before + 2);
    const official = await catrin.get(`/spaces/${family}`);
    assert.doesNotMatch(official.text, /govuk-notification-banner/);
    assert.deepEqual(viewsOf('space.view', family), []);
  });

  it('a document created in a space opens for its members and no one else', async () => {
    const created = await catrin.post(`/spaces/${family}/documents`, { document_title: 'Support plan' }, { formPage: `/spaces/${family}` });
    const documentId = idFromLocation(created, '/documents/');
    const listed = await sian.get(`/spaces/${family}`);
    assert.match(listed.text, new RegExp(`href="/documents/${documentId}">Support plan<`));

    for (const [who, browser] of [['Siân (owner)', sian], ['Catrin (guest editor)', catrin]]) {
      const page = await browser.get(`/documents/${documentId}`);
      assert.equal(page.status, 200, `${who}: ${page.text.slice(0, 400)}`);
      assert.match(page.text, /data-read-only="false"/, who);
      // The page's editor gets a token for the collaboration socket and the API.
      const token = /data-token="([^"]+)"/.exec(page.text)?.[1];
      assert.ok(token, `${who}: no editor token`);
      const api = await request(server, { path: `/api/documents/${documentId}/comments`, headers: { Authorization: `Bearer ${token}` } });
      assert.equal(api.status, 200, `${who}: the API refused the page's token`);
    }
    for (const [who, browser] of [['Elin', elin], ['Dafydd', dafydd], ['Gareth', gareth]]) {
      assert.equal((await browser.get(`/documents/${documentId}`)).status, 404, who);
    }

    // A viewer of the space reads; an organisation's viewer too.
    hospitalDoc = idFromLocation(await sian.post(`/spaces/${hospital}/documents`, { document_title: 'Discharge checklist' }, { formPage: `/spaces/${hospital}` }), '/documents/');
    const elinPage = await elin.get(`/documents/${hospitalDoc}`);
    assert.equal(elinPage.status, 200);
    assert.match(elinPage.text, /data-read-only="true"/);
    // Viewers may not add documents.
    const refused = await elin.post(`/spaces/${hospital}/documents`, { document_title: 'Mine' }, { formPage: `/spaces/${hospital}` });
    assert.equal(refused.status, 403);
  });

  it('a document in an OFFICIAL-SENSITIVE space shows the banner and records each view', async () => {
    const documentId = idFromLocation(await sian.post(`/spaces/${protection}/documents`, { document_title: 'Case notes' }, { formPage: `/spaces/${protection}` }), '/documents/');
    const before = viewsOf('document.view', protection).length;
    const page = await catrin.get(`/documents/${documentId}`);
    assert.equal(page.status, 200);
    assert.match(decodeEntities(page.text), new RegExp(kBanner));
    assert.match(page.text, /data-read-only="true"/);
    assert.deepEqual(viewsOf('document.view', protection).slice(before), [kCatrin]);
    assert.equal((await elin.get(`/documents/${documentId}`)).status, 404);
    assert.equal(viewsOf('document.view', protection).length, before + 1);
  });

  it('removing an organisation share closes its members\' open editors', async () => {
    const page = await elin.get(`/documents/${hospitalDoc}`);
    const token = /data-token="([^"]+)"/.exec(page.text)?.[1];
    assert.ok(token, 'no editor token on Elin\'s page');
    const session = new Session(server);
    try {
      const viewer = session.hocus({ name: 'elin', document: hospitalDoc, token });
      await viewer.waitSynced();
      assert.deepEqual(viewer.scopes, ['readonly'], 'a viewer through her trust reads only');

      // Any grant change makes open rooms look roles up again; a space member must survive that.
      const unrelated = await sian.post(`/spaces/${family}/members`, { change: 'person', email: kGareth, role: 'viewer' });
      assert.equal(unrelated.status, 303);
      await sleep(1500);
      assert.deepEqual(viewer.denied, [], 'a re-check after an unrelated change keeps the space member');
      assert.equal(viewer.lastSocket.close, null);

      const res = await sian.post(`/spaces/${hospital}/members`, { change: 'remove_organisation', id: sql(`SELECT id FROM organisations WHERE name = '${kHealth}'`) });
      assert.equal(res.status, 303);
      await waitUntil(() => viewer.denied.length > 0 || viewer.lastSocket.close !== null, {
        timeoutMs: 5000,
        what: 'the open editor to be denied once the organisation share is gone',
        diagnostics: () => viewer.describe(),
      });
      assert.ok(viewer.denied.length > 0, 'the editor is told its access was withdrawn');
      assert.equal((await elin.get(`/documents/${hospitalDoc}`)).status, 404);
      assert.deepEqual(listedSpaces((await elin.get('/spaces')).text), []);
    } finally {
      await session.close();
    }
  });

  it('removing a guest takes the space away from them', async () => {
    const members = await sian.get(`/spaces/${family}/members`);
    const catrinId = removalIdOf(members.text, 'Catrin Morgan');
    const res = await sian.post(`/spaces/${family}/members`, { change: 'remove_person', id: catrinId });
    assert.equal(res.status, 303);
    assert.equal((await catrin.get(`/spaces/${family}`)).status, 404);
    assert.deepEqual(listedSpaces((await catrin.get('/spaces')).text), ['Child protection']);
  });
});
