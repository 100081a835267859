// Graceful shutdown of the real binary: on SIGTERM or SIGINT it stops accepting, lets go of
// idle keep-alive connections, finishes requests in flight up to the grace deadline, exits 0 and
// says so in the log.

import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';

import { RawConnection, logMessage, request, sleep, startServer } from './harness.mjs';

/** Resolves 'refused' when nothing accepts on the port, 'closed' when accepted then dropped, 'open' otherwise. */
function probeListener(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => { socket.destroy(); resolve('open'); }, 500);
    socket.once('error', (err) => {
      clearTimeout(timer);
      resolve(err.code === 'ECONNREFUSED' ? 'refused' : 'closed');
    });
    socket.once('connect', () => {
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      socket.once('data', () => { clearTimeout(timer); socket.destroy(); resolve('open'); });
      socket.once('close', () => { clearTimeout(timer); resolve('closed'); });
    });
  });
}

for (const signal of ['SIGTERM', 'SIGINT']) {
  describe(`${signal}`, () => {
    it('stops accepting, closes idle keep-alive connections at once and exits 0', async () => {
      const grace = 3;
      const server = await startServer({ args: ['--shutdown-grace', String(grace)] });
      const conns = [];
      try {
        for (let i = 0; i < 3; i++) {
          const c = await RawConnection.open(server.port);
          conns.push(c);
          await c.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
          assert.equal((await c.readResponse()).status, 200);
        }
        const mark = server.logMark();
        const started = Date.now();
        server.child.kill(signal);

        // The listener goes away promptly, before or as the process exits.
        let state = await probeListener(server.port);
        for (let i = 0; i < 20 && state === 'open' && !server.exit; i++) {
          await sleep(100);
          state = await probeListener(server.port);
        }
        assert.notEqual(state, 'open', 'a new connection is not served after the signal');

        const exit = await Promise.race([server.exited, sleep((grace + 3) * 1000).then(() => null)]);
        assert.ok(exit, `exited within the grace period + 3 s; stderr:\n${server.stderrTail()}`);
        assert.deepEqual(exit, { code: 0, signal: null }, `exit status; stderr:\n${server.stderrTail()}`);
        const took = Date.now() - started;
        // Idle connections have nothing in flight: nothing to wait the grace period for.
        assert.ok(took < 1500, `exit took ${took} ms with only idle connections open (grace ${grace} s)`);

        for (const [i, c] of conns.entries()) assert.ok(await c.waitClose(1000), `connection ${i + 1} closed by the server`);
        const said = server.logs.slice(mark).map(logMessage).join('\n');
        assert.match(said, /stop|shut ?down/i, `the log says it stopped:\n${said}`);
      } finally {
        for (const c of conns) c.destroy();
        await server.stop({ signal: 'SIGKILL' });
      }
    });
  });
}

describe('requests in flight at SIGTERM', () => {
  it('a request whose head is still arriving is finished, answered with Connection: close', async () => {
    const server = await startServer({ args: ['--shutdown-grace', '5'] });
    const conn = await RawConnection.open(server.port);
    try {
      await conn.send('GET / HTTP/1.1\r\nHost: x\r\n');
      await sleep(50);
      const started = Date.now();
      server.child.kill('SIGTERM');
      await sleep(200);
      assert.equal(server.exit, null, 'still running while a request is in flight');
      await conn.send('\r\n');
      const res = await conn.readResponse();
      assert.equal(res.status, 200);
      assert.match(res.text, /<\/html>\s*$/i, 'the whole page');
      assert.match(res.headers.connection ?? '', /close/i, 'tells the client not to reuse the connection');
      assert.ok(await conn.waitClose(1000), 'then closes it');
      const exit = await Promise.race([server.exited, sleep(3000).then(() => null)]);
      assert.deepEqual(exit, { code: 0, signal: null }, server.stderrTail());
      assert.ok(Date.now() - started < 3000, 'exits once that request is done, not at the deadline');
    } finally {
      conn.destroy();
      await server.stop({ signal: 'SIGKILL' });
    }
  });

  it('a client that never finishes its request is cut off at the grace deadline; exit 0', async () => {
    const grace = 2;
    const server = await startServer({ args: ['--shutdown-grace', String(grace)] });
    const conn = await RawConnection.open(server.port);
    try {
      await conn.send('GET / HTTP/1.1\r\nHost: x\r\n');
      await sleep(50);
      const mark = server.logMark();
      const started = Date.now();
      server.child.kill('SIGTERM');
      const exit = await Promise.race([server.exited, sleep((grace + 3) * 1000).then(() => null)]);
      const took = Date.now() - started;
      assert.deepEqual(exit, { code: 0, signal: null }, `exited 0 within grace + 3 s; stderr:\n${server.stderrTail()}`);
      assert.ok(took >= grace * 1000 - 500, `waited for the grace period (${took} ms)`);
      assert.ok(await conn.waitClose(1000), 'the connection was closed');
      await server.waitForLog((r) => /deadline|grace|still open/i.test(logMessage(r) + JSON.stringify(r)),
        { since: mark, what: 'log line about closing connections at the deadline' });
    } finally {
      conn.destroy();
      await server.stop({ signal: 'SIGKILL' });
    }
  });
});

describe('load during shutdown', () => {
  it('a request already received is answered before exit', async () => {
    const server = await startServer({ args: ['--shutdown-grace', '5'] });
    try {
      // Fire several requests and the signal together; every request that got an answer must have
      // got a whole one (no truncated bodies), and the process must still exit 0.
      const inflight = Array.from({ length: 20 }, () => request(server, { path: '/', timeoutMs: 8000 })
        .then((r) => r, (e) => e));
      await sleep(5);
      server.child.kill('SIGTERM');
      const results = await Promise.all(inflight);
      for (const r of results) {
        if (r instanceof Error) {
          assert.match(String(r.code ?? r.message), /ECONNREFUSED|ECONNRESET|EPIPE|socket hang up/, `clean refusal: ${r.message}`);
        } else {
          assert.equal(r.status, 200);
          assert.match(r.text, /<\/html>\s*$/i, 'a complete page, not a truncated one');
        }
      }
      assert.deepEqual(await server.exited, { code: 0, signal: null }, server.stderrTail());
    } finally {
      await server.stop({ signal: 'SIGKILL' });
    }
  });

  it('a keep-alive connection that keeps sending requests does not hold the process past the grace period', async () => {
    const grace = 2;
    const server = await startServer({ args: ['--shutdown-grace', String(grace)] });
    const conn = await RawConnection.open(server.port);
    try {
      server.child.kill('SIGTERM');
      const started = Date.now();
      while (!server.exit && Date.now() - started < (grace + 4) * 1000) {
        if (!(await conn.send('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'))) break;
        const res = await conn.readResponse({ timeoutMs: 1000 }).catch(() => null);
        if (!res) break;
        // Once shutting down, a response should tell the client not to reuse the connection.
        await sleep(100);
      }
      const exit = await Promise.race([server.exited, sleep((grace + 4) * 1000).then(() => null)]);
      assert.deepEqual(exit, { code: 0, signal: null }, `exited 0 within grace + 4 s; stderr:\n${server.stderrTail()}`);
    } finally {
      conn.destroy();
      await server.stop({ signal: 'SIGKILL' });
    }
  });
});
