// SCIM 2.0 provisioning (issue 5 item 8) through the real server, as an organisation's directory
// uses it: an admin creates an API token with the scim scope on /account/api-tokens, and the
// directory then creates, lists, filters, changes, groups and deprovisions the council's people.
//   - deprovisioning (active=false, or DELETE) suspends: the person's session stops working at
//     once and their open y-websocket collaboration socket is closed;
//   - a token without the scim scope, a demoted admin's token, a revoked token and no token are
//     refused; another organisation's people are 404;
//   - every change lands in the audit trail as scim.*.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { BrowserSession, demoPasswordFrom } from './browser_session.mjs';
import { Session, collabToken, createDocument, shareDocument, waitUntil } from '../collab/clients.mjs';
import { makeTempDir, removeDir, request, runAgora, startServer } from '../integration/harness.mjs';

const kSian = 'sian.pritchard@afonvalley.gov.uk';      // the council's admin (first in the demo)
const kGareth = 'gareth.llewellyn@afonvalley.gov.uk';  // made admin, given a token, then demoted
const kRhiannon = 'rhiannon.price@afonvalley.gov.uk';  // deprovisioned while editing
const kCatrin = 'catrin.morgan@broafon.wales.nhs.uk';  // another organisation's person
const kScimType = 'application/scim+json';

describe('SCIM provisioning', () => {
  let dataDir;
  let server;
  let password;
  let sian;
  let token;  // Siân's scim token

  const sql = (query) => {
    const out = spawnSync('sqlite3', [path.join(dataDir, 'agora.db'), query], { encoding: 'utf8' });
    assert.equal(out.status, 0, `sqlite3 failed: ${out.stderr}`);
    return out.stdout.trim();
  };
  const personId = (email) => Number(sql(`SELECT id FROM people WHERE email = '${email}'`));

  /** One SCIM request with `secret` as the bearer token; returns { status, body (parsed), res }. */
  async function scim(method, target, { body, secret = token } = {}) {
    const headers = { Accept: kScimType };
    if (secret) headers.Authorization = `Bearer ${secret}`;
    let payload;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['Content-Type'] = kScimType;
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    const res = await request(server, { method, path: `/scim/v2${target}`, headers, body: payload });
    let parsed = null;
    if (res.text) {
      try { parsed = JSON.parse(res.text); } catch { parsed = res.text; }
    }
    return { status: res.status, body: parsed, res };
  }

  /** Creates a scim token through the account page as `browser`; returns its secret. */
  async function createToken(browser, name) {
    const page = await browser.get('/account/api-tokens');
    assert.equal(page.status, 200);
    assert.match(page.text, /name="scope_scim"/, 'the scim scope is offered to an admin');
    const res = await browser.submit('/account/api-tokens', { name, scope_scim: 'scim', days: '30' });
    assert.equal(res.status, 200, res.text.slice(0, 800));
    const secret = /id="api-token-secret"[^>]*>(agora_pat_[^<]+)</.exec(res.text)?.[1];
    assert.ok(secret, `no secret on the page:\n${res.text.slice(0, 1200)}`);
    return secret;
  }

  before(async () => {
    dataDir = makeTempDir('agora-scim-');
    const loaded = runAgora(['demo', 'load', '--data', dataDir]);
    assert.equal(loaded.code, 0, loaded.stderr);
    password = demoPasswordFrom(loaded.stdout);
    assert.ok(password, `no password in the demo's output:\n${loaded.stdout}`);
    server = await startServer({ dataDir });
    sian = new BrowserSession(server, { userAgent: 'agora-test sian' });
    await sian.signIn(kSian, password);
  });

  after(async () => {
    if (server) await server.stop();
    if (dataDir) removeDir(dataDir);
  });

  it('an admin creates a scim token on the account pages and sees its secret once', async () => {
    const account = await sian.get('/account');
    assert.equal(account.status, 200);
    assert.match(account.text, /href="\/account\/api-tokens"/, '/account links to the API tokens page');
    token = await createToken(sian, 'HR directory sync');
    const list = await sian.get('/account/api-tokens');
    assert.match(list.text, /HR directory sync/);
    assert.match(list.text, /<td class="govuk-table__cell">scim<\/td>/);
    assert.ok(!list.text.includes(token), 'the secret is never shown again');
    // Stored only as its SHA-256.
    const hash = crypto.createHash('sha256').update(token).digest('hex').toUpperCase();
    assert.equal(sql(`SELECT count(*) FROM api_tokens WHERE hex(token_hash) = '${hash}'`), '1');
  });

  it('provisions, lists, filters and changes a user', async () => {
    const created = await scim('POST', '/Users', {
      body: {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'Nia.Rowlands@afonvalley.gov.uk',
        name: { givenName: 'Nia', familyName: 'Rowlands' },
        externalId: 'hr-1001',
        active: true,
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.match(created.res.headers['content-type'], /application\/scim\+json/);
    const id = created.body.id;
    assert.equal(created.body.userName, 'nia.rowlands@afonvalley.gov.uk');
    assert.equal(created.body.displayName, 'Nia Rowlands');
    assert.equal(created.body.externalId, 'hr-1001');
    assert.equal(created.body.active, true);
    assert.ok(created.res.headers.location.endsWith(`/scim/v2/Users/${id}`));
    assert.equal(sql(`SELECT organisation_id = (SELECT organisation_id FROM people WHERE email = '${kSian}') FROM people WHERE id = ${Number(id)}`), '1',
      'the person joins the token\'s organisation');

    const again = await scim('POST', '/Users', { body: { userName: 'nia.rowlands@afonvalley.gov.uk', displayName: 'Nia' } });
    assert.equal(again.status, 409);
    assert.equal(again.body.scimType, 'uniqueness');
    assert.deepEqual(again.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
    const elsewhere = await scim('POST', '/Users', { body: { userName: 'someone@broafon.wales.nhs.uk', displayName: 'X' } });
    assert.equal(elsewhere.status, 400, 'userName must be at one of the organisation\'s domains');
    const broken = await scim('POST', '/Users', { body: { displayName: 'No userName' } });
    assert.equal(broken.status, 400);

    const filtered = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "NIA.ROWLANDS@afonvalley.gov.uk"')}`);
    assert.equal(filtered.status, 200);
    assert.deepEqual(filtered.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
    assert.equal(filtered.body.totalResults, 1);
    assert.equal(filtered.body.Resources[0].id, id);
    const none = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "nobody@afonvalley.gov.uk"')}`);
    assert.equal(none.body.totalResults, 0);
    assert.deepEqual(none.body.Resources, []);
    const badFilter = await scim('GET', `/Users?filter=${encodeURIComponent('userName sw "nia"')}`);
    assert.equal(badFilter.status, 400);
    assert.equal(badFilter.body.scimType, 'invalidFilter');

    // Paging: the council's people only, one per page.
    const council = Number(sql(`SELECT count(*) FROM people WHERE status <> 'erased' AND organisation_id = (SELECT organisation_id FROM people WHERE email = '${kSian}')`));
    const all = await scim('GET', '/Users');
    assert.equal(all.body.totalResults, council);
    assert.ok(all.body.Resources.every((u) => u.userName.endsWith('@afonvalley.gov.uk')), 'only the token\'s organisation');
    const second = await scim('GET', '/Users?startIndex=2&count=1');
    assert.equal(second.body.totalResults, council);
    assert.equal(second.body.itemsPerPage, 1);
    assert.equal(second.body.startIndex, 2);
    assert.equal(second.body.Resources[0].id, all.body.Resources[1].id);

    const patched = await scim('PATCH', `/Users/${id}`, {
      body: {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'displayName', value: 'Nia Rowlands-Price' }],
      },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.displayName, 'Nia Rowlands-Price');
    const fetched = await scim('GET', `/Users/${id}`);
    assert.equal(fetched.body.displayName, 'Nia Rowlands-Price');
    assert.equal(sql(`SELECT display_name FROM people WHERE id = ${Number(id)}`), 'Nia Rowlands-Price');

    const put = await scim('PUT', `/Users/${id}`, { body: { userName: 'nia.rowlands@afonvalley.gov.uk', displayName: 'Nia R', externalId: 'hr-2002', active: true } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.externalId, 'hr-2002');
    const byExternal = await scim('GET', `/Users?filter=${encodeURIComponent('externalId eq "hr-2002"')}`);
    assert.equal(byExternal.body.totalResults, 1);

    const actions = sql(`SELECT action FROM audit_log WHERE resource_kind = 'person' AND resource_id = '${id}' ORDER BY id`).split('\n');
    assert.deepEqual(actions.filter((a) => a.startsWith('scim.')), ['scim.user_create', 'scim.user_update', 'scim.user_update']);
  });

  it('groups the organisation\'s people', async () => {
    const rhiannon = String(personId(kRhiannon));
    const gareth = String(personId(kGareth));
    const created = await scim('POST', '/Groups', {
      body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Social workers', members: [{ value: rhiannon }] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;
    assert.deepEqual(created.body.members.map((m) => m.value), [rhiannon]);

    const patched = await scim('PATCH', `/Groups/${id}`, {
      body: {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [
          { op: 'add', path: 'members', value: [{ value: gareth }] },
          { op: 'remove', path: `members[value eq "${rhiannon}"]` },
        ],
      },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual(patched.body.members.map((m) => m.value), [gareth]);
    assert.equal(sql(`SELECT group_concat(person_id) FROM person_group_members WHERE group_id = ${Number(id)}`), gareth);

    const outsider = await scim('PATCH', `/Groups/${id}`, {
      body: { Operations: [{ op: 'add', path: 'members', value: [{ value: String(personId(kCatrin)) }] }] },
    });
    assert.equal(outsider.status, 400, 'another organisation\'s person cannot join');

    const listed = await scim('GET', `/Groups?filter=${encodeURIComponent('displayName eq "Social workers"')}`);
    assert.equal(listed.body.totalResults, 1);
    assert.equal((await scim('DELETE', `/Groups/${id}`)).status, 204);
    assert.equal((await scim('GET', `/Groups/${id}`)).status, 404);
    const actions = sql(`SELECT action FROM audit_log WHERE resource_kind = 'group' AND resource_id = '${id}' ORDER BY id`).split('\n');
    assert.deepEqual(actions, ['scim.group_create', 'scim.group_update', 'scim.group_delete']);
  });

  it('deprovisioning ends the person\'s session and closes their open editor at once', async () => {
    const rhiannon = new BrowserSession(server, { userAgent: 'agora-test rhiannon' });
    await rhiannon.signIn(kRhiannon, password);
    assert.equal((await rhiannon.get('/account')).status, 200);

    const document = createDocument(server, { owner: kSian, title: 'Deprovisioning' });
    shareDocument(server, { document, user: kRhiannon, role: 'editor' });
    const session = new Session(server);
    try {
      const editor = session.yws({ name: 'rhiannon', document, token: collabToken(server, { user: kRhiannon, document }) });
      await editor.waitSynced();
      const id = String(personId(kRhiannon));

      const patched = await scim('PATCH', `/Users/${id}`, {
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', value: { active: false } }] },
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.equal(patched.body.active, false);

      await waitUntil(() => editor.denied.length > 0 || editor.lastSocket.close !== null, {
        timeoutMs: 2000,
        what: 'the deprovisioned person\'s open socket to be closed',
        diagnostics: () => editor.describe(),
      });
      editor.stop();

      const account = await rhiannon.get('/account');
      assert.notEqual(account.status, 200, 'the session no longer works');
      assert.equal(sql(`SELECT count(*) FROM sessions WHERE person_id = ${Number(id)}`), '0');
      const again = await new BrowserSession(server).postSignIn(kRhiannon, password);
      assert.equal(again.status, 403, 'a suspended person cannot sign in');
      const actions = sql(`SELECT action FROM audit_log WHERE resource_kind = 'person' AND resource_id = '${id}' ORDER BY id`).split('\n');
      assert.ok(actions.includes('scim.user_deactivate'), actions.join(', '));

      // Reprovisioning lets them back in; DELETE suspends again but keeps them and their history.
      const back = await scim('PATCH', `/Users/${id}`, { body: { Operations: [{ op: 'replace', path: 'active', value: true }] } });
      assert.equal(back.body.active, true);
      await new BrowserSession(server).signIn(kRhiannon, password);
      assert.equal((await scim('DELETE', `/Users/${id}`)).status, 204);
      assert.equal(sql(`SELECT status FROM people WHERE id = ${Number(id)}`), 'suspended');
      assert.equal(sql(`SELECT count(*) FROM sessions WHERE person_id = ${Number(id)}`), '0');
      assert.equal((await scim('GET', `/Users/${id}`)).body.active, false);
    } finally {
      await session.close();
    }
  });

  it('refuses tokens that may not provision and hides other organisations\' people', async () => {
    const catrin = personId(kCatrin);
    for (const method of ['GET', 'DELETE']) {
      const res = await scim(method, `/Users/${catrin}`);
      assert.equal(res.status, 404, `${method} another organisation's person`);
      assert.equal(res.body.status, '404');
    }
    const patch = await scim('PATCH', `/Users/${catrin}`, { body: { Operations: [{ op: 'replace', path: 'active', value: false }] } });
    assert.equal(patch.status, 404);
    assert.equal(sql(`SELECT status FROM people WHERE id = ${catrin}`), 'active');

    assert.ok([401, 403].includes((await scim('GET', '/Users', { secret: null })).status), 'no token');
    assert.equal((await scim('GET', '/Users', { secret: 'agora_pat_not-a-real-token' })).status, 401);

    // A token with another scope, stored as the server stores tokens.
    const other = `agora_pat_${crypto.randomBytes(24).toString('hex')}`;
    const hash = crypto.createHash('sha256').update(other).digest('hex');
    sql(`INSERT INTO api_tokens (token_hash, person_id, name, scopes, created_at, expires_at) VALUES ` +
      `(X'${hash}', ${personId(kSian)}, 'reader', 'read', ${Date.now()}, ${Date.now() + 3_600_000})`);
    assert.equal((await scim('GET', '/Users', { secret: other })).status, 403, 'a token without the scim scope');

    // An admin's token stops working for SCIM when they stop being an admin.
    const garethId = personId(kGareth);
    const made = await sian.submit(`/admin/people/${garethId}/make-admin`, {}, { formPage: '/admin/people' });
    assert.equal(made.status, 303);
    const gareth = new BrowserSession(server, { userAgent: 'agora-test gareth' });
    await gareth.signIn(kGareth, password);
    const garethToken = await createToken(gareth, 'Gareth sync');
    assert.equal((await scim('GET', '/Users', { secret: garethToken })).status, 200);
    const demoted = await sian.submit(`/admin/people/${garethId}/remove-admin`, {}, { formPage: '/admin/people' });
    assert.equal(demoted.status, 303);
    assert.equal((await scim('GET', '/Users', { secret: garethToken })).status, 403, 'a non-admin\'s token');
    // And a non-admin cannot mint one through a hand-made form.
    const plain = new BrowserSession(server, { userAgent: 'agora-test gareth again' });
    await plain.signIn(kGareth, password);
    assert.doesNotMatch((await plain.get('/account/api-tokens')).text, /name="scope_scim"/);
    const minted = await plain.submit('/account/api-tokens', { name: 'sneaky', scope_scim: 'scim', days: '1' });
    assert.equal(minted.status, 403);

    // Revoking on the account page ends a token at once.
    const page = await sian.get('/account/api-tokens');
    const row = page.text.split('<tr class="govuk-table__row">').find((r) => r.includes('HR directory sync'));
    const tokenId = row && /action="\/account\/api-tokens\/(\d+)\/revoke"/.exec(row)?.[1];
    assert.ok(tokenId, 'no revoke button for the token');
    const revoked = await sian.submit(`/account/api-tokens/${tokenId}/revoke`, {}, { formPage: '/account/api-tokens' });
    assert.equal(revoked.status, 303);
    assert.equal((await scim('GET', '/Users')).status, 401, 'a revoked token');
  });
});
