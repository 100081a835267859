// Single sign-on (issue 5) end to end: the real agora binary against the npm `oidc-provider`
// (RS256 for one organisation's client, ES256 for another's) and against a hostile provider that
// issues broken ID tokens. Every refusal must leave no session behind.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { runAgora, startServer } from '../integration/harness.mjs';
import { privateJwk, signIn, signJwt, startHostileIdp, startRealIdp } from './oidc_idp.mjs';

const kCouncil = 'Afon Valley Council';
const kHealth = 'Bro Afon NHS Trust';
const kPolice = 'Afon Valley Police';
const kSian = 'sian.pritchard@afonvalley.gov.uk';            // council (RS256 client)
const kCatrin = 'catrin.morgan@broafon.wales.nhs.uk';        // health (ES256 client)
const kDafydd = 'dafydd.hughes@afonvalley.police.uk';        // police (hostile provider)
const kLowri = 'lowri.jones@cartrefiafon.org.uk';            // housing: no single sign-on
const kSessionCookie = '__Host-agora_session';

let agora;
let realIdp;
let hostile;
let callbackUrl;

function sql(query) {
  const result = spawnSync('sqlite3', [path.join(agora.dataDir, 'agora.db'), query], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`sqlite3 failed: ${result.stderr}`);
  return result.stdout.trim();
}

const ssoSessions = () => Number(sql("SELECT COUNT(*) FROM sessions WHERE method = 'sso'"));

function configureSso(organisation, issuer, clientId, secret) {
  const result = runAgora(['org', 'sso', '--data', agora.dataDir, '--organisation', organisation,
    '--issuer', issuer, '--client-id', clientId, '--client-secret', secret]);
  assert.equal(result.code, 0, `agora org sso for ${organisation}: ${result.stderr}`);
  return result;
}

/** GET on agora without following redirects. */
function get(pathAndQuery, headers = {}) {
  return fetch(new URL(pathAndQuery, agora.origin), { redirect: 'manual', headers });
}

/** Starts signing in as `email`; returns the provider URL agora redirected to. */
async function startSso(email, returnTo) {
  const query = new URLSearchParams({ email });
  if (returnTo) query.set('return_to', returnTo);
  const response = await get(`/sign-in/sso?${query}`);
  const body = await response.text();
  assert.equal(response.status, 303, `GET /sign-in/sso for ${email}: ${body.slice(0, 300)}`);
  return new URL(response.headers.get('location'));
}

/** The session token agora set, or undefined. */
function sessionToken(response) {
  for (const line of response.headers.getSetCookie()) {
    const match = new RegExp(`^${kSessionCookie}=([^;]+)`).exec(line);
    if (match) return match[1];
  }
  return undefined;
}

/** The text a reader sees, without markup. */
const visibleText = (html) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

before(async () => {
  agora = await startServer({ demo: true });
  callbackUrl = `${agora.origin}/sign-in/sso/callback`;
  const client = (id, alg) => ({
    client_id: id,
    client_secret: `${id}-secret`,
    redirect_uris: [callbackUrl],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: alg,
  });
  realIdp = await startRealIdp({
    clients: [client('agora-council', 'RS256'), client('agora-health', 'ES256')],
    accounts: {
      sian: { email: kSian, email_verified: true },
      catrin: { email: kCatrin.toUpperCase(), email_verified: true },
      stranger: { email: 'nobody@afonvalley.gov.uk', email_verified: true },
      unverified: { email: 'gareth.llewellyn@afonvalley.gov.uk', email_verified: false },
      // The council's provider vouching for a member of another organisation's staff.
      poacher: { email: kCatrin, email_verified: true },
    },
  });
  hostile = await startHostileIdp();
  configureSso(kCouncil, realIdp.issuer, 'agora-council', 'agora-council-secret');
  configureSso(kHealth, realIdp.issuer, 'agora-health', 'agora-health-secret');
  configureSso(kPolice, hostile.issuer, 'agora-police', 'police secret:with odd/chars');
});

after(async () => {
  await realIdp?.close();
  await hostile?.close();
  await agora?.stopCleanly();
});

describe('with oidc-provider', () => {
  for (const [who, email, login, returnTo] of [
    ['RS256 (council client)', kSian, 'sian', '/spaces'],
    ['ES256 (health client)', kCatrin, 'catrin', undefined],
  ]) {
    it(`signs in with ${who} and the cookie opens a signed-in page`, async () => {
      const before = ssoSessions();
      const authorize = await startSso(email, returnTo);
      assert.equal(authorize.origin, realIdp.issuer);
      const params = authorize.searchParams;
      assert.equal(params.get('response_type'), 'code');
      assert.equal(params.get('code_challenge_method'), 'S256');
      assert.match(params.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
      assert.ok(params.get('state') && params.get('nonce'), 'state and nonce are sent');
      assert.equal(params.get('redirect_uri'), callbackUrl);
      assert.equal(params.get('code_verifier'), null, 'the verifier never leaves agora');

      const back = await signIn(realIdp.issuer, authorize.href, login);
      assert.ok(back.startsWith(`${callbackUrl}?`), `the provider sends the person back: ${back}`);
      const response = await fetch(back, { redirect: 'manual' });
      const body = await response.text();
      assert.equal(response.status, 303, `callback: ${body.slice(0, 500)}`);
      assert.equal(response.headers.get('location'), returnTo ?? '/');
      const token = sessionToken(response);
      assert.ok(token, `a session cookie is set: ${response.headers.getSetCookie()}`);
      assert.equal(ssoSessions(), before + 1);
      const personId = sql(`SELECT id FROM people WHERE email = '${email}'`);
      assert.equal(sql("SELECT person_id || ' ' || stage FROM sessions WHERE method = 'sso' ORDER BY id DESC LIMIT 1"),
        `${personId} active`);

      const signedIn = await get('/account', { cookie: `${kSessionCookie}=${token}` });
      const page = await signedIn.text();
      assert.equal(signedIn.status, 200, `GET /account with the cookie: ${page.slice(0, 300)}`);
      assert.ok(page.includes(email), 'the account page shows whose session it is');
      const anonymous = await get('/account');
      assert.notEqual(anonymous.status, 200, 'without the cookie /account is not shown');

      // Reusing the callback (state and code) starts nothing.
      const replay = await fetch(back, { redirect: 'manual' });
      assert.equal(replay.status, 400);
      assert.equal(sessionToken(replay), undefined);
      assert.equal(ssoSessions(), before + 1);
    });
  }

  it('refuses someone the provider knows but Agora does not', async () => {
    const before = ssoSessions();
    const back = await signIn(realIdp.issuer, (await startSso(kSian)).href, 'stranger');
    const response = await fetch(back, { redirect: 'manual' });
    const text = visibleText(await response.text());
    assert.equal(response.status, 403);
    assert.match(text, /no Agora account for you/);
    assert.equal(sessionToken(response), undefined);
    assert.equal(ssoSessions(), before);
  });

  it('refuses staff of another organisation vouched for by this one\'s provider', async () => {
    const before = ssoSessions();
    const back = await signIn(realIdp.issuer, (await startSso(kSian)).href, 'poacher');
    const response = await fetch(back, { redirect: 'manual' });
    assert.equal(response.status, 403);
    assert.equal(sessionToken(response), undefined);
    assert.equal(ssoSessions(), before);
  });

  it('refuses an email address the provider has not verified', async () => {
    const before = ssoSessions();
    const back = await signIn(realIdp.issuer, (await startSso(kSian)).href, 'unverified');
    const response = await fetch(back, { redirect: 'manual' });
    assert.equal(response.status, 403);
    assert.match(visibleText(await response.text()), /email address is not confirmed/);
    assert.equal(ssoSessions(), before);
  });

  it('a suspended person cannot sign in', async () => {
    sql(`UPDATE people SET status = 'suspended' WHERE email = '${kSian}'`);
    try {
      const before = ssoSessions();
      const back = await signIn(realIdp.issuer, (await startSso(kSian)).href, 'sian');
      const response = await fetch(back, { redirect: 'manual' });
      assert.equal(response.status, 403);
      assert.match(visibleText(await response.text()), /suspended/);
      assert.equal(ssoSessions(), before);
    } finally {
      sql(`UPDATE people SET status = 'active' WHERE email = '${kSian}'`);
    }
  });

  it('says so when the person cancels at the provider', async () => {
    const state = (await startSso(kSian)).searchParams.get('state');
    const response = await get(`/sign-in/sso/callback?${new URLSearchParams({ error: 'access_denied', state })}`);
    assert.equal(response.status, 403);
    assert.match(visibleText(await response.text()), /You did not finish signing in/);
  });
});

describe('choosing the provider', () => {
  it('tells people whose organisation has no single sign-on to use their password', async () => {
    const response = await get(`/sign-in/sso?email=${encodeURIComponent(kLowri)}`);
    assert.equal(response.status, 400);
    const text = visibleText(await response.text());
    assert.match(text, /does not use single sign-on/);
    assert.match(text, /password/);
  });

  it('refuses an unknown domain and a missing address', async () => {
    assert.equal((await get('/sign-in/sso?email=someone%40example.org')).status, 400);
    assert.equal((await get('/sign-in/sso')).status, 400);
  });

  it('never sends people to another site after signing in', async () => {
    const authorize = await startSso(kSian, '//evil.example/x');
    const back = await signIn(realIdp.issuer, authorize.href, 'sian');
    const response = await fetch(back, { redirect: 'manual' });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/');
  });

  it('agora org sso turns single sign-on off with an empty issuer', () => {
    const off = runAgora(['org', 'sso', '--data', agora.dataDir, '--organisation', 'Cartrefi Afon Housing Association',
      '--issuer', '']);
    assert.equal(off.code, 0, off.stderr);
    const bad = runAgora(['org', 'sso', '--data', agora.dataDir, '--organisation', kCouncil,
      '--issuer', 'http://login.example.org', '--client-id', 'x', '--client-secret', 'y']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /https/);
    const unknown = runAgora(['org', 'sso', '--data', agora.dataDir, '--organisation', 'No Such Council',
      '--issuer', 'https://login.example.org', '--client-id', 'x', '--client-secret', 'y']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /No Such Council/);
  });
});

describe('with a hostile provider', () => {
  // Claims a correct provider would send for this sign-in.
  const goodClaims = (issuer, nonce) => {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: issuer, sub: 'dafydd', aud: 'agora-police', exp: now + 300, iat: now, nonce,
      email: kDafydd, email_verified: true,
    };
  };

  // Runs one sign-in whose token endpoint answers with makeToken(claims, jwk); returns the
  // callback's response and the flow's details.
  async function attempt(makeToken) {
    const authorize = await startSso(kDafydd);
    assert.equal(authorize.origin, hostile.issuer);
    const state = authorize.searchParams.get('state');
    const nonce = authorize.searchParams.get('nonce');
    const code = crypto.randomBytes(12).toString('hex');
    hostile.plan(code, ({ issuer, jwk }) => makeToken(goodClaims(issuer, nonce), jwk));
    const callback = `/sign-in/sso/callback?${new URLSearchParams({ code, state })}`;
    const response = await get(callback);
    return { response, text: visibleText(await response.text()), authorize, callback, code };
  }

  it('accepts a correct token (so the refusals below are about the token)', async () => {
    const before = ssoSessions();
    const { response, authorize, code } = await attempt((claims, jwk) => signJwt(claims, jwk));
    assert.equal(response.status, 303);
    assert.ok(sessionToken(response));
    assert.equal(ssoSessions(), before + 1);
    // client_secret_basic with form-encoded credentials, and the verifier matching the challenge.
    const request = hostile.requests.find((r) => r.form.code === code);
    assert.equal(request.basic, `agora-police:${encodeURIComponent('police secret:with odd/chars').replace(/%20/g, '+')}`);
    assert.equal(request.form.grant_type, 'authorization_code');
    assert.equal(request.form.redirect_uri, callbackUrl);
    const challenge = crypto.createHash('sha256').update(request.form.code_verifier).digest('base64url');
    assert.equal(challenge, authorize.searchParams.get('code_challenge'));
  });

  const cases = [
    ['a wrong nonce', (c, jwk) => signJwt({ ...c, nonce: 'not-this-sign-in' }, jwk)],
    ['a wrong audience', (c, jwk) => signJwt({ ...c, aud: 'some-other-client' }, jwk)],
    ['a wrong issuer', (c, jwk) => signJwt({ ...c, iss: 'http://127.0.0.1:1' }, jwk)],
    ['a bad signature', (c, jwk) => signJwt(c, { ...privateJwk(jwk.alg, jwk.kid) })],
    ['alg none', (c) => `${Buffer.from(JSON.stringify({ alg: 'none', kid: 'hostile-1' })).toString('base64url')}.` +
      `${Buffer.from(JSON.stringify(c)).toString('base64url')}.`],
    ['an HS256 token keyed with the public key', (c, jwk) => {
      const input = `${Buffer.from(JSON.stringify({ alg: 'HS256', kid: jwk.kid })).toString('base64url')}.` +
        `${Buffer.from(JSON.stringify(c)).toString('base64url')}`;
      return `${input}.${crypto.createHmac('sha256', jwk.x).update(input).digest('base64url')}`;
    }],
    ['an expired token', (c, jwk) => signJwt({ ...c, exp: c.iat - 600, iat: c.iat - 1200 }, jwk)],
    ['an unknown key', (c, jwk) => signJwt(c, privateJwk(jwk.alg, 'never-published'))],
  ];
  for (const [what, makeToken] of cases) {
    it(`refuses ${what} and starts no session`, async () => {
      const before = ssoSessions();
      const { response, text } = await attempt(makeToken);
      assert.equal(response.status, 403, text.slice(0, 300));
      assert.equal(sessionToken(response), undefined);
      assert.match(text, /We could not confirm who you are/);
      assert.doesNotMatch(text, /nonce|signature|aud|iss\b|alg/i, 'no technical detail for the reader');
      assert.equal(ssoSessions(), before);
    });
  }

  it('refuses a reused state and starts no second session', async () => {
    const { response, callback } = await attempt((claims, jwk) => signJwt(claims, jwk));
    assert.equal(response.status, 303);
    const before = ssoSessions();
    const code = new URL(callback, agora.origin).searchParams.get('code');
    hostile.plan(code, ({ issuer, jwk }) => signJwt(goodClaims(issuer, 'x'), jwk));
    const replay = await get(callback);
    assert.equal(replay.status, 400);
    assert.match(visibleText(await replay.text()), /expired/);
    assert.equal(sessionToken(replay), undefined);
    assert.equal(ssoSessions(), before);
  });
});

describe('a provider that misbehaves on the wire', () => {
  const kHousing = 'Cartrefi Afon Housing Association';

  it('gives up on an oversized discovery document', async () => {
    const huge = await startHostileIdp({ oversized: true });
    try {
      configureSso(kHousing, huge.issuer, 'agora-housing', 'secret');
      const mark = agora.logMark();
      const response = await get(`/sign-in/sso?email=${encodeURIComponent(kLowri)}`);
      assert.equal(response.status, 502);
      assert.match(visibleText(await response.text()), /could not reach your organisation/);
      await agora.waitForLog((r) => r.msg === 'sso.discovery_failed' && /more than/.test(r.error ?? ''),
        { since: mark, what: 'a log line saying the discovery answer was too large' });
    } finally {
      await huge.close();
    }
  });

  it('says the provider cannot be reached when nothing listens', async () => {
    const gone = await startHostileIdp();
    const { issuer } = gone;
    await gone.close();
    configureSso(kHousing, issuer, 'agora-housing', 'secret');
    const response = await get(`/sign-in/sso?email=${encodeURIComponent(kLowri)}`);
    assert.equal(response.status, 502);
    assert.match(visibleText(await response.text()), /could not reach your organisation/);
  });
});
