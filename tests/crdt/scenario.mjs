// Randomized multi-client Yjs scenarios for the conformance tests of Agora's C++ CRDT engine.
//
// A scenario is fully determined by its seed: 2 to 6 Y.Doc clients make random edits on the
// roots text/map/array/xml (formats, embeds, nested types, XML elements and texts) while their
// updates travel over a hostile network (reordering, duplicates, delays, partial syncs, merged
// batches, disconnects and reconnects). One client is the observer: every update it applies, in
// the order it applies them, plus its own local updates, is the scenario's update sequence. The
// expected result is the observer's own document after that sequence.
//
// Command line:
//   node tests/crdt/scenario.mjs --self-check [--seeds N] [--base B] [--seed S] [--quiet]
//       checks that each recorded sequence, applied by Yjs to a fresh doc (v1 and v2), reproduces
//       the observer byte for byte, and that all clients converge after a full sync.
//   node tests/crdt/scenario.mjs --seed S --out DIR [--log]
//       writes S.v1.bin / S.v2.bin (framed update sequences), S.expected.json and S.log.txt.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';

export const kRootNames = { text: 'text', map: 'map', array: 'array', xml: 'xml' };

// ---------------------------------------------------------------------------------------------
// PRNG: sfc32 seeded through splitmix32, so any uint32 seed gives a well-mixed stream.

function splitmix32(state) {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A deterministic random source for one seed (a uint32); every draw goes through it. */
export function createRng(seed) {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`seed must be a uint32, got ${seed}`);
  const init = splitmix32(seed);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const nextUint32 = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) nextUint32();
  const rng = {
    seed,
    uint32: nextUint32,
    /** A float in [0, 1). */
    next: () => nextUint32() / 4294967296,
    /** An integer in [0, n). */
    int: (n) => Math.floor(rng.next() * n),
    /** An integer in [lo, hi]. */
    range: (lo, hi) => lo + rng.int(hi - lo + 1),
    bool: (p = 0.5) => rng.next() < p,
    pick: (items) => items[rng.int(items.length)],
    /** Picks from [[weight, value], ...]. */
    weighted: (choices) => {
      let total = 0;
      for (const [w] of choices) total += w;
      let x = rng.next() * total;
      for (const [w, v] of choices) {
        if (x < w) return v;
        x -= w;
      }
      return choices[choices.length - 1][1];
    },
  };
  return rng;
}

// ---------------------------------------------------------------------------------------------
// Random values.

// Pieces of text: ASCII, Latin-1, CJK, astral emoji (surrogate pairs), emoji sequences with
// modifiers and ZWJ, flags, combining marks, and characters JSON must escape.
const kTextPieces = [
  'a', 'b', 'c', 'x', 'y', 'z', ' ', ' ', 'Hello', 'world', '\n', 'é', 'ß', 'ñ', '中', '文', 'Ω',
  '😀', '👍🏽', '🇫🇷', '👩‍💻', '𝄞', 'e\u0301', '"', '\\', '\t', '<', '>', '&', '\u2028', '\u0001', '\u0000',
];
const kKeyPool = ['a', 'b', 'c', 'title', 'count', 'k😀', '', 'é', '1', '10', 'nested', 'list', 'x y'];
const kUrls = ['https://example.org/a', 'https://gov.example/ñ?q=1&r=2', 'mailto:x@example.org'];

function randomString(rng, maxPieces = 6) {
  const n = rng.range(1, maxPieces);
  let s = '';
  for (let i = 0; i < n; i++) s += rng.pick(kTextPieces);
  return s;
}

function randomNumber(rng) {
  return rng.weighted([
    [4, rng.range(-100, 1000)],
    [1, rng.range(-2147483648, 2147483647)],
    [1, rng.pick([2 ** 31, -(2 ** 31) - 1, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53 + 2])],
    [2, rng.pick([0.5, -1.25, 3.75, 1e-7, 0.1, -0.3, 1e21, 123456.789, 2.5e-300, 1.7976931348623157e308, -0])],
    [2, Math.round((rng.next() * 2000 - 1000) * 1e6) / 1e6],
    [1, Math.fround(rng.next() * 100 - 50)],
  ]);
}

function randomBytes(rng) {
  const bytes = new Uint8Array(rng.int(9));
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
  return bytes;
}

/** A value Yjs stores as `any`: numbers, strings, booleans, null, nested arrays/objects, bytes. */
function randomJson(rng, depth = 0) {
  const kind = rng.weighted([
    [4, 'number'], [4, 'string'], [1, 'bool'], [1, 'null'],
    [depth < 3 ? 1.5 : 0, 'array'], [depth < 3 ? 1.5 : 0, 'object'], [depth > 0 ? 0.5 : 0, 'bytes'],
  ]);
  switch (kind) {
    case 'number': return randomNumber(rng);
    case 'string': return rng.bool(0.1) ? '' : randomString(rng);
    case 'bool': return rng.bool();
    case 'null': return null;
    case 'bytes': return randomBytes(rng);
    case 'array': {
      const out = [];
      for (let i = rng.int(4); i > 0; i--) out.push(randomJson(rng, depth + 1));
      return out;
    }
    default: {
      const out = {};
      for (let i = rng.int(4); i > 0; i--) out[rng.pick(kKeyPool)] = randomJson(rng, depth + 1);
      return out;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Shared types: construction of (prelim) nested types and random edits.

const kElementNames = ['paragraph', 'heading', 'bulletList', 'listItem', 'blockquote', 'codeBlock', 'image', 'tableCell'];
const kAttributeNames = ['level', 'src', 'alt', 'class', 'data-id', 'checked', 'ñ'];

function kindOf(type) {
  if (type instanceof Y.XmlText) return 'xmltext';
  if (type instanceof Y.XmlElement) return 'xmlelement';
  if (type instanceof Y.XmlFragment) return 'xmlfragment';
  if (type instanceof Y.Text) return 'text';
  if (type instanceof Y.Map) return 'map';
  if (type instanceof Y.Array) return 'array';
  return 'other';
}

/** Every live shared type of `doc` reachable from the four roots, with its nesting depth. */
function collectTypes(doc) {
  const out = [];
  const visit = (type, depth) => {
    out.push({ type, depth });
    if (type instanceof Y.Map) {
      for (const value of type.values()) if (value instanceof Y.AbstractType) visit(value, depth + 1);
    } else if (type instanceof Y.Array || type instanceof Y.XmlFragment) {
      for (const value of type.toArray()) if (value instanceof Y.AbstractType) visit(value, depth + 1);
    }
  };
  visit(doc.getText(kRootNames.text), 0);
  visit(doc.getMap(kRootNames.map), 0);
  visit(doc.getArray(kRootNames.array), 0);
  visit(doc.getXmlFragment(kRootNames.xml), 0);
  return out;
}

function randomTextAttributes(rng, xml) {
  if (xml) {
    return rng.weighted([
      [2, { bold: true }], [1, { bold: {} }], [1, { italic: true }], [1, { link: { href: rng.pick(kUrls) } }],
      [1, { bold: true, italic: true }], [1, { code: true }],
    ]);
  }
  return rng.weighted([
    [2, { bold: true }], [2, { italic: true }], [1, { link: rng.pick(kUrls) }], [1, { link: { href: rng.pick(kUrls) } }],
    [1, { bold: true, italic: true }], [0.5, { size: rng.range(8, 30) }],
  ]);
}

function randomFormatChange(rng, xml) {
  if (rng.bool(0.35)) {
    const removal = {};
    for (const key of rng.pick([['bold'], ['italic'], ['link'], ['bold', 'italic'], ['bold', 'link']])) removal[key] = null;
    return removal;
  }
  return randomTextAttributes(rng, xml);
}

/** A new, not yet integrated, nested type, sometimes with initial content. */
function randomPrelimType(rng, depth, log) {
  const kind = rng.pick(['map', 'array', 'text']);
  const fill = rng.bool(0.6);
  if (kind === 'map') {
    const m = new Y.Map();
    if (fill) for (let i = rng.range(1, 3); i > 0; i--) m.set(rng.pick(kKeyPool), randomMapValue(rng, depth + 1, log));
    return m;
  }
  if (kind === 'array') {
    const a = new Y.Array();
    if (fill) a.insert(0, randomArrayValues(rng, depth + 1, log));
    return a;
  }
  const t = new Y.Text();
  if (fill) t.insert(0, randomString(rng), rng.bool(0.3) ? randomTextAttributes(rng, false) : undefined);
  return t;
}

function randomMapValue(rng, depth, log) {
  return rng.weighted([
    [7, () => randomJson(rng)],
    [1, () => randomBytes(rng)],
    [depth < 3 ? 2 : 0, () => randomPrelimType(rng, depth, log)],
  ])();
}

function randomArrayValues(rng, depth, log) {
  const values = [];
  for (let i = rng.range(1, 4); i > 0; i--) values.push(randomMapValue(rng, depth, log));
  return values;
}

function randomXmlNodes(rng, depth) {
  const nodes = [];
  for (let i = rng.range(1, 3); i > 0; i--) {
    if (rng.bool(0.55) && depth < 4) {
      const el = new Y.XmlElement(rng.pick(kElementNames));
      if (rng.bool(0.5)) el.setAttribute(rng.pick(kAttributeNames), randomAttributeValue(rng));
      if (rng.bool(0.5)) el.insert(0, randomXmlNodes(rng, depth + 1));
      nodes.push(el);
    } else {
      const t = new Y.XmlText();
      if (rng.bool(0.8)) t.insert(0, randomString(rng), rng.bool(0.3) ? randomTextAttributes(rng, true) : undefined);
      nodes.push(t);
    }
  }
  return nodes;
}

function randomAttributeValue(rng) {
  return rng.weighted([[4, randomString(rng, 3)], [2, rng.range(0, 6)], [1, rng.bool()]]);
}

function describeValue(v) {
  if (v instanceof Y.AbstractType) return `<${kindOf(v)}>`;
  if (v instanceof Uint8Array) return `bytes[${v.length}]`;
  return JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? `bytes[${x.length}]` : x));
}

function rangeIn(rng, length) {
  const index = rng.int(length);
  const len = rng.range(1, Math.min(length - index, rng.bool(0.8) ? 4 : 40));
  return [index, len];
}

/** The UTF-16 units of a Text as its indices count them (an embed is one unit). */
function textUnits(type) {
  return type.toDelta().map((d) => (typeof d.insert === 'string' ? d.insert : '\ue000')).join('');
}

function isLowSurrogate(code) {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** `index` moved off the middle of a surrogate pair in `units`. */
function offPair(units, index) {
  return index > 0 && index < units.length && isLowSurrogate(units.charCodeAt(index)) ? index - 1 : index;
}

/** One random edit on `type` (inside the caller's transaction); returns a description. */
function randomEdit(rng, type, depth, log) {
  const kind = kindOf(type);
  if (kind === 'text' || kind === 'xmltext') {
    const xml = kind === 'xmltext';
    const length = type.length;
    const op = rng.weighted([[5, 'insert'], [length > 0 ? 2.5 : 0, 'delete'], [length > 0 ? 2 : 0, 'format'], [xml ? 0 : 0.7, 'embed']]);
    // Yjs turns both halves of a surrogate pair into U+FFFD wherever it splits an item. Plain
    // inserts and deletes reach the other clients with the same split points, but formats,
    // embeds and inserts with attributes may split an item locally and send nothing about it, so
    // the sender would diverge from everyone else (a Yjs quirk, not what we test): their
    // positions stay off the middle of pairs.
    const units = length > 0 ? textUnits(type) : '';
    if (op === 'insert') {
      const str = rng.bool(0.05) ? randomString(rng, 40) : randomString(rng);
      const attrs = rng.weighted([[6, undefined], [3, randomTextAttributes(rng, xml)], [1, {}]]);
      let index = rng.int(length + 1);
      if (attrs !== undefined) index = offPair(units, index);
      const shown = attrs === undefined ? '' : JSON.stringify(attrs);
      type.insert(index, str, attrs);
      return `insert ${index} ${JSON.stringify(str)} ${shown}`;
    }
    if (op === 'delete') {
      const [index, len] = rangeIn(rng, length);
      type.delete(index, len);
      return `delete ${index} ${len}`;
    }
    if (op === 'format') {
      const [start, len] = rangeIn(rng, length);
      const index = offPair(units, start);
      const end = offPair(units, start + len);
      if (end <= index) return 'format skipped (empty range)';
      const attrs = randomFormatChange(rng, xml);
      type.format(index, end - index, attrs);
      return `format ${index} ${end - index} ${JSON.stringify(attrs)}`;
    }
    const index = offPair(units, rng.int(length + 1));
    const embed = rng.pick([{ image: rng.pick(kUrls) }, { formula: 'x^2' }, { mention: { id: rng.int(100), name: randomString(rng, 2) } }]);
    const attrs = rng.bool(0.3) ? randomTextAttributes(rng, false) : undefined;
    type.insertEmbed(index, embed, attrs);
    return `insertEmbed ${index} ${JSON.stringify(embed)} ${attrs === undefined ? '' : JSON.stringify(attrs)}`;
  }
  if (kind === 'map') {
    const keys = Array.from(type.keys());
    const op = rng.weighted([[5, 'set'], [keys.length > 0 ? 2 : 0.2, 'delete']]);
    if (op === 'set') {
      const key = rng.pick(kKeyPool);
      const value = randomMapValue(rng, depth, log);
      type.set(key, value);
      return `set ${JSON.stringify(key)} ${describeValue(value)}`;
    }
    const key = keys.length > 0 && rng.bool(0.9) ? rng.pick(keys) : rng.pick(kKeyPool);
    type.delete(key);
    return `delete ${JSON.stringify(key)}`;
  }
  if (kind === 'array') {
    const length = type.length;
    const op = rng.weighted([[4, 'insert'], [1.5, 'push'], [0.5, 'unshift'], [length > 0 ? 2.5 : 0, 'delete']]);
    if (op === 'delete') {
      const [index, len] = rangeIn(rng, length);
      type.delete(index, len);
      return `delete ${index} ${len}`;
    }
    const values = randomArrayValues(rng, depth, log);
    const what = values.map(describeValue).join(', ');
    if (op === 'push') {
      type.push(values);
      return `push [${what}]`;
    }
    if (op === 'unshift') {
      type.unshift(values);
      return `unshift [${what}]`;
    }
    const index = rng.int(length + 1);
    type.insert(index, values);
    return `insert ${index} [${what}]`;
  }
  // xmlfragment / xmlelement
  const length = type.length;
  const element = kind === 'xmlelement';
  const op = rng.weighted([
    [3, 'insert'], [length > 0 ? 1.5 : 0, 'delete'], [element ? 2 : 0, 'setAttribute'], [element ? 1 : 0, 'removeAttribute'],
  ]);
  if (op === 'insert') {
    const index = rng.int(length + 1);
    const nodes = randomXmlNodes(rng, depth);
    type.insert(index, nodes);
    return `insert ${index} [${nodes.map((n) => kindOf(n)).join(', ')}]`;
  }
  if (op === 'delete') {
    const [index, len] = rangeIn(rng, length);
    type.delete(index, Math.min(len, 2));
    return `delete ${index} ${Math.min(len, 2)}`;
  }
  if (op === 'setAttribute') {
    const name = rng.pick(kAttributeNames);
    const value = randomAttributeValue(rng);
    type.setAttribute(name, value);
    return `setAttribute ${name} ${JSON.stringify(value)}`;
  }
  const existing = Object.keys(type.getAttributes());
  const name = existing.length > 0 && rng.bool(0.85) ? rng.pick(existing) : rng.pick(kAttributeNames);
  type.removeAttribute(name);
  return `removeAttribute ${name}`;
}

function pickTarget(rng, doc) {
  const types = collectTypes(doc);
  const roots = types.slice(0, 4);
  const nested = types.slice(4);
  // Roots get most edits; nested types still get a fair share once they exist.
  if (nested.length > 0 && rng.bool(0.4)) return rng.pick(nested);
  return rng.weighted([[3, roots[0]], [2, roots[1]], [2, roots[2]], [2.5, roots[3]]]);
}

// ---------------------------------------------------------------------------------------------
// Reading documents.

/** The contents of the four roots as Yjs renders them (Text/Xml: toString; Map/Array: toJSON). */
export function rootsOf(doc) {
  return {
    [kRootNames.text]: doc.getText(kRootNames.text).toString(),
    [kRootNames.map]: doc.getMap(kRootNames.map).toJSON(),
    [kRootNames.array]: doc.getArray(kRootNames.array).toJSON(),
    [kRootNames.xml]: doc.getXmlFragment(kRootNames.xml).toString(),
  };
}

function sortKeysDeep(value) {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === 'object') {
    const out = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeysDeep(value[key]);
    return out;
  }
  return value;
}

/**
 * `value` as the JSON text a JSON printer gives for it (Uint8Array -> {"0":..}, -0 -> 0), parsed
 * back, with object keys sorted, so deep-equality does not depend on key order or number spelling.
 */
export function canonical(value) {
  return sortKeysDeep(JSON.parse(JSON.stringify(value)));
}

/** Canonical JSON text of `value` (see canonical); equal texts mean equal contents. */
export function canonicalText(value) {
  return JSON.stringify(canonical(value));
}

/** The update sequence framed as the CLI reads it: per update, varUint length then bytes. */
export function frameUpdates(updates) {
  const encoder = encoding.createEncoder();
  for (const update of updates) encoding.writeVarUint8Array(encoder, update);
  return encoding.toUint8Array(encoder);
}

/** The updates of a framed sequence (inverse of frameUpdates). */
export function unframeUpdates(bytes) {
  const decoder = decoding.createDecoder(bytes);
  const out = [];
  while (decoding.hasContent(decoder)) out.push(decoding.readVarUint8Array(decoder));
  return out;
}

/**
 * A fresh Y.Doc with the four roots declared before anything is applied, as the CLI's flags
 * declare them. This matters: Yjs's formatting cleanup after remote changes runs only for a Text
 * that saw a format item integrate, and a format item integrated into a root nobody has asked
 * for yet (a placeholder type) does not mark the Text created for that root later.
 */
export function newReplayDoc() {
  const doc = new Y.Doc();
  doc.getText(kRootNames.text);
  doc.getMap(kRootNames.map);
  doc.getArray(kRootNames.array);
  doc.getXmlFragment(kRootNames.xml);
  return doc;
}

/**
 * Applies `updates` in order to a fresh Y.Doc (v2 updates when `v2`). Returns the doc and how many
 * local transactions Yjs itself made while applying them (its YText formatting cleanup).
 */
export function replayUpdates(updates, { v2 = false } = {}) {
  const doc = newReplayDoc();
  let cleanupTransactions = 0;
  doc.on('afterTransaction', (tr) => { if (tr.local && tr.deleteSet.clients.size > 0) cleanupTransactions++; });
  for (const update of updates) {
    if (v2) Y.applyUpdateV2(doc, update, 'replay');
    else Y.applyUpdate(doc, update, 'replay');
  }
  return { doc, cleanupTransactions };
}

// ---------------------------------------------------------------------------------------------
// The scenario: clients, network, observer.

function randomClientIds(rng, n) {
  const mode = rng.weighted([[6, 'uint32'], [2, 'small'], [2, 'large']]);
  const ids = new Set();
  while (ids.size < n) {
    if (mode === 'small') ids.add(rng.int(12));
    else if (mode === 'large') ids.add(rng.bool() ? Number.MAX_SAFE_INTEGER - rng.int(1000) : 2 ** 32 + rng.uint32() * rng.int(2 ** 20));
    else ids.add(rng.uint32());
  }
  return Array.from(ids);
}

/**
 * A state vector like `sv` with some clients dropped or behind, possibly in the middle of an item
 * of `doc`. Unless `cutPairs`, never between the halves of a surrogate pair: a diff starting there
 * carries a lone half (sent as U+FFFD), and clients then diverge for good, as Yjs does.
 */
function perturbStateVector(rng, encodedSv, doc, cutPairs) {
  const sv = Y.decodeStateVector(encodedSv);
  const out = new Map();
  for (const [client, clock] of sv) {
    const r = rng.next();
    if (r < 0.25) continue;
    let cut = r < 0.6 ? rng.int(clock + 1) : clock;
    if (!cutPairs && cut < clock && cut < Y.getState(doc.store, client)) {
      const structs = doc.store.clients.get(client);
      const struct = structs[Y.findIndexSS(structs, cut)];
      if (struct && struct.content instanceof Y.ContentString && isLowSurrogate(struct.content.str.charCodeAt(cut - struct.id.clock))) cut--;
    }
    out.set(client, cut);
  }
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, out.size);
  for (const [client, clock] of out) {
    encoding.writeVarUint(encoder, client);
    encoding.writeVarUint(encoder, clock);
  }
  return encoding.toUint8Array(encoder);
}

/**
 * Runs the scenario of `seed`. Returns { seed, clients, observer, updates (v1), updatesV2,
 * expected: { state, stateVector, roots }, recordedFinalSync, converged, log, stats }.
 * With `log` the steps are described in `log` (an array of lines).
 */
export function generateScenario(seed, { log: wantLog = false, shadow = false } = {}) {
  const rng = createRng(seed);
  const log = [];
  const note = wantLog ? (line) => log.push(line) : () => {};
  const nClients = rng.range(2, 6);
  const ids = randomClientIds(rng, nClients);
  const observer = rng.int(nClients);
  const steps = rng.weighted([[3, rng.range(5, 30)], [4, rng.range(30, 80)], [1, rng.range(80, 160)]]);
  // In some scenarios partial syncs may start inside a surrogate pair; the clients then do not
  // converge (nor do Yjs clients), but the observer's sequence is as valid as any.
  const cutPairs = rng.bool(0.1);
  note(`seed ${seed}: ${nClients} clients ids [${ids.join(', ')}], observer ${observer}, ${steps} steps${cutPairs ? ', partial syncs may cut surrogate pairs' : ''}`);

  const recorded = [];
  let recording = true;
  // With `shadow`, a fresh doc applies each recorded update as it is recorded, so the first
  // update after which it differs from the observer can be named.
  const shadowDoc = shadow ? newReplayDoc() : null;
  let divergence = null;
  const checkShadow = () => {
    if (!shadowDoc || divergence !== null) return;
    Y.applyUpdate(shadowDoc, recorded[recorded.length - 1]);
    const observerDoc = clients[observer].doc;
    if (!Buffer.from(Y.encodeStateAsUpdate(shadowDoc)).equals(Buffer.from(Y.encodeStateAsUpdate(observerDoc)))) {
      divergence = { update: recorded.length - 1, observer: rootsOf(observerDoc), replay: rootsOf(shadowDoc) };
      note(`  !! a fresh doc applying the recorded updates differs from the observer from update ${recorded.length - 1} on`);
    }
  };
  const stats = { edits: 0, delivered: 0, duplicates: 0, reordered: 0, merged: 0, syncs: 0, partial: 0, disconnects: 0, cleanups: 0 };

  const clients = ids.map((id, index) => {
    const doc = new Y.Doc();
    doc.clientID = id;
    const client = { index, id, doc, online: true, inbox: [], seen: [], outbox: [], applying: false };
    doc.on('update', (update, _origin, _doc, tr) => {
      if (!tr.local) return;
      if (client.applying) stats.cleanups++;
      else if (index === observer && recording) {
        recorded.push(update);
        checkShadow();
      }
      // A provider sends every local update (its own edits and Yjs's formatting cleanups).
      if (client.online) {
        for (const peer of clients) if (peer !== client && peer.online) peer.inbox.push({ kind: 'update', bytes: update, from: index });
      } else {
        client.outbox.push(update);
      }
    });
    return client;
  });

  const applyTo = (client, bytes, how) => {
    client.applying = true;
    try {
      Y.applyUpdate(client.doc, bytes, 'remote');
    } finally {
      client.applying = false;
    }
    if (client.index === observer && recording) {
      recorded.push(bytes);
      checkShadow();
    }
    client.seen.push(bytes);
    note(`  client ${client.index} applies ${how} (${bytes.length} B)`);
  };

  const send = (from, to, message) => { if (to.online) to.inbox.push({ ...message, from: from.index }); };

  const handleMessage = (client, message, how) => {
    if (message.kind === 'sv') {
      // Sync step 1 from a peer: answer with what it lacks (by the state vector it sent, which
      // may be stale by now).
      send(client, clients[message.from], { kind: 'update', bytes: Y.encodeStateAsUpdate(client.doc, message.sv) });
      note(`  client ${client.index} answers sync step 1 of client ${message.from}`);
      return;
    }
    applyTo(client, message.bytes, `${how} from client ${message.from}`);
  };

  const syncStep1 = (a, b) => {
    send(a, b, { kind: 'sv', sv: Y.encodeStateVector(a.doc) });
    stats.syncs++;
  };

  for (let step = 0; step < steps; step++) {
    const online = clients.filter((c) => c.online);
    const offline = clients.filter((c) => !c.online);
    const withMail = online.filter((c) => c.inbox.length > 0);
    const action = rng.weighted([
      [5, 'edit'],
      [withMail.length > 0 ? 6 : 0, 'deliver'],
      [withMail.length > 0 ? 0.7 : 0, 'deliverMerged'],
      [0.5, 'redeliver'],
      [online.length > 1 ? 0.8 : 0, 'sync'],
      [online.length > 1 ? 1 : 0, 'partial'],
      [online.length > 1 ? 0.4 : 0, 'diffUpdate'],
      [online.length > 1 ? 0.4 : 0, 'disconnect'],
      [offline.length > 0 ? 1 : 0, 'reconnect'],
    ]);
    if (action === 'edit') {
      const client = rng.pick(clients);
      const ops = rng.weighted([[8, 1], [2, rng.range(2, 4)]]);
      note(`client ${client.index} edits (${ops} op${ops > 1 ? 's' : ''} in one transaction)`);
      client.doc.transact(() => {
        for (let i = 0; i < ops; i++) {
          const { type, depth } = pickTarget(rng, client.doc);
          const what = randomEdit(rng, type, depth, log);
          note(`  ${kindOf(type)}${depth > 0 ? ` (depth ${depth})` : ''}: ${what}`);
        }
      }, 'local');
      stats.edits++;
    } else if (action === 'deliver') {
      const client = rng.pick(withMail);
      const reorder = client.inbox.length > 1 && rng.bool(0.3);
      const at = reorder ? rng.int(client.inbox.length) : 0;
      const message = client.inbox[at];
      const duplicate = rng.bool(0.1);
      if (!duplicate) client.inbox.splice(at, 1);
      if (reorder && at > 0) stats.reordered++;
      if (duplicate) stats.duplicates++;
      stats.delivered++;
      handleMessage(client, message, `${reorder ? `message ${at} of ${client.inbox.length + (duplicate ? 0 : 1)}` : 'next message'}${duplicate ? ' (kept: it will arrive again)' : ''}`);
    } else if (action === 'deliverMerged') {
      // A relay that batches: several queued updates merged into one without a doc.
      const client = rng.pick(withMail);
      const take = [];
      const rest = [];
      const limit = rng.range(2, 6);
      for (const m of client.inbox) (m.kind === 'update' && take.length < limit ? take : rest).push(m);
      if (take.length === 0) continue;
      client.inbox = rest;
      stats.merged++;
      applyTo(client, Y.mergeUpdates(take.map((m) => m.bytes)), `merge of ${take.length} queued updates`);
    } else if (action === 'redeliver') {
      const client = rng.pick(clients);
      if (!client.online || client.seen.length === 0) continue;
      stats.duplicates++;
      applyTo(client, rng.pick(client.seen), 'an old update again');
    } else if (action === 'sync') {
      const a = rng.pick(online);
      const b = rng.pick(online.filter((c) => c !== a));
      note(`client ${a.index} sends sync step 1 to client ${b.index}`);
      syncStep1(a, b);
    } else if (action === 'partial') {
      // A diff computed against another client's state vector, current, stale or perturbed.
      const a = rng.pick(online);
      const b = rng.pick(online.filter((c) => c !== a));
      let sv = Y.encodeStateVector(b.doc);
      if (rng.bool(0.6)) sv = perturbStateVector(rng, sv, a.doc, cutPairs);
      send(a, b, { kind: 'update', bytes: Y.encodeStateAsUpdate(a.doc, sv) });
      stats.partial++;
      note(`client ${a.index} sends a partial state to client ${b.index}`);
    } else if (action === 'diffUpdate') {
      // A server that keeps the update log and answers with Y.diffUpdate, never with a doc.
      const a = rng.pick(online);
      const b = rng.pick(online.filter((c) => c !== a));
      const sv = rng.bool(0.5) ? Y.encodeStateVector(b.doc) : perturbStateVector(rng, Y.encodeStateVector(b.doc), a.doc, cutPairs);
      send(a, b, { kind: 'update', bytes: Y.diffUpdate(Y.encodeStateAsUpdate(a.doc), sv) });
      stats.partial++;
      note(`client ${a.index} sends diffUpdate(state, sv) to client ${b.index}`);
    } else if (action === 'disconnect') {
      const client = rng.pick(online);
      client.online = false;
      // Messages in flight are lost, or (relay with a queue) arrive after reconnecting.
      if (rng.bool(0.6)) client.inbox = [];
      stats.disconnects++;
      note(`client ${client.index} disconnects`);
    } else if (action === 'reconnect') {
      const client = rng.pick(offline);
      client.online = true;
      const flush = rng.weighted([[2, 'each'], [1, 'merged'], [1, 'none']]);
      const peers = clients.filter((c) => c !== client && c.online);
      if (flush === 'each') {
        for (const update of client.outbox) for (const p of peers) send(client, p, { kind: 'update', bytes: update });
      } else if (flush === 'merged' && client.outbox.length > 0) {
        const merged = Y.mergeUpdates(client.outbox);
        for (const p of peers) send(client, p, { kind: 'update', bytes: merged });
      }
      client.outbox = [];
      for (const p of peers) {
        if (rng.bool(0.7)) syncStep1(client, p);
        if (rng.bool(0.7)) syncStep1(p, client);
      }
      note(`client ${client.index} reconnects (outbox: ${flush})`);
    }
  }

  // Half of the scenarios stop recording here, so the observer may hold pending structs or
  // deletes; the others record the final full sync too.
  const recordedFinalSync = rng.bool(0.5);
  const snapshot = (doc) => ({
    state: Y.encodeStateAsUpdate(doc),
    stateVector: Y.encodeStateVector(doc),
    roots: rootsOf(doc),
    pending: doc.store.pendingStructs !== null || doc.store.pendingDs !== null,
  });
  let expected = recordedFinalSync ? null : snapshot(clients[observer].doc);
  if (!recordedFinalSync) recording = false;
  note(`final full sync (${recordedFinalSync ? 'recorded' : 'not recorded'})`);

  for (const c of clients) {
    c.online = true;
    c.inbox = [];
    c.outbox = [];
  }
  // Full sync until quiet: state exchange in random pair order; repeat because formatting
  // cleanups after a sync are new changes themselves.
  for (let round = 0; round < 6; round++) {
    const order = [];
    for (const a of clients) for (const b of clients) if (a !== b) order.push([a, b]);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const [a, b] of order) applyTo(b, Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(b.doc)), `full sync from client ${a.index}`);
    // Deletions (cleanups) do not show in state vectors: send each client's delete set too.
    for (const [a, b] of order) applyTo(b, Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(a.doc)), `delete set of client ${a.index}`);
    for (const c of clients) c.inbox = [];
    const first = Buffer.from(Y.encodeStateAsUpdate(clients[0].doc));
    if (clients.every((c) => first.equals(Buffer.from(Y.encodeStateAsUpdate(c.doc))))) break;
  }
  if (recordedFinalSync) expected = snapshot(clients[observer].doc);
  recording = false;

  const reference = canonicalText(rootsOf(clients[0].doc));
  const converged = {
    content: clients.every((c) => canonicalText(rootsOf(c.doc)) === reference),
    state: clients.every((c) => Buffer.from(Y.encodeStateAsUpdate(c.doc)).equals(Buffer.from(Y.encodeStateAsUpdate(clients[0].doc)))),
    pending: clients.some((c) => c.doc.store.pendingStructs !== null || c.doc.store.pendingDs !== null),
  };

  const updates = recorded;
  return {
    seed,
    clients: ids,
    observer,
    updates,
    updatesV2: updates.map((u) => Y.convertUpdateFormatV1ToV2(u)),
    expected,
    recordedFinalSync,
    converged,
    cutPairs,
    log,
    stats,
    divergence,
  };
}

// ---------------------------------------------------------------------------------------------
// Self-check and file output.

/** Checks scenario `sc` against Yjs alone; returns a list of problems (empty when fine). */
export function selfCheckScenario(sc) {
  const problems = [];
  const expectedRoots = canonicalText(sc.expected.roots);
  const want = Buffer.from(sc.expected.state);
  for (const v2 of [false, true]) {
    const { doc } = replayUpdates(v2 ? sc.updatesV2 : sc.updates, { v2 });
    if (canonicalText(rootsOf(doc)) !== expectedRoots) problems.push(`replaying the ${v2 ? 'v2' : 'v1'} sequence gives other content than the observer`);
    if (!Buffer.from(Y.encodeStateAsUpdate(doc)).equals(want)) problems.push(`replaying the ${v2 ? 'v2' : 'v1'} sequence gives another state than the observer's encodeStateAsUpdate`);
  }
  // The framing round-trips.
  const framed = unframeUpdates(frameUpdates(sc.updates));
  if (framed.length !== sc.updates.length || framed.some((u, i) => !Buffer.from(u).equals(Buffer.from(sc.updates[i])))) problems.push('framing does not round-trip');
  if (!sc.converged.content && !sc.cutPairs) problems.push('clients did not converge to the same content after a full sync');
  if (sc.converged.pending) problems.push('a client still has pending structs after a full sync');
  return problems;
}

/** Writes the files of scenario `sc` into `dir`; returns their paths. */
export function writeScenarioFiles(sc, dir) {
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, String(sc.seed));
  const files = { v1: `${base}.v1.bin`, v2: `${base}.v2.bin`, expected: `${base}.expected.json`, log: `${base}.log.txt` };
  fs.writeFileSync(files.v1, frameUpdates(sc.updates));
  fs.writeFileSync(files.v2, frameUpdates(sc.updatesV2));
  fs.writeFileSync(files.expected, JSON.stringify({
    seed: sc.seed,
    clients: sc.clients,
    observer: sc.observer,
    updates: sc.updates.length,
    recorded_final_sync: sc.recordedFinalSync,
    state: Buffer.from(sc.expected.state).toString('base64'),
    state_vector: Buffer.from(sc.expected.stateVector).toString('base64'),
    roots: canonical(sc.expected.roots),
  }, null, 2) + '\n');
  if (sc.log.length > 0) fs.writeFileSync(files.log, sc.log.join('\n') + '\n');
  return files;
}

function parseArgs(argv) {
  const args = { selfCheck: false, seeds: 200, base: 1, seed: null, out: null, log: false, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--self-check') args.selfCheck = true;
    else if (a === '--seeds') args.seeds = Number(value());
    else if (a === '--base') args.base = Number(value());
    else if (a === '--seed') args.seed = Number(value());
    else if (a === '--out') args.out = value();
    else if (a === '--log') args.log = true;
    else if (a === '--quiet') args.quiet = true;
    else throw new Error(`unknown argument ${a}; see the comment at the top of ${fileURLToPath(import.meta.url)}`);
  }
  return args;
}

function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(e.message);
    process.exit(2);
  }
  if (args.out !== null) {
    if (args.seed === null) {
      console.error('--out needs --seed S');
      process.exit(2);
    }
    const sc = generateScenario(args.seed, { log: true });
    const files = writeScenarioFiles(sc, args.out);
    console.log(JSON.stringify(files, null, 2));
    if (args.log) console.log(sc.log.join('\n'));
    return;
  }
  if (!args.selfCheck) {
    console.error('nothing to do: pass --self-check or --seed S --out DIR');
    process.exit(2);
  }
  const seeds = args.seed !== null ? [args.seed] : Array.from({ length: args.seeds }, (_, i) => (args.base + i) >>> 0);
  const totals = { updates: 0, bytes: 0, pendingAtEnd: 0, cleanupScenarios: 0, identicalStates: 0 };
  const statTotals = {};
  let failures = 0;
  const t0 = performance.now();
  for (const seed of seeds) {
    const sc = generateScenario(seed, { log: args.log });
    const problems = selfCheckScenario(sc);
    totals.updates += sc.updates.length;
    totals.bytes += sc.updates.reduce((n, u) => n + u.length, 0);
    if (sc.expected.pending) totals.pendingAtEnd++;
    if (sc.stats.cleanups > 0) totals.cleanupScenarios++;
    if (sc.converged.state) totals.identicalStates++;
    for (const [k, v] of Object.entries(sc.stats)) statTotals[k] = (statTotals[k] ?? 0) + v;
    if (problems.length > 0) {
      failures++;
      console.log(`seed ${seed}: FAIL\n  ${problems.join('\n  ')}\n  replay: node tests/crdt/scenario.mjs --self-check --seed ${seed} --log`);
      if (args.log) console.log(sc.log.join('\n'));
    } else if (!args.quiet && seeds.length === 1) {
      console.log(`seed ${seed}: ok (${sc.updates.length} updates)`);
      if (args.log) console.log(sc.log.join('\n'));
    }
  }
  const ms = performance.now() - t0;
  console.log(`${seeds.length - failures}/${seeds.length} scenarios ok (seeds ${seeds[0]}..${seeds[seeds.length - 1]}) in ${ms.toFixed(0)} ms`);
  console.log(`  ${totals.updates} updates, ${totals.bytes} bytes; observer left with pending structs/deletes in ${totals.pendingAtEnd}; ` +
    `Yjs formatting cleanups in ${totals.cleanupScenarios}; all clients byte-identical after full sync in ${totals.identicalStates}`);
  console.log(`  actions: ${Object.entries(statTotals).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  process.exit(failures > 0 ? 1 : 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
