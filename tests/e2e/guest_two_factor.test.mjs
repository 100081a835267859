// A guest from another organisation joins a space by email invitation and must use two-factor
// sign-in because their home organisation requires it, in real browsers (Debian's Chromium through
// playwright-core), by keyboard:
// - the NHS trust's admin requires two-factor authentication for the trust;
// - a council owner creates two spaces; sharing the first with an address at a domain no
//   organisation uses is refused with a message saying so; sharing it with a new address at the
//   trust's domain sends an invitation and says so;
// - the guest opens the emailed link in their own browser, chooses a name and password, signs in,
//   is made to set up an authenticator (the test computes RFC 6238 codes from the secret shown),
//   sees recovery codes, signs out, and signs in again with password and code;
// - the guest's /spaces lists the shared space and not the other one, whose address answers 404;
// - axe-core finds no WCAG 2.2 A/AA violation on the invitation, sign-in, set-up and challenge
//   pages.
//
// Run through tests/integration/with_server.mjs --demo --smtp-sink (AGORA_URL and
// AGORA_SMTP_SINK_URL), or alone with AGORA_BIN set: it then starts its own server and mail sink.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { chromium } from 'playwright-core';

import { startSmtpSink } from '../auth/smtp_sink.mjs';
import { sleep, startServer } from '../integration/harness.mjs';
import { axeViolations } from './axe.mjs';

const chromiumPath = process.env.AGORA_CHROMIUM || '/usr/bin/chromium';
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

const demoPassword = 'agora-demo-2026';  // src/app/demo.hpp kDemoPassword
const councilOwner = 'sian.pritchard@afonvalley.gov.uk';
const trustAdmin = 'catrin.morgan@broafon.wales.nhs.uk';  // the trust's first person runs it
const trustDomain = 'broafon.wales.nhs.uk';

// Names unique to this run, so the test also works against a server that has seen it before.
const runId = crypto.randomBytes(3).toString('hex');
const guestEmail = `guest.${runId}@${trustDomain}`;
const guestName = `Gwen Guest ${runId}`;
const guestPassword = `Bluebell harbour lantern ${runId}`;
const sharedSpace = `Discharge planning ${runId}`;
const privateSpace = `Council budget ${runId}`;

// Generous bounds for loading pages and for mail to arrive; not measurements.
const kLoadDeadlineMs = 15_000;

let server = null;
let sink = null;
let baseUrl = process.env.AGORA_URL;
const sinkUrl = () => process.env.AGORA_SMTP_SINK_URL;

const url = (pathAndQuery) => new URL(pathAndQuery, baseUrl).href;

// --- TOTP (RFC 6238 over RFC 4226), as an authenticator app computes it -----------------------------

/** The bytes of RFC 4648 base32 `text` (any case, spaces and padding ignored). */
function fromBase32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.toUpperCase().replace(/[\s=]/g, '');
  let bits = 0;
  let value = 0;
  const bytes = [];
  for (const c of clean) {
    const index = alphabet.indexOf(c);
    if (index < 0) throw new Error(`"${c}" is not a base32 character`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** The `digits`-digit HOTP code of `key` (bytes) for counter `step` (RFC 4226 section 5.3). */
function totpCode(key, step, digits = 6) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(binary).padStart(digits, '0');
}

const currentStep = () => Math.floor(Date.now() / 1000 / 30);

// --- mail -----------------------------------------------------------------------------------------

/** Every message the sink has received: { to: [...], from, subject, text }. */
async function sinkMessages() {
  if (sink) {
    return sink.messages.map((m) => ({ to: m.envelope.to, from: m.envelope.from,
      subject: m.header('subject') ?? '', text: m.text }));
  }
  const response = await fetch(sinkUrl());
  assert.equal(response.status, 200, `the mail sink at ${sinkUrl()} answered ${response.status}`);
  return response.json();
}

/** The first message to `address`, waiting for it to arrive. */
async function mailTo(address) {
  const deadline = Date.now() + kLoadDeadlineMs;
  for (;;) {
    const messages = await sinkMessages();
    const found = messages.find((m) => m.to.some((to) => to.toLowerCase() === address));
    if (found) return found;
    if (Date.now() > deadline) {
      throw new Error(`no mail to ${address} within ${kLoadDeadlineMs} ms; received: ` +
        (messages.map((m) => `${m.to.join(', ')}: ${m.subject}`).join(' | ') || 'nothing'));
    }
    await sleep(100);
  }
}

// --- browsers and keyboard ----------------------------------------------------------------------

const contexts = [];
const profiles = [];
/** A new browser with an empty profile: one person's own browser. */
async function launch() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'agora-e2e-guest-'));
  profiles.push(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1280, height: 1000 },
  });
  contexts.push(context);
  return context;
}

/** Opens `pathAndQuery` in `page` and checks the status. */
async function open(page, pathAndQuery, status = 200) {
  const response = await page.goto(url(pathAndQuery), { waitUntil: 'load' });
  assert.equal(response.status(), status, `GET ${pathAndQuery} answered ${response.status()}`);
  return response;
}

/** Does `action` (a key press) and waits for the page it leads to; returns that page's response. */
async function navigatingBy(page, action) {
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), action()]);
  return response;
}

/** Focuses `selector` and types `text` into it, key by key. */
async function typeInto(page, selector, text) {
  await page.focus(selector);
  await page.keyboard.type(text);
}

/** Focuses `selector` (a submit button or link) and presses Enter; returns the next page's response. */
function pressEnterOn(page, selector) {
  return navigatingBy(page, async () => {
    await page.focus(selector);
    await page.keyboard.press('Enter');
  });
}

/** Submits the form around the focused text field by pressing Enter in it. */
function submitWithEnter(page) {
  return navigatingBy(page, () => page.keyboard.press('Enter'));
}

/** Asserts that axe-core finds nothing on `page`, naming the page. */
async function assertAccessible(page, what) {
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `axe-core on the ${what}:\n${JSON.stringify(violations, null, 2)}`);
}

/** Signs in with email and password by keyboard, from the sign-in page; returns the response. */
async function signInWithPassword(page, email, password, { checkAccessible = false } = {}) {
  await open(page, '/sign-in?lang=en');
  if (checkAccessible) await assertAccessible(page, 'sign-in page');
  await typeInto(page, '#email', email);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'password',
    'Tab from the email field reaches the password field');
  await page.keyboard.type(password);
  return submitWithEnter(page);
}

const pathOf = (page) => new URL(page.url()).pathname;

/** The space names listed on /spaces in `page`. */
async function listedSpaces(page) {
  await open(page, '/spaces?lang=en');
  return page.$$eval('#spaces tbody tr a', (links) => links.map((a) => a.textContent.trim()));
}

/** Creates a space called `name` by keyboard from /spaces; returns its id. */
async function createSpace(page, name) {
  await open(page, '/spaces?lang=en');
  await typeInto(page, '#space-name', name);
  const response = await submitWithEnter(page);
  assert.equal(response.status(), 200, `creating ${name} ended on ${response.status()}`);
  const match = /^\/spaces\/(\d+)$/.exec(pathOf(page));
  assert.ok(match, `creating ${name} led to ${page.url()}, not to the new space`);
  return match[1];
}

/** Shares the space's members page (open in `page`) with `email` as `roleLabel`, by keyboard. */
async function shareWithPerson(page, email, roleLabel) {
  await typeInto(page, '#share-email', email);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'share-person-role',
    'Tab from the email field reaches the role');
  // A focused <select> picks the option whose label starts with the letters typed.
  await page.keyboard.type(roleLabel);
  assert.equal(await page.$eval('#share-person-role', (s) => s.selectedOptions[0].textContent.trim()),
    roleLabel, `typing "${roleLabel}" chooses that role`);
  await page.keyboard.press('Tab');
  return navigatingBy(page, () => page.keyboard.press('Enter'));
}

// --- the scenario -------------------------------------------------------------------------------

describe('a guest invited into a space sets up two-factor sign-in', { timeout: 240_000 }, () => {
  before(async () => {
    if (!baseUrl) {
      sink = await startSmtpSink();
      server = await startServer({ demo: true, args: ['--smtp-url', sink.url] });
      baseUrl = server.origin;
    } else if (!sinkUrl()) {
      throw new Error('AGORA_SMTP_SINK_URL is not set: run this through ' +
        'tests/integration/with_server.mjs --demo --smtp-sink, or alone with AGORA_BIN set');
    }
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    for (const profile of profiles) fs.rmSync(profile, { recursive: true, force: true });
    if (server) await server.stop();
    if (sink) await sink.close();
  });

  test('the TOTP computation agrees with RFC 6238 appendix B', () => {
    // SHA-1 seed "12345678901234567890", T = 59 s: 94287082 with 8 digits.
    assert.equal(totpCode(Buffer.from('12345678901234567890'), 1, 8), '94287082');
    assert.equal(totpCode(fromBase32('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'), 1, 8), '94287082');
  });

  let sharedId = null;
  let privateId = null;
  let invitationLink = null;

  test('the trust\'s admin requires two-factor authentication', async () => {
    const page = await (await launch()).newPage();
    await signInWithPassword(page, trustAdmin, demoPassword);
    assert.notEqual(pathOf(page), '/sign-in', `${trustAdmin} is signed in`);
    await open(page, '/admin/people?lang=en');
    await page.focus('#require-no');
    // Arrow keys move through a radio group and check the radio they land on.
    await page.keyboard.press('ArrowUp');
    assert.equal(await page.isChecked('#require-yes'), true, 'the arrow key chose "require it"');
    await page.keyboard.press('Tab');
    const saved = await navigatingBy(page, () => page.keyboard.press('Enter'));
    assert.ok(saved.status() < 400, `saving answered ${saved.status()}`);
    await open(page, '/admin/people?lang=en');
    assert.equal(await page.isChecked('#require-yes'), true, 'the trust now requires two-factor');
  });

  test('a council owner creates two spaces and invites a new person at the trust into one', async () => {
    const page = await (await launch()).newPage();
    await signInWithPassword(page, councilOwner, demoPassword);
    assert.notEqual(pathOf(page), '/sign-in', `${councilOwner} is signed in`);
    sharedId = await createSpace(page, sharedSpace);
    privateId = await createSpace(page, privateSpace);

    // An address whose domain no organisation uses: refused, saying which domain.
    await open(page, `/spaces/${sharedId}/members?lang=en`);
    const refused = await shareWithPerson(page, `someone.${runId}@example.com`, 'Editor');
    assert.equal(refused.status(), 400);
    const fieldError = (await page.textContent('#share-email-error')).replace(/\s+/g, ' ');
    assert.match(fieldError, /No organisation in Agora uses example\.com; ask your Agora administrator to add it/);
    assert.equal((await sinkMessages()).some((m) => m.to.includes(`someone.${runId}@example.com`)), false,
      'nothing is mailed to an address no organisation owns');

    // A new address at the trust's domain: an invitation, and the page says so.
    await open(page, `/spaces/${sharedId}/members?lang=en`);
    const invited = await shareWithPerson(page, guestEmail, 'Editor');
    assert.equal(invited.status(), 200);
    const notice = (await page.textContent('#members-notice')).replace(/\s+/g, ' ');
    assert.match(notice, new RegExp(`We have sent an invitation to ${guestEmail.replace(/\./g, '\\.')}`));
    assert.match(notice, /Bro Afon NHS Trust/);
    // The signed-in pages the owner worked through, header and sign-out button included.
    await assertAccessible(page, 'members page with its notice');
    for (const [pathAndQuery, what] of [['/spaces?lang=en', 'list of spaces'],
      [`/spaces/${sharedId}?lang=en`, 'space page'], ['/account?lang=en', 'account page'],
      ['/account?lang=cy', 'account page in Welsh'], ['/account/two-factor?lang=en', 'two-factor set-up page'],
      ['/admin/people?lang=en', 'organisation admin page'], ['/admin/audit?lang=en', 'audit trail page']]) {
      await open(page, pathAndQuery);
      await assertAccessible(page, what);
    }

    const mail = await mailTo(guestEmail);
    assert.match(mail.text, new RegExp(sharedSpace));
    const link = /https?:\/\/\S+\/invitations\/accept\?token=[^\s]+/.exec(mail.text);
    assert.ok(link, `the invitation holds a link:\n${mail.text}`);
    invitationLink = link[0];
    assert.equal(new URL(invitationLink).origin, new URL(baseUrl).origin, 'the link leads to this server');
  });

  test('the guest accepts, sets up an authenticator, and signs in again with a code', async () => {
    assert.ok(invitationLink, 'the invitation was sent (previous test)');
    const context = await launch();  // the guest's own browser: nothing of the owner's
    const page = await context.newPage();

    // The invitation: name and password.
    const shown = await page.goto(invitationLink, { waitUntil: 'load' });
    assert.equal(shown.status(), 200);
    assert.match(await page.textContent('main'), new RegExp(guestEmail.replace(/\./g, '\\.')));
    await assertAccessible(page, 'invitation page');
    await typeInto(page, '#name', guestName);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'password');
    await page.keyboard.type(guestPassword);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'password-confirmation');
    await page.keyboard.type(guestPassword);
    const accepted = await submitWithEnter(page);
    assert.equal(pathOf(page), '/sign-in', `accepting led to ${page.url()} (${accepted.status()}): ` +
      (await page.textContent('main')).replace(/\s+/g, ' ').slice(0, 600));

    // First sign-in: the trust requires two-factor, so set-up comes before anything else.
    await signInWithPassword(page, guestEmail, guestPassword, { checkAccessible: true });
    assert.equal(pathOf(page), '/account/two-factor', `the first sign-in led to ${page.url()}`);
    const early = await page.goto(url('/spaces'), { waitUntil: 'load' });
    assert.ok(pathOf(page) !== '/spaces' || early.status() >= 400,
      `before setting up two-factor, /spaces is not shown (ended on ${page.url()}, ${early.status()})`);
    await open(page, '/account/two-factor?lang=en');
    await assertAccessible(page, 'two-factor set-up page');
    const secret = (await page.textContent('#secret')).trim();
    assert.match(secret, /^[A-Z2-7 ]+=*$/, `the secret is base32: ${secret}`);
    const key = fromBase32(secret);
    const setUpStep = currentStep();
    await typeInto(page, '#code', totpCode(key, setUpStep));
    const setUp = await submitWithEnter(page);
    assert.equal(setUp.status(), 200);
    const recoveryCodes = await page.$$eval('#recovery-codes li', (items) => items.map((li) => li.textContent.trim()));
    assert.ok(recoveryCodes.length >= 5, `recovery codes are shown: ${JSON.stringify(recoveryCodes)}`);
    assert.equal(new Set(recoveryCodes).size, recoveryCodes.length, 'the recovery codes differ');

    // Continue (a link), then sign out (a button in the header), both by keyboard.
    await pressEnterOn(page, 'a.govuk-button[href="/spaces"]');
    assert.equal(pathOf(page), '/spaces');
    await pressEnterOn(page, 'form[action="/sign-out"] button');
    await open(page, '/spaces', 200);
    assert.equal(pathOf(page), '/sign-in', `after signing out, /spaces sends to sign-in (${page.url()})`);

    // Second sign-in: password, then the code.
    await signInWithPassword(page, guestEmail, guestPassword);
    assert.equal(pathOf(page), '/sign-in/two-factor', `the second sign-in led to ${page.url()}`);
    await assertAccessible(page, 'two-factor challenge page');
    // Each code works once: use the step after the set-up's when the clock has not moved on.
    const step = Math.max(currentStep(), setUpStep + 1);
    await typeInto(page, '#code', totpCode(key, step));
    await submitWithEnter(page);
    assert.equal(pathOf(page).startsWith('/sign-in'), false, `the code signed in (at ${page.url()})`);

    // The guest sees the shared space and nothing else of the council's.
    const listed = await listedSpaces(page);
    assert.deepEqual(listed, [sharedSpace], '/spaces lists only the space shared with the guest');
    await open(page, `/spaces/${sharedId}?lang=en`, 200);
    assert.match(await page.textContent('main'), /Editor/);
    await open(page, `/spaces/${privateId}?lang=en`, 404);
  });
});
