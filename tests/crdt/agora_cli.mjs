// Runs `agora crdt ...` (the binary in AGORA_BIN) for the conformance tests, asynchronously so
// that batches run side by side.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The agora binary under test; throws a message saying what to do when AGORA_BIN is unusable. */
export function agoraBin() {
  const bin = process.env.AGORA_BIN;
  if (!bin) throw new Error('AGORA_BIN is not set: point it at the agora binary (build/release/src/app/agora)');
  if (!fs.existsSync(bin)) throw new Error(`AGORA_BIN=${bin} does not exist; build it first`);
  return bin;
}

// Variables meant for the tests, not for agora (which warns about AGORA_* names it does not know).
const kTestOnlyVariables = ['AGORA_BIN', 'AGORA_URL', 'AGORA_CHROMIUM', 'AGORA_TRACES_DIR'];

function agoraEnv() {
  const env = { ...process.env };
  for (const name of kTestOnlyVariables) delete env[name];
  return env;
}

/**
 * Runs `agora args...` to completion; resolves to { code, signal, stdout, stderr } (strings).
 * A process that cannot start resolves with code -1 and the reason in stderr.
 */
export function runAgora(args, { timeoutMs = 300_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(agoraBin(), args, { env: agoraEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, signal: null, stdout: '', stderr: `cannot run ${agoraBin()}: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** `stdout` as one parsed JSON value per non-empty line; a line that is not JSON throws. */
export function parseJsonLines(stdout) {
  return stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line));
}

/**
 * Runs `agora crdt <args> FILE...` for `files` in batches of `batchSize`, at most `parallel`
 * processes at a time. Resolves to one entry per file, in order: { ok: true, value } with the
 * JSON line printed for it, or { ok: false, error } when agora failed on it. When a batch fails
 * as a whole (exit code, crash, wrong number of lines), its files are run one by one so each
 * failure is pinned to its file.
 */
export async function runBatched(args, files, { batchSize = 200, parallel = os.availableParallelism() } = {}) {
  const results = new Array(files.length);
  const warned = new Set();
  const batches = [];
  for (let i = 0; i < files.length; i += batchSize) batches.push([i, files.slice(i, i + batchSize)]);
  const describe = (r) => `exit ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}: ${r.stderr.trim().slice(0, 500) || '(no stderr)'}`;
  const runOne = async (index, file) => {
    const r = await runAgora([...args, file]);
    if (r.code !== 0) return { ok: false, error: `agora ${args.join(' ')} ${file}: ${describe(r)}` };
    try {
      const lines = parseJsonLines(r.stdout);
      if (lines.length !== 1) return { ok: false, error: `agora ${args.join(' ')} ${file}: printed ${lines.length} lines, expected 1` };
      return { ok: true, value: lines[0] };
    } catch (e) {
      return { ok: false, error: `agora ${args.join(' ')} ${file}: output is not JSON lines (${e.message}): ${r.stdout.slice(0, 300)}` };
    }
  };
  const runBatch = async ([start, batch]) => {
    const r = await runAgora([...args, ...batch]);
    let lines = null;
    if (r.code === 0) {
      try {
        lines = parseJsonLines(r.stdout);
      } catch {
        lines = null;
      }
    }
    if (lines !== null && lines.length === batch.length) {
      lines.forEach((value, i) => { results[start + i] = { ok: true, value }; });
      return;
    }
    const why = r.code !== 0 ? `exit ${r.code}` : lines === null ? 'output that is not JSON lines' : `${lines.length} lines`;
    const key = args.slice(0, 3).join(' ');
    if (!warned.has(key)) {
      warned.add(key);
      console.log(`# agora ${args.join(' ').slice(0, 80)} FILE... gave ${why} for ${batch.length} files; running its files one by one`);
    }
    for (let i = 0; i < batch.length; i++) results[start + i] = await runOne(start + i, batch[i]);
  };
  await mapLimit(batches, parallel, runBatch);
  return results;
}

/** Calls `fn` on every item with at most `limit` calls in flight; resolves to their results. */
export async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
