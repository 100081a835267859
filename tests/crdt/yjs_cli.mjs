#!/usr/bin/env node
// The `agora crdt` command line contract, implemented with Yjs itself. It exists to test the
// conformance harness: with AGORA_BIN pointing here, every conformance check must pass, which
// shows the checks compare what they claim to. Not a reference for speed.
//
//   node tests/crdt/yjs_cli.mjs crdt apply|merge|diff|replay ...   (same flags as agora)

import fs from 'node:fs';

import * as Y from 'yjs';

import { unframeUpdates } from './scenario.mjs';
import { readTrace, replayTraceInYjs } from './trace.mjs';

class UsageError extends Error {}

function parse(argv) {
  const opts = { v2: false, roots: [], files: [], stateVector: null, clientId: null, printState: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--v2') opts.v2 = true;
    else if (a === '--text' || a === '--map' || a === '--array' || a === '--xml') opts.roots.push([a.slice(2), value()]);
    else if (a === '--state-vector') opts.stateVector = value();
    else if (a === '--client-id') opts.clientId = Number(value());
    else if (a === '--print-state') opts.printState = true;
    else if (a.startsWith('--')) throw new UsageError(`unknown flag ${a}`);
    else opts.files.push(a);
  }
  if (opts.files.length === 0) throw new UsageError('no FILE given');
  return opts;
}

function readUpdates(file) {
  if (fault('fail', file)) throw new UsageError(`${file}: failing on purpose (CRDT_FAULT=fail)`);
  try {
    return unframeUpdates(new Uint8Array(fs.readFileSync(file)));
  } catch (e) {
    throw new UsageError(`${file}: ${e.message}`);
  }
}

const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const fault = (what, file) => process.env.CRDT_FAULT === what && file.includes(process.env.CRDT_FAULT_FILE ?? '');
const toV1 = (update, v2) => (v2 ? Y.convertUpdateFormatV2ToV1(update) : update);

function apply(opts) {
  for (const file of opts.files) {
    const updates = readUpdates(file);
    const t0 = performance.now();
    const doc = new Y.Doc();
    const getters = { text: 'getText', map: 'getMap', array: 'getArray', xml: 'getXmlFragment' };
    for (const [kind, name] of opts.roots) doc[getters[kind]](name);
    for (const u of updates) (opts.v2 ? Y.applyUpdateV2 : Y.applyUpdate)(doc, u);
    if (fault('state', file)) doc.getMap('fault').set('x', 1);
    const applyMs = performance.now() - t0;
    const roots = {};
    for (const [kind, name] of opts.roots) {
      const type = doc[getters[kind]](name);
      roots[name] = kind === 'text' || kind === 'xml' ? type.toString() : type.toJSON();
    }
    if (fault('roots', file) && opts.roots.length > 0) roots[opts.roots[0][1]] = 'fault';
    process.stdout.write(JSON.stringify({
      apply_ms: applyMs, state: b64(Y.encodeStateAsUpdate(doc)), state_vector: b64(Y.encodeStateVector(doc)), roots,
    }) + '\n');
  }
}

function merge(opts) {
  for (const file of opts.files) {
    const updates = readUpdates(file);
    const t0 = performance.now();
    const merged = toV1(opts.v2 ? Y.mergeUpdatesV2(fault('merge', file) ? updates.slice(1) : updates) : Y.mergeUpdates(fault('merge', file) ? updates.slice(1) : updates), opts.v2);
    process.stdout.write(JSON.stringify({ merge_ms: performance.now() - t0, update: b64(merged) }) + '\n');
  }
}

function diff(opts) {
  if (opts.stateVector === null) throw new UsageError('diff needs --state-vector BASE64');
  const sv = new Uint8Array(Buffer.from(opts.stateVector, 'base64'));
  for (const file of opts.files) {
    const updates = readUpdates(file);
    const used = fault('diff', file) ? updates.slice(0, -1) : updates;
    const d = opts.v2 ? Y.diffUpdateV2(Y.mergeUpdatesV2(used), sv) : Y.diffUpdate(Y.mergeUpdates(used), sv);
    process.stdout.write(JSON.stringify({ update: b64(toV1(d, opts.v2)) }) + '\n');
  }
}

function replay(opts) {
  const trace = readTrace(opts.files[0]);
  const t0 = performance.now();
  const { doc, text, patches, updates } = replayTraceInYjs(trace, { clientId: opts.clientId ?? 1, collectUpdates: true });
  const localMs = performance.now() - t0;
  if (text.toString() !== trace.endContent) {
    process.stderr.write('replay: the result differs from endContent\n');
    process.exit(1);
  }
  const remote = new Y.Doc();
  const t1 = performance.now();
  for (const u of updates) Y.applyUpdate(remote, u);
  const applyRemoteMs = performance.now() - t1;
  const t2 = performance.now();
  const state = Y.encodeStateAsUpdate(doc);
  const encodeMs = performance.now() - t2;
  const t3 = performance.now();
  Y.applyUpdate(new Y.Doc(), state);
  const loadMs = performance.now() - t3;
  const out = {
    ops: patches, local_ms: localMs, apply_remote_ms: applyRemoteMs, encode_ms: encodeMs, load_ms: loadMs,
    merge_ms: null, state_bytes: state.length, peak_rss_mb: process.memoryUsage().rss / 2 ** 20,
  };
  if (opts.printState) out.state = b64(state);
  process.stdout.write(JSON.stringify(out) + '\n');
}

function main() {
  const [group, command, ...rest] = process.argv.slice(2);
  try {
    if (group !== 'crdt') throw new UsageError(`unknown subcommand ${group}`);
    const opts = parse(rest);
    if (command === 'apply') apply(opts);
    else if (command === 'merge') merge(opts);
    else if (command === 'diff') diff(opts);
    else if (command === 'replay') replay(opts);
    else throw new UsageError(`unknown crdt command ${command}`);
  } catch (e) {
    process.stderr.write(`agora crdt: ${e.message}\n`);
    process.exit(2);
  }
}

main();
