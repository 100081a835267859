// Signing in through the real server as a browser does (issue 5): the /sign-in form, the session
// cookie, session fixation, CSRF and Origin checks, the per-account brute-force limit, ending
// sessions from the account page, and two-factor authentication by authenticator app (TOTP) and
// recovery codes.
//
// One server with the demo data; each test signs in as its own demo person so that rate limits,
// sessions and two-factor settings of one test do not leak into another.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { makeTempDir, removeDir, repoRoot, request, runAgora, sleep, startServer } from '../integration/harness.mjs';
import {
  BrowserSession, csrfTokenOf, decodeEntities, demoPasswordFrom, errorSummaryOf, kCsrfCookie, kSessionCookie,
  totpCode, totpStep,
} from './browser_session.mjs';

const kSian = { email: 'sian.pritchard@afonvalley.gov.uk', name: 'Siân Pritchard' };
const kGareth = { email: 'gareth.llewellyn@afonvalley.gov.uk', name: 'Gareth Llewellyn' };
const kRhiannon = { email: 'rhiannon.price@afonvalley.gov.uk', name: 'Rhiannon Price' };
const kOwain = { email: 'owain.jenkins@afonvalley.gov.uk', name: 'Owain Jenkins' };
const kCatrin = { email: 'catrin.morgan@broafon.wales.nhs.uk', name: 'Catrin Morgan' };
const kElin = { email: 'elin.davies@broafon.wales.nhs.uk', name: 'Elin Davies' };
const kTomos = { email: 'tomos.evans@broafon.wales.nhs.uk', name: 'Tomos Evans' };
const kAmara = { email: 'amara.okafor@broafon.wales.nhs.uk', name: 'Amara Okafor' };
const kDafydd = { email: 'dafydd.hughes@afonvalley.police.uk', name: 'Dafydd Hughes' };

const kOtherSite = 'https://forms.example.net';

// What people read comes from the message catalogue; the tests read it from there too.
const kMessages = JSON.parse(fs.readFileSync(path.join(repoRoot, 'templates/messages/en/account.json'), 'utf8')).account;

/** The sessions listed on an /account page: [{ id, current, text }] in page order. */
function sessionsListed(html) {
  const body = /<tbody class="govuk-table__body">([\s\S]*?)<\/tbody>/.exec(html);
  assert.ok(body, `no sessions table on the account page:\n${html.slice(0, 1500)}`);
  return [...body[1].matchAll(/<tr class="govuk-table__row">([\s\S]*?)<\/tr>/g)].map((row) => {
    const id = /action="\/account\/sessions\/(\d+)\/end"/.exec(row[1]);
    assert.ok(id, `a session row without an end form:\n${row[1]}`);
    return {
      id: Number(id[1]),
      current: row[1].includes(`<strong>${kMessages.page.session_current}</strong>`),
      text: decodeEntities(row[1]),
    };
  });
}

/** The recovery codes on the page shown after setting up TOTP. */
function recoveryCodesOn(html) {
  const list = /<ul[^>]*id="recovery-codes"[^>]*>([\s\S]*?)<\/ul>/.exec(html);
  assert.ok(list, `no <ul id="recovery-codes"> on the page:\n${html.slice(0, 1500)}`);
  return [...list[1].matchAll(/<code>([^<]*)<\/code>/g)].map((m) => decodeEntities(m[1]));
}

/** The base32 key shown on the TOTP set-up page. */
function totpSecretOn(html) {
  const secret = /<code class="agora-secret" id="secret">([A-Z2-7=]+)<\/code>/.exec(html)?.[1];
  assert.ok(secret, `no TOTP key on the set-up page:\n${html.slice(0, 1500)}`);
  return secret;
}

/** Six digits that are not the code of the current step of `secret`, nor of either neighbour. */
function codeNotValidNow(secret) {
  const valid = new Set([-1, 0, 1, 2].map((d) => totpCode(secret, totpStep() + d)));
  let code = 123456;
  while (valid.has(String(code))) code += 1;
  return String(code);
}

function sessionCookieSetBy(res) {
  return res.cookies.find((c) => c.name === kSessionCookie && c.value && c.attributes['max-age'] !== '0');
}

function assertRedirect(res, location, what) {
  assert.equal(res.status, 303, `${what}: status ${res.status}, want 303:\n${res.text.slice(0, 800)}`);
  assert.equal(res.headers.location, location, `${what}: Location`);
}

describe('sign-in, sessions, CSRF, brute force and two-factor', () => {
  let dataDir;
  let server;
  let password;

  /** A browser with only `token` as its session cookie: what someone holding a copied cookie sees. */
  const browserWithSession = (token, userAgent) => {
    const browser = new BrowserSession(server, { userAgent });
    browser.setCookie(kSessionCookie, token);
    return browser;
  };
  /** Asserts that `token` no longer opens the account page: the holder is sent to sign in. */
  const assertSessionGone = async (token, what) => {
    assertRedirect(await browserWithSession(token).get('/account'), '/sign-in?return_to=%2Faccount', what);
  };
  const signedInAs = async (person, userAgent) => {
    const browser = new BrowserSession(server, { userAgent });
    await browser.signIn(person.email, password);
    return browser;
  };

  before(async () => {
    dataDir = makeTempDir('agora-sign-in-');
    const loaded = runAgora(['demo', 'load', '--data', dataDir]);
    assert.equal(loaded.code, 0, loaded.stderr);
    password = demoPasswordFrom(loaded.stdout);
    assert.ok(password, `no password in the demo's output:\n${loaded.stdout}`);
    server = await startServer({ dataDir });
  });

  after(async () => {
    if (server) await server.stop();
    if (dataDir) removeDir(dataDir);
  });

  it('computes TOTP codes as RFC 6238 appendix B does (checks the test helper itself)', () => {
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';  // base32 of the ASCII "12345678901234567890"
    assert.equal(totpCode(secret, totpStep(59_000), 8), '94287082');
    assert.equal(totpCode(secret, totpStep(1_111_111_109_000), 8), '07081804');
    assert.equal(totpCode(secret, totpStep(20_000_000_000_000), 8), '65353130');
  });

  it('sends someone without a session who opens /account to sign in, and back afterwards', async () => {
    const res = await request(server, { path: '/account' });
    assertRedirect(res, '/sign-in?return_to=%2Faccount', 'GET /account without a session');
    const browser = new BrowserSession(server);
    const form = await browser.get('/sign-in?return_to=%2Faccount');
    assert.equal(form.status, 200);
    assert.match(form.text, /<input type="hidden" name="return_to" value="\/account">/);
    const signedIn = await browser.signIn(kSian.email, password, { returnTo: '/account' });
    assert.equal(signedIn.headers.location, '/account');
  });

  it('never sends someone who signs in to another site, whatever return_to says', async () => {
    for (const returnTo of ['https://forms.example.net/', '//forms.example.net/', '/\\forms.example.net/']) {
      const browser = new BrowserSession(server);
      const res = await browser.signIn(kSian.email, password, { returnTo });
      assert.equal(res.headers.location, '/spaces', `return_to=${returnTo}`);
    }
  });

  it('signs in with the right password: a __Host- session cookie, and /account shows the person', async () => {
    const browser = new BrowserSession(server);
    const res = await browser.postSignIn(kSian.email, password);
    assertRedirect(res, '/spaces', 'signing in');
    const cookie = sessionCookieSetBy(res);
    assert.ok(cookie, `no session cookie in ${JSON.stringify(res.headers['set-cookie'])}`);
    assert.equal(cookie.name, '__Host-agora_session');
    assert.ok(cookie.value.length >= 43, `session token ${cookie.value} is shorter than 256 bits of base64url`);
    assert.equal(cookie.attributes.secure, true, 'Secure');
    assert.equal(cookie.attributes.httponly, true, 'HttpOnly');
    assert.equal(String(cookie.attributes.samesite).toLowerCase(), 'lax', 'SameSite=Lax');
    assert.equal(cookie.attributes.path, '/', 'Path=/');
    assert.equal(cookie.attributes.domain, undefined, 'a __Host- cookie must not name a Domain');

    const account = await browser.get('/account');
    assert.equal(account.status, 200, account.text.slice(0, 800));
    assert.ok(account.text.includes(kSian.name), `the account page does not show ${kSian.name}`);
    assert.ok(account.text.includes(kSian.email));
    assert.match(account.headers['cache-control'] ?? '', /no-store/, 'a personal page must not be cached');
  });

  it('answers a wrong password and an unknown email with the same 400 message', async () => {
    const browser = new BrowserSession(server);
    const wrongPassword = await browser.postSignIn(kSian.email, `${password}-not`);
    const unknownEmail = await browser.postSignIn('nobody.here@afonvalley.gov.uk', password);
    for (const [what, res] of [['wrong password', wrongPassword], ['unknown email', unknownEmail]]) {
      assert.equal(res.status, 400, `${what}: ${res.text.slice(0, 800)}`);
      assert.equal(sessionCookieSetBy(res), undefined, `${what} set a session cookie`);
      assert.deepEqual(errorSummaryOf(res.text), [kMessages.sign_in.refused], what);
    }
    const fieldError = (html) => decodeEntities(/<p id="email-error" class="govuk-error-message">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '');
    assert.equal(fieldError(wrongPassword.text), fieldError(unknownEmail.text));
    assertRedirect(await browser.get('/account'), '/sign-in?return_to=%2Faccount', 'after two failures');
  });

  it('replaces a session cookie that was there before signing in (session fixation)', async () => {
    // Someone signs in and plants their session cookie in another browser.
    const planter = await signedInAs(kGareth, 'planter');
    const planted = planter.sessionToken;
    const victim = browserWithSession(planted, 'victim');
    assert.equal((await victim.get('/account')).status, 200, 'the planted cookie should work before');

    // The sign-in page redirects someone signed in, so take the token from a page they can see.
    const token = await victim.csrfTokenFrom('/account');
    const res = await victim.submit('/sign-in', { email: kGareth.email, password, return_to: '/account' }, { token });
    assertRedirect(res, '/account', 'signing in over a planted session');
    const fresh = sessionCookieSetBy(res);
    assert.ok(fresh, 'signing in did not set a new session cookie');
    assert.notEqual(fresh.value, planted, 'the session cookie was kept across sign-in');
    assert.equal((await victim.get('/account')).status, 200);
    await assertSessionGone(planted, 'the planted cookie after the victim signed in');

    // A made-up cookie value is replaced as well.
    const guesser = browserWithSession('made-up-session-value-0123456789abcdefghijklmno', 'guesser');
    const guessed = await guesser.postSignIn(kGareth.email, password);
    assertRedirect(guessed, '/spaces', 'signing in with a made-up cookie');
    assert.notEqual(sessionCookieSetBy(guessed)?.value, 'made-up-session-value-0123456789abcdefghijklmno');
  });

  it('refuses a sign-in form without a CSRF token, with another visitor\'s token, or from another site', async () => {
    // Control: the same account signs in when the form is right, so each 403 below is the check's.
    const anonymous = new BrowserSession(server);
    const page = await anonymous.get('/sign-in');
    const csrfCookie = page.cookies.find((c) => c.name === kCsrfCookie);
    assert.ok(csrfCookie, `GET /sign-in set no ${kCsrfCookie} cookie`);
    assert.equal(csrfCookie.attributes.secure, true);
    assert.equal(csrfCookie.attributes.httponly, true);
    assert.equal(csrfCookie.attributes.path, '/');

    const fields = { email: kRhiannon.email, password, return_to: '/spaces' };
    const noToken = await anonymous.submit('/sign-in', fields, { token: null });
    assert.equal(noToken.status, 403, `no csrf_token: ${noToken.status}`);
    assert.equal(sessionCookieSetBy(noToken), undefined);

    const other = new BrowserSession(server);
    const othersToken = await other.csrfTokenFrom('/sign-in');
    const ownToken = csrfTokenOf(page.text);
    assert.notEqual(othersToken, ownToken, 'two visitors were given the same CSRF token');
    const borrowed = await anonymous.submit('/sign-in', fields, { token: othersToken });
    assert.equal(borrowed.status, 403, `another visitor's token: ${borrowed.status}`);
    assert.equal(sessionCookieSetBy(borrowed), undefined);

    const noCookie = new BrowserSession(server);
    const withoutCookie = await noCookie.submit('/sign-in', fields, { token: ownToken });
    assert.equal(withoutCookie.status, 403, `a token without the cookie it is bound to: ${withoutCookie.status}`);
    assert.equal(sessionCookieSetBy(withoutCookie), undefined);

    for (const origin of [kOtherSite, 'null', server.origin.replace('127.0.0.1', 'localhost')]) {
      const crossSite = await anonymous.submit('/sign-in', fields, { token: ownToken, origin });
      assert.equal(crossSite.status, 403, `Origin ${origin}: ${crossSite.status}`);
      assert.equal(sessionCookieSetBy(crossSite), undefined);
    }

    const good = await anonymous.submit('/sign-in', fields, { token: ownToken });
    assertRedirect(good, '/spaces', 'the same form with its own token and Origin');
  });

  it('refuses a signed-in POST /sign-out without the CSRF token, and signs out with it', async () => {
    const browser = await signedInAs(kOwain);
    const token = browser.sessionToken;

    const noToken = await browser.send('POST', '/sign-out', { form: {} });
    assert.equal(noToken.status, 403, `sign-out form without csrf_token: ${noToken.status}`);
    const bare = await browser.send('POST', '/sign-out', {});
    assert.equal(bare.status, 403, `bodiless POST /sign-out with only the cookie: ${bare.status}`);
    const wrongHeader = await browser.send('POST', '/sign-out', { headers: { 'X-CSRF-Token': 'x'.repeat(43) } });
    assert.equal(wrongHeader.status, 403, `a wrong X-CSRF-Token: ${wrongHeader.status}`);
    const crossSite = await browser.submit('/sign-out', {}, { formPage: '/account', origin: kOtherSite });
    assert.equal(crossSite.status, 403, `sign-out from another site: ${crossSite.status}`);
    assert.equal(browser.sessionToken, token, 'a refused sign-out changed the cookie');
    assert.equal((await browser.get('/account')).status, 200, 'the session should survive refused sign-outs');

    // Scripts send the token in a header instead of a form field.
    const withHeader = await browser.send('POST', '/account/sessions/end-others',
      { headers: { 'X-CSRF-Token': await browser.csrfTokenFrom('/account') } });
    assertRedirect(withHeader, '/account', 'a signed-in POST with the right X-CSRF-Token');

    const res = await browser.submit('/sign-out', {}, { formPage: '/account' });
    assert.equal(res.status, 303, `sign-out with the token: ${res.status}`);
    assert.ok(res.cookies.some((c) => c.name === kSessionCookie && (c.value === '' || c.attributes['max-age'] === '0')),
      'sign-out did not clear the session cookie');
    assertRedirect(await browser.get('/account'), '/sign-in?return_to=%2Faccount', 'after signing out');
    await assertSessionGone(token, 'the old cookie replayed after signing out');
  });

  it('refuses the right password after 10 wrong ones with 429 and Retry-After, for that account only', async () => {
    const attacker = new BrowserSession(server);
    for (let i = 1; i <= 10; i++) {
      const res = await attacker.postSignIn(kTomos.email, `guess-${i}`);
      assert.equal(res.status, 400, `wrong password ${i}: ${res.status}`);
    }
    const locked = await attacker.postSignIn(kTomos.email, password);
    assert.equal(locked.status, 429, `the right password after 10 failures: ${locked.status}`);
    assert.equal(sessionCookieSetBy(locked), undefined, 'a rate-limited sign-in set a session cookie');
    const retryAfter = Number(locked.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 15 * 60,
      `Retry-After ${locked.headers['retry-after']} is not 1..900 seconds`);
    const [message] = errorSummaryOf(locked.text);
    assert.ok(message?.startsWith(kMessages.sign_in.rate_limited.split('{}')[0]), `message: ${message}`);

    // The owner, from another browser on the same address, is refused too until the window passes.
    const owner = new BrowserSession(server);
    assert.equal((await owner.postSignIn(kTomos.email, password)).status, 429);

    // Someone else at the same address (an office shares one) still signs in.
    const colleague = new BrowserSession(server);
    assertRedirect(await colleague.postSignIn(kAmara.email, password), '/spaces', 'another account from the same address');
  });

  it('ends a session from another browser\'s account page, and ends all others at once', async () => {
    const first = await signedInAs(kElin, 'first-browser');
    const second = await signedInAs(kElin, 'second-browser');

    const listed = sessionsListed((await second.get('/account')).text);
    assert.equal(listed.length, 2, `want 2 sessions listed, got ${JSON.stringify(listed)}`);
    const mine = listed.filter((s) => s.current);
    const others = listed.filter((s) => !s.current);
    assert.equal(mine.length, 1, 'exactly one session is marked as this browser');
    assert.match(mine[0].text, /second-browser/);
    assert.match(others[0].text, /first-browser/);

    // Someone else cannot end Elin's session by its id.
    const stranger = await signedInAs(kDafydd, 'stranger');
    const foreign = await stranger.submit(`/account/sessions/${others[0].id}/end`, {}, { formPage: '/account' });
    assert.equal(foreign.status, 404, `ending another person's session: ${foreign.status}`);
    assert.equal((await first.get('/account')).status, 200, 'the stranger ended Elin\'s session');

    const ended = await second.submit(`/account/sessions/${others[0].id}/end`, {}, { formPage: '/account' });
    assertRedirect(ended, '/account', 'ending the first session');
    assertRedirect(await first.get('/account'), '/sign-in?return_to=%2Faccount', 'the first browser after its session ended');
    assert.equal((await second.get('/account')).status, 200, 'ending another session ended this one');
    assert.equal(sessionsListed((await second.get('/account')).text).length, 1);

    const third = await signedInAs(kElin, 'third-browser');
    const fourth = await signedInAs(kElin, 'fourth-browser');
    assert.equal(sessionsListed((await second.get('/account')).text).length, 3);
    const all = await second.submit('/account/sessions/end-others', {}, { formPage: '/account' });
    assertRedirect(all, '/account', 'sign out everywhere else');
    assertRedirect(await third.get('/account'), '/sign-in?return_to=%2Faccount', 'the third browser after "everywhere else"');
    assertRedirect(await fourth.get('/account'), '/sign-in?return_to=%2Faccount', 'the fourth browser after "everywhere else"');
    const remaining = sessionsListed((await second.get('/account')).text);
    assert.deepEqual(remaining.map((s) => s.current), [true], 'only this browser\'s session is left');
  });

  describe('two-factor authentication (TOTP and recovery codes)', () => {
    let secret;
    let recoveryCodes;
    let lastUsedStep;  // the newest TOTP step the server has accepted for Catrin
    let pending;       // a browser half-way through signing in: password given, code not yet

    /**
     * A code the server has not seen: the current step's, or the next one (within the one-step
     * drift the server allows) when the current step was used already.
     */
    const unusedCode = async () => {
      for (;;) {
        const now = totpStep();
        const step = Math.max(now, lastUsedStep + 1);
        if (step <= now + 1) return { step, code: totpCode(secret, step) };
        await sleep(1000);
      }
    };
    const signInHalfWay = async (userAgent) => {
      const browser = new BrowserSession(server, { userAgent });
      const res = await browser.signIn(kCatrin.email, password, { returnTo: '/account' });
      assertRedirect(res, '/sign-in/two-factor?return_to=%2Faccount', 'password step with TOTP on');
      return browser;
    };

    it('sets up an authenticator app from the key on the page and shows recovery codes once', async () => {
      const browser = await signedInAs(kCatrin, 'set-up');
      const before = browser.sessionToken;
      const page = await browser.get('/account/two-factor');
      assert.equal(page.status, 200, page.text.slice(0, 800));
      secret = totpSecretOn(page.text);

      const wrong = await browser.submit('/account/two-factor', { secret, code: codeNotValidNow(secret) },
        { token: csrfTokenOf(page.text) });
      assert.equal(wrong.status, 400, `set-up with a wrong code: ${wrong.status}`);
      assert.ok(!/id="recovery-codes"/.test(wrong.text), 'a wrong code showed recovery codes');

      const step = totpStep();
      const res = await browser.submit('/account/two-factor', { secret, code: totpCode(secret, step) },
        { token: csrfTokenOf(page.text) });
      assert.equal(res.status, 200, `set-up with the right code: ${res.status}\n${res.text.slice(0, 800)}`);
      lastUsedStep = step;
      recoveryCodes = recoveryCodesOn(res.text);
      assert.ok(recoveryCodes.length >= 8, `only ${recoveryCodes.length} recovery codes`);
      assert.equal(new Set(recoveryCodes).size, recoveryCodes.length, 'recovery codes repeat');
      const rotated = sessionCookieSetBy(res);
      assert.ok(rotated && rotated.value !== before, 'setting up TOTP did not rotate the session cookie');
      await assertSessionGone(before, 'the session cookie from before TOTP set-up');

      const account = await browser.get('/account');
      assert.equal(account.status, 200);
      assert.match(account.text, new RegExp(`${kMessages.page.two_factor_on} \\(${recoveryCodes.length} ${kMessages.page.recovery_codes_left}\\)`));
      for (const code of recoveryCodes) assert.ok(!account.text.includes(code), 'a recovery code is shown again');

      const signedOut = await browser.submit('/sign-out', {}, { formPage: '/account' });
      assert.equal(signedOut.status, 303);
    });

    it('after the password, asks for the code and gives nothing else until it comes', async () => {
      assert.ok(secret, 'needs the set-up test');
      pending = await signInHalfWay('pending');
      const form = await pending.get('/sign-in/two-factor?return_to=%2Faccount');
      assert.equal(form.status, 200);
      assert.match(form.text, /name="code"/);
      assertRedirect(await pending.get('/account'), '/sign-in/two-factor', '/account while the code is owed');
      assertRedirect(await pending.get('/spaces'), '/sign-in/two-factor', '/spaces while the code is owed');

      // Setting up a new authenticator must not be a way around the one Catrin has.
      const setUpPage = await pending.get('/account/two-factor');
      assert.notEqual(setUpPage.status, 200, 'the TOTP set-up page opened while the code is owed');
      const token = csrfTokenOf(form.text);
      const intruderSecret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
      const takeover = await pending.submit('/account/two-factor',
        { secret: intruderSecret, code: totpCode(intruderSecret, totpStep()) }, { token });
      assert.ok(takeover.status === 303 || takeover.status === 400 || takeover.status === 403,
        `POST /account/two-factor while pending: ${takeover.status}`);
      assert.ok(!/id="recovery-codes"/.test(takeover.text), 'a new authenticator was set up while the code is owed');
      assert.equal(sessionCookieSetBy(takeover), undefined, 'POST /account/two-factor while pending issued a session');
      assertRedirect(await pending.get('/account'), '/sign-in/two-factor', '/account after the refused set-up');
    });

    it('refuses a wrong code and stays half signed in', async () => {
      assert.ok(pending, 'needs the previous test');
      const res = await pending.submit('/sign-in/two-factor', { code: codeNotValidNow(secret), return_to: '/account' },
        { formPage: '/sign-in/two-factor' });
      assert.equal(res.status, 400, `a wrong code: ${res.status}`);
      assert.deepEqual(errorSummaryOf(res.text), [kMessages.two_factor.code_wrong]);
      assert.equal(sessionCookieSetBy(res), undefined);
      assertRedirect(await pending.get('/account'), '/sign-in/two-factor', '/account after a wrong code');
    });

    it('signs in with the right code, rotating the cookie; the same code in a new sign-in is refused', async () => {
      assert.ok(pending, 'needs the previous tests');
      // The replay must happen while the code is still current, or its refusal proves nothing:
      // on a machine slow enough to cross a step, try again with a new code.
      for (let attempt = 1; ; attempt++) {
        const browser = attempt === 1 ? pending : await signInHalfWay(`retry-${attempt}`);
        const halfWayToken = browser.sessionToken;
        const { step, code } = await unusedCode();
        const res = await browser.submit('/sign-in/two-factor', { code, return_to: '/account' },
          { formPage: '/sign-in/two-factor' });
        assertRedirect(res, '/account', 'the right code');
        lastUsedStep = step;
        const rotated = sessionCookieSetBy(res);
        assert.ok(rotated && rotated.value !== halfWayToken, 'the second factor did not rotate the session cookie');
        const account = await browser.get('/account');
        assert.equal(account.status, 200);
        assert.ok(account.text.includes(kCatrin.name));
        await assertSessionGone(halfWayToken, 'the half-way cookie after the second factor');
        assertRedirect(await browserWithSession(halfWayToken).get('/sign-in/two-factor'), '/sign-in',
          'the half-way cookie on the code page after the second factor');

        const replayer = await signInHalfWay(`replay-${attempt}`);
        const replay = await replayer.submit('/sign-in/two-factor', { code, return_to: '/account' },
          { formPage: '/sign-in/two-factor' });
        const current = totpStep();
        if (current > step + 1 && attempt < 3) continue;  // the code expired: not a replay test
        assert.ok(current <= step + 1, 'three attempts each took longer than a TOTP step');
        assert.equal(replay.status, 400, `the same code again within its step: ${replay.status}`);
        assert.equal(sessionCookieSetBy(replay), undefined, 'a replayed code issued a session');
        assertRedirect(await replayer.get('/account'), '/sign-in/two-factor', '/account after a replayed code');
        break;
      }
    });

    it('accepts each recovery code once', async () => {
      assert.ok(recoveryCodes, 'needs the set-up test');
      const [code] = recoveryCodes;
      const first = await signInHalfWay('recovery-1');
      const res = await first.submit('/sign-in/two-factor', { code, return_to: '/account' },
        { formPage: '/sign-in/two-factor' });
      assertRedirect(res, '/account', 'an unused recovery code');
      assert.ok(sessionCookieSetBy(res), 'a recovery code did not issue a session');
      const account = await first.get('/account');
      assert.equal(account.status, 200);
      assert.match(account.text, new RegExp(`\\(${recoveryCodes.length - 1} ${kMessages.page.recovery_codes_left}\\)`));

      const second = await signInHalfWay('recovery-2');
      const again = await second.submit('/sign-in/two-factor', { code, return_to: '/account' },
        { formPage: '/sign-in/two-factor' });
      assert.equal(again.status, 400, `a used recovery code: ${again.status}`);
      assert.equal(sessionCookieSetBy(again), undefined);
      assertRedirect(await second.get('/account'), '/sign-in/two-factor', '/account after a used recovery code');

      // Typed as people do: capitals, no hyphen.
      const typed = recoveryCodes[1].toUpperCase().replace(/-/g, '');
      const another = await second.submit('/sign-in/two-factor', { code: typed, return_to: '/account' },
        { formPage: '/sign-in/two-factor' });
      assertRedirect(another, '/account', `another unused recovery code, typed ${typed}`);
    });

    it('refuses even an unused recovery code after 10 wrong codes (second-factor brute force)', async () => {
      assert.ok(secret, 'needs the set-up test');
      const browser = await signInHalfWay('code-guesser');
      for (let i = 1; i <= 10; i++) {
        const res = await browser.submit('/sign-in/two-factor', { code: codeNotValidNow(secret), return_to: '/account' },
          { formPage: '/sign-in/two-factor' });
        assert.equal(res.status, 400, `wrong code ${i}: ${res.status}`);
      }
      // An unused recovery code: accepted but for the lock-out, and needs no wait for a new step.
      const locked = await browser.submit('/sign-in/two-factor', { code: recoveryCodes[2], return_to: '/account' },
        { formPage: '/sign-in/two-factor' });
      assert.equal(locked.status, 429, `an unused recovery code after 10 wrong codes: ${locked.status}`);
      assert.equal(sessionCookieSetBy(locked), undefined, 'a rate-limited code issued a session');
      assertRedirect(await browser.get('/account'), '/sign-in/two-factor', '/account after the lock-out');
    });
  });
});
