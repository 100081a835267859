// Version history, export and import through the running server (issue 4, items 6 and 7):
// name a version, keep editing, compare, restore while a collaborator is connected (the restore
// reaches them as an ordinary update and the store holds it), and the exports and imports of
// the command line.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import {
  Session, Y, agoraOk, collabToken, createDocument, kDemo, makeTempDir, removeDir, request,
  startServer, storedDoc, waitUntil,
} from './clients.mjs';

let server;
let session;

before(async () => {
  server = await startServer({ demo: true });
  session = new Session(server);
});

after(async () => {
  await session?.close();
  await server?.stop();
});

// Appends a paragraph holding `text` to the editor content ("default"), as y-prosemirror would.
function addParagraph(doc, text) {
  doc.transact(() => {
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText(text)]);
    const fragment = doc.getXmlFragment('default');
    fragment.insert(fragment.length, [paragraph]);
  });
}

function paragraphs(doc) {
  return doc.getXmlFragment('default').toArray().map((p) => p.toArray().map((t) => t.toString()).join(''));
}

async function api(method, document, token, suffix, body) {
  const response = await request(server, {
    method,
    path: `/api/documents/${document}${suffix}`,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = response.body.toString();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

test('a named version can be listed, viewed, compared and restored while others edit', async () => {
  const document = createDocument(server, { title: 'Versions' });
  const owner = kDemo.council[0];
  agoraOk(server, ['doc', 'share', '--document', document, '--user', kDemo.nhs[0], '--role', 'editor']);
  const viewerEmail = kDemo.police[0];
  agoraOk(server, ['doc', 'share', '--document', document, '--user', viewerEmail, '--role', 'viewer']);
  const token = collabToken(server, { user: owner, document });
  const other = collabToken(server, { user: kDemo.nhs[0], document });
  const viewer = collabToken(server, { user: viewerEmail, document });

  const editor = session.hocus({ document, token });
  const collaborator = session.hocus({ document, token: other });
  await editor.waitSynced();
  await collaborator.waitSynced();

  addParagraph(editor.doc, 'first agreed wording');
  addParagraph(editor.doc, 'second paragraph');
  await waitUntil(() => paragraphs(collaborator.doc).length === 2, { what: 'the collaborator to have both paragraphs' });
  await waitUntil(() => editor.unsynced === 0, { what: 'the edits to be acknowledged' });

  const saved = await api('POST', document, token, '/versions', { label: 'Agreed at the meeting' });
  assert.equal(saved.status, 201, JSON.stringify(saved.json));
  const versionId = saved.json.version.id;
  assert.equal(saved.json.version.label, 'Agreed at the meeting');

  // A viewer may read the history but not name or restore versions.
  assert.equal((await api('GET', document, viewer, '/versions')).status, 200);
  assert.equal((await api('POST', document, viewer, '/versions', { label: 'x' })).status, 403);
  assert.equal((await api('POST', document, viewer, `/versions/${versionId}/restore`)).status, 403);

  // Later edits by the collaborator.
  collaborator.doc.transact(() => collaborator.doc.getXmlFragment('default').delete(0, 1));
  addParagraph(collaborator.doc, 'a later addition');
  await waitUntil(() => paragraphs(editor.doc).join('|') === 'second paragraph|a later addition',
    { what: 'the editor to see the later edits' });
  await waitUntil(() => collaborator.unsynced === 0, { what: 'the later edits to be acknowledged' });

  const list = await api('GET', document, token, '/versions');
  assert.deepEqual(list.json.versions.map((v) => v.label), ['Agreed at the meeting']);
  assert.equal(list.json.versions[0].author.name, 'Siân Pritchard');

  const view = await api('GET', document, token, `/versions/${versionId}`);
  assert.equal(view.json.html, '<p>first agreed wording</p><p>second paragraph</p>');

  const compared = await api('GET', document, token, `/compare?from=${versionId}&to=current`);
  assert.match(compared.json.html, /Removed: <\/span><del><p>first agreed wording<\/p><\/del>/);
  assert.match(compared.json.html, /Added: <\/span><ins><p>a later addition<\/p><\/ins>/);

  const restored = await api('POST', document, token, `/versions/${versionId}/restore`);
  assert.equal(restored.status, 200, JSON.stringify(restored.json));
  // Both connected editors receive the restore as an ordinary update.
  for (const client of [editor, collaborator]) {
    await waitUntil(() => paragraphs(client.doc).join('|') === 'first agreed wording|second paragraph',
      { what: `${client.name} to show the restored version`, diagnostics: () => paragraphs(client.doc).join('|') });
  }
  // And the store holds it.
  const stored = storedDoc(server, document);
  try {
    assert.deepEqual(paragraphs(stored), ['first agreed wording', 'second paragraph']);
  } finally {
    stored.destroy();
  }
  assert.equal((await api('GET', document, token, '/versions/999999')).status, 404);
});

test('documents import from Markdown and HTML and export as Markdown, HTML and text', async () => {
  const dir = makeTempDir();
  try {
    const markdown = path.join(dir, 'minutes.md');
    fs.writeFileSync(markdown, '# Minutes\n\nAgreed: **yes**.\n\n- [x] send letter\n');
    const id = agoraOk(server, ['doc', 'import', '--owner', kDemo.council[0], '--title', 'Minutes',
      '--format', 'markdown', markdown]).trim();
    assert.match(id, /^[0-9]+$/);
    assert.equal(agoraOk(server, ['doc', 'export', '--document', id, '--format', 'html']).trim(),
      '<h1>Minutes</h1><p>Agreed: <strong>yes</strong>.</p><ul class="task-list"><li class="task-item">' +
      '<input type="checkbox" disabled checked><p>send letter</p></li></ul>');
    assert.equal(agoraOk(server, ['doc', 'export', '--document', id, '--format', 'markdown']),
      '# Minutes\n\nAgreed: **yes**.\n\n- [x] send letter\n\n');
    assert.equal(agoraOk(server, ['doc', 'export', '--document', id, '--format', 'text']).trim(),
      'Minutes\n\nAgreed: yes.\n\nsend letter');

    // An editor that joins sees the imported content as y-prosemirror nodes.
    const token = collabToken(server, { user: kDemo.council[0], document: id });
    const client = session.hocus({ document: id, token });
    await client.waitSynced();
    // (Yjs's toString writes node names in lower case.)
    assert.equal(client.doc.getXmlFragment('default').toString(),
      '<heading level="1">Minutes</heading><paragraph>Agreed: <bold>yes</bold>.</paragraph>' +
      '<tasklist><taskitem checked="true"><paragraph>send letter</paragraph></taskitem></tasklist>');
    assert.equal(client.doc.getXmlFragment('default').get(2).nodeName, 'taskList');

    // The same exports over HTTP, as downloads, for anyone who may read.
    const download = await request(server, {
      path: `/api/documents/${id}/export?format=markdown`,
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(download.status, 200);
    assert.equal(download.headers['content-type'], 'text/markdown; charset=utf-8');
    assert.equal(download.headers['content-disposition'], `attachment; filename="document-${id}.md"`);
    assert.equal(download.text, '# Minutes\n\nAgreed: **yes**.\n\n- [x] send letter\n');
    const refused = await request(server, { path: `/api/documents/${id}/export?format=markdown` });
    assert.equal(refused.status, 403);

    const html = path.join(dir, 'page.html');
    fs.writeFileSync(html, '<p>Hello <script>alert(1)</script><a href="javascript:x">there</a></p>');
    const second = agoraOk(server, ['doc', 'import', '--owner', kDemo.council[0], '--title', 'Page',
      '--format', 'html', html]).trim();
    assert.equal(agoraOk(server, ['doc', 'export', '--document', second, '--format', 'html']).trim(),
      '<p>Hello there</p>');
  } finally {
    removeDir(dir);
  }
});
