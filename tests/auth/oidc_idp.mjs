// Identity providers for the single sign-on tests (sso.test.mjs), both on loopback ports in the
// test process:
// - startRealIdp: the npm `oidc-provider` (a certified OpenID Provider) with its development
//   login and consent pages, which signIn() completes programmatically;
// - startHostileIdp: a small provider written here with node:crypto that issues whatever ID
//   token a test plans (wrong nonce, wrong audience, bad signature, alg none, ...).

import crypto from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

function closeServer(server) {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}

/** A private JWK for signing (RS256 or ES256), with kid and alg. */
export function privateJwk(alg, kid) {
  const { privateKey } = alg === 'RS256'
    ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
    : crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

/** The public half of a private JWK. */
export function publicJwk(jwk) {
  const { d, p, q, dp, dq, qi, ...rest } = jwk;
  return rest;
}

const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value))
  .toString('base64url');

/** A compact JWS of `payload` signed with `jwk` (header alg/kid from it unless `header` says otherwise). */
export function signJwt(payload, jwk, header = {}) {
  const head = { alg: jwk.alg, kid: jwk.kid, typ: 'JWT', ...header };
  const input = `${b64url(head)}.${b64url(payload)}`;
  const key = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
  const signature = jwk.alg === 'RS256'
    ? crypto.sign('sha256', Buffer.from(input), key)
    : crypto.sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/**
 * Starts oidc-provider on a loopback port. `clients` are client metadata objects; `accounts`
 * maps an account id (what the login form takes) to { email, email_verified }.
 * Returns { issuer, close() }.
 */
export async function startRealIdp({ clients, accounts }) {
  const server = http.createServer();
  const port = await listen(server);
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients,
    jwks: { keys: [privateJwk('RS256', 'idp-rs'), privateJwk('ES256', 'idp-es')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // Put the email in the ID token itself, which is all Agora reads.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    cookies: { keys: [crypto.randomBytes(16).toString('hex')] },
    async findAccount(ctx, id) {
      const account = accounts[id];
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() { return { sub: id, ...account }; },
      };
    },
  });
  // The provider logs its development-only warnings once; tests do not need them.
  provider.on('server_error', (ctx, error) => { console.error('oidc-provider server_error', error); });
  server.on('request', provider.callback());
  return { issuer, close: () => closeServer(server) };
}

/** Cookies kept per test, sent back to the provider only (Agora's cookie is handled by the test). */
export class CookieJar {
  constructor() { this.cookies = new Map(); }

  store(response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header() { return [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; '); }
}

/**
 * Follows redirects at the provider from `url`, completing its development login (as `login`)
 * and consent forms, until it redirects somewhere outside the provider. Returns that URL.
 */
export async function signIn(issuer, url, login) {
  const jar = new CookieJar();
  let next = url;
  for (let step = 0; step < 20; step += 1) {
    if (!next.startsWith(issuer)) return next;
    const response = await fetch(next, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.store(response);
    if (response.status >= 300 && response.status < 400) {
      next = new URL(response.headers.get('location'), next).href;
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`the provider answered ${response.status} at ${next}: ${html.slice(0, 500)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`no login or consent form at ${next}: ${html.slice(0, 500)}`);
    const form = prompt === 'login'
      ? new URLSearchParams({ prompt, login, password: 'any' })
      : new URLSearchParams({ prompt });
    const posted = await fetch(new URL(action.replace(/&amp;/g, '&'), next), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    jar.store(posted);
    if (posted.status < 300 || posted.status >= 400) {
      throw new Error(`posting the ${prompt} form answered ${posted.status}: ${(await posted.text()).slice(0, 500)}`);
    }
    next = new URL(posted.headers.get('location'), next).href;
  }
  throw new Error('the provider redirected more than 20 times');
}

/**
 * Starts a hostile provider: discovery, JWKS and a token endpoint that answers a code with the ID
 * token planned for it by plan(code, makeToken). makeToken({ issuer, form, jwk }) returns the
 * compact token; `jwk` is the key the JWKS publishes. Records each token request's client
 * credentials and form. With `oversized`, its discovery document is 2 MiB (past any sane limit).
 * Returns { issuer, jwk, plan, requests, close() }.
 */
export async function startHostileIdp({ alg = 'ES256', oversized = false } = {}) {
  const jwk = privateJwk(alg, 'hostile-1');
  const plans = new Map();
  const requests = [];
  const server = http.createServer();
  const port = await listen(server);
  const issuer = `http://127.0.0.1:${port}`;
  server.on('request', (req, res) => {
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    const path = new URL(req.url, issuer).pathname;
    if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
      return send(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [alg],
        code_challenge_methods_supported: ['S256'],
        ...(oversized ? { padding: 'x'.repeat(2 * 1024 * 1024) } : {}),
      });
    }
    if (req.method === 'GET' && path === '/jwks') return send(200, { keys: [publicJwk(jwk)] });
    if (req.method === 'POST' && path === '/token') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk) => { body += chunk; });
      req.on('end', () => {
        const form = Object.fromEntries(new URLSearchParams(body));
        const basic = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
        requests.push({ form, basic });
        const makeToken = plans.get(form.code);
        if (!makeToken) return send(400, { error: 'invalid_grant' });
        plans.delete(form.code);
        return send(200, { access_token: 'opaque', token_type: 'Bearer', id_token: makeToken({ issuer, form, jwk }) });
      });
      return undefined;
    }
    return send(404, { error: 'not_found' });
  });
  return {
    issuer,
    jwk,
    requests,
    plan(code, makeToken) { plans.set(code, makeToken); },
    close: () => closeServer(server),
  };
}
