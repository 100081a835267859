// Reference data for the C++ engine's local editing, relative positions and snapshots
// (src/crdt/editing_test.cpp, relative_position_test.cpp, snapshot_test.cpp), recorded from
// Yjs itself.
//
// Each case is one seeded random session. Two remote clients build a document; a local client
// with a fixed clientID loads it and makes random edits on every shared type (one transaction per
// step), while remote updates arrive now and then. Recorded per case: the initial state, every
// local step's operations with the update Yjs emitted for it, every remote update applied, the
// relative positions created along the way (binary and JSON) and where they point at the end,
// snapshots (v1 and v2 bytes, equality with the previous one, the root text's delta at each
// snapshot) and the final state.
//
//   node tests/crdt/editing_fixtures.mjs [--cases N] [--first SEED] [--out FILE]
//
// Operations are JSON objects replayed by the C++ test:
//   {op: 'text.insert', path, index, text, attrs?}      YText.insert (attrs absent: inherit)
//   {op: 'text.embed', path, index, value, attrs?}      YText.insertEmbed (value: JSON or new type)
//   {op: 'text.format', path, index, length, attrs}     YText.format
//   {op: 'text.delete', path, index, length}            YText.delete
//   {op: 'map.set', path, key, value} / {op: 'map.delete', path, key}
//   {op: 'list.insert', path, index, values} / {op: 'list.push', path, values}
//   {op: 'list.delete', path, index, length}             YArray / YXmlFragment / YXmlElement
//   {op: 'xml.set_attribute', path, name, value} / {op: 'xml.remove_attribute', path, name}
// A path is [rootName, rootKind, ...steps]: a string step is a map key, a number a list index.
// Values: JSON, or {$t: kind, n: name} for a new shared type, {$b: [bytes]} for a Uint8Array,
// {$big: 'digits'} for a BigInt, {$u: 1} for undefined.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as Y from 'yjs';

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeRng(seed) {
  const next = mulberry32(seed);
  const rng = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
  };
  return rng;
}

const hex = (bytes) => Buffer.from(bytes).toString('hex');

const kRoots = [
  ['text', 'text'],
  ['map', 'map'],
  ['array', 'array'],
  ['xml', 'xml_fragment'],
];

function root(doc, name, kind) {
  switch (kind) {
    case 'text': return doc.getText(name);
    case 'map': return doc.getMap(name);
    case 'array': return doc.getArray(name);
    case 'xml_fragment': return doc.getXmlFragment(name);
  }
  throw new Error(`unknown root kind ${kind}`);
}

function resolve(doc, p) {
  let type = root(doc, p[0], p[1]);
  for (const step of p.slice(2)) {
    type = type.get(step);
    if (!(type instanceof Y.AbstractType)) throw new Error(`path ${JSON.stringify(p)} does not resolve`);
  }
  return type;
}

function kindOf(type) {
  if (type instanceof Y.XmlText) return 'xml_text';
  if (type instanceof Y.Text) return 'text';
  if (type instanceof Y.XmlHook) return 'xml_hook';
  if (type instanceof Y.Map) return 'map';
  if (type instanceof Y.Array) return 'array';
  if (type instanceof Y.XmlElement) return 'xml_element';
  if (type instanceof Y.XmlFragment) return 'xml_fragment';
  return 'unknown';
}

// Every shared type reachable through map entries and list elements, with its path.
function reachableTypes(doc) {
  const found = [];
  const visit = (type, p) => {
    found.push({ type, path: p, kind: kindOf(type) });
    const kind = kindOf(type);
    if (kind === 'map' || kind === 'xml_hook') {
      for (const [key, value] of type.entries()) {
        if (value instanceof Y.AbstractType) visit(value, [...p, key]);
      }
    } else if (kind === 'array' || kind === 'xml_fragment' || kind === 'xml_element') {
      type.toArray().forEach((value, index) => {
        if (value instanceof Y.AbstractType) visit(value, [...p, index]);
      });
    }
  };
  for (const [name, kind] of kRoots) visit(root(doc, name, kind), [name, kind]);
  return found;
}

function makeValue(spec) {
  if (spec !== null && typeof spec === 'object' && !Array.isArray(spec)) {
    if ('$t' in spec) {
      switch (spec.$t) {
        case 'map': return new Y.Map();
        case 'array': return new Y.Array();
        case 'text': return new Y.Text();
        case 'xml_fragment': return new Y.XmlFragment();
        case 'xml_element': return new Y.XmlElement(spec.n);
        case 'xml_text': return new Y.XmlText();
        case 'xml_hook': return new Y.XmlHook(spec.n);
      }
      throw new Error(`unknown type ${spec.$t}`);
    }
    if ('$b' in spec) return new Uint8Array(spec.$b);
    if ('$big' in spec) return BigInt(spec.$big);
    if ('$u' in spec) return undefined;
  }
  // A fresh copy, so no two operations share an object (Yjs compares objects by identity).
  return JSON.parse(JSON.stringify(spec));
}

const fresh = (value) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

export function applyOp(doc, op) {
  const type = resolve(doc, op.path);
  switch (op.op) {
    case 'text.insert': type.insert(op.index, op.text, fresh(op.attrs)); break;
    case 'text.embed': type.insertEmbed(op.index, makeValue(op.value), fresh(op.attrs)); break;
    case 'text.format': type.format(op.index, op.length, fresh(op.attrs)); break;
    case 'text.delete': type.delete(op.index, op.length); break;
    case 'map.set': type.set(op.key, makeValue(op.value)); break;
    case 'map.delete': type.delete(op.key); break;
    case 'list.insert': type.insert(op.index, op.values.map(makeValue)); break;
    case 'list.push': type.push(op.values.map(makeValue)); break;
    case 'list.delete': type.delete(op.index, op.length); break;
    case 'xml.set_attribute': type.setAttribute(op.name, op.value); break;
    case 'xml.remove_attribute': type.removeAttribute(op.name); break;
    default: throw new Error(`unknown op ${op.op}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Random operations.

const kAlphabet = ['a', 'b', 'c', 'd', 'e', ' ', '\n', 'é', '中', '😀'];
const kAttrKeys = ['bold', 'italic', 'link', 'color', '1', '0'];
const kAttrValues = [true, true, null, null, 'red', 'blue', 2, { href: 'a' }, { href: 'b', t: 1 }, { n: { x: 1 } }, [1, 2], {}];

function randomText(rng) {
  let s = '';
  const n = rng.int(1, 5);
  for (let i = 0; i < n; i++) s += rng.pick(kAlphabet);
  return s;
}

function randomAttrs(rng) {
  const attrs = {};
  const n = rng.int(1, 3);
  for (let i = 0; i < n; i++) attrs[rng.pick(kAttrKeys)] = rng.pick(kAttrValues);
  return attrs;
}

function randomJson(rng, depth = 0) {
  const r = rng.next();
  if (r < 0.15) return rng.int(-100, 100000);
  if (r < 0.25) return rng.pick([0.5, -3.25, 1e21, 2 ** 40, 0.1, 1.5e-7]);
  if (r < 0.4) return randomText(rng);
  if (r < 0.47) return null;
  if (r < 0.55) return rng.chance(0.5);
  if (depth < 2 && r < 0.75) {
    const o = {};
    const n = rng.int(0, 3);
    for (let i = 0; i < n; i++) o[rng.pick(['x', 'y', 'z', '2', 'k'])] = randomJson(rng, depth + 1);
    return o;
  }
  if (depth < 2) {
    const a = [];
    const n = rng.int(0, 3);
    for (let i = 0; i < n; i++) a.push(randomJson(rng, depth + 1));
    return a;
  }
  return 'leaf';
}

function randomTypeSpec(rng) {
  const kind = rng.pick(['map', 'array', 'text', 'xml_element', 'xml_text', 'xml_fragment', 'xml_hook']);
  const spec = { $t: kind };
  if (kind === 'xml_element') spec.n = rng.pick(['p', 'h1', 'li', 'UL']);
  if (kind === 'xml_hook') spec.n = 'hook';
  return spec;
}

function randomListValue(rng, allowTypes) {
  const r = rng.next();
  if (allowTypes && r < 0.15) return randomTypeSpec(rng);
  if (r < 0.22) return { $b: [rng.int(0, 255), rng.int(0, 255)] };
  return randomJson(rng);
}

function randomMapValue(rng) {
  const r = rng.next();
  if (r < 0.2) return randomTypeSpec(rng);
  if (r < 0.25) return { $b: [1, 2, rng.int(0, 255)] };
  if (r < 0.28) return { $big: String(rng.int(-5000, 5000)) };
  if (r < 0.3) return { $u: 1 };
  return randomJson(rng);
}

function textOp(rng, type, p) {
  const len = type.length;
  const r = rng.next();
  if (r < 0.35 || len === 0) {
    const op = { op: 'text.insert', path: p, index: rng.int(0, len), text: randomText(rng) };
    const a = rng.next();
    if (a < 0.1) op.attrs = {};
    else if (a < 0.55) op.attrs = randomAttrs(rng);
    return op;
  }
  if (r < 0.43) {
    const op = { op: 'text.embed', path: p, index: rng.int(0, len) };
    op.value = rng.chance(0.75) ? { image: rng.pick(['x.png', 'y.png']), w: rng.int(1, 9) } : randomTypeSpec(rng);
    if (rng.chance(0.5)) op.attrs = randomAttrs(rng);
    return op;
  }
  if (r < 0.7) {
    const index = rng.int(0, len);
    return { op: 'text.format', path: p, index, length: rng.int(0, len - index + (rng.chance(0.1) ? 2 : 0)), attrs: randomAttrs(rng) };
  }
  const index = rng.int(0, len - 1);
  return { op: 'text.delete', path: p, index, length: rng.int(1, Math.min(6, len - index + (rng.chance(0.1) ? 2 : 0))) };
}

function listOp(rng, type, p, kind) {
  const len = type.length;
  const xml = kind !== 'array';
  const r = rng.next();
  const values = () => {
    const out = [];
    const n = rng.int(1, 4);
    for (let i = 0; i < n; i++) {
      if (xml) {
        out.push(rng.chance(0.6) ? { $t: 'xml_element', n: rng.pick(['p', 'h1', 'li', 'UL']) } : { $t: 'xml_text' });
      } else {
        out.push(randomListValue(rng, true));
      }
    }
    return out;
  };
  if (kind === 'xml_element' && r < 0.25) {
    if (rng.chance(0.7)) return { op: 'xml.set_attribute', path: p, name: rng.pick(['class', 'id', 'data-x']), value: randomText(rng) };
    return { op: 'xml.remove_attribute', path: p, name: rng.pick(['class', 'id', 'data-x']) };
  }
  if (r < 0.55 || len === 0) return { op: 'list.insert', path: p, index: rng.int(0, len), values: values() };
  if (r < 0.7) return { op: 'list.push', path: p, values: values() };
  const index = rng.int(0, len - 1);
  return { op: 'list.delete', path: p, index, length: rng.int(1, Math.min(3, len - index)) };
}

function mapOp(rng, type, p) {
  const keys = ['a', 'b', 'c', 'd', '1'];
  if (rng.chance(0.75)) return { op: 'map.set', path: p, key: rng.pick(keys), value: randomMapValue(rng) };
  return { op: 'map.delete', path: p, key: rng.pick(keys) };
}

function randomOp(rng, doc, focus) {
  const types = reachableTypes(doc);
  // Bias towards the root text so that formatting histories get long.
  const target = rng.chance(focus) ? types[0] : rng.pick(types);
  switch (target.kind) {
    case 'text':
    case 'xml_text':
      return textOp(rng, target.type, target.path);
    case 'map':
    case 'xml_hook':
      return mapOp(rng, target.type, target.path);
    default:
      return listOp(rng, target.type, target.path, target.kind);
  }
}

// ---------------------------------------------------------------------------------------------
// Sessions.

function makeCase(seed) {
  const rng = makeRng(seed);
  const gc = rng.chance(0.5);
  const focus = rng.pick([0.2, 0.5, 0.8]);
  const localId = rng.chance(0.3) ? rng.int(1, 2 ** 21) * 2 ** 32 + rng.int(0, 2 ** 32 - 1) : rng.int(1000, 2 ** 32 - 1);
  const remotes = [new Y.Doc({ gc }), new Y.Doc({ gc })];
  remotes[0].clientID = 11 + (seed % 7);
  remotes[1].clientID = 500 + seed;
  const sync = (a, b) => Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  const initOps = rng.int(0, 25);
  for (let i = 0; i < initOps; i++) {
    const doc = rng.pick(remotes);
    doc.transact(() => applyOp(doc, randomOp(rng, doc, focus)));
    if (rng.chance(0.3)) { sync(remotes[0], remotes[1]); sync(remotes[1], remotes[0]); }
  }
  sync(remotes[0], remotes[1]);
  sync(remotes[1], remotes[0]);
  const init = Y.encodeStateAsUpdate(remotes[0]);

  const local = new Y.Doc({ gc });
  local.clientID = localId;
  // Name the roots before content arrives, as editors bind their types first. (A Yjs doc that
  // types a root only after receiving its content forgets that the text has formats and keeps
  // using search markers in it; Agora's documents behave like the typed-first ones.)
  for (const [name, kind] of kRoots) root(local, name, kind);
  Y.applyUpdate(local, init);
  const emitted = [];
  local.on('update', (update) => emitted.push(update));

  const steps = [];
  const positions = [];
  const snapshots = [];
  const stepCount = rng.int(10, 40);
  for (let s = 0; s < stepCount; s++) {
    const r = rng.next();
    if (r < 0.12) {
      const remote = rng.pick(remotes);
      const updates = [];
      const listen = (u) => updates.push(u);
      remote.on('update', listen);
      const n = rng.int(1, 3);
      for (let i = 0; i < n; i++) remote.transact(() => applyOp(remote, randomOp(rng, remote, focus)));
      remote.off('update', listen);
      for (const u of updates) {
        emitted.length = 0;
        Y.applyUpdate(local, u);
        steps.push({ apply: hex(u) });
      }
      continue;
    }
    if (r < 0.2) {
      const lists = reachableTypes(local).filter((t) => !['map', 'xml_hook'].includes(t.kind));
      const target = rng.pick(lists);
      const index = rng.int(0, target.type.length);
      const assoc = rng.pick([0, 0, -1, -1, 1, 3, -2]);
      const rpos = Y.createRelativePositionFromTypeIndex(target.type, index, assoc);
      positions.push({ at: steps.length, path: target.path, index, assoc, type: target.type, rpos });
      continue;
    }
    if (r < 0.26) {
      snapshots.push({ at: steps.length, snap: Y.snapshot(local) });
      continue;
    }
    const ops = [];
    const n = rng.chance(0.25) ? rng.int(2, 4) : 1;
    emitted.length = 0;
    local.transact(() => {
      for (let i = 0; i < n; i++) {
        const op = randomOp(rng, local, focus);
        ops.push(op);
        applyOp(local, op);
      }
    });
    if (emitted.length > 1) throw new Error(`seed ${seed}: a local transaction emitted ${emitted.length} updates`);
    steps.push({ ops, update: emitted.length === 0 ? '' : hex(emitted[0]) });
    for (const remote of remotes) {
      if (rng.chance(0.5) && emitted.length > 0) Y.applyUpdate(remote, emitted[0]);
    }
  }
  local.off('update', () => {});

  const state = hex(Y.encodeStateAsUpdate(local));
  const out = {
    seed,
    client: localId,
    gc,
    init: hex(init),
    steps,
    state,
    text: local.getText('text').toString(),
  };
  out.positions = positions.map((p) => {
    const bytes = Y.encodeRelativePosition(p.rpos);
    const decoded = Y.decodeRelativePosition(bytes);
    const abs = Y.createAbsolutePositionFromRelativePosition(decoded, local);
    return {
      at: p.at,
      path: p.path,
      index: p.index,
      assoc: p.assoc,
      bytes: hex(bytes),
      json: JSON.stringify(Y.relativePositionToJSON(p.rpos)),
      absolute: abs === null ? null : abs.index,
      same_type: abs !== null && abs.type === p.type,
    };
  });
  // Deltas last: toDelta(snapshot) splits structs (merged again afterwards).
  out.snapshots = snapshots.map(({ at, snap }, i) => ({
    at,
    v1: hex(Y.encodeSnapshot(snap)),
    v2: hex(Y.encodeSnapshotV2(snap)),
    equals_previous: i > 0 && Y.equalSnapshots(snap, snapshots[i - 1].snap),
    delta: JSON.stringify(local.getText('text').toDelta(snap)),
  }));
  if (hex(Y.encodeStateAsUpdate(local)) !== state) throw new Error(`seed ${seed}: toDelta(snapshot) changed the state`);
  return out;
}

function main() {
  const args = process.argv.slice(2);
  const option = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const count = Number(option('--cases', '150'));
  const first = Number(option('--first', '1'));
  const here = path.dirname(fileURLToPath(import.meta.url));
  const out = option('--out', path.join(here, '../../src/crdt/testdata/editing_cases.json'));
  const cases = [];
  for (let seed = first; seed < first + count; seed++) cases.push(makeCase(seed));
  const header = {
    generator: 'tests/crdt/editing_fixtures.mjs',
    yjs: '13.6.33',
    command: `node tests/crdt/editing_fixtures.mjs --cases ${count} --first ${first}`,
  };
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ ...header, cases }) + '\n');
  const steps = cases.reduce((n, c) => n + c.steps.length, 0);
  console.log(`${cases.length} cases, ${steps} steps -> ${out} (${fs.statSync(out).size} bytes)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
