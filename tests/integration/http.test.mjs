// The HTTP surface of the real binary as well-behaved clients see it: pages, headers, keep-alive,
// errors by Accept, method checks, health, metrics and static files.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';

import {
  RawConnection, request, securityHeaderProblems, startServer, webDistDir,
} from './harness.mjs';

let server;

before(async () => { server = await startServer(); });
after(async () => { if (server) await server.stopCleanly(); });

function assertSecurityHeaders(res, what) {
  assert.deepEqual(securityHeaderProblems(res.headers), [], `security headers on ${what}`);
}

/** Parses Prometheus text into [{ name, labels, value }]. */
function parseMetrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return samples;
}

function metricTypes(text) {
  const types = {};
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types[m[1]] = m[2];
  return types;
}

/** The request counter sample for route "/" and status 200, whatever the metric is called. */
function homeCounter(samples, types) {
  return samples.find((s) => (types[s.name] === 'counter' || s.name.endsWith('_total')) &&
    s.labels.route === '/' && String(s.labels.status ?? s.labels.code) === '200' &&
    (s.labels.method === undefined || s.labels.method === 'GET'));
}

/** A stylesheet or script the home page links to under /static/, e.g. /static/assets/app-1a2b3c.css. */
async function linkedAssets() {
  const home = await request(server, { path: '/' });
  const urls = [...home.text.matchAll(/(?:href|src)="(\/static\/[^"?#]+)"/g)].map((m) => m[1]);
  assert.ok(urls.length > 0, 'the home page links at least one asset under /static/');
  return [...new Set(urls)];
}

function distFileFor(url) {
  return path.join(webDistDir(), decodeURIComponent(url.slice('/static/'.length)));
}

describe('home page', () => {
  it('answers 200 HTML with security headers and a request id', async () => {
    const res = await request(server, { path: '/', headers: { accept: 'text/html' } });
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /^text\/html/);
    assert.match(res.text, /<html[\s>]/i);
    assert.match(res.text, /Workspace/);
    assert.match(res.text, /Portal/);
    assert.match(res.text, /Engage/);
    assertSecurityHeaders(res, 'GET /');
    assert.equal(res.headers['strict-transport-security'], undefined, 'no HSTS over plain HTTP');
  });

  it('gives every response its own X-Request-Id and logs it', async () => {
    const a = await request(server, { path: '/' });
    const b = await request(server, { path: '/' });
    assert.ok(a.headers['x-request-id']);
    assert.notEqual(a.headers['x-request-id'], b.headers['x-request-id']);
    const line = await server.waitForAccessLog(a.headers['x-request-id']);
    assert.equal(line.method, 'GET');
    assert.equal(line.path, '/');
    assert.equal(Number(line.status), 200);
  });

  it('keeps the connection alive for a second request', async () => {
    const conn = await RawConnection.open(server.port);
    try {
      await conn.send('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      const first = await conn.readResponse();
      assert.equal(first.status, 200);
      await conn.send('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
      const second = await conn.readResponse();
      assert.equal(second.status, 200, 'second request on the same socket');
      assert.equal(conn.closed, false);
      await conn.send('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      const third = await conn.readResponse();
      assert.equal(third.status, 200);
      assert.ok(await conn.waitClose(3000), 'server closes after Connection: close');
    } finally {
      conn.destroy();
    }
  });

  it('pipelined requests are answered in order', async () => {
    const conn = await RawConnection.open(server.port);
    try {
      await conn.send('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /no-such-page HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal((await conn.readResponse()).status, 200);
      assert.equal((await conn.readResponse()).status, 404);
    } finally {
      conn.destroy();
    }
  });

  it('answers HEAD like GET without a body', async () => {
    const get = await request(server, { path: '/' });
    const conn = await RawConnection.open(server.port);
    try {
      await conn.send('HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      const head = await conn.readResponse({ head: true });
      assert.equal(head.status, 200);
      assert.match(head.headers['content-type'], /^text\/html/);
      if (head.headers['content-length'] !== undefined) {
        assert.equal(Number(head.headers['content-length']), get.body.length);
      }
      assertSecurityHeaders(head, 'HEAD /');
      // No body bytes may follow: the next response must start right away.
      await conn.send('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
      assert.equal((await conn.readResponse()).status, 200, 'HEAD response carried no stray body');
    } finally {
      conn.destroy();
    }
  });
});

describe('errors', () => {
  it('404 as HTML for browsers', async () => {
    const res = await request(server, { path: '/no-such-page', headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    assert.equal(res.status, 404);
    assert.match(res.headers['content-type'], /^text\/html/);
    assert.match(res.text, /<html[\s>]/i);
    assertSecurityHeaders(res, '404 HTML');
  });

  it('404 as JSON for API clients', async () => {
    const res = await request(server, { path: '/no-such-page', headers: { accept: 'application/json' } });
    assert.equal(res.status, 404);
    assert.match(res.headers['content-type'], /^application\/json/);
    const body = JSON.parse(res.text);
    assert.equal(typeof body, 'object');
    assertSecurityHeaders(res, '404 JSON');
  });

  it('does not reflect the requested path unescaped', async () => {
    const res = await request(server, { path: '/%3Cscript%3Ealert(1)%3C/script%3E', headers: { accept: 'text/html' } });
    assert.equal(res.status, 404);
    assert.doesNotMatch(res.text, /<script>alert\(1\)/);
  });

  it('405 with Allow for a wrong method on a known path', async () => {
    const res = await request(server, { method: 'DELETE', path: '/', headers: { accept: 'application/json' } });
    assert.equal(res.status, 405);
    const allow = (res.headers.allow ?? '').split(',').map((m) => m.trim());
    assert.ok(allow.includes('GET'), `Allow lists GET: ${res.headers.allow}`);
    assert.ok(!allow.includes('DELETE'), `Allow does not list DELETE: ${res.headers.allow}`);
    assertSecurityHeaders(res, '405');
    const post = await request(server, { method: 'POST', path: '/healthz', body: '' });
    assert.equal(post.status, 405);
    assert.ok((post.headers.allow ?? '').includes('GET'));
  });
});

describe('health and metrics', () => {
  it('/healthz answers 200 JSON while the database answers', async () => {
    const res = await request(server, { path: '/healthz' });
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /^application\/json/);
    JSON.parse(res.text);
    assertSecurityHeaders(res, '/healthz');
  });

  it('/metrics has request counters by route and status, a latency histogram and open connections', async () => {
    await request(server, { path: '/' });
    const before = await request(server, { path: '/metrics' });
    assert.equal(before.status, 200);
    assert.match(before.headers['content-type'], /^text\/plain/);
    const types = metricTypes(before.text);
    const samples = parseMetrics(before.text);

    const counter = homeCounter(samples, types);
    assert.ok(counter, `a counter with route="/" and status="200" in:\n${before.text.slice(0, 3000)}`);
    const histogram = Object.entries(types).find(([, t]) => t === 'histogram');
    assert.ok(histogram, 'a histogram metric');
    assert.ok(samples.some((s) => s.name === `${histogram[0]}_bucket` && s.labels.le === '+Inf'),
      'the histogram has a +Inf bucket');
    const gauge = Object.entries(types).find(([name, t]) => t === 'gauge' && /connection/.test(name));
    assert.ok(gauge, 'a gauge of open connections');
    const open = samples.find((s) => s.name === gauge[0]);
    assert.ok(open && open.value >= 1, `open connections counts this one: ${JSON.stringify(open)}`);

    await request(server, { path: '/' });
    await request(server, { path: '/' });
    const afterText = (await request(server, { path: '/metrics' })).text;
    const later = homeCounter(parseMetrics(afterText), metricTypes(afterText));
    assert.ok(later.value >= counter.value + 2, `counter went from ${counter.value} to ${later.value}`);
  });

  it('/metrics counts 404s under their status', async () => {
    await request(server, { path: '/no-such-page-for-metrics' });
    const text = (await request(server, { path: '/metrics' })).text;
    assert.ok(parseMetrics(text).some((s) => String(s.labels.status ?? s.labels.code) === '404'),
      'some sample with status="404"');
  });
});

describe('/metrics off loopback', () => {
  const address = Object.values(os.networkInterfaces()).flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

  it('is refused to a non-loopback peer', { skip: address ? false : 'no non-loopback IPv4 address' }, async () => {
    const wide = await startServer({ listenHost: '0.0.0.0' });
    try {
      const res = await request(wide, { path: '/metrics', host: address });
      assert.ok([403, 404].includes(res.status), `GET /metrics from ${address} gave ${res.status}`);
      assert.doesNotMatch(res.text, /# TYPE/);
      const home = await request(wide, { path: '/', host: address });
      assert.equal(home.status, 200, 'other routes still answer that peer');
    } finally {
      await wide.stopCleanly();
    }
  });
});

describe('static files', () => {
  it('serves an asset with an ETag and answers If-None-Match with 304', async () => {
    const [url] = await linkedAssets();
    const res = await request(server, { path: url });
    assert.equal(res.status, 200, `GET ${url}`);
    assert.ok(res.headers.etag, 'ETag present');
    assert.deepEqual(res.body, fs.readFileSync(distFileFor(url)), 'body is the file from web/dist');
    assertSecurityHeaders(res, url);
    const again = await request(server, { path: url, headers: { 'if-none-match': res.headers.etag } });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal(again.headers.etag, res.headers.etag);
    const stale = await request(server, { path: url, headers: { 'if-none-match': '"not-the-etag"' } });
    assert.equal(stale.status, 200);
  });

  it('marks hashed assets immutable', async () => {
    const hashed = (await linkedAssets()).filter((u) => u.startsWith('/static/assets/'));
    assert.ok(hashed.length > 0, 'the home page links a hashed asset under /static/assets/');
    for (const url of hashed) {
      const res = await request(server, { path: url });
      assert.equal(res.status, 200, url);
      assert.match(res.headers['cache-control'] ?? '', /immutable/, `${url} Cache-Control`);
      assert.match(res.headers['cache-control'] ?? '', /max-age=\d{6,}/, `${url} Cache-Control max-age`);
    }
  });

  it('serves the correct content type', async () => {
    for (const url of await linkedAssets()) {
      const res = await request(server, { path: url });
      const want = url.endsWith('.css') ? /^text\/css/ : url.endsWith('.js') ? /javascript/ : /./;
      assert.match(res.headers['content-type'] ?? '', want, url);
    }
  });

  it('negotiates pre-compressed brotli and gzip', async () => {
    const assets = await linkedAssets();
    const withBr = assets.find((u) => fs.existsSync(`${distFileFor(u)}.br`));
    const withGz = assets.find((u) => fs.existsSync(`${distFileFor(u)}.gz`));
    assert.ok(withBr || withGz, `web/dist holds a .br or .gz beside one of ${assets.join(', ')}; run make web`);
    if (withBr) {
      const plain = fs.readFileSync(distFileFor(withBr));
      const br = await request(server, { path: withBr, headers: { 'accept-encoding': 'gzip, deflate, br' } });
      assert.equal(br.status, 200);
      assert.equal(br.headers['content-encoding'], 'br');
      assert.match(br.headers.vary ?? '', /accept-encoding/i);
      assert.deepEqual(zlib.brotliDecompressSync(br.body), plain);
      const brEtag = br.headers.etag;
      const identity = await request(server, { path: withBr, headers: { 'accept-encoding': 'identity' } });
      assert.equal(identity.headers['content-encoding'] ?? 'identity', 'identity');
      assert.deepEqual(identity.body, plain);
      assert.notEqual(identity.headers.etag, brEtag, 'each encoding has its own ETag');
      const refused = await request(server, { path: withBr, headers: { 'accept-encoding': 'br;q=0, gzip;q=0' } });
      assert.equal(refused.headers['content-encoding'] ?? 'identity', 'identity', 'q=0 refuses an encoding');
    }
    if (withGz) {
      const plain = fs.readFileSync(distFileFor(withGz));
      const gz = await request(server, { path: withGz, headers: { 'accept-encoding': 'gzip' } });
      assert.equal(gz.status, 200);
      assert.equal(gz.headers['content-encoding'], 'gzip');
      assert.deepEqual(zlib.gunzipSync(gz.body), plain);
    }
  });

  it('404 for a missing static file', async () => {
    const res = await request(server, { path: '/static/assets/no-such-file-0000.js' });
    assert.equal(res.status, 404);
  });
});
