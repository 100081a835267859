// Hostile input to the collab server (issue 4), sent by hand on raw sockets: garbage frames,
// malformed and truncated updates, an update for a document the socket never authenticated, a
// 100 MB frame, thousands of awareness ids, a message flood and a client that never reads.
// Each is rejected the way the contract says, and after each one: GET /healthz answers 200,
// the clients that behaved are still connected and served, their document is intact, and nothing
// of a refused update is stored or relayed.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import * as encoding from 'lib0/encoding';

import {
  Session, Y, assertHealthy, collabToken, createDocument, createRng, decodeHocus, decodeYws, docContent,
  encodeAwareness, exportUpdate, hocus, kDemo, rssKiB, serverLogTail, shareDocument, sleep, startDemoServer,
  storedContent, waitConverged, waitUntil, yws,
} from './clients.mjs';

const kOwner = kDemo.council[0];
const kEditor = kDemo.council[1];
const kBystanderY = kDemo.nhs[0];
const kBystanderH = kDemo.police[0];
const kProtocolCloses = [1002, 1003, 1007, 1008];

let server;
let session;
let doc;          // the document the bystanders hold, and most attacks target
let otherDoc;     // a document the attacking editor may edit but never authenticates on a socket
let expected;     // the content doc must keep
let expectedOther;
let bystanders;

before(async () => {
  server = await startDemoServer();
  session = new Session(server);
  doc = createDocument(server, { owner: kOwner, title: 'Bad input target' });
  otherDoc = createDocument(server, { owner: kOwner, title: 'Never authenticated' });
  for (const d of [doc, otherDoc]) {
    for (const user of [kEditor, kBystanderY, kBystanderH]) shareDocument(server, { document: d, user, role: 'editor' });
  }
  const by = session.yws({ name: 'bystander-yws', document: doc, token: token(kBystanderY) });
  const bh = session.hocus({ name: 'bystander-hocus', document: doc, token: token(kBystanderH) });
  bystanders = [by, bh];
  for (const b of bystanders) await b.waitSynced();
  by.doc.getText('text').insert(0, 'The minutes of the partnership board. ');
  bh.doc.getMap('meta').set('status', 'draft');
  const p = new Y.XmlElement('paragraph');
  p.insert(0, [new Y.XmlText('Agreed actions follow.')]);
  bh.doc.getXmlFragment('default').insert(0, [p]);
  expected = await waitConverged(bystanders);
  await bh.waitAcked();
  by.awareness.setLocalStateField('user', { name: 'bystander' });
  // The other document gets content too, so "unchanged" means something.
  const o = session.hocus({ name: 'other-owner', document: otherDoc, token: token(kOwner, otherDoc) });
  await o.waitSynced();
  o.doc.getText('text').insert(0, 'Other document text.');
  await o.waitAcked();
  o.destroy();
  expectedOther = storedContent(server, otherDoc);
  assert.equal(storedContent(server, doc), expected, 'the store starts with what the bystanders have');
});

after(async () => {
  await session?.close();
  if (server) {
    const exit = await server.stop();
    server.cleanup();
    assert.equal(exit.code, 0, `the server exits cleanly after all the bad input (stderr:\n${server.stderrTail(2000)})`);
  }
});

function token(user, document = doc, ttl) {
  return collabToken(server, { user, document, ttl });
}

const ywsPath = (user = kEditor, document = doc) => `/collab/ws/${document}?token=${encodeURIComponent(token(user, document))}`;

// How many sockets each bystander had when the current test began (they reconnect by themselves
// when a test disconnects them, so one failure does not spill into the next test).
let socketsAtStart = [];
beforeEach(async () => {
  for (const b of bystanders ?? []) {
    await waitUntil(() => b.connected && b.synced, { what: `${b.name} connected before the next test`, diagnostics: () => b.describe() });
  }
  socketsAtStart = (bystanders ?? []).map((b) => b.sockets.length);
});

/**
 * After each attack: the server is healthy, the bystanders never lost their connection and are
 * still served (a round trip each), and the documents hold exactly what they held before.
 */
async function assertUnharmed(what) {
  await assertHealthy(server, assert);
  for (const [i, b] of bystanders.entries()) {
    const closes = b.sockets.slice(socketsAtStart[i] - 1).map((r) => r.close).filter(Boolean);
    assert.deepEqual(closes, [], `${what}: ${b.name} must keep its connection`);
    assert.equal(b.sockets.length, socketsAtStart[i], `${what}: ${b.name} did not have to reconnect`);
    await b.roundTrip();
    assert.equal(docContent(b.doc), expected, `${what}: ${b.name}'s document is intact`);
  }
  assert.equal(storedContent(server, doc), expected, `${what}: nothing of it is stored in the target document`);
  assert.equal(storedContent(server, otherDoc), expectedOther, `${what}: nothing of it is stored in the other document`);
}

/** A raw y-websocket socket of an editor, once the server has greeted it with its sync step 1. */
async function openYws(options) {
  const raw = await session.raw(ywsPath(), options);
  assert.equal(raw.httpStatus, null, 'the upgrade succeeds');
  await raw.next((f) => f.type === 'sync' && f.step === 'step1', { what: 'the server\'s sync step 1' });
  return raw;
}

/** A raw Hocuspocus socket authenticated on `document` as an editor. */
async function openHocus(document = doc, user = kEditor) {
  const raw = await session.raw('/collab/ws');
  assert.equal(raw.httpStatus, null, 'the upgrade succeeds');
  await raw.send(hocus.auth(document, token(user, document)));
  const answer = await raw.next((f) => f.document === String(document) && (f.type === 'authenticated' || f.type === 'permission-denied'),
    { decode: decodeHocus, what: 'the answer to our auth' });
  assert.equal(answer.type, 'authenticated', `authenticated as an editor: ${JSON.stringify(answer)}`);
  await raw.send(hocus.syncStep1(document, Y.encodeStateVector(new Y.Doc())));
  await raw.next((f) => f.document === String(document) && f.type === 'sync' && f.step === 'step2', { decode: decodeHocus, what: 'sync step 2' });
  return raw;
}

/** Whether a raw socket still works: a sync step 1 gets its step 2 back. */
async function stillServes(raw, kind, document = doc) {
  if (!raw.isOpen) return false;
  if (kind === 'yws') {
    await raw.send(yws.syncStep1(Y.encodeStateVector(new Y.Doc())));
    await raw.next((f) => f.type === 'sync' && f.step === 'step2', { what: 'step 2 on the still-open socket' });
  } else {
    await raw.send(hocus.syncStep1(document, Y.encodeStateVector(new Y.Doc())));
    await raw.next((f) => f.document === String(document) && f.type === 'sync' && f.step === 'step2', { decode: decodeHocus, what: 'step 2 on the still-open socket' });
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Updates built by hand

/** A v1 update of two clients (the higher id first, as Yjs writes them) each inserting a string into root "text". */
function twoClientUpdate({ secondInfo = 4, firstText = 'REFUSED-PART-ONE', secondText = 'REFUSED-PART-TWO' } = {}) {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 2);
  for (const [client, info, text] of [[900002, 4, firstText], [900001, secondInfo, secondText]]) {
    encoding.writeVarUint(e, 1);      // structs
    encoding.writeVarUint(e, client);
    encoding.writeVarUint(e, 0);      // first clock
    encoding.writeUint8(e, info);     // 4: ContentString, no origins, parent given
    encoding.writeVarUint(e, 1);      // parent is a root type...
    encoding.writeVarString(e, 'text'); // ...named "text"
    encoding.writeVarString(e, text);
  }
  encoding.writeVarUint(e, 0);        // empty delete set
  return encoding.toUint8Array(e);
}

/** Whether Yjs itself refuses the update (throws while applying it to an empty document). */
function yjsRefuses(update) {
  const d = new Y.Doc();
  try {
    Y.applyUpdate(d, update);
    return false;
  } catch {
    return true;
  } finally {
    d.destroy();
  }
}

/** The malformed updates: each one Yjs itself refuses; each carries text that must never be stored. */
function malformedUpdates() {
  const valid = twoClientUpdate();
  const cases = [
    ['last byte (the delete set) cut off', valid.subarray(0, valid.length - 1)],
    ['cut in the middle of the second client\'s string', valid.subarray(0, valid.length - 8)],
    ['cut after the first client block', valid.subarray(0, Math.floor(valid.length / 2) + 3)],
    ['second struct with content type 15', twoClientUpdate({ secondInfo: 15 })],
    ['string length beyond the end', (() => { const u = new Uint8Array(valid); u[u.length - 2 - 'REFUSED-PART-TWO'.length] = 0x7f; return u; })()],
    ['a hundred clients announced, two present', (() => { const u = new Uint8Array(valid); u[0] = 100; return u; })()],
  ];
  return cases;
}

// ---------------------------------------------------------------------------------------------

describe('hand-built updates are what we think they are', () => {
  it('the valid two-client update applies in Yjs; every malformed one is refused by Yjs', () => {
    const d = new Y.Doc();
    Y.applyUpdate(d, twoClientUpdate());
    assert.match(d.getText('text').toString(), /REFUSED-PART-ONE/);
    assert.match(d.getText('text').toString(), /REFUSED-PART-TWO/);
    for (const [what, update] of malformedUpdates()) assert.ok(yjsRefuses(update), `Yjs refuses: ${what}`);
  });
});

describe('malformed updates: close 1007 "update refused", nothing stored', () => {
  for (const [what, update] of malformedUpdates()) {
    for (const [kind, frame] of [
      ['y-websocket update', (u) => yws.update(u)],
      ['y-websocket sync step 2', (u) => yws.syncStep2(u)],
      ['Hocuspocus update', (u) => hocus.update(doc, u)],
    ]) {
      it(`${kind}: ${what}`, async () => {
        const raw = kind.startsWith('Hocuspocus') ? await openHocus() : await openYws();
        const decode = kind.startsWith('Hocuspocus') ? decodeHocus : decodeYws;
        await raw.send(frame(update));
        const close = await raw.waitClose(5000);
        assert.ok(close, `the server closes the connection (frames: ${raw.describeFrames(decode)})`);
        assert.equal(close.code, 1007, `close code 1007, got ${JSON.stringify(close)}`);
        assert.match(close.reason, /^update refused/, `close reason starts "update refused": ${JSON.stringify(close.reason)}`);
        const acked = raw.frames.map(decode).filter((f) => f.type === 'sync-status' && f.applied);
        assert.equal(acked.length, 0, 'no SyncStatus(applied) for a refused update');
        await assertUnharmed(`${kind}, ${what}`);
        for (const b of bystanders) assert.ok(!b.doc.getText('text').toString().includes('REFUSED'), `${b.name} never received any of it`);
      });
    }
  }

  it('a message whose update length runs past the end of the frame', async () => {
    const raw = await openYws();
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 0);
    encoding.writeVarUint(e, 2);
    encoding.writeVarUint(e, 500); // announces 500 bytes...
    encoding.writeUint8Array(e, twoClientUpdate()); // ...sends fewer
    await raw.send(encoding.toUint8Array(e));
    const close = await raw.waitClose(5000);
    assert.ok(close && kProtocolCloses.includes(close.code), `closed with a protocol error code: ${JSON.stringify(close)}`);
    await assertUnharmed('update length past the end of the frame');
  });
});

describe('garbage frames', () => {
  const rng = createRng(0xbad1);
  const garbageYws = [
    ['an empty frame', new Uint8Array(0)],
    ['ten 0xff bytes (a varint that never ends)', new Uint8Array(10).fill(0xff)],
    ['64 random bytes', Uint8Array.from({ length: 64 }, () => rng.int(256))],
    ['sync type with nothing after it', Uint8Array.of(0)],
    ['sync step 7', Uint8Array.of(0, 7, 0)],
    ['awareness cut short', Uint8Array.of(1, 3, 1, 1)],
    ['awareness whose state is not JSON', (() => {
      const e = encoding.createEncoder();
      encoding.writeVarUint(e, 1); encoding.writeVarUint(e, 12345); encoding.writeVarUint(e, 1); encoding.writeVarString(e, '{not json');
      return yws.awareness(encoding.toUint8Array(e));
    })()],
  ];
  for (const [what, bytes] of garbageYws) {
    it(`y-websocket: ${what} -> closed with a protocol error`, async () => {
      const raw = await openYws();
      await raw.send(bytes);
      const close = await raw.waitClose(5000);
      assert.ok(close, `the server closes the connection (frames after: ${raw.describeFrames()})`);
      assert.ok(kProtocolCloses.includes(close.code), `close code one of ${kProtocolCloses}: ${JSON.stringify(close)}`);
      await assertUnharmed(`y-websocket ${what}`);
    });
  }

  it('y-websocket: an unknown message type is ignored or refused, never harmful', async (t) => {
    const raw = await openYws();
    await raw.send(Uint8Array.of(99, 1, 2, 3));
    const close = await raw.waitClose(500);
    if (close) {
      assert.ok(kProtocolCloses.includes(close.code), `closed with a protocol error code: ${JSON.stringify(close)}`);
    } else {
      assert.ok(await stillServes(raw, 'yws'), 'left open, the socket still works');
      t.diagnostic('the server ignores an unknown y-websocket message type');
    }
    await assertUnharmed('unknown message type');
  });

  it('y-websocket: a text frame is ignored or refused, never harmful', async (t) => {
    const raw = await openYws();
    await raw.send('hello', { binary: false });
    const close = await raw.waitClose(500);
    if (close) {
      assert.ok(kProtocolCloses.includes(close.code), `closed with a protocol error code: ${JSON.stringify(close)}`);
    } else {
      assert.ok(await stillServes(raw, 'yws'), 'left open, the socket still works');
      t.diagnostic('the server ignores a text frame');
    }
    await assertUnharmed('text frame');
  });

  const garbageHocus = [
    ['ten 0xff bytes', new Uint8Array(10).fill(0xff)],
    ['a document name longer than the frame', Uint8Array.of(0x50, 0x61)],
    ['a document name that is not UTF-8', Uint8Array.of(2, 0xff, 0xfe, 0)],
  ];
  for (const [what, bytes] of garbageHocus) {
    it(`Hocuspocus: ${what} -> closed with a protocol error`, async () => {
      const raw = await openHocus();
      await raw.send(bytes);
      const close = await raw.waitClose(5000);
      assert.ok(close, `the server closes the connection (frames after: ${raw.describeFrames(decodeHocus)})`);
      assert.ok(kProtocolCloses.includes(close.code), `close code one of ${kProtocolCloses}: ${JSON.stringify(close)}`);
      await assertUnharmed(`Hocuspocus ${what}`);
    });
  }

  it('Hocuspocus: sync step 7 on the authenticated document -> closed with a protocol error', async () => {
    const raw = await openHocus();
    const e = encoding.createEncoder();
    encoding.writeVarString(e, String(doc));
    encoding.writeVarUint(e, 0);
    encoding.writeVarUint(e, 7);
    encoding.writeVarUint8Array(e, Uint8Array.of(0, 0));
    await raw.send(encoding.toUint8Array(e));
    const close = await raw.waitClose(5000);
    assert.ok(close && kProtocolCloses.includes(close.code), `closed with a protocol error code: ${JSON.stringify(close)}`);
    await assertUnharmed('Hocuspocus sync step 7');
  });
});

describe('a Hocuspocus frame for a document the socket did not authenticate', () => {
  for (const [what, target] of [
    ['a document the same person may edit', () => otherDoc],
    ['a document that does not exist', () => '987654321'],
    ['a name that is not a document id', () => 'not-a-document'],
  ]) {
    it(`${what}: nothing applied, nothing acknowledged`, async (t) => {
      const raw = await openHocus(doc);
      const name = String(target());
      const forged = new Y.Doc();
      forged.getText('text').insert(0, 'UNAUTHENTICATED-EDIT ');
      forged.getMap('meta').set('status', 'hijacked');
      const update = Y.encodeStateAsUpdate(forged);
      await raw.send(hocus.update(name, update));
      await raw.send(hocus.syncStep2(name, update));
      await raw.send(hocus.awareness(name, encodeAwareness([{ clientID: 777, clock: 1, state: { user: { name: 'intruder' } } }])));
      await raw.send(hocus.syncStep1(name, Y.encodeStateVector(new Y.Doc())));
      const answered = raw.isOpen && await stillServes(raw, 'hocus', doc).catch(() => false);
      const frames = raw.frames.map(decodeHocus).filter((f) => f.document === name);
      t.diagnostic(`socket ${answered ? 'still serves its own document' : `closed ${JSON.stringify(raw.close)}`}; frames for ${name}: ${frames.map((f) => f.type).join(', ') || 'none'}`);
      if (!answered) assert.ok(raw.close && kProtocolCloses.includes(raw.close.code), `closed with a protocol error code: ${JSON.stringify(raw.close)}`);
      assert.ok(!frames.some((f) => f.type === 'sync-status' && f.applied), `no SyncStatus(applied) for ${name}`);
      assert.ok(!frames.some((f) => (f.type === 'sync' || f.type === 'sync-reply') && f.step === 'step2' && Y.decodeUpdate(f.payload).structs.length > 0),
        `no content of ${name} sent to a socket that did not authenticate it`);
      raw.destroy();
      await sleep(100);
      await assertUnharmed(`update for ${what}`);
      for (const b of bystanders) {
        assert.ok(![...b.awareness.getStates().values()].some((s) => s?.user?.name === 'intruder'), `${b.name} saw no awareness from the forged frame`);
      }
      forged.destroy();
    });
  }
});

describe('size limits', () => {
  for (const [what, path] of [['y-websocket, authenticated', () => ywsPath()], ['Hocuspocus, before any auth', () => '/collab/ws']]) {
    it(`${what}: a 100 MB frame is closed with 1009 long before it is all sent`, async (t) => {
      const s = await session.frameSocket(path());
      if (path().startsWith('/collab/ws/')) {
        await waitUntil(() => s.frames.length > 0, { what: 'the server\'s greeting' });
      }
      const baseline = rssKiB(server.child.pid);
      const total = 100 * 1024 * 1024;
      const sent = await s.streamFrame(total);
      await s.waitClosed(10_000);
      const grown = rssKiB(server.child.pid) - baseline;
      t.diagnostic(`sent ${(sent / 1048576).toFixed(1)} MiB of ${total / 1048576} before the close; server RSS grew ${(grown / 1024).toFixed(1)} MiB`);
      assert.ok(s.close, `the server sent a close frame (connection ended: ${s.ended}, error: ${s.error})`);
      assert.equal(s.close.code, 1009, `close code 1009: ${JSON.stringify(s.close)}`);
      assert.ok(sent < total, 'the server closed before the whole frame was sent');
      assert.ok(grown < 80 * 1024, `the server did not buffer the frame (RSS grew ${(grown / 1024).toFixed(1)} MiB)`);
      s.destroy();
      await assertUnharmed(`100 MB frame, ${what}`);
    });
  }

  it('a 17 MiB frame (just over the 16 MiB limit) is closed with 1009', async () => {
    const s = await session.frameSocket(ywsPath());
    await waitUntil(() => s.frames.length > 0, { what: 'the server\'s greeting' });
    await s.streamFrame(17 * 1024 * 1024);
    await s.waitClosed(10_000);
    assert.equal(s.close?.code, 1009, `close code 1009: ${JSON.stringify(s.close)}`);
    s.destroy();
    await assertUnharmed('17 MiB frame');
  });
});

describe('awareness abuse', () => {
  const entries = (n, base = 1_000_000) => Array.from({ length: n }, (_, i) => ({ clientID: base + i, clock: 1, state: { user: { name: `ghost ${i}` } } }));

  it('y-websocket: thousands of awareness client ids in one message -> close 1008', async () => {
    const raw = await openYws();
    await raw.send(yws.awareness(encodeAwareness(entries(5000))));
    const close = await raw.waitClose(5000);
    assert.equal(close?.code, 1008, `close 1008: ${JSON.stringify(close)}`);
    await assertUnharmed('5000 awareness ids');
    for (const b of bystanders) assert.ok(b.awareness.getStates().size < 10, `${b.name} did not get thousands of ghosts (${b.awareness.getStates().size} states)`);
  });

  it('y-websocket: 8 awareness ids are fine, a 9th one -> close 1008', async () => {
    const raw = await openYws();
    const ids = entries(9, 2_000_000);
    for (const e of ids.slice(0, 8)) await raw.send(yws.awareness(encodeAwareness([e])));
    assert.ok(await stillServes(raw, 'yws'), 'eight awareness ids on one connection are allowed');
    assert.equal(raw.close, null, 'still open after eight ids');
    await raw.send(yws.awareness(encodeAwareness([ids[8]])));
    const close = await raw.waitClose(5000);
    assert.equal(close?.code, 1008, `close 1008 at the ninth id: ${JSON.stringify(close)}`);
    await assertUnharmed('nine awareness ids');
  });

  it('Hocuspocus: thousands of awareness client ids -> close 1008', async () => {
    const raw = await openHocus();
    await raw.send(hocus.awareness(doc, encodeAwareness(entries(5000, 3_000_000))));
    const close = await raw.waitClose(5000);
    assert.equal(close?.code, 1008, `close 1008: ${JSON.stringify(close)}`);
    await assertUnharmed('5000 awareness ids over Hocuspocus');
  });
});

describe('floods', () => {
  it('a flood of sync step 1 messages -> close 1008 "too many messages"', async (t) => {
    const raw = await openYws();
    raw.keepFrames = false;
    const step1 = yws.syncStep1(Y.encodeStateVector(new Y.Doc()));
    let sent = 0;
    const pending = [];
    for (let i = 0; i < 5000 && raw.isOpen; i++) {
      pending.push(raw.send(step1));
      sent++;
    }
    await Promise.all(pending);
    const close = await raw.waitClose(5000);
    t.diagnostic(`sent ${sent} messages before the close`);
    assert.equal(close?.code, 1008, `close 1008: ${JSON.stringify(close)}`);
    assert.match(close.reason, /too many messages/, `reason says "too many messages": ${JSON.stringify(close.reason)}`);
    await assertUnharmed('sync step 1 flood');
  });

  // Every awareness message is relayed to the room, and the y-websocket provider sends every
  // awareness change it receives back to the server: the flood must not get the well-behaved
  // y-websocket bystander cut off for "too many messages" in its place.
  it('a flood of awareness messages -> close 1008 "too many messages", bystanders unharmed', async (t) => {
    const raw = await openYws();
    raw.keepFrames = false;
    const id = 4_000_000;
    let sent = 0;
    const pending = [];
    for (let clock = 1; clock <= 5000 && raw.isOpen; clock++) {
      pending.push(raw.send(yws.awareness(encodeAwareness([{ clientID: id, clock, state: { n: clock } }]))));
      sent++;
    }
    await Promise.all(pending);
    const close = await raw.waitClose(5000);
    t.diagnostic(`sent ${sent} messages before the close`);
    assert.equal(close?.code, 1008, `close 1008: ${JSON.stringify(close)}`);
    assert.match(close.reason, /too many messages/, `reason says "too many messages": ${JSON.stringify(close.reason)}`);
    await assertUnharmed('awareness flood');
  });

  it('awareness from clients each within the rate limit does not get a y-websocket bystander cut off', async (t) => {
    // Three cursor-happy clients, each sending 150 awareness messages a second (under the limit
    // of 200), for 8 s. The y-websocket bystander re-sends each change it receives, so its own
    // rate is the sum of theirs.
    const senders = [];
    for (let i = 0; i < 3; i++) senders.push(await openYws());
    for (const s of senders) s.keepFrames = false;
    const sentBefore = bystanders.map((b) => b.sockets.reduce((n, r) => n + r.sent.length, 0));
    const started = Date.now();
    let clock = 0;
    while (Date.now() - started < 8000 && senders.every((s) => s.isOpen)) {
      clock++;
      for (const [i, s] of senders.entries()) {
        for (let k = 0; k < 3; k++) s.send(yws.awareness(encodeAwareness([{ clientID: 5_000_000 + i, clock: clock * 3 + k, state: { cursor: clock * 3 + k } }])));
      }
      await sleep(20);
    }
    const echoed = bystanders.map((b, i) => `${b.name} sent ${b.sockets.reduce((n, r) => n + r.sent.length, 0) - sentBefore[i]}`);
    t.diagnostic(`${clock * 9} awareness messages in ${Date.now() - started} ms from 3 senders; meanwhile ${echoed.join(', ')}`);
    for (const [i, s] of senders.entries()) assert.equal(s.close, null, `sender ${i} stayed within its limit and was not closed`);
    await assertUnharmed('awareness within the limits');
  });

  it('a client that never reads is dropped while others write a lot; server memory stays bounded', async (t) => {
    const flood = createDocument(server, { owner: kOwner, title: 'Flood' });
    shareDocument(server, { document: flood, user: kEditor, role: 'editor' });
    shareDocument(server, { document: flood, user: kBystanderY, role: 'editor' });
    const stuck = await session.frameSocket(ywsPath(kBystanderY, flood));
    stuck.keepFrames = false;
    stuck.pause();
    let readerUpdates = 0;
    const reader = await session.raw(ywsPath(kBystanderY, flood), {
      keepFrames: false,
      onFrame: (bytes) => { if (bytes[0] === 0 && bytes[1] === 2) readerUpdates++; },
    });
    const writer = await session.raw(ywsPath(kEditor, flood));
    await writer.next((f) => f.type === 'sync' && f.step === 'step1', { what: 'the writer\'s greeting' });

    const baseline = rssKiB(server.child.pid);
    let peak = baseline;
    const sampler = setInterval(() => { try { peak = Math.max(peak, rssKiB(server.child.pid)); } catch { /* exited */ } }, 50);
    const rounds = 128;
    const chunk = 'x'.repeat(2 * 1024 * 1024);
    const source = new Y.Doc();
    const bulk = source.getText('bulk');
    let sentMessages = 0;
    try {
      for (let i = 0; i < rounds; i++) {
        // Insert 2 MiB and delete it again: 2 MiB to every reader, almost nothing kept in the document.
        let update = null;
        const grab = (u) => { update = u; };
        source.on('update', grab);
        bulk.insert(0, chunk);
        source.off('update', grab);
        assert.ok(await writer.send(yws.update(update)), `the writer can send round ${i}: ${JSON.stringify(writer.close)}`);
        source.on('update', grab);
        bulk.delete(0, bulk.length);
        source.off('update', grab);
        assert.ok(await writer.send(yws.update(update)), `the writer can send round ${i}: ${JSON.stringify(writer.close)}`);
        sentMessages += 2;
        // Keep the reading client at most a few updates behind: a client that keeps up is never
        // near its 32 MiB queue, while the stuck one falls further behind with every round.
        await waitUntil(() => {
          if (reader.close) throw new Error(`the reading client was disconnected: ${JSON.stringify(reader.close)} after ${readerUpdates} updates`);
          return readerUpdates >= sentMessages - 4;
        }, { timeoutMs: 30_000, what: `the reading client to keep up (round ${i})` });
      }
      await waitUntil(() => readerUpdates >= sentMessages, {
        timeoutMs: 60_000, what: `the reading client to receive all ${sentMessages} updates`,
        diagnostics: () => `reader got ${readerUpdates}, closed ${JSON.stringify(reader.close)}; writer closed ${JSON.stringify(writer.close)}\n${serverLogTail(server, 10)}`,
      });
    } finally {
      clearInterval(sampler);
      source.destroy();
    }
    const grownMiB = (peak - baseline) / 1024;
    t.diagnostic(`${sentMessages} messages, ${(sentMessages / 2) * 2} MiB to each reader; server RSS baseline ${(baseline / 1024).toFixed(0)} MiB, peak +${grownMiB.toFixed(0)} MiB; stuck socket received ${(stuck.bytesReceived / 1048576).toFixed(1)} MiB`);
    assert.equal(writer.close, null, 'the writer was not disconnected');
    assert.equal(reader.close, null, 'the reader that keeps up was not disconnected');
    assert.ok(grownMiB < 200, `server RSS stays within 200 MiB of its baseline (grew ${grownMiB.toFixed(0)} MiB)`);

    // The stuck client: once it reads again it must find its connection ended by the server,
    // not 256 MiB of queued updates.
    stuck.resume();
    const ended = await stuck.waitClosed(20_000);
    assert.ok(ended, `the server dropped the client that never read (it has received ${(stuck.bytesReceived / 1048576).toFixed(1)} MiB so far)`);
    assert.ok(stuck.bytesReceived < 128 * 1024 * 1024, `the dropped client did not get everything: ${(stuck.bytesReceived / 1048576).toFixed(1)} MiB`);

    // The flood document ends empty, in the store as in a fresh client.
    assert.equal(new Y.Doc().getText('bulk').toString(), (() => {
      const d = new Y.Doc();
      Y.applyUpdate(d, exportUpdate(server, flood));
      return d.getText('bulk').toString();
    })(), 'the flood document\'s text is empty in the store');
    await assertUnharmed('a client that never reads');
  });
});
