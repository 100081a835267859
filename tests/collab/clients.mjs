// Helpers for the collab server tests (issue 4): a server with the demo loaded, documents, roles
// and tokens through the `agora` CLI, real y-websocket and Hocuspocus clients from npm (with every
// frame they send and receive recorded), the stored state through `agora doc export`, and raw
// clients that speak both wire protocols by hand for the hostile-input tests.
//
// Every client and socket opened here is registered in a Session; session.close() ends them all so
// a failing test does not leave timers that keep node running.

import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';

import {
  AgoraServer, agoraBin, agoraEnv, freePort, makeTempDir, removeDir, request, runAgora, sleep, startServer,
} from '../integration/harness.mjs';

export { Y, WebSocket, freePort, makeTempDir, removeDir, request, runAgora, sleep, startServer };

// ---------------------------------------------------------------------------------------------
// Demo people and the CLI

/** Staff that `agora demo load` creates, by organisation. */
export const kDemo = {
  council: ['sian.pritchard@afonvalley.gov.uk', 'gareth.llewellyn@afonvalley.gov.uk',
    'rhiannon.price@afonvalley.gov.uk', 'owain.jenkins@afonvalley.gov.uk'],
  nhs: ['catrin.morgan@broafon.wales.nhs.uk', 'elin.davies@broafon.wales.nhs.uk',
    'tomos.evans@broafon.wales.nhs.uk', 'amara.okafor@broafon.wales.nhs.uk'],
  police: ['dafydd.hughes@afonvalley.police.uk', 'ffion.thomas@afonvalley.police.uk',
    'mark.bevan@afonvalley.police.uk'],
  housing: ['lowri.jones@cartrefiafon.org.uk', 'huw.griffiths@cartrefiafon.org.uk',
    'priya.shah@cartrefiafon.org.uk'],
};
export const kDemoUsers = Object.values(kDemo).flat();

/** The data folder of a server, or the folder itself. */
function dataDirOf(target) {
  if (typeof target === 'string') return target;
  if (target && typeof target.dataDir === 'string') return target.dataDir;
  throw new Error(`not a server or a data folder: ${target}`);
}

/** Runs `agora ARGS --data DIR` and returns stdout; throws with the exit code and stderr on failure. */
export function agoraOk(target, args, { timeoutMs = 60_000 } = {}) {
  const full = [...args, '--data', dataDirOf(target)];
  const r = runAgora(full, { timeoutMs });
  if (r.code !== 0) {
    throw new Error(`agora ${full.join(' ')} exited with ${r.code}${r.signal ? ` (${r.signal})` : ''}; stderr:\n${r.stderr}`);
  }
  return r.stdout;
}

/** Runs `agora ARGS --data DIR` and returns { code, stdout, stderr } whatever the outcome. */
export function agoraRun(target, args) {
  return runAgora([...args, '--data', dataDirOf(target)]);
}

/** `agora doc create`: the new document's id, as the decimal string the protocols use. */
export function createDocument(target, { owner = kDemo.council[0], title = 'Collab test' } = {}) {
  const out = agoraOk(target, ['doc', 'create', '--owner', owner, '--title', title]);
  const id = out.trim();
  if (!/^[0-9]+$/.test(id)) throw new Error(`agora doc create printed ${JSON.stringify(out)}, want a decimal id`);
  return id;
}

/** `agora doc share`: role is editor, commenter, viewer or none. */
export function shareDocument(target, { document, user, role }) {
  agoraOk(target, ['doc', 'share', '--document', String(document), '--user', user, '--role', role]);
}

/** `agora collab token`: a token for `user` on `document`. */
export function collabToken(target, { user, document, ttl }) {
  const args = ['collab', 'token', '--user', user, '--document', String(document)];
  if (ttl !== undefined) args.push('--ttl', String(ttl));
  const token = agoraOk(target, args).trim();
  if (!token || /\s/.test(token)) throw new Error(`agora collab token printed ${JSON.stringify(token)}`);
  return token;
}

/** `agora doc export --format yjs`: the stored state as a v1 update. */
export function exportUpdate(target, document) {
  const out = agoraOk(target, ['doc', 'export', '--document', String(document), '--format', 'yjs']);
  const text = out.trim();
  if (!/^[A-Za-z0-9+/=\s]*$/.test(text)) throw new Error(`doc export --format yjs printed non-base64: ${text.slice(0, 200)}`);
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** The stored state of `document` loaded into a new Y.Doc (destroy it when done). */
export function storedDoc(target, document) {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, exportUpdate(target, document));
  return doc;
}

/** The stored content of `document` in the canonical form of docContent. */
export function storedContent(target, document) {
  const doc = storedDoc(target, document);
  try { return docContent(doc); } finally { doc.destroy(); }
}

// ---------------------------------------------------------------------------------------------
// Document content

/** The roots these tests edit: Y.Text "text", Y.Map "meta" and the TipTap Y.XmlFragment "default". */
export function roots(doc) {
  return { text: doc.getText('text'), map: doc.getMap('meta'), xml: doc.getXmlFragment('default') };
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
  }
  return value;
}

/** A comparable string of everything in the three roots (map keys sorted; text with formatting). */
export function docContent(doc) {
  const { text, map, xml } = roots(doc);
  return JSON.stringify(sortKeys({ text: text.toDelta(), map: map.toJSON(), xml: xml.toString() }));
}

/** The state vector as a sorted "client:clock" list, for comparisons and messages. */
export function stateVectorText(docOrUpdate) {
  const sv = docOrUpdate instanceof Y.Doc ? Y.encodeStateVector(docOrUpdate) : Y.encodeStateVectorFromUpdate(docOrUpdate);
  return [...Y.decodeStateVector(sv).entries()].sort((a, b) => a[0] - b[0]).map(([c, k]) => `${c}:${k}`).join(' ');
}

/** Where two content strings first differ, with some context from both. */
export function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (i === a.length && i === b.length) return 'identical';
  const from = Math.max(0, i - 60);
  return `first difference at ${i}: ...${JSON.stringify(a.slice(from, i + 80))} vs ...${JSON.stringify(b.slice(from, i + 80))}`;
}

function addRange(map, client, from, to) {
  if (!map.has(client)) map.set(client, []);
  map.get(client).push([from, to]);
}

function normalizeRanges(map) {
  for (const [client, list] of map) {
    list.sort((a, b) => a[0] - b[0]);
    const merged = [];
    for (const [from, to] of list) {
      const last = merged[merged.length - 1];
      if (last && from <= last[1]) last[1] = Math.max(last[1], to); else merged.push([from, to]);
    }
    map.set(client, merged);
  }
  return map;
}

function covered(map, client, from, to) {
  return (map.get(client) ?? []).some(([a, b]) => a <= from && to <= b);
}

/**
 * What a stored state (a v1 update) holds, for missingFromStored: the clock ranges it has structs
 * for, and the ranges it records as deleted. Computed once per stored state.
 */
export function storedCoverage(stored) {
  const have = new Map();
  const deleted = new Map();
  const s = Y.decodeUpdate(stored);
  for (const st of s.structs) {
    if (st instanceof Y.Skip) continue;
    addRange(have, st.id.client, st.id.clock, st.id.clock + st.length);
    if (st instanceof Y.GC || (st instanceof Y.Item && st.content instanceof Y.ContentDeleted)) {
      addRange(deleted, st.id.client, st.id.clock, st.id.clock + st.length);
    }
  }
  for (const [client, items] of s.ds.clients) for (const it of items) addRange(deleted, client, it.clock, it.clock + it.len);
  return { have: normalizeRanges(have), deleted: normalizeRanges(deleted) };
}

/**
 * What of `update` the stored state lacks (`stored`: a v1 update or a storedCoverage): the clock
 * ranges of its structs the store has no struct for, and its deletions the store does not record.
 * Works on encoded updates, so structs the server keeps pending (their dependencies never arrived)
 * count as stored. Returns a list of descriptions; empty when all is there.
 */
export function missingFromStored(stored, update) {
  const { have, deleted } = stored instanceof Uint8Array ? storedCoverage(stored) : stored;
  const missing = [];
  const u = Y.decodeUpdate(update);
  for (const st of u.structs) {
    if (st instanceof Y.Skip) continue;
    if (!covered(have, st.id.client, st.id.clock, st.id.clock + st.length)) {
      missing.push(`struct ${st.id.client}:${st.id.clock}+${st.length}`);
    }
  }
  for (const [client, items] of u.ds.clients) {
    for (const it of items) {
      if (!covered(deleted, client, it.clock, it.clock + it.len)) missing.push(`deletion ${client}:${it.clock}+${it.len}`);
    }
  }
  return missing;
}

/** A readable summary of a content string for assertion messages. */
export function shorten(text, n = 600) {
  return text.length <= n ? text : `${text.slice(0, n / 2)} ...(${text.length} chars)... ${text.slice(-n / 2)}`;
}

// ---------------------------------------------------------------------------------------------
// Waiting

/**
 * Polls `predicate` until it returns true; throws after timeoutMs with `what` and, when given,
 * the text `diagnostics()` returns (state of the clients) so a failure says what was stuck.
 */
export async function waitUntil(predicate, { timeoutMs = 10_000, intervalMs = 20, what = 'condition', diagnostics } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) {
      let detail = '';
      if (diagnostics) {
        try { detail = `\n${await diagnostics()}`; } catch (e) { detail = `\n(diagnostics failed: ${e.message})`; }
      }
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await sleep(intervalMs);
  }
}

/** GET /healthz answers 200 and the process is still running. */
export async function assertHealthy(server, assert) {
  assert.equal(server.exit, null, `the server is still running (stderr tail:\n${server.stderrTail(2000)})`);
  const res = await request(server, { path: '/healthz' });
  assert.equal(res.status, 200, 'GET /healthz answers 200');
}

/** VmRSS of a process in KiB, from /proc/<pid>/status. */
export function rssKiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness

/** A small seeded PRNG (mulberry32) with the helpers the random tests use. */
export function createRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed,
    next,
    int: (n) => Math.floor(next() * n),
    range: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    bool: (p = 0.5) => next() < p,
    pick: (list) => list[Math.floor(next() * list.length)],
  };
}

/** COLLAB_SEED when set (replay), else a fresh random uint32. */
export function chooseSeed() {
  const text = process.env.COLLAB_SEED;
  if (text !== undefined && text !== '') {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`COLLAB_SEED=${text} is not a uint32`);
    return n;
  }
  return crypto.randomInt(0, 2 ** 32);
}

// ---------------------------------------------------------------------------------------------
// Wire formats, encoded and decoded by hand (the bad-input tests need bytes no client would send)

export const kYws = { sync: 0, awareness: 1, auth: 2, queryAwareness: 3 };
export const kHocus = {
  sync: 0, awareness: 1, auth: 2, queryAwareness: 3, syncReply: 4, stateless: 5, close: 7, syncStatus: 8,
  ping: 9, pong: 10,
};
export const kSync = { step1: 0, step2: 1, update: 2 };

function bytesOf(encoder) { return encoding.toUint8Array(encoder); }

/** Awareness update bytes: entries [{ clientID, clock, state }] (state null removes the client). */
export function encodeAwareness(entries) {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, entries.length);
  for (const { clientID, clock, state } of entries) {
    encoding.writeVarUint(e, clientID);
    encoding.writeVarUint(e, clock);
    encoding.writeVarString(e, JSON.stringify(state ?? null));
  }
  return bytesOf(e);
}

/** Decodes awareness update bytes into [{ clientID, clock, state }]. */
export function decodeAwareness(bytes) {
  const d = decoding.createDecoder(bytes);
  const n = decoding.readVarUint(d);
  const out = [];
  for (let i = 0; i < n; i++) {
    const clientID = decoding.readVarUint(d);
    const clock = decoding.readVarUint(d);
    out.push({ clientID, clock, state: JSON.parse(decoding.readVarString(d)) });
  }
  return out;
}

/** y-websocket frames: varUint(type) + payload. */
export const yws = {
  syncStep1(stateVector) { return ywsSync(kSync.step1, stateVector); },
  syncStep2(update) { return ywsSync(kSync.step2, update); },
  update(update) { return ywsSync(kSync.update, update); },
  awareness(awarenessBytes) {
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, kYws.awareness);
    encoding.writeVarUint8Array(e, awarenessBytes);
    return bytesOf(e);
  },
  queryAwareness() { return Uint8Array.of(kYws.queryAwareness); },
};

function ywsSync(step, payload) {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, kYws.sync);
  encoding.writeVarUint(e, step);
  encoding.writeVarUint8Array(e, payload);
  return bytesOf(e);
}

/** Decodes one y-websocket frame into { type, ... }; { type: 'invalid', error } when it does not parse. */
export function decodeYws(bytes) {
  try {
    const d = decoding.createDecoder(bytes);
    const type = decoding.readVarUint(d);
    if (type === kYws.sync) {
      const step = decoding.readVarUint(d);
      const payload = decoding.readVarUint8Array(d);
      return { type: 'sync', step: ['step1', 'step2', 'update'][step] ?? step, payload };
    }
    if (type === kYws.awareness) return { type: 'awareness', entries: decodeAwareness(decoding.readVarUint8Array(d)) };
    if (type === kYws.auth) {
      const sub = decoding.readVarUint(d);
      return { type: 'auth', sub, denied: sub === 0, reason: decoding.hasContent(d) ? decoding.readVarString(d) : '' };
    }
    if (type === kYws.queryAwareness) return { type: 'query-awareness' };
    return { type: `unknown-${type}` };
  } catch (error) {
    return { type: 'invalid', error: error.message };
  }
}

/** Hocuspocus frames: varString(document) + varUint(type) + payload; ping/pong are bare bytes. */
export const hocus = {
  auth(document, token, version = '4.8.0') {
    const e = hocusHead(document, kHocus.auth);
    encoding.writeVarUint(e, 0);
    encoding.writeVarString(e, token);
    encoding.writeVarString(e, version);
    return bytesOf(e);
  },
  syncStep1(document, stateVector) { return hocusSync(document, kSync.step1, stateVector); },
  syncStep2(document, update) { return hocusSync(document, kSync.step2, update); },
  update(document, update) { return hocusSync(document, kSync.update, update); },
  awareness(document, awarenessBytes) {
    const e = hocusHead(document, kHocus.awareness);
    encoding.writeVarUint8Array(e, awarenessBytes);
    return bytesOf(e);
  },
  queryAwareness(document) { return bytesOf(hocusHead(document, kHocus.queryAwareness)); },
  close(document, reason = '') {
    const e = hocusHead(document, kHocus.close);
    encoding.writeVarString(e, reason);
    return bytesOf(e);
  },
  ping() { return Uint8Array.of(kHocus.ping); },
  pong() { return Uint8Array.of(kHocus.pong); },
};

function hocusHead(document, type) {
  const e = encoding.createEncoder();
  encoding.writeVarString(e, String(document));
  encoding.writeVarUint(e, type);
  return e;
}

function hocusSync(document, step, payload) {
  const e = hocusHead(document, kHocus.sync);
  encoding.writeVarUint(e, step);
  encoding.writeVarUint8Array(e, payload);
  return bytesOf(e);
}

/** Decodes one Hocuspocus frame into { document, type, ... }; { type: 'invalid', error } when it does not parse. */
export function decodeHocus(bytes) {
  if (bytes.length === 1 && bytes[0] === kHocus.ping) return { type: 'ping' };
  if (bytes.length === 1 && bytes[0] === kHocus.pong) return { type: 'pong' };
  try {
    const d = decoding.createDecoder(bytes);
    const document = decoding.readVarString(d);
    const type = decoding.readVarUint(d);
    if (type === kHocus.sync || type === kHocus.syncReply) {
      const step = decoding.readVarUint(d);
      const payload = decoding.readVarUint8Array(d);
      return { document, type: type === kHocus.sync ? 'sync' : 'sync-reply', step: ['step1', 'step2', 'update'][step] ?? step, payload };
    }
    if (type === kHocus.awareness) return { document, type: 'awareness', entries: decodeAwareness(decoding.readVarUint8Array(d)) };
    if (type === kHocus.auth) {
      const sub = decoding.readVarUint(d);
      const text = decoding.hasContent(d) ? decoding.readVarString(d) : '';
      if (sub === 1) return { document, type: 'permission-denied', reason: text };
      if (sub === 2) return { document, type: 'authenticated', scope: text };
      return { document, type: 'auth', sub, text };
    }
    if (type === kHocus.syncStatus) return { document, type: 'sync-status', applied: decoding.readVarInt(d) === 1 };
    if (type === kHocus.close) return { document, type: 'close', reason: decoding.hasContent(d) ? decoding.readVarString(d) : '' };
    if (type === kHocus.queryAwareness) return { document, type: 'query-awareness' };
    if (type === kHocus.stateless) return { document, type: 'stateless', payload: decoding.readVarString(d) };
    return { document, type: `unknown-${type}` };
  } catch (error) {
    return { type: 'invalid', error: error.message };
  }
}

/** A short printable description of a decoded frame (for diagnostics). */
export function describeFrame(frame) {
  const f = { ...frame };
  if (f.payload) f.payload = `${f.payload.length} bytes`;
  if (f.entries) f.entries = f.entries.map((x) => `${x.clientID}@${x.clock}${x.state === null ? ' (removed)' : ''}`);
  return JSON.stringify(f);
}

function toBytes(data) {
  if (data instanceof Uint8Array) return new Uint8Array(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (typeof data === 'string') return new Uint8Array(Buffer.from(data));
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  throw new Error(`unexpected WebSocket data ${typeof data}`);
}

// ---------------------------------------------------------------------------------------------
// Recorded sockets for the npm providers

/** ws://host:port/collab/ws */
export function collabUrl(server) { return `ws://127.0.0.1:${server.port}/collab/ws`; }
function originOf(server) { return `http://127.0.0.1:${server.port}`; }

/**
 * A WebSocket class (the `ws` package, as the providers' WebSocketPolyfill) that records, per
 * socket, every frame sent and received and the close, and tells `observer` about them.
 * It sends the Origin a browser on the server's own page would send.
 */
export function recordingWebSocketClass({ origin, sockets, observer = {}, headers }) {
  return class RecordingWebSocket extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols === undefined || (Array.isArray(protocols) && protocols.length === 0) ? undefined : protocols,
        { ...(origin ? { origin } : {}), ...(headers ? { headers } : {}) });
      const record = { url: String(url), sent: [], received: [], timeline: [], close: null, error: null, openedAt: Date.now(), socket: this };
      this.record = record;
      sockets.push(record);
      this.on('message', (data) => {
        const bytes = toBytes(data);
        record.received.push(bytes);
        record.timeline.push({ dir: 'in', bytes, at: Date.now() });
        observer.onReceive?.(record, bytes);
      });
      this.on('close', (code, reason) => {
        record.close = { code, reason: reason.toString('utf8'), at: Date.now() };
        observer.onClose?.(record);
      });
      // Recorded, and a listener so an error event is never an uncaught exception.
      this.on('error', (err) => { record.error = err.message; });
    }

    send(data, ...rest) {
      const bytes = toBytes(data);
      this.record.sent.push(bytes);
      this.record.timeline.push({ dir: 'out', bytes, at: Date.now(), state: this.readyState });
      observer.onSend?.(this.record, bytes);
      return super.send(data, ...rest);
    }
  };
}

/** Tracks what the clients and sockets of one test opened, so close() can end everything. */
export class Session {
  constructor(server) {
    this.server = server;
    this.clients = [];
    this.sockets = [];
    this.raws = [];
  }

  /** Points future clients at another server (after a restart on a new port). */
  setServer(server) { this.server = server; }

  track(thing) { this.clients.push(thing); return thing; }

  async close() {
    for (const c of this.clients.splice(0)) {
      try { c.destroy(); } catch { /* already gone */ }
    }
    for (const s of this.sockets.splice(0)) {
      try { s.destroy(); } catch { /* already gone */ }
    }
    for (const r of this.raws.splice(0)) {
      try { r.destroy(); } catch { /* already gone */ }
    }
    await sleep(20);
  }

  /** A y-websocket client on `document` with `token`. */
  yws(options) { return this.track(new YwsClient({ session: this, ...options })); }

  /** A Hocuspocus socket that providers can share. */
  hocusSocket(options = {}) {
    const s = new HocusSocket({ session: this, ...options });
    this.sockets.push(s);
    return s;
  }

  /** A Hocuspocus client on `document`; on its own new socket unless `socket` is given. */
  hocus({ socket, ...options }) {
    const own = !socket;
    const s = socket ?? this.hocusSocket({ name: options.name });
    return this.track(new HocusClient({ session: this, socket: s, ownSocket: own, ...options }));
  }

  /** A raw `ws` socket (see RawSocket.open). */
  async raw(path, options = {}) {
    const r = await RawSocket.open(this.server, path, options);
    this.raws.push(r);
    return r;
  }

  /** A raw TCP WebSocket client that writes frames itself (see FrameSocket.open). */
  async frameSocket(path, options = {}) {
    const r = await FrameSocket.open(this.server, path, options);
    this.raws.push(r);
    return r;
  }
}

/** One y-websocket WebsocketProvider with its own Y.Doc, recorded. */
export class YwsClient {
  // origin: the Origin header (default: the server's own); headers: more upgrade headers, such as
  // a Cookie, for a browser signed in to Agora.
  constructor({ session, document, token, name = `yws-${document}`, connect = true, doc = new Y.Doc(), params,
    origin, headers }) {
    this.kind = 'y-websocket';
    this.session = session;
    this.name = name;
    this.document = String(document);
    this.doc = doc;
    this.sockets = [];
    this.denied = [];      // reasons of auth "permission denied" messages
    this.closes = [];      // { code, reason } of every close the server caused
    this.statuses = [];
    const server = session.server;
    const WS = recordingWebSocketClass({ origin: origin ?? originOf(server), sockets: this.sockets, headers });
    this.provider = new WebsocketProvider(collabUrl(server), this.document, doc, {
      WebSocketPolyfill: WS,
      params: params ?? (token === undefined || token === null ? {} : { token }),
      connect,
      disableBc: true, // same-process providers must talk through the server only
      maxBackoffTime: 500,
    });
    this.awareness = this.provider.awareness;
    this.provider.messageHandlers = this.provider.messageHandlers.slice();
    this.provider.messageHandlers[kYws.auth] = (_encoder, decoder) => {
      const sub = decoding.readVarUint(decoder);
      const reason = decoding.hasContent(decoder) ? decoding.readVarString(decoder) : '';
      if (sub === 0) this.denied.push(reason);
    };
    this.provider.on('connection-close', (event) => {
      if (event) this.closes.push({ code: event.code, reason: event.reason });
    });
    this.provider.on('status', ({ status }) => this.statuses.push(status));
  }

  get synced() { return this.provider.synced; }
  get connected() { return this.provider.wsconnected; }
  get lastSocket() { return this.sockets[this.sockets.length - 1]; }

  async waitSynced({ timeoutMs = 10_000 } = {}) {
    await waitUntil(() => this.provider.synced, { timeoutMs, what: `${this.name} synced`, diagnostics: () => this.describe() });
  }

  disconnect() { this.provider.disconnect(); }
  connect() { this.provider.connect(); }

  /** Stops reconnecting after the server refused us (y-websocket would retry 1008 forever). */
  stop() { this.provider.shouldConnect = false; this.provider.disconnect(); }

  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    this.provider.destroy();
    this.doc.destroy();
  }

  /** Sends raw bytes on the current socket (for barriers and for edits the provider would not send). */
  sendRaw(bytes) {
    const ws = this.provider.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) throw new Error(`${this.name}: no open socket`);
    ws.send(bytes);
  }

  /**
   * A round trip through the server on the current socket: sends sync step 1 with our state
   * vector and waits for the step 2 that answers it. Everything the server received from us
   * before it has then been processed, and the answer carries all the server has that we lack.
   */
  async roundTrip({ timeoutMs = 10_000 } = {}) {
    await waitUntil(() => this.connected, { timeoutMs, what: `${this.name} connected`, diagnostics: () => this.describe() });
    const record = this.lastSocket;
    const before = record.received.length;
    this.sendRaw(yws.syncStep1(Y.encodeStateVector(this.doc)));
    await waitUntil(() => record.received.slice(before).some((b) => {
      const f = decodeYws(b);
      return f.type === 'sync' && f.step === 'step2';
    }), { timeoutMs, what: `${this.name}: sync step 2 answering our step 1`, diagnostics: () => this.describe() });
    await sleep(5); // let the provider apply what it just received
  }

  describe() {
    const s = this.lastSocket;
    const frames = s ? s.received.slice(-8).map((b) => describeFrame(decodeYws(b))).join('\n      ') : '(no socket)';
    return `  ${this.name} [y-websocket doc ${this.document}] connected=${this.connected} synced=${this.synced} ` +
      `sockets=${this.sockets.length} closes=${JSON.stringify(this.closes.slice(-3))} denied=${JSON.stringify(this.denied.slice(-3))}\n` +
      `    sv=${stateVectorText(this.doc)}\n    content=${shorten(docContent(this.doc), 300)}\n    last frames: ${frames}`;
  }
}

/**
 * One HocuspocusProviderWebsocket (a socket several documents can share), recorded. For each
 * document it tracks which of our update messages the server acknowledged with SyncStatus:
 * the server answers every sync step 2 and update message in order, so the n-th SyncStatus
 * on a socket for a document answers the n-th such message we sent on it.
 */
export class HocusSocket {
  constructor({ session, name = 'hocus-socket', delay = 100, maxDelay = 800 }) {
    this.session = session;
    this.name = name;
    this.sockets = [];
    this.acked = new Map();    // document -> [update bytes the server acknowledged as applied]
    this.refused = new Map();  // document -> [update bytes answered with SyncStatus(false)]
    this.unanswered = new Map(); // socket record -> document -> [update bytes awaiting SyncStatus]
    this.ackProblems = [];     // SyncStatus with nothing to answer: the pairing assumption broke
    const observer = {
      onSend: (record, bytes) => this.#onSend(record, bytes),
      onReceive: (record, bytes) => this.#onReceive(record, bytes),
    };
    this.WS = recordingWebSocketClass({ origin: originOf(session.server), sockets: this.sockets, observer });
    this.ws = new HocuspocusProviderWebsocket({
      url: collabUrl(session.server),
      WebSocketPolyfill: this.WS,
      delay,
      minDelay: delay,
      maxDelay,
      factor: 1.5,
      jitter: false,
    });
  }

  #queue(record, document) {
    let perDoc = this.unanswered.get(record);
    if (!perDoc) { perDoc = new Map(); this.unanswered.set(record, perDoc); }
    if (!perDoc.has(document)) perDoc.set(document, []);
    return perDoc.get(document);
  }

  #onSend(record, bytes) {
    const f = decodeHocus(bytes);
    if (f.type === 'sync' && (f.step === 'step2' || f.step === 'update')) this.#queue(record, f.document).push(f.payload);
  }

  #onReceive(record, bytes) {
    const f = decodeHocus(bytes);
    if (f.type !== 'sync-status') return;
    const update = this.#queue(record, f.document).shift();
    if (!update) {
      this.ackProblems.push(`SyncStatus(${f.applied}) for ${f.document} with no unanswered update on socket ${this.sockets.indexOf(record)}`);
      return;
    }
    const target = f.applied ? this.acked : this.refused;
    if (!target.has(f.document)) target.set(f.document, []);
    target.get(f.document).push(update);
  }

  /** Updates the server acknowledged as applied for `document`. */
  ackedUpdates(document) { return this.acked.get(String(document)) ?? []; }

  get connected() { return this.ws.status === 'connected'; }
  get lastSocket() { return this.sockets[this.sockets.length - 1]; }
  disconnect() { this.ws.disconnect(); }

  connect() {
    // After disconnect() the provider still says "connected" until the close completes, and its
    // connect() then returns without doing anything; wanting to connect makes its close handler
    // reconnect instead.
    this.ws.shouldConnect = true;
    return this.ws.connect();
  }

  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    this.ws.destroy();
  }
}

/** One HocuspocusProvider (one document) attached to a HocusSocket. */
export class HocusClient {
  constructor({ session, socket, ownSocket, document, token, name = `hocus-${document}`, doc = new Y.Doc() }) {
    this.kind = 'hocuspocus';
    this.session = session;
    this.socket = socket;
    this.ownSocket = ownSocket;
    this.name = name;
    this.document = String(document);
    this.doc = doc;
    this.scopes = [];     // scopes of Authenticated answers, in order
    this.denied = [];     // reasons of PermissionDenied answers
    this.closeMessages = [];
    this.provider = new HocuspocusProvider({
      websocketProvider: socket.ws,
      name: this.document,
      document: doc,
      token: token ?? null,
      onAuthenticated: ({ scope }) => this.scopes.push(scope),
      onAuthenticationFailed: ({ reason }) => this.denied.push(reason),
      onClose: ({ event }) => this.closeMessages.push(event),
    });
    this.awareness = this.provider.awareness;
    this.provider.attach();
  }

  get synced() { return this.provider.isSynced; }
  get authenticated() { return this.provider.isAuthenticated; }
  get connected() { return this.socket.connected; }
  get unsynced() { return this.provider.unsyncedChanges; }
  get sockets() { return this.socket.sockets; }
  get lastSocket() { return this.socket.lastSocket; }

  async waitSynced({ timeoutMs = 10_000 } = {}) {
    await waitUntil(() => this.provider.isSynced, { timeoutMs, what: `${this.name} synced`, diagnostics: () => this.describe() });
  }

  /** Waits until the server acknowledged everything we sent (SyncStatus for each update). */
  async waitAcked({ timeoutMs = 10_000 } = {}) {
    await waitUntil(() => this.provider.isSynced && this.provider.unsyncedChanges === 0,
      { timeoutMs, what: `${this.name}: every update acknowledged`, diagnostics: () => this.describe() });
  }

  /** Frames received on the socket for this document, decoded. */
  framesFor(record = this.lastSocket) {
    return (record?.received ?? []).map(decodeHocus).filter((f) => f.document === this.document);
  }

  sendRaw(bytes) {
    const ws = this.socket.ws.webSocket;
    if (!ws || ws.readyState !== WebSocket.OPEN) throw new Error(`${this.name}: no open socket`);
    ws.send(bytes);
  }

  /** Sync step 1 on this document; resolves when the server's step 2 reply (type 4 or 0) arrives. */
  async roundTrip({ timeoutMs = 10_000 } = {}) {
    await waitUntil(() => this.connected && this.authenticated, { timeoutMs, what: `${this.name} authenticated`, diagnostics: () => this.describe() });
    const record = this.lastSocket;
    const before = record.received.length;
    this.sendRaw(hocus.syncStep1(this.document, Y.encodeStateVector(this.doc)));
    await waitUntil(() => record.received.slice(before).map(decodeHocus)
      .some((f) => f.document === this.document && (f.type === 'sync' || f.type === 'sync-reply') && f.step === 'step2'),
    { timeoutMs, what: `${this.name}: sync step 2 answering our step 1`, diagnostics: () => this.describe() });
    await sleep(5);
  }

  detach() { this.provider.detach(); }
  attach() { this.provider.attach(); }

  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    this.provider.destroy();
    if (this.ownSocket) this.socket.destroy();
    this.doc.destroy();
  }

  describe() {
    const frames = this.framesFor().slice(-8).map(describeFrame).join('\n      ');
    return `  ${this.name} [hocuspocus doc ${this.document} on ${this.socket.name}] connected=${this.connected} ` +
      `authenticated=${this.authenticated} scopes=${JSON.stringify(this.scopes)} denied=${JSON.stringify(this.denied)} ` +
      `synced=${this.synced} unsynced=${this.unsynced} sockets=${this.sockets.length} ` +
      `lastClose=${JSON.stringify(this.lastSocket?.close ?? null)}\n` +
      `    sv=${stateVectorText(this.doc)}\n    content=${shorten(docContent(this.doc), 300)}\n    last frames: ${frames}`;
  }
}

/**
 * Waits until every client's Y.Doc has the same content and state vector; throws with each
 * client's state when they do not within timeoutMs. Returns the common content.
 */
export async function waitConverged(clients, { timeoutMs = 20_000, what = 'clients to converge' } = {}) {
  const same = () => {
    const contents = clients.map((c) => docContent(c.doc));
    const svs = clients.map((c) => stateVectorText(c.doc));
    return contents.every((x) => x === contents[0]) && svs.every((x) => x === svs[0]);
  };
  await waitUntil(same, {
    timeoutMs,
    what,
    diagnostics: () => {
      const first = docContent(clients[0].doc);
      const diffs = clients.slice(1).map((c) => {
        const other = docContent(c.doc);
        if (other === first) return `  ${c.name}: same content as ${clients[0].name}`;
        return `  ${c.name} vs ${clients[0].name}: ${firstDifference(first, other)}`;
      });
      return `${clients.map((c) => c.describe()).join('\n')}\n${diffs.join('\n')}`;
    },
  });
  return docContent(clients[0].doc);
}

// ---------------------------------------------------------------------------------------------
// Raw clients

/**
 * A WebSocket (the `ws` package) for hand-made frames: records every frame received and the
 * close. open() resolves once the upgrade succeeded, or with httpStatus set when it was refused.
 */
export class RawSocket {
  static async open(server, path, { timeoutMs = 5000, origin = originOf(server), maxPayload = 64 * 1024 * 1024, keepFrames = true, onFrame } = {}) {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`, { origin, maxPayload });
    const raw = new RawSocket(ws, path, { keepFrames, onFrame });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`WebSocket upgrade of ${path} timed out`)), timeoutMs);
      ws.once('open', () => { clearTimeout(timer); resolve(); });
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        raw.httpStatus = res.statusCode;
        res.resume();
        ws.terminate?.();
        resolve();
      });
      ws.once('error', (err) => { clearTimeout(timer); if (!raw.httpStatus) reject(err); });
    });
    return raw;
  }

  constructor(ws, path, { keepFrames = true, onFrame } = {}) {
    this.ws = ws;
    this.path = path;
    this.frames = [];       // Uint8Array, in order (unless keepFrames is false)
    this.keepFrames = keepFrames;
    this.frameCount = 0;
    this.bytesReceived = 0;
    this.textFrames = 0;
    this.close = null;      // { code, reason }
    this.error = null;
    this.httpStatus = null;
    this.cursor = 0;
    this.waiters = new Set();
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.textFrames++;
      const bytes = toBytes(data);
      this.frameCount++;
      this.bytesReceived += bytes.length;
      onFrame?.(bytes);
      if (this.keepFrames) this.frames.push(bytes);
      this.#wake();
    });
    ws.on('close', (code, reason) => { this.close = { code, reason: reason.toString('utf8') }; this.#wake(); });
    ws.on('error', (err) => { this.error = err.message; this.#wake(); });
  }

  #wake() { for (const w of this.waiters) w(); }

  get isOpen() { return this.ws.readyState === WebSocket.OPEN; }

  /** Sends bytes as one binary frame (or text with { binary: false }); false once closed. */
  send(bytes, { binary = true } = {}) {
    if (this.ws.readyState !== WebSocket.OPEN) return Promise.resolve(false);
    return new Promise((resolve) => this.ws.send(bytes, { binary }, (err) => resolve(!err)));
  }

  /** Resolves when `predicate(frameBytes)` holds for a frame received after the cursor; advances it. */
  async next(predicate, { timeoutMs = 5000, what = 'a matching frame', decode = decodeYws } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.frames.length) {
        const bytes = this.frames[this.cursor++];
        if (predicate(decode(bytes), bytes)) return decode(bytes);
      }
      if (this.close) throw new Error(`closed (${JSON.stringify(this.close)}) before ${what}; frames: ${this.describeFrames(decode)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms; frames: ${this.describeFrames(decode)}`);
      await this.#changed(left);
    }
  }

  /** Resolves with { code, reason } once the server closed the socket, or null after timeoutMs. */
  async waitClose(timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    while (!this.close) {
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await this.#changed(left);
    }
    return this.close;
  }

  #changed(ms) {
    return new Promise((resolve) => {
      const done = () => { clearTimeout(timer); this.waiters.delete(done); resolve(); };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  describeFrames(decode = decodeYws, last = 10) {
    return `[${this.frames.slice(-last).map((b) => describeFrame(decode(b))).join(', ')}] (${this.frames.length} in all)`;
  }

  destroy() { try { this.ws.terminate(); } catch { /* gone */ } }
}

/**
 * A WebSocket client over a plain TCP socket that writes frames itself, for a frame whose
 * payload is streamed in pieces (no 100 MB buffer) and for a client that stops reading.
 */
export class FrameSocket {
  static async open(server, path, { timeoutMs = 5000, origin = originOf(server) } = {}) {
    const socket = net.connect({ host: '127.0.0.1', port: server.port });
    socket.setNoDelay(true);
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => { socket.destroy(); reject(new Error('connect timed out')); }, timeoutMs);
      socket.once('connect', () => { clearTimeout(timer); resolve(); });
      socket.once('error', (err) => { clearTimeout(timer); reject(err); });
    });
    const client = new FrameSocket(socket);
    const key = crypto.randomBytes(16).toString('base64');
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nOrigin: ${origin}\r\n\r\n`);
    await client.#waitFor(() => client.head !== null || client.ended, timeoutMs, 'the upgrade response');
    if (!/^HTTP\/1\.1 101/.test(client.head ?? '')) throw new Error(`upgrade refused: ${JSON.stringify(client.head)}`);
    return client;
  }

  constructor(socket) {
    this.socket = socket;
    this.head = null;
    this.pending = Buffer.alloc(0);
    this.frames = [];        // { opcode, payload }
    this.close = null;       // { code, reason } from the server's close frame
    this.ended = false;      // TCP end or close seen
    this.error = null;
    this.bytesReceived = 0;
    this.waiters = new Set();
    this.keepFrames = true;
    socket.on('data', (chunk) => this.#onData(chunk));
    socket.on('end', () => { this.ended = true; this.#wake(); });
    socket.on('close', () => { this.ended = true; this.#wake(); });
    socket.on('error', (err) => { this.error = err.code ?? err.message; this.ended = true; this.#wake(); });
  }

  #wake() { for (const w of this.waiters) w(); }

  #onData(chunk) {
    this.bytesReceived += chunk.length;
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    if (this.head === null) {
      const end = this.pending.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.head = this.pending.subarray(0, end).toString('latin1');
      this.pending = this.pending.subarray(end + 4);
    }
    for (;;) {
      const frame = parseServerFrame(this.pending);
      if (!frame) break;
      this.pending = this.pending.subarray(frame.consumed);
      if (frame.opcode === 8) {
        const p = frame.payload;
        this.close = { code: p.length >= 2 ? p.readUInt16BE(0) : 1005, reason: p.subarray(2).toString('utf8') };
      } else if (this.keepFrames) {
        this.frames.push({ opcode: frame.opcode, payload: new Uint8Array(frame.payload) });
      }
    }
    this.#wake();
  }

  #waitFor(predicate, timeoutMs, what) {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (predicate()) { cleanup(); resolve(); }
      };
      const timer = setTimeout(() => { cleanup(); reject(new Error(`no ${what} within ${timeoutMs} ms`)); }, timeoutMs);
      const cleanup = () => { clearTimeout(timer); this.waiters.delete(check); };
      this.waiters.add(check);
      check();
    });
  }

  /** Writes bytes, waiting for the socket to drain; false once the connection is gone. */
  write(bytes) {
    if (this.ended || this.socket.destroyed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const ok = this.socket.write(bytes, (err) => { if (err) resolve(false); });
      if (ok) { resolve(true); return; }
      const onDrain = () => { cleanup(); resolve(true); };
      const onGone = () => { cleanup(); resolve(false); };
      const cleanup = () => { this.socket.off('drain', onDrain); this.waiters.delete(check); };
      const check = () => { if (this.ended || this.close) onGone(); };
      this.socket.once('drain', onDrain);
      this.waiters.add(check);
    });
  }

  /** Sends one whole masked frame. */
  sendFrame(payload, { opcode = 2 } = {}) {
    return this.write(Buffer.concat([frameHeader(opcode, payload.length, kMask), maskPayload(Buffer.from(payload), 0)]));
  }

  /**
   * Streams one binary frame announcing `length` bytes, in chunks of zeros, until all is sent
   * or the server closed. Returns the number of payload bytes written.
   */
  async streamFrame(length, { chunk = 64 * 1024 } = {}) {
    if (!(await this.write(frameHeader(2, length, kMask)))) return 0;
    const piece = maskPayload(Buffer.alloc(chunk), 0); // chunk is a multiple of 4, so every piece masks alike
    let sent = 0;
    for (;;) {
      // Write only straight after a poll phase has read what arrived: a server that refuses the
      // frame sends its close frame and then resets the connection (our data is unread), and node
      // ends a socket at once on a write error, dropping what the kernel still holds for it.
      await sleep(1);
      await new Promise((resolve) => setImmediate(resolve));
      if (sent >= length || this.close || this.ended) break;
      const n = Math.min(chunk, length - sent);
      if (!(await this.write(n === chunk ? piece : piece.subarray(0, n)))) break;
      sent += n;
    }
    return sent;
  }

  /** Stops reading: the kernel buffers fill and the server's writes back up. */
  pause() { this.socket.pause(); }
  resume() { this.socket.resume(); }

  /** Waits for the server's close frame or the end of the connection; returns whether it came. */
  async waitClosed(timeoutMs = 5000) {
    try {
      await this.#waitFor(() => this.close !== null || this.ended, timeoutMs, 'close');
      return true;
    } catch {
      return false;
    }
  }

  destroy() { this.socket.destroy(); }
}

const kMask = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

function frameHeader(opcode, length, mask) {
  let head;
  if (length < 126) {
    head = Buffer.alloc(2);
    head[1] = 0x80 | length;
  } else if (length < 65536) {
    head = Buffer.alloc(4);
    head[1] = 0x80 | 126;
    head.writeUInt16BE(length, 2);
  } else {
    head = Buffer.alloc(10);
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(length), 2);
  }
  head[0] = 0x80 | opcode;
  return Buffer.concat([head, mask]);
}

function maskPayload(payload, offset) {
  const out = Buffer.from(payload);
  for (let i = 0; i < out.length; i++) out[i] ^= kMask[(offset + i) & 3];
  return out;
}

function parseServerFrame(buf) {
  if (buf.length < 2) return null;
  const opcode = buf[0] & 0x0f;
  const masked = (buf[1] & 0x80) !== 0;
  let len = buf[1] & 0x7f;
  let offset = 2;
  if (len === 126) {
    if (buf.length < 4) return null;
    len = buf.readUInt16BE(2);
    offset = 4;
  } else if (len === 127) {
    if (buf.length < 10) return null;
    len = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  if (masked) offset += 4;
  if (buf.length < offset + len) return null;
  let payload = buf.subarray(offset, offset + len);
  if (masked) {
    const key = buf.subarray(offset - 4, offset);
    payload = Buffer.from(payload);
    for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
  }
  return { opcode, payload, consumed: offset + len };
}

// ---------------------------------------------------------------------------------------------
// Servers

/**
 * Starts `agora serve` on a given port and data folder (to restart after a kill so providers
 * reconnect by themselves). Retries briefly while the port is still held; throws with stderr.
 */
export async function startServerAt({ dataDir, port, args = [], timeoutMs = 20_000 }) {
  const fullArgs = ['serve', '--data', dataDir, '--listen', `127.0.0.1:${port}`, ...args];
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    const child = spawn(agoraBin(), fullArgs, { env: agoraEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new AgoraServer({ child, port, host: '127.0.0.1', dataDir, ownsDataDir: false, tls: false, args: fullArgs });
    for (;;) {
      if (server.exit) break;
      try {
        const res = await request(server, { path: '/healthz', timeoutMs: 1000 });
        if (res.status === 200) return server;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) {
        await server.stop({ signal: 'SIGKILL' });
        throw new Error(`agora ${fullArgs.join(' ')} not healthy within ${timeoutMs} ms; stderr:\n${server.stderrTail()}`);
      }
      await sleep(50);
    }
    lastError = `exited ${JSON.stringify(server.exit)}; stderr:\n${server.stderrTail(2000)}`;
    await sleep(200);
  }
  throw new Error(`agora ${fullArgs.join(' ')} did not start: ${lastError}`);
}

/** Starts a server with the demo loaded in a data folder this test owns (removed by cleanup()). */
export async function startDemoServer({ args = [] } = {}) {
  const dataDir = makeTempDir('agora-collab-');
  const server = await startServer({ demo: true, dataDir, args });
  server.cleanup = () => removeDir(dataDir);
  return server;
}

/** The recent server log records, for failure messages. */
export function serverLogTail(server, n = 30) {
  return server.logs.slice(-n).map((r) => JSON.stringify(r)).join('\n');
}
