// Starts the real `agora` binary for black-box tests and talks to it as clients do: through
// node:http(s) and through raw sockets for bytes no well-behaved client would send.
//
// The binary comes from AGORA_BIN. Each server gets a free loopback port and a fresh temporary
// data folder; its stderr (JSON lines) is collected so tests can assert that something was logged.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The agora binary under test; fails loudly when AGORA_BIN is missing. */
export function agoraBin() {
  const bin = process.env.AGORA_BIN;
  if (!bin) throw new Error('AGORA_BIN is not set: point it at the agora binary (build/release/src/app/agora)');
  if (!fs.existsSync(bin)) throw new Error(`AGORA_BIN=${bin} does not exist; build it first`);
  return bin;
}

/** The built web assets the server serves under /static (web/dist unless AGORA_WEB_DIR says otherwise). */
export function webDistDir() {
  return process.env.AGORA_WEB_DIR || path.join(repoRoot, 'web', 'dist');
}

/** A new empty temporary folder, removed by removeDir or at the end of the test run. */
export function makeTempDir(prefix = 'agora-test-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A loopback TCP port that was free a moment ago (the OS picks it). */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Variables meant for the tests, not the server (which warns about AGORA_* names it does not know).
const kTestOnlyVariables = ['AGORA_BIN', 'AGORA_URL', 'AGORA_CHROMIUM', 'AGORA_TEST_DATA_DIR'];

/** The environment for an agora process: ours without the test-only variables, plus `extra`. */
export function agoraEnv(extra = {}) {
  const env = { ...process.env };
  for (const name of kTestOnlyVariables) delete env[name];
  return { ...env, ...extra };
}

/** Runs `agora args...` to completion; returns { code, signal, stdout, stderr }. */
export function runAgora(args, { env = {}, timeoutMs = 60_000, cwd } = {}) {
  const result = spawnSync(agoraBin(), args, {
    env: agoraEnv(env),
    encoding: 'utf8',
    timeout: timeoutMs,
    cwd,
  });
  if (result.error) throw result.error;
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

function parseLogLine(line) {
  try {
    const value = JSON.parse(line);
    return value && typeof value === 'object' ? value : { raw: line };
  } catch {
    return { raw: line };
  }
}

/** The human message of a log record, whichever field name the logger uses. */
export function logMessage(record) {
  return String(record.msg ?? record.message ?? record.event ?? record.raw ?? '');
}

/** A running `agora serve`. Create with startServer(). */
export class AgoraServer {
  constructor({ child, port, host, dataDir, ownsDataDir, tls, args }) {
    this.child = child;
    this.port = port;
    this.host = host;
    this.dataDir = dataDir;
    this.ownsDataDir = ownsDataDir;
    this.tls = tls;
    this.args = args;
    this.stderrText = '';
    this.stdoutText = '';
    /** Every stderr line, parsed as JSON when it is JSON ({ raw } otherwise), in order. */
    this.logs = [];
    this.exit = null;  // { code, signal } once the process has ended
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    let pending = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      this.stderrText += chunk;
      pending += chunk;
      let newline;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (line) this.logs.push(parseLogLine(line));
      }
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => { this.stdoutText += chunk; });
  }

  get origin() { return `${this.tls ? 'https' : 'http'}://${this.host}:${this.port}`; }

  /** The last `n` characters of stderr, for failure messages. */
  stderrTail(n = 4000) { return this.stderrText.slice(-n); }

  /** A mark to pass to waitForLog so only lines logged after it count. */
  logMark() { return this.logs.length; }

  /** Waits until a log record after `since` satisfies `predicate`; returns it or throws with stderr. */
  async waitForLog(predicate, { since = 0, timeoutMs = 3000, what = 'a matching log line' } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs.slice(since).find(predicate);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(`no ${what} within ${timeoutMs} ms; stderr since the mark:\n` +
          this.logs.slice(since).map((r) => JSON.stringify(r)).join('\n').slice(-4000));
      }
      await sleep(25);
    }
  }

  /** Waits for the access-log record of the response that carried `requestId` (X-Request-Id). */
  async waitForAccessLog(requestId, options = {}) {
    return this.waitForLog((r) => r.request_id === requestId,
      { what: `access log line with request_id ${requestId}`, ...options });
  }

  /** Sends `signal` and waits for exit; returns { code, signal }. Kills with SIGKILL after timeoutMs. */
  async stop({ signal = 'SIGTERM', timeoutMs = 15_000 } = {}) {
    if (!this.exit) {
      this.child.kill(signal);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.ownsDataDir) removeDir(this.dataDir);
    return this.exit;
  }

  /** Stops with SIGTERM and throws (showing stderr) unless the process exited with code 0. */
  async stopCleanly(options = {}) {
    const exit = await this.stop(options);
    if (exit.code !== 0) {
      throw new Error(`agora exited with ${JSON.stringify(exit)} after ${options.signal ?? 'SIGTERM'}, want code 0; ` +
        `stderr:\n${this.stderrTail()}`);
    }
    return exit;
  }
}

/**
 * Starts `agora serve` on a free loopback port with a fresh data folder (or `dataDir`), waits for
 * GET /healthz to answer 200 and returns an AgoraServer. Throws with the server's stderr when it
 * exits early or does not become healthy within `timeoutMs`.
 *   args: extra serve flags; env: extra environment; tls: { cert, key } to serve HTTPS;
 *   listenHost: the address to bind (default 127.0.0.1); demo: run `agora demo load` first.
 */
export async function startServer({ args = [], env = {}, dataDir, tls, listenHost = '127.0.0.1',
  demo = false, timeoutMs = 20_000 } = {}) {
  const ownsDataDir = !dataDir;
  const dir = dataDir ?? makeTempDir();
  if (demo) {
    const loaded = runAgora(['demo', 'load', '--data', dir], { env });
    if (loaded.code !== 0) throw new Error(`agora demo load failed (exit ${loaded.code}):\n${loaded.stderr}`);
  }
  const port = await freePort();
  const fullArgs = ['serve', '--data', dir, '--listen', `${listenHost}:${port}`];
  if (tls) fullArgs.push('--tls-cert', tls.cert, '--tls-key', tls.key);
  fullArgs.push(...args);
  const child = spawn(agoraBin(), fullArgs, {
    env: agoraEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const server = new AgoraServer({ child, port, host: '127.0.0.1', dataDir: dir, ownsDataDir, tls: !!tls,
    args: fullArgs });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.exit) {
      if (ownsDataDir) removeDir(dir);
      throw new Error(`agora ${fullArgs.join(' ')} exited early (${JSON.stringify(server.exit)}); stderr:\n` +
        server.stderrTail());
    }
    try {
      const res = await request(server, { path: '/healthz', timeoutMs: 1000 });
      if (res.status === 200) return server;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await server.stop({ signal: 'SIGKILL' });
      throw new Error(`agora did not answer GET /healthz with 200 within ${timeoutMs} ms; stderr:\n` +
        server.stderrTail());
    }
    await sleep(100);
  }
}

/**
 * One request through node:http(s) on a new connection (no agent, so no reuse).
 * Returns { status, headers, body (Buffer), text }.
 */
export function request(server, { method = 'GET', path: requestPath = '/', headers = {}, body,
  timeoutMs = 10_000, host } = {}) {
  const client = server.tls ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request({
      host: host ?? server.host,
      port: server.port,
      method,
      path: requestPath,
      headers,
      agent: false,
      rejectUnauthorized: false,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const data = Buffer.concat(chunks);
        resolve({ status: res.statusCode, headers: res.headers, body: data, text: data.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${requestPath} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * A raw TCP connection for sending arbitrary bytes and reading HTTP/1.1 responses or a close.
 * Every read has a timeout so a hung server fails the test instead of hanging it.
 */
export class RawConnection {
  static async open(port, { host = '127.0.0.1', timeoutMs = 5000 } = {}) {
    const socket = net.connect({ port, host });
    socket.setNoDelay(true);
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('connect', () => { clearTimeout(timer); resolve(); });
      socket.once('error', (err) => { clearTimeout(timer); reject(err); });
    });
    return new RawConnection(socket);
  }

  constructor(socket) {
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    this.closed = false;
    this.error = null;
    this.waiters = [];
    socket.on('data', (chunk) => { this.buffer = Buffer.concat([this.buffer, chunk]); this.#wake(); });
    socket.on('end', () => { this.closed = true; this.#wake(); });
    socket.on('close', () => { this.closed = true; this.#wake(); });
    // A reset after the server answered and closed is normal for rejected input; record it.
    socket.on('error', (err) => { this.error = err; this.closed = true; this.#wake(); });
  }

  #wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  #changed(timeoutMs) {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => { clearTimeout(timer); resolve(); });
    });
  }

  /** Writes bytes (string as latin1 so every byte value can be sent); ignores errors after close. */
  async send(bytes) {
    const data = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    if (this.closed) return false;
    return new Promise((resolve) => {
      this.socket.write(data, (err) => resolve(!err));
    });
  }

  /**
   * Reads one response. Returns { status, statusLine, headers (lower-case names), body (Buffer),
   * text } or null when the server closed before sending a whole response head. Set `head` for a
   * response to HEAD (no body whatever Content-Length says).
   */
  async readResponse({ timeoutMs = 5000, head = false } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = parseResponse(this.buffer, { head, closed: this.closed });
      if (parsed) {
        this.buffer = this.buffer.subarray(parsed.consumed);
        return parsed.response;
      }
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no complete response within ${timeoutMs} ms; received so far: ` +
          JSON.stringify(this.buffer.toString('latin1').slice(0, 500)));
      }
      await this.#changed(left);
    }
  }

  /** Resolves true once the server has closed the connection, false after timeoutMs. */
  async waitClose(timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await this.#changed(left);
    }
    return true;
  }

  destroy() { this.socket.destroy(); }
}

/** Parses one HTTP/1.x response from the front of `buf`; null if incomplete. */
export function parseResponse(buf, { head = false, closed = false } = {}) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const statusLine = lines[0];
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!match) throw new Error(`not an HTTP response: ${JSON.stringify(statusLine)}`);
  const status = Number(match[1]);
  const headers = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  let offset = end + 4;
  let body;
  const noBody = head || status === 204 || status === 304 || (status >= 100 && status < 200);
  if (noBody) {
    body = Buffer.alloc(0);
  } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts = [];
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', offset);
      if (lineEnd < 0) return null;
      const size = parseInt(buf.subarray(offset, lineEnd).toString('latin1'), 16);
      if (Number.isNaN(size)) throw new Error('bad chunk size in response');
      offset = lineEnd + 2;
      if (size === 0) {
        const trailerEnd = buf.indexOf('\r\n\r\n', offset - 2);
        if (trailerEnd < 0) return null;
        offset = trailerEnd + 4;
        break;
      }
      if (buf.length < offset + size + 2) return null;
      parts.push(buf.subarray(offset, offset + size));
      offset += size + 2;
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (buf.length < offset + length) return null;
    body = buf.subarray(offset, offset + length);
    offset += length;
  } else {
    // Body delimited by close.
    if (!closed) return null;
    body = buf.subarray(offset);
    offset = buf.length;
  }
  return {
    consumed: offset,
    response: { status, statusLine, headers, body: Buffer.from(body), text: body.toString('utf8') },
  };
}

/**
 * Opens a connection, sends `bytes`, reads one response (or detects close) and closes.
 * Returns { response (or null), closed, error, elapsedMs }.
 */
export async function rawExchange(port, bytes, { timeoutMs = 5000, head = false, host } = {}) {
  const started = Date.now();
  const conn = await RawConnection.open(port, { host });
  try {
    await conn.send(bytes);
    const response = await conn.readResponse({ timeoutMs, head });
    return { response, closed: conn.closed, error: conn.error, elapsedMs: Date.now() - started };
  } finally {
    conn.destroy();
  }
}

/** Security headers every response must carry; returns a list of problems (empty when fine). */
export function securityHeaderProblems(headers) {
  const problems = [];
  const csp = headers['content-security-policy'];
  if (!csp) {
    problems.push('missing Content-Security-Policy');
  } else {
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim()).filter(Boolean)
      .map((d) => { const [name, ...values] = d.split(/\s+/); return [name.toLowerCase(), values]; }));
    const scriptSrc = directives['script-src'] ?? directives['default-src'];
    if (!scriptSrc) problems.push(`CSP has neither script-src nor default-src: ${csp}`);
    else if (scriptSrc.includes("'unsafe-inline'")) problems.push(`CSP script-src allows 'unsafe-inline': ${csp}`);
    if (!(directives['frame-ancestors'] ?? []).includes("'none'")) problems.push(`CSP lacks frame-ancestors 'none': ${csp}`);
  }
  if ((headers['x-content-type-options'] ?? '').toLowerCase() !== 'nosniff') {
    problems.push(`X-Content-Type-Options is ${JSON.stringify(headers['x-content-type-options'])}, want nosniff`);
  }
  if (!headers['referrer-policy']) problems.push('missing Referrer-Policy');
  if (!headers['x-request-id']) problems.push('missing X-Request-Id');
  return problems;
}
