// The document page's collaborative editor, in real browsers (Debian's Chromium through
// playwright-core) against a running server:
// - two people of two organisations (council, NHS) each type, and each sees the other's text and
//   caret (with name and organisation) within a second;
// - a viewer (police) can read but not change the document, in the browser and on the server;
// - a comment anchored to a word stays on exactly that word while the other person inserts and
//   deletes text right before, right after and further around it;
// - an uploaded image shows for both; the API refuses what it must (bad tokens, viewers'
//   comments, an overlong comment, bytes that are not the image they claim to be);
// - axe-core finds no WCAG 2.2 A/AA violation and the Content-Security-Policy blocks nothing;
// - without JavaScript the page shows the document and says that editing needs JavaScript;
// - the stored document (`agora doc export`) holds both people's text.
//
// Run through tests/integration/with_server.mjs --demo (AGORA_URL, and AGORA_TEST_DATA_DIR for
// the `agora doc` commands), or alone with AGORA_BIN set: it then starts its own server.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';

import { chromium } from 'playwright-core';

import { runAgora, sleep, startServer } from '../integration/harness.mjs';
import { axeViolations } from './axe.mjs';

const chromiumPath = process.env.AGORA_CHROMIUM || '/usr/bin/chromium';
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

const council = 'sian.pritchard@afonvalley.gov.uk';
const nhs = 'catrin.morgan@broafon.wales.nhs.uk';
const police = 'dafydd.hughes@afonvalley.police.uk';
const housing = 'lowri.jones@cartrefiafon.org.uk';

// A correctness bound on seeing another person's change, not a benchmark: the contract is that
// edits and carets reach the others "within a second".
const kLiveDeadlineMs = 1000;
// Generous bounds for things that involve loading pages and connecting.
const kLoadDeadlineMs = 15_000;

let server = null;
let baseUrl = process.env.AGORA_URL;
let dataDir = process.env.AGORA_TEST_DATA_DIR;

/** Runs `agora args... --data DIR` and returns its trimmed standard output. */
function agora(...args) {
  const result = runAgora([...args, '--data', dataDir]);
  assert.equal(result.code, 0, `agora ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout.trim();
}

const url = (pathAndQuery) => new URL(pathAndQuery, baseUrl).href;

/** Polls `check` (async, truthy when done) until it passes or `ms` have gone; returns its value. */
async function within(ms, check, what) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(20);
  }
}

/** A 1×1 PNG, built here from its definition (signature, IHDR, IDAT, IEND chunks). */
function tinyPng() {
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(1, 0);   // width
  header.writeUInt32BE(1, 4);   // height
  header[8] = 8;                // bit depth
  header[9] = 2;                // colour type: truecolour
  const pixels = zlib.deflateSync(Buffer.from([0, 0x00, 0x5a, 0x6e]));  // filter byte + RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', pixels),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// --- browsers ---------------------------------------------------------------------------------

const profiles = [];
async function launch({ javaScriptEnabled = true } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'agora-e2e-editor-'));
  profiles.push(profile);
  return chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    javaScriptEnabled,
    viewport: { width: 1280, height: 1000 },
  });
}

/** Opens the document page for `token` in `context`, recording CSP violations and page errors. */
async function openDocument(context, documentId, token, { lang = 'en' } = {}) {
  const page = await context.newPage();
  const cspReports = [];
  const pageErrors = [];
  page.on('console', (entry) => {
    if (/content security policy|refused to (load|execute|apply|evaluate|connect)/i.test(entry.text())) {
      cspReports.push(entry.text());
    }
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.addInitScript(() => {
    window.__agoraCspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__agoraCspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline code'}`);
    });
  });
  const response = await page.goto(url(`/documents/${documentId}?lang=${lang}&token=${encodeURIComponent(token)}`),
    { waitUntil: 'load' });
  assert.equal(response.status(), 200, `document page answered ${response.status()}`);
  return { page, response, cspReports, pageErrors };
}

const editorSelector = '#document-editor .ProseMirror';
/** The editor's text, a line per block, without the other people's caret labels. */
const editorText = (page) => page.evaluate((selector) => {
  const root = document.querySelector(selector);
  return Array.from(root.children, (block) => {
    const copy = block.cloneNode(true);
    for (const widget of copy.querySelectorAll('.ProseMirror-widget')) widget.remove();
    return copy.textContent;
  }).join('\n');
}, editorSelector);
const statusOf = (page) => page.getAttribute('#document-status', 'data-state');

async function waitForState(page, state) {
  await within(kLoadDeadlineMs, async () => (await statusOf(page)) === state,
    `status "${state}" (it is "${await statusOf(page)}")`);
}

/** The text of the range highlighted for the active comment thread, or null when none is. */
function activeAnchorText(page) {
  return page.evaluate(() => {
    const parts = Array.from(document.querySelectorAll('.agora-comment-anchor--active'));
    return parts.length ? parts.map((el) => el.textContent).join('') : null;
  });
}

/**
 * Selects the only occurrence of `word` in the editor's text (`where` "all"), or puts the caret
 * just before or after it. The word may span several DOM text nodes (a comment's highlight splits
 * them), so the search runs over the text of all of them.
 */
async function selectInEditor(page, word, where) {
  const placed = await page.evaluate(({ selector, word, where }) => {
    const root = document.querySelector(selector);
    root.focus();
    const nodes = [];
    let text = '';
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      nodes.push({ node, start: text.length });
      text += node.data;
    }
    const at = text.indexOf(word);
    if (at < 0 || text.indexOf(word, at + 1) >= 0) return false;
    // The DOM point of character offset `offset`; `after` picks the end of the previous node.
    const point = (offset, after) => {
      for (let i = nodes.length - 1; i >= 0; i--) {
        const { node, start } = nodes[i];
        if (after ? start < offset : start <= offset) return [node, offset - start];
      }
      return [nodes[0].node, 0];
    };
    const [startNode, startOffset] = point(at, false);
    const [endNode, endOffset] = point(at + word.length, true);
    const selection = window.getSelection();
    if (where === 'before') selection.setBaseAndExtent(startNode, startOffset, startNode, startOffset);
    else if (where === 'after') selection.setBaseAndExtent(endNode, endOffset, endNode, endOffset);
    else selection.setBaseAndExtent(startNode, startOffset, endNode, endOffset);
    return true;
  }, { selector: editorSelector, word, where });
  assert.ok(placed, `"${word}" is not in the editor exactly once`);
  await settleSelection(page);
}

/** Lets the page handle selectionchange events, where ProseMirror reads the DOM selection. */
function settleSelection(page) {
  return page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0))));
}

const placeCaret = (page, word, where) => selectInEditor(page, word, where);
const selectWord = (page, word) => selectInEditor(page, word, 'all');

async function assertNoCspViolations({ page, cspReports, pageErrors }) {
  assert.deepEqual(cspReports, [], `console reported CSP violations on ${page.url()}`);
  const violations = await page.evaluate(() => window.__agoraCspViolations);
  assert.deepEqual(violations, [], `CSP violations on ${page.url()}`);
  assert.deepEqual(pageErrors, [], `uncaught script errors on ${page.url()}`);
}

async function api(method, pathAndQuery, token, body, contentType = 'application/json') {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = contentType;
    payload = Buffer.isBuffer(body) ? body : JSON.stringify(body);
  }
  const response = await fetch(url(pathAndQuery), { method, headers, body: payload });
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: response.status, headers: response.headers, json, text };
}

// --- the tests --------------------------------------------------------------------------------

describe('collaborative document editor', () => {
  let documentId;
  let otherDocumentId;
  const tokens = {};
  let councilBrowser;
  let nhsBrowser;
  let policeBrowser;
  let councilPage;
  let nhsPage;
  let policePage;
  let names;

  before(async () => {
    if (!baseUrl || !dataDir) {
      server = await startServer({ demo: true });
      baseUrl = server.origin;
      dataDir = server.dataDir;
    }
    documentId = agora('doc', 'create', '--owner', council, '--title', 'Support plan for the Evans family');
    assert.match(documentId, /^\d+$/);
    agora('doc', 'share', '--document', documentId, '--user', nhs, '--role', 'editor');
    agora('doc', 'share', '--document', documentId, '--user', police, '--role', 'viewer');
    otherDocumentId = agora('doc', 'create', '--owner', housing, '--title', 'Housing register notes');
    for (const [who, email] of [['council', council], ['nhs', nhs], ['police', police], ['housing', housing]]) {
      tokens[who] = agora('collab', 'token', '--user', email, '--document', documentId, '--ttl', '1800');
    }
    tokens.housingOther = agora('collab', 'token', '--user', housing, '--document', otherDocumentId, '--ttl', '1800');

    [councilBrowser, nhsBrowser, policeBrowser] = await Promise.all([launch(), launch(), launch()]);
    councilPage = await openDocument(councilBrowser, documentId, tokens.council);
    nhsPage = await openDocument(nhsBrowser, documentId, tokens.nhs);
    await waitForState(councilPage.page, 'saved');
    await waitForState(nhsPage.page, 'saved');
    names = {
      council: await councilPage.page.locator('.agora-document__person').innerText(),
      nhs: await nhsPage.page.locator('.agora-document__person').innerText(),
    };
  });

  after(async () => {
    await Promise.all([councilBrowser, nhsBrowser, policeBrowser].map((b) => b?.close()));
    for (const profile of profiles) fs.rmSync(profile, { recursive: true, force: true });
    if (server) await server.stop();
  });

  test('two people of two organisations see each other’s text and carets within a second', async () => {
    const { page: a } = councilPage;
    const { page: b } = nhsPage;
    // "Name, Organisation" as each page introduces its reader.
    const [councilName, councilOrganisation] = names.council.split(', ');
    const [nhsName, nhsOrganisation] = names.nhs.split(', ');
    assert.notEqual(councilOrganisation, nhsOrganisation);

    await a.locator(editorSelector).click();
    await a.keyboard.type('Council: the family needs a school place.');
    await within(kLiveDeadlineMs, async () => (await editorText(b)).includes('Council: the family needs a school place.'),
      'the NHS editor shows the council’s text');

    await b.locator(editorSelector).click();
    await b.keyboard.press('Control+End');
    await b.keyboard.press('Enter');
    await b.keyboard.type('NHS: health visitor booked for Tuesday.');
    await within(kLiveDeadlineMs, async () => (await editorText(a)).includes('NHS: health visitor booked for Tuesday.'),
      'the council editor shows the NHS text');

    const caretLabels = (page) => page.locator('.collaboration-carets__label').allInnerTexts();
    const labelA = await within(kLiveDeadlineMs, async () =>
      (await caretLabels(a)).find((label) => label.includes(nhsName)), `a caret labelled ${nhsName} on the council page`);
    assert.ok(labelA.includes(nhsOrganisation), `the caret label "${labelA}" names the organisation`);
    const labelB = await within(kLiveDeadlineMs, async () =>
      (await caretLabels(b)).find((label) => label.includes(councilName)), `a caret labelled ${councilName} on the NHS page`);
    assert.ok(labelB.includes(councilOrganisation), `the caret label "${labelB}" names the organisation`);

    // Who is here lists both people on both pages.
    for (const page of [a, b]) {
      const present = await within(kLiveDeadlineMs, async () => {
        const text = await page.locator('#document-presence').innerText();
        return text.includes(councilName) && text.includes(nhsName) ? text : null;
      }, 'both people in "who is here"');
      assert.ok(present);
    }
    // Every change has been acknowledged by the server as stored.
    await waitForState(a, 'saved');
    await waitForState(b, 'saved');
  });

  test('the status line says when the connection is lost and when it is back', async () => {
    const opened = await openDocument(nhsBrowser, documentId, tokens.nhs);
    try {
      await waitForState(opened.page, 'saved');
      await nhsBrowser.setOffline(true);
      await waitForState(opened.page, 'offline');
      await within(kLoadDeadlineMs, async () => /Offline/.test(await opened.page.locator('#document-status').innerText()),
        'the status line says "Offline"');
    } finally {
      await nhsBrowser.setOffline(false);
    }
    await waitForState(opened.page, 'saved');
    await opened.page.close();
  });

  test('edits made without a connection are kept on the device and merged when it reconnects', async () => {
    const { page: a } = councilPage;
    const storedUpdates = async (page) => page.evaluate(async (name) => {
      // Never open (and so create) the database before the editor has made it.
      if (!(await indexedDB.databases()).some((db) => db.name === name)) return 0;
      return new Promise((resolve, reject) => {
      const opened = indexedDB.open(name);
      opened.onerror = () => reject(opened.error);
      opened.onsuccess = () => {
        const count = opened.result.transaction('updates').objectStore('updates').count();
        count.onsuccess = () => { opened.result.close(); resolve(count.result); };
        count.onerror = () => reject(count.error);
      };
      });
    }, `agora-document-${documentId}-${await page.getAttribute('#agora-document', 'data-person-id')}`);

    // The page's socket leads nowhere: whatever the editor sends is lost on the way, so the words
    // typed below exist only in this browser.
    const cut = await nhsBrowser.newPage();
    await cut.routeWebSocket(/\/collab\/ws/, () => {});
    await cut.goto(url(`/documents/${documentId}?token=${encodeURIComponent(tokens.nhs)}`));
    await cut.locator(editorSelector).waitFor();
    const before = await storedUpdates(cut);
    await cut.locator(editorSelector).click();
    await cut.keyboard.press('Control+End');
    await cut.keyboard.type(' Written offline.');
    await within(kLoadDeadlineMs, async () => (await storedUpdates(cut)) > before, 'the edit kept in IndexedDB');
    await a.locator(editorSelector).click();
    await a.keyboard.press('Control+End');
    await a.keyboard.type(' Written online.');
    await waitForState(a, 'saved');
    await cut.close();
    assert.ok(!(await editorText(a)).includes('Written offline.'));
    assert.ok(!agora('doc', 'export', '--document', documentId, '--format', 'text').includes('Written offline.'),
      'the offline words reached the server without the device');

    // With a connection again, the kept words merge with what the others wrote meanwhile.
    const again = await openDocument(nhsBrowser, documentId, tokens.nhs);
    try {
      await within(kLoadDeadlineMs, async () => (await editorText(a)).includes('Written offline.'),
        'the council sees the words written offline');
      await within(kLoadDeadlineMs, async () => (await editorText(again.page)).includes('Written online.'),
        'the NHS editor sees the words written online meanwhile');
      await waitForState(again.page, 'saved');
      const stored = agora('doc', 'export', '--document', documentId, '--format', 'text');
      assert.ok(stored.includes('Written offline.') && stored.includes('Written online.'), stored);
    } finally {
      await again.page.close();
    }
  });

  test('a viewer can read the document but not change it', async () => {
    policePage = await openDocument(policeBrowser, documentId, tokens.police);
    const { page } = policePage;
    await waitForState(page, 'read-only');
    const editor = page.locator(editorSelector);
    await within(kLoadDeadlineMs, async () => (await editorText(page)).includes('NHS: health visitor booked'),
      'the viewer sees the document');
    assert.equal(await editor.getAttribute('contenteditable'), 'false');
    assert.equal(await editor.getAttribute('aria-readonly'), 'true');
    // Nothing to format, and a viewer may not comment: no toolbar at all.
    assert.equal(await page.locator('#document-toolbar').isVisible(), false);

    const before = await editorText(page);
    await editor.click();
    await page.keyboard.press('End');
    await page.keyboard.type('VIEWER-WAS-HERE');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Backspace');
    assert.equal(await editorText(page), before, 'typing changed the viewer’s editor');

    // A change made after the attempt reaches the viewer; by then anything the viewer's editor
    // had sent would have reached the others and the store too.
    await councilPage.page.locator(editorSelector).click();
    await councilPage.page.keyboard.press('Control+End');
    await councilPage.page.keyboard.type(' Marker one.');
    await within(kLiveDeadlineMs, async () => (await editorText(page)).includes('Marker one.'), 'the viewer sees new text');
    await waitForState(councilPage.page, 'saved');
    for (const other of [councilPage.page, nhsPage.page]) {
      assert.ok(!(await editorText(other)).includes('VIEWER-WAS-HERE'));
    }
    const stored = agora('doc', 'export', '--document', documentId, '--format', 'text');
    assert.ok(stored.includes('Marker one.'), `the export is current: ${stored}`);
    assert.ok(!stored.includes('VIEWER-WAS-HERE'), 'the viewer’s typing reached the store');
  });

  test('a comment stays on its word while the other person edits around it', async () => {
    const { page: a } = councilPage;
    const { page: b } = nhsPage;
    await a.locator(editorSelector).click();
    await a.keyboard.press('Control+End');
    await a.keyboard.press('Enter');
    await a.keyboard.type('Plan: before target after end');
    await within(kLiveDeadlineMs, async () => (await editorText(b)).includes('Plan: before target after end'),
      'the NHS editor shows the plan line');

    await selectWord(a, 'target');
    await a.locator('[data-command="comment"]').click();
    const form = a.locator('#document-comment-form');
    assert.ok(await form.isVisible(), 'the comment form opens');
    assert.match(await a.locator('#document-comment-quote').innerText(), /“target”/);
    await a.locator('#document-comment-body').fill('Can we confirm the target date?');
    await a.locator('#document-comment-form button[type="submit"]').click();
    await within(kLoadDeadlineMs, async () => (await a.locator('.agora-thread').count()) === 1, 'the thread appears');
    assert.equal(await activeAnchorText(a), 'target');

    // The other person hears of the new thread through awareness and loads it.
    await within(kLoadDeadlineMs, async () => (await b.locator('.agora-thread').count()) === 1,
      'the thread appears for the NHS editor');
    assert.match(await b.locator('.agora-thread').innerText(), /Can we confirm the target date\?/);
    await b.locator('.agora-thread__show').click();
    assert.equal(await activeAnchorText(b), 'target');

    const edits = [
      { name: 'insert right before the word', run: async () => { await placeCaret(b, 'target', 'before'); await b.keyboard.type('X'); }, expect: 'Xtarget' },
      { name: 'insert right after the word', run: async () => { await placeCaret(b, 'target', 'after'); await b.keyboard.type('Y'); }, expect: 'targetY' },
      { name: 'insert further before', run: async () => { await placeCaret(b, 'Plan:', 'after'); await b.keyboard.type(' early'); }, expect: 'Plan: early before' },
      { name: 'delete before', run: async () => { await placeCaret(b, 'before', 'after'); for (let i = 0; i < 3; i++) await b.keyboard.press('Backspace'); }, expect: 'bef Xtarget' },
      { name: 'delete after', run: async () => { await placeCaret(b, 'after', 'before'); for (let i = 0; i < 2; i++) await b.keyboard.press('Delete'); }, expect: 'targetY ter end' },
      { name: 'delete right before the word', run: async () => { await placeCaret(b, 'Xtarget', 'before'); await b.keyboard.press('Delete'); }, expect: 'bef target' },
      { name: 'delete right after the word', run: async () => { await placeCaret(b, 'targetY', 'after'); await b.keyboard.press('Backspace'); }, expect: 'bef target ter end' },
    ];
    for (const edit of edits) {
      await edit.run();
      for (const [who, page] of [['council', a], ['NHS', b]]) {
        await within(kLiveDeadlineMs, async () => (await editorText(page)).includes(edit.expect),
          `${edit.name}: the ${who} editor shows "${edit.expect}"`);
        const anchored = await within(kLiveDeadlineMs, async () => {
          const text = await activeAnchorText(page);
          return text === 'target' ? text : null;
        }, `${edit.name}: the comment still covers exactly "target" for the ${who} editor ` +
          `(it covers ${JSON.stringify(await activeAnchorText(page))})`);
        assert.equal(anchored, 'target');
      }
    }

    // Resolve and reopen, as the NHS editor; the council sees the outcome.
    await b.locator('.agora-thread button', { hasText: 'Resolve' }).click();
    await within(kLoadDeadlineMs, async () => (await a.locator('.agora-thread--resolved').count()) === 1,
      'the council sees the thread resolved');
    await b.locator('.agora-thread button', { hasText: 'Reopen' }).click();
    await within(kLoadDeadlineMs, async () =>
      (await a.locator('.agora-thread').count()) === 1 && (await a.locator('.agora-thread--resolved').count()) === 0,
    'the council sees the thread reopened');

    // A reply from the council reaches the NHS editor.
    await a.locator('.agora-thread textarea').fill('Yes: the 14th.');
    await a.locator('.agora-thread__reply button[type="submit"]').click();
    await within(kLoadDeadlineMs, async () => (await b.locator('.agora-thread').innerText()).includes('Yes: the 14th.'),
      'the reply reaches the NHS editor');
  });

  test('an uploaded image shows for both editors', async () => {
    const { page: a } = councilPage;
    const { page: b } = nhsPage;
    await a.locator(editorSelector).click();
    await a.keyboard.press('Control+End');
    await a.locator('[data-command="image"]').click();
    await a.locator('#document-image-file').setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: tinyPng() });
    await a.locator('#document-image-alt').fill('A teal dot');
    await a.locator('#document-image-form button[type="submit"]').click();
    for (const page of [a, b]) {
      await within(kLoadDeadlineMs, async () => page.evaluate((selector) => {
        const img = document.querySelector(`${selector} img[alt="A teal dot"]`);
        return !!img && img.src.startsWith('data:image/png') && img.complete && img.naturalWidth === 1;
      }, editorSelector), 'the image is drawn');
    }
  });

  test('the API refuses what it must, with JSON errors', async () => {
    const comments = `/api/documents/${documentId}/comments`;
    const bad = await api('GET', comments, 'not-a-token');
    assert.equal(bad.status, 403);
    assert.equal(typeof bad.json?.error?.message, 'string');
    assert.equal((await api('GET', comments)).status, 403);
    // A token for one document opens no other.
    assert.equal((await api('GET', `/api/documents/${otherDocumentId}/comments`, tokens.council)).status, 403);
    // No role on the document: refused, though the token is genuine.
    assert.equal((await api('GET', comments, tokens.housing)).status, 403);
    // A token for one document says nothing about whether another id exists: the same 403.
    const unknownDocument = await api('GET', '/api/documents/999999/comments', tokens.council);
    assert.equal(unknownDocument.status, 403);
    assert.match(unknownDocument.json.error.message, /the token is for another document/);

    const listed = await api('GET', comments, tokens.police);
    assert.equal(listed.status, 200, 'viewers read comments');
    assert.equal(listed.json.can_comment, false);
    assert.equal(listed.json.threads.length, 1);
    const [thread] = listed.json.threads;
    assert.equal(thread.quote, 'target');
    assert.equal(thread.author.organisation.length > 0, true);

    const anchor = { anchor_start: thread.anchor_start, anchor_end: thread.anchor_end, quote: 'target' };
    const byViewer = await api('POST', comments, tokens.police, { ...anchor, body: 'I should not be able to say this' });
    assert.equal(byViewer.status, 403);
    assert.equal((await api('POST', `${comments}/${thread.id}/replies`, tokens.police, { body: 'nor this' })).status, 403);
    assert.equal((await api('POST', `${comments}/${thread.id}/resolve`, tokens.police)).status, 403);

    const tooLong = await api('POST', comments, tokens.nhs, { ...anchor, body: 'x'.repeat(5001) });
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.json.error.message, 'the comment is 5001 characters; the limit is 5000');
    assert.equal((await api('POST', comments, tokens.nhs, { body: 'no anchor' })).status, 400);
    assert.equal((await api('POST', comments, tokens.nhs, 'not an object')).status, 400);
    assert.equal((await api('POST', `${comments}/999999/replies`, tokens.nhs, { body: 'hello' })).status, 404);
    // Another site's page may not post, even with a token it should never have.
    const crossSite = await fetch(url(comments), {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokens.nhs}`, 'Content-Type': 'application/json', Origin: 'https://evil.example' },
      body: JSON.stringify({ ...anchor, body: 'from elsewhere' }),
    });
    assert.equal(crossSite.status, 403);

    // Images: the bytes must be the type they claim; editors only; readers get them back as sent.
    const images = `/api/documents/${documentId}/images`;
    const png = tinyPng();
    assert.equal((await api('POST', images, tokens.nhs, png, 'image/jpeg')).status, 400);
    assert.equal((await api('POST', images, tokens.nhs, Buffer.from('<svg/>'), 'image/svg+xml')).status, 400);
    assert.equal((await api('POST', images, tokens.police, png, 'image/png')).status, 403);
    const uploaded = await api('POST', images, tokens.nhs, png, 'image/png');
    assert.equal(uploaded.status, 201);
    assert.match(uploaded.json.url, new RegExp(`^/documents/${documentId}/images/[0-9a-f]{64}$`));
    const fetched = await fetch(url(uploaded.json.url), { headers: { Authorization: `Bearer ${tokens.police}` } });
    assert.equal(fetched.status, 200);
    assert.equal(fetched.headers.get('content-type'), 'image/png');
    assert.equal(fetched.headers.get('x-content-type-options'), 'nosniff');
    assert.deepEqual(Buffer.from(await fetched.arrayBuffer()), png);
    assert.equal((await fetch(url(uploaded.json.url))).status, 403);
    // The same bytes are not reachable through a document they were never uploaded to.
    const hash = uploaded.json.url.split('/').pop();
    const elsewhere = await fetch(url(`/documents/${otherDocumentId}/images/${hash}`),
      { headers: { Authorization: `Bearer ${tokens.housingOther}` } });
    assert.equal(elsewhere.status, 404);
  });

  test('the page refuses bad links and unknown documents, saying what to do', async () => {
    const expired = agora('collab', 'token', '--user', council, '--document', documentId, '--ttl', '1');
    await sleep(2100);
    for (const [token, status] of [[expired, 403], ['garbage', 403], ['', 403], [tokens.housing, 403]]) {
      const response = await fetch(url(`/documents/${documentId}?token=${encodeURIComponent(token)}`));
      assert.equal(response.status, status);
      const html = await response.text();
      assert.match(html, /Ask the person who shared the document with you for a new link/);
    }
    assert.equal((await fetch(url(`/documents/99999999?token=${encodeURIComponent(tokens.council)}`))).status, 403);
    assert.equal((await fetch(url('/documents/not-a-number'))).status, 404);
    // An unknown document is not revealed to someone without a genuine token.
    assert.equal((await fetch(url('/documents/99999999?token=garbage'))).status, 403);
  });

  test('axe-core finds no WCAG 2.2 A/AA violations, and nothing is blocked', async () => {
    for (const opened of [councilPage, policePage]) {
      const violations = await axeViolations(opened.page);
      assert.deepEqual(violations, [], `axe violations on ${opened.page.url()}:\n${JSON.stringify(violations, null, 2)}`);
      await assertNoCspViolations(opened);
    }
    // The Welsh page too, with its own words.
    const welsh = await openDocument(nhsBrowser, documentId, tokens.nhs, { lang: 'cy' });
    try {
      await waitForState(welsh.page, 'saved');
      assert.equal(await welsh.page.getAttribute('html', 'lang'), 'cy');
      // The words follow the state once it has held for a moment (status.ts).
      await within(kLoadDeadlineMs, async () => /Wedi cysylltu/.test(await welsh.page.locator('#document-status').innerText()),
        'the Welsh status line');
      const violations = await axeViolations(welsh.page);
      assert.deepEqual(violations, [], `axe violations on the Welsh page:\n${JSON.stringify(violations, null, 2)}`);
      await assertNoCspViolations(welsh);
    } finally {
      await welsh.page.close();
    }
  });

  test('the toolbar works by keyboard', async () => {
    const { page } = councilPage;
    await page.locator(editorSelector).click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('Bold words');
    await page.keyboard.press('Shift+Home');
    // ProseMirror takes the new selection from the selectionchange event, which a person's next
    // key press never outruns but a script's can.
    await settleSelection(page);
    // Alt+F10 reaches the toolbar; its first button is Bold.
    await page.keyboard.press('Alt+F10');
    assert.ok(await page.evaluate(() => !!document.activeElement?.closest('#document-toolbar')), 'Alt+F10 reaches the toolbar');
    await page.keyboard.press('Home');
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.command), 'bold');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.command), 'italic');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Enter');
    // Every character of the paragraph is inside <strong>. (Another person's caret, drawn in the
    // middle of the words, splits them between two <strong> elements.)
    const allBold = () => page.evaluate((selector) => {
      const root = document.querySelector(selector);
      const paragraph = Array.from(root.querySelectorAll('p')).find((p) => {
        const copy = p.cloneNode(true);
        for (const widget of copy.querySelectorAll('.ProseMirror-widget')) widget.remove();
        return copy.textContent === 'Bold words';
      });
      if (!paragraph) return false;
      const walker = document.createTreeWalker(paragraph, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.parentElement.closest('.ProseMirror-widget')) continue;
        if (!node.parentElement.closest('strong')) return false;
      }
      return true;
    }, editorSelector);
    await within(kLiveDeadlineMs, allBold, 'the words are bold').catch(async (error) => {
      const html = await page.evaluate((selector) => document.querySelector(selector).lastElementChild.outerHTML, editorSelector);
      throw new Error(`${error.message}; the last block is ${html}`);
    });
    assert.equal(await page.getAttribute('[data-command="bold"]', 'aria-pressed'), 'true');
    // Only one of the toolbar's buttons is in the Tab order.
    assert.equal(await page.locator('#document-toolbar button[tabindex="0"]').count(), 1);
  });

  test('without JavaScript the page shows the document and says editing needs it', async () => {
    const noScript = await launch({ javaScriptEnabled: false });
    try {
      const page = await noScript.newPage();
      const response = await page.goto(url(`/documents/${documentId}?token=${encodeURIComponent(tokens.police)}`));
      assert.equal(response.status(), 200);
      assert.match(await page.locator('#document-no-script').innerText(), /need JavaScript/);
      const shown = await page.locator('#document-static').innerText();
      assert.ok(shown.includes('Council: the family needs a school place.'), shown);
      assert.ok(shown.includes('NHS: health visitor booked for Tuesday.'), shown);
      assert.equal(await page.locator('#document-editor').isVisible(), false);
      assert.equal(response.headers()['cache-control'], 'no-store');
    } finally {
      await noScript.close();
    }
  });

  test('the stored document holds both people’s text', async () => {
    const html = agora('doc', 'export', '--document', documentId, '--format', 'html');
    assert.ok(html.includes('Council: the family needs a school place.'), html);
    assert.ok(html.includes('NHS: health visitor booked for Tuesday.'), html);
    assert.ok(html.includes('bef target ter end'), html);
    assert.match(html, /<img src="\/documents\/\d+\/images\/[0-9a-f]{64}" alt="A teal dot">/);
    assert.ok(!html.includes('VIEWER-WAS-HERE'));
  });
});
