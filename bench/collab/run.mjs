// bench/collab: Agora's collaboration server against @hocuspocus/server and @y/websocket-server,
// driven by the same load generator (load.mjs) in one run.
//
//   node bench/collab/run.mjs path/to/agora
//
// For each server: a search for the most simulated editors it serves with a keystroke's p99 time
// to every other editor of its document under the target (100 ms), raising the number of clients
// level by level; then the resident memory an open, idle document costs. The server runs on its
// own core and the generator on another (taskset), every server alike. A fresh server process per
// level. Environment variables: see README.md ("bench/collab"). Report on stdout, progress on
// stderr.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importPackage, packageVersion } from './modules.mjs';
import { AgoraDocuments, agoraDataDir, agoraServeArgs, agoraUrl } from './servers/agora.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const loadScript = path.join(here, 'load.mjs');
const startedAt = Date.now();
const progress = (line) => process.stderr.write(`bench/collab: [${Math.round((Date.now() - startedAt) / 1000)} s] ${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- settings ------------------------------------------------------------------------------------

function env(name, fallback) {
  const raw = process.env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}
function numberEnv(name, fallback) {
  const raw = env(name, undefined);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!(n >= 0)) {
    progress(`${name}=${raw} is not a number`);
    process.exit(2);
  }
  return n;
}

const quick = env('COLLAB_BENCH_QUICK', '0') === '1';
const settings = {
  levels: env('COLLAB_LEVELS', '50,100,200,400,800,1600,3200,6400,12800').split(',').map(Number),
  roomSize: numberEnv('COLLAB_ROOM_SIZE', 5),
  rate: numberEnv('COLLAB_RATE', 5),
  warmupS: numberEnv('COLLAB_WARMUP_S', quick ? 2 : 3),
  measureS: numberEnv('COLLAB_MEASURE_S', quick ? 5 : 10),
  drainS: numberEnv('COLLAB_DRAIN_S', 3),
  targetP99Ms: numberEnv('COLLAB_P99_MS', 100),
  idleDocuments: numberEnv('COLLAB_IDLE_DOCS', quick ? 200 : 1000),
  refine: numberEnv('COLLAB_REFINE', quick ? 0 : 1),
  retries: numberEnv('COLLAB_RETRIES', quick ? 0 : 1),
  serverCpus: env('COLLAB_SERVER_CPUS', '0'),
  generatorCpus: env('COLLAB_GENERATOR_CPUS', '1'),
  generatorBusyPct: numberEnv('COLLAB_GENERATOR_BUSY_PCT', 85),
  generators: numberEnv('COLLAB_GENERATORS', 1),
  receivers: env('COLLAB_RECEIVERS', 'yjs'),
  agoraProtocol: env('COLLAB_AGORA_PROTOCOL', 'hocuspocus'),
  servers: env('COLLAB_SERVERS', 'agora,hocuspocus,y-websocket').split(','),
  // Negative values need root; they shield the measurement from other work on a shared machine.
  nice: env('COLLAB_NICE', ''),
};
if (!['yjs', 'light'].includes(settings.receivers)) {
  progress(`COLLAB_RECEIVERS must be yjs or light, not ${settings.receivers}`);
  process.exit(2);
}
if (!['hocuspocus', 'y-websocket'].includes(settings.agoraProtocol)) {
  progress(`COLLAB_AGORA_PROTOCOL must be hocuspocus or y-websocket, not ${settings.agoraProtocol}`);
  process.exit(2);
}

const agora = process.argv[2] ? path.resolve(process.argv[2]) : null;
if (!agora) {
  process.stderr.write('usage: node bench/collab/run.mjs path/to/agora\n');
  process.exit(2);
}

// Linux puts each session in its own scheduling autogroup, and a process's nice value only weighs
// against processes of its own group: other sessions' work still takes its fair share of a core
// from the server or the generator. COLLAB_NICE therefore sets the niceness of this whole group
// (the bench and everything it starts), where the kernel allows it.
// The group is the whole session (the shell that started the bench too), so its niceness is put
// back on the way out.
if (settings.nice !== '' && fs.existsSync('/proc/self/autogroup')) {
  try {
    const before = fs.readFileSync('/proc/self/autogroup', 'utf8').match(/nice (-?\d+)/)?.[1];
    fs.writeFileSync('/proc/self/autogroup', settings.nice);
    if (before !== undefined) {
      process.on('exit', () => {
        try { fs.writeFileSync('/proc/self/autogroup', before); } catch { /* nothing more to do */ }
      });
    }
  } catch (e) {
    progress(`could not set the autogroup's nice to ${settings.nice}: ${e.message}`);
  }
}

const havePinning = (() => {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return os.cpus().length >= 2;
  } catch {
    return false;
  }
})();
/**
 * `command args` run on `cpus` (a taskset list; as is without taskset or a list) and, given
 * COLLAB_NICE, at that niceness (exec'd in place, so the pid stays the server's).
 */
function pinned(cpus, command, args) {
  let [cmd, argv] = havePinning && cpus !== '' ? ['taskset', ['-c', cpus, command, ...args]] : [command, args];
  if (settings.nice !== '') [cmd, argv] = ['nice', ['-n', settings.nice, cmd, ...argv]];
  return [cmd, argv];
}

// --- processes -----------------------------------------------------------------------------------

/** Every server and generator process running, to stop them if the bench is interrupted. */
const liveChildren = new Set();
function track(child) {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  return child;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url, child, logFile) {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) break;
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch { /* not up yet */ }
    await sleep(50);
  }
  throw new Error(`no answer from ${url} within 10 s; log: ${tail(logFile)}`);
}

function tail(file) {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' / ') || '(empty)';
  } catch {
    return '(none)';
  }
}

/** Starts a server process pinned to the server cores; resolves once it accepts connections. */
async function startProcess(command, args, logFile, healthUrl) {
  const [cmd, argv] = pinned(settings.serverCpus, command, args);
  const log = fs.openSync(logFile, 'a');
  const child = track(spawn(cmd, argv, { stdio: ['ignore', 'pipe', log] }));
  fs.closeSync(log);
  child.stdout.resume(); // readiness comes from healthUrl; the output only must not fill the pipe
  await waitForHttp(healthUrl, child, logFile);
  if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}: ${tail(logFile)}`);
  return child;
}

async function stopProcess(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
  await exited;
  clearTimeout(timer);
}

/**
 * Runs the latency measurement over `settings.generators` load.mjs processes, each with whole
 * documents and their clients, started together; returns their results merged into one.
 */
async function runLatencyShards(config, work) {
  const shardCount = Math.max(1, Math.min(settings.generators, config.documents.length));
  const perDocument = config.clients / config.documents.length;
  const shards = [];
  for (let s = 0; s < shardCount; s++) {
    const from = Math.floor((s * config.documents.length) / shardCount);
    const to = Math.floor(((s + 1) * config.documents.length) / shardCount);
    const documents = config.documents.slice(from, to);
    shards.push({
      ...config,
      documents,
      clients: Math.round(perDocument * to) - Math.round(perDocument * from),
      coordinated: true,
      latencyFile: path.join(work, `latencies-${s}.bin`),
    });
  }
  const results = await new Promise((resolve) => {
    const outcomes = new Array(shards.length).fill(null);
    const children = [];
    let ready = 0;
    let finished = 0;
    shards.forEach((shard, s) => {
      const file = path.join(work, `load-config-${s}.json`);
      fs.writeFileSync(file, JSON.stringify(shard));
      const [cmd, argv] = pinned(settings.generatorCpus, process.execPath, [loadScript, file]);
      const child = track(spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] }));
      children.push(child);
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d) => {
        stdout += d;
        let newline;
        while ((newline = stdout.indexOf('\n')) >= 0) {
          const line = stdout.slice(0, newline);
          stdout = stdout.slice(newline + 1);
          let message = null;
          try { message = JSON.parse(line); } catch { continue; }
          if (message.ready) {
            ready += 1;
            if (ready === shards.length) {
              const go = `go ${Date.now() + 200}\n`;
              for (const c of children) c.stdin.write(go);
            }
          } else {
            outcomes[s] = message;
            // One generator failing to connect means the level failed: stop the others.
            if (message.failed) for (const c of children) if (c !== child) c.kill('SIGTERM');
          }
        }
      });
      child.stderr.on('data', (d) => { stderr += d; process.stderr.write(d); });
      child.on('close', (code) => {
        outcomes[s] ??= { failed: `load.mjs exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' / ')}` };
        finished += 1;
        if (finished === shards.length) resolve(outcomes);
      });
    });
  });
  return mergeShards(results, shards.map((s) => s.latencyFile));
}

/** One result from several generators' results: latencies pooled, server readings from the first. */
function mergeShards(results, latencyFiles) {
  const failed = results.find((r) => r.failed);
  const problems = { errors: 0, closes: 0, denied: 0, first: [] };
  for (const r of results) {
    if (!r.problems) continue;
    problems.errors += r.problems.errors;
    problems.closes += r.problems.closes;
    problems.denied += r.problems.denied;
    problems.first.push(...r.problems.first);
  }
  if (failed) return { ...failed, problems };
  const parts = latencyFiles.map((f) => {
    const bytes = fs.readFileSync(f);
    return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8);
  });
  const undelivered = results.reduce((sum, r) => sum + r.undelivered, 0);
  const all = new Float64Array(parts.reduce((n, p) => n + p.length, 0) + undelivered);
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  all.fill(Infinity, at);
  all.sort();
  const pick = (p) => (all.length ? all[Math.min(all.length - 1, Math.max(0, Math.ceil(p * all.length) - 1))] : NaN);
  const sum = (field) => results.reduce((n, r) => n + r[field], 0);
  const max = (field) => Math.max(...results.map((r) => r[field]));
  return {
    ...results[0],
    clients: sum('clients'),
    documents: sum('documents'),
    keystrokes_measured: sum('keystrokes_measured'),
    delivered: sum('delivered'),
    undelivered,
    p50_ms: pick(0.5),
    p90_ms: pick(0.9),
    p99_ms: pick(0.99),
    max_ms: all.length ? all[all.length - 1] : NaN,
    connect_s: max('connect_s'),
    generator_cpu_pct: sum('generator_cpu_pct'),
    generator_busiest_pct: max('generator_cpu_pct'),
    generators: results.length,
    diverged_documents: sum('diverged_documents'),
    send_lag_p50_ms: max('send_lag_p50_ms'),
    send_lag_p99_ms: max('send_lag_p99_ms'),
    problems_in_window: sum('problems_in_window'),
    problems,
  };
}

/** Runs one load.mjs with `config` on the generator cores and returns its JSON result. */
function runLoad(config, work) {
  const file = path.join(work, 'load-config.json');
  fs.writeFileSync(file, JSON.stringify(config));
  const [cmd, argv] = pinned(settings.generatorCpus, process.execPath, [loadScript, file]);
  return new Promise((resolve) => {
    const child = track(spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; process.stderr.write(d); });
    child.on('close', (code) => {
      const line = stdout.trim().split('\n').pop();
      try {
        resolve(JSON.parse(line));
      } catch {
        resolve({ failed: `load.mjs exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' / ')}` });
      }
    });
  });
}

// --- the servers -----------------------------------------------------------------------------------

/**
 * Each server: its protocol, how to start it, and where the clients of `count` documents connect
 * (document names are unique per run, so no level sees another's documents).
 */
function makeServers(work) {
  let serial = 0;
  const nodeServer = (name, script, protocol) => ({
    name,
    protocol,
    gcSignal: true,
    async start(port) {
      return startProcess(process.execPath, ['--expose-gc', path.join(here, 'servers', script), String(port)],
        path.join(work, `${name}.log`), `http://127.0.0.1:${port}/`);
    },
    async documents(count, port) {
      serial += 1;
      return Array.from({ length: count }, (_, i) => {
        const docName = `bench-${serial}-${i}`;
        return {
          url: protocol === 'hocuspocus' ? `ws://127.0.0.1:${port}/` : `ws://127.0.0.1:${port}/${docName}`,
          name: docName,
          token: 'any',
        };
      });
    },
  });
  const agoraDocs = new AgoraDocuments(agora, agoraDataDir(work));
  return {
    agora: {
      name: 'agora',
      protocol: settings.agoraProtocol,
      gcSignal: false,
      async start(port, clients) {
        return startProcess(agora, agoraServeArgs(agoraDataDir(work), port, Math.max(10000, clients + 1000)),
          path.join(work, 'agora.log'), `http://127.0.0.1:${port}/healthz`);
      },
      async documents(count, port) {
        const docs = await agoraDocs.fresh(count);
        return docs.map((d) => ({ url: agoraUrl(port, settings.agoraProtocol, d.id, d.token), name: d.id, token: d.token }));
      },
    },
    hocuspocus: nodeServer('hocuspocus', 'hocuspocus.mjs', 'hocuspocus'),
    'y-websocket': nodeServer('y-websocket', 'y-websocket.mjs', 'y-websocket'),
  };
}

/** Whether this agora has the collab commands yet; null if so, else why not. */
function agoraMissing() {
  if (!fs.existsSync(agora)) return `${agora} does not exist`;
  try {
    const help = execFileSync(agora, ['--help'], { encoding: 'utf8', timeout: 10000 });
    const missing = ['doc', 'collab'].filter((c) => !new RegExp(`^\\s+${c}\\s`, 'm').test(help));
    return missing.length ? `this agora has no ${missing.join(' or ')} command yet` : null;
  } catch (e) {
    return `agora --help failed: ${e.message}`;
  }
}

// --- measurements ----------------------------------------------------------------------------------

async function measureLevel(server, clients, work) {
  const documentCount = Math.max(1, Math.round(clients / settings.roomSize));
  const port = await freePort();
  const documents = await server.documents(documentCount, port);
  const child = await server.start(port, clients);
  try {
    const result = await runLatencyShards({
      mode: 'latency',
      protocol: server.protocol,
      documents,
      clients,
      rate: settings.rate,
      warmupS: settings.warmupS,
      measureS: settings.measureS,
      drainS: settings.drainS,
      serverPid: child.pid,
      receivers: settings.receivers,
    }, work);
    if (child.exitCode !== null || child.signalCode !== null) {
      result.failed ??= `the server exited (${child.exitCode ?? child.signalCode})`;
    }
    return result;
  } finally {
    await stopProcess(child);
  }
}

/** How many CPUs a taskset list such as "0", "0-1" or "2,4-7" names (0 for none). */
function cpuCount(list) {
  if (!havePinning || list === '') return os.cpus().length;
  return list.split(',').reduce((n, part) => {
    const [from, to] = part.split('-').map(Number);
    return n + (to === undefined ? 1 : to - from + 1);
  }, 0);
}

/** held | server | generator: whether the level met the target and, if not, who was the limit. */
function verdict(r) {
  if (r.failed) return { held: false, by: 'server', why: `failed: ${r.failed}` };
  const problemCount = r.problems.errors + r.problems.closes + r.problems.denied;
  if (problemCount > 0) {
    return { held: false, by: 'server', why: `${problemCount} errors/disconnects: ${r.problems.first[0] ?? ''}` };
  }
  if (r.diverged_documents > 0) {
    return { held: false, by: 'server', why: `${r.diverged_documents} documents ended with different texts at their editors` };
  }
  if (r.p99_ms < settings.targetP99Ms) return { held: true, by: null, why: 'held' };
  // A generator sending late or using most of its core inflates every latency it measures; but a
  // server using all of its own core is the limit whatever the generator does.
  const serverSaturated = r.server_cpu_pct >= 90 * Math.max(1, cpuCount(settings.serverCpus));
  const generatorBusy = !serverSaturated &&
    (r.generator_busiest_pct >= settings.generatorBusyPct || r.send_lag_p99_ms >= Math.max(20, settings.targetP99Ms / 2));
  if (!generatorBusy) return { held: false, by: 'server', why: 'p99 over target' };
  // Late with most of its core to spare, the generator was held back by other work on the machine.
  const how = r.generator_busiest_pct >= settings.generatorBusyPct ? 'saturated'
    : r.generator_busiest_pct < 40 ? 'starved by other work' : 'falling behind';
  return { held: false, by: 'generator', why: `p99 over target; generator ${how} (${fmt(r.generator_busiest_pct)} % CPU, send lag p99 ${fmt(r.send_lag_p99_ms)} ms)` };
}

async function searchServer(server, work) {
  const rows = [];
  let best = null;
  let limit = { by: 'levels', level: null };
  const tryLevel = async (clients) => {
    let best = null;
    // Other work on the machine only ever makes a level worse: a failed level gets another try,
    // and the better of the two counts.
    for (let attempt = 0; attempt <= settings.retries; attempt++) {
      progress(`${server.name}: ${clients} clients in ${Math.round(clients / settings.roomSize)} documents` +
        (attempt > 0 ? ` (try ${attempt + 1})` : ''));
      const r = await measureLevel(server, clients, work);
      const v = verdict(r);
      progress(`${server.name}: ${clients} clients: p50 ${fmt(r.p50_ms)} ms, p99 ${fmt(r.p99_ms)} ms, server CPU ${fmt(r.server_cpu_pct)} %, ` +
        `generator CPU ${fmt(r.generator_cpu_pct)} %: ${v.why}`);
      if (attempt > 0) v.why += ` (try ${attempt + 1})`;
      if (best === null || v.held || (!best.v.held && (r.p99_ms ?? Infinity) < (best.r.p99_ms ?? Infinity))) best = { clients, r, v };
      if (v.held) break;
    }
    rows.push(best);
    return best.v;
  };
  let lastHeld = null;
  for (const clients of settings.levels) {
    const v = await tryLevel(clients);
    if (v.held) {
      lastHeld = clients;
      continue;
    }
    limit = { by: v.by, level: clients };
    // One or more steps between the last level held and this one, geometrically.
    let low = lastHeld;
    let high = clients;
    for (let step = 0; step < settings.refine && low !== null; step++) {
      const mid = Math.round(Math.sqrt(low * high) / settings.roomSize) * settings.roomSize;
      if (mid <= low || mid >= high) break;
      const vm = await tryLevel(mid);
      if (vm.held) {
        low = mid;
      } else {
        high = mid;
        limit = { by: vm.by, level: mid };
      }
    }
    lastHeld = low;
    break;
  }
  if (lastHeld !== null) best = rows.find((row) => row.clients === lastHeld);
  rows.sort((a, b) => a.clients - b.clients);
  return { rows, best, limit };
}

async function measureIdle(server, content, work) {
  progress(`${server.name}: memory of ${settings.idleDocuments} open idle documents`);
  const port = await freePort();
  const documents = await server.documents(settings.idleDocuments, port);
  const child = await server.start(port, settings.idleDocuments);
  try {
    return await runLoad({
      mode: 'idle',
      protocol: server.protocol,
      documents,
      serverPid: child.pid,
      gcSignal: server.gcSignal,
      contentBase64: Buffer.from(content).toString('base64'),
      settleS: 2,
    }, work);
  } finally {
    await stopProcess(child);
  }
}

/**
 * The content every document of the memory test is filled with: a few thousand characters typed by
 * three editors in bursts at random places, with some deletions, from a fixed seed, as one Yjs
 * update. Its size is what "beyond its content" subtracts.
 */
async function makeContent() {
  const Y = await importPackage('yjs');
  let seed = 20261122;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const words = 'the council and the health board agree to share the housing plan for the valley by next spring'.split(' ');
  const editors = [1001, 1002, 1003].map((id) => {
    const doc = new Y.Doc();
    doc.clientID = id;
    return doc;
  });
  const sync = () => {
    for (const a of editors) for (const b of editors) if (a !== b) Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  };
  for (let burst = 0; burst < 120; burst++) {
    const doc = editors[burst % editors.length];
    const text = doc.getText('text');
    if (text.length > 50 && random() < 0.15) {
      const at = Math.floor(random() * (text.length - 20));
      text.delete(at, 1 + Math.floor(random() * 15));
    } else {
      let at = Math.floor(random() * (text.length + 1));
      const count = 3 + Math.floor(random() * 8);
      for (let w = 0; w < count; w++) {
        const word = `${words[Math.floor(random() * words.length)]} `;
        for (const ch of word) text.insert(at++, ch); // one keystroke at a time, as typed
      }
    }
    if (burst % 3 === 2) sync();
  }
  sync();
  return Y.encodeStateAsUpdate(editors[0]);
}

// --- report ----------------------------------------------------------------------------------------

function fmt(x, digits) {
  if (x === undefined || x === null || Number.isNaN(x)) return '-';
  if (!Number.isFinite(x)) return 'lost';
  if (digits !== undefined) return x.toFixed(digits);
  if (Math.abs(x) < 9.995) return x.toFixed(2);
  if (Math.abs(x) < 99.95) return x.toFixed(1);
  return Math.round(x).toLocaleString('en-US');
}

/** Server CPU time per keystroke typed, in µs: what one keystroke costs the server, all fan-out included. */
function cpuPerKeystroke(clients, r) {
  return (r.server_cpu_pct / 100) * 1e6 / (clients * settings.rate);
}

function markdownTable(head, rows, leftColumns = 1, alsoLeft = []) {
  const left = (i) => i < leftColumns || alsoLeft.includes(i);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => '| ' + cells.map((c, i) => (left(i) ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' | ') + ' |';
  const rule = '|' + widths.map((w, i) => (left(i) ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|';
  return [line(head), rule, ...rows.map(line)].join('\n');
}

function levelTable(search) {
  const head = ['clients', 'docs', 'p50 ms', 'p99 ms', 'server CPU %', 'CPU µs/keystroke', 'server RSS MB',
    'generator CPU %', 'send lag p99 ms', 'result'];
  const rows = search.rows.map(({ clients, r, v }) => [
    clients, r.documents ?? Math.round(clients / settings.roomSize), fmt(r.p50_ms), fmt(r.p99_ms),
    fmt(r.server_cpu_pct), fmt(cpuPerKeystroke(clients, r)), fmt(r.server_rss_mb), fmt(r.generator_cpu_pct),
    fmt(r.send_lag_p99_ms), v.why,
  ]);
  return markdownTable(head, rows, 0, [head.length - 1]);
}

function machine() {
  const model = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1] ?? os.arch();
  return `${model}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.release()}`;
}

function agoraVersion() {
  try {
    return execFileSync(agora, ['version'], { encoding: 'utf8', timeout: 10000 }).split('\n')[0];
  } catch {
    return '(agora version failed)';
  }
}

// --- main ------------------------------------------------------------------------------------------

const started = Date.now();
const loadBefore = os.loadavg();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'agora-bench-collab-'));
const content = await makeContent();
const results = {};
const skipped = {};
let interrupted = false;
const cleanupAndExit = () => {
  interrupted = true;
  for (const child of liveChildren) child.kill('SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
  process.exit(130);
};
process.on('SIGINT', cleanupAndExit);
process.on('SIGTERM', cleanupAndExit);
try {
  const servers = makeServers(work);
  for (const name of settings.servers) {
    const server = servers[name];
    if (!server) {
      progress(`unknown server ${name} in COLLAB_SERVERS (agora, hocuspocus, y-websocket)`);
      process.exit(2);
    }
    if (name === 'agora') {
      const why = agoraMissing();
      if (why) {
        skipped.agora = why;
        progress(`agora: skipped: ${why}`);
        continue;
      }
    }
    try {
      const idle = await measureIdle(server, content, work);
      const search = await searchServer(server, work);
      results[name] = { idle, search };
    } catch (e) {
      skipped[name] = e.message;
      progress(`${name}: ${e.message}`);
    }
  }
} finally {
  if (!interrupted) fs.rmSync(work, { recursive: true, force: true });
}

const out = [
  `date:      ${new Date().toISOString().replace('T', ' ').slice(0, 16)} UTC`,
  `machine:   ${machine()}; load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')} before, ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} after`,
  `agora:     ${skipped.agora ? `(not measured: ${skipped.agora})` : agoraVersion()}, protocol ${settings.agoraProtocol}`,
  `anchors:   @hocuspocus/server ${packageVersion('@hocuspocus/server')}, @y/websocket-server ${packageVersion('@y/websocket-server')}, ` +
    `yjs ${packageVersion('yjs')}, ws ${packageVersion('ws')}, node ${process.versions.node}`,
  `method:    N clients (real Y.Docs${settings.receivers === 'light' ? '; light receivers: only the first client of each document applies updates' : ''}) ` +
    `in N/${settings.roomSize} documents, ${settings.rate} keystrokes/s each; per level a fresh server, ` +
    `${settings.warmupS} s warm-up, ${settings.measureS} s measured; latency = send to the last other client of the document having it`,
  `pinning:   ${havePinning && settings.serverCpus !== '' ? `server on CPU ${settings.serverCpus}` : 'server not pinned'}, ` +
    `${settings.generators > 1 ? `${settings.generators} generator processes` : 'generator'} ` +
    `${havePinning && settings.generatorCpus !== '' ? `on CPU ${settings.generatorCpus}` : 'not pinned'}` +
    (settings.nice !== '' ? `, both at nice ${settings.nice}` : ''),
  `memory:    ${settings.idleDocuments} documents opened by one idle client each, filled with ${content.length.toLocaleString('en-US')} bytes of Yjs state; ` +
    'resident growth / documents (Node servers after a full gc); then a second idle client on each: growth / clients',
];
for (const [name, skipReason] of Object.entries(skipped)) {
  if (!results[name]) out.push('', `${name}: not measured: ${skipReason}`);
}
for (const [name, { search }] of Object.entries(results)) {
  const protocol = name === 'agora' ? settings.agoraProtocol : name;
  out.push('', `${name} (${protocol} protocol):`, '', levelTable(search));
}

const most = (name) => results[name]?.search.best?.clients ?? null;
const limitText = (name) => {
  const s = results[name]?.search;
  if (!s) return '-';
  if (s.limit.by === 'levels') return `held every level (up to ${settings.levels[settings.levels.length - 1]})`;
  if (s.limit.by === 'generator') return `the generator, at ${s.limit.level}: the server's limit is higher`;
  return `p99 or errors at ${s.limit.level}`;
};
const summaryRows = Object.keys(results).map((name) => {
  const { idle, search } = results[name];
  const best = search.best;
  return [
    name, most(name) === null ? `< ${settings.levels[0]}` : String(most(name)),
    best ? fmt(best.r.p99_ms) : '-', best ? fmt(best.r.server_cpu_pct) : '-', best ? fmt(best.r.server_rss_mb) : '-',
    idle.failed ? 'failed' : fmt(idle.per_document_kb), idle.failed ? '-' : fmt(idle.beyond_content_kb),
    idle.failed ? '-' : fmt(idle.per_connection_kb), limitText(name),
  ];
});
out.push('', 'summary:', '', markdownTable(
  ['server', `most clients, p99 < ${settings.targetP99Ms} ms`, 'p99 ms there', 'server CPU % there', 'RSS MB there',
    'KB per open document', 'KB beyond content', 'KB per extra client', 'limited by'], summaryRows));
for (const [name, { idle }] of Object.entries(results)) {
  if (idle.failed) out.push(`${name} memory test failed: ${idle.failed}`);
}

if (results.agora && results.hocuspocus) {
  const a = results.agora;
  const h = results.hocuspocus;
  const rows = [];
  // A client count the generator capped is only a lower bound: the ratio is then decided only
  // when a lower bound for Agora already beats an exact figure for Hocuspocus.
  const agoraMost = most('agora');
  const hocuspocusMost = most('hocuspocus');
  const agoraExact = a.search.limit.by === 'server';
  const hocuspocusExact = h.search.limit.by === 'server';
  const clientRatio = agoraMost !== null && hocuspocusMost ? agoraMost / hocuspocusMost : NaN;
  let clientVerdict;
  if (agoraExact && hocuspocusExact) clientVerdict = clientRatio >= 5 ? 'met' : 'NOT MET';
  else if (!agoraExact && hocuspocusExact && clientRatio >= 5) clientVerdict = 'met';
  else if (agoraExact && !hocuspocusExact && clientRatio < 5) clientVerdict = 'NOT MET';
  else clientVerdict = 'unknown';
  const bound = (exact) => (exact ? '' : '>= ');
  rows.push(['clients at p99 < 100 ms >= 5x Hocuspocus', clientVerdict,
    `${bound(agoraExact)}${agoraMost ?? 0} vs ${bound(hocuspocusExact)}${hocuspocusMost ?? 0}` +
    (clientVerdict === 'unknown' ? ' (the generator was the limit first; see "limited by")' : ` (${fmt(clientRatio)}x)`)]);
  const memoryRatio = !a.idle.failed && !h.idle.failed ? h.idle.per_document_kb / a.idle.per_document_kb : NaN;
  rows.push(['memory per open document <= 1/10 of Hocuspocus', memoryRatio >= 10 ? 'met' : 'NOT MET',
    `${fmt(a.idle.per_document_kb)} KB vs ${fmt(h.idle.per_document_kb)} KB (1/${fmt(memoryRatio)})`]);
  rows.push(['idle open document < 50 KB beyond its content', a.idle.beyond_content_kb < 50 ? 'met' : 'NOT MET',
    `${fmt(a.idle.beyond_content_kb)} KB (of which its one client's connection: about ${fmt(a.idle.per_connection_kb)} KB)`]);
  const width = Math.max(...rows.map((r) => r[0].length));
  out.push('', 'targets (issue 4):', ...rows.map(([what, verdictText, got]) => `  ${what.padEnd(width)}  ${verdictText.padEnd(7)}  ${got}`));
}
// Where the generator, not the server, is the limit, the servers' CPU time per keystroke at the
// largest level they all held still compares their efficiency.
const measured = Object.keys(results);
const allLevels = [...new Set(measured.flatMap((name) => results[name].search.rows.map((row) => row.clients)))].sort((x, y) => x - y);
const commonLevels = allLevels.filter((n) => measured.length > 0 && measured.every((name) =>
  results[name].search.rows.some((row) => row.clients === n && row.v.held)));
if (commonLevels.length > 0 && measured.length > 1) {
  const n = commonLevels[commonLevels.length - 1];
  const at = (name) => results[name].search.rows.find((row) => row.clients === n).r;
  out.push('', `at ${n} clients, the largest level every server held:`, '', markdownTable(
    ['server', 'p50 ms', 'p99 ms', 'server CPU %', 'CPU µs/keystroke', 'clients per core at that cost', 'server RSS MB'],
    measured.map((name) => [name, fmt(at(name).p50_ms), fmt(at(name).p99_ms), fmt(at(name).server_cpu_pct),
      fmt(cpuPerKeystroke(n, at(name))), fmt(1e6 / (cpuPerKeystroke(n, at(name)) * settings.rate)),
      fmt(at(name).server_rss_mb)])));
  out.push('(clients per core at that cost: how many clients would keep one core 100 % busy at that CPU time per',
    'keystroke; an extrapolation, an upper bound for the p99 target, not a measurement)');
  if (results.agora && results.hocuspocus) {
    out.push(`Hocuspocus / Agora server CPU per keystroke there: ${fmt(cpuPerKeystroke(n, at('hocuspocus')) / cpuPerKeystroke(n, at('agora')))}x`);
  }
}
if (results.hocuspocus && results['y-websocket']) {
  const r = most('y-websocket') && most('hocuspocus') ? most('y-websocket') / most('hocuspocus') : NaN;
  out.push(`y-websocket / Hocuspocus clients: ${fmt(r)}x`);
}
out.push('', `(whole run: ${Math.round((Date.now() - started) / 1000)} s)`);
process.stdout.write(`${out.join('\n')}\n`);
