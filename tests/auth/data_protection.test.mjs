// Data protection (issue 5 item 7) through the real server:
//   - GET /account/data gives a signed-in person a ZIP (checked with Info-ZIP's unzip, an
//     independent reader) holding data.json with their profile, sessions, API tokens without
//     secrets, spaces, documents, comments and audit records, plus the pictures they uploaded;
//   - an admin erases a person from /admin/people/{id}/erase after a confirmation page: they
//     cannot sign in, their personal data is gone from the database, their comment stays and
//     shows "Former member", and `agora audit verify` still passes (audit rows are not rewritten).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { BrowserSession, demoPasswordFrom } from './browser_session.mjs';
import { csrfOf, kPng, sendWithSession } from './two_organisations.mjs';
import { createDocument, shareDocument } from '../collab/clients.mjs';
import { makeTempDir, removeDir, runAgora, startServer } from '../integration/harness.mjs';

const kSian = 'sian.pritchard@afonvalley.gov.uk';   // the council's admin
const kOwain = 'owain.jenkins@afonvalley.gov.uk';   // downloads his data, then is erased
const kCatrin = 'catrin.morgan@broafon.wales.nhs.uk';  // another organisation's person

describe('data protection: download and erasure', () => {
  let dataDir;
  let server;
  let password;
  let sian;
  let owain;
  let owainId;
  let document;
  let imageBytes;
  const comment = 'Please check the contact details before Friday.';

  const sql = (query) => {
    const out = spawnSync('sqlite3', [path.join(dataDir, 'agora.db'), query], { encoding: 'utf8' });
    assert.equal(out.status, 0, `sqlite3 failed: ${out.stderr}`);
    return out.stdout.trim();
  };

  before(async () => {
    dataDir = makeTempDir('agora-data-protection-');
    const loaded = runAgora(['demo', 'load', '--data', dataDir]);
    assert.equal(loaded.code, 0, loaded.stderr);
    password = demoPasswordFrom(loaded.stdout);
    assert.ok(password);
    server = await startServer({ dataDir });
    sian = new BrowserSession(server, { userAgent: 'agora-test sian' });
    await sian.signIn(kSian, password);
    owain = new BrowserSession(server, { userAgent: 'agora-test owain' });
    await owain.signIn(kOwain, password);
    owainId = Number(sql(`SELECT id FROM people WHERE email = '${kOwain}'`));

    // Owain comments on Siân's document and puts a picture in it.
    document = createDocument(server, { owner: kSian, title: 'Referral plan' });
    shareDocument(server, { document, user: kOwain, role: 'editor' });
    const csrf = await csrfOf(owain);
    const thread = await sendWithSession(owain, 'POST', `/api/documents/${document}/comments`, {
      json: { anchor_start: 'AAAA', anchor_end: 'AAAA', quote: 'plan', body: comment }, csrf,
    });
    assert.ok(thread.status < 300, `commenting answered ${thread.status}: ${thread.text}`);
    imageBytes = kPng;
    const image = await sendWithSession(owain, 'POST', `/api/documents/${document}/images`, { bytes: imageBytes, contentType: 'image/png', csrf });
    assert.ok(image.status < 300, `uploading answered ${image.status}: ${image.text}`);
  });

  after(async () => {
    if (server) await server.stop();
    if (dataDir) removeDir(dataDir);
  });

  it('a person downloads everything held about them as a ZIP', async () => {
    const account = await owain.get('/account');
    assert.match(account.text, /href="\/account\/data"/, '/account links to the download');
    const res = await owain.get('/account/data');
    assert.equal(res.status, 200, res.text.slice(0, 400));
    assert.equal(res.headers['content-type'], 'application/zip');
    assert.match(res.headers['content-disposition'], /attachment; filename="agora-data-\d+\.zip"/);

    const zipPath = path.join(dataDir, 'download.zip');
    fs.writeFileSync(zipPath, res.body);
    const tested = spawnSync('unzip', ['-t', zipPath], { encoding: 'utf8' });
    assert.equal(tested.status, 0, `unzip -t: ${tested.stdout}${tested.stderr}`);
    const listed = spawnSync('unzip', ['-Z1', zipPath], { encoding: 'utf8' }).stdout.trim().split('\n');
    assert.ok(listed.includes('data.json'), listed.join(', '));
    const json = spawnSync('unzip', ['-p', zipPath, 'data.json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const data = JSON.parse(json.stdout);

    assert.equal(data.profile.email, kOwain);
    assert.equal(data.profile.id, owainId);
    assert.equal(data.organisation.name, 'Afon Valley Council');
    assert.ok(data.sessions.length >= 1, 'his live session is listed');
    assert.ok(data.sessions.some((s) => s.user_agent === 'agora-test owain'));
    assert.deepEqual(data.comments.map((c) => c.body), [comment]);
    assert.equal(data.comments[0].document_id, Number(document));
    assert.ok(Array.isArray(data.api_tokens) && Array.isArray(data.spaces) && Array.isArray(data.documents_owned));
    assert.ok(data.audit_by_you.some((r) => r.action === 'auth.sign_in'), 'his sign-in is in the audit records');
    assert.ok(!json.stdout.includes('password_hash') && !json.stdout.includes('token_hash'), 'no secrets');

    assert.equal(data.images.length, 1);
    const picture = spawnSync('unzip', ['-p', zipPath, data.images[0].file], { maxBuffer: 64 << 20 });
    assert.equal(picture.status, 0);
    assert.ok(Buffer.compare(picture.stdout, imageBytes) === 0, 'the uploaded picture is in the ZIP unchanged');
    assert.equal(sql(`SELECT count(*) FROM audit_log WHERE action = 'account.data_export' AND person_id = ${owainId}`), '1');
  });

  it('an admin erases a person: personal data gone, work kept as "Former member", audit intact', async () => {
    const auditBefore = Number(sql(`SELECT count(*) FROM audit_log WHERE person_id = ${owainId}`));
    const people = await sian.get('/admin/people');
    assert.match(people.text, new RegExp(`href="/admin/people/${owainId}/erase"`));
    const confirm = await sian.get(`/admin/people/${owainId}/erase`);
    assert.equal(confirm.status, 200);
    assert.match(confirm.text, /name="confirm" value="erase"/);
    assert.equal(sql(`SELECT status FROM people WHERE id = ${owainId}`), 'active', 'the confirmation page changes nothing');
    // Without the confirmation field nothing happens.
    const unconfirmed = await sian.submit(`/admin/people/${owainId}/erase`, {}, { formPage: `/admin/people/${owainId}/erase` });
    assert.equal(unconfirmed.status, 303);
    assert.equal(sql(`SELECT status FROM people WHERE id = ${owainId}`), 'active');

    const erased = await sian.submit(`/admin/people/${owainId}/erase`, { confirm: 'erase' }, { formPage: `/admin/people/${owainId}/erase` });
    assert.equal(erased.status, 303);
    assert.equal(erased.headers.location, '/admin/people');

    assert.equal(sql(`SELECT email || '|' || display_name || '|' || status || '|' || password_hash || '|' || ifnull(external_id, 'NULL') || '|' || ifnull(totp_secret, 'NULL') FROM people WHERE id = ${owainId}`),
      `erased-${owainId}@invalid|Former member|erased||NULL|NULL`);
    for (const table of ['sessions', 'api_tokens', 'recovery_codes', 'grants']) {
      assert.equal(sql(`SELECT count(*) FROM ${table} WHERE person_id = ${owainId}`), '0', table);
    }
    assert.equal(sql(`SELECT count(*) FROM people WHERE email = '${kOwain}'`), '0');

    // He is signed out and cannot sign in again.
    assert.notEqual((await owain.get('/account')).status, 200);
    const again = await new BrowserSession(server).postSignIn(kOwain, password);
    assert.notEqual(again.status, 303, 'an erased person cannot sign in');

    // His comment stays, attributed to "Former member".
    const threads = await sendWithSession(sian, 'GET', `/api/documents/${document}/comments`, { headers: { Accept: 'application/json' } });
    assert.equal(threads.status, 200, threads.text);
    const all = JSON.parse(threads.text);
    const found = JSON.stringify(all);
    assert.ok(found.includes(comment), 'the comment is still there');
    assert.ok(found.includes('"name":"Former member"'), `the author shows as Former member: ${found.slice(0, 600)}`);
    assert.ok(!found.includes('Owain'), 'his name is gone from the comments');

    // The audit trail is untouched and still verifies; the erasure itself is recorded.
    assert.ok(Number(sql(`SELECT count(*) FROM audit_log WHERE person_id = ${owainId}`)) >= auditBefore);
    assert.equal(sql(`SELECT count(*) FROM audit_log WHERE action = 'admin.person_erase' AND resource_id = '${owainId}'`), '1');
    const verified = runAgora(['audit', 'verify', '--data', dataDir]);
    assert.equal(verified.code, 0, `agora audit verify: ${verified.stdout}${verified.stderr}`);

    // The people page no longer offers him; a second erasure finds no one.
    assert.ok(!(await sian.get('/admin/people')).text.includes(kOwain));
    assert.equal((await sian.get(`/admin/people/${owainId}/erase`)).status, 404);
  });

  it('admins erase only their own organisation\'s people, and never themselves', async () => {
    const catrinId = Number(sql(`SELECT id FROM people WHERE email = '${kCatrin}'`));
    assert.equal((await sian.get(`/admin/people/${catrinId}/erase`)).status, 404);
    const res = await sian.submit(`/admin/people/${catrinId}/erase`, { confirm: 'erase' }, { formPage: '/admin/people' });
    assert.equal(res.status, 404);
    assert.equal(sql(`SELECT status FROM people WHERE id = ${catrinId}`), 'active');
    const sianId = Number(sql(`SELECT id FROM people WHERE email = '${kSian}'`));
    const self = await sian.submit(`/admin/people/${sianId}/erase`, { confirm: 'erase' }, { formPage: '/admin/people' });
    assert.equal(self.status, 409);
    // A member of staff who is not an admin may not erase anyone.
    const gareth = new BrowserSession(server, { userAgent: 'agora-test gareth' });
    await gareth.signIn('gareth.llewellyn@afonvalley.gov.uk', password);
    const refused = await gareth.submit(`/admin/people/${sianId}/erase`, { confirm: 'erase' }, { formPage: '/account' });
    assert.equal(refused.status, 403);
    assert.equal(sql(`SELECT status FROM people WHERE id = ${sianId}`), 'active');
  });
});
