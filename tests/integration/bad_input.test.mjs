// Hostile and broken input against the real binary. Each case checks the exact answer (status
// or a closed connection), that the server logged it, and that the server still serves a normal
// request on a new connection afterwards.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  RawConnection, logMessage, rawExchange, request, securityHeaderProblems, sleep, startServer,
} from './harness.mjs';

let server;

before(async () => { server = await startServer(); });
after(async () => { if (server) await server.stopCleanly(); });

async function assertStillServes(target = server) {
  const res = await request(target, { path: '/healthz' });
  assert.equal(res.status, 200, 'a normal request on a new connection still succeeds');
  assert.equal(target.exit, null, 'the server is still running');
}

/** Waits for the log line of a rejected request: by request id if the answer had one, else by status. */
async function assertLogged(target, mark, response, status) {
  const id = response?.headers['x-request-id'];
  if (id) {
    const line = await target.waitForAccessLog(id, { since: mark });
    assert.equal(Number(line.status), status, `logged status for request ${id}`);
    return line;
  }
  return target.waitForLog((r) => Number(r.status) === status, { since: mark, what: `log line with status ${status}` });
}

/**
 * Sends raw bytes on a fresh connection and asserts the answer is `status`, that it was logged,
 * and that the server still serves others. Returns the response.
 */
async function expectStatus(bytes, status, { closes = false } = {}) {
  const mark = server.logMark();
  const { response, closed } = await rawExchange(server.port, bytes);
  assert.ok(response, `expected ${status}, but the server closed without answering`);
  assert.equal(response.status, status, `status for ${JSON.stringify(String(bytes).slice(0, 80))}: ${response.text.slice(0, 200)}`);
  assert.ok(response.body.length > 0, 'an error body says what was wrong');
  assert.deepEqual(securityHeaderProblems(response.headers), [], 'security headers on the error response');
  if (closes) {
    assert.ok(closed || /close/i.test(response.headers.connection ?? ''), 'the server closes the connection after this error');
  }
  await assertLogged(server, mark, response, status);
  await assertStillServes();
  return response;
}

describe('malformed requests', () => {
  it('malformed request line -> 400', async () => {
    await expectStatus('GARBAGE\r\n\r\n', 400, { closes: true });
  });

  it('request line with a bad version -> 400', async () => {
    await expectStatus('GET / HTTP/9.Z\r\nHost: x\r\n\r\n', 400, { closes: true });
  });

  it('bad header syntax -> 400', async () => {
    await expectStatus('GET / HTTP/1.1\r\nHost: x\r\nThis is not a header\r\n\r\n', 400, { closes: true });
  });

  it('header name with a space before the colon -> 400', async () => {
    await expectStatus('GET / HTTP/1.1\r\nHost: x\r\nX-Bad : y\r\n\r\n', 400, { closes: true });
  });

  it('oversized header block (over 16 KiB) -> 431', async () => {
    const big = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`;
    await expectStatus(big, 431, { closes: true });
  });

  it('many small headers adding up to over 16 KiB -> 431', async () => {
    let head = 'GET / HTTP/1.1\r\nHost: x\r\n';
    for (let i = 0; i < 600; i++) head += `X-H${i}: ${'b'.repeat(30)}\r\n`;
    await expectStatus(`${head}\r\n`, 431, { closes: true });
  });

  it('oversized body (Content-Length over the route limit) -> 413', async () => {
    await expectStatus('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n', 413, { closes: true });
  });

  it('invalid chunked encoding -> 400', async () => {
    await expectStatus('GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n', 400,
      { closes: true });
  });

  it('both Content-Length and Transfer-Encoding -> 400', async () => {
    await expectStatus(
      'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400,
      { closes: true });
  });

  it('two different Content-Length headers -> 400', async () => {
    await expectStatus('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 400,
      { closes: true });
  });

  it('HTTP/1.1 without Host -> 400', async () => {
    await expectStatus('GET / HTTP/1.1\r\n\r\n', 400);
  });

  it('HTTP/1.0 without Host is fine', async () => {
    const mark = server.logMark();
    const { response } = await rawExchange(server.port, 'GET / HTTP/1.0\r\n\r\n');
    assert.equal(response?.status, 200);
    assert.match(response.headers['content-type'], /^text\/html/);
    await assertLogged(server, mark, response, 200);
  });

  it('unknown method -> 405 or 501 with a clear body', async () => {
    const mark = server.logMark();
    const { response } = await rawExchange(server.port, 'FOO / HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n');
    assert.ok(response, 'an answer, not a bare close');
    assert.ok([405, 501].includes(response.status), `status ${response.status}`);
    assert.ok(response.text.trim().length > 0, 'the body explains the error');
    await assertLogged(server, mark, response, response.status);
    await assertStillServes();
  });
});

describe('path traversal in static paths', () => {
  const attempts = [
    '/static/../../etc/passwd',
    '/static/../../../../../../etc/passwd',
    '/static/%2e%2e/%2e%2e/etc/passwd',
    '/static/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd',
    '/static/..%2f..%2f..%2f..%2fetc%2fpasswd',
    '/static/%252e%252e/%252e%252e/etc/passwd',
    '/static/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
    '/static/%e0%80%ae%e0%80%ae/etc/passwd',
    '/static/..\\..\\..\\..\\etc\\passwd',
    '/static/..%5c..%5c..%5c..%5cetc%5cpasswd',
    '/static/%00/../../etc/passwd',
    '/static/assets/%00.js',
    '/static//etc/passwd',
    '/static/%2fetc%2fpasswd',
    '/static/./../../etc/passwd',
    '/static/assets/../../../../etc/passwd',
    '/static/%2e%2e/package.json',
    '/static/../package.json',
  ];
  for (const target of attempts) {
    it(`${target} -> 400 or 404, never the file`, async () => {
      const mark = server.logMark();
      const { response } = await rawExchange(server.port, `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
      assert.ok(response, 'an answer, not a bare close');
      assert.ok([400, 404].includes(response.status), `status ${response.status}: ${response.text.slice(0, 200)}`);
      assert.doesNotMatch(response.text, /root:/, 'not /etc/passwd');
      assert.doesNotMatch(response.text, /"devDependencies"|agora-web/, 'not web/package.json');
      await assertLogged(server, mark, response, response.status);
      await assertStillServes();
    });
  }
});

describe('invalid UTF-8', () => {
  for (const target of ['/%ff', '/static/%ff%fe.css', '/%c0%af', '/%ed%a0%80', '/a?q=%ff']) {
    const wantQuery = target.includes('?');
    it(`${target} -> ${wantQuery ? '400 or 404' : '400'}`, async () => {
      const mark = server.logMark();
      const { response } = await rawExchange(server.port, `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
      assert.ok(response);
      if (wantQuery) {
        assert.ok([400, 404].includes(response.status), `status ${response.status}`);
      } else {
        assert.equal(response.status, 400, `status for ${target}`);
      }
      await assertLogged(server, mark, response, response.status);
      await assertStillServes();
    });
  }

  it('raw non-UTF-8 bytes in the request target -> 400', async () => {
    await expectStatus(Buffer.from('GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1'), 400);
  });
});

describe('slow clients', () => {
  let slow;
  before(async () => { slow = await startServer({ args: ['--read-timeout', '2', '--idle-timeout', '3'] }); });
  after(async () => { if (slow) await slow.stopCleanly(); });

  it('slowloris: a request head sent one byte a second is cut off after the read timeout; others are served', async () => {
    const mark = slow.logMark();
    const conn = await RawConnection.open(slow.port);
    const started = Date.now();
    const bytes = 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(100);
    let sent = 0;
    let servedMeanwhile = 0;
    try {
      while (!conn.closed && Date.now() - started < 10_000) {
        await conn.send(bytes[sent % bytes.length]);
        sent++;
        // Other clients are served normally while the slow one dribbles.
        const res = await request(slow, { path: '/healthz', timeoutMs: 2000 });
        assert.equal(res.status, 200);
        servedMeanwhile++;
        await Promise.race([conn.waitClose(1000), sleep(1000)]);
      }
      const elapsed = Date.now() - started;
      assert.ok(conn.closed, `the server closed the slow connection (still open after ${elapsed} ms, ${sent} bytes)`);
      assert.ok(elapsed < 2000 + 3000, `closed within read-timeout + 3 s (took ${elapsed} ms)`);
      assert.ok(elapsed >= 1500, `not closed before the read timeout (took ${elapsed} ms)`);
      assert.ok(servedMeanwhile >= 1);
      // If the server answered before closing, it must be 408.
      const answer = conn.buffer.length ? conn.buffer.toString('latin1') : '';
      if (answer) assert.match(answer, /^HTTP\/1\.1 408 /, 'only a 408 may precede the close');
      // Logged: either an access-log line with 408, or a line about the timeout.
      await slow.waitForLog((r) => Number(r.status) === 408 || /time(d)?[ _-]?out|slow/i.test(logMessage(r)),
        { since: mark, what: 'log line about the timed-out slow client' });
    } finally {
      conn.destroy();
    }
    await assertStillServes(slow);
  });

  it('a slowly dribbled body is cut off after the read timeout', async () => {
    const conn = await RawConnection.open(slow.port);
    const started = Date.now();
    try {
      await conn.send('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n');
      for (let i = 0; i < 10 && !conn.closed; i++) {
        await conn.send('x');
        await Promise.race([conn.waitClose(1000), sleep(1000)]);
      }
      assert.ok(conn.closed, 'closed');
      assert.ok(Date.now() - started < 5000, `closed within read-timeout + 3 s (took ${Date.now() - started} ms)`);
    } finally {
      conn.destroy();
    }
    await assertStillServes(slow);
  });

  it('a connection that sends nothing is closed', async () => {
    const conn = await RawConnection.open(slow.port);
    try {
      // Nothing sent: whether the read timeout (2 s) or the idle timeout (3 s) applies, an empty
      // connection must not hold a slot for long.
      assert.ok(await conn.waitClose(6000), 'closed within idle-timeout + 3 s');
    } finally {
      conn.destroy();
    }
    await assertStillServes(slow);
  });
});

describe('idle keep-alive', () => {
  let idle;
  before(async () => { idle = await startServer({ args: ['--idle-timeout', '2'] }); });
  after(async () => { if (idle) await idle.stopCleanly(); });

  it('an idle keep-alive connection is closed after the idle timeout', async () => {
    const conn = await RawConnection.open(idle.port);
    try {
      await conn.send('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal((await conn.readResponse()).status, 200);
      const started = Date.now();
      assert.ok(await conn.waitClose(6000), 'closed');
      assert.ok(Date.now() - started >= 1500, 'kept open for about the idle timeout');
    } finally {
      conn.destroy();
    }
  });
});

describe('connection limit', () => {
  let limited;
  before(async () => { limited = await startServer({ args: ['--max-connections', '5'] }); });
  after(async () => { if (limited) await limited.stopCleanly(); });

  it('the 6th connection is refused or closed while the first 5 still work', async () => {
    // Let the health-check connections of start-up close on the server's side first.
    await sleep(300);
    const conns = [];
    try {
      for (let i = 0; i < 5; i++) {
        const c = await RawConnection.open(limited.port);
        conns.push(c);
        await c.send('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
        assert.equal((await c.readResponse()).status, 200, `connection ${i + 1} is served`);
      }
      const mark = limited.logMark();
      let sixthOutcome;
      let sixth = null;
      try {
        sixth = await RawConnection.open(limited.port, { timeoutMs: 3000 });
      } catch (err) {
        sixthOutcome = `refused: ${err.code ?? err.message}`;
      }
      if (sixth) {
        try {
          await sixth.send('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
          const res = await sixth.readResponse({ timeoutMs: 3000 }).catch((e) => e);
          if (res === null) {
            sixthOutcome = 'closed';
          } else if (res instanceof Error) {
            sixthOutcome = `left waiting: ${res.message}`;
          } else {
            assert.equal(res.status, 503, 'an answer to the 6th can only be 503');
            assert.deepEqual(securityHeaderProblems(res.headers), [], 'security headers and X-Request-Id on the 503');
            assert.ok(await sixth.waitClose(3000), 'the 6th is closed after the 503');
            sixthOutcome = 'closed after 503';
          }
        } finally {
          sixth.destroy();
        }
      }
      assert.ok(/^(closed|refused)/.test(sixthOutcome), `the 6th connection was ${sixthOutcome}`);
      await limited.waitForLog((r) => /connection|limit|capacity/i.test(logMessage(r)) || Number(r.status) === 503,
        { since: mark, what: 'log line about the refused connection' });

      for (let i = 0; i < 5; i++) {
        await conns[i].send('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
        assert.equal((await conns[i].readResponse()).status, 200, `connection ${i + 1} still works`);
      }
      // Freeing one slot lets a new client in.
      conns.pop().destroy();
      await sleep(300);
      await assertStillServes(limited);
    } finally {
      for (const c of conns) c.destroy();
    }
  });
});
