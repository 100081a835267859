// Starting a document from a Markdown or HTML file (issue 4 item 7), through the space page's
// "New document" form as a browser sends it: multipart/form-data with the file, the title and the
// CSRF token. The stored document is read back with `agora doc export`.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { makeTempDir, removeDir, runAgora, startServer } from '../integration/harness.mjs';
import { BrowserSession, csrfTokenOf, demoPasswordFrom, errorSummaryOf } from './browser_session.mjs';

const kSian = 'sian.pritchard@afonvalley.gov.uk';

describe('importing a document into a space', () => {
  let dataDir;
  let server;
  let sian;
  let space;

  before(async () => {
    dataDir = makeTempDir('agora-import-');
    const loaded = runAgora(['demo', 'load', '--data', dataDir]);
    assert.equal(loaded.code, 0, loaded.stderr);
    server = await startServer({ dataDir });
    sian = new BrowserSession(server);
    await sian.signIn(kSian, demoPasswordFrom(loaded.stdout));
    const created = await sian.submit('/spaces', { name: 'Imports', classification: 'OFFICIAL' });
    assert.equal(created.status, 303, created.text);
    space = /\/spaces\/(\d+)/.exec(created.headers.location)[1];
  });

  after(async () => {
    if (server) await server.stop();
    if (dataDir) removeDir(dataDir);
  });

  async function postDocument(parts, { token } = {}) {
    const csrf = token === undefined ? csrfTokenOf((await sian.get(`/spaces/${space}`)).text) : token;
    const multipart = csrf === null ? parts : [{ name: 'csrf_token', value: csrf }, ...parts];
    return sian.send('POST', `/spaces/${space}/documents`, { multipart });
  }

  const exported = (id, format) => {
    const out = runAgora(['doc', 'export', '--data', dataDir, '--document', id, '--format', format]);
    assert.equal(out.code, 0, out.stderr);
    return out.stdout;
  };

  it('a Markdown file becomes the document, titled after the file', async () => {
    const res = await postDocument([
      { name: 'document_title', value: '' },
      { name: 'document_file', filename: 'Minutes 3 March.md', contentType: 'text/markdown',
        content: '# Minutes\n\n- **Apologies**: none\n- Next meeting: [calendar](https://example.org/cal)\n\n| Item | Owner |\n|---|---|\n| Budget | Siân |\n' },
    ]);
    assert.equal(res.status, 303, res.text);
    const id = /\/documents\/(\d+)$/.exec(res.headers.location)?.[1];
    assert.ok(id, res.headers.location);
    const markdown = exported(id, 'markdown');
    assert.match(markdown, /^# Minutes/m);
    assert.match(markdown, /\*\*Apologies\*\*/);
    assert.match(markdown, /\[calendar\]\(<?https:\/\/example\.org\/cal>?\)/);
    assert.match(markdown, /\| Budget \| Siân \|/);
    const page = await sian.get(`/spaces/${space}`);
    assert.match(page.text, /Minutes 3 March/);
  });

  it('an HTML file keeps its structure and loses its scripts', async () => {
    const res = await postDocument([
      { name: 'document_title', value: 'Discharge plan' },
      { name: 'document_file', filename: 'plan.HTML', contentType: 'text/html',
        content: '<h2>Plan</h2><p>Call <em>Ward 4</em> first.</p><script>alert(1)</script><ol><li>one</li></ol>' },
    ]);
    assert.equal(res.status, 303, res.text);
    const id = /\/documents\/(\d+)$/.exec(res.headers.location)[1];
    const html = exported(id, 'html');
    assert.match(html, /<h2>Plan<\/h2>/);
    assert.match(html, /<em>Ward 4<\/em>/);
    assert.match(html, /<ol>\s*<li>/);
    assert.doesNotMatch(html, /script|alert/);
    assert.match((await sian.get(`/spaces/${space}`)).text, /Discharge plan/);
  });

  it('a file of another kind is refused with a message, and nothing is created', async () => {
    const before = (await sian.get(`/spaces/${space}`)).text.match(/href="\/documents\/\d+"/g)?.length ?? 0;
    const res = await postDocument([
      { name: 'document_title', value: 'Spreadsheet' },
      { name: 'document_file', filename: 'budget.xlsx', contentType: 'application/octet-stream', content: 'PK\u0003\u0004' },
    ]);
    assert.equal(res.status, 400);
    assert.deepEqual(errorSummaryOf(res.text), ['Choose a Markdown (.md) or HTML (.html) file']);
    assert.match(res.text, /id="document-file-error"/);
    const after = (await sian.get(`/spaces/${space}`)).text.match(/href="\/documents\/\d+"/g)?.length ?? 0;
    assert.equal(after, before);
  });

  it('a multipart form without the CSRF token is refused', async () => {
    const res = await postDocument([
      { name: 'document_title', value: 'Forged' },
      { name: 'document_file', filename: 'x.md', contentType: 'text/markdown', content: '# Forged' },
    ], { token: null });
    assert.equal(res.status, 403);
    assert.doesNotMatch((await sian.get(`/spaces/${space}`)).text, /Forged/);
  });
});
