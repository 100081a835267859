// The Yjs and ywasm side of bench/crdt. run.mjs starts this file once per kind of measurement in
// a fresh `node --expose-gc` process, so one library's garbage, JIT state and WebAssembly memory
// never touch another's figures. Each mode prints one JSON object on stdout.
//
//   yjs TRACE RUNS OUT_DIR CLIENT_ID
//                            local replay by client CLIENT_ID, apply remote, encode, load (medians
//                            of RUNS); writes OUT_DIR/updates.bin (the updates Yjs emitted, each
//                            framed by a lib0 varUint length, as `agora crdt apply` reads),
//                            state.bin, end.txt
//   ywasm OUT_DIR RUNS       apply remote, encode, load of OUT_DIR/updates.bin (medians of RUNS)
//   yjs-merge OUT_DIR        one Y.mergeUpdates over every update (run.mjs kills it at the cap)
//   yjs-memory STATE_FILE    resident growth from loading STATE_FILE into a fresh Yjs doc
//   ywasm-memory STATE_FILE  the same with ywasm

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import zlib from 'node:zlib';

// The npm packages live with the black-box tests (tests/package.json), not in a package of our own.
const testsDir = fileURLToPath(new URL('../../tests/', import.meta.url));
const require = createRequire(path.join(testsDir, 'package.json'));

// Yjs is loaded as the ES module browsers get: under Node 20 its CommonJS build (what require
// gives) replays automerge-paper about 3x slower, which would flatter Agora.
async function importYjs() {
  const dir = path.join(testsDir, 'node_modules', 'yjs');
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const entry = pkg.exports?.['.']?.import ?? pkg.module;
  return import(pathToFileURL(path.join(dir, entry)).href);
}
const Y = ['yjs', 'yjs-merge', 'yjs-memory'].includes(process.argv[2]) ? await importYjs() : null;

const gc = globalThis.gc ?? (() => { throw new Error('run node with --expose-gc'); });
const now = () => performance.now();

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fail(message) {
  process.stderr.write(`bench/crdt: ${message}\n`);
  process.exit(1);
}

/**
 * The trace in `file` (../shared/traces/README.md) flattened into patches [position, deleted,
 * inserted] whose position and count are UTF-16 indices, as Y.Text counts, instead of the trace's
 * code points. Done once, outside every timed region.
 */
function loadTrace(file) {
  let trace;
  try {
    trace = JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8'));
  } catch (e) {
    fail(`cannot read trace ${file}: ${e.message}`);
  }
  if (typeof trace?.endContent !== 'string' || !Array.isArray(trace.txns)) {
    fail(`${file} is not an editing trace (no endContent or txns)`);
  }
  const raw = [];
  if (trace.startContent) raw.push([0, 0, trace.startContent]);
  for (const txn of trace.txns) for (const p of txn.patches) raw.push(p);

  const astralRe = /[\u{10000}-\u{10FFFF}]/u;
  if (!raw.some((p) => astralRe.test(p[2]))) {
    return { patches: raw, end: trace.endContent, txns: trace.txns.length };
  }
  // Code point positions of the astral characters in the current text, ascending: a position
  // becomes a UTF-16 index by adding the number of astral characters before it.
  let astral = [];
  const lowerBound = (x) => {
    let lo = 0;
    let hi = astral.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (astral[mid] < x) lo = mid + 1; else hi = mid;
    }
    return lo;
  };
  const patches = raw.map(([pos, del, ins]) => {
    const lo = lowerBound(pos);
    const hi = lowerBound(pos + del);
    const chars = Array.from(ins);
    const added = [];
    chars.forEach((c, i) => { if (c.length === 2) added.push(pos + i); });
    const shift = chars.length - del;
    astral = astral.slice(0, lo).concat(added, astral.slice(hi).map((p) => p + shift));
    return [pos + lo, del + (hi - lo), ins];
  });
  return { patches, end: trace.endContent, txns: trace.txns.length };
}

function writeFramed(file, updates) {
  let size = 0;
  for (const u of updates) size += u.length + 5;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const u of updates) {
    let n = u.length;
    while (n > 0x7f) { out[at++] = 0x80 | (n & 0x7f); n >>>= 7; }
    out[at++] = n;
    out.set(u, at);
    at += u.length;
  }
  fs.writeFileSync(file, out.subarray(0, at));
}

function readFramed(file) {
  const buf = fs.readFileSync(file);
  const updates = [];
  let at = 0;
  while (at < buf.length) {
    let n = 0;
    let shift = 0;
    for (;;) {
      const b = buf[at++];
      n += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) break;
    }
    updates.push(buf.subarray(at, at + n));
    at += n;
  }
  return updates;
}

function checkText(what, got, want) {
  if (got === want) return;
  let i = 0;
  while (i < got.length && got[i] === want[i]) i++;
  fail(`${what}: the text differs from the trace's endContent at UTF-16 index ${i} ` +
    `(${got.length} vs ${want.length} units)`);
}

function yjsMode(traceFile, runs, outDir, clientId) {
  const { patches, end, txns } = loadTrace(traceFile);

  let updates = null;
  const local = [];
  for (let r = 0; r < runs; r++) {
    gc();
    const doc = new Y.Doc();
    doc.clientID = clientId;
    const text = doc.getText('text');
    const emitted = [];
    doc.on('update', (u) => { emitted.push(u); });
    const t0 = now();
    for (const [pos, del, ins] of patches) {
      doc.transact(() => {
        if (del > 0) text.delete(pos, del);
        if (ins.length > 0) text.insert(pos, ins);
      });
    }
    local.push(now() - t0);
    if (updates === null) {
      checkText('Yjs local replay', text.toString(), end);
      updates = emitted;
    }
    doc.destroy();
  }

  let remoteDoc = null;
  const remote = [];
  for (let r = 0; r < runs; r++) {
    remoteDoc?.destroy();
    remoteDoc = null;
    gc();
    const doc = new Y.Doc();
    doc.getText('text');
    const t0 = now();
    for (const u of updates) Y.applyUpdate(doc, u);
    remote.push(now() - t0);
    checkText('Yjs apply remote', doc.getText('text').toString(), end);
    remoteDoc = doc;
  }

  const encode = [];
  let state = null;
  for (let r = 0; r < runs; r++) {
    gc();
    const t0 = now();
    state = Y.encodeStateAsUpdate(remoteDoc);
    encode.push(now() - t0);
  }

  const load = [];
  for (let r = 0; r < runs; r++) {
    gc();
    const doc = new Y.Doc();
    doc.getText('text');
    const t0 = now();
    Y.applyUpdate(doc, state);
    load.push(now() - t0);
    checkText('Yjs load', doc.getText('text').toString(), end);
    doc.destroy();
  }

  writeFramed(path.join(outDir, 'updates.bin'), updates);
  fs.writeFileSync(path.join(outDir, 'state.bin'), state);
  fs.writeFileSync(path.join(outDir, 'end.txt'), end);
  return {
    txns,
    patches: patches.length,
    updates: updates.length,
    endCodePoints: Array.from(end).length,
    local_ms: median(local),
    apply_remote_ms: median(remote),
    encode_ms: median(encode),
    load_ms: median(load),
    state_bytes: state.length,
  };
}

function ywasmMode(outDir, runs) {
  const W = require('ywasm');
  const updates = readFramed(path.join(outDir, 'updates.bin'));
  const end = fs.readFileSync(path.join(outDir, 'end.txt'), 'utf8');
  const textOf = (doc) => doc.getText('text').toString(undefined);

  let remoteDoc = null;
  const remote = [];
  for (let r = 0; r < runs; r++) {
    remoteDoc?.free();
    remoteDoc = null;
    gc();
    const doc = new W.YDoc({});
    doc.getText('text');
    const t0 = now();
    for (const u of updates) W.applyUpdate(doc, u, undefined);
    remote.push(now() - t0);
    checkText('ywasm apply remote', textOf(doc), end);
    remoteDoc = doc;
  }

  const encode = [];
  let state = null;
  for (let r = 0; r < runs; r++) {
    gc();
    const t0 = now();
    state = W.encodeStateAsUpdate(remoteDoc, undefined);
    encode.push(now() - t0);
  }

  const load = [];
  for (let r = 0; r < runs; r++) {
    gc();
    const doc = new W.YDoc({});
    doc.getText('text');
    const t0 = now();
    W.applyUpdate(doc, state, undefined);
    load.push(now() - t0);
    checkText('ywasm load', textOf(doc), end);
    doc.free();
  }
  return {
    apply_remote_ms: median(remote),
    encode_ms: median(encode),
    load_ms: median(load),
    state_bytes: state.length,
  };
}

function yjsMergeMode(outDir) {
  const updates = readFramed(path.join(outDir, 'updates.bin'));
  const end = fs.readFileSync(path.join(outDir, 'end.txt'), 'utf8');
  gc();
  // run.mjs starts its time cap when it reads this line.
  process.stdout.write('merging\n');
  const t0 = now();
  const merged = Y.mergeUpdates(updates);
  const mergeMs = now() - t0;
  const doc = new Y.Doc();
  Y.applyUpdate(doc, merged);
  checkText('Yjs mergeUpdates', doc.getText('text').toString(), end);
  return { merge_ms: mergeMs, merged_bytes: merged.length };
}

/**
 * Resident growth from loading the state in `stateFile` into a fresh doc of `lib`. The library is
 * loaded, and its load path run once on a tiny document, before the baseline, so that the figure
 * is the document's own.
 */
function memoryMode(lib, stateFile) {
  const state = fs.readFileSync(stateFile);
  const rss = () => { gc(); gc(); return process.memoryUsage().rss; };
  let load;
  if (lib === 'yjs') {
    const warm = new Y.Doc();
    warm.getText('text').insert(0, 'warm-up');
    const warmState = Y.encodeStateAsUpdate(warm);
    load = (bytes) => {
      const doc = new Y.Doc();
      doc.getText('text');
      Y.applyUpdate(doc, bytes);
      return { doc, length: doc.getText('text').length };
    };
    load(warmState);
  } else {
    const W = require('ywasm');
    const warm = new W.YDoc({});
    warm.getText('text').insert(0, 'warm-up', undefined, undefined);
    const warmState = W.encodeStateAsUpdate(warm, undefined);
    load = (bytes) => {
      const doc = new W.YDoc({});
      W.applyUpdate(doc, bytes, undefined);
      return { doc, length: doc.getText('text').length(undefined) };
    };
    load(warmState).doc.free();
  }
  const before = rss();
  const loaded = load(state);
  const after = rss();
  return { rss_mb: (after - before) / 2 ** 20, length: loaded.length };
}

const [mode, ...args] = process.argv.slice(2);
let result;
switch (mode) {
  case 'yjs': result = yjsMode(args[0], Number(args[1]), args[2], Number(args[3])); break;
  case 'ywasm': result = ywasmMode(args[0], Number(args[1])); break;
  case 'yjs-merge': result = yjsMergeMode(args[0]); break;
  case 'yjs-memory': result = memoryMode('yjs', args[0]); break;
  case 'ywasm-memory': result = memoryMode('ywasm', args[0]); break;
  default: fail(`measure.mjs: unknown mode ${mode}`);
}
process.stdout.write(JSON.stringify(result) + '\n');
