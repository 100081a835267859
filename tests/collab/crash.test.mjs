// Durability of the collab server (issue 4) under SIGKILL: clients keep editing while the server
// is killed at random moments and restarted on the same data folder and port, 20 times. Hocuspocus
// acknowledges each applied update with SyncStatus once it is durable; we record, from the raw
// frames, which updates were acknowledged, and after every kill the store must contain every one
// of them (doc export with the server down, and again once it is back). At the end every client,
// with all the edits it made while the server was down, converges, and the store agrees.
//
// Environment: AGORA_BIN (required); COLLAB_SEED replays the random schedule (printed);
// COLLAB_CRASH_ROUNDS (default 20).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  Session, Y, chooseSeed, collabToken, createDocument, createRng, docContent, exportUpdate, kDemo, missingFromStored, storedCoverage,
  makeTempDir, removeDir, serverLogTail, shareDocument, sleep, startServer, startServerAt, stateVectorText, storedDoc,
  waitConverged, waitUntil,
} from './clients.mjs';

const seed = chooseSeed();
const kRounds = Number(process.env.COLLAB_CRASH_ROUNDS ?? 20);
console.log(`# collab crash: seed ${seed}, ${kRounds} kills (replay the schedule with COLLAB_SEED=${seed})`);

const kOwner = kDemo.council[0];
const kEditors = [kDemo.council[1], kDemo.nhs[0], kDemo.police[0], kDemo.housing[0], kDemo.nhs[1]];

let dataDir;
let server;
let session;

before(async () => {
  dataDir = makeTempDir('agora-collab-crash-');
  server = await startServer({ demo: true, dataDir });
});

after(async () => {
  await session?.close();
  if (server && !server.exit) await server.stop({ signal: 'SIGKILL' });
  if (dataDir) removeDir(dataDir);
});

/** Every acknowledged update of `document` that the stored state lacks (what of it), as descriptions. */
function missingAcked(storedUpdate, sockets, document) {
  const stored = storedCoverage(storedUpdate);
  const missing = [];
  for (const s of sockets) {
    s.ackedUpdates(document).forEach((u, i) => {
      const lacks = missingFromStored(stored, u);
      if (lacks.length > 0) missing.push(`${s.name} ack #${i} lacks ${lacks.slice(0, 4).join(', ')}${lacks.length > 4 ? ` (+${lacks.length - 4})` : ''}`);
    });
  }
  return missing;
}

describe('SIGKILL at random moments', () => {
  it(`loses nothing acknowledged over ${kRounds} kills (seed ${seed})`, async (t) => {
    const rng = createRng(seed);
    const port = server.port;
    session = new Session(server);
    const docs = [createDocument(dataDir, { owner: kOwner, title: 'Crash A' }), createDocument(dataDir, { owner: kOwner, title: 'Crash B' })];
    for (const d of docs) for (const user of kEditors) shareDocument(dataDir, { document: d, user, role: 'editor' });
    const [docA, docB] = docs;
    const token = (user, document) => collabToken(dataDir, { user, document, ttl: 3600 });

    // Four Hocuspocus sockets (one carries both documents) and a y-websocket client.
    const h1 = session.hocus({ name: 'h1-A', document: docA, token: token(kEditors[0], docA) });
    const h2 = session.hocus({ name: 'h2-A', document: docA, token: token(kEditors[1], docA) });
    const h3 = session.hocus({ name: 'h3-B', document: docB, token: token(kEditors[2], docB) });
    const shared = session.hocusSocket({ name: 'shared' });
    const m1 = session.hocus({ name: 'shared-A', socket: shared, document: docA, token: token(kEditors[3], docA) });
    const m2 = session.hocus({ name: 'shared-B', socket: shared, document: docB, token: token(kEditors[3], docB) });
    const y1 = session.yws({ name: 'yws-B', document: docB, token: token(kEditors[4], docB) });
    const replicas = [h1, h2, h3, m1, m2, y1];
    const byDocument = new Map([[docA, [h1, h2, m1]], [docB, [h3, m2, y1]]]);
    const ackSockets = [h1.socket, h2.socket, h3.socket, shared];
    for (const r of replicas) await r.waitSynced();

    // Editors: each replica edits on its own schedule whether or not the server is up.
    let editing = true;
    let edits = 0;
    const editors = replicas.map(async (r, i) => {
      const own = createRng((seed + i * 7919) >>> 0);
      while (editing) {
        const text = r.doc.getText('text');
        const k = own.int(10);
        if (k < 6 || text.length < 20) text.insert(own.int(text.length + 1), `${r.name}#${edits} `);
        else if (k < 8) text.delete(own.int(text.length - 10), own.range(1, 8));
        else r.doc.getMap('meta').set(`${r.name}-${own.int(5)}`, edits);
        edits++;
        await sleep(own.range(10, 60));
      }
    });

    const failures = [];
    const ackCounts = [];
    const roundNotes = [];
    const hocusClients = [h1, h2, h3, m1, m2];
    const totalAcked = () => ackSockets.reduce((n, s) => n + docs.reduce((m, d) => m + s.ackedUpdates(d).length, 0), 0);
    try {
      for (let round = 1; round <= kRounds; round++) {
        // Mostly kill while the clients are synced and editing; sometimes during their reconnection.
        const roundStart = Date.now();
        if (rng.bool(0.75)) {
          await waitUntil(() => hocusClients.every((h) => h.synced), {
            timeoutMs: 15_000, what: `round ${round}: the Hocuspocus clients to be synced again after the restart`,
            diagnostics: () => hocusClients.map((h) => h.describe()).join('\n'),
          });
        }
        const reconnectMs = Date.now() - roundStart;
        await sleep(rng.range(0, 1000));
        const syncedAtKill = hocusClients.filter((h) => h.synced).length;
        server.child.kill('SIGKILL');
        await server.exited;
        const acked = totalAcked();
        ackCounts.push(acked);
        roundNotes.push(`${round}: reconnect ${reconnectMs} ms, ${syncedAtKill}/${hocusClients.length} synced at the kill, ${acked} acked`);

        // The server is down: what it acknowledged must be in the store.
        for (const d of docs) {
          for (const m of missingAcked(exportUpdate(dataDir, d), ackSockets, d)) failures.push(`round ${round}, server down, document ${d}: ${m}`);
        }

        await sleep(rng.range(0, 400)); // clients keep editing offline
        server = await startServerAt({ dataDir, port });
        session.setServer(server);

        // Back up (recovery done): still all there.
        for (const d of docs) {
          for (const m of missingAcked(exportUpdate(dataDir, d), ackSockets, d)) failures.push(`round ${round}, after restart, document ${d}: ${m}`);
        }
        if (failures.length > 0) break;
      }
    } finally {
      editing = false;
      await Promise.all(editors);
    }
    t.diagnostic(`${edits} edits; rounds:\n${roundNotes.join('\n')}`);
    assert.deepEqual(failures.slice(0, 20), [], `acknowledged updates missing from the store (${failures.length} in all); server log:\n${serverLogTail(server, 20)}`);
    const growth = ackCounts.filter((n, i) => n > (i === 0 ? 0 : ackCounts[i - 1])).length;
    assert.ok(growth >= Math.ceil(kRounds / 2), `updates were acknowledged between most kills (${ackCounts.join(' ')}): the test exercised the server`);
    for (const s of ackSockets) assert.deepEqual(s.ackProblems, [], `${s.name}: every SyncStatus answered an update we sent`);

    // Everyone reconnects and converges, offline edits included, and the store agrees.
    const contents = new Map();
    for (const [d, clients] of byDocument) {
      contents.set(d, await waitConverged(clients, { timeoutMs: 30_000, what: `the clients of document ${d} to converge after the last restart` }));
    }
    for (const r of replicas) {
      const own = Y.decodeStateVector(Y.encodeStateVector(r.doc)).get(r.doc.clientID) ?? 0;
      for (const other of byDocument.get(r.document)) {
        const seen = Y.decodeStateVector(Y.encodeStateVector(other.doc)).get(r.doc.clientID) ?? 0;
        assert.equal(seen, own, `${other.name} has all ${own} clock ticks of ${r.name}'s edits`);
      }
    }
    for (const h of [h1, h2, h3, m1, m2]) await h.waitAcked({ timeoutMs: 15_000 });
    for (const [d, clients] of byDocument) {
      const want = contents.get(d);
      const wantSv = stateVectorText(clients[0].doc);
      await waitUntil(() => {
        const u = exportUpdate(dataDir, d);
        const doc = new Y.Doc();
        Y.applyUpdate(doc, u);
        const ok = docContent(doc) === want && stateVectorText(u) === wantSv;
        doc.destroy();
        return ok;
      }, { timeoutMs: 10_000, what: `doc export of ${d} to equal the converged clients` });
    }
    await session.close();
    const exit = await server.stop();
    assert.equal(exit.code, 0, `clean exit on SIGTERM after the restarts (stderr:\n${server.stderrTail(2000)})`);
    for (const [d] of byDocument) {
      const doc = storedDoc(dataDir, d);
      assert.equal(docContent(doc), contents.get(d), `doc export of ${d} after the final stop`);
      doc.destroy();
    }
  });
});
