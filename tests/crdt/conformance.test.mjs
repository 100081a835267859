// Conformance of `agora crdt` with Yjs 13.6 on randomized multi-client scenarios (issue 3).
//
// Each scenario (scenario.mjs) is an update sequence some Yjs client really received. For every
// one, the C++ engine must give what Yjs gives:
//   (a) the contents of the roots text/map/array/xml,
//   (b) encodeStateAsUpdate and the state vector, byte for byte,
//   (c) a state that Yjs loads into the same contents,
//   (d) a merged update that Yjs applies to the same contents as Y.mergeUpdates's,
//   (e) a diff against the state vector of a prefix of the sequence that Yjs, on top of that
//       prefix, applies to the same contents as Y.diffUpdate's,
//   (f) all of that again from the same sequences in the v2 format.
//
// Environment: AGORA_BIN (required), CRDT_SCENARIOS (default 2000), CRDT_SEED_BASE (first seed,
// default 1, or "random"), CRDT_SEED (run only that seed), CRDT_STRICT=1 (also require merge and
// diff outputs byte-identical to Yjs's).

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

import { agoraBin, mapLimit, runAgora, runBatched } from './agora_cli.mjs';
import {
  canonical, canonicalText, createRng, frameUpdates, generateScenario, replayUpdates, rootsOf, writeScenarioFiles,
} from './scenario.mjs';
import { updateDifference } from './update_diff.mjs';

const kRootFlags = ['--text', 'text', '--map', 'map', '--array', 'array', '--xml', 'xml'];
const kMaxReported = 8;
const kBatchSize = 200; // files per agora process

function parseSeed(text, name) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`${name}=${text} is not a uint32`);
  return n;
}

function chooseSeeds() {
  if (process.env.CRDT_SEED) return [parseSeed(process.env.CRDT_SEED, 'CRDT_SEED')];
  const count = Number(process.env.CRDT_SCENARIOS ?? 2000);
  if (!Number.isInteger(count) || count < 1) throw new Error(`CRDT_SCENARIOS=${process.env.CRDT_SCENARIOS} is not a positive integer`);
  const baseText = process.env.CRDT_SEED_BASE ?? '1';
  const base = baseText === 'random' ? crypto.randomInt(0, 2 ** 32 - count) : parseSeed(baseText, 'CRDT_SEED_BASE');
  return Array.from({ length: count }, (_, i) => (base + i) >>> 0);
}

const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const unb64 = (text) => new Uint8Array(Buffer.from(text, 'base64'));
const strict = process.env.CRDT_STRICT === '1';
const seeds = chooseSeeds();
const seedRange = seeds.length === 1 ? `seed ${seeds[0]}` : `seeds ${seeds[0]}..${seeds[seeds.length - 1]}`;

let workDir = null;
let failDir = null;
let scenarios = [];
// Set when a command does not work at all (e.g. the binary has no `crdt` yet): every check that
// needs it fails with this message instead of running thousands of doomed processes.
const brokenCommands = new Map();

function rootsText(doc) {
  return canonicalText(rootsOf(doc));
}

/** What Yjs gives for one scenario; everything the checks compare against. */
function prepareScenario(seed) {
  const sc = generateScenario(seed);
  const files = { v1: path.join(workDir, `${seed}.v1.bin`), v2: path.join(workDir, `${seed}.v2.bin`) };
  fs.writeFileSync(files.v1, frameUpdates(sc.updates));
  fs.writeFileSync(files.v2, frameUpdates(sc.updatesV2));

  // The reference is a fresh Yjs doc applying the sequence, as a Yjs server would; the
  // generator's self-check guarantees it equals the observing client.
  const { doc, cleanupTransactions } = replayUpdates(sc.updates);
  const state = Y.encodeStateAsUpdate(doc);

  const merged = Y.mergeUpdates(sc.updates);
  const mergedRoots = rootsText(replayUpdates([merged]).doc);

  const prefixLength = createRng((seed ^ 0x5bd1e995) >>> 0).int(sc.updates.length + 1);
  const prefix = sc.updates.slice(0, prefixLength);
  const prefixSv = Y.encodeStateVector(replayUpdates(prefix).doc);
  const diff = Y.diffUpdate(merged, prefixSv);
  const diffRoots = rootsText(replayUpdates([...prefix, diff]).doc);

  return {
    seed,
    files,
    clients: sc.clients,
    updates: sc.updates,
    observerMatches: Buffer.from(sc.expected.state).equals(Buffer.from(state)),
    expected: { state: b64(state), stateVector: b64(Y.encodeStateVector(doc)), roots: rootsText(doc), cleanupTransactions },
    merge: { update: merged, roots: mergedRoots },
    diff: { prefixLength, stateVector: b64(prefixSv), update: diff, roots: diffRoots },
    agora: {},
  };
}

/** A tiny valid sequence, to see whether a command works at all before running thousands. */
function probeFile(v2) {
  const doc = new Y.Doc();
  const updates = [];
  doc.on(v2 ? 'updateV2' : 'update', (u) => updates.push(u));
  doc.getText('text').insert(0, 'probe');
  const file = path.join(workDir, `probe.${v2 ? 'v2' : 'v1'}.bin`);
  fs.writeFileSync(file, frameUpdates(updates));
  return file;
}

async function runCommand(name, args, fileOf, v2) {
  const probe = await runAgora([...args, probeFile(v2)]);
  if (probe.code !== 0) {
    brokenCommands.set(name, `\`agora ${args.join(' ')} FILE\` fails on a one-update sequence: exit ${probe.code}: ${probe.stderr.trim().slice(0, 400)}`);
    return;
  }
  const results = await runBatched(args, scenarios.map(fileOf), { batchSize: kBatchSize });
  results.forEach((r, i) => { scenarios[i].agora[name] = r; });
  return Math.ceil(scenarios.length / kBatchSize);
}

/** The state vector holding every entry of `svs` (whose clients must not overlap). */
function unionStateVector(svs) {
  const all = new Map();
  for (const sv of svs) for (const [client, clock] of Y.decodeStateVector(unb64(sv))) all.set(client, clock);
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, all.size);
  for (const [client, clock] of Array.from(all).sort((x, y) => y[0] - x[0])) {
    encoding.writeVarUint(encoder, client);
    encoding.writeVarUint(encoder, clock);
  }
  return b64(encoding.toUint8Array(encoder));
}

async function runDiffs(name, v2) {
  const probe = await runAgora(['crdt', 'diff', ...(v2 ? ['--v2'] : []), '--state-vector', 'AA==', probeFile(v2)]);
  if (probe.code !== 0) {
    brokenCommands.set(name, `\`agora crdt diff${v2 ? ' --v2' : ''} --state-vector AA== FILE\` fails on a one-update sequence: exit ${probe.code}: ${probe.stderr.trim().slice(0, 400)}`);
    return;
  }
  // `diff` takes one state vector per process. A diff only looks up the clients of its update
  // in the state vector, so scenarios whose clients do not overlap share one process, with the
  // union of their prefixes' state vectors: a few hundred processes instead of thousands.
  const groups = [];
  for (let i = 0; i < scenarios.length; i++) {
    const ids = scenarios[i].clients;
    let group = groups.find((g) => g.members.length < kBatchSize && ids.every((id) => !g.ids.has(id)));
    if (!group) {
      group = { ids: new Set(), members: [] };
      groups.push(group);
    }
    for (const id of ids) group.ids.add(id);
    group.members.push(i);
  }
  await mapLimit(groups, os.availableParallelism(), async ({ members }) => {
    const sv = unionStateVector(members.map((i) => scenarios[i].diff.stateVector));
    const args = ['crdt', 'diff', ...(v2 ? ['--v2'] : []), '--state-vector', sv];
    const results = await runBatched(args, members.map((i) => (v2 ? scenarios[i].files.v2 : scenarios[i].files.v1)), { parallel: 1 });
    results.forEach((r, j) => {
      scenarios[members[j]].agora[name] = r;
      scenarios[members[j]].diff.sharedStateVector = members.length > 1 ? sv : null;
    });
  });
  return groups.length;
}

before(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agora-crdt-'));
  const t0 = performance.now();
  scenarios = seeds.map(prepareScenario);
  const t1 = performance.now();
  const updates = scenarios.reduce((n, s) => n + s.updates.length, 0);
  console.log(`# crdt conformance: ${scenarios.length} scenarios (${seedRange}), ${updates} updates; Yjs side prepared in ${(t1 - t0).toFixed(0)} ms`);
  agoraBin();
  const timings = [];
  const timed = async (label, run) => {
    const t = performance.now();
    const processes = await run();
    timings.push(`${label} ${(performance.now() - t).toFixed(0)} ms${processes ? ` (${processes} processes)` : ''}`);
  };
  await timed('apply', () => runCommand('apply', ['crdt', 'apply', ...kRootFlags], (s) => s.files.v1, false));
  await timed('apply --v2', () => runCommand('applyV2', ['crdt', 'apply', '--v2', ...kRootFlags], (s) => s.files.v2, true));
  await timed('merge', () => runCommand('merge', ['crdt', 'merge'], (s) => s.files.v1, false));
  await timed('merge --v2', () => runCommand('mergeV2', ['crdt', 'merge', '--v2'], (s) => s.files.v2, true));
  await timed('diff', () => runDiffs('diff', false));
  await timed('diff --v2', () => runDiffs('diffV2', true));
  console.log(`# agora crdt ran in ${(performance.now() - t1).toFixed(0)} ms: ${timings.join(', ')}`);
});

after(() => {
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

function shorten(text, limit = 300) {
  return text.length > limit ? `${text.slice(0, limit)}... (${text.length} chars)` : text;
}

/** Which roots differ between two canonical root texts, with both values. */
function rootsDifference(actualText, expectedText, actualName = 'agora') {
  const actual = JSON.parse(actualText);
  const expected = JSON.parse(expectedText);
  const lines = [];
  for (const name of Object.keys(expected)) {
    const a = JSON.stringify(actual?.[name]);
    const e = JSON.stringify(expected[name]);
    if (a !== e) lines.push(`root ${name}:\n      ${actualName}: ${shorten(String(a))}\n      Yjs:   ${shorten(e)}`);
  }
  for (const name of Object.keys(actual ?? {})) if (!(name in expected)) lines.push(`unexpected root ${name}`);
  return lines.join('\n    ');
}

/** Content of the roots a fresh Yjs doc reaches from `updates`, or a message if Yjs throws. */
function yjsRootsFrom(updates, what) {
  try {
    return { roots: rootsText(replayUpdates(updates).doc) };
  } catch (e) {
    return { error: `Yjs cannot apply ${what}: ${e.message}` };
  }
}

/** The agora result `name` of scenario `s`, or a message saying why there is none. */
function agoraResult(s, name, field) {
  if (brokenCommands.has(name)) return { error: brokenCommands.get(name) };
  const r = s.agora[name];
  if (!r) return { error: `no result from agora (${name})` };
  if (!r.ok) return { error: r.error };
  if (typeof r.value?.[field] !== 'string' && field !== 'roots') return { error: `agora's JSON has no string "${field}": ${shorten(JSON.stringify(r.value))}` };
  if (field === 'roots' && (r.value.roots === null || typeof r.value.roots !== 'object')) return { error: `agora's JSON has no "roots" object: ${shorten(JSON.stringify(r.value))}` };
  return { value: r.value };
}

function checkRoots(s, name) {
  const r = agoraResult(s, name, 'roots');
  if (r.error) return r.error;
  const got = canonicalText(r.value.roots);
  if (got === s.expected.roots) return null;
  return `the roots differ from Yjs's:\n    ${rootsDifference(got, s.expected.roots)}`;
}

function checkState(s, name) {
  const r = agoraResult(s, name, 'state');
  if (r.error) return r.error;
  const problems = [];
  if (r.value.state !== s.expected.state) {
    problems.push(`state is not Y.encodeStateAsUpdate's: ${updateDifference(unb64(r.value.state), unb64(s.expected.state))}`);
  }
  if (r.value.state_vector !== s.expected.stateVector) {
    problems.push(`state_vector ${r.value.state_vector} is not Y.encodeStateVector's ${s.expected.stateVector}`);
  }
  return problems.length === 0 ? null : problems.join('\n    ');
}

function checkStateLoads(s, name) {
  const r = agoraResult(s, name, 'state');
  if (r.error) return r.error;
  const y = yjsRootsFrom([unb64(r.value.state)], "agora's state");
  if (y.error) return y.error;
  return y.roots === s.expected.roots ? null : `Yjs loading agora's state reaches other content:\n    ${rootsDifference(y.roots, s.expected.roots, 'Yjs from agora state')}`;
}

function checkMerge(s, name) {
  const r = agoraResult(s, name, 'update');
  if (r.error) return r.error;
  const update = unb64(r.value.update);
  const y = yjsRootsFrom([update], "agora's merged update");
  if (y.error) return y.error;
  const problems = [];
  if (y.roots !== s.merge.roots) problems.push(`Yjs applying agora's merged update reaches other content than applying Y.mergeUpdates's:\n    ${rootsDifference(y.roots, s.merge.roots, 'from agora')}`);
  if (strict && !Buffer.from(update).equals(Buffer.from(s.merge.update))) problems.push(`merged update is not Y.mergeUpdates's: ${updateDifference(update, s.merge.update)}`);
  return problems.length === 0 ? null : problems.join('\n    ');
}

function checkDiff(s, name) {
  const r = agoraResult(s, name, 'update');
  if (r.error) return r.error;
  const update = unb64(r.value.update);
  const y = yjsRootsFrom([...s.updates.slice(0, s.diff.prefixLength), update], `agora's diff on top of the first ${s.diff.prefixLength} updates`);
  if (y.error) return y.error;
  const problems = [];
  if (y.roots !== s.diff.roots) {
    const shared = s.diff.sharedStateVector ? ` (agora got it inside the state vector ${shorten(s.diff.sharedStateVector, 120)}, with clients of other scenarios)` : '';
    problems.push(`the first ${s.diff.prefixLength} updates + agora's diff against their state vector ${s.diff.stateVector}${shared} give other content than with Y.diffUpdate's:\n    ${rootsDifference(y.roots, s.diff.roots, 'with agora diff')}`);
  }
  if (strict && !Buffer.from(update).equals(Buffer.from(s.diff.update))) problems.push(`diff is not Y.diffUpdate(Y.mergeUpdates(...))'s: ${updateDifference(update, s.diff.update)}`);
  return problems.length === 0 ? null : problems.join('\n    ');
}

/** Keeps the files of a failing scenario, with its log and agora's output, in the failure folder. */
function keepFailure(s) {
  if (!failDir) failDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agora-crdt-failures-'));
  const base = path.join(failDir, String(s.seed));
  if (!fs.existsSync(`${base}.v1.bin`)) {
    writeScenarioFiles(generateScenario(s.seed, { log: true }), failDir);
    const agora = {};
    for (const [name, r] of Object.entries(s.agora)) agora[name] = r.ok ? r.value : { error: r.error };
    fs.writeFileSync(`${base}.agora.json`, JSON.stringify(agora, null, 2) + '\n');
    fs.writeFileSync(`${base}.yjs.json`, JSON.stringify({
      state: s.expected.state,
      state_vector: s.expected.stateVector,
      roots: canonical(JSON.parse(s.expected.roots)),
      yjs_formatting_cleanups: s.expected.cleanupTransactions,
      merge_update: b64(s.merge.update),
      diff_prefix_length: s.diff.prefixLength,
      diff_state_vector: s.diff.stateVector,
      diff_state_vector_given_to_agora: s.diff.sharedStateVector ?? s.diff.stateVector,
      diff_update: b64(s.diff.update),
    }, null, 2) + '\n');
  }
  return base;
}

/** The agora command line that produced the result `name` of scenario `s` (files in `base`). */
function commandFor(name, s, base) {
  const v2 = name.endsWith('V2');
  const file = `${base}.${v2 ? 'v2' : 'v1'}.bin`;
  const flag = v2 ? ' --v2' : '';
  if (name.startsWith('apply')) return `crdt apply${flag} ${kRootFlags.join(' ')} ${file}`;
  if (name.startsWith('merge')) return `crdt merge${flag} ${file}`;
  return `crdt diff${flag} --state-vector ${s.diff.sharedStateVector ?? s.diff.stateVector} ${file}`;
}

/** Runs `check` on every scenario; fails with the first few failures, each replayable. */
function checkAll(label, check, command = 'apply') {
  const failures = [];
  for (const s of scenarios) {
    const problem = check(s);
    if (problem !== null) failures.push([s, problem]);
  }
  if (failures.length === 0) return;
  const bin = process.env.AGORA_BIN ?? 'build/release/src/app/agora';
  const lines = [`${label}: ${failures.length} of ${scenarios.length} scenarios fail (${seedRange})`];
  for (const [s, problem] of failures.slice(0, kMaxReported)) {
    const base = keepFailure(s);
    const cleanup = s.expected.cleanupTransactions > 0 ? `\n  (while applying this sequence Yjs deleted redundant format items on its own ${s.expected.cleanupTransactions} time(s), in its YText formatting cleanup after remote changes; no update carries these deletions)` : '';
    lines.push(
      `seed ${s.seed}, check ${label}:\n    ${problem}${cleanup}\n` +
      `  files: ${base}.v1.bin (v2: ${base}.v2.bin; steps: ${base}.log.txt; Yjs: ${base}.yjs.json; agora: ${base}.agora.json)\n` +
      `  replay: CRDT_SEED=${s.seed} AGORA_BIN=${bin} node --test tests/crdt/conformance.test.mjs\n` +
      `  by hand: ${bin} ${commandFor(command, s, base)}`);
  }
  if (failures.length > kMaxReported) {
    lines.push(`... and ${failures.length - kMaxReported} more: seeds ${failures.slice(kMaxReported, kMaxReported + 40).map(([s]) => s.seed).join(' ')}${failures.length > kMaxReported + 40 ? ' ...' : ''}`);
  }
  assert.fail(lines.join('\n'));
}

describe(`conformance of agora crdt with Yjs 13.6 (${seedRange})`, () => {
  it('the generator: each sequence, replayed by Yjs, gives the state of the client that received it', () => {
    checkAll('generator', (s) => (s.observerMatches ? null : 'a fresh Yjs doc applying the sequence differs from the observing client; run node tests/crdt/scenario.mjs --self-check --seed ' + s.seed));
  });
  it('(a) apply: the roots equal Yjs\'s', () => checkAll('(a) roots', (s) => checkRoots(s, 'apply')));
  it('(b) apply: state and state vector are byte-identical to Yjs\'s', () => checkAll('(b) state bytes', (s) => checkState(s, 'apply')));
  it('(c) apply: Yjs loading agora\'s state reaches the same content', () => checkAll('(c) state loads in Yjs', (s) => checkStateLoads(s, 'apply')));
  it('(d) merge: Yjs applying agora\'s merged update gets what Y.mergeUpdates gives', () => checkAll('(d) merge', (s) => checkMerge(s, 'merge'), 'merge'));
  it('(e) diff: on top of a prefix, agora\'s diff gives what Y.diffUpdate gives', () => checkAll('(e) diff', (s) => checkDiff(s, 'diff'), 'diff'));
  it('(f) --v2 apply: roots, state and state vector as from v1', () => checkAll('(f) v2 apply', (s) => checkRoots(s, 'applyV2') ?? checkState(s, 'applyV2'), 'applyV2'));
  it('(f) --v2 merge: as from v1', () => checkAll('(f) v2 merge', (s) => checkMerge(s, 'mergeV2'), 'mergeV2'));
  it('(f) --v2 diff: as from v1', () => checkAll('(f) v2 diff', (s) => checkDiff(s, 'diffV2'), 'diffV2'));
});
