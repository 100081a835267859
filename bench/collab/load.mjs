// The load generator of bench/collab: simulated editors, each a real Y.Doc on its own WebSocket,
// speaking the y-websocket or the Hocuspocus protocol to a collaboration server. run.mjs starts it
// once per measurement, pinned to its own core, and reads one JSON object from its stdout.
//
//   node bench/collab/load.mjs CONFIG.json
//
// CONFIG.json holds one object (a file, not an argument: a thousand documents' tokens are longer
// than Linux allows one argument to be):
//   mode         'latency' (clients type; keystroke latency, server CPU and memory) or 'idle'
//                (one client per document uploads `content` and stays idle: memory per document;
//                then a second idle client joins each: memory per connection)
//   protocol     'y-websocket' (frames: varUint type + payload) or 'hocuspocus' (frames start with
//                the document's name; the client authenticates with a token first)
//   documents    [{ url, name, token }]: where each document's clients connect
//   clients      latency mode: how many clients, spread round-robin over the documents
//   rate         keystrokes per second per client (5)
//   warmupS, measureS, drainS
//                unmeasured typing, measured typing, and the longest wait after typing stops for
//                the last keystrokes to arrive
//   serverPid    the server process, whose CPU time and resident memory are read from /proc
//   gcSignal     idle mode: send SIGUSR2 to the server before reading its memory (the Node servers'
//                launchers run a full garbage collection on it)
//   contentBase64  idle mode: the Yjs update every document is filled with
//   receivers    'yjs' (default): every client applies every update to its Y.Doc; 'light': only the
//                first client of each document does, the others read which keystrokes an update
//                carries (Y.parseUpdateMeta) without applying it, which costs the generator less
//   coordinated  latency mode: once connected, print {"ready":true} and start typing at the epoch
//                time (ms) of a line "go EPOCH_MS" on stdin, so that several generators start as one
//   latencyFile  latency mode: where to write the measured latencies (sorted float64, ms)
//
// Why raw sockets (ws_client.mjs) and not the providers: a provider per client costs far more CPU
// than the protocol needs (event emitters, awareness instances, timers), and the generator shares
// the machine with the server. Each client still holds a real Y.Doc, makes each keystroke a Yjs
// transaction, sends the update Yjs emits, and applies every update it receives, except the echo
// of one of its own updates byte for byte (which Yjs would skip anyway). Each client sends its
// awareness state on connecting and every 15 s after, as providers do; awareness it receives is
// counted, not decoded.
//
// How a keystroke is recognised on arrival: each client's Y.Doc has a fresh random clientID and
// makes no change other than one-character inserts, so its keystroke number k is exactly the item
// with clock k of that clientID, and a receiver has it once its state vector's clock for the
// sender exceeds k. That holds however the server batches or merges updates. A keystroke's latency
// is the time from its send to the moment the LAST other client of its document has it.

import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { importPackage } from './modules.mjs';
import { WsClient } from './ws_client.mjs';

const Y = await importPackage('yjs');
const encoding = await importPackage('lib0/encoding');
const decoding = await importPackage('lib0/decoding');

const config = process.argv[2] ? JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) : null;
if (!config || !Array.isArray(config.documents)) {
  process.stderr.write('usage: node load.mjs CONFIG.json (see the comment at the top)\n');
  process.exit(2);
}
const hocuspocus = config.protocol === 'hocuspocus';
const kRemote = Symbol('remote');
const kMessageSync = 0;
const kMessageAwareness = 1;
const kMessageAuth = 2;
const kMessageSyncReply = 4;
const kMessageClose = 7;
const kMessageSyncStatus = 8;
const kMessagePing = 9;
const kMessagePong = 10;
const kProviderVersion = '4.8.0';
const progress = (line) => process.stderr.write(`load: ${line}\n`);
const now = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- /proc readings of the server ---------------------------------------------------------------

const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system, every thread) the process has used so far, or NaN if it is gone. */
function processCpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return NaN;
  }
}

/** { rssKb, hwmKb } of the process from /proc/PID/status, or NaNs if it is gone. */
function processMemory(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1]);
    return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
  } catch {
    return { rssKb: NaN, hwmKb: NaN };
  }
}

// --- counters -------------------------------------------------------------------------------------

const counters = {
  sent_updates: 0, received_messages: 0, received_updates: 0, awareness_received: 0,
  acks: 0, refused_acks: 0, pings: 0, echoes_skipped: 0,
};
const problems = { errors: 0, closes: 0, denied: 0, first: [] };
let closing = false;

function problem(kind, client, detail) {
  problems[kind] += 1;
  if (problems.first.length < 5) problems.first.push(`${kind} (client ${client.index}): ${detail}`);
}

// --- one simulated editor -------------------------------------------------------------------------

/** A simulated editor: a Y.Doc on a WebSocket, typing into Y.Text "text". */
class Client {
  constructor(index, room, document, keystrokeCapacity) {
    this.index = index;
    this.room = room;
    this.document = document;
    this.doc = new Y.Doc();
    this.text = this.doc.getText('text');
    this.socket = null;
    this.synced = false;
    this.authenticated = !hocuspocus;
    this.uploadSent = false;
    this.barrierPending = false;
    this.cursor = 0;
    this.keystrokes = 0;
    this.awarenessClock = 0;
    this.sentAt = new Float64Array(keystrokeCapacity);
    this.remaining = new Uint8Array(keystrokeCapacity);
    this.seen = null; // per member of the room: the clock of that member this client has
    this.light = false; // a light receiver reads which keystrokes an update carries, applies nothing
    this.onReady = null;
    this.onBarrier = null;
    this.recentlySent = [null, null, null, null];
    this.recentIndex = 0;
    // Yjs encodes an update for every transaction while an 'update' listener is attached, so the
    // listener is attached only around this client's own keystrokes, not when it applies others'.
    this.captureUpdate = (update) => {
      this.sendSync(2, update);
      this.recentlySent[this.recentIndex] = update;
      this.recentIndex = (this.recentIndex + 1) & 3;
    };
  }

  /** Starts a frame: the document's name first under Hocuspocus. */
  frame(type) {
    const encoder = encoding.createEncoder();
    if (hocuspocus) encoding.writeVarString(encoder, this.document.name);
    encoding.writeVarUint(encoder, type);
    return encoder;
  }

  send(encoder) {
    this.socket.send(encoding.toUint8Array(encoder));
  }

  sendSync(step, payload) {
    const encoder = this.frame(kMessageSync);
    encoding.writeVarUint(encoder, step);
    encoding.writeVarUint8Array(encoder, payload);
    this.send(encoder);
    if (step === 2) counters.sent_updates += 1;
  }

  sendAwareness() {
    this.awarenessClock += 1;
    const update = encoding.createEncoder();
    encoding.writeVarUint(update, 1);
    encoding.writeVarUint(update, this.doc.clientID);
    encoding.writeVarUint(update, this.awarenessClock);
    encoding.writeVarString(update, JSON.stringify({ user: { name: `bench ${this.index}`, color: '#3366cc' } }));
    const encoder = this.frame(kMessageAwareness);
    encoding.writeVarUint8Array(encoder, encoding.toUint8Array(update));
    this.send(encoder);
  }

  /** Opens the socket and resolves once the first sync round trip is done. */
  connect(timeoutMs) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`client ${this.index}: not synced after ${timeoutMs} ms`)), timeoutMs);
      this.onReady = () => { clearTimeout(timer); resolve(); };
      const socket = new WsClient(this.document.url);
      this.socket = socket;
      socket.onopen = () => {
        if (hocuspocus) {
          const auth = this.frame(kMessageAuth);
          encoding.writeVarUint(auth, 0);
          encoding.writeVarString(auth, this.document.token ?? '');
          encoding.writeVarString(auth, kProviderVersion);
          this.send(auth);
        }
        const step1 = this.frame(kMessageSync);
        encoding.writeVarUint(step1, 0);
        encoding.writeVarUint8Array(step1, Y.encodeStateVector(this.doc));
        this.send(step1);
        this.sendAwareness();
      };
      socket.onmessage = (data) => this.receive(data);
      socket.onerror = (e) => {
        if (!closing) problem('errors', this, e.message);
      };
      socket.onclose = (code, reason) => {
        if (!closing) problem('closes', this, `${code} ${reason}`);
        clearTimeout(timer);
        reject(new Error(`client ${this.index}: closed ${code} ${reason}`));
      };
    });
  }

  receive(data) {
    counters.received_messages += 1;
    if (hocuspocus && data.length === 1 && data[0] === kMessagePing) {
      counters.pings += 1;
      this.socket.send(Uint8Array.of(kMessagePong));
      return;
    }
    const decoder = decoding.createDecoder(data);
    if (hocuspocus) decoding.readVarString(decoder);
    const type = decoding.readVarUint(decoder);
    switch (type) {
      case kMessageSync:
      case kMessageSyncReply: {
        const step = decoding.readVarUint(decoder);
        const payload = decoding.readVarUint8Array(decoder);
        if (step === 0) {
          // The server's state vector: answer with what it lacks (in idle mode, the content).
          if (type === kMessageSync) {
            this.sendSync(1, Y.encodeStateAsUpdate(this.doc, payload));
            this.uploadSent = true;
            this.checkReady();
          }
          return;
        }
        counters.received_updates += 1;
        if (step === 2 && this.isOwnEcho(payload)) {
          counters.echoes_skipped += 1;
          return;
        }
        if (this.light && this.seen !== null) {
          this.noteArrivalsUpTo(Y.parseUpdateMeta(payload).to, now());
        } else {
          Y.applyUpdate(this.doc, payload, kRemote);
          if (this.seen !== null) this.noteArrivals(now());
        }
        if (step === 1) {
          if (this.barrierPending) {
            this.barrierPending = false;
            this.onBarrier?.();
          }
          this.synced = true;
          this.checkReady();
        }
        return;
      }
      case kMessageAwareness:
        counters.awareness_received += 1;
        return;
      case kMessageAuth: {
        const sub = decoding.readVarUint(decoder);
        if (sub === 2) {
          this.authenticated = true;
          this.checkReady();
        } else if (sub === 1) {
          problem('denied', this, decoding.readVarString(decoder));
        } else if (sub === 0 && hocuspocus) {
          const auth = this.frame(kMessageAuth);
          encoding.writeVarUint(auth, 0);
          encoding.writeVarString(auth, this.document.token ?? '');
          this.send(auth);
        }
        return;
      }
      case kMessageSyncStatus:
        if (decoding.readVarUint(decoder) === 1) counters.acks += 1;
        else counters.refused_acks += 1;
        return;
      case kMessageClose:
        if (!closing) problem('closes', this, `server closed the document: ${decoding.readVarString(decoder)}`);
        return;
      default:
    }
  }

  /**
   * Whether `update` is byte for byte one this client recently sent: the servers relay an update
   * to its sender too, and applying it would change nothing (Yjs skips structs it has), so the
   * generator saves the work. Anything else, merged updates included, is applied.
   */
  isOwnEcho(update) {
    for (const sent of this.recentlySent) {
      if (sent !== null && sent.length === update.length && Buffer.compare(sent, update) === 0) return true;
    }
    return false;
  }

  checkReady() {
    if (this.synced && this.authenticated && this.uploadSent && this.onReady) {
      const ready = this.onReady;
      this.onReady = null;
      ready();
    }
  }

  /** Resolves once the server has processed everything this client sent before the call. */
  barrier(timeoutMs) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`client ${this.index}: no sync answer after ${timeoutMs} ms`)), timeoutMs);
      this.onBarrier = () => { clearTimeout(timer); resolve(); };
      this.barrierPending = true;
      const step1 = this.frame(kMessageSync);
      encoding.writeVarUint(step1, 0);
      encoding.writeVarUint8Array(step1, Y.encodeStateVector(this.doc));
      this.send(step1);
    });
  }

  /** Records, for each other member of the room, the keystrokes this client now has. */
  noteArrivals(at) {
    const members = this.room.members;
    for (let j = 0; j < members.length; j++) {
      const sender = members[j];
      if (sender === this) continue;
      this.noteArrival(j, sender, Y.getState(this.doc.store, sender.doc.clientID), at);
    }
  }

  /** The same for a light receiver, from the end clocks (client id -> clock) an update carries. */
  noteArrivalsUpTo(ends, at) {
    const members = this.room.members;
    for (let j = 0; j < members.length; j++) {
      const sender = members[j];
      if (sender === this) continue;
      const end = ends.get(sender.doc.clientID);
      if (end !== undefined) this.noteArrival(j, sender, end, at);
    }
  }

  /** Member j (`sender`) now has `have` items here: its keystrokes below that have arrived. */
  noteArrival(j, sender, have, at) {
    let clock = this.seen[j];
    if (have <= clock) return;
    for (; clock < have && clock < sender.keystrokes; clock++) {
      sender.remaining[clock] -= 1;
      if (sender.remaining[clock] === 0) recordDelivery(sender.sentAt[clock], at);
    }
    this.seen[j] = clock;
  }

  type(at) {
    const k = this.keystrokes;
    if (k >= this.sentAt.length) return;
    this.sentAt[k] = at;
    this.remaining[k] = this.room.members.length - 1;
    this.keystrokes = k + 1;
    const position = Math.min(this.cursor, this.text.length);
    this.doc.on('update', this.captureUpdate);
    this.text.insert(position, String.fromCharCode(97 + (k % 26)));
    this.doc.off('update', this.captureUpdate);
    this.cursor = position + 1;
    // Providers renew their awareness state every 15 s; spread over the clients like the keystrokes.
    if (k % (15 * config.rate) === 0 && k > 0) this.sendAwareness();
  }
}

// --- measurement ------------------------------------------------------------------------------------

let windowStart = Infinity;
let windowEnd = Infinity;
const latencies = [];
const lateness = [];

function recordDelivery(sentAt, at) {
  if (sentAt >= windowStart && sentAt < windowEnd) latencies.push(at - sentAt);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

async function connectAll(clients, concurrency, timeoutMs) {
  let next = 0;
  let failure = null;
  const worker = async () => {
    while (next < clients.length && failure === null) {
      const client = clients[next++];
      try {
        await client.connect(timeoutMs);
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failure) throw failure;
}

function makeRooms(count) {
  return config.documents.slice(0, count).map((document) => ({ document, members: [] }));
}

/** The epoch time (ms) of the line "go EPOCH_MS" on stdin. */
function waitForGo() {
  return new Promise((resolve, reject) => {
    let input = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d) => {
      input += d;
      const m = input.match(/^go (\d+(?:\.\d+)?)\n/m);
      if (m) {
        process.stdin.pause();
        resolve(Number(m[1]));
      }
    });
    process.stdin.on('end', () => reject(new Error('stdin closed before "go"')));
  });
}

async function runLatency() {
  const rate = config.rate ?? 5;
  const period = 1000 / rate;
  const warmupMs = (config.warmupS ?? 3) * 1000;
  const measureMs = (config.measureS ?? 12) * 1000;
  const drainMs = (config.drainS ?? 3) * 1000;
  const n = config.clients;
  const rooms = makeRooms(Math.min(config.documents.length, n));
  const capacity = Math.ceil(rate * (warmupMs + measureMs) / 1000) + 2 * rate + 4;
  const clients = [];
  for (let i = 0; i < n; i++) {
    const room = rooms[i % rooms.length];
    const client = new Client(i, room, room.document, capacity);
    room.members.push(client);
    clients.push(client);
  }
  const connectStarted = now();
  const cpuBeforeConnect = processCpuSeconds(config.serverPid);
  await connectAll(clients, config.connectConcurrency ?? 64, (config.connectTimeoutS ?? 60) * 1000);
  const connectMs = now() - connectStarted;
  const connectCpu = processCpuSeconds(config.serverPid) - cpuBeforeConnect;
  progress(`${n} clients connected to ${rooms.length} documents in ${(connectMs / 1000).toFixed(1)} s`);
  for (const client of clients) {
    client.seen = client.room.members.map((m) => Y.getState(client.doc.store, m.doc.clientID));
    client.light = config.receivers === 'light' && client !== client.room.members[0];
  }
  await sleep(500);

  // Keystrokes: client i types at start + i/n of a period, then every period. Under run.mjs with
  // several generator processes, each says it is ready and all start at the instant run.mjs names.
  let start = now() + 20;
  if (config.coordinated) {
    process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
    const startEpochMs = await waitForGo();
    start = startEpochMs - performance.timeOrigin;
  }
  windowStart = start + warmupMs;
  windowEnd = windowStart + measureMs;
  const stopAt = windowEnd;
  let index = 0;
  let cycle = 0;
  let serverCpuStart = NaN;
  let serverCpuEnd = NaN;
  let generatorCpuStart = null;
  let generatorCpuEnd = null;
  let problemsAtWindow = 0;
  setTimeout(() => {
    serverCpuStart = processCpuSeconds(config.serverPid);
    generatorCpuStart = process.cpuUsage();
    problemsAtWindow = problems.errors + problems.closes + problems.denied;
  }, windowStart - now());
  let memoryAtEnd = null;
  await new Promise((resolve) => {
    const tick = () => {
      const t = now();
      for (;;) {
        const due = start + cycle * period + (index * period) / n;
        if (due > t || due >= stopAt) break;
        const sendAt = now();
        if (due >= windowStart) lateness.push(sendAt - due);
        clients[index].type(sendAt);
        index += 1;
        if (index === n) { index = 0; cycle += 1; }
      }
      if (t >= stopAt) {
        serverCpuEnd = processCpuSeconds(config.serverPid);
        generatorCpuEnd = process.cpuUsage(generatorCpuStart);
        memoryAtEnd = processMemory(config.serverPid);
        resolve();
        return;
      }
      setTimeout(tick, 1);
    };
    setTimeout(tick, Math.max(0, start - now()));
  });

  // Let the last measured keystrokes arrive.
  const measured = () => {
    let total = 0;
    let pending = 0;
    for (const c of clients) {
      for (let k = 0; k < c.keystrokes; k++) {
        if (c.sentAt[k] >= windowStart && c.sentAt[k] < windowEnd) {
          total += 1;
          if (c.remaining[k] > 0) pending += 1;
        }
      }
    }
    return { total, pending };
  };
  const drainStarted = now();
  let tally = measured();
  while (tally.pending > 0 && now() - drainStarted < drainMs) {
    await sleep(100);
    tally = measured();
  }
  // Every client applied every update, so once all keystrokes arrived the editors of a document
  // must hold the same text: a difference means the server lost, reordered or mangled something.
  // With light receivers, only the first editor of each document applies updates: it must then
  // hold every keystroke of every other editor.
  let divergedDocuments = 0;
  if (tally.pending === 0) {
    await sleep(200);
    for (const room of rooms) {
      const first = room.members[0];
      if (config.receivers === 'light') {
        const missing = room.members.some((m) => Y.getState(first.doc.store, m.doc.clientID) < m.keystrokes);
        if (missing) divergedDocuments += 1;
      } else {
        const text = first.text.toString();
        if (room.members.some((m) => m.text.toString() !== text)) divergedDocuments += 1;
      }
    }
  }
  const windowS = measureMs / 1000;
  // A keystroke that never arrived counts as slower than any that did.
  const sorted = latencies.slice().sort((a, b) => a - b);
  const all = sorted.concat(new Array(tally.pending).fill(Infinity));
  const lateSorted = lateness.slice().sort((a, b) => a - b);
  const generatorCpuS = (generatorCpuEnd.user + generatorCpuEnd.system) / 1e6;
  closing = true;
  // run.mjs merges the latencies of several generator processes before taking percentiles.
  if (config.latencyFile) fs.writeFileSync(config.latencyFile, new Float64Array(sorted));
  return {
    mode: 'latency',
    clients: n,
    documents: rooms.length,
    rate,
    connect_s: connectMs / 1000,
    connect_server_cpu_s: connectCpu,
    keystrokes_measured: tally.total,
    delivered: sorted.length,
    undelivered: tally.pending,
    p50_ms: percentile(all, 0.5),
    p90_ms: percentile(all, 0.9),
    p99_ms: percentile(all, 0.99),
    max_ms: all.length ? all[all.length - 1] : NaN,
    server_cpu_pct: ((serverCpuEnd - serverCpuStart) / windowS) * 100,
    server_rss_mb: memoryAtEnd.rssKb / 1024,
    server_hwm_mb: memoryAtEnd.hwmKb / 1024,
    generator_cpu_pct: (generatorCpuS / windowS) * 100,
    generator_sys_pct: (generatorCpuEnd.system / 1e6 / windowS) * 100,
    send_lag_p50_ms: percentile(lateSorted, 0.5),
    send_lag_p99_ms: percentile(lateSorted, 0.99),
    problems_in_window: problems.errors + problems.closes + problems.denied - problemsAtWindow,
    diverged_documents: divergedDocuments,
    problems,
    counters,
  };
}

async function runIdle() {
  const content = Buffer.from(config.contentBase64, 'base64');
  const rooms = makeRooms(config.documents.length);
  const clients = rooms.map((room, i) => {
    const client = new Client(i, room, room.document, 1);
    Y.applyUpdate(client.doc, content, kRemote);
    room.members.push(client);
    return client;
  });
  const readMemory = async () => {
    if (config.gcSignal) {
      process.kill(config.serverPid, 'SIGUSR2');
      await sleep(1000);
    }
    return processMemory(config.serverPid).rssKb;
  };
  await sleep((config.settleS ?? 2) * 1000);
  const baselineKb = await readMemory();
  const started = now();
  await connectAll(clients, config.connectConcurrency ?? 64, (config.connectTimeoutS ?? 60) * 1000);
  // Every document's content is on the server once it has answered a sync step 1 sent after it.
  await Promise.all(clients.map((c) => c.barrier(60000)));
  const connectS = (now() - started) / 1000;
  progress(`${clients.length} documents opened and filled in ${connectS.toFixed(1)} s`);
  await sleep((config.settleS ?? 2) * 1000);
  const loadedKb = await readMemory();
  const perDocumentKb = (loadedKb - baselineKb) / clients.length;
  // A second idle client on every document: what a connection alone costs, so that the lead can
  // tell the document's share of the figure above from its one client's.
  const seconds = rooms.map((room, i) => {
    const client = new Client(clients.length + i, room, room.document, 1);
    room.members.push(client);
    return client;
  });
  await connectAll(seconds, config.connectConcurrency ?? 64, (config.connectTimeoutS ?? 60) * 1000);
  await Promise.all(seconds.map((c) => c.barrier(60000)));
  await sleep((config.settleS ?? 2) * 1000);
  const twoClientsKb = await readMemory();
  const perConnectionKb = (twoClientsKb - loadedKb) / seconds.length;
  closing = true;
  return {
    mode: 'idle',
    documents: clients.length,
    content_bytes: content.length,
    content_chars: clients[0].text.length,
    baseline_rss_mb: baselineKb / 1024,
    loaded_rss_mb: loadedKb / 1024,
    per_document_kb: perDocumentKb,
    beyond_content_kb: perDocumentKb - content.length / 1024,
    two_clients_rss_mb: twoClientsKb / 1024,
    per_connection_kb: perConnectionKb,
    connect_s: connectS,
    problems,
    counters,
  };
}

try {
  const result = config.mode === 'idle' ? await runIdle() : await runLatency();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
} catch (e) {
  closing = true;
  process.stdout.write(`${JSON.stringify({ mode: config.mode, failed: e.message, problems, counters })}\n`);
  process.exit(0);
}
