// Writes the seed corpora of the crdt fuzz targets (tests/fuzz/corpus/crdt_v1, crdt_v2,
// crdt_merge) from real Yjs 13.6 updates, so the fuzzer starts from well-formed input of every
// struct and content kind instead of having to discover the format byte by byte.
//
//   node tests/fuzz/make_crdt_corpus.mjs      (needs tests/node_modules: cd tests && npm ci)
//
// Input layout the targets expect (crdt_fuzz_common.hpp):
//   crdt_v1, crdt_v2: update [SEP update]...            applied in order to one Doc
//   crdt_merge:       mode byte, then part [SEP part]... mode bit 0: parts are v2;
//                                                       bit 1: the last part is a state vector
// SEP is the 6 bytes "|ysep|". Deterministic: the same script writes the same files.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as Y from 'yjs';

const kSeparator = Buffer.from('|ysep|');
const here = path.dirname(fileURLToPath(import.meta.url));
const corpusRoot = path.join(here, 'corpus');

// mulberry32: small, deterministic, good enough to vary seeds.
function createRng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
  };
}

const kWords = ['a', 'hello', 'yjs', 'é', 'ü', '日本', '😀', 'x😀y', '\u{1F469}\u200D\u{1F4BB}', ' ', '\n', 'abc'];
const kAnyValues = [
  0, 1, -1, 63, 64, -64, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1, -(2 ** 53) + 1, 0.5, -1.25, 1e300,
  Number.MIN_VALUE, Number.NaN, Number.POSITIVE_INFINITY, -0, true, false, null, '', 'str', 'ünï😀',
  [], [1, 'two', null], {}, { a: 1, b: [true, { c: 'd' }] }, new Uint8Array([0, 1, 255]),
  // Yjs refuses undefined and bigints as values of their own, but not inside an object.
  { u: undefined, big: 2n ** 60n, neg: -(2n ** 62n) },
];

function randomString(rng) {
  let s = '';
  for (let i = 1 + rng.int(3); i > 0; i--) s += rng.pick(kWords);
  return s;
}

function randomAny(rng) {
  return rng.pick(kAnyValues);
}

function randomAttributes(rng) {
  return rng.pick([
    { bold: true },
    { italic: true },
    { bold: null },
    { link: { href: 'https://example.org/' } },
    { code: true, strike: true },
    { color: '#f00', size: 3 },
  ]);
}

// One random edit on one of the shared types of `doc` (which must have client-local roots).
function randomEdit(rng, doc) {
  const text = doc.getText('text');
  const map = doc.getMap('map');
  const array = doc.getArray('array');
  const xml = doc.getXmlFragment('xml');
  switch (rng.int(12)) {
    case 0:
    case 1:
      text.insert(rng.int(text.length + 1), randomString(rng), rng.chance(0.3) ? randomAttributes(rng) : undefined);
      break;
    case 2:
      if (text.length > 0) {
        const at = rng.int(text.length);
        text.delete(at, 1 + rng.int(Math.min(4, text.length - at)));
      }
      break;
    case 3:
      if (text.length > 0) {
        const at = rng.int(text.length);
        text.format(at, 1 + rng.int(text.length - at), randomAttributes(rng));
      } else {
        text.insertEmbed(0, { image: 'pic.png' }, rng.chance(0.5) ? { bold: true } : undefined);
      }
      break;
    case 4: {
      const key = rng.pick(['k', 'key', 'ü', '', 'long key']);
      if (rng.chance(0.2)) map.delete(key);
      else map.set(key, randomAny(rng));
      break;
    }
    case 5: {
      const nested = rng.pick([() => new Y.Map(), () => new Y.Text('nested'), () => new Y.Array(), () => new Y.XmlText()])();
      map.set(rng.pick(['n', 'm']), nested);
      if (nested instanceof Y.Map) nested.set('inner', randomAny(rng));
      if (nested instanceof Y.Array) nested.push([randomAny(rng), randomAny(rng)]);
      break;
    }
    case 6:
      array.insert(rng.int(array.length + 1), [randomAny(rng), randomAny(rng)].slice(0, 1 + rng.int(2)));
      break;
    case 7:
      if (array.length > 0) {
        const at = rng.int(array.length);
        array.delete(at, 1 + rng.int(Math.min(3, array.length - at)));
      } else {
        array.push([new Y.Map()]);
      }
      break;
    case 8: {
      const element = new Y.XmlElement(rng.pick(['paragraph', 'heading', 'bulletList', 'listItem', 'image', 'blockquote']));
      xml.insert(rng.int(xml.length + 1), [element]);
      element.setAttribute(rng.pick(['level', 'src', 'alt']), rng.pick(['1', 'x.png', 'ünï']));
      const inner = new Y.XmlText();
      element.insert(0, [inner]);
      inner.insert(0, randomString(rng), rng.chance(0.5) ? randomAttributes(rng) : undefined);
      break;
    }
    case 9:
      if (xml.length > 0) {
        if (rng.chance(0.5)) xml.delete(rng.int(xml.length), 1);
        else {
          const first = xml.get(rng.int(xml.length));
          if (first instanceof Y.XmlElement) first.insert(first.length, [new Y.XmlHook('hook')]);
        }
      } else {
        xml.insert(0, [new Y.XmlText('top')]);
      }
      break;
    case 10:
      if (rng.chance(0.3)) map.set('sub', new Y.Doc({ guid: 'sub-guid', meta: { m: 1 } }));
      else map.set('bytes', new Uint8Array([1, 2, 3]));
      break;
    default: {
      // Delete a nested type with content, so garbage collection leaves GC structs.
      const holder = new Y.Array();
      array.insert(0, [holder]);
      holder.insert(0, ['gone', 'soon']);
      array.delete(0, 1);
      break;
    }
  }
}

function shuffle(rng, list) {
  const out = list.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

// A session of `clients` docs editing concurrently; returns every update in the order produced
// (v1 and v2 side by side) and the final docs.
function session(seed, { clients = 1, edits = 8, gc = true } = {}) {
  const rng = createRng(seed);
  const docs = [];
  for (let i = 0; i < clients; i++) {
    const doc = new Y.Doc({ gc });
    // Distinct ids, some far beyond uint32 (Yjs picks uint32s, but any id below 2^53 is valid).
    doc.clientID = rng.pick([1 + i, 1000 + i, 0xffffffff - i, 2 ** 53 - 1 - i, 2 ** 40 + i]);
    docs.push(doc);
  }
  const v1 = [];
  const v2 = [];
  for (const doc of docs) {
    doc.on('update', (u, origin) => {
      if (origin !== 'remote') v1.push(u);
    });
    doc.on('updateV2', (u, origin) => {
      if (origin !== 'remote') v2.push(u);
    });
  }
  for (let e = 0; e < edits; e++) {
    const doc = rng.pick(docs);
    doc.transact(() => {
      for (let k = 1 + rng.int(2); k > 0; k--) randomEdit(rng, doc);
    });
    // Occasionally sync everyone, so later edits build on each other's items.
    if (clients > 1 && rng.chance(0.4)) {
      for (const a of docs) for (const b of docs) if (a !== b) Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)), 'remote');
    }
  }
  return { rng, docs, v1, v2 };
}

function join(parts) {
  const pieces = [];
  parts.forEach((p, i) => {
    if (i > 0) pieces.push(kSeparator);
    pieces.push(Buffer.from(p));
  });
  return Buffer.concat(pieces);
}

function writeCorpus(name, files) {
  const dir = path.join(corpusRoot, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  let total = 0;
  for (const [file, bytes] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, file), bytes);
    total += bytes.length;
  }
  console.log(`${name}: ${Object.keys(files).length} files, ${total} bytes`);
}

// Seeds for the apply targets in one format (v2 = false: v1).
function applySeeds(v2) {
  const encodeState = v2 ? Y.encodeStateAsUpdateV2 : Y.encodeStateAsUpdate;
  const merge = v2 ? Y.mergeUpdatesV2 : Y.mergeUpdates;
  const files = {};
  files.empty_update = Buffer.from(encodeState(new Y.Doc()));
  for (let seed = 1; seed <= 10; seed++) {
    const { docs } = session(seed, { clients: 1 + (seed % 3), edits: 6 + seed, gc: seed % 4 !== 0 });
    files[`state_${seed}`] = Buffer.from(encodeState(docs[0]));
  }
  for (let seed = 11; seed <= 22; seed++) {
    const { rng, v1, v2: updates2 } = session(seed, { clients: 1 + (seed % 3), edits: 5 + (seed % 5) });
    const updates = v2 ? updates2 : v1;
    // In order, then reordered with a duplicate: the second leaves structs pending until the end.
    files[`sequence_${seed}`] = join(updates);
    const shuffled = shuffle(rng, updates);
    shuffled.push(rng.pick(updates));
    files[`shuffled_${seed}`] = join(shuffled);
  }
  for (let seed = 23; seed <= 28; seed++) {
    const { rng, v1, v2: updates2 } = session(seed, { clients: 2, edits: 8 });
    const updates = v2 ? updates2 : v1;
    // A merge of every other update has gaps, so it holds Skip structs.
    const odd = updates.filter((_, i) => i % 2 === 1);
    const even = updates.filter((_, i) => i % 2 === 0);
    files[`skips_${seed}`] = join([merge(odd), merge(even)]);
    files[`diff_${seed}`] = join([merge(even), merge(updates.slice(0, 1 + rng.int(updates.length)))]);
  }
  return files;
}

function mergeSeeds() {
  const files = {};
  for (let seed = 31; seed <= 54; seed++) {
    const { rng, docs, v1, v2 } = session(seed, { clients: 1 + (seed % 3), edits: 4 + (seed % 6) });
    const useV2 = seed % 2 === 1;
    const withStateVector = seed % 3 === 0;
    let parts = shuffle(rng, useV2 ? v2 : v1).slice(0, 6);
    if (rng.chance(0.3)) parts.push(rng.pick(parts));
    if (withStateVector) parts.push(Y.encodeStateVector(docs[0]).slice(0, rng.chance(0.5) ? undefined : 3));
    const mode = (useV2 ? 1 : 0) | (withStateVector ? 2 : 0);
    files[`merge_${seed}`] = Buffer.concat([Buffer.from([mode]), join(parts)]);
  }
  // An empty update and an empty state vector.
  files.empty_parts = Buffer.concat([Buffer.from([2]), join([Y.encodeStateAsUpdate(new Y.Doc()), new Uint8Array([0])])]);
  return files;
}

writeCorpus('crdt_v1', applySeeds(false));
writeCorpus('crdt_v2', applySeeds(true));
writeCorpus('crdt_merge', mergeSeeds());
