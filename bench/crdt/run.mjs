// bench/crdt: Agora's CRDT engine against Yjs and ywasm (yrs in WebAssembly), side by side in one
// run, on every editing trace in ../shared/traces and on any trace given as an argument.
//
//   node --expose-gc bench/crdt/run.mjs path/to/agora [TRACE.json.gz ...]
//
// Environment: CRDT_RUNS (runs per figure, median reported; default 3), CRDT_MERGE_CAP_S (time cap
// of one Y.mergeUpdates run; default 20), CRDT_TRACE_DIR (default ../shared/traces beside the
// repository; empty for only the traces given as arguments), CRDT_AGORA_TIMEOUT_S (default 120).
//
// Every Yjs and ywasm figure comes from a fresh child process (measure.mjs), one per kind, so
// neither library's heap, JIT or WebAssembly memory affects the other's. The report goes to
// stdout, progress to stderr.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const measureScript = path.join(here, 'measure.mjs');

// The client id of the replaying document, in Agora and Yjs alike. Fixed, so that both encode the
// same document and its size does not change from run to run (each item repeats the id as a
// varUint); at least 2^28, so that it takes the 5 bytes that 15 in 16 of Yjs's random 32-bit ids
// take, rather than flattering everyone with a 1-byte id.
const kClientId = 1234567890;

function positiveEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!(n > 0)) {
    process.stderr.write(`bench/crdt: ${name}=${raw} is not a positive number\n`);
    process.exit(2);
  }
  return n;
}
const runs = Math.max(1, Math.round(positiveEnv('CRDT_RUNS', 3)));
const mergeCapS = positiveEnv('CRDT_MERGE_CAP_S', 20);
const agoraTimeoutS = positiveEnv('CRDT_AGORA_TIMEOUT_S', 120);
const traceDir = process.env.CRDT_TRACE_DIR ?? path.resolve(repo, '../shared/traces');

const [agora, ...extraTraces] = process.argv.slice(2);
if (!agora) {
  process.stderr.write('usage: node --expose-gc bench/crdt/run.mjs path/to/agora [TRACE.json.gz ...]\n');
  process.exit(2);
}
const traces = [];
if (traceDir !== '') {
  if (!fs.existsSync(traceDir)) {
    process.stderr.write(`bench/crdt: no trace folder ${traceDir} (set CRDT_TRACE_DIR)\n`);
    process.exit(1);
  }
  for (const f of fs.readdirSync(traceDir).sort()) {
    if (f.endsWith('.json.gz')) traces.push(path.join(traceDir, f));
  }
}
for (const t of extraTraces) {
  if (!fs.existsSync(t)) {
    process.stderr.write(`bench/crdt: no such trace ${t}\n`);
    process.exit(1);
  }
  traces.push(path.resolve(t));
}
if (traces.length === 0) {
  process.stderr.write('bench/crdt: no traces to run\n');
  process.exit(1);
}

const progress = (line) => process.stderr.write(`bench/crdt: ${line}\n`);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs a command; resolves with its exit status and output. The `timeoutS` cap counts from the
 * start or, given `startMarker`, from the moment the child prints it (so that reading its input
 * is not part of the cap); past it the child is killed and `timedOut` set.
 */
function runProcess(command, args, { timeoutS, startMarker } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let timer = null;
    const arm = () => {
      if (timer === null && timeoutS) {
        timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutS * 1000);
      }
    };
    if (!startMarker) arm();
    child.stdout.on('data', (d) => {
      stdout += d;
      if (startMarker && stdout.includes(startMarker)) arm();
    });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: stderr + e.message, timedOut });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** The last line of `stdout` that parses as a JSON object, or null. */
function lastJson(stdout) {
  const lines = stdout.trim().split('\n').filter((l) => l.trim().startsWith('{'));
  if (lines.length === 0) return null;
  try {
    return JSON.parse(lines[lines.length - 1]);
  } catch {
    return null;
  }
}

async function measure(args, options) {
  const r = await runProcess(process.execPath, ['--expose-gc', measureScript, ...args], options);
  if (r.timedOut) return { timedOut: true };
  const json = r.code === 0 ? lastJson(r.stdout) : null;
  if (!json) {
    throw new Error(`measure.mjs ${args[0]} failed (exit ${r.code ?? r.signal}): ${r.stderr.trim()}`);
  }
  return json;
}

const agoraFields = ['ops', 'local_ms', 'apply_remote_ms', 'encode_ms', 'load_ms', 'merge_ms',
  'state_bytes', 'peak_rss_mb'];

/** Median of each field over the runs of `agora crdt replay TRACE`, or { error } saying why not. */
async function measureAgora(trace) {
  const shown = `agora crdt replay --client-id ${kClientId} ${path.basename(trace)}`;
  const samples = [];
  for (let r = 0; r < runs; r++) {
    const res = await runProcess(agora, ['crdt', 'replay', '--client-id', String(kClientId), trace],
      { timeoutS: agoraTimeoutS });
    if (res.timedOut) return { error: `\`${shown}\` did not finish within ${agoraTimeoutS} s` };
    if (res.code !== 0) {
      const why = (res.stderr.trim() || res.stdout.trim()).split('\n').slice(0, 3).join(' / ');
      return { error: `\`${shown}\` failed (exit ${res.code ?? res.signal}): ${why || 'no output'}` };
    }
    const json = lastJson(res.stdout);
    const missing = json ? agoraFields.filter((f) => typeof json[f] !== 'number') : agoraFields;
    if (missing.length > 0) {
      return { error: `\`${shown}\` printed no JSON object with numbers for ${missing.join(', ')}` };
    }
    samples.push(json);
  }
  const out = {};
  for (const f of agoraFields) out[f] = median(samples.map((s) => s[f]));
  // loaded_doc_mb, the resident growth from the load step alone, is what compares with the Yjs
  // and ywasm figures; peak_rss_mb (the whole replay, every update held) stands in without it.
  if (samples.every((s) => typeof s.loaded_doc_mb === 'number')) {
    out.loaded_doc_mb = median(samples.map((s) => s.loaded_doc_mb));
  }
  out.memory_mb = out.loaded_doc_mb ?? out.peak_rss_mb;
  out.memory_field = out.loaded_doc_mb === undefined ? 'peak_rss_mb' : 'loaded_doc_mb';
  return out;
}

async function measureYjsMerge(work) {
  const samples = [];
  for (let r = 0; r < runs; r++) {
    const res = await measure(['yjs-merge', work], { timeoutS: mergeCapS, startMarker: 'merging' });
    if (res.timedOut) return { stopped: true };
    samples.push(res.merge_ms);
  }
  return { merge_ms: median(samples) };
}

async function measureMemory(mode, stateFile) {
  const samples = [];
  for (let r = 0; r < runs; r++) samples.push((await measure([mode, stateFile])).rss_mb);
  return median(samples);
}

async function benchTrace(trace) {
  const name = path.basename(trace).replace(/\.json\.gz$/, '');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'agora-bench-crdt-'));
  try {
    progress(`${name}: agora crdt replay (${runs} runs)`);
    const agoraResult = await measureAgora(trace);
    if (agoraResult.error) progress(`${name}: ${agoraResult.error}`);
    progress(`${name}: Yjs local replay, apply remote, encode, load (${runs} runs each)`);
    const yjs = await measure(['yjs', trace, String(runs), work, String(kClientId)]);
    progress(`${name}: ywasm apply remote, encode, load`);
    const ywasm = await measure(['ywasm', work, String(runs)]);
    progress(`${name}: Yjs mergeUpdates of ${yjs.updates} updates (cap ${mergeCapS} s per run)`);
    const merge = await measureYjsMerge(work);
    progress(`${name}: memory of the loaded document`);
    const stateFile = path.join(work, 'state.bin');
    const yjsMb = await measureMemory('yjs-memory', stateFile);
    const ywasmMb = await measureMemory('ywasm-memory', stateFile);
    return {
      name,
      agora: agoraResult,
      yjs: { ...yjs, ...merge, memory_mb: yjsMb },
      ywasm: { ...ywasm, memory_mb: ywasmMb },
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** A figure: two decimals under 10, one under 100, whole with thousands separators above. */
function fmt(x) {
  if (x === undefined || x === null || Number.isNaN(x)) return '';
  if (Math.abs(x) < 9.995) return x.toFixed(2);
  if (Math.abs(x) < 99.95) return x.toFixed(1);
  return Math.round(x).toLocaleString('en-US');
}
const ratio = (other, ours) => (other > 0 && ours > 0 ? `${fmt(other / ours)}x` : '');
const count = (n) => n.toLocaleString('en-US');

function table(result) {
  const a = result.agora.error ? {} : result.agora;
  const y = result.yjs;
  const w = result.ywasm;
  const rows = [
    ['local replay (ms)', a.local_ms, y.local_ms, '-'],
    ['apply remote (ms)', a.apply_remote_ms, y.apply_remote_ms, w.apply_remote_ms],
    ['encode (ms)', a.encode_ms, y.encode_ms, w.encode_ms],
    ['load (ms)', a.load_ms, y.load_ms, w.load_ms],
    ['merge (ms)', a.merge_ms, y.stopped ? 'stopped' : y.merge_ms, '-'],
    ['memory (MB)', a.memory_mb, y.memory_mb, w.memory_mb],
    ['state (bytes)', a.state_bytes, y.state_bytes, w.state_bytes],
  ];
  const cells = rows.map(([label, ours, yv, wv]) => {
    const row = [label, fmt(ours), fmt(yv), wv === '-' ? '-' : fmt(wv), ratio(yv, ours), ratio(wv, ours)];
    if (yv === 'stopped') {
      row[2] = `> ${mergeCapS} s (stopped)`;
      row[4] = ours > 0 ? `> ${fmt(mergeCapS * 1000 / ours)}x` : '';
    }
    if (label.startsWith('state')) { row[4] = ''; row[5] = ''; }
    return row;
  });
  const head = ['', 'Agora', 'Yjs', 'ywasm', 'Yjs/Agora', 'ywasm/Agora'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => '| ' + c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join(' | ') + ' |';
  const rule = '|' + widths.map((n, i) => (i === 0 ? '-'.repeat(n + 2) : '-'.repeat(n + 1) + ':')).join('|') + '|';
  return [line(head), rule, ...cells.map(line)].join('\n');
}

/** The targets, which it sets on automerge-paper, each marked met or NOT MET. */
function targets(result) {
  const a = result.agora;
  const y = result.yjs;
  const w = result.ywasm;
  if (a.error) return ['targets (issue 3): not measured, `agora crdt replay` gave no figures'];
  const vsYjs = y.apply_remote_ms / a.apply_remote_ms;
  const vsYwasm = w.apply_remote_ms / a.apply_remote_ms;
  const lines = [
    ['apply remote >= 10x faster than Yjs', vsYjs >= 10, `${fmt(vsYjs)}x`],
    ['apply remote >= 5x faster than ywasm', vsYwasm >= 5, `${fmt(vsYwasm)}x`],
    ['encode <= 2 ms', a.encode_ms <= 2, `${fmt(a.encode_ms)} ms`],
    ['load <= 2 ms', a.load_ms <= 2, `${fmt(a.load_ms)} ms`],
    ['merge all updates <= 250 ms', a.merge_ms <= 250, `${fmt(a.merge_ms)} ms`],
    ['loaded document <= 10 MB resident', a.memory_mb <= 10, `${fmt(a.memory_mb)} MB (${a.memory_field})`],
  ];
  const width = Math.max(...lines.map((l) => l[0].length));
  return ['targets (issue 3, on automerge-paper):',
    ...lines.map(([what, ok, got]) => `  ${what.padEnd(width)}  ${(ok ? 'met' : 'NOT MET').padEnd(7)}  ${got}`)];
}

function versionOf(pkg) {
  const file = path.join(repo, 'tests/node_modules', pkg, 'package.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')).version;
}

function machine() {
  let model = '';
  try {
    model = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1] ?? '';
  } catch { /* not Linux: the architecture will do */ }
  const gib = Math.round(os.totalmem() / 2 ** 30);
  return `${model || os.arch()}, ${os.cpus().length} cores, ${gib} GiB, ${os.release()}`;
}

function agoraVersion() {
  try {
    const out = execFileSync(agora, ['version'], { encoding: 'utf8', timeout: 10000, stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\n')[0];
  } catch {
    return '(agora version failed)';
  }
}

const started = Date.now();
const results = [];
for (const trace of traces) {
  try {
    results.push(await benchTrace(trace));
  } catch (e) {
    progress(`${path.basename(trace)}: ${e.message}`);
    process.exit(1);
  }
}

const out = [
  `date:     ${new Date().toISOString().replace('T', ' ').slice(0, 16)} UTC`,
  `machine:  ${machine()}`,
  `agora:    ${agoraVersion()}`,
  `anchors:  yjs ${versionOf('yjs')}, ywasm ${versionOf('ywasm')}, node ${process.versions.node}`,
  `method:   median of ${runs} runs each; one transaction per patch; Yjs mergeUpdates capped at ${mergeCapS} s per run`,
];
for (const r of results) {
  const y = r.yjs;
  out.push('', `${r.name}: ${count(y.patches)} patches in ${count(y.txns)} transactions, ` +
    `${count(y.updates)} updates, final text ${count(y.endCodePoints)} code points` +
    (r.agora.error ? '' : `; agora ops ${count(r.agora.ops)}`), '', table(r));
  if (r.agora.error) out.push(`agora: no figures: ${r.agora.error}`);
  if (!r.agora.error && r.agora.state_bytes !== y.state_bytes) {
    out.push(`warning: agora's state is ${count(r.agora.state_bytes)} bytes, Yjs's ${count(y.state_bytes)}: ` +
      `not the same document, though both replay as client ${kClientId}`);
  }
  if (r.name.startsWith('automerge-paper')) out.push('', ...targets(r));
}
out.push('',
  'memory: Yjs and ywasm, resident growth from loading the encoded state into a fresh doc in a',
  'fresh process (after gc); Agora, loaded_doc_mb (the same growth, in the replay process), or',
  'without it peak_rss_mb (the peak of the whole replay, every update held: not comparable).',
  'merge: ywasm 0.18 has no mergeUpdates. Ratios above 1: Agora is faster or smaller.',
  `(whole run: ${Math.round((Date.now() - started) / 1000)} s)`);
process.stdout.write(out.join('\n') + '\n');
