// Cross-organisation leak probes (issue 5): what staff of another organisation (Afon Valley Police)
// and the council's own admin (no role on the space) can learn about Afon Valley Council's space
// and document (set up by two_organisations.mjs) by guessing ids, through every door: pages,
// exports, images, versions, comments, live sockets, the admin pages, sessions and SCIM.
//
// "Learns nothing" is asserted as: the answer for the real id has the same status and the same
// body (ids, request ids and tokens masked; JSON compared by its keys) as the answer for an id that
// does not exist. Timing and sizes are not compared (CONVENTIONS.md: no timings in pass/fail tests).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  cookieHeader, createScimToken, csrfOf, kPeople, kPng, ownSessionId, sendWithSession, setUpTwoOrganisations,
  socketVerdict,
} from './two_organisations.mjs';
import { request, runAgora } from '../integration/harness.mjs';

const kMissing = 999999;  // an id no space, document, person or session has in these tests
// Every name and text of the council's space contains "Rhoslan" (two_organisations.mjs).
const kCouncilWords = [/Rhoslan/, /afonvalley\.gov\.uk/];

/** The structure of a JSON value: keys and value types, not values. */
function structure(value) {
  if (Array.isArray(value)) return value.map(structure);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, structure(value[k])]));
  }
  return typeof value;
}

/** What may legitimately differ between two answers: ids, request ids, tokens. */
function shapeOf(res) {
  const type = res.headers['content-type'] ?? '';
  let body;
  if (type.startsWith('application/json')) {
    body = JSON.stringify(structure(JSON.parse(res.text)));
  } else {
    body = res.text.replace(/<code>[^<]*<\/code>/g, '<code>REQUEST-ID</code>')
      .replace(/[A-Za-z0-9_-]{20,}/g, 'TOKEN').replace(/\d+/g, 'N');
  }
  return { status: res.status, type, body };
}

function assertNoCouncilWords(res, what) {
  for (const word of kCouncilWords) assert.doesNotMatch(res.text, word, `${what} gave away ${word}`);
}

describe('leaks across organisations', () => {
  let env;
  let ids;
  let routes;
  let police;       // Ffion: staff of another organisation
  let policeAdmin;  // Dafydd: that organisation's admin
  let prober;       // [name, browser] for each outsider

  before(async () => {
    env = await setUpTwoOrganisations({
      beforeServe: (dataDir) => {
        const listed = runAgora(['routes', '--data', dataDir]);
        assert.equal(listed.code, 0, listed.stderr);
        routes = listed.stdout.trim().split('\n').map((line) => JSON.parse(line));
      },
    });
    ids = env.ids;
    police = env.browsers.other;
    policeAdmin = env.browsers.otherAdmin;
    prober = [['police staff', police], ['police admin', policeAdmin], ['council admin without a role', env.browsers.admin]];
  });

  after(async () => {
    if (env) await env.stop();
  });

  /** Sends the same request for the real id and for kMissing; both must look alike and be 404. */
  async function assertLooksMissing(browser, who, method, realPath, missingPath, options = {}) {
    const send = async (p) => {
      if (options.form) return browser.send(method, p, { form: { ...options.form, csrf_token: await csrfOf(browser) } });
      return sendWithSession(browser, method, p, { ...options, csrf: method === 'GET' ? undefined : await csrfOf(browser) });
    };
    const real = await send(realPath);
    const missing = await send(missingPath);
    assert.equal(real.status, 404, `${who}: ${method} ${realPath} answered ${real.status}:\n${real.text.slice(0, 400)}`);
    assert.deepEqual(shapeOf(real), shapeOf(missing), `${who}: ${method} ${realPath} differs from ${missingPath}`);
    assertNoCouncilWords(real, `${who}: ${method} ${realPath}`);
  }

  it('guessed space ids answer 404, exactly as a space that does not exist', async () => {
    for (const [who, browser] of prober) {
      for (const suffix of ['', '/members']) {
        await assertLooksMissing(browser, who, 'GET', `/spaces/${ids.space}${suffix}`, `/spaces/${kMissing}${suffix}`);
      }
      await assertLooksMissing(browser, who, 'POST', `/spaces/${ids.space}/documents`, `/spaces/${kMissing}/documents`,
        { form: { document_title: 'Mine now' } });
      await assertLooksMissing(browser, who, 'POST', `/spaces/${ids.space}/members`, `/spaces/${kMissing}/members`,
        { form: { change: 'person', email: kPeople.other, role: 'owner' } });
      const list = await browser.get('/spaces');
      assert.equal(list.status, 200);
      assertNoCouncilWords(list, `${who}: /spaces`);
    }
    // Nothing was shared or created by those attempts.
    assert.equal(env.sql(`SELECT COUNT(*) FROM documents WHERE space_id = ${ids.space}`), '1');
  });

  it('guessed document ids: the page, export, images, versions and comments answer 404 as for a missing document', async () => {
    const doc = (id) => ({
      page: `/documents/${id}`,
      image: `/documents/${id}/images/${ids.blob}`,
      export: `/api/documents/${id}/export`,
      exportHtml: `/api/documents/${id}/export?format=html`,
      comments: `/api/documents/${id}/comments`,
      versions: `/api/documents/${id}/versions`,
      version: `/api/documents/${id}/versions/${ids.version}`,
      current: `/api/documents/${id}/versions/current`,
      compare: `/api/documents/${id}/compare?from=${ids.version}&to=current`,
    });
    const posts = (id) => ({
      comment: [`/api/documents/${id}/comments`, { json: { anchor_start: 'AAAA', anchor_end: 'AAAA', quote: 'x', body: 'Mine' } }],
      reply: [`/api/documents/${id}/comments/${ids.thread}/replies`, { json: { body: 'Mine' } }],
      resolve: [`/api/documents/${id}/comments/${ids.thread}/resolve`, { json: {} }],
      version: [`/api/documents/${id}/versions`, { json: { label: 'Mine' } }],
      restore: [`/api/documents/${id}/versions/${ids.version}/restore`, { json: {} }],
      image: [`/api/documents/${id}/images`, { bytes: kPng, contentType: 'image/png' }],
    });
    for (const [who, browser] of prober) {
      for (const [name, realPath] of Object.entries(doc(ids.document))) {
        await assertLooksMissing(browser, `${who} (${name})`, 'GET', realPath, doc(kMissing)[name]);
      }
      for (const [name, [realPath, options]] of Object.entries(posts(ids.document))) {
        await assertLooksMissing(browser, `${who} (${name})`, 'POST', realPath, posts(kMissing)[name][0], options);
      }
    }
    assert.equal(env.sql(`SELECT COUNT(*) FROM comment_threads WHERE document_id = ${ids.document}`), '1');
  });

  it('the council\'s image, version and comment ids do not open through one\'s own document', async () => {
    // Dafydd makes a space and document of his own; the ids of the council's things, put in
    // his document's paths, must find nothing.
    const made = await policeAdmin.submit('/spaces', { name: 'Custody records', classification: 'OFFICIAL' }, { formPage: '/spaces' });
    assert.equal(made.status, 303, made.text.slice(0, 400));
    const space = /^\/spaces\/(\d+)$/.exec(made.headers.location)[1];
    const created = await policeAdmin.submit(`/spaces/${space}/documents`, { document_title: 'Interview log' }, { formPage: `/spaces/${space}` });
    assert.equal(created.status, 303, created.text.slice(0, 400));
    const own = Number(/^\/documents\/(\d+)$/.exec(created.headers.location)[1]);
    const csrf = await csrfOf(policeAdmin);
    const cases = [
      ['GET', `/documents/${own}/images/${ids.blob}`],
      ['GET', `/api/documents/${own}/versions/${ids.version}`],
      ['GET', `/api/documents/${own}/compare?from=${ids.version}&to=current`],
      ['POST', `/api/documents/${own}/versions/${ids.version}/restore`, {}],
      ['POST', `/api/documents/${own}/comments/${ids.thread}/replies`, { body: 'Mine' }],
      ['POST', `/api/documents/${own}/comments/${ids.thread}/resolve`, {}],
    ];
    for (const [method, target, json] of cases) {
      const res = await sendWithSession(policeAdmin, method, target, { json, csrf });
      assert.equal(res.status, 404, `${method} ${target} answered ${res.status}:\n${res.text.slice(0, 400)}`);
      assertNoCouncilWords(res, `${method} ${target}`);
    }
    assert.equal(env.sql(`SELECT resolved_at IS NULL FROM comment_threads WHERE id = ${ids.thread}`), '1');
  });

  it('a token for one\'s own document does not tell whether another document exists', async () => {
    const made = await police.submit('/spaces', { name: 'Patrol notes', classification: 'OFFICIAL' }, { formPage: '/spaces' });
    const space = /^\/spaces\/(\d+)$/.exec(made.headers.location)[1];
    const created = await police.submit(`/spaces/${space}/documents`, { document_title: 'Shift handover' }, { formPage: `/spaces/${space}` });
    const own = Number(/^\/documents\/(\d+)$/.exec(created.headers.location)[1]);
    const page = await police.get(`/documents/${own}`);
    const token = /data-token="([^"]+)"/.exec(page.text)?.[1];
    assert.ok(token, 'no editor token on Ffion\'s own document');
    for (const suffix of ['/export', '/comments', '/versions']) {
      const ask = (id) => request(env.server, { path: `/api/documents/${id}${suffix}`, headers: { Authorization: `Bearer ${token}` } });
      const real = await ask(ids.document);
      const missing = await ask(kMissing);
      assert.notEqual(real.status, 200, `the token for document ${own} opened document ${ids.document}${suffix}`);
      assert.deepEqual({ status: real.status, shape: shapeOf(real) }, { status: missing.status, shape: shapeOf(missing) },
        `with a token for document ${own}: ${suffix} of existing document ${ids.document} answers ${real.status} ` +
        `"${real.text.slice(0, 200)}" but of missing document ${kMissing} answers ${missing.status} "${missing.text.slice(0, 200)}"`);
    }
  });

  it('the collaboration sockets refuse another organisation\'s session, as for a missing document', async () => {
    const origin = env.server.origin;
    const yws = (browser, id) => socketVerdict(env.server, `/collab/ws/${id}`, { cookie: cookieHeader(browser), origin });
    const hocus = (browser, id) => socketVerdict(env.server, '/collab/ws', { cookie: cookieHeader(browser), origin, documentName: String(id) });
    // The probe can see a yes: the owner's own browser gets in.
    assert.deepEqual(await yws(env.browsers.owner, ids.document), { granted: true });
    assert.deepEqual(await hocus(env.browsers.owner, ids.document), { granted: true });
    const wrong = [];
    for (const [who, browser] of prober) {
      for (const [protocol, open] of [['y-websocket', yws], ['Hocuspocus', hocus]]) {
        const real = await open(browser, ids.document);
        const missing = await open(browser, kMissing);
        assert.equal(real.granted, false, `${who} opened the council's document over ${protocol}`);
        if (real.reason !== missing.reason) {
          wrong.push(`${who} over ${protocol}: the council's document is refused with "${real.reason}", ` +
            `a missing one with "${missing.reason}"`);
        }
      }
    }
    assert.deepEqual(wrong, [], `the refusal tells that the document exists:\n${wrong.join('\n')}`);
  });

  it('a session cookie sent with another site\'s Origin is ignored by the sockets', async () => {
    const foreign = 'https://attacker.example';
    const owner = env.browsers.owner;
    for (const [protocol, path, documentName] of [['y-websocket', `/collab/ws/${ids.document}`, undefined], ['Hocuspocus', '/collab/ws', String(ids.document)]]) {
      const withCookie = await socketVerdict(env.server, path, { cookie: cookieHeader(owner), origin: foreign, documentName });
      const noCookie = await socketVerdict(env.server, path, { origin: foreign, documentName });
      assert.equal(withCookie.granted, false, `${protocol}: another site's page opened the document with the owner's cookie`);
      // The same refusal as with no cookie at all: the cookie played no part.
      assert.equal(withCookie.reason, noCookie.reason, protocol);
    }
  });

  it('/admin/people of another organisation: not listed, and its people cannot be acted on', async () => {
    for (const query of ['', `?organisation=${ids.councilId}`, `?organisation_id=${ids.councilId}`]) {
      const page = await policeAdmin.get(`/admin/people${query}`);
      assert.equal(page.status, 200);
      assert.match(page.text, /afonvalley\.police\.uk/, 'the police admin sees their own people');
      assertNoCouncilWords(page, `the police admin's /admin/people${query}`);
    }
    for (const change of ['suspend', 'make-admin', 'end-sessions', 'remove-admin', 'reactivate']) {
      await assertLooksMissing(policeAdmin, `police admin ${change}`, 'POST',
        `/admin/people/${ids.people.viewer}/${change}`, `/admin/people/${kMissing}/${change}`, { form: {} });
    }
    assert.equal(env.sql(`SELECT status || ' ' || is_admin FROM people WHERE id = ${ids.people.viewer}`), 'active 0');
    // The council viewer's session survived the attempt to end it.
    assert.equal((await env.browsers.viewer.get('/account')).status, 200);
  });

  it('/admin/audit of another organisation shows none of its records', async () => {
    const filters = [['person', kPeople.owner], ['space', String(ids.space)], ['document', String(ids.document)],
      ['organisation', String(ids.councilId)]];
    const recordsOf = (res) => {
      assert.equal(res.status, 200, res.text.slice(0, 400));
      return JSON.parse(res.text).records;
    };
    for (const [name, value] of filters) {
      const query = `?${name}=${encodeURIComponent(value)}`;
      // The council's admin finds records with the filter, so the police admin's empty answer means something.
      const own = recordsOf(await env.browsers.admin.get(`/admin/audit/export${query}&format=json`));
      assert.ok(own.length > 0, `the council's admin found no records for ${query}`);
      const foreign = recordsOf(await policeAdmin.get(`/admin/audit/export${query}&format=json`));
      for (const record of foreign) {
        assert.notEqual(record.organisation_id, ids.councilId, `police export ${query}: ${JSON.stringify(record)}`);
        // The police admin's own earlier exports record the filters typed, which tells nothing.
        const checked = record.action === 'audit.export' ? { ...record, detail: '' } : record;
        assert.doesNotMatch(JSON.stringify(checked), /afonvalley\.gov\.uk|Rhoslan/, `police export ${query}`);
      }
      if (name !== 'organisation') assert.deepEqual(foreign, [], `police export ${query}`);
      // The page repeats the filter in its form and download links, and lists the police admin's own
      // exports with the filters typed; anything else of the council's is a leak.
      const page = await policeAdmin.get(`/admin/audit${query}`);
      assert.equal(page.status, 200);
      let text = page.text;
      for (const [, typed] of filters) text = text.replaceAll(typed, '').replaceAll(encodeURIComponent(typed), '');
      for (const word of kCouncilWords) assert.doesNotMatch(text, word, `police /admin/audit${query} gave away ${word}`);
    }
  });

  it('another person\'s session cannot be ended, and looks like no session', async () => {
    const gareth = await env.signIn('owner', 'agora-test owner (leak probe)');
    const id = await ownSessionId(gareth);
    const real = await police.send('POST', `/account/sessions/${id}/end`, { form: { csrf_token: await csrfOf(police) } });
    const missing = await police.send('POST', `/account/sessions/${kMissing}/end`, { form: { csrf_token: await csrfOf(police) } });
    assert.equal(real.status, 404);
    assert.deepEqual(shapeOf(real), shapeOf(missing));
    assert.equal((await gareth.get('/account')).status, 200, 'Gareth\'s session was ended by someone else');
  });

  it('SCIM: another organisation\'s token finds none of the council\'s people or groups', async (t) => {
    const scim = routes.filter((r) => r.pattern.startsWith('/scim'));
    if (scim.length === 0) {
      t.skip('the server registers no /scim route yet');
      return;
    }
    const council = await createScimToken(env.browsers.admin, 'council provisioning');
    const foreign = await createScimToken(policeAdmin, 'police provisioning');
    const call = (token, method, target, body) => request(env.server, {
      method,
      path: target,
      headers: {
        Authorization: `Bearer ${token.secret}`,
        Accept: 'application/scim+json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/scim+json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const viewer = ids.people.viewer;
    // The council's own token sees its viewer and makes a group: the probes below could see them.
    assert.equal((await call(council, 'GET', `/scim/v2/Users/${viewer}`)).status, 200);
    const group = await call(council, 'POST', '/scim/v2/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Rhoslan key workers',
      members: [{ value: String(viewer) }],
    });
    assert.equal(group.status, 201, group.text);
    const groupId = JSON.parse(group.text).id;

    const alike = async (method, realPath, missingPath, body) => {
      const real = await call(foreign, method, realPath, body);
      const missing = await call(foreign, method, missingPath, body);
      assert.equal(real.status, 404, `police token: ${method} ${realPath} answered ${real.status}: ${real.text.slice(0, 300)}`);
      assert.deepEqual(shapeOf(real), shapeOf(missing), `police token: ${method} ${realPath} differs from ${missingPath}`);
      assertNoCouncilWords(real, `police token: ${method} ${realPath}`);
    };
    const user = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: kPeople.viewer, active: false };
    const deactivate = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] };
    const rename = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Mine now', members: [] };
    for (const [method, body] of [['GET'], ['PUT', user], ['PATCH', deactivate], ['DELETE']]) {
      await alike(method, `/scim/v2/Users/${viewer}`, `/scim/v2/Users/${kMissing}`, body);
    }
    for (const [method, body] of [['GET'], ['PUT', rename], ['PATCH', { ...deactivate, Operations: [{ op: 'replace', path: 'displayName', value: 'Mine' }] }], ['DELETE']]) {
      await alike(method, `/scim/v2/Groups/${groupId}`, `/scim/v2/Groups/${kMissing}`, body);
    }
    for (const target of ['/scim/v2/Users', `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${kPeople.viewer}"`)}`,
      '/scim/v2/Groups', `/scim/v2/Groups?filter=${encodeURIComponent('displayName eq "Rhoslan key workers"')}`]) {
      const res = await call(foreign, 'GET', target);
      assert.equal(res.status, 200, `${target}: ${res.status} ${res.text.slice(0, 300)}`);
      assertNoCouncilWords(res, `police token: GET ${target}`);
    }
    // Nor can the police token make someone at the council's domain.
    const made = await call(foreign, 'POST', '/scim/v2/Users', { ...user, userName: 'new.starter@afonvalley.gov.uk', active: true });
    assert.ok(made.status >= 400 && made.status < 500, `police token created a council user: ${made.status}`);
    assert.equal(env.sql(`SELECT COUNT(*) FROM people WHERE email = 'new.starter@afonvalley.gov.uk'`), '0');
    assert.equal(env.sql(`SELECT status FROM people WHERE id = ${viewer}`), 'active');
    assert.equal((await call(council, 'GET', `/scim/v2/Groups/${groupId}`)).status, 200, 'the council\'s group survived');
  });
});
