// Convergence of the collab server (issue 4) with real clients: y-websocket and Hocuspocus
// providers from npm make random concurrent edits on several documents, drop and regain their
// connections, and must all end with the same content, which must also be what the server stored.
// Also: awareness reaches every client of a room (the sender included), a late joiner receives the
// whole document, and a room that unloaded after its last client left still serves everything.
//
// Environment: AGORA_BIN (required); COLLAB_SEED replays a run (the seed is printed);
// COLLAB_STEPS sets the number of random steps (default 400).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  Session, Y, chooseSeed, collabToken, createDocument, createRng, decodeHocus, decodeYws, docContent,
  exportUpdate, kDemo, roots, serverLogTail, shareDocument, shorten, sleep, startDemoServer, stateVectorText,
  storedContent, waitConverged, waitUntil,
} from './clients.mjs';

const seed = chooseSeed();
const kSteps = Number(process.env.COLLAB_STEPS ?? 400);
console.log(`# collab convergence: seed ${seed}, ${kSteps} steps (replay with COLLAB_SEED=${seed})`);

const kOwner = kDemo.council[0];
const kEditors = [kDemo.council[1], kDemo.council[2], kDemo.council[3], kDemo.nhs[0], kDemo.nhs[1]];

/** A server with the demo loaded and `count` documents owned by kOwner, shared with kEditors as editors. */
async function serverWithDocuments(count, args = ['--collab-unload-after', '1']) {
  const server = await startDemoServer({ args });
  const documents = [];
  for (let i = 0; i < count; i++) {
    const id = createDocument(server, { owner: kOwner, title: `Convergence ${i}` });
    for (const user of kEditors) shareDocument(server, { document: id, user, role: 'editor' });
    documents.push(id);
  }
  return { server, documents };
}

// ---------------------------------------------------------------------------------------------
// Random edits

const kAlphabet = ['a', 'b', 'c', 'd', 'e', ' ', 'ŵ', 'ŷ', 'Ll', 'dd', '\n', '😀', 'é', '中'];

function randomString(rng, max = 8) {
  let s = '';
  const n = rng.range(1, max);
  for (let i = 0; i < n; i++) s += rng.pick(kAlphabet);
  return s;
}

function randomValue(rng) {
  switch (rng.int(6)) {
    case 0: return rng.int(1000) - 500;
    case 1: return randomString(rng);
    case 2: return rng.bool();
    case 3: return null;
    case 4: return { n: rng.int(10), list: [rng.int(5), randomString(rng, 3)] };
    default: return rng.next();
  }
}

// Yjs splits a string item at any UTF-16 index, and a split inside a surrogate pair turns both
// halves into U+FFFD on the splitting client only; editors never do that, so neither do we.
function plainOf(ytext) {
  return ytext.toDelta().map((d) => (typeof d.insert === 'string' ? d.insert : ' ')).join('');
}

function isInsidePair(s, i) {
  return i > 0 && i < s.length && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff;
}

/** A random index of `ytext`, never inside a surrogate pair. */
function safeIndex(rng, ytext, { end = true } = {}) {
  const s = plainOf(ytext);
  const i = rng.int(s.length + (end ? 1 : 0));
  return isInsidePair(s, i) ? i - 1 : i;
}

/** A random range [pos, pos+len) of `ytext` with neither end inside a surrogate pair; null when empty. */
function safeRange(rng, ytext, maxLength) {
  const s = plainOf(ytext);
  if (s.length === 0) return null;
  let pos = rng.int(s.length);
  if (isInsidePair(s, pos)) pos--;
  let end = Math.min(s.length, pos + rng.range(1, maxLength));
  if (isInsidePair(s, end)) end++;
  return { pos, len: end - pos };
}

const kTextAttributes = [{ bold: true }, { italic: true }, { bold: null }, { link: 'https://example.org/' }, { italic: null }];
const kMarks = [{ bold: {} }, { italic: {} }, { bold: null }];

/** One random edit of `doc`; returns a short description for the log of a failing run. */
function randomEdit(rng, doc) {
  const { text, map, xml } = roots(doc);
  const r = rng.next();
  if (r < 0.30) {
    const pos = safeIndex(rng, text);
    const s = randomString(rng);
    if (rng.bool(0.3)) text.insert(pos, s, rng.pick(kTextAttributes)); else text.insert(pos, s);
    return `text insert ${pos} ${JSON.stringify(s)}`;
  }
  if (r < 0.42) {
    const range = safeRange(rng, text, 6);
    if (!range) return 'text delete (empty)';
    const { pos, len } = range;
    text.delete(pos, len);
    return `text delete ${pos} ${len}`;
  }
  if (r < 0.50) {
    const range = safeRange(rng, text, 10);
    if (!range) return 'text format (empty)';
    const { pos, len } = range;
    const attrs = rng.pick(kTextAttributes);
    text.format(pos, len, attrs);
    return `text format ${pos} ${len} ${JSON.stringify(attrs)}`;
  }
  if (r < 0.62) {
    const key = rng.pick(['title', 'status', 'owner', 'due', 'tags', 'a', 'b']);
    const value = randomValue(rng);
    map.set(key, value);
    return `map set ${key}`;
  }
  if (r < 0.66) {
    const key = rng.pick(['title', 'status', 'owner', 'due', 'tags', 'a', 'b']);
    map.delete(key);
    return `map delete ${key}`;
  }
  if (r < 0.69) {
    const list = new Y.Array();
    list.push([rng.int(100), randomString(rng, 3)]);
    map.set('nested', list);
    return 'map set nested Y.Array';
  }
  // The TipTap fragment "default": paragraphs and headings holding Y.XmlText.
  const elements = xml.toArray().filter((n) => n instanceof Y.XmlElement);
  const x = rng.next();
  if (x < 0.35 || elements.length === 0) {
    const el = new Y.XmlElement(rng.bool(0.8) ? 'paragraph' : 'heading');
    if (el.nodeName === 'heading') el.setAttribute('level', String(rng.range(1, 3)));
    el.insert(0, [new Y.XmlText(randomString(rng))]);
    const pos = rng.int(xml.length + 1);
    xml.insert(pos, [el]);
    return `xml insert ${el.nodeName} at ${pos}`;
  }
  const el = rng.pick(elements);
  const inner = el.get(0);
  if (x < 0.65 && inner instanceof Y.XmlText) {
    const pos = safeIndex(rng, inner);
    inner.insert(pos, randomString(rng, 5));
    return `xml text insert ${pos}`;
  }
  if (x < 0.75 && inner instanceof Y.XmlText && inner.length > 0) {
    const { pos, len } = safeRange(rng, inner, 8);
    inner.format(pos, len, rng.pick(kMarks));
    return `xml text format ${pos} ${len}`;
  }
  if (x < 0.85) {
    el.setAttribute('textAlign', rng.pick(['left', 'center', 'right']));
    return 'xml set attribute';
  }
  const pos = rng.int(xml.length);
  xml.delete(pos, 1);
  return `xml delete ${pos}`;
}

// ---------------------------------------------------------------------------------------------

describe('random concurrent edits', () => {
  let server;
  let session;
  let documents;

  before(async () => {
    ({ server, documents } = await serverWithDocuments(3));
    session = new Session(server);
  });

  after(async () => {
    await session?.close();
    if (server) { await server.stop(); server.cleanup(); }
  });

  it(`5 clients, 3 documents, disconnects: all converge and the store agrees (seed ${seed})`, async (t) => {
    const rng = createRng(seed);
    const [docA, docB, docC] = documents;
    const token = (user, document) => collabToken(server, { user, document, ttl: 3600 });

    // Clients: three y-websocket, one Hocuspocus with its own socket, one Hocuspocus socket
    // carrying all three documents.
    const yA = session.yws({ name: 'yws-A', document: docA, token: token(kEditors[0], docA) });
    const yB = session.yws({ name: 'yws-B', document: docB, token: token(kEditors[1], docB) });
    const yC = session.yws({ name: 'yws-C', document: docC, token: token(kEditors[2], docC) });
    const hA = session.hocus({ name: 'hocus-A', document: docA, token: token(kEditors[3], docA) });
    const shared = session.hocusSocket({ name: 'shared-socket' });
    const mA = session.hocus({ name: 'multi-A', socket: shared, document: docA, token: token(kEditors[4], docA) });
    const mB = session.hocus({ name: 'multi-B', socket: shared, document: docB, token: token(kEditors[4], docB) });
    const mC = session.hocus({ name: 'multi-C', socket: shared, document: docC, token: token(kEditors[4], docC) });
    const replicas = [yA, yB, yC, hA, mA, mB, mC];
    const byDocument = new Map([[docA, [yA, hA, mA]], [docB, [yB, mB]], [docC, [yC, mC]]]);
    for (const r of replicas) await r.waitSynced();

    // A "client" is what can lose its connection: a y-websocket provider, or a Hocuspocus socket
    // (the shared one takes all three documents down at once, or detaches one of them).
    const offline = new Set();
    const detached = new Set();
    const history = [];
    const toggle = (name) => {
      if (name === 'shared') {
        if (offline.has('shared')) { shared.connect(); offline.delete('shared'); return 'shared socket connect'; }
        if (rng.bool(0.5)) { shared.disconnect(); offline.add('shared'); return 'shared socket disconnect'; }
        const p = rng.pick([mA, mB, mC]);
        if (detached.has(p)) { p.attach(); detached.delete(p); return `${p.name} attach`; }
        p.detach(); detached.add(p); return `${p.name} detach`;
      }
      const c = { yA, yB, yC, hA }[name];
      const disconnect = () => (c.kind === 'hocuspocus' ? c.socket.disconnect() : c.disconnect());
      const connect = () => (c.kind === 'hocuspocus' ? c.socket.connect() : c.connect());
      if (offline.has(name)) { connect(); offline.delete(name); return `${name} connect`; }
      disconnect(); offline.add(name); return `${name} disconnect`;
    };

    for (let step = 0; step < kSteps; step++) {
      if (rng.bool(0.06)) {
        history.push(`${step}: ${toggle(rng.pick(['yA', 'yB', 'yC', 'hA', 'shared']))}`);
      } else {
        const replica = rng.pick(replicas);
        if (rng.bool(0.15)) {
          const n = rng.range(2, 5);
          const what = [];
          replica.doc.transact(() => { for (let i = 0; i < n; i++) what.push(randomEdit(rng, replica.doc)); });
          history.push(`${step}: ${replica.name} transaction [${what.join('; ')}]`);
        } else {
          history.push(`${step}: ${replica.name} ${randomEdit(rng, replica.doc)}`);
        }
      }
      if (rng.bool(0.3)) await sleep(rng.int(12));
    }

    // Everybody back online.
    for (const name of [...offline]) history.push(`end: ${toggle(name)}`);
    for (const p of [...detached]) { p.attach(); detached.delete(p); }
    t.diagnostic(`last steps:\n${history.slice(-15).join('\n')}`);

    const contents = new Map();
    for (const [document, clients] of byDocument) {
      contents.set(document, await waitConverged(clients, { timeoutMs: 30_000, what: `the clients of document ${document} to converge (seed ${seed})` }));
      assert.notEqual(contents.get(document), docContent(new Y.Doc()), `document ${document} is not empty after ${kSteps} random steps`);
    }
    for (const h of [hA, mA, mB, mC]) await h.waitAcked({ timeoutMs: 15_000 });
    assert.deepEqual(shared.ackProblems.concat(hA.socket.ackProblems), [], 'every SyncStatus answered an update we sent');

    // Late joiners on fresh connections get exactly the converged state.
    for (const [document, clients] of byDocument) {
      const late = [
        session.yws({ name: `late-yws-${document}`, document, token: token(kOwner, document) }),
        session.hocus({ name: `late-hocus-${document}`, document, token: token(kOwner, document) }),
      ];
      for (const c of late) await c.waitSynced();
      await waitConverged([...clients, ...late], { timeoutMs: 10_000, what: `late joiners of document ${document} to match` });
      for (const c of late) c.destroy();
    }

    // The store while the server runs: what `agora doc export` prints equals the clients' state.
    for (const [document, clients] of byDocument) {
      const want = contents.get(document);
      const wantSv = stateVectorText(clients[0].doc);
      let got = null;
      await waitUntil(() => {
        const update = exportUpdate(server, document);
        got = { content: storedContent(server, document), sv: stateVectorText(update) };
        return got.content === want && got.sv === wantSv;
      }, { timeoutMs: 10_000, what: `doc export of ${document} (server running) to equal the clients`,
        diagnostics: () => `stored: ${shorten(got?.content ?? '')}\n  sv ${got?.sv}\nclients: ${shorten(want)}\n  sv ${wantSv}\nserver log:\n${serverLogTail(server)}` });
    }

    // And after the server stopped.
    await session.close();
    const exit = await server.stop();
    assert.equal(exit.code, 0, `the server exits cleanly on SIGTERM (stderr:\n${server.stderrTail(2000)})`);
    for (const [document] of byDocument) {
      assert.equal(storedContent(server, document), contents.get(document), `doc export of ${document} after the server stopped`);
    }
  });
});

describe('awareness', () => {
  let server;
  let session;
  let documents;

  before(async () => {
    ({ server, documents } = await serverWithDocuments(2));
    session = new Session(server);
  });

  after(async () => {
    await session?.close();
    if (server) { await server.stop(); server.cleanup(); }
  });

  it('reaches every client of the room, the sender included', async () => {
    const [doc, other] = documents;
    const token = (user, document) => collabToken(server, { user, document });
    const y = session.yws({ name: 'aw-yws', document: doc, token: token(kEditors[0], doc) });
    const h = session.hocus({ name: 'aw-hocus', document: doc, token: token(kEditors[3], doc) });
    const shared = session.hocusSocket({ name: 'aw-shared' });
    const m = session.hocus({ name: 'aw-multi', socket: shared, document: doc, token: token(kEditors[4], doc) });
    const mOther = session.hocus({ name: 'aw-multi-other', socket: shared, document: other, token: token(kEditors[4], other) });
    const clients = [y, h, m];
    for (const c of [...clients, mOther]) await c.waitSynced();

    for (const c of clients) c.awareness.setLocalStateField('user', { name: c.name, color: '#336699' });
    mOther.awareness.setLocalStateField('user', { name: 'in another document' });

    const everyoneSeesEveryone = () => clients.every((c) => clients.every((o) =>
      c.awareness.getStates().get(o.doc.clientID)?.user?.name === o.name));
    await waitUntil(everyoneSeesEveryone, {
      what: 'every client to see the awareness state of every client',
      diagnostics: () => clients.map((c) => `  ${c.name} (${c.doc.clientID}) sees ${JSON.stringify([...c.awareness.getStates()].map(([id, s]) => [id, s.user?.name]))}`).join('\n'),
    });

    // The server echoes each client's own state back on its own socket.
    const echoed = (c) => c.sockets.some((record) => record.received.some((bytes) => {
      const f = c.kind === 'y-websocket' ? decodeYws(bytes) : decodeHocus(bytes);
      if (f.type !== 'awareness' || (c.kind === 'hocuspocus' && f.document !== c.document)) return false;
      return f.entries.some((e) => e.clientID === c.doc.clientID && e.state?.user?.name === c.name);
    }));
    await waitUntil(() => clients.every(echoed), {
      what: 'each client to receive its own awareness state back',
      diagnostics: () => clients.map((c) => `  ${c.name}: echoed=${echoed(c)}`).join('\n'),
    });

    // Awareness stays within its room: the other document's state reaches nobody here.
    for (const c of [y, h]) {
      assert.ok(!c.awareness.getStates().has(mOther.doc.clientID) ||
        c.awareness.getStates().get(mOther.doc.clientID)?.user?.name !== 'in another document',
      `${c.name} must not see awareness of another document`);
    }

    // A change of state reaches the others too.
    y.awareness.setLocalStateField('cursor', { anchor: 3, head: 5 });
    await waitUntil(() => [h, m].every((c) => c.awareness.getStates().get(y.doc.clientID)?.cursor?.head === 5),
      { what: 'the cursor of the y-websocket client to reach the Hocuspocus clients' });
  });

  it('a client that goes away is removed from the others\' awareness', async () => {
    const [doc] = documents;
    const token = (user) => collabToken(server, { user, document: doc });
    const stay = session.hocus({ name: 'aw-stay', document: doc, token: token(kEditors[3]) });
    const leave = session.yws({ name: 'aw-leave', document: doc, token: token(kEditors[1]) });
    for (const c of [stay, leave]) await c.waitSynced();
    leave.awareness.setLocalStateField('user', { name: 'leaving' });
    await waitUntil(() => stay.awareness.getStates().get(leave.doc.clientID)?.user?.name === 'leaving',
      { what: 'the leaving client\'s awareness to arrive' });
    // Drop the TCP connection without the polite "state null" message.
    leave.lastSocket.socket.terminate();
    leave.stop();
    await waitUntil(() => !stay.awareness.getStates().has(leave.doc.clientID), {
      timeoutMs: 10_000,
      what: 'the server to tell the room that the vanished client\'s awareness is gone',
    });
  });
});

describe('late joiners and room unloading', () => {
  let server;
  let session;
  let documents;

  before(async () => {
    ({ server, documents } = await serverWithDocuments(2, ['--collab-unload-after', '1']));
    session = new Session(server);
  });

  after(async () => {
    await session?.close();
    if (server) { await server.stop(); server.cleanup(); }
  });

  /** Fills `doc` with some of everything: long formatted text, map entries, TipTap paragraphs. */
  function fill(doc, label) {
    const { text, map, xml } = roots(doc);
    for (let i = 0; i < 60; i++) text.insert(text.length, `${label} line ${i} 😀\n`, i % 3 === 0 ? { bold: true } : {});
    text.delete(5, 20);
    for (let i = 0; i < 20; i++) map.set(`${label}-${i}`, { i, label });
    for (let i = 0; i < 15; i++) {
      const p = new Y.XmlElement('paragraph');
      p.insert(0, [new Y.XmlText(`${label} paragraph ${i}`)]);
      xml.insert(xml.length, [p]);
    }
    xml.delete(0, 2);
  }

  it('a client joining late receives the whole document', async () => {
    const [doc] = documents;
    const token = (user) => collabToken(server, { user, document: doc });
    const writerH = session.hocus({ name: 'writer-hocus', document: doc, token: token(kEditors[3]) });
    const writerY = session.yws({ name: 'writer-yws', document: doc, token: token(kEditors[0]) });
    await writerH.waitSynced();
    await writerY.waitSynced();
    fill(writerH.doc, 'H');
    fill(writerY.doc, 'Y');
    await waitConverged([writerH, writerY]);
    await writerH.waitAcked();

    const lateY = session.yws({ name: 'late-yws', document: doc, token: token(kEditors[1]) });
    const lateH = session.hocus({ name: 'late-hocus', document: doc, token: token(kEditors[4]) });
    await lateY.waitSynced();
    await lateH.waitSynced();
    // Synced means the server's step 2 arrived: it alone must carry everything.
    assert.equal(docContent(lateY.doc), docContent(writerH.doc), 'the late y-websocket client has the whole document on sync');
    assert.equal(docContent(lateH.doc), docContent(writerH.doc), 'the late Hocuspocus client has the whole document on sync');
    assert.equal(stateVectorText(lateY.doc), stateVectorText(writerH.doc), 'same state vector');
  });

  it('a room unloads after its last client leaves and a later client still gets everything', async (t) => {
    const [, doc] = documents;
    const token = (user) => collabToken(server, { user, document: doc });
    const h = session.hocus({ name: 'unload-hocus', document: doc, token: token(kEditors[3]) });
    const y = session.yws({ name: 'unload-yws', document: doc, token: token(kEditors[0]) });
    await h.waitSynced();
    await y.waitSynced();
    fill(h.doc, 'first');
    fill(y.doc, 'second');
    const content = await waitConverged([h, y]);
    const sv = stateVectorText(h.doc);
    await h.waitAcked();
    await y.roundTrip();

    const mark = server.logMark();
    h.destroy();
    y.destroy();
    // --collab-unload-after 1: the room goes one second after the last client left.
    const unloaded = await waitUntil(() => server.logs.slice(mark).some((r) => /unload/i.test(JSON.stringify(r))),
      { timeoutMs: 4000, what: 'an unload log line' }).then(() => true, () => false);
    if (!unloaded) {
      t.diagnostic('the server logged nothing matching /unload/ within 4 s; relying on --collab-unload-after 1 having passed');
    }
    await sleep(500);

    const later = session.yws({ name: 'after-unload-yws', document: doc, token: token(kEditors[1]) });
    const laterH = session.hocus({ name: 'after-unload-hocus', document: doc, token: token(kEditors[4]) });
    await later.waitSynced();
    await laterH.waitSynced();
    assert.equal(docContent(later.doc), content, 'a y-websocket client after the unload receives everything');
    assert.equal(docContent(laterH.doc), content, 'a Hocuspocus client after the unload receives everything');
    assert.equal(stateVectorText(later.doc), sv, 'same state vector after the unload');
    assert.equal(storedContent(server, doc), content, 'doc export agrees');

    // And the reloaded room still takes edits.
    later.doc.getText('text').insert(0, 'after reload ');
    await waitConverged([later, laterH]);
  });
});
