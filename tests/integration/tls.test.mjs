// TLS with a throwaway self-signed certificate: HTTPS works, HSTS is sent, and plain HTTP to the
// TLS port fails cleanly without hurting the server.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';

import {
  RawConnection, makeTempDir, removeDir, request, securityHeaderProblems, startServer,
} from './harness.mjs';

let certDir;
let server;

before(async () => {
  certDir = makeTempDir('agora-tls-');
  const cert = path.join(certDir, 'cert.pem');
  const key = path.join(certDir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'pipe' });
  server = await startServer({ tls: { cert, key } });
});

after(async () => {
  if (server) await server.stopCleanly();
  if (certDir) removeDir(certDir);
});

describe('TLS', () => {
  it('serves the home page over HTTPS with HSTS and the security headers', async () => {
    const res = await request(server, { path: '/' });
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /^text\/html/);
    assert.match(res.headers['strict-transport-security'] ?? '', /max-age=\d+/, 'Strict-Transport-Security');
    assert.deepEqual(securityHeaderProblems(res.headers), []);
  });

  it('sends HSTS on error responses too', async () => {
    const res = await request(server, { path: '/no-such-page' });
    assert.equal(res.status, 404);
    assert.match(res.headers['strict-transport-security'] ?? '', /max-age=\d+/);
  });

  it('negotiates TLS 1.2 or later', async () => {
    const protocol = await new Promise((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false, servername: 'localhost' },
        () => { const p = socket.getProtocol(); socket.end(); resolve(p); });
      socket.on('error', reject);
    });
    assert.match(protocol, /^TLSv1\.[23]$/);
  });

  it('refuses TLS 1.0 and 1.1', async () => {
    const outcome = await new Promise((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false,
        minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' },
      () => { socket.end(); resolve('connected'); });
      socket.on('error', (e) => resolve(`error: ${e.code ?? e.message}`));
    });
    assert.match(outcome, /^error/, outcome);
  });

  it('plain HTTP to the TLS port fails cleanly and the server stays up', async () => {
    for (let i = 0; i < 3; i++) {
      const conn = await RawConnection.open(server.port);
      try {
        await conn.send('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
        // The server may answer with a TLS alert or a plain 400, then must close; it must not hang.
        assert.ok(await conn.waitClose(5000), 'the connection is closed within 5 s');
        assert.doesNotMatch(conn.buffer.toString('latin1'), /HTTP\/1\.1 200/, 'no page served over plain HTTP');
      } finally {
        conn.destroy();
      }
    }
    assert.equal(server.exit, null, 'still running');
    assert.equal((await request(server, { path: '/healthz' })).status, 200);
  });

  it('a client stuck before its handshake does not block other clients', async () => {
    const conn = await RawConnection.open(server.port);
    try {
      await conn.send('\x16\x03\x01');  // the start of a ClientHello, then nothing
      assert.equal((await request(server, { path: '/healthz' })).status, 200);
    } finally {
      conn.destroy();
    }
  });
});
